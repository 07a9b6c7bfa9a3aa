// Measures this machine's cost of the operations the CPU model charges, by
// timing the real libsodium and OpenSSL calls. The result is rounded to
// whole microseconds and printed with every run, so a run can be replayed
// exactly with --cpu-cost-us even on another machine.
#pragma once

#include "sim/options.h"

namespace aethel::sim {

// Proof verification is the judge's work (Z3), which the simulator does not
// run: its cost is the single-worker figure of `aethel bench judge` on this
// machine (673 proofs/s, README), unless --cpu-cost-us proof=.. says otherwise.
inline constexpr std::uint64_t kDefaultProofCostUs = 1'486;

// Times sign, verify and SHA-256 of 1 KiB for about `budget_ms` in total;
// cores: this machine's hardware threads.
CpuCosts measure_cpu_costs(std::uint64_t budget_ms = 300);

}  // namespace aethel::sim
