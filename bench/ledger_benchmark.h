// The ledger benchmark: a block of distinct transfer-style proofs verified
// (cold: judged now; warm: every outcome cached at admission) and executed
// against the authenticated state, a block of plain transfers executed,
// and mempool admission while filling to 10,000 pending proofs with the
// mempool's select time at that size. The baseline is the judge alone
// (check_proof) on the same block's programs with the same processes.
#pragma once

#include <cstddef>
#include <string>

namespace aethel::bench {

struct LedgerBenchmarkConfig {
  std::size_t block_proofs = 1'000;     // SubmitProof transactions in the proof block
  std::size_t block_transfers = 1'000;  // Transfer transactions in the transfer block
  std::size_t mempool_proofs = 10'000;  // pending proofs the mempool is filled to
  std::size_t admission_batch = 1'000;  // SubmitProofs judged per verifier call
  unsigned workers = 2;                 // prover processes
  bool json = true;                     // JSON is the only output format
};

// Runs the benchmark in a temporary folder (removed afterwards) and returns
// one JSON object (see README).
std::string run_ledger_benchmark(const LedgerBenchmarkConfig& config);

}  // namespace aethel::bench
