// The consensus application over the ledger: what a validator's replica
// talks to through consensus/application.h.
//
//   RequestProposal -> propose(): transactions from the mempool (within the
//       block's work limit, one per proof or offence), of which
//       BlockExecutor::select_executable keeps what executes in one pass
//       (the rest is dropped from the mempool), the commit certificate of
//       the parent (received with the last DeliverBlock), a BlockPayload
//       checked by BlockExecutor::plan, published by digest ->
//       ProposalReady{claims derived from the payload, payload digest}.
//   VerifyBlock -> verify(): the payload by digest, every program it carries
//       judged by the ProofVerifier (stopping once the block's work passes
//       its limit), the block's claims compared with the
//       judge's (the first claim whose proof matches but whose verdict or
//       difficulty does not is the false claim), then BlockExecutor::plan ->
//       BlockVerified. A block whose parent is not executed yet is held and
//       answered by the deliver() that executes its parent. Reasons of this
//       node's own (a payload not yet received, the prover's time guard, a
//       full held queue) answer "undecided here": the replica withholds its
//       vote and asks again later, never treating the block as invalid.
//   DeliverBlock -> deliver(): the plan kept from verify() if the state has
//       not moved since (else judge, from the outcomes kept per payload, and
//       plan again), BlockExecutor::apply -> Executed{height, state root};
//       the mempool drops what the block included or used up.
//
// Payloads travel by digest: the proposer puts its payload into a
// PayloadStore and validators look it up there. A node's network layer
// fetches a missing payload from the proposer; the simulator shares one
// store among its nodes (payloads are assumed gossiped with the block).
//
// The executed height, tip and parent certificate are kept in memory: the
// application is created on a state that holds exactly the blocks up to
// `executed`, and is told every block after that through deliver().
//
// Not thread-safe. The verifier forks provers when it has more than one
// worker: give it one worker in a process with other threads (RocksDB has
// background threads, so in practice: one worker unless the caller knows).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "consensus/application.h"
#include "consensus/block.h"
#include "consensus/signature_checker.h"
#include "consensus/validator_set.h"
#include "core/bytes.h"
#include "core/error.h"
#include "core/types.h"
#include "ledger/admission.h"
#include "ledger/block_payload.h"
#include "ledger/chain_params.h"
#include "ledger/executor.h"
#include "ledger/mempool.h"
#include "ledger/proof_verifier.h"
#include "state/ledger_state.h"

namespace aethel::ledger {

using PayloadPtr = std::shared_ptr<const BlockPayload>;

// Block payloads by digest.
class PayloadStore {
 public:
  virtual ~PayloadStore() = default;
  // `digest` is payload_digest(*payload).
  virtual void put(const Hash256& digest, PayloadPtr payload) = 0;
  // Null when the payload is not (yet) available.
  virtual PayloadPtr find(const Hash256& digest) const = 0;
};

// A PayloadStore in memory: a map, bounded only by what is put into it.
class MemoryPayloadStore final : public PayloadStore {
 public:
  void put(const Hash256& digest, PayloadPtr payload) override;
  PayloadPtr find(const Hash256& digest) const override;
  std::size_t size() const noexcept { return payloads_.size(); }

 private:
  std::map<Hash256, PayloadPtr> payloads_;
};

struct LedgerApplicationConfig {
  ChainParams params;  // must validate
  consensus::ValidatorSetPtr validators;
  ValidatorIndex self;  // this validator's index (the proposer of its blocks)
  MempoolLimits mempool;
  unsigned verifier_workers = 1;
  std::size_t verifier_cache_entries = 4'096;
  // Blocks held until their parent executes; beyond this they are refused.
  std::size_t max_held_verifications = 64;
  // Verifies certificate and transaction signatures during execution; null:
  // the executor's default (consensus::Ed25519SignatureChecker).
  std::shared_ptr<consensus::SignatureChecker> checker;
};

// What executing one block produced.
struct Delivered {
  consensus::Executed executed;
  std::size_t transactions = 0;
  std::size_t proofs_registered = 0;
  TokenAmount rewards_paid;  // to the signers of the parent's certificate
  std::vector<SlashingApplied> slashings;
  // Answers for held blocks whose parent this block is (or that it made
  // stale), in the order they were asked.
  std::vector<consensus::BlockVerified> verified;
};

struct ApplicationCounters {
  std::uint64_t proposals = 0;
  std::uint64_t proposal_transactions = 0;
  std::uint64_t proposal_dropped = 0;  // pending transactions a proposal found could never execute
  std::uint64_t proposals_emptied = 0;  // a selection that then failed to plan (not expected)
  std::uint64_t verified_ok = 0;
  std::uint64_t verified_false_claim = 0;
  std::uint64_t verified_refused = 0;    // invalid for another reason
  std::uint64_t verified_undecided = 0;  // undecided here: payload missing, time guard, held queue full
  std::uint64_t held = 0;
  std::uint64_t delivered = 0;
  std::uint64_t delivered_judged_again = 0;   // delivered without outcomes kept from verification
  std::uint64_t delivered_planned_again = 0;  // delivered without a current plan from verification
};

class LedgerApplication {
 public:
  // `state` holds genesis and the blocks up to `executed` (whose digest is
  // `tip_digest`, zero at height 0); `state` and `payloads` outlive the
  // application. `parent_commit` is the commit certificate of `executed`
  // (null at height 0).
  LedgerApplication(LedgerApplicationConfig config, state::LedgerState& state,
                    PayloadStore& payloads, Height executed = Height(0),
                    Hash256 tip_digest = Hash256{},
                    consensus::CertificatePtr parent_commit = nullptr);

