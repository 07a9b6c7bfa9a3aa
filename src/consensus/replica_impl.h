// Private to the replica: the state of one replica and the steps that
// change it, implemented by protocol phase:
//   replica.cpp              public API, step dispatch, persist before send
//   replica_normal_case.cpp  pre-prepare, verification, prepare, commit, delivery
//   replica_checkpoint.cpp   checkpoints, watermarks, stable certificates
//   replica_view_change.cpp  timeouts, view change, new view, future-view buffer
//   replica_sync.cpp         catch-up and synced blocks
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "consensus/replica.h"
#include "core/assert.h"
#include "crypto/sha256.h"

namespace aethel::consensus {

// kUndecided: the application could not decide for a reason of its own;
// the digest is asked again once `ask_again_ms` has passed.
enum class Verification : std::uint8_t { kRequested, kOk, kFalse, kUndecided };

// What the replica knows of one block digest's verification.
struct VerificationEntry {
  Height height;
  Verification state = Verification::kRequested;
  // While requested: the block, which a false-claim answer needs for
  // evidence against its voters.
  BlockPtr block;
  std::uint32_t undecided_answers = 0;
  std::uint64_t ask_again_ms = 0;  // when undecided: not asked before this time
};

// A block this replica's application found to hold a false claim, kept to
// turn votes for it into FalseVerdictVoteEvidence, and the voters already
// reported (indexed by validator).
struct FalseBlock {
  BlockPtr block;
  std::uint32_t claim_index = 0;
  std::vector<bool> reported;
};

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

// A message held for a view this replica has not entered yet, with what
// bounds the buffer: its signer (none for a certificate, which a quorum
// signed), its encoded size, and whether it may use the reserved part of
// the buffer (a certificate, or a message of its view's leader).
struct BufferedMessage {
  MessagePtr message;
  View view;
  std::optional<ValidatorIndex> signer;
  std::size_t bytes = 0;
  bool reserved = false;
};

// What makes two buffered messages the same: kind, phase, view, height and
// signer. A second message under one key is a replay or an equivocation;
// either way the first one is enough to wait with.
using BufferKey = std::tuple<std::uint8_t, std::uint8_t, View, Height, std::uint64_t>;

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
  // Count and bytes held for signers other than their view's leader.
  std::size_t buffered_unreserved = 0;
  std::size_t buffered_unreserved_bytes = 0;

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
  std::map<Hash256, VerificationEntry> verifications;
  // Requests in flight, in all and by height: requests for heights above
  // committed + 1 (which the application may hold until their parent
  // executes) may use only part of the limit, so the next height can always
  // be asked about.
  std::size_t pending_verifications = 0;
  std::map<Height, std::size_t> pending_by_height;
  // Blocks found false, the oldest forgotten first: at most
  // max_remembered_false_blocks, each a block and one bit per validator.
  std::map<Hash256, FalseBlock> false_blocks;
  // When the verification timer is set to fire, if it runs.
  std::optional<std::uint64_t> verification_timer_ms;
  std::deque<Hash256> false_block_order;
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
  // Timeouts without that quorum in this view change (collector pattern:
  // each one sends the VIEW-CHANGE again to a new window of relays).
  std::uint64_t view_change_rounds = 0;
  // The latest VIEW-CHANGE certificate this replica built or accepted, kept
  // to answer a replica that evidently missed it, at most once per sender
  // per timeout_min_ms.
  MessagePtr view_change_certificate;
  std::uint64_t view_change_certificate_since_ms = 0;
  std::map<ValidatorIndex, std::uint64_t> view_change_certificate_sent_ms;

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

  // ======================= replica.cpp =======================
  // Step dispatch, signatures, persist before send, restore.

