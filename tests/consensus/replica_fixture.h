// One replica under test, driven by hand: the test holds every validator's
// key, so it can craft the messages other validators (honest or not) would
// send, and it reads the actions the replica returns.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <vector>

#include "consensus/replica.h"
#include "crypto/sha256.h"
#include "tests/consensus/cluster.h"

namespace aethel::consensus::testing {

struct FixtureOptions {
  std::size_t validators = 4;
  VotePattern pattern = VotePattern::kAllToAll;
  // The replica under test; by default the first validator that does not
  // lead view 0.
  std::optional<std::size_t> self;
  PersistentState restored;
  std::uint64_t checkpoint_interval = 4;
  std::uint64_t watermark_window = 16;
  std::uint32_t max_buffered_messages = 64;
  std::uint32_t max_pending_verifications = 64;
  std::uint32_t max_remembered_false_blocks = 64;
  // Report Persisted automatically after each Persist (as a driver would).
  bool auto_persist = true;
};

class ReplicaFixture {
 public:
  explicit ReplicaFixture(FixtureOptions options = {}) : options_(std::move(options)) {
    config_.chain_id = test_chain_id();
    config_.vote_pattern = options_.pattern;
    config_.checkpoint_interval = options_.checkpoint_interval;
    config_.watermark_window = options_.watermark_window;
    config_.max_buffered_messages = options_.max_buffered_messages;
    config_.max_pending_verifications = options_.max_pending_verifications;
    config_.max_remembered_false_blocks = options_.max_remembered_false_blocks;
    config_.timeout_min_ms = 1000;
    std::vector<Validator> validators;
    for (std::size_t i = 0; i < options_.validators; ++i) {
      keys_.push_back(test_key(i));
      validators.push_back({keys_.back().public_key, Stake(100)});
    }
    validators_ = std::make_shared<const ValidatorSet>(
        std::move(*ValidatorSet::create(std::move(validators), Stake(1))));
    leader0_ = static_cast<std::size_t>(validators_->leader_for_view(View(0)).value());
    self_ = options_.self.value_or(leader0_ == 0 ? 1 : 0);
    build(options_.restored);
  }

  void build(PersistentState restored, ChainTip tip = {}) {
    ReplicaSetup setup{config_,
                       validators_,
                       keys_[self_].secret_key.clone(),
                       std::move(restored),
                       tip,
                       std::make_shared<Ed25519SignatureChecker>()};
    auto replica = Replica::create(std::move(setup));
    ASSERT_TRUE(replica.has_value()) << replica.error().to_string();
    replica_ = std::make_unique<Replica>(std::move(*replica));
    step(Start{});
  }

  Replica& replica() { return *replica_; }
  std::size_t self() const { return self_; }
  std::size_t leader(View view) const {
    return static_cast<std::size_t>(validators_->leader_for_view(view).value());
  }
  std::size_t leader0() const { return leader0_; }
  // Validators other than `a` and `b`, in index order.
  std::vector<std::size_t> others(std::size_t a, std::size_t b) const {
    std::vector<std::size_t> result;
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (i != a && i != b) result.push_back(i);
    }
    return result;
  }
  const crypto::SecretKey& key(std::size_t index) const { return keys_.at(index).secret_key; }
  const Config& config() const { return config_; }
  const ValidatorSet& validators() const { return *validators_; }
  std::uint64_t now_ms = 1000;

  // Steps the event; with auto_persist, answers every Persist at once.
  Actions step(const Event& event) {
    Actions actions = replica_->step(now_ms, event);
    Actions all;
    for (Action& action : actions) {
      const auto* persist = std::get_if<Persist>(&action);
      const std::optional<std::uint64_t> sequence =
          persist ? std::optional(persist->sequence) : std::nullopt;
      if (persist) last_persisted_ = persist->state;
      all.push_back(std::move(action));
      if (sequence && options_.auto_persist) {
        Actions released = step(Persisted{*sequence});
        for (Action& more : released) all.push_back(std::move(more));
      }
    }
    return all;
  }
  Actions receive(Message message) {
    return step(MessageReceived{std::make_shared<const Message>(std::move(message))});
  }