  // A transaction from a client or a peer, through admission into the mempool.
  AdmissionOutcome submit(ByteView encoded_transaction);
  std::vector<AdmissionOutcome> submit_batch(std::span<const ByteView> encoded_transactions);

  // Refuses (kInvalidArgument) a request that is not for the child of the
  // executed tip; the replica asks only after delivering the parent.
  Result<consensus::ProposalReady> propose(const consensus::RequestProposal& request,
                                           std::uint64_t now_ms);

  // nullopt: the block's parent is not executed yet; the answer comes from
  // the deliver() that executes it.
  std::optional<consensus::BlockVerified> verify(const consensus::BlockPtr& block);

  // Executes a final block. An error means this node cannot execute a block
  // the network made final (its payload is missing or it does not apply):
  // its state can go no further.
  Result<Delivered> deliver(const consensus::DeliverBlock& deliver);

  // The process stopped: held verifications are forgotten (their replica is
  // gone). Everything else is the node's durable state.
  void forget_held();

  Height executed_height() const noexcept { return executed_; }
  const Hash256& tip_digest() const noexcept { return tip_digest_; }
  const state::LedgerState& state() const noexcept { return state_; }
  const Mempool& mempool() const noexcept { return mempool_; }
  const ProofVerifier& verifier() const noexcept { return verifier_; }
  const Admission& admission() const noexcept { return admission_; }
  const BlockExecutor& executor() const noexcept { return executor_; }
  const ApplicationCounters& counters() const noexcept { return counters_; }

 private:
  struct Judged {
    VerifiedProofs proofs;
    std::optional<std::string> invalid;    // a program the judge refuses: on every node
    std::optional<std::string> undecided;  // stopped by this machine's time guard
  };

  Judged judge_programs(const BlockPayload& payload, std::optional<WorkUnits> work_ceiling);
  Judged judged_payload(const Hash256& digest, const BlockPayload& payload, Height height,
                        std::optional<WorkUnits> work_ceiling);
  void keep_verified(const Hash256& digest, Height height, const VerifiedProofs& proofs);
  void forget_verified_up_to(Height height);
  std::optional<bool> used_up(const PendingTransaction& entry) const;
  VerifiedProofs conclusive_outcomes(std::span<const SubmitProof* const> programs);
  void keep_plan(const Hash256& block_digest, BlockPlan plan);
  Result<BlockPlan> kept_plan(const Hash256& block_digest);
  std::vector<PendingTransaction> select_transactions();
  Result<BlockPlan> plan_proposal(const consensus::RequestProposal& request,
                                  const BlockPayload& payload, const VerifiedProofs& proofs,
                                  std::vector<consensus::Claim>& claims) const;
  consensus::BlockVerified verify_now(const consensus::Block& block);
  Nonce next_nonce(const crypto::PublicKey& sender) const;

  LedgerApplicationConfig config_;
  state::LedgerState& state_;
  PayloadStore& payloads_;
  ProofVerifier verifier_;
  Mempool mempool_;
  Admission admission_;
  BlockExecutor executor_;

  Height executed_;
  Hash256 tip_digest_;
  consensus::CertificatePtr parent_commit_;
  std::vector<consensus::BlockPtr> held_;  // in the order asked
  // Outcomes of payloads verified or proposed and not yet executed, by
  // payload digest, with the height of the block that carried them.
  struct KeptOutcomes {
    Height height;
    VerifiedProofs proofs;
  };
  std::map<Hash256, KeptOutcomes> verified_payloads_;
  // Plans of blocks verified on the executed tip, with their block digests,
  // oldest first: a few views may propose at one height. Cleared when a
  // block executes.
  static constexpr std::size_t kPlansKept = 4;
  std::vector<std::pair<Hash256, BlockPlan>> planned_blocks_;
  ApplicationCounters counters_;
};

}  // namespace aethel::ledger
