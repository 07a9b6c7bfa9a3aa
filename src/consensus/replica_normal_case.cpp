#include "consensus/replica_impl.h"

namespace aethel::consensus {

namespace {

bool is_after(View view, Height height, const SignedRecord& record) {
  return view > record.view || (view == record.view && height > record.height);
}

// A vote of a kind may be signed for (view, height, digest) if it is after
// the last one signed, or is that very vote again.
bool may_sign(const std::optional<SignedRecord>& last, View view, Height height,
              const Hash256& digest) {
  if (!last) return true;
  if (is_after(view, height, *last)) return true;
  return view == last->view && height == last->height && digest == last->digest;
}

}  // namespace

void Replica::Impl::record_rtt_sample(std::uint64_t sample_ms) {
  if (!rtt_measured) {
    rtt_measured = true;
    smoothed_rtt_ms = std::max<std::uint64_t>(sample_ms, 1);
  } else {
    smoothed_rtt_ms = (7 * smoothed_rtt_ms + sample_ms) / 8;
  }
}

// From sending PREPARE to holding the commit certificate is two round
// trips through a collector, one all-to-all; and half a round trip more
// for an all-to-all leader, whose PREPARE leaves with its proposal, one
// hop before the others'.
std::uint64_t Replica::Impl::round_trip_sample(std::uint64_t elapsed_ms) const {
  if (collector()) return elapsed_ms / 2;
  return is_leader() ? elapsed_ms * 2 / 3 : elapsed_ms;
}

std::optional<Verification> Replica::Impl::verification_of(const Hash256& digest) const {
  const auto found = verifications.find(digest);
  if (found == verifications.end()) return std::nullopt;
  return found->second.state;
}

// A quarter of the limit (at least one request) is kept for heights up to
// committed + 1. The application may hold a request for a later height
// until its parent executes, so without the reserve a leader's proposals
// for far heights could fill the limit and keep the next height, the only
// one that can be answered, from being asked about.
std::size_t Replica::Impl::ahead_verification_limit() const {
  const std::size_t limit = config.max_pending_verifications;
  return limit - std::max<std::size_t>(1, limit / 4);
}

std::size_t Replica::Impl::pending_ahead() const {
  std::size_t ahead = 0;
  for (auto it = pending_by_height.upper_bound(committed.height.next());
       it != pending_by_height.end(); ++it) {
    ahead += it->second;
  }
  return ahead;
}

bool Replica::Impl::verification_has_room(Height height) const {
  if (pending_verifications >= config.max_pending_verifications) return false;
  return height <= committed.height.next() || pending_ahead() < ahead_verification_limit();
}

void Replica::Impl::count_pending(Height height) {
  ++pending_verifications;
  ++pending_by_height[height];
}

void Replica::Impl::uncount_pending(Height height) {
  const auto found = pending_by_height.find(height);
  AETHEL_ASSERT(found != pending_by_height.end() && found->second > 0 && pending_verifications > 0);
  --pending_verifications;
  if (--found->second == 0) pending_by_height.erase(found);
}

void Replica::Impl::recount_pending_verifications() {
  pending_verifications = 0;
  pending_by_height.clear();
  for (const auto& [digest, entry] : verifications) {
    if (entry.state == Verification::kRequested) count_pending(entry.height);
  }
}

// Asks the application about `block` unless it was asked already; a digest
// it left undecided is asked again once its wait is over (the caller is a
// later step: a message, a timer, a delivery or another answer).
void Replica::Impl::request_verification(const BlockPtr& block, const Hash256& digest) {
  const auto found = verifications.find(digest);
  const bool again = found != verifications.end();
  if (again &&
      (found->second.state != Verification::kUndecided || now_ms < found->second.ask_again_ms)) {
    return;
  }
  if (!verification_has_room(block->height)) {
    ++stats.verifications_deferred;
    return;
  }
  VerificationEntry& entry = verifications[digest];
  entry.height = block->height;
  entry.state = Verification::kRequested;
  entry.block = block;
  count_pending(block->height);
  if (again) ++stats.verifications_asked_again;
  out.push_back(VerifyBlock{block});
}

// Twice as long with every further undecided answer for the digest, from
// verification_retry_min_ms up to verification_retry_max_ms.
std::uint64_t Replica::Impl::ask_again_delay_ms(std::uint32_t undecided_answers) const {
  std::uint64_t delay = config.verification_retry_min_ms;
  for (std::uint32_t i = 1; i < undecided_answers && delay < config.verification_retry_max_ms;
       ++i) {
    delay *= 2;
  }
  return std::min(delay, config.verification_retry_max_ms);
}

void Replica::Impl::on_block_verified(const BlockVerified& event) {
  const auto found = verifications.find(event.block_digest);
  if (found == verifications.end() || found->second.state != Verification::kRequested) {
    refuse(Refusal::kUnexpected);
    return;
  }
  VerificationEntry& entry = found->second;
  uncount_pending(entry.height);
  switch (event.outcome()) {
    case VerificationOutcome::kValid:
      entry.state = Verification::kOk;
      entry.block.reset();
      return;
    case VerificationOutcome::kUndecided: on_undecided(entry); return;
    case VerificationOutcome::kInvalid: on_invalid(event, entry); return;
  }
}

// Not a verdict: the slot stays open, no evidence, and the digest is asked
// again after a wait that grows with each such answer.
void Replica::Impl::on_undecided(VerificationEntry& entry) {
  ++stats.verifications_undecided;
  entry.state = Verification::kUndecided;
  entry.block.reset();
  entry.undecided_answers = std::min(entry.undecided_answers, std::uint32_t{63}) + 1;
  entry.ask_again_ms = now_ms + ask_again_delay_ms(entry.undecided_answers);
  arm_verification_timer(entry.ask_again_ms);
}

// One timer serves every undecided block: it is set for the earliest wait
// to end, so a replica hearing nothing else still asks again.
void Replica::Impl::arm_verification_timer(std::uint64_t due_ms) {
  if (verification_timer_ms && *verification_timer_ms <= due_ms &&
      *verification_timer_ms > now_ms) {
    return;
  }
  verification_timer_ms = due_ms;
  out.push_back(StartTimer{TimerKind::kVerification, due_ms - now_ms});
}

// The step itself is the trigger (progress() asks again what is due); the
// timer is set again for the next wait still running.
void Replica::Impl::on_verification_timer() {
  verification_timer_ms.reset();
  std::optional<std::uint64_t> next;
  for (const auto& [digest, entry] : verifications) {
    if (entry.state == Verification::kUndecided && entry.ask_again_ms > now_ms) {
      next = std::min(next.value_or(entry.ask_again_ms), entry.ask_again_ms);
    }
  }
  if (next) arm_verification_timer(*next);
}

void Replica::Impl::on_invalid(const BlockVerified& event, VerificationEntry& entry) {
  entry.state = Verification::kFalse;
  const BlockPtr block = std::move(entry.block);
  const std::optional<std::uint32_t> false_claim = event.proven_false_claim();
  bool leader_proven_faulty = false;
  for (auto& [height, slot] : slots) {
    if (!slot.block || slot.digest != event.block_digest) continue;
    slot.invalid = true;
    if (false_claim) {
      leader_proven_faulty = report_false_claim(slot, *false_claim) || leader_proven_faulty;
    }
  }
  if (false_claim && block) {
    remember_false_block(event.block_digest, block, *false_claim);
    report_held_votes_for(event.block_digest);
  }
  // The leader is provably faulty: do not wait for the timer.
  if (leader_proven_faulty && !in_view_change) leave_view();
}

// Returns whether the evidence accuses the current view's leader.
bool Replica::Impl::report_false_claim(const Slot& slot, std::uint32_t claim_index) {
  if (!slot.pre_prepare || claim_index >= slot.block->claims.size()) return false;
  const auto evidence =
      std::make_shared<const Evidence>(FalseClaimEvidence{*slot.pre_prepare, claim_index});
  ++stats.evidence_reported;
  out.push_back(ReportEvidence{evidence});
  return slot.pre_prepare->view == view;
}

void Replica::Impl::remember_false_block(const Hash256& digest, BlockPtr block,
                                         std::uint32_t claim_index) {
  if (claim_index >= block->claims.size() || false_blocks.contains(digest)) return;
  while (false_blocks.size() >= config.max_remembered_false_blocks) {
    false_blocks.erase(false_block_order.front());
    false_block_order.pop_front();
  }
  false_blocks.emplace(digest, FalseBlock{std::move(block), claim_index,
                                          std::vector<bool>(validators->size(), false)});
  false_block_order.push_back(digest);
}

// Votes for the block counted before the application's answer came.
void Replica::Impl::report_held_votes_for(const Hash256& digest) {
  for (const auto& [height, slot] : slots) {
    for (const VotePhase phase : {VotePhase::kPrepare, VotePhase::kCommit}) {
      const PhaseVotes& votes = phase == VotePhase::kPrepare ? slot.prepares : slot.commits;
      const auto tally = votes.by_digest.find(digest);
      if (tally == votes.by_digest.end()) continue;
      for (const auto& [voter, signature] : tally->second.signatures) {
        report_false_verdict_vote(Vote{phase, view, height, digest, voter, signature});
      }
    }
  }
}

namespace {

// Whether `vote` is a PREPARE or COMMIT for `false_block` by a voter still to
// report: not its proposer (the false claim itself is its offence) and not
// this replica.
bool is_reportable(const Vote& vote, const FalseBlock& false_block, ValidatorIndex self) {
  if (vote.phase != VotePhase::kPrepare && vote.phase != VotePhase::kCommit) return false;
  if (vote.voter == self || vote.voter == false_block.block->proposer ||
      vote.height != false_block.block->height) {
    return false;
  }
  const auto voter = static_cast<std::size_t>(vote.voter.value());
  return voter < false_block.reported.size() && !false_block.reported[voter];
}

}  // namespace

// A validly signed PREPARE or COMMIT (or one counted in a slot of this
// view, all of which were checked) for a block found false says its voter
// vouched for the false claim: reported once per voter and block.
void Replica::Impl::report_false_verdict_vote(const Vote& vote) {
  const auto found = false_blocks.find(vote.digest);
  if (found == false_blocks.end()) return;
  FalseBlock& false_block = found->second;
  if (!is_reportable(vote, false_block, self)) return;
  false_block.reported[static_cast<std::size_t>(vote.voter.value())] = true;
  const auto evidence = std::make_shared<const Evidence>(
      FalseVerdictVoteEvidence{vote, *false_block.block, false_block.claim_index});
  ++stats.evidence_reported;
  out.push_back(ReportEvidence{evidence});
}

// A false claim makes this replica leave the view at once, so the votes for
// the block that arrive later are for a view it left: their signatures are
// checked (once per voter and block, when valid) only to report them.
void Replica::Impl::report_stale_false_verdict_vote(const Vote& vote) {
  const auto found = false_blocks.find(vote.digest);
  if (found == false_blocks.end() || !is_reportable(vote, found->second, self)) return;
  if (!verify_vote(vote)) return;
  report_false_verdict_vote(vote);
}

std::optional<SignedRecord>& Replica::Impl::record_for(VotePhase phase) {
  return phase == VotePhase::kPrepare ? last_prepare : last_commit;
}

// Signs and sends this replica's vote; counts it locally when this replica
// collects (or in all-to-all). Returns false if signing would conflict.
bool Replica::Impl::cast_vote(VotePhase phase, Height height, Slot& slot) {
  std::optional<SignedRecord>& last = record_for(phase);
  if (!may_sign(last, view, height, slot.digest)) {
    ++stats.votes_withheld;
    return false;
  }
  if (!last || is_after(view, height, *last)) {
    last = SignedRecord{view, height, slot.digest};
    persist_needed = true;
  }
  const Vote vote = sign_vote(config.chain_id, key, phase, view, height, slot.digest, self);
  ++stats.signatures_made;
  if (collector() && !is_leader()) {
    send(current_leader(), vote);
  } else {
    if (!collector()) broadcast(std::make_shared<const Message>(vote));
    add_vote(slot, vote);
  }
  return true;
}

PhaseVotes& Replica::Impl::votes_for(Slot& slot, VotePhase phase) {
  return phase == VotePhase::kPrepare ? slot.prepares : slot.commits;
}

// Adds a vote whose signature is valid (or this replica's own). Reports an
// equivocation and returns false if the voter signed another digest.
bool Replica::Impl::tally_vote(PhaseVotes& votes, const Vote& vote) {
  const auto [position, inserted] = votes.digest_of_voter.emplace(vote.voter, vote.digest);
  if (!inserted) {
    if (position->second != vote.digest) report_equivocation(votes, vote, position->second);
    return false;
  }
  Tally& tally = votes.by_digest[vote.digest];
  tally.signatures.emplace(vote.voter, vote.signature);
  tally.stake += validators->at(vote.voter).stake;
  return true;
}

void Replica::Impl::report_equivocation(PhaseVotes& votes, const Vote& vote,
                                        const Hash256& first_digest) {
  if (!votes.reported.insert(vote.voter).second) return;
  const Tally& first_tally = votes.by_digest.at(first_digest);
  Vote first = vote;
  first.digest = first_digest;
  first.signature = first_tally.signatures.at(vote.voter);
  const auto evidence = std::make_shared<const Evidence>(make_equivocation_evidence(first, vote));
  ++stats.evidence_reported;
  out.push_back(ReportEvidence{evidence});
}

CertificatePtr Replica::Impl::certificate_from(const Tally& tally, VotePhase phase, View v,
                                               Height h, const Hash256& digest) {
  auto certificate = std::make_shared<Certificate>();
  certificate->phase = phase;
  certificate->view = v;
  certificate->height = h;
  certificate->digest = digest;
  certificate->signatures.reserve(tally.signatures.size());
  for (const auto& [signer, signature] : tally.signatures) {
    certificate->signatures.push_back({signer, signature});
  }
  return certificate;
}

void Replica::Impl::add_vote(Slot& slot, const Vote& vote) {
  PhaseVotes& votes = votes_for(slot, vote.phase);
  if (!tally_vote(votes, vote)) return;
  const Tally& tally = votes.by_digest.at(vote.digest);
  if (!validators->is_quorum(tally.stake)) return;
  // Exactly at the crossing, so a certificate is made once.
  if (validators->is_quorum(
          Stake(tally.stake.value() - validators->at(vote.voter).stake.value()))) {
    return;
  }
  const CertificatePtr certificate =
      certificate_from(tally, vote.phase, vote.view, vote.height, vote.digest);
  if (collector()) {
    broadcast(std::make_shared<const Message>(CertificateMessage{certificate, self}));
  }
  accept_certificate(vote.height, certificate);
}

void Replica::Impl::accept_certificate(Height height, const CertificatePtr& certificate) {
  if (certificate->phase == VotePhase::kPrepare) {
    Slot& slot = slots[height];
    if (!slot.prepare_certificate) slot.prepare_certificate = certificate;
  } else {
    note_commit_certificate(certificate, self);
  }
}

// Everything this replica can do now at each height it may vote on.
void Replica::Impl::progress() {
  for (auto& [height, slot] : slots) {
    if (height > committed.height.next()) break;
    progress_slot(height, slot);
    try_deliver();
  }
  try_deliver();
  maybe_request_proposal();
}

// A replica restored into a view has lost that view's NEW-VIEW, whose
// re-proposals it must not contradict; its prepared blocks (persisted,
// and updated from every NEW-VIEW it installed) stand in for them: in the
// restored view it votes for a fresh proposal only where it prepared
// nothing else.
bool Replica::Impl::conflicts_with_restored_prepared(Height height, const Slot& slot) const {
  if (!view_without_new_view || *view_without_new_view != view || !slot.pre_prepare) return false;
  const auto known = prepared.find(height);
  return known != prepared.end() && known->second.prepare_certificate->digest != slot.digest;
}

bool Replica::Impl::block_fits_parent(const Slot& slot) const {
  return slot.block->parent_digest == committed.digest &&
         slot.block->timestamp_ms > committed.timestamp_ms;
}

void Replica::Impl::progress_slot(Height height, Slot& slot) {
  if (!slot.block || slot.invalid) return;
  if (conflicts_with_restored_prepared(height, slot)) {
    slot.invalid = true;
    ++stats.votes_withheld;
    return;
  }
  const bool final_here = height <= committed.height;
  if (final_here) {
    const auto digest = committed_digest_at(height);
    if (!digest || *digest != slot.digest) return;
  } else {
    if (!block_fits_parent(slot)) {
      slot.invalid = true;
      refuse(Refusal::kInvalidBlock);
      return;
    }
    if (verification_of(slot.digest) != Verification::kOk) {
      request_verification(slot.block, slot.digest);
      return;
    }
  }
  if (!slot.sent_prepare && !(collector() && slot.prepare_certificate)) {
    slot.sent_prepare = true;
    if (cast_vote(VotePhase::kPrepare, height, slot)) slot.prepare_sent_ms = now_ms;
  }
  if (slot.prepare_certificate && slot.prepare_certificate->digest == slot.digest &&
      !slot.sent_commit) {
    slot.sent_commit = true;
    record_prepared(height, slot);
    cast_vote(VotePhase::kCommit, height, slot);
  }
}

void Replica::Impl::record_prepared(Height height, const Slot& slot) {
  auto& entry = prepared[height];
  if (entry.prepare_certificate && entry.prepare_certificate->view >= view) return;
  entry = PreparedProof{slot.block, slot.prepare_certificate};
  persist_needed = true;
}

// The block at committed + 1 with its certificate, from the current view
// or from sync.
BlockPtr Replica::Impl::block_for(Height height, const Hash256& digest) const {
  const auto slot = slots.find(height);
  if (slot != slots.end() && slot->second.block && slot->second.digest == digest) {
    return slot->second.block;
  }
  const auto synced = synced_blocks.find(height);
  if (synced != synced_blocks.end() && synced->second.second == digest) {
    return synced->second.first;
  }
  return nullptr;
}

void Replica::Impl::try_deliver() {
  deliver_ready_blocks();
  ask_for_sync();
}

void Replica::Impl::deliver_ready_blocks() {
  while (true) {
    const Height height = committed.height.next();
    const auto certificate = commit_certificates.find(height);
    if (certificate == commit_certificates.end()) return;
    const CertificatePtr proof = certificate->second;  // deliver() erases the entry
    const Hash256 digest = proof->digest;
    const BlockPtr block = block_for(height, digest);
    if (!block) return;
    if (block->parent_digest != committed.digest) return;
    if (verification_of(digest) != Verification::kOk) {
      request_verification(block, digest);
      return;
    }
    deliver(block, digest, proof);
  }
}

void Replica::Impl::deliver(BlockPtr block, Hash256 digest, CertificatePtr certificate) {
  const Height height = block->height;
  const auto slot = slots.find(height);
  if (slot != slots.end() && slot->second.prepare_sent_ms && certificate->view == view) {
    record_rtt_sample(round_trip_sample(now_ms - *slot->second.prepare_sent_ms));
  }
  committed = ChainTip{height, digest, block->timestamp_ms};
  committed_digests[height] = digest;
  while (committed_digests.size() > 2 * config.watermark_window) {
    committed_digests.erase(committed_digests.begin());
  }
  commit_certificates.erase(height);
  synced_blocks.erase(synced_blocks.begin(), synced_blocks.upper_bound(height));
  ++stats.blocks_delivered;
  // Only a commit in the view this replica is in shows that view working;
  // blocks synced or certified in older views (also while changing view)
  // do not, and must not shorten its patience.
  if (!in_view_change && certificate->view == view) failed_views = 0;
  out.push_back(DeliverBlock{block, certificate});
  if (!in_view_change) restart_view_timer();
}

void Replica::Impl::maybe_request_proposal() {
  if (in_view_change || !is_leader()) return;
  const Height next = committed.height.next();
  if (!in_watermarks(next)) return;
  if (proposal_requested == next) return;
  const auto slot = slots.find(next);
  if (slot != slots.end() && slot->second.block) return;
  proposal_requested = next;
  out.push_back(RequestProposal{next, committed.digest});
}

void Replica::Impl::on_proposal_ready(const ProposalReady& proposal) {
  const Height next = committed.height.next();
  if (in_view_change || !is_leader() || proposal.height != next || proposal_requested != next ||
      slots[next].block) {
    refuse(Refusal::kUnexpected);
    return;
  }
  if (last_pre_prepare && !is_after(view, next, *last_pre_prepare)) {
    ++stats.votes_withheld;
    return;
  }
  Block block;
  block.height = next;
  block.view = view;
  block.parent_digest = committed.digest;
  block.proposer = self;
  block.timestamp_ms = std::max(proposal.timestamp_ms, committed.timestamp_ms + 1);
  block.claims = proposal.claims;
  if (block.claims.size() > config.max_block_claims) block.claims.resize(config.max_block_claims);
  block.payload_digest = proposal.payload_digest;
  const auto shared_block = std::make_shared<const Block>(std::move(block));
  const PrePrepare pre_prepare = sign_pre_prepare(config.chain_id, key, view, shared_block, self);
  ++stats.signatures_made;
  const Hash256 digest = block_digest(*shared_block);
  last_pre_prepare = SignedRecord{view, next, digest};
  persist_needed = true;
  Slot& slot = slots[next];
  slot.block = shared_block;
  slot.digest = digest;
  slot.pre_prepare = pre_prepare;
  // The application built the block from proofs it verified itself.
  verifications.try_emplace(digest, VerificationEntry{next, Verification::kOk, nullptr, 0, 0});
  broadcast(std::make_shared<const Message>(pre_prepare));
}

void Replica::Impl::on_pre_prepare(const PrePrepare& m, const MessagePtr& message) {
  if (m.block == nullptr) {
    refuse(Refusal::kInvalidBlock);
    return;
  }
  const Timing timing = timing_of(m.view);
  if (timing == Timing::kStale) {
    refuse(Refusal::kStaleView);
    return;
  }
  if (m.leader != leader_of(m.view)) {
    refuse(Refusal::kWrongLeader);
    return;
  }
  const Block& block = *m.block;
  if (!in_watermarks(block.height)) {
    refuse(Refusal::kOutsideWatermarks);
    return;
  }
  if (block.view != m.view || block.proposer != m.leader ||
      block.claims.size() > config.max_block_claims ||
      block.timestamp_ms > now_ms + config.timestamp_max_ahead_ms) {
    refuse(Refusal::kInvalidBlock);
    return;
  }
  const Hash256 digest = block_digest(block);
  if (timing == Timing::kFuture) {
    buffer_future(message, m.view, buffer_key(*message), m.leader,
                  [&] { return pre_prepare_signature_ok(m, digest); });
    return;
  }
  Slot& slot = slots[block.height];
  if (slot.block) {
    if (slot.digest == digest) {
      refuse(Refusal::kDuplicate);
      return;
    }
    if (slot.pre_prepare && !slot.conflict_reported) {
      if (!pre_prepare_signature_ok(m, digest)) return;
      report_conflicting_pre_prepare(slot, m);
    }
    refuse(Refusal::kConflictingPrePrepare);
    return;
  }
  if (slot.prepare_certificate && slot.prepare_certificate->digest != digest) {
    refuse(Refusal::kConflictingPrePrepare);
    return;
  }
  if (!pre_prepare_signature_ok(m, digest)) return;
  slot.block = m.block;
  slot.digest = digest;
  slot.pre_prepare = m;
  // Verification of later heights starts early (pipelined); the next
  // height is verified once its parent is checked (progress_slot).
  if (block.height > committed.height.next()) request_verification(m.block, digest);
}

// The leader signed two different blocks for one height of its view.
void Replica::Impl::report_conflicting_pre_prepare(Slot& slot, const PrePrepare& second) {
  slot.conflict_reported = true;
  const auto evidence = std::make_shared<const Evidence>(
      make_conflicting_pre_prepare_evidence(*slot.pre_prepare, second));
  ++stats.evidence_reported;
  out.push_back(ReportEvidence{evidence});
}

void Replica::Impl::on_vote(const Vote& vote, const MessagePtr& message) {
  if (vote.phase == VotePhase::kCheckpoint) {
    on_checkpoint_vote(vote);
    return;
  }
  const Timing timing = timing_of(vote.view);
  if (timing == Timing::kStale) {
    report_stale_false_verdict_vote(vote);
    refuse(Refusal::kStaleView);
    return;
  }
  if (!in_watermarks(vote.height)) {
    refuse(Refusal::kOutsideWatermarks);
    return;
  }
  if (collector() && leader_of(vote.view) != self) {
    refuse(Refusal::kUnexpected);
    return;
  }
  if (timing == Timing::kFuture) {
    buffer_future(message, vote.view, buffer_key(*message), vote.voter,
                  [&] { return vote_signature_ok(vote); });
    return;
  }
  Slot& slot = slots[vote.height];
  const PhaseVotes& votes = votes_for(slot, vote.phase);
  const auto earlier = votes.digest_of_voter.find(vote.voter);
  if (earlier != votes.digest_of_voter.end() &&
      (earlier->second == vote.digest || votes.reported.contains(vote.voter))) {
    refuse(Refusal::kDuplicate);
    return;
  }
  if (!vote_signature_ok(vote)) return;
  report_false_verdict_vote(vote);
  add_vote(slot, vote);
}

void Replica::Impl::on_certificate(const CertificateMessage& m, const MessagePtr& message) {
  const CertificatePtr& certificate = m.certificate;
  if (certificate == nullptr) {
    refuse(Refusal::kInvalidCertificate);
    return;
  }
  switch (certificate->phase) {
    case VotePhase::kCheckpoint: on_checkpoint_certificate(certificate, m.sender); return;
    case VotePhase::kCommit: on_commit_certificate(certificate, m.sender); return;
    case VotePhase::kPrepare: on_prepare_certificate(certificate, message); return;
  }
}

void Replica::Impl::on_prepare_certificate(const CertificatePtr& certificate,
                                           const MessagePtr& message) {
  const Timing timing = timing_of(certificate->view);
  if (timing == Timing::kStale) {
    refuse(Refusal::kStaleView);
    return;
  }
  if (!in_watermarks(certificate->height)) {
    refuse(Refusal::kOutsideWatermarks);
    return;
  }
  if (timing == Timing::kFuture) {
    buffer_future(message, certificate->view, buffer_key(*message), std::nullopt,
                  [&] { return verify_certificate(certificate, VotePhase::kPrepare); });
    return;
  }
  Slot& slot = slots[certificate->height];
  if (slot.prepare_certificate) {
    refuse(Refusal::kDuplicate);
    return;
  }
  if (!verify_certificate(certificate, VotePhase::kPrepare)) return;
  slot.prepare_certificate = certificate;
}

void Replica::Impl::on_commit_certificate(const CertificatePtr& certificate,
                                          ValidatorIndex sender) {
  const Height height = certificate->height;
  if (height <= committed.height || commit_certificates.contains(height)) {
    refuse(Refusal::kDuplicate);
    return;
  }
  if (!in_watermarks(height)) {
    refuse(Refusal::kOutsideWatermarks);
    return;
  }
  if (!verify_certificate(certificate, VotePhase::kCommit)) return;
  note_commit_certificate(certificate, sender);
  follow_view_of(*certificate);
}

}  // namespace aethel::consensus
