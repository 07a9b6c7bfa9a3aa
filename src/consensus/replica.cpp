#include "consensus/replica.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "core/assert.h"
#include "crypto/sha256.h"

namespace aethel::consensus {
namespace {

enum class Verification : std::uint8_t { kRequested, kOk, kFalse };

// Signed votes of one phase for one (view, height), by digest.
struct Tally {
  std::map<ValidatorIndex, crypto::Signature> signatures;
  Stake stake;
};

struct PhaseVotes {
  std::map<Hash256, Tally> by_digest;
  std::map<ValidatorIndex, Hash256> digest_of_voter;
  std::set<ValidatorIndex> reported;  // equivocation already reported
};

// One height in the current view.
struct Slot {
  BlockPtr block;
  Hash256 digest;
  std::optional<PrePrepare> pre_prepare;  // a fresh proposal, kept for evidence
  PhaseVotes prepares;
  PhaseVotes commits;
  CertificatePtr prepare_certificate;  // of the current view
  bool sent_prepare = false;
  bool sent_commit = false;
  bool invalid = false;
  bool conflict_reported = false;                // the leader's second, different PRE-PREPARE
  std::optional<std::uint64_t> prepare_sent_ms;  // for round-trip samples
};

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

// A message held for a view this replica has not entered yet, with what
// bounds the buffer: its signer (none for a certificate, which a quorum
// signed) and its encoded size.
struct BufferedMessage {
  MessagePtr message;
  View view;
  std::optional<ValidatorIndex> signer;
  std::size_t bytes = 0;
};

// What makes two buffered messages the same: kind, phase, view, height and
// signer. A second message under one key is a replay or an equivocation;
// either way the first one is enough to wait with.
using BufferKey = std::tuple<std::uint8_t, std::uint8_t, View, Height, std::uint64_t>;

// Most bytes held for later views, and the least share of messages and
// bytes every validator gets whatever its stake.
constexpr std::size_t kMaxBufferedBytes = 32ULL << 20;
constexpr std::size_t kMinBufferedMessagesPerSigner = 4;
constexpr std::size_t kMinBufferedBytesPerSigner = 1ULL << 20;

// Farthest a VIEW-CHANGE may ask to move ahead of the replica's view. Honest
// replicas move one view per timeout, so they are never this far apart; a
// coalition holding a third of the stake cannot drag the others toward the
// end of the view numbers in one step.
constexpr std::uint64_t kMaxViewChangeLead = 1ULL << 16;

// How many certificates that failed signature checks are remembered.
constexpr std::size_t kFailedCertificatesRemembered = 1024;

// Longest patience in a view: at most this many timers of timeout_max_ms
// (32 minutes with the defaults), and never beyond about 12.7 days. Patience
// doubles with every failed view so that it outgrows the real message
// delays (PBFT's liveness argument); past the cap that growth no longer
// helps, while a replica that failed many views in a long outage would
// otherwise wait days in the first view after it ends, even with a crashed
// leader. Replicas no longer need ever longer patience to meet again: one
// moves past a view only with a quorum's VIEW-CHANGEs for it.
constexpr std::uint64_t kPatienceTimersMax = 16;
constexpr std::uint64_t kPatienceLimitMs = 1ULL << 40;

std::uint64_t twice_capped(std::uint64_t value, std::uint64_t cap) {
  return value > cap / 2 ? cap : value * 2;
}

}  // namespace

struct Replica::Impl {
  Impl(Config config_in, ValidatorSetPtr validators_in, crypto::SecretKey key_in,
       ValidatorIndex self_in, std::shared_ptr<SignatureChecker> checker_in)
      : config(std::move(config_in)),
        validators(std::move(validators_in)),
        key(std::move(key_in)),
        self(self_in),
        checker(std::move(checker_in)) {}

  Config config;
  ValidatorSetPtr validators;
  crypto::SecretKey key;
  ValidatorIndex self;
  std::shared_ptr<SignatureChecker> checker;
  ReplicaStats stats;
  // Hashes of the encodings of certificates whose signatures did not
  // verify, the oldest forgotten first.
  std::set<Hash256> failed_certificates;
  std::deque<Hash256> failed_certificate_order;

  // --- view ---
  View view;
  bool in_view_change = false;
  std::optional<Hash256> installed_new_view;  // digest of the NEW-VIEW accepted for `view`
  std::map<ValidatorIndex, std::shared_ptr<const ViewChange>> latest_view_change;
  std::map<View, Stake> view_change_stake;
  // Messages for the next view (or the view being changed to), each
  // authenticated before it is held; bounded in count, bytes and per signer.
  std::deque<BufferedMessage> future_messages;
  std::set<BufferKey> buffered_keys;
  std::size_t buffered_bytes = 0;
  std::map<ValidatorIndex, std::pair<std::size_t, std::size_t>> buffered_by_signer;

  // --- chain ---
  ChainTip committed;
  std::map<Height, Hash256> committed_digests;  // recent heights
  std::map<Height, CertificatePtr> commit_certificates;
  // Final blocks fetched by sync, each with its own digest: one is delivered
  // only under a commit certificate for that very digest.
  std::map<Height, std::pair<BlockPtr, Hash256>> synced_blocks;
  Height sync_target;     // highest height proven final by a certificate seen
  Height sync_requested;  // highest height asked of the driver
  // Who showed the certificate: advisory only (the sender field is not
  // signed), the driver may fetch from anyone.
  ValidatorIndex sync_hint;

  // --- checkpoints ---
  CertificatePtr stable_checkpoint;
  Height stable_height;
  Hash256 stable_digest;
  std::map<Height, Hash256> own_checkpoints;
  std::map<Height, PhaseVotes> checkpoint_votes;
  std::map<ValidatorIndex, Vote> far_checkpoints;  // beyond the high watermark
  std::map<std::pair<Height, Hash256>, Stake> far_checkpoint_stake;
  std::set<ValidatorIndex> far_checkpoint_reported;  // equivocated on their stored far vote

  // --- durable vote records ---
  std::optional<SignedRecord> last_pre_prepare;
  std::optional<SignedRecord> last_prepare;
  std::optional<SignedRecord> last_commit;
  View last_view_change;
  std::map<Height, PreparedProof> prepared;
  std::optional<View> view_without_new_view;
  // Restored after signing a VIEW-CHANGE for its view and before sending
  // that view's NEW-VIEW (if it leads it): it resumes the view change.
  bool resume_view_change = false;

  // --- current view work ---
  std::map<Height, Slot> slots;
  std::map<Hash256, std::pair<Height, Verification>> verifications;
  std::size_t pending_verifications = 0;
  std::optional<Height> proposal_requested;

  // --- timing ---
  std::uint64_t now_ms = 0;
  std::uint64_t smoothed_rtt_ms = 0;
  bool rtt_measured = false;  // the first sample replaces the configured guess
  std::uint32_t failed_views = 0;
  std::uint64_t patience_rounds_left = 0;  // timers to wait out before leaving the view
  MessagePtr new_view_sent;                // this replica's NEW-VIEW for `view`, if it leads it
  // When each sender last got `new_view_sent` again.
  std::map<ValidatorIndex, std::uint64_t> new_view_resent_ms;
  // Whether a quorum of VIEW-CHANGEs for `view` or later views is held since
  // entering the view change: only then may the timer move the replica past
  // it.
  bool view_change_quorum_held = false;

