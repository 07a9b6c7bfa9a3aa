// Steps (a) and (d): a block's reward waits in the PendingRewardRecord until
// the next block carries the block's agreed commit certificate, whose
// signers are paid. Different nodes receive different commit certificates
// for one block, so the certificate that decides rewards must itself be
// agreed: it is the one the next proposer put in its payload.
#include <string>
#include <vector>

#include "core/try.h"
#include "ledger/execution_steps.h"

namespace aethel::ledger {
namespace {

Result<void> check_parent_commit(const BlockRun& run, const consensus::CertificatePtr& commit) {
  const Height parent(run.context.height.value() - 1);
  if (commit == nullptr) {
    return refuse("payload of height " + to_string(run.context.height) +
                  " lacks the commit certificate of height " + to_string(parent));
  }
  if (commit->phase != consensus::VotePhase::kCommit) {
    return refuse(std::string("parent_commit is a ") + consensus::vote_phase_name(commit->phase) +
                  " certificate, not a commit certificate");
  }
  if (commit->height != parent) {
    return refuse("parent_commit is for height " + to_string(commit->height) +
                  ", not the parent height " + to_string(parent));
  }
  if (commit->digest != run.context.parent_digest) {
    return refuse("parent_commit is for block " + commit->digest.hex() + ", not the parent " +
                  run.context.parent_digest.hex());
  }
  if (auto structure = consensus::check_certificate_structure(run.validators, *commit);
      !structure) {
    return refuse("parent_commit: " + structure.error().message);
  }
  if (!run.checker.verify_certificate(run.validators, run.params.chain_id, commit)) {
    return fail(ErrorCode::kBadSignature, "parent_commit: a signature does not verify");
  }
  return {};
}

Result<state::PendingRewardRecord> parent_pending_reward(const BlockRun& run) {
  std::optional<state::PendingRewardRecord> pending;
  AETHEL_TRY_ASSIGN(pending, run.working.pending_reward());
  const Height parent(run.context.height.value() - 1);
  if (!pending || pending->height != parent) {
    return fail(ErrorCode::kInvalidArgument, "the state holds no pending reward of height " +
                                                 to_string(parent) +
                                                 " (blocks must execute in height order)");
  }
  return *pending;
}

Result<state::ValidatorRecord> validator_record_of(const BlockRun& run, ValidatorIndex index) {
  const crypto::PublicKey& key = run.validators.at(index).public_key;
  std::optional<state::ValidatorRecord> record;
  AETHEL_TRY_ASSIGN(record, run.working.validator(key));
  if (!record) {
    return fail(ErrorCode::kCorrupt,
                "validator " + to_string(index) + " of the set has no validator record");
  }
  return *record;
}

Result<void> credit_share(BlockRun& run, const RewardShare& share, bool signed_commit) {
  const crypto::PublicKey& key = run.validators.at(share.validator).public_key;
  state::ValidatorRecord validator;
  AETHEL_TRY_ASSIGN(validator, validator_record_of(run, share.validator));
  const auto earned = validator.rewards_earned.checked_add(share.amount);
  state::AccountRecord account;
  AETHEL_TRY_ASSIGN(account, run.working.account_or_new(key));
  const auto balance = account.balance.checked_add(share.amount);
  if (!earned || !balance) {
    return fail(ErrorCode::kLimit, "reward of validator " + to_string(share.validator) +
                                       " overflows its balance or rewards earned");
  }
  validator.rewards_earned = *earned;
  if (signed_commit) push_accuracy(validator.accuracy, true);
  run.working.put(validator);
  if (share.amount.value() != 0) {
    account.balance = *balance;
    run.working.put(account);
  }
  return {};
}

// The certificate's signers with their voting power: the consensus set's
// stake, which is what made the block final.
std::vector<Signer> signers_of(const BlockRun& run, const consensus::Certificate& commit) {
  std::vector<Signer> signers;
  signers.reserve(commit.signatures.size());
  for (const consensus::CertificateSignature& entry : commit.signatures) {
    signers.push_back(Signer{entry.signer, run.validators.at(entry.signer).stake});
  }
  return signers;
}

}  // namespace

void push_accuracy(state::AccuracyWindow& window, bool agreed) noexcept {
  window.outcomes = (window.outcomes << 1) | (agreed ? 1u : 0u);
  if (window.count < 64) {
    ++window.count;
  }
}

Result<void> pay_parent_reward(BlockRun& run, const consensus::CertificatePtr& parent_commit) {
  if (run.context.height == Height(1)) {
    if (parent_commit != nullptr) return refuse("payload of height 1 carries a parent_commit");
    return {};
  }
  AETHEL_TRY(check_parent_commit(run, parent_commit));
  state::PendingRewardRecord pending;
  AETHEL_TRY_ASSIGN(pending, parent_pending_reward(run));
  const auto proposer = run.validators.index_of(pending.proposer);
  if (!proposer) return fail(ErrorCode::kCorrupt, "the parent's proposer is not a validator");
  state::SupplyRecord supply;
  AETHEL_TRY_ASSIGN(supply, run.committed.supply());
  const TokenAmount emission =
      block_emission(run.params.emission, run.params.reward, pending.height, supply.emitted,
                     pending.total_difficulty);
  const auto total = emission.checked_add(pending.fees);
  if (!total) return fail(ErrorCode::kLimit, "parent reward overflows 64 bits");

  const std::vector<Signer> signers = signers_of(run, *parent_commit);
  std::vector<RewardShare> shares;
  AETHEL_TRY_ASSIGN(
      shares, split_block_reward(*total, signers, *proposer, run.params.reward.proposer_bonus_bps));
  std::size_t next_signer = 0;
  for (const RewardShare& share : shares) {
    const bool signed_commit =
        next_signer < signers.size() && signers[next_signer].validator == share.validator;
    if (signed_commit) ++next_signer;
    AETHEL_TRY(credit_share(run, share, signed_commit));
  }
  run.plan.transition.emitted = emission;
  run.plan.parent_emission = emission;
  run.plan.parent_fees = pending.fees;
  run.plan.rewards = std::move(shares);
  return {};
}

Result<void> store_pending_reward(BlockRun& run) {
  const crypto::PublicKey& proposer = run.validators.at(run.context.proposer).public_key;
  run.working.put(state::PendingRewardRecord{run.context.height, proposer,
                                             run.plan.total_difficulty, run.plan.fees});
  return {};
}

}  // namespace aethel::ledger
