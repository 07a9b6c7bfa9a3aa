// Properties of the canonical encoding, checked on random SampleRecords (which
// hold one field of every kind) and on random primitives.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "allocation_tracker.h"
#include "core/encoding.h"
#include "core/encoding_sample.h"

namespace rc {

template <>
struct Arbitrary<aethel::Hash256> {
  static Gen<aethel::Hash256> arbitrary() {
    return gen::construct<aethel::Hash256>(gen::arbitrary<aethel::Hash256::Array>());
  }
};

template <>
struct Arbitrary<aethel::SampleRecord> {
  static Gen<aethel::SampleRecord> arbitrary() {
    using aethel::SampleRecord;
    return gen::build<SampleRecord>(
        gen::set(&SampleRecord::kind), gen::set(&SampleRecord::shard),
        gen::set(&SampleRecord::sequence), gen::set(&SampleRecord::amount),
        gen::set(&SampleRecord::height,
                 gen::construct<aethel::Height>(gen::arbitrary<std::uint64_t>())),
        gen::set(&SampleRecord::flag),
        gen::set(&SampleRecord::payload, gen::resize(200, gen::arbitrary<aethel::Bytes>())),
        gen::set(&SampleRecord::label, gen::resize(200, gen::arbitrary<std::string>())),
        gen::set(&SampleRecord::digest),
        gen::set(&SampleRecord::values,
                 gen::resize(100, gen::arbitrary<std::vector<std::uint64_t>>())),
        gen::set(&SampleRecord::limit, optional_u32()));
  }

  static Gen<std::optional<std::uint32_t>> optional_u32() {
    return gen::map(gen::pair(gen::arbitrary<bool>(), gen::arbitrary<std::uint32_t>()),
                    [](const std::pair<bool, std::uint32_t>& choice) {
                      return choice.first ? std::optional<std::uint32_t>(choice.second)
                                          : std::nullopt;
                    });
  }
};

}  // namespace rc