  // --- persist before send ---
  std::uint64_t persist_sequence = 0;
  std::uint64_t persisted_sequence = 0;
  bool persist_needed = false;
  std::deque<std::pair<std::uint64_t, Action>> held;

  Actions out;

  // ======================= shared pieces =======================

  bool collector() const { return config.vote_pattern == VotePattern::kCollector; }
  ValidatorIndex leader_of(View v) const { return validators->leader_for_view(v); }
  ValidatorIndex current_leader() const { return leader_of(view); }
  bool is_leader() const { return current_leader() == self; }
  Height high_watermark() const { return Height(stable_height.value() + config.watermark_window); }
  bool in_watermarks(Height height) const {
    return height > stable_height && height <= high_watermark();
  }
  void refuse(Refusal reason) { ++stats.refused[static_cast<std::size_t>(reason)]; }

  std::uint64_t base_timeout_ms() const {
    const std::uint64_t scaled = smoothed_rtt_ms > config.timeout_max_ms
                                     ? config.timeout_max_ms
                                     : smoothed_rtt_ms * config.timeout_rtt_multiplier;
    return std::clamp(scaled, config.timeout_min_ms, config.timeout_max_ms);
  }

  // base * 2^failed_views, capped at kPatienceTimersMax timers: how long
  // this replica waits in a view before giving up on it.
  std::uint64_t patience_ms() const {
    const std::uint64_t limit =
        std::min(kPatienceLimitMs, config.timeout_max_ms * kPatienceTimersMax);
    std::uint64_t timeout = base_timeout_ms();
    for (std::uint32_t i = 0; i < failed_views && timeout < limit; ++i) {
      timeout = twice_capped(timeout, limit);
    }
    return timeout;
  }

  // One timer never runs longer than timeout_max_ms.
  std::uint64_t view_timeout_ms() const { return std::min(patience_ms(), config.timeout_max_ms); }

