// The judge applied to one proof submission, with the outcome reduced to
// what the ledger records and what validators compare: one verdict, the
// total prover work and the total difficulty of the program's units.
#pragma once

#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/types.h"
#include "judge/checker.h"
#include "judge/limits.h"
#include "judge/verdict.h"
#include "ledger/transaction.h"

namespace aethel::ledger {

struct ProofCheck {
  Hash256 proof_id;
  // PROVED when every unit is PROVED; REFUTED when any unit is REFUTED;
  // otherwise UNKNOWN.
  judge::Verdict verdict = judge::Verdict::kUnknown;
  WorkUnits work;         // the sum over units
  Difficulty difficulty;  // the sum over units
  // False when this machine's time guard stopped a unit: the outcome is then
  // local, and neither confirms nor contradicts another validator's claim.
  bool conclusive = true;
  std::vector<judge::UnitResult> units;  // in source order, with counterexamples
};

// The steps of check_proof, shared with ProofVerifier (which proves the units
// of many programs in worker processes between them) so that both reach
// identical outcomes.
//
// Applies the budget ceiling, then parses and type checks the program with
// the submission's budget as the default for its intents. Refuses exactly
// what check_proof refuses, with the same errors.
Result<judge::CheckedProgram> prepare_proof(const SubmitProof& submission,
                                            const judge::Limits& limits);
// Reduces the results of a program's units (in source order) to one outcome.
ProofCheck combine_unit_results(const Hash256& proof_id, std::vector<judge::UnitResult> units);

// Runs the judge on `submission` in this process. A budget of zero means the
// judge's default. Refuses (kLimit) a budget above the judge's ceiling, and
// a program the judge finds INVALID with its diagnostic (kSyntax, kType or
// kLimit, with line and column) or one with no intent (kInvalidArgument).
Result<ProofCheck> check_proof(const SubmitProof& submission, const judge::Limits& limits);

}  // namespace aethel::ledger
