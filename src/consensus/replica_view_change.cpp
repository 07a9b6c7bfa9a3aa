#include "consensus/replica_impl.h"

namespace aethel::consensus {

namespace {

// Most bytes held for later views, and the least share of messages and
// bytes every validator gets whatever its stake.
constexpr std::size_t kMaxBufferedBytes = 32ULL << 20;
constexpr std::size_t kMinBufferedMessagesPerSigner = 4;
constexpr std::size_t kMinBufferedBytesPerSigner = 1ULL << 20;
// The part of the buffer (in count and bytes) that only certificates and
// the messages of their view's leader may use: 1 / kReservedBufferDivisor.
constexpr std::size_t kReservedBufferDivisor = 4;

// Farthest a VIEW-CHANGE may ask to move ahead of the replica's view. Honest
// replicas move one view per timeout, so they are never this far apart; a
// coalition holding a third of the stake cannot drag the others toward the
// end of the view numbers in one step.
constexpr std::uint64_t kMaxViewChangeLead = 1ULL << 16;

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

std::uint64_t Replica::Impl::base_timeout_ms() const {
  const std::uint64_t scaled = smoothed_rtt_ms > config.timeout_max_ms
                                   ? config.timeout_max_ms
                                   : smoothed_rtt_ms * config.timeout_rtt_multiplier;
  return std::clamp(scaled, config.timeout_min_ms, config.timeout_max_ms);
}

// base * 2^failed_views, capped at kPatienceTimersMax timers: how long
// this replica waits in a view before giving up on it.
std::uint64_t Replica::Impl::patience_ms() const {
  const std::uint64_t limit =
      std::min(kPatienceLimitMs, config.timeout_max_ms * kPatienceTimersMax);
  std::uint64_t timeout = base_timeout_ms();
  for (std::uint32_t i = 0; i < failed_views && timeout < limit; ++i) {
    timeout = twice_capped(timeout, limit);
  }
  return timeout;
}

// Starts a new wait. A patience longer than timeout_max_ms is served as
// several timers of at most that length; between them the replica sends
// its VIEW-CHANGE again (messages get lost) but stays in the view. Keeping
// the patience growing without a cap is what lets replicas that drifted
// into different views meet again (PBFT's liveness argument): the one
// that has failed longest waits longest.
void Replica::Impl::restart_view_timer() {
  const std::uint64_t patience = patience_ms();
  const std::uint64_t timer = view_timeout_ms();
  patience_rounds_left = (patience - 1) / timer;
  out.push_back(StartTimer{TimerKind::kView, timer});
}

// Messages of a view this replica has not entered yet (a later view, or
// the view it is changing to) wait in a bounded buffer.
Replica::Impl::Timing Replica::Impl::timing_of(View message_view) const {
  if (message_view < view) return Timing::kStale;
  if (message_view > view || in_view_change) return Timing::kFuture;
  return Timing::kNow;
}

// A signer's share of the buffer follows its stake, so signers holding
// less than a third of the stake fill less than a third of it (plus the
// small floor every signer gets).
std::size_t Replica::Impl::stake_share(ValidatorIndex signer, std::size_t whole,
                                       std::size_t floor) const {
  const std::uint64_t total = validators->total_stake().value();
  const std::uint64_t unit = total / whole + 1;
  const std::uint64_t share = validators->at(signer).stake.value() / unit;
  return std::max<std::size_t>(static_cast<std::size_t>(share), floor);
}

// With many validators of small stake the per-signer floors add up to more
// than the whole buffer, so signers holding less than a third of the stake
// could fill it. A quarter is therefore kept for what entering the next
// view needs from others: certificates (a quorum signed them) and the
// messages of the view's leader (its PRE-PREPAREs), which stays within its
// own share.
bool Replica::Impl::buffer_has_room(const std::optional<ValidatorIndex>& signer, std::size_t bytes,
                                    bool reserved) const {
  if (future_messages.size() >= config.max_buffered_messages ||
      buffered_bytes + bytes > kMaxBufferedBytes) {
    return false;
  }
  if (!reserved &&
      (buffered_unreserved >=
           config.max_buffered_messages - config.max_buffered_messages / kReservedBufferDivisor ||
       buffered_unreserved_bytes + bytes >
           kMaxBufferedBytes - kMaxBufferedBytes / kReservedBufferDivisor)) {
    return false;
  }
  if (!signer) return true;
  const auto used = buffered_by_signer.find(*signer);
  const std::size_t count = used == buffered_by_signer.end() ? 0 : used->second.first;
  const std::size_t used_bytes = used == buffered_by_signer.end() ? 0 : used->second.second;
  return count <
             stake_share(*signer, config.max_buffered_messages, kMinBufferedMessagesPerSigner) &&
         used_bytes + bytes <= stake_share(*signer, kMaxBufferedBytes, kMinBufferedBytesPerSigner);
}

BufferKey Replica::Impl::buffer_key(const Message& message) {
  if (const auto* m = std::get_if<PrePrepare>(&message)) {
    return {0, 0, m->view, m->block->height, m->leader.value()};
  }
  if (const auto* m = std::get_if<Vote>(&message)) {
    return {1, static_cast<std::uint8_t>(m->phase), m->view, m->height, m->voter.value()};
  }
  const Certificate& certificate = *std::get<CertificateMessage>(message).certificate;
  return {2, static_cast<std::uint8_t>(certificate.phase), certificate.view, certificate.height, 0};
}

// Keeps the buffered messages for `first_kept` and later views.
void Replica::Impl::drop_buffered_below(View first_kept) {
  std::deque<BufferedMessage> kept;
  std::deque<BufferedMessage> all;
  all.swap(future_messages);
  clear_buffer_bounds();
  for (BufferedMessage& entry : all) {
    if (entry.view < first_kept) continue;
    buffered_keys.insert(buffer_key(*entry.message));
    count_buffered(entry);
    future_messages.push_back(std::move(entry));
  }
}

void Replica::Impl::count_buffered(const BufferedMessage& entry) {
  buffered_bytes += entry.bytes;
  if (!entry.reserved) {
    ++buffered_unreserved;
    buffered_unreserved_bytes += entry.bytes;
  }
  if (entry.signer) {
    auto& used = buffered_by_signer[*entry.signer];
    ++used.first;
    used.second += entry.bytes;
  }
}

void Replica::Impl::clear_buffer_bounds() {
  buffered_keys.clear();
  buffered_bytes = 0;
  buffered_unreserved = 0;
  buffered_unreserved_bytes = 0;
  buffered_by_signer.clear();
}

// A valid commit certificate of a later view proves that a quorum entered
// that view (accepted its NEW-VIEW). A replica left behind (its messages
// lost, or it restarted) follows it there without that NEW-VIEW, under the
// same guard as a restarted replica (conflicts_with_restored_prepared);
// otherwise it would stay in an old view, following only through sync.
void Replica::Impl::follow_view_of(const Certificate& certificate) {
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

void Replica::Impl::start_view_change(View target) {
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
  view_change_rounds = 0;
  store_view_change(std::shared_ptr<const ViewChange>(change));
  if (!note_view_change_quorum()) wait_for_view_change_quorum();
  try_send_new_view();
  announce_view_change_quorum();
}

// PBFT's rule against replicas drifting apart: after sending VIEW-CHANGE
// for v, a replica moves on to v + 1 only on a timer started once it holds
// a quorum of VIEW-CHANGEs for v or later views. Until then it waits in v
// and sends its VIEW-CHANGE again every timeout; a lone replica thus stays
// one view ahead instead of racing away from the others.
void Replica::Impl::wait_for_view_change_quorum() {
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
bool Replica::Impl::note_view_change_quorum() {
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

bool Replica::Impl::view_change_is_valid(const ViewChange& change) {
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

bool Replica::Impl::proof_is_valid(const PreparedProof& proof, const PreparedEntry& entry) {
  if (proof.block == nullptr || proof.prepare_certificate == nullptr) return false;
  const Certificate& certificate = *proof.prepare_certificate;
  if (certificate.height != entry.height || certificate.view != entry.view ||
      certificate.digest != entry.digest || proof.block->height != entry.height ||
      block_digest(*proof.block) != entry.digest) {
    return false;
  }
  return verify_certificate(proof.prepare_certificate, VotePhase::kPrepare);
}

void Replica::Impl::on_view_change(const MessagePtr& message, const ViewChange& change) {
  const ViewChangeSummary& summary = change.signed_summary.summary;
  if (summary.new_view == view && !in_view_change && new_view_sent) {
    resend_new_view_to(change);
    return;
  }
  if (summary.new_view < view || (summary.new_view == view && !in_view_change)) {
    refuse(Refusal::kStaleView);
    send_view_change_certificate_to(summary, change.signed_summary.signature);
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
    send_view_change_certificate_to(summary, change.signed_summary.signature);
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
  announce_view_change_quorum();
  send_view_change_certificate_to(summary, change.signed_summary.signature);
}

// Collector pattern: VIEW-CHANGEs reach only the new leader and, when it
// fails to answer, a few relays (view_change_relays). The first replica
// that holds a quorum of them for its view or later views itself, and did
// not send the NEW-VIEW, broadcasts their signed summaries, so that every
// replica may move on (the pacing rule) without receiving N VIEW-CHANGEs.
// Replicas that learnt of the quorum from such a certificate do not repeat
// it; all-to-all needs none (every replica receives every VIEW-CHANGE).
void Replica::Impl::announce_view_change_quorum() {
  if (!collector() || !in_view_change || !view_change_quorum_held) return;
  if (view_change_certificate != nullptr &&
      std::get<ViewChangeCertificate>(*view_change_certificate).view == view) {
    return;
  }
  ViewChangeCertificate certificate;
  certificate.view = view;
  certificate.sender = self;
  // Just a quorum, lowest senders first: every summary costs each
  // receiver a signature check.
  Stake stake;
  for (const auto& [sender, change] : latest_view_change) {
    if (validators->is_quorum(stake)) break;
    if (change->signed_summary.summary.new_view < view) continue;
    certificate.view_changes.push_back(change->signed_summary);
    stake += validators->at(sender).stake;
  }
  AETHEL_ASSERT_MSG(validators->is_quorum(stake), "a held quorum of VIEW-CHANGEs is a quorum");
  const auto message = std::make_shared<const Message>(std::move(certificate));
  keep_view_change_certificate(message);
  broadcast(message);
}

void Replica::Impl::keep_view_change_certificate(MessagePtr message) {
  view_change_certificate = std::move(message);
  view_change_certificate_since_ms = now_ms;
  view_change_certificate_sent_ms.clear();
}

// A replica that sends its VIEW-CHANGE for a view at or below that of the
// certificate this replica holds, timeout_min_ms or more after it was
// broadcast, missed it (it sends again only while it lacks a quorum): send
// it the certificate, at most once per sender per timeout_min_ms, and only
// for a VIEW-CHANGE it really signed (the certificate is large, a forged
// VIEW-CHANGE small). Sooner than that the broadcast is still on its way.
void Replica::Impl::send_view_change_certificate_to(const ViewChangeSummary& summary,
                                                    const crypto::Signature& signature) {
  if (view_change_certificate == nullptr || summary.sender == self ||
      std::get<ViewChangeCertificate>(*view_change_certificate).view < summary.new_view ||
      now_ms - view_change_certificate_since_ms < config.timeout_min_ms) {
    return;
  }
  const auto last = view_change_certificate_sent_ms.find(summary.sender);
  if (last != view_change_certificate_sent_ms.end() &&
      now_ms - last->second < config.timeout_min_ms) {
    return;
  }
  if (!verify_signature(summary.sender, crypto::SigningDomain::kConsensusViewChange,
                        view_change_signing_bytes(config.chain_id, summary), signature)) {
    refuse(Refusal::kBadSignature);
    return;
  }
  view_change_certificate_sent_ms[summary.sender] = now_ms;
  emit_network(Send{summary.sender, view_change_certificate});
}

// A quorum asked for `m.view` or later views: a replica in an earlier view
// joins m.view (more than the weak quorum the joining rule needs), and a
// replica waiting in m.view holds the quorum its timer needs to move on.
void Replica::Impl::on_view_change_certificate(const MessagePtr& message,
                                               const ViewChangeCertificate& m) {
  if (m.view < view || (m.view == view && !in_view_change)) {
    refuse(Refusal::kStaleView);
    return;
  }
  if (m.view == view && view_change_quorum_held) {
    refuse(Refusal::kDuplicate);
    return;
  }
  if (m.view.value() - view.value() > kMaxViewChangeLead) {
    refuse(Refusal::kInvalidViewChange);
    return;
  }
  if (!view_change_certificate_is_valid(m, *message)) return;
  keep_view_change_certificate(message);
  if (m.view > view) start_view_change(m.view);
  if (!in_view_change || view != m.view || view_change_quorum_held) return;
  view_change_quorum_held = true;
  restart_view_timer();
}

// Structure first (members, order, views, a quorum of stake), then every
// signature; a certificate that failed once is refused by its hash.
bool Replica::Impl::view_change_certificate_is_valid(const ViewChangeCertificate& m,
                                                     const Message& message) {
  Stake stake;
  for (std::size_t i = 0; i < m.view_changes.size(); ++i) {
    const ViewChangeSummary& summary = m.view_changes[i].summary;
    if (!validators->contains(summary.sender) || summary.new_view < m.view ||
        (i > 0 && summary.sender <= m.view_changes[i - 1].summary.sender)) {
      refuse(Refusal::kInvalidViewChange);
      return false;
    }
    stake += validators->at(summary.sender).stake;
  }
  if (!validators->is_quorum(stake)) {
    refuse(Refusal::kInvalidViewChange);
    return false;
  }
  const Hash256 identity = crypto::sha256(encode_message(message));
  if (failed_certificates.contains(identity)) {
    refuse(Refusal::kBadSignature);
    return false;
  }
  for (const SignedViewChangeSummary& signed_summary : m.view_changes) {
    const ViewChangeSummary& summary = signed_summary.summary;
    if (!verify_signature(summary.sender, crypto::SigningDomain::kConsensusViewChange,
                          view_change_signing_bytes(config.chain_id, summary),
                          signed_summary.signature)) {
      remember_failed_certificate(identity);
      refuse(Refusal::kBadSignature);
      return false;
    }
  }
  return true;
}

// The sender missed this view's NEW-VIEW: send it again, at most once per
// sender per timeout_min_ms (it asks again only when its timer fires), and
// only for a VIEW-CHANGE it really signed (a NEW-VIEW is large, a forged
// VIEW-CHANGE small).
void Replica::Impl::resend_new_view_to(const ViewChange& change) {
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

void Replica::Impl::store_view_change(std::shared_ptr<const ViewChange> change) {
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
void Replica::Impl::join_view_change_if_supported() {
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

std::vector<std::shared_ptr<const ViewChange>> Replica::Impl::view_changes_for(View target) const {
  std::vector<std::shared_ptr<const ViewChange>> changes;
  for (const auto& [sender, change] : latest_view_change) {
    if (change->signed_summary.summary.new_view == target) changes.push_back(change);
  }
  return changes;
}

void Replica::Impl::try_send_new_view() {
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

PreparedProof Replica::Impl::find_proof(
    const std::vector<std::shared_ptr<const ViewChange>>& changes, const PreparedEntry& entry) {
  for (const auto& change : changes) {
    const auto& entries = change->signed_summary.summary.prepared;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (entries[i] == entry) return change->proofs[i];
    }
  }
  AETHEL_UNREACHABLE("a planned re-proposal has no proof among validated view changes");
}

std::optional<NewViewPlan> Replica::Impl::new_view_plan_if_valid(const NewView& new_view) {
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

bool Replica::Impl::new_view_matches_plan(const NewView& new_view, const NewViewPlan& plan) {
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

void Replica::Impl::on_new_view(const NewView& new_view) {
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

void Replica::Impl::install_new_view(const NewView& new_view, const NewViewPlan& plan) {
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

void Replica::Impl::replay_future_messages() {
  std::deque<BufferedMessage> waiting;
  waiting.swap(future_messages);
  clear_buffer_bounds();
  for (const BufferedMessage& entry : waiting) on_message(entry.message);
}

void Replica::Impl::on_timer(const TimerFired& timer) {
  if (timer.timer == TimerKind::kVerification) {
    on_verification_timer();
    return;
  }
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
void Replica::Impl::leave_view() {
  const std::optional<View> next_view = view.checked_next();
  if (!next_view) {
    resend_view_change();
    out.push_back(StartTimer{TimerKind::kView, view_timeout_ms()});
    return;
  }
  start_view_change(*next_view);
}

// Resends happen after a timeout without a quorum of VIEW-CHANGEs, or in a
// stall longer than timeout_max_ms. All-to-all broadcasts, as it does every
// message: seeing the others' VIEW-CHANGEs is how replicas learn of a
// quorum or join a later view. The collector pattern stays linear: without
// the quorum, the VIEW-CHANGE goes to the new leader and a window of relays
// (the leaders of the next views, view_change_relays), one of which
// broadcasts a VIEW-CHANGE certificate once it holds a quorum; with the
// quorum, only the new leader still needs it (for its NEW-VIEW). The new
// leader, if it already entered the view, answers with its NEW-VIEW.
void Replica::Impl::resend_view_change() {
  if (!in_view_change) return;
  const auto own = latest_view_change.find(self);
  if (own == latest_view_change.end() || own->second->signed_summary.summary.new_view != view) {
    return;
  }
  const auto message = std::make_shared<const Message>(ViewChange(*own->second));
  if (!collector()) {
    broadcast(message);
    return;
  }
  if (view_change_quorum_held) {
    if (current_leader() != self) emit_network(Send{current_leader(), message});
    return;
  }
  ++view_change_rounds;
  for (const ValidatorIndex relay : view_change_relays(*validators, view, view_change_rounds)) {
    if (relay != self) emit_network(Send{relay, message});
  }
}

}  // namespace aethel::consensus
