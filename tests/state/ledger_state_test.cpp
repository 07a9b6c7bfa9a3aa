// Conservation on every transition, incremental totals against a full audit,
// and tampering caught.
#include "state/ledger_state.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rocksdb/db.h>

#include <map>
#include <memory>
#include <type_traits>
#include <utility>

#include "state/storage_layout.h"
#include "tests/state/ledger_test_support.h"
#include "tests/state/test_support.h"

namespace aethel::state {
namespace {

using testing::account_of;
using testing::fast_tree_config;
using testing::genesis_records;
using testing::owner;
using testing::TempDir;
using testing::validator_of;

std::unique_ptr<LedgerState> open_ledger(const TempDir& dir, LedgerConfig config = {}) {
  auto ledger = LedgerState::open(dir.path(), fast_tree_config(), config);
  EXPECT_TRUE(ledger.has_value()) << (ledger ? "" : ledger.error().to_string());
  return ledger ? std::move(*ledger) : nullptr;
}

Transition transfer(const AccountRecord& from, const AccountRecord& to, std::uint64_t amount) {
  AccountRecord debited = from;
  debited.balance = from.balance - TokenAmount(amount);
  debited.nonce = from.nonce.next();
  AccountRecord credited = to;
  credited.balance = to.balance + TokenAmount(amount);
  return Transition{{RecordChange::put(debited), RecordChange::put(credited)}, {}, {}};
}

TEST(LedgerState, GenesisSetsSupplyAndTotals) {
  TempDir dir;
  auto ledger = open_ledger(dir);
  ASSERT_TRUE(ledger->apply_genesis(genesis_records(10, 100, 3, 1000)).has_value());
  auto supply = ledger->supply();
  ASSERT_TRUE(supply.has_value());
  EXPECT_EQ(supply->genesis, TokenAmount(4000));
  EXPECT_EQ(ledger->totals().balances, TokenAmount(1000));
  EXPECT_EQ(ledger->totals().stakes, TokenAmount(3000));
  auto audit = ledger->audit(1);
  ASSERT_TRUE(audit.has_value()) << audit.error().to_string();
  EXPECT_EQ(*audit, ledger->totals());
  EXPECT_FALSE(ledger->apply_genesis({}).has_value());
}

TEST(LedgerState, TransferConserves) {
  TempDir dir;
  auto ledger = open_ledger(dir);
  ASSERT_TRUE(ledger->apply_genesis(genesis_records(2, 100, 0, 0)).has_value());
  ASSERT_TRUE(ledger->apply(transfer(account_of(0, 100), account_of(1, 100), 30)).has_value());
  auto sender = ledger->account(owner(0));
  ASSERT_TRUE(sender.has_value() && sender->has_value());
  EXPECT_EQ((*sender)->balance, TokenAmount(70));
  EXPECT_EQ((*sender)->nonce, Nonce(1));
  EXPECT_TRUE(ledger->audit(2).has_value());
}

TEST(LedgerState, CreatingTokensWithoutEmissionIsRefusedAndChangesNothing) {
  TempDir dir;
  auto ledger = open_ledger(dir);
  ASSERT_TRUE(ledger->apply_genesis(genesis_records(2, 100, 0, 0)).has_value());
  const VersionInfo before = ledger->tree().latest();
  const LedgerTotals totals_before = ledger->totals();
  Transition forged{{RecordChange::put(account_of(0, 150))}, {}, {}};
  auto refused = ledger->apply(forged);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kConservation);
  EXPECT_NE(refused.error().message.find("250"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("200"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("excess of 50"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(ledger->tree().latest_version(), before.version);
  EXPECT_EQ(ledger->tree().latest().root(), before.root());
  EXPECT_EQ(ledger->totals(), totals_before);
  EXPECT_EQ((*ledger->account(owner(0)))->balance, TokenAmount(100));
}

TEST(LedgerState, RewardsNeedDeclaredEmissionWithinTheCap) {
  TempDir dir;
  auto ledger = open_ledger(dir, LedgerConfig{TokenAmount(50)});
  ASSERT_TRUE(ledger->apply_genesis(genesis_records(1, 100, 1, 1000)).has_value());
  ValidatorRecord validator = validator_of(0, 1000);
  validator.rewards_earned = TokenAmount(40);
  Transition reward{
      {RecordChange::put(account_of(0, 140)), RecordChange::put(validator)}, TokenAmount(40), {}};
  ASSERT_TRUE(ledger->apply(reward).has_value());
  EXPECT_EQ(ledger->supply()->emitted, TokenAmount(40));
  Transition past_cap{{RecordChange::put(account_of(0, 160))}, TokenAmount(20), {}};
  auto refused = ledger->apply(past_cap);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kConservation);
  EXPECT_NE(refused.error().message.find("cap"), std::string::npos);
  EXPECT_TRUE(ledger->audit(2).has_value());
}

// Supply near 2^64: old totals plus what a transition adds, and genesis plus
// emission, pass 64 bits on the way while every final value fits.
TEST(LedgerState, SumsPastSixtyFourBitsOnTheWayAreAccepted) {
  TempDir dir;
  auto ledger = open_ledger(dir);
  const std::uint64_t top = TokenAmount::max().value();
  ASSERT_TRUE(ledger->apply_genesis({account_of(0, top - 100), validator_of(0, 100)}).has_value());
  auto moved = ledger->apply(transfer(account_of(0, top - 100), account_of(1, 0), 5));
  ASSERT_TRUE(moved.has_value()) << moved.error().to_string();
  EXPECT_EQ(ledger->totals().balances, TokenAmount(top - 100));

  ValidatorRecord slashed = validator_of(0, 50);
  const EvidenceRecord evidence{crypto::sha256(std::string_view("double-sign")), slashed.public_key,
                                Height(3)};
  Transition slash_and_reward{{RecordChange::put(slashed), RecordChange::put(evidence),
                               RecordChange::put(account_of(1, 55))},
                              TokenAmount(50),
                              TokenAmount(50)};
  auto applied = ledger->apply(slash_and_reward);
  ASSERT_TRUE(applied.has_value()) << applied.error().to_string();
  EXPECT_EQ(ledger->totals().balances, TokenAmount(top - 50));
  EXPECT_EQ(ledger->totals().stakes, TokenAmount(50));
  auto audit = ledger->audit(3);
  ASSERT_TRUE(audit.has_value()) << audit.error().to_string();

  // A final total past 64 bits is still refused.
  auto over =
      ledger->apply(Transition{{RecordChange::put(account_of(2, 100))}, TokenAmount(100), {}});
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().code, ErrorCode::kConservation);
}

TEST(LedgerState, EvidenceSlashesOnce) {
  TempDir dir;
  auto ledger = open_ledger(dir);
  ASSERT_TRUE(ledger->apply_genesis(genesis_records(0, 0, 1, 1000)).has_value());
  ValidatorRecord slashed = validator_of(0, 800);
  const EvidenceRecord evidence{crypto::sha256(std::string_view("double-sign")), slashed.public_key,
                                Height(7)};
  Transition slash{{RecordChange::put(slashed), RecordChange::put(evidence)}, {}, TokenAmount(200)};
  ASSERT_TRUE(ledger->apply(slash).has_value());
  EXPECT_TRUE(*ledger->evidence_seen(evidence.evidence_id));
  slashed.stake = Stake(640);
  Transition again{{RecordChange::put(slashed), RecordChange::put(evidence)}, {}, TokenAmount(160)};
  auto refused = ledger->apply(again);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ((*ledger->validator(slashed.public_key))->stake, Stake(800));
  EXPECT_TRUE(ledger->audit(2).has_value());
}

TEST(LedgerState, UnbondingTokensStillCount) {
  TempDir dir;
  auto ledger = open_ledger(dir);
  ASSERT_TRUE(ledger->apply_genesis(genesis_records(0, 0, 1, 1000)).has_value());
  ValidatorRecord leaving = validator_of(0, 400);
  leaving.status = ValidatorStatus::kUnbonding;
  leaving.unbonding = Stake(600);
  leaving.unbonding_until = Height(100);
  ASSERT_TRUE(ledger->apply({{RecordChange::put(leaving)}, {}, {}}).has_value());
  EXPECT_EQ(ledger->totals().stakes, TokenAmount(1000));
}

TEST(LedgerState, RefusesMalformedChanges) {
  TempDir dir;
  auto ledger = open_ledger(dir);
  ASSERT_TRUE(ledger->apply_genesis(genesis_records(1, 100, 0, 0)).has_value());
  const SupplyRecord supply{TokenAmount(1000), {}, {}};
  auto direct = ledger->apply({{RecordChange::put(supply)}, {}, {}});
  ASSERT_FALSE(direct.has_value());
  EXPECT_EQ(direct.error().code, ErrorCode::kInvalidArgument);
  auto misplaced =
      ledger->apply({{RecordChange{account_key(owner(5)), account_of(0, 100)}}, {}, {}});
  ASSERT_FALSE(misplaced.has_value());
  EXPECT_EQ(misplaced.error().code, ErrorCode::kInvalidArgument);
  auto overflow = ledger->apply(
      {{RecordChange::put(account_of(0, 100)), RecordChange::put(account_of(1, ~0ULL))}, {}, {}});
  ASSERT_FALSE(overflow.has_value());
  EXPECT_EQ(overflow.error().code, ErrorCode::kConservation);
  EXPECT_EQ(ledger->tree().latest_version(), 1U);
}

TEST(LedgerState, KindsLiveInSeparateNamespaces) {
  const crypto::PublicKey key = owner(3);
  EXPECT_NE(account_key(key), validator_key(key));
  const Hash256 id(key.array());
  EXPECT_NE(proof_entry_key(id), evidence_key(id));
  EXPECT_NE(account_key(key), evidence_key(id));
  // A record's bytes never decode as another kind.
  const Bytes account = encode_record(account_of(3, 10));
  auto decoded = decode_record(account);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(std::holds_alternative<AccountRecord>(*decoded));
}

// The tree is read-only through the ledger: writes that skip conservation
// do not compile.
static_assert(std::is_same_v<decltype(std::declval<LedgerState&>().tree()), const TreeStore&>);

TEST(LedgerState, AVersionWithoutTotalsIsCorrupt) {
  EXPECT_TRUE(decode_totals(0, {}).has_value());
  EXPECT_EQ(decode_totals(0, {})->balances, TokenAmount(0));
  auto refused = decode_totals(1, {});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kCorrupt);
  TempDir dir;
  {
    auto tree = TreeStore::open(dir.path(), fast_tree_config());
    ASSERT_TRUE(tree.has_value());
    ASSERT_TRUE((*tree)->apply({{testing::test_key(1), bytes_of("not a ledger")}}, {}).has_value());
  }
  auto ledger = LedgerState::open(dir.path(), fast_tree_config(), LedgerConfig{});
  ASSERT_FALSE(ledger.has_value());
  EXPECT_EQ(ledger.error().code, ErrorCode::kCorrupt);
}

TEST(LedgerState, RecordsRoundTripCanonically) {
  ProofEntryRecord entry{crypto::sha256(std::string_view("proof")),
                         judge::Verdict::kProved,
                         WorkUnits(1050),
                         Difficulty(12),
                         Height(4),
                         GhostTag()};
  ValidatorRecord validator = validator_of(1, 5);
  validator.accuracy = AccuracyWindow{0b1011, 4};
  for (const Record& record : std::vector<Record>{account_of(1, 2, 3), validator, entry,
                                                  SupplyRecord{TokenAmount(1), {}, {}},
                                                  EvidenceRecord{Hash256(), owner(1), Height(2)}}) {
    const Bytes bytes = encode_record(record);
    auto decoded = decode_record(bytes);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, record);
    Bytes extended = bytes;
    extended.push_back(0);
    EXPECT_FALSE(decode_record(extended).has_value());
    EXPECT_FALSE(decode_record(ByteView(bytes).first(bytes.size() - 1)).has_value());
  }
}

// Overwrites the stored bytes of one record in RocksDB, as a disk fault or an
// attacker with file access would.
void tamper_stored_record(const TempDir& dir, Version version, const TreeKey& key,
                          const Bytes& forged) {
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir.path().string(), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  const std::string row = layout::value_key(version, key);
  std::string existing;
  ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), row, &existing).ok());
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), row,
                      rocksdb::Slice(reinterpret_cast<const char*>(forged.data()), forged.size()))
                  .ok());
}

