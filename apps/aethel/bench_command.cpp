// `aethel bench`: the benchmarks of bench/, printing JSON.
#include <cstdio>
#include <memory>
#include <string>

#include "apps/aethel/commands.h"
#include "bench/judge_benchmark.h"
#include "bench/ledger_benchmark.h"
#include "bench/state_benchmark.h"

namespace aethel::cli {
namespace {

void add_json_flag(CLI::App* benchmark, bool& json) {
  benchmark->add_flag("--json", json, "Print JSON (the only format; accepted for clarity)");
}

// Prints a benchmark's JSON; one that reports an error exits with status 1.
void print_benchmark(const std::string& output) {
  std::fputs(output.c_str(), stdout);
  set_exit_status(output.find("\"error\"") == std::string::npos ? 0 : 1);
}

}  // namespace

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
  add_json_flag(judge, judge_config->json);
  judge->callback([judge_config] { print_benchmark(bench::run_judge_benchmark(*judge_config)); });

  auto state_config = std::make_shared<bench::StateBenchmarkConfig>();
  auto* state = bench->add_subcommand(
      "state",
      "Authenticated state updates per second, beside raw RocksDB on the same writes; proofs "
      "and snapshot sync");
  state->add_option("--accounts", state_config->accounts, "Accounts loaded before timing")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}));
  state->add_option("--batch", state_config->batch, "Updates per version")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}));
  state->add_option("--batches", state_config->batches, "Timed versions of random updates")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}));
  state->add_option("--proofs", state_config->proofs, "Proofs generated and verified")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}));
  state->add_option("--sync", state_config->sync, "fsync every version's write batch (1 or 0)");
  add_json_flag(state, state_config->json);
  state->callback([state_config] { print_benchmark(bench::run_state_benchmark(*state_config)); });

  auto ledger_config = std::make_shared<bench::LedgerBenchmarkConfig>();
  auto* ledger = bench->add_subcommand(
      "ledger",
      "Blocks of proofs and transfers verified and executed per second, beside the judge alone; "
      "mempool admission rate and select time at 10,000 pending proofs");
  ledger->add_option("--block-proofs", ledger_config->block_proofs, "SubmitProofs in the block")
      ->check(CLI::Range(std::size_t{1}, std::size_t{65'536}));
  ledger
      ->add_option("--block-transfers", ledger_config->block_transfers,
                   "Transfers in the transfer block")
      ->check(CLI::Range(std::size_t{1}, std::size_t{65'536}));
  ledger
      ->add_option("--mempool-proofs", ledger_config->mempool_proofs,
                   "Pending proofs the mempool is filled to")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000}));
  ledger
      ->add_option("--admission-batch", ledger_config->admission_batch,
                   "SubmitProofs judged per verifier call during admission")
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}));
  ledger->add_option("--workers", ledger_config->workers, "Prover processes")
      ->check(CLI::Range(1u, 1024u));
  add_json_flag(ledger, ledger_config->json);
  ledger->callback(
      [ledger_config] { print_benchmark(bench::run_ledger_benchmark(*ledger_config)); });
}

}  // namespace aethel::cli
