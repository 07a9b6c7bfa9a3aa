#include "sim/options.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <set>
#include <string>

#include "sim/prng.h"

namespace aethel::sim {
namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(Strategy::kCount)> kStrategyNames =
    {"silent",           "equivocate", "conflicting-votes", "vote-invalid", "invalid-proposal",
     "view-change-spam", "replay",     "malformed"};

Result<std::uint64_t> parse_u64(std::string_view text, std::string_view what) {
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return fail(ErrorCode::kInvalidArgument,
                std::string(what) + ": '" + std::string(text) + "' is not a whole number");
  }
  return value;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = text.find(separator, begin);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(begin));
      return parts;
    }
    parts.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
}

Result<std::vector<std::uint32_t>> parse_node_set(std::string_view text, std::uint32_t nodes) {
  std::set<std::uint32_t> members;
  for (const auto part : split(text, ',')) {
    const std::size_t dash = part.find('-');
    auto first = parse_u64(part.substr(0, dash), "node set");
    if (!first) return unexpected<Error>(first.error());
    std::uint64_t last = *first;
    if (dash != std::string_view::npos) {
      auto parsed = parse_u64(part.substr(dash + 1), "node set");
      if (!parsed) return unexpected<Error>(parsed.error());
      last = *parsed;
    }
    if (last < *first || last >= nodes) {
      return fail(ErrorCode::kInvalidArgument, "node set: '" + std::string(part) +
                                                   "' is not a range of nodes 0.." +
                                                   std::to_string(nodes - 1));
    }
    for (std::uint64_t node = *first; node <= last; ++node) {
      members.insert(static_cast<std::uint32_t>(node));
    }
  }
  return std::vector<std::uint32_t>(members.begin(), members.end());
}

}  // namespace

std::string_view strategy_name(Strategy strategy) noexcept {
  const auto index = static_cast<std::size_t>(strategy);
  return index < kStrategyNames.size() ? kStrategyNames[index] : "unknown";
}

Result<Strategy> parse_strategy(std::string_view name) {
  for (std::size_t i = 0; i < kStrategyNames.size(); ++i) {
    if (kStrategyNames[i] == name) return static_cast<Strategy>(i);
  }
  std::string known;
  for (const auto candidate : kStrategyNames) {
    if (!known.empty()) known += ", ";
    known += candidate;
  }
  return fail(ErrorCode::kInvalidArgument,
              "strategy: unknown '" + std::string(name) + "' (known: " + known + ")");
}

Result<std::vector<Strategy>> parse_strategy_list(std::string_view text) {
  std::vector<Strategy> strategies;
  for (const auto part : split(text, ',')) {
    auto strategy = parse_strategy(part);
    if (!strategy) return unexpected<Error>(strategy.error());
    strategies.push_back(*strategy);
  }
  return strategies;
}

Result<Partition> parse_partition(std::string_view text, std::uint32_t nodes) {
  const auto parts = split(text, ':');
  if (parts.size() != 3) {
    return fail(ErrorCode::kInvalidArgument,
                "partition: '" + std::string(text) + "' is not START_MS:END_MS:NODES");
  }
  auto start = parse_u64(parts[0], "partition start");
  if (!start) return unexpected<Error>(start.error());
  auto heal = parse_u64(parts[1], "partition end");
  if (!heal) return unexpected<Error>(heal.error());
  if (*heal <= *start) {
    return fail(ErrorCode::kInvalidArgument, "partition: end " + std::to_string(*heal) +
                                                 " ms is not after start " +
                                                 std::to_string(*start) + " ms");
  }
  auto side = parse_node_set(parts[2], nodes);
  if (!side) return unexpected<Error>(side.error());
  return Partition{*start, *heal, std::move(*side)};
}

Result<Crash> parse_crash(std::string_view text, std::uint32_t nodes) {
  const auto parts = split(text, ':');
  if (parts.size() != 3) {
    return fail(ErrorCode::kInvalidArgument,
                "crash: '" + std::string(text) + "' is not NODE:AT_MS:RESTART_MS");
  }
  auto node = parse_u64(parts[0], "crash node");
  if (!node) return unexpected<Error>(node.error());
  auto at = parse_u64(parts[1], "crash time");
  if (!at) return unexpected<Error>(at.error());
  auto restart = parse_u64(parts[2], "restart time");
  if (!restart) return unexpected<Error>(restart.error());
  if (*node >= nodes) {
    return fail(ErrorCode::kInvalidArgument, "crash: node " + std::to_string(*node) +
                                                 " does not exist (nodes 0.." +
                                                 std::to_string(nodes - 1) + ")");
  }
  if (*restart <= *at) {
    return fail(ErrorCode::kInvalidArgument, "crash: restart time must be after the crash time");
  }
  return Crash{static_cast<std::uint32_t>(*node), *at, *restart};
}

