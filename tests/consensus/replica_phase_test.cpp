// Table-driven tests of each normal-case phase (PBFT section 4.2: pre-prepare,
// prepare, commit; plus the verification step this protocol adds before
// voting), with one replica under test and hand-crafted messages.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "tests/consensus/replica_fixture.h"

namespace aethel::consensus::testing {
namespace {

// ---------------------------------------------------------------------------
// PRE-PREPARE

struct PrePrepareCase {
  std::string name;
  // Sends the message(s) under test to the fixture's replica.
  std::function<Actions(ReplicaFixture&)> send;
  std::optional<Refusal> refusal;  // expected refusal, if any
  std::size_t verifications = 0;   // VerifyBlock actions expected in total
};

std::vector<PrePrepareCase> pre_prepare_cases() {
  using F = ReplicaFixture;
  return {
      {"a proposal from the leader is sent for verification",
       [](F& f) { return f.receive(f.pre_prepare(f.block(1, 0, f.leader0()), 0, f.leader0())); },
       std::nullopt, 1},
      {"a proposal from a validator that does not lead the view",
       [](F& f) {
         const std::size_t other = f.others(f.leader0(), f.self()).front();
         return f.receive(f.pre_prepare(f.block(1, 0, other), 0, other));
       },
       Refusal::kWrongLeader, 0},
      {"a proposal signed by a non-validator",
       [](F& f) {
         PrePrepare message = f.pre_prepare(f.block(1, 0, f.leader0()), 0, f.leader0());
         message.leader = ValidatorIndex(17);
         return f.receive(message);
       },
       Refusal::kNonValidator, 0},
      {"a proposal with a forged signature",
       [](F& f) {
         PrePrepare message = f.pre_prepare(f.block(1, 0, f.leader0()), 0, f.leader0());
         message.signature =
             f.pre_prepare(f.block(1, 0, f.leader0(), {}, 2), 0, f.leader0()).signature;
         return f.receive(message);
       },
       Refusal::kBadSignature, 0},
      {"a proposal signed by another validator in the leader's name",
       [](F& f) {
         PrePrepare message = f.pre_prepare(f.block(1, 0, f.leader0()), 0, f.self());
         message.leader = ValidatorIndex(f.leader0());
         return f.receive(message);
       },
       Refusal::kBadSignature, 0},
      {"a replayed proposal",
       [](F& f) {
         const PrePrepare message = f.pre_prepare(f.block(1, 0, f.leader0()), 0, f.leader0());
         Actions all = f.receive(message);
         for (Action& a : f.receive(message)) all.push_back(std::move(a));
         return all;
       },
       Refusal::kDuplicate, 1},
      {"a second, different proposal for the same height",
       [](F& f) {
         Actions all = f.receive(f.pre_prepare(f.block(1, 0, f.leader0()), 0, f.leader0()));
         for (Action& a :
              f.receive(f.pre_prepare(f.block(1, 0, f.leader0(), {}, 3), 0, f.leader0())))
           all.push_back(std::move(a));
         return all;
       },
       Refusal::kConflictingPrePrepare, 1},
      {"a proposal above the high watermark",
       [](F& f) { return f.receive(f.pre_prepare(f.block(17, 0, f.leader0()), 0, f.leader0())); },
       Refusal::kOutsideWatermarks, 0},
      {"a proposal at height 0 (at the low watermark)",
       [](F& f) { return f.receive(f.pre_prepare(f.block(0, 0, f.leader0()), 0, f.leader0())); },
       Refusal::kOutsideWatermarks, 0},
      {"a block whose view is not the message's view",
       [](F& f) { return f.receive(f.pre_prepare(f.block(1, 5, f.leader0()), 0, f.leader0())); },
       Refusal::kInvalidBlock, 0},
      {"a block whose proposer is not the leader",
       [](F& f) { return f.receive(f.pre_prepare(f.block(1, 0, f.self()), 0, f.leader0())); },
       Refusal::kInvalidBlock, 0},
      {"a block with more claims than the limit",
       [](F& f) {
         const std::uint64_t too_many = f.config().max_block_claims + 1;
         return f.receive(f.pre_prepare(f.block(1, 0, f.leader0(), {}, too_many), 0, f.leader0()));
       },
       Refusal::kInvalidBlock, 0},
      {"a block stamped too far in the future",
       [](F& f) {
         Block block = *f.block(1, 0, f.leader0());
         block.timestamp_ms = f.now_ms + f.config().timestamp_max_ahead_ms + 1;
         return f.receive(f.pre_prepare(std::make_shared<const Block>(block), 0, f.leader0()));
       },
       Refusal::kInvalidBlock, 0},
      {"a block that is not the child of the committed block",
       [](F& f) {
         const BlockPtr orphan = f.block(1, 0, f.leader0(), crypto::sha256("elsewhere"));
         return f.receive(f.pre_prepare(orphan, 0, f.leader0()));
       },
       Refusal::kInvalidBlock, 0},
      {"a proposal for the next view waits without a refusal",
       [](F& f) {
         return f.receive(f.pre_prepare(f.block(1, 1, f.leader(View(1))), 1, f.leader(View(1))));
       },
       std::nullopt, 0},
      {"a proposal for a view two ahead is not held",
       [](F& f) {
         return f.receive(f.pre_prepare(f.block(1, 2, f.leader(View(2))), 2, f.leader(View(2))));
       },
       Refusal::kFutureViewBufferFull, 0},
  };
}

TEST(PrePreparePhase, Table) {
  for (const PrePrepareCase& test_case : pre_prepare_cases()) {
    SCOPED_TRACE(test_case.name);
    ReplicaFixture fixture;
    const Actions actions = test_case.send(fixture);
    if (test_case.refusal) {
      EXPECT_EQ(fixture.refused(*test_case.refusal), 1u);
      EXPECT_EQ(fixture.replica().stats().refused_total(), 1u);
    } else {
      EXPECT_EQ(fixture.replica().stats().refused_total(), 0u);
    }
    EXPECT_EQ(actions_of<VerifyBlock>(actions).size(), test_case.verifications);
    // No vote leaves before verification.
    EXPECT_TRUE(votes_sent(actions, VotePhase::kPrepare).empty());
    EXPECT_FALSE(fixture.replica().persistent_state().last_prepare.has_value());
  }
}

TEST(PrePreparePhase, VoteOnlyAfterVerificationAndAfterPersisting) {
  FixtureOptions options;
  options.auto_persist = false;
  ReplicaFixture fixture(options);
  const BlockPtr proposed = fixture.block(1, 0, fixture.leader0());
  const Actions received = fixture.receive(fixture.pre_prepare(proposed, 0, fixture.leader0()));
  ASSERT_EQ(actions_of<VerifyBlock>(received).size(), 1u);
  EXPECT_TRUE(votes_sent(received, VotePhase::kPrepare).empty());

  const Actions verified =
      fixture.step(BlockVerified{block_digest(*proposed), true, std::nullopt, ""});
  const auto persists = actions_of<Persist>(verified);
  ASSERT_EQ(persists.size(), 1u);
  ASSERT_TRUE(persists[0].state->last_prepare.has_value());
  EXPECT_EQ(persists[0].state->last_prepare->digest, block_digest(*proposed));
  EXPECT_TRUE(votes_sent(verified, VotePhase::kPrepare).empty()) << "sent before persisted";

  // An earlier sequence releases nothing; the right one releases the vote.
  EXPECT_TRUE(votes_sent(fixture.step(Persisted{0}), VotePhase::kPrepare).empty());
  const Actions released = fixture.step(Persisted{persists[0].sequence});
  const auto prepares = votes_sent(released, VotePhase::kPrepare);
  ASSERT_EQ(prepares.size(), 1u);
  EXPECT_EQ(prepares[0].digest, block_digest(*proposed));
  EXPECT_EQ(prepares[0].voter.value(), fixture.self());
}

TEST(PrePreparePhase, FalseClaimMeansNoVoteEvidenceAndViewChange) {
  ReplicaFixture fixture;
  const BlockPtr proposed = fixture.block(1, 0, fixture.leader0(), {}, 3);
  fixture.receive(fixture.pre_prepare(proposed, 0, fixture.leader0()));
  const Actions actions =
      fixture.step(BlockVerified{block_digest(*proposed), false, 2, "claim 2 is REFUTED"});
  EXPECT_TRUE(votes_sent(actions, VotePhase::kPrepare).empty());
  const auto reports = actions_of<ReportEvidence>(actions);
  ASSERT_EQ(reports.size(), 1u);
  const auto* false_claim = std::get_if<FalseClaimEvidence>(&*reports[0].evidence);
  ASSERT_NE(false_claim, nullptr);
  EXPECT_EQ(false_claim->claim_index, 2u);
  EXPECT_EQ(offender(*reports[0].evidence).value(), fixture.leader0());
  EXPECT_TRUE(
      verify_evidence(fixture.config().chain_id, fixture.validators(), *reports[0].evidence));
  // The leader is provably faulty: the replica asks for the next view now.
  const auto changes = sent<ViewChange>(actions);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].signed_summary.summary.new_view, View(1));
}

