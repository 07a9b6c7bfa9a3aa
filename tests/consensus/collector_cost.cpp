// consensus_collector_cost [VALIDATORS]: what one height costs the collector
// of a large validator set, split into the replica's own work and signature
// verification, for sizing simulations. Prints one JSON object.
//
// The replica's work is measured with a checker that accepts every
// signature (its cost is then the replica's bookkeeping alone); the
// baseline, measured in the same run, is real Ed25519 verification of the
// commit certificate a follower receives.
#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "consensus/replica.h"
#include "crypto/sha256.h"

namespace {

using namespace aethel;
using namespace aethel::consensus;
using Clock = std::chrono::steady_clock;

class AcceptingChecker final : public SignatureChecker {
 public:
  bool verify_signature(const crypto::PublicKey&, crypto::SigningDomain, ByteView,
                        const crypto::Signature&) override {
    return true;
  }
  bool verify_certificate(const ValidatorSet&, const Hash256&, const CertificatePtr&) override {
    return true;
  }
};

std::int64_t elapsed_us(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::microseconds>(to - from).count();
}

// Steps the event and answers every Persist at once; returns all actions.
Actions step_persisting(Replica& replica, std::uint64_t now_ms, const Event& event) {
  Actions actions = replica.step(now_ms, event);
  for (std::size_t i = 0; i < actions.size(); ++i) {
    if (const auto* persist = std::get_if<Persist>(&actions[i])) {
      for (Action& more : replica.step(now_ms, Persisted{persist->sequence})) {
        actions.push_back(std::move(more));
      }
    }
  }
  return actions;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t validators = argc > 1 ? std::stoul(argv[1]) : 10'000;
  std::vector<crypto::KeyPair> keys;
  std::vector<Validator> set_members;
  for (std::size_t i = 0; i < validators; ++i) {
    std::array<std::uint8_t, crypto::kSeedSize> seed{};
    seed[0] = 0xC0;
    seed[1] = static_cast<std::uint8_t>(i >> 16);
    seed[2] = static_cast<std::uint8_t>(i >> 8);
    seed[3] = static_cast<std::uint8_t>(i);
    keys.push_back(crypto::keypair_from_seed(seed));
    set_members.push_back({keys.back().public_key, Stake(100)});
  }
  auto set = std::make_shared<const ValidatorSet>(
      std::move(*ValidatorSet::create(std::move(set_members), Stake(1))));
  Config config;
  config.chain_id = crypto::sha256(std::string_view("collector-cost"));
  config.vote_pattern = VotePattern::kCollector;
  const std::size_t leader = static_cast<std::size_t>(set->leader_for_view(View(0)).value());
  ReplicaSetup setup{config, set, keys[leader].secret_key.clone(),
                     {},     {},  std::make_shared<AcceptingChecker>()};
  Replica replica = std::move(*Replica::create(std::move(setup)));
  step_persisting(replica, 0, Start{});
  Hash256 digest;
  for (const Action& action :
       step_persisting(replica, 0, ProposalReady{Height(1), {}, Hash256(), 1})) {
    if (const auto* broadcast = std::get_if<Broadcast>(&action)) {
      if (const auto* proposal = std::get_if<PrePrepare>(&*broadcast->message)) {
        digest = block_digest(*proposal->block);
      }
    }
  }
  std::vector<MessagePtr> prepares;
  std::vector<MessagePtr> commits;
  for (std::size_t i = 0; i < validators; ++i) {
    if (i == leader) continue;
    for (VotePhase phase : {VotePhase::kPrepare, VotePhase::kCommit}) {
      auto vote =
          std::make_shared<const Message>(sign_vote(config.chain_id, keys[i].secret_key, phase,
                                                    View(0), Height(1), digest, ValidatorIndex(i)));
      (phase == VotePhase::kPrepare ? prepares : commits).push_back(std::move(vote));
    }
  }
  const auto prepare_start = Clock::now();
  for (const MessagePtr& vote : prepares) step_persisting(replica, 1, MessageReceived{vote});
  const auto commit_start = Clock::now();
  CertificatePtr commit_certificate;
  for (const MessagePtr& vote : commits) {
    for (const Action& action : step_persisting(replica, 2, MessageReceived{vote})) {
      if (const auto* deliver = std::get_if<DeliverBlock>(&action)) {
        commit_certificate = deliver->commit_certificate;
      }
    }
  }
  const auto commit_end = Clock::now();
  if (!commit_certificate) {
    std::fprintf(stderr, "consensus_collector_cost: the height did not commit\n");
    return 1;
  }
  Ed25519SignatureChecker ed25519;
  const auto verify_start = Clock::now();
  const bool valid = ed25519.verify_certificate(*set, config.chain_id, commit_certificate);
  const auto verify_end = Clock::now();
  const std::size_t signatures = commit_certificate->signatures.size();
  const std::int64_t verify_us = elapsed_us(verify_start, verify_end);
  std::printf(
      "{\"benchmark\": \"consensus_collector_cost\", \"cores\": %u, \"validators\": %zu,\n"
      " \"collector_prepare_votes\": %zu, \"collector_prepare_us\": %lld,\n"
      " \"collector_commit_votes\": %zu, \"collector_commit_us\": %lld,\n"
      " \"replica_us_per_vote\": %.2f,\n"
      " \"baseline_certificate_signatures\": %zu, \"baseline_ed25519_verify_us\": %lld,\n"
      " \"baseline_us_per_signature\": %.1f, \"certificate_valid\": %s,\n"
      " \"certificate_bytes\": %zu}\n",
      std::max(1u, std::thread::hardware_concurrency()), validators, prepares.size(),
      static_cast<long long>(elapsed_us(prepare_start, commit_start)), commits.size(),
      static_cast<long long>(elapsed_us(commit_start, commit_end)),
      static_cast<double>(elapsed_us(prepare_start, commit_end)) /
          static_cast<double>(prepares.size() + commits.size()),
      signatures, static_cast<long long>(verify_us),
      static_cast<double>(verify_us) / static_cast<double>(signatures), valid ? "true" : "false",
      encoded_certificate_size(*commit_certificate));
  return valid ? 0 : 1;
}
