// Result<T> behaves the same whether it is std::expected or the fallback in
// core/expected.h; these tests run under every compiler the project uses.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/error.h"

namespace aethel {
namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return fail(ErrorCode::kSyntax, std::string("not a digit: ") + c);
  return c - '0';
}

Result<void> check_positive(int value) {
  if (value <= 0) return fail(ErrorCode::kInvalidArgument, "not positive");
  return {};
}

TEST(ResultTest, HoldsValueOrError) {
  const auto seven = parse_digit('7');
  ASSERT_TRUE(seven.has_value());
  EXPECT_TRUE(static_cast<bool>(seven));
  EXPECT_EQ(*seven, 7);
  EXPECT_EQ(seven.value(), 7);
  EXPECT_EQ(seven.value_or(-1), 7);

  const auto bad = parse_digit('x');
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kSyntax);
  EXPECT_EQ(bad.error().message, "not a digit: x");
  EXPECT_EQ(bad.error().to_string(), "syntax: not a digit: x");
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(ResultTest, VoidResults) {
  EXPECT_TRUE(check_positive(1).has_value());
  const auto refused = check_positive(0);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
}

TEST(ResultTest, HoldsMoveOnlyValuesAndMovesErrorsOut) {
  Result<std::unique_ptr<int>> owned = std::make_unique<int>(5);
  ASSERT_TRUE(owned.has_value());
  std::unique_ptr<int> taken = std::move(*owned);
  EXPECT_EQ(*taken, 5);

  Result<std::vector<int>> failed = fail(ErrorCode::kIo, "disk");
  const Error error = std::move(failed).error();
  EXPECT_EQ(error.message, "disk");
}

TEST(ResultTest, CopiesAndAssigns) {
  Result<std::string> a = std::string("alpha");
  Result<std::string> b = fail(ErrorCode::kNotFound, "missing");
  b = a;
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(*b, "alpha");
  EXPECT_EQ(b->size(), 5u);
  a = fail(ErrorCode::kCorrupt, "bad");
  EXPECT_FALSE(a.has_value());
}

TEST(ErrorCodeTest, EveryCodeHasAName) {
  EXPECT_EQ(error_code_name(ErrorCode::kTruncated), "truncated");
  EXPECT_EQ(error_code_name(ErrorCode::kBadSignature), "bad-signature");
  EXPECT_EQ(error_code_name(ErrorCode::kInternal), "internal");
}

}  // namespace
}  // namespace aethel
