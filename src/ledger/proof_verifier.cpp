#include "ledger/proof_verifier.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <utility>

#include "core/assert.h"
#include "judge/worker_pool.h"

namespace aethel::ledger {
namespace {

// A program that passed parsing and type checking and waits for its units
// to be proved.
struct PendingProgram {
  std::size_t index = 0;  // of the submission
  Hash256 proof_id;
  judge::CheckedProgram program;
};

}  // namespace

void keep_prover_memory_in_the_heap() noexcept {
#if defined(__GLIBC__)
  // Allocations below 32 MiB (glibc's largest mmap threshold) come from the
  // heap, and up to 256 MiB of free memory at its top is kept.
  ::mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  ::mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
#endif
}

ProofVerifier::ProofVerifier(judge::Limits limits, unsigned workers, std::size_t cache_entries)
    : limits_(limits), workers_(std::max(workers, 1u)), cache_entries_(cache_entries) {
  keep_prover_memory_in_the_heap();
}

std::vector<Result<ProofCheck>> ProofVerifier::verify(
    std::span<const SubmitProof* const> submissions) {
  std::vector<std::optional<Result<ProofCheck>>> outcomes(submissions.size());
  // proof id -> the first submission with it in this call
  std::map<Hash256, std::size_t> first_with_id;
  std::vector<std::pair<std::size_t, std::size_t>> repeats;  // (submission, first)
  std::vector<PendingProgram> pending;

  for (std::size_t i = 0; i < submissions.size(); ++i) {
    AETHEL_ASSERT(submissions[i] != nullptr);
    const SubmitProof& submission = *submissions[i];
    const Hash256 id = proof_id(submission);
    const auto [first, inserted] = first_with_id.emplace(id, i);
    if (!inserted) {
      repeats.emplace_back(i, first->second);
      continue;
    }
    if (auto hit = take_from_cache(id)) {
      ++counters_.cache_hits;
      outcomes[i].emplace(std::move(*hit));
      continue;
    }
    auto program = prepare_proof(submission, limits_);
    if (!program) {
      ++counters_.refused;
      outcomes[i].emplace(unexpected<Error>(std::move(program.error())));
      continue;
    }
    pending.push_back(PendingProgram{i, id, std::move(*program)});
  }

  // Pointers are taken once `pending` no longer grows.
  std::vector<const judge::CheckedUnit*> units;
  for (const PendingProgram& waiting : pending) {
    for (const judge::CheckedUnit& unit : waiting.program.units) units.push_back(&unit);
  }
  const auto worker_count = static_cast<unsigned>(
      std::min<std::size_t>(workers_, std::max<std::size_t>(units.size(), 1)));
  std::vector<judge::UnitResult> results = judge::prove_in_workers(units, worker_count);
  AETHEL_ASSERT(results.size() == units.size());

  std::size_t next_result = 0;
  for (const PendingProgram& waiting : pending) {
    const std::size_t count = waiting.program.units.size();
    std::vector<judge::UnitResult> own(
        std::make_move_iterator(results.begin() + static_cast<std::ptrdiff_t>(next_result)),
        std::make_move_iterator(results.begin() +
                                static_cast<std::ptrdiff_t>(next_result + count)));
    next_result += count;
    ProofCheck check = combine_unit_results(waiting.proof_id, std::move(own));
    ++counters_.judged;
    counters_.units_proved += count;
    if (check.conclusive) {
      remember(check);
    } else {
      ++counters_.inconclusive;
    }
    outcomes[waiting.index].emplace(std::move(check));
  }
  for (const auto& [index, first] : repeats) outcomes[index] = outcomes[first];

  std::vector<Result<ProofCheck>> ordered;
  ordered.reserve(outcomes.size());
  for (auto& outcome : outcomes) {
    AETHEL_ASSERT(outcome.has_value());
    ordered.push_back(std::move(*outcome));
  }
  return ordered;
}

Result<ProofCheck> ProofVerifier::verify_one(const SubmitProof& submission) {
  const SubmitProof* const one[] = {&submission};
  return std::move(verify(one).front());
}

std::optional<ProofCheck> ProofVerifier::cached(const Hash256& proof_id) const {
  const auto found = cache_.find(proof_id);
  if (found == cache_.end()) return std::nullopt;
  return found->second.check;
}

std::optional<ProofCheck> ProofVerifier::take_from_cache(const Hash256& proof_id) {
  const auto found = cache_.find(proof_id);
  if (found == cache_.end()) return std::nullopt;
  by_last_use_.erase(found->second.last_use);
  found->second.last_use = next_use_++;
  by_last_use_.emplace(found->second.last_use, proof_id);
  return found->second.check;
}

void ProofVerifier::remember(const ProofCheck& check) {
  AETHEL_ASSERT(check.conclusive);
  if (cache_entries_ == 0) return;
  if (const auto found = cache_.find(check.proof_id); found != cache_.end()) {
    by_last_use_.erase(found->second.last_use);
    cache_.erase(found);
  }
  while (cache_.size() >= cache_entries_) {
    const auto oldest = by_last_use_.begin();
    AETHEL_ASSERT(oldest != by_last_use_.end());
    cache_.erase(oldest->second);
    by_last_use_.erase(oldest);
    ++counters_.evicted;
  }
  const std::uint64_t use = next_use_++;
  cache_.emplace(check.proof_id, CacheEntry{check, use});
  by_last_use_.emplace(use, check.proof_id);
}

}  // namespace aethel::ledger
