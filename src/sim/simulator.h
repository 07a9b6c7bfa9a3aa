// The deterministic discrete-event simulator: N real consensus replicas
// driven by one event loop over a modelled network, CPU and disk, with
// Byzantine nodes and faults, judged by an observer (checkers.h).
//
// Single-threaded and seeded: every draw comes from sim/prng.h, the clock is
// an integer count of simulated microseconds, and events are ordered by
// (time, sequence number), so the same options give the same run. The trace
// hash (SHA-256 folded over every event handed to a replica and every
// commit) makes any hidden nondeterminism visible. docs/simulator.md
// describes the models.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "consensus/config.h"
#include "core/bytes.h"
#include "core/error.h"
#include "sim/options.h"

namespace aethel::sim {

// The ledger checks and figures of a run with the real ledger (--app ledger).
struct LedgerSummary {
  // Every honest node reached the same state root at every height it executed.
  bool state_roots_equal = true;
  // Every honest node's state passes the conservation audit at the end, and
  // emission stays within the cap.
  bool supply_ok = true;
  // Every honest node executed every final block it was given.
  bool execution_ok = true;

  // From the honest node with the highest executed height.
  std::uint64_t height = 0;
  Hash256 state_root;
  std::uint64_t transactions_committed = 0;
  std::uint64_t proofs_committed = 0;
  std::uint64_t rewards_paid = 0;  // to the signers of commit certificates
  std::uint64_t emitted = 0;
  std::uint64_t slashed = 0;                      // tokens destroyed
  std::vector<std::uint32_t> slashed_validators;  // validator indices, in slashing order

  // Load and work, over all nodes.
  std::uint64_t transactions_generated = 0;
  std::uint64_t proofs_generated = 0;
  std::uint64_t evidence_submitted = 0;
  std::uint64_t evidence_refused = 0;  // refused by the reporter's own node (too old, say)
  std::uint64_t admitted = 0;          // transactions admitted into mempools
  std::uint64_t admission_refused = 0;
  // Pending transactions removed because they could never execute: dropped
  // by a proposal, or superseded by a block that used their proof or offence.
  std::uint64_t mempool_dropped = 0;
  std::uint64_t verified_undecided = 0;  // "undecided here" answers to replicas
  std::uint64_t programs_judged = 0;  // real judge runs by all nodes
  std::uint64_t judge_cache_hits = 0;

  bool ok() const noexcept { return state_roots_equal && supply_ok && execution_ok; }
};

struct SimResult {
  SimOptions options;
  consensus::VotePattern vote_pattern = consensus::VotePattern::kAllToAll;
  std::uint32_t gossip_fanout = 0;
  std::vector<std::uint32_t> byzantine_nodes;  // sorted

  // Heights final at 2/3 of honest stake, and each one's finality (µs).
  std::uint64_t blocks_committed = 0;
  std::uint64_t finality_us_p50 = 0;
  std::uint64_t finality_us_p99 = 0;
  std::uint64_t honest_min_height = 0;
  std::uint64_t honest_max_height = 0;
  std::uint64_t view_changes = 0;  // highest view any honest node entered

  std::uint64_t messages_sent = 0;  // transmissions, relays included
  std::uint64_t bytes_sent = 0;
  std::uint64_t retransmissions = 0;   // lost transmissions sent again
  std::uint64_t messages_dropped = 0;  // cut by a partition, or to a crashed or silent node

  bool agreement_ok = true;
  bool validity_ok = true;
  bool partition_safety_ok = true;
  bool accusations_ok = true;
  std::optional<bool> liveness_ok;  // absent: not judged
  std::vector<std::string> violations;

  std::map<std::string, std::uint64_t> refused;  // by reason, over honest nodes
  std::uint64_t evidence_reported = 0;           // by honest nodes
  std::uint64_t real_signature_verifications = 0;
  std::uint64_t memoized_signature_checks = 0;
  std::uint64_t events = 0;
  std::uint64_t sim_time_us = 0;
  Hash256 trace_hash;

  std::optional<LedgerSummary> ledger;  // --app ledger only

  // Measured, not simulated: excluded from determinism comparisons.
  double wall_s = 0;
  double peak_rss_mb = 0;

  bool invariants_ok() const noexcept {
    return agreement_ok && validity_ok && partition_safety_ok && accusations_ok &&
           liveness_ok.value_or(true) && (!ledger || ledger->ok());
  }
};

// Runs one simulation. Refuses invalid options (kInvalidArgument).
Result<SimResult> run_simulation(const SimOptions& options);

}  // namespace aethel::sim