// Property: random transfers, rewards and slashes keep the invariant; the
// incremental totals equal a model's and a full audit agrees.
RC_GTEST_PROP(LedgerStateProperty, RandomTransitionsConserve, ()) {
  constexpr std::uint64_t kAccounts = 8;
  constexpr std::uint64_t kValidators = 3;
  const auto steps = *rc::gen::inRange(1, 40 / testing::kScale + 2);
  TempDir dir;
  auto ledger = LedgerState::open(dir.path(), fast_tree_config(), LedgerConfig{TokenAmount(5000)});
  RC_ASSERT(ledger.has_value());
  RC_ASSERT((*ledger)->apply_genesis(genesis_records(kAccounts, 1000, kValidators, 10000)));
  std::vector<AccountRecord> accounts;
  std::vector<ValidatorRecord> validators;
  for (std::uint64_t i = 0; i < kAccounts; ++i) accounts.push_back(account_of(i, 1000));
  for (std::uint64_t i = 0; i < kValidators; ++i) validators.push_back(validator_of(i, 10000));
  std::uint64_t emitted = 0;
  std::uint64_t slashed = 0;
  for (int step = 0; step < steps; ++step) {
    const int kind = *rc::gen::inRange(0, 3);
    Transition transition;
    if (kind == 0) {
      const auto from = *rc::gen::inRange<std::size_t>(0, kAccounts);
      const auto to = *rc::gen::inRange<std::size_t>(0, kAccounts);
      if (from == to) continue;
      const auto amount = *rc::gen::inRange<std::uint64_t>(0, accounts[from].balance.value() + 1);
      transition = transfer(accounts[from], accounts[to], amount);
      accounts[from] = std::get<AccountRecord>(*transition.changes[0].record);
      accounts[to] = std::get<AccountRecord>(*transition.changes[1].record);
    } else if (kind == 1) {
      const auto who = *rc::gen::inRange<std::size_t>(0, kValidators);
      const auto amount = *rc::gen::inRange<std::uint64_t>(0, 200);
      if (emitted + amount > 5000) continue;
      accounts[who].balance += TokenAmount(amount);
      validators[who].rewards_earned += TokenAmount(amount);
      transition = {{RecordChange::put(accounts[who]), RecordChange::put(validators[who])},
                    TokenAmount(amount),
                    {}};
      emitted += amount;
    } else {
      const auto who = *rc::gen::inRange<std::size_t>(0, kValidators);
      const auto amount = validators[who].stake.value() / 20;  // 5%
      validators[who].stake -= Stake(amount);
      transition = {{RecordChange::put(validators[who])}, {}, TokenAmount(amount)};
      slashed += amount;
    }
    auto applied = (*ledger)->apply(transition);
    RC_ASSERT(applied.has_value());
  }
  std::uint64_t balances = 0;
  std::uint64_t stakes = 0;
  for (const auto& account : accounts) balances += account.balance.value();
  for (const auto& validator : validators) stakes += validator.stake.value();
  RC_ASSERT((*ledger)->totals().balances == TokenAmount(balances));
  RC_ASSERT((*ledger)->totals().stakes == TokenAmount(stakes));
  RC_ASSERT(balances + stakes == kAccounts * 1000 + kValidators * 10000 + emitted - slashed);
  auto audit = (*ledger)->audit((*ledger)->tree().latest_version());
  RC_ASSERT(audit.has_value());
}

