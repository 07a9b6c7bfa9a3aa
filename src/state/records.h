// Typed ledger records stored as leaves of the state tree.
//
// Each kind lives in its own key namespace: a record's tree key is
// SHA-256(namespace byte || logical key), so an account and a validator with
// the same public key occupy different leaves and kinds can never collide.
// A stored record starts with an envelope {format version, type tag} naming
// its kind, then its logical key, then its fields in the canonical encoding
// of core/encoding.h, so a value of one kind never decodes as another and an
// audit can check that each leaf sits at the key its content names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/types.h"
#include "crypto/ed25519.h"
#include "judge/verdict.h"
#include "state/hashing.h"

namespace aethel::state {

enum class RecordKind : std::uint8_t {
  kAccount = 1,
  kValidator = 2,
  kProofEntry = 3,
  kSupply = 4,
  kEvidence = 5,
  kPendingReward = 6,
  kUnbondingQueue = 7,
};

struct AccountRecord {
  crypto::PublicKey owner;
  TokenAmount balance;
  Nonce nonce;
  friend bool operator==(const AccountRecord&, const AccountRecord&) = default;
};

enum class ValidatorStatus : std::uint8_t { kActive = 0, kUnbonding = 1, kExited = 2 };

// The outcomes of a validator's most recent verifications (bit 0 the newest,
// set when its verdict agreed with the final one), at most 64 of them.
struct AccuracyWindow {
  std::uint64_t outcomes = 0;
  std::uint8_t count = 0;
  friend bool operator==(const AccuracyWindow&, const AccuracyWindow&) = default;
};

struct ValidatorRecord {
  crypto::PublicKey public_key;
  Stake stake;
  ValidatorStatus status = ValidatorStatus::kActive;
  Stake unbonding;             // leaving the stake, still held (and slashable)
  Height unbonding_until;      // height at which `unbonding` returns to the balance
  TokenAmount rewards_earned;  // a statistic: rewards are paid into the account
  AccuracyWindow accuracy;
  friend bool operator==(const ValidatorRecord&, const ValidatorRecord&) = default;
};

struct GhostTagTag;
// The linkable tag of a ring-signed (ghost identity) submission.
using GhostTag = FixedBytes<GhostTagTag, 32>;
using Submitter = std::variant<crypto::PublicKey, GhostTag>;

struct ProofEntryRecord {
  Hash256 proof_id;
  judge::Verdict verdict = judge::Verdict::kUnknown;
  WorkUnits work;
  Difficulty difficulty;
  Height height;
  Submitter submitter;
  friend bool operator==(const ProofEntryRecord&, const ProofEntryRecord&) = default;
};

struct SupplyRecord {
  TokenAmount genesis;
  TokenAmount emitted;
  TokenAmount slashed;
  friend bool operator==(const SupplyRecord&, const SupplyRecord&) = default;
};

// Evidence of a Byzantine act that has been acted on, so it slashes once.
struct EvidenceRecord {
  Hash256 evidence_id;
  crypto::PublicKey offender;
  Height height;
  friend bool operator==(const EvidenceRecord&, const EvidenceRecord&) = default;
};

// What a block at `height` owes its validators, held until the next block
// carries the block's agreed commit certificate and pays it out: the fees
// its transactions paid (held here, so they count as held balance and
// conservation holds in between) and the total difficulty that sets its
// emission. One record at one key, replaced by every block.
struct PendingRewardRecord {
  Height height;
  crypto::PublicKey proposer;
  Difficulty total_difficulty;
  TokenAmount fees;
  friend bool operator==(const PendingRewardRecord&, const PendingRewardRecord&) = default;
};

// Owners whose unbonding stake is due back at `release_height`, in strictly
// increasing key order, so that releasing costs a read of one record per
// block instead of a scan of every validator.
struct UnbondingQueueRecord {
  Height release_height;
  std::vector<crypto::PublicKey> owners;
  friend bool operator==(const UnbondingQueueRecord&, const UnbondingQueueRecord&) = default;
};

// Most owners one unbonding queue record may hold when decoded.
inline constexpr std::size_t kMaxUnbondingQueueOwners = 1u << 20;

using Record = std::variant<AccountRecord, ValidatorRecord, ProofEntryRecord, SupplyRecord,
                            EvidenceRecord, PendingRewardRecord, UnbondingQueueRecord>;

RecordKind record_kind(const Record& record) noexcept;
const char* record_kind_name(RecordKind kind) noexcept;

TreeKey account_key(const crypto::PublicKey& owner);
TreeKey validator_key(const crypto::PublicKey& public_key);
TreeKey proof_entry_key(const Hash256& proof_id);
TreeKey supply_key();
TreeKey evidence_key(const Hash256& evidence_id);
TreeKey pending_reward_key();
TreeKey unbonding_queue_key(Height release_height);
// The tree key a record is stored under.
TreeKey record_key(const Record& record);

Bytes encode_record(const Record& record);
// Refuses (naming field and offset) bytes that are not one canonical record.
Result<Record> decode_record(ByteView bytes);

// Tokens a record holds: an account's balance or a pending reward's fees
// (balances), a validator's stake plus its unbonding amount (stakes), nothing
// for other kinds. nullopt when the sum overflows.
std::optional<TokenAmount> balance_held(const Record& record) noexcept;
std::optional<TokenAmount> stake_held(const Record& record) noexcept;

}  // namespace aethel::state
