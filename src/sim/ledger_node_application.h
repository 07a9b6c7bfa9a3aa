// A simulated node running the real ledger: ledger::LedgerApplication over
// a real LedgerState (RocksDB) in a temporary folder of its own, removed
// when the node is destroyed, with its own ProofVerifier (the real judge;
// no outcome is shared between nodes, so every node judges every program
// itself), Mempool and BlockExecutor.
//
// Real: admission, the judge's verdicts and difficulties, block execution,
// rewards, slashing, state roots, conservation. Modelled: the CPU time of
// verifying a block's proofs (claims * proof cost / cores, as for the
// oracle, so simulated time does not depend on this machine); admission,
// proposal and execution cost no simulated time. The judge runs in this
// process with one worker: RocksDB's threads run here, so nothing forks.
//
// Byzantine behaviours lie around the real application: a false proposal
// flips the verdict of the first claim of an otherwise honest block (a
// block without proofs cannot lie); a colluding node approves every block
// without checking it. Both still execute final blocks for real.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "consensus/evidence.h"
#include "core/file.h"
#include "ledger/application.h"
#include "sim/ledger_world.h"
#include "sim/node_application.h"
#include "sim/options.h"
#include "sim/simulator.h"
#include "state/ledger_state.h"

namespace aethel::sim {

// What one node's executed blocks did, summed.
struct LedgerNodeTotals {
  std::uint64_t executed_height = 0;
  std::uint64_t proofs_registered = 0;
  std::uint64_t transactions = 0;
  std::uint64_t rewards_paid = 0;
  std::vector<crypto::PublicKey> slashed;  // offenders, in execution order
};

class LedgerNodeApplication final : public NodeApplication {
 public:
  // Opens a fresh state in a new temporary folder and writes genesis.
  static Result<std::unique_ptr<LedgerNodeApplication>> create(LedgerWorld& world,
                                                               std::uint32_t index,
                                                               ApplicationBehaviour behaviour,
                                                               const CpuCosts& costs);
  ~LedgerNodeApplication() override;
  LedgerNodeApplication(const LedgerNodeApplication&) = delete;
  LedgerNodeApplication& operator=(const LedgerNodeApplication&) = delete;

  ApplicationAnswers propose(const consensus::RequestProposal& request,
                             std::uint64_t now_ms) override;
  ApplicationAnswers verify(const consensus::BlockPtr& block) override;
  ApplicationAnswers deliver(const consensus::DeliverBlock& deliver) override;
  void crash() override;

  // Transactions gossiped to this node, through admission.
  void submit(std::span<const Bytes> transactions);
  // One transaction; whether this node's admission took it.
  bool submit_one(const Bytes& transaction);

  const ledger::LedgerApplication& ledger() const noexcept { return *application_; }
  const LedgerNodeTotals& totals() const noexcept { return totals_; }
  // Set when a final block could not be executed: the node's state stops there.
  const std::optional<std::string>& execution_error() const noexcept { return execution_error_; }
  const std::filesystem::path& directory() const noexcept { return directory_.path(); }
  std::uint32_t index() const noexcept { return index_; }

 private:
  LedgerNodeApplication(LedgerWorld& world, std::uint32_t index, ApplicationBehaviour behaviour,
                        const CpuCosts& costs, TemporaryDirectory directory);
  std::uint64_t verification_cost_us(const consensus::Block& block) const noexcept;
  ApplicationAnswer verified_answer(consensus::BlockVerified verified);

  LedgerWorld& world_;
  std::uint32_t index_;
  ApplicationBehaviour behaviour_;
  CpuCosts costs_;
  TemporaryDirectory directory_;
  std::unique_ptr<state::LedgerState> state_;
  std::unique_ptr<ledger::LedgerApplication> application_;
  // Blocks asked about and not yet answered, by digest: an answer's CPU
  // cost depends on the block's claims.
  std::map<Hash256, consensus::BlockPtr> blocks_asked_;
  LedgerNodeTotals totals_;
  std::optional<std::string> execution_error_;
};

// The ledger checks over the honest nodes at the end of a run, and the
// figures of the one with the highest executed height.
LedgerSummary summarize_ledger(LedgerWorld& world,
                               const std::vector<const LedgerNodeApplication*>& honest);

}  // namespace aethel::sim
