#include "consensus/replica_impl.h"

namespace aethel::consensus {

void Replica::Impl::on_executed(const Executed& event) {
  if (event.height.value() % config.checkpoint_interval != 0 || event.height <= stable_height ||
      event.height > committed.height) {
    return;
  }
  if (!own_checkpoints.emplace(event.height, event.state_digest).second) return;
  send_checkpoint_vote(event.height, event.state_digest);
}

void Replica::Impl::send_checkpoint_vote(Height height, const Hash256& state_digest) {
  const Vote vote =
      sign_vote(config.chain_id, key, VotePhase::kCheckpoint, View(0), height, state_digest, self);
  ++stats.signatures_made;
  if (collector() && !is_leader()) {
    send(current_leader(), vote);
    return;
  }
  if (!collector()) broadcast(std::make_shared<const Message>(vote));
  add_checkpoint_vote(vote);
}

void Replica::Impl::on_checkpoint_vote(const Vote& vote) {
  if (vote.view != View(0) || vote.height.value() % config.checkpoint_interval != 0) {
    refuse(Refusal::kUnexpected);
    return;
  }
  if (vote.height > high_watermark()) {
    on_far_checkpoint_vote(vote);
    return;
  }
  if (vote.height <= stable_height) {
    // The checkpoint became stable before this vote arrived: normal.
    ++stats.late_votes_ignored;
    return;
  }
  if (!in_watermarks(vote.height)) {
    refuse(Refusal::kOutsideWatermarks);
    return;
  }
  const PhaseVotes& votes = checkpoint_votes[vote.height];
  if (votes.digest_of_voter.contains(vote.voter)) {
    refuse(Refusal::kDuplicate);
    return;
  }
  if (!verify_vote(vote)) {
    refuse(Refusal::kBadSignature);
    return;
  }
  add_checkpoint_vote(vote);
}

// A checkpoint beyond the high watermark means this replica fell behind
// (it was down, or cut off). It keeps each validator's latest such vote
// (memory bounded by the validator count); once more than 2/3 of stake
// agrees on one, that is a stable checkpoint certificate, and the replica
// adopts it and syncs up to it.
void Replica::Impl::on_far_checkpoint_vote(const Vote& vote) {
  const auto stored = far_checkpoints.find(vote.voter);
  if (stored != far_checkpoints.end() && stored->second.height >= vote.height) {
    if (stored->second.height == vote.height && stored->second.digest != vote.digest) {
      report_far_checkpoint_equivocation(stored->second, vote);
      return;
    }
    refuse(Refusal::kDuplicate);
    return;
  }
  if (!verify_vote(vote)) {
    refuse(Refusal::kBadSignature);
    return;
  }
  const Stake stake = validators->at(vote.voter).stake;
  if (stored != far_checkpoints.end()) {
    far_checkpoint_reported.erase(vote.voter);
    const auto old = far_checkpoint_stake.find({stored->second.height, stored->second.digest});
    if (old != far_checkpoint_stake.end()) {
      old->second -= stake;
      // Without this a validator signing ever higher checkpoints would
      // leave an entry behind for each; now there is at most one entry per
      // validator.
      if (old->second == Stake(0)) far_checkpoint_stake.erase(old);
    }
    stored->second = vote;
  } else {
    far_checkpoints.emplace(vote.voter, vote);
  }
  Stake& total = far_checkpoint_stake[{vote.height, vote.digest}];
  total += stake;
  if (!validators->is_quorum(total)) return;
  Tally tally;
  for (const auto& [voter, far_vote] : far_checkpoints) {
    if (far_vote.height == vote.height && far_vote.digest == vote.digest) {
      tally.signatures.emplace(voter, far_vote.signature);
    }
  }
  adopt_stable_checkpoint(
      certificate_from(tally, VotePhase::kCheckpoint, View(0), vote.height, vote.digest),
      vote.voter);
}

// Two different state digests signed for one checkpoint height beyond the
// window: reported once per validator and stored vote.
void Replica::Impl::report_far_checkpoint_equivocation(const Vote& stored, const Vote& vote) {
  if (far_checkpoint_reported.contains(vote.voter)) {
    refuse(Refusal::kDuplicate);
    return;
  }
  if (!verify_vote(vote)) {
    refuse(Refusal::kBadSignature);
    return;
  }
  far_checkpoint_reported.insert(vote.voter);
  const auto evidence = std::make_shared<const Evidence>(make_equivocation_evidence(stored, vote));
  ++stats.evidence_reported;
  out.push_back(ReportEvidence{evidence});
}

void Replica::Impl::add_checkpoint_vote(const Vote& vote) {
  PhaseVotes& votes = checkpoint_votes[vote.height];
  if (!tally_vote(votes, vote)) return;
  const Tally& tally = votes.by_digest.at(vote.digest);
  if (!validators->is_quorum(tally.stake) || vote.height <= stable_height) return;
  const CertificatePtr certificate =
      certificate_from(tally, VotePhase::kCheckpoint, View(0), vote.height, vote.digest);
  if (collector()) {
    broadcast(std::make_shared<const Message>(CertificateMessage{certificate, self}));
  }
  adopt_stable_checkpoint(certificate, self);
}

void Replica::Impl::on_checkpoint_certificate(const CertificatePtr& certificate,
                                              ValidatorIndex sender) {
  if (certificate->height <= stable_height) {
    refuse(Refusal::kDuplicate);
    return;
  }
  if (!verify_certificate(certificate, VotePhase::kCheckpoint)) return;
  adopt_stable_checkpoint(certificate, sender);
}

void Replica::Impl::adopt_stable_checkpoint(const CertificatePtr& certificate,
                                            ValidatorIndex source) {
  const Height height = certificate->height;
  if (height <= stable_height) return;
  stable_checkpoint = certificate;
  stable_height = height;
  stable_digest = certificate->digest;
  persist_needed = true;
  const auto upto = [height](auto& map) { map.erase(map.begin(), map.upper_bound(height)); };
  upto(prepared);
  upto(slots);
  upto(own_checkpoints);
  upto(checkpoint_votes);
  // What is above the committed height stays: a replica behind its stable
  // checkpoint still needs those certificates and verdicts to catch up.
  const Height delivered = std::min(height, committed.height);
  std::erase_if(far_checkpoints,
                [height](const auto& entry) { return entry.second.height <= height; });
  std::erase_if(far_checkpoint_reported,
                [this](ValidatorIndex voter) { return !far_checkpoints.contains(voter); });
  std::erase_if(far_checkpoint_stake,
                [height](const auto& entry) { return entry.first.first <= height; });
  std::erase_if(verifications,
                [delivered](const auto& entry) { return entry.second.height <= delivered; });
  synced_blocks.erase(synced_blocks.begin(), synced_blocks.upper_bound(delivered));
  // Requests for the heights forgotten no longer count; those left keep
  // their heights, so the reserve for the next height stays exact.
  recount_pending_verifications();
  if (height > committed.height) request_sync(height, source);
}

void Replica::Impl::resend_checkpoint_vote() {
  if (!collector() || own_checkpoints.empty()) return;
  const auto& [height, state_digest] = *own_checkpoints.rbegin();
  if (height > stable_height) send_checkpoint_vote(height, state_digest);
}

}  // namespace aethel::consensus
