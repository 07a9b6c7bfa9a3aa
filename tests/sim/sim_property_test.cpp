// Property tests: many seeds, each with a random fault schedule (network
// latency, jitter, loss and duplication, partitions that heal, crashes and
// restarts, a mix of Byzantine strategies below one third), at 4 to 64
// nodes. Every invariant must hold; a failure prints the seed and the
// command line that replays it exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "sim/prng.h"
#include "tests/sim/sim_test_support.h"

namespace aethel::sim {
namespace {

using testing::describe_failure;
using testing::kSanitized;
using testing::run_or_fail;

// A random scenario, a pure function of `case_seed`.
SimOptions random_scenario(std::uint64_t case_seed) {
  Prng prng(derive_seed(case_seed, 0x70726f70));
  SimOptions options = testing::small_options(4, case_seed);
  const std::uint32_t max_nodes = kSanitized ? 24 : 64;
  options.nodes = static_cast<std::uint32_t>(prng.chance_ppm(500'000) ? prng.between(4, 10)
                                                                      : prng.between(4, max_nodes));
  options.byzantine = static_cast<std::uint32_t>(prng.below((options.nodes - 1) / 3 + 1));
  options.strategies.clear();
  const auto strategy_count = prng.between(1, 3);
  for (std::uint64_t i = 0; i < strategy_count; ++i) {
    options.strategies.push_back(
        static_cast<Strategy>(prng.below(static_cast<std::uint64_t>(Strategy::kCount))));
  }
  options.blocks = prng.between(2, 5);
  options.latency_us = prng.between(1, 100) * 1000;
  options.jitter_us = prng.between(0, 50) * 1000;
  options.loss_ppm = static_cast<std::uint32_t>(prng.chance_ppm(500'000) ? prng.below(50'000) : 0);
  options.duplicate_ppm =
      static_cast<std::uint32_t>(prng.chance_ppm(300'000) ? prng.below(50'000) : 0);
  if (options.nodes > 4 && prng.chance_ppm(400'000)) {
    options.vote_pattern = VotePatternChoice::kCollector;
    if (prng.chance_ppm(500'000))
      options.gossip_fanout = static_cast<std::uint32_t>(prng.between(3, 8));
  }
  if (prng.chance_ppm(350'000)) {
    Partition partition;
    partition.start_ms = prng.below(3'000);
    partition.heal_ms = partition.start_ms + prng.between(500, 5'000);
    std::vector<std::uint32_t> order(options.nodes);
    for (std::uint32_t i = 0; i < options.nodes; ++i) order[i] = i;
    prng.shuffle(order);
    order.resize(prng.between(1, options.nodes - 1));
    std::sort(order.begin(), order.end());
    partition.side = std::move(order);
    options.partitions.push_back(std::move(partition));
  }
  if (prng.chance_ppm(350'000)) {
    const auto crashes = prng.between(1, 2);
    for (std::uint64_t i = 0; i < crashes; ++i) {
      Crash crash;
      crash.node = static_cast<std::uint32_t>(prng.below(options.nodes));
      crash.at_ms = prng.below(3'000);
      crash.restart_ms = crash.at_ms + prng.between(200, 3'000);
      options.crashes.push_back(crash);
    }
  }
  return options;
}

// AETHEL_SIM_CASES=N runs N cases (for long soak runs); AETHEL_SIM_FIRST_CASE=K starts at K.
std::uint64_t environment_or(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  return text != nullptr ? std::strtoull(text, nullptr, 10) : fallback;
}

TEST(SimProperty, EveryInvariantHoldsUnderRandomFaultSchedules) {
  const std::uint64_t cases = environment_or("AETHEL_SIM_CASES", kSanitized ? 12 : 200);
  const std::uint64_t first = environment_or("AETHEL_SIM_FIRST_CASE", 1);
  std::uint64_t judged_liveness = 0;
  for (std::uint64_t case_seed = first; case_seed < first + cases; ++case_seed) {
    const SimOptions options = random_scenario(case_seed);
    const SimResult result = run_or_fail(options);
    ASSERT_TRUE(result.invariants_ok()) << "seed " << case_seed << " fails an invariant\n"
                                        << describe_failure(result);
    ASSERT_TRUE(result.liveness_ok.has_value()) << "liveness must be judged below one third";
    ++judged_liveness;
  }
  EXPECT_EQ(judged_liveness, cases);
}

TEST(SimProperty, NoFalseVerdictIsFinalWhileByzantineStakeIsBelowTwoThirds) {
  // Between one third and two thirds Byzantine, agreement is not promised
  // (equivocation can split honest nodes), but validity is: a quorum needs
  // more than 2/3 of the stake, so at least one honest vote, and honest
  // validators never vote for a false claim.
  const std::uint64_t cases = kSanitized ? 4 : 30;
  for (std::uint64_t case_seed = 1; case_seed <= cases; ++case_seed) {
    SimOptions options = random_scenario(case_seed);
    Prng prng(derive_seed(case_seed, 0x6d616a));
    options.nodes = std::max<std::uint32_t>(options.nodes, 6);
    const std::uint32_t low = (options.nodes + 2) / 3;       // at least a third
    const std::uint32_t high = (2 * options.nodes - 1) / 3;  // below two thirds
    options.byzantine = static_cast<std::uint32_t>(prng.between(low, high));
    options.strategies = {Strategy::kVoteInvalid, Strategy::kInvalidProposal,
                          Strategy::kEquivocate};
    options.partitions.clear();
    options.crashes.clear();
    options.max_sim_ms = 30'000;
    const SimResult result = run_or_fail(options);
    ASSERT_TRUE(result.validity_ok) << "seed " << case_seed << " commits a false verdict\n"
                                    << describe_failure(result);
    EXPECT_FALSE(result.liveness_ok.has_value());
  }
}

TEST(SimProperty, AFailingSeedReplaysExactly) {
  // Replaying is running the same options again: the trace must match for
  // scenarios with every kind of fault.
  for (std::uint64_t case_seed : {3, 7, 11}) {
    const SimOptions options = random_scenario(case_seed);
    const auto first = run_or_fail(options);
    const auto second = run_or_fail(options);
    EXPECT_EQ(first.trace_hash, second.trace_hash) << replay_command(options);
    EXPECT_EQ(first.events, second.events);
    EXPECT_EQ(first.finality_us_p50, second.finality_us_p50);
  }
}

TEST(SimProperty, ScenariosCoverEveryFaultKind) {
  bool partition = false, crash = false, loss = false, collector = false;
  std::vector<bool> strategy(static_cast<std::size_t>(Strategy::kCount), false);
  for (std::uint64_t case_seed = 1; case_seed <= (kSanitized ? 10 : 80); ++case_seed) {
    const auto options = random_scenario(case_seed);
    partition = partition || !options.partitions.empty();
    crash = crash || !options.crashes.empty();
    loss = loss || options.loss_ppm > 0;
    collector = collector || options.vote_pattern == VotePatternChoice::kCollector;
    if (options.byzantine > 0) {
      for (const auto s : options.strategies) strategy[static_cast<std::size_t>(s)] = true;
    }
  }
  EXPECT_TRUE(partition && crash && loss && collector);
  if (!kSanitized) {
    EXPECT_EQ(std::count(strategy.begin(), strategy.end(), true),
              static_cast<long>(strategy.size()));
  }
}

}  // namespace
}  // namespace aethel::sim
