#include "ledger/executor.h"

#include <set>
#include <string>

#include "core/assert.h"
#include "core/try.h"
#include "crypto/sha256.h"
#include "ledger/execution_steps.h"
#include "ledger/working_state.h"

namespace aethel::ledger {
namespace {

std::string claim_text(const consensus::Claim& claim) {
  return std::string(consensus::claimed_verdict_name(claim.verdict)) + " with difficulty " +
         to_string(claim.difficulty) + " for proof " + claim.proof_id.hex();
}

// The block's claims must be exactly those its payload implies.
Result<void> check_claims(const BlockRun& run, const BlockPayload& payload) {
  std::vector<consensus::Claim> implied;
  AETHEL_TRY_ASSIGN(implied, claims_of(payload, run.proofs));
  const auto& claimed = run.context.claims;
  if (claimed.size() != implied.size()) {
    return refuse("block claims " + std::to_string(claimed.size()) +
                  " proofs, but its payload submits " + std::to_string(implied.size()));
  }
  for (std::size_t i = 0; i < claimed.size(); ++i) {
    if (!(claimed[i] == implied[i])) {
      return refuse("claim " + std::to_string(i) + " says " + claim_text(claimed[i]) +
                    ", but verification gives " + claim_text(implied[i]));
    }
  }
  return {};
}

// The prover work the block asks of each validator: every distinct program
// it carries (a program carried twice is judged once).
Result<void> check_block_work(const BlockRun& run, const BlockPayload& payload) {
  const WorkUnits work = block_work(payload, run.proofs);
  if (work > run.params.max_block_work) {
    return fail(ErrorCode::kLimit, "programs of the block take " + to_string(work) +
                                       " work units to verify, above the limit of " +
                                       to_string(run.params.max_block_work));
  }
  return {};
}

// This node's failure (its state unreadable or corrupt), not the block's.
bool is_node_failure(ErrorCode code) noexcept {
  return code == ErrorCode::kIo || code == ErrorCode::kCorrupt || code == ErrorCode::kInternal ||
         code == ErrorCode::kCrypto || code == ErrorCode::kPermission;
}

// The figures step (c) changes in a plan, to undo a refused transaction.
struct PlanFigures {
  TokenAmount fees;
  Difficulty total_difficulty;
  std::size_t proofs_registered = 0;
  std::size_t slashings = 0;
  TokenAmount slashed;

