// Unit tests of the simulator's parts: generator, option parsing, ground
// truth, checkers.
#include <gtest/gtest.h>

#include <set>

#include "sim/checkers.h"
#include "sim/options.h"
#include "sim/prng.h"
#include "sim/proof_oracle.h"
#include "tests/sim/sim_test_support.h"

namespace aethel::sim {
namespace {

TEST(Prng, SplitMix64MatchesItsSpecification) {
  // First outputs of SplitMix64 from state 0 (reference implementation by Vigna).
  std::uint64_t state = 0;
  EXPECT_EQ(splitmix64(state), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(splitmix64(state), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(splitmix64(state), 0x06c45d188009454fULL);
}

TEST(Prng, SameSeedSameStreamDifferentSeedDifferentStream) {
  Prng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    EXPECT_EQ(x, b.next());
    differs = differs || x != c.next();
  }
  EXPECT_TRUE(differs);
}

TEST(Prng, BoundedDrawsStayInRangeAndCoverIt) {
  Prng prng(7);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const auto value = prng.below(10);
    ASSERT_LT(value, 10u);
    seen.insert(value);
    const auto between = prng.between(5, 8);
    ASSERT_GE(between, 5u);
    ASSERT_LE(between, 8u);
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_FALSE(prng.chance_ppm(0));
  EXPECT_TRUE(prng.chance_ppm(kPartsPerMillion));
}

TEST(Prng, ChanceFollowsTheProbability) {
  Prng prng(9);
  int hits = 0;
  for (int i = 0; i < 100'000; ++i) hits += prng.chance_ppm(250'000) ? 1 : 0;
  EXPECT_NEAR(hits, 25'000, 1'000);
}

TEST(Prng, DerivedSeedsDiffer) {
  EXPECT_NE(derive_seed(1, 1, 0), derive_seed(1, 2, 0));
  EXPECT_NE(derive_seed(1, 1, 0), derive_seed(1, 1, 1));
  EXPECT_NE(derive_seed(1, 1, 0), derive_seed(2, 1, 0));
  EXPECT_EQ(derive_seed(5, 3, 9), derive_seed(5, 3, 9));
}

TEST(Options, StrategiesParseAndMix) {
  auto list = parse_strategy_list("silent,equivocate,malformed");
  ASSERT_TRUE(list.has_value());
  EXPECT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[1], Strategy::kEquivocate);
  for (std::size_t i = 0; i < static_cast<std::size_t>(Strategy::kCount); ++i) {
    const auto strategy = static_cast<Strategy>(i);
    auto parsed = parse_strategy(strategy_name(strategy));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, strategy);
  }
  auto unknown = parse_strategy("sneaky");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message.find("sneaky"), std::string::npos);
}

TEST(Options, PartitionAndCrashParse) {
  auto partition = parse_partition("1000:5000:0-2,7", 10);
  ASSERT_TRUE(partition.has_value());
  EXPECT_EQ(partition->start_ms, 1000u);
  EXPECT_EQ(partition->heal_ms, 5000u);
  EXPECT_EQ(partition->side, (std::vector<std::uint32_t>{0, 1, 2, 7}));
  EXPECT_FALSE(parse_partition("5000:1000:0", 10).has_value());
  EXPECT_FALSE(parse_partition("0:10:0-10", 10).has_value());
  EXPECT_FALSE(parse_partition("0:10", 10).has_value());
  EXPECT_FALSE(parse_partition("0:10:x", 10).has_value());
  auto crash = parse_crash("3:100:900", 4);
  ASSERT_TRUE(crash.has_value());
  EXPECT_EQ(crash->node, 3u);
  EXPECT_FALSE(parse_crash("4:100:900", 4).has_value());
  EXPECT_FALSE(parse_crash("1:900:100", 4).has_value());
}

