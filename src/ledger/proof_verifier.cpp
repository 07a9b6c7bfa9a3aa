#include "ledger/proof_verifier.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <limits>
#include <string>
#include <cstdint>
#include <iterator>
#include <utility>

#include "core/assert.h"
#include "core/encoding.h"
#include "judge/prover.h"
#include "judge/worker_pool.h"

namespace aethel::ledger {
namespace {

// The judge's work on one program: check_proof's refusal, or the results of
// its units in source order.
using ProgramResults = Result<std::vector<judge::UnitResult>>;

constexpr std::uint8_t kRefusedTag = 0;
constexpr std::uint8_t kJudgedTag = 1;
constexpr std::size_t kUnitBytesMax = 64u << 20;
constexpr std::size_t kMessageBytesMax = 1u << 20;

// The work judged so far against an optional ceiling: once the sum passes
// it, the programs not yet judged are left so.
struct WorkTally {
  std::optional<std::uint64_t> ceiling;
  std::uint64_t total = 0;

  void add(std::uint64_t work) noexcept {
    total = work > std::numeric_limits<std::uint64_t>::max() - total
                ? std::numeric_limits<std::uint64_t>::max()
                : total + work;
  }
  bool passed() const noexcept { return ceiling && total > *ceiling; }
  ProgramResults not_judged() const {
    return fail(ErrorCode::kLimit, "not judged: the programs judged before it already take " +
                                       std::to_string(total) + " work units, above the limit of " +
                                       std::to_string(ceiling.value_or(0)));
  }
};

ProgramResults judge_program(const SubmitProof& submission, const judge::Limits& limits,
                             const judge::UnitProver& prover) {
  auto program = prepare_proof(submission, limits);
  if (!program) return unexpected<Error>(std::move(program.error()));
  std::vector<judge::UnitResult> units;
  units.reserve(program->units.size());
  for (const judge::CheckedUnit& unit : program->units) units.push_back(prover(unit));
  return units;
}

// How a worker sends a program's results back to the parent.
Bytes encode_program_results(const ProgramResults& results) {
  Encoder encoder;
  if (!results) {
    encoder.put_u8(kRefusedTag)
        .put_u32(static_cast<std::uint32_t>(results.error().code))
        .put_string(results.error().message);
  } else {
    encoder.put_u8(kJudgedTag)
        .put_vector(*results, [](Encoder& out, const judge::UnitResult& unit) {
          out.put_bytes(judge::encode_unit_result(unit));
        });
  }
  return std::move(encoder).take();
}

Result<judge::UnitResult> read_unit_result(Decoder& decoder) {
  auto bytes = decoder.read_bytes("unit result", kUnitBytesMax);
  if (!bytes) return unexpected<Error>(std::move(bytes.error()));
  return judge::decode_unit_result(*bytes);
}

// Nullopt when `bytes` is not what encode_program_results makes.
std::optional<ProgramResults> decode_program_results(ByteView bytes, std::size_t units_max) {
  Decoder decoder(bytes);
  const auto tag = decoder.read_u8("outcome tag");
  if (!tag) return std::nullopt;
  std::optional<ProgramResults> results;
  if (*tag == kRefusedTag) {
    const auto code = decoder.read_u32("error code");
    auto message = decoder.read_string("error message", kMessageBytesMax);
    if (!code || !message) return std::nullopt;
    results.emplace(fail(static_cast<ErrorCode>(*code), std::move(*message)));
  } else if (*tag == kJudgedTag) {
    auto units = decoder.read_vector("units", units_max, 1, read_unit_result);
    if (!units) return std::nullopt;
    results.emplace(std::move(*units));
  }
  if (!results || !decoder.finish()) return std::nullopt;
  return results;
}

// What a program gets when the worker judging it died: the refusal
// prepare_proof gives here, or each unit UNKNOWN as lost with its worker.
ProgramResults lost_with_worker(const SubmitProof& submission, const judge::Limits& limits) {
  auto program = prepare_proof(submission, limits);
  if (!program) return unexpected<Error>(std::move(program.error()));
  std::vector<judge::UnitResult> units;
  for (const judge::CheckedUnit& unit : program->units) {
    units.push_back(judge::unit_lost_with_worker(unit));
  }
  return units;
}

// Whole programs in the worker processes: each worker parses, checks and
// proves the programs it takes.
std::vector<ProgramResults> judge_whole_programs(std::span<const SubmitProof* const> submissions,
                                                 const judge::Limits& limits, unsigned workers,
                                                 const judge::UnitProver& prover,
                                                 WorkTally& tally) {
  // Longest programs first, so that no long one is left for the end while
  // the other workers have nothing to do. Only the order of the work
  // changes; each result goes back to its submission.
  std::vector<std::size_t> order(submissions.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return submissions[a]->program.size() > submissions[b]->program.size();
  });
  judge::OutputWatcher watch;
  if (tally.ceiling) {
    watch = [&](std::size_t, const Bytes& output) {
      const auto decoded = decode_program_results(output, limits.items_max);
      if (decoded && *decoded) {
        for (const judge::UnitResult& unit : **decoded) tally.add(unit.work);
      }
      return !tally.passed();
    };
  }
  const auto outputs = judge::run_in_workers(
      order.size(), workers,
      [&](std::size_t k) {
        return encode_program_results(judge_program(*submissions[order[k]], limits, prover));
      },
      watch);
  std::vector<std::optional<ProgramResults>> results(submissions.size());
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::size_t i = order[k];
    if (!outputs[k]) {
      results[i].emplace(tally.passed() ? tally.not_judged()
                                        : lost_with_worker(*submissions[i], limits));
      continue;
    }
    results[i] = decode_program_results(*outputs[k], limits.items_max);
    AETHEL_ASSERT_MSG(results[i].has_value(), "a worker sent results that do not decode");
  }
  std::vector<ProgramResults> ordered;
  ordered.reserve(results.size());
  for (auto& result : results) ordered.push_back(std::move(*result));
  return ordered;
}

