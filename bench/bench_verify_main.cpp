// bench_verify [PROGRAMS] [ROUNDS] [WORKERS] [BALLAST_MB] [TIME_GUARD_MS]:
// where the time of a cold ProofVerifier::verify goes. Each round times, back
// to back, in wall and in CPU seconds (this process and its children):
//   parse_check_serial_s  prepare_proof on every program in this process
//   units_in_workers_s    that, then the units of all programs proved by
//                         judge::prove_in_workers (programs parsed here)
//   verify_s              ProofVerifier::verify, nothing cached
//   baseline_s            check_proof on every program, in contiguous shares
//                         over WORKERS forked processes (the ledger
//                         benchmark's baseline)
//   fork_s                forking WORKERS children that exit at once
// with BALLAST_MB of touched heap held by this process (a node's state and
// mempool), and prints the minimum and the median of each as JSON.
// TIME_GUARD_MS replaces the judge's time guard; 0 sets none, which shows
// what Z3's timer (a thread woken for every query) costs.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.h"
#include "judge/worker_pool.h"
#include "ledger/proof_check.h"
#include "ledger/proof_verifier.h"

namespace {

using aethel::bench::Clock;
using aethel::bench::seconds_since;
namespace ledger = aethel::ledger;
namespace judge = aethel::judge;

double parse_check_serial(const std::vector<ledger::SubmitProof>& programs,
                          const judge::Limits& limits) {
  const auto start = Clock::now();
  for (const auto& program : programs) {
    if (!ledger::prepare_proof(program, limits)) std::abort();
  }
  return seconds_since(start);
}

double units_in_workers(const std::vector<ledger::SubmitProof>& programs,
                        const judge::Limits& limits, unsigned workers) {
  const auto start = Clock::now();
  std::vector<judge::CheckedProgram> checked;
  checked.reserve(programs.size());
  for (const auto& program : programs) checked.push_back(*ledger::prepare_proof(program, limits));
  std::vector<const judge::CheckedUnit*> units;
  for (const auto& program : checked) {
    for (const auto& unit : program.units) units.push_back(&unit);
  }
  const auto results = judge::prove_in_workers(units, workers);
  for (const auto& result : results) {
    if (result.verdict != judge::Verdict::kProved) std::abort();
  }
  return seconds_since(start);
}

double verify(const std::vector<ledger::SubmitProof>& programs, const judge::Limits& limits,
              unsigned workers) {
  std::vector<const ledger::SubmitProof*> pointers;
  for (const auto& program : programs) pointers.push_back(&program);
  ledger::ProofVerifier verifier(limits, workers, 2 * programs.size());
  const auto start = Clock::now();
  const auto outcomes = verifier.verify(pointers);
  const double seconds = seconds_since(start);
  for (const auto& outcome : outcomes) {
    if (!outcome || outcome->verdict != judge::Verdict::kProved) std::abort();
  }
  return seconds;
}

double baseline(const std::vector<ledger::SubmitProof>& programs, const judge::Limits& limits,
                unsigned workers) {
  const auto start = Clock::now();
  std::vector<pid_t> children;
  const std::size_t share = (programs.size() + workers - 1) / workers;
  for (unsigned w = 0; w < workers; ++w) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      const std::size_t end = std::min(programs.size(), (w + 1) * share);
      for (std::size_t i = w * share; i < end; ++i) {
        if (!ledger::check_proof(programs[i], limits)) ::_exit(1);
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (const pid_t child : children) ::waitpid(child, nullptr, 0);
  return seconds_since(start);
}

double fork_only(unsigned workers) {
  const auto start = Clock::now();
  std::vector<pid_t> children;
  for (unsigned w = 0; w < workers; ++w) {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    children.push_back(pid);
  }
  for (const pid_t child : children) ::waitpid(child, nullptr, 0);
  return seconds_since(start);
}

// CPU seconds used so far by this process and its waited-for children.
double cpu_seconds() {
  double total = 0;
  for (const int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage usage{};
    ::getrusage(who, &usage);
    total += static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
             static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  }
  return total;
}

nlohmann::json summary(std::vector<double> times) {
  std::sort(times.begin(), times.end());
  return {{"min", times.front()}, {"median", times[times.size() / 2]}};
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000;
  const std::size_t rounds = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 5;
  const unsigned workers = argc > 3 ? static_cast<unsigned>(std::strtoul(argv[3], nullptr, 10)) : 2;
  const std::size_t ballast_mb = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 0;
  if (count == 0 || rounds == 0 || workers == 0) {
    std::fputs("usage: bench_verify [PROGRAMS] [ROUNDS] [WORKERS] [BALLAST_MB] [TIME_GUARD_MS]\n",
               stderr);
    return 2;
  }
  ledger::keep_prover_memory_in_the_heap();
  std::vector<std::vector<char>> ballast;
  for (std::size_t mb = 0; mb < ballast_mb; ++mb) ballast.emplace_back(1u << 20, 'x');

  judge::Limits limits;
  if (argc > 5)
    limits.prover_time_guard_ms = static_cast<unsigned>(std::strtoul(argv[5], nullptr, 10));
  std::vector<ledger::SubmitProof> programs;
  for (std::size_t i = 0; i < count; ++i) {
    programs.push_back({aethel::bench::transfer_program(i), aethel::WorkUnits(0)});
  }
  std::map<std::string, std::vector<double>> times;
  for (std::size_t round = 0; round < rounds; ++round) {
    const auto timed = [&times](const std::string& name, auto&& run) {
      const double cpu_before = cpu_seconds();
      times[name].push_back(run());
      times[name.substr(0, name.size() - 2) + "_cpu_s"].push_back(cpu_seconds() - cpu_before);
    };
    timed("parse_check_serial_s", [&] { return parse_check_serial(programs, limits); });
    timed("units_in_workers_s", [&] { return units_in_workers(programs, limits, workers); });
    timed("verify_s", [&] { return verify(programs, limits, workers); });
    timed("baseline_s", [&] { return baseline(programs, limits, workers); });
    timed("fork_s", [&] { return fork_only(workers); });
  }
  double load[3] = {0, 0, 0};
  nlohmann::json out = {{"benchmark", "verify"},
                        {"programs", count},
                        {"rounds", rounds},
                        {"workers", workers},
                        {"ballast_mb", ballast_mb},
                        {"time_guard_ms", limits.prover_time_guard_ms},
                        {"cores", std::max(1u, std::thread::hardware_concurrency())}};
  if (::getloadavg(load, 3) == 3) out["load_average"] = {load[0], load[1], load[2]};
  for (auto& [name, values] : times) out[name] = summary(values);
  std::fputs((out.dump(2) + "\n").c_str(), stdout);
  return 0;
}
