// The records a block reads and changes while it is planned: reads fall
// through to the latest committed state, writes stay in an ordered overlay
// until the plan is applied, so planning never writes and a refused block
// leaves no trace.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "core/error.h"
#include "core/types.h"
#include "crypto/ed25519.h"
#include "state/ledger_state.h"
#include "state/records.h"

namespace aethel::ledger {

class WorkingState {
 public:
  explicit WorkingState(const state::LedgerState& state) : state_(state) {}

  Result<std::optional<state::AccountRecord>> account(const crypto::PublicKey& owner) const;
  // The account, or a new empty one (balance 0, nonce 0) when it is absent.
  Result<state::AccountRecord> account_or_new(const crypto::PublicKey& owner) const;
  Result<std::optional<state::ValidatorRecord>> validator(const crypto::PublicKey& key) const;
  Result<std::optional<state::PendingRewardRecord>> pending_reward() const;
  Result<std::optional<state::UnbondingQueueRecord>> unbonding_queue(Height release) const;
  Result<bool> contains(const state::TreeKey& key) const;

  // Keys of every validator record, committed or written in this block, in
  // key order. Scans the committed state: an epoch-boundary operation.
  Result<std::vector<crypto::PublicKey>> validator_keys() const;

  void put(state::Record record);
  void remove(const state::TreeKey& key);

  // A savepoint: writes from here on can be undone together (rollback) or
  // kept (release). One at a time.
  void begin_savepoint();
  void rollback();
  void release();

  // The overlay as record changes, in key order.
  std::vector<state::RecordChange> changes() const;

 private:
  Result<std::optional<state::Record>> read(const state::TreeKey& key) const;
  template <class T>
  Result<std::optional<T>> read_as(const state::TreeKey& key) const;

  void remember(const state::TreeKey& key);

  const state::LedgerState& state_;
  std::map<state::TreeKey, std::optional<state::Record>> overlay_;
  // Under a savepoint: each key's overlay entry before its first write since,
  // nullopt when it had none.
  bool saving_ = false;
  std::map<state::TreeKey, std::optional<std::optional<state::Record>>> undo_;
};

}  // namespace aethel::ledger
