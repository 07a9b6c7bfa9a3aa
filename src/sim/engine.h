// The simulator's event loop and its models (internal to src/sim).
//
// One Engine runs one simulation. Members are grouped by model: the event
// queue, the network (engine_network.cpp), the nodes and their replicas
// (engine.cpp), the Byzantine strategies (engine_byzantine.cpp).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <queue>
#include <span>
#include <vector>

#include "consensus/replica.h"
#include "crypto/sha256.h"
#include "sim/checkers.h"
#include "sim/ledger_node_application.h"
#include "sim/ledger_world.h"
#include "sim/node_application.h"
#include "sim/options.h"
#include "sim/prng.h"
#include "sim/proof_oracle.h"
#include "sim/signature_memo.h"
#include "sim/simulator.h"

namespace aethel::sim {

// Purposes for derive_seed: each consumer of randomness draws from its own stream.
enum SeedPurpose : std::uint64_t {
  kSeedByzantineChoice = 1,
  kSeedNetwork = 2,
  kSeedGossip = 3,
  kSeedAdversary = 4,
  kSeedAntiEntropy = 5,
  kSeedLoad = 6,
};

// Trace record kinds.
inline constexpr std::uint8_t kTraceMessage = 1;
inline constexpr std::uint8_t kTraceRaw = 2;
inline constexpr std::uint8_t kTraceTimer = 3;
inline constexpr std::uint8_t kTraceLocal = 4;
inline constexpr std::uint8_t kTraceCommit = 5;
inline constexpr std::uint8_t kTraceCrash = 6;
inline constexpr std::uint8_t kTraceRestart = 7;
inline constexpr std::uint8_t kTraceSync = 8;

struct ChainEntry {
  consensus::BlockPtr block;
  consensus::CertificatePtr commit_certificate;
};

// What travels on the simulated wire. Immutable and shared: a relayed
// broadcast is the same Packet at every hop. Size and digest are computed
// once, from the canonical encoding.
struct Packet {
  enum class Kind : std::uint8_t { kConsensus, kRaw, kSyncRequest, kSyncResponse };
  Kind kind = Kind::kConsensus;
  consensus::MessagePtr message;   // kConsensus
  Bytes raw;                       // kRaw: bytes a receiver must decode
  std::uint64_t sync_from = 0;     // kSyncRequest: first height wanted
  std::vector<ChainEntry> blocks;  // kSyncResponse, heights increasing
  std::uint64_t size_bytes = 0;
  Hash256 digest;
  std::uint64_t gossip_id = 0;  // nonzero: a relayed broadcast
};
using PacketPtr = std::shared_ptr<const Packet>;

enum class EventKind : std::uint8_t {
  kArrival,    // a packet reaches a node's network interface
  kDelivered,  // the packet has been downloaded
  kTimer,      // a replica's timer expires
  kLocal,      // an application answer (ProposalReady, BlockVerified, Executed)
  kCrash,
  kRestart,
  kAdversaryTick,  // a Byzantine node's periodic attack
  kAntiEntropy,    // a node's periodic "what comes after my height?" request
  kLoadRound,      // ledger runs: the load generator submits a round of transactions
};

struct QueuedEvent {
  std::uint64_t time_us = 0;
  std::uint64_t sequence = 0;  // ties in time are broken by scheduling order
  EventKind kind = EventKind::kArrival;
  std::uint32_t node = 0;
  std::uint32_t from = 0;  // sender of a packet, or the kind of a timer
  std::uint64_t aux = 0;   // timer generation or incarnation
  PacketPtr packet{};
  std::shared_ptr<const consensus::Event> local{};

  // std::priority_queue is a max-heap: "greater" pops the earliest first.
  friend bool operator>(const QueuedEvent& a, const QueuedEvent& b) noexcept {
    return a.time_us != b.time_us ? a.time_us > b.time_us : a.sequence > b.sequence;
  }
};

struct Node {
  bool honest = true;
  Strategy strategy = Strategy::kSilent;  // meaningful for Byzantine nodes
  bool crashed = false;
  std::optional<consensus::Replica> replica;
  std::uint64_t incarnation = 0;  // bumped by a crash; stale events are dropped

  std::uint64_t busy_until_us = 0;  // CPU
  std::uint64_t uplink_free_us = 0;
  std::uint64_t downlink_free_us = 0;
  // Per timer kind: a timer event counts only if it carries its kind's
  // current generation (starting or cancelling a timer bumps it).
  std::array<std::uint64_t, consensus::kTimerKindCount> timer_generation{};

  // Durable across crashes: the last persisted replica state, the chain and
  // the application (absent for a node that never runs a replica).
  consensus::PersistentStatePtr persisted;
  std::vector<ChainEntry> chain;
  std::unique_ptr<NodeApplication> application;

  // The replica counters at the last charge (CPU time is charged by difference).
  std::uint64_t signatures_made_seen = 0;
  std::uint64_t signatures_verified_seen = 0;
  std::uint64_t last_sync_request_us = 0;
  bool sync_requested = false;

  // Recent messages received, for replay and malformed strategies.
  std::vector<consensus::MessagePtr> recorded;
  std::size_t recorded_next = 0;
};

class Engine {
 public:
  explicit Engine(const SimOptions& options);
  // Refuses (kIo) a run whose ledger nodes cannot open their state.
  Result<SimResult> run();