TEST(Options, ValidationNamesTheOption) {
  SimOptions options = testing::small_options(4, 1);
  options.byzantine = 5;
  auto refused = options.validate();
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("--byzantine"), std::string::npos);
  options.byzantine = 1;
  options.loss_ppm = 2 * kPartsPerMillion;
  refused = options.validate();
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("--loss"), std::string::npos);
  options.loss_ppm = 0;
  EXPECT_TRUE(options.validate().has_value());
}

TEST(Options, StakesParse) {
  auto stakes = parse_stakes("10x2,1x3,4", 6);
  ASSERT_TRUE(stakes.has_value());
  EXPECT_EQ(*stakes, (std::vector<std::uint64_t>{10, 10, 1, 1, 1, 4}));
  EXPECT_FALSE(parse_stakes("1x5", 6).has_value());
  EXPECT_FALSE(parse_stakes("1x7", 6).has_value());
  EXPECT_FALSE(parse_stakes("0x6", 6).has_value());
  EXPECT_FALSE(parse_stakes("ax6", 6).has_value());
}

TEST(Options, CpuCostsParse) {
  auto costs = parse_cpu_costs(
      "sign=3,verify=4", CpuCosts{.sign_us = 1, .verify_us = 1, .sha256_kib_us = 1, .proof_us = 9});
  ASSERT_TRUE(costs.has_value());
  EXPECT_EQ(costs->sign_us, 3u);
  EXPECT_EQ(costs->verify_us, 4u);
  EXPECT_EQ(costs->proof_us, 9u);
  EXPECT_FALSE(parse_cpu_costs("warp=3", {}).has_value());
  EXPECT_FALSE(parse_cpu_costs("sign", {}).has_value());
}

TEST(Options, ReplayCommandNamesEveryFault) {
  SimOptions options = testing::small_options(8, 77);
  options.partitions.push_back({100, 200, {0, 1}});
  options.crashes.push_back({3, 50, 150});
  options.loss_ppm = 12'500;
  const auto command = replay_command(options);
  EXPECT_NE(command.find("--seed 77"), std::string::npos);
  EXPECT_NE(command.find("--partition 100:200:0,1"), std::string::npos);
  EXPECT_NE(command.find("--crash 3:50:150"), std::string::npos);
  EXPECT_NE(command.find("--loss 0.012500"), std::string::npos);
}

TEST(ProofOracle, HonestClaimsVerifyAndFalseOnesDoNot) {
  const ProofOracle oracle(11, 8);
  const auto claims = oracle.honest_claims(Height(3));
  ASSERT_EQ(claims.size(), 8u);
  consensus::Block block;
  block.height = Height(3);
  block.claims = claims;
  block.payload_digest = oracle.payload_digest(Height(3), claims);
  EXPECT_TRUE(oracle.verify(block).ok);

  block.claims = oracle.false_claims(Height(3));
  block.payload_digest = oracle.payload_digest(Height(3), block.claims);
  const auto refused = oracle.verify(block);
  EXPECT_FALSE(refused.ok);
  ASSERT_TRUE(refused.false_claim_index.has_value());
  EXPECT_EQ(*refused.false_claim_index, 0u);

  block.claims = claims;
  block.payload_digest = Hash256{};
  const auto missing = oracle.verify(block);
  EXPECT_FALSE(missing.ok);
  EXPECT_FALSE(missing.false_claim_index.has_value());
}

TEST(ProofOracle, TruthDependsOnTheSeed) {
  const ProofOracle a(1, 64), b(2, 64);
  EXPECT_NE(a.honest_claims(Height(1)), b.honest_claims(Height(1)));
  EXPECT_EQ(a.honest_claims(Height(1)), ProofOracle(1, 64).honest_claims(Height(1)));
}

consensus::Block block_at(const ProofOracle& oracle, std::uint64_t height, bool truthful) {
  consensus::Block block;
  block.height = Height(height);
  block.claims = truthful ? oracle.honest_claims(block.height) : oracle.false_claims(block.height);
  return block;
}

