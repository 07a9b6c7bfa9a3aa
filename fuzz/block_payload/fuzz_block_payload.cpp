// Feeds arbitrary bytes to the block payload decoder. Decoding must refuse
// bad input with an error (never crash, hang or over-allocate); a payload it
// accepts must re-encode to exactly its input (one encoding per payload, so
// one digest), and the derived views of it (its programs, its claims given
// no outcomes) must be computed without breaking an invariant.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "core/assert.h"
#include "crypto/sha256.h"
#include "ledger/block_payload.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace aethel;
  const ByteView input(data, size);
  ledger::BlockPayloadLimits limits;
  limits.max_transactions = 64;
  limits.max_bytes = 1 << 20;
  limits.max_certificate_signatures = 64;
  const auto payload = ledger::decode_block_payload(input, limits);
  if (!payload) return 0;
  const Bytes encoded = ledger::encode_block_payload(*payload);
  AETHEL_ASSERT_MSG(encoded.size() == size && std::equal(encoded.begin(), encoded.end(), data),
                    "accepted payload does not re-encode to its input");
  AETHEL_ASSERT(ledger::payload_digest(*payload) == crypto::sha256(input));
  const auto programs = ledger::programs_of(*payload);
  AETHEL_ASSERT(programs.size() <= payload->transactions.size());
  // With no outcomes, claims can be derived only when no proof is submitted.
  const bool submits_proof =
      std::any_of(payload->transactions.begin(), payload->transactions.end(),
                  [](const ledger::Transaction& transaction) {
                    return std::holds_alternative<ledger::SubmitProof>(transaction.payload);
                  });
  AETHEL_ASSERT(ledger::claims_of(*payload, {}).has_value() == !submits_proof);
  return 0;
}
