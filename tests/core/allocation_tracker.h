// Records the largest single heap allocation made by the current thread while
// a scope is active, so tests can show that a decoder never allocates what an
// untrusted length field asks for. Works by replacing global operator new in
// the test binary.
#pragma once

#include <cstddef>

namespace aethel::testing {

class LargestAllocationScope {
 public:
  LargestAllocationScope();
  ~LargestAllocationScope();
  LargestAllocationScope(const LargestAllocationScope&) = delete;
  LargestAllocationScope& operator=(const LargestAllocationScope&) = delete;

  std::size_t largest_bytes() const;
};

}  // namespace aethel::testing
