#include "ledger/working_state.h"

#include <set>
#include <string>

#include "core/assert.h"
#include "core/try.h"

namespace aethel::ledger {

Result<std::optional<state::Record>> WorkingState::read(const state::TreeKey& key) const {
  const auto found = overlay_.find(key);
  if (found != overlay_.end()) return found->second;
  return state_.read(key);
}

template <class T>
Result<std::optional<T>> WorkingState::read_as(const state::TreeKey& key) const {
  auto record = read(key);
  if (!record) return unexpected<Error>(std::move(record).error());
  if (!record->has_value()) return std::optional<T>();
  const T* typed = std::get_if<T>(&**record);
  if (typed == nullptr) {
    return fail(ErrorCode::kCorrupt, "key " + key.hex() + " holds a " +
                                         state::record_kind_name(state::record_kind(**record)) +
                                         " record, not the kind its namespace names");
  }
  return std::optional<T>(*typed);
}

Result<std::optional<state::AccountRecord>> WorkingState::account(
    const crypto::PublicKey& owner) const {
  return read_as<state::AccountRecord>(state::account_key(owner));
}

Result<state::AccountRecord> WorkingState::account_or_new(const crypto::PublicKey& owner) const {
  std::optional<state::AccountRecord> found;
  AETHEL_TRY_ASSIGN(found, account(owner));
  if (found) return *found;
  return state::AccountRecord{owner, TokenAmount::zero(), Nonce(0)};
}

Result<std::optional<state::ValidatorRecord>> WorkingState::validator(
    const crypto::PublicKey& key) const {
  return read_as<state::ValidatorRecord>(state::validator_key(key));
}

Result<std::optional<state::PendingRewardRecord>> WorkingState::pending_reward() const {
  return read_as<state::PendingRewardRecord>(state::pending_reward_key());
}

Result<std::optional<state::UnbondingQueueRecord>> WorkingState::unbonding_queue(
    Height release) const {
  return read_as<state::UnbondingQueueRecord>(state::unbonding_queue_key(release));
}

Result<bool> WorkingState::contains(const state::TreeKey& key) const {
  auto record = read(key);
  if (!record) return unexpected<Error>(std::move(record).error());
  return record->has_value();
}

Result<std::vector<crypto::PublicKey>> WorkingState::validator_keys() const {
  std::set<crypto::PublicKey> keys;
  const state::TreeStore& tree = state_.tree();
  AETHEL_TRY(tree.for_each_leaf(
      tree.latest_version(), state::TreeKey(), 0,
      [&keys](const state::TreeKey& key, ByteView value) -> Result<void> {
        auto record = state::decode_record(value);
        if (!record) {
          return fail(ErrorCode::kCorrupt, "leaf " + key.hex() + ": " + record.error().message);
        }
        if (const auto* validator = std::get_if<state::ValidatorRecord>(&*record)) {
          keys.insert(validator->public_key);
        }
        return {};
      }));
  for (const auto& [key, record] : overlay_) {
    if (!record) continue;
    if (const auto* validator = std::get_if<state::ValidatorRecord>(&*record)) {
      keys.insert(validator->public_key);
    }
  }
  return std::vector<crypto::PublicKey>(keys.begin(), keys.end());
}

void WorkingState::put(state::Record record) {
  const state::TreeKey key = state::record_key(record);
  remember(key);
  overlay_.insert_or_assign(key, std::optional<state::Record>(std::move(record)));
}

void WorkingState::remove(const state::TreeKey& key) {
  remember(key);
  overlay_.insert_or_assign(key, std::nullopt);
}

void WorkingState::remember(const state::TreeKey& key) {
  if (!saving_ || undo_.contains(key)) return;
  const auto found = overlay_.find(key);
  undo_.emplace(key, found == overlay_.end()
                         ? std::optional<std::optional<state::Record>>()
                         : std::optional<std::optional<state::Record>>(found->second));
}

void WorkingState::begin_savepoint() {
  AETHEL_ASSERT_MSG(!saving_, "one savepoint at a time");
  saving_ = true;
  undo_.clear();
}

void WorkingState::rollback() {
  AETHEL_ASSERT(saving_);
  for (auto& [key, before] : undo_) {
    if (before) {
      overlay_.insert_or_assign(key, std::move(*before));
    } else {
      overlay_.erase(key);
    }
  }
  undo_.clear();
  saving_ = false;
}

void WorkingState::release() {
  AETHEL_ASSERT(saving_);
  undo_.clear();
  saving_ = false;
}

std::vector<state::RecordChange> WorkingState::changes() const {
  std::vector<state::RecordChange> changes;
  changes.reserve(overlay_.size());
  for (const auto& [key, record] : overlay_) changes.push_back(state::RecordChange{key, record});
  return changes;
}

}  // namespace aethel::ledger
