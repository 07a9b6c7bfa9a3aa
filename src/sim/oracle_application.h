// The default simulated application: ProofOracle's seeded ground truth in
// place of the ledger and the judge (no prover runs). Verifying a block
// costs the modelled per-proof CPU time; the state digest after a block is
// SHA-256(previous digest || block digest).
#pragma once

#include <cstdint>

#include "sim/node_application.h"
#include "sim/options.h"
#include "sim/proof_oracle.h"

namespace aethel::sim {

class OracleApplication final : public NodeApplication {
 public:
  // `oracle` is shared by every node and outlives the application.
  OracleApplication(const ProofOracle& oracle, ApplicationBehaviour behaviour,
                    const CpuCosts& costs) noexcept
      : oracle_(oracle), behaviour_(behaviour), costs_(costs) {}

  ApplicationAnswers propose(const consensus::RequestProposal& request,
                             std::uint64_t now_ms) override;
  ApplicationAnswers verify(const consensus::BlockPtr& block) override;
  ApplicationAnswers deliver(const consensus::DeliverBlock& deliver) override;

 private:
  const ProofOracle& oracle_;
  ApplicationBehaviour behaviour_;
  CpuCosts costs_;
  Hash256 state_digest_;
};

// ceil(count * unit_us / cores): independent verifications spread over a
// validator's cores.
std::uint64_t parallel_cost_us(const CpuCosts& costs, std::uint64_t count,
                               std::uint64_t unit_us) noexcept;

}  // namespace aethel::sim
