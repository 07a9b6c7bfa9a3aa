#include "ledger/chain_params.h"

#include <string>

#include "core/try.h"
#include "ledger/transaction.h"

namespace aethel::ledger {
namespace {

Result<void> refuse(const std::string& field, const std::string& why) {
  return fail(ErrorCode::kInvalidArgument, "chain params: " + field + " " + why);
}

Result<void> check_block_limits(const ChainParams& params) {
  if (params.max_block_transactions == 0 ||
      params.max_block_transactions > kMaxBlockTransactionsCeiling) {
    return refuse("max_block_transactions",
                  "must be between 1 and " + std::to_string(kMaxBlockTransactionsCeiling) +
                      ", not " + std::to_string(params.max_block_transactions));
  }
  if (params.max_block_bytes < kMaxTransactionBytes ||
      params.max_block_bytes > kMaxBlockBytesCeiling) {
    return refuse("max_block_bytes", "must be between " + std::to_string(kMaxTransactionBytes) +
                                         " and " + std::to_string(kMaxBlockBytesCeiling) +
                                         ", not " + std::to_string(params.max_block_bytes));
  }
  if (params.max_block_work.value() < params.judge_limits.program_budget_max) {
    return refuse("max_block_work", "must be at least the judge's program_budget_max " +
                                        std::to_string(params.judge_limits.program_budget_max) +
                                        ", so that any program fits a block, not " +
                                        to_string(params.max_block_work));
  }
  return {};
}

Result<void> check_judge_limits(const judge::Limits& limits) {
  if (limits.budget_max == 0) return refuse("judge_limits.budget_max", "must be positive");
  if (limits.budget_default == 0 || limits.budget_default > limits.budget_max) {
    return refuse("judge_limits.budget_default",
                  "must be between 1 and budget_max " + std::to_string(limits.budget_max));
  }
  if (limits.program_budget_max < limits.budget_max) {
    return refuse("judge_limits.program_budget_max",
                  "must be at least budget_max " + std::to_string(limits.budget_max));
  }
  if (limits.source_bytes_max == 0 || limits.source_bytes_max > kMaxProgramBytes) {
    return refuse("judge_limits.source_bytes_max",
                  "must be between 1 and " + std::to_string(kMaxProgramBytes));
  }
  return {};
}

}  // namespace

Result<void> ChainParams::validate() const {
  if (auto checked = emission.validate(); !checked) {
    return refuse("emission:", checked.error().message);
  }
  if (auto checked = reward.validate(); !checked) {
    return refuse("reward:", checked.error().message);
  }
  if (minimum_stake.value() == 0) return refuse("minimum_stake", "must be positive");
  if (consensus_stake_unit == 0) return refuse("consensus_stake_unit", "must be positive");
  if (evidence_max_age == 0) return refuse("evidence_max_age", "must be positive");
  if (unbonding_period <= evidence_max_age) {
    return refuse("unbonding_period", "must be above evidence_max_age " +
                                          std::to_string(evidence_max_age) + ", not " +
                                          std::to_string(unbonding_period));
  }
  if (epoch_length == 0) return refuse("epoch_length", "must be positive");
  AETHEL_TRY(check_block_limits(*this));
  return check_judge_limits(judge_limits);
}

ChainParams default_chain_params(const Hash256& chain_id) {
  ChainParams params;
  params.chain_id = chain_id;
  params.emission.cap = TokenAmount(1'000'000'000);
  params.emission.initial_block_allowance = TokenAmount(1'000);
  params.emission.halving_interval = 100'000;
  params.reward.base = TokenAmount(10);
  params.reward.scale = Difficulty(1);
  params.reward.proposer_bonus_bps = 1'000;
  params.minimum_stake = Stake(1'000);
  params.evidence_max_age = 100;
  params.unbonding_period = 120;
  params.epoch_length = 100;
  return params;
}

state::LedgerConfig ledger_config(const ChainParams& params) {
  state::LedgerConfig config;
  config.emission_cap = params.emission.cap;
  return config;
}

}  // namespace aethel::ledger
