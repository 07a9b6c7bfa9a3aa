#include "core/types.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <limits>
#include <sstream>
#include <type_traits>
#include <unordered_set>

namespace aethel {
namespace {

template <class T>
concept Addable = requires(T a, T b) {
  a + b;
};
template <class T>
concept CheckedAddable = requires(T a, T b) {
  a.checked_add(b);
};
template <class T>
concept Steppable = requires(T a) {
  a.next();
};

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

TEST(StrongIntTest, TypesAreDistinctAndExplicit) {
  static_assert(!std::is_convertible_v<std::uint64_t, Height>);
  static_assert(!std::is_convertible_v<Height, std::uint64_t>);
  static_assert(!std::is_convertible_v<Height, View>);
  static_assert(!std::is_convertible_v<Stake, TokenAmount>);
  static_assert(!std::is_same_v<WorkUnits, Difficulty>);
  static_assert(std::is_constructible_v<Height, std::uint64_t>);
  static_assert(sizeof(Height) == sizeof(std::uint64_t));
}

TEST(StrongIntTest, OnlyMeaningfulArithmeticExists) {
  static_assert(Addable<Stake> && Addable<TokenAmount> && Addable<WorkUnits> &&
                Addable<Difficulty>);
  static_assert(CheckedAddable<Stake> && CheckedAddable<TokenAmount>);
  static_assert(!Addable<Height> && !Addable<View> && !Addable<Nonce> && !Addable<ValidatorIndex>);
  static_assert(!CheckedAddable<Height>);
  static_assert(Steppable<Height> && Steppable<View> && Steppable<Nonce>);
  static_assert(!Steppable<Stake> && !Steppable<ValidatorIndex>);
}

TEST(StrongIntTest, ComparesByValue) {
  EXPECT_LT(Height(3), Height(4));
  EXPECT_EQ(View(7), View(7));
  EXPECT_EQ(Height(), Height::zero());
  EXPECT_EQ(Stake::max().value(), kMax);
}

TEST(StrongIntTest, CheckedArithmeticReportsOverflowAndUnderflow) {
  EXPECT_EQ(Stake(2).checked_add(Stake(3)), Stake(5));
  EXPECT_EQ(Stake(kMax).checked_add(Stake(0)), Stake(kMax));
  EXPECT_EQ(Stake(kMax).checked_add(Stake(1)), std::nullopt);
  EXPECT_EQ(TokenAmount(5).checked_sub(TokenAmount(5)), TokenAmount(0));
  EXPECT_EQ(TokenAmount(5).checked_sub(TokenAmount(6)), std::nullopt);
  EXPECT_EQ(Height(kMax).checked_next(), std::nullopt);
  EXPECT_EQ(Height(0).checked_prev(), std::nullopt);
  EXPECT_EQ(Height(9).checked_prev(), Height(8));
}

TEST(StrongIntTest, OperatorsComputeWhenInRange) {
  TokenAmount balance(100);
  balance += TokenAmount(50);
  balance -= TokenAmount(30);
  EXPECT_EQ(balance, TokenAmount(120));
  EXPECT_EQ(WorkUnits(4) + WorkUnits(6), WorkUnits(10));
  EXPECT_EQ(Difficulty(9) - Difficulty(9), Difficulty(0));
  EXPECT_EQ(Nonce(41).next(), Nonce(42));
}

TEST(StrongIntDeathTest, AssertingOperatorsAbortOnOverflow) {
  EXPECT_DEATH((void)(Stake(kMax) + Stake(1)), "addition overflowed");
  EXPECT_DEATH((void)(TokenAmount(1) - TokenAmount(2)), "subtraction underflowed");
  EXPECT_DEATH((void)Height(kMax).next(), "position overflowed");
}

TEST(StrongIntTest, PrintsNameAndValue) {
  std::ostringstream out;
  out << Height(12) << ", " << ValidatorIndex(3);
  EXPECT_EQ(out.str(), "height 12, validator-index 3");
  EXPECT_EQ(to_string(View(5)), "5");
}

TEST(StrongIntTest, UsableAsHashKey) {
  const std::unordered_set<ValidatorIndex> indices{ValidatorIndex(1), ValidatorIndex(2),
                                                   ValidatorIndex(1)};
  EXPECT_EQ(indices.size(), 2u);
}

RC_GTEST_PROP(StrongIntProperty, CheckedAddMatchesWideArithmetic,
              (std::uint64_t a, std::uint64_t b)) {
  std::uint64_t expected = 0;
  const bool overflows = __builtin_add_overflow(a, b, &expected);
  const auto sum = Stake(a).checked_add(Stake(b));
  RC_ASSERT(sum.has_value() == !overflows);
  if (sum) RC_ASSERT(sum->value() == expected);
}

RC_GTEST_PROP(StrongIntProperty, CheckedSubMatchesComparison, (std::uint64_t a, std::uint64_t b)) {
  const auto difference = TokenAmount(a).checked_sub(TokenAmount(b));
  RC_ASSERT(difference.has_value() == (a >= b));
  if (difference) RC_ASSERT(difference->value() + b == a);
}

}  // namespace
}  // namespace aethel
