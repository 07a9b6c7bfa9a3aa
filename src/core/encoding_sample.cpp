#include "core/encoding_sample.h"

namespace aethel {

namespace {

// Assigns the decoded value to `target`, or keeps the first error.
template <class T, class U>
bool assign(Result<T>&& decoded, U& target, std::optional<Error>& error) {
  if (!decoded) {
    error.emplace(std::move(decoded).error());
    return false;
  }
  target = std::move(*decoded);
  return true;
}

}  // namespace

void put_sample_record(Encoder& encoder, const SampleRecord& record) {
  encoder.put_u8(record.kind)
      .put_u16(record.shard)
      .put_u32(record.sequence)
      .put_u64(record.amount)
      .put_strong(record.height)
      .put_bool(record.flag)
      .put_bytes(record.payload)
      .put_string(record.label)
      .put_fixed(record.digest)
      .put_vector(record.values, [](Encoder& e, std::uint64_t value) { e.put_u64(value); })
      .put_optional(record.limit, [](Encoder& e, std::uint32_t value) { e.put_u32(value); });
}

Result<SampleRecord> read_sample_record(Decoder& decoder) {
  SampleRecord record;
  std::optional<Error> error;
  const bool ok =
      assign(decoder.read_u8("kind"), record.kind, error) &&
      assign(decoder.read_u16("shard"), record.shard, error) &&
      assign(decoder.read_u32("sequence"), record.sequence, error) &&
      assign(decoder.read_u64("amount"), record.amount, error) &&
      assign(decoder.read_strong<Height>("height"), record.height, error) &&
      assign(decoder.read_bool("flag"), record.flag, error) &&
      assign(decoder.read_bytes("payload", kSamplePayloadMaxBytes), record.payload, error) &&
      assign(decoder.read_string("label", kSampleLabelMaxBytes), record.label, error) &&
      assign(decoder.read_fixed<Hash256>("digest"), record.digest, error) &&
      assign(decoder.read_vector("values", kSampleValuesMaxCount, sizeof(std::uint64_t),
                                 [](Decoder& d) { return d.read_u64("value"); }),
             record.values, error) &&
      assign(decoder.read_optional("limit", [](Decoder& d) { return d.read_u32("limit"); }),
             record.limit, error);
  if (!ok) return unexpected<Error>(std::move(*error));
  return record;
}

Bytes encode_sample_record(const SampleRecord& record) {
  Encoder encoder;
  put_sample_record(encoder, record);
  return std::move(encoder).take();
}

Result<SampleRecord> decode_sample_record(ByteView input) {
  return decode_whole(input, read_sample_record);
}

Bytes encode_sample_envelope(const SampleRecord& record) {
  Encoder encoder;
  encoder.put_envelope(kSampleRecordEnvelope);
  put_sample_record(encoder, record);
  return std::move(encoder).take();
}

Result<SampleRecord> decode_sample_envelope(ByteView input) {
  return decode_whole(input, [](Decoder& decoder) -> Result<SampleRecord> {
    if (auto header = decoder.expect_envelope(kSampleRecordEnvelope); !header) {
      return unexpected<Error>(std::move(header).error());
    }
    return read_sample_record(decoder);
  });
}

}  // namespace aethel
