#include "bench/judge_benchmark.h"

#include <sys/wait.h>
#include <unistd.h>
#include <z3++.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "bench/bench_support.h"
#include "fmt/format.h"
#include "judge/checker.h"
#include "judge/judge.h"
#include "judge/prover.h"
#include "judge/worker_pool.h"

namespace aethel::bench {
namespace {

// Raw Z3: a fresh context per program and a fresh solver for the same logic
// per query, each query parsed from SMT-LIB and solved; no judge in the way
// (no parsing of Aethel, type checking, translation or counterexamples).
bool solve_raw(const std::vector<std::string>& queries) {
  z3::context context;
  bool decided = true;
  for (const auto& query : queries) {
    z3::solver solver(context, "QF_NIA");
    solver.push();  // incremental mode, as the judge uses the solver
    solver.from_string(query.c_str());
    decided = decided && solver.check() != z3::unknown;
  }
  return decided;
}

// Solves the programs' queries in `workers` forked processes, each taking a
// contiguous share (Z3 does not scale across threads of one process).
// Returns false if any query was left undecided.
bool solve_raw_in_processes(const std::vector<std::vector<std::string>>& queries,
                            unsigned workers) {
  std::vector<pid_t> children;
  const std::size_t share = (queries.size() + workers - 1) / workers;
  for (unsigned w = 0; w < workers; ++w) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      bool decided = true;
      const std::size_t end = std::min(queries.size(), (w + 1) * share);
      for (std::size_t i = w * share; i < end; ++i) decided = solve_raw(queries[i]) && decided;
      ::_exit(decided ? 0 : 1);
    }
    if (pid > 0) children.push_back(pid);
  }
  bool decided = children.size() == workers;
  for (const pid_t child : children) {
    int status = 0;
    ::waitpid(child, &status, 0);
    decided = decided && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  return decided;
}

// Parses, checks and proves every program with the given number of workers.
std::vector<judge::UnitResult> judge_all(const std::vector<std::string>& programs,
                                         unsigned workers) {
  const judge::Limits limits;
  std::vector<judge::CheckedProgram> checked;
  std::vector<const judge::CheckedUnit*> units;
  checked.reserve(programs.size());
  for (const auto& program : programs) {
    auto result = judge::parse_and_check(program, limits, limits.budget_default);
    if (!result) continue;
    checked.push_back(std::move(*result));
    units.push_back(&checked.back().units.front());
  }
  return judge::prove_in_workers(units, workers);
}

}  // namespace

std::string run_judge_benchmark(const JudgeBenchmarkConfig& config) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const unsigned threads = config.threads != 0 ? config.threads : cores;
  std::vector<std::string> programs;
  for (std::size_t i = 0; i < config.proofs; ++i) programs.push_back(transfer_program(i));

  const std::size_t single_count = std::max<std::size_t>(programs.size() / 4, 1);
  auto start = std::chrono::steady_clock::now();
  judge_all({programs.begin(), programs.begin() + static_cast<std::ptrdiff_t>(single_count)}, 1);
  const double judge_1_s = seconds_since(start);
  start = std::chrono::steady_clock::now();
  const auto results = judge_all(programs, threads);
  const double judge_s = seconds_since(start);

  bool all_proved = results.size() == programs.size();
  std::uint64_t work_total = 0;
  for (const auto& result : results) {
    all_proved = all_proved && result.verdict == judge::Verdict::kProved;
    work_total += result.work;
  }

  // The same queries the judge made, as SMT-LIB text, prepared outside the timing.
  const judge::Limits limits;
  std::vector<std::vector<std::string>> queries(programs.size());
  for (std::size_t i = 0; i < programs.size(); ++i) {
    auto checked = judge::parse_and_check(programs[i], limits, limits.budget_default);
    if (checked) queries[i] = judge::unit_queries_smtlib(checked->units.front());
  }
  start = std::chrono::steady_clock::now();
  const bool raw_decided = solve_raw_in_processes(queries, threads);
  const double raw_s = seconds_since(start);

  const double judge_rate = static_cast<double>(programs.size()) / judge_s;
  const double raw_rate = static_cast<double>(programs.size()) / raw_s;
  nlohmann::json out = {
      {"benchmark", "judge"},
      {"cores", cores},
      {"workers", threads},
      {"proofs", programs.size()},
      {"all_proved", all_proved},
      {"work_per_proof", programs.empty() ? 0 : work_total / programs.size()},
      {"queries_per_proof", queries.empty() ? 0 : queries.front().size()},
      {"judge_proofs_per_s", judge_rate},
      {"judge_proofs_per_s_1_worker", static_cast<double>(single_count) / judge_1_s},
      {"raw_z3_proofs_per_s", raw_rate},
      {"raw_z3_all_decided", raw_decided},
      {"judge_to_raw_ratio", judge_rate / raw_rate},
      {"target_proofs_per_s", 1000},
      {"target_met", judge_rate >= 1000.0},
  };
  return out.dump() + "\n";
}

}  // namespace aethel::bench
