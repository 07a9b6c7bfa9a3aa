// A SignatureChecker shared by every simulated replica.
//
// At 10,000 validators a certificate holds about 6,700 signatures and every
// replica checks it: 10^8 real Ed25519 verifications per block, hours of wall
// time. Verification is a pure function of (key, domain, message,
// signature), so this checker performs the real libsodium verification once
// per distinct input and remembers the answer; every later replica asking
// the same question gets the same, true, answer. Each replica is still
// charged the modelled CPU time of every verification it asks for (the
// simulator charges by the replica's own counters), so simulated time is as
// if every node verified everything itself; only wall time is saved.
//
// Certificates are remembered by identity (the shared pointer is kept alive,
// so the address cannot be reused), and verified signature by signature
// through the same memo, so a certificate whose votes the collector already
// checked costs no further real verification.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "consensus/signature_checker.h"

namespace aethel::sim {

class MemoizingSignatureChecker final : public consensus::SignatureChecker {
 public:
  bool verify_signature(const crypto::PublicKey& key, crypto::SigningDomain domain,
                        ByteView message, const crypto::Signature& signature) override;
  bool verify_certificate(const consensus::ValidatorSet& validators, const Hash256& chain_id,
                          const consensus::CertificatePtr& certificate) override;

  std::uint64_t real_verifications() const noexcept { return real_verifications_; }
  std::uint64_t memo_hits() const noexcept { return memo_hits_; }

 private:
  // Lookups only; the maps are never iterated, so their order cannot leak
  // into a run.
  std::unordered_map<Hash256, bool> signatures_;
  std::unordered_map<const consensus::Certificate*, std::pair<consensus::CertificatePtr, bool>>
      certificates_;
  std::uint64_t real_verifications_ = 0;
  std::uint64_t memo_hits_ = 0;
};

}  // namespace aethel::sim
