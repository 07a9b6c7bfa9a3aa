// Small clusters of real replicas (real Ed25519, real encodings of the
// persisted state) routed by the in-test harness, in both vote patterns.
#include "tests/consensus/cluster.h"

#include <gtest/gtest.h>

#include "crypto/sha256.h"

namespace aethel::consensus::testing {
namespace {

class ClusterTest : public ::testing::TestWithParam<VotePattern> {
 protected:
  ClusterOptions options(std::size_t validators = 4) const {
    return cluster_options(validators, GetParam());
  }
};

void expect_agreement(const Cluster& cluster) {
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    for (std::size_t j = i + 1; j < cluster.size(); ++j) {
      const auto& a = cluster.committed(i);
      const auto& b = cluster.committed(j);
      const std::size_t common = std::min(a.size(), b.size());
      for (std::size_t h = 0; h < common; ++h) {
        ASSERT_EQ(a[h], b[h]) << "r" << i << " and r" << j << " disagree at height " << h + 1;
      }
    }
  }
  EXPECT_TRUE(cluster.double_signs().empty()) << cluster.double_signs().front();
}

std::size_t live_replica(const Cluster& cluster) {
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (!cluster.crashed(i)) return i;
  }
  return 0;
}

TEST_P(ClusterTest, CommitsManyHeightsThroughCheckpoints) {
  Cluster cluster(options(7));
  cluster.start();
  ASSERT_TRUE(cluster.run_until_committed(40, 60'000));
  expect_agreement(cluster);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    // Watermark window 16 with K = 4: 40 heights need stable checkpoints.
    EXPECT_GE(cluster.replica(i).stable_checkpoint_height(), Height(24));
    const ReplicaStats& stats = cluster.replica(i).stats();
    std::string refusals;
    for (std::size_t r = 0; r < kRefusalCount; ++r) {
      if (stats.refused[r] != 0) {
        refusals += std::string(refusal_name(static_cast<Refusal>(r))) + "=" +
                    std::to_string(stats.refused[r]) + " ";
      }
    }
    EXPECT_EQ(stats.refused_total(), 0u) << refusals;
  }
  EXPECT_EQ(cluster.replica(0).view(), View(0));
}

TEST_P(ClusterTest, LeaderCrashesAfterSomeReplicasPrepared) {
  Cluster cluster(options());
  const std::size_t leader = cluster.validators()->leader_for_view(View(0)).value();
  const std::size_t isolated = (leader + 1) % cluster.size();
  // Prepare phase only: every commit vote and commit certificate is lost,
  // and one replica hears nothing at all.
  cluster.set_drop_filter([isolated](std::size_t, std::size_t to, const Message& message) {
    if (to == isolated) return true;
    if (const auto* vote = std::get_if<Vote>(&message)) return vote->phase == VotePhase::kCommit;
    if (const auto* certificate = std::get_if<CertificateMessage>(&message)) {
      return certificate->certificate->phase == VotePhase::kCommit;
    }
    return false;
  });
  cluster.start();
  cluster.run_until(200);
  for (std::size_t i = 0; i < cluster.size(); ++i) ASSERT_TRUE(cluster.committed(i).empty());
  cluster.crash(leader);
  cluster.set_drop_filter(nullptr);
  ASSERT_TRUE(cluster.run_until_committed(3, 30'000)) << cluster.trace_text();
  expect_agreement(cluster);
  // The block the old leader proposed (and some replicas prepared) is the
  // one that commits at height 1, in view 1 or later.
  const std::string prefix = "PRE-PREPARE v0 h1 #";
  std::string proposed_hex;
  for (const std::string& line : cluster.trace()) {
    const auto at = line.find(prefix);
    if (at != std::string::npos) proposed_hex = line.substr(at + prefix.size(), 6);
  }
  ASSERT_FALSE(proposed_hex.empty());
  EXPECT_EQ(short_hex(cluster.committed(live_replica(cluster)).at(0)), proposed_hex);
  EXPECT_GE(cluster.replica(isolated).view(), View(1));
}

TEST_P(ClusterTest, ASilentThirdDoesNotStopProgress) {
  Cluster cluster(options(7));
  // f = 2 silent validators, including the first leader.
  const std::size_t leader = cluster.validators()->leader_for_view(View(0)).value();
  cluster.crash(leader);
  cluster.crash((leader + 3) % 7);
  cluster.start();
  ASSERT_TRUE(cluster.run_until_committed(10, 60'000)) << cluster.trace_text();
  expect_agreement(cluster);
}

TEST_P(ClusterTest, QuorumIsByStakeNotByCount) {
  // Total 1000; a quorum needs 667.
  ClusterOptions heavy = options();
  heavy.stakes = {400, 300, 200, 100};
  {
    Cluster cluster(heavy);
    cluster.crash(1);  // 700 left: live
    cluster.start();
    EXPECT_TRUE(cluster.run_until_committed(5, 60'000));
    expect_agreement(cluster);
  }
  {
    Cluster cluster(heavy);
    cluster.crash(0);  // three of four validators, but only 600 of stake: halts
    cluster.start();
    EXPECT_FALSE(cluster.run_until_committed(1, 30'000));
    for (std::size_t i = 1; i < 4; ++i) EXPECT_TRUE(cluster.committed(i).empty());
  }
}

TEST_P(ClusterTest, PartitionWithoutAQuorumHaltsThenHeals) {
  Cluster cluster(options());
  cluster.start();
  ASSERT_TRUE(cluster.run_until_committed(2, 10'000));
  cluster.set_drop_filter(
      [](std::size_t from, std::size_t to, const Message&) { return (from < 2) != (to < 2); });
  cluster.run_until(cluster.now_ms() + 200);
  std::vector<std::size_t> heights;
  for (std::size_t i = 0; i < 4; ++i) heights.push_back(cluster.committed(i).size());
  cluster.run_until(cluster.now_ms() + 20'000);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(cluster.committed(i).size(), heights[i]) << "r" << i << " committed while split";
  }
  cluster.set_drop_filter(nullptr);
  ASSERT_TRUE(cluster.run_until_committed(heights[0] + 3, cluster.now_ms() + 200'000))
      << cluster.trace_text();
  expect_agreement(cluster);
}

TEST_P(ClusterTest, LyingLeaderIsReportedAndReplaced) {
  Cluster cluster(options());
  const std::size_t leader = cluster.validators()->leader_for_view(View(0)).value();
  cluster.make_liar(leader);
  cluster.start();
  ASSERT_TRUE(cluster.run_until_committed(5, 60'000)) << cluster.trace_text();
  expect_agreement(cluster);
  ASSERT_FALSE(cluster.evidence().empty());
  for (const EvidencePtr& evidence : cluster.evidence()) {
    EXPECT_TRUE(std::holds_alternative<FalseClaimEvidence>(*evidence));
    EXPECT_EQ(offender(*evidence).value(), leader);
    EXPECT_TRUE(verify_evidence(cluster.config().chain_id, *cluster.validators(), *evidence));
  }
  EXPECT_GE(cluster.replica(0).view(), View(1));
}

TEST_P(ClusterTest, RestartedReplicaDoesNotDoubleSignAndCatchesUp) {
  Cluster cluster(options());
  const std::size_t leader = cluster.validators()->leader_for_view(View(0)).value();
  const std::size_t victim = (leader + 2) % 4;
  cluster.start();
  ASSERT_TRUE(cluster.run_until_committed(3, 10'000));
  cluster.run_until(cluster.now_ms() + 15);  // mid-height: votes signed, not all counted
  cluster.crash(victim);
  cluster.run_until(cluster.now_ms() + 500);
  cluster.restart(victim);
  ASSERT_TRUE(cluster.run_until_committed(12, cluster.now_ms() + 60'000)) << cluster.trace_text();
  expect_agreement(cluster);
  EXPECT_TRUE(cluster.double_signs().empty());
}

TEST_P(ClusterTest, RestartedLeaderDuringViewChangeStaysSafe) {
  Cluster cluster(options());
  const std::size_t leader0 = cluster.validators()->leader_for_view(View(0)).value();
  cluster.start();
  ASSERT_TRUE(cluster.run_until_committed(2, 10'000));
  cluster.crash(leader0);
  cluster.run_until(cluster.now_ms() + 1500);  // the others time out and change view
  cluster.restart(leader0);
  ASSERT_TRUE(cluster.run_until_committed(8, cluster.now_ms() + 60'000)) << cluster.trace_text();
  expect_agreement(cluster);
}

// Stakes 30/30/30/10, the 10 not leading view 0; one 30 validator (P) is
// cut off for a minute and the others keep committing. Then the 10
// validator crashes: the 60 left without P cannot commit, and P alone is
// below a weak quorum. P must not have raced views ahead of the others in
// the meantime (it waits one view ahead until a quorum asks for it), so the
// three meet in a view again and commit.
struct DriftSetup {
  std::vector<std::uint64_t> stakes;
  std::size_t cut_off = 0;
  std::size_t light = 0;
};

DriftSetup drift_setup() {
  for (std::size_t light = 0; light < 4; ++light) {
    std::vector<std::uint64_t> stakes(4, 30);
    stakes[light] = 10;
    std::vector<Validator> validators;
    for (std::size_t i = 0; i < 4; ++i) {
      validators.push_back({test_key(i).public_key, Stake(stakes[i])});
    }
    const auto set = ValidatorSet::create(validators, Stake(1));
    const std::size_t leader0 = static_cast<std::size_t>(set->leader_for_view(View(0)).value());
    if (leader0 == light) continue;
    for (std::size_t p = 0; p < 4; ++p) {
      if (p != light && p != leader0) return {stakes, p, light};
    }
  }
  return {};
}

TEST_P(ClusterTest, ReplicasThatDriftedApartInViewsMeetAgain) {
  const DriftSetup setup = drift_setup();
  ASSERT_FALSE(setup.stakes.empty());
  ClusterOptions cluster_setup = options();
  cluster_setup.stakes = setup.stakes;
  cluster_setup.trace_votes = false;
  Cluster cluster(cluster_setup);
  cluster.start();
  cluster.run_until(2'000);
  const std::size_t cut_off = setup.cut_off;
  cluster.set_drop_filter([cut_off](std::size_t from, std::size_t to, const Message&) {
    return from == cut_off || to == cut_off;
  });
  cluster.run_until(62'000);
  cluster.set_drop_filter(nullptr);
  cluster.run_until(92'000);
  std::size_t reached = 0;
  for (std::size_t i = 0; i < 4; ++i) reached = std::max(reached, cluster.committed(i).size());
  cluster.crash(setup.light);
  ASSERT_TRUE(cluster.run_until_committed(reached + 3, cluster.now_ms() + 30ULL * 60 * 1000))
      << "views: r0 " << cluster.replica(0).view().value() << ", r1 "
      << cluster.replica(1).view().value() << ", r2 " << cluster.replica(2).view().value()
      << ", r3 " << cluster.replica(3).view().value();
  expect_agreement(cluster);
}

INSTANTIATE_TEST_SUITE_P(BothVotePatterns, ClusterTest,
                         ::testing::Values(VotePattern::kAllToAll, VotePattern::kCollector),
                         [](const auto& param_info) {
                           return param_info.param == VotePattern::kAllToAll
                                      ? std::string("AllToAll")
                                      : std::string("Collector");
                         });

}  // namespace
}  // namespace aethel::consensus::testing
