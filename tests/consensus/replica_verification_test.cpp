// The replica's side of VerifyBlock / BlockVerified: answers left undecided
// for a reason of the node's own are asked again later (at a bounded rate),
// requests for far heights cannot crowd out the next height, and votes for a
// block found false become FalseVerdictVoteEvidence against their voters.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "tests/consensus/replica_fixture.h"

namespace aethel::consensus::testing {
namespace {

std::vector<Hash256> asked(const Actions& actions) {
  std::vector<Hash256> digests;
  for (const VerifyBlock& request : actions_of<VerifyBlock>(actions)) {
    digests.push_back(block_digest(*request.block));
  }
  return digests;
}

template <class E>
std::vector<E> reported(const Actions& actions) {
  std::vector<E> result;
  for (const ReportEvidence& report : actions_of<ReportEvidence>(actions)) {
    if (const auto* typed = std::get_if<E>(&*report.evidence)) result.push_back(*typed);
  }
  return result;
}

// Prepares and commits of two other validators: with this replica's own,
// a quorum of four equal stakes.
Actions commit_with_others(ReplicaFixture& f, std::uint64_t height, const Hash256& digest) {
  Actions all;
  const auto voters = f.others(f.self(), f.leader0());
  for (const VotePhase phase : {VotePhase::kPrepare, VotePhase::kCommit}) {
    for (const std::size_t voter : {f.leader0(), voters[0]}) {
      for (Action& action : f.receive(f.vote(phase, 0, height, digest, voter))) {
        all.push_back(std::move(action));
      }
    }
  }
  return all;
}

// ---------------------------------------------------------------------------
// "Undecided here"

TEST(UndecidedAnswer, LeavesTheSlotOpenWithoutEvidenceAndAsksAgainLater) {
  ReplicaFixture fixture;
  const BlockPtr proposed = fixture.block(1, 0, fixture.leader0());
  const Hash256 digest = block_digest(*proposed);
  ASSERT_EQ(asked(fixture.receive(fixture.pre_prepare(proposed, 0, fixture.leader0()))).size(), 1u);

  const Actions undecided =
      fixture.step(BlockVerified::undecided_here(digest, "payload not here yet"));
  EXPECT_TRUE(votes_sent(undecided, VotePhase::kPrepare).empty());
  EXPECT_TRUE(actions_of<ReportEvidence>(undecided).empty());
  EXPECT_TRUE(sent<ViewChange>(undecided).empty());
  EXPECT_EQ(fixture.replica().stats().verifications_undecided, 1u);
  // A timer makes sure the replica asks again even if nothing else arrives.
  const auto timers = actions_of<StartTimer>(undecided);
  ASSERT_EQ(timers.size(), 1u);
  EXPECT_EQ(timers[0].timer, TimerKind::kVerification);
  EXPECT_EQ(timers[0].duration_ms, fixture.config().verification_retry_min_ms);

  // Not in a loop: messages before the wait is over do not ask again.
  const std::size_t bystander = fixture.others(fixture.self(), fixture.leader0())[1];
  EXPECT_TRUE(
      asked(fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 1, digest, bystander))).empty());
  fixture.now_ms += fixture.config().verification_retry_min_ms - 1;
  EXPECT_TRUE(asked(fixture.step(TimerFired{TimerKind::kVerification})).empty());

  fixture.now_ms += 1;
  const Actions again = fixture.step(TimerFired{TimerKind::kVerification});
  ASSERT_EQ(asked(again), std::vector<Hash256>{digest});
  EXPECT_EQ(fixture.replica().stats().verifications_asked_again, 1u);

  const Actions verified = fixture.step(BlockVerified::valid(digest));
  ASSERT_EQ(votes_sent(verified, VotePhase::kPrepare).size(), 1u);
  const Actions committed = commit_with_others(fixture, 1, digest);
  EXPECT_EQ(actions_of<DeliverBlock>(committed).size(), 1u);
  EXPECT_EQ(fixture.replica().stats().refused_total(), 0u);
}

