// Signing domains: every signature is made for one purpose, and a signature
// made for one purpose never verifies for another (a prepare vote cannot be
// replayed as a commit, a transaction cannot be replayed as a proof
// submission).
//
// The numeric values and the names are protocol constants: the name is part
// of every signed message (see crypto/ed25519.h) and the value may appear in
// encoded messages. Never renumber or rename; add new domains at the end.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace aethel::crypto {

enum class SigningDomain : std::uint8_t {
  kTransaction = 0,
  kProofSubmission = 1,
  kConsensusPrePrepare = 2,
  kConsensusPrepare = 3,
  kConsensusCommit = 4,
  kConsensusViewChange = 5,
  kConsensusNewView = 6,
  kConsensusCheckpoint = 7,
  kKeyFileCheck = 8,
};

inline constexpr std::array kAllSigningDomains = {
    SigningDomain::kTransaction,         SigningDomain::kProofSubmission,
    SigningDomain::kConsensusPrePrepare, SigningDomain::kConsensusPrepare,
    SigningDomain::kConsensusCommit,     SigningDomain::kConsensusViewChange,
    SigningDomain::kConsensusNewView,    SigningDomain::kConsensusCheckpoint,
    SigningDomain::kKeyFileCheck,
};

// The name bound into signatures, e.g. "consensus-commit".
std::string_view signing_domain_name(SigningDomain domain) noexcept;

// The domain with this value, or nullopt for a value no domain has.
std::optional<SigningDomain> signing_domain_from_byte(std::uint8_t value) noexcept;

}  // namespace aethel::crypto
