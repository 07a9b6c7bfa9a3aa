#include "ledger/application.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>


namespace aethel::ledger {
namespace {

// The first claim of `claimed` that names the same proof as the judge's
// claim at its index but another verdict or difficulty.
std::optional<std::uint32_t> first_false_claim(const std::vector<consensus::Claim>& claimed,
                                               const std::vector<consensus::Claim>& judged) {
  const std::size_t common = std::min(claimed.size(), judged.size());
  for (std::size_t i = 0; i < common; ++i) {
    if (claimed[i].proof_id == judged[i].proof_id && claimed[i] != judged[i]) {
      return static_cast<std::uint32_t>(i);
    }
  }
  return std::nullopt;
}

}  // namespace

void MemoryPayloadStore::put(const Hash256& digest, PayloadPtr payload) {
  AETHEL_ASSERT(payload != nullptr);
  payloads_.try_emplace(digest, std::move(payload));
}

PayloadPtr MemoryPayloadStore::find(const Hash256& digest) const {
  const auto found = payloads_.find(digest);
  return found == payloads_.end() ? nullptr : found->second;
}

LedgerApplication::LedgerApplication(LedgerApplicationConfig config, state::LedgerState& state,
                                     PayloadStore& payloads, Height executed, Hash256 tip_digest,
                                     consensus::CertificatePtr parent_commit)
    : config_(std::move(config)),
      state_(state),
      payloads_(payloads),
      verifier_(config_.params.judge_limits, config_.verifier_workers,
                config_.verifier_cache_entries),
      mempool_(config_.mempool),
      admission_(AdmissionConfig{.chain_id = config_.params.chain_id,
                                 .max_transaction_bytes = kMaxTransactionBytes,
                                 .validators = config_.validators,
                                 .evidence_max_age = config_.params.evidence_max_age,
                                 .consensus_stake_unit = config_.params.consensus_stake_unit},
                 state_, verifier_, mempool_),
      executor_(config_.params, config_.validators, state_, config_.checker),
      executed_(executed),
      tip_digest_(tip_digest),
      parent_commit_(std::move(parent_commit)) {
  AETHEL_ASSERT(config_.validators != nullptr);
  AETHEL_ASSERT(config_.validators->contains(config_.self));
  admission_.chain_reached(executed_);
}

AdmissionOutcome LedgerApplication::submit(ByteView encoded_transaction) {
  return admission_.admit(encoded_transaction);
}

std::vector<AdmissionOutcome> LedgerApplication::submit_batch(
    std::span<const ByteView> encoded_transactions) {
  return admission_.admit_batch(encoded_transactions);
}

Nonce LedgerApplication::next_nonce(const crypto::PublicKey& sender) const {
  auto account = state_.account(sender);
  if (!account || !account->has_value()) return Nonce(0);
  return (*account)->nonce;
}

LedgerApplication::Judged LedgerApplication::judge_programs(
    const BlockPayload& payload, std::optional<WorkUnits> work_ceiling) {
  Judged judged;
  const std::vector<const SubmitProof*> programs = programs_of(payload);
  const auto outcomes = verifier_.verify(programs, work_ceiling);
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (!outcomes[i]) {
      judged.invalid =
          "program " + std::to_string(i) + " is refused: " + outcomes[i].error().message;
      return judged;
    }
    const ProofCheck& check = *outcomes[i];
    if (!check.conclusive) {
      judged.undecided =
          "program " + std::to_string(i) + " was stopped by this machine's time guard";
      return judged;
    }
    judged.proofs.insert_or_assign(
        check.proof_id, VerifiedProof{check.proof_id, check.verdict, check.work, check.difficulty});
  }
  return judged;
}

LedgerApplication::Judged LedgerApplication::judged_payload(
    const Hash256& digest, const BlockPayload& payload, Height height,
    std::optional<WorkUnits> work_ceiling) {
  if (const auto kept = verified_payloads_.find(digest); kept != verified_payloads_.end()) {
    return Judged{kept->second.proofs, std::nullopt, std::nullopt};
  }
  Judged judged = judge_programs(payload, work_ceiling);
  if (!judged.invalid && !judged.undecided) keep_verified(digest, height, judged.proofs);
  return judged;
}

