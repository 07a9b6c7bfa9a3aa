#include "core/bytes.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>
#include <string>
#include <unordered_set>

namespace aethel {
namespace {

TEST(HexTest, EncodesLowercaseTwoDigitsPerByte) {
  EXPECT_EQ(hex_encode(Bytes{}), "");
  EXPECT_EQ(hex_encode(Bytes{0x00, 0x0f, 0xa0, 0xff}), "000fa0ff");
}

TEST(HexTest, DecodesUpperAndLowerCase) {
  const auto bytes = hex_decode("00Ff0aB1");
  ASSERT_TRUE(bytes.has_value()) << bytes.error().to_string();
  EXPECT_EQ(*bytes, (Bytes{0x00, 0xff, 0x0a, 0xb1}));
}

struct BadHexCase {
  std::string text;
  std::string message_part;
};

TEST(HexTest, RefusesBadTextNamingWhereItIsWrong) {
  const BadHexCase cases[] = {
      {"abc", "odd length 3"},
      {"zz", "'z' at position 0 is not a hex digit"},
      {"0g", "'g' at position 1 is not a hex digit"},
      {"00 1", "' ' at position 2 is not a hex digit"},
      {std::string("00\n0", 4), "byte 0x0a at position 2 is not a hex digit"},
      {"0x00", "'x' at position 1 is not a hex digit"},
  };
  for (const BadHexCase& bad : cases) {
    const auto result = hex_decode(bad.text);
    ASSERT_FALSE(result.has_value()) << bad.text;
    EXPECT_EQ(result.error().code, ErrorCode::kSyntax) << bad.text;
    EXPECT_NE(result.error().message.find(bad.message_part), std::string::npos)
        << result.error().message;
  }
}

RC_GTEST_PROP(HexProperty, DecodeInvertsEncode, (const Bytes& bytes)) {
  const auto decoded = hex_decode(hex_encode(bytes));
  RC_ASSERT(decoded.has_value());
  RC_ASSERT(*decoded == bytes);
}

TEST(BytesTest, StringViewsAndCopiesHoldTheSameBytes) {
  EXPECT_EQ(bytes_of("ab"), (Bytes{'a', 'b'}));
  const ByteView view = as_byte_view("xyz");
  EXPECT_EQ(view.size(), 3u);
  EXPECT_EQ(view[2], 'z');
}

TEST(Hash256Test, DefaultIsZero) {
  EXPECT_TRUE(Hash256().is_zero());
  EXPECT_EQ(Hash256().hex(), std::string(64, '0'));
}

TEST(Hash256Test, HexRoundTrip) {
  const std::string text = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  const auto hash = Hash256::from_hex(text);
  ASSERT_TRUE(hash.has_value());
  EXPECT_EQ(hash->hex(), text);
  EXPECT_FALSE(hash->is_zero());
  EXPECT_EQ(hash->array()[0], 0xe3);
}

TEST(Hash256Test, FromHexRefusesWrongLengthAndBadDigits) {
  const auto short_text = Hash256::from_hex("abcd");
  ASSERT_FALSE(short_text.has_value());
  EXPECT_EQ(short_text.error().code, ErrorCode::kSyntax);
  EXPECT_NE(short_text.error().message.find("length 4; expected exactly 64"), std::string::npos)
      << short_text.error().message;

  const auto bad_digit = Hash256::from_hex(std::string(63, '0') + "q");
  ASSERT_FALSE(bad_digit.has_value());
  EXPECT_EQ(bad_digit.error().code, ErrorCode::kSyntax);
  EXPECT_NE(bad_digit.error().message.find("'q' at position 63"), std::string::npos);
}

TEST(Hash256Test, FromViewRefusesWrongLength) {
  const Bytes bytes(31, 0x01);
  const auto hash = Hash256::from_view(bytes);
  ASSERT_FALSE(hash.has_value());
  EXPECT_EQ(hash.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(hash.error().message.find("length 31; expected exactly 32"), std::string::npos);

  const Bytes exact(32, 0x07);
  const auto ok = Hash256::from_view(exact);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->view()[31], 0x07);
}

TEST(Hash256Test, OrdersLexicographicallyByBytes) {
  Hash256::Array low{};
  Hash256::Array high{};
  low[0] = 0x01;
  low[31] = 0xff;
  high[0] = 0x02;
  EXPECT_LT(Hash256(low), Hash256(high));
  EXPECT_NE(Hash256(low), Hash256(high));
  EXPECT_EQ(Hash256(low), Hash256(low));
  std::set<Hash256> ordered{Hash256(high), Hash256(low)};
  EXPECT_EQ(*ordered.begin(), Hash256(low));
  std::unordered_set<Hash256> hashed{Hash256(high), Hash256(low), Hash256(low)};
  EXPECT_EQ(hashed.size(), 2u);
}

struct OtherTag;
using OtherValue = FixedBytes<OtherTag, 32>;

TEST(FixedBytesTest, TagsMakeDistinctTypes) {
  static_assert(!std::is_convertible_v<Hash256, OtherValue>);
  static_assert(!std::is_convertible_v<Hash256::Array, Hash256>);
  static_assert(sizeof(Hash256) == 32);
}

}  // namespace
}  // namespace aethel