Result<std::vector<std::uint64_t>> parse_stakes(std::string_view text, std::uint32_t nodes) {
  std::vector<std::uint64_t> stakes;
  for (const auto part : split(text, ',')) {
    const std::size_t times = part.find('x');
    auto stake = parse_u64(part.substr(0, times), "stake");
    if (!stake) return unexpected<Error>(stake.error());
    std::uint64_t count = 1;
    if (times != std::string_view::npos) {
      auto parsed = parse_u64(part.substr(times + 1), "stake count");
      if (!parsed) return unexpected<Error>(parsed.error());
      count = *parsed;
    }
    if (*stake < 1 || *stake > 1'000'000'000) {
      return fail(ErrorCode::kInvalidArgument,
                  "stakes: each stake must be between 1 and 1000000000");
    }
    if (count > nodes || stakes.size() + count > nodes) {
      return fail(ErrorCode::kInvalidArgument,
                  "stakes: more stakes than the " + std::to_string(nodes) + " nodes");
    }
    stakes.insert(stakes.end(), count, *stake);
  }
  if (stakes.size() != nodes) {
    return fail(ErrorCode::kInvalidArgument, "stakes: " + std::to_string(stakes.size()) +
                                                 " stakes given for " + std::to_string(nodes) +
                                                 " nodes");
  }
  return stakes;
}

std::uint64_t stake_of(const SimOptions& options, std::uint32_t node) noexcept {
  return options.stakes.empty() ? 1 : options.stakes[node];
}

Result<VotePatternChoice> parse_vote_pattern(std::string_view text) {
  if (text == "all-to-all") return VotePatternChoice::kAllToAll;
  if (text == "collector") return VotePatternChoice::kCollector;
  if (text == "auto") return VotePatternChoice::kAuto;
  return fail(ErrorCode::kInvalidArgument, "vote pattern: unknown '" + std::string(text) +
                                               "' (known: all-to-all, collector, auto)");
}

std::string_view vote_pattern_choice_name(VotePatternChoice choice) noexcept {
  switch (choice) {
    case VotePatternChoice::kAllToAll: return "all-to-all";
    case VotePatternChoice::kCollector: return "collector";
    case VotePatternChoice::kAuto: return "auto";
  }
  return "unknown";
}

Result<CpuCosts> parse_cpu_costs(std::string_view text, CpuCosts base) {
  for (const auto part : split(text, ',')) {
    const std::size_t equals = part.find('=');
    if (equals == std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument,
                  "cpu costs: '" + std::string(part) + "' is not NAME=MICROSECONDS");
    }
    const auto name = part.substr(0, equals);
    auto value = parse_u64(part.substr(equals + 1), "cpu cost");
    if (!value) return unexpected<Error>(value.error());
    if (name == "sign") {
      base.sign_us = *value;
    } else if (name == "verify") {
      base.verify_us = *value;
    } else if (name == "proof") {
      base.proof_us = *value;
    } else if (name == "sha256") {
      base.sha256_kib_us = *value;
    } else if (name == "cores") {
      base.cores = static_cast<std::uint32_t>(std::min<std::uint64_t>(*value, 1024));
    } else {
      return fail(ErrorCode::kInvalidArgument, "cpu costs: unknown cost '" + std::string(name) +
                                                   "' (known: sign, verify, proof, sha256, cores)");
    }
  }
  return base;
}

Result<AppKind> parse_app(std::string_view text) {
  if (text == "oracle") return AppKind::kOracle;
  if (text == "ledger") return AppKind::kLedger;
  return fail(ErrorCode::kInvalidArgument,
              "--app: unknown application '" + std::string(text) + "' (known: oracle, ledger)");
}

std::string_view app_name(AppKind app) noexcept {
  return app == AppKind::kLedger ? "ledger" : "oracle";
}