  PersistentState snapshot() const;
  void emit_network(Action action);
  void count_sent(const Action& action);
  void release_held();
  void send(ValidatorIndex to, Message message) {
    emit_network(Send{to, std::make_shared<const Message>(std::move(message))});
  }
  void broadcast(MessagePtr message) { emit_network(Broadcast{std::move(message)}); }
  void finish_step();
  bool verify_signature(ValidatorIndex signer, crypto::SigningDomain domain, const Bytes& message,
                        const crypto::Signature& signature);
  bool verify_vote(const Vote& vote);
  bool verify_certificate(const CertificatePtr& certificate, VotePhase phase);
  static Hash256 certificate_identity(const Certificate& certificate);
  void remember_failed_certificate(const Hash256& identity);
  std::optional<Hash256> committed_digest_at(Height height) const;
  bool pre_prepare_signature_ok(const PrePrepare& m, const Hash256& digest);
  bool vote_signature_ok(const Vote& vote);
  void on_message(const MessagePtr& message);
  void on_start();
  void on_persisted(const Persisted& event);
  Actions step(std::uint64_t now, const Event& event);
  Result<void> restore(const PersistentState& state, const ChainTip& tip);

  // ======================= replica_normal_case.cpp =======================
  // Pre-prepare, verification, prepare, commit, delivery.

  void record_rtt_sample(std::uint64_t sample_ms);
  std::uint64_t round_trip_sample(std::uint64_t elapsed_ms) const;
  std::optional<Verification> verification_of(const Hash256& digest) const;
  std::size_t ahead_verification_limit() const;
  std::size_t pending_ahead() const;
  bool verification_has_room(Height height) const;
  void count_pending(Height height);
  void uncount_pending(Height height);
  void recount_pending_verifications();
  void request_verification(const BlockPtr& block, const Hash256& digest);
  std::uint64_t ask_again_delay_ms(std::uint32_t undecided_answers) const;
  void on_block_verified(const BlockVerified& event);
  void on_undecided(VerificationEntry& entry);
  void arm_verification_timer(std::uint64_t due_ms);
  void on_verification_timer();
  void on_invalid(const BlockVerified& event, VerificationEntry& entry);
  bool report_false_claim(const Slot& slot, std::uint32_t claim_index);
  void remember_false_block(const Hash256& digest, BlockPtr block, std::uint32_t claim_index);
  void report_held_votes_for(const Hash256& digest);
  void report_false_verdict_vote(const Vote& vote);
  void report_stale_false_verdict_vote(const Vote& vote);
  std::optional<SignedRecord>& record_for(VotePhase phase);
  bool cast_vote(VotePhase phase, Height height, Slot& slot);
  PhaseVotes& votes_for(Slot& slot, VotePhase phase);
  bool tally_vote(PhaseVotes& votes, const Vote& vote);
  void report_equivocation(PhaseVotes& votes, const Vote& vote, const Hash256& first_digest);
  static CertificatePtr certificate_from(const Tally& tally, VotePhase phase, View v, Height h,
                                         const Hash256& digest);
  void add_vote(Slot& slot, const Vote& vote);
  void accept_certificate(Height height, const CertificatePtr& certificate);
  void progress();
  bool conflicts_with_restored_prepared(Height height, const Slot& slot) const;
  bool block_fits_parent(const Slot& slot) const;
  void progress_slot(Height height, Slot& slot);
  void record_prepared(Height height, const Slot& slot);
  BlockPtr block_for(Height height, const Hash256& digest) const;
  void try_deliver();
  void deliver_ready_blocks();
  void deliver(BlockPtr block, Hash256 digest, CertificatePtr certificate);
  void maybe_request_proposal();
  void on_proposal_ready(const ProposalReady& proposal);
  void on_pre_prepare(const PrePrepare& m, const MessagePtr& message);
  void report_conflicting_pre_prepare(Slot& slot, const PrePrepare& second);
  void on_vote(const Vote& vote, const MessagePtr& message);
  void on_certificate(const CertificateMessage& m, const MessagePtr& message);
  void on_prepare_certificate(const CertificatePtr& certificate, const MessagePtr& message);
  void on_commit_certificate(const CertificatePtr& certificate, ValidatorIndex sender);

  // ======================= replica_checkpoint.cpp =======================
  // Checkpoints, watermarks, stable certificates.