namespace aethel {
namespace {

bool is_truncation(const Error& error) {
  // Cutting inside a length-prefixed field leaves its declared length larger
  // than the input that remains, which the decoder reports as kOversize.
  return error.code == ErrorCode::kTruncated ||
         (error.code == ErrorCode::kOversize &&
          error.message.find("but only") != std::string::npos);
}

RC_GTEST_PROP(EncodingProperty, SampleRecordRoundTrips, (const SampleRecord& record)) {
  const auto decoded = decode_sample_record(encode_sample_record(record));
  RC_ASSERT(decoded.has_value());
  RC_ASSERT(*decoded == record);
  const auto from_envelope = decode_sample_envelope(encode_sample_envelope(record));
  RC_ASSERT(from_envelope.has_value());
  RC_ASSERT(*from_envelope == record);
}

RC_GTEST_PROP(EncodingProperty, PrimitivesRoundTrip,
              (std::uint8_t a, std::uint16_t b, std::uint32_t c, std::uint64_t d, bool e,
               const Bytes& f, const std::string& g, const Hash256& h)) {
  Encoder encoder;
  encoder.put_u8(a).put_u16(b).put_u32(c).put_u64(d).put_bool(e).put_bytes(f).put_string(g);
  encoder.put_fixed(h).put_strong(Stake(d));
  RC_ASSERT(encoder.size() == 1 + 2 + 4 + 8 + 1 + 4 + f.size() + 4 + g.size() + 32 + 8);

  Decoder decoder(encoder.bytes());
  RC_ASSERT(*decoder.read_u8("a") == a);
  RC_ASSERT(*decoder.read_u16("b") == b);
  RC_ASSERT(*decoder.read_u32("c") == c);
  RC_ASSERT(*decoder.read_u64("d") == d);
  RC_ASSERT(*decoder.read_bool("e") == e);
  RC_ASSERT(*decoder.read_bytes("f", f.size()) == f);
  RC_ASSERT(*decoder.read_string("g", g.size()) == g);
  RC_ASSERT(*decoder.read_fixed<Hash256>("h") == h);
  RC_ASSERT(*decoder.read_strong<Stake>("i") == Stake(d));
  RC_ASSERT(decoder.finish().has_value());
}

// Any input that decodes re-encodes to exactly the same bytes: no value has
// two accepted encodings. Random mutations of valid encodings reach the
// interesting inputs (flag bytes, lengths, tags) far more often than random
// bytes would.
RC_GTEST_PROP(EncodingProperty, AcceptedInputsReencodeByteIdentically,
              (const SampleRecord& record)) {
  Bytes bytes = encode_sample_record(record);
  const auto position = *rc::gen::inRange<std::size_t>(0, bytes.size());
  bytes[position] = *rc::gen::arbitrary<std::uint8_t>();
  const auto decoded = decode_sample_record(bytes);
  RC_CLASSIFY(decoded.has_value(), "mutation accepted");
  if (decoded) RC_ASSERT(encode_sample_record(*decoded) == bytes);
}

RC_GTEST_PROP(EncodingProperty, ArbitraryBytesReencodeByteIdenticallyWhenAccepted,
              (const Bytes& bytes)) {
  const auto decoded = decode_sample_record(bytes);
  if (decoded) RC_ASSERT(encode_sample_record(*decoded) == bytes);
}

RC_GTEST_PROP(EncodingProperty, EveryStrictPrefixIsRefusedAsTruncated,
              (const SampleRecord& record)) {
  const Bytes bytes = encode_sample_record(record);
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    const auto decoded = decode_sample_record(ByteView(bytes).first(length));
    RC_ASSERT(!decoded.has_value());
    RC_ASSERT(is_truncation(decoded.error()));
  }
}

RC_GTEST_PROP(EncodingProperty, AnyAppendedByteIsRefusedAsTrailing,
              (const SampleRecord& record, std::uint8_t extra)) {
  Bytes bytes = encode_sample_envelope(record);
  bytes.push_back(extra);
  const auto decoded = decode_sample_envelope(bytes);
  RC_ASSERT(!decoded.has_value());
  RC_ASSERT(decoded.error().code == ErrorCode::kTrailingBytes);
}

// A declared length far beyond the input is refused before any buffer of that
// size exists: the largest allocation stays within the input's size.
RC_GTEST_PROP(EncodingProperty, HugeDeclaredLengthIsRefusedWithoutAllocating, (const Bytes& tail)) {
  const auto declared =
      *rc::gen::inRange<std::uint64_t>(tail.size() + 1, std::uint64_t{kMaxEncodedLength} + 1);
  Encoder encoder;
  encoder.put_u32(static_cast<std::uint32_t>(declared)).put_raw(tail);
  const Bytes input = std::move(encoder).take();

  const testing::LargestAllocationScope allocations;
  Decoder decoder(input);
  const auto bytes = decoder.read_bytes("payload", kMaxEncodedLength);
  Decoder count_decoder(input);
  const auto values = count_decoder.read_vector("values", kMaxEncodedLength, 1,
                                                [](Decoder& d) { return d.read_u8("value"); });
  RC_ASSERT(!bytes.has_value());
  RC_ASSERT(bytes.error().code == ErrorCode::kOversize);
  RC_ASSERT(!values.has_value());
  RC_ASSERT(values.error().code == ErrorCode::kOversize);
  RC_ASSERT(allocations.largest_bytes() <= std::max<std::size_t>(input.size(), 256));
}

TEST(EncodingTest, HugePayloadLengthInSampleRecordIsOversize) {
  SampleRecord record;
  Bytes bytes = encode_sample_record(record);
  // The payload length prefix starts at offset 24.
  bytes[24] = 0xff;
  bytes[25] = 0xff;
  bytes[26] = 0xff;
  bytes[27] = 0xff;
  const testing::LargestAllocationScope allocations;
  const auto decoded = decode_sample_record(bytes);
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().code, ErrorCode::kOversize);
  EXPECT_NE(decoded.error().message.find("field 'payload' declares 4294967295 bytes"),
            std::string::npos);
  EXPECT_LT(allocations.largest_bytes(), 1024u);
}

}  // namespace
}  // namespace aethel