// Outcomes are kept per payload until its height is executed, so that a
// block verified before it became final is not judged again at delivery
// whatever the verifier's cache has evicted meanwhile.
void LedgerApplication::keep_verified(const Hash256& digest, Height height,
                                      const VerifiedProofs& proofs) {
  if (verified_payloads_.contains(digest)) return;
  if (verified_payloads_.size() > config_.max_held_verifications) {
    // Full: the lowest height goes first (it is the next to execute or stale).
    verified_payloads_.erase(std::min_element(
        verified_payloads_.begin(), verified_payloads_.end(),
        [](const auto& a, const auto& b) { return a.second.height < b.second.height; }));
  }
  verified_payloads_.emplace(digest, KeptOutcomes{height, proofs});
}

void LedgerApplication::forget_verified_up_to(Height height) {
  std::erase_if(verified_payloads_,
                [height](const auto& kept) { return kept.second.height <= height; });
}

// The plan of a block verified on the executed tip is what delivering it
// executes, unless the state moved since (then it is planned again).
void LedgerApplication::keep_plan(const Hash256& block_digest, BlockPlan plan) {
  std::erase_if(planned_blocks_, [&](const auto& kept) { return kept.first == block_digest; });
  if (planned_blocks_.size() >= kPlansKept) planned_blocks_.erase(planned_blocks_.begin());
  planned_blocks_.emplace_back(block_digest, std::move(plan));
}

Result<BlockPlan> LedgerApplication::kept_plan(const Hash256& block_digest) {
  const auto found = std::find_if(planned_blocks_.begin(), planned_blocks_.end(),
                                  [&](const auto& kept) { return kept.first == block_digest; });
  if (found == planned_blocks_.end() ||
      found->second.base_version != state_.tree().latest_version()) {
    return fail(ErrorCode::kNotFound, "no current plan kept for block " + block_digest.hex());
  }
  BlockPlan plan = std::move(found->second);
  planned_blocks_.clear();
  return plan;
}

// Whether a committed block already used what `entry` would use up (its
// proof registered, its offence acted on): then it can never execute. An
// unreadable state says nothing either way (nullopt).
std::optional<bool> LedgerApplication::used_up(const PendingTransaction& entry) const {
  if (!entry.single_use_key) return false;
  if (std::holds_alternative<SubmitProof>(entry.transaction.payload)) {
    const auto registered = state_.read(state::proof_entry_key(*entry.single_use_key));
    if (!registered) return std::nullopt;
    return registered->has_value();
  }
  const auto seen = state_.evidence_seen(*entry.single_use_key);
  if (!seen) return std::nullopt;
  return *seen;
}

// The mempool's selection, less what would make the block invalid however it
// is cut: a single-use key already used (such a transaction is dropped from
// the mempool) or taken twice, and work beyond the block's limit. A sender's
// transactions after one left out are left out too (their nonces would not
// follow).
std::vector<PendingTransaction> LedgerApplication::select_transactions() {
  const auto lookup = [this](const crypto::PublicKey& sender) { return next_nonce(sender); };
  const std::vector<PendingTransaction> pending = mempool_.select(
      config_.params.max_block_transactions, config_.params.max_block_bytes / 2, lookup);
  std::set<Hash256> keys_taken;
  std::set<crypto::PublicKey> senders_cut;
  std::vector<PendingTransaction> chosen;
  WorkUnits work;
  for (const PendingTransaction& entry : pending) {
    const Transaction& transaction = entry.transaction;
    if (senders_cut.contains(transaction.sender.key)) continue;
    const std::optional<bool> used = used_up(entry);
    if (used == true) mempool_.drop(entry.id);
    bool keep = used == false;
    if (keep && entry.single_use_key) keep = keys_taken.insert(*entry.single_use_key).second;
    const auto work_after = work.checked_add(entry.work);
    if (keep && (!work_after || *work_after > config_.params.max_block_work)) keep = false;
    if (!keep) {
      senders_cut.insert(transaction.sender.key);
      continue;
    }
    work = *work_after;
    chosen.push_back(entry);
  }
  return chosen;
}

// The conclusive outcomes this node has for `programs` (mostly from the
// cache: admission judged them).
VerifiedProofs LedgerApplication::conclusive_outcomes(
    std::span<const SubmitProof* const> programs) {
  VerifiedProofs proofs;
  const auto outcomes = verifier_.verify(programs);
  for (const auto& outcome : outcomes) {
    if (!outcome || !outcome->conclusive) continue;
    proofs.insert_or_assign(outcome->proof_id,
                            VerifiedProof{outcome->proof_id, outcome->verdict, outcome->work,
                                          outcome->difficulty});
  }
  return proofs;
}

