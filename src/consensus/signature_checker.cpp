#include "consensus/signature_checker.h"

#include "core/assert.h"

namespace aethel::consensus {

bool Ed25519SignatureChecker::verify_signature(const crypto::PublicKey& key,
                                               crypto::SigningDomain domain, ByteView message,
                                               const crypto::Signature& signature) {
  return crypto::verify(key, domain, message, signature).has_value();
}

bool Ed25519SignatureChecker::verify_certificate(const ValidatorSet& validators,
                                                 const Hash256& chain_id,
                                                 const CertificatePtr& certificate) {
  AETHEL_ASSERT(certificate != nullptr);
  const Bytes message = vote_signing_bytes(chain_id, certificate->phase, certificate->view,
                                           certificate->height, certificate->digest);
  const crypto::SigningDomain domain = signing_domain_of(certificate->phase);
  for (const CertificateSignature& entry : certificate->signatures) {
    if (!validators.contains(entry.signer)) return false;
    const crypto::PublicKey& key = validators.at(entry.signer).public_key;
    if (!crypto::verify(key, domain, message, entry.signature)) return false;
  }
  return true;
}

}  // namespace aethel::consensus
