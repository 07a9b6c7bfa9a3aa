// `aethel sim`: one deterministic simulation of a network of real replicas,
// with a readable summary or one JSON object. Exit status: 0 when every
// invariant holds, 1 when one fails, 2 for bad options.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "apps/aethel/commands.h"
#include "sim/calibration.h"
#include "sim/report.h"
#include "sim/simulator.h"

namespace aethel::cli {
namespace {

struct SimArguments {
  std::uint32_t nodes = 4;
  std::uint32_t byzantine = 0;
  std::string strategy = "silent";
  double latency_ms = 50;
  double jitter_ms = 10;
  double loss = 0;
  double dup = 0;
  std::uint64_t blocks = 10;
  std::uint64_t seed = 1;
  std::vector<std::string> partitions;
  std::vector<std::string> crashes;
  std::string vote_pattern = "auto";
  std::string cpu_costs;
  std::string stakes;
  std::uint32_t proofs_per_block = 16;
  std::uint64_t bandwidth_mbps = 1000;
  std::uint64_t max_sim_ms = 600'000;
  std::uint64_t timeout_min_ms = 2'000;
  std::int64_t gossip_fanout = -1;
  std::string app = "oracle";
  std::string load;
  bool json = false;
  bool quiet = false;
};

std::uint32_t to_ppm(double probability) {
  return static_cast<std::uint32_t>(probability * 1e6 + 0.5);
}

std::uint64_t to_us(double ms) {
  return static_cast<std::uint64_t>(ms * 1000.0 + 0.5);
}

Result<sim::SimOptions> build_options(const SimArguments& arguments) {
  sim::SimOptions options;
  options.nodes = arguments.nodes;
  options.byzantine = arguments.byzantine;
  options.seed = arguments.seed;
  options.blocks = arguments.blocks;
  if (!(arguments.loss >= 0 && arguments.loss <= 1)) {
    return fail(ErrorCode::kInvalidArgument, "--loss must be a probability between 0 and 1");
  }
  if (!(arguments.dup >= 0 && arguments.dup <= 1)) {
    return fail(ErrorCode::kInvalidArgument, "--dup must be a probability between 0 and 1");
  }
  if (!(arguments.latency_ms >= 0 && arguments.latency_ms <= 60'000) ||
      !(arguments.jitter_ms >= 0 && arguments.jitter_ms <= 60'000)) {
    return fail(ErrorCode::kInvalidArgument,
                "--latency-ms and --jitter-ms must be between 0 and 60000");
  }
  options.latency_us = to_us(arguments.latency_ms);
  options.jitter_us = to_us(arguments.jitter_ms);
  options.loss_ppm = to_ppm(arguments.loss);
  options.duplicate_ppm = to_ppm(arguments.dup);
  options.bandwidth_mbps = arguments.bandwidth_mbps;
  options.proofs_per_block = arguments.proofs_per_block;
  options.max_sim_ms = arguments.max_sim_ms;
  options.timeout_min_ms = arguments.timeout_min_ms;
  if (arguments.gossip_fanout >= 0)
    options.gossip_fanout = static_cast<std::uint32_t>(arguments.gossip_fanout);

  auto strategies = sim::parse_strategy_list(arguments.strategy);
  if (!strategies) return unexpected<Error>(strategies.error());
  options.strategies = std::move(*strategies);
  auto app = sim::parse_app(arguments.app);
  if (!app) return unexpected<Error>(app.error());
  options.app = *app;
  if (!arguments.load.empty()) {
    if (options.app != sim::AppKind::kLedger) {
      return fail(ErrorCode::kInvalidArgument, "--load applies to --app ledger only");
    }
    auto load = sim::parse_ledger_load(arguments.load, options.load);
    if (!load) return unexpected<Error>(load.error());
    options.load = *load;
  }
  auto pattern = sim::parse_vote_pattern(arguments.vote_pattern);
  if (!pattern) return unexpected<Error>(pattern.error());
  options.vote_pattern = *pattern;
  for (const auto& text : arguments.partitions) {
    auto partition = sim::parse_partition(text, options.nodes);
    if (!partition) return unexpected<Error>(partition.error());
    options.partitions.push_back(std::move(*partition));
  }
  if (!arguments.stakes.empty()) {
    auto stakes = sim::parse_stakes(arguments.stakes, options.nodes);
    if (!stakes) return unexpected<Error>(stakes.error());
    options.stakes = std::move(*stakes);
  }
  for (const auto& text : arguments.crashes) {
    auto crash = sim::parse_crash(text, options.nodes);
    if (!crash) return unexpected<Error>(crash.error());
    options.crashes.push_back(*crash);
  }
  // Costs named on the command line are used as given; the others are
  // measured now (and printed, so the run can be replayed exactly).
  sim::CpuCosts base{};
  bool all_given = false;
  if (!arguments.cpu_costs.empty()) {
    auto given = sim::parse_cpu_costs(arguments.cpu_costs, sim::CpuCosts{});
    if (!given) return unexpected<Error>(given.error());
    all_given = given->sign_us != 0 && given->verify_us != 0 && given->sha256_kib_us != 0 &&
                given->proof_us != 0;
  }
  if (!all_given) {
    base = sim::measure_cpu_costs();
    options.cpu_costs_measured = true;
  } else {
    base.proof_us = sim::kDefaultProofCostUs;
    base.cores = 1;
  }
  if (!arguments.cpu_costs.empty()) {
    auto merged = sim::parse_cpu_costs(arguments.cpu_costs, base);
    if (!merged) return unexpected<Error>(merged.error());
    base = *merged;
  }
  options.cpu = base;
  if (auto valid = options.validate(); !valid) return unexpected<Error>(valid.error());
  return options;
}

void run_sim_command(const SimArguments& arguments) {
  auto options = build_options(arguments);
  if (!options) {
    std::cerr << "aethel sim: " << options.error().message << "\n";
    set_exit_status(2);
    return;
  }
  options->progress = !arguments.quiet;
  auto result = sim::run_simulation(*options);
  if (!result) {
    std::cerr << "aethel sim: " << result.error().message << "\n";
    set_exit_status(2);
    return;
  }
  if (arguments.json) {
    std::cout << sim::result_to_json(*result).dump(2) << "\n";
  } else {
    std::cout << sim::result_summary(*result);
  }
  if (!result->invariants_ok()) {
    std::cerr << "aethel sim: an invariant failed; replay with:\n  "
              << sim::replay_command(*options) << "\n";
  }
  set_exit_status(result->invariants_ok() ? 0 : 1);
}

}  // namespace

void add_sim_command(CLI::App& app) {
  auto arguments = std::make_shared<SimArguments>();
  auto* sim = app.add_subcommand(
      "sim",
      "Simulate a network of real consensus replicas, deterministically from a seed: modelled "
      "latency, loss, bandwidth, CPU costs, partitions, crashes and Byzantine strategies; checks "
      "agreement, validity, liveness and partition safety");
  sim->add_option("--nodes", arguments->nodes, "Validators (equal stake)")
      ->check(CLI::Range(1u, 100'000u));
  sim->add_option("--byzantine", arguments->byzantine,
                  "How many validators are Byzantine (chosen by the seed)");
  sim->add_option("--strategy", arguments->strategy,
                  "Byzantine strategy, or several separated by commas (dealt round-robin): "
                  "silent, equivocate, conflicting-votes, vote-invalid, invalid-proposal, "
                  "view-change-spam, replay, malformed");
  sim->add_option("--latency-ms", arguments->latency_ms, "One-way base latency (ms)");
  sim->add_option("--jitter-ms", arguments->jitter_ms, "Uniform extra latency, 0..J ms");
  sim->add_option("--loss", arguments->loss, "Probability (0..1) that a message is lost");
  sim->add_option("--dup", arguments->dup, "Probability (0..1) that a message is duplicated");
  sim->add_option("--blocks", arguments->blocks, "Blocks every honest node must commit")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000}));
  sim->add_option("--seed", arguments->seed, "Seed: the same seed gives the same run");
  sim->add_option("--partition", arguments->partitions,
                  "START_MS:END_MS:NODES, e.g. 1000:5000:0-9 (NODES on one side); repeatable")
      ->take_all();
  sim->add_option("--crash", arguments->crashes,
                  "NODE:AT_MS:RESTART_MS: crash a node and restart it from its persisted state; "
                  "repeatable")
      ->take_all();
  sim->add_option("--vote-pattern", arguments->vote_pattern,
                  "all-to-all, collector or auto (all-to-all up to 64 nodes)");
  sim->add_option(
      "--cpu-cost-us", arguments->cpu_costs,
      "Fix modelled CPU costs, e.g. sign=20,verify=50,sha256=3,proof=1486,cores=2 (costs "
      "not given are measured on this machine; cores defaults to its hardware threads, "
      "or 1 when sign, verify, sha256 and proof are all given)");
  sim->add_option("--stakes", arguments->stakes,
                  "Stake per validator in index order, e.g. 10x3,1x7 (three of stake 10, then "
                  "seven of stake 1); default: equal stakes");
  sim->add_option("--proofs-per-block", arguments->proofs_per_block,
                  "Proof claims per block (oracle; ledger blocks claim the proofs they carry)");
  sim->add_option("--bandwidth-mbps", arguments->bandwidth_mbps, "Per-node up and down bandwidth");
  sim->add_option("--max-sim-ms", arguments->max_sim_ms, "Stop after this much simulated time");
  sim->add_option("--timeout-min-ms", arguments->timeout_min_ms,
                  "The replicas' minimum view timeout");
  sim->add_option("--gossip-fanout", arguments->gossip_fanout,
                  "Relay fan-out for broadcasts (0: direct to everyone; default: by node count)");
  sim->add_option("--app", arguments->app,
                  "Application behind each replica: oracle (seeded ground truth, no prover) or "
                  "ledger (the real ledger, judge and state store on every node; at most 64 "
                  "nodes)");
  sim->add_option("--load", arguments->load,
                  "Ledger runs: the transactions submitted, e.g. "
                  "proofs=2,transfers=4,round-ms=250,stake-every=4,rounds=40 (any subset)");
  sim->add_flag("--json", arguments->json, "Print one JSON object");
  sim->add_flag("--quiet", arguments->quiet, "No progress lines on stderr");
  sim->callback([arguments] { run_sim_command(*arguments); });
}

}  // namespace aethel::cli
