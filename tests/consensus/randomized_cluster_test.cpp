// Seeded runs of small clusters under random message loss, crashes and
// restarts: safety (agreement, no honest double signing) must hold in every
// run, and once the faults stop, every live replica must make progress. A
// failure prints the seed; rerun it with AETHEL_CONSENSUS_SEED=<seed>, or run more
// seeds with AETHEL_CONSENSUS_SEED_COUNT=<n>.
// (The simulator runs many more seeds at scale; these keep the replica's own
// suite honest about faults.)
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "tests/consensus/cluster.h"

namespace aethel::consensus::testing {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t kSeeds = 8;
#else
constexpr std::uint64_t kSeeds = 24;
#endif

struct FaultRun {
  std::uint64_t seed;
  VotePattern pattern;
};

void run_with_faults(const FaultRun& run) {
  std::mt19937_64 prng(run.seed);
  const std::size_t validators = 4 + prng() % 4;
  ClusterOptions options = cluster_options(validators, run.pattern);
  options.trace_votes = false;
  Cluster cluster(options);
  const std::uint64_t loss_percent = prng() % 25;
  auto drop_prng = std::make_shared<std::mt19937_64>(run.seed * 7919 + 1);
  cluster.set_drop_filter([drop_prng, loss_percent](std::size_t, std::size_t, const Message&) {
    return (*drop_prng)() % 100 < loss_percent;
  });
  // In two seeds of three, every application first answers "undecided" once
  // or twice per block (drawn apart from `prng`, so the faults stay the same).
  const auto hesitation = static_cast<std::uint32_t>(std::mt19937_64(run.seed + 104'729)() % 3);
  for (std::size_t i = 0; i < validators; ++i) cluster.make_undecided(i, hesitation);
  cluster.start();
  const std::size_t faulty = (validators - 1) / 3;
  // Faulty phase: loss, plus crashes and restarts of at most f replicas.
  for (int round = 0; round < 6; ++round) {
    const std::size_t victim = prng() % validators;
    const bool can_crash = victim < faulty || cluster.crashed(victim);
    if (can_crash && !cluster.crashed(victim)) {
      cluster.crash(victim);
    } else if (cluster.crashed(victim)) {
      cluster.restart(victim);
    }
    cluster.run_until(cluster.now_ms() + 200 + prng() % 3000);
  }
  // Healing phase: no loss, everyone back.
  cluster.set_drop_filter(nullptr);
  for (std::size_t i = 0; i < validators; ++i) {
    if (cluster.crashed(i)) cluster.restart(i);
  }
  std::size_t reached = 0;
  for (std::size_t i = 0; i < validators; ++i)
    reached = std::max(reached, cluster.committed(i).size());
  const bool live = cluster.run_until_committed(reached + 3, cluster.now_ms() + 600'000);

  for (std::size_t i = 0; i < validators; ++i) {
    for (std::size_t j = i + 1; j < validators; ++j) {
      const auto& a = cluster.committed(i);
      const auto& b = cluster.committed(j);
      for (std::size_t h = 0; h < std::min(a.size(), b.size()); ++h) {
        ASSERT_EQ(a[h], b[h]) << "seed " << run.seed << ": r" << i << " and r" << j
                              << " disagree at height " << h + 1;
      }
    }
  }
  ASSERT_TRUE(cluster.double_signs().empty())
      << "seed " << run.seed << ": double sign " << cluster.double_signs().front();
  EXPECT_TRUE(live) << "seed " << run.seed << " (" << validators << " validators, " << loss_percent
                    << "% loss, " << hesitation
                    << " undecided answers per block): no progress after healing\n"
                    << cluster.trace_text();
}

TEST(RandomizedCluster, SafeUnderLossCrashesAndRestartsAndLiveAfterHealing) {
  std::vector<std::uint64_t> seeds;
  if (const char* chosen = std::getenv("AETHEL_CONSENSUS_SEED")) {
    seeds.push_back(std::strtoull(chosen, nullptr, 10));
  } else {
    std::uint64_t count = kSeeds;
    if (const char* many = std::getenv("AETHEL_CONSENSUS_SEED_COUNT")) {
      count = std::strtoull(many, nullptr, 10);
    }
    for (std::uint64_t seed = 1; seed <= count; ++seed) seeds.push_back(seed);
  }
  for (const std::uint64_t seed : seeds) {
    for (VotePattern pattern : {VotePattern::kAllToAll, VotePattern::kCollector}) {
      SCOPED_TRACE(std::string(vote_pattern_name(pattern)) + " seed " + std::to_string(seed));
      run_with_faults({seed, pattern});
      if (HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace aethel::consensus::testing
