// The state benchmark: authenticated account updates per second in the
// versioned sparse Merkle tree, beside plain RocksDB write batches of the same
// keys and values (the floor), proof generation and verification, and a
// snapshot exported and imported into a fresh store.
#pragma once

#include <cstddef>
#include <string>

namespace aethel::bench {

struct StateBenchmarkConfig {
  std::size_t accounts = 1'000'000;  // loaded before timing starts
  std::size_t batch = 10'000;        // updates per version
  std::size_t batches = 20;          // timed versions of random account updates
  std::size_t proofs = 20'000;       // half for present keys, half for absent ones
  bool sync = true;                  // fsync each version's write batch (as a node does)
  bool json = true;                  // JSON is the only output format
};

// Runs the benchmark in a temporary folder (removed afterwards) and returns
// one JSON object (see README).
std::string run_state_benchmark(const StateBenchmarkConfig& config);

}  // namespace aethel::bench
