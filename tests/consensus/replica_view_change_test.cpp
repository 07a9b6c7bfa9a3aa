// View change (PBFT section 4.4): VIEW-CHANGE carries the prepared
// certificates, NEW-VIEW proves that the new leader re-proposes every block
// that may have committed, and replicas refuse anything else.
#include <gtest/gtest.h>

#include "tests/consensus/replica_fixture.h"

namespace aethel::consensus::testing {
namespace {

// Makes the fixture's replica prepare the leader's block at height 1 in view
// 0 (its own PREPARE and two others).
Hash256 prepare_height_one(ReplicaFixture& f) {
  const Hash256 digest = block_digest(*f.propose_and_verify());
  const auto voters = f.others(f.self(), f.self());
  f.receive(f.vote(VotePhase::kPrepare, 0, 1, digest, voters[0]));
  f.receive(f.vote(VotePhase::kPrepare, 0, 1, digest, voters[1]));
  return digest;
}

PreparedProof proof_for(const ReplicaFixture& f, const BlockPtr& block, std::uint64_t view,
                        std::vector<std::size_t> signers) {
  return PreparedProof{block, f.certificate(VotePhase::kPrepare, view, block->height.value(),
                                            block_digest(*block), std::move(signers))};
}

ViewChange view_change(const ReplicaFixture& f, std::size_t sender, std::uint64_t new_view,
                       std::vector<PreparedProof> proofs = {}) {
  ViewChangeSummary summary;
  summary.new_view = View(new_view);
  summary.sender = ValidatorIndex(sender);
  for (const PreparedProof& proof : proofs) {
    const Certificate& c = *proof.prepare_certificate;
    summary.prepared.push_back({c.height, c.view, c.digest});
  }
  ViewChange change;
  change.signed_summary = sign_view_change_summary(f.config().chain_id, f.key(sender), summary);
  change.proofs = std::move(proofs);
  return change;
}

// A NEW-VIEW built the way an honest leader builds it.
NewView new_view(const ReplicaFixture& f, std::uint64_t view, std::vector<ViewChange> changes) {
  std::sort(changes.begin(), changes.end(), [](const ViewChange& a, const ViewChange& b) {
    return a.signed_summary.summary.sender < b.signed_summary.summary.sender;
  });
  NewView message;
  message.view = View(view);
  message.leader = ValidatorIndex(f.leader(View(view)));
  for (const ViewChange& change : changes) message.view_changes.push_back(change.signed_summary);
  const NewViewPlan plan = plan_new_view(message.view_changes);
  for (const PreparedEntry& entry : plan.reproposals) {
    for (const ViewChange& change : changes) {
      const auto& entries = change.signed_summary.summary.prepared;
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (entries[i] == entry) {
          message.reproposals.push_back(change.proofs[i]);
          goto next_entry;
        }
      }
    }
  next_entry:;
  }
  sign_new_view(f.config().chain_id, f.key(message.leader.value()), message);
  return message;
}

// Options whose replica under test does not lead views 0 and 1.
FixtureOptions follower_options(VotePattern pattern = VotePattern::kAllToAll) {
  ReplicaFixture probe;
  FixtureOptions options;
  options.pattern = pattern;
  for (std::size_t i = 0; i < 4; ++i) {
    if (i != probe.leader(View(0)) && i != probe.leader(View(1))) {
      options.self = i;
      break;
    }
  }
  return options;
}

TEST(ViewChange, TimeoutSendsViewChangeWithThePreparedCertificate) {
  ReplicaFixture fixture(follower_options());
  const Hash256 digest = prepare_height_one(fixture);
  const std::uint64_t timeout_before = fixture.replica().view_timeout_ms();
  const Actions actions = fixture.step(TimerFired{TimerKind::kView});
  const auto changes = sent<ViewChange>(actions);
  ASSERT_EQ(changes.size(), 1u);
  const ViewChangeSummary& summary = changes[0].signed_summary.summary;
  EXPECT_EQ(summary.new_view, View(1));
  ASSERT_EQ(summary.prepared.size(), 1u);
  EXPECT_EQ(summary.prepared[0], (PreparedEntry{Height(1), View(0), digest}));
  ASSERT_EQ(changes[0].proofs.size(), 1u);
  EXPECT_EQ(changes[0].proofs[0].prepare_certificate->signatures.size(), 3u);
  EXPECT_EQ(fixture.replica().view(), View(1));
  EXPECT_TRUE(fixture.replica().in_view_change());
  EXPECT_EQ(fixture.replica().view_timeout_ms(), 2 * timeout_before);
  // The VIEW-CHANGE is persisted before it is sent.
  ASSERT_TRUE(fixture.last_persisted());
  EXPECT_EQ(fixture.last_persisted()->last_view_change, View(1));
  // Its encoding survives the wire.
  const auto decoded = decode_message(encode_message(Message(changes[0])));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
}

TEST(ViewChange, NewLeaderReProposesThePreparedBlock) {
  ReplicaFixture probe;
  FixtureOptions options;
  options.self = probe.leader(View(1));
  if (*options.self == probe.leader0()) GTEST_SKIP() << "views 0 and 1 share a leader";
  ReplicaFixture fixture(options);
  const Hash256 digest = prepare_height_one(fixture);
  fixture.step(TimerFired{TimerKind::kView});
  const auto others = fixture.others(fixture.self(), fixture.leader0());
  fixture.receive(view_change(fixture, others[0], 1));
  const Actions actions = fixture.receive(view_change(fixture, others[1], 1));
  const auto new_views = sent<NewView>(actions);
  ASSERT_EQ(new_views.size(), 1u);
  ASSERT_EQ(new_views[0].reproposals.size(), 1u);
  EXPECT_EQ(new_views[0].reproposals[0].prepare_certificate->digest, digest);
  EXPECT_EQ(new_views[0].view_changes.size(), 3u);
  EXPECT_FALSE(fixture.replica().in_view_change());
  // It votes on its re-proposal in the new view.
  const auto prepares = votes_sent(actions, VotePhase::kPrepare);
  ASSERT_EQ(prepares.size(), 1u);
  EXPECT_EQ(prepares[0].view, View(1));
  EXPECT_EQ(prepares[0].digest, digest);
}

// PBFT's central case: the leader of view 0 crashed after some replicas
// prepared. A replica that never saw the quorum learns the block from the
// NEW-VIEW and votes for exactly that block.
TEST(ViewChange, LeaderCrashedAfterSomeReplicasPrepared) {
  for (VotePattern pattern : {VotePattern::kAllToAll, VotePattern::kCollector}) {
    SCOPED_TRACE(vote_pattern_name(pattern));
    ReplicaFixture fixture(follower_options(pattern));
    const std::size_t leader1 = fixture.leader(View(1));
    const BlockPtr prepared_block = fixture.block(1, 0, fixture.leader0());
    const auto others = fixture.others(fixture.self(), leader1);
    // Only others[0] and the new leader prepared; this replica saw nothing.
    const PreparedProof proof =
        proof_for(fixture, prepared_block, 0, fixture.others(fixture.self(), fixture.self()));
    fixture.step(TimerFired{TimerKind::kView});
    const NewView message = new_view(
        fixture, 1,
        {view_change(fixture, leader1, 1, {proof}), view_change(fixture, others[0], 1, {proof}),
         view_change(fixture, fixture.self(), 1)});
    ASSERT_EQ(message.reproposals.size(), 1u);
    const Actions actions = fixture.receive(message);
    EXPECT_EQ(fixture.replica().stats().refused_total(), 0u);
    EXPECT_FALSE(fixture.replica().in_view_change());
    const auto verify = actions_of<VerifyBlock>(actions);
    ASSERT_EQ(verify.size(), 1u);
    const Actions voted =
        fixture.step(BlockVerified{block_digest(*prepared_block), true, std::nullopt, ""});
    const auto prepares = votes_sent(voted, VotePhase::kPrepare);
    ASSERT_EQ(prepares.size(), 1u);
    EXPECT_EQ(prepares[0].digest, block_digest(*prepared_block));
    EXPECT_EQ(prepares[0].view, View(1));
    // A fresh, different proposal for that height in view 1 is refused.
    fixture.receive(fixture.pre_prepare(fixture.block(1, 1, leader1, {}, 1, 9), 1, leader1));
    EXPECT_EQ(fixture.refused(Refusal::kConflictingPrePrepare), 1u);
  }
}

struct NewViewCase {
  std::string name;
  std::function<NewView(const ReplicaFixture&, const PreparedProof&)> build;
  Refusal refusal;
};

std::vector<NewViewCase> bad_new_view_cases() {
  using F = ReplicaFixture;
  const auto quorum = [](const F& f, const PreparedProof& proof) {
    const std::size_t leader1 = f.leader(View(1));
    const auto others = f.others(f.self(), leader1);
    return std::vector<ViewChange>{view_change(f, leader1, 1, {proof}),
                                   view_change(f, others[0], 1), view_change(f, f.self(), 1)};
  };
  return {
      {"a NEW-VIEW that omits the prepared block",
       [quorum](const F& f, const PreparedProof& proof) {
         NewView message = new_view(f, 1, quorum(f, proof));
         message.reproposals.clear();
         sign_new_view(f.config().chain_id, f.key(message.leader.value()), message);
         return message;
       },
       Refusal::kInvalidNewView},
      {"a NEW-VIEW that re-proposes a different block",
       [quorum](const F& f, const PreparedProof& proof) {
         NewView message = new_view(f, 1, quorum(f, proof));
         const BlockPtr other = f.block(1, 0, f.leader0(), {}, 1, 5);
         message.reproposals[0] = proof_for(f, other, 0, {0, 1, 2});
         sign_new_view(f.config().chain_id, f.key(message.leader.value()), message);
         return message;
       },
       Refusal::kInvalidNewView},
      {"a NEW-VIEW whose re-proposal has a certificate below quorum",
       [](const F& f, const PreparedProof&) {
         const BlockPtr weak = f.block(1, 0, f.leader0(), {}, 1, 6);
         const PreparedProof thin = proof_for(f, weak, 0, {f.leader0()});
         const std::size_t leader1 = f.leader(View(1));
         const auto others = f.others(f.self(), leader1);
         return new_view(f, 1,
                         {view_change(f, leader1, 1, {thin}), view_change(f, others[0], 1),
                          view_change(f, f.self(), 1)});
       },
       Refusal::kInvalidNewView},
      {"a NEW-VIEW with view changes from less than 2/3 of stake",
       [](const F& f, const PreparedProof&) {
         const std::size_t leader1 = f.leader(View(1));
         return new_view(f, 1, {view_change(f, leader1, 1), view_change(f, f.self(), 1)});
       },
       Refusal::kInvalidNewView},
      {"a NEW-VIEW holding a view change for another view",
       [](const F& f, const PreparedProof&) {
         const std::size_t leader1 = f.leader(View(1));
         const auto others = f.others(f.self(), leader1);
         return new_view(f, 1,
                         {view_change(f, leader1, 1), view_change(f, others[0], 2),
                          view_change(f, f.self(), 1)});
       },
       Refusal::kInvalidNewView},
      {"a NEW-VIEW from a validator that does not lead the view",
       [quorum](const F& f, const PreparedProof& proof) {
         NewView message = new_view(f, 1, quorum(f, proof));
         message.leader = ValidatorIndex(f.self());
         sign_new_view(f.config().chain_id, f.key(f.self()), message);
         return message;
       },
       Refusal::kWrongLeader},
      {"a NEW-VIEW with a forged leader signature",
       [quorum](const F& f, const PreparedProof& proof) {
         NewView message = new_view(f, 1, quorum(f, proof));
         message.signature = crypto::Signature();
         return message;
       },
       Refusal::kBadSignature},
      {"a NEW-VIEW for a stale view",
       [quorum](const F& f, const PreparedProof& proof) {
         NewView message = new_view(f, 1, quorum(f, proof));
         message.view = View(0);
         message.leader = ValidatorIndex(f.leader0());
         sign_new_view(f.config().chain_id, f.key(f.leader0()), message);
         return message;
       },
       Refusal::kStaleView},
  };
}

TEST(ViewChange, InconsistentNewViewsAreRefused) {
  for (const NewViewCase& test_case : bad_new_view_cases()) {
    SCOPED_TRACE(test_case.name);
    ReplicaFixture fixture(follower_options());
    const BlockPtr block = fixture.block(1, 0, fixture.leader0());
    const PreparedProof proof = proof_for(fixture, block, 0, {0, 1, 2});
    fixture.step(TimerFired{TimerKind::kView});
    fixture.receive(test_case.build(fixture, proof));
    EXPECT_EQ(fixture.refused(test_case.refusal), 1u);
    EXPECT_TRUE(fixture.replica().in_view_change());
  }
}

TEST(ViewChange, ConflictingNewViewForAnInstalledViewIsRefused) {
  ReplicaFixture fixture(follower_options());
  const std::size_t leader1 = fixture.leader(View(1));
  const auto others = fixture.others(fixture.self(), leader1);
  fixture.step(TimerFired{TimerKind::kView});
  const NewView first =
      new_view(fixture, 1,
               {view_change(fixture, leader1, 1), view_change(fixture, others[0], 1),
                view_change(fixture, fixture.self(), 1)});
  const NewView second =
      new_view(fixture, 1,
               {view_change(fixture, leader1, 1), view_change(fixture, others[1], 1),
                view_change(fixture, fixture.self(), 1)});
  fixture.receive(first);
  EXPECT_FALSE(fixture.replica().in_view_change());
  fixture.receive(first);
  EXPECT_EQ(fixture.refused(Refusal::kDuplicate), 1u);
  fixture.receive(second);
  EXPECT_EQ(fixture.refused(Refusal::kConflictingNewView), 1u);
}

TEST(ViewChange, StaleViewMessagesAreRefusedAfterTheViewChanges) {
  ReplicaFixture fixture(follower_options());
  const std::size_t leader1 = fixture.leader(View(1));
  const auto others = fixture.others(fixture.self(), leader1);
  fixture.step(TimerFired{TimerKind::kView});
  fixture.receive(new_view(fixture, 1,
                           {view_change(fixture, leader1, 1), view_change(fixture, others[0], 1),
                            view_change(fixture, fixture.self(), 1)}));
  ASSERT_EQ(fixture.replica().view(), View(1));
  const BlockPtr old_block = fixture.block(1, 0, fixture.leader0());
  fixture.receive(fixture.pre_prepare(old_block, 0, fixture.leader0()));
  fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 1, block_digest(*old_block), others[0]));
  fixture.receive(fixture.certificate_message(
      fixture.certificate(VotePhase::kPrepare, 0, 1, block_digest(*old_block), {0, 1, 2}),
      others[0]));
  fixture.receive(view_change(fixture, others[1], 1));
  EXPECT_EQ(fixture.refused(Refusal::kStaleView), 4u);
}

