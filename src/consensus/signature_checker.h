// Signature verification behind an interface, because at 10,000 validators
// it dominates a replica's CPU: a certificate holds ~6,700 signatures.
//
// The replica checks structure (membership, order, quorum) itself and asks
// the checker only whether signatures are valid. Ed25519SignatureChecker
// verifies every signature. A simulator may supply a checker that memoizes
// results across simulated nodes (verification is a pure function of its
// inputs, so a memoized answer is the true answer) while charging each node
// the modelled cost; certificates are passed as shared pointers so such a
// checker can key them by identity while keeping them alive.
#pragma once

#include <cstdint>

#include "consensus/messages.h"
#include "consensus/validator_set.h"
#include "core/bytes.h"
#include "crypto/ed25519.h"
#include "crypto/signing_domain.h"

namespace aethel::consensus {

class SignatureChecker {
 public:
  virtual ~SignatureChecker() = default;

  // True if `signature` is `key`'s signature of `message` in `domain`.
  virtual bool verify_signature(const crypto::PublicKey& key, crypto::SigningDomain domain,
                                ByteView message, const crypto::Signature& signature) = 0;

  // True if every signature in the certificate is its signer's signature of
  // vote_signing_bytes(chain_id, phase, view, height, digest).
  // Precondition: check_certificate_structure(validators, *certificate).
  virtual bool verify_certificate(const ValidatorSet& validators, const Hash256& chain_id,
                                  const CertificatePtr& certificate) = 0;
};

// Verifies every signature with crypto::verify (libsodium). Stateless.
class Ed25519SignatureChecker final : public SignatureChecker {
 public:
  bool verify_signature(const crypto::PublicKey& key, crypto::SigningDomain domain,
                        ByteView message, const crypto::Signature& signature) override;
  bool verify_certificate(const ValidatorSet& validators, const Hash256& chain_id,
                          const CertificatePtr& certificate) override;
};

}  // namespace aethel::consensus
