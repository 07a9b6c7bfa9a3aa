// bench_state [ACCOUNTS] [BATCH] [BATCHES] [SYNC 0|1]: prints the state benchmark's JSON.
#include <cstdio>
#include <cstdlib>

#include "bench/state_benchmark.h"

int main(int argc, char** argv) {
  aethel::bench::StateBenchmarkConfig config;
  if (argc > 1) config.accounts = std::strtoull(argv[1], nullptr, 10);
  if (argc > 2) config.batch = std::strtoull(argv[2], nullptr, 10);
  if (argc > 3) config.batches = std::strtoull(argv[3], nullptr, 10);
  if (argc > 4) config.sync = std::strtoull(argv[4], nullptr, 10) != 0;
  if (config.accounts == 0 || config.batch == 0 || config.batches == 0) {
    std::fputs("usage: bench_state [ACCOUNTS] [BATCH] [BATCHES] [SYNC 0|1] (counts above zero)\n",
               stderr);
    return 2;
  }
  std::fputs(aethel::bench::run_state_benchmark(config).c_str(), stdout);
  return 0;
}
