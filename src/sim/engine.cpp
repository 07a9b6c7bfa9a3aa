#include "sim/engine.h"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "consensus/evidence.h"
#include "consensus/stats.h"
#include "core/encoding.h"
#include "sim/oracle_application.h"

namespace aethel::sim {
namespace {

constexpr std::uint64_t kAntiEntropyPeriodUs = 1'000'000;
constexpr std::uint64_t kProgressEveryEvents = 1 << 16;

Hash256 tagged_seed_hash(std::string_view tag, std::uint64_t value) {
  Encoder encoder;
  encoder.put_u64(value);
  crypto::Sha256Hasher hasher;
  hasher.update(tag).update(encoder.bytes());
  return hasher.finish();
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace

Engine::Engine(const SimOptions& options)
    : options_(options),
      vote_pattern_(effective_vote_pattern(options)),
      gossip_fanout_(effective_gossip_fanout(options)),
      chain_id_(tagged_seed_hash("aethel-sim-chain", options.seed)),
      checker_(std::make_shared<MemoizingSignatureChecker>()),
      oracle_(options.seed, options.proofs_per_block),
      network_prng_(derive_seed(options.seed, kSeedNetwork)),
      adversary_prng_(derive_seed(options.seed, kSeedAdversary)) {}

void Engine::create_validators() {
  std::vector<consensus::Validator> validators;
  validators.reserve(options_.nodes);
  keys_.reserve(options_.nodes);
  for (std::uint32_t i = 0; i < options_.nodes; ++i) {
    const Hash256 seed = tagged_seed_hash("aethel-sim-validator-key", i);
    keys_.push_back(crypto::keypair_from_seed(crypto::SeedView(seed.array())));
    validators.push_back({keys_.back().public_key, Stake(stake_of(options_, i))});
  }
  auto set = consensus::ValidatorSet::create(std::move(validators), Stake(1));
  AETHEL_ASSERT_MSG(set.has_value(), "simulated validator set must be valid");
  validators_ = std::make_shared<const consensus::ValidatorSet>(std::move(*set));
}

// The Byzantine nodes are the first F of a seeded permutation of all nodes,
// so they are spread over the index space (and over partition sides).
void Engine::choose_byzantine_nodes() {
  std::vector<std::uint32_t> order(options_.nodes);
  for (std::uint32_t i = 0; i < options_.nodes; ++i) order[i] = i;
  Prng prng(derive_seed(options_.seed, kSeedByzantineChoice));
  prng.shuffle(order);
  byzantine_nodes_.assign(order.begin(), order.begin() + options_.byzantine);
  std::sort(byzantine_nodes_.begin(), byzantine_nodes_.end());
  nodes_.resize(options_.nodes);
  for (std::size_t k = 0; k < byzantine_nodes_.size(); ++k) {
    Node& node = nodes_[byzantine_nodes_[k]];
    node.honest = false;
    node.strategy = options_.strategies[k % options_.strategies.size()];
  }
  honest_count_ = options_.nodes - options_.byzantine;
  for (std::uint32_t i = 0; i < options_.nodes; ++i) {
    (nodes_[i].honest ? honest_stake_ : byzantine_stake_) += stake_of(options_, i);
  }
}

std::vector<PartitionWindow> Engine::partition_windows() const {
  std::vector<PartitionWindow> windows;
  const std::uint64_t total = honest_stake_ + byzantine_stake_;
  for (const auto& partition : options_.partitions) {
    PartitionWindow window;
    window.start_us = partition.start_ms * 1000;
    window.heal_us = partition.heal_ms * 1000;
    // Messages already in flight or queued behind a busy CPU when the cut
    // starts may still complete a quorum; three one-way trips plus the
    // minimum view timeout bound that (docs/simulator.md).
    window.grace_end_us = window.start_us + 3 * (options_.latency_us + options_.jitter_us) +
                          options_.timeout_min_ms * 1000;
    window.on_side.assign(options_.nodes, false);
    for (const auto node : partition.side) window.on_side[node] = true;
    std::uint64_t side = 0;
    for (const auto node : partition.side) side += stake_of(options_, node);
    window.side_is_quorum = 3 * side > 2 * total;
    window.rest_is_quorum = 3 * (total - side) > 2 * total;
    windows.push_back(std::move(window));
  }
  return windows;
}

const crypto::SecretKey& Engine::secret_key(std::uint32_t node) const {
  return keys_[node].secret_key;
}

consensus::ReplicaSetup Engine::replica_setup(std::uint32_t index) {
  const Node& node = nodes_[index];
  consensus::Config config;
  config.chain_id = chain_id_;
  config.vote_pattern = vote_pattern_;
  config.max_block_claims =
      std::max<std::uint32_t>(config.max_block_claims, options_.proofs_per_block);
  config.timeout_min_ms = options_.timeout_min_ms;
  config.timeout_max_ms = std::max<std::uint64_t>(config.timeout_max_ms, options_.timeout_min_ms);
  config.initial_rtt_ms = std::max<std::uint64_t>(1, modelled_round_trip_us() / 1000);
  consensus::ReplicaSetup setup{config,
                                validators_,
                                secret_key(index).clone(),
                                node.persisted ? *node.persisted : consensus::PersistentState{},
                                consensus::ChainTip{},
                                checker_};
  if (!node.chain.empty()) {
    const auto& last = *node.chain.back().block;
    setup.tip = {last.height, consensus::block_digest(last), last.timestamp_ms};
  }
  return setup;
}

// The replicas' round-trip estimate before they measure one, as an operator
// would configure it for this network: two one-way trips plus the CPU time
// of checking a quorum of votes (what a collector does before it answers).
std::uint64_t Engine::modelled_round_trip_us() const noexcept {
  const std::uint64_t quorum = validators_->quorum_stake().value();
  return 2 * (options_.latency_us + options_.jitter_us) +
         parallel_cost_us(quorum, options_.cpu.verify_us);
}

std::uint64_t Engine::parallel_cost_us(std::uint64_t count, std::uint64_t unit_us) const noexcept {
  return sim::parallel_cost_us(options_.cpu, count, unit_us);
}

bool Engine::runs_replica(const Node& node) const noexcept {
  return !node.crashed && (node.honest || node.strategy != Strategy::kSilent);
}

ApplicationBehaviour Engine::behaviour_of(const Node& node) const noexcept {
  if (node.honest) return ApplicationBehaviour::kHonest;
  switch (node.strategy) {
    case Strategy::kVoteInvalid: return ApplicationBehaviour::kCollude;
    case Strategy::kInvalidProposal: return ApplicationBehaviour::kFalseProposals;
    default: return ApplicationBehaviour::kHonest;
  }
}

Result<void> Engine::create_applications() {
  if (options_.app == AppKind::kLedger) return create_ledger_applications();
  for (auto& node : nodes_) {
    if (!node.honest && node.strategy == Strategy::kSilent) continue;
    node.application =
        std::make_unique<OracleApplication>(oracle_, behaviour_of(node), options_.cpu);
  }
  return {};
}

const ClaimTruth& Engine::truth() const noexcept {
  if (ledger_) return ledger_->truth();
  return oracle_;
}

void Engine::start_node(std::uint32_t index, std::uint64_t now_us) {
  Node& node = nodes_[index];
  if (!runs_replica(node)) return;
  auto replica = consensus::Replica::create(replica_setup(index));
  AETHEL_ASSERT_MSG(replica.has_value(),
                    "a simulated replica must start from its own persisted state");
  node.replica.emplace(std::move(*replica));
  node.signatures_made_seen = 0;
  node.signatures_verified_seen = 0;
  node.sync_requested = false;
  step(index, now_us, consensus::Start{}, 0);
  if (!node.honest && node.strategy != Strategy::kSilent) {
    schedule({.time_us = now_us + 1000 * (100 + adversary_prng_.below(200)),
              .kind = EventKind::kAdversaryTick,
              .node = index,
              .aux = node.incarnation});
  }
  Prng prng(derive_seed(options_.seed, kSeedAntiEntropy, index));
  schedule({.time_us = now_us + kAntiEntropyPeriodUs + prng.below(kAntiEntropyPeriodUs),
            .kind = EventKind::kAntiEntropy,
            .node = index,
            .aux = node.incarnation});
}

void Engine::schedule_faults() {
  for (const auto& crash_spec : options_.crashes) {
    schedule(
        {.time_us = crash_spec.at_ms * 1000, .kind = EventKind::kCrash, .node = crash_spec.node});
    schedule({.time_us = crash_spec.restart_ms * 1000,
              .kind = EventKind::kRestart,
              .node = crash_spec.node});
    liveness_not_before_us_ = std::max(liveness_not_before_us_, crash_spec.restart_ms * 1000);
  }
  for (const auto& partition : options_.partitions) {
    liveness_not_before_us_ = std::max(liveness_not_before_us_, partition.heal_ms * 1000);
  }
}

void Engine::schedule(QueuedEvent event) {
  event.sequence = next_sequence_++;
  queue_.push(std::move(event));
}

void Engine::fold_trace(std::uint64_t time_us, std::uint32_t node, std::uint8_t kind,
                        const Hash256& digest) {
  std::array<std::uint8_t, 13 + Hash256::kSize> record{};
  for (int i = 0; i < 8; ++i)
    record[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(time_us >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i)
    record[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(node >> (24 - 8 * i));
  record[12] = kind;
  std::copy(digest.array().begin(), digest.array().end(), record.begin() + 13);
  trace_.update(ByteView(record));
}

// Steps the replica when its CPU is free, charges the modelled CPU time of
// what the step did, and carries out the actions when that time has passed.
void Engine::step(std::uint32_t index, std::uint64_t at_us, const consensus::Event& event,
                  std::uint64_t extra_cost_us) {
  Node& node = nodes_[index];
  if (!node.replica) return;
  const std::uint64_t start_us = std::max(at_us, node.busy_until_us);
  consensus::Actions actions = node.replica->step(start_us / 1000, event);
  const auto& stats = node.replica->stats();
  const std::uint64_t signed_now = stats.signatures_made - node.signatures_made_seen;
  const std::uint64_t verified_now = stats.signatures_verified - node.signatures_verified_seen;
  node.signatures_made_seen = stats.signatures_made;
  node.signatures_verified_seen = stats.signatures_verified;
  const std::uint64_t cost_us = extra_cost_us + signed_now * options_.cpu.sign_us +
                                parallel_cost_us(verified_now, options_.cpu.verify_us);
  node.busy_until_us = start_us + cost_us;
  execute(index, std::move(actions), node.busy_until_us);
}

void Engine::execute(std::uint32_t index, consensus::Actions actions, std::uint64_t at_us) {
  // Persisted steps append their actions: the replica released them only
  // now, after everything it emitted before.
  for (std::size_t i = 0; i < actions.size(); ++i) {
    consensus::Actions more;
    execute_one(index, actions[i], at_us, more);
    for (auto& action : more) actions.push_back(std::move(action));
    if (!nodes_[index].replica) return;
  }
}

void Engine::schedule_local(std::uint32_t index, std::uint64_t at_us, consensus::Event event) {
  schedule({.time_us = at_us,
            .kind = EventKind::kLocal,
            .node = index,
            .aux = nodes_[index].incarnation,
            .local = std::make_shared<const consensus::Event>(std::move(event))});
}

void Engine::schedule_answers(std::uint32_t index, std::uint64_t at_us,
                              ApplicationAnswers answers) {
  Node& node = nodes_[index];
  for (auto& answer : answers) {
    std::uint64_t ready_us = at_us;
    if (answer.cpu_us != 0 || std::holds_alternative<consensus::BlockVerified>(answer.event)) {
      node.busy_until_us = std::max(node.busy_until_us, at_us) + answer.cpu_us;
      ready_us = node.busy_until_us;
    }
    schedule_local(index, ready_us, std::move(answer.event));
  }
}

void Engine::execute_one(std::uint32_t index, consensus::Action& action, std::uint64_t at_us,
                         consensus::Actions& more) {
  Node& node = nodes_[index];
  if (!node.honest && adversary_intercepts(index, action, at_us)) return;
  if (auto* send = std::get_if<consensus::Send>(&action)) {
    if (const auto* pre_prepare = std::get_if<consensus::PrePrepare>(send->message.get())) {
      observer_->on_proposal(consensus::block_digest(*pre_prepare->block), at_us);
    }
    transmit(index, static_cast<std::uint32_t>(send->to.value()), consensus_packet(send->message),
             at_us);
  } else if (auto* cast = std::get_if<consensus::Broadcast>(&action)) {
    if (const auto* pre_prepare = std::get_if<consensus::PrePrepare>(cast->message.get())) {
      observer_->on_proposal(consensus::block_digest(*pre_prepare->block), at_us);
    } else if (const auto* new_view = std::get_if<consensus::NewView>(cast->message.get())) {
      for (const auto& proof : new_view->reproposals) {
        observer_->on_proposal(consensus::block_digest(*proof.block), at_us);
      }
    }
    broadcast(index, consensus_packet(cast->message), at_us);
  } else if (auto* timer = std::get_if<consensus::StartTimer>(&action)) {
    const auto kind = static_cast<std::uint32_t>(timer->timer);
    schedule({.time_us = at_us + timer->duration_ms * 1000,
              .kind = EventKind::kTimer,
              .node = index,
              .from = kind,
              .aux = ++node.timer_generation.at(kind)});
  } else if (auto* cancel = std::get_if<consensus::CancelTimer>(&action)) {
    ++node.timer_generation.at(static_cast<std::size_t>(cancel->timer));
  } else if (auto* persist = std::get_if<consensus::Persist>(&action)) {
    // The simulated disk is durable at once: what was persisted before a
    // send is exactly what a restart finds.
    node.persisted = persist->state;
    const std::uint64_t start_us = std::max(at_us, node.busy_until_us);
    consensus::Actions released =
        node.replica->step(start_us / 1000, consensus::Persisted{persist->sequence});
    for (auto& released_action : released) more.push_back(std::move(released_action));
  } else if (auto* request = std::get_if<consensus::RequestProposal>(&action)) {
    schedule_answers(index, at_us, node.application->propose(*request, at_us / 1000));
  } else if (auto* verify = std::get_if<consensus::VerifyBlock>(&action)) {
    schedule_answers(index, at_us, node.application->verify(verify->block));
  } else if (auto* deliver = std::get_if<consensus::DeliverBlock>(&action)) {
    on_deliver_block(index, *deliver, at_us);
  } else if (auto* evidence = std::get_if<consensus::ReportEvidence>(&action)) {
    const auto offender = consensus::offender(*evidence->evidence);
    observer_->on_evidence(index, static_cast<std::uint32_t>(offender.value()),
                           evidence_kind_name(*evidence->evidence));
    if (ledger_ && node.honest) on_ledger_evidence(index, *evidence->evidence);
  } else if (auto* sync = std::get_if<consensus::SyncNeeded>(&action)) {
    auto peer = static_cast<std::uint32_t>(sync->hint.value());
    if (peer == index || peer >= options_.nodes) peer = random_peer(index, network_prng_);
    request_sync(index, peer, at_us);
  } else if (auto* entered = std::get_if<consensus::EnteredView>(&action)) {
    if (node.honest) result_.view_changes = std::max(result_.view_changes, entered->view.value());
  }
}

void Engine::on_deliver_block(std::uint32_t index, const consensus::DeliverBlock& deliver,
                              std::uint64_t at_us) {
  Node& node = nodes_[index];
  const consensus::Block& block = *deliver.block;
  AETHEL_ASSERT_MSG(block.height.value() == node.chain.size() + 1,
                    "the replica delivers blocks once each, in height order");
  const Hash256 digest = consensus::block_digest(block);
  node.chain.push_back({deliver.block, deliver.commit_certificate});
  fold_trace(at_us, index, kTraceCommit, digest);
  observer_->on_commit(index, block, digest, at_us);
  if (node.honest && node.chain.size() == options_.blocks) ++honest_done_;
  ApplicationAnswers answers = node.application->deliver(deliver);
  if (ledger_ && node.honest) on_ledger_executed(index, answers);
  schedule_answers(index, at_us, std::move(answers));
}

void Engine::accumulate_stats(const Node& node) {
  if (!node.honest || !node.replica) return;
  const auto& stats = node.replica->stats();
  for (std::size_t i = 0; i < consensus::kRefusalCount; ++i) {
    if (stats.refused[i] != 0) {
      refused_[consensus::refusal_name(static_cast<consensus::Refusal>(i))] += stats.refused[i];
    }
  }
}

void Engine::crash(std::uint32_t index, std::uint64_t now_us) {
  Node& node = nodes_[index];
  if (node.crashed) return;
  accumulate_stats(node);
  node.crashed = true;
  node.replica.reset();  // volatile state is lost; persisted, chain and application remain
  if (node.application) node.application->crash();
  ++node.incarnation;
  for (std::uint64_t& generation : node.timer_generation) ++generation;
  node.busy_until_us = std::max(node.busy_until_us, now_us);
  fold_trace(now_us, index, kTraceCrash, Hash256{});
}

void Engine::handle(const QueuedEvent& event) {
  Node& node = nodes_[event.node];
  switch (event.kind) {
    case EventKind::kArrival: on_arrival(event); return;
    case EventKind::kDelivered: on_delivered(event); return;
    case EventKind::kTimer:
      if (!node.replica || event.aux != node.timer_generation.at(event.from)) return;
      fold_trace(event.time_us, event.node, kTraceTimer, Hash256{});
      step(event.node, event.time_us,
           consensus::TimerFired{static_cast<consensus::TimerKind>(event.from)}, 0);
      return;
    case EventKind::kLocal:
      if (!node.replica || event.aux != node.incarnation) return;
      fold_trace(event.time_us, event.node, kTraceLocal, Hash256{});
      step(event.node, event.time_us, *event.local, 0);
      return;
    case EventKind::kCrash: crash(event.node, event.time_us); return;
    case EventKind::kRestart:
      if (!node.crashed) return;
      node.crashed = false;
      fold_trace(event.time_us, event.node, kTraceRestart, Hash256{});
      start_node(event.node, event.time_us);
      return;
    case EventKind::kAdversaryTick:
      if (!node.replica || event.aux != node.incarnation) return;
      on_adversary_tick(event.node, event.time_us);
      return;
    case EventKind::kAntiEntropy:
      if (!node.replica || event.aux != node.incarnation) return;
      on_anti_entropy(event.node, event.time_us);
      return;
    case EventKind::kLoadRound: on_load_round(event.time_us); return;
  }
}

bool Engine::finished() const noexcept {
  return honest_done_ == honest_count_ && now_us_ >= liveness_not_before_us_;
}

Result<SimResult> Engine::run() {
  wall_start_ = std::chrono::steady_clock::now();
  create_validators();
  choose_byzantine_nodes();
  if (auto created = create_applications(); !created) return unexpected<Error>(created.error());
  partitions_ = partition_windows();
  std::vector<bool> honest(options_.nodes);
  for (std::uint32_t i = 0; i < options_.nodes; ++i) honest[i] = nodes_[i].honest;
  std::vector<std::uint64_t> stakes(options_.nodes);
  for (std::uint32_t i = 0; i < options_.nodes; ++i) stakes[i] = stake_of(options_, i);
  observer_ =
      std::make_unique<Observer>(truth(), std::move(honest), std::move(stakes), partitions_);
  schedule_faults();
  if (ledger_) schedule({.time_us = 0, .kind = EventKind::kLoadRound});
  for (std::uint32_t i = 0; i < options_.nodes; ++i) start_node(i, 0);

  const std::uint64_t end_us = options_.max_sim_ms * 1000;
  auto last_progress = wall_start_;
  while (!queue_.empty() && !finished()) {
    const QueuedEvent event = queue_.top();
    if (event.time_us > end_us) break;
    queue_.pop();
    now_us_ = event.time_us;
    ++result_.events;
    handle(event);
    if (options_.progress && result_.events % kProgressEveryEvents == 0) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_progress >= std::chrono::seconds(3)) {
        last_progress = now;
        std::uint64_t min_height = UINT64_MAX;
        for (const auto& node : nodes_) {
          if (node.honest) min_height = std::min<std::uint64_t>(min_height, node.chain.size());
        }
        std::fprintf(
            stderr, "sim: %.1f s simulated, %llu events, honest min height %llu, %zu final\n",
            static_cast<double>(now_us_) / 1e6, static_cast<unsigned long long>(result_.events),
            static_cast<unsigned long long>(min_height), observer_->finality_us().size());
      }
    }
  }

  // Results.
  result_.options = options_;
  result_.vote_pattern = vote_pattern_;
  result_.gossip_fanout = gossip_fanout_;
  result_.byzantine_nodes = byzantine_nodes_;
  result_.sim_time_us = now_us_;
  std::vector<std::uint64_t> finality;
  for (const auto& [height, us] : observer_->finality_us()) finality.push_back(us);
  result_.blocks_committed = finality.size();
  result_.finality_us_p50 = percentile(finality, 50);
  result_.finality_us_p99 = percentile(finality, 99);
  result_.honest_min_height = UINT64_MAX;
  for (const auto& node : nodes_) {
    if (!node.honest) continue;
    accumulate_stats(node);
    result_.honest_min_height =
        std::min<std::uint64_t>(result_.honest_min_height, node.chain.size());
    result_.honest_max_height =
        std::max<std::uint64_t>(result_.honest_max_height, node.chain.size());
  }
  result_.agreement_ok = observer_->agreement_ok();
  result_.validity_ok = observer_->validity_ok();
  result_.partition_safety_ok = observer_->partition_safety_ok();
  result_.accusations_ok = observer_->accusations_ok();
  result_.violations = observer_->violations();
  judge_liveness_ =
      3 * byzantine_stake_ < honest_stake_ + byzantine_stake_ && liveness_not_before_us_ <= end_us;
  if (judge_liveness_) {
    result_.liveness_ok = honest_done_ == honest_count_;
    if (!*result_.liveness_ok) {
      result_.violations.push_back(
          "liveness: honest nodes committed between " + std::to_string(result_.honest_min_height) +
          " and " + std::to_string(result_.honest_max_height) + " of " +
          std::to_string(options_.blocks) + " blocks by " + std::to_string(now_us_ / 1000) + " ms");
    }
  }
  result_.refused = refused_;
  result_.evidence_reported = observer_->evidence_count();
  if (ledger_) {
    result_.ledger = ledger_summary();
    for (const auto& violation : ledger_->violations()) result_.violations.push_back(violation);
  }
  result_.real_signature_verifications = checker_->real_verifications();
  result_.memoized_signature_checks = checker_->memo_hits();
  fold_trace(now_us_, 0, 0, Hash256{});
  result_.trace_hash = trace_.finish();
  result_.wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
  result_.peak_rss_mb = peak_rss_mb();
  return result_;
}

Result<SimResult> run_simulation(const SimOptions& options) {
  if (auto valid = options.validate(); !valid) return unexpected<Error>(valid.error());
  Engine engine(options);
  return engine.run();
}

}  // namespace aethel::sim