  BlockPtr block(std::uint64_t height, std::uint64_t view, std::size_t proposer,
                 Hash256 parent = {}, std::uint64_t claims = 1, std::uint64_t salt = 0) const {
    Block block;
    block.height = Height(height);
    block.view = View(view);
    block.parent_digest = parent;
    block.proposer = ValidatorIndex(proposer);
    block.timestamp_ms = 500 + height;
    for (std::uint64_t i = 0; i < claims; ++i) {
      block.claims.push_back({crypto::sha256("proof " + std::to_string(height * 100 + i + salt)),
                              ClaimedVerdict::kProved, Difficulty(7)});
    }
    block.payload_digest = crypto::sha256("payload " + std::to_string(height + salt));
    return std::make_shared<const Block>(std::move(block));
  }
  PrePrepare pre_prepare(const BlockPtr& proposed, std::uint64_t view, std::size_t leader) const {
    return sign_pre_prepare(config_.chain_id, key(leader), View(view), proposed,
                            ValidatorIndex(leader));
  }
  Vote vote(VotePhase phase, std::uint64_t view, std::uint64_t height, const Hash256& digest,
            std::size_t voter) const {
    return sign_vote(config_.chain_id, key(voter), phase, View(view), Height(height), digest,
                     ValidatorIndex(voter));
  }
  CertificatePtr certificate(VotePhase phase, std::uint64_t view, std::uint64_t height,
                             const Hash256& digest, std::vector<std::size_t> signers) const {
    auto result = std::make_shared<Certificate>();
    result->phase = phase;
    result->view = View(view);
    result->height = Height(height);
    result->digest = digest;
    std::sort(signers.begin(), signers.end());
    for (std::size_t signer : signers) {
      result->signatures.push_back(
          {ValidatorIndex(signer), vote(phase, view, height, digest, signer).signature});
    }
    return result;
  }
  CertificateMessage certificate_message(CertificatePtr cert, std::size_t sender) const {
    return CertificateMessage{std::move(cert), ValidatorIndex(sender)};
  }

  // Proposal of height 1 in view 0 from the leader, verified: the replica
  // has voted PREPARE on it.
  BlockPtr propose_and_verify(std::uint64_t height = 1, Hash256 parent = {}) {
    const BlockPtr proposed = block(height, 0, leader0_, parent);
    receive(pre_prepare(proposed, 0, leader0_));
    step(BlockVerified{block_digest(*proposed), true, std::nullopt, ""});
    return proposed;
  }

  std::uint64_t refused(Refusal reason) const { return replica_->stats().refused_count(reason); }
  const PersistentStatePtr& last_persisted() const { return last_persisted_; }

 private:
  FixtureOptions options_;
  Config config_;
  std::vector<crypto::KeyPair> keys_;
  ValidatorSetPtr validators_;
  std::size_t leader0_ = 0;
  std::size_t self_ = 0;
  std::unique_ptr<Replica> replica_;
  PersistentStatePtr last_persisted_;
};

// --- Reading actions ---

template <class T>
std::vector<T> actions_of(const Actions& actions) {
  std::vector<T> result;
  for (const Action& action : actions) {
    if (const auto* typed = std::get_if<T>(&action)) result.push_back(*typed);
  }
  return result;
}

// Messages sent (to one or to all) of type M, in order.
template <class M>
std::vector<M> sent(const Actions& actions) {
  std::vector<M> result;
  for (const Action& action : actions) {
    const MessagePtr* message = nullptr;
    if (const auto* send = std::get_if<Send>(&action)) message = &send->message;
    if (const auto* broadcast = std::get_if<Broadcast>(&action)) message = &broadcast->message;
    if (message == nullptr) continue;
    if (const auto* typed = std::get_if<M>(&**message)) result.push_back(*typed);
  }
  return result;
}

inline std::vector<Vote> votes_sent(const Actions& actions, VotePhase phase) {
  std::vector<Vote> result;
  for (const Vote& vote : sent<Vote>(actions)) {
    if (vote.phase == phase) result.push_back(vote);
  }
  return result;
}

}  // namespace aethel::consensus::testing