// Programs parsed and checked here, their units spread over the workers:
// for a few programs, or for proving in this process.
std::vector<ProgramResults> judge_units_across_workers(
    std::span<const SubmitProof* const> submissions, const judge::Limits& limits, unsigned workers,
    const judge::UnitProver& prover, WorkTally& tally) {
  std::vector<Result<judge::CheckedProgram>> programs;
  programs.reserve(submissions.size());
  std::vector<const judge::CheckedUnit*> units;
  for (const SubmitProof* submission : submissions) {
    programs.push_back(prepare_proof(*submission, limits));
  }
  // Pointers are taken once `programs` no longer grows.
  for (const auto& program : programs) {
    if (!program) continue;
    for (const judge::CheckedUnit& unit : program->units) units.push_back(&unit);
  }
  const auto worker_count =
      static_cast<unsigned>(std::min<std::size_t>(workers, std::max<std::size_t>(units.size(), 1)));
  judge::UnitWatcher watch;
  if (tally.ceiling) {
    watch = [&](const judge::UnitResult& unit) {
      tally.add(unit.work);
      return !tally.passed();
    };
  }
  std::vector<std::optional<judge::UnitResult>> proved =
      judge::prove_in_workers(units, worker_count, prover, watch);
  AETHEL_ASSERT(proved.size() == units.size());

  std::vector<ProgramResults> results;
  results.reserve(programs.size());
  auto next = proved.begin();
  for (auto& program : programs) {
    if (!program) {
      results.push_back(unexpected<Error>(std::move(program.error())));
      continue;
    }
    const auto end = next + static_cast<std::ptrdiff_t>(program->units.size());
    std::vector<judge::UnitResult> own;
    for (auto unit = next; unit != end; ++unit) {
      if (*unit) own.push_back(std::move(**unit));
    }
    next = end;
    if (own.size() != program->units.size()) {
      results.push_back(tally.not_judged());
    } else {
      results.push_back(std::move(own));
    }
  }
  return results;
}