TEST(Observer, DetectsDisagreementAndFalseVerdicts) {
  const ProofOracle oracle(5, 4);
  Observer observer(oracle, {true, true, true, false}, {1, 1, 1, 1}, {});
  const auto good = block_at(oracle, 1, true);
  auto other = good;
  other.timestamp_ms = 99;
  observer.on_commit(0, good, consensus::block_digest(good), 1000);
  observer.on_commit(1, good, consensus::block_digest(good), 1100);
  EXPECT_TRUE(observer.agreement_ok());
  observer.on_commit(2, other, consensus::block_digest(other), 1200);
  EXPECT_FALSE(observer.agreement_ok());
  EXPECT_TRUE(observer.validity_ok());
  // A Byzantine node's commits are not judged.
  const auto bad = block_at(oracle, 2, false);
  observer.on_commit(3, bad, consensus::block_digest(bad), 1300);
  EXPECT_TRUE(observer.validity_ok());
  observer.on_commit(0, bad, consensus::block_digest(bad), 1300);
  EXPECT_FALSE(observer.validity_ok());
  EXPECT_FALSE(observer.violations().empty());
}

TEST(Observer, FinalityIsFromProposalToTwoThirdsOfHonestNodes) {
  const ProofOracle oracle(5, 4);
  Observer observer(oracle, {true, true, true}, {1, 1, 1}, {});
  const auto block = block_at(oracle, 1, true);
  const auto digest = consensus::block_digest(block);
  observer.on_proposal(digest, 1'000);
  observer.on_commit(0, block, digest, 5'000);
  EXPECT_TRUE(observer.finality_us().empty());
  observer.on_commit(1, block, digest, 7'000);
  ASSERT_EQ(observer.finality_us().size(), 1u);
  EXPECT_EQ(observer.finality_us().at(1), 6'000u);
}

TEST(Observer, MinoritySideMustNotCommitWhilePartitioned) {
  const ProofOracle oracle(5, 4);
  PartitionWindow window{.start_us = 1'000,
                         .grace_end_us = 2'000,
                         .heal_us = 10'000,
                         .on_side = {true, false, false, false},
                         .side_is_quorum = false,
                         .rest_is_quorum = false};
  Observer observer(oracle, {true, true, true, true}, {1, 1, 1, 1}, {window});
  const auto block = block_at(oracle, 1, true);
  observer.on_commit(0, block, consensus::block_digest(block), 1'500);  // in grace
  EXPECT_TRUE(observer.partition_safety_ok());
  observer.on_commit(1, block, consensus::block_digest(block), 11'000);  // healed
  EXPECT_TRUE(observer.partition_safety_ok());
  // Height 1 was final before the cut: catching up on it is allowed.
  observer.on_commit(2, block, consensus::block_digest(block), 5'000);
  EXPECT_TRUE(observer.partition_safety_ok());
  const auto next = block_at(oracle, 2, true);
  observer.on_commit(2, next, consensus::block_digest(next), 5'000);
  EXPECT_FALSE(observer.partition_safety_ok());
}

TEST(Observer, AccusingAnHonestNodeIsAViolation) {
  const ProofOracle oracle(5, 4);
  Observer observer(oracle, {true, true, false}, {1, 1, 1}, {});
  observer.on_evidence(0, 2, "equivocation");
  EXPECT_TRUE(observer.accusations_ok());
  observer.on_evidence(0, 1, "equivocation");
  EXPECT_FALSE(observer.accusations_ok());
}

TEST(Percentile, NearestRank) {
  EXPECT_EQ(percentile({}, 50), 0u);
  EXPECT_EQ(percentile({5}, 99), 5u);
  EXPECT_EQ(percentile({4, 1, 3, 2}, 50), 2u);
  EXPECT_EQ(percentile({4, 1, 3, 2}, 99), 4u);
}

}  // namespace
}  // namespace aethel::sim
