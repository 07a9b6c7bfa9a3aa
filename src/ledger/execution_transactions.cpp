// Step (c): each transaction pays its fee and uses its nonce first, then its
// payload executes. Every refusal names the transaction index and kind.
#include <string>
#include <variant>

#include "core/try.h"
#include "judge/verdict.h"
#include "ledger/execution_steps.h"

namespace aethel::ledger {
namespace {

// Tokens the payload moves out of the sender's balance besides the fee.
TokenAmount spent_by(const Payload& payload) {
  if (const auto* transfer = std::get_if<Transfer>(&payload)) return transfer->amount;
  if (const auto* stake = std::get_if<StakeTokens>(&payload)) return stake->amount;
  return TokenAmount::zero();
}

Result<void> check_signature(BlockRun& run, const Transaction& transaction) {
  const bool valid = run.checker.verify_signature(
      transaction.sender.key, transaction_signing_domain(transaction.payload),
      signing_bytes(run.params.chain_id, transaction), transaction.sender.signature);
  if (!valid) return fail(ErrorCode::kBadSignature, "signature does not verify");
  return {};
}

// Fee and nonce: the nonce must be exactly the account's next one and the
// balance must cover the fee plus what the payload spends.
Result<void> charge_fee(BlockRun& run, const Transaction& transaction) {
  std::optional<state::AccountRecord> account;
  AETHEL_TRY_ASSIGN(account, run.working.account(transaction.sender.key));
  if (!account) return refuse("unknown sender " + transaction.sender.key.hex());
  if (transaction.nonce != account->nonce) {
    return refuse("nonce " + to_string(transaction.nonce) + ", but the account's next nonce is " +
                  to_string(account->nonce));
  }
  const auto cost = transaction.fee.checked_add(spent_by(transaction.payload));
  if (!cost || *cost > account->balance) {
    return refuse("balance " + to_string(account->balance) + " does not cover fee " +
                  to_string(transaction.fee) + " plus amount " +
                  to_string(spent_by(transaction.payload)));
  }
  const auto fees = run.plan.fees.checked_add(transaction.fee);
  const auto next_nonce = account->nonce.checked_next();
  if (!fees || !next_nonce) return fail(ErrorCode::kLimit, "fees or nonce overflow 64 bits");
  account->balance -= transaction.fee;
  account->nonce = *next_nonce;
  run.working.put(*account);
  run.plan.fees = *fees;
  return {};
}

Result<void> transfer(BlockRun& run, const crypto::PublicKey& sender, const Transfer& body) {
  // It would move nothing, yet create the recipient's account.
  if (body.amount.value() == 0) return refuse("transfer of zero tokens");
  state::AccountRecord from;
  AETHEL_TRY_ASSIGN(from, run.working.account_or_new(sender));
  from.balance -= body.amount;  // charge_fee checked the balance covers it
  run.working.put(from);
  state::AccountRecord to;
  AETHEL_TRY_ASSIGN(to, run.working.account_or_new(body.to));
  const auto balance = to.balance.checked_add(body.amount);
  if (!balance) return fail(ErrorCode::kLimit, "recipient balance overflows 64 bits");
  to.balance = *balance;
  run.working.put(to);
  return {};
}

Result<void> register_proof(BlockRun& run, const crypto::PublicKey& sender,
                            const SubmitProof& body) {
  const Hash256 id = proof_id(body);
  const auto outcome = run.proofs.find(id);
  if (outcome == run.proofs.end() || outcome->second.proof_id != id) {
    return fail(ErrorCode::kNotFound, "proof " + id.hex() + " has no verified outcome");
  }
  const VerifiedProof& verified = outcome->second;
  if (verified.verdict != judge::Verdict::kProved) {
    return refuse("proof " + id.hex() + " is " + judge::verdict_name(verified.verdict) +
                  ", not PROVED");
  }
  bool registered = false;
  AETHEL_TRY_ASSIGN(registered, run.working.contains(state::proof_entry_key(id)));
  if (registered) return refuse("proof " + id.hex() + " is already registered");
  const auto difficulty = run.plan.total_difficulty.checked_add(verified.difficulty);
  if (!difficulty) return fail(ErrorCode::kLimit, "block difficulty overflows 64 bits");
  run.working.put(state::ProofEntryRecord{id, verified.verdict, verified.work, verified.difficulty,
                                          run.context.height, sender});
  run.plan.total_difficulty = *difficulty;
  ++run.plan.proofs_registered;
  return {};
}

Result<void> execute_payload(BlockRun& run, std::size_t index, const Transaction& transaction) {
  const crypto::PublicKey& sender = transaction.sender.key;
  const Payload& payload = transaction.payload;
  if (const auto* body = std::get_if<Transfer>(&payload)) return transfer(run, sender, *body);
  if (const auto* body = std::get_if<StakeTokens>(&payload)) {
    return stake_tokens(run, sender, body->amount);
  }
  if (const auto* body = std::get_if<UnstakeTokens>(&payload)) {
    return unstake_tokens(run, sender, body->amount);
  }
  if (const auto* body = std::get_if<SubmitProof>(&payload)) {
    return register_proof(run, sender, *body);
  }
  return apply_evidence(run, index, std::get<SubmitEvidence>(payload));
}

}  // namespace

Result<void> execute_transaction(BlockRun& run, std::size_t index, const Transaction& transaction) {
  auto executed = [&]() -> Result<void> {
    AETHEL_TRY(check_signature(run, transaction));
    AETHEL_TRY(charge_fee(run, transaction));
    return execute_payload(run, index, transaction);
  }();
  if (!executed) {
    return fail(executed.error().code, "transaction " + std::to_string(index) + " (" +
                                           payload_kind_name(payload_kind(transaction.payload)) +
                                           "): " + executed.error().message);
  }
  return {};
}

}  // namespace aethel::ledger
