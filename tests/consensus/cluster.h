// A tiny deterministic harness that routes a replica's actions to the other
// replicas of an in-test cluster. Not the simulator: one fixed latency, FIFO
// delivery, an application model that answers at once, and enough control
// (drop filters, crash and restart, injected messages) for scripted tests.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "consensus/replica.h"

namespace aethel::consensus::testing {

struct ClusterOptions {
  std::size_t validators = 4;
  std::vector<std::uint64_t> stakes;  // empty: 100 each
  VotePattern pattern = VotePattern::kAllToAll;
  std::uint64_t latency_ms = 10;  // one way, every link
  std::uint64_t checkpoint_interval = 4;
  std::uint64_t watermark_window = 16;
  std::uint64_t timeout_min_ms = 1000;
  std::uint64_t initial_rtt_ms = 20;
  bool trace_votes = true;  // votes and certificates in the trace
};

inline ClusterOptions cluster_options(std::size_t validators, VotePattern pattern) {
  ClusterOptions options;
  options.validators = validators;
  options.pattern = pattern;
  return options;
}

crypto::KeyPair test_key(std::size_t index);
Hash256 test_chain_id();
std::string short_hex(const Hash256& digest);  // first 6 hex digits

class Cluster {
 public:
  explicit Cluster(ClusterOptions options);

  std::size_t size() const { return replicas_.size(); }
  Replica& replica(std::size_t index) { return *replicas_.at(index); }
  const crypto::SecretKey& key(std::size_t index) const { return keys_.at(index).secret_key; }
  const ValidatorSetPtr& validators() const { return validators_; }
  const Config& config() const { return config_; }
  std::uint64_t now_ms() const { return now_ms_; }

  void start();
  // Processes events in time order until none is due at or before `time_ms`.
  void run_until(std::uint64_t time_ms);
  // Runs until every live replica has committed `height` or `deadline_ms`.
  bool run_until_committed(std::uint64_t height, std::uint64_t deadline_ms);

  // A crashed replica receives nothing and its timers do not fire.
  void crash(std::size_t index);
  // Rebuilds the replica from the bytes it last persisted and its ledger.
  void restart(std::size_t index);
  bool crashed(std::size_t index) const { return crashed_.contains(index); }

  // Messages for which the filter returns true are dropped.
  using DropFilter = std::function<bool(std::size_t from, std::size_t to, const Message&)>;
  void set_drop_filter(DropFilter filter) { drop_ = std::move(filter); }
  // Delivers `message` to `to` now, as if from the network.
  void inject(std::size_t to, MessagePtr message);
  // The validator's application claims a false proof in every block it
  // proposes; every other validator's verification finds it false.
  void make_liar(std::size_t index) { liars_.insert(index); }
  // The validator's application answers "undecided here" the first
  // `answers` times it is asked about each block (a payload that arrives
  // late), then decides.
  void make_undecided(std::size_t index, std::uint32_t answers) {
    undecided_answers_[index] = answers;
  }

  const std::vector<Hash256>& committed(std::size_t index) const {
    return ledgers_.at(index).blocks;
  }
  const std::vector<EvidencePtr>& evidence() const { return evidence_; }
  // Honest replicas' signed votes that conflict (must stay empty).
  const std::vector<std::string>& double_signs() const { return double_signs_; }
  const std::vector<std::string>& trace() const { return trace_; }
  std::string trace_text() const;
  void note(const std::string& line);

 private:
  struct Ledger {
    std::vector<Hash256> blocks;
    std::vector<SyncedBlock> final_blocks;  // what a sync component would serve
    std::uint64_t last_timestamp_ms = 0;
    Hash256 state;
  };
  struct Pending {
    std::uint64_t time_ms;
    std::uint64_t sequence;
    std::size_t replica;
    Event event;
    std::uint64_t timer_generation = 0;  // for TimerFired
    std::optional<std::size_t> from;     // for network messages
  };
  struct Later {
    bool operator()(const Pending& a, const Pending& b) const {
      return a.time_ms != b.time_ms ? a.time_ms > b.time_ms : a.sequence > b.sequence;
    }
  };

  Replica make_replica(std::size_t index, PersistentState restored);
  void schedule(std::uint64_t time_ms, std::size_t replica, Event event,
                std::optional<std::size_t> from = std::nullopt, std::uint64_t generation = 0);
  void step(std::size_t index, const Event& event);
  void carry_out(std::size_t index, Action& action);
  void send(std::size_t from, std::size_t to, const MessagePtr& message);
  void record_votes(std::size_t from, const Message& message);
  std::string describe(const Message& message) const;

  ClusterOptions options_;
  Config config_;
  std::vector<crypto::KeyPair> keys_;
  ValidatorSetPtr validators_;
  std::shared_ptr<SignatureChecker> checker_;
  std::vector<std::unique_ptr<Replica>> replicas_;
  std::vector<Ledger> ledgers_;
  std::vector<Bytes> persisted_;
  std::vector<std::array<std::uint64_t, kTimerKindCount>> timer_generation_;
  std::set<std::size_t> crashed_;
  std::set<Hash256> false_proofs_;
  std::set<std::size_t> liars_;
  std::map<std::size_t, std::uint32_t> undecided_answers_;
  std::map<std::pair<std::size_t, Hash256>, std::uint32_t> undecided_given_;
  std::priority_queue<Pending, std::vector<Pending>, Later> queue_;
  std::uint64_t sequence_ = 0;
  std::uint64_t steps_ = 0;
  std::uint64_t now_ms_ = 0;
  DropFilter drop_;
  std::vector<EvidencePtr> evidence_;
  std::map<std::string, Hash256> signed_votes_;
  std::vector<std::string> double_signs_;
  std::vector<std::string> trace_;
};

}  // namespace aethel::consensus::testing
