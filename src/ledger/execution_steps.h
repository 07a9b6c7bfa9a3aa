// The steps of BlockExecutor::plan (executor.h), one function per step of
// the execution order, sharing one BlockRun. Internal to the ledger.
#pragma once

#include <cstddef>
#include <string>

#include "consensus/signature_checker.h"
#include "consensus/validator_set.h"
#include "core/error.h"
#include "ledger/block_payload.h"
#include "ledger/chain_params.h"
#include "ledger/executor.h"
#include "ledger/working_state.h"

namespace aethel::ledger {

struct BlockRun {
  const ChainParams& params;
  const consensus::ValidatorSet& validators;
  consensus::SignatureChecker& checker;
  const BlockContext& context;
  const VerifiedProofs& proofs;
  const state::LedgerState& committed;
  WorkingState& working;
  BlockPlan& plan;
};

// Height, proposer, payload digest, transaction count and bytes, and the
// block's claims against those its payload implies.
Result<void> check_block_shape(const BlockRun& run, const BlockPayload& payload);
// (a) Checks `parent_commit` and pays block height - 1's pending reward.
Result<void> pay_parent_reward(BlockRun& run, const consensus::CertificatePtr& parent_commit);
// (b) Returns unbonding stake due at this height to its owners' balances.
Result<void> release_unbonding(BlockRun& run);
// (c) One transaction: fee and nonce, then its payload.
Result<void> execute_transaction(BlockRun& run, std::size_t index, const Transaction& transaction);
// (c) The payload kinds that move stake.
Result<void> stake_tokens(BlockRun& run, const crypto::PublicKey& owner, TokenAmount amount);
Result<void> unstake_tokens(BlockRun& run, const crypto::PublicKey& owner, TokenAmount amount);
// The ledger stake the consensus set counts for `member`
// (ChainParams::consensus_stake_unit), below which it may not unstake.
Stake counted_stake(const BlockRun& run, ValidatorIndex member);
// (c) Evidence: verify, slash once, record.
Result<void> apply_evidence(BlockRun& run, std::size_t index, const SubmitEvidence& submission);
// (d) Stores this block's pending reward.
Result<void> store_pending_reward(BlockRun& run);
// (e) At an epoch boundary, each validator's status from its stake.
Result<void> update_epoch_statuses(BlockRun& run);

// Pushes one verification outcome into a validator's window.
void push_accuracy(state::AccuracyWindow& window, bool agreed) noexcept;

// "what: why" as a kInvalidArgument error.
inline unexpected<Error> refuse(const std::string& message) {
  return fail(ErrorCode::kInvalidArgument, message);
}

}  // namespace aethel::ledger
