// Ledger runs (--app ledger): every node that runs a replica runs the real
// ledger behind it (ledger_node_application.h); the load generator submits
// rounds of transactions to every running node, honest evidence becomes
// SubmitEvidence transactions, and the observer compares the nodes' state
// roots and audits their supply at the end.
#include "consensus/evidence.h"
#include "sim/engine.h"

namespace aethel::sim {

Result<void> Engine::create_ledger_applications() {
  ledger_ = std::make_unique<LedgerWorld>(options_, chain_id_, validators_, keys_,
                                          derive_seed(options_.seed, kSeedLoad));
  ledger_nodes_.assign(nodes_.size(), nullptr);
  for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
    Node& node = nodes_[i];
    if (!node.honest && node.strategy == Strategy::kSilent) continue;
    auto application = LedgerNodeApplication::create(*ledger_, i, behaviour_of(node), options_.cpu);
    if (!application) {
      return fail(application.error().code,
                  "node " + std::to_string(i) + ": " + application.error().message);
    }
    ledger_nodes_[i] = application->get();
    node.application = std::move(*application);
  }
  return {};
}

// Transactions are assumed gossiped to every node at once; a crashed node
// misses them.
void Engine::submit_everywhere(std::span<const Bytes> transactions,
                               std::optional<std::uint32_t> except) {
  for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
    if (i == except || ledger_nodes_[i] == nullptr || nodes_[i].crashed) continue;
    ledger_nodes_[i]->submit(transactions);
  }
}

void Engine::on_load_round(std::uint64_t now_us) {
  const std::vector<Bytes> round = ledger_->load().next_round();
  submit_everywhere(round);
  if (!ledger_->load().exhausted()) {
    schedule({.time_us = now_us + options_.load.round_ms * 1000, .kind = EventKind::kLoadRound});
  }
}

void Engine::on_ledger_evidence(std::uint32_t reporter, const consensus::Evidence& evidence) {
  auto transaction = ledger_->evidence_transaction(reporter, evidence);
  if (!transaction) return;
  // The reporter's own node first: evidence it refuses (too old, say) is
  // not sent, and its nonce is used again by the reporter's next evidence.
  if (ledger_nodes_[reporter] == nullptr || !ledger_nodes_[reporter]->submit_one(*transaction)) {
    ledger_->evidence_refused(reporter);
    return;
  }
  submit_everywhere(std::span<const Bytes>(&*transaction, 1), reporter);
}

void Engine::on_ledger_executed(std::uint32_t index, const ApplicationAnswers& answers) {
  for (const auto& answer : answers) {
    if (const auto* executed = std::get_if<consensus::Executed>(&answer.event)) {
      ledger_->on_executed(index, executed->height.value(), executed->state_digest);
    }
  }
}

LedgerSummary Engine::ledger_summary() {
  std::vector<const LedgerNodeApplication*> honest;
  for (std::uint32_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].honest && ledger_nodes_[i] != nullptr) honest.push_back(ledger_nodes_[i]);
  }
  LedgerSummary summary = summarize_ledger(*ledger_, honest);
  for (const auto* node : ledger_nodes_) {
    if (node == nullptr) continue;
    const auto& verifier = node->ledger().verifier().counters();
    summary.programs_judged += verifier.judged;
    summary.judge_cache_hits += verifier.cache_hits;
  }
  return summary;
}

}  // namespace aethel::sim
