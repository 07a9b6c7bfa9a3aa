// What the nodes of a ledger run share, and what the observer knows about
// them from outside:
//
//   - the chain: parameters, genesis (the load's funded accounts, a funded
//     account for every validator, and every validator bonded with its
//     simulated stake times kLedgerStakeUnit, so that 5% of a stake is a
//     visible amount while quorums, by ratio, are unchanged);
//   - the payload store: one read-only map of block payloads by digest. A
//     proposer puts its payload there when it proposes, and every node reads
//     it when it verifies or executes the block: payloads are assumed
//     gossiped along with the block, at no modelled cost;
//   - the load generator, and evidence turned into transactions: the first
//     honest report of an offence becomes a SubmitEvidence transaction
//     signed by the reporting validator, submitted to every running node;
//   - the ground truth the observer judges committed claims against: the
//     real judge, run once per program outside every node;
//   - the ledger checks: every honest node reaches the same state root at
//     every height, passes the conservation audit at the end, and emits no
//     more than the cap.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "consensus/evidence.h"
#include "consensus/validator_set.h"
#include "core/bytes.h"
#include "crypto/ed25519.h"
#include "ledger/application.h"
#include "ledger/chain_params.h"
#include "ledger/genesis.h"
#include "sim/ledger_load.h"
#include "sim/node_application.h"
#include "sim/options.h"
#include "sim/simulator.h"

namespace aethel::sim {

// Ledger stake of a validator per unit of simulated stake.
inline constexpr std::uint64_t kLedgerStakeUnit = 100'000;

// The judge's verdict and difficulty of every program the load submitted,
// computed once, outside every node.
class LedgerTruth final : public ClaimTruth {
 public:
  LedgerTruth(const std::map<Hash256, ledger::SubmitProof>& programs, judge::Limits limits)
      : programs_(programs), limits_(limits) {}
  bool claim_is_true(const consensus::Claim& claim) const override;

 private:
  const std::map<Hash256, ledger::SubmitProof>& programs_;
  judge::Limits limits_;
  mutable std::map<Hash256, std::optional<consensus::Claim>> judged_;
};

class LedgerWorld {
 public:
  // `validator_keys` by validator index; they outlive the world.
  LedgerWorld(const SimOptions& options, const Hash256& chain_id,
              consensus::ValidatorSetPtr validators,
              const std::vector<crypto::KeyPair>& validator_keys, std::uint64_t load_seed);

  const ledger::ChainParams& params() const noexcept { return params_; }
  const ledger::Genesis& genesis() const noexcept { return genesis_; }
  const consensus::ValidatorSetPtr& validators() const noexcept { return validators_; }
  ledger::MemoryPayloadStore& payloads() noexcept { return payloads_; }
  const ClaimTruth& truth() const noexcept { return truth_; }
  LoadGenerator& load() noexcept { return load_; }

  // The transaction that submits `evidence` reported by honest `reporter`,
  // or nullopt when the offence was already submitted (by anyone) or a
  // false-verdict kind's program cannot be found.
  std::optional<Bytes> evidence_transaction(std::uint32_t reporter,
                                            const consensus::Evidence& evidence);
  // The reporter's node refused the last evidence transaction made for it:
  // its nonce is free again, and it is not counted as submitted.
  void evidence_refused(std::uint32_t reporter);
  std::uint64_t evidence_refused_count() const noexcept { return evidence_refused_; }

  // An honest node executed `height` reaching `root`.
  void on_executed(std::uint32_t node, std::uint64_t height, const Hash256& root);
  void violation(std::string text);

  std::uint64_t evidence_submitted() const noexcept { return evidence_submitted_; }
  bool state_roots_equal() const noexcept { return roots_equal_; }
  const std::vector<std::string>& violations() const noexcept { return violations_; }

 private:
  consensus::ValidatorSetPtr validators_;
  const std::vector<crypto::KeyPair>& validator_keys_;
  ledger::ChainParams params_;
  LoadGenerator load_;
  ledger::Genesis genesis_;
  ledger::MemoryPayloadStore payloads_;
  LedgerTruth truth_;

  // (offender, evidence kind, view, height): one submission per offence.
  std::set<Hash256> offences_;          // ledger::offence_id of every act submitted
  std::vector<Nonce> evidence_nonces_;  // by reporting validator
  std::uint64_t evidence_submitted_ = 0;
  std::uint64_t evidence_refused_ = 0;

  std::map<std::uint64_t, Hash256> root_by_height_;  // the first honest node's
  bool roots_equal_ = true;
  std::vector<std::string> violations_;
};

}  // namespace aethel::sim