// However often the replica is stepped, one digest is asked again at most
// once per wait, and the wait doubles up to verification_retry_max_ms.
TEST(UndecidedAnswer, WaitDoublesAndBoundsHowOftenADigestIsAsked) {
  ReplicaFixture fixture;
  const BlockPtr proposed = fixture.block(1, 0, fixture.leader0());
  const Hash256 digest = block_digest(*proposed);
  fixture.receive(fixture.pre_prepare(proposed, 0, fixture.leader0()));
  std::vector<std::uint64_t> asked_at{fixture.now_ms};
  fixture.step(BlockVerified::undecided_here(digest, "time guard"));
  const std::uint64_t end_ms = fixture.now_ms + 10'000;
  while (fixture.now_ms < end_ms) {
    fixture.now_ms += 10;  // a trigger every 10 ms
    if (!asked(fixture.step(TimerFired{TimerKind::kVerification})).empty()) {
      asked_at.push_back(fixture.now_ms);
      fixture.step(BlockVerified::undecided_here(digest, "time guard"));
    }
  }
  const std::uint64_t min_ms = fixture.config().verification_retry_min_ms;
  const std::uint64_t max_ms = fixture.config().verification_retry_max_ms;
  ASSERT_GE(asked_at.size(), 6u);
  EXPECT_LE(asked_at.size(), 1 + 10'000 / min_ms);
  std::vector<std::uint64_t> gaps;
  for (std::size_t i = 1; i < asked_at.size(); ++i) gaps.push_back(asked_at[i] - asked_at[i - 1]);
  EXPECT_EQ(gaps[0], min_ms);
  EXPECT_EQ(gaps[1], 2 * min_ms);
  EXPECT_EQ(gaps[2], 4 * min_ms);
  for (std::size_t i = 1; i < gaps.size(); ++i) {
    EXPECT_GE(gaps[i], gaps[i - 1]);
    EXPECT_LE(gaps[i], max_ms);
  }
  EXPECT_EQ(gaps.back(), max_ms);
  EXPECT_EQ(fixture.replica().stats().verifications_undecided, asked_at.size());
}

// `undecided` wins over `ok` and over a claim index: a node that cannot
// decide neither votes nor accuses.
TEST(UndecidedAnswer, IsNeitherAVoteNorAnAccusationWhateverElseItSays) {
  for (const bool ok : {true, false}) {
    SCOPED_TRACE(ok);
    ReplicaFixture fixture;
    const BlockPtr proposed = fixture.block(1, 0, fixture.leader0(), {}, 3);
    const Hash256 digest = block_digest(*proposed);
    fixture.receive(fixture.pre_prepare(proposed, 0, fixture.leader0()));
    const Actions actions = fixture.step(BlockVerified{digest, ok, 2, "mixed", true});
    EXPECT_TRUE(votes_sent(actions, VotePhase::kPrepare).empty());
    EXPECT_TRUE(actions_of<ReportEvidence>(actions).empty());
    EXPECT_TRUE(sent<ViewChange>(actions).empty());
    EXPECT_EQ(fixture.replica().stats().verifications_undecided, 1u);
  }
}

// A far height left undecided (the node's queue of held blocks was full) is
// asked again once it is the next height, and then voted for.
TEST(UndecidedAnswer, FarHeightIsAskedAgainWhenItBecomesNext) {
  ReplicaFixture fixture;
  const std::size_t leader = fixture.leader0();
  const BlockPtr first = fixture.block(1, 0, leader);
  const Hash256 first_digest = block_digest(*first);
  const BlockPtr second = fixture.block(2, 0, leader, first_digest);
  const Hash256 second_digest = block_digest(*second);
  ASSERT_EQ(asked(fixture.receive(fixture.pre_prepare(second, 0, leader))),
            std::vector<Hash256>{second_digest});
  fixture.step(BlockVerified::undecided_here(second_digest, "held queue is full"));

  fixture.receive(fixture.pre_prepare(first, 0, leader));
  fixture.step(BlockVerified::valid(first_digest));
  fixture.now_ms += fixture.config().verification_retry_min_ms;
  const Actions committed = commit_with_others(fixture, 1, first_digest);
  ASSERT_EQ(actions_of<DeliverBlock>(committed).size(), 1u);
  ASSERT_EQ(asked(committed), std::vector<Hash256>{second_digest});
  EXPECT_EQ(
      votes_sent(fixture.step(BlockVerified::valid(second_digest)), VotePhase::kPrepare).size(),
      1u);
}

// Whole clusters whose applications answer "undecided" twice for every
// block (a payload that arrives late everywhere): the verification timer
// asks again even though no message arrives meanwhile, and blocks commit.
TEST(UndecidedAnswer, ClusterWhoseApplicationsHesitateStillCommits) {
  for (const VotePattern pattern : {VotePattern::kAllToAll, VotePattern::kCollector}) {
    SCOPED_TRACE(vote_pattern_name(pattern));
    ClusterOptions options = cluster_options(4, pattern);
    options.trace_votes = false;
    Cluster cluster(options);
    for (std::size_t i = 0; i < cluster.size(); ++i) cluster.make_undecided(i, 2);
    cluster.start();
    ASSERT_TRUE(cluster.run_until_committed(6, 60'000)) << cluster.trace_text();
    EXPECT_TRUE(cluster.evidence().empty());
    EXPECT_TRUE(cluster.double_signs().empty());
    std::uint64_t undecided = 0;
    std::uint64_t views = 0;
    for (std::size_t i = 0; i < cluster.size(); ++i) {
      undecided += cluster.replica(i).stats().verifications_undecided;
      views = std::max(views, cluster.replica(i).view().value());
      EXPECT_EQ(cluster.committed(i), cluster.committed(0));
    }
    EXPECT_GE(undecided, 6u);
    EXPECT_EQ(views, 0u) << "the hesitation cost a view change";
  }
}

// ---------------------------------------------------------------------------
// The limit of requests in flight

// A leader's proposals for far heights, which the application holds until
// their parent executes, fill only part of the limit: the next height is
// still asked about, verified and committed, and the one after it too.
TEST(VerificationLimit, FarHeightsDoNotCrowdOutTheNextHeight) {
  FixtureOptions options;
  options.max_pending_verifications = 4;  // a reserve of 1
  ReplicaFixture fixture(options);
  const std::size_t leader = fixture.leader0();
  std::size_t far_requests = 0;
  for (std::uint64_t height = 3; height <= 12; ++height) {
    const BlockPtr far = fixture.block(height, 0, leader, crypto::sha256("held"));
    far_requests += asked(fixture.receive(fixture.pre_prepare(far, 0, leader))).size();
  }
  EXPECT_EQ(far_requests, 3u);
  EXPECT_EQ(fixture.replica().stats().verifications_deferred, 7u);

  Hash256 parent;
  for (std::uint64_t height = 1; height <= 2; ++height) {
    SCOPED_TRACE(height);
    const BlockPtr next = fixture.block(height, 0, leader, parent);
    const Hash256 digest = block_digest(*next);
    ASSERT_EQ(asked(fixture.receive(fixture.pre_prepare(next, 0, leader))),
              std::vector<Hash256>{digest});
    fixture.step(BlockVerified::valid(digest));
    ASSERT_EQ(actions_of<DeliverBlock>(commit_with_others(fixture, height, digest)).size(), 1u);
    parent = digest;
  }
  EXPECT_EQ(fixture.replica().committed_height(), Height(2));
}

// A stable checkpoint forgets the requests at and below it; those above keep
// their heights, so the limit and its reserve count exactly what is left.
TEST(VerificationLimit, StableCheckpointForgetsRequestsBelowIt) {
  FixtureOptions options;
  options.max_pending_verifications = 5;  // 4 for far heights, 1 reserved
  ReplicaFixture fixture(options);
  const std::size_t leader = fixture.leader0();
  const BlockPtr stray = fixture.block(3, 0, leader, crypto::sha256("elsewhere"));
  std::size_t far_requests = asked(fixture.receive(fixture.pre_prepare(stray, 0, leader))).size();
  for (std::uint64_t height = 5; height <= 7; ++height) {
    const BlockPtr far = fixture.block(height, 0, leader, crypto::sha256("held"));
    far_requests += asked(fixture.receive(fixture.pre_prepare(far, 0, leader))).size();
  }
  ASSERT_EQ(far_requests, 4u);

  // Heights 1..4 arrive through sync, each asked about with the one
  // reserved request, and a checkpoint at 4 becomes stable.
  Hash256 parent;
  for (std::uint64_t height = 1; height <= 4; ++height) {
    const BlockPtr block = fixture.block(height, 0, leader, parent, 1, /*salt=*/50);
    const Hash256 digest = block_digest(*block);
    const Actions synced = fixture.step(
        SyncedBlock{block, fixture.certificate(VotePhase::kCommit, 0, height, digest, {0, 1, 2})});
    ASSERT_EQ(asked(synced), std::vector<Hash256>{digest}) << height;
    fixture.step(BlockVerified::valid(digest));
    parent = digest;
  }
  ASSERT_EQ(fixture.replica().committed_height(), Height(4));
  const Hash256 state = crypto::sha256("state at 4");
  fixture.step(Executed{Height(4), state});
  for (const std::size_t voter : fixture.others(fixture.self(), leader)) {
    fixture.receive(fixture.vote(VotePhase::kCheckpoint, 0, 4, state, voter));
  }
  fixture.receive(fixture.vote(VotePhase::kCheckpoint, 0, 4, state, leader));
  ASSERT_EQ(fixture.replica().stable_checkpoint_height(), Height(4));

  // Left in flight: 5 (now the next height), 6 and 7. Two more far heights
  // fit under the limit of 5, not three.
  std::size_t later_requests = 0;
  for (std::uint64_t height = 9; height <= 12; ++height) {
    const BlockPtr far = fixture.block(height, 0, leader, crypto::sha256("held"));
    later_requests += asked(fixture.receive(fixture.pre_prepare(far, 0, leader))).size();
  }
  EXPECT_EQ(later_requests, 2u);
  // The stray's answer comes after it was forgotten.
  fixture.step(BlockVerified::valid(block_digest(*stray)));
  EXPECT_EQ(fixture.refused(Refusal::kUnexpected), 1u);
}

// ---------------------------------------------------------------------------
// Votes for a block found false

TEST(FalseVerdictVotes, VotesBeforeAndAfterTheAnswerAreReportedOncePerVoter) {
  ReplicaFixture fixture;
  const std::size_t leader = fixture.leader0();
  const auto voters = fixture.others(fixture.self(), leader);
  const std::size_t early = voters[0];
  const std::size_t late = voters[1];
  const BlockPtr proposed = fixture.block(1, 0, leader, {}, 3);
  const Hash256 digest = block_digest(*proposed);
  fixture.receive(fixture.pre_prepare(proposed, 0, leader));
  fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 1, digest, leader));
  fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 1, digest, early));

  const Actions answered = fixture.step(BlockVerified::false_claim(digest, 2, "claim 2 is false"));
  EXPECT_EQ(reported<FalseClaimEvidence>(answered).size(), 1u);
  auto votes = reported<FalseVerdictVoteEvidence>(answered);
  ASSERT_EQ(votes.size(), 1u) << "the proposer's own vote is its false claim, not another offence";
  EXPECT_EQ(votes[0].vote.voter.value(), early);
  EXPECT_EQ(votes[0].claim_index, 2u);
  EXPECT_EQ(block_digest(votes[0].block), digest);
  ASSERT_EQ(sent<ViewChange>(answered).size(), 1u);  // the replica left view 0

  // Later votes of view 0 are stale now, and still reported, once per voter.
  Vote forged = fixture.vote(VotePhase::kCommit, 0, 1, digest, late);
  forged.signature = fixture.vote(VotePhase::kCommit, 0, 1, digest, early).signature;
  Actions later = fixture.receive(forged);
  for (const auto& message : {fixture.vote(VotePhase::kCommit, 0, 1, digest, early),
                              fixture.vote(VotePhase::kPrepare, 0, 1, digest, late),
                              fixture.vote(VotePhase::kCommit, 0, 1, digest, late),
                              fixture.vote(VotePhase::kCommit, 0, 1, digest, leader)}) {
    for (Action& action : fixture.receive(message)) later.push_back(std::move(action));
  }
  const auto late_votes = reported<FalseVerdictVoteEvidence>(later);
  ASSERT_EQ(late_votes.size(), 1u);
  EXPECT_EQ(late_votes[0].vote.voter.value(), late);
  EXPECT_EQ(late_votes[0].vote.phase, VotePhase::kPrepare);
  votes.push_back(late_votes[0]);
  for (const FalseVerdictVoteEvidence& evidence : votes) {
    EXPECT_TRUE(verify_evidence(fixture.config().chain_id, fixture.validators(), evidence));
  }
  EXPECT_EQ(fixture.replica().stats().evidence_reported, 3u);
}

