// The judge benchmark: deterministic transfer-style proofs per second through
// the whole judge, beside raw Z3 solving the very same queries (the floor).
#pragma once

#include <cstddef>
#include <string>

namespace aethel::bench {

struct JudgeBenchmarkConfig {
  std::size_t proofs = 2000;  // distinct programs, one intent each
  unsigned threads = 0;       // worker processes; 0: one per core
  bool json = true;           // JSON is the only output format
};

// Runs the benchmark and returns one JSON object (see README).
std::string run_judge_benchmark(const JudgeBenchmarkConfig& config);

}  // namespace aethel::bench