  static PlanFigures of(const BlockPlan& plan) {
    return {plan.fees, plan.total_difficulty, plan.proofs_registered, plan.slashings.size(),
            plan.transition.slashed};
  }
  void restore(BlockPlan& plan) const {
    plan.fees = fees;
    plan.total_difficulty = total_difficulty;
    plan.proofs_registered = proofs_registered;
    plan.slashings.resize(slashings);
    plan.transition.slashed = slashed;
  }
};

}  // namespace

WorkUnits block_work(const BlockPayload& payload, const VerifiedProofs& proofs) {
  std::set<Hash256> counted;
  WorkUnits total;
  for (const SubmitProof* program : programs_of(payload)) {
    const Hash256 id = proof_id(*program);
    const auto outcome = proofs.find(id);
    if (outcome == proofs.end() || !counted.insert(id).second) continue;
    total = total.checked_add(outcome->second.work).value_or(WorkUnits::max());
  }
  return total;
}

Result<void> check_block_shape(const BlockRun& run, const BlockPayload& payload) {
  const BlockContext& context = run.context;
  if (context.height.value() == 0) return refuse("block height 0 is genesis, not a block");
  if (!run.validators.contains(context.proposer)) {
    return refuse("proposer " + to_string(context.proposer) + " is not a validator");
  }
  if (payload.transactions.size() > run.params.max_block_transactions) {
    return fail(ErrorCode::kLimit, "payload holds " + std::to_string(payload.transactions.size()) +
                                       " transactions, above the limit of " +
                                       std::to_string(run.params.max_block_transactions));
  }
  const Bytes encoded = encode_block_payload(payload);
  if (encoded.size() > run.params.max_block_bytes) {
    return fail(ErrorCode::kLimit, "payload of " + std::to_string(encoded.size()) +
                                       " bytes is above the limit of " +
                                       std::to_string(run.params.max_block_bytes));
  }
  const Hash256 digest = crypto::sha256(encoded);
  if (digest != context.payload_digest) {
    return refuse("payload digest " + digest.hex() + " is not the block's " +
                  context.payload_digest.hex());
  }
  AETHEL_TRY(check_claims(run, payload));
  return check_block_work(run, payload);
}

BlockContext context_of(const consensus::Block& block) {
  return BlockContext{block.height, block.parent_digest, block.proposer, block.claims,
                      block.payload_digest};
}

BlockExecutor::BlockExecutor(ChainParams params, consensus::ValidatorSetPtr validators,
                             state::LedgerState& state,
                             std::shared_ptr<consensus::SignatureChecker> checker)
    : params_(std::move(params)),
      validators_(std::move(validators)),
      state_(state),
      checker_(std::move(checker)) {
  AETHEL_ASSERT_MSG(params_.validate().has_value(), "block executor given invalid chain params");
  AETHEL_ASSERT_MSG(validators_ != nullptr, "block executor given no validator set");
  if (checker_ == nullptr) checker_ = std::make_shared<consensus::Ed25519SignatureChecker>();
}

Result<BlockPlan> BlockExecutor::plan(const BlockContext& context, const BlockPayload& payload,
                                      const VerifiedProofs& proofs) const {
  WorkingState working(state_);
  BlockPlan plan;
  plan.height = context.height;
  plan.base_version = state_.tree().latest_version();
  BlockRun run{params_, *validators_, *checker_, context, proofs, state_, working, plan};
  AETHEL_TRY(check_block_shape(run, payload));
  AETHEL_TRY(pay_parent_reward(run, payload.parent_commit));
  AETHEL_TRY(release_unbonding(run));
  for (std::size_t index = 0; index < payload.transactions.size(); ++index) {
    AETHEL_TRY(execute_transaction(run, index, payload.transactions[index]));
  }
  AETHEL_TRY(store_pending_reward(run));
  AETHEL_TRY(update_epoch_statuses(run));
  plan.transition.changes = working.changes();
  auto prepared = state_.prepare(plan.transition);
  if (!prepared) {
    return fail(prepared.error().code,
                "block " + to_string(plan.height) + ": " + prepared.error().message);
  }
  plan.prepared = std::move(*prepared);
  return plan;
}

Result<ExecutableSelection> BlockExecutor::select_executable(
    const BlockContext& context, const consensus::CertificatePtr& parent_commit,
    std::span<const Transaction> candidates, const VerifiedProofs& proofs) const {
  WorkingState working(state_);
  BlockPlan plan;
  plan.height = context.height;
  BlockRun run{params_, *validators_, *checker_, context, proofs, state_, working, plan};
  AETHEL_TRY(pay_parent_reward(run, parent_commit));
  AETHEL_TRY(release_unbonding(run));
  ExecutableSelection selection;
  std::set<crypto::PublicKey> senders_left_out;
  for (std::size_t index = 0; index < candidates.size(); ++index) {
    const Transaction& candidate = candidates[index];
    if (senders_left_out.contains(candidate.sender.key)) {
      selection.deferred.push_back(index);
      continue;
    }
    const PlanFigures before = PlanFigures::of(plan);
    working.begin_savepoint();
    auto executed = execute_transaction(run, selection.executed.size(), candidate);
    if (executed) {
      working.release();
      selection.executed.push_back(index);
      continue;
    }
    working.rollback();
    before.restore(plan);
    if (is_node_failure(executed.error().code)) return unexpected<Error>(executed.error());
    senders_left_out.insert(candidate.sender.key);
    if (executed.error().code == ErrorCode::kNotFound) {
      selection.deferred.push_back(index);
    } else {
      selection.refused.emplace_back(index, std::move(executed.error()));
    }
  }
  return selection;
}

Result<state::VersionInfo> BlockExecutor::apply(BlockPlan plan) {
  const state::Version latest = state_.tree().latest_version();
  if (plan.base_version != latest) {
    return refuse("the plan of height " + to_string(plan.height) + " was computed on version " +
                  std::to_string(plan.base_version) + ", but the state is at version " +
                  std::to_string(latest));
  }
  auto applied = state_.apply_prepared(std::move(plan.prepared));
  if (!applied) {
    return fail(applied.error().code,
                "block " + to_string(plan.height) + ": " + applied.error().message);
  }
  return applied;
}

Result<state::VersionInfo> BlockExecutor::execute(const BlockContext& context,
                                                  const BlockPayload& payload,
                                                  const VerifiedProofs& proofs) {
  BlockPlan planned;
  AETHEL_TRY_ASSIGN(planned, plan(context, payload, proofs));
  return apply(std::move(planned));
}

}  // namespace aethel::ledger