Result<BlockPlan> LedgerApplication::plan_proposal(const consensus::RequestProposal& request,
                                                   const BlockPayload& payload,
                                                   const VerifiedProofs& proofs,
                                                   std::vector<consensus::Claim>& claims) const {
  auto derived = claims_of(payload, proofs);
  if (!derived) return unexpected<Error>(derived.error());
  claims = std::move(*derived);
  BlockContext context;
  context.height = request.height;
  context.parent_digest = request.parent_digest;
  context.proposer = config_.self;
  context.claims = claims;
  context.payload_digest = payload_digest(payload);
  return executor_.plan(context, payload, proofs);
}

Result<consensus::ProposalReady> LedgerApplication::propose(
    const consensus::RequestProposal& request, std::uint64_t now_ms) {
  if (request.height != executed_.next() || request.parent_digest != tip_digest_) {
    return fail(ErrorCode::kInvalidArgument,
                "proposal requested for height " + to_string(request.height) +
                    " on a parent that is not the executed tip (height " + to_string(executed_) +
                    ")");
  }
  auto payload = std::make_shared<BlockPayload>();
  payload->parent_commit = parent_commit_;
  const std::vector<PendingTransaction> candidates = select_transactions();
  payload->transactions.reserve(candidates.size());
  for (const PendingTransaction& entry : candidates) {
    payload->transactions.push_back(entry.transaction);
  }
  const VerifiedProofs proofs = conclusive_outcomes(programs_of(*payload));
  // One pass over the candidates on the committed state: a transaction the
  // executor refuses (a spend the balance no longer covers, evidence too
  // old, an unstake of stake the consensus set counts) is left out with its
  // sender's later ones and dropped from the mempool, where it could never
  // execute; its sender may send another with its nonce.
  const BlockContext context{request.height, request.parent_digest, config_.self, {}, {}};
  auto selection =
      executor_.select_executable(context, parent_commit_, payload->transactions, proofs);
  if (!selection) return unexpected<Error>(selection.error());
  for (const auto& [index, why] : selection->refused) {
    if (mempool_.drop(candidates[index].id)) ++counters_.proposal_dropped;
  }
  std::vector<Transaction> executable;
  executable.reserve(selection->executed.size());
  for (const std::size_t index : selection->executed) {
    executable.push_back(std::move(payload->transactions[index]));
  }
  payload->transactions = std::move(executable);
  std::vector<consensus::Claim> claims;
  if (!plan_proposal(request, *payload, proofs, claims)) {
    // The selection executed, so this is not expected; an empty block keeps
    // the height going.
    ++counters_.proposals_emptied;
    payload->transactions.clear();
    auto empty = plan_proposal(request, *payload, proofs, claims);
    if (!empty) return unexpected<Error>(empty.error());
  }
  const Hash256 digest = payload_digest(*payload);
  keep_verified(digest, request.height, proofs);
  ++counters_.proposals;
  counters_.proposal_transactions += payload->transactions.size();
  payloads_.put(digest, std::move(payload));
  consensus::ProposalReady ready;
  ready.height = request.height;
  ready.claims = std::move(claims);
  ready.payload_digest = digest;
  ready.timestamp_ms = now_ms;
  return ready;
}

std::optional<consensus::BlockVerified> LedgerApplication::verify(
    const consensus::BlockPtr& block) {
  AETHEL_ASSERT(block != nullptr);
  if (block->height > executed_.next()) {
    if (held_.size() >= config_.max_held_verifications) {
      // Full for now: the replica asks again once this node has caught up.
      ++counters_.verified_undecided;
      return consensus::BlockVerified::undecided_here(
          consensus::block_digest(*block), "block " + to_string(block->height) +
                                               " is too far ahead of height " +
                                               to_string(executed_) + " to hold");
    }
    ++counters_.held;
    held_.push_back(block);
    return std::nullopt;
  }
  return verify_now(*block);
}