TEST(ViewChange, ForgedPreparedCertificateInViewChangeIsRefused) {
  ReplicaFixture probe;
  FixtureOptions options;
  options.self = probe.leader(View(1));
  ReplicaFixture fixture(options);
  const BlockPtr block = fixture.block(1, 0, fixture.leader0());
  PreparedProof proof = proof_for(fixture, block, 0, {0, 1, 2});
  auto forged = std::make_shared<Certificate>(*proof.prepare_certificate);
  forged->signatures[2].signature = forged->signatures[0].signature;
  proof.prepare_certificate = forged;
  const std::size_t sender = fixture.others(fixture.self(), fixture.self())[0];
  fixture.receive(view_change(fixture, sender, 1, {proof}));
  EXPECT_EQ(fixture.refused(Refusal::kInvalidViewChange), 1u);
  // A proof whose block is not the certified one.
  PreparedProof mismatched = proof_for(fixture, block, 0, {0, 1, 2});
  mismatched.block = fixture.block(1, 0, fixture.leader0(), {}, 1, 4);
  ViewChange change = view_change(fixture, sender, 1, {proof_for(fixture, block, 0, {0, 1, 2})});
  change.proofs[0] = mismatched;
  fixture.receive(change);
  EXPECT_EQ(fixture.refused(Refusal::kInvalidViewChange), 2u);
}

