#include "consensus/evidence.h"

#include <array>
#include <string>

#include "core/assert.h"
#include "core/try.h"

namespace aethel::consensus {
namespace {

constexpr std::uint8_t kEvidenceFormatVersion = 1;
constexpr std::uint8_t kEquivocationTag = 1;
constexpr std::uint8_t kFalseClaimTag = 2;
constexpr std::uint8_t kConflictingPrePrepareTag = 3;

bool votes_conflict(const Vote& a, const Vote& b) {
  return a.voter == b.voter && a.phase == b.phase && a.view == b.view && a.height == b.height &&
         a.digest != b.digest;
}

bool pre_prepares_conflict(const PrePrepare& a, const PrePrepare& b) {
  return a.block != nullptr && b.block != nullptr && a.leader == b.leader && a.view == b.view &&
         a.block->height == b.block->height && block_digest(*a.block) != block_digest(*b.block);
}

Result<void> verify_pre_prepare_signature(const Hash256& chain_id, const ValidatorSet& validators,
                                          const PrePrepare& pre_prepare) {
  const Bytes message = pre_prepare_signing_bytes(
      chain_id, pre_prepare.view, pre_prepare.block->height, block_digest(*pre_prepare.block));
  const auto verified =
      crypto::verify(validators.at(pre_prepare.leader).public_key,
                     crypto::SigningDomain::kConsensusPrePrepare, message, pre_prepare.signature);
  if (!verified) {
    return fail(ErrorCode::kBadSignature, "evidence: PRE-PREPARE signature does not verify");
  }
  return {};
}

Result<void> verify_conflicting_pre_prepares(const Hash256& chain_id,
                                             const ValidatorSet& validators,
                                             const ConflictingPrePrepareEvidence& evidence) {
  if (evidence.first.block == nullptr || evidence.second.block == nullptr ||
      !validators.contains(evidence.first.leader)) {
    return fail(ErrorCode::kInvalidArgument, "evidence: leader is not a validator");
  }
  if (!pre_prepares_conflict(evidence.first, evidence.second)) {
    return fail(ErrorCode::kInvalidArgument,
                "evidence: the two PRE-PREPAREs do not conflict (leader, view and height must "
                "match and blocks differ)");
  }
  if (!(block_digest(*evidence.first.block) < block_digest(*evidence.second.block))) {
    return fail(ErrorCode::kNonCanonical, "evidence: PRE-PREPAREs are not ordered by digest");
  }
  AETHEL_TRY(verify_pre_prepare_signature(chain_id, validators, evidence.first));
  return verify_pre_prepare_signature(chain_id, validators, evidence.second);
}

Result<void> verify_vote_signature(const Hash256& chain_id, const ValidatorSet& validators,
                                   const Vote& vote) {
  const Bytes message =
      vote_signing_bytes(chain_id, vote.phase, vote.view, vote.height, vote.digest);
  const auto verified = crypto::verify(validators.at(vote.voter).public_key,
                                       signing_domain_of(vote.phase), message, vote.signature);
  if (!verified) {
    return fail(ErrorCode::kBadSignature, "evidence: vote signature of validator " +
                                              std::to_string(vote.voter.value()) +
                                              " does not verify");
  }
  return {};
}

Result<void> verify_equivocation(const Hash256& chain_id, const ValidatorSet& validators,
                                 const EquivocationEvidence& evidence) {
  if (!validators.contains(evidence.first.voter)) {
    return fail(ErrorCode::kInvalidArgument, "evidence: voter is not a validator");
  }
  if (!votes_conflict(evidence.first, evidence.second)) {
    return fail(ErrorCode::kInvalidArgument,
                "evidence: the two votes do not conflict (voter, phase, view and height must "
                "match and digests differ)");
  }
  if (!(evidence.first.digest < evidence.second.digest)) {
    return fail(ErrorCode::kNonCanonical, "evidence: votes are not ordered by digest");
  }
  AETHEL_TRY(verify_vote_signature(chain_id, validators, evidence.first));
  return verify_vote_signature(chain_id, validators, evidence.second);
}

Result<void> verify_false_claim(const Hash256& chain_id, const ValidatorSet& validators,
                                const FalseClaimEvidence& evidence) {
  const PrePrepare& pre_prepare = evidence.pre_prepare;
  if (pre_prepare.block == nullptr || !validators.contains(pre_prepare.leader)) {
    return fail(ErrorCode::kInvalidArgument, "evidence: leader is not a validator");
  }
  if (evidence.claim_index >= pre_prepare.block->claims.size()) {
    return fail(ErrorCode::kInvalidArgument,
                "evidence: claim index " + std::to_string(evidence.claim_index) +
                    " outside a block of " + std::to_string(pre_prepare.block->claims.size()) +
                    " claims");
  }
  return verify_pre_prepare_signature(chain_id, validators, pre_prepare);
}

}  // namespace

ValidatorIndex offender(const Evidence& evidence) noexcept {
  if (const auto* equivocation = std::get_if<EquivocationEvidence>(&evidence)) {
    return equivocation->first.voter;
  }
  if (const auto* conflict = std::get_if<ConflictingPrePrepareEvidence>(&evidence)) {
    return conflict->first.leader;
  }
  return std::get<FalseClaimEvidence>(evidence).pre_prepare.leader;
}

EquivocationEvidence make_equivocation_evidence(Vote a, Vote b) {
  AETHEL_ASSERT_MSG(votes_conflict(a, b), "equivocation evidence needs conflicting votes");
  if (b.digest < a.digest) std::swap(a, b);
  return EquivocationEvidence{a, b};
}

ConflictingPrePrepareEvidence make_conflicting_pre_prepare_evidence(PrePrepare a, PrePrepare b) {
  AETHEL_ASSERT_MSG(pre_prepares_conflict(a, b),
                    "conflicting-proposal evidence needs conflicting PRE-PREPAREs");
  if (block_digest(*b.block) < block_digest(*a.block)) std::swap(a, b);
  return ConflictingPrePrepareEvidence{std::move(a), std::move(b)};
}

Bytes encode_evidence(const Evidence& evidence) {
  Encoder encoder;
  if (const auto* equivocation = std::get_if<EquivocationEvidence>(&evidence)) {
    encoder.put_envelope({kEvidenceFormatVersion, kEquivocationTag});
    encode_vote(encoder, equivocation->first);
    encode_vote(encoder, equivocation->second);
  } else if (const auto* conflict = std::get_if<ConflictingPrePrepareEvidence>(&evidence)) {
    encoder.put_envelope({kEvidenceFormatVersion, kConflictingPrePrepareTag});
    encode_pre_prepare(encoder, conflict->first);
    encode_pre_prepare(encoder, conflict->second);
  } else {
    const auto& false_claim = std::get<FalseClaimEvidence>(evidence);
    encoder.put_envelope({kEvidenceFormatVersion, kFalseClaimTag});
    encode_pre_prepare(encoder, false_claim.pre_prepare);
    encoder.put_u32(false_claim.claim_index);
  }
  return std::move(encoder).take();
}

Result<Evidence> decode_evidence(ByteView bytes, const DecodeLimits& limits) {
  return decode_whole(bytes, [&](Decoder& decoder) -> Result<Evidence> {
    constexpr std::array<std::uint8_t, 1> kVersions = {kEvidenceFormatVersion};
    constexpr std::array<std::uint8_t, 3> kTags = {kEquivocationTag, kFalseClaimTag,
                                                   kConflictingPrePrepareTag};
    EnvelopeHeader header;
    AETHEL_TRY_ASSIGN(header, decoder.read_envelope(kVersions, kTags));
    if (header.type_tag == kEquivocationTag) {
      EquivocationEvidence evidence;
      AETHEL_TRY_ASSIGN(evidence.first, decode_vote(decoder));
      AETHEL_TRY_ASSIGN(evidence.second, decode_vote(decoder));
      return Evidence(evidence);
    }
    if (header.type_tag == kConflictingPrePrepareTag) {
      ConflictingPrePrepareEvidence evidence;
      AETHEL_TRY_ASSIGN(evidence.first, decode_pre_prepare(decoder, limits));
      AETHEL_TRY_ASSIGN(evidence.second, decode_pre_prepare(decoder, limits));
      return Evidence(std::move(evidence));
    }
    FalseClaimEvidence evidence;
    AETHEL_TRY_ASSIGN(evidence.pre_prepare, decode_pre_prepare(decoder, limits));
    AETHEL_TRY_ASSIGN(evidence.claim_index, decoder.read_u32("evidence.claim_index"));
    return Evidence(std::move(evidence));
  });
}

Result<void> verify_evidence(const Hash256& chain_id, const ValidatorSet& validators,
                             const Evidence& evidence) {
  if (const auto* equivocation = std::get_if<EquivocationEvidence>(&evidence)) {
    return verify_equivocation(chain_id, validators, *equivocation);
  }
  if (const auto* conflict = std::get_if<ConflictingPrePrepareEvidence>(&evidence)) {
    return verify_conflicting_pre_prepares(chain_id, validators, *conflict);
  }
  return verify_false_claim(chain_id, validators, std::get<FalseClaimEvidence>(evidence));
}

}  // namespace aethel::consensus
