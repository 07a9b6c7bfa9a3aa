#include "state/ledger_state.h"

#include <algorithm>
#include <optional>
#include <string>

#include "core/encoding.h"
#include "fmt/format.h"

namespace aethel::state {
namespace {

constexpr std::uint8_t kTotalsFormat = 1;

// Sums of 64-bit amounts are formed in 128 bits, so an intermediate (old
// totals plus what a transition adds, genesis plus emission) may pass 2^64
// when the final value does not; only final values must fit in 64 bits.
__extension__ using UInt128 = unsigned __int128;

constexpr UInt128 wide(TokenAmount amount) noexcept {
  return UInt128{amount.value()};
}

std::optional<TokenAmount> narrow(UInt128 value) noexcept {
  if (value > UInt128{TokenAmount::max().value()}) return std::nullopt;
  return TokenAmount(static_cast<std::uint64_t>(value));
}

std::string decimal(UInt128 value) {
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  } while (value != 0);
  return digits;
}

// Running sums of what records hold, with overflow reported, not wrapped.
struct Holdings {
  TokenAmount balances;
  TokenAmount stakes;

  Result<void> add(const Record& record, std::string_view where) {
    const auto balance = balance_held(record);
    const auto stake = stake_held(record);
    const auto new_balances = balance ? balances.checked_add(*balance) : std::nullopt;
    const auto new_stakes = stake ? stakes.checked_add(*stake) : std::nullopt;
    if (!new_balances || !new_stakes) {
      return fail(ErrorCode::kConservation,
                  fmt::format("token holdings overflow 64 bits at {}", where));
    }
    balances = *new_balances;
    stakes = *new_stakes;
    return {};
  }
};

Result<std::optional<Record>> decode_stored(const TreeKey& key, const std::optional<Bytes>& bytes) {
  if (!bytes) return std::optional<Record>();
  auto record = decode_record(*bytes);
  if (!record) {
    return fail(ErrorCode::kCorrupt,
                fmt::format("stored record at key {}: {}", key.hex(), record.error().message));
  }
  return std::optional<Record>(std::move(*record));
}

// total held == genesis + emitted - slashed, and emitted within the cap.
Result<void> check_conservation(const LedgerTotals& totals, const SupplyRecord& supply,
                                TokenAmount emission_cap) {
  if (supply.emitted > emission_cap) {
    return fail(ErrorCode::kConservation,
                fmt::format("emission would reach {} tokens, past the cap of {}",
                            supply.emitted.value(), emission_cap.value()));
  }
  const UInt128 held = wide(totals.balances) + wide(totals.stakes);
  const UInt128 created = wide(supply.genesis) + wide(supply.emitted);
  if (created < wide(supply.slashed)) {
    return fail(ErrorCode::kConservation,
                fmt::format("slashed {} exceeds genesis {} plus emitted {}", supply.slashed.value(),
                            supply.genesis.value(), supply.emitted.value()));
  }
  const UInt128 expected = created - wide(supply.slashed);
  if (held != expected) {
    const bool excess = held > expected;
    return fail(ErrorCode::kConservation,
                fmt::format("imbalance: balances {} + stakes {} = {}, but genesis {} + emitted {} "
                            "- slashed {} = {} ({} of {})",
                            totals.balances.value(), totals.stakes.value(), decimal(held),
                            supply.genesis.value(), supply.emitted.value(), supply.slashed.value(),
                            decimal(expected), excess ? "an excess" : "a shortfall",
                            decimal(excess ? held - expected : expected - held)));
  }
  return {};
}

Result<void> check_change(const RecordChange& change) {
  if (change.key == supply_key()) {
    return fail(ErrorCode::kInvalidArgument,
                "the supply record changes only through declared emission and slashing");
  }
  if (change.record && record_key(*change.record) != change.key) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("a {} record is set at key {}, which is not its own",
                            record_kind_name(record_kind(*change.record)), change.key.hex()));
  }
  return {};
}

}  // namespace

RecordChange RecordChange::put(Record record) {
  const TreeKey key = record_key(record);
  return RecordChange{key, std::move(record)};
}

