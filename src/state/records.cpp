#include "state/records.h"

#include <array>

#include "core/encoding.h"
#include "crypto/sha256.h"
#include "fmt/format.h"
#include "state/proof.h"

namespace aethel::state {
namespace {

constexpr std::uint8_t kRecordTagBase = 0x60;
constexpr std::uint8_t kSubmitterKey = 0;
constexpr std::uint8_t kSubmitterGhost = 1;

std::uint8_t type_tag(RecordKind kind) {
  return static_cast<std::uint8_t>(kRecordTagBase + static_cast<std::uint8_t>(kind));
}

TreeKey namespaced_key(RecordKind kind, ByteView logical_key) {
  crypto::Sha256Hasher hasher;
  const std::array<std::uint8_t, 1> space{static_cast<std::uint8_t>(kind)};
  return hasher.update(ByteView(space)).update(logical_key).finish();
}

void put_fields(Encoder& encoder, const AccountRecord& record) {
  encoder.put_fixed(record.owner).put_strong(record.balance).put_strong(record.nonce);
}
void put_fields(Encoder& encoder, const ValidatorRecord& record) {
  encoder.put_fixed(record.public_key)
      .put_strong(record.stake)
      .put_u8(static_cast<std::uint8_t>(record.status))
      .put_strong(record.unbonding)
      .put_strong(record.unbonding_until)
      .put_strong(record.rewards_earned)
      .put_u64(record.accuracy.outcomes)
      .put_u8(record.accuracy.count);
}
void put_fields(Encoder& encoder, const ProofEntryRecord& record) {
  encoder.put_fixed(record.proof_id)
      .put_u8(static_cast<std::uint8_t>(record.verdict))
      .put_strong(record.work)
      .put_strong(record.difficulty)
      .put_strong(record.height);
  if (const auto* key = std::get_if<crypto::PublicKey>(&record.submitter)) {
    encoder.put_u8(kSubmitterKey).put_fixed(*key);
  } else {
    encoder.put_u8(kSubmitterGhost).put_fixed(std::get<GhostTag>(record.submitter));
  }
}
void put_fields(Encoder& encoder, const SupplyRecord& record) {
  encoder.put_strong(record.genesis).put_strong(record.emitted).put_strong(record.slashed);
}
void put_fields(Encoder& encoder, const EvidenceRecord& record) {
  encoder.put_fixed(record.evidence_id).put_fixed(record.offender).put_strong(record.height);
}
void put_fields(Encoder& encoder, const PendingRewardRecord& record) {
  encoder.put_strong(record.height)
      .put_fixed(record.proposer)
      .put_strong(record.total_difficulty)
      .put_strong(record.fees);
}
void put_fields(Encoder& encoder, const UnbondingQueueRecord& record) {
  encoder.put_strong(record.release_height);
  encoder.put_vector(record.owners,
                     [](Encoder& out, const crypto::PublicKey& owner) { out.put_fixed(owner); });
}

// Reads one field into `out`, or returns its error from the enclosing function.
#define AETHEL_READ(out, expression)                                            \
  do {                                                                          \
    auto read_result = (expression);                                            \
    if (!read_result) return unexpected<Error>(std::move(read_result).error()); \
    out = *read_result;                                                         \
  } while (false)

Result<AccountRecord> read_account(Decoder& decoder) {
  AccountRecord record;
  AETHEL_READ(record.owner, decoder.read_fixed<crypto::PublicKey>("account.owner"));
  AETHEL_READ(record.balance, decoder.read_strong<TokenAmount>("account.balance"));
  AETHEL_READ(record.nonce, decoder.read_strong<Nonce>("account.nonce"));
  return record;
}

Result<ValidatorRecord> read_validator(Decoder& decoder) {
  ValidatorRecord record;
  AETHEL_READ(record.public_key, decoder.read_fixed<crypto::PublicKey>("validator.public_key"));
  AETHEL_READ(record.stake, decoder.read_strong<Stake>("validator.stake"));
  std::uint8_t status = 0;
  AETHEL_READ(status, decoder.read_u8("validator.status"));
  if (status > static_cast<std::uint8_t>(ValidatorStatus::kExited)) {
    return fail(ErrorCode::kBadTag, fmt::format("validator.status has unknown value {} (offset {})",
                                                status, decoder.offset() - 1));
  }
  record.status = static_cast<ValidatorStatus>(status);
  AETHEL_READ(record.unbonding, decoder.read_strong<Stake>("validator.unbonding"));
  AETHEL_READ(record.unbonding_until, decoder.read_strong<Height>("validator.unbonding_until"));
  AETHEL_READ(record.rewards_earned, decoder.read_strong<TokenAmount>("validator.rewards_earned"));
  AETHEL_READ(record.accuracy.outcomes, decoder.read_u64("validator.accuracy.outcomes"));
  AETHEL_READ(record.accuracy.count, decoder.read_u8("validator.accuracy.count"));
  if (record.accuracy.count > 64 ||
      (record.accuracy.count < 64 && (record.accuracy.outcomes >> record.accuracy.count) != 0)) {
    return fail(ErrorCode::kNonCanonical,
                fmt::format("validator.accuracy holds outcomes beyond its count {} (offset {})",
                            record.accuracy.count, decoder.offset() - 1));
  }
  return record;
}

Result<ProofEntryRecord> read_proof_entry(Decoder& decoder) {
  ProofEntryRecord record;
  AETHEL_READ(record.proof_id, decoder.read_fixed<Hash256>("proof_entry.proof_id"));
  std::uint8_t verdict = 0;
  AETHEL_READ(verdict, decoder.read_u8("proof_entry.verdict"));
  if (verdict > static_cast<std::uint8_t>(judge::Verdict::kUnknown)) {
    return fail(ErrorCode::kBadTag, fmt::format("proof_entry.verdict has unknown value {} "
                                                "(offset {})",
                                                verdict, decoder.offset() - 1));
  }
  record.verdict = static_cast<judge::Verdict>(verdict);
  AETHEL_READ(record.work, decoder.read_strong<WorkUnits>("proof_entry.work"));
  AETHEL_READ(record.difficulty, decoder.read_strong<Difficulty>("proof_entry.difficulty"));
  AETHEL_READ(record.height, decoder.read_strong<Height>("proof_entry.height"));
  std::uint8_t submitter = 0;
  AETHEL_READ(submitter, decoder.read_u8("proof_entry.submitter_kind"));
  if (submitter == kSubmitterKey) {
    crypto::PublicKey key;
    AETHEL_READ(key, decoder.read_fixed<crypto::PublicKey>("proof_entry.submitter_key"));
    record.submitter = key;
  } else if (submitter == kSubmitterGhost) {
    GhostTag tag;
    AETHEL_READ(tag, decoder.read_fixed<GhostTag>("proof_entry.ghost_tag"));
    record.submitter = tag;
  } else {
    return fail(ErrorCode::kBadTag, fmt::format("proof_entry.submitter_kind has unknown value {} "
                                                "(offset {})",
                                                submitter, decoder.offset() - 1));
  }
  return record;
}

Result<SupplyRecord> read_supply(Decoder& decoder) {
  SupplyRecord record;
  AETHEL_READ(record.genesis, decoder.read_strong<TokenAmount>("supply.genesis"));
  AETHEL_READ(record.emitted, decoder.read_strong<TokenAmount>("supply.emitted"));
  AETHEL_READ(record.slashed, decoder.read_strong<TokenAmount>("supply.slashed"));
  return record;
}

Result<EvidenceRecord> read_evidence(Decoder& decoder) {
  EvidenceRecord record;
  AETHEL_READ(record.evidence_id, decoder.read_fixed<Hash256>("evidence.evidence_id"));
  AETHEL_READ(record.offender, decoder.read_fixed<crypto::PublicKey>("evidence.offender"));
  AETHEL_READ(record.height, decoder.read_strong<Height>("evidence.height"));
  return record;
}

Result<PendingRewardRecord> read_pending_reward(Decoder& decoder) {
  PendingRewardRecord record;
  AETHEL_READ(record.height, decoder.read_strong<Height>("pending_reward.height"));
  AETHEL_READ(record.proposer, decoder.read_fixed<crypto::PublicKey>("pending_reward.proposer"));
  AETHEL_READ(record.total_difficulty,
              decoder.read_strong<Difficulty>("pending_reward.total_difficulty"));
  AETHEL_READ(record.fees, decoder.read_strong<TokenAmount>("pending_reward.fees"));
  return record;
}

Result<UnbondingQueueRecord> read_unbonding_queue(Decoder& decoder) {
  UnbondingQueueRecord record;
  AETHEL_READ(record.release_height, decoder.read_strong<Height>("unbonding_queue.release_height"));
  AETHEL_READ(record.owners, decoder.read_vector("unbonding_queue.owners", kMaxUnbondingQueueOwners,
                                                 crypto::PublicKey::kSize, [](Decoder& d) {
                                                   return d.read_fixed<crypto::PublicKey>("owner");
                                                 }));
  for (std::size_t i = 1; i < record.owners.size(); ++i) {
    if (!(record.owners[i - 1] < record.owners[i])) {
      return fail(ErrorCode::kNonCanonical,
                  fmt::format("unbonding_queue.owners[{}] is not above the owner before it "
                              "(offset {})",
                              i, decoder.offset()));
    }
  }
  return record;
}

#undef AETHEL_READ

template <class T, class ReadFields>
Result<Record> read_as_record(Decoder& decoder, ReadFields read_fields) {
  Result<T> record = read_fields(decoder);
  if (!record) return unexpected<Error>(std::move(record).error());
  return Record(std::move(*record));
}

Result<Record> read_record(Decoder& decoder) {
  static constexpr std::array<std::uint8_t, 1> kVersions{kStateFormatVersion};
  static constexpr std::array<std::uint8_t, 7> kTags{
      kRecordTagBase + 1, kRecordTagBase + 2, kRecordTagBase + 3, kRecordTagBase + 4,
      kRecordTagBase + 5, kRecordTagBase + 6, kRecordTagBase + 7};
  auto header = decoder.read_envelope(kVersions, kTags);
  if (!header) return unexpected<Error>(std::move(header).error());
  switch (static_cast<RecordKind>(header->type_tag - kRecordTagBase)) {
    case RecordKind::kAccount: return read_as_record<AccountRecord>(decoder, read_account);
    case RecordKind::kValidator: return read_as_record<ValidatorRecord>(decoder, read_validator);
    case RecordKind::kProofEntry:
      return read_as_record<ProofEntryRecord>(decoder, read_proof_entry);
    case RecordKind::kSupply: return read_as_record<SupplyRecord>(decoder, read_supply);
    case RecordKind::kEvidence: return read_as_record<EvidenceRecord>(decoder, read_evidence);
    case RecordKind::kPendingReward:
      return read_as_record<PendingRewardRecord>(decoder, read_pending_reward);
    case RecordKind::kUnbondingQueue:
      return read_as_record<UnbondingQueueRecord>(decoder, read_unbonding_queue);
  }
  AETHEL_UNREACHABLE("read_envelope accepts only known record tags");
}

}  // namespace

RecordKind record_kind(const Record& record) noexcept {
  return static_cast<RecordKind>(record.index() + 1);
}

const char* record_kind_name(RecordKind kind) noexcept {
  switch (kind) {
    case RecordKind::kAccount: return "account";
    case RecordKind::kValidator: return "validator";
    case RecordKind::kProofEntry: return "proof entry";
    case RecordKind::kSupply: return "supply";
    case RecordKind::kEvidence: return "evidence";
    case RecordKind::kPendingReward: return "pending reward";
    case RecordKind::kUnbondingQueue: return "unbonding queue";
  }
  return "unknown";
}

TreeKey account_key(const crypto::PublicKey& owner) {
  return namespaced_key(RecordKind::kAccount, owner.view());
}
TreeKey validator_key(const crypto::PublicKey& public_key) {
  return namespaced_key(RecordKind::kValidator, public_key.view());
}
TreeKey proof_entry_key(const Hash256& proof_id) {
  return namespaced_key(RecordKind::kProofEntry, proof_id.view());
}
TreeKey supply_key() {
  return namespaced_key(RecordKind::kSupply, ByteView());
}
TreeKey evidence_key(const Hash256& evidence_id) {
  return namespaced_key(RecordKind::kEvidence, evidence_id.view());
}

TreeKey pending_reward_key() {
  return namespaced_key(RecordKind::kPendingReward, ByteView());
}
TreeKey unbonding_queue_key(Height release_height) {
  Encoder encoder;
  encoder.put_strong(release_height);
  return namespaced_key(RecordKind::kUnbondingQueue, encoder.bytes());
}

TreeKey record_key(const Record& record) {
  struct KeyOf {
    TreeKey operator()(const AccountRecord& r) const { return account_key(r.owner); }
    TreeKey operator()(const ValidatorRecord& r) const { return validator_key(r.public_key); }
    TreeKey operator()(const ProofEntryRecord& r) const { return proof_entry_key(r.proof_id); }
    TreeKey operator()(const SupplyRecord&) const { return supply_key(); }
    TreeKey operator()(const EvidenceRecord& r) const { return evidence_key(r.evidence_id); }
    TreeKey operator()(const PendingRewardRecord&) const { return pending_reward_key(); }
    TreeKey operator()(const UnbondingQueueRecord& r) const {
      return unbonding_queue_key(r.release_height);
    }
  };
  return std::visit(KeyOf{}, record);
}

Bytes encode_record(const Record& record) {
  Encoder encoder;
  encoder.put_envelope({kStateFormatVersion, type_tag(record_kind(record))});
  std::visit([&encoder](const auto& typed) { put_fields(encoder, typed); }, record);
  return std::move(encoder).take();
}

Result<Record> decode_record(ByteView bytes) {
  return decode_whole(bytes, read_record);
}

std::optional<TokenAmount> balance_held(const Record& record) noexcept {
  if (const auto* account = std::get_if<AccountRecord>(&record)) return account->balance;
  if (const auto* pending = std::get_if<PendingRewardRecord>(&record)) return pending->fees;
  return TokenAmount::zero();
}

std::optional<TokenAmount> stake_held(const Record& record) noexcept {
  const auto* validator = std::get_if<ValidatorRecord>(&record);
  if (validator == nullptr) return TokenAmount::zero();
  const auto total = validator->stake.checked_add(validator->unbonding);
  if (!total) return std::nullopt;
  return TokenAmount(total->value());
}

}  // namespace aethel::state