// ---------------------------------------------------------------------------
// PREPARE

struct VoteCase {
  std::string name;
  std::function<void(ReplicaFixture&, const Hash256& digest)> send;
  bool expect_next_phase = false;  // PREPARE -> COMMIT sent; COMMIT -> delivered
  std::optional<Refusal> refusal;
  bool expect_evidence = false;
};

std::vector<VoteCase> prepare_cases() {
  using F = ReplicaFixture;
  return {
      {"prepares of more than 2/3 of stake make the block prepared",
       [](F& f, const Hash256& d) {
         const auto voters = f.others(f.self(), f.self());
         f.receive(f.vote(VotePhase::kPrepare, 0, 1, d, voters[0]));
         f.receive(f.vote(VotePhase::kPrepare, 0, 1, d, voters[1]));
       },
       true, std::nullopt, false},
      {"one other prepare is not a quorum",
       [](F& f, const Hash256& d) { f.receive(f.vote(VotePhase::kPrepare, 0, 1, d, f.leader0())); },
       false, std::nullopt, false},
      {"a replayed prepare counts once",
       [](F& f, const Hash256& d) {
         f.receive(f.vote(VotePhase::kPrepare, 0, 1, d, f.leader0()));
         f.receive(f.vote(VotePhase::kPrepare, 0, 1, d, f.leader0()));
       },
       false, Refusal::kDuplicate, false},
      {"a prepare with a forged signature",
       [](F& f, const Hash256& d) {
         Vote vote = f.vote(VotePhase::kPrepare, 0, 1, d, f.leader0());
         vote.signature = f.vote(VotePhase::kCommit, 0, 1, d, f.leader0()).signature;
         f.receive(vote);
       },
       false, Refusal::kBadSignature, false},
      {"a prepare from a non-validator",
       [](F& f, const Hash256& d) {
         Vote vote = f.vote(VotePhase::kPrepare, 0, 1, d, f.leader0());
         vote.voter = ValidatorIndex(99);
         f.receive(vote);
       },
       false, Refusal::kNonValidator, false},
      {"a prepare above the high watermark",
       [](F& f, const Hash256& d) {
         f.receive(f.vote(VotePhase::kPrepare, 0, 40, d, f.leader0()));
       },
       false, Refusal::kOutsideWatermarks, false},
      {"two conflicting prepares from one validator are evidence",
       [](F& f, const Hash256& d) {
         f.receive(f.vote(VotePhase::kPrepare, 0, 1, d, f.leader0()));
         f.receive(f.vote(VotePhase::kPrepare, 0, 1, crypto::sha256("other block"), f.leader0()));
       },
       false, std::nullopt, true},
      {"votes for a different block do not make this one prepared",
       [](F& f, const Hash256&) {
         for (std::size_t voter : f.others(f.self(), f.self()))
           f.receive(f.vote(VotePhase::kPrepare, 0, 1, crypto::sha256("other block"), voter));
       },
       false, std::nullopt, false},
  };
}

