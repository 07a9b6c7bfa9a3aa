// The typed ledger view over the state tree, with conservation checked on
// every transition.
//
// A transition is a set of record changes plus the amounts it declares as
// newly emitted and slashed. Before anything is written, the ledger checks
//     sum(balances) + sum(stakes, unbonding included)
//         == supply.genesis + supply.emitted - supply.slashed
// with the supply record advanced by the declared amounts, and that emission
// stays within the cap. A transition that fails is refused whole
// (kConservation, naming the amounts) and the state is left exactly as it was.
//
// The sums are kept incrementally from each change's old and new record and
// stored with every version, so a block costs reads of the records it
// changes, not a scan; audit() recomputes everything from scratch.
// Arithmetic is checked: an overflow is an error, never a wrap.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/types.h"
#include "state/records.h"
#include "state/snapshot.h"
#include "state/tree_store.h"

namespace aethel::state {

struct LedgerConfig {
  TokenAmount emission_cap = TokenAmount::max();  // emitted never passes this
};

// Tokens held, kept incrementally and stored with every version.
struct LedgerTotals {
  TokenAmount balances;
  TokenAmount stakes;  // bonded plus unbonding
  friend bool operator==(const LedgerTotals&, const LedgerTotals&) = default;
};

// Sets a record (under its own key) or removes the record at a key.
struct RecordChange {
  TreeKey key;
  std::optional<Record> record;

  static RecordChange put(Record record);
  static RecordChange remove(const TreeKey& key);
};

struct Transition {
  std::vector<RecordChange> changes;
  TokenAmount emitted;  // newly created tokens (rewards)
  TokenAmount slashed;  // tokens destroyed by slashing
};

// A transition checked against one version (conservation included) and
// reduced to the leaf updates that write it; LedgerState::apply_prepared
// writes it if the state is still at that version.
struct PreparedTransition {
  Version base_version = 0;
  std::vector<LeafUpdate> updates;
  LedgerTotals totals;
};

class LedgerState {
 public:
  static Result<std::unique_ptr<LedgerState>> open(const std::filesystem::path& directory,
                                                   const TreeConfig& tree_config,
                                                   const LedgerConfig& config);

  // The first version: `records` (no supply record) and a supply whose
  // genesis amount is everything they hold. Only on an empty state.
  Result<VersionInfo> apply_genesis(const std::vector<Record>& records);
  // Checks conservation, then writes the transition as the next version.
  Result<VersionInfo> apply(const Transition& transition);
  // The checks of apply without the write: every change's record kind and
  // key, evidence never overwritten, and conservation of the totals.
  Result<PreparedTransition> prepare(const Transition& transition) const;
  // Writes a prepared transition; refuses (kInvalidArgument) one prepared on
  // another version than the latest.
  Result<VersionInfo> apply_prepared(PreparedTransition prepared);

  Result<std::optional<Record>> read(const TreeKey& key) const;
  Result<std::optional<AccountRecord>> account(const crypto::PublicKey& owner) const;
  Result<std::optional<ValidatorRecord>> validator(const crypto::PublicKey& public_key) const;
  Result<SupplyRecord> supply() const;
  Result<bool> evidence_seen(const Hash256& evidence_id) const;
  const LedgerTotals& totals() const noexcept { return totals_; }

  // Recomputes the totals and every hash of `version` from its leaves, checks
  // each record sits at its own key and that conservation holds; names the
  // first mismatch (kCorrupt, or kConservation for an imbalance).
  Result<LedgerTotals> audit(Version version) const;

  // Writes a complete snapshot into this (empty) state, with totals counted
  // from its records.
  Result<VersionInfo> import_snapshot(SnapshotImporter& importer);

  // Read access only: every write goes through apply, apply_genesis or
  // import_snapshot, which check conservation and keep the totals.
  const TreeStore& tree() const noexcept { return *tree_; }

 private:
  LedgerState(std::unique_ptr<TreeStore> tree, const LedgerConfig& config);
  Result<VersionInfo> commit(std::vector<LeafUpdate> updates, const LedgerTotals& totals);

  std::unique_ptr<TreeStore> tree_;
  LedgerConfig config_;
  LedgerTotals totals_;
};

Bytes encode_totals(const LedgerTotals& totals);
// The totals stored with `version`; only version 0 (nothing applied) may
// store none.
Result<LedgerTotals> decode_totals(Version version, ByteView bytes);

}  // namespace aethel::state