TEST(ViewChange, AWeakQuorumAskingForALaterViewIsJoined) {
  ReplicaFixture fixture(follower_options());
  const auto others = fixture.others(fixture.self(), fixture.self());
  fixture.receive(view_change(fixture, others[0], 1));
  EXPECT_FALSE(fixture.replica().in_view_change());
  const Actions actions = fixture.receive(view_change(fixture, others[1], 1));
  EXPECT_TRUE(fixture.replica().in_view_change());
  EXPECT_EQ(fixture.replica().view(), View(1));
  EXPECT_EQ(sent<ViewChange>(actions).size(), 1u);
}

TEST(ViewChange, MessagesForALaterViewWaitInABoundedBuffer) {
  FixtureOptions options = follower_options();
  options.max_buffered_messages = 2;
  ReplicaFixture fixture(options);
  const Hash256 digest = crypto::sha256("some block");
  const std::size_t voter = fixture.others(fixture.self(), fixture.self())[0];
  for (std::uint64_t height = 1; height <= 3; ++height) {
    fixture.receive(fixture.vote(VotePhase::kPrepare, 1, height, digest, voter));
  }
  EXPECT_EQ(fixture.refused(Refusal::kFutureViewBufferFull), 1u);
}

// Unsigned messages, and messages for views far ahead, are never held, so
// they cannot crowd out the honest messages of the view being entered.
TEST(ViewChange, OnlyAuthenticMessagesForTheNextViewAreHeld) {
  ReplicaFixture fixture(follower_options());
  const std::size_t leader1 = fixture.leader(View(1));
  const auto others = fixture.others(fixture.self(), leader1);
  for (std::uint64_t i = 0; i < 64; ++i) {
    Vote far;  // no signature at all
    far.phase = VotePhase::kPrepare;
    far.view = View(~0ULL - i);
    far.height = Height(1);
    far.voter = ValidatorIndex(others[0]);
    fixture.receive(far);
    Vote near = far;
    near.view = View(1);
    near.height = Height(1 + i % 16);
    near.voter = ValidatorIndex(i % 4);
    fixture.receive(near);
  }
  EXPECT_EQ(fixture.refused(Refusal::kFutureViewBufferFull), 64u);
  EXPECT_EQ(fixture.refused(Refusal::kBadSignature), 64u);
  fixture.step(TimerFired{TimerKind::kView});
  const BlockPtr block = fixture.block(1, 1, leader1);
  fixture.receive(fixture.pre_prepare(block, 1, leader1));
  EXPECT_EQ(fixture.refused(Refusal::kFutureViewBufferFull), 64u);
  const Actions actions = fixture.receive(
      new_view(fixture, 1,
               {view_change(fixture, leader1, 1), view_change(fixture, others[0], 1),
                view_change(fixture, fixture.self(), 1)}));
  const auto requests = actions_of<VerifyBlock>(actions);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(block_digest(*requests[0].block), block_digest(*block));
}

