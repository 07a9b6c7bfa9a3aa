#include "consensus/replica.h"

#include "consensus/replica_impl.h"

namespace aethel::consensus {

namespace {

// How many certificates that failed signature checks are remembered.
constexpr std::size_t kFailedCertificatesRemembered = 1024;

}  // namespace

PersistentState Replica::Impl::snapshot() const {
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
void Replica::Impl::emit_network(Action action) {
  const std::uint64_t required = persist_sequence + (persist_needed ? 1 : 0);
  if (required > persisted_sequence || !held.empty()) {
    held.emplace_back(required, std::move(action));
    return;
  }
  count_sent(action);
  out.push_back(std::move(action));
}

void Replica::Impl::count_sent(const Action& action) {
  if (std::holds_alternative<Send>(action) || std::holds_alternative<Broadcast>(action)) {
    ++stats.messages_sent;
  }
}

void Replica::Impl::release_held() {
  while (!held.empty() && held.front().first <= persisted_sequence) {
    count_sent(held.front().second);
    out.push_back(std::move(held.front().second));
    held.pop_front();
  }
}

void Replica::Impl::finish_step() {
  if (persist_needed) {
    persist_needed = false;
    ++persist_sequence;
    out.push_back(Persist{persist_sequence, std::make_shared<const PersistentState>(snapshot())});
  }
}

bool Replica::Impl::verify_signature(ValidatorIndex signer, crypto::SigningDomain domain,
                                     const Bytes& message, const crypto::Signature& signature) {
  ++stats.signatures_verified;
  return checker->verify_signature(validators->at(signer).public_key, domain, message, signature);
}

bool Replica::Impl::verify_vote(const Vote& vote) {
  return verify_signature(
      vote.voter, signing_domain_of(vote.phase),
      vote_signing_bytes(config.chain_id, vote.phase, vote.view, vote.height, vote.digest),
      vote.signature);
}

// Structure, phase, and every signature.
bool Replica::Impl::verify_certificate(const CertificatePtr& certificate, VotePhase phase) {
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

Hash256 Replica::Impl::certificate_identity(const Certificate& certificate) {
  Encoder encoder;
  encode_certificate(encoder, certificate);
  return crypto::sha256(std::move(encoder).take());
}

void Replica::Impl::remember_failed_certificate(const Hash256& identity) {
  if (failed_certificate_order.size() >= kFailedCertificatesRemembered) {
    failed_certificates.erase(failed_certificate_order.front());
    failed_certificate_order.pop_front();
  }
  failed_certificates.insert(identity);
  failed_certificate_order.push_back(identity);
}

std::optional<Hash256> Replica::Impl::committed_digest_at(Height height) const {
  if (height == committed.height) return committed.digest;
  const auto found = committed_digests.find(height);
  if (found == committed_digests.end()) return std::nullopt;
  return found->second;
}

bool Replica::Impl::pre_prepare_signature_ok(const PrePrepare& m, const Hash256& digest) {
  if (verify_signature(m.leader, crypto::SigningDomain::kConsensusPrePrepare,
                       pre_prepare_signing_bytes(config.chain_id, m.view, m.block->height, digest),
                       m.signature)) {
    return true;
  }
  refuse(Refusal::kBadSignature);
  return false;
}

bool Replica::Impl::vote_signature_ok(const Vote& vote) {
  if (verify_vote(vote)) return true;
  refuse(Refusal::kBadSignature);
  return false;
}

void Replica::Impl::on_message(const MessagePtr& message) {
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
    void operator()(const ViewChangeCertificate& m) const {
      impl.on_view_change_certificate(message, m);
    }
  };
  std::visit(Visitor{*this, message}, *message);
}

void Replica::Impl::on_start() {
  out.push_back(EnteredView{view, current_leader()});
  if (resume_view_change) {
    resume_view_change = false;
    start_view_change(view);
    return;
  }
  restart_view_timer();
}

void Replica::Impl::on_persisted(const Persisted& event) {
  if (event.sequence > persist_sequence) {
    refuse(Refusal::kUnexpected);
    return;
  }
  persisted_sequence = std::max(persisted_sequence, event.sequence);
  release_held();
}

Actions Replica::Impl::step(std::uint64_t now, const Event& event) {
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

Result<void> Replica::Impl::restore(const PersistentState& state, const ChainTip& tip) {
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
  held.false_blocks = impl_->false_blocks.size();
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
