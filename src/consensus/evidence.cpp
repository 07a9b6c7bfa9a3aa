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
constexpr std::uint8_t kFalseVerdictVoteTag = 4;

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

Result<void> verify_false_verdict_vote(const Hash256& chain_id, const ValidatorSet& validators,
                                       const FalseVerdictVoteEvidence& evidence) {
  const Vote& vote = evidence.vote;
  if (!validators.contains(vote.voter)) {
    return fail(ErrorCode::kInvalidArgument, "evidence: voter is not a validator");
  }
  if (vote.phase != VotePhase::kPrepare && vote.phase != VotePhase::kCommit) {
    return fail(ErrorCode::kInvalidArgument,
                std::string("evidence: a false-verdict vote must be a PREPARE or COMMIT, not a ") +
                    vote_phase_name(vote.phase));
  }
  if (vote.height != evidence.block.height || vote.digest != block_digest(evidence.block)) {
    return fail(ErrorCode::kInvalidArgument,
                "evidence: the vote is not for the block the evidence carries");
  }
  if (evidence.claim_index >= evidence.block.claims.size()) {
    return fail(ErrorCode::kInvalidArgument,
                "evidence: claim index " + std::to_string(evidence.claim_index) +
                    " outside a block of " + std::to_string(evidence.block.claims.size()) +
                    " claims");
  }
  return verify_vote_signature(chain_id, validators, vote);
}

}  // namespace

ValidatorIndex offender(const Evidence& evidence) noexcept {
  if (const auto* equivocation = std::get_if<EquivocationEvidence>(&evidence)) {
    return equivocation->first.voter;
  }
  if (const auto* conflict = std::get_if<ConflictingPrePrepareEvidence>(&evidence)) {
    return conflict->first.leader;
  }
  if (const auto* vote = std::get_if<FalseVerdictVoteEvidence>(&evidence)) {
    return vote->vote.voter;
  }
  return std::get<FalseClaimEvidence>(evidence).pre_prepare.leader;
}

const char* evidence_kind_name(const Evidence& evidence) noexcept {
  struct Name {
    const char* operator()(const EquivocationEvidence&) const { return "equivocation"; }
    const char* operator()(const FalseClaimEvidence&) const { return "false-claim"; }
    const char* operator()(const ConflictingPrePrepareEvidence&) const {
      return "conflicting-pre-prepare";
    }
    const char* operator()(const FalseVerdictVoteEvidence&) const { return "false-verdict-vote"; }
  };
  return std::visit(Name{}, evidence);
}

std::optional<AccusedClaim> accused_claim(const Evidence& evidence) noexcept {
  if (const auto* claim = std::get_if<FalseClaimEvidence>(&evidence)) {
    if (claim->pre_prepare.block == nullptr) return std::nullopt;
    return AccusedClaim{claim->pre_prepare.block.get(), claim->claim_index};
  }
  if (const auto* vote = std::get_if<FalseVerdictVoteEvidence>(&evidence)) {
    return AccusedClaim{&vote->block, vote->claim_index};
  }
  return std::nullopt;
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
  } else if (const auto* vote = std::get_if<FalseVerdictVoteEvidence>(&evidence)) {
    encoder.put_envelope({kEvidenceFormatVersion, kFalseVerdictVoteTag});
    encode_vote(encoder, vote->vote);
    encode_block(encoder, vote->block);
    encoder.put_u32(vote->claim_index);
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
    constexpr std::array<std::uint8_t, 4> kTags = {kEquivocationTag, kFalseClaimTag,
                                                   kConflictingPrePrepareTag, kFalseVerdictVoteTag};
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
    if (header.type_tag == kFalseVerdictVoteTag) {
      FalseVerdictVoteEvidence evidence;
      AETHEL_TRY_ASSIGN(evidence.vote, decode_vote(decoder));
      AETHEL_TRY_ASSIGN(evidence.block, decode_block(decoder, limits.max_claims));
      AETHEL_TRY_ASSIGN(evidence.claim_index, decoder.read_u32("evidence.claim_index"));
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
  if (const auto* vote = std::get_if<FalseVerdictVoteEvidence>(&evidence)) {
    return verify_false_verdict_vote(chain_id, validators, *vote);
  }
  return verify_false_claim(chain_id, validators, std::get<FalseClaimEvidence>(evidence));
}

}  // namespace aethel::consensus
