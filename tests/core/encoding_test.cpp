#include "core/encoding.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "core/encoding_sample.h"

namespace aethel {
namespace {

Bytes from_hex_or_die(std::string_view text) {
  auto bytes = hex_decode(text);
  AETHEL_ASSERT(bytes.has_value());
  return *bytes;
}

SampleRecord golden_record() {
  SampleRecord record;
  record.kind = 0x07;
  record.shard = 0x0102;
  record.sequence = 0x03040506;
  record.amount = 0x0708090a0b0c0d0e;
  record.height = Height(0x10);
  record.flag = true;
  record.payload = {0xaa, 0xbb};
  record.label = "hi";
  Hash256::Array digest{};
  digest.fill(0x11);
  record.digest = Hash256(digest);
  record.values = {1, 0xffffffffffffffff};
  record.limit = 0x2a;
  return record;
}

// The exact bytes of golden_record(). If this changes, every stored value and
// every signature made over an encoding changes with it.
const std::string kGoldenHex =
    "07"
    "0102"
    "03040506"
    "0708090a0b0c0d0e"
    "0000000000000010"
    "01"
    "00000002aabb"
    "000000026869" +
    std::string(64, '1') +
    "00000002"
    "0000000000000001"
    "ffffffffffffffff"
    "010000002a";

TEST(EncoderTest, IntegersAreBigEndianFixedWidth) {
  Encoder encoder;
  encoder.put_u8(0x01).put_u16(0x0203).put_u32(0x04050607).put_u64(0x08090a0b0c0d0e0f);
  EXPECT_EQ(hex_encode(encoder.bytes()),
            "010203040506070809"
            "0a0b0c0d0e0f");
  Encoder zeros;
  zeros.put_u16(0).put_u32(0).put_u64(0);
  EXPECT_EQ(zeros.size(), 14u);
}

TEST(EncoderTest, BoolsStringsOptionalsAndEnvelopes) {
  Encoder encoder;
  encoder.put_bool(false)
      .put_bool(true)
      .put_string("")
      .put_bytes(Bytes{0xff})
      .put_optional(std::optional<std::uint8_t>(), [](Encoder& e, std::uint8_t v) { e.put_u8(v); })
      .put_optional(std::optional<std::uint8_t>(9), [](Encoder& e, std::uint8_t v) { e.put_u8(v); })
      .put_envelope({.format_version = 1, .type_tag = 0x22})
      .put_strong(Nonce(3));
  EXPECT_EQ(hex_encode(encoder.bytes()),
            "0001"
            "00000000"
            "00000001ff"
            "00"
            "0109"
            "0122"
            "0000000000000003");
}

TEST(SampleRecordTest, EncodesToTheGoldenBytes) {
  EXPECT_EQ(hex_encode(encode_sample_record(golden_record())), kGoldenHex);
  EXPECT_EQ(hex_encode(encode_sample_envelope(golden_record())), "0101" + kGoldenHex);
}

TEST(SampleRecordTest, DecodesTheGoldenBytes) {
  const Bytes bytes = from_hex_or_die(kGoldenHex);
  const auto record = decode_sample_record(bytes);
  ASSERT_TRUE(record.has_value()) << record.error().to_string();
  EXPECT_EQ(*record, golden_record());

  const Bytes enveloped = from_hex_or_die("0101" + kGoldenHex);
  const auto from_envelope = decode_sample_envelope(enveloped);
  ASSERT_TRUE(from_envelope.has_value()) << from_envelope.error().to_string();
  EXPECT_EQ(*from_envelope, golden_record());
}

TEST(SampleRecordTest, AbsentOptionalAndEmptyFields) {
  const SampleRecord empty;
  const Bytes bytes = encode_sample_record(empty);
  // 1+2+4+8+8+1 fixed, two empty length prefixes, 32-byte digest, empty
  // vector count, absent tag.
  EXPECT_EQ(bytes.size(), 24u + 8u + 32u + 4u + 1u);
  const auto decoded = decode_sample_record(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, empty);
}

struct DecodeErrorCase {
  std::string name;
  std::string input_hex;
  std::function<Result<void>(Decoder&)> read;
  ErrorCode code;
  std::string message_part;
};

template <class T>
Result<void> discard(Result<T> result) {
  if (!result) return unexpected<Error>(std::move(result).error());
  return {};
}

std::vector<DecodeErrorCase> decode_error_cases() {
  const auto u64_element = [](Decoder& d) { return d.read_u64("value"); };
  const auto u32_element = [](Decoder& d) { return d.read_u32("limit"); };
  const std::uint8_t sample_versions[] = {1};
  const std::uint8_t sample_tags[] = {0x01, 0x02};
  return {
      {"u8 on empty input", "", [](Decoder& d) { return discard(d.read_u8("kind")); },
       ErrorCode::kTruncated, "truncated input: field 'kind' needs 1 bytes at offset 0, 0 remain"},
      {"u16 short", "01", [](Decoder& d) { return discard(d.read_u16("shard")); },
       ErrorCode::kTruncated, "field 'shard' needs 2 bytes at offset 0, 1 remain"},
      {"u32 short", "010203", [](Decoder& d) { return discard(d.read_u32("sequence")); },
       ErrorCode::kTruncated, "field 'sequence' needs 4 bytes at offset 0, 3 remain"},
      {"u64 after other fields",
       "00000000"
       "000000"
       "00000000"
       "000000",
       [](Decoder& d) {
         (void)d.read_u32("first");
         (void)d.read_raw("middle", 3);
         (void)d.read_u32("second");
         return discard(d.read_u64("nonce"));
       },
       ErrorCode::kTruncated,
       "truncated input: field 'nonce' needs 8 bytes at offset 11, 3 remain"},
      {"bool 0x02", "02", [](Decoder& d) { return discard(d.read_bool("flag")); },
       ErrorCode::kBadTag,
       "invalid bool: field 'flag' has byte 0x02 at offset 0; expected 0x00 or 0x01"},
      {"bool 0xff after a byte", "00ff",
       [](Decoder& d) {
         (void)d.read_u8("kind");
         return discard(d.read_bool("flag"));
       },
       ErrorCode::kBadTag, "field 'flag' has byte 0xff at offset 1"},
      {"bool on empty input", "", [](Decoder& d) { return discard(d.read_bool("flag")); },
       ErrorCode::kTruncated, "field 'flag' needs 1 bytes"},
      {"bytes length above maximum",
       "00000005"
       "0102030405",
       [](Decoder& d) { return discard(d.read_bytes("payload", 4)); }, ErrorCode::kOversize,
       "oversize length: field 'payload' declares 5 bytes at offset 0, more than the maximum of 4"},
      {"bytes length above remaining input",
       "00000005"
       "0102",
       [](Decoder& d) { return discard(d.read_bytes("payload", 100)); }, ErrorCode::kOversize,
       "field 'payload' declares 5 bytes at offset 0, but only 2 remain"},
      {"bytes length prefix truncated", "0000",
       [](Decoder& d) { return discard(d.read_bytes("payload", 100)); }, ErrorCode::kTruncated,
       "field 'payload' needs 4 bytes at offset 0, 2 remain"},
      {"huge string length in tiny input",
       "ffffffff"
       "41",
       [](Decoder& d) { return discard(d.read_string("label", kMaxEncodedLength)); },
       ErrorCode::kOversize, "declares 4294967295 bytes at offset 0, but only 1 remain"},
      {"string above maximum",
       "00000003"
       "616263",
       [](Decoder& d) { return discard(d.read_string("label", 2)); }, ErrorCode::kOversize,
       "field 'label' declares 3 bytes at offset 0, more than the maximum of 2"},
      {"raw truncated", "0102", [](Decoder& d) { return discard(d.read_raw("key", 3)); },
       ErrorCode::kTruncated, "field 'key' needs 3 bytes at offset 0, 2 remain"},
      {"fixed hash truncated", std::string(62, 'a'),
       [](Decoder& d) { return discard(d.read_fixed<Hash256>("digest")); }, ErrorCode::kTruncated,
       "field 'digest' needs 32 bytes at offset 0, 31 remain"},
      {"strong type truncated", "000000",
       [](Decoder& d) { return discard(d.read_strong<Height>("height")); }, ErrorCode::kTruncated,
       "field 'height' needs 8 bytes at offset 0, 3 remain"},
      {"vector count above maximum", "00000003" + std::string(48, '0'),
       [u64_element](Decoder& d) { return discard(d.read_vector("values", 2, 8, u64_element)); },
       ErrorCode::kOversize,
       "oversize count: field 'values' declares 3 elements at offset 0, more than the maximum of "
       "2"},
      {"vector count above remaining input", "00000003" + std::string(32, '0'),
       [u64_element](Decoder& d) { return discard(d.read_vector("values", 10, 8, u64_element)); },
       ErrorCode::kOversize,
       "field 'values' declares 3 elements of at least 8 bytes at offset 0, but only 16 bytes "
       "remain"},
      {"huge vector count in tiny input",
       "ffffffff"
       "00",
       [u64_element](Decoder& d) {
         return discard(d.read_vector("values", kMaxEncodedLength, 1, u64_element));
       },
       ErrorCode::kOversize, "declares 4294967295 elements of at least 1 bytes"},
      {"vector element truncated",
       "00000002"
       "0000000000000001"
       "000000",
       [](Decoder& d) {
         return discard(
             d.read_vector("values", 10, 1, [](Decoder& e) { return e.read_u64("value"); }));
       },
       ErrorCode::kTruncated,
       "in element 1 of 'values': truncated input: field 'value' needs 8 bytes at offset 12, 3 "
       "remain"},
      {"optional tag 0x02",
       "02"
       "00000001",
       [u32_element](Decoder& d) { return discard(d.read_optional("limit", u32_element)); },
       ErrorCode::kBadTag,
       "invalid optional tag: field 'limit' has byte 0x02 at offset 0; expected 0x00 (absent) or "
       "0x01 (present)"},
      {"optional present but value truncated",
       "01"
       "0000",
       [u32_element](Decoder& d) { return discard(d.read_optional("limit", u32_element)); },
       ErrorCode::kTruncated, "field 'limit' needs 4 bytes at offset 1, 2 remain"},
      {"envelope unsupported version", "0201",
       [sample_versions, sample_tags](Decoder& d) {
         return discard(d.read_envelope(sample_versions, sample_tags));
       },
       ErrorCode::kBadTag, "unsupported format version 0x02 at offset 0; supported: 0x01"},
      {"envelope unknown type tag", "0109",
       [sample_versions, sample_tags](Decoder& d) {
         return discard(d.read_envelope(sample_versions, sample_tags));
       },
       ErrorCode::kBadTag, "unknown type tag 0x09 at offset 1; expected one of: 0x01, 0x02"},
      {"envelope truncated", "01",
       [](Decoder& d) { return d.expect_envelope({.format_version = 1, .type_tag = 1}); },
       ErrorCode::kTruncated, "field 'type_tag' needs 1 bytes at offset 1, 0 remain"},
      {"expected envelope mismatch", "0102",
       [](Decoder& d) { return d.expect_envelope({.format_version = 1, .type_tag = 1}); },
       ErrorCode::kBadTag, "unknown type tag 0x02 at offset 1; expected one of: 0x01"},
      {"trailing bytes",
       "00"
       "abcd",
       [](Decoder& d) {
         (void)d.read_u8("kind");
         return d.finish();
       },
       ErrorCode::kTrailingBytes, "trailing bytes: 2 bytes after the end of the value at offset 1"},
  };
}

TEST(DecoderTest, EveryErrorPathReportsCodeFieldAndOffset) {
  for (const DecodeErrorCase& test_case : decode_error_cases()) {
    SCOPED_TRACE(test_case.name);
    const Bytes input = from_hex_or_die(test_case.input_hex);
    Decoder decoder(input);
    const Result<void> result = test_case.read(decoder);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, test_case.code) << result.error().to_string();
    EXPECT_NE(result.error().message.find(test_case.message_part), std::string::npos)
        << "message: " << result.error().message;
  }
}

TEST(DecoderTest, FailedReadDoesNotConsumeInput) {
  const Bytes input{0x01, 0x02};
  Decoder decoder(input);
  EXPECT_FALSE(decoder.read_u32("x").has_value());
  EXPECT_EQ(decoder.offset(), 0u);
  EXPECT_EQ(decoder.remaining(), 2u);
  EXPECT_EQ(*decoder.read_u16("y"), 0x0102);
  EXPECT_TRUE(decoder.finish().has_value());
}

TEST(DecoderTest, ReadsEveryPrimitive) {
  const Bytes input = from_hex_or_die(
      "ff"
      "beef"
      "deadbeef"
      "0102030405060708"
      "01"
      "00000003616263"
      "00000000"
      "0000000000000009");
  Decoder decoder(input);
  EXPECT_EQ(*decoder.read_u8("a"), 0xff);
  EXPECT_EQ(*decoder.read_u16("b"), 0xbeef);
  EXPECT_EQ(*decoder.read_u32("c"), 0xdeadbeefu);
  EXPECT_EQ(*decoder.read_u64("d"), 0x0102030405060708u);
  EXPECT_EQ(*decoder.read_bool("e"), true);
  EXPECT_EQ(*decoder.read_string("f", 10), "abc");
  EXPECT_EQ(*decoder.read_bytes("g", 0), Bytes{});
  EXPECT_EQ(*decoder.read_strong<View>("h"), View(9));
  EXPECT_TRUE(decoder.finish().has_value());
}

struct SampleErrorCase {
  std::string name;
  std::string input_hex;
  ErrorCode code;
  std::string message_part;
};

TEST(SampleRecordTest, DecodeErrorsNameTheField) {
  // Offsets of golden_record() fields: flag at 23, payload at 24, label at 30,
  // digest at 36, values at 68, limit at 88.
  const std::string prefix_to_flag = kGoldenHex.substr(0, 23 * 2);
  const std::string after_flag = kGoldenHex.substr(24 * 2);
  const std::string prefix_to_limit = kGoldenHex.substr(0, 88 * 2);
  const SampleErrorCase cases[] = {
      {"empty", "", ErrorCode::kTruncated, "field 'kind' needs 1 bytes at offset 0"},
      {"bad flag", prefix_to_flag + "05" + after_flag, ErrorCode::kBadTag,
       "field 'flag' has byte 0x05 at offset 23"},
      {"payload above its maximum", prefix_to_flag + "01" + "00001001", ErrorCode::kOversize,
       "field 'payload' declares 4097 bytes at offset 24, more than the maximum of 4096"},
      {"bad optional tag", prefix_to_limit + "07", ErrorCode::kBadTag,
       "field 'limit' has byte 0x07 at offset 88"},
      {"trailing byte", kGoldenHex + "00", ErrorCode::kTrailingBytes,
       "1 bytes after the end of the value at offset 93"},
  };
  for (const SampleErrorCase& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    const auto result = decode_sample_record(from_hex_or_die(test_case.input_hex));
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, test_case.code) << result.error().to_string();
    EXPECT_NE(result.error().message.find(test_case.message_part), std::string::npos)
        << "message: " << result.error().message;
  }
}

TEST(SampleRecordTest, EnvelopeRefusesOtherVersionsAndTags) {
  const auto wrong_version = decode_sample_envelope(from_hex_or_die("0201" + kGoldenHex));
  ASSERT_FALSE(wrong_version.has_value());
  EXPECT_EQ(wrong_version.error().code, ErrorCode::kBadTag);
  EXPECT_NE(wrong_version.error().message.find("unsupported format version 0x02"),
            std::string::npos);

  const auto wrong_tag = decode_sample_envelope(from_hex_or_die("0103" + kGoldenHex));
  ASSERT_FALSE(wrong_tag.has_value());
  EXPECT_EQ(wrong_tag.error().code, ErrorCode::kBadTag);
  EXPECT_NE(wrong_tag.error().message.find("unknown type tag 0x03"), std::string::npos);
}

TEST(DecodeWholeTest, RefusesTrailingBytesAfterAValue) {
  const Bytes input{0x00, 0x01, 0x02};
  const auto value = decode_whole(input, [](Decoder& d) { return d.read_u16("pair"); });
  ASSERT_FALSE(value.has_value());
  EXPECT_EQ(value.error().code, ErrorCode::kTrailingBytes);
}

}  // namespace
}  // namespace aethel