  void on_executed(const Executed& event);
  void send_checkpoint_vote(Height height, const Hash256& state_digest);
  void on_checkpoint_vote(const Vote& vote);
  void on_far_checkpoint_vote(const Vote& vote);
  void report_far_checkpoint_equivocation(const Vote& stored, const Vote& vote);
  void add_checkpoint_vote(const Vote& vote);
  void on_checkpoint_certificate(const CertificatePtr& certificate, ValidatorIndex sender);
  void adopt_stable_checkpoint(const CertificatePtr& certificate, ValidatorIndex source);
  void resend_checkpoint_vote();

  // ======================= replica_view_change.cpp =======================
  // Timeouts, view change, new view, future-view buffer.

  std::uint64_t base_timeout_ms() const;
  std::uint64_t patience_ms() const;

  // One timer never runs longer than timeout_max_ms.
  std::uint64_t view_timeout_ms() const { return std::min(patience_ms(), config.timeout_max_ms); }
  void restart_view_timer();
  enum class Timing : std::uint8_t { kStale, kNow, kFuture };
  Timing timing_of(View message_view) const;
  std::size_t stake_share(ValidatorIndex signer, std::size_t whole, std::size_t floor) const;
  bool buffer_has_room(const std::optional<ValidatorIndex>& signer, std::size_t bytes,
                       bool reserved) const;
  void count_buffered(const BufferedMessage& entry);

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
    const bool reserved = !signer || *signer == leader_of(message_view);
    if (!buffer_has_room(signer, bytes, reserved)) {
      refuse(Refusal::kFutureViewBufferFull);
      return;
    }
    if (!authentic()) return;
    buffered_keys.insert(identity);
    BufferedMessage entry{message, message_view, signer, bytes, reserved};
    count_buffered(entry);
    future_messages.push_back(std::move(entry));
  }
  static BufferKey buffer_key(const Message& message);
  void drop_buffered_below(View first_kept);
  void clear_buffer_bounds();
  void follow_view_of(const Certificate& certificate);
  void start_view_change(View target);
  void wait_for_view_change_quorum();
  bool note_view_change_quorum();
  bool view_change_is_valid(const ViewChange& change);
  bool proof_is_valid(const PreparedProof& proof, const PreparedEntry& entry);
  void on_view_change(const MessagePtr& message, const ViewChange& change);
  void resend_new_view_to(const ViewChange& change);
  void on_view_change_certificate(const MessagePtr& message, const ViewChangeCertificate& m);
  bool view_change_certificate_is_valid(const ViewChangeCertificate& m, const Message& message);
  void announce_view_change_quorum();
  void keep_view_change_certificate(MessagePtr message);
  void send_view_change_certificate_to(const ViewChangeSummary& summary,
                                       const crypto::Signature& signature);
  void store_view_change(std::shared_ptr<const ViewChange> change);
  void join_view_change_if_supported();
  std::vector<std::shared_ptr<const ViewChange>> view_changes_for(View target) const;
  void try_send_new_view();
  static PreparedProof find_proof(const std::vector<std::shared_ptr<const ViewChange>>& changes,
                                  const PreparedEntry& entry);
  std::optional<NewViewPlan> new_view_plan_if_valid(const NewView& new_view);
  bool new_view_matches_plan(const NewView& new_view, const NewViewPlan& plan);
  void on_new_view(const NewView& new_view);
  void install_new_view(const NewView& new_view, const NewViewPlan& plan);
  void replay_future_messages();
  void on_timer(const TimerFired& timer);
  void leave_view();
  void resend_view_change();

  // ======================= replica_sync.cpp =======================
  // Catch-up and synced blocks.

  void note_commit_certificate(const CertificatePtr& certificate, ValidatorIndex source);
  void request_sync(Height height, ValidatorIndex hint);
  void ask_for_sync();
  std::uint64_t sync_batch() const { return 2 * config.watermark_window; }
  void on_synced_block(const SyncedBlock& event);
};

}  // namespace aethel::consensus
