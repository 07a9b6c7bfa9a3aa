#include "tests/consensus/cluster.h"

#include <array>
#include <sstream>

#include "core/assert.h"
#include "crypto/sha256.h"

namespace aethel::consensus::testing {

crypto::KeyPair test_key(std::size_t index) {
  std::array<std::uint8_t, crypto::kSeedSize> seed{};
  seed[0] = 0xAE;
  seed[1] = static_cast<std::uint8_t>(index >> 8);
  seed[2] = static_cast<std::uint8_t>(index);
  return crypto::keypair_from_seed(seed);
}

Hash256 test_chain_id() {
  return crypto::sha256(std::string_view("aethel-test-chain"));
}

std::string short_hex(const Hash256& digest) {
  return digest.hex().substr(0, 6);
}

Cluster::Cluster(ClusterOptions options) : options_(std::move(options)) {
  config_.chain_id = test_chain_id();
  config_.vote_pattern = options_.pattern;
  config_.checkpoint_interval = options_.checkpoint_interval;
  config_.watermark_window = options_.watermark_window;
  config_.timeout_min_ms = options_.timeout_min_ms;
  config_.initial_rtt_ms = options_.initial_rtt_ms;
  std::vector<Validator> validators;
  for (std::size_t i = 0; i < options_.validators; ++i) {
    keys_.push_back(test_key(i));
    const std::uint64_t stake = options_.stakes.empty() ? 100 : options_.stakes.at(i);
    validators.push_back({keys_.back().public_key, Stake(stake)});
  }
  auto set = ValidatorSet::create(std::move(validators), Stake(1));
  AETHEL_ASSERT(set.has_value());
  validators_ = std::make_shared<const ValidatorSet>(std::move(*set));
  checker_ = std::make_shared<Ed25519SignatureChecker>();
  ledgers_.resize(options_.validators);
  persisted_.resize(options_.validators);
  timer_generation_.resize(options_.validators);
  for (std::size_t i = 0; i < options_.validators; ++i) {
    persisted_[i] = encode_persistent_state(PersistentState{});
    replicas_.push_back(std::make_unique<Replica>(make_replica(i, PersistentState{})));
  }
}

Replica Cluster::make_replica(std::size_t index, PersistentState restored) {
  const Ledger& ledger = ledgers_[index];
  ChainTip tip{Height(ledger.blocks.size()),
               ledger.blocks.empty() ? Hash256() : ledger.blocks.back(), ledger.last_timestamp_ms};
  ReplicaSetup setup{config_, validators_, keys_[index].secret_key.clone(), std::move(restored),
                     tip,     checker_};
  auto replica = Replica::create(std::move(setup));
  AETHEL_ASSERT(replica.has_value());
  return std::move(*replica);
}

void Cluster::start() {
  for (std::size_t i = 0; i < size(); ++i) schedule(now_ms_, i, Start{});
}

void Cluster::schedule(std::uint64_t time_ms, std::size_t replica, Event event,
                       std::optional<std::size_t> from, std::uint64_t generation) {
  queue_.push(Pending{time_ms, sequence_++, replica, std::move(event), generation, from});
}

void Cluster::run_until(std::uint64_t time_ms) {
  while (!queue_.empty() && queue_.top().time_ms <= time_ms) {
    Pending pending = queue_.top();
    queue_.pop();
    now_ms_ = pending.time_ms;
    if (crashed_.contains(pending.replica)) continue;
    if (const auto* timer = std::get_if<TimerFired>(&pending.event);
        timer != nullptr &&
        pending.timer_generation !=
            timer_generation_[pending.replica][static_cast<std::size_t>(timer->timer)]) {
      continue;
    }
    step(pending.replica, pending.event);
    AETHEL_ASSERT_MSG(++steps_ < 50'000'000, "the cluster does not settle");
  }
  now_ms_ = std::max(now_ms_, time_ms);
}

bool Cluster::run_until_committed(std::uint64_t height, std::uint64_t deadline_ms) {
  const auto done = [&] {
    for (std::size_t i = 0; i < size(); ++i) {
      if (!crashed_.contains(i) && ledgers_[i].blocks.size() < height) return false;
    }
    return true;
  };
  while (!done()) {
    if (queue_.empty() || queue_.top().time_ms > deadline_ms) return false;
    run_until(queue_.top().time_ms);
  }
  return true;
}

void Cluster::crash(std::size_t index) {
  crashed_.insert(index);
  note(std::string("r") + std::to_string(index) + " crashes");
}

void Cluster::restart(std::size_t index) {
  crashed_.erase(index);
  for (std::uint64_t& generation : timer_generation_[index]) ++generation;
  auto restored = decode_persistent_state(persisted_[index]);
  AETHEL_ASSERT(restored.has_value());
  replicas_[index] = std::make_unique<Replica>(make_replica(index, std::move(*restored)));
  note(std::string("r") + std::to_string(index) + " restarts in view " +
       std::to_string(replicas_[index]->view().value()));
  schedule(now_ms_, index, Start{});
}

void Cluster::inject(std::size_t to, MessagePtr message) {
  step(to, MessageReceived{std::move(message)});
}

void Cluster::note(const std::string& line) {
  trace_.push_back(std::to_string(now_ms_) + "ms " + line);
}

std::string Cluster::trace_text() const {
  std::string text;
  for (const std::string& line : trace_) text += line + "\n";
  return text;
}

void Cluster::step(std::size_t index, const Event& event) {
  Actions actions = replicas_[index]->step(now_ms_, event);
  for (Action& action : actions) carry_out(index, action);
}

std::string Cluster::describe(const Message& message) const {
  std::ostringstream out;
  if (const auto* p = std::get_if<PrePrepare>(&message)) {
    out << "PRE-PREPARE v" << p->view.value() << " h" << p->block->height.value() << " #"
        << short_hex(block_digest(*p->block)) << " claims=" << p->block->claims.size();
  } else if (const auto* v = std::get_if<Vote>(&message)) {
    out << vote_phase_name(v->phase) << " v" << v->view.value() << " h" << v->height.value() << " #"
        << short_hex(v->digest);
  } else if (const auto* cm = std::get_if<CertificateMessage>(&message)) {
    const Certificate& c = *cm->certificate;
    out << vote_phase_name(c.phase) << "-certificate v" << c.view.value() << " h"
        << c.height.value() << " #" << short_hex(c.digest) << " signers=" << c.signatures.size();
  } else if (const auto* vc = std::get_if<ViewChange>(&message)) {
    const ViewChangeSummary& s = vc->signed_summary.summary;
    out << "VIEW-CHANGE to v" << s.new_view.value() << " stable=" << s.stable_height.value()
        << " prepared=[";
    for (std::size_t i = 0; i < s.prepared.size(); ++i) {
      out << (i ? " " : "") << "h" << s.prepared[i].height.value() << "v"
          << s.prepared[i].view.value() << "#" << short_hex(s.prepared[i].digest);
    }
    out << "]";
  } else if (const auto* vcc = std::get_if<ViewChangeCertificate>(&message)) {
    out << "VIEW-CHANGE-CERTIFICATE v" << vcc->view.value() << " from " << vcc->view_changes.size()
        << " view changes";
  } else {
    const auto& m = std::get<NewView>(message);
    out << "NEW-VIEW v" << m.view.value() << " from " << m.view_changes.size()
        << " view changes, re-proposals=[";
    for (std::size_t i = 0; i < m.reproposals.size(); ++i) {
      out << (i ? " " : "") << "h" << m.reproposals[i].block->height.value() << "#"
          << short_hex(m.reproposals[i].prepare_certificate->digest);
    }
    out << "]";
  }
  return out.str();
}

void Cluster::record_votes(std::size_t from, const Message& message) {
  const auto* vote = std::get_if<Vote>(&message);
  if (vote == nullptr || vote->voter.value() != from) return;
  const std::string key = std::to_string(from) + "/" + vote_phase_name(vote->phase) + "/" +
                          std::to_string(vote->view.value()) + "/" +
                          std::to_string(vote->height.value());
  const auto [position, inserted] = signed_votes_.emplace(key, vote->digest);
  if (!inserted && position->second != vote->digest) double_signs_.push_back(key);
}

void Cluster::send(std::size_t from, std::size_t to, const MessagePtr& message) {
  if (drop_ && drop_(from, to, *message)) return;
  schedule(now_ms_ + options_.latency_ms, to, MessageReceived{message}, from);
}

void Cluster::carry_out(std::size_t index, Action& action) {
  const std::string who = std::string("r") + std::to_string(index);
  const auto traced = [&](const Message& message) {
    return options_.trace_votes || (!std::holds_alternative<Vote>(message) &&
                                    !std::holds_alternative<CertificateMessage>(message));
  };
  if (auto* send_action = std::get_if<Send>(&action)) {
    record_votes(index, *send_action->message);
    if (traced(*send_action->message)) {
      note(who + " -> r" + std::to_string(send_action->to.value()) + " " +
           describe(*send_action->message));
    }
    send(index, static_cast<std::size_t>(send_action->to.value()), send_action->message);
  } else if (auto* broadcast = std::get_if<Broadcast>(&action)) {
    record_votes(index, *broadcast->message);
    if (traced(*broadcast->message)) note(who + " -> all " + describe(*broadcast->message));
    for (std::size_t to = 0; to < size(); ++to) {
      if (to != index) send(index, to, broadcast->message);
    }
  } else if (auto* start_timer = std::get_if<StartTimer>(&action)) {
    std::uint64_t& generation =
        timer_generation_[index][static_cast<std::size_t>(start_timer->timer)];
    schedule(now_ms_ + start_timer->duration_ms, index, TimerFired{start_timer->timer},
             std::nullopt, ++generation);
  } else if (auto* cancel_timer = std::get_if<CancelTimer>(&action)) {
    ++timer_generation_[index][static_cast<std::size_t>(cancel_timer->timer)];
  } else if (auto* persist = std::get_if<Persist>(&action)) {
    persisted_[index] = encode_persistent_state(*persist->state);
    schedule(now_ms_, index, Persisted{persist->sequence});
  } else if (auto* request = std::get_if<RequestProposal>(&action)) {
    ProposalReady proposal;
    proposal.height = request->height;
    const Hash256 proof =
        crypto::sha256(std::string("proof-") + std::to_string(request->height.value()));
    proposal.claims.push_back(
        {proof, ClaimedVerdict::kProved, Difficulty(request->height.value())});
    if (liars_.contains(index)) {
      const Hash256 forged = crypto::sha256(std::string("forged-") + std::to_string(now_ms_));
      false_proofs_.insert(forged);
      proposal.claims.push_back({forged, ClaimedVerdict::kProved, Difficulty(1000)});
    }
    proposal.payload_digest =
        crypto::sha256(std::string("payload-") + std::to_string(request->height.value()));
    proposal.timestamp_ms = now_ms_;
    schedule(now_ms_, index, std::move(proposal));
  } else if (auto* verify = std::get_if<VerifyBlock>(&action)) {
    const Hash256 asked = block_digest(*verify->block);
    if (undecided_answers_.contains(index) &&
        ++undecided_given_[{index, asked}] <= undecided_answers_.at(index)) {
      schedule(now_ms_, index, BlockVerified::undecided_here(asked, "payload not here yet"));
      return;
    }
    BlockVerified verified{asked, true, std::nullopt, ""};
    for (std::uint32_t i = 0; i < verify->block->claims.size(); ++i) {
      if (false_proofs_.contains(verify->block->claims[i].proof_id)) {
        verified.ok = false;
        verified.false_claim_index = i;
        verified.reason = std::string("claim ") + std::to_string(i) + " is false";
        break;
      }
    }
    schedule(now_ms_, index, std::move(verified));
  } else if (auto* deliver = std::get_if<DeliverBlock>(&action)) {
    Ledger& ledger = ledgers_[index];
    const Hash256 digest = block_digest(*deliver->block);
    AETHEL_ASSERT(deliver->block->height.value() == ledger.blocks.size() + 1);
    ledger.blocks.push_back(digest);
    ledger.final_blocks.push_back(SyncedBlock{deliver->block, deliver->commit_certificate});
    ledger.last_timestamp_ms = deliver->block->timestamp_ms;
    Encoder encoder;
    encoder.put_fixed(ledger.state).put_fixed(digest);
    ledger.state = crypto::sha256(encoder.bytes());
    note(who + " commits h" + std::to_string(deliver->block->height.value()) + " #" +
         short_hex(digest) +
         " signers=" + std::to_string(deliver->commit_certificate->signatures.size()));
    schedule(now_ms_, index, Executed{deliver->block->height, ledger.state});
  } else if (auto* report = std::get_if<ReportEvidence>(&action)) {
    evidence_.push_back(report->evidence);
    note(who + " reports evidence against r" + std::to_string(offender(*report->evidence).value()) +
         (std::holds_alternative<FalseClaimEvidence>(*report->evidence) ? " (false claim)"
          : std::holds_alternative<FalseVerdictVoteEvidence>(*report->evidence)
              ? " (false verdict vote)"
              : " (equivocation)"));
  } else if (auto* sync = std::get_if<SyncNeeded>(&action)) {
    note(who + " needs sync to h" + std::to_string(sync->height.value()));
    // The sync component: fetch the final blocks from the most advanced live replica.
    std::size_t source = index;
    for (std::size_t i = 0; i < size(); ++i) {
      if (!crashed_.contains(i) && ledgers_[i].blocks.size() > ledgers_[source].blocks.size())
        source = i;
    }
    const std::vector<SyncedBlock> served = ledgers_[source].final_blocks;
    const std::size_t through = std::min<std::size_t>(served.size(), sync->height.value());
    for (std::size_t h = ledgers_[index].blocks.size(); h < through; ++h) {
      schedule(now_ms_ + options_.latency_ms, index, served[h]);
    }
  } else if (auto* entered = std::get_if<EnteredView>(&action)) {
    note(who + " enters v" + std::to_string(entered->view.value()) + " leader r" +
         std::to_string(entered->leader.value()));
  }
}

}  // namespace aethel::consensus::testing
