// Feeds arbitrary bytes to the state's proof and snapshot-chunk decoders, and
// what they accept to the verifiers. Decoding must refuse bad input with an
// error (never crash, hang or over-allocate); anything accepted must re-encode
// to exactly the bytes it came from, and verifying it against a root it does
// not belong to must fail cleanly.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/assert.h"
#include "state/proof.h"
#include "state/snapshot.h"

namespace {

bool same_bytes(const aethel::Bytes& encoded, aethel::ByteView input) {
  return encoded.size() == input.size() &&
         std::equal(encoded.begin(), encoded.end(), input.begin());
}

void check_proof(aethel::ByteView input) {
  const auto proof = aethel::state::decode_proof(input);
  if (!proof) return;
  AETHEL_ASSERT_MSG(same_bytes(aethel::state::encode_proof(*proof), input),
                    "accepted proof does not re-encode to its input");
  const aethel::Hash256 root;  // all zero: no tree has this root
  const aethel::state::TreeKey key = proof->terminal ? proof->terminal->key : aethel::Hash256();
  (void)aethel::state::verify_proof(root, key, std::nullopt, *proof);
}

void check_chunk(aethel::ByteView input) {
  const auto chunk = aethel::state::decode_chunk(input);
  if (!chunk) return;
  AETHEL_ASSERT_MSG(same_bytes(aethel::state::encode_chunk(*chunk), input),
                    "accepted chunk does not re-encode to its input");
  const aethel::state::SnapshotManifest manifest{chunk->version, chunk->root, chunk->prefix_bits};
  (void)aethel::state::verify_chunk(manifest, *chunk);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const aethel::ByteView input(data, size);
  check_proof(input);
  check_chunk(input);
  return 0;
}
