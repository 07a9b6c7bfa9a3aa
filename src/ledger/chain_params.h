// The parameters every validator of one chain applies identically: the chain
// identifier that every signature binds, the economics, staking periods, the
// limits on a block, and the judge's limits (which decide verdicts, so they
// are part of the protocol).
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/bytes.h"
#include "core/error.h"
#include "core/types.h"
#include "judge/limits.h"
#include "ledger/economics.h"
#include "state/ledger_state.h"

namespace aethel::ledger {

// Hard ceilings a configuration may not pass, so that one block stays
// decodable and executable in bounded memory.
inline constexpr std::size_t kMaxBlockTransactionsCeiling = 65'536;
inline constexpr std::size_t kMaxBlockBytesCeiling = 256 * 1024 * 1024;

struct ChainParams {
  Hash256 chain_id;
  EmissionSchedule emission;
  RewardPolicy reward;
  // Stake a validator needs to stay in the active set at an epoch boundary.
  Stake minimum_stake{1};
  // Tokens of ledger stake per unit of stake in the consensus validator set
  // (1 when the set is built from genesis, genesis_validator_set). A
  // member's ledger stake may not fall, by unstaking, below its consensus
  // stake times this.
  std::uint64_t consensus_stake_unit = 1;
  // Blocks after an offence during which evidence of it is accepted: evidence
  // of an act at height h may be executed up to height h + evidence_max_age.
  std::uint64_t evidence_max_age = 1;
  // Blocks between an unstake and the return of its tokens to the balance;
  // the tokens stay slashable until then. Longer than evidence_max_age, so
  // stake that leaves can still be slashed for anything it signed while
  // bonded.
  std::uint64_t unbonding_period = 2;
  // Blocks per epoch; validator statuses change at heights divisible by it.
  std::uint64_t epoch_length = 1;
  std::size_t max_block_transactions = 1'000;
  std::size_t max_block_bytes = 8 * 1024 * 1024;
  // Prover work (the judge's units, summed over every program a block
  // carries, evidence programs included) one block may ask of each
  // validator: what bounds the time a block takes to verify.
  WorkUnits max_block_work{50'000'000};
  judge::Limits judge_limits;

  // Refuses (kInvalidArgument) a value outside its range, naming the field:
  // the emission schedule and reward policy (their own validate()), a zero
  // minimum_stake or consensus_stake_unit, evidence_max_age or epoch_length, an unbonding_period not
  // above evidence_max_age, a block limit of zero or above its ceiling,
  // max_block_bytes below one transaction of the largest size,
  // max_block_work below the judge's per-program budget ceiling (so any
  // valid program fits a block), and judge limits whose default budget
  // passes the maximum or whose program ceiling is below it.
  Result<void> validate() const;
};

// A consensus stake in ledger tokens: `consensus_stake` times `unit`
// (ChainParams::consensus_stake_unit), saturating.
inline Stake ledger_stake_of(Stake consensus_stake, std::uint64_t unit) noexcept {
  const std::uint64_t units = consensus_stake.value();
  return unit != 0 && units > Stake::max().value() / unit ? Stake::max() : Stake(units * unit);
}

// Parameters for tests and local networks: 10^9 tokens emission cap, 1,000
// tokens a block before halving every 100,000 blocks, 10 tokens per unit of
// difficulty, 10% to the proposer, minimum stake 1,000, evidence accepted
// for 100 blocks, unbonding 120 blocks, epochs of 100 blocks. Validates.
ChainParams default_chain_params(const Hash256& chain_id);

// The ledger state configuration these parameters imply (the emission cap
// the state enforces on every transition).
state::LedgerConfig ledger_config(const ChainParams& params);

}  // namespace aethel::ledger