// Any single tampered record is caught, whether it comes as a transition
// (refused, state unchanged) or is written behind the ledger's back (the audit
// names it). Every record of the state is tried, raised and lowered.
void expect_tampering_caught(std::uint64_t target, std::uint64_t delta, bool raise) {
  constexpr std::uint64_t kAccounts = 6;
  SCOPED_TRACE(::testing::Message() << "record " << target << (raise ? " raised" : " lowered"));
  TempDir dir;
  Record tampered = target < kAccounts ? Record(account_of(target, 1000))
                                       : Record(validator_of(target - kAccounts, 5000));
  if (auto* account = std::get_if<AccountRecord>(&tampered)) {
    account->balance =
        raise ? account->balance + TokenAmount(delta) : account->balance - TokenAmount(delta);
  } else {
    auto& validator = std::get<ValidatorRecord>(tampered);
    validator.stake = raise ? validator.stake + Stake(delta) : validator.stake - Stake(delta);
  }
  {
    auto ledger = open_ledger(dir);
    ASSERT_TRUE(ledger->apply_genesis(genesis_records(kAccounts, 1000, 2, 5000)).has_value());
    const Hash256 root = ledger->tree().latest().root();
    auto refused = ledger->apply({{RecordChange::put(tampered)}, {}, {}});
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, ErrorCode::kConservation);
    EXPECT_EQ(ledger->tree().latest().root(), root);
    EXPECT_EQ(ledger->tree().latest_version(), 1U);
  }
  tamper_stored_record(dir, 1, record_key(tampered), encode_record(tampered));
  auto reopened = open_ledger(dir);
  auto audit = reopened->audit(1);
  ASSERT_FALSE(audit.has_value());
  EXPECT_EQ(audit.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(audit.error().message.find(record_key(tampered).hex()), std::string::npos)
      << audit.error().message;
}

