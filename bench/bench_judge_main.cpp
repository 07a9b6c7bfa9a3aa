// bench_judge [PROOFS] [THREADS]: prints the judge benchmark's JSON.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/judge_benchmark.h"

int main(int argc, char** argv) {
  aethel::bench::JudgeBenchmarkConfig config;
  if (argc > 1) config.proofs = std::strtoull(argv[1], nullptr, 10);
  if (argc > 2) config.threads = static_cast<unsigned>(std::strtoul(argv[2], nullptr, 10));
  std::fputs(aethel::bench::run_judge_benchmark(config).c_str(), stdout);
  return 0;
}
