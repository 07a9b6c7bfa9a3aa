#include "consensus/block.h"

#include "crypto/sha256.h"

namespace aethel::consensus {
namespace {

// proof id, verdict byte, difficulty
constexpr std::size_t kEncodedClaimSize = Hash256::kSize + 1 + 8;

Result<ClaimedVerdict> decode_verdict(Decoder& decoder) {
  auto byte = decoder.read_u8("claim.verdict");
  if (!byte) return unexpected<Error>(std::move(byte).error());
  if (*byte > static_cast<std::uint8_t>(ClaimedVerdict::kUnknown)) {
    return fail(ErrorCode::kBadTag, "claim.verdict: unknown verdict " + std::to_string(*byte) +
                                        " at offset " + std::to_string(decoder.offset() - 1));
  }
  return static_cast<ClaimedVerdict>(*byte);
}

Result<Claim> decode_claim(Decoder& decoder) {
  Claim claim;
  auto proof_id = decoder.read_fixed<Hash256>("claim.proof_id");
  if (!proof_id) return unexpected<Error>(std::move(proof_id).error());
  claim.proof_id = *proof_id;
  auto verdict = decode_verdict(decoder);
  if (!verdict) return unexpected<Error>(std::move(verdict).error());
  claim.verdict = *verdict;
  auto difficulty = decoder.read_strong<Difficulty>("claim.difficulty");
  if (!difficulty) return unexpected<Error>(std::move(difficulty).error());
  claim.difficulty = *difficulty;
  return claim;
}

}  // namespace

const char* claimed_verdict_name(ClaimedVerdict verdict) noexcept {
  switch (verdict) {
    case ClaimedVerdict::kProved: return "PROVED";
    case ClaimedVerdict::kRefuted: return "REFUTED";
    case ClaimedVerdict::kUnknown: return "UNKNOWN";
  }
  return "?";
}

void encode_block(Encoder& encoder, const Block& block) {
  encoder.put_strong(block.height)
      .put_strong(block.view)
      .put_fixed(block.parent_digest)
      .put_strong(block.proposer)
      .put_u64(block.timestamp_ms);
  encoder.put_vector(block.claims, [](Encoder& out, const Claim& claim) {
    out.put_fixed(claim.proof_id)
        .put_u8(static_cast<std::uint8_t>(claim.verdict))
        .put_strong(claim.difficulty);
  });
  encoder.put_fixed(block.payload_digest);
}

Bytes encode_block(const Block& block) {
  Encoder encoder;
  encode_block(encoder, block);
  return std::move(encoder).take();
}

Result<Block> decode_block(Decoder& decoder, std::size_t max_claims) {
  Block block;
  auto height = decoder.read_strong<Height>("block.height");
  if (!height) return unexpected<Error>(std::move(height).error());
  block.height = *height;
  auto view = decoder.read_strong<View>("block.view");
  if (!view) return unexpected<Error>(std::move(view).error());
  block.view = *view;
  auto parent = decoder.read_fixed<Hash256>("block.parent_digest");
  if (!parent) return unexpected<Error>(std::move(parent).error());
  block.parent_digest = *parent;
  auto proposer = decoder.read_strong<ValidatorIndex>("block.proposer");
  if (!proposer) return unexpected<Error>(std::move(proposer).error());
  block.proposer = *proposer;
  auto timestamp = decoder.read_u64("block.timestamp_ms");
  if (!timestamp) return unexpected<Error>(std::move(timestamp).error());
  block.timestamp_ms = *timestamp;
  auto claims = decoder.read_vector("block.claims", max_claims, kEncodedClaimSize, decode_claim);
  if (!claims) return unexpected<Error>(std::move(claims).error());
  block.claims = std::move(*claims);
  auto payload = decoder.read_fixed<Hash256>("block.payload_digest");
  if (!payload) return unexpected<Error>(std::move(payload).error());
  block.payload_digest = *payload;
  return block;
}

Hash256 block_digest(const Block& block) {
  return crypto::sha256(encode_block(block));
}

}  // namespace aethel::consensus
