// Feeds arbitrary bytes to the canonical decoder. The decoder must refuse bad
// input with an error (never crash, hang or over-allocate), and anything it
// accepts must re-encode to exactly the bytes it came from: a second accepted
// encoding of the same value would let two different byte strings carry the
// same signature or hash preimage.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/assert.h"
#include "core/encoding_sample.h"

namespace {

void check_record(aethel::ByteView input) {
  const auto record = aethel::decode_sample_record(input);
  if (!record) return;
  const aethel::Bytes reencoded = aethel::encode_sample_record(*record);
  AETHEL_ASSERT_MSG(reencoded.size() == input.size() &&
                        std::equal(reencoded.begin(), reencoded.end(), input.begin()),
                    "accepted record does not re-encode to its input");
}

void check_envelope(aethel::ByteView input) {
  const auto record = aethel::decode_sample_envelope(input);
  if (!record) return;
  const aethel::Bytes reencoded = aethel::encode_sample_envelope(*record);
  AETHEL_ASSERT_MSG(reencoded.size() == input.size() &&
                        std::equal(reencoded.begin(), reencoded.end(), input.begin()),
                    "accepted envelope does not re-encode to its input");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const aethel::ByteView input(data, size);
  check_record(input);
  check_envelope(input);
  return 0;
}