Result<LedgerLoad> parse_ledger_load(std::string_view text, LedgerLoad base) {
  for (const auto part : split(text, ',')) {
    const std::size_t equals = part.find('=');
    if (equals == std::string_view::npos) {
      return fail(ErrorCode::kInvalidArgument,
                  "load: '" + std::string(part) + "' is not NAME=NUMBER");
    }
    const auto name = part.substr(0, equals);
    auto value = parse_u64(part.substr(equals + 1), "load");
    if (!value) return unexpected<Error>(value.error());
    const auto small = static_cast<std::uint32_t>(std::min<std::uint64_t>(*value, UINT32_MAX));
    if (name == "proofs") {
      base.proofs = small;
    } else if (name == "transfers") {
      base.transfers = small;
    } else if (name == "round-ms") {
      base.round_ms = *value;
    } else if (name == "stake-every") {
      base.stake_every = small;
    } else if (name == "rounds") {
      base.rounds = small;
    } else {
      return fail(ErrorCode::kInvalidArgument,
                  "load: unknown field '" + std::string(name) +
                      "' (known: proofs, transfers, round-ms, stake-every, rounds)");
    }
  }
  return base;
}

std::string ledger_load_text(const LedgerLoad& load) {
  return "proofs=" + std::to_string(load.proofs) + ",transfers=" + std::to_string(load.transfers) +
         ",round-ms=" + std::to_string(load.round_ms) +
         ",stake-every=" + std::to_string(load.stake_every) +
         ",rounds=" + std::to_string(load.rounds);
}

