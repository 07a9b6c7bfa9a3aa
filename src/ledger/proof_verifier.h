// Verifies many proof submissions at once, using every core, with the same
// outcome check_proof gives for each one.
//
// The cache is looked up in this process. When at least four programs per
// worker still need a verdict, whole programs go to the worker processes
// (judge::run_in_workers), longest first: each worker parses, type checks
// and proves a program and sends back its refusal or its units' results, so
// parsing and checking run on every core too. With fewer programs, they are
// parsed and checked here and their units are spread over the workers
// instead (judge::prove_in_workers), so that one program with many units
// does not leave the other workers idle. Either way each
// program's results are combined exactly as check_proof combines them. The
// judge's result of a unit is a pure function of (program, budget, limits)
// in Z3 resource units, so neither the number of workers, nor the way the
// work is split, nor the order of the submissions changes any outcome.
//
// A worker process that dies costs the program it held: the program is
// parsed and checked again here (so a refusal stays the same refusal) and
// each of its units is UNKNOWN with stopped_by_local_limit, an inconclusive
// outcome that is neither cached nor a verdict.
//
// A bounded cache by proof id keeps conclusive outcomes: a program judged
// once (at admission, say) is not judged again when a block carries it. An
// outcome stopped by this machine's time guard (conclusive = false) is local
// and is never cached, nor is a refused program. Eviction is deterministic:
// the entry used least recently, by a use counter rather than a clock.
//
// verify() forks when it has more than one program or unit to judge and
// workers > 1. The children only parse, check and prove (Z3 and the
// allocator, which glibc keeps usable across fork) and leave with _exit, so idle library threads
// such as RocksDB's background pool do no harm; no other thread may be running Z3 meanwhile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "judge/limits.h"
#include "judge/worker_pool.h"
#include "ledger/proof_check.h"
#include "ledger/transaction.h"

namespace aethel::ledger {

struct VerifierCounters {
  std::uint64_t judged = 0;        // programs proved by the judge
  std::uint64_t units_proved = 0;  // their units
  std::uint64_t cache_hits = 0;    // outcomes taken from the cache
  std::uint64_t refused = 0;       // INVALID programs and budgets over the ceiling
  std::uint64_t inconclusive = 0;  // outcomes stopped by the local time guard
  std::uint64_t evicted = 0;       // cache entries dropped to respect the bound
  std::uint64_t stopped_at_work_ceiling = 0;  // calls that stopped judging at their ceiling

  friend bool operator==(const VerifierCounters&, const VerifierCounters&) = default;
};

// Fixes the C allocator's thresholds so that the memory of a proof stays in
// the heap for the next one. Each unit is proved in a fresh Z3 context that
// allocates and frees megabytes; with glibc's dynamic thresholds, a
// long-running process with a large heap (a full mempool, the cache, RocksDB)
// ends up returning that memory to the system after every proof and faulting
// it back in for the next, which made in-process proving about five times
// slower in the ledger benchmark. Process-wide and idempotent; the
// ProofVerifier constructor calls it. No effect where the C library is not
// glibc.
void keep_prover_memory_in_the_heap() noexcept;

// The judging step of ProofVerifier::verify without its cache: for each
// submission exactly what check_proof returns, the work split over
// `workers` processes as verify() splits it. `prover` stands for
// judge::prove_unit, so that tests can make a worker fail on a chosen unit.
std::vector<Result<ProofCheck>> judge_submissions(std::span<const SubmitProof* const> submissions,
                                                  const judge::Limits& limits, unsigned workers,
                                                  const judge::UnitProver& prover);

class ProofVerifier {
 public:
  // `workers` <= 1 proves in this process; `cache_entries` 0 disables the
  // cache. Calls keep_prover_memory_in_the_heap().
  ProofVerifier(judge::Limits limits, unsigned workers, std::size_t cache_entries);

  // Outcomes in input order: for each submission exactly what check_proof
  // returns for it (the same refusal for a program it refuses). A program
  // submitted twice in one call is judged once.
  //
  // With a `work_ceiling` (a block's work limit), judging stops once the
  // work of the outcomes so far (cached ones included, each distinct program
  // once) passes it: the programs not judged by then are refused (kLimit,
  // "not judged"). The sum of all of them would pass it too, so the block
  // is invalid either way; the stop only bounds what finding that out
  // costs, to the ceiling plus the programs in hand when it is passed.
  std::vector<Result<ProofCheck>> verify(std::span<const SubmitProof* const> submissions,
                                         std::optional<WorkUnits> work_ceiling = std::nullopt);
  Result<ProofCheck> verify_one(const SubmitProof& submission);

  // The cached outcome of `proof_id`, without counting a hit or refreshing it.
  std::optional<ProofCheck> cached(const Hash256& proof_id) const;
  bool is_cached(const Hash256& proof_id) const { return cache_.contains(proof_id); }

  std::size_t cache_size() const noexcept { return cache_.size(); }
  std::size_t cache_capacity() const noexcept { return cache_entries_; }
  unsigned workers() const noexcept { return workers_; }
  const judge::Limits& limits() const noexcept { return limits_; }
  const VerifierCounters& counters() const noexcept { return counters_; }

 private:
  struct CacheEntry {
    ProofCheck check;
    std::uint64_t last_use = 0;
  };

  std::optional<ProofCheck> take_from_cache(const Hash256& proof_id);
  void remember(const ProofCheck& check);

  judge::Limits limits_;
  unsigned workers_;
  std::size_t cache_entries_;
  std::map<Hash256, CacheEntry> cache_;
  std::map<std::uint64_t, Hash256> by_last_use_;  // oldest use first: the eviction order
  std::uint64_t next_use_ = 0;
  VerifierCounters counters_;
};

}  // namespace aethel::ledger
