#include "sim/ledger_node_application.h"

#include <system_error>

#include "sim/oracle_application.h"

namespace aethel::sim {
namespace {

state::TreeConfig simulated_tree_config() {
  state::TreeConfig config;
  config.sync_writes = false;  // the folder is thrown away; a crash of the process loses it
  config.node_cache_limit = std::size_t{1} << 14;
  config.apply_threads = 1;
  return config;
}

}  // namespace

Result<std::unique_ptr<LedgerNodeApplication>> LedgerNodeApplication::create(
    LedgerWorld& world, std::uint32_t index, ApplicationBehaviour behaviour,
    const CpuCosts& costs) {
  auto directory = TemporaryDirectory::create("aethel-sim-ledger");
  if (!directory) {
    return fail(ErrorCode::kIo, "simulated ledger state: " + directory.error().message);
  }
  // From here the folder belongs to the application, which removes it.
  std::unique_ptr<LedgerNodeApplication> node(
      new LedgerNodeApplication(world, index, behaviour, costs, std::move(*directory)));
  auto state = state::LedgerState::open(node->directory(), simulated_tree_config(),
                                        ledger::ledger_config(world.params()));
  if (!state) return unexpected<Error>(state.error());
  node->state_ = std::move(*state);
  auto genesis = ledger::apply_genesis(*node->state_, world.genesis(), world.params());
  if (!genesis) return unexpected<Error>(genesis.error());

  ledger::LedgerApplicationConfig config;
  config.params = world.params();
  config.validators = world.validators();
  config.self = ValidatorIndex(index);
  config.verifier_workers = 1;
  node->application_ = std::make_unique<ledger::LedgerApplication>(std::move(config), *node->state_,
                                                                   world.payloads());
  return node;
}

LedgerNodeApplication::LedgerNodeApplication(LedgerWorld& world, std::uint32_t index,
                                             ApplicationBehaviour behaviour, const CpuCosts& costs,
                                             TemporaryDirectory directory)
    : world_(world),
      index_(index),
      behaviour_(behaviour),
      costs_(costs),
      directory_(std::move(directory)) {}

LedgerNodeApplication::~LedgerNodeApplication() {
  application_.reset();
  state_.reset();  // closes the database before directory_ removes its folder
}

std::uint64_t LedgerNodeApplication::verification_cost_us(
    const consensus::Block& block) const noexcept {
  return parallel_cost_us(costs_, block.claims.size(), costs_.proof_us);
}

ApplicationAnswer LedgerNodeApplication::verified_answer(consensus::BlockVerified verified) {
  std::uint64_t cost_us = 0;
  const auto asked = blocks_asked_.find(verified.block_digest);
  if (asked != blocks_asked_.end()) {
    cost_us = verification_cost_us(*asked->second);
    blocks_asked_.erase(asked);
  }
  return {std::move(verified), cost_us};
}

ApplicationAnswers LedgerNodeApplication::propose(const consensus::RequestProposal& request,
                                                  std::uint64_t now_ms) {
  ApplicationAnswers answers;
  auto ready = application_->propose(request, now_ms);
  if (!ready) {
    // The replica asks only after delivering the parent; no answer lets its
    // view time out, as a node that cannot build a block would.
    world_.violation("node " + std::to_string(index_) + " could not propose height " +
                     to_string(request.height) + ": " + ready.error().message);
    return answers;
  }
  if (behaviour_ != ApplicationBehaviour::kHonest && !ready->claims.empty()) {
    auto& first = ready->claims.front();
    first.verdict = first.verdict == consensus::ClaimedVerdict::kProved
                        ? consensus::ClaimedVerdict::kRefuted
                        : consensus::ClaimedVerdict::kProved;
  }
  answers.push_back({std::move(*ready), 0});
  return answers;
}

ApplicationAnswers LedgerNodeApplication::verify(const consensus::BlockPtr& block) {
  ApplicationAnswers answers;
  if (behaviour_ == ApplicationBehaviour::kCollude) {
    // Votes for whatever it is shown, without checking.
    answers.push_back({consensus::BlockVerified::valid(consensus::block_digest(*block)), 0});
    return answers;
  }
  blocks_asked_[consensus::block_digest(*block)] = block;
  if (auto verified = application_->verify(block)) {
    answers.push_back(verified_answer(std::move(*verified)));
  }
  return answers;
}

ApplicationAnswers LedgerNodeApplication::deliver(const consensus::DeliverBlock& deliver) {
  ApplicationAnswers answers;
  if (execution_error_) return answers;
  auto delivered = application_->deliver(deliver);
  if (!delivered) {
    execution_error_ = "node " + std::to_string(index_) + " could not execute final block " +
                       to_string(deliver.block->height) + ": " + delivered.error().message;
    return answers;
  }
  totals_.executed_height = delivered->executed.height.value();
  totals_.transactions += delivered->transactions;
  totals_.proofs_registered += delivered->proofs_registered;
  totals_.rewards_paid += delivered->rewards_paid.value();
  for (const auto& slashing : delivered->slashings) totals_.slashed.push_back(slashing.offender);
  answers.push_back({delivered->executed, 0});
  for (auto& verified : delivered->verified)
    answers.push_back(verified_answer(std::move(verified)));
  return answers;
}

void LedgerNodeApplication::crash() {
  application_->forget_held();
  blocks_asked_.clear();
}

bool LedgerNodeApplication::submit_one(const Bytes& transaction) {
  return application_->submit(transaction).has_value();
}

void LedgerNodeApplication::submit(std::span<const Bytes> transactions) {
  std::vector<ByteView> views;
  views.reserve(transactions.size());
  for (const auto& bytes : transactions) views.emplace_back(bytes);
  application_->submit_batch(views);
}

namespace {

// The conservation audit of the node's latest version, and the cap.
bool supply_holds(LedgerWorld& world, std::uint32_t index, const state::LedgerState& state) {
  const std::string who = "supply: node " + std::to_string(index);
  if (auto audit = state.audit(state.tree().latest_version()); !audit) {
    world.violation(who + " fails the audit: " + audit.error().message);
    return false;
  }
  auto supply = state.supply();
  if (!supply) {
    world.violation(who + " has no readable supply: " + supply.error().message);
    return false;
  }
  if (supply->emitted > world.params().emission.cap) {
    world.violation(who + " emitted " + to_string(supply->emitted) + ", above the cap");
    return false;
  }
  return true;
}

}  // namespace

LedgerSummary summarize_ledger(LedgerWorld& world,
                               const std::vector<const LedgerNodeApplication*>& honest) {
  LedgerSummary summary;
  summary.state_roots_equal = world.state_roots_equal();
  const LedgerNodeApplication* reference = nullptr;
  for (const auto* node : honest) {
    if (node->execution_error()) {
      summary.execution_ok = false;
      world.violation(*node->execution_error());
    }
    if (!supply_holds(world, node->index(), node->ledger().state())) summary.supply_ok = false;
    const auto& admission = node->ledger().admission().counters();
    summary.admitted += admission.admitted;
    summary.admission_refused += admission.refused_total();
    const auto& mempool = node->ledger().mempool().counters();
    summary.mempool_dropped += mempool.dropped + mempool.superseded;
    summary.verified_undecided += node->ledger().counters().verified_undecided;
    if (reference == nullptr ||
        node->totals().executed_height > reference->totals().executed_height) {
      reference = node;
    }
  }
  const auto& load = world.load().counters();
  summary.proofs_generated = load.proofs;
  summary.transactions_generated =
      load.proofs + load.transfers + load.stakes + load.unstakes + world.evidence_submitted();
  summary.evidence_submitted = world.evidence_submitted();
  summary.evidence_refused = world.evidence_refused_count();
  if (reference == nullptr) return summary;
  const auto& totals = reference->totals();
  summary.height = totals.executed_height;
  summary.state_root = reference->ledger().state().tree().latest().root();
  summary.transactions_committed = totals.transactions;
  summary.proofs_committed = totals.proofs_registered;
  summary.rewards_paid = totals.rewards_paid;
  if (auto supply = reference->ledger().state().supply()) {
    summary.emitted = supply->emitted.value();
    summary.slashed = supply->slashed.value();
  }
  for (const auto& offender : totals.slashed) {
    if (const auto index = world.validators()->index_of(offender)) {
      summary.slashed_validators.push_back(static_cast<std::uint32_t>(index->value()));
    }
  }
  return summary;
}

}  // namespace aethel::sim