// One validator gets a share of the buffer by its stake (here a quarter of
// 64 messages), not all of it; a message held already is not held twice.
TEST(ViewChange, TheBufferForTheNextViewIsSharedByStakeAndDeduplicated) {
  ReplicaFixture fixture(follower_options());
  const auto others = fixture.others(fixture.self(), fixture.self());
  const Hash256 digest = crypto::sha256("some block");
  for (std::uint64_t height = 1; height <= 16; ++height) {
    fixture.receive(fixture.vote(VotePhase::kPrepare, 1, height, digest, others[0]));
  }
  EXPECT_EQ(fixture.refused(Refusal::kFutureViewBufferFull), 2u);
  fixture.receive(fixture.vote(VotePhase::kPrepare, 1, 1, digest, others[1]));
  fixture.receive(fixture.vote(VotePhase::kPrepare, 1, 1, digest, others[1]));
  EXPECT_EQ(fixture.refused(Refusal::kFutureViewBufferFull), 2u);
  EXPECT_EQ(fixture.refused(Refusal::kDuplicate), 1u);
}

TEST(ViewChange, VotesThatArriveBeforeTheNewViewCountAfterIt) {
  ReplicaFixture fixture(follower_options());
  const std::size_t leader1 = fixture.leader(View(1));
  const auto others = fixture.others(fixture.self(), leader1);
  const BlockPtr block = fixture.block(1, 0, fixture.leader0());
  const Hash256 digest = block_digest(*block);
  const PreparedProof proof = proof_for(fixture, block, 0, {0, 1, 2});
  fixture.step(TimerFired{TimerKind::kView});
  // Prepares of view 1 arrive first and wait.
  fixture.receive(fixture.vote(VotePhase::kPrepare, 1, 1, digest, leader1));
  fixture.receive(fixture.vote(VotePhase::kPrepare, 1, 1, digest, others[0]));
  fixture.receive(
      new_view(fixture, 1,
               {view_change(fixture, leader1, 1, {proof}), view_change(fixture, others[0], 1),
                view_change(fixture, fixture.self(), 1)}));
  const Actions actions = fixture.step(BlockVerified{digest, true, std::nullopt, ""});
  // Its own PREPARE completes the quorum at once: it sends its COMMIT.
  EXPECT_EQ(votes_sent(actions, VotePhase::kCommit).size(), 1u);
}