// A leader that signs two different blocks for one height is reported with
// both PRE-PREPAREs, once; a forged second one accuses nobody.
TEST(PrePreparePhase, ALeadersConflictingPrePreparesAreReported) {
  ReplicaFixture fixture;
  const std::size_t leader = fixture.leader0();
  const PrePrepare first = fixture.pre_prepare(fixture.block(1, 0, leader), 0, leader);
  PrePrepare forged = fixture.pre_prepare(fixture.block(1, 0, leader, {}, 2), 0, leader);
  forged.signature = first.signature;
  fixture.receive(first);
  EXPECT_TRUE(actions_of<ReportEvidence>(fixture.receive(forged)).empty());
  EXPECT_EQ(fixture.refused(Refusal::kBadSignature), 1u);
  const PrePrepare second = fixture.pre_prepare(fixture.block(1, 0, leader, {}, 3), 0, leader);
  const auto reports = actions_of<ReportEvidence>(fixture.receive(second));
  ASSERT_EQ(reports.size(), 1u);
  const auto* conflict = std::get_if<ConflictingPrePrepareEvidence>(&*reports[0].evidence);
  ASSERT_NE(conflict, nullptr);
  EXPECT_TRUE(
      verify_evidence(fixture.config().chain_id, fixture.validators(), *reports[0].evidence));
  EXPECT_EQ(offender(*reports[0].evidence), ValidatorIndex(leader));
  const PrePrepare third = fixture.pre_prepare(fixture.block(1, 0, leader, {}, 4), 0, leader);
  EXPECT_TRUE(actions_of<ReportEvidence>(fixture.receive(third)).empty());
  EXPECT_EQ(fixture.refused(Refusal::kConflictingPrePrepare), 2u);
}

