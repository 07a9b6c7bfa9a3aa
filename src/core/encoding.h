// Canonical binary encoding for everything that is hashed, signed or sent.
//
// Rules (each value has exactly one encoding, so equal values hash and sign
// identically and a decoded value re-encodes to the very bytes it came from):
//   - unsigned integers: fixed width, big-endian (u8, u16, u32, u64); strong
//     types (core/types.h) are encoded as their representation;
//   - bool: one byte, 0x00 or 0x01; any other byte is refused (kBadTag);
//   - byte strings and strings: u32 length, then the bytes; strings are opaque
//     bytes (no text normalization happens, so none can make two encodings);
//   - fixed-size values (hashes, keys, signatures): their bytes, no length;
//   - vectors: u32 element count, then the elements in order;
//   - optional: one tag byte, 0x00 absent or 0x01 present followed by the
//     value; any other tag is refused (kBadTag);
//   - records: their fields in declaration order, no padding, no field names;
//   - top-level values stored or sent on their own start with an envelope:
//     one format-version byte and one type-tag byte.
//
// The Decoder refuses everything else: input that ends early (kTruncated), a
// declared length or count larger than the caller's maximum or than the
// remaining input can hold (kOversize, checked before anything is allocated),
// bad flag bytes (kBadTag) and bytes after the value (kTrailingBytes, through
// finish()). Every error names the field being read and its byte offset.
// A cut-off input is therefore refused with kTruncated, or with kOversize when
// the cut falls inside a length-prefixed field (its declared length then
// exceeds what remains).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/assert.h"
#include "core/bytes.h"
#include "core/error.h"
#include "core/types.h"

namespace aethel {

// The first two bytes of a top-level encoded value.
struct EnvelopeHeader {
  std::uint8_t format_version = 0;
  std::uint8_t type_tag = 0;

  friend bool operator==(const EnvelopeHeader&, const EnvelopeHeader&) = default;
};

// Largest length or count the encoding can express (u32).
inline constexpr std::size_t kMaxEncodedLength = 0xffff'ffff;

class Encoder {
 public:
  Encoder& put_u8(std::uint8_t value);
  Encoder& put_u16(std::uint16_t value);
  Encoder& put_u32(std::uint32_t value);
  Encoder& put_u64(std::uint64_t value);
  Encoder& put_bool(bool value);
  // u32 length, then the bytes. Longer than kMaxEncodedLength is a bug.
  Encoder& put_bytes(ByteView bytes);
  Encoder& put_string(std::string_view text);
  // The bytes alone, for values whose size the schema fixes.
  Encoder& put_raw(ByteView bytes);
  Encoder& put_envelope(EnvelopeHeader header);

  template <class Tag, std::size_t N>
  Encoder& put_fixed(const FixedBytes<Tag, N>& value) {
    return put_raw(value.view());
  }

  template <class Tag, class Rep>
  Encoder& put_strong(StrongInt<Tag, Rep> value) {
    static_assert(sizeof(Rep) == 1 || sizeof(Rep) == 2 || sizeof(Rep) == 4 || sizeof(Rep) == 8);
    if constexpr (sizeof(Rep) == 1) {
      return put_u8(value.value());
    } else if constexpr (sizeof(Rep) == 2) {
      return put_u16(value.value());
    } else if constexpr (sizeof(Rep) == 4) {
      return put_u32(value.value());
    } else {
      return put_u64(value.value());
    }
  }

  // u32 count, then put_one(encoder, item) for each item in order.
  template <class Range, class PutOne>
  Encoder& put_vector(const Range& items, PutOne&& put_one) {
    put_length(std::size(items));
    for (const auto& item : items) std::invoke(put_one, *this, item);
    return *this;
  }

  // 0x00, or 0x01 then put_one(encoder, value).
  template <class T, class PutOne>
  Encoder& put_optional(const std::optional<T>& value, PutOne&& put_one) {
    put_bool(value.has_value());
    if (value.has_value()) std::invoke(put_one, *this, *value);
    return *this;
  }

  const Bytes& bytes() const& noexcept { return out_; }
  Bytes take() && noexcept { return std::move(out_); }
  std::size_t size() const noexcept { return out_.size(); }

 private:
  void put_length(std::size_t length);

  Bytes out_;
};

class Decoder {
 public:
  // The decoder reads from `input` without copying it; `input` must outlive it.
  explicit Decoder(ByteView input) noexcept : input_(input) {}

  Result<std::uint8_t> read_u8(std::string_view field);
  Result<std::uint16_t> read_u16(std::string_view field);
  Result<std::uint32_t> read_u32(std::string_view field);
  Result<std::uint64_t> read_u64(std::string_view field);
  Result<bool> read_bool(std::string_view field);
  // Refuses a declared length above max_length or above the remaining input.
  Result<Bytes> read_bytes(std::string_view field, std::size_t max_length);
  Result<std::string> read_string(std::string_view field, std::size_t max_length);
  // Exactly `length` bytes, as a view into the input.
  Result<ByteView> read_raw(std::string_view field, std::size_t length);

