// Translates a checked intent or batch to Z3 and runs the five checks of the
// language specification in order. Every unit gets a fresh Z3 context, so its
// verdict and work depend on nothing but the unit itself: not on what was
// proved before, nor on the thread that proves it.
#pragma once

#include <cstddef>

#include "judge/checker.h"
#include "judge/verdict.h"

namespace aethel::judge {

UnitResult prove_unit(const CheckedUnit& unit);

// The SMT-LIB text of every query the prover makes for `unit`, each a
// self-contained script ending in (check-sat). Used by the benchmark to time
// raw Z3 on the same formulas.
std::vector<std::string> unit_queries_smtlib(const CheckedUnit& unit);

}  // namespace aethel::judge