consensus::BlockVerified LedgerApplication::verify_now(const consensus::Block& block) {
  const Hash256 digest = consensus::block_digest(block);
  auto refuse = [&](std::string reason) {
    ++counters_.verified_refused;
    return consensus::BlockVerified::invalid(digest, std::move(reason));
  };
  // Reasons of this node's own (a payload not yet here, its time guard):
  // no vote now, and the replica asks again later.
  auto undecided = [&](std::string reason) {
    ++counters_.verified_undecided;
    return consensus::BlockVerified::undecided_here(digest, std::move(reason));
  };
  if (block.height != executed_.next()) {
    return refuse("block " + to_string(block.height) + " is at or below the executed height " +
                  to_string(executed_));
  }
  if (block.parent_digest != tip_digest_) return refuse("parent is not the executed block");
  const PayloadPtr payload = payloads_.find(block.payload_digest);
  if (!payload) return undecided("payload " + block.payload_digest.hex() + " is not available");
  // Judging stops once the block's work passes its limit: a Byzantine
  // leader's block costs at most that, plus the programs in hand.
  const Judged judged = judged_payload(block.payload_digest, *payload, block.height,
                                       config_.params.max_block_work);
  if (judged.invalid) return refuse(*judged.invalid);
  if (judged.undecided) return undecided(*judged.undecided);
  auto expected = claims_of(*payload, judged.proofs);
  if (!expected) return refuse(expected.error().message);
  if (const auto index = first_false_claim(block.claims, *expected)) {
    ++counters_.verified_false_claim;
    return consensus::BlockVerified::false_claim(
        digest, *index, "claim " + std::to_string(*index) + " contradicts the judge's outcome");
  }
  auto plan = executor_.plan(context_of(block), *payload, judged.proofs);
  if (!plan) return refuse(plan.error().message);
  keep_plan(digest, std::move(*plan));
  ++counters_.verified_ok;
  return consensus::BlockVerified::valid(digest);
}

Result<Delivered> LedgerApplication::deliver(const consensus::DeliverBlock& deliver) {
  AETHEL_ASSERT(deliver.block != nullptr && deliver.commit_certificate != nullptr);
  const consensus::Block& block = *deliver.block;
  if (block.height != executed_.next() || block.parent_digest != tip_digest_) {
    return fail(ErrorCode::kInvalidArgument, "block " + to_string(block.height) +
                                                 " does not follow the executed height " +
                                                 to_string(executed_));
  }
  const PayloadPtr payload = payloads_.find(block.payload_digest);
  if (!payload) {
    return fail(ErrorCode::kNotFound,
                "payload of final block " + to_string(block.height) + " is not available");
  }
  // The plan made when the block was verified on this tip needs no judging.
  auto plan = kept_plan(consensus::block_digest(block));
  if (!plan) {
    ++counters_.delivered_planned_again;
    if (!verified_payloads_.contains(block.payload_digest)) ++counters_.delivered_judged_again;
    const Judged judged =
        judged_payload(block.payload_digest, *payload, block.height, std::nullopt);
    if (judged.invalid) return fail(ErrorCode::kInvalidArgument, *judged.invalid);
    if (judged.undecided) return fail(ErrorCode::kLimit, *judged.undecided);
    plan = executor_.plan(context_of(block), *payload, judged.proofs);
  }
  if (!plan) return unexpected<Error>(plan.error());
  Delivered delivered;
  delivered.transactions = payload->transactions.size();
  delivered.proofs_registered = plan->proofs_registered;
  for (const RewardShare& share : plan->rewards) delivered.rewards_paid += share.amount;
  delivered.slashings = plan->slashings;
  auto version = executor_.apply(std::move(*plan));
  if (!version) return unexpected<Error>(version.error());

  executed_ = block.height;
  admission_.chain_reached(executed_);
  tip_digest_ = consensus::block_digest(block);
  parent_commit_ = deliver.commit_certificate;
  ++counters_.delivered;
  forget_verified_up_to(executed_);
  planned_blocks_.clear();
  std::vector<TransactionId> included;
  std::vector<Hash256> used_keys;
  included.reserve(payload->transactions.size());
  for (const Transaction& transaction : payload->transactions) {
    included.push_back(transaction_id(config_.params.chain_id, transaction));
    if (const auto* proof = std::get_if<SubmitProof>(&transaction.payload)) {
      used_keys.push_back(proof_id(*proof));
    }
  }
  for (const SlashingApplied& slashing : delivered.slashings) {
    used_keys.push_back(slashing.evidence_id);
  }
  mempool_.remove_committed(included, used_keys,
                            [this](const crypto::PublicKey& sender) { return next_nonce(sender); });
  delivered.executed = consensus::Executed{block.height, version->root()};

  // Held blocks whose parent height is now executed can be answered.
  std::vector<consensus::BlockPtr> still_held;
  for (auto& held : held_) {
    if (held->height > executed_.next()) {
      still_held.push_back(std::move(held));
    } else {
      delivered.verified.push_back(verify_now(*held));
    }
  }
  held_ = std::move(still_held);
  return delivered;
}

void LedgerApplication::forget_held() {
  held_.clear();
}

}  // namespace aethel::ledger
