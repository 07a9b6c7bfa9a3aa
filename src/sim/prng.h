// The simulator's only source of randomness: xoshiro256** (Blackman and
// Vigna, 2018) seeded through SplitMix64. Both generators are specified
// bit for bit, so a seed gives the same stream on every platform and
// standard library (unlike std::default_random_engine or the std::*_
// distributions, whose output is implementation-defined).
//
// Draws are integers only; probabilities are parts per million.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/assert.h"

namespace aethel::sim {

inline constexpr std::uint32_t kPartsPerMillion = 1'000'000;

// SplitMix64: one step. Used to expand a 64-bit seed and to derive
// independent sub-seeds (per node, per purpose) from the run's seed.
inline std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  state += 0x9e3779b97f4a7c15ULL;
  std::uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A sub-seed for `purpose` (a small constant) and `index` (a node, a
// broadcast): streams drawn from different sub-seeds do not overlap in
// practice, and adding a consumer of randomness in one place does not shift
// the draws of another.
inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t purpose,
                                 std::uint64_t index = 0) noexcept {
  std::uint64_t state = seed ^ (purpose * 0xd1b54a32d192ed03ULL);
  splitmix64(state);
  state ^= index * 0x8cb92ba72f3d8dd7ULL;
  return splitmix64(state);
}

// 128-bit products for unbiased bounded draws (GCC and Clang extension).
__extension__ using Uint128 = unsigned __int128;

class Prng {
 public:
  explicit Prng(std::uint64_t seed) noexcept {
    std::uint64_t state = seed;
    for (auto& word : state_) word = splitmix64(state);
  }

  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, bound), without modulo bias (Lemire's method).
  // Precondition: bound > 0.
  std::uint64_t below(std::uint64_t bound) noexcept {
    AETHEL_ASSERT(bound > 0);
    Uint128 product = static_cast<Uint128>(next()) * bound;
    auto low = static_cast<std::uint64_t>(product);
    if (low < bound) {
      const std::uint64_t threshold = (0 - bound) % bound;
      while (low < threshold) {
        product = static_cast<Uint128>(next()) * bound;
        low = static_cast<std::uint64_t>(product);
      }
    }
    return static_cast<std::uint64_t>(product >> 64);
  }

  // Uniform in [low, high]. Precondition: low <= high.
  std::uint64_t between(std::uint64_t low, std::uint64_t high) noexcept {
    AETHEL_ASSERT(low <= high);
    if (high - low == UINT64_MAX) return next();
    return low + below(high - low + 1);
  }

  // True with probability ppm / 1,000,000.
  bool chance_ppm(std::uint32_t ppm) noexcept {
    if (ppm == 0) return false;
    if (ppm >= kPartsPerMillion) return true;
    return below(kPartsPerMillion) < ppm;
  }

  // Fisher-Yates, drawing from this generator only.
  template <class T>
  void shuffle(std::vector<T>& values) noexcept {
    for (std::size_t i = values.size(); i > 1; --i) {
      const auto j = static_cast<std::size_t>(below(i));
      std::swap(values[i - 1], values[j]);
    }
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::array<std::uint64_t, 4> state_{};
};

}  // namespace aethel::sim
