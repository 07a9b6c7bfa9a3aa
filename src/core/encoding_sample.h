// A record with one field of every kind the canonical encoding supports. It is
// not part of the protocol: tests and the decoder fuzzer use it to exercise
// the Encoder and Decoder the way protocol types do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/encoding.h"
#include "core/error.h"
#include "core/types.h"

namespace aethel {

struct SampleRecord {
  std::uint8_t kind = 0;
  std::uint16_t shard = 0;
  std::uint32_t sequence = 0;
  std::uint64_t amount = 0;
  Height height;
  bool flag = false;
  Bytes payload;
  std::string label;
  Hash256 digest;
  std::vector<std::uint64_t> values;
  std::optional<std::uint32_t> limit;

  friend bool operator==(const SampleRecord&, const SampleRecord&) = default;
};

inline constexpr std::size_t kSamplePayloadMaxBytes = 4096;
inline constexpr std::size_t kSampleLabelMaxBytes = 256;
inline constexpr std::size_t kSampleValuesMaxCount = 1024;
inline constexpr EnvelopeHeader kSampleRecordEnvelope{.format_version = 1, .type_tag = 0x01};

void put_sample_record(Encoder& encoder, const SampleRecord& record);
Result<SampleRecord> read_sample_record(Decoder& decoder);

// The record alone, and a whole input holding exactly one record.
Bytes encode_sample_record(const SampleRecord& record);
Result<SampleRecord> decode_sample_record(ByteView input);

// The record behind its envelope (kSampleRecordEnvelope), as stored on its own.
Bytes encode_sample_envelope(const SampleRecord& record);
Result<SampleRecord> decode_sample_envelope(ByteView input);

}  // namespace aethel
