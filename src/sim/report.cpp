#include "sim/report.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace aethel::sim {
namespace {

double milliseconds(std::uint64_t us) {
  return static_cast<double>(us) / 1000.0;
}

double per_node_per_block(std::uint64_t total, const SimResult& result) {
  const std::uint64_t blocks = std::max<std::uint64_t>(1, result.blocks_committed);
  return static_cast<double>(total) / static_cast<double>(result.options.nodes) /
         static_cast<double>(blocks);
}

std::string strategies_text(const SimOptions& options) {
  std::string text;
  for (const auto strategy : options.strategies) {
    if (!text.empty()) text += ',';
    text += strategy_name(strategy);
  }
  return text;
}

nlohmann::json options_json(const SimOptions& options) {
  nlohmann::json partitions = nlohmann::json::array();
  for (const auto& partition : options.partitions) {
    partitions.push_back({{"start_ms", partition.start_ms},
                          {"heal_ms", partition.heal_ms},
                          {"side", partition.side}});
  }
  nlohmann::json crashes = nlohmann::json::array();
  for (const auto& crash : options.crashes) {
    crashes.push_back(
        {{"node", crash.node}, {"at_ms", crash.at_ms}, {"restart_ms", crash.restart_ms}});
  }
  return {
      {"latency_ms", milliseconds(options.latency_us)},
      {"jitter_ms", milliseconds(options.jitter_us)},
      {"loss", static_cast<double>(options.loss_ppm) / 1e6},
      {"dup", static_cast<double>(options.duplicate_ppm) / 1e6},
      {"bandwidth_mbps", options.bandwidth_mbps},
      {"blocks", options.blocks},
      {"stakes", options.stakes.empty() ? nlohmann::json("equal") : nlohmann::json(options.stakes)},
      {"proofs_per_block", options.proofs_per_block},
      {"timeout_min_ms", options.timeout_min_ms},
      {"max_sim_ms", options.max_sim_ms},
      {"vote_pattern", std::string(vote_pattern_choice_name(options.vote_pattern))},
      {"partitions", partitions},
      {"crashes", crashes}};
}

nlohmann::json ledger_json(const LedgerSummary& ledger) {
  return {{"height", ledger.height},
          {"state_root", ledger.state_root.hex()},
          {"execution_ok", ledger.execution_ok},
          {"transactions_committed", ledger.transactions_committed},
          {"emitted", ledger.emitted},
          {"slashed_validators", ledger.slashed_validators},
          {"transactions_generated", ledger.transactions_generated},
          {"proofs_generated", ledger.proofs_generated},
          {"evidence_submitted", ledger.evidence_submitted},
          {"evidence_refused", ledger.evidence_refused},
          {"admitted", ledger.admitted},
          {"admission_refused", ledger.admission_refused},
          {"mempool_dropped", ledger.mempool_dropped},
          {"verified_undecided", ledger.verified_undecided},
          {"programs_judged", ledger.programs_judged},
          {"judge_cache_hits", ledger.judge_cache_hits}};
}

}  // namespace

nlohmann::json result_to_json(const SimResult& result) {
  const auto& options = result.options;
  nlohmann::json json;
  json["nodes"] = options.nodes;
  json["byzantine"] = options.byzantine;
  json["strategy"] = strategies_text(options);
  json["seed"] = options.seed;
  json["blocks_committed"] = result.blocks_committed;
  json["finality_ms_p50"] = milliseconds(result.finality_us_p50);
  json["finality_ms_p99"] = milliseconds(result.finality_us_p99);
  json["view_changes"] = result.view_changes;
  json["messages_per_node_per_block"] = per_node_per_block(result.messages_sent, result);
  json["bytes_per_node_per_block"] = per_node_per_block(result.bytes_sent, result);
  json["agreement_ok"] = result.agreement_ok;
  json["validity_ok"] = result.validity_ok;
  json["liveness_ok"] =
      result.liveness_ok ? nlohmann::json(*result.liveness_ok) : nlohmann::json(nullptr);
  json["partition_safety_ok"] = result.partition_safety_ok;
  json["accusations_ok"] = result.accusations_ok;
  json["violations"] = result.violations;
  json["trace_hash"] = result.trace_hash.hex();
  json["wall_s"] = result.wall_s;
  json["peak_rss_mb"] = result.peak_rss_mb;
  json["cpu_costs_us"] = {{"sign", options.cpu.sign_us},
                          {"verify", options.cpu.verify_us},
                          {"sha256_kib", options.cpu.sha256_kib_us},
                          {"proof", options.cpu.proof_us},
                          {"cores", options.cpu.cores},
                          {"measured", options.cpu_costs_measured}};
  json["refused"] = result.refused;
  json["vote_pattern"] = consensus::vote_pattern_name(result.vote_pattern);
  json["gossip_fanout"] = result.gossip_fanout;
  json["byzantine_nodes"] = result.byzantine_nodes;
  json["honest_min_height"] = result.honest_min_height;
  json["honest_max_height"] = result.honest_max_height;
  json["messages_sent"] = result.messages_sent;
  json["bytes_sent"] = result.bytes_sent;
  json["messages_dropped"] = result.messages_dropped;
  json["retransmissions"] = result.retransmissions;
  json["evidence_reported"] = result.evidence_reported;
  json["real_signature_verifications"] = result.real_signature_verifications;
  json["memoized_signature_checks"] = result.memoized_signature_checks;
  json["events"] = result.events;
  json["sim_time_ms"] = milliseconds(result.sim_time_us);
  json["options"] = options_json(options);
  if (result.ledger) {
    const LedgerSummary& ledger = *result.ledger;
    json["app"] = std::string(app_name(options.app));
    json["state_roots_equal"] = ledger.state_roots_equal;
    json["supply_ok"] = ledger.supply_ok;
    json["proofs_committed"] = ledger.proofs_committed;
    json["rewards_paid"] = ledger.rewards_paid;
    json["slashed"] = ledger.slashed;
    json["ledger"] = ledger_json(ledger);
    json["options"]["load"] = ledger_load_text(options.load);
  }
  json["replay"] = replay_command(options);
  return json;
}