RecordChange RecordChange::remove(const TreeKey& key) {
  return RecordChange{key, std::nullopt};
}

Bytes encode_totals(const LedgerTotals& totals) {
  Encoder encoder;
  encoder.put_u8(kTotalsFormat).put_strong(totals.balances).put_strong(totals.stakes);
  return std::move(encoder).take();
}

Result<LedgerTotals> decode_totals(Version version, ByteView bytes) {
  if (bytes.empty()) {
    if (version == 0) return LedgerTotals{};  // the empty tree stores nothing
    return fail(ErrorCode::kCorrupt, fmt::format("version {} stores no ledger totals", version));
  }
  return decode_whole(bytes, [](Decoder& decoder) -> Result<LedgerTotals> {
    auto format = decoder.read_u8("totals.format");
    if (!format) return unexpected<Error>(std::move(format).error());
    if (*format != kTotalsFormat) return fail(ErrorCode::kBadTag, "totals.format is unknown");
    auto balances = decoder.read_strong<TokenAmount>("totals.balances");
    if (!balances) return unexpected<Error>(std::move(balances).error());
    auto stakes = decoder.read_strong<TokenAmount>("totals.stakes");
    if (!stakes) return unexpected<Error>(std::move(stakes).error());
    return LedgerTotals{*balances, *stakes};
  });
}

Result<std::unique_ptr<LedgerState>> LedgerState::open(const std::filesystem::path& directory,
                                                       const TreeConfig& tree_config,
                                                       const LedgerConfig& config) {
  auto tree = TreeStore::open(directory, tree_config);
  if (!tree) return unexpected<Error>(std::move(tree).error());
  auto totals = decode_totals((*tree)->latest_version(), (*tree)->latest().extra);
  if (!totals) {
    return fail(ErrorCode::kCorrupt,
                "ledger totals of the latest version: " + totals.error().message);
  }
  std::unique_ptr<LedgerState> ledger(new LedgerState(std::move(*tree), config));
  ledger->totals_ = *totals;
  return ledger;
}

LedgerState::LedgerState(std::unique_ptr<TreeStore> tree, const LedgerConfig& config)
    : tree_(std::move(tree)), config_(config) {}

Result<VersionInfo> LedgerState::commit(std::vector<LeafUpdate> updates,
                                        const LedgerTotals& totals) {
  const Bytes extra = encode_totals(totals);
  auto info = tree_->apply(std::move(updates), extra);
  if (info) totals_ = totals;
  return info;
}

Result<VersionInfo> LedgerState::apply_genesis(const std::vector<Record>& records) {
  if (tree_->latest_version() != 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("genesis applies only to an empty state (this one is at version {})",
                            tree_->latest_version()));
  }
  Holdings holdings;
  std::vector<LeafUpdate> updates;
  for (const Record& record : records) {
    if (auto checked = check_change(RecordChange::put(record)); !checked) {
      return unexpected<Error>(std::move(checked).error());
    }
    if (auto added = holdings.add(record, "genesis"); !added) {
      return unexpected<Error>(std::move(added).error());
    }
    updates.push_back(LeafUpdate{record_key(record), encode_record(record)});
  }
  const LedgerTotals totals{holdings.balances, holdings.stakes};
  const auto genesis = totals.balances.checked_add(totals.stakes);
  if (!genesis) return fail(ErrorCode::kConservation, "genesis holdings overflow 64 bits");
  const SupplyRecord supply{*genesis, TokenAmount::zero(), TokenAmount::zero()};
  updates.push_back(LeafUpdate{supply_key(), encode_record(supply)});
  return commit(std::move(updates), totals);
}

Result<VersionInfo> LedgerState::apply(const Transition& transition) {
  auto prepared = prepare(transition);
  if (!prepared) return unexpected<Error>(std::move(prepared).error());
  return apply_prepared(std::move(*prepared));
}

Result<VersionInfo> LedgerState::apply_prepared(PreparedTransition prepared) {
  if (prepared.base_version != tree_->latest_version()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("transition prepared on version {}, but the state is at version {}",
                            prepared.base_version, tree_->latest_version()));
  }
  return commit(std::move(prepared.updates), prepared.totals);
}

