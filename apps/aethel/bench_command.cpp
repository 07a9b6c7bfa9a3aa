// `aethel bench`: the benchmarks of bench/, printing JSON.
#include <cstdio>
#include <memory>

#include "apps/aethel/commands.h"
#include "bench/judge_benchmark.h"

namespace aethel::cli {

void add_bench_command(CLI::App& app) {
  auto* bench = app.add_subcommand("bench", "Run a benchmark and print its figures as JSON");
  bench->require_subcommand(1);

  auto judge_config = std::make_shared<bench::JudgeBenchmarkConfig>();
  auto* judge = bench->add_subcommand(
      "judge",
      "Transfer-style proofs per second through the judge, beside raw Z3 on the same queries");
  judge->add_option("--proofs", judge_config->proofs, "Number of distinct programs to prove")
      ->check(CLI::Range(std::size_t{4}, std::size_t{1'000'000}));
  judge->add_option("--threads", judge_config->threads, "Worker processes (default: one per core)")
      ->check(CLI::Range(1u, 1024u));
  judge->add_flag("--json", judge_config->json,
                  "Print JSON (the only format; accepted for clarity)");
  judge->callback([judge_config] {
    std::fputs(bench::run_judge_benchmark(*judge_config).c_str(), stdout);
    set_exit_status(0);
  });
}

}  // namespace aethel::cli
