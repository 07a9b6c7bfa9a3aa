// Stake, unstake, the release of unbonding stake (step b) and the validator
// statuses set at epoch boundaries (step e).
//
// An unstake moves stake into `unbonding` until height + unbonding_period
// (still slashable meanwhile) and lists the owner in the unbonding queue
// record of that release height, so each block reads one queue record
// instead of scanning every validator. A second unstake while unbonding adds
// to the amount and moves the release height to the later one; the owner's
// entry in the earlier queue is then skipped.
//
// The consensus validator set is fixed at genesis: it keeps counting a
// member's genesis stake for quorums and reward weights whatever the ledger
// holds. So a member may unstake only what it holds above the stake the set
// counts for it; otherwise it could take away stake that still votes and
// that slashing could no longer reach once released.
#include <algorithm>
#include <string>

#include "core/try.h"
#include "ledger/execution_steps.h"

namespace aethel::ledger {
namespace {

state::ValidatorRecord new_validator_record(const crypto::PublicKey& owner) {
  state::ValidatorRecord record;
  record.public_key = owner;
  // Outside the active set until an epoch boundary finds its stake enough.
  record.status = state::ValidatorStatus::kExited;
  return record;
}

Result<void> enqueue_release(BlockRun& run, const crypto::PublicKey& owner, Height release) {
  std::optional<state::UnbondingQueueRecord> queue;
  AETHEL_TRY_ASSIGN(queue, run.working.unbonding_queue(release));
  if (!queue) queue = state::UnbondingQueueRecord{release, {}};
  auto& owners = queue->owners;
  const auto at = std::lower_bound(owners.begin(), owners.end(), owner);
  if (at == owners.end() || *at != owner) owners.insert(at, owner);
  run.working.put(std::move(*queue));
  return {};
}

Result<void> release_one(BlockRun& run, const crypto::PublicKey& owner) {
  std::optional<state::ValidatorRecord> validator;
  AETHEL_TRY_ASSIGN(validator, run.working.validator(owner));
  if (!validator || validator->unbonding.value() == 0 ||
      validator->unbonding_until > run.context.height) {
    return {};  // released already, slashed away, or moved to a later release
  }
  state::AccountRecord account;
  AETHEL_TRY_ASSIGN(account, run.working.account_or_new(owner));
  const TokenAmount amount(validator->unbonding.value());
  const auto balance = account.balance.checked_add(amount);
  const auto released = run.plan.unbonding_released.checked_add(amount);
  if (!balance || !released) return fail(ErrorCode::kLimit, "released stake overflows 64 bits");
  account.balance = *balance;
  run.plan.unbonding_released = *released;
  validator->unbonding = Stake::zero();
  validator->unbonding_until = Height(0);
  run.working.put(account);
  run.working.put(*validator);
  return {};
}

state::ValidatorStatus status_for(const state::ValidatorRecord& record, Stake minimum) {
  if (record.stake >= minimum) return state::ValidatorStatus::kActive;
  if (record.unbonding.value() != 0) return state::ValidatorStatus::kUnbonding;
  return state::ValidatorStatus::kExited;
}

}  // namespace

Stake counted_stake(const BlockRun& run, ValidatorIndex member) {
  return ledger_stake_of(run.validators.at(member).stake, run.params.consensus_stake_unit);
}

Result<void> stake_tokens(BlockRun& run, const crypto::PublicKey& owner, TokenAmount amount) {
  if (amount.value() == 0) return refuse("stake of zero tokens");
  state::AccountRecord account;
  AETHEL_TRY_ASSIGN(account, run.working.account_or_new(owner));
  account.balance -= amount;  // charge_fee checked the balance covers it
  std::optional<state::ValidatorRecord> validator;
  AETHEL_TRY_ASSIGN(validator, run.working.validator(owner));
  if (!validator) validator = new_validator_record(owner);
  const auto stake = validator->stake.checked_add(Stake(amount.value()));
  if (!stake) return fail(ErrorCode::kLimit, "stake overflows 64 bits");
  validator->stake = *stake;
  run.working.put(account);
  run.working.put(*validator);
  return {};
}

Result<void> unstake_tokens(BlockRun& run, const crypto::PublicKey& owner, TokenAmount amount) {
  if (amount.value() == 0) return refuse("unstake of zero tokens");
  std::optional<state::ValidatorRecord> validator;
  AETHEL_TRY_ASSIGN(validator, run.working.validator(owner));
  const Stake requested(amount.value());
  if (!validator || validator->stake < requested) {
    return refuse("unstake of " + to_string(amount) + " is above the stake of " +
                  to_string(validator ? validator->stake : Stake::zero()));
  }
  if (const auto member = run.validators.index_of(owner)) {
    const Stake counted = counted_stake(run, *member);
    if (validator->stake - requested < counted) {
      return refuse("unstake of " + to_string(amount) + " would leave a stake of " +
                    to_string(validator->stake - requested) + ", below the " +
                    to_string(counted) + " the consensus validator set counts for this validator");
    }
  }
  const auto unbonding = validator->unbonding.checked_add(requested);
  const bool release_fits =
      run.context.height.value() <= Height::max().value() - run.params.unbonding_period;
  if (!unbonding || !release_fits) {
    return fail(ErrorCode::kLimit, "unbonding amount or release height overflows 64 bits");
  }
  const Height release(run.context.height.value() + run.params.unbonding_period);
  validator->stake -= requested;
  validator->unbonding = *unbonding;
  validator->unbonding_until = release;
  run.working.put(*validator);
  return enqueue_release(run, owner, release);
}

Result<void> release_unbonding(BlockRun& run) {
  std::optional<state::UnbondingQueueRecord> queue;
  AETHEL_TRY_ASSIGN(queue, run.working.unbonding_queue(run.context.height));
  if (!queue) return {};
  for (const crypto::PublicKey& owner : queue->owners) AETHEL_TRY(release_one(run, owner));
  run.working.remove(state::unbonding_queue_key(run.context.height));
  return {};
}

Result<void> update_epoch_statuses(BlockRun& run) {
  if (run.context.height.value() % run.params.epoch_length != 0) return {};
  std::vector<crypto::PublicKey> keys;
  AETHEL_TRY_ASSIGN(keys, run.working.validator_keys());
  for (const crypto::PublicKey& key : keys) {
    std::optional<state::ValidatorRecord> validator;
    AETHEL_TRY_ASSIGN(validator, run.working.validator(key));
    if (!validator) continue;
    const state::ValidatorStatus status = status_for(*validator, run.params.minimum_stake);
    if (status == validator->status) continue;
    validator->status = status;
    run.working.put(*validator);
  }
  return {};
}

}  // namespace aethel::ledger