// The others' VIEW-CHANGEs for the replica's current view: with its own, a
// quorum, so its timer may move it on.
void hold_view_change_quorum(ReplicaFixture& f) {
  const std::uint64_t current = f.replica().view().value();
  const auto others = f.others(f.self(), f.leader(View(current)));
  for (std::size_t i = 0; i < 2; ++i) f.receive(view_change(f, others[i], current));
}

TEST(ViewChange, TimeoutDoublesPerFailedViewAndIsCapped) {
  ReplicaFixture fixture(follower_options());
  const std::uint64_t base = fixture.replica().view_timeout_ms();
  EXPECT_EQ(base, fixture.config().timeout_min_ms);
  std::uint64_t expected = base;
  for (int failed = 1; failed <= 12; ++failed) {
    const Actions actions = fixture.step(TimerFired{TimerKind::kView});
    expected = std::min(expected * 2, fixture.config().timeout_max_ms);
    EXPECT_EQ(fixture.replica().view_timeout_ms(), expected);
    const auto timers = actions_of<StartTimer>(actions);
    ASSERT_FALSE(timers.empty());
    EXPECT_EQ(timers.back().duration_ms, expected);
    hold_view_change_quorum(fixture);
  }
  EXPECT_EQ(fixture.replica().view_timeout_ms(), fixture.config().timeout_max_ms);
}

}  // namespace
}  // namespace aethel::consensus::testing

