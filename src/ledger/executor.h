// Block execution: the deterministic function from (committed state, block)
// to the next state.
//
// plan() checks a block against the latest committed state and computes its
// whole transition without writing; apply() writes a plan as one atomic
// LedgerState::apply, which refuses it unless conservation holds. A block
// at height H executes in this order (docs/ledger.md gives the reasons):
//   (a) pay block H-1's pending reward (its emission plus its fees) to the
//       signers of H-1's commit certificate carried in the payload, weighted
//       by stake, and push an accuracy outcome of 1 for each signer;
//   (b) release unbonding stake due at H into its owner's balance;
//   (c) the transactions in order: fee and nonce first, then the payload
//       (transfer, stake, unstake, proof registration, evidence slashing);
//   (d) store H's own pending reward (its fees and total difficulty);
//   (e) at epoch boundaries (H divisible by epoch_length), set each
//       validator's status from its stake.
// Any failure refuses the whole block with an error naming the transaction
// index (or the step) and what failed; nothing is written.
//
// Integers only, ordered containers only: the same block on the same state
// yields the same transition, hence the same root, on every node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "consensus/block.h"
#include "consensus/evidence.h"
#include "consensus/signature_checker.h"
#include "consensus/validator_set.h"
#include "core/bytes.h"
#include "core/error.h"
#include "core/types.h"
#include "ledger/block_payload.h"
#include "ledger/chain_params.h"
#include "ledger/economics.h"
#include "state/ledger_state.h"

namespace aethel::ledger {

// What execution needs from the consensus block the payload belongs to.
struct BlockContext {
  Height height;
  Hash256 parent_digest;  // digest of block height - 1 (zero at height 1)
  ValidatorIndex proposer;
  // The block's claims: they must equal claims_of(payload, proofs).
  std::vector<consensus::Claim> claims;
  // The block's payload digest: it must equal payload_digest(payload).
  Hash256 payload_digest;
};

BlockContext context_of(const consensus::Block& block);

// The prover work a payload asks of each validator: the work in `proofs` of
// every distinct program it carries (programs_of), saturating at the
// maximum. Programs without an outcome in `proofs` count nothing.
WorkUnits block_work(const BlockPayload& payload, const VerifiedProofs& proofs);

// One piece of evidence acted on in a block.
struct SlashingApplied {
  std::uint32_t transaction_index = 0;
  Hash256 evidence_id;
  crypto::PublicKey offender;
  Offence offence = Offence::kEquivocation;
  TokenAmount slashed;
};

// The act a piece of evidence proves, whatever evidence encodes it:
// signing twice at one height (two votes of either phase, in any views, or
// two PRE-PREPAREs), or a false verdict for one block (the leader's claim or
// anyone's vote for it, whichever false claim it names). Evidence records
// are keyed by this id, so one act slashes once however many pieces of
// evidence show it.
Hash256 offence_id(const consensus::Evidence& evidence, const crypto::PublicKey& offender);
// The height of that act (of the accused block, for a false verdict).
Height offence_height(const consensus::Evidence& evidence);

// Submitted evidence that proves an offence.
struct CheckedEvidence {
  Offence offence = Offence::kEquivocation;
  crypto::PublicKey offender;
  Hash256 offence_id;
  Height act_height;
};

// What block execution checks of evidence before it slashes, less what
// depends on the chain's height and records (the evidence's age, an offence
// already acted on), in two steps that mempool admission runs apart (the
// first before judging the program the evidence carries):
//   decode_verified_evidence: decodes, and verifies the signatures against
//     `validators` for this chain;
//   check_verified_evidence: for the false-verdict kinds, the program
//     carried must be the accused proof and the accused claim must differ
//     from its outcome in `proofs` (kNotFound when `proofs` has none).
// check_submitted_evidence runs both.
Result<consensus::Evidence> decode_verified_evidence(const Hash256& chain_id,
                                                     const consensus::ValidatorSet& validators,
                                                     const SubmitEvidence& submission);
Result<CheckedEvidence> check_verified_evidence(const consensus::ValidatorSet& validators,
                                                const consensus::Evidence& evidence,
                                                const SubmitEvidence& submission,
                                                const VerifiedProofs& proofs);
Result<CheckedEvidence> check_submitted_evidence(const Hash256& chain_id,
                                                 const consensus::ValidatorSet& validators,
                                                 const SubmitEvidence& submission,
                                                 const VerifiedProofs& proofs);

// Whether evidence of an act at height `act` comes too late for a block at
// height `at` (ChainParams::evidence_max_age). Acts above `at` are in time.
bool evidence_expired(Height act, Height at, std::uint64_t max_age) noexcept;

// A checked block and the transition it makes, with figures for logs and
// metrics.
struct BlockPlan {
  Height height;
  state::Version base_version = 0;  // the committed version the plan was computed on
  state::Transition transition;
  // The transition checked by the state (conservation included) and ready
  // to write: a block that plans also applies.
  state::PreparedTransition prepared;
  // Paid for block height - 1 (empty at height 1): emission plus fees,
  // shared by split_block_reward.
  TokenAmount parent_emission;
  TokenAmount parent_fees;
  std::vector<RewardShare> rewards;
  // This block's own figures, paid out by the next block.
  TokenAmount fees;
  Difficulty total_difficulty;
  std::size_t proofs_registered = 0;
  TokenAmount unbonding_released;
  std::vector<SlashingApplied> slashings;
};

// What a proposer may put in a block, in candidate order (select_executable).
struct ExecutableSelection {
  std::vector<std::size_t> executed;  // indexes into the candidates
  // Candidates execution refused, with why: on this state they can never
  // execute (a mempool drops them).
  std::vector<std::pair<std::size_t, Error>> refused;
  // Candidates left out for a reason that may pass (no verified outcome
  // here, or an earlier transaction of the same sender left out).
  std::vector<std::size_t> deferred;
};

class BlockExecutor {
 public:
  // `params` must validate; `validators` is the consensus validator set whose
  // certificates and evidence the executor checks (it stays as configured:
  // replica reconfiguration from the active set is a later step). `checker`
  // verifies certificate and transaction signatures; null means
  // consensus::Ed25519SignatureChecker. `state` must outlive the executor.
  BlockExecutor(ChainParams params, consensus::ValidatorSetPtr validators,
                state::LedgerState& state,
                std::shared_ptr<consensus::SignatureChecker> checker = nullptr);