Result<PreparedTransition> LedgerState::prepare(const Transition& transition) const {
  auto current_supply = supply();
  if (!current_supply) return unexpected<Error>(std::move(current_supply).error());
  Holdings added;
  Holdings removed;
  std::vector<LeafUpdate> updates;
  updates.reserve(transition.changes.size() + 1);
  for (const RecordChange& change : transition.changes) {
    if (auto checked = check_change(change); !checked) {
      return unexpected<Error>(std::move(checked).error());
    }
    auto old = read(change.key);
    if (!old) return unexpected<Error>(std::move(old).error());
    if (*old && std::holds_alternative<EvidenceRecord>(**old)) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("evidence at key {} was already acted on", change.key.hex()));
    }
    if (*old && change.record && record_kind(**old) != record_kind(*change.record)) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("key {} holds a {} record, not a {}", change.key.hex(),
                              record_kind_name(record_kind(**old)),
                              record_kind_name(record_kind(*change.record))));
    }
    const std::string where = "key " + change.key.hex();
    if (*old) {
      if (auto summed = removed.add(**old, where); !summed) {
        return unexpected<Error>(std::move(summed).error());
      }
    }
    if (change.record) {
      if (auto summed = added.add(*change.record, where); !summed) {
        return unexpected<Error>(std::move(summed).error());
      }
    }
    updates.push_back(
        LeafUpdate{change.key, change.record ? std::optional<Bytes>(encode_record(*change.record))
                                             : std::nullopt});
  }

  // New totals = old + added - removed; the removed records are counted in
  // the old totals, so a shortfall there means the stored totals are wrong.
  const UInt128 balances_up = wide(totals_.balances) + wide(added.balances);
  const UInt128 stakes_up = wide(totals_.stakes) + wide(added.stakes);
  if (balances_up < wide(removed.balances) || stakes_up < wide(removed.stakes)) {
    return fail(ErrorCode::kCorrupt, "stored totals are smaller than the records they count");
  }
  const auto balances = narrow(balances_up - wide(removed.balances));
  const auto stakes = narrow(stakes_up - wide(removed.stakes));
  if (!balances || !stakes) {
    return fail(ErrorCode::kConservation, "token totals would overflow 64 bits");
  }
  SupplyRecord next_supply = *current_supply;
  const auto emitted = next_supply.emitted.checked_add(transition.emitted);
  const auto slashed = next_supply.slashed.checked_add(transition.slashed);
  if (!emitted || !slashed) {
    return fail(ErrorCode::kConservation, "emitted or slashed total would overflow 64 bits");
  }
  next_supply.emitted = *emitted;
  next_supply.slashed = *slashed;
  const LedgerTotals next{*balances, *stakes};
  if (auto conserved = check_conservation(next, next_supply, config_.emission_cap); !conserved) {
    return unexpected<Error>(
        Error(ErrorCode::kConservation, "transition refused: " + conserved.error().message));
  }
  if (!(next_supply == *current_supply)) {
    updates.push_back(LeafUpdate{supply_key(), encode_record(next_supply)});
  }
  return PreparedTransition{tree_->latest_version(), std::move(updates), next};
}

Result<std::optional<Record>> LedgerState::read(const TreeKey& key) const {
  auto bytes = tree_->get_latest(key);
  if (!bytes) return unexpected<Error>(std::move(bytes).error());
  return decode_stored(key, *bytes);
}

template <class T>
Result<std::optional<T>> read_typed(const LedgerState& ledger, const TreeKey& key) {
  auto record = ledger.read(key);
  if (!record) return unexpected<Error>(std::move(record).error());
  if (!*record) return std::optional<T>();
  const T* typed = std::get_if<T>(&**record);
  if (typed == nullptr) {
    return fail(ErrorCode::kCorrupt,
                fmt::format("key {} holds a record of another kind", key.hex()));
  }
  return std::optional<T>(*typed);
}

Result<std::optional<AccountRecord>> LedgerState::account(const crypto::PublicKey& owner) const {
  return read_typed<AccountRecord>(*this, account_key(owner));
}