Result<void> SimOptions::validate() const {
  auto bad = [](std::string message) {
    return fail(ErrorCode::kInvalidArgument, std::move(message));
  };
  if (nodes < 1 || nodes > 100'000) return bad("--nodes must be between 1 and 100000");
  if (byzantine > nodes) {
    return bad("--byzantine " + std::to_string(byzantine) + " exceeds --nodes " +
               std::to_string(nodes));
  }
  if (byzantine == nodes) return bad("--byzantine must leave at least one honest node");
  if (strategies.empty()) return bad("--strategy needs at least one strategy");
  if (blocks < 1 || blocks > 1'000'000) return bad("--blocks must be between 1 and 1000000");
  if (loss_ppm > kPartsPerMillion) return bad("--loss must be between 0 and 1");
  if (duplicate_ppm > kPartsPerMillion) return bad("--dup must be between 0 and 1");
  if (loss_ppm == kPartsPerMillion && nodes > 1) return bad("--loss 1 drops every message");
  if (bandwidth_mbps < 1) return bad("--bandwidth-mbps must be at least 1");
  if (latency_us > 60'000'000 || jitter_us > 60'000'000) {
    return bad("--latency-ms and --jitter-ms must be at most 60000");
  }
  if (proofs_per_block < 1 || proofs_per_block > 4096) {
    return bad("--proofs-per-block must be between 1 and 4096");
  }
  if (max_sim_ms < 1) return bad("--max-sim-ms must be positive");
  if (cpu.cores < 1) return bad("--cpu-cost-us cores must be at least 1");
  if (!stakes.empty() && stakes.size() != nodes)
    return bad("--stakes must give one stake per node");
  for (const auto& partition : partitions) {
    if (partition.side.empty() || partition.side.size() >= nodes) {
      return bad("--partition: a side must hold some but not all nodes");
    }
    if (partition.side.back() >= nodes) return bad("--partition: node outside the network");
  }
  for (const auto& crash : crashes) {
    if (crash.node >= nodes) return bad("--crash: node outside the network");
  }
  if (app == AppKind::kLedger) {
    // Every node runs a real state store and the real judge.
    if (nodes > 64) return bad("--app ledger runs at most 64 nodes");
    if (load.proofs > 64 || load.transfers > 256) {
      return bad("--load: at most 64 proofs and 256 transfers a round");
    }
    if (load.round_ms < 1 || load.rounds > 10'000) {
      return bad("--load: round-ms must be positive and rounds at most 10000");
    }
  }
  return {};
}

consensus::VotePattern effective_vote_pattern(const SimOptions& options) noexcept {
  switch (options.vote_pattern) {
    case VotePatternChoice::kAllToAll: return consensus::VotePattern::kAllToAll;
    case VotePatternChoice::kCollector: return consensus::VotePattern::kCollector;
    case VotePatternChoice::kAuto: break;
  }
  return options.nodes <= 64 ? consensus::VotePattern::kAllToAll
                             : consensus::VotePattern::kCollector;
}

std::uint32_t effective_gossip_fanout(const SimOptions& options) noexcept {
  if (options.gossip_fanout) return *options.gossip_fanout;
  if (options.nodes <= 64) return 0;
  // A node misses a relayed broadcast only if none of the copies sent to it
  // comes from a live relay: with fan-out k and a third of the relays
  // silent, about exp(-2k/3) per node. k = 1.5 * (ln N + 8) keeps the chance
  // that any honest node misses one broadcast near 1e-4 (docs/simulator.md).
  std::uint64_t log2_nodes = 0;
  while ((std::uint64_t{1} << log2_nodes) < options.nodes) ++log2_nodes;
  const std::uint64_t ln_nodes = (log2_nodes * 693 + 999) / 1000;
  return static_cast<std::uint32_t>((3 * (ln_nodes + 8) + 1) / 2);
}

std::string replay_command(const SimOptions& options) {
  std::string strategies;
  for (const auto strategy : options.strategies) {
    if (!strategies.empty()) strategies += ',';
    strategies += strategy_name(strategy);
  }
  auto micro_to_ms = [](std::uint64_t us) {
    std::string text = std::to_string(us / 1000);
    if (us % 1000 != 0) {
      std::string fraction = std::to_string(us % 1000);
      fraction.insert(0, 3 - fraction.size(), '0');
      text += '.';
      text += fraction;
    }
    return text;
  };
  auto ppm_to_probability = [](std::uint32_t ppm) {
    std::string fraction = std::to_string(ppm);
    if (ppm >= kPartsPerMillion) return std::string("1");
    fraction.insert(0, 6 - fraction.size(), '0');
    std::string text = "0.";
    text += fraction;
    return text;
  };
  std::string command =
      "aethel sim --nodes " + std::to_string(options.nodes) + " --byzantine " +
      std::to_string(options.byzantine) + " --strategy " + strategies + " --seed " +
      std::to_string(options.seed) + " --blocks " + std::to_string(options.blocks) +
      " --latency-ms " + micro_to_ms(options.latency_us) + " --jitter-ms " +
      micro_to_ms(options.jitter_us) + " --loss " + ppm_to_probability(options.loss_ppm) +
      " --dup " + ppm_to_probability(options.duplicate_ppm) + " --bandwidth-mbps " +
      std::to_string(options.bandwidth_mbps) + " --vote-pattern " +
      std::string(vote_pattern_choice_name(options.vote_pattern)) + " --proofs-per-block " +
      std::to_string(options.proofs_per_block) + " --timeout-min-ms " +
      std::to_string(options.timeout_min_ms) + " --max-sim-ms " +
      std::to_string(options.max_sim_ms) +
      " --cpu-cost-us sign=" + std::to_string(options.cpu.sign_us) +
      ",verify=" + std::to_string(options.cpu.verify_us) +
      ",proof=" + std::to_string(options.cpu.proof_us) +
      ",sha256=" + std::to_string(options.cpu.sha256_kib_us) +
      ",cores=" + std::to_string(options.cpu.cores);
  if (options.gossip_fanout)
    command += " --gossip-fanout " + std::to_string(*options.gossip_fanout);
  if (!options.stakes.empty()) {
    std::string stakes;
    for (const auto stake : options.stakes) {
      if (!stakes.empty()) stakes += ',';
      stakes += std::to_string(stake);
    }
    command += " --stakes " + stakes;
  }
  for (const auto& partition : options.partitions) {
    std::string side;
    for (const auto node : partition.side) {
      if (!side.empty()) side += ',';
      side += std::to_string(node);
    }
    command += " --partition " + std::to_string(partition.start_ms) + ":" +
               std::to_string(partition.heal_ms) + ":" + side;
  }
  for (const auto& crash : options.crashes) {
    command += " --crash " + std::to_string(crash.node) + ":" + std::to_string(crash.at_ms) + ":" +
               std::to_string(crash.restart_ms);
  }
  if (options.app != AppKind::kOracle) {
    command += " --app " + std::string(app_name(options.app)) + " --load " +
               ledger_load_text(options.load);
  }
  return command;
}

}  // namespace aethel::sim
