// Scripted scenarios whose expected output (a readable trace: who sent what,
// who committed what) lives in tests/consensus/scenarios/<name>.txt. After
// an intended change of behaviour, rewrite them with AETHEL_UPDATE_GOLDEN=1
// and read the diff: it is the review of the change.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/consensus/cluster.h"

namespace aethel::consensus::testing {
namespace {

namespace fs = std::filesystem;

struct Scenario {
  std::string name;
  std::string description;
  std::function<void(Cluster&)> script;
  ClusterOptions options;
};

ClusterOptions quiet(ClusterOptions options) {
  options.trace_votes = false;
  return options;
}

std::size_t leader_of_view0(const Cluster& cluster) {
  return static_cast<std::size_t>(cluster.validators()->leader_for_view(View(0)).value());
}

void crash_leader_after_prepares(Cluster& cluster) {
  const std::size_t leader = leader_of_view0(cluster);
  const std::size_t isolated = (leader + 1) % cluster.size();
  cluster.note("script: commits are lost and r" + std::to_string(isolated) + " hears nothing");
  cluster.set_drop_filter([isolated](std::size_t, std::size_t to, const Message& message) {
    if (to == isolated) return true;
    if (const auto* vote = std::get_if<Vote>(&message)) return vote->phase == VotePhase::kCommit;
    if (const auto* certificate = std::get_if<CertificateMessage>(&message)) {
      return certificate->certificate->phase == VotePhase::kCommit;
    }
    return false;
  });
  cluster.start();
  cluster.run_until(60);
  cluster.crash(leader);
  cluster.note("script: the network is whole again");
  cluster.set_drop_filter(nullptr);
  cluster.run_until_committed(2, 20'000);
}

std::vector<Scenario> scenarios() {
  std::vector<Scenario> all;
  all.push_back({"all_to_all_two_heights",
                 "Four equal validators, all-to-all votes: two heights commit in view 0.",
                 [](Cluster& c) {
                   c.start();
                   c.run_until_committed(2, 10'000);
                 },
                 cluster_options(4, VotePattern::kAllToAll)});
  all.push_back({"collector_two_heights",
                 "Four equal validators, votes through the leader (collector): two heights.",
                 [](Cluster& c) {
                   c.start();
                   c.run_until_committed(2, 10'000);
                 },
                 cluster_options(4, VotePattern::kCollector)});
  all.push_back({"leader_crash_after_prepare_all_to_all",
                 "The leader of view 0 crashes after the others prepared height 1 but before "
                 "any commit arrived; one replica saw nothing. The NEW-VIEW re-proposes the "
                 "prepared block and it commits in view 1.",
                 crash_leader_after_prepares, cluster_options(4, VotePattern::kAllToAll)});
  all.push_back({"leader_crash_after_prepare_collector",
                 "As above with collector votes: the VIEW-CHANGEs go to the new leader only.",
                 crash_leader_after_prepares, cluster_options(4, VotePattern::kCollector)});
  all.push_back({"lying_leader_collector",
                 "The leader of view 0 claims a false proof: every replica refuses to vote, "
                 "reports the signed PRE-PREPARE as evidence and moves to view 1.",
                 [](Cluster& c) {
                   c.make_liar(leader_of_view0(c));
                   c.start();
                   c.run_until_committed(2, 20'000);
                 },
                 quiet(cluster_options(4, VotePattern::kCollector))});
  ClusterOptions stakes = quiet(cluster_options(4, VotePattern::kAllToAll));
  stakes.stakes = {400, 300, 200, 100};
  all.push_back({"stake_without_quorum_halts",
                 "Stakes 400/300/200/100: with the 400 validator down, three of four "
                 "validators hold 600 of 1000 stake, below the quorum of 667. Nothing "
                 "commits; without a quorum of VIEW-CHANGEs for view 1 nobody moves "
                 "past it: each sends its VIEW-CHANGE again every timeout.",
                 [](Cluster& c) {
                   c.crash(0);
                   c.start();
                   c.run_until(9'000);
                 },
                 stakes});
  all.push_back({"restart_mid_height_all_to_all",
                 "A replica crashes right after signing its votes for height 2 and restarts "
                 "from its persisted state; it signs nothing that conflicts and catches up.",
                 [](Cluster& c) {
                   const std::size_t victim = (leader_of_view0(c) + 2) % c.size();
                   c.start();
                   c.run_until_committed(1, 10'000);
                   c.run_until(c.now_ms() + 15);
                   c.crash(victim);
                   c.run_until(c.now_ms() + 100);
                   c.restart(victim);
                   c.run_until_committed(4, c.now_ms() + 10'000);
                   c.note(c.double_signs().empty() ? "no conflicting votes were signed"
                                                   : "CONFLICTING VOTES SIGNED");
                 },
                 cluster_options(4, VotePattern::kAllToAll)});
  return all;
}

std::string summary(const Cluster& cluster) {
  std::ostringstream out;
  out << "--- final state\n";
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    const Replica& replica = const_cast<Cluster&>(cluster).replica(i);
    out << "r" << i << (cluster.crashed(i) ? " (crashed)" : "") << ": view "
        << replica.view().value() << ", committed";
    for (const Hash256& digest : cluster.committed(i)) out << " #" << short_hex(digest);
    if (cluster.committed(i).empty()) out << " nothing";
    out << "; refused";
    const ReplicaStats& stats = replica.stats();
    bool any = false;
    for (std::size_t r = 0; r < kRefusalCount; ++r) {
      if (stats.refused[r] == 0) continue;
      out << " " << refusal_name(static_cast<Refusal>(r)) << "=" << stats.refused[r];
      any = true;
    }
    if (!any) out << " nothing";
    out << "\n";
  }
  return out.str();
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class ScenarioTest : public ::testing::TestWithParam<Scenario> {};

TEST_P(ScenarioTest, TraceMatchesTheExpectedOutput) {
  const Scenario& scenario = GetParam();
  Cluster cluster(scenario.options);
  scenario.script(cluster);
  const std::string actual = "# " + scenario.description + "\n" +
                             "# Checked by tests/consensus/scenario_test.cpp; rewrite with "
                             "AETHEL_UPDATE_GOLDEN=1.\n" +
                             cluster.trace_text() + summary(cluster);
  const fs::path path = fs::path(AETHEL_CONSENSUS_SCENARIO_DIR) / (scenario.name + ".txt");
  const char* update = std::getenv("AETHEL_UPDATE_GOLDEN");
  if (update != nullptr && std::string_view(update) == "1") {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    GTEST_SKIP() << "rewrote " << path;
  }
  ASSERT_TRUE(fs::exists(path)) << path << " is missing: run with AETHEL_UPDATE_GOLDEN=1";
  EXPECT_EQ(actual, read_text(path)) << "the trace changed; if intended, rerun with "
                                        "AETHEL_UPDATE_GOLDEN=1 and review the diff";
  EXPECT_TRUE(cluster.double_signs().empty());
}

INSTANTIATE_TEST_SUITE_P(Scripted, ScenarioTest, ::testing::ValuesIn(scenarios()),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace aethel::consensus::testing
