// The invariants of a run, checked by an observer outside the nodes. The
// simulator reports what every honest node does (commits, evidence), and the
// observer judges: no node checks itself.
//
//   agreement          no two honest nodes commit different blocks at one height;
//   validity           no honest node commits a block with a claim that
//                      contradicts the ground truth;
//   partition safety   while a partition holds, a side whose stake is not a
//                      quorum (more than 2/3) commits nothing new: no height
//                      that no honest node had committed before the cut
//                      (plus a grace period covering messages in flight);
//                      catching up on older heights is allowed;
//   accusations        evidence reported by an honest node names a Byzantine one;
//   liveness           judged at the end by the simulator (every honest node
//                      has committed the requested blocks), only when
//                      Byzantine stake is below 1/3 and the network has healed.
//
// Finality of a block: simulated time from its first proposal to the moment
// honest nodes holding 2/3 of the honest stake have committed it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "consensus/block.h"
#include "sim/node_application.h"
#include "sim/options.h"

namespace aethel::sim {

struct PartitionWindow {
  std::uint64_t start_us = 0;
  std::uint64_t grace_end_us = 0;  // checks apply from here
  std::uint64_t heal_us = 0;
  std::vector<bool> on_side;    // per node: in the partition's listed side
  bool side_is_quorum = false;  // the listed side holds more than 2/3 of stake
  bool rest_is_quorum = false;  // the other nodes do
};

class Observer {
 public:
  // `stakes` by node (equal stakes: all 1).
  // `truth` outlives the observer.
  Observer(const ClaimTruth& truth, std::vector<bool> honest, std::vector<std::uint64_t> stakes,
           std::vector<PartitionWindow> partitions);

  void on_proposal(const Hash256& block_digest, std::uint64_t now_us);
  void on_commit(std::uint32_t node, const consensus::Block& block, const Hash256& block_digest,
                 std::uint64_t now_us);
  void on_evidence(std::uint32_t reporter, std::uint32_t offender, std::string_view kind);

  bool agreement_ok() const noexcept { return agreement_ok_; }
  bool validity_ok() const noexcept { return validity_ok_; }
  bool partition_safety_ok() const noexcept { return partition_safety_ok_; }
  bool accusations_ok() const noexcept { return accusations_ok_; }
  const std::vector<std::string>& violations() const noexcept { return violations_; }

  // Heights final at 2/3 of honest stake, and their finality in µs, by height.
  const std::map<std::uint64_t, std::uint64_t>& finality_us() const noexcept {
    return finality_us_;
  }
  std::uint64_t honest_stake() const noexcept { return honest_stake_; }
  std::uint64_t evidence_count() const noexcept { return evidence_count_; }

 private:
  void violation(std::string text);

  const ClaimTruth& truth_;
  std::vector<bool> honest_;
  std::vector<PartitionWindow> partitions_;
  std::vector<std::uint64_t> stakes_;
  std::uint64_t honest_stake_ = 0;

  std::map<std::uint64_t, Hash256> committed_by_height_;
  std::map<std::uint64_t, std::uint64_t> first_commit_us_;  // by height, any honest node
  std::map<Hash256, std::uint64_t> first_proposal_us_;
  std::map<Hash256, std::uint64_t> committed_stake_by_block_;  // honest stake
  std::map<std::uint64_t, std::uint64_t> finality_us_;

  bool agreement_ok_ = true;
  bool validity_ok_ = true;
  bool partition_safety_ok_ = true;
  bool accusations_ok_ = true;
  std::uint64_t evidence_count_ = 0;
  std::vector<std::string> violations_;
};

// p-th percentile (0..100) by nearest rank; 0 for an empty list.
std::uint64_t percentile(std::vector<std::uint64_t> values, unsigned p);

}  // namespace aethel::sim
