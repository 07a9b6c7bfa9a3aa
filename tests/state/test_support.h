// Shared pieces of the state tests: temporary folders, a reference root
// computed straight from the definition in state/hashing.h, and key helpers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <string>

#include "core/bytes.h"
#include "crypto/sha256.h"
#include "state/hashing.h"
#include "tests/support/scale.h"
#include "tests/support/temp_dir.h"

namespace aethel::state::testing {

using aethel::testing::kScale;

using aethel::testing::TempDir;

inline TreeKey test_key(std::uint64_t n) {
  return crypto::sha256("test-key-" + std::to_string(n));
}

inline Bytes test_value(std::uint64_t n, std::uint64_t salt) {
  return bytes_of("value-" + std::to_string(n) + "-" + std::to_string(salt));
}

// The root by definition: recursive over the sorted leaves, one bit at a time.
inline SubtreeHash reference_subtree(std::map<TreeKey, Bytes>::const_iterator begin,
                                     std::map<TreeKey, Bytes>::const_iterator end,
                                     std::size_t depth) {
  if (begin == end) return SubtreeHash{};
  if (std::next(begin) == end) {
    return SubtreeHash{SubtreeKind::kLeaf, leaf_hash(begin->first, value_hash(begin->second))};
  }
  auto middle = begin;
  while (middle != end && !key_bit(middle->first, depth)) ++middle;
  const SubtreeHash left = reference_subtree(begin, middle, depth + 1);
  const SubtreeHash right = reference_subtree(middle, end, depth + 1);
  return SubtreeHash{SubtreeKind::kInternal, internal_hash(left.hash, right.hash)};
}

inline Hash256 reference_root(const std::map<TreeKey, Bytes>& leaves) {
  return reference_subtree(leaves.begin(), leaves.end(), 0).hash;
}

}  // namespace aethel::state::testing
