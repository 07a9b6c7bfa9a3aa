#include "crypto/signing_domain.h"

#include "core/assert.h"

namespace aethel::crypto {

std::string_view signing_domain_name(SigningDomain domain) noexcept {
  switch (domain) {
    case SigningDomain::kTransaction: return "transaction";
    case SigningDomain::kProofSubmission: return "proof-submission";
    case SigningDomain::kConsensusPrePrepare: return "consensus-pre-prepare";
    case SigningDomain::kConsensusPrepare: return "consensus-prepare";
    case SigningDomain::kConsensusCommit: return "consensus-commit";
    case SigningDomain::kConsensusViewChange: return "consensus-view-change";
    case SigningDomain::kConsensusNewView: return "consensus-new-view";
    case SigningDomain::kConsensusCheckpoint: return "consensus-checkpoint";
    case SigningDomain::kKeyFileCheck: return "key-file-check";
  }
  // Only a value cast from an unchecked integer gets here.
  AETHEL_ASSERT_MSG(false, "SigningDomain value has no name");
  return {};
}

std::optional<SigningDomain> signing_domain_from_byte(std::uint8_t value) noexcept {
  for (const SigningDomain domain : kAllSigningDomains) {
    if (static_cast<std::uint8_t>(domain) == value) return domain;
  }
  return std::nullopt;
}

}  // namespace aethel::crypto
