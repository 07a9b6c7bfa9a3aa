#include "sim/proof_oracle.h"

#include <string>

#include "core/encoding.h"
#include "crypto/sha256.h"

namespace aethel::sim {
namespace {

Hash256 tagged_hash(std::string_view tag, std::uint64_t a, std::uint64_t b, ByteView extra = {}) {
  crypto::Sha256Hasher hasher;
  Encoder encoder;
  encoder.put_u64(a);
  encoder.put_u64(b);
  hasher.update(tag).update(encoder.bytes()).update(extra);
  return hasher.finish();
}

}  // namespace

consensus::Claim ProofOracle::truth(const Hash256& proof_id) const {
  const Hash256 digest = tagged_hash("aethel-sim-truth", seed_, 0, proof_id.view());
  const auto& bytes = digest.array();
  consensus::Claim claim;
  claim.proof_id = proof_id;
  // Three in four proofs are proved, one in eight refuted, one in eight unknown.
  const unsigned kind = bytes[0] % 8U;
  claim.verdict = kind < 6   ? consensus::ClaimedVerdict::kProved
                  : kind < 7 ? consensus::ClaimedVerdict::kRefuted
                             : consensus::ClaimedVerdict::kUnknown;
  claim.difficulty =
      Difficulty(1 + ((static_cast<std::uint64_t>(bytes[1]) << 8) | bytes[2]) % 1000);
  return claim;
}

bool ProofOracle::claim_is_true(const consensus::Claim& claim) const {
  return truth(claim.proof_id) == claim;
}

std::vector<consensus::Claim> ProofOracle::honest_claims(Height height) const {
  std::vector<consensus::Claim> claims;
  claims.reserve(proofs_per_block_);
  for (std::uint32_t i = 0; i < proofs_per_block_; ++i) {
    claims.push_back(truth(tagged_hash("aethel-sim-proof", seed_ ^ height.value(), i)));
  }
  return claims;
}

std::vector<consensus::Claim> ProofOracle::false_claims(Height height) const {
  auto claims = honest_claims(height);
  auto& first = claims.front();
  first.verdict = first.verdict == consensus::ClaimedVerdict::kProved
                      ? consensus::ClaimedVerdict::kRefuted
                      : consensus::ClaimedVerdict::kProved;
  return claims;
}

Hash256 ProofOracle::payload_digest(Height height,
                                    const std::vector<consensus::Claim>& claims) const {
  Encoder encoder;
  for (const auto& claim : claims) encoder.put_fixed(claim.proof_id);
  return tagged_hash("aethel-sim-payload", seed_, height.value(), encoder.bytes());
}

consensus::ProposalReady ProofOracle::proposal(Height height, std::vector<consensus::Claim> claims,
                                               std::uint64_t now_ms) const {
  consensus::ProposalReady ready;
  ready.height = height;
  ready.payload_digest = payload_digest(height, claims);
  ready.claims = std::move(claims);
  ready.timestamp_ms = now_ms;
  return ready;
}

consensus::BlockVerified ProofOracle::verify(const consensus::Block& block) const {
  const Hash256 digest = consensus::block_digest(block);
  if (block.payload_digest != payload_digest(block.height, block.claims)) {
    return consensus::BlockVerified::invalid(digest,
                                             "payload digest does not match the claimed proofs");
  }
  for (std::size_t i = 0; i < block.claims.size(); ++i) {
    if (!claim_is_true(block.claims[i])) {
      return consensus::BlockVerified::false_claim(
          digest, static_cast<std::uint32_t>(i),
          "claim " + std::to_string(i) + " contradicts the proof's verdict");
    }
  }
  return consensus::BlockVerified::valid(digest);
}

}  // namespace aethel::sim