// Whole programs go to the workers only when there are enough of them to
// keep every worker busy to the end; a few programs are parsed here (a few
// microseconds each) so that their units can be spread instead.
constexpr std::size_t kProgramsPerWorkerForWholePrograms = 4;

std::vector<ProgramResults> judge_programs(std::span<const SubmitProof* const> submissions,
                                           const judge::Limits& limits, unsigned workers,
                                           const judge::UnitProver& prover, WorkTally& tally) {
  if (tally.passed()) return std::vector<ProgramResults>(submissions.size(), tally.not_judged());
  if (workers > 1 && submissions.size() >= kProgramsPerWorkerForWholePrograms * workers) {
    return judge_whole_programs(submissions, limits, workers, prover, tally);
  }
  return judge_units_across_workers(submissions, limits, workers, prover, tally);
}

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

std::vector<Result<ProofCheck>> judge_submissions(std::span<const SubmitProof* const> submissions,
                                                  const judge::Limits& limits, unsigned workers,
                                                  const judge::UnitProver& prover) {
  for (const SubmitProof* submission : submissions) AETHEL_ASSERT(submission != nullptr);
  WorkTally unbounded;
  std::vector<ProgramResults> results =
      judge_programs(submissions, limits, workers, prover, unbounded);
  std::vector<Result<ProofCheck>> outcomes;
  outcomes.reserve(results.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!results[i]) {
      outcomes.push_back(unexpected<Error>(std::move(results[i].error())));
    } else {
      outcomes.push_back(combine_unit_results(proof_id(*submissions[i]), std::move(*results[i])));
    }
  }
  return outcomes;
}

std::vector<Result<ProofCheck>> ProofVerifier::verify(
    std::span<const SubmitProof* const> submissions, std::optional<WorkUnits> work_ceiling) {
  WorkTally tally;
  if (work_ceiling) tally.ceiling = work_ceiling->value();
  std::vector<std::optional<Result<ProofCheck>>> outcomes(submissions.size());
  // proof id -> the first submission with it in this call
  std::map<Hash256, std::size_t> first_with_id;
  std::vector<std::pair<std::size_t, std::size_t>> repeats;  // (submission, first)
  std::vector<std::size_t> pending;                          // submissions to judge
  std::vector<Hash256> pending_ids;
  std::vector<const SubmitProof*> to_judge;

  for (std::size_t i = 0; i < submissions.size(); ++i) {
    AETHEL_ASSERT(submissions[i] != nullptr);
    const Hash256 id = proof_id(*submissions[i]);
    const auto [first, inserted] = first_with_id.emplace(id, i);
    if (!inserted) {
      repeats.emplace_back(i, first->second);
      continue;
    }
    if (auto hit = take_from_cache(id)) {
      ++counters_.cache_hits;
      tally.add(hit->work.value());
      outcomes[i].emplace(std::move(*hit));
      continue;
    }
    pending.push_back(i);
    pending_ids.push_back(id);
    to_judge.push_back(submissions[i]);
  }

  std::vector<ProgramResults> results =
      judge_programs(to_judge, limits_, workers_, judge::prove_unit, tally);
  AETHEL_ASSERT(results.size() == pending.size());
  if (tally.passed()) ++counters_.stopped_at_work_ceiling;
  for (std::size_t k = 0; k < pending.size(); ++k) {
    if (!results[k]) {
      ++counters_.refused;
      outcomes[pending[k]].emplace(unexpected<Error>(std::move(results[k].error())));
      continue;
    }
    const std::size_t count = results[k]->size();
    ProofCheck check = combine_unit_results(pending_ids[k], std::move(*results[k]));
    ++counters_.judged;
    counters_.units_proved += count;
    if (check.conclusive) {
      remember(check);
    } else {
      ++counters_.inconclusive;
    }
    outcomes[pending[k]].emplace(std::move(check));
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
