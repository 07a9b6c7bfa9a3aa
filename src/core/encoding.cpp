#include "core/encoding.h"

#include <fmt/format.h>

#include <algorithm>

namespace aethel {

namespace {

std::string describe_byte_set(std::span<const std::uint8_t> values) {
  std::string text;
  for (const std::uint8_t value : values) {
    if (!text.empty()) text += ", ";
    text += fmt::format("0x{:02x}", value);
  }
  return text.empty() ? "none" : text;
}

bool contains(std::span<const std::uint8_t> values, std::uint8_t value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace

Encoder& Encoder::put_u8(std::uint8_t value) {
  out_.push_back(value);
  return *this;
}

Encoder& Encoder::put_u16(std::uint16_t value) {
  out_.push_back(static_cast<std::uint8_t>(value >> 8));
  out_.push_back(static_cast<std::uint8_t>(value));
  return *this;
}

Encoder& Encoder::put_u32(std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out_.push_back(static_cast<std::uint8_t>(value >> shift));
  }
  return *this;
}

Encoder& Encoder::put_u64(std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out_.push_back(static_cast<std::uint8_t>(value >> shift));
  }
  return *this;
}

Encoder& Encoder::put_bool(bool value) {
  return put_u8(value ? 0x01 : 0x00);
}

Encoder& Encoder::put_bytes(ByteView bytes) {
  put_length(bytes.size());
  return put_raw(bytes);
}

Encoder& Encoder::put_string(std::string_view text) {
  return put_bytes(as_byte_view(text));
}

Encoder& Encoder::put_raw(ByteView bytes) {
  out_.insert(out_.end(), bytes.begin(), bytes.end());
  return *this;
}

Encoder& Encoder::put_envelope(EnvelopeHeader header) {
  put_u8(header.format_version);
  return put_u8(header.type_tag);
}

void Encoder::put_length(std::size_t length) {
  AETHEL_ASSERT_MSG(length <= kMaxEncodedLength, "length does not fit the u32 length prefix");
  put_u32(static_cast<std::uint32_t>(length));
}

Result<ByteView> Decoder::take(std::string_view field, std::size_t length) {
  if (length > remaining()) {
    return fail(ErrorCode::kTruncated,
                fmt::format("truncated input: field '{}' needs {} bytes at offset {}, {} remain",
                            field, length, offset_, remaining()));
  }
  const ByteView bytes = input_.subspan(offset_, length);
  offset_ += length;
  return bytes;
}

Result<std::uint8_t> Decoder::read_u8(std::string_view field) {
  return read_big_endian<std::uint8_t>(field);
}

Result<std::uint16_t> Decoder::read_u16(std::string_view field) {
  return read_big_endian<std::uint16_t>(field);
}

Result<std::uint32_t> Decoder::read_u32(std::string_view field) {
  return read_big_endian<std::uint32_t>(field);
}

Result<std::uint64_t> Decoder::read_u64(std::string_view field) {
  return read_big_endian<std::uint64_t>(field);
}

Result<bool> Decoder::read_bool(std::string_view field) {
  const std::size_t start = offset_;
  auto byte = read_u8(field);
  if (!byte) return unexpected<Error>(std::move(byte).error());
  if (*byte > 0x01) {
    return fail(ErrorCode::kBadTag,
                fmt::format("invalid bool: field '{}' has byte 0x{:02x} at offset {}; expected "
                            "0x00 or 0x01",
                            field, *byte, start));
  }
  return *byte == 0x01;
}

Result<bool> Decoder::read_presence(std::string_view field) {
  const std::size_t start = offset_;
  auto tag = read_u8(field);
  if (!tag) return unexpected<Error>(std::move(tag).error());
  if (*tag > 0x01) {
    return fail(ErrorCode::kBadTag,
                fmt::format("invalid optional tag: field '{}' has byte 0x{:02x} at offset {}; "
                            "expected 0x00 (absent) or 0x01 (present)",
                            field, *tag, start));
  }
  return *tag == 0x01;
}

Result<std::uint32_t> Decoder::read_length(std::string_view field, std::size_t max_length) {
  const std::size_t start = offset_;
  auto length = read_u32(field);
  if (!length) return length;
  if (*length > max_length) {
    return fail(ErrorCode::kOversize,
                fmt::format("oversize length: field '{}' declares {} bytes at offset {}, more "
                            "than the maximum of {}",
                            field, *length, start, max_length));
  }
  if (*length > remaining()) {
    return fail(ErrorCode::kOversize,
                fmt::format("oversize length: field '{}' declares {} bytes at offset {}, but only "
                            "{} remain",
                            field, *length, start, remaining()));
  }
  return length;
}

Result<std::uint32_t> Decoder::read_count(std::string_view field, std::size_t max_count,
                                          std::size_t min_element_bytes) {
  AETHEL_ASSERT_MSG(min_element_bytes >= 1, "every element encoding takes at least one byte");
  const std::size_t start = offset_;
  auto count = read_u32(field);
  if (!count) return count;
  if (*count > max_count) {
    return fail(ErrorCode::kOversize,
                fmt::format("oversize count: field '{}' declares {} elements at offset {}, more "
                            "than the maximum of {}",
                            field, *count, start, max_count));
  }
  if (*count > remaining() / min_element_bytes) {
    return fail(ErrorCode::kOversize,
                fmt::format("oversize count: field '{}' declares {} elements of at least {} bytes "
                            "at offset {}, but only {} bytes remain",
                            field, *count, min_element_bytes, start, remaining()));
  }
  return count;
}

Result<ByteView> Decoder::read_length_prefixed(std::string_view field, std::size_t max_length) {
  auto length = read_length(field, max_length);
  if (!length) return unexpected<Error>(std::move(length).error());
  return take(field, *length);
}

Result<Bytes> Decoder::read_bytes(std::string_view field, std::size_t max_length) {
  auto bytes = read_length_prefixed(field, max_length);
  if (!bytes) return unexpected<Error>(std::move(bytes).error());
  return Bytes(bytes->begin(), bytes->end());
}

Result<std::string> Decoder::read_string(std::string_view field, std::size_t max_length) {
  auto bytes = read_length_prefixed(field, max_length);
  if (!bytes) return unexpected<Error>(std::move(bytes).error());
  return std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

Result<ByteView> Decoder::read_raw(std::string_view field, std::size_t length) {
  return take(field, length);
}

Result<EnvelopeHeader> Decoder::read_envelope(std::span<const std::uint8_t> supported_versions,
                                              std::span<const std::uint8_t> known_type_tags) {
  auto version = read_u8("format_version");
  if (!version) return unexpected<Error>(std::move(version).error());
  if (!contains(supported_versions, *version)) {
    return fail(ErrorCode::kBadTag,
                fmt::format("unsupported format version 0x{:02x} at offset {}; supported: {}",
                            *version, offset_ - 1, describe_byte_set(supported_versions)));
  }
  auto tag = read_u8("type_tag");
  if (!tag) return unexpected<Error>(std::move(tag).error());
  if (!contains(known_type_tags, *tag)) {
    return fail(ErrorCode::kBadTag,
                fmt::format("unknown type tag 0x{:02x} at offset {}; expected one of: {}", *tag,
                            offset_ - 1, describe_byte_set(known_type_tags)));
  }
  return EnvelopeHeader{*version, *tag};
}

Result<void> Decoder::expect_envelope(EnvelopeHeader expected_header) {
  const std::uint8_t versions[] = {expected_header.format_version};
  const std::uint8_t tags[] = {expected_header.type_tag};
  auto header = read_envelope(versions, tags);
  if (!header) return unexpected<Error>(std::move(header).error());
  return {};
}

Result<void> Decoder::finish() const {
  if (remaining() == 0) return {};
  return fail(ErrorCode::kTrailingBytes,
              fmt::format("trailing bytes: {} bytes after the end of the value at offset {}",
                          remaining(), offset_));
}

Error Decoder::in_element(std::string_view field, std::uint32_t index, Error error) {
  error.message = fmt::format("in element {} of '{}': {}", index, field, error.message);
  return error;
}

}  // namespace aethel