TEST(PreparePhase, Table) {
  for (const VoteCase& test_case : prepare_cases()) {
    SCOPED_TRACE(test_case.name);
    ReplicaFixture fixture;
    const BlockPtr proposed = fixture.propose_and_verify();
    const Hash256 digest = block_digest(*proposed);
    const std::uint64_t evidence_before = fixture.replica().stats().evidence_reported;
    test_case.send(fixture, digest);
    const PersistentState state = fixture.replica().persistent_state();
    EXPECT_EQ(state.last_commit.has_value(), test_case.expect_next_phase);
    EXPECT_EQ(state.prepared.size(), test_case.expect_next_phase ? 1u : 0u);
    if (test_case.refusal) {
      EXPECT_EQ(fixture.refused(*test_case.refusal), 1u);
    }
    EXPECT_EQ(fixture.replica().stats().evidence_reported - evidence_before,
              test_case.expect_evidence ? 1u : 0u);
  }
}

TEST(PreparePhase, EquivocationEvidenceVerifies) {
  ReplicaFixture fixture;
  const Hash256 digest = block_digest(*fixture.propose_and_verify());
  fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 1, digest, fixture.leader0()));
  const Actions actions = fixture.receive(
      fixture.vote(VotePhase::kPrepare, 0, 1, crypto::sha256("other block"), fixture.leader0()));
  const auto reports = actions_of<ReportEvidence>(actions);
  ASSERT_EQ(reports.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<EquivocationEvidence>(*reports[0].evidence));
  EXPECT_EQ(offender(*reports[0].evidence).value(), fixture.leader0());
  EXPECT_TRUE(
      verify_evidence(fixture.config().chain_id, fixture.validators(), *reports[0].evidence));
  // A third vote from the same equivocator is a duplicate, not new evidence.
  fixture.receive(
      fixture.vote(VotePhase::kPrepare, 0, 1, crypto::sha256("third block"), fixture.leader0()));
  EXPECT_EQ(fixture.replica().stats().evidence_reported, 1u);
}

// ---------------------------------------------------------------------------
// COMMIT

std::vector<VoteCase> commit_cases() {
  using F = ReplicaFixture;
  return {
      {"commits of more than 2/3 of stake deliver the block",
       [](F& f, const Hash256& d) {
         const auto voters = f.others(f.self(), f.self());
         f.receive(f.vote(VotePhase::kCommit, 0, 1, d, voters[0]));
         f.receive(f.vote(VotePhase::kCommit, 0, 1, d, voters[1]));
       },
       true, std::nullopt, false},
      {"one other commit is not a quorum",
       [](F& f, const Hash256& d) {
         f.receive(f.vote(VotePhase::kCommit, 0, 1, d, f.others(f.self(), f.self())[0]));
       },
       false, std::nullopt, false},
      {"a replayed commit counts once",
       [](F& f, const Hash256& d) {
         const std::size_t voter = f.others(f.self(), f.self())[0];
         f.receive(f.vote(VotePhase::kCommit, 0, 1, d, voter));
         f.receive(f.vote(VotePhase::kCommit, 0, 1, d, voter));
       },
       false, Refusal::kDuplicate, false},
      {"a commit signed as a prepare does not count",
       [](F& f, const Hash256& d) {
         const auto voters = f.others(f.self(), f.self());
         f.receive(f.vote(VotePhase::kCommit, 0, 1, d, voters[0]));
         Vote vote = f.vote(VotePhase::kPrepare, 0, 1, d, voters[1]);
         vote.phase = VotePhase::kCommit;
         f.receive(vote);
       },
       false, Refusal::kBadSignature, false},
      {"a commit for a stale view",
       [](F& f, const Hash256& d) {
         f.step(TimerFired{TimerKind::kView});  // now in view change to view 1
         f.receive(f.vote(VotePhase::kCommit, 0, 1, d, f.others(f.self(), f.self())[0]));
       },
       false, Refusal::kStaleView, false},
  };
}

