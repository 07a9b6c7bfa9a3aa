#include "allocation_tracker.h"

#include <cstdlib>
#include <new>

namespace {

thread_local bool tracking = false;
thread_local std::size_t largest = 0;

void* allocate(std::size_t size) {
  if (tracking && size > largest) largest = size;
  if (size == 0) size = 1;
  void* memory = std::malloc(size);
  if (memory == nullptr) throw std::bad_alloc();
  return memory;
}

}  // namespace

void* operator new(std::size_t size) {
  return allocate(size);
}
void* operator new[](std::size_t size) {
  return allocate(size);
}
void operator delete(void* memory) noexcept {
  std::free(memory);
}
void operator delete[](void* memory) noexcept {
  std::free(memory);
}
void operator delete(void* memory, std::size_t) noexcept {
  std::free(memory);
}
void operator delete[](void* memory, std::size_t) noexcept {
  std::free(memory);
}

namespace aethel::testing {

LargestAllocationScope::LargestAllocationScope() {
  largest = 0;
  tracking = true;
}

LargestAllocationScope::~LargestAllocationScope() {
  tracking = false;
}

std::size_t LargestAllocationScope::largest_bytes() const {
  return largest;
}

}  // namespace aethel::testing
