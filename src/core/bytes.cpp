#include "core/bytes.h"

#include <fmt/format.h>

namespace aethel {

namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";

// The value of one hex digit, or -1.
int hex_digit_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Printable characters are shown as themselves, others as their code, so that
// an error message never carries control bytes into a terminal or log.
std::string describe_char(char c) {
  const auto code = static_cast<unsigned char>(c);
  if (code >= 0x20 && code < 0x7f) return fmt::format("'{}'", c);
  return fmt::format("byte 0x{:02x}", code);
}

}  // namespace

std::string hex_encode(ByteView bytes) {
  std::string text;
  text.reserve(bytes.size() * 2);
  for (const std::uint8_t byte : bytes) {
    text.push_back(kHexDigits[byte >> 4]);
    text.push_back(kHexDigits[byte & 0x0f]);
  }
  return text;
}

Result<Bytes> hex_decode(std::string_view text) {
  if (text.size() % 2 != 0) {
    return fail(ErrorCode::kSyntax,
                fmt::format("invalid hex: odd length {} (two digits per byte)", text.size()));
  }
  Bytes bytes;
  bytes.reserve(text.size() / 2);
  for (std::size_t position = 0; position < text.size(); position += 2) {
    const int high = hex_digit_value(text[position]);
    const int low = hex_digit_value(text[position + 1]);
    if (high < 0 || low < 0) {
      const std::size_t bad = high < 0 ? position : position + 1;
      return fail(ErrorCode::kSyntax,
                  fmt::format("invalid hex: {} at position {} is not a hex digit",
                              describe_char(text[bad]), bad));
    }
    bytes.push_back(static_cast<std::uint8_t>((high << 4) | low));
  }
  return bytes;
}

ByteView as_byte_view(std::string_view text) noexcept {
  return ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

Bytes bytes_of(std::string_view text) {
  const ByteView view = as_byte_view(text);
  return Bytes(view.begin(), view.end());
}

namespace detail {

std::string wrong_length_message(std::string_view what, std::size_t actual_size,
                                 std::size_t expected_size) {
  return fmt::format("{} has length {}; expected exactly {}", what, actual_size, expected_size);
}

}  // namespace detail

}  // namespace aethel
