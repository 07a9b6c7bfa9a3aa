// bench_ledger [BLOCK_PROOFS] [MEMPOOL_PROOFS] [WORKERS]: prints the ledger benchmark's JSON.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/ledger_benchmark.h"

int main(int argc, char** argv) {
  aethel::bench::LedgerBenchmarkConfig config;
  if (argc > 1) config.block_proofs = config.block_transfers = std::strtoull(argv[1], nullptr, 10);
  if (argc > 2) config.mempool_proofs = std::strtoull(argv[2], nullptr, 10);
  if (argc > 3) config.workers = static_cast<unsigned>(std::strtoul(argv[3], nullptr, 10));
  if (config.block_proofs == 0 || config.mempool_proofs == 0 || config.workers == 0) {
    std::fputs(
        "usage: bench_ledger [BLOCK_PROOFS] [MEMPOOL_PROOFS] [WORKERS] (counts above zero)\n",
        stderr);
    return 2;
  }
  const std::string output = aethel::bench::run_ledger_benchmark(config);
  std::fputs(output.c_str(), stdout);
  return output.find("\"error\"") == std::string::npos ? 0 : 1;
}
