// Whole simulations with named faults: determinism, safety with a Byzantine
// majority, partitions, crashes, and every strategy below one third.
#include <gtest/gtest.h>

#include <algorithm>

#include "sim/report.h"
#include "tests/sim/sim_test_support.h"

namespace aethel::sim {
namespace {

using testing::describe_failure;
using testing::run_or_fail;
using testing::small_options;

TEST(SimRun, HonestNetworkCommitsEveryBlock) {
  auto options = small_options(4, 1);
  const auto result = run_or_fail(options);
  EXPECT_TRUE(result.invariants_ok()) << describe_failure(result);
  ASSERT_TRUE(result.liveness_ok.has_value());
  EXPECT_TRUE(*result.liveness_ok);
  EXPECT_EQ(result.honest_min_height, 5u);
  EXPECT_GE(result.blocks_committed, 5u);
  // Four steps of about 55 ms one way, plus the verification of 16 proofs.
  EXPECT_GT(result.finality_us_p50, 150'000u);
  EXPECT_LT(result.finality_us_p50, 400'000u);
}

TEST(SimRun, SameSeedSameTraceAcrossCrashesAndLoss) {
  auto options = small_options(7, 21);
  options.byzantine = 2;
  options.strategies = {Strategy::kSilent, Strategy::kReplay};
  options.loss_ppm = 20'000;
  options.duplicate_ppm = 20'000;
  options.crashes.push_back({0, 300, 2'500});
  options.crashes.push_back({3, 700, 1'200});
  const auto first = run_or_fail(options);
  const auto second = run_or_fail(options);
  EXPECT_EQ(first.trace_hash, second.trace_hash);
  EXPECT_EQ(first.events, second.events);
  EXPECT_TRUE(first.invariants_ok()) << describe_failure(first);
  options.seed = 22;
  const auto other = run_or_fail(options);
  EXPECT_NE(first.trace_hash, other.trace_hash);
}

TEST(SimRun, SameSeedGivesIdenticalJsonButForWallTimeAndMemory) {
  auto options = small_options(10, 5);
  options.byzantine = 3;
  options.strategies = {Strategy::kEquivocate, Strategy::kConflictingVotes, Strategy::kMalformed};
  options.partitions.push_back({200, 1'500, {0, 1, 2}});
  auto first = result_to_json(run_or_fail(options));
  auto second = result_to_json(run_or_fail(options));
  for (auto* json : {&first, &second}) {
    json->erase("wall_s");
    json->erase("peak_rss_mb");
  }
  EXPECT_EQ(first.dump(), second.dump());
}

TEST(SimRun, ByzantineMajorityVotingForFalseVerdictsNeverCommitsOne) {
  // 51% of the nodes propose and vote for blocks with false verdicts; they
  // are short of a quorum (more than 2/3), so no false block is ever final.
  for (std::uint64_t seed : {1, 2, 3}) {
    auto options = small_options(10, seed);
    options.byzantine = 6;
    options.strategies = {Strategy::kVoteInvalid};
    options.max_sim_ms = 60'000;
    const auto result = run_or_fail(options);
    EXPECT_TRUE(result.validity_ok) << describe_failure(result);
    EXPECT_TRUE(result.agreement_ok) << describe_failure(result);
    EXPECT_FALSE(result.liveness_ok.has_value()) << "liveness is not judged at 51% Byzantine";
  }
}

// The oracle application has no evidence logic of its own: the replicas
// report the colluders' votes for their leader's false block. Seed 13 makes
// a colluder the first leader; each of the five honest nodes reports it (a
// false claim) and the other colluder (its votes), never an honest node.
TEST(SimRun, HonestReplicasReportVotesForAFalseBlock) {
  auto options = small_options(7, 13);
  options.byzantine = 2;
  options.strategies = {Strategy::kVoteInvalid};
  const auto result = run_or_fail(options);
  EXPECT_TRUE(result.invariants_ok()) << describe_failure(result);
  EXPECT_TRUE(result.accusations_ok) << describe_failure(result);
  EXPECT_EQ(result.evidence_reported, 10u) << describe_failure(result);
}

TEST(SimRun, MinorityPartitionCommitsNothingAndCatchesUp) {
  auto options = small_options(7, 8);
  options.blocks = 8;
  // Nodes 0-2 (3 of 7 stake) are cut off from 1 s to 6 s.
  options.partitions.push_back({1'000, 6'000, {0, 1, 2}});
  const auto result = run_or_fail(options);
  EXPECT_TRUE(result.partition_safety_ok) << describe_failure(result);
  EXPECT_TRUE(result.agreement_ok) << describe_failure(result);
  ASSERT_TRUE(result.liveness_ok.has_value());
  EXPECT_TRUE(*result.liveness_ok) << describe_failure(result);
}

TEST(SimRun, EvenSplitHaltsBothSides) {
  auto options = small_options(6, 4);
  options.partitions.push_back({0, 5'000, {0, 1, 2}});
  options.blocks = 2;
  const auto result = run_or_fail(options);
  EXPECT_TRUE(result.partition_safety_ok) << describe_failure(result);
  EXPECT_GE(result.sim_time_us, 5'000'000u) << "nothing can be final before the partition heals";
}

class EveryStrategy : public ::testing::TestWithParam<Strategy> {};

TEST_P(EveryStrategy, BelowOneThirdEveryInvariantHolds) {
  auto options = small_options(10, 31);
  options.byzantine = 3;
  options.strategies = {GetParam()};
  options.loss_ppm = 5'000;
  const auto result = run_or_fail(options);
  EXPECT_TRUE(result.invariants_ok()) << describe_failure(result);
  ASSERT_TRUE(result.liveness_ok.has_value());
}

INSTANTIATE_TEST_SUITE_P(Strategies, EveryStrategy,
                         ::testing::Values(Strategy::kSilent, Strategy::kEquivocate,
                                           Strategy::kConflictingVotes, Strategy::kVoteInvalid,
                                           Strategy::kInvalidProposal, Strategy::kViewChangeSpam,
                                           Strategy::kReplay, Strategy::kMalformed),
                         [](const auto& test_param) {
                           std::string name(strategy_name(test_param.param));
                           std::erase(name, '-');
                           return name;
                         });

TEST(SimRun, MalformedBytesAreRefusedByTheDecoder) {
  auto options = small_options(7, 12);
  options.byzantine = 2;
  options.strategies = {Strategy::kMalformed};
  const auto result = run_or_fail(options);
  EXPECT_TRUE(result.invariants_ok()) << describe_failure(result);
  ASSERT_TRUE(result.refused.contains("malformed-bytes"));
  EXPECT_GT(result.refused.at("malformed-bytes"), 0u);
}

TEST(SimRun, ConflictingVotesAreReportedAsEvidence) {
  auto options = small_options(7, 13);
  options.byzantine = 2;
  options.strategies = {Strategy::kConflictingVotes};
  const auto result = run_or_fail(options);
  EXPECT_TRUE(result.invariants_ok()) << describe_failure(result);
  EXPECT_GT(result.evidence_reported, 0u);
}

TEST(SimRun, CollectorPatternWithGossipCommits) {
  auto options = small_options(40, 3);
  options.byzantine = 13;
  options.vote_pattern = VotePatternChoice::kCollector;
  options.gossip_fanout = 6;
  const auto result = run_or_fail(options);
  EXPECT_TRUE(result.invariants_ok()) << describe_failure(result);
  EXPECT_EQ(result.gossip_fanout, 6u);
}

// Found by the property tests (case seed 2336): the three nodes cut off from
// 99 ms to 4,458 ms fall behind by more than a checkpoint interval and must
// catch up through sync while adopting a stable checkpoint above their
// committed height (once stuck there for good: the replica erased the commit
// certificates and pending verifications of the heights being fetched).
TEST(SimRun, NodeBehindItsStableCheckpointCatchesUp) {
  auto options = small_options(10, 2336);
  options.byzantine = 2;
  options.strategies = {Strategy::kReplay, Strategy::kViewChangeSpam};
  options.blocks = 3;
  options.latency_us = 36'000;
  options.jitter_us = 36'000;
  options.duplicate_ppm = 49'916;
  options.vote_pattern = VotePatternChoice::kCollector;
  options.max_sim_ms = 30'000;
  options.partitions.push_back({99, 4'458, {0, 3, 6}});
  const auto result = run_or_fail(options);
  EXPECT_TRUE(result.invariants_ok()) << describe_failure(result);
}

// Every honest replica is needed for a quorum (15 of 22). Replica 3 crashes
// during a partition and resumes its view change to view 1, but its
// VIEW-CHANGE (sent to the new leader only) is lost in the partition. Once
// the partition heals it holds a quorum for view 1 and moves on to view 2;
// the others never receive its VIEW-CHANGE for view 1, which its VIEW-CHANGE
// for view 2 replaced. They used to wait in view 1 for that quorum forever
// while replica 3 waited for them in view 2.
TEST(SimRun, ReplicaAheadByOneViewIsCountedTowardTheQuorumBehindIt) {
  auto options = small_options(22, 901);
  options.byzantine = 7;
  options.strategies = {Strategy::kSilent};
  options.blocks = 4;
  options.latency_us = 9'000;
  options.jitter_us = 27'000;
  options.loss_ppm = 48'412;
  options.duplicate_ppm = 31'809;
  options.vote_pattern = VotePatternChoice::kCollector;
  options.gossip_fanout = 7;
  options.max_sim_ms = 300'000;
  options.partitions.push_back({1'114, 4'935, {0, 3, 5, 6, 7, 9, 10, 12, 13, 14, 17, 21}});
  options.crashes.push_back({3, 2'966, 3'384});
  const auto result = run_or_fail(options);
  EXPECT_TRUE(result.invariants_ok()) << describe_failure(result);
  ASSERT_TRUE(result.liveness_ok.has_value());
  EXPECT_TRUE(*result.liveness_ok) << describe_failure(result);
  EXPECT_EQ(result.honest_min_height, 4u);
}

TEST(SimRun, VotingPowerIsStakeNotNodeCount) {
  // Nodes 0..5 hold stake 1 each, nodes 6..9 stake 10 each (46 in all).
  auto options = small_options(10, 17);
  options.stakes = {1, 1, 1, 1, 1, 1, 10, 10, 10, 10};
  options.byzantine = 4;
  options.strategies = {Strategy::kSilent};
  // A seed whose Byzantine choice is four small validators: 4 of 10 nodes,
  // but 4 of 46 stake, well below a third: liveness is judged and holds.
  bool found = false;
  for (std::uint64_t seed = 1; seed < 200 && !found; ++seed) {
    options.seed = seed;
    const auto result = run_or_fail(options);
    if (std::all_of(result.byzantine_nodes.begin(), result.byzantine_nodes.end(),
                    [](std::uint32_t node) { return node < 6; })) {
      found = true;
      EXPECT_TRUE(result.invariants_ok()) << describe_failure(result);
      ASSERT_TRUE(result.liveness_ok.has_value());
      EXPECT_TRUE(*result.liveness_ok);
    }
  }
  EXPECT_TRUE(found);
  // With three Byzantine nodes, liveness is judged exactly when their stake
  // is below a third of the total.
  options.byzantine = 3;
  options.seed = 1;
  const auto result = run_or_fail(options);
  std::uint64_t byzantine_stake = 0;
  for (const auto node : result.byzantine_nodes) byzantine_stake += options.stakes[node];
  EXPECT_EQ(result.liveness_ok.has_value(), 3 * byzantine_stake < 46);
  EXPECT_TRUE(result.validity_ok && result.agreement_ok);
}

TEST(SimRun, RefusesBadOptions) {
  auto options = small_options(4, 1);
  options.byzantine = 4;
  EXPECT_FALSE(run_simulation(options).has_value());
}

}  // namespace
}  // namespace aethel::sim
