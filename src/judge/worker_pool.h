// Proves units, or does any other pure work, in parallel worker processes.
//
// Why processes and not threads: Z3 (4.8) serialises on process-wide locks
// when many contexts are created and configured at once, so threads in one
// process prove fewer units per second than a single thread. Separate
// processes scale with cores, and a prover that crashes or runs out of memory
// takes down only its worker. Each unit is still proved in a fresh Z3
// context, so results are the same as in-process.
//
// Workers take the next item themselves from a counter shared with their
// siblings, and stream each result back as soon as it is done: no worker
// waits for the parent to hand out work, and the parent only collects.
//
// Both functions fork: call them only from a process with no other threads
// running.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

#include "core/bytes.h"
#include "judge/checker.h"
#include "judge/verdict.h"

namespace aethel::judge {

// Runs work(0) .. work(count - 1) in up to `workers` forked processes (they
// see this process's memory as it was at the fork) and returns the outputs
// in index order. An item whose worker died while doing it (a crash, an
// out-of-memory kill) has no output: nullopt. Items no worker took, because
// every worker died first, are done in this process. With `workers` <= 1,
// or when no process can be started, everything is done in this process.
std::vector<std::optional<Bytes>> run_in_workers(std::size_t count, unsigned workers,
                                                 const std::function<Bytes(std::size_t)>& work);

// Sees each output in this process as it arrives (item index, output);
// returning false stops the run: no worker takes another item, the items
// already taken finish, and items never taken stay without output instead
// of being done here.
using OutputWatcher = std::function<bool(std::size_t, const Bytes&)>;
std::vector<std::optional<Bytes>> run_in_workers(std::size_t count, unsigned workers,
                                                 const std::function<Bytes(std::size_t)>& work,
                                                 const OutputWatcher& watch);

// Results in the order of `units`. With `workers` <= 1 it proves in-process.
// A unit whose worker died is UNKNOWN with stopped_by_local_limit set: the
// failure is this machine's, never a verdict.
std::vector<UnitResult> prove_in_workers(const std::vector<const CheckedUnit*>& units,
                                         unsigned workers);

// The same with another prover in place of prove_unit, so that tests can
// make a worker fail on a chosen unit.
using UnitProver = std::function<UnitResult(const CheckedUnit&)>;
std::vector<UnitResult> prove_in_workers(const std::vector<const CheckedUnit*>& units,
                                         unsigned workers, const UnitProver& prover);

// The same, showing each result to `watch` as it arrives; when it returns
// false no further unit is started, and the units never started are
// nullopt. A unit whose worker died is unit_lost_with_worker, as above.
using UnitWatcher = std::function<bool(const UnitResult&)>;
std::vector<std::optional<UnitResult>> prove_in_workers(
    const std::vector<const CheckedUnit*>& units, unsigned workers, const UnitProver& prover,
    const UnitWatcher& watch);

// The result given to a unit whose worker process died while proving it.
UnitResult unit_lost_with_worker(const CheckedUnit& unit);

}  // namespace aethel::judge
