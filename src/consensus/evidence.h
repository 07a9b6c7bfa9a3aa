// Cryptographic evidence of Byzantine behaviour, for slashing.
//
// Four kinds, each self-contained and checkable by anyone with the
// validator set: equivocation (two conflicting signed votes from one
// validator for the same phase, view and height), conflicting proposals (two
// signed PRE-PREPAREs of one leader for the same view and height with
// different blocks), a false claim (the leader's signed PRE-PREPARE whose
// block holds a claim that the reporting validator's verification
// contradicts) and a false-verdict vote (a validator's signed PREPARE or
// COMMIT for a block holding such a claim). verify_evidence() checks
// signatures and the conflict; for the two false-verdict kinds it cannot
// check the claim itself (that needs the judge), so the ledger re-verifies
// the named proof before slashing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <variant>

#include "consensus/messages.h"
#include "consensus/validator_set.h"
#include "core/bytes.h"
#include "core/error.h"

namespace aethel::consensus {

// Same voter, phase, view and height; different digests. `first` orders
// before `second` by digest, so one pair has one encoding.
struct EquivocationEvidence {
  Vote first;
  Vote second;
};

struct FalseClaimEvidence {
  PrePrepare pre_prepare;
  std::uint32_t claim_index = 0;  // index into pre_prepare.block->claims
};

// Same leader, view and height; different blocks. `first` orders before
// `second` by block digest, so one pair has one encoding.
struct ConflictingPrePrepareEvidence {
  PrePrepare first;
  PrePrepare second;
};

// A validator's signed PREPARE or COMMIT for `block` (vote.digest is the
// block's digest), whose claim at `claim_index` is false: voting for it says
// the voter verified that claim.
struct FalseVerdictVoteEvidence {
  Vote vote;
  Block block;
  std::uint32_t claim_index = 0;  // index into block.claims
};

using Evidence = std::variant<EquivocationEvidence, FalseClaimEvidence,
                              ConflictingPrePrepareEvidence, FalseVerdictVoteEvidence>;
using EvidencePtr = std::shared_ptr<const Evidence>;

// The validator the evidence accuses.
ValidatorIndex offender(const Evidence& evidence) noexcept;

// "equivocation", "false-claim", "conflicting-pre-prepare" or
// "false-verdict-vote": for logs and reports.
const char* evidence_kind_name(const Evidence& evidence) noexcept;

// The block and claim index a false-verdict kind (FalseClaimEvidence or
// FalseVerdictVoteEvidence) accuses; nullopt for the other kinds.
struct AccusedClaim {
  const Block* block = nullptr;
  std::uint32_t claim_index = 0;
};
std::optional<AccusedClaim> accused_claim(const Evidence& evidence) noexcept;

// Orders the two votes canonically. Precondition: they conflict.
EquivocationEvidence make_equivocation_evidence(Vote a, Vote b);
// Orders the two PRE-PREPAREs canonically. Precondition: they conflict.
ConflictingPrePrepareEvidence make_conflicting_pre_prepare_evidence(PrePrepare a, PrePrepare b);

Bytes encode_evidence(const Evidence& evidence);
Result<Evidence> decode_evidence(ByteView bytes, const DecodeLimits& limits = {});

// Refuses (kInvalidArgument) evidence that proves nothing: an offender
// outside the set, votes that do not conflict or are not in canonical
// order, PRE-PREPAREs that do not conflict, a claim index out of range, a
// false-verdict vote that is not a PREPARE or COMMIT or is not for the block
// it carries; (kBadSignature) a signature that does not verify.
Result<void> verify_evidence(const Hash256& chain_id, const ValidatorSet& validators,
                             const Evidence& evidence);

}  // namespace aethel::consensus
