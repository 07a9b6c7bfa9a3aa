#include "ledger/proof_check.h"

#include <gtest/gtest.h>

#include <string>

namespace aethel::ledger {
namespace {

const std::string kTransfer =
    "intent transfer(sender: Balance, receiver: Balance, amount: Amount) {\n"
    "    guard {\n"
    "        amount > 0;\n"
    "        sender >= amount;\n"
    "        receiver <= 9223372036854775807 - amount;\n"
    "    }\n"
    "    solve { priority: security; }\n"
    "    verify {\n"
    "        sender == old_sender - amount;\n"
    "        receiver == old_receiver + amount;\n"
    "    }\n"
    "}\n";

// The same transfer without the overflow guard: REFUTED (RANGE).
const std::string kOverflowingTransfer =
    "intent transfer(sender: Balance, receiver: Balance, amount: Amount) {\n"
    "    guard { amount > 0; sender >= amount; }\n"
    "    solve { priority: security; }\n"
    "    verify { sender == old_sender - amount; receiver == old_receiver + amount; }\n"
    "}\n";

const std::string kCube =
    "intent m0(p0: Int, p1: Amount) {\n"
    "  guard { 12 != old_p1 - old_p0 * old_p1; }\n"
    "  solve { }\n"
    "  verify { p0 == old_p1 * old_p1 * old_p1; }\n"
    "}\n";

TEST(ProofCheckTest, ProvedProgramSumsWorkAndDifficultyOverUnits) {
  const std::string two = kTransfer + "\n" + [] {
    std::string second = kTransfer;
    second.replace(second.find("transfer"), 8, "transfer_again");
    return second;
  }();
  auto one_unit = check_proof(SubmitProof{kTransfer, WorkUnits(0)}, judge::Limits{});
  auto two_units = check_proof(SubmitProof{two, WorkUnits(0)}, judge::Limits{});
  ASSERT_TRUE(one_unit) << one_unit.error().to_string();
  ASSERT_TRUE(two_units) << two_units.error().to_string();
  EXPECT_EQ(one_unit->verdict, judge::Verdict::kProved);
  EXPECT_EQ(two_units->verdict, judge::Verdict::kProved);
  EXPECT_TRUE(one_unit->conclusive);
  ASSERT_EQ(two_units->units.size(), 2u);
  EXPECT_EQ(two_units->work.value(), two_units->units[0].work + two_units->units[1].work);
  EXPECT_EQ(two_units->difficulty.value(),
            two_units->units[0].difficulty + two_units->units[1].difficulty);
  EXPECT_GT(one_unit->difficulty.value(), 1u);
  EXPECT_EQ(one_unit->proof_id, proof_id(SubmitProof{kTransfer, WorkUnits(0)}));
}

TEST(ProofCheckTest, OneRefutedUnitRefutesTheSubmissionWithItsCounterexample) {
  std::string refuted = kOverflowingTransfer;
  refuted.replace(refuted.find("transfer"), 8, "bad");
  auto check = check_proof(SubmitProof{kTransfer + "\n" + refuted, WorkUnits(0)}, judge::Limits{});
  ASSERT_TRUE(check) << check.error().to_string();
  EXPECT_EQ(check->verdict, judge::Verdict::kRefuted);
  ASSERT_EQ(check->units.size(), 2u);
  EXPECT_EQ(check->units[1].reason, judge::Reason::kRange);
  EXPECT_TRUE(check->units[1].counterexample.has_value());
}

TEST(ProofCheckTest, BudgetAppliesAndIsBoundedByTheCeiling) {
  auto tiny = check_proof(SubmitProof{kTransfer, WorkUnits(1)}, judge::Limits{});
  ASSERT_TRUE(tiny);
  EXPECT_EQ(tiny->verdict, judge::Verdict::kUnknown);
  EXPECT_TRUE(tiny->conclusive);  // the budget is protocol, not a local limit
  auto over = check_proof(SubmitProof{kTransfer, WorkUnits(judge::Limits{}.budget_max + 1)},
                          judge::Limits{});
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kLimit);
}

TEST(ProofCheckTest, LocalTimeGuardMakesTheOutcomeInconclusive) {
  judge::Limits limits;
  limits.prover_time_guard_ms = 50;
  auto check = check_proof(SubmitProof{kCube, WorkUnits(0)}, limits);
  ASSERT_TRUE(check) << check.error().to_string();
  EXPECT_EQ(check->verdict, judge::Verdict::kUnknown);
  EXPECT_FALSE(check->conclusive);
}

TEST(ProofCheckTest, InvalidAndEmptyProgramsAreRefusedWithTheirPosition) {
  auto invalid = check_proof(SubmitProof{"intent x( {", WorkUnits(0)}, judge::Limits{});
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, ErrorCode::kSyntax);
  EXPECT_NE(invalid.error().message.find("line 1, column"), std::string::npos)
      << invalid.error().message;
  auto empty = check_proof(SubmitProof{"// nothing\n", WorkUnits(0)}, judge::Limits{});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace aethel::ledger