TEST(CommitPhase, Table) {
  for (const VoteCase& test_case : commit_cases()) {
    SCOPED_TRACE(test_case.name);
    ReplicaFixture fixture;
    const BlockPtr proposed = fixture.propose_and_verify();
    const Hash256 digest = block_digest(*proposed);
    // Make the block prepared, so this replica has sent its own COMMIT.
    const auto voters = fixture.others(fixture.self(), fixture.self());
    fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 1, digest, voters[0]));
    fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 1, digest, voters[1]));
    ASSERT_TRUE(fixture.replica().persistent_state().last_commit.has_value());
    test_case.send(fixture, digest);
    EXPECT_EQ(fixture.replica().committed_height(), Height(test_case.expect_next_phase ? 1 : 0));
    if (test_case.refusal) {
      EXPECT_EQ(fixture.refused(*test_case.refusal), 1u);
    }
  }
}

TEST(CommitPhase, DeliversTheBlockWithAVerifiableCommitCertificate) {
  ReplicaFixture fixture;
  const BlockPtr proposed = fixture.propose_and_verify();
  const Hash256 digest = block_digest(*proposed);
  const auto voters = fixture.others(fixture.self(), fixture.self());
  fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 1, digest, voters[0]));
  fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 1, digest, voters[1]));
  fixture.receive(fixture.vote(VotePhase::kCommit, 0, 1, digest, voters[0]));
  const Actions actions =
      fixture.receive(fixture.vote(VotePhase::kCommit, 0, 1, digest, voters[1]));
  const auto delivered = actions_of<DeliverBlock>(actions);
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(*delivered[0].block, *proposed);
  const CertificatePtr& certificate = delivered[0].commit_certificate;
  EXPECT_EQ(certificate->phase, VotePhase::kCommit);
  EXPECT_EQ(certificate->digest, digest);
  EXPECT_EQ(certificate->signatures.size(), 3u);
  EXPECT_TRUE(check_certificate_structure(fixture.validators(), *certificate));
  Ed25519SignatureChecker checker;
  EXPECT_TRUE(
      checker.verify_certificate(fixture.validators(), fixture.config().chain_id, certificate));
  // Delivered once: more commits change nothing.
  const Actions later =
      fixture.receive(fixture.vote(VotePhase::kCommit, 0, 1, digest, fixture.leader0()));
  EXPECT_TRUE(actions_of<DeliverBlock>(later).empty());
}

// ---------------------------------------------------------------------------
// The collector vote pattern: votes go to the leader, certificates come back.

TEST(CollectorPattern, ReplicaSendsVotesToTheLeaderAndFollowsCertificates) {
  FixtureOptions options;
  options.pattern = VotePattern::kCollector;
  ReplicaFixture fixture(options);
  const std::size_t leader = fixture.leader0();
  const BlockPtr proposed = fixture.block(1, 0, leader);
  const Hash256 digest = block_digest(*proposed);
  fixture.receive(fixture.pre_prepare(proposed, 0, leader));
  const Actions verified = fixture.step(BlockVerified{digest, true, std::nullopt, ""});
  const auto sends = actions_of<Send>(verified);
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_EQ(sends[0].to.value(), leader);
  EXPECT_TRUE(actions_of<Broadcast>(verified).empty());

  const auto signers = fixture.others(fixture.self(), fixture.self());
  const std::vector<std::size_t> quorum = {signers[0], signers[1], fixture.self()};
  const Actions prepared = fixture.receive(fixture.certificate_message(
      fixture.certificate(VotePhase::kPrepare, 0, 1, digest, quorum), leader));
  const auto commits = votes_sent(prepared, VotePhase::kCommit);
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_EQ(actions_of<Send>(prepared).at(0).to.value(), leader);

  const Actions committed = fixture.receive(fixture.certificate_message(
      fixture.certificate(VotePhase::kCommit, 0, 1, digest, quorum), leader));
  ASSERT_EQ(actions_of<DeliverBlock>(committed).size(), 1u);
}

