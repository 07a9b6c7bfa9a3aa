// The application the simulated replicas run: a deterministic stand-in for
// the ledger and the judge. Every proof id has a ground-truth verdict and
// difficulty derived from the run's seed (SHA-256(seed || proof id)), so
// verification needs no Z3: it compares claims with the truth, and the
// simulator charges the modelled per-proof CPU time for it. Blocks reference
// proofs by id (the proofs themselves are assumed gossiped beforehand), so
// blocks stay small.
#pragma once

#include <cstdint>
#include <vector>

#include "consensus/application.h"
#include "consensus/block.h"
#include "sim/node_application.h"

namespace aethel::sim {

class ProofOracle final : public ClaimTruth {
 public:
  ProofOracle(std::uint64_t seed, std::uint32_t proofs_per_block) noexcept
      : seed_(seed), proofs_per_block_(proofs_per_block) {}

  // The true verdict and difficulty of a proof.
  consensus::Claim truth(const Hash256& proof_id) const;
  bool claim_is_true(const consensus::Claim& claim) const override;

  // The proofs waiting for block `height` (the same for every leader), with
  // their true claims.
  std::vector<consensus::Claim> honest_claims(Height height) const;
  // The claims with the first one's verdict turned false (PROVED <->
  // REFUTED, UNKNOWN -> PROVED).
  std::vector<consensus::Claim> false_claims(Height height) const;
  // Digest standing for the block's payload (the proof bodies).
  Hash256 payload_digest(Height height, const std::vector<consensus::Claim>& claims) const;

  consensus::ProposalReady proposal(Height height, std::vector<consensus::Claim> claims,
                                    std::uint64_t now_ms) const;

  // An honest validator's verification: the payload digest must match the
  // claimed proofs and every claim must be true.
  consensus::BlockVerified verify(const consensus::Block& block) const;

  std::uint32_t proofs_per_block() const noexcept { return proofs_per_block_; }

 private:
  std::uint64_t seed_;
  std::uint32_t proofs_per_block_;
};

}  // namespace aethel::sim
