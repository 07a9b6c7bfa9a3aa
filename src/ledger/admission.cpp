#include "ledger/admission.h"

#include <algorithm>
#include <string>
#include <utility>
#include <variant>

#include "core/assert.h"
#include "consensus/evidence.h"
#include "ledger/executor.h"
#include "fmt/format.h"

namespace aethel::ledger {

struct Admission::Screened {
  Transaction transaction;
  TransactionId id;
  std::size_t encoded_bytes = 0;
  Nonce account_next_nonce;
  std::optional<consensus::Evidence> evidence;  // a SubmitEvidence's, decoded and verified
};

namespace {

unexpected<Refusal> refuse(RefusalReason reason, ErrorCode code, std::string message) {
  return unexpected<Refusal>(Refusal{reason, Error(code, std::move(message))});
}

// What the transaction moves out of the sender's balance besides the fee.
TokenAmount amount_spent(const Payload& payload) {
  if (const auto* transfer = std::get_if<Transfer>(&payload)) return transfer->amount;
  if (const auto* stake = std::get_if<StakeTokens>(&payload)) return stake->amount;
  return TokenAmount(0);
}

// A transfer, stake or unstake of zero tokens, which execution refuses.
bool moves_nothing(const Payload& payload) {
  if (const auto* transfer = std::get_if<Transfer>(&payload)) return transfer->amount.value() == 0;
  if (const auto* stake = std::get_if<StakeTokens>(&payload)) return stake->amount.value() == 0;
  if (const auto* unstake = std::get_if<UnstakeTokens>(&payload)) {
    return unstake->amount.value() == 0;
  }
  return false;
}

std::string value_text(const judge::ModelValue& value) {
  if (const auto* number = std::get_if<std::string>(&value)) return *number;
  if (const auto* flag = std::get_if<bool>(&value)) return *flag ? "true" : "false";
  return "<secret>";
}

std::string unit_label(const judge::UnitResult& unit) {
  return fmt::format("{} {}", unit.kind == judge::UnitKind::kBatch ? "batch" : "intent", unit.name);
}

std::string refutation_text(const Hash256& proof_id, const judge::UnitResult& unit) {
  std::string text = fmt::format("proof {} is REFUTED: {}", proof_id.hex(), unit_label(unit));
  if (unit.reason) text += fmt::format(" fails {}", judge::reason_name(*unit.reason));
  if (unit.failed) text += fmt::format(" at line {}: {}", unit.failed->line, unit.failed->text);
  if (unit.counterexample) {
    text += "; counterexample:";
    for (const auto& entry : *unit.counterexample) {
      text += fmt::format(" {}={}", entry.key, value_text(entry.value));
    }
  }
  if (!unit.note.empty()) text += fmt::format(" ({})", unit.note);
  return text;
}

}  // namespace

const char* refusal_reason_name(RefusalReason reason) noexcept {
  switch (reason) {
    case RefusalReason::kOversize: return "oversize";
    case RefusalReason::kMalformed: return "malformed";
    case RefusalReason::kBadSignature: return "bad_signature";
    case RefusalReason::kStateUnavailable: return "state_unavailable";
    case RefusalReason::kUnknownSender: return "unknown_sender";
    case RefusalReason::kNonceUsed: return "nonce_used";
    case RefusalReason::kNonceTooFar: return "nonce_too_far";
    case RefusalReason::kInsufficientBalance: return "insufficient_balance";
    case RefusalReason::kInvalidProgram: return "invalid_program";
    case RefusalReason::kRefuted: return "refuted";
    case RefusalReason::kUnknownVerdict: return "unknown_verdict";
    case RefusalReason::kUndecided: return "undecided";
    case RefusalReason::kMempool: return "mempool";
    case RefusalReason::kNotExecutable: return "not_executable";
  }
  AETHEL_UNREACHABLE("unknown refusal reason");
}

std::uint64_t AdmissionCounters::refused_total() const noexcept {
  std::uint64_t total = 0;
  for (const auto& [reason, count] : refused) total += count;
  return total;
}

std::uint64_t AdmissionCounters::refused_for(RefusalReason reason) const noexcept {
  const auto found = refused.find(reason);
  return found == refused.end() ? 0 : found->second;
}

std::optional<Refusal> refusal_of(const ProofCheck& check) {
  for (const judge::UnitResult& unit : check.units) {
    if (unit.verdict == judge::Verdict::kRefuted) {
      return Refusal{RefusalReason::kRefuted,
                     Error(ErrorCode::kInvalidArgument, refutation_text(check.proof_id, unit))};
    }
  }
  if (!check.conclusive) {
    for (const judge::UnitResult& unit : check.units) {
      if (!unit.stopped_by_local_limit) continue;
      return Refusal{RefusalReason::kUndecided,
                     Error(ErrorCode::kLimit,
                           fmt::format("proof {} is undecided on this node: {} was stopped by the "
                                       "local time guard ({})",
                                       check.proof_id.hex(), unit_label(unit), unit.note))};
    }
  }
  for (const judge::UnitResult& unit : check.units) {
    if (unit.verdict != judge::Verdict::kUnknown) continue;
    std::string text =
        fmt::format("proof {} is UNKNOWN: {}", check.proof_id.hex(), unit_label(unit));
    if (unit.reason) text += fmt::format(" ({})", judge::reason_name(*unit.reason));
    if (!unit.note.empty()) text += fmt::format(": {}", unit.note);
    text += fmt::format("; work {} of the budget", unit.work);
    return Refusal{RefusalReason::kUnknownVerdict, Error(ErrorCode::kLimit, std::move(text))};
  }
  AETHEL_ASSERT(check.verdict == judge::Verdict::kProved);
  return std::nullopt;
}

Admission::Admission(AdmissionConfig config, const state::LedgerState& state,
                     ProofVerifier& verifier, Mempool& mempool)
    : config_(config), state_(state), verifier_(verifier), mempool_(mempool) {}

expected<Admission::Screened, Refusal> Admission::screen(ByteView encoded) const {
  if (encoded.size() > config_.max_transaction_bytes) {
    return refuse(RefusalReason::kOversize, ErrorCode::kOversize,
                  fmt::format("transaction of {} bytes exceeds the limit of {} bytes",
                              encoded.size(), config_.max_transaction_bytes));
  }
  auto decoded = decode_transaction(encoded);
  if (!decoded) {
    return unexpected<Refusal>(Refusal{RefusalReason::kMalformed, std::move(decoded.error())});
  }
  Screened screened{std::move(*decoded), TransactionId{}, encoded.size(), Nonce(0), std::nullopt};
  const Transaction& transaction = screened.transaction;
  if (auto signed_ok = verify_transaction_signature(config_.chain_id, transaction); !signed_ok) {
    return unexpected<Refusal>(Refusal{RefusalReason::kBadSignature, std::move(signed_ok.error())});
  }
  screened.id = transaction_id(config_.chain_id, transaction);

  auto account = state_.account(transaction.sender.key);
  if (!account) {
    return unexpected<Refusal>(
        Refusal{RefusalReason::kStateUnavailable, std::move(account.error())});
  }
  if (!account->has_value()) {
    return refuse(RefusalReason::kUnknownSender, ErrorCode::kNotFound,
                  fmt::format("sender {} has no account", transaction.sender.key.hex()));
  }
  const TokenAmount balance = (*account)->balance;
  const Nonce next = (*account)->nonce;
  screened.account_next_nonce = next;

  if (transaction.nonce.value() < next.value()) {
    return refuse(RefusalReason::kNonceUsed, ErrorCode::kInvalidArgument,
                  fmt::format("nonce {} is already used: the account's next nonce is {}",
                              transaction.nonce.value(), next.value()));
  }
  const std::uint64_t window = mempool_.limits().max_per_sender;
  if (transaction.nonce.value() - next.value() >= window) {
    return refuse(RefusalReason::kNonceTooFar, ErrorCode::kLimit,
                  fmt::format("nonce {} is too far ahead: the account's next nonce is {} and at "
                              "most {} may wait",
                              transaction.nonce.value(), next.value(), window));
  }
  if (moves_nothing(transaction.payload)) {
    return refuse(RefusalReason::kNotExecutable, ErrorCode::kInvalidArgument,
                  fmt::format("a {} of zero tokens does nothing",
                              payload_kind_name(payload_kind(transaction.payload))));
  }
  if (auto unstake = check_unstake(transaction); !unstake) {
    return unexpected<Refusal>(std::move(unstake.error()));
  }
  auto evidence = decode_evidence_of(transaction);
  if (!evidence) return unexpected<Refusal>(std::move(evidence.error()));
  screened.evidence = std::move(*evidence);
  const TokenAmount spent = amount_spent(transaction.payload);
  const auto cost = transaction.fee.checked_add(spent);
  if (!cost || *cost > balance) {
    return refuse(RefusalReason::kInsufficientBalance, ErrorCode::kInvalidArgument,
                  fmt::format("fee {} plus amount {} exceeds the balance of {}",
                              transaction.fee.value(), spent.value(), balance.value()));
  }
  return screened;
}

// The checks of unstake_tokens that committed state decides: the stake it
// takes must be there, and a member of the consensus set keeps what the set
// counts for it. (A pending stake of the sender's could change the first;
// the sender can send the unstake after it commits.)
expected<void, Refusal> Admission::check_unstake(const Transaction& transaction) const {
  const auto* unstake = std::get_if<UnstakeTokens>(&transaction.payload);
  if (unstake == nullptr) return {};
  auto validator = state_.validator(transaction.sender.key);
  if (!validator) {
    return unexpected<Refusal>(Refusal{RefusalReason::kStateUnavailable, std::move(validator.error())});
  }
  const Stake held = *validator ? (**validator).stake : Stake::zero();
  Stake kept = Stake::zero();
  if (config_.validators != nullptr) {
    if (const auto member = config_.validators->index_of(transaction.sender.key)) {
      kept = ledger_stake_of(config_.validators->at(*member).stake, config_.consensus_stake_unit);
    }
  }
  const Stake requested(unstake->amount.value());
  if (requested > held || held - requested < kept) {
    return refuse(RefusalReason::kNotExecutable, ErrorCode::kInvalidArgument,
                  fmt::format("unstake of {} from a stake of {} that must keep {}",
                              requested.value(), held.value(), kept.value()));
  }
  return {};
}

// Evidence that does not decode or whose signatures do not verify is
// refused before the program it carries costs a judge run; what decodes is
// kept for the rest of the checks.
expected<std::optional<consensus::Evidence>, Refusal> Admission::decode_evidence_of(
    const Transaction& transaction) const {
  const auto* evidence = std::get_if<SubmitEvidence>(&transaction.payload);
  if (evidence == nullptr) return std::optional<consensus::Evidence>();
  if (config_.validators == nullptr) {
    return refuse(RefusalReason::kNotExecutable, ErrorCode::kInvalidArgument,
                  "evidence: this node has no validator set to check it against");
  }
  auto decoded = decode_verified_evidence(config_.chain_id, *config_.validators, *evidence);
  if (!decoded) {
    return refuse(RefusalReason::kNotExecutable, decoded.error().code,
                  "evidence: " + decoded.error().message);
  }
  return std::optional<consensus::Evidence>(std::move(*decoded));
}

expected<void, Refusal> Admission::check_proof_entry(const ProofCheck& check,
                                                     PendingTransaction& entry) const {
  if (auto refusal = refusal_of(check)) return unexpected<Refusal>(std::move(*refusal));
  auto registered = state_.read(state::proof_entry_key(check.proof_id));
  if (!registered) {
    return unexpected<Refusal>(
        Refusal{RefusalReason::kStateUnavailable, std::move(registered.error())});
  }
  if (registered->has_value()) {
    return refuse(RefusalReason::kNotExecutable, ErrorCode::kInvalidArgument,
                  fmt::format("proof {} is already registered", check.proof_id.hex()));
  }
  entry.difficulty = check.difficulty;
  entry.work = check.work;
  entry.single_use_key = check.proof_id;
  return {};
}

expected<void, Refusal> Admission::check_evidence_entry(
    const consensus::Evidence& evidence, const SubmitEvidence& submission,
    const std::optional<Result<ProofCheck>>& check, PendingTransaction& entry) const {
  VerifiedProofs proofs;
  if (check) {
    if (!*check) return unexpected<Refusal>(Refusal{RefusalReason::kInvalidProgram, check->error()});
    const ProofCheck& outcome = **check;
    if (!outcome.conclusive) {
      return refuse(RefusalReason::kUndecided, ErrorCode::kLimit,
                    fmt::format("evidence: proof {} is undecided on this node (local time guard)",
                                outcome.proof_id.hex()));
    }
    proofs.emplace(outcome.proof_id, VerifiedProof{outcome.proof_id, outcome.verdict,
                                                   outcome.work, outcome.difficulty});
    entry.work = outcome.work;
  }
  auto checked = check_verified_evidence(*config_.validators, evidence, submission, proofs);
  if (!checked) {
    return refuse(RefusalReason::kNotExecutable, checked.error().code,
                  "evidence: " + checked.error().message);
  }
  const Height next = executed_.next();
  if (evidence_expired(checked->act_height, next, config_.evidence_max_age)) {
    return refuse(RefusalReason::kNotExecutable, ErrorCode::kInvalidArgument,
                  fmt::format("evidence: the act at height {} is too old for height {} (evidence "
                              "is accepted for {} blocks)",
                              checked->act_height.value(), next.value(), config_.evidence_max_age));
  }
  auto seen = state_.evidence_seen(checked->offence_id);
  if (!seen) {
    return unexpected<Refusal>(Refusal{RefusalReason::kStateUnavailable, std::move(seen.error())});
  }
  if (*seen) {
    return refuse(RefusalReason::kNotExecutable, ErrorCode::kInvalidArgument,
                  fmt::format("evidence: offence {} was already acted on",
                              checked->offence_id.hex()));
  }
  entry.single_use_key = checked->offence_id;
  return {};
}

AdmissionOutcome Admission::enter_mempool(Screened screened,
                                          std::optional<Result<ProofCheck>> check) {
  AdmissionReceipt receipt;
  receipt.transaction_id = screened.id;
  receipt.kind = payload_kind(screened.transaction.payload);
  PendingTransaction entry{std::move(screened.transaction), screened.id, screened.encoded_bytes,
                           Difficulty(0), WorkUnits(0), std::nullopt};
  if (const auto* evidence = std::get_if<SubmitEvidence>(&entry.transaction.payload)) {
    AETHEL_ASSERT(screened.evidence.has_value());
    if (auto checked = check_evidence_entry(*screened.evidence, *evidence, check, entry);
        !checked) {
      return unexpected<Refusal>(std::move(checked.error()));
    }
  } else if (check) {
    if (!*check) return unexpected<Refusal>(Refusal{RefusalReason::kInvalidProgram, check->error()});
    if (auto checked = check_proof_entry(**check, entry); !checked) {
      return unexpected<Refusal>(std::move(checked.error()));
    }
    receipt.proof_id = (*check)->proof_id;
    receipt.verdict = (*check)->verdict;
    receipt.work = (*check)->work;
    receipt.difficulty = (*check)->difficulty;
  }
  auto added = mempool_.add(std::move(entry), screened.account_next_nonce);
  if (!added) {
    return unexpected<Refusal>(Refusal{RefusalReason::kMempool, std::move(added.error())});
  }
  receipt.evicted = std::move(added->evicted);
  return receipt;
}

AdmissionOutcome Admission::counted(AdmissionOutcome outcome) {
  if (outcome) {
    ++counters_.admitted;
  } else {
    ++counters_.refused[outcome.error().reason];
  }
  return outcome;
}

AdmissionOutcome Admission::admit(ByteView encoded_transaction) {
  const ByteView one[] = {encoded_transaction};
  return std::move(admit_batch(one).front());
}

std::vector<AdmissionOutcome> Admission::admit_batch(
    std::span<const ByteView> encoded_transactions) {
  std::vector<std::optional<expected<Screened, Refusal>>> screened(encoded_transactions.size());
  std::vector<const SubmitProof*> proofs;
  std::vector<std::size_t> proof_owner;  // index of the transaction carrying proofs[k]
  for (std::size_t i = 0; i < encoded_transactions.size(); ++i) {
    screened[i].emplace(screen(encoded_transactions[i]));
    if (!*screened[i]) continue;
    const Payload& payload = (*screened[i])->transaction.payload;
    const SubmitProof* program = nullptr;
    if (const auto* proof = std::get_if<SubmitProof>(&payload)) program = proof;
    if (const auto* evidence = std::get_if<SubmitEvidence>(&payload)) {
      if (evidence->proof) program = &*evidence->proof;
    }
    if (program != nullptr) {
      proofs.push_back(program);
      proof_owner.push_back(i);
    }
  }
  std::vector<std::optional<Result<ProofCheck>>> checks(encoded_transactions.size());
  if (!proofs.empty()) {
    auto outcomes = verifier_.verify(proofs);
    for (std::size_t k = 0; k < outcomes.size(); ++k) {
      checks[proof_owner[k]].emplace(std::move(outcomes[k]));
    }
  }
  std::vector<AdmissionOutcome> results;
  results.reserve(encoded_transactions.size());
  for (std::size_t i = 0; i < encoded_transactions.size(); ++i) {
    if (!*screened[i]) {
      results.push_back(counted(unexpected<Refusal>(std::move(screened[i]->error()))));
      continue;
    }
    results.push_back(counted(enter_mempool(std::move(**screened[i]), std::move(checks[i]))));
  }
  return results;
}

Result<AdmissionReceipt> Admission::submit(ByteView encoded_transaction) {
  auto outcome = admit(encoded_transaction);
  if (!outcome) return unexpected<Error>(std::move(outcome.error().error));
  return std::move(*outcome);
}

std::vector<Result<AdmissionReceipt>> Admission::submit_batch(
    std::span<const ByteView> encoded_transactions) {
  std::vector<Result<AdmissionReceipt>> results;
  for (auto& outcome : admit_batch(encoded_transactions)) {
    if (outcome) {
      results.emplace_back(std::move(*outcome));
    } else {
      results.emplace_back(unexpected<Error>(std::move(outcome.error().error)));
    }
  }
  return results;
}

}  // namespace aethel::ledger