TEST(CollectorPattern, CertificatesBelowQuorumOrForgedAreRefused) {
  FixtureOptions options;
  options.pattern = VotePattern::kCollector;
  ReplicaFixture fixture(options);
  const Hash256 digest = block_digest(*fixture.propose_and_verify());
  const std::size_t leader = fixture.leader0();
  fixture.receive(fixture.certificate_message(
      fixture.certificate(VotePhase::kPrepare, 0, 1, digest, {leader, fixture.self()}), leader));
  EXPECT_EQ(fixture.refused(Refusal::kInvalidCertificate), 1u);

  auto forged = std::make_shared<Certificate>(
      *fixture.certificate(VotePhase::kPrepare, 0, 1, digest, {0, 1, 2}));
  forged->signatures[1].signature = forged->signatures[0].signature;
  fixture.receive(fixture.certificate_message(forged, leader));
  EXPECT_EQ(fixture.refused(Refusal::kBadSignature), 1u);

  auto unordered = std::make_shared<Certificate>(
      *fixture.certificate(VotePhase::kPrepare, 0, 1, digest, {0, 1, 2}));
  std::swap(unordered->signatures[0], unordered->signatures[1]);
  fixture.receive(fixture.certificate_message(unordered, leader));
  EXPECT_EQ(fixture.refused(Refusal::kInvalidCertificate), 2u);
  EXPECT_FALSE(fixture.replica().persistent_state().last_commit.has_value());
}

// A forged certificate is checked once: sent again, it is refused without
// verifying its signatures again.
TEST(CollectorPattern, AForgedCertificateIsNotVerifiedTwice) {
  FixtureOptions options;
  options.pattern = VotePattern::kCollector;
  ReplicaFixture fixture(options);
  const auto signers = fixture.others(fixture.self(), fixture.self());
  auto forged = std::make_shared<Certificate>(*fixture.certificate(
      VotePhase::kCommit, 0, 1, crypto::sha256("block"), {signers[0], signers[1], signers[2]}));
  forged->signatures[2].signature = forged->signatures[0].signature;
  fixture.receive(fixture.certificate_message(forged, signers[0]));
  const std::uint64_t verified_once = fixture.replica().stats().signatures_verified;
  EXPECT_GT(verified_once, 0u);
  fixture.receive(fixture.certificate_message(forged, signers[1]));
  EXPECT_EQ(fixture.replica().stats().signatures_verified, verified_once);
  EXPECT_EQ(fixture.refused(Refusal::kBadSignature), 2u);
}

TEST(CollectorPattern, VotesSentToANonCollectorAreRefused) {
  FixtureOptions options;
  options.pattern = VotePattern::kCollector;
  ReplicaFixture fixture(options);
  const Hash256 digest = block_digest(*fixture.propose_and_verify());
  fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 1, digest, fixture.leader0()));
  EXPECT_EQ(fixture.refused(Refusal::kUnexpected), 1u);
}

TEST(CollectorPattern, TheLeaderCollectsVotesIntoCertificates) {
  ReplicaFixture probe;
  FixtureOptions options;
  options.pattern = VotePattern::kCollector;
  options.self = probe.leader0();
  ReplicaFixture fixture(options);
  const std::size_t self = fixture.self();
  const Actions started = fixture.step(Start{});
  (void)started;
  const Actions proposed =
      fixture.step(ProposalReady{Height(1), {}, crypto::sha256("payload"), 900});
  const auto pre_prepares = sent<PrePrepare>(proposed);
  ASSERT_EQ(pre_prepares.size(), 1u);
  const Hash256 digest = block_digest(*pre_prepares[0].block);
  // Its own PREPARE is counted, not sent.
  EXPECT_TRUE(votes_sent(proposed, VotePhase::kPrepare).empty());
  const auto voters = fixture.others(self, self);
  fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 1, digest, voters[0]));
  const Actions quorum =
      fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 1, digest, voters[1]));
  const auto certificates = sent<CertificateMessage>(quorum);
  ASSERT_EQ(certificates.size(), 1u);
  EXPECT_EQ(certificates[0].certificate->phase, VotePhase::kPrepare);
  EXPECT_EQ(certificates[0].certificate->signatures.size(), 3u);
  // A late prepare adds nothing and makes no second certificate.
  const Actions late = fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 1, digest, voters[2]));
  EXPECT_TRUE(sent<CertificateMessage>(late).empty());

  fixture.receive(fixture.vote(VotePhase::kCommit, 0, 1, digest, voters[0]));
  const Actions committed =
      fixture.receive(fixture.vote(VotePhase::kCommit, 0, 1, digest, voters[1]));
  const auto commit_certificates = sent<CertificateMessage>(committed);
  ASSERT_EQ(commit_certificates.size(), 1u);
  EXPECT_EQ(commit_certificates[0].certificate->phase, VotePhase::kCommit);
  EXPECT_EQ(actions_of<DeliverBlock>(committed).size(), 1u);
  // The next height is requested at once.
  EXPECT_EQ(actions_of<RequestProposal>(committed).size(), 1u);
}

}  // namespace
}  // namespace aethel::consensus::testing
