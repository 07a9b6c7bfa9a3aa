// Exact integer arithmetic wider than 64 bits, for amounts scaled by ratios
// (rewards by stake share, slashes by percentage) where a * b can overflow
// 64 bits even though a * b / c fits. Every result is exact or refused.
#pragma once

#include <cstdint>
#include <optional>

#include "core/assert.h"

namespace aethel {

// GCC and clang both provide a 128-bit unsigned integer; the extension
// keyword keeps -Wpedantic quiet about it.
__extension__ using UInt128 = unsigned __int128;

// floor(a * b / divisor), or nullopt when the quotient does not fit in 64
// bits. `divisor` must not be zero.
constexpr std::optional<std::uint64_t> mul_div_floor(std::uint64_t a, std::uint64_t b,
                                                     std::uint64_t divisor) noexcept {
  AETHEL_ASSERT_MSG(divisor != 0, "mul_div_floor by zero");
  const UInt128 quotient = static_cast<UInt128>(a) * b / divisor;
  if (quotient > UINT64_MAX) return std::nullopt;
  return static_cast<std::uint64_t>(quotient);
}

// (a * b) mod divisor, exact. `divisor` must not be zero.
constexpr std::uint64_t mul_mod(std::uint64_t a, std::uint64_t b, std::uint64_t divisor) noexcept {
  AETHEL_ASSERT_MSG(divisor != 0, "mul_mod by zero");
  return static_cast<std::uint64_t>(static_cast<UInt128>(a) * b % divisor);
}

}  // namespace aethel
