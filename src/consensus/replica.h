// A PBFT replica as a pure state machine: events in, actions out.
//
// The replica owns no socket, thread, clock or entropy source. A driver (the
// node, the simulator, a test) feeds it events through step() with the
// current time and carries out the actions it returns, in order (see
// actions.h for persist-before-send). Two drivers given the same events at
// the same times get the same actions.
//
// Protocol (docs/consensus.md has the full description):
//   PRE-PREPARE  the view's leader proposes a block for the next height;
//   VERIFY       each replica has the application verify every claim before
//                it votes; a false claim: no vote, evidence against the leader;
//   PREPARE      votes of more than 2/3 of stake make the block prepared;
//   COMMIT       votes of more than 2/3 of stake make it final; the block is
//                delivered with that commit certificate;
//   CHECKPOINT   every K heights, signed state digests; a quorum of matching
//                ones is a stable checkpoint that moves the watermarks;
//   VIEW-CHANGE  on timeout; NEW-VIEW re-proposes every block that may have
//                committed.
// Heights are decided one after another: a replica votes for height h only
// once it has committed h - 1.
#pragma once

#include <cstdint>
#include <memory>

#include "consensus/actions.h"
#include "consensus/config.h"
#include "consensus/events.h"
#include "consensus/persistent_state.h"
#include "consensus/signature_checker.h"
#include "consensus/stats.h"
#include "consensus/validator_set.h"
#include "core/error.h"
#include "crypto/ed25519.h"

namespace aethel::consensus {

// The last block the application has applied, from its own storage. At
// genesis: height 0, zero digest, the genesis timestamp.
struct ChainTip {
  Height height;
  Hash256 digest;
  std::uint64_t timestamp_ms = 0;
};

struct ReplicaSetup {
  Config config;
  ValidatorSetPtr validators;
  crypto::SecretKey key;  // must belong to a validator of the set
  // What the replica last persisted (default-constructed for a new replica).
  PersistentState restored;
  ChainTip tip;
  // Shared by all replicas of a simulation if the checker allows it.
  std::shared_ptr<SignatureChecker> signature_checker;
};

class Replica {
 public:
  // Refuses (kInvalidArgument) an invalid config, a key outside the
  // validator set, a missing validator set or checker, and a restored state
  // that contradicts itself (prepared heights not increasing, a stable
  // checkpoint that is not a valid certificate).
  static Result<Replica> create(ReplicaSetup setup);

  Replica(Replica&&) noexcept;
  Replica& operator=(Replica&&) noexcept;
  ~Replica();

  // The single entry point. `now_ms` never decreases between calls.
  Actions step(std::uint64_t now_ms, const Event& event);

  ValidatorIndex self() const noexcept;
  View view() const noexcept;
  ValidatorIndex leader() const noexcept;
  bool in_view_change() const noexcept;
  Height committed_height() const noexcept;
  Height stable_checkpoint_height() const noexcept;
  // The timeout the next view timer will run for.
  std::uint64_t view_timeout_ms() const noexcept;
  // Smoothed round-trip estimate from the replica's own traffic.
  std::uint64_t smoothed_rtt_ms() const noexcept;
  const ReplicaStats& stats() const noexcept;
  HeldItems held_items() const noexcept;
  const Config& config() const noexcept;
  const ValidatorSet& validators() const noexcept;
  // The state the replica would persist now.
  PersistentState persistent_state() const;

 private:
  struct Impl;
  explicit Replica(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace aethel::consensus
