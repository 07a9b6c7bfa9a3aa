// Mempool admission: what a transaction must pass before this node holds it
// for a block, cheapest check first, so that garbage costs a length
// comparison and only a well-formed, signed, affordable proof costs a judge
// run:
//   1. size: at most AdmissionConfig::max_transaction_bytes;
//   2. decode_transaction (canonical bytes, limits on every field);
//   3. verify_transaction_signature for this chain's id;
//   4. the sender's account in the latest committed state: it must exist
//      (block execution refuses a sender without one), its balance must
//      cover fee + amount,
//      and the nonce must lie in [next nonce, next nonce + window), the
//      window being the mempool's per-sender bound; a transfer, stake or
//      unstake of zero tokens is refused (execution would refuse it), and
//      an unstake above the sender's stake, or below the stake the
//      consensus set counts for a member;
//   5. for SubmitProof, the judge through the ProofVerifier (and its cache):
//      only a conclusive PROVED is admitted; REFUTED is refused with the
//      failing condition and the counterexample in the error, UNKNOWN with
//      its reason, an outcome stopped by this machine's time guard as
//      undecided here, and an INVALID program with check_proof's error
//      (line and column); a proof already in the registry is refused;
//      for SubmitEvidence, the checks block execution makes
//      (check_submitted_evidence: decoding, signatures against the
//      validator set, and for a false verdict the judge's outcome of the
//      program it carries against the accused claim), and an offence
//      already acted on or older than the evidence age at the next height
//      is refused;
//   6. Mempool::add with the judge's difficulty (zero for other kinds) and
//      the proof id or offence id the transaction would use up, which
//      refuses duplicates of either, a (sender, nonce) slot already taken
//      (a second spend of one nonce) and a full pool the newcomer does not
//      outrank.
//
// The balance check is against committed state per transaction: pending
// spends of one sender are not summed here; block execution refuses what
// the balance cannot cover once the transactions are ordered.
//
// Admission is local policy (what this node proposes), never block
// validity. It keeps counters (admitted, and refused by reason in an ordered
// map) so that the node can report rates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "consensus/evidence.h"
#include "consensus/validator_set.h"
#include "core/types.h"
#include "judge/verdict.h"
#include "ledger/mempool.h"
#include "ledger/proof_verifier.h"
#include "ledger/transaction.h"
#include "state/ledger_state.h"

namespace aethel::ledger {

struct AdmissionConfig {
  Hash256 chain_id;
  std::size_t max_transaction_bytes = kMaxTransactionBytes;
  // What evidence is checked against; without one, evidence is refused.
  consensus::ValidatorSetPtr validators = nullptr;
  // Blocks after its act that evidence is accepted (ChainParams).
  std::uint64_t evidence_max_age = 1;
  // Tokens of ledger stake per unit of consensus stake (ChainParams).
  std::uint64_t consensus_stake_unit = 1;
};

// Why a transaction was refused; the counters are kept per reason.
enum class RefusalReason : std::uint8_t {
  kOversize = 0,
  kMalformed,            // does not decode
  kBadSignature,         // wrong key, wrong chain, altered bytes
  kStateUnavailable,     // the committed state could not be read
  kUnknownSender,        // no account
  kNonceUsed,            // below the account's next nonce
  kNonceTooFar,          // beyond the window ahead of it
  kInsufficientBalance,  // fee + amount above the balance
  kInvalidProgram,       // the judge refused the program (or its budget)
  kRefuted,
  kUnknownVerdict,  // the judge's conclusive UNKNOWN (budget exhausted)
  kUndecided,       // stopped by this machine's time guard
  kMempool,         // duplicate, occupied nonce slot, or no room
  kNotExecutable,   // execution would refuse it whatever the order: a zero amount, a
                    // proof already registered, evidence that proves nothing or
                    // whose offence was acted on
};

const char* refusal_reason_name(RefusalReason reason) noexcept;

struct Refusal {
  RefusalReason reason;
  Error error;
};

struct AdmissionReceipt {
  TransactionId transaction_id;
  PayloadKind kind = PayloadKind::kSubmitProof;
  std::optional<Hash256> proof_id;        // for SubmitProof
  std::optional<judge::Verdict> verdict;  // for SubmitProof: always PROVED
  WorkUnits work;
  Difficulty difficulty;               // the mempool rank; zero for other kinds
  std::vector<TransactionId> evicted;  // lower-ranked transactions displaced
};

struct AdmissionCounters {
  std::uint64_t admitted = 0;
  std::map<RefusalReason, std::uint64_t> refused;

  std::uint64_t refused_total() const noexcept;
  std::uint64_t refused_for(RefusalReason reason) const noexcept;
};

using AdmissionOutcome = expected<AdmissionReceipt, Refusal>;

class Admission {
 public:
  // Reads accounts from `state` (the latest committed version), judges with
  // `verifier` (whose cache block verification then reuses) and adds to
  // `mempool`; all three must outlive the Admission.
  Admission(AdmissionConfig config, const state::LedgerState& state, ProofVerifier& verifier,
            Mempool& mempool);

  // One transaction through the whole pipeline.
  AdmissionOutcome admit(ByteView encoded_transaction);
  // Many at once: the cheap checks for each, then every SubmitProof that
  // passed them judged in one verifier call (all cores), then the mempool
  // in input order. Outcomes in input order, each the one admit() would give
  // had the transactions been submitted one after another.
  std::vector<AdmissionOutcome> admit_batch(std::span<const ByteView> encoded_transactions);

  // The same, with the refusal reduced to its error.
  Result<AdmissionReceipt> submit(ByteView encoded_transaction);
  std::vector<Result<AdmissionReceipt>> submit_batch(
      std::span<const ByteView> encoded_transactions);

  // The chain executed `height`: evidence is judged by its age at the next
  // height. Starts at height 0.
  void chain_reached(Height height) noexcept { executed_ = height; }

  const AdmissionCounters& counters() const noexcept { return counters_; }
  const AdmissionConfig& config() const noexcept { return config_; }

 private:
  struct Screened;

  expected<Screened, Refusal> screen(ByteView encoded) const;
  expected<void, Refusal> check_unstake(const Transaction& transaction) const;
  expected<std::optional<consensus::Evidence>, Refusal> decode_evidence_of(
      const Transaction& transaction) const;
  expected<void, Refusal> check_proof_entry(const ProofCheck& check,
                                            PendingTransaction& entry) const;
  expected<void, Refusal> check_evidence_entry(const consensus::Evidence& evidence,
                                               const SubmitEvidence& submission,
                                               const std::optional<Result<ProofCheck>>& check,
                                               PendingTransaction& entry) const;
  AdmissionOutcome enter_mempool(Screened screened, std::optional<Result<ProofCheck>> check);
  AdmissionOutcome counted(AdmissionOutcome outcome);

  AdmissionConfig config_;
  const state::LedgerState& state_;
  ProofVerifier& verifier_;
  Mempool& mempool_;
  AdmissionCounters counters_;
  Height executed_;
};

// The refusal admission gives for a judge's outcome that is not a
// conclusive PROVED (nullopt when it is one): the REFUTED unit's failing
// condition and counterexample, UNKNOWN's reason, or the local stop.
std::optional<Refusal> refusal_of(const ProofCheck& check);

}  // namespace aethel::ledger
