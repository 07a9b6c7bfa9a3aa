// Evidence (part of step c): decode, verify against the validator set,
// check the accused claim against the verifier's outcome for the false-
// verdict kinds, then slash once and record the offence id (offence_id) so
// any later evidence of the same act is refused.
//
// Penalties: equivocation and conflicting PRE-PREPAREs prove signing twice
// (Offence::kEquivocation, 20%); a false claim and a vote for one prove a
// false verdict (Offence::kFalseVerdictVote, 5%), which also pushes an
// accuracy outcome of 0 for the offender. Slashing takes from the bonded
// stake first, then from the unbonding amount.
#include <algorithm>
#include <string>
#include <string_view>
#include <variant>

#include "consensus/evidence.h"
#include "core/assert.h"
#include "core/encoding.h"
#include "core/try.h"
#include "crypto/sha256.h"
#include "ledger/execution_steps.h"

namespace aethel::ledger {
namespace {

std::string claim_text(consensus::ClaimedVerdict verdict, Difficulty difficulty) {
  return std::string(consensus::claimed_verdict_name(verdict)) + " with difficulty " +
         to_string(difficulty);
}

// The accused claim must be false: the judge's verdict or difficulty for
// the program the evidence carries differs from what the claim says.
Result<void> check_claim_is_false(const consensus::AccusedClaim& accused,
                                  const SubmitEvidence& submission, const VerifiedProofs& proofs) {
  const consensus::Claim& claim = accused.block->claims[accused.claim_index];
  if (!submission.proof) return refuse("false-verdict evidence carries no proof program");
  if (proof_id(*submission.proof) != claim.proof_id) {
    return refuse("the evidence's proof program is not the accused proof " + claim.proof_id.hex());
  }
  const auto outcome = proofs.find(claim.proof_id);
  if (outcome == proofs.end()) {
    return fail(ErrorCode::kNotFound,
                "evidence proof " + claim.proof_id.hex() + " has no verified outcome");
  }
  const consensus::ClaimedVerdict judged = claimed_verdict_of(outcome->second.verdict);
  if (judged == claim.verdict && outcome->second.difficulty == claim.difficulty) {
    return refuse("the accused claim (" + claim_text(claim.verdict, claim.difficulty) +
                  ") is what verification gives: no offence");
  }
  return {};
}

// Takes the rule's share of stake plus unbonding, stake first.
TokenAmount slash(state::ValidatorRecord& validator, Offence offence) {
  const TokenAmount slashable(validator.stake.value() + validator.unbonding.value());
  const TokenAmount amount = slash_amount(offence, slashable);
  const Stake from_stake(std::min(amount.value(), validator.stake.value()));
  validator.stake -= from_stake;
  validator.unbonding -= Stake(amount.value() - from_stake.value());
  return amount;
}

// The height at which evidence of signing twice shows two signatures.
Height twice_signed_height(const consensus::Evidence& evidence) {
  if (const auto* votes = std::get_if<consensus::EquivocationEvidence>(&evidence)) {
    return votes->first.height;
  }
  const auto* proposals = std::get_if<consensus::ConflictingPrePrepareEvidence>(&evidence);
  AETHEL_ASSERT_MSG(proposals != nullptr, "a kind of evidence of signing twice");
  return proposals->first.block->height;
}

// Evidence is accepted for evidence_max_age blocks after the act, which the
// unbonding period outlasts: stake that left after the act is still there
// to slash.
Result<void> check_evidence_age(const BlockRun& run, Height act) {
  if (evidence_expired(act, run.context.height, run.params.evidence_max_age)) {
    return refuse("evidence of an act at height " + to_string(act) + " is too old at height " +
                  to_string(run.context.height) + " (accepted for " +
                  std::to_string(run.params.evidence_max_age) + " blocks)");
  }
  return {};
}

}  // namespace

Result<consensus::Evidence> decode_verified_evidence(const Hash256& chain_id,
                                                     const consensus::ValidatorSet& validators,
                                                     const SubmitEvidence& submission) {
  auto decoded = consensus::decode_evidence(submission.evidence);
  if (!decoded) return refuse("evidence does not decode: " + decoded.error().message);
  AETHEL_TRY(consensus::verify_evidence(chain_id, validators, *decoded));
  return std::move(*decoded);
}

Result<CheckedEvidence> check_verified_evidence(const consensus::ValidatorSet& validators,
                                                const consensus::Evidence& evidence,
                                                const SubmitEvidence& submission,
                                                const VerifiedProofs& proofs) {
  CheckedEvidence checked;
  if (const auto accused = consensus::accused_claim(evidence)) {
    AETHEL_TRY(check_claim_is_false(*accused, submission, proofs));
    checked.offence = Offence::kFalseVerdictVote;
  } else {
    if (submission.proof) return refuse("equivocation evidence carries a proof program");
    checked.offence = Offence::kEquivocation;
  }
  // verify_evidence checked the offender is in the set.
  checked.offender = validators.at(consensus::offender(evidence)).public_key;
  checked.offence_id = offence_id(evidence, checked.offender);
  checked.act_height = offence_height(evidence);
  return checked;
}

Result<CheckedEvidence> check_submitted_evidence(const Hash256& chain_id,
                                                 const consensus::ValidatorSet& validators,
                                                 const SubmitEvidence& submission,
                                                 const VerifiedProofs& proofs) {
  consensus::Evidence evidence;
  AETHEL_TRY_ASSIGN(evidence, decode_verified_evidence(chain_id, validators, submission));
  return check_verified_evidence(validators, evidence, submission, proofs);
}

bool evidence_expired(Height act, Height at, std::uint64_t max_age) noexcept {
  return at.value() - std::min(act.value(), at.value()) > max_age;
}

Height offence_height(const consensus::Evidence& evidence) {
  if (const auto accused = consensus::accused_claim(evidence)) return accused->block->height;
  return twice_signed_height(evidence);
}

Hash256 offence_id(const consensus::Evidence& evidence, const crypto::PublicKey& offender) {
  crypto::Sha256Hasher hasher;
  hasher.update(std::string_view("aethel-offence"));
  hasher.update(offender.view());
  Encoder encoder;
  if (const auto accused = consensus::accused_claim(evidence)) {
    encoder.put_u8(static_cast<std::uint8_t>(Offence::kFalseVerdictVote));
    hasher.update(encoder.bytes());
    hasher.update(consensus::block_digest(*accused->block).view());
  } else {
    encoder.put_u8(static_cast<std::uint8_t>(Offence::kEquivocation));
    encoder.put_u64(twice_signed_height(evidence).value());
    hasher.update(encoder.bytes());
  }
  return hasher.finish();
}

Result<void> apply_evidence(BlockRun& run, std::size_t index, const SubmitEvidence& submission) {
  CheckedEvidence checked;
  AETHEL_TRY_ASSIGN(checked, check_submitted_evidence(run.params.chain_id, run.validators,
                                                      submission, run.proofs));
  AETHEL_TRY(check_evidence_age(run, checked.act_height));
  const Hash256& id = checked.offence_id;
  const crypto::PublicKey& key = checked.offender;
  bool seen = false;
  AETHEL_TRY_ASSIGN(seen, run.working.contains(state::evidence_key(id)));
  if (seen) return refuse("offence " + id.hex() + " was already acted on");

  std::optional<state::ValidatorRecord> validator;
  AETHEL_TRY_ASSIGN(validator, run.working.validator(key));
  if (!validator) return fail(ErrorCode::kCorrupt, "offender " + key.hex() + " has no record");
  const TokenAmount amount = slash(*validator, checked.offence);
  if (checked.offence == Offence::kFalseVerdictVote) push_accuracy(validator->accuracy, false);
  const auto slashed = run.plan.transition.slashed.checked_add(amount);
  if (!slashed) return fail(ErrorCode::kLimit, "slashed amount overflows 64 bits");
  run.plan.transition.slashed = *slashed;
  run.working.put(*validator);
  run.working.put(state::EvidenceRecord{id, key, run.context.height});
  run.plan.slashings.push_back(
      SlashingApplied{static_cast<std::uint32_t>(index), id, key, checked.offence, amount});
  return {};
}

}  // namespace aethel::ledger
