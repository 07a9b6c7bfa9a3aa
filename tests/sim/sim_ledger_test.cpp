// Ledger runs (--app ledger): real judge, real block execution and real
// state on every node, under the simulator. Small loads, so that every node
// judging every program stays within seconds.
#include <gtest/gtest.h>
#include <stdlib.h>  // setenv

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "sim/report.h"
#include "tests/sim/sim_test_support.h"
#include "tests/support/temp_dir.h"

namespace aethel::sim {
namespace {

SimOptions ledger_options(std::uint32_t nodes, std::uint64_t seed, std::uint64_t blocks) {
  SimOptions options = testing::small_options(nodes, seed);
  options.app = AppKind::kLedger;
  options.blocks = testing::kSanitized ? std::min<std::uint64_t>(blocks, 6) : blocks;
  options.load.proofs = 2;
  options.load.transfers = 3;
  options.load.rounds = testing::kSanitized ? 10 : 24;
  return options;
}

// Points TMPDIR at a fresh folder of its own for its lifetime, so that what
// a run leaves behind can be counted without seeing other processes' folders.
class PrivateTemporaryFolder {
 public:
  PrivateTemporaryFolder() {
    const char* previous = std::getenv("TMPDIR");
    if (previous != nullptr) previous_ = previous;
    ::setenv("TMPDIR", directory_.path().c_str(), 1);
  }
  ~PrivateTemporaryFolder() {
    if (previous_) {
      ::setenv("TMPDIR", previous_->c_str(), 1);
    } else {
      ::unsetenv("TMPDIR");
    }
  }
  PrivateTemporaryFolder(const PrivateTemporaryFolder&) = delete;
  PrivateTemporaryFolder& operator=(const PrivateTemporaryFolder&) = delete;

  std::size_t entries() const {
    std::error_code error;
    std::size_t count = 0;
    for (auto it = std::filesystem::directory_iterator(directory_.path(), error);
         !error && it != std::filesystem::directory_iterator(); ++it) {
      ++count;
    }
    return count;
  }

