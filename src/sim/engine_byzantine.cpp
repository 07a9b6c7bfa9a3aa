// Byzantine strategies. A Byzantine node (other than a silent one) runs the
// real replica with its real key; the strategy rewrites some of the
// replica's actions, lies through the application, or adds messages of its
// own, always with the real message types and real signatures, so honest
// replicas must refuse the attack on its merits (signatures, quorums,
// verification), not because the simulator marked it.
#include <algorithm>

#include "core/encoding.h"
#include "sim/engine.h"

namespace aethel::sim {
namespace {

constexpr std::size_t kRecordedMessages = 64;
constexpr std::uint64_t kAdversaryTickUs = 250'000;
constexpr std::uint32_t kSpamPeers = 16;

bool is_leader_pre_prepare(const consensus::Message& message, std::uint32_t node) {
  const auto* pre_prepare = std::get_if<consensus::PrePrepare>(&message);
  return pre_prepare != nullptr && pre_prepare->leader.value() == node;
}

const consensus::Vote* own_vote(const consensus::Message& message, std::uint32_t node) {
  const auto* vote = std::get_if<consensus::Vote>(&message);
  if (vote == nullptr || vote->voter.value() != node ||
      vote->phase == consensus::VotePhase::kCheckpoint) {
    return nullptr;
  }
  return vote;
}

}  // namespace

// Equivocation: the leader's PRE-PREPARE goes to the lower half of the
// network, a second signed block for the same (view, height) to the upper
// half. Conflicting votes: every PREPARE and COMMIT has a twin for another
// digest; the two halves get different ones (a collector, and every third
// peer, gets both).
bool Engine::adversary_intercepts(std::uint32_t index, const consensus::Action& action,
                                  std::uint64_t at_us) {
  const Node& node = nodes_[index];
  const consensus::MessagePtr* message = nullptr;
  const ValidatorIndex* to = nullptr;
  if (const auto* cast = std::get_if<consensus::Broadcast>(&action)) message = &cast->message;
  if (const auto* send = std::get_if<consensus::Send>(&action)) {
    message = &send->message;
    to = &send->to;
  }
  if (message == nullptr) return false;
  const std::uint32_t half = options_.nodes / 2;

  if (node.strategy == Strategy::kEquivocate && is_leader_pre_prepare(**message, index)) {
    const auto& original = std::get<consensus::PrePrepare>(**message);
    auto twin_block = std::make_shared<consensus::Block>(*original.block);
    twin_block->timestamp_ms += 1;  // a different, equally valid block
    auto twin = std::make_shared<const consensus::Message>(consensus::sign_pre_prepare(
        chain_id_, secret_key(index), original.view, std::move(twin_block), original.leader));
    observer_->on_proposal(consensus::block_digest(*original.block), at_us);
    const auto first = consensus_packet(*message);
    const auto second = consensus_packet(twin);
    for (std::uint32_t peer = 0; peer < options_.nodes; ++peer) {
      if (peer == index || (to != nullptr && to->value() != peer)) continue;
      transmit(index, peer, peer < half ? first : second, at_us);
    }
    return true;
  }

  if (node.strategy == Strategy::kConflictingVotes) {
    const consensus::Vote* vote = own_vote(**message, index);
    if (vote == nullptr) return false;
    const Hash256 other_digest = crypto::sha256(vote->digest.view());
    auto twin = std::make_shared<const consensus::Message>(
        consensus::sign_vote(chain_id_, secret_key(index), vote->phase, vote->view, vote->height,
                             other_digest, vote->voter));
    const auto first = consensus_packet(*message);
    const auto second = consensus_packet(twin);
    if (to != nullptr) {
      const auto peer = static_cast<std::uint32_t>(to->value());
      transmit(index, peer, second, at_us);
      transmit(index, peer, first, at_us);
      return true;
    }
    for (std::uint32_t peer = 0; peer < options_.nodes; ++peer) {
      if (peer == index) continue;
      transmit(index, peer, peer < half ? first : second, at_us);
      // Every third peer also gets the other vote, so honest nodes can
      // catch the double vote and report it.
      if (peer % 3 == 1) transmit(index, peer, peer < half ? second : first, at_us);
    }
    return true;
  }
  return false;
}

void Engine::record_for_replay(Node& node, const consensus::MessagePtr& message) {
  if (node.strategy != Strategy::kReplay && node.strategy != Strategy::kMalformed) return;
  if (node.recorded.size() < kRecordedMessages) {
    node.recorded.push_back(message);
  } else {
    node.recorded[node.recorded_next] = message;
    node.recorded_next = (node.recorded_next + 1) % kRecordedMessages;
  }
}

void Engine::on_adversary_tick(std::uint32_t index, std::uint64_t now_us) {
  Node& node = nodes_[index];
  const std::uint64_t at_us = std::max(now_us, node.busy_until_us);
  switch (node.strategy) {
    case Strategy::kViewChangeSpam: {
      // Signed VIEW-CHANGEs for views far ahead: each costs the receivers a
      // signature check and must not move them, nor fill their buffers.
      for (std::uint32_t k = 0; k < kSpamPeers && k + 1 < options_.nodes; ++k) {
        consensus::ViewChangeSummary summary;
        summary.new_view = View(node.replica->view().value() + 1 + adversary_prng_.below(1000));
        summary.sender = ValidatorIndex(index);
        consensus::ViewChange change;
        change.signed_summary =
            consensus::sign_view_change_summary(chain_id_, secret_key(index), std::move(summary));
        auto message = std::make_shared<const consensus::Message>(std::move(change));
        transmit(index, random_peer(index, adversary_prng_), consensus_packet(std::move(message)),
                 at_us);
      }
      node.busy_until_us = at_us + kSpamPeers * options_.cpu.sign_us;
      break;
    }
    case Strategy::kReplay:
      for (int k = 0; k < 8 && !node.recorded.empty(); ++k) {
        const auto& message = node.recorded[adversary_prng_.below(node.recorded.size())];
        transmit(index, random_peer(index, adversary_prng_), consensus_packet(message), at_us);
      }
      break;
    case Strategy::kMalformed:
      for (int k = 0; k < 4; ++k) {
        auto packet = std::make_shared<Packet>();
        packet->kind = Packet::Kind::kRaw;
        const std::uint64_t form = adversary_prng_.below(3);
        if (form == 0 || node.recorded.empty()) {
          packet->raw.resize(1 + adversary_prng_.below(300));
          for (auto& byte : packet->raw) byte = static_cast<std::uint8_t>(adversary_prng_.next());
          if (adversary_prng_.below(2) == 0) packet->raw[0] = consensus::kMessageFormatVersion;
        } else {
          const auto& message = node.recorded[adversary_prng_.below(node.recorded.size())];
          packet->raw = consensus::encode_message(*message);
          if (form == 1) {
            packet->raw.resize(adversary_prng_.below(packet->raw.size()));  // truncated
          } else {
            const auto position = adversary_prng_.below(packet->raw.size());
            packet->raw[position] ^= static_cast<std::uint8_t>(1U << adversary_prng_.below(8));
          }
        }
        packet->size_bytes = std::max<std::size_t>(1, packet->raw.size());
        packet->digest = crypto::sha256(packet->raw);
        transmit(index, random_peer(index, adversary_prng_), packet, at_us);
      }
      break;
    default: return;  // other strategies act through the replica's actions only
  }
  schedule({.time_us = now_us + kAdversaryTickUs,
            .kind = EventKind::kAdversaryTick,
            .node = index,
            .aux = node.incarnation});
}

}  // namespace aethel::sim
