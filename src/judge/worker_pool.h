// Proves units in parallel worker processes.
//
// Why processes and not threads: Z3 (4.8) serialises on process-wide locks
// when many contexts are created and configured at once, so threads in one
// process prove fewer units per second than a single thread. Separate
// processes scale with cores, and a prover that crashes or runs out of memory
// takes down only its worker. Each unit is still proved in a fresh Z3
// context, so results are the same as in-process.
//
// prove_in_workers() forks: call it only from a process with no other
// threads running.
#pragma once

#include <vector>

#include "judge/checker.h"
#include "judge/verdict.h"

namespace aethel::judge {

// Results in the order of `units`. With `workers` <= 1 it proves in-process.
std::vector<UnitResult> prove_in_workers(const std::vector<const CheckedUnit*>& units,
                                         unsigned workers);

}  // namespace aethel::judge