std::string result_summary(const SimResult& result) {
  const auto& options = result.options;
  auto verdict = [](bool ok) { return ok ? "ok" : "VIOLATED"; };
  std::string text = fmt::format(
      "nodes {} (byzantine {}: {}), seed {}, vote pattern {}, gossip fan-out {}\n"
      "blocks final at 2/3 of honest stake: {} (honest heights {}..{}), view changes: {}\n"
      "finality p50 {:.1f} ms, p99 {:.1f} ms (simulated)\n"
      "per node per block: {:.1f} messages, {:.0f} bytes\n"
      "agreement {}, validity {}, partition safety {}, accusations {}, liveness {}\n"
      "evidence reported by honest nodes: {}\n"
      "cpu costs (us): sign {}, verify {}, sha256/KiB {}, proof {}; {} cores per node{}\n"
      "simulated {:.3f} s in {} events; wall {:.2f} s, peak RSS {:.0f} MB\n"
      "trace {}\n",
      options.nodes, options.byzantine, strategies_text(options), options.seed,
      consensus::vote_pattern_name(result.vote_pattern), result.gossip_fanout,
      result.blocks_committed, result.honest_min_height, result.honest_max_height,
      result.view_changes, milliseconds(result.finality_us_p50),
      milliseconds(result.finality_us_p99), per_node_per_block(result.messages_sent, result),
      per_node_per_block(result.bytes_sent, result), verdict(result.agreement_ok),
      verdict(result.validity_ok), verdict(result.partition_safety_ok),
      verdict(result.accusations_ok),
      result.liveness_ok ? verdict(*result.liveness_ok) : "not judged", result.evidence_reported,
      options.cpu.sign_us, options.cpu.verify_us, options.cpu.sha256_kib_us, options.cpu.proof_us,
      options.cpu.cores, options.cpu_costs_measured ? " (measured on this machine)" : " (given)",
      static_cast<double>(result.sim_time_us) / 1e6, result.events, result.wall_s,
      result.peak_rss_mb, result.trace_hash.hex());
  if (!result.refused.empty()) {
    text += "refused:";
    for (const auto& [reason, count] : result.refused) text += fmt::format(" {} {}", reason, count);
    text += "\n";
  }
  if (result.ledger) {
    const LedgerSummary& ledger = *result.ledger;
    text += fmt::format(
        "ledger: height {}, root {}, state roots {}, supply {}, execution {}\n"
        "ledger: {} of {} transactions committed, {} of {} proofs, rewards paid {}, emitted {}, "
        "slashed {} (validators {})\n"
        "ledger: {} programs judged by all nodes ({} cache hits), {} evidence submitted\n",
        ledger.height, ledger.state_root.hex().substr(0, 16), verdict(ledger.state_roots_equal),
        verdict(ledger.supply_ok), verdict(ledger.execution_ok), ledger.transactions_committed,
        ledger.transactions_generated, ledger.proofs_committed, ledger.proofs_generated,
        ledger.rewards_paid, ledger.emitted, ledger.slashed,
        fmt::join(ledger.slashed_validators, ","), ledger.programs_judged, ledger.judge_cache_hits,
        ledger.evidence_submitted);
  }
  for (const auto& violation : result.violations) text += "violation: " + violation + "\n";
  return text;
}

}  // namespace aethel::sim