namespace aethel::consensus::testing {
namespace {

TEST(ViewChange, PatienceBeyondTheTimerCapResendsTheViewChangeInsteadOfLeaving) {
  ReplicaFixture fixture(follower_options());
  // Timeouts: 1 s doubling to the 120 s cap after 7 failed views.
  for (int failed = 1; failed <= 7; ++failed) {
    fixture.step(TimerFired{TimerKind::kView});
    hold_view_change_quorum(fixture);
  }
  ASSERT_EQ(fixture.replica().view(), View(7));
  EXPECT_EQ(fixture.replica().view_timeout_ms(), fixture.config().timeout_max_ms);
  // Patience in view 7 is 128 s: two timers of at most 120 s. The first
  // expiry resends the VIEW-CHANGE for view 7, the second leaves the view.
  const Actions first = fixture.step(TimerFired{TimerKind::kView});
  EXPECT_EQ(fixture.replica().view(), View(7));
  const auto resent = sent<ViewChange>(first);
  ASSERT_EQ(resent.size(), 1u);
  EXPECT_EQ(resent[0].signed_summary.summary.new_view, View(7));
  fixture.step(TimerFired{TimerKind::kView});
  EXPECT_EQ(fixture.replica().view(), View(8));
  hold_view_change_quorum(fixture);
  // In view 8 the patience is 256 s: three timers.
  fixture.step(TimerFired{TimerKind::kView});
  fixture.step(TimerFired{TimerKind::kView});
  EXPECT_EQ(fixture.replica().view(), View(8));
  fixture.step(TimerFired{TimerKind::kView});
  EXPECT_EQ(fixture.replica().view(), View(9));
}

// However many views failed, a replica gives up on a view after at most 16
// timers of timeout_max_ms (sending its VIEW-CHANGE again after each).
TEST(ViewChange, PatienceIsCappedAtSixteenLongestTimers) {
  ReplicaFixture fixture(follower_options());
  for (int failed = 1; failed <= 30; ++failed) {
    const std::uint64_t before = fixture.replica().view().value();
    int timers = 0;
    while (fixture.replica().view().value() == before) {
      fixture.step(TimerFired{TimerKind::kView});
      ++timers;
      ASSERT_LE(timers, 16) << "view " << before;
    }
    hold_view_change_quorum(fixture);
  }
}

TEST(ViewChange, TheNewLeaderSendsItsNewViewAgainToAReplicaThatMissedIt) {
  ReplicaFixture probe;
  FixtureOptions options;
  options.self = probe.leader(View(1));
  if (*options.self == probe.leader0()) GTEST_SKIP() << "views 0 and 1 share a leader";
  ReplicaFixture fixture(options);
  fixture.step(TimerFired{TimerKind::kView});
  const auto others = fixture.others(fixture.self(), fixture.self());
  fixture.receive(view_change(fixture, others[0], 1));
  const Actions sent_new_view = fixture.receive(view_change(fixture, others[1], 1));
  ASSERT_EQ(sent<NewView>(sent_new_view).size(), 1u);
  // others[0] missed it and asks again with the same VIEW-CHANGE.
  const Actions again = fixture.receive(view_change(fixture, others[0], 1));
  const auto sends = actions_of<Send>(again);
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_EQ(sends[0].to.value(), others[0]);
  EXPECT_TRUE(std::holds_alternative<NewView>(*sends[0].message));
}

// PBFT: a replica whose VIEW-CHANGE nobody joins stays one view ahead,
// sending it again every timeout, instead of racing through views alone.
TEST(ViewChange, ALoneReplicaWaitsOneViewAheadUntilAQuorumAsks) {
  ReplicaFixture fixture(follower_options());
  fixture.step(TimerFired{TimerKind::kView});
  ASSERT_EQ(fixture.replica().view(), View(1));
  for (int i = 0; i < 5; ++i) {
    const Actions actions = fixture.step(TimerFired{TimerKind::kView});
    const auto resent = sent<ViewChange>(actions);
    ASSERT_EQ(resent.size(), 1u);
    EXPECT_EQ(resent[0].signed_summary.summary.new_view, View(1));
    EXPECT_EQ(actions_of<StartTimer>(actions).size(), 1u);
  }
  EXPECT_EQ(fixture.replica().view(), View(1));
  EXPECT_TRUE(fixture.replica().in_view_change());
}

// VIEW-CHANGEs for different later views count together toward the weak
// quorum; the replica joins the smallest of those views.
TEST(ViewChange, ViewChangesForDifferentLaterViewsCountTogether) {
  ReplicaFixture fixture(follower_options());
  const auto others = fixture.others(fixture.self(), fixture.self());
  fixture.receive(view_change(fixture, others[0], 5));
  EXPECT_EQ(fixture.replica().view(), View(0));
  fixture.receive(view_change(fixture, others[1], 3));
  EXPECT_EQ(fixture.replica().view(), View(3));
  EXPECT_TRUE(fixture.replica().in_view_change());
}

// A forged VIEW-CHANGE (a sender index and no valid signature) costs the
// leader no NEW-VIEW; a real one gets it again once, not on every copy.
TEST(ViewChange, TheNewViewIsSentAgainOnlyOnceAndOnlyForASignedViewChange) {
  ReplicaFixture probe;
  FixtureOptions options;
  options.self = probe.leader(View(1));
  if (*options.self == probe.leader0()) GTEST_SKIP() << "views 0 and 1 share a leader";
  ReplicaFixture fixture(options);
  fixture.step(TimerFired{TimerKind::kView});
  const auto others = fixture.others(fixture.self(), fixture.self());
  fixture.receive(view_change(fixture, others[0], 1));
  ASSERT_EQ(sent<NewView>(fixture.receive(view_change(fixture, others[1], 1))).size(), 1u);
  ViewChange forged = view_change(fixture, others[2], 1);
  forged.signed_summary.signature = view_change(fixture, others[0], 1).signed_summary.signature;
  EXPECT_TRUE(actions_of<Send>(fixture.receive(forged)).empty());
  EXPECT_EQ(fixture.refused(Refusal::kBadSignature), 1u);
  EXPECT_EQ(actions_of<Send>(fixture.receive(view_change(fixture, others[0], 1))).size(), 1u);
  EXPECT_TRUE(actions_of<Send>(fixture.receive(view_change(fixture, others[0], 1))).empty());
  EXPECT_EQ(fixture.refused(Refusal::kDuplicate), 1u);
}

// VIEW-CHANGEs asking for a view far ahead (here the last view number,
// whose successor does not exist) are refused, not joined.
TEST(ViewChange, AViewChangeFarAheadIsNotJoined) {
  ReplicaFixture fixture(follower_options());
  const auto others = fixture.others(fixture.self(), fixture.self());
  const std::uint64_t last_view = ~0ULL;
  fixture.receive(view_change(fixture, others[0], last_view));
  fixture.receive(view_change(fixture, others[1], last_view));
  EXPECT_EQ(fixture.replica().view(), View(0));
  EXPECT_FALSE(fixture.replica().in_view_change());
  EXPECT_EQ(fixture.refused(Refusal::kInvalidViewChange), 2u);
  // Timeouts still move it on normally.
  fixture.step(TimerFired{TimerKind::kView});
  EXPECT_EQ(fixture.replica().view(), View(1));
}

// A replica restored at the last view number has no next view: its timer
// keeps it there, resending its VIEW-CHANGE, instead of aborting.
TEST(ViewChange, TheLastViewNumberIsKeptNotOverflowed) {
  FixtureOptions options = follower_options();
  options.restored.view = View(~0ULL);
  options.restored.last_view_change = View(~0ULL);
  ReplicaFixture fixture(options);
  for (int i = 0; i < 3; ++i) {
    const Actions actions = fixture.step(TimerFired{TimerKind::kView});
    EXPECT_FALSE(actions_of<StartTimer>(actions).empty());
  }
  EXPECT_EQ(fixture.replica().view(), View(~0ULL));
}

// The new leader crashes after sending its VIEW-CHANGE and before its
// NEW-VIEW: restarted, it resumes the view change, so the others'
// VIEW-CHANGEs for its view still make it send the NEW-VIEW.
TEST(ViewChange, ARestartedNewLeaderStillSendsItsNewView) {
  ReplicaFixture probe;
  FixtureOptions options;
  options.self = probe.leader(View(1));
  if (*options.self == probe.leader0()) GTEST_SKIP() << "views 0 and 1 share a leader";
  ReplicaFixture fixture(options);
  fixture.step(TimerFired{TimerKind::kView});
  ASSERT_TRUE(fixture.replica().in_view_change());
  const PersistentStatePtr persisted = fixture.last_persisted();
  ASSERT_NE(persisted, nullptr);
  fixture.build(*persisted);
  EXPECT_EQ(fixture.replica().view(), View(1));
  EXPECT_TRUE(fixture.replica().in_view_change());
  const auto others = fixture.others(fixture.self(), fixture.self());
  fixture.receive(view_change(fixture, others[0], 1));
  const Actions actions = fixture.receive(view_change(fixture, others[1], 1));
  EXPECT_EQ(sent<NewView>(actions).size(), 1u);
  EXPECT_FALSE(fixture.replica().in_view_change());
}

// A replica restarted in the middle of a view change sends its VIEW-CHANGE
// again and votes in the view only after that view's NEW-VIEW.
TEST(ViewChange, AReplicaRestartedInAViewChangeWaitsForTheNewView) {
  ReplicaFixture fixture(follower_options());
  fixture.step(TimerFired{TimerKind::kView});
  fixture.build(*fixture.last_persisted());
  EXPECT_TRUE(fixture.replica().in_view_change());
  const std::size_t leader1 = fixture.leader(View(1));
  const auto others = fixture.others(fixture.self(), leader1);
  const BlockPtr block = fixture.block(1, 1, leader1);
  Actions actions = fixture.receive(fixture.pre_prepare(block, 1, leader1));
  EXPECT_TRUE(actions_of<VerifyBlock>(actions).empty());
  actions = fixture.receive(
      new_view(fixture, 1,
               {view_change(fixture, leader1, 1), view_change(fixture, others[0], 1),
                view_change(fixture, fixture.self(), 1)}));
  EXPECT_FALSE(fixture.replica().in_view_change());
  EXPECT_EQ(actions_of<VerifyBlock>(actions).size(), 1u);
}

}  // namespace
}  // namespace aethel::consensus::testing

