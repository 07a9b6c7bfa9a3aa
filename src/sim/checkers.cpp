#include "sim/checkers.h"

#include <algorithm>

namespace aethel::sim {

Observer::Observer(const ClaimTruth& truth, std::vector<bool> honest,
                   std::vector<std::uint64_t> stakes, std::vector<PartitionWindow> partitions)
    : truth_(truth),
      honest_(std::move(honest)),
      partitions_(std::move(partitions)),
      stakes_(std::move(stakes)) {
  AETHEL_ASSERT(stakes_.size() == honest_.size());
  for (std::size_t i = 0; i < honest_.size(); ++i) {
    if (honest_[i]) honest_stake_ += stakes_[i];
  }
}

void Observer::violation(std::string text) {
  if (violations_.size() < 32) violations_.push_back(std::move(text));
}

void Observer::on_proposal(const Hash256& block_digest, std::uint64_t now_us) {
  first_proposal_us_.try_emplace(block_digest, now_us);
}

void Observer::on_commit(std::uint32_t node, const consensus::Block& block,
                         const Hash256& block_digest, std::uint64_t now_us) {
  if (!honest_[node]) return;
  const std::uint64_t height = block.height.value();
  const auto [entry, first] = committed_by_height_.try_emplace(height, block_digest);
  const std::uint64_t first_commit_us = first_commit_us_.try_emplace(height, now_us).first->second;
  if (!first && entry->second != block_digest) {
    agreement_ok_ = false;
    violation("agreement: node " + std::to_string(node) + " committed " +
              block_digest.hex().substr(0, 16) + " at height " + std::to_string(height) +
              " where another honest node committed " + entry->second.hex().substr(0, 16));
  }
  for (std::size_t i = 0; i < block.claims.size(); ++i) {
    if (!truth_.claim_is_true(block.claims[i])) {
      validity_ok_ = false;
      violation("validity: node " + std::to_string(node) + " committed height " +
                std::to_string(height) + " whose claim " + std::to_string(i) +
                " contradicts the ground truth");
      break;
    }
  }
  for (const auto& partition : partitions_) {
    if (now_us < partition.grace_end_us || now_us >= partition.heal_us) continue;
    const bool quorum =
        partition.on_side[node] ? partition.side_is_quorum : partition.rest_is_quorum;
    // Catching up on a height that was final before the cut is not new.
    if (!quorum && first_commit_us >= partition.grace_end_us) {
      partition_safety_ok_ = false;
      violation("partition safety: node " + std::to_string(node) +
                " on a side without 2/3 of stake committed height " + std::to_string(height) +
                " at " + std::to_string(now_us / 1000) + " ms");
    }
  }
  // Final for finality once the honest nodes that have it hold 2/3 of the honest stake.
  std::uint64_t& committed_stake = committed_stake_by_block_[block_digest];
  const bool was_final = 3 * committed_stake >= 2 * honest_stake_;
  committed_stake += stakes_[node];
  if (!was_final && 3 * committed_stake >= 2 * honest_stake_) {
    const auto proposed = first_proposal_us_.find(block_digest);
    // A block committed through sync by a node that never saw its proposal
    // still has a proposal time: some node proposed it.
    const std::uint64_t start = proposed != first_proposal_us_.end() ? proposed->second : now_us;
    finality_us_.try_emplace(height, now_us - std::min(now_us, start));
  }
}

void Observer::on_evidence(std::uint32_t reporter, std::uint32_t offender, std::string_view kind) {
  if (!honest_[reporter]) return;
  ++evidence_count_;
  if (offender < honest_.size() && honest_[offender]) {
    accusations_ok_ = false;
    violation("accusation: honest node " + std::to_string(reporter) + " reported " +
              std::string(kind) + " evidence against honest node " + std::to_string(offender));
  }
}

std::uint64_t percentile(std::vector<std::uint64_t> values, unsigned p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  // Nearest rank: the smallest value with at least p% of values at or below it.
  std::size_t rank = (values.size() * p + 99) / 100;
  if (rank == 0) rank = 1;
  return values[rank - 1];
}

}  // namespace aethel::sim
