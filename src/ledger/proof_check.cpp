#include "ledger/proof_check.h"

#include <string>

#include "judge/judge.h"

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

Result<ProofCheck> check_proof(const SubmitProof& submission, const judge::Limits& limits) {
  if (submission.budget.value() > limits.budget_max) {
    return fail(ErrorCode::kLimit, "proof budget " + to_string(submission.budget) +
                                       " exceeds the ceiling of " +
                                       std::to_string(limits.budget_max) + " work units");
  }
  judge::Options options;
  options.limits = limits;
  options.workers = 1;
  if (submission.budget.value() != 0) options.default_budget = submission.budget.value();
  judge::FileReport report = judge::judge_source("proof", submission.program, options);
  if (report.error) {
    const judge::Diagnostic& diagnostic = *report.error;
    return fail(diagnostic.code, "program is INVALID at line " +
                                     std::to_string(diagnostic.position.line) + ", column " +
                                     std::to_string(diagnostic.position.column) + ": " +
                                     diagnostic.message);
  }
  if (report.results.empty()) {
    return fail(ErrorCode::kInvalidArgument, "program has no intent to verify");
  }

  ProofCheck check;
  check.proof_id = proof_id(submission);
  check.verdict = judge::Verdict::kProved;
  for (const judge::UnitResult& unit : report.results) {
    check.verdict = combined(check.verdict, unit.verdict);
    // Each unit's work is at most the budget ceiling and a program has at
    // most Limits::items_max units, so the sums stay far below 2^64.
    check.work += WorkUnits(unit.work);
    check.difficulty += Difficulty(unit.difficulty);
    if (unit.stopped_by_local_limit) check.conclusive = false;
  }
  check.units = std::move(report.results);
  return check;
}

}  // namespace aethel::ledger