// A block found invalid for another reason, or undecided, accuses nobody.
TEST(FalseVerdictVotes, OnlyAFalseClaimMakesVotesEvidence) {
  for (const bool undecided : {true, false}) {
    SCOPED_TRACE(undecided);
    ReplicaFixture fixture;
    const std::size_t leader = fixture.leader0();
    const std::size_t voter = fixture.others(fixture.self(), leader)[0];
    const BlockPtr proposed = fixture.block(1, 0, leader, {}, 3);
    const Hash256 digest = block_digest(*proposed);
    fixture.receive(fixture.pre_prepare(proposed, 0, leader));
    Actions actions = fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 1, digest, voter));
    for (Action& action :
         fixture.step(undecided ? BlockVerified::undecided_here(digest, "payload not here")
                                : BlockVerified::invalid(digest, "payload does not apply"))) {
      actions.push_back(std::move(action));
    }
    for (Action& action : fixture.receive(fixture.vote(VotePhase::kCommit, 0, 1, digest, voter))) {
      actions.push_back(std::move(action));
    }
    EXPECT_TRUE(actions_of<ReportEvidence>(actions).empty());
  }
}

// Only the last max_remembered_false_blocks blocks found false are kept.
TEST(FalseVerdictVotes, OldestFalseBlocksAreForgotten) {
  for (const std::uint32_t remembered : {1u, 2u}) {
    SCOPED_TRACE(remembered);
    FixtureOptions options;
    options.max_remembered_false_blocks = remembered;
    ReplicaFixture fixture(options);
    const std::size_t leader = fixture.leader0();
    const std::size_t voter = fixture.others(fixture.self(), leader)[0];
    std::vector<Hash256> digests;
    for (std::uint64_t height = 1; height <= 2; ++height) {
      const BlockPtr block = fixture.block(height, 0, leader, {}, 2);
      const Hash256 digest = block_digest(*block);
      fixture.step(SyncedBlock{
          block, fixture.certificate(VotePhase::kCommit, 0, height, digest, {0, 1, 2})});
      fixture.step(BlockVerified::false_claim(digest, 1, "claim 1 is false"));
      digests.push_back(digest);
    }
    const auto first = reported<FalseVerdictVoteEvidence>(
        fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 1, digests[0], voter)));
    const auto second = reported<FalseVerdictVoteEvidence>(
        fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 2, digests[1], voter)));
    EXPECT_EQ(first.size(), remembered >= 2 ? 1u : 0u);
    EXPECT_EQ(second.size(), 1u);
    EXPECT_EQ(fixture.replica().held_items().false_blocks, remembered);
  }
}

}  // namespace
}  // namespace aethel::consensus::testing
