#include "ledger/proof_check.h"

#include <string>

#include "judge/prover.h"

namespace aethel::ledger {
namespace {

judge::Verdict combined(judge::Verdict so_far, judge::Verdict unit) {
  if (so_far == judge::Verdict::kRefuted || unit == judge::Verdict::kRefuted) {
    return judge::Verdict::kRefuted;
  }
  if (so_far == judge::Verdict::kUnknown || unit == judge::Verdict::kUnknown) {
    return judge::Verdict::kUnknown;
  }
  return judge::Verdict::kProved;
}

}  // namespace

Result<judge::CheckedProgram> prepare_proof(const SubmitProof& submission,
                                            const judge::Limits& limits) {
  if (submission.budget.value() > limits.budget_max) {
    return fail(ErrorCode::kLimit, "proof budget " + to_string(submission.budget) +
                                       " exceeds the ceiling of " +
                                       std::to_string(limits.budget_max) + " work units");
  }
  const std::uint64_t default_budget =
      submission.budget.value() != 0 ? submission.budget.value() : limits.budget_default;
  auto checked = judge::parse_and_check(submission.program, limits, default_budget);
  if (!checked) {
    const judge::Diagnostic& diagnostic = checked.error();
    return fail(diagnostic.code, "program is INVALID at line " +
                                     std::to_string(diagnostic.position.line) + ", column " +
                                     std::to_string(diagnostic.position.column) + ": " +
                                     diagnostic.message);
  }
  if (checked->units.empty()) {
    return fail(ErrorCode::kInvalidArgument, "program has no intent to verify");
  }
  return std::move(*checked);
}

ProofCheck combine_unit_results(const Hash256& proof_id, std::vector<judge::UnitResult> units) {
  ProofCheck check;
  check.proof_id = proof_id;
  check.verdict = judge::Verdict::kProved;
  for (const judge::UnitResult& unit : units) {
    check.verdict = combined(check.verdict, unit.verdict);
    // Each unit's work is at most the budget ceiling and a program has at
    // most Limits::items_max units, so the sums stay far below 2^64.
    check.work += WorkUnits(unit.work);
    check.difficulty += Difficulty(unit.difficulty);
    if (unit.stopped_by_local_limit) check.conclusive = false;
  }
  check.units = std::move(units);
  return check;
}

Result<ProofCheck> check_proof(const SubmitProof& submission, const judge::Limits& limits) {
  auto program = prepare_proof(submission, limits);
  if (!program) return unexpected<Error>(std::move(program.error()));
  std::vector<judge::UnitResult> units;
  units.reserve(program->units.size());
  for (const judge::CheckedUnit& unit : program->units) units.push_back(judge::prove_unit(unit));
  return combine_unit_results(proof_id(submission), std::move(units));
}

}  // namespace aethel::ledger