  // Reads a format version and type tag and refuses (kBadTag) any version not
  // in supported_versions and any tag not in known_type_tags.
  Result<EnvelopeHeader> read_envelope(std::span<const std::uint8_t> supported_versions,
                                       std::span<const std::uint8_t> known_type_tags);
  // Refuses (kBadTag) any header other than `expected_header`.
  Result<void> expect_envelope(EnvelopeHeader expected_header);

  // Usage: decoder.read_fixed<Hash256>("parent_hash").
  template <class Fixed>
  requires requires { Fixed::kSize; }
  Result<Fixed> read_fixed(std::string_view field) {
    auto bytes = read_raw(field, Fixed::kSize);
    if (!bytes) return unexpected<Error>(std::move(bytes).error());
    return Fixed::from_view(*bytes);
  }

  // Usage: decoder.read_strong<Height>("height").
  template <StrongIntType T>
  Result<T> read_strong(std::string_view field) {
    auto value = read_big_endian<typename T::rep_type>(field);
    if (!value) return unexpected<Error>(std::move(value).error());
    return T(*value);
  }

  // Reads a u32 count, then read_one(decoder) -> Result<T> for each element.
  // The count is refused (kOversize) above max_count, or when count times
  // min_element_bytes (the smallest encoding of one element, at least 1)
  // exceeds the remaining input; so memory reserved is bounded by the input.
  template <class ReadOne>
  auto read_vector(std::string_view field, std::size_t max_count, std::size_t min_element_bytes,
                   ReadOne&& read_one)
      -> Result<std::vector<typename std::invoke_result_t<ReadOne&, Decoder&>::value_type>> {
    using T = typename std::invoke_result_t<ReadOne&, Decoder&>::value_type;
    auto count = read_count(field, max_count, min_element_bytes);
    if (!count) return unexpected<Error>(std::move(count).error());
    std::vector<T> items;
    items.reserve(*count);
    for (std::uint32_t index = 0; index < *count; ++index) {
      auto item = std::invoke(read_one, *this);
      if (!item) return unexpected<Error>(in_element(field, index, std::move(item).error()));
      items.push_back(std::move(*item));
    }
    return items;
  }

  // Reads a presence tag (0x00 absent, 0x01 present; other values are
  // refused with kBadTag), then read_one(decoder) if present.
  template <class ReadOne>
  auto read_optional(std::string_view field, ReadOne&& read_one)
      -> Result<std::optional<typename std::invoke_result_t<ReadOne&, Decoder&>::value_type>> {
    using T = typename std::invoke_result_t<ReadOne&, Decoder&>::value_type;
    auto present = read_presence(field);
    if (!present) return unexpected<Error>(std::move(present).error());
    if (!*present) return std::optional<T>();
    auto value = std::invoke(read_one, *this);
    if (!value) return unexpected<Error>(std::move(value).error());
    return std::optional<T>(std::move(*value));
  }

  // Refuses (kTrailingBytes) input left after the value.
  Result<void> finish() const;

  std::size_t offset() const noexcept { return offset_; }
  std::size_t remaining() const noexcept { return input_.size() - offset_; }

 private:
  Result<ByteView> take(std::string_view field, std::size_t length);
  template <std::unsigned_integral T>
  Result<T> read_big_endian(std::string_view field) {
    auto bytes = take(field, sizeof(T));
    if (!bytes) return unexpected<Error>(std::move(bytes).error());
    T value = 0;
    for (const std::uint8_t byte : *bytes) value = static_cast<T>((value << 8) | byte);
    return value;
  }
  Result<std::uint32_t> read_length(std::string_view field, std::size_t max_length);
  Result<ByteView> read_length_prefixed(std::string_view field, std::size_t max_length);
  Result<std::uint32_t> read_count(std::string_view field, std::size_t max_count,
                                   std::size_t min_element_bytes);
  Result<bool> read_presence(std::string_view field);
  static Error in_element(std::string_view field, std::uint32_t index, Error error);

  ByteView input_;
  std::size_t offset_ = 0;
};

// Decodes all of `input` with read(decoder) -> Result<T>, then refuses any
// trailing bytes.
template <class Read>
auto decode_whole(ByteView input, Read&& read) -> std::invoke_result_t<Read&, Decoder&> {
  Decoder decoder(input);
  auto value = std::invoke(read, decoder);
  if (!value) return value;
  if (auto finished = decoder.finish(); !finished) {
    return unexpected<Error>(std::move(finished).error());
  }
  return value;
}

}  // namespace aethel