namespace aethel::consensus::testing {
namespace {

// With many validators of small stake the per-signer floors (4 messages)
// add up to more than the whole buffer. Validators holding less than a
// third of the stake fill at most three quarters of it; the quarter left
// still takes the next leader's PRE-PREPARE and a prepare certificate,
// which are what entering the view needs.
TEST(ViewChange, ManySmallSignersLeaveRoomForTheNextLeaderAndCertificates) {
  FixtureOptions options;
  options.validators = 100;
  options.max_buffered_messages = 64;
  ReplicaFixture probe(options);
  const std::size_t leader1 = probe.leader(View(1));
  options.self = probe.others(leader1, probe.leader0())[0];
  ReplicaFixture fixture(options);
  const Hash256 digest = crypto::sha256("a block of view 1");
  // 33 validators (a third of the stake is 34) other than the replica and
  // the next leader, each sending its floor of PREPAREs for view 1 and one
  // more.
  std::vector<std::size_t> minority = fixture.others(fixture.self(), leader1);
  minority.resize(33);
  std::size_t sent_votes = 0;
  for (std::size_t voter : minority) {
    for (std::uint64_t height = 1; height <= 5; ++height) {
      fixture.receive(fixture.vote(VotePhase::kPrepare, 1, height, digest, voter));
      ++sent_votes;
    }
  }
  const std::size_t held = fixture.replica().held_items().future_messages;
  EXPECT_EQ(held, 48u);  // three quarters of 64
  EXPECT_EQ(fixture.refused(Refusal::kFutureViewBufferFull), sent_votes - held);
  // The next leader's proposal and a certificate still find room.
  const BlockPtr block = fixture.block(1, 1, leader1);
  fixture.receive(fixture.pre_prepare(block, 1, leader1));
  std::vector<std::size_t> quorum = fixture.others(fixture.self(), fixture.self());
  quorum.resize(67);
  fixture.receive(fixture.certificate_message(
      fixture.certificate(VotePhase::kPrepare, 1, 1, block_digest(*block), quorum), quorum[0]));
  EXPECT_EQ(fixture.replica().held_items().future_messages, held + 2);
  EXPECT_EQ(fixture.refused(Refusal::kFutureViewBufferFull), sent_votes - held);
  EXPECT_EQ(fixture.replica().stats().refused_total(), sent_votes - held);
}

}  // namespace
}  // namespace aethel::consensus::testing
