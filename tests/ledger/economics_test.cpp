#include "ledger/economics.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/wide_arith.h"

namespace aethel::ledger {
namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

TokenAmount tokens(std::uint64_t value) {
  return TokenAmount(value);
}

EmissionSchedule schedule(std::uint64_t cap, std::uint64_t allowance, std::uint64_t interval) {
  return EmissionSchedule{tokens(cap), tokens(allowance), interval};
}

TokenAmount sum_of(const std::vector<RewardShare>& shares) {
  TokenAmount total;
  for (const auto& share : shares) total += share.amount;
  return total;
}

// Signers with distinct increasing indices and positive stakes.
rc::Gen<std::vector<Signer>> gen_signers() {
  return rc::gen::map(
      rc::gen::nonEmpty(rc::gen::container<std::vector<std::pair<std::uint8_t, std::uint64_t>>>(
          rc::gen::pair(rc::gen::inRange<std::uint8_t>(1, 50),
                        rc::gen::inRange<std::uint64_t>(1, std::uint64_t{1} << 50)))),
      [](const std::vector<std::pair<std::uint8_t, std::uint64_t>>& steps_and_stakes) {
        std::vector<Signer> signers;
        std::uint64_t index = 0;
        for (const auto& [step, stake] : steps_and_stakes) {
          index += step;
          signers.push_back(Signer{ValidatorIndex(index), Stake(stake)});
        }
        return signers;
      });
}

TEST(WideArithTest, MulDivIsExactBeyondSixtyFourBits) {
  EXPECT_EQ(mul_div_floor(kMax, kMax, kMax), kMax);
  EXPECT_EQ(mul_div_floor(kMax, 3, 4), kMax / 4 * 3 + 2);  // floor(3 * (2^64 - 1) / 4)
  EXPECT_EQ(mul_div_floor(7, 3, 2), 10u);
  EXPECT_EQ(mul_div_floor(kMax, 2, 1), std::nullopt);
  EXPECT_EQ(mul_mod(kMax, kMax, 10),
            static_cast<std::uint64_t>(static_cast<UInt128>(kMax) * kMax % 10));
}

TEST(EmissionScheduleTest, AllowanceHalvesEveryInterval) {
  const auto s = schedule(1'000'000, 1'000, 10);
  EXPECT_EQ(s.allowance_at(Height(1)), tokens(1'000));
  EXPECT_EQ(s.allowance_at(Height(10)), tokens(1'000));
  EXPECT_EQ(s.allowance_at(Height(11)), tokens(500));
  EXPECT_EQ(s.allowance_at(Height(21)), tokens(250));
  EXPECT_EQ(s.allowance_at(Height(10 * 64 + 1)), tokens(0));
  EXPECT_EQ(s.allowance_at(Height(kMax)), tokens(0));
}

TEST(EmissionScheduleTest, CapLimitsWhatIsStillAllowed) {
  const auto s = schedule(1'500, 1'000, 10);
  EXPECT_EQ(s.still_allowed(Height(1), tokens(0)), tokens(1'000));
  EXPECT_EQ(s.still_allowed(Height(2), tokens(1'000)), tokens(500));
  EXPECT_EQ(s.still_allowed(Height(3), tokens(1'500)), tokens(0));
}

TEST(EmissionScheduleTest, ValidateNamesTheField) {
  auto zero_interval = schedule(10, 1, 0).validate();
  ASSERT_FALSE(zero_interval);
  EXPECT_NE(zero_interval.error().message.find("halving_interval"), std::string::npos);
  auto above_cap = schedule(10, 11, 5).validate();
  ASSERT_FALSE(above_cap);
  EXPECT_NE(above_cap.error().message.find("initial_block_allowance"), std::string::npos);
  EXPECT_TRUE(schedule(10, 10, 5).validate());
}

TEST(RewardPolicyTest, ValidateRefusesZeroScaleAndLargeBonus) {
  EXPECT_FALSE((RewardPolicy{tokens(1), Difficulty(0), 0}.validate()));
  EXPECT_FALSE((RewardPolicy{tokens(1), Difficulty(1), 10'001}.validate()));
  EXPECT_TRUE((RewardPolicy{tokens(1), Difficulty(1), 10'000}.validate()));
}

TEST(BlockEmissionTest, GrowsWithDifficultyUntilTheScheduleAllowsNoMore) {
  const auto s = schedule(1'000'000, 1'000, 100);
  const RewardPolicy policy{tokens(3), Difficulty(10), 0};
  EXPECT_EQ(block_emission(s, policy, Height(1), tokens(0), Difficulty(0)), tokens(0));
  EXPECT_EQ(block_emission(s, policy, Height(1), tokens(0), Difficulty(9)), tokens(2));
  EXPECT_EQ(block_emission(s, policy, Height(1), tokens(0), Difficulty(100)), tokens(30));
  EXPECT_EQ(block_emission(s, policy, Height(1), tokens(0), Difficulty(1'000'000)), tokens(1'000));
  EXPECT_EQ(block_emission(s, policy, Height(1), tokens(999'990), Difficulty(1'000'000)),
            tokens(10));
  // base * difficulty beyond 64 bits is clamped by the schedule, not wrapped.
  const RewardPolicy huge{tokens(kMax), Difficulty(1), 0};
  EXPECT_EQ(block_emission(s, huge, Height(1), tokens(0), Difficulty(kMax)), tokens(1'000));
}

TEST(SplitBlockRewardTest, WorkedExample) {
  // 1,000 tokens, 10% bonus to the proposer (validator 2), stakes 1:1:1.
  const std::vector<Signer> signers{
      {ValidatorIndex(1), Stake(5)}, {ValidatorIndex(2), Stake(5)}, {ValidatorIndex(4), Stake(5)}};
  auto shares = split_block_reward(tokens(1'000), signers, ValidatorIndex(2), 1'000);
  ASSERT_TRUE(shares) << shares.error().to_string();
  // bonus 100; pool 900 -> 300 each, no dust.
  const std::vector<RewardShare> expected{{ValidatorIndex(1), tokens(300)},
                                          {ValidatorIndex(2), tokens(400)},
                                          {ValidatorIndex(4), tokens(300)}};
  EXPECT_EQ(*shares, expected);
}

TEST(SplitBlockRewardTest, LeftoverGoesByTheDivisorRuleNotToTheProposer) {
  const std::vector<Signer> signers{
      {ValidatorIndex(0), Stake(1)}, {ValidatorIndex(1), Stake(1)}, {ValidatorIndex(2), Stake(1)}};
  auto shares = split_block_reward(tokens(100), signers, ValidatorIndex(7), 0);
  ASSERT_TRUE(shares);
  // 33 each by flooring; the one token left goes to the lowest index on the
  // tie; the proposer, which did not sign, has an entry with its zero bonus.
  const std::vector<RewardShare> expected{{ValidatorIndex(0), tokens(34)},
                                          {ValidatorIndex(1), tokens(33)},
                                          {ValidatorIndex(2), tokens(33)},
                                          {ValidatorIndex(7), tokens(0)}};
  EXPECT_EQ(*shares, expected);
}

TEST(SplitBlockRewardTest, ALargeSignerCanTakeSeveralLeftoverTokens) {
  // Stakes 5:1:1:1:1:1, pool 4: flooring gives 2,0,0,0,0,0; D'Hondt then
  // compares 5/3 with 1/1 (large signer), then 5/4 with 1/1 (large again).
  const std::vector<Signer> signers{{ValidatorIndex(0), Stake(5)}, {ValidatorIndex(1), Stake(1)},
                                    {ValidatorIndex(2), Stake(1)}, {ValidatorIndex(3), Stake(1)},
                                    {ValidatorIndex(4), Stake(1)}, {ValidatorIndex(5), Stake(1)}};
  auto shares = split_block_reward(tokens(4), signers, ValidatorIndex(0), 0);
  ASSERT_TRUE(shares);
  EXPECT_EQ((*shares)[0].amount, tokens(4));
  EXPECT_EQ(sum_of(*shares), tokens(4));
}

TEST(SplitBlockRewardTest, RefusesBadSigners) {
  const std::vector<Signer> unordered{{ValidatorIndex(3), Stake(1)}, {ValidatorIndex(1), Stake(1)}};
  const std::vector<Signer> duplicate{{ValidatorIndex(1), Stake(1)}, {ValidatorIndex(1), Stake(1)}};
  const std::vector<Signer> zero_stake{{ValidatorIndex(1), Stake(0)}};
  const std::vector<Signer> overflowing{{ValidatorIndex(1), Stake(kMax)},
                                        {ValidatorIndex(2), Stake(1)}};
  const std::vector<Signer> none;
  EXPECT_EQ(split_block_reward(tokens(1), unordered, ValidatorIndex(1), 0).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(split_block_reward(tokens(1), duplicate, ValidatorIndex(1), 0).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(split_block_reward(tokens(1), zero_stake, ValidatorIndex(1), 0).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(split_block_reward(tokens(1), overflowing, ValidatorIndex(1), 0).error().code,
            ErrorCode::kLimit);
  EXPECT_EQ(split_block_reward(tokens(1), none, ValidatorIndex(1), 0).error().code,
            ErrorCode::kInvalidArgument);
  const std::vector<Signer> one{{ValidatorIndex(1), Stake(1)}};
  EXPECT_EQ(split_block_reward(tokens(1), one, ValidatorIndex(1), 10'001).error().code,
            ErrorCode::kInvalidArgument);
}

RC_GTEST_PROP(SplitBlockRewardProperty, SharesSumToTheRewardExactly, ()) {
  const auto signers = *gen_signers();
  const auto total = tokens(*rc::gen::arbitrary<std::uint64_t>());
  const auto bonus_bps = *rc::gen::inRange<std::uint32_t>(0, kBasisPoints + 1);
  const auto proposer = ValidatorIndex(*rc::gen::inRange<std::uint64_t>(0, 3'000));
  auto shares = split_block_reward(total, signers, proposer, bonus_bps);
  RC_ASSERT(shares.has_value());
  RC_ASSERT(sum_of(*shares) == total);
  RC_ASSERT(std::is_sorted(shares->begin(), shares->end(),
                           [](const auto& a, const auto& b) { return a.validator < b.validator; }));
  // Every signer appears, and nobody else except the proposer.
  for (const auto& signer : signers) {
    RC_ASSERT(std::any_of(shares->begin(), shares->end(),
                          [&](const auto& share) { return share.validator == signer.validator; }));
  }
  RC_ASSERT(shares->size() <= signers.size() + 1);
}

RC_GTEST_PROP(SplitBlockRewardProperty, MoreStakeNeverEarnsLessInOneBlock, ()) {
  const auto signers = *gen_signers();
  const auto total = tokens(*rc::gen::inRange<std::uint64_t>(0, std::uint64_t{1} << 62));
  // The proposer is not a signer here, so signer shares are the stake shares.
  const ValidatorIndex proposer(100'000);
  auto shares = split_block_reward(total, signers, proposer, 500);
  RC_ASSERT(shares.has_value());
  for (std::size_t i = 0; i < signers.size(); ++i) {
    for (std::size_t j = 0; j < signers.size(); ++j) {
      if (signers[i].stake > signers[j].stake) {
        RC_ASSERT((*shares)[i].amount >= (*shares)[j].amount);
      } else if (signers[i].stake == signers[j].stake) {
        // Equal stakes differ by at most the one leftover token.
        RC_ASSERT((*shares)[i].amount.value() <= (*shares)[j].amount.value() + 1);
      }
    }
  }
}

RC_GTEST_PROP(SplitBlockRewardProperty, ASignersShareNeverFallsWhenTheRewardGrows, ()) {
  const auto signers = *gen_signers();
  const auto smaller = *rc::gen::inRange<std::uint64_t>(0, std::uint64_t{1} << 62);
  const auto larger = smaller + *rc::gen::inRange<std::uint64_t>(0, std::uint64_t{1} << 40);
  const ValidatorIndex proposer(100'000);
  auto before = split_block_reward(tokens(smaller), signers, proposer, 250);
  auto after = split_block_reward(tokens(larger), signers, proposer, 250);
  RC_ASSERT(before.has_value() && after.has_value());
  for (std::size_t i = 0; i < signers.size(); ++i) {
    RC_ASSERT((*after)[i].amount >= (*before)[i].amount);
  }
}

RC_GTEST_PROP(SplitBlockRewardProperty, NoRewardFallsWhenTheTotalGrowsProposerIncluded, ()) {
  const auto signers = *gen_signers();
  const auto smaller = *rc::gen::inRange<std::uint64_t>(0, std::uint64_t{1} << 20);
  const auto larger = smaller + *rc::gen::inRange<std::uint64_t>(0, 64);
  const auto bonus_bps = *rc::gen::inRange<std::uint32_t>(0, kBasisPoints + 1);
  // The proposer signs: its bonus and its divisor-rule share both count.
  const ValidatorIndex proposer =
      signers[*rc::gen::inRange<std::size_t>(0, signers.size())].validator;
  auto before = split_block_reward(tokens(smaller), signers, proposer, bonus_bps);
  auto after = split_block_reward(tokens(larger), signers, proposer, bonus_bps);
  RC_ASSERT(before.has_value() && after.has_value());
  RC_ASSERT(before->size() == after->size());
  for (std::size_t i = 0; i < before->size(); ++i) {
    RC_ASSERT((*after)[i].amount >= (*before)[i].amount);
  }
}

RC_GTEST_PROP(BlockEmissionProperty, NeverDecreasesWhenDifficultyGrows, ()) {
  const auto s = schedule(*rc::gen::inRange<std::uint64_t>(1, kMax),
                          *rc::gen::inRange<std::uint64_t>(0, 1'000'000), 1'000);
  RC_PRE(s.validate().has_value());
  const RewardPolicy policy{tokens(*rc::gen::arbitrary<std::uint64_t>()),
                            Difficulty(*rc::gen::inRange<std::uint64_t>(1, kMax)), 0};
  const auto height = Height(*rc::gen::inRange<std::uint64_t>(1, 100'000));
  const auto emitted = tokens(*rc::gen::inRange<std::uint64_t>(0, s.cap.value() + 1));
  const auto low = *rc::gen::arbitrary<std::uint64_t>();
  const auto high = *rc::gen::inRange<std::uint64_t>(low, kMax);
  RC_ASSERT(block_emission(s, policy, height, emitted, Difficulty(low)) <=
            block_emission(s, policy, height, emitted, Difficulty(high)));
}

RC_GTEST_PROP(BlockEmissionProperty, SupplyNeverPassesTheCapOverLongRuns, ()) {
  const auto cap = *rc::gen::inRange<std::uint64_t>(1, std::uint64_t{1} << 40);
  const auto s = schedule(cap, *rc::gen::inRange<std::uint64_t>(0, cap + 1),
                          *rc::gen::inRange<std::uint64_t>(1, 50));
  const RewardPolicy policy{tokens(*rc::gen::inRange<std::uint64_t>(0, 1'000'000)),
                            Difficulty(*rc::gen::inRange<std::uint64_t>(1, 1'000)), 0};
  const auto difficulties = *rc::gen::container<std::vector<std::uint64_t>>(
      500, rc::gen::inRange<std::uint64_t>(0, 100'000));
  TokenAmount emitted;
  std::uint64_t height = 1;
  for (const auto difficulty : difficulties) {
    emitted += block_emission(s, policy, Height(height++), emitted, Difficulty(difficulty));
    RC_ASSERT(emitted <= s.cap);
  }
}

TEST(SlashingTest, RulesTakeTheirPercentageRoundedDown) {
  EXPECT_EQ(slash_amount(Offence::kEquivocation, tokens(1'000)), tokens(200));
  EXPECT_EQ(slash_amount(Offence::kFalseVerdictVote, tokens(1'000)), tokens(50));
  EXPECT_EQ(slash_amount(Offence::kEquivocation, tokens(4)), tokens(0));
  EXPECT_EQ(slash_amount(Offence::kFalseVerdictVote, tokens(39)), tokens(1));
  EXPECT_EQ(slash_amount(Offence::kEquivocation, tokens(kMax)), tokens(kMax / 5));
  EXPECT_STREQ(offence_name(Offence::kEquivocation), "equivocation");
}

RC_GTEST_PROP(SlashingProperty, NeverTakesMoreThanTheRuleAllows, (std::uint64_t slashable)) {
  for (const auto offence : {Offence::kEquivocation, Offence::kFalseVerdictVote}) {
    const auto amount = slash_amount(offence, tokens(slashable)).value();
    const auto percent = slash_percent(offence);
    // amount * 100 <= slashable * percent < (amount + 1) * 100
    RC_ASSERT(static_cast<UInt128>(amount) * 100 <= static_cast<UInt128>(slashable) * percent);
    RC_ASSERT(static_cast<UInt128>(slashable) * percent < (static_cast<UInt128>(amount) + 1) * 100);
  }
}

}  // namespace
}  // namespace aethel::ledger
