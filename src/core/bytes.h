// Byte strings, hex text and fixed-size byte values (hashes, keys, signatures).
#pragma once

#include <algorithm>
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace aethel {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Lowercase hex, two characters per byte.
std::string hex_encode(ByteView bytes);

// Accepts upper- and lowercase digits. Refuses (kSyntax) odd-length text and any
// character that is not a hex digit, naming the character and its position.
Result<Bytes> hex_decode(std::string_view text);

// The bytes of a string, without copying; valid while `text` is.
ByteView as_byte_view(std::string_view text) noexcept;
Bytes bytes_of(std::string_view text);

namespace detail {
// "<what> has length <actual>; expected exactly <expected>".
std::string wrong_length_message(std::string_view what, std::size_t actual_size,
                                 std::size_t expected_size);
}  // namespace detail

// A value of exactly N bytes. The Tag makes values of the same size but
// different meaning (a hash, a public key) distinct types. Default-constructed
// values are all zero. Ordering is lexicographic over the bytes.
template <class Tag, std::size_t N>
class FixedBytes {
 public:
  static constexpr std::size_t kSize = N;
  using Array = std::array<std::uint8_t, N>;

  constexpr FixedBytes() noexcept = default;
  constexpr explicit FixedBytes(const Array& bytes) noexcept : bytes_(bytes) {}

  // Refuses (kInvalidArgument) a view whose length is not N.
  static Result<FixedBytes> from_view(ByteView bytes) {
    if (bytes.size() != N) {
      return fail(ErrorCode::kInvalidArgument,
                  detail::wrong_length_message("byte string", bytes.size(), N));
    }
    Array array{};
    std::copy_n(bytes.begin(), N, array.begin());
    return FixedBytes(array);
  }

  // Refuses (kSyntax) text that is not exactly 2*N hex digits.
  static Result<FixedBytes> from_hex(std::string_view text) {
    if (text.size() != 2 * N) {
      return fail(ErrorCode::kSyntax, detail::wrong_length_message("hex text", text.size(), 2 * N));
    }
    auto bytes = hex_decode(text);
    if (!bytes) return unexpected<Error>(std::move(bytes).error());
    return from_view(*bytes);
  }

  constexpr const Array& array() const noexcept { return bytes_; }
  constexpr const std::uint8_t* data() const noexcept { return bytes_.data(); }
  static constexpr std::size_t size() noexcept { return N; }
  ByteView view() const noexcept { return ByteView(bytes_); }
  std::string hex() const { return hex_encode(view()); }
  constexpr bool is_zero() const noexcept { return *this == FixedBytes(); }

  friend constexpr bool operator==(const FixedBytes&, const FixedBytes&) noexcept = default;
  friend constexpr auto operator<=>(const FixedBytes&, const FixedBytes&) noexcept = default;

 private:
  Array bytes_{};
};

struct Hash256Tag;
// A SHA-256 digest, or any other 32-byte hash.
using Hash256 = FixedBytes<Hash256Tag, 32>;

}  // namespace aethel

// Fixed-size values used as hash-map keys are themselves hashes or keys, so
// their leading bytes are already uniformly distributed.
template <class Tag, std::size_t N>
struct std::hash<aethel::FixedBytes<Tag, N>> {
  std::size_t operator()(const aethel::FixedBytes<Tag, N>& value) const noexcept {
    std::size_t prefix = 0;
    std::memcpy(&prefix, value.data(), N < sizeof(prefix) ? N : sizeof(prefix));
    return prefix;
  }
};