 private:
  const ::aethel::testing::TempDir directory_{"aethel-sim-tmp"};
  std::optional<std::string> previous_;
};

TEST(SimLedger, HonestRunCommitsProofsPaysRewardsAndAgreesOnRoots) {
  const PrivateTemporaryFolder temporary;
  const auto result = testing::run_or_fail(ledger_options(4, 1, 10));
  EXPECT_TRUE(result.invariants_ok()) << testing::describe_failure(result);
  ASSERT_TRUE(result.ledger.has_value());
  const LedgerSummary& ledger = *result.ledger;
  EXPECT_TRUE(ledger.state_roots_equal);
  EXPECT_TRUE(ledger.supply_ok);
  EXPECT_TRUE(ledger.execution_ok);
  EXPECT_EQ(ledger.height, result.options.blocks);
  EXPECT_GT(ledger.proofs_committed, 0u);
  EXPECT_GT(ledger.transactions_committed, ledger.proofs_committed);
  EXPECT_GT(ledger.rewards_paid, 0u);
  EXPECT_GT(ledger.emitted, 0u);
  EXPECT_EQ(ledger.slashed, 0u);
  EXPECT_EQ(ledger.admission_refused, 0u);
  // Every node judged every program it admitted itself: no outcome is shared.
  EXPECT_GE(ledger.programs_judged, 4 * ledger.proofs_committed);
  EXPECT_EQ(temporary.entries(), 0u);  // every node's state folder is removed
}

TEST(SimLedger, SameSeedSameRun) {
  const auto options = ledger_options(4, 3, 6);
  const auto first = testing::run_or_fail(options);
  const auto second = testing::run_or_fail(options);
  EXPECT_EQ(first.trace_hash, second.trace_hash);
  ASSERT_TRUE(first.ledger && second.ledger);
  EXPECT_EQ(first.ledger->state_root, second.ledger->state_root);
  auto first_json = result_to_json(first);
  auto second_json = result_to_json(second);
  for (auto* json : {&first_json, &second_json}) {
    json->erase("wall_s");
    json->erase("peak_rss_mb");
  }
  EXPECT_EQ(first_json.dump(), second_json.dump());
  EXPECT_EQ(first_json["app"], "ledger");
  EXPECT_TRUE(first_json.contains("state_roots_equal"));
  EXPECT_TRUE(first_json.contains("proofs_committed"));
}

// A Byzantine leader's false claim is reported by honest validators, turned
// into a SubmitEvidence transaction carrying the program, and slashed on
// chain; only the liar is slashed.
void expect_liar_slashed(Strategy strategy) {
  auto options = ledger_options(4, 1, 12);
  options.blocks = 12;  // the liar leads only after a few heights
  options.byzantine = 1;
  options.strategies = {strategy};
  const auto result = testing::run_or_fail(options);
  EXPECT_TRUE(result.invariants_ok()) << testing::describe_failure(result);
  ASSERT_TRUE(result.ledger.has_value());
  const LedgerSummary& ledger = *result.ledger;
  EXPECT_GT(result.evidence_reported, 0u) << "the liar never led: choose another seed";
  EXPECT_GT(ledger.evidence_submitted, 0u);
  EXPECT_GT(ledger.slashed, 0u);
  ASSERT_FALSE(ledger.slashed_validators.empty());
  for (const auto validator : ledger.slashed_validators) {
    EXPECT_TRUE(std::ranges::find(result.byzantine_nodes, validator) !=
                result.byzantine_nodes.end())
        << "honest validator " << validator << " was slashed";
  }
  EXPECT_TRUE(ledger.state_roots_equal);
  EXPECT_TRUE(ledger.supply_ok);
}

TEST(SimLedger, InvalidProposalIsSlashedOnChain) {
  expect_liar_slashed(Strategy::kInvalidProposal);
}

TEST(SimLedger, VoteInvalidLeaderIsSlashedOnChain) {
  expect_liar_slashed(Strategy::kVoteInvalid);
}

// Colluding validators vote for their leader's false block; the honest
// replicas that found the block false report those votes as false-verdict-
// vote evidence (the simulator adds none of its own), so the voter is
// slashed as well as the leader.
TEST(SimLedger, VotesForAFalseBlockAreSlashedOnChain) {
  auto options = ledger_options(7, 13, 8);
  options.byzantine = 2;
  options.strategies = {Strategy::kVoteInvalid};
  const auto result = testing::run_or_fail(options);
  EXPECT_TRUE(result.invariants_ok()) << testing::describe_failure(result);
  ASSERT_TRUE(result.ledger.has_value());
  auto slashed = result.ledger->slashed_validators;
  std::ranges::sort(slashed);
  EXPECT_EQ(slashed, result.byzantine_nodes) << "seed 13 makes a colluder the first leader";
}

TEST(SimLedger, CrashedNodeCatchesUpToTheSameRoot) {
  auto options = ledger_options(4, 2, 8);
  options.crashes.push_back({2, 300, 1500});
  const auto result = testing::run_or_fail(options);
  EXPECT_TRUE(result.invariants_ok()) << testing::describe_failure(result);
  ASSERT_TRUE(result.ledger.has_value());
  EXPECT_TRUE(result.ledger->state_roots_equal);
  EXPECT_TRUE(result.ledger->supply_ok);
  EXPECT_EQ(result.honest_min_height, result.options.blocks);
}

TEST(SimLedger, OptionsNameTheApplicationAndTheLoad) {
  EXPECT_EQ(parse_app("ledger").value(), AppKind::kLedger);
  EXPECT_EQ(parse_app("oracle").value(), AppKind::kOracle);
  EXPECT_FALSE(parse_app("ledgers").has_value());
  const auto load = parse_ledger_load("proofs=3,round-ms=100", LedgerLoad{});
  ASSERT_TRUE(load.has_value());
  EXPECT_EQ(load->proofs, 3u);
  EXPECT_EQ(load->round_ms, 100u);
  EXPECT_EQ(load->transfers, LedgerLoad{}.transfers);
  EXPECT_FALSE(parse_ledger_load("proofs", LedgerLoad{}).has_value());
  EXPECT_FALSE(parse_ledger_load("coffee=1", LedgerLoad{}).has_value());
  auto options = ledger_options(4, 1, 5);
  options.nodes = 65;
  EXPECT_FALSE(options.validate().has_value());
  // The replay command line carries the application and its load.
  const std::string replay = replay_command(ledger_options(4, 1, 5));
  EXPECT_NE(replay.find("--app ledger --load proofs=2,transfers=3"), std::string::npos) << replay;
  EXPECT_EQ(replay_command(testing::small_options(4, 1)).find("--app"), std::string::npos);
}

TEST(SimLedger, PrintedCommandLineReproducesTheRun) {
  auto options = ledger_options(5, 7, 5);
  options.byzantine = 1;
  options.strategies = {Strategy::kInvalidProposal};
  options.load.rounds = 8;
  testing::expect_replay_reproduces(options);
}

}  // namespace
}  // namespace aethel::sim
