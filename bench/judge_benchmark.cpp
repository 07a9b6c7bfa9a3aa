#include "bench/judge_benchmark.h"

#include <z3++.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "fmt/format.h"
#include "judge/checker.h"
#include "judge/judge.h"
#include "judge/prover.h"

namespace aethel::bench {
namespace {

// A transfer between two balances, varied per index so that no two programs
// are the same text.
std::string transfer_program(std::size_t index) {
  return fmt::format(
      "intent transfer_{0}(sender: Balance, receiver: Balance, amount: Amount) {{\n"
      "    guard {{\n"
      "        amount > {1};\n"
      "        sender >= amount + {2};\n"
      "        receiver <= 9223372036854775807 - amount;\n"
      "    }}\n"
      "    solve {{ priority: security; }}\n"
      "    verify {{\n"
      "        sender == old_sender - amount;\n"
      "        receiver == old_receiver + amount;\n"
      "    }}\n"
      "}}\n",
      index, index % 100, index % 7);
}

// Runs fn(i) for every i in [0, count) on `threads` threads; returns seconds.
double timed_parallel(std::size_t count, unsigned threads,
                      const std::function<void(std::size_t)>& fn) {
  std::atomic<std::size_t> next{0};
  const auto start = std::chrono::steady_clock::now();
  {
    std::vector<std::jthread> pool;
    for (unsigned t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (std::size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) fn(i);
      });
    }
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Raw Z3: a fresh context per program, each query parsed from SMT-LIB and
// solved, with no judge in the way.
bool solve_raw(const std::vector<std::string>& queries) {
  z3::context context;
  bool decided = true;
  for (const auto& query : queries) {
    z3::solver solver(context);
    solver.from_string(query.c_str());
    decided = decided && solver.check() != z3::unknown;
  }
  return decided;
}

}  // namespace

std::string run_judge_benchmark(const JudgeBenchmarkConfig& config) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const unsigned threads = config.threads != 0 ? config.threads : cores;
  std::vector<std::string> programs;
  for (std::size_t i = 0; i < config.proofs; ++i) programs.push_back(transfer_program(i));

  judge::Options options;
  std::vector<judge::FileReport> reports(programs.size());
  auto judge_one = [&](std::size_t i) {
    reports[i] = judge::judge_source(fmt::format("transfer_{}.ae", i), programs[i], options);
  };
  const double judge_1_s = timed_parallel(programs.size() / 4, 1, judge_one);
  const double judge_s = timed_parallel(programs.size(), threads, judge_one);

  bool all_proved = true;
  std::uint64_t work_total = 0;
  for (const auto& report : reports) {
    all_proved = all_proved && !report.error && report.results.size() == 1 &&
                 report.results[0].verdict == judge::Verdict::kProved;
    if (!report.results.empty()) work_total += report.results[0].work;
  }

  // The same queries the judge made, as SMT-LIB text, prepared outside the timing.
  std::vector<std::vector<std::string>> queries(programs.size());
  for (std::size_t i = 0; i < programs.size(); ++i) {
    auto checked =
        judge::parse_and_check(programs[i], options.limits, options.limits.budget_default);
    if (checked) queries[i] = judge::unit_queries_smtlib(checked->units.front());
  }
  std::atomic<bool> raw_decided{true};
  const double raw_s = timed_parallel(programs.size(), threads, [&](std::size_t i) {
    if (!solve_raw(queries[i])) raw_decided = false;
  });

  const double judge_rate = static_cast<double>(programs.size()) / judge_s;
  const double raw_rate = static_cast<double>(programs.size()) / raw_s;
  nlohmann::json out = {
      {"benchmark", "judge"},
      {"cores", cores},
      {"threads", threads},
      {"proofs", programs.size()},
      {"all_proved", all_proved},
      {"work_per_proof", programs.empty() ? 0 : work_total / programs.size()},
      {"queries_per_proof", queries.empty() ? 0 : queries.front().size()},
      {"judge_proofs_per_s", judge_rate},
      {"judge_proofs_per_s_1_thread", static_cast<double>(programs.size() / 4) / judge_1_s},
      {"raw_z3_proofs_per_s", raw_rate},
      {"raw_z3_all_decided", raw_decided.load()},
      {"judge_to_raw_ratio", judge_rate / raw_rate},
      {"target_proofs_per_s", 1000},
      {"target_met", judge_rate >= 1000.0},
  };
  return out.dump() + "\n";
}

}  // namespace aethel::bench
