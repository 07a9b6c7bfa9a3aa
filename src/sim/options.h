// Everything that defines a simulation run. The trace hash is a function of
// these options alone (the seed included): CPU costs are whole microseconds
// fixed before the run starts, whether measured or given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "consensus/config.h"
#include "core/error.h"

namespace aethel::sim {

enum class Strategy : std::uint8_t {
  kSilent = 0,        // drops everything, relays nothing
  kEquivocate,        // as leader, different blocks to the two halves of the network
  kConflictingVotes,  // two different signed votes per phase, one to each half
  kVoteInvalid,       // colludes: proposes and votes for blocks with false verdicts
  kInvalidProposal,   // as leader, proposes blocks with false claims
  kViewChangeSpam,    // floods VIEW-CHANGE for future views
  kReplay,            // re-sends old messages of others
  kMalformed,         // sends random and truncated bytes
  kCount,
};

std::string_view strategy_name(Strategy strategy) noexcept;
Result<Strategy> parse_strategy(std::string_view name);
// "a,b,c": the strategies are dealt round-robin over the Byzantine nodes.
Result<std::vector<Strategy>> parse_strategy_list(std::string_view text);

// A network split from start_ms until heal_ms: `side` on one side, every
// other node on the other. Messages across the cut are dropped while it holds.
struct Partition {
  std::uint64_t start_ms = 0;
  std::uint64_t heal_ms = 0;
  std::vector<std::uint32_t> side;  // node indices, sorted, distinct
};

// "START_MS:END_MS:NODES" where NODES is a list of indices and ranges:
// "0-9", "0,2,5-7".
Result<Partition> parse_partition(std::string_view text, std::uint32_t nodes);

struct Crash {
  std::uint32_t node = 0;
  std::uint64_t at_ms = 0;
  std::uint64_t restart_ms = 0;  // > at_ms
};

// "NODE:AT_MS:RESTART_MS".
Result<Crash> parse_crash(std::string_view text, std::uint32_t nodes);

enum class VotePatternChoice : std::uint8_t { kAllToAll, kCollector, kAuto };
Result<VotePatternChoice> parse_vote_pattern(std::string_view text);
std::string_view vote_pattern_choice_name(VotePatternChoice choice) noexcept;

// Modelled CPU time, whole microseconds.
struct CpuCosts {
  std::uint64_t sign_us = 0;
  std::uint64_t verify_us = 0;
  std::uint64_t sha256_kib_us = 0;  // hashing one KiB
  std::uint64_t proof_us = 0;       // verifying one proof (the judge's cost, not run here)
  // Cores per validator. Signature and proof verifications are independent
  // of one another, so a validator spreads them over its cores: a batch of n
  // costs ceil(n * cost / cores). Signing and hashing stay on one core.
  std::uint32_t cores = 1;
};

// "10x3,1x7,5": per-validator stakes in index order, "SxK" meaning K
// validators of stake S; the counts must add up to `nodes`.
Result<std::vector<std::uint64_t>> parse_stakes(std::string_view text, std::uint32_t nodes);

// "sign=20,verify=50,proof=1500,sha256=3": any subset; fields not named keep
// their value in `base`.
Result<CpuCosts> parse_cpu_costs(std::string_view text, CpuCosts base);

// Which application the simulated nodes run behind their replicas.
enum class AppKind : std::uint8_t {
  kOracle = 0,  // seeded ground truth, no prover (proof_oracle.h)
  kLedger,      // the real ledger: judge, block execution, state (ledger_node_application.h)
};
Result<AppKind> parse_app(std::string_view text);
std::string_view app_name(AppKind app) noexcept;

// The transactions a ledger run submits: every `round_ms` of simulated
// time, `proofs` SubmitProof transactions (distinct programs) and
// `transfers` transfers between funded accounts, and every `stake_every`
// rounds a stake or an unstake; `rounds` rounds at most.
struct LedgerLoad {
  std::uint32_t proofs = 2;
  std::uint32_t transfers = 4;
  std::uint64_t round_ms = 250;
  std::uint32_t stake_every = 4;  // 0: no staking
  std::uint32_t rounds = 40;
};

// "proofs=2,transfers=4,round-ms=250,stake-every=4,rounds=40": any subset;
// fields not named keep their value in `base`.
Result<LedgerLoad> parse_ledger_load(std::string_view text, LedgerLoad base);
std::string ledger_load_text(const LedgerLoad& load);

struct SimOptions {
  std::uint32_t nodes = 4;
  std::uint32_t byzantine = 0;
  std::vector<Strategy> strategies{Strategy::kSilent};
  std::uint64_t seed = 1;
  std::uint64_t blocks = 10;
  // Stake of each validator, by index; empty: equal stakes of 1.
  std::vector<std::uint64_t> stakes;

  // Network.
  std::uint64_t latency_us = 50'000;  // one way, base
  std::uint64_t jitter_us = 10'000;   // uniform in [0, jitter] added
  std::uint32_t loss_ppm = 0;
  std::uint32_t duplicate_ppm = 0;
  std::uint64_t bandwidth_mbps = 1'000;  // per node, up and down
  std::vector<Partition> partitions;
  std::vector<Crash> crashes;
  // Relay of broadcasts: 0 = direct sends to everyone; otherwise gossip
  // with this fan-out (each node forwards a broadcast to `gossip_fanout`
  // seeded peers the first time it receives it).
  std::optional<std::uint32_t> gossip_fanout;  // absent: chosen from the node count

  // Protocol.
  VotePatternChoice vote_pattern = VotePatternChoice::kAuto;
  std::uint32_t proofs_per_block = 16;
  std::uint64_t timeout_min_ms = 2'000;

  // CPU model.
  CpuCosts cpu;
  bool cpu_costs_measured = false;  // informational: were they calibrated in this process

  // Application: the oracle unless the ledger is asked for.
  AppKind app = AppKind::kOracle;
  LedgerLoad load;  // kLedger only

  std::uint64_t max_sim_ms = 600'000;
  // Progress lines on stderr every few seconds of wall time.
  bool progress = false;

  // Refuses inconsistent values (kInvalidArgument), naming the option.
  Result<void> validate() const;
};

// The vote pattern a run uses: kAuto picks all-to-all up to 64 nodes and the
// collector pattern above.
consensus::VotePattern effective_vote_pattern(const SimOptions& options) noexcept;
// The relay fan-out a run uses (0: direct broadcast).
std::uint32_t effective_gossip_fanout(const SimOptions& options) noexcept;

// Stake of validator `node` (1 when stakes are equal).
std::uint64_t stake_of(const SimOptions& options, std::uint32_t node) noexcept;

// The command line that reproduces a run (for failing property tests).
std::string replay_command(const SimOptions& options);

}  // namespace aethel::sim
