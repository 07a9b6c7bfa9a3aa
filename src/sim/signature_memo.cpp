#include "sim/signature_memo.h"

#include "crypto/sha256.h"

namespace aethel::sim {

bool MemoizingSignatureChecker::verify_signature(const crypto::PublicKey& key,
                                                 crypto::SigningDomain domain, ByteView message,
                                                 const crypto::Signature& signature) {
  // The memo key commits to every input, length-prefixed where variable.
  crypto::Sha256Hasher hasher;
  const std::uint8_t domain_byte = static_cast<std::uint8_t>(domain);
  const std::uint64_t length = message.size();
  std::array<std::uint8_t, 9> header{};
  header[0] = domain_byte;
  for (int i = 0; i < 8; ++i)
    header[static_cast<std::size_t>(1 + i)] = static_cast<std::uint8_t>(length >> (8 * i));
  hasher.update(key.view()).update(header).update(message).update(signature.view());
  const Hash256 memo_key = hasher.finish();
  if (const auto found = signatures_.find(memo_key); found != signatures_.end()) {
    ++memo_hits_;
    return found->second;
  }
  ++real_verifications_;
  const bool valid = crypto::verify(key, domain, message, signature).has_value();
  signatures_.emplace(memo_key, valid);
  return valid;
}

bool MemoizingSignatureChecker::verify_certificate(const consensus::ValidatorSet& validators,
                                                   const Hash256& chain_id,
                                                   const consensus::CertificatePtr& certificate) {
  AETHEL_ASSERT(certificate != nullptr);
  if (const auto found = certificates_.find(certificate.get()); found != certificates_.end()) {
    ++memo_hits_;
    return found->second.second;
  }
  const auto& cert = *certificate;
  const Bytes signing_bytes =
      consensus::vote_signing_bytes(chain_id, cert.phase, cert.view, cert.height, cert.digest);
  const auto domain = consensus::signing_domain_of(cert.phase);
  bool valid = true;
  for (const auto& entry : cert.signatures) {
    if (!validators.contains(entry.signer) ||
        !verify_signature(validators.at(entry.signer).public_key, domain, signing_bytes,
                          entry.signature)) {
      valid = false;
      break;
    }
  }
  certificates_.emplace(certificate.get(), std::make_pair(certificate, valid));
  return valid;
}

}  // namespace aethel::sim
