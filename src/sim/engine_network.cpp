// The network model: per-node uplink and downlink serialization at a fixed
// bandwidth, one-way latency plus uniform jitter (which reorders messages),
// loss, duplication, partitions, gossip relay of broadcasts, and block sync.
#include <algorithm>

#include "core/encoding.h"
#include "sim/engine.h"

namespace aethel::sim {
namespace {

constexpr std::uint64_t kSyncRequestBytes = 24;  // envelope, height, sender
constexpr std::size_t kSyncBatchBlocks = 32;
constexpr std::uint64_t kDirectBroadcastBudgetUs = 100'000;
constexpr std::uint64_t kMaxTransmissions = 16;

}  // namespace

PacketPtr Engine::consensus_packet(consensus::MessagePtr message) const {
  auto packet = std::make_shared<Packet>();
  const Bytes encoding = consensus::encode_message(*message);
  packet->kind = Packet::Kind::kConsensus;
  packet->size_bytes = encoding.size();
  packet->digest = crypto::sha256(encoding);
  packet->message = std::move(message);
  return packet;
}

std::uint64_t Engine::transmission_us(std::uint64_t bytes) const noexcept {
  // bandwidth in Mbit/s is bits per microsecond.
  const std::uint64_t bits = bytes * 8;
  return std::max<std::uint64_t>(1, (bits + options_.bandwidth_mbps - 1) / options_.bandwidth_mbps);
}

bool Engine::cut_by_partition(std::uint32_t from, std::uint32_t to, std::uint64_t at_us) const {
  for (const auto& partition : partitions_) {
    if (at_us >= partition.start_us && at_us < partition.heal_us &&
        partition.on_side[from] != partition.on_side[to]) {
      return true;
    }
  }
  return false;
}

// The sender's uplink sends one packet after another; each copy then takes
// the latency plus a fresh jitter draw. Links are reliable transports (TCP
// between validators): a lost transmission is sent again after a
// retransmission timeout, so loss costs time and bandwidth, not the message.
// Messages across a partition or to a crashed node are lost for good.
void Engine::transmit(std::uint32_t from, std::uint32_t to, const PacketPtr& packet,
                      std::uint64_t at_us) {
  Node& sender = nodes_[from];
  std::uint64_t attempts = 1;
  while (attempts < kMaxTransmissions && network_prng_.chance_ppm(options_.loss_ppm)) ++attempts;
  result_.messages_sent += 1;
  result_.retransmissions += attempts - 1;
  result_.bytes_sent += packet->size_bytes * attempts;
  const std::uint64_t start_us = std::max(at_us, sender.uplink_free_us);
  sender.uplink_free_us = start_us + transmission_us(packet->size_bytes);
  const std::uint64_t retransmission_timeout_us =
      3 * (options_.latency_us + options_.jitter_us) + 10'000;
  const std::uint64_t sent_us = sender.uplink_free_us + (attempts - 1) * retransmission_timeout_us;
  const int copies = network_prng_.chance_ppm(options_.duplicate_ppm) ? 2 : 1;
  for (int copy = 0; copy < copies; ++copy) {
    const std::uint64_t arrival_us =
        sent_us + options_.latency_us + network_prng_.between(0, options_.jitter_us);
    schedule({.time_us = arrival_us,
              .kind = EventKind::kArrival,
              .node = to,
              .from = from,
              .packet = packet});
  }
}

void Engine::broadcast(std::uint32_t from, const PacketPtr& packet, std::uint64_t at_us) {
  // Small messages go straight to everyone while that keeps the sender's
  // uplink busy for at most kDirectBroadcastBudgetUs: one hop, no relay can
  // withhold them. Larger ones (certificates, NEW-VIEW) are relayed.
  const bool direct_is_cheap =
      transmission_us(packet->size_bytes) * (options_.nodes - 1) <= kDirectBroadcastBudgetUs;
  if (gossip_fanout_ == 0 || gossip_fanout_ + 1 >= options_.nodes || direct_is_cheap) {
    for (std::uint32_t to = 0; to < options_.nodes; ++to) {
      if (to != from) transmit(from, to, packet, at_us);
    }
    return;
  }
  auto relayed = std::make_shared<Packet>(*packet);
  relayed->gossip_id = gossip_seen_.size() + 1;
  gossip_seen_.emplace_back(options_.nodes, false);
  gossip_seen_.back()[from] = true;
  relay(from, relayed, at_us);
}

// Gossip: a node forwards a broadcast, the first time it has it, to
// `gossip_fanout_` distinct peers drawn from a stream seeded by (broadcast,
// node), so a silent relay cuts off nobody who has another live sender.
void Engine::relay(std::uint32_t node, const PacketPtr& packet, std::uint64_t at_us) {
  Prng prng(derive_seed(options_.seed, kSeedGossip, packet->gossip_id * options_.nodes + node));
  std::vector<std::uint32_t> chosen;
  chosen.reserve(gossip_fanout_);
  while (chosen.size() < gossip_fanout_) {
    const auto peer = static_cast<std::uint32_t>(prng.below(options_.nodes));
    if (peer == node || std::find(chosen.begin(), chosen.end(), peer) != chosen.end()) continue;
    chosen.push_back(peer);
    transmit(node, peer, packet, at_us);
  }
}

void Engine::on_arrival(const QueuedEvent& event) {
  Node& node = nodes_[event.node];
  if (node.crashed || !runs_replica(node) ||
      cut_by_partition(event.from, event.node, event.time_us)) {
    ++result_.messages_dropped;
    return;
  }
  const std::uint64_t start_us = std::max(event.time_us, node.downlink_free_us);
  node.downlink_free_us = start_us + transmission_us(event.packet->size_bytes);
  QueuedEvent delivered = event;
  delivered.kind = EventKind::kDelivered;
  delivered.time_us = node.downlink_free_us;
  schedule(std::move(delivered));
}

void Engine::on_delivered(const QueuedEvent& event) {
  const std::uint32_t index = event.node;
  Node& node = nodes_[index];
  if (!node.replica) {
    ++result_.messages_dropped;
    return;
  }
  const Packet& packet = *event.packet;
  if (packet.gossip_id != 0) {
    std::vector<bool>& seen = gossip_seen_[packet.gossip_id - 1];
    if (seen[index]) return;
    seen[index] = true;
    relay(index, event.packet, event.time_us);
  }
  const std::uint64_t hashing_us = (packet.size_bytes + 1023) / 1024 * options_.cpu.sha256_kib_us;
  switch (packet.kind) {
    case Packet::Kind::kConsensus:
      fold_trace(event.time_us, index, kTraceMessage, packet.digest);
      if (!node.honest) record_for_replay(node, packet.message);
      step(index, event.time_us, consensus::MessageReceived{packet.message}, hashing_us);
      return;
    case Packet::Kind::kRaw: {
      fold_trace(event.time_us, index, kTraceRaw, packet.digest);
      auto decoded = consensus::decode_message(packet.raw);
      if (!decoded) {
        if (node.honest) ++refused_["malformed-bytes"];
        node.busy_until_us = std::max(node.busy_until_us, event.time_us) + hashing_us;
        return;
      }
      step(index, event.time_us,
           consensus::MessageReceived{
               std::make_shared<const consensus::Message>(std::move(*decoded))},
           hashing_us);
      return;
    }
    case Packet::Kind::kSyncRequest:
      on_sync_request(index, event.from, packet, event.time_us);
      return;
    case Packet::Kind::kSyncResponse:
      fold_trace(event.time_us, index, kTraceSync, packet.digest);
      node.sync_requested = false;
      for (const auto& entry : packet.blocks) {
        if (!nodes_[index].replica) return;
        step(index, event.time_us, consensus::SyncedBlock{entry.block, entry.commit_certificate},
             hashing_us / std::max<std::size_t>(1, packet.blocks.size()));
      }
      return;
  }
}

// A node answers with the final blocks it holds from the requested height
// on (at most a batch); it stays quiet when it has none.
void Engine::on_sync_request(std::uint32_t index, std::uint32_t from, const Packet& request,
                             std::uint64_t now_us) {
  const Node& node = nodes_[index];
  if (request.sync_from == 0 || request.sync_from > node.chain.size()) return;
  auto response = std::make_shared<Packet>();
  response->kind = Packet::Kind::kSyncResponse;
  crypto::Sha256Hasher hasher;
  const std::size_t first = request.sync_from - 1;
  const std::size_t last = std::min(node.chain.size(), first + kSyncBatchBlocks);
  for (std::size_t i = first; i < last; ++i) {
    const auto& entry = node.chain[i];
    response->blocks.push_back(entry);
    response->size_bytes += consensus::encode_block(*entry.block).size() +
                            consensus::encoded_certificate_size(*entry.commit_certificate);
    hasher.update(entry.commit_certificate->digest.view());
  }
  response->digest = hasher.finish();
  transmit(index, from, response, now_us);
}

void Engine::request_sync(std::uint32_t index, std::uint32_t peer, std::uint64_t now_us) {
  Node& node = nodes_[index];
  const std::uint64_t round_trip_us = 2 * (options_.latency_us + options_.jitter_us) + 100'000;
  if (node.sync_requested && now_us < node.last_sync_request_us + round_trip_us) return;
  node.sync_requested = true;
  node.last_sync_request_us = now_us;
  auto request = std::make_shared<Packet>();
  request->kind = Packet::Kind::kSyncRequest;
  request->sync_from = node.chain.size() + 1;
  request->size_bytes = kSyncRequestBytes;
  transmit(index, peer, request, now_us);
}

// Anti-entropy: a node that missed the last certificates of a run (lost or
// relayed only through silent nodes) hears of no later height that would
// make its replica ask for sync; once a second it asks a random peer for
// what follows its height.
void Engine::on_anti_entropy(std::uint32_t index, std::uint64_t now_us) {
  Node& node = nodes_[index];
  const std::uint32_t peer = random_peer(index, network_prng_);
  if (peer != index) request_sync(index, peer, now_us);
  schedule({.time_us = now_us + 1'000'000,
            .kind = EventKind::kAntiEntropy,
            .node = index,
            .aux = node.incarnation});
}

std::uint32_t Engine::random_peer(std::uint32_t node, Prng& prng) const {
  if (options_.nodes < 2) return node;
  auto peer = static_cast<std::uint32_t>(prng.below(options_.nodes - 1));
  return peer >= node ? peer + 1 : peer;
}

}  // namespace aethel::sim