  void record_rtt_sample(std::uint64_t sample_ms) {
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
  std::uint64_t round_trip_sample(std::uint64_t elapsed_ms) const {
    if (collector()) return elapsed_ms / 2;
    return is_leader() ? elapsed_ms * 2 / 3 : elapsed_ms;
  }

  // Starts a new wait. A patience longer than timeout_max_ms is served as
  // several timers of at most that length; between them the replica sends
  // its VIEW-CHANGE again (messages get lost) but stays in the view. Keeping
  // the patience growing without a cap is what lets replicas that drifted
  // into different views meet again (PBFT's liveness argument): the one
  // that has failed longest waits longest.
  void restart_view_timer() {
    const std::uint64_t patience = patience_ms();
    const std::uint64_t timer = view_timeout_ms();
    patience_rounds_left = (patience - 1) / timer;
    out.push_back(StartTimer{TimerKind::kView, timer});
  }

  PersistentState snapshot() const {
    PersistentState state;
    state.view = view;
    state.last_pre_prepare = last_pre_prepare;
    state.last_prepare = last_prepare;
    state.last_commit = last_commit;
    state.last_view_change = last_view_change;
    state.stable_checkpoint = stable_checkpoint;
    state.prepared.reserve(prepared.size());
    for (const auto& [height, proof] : prepared) state.prepared.push_back(proof);
    return state;
  }

  // Every send waits for every Persist emitted before it (or about to be
  // emitted at the end of this step).
  void emit_network(Action action) {
    const std::uint64_t required = persist_sequence + (persist_needed ? 1 : 0);
    if (required > persisted_sequence || !held.empty()) {
      held.emplace_back(required, std::move(action));
      return;
    }
    count_sent(action);
    out.push_back(std::move(action));
  }

  void count_sent(const Action& action) {
    if (std::holds_alternative<Send>(action) || std::holds_alternative<Broadcast>(action)) {
      ++stats.messages_sent;
    }
  }

  void release_held() {
    while (!held.empty() && held.front().first <= persisted_sequence) {
      count_sent(held.front().second);
      out.push_back(std::move(held.front().second));
      held.pop_front();
    }
  }

  void send(ValidatorIndex to, Message message) {
    emit_network(Send{to, std::make_shared<const Message>(std::move(message))});
  }
  void broadcast(MessagePtr message) { emit_network(Broadcast{std::move(message)}); }

  void finish_step() {
    if (persist_needed) {
      persist_needed = false;
      ++persist_sequence;
      out.push_back(Persist{persist_sequence, std::make_shared<const PersistentState>(snapshot())});
    }
  }

  bool verify_signature(ValidatorIndex signer, crypto::SigningDomain domain, const Bytes& message,
                        const crypto::Signature& signature) {
    ++stats.signatures_verified;
    return checker->verify_signature(validators->at(signer).public_key, domain, message, signature);
  }

  bool verify_vote(const Vote& vote) {
    return verify_signature(
        vote.voter, signing_domain_of(vote.phase),
        vote_signing_bytes(config.chain_id, vote.phase, vote.view, vote.height, vote.digest),
        vote.signature);
  }

  // Structure, phase, and every signature.
  bool verify_certificate(const CertificatePtr& certificate, VotePhase phase) {
    if (certificate == nullptr || certificate->phase != phase ||
        !check_certificate_structure(*validators, *certificate)) {
      refuse(Refusal::kInvalidCertificate);
      return false;
    }
    if (phase == VotePhase::kCheckpoint &&
        (certificate->view != View(0) ||
         certificate->height.value() % config.checkpoint_interval != 0)) {
      refuse(Refusal::kInvalidCertificate);
      return false;
    }
    // A certificate whose signatures failed once fails again: replaying it
    // must not cost the signature checks (a quorum of them) every time.
    const Hash256 identity = certificate_identity(*certificate);
    if (failed_certificates.contains(identity)) {
      refuse(Refusal::kBadSignature);
      return false;
    }
    stats.signatures_verified += certificate->signatures.size();
    ++stats.certificates_verified;
    if (!checker->verify_certificate(*validators, config.chain_id, certificate)) {
      remember_failed_certificate(identity);
      refuse(Refusal::kBadSignature);
      return false;
    }
    return true;
  }

  static Hash256 certificate_identity(const Certificate& certificate) {
    Encoder encoder;
    encode_certificate(encoder, certificate);
    return crypto::sha256(std::move(encoder).take());
  }

  void remember_failed_certificate(const Hash256& identity) {
    if (failed_certificate_order.size() >= kFailedCertificatesRemembered) {
      failed_certificates.erase(failed_certificate_order.front());
      failed_certificate_order.pop_front();
    }
    failed_certificates.insert(identity);
    failed_certificate_order.push_back(identity);
  }

  std::optional<Hash256> committed_digest_at(Height height) const {
    if (height == committed.height) return committed.digest;
    const auto found = committed_digests.find(height);
    if (found == committed_digests.end()) return std::nullopt;
    return found->second;
  }

  // ======================= verification =======================

  std::optional<Verification> verification_of(const Hash256& digest) const {
    const auto found = verifications.find(digest);
    if (found == verifications.end()) return std::nullopt;
    return found->second.second;
  }

  void request_verification(const BlockPtr& block, const Hash256& digest) {
    if (verifications.contains(digest)) return;
    if (pending_verifications >= config.max_pending_verifications) return;
    verifications.emplace(digest, std::make_pair(block->height, Verification::kRequested));
    ++pending_verifications;
    out.push_back(VerifyBlock{block});
  }

  void on_block_verified(const BlockVerified& event) {
    const auto found = verifications.find(event.block_digest);
    if (found == verifications.end() || found->second.second != Verification::kRequested) {
      refuse(Refusal::kUnexpected);
      return;
    }
    --pending_verifications;
    found->second.second = event.ok ? Verification::kOk : Verification::kFalse;
    if (event.ok) return;
    bool leader_proven_faulty = false;
    for (auto& [height, slot] : slots) {
      if (!slot.block || slot.digest != event.block_digest) continue;
      slot.invalid = true;
      leader_proven_faulty = report_false_claim(slot, event) || leader_proven_faulty;
    }
    // The leader is provably faulty: do not wait for the timer.
    if (leader_proven_faulty && !in_view_change) leave_view();
  }

  // Returns whether the evidence accuses the current view's leader.
  bool report_false_claim(const Slot& slot, const BlockVerified& event) {
    if (!event.false_claim_index || !slot.pre_prepare ||
        *event.false_claim_index >= slot.block->claims.size()) {
      return false;
    }
    const auto evidence = std::make_shared<const Evidence>(
        FalseClaimEvidence{*slot.pre_prepare, *event.false_claim_index});
    ++stats.evidence_reported;
    out.push_back(ReportEvidence{evidence});
    return slot.pre_prepare->view == view;
  }

  // ======================= voting =======================

  std::optional<SignedRecord>& record_for(VotePhase phase) {
    return phase == VotePhase::kPrepare ? last_prepare : last_commit;
  }

  // Signs and sends this replica's vote; counts it locally when this replica
  // collects (or in all-to-all). Returns false if signing would conflict.
  bool cast_vote(VotePhase phase, Height height, Slot& slot) {
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

  PhaseVotes& votes_for(Slot& slot, VotePhase phase) {
    return phase == VotePhase::kPrepare ? slot.prepares : slot.commits;
  }

  // Adds a vote whose signature is valid (or this replica's own). Reports an
  // equivocation and returns false if the voter signed another digest.
  bool tally_vote(PhaseVotes& votes, const Vote& vote) {
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

  void report_equivocation(PhaseVotes& votes, const Vote& vote, const Hash256& first_digest) {
    if (!votes.reported.insert(vote.voter).second) return;
    const Tally& first_tally = votes.by_digest.at(first_digest);
    Vote first = vote;
    first.digest = first_digest;
    first.signature = first_tally.signatures.at(vote.voter);
    const auto evidence = std::make_shared<const Evidence>(make_equivocation_evidence(first, vote));
    ++stats.evidence_reported;
    out.push_back(ReportEvidence{evidence});
  }

  static CertificatePtr certificate_from(const Tally& tally, VotePhase phase, View v, Height h,
                                         const Hash256& digest) {
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

  void add_vote(Slot& slot, const Vote& vote) {
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

  void accept_certificate(Height height, const CertificatePtr& certificate) {
    if (certificate->phase == VotePhase::kPrepare) {
      Slot& slot = slots[height];
      if (!slot.prepare_certificate) slot.prepare_certificate = certificate;
    } else {
      note_commit_certificate(certificate, self);
    }
  }

  // A commit certificate proves `height` final. If this replica cannot
  // deliver up to it from what it holds, it asks the driver to sync.
  void note_commit_certificate(const CertificatePtr& certificate, ValidatorIndex source) {
    const Height height = certificate->height;
    if (height <= committed.height || !commit_certificates.emplace(height, certificate).second) {
      return;
    }
    const bool next_known = commit_certificates.contains(committed.height.next());
    const bool block_known = block_for(height, certificate->digest) != nullptr;
    if (height > committed.height.next() ? !next_known : !block_known) request_sync(height, source);
  }

  // ======================= progress at one height =======================

  // Everything this replica can do now at each height it may vote on.
  void progress() {
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
  bool conflicts_with_restored_prepared(Height height, const Slot& slot) const {
    if (!view_without_new_view || *view_without_new_view != view || !slot.pre_prepare) return false;
    const auto known = prepared.find(height);
    return known != prepared.end() && known->second.prepare_certificate->digest != slot.digest;
  }

  bool block_fits_parent(const Slot& slot) const {
    return slot.block->parent_digest == committed.digest &&
           slot.block->timestamp_ms > committed.timestamp_ms;
  }

  void progress_slot(Height height, Slot& slot) {
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
      const auto verification = verification_of(slot.digest);
      if (!verification) request_verification(slot.block, slot.digest);
      if (verification != Verification::kOk) return;
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

  void record_prepared(Height height, const Slot& slot) {
    auto& entry = prepared[height];
    if (entry.prepare_certificate && entry.prepare_certificate->view >= view) return;
    entry = PreparedProof{slot.block, slot.prepare_certificate};
    persist_needed = true;
  }

  // The block at committed + 1 with its certificate, from the current view
  // or from sync.
  BlockPtr block_for(Height height, const Hash256& digest) const {
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

  void try_deliver() {
    deliver_ready_blocks();
    ask_for_sync();
  }

  void deliver_ready_blocks() {
    while (true) {
      const Height height = committed.height.next();
      const auto certificate = commit_certificates.find(height);
      if (certificate == commit_certificates.end()) return;
      const CertificatePtr proof = certificate->second;  // deliver() erases the entry
      const Hash256 digest = proof->digest;
      const BlockPtr block = block_for(height, digest);
      if (!block) return;
      if (block->parent_digest != committed.digest) return;
      const auto verification = verification_of(digest);
      if (!verification) request_verification(block, digest);
      if (verification != Verification::kOk) return;
      deliver(block, digest, proof);
    }
  }

  void deliver(BlockPtr block, Hash256 digest, CertificatePtr certificate) {
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

  void maybe_request_proposal() {
    if (in_view_change || !is_leader()) return;
    const Height next = committed.height.next();
    if (!in_watermarks(next)) return;
    if (proposal_requested == next) return;
    const auto slot = slots.find(next);
    if (slot != slots.end() && slot->second.block) return;
    proposal_requested = next;
    out.push_back(RequestProposal{next, committed.digest});
  }

  void on_proposal_ready(const ProposalReady& proposal) {
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
    verifications.emplace(digest, std::make_pair(next, Verification::kOk));
    broadcast(std::make_shared<const Message>(pre_prepare));
  }

  // ======================= messages =======================

  enum class Timing : std::uint8_t { kStale, kNow, kFuture };

  // Messages of a view this replica has not entered yet (a later view, or
  // the view it is changing to) wait in a bounded buffer.
  Timing timing_of(View message_view) const {
    if (message_view < view) return Timing::kStale;
    if (message_view > view || in_view_change) return Timing::kFuture;
    return Timing::kNow;
  }

  // A signer's share of the buffer follows its stake, so signers holding
  // less than a third of the stake fill less than a third of it (plus the
  // small floor every signer gets).
  std::size_t stake_share(ValidatorIndex signer, std::size_t whole, std::size_t floor) const {
    const std::uint64_t total = validators->total_stake().value();
    const std::uint64_t unit = total / whole + 1;
    const std::uint64_t share = validators->at(signer).stake.value() / unit;
    return std::max<std::size_t>(static_cast<std::size_t>(share), floor);
  }

  bool buffer_has_room(const std::optional<ValidatorIndex>& signer, std::size_t bytes) const {
    if (future_messages.size() >= config.max_buffered_messages ||
        buffered_bytes + bytes > kMaxBufferedBytes) {
      return false;
    }
    if (!signer) return true;
    const auto used = buffered_by_signer.find(*signer);
    const std::size_t count = used == buffered_by_signer.end() ? 0 : used->second.first;
    const std::size_t used_bytes = used == buffered_by_signer.end() ? 0 : used->second.second;
    return count <
               stake_share(*signer, config.max_buffered_messages, kMinBufferedMessagesPerSigner) &&
           used_bytes + bytes <=
               stake_share(*signer, kMaxBufferedBytes, kMinBufferedBytesPerSigner);
  }

  // Holds `message` for `message_view` if that view is at most one ahead,
  // it is new, there is room, and `authentic()` (which refuses what it
  // rejects) holds: checked last, as the most expensive.
  template <class Authenticate>
  void buffer_future(const MessagePtr& message, View message_view, const BufferKey& identity,
                     std::optional<ValidatorIndex> signer, Authenticate&& authentic) {
    const std::optional<View> next_view = view.checked_next();
    if (!next_view || message_view > *next_view) {
      refuse(Refusal::kFutureViewBufferFull);
      return;
    }
    if (buffered_keys.contains(identity)) {
      refuse(Refusal::kDuplicate);
      return;
    }
    const std::size_t bytes = encoded_message_size(*message);
    if (!buffer_has_room(signer, bytes)) {
      refuse(Refusal::kFutureViewBufferFull);
      return;
    }
    if (!authentic()) return;
    buffered_keys.insert(identity);
    buffered_bytes += bytes;
    if (signer) {
      auto& used = buffered_by_signer[*signer];
      ++used.first;
      used.second += bytes;
    }
    future_messages.push_back(BufferedMessage{message, message_view, signer, bytes});
  }

  static BufferKey buffer_key(const Message& message) {
    if (const auto* m = std::get_if<PrePrepare>(&message)) {
      return {0, 0, m->view, m->block->height, m->leader.value()};
    }
    if (const auto* m = std::get_if<Vote>(&message)) {
      return {1, static_cast<std::uint8_t>(m->phase), m->view, m->height, m->voter.value()};
    }
    const Certificate& certificate = *std::get<CertificateMessage>(message).certificate;
    return {2, static_cast<std::uint8_t>(certificate.phase), certificate.view, certificate.height,
            0};
  }

  // Keeps the buffered messages for `first_kept` and later views.
  void drop_buffered_below(View first_kept) {
    std::deque<BufferedMessage> kept;
    std::deque<BufferedMessage> all;
    all.swap(future_messages);
    clear_buffer_bounds();
    for (BufferedMessage& entry : all) {
      if (entry.view < first_kept) continue;
      buffered_keys.insert(buffer_key(*entry.message));
      buffered_bytes += entry.bytes;
      if (entry.signer) {
        auto& used = buffered_by_signer[*entry.signer];
        ++used.first;
        used.second += entry.bytes;
      }
      future_messages.push_back(std::move(entry));
    }
  }

  void clear_buffer_bounds() {
    buffered_keys.clear();
    buffered_bytes = 0;
    buffered_by_signer.clear();
  }

  bool pre_prepare_signature_ok(const PrePrepare& m, const Hash256& digest) {
    if (verify_signature(
            m.leader, crypto::SigningDomain::kConsensusPrePrepare,
            pre_prepare_signing_bytes(config.chain_id, m.view, m.block->height, digest),
            m.signature)) {
      return true;
    }
    refuse(Refusal::kBadSignature);
    return false;
  }

  bool vote_signature_ok(const Vote& vote) {
    if (verify_vote(vote)) return true;
    refuse(Refusal::kBadSignature);
    return false;
  }

  void on_message(const MessagePtr& message) {
    if (!validators->contains(message_sender(*message))) {
      refuse(Refusal::kNonValidator);
      return;
    }
    struct Visitor {
      Impl& impl;
      const MessagePtr& message;
      void operator()(const PrePrepare& m) const { impl.on_pre_prepare(m, message); }
      void operator()(const Vote& m) const { impl.on_vote(m, message); }
      void operator()(const CertificateMessage& m) const { impl.on_certificate(m, message); }
      void operator()(const ViewChange& m) const { impl.on_view_change(message, m); }
      void operator()(const NewView& m) const { impl.on_new_view(m); }
    };
    std::visit(Visitor{*this, message}, *message);
  }

  void on_pre_prepare(const PrePrepare& m, const MessagePtr& message) {
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
  void report_conflicting_pre_prepare(Slot& slot, const PrePrepare& second) {
    slot.conflict_reported = true;
    const auto evidence = std::make_shared<const Evidence>(
        make_conflicting_pre_prepare_evidence(*slot.pre_prepare, second));
    ++stats.evidence_reported;
    out.push_back(ReportEvidence{evidence});
  }

  void on_vote(const Vote& vote, const MessagePtr& message) {
    if (vote.phase == VotePhase::kCheckpoint) {
      on_checkpoint_vote(vote);
      return;
    }
    const Timing timing = timing_of(vote.view);
    if (timing == Timing::kStale) {
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
    add_vote(slot, vote);
  }

  void on_certificate(const CertificateMessage& m, const MessagePtr& message) {
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

  void on_prepare_certificate(const CertificatePtr& certificate, const MessagePtr& message) {
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

  void on_commit_certificate(const CertificatePtr& certificate, ValidatorIndex sender) {
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

  // A valid commit certificate of a later view proves that a quorum entered
  // that view (accepted its NEW-VIEW). A replica left behind (its messages
  // lost, or it restarted) follows it there without that NEW-VIEW, under the
  // same guard as a restarted replica (conflicts_with_restored_prepared);
  // otherwise it would stay in an old view, following only through sync.
  void follow_view_of(const Certificate& certificate) {
    if (certificate.view < view || (certificate.view == view && !in_view_change)) return;
    view = certificate.view;
    new_view_sent.reset();
    new_view_resent_ms.clear();
    in_view_change = false;
    installed_new_view.reset();
    view_without_new_view = view;
    slots.clear();
    proposal_requested.reset();
    ++stats.views_changed;
    persist_needed = true;
    out.push_back(EnteredView{view, current_leader()});
    restart_view_timer();
    replay_future_messages();
  }

  void request_sync(Height height, ValidatorIndex hint) {
    if (height > sync_target) {
      sync_target = height;
      sync_hint = hint;
    }
    ask_for_sync();
  }

  // Asks the driver for the next batch of final blocks (at most what
  // on_synced_block accepts) unless a request is outstanding. The view timer
  // forgets an outstanding request that was never served.
  void ask_for_sync() {
    if (sync_target <= committed.height || sync_requested > committed.height) return;
    const Height batch_end(committed.height.value() + sync_batch());
    sync_requested = std::min(sync_target, batch_end);
    out.push_back(SyncNeeded{sync_requested, sync_hint});
  }

  std::uint64_t sync_batch() const { return 2 * config.watermark_window; }

  void on_synced_block(const SyncedBlock& event) {
    if (event.block == nullptr || event.commit_certificate == nullptr) {
      refuse(Refusal::kInvalidBlock);
      return;
    }
    const Height height = event.block->height;
    if (height <= committed.height || synced_blocks.contains(height)) {
      refuse(Refusal::kDuplicate);
      return;
    }
    const Hash256 digest = block_digest(*event.block);
    if (event.commit_certificate->height != height || event.commit_certificate->digest != digest ||
        height.value() > committed.height.value() + sync_batch()) {
      refuse(Refusal::kInvalidBlock);
      return;
    }
    // A certificate already held for this height decides which block is
    // final there; the one supplied with the block is only checked otherwise.
    const auto known = commit_certificates.find(height);
    if (known != commit_certificates.end()) {
      if (known->second->digest != digest) {
        refuse(Refusal::kInvalidBlock);
        return;
      }
    } else {
      if (!verify_certificate(event.commit_certificate, VotePhase::kCommit)) return;
      commit_certificates.emplace(height, event.commit_certificate);
      follow_view_of(*event.commit_certificate);
    }
    synced_blocks.emplace(height, std::make_pair(event.block, digest));
    request_verification(event.block, digest);
  }

  // ======================= checkpoints =======================

  void on_executed(const Executed& event) {
    if (event.height.value() % config.checkpoint_interval != 0 || event.height <= stable_height ||
        event.height > committed.height) {
      return;
    }
    if (!own_checkpoints.emplace(event.height, event.state_digest).second) return;
    send_checkpoint_vote(event.height, event.state_digest);
  }

  void send_checkpoint_vote(Height height, const Hash256& state_digest) {
    const Vote vote = sign_vote(config.chain_id, key, VotePhase::kCheckpoint, View(0), height,
                                state_digest, self);
    ++stats.signatures_made;
    if (collector() && !is_leader()) {
      send(current_leader(), vote);
      return;
    }
    if (!collector()) broadcast(std::make_shared<const Message>(vote));
    add_checkpoint_vote(vote);
  }

  void on_checkpoint_vote(const Vote& vote) {
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
  void on_far_checkpoint_vote(const Vote& vote) {
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
  void report_far_checkpoint_equivocation(const Vote& stored, const Vote& vote) {
    if (far_checkpoint_reported.contains(vote.voter)) {
      refuse(Refusal::kDuplicate);
      return;
    }
    if (!verify_vote(vote)) {
      refuse(Refusal::kBadSignature);
      return;
    }
    far_checkpoint_reported.insert(vote.voter);
    const auto evidence =
        std::make_shared<const Evidence>(make_equivocation_evidence(stored, vote));
    ++stats.evidence_reported;
    out.push_back(ReportEvidence{evidence});
  }

  void add_checkpoint_vote(const Vote& vote) {
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

  void on_checkpoint_certificate(const CertificatePtr& certificate, ValidatorIndex sender) {
    if (certificate->height <= stable_height) {
      refuse(Refusal::kDuplicate);
      return;
    }
    if (!verify_certificate(certificate, VotePhase::kCheckpoint)) return;
    adopt_stable_checkpoint(certificate, sender);
  }

  void adopt_stable_checkpoint(const CertificatePtr& certificate, ValidatorIndex source) {
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
                  [delivered](const auto& entry) { return entry.second.first <= delivered; });
    synced_blocks.erase(synced_blocks.begin(), synced_blocks.upper_bound(delivered));
    pending_verifications = static_cast<std::size_t>(std::count_if(
        verifications.begin(), verifications.end(),
        [](const auto& entry) { return entry.second.second == Verification::kRequested; }));
    if (height > committed.height) request_sync(height, source);
  }

  // ======================= view change =======================

  void start_view_change(View target) {
    AETHEL_ASSERT(target > view || (target == view && !in_view_change));
    view = target;
    new_view_sent.reset();
    new_view_resent_ms.clear();
    in_view_change = true;
    installed_new_view.reset();
    slots.clear();
    proposal_requested.reset();
    ++failed_views;
    ++stats.views_changed;
    drop_buffered_below(view);
    ViewChangeSummary summary;
    summary.new_view = target;
    summary.stable_height = stable_height;
    summary.stable_state_digest = stable_digest;
    summary.sender = self;
    auto change = std::make_shared<ViewChange>();
    change->stable_checkpoint = stable_checkpoint;
    for (const auto& [height, proof] : prepared) {
      // Prepared in the view itself (a view change resumed after a restart)
      // is not evidence for it.
      if (!in_watermarks(height) || proof.prepare_certificate->view >= target) continue;
      const Certificate& certificate = *proof.prepare_certificate;
      summary.prepared.push_back({height, certificate.view, certificate.digest});
      change->proofs.push_back(proof);
    }
    change->signed_summary = sign_view_change_summary(config.chain_id, key, std::move(summary));
    ++stats.signatures_made;
    last_view_change = target;
    persist_needed = true;
    const auto message = std::make_shared<const Message>(ViewChange(*change));
    const ValidatorIndex new_leader = leader_of(target);
    if (collector()) {
      if (new_leader != self) emit_network(Send{new_leader, message});
    } else {
      broadcast(message);
    }
    view_change_quorum_held = false;
    store_view_change(std::shared_ptr<const ViewChange>(change));
    if (!note_view_change_quorum()) wait_for_view_change_quorum();
    try_send_new_view();
  }

  // PBFT's rule against replicas drifting apart: after sending VIEW-CHANGE
  // for v, a replica moves on to v + 1 only on a timer started once it holds
  // a quorum of VIEW-CHANGEs for v or later views. Until then it waits in v
  // and sends its VIEW-CHANGE again every timeout; a lone replica thus stays
  // one view ahead instead of racing away from the others.
  void wait_for_view_change_quorum() {
    patience_rounds_left = 0;
    out.push_back(StartTimer{TimerKind::kView, view_timeout_ms()});
  }

  // Starts the timer that may move the replica past `view` once a quorum of
  // VIEW-CHANGEs for it or later views is first held. Returns whether that
  // quorum is held. A replica that already moved past `view` (it held such a
  // quorum first) has replaced its VIEW-CHANGE for `view` by a later one, and
  // the earlier one may never have reached the others: counting only
  // VIEW-CHANGEs for `view` itself would leave them waiting for it forever,
  // while it waits for them one view ahead. Its later VIEW-CHANGE shows it
  // left `view` too, and it will not enter `view` again, so without it a
  // NEW-VIEW for `view` could lack the quorum it needs to commit anything.
  bool note_view_change_quorum() {
    if (!in_view_change) return false;
    if (view_change_quorum_held) return true;
    Stake at_or_above;
    for (auto entry = view_change_stake.lower_bound(view); entry != view_change_stake.end();
         ++entry) {
      at_or_above += entry->second;
    }
    if (!validators->is_quorum(at_or_above)) return false;
    view_change_quorum_held = true;
    restart_view_timer();
    return true;
  }

  bool view_change_is_valid(const ViewChange& change) {
    const ViewChangeSummary& summary = change.signed_summary.summary;
    if (summary.stable_height.value() % config.checkpoint_interval != 0) return false;
    if (!verify_signature(summary.sender, crypto::SigningDomain::kConsensusViewChange,
                          view_change_signing_bytes(config.chain_id, summary),
                          change.signed_summary.signature)) {
      return false;
    }
    if (summary.stable_height == Height(0)) {
      if (change.stable_checkpoint != nullptr) return false;
    } else if (change.stable_checkpoint == nullptr ||
               change.stable_checkpoint->height != summary.stable_height ||
               change.stable_checkpoint->digest != summary.stable_state_digest ||
               !verify_certificate(change.stable_checkpoint, VotePhase::kCheckpoint)) {
      return false;
    }
    if (change.proofs.size() != summary.prepared.size()) return false;
    for (std::size_t i = 0; i < change.proofs.size(); ++i) {
      const PreparedEntry& entry = summary.prepared[i];
      if (entry.view >= summary.new_view ||
          entry.height.value() > summary.stable_height.value() + config.watermark_window ||
          !proof_is_valid(change.proofs[i], entry)) {
        return false;
      }
    }
    return true;
  }

  bool proof_is_valid(const PreparedProof& proof, const PreparedEntry& entry) {
    if (proof.block == nullptr || proof.prepare_certificate == nullptr) return false;
    const Certificate& certificate = *proof.prepare_certificate;
    if (certificate.height != entry.height || certificate.view != entry.view ||
        certificate.digest != entry.digest || proof.block->height != entry.height ||
        block_digest(*proof.block) != entry.digest) {
      return false;
    }
    return verify_certificate(proof.prepare_certificate, VotePhase::kPrepare);
  }

  void on_view_change(const MessagePtr& message, const ViewChange& change) {
    const ViewChangeSummary& summary = change.signed_summary.summary;
    if (summary.new_view == view && !in_view_change && new_view_sent) {
      resend_new_view_to(change);
      return;
    }
    if (summary.new_view < view || (summary.new_view == view && !in_view_change)) {
      refuse(Refusal::kStaleView);
      return;
    }
    if (summary.new_view.value() - view.value() > kMaxViewChangeLead) {
      refuse(Refusal::kInvalidViewChange);
      return;
    }
    const auto latest = latest_view_change.find(summary.sender);
    if (latest != latest_view_change.end() &&
        latest->second->signed_summary.summary.new_view >= summary.new_view) {
      refuse(Refusal::kDuplicate);
      return;
    }
    if (!view_change_is_valid(change)) {
      refuse(Refusal::kInvalidViewChange);
      return;
    }
    store_view_change(std::shared_ptr<const ViewChange>(message, &change));
    join_view_change_if_supported();
    note_view_change_quorum();
    try_send_new_view();
  }

  // The sender missed this view's NEW-VIEW: send it again, at most once per
  // sender per timeout_min_ms (it asks again only when its timer fires), and
  // only for a VIEW-CHANGE it really signed (a NEW-VIEW is large, a forged
  // VIEW-CHANGE small).
  void resend_new_view_to(const ViewChange& change) {
    const ViewChangeSummary& summary = change.signed_summary.summary;
    const auto last = new_view_resent_ms.find(summary.sender);
    if (last != new_view_resent_ms.end() && now_ms - last->second < config.timeout_min_ms) {
      refuse(Refusal::kDuplicate);
      return;
    }
    if (!verify_signature(summary.sender, crypto::SigningDomain::kConsensusViewChange,
                          view_change_signing_bytes(config.chain_id, summary),
                          change.signed_summary.signature)) {
      refuse(Refusal::kBadSignature);
      return;
    }
    new_view_resent_ms[summary.sender] = now_ms;
    emit_network(Send{summary.sender, new_view_sent});
  }

  void store_view_change(std::shared_ptr<const ViewChange> change) {
    const ViewChangeSummary& summary = change->signed_summary.summary;
    auto& latest = latest_view_change[summary.sender];
    if (latest) {
      const auto tally = view_change_stake.find(latest->signed_summary.summary.new_view);
      if (tally != view_change_stake.end()) {
        tally->second -= validators->at(summary.sender).stake;
        if (tally->second == Stake(0)) view_change_stake.erase(tally);
      }
    }
    latest = std::move(change);
    view_change_stake[summary.new_view] += validators->at(summary.sender).stake;
    // Views below the current one can no longer be entered.
    view_change_stake.erase(view_change_stake.begin(), view_change_stake.lower_bound(view));
  }

  // PBFT's liveness rule: VIEW-CHANGEs for views above this replica's from a
  // weak quorum (at least 1/3 of stake), counted together whatever view
  // each names, mean at least one honest replica timed out; join the
  // smallest of those views rather than wait. The new leader of a view also
  // joins it once it holds a quorum for it.
  void join_view_change_if_supported() {
    Stake above;
    for (auto entry = view_change_stake.upper_bound(view); entry != view_change_stake.end();
         ++entry) {
      above += entry->second;
    }
    const auto smallest = view_change_stake.upper_bound(view);
    if (smallest != view_change_stake.end() && validators->is_weak_quorum(above)) {
      start_view_change(smallest->first);
      return;
    }
    for (auto entry = view_change_stake.upper_bound(view); entry != view_change_stake.end();
         ++entry) {
      if (leader_of(entry->first) == self && validators->is_quorum(entry->second)) {
        start_view_change(entry->first);
        return;
      }
    }
  }

  std::vector<std::shared_ptr<const ViewChange>> view_changes_for(View target) const {
    std::vector<std::shared_ptr<const ViewChange>> changes;
    for (const auto& [sender, change] : latest_view_change) {
      if (change->signed_summary.summary.new_view == target) changes.push_back(change);
    }
    return changes;
  }

  void try_send_new_view() {
    if (!in_view_change || leader_of(view) != self) return;
    if (!validators->is_quorum(view_change_stake[view])) return;
    if (last_pre_prepare && last_pre_prepare->view >= view) return;  // one NEW-VIEW per view
    const auto changes = view_changes_for(view);
    auto new_view = std::make_shared<NewView>();
    new_view->view = view;
    new_view->leader = self;
    for (const auto& change : changes) new_view->view_changes.push_back(change->signed_summary);
    const NewViewPlan plan = plan_new_view(new_view->view_changes);
    for (const auto& change : changes) {
      const ViewChangeSummary& summary = change->signed_summary.summary;
      if (summary.stable_height == plan.stable_height &&
          summary.stable_state_digest == plan.stable_state_digest) {
        new_view->stable_checkpoint = change->stable_checkpoint;
        break;
      }
    }
    for (const PreparedEntry& entry : plan.reproposals) {
      new_view->reproposals.push_back(find_proof(changes, entry));
    }
    sign_new_view(config.chain_id, key, *new_view);
    ++stats.signatures_made;
    const Height last_height =
        plan.reproposals.empty() ? plan.stable_height : plan.reproposals.back().height;
    last_pre_prepare = SignedRecord{
        view, last_height, plan.reproposals.empty() ? Hash256() : plan.reproposals.back().digest};
    persist_needed = true;
    const auto message = std::make_shared<const Message>(NewView(*new_view));
    broadcast(message);
    install_new_view(*new_view, plan);
    new_view_sent = message;
  }

  static PreparedProof find_proof(const std::vector<std::shared_ptr<const ViewChange>>& changes,
                                  const PreparedEntry& entry) {
    for (const auto& change : changes) {
      const auto& entries = change->signed_summary.summary.prepared;
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (entries[i] == entry) return change->proofs[i];
      }
    }
    AETHEL_UNREACHABLE("a planned re-proposal has no proof among validated view changes");
  }

  std::optional<NewViewPlan> new_view_plan_if_valid(const NewView& new_view) {
    if (!verify_signature(new_view.leader, crypto::SigningDomain::kConsensusNewView,
                          new_view_signing_bytes(config.chain_id, new_view), new_view.signature)) {
      refuse(Refusal::kBadSignature);
      return std::nullopt;
    }
    Stake stake;
    for (std::size_t i = 0; i < new_view.view_changes.size(); ++i) {
      const SignedViewChangeSummary& signed_summary = new_view.view_changes[i];
      const ViewChangeSummary& summary = signed_summary.summary;
      if (!validators->contains(summary.sender) || summary.new_view != new_view.view ||
          (i > 0 && summary.sender <= new_view.view_changes[i - 1].summary.sender) ||
          !verify_signature(summary.sender, crypto::SigningDomain::kConsensusViewChange,
                            view_change_signing_bytes(config.chain_id, summary),
                            signed_summary.signature)) {
        return std::nullopt;
      }
      stake += validators->at(summary.sender).stake;
    }
    if (!validators->is_quorum(stake)) return std::nullopt;
    NewViewPlan plan = plan_new_view(new_view.view_changes);
    if (!new_view_matches_plan(new_view, plan)) return std::nullopt;
    return plan;
  }

  bool new_view_matches_plan(const NewView& new_view, const NewViewPlan& plan) {
    const CertificatePtr& checkpoint = new_view.stable_checkpoint;
    if (plan.stable_height == Height(0)) {
      if (checkpoint != nullptr) return false;
    } else if (checkpoint == nullptr || checkpoint->height != plan.stable_height ||
               checkpoint->digest != plan.stable_state_digest ||
               (plan.stable_height > stable_height &&
                !verify_certificate(checkpoint, VotePhase::kCheckpoint))) {
      return false;
    }
    if (new_view.reproposals.size() != plan.reproposals.size()) return false;
    for (std::size_t i = 0; i < plan.reproposals.size(); ++i) {
      if (!proof_is_valid(new_view.reproposals[i], plan.reproposals[i])) return false;
    }
    return true;
  }

  void on_new_view(const NewView& new_view) {
    if (new_view.view < view) {
      refuse(Refusal::kStaleView);
      return;
    }
    if (new_view.leader != leader_of(new_view.view)) {
      refuse(Refusal::kWrongLeader);
      return;
    }
    const Hash256 digest = crypto::sha256(new_view_signing_bytes(config.chain_id, new_view));
    if (new_view.view == view && installed_new_view) {
      refuse(*installed_new_view == digest ? Refusal::kDuplicate : Refusal::kConflictingNewView);
      return;
    }
    const auto plan = new_view_plan_if_valid(new_view);
    if (!plan) {
      refuse(Refusal::kInvalidNewView);
      return;
    }
    if (new_view.view > view) {
      view = new_view.view;
      ++stats.views_changed;
      persist_needed = true;
    }
    install_new_view(new_view, *plan);
  }

  void install_new_view(const NewView& new_view, const NewViewPlan& plan) {
    view = new_view.view;
    new_view_sent.reset();
    new_view_resent_ms.clear();
    in_view_change = false;
    installed_new_view = crypto::sha256(new_view_signing_bytes(config.chain_id, new_view));
    slots.clear();
    proposal_requested.reset();
    if (new_view.stable_checkpoint && plan.stable_height > stable_height) {
      adopt_stable_checkpoint(new_view.stable_checkpoint, new_view.leader);
    }
    for (const PreparedProof& proof : new_view.reproposals) {
      const Height height = proof.block->height;
      if (!in_watermarks(height)) continue;
      Slot& slot = slots[height];
      slot.block = proof.block;
      slot.digest = proof.prepare_certificate->digest;
      auto& known = prepared[height];
      if (!known.prepare_certificate ||
          known.prepare_certificate->view < proof.prepare_certificate->view) {
        known = proof;
        persist_needed = true;
      }
    }
    out.push_back(EnteredView{view, current_leader()});
    restart_view_timer();
    resend_checkpoint_vote();
    replay_future_messages();
  }

  void resend_checkpoint_vote() {
    if (!collector() || own_checkpoints.empty()) return;
    const auto& [height, state_digest] = *own_checkpoints.rbegin();
    if (height > stable_height) send_checkpoint_vote(height, state_digest);
  }

  void replay_future_messages() {
    std::deque<BufferedMessage> waiting;
    waiting.swap(future_messages);
    clear_buffer_bounds();
    for (const BufferedMessage& entry : waiting) on_message(entry.message);
  }

  // ======================= events =======================

  void on_timer(const TimerFired& timer) {
    if (timer.timer != TimerKind::kView) return;
    sync_requested = std::min(sync_requested, committed.height);
    ask_for_sync();
    if (in_view_change && !view_change_quorum_held) {
      resend_view_change();
      wait_for_view_change_quorum();
      return;
    }
    if (patience_rounds_left > 0) {
      --patience_rounds_left;
      resend_view_change();
      out.push_back(StartTimer{TimerKind::kView, view_timeout_ms()});
      return;
    }
    leave_view();
  }

  // Moves to the next view; at the last view number there is none, and the
  // replica stays (resending its VIEW-CHANGE) rather than wrap around.
  void leave_view() {
    const std::optional<View> next_view = view.checked_next();
    if (!next_view) {
      resend_view_change();
      out.push_back(StartTimer{TimerKind::kView, view_timeout_ms()});
      return;
    }
    start_view_change(*next_view);
  }

  void resend_view_change() {
    if (!in_view_change) return;
    const auto own = latest_view_change.find(self);
    if (own == latest_view_change.end() || own->second->signed_summary.summary.new_view != view) {
      return;
    }
    // Broadcast even in the collector pattern: resends happen only after a
    // timeout without a quorum of VIEW-CHANGEs, or a stall longer than
    // timeout_max_ms, when replicas may be in different views, and seeing
    // the others' VIEW-CHANGEs is how they learn of a quorum or join a later
    // view (join_view_change_if_supported). The new leader, if it already
    // entered the view, answers with its NEW-VIEW.
    broadcast(std::make_shared<const Message>(ViewChange(*own->second)));
  }

  void on_start() {
    out.push_back(EnteredView{view, current_leader()});
    if (resume_view_change) {
      resume_view_change = false;
      start_view_change(view);
      return;
    }
    restart_view_timer();
  }

  void on_persisted(const Persisted& event) {
    if (event.sequence > persist_sequence) {
      refuse(Refusal::kUnexpected);
      return;
    }
    persisted_sequence = std::max(persisted_sequence, event.sequence);
    release_held();
  }

  Actions step(std::uint64_t now, const Event& event) {
    AETHEL_ASSERT_MSG(now >= now_ms, "time went backwards");
    now_ms = now;
    out.clear();
    struct Visitor {
      Impl& impl;
      void operator()(const Start&) const { impl.on_start(); }
      void operator()(const MessageReceived& e) const {
        if (e.message == nullptr) {
          impl.refuse(Refusal::kUnexpected);
          return;
        }
        impl.on_message(e.message);
      }
      void operator()(const TimerFired& e) const { impl.on_timer(e); }
      void operator()(const Persisted& e) const { impl.on_persisted(e); }
      void operator()(const ProposalReady& e) const { impl.on_proposal_ready(e); }
      void operator()(const BlockVerified& e) const { impl.on_block_verified(e); }
      void operator()(const Executed& e) const { impl.on_executed(e); }
      void operator()(const SyncedBlock& e) const { impl.on_synced_block(e); }
    };
    std::visit(Visitor{*this}, event);
    progress();
    finish_step();
    return std::move(out);
  }

  // ======================= restore =======================

  Result<void> restore(const PersistentState& state, const ChainTip& tip) {
    committed = tip;
    committed_digests[tip.height] = tip.digest;
    view = state.view;
    last_pre_prepare = state.last_pre_prepare;
    last_prepare = state.last_prepare;
    last_commit = state.last_commit;
    last_view_change = state.last_view_change;
    // Whether a NEW-VIEW was installed is not recorded. A replica whose last
    // VIEW-CHANGE is for its view may have crashed in the middle of that view
    // change (a new leader before sending NEW-VIEW, which it would otherwise
    // never send): it resumes the view change, sending its VIEW-CHANGE again,
    // and waits for the NEW-VIEW (which the leader sends again on that
    // VIEW-CHANGE). Otherwise (also a leader that sent its NEW-VIEW, recorded
    // as its PRE-PREPARE of the view, and cannot send another) it resumes in
    // the view as if the NEW-VIEW were installed, guarded by its prepared
    // blocks (see conflicts_with_restored_prepared); the view timer moves it
    // on otherwise.
    resume_view_change = view > View(0) && state.last_view_change == view &&
                         !(last_pre_prepare && last_pre_prepare->view >= view);
    if (!resume_view_change && (view > View(0) || !state.prepared.empty())) {
      view_without_new_view = view;
    }
    if (state.stable_checkpoint) {
      const CertificatePtr& checkpoint = state.stable_checkpoint;
      if (checkpoint->phase != VotePhase::kCheckpoint ||
          !check_certificate_structure(*validators, *checkpoint) ||
          checkpoint->height.value() % config.checkpoint_interval != 0) {
        return fail(ErrorCode::kInvalidArgument,
                    "replica: restored stable checkpoint is not a checkpoint certificate");
      }
      stable_checkpoint = checkpoint;
      stable_height = checkpoint->height;
      stable_digest = checkpoint->digest;
    }
    for (const PreparedProof& proof : state.prepared) {
      if (proof.block == nullptr || proof.prepare_certificate == nullptr ||
          proof.block->height <= stable_height || prepared.contains(proof.block->height)) {
        return fail(ErrorCode::kInvalidArgument,
                    "replica: restored prepared blocks are not above the stable checkpoint in "
                    "increasing height order");
      }
      prepared.emplace(proof.block->height, proof);
    }
    smoothed_rtt_ms = config.initial_rtt_ms;
    return {};
  }
};

Result<Replica> Replica::create(ReplicaSetup setup) {
  if (auto valid = setup.config.validate(); !valid) {
    return unexpected<Error>(std::move(valid).error());
  }
  if (setup.validators == nullptr || setup.signature_checker == nullptr) {
    return fail(ErrorCode::kInvalidArgument, "replica: validator set and signature checker needed");
  }
  const auto self = setup.validators->index_of(setup.key.public_key());
  if (!self) {
    return fail(ErrorCode::kInvalidArgument, "replica: the key is not a validator's key");
  }
  auto impl =
      std::make_unique<Impl>(std::move(setup.config), std::move(setup.validators),
                             std::move(setup.key), *self, std::move(setup.signature_checker));
  if (auto restored = impl->restore(setup.restored, setup.tip); !restored) {
    return unexpected<Error>(std::move(restored).error());
  }
  return Replica(std::move(impl));
}

Replica::Replica(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
Replica::Replica(Replica&&) noexcept = default;
Replica& Replica::operator=(Replica&&) noexcept = default;
Replica::~Replica() = default;

Actions Replica::step(std::uint64_t now_ms, const Event& event) {
  return impl_->step(now_ms, event);
}

ValidatorIndex Replica::self() const noexcept {
  return impl_->self;
}
View Replica::view() const noexcept {
  return impl_->view;
}
ValidatorIndex Replica::leader() const noexcept {
  return impl_->current_leader();
}
bool Replica::in_view_change() const noexcept {
  return impl_->in_view_change;
}
Height Replica::committed_height() const noexcept {
  return impl_->committed.height;
}
Height Replica::stable_checkpoint_height() const noexcept {
  return impl_->stable_height;
}
std::uint64_t Replica::view_timeout_ms() const noexcept {
  return impl_->view_timeout_ms();
}
std::uint64_t Replica::smoothed_rtt_ms() const noexcept {
  return impl_->smoothed_rtt_ms;
}
const ReplicaStats& Replica::stats() const noexcept {
  return impl_->stats;
}
HeldItems Replica::held_items() const noexcept {
  HeldItems held;
  held.future_messages = impl_->future_messages.size();
  held.far_checkpoint_votes = impl_->far_checkpoints.size();
  held.far_checkpoint_tallies = impl_->far_checkpoint_stake.size();
  held.synced_blocks = impl_->synced_blocks.size();
  held.commit_certificates = impl_->commit_certificates.size();
  held.verifications = impl_->verifications.size();
  return held;
}
const Config& Replica::config() const noexcept {
  return impl_->config;
}
const ValidatorSet& Replica::validators() const noexcept {
  return *impl_->validators;
}
PersistentState Replica::persistent_state() const {
  return impl_->snapshot();
}

}  // namespace aethel::consensus