 private:
  // Setup.
  void create_validators();
  void choose_byzantine_nodes();
  std::vector<PartitionWindow> partition_windows() const;
  consensus::ReplicaSetup replica_setup(std::uint32_t node);
  Result<void> create_applications();
  Result<void> create_ledger_applications();
  const ClaimTruth& truth() const noexcept;
  ApplicationBehaviour behaviour_of(const Node& node) const noexcept;
  void start_node(std::uint32_t node, std::uint64_t now_us);
  void schedule_faults();

  // Event queue.
  void schedule(QueuedEvent event);
  void handle(const QueuedEvent& event);
  bool finished() const noexcept;

  // Network (engine_network.cpp).
  PacketPtr consensus_packet(consensus::MessagePtr message) const;
  void transmit(std::uint32_t from, std::uint32_t to, const PacketPtr& packet, std::uint64_t at_us);
  void broadcast(std::uint32_t from, const PacketPtr& packet, std::uint64_t at_us);
  void relay(std::uint32_t node, const PacketPtr& packet, std::uint64_t at_us);
  bool cut_by_partition(std::uint32_t from, std::uint32_t to, std::uint64_t at_us) const;
  std::uint64_t transmission_us(std::uint64_t bytes) const noexcept;
  void on_arrival(const QueuedEvent& event);
  void on_delivered(const QueuedEvent& event);
  void on_sync_request(std::uint32_t node, std::uint32_t from, const Packet& packet,
                       std::uint64_t now_us);
  void on_anti_entropy(std::uint32_t node, std::uint64_t now_us);

  // Ledger runs.
  void on_load_round(std::uint64_t now_us);
  // To every running ledger node but `except`.
  void submit_everywhere(std::span<const Bytes> transactions,
                         std::optional<std::uint32_t> except = std::nullopt);
  void on_ledger_evidence(std::uint32_t reporter, const consensus::Evidence& evidence);
  void on_ledger_executed(std::uint32_t node, const ApplicationAnswers& answers);
  LedgerSummary ledger_summary();
  void request_sync(std::uint32_t node, std::uint32_t peer, std::uint64_t now_us);

  // Nodes and replicas.
  bool runs_replica(const Node& node) const noexcept;
  std::uint64_t modelled_round_trip_us() const noexcept;
  std::uint64_t parallel_cost_us(std::uint64_t count, std::uint64_t unit_us) const noexcept;
  void step(std::uint32_t node, std::uint64_t at_us, const consensus::Event& event,
            std::uint64_t extra_cost_us);
  void execute(std::uint32_t node, consensus::Actions actions, std::uint64_t at_us);
  void execute_one(std::uint32_t node, consensus::Action& action, std::uint64_t at_us,
                   consensus::Actions& more);
  void schedule_local(std::uint32_t node, std::uint64_t at_us, consensus::Event event);
  void schedule_answers(std::uint32_t node, std::uint64_t at_us, ApplicationAnswers answers);
  void on_deliver_block(std::uint32_t node, const consensus::DeliverBlock& deliver,
                        std::uint64_t at_us);
  void crash(std::uint32_t node, std::uint64_t now_us);
  void accumulate_stats(const Node& node);
  void fold_trace(std::uint64_t time_us, std::uint32_t node, std::uint8_t kind,
                  const Hash256& digest);

  // Byzantine strategies (engine_byzantine.cpp). Returns true if the action
  // was carried out by the strategy instead of the default.
  bool adversary_intercepts(std::uint32_t node, const consensus::Action& action,
                            std::uint64_t at_us);
  void on_adversary_tick(std::uint32_t node, std::uint64_t now_us);
  void record_for_replay(Node& node, const consensus::MessagePtr& message);
  std::uint32_t random_peer(std::uint32_t node, Prng& prng) const;
  const crypto::SecretKey& secret_key(std::uint32_t node) const;

  SimOptions options_;
  consensus::VotePattern vote_pattern_;
  std::uint32_t gossip_fanout_;
  Hash256 chain_id_;
  consensus::ValidatorSetPtr validators_;
  std::vector<crypto::KeyPair> keys_;
  std::shared_ptr<MemoizingSignatureChecker> checker_;
  ProofOracle oracle_;
  std::unique_ptr<LedgerWorld> ledger_;               // ledger runs only
  std::vector<LedgerNodeApplication*> ledger_nodes_;  // by node; null: none
  std::vector<Node> nodes_;
  std::vector<std::uint32_t> byzantine_nodes_;
  std::unique_ptr<Observer> observer_;
  std::vector<PartitionWindow> partitions_;

  std::priority_queue<QueuedEvent, std::vector<QueuedEvent>, std::greater<>> queue_;
  std::uint64_t next_sequence_ = 0;
  std::uint64_t now_us_ = 0;
  Prng network_prng_;
  Prng adversary_prng_;
  std::vector<std::vector<bool>> gossip_seen_;  // [gossip id - 1][node]

  crypto::Sha256Hasher trace_;
  std::uint64_t honest_done_ = 0;  // honest nodes that have committed `blocks`
  std::uint64_t honest_count_ = 0;
  std::uint64_t honest_stake_ = 0;
  std::uint64_t byzantine_stake_ = 0;
  bool judge_liveness_ = false;
  std::uint64_t liveness_not_before_us_ = 0;  // every fault healed by then

  SimResult result_;
  std::map<std::string, std::uint64_t> refused_;
  std::chrono::steady_clock::time_point wall_start_;
};

}  // namespace aethel::sim