Result<std::optional<ValidatorRecord>> LedgerState::validator(
    const crypto::PublicKey& public_key) const {
  return read_typed<ValidatorRecord>(*this, validator_key(public_key));
}

Result<SupplyRecord> LedgerState::supply() const {
  auto record = read_typed<SupplyRecord>(*this, supply_key());
  if (!record) return unexpected<Error>(std::move(record).error());
  if (!*record) return fail(ErrorCode::kNotFound, "the state has no supply record (no genesis)");
  return **record;
}

Result<bool> LedgerState::evidence_seen(const Hash256& evidence_id) const {
  auto record = tree_->get_latest(evidence_key(evidence_id));
  if (!record) return unexpected<Error>(std::move(record).error());
  return record->has_value();
}

namespace {

// Counts the holdings of every leaf, checking each is a record at its own key.
struct LeafCensus {
  Holdings holdings;
  std::optional<SupplyRecord> supply;

  Result<void> count(const TreeKey& key, ByteView value) {
    auto record = decode_record(value);
    if (!record) {
      return fail(ErrorCode::kCorrupt,
                  fmt::format("leaf {} is not a record: {}", key.hex(), record.error().message));
    }
    if (record_key(*record) != key) {
      return fail(ErrorCode::kCorrupt,
                  fmt::format("leaf {} holds a {} record that belongs at {}", key.hex(),
                              record_kind_name(record_kind(*record)), record_key(*record).hex()));
    }
    if (const auto* found = std::get_if<SupplyRecord>(&*record)) supply = *found;
    return holdings.add(*record, "leaf " + key.hex());
  }
};

}  // namespace

Result<LedgerTotals> LedgerState::audit(Version version) const {
  if (auto tree_audit = tree_->audit(version); !tree_audit) {
    return unexpected<Error>(std::move(tree_audit).error());
  }
  auto info = tree_->version_info(version);
  if (!info) return unexpected<Error>(std::move(info).error());
  LeafCensus census;
  auto counted = tree_->for_each_leaf(
      version, TreeKey(), 0,
      [&census](const TreeKey& key, ByteView value) { return census.count(key, value); });
  if (!counted) return unexpected<Error>(std::move(counted).error());
  const LedgerTotals recomputed{census.holdings.balances, census.holdings.stakes};
  auto stored = decode_totals(version, info->extra);
  if (!stored) {
    return fail(ErrorCode::kCorrupt,
                fmt::format("ledger totals of version {}: {}", version, stored.error().message));
  }
  if (!(*stored == recomputed)) {
    return fail(ErrorCode::kCorrupt,
                fmt::format("version {} records balances {} and stakes {}, but its records hold "
                            "{} and {}",
                            version, stored->balances.value(), stored->stakes.value(),
                            recomputed.balances.value(), recomputed.stakes.value()));
  }
  if (version == 0) return recomputed;
  if (!census.supply) {
    return fail(ErrorCode::kCorrupt, fmt::format("version {} has no supply record", version));
  }
  if (auto conserved = check_conservation(recomputed, *census.supply, config_.emission_cap);
      !conserved) {
    return unexpected<Error>(
        Error(ErrorCode::kConservation,
              fmt::format("version {}: {}", version, conserved.error().message)));
  }
  return recomputed;
}

Result<VersionInfo> LedgerState::import_snapshot(SnapshotImporter& importer) {
  LeafCensus census;
  auto counted = importer.for_each_leaf(
      [&census](const TreeKey& key, ByteView value) { return census.count(key, value); });
  if (!counted) return unexpected<Error>(std::move(counted).error());
  if (!census.supply) return fail(ErrorCode::kCorrupt, "the snapshot has no supply record");
  const LedgerTotals totals{census.holdings.balances, census.holdings.stakes};
  if (auto conserved = check_conservation(totals, *census.supply, config_.emission_cap);
      !conserved) {
    return unexpected<Error>(
        Error(ErrorCode::kConservation, "snapshot refused: " + conserved.error().message));
  }
  const Bytes extra = encode_totals(totals);
  auto info = importer.finish(*tree_, extra);
  if (info) totals_ = totals;
  return info;
}

}  // namespace aethel::state