TEST(LedgerState, AnySingleTamperedRecordIsCaught) {
  for (std::uint64_t target = 0; target < 8; ++target) {
    expect_tampering_caught(target, 1 + target * 37, true);
    expect_tampering_caught(target, 1 + target * 37, false);
  }
}

// Property: a transition that changes the tokens of any one record, by any
// amount, without declaring it is refused and leaves the state as it was.
// (The state is shared by every case: a refused transition changes nothing.)
RC_GTEST_PROP(LedgerStateProperty, AnySingleTamperedRecordIsRefused, ()) {
  constexpr std::uint64_t kAccounts = 6;
  constexpr std::uint64_t kValidators = 2;
  static TempDir dir;
  static std::unique_ptr<LedgerState> ledger = [] {
    auto opened = LedgerState::open(dir.path(), fast_tree_config(), LedgerConfig{});
    AETHEL_ASSERT(opened.has_value());
    AETHEL_ASSERT((*opened)->apply_genesis(genesis_records(kAccounts, 1000, kValidators, 5000)));
    return std::move(*opened);
  }();
  const auto target = *rc::gen::inRange<std::uint64_t>(0, kAccounts + kValidators);
  const auto delta = *rc::gen::inRange<std::uint64_t>(1, 1001);
  const bool raise = *rc::gen::arbitrary<bool>();
  const bool unbonding = *rc::gen::arbitrary<bool>();
  Record tampered = target < kAccounts ? Record(account_of(target, 1000))
                                       : Record(validator_of(target - kAccounts, 5000));
  if (auto* account = std::get_if<AccountRecord>(&tampered)) {
    account->balance =
        raise ? account->balance + TokenAmount(delta) : account->balance - TokenAmount(delta);
  } else if (auto& validator = std::get<ValidatorRecord>(tampered); unbonding && raise) {
    validator.unbonding = Stake(delta);
  } else {
    validator.stake = raise ? validator.stake + Stake(delta) : validator.stake - Stake(delta);
  }
  const Hash256 root = ledger->tree().latest().root();
  const LedgerTotals totals = ledger->totals();
  auto refused = ledger->apply({{RecordChange::put(tampered)}, {}, {}});
  RC_ASSERT(!refused.has_value());
  RC_ASSERT(refused.error().code == ErrorCode::kConservation);
  RC_ASSERT(ledger->tree().latest().root() == root);
  RC_ASSERT(ledger->totals() == totals);
  RC_ASSERT(ledger->tree().latest_version() == 1U);
}

}  // namespace
}  // namespace aethel::state