  // Checks the block against the latest committed state and computes its
  // transition without writing, including the state's own checks
  // (conservation): a block that plans also applies, so no validator votes
  // for a block it then cannot execute. `proofs` holds the verifier's
  // outcome for every program the payload carries (programs_of), by proof
  // id.
  Result<BlockPlan> plan(const BlockContext& context, const BlockPayload& payload,
                         const VerifiedProofs& proofs) const;

  // For a proposer: runs steps (a) and (b) for `context` with the parent
  // certificate `parent_commit`, then each candidate on the state the ones
  // before it left; a candidate execution refuses is undone and left out,
  // and so are its sender's later candidates. One pass, whatever is
  // refused: a block of those executed then plans. The block's claims,
  // payload digest and size are not checked (they follow from the choice).
  // Fails only when this node cannot read its state.
  Result<ExecutableSelection> select_executable(const BlockContext& context,
                                                const consensus::CertificatePtr& parent_commit,
                                                std::span<const Transaction> candidates,
                                                const VerifiedProofs& proofs) const;

  // Writes the plan as one atomic version. Refuses (kInvalidArgument) a
  // plan computed on another version than the latest.
  Result<state::VersionInfo> apply(BlockPlan plan);

  // plan() then apply().
  Result<state::VersionInfo> execute(const BlockContext& context, const BlockPayload& payload,
                                     const VerifiedProofs& proofs);

  const ChainParams& params() const noexcept { return params_; }
  const consensus::ValidatorSet& validators() const noexcept { return *validators_; }
  const state::LedgerState& state() const noexcept { return state_; }

 private:
  ChainParams params_;
  consensus::ValidatorSetPtr validators_;
  state::LedgerState& state_;
  std::shared_ptr<consensus::SignatureChecker> checker_;
};

}  // namespace aethel::ledger
