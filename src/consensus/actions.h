// Everything a replica asks its driver to do. Replica::step returns them in
// order; the driver carries them out in that order.
//
// Persist before send: the replica never emits a Send or Broadcast that
// depends on state not yet durable. When its durable state changes it emits
// Persist{sequence, state} and holds back every later Send and Broadcast
// until the driver steps Persisted{sequence} (or a later sequence). A driver
// that forgets to report Persisted stalls the replica; it can never make it
// send a vote it might forget. The simulator may report Persisted at once or
// after a modelled disk latency.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "consensus/application.h"
#include "consensus/events.h"
#include "consensus/evidence.h"
#include "consensus/messages.h"
#include "consensus/persistent_state.h"

namespace aethel::consensus {

struct Send {
  ValidatorIndex to;
  MessagePtr message;
};

// To every other validator. The transport decides how (direct, relay, gossip).
struct Broadcast {
  MessagePtr message;
};

// Starts the timer, replacing one of the same kind if it runs.
struct StartTimer {
  TimerKind timer = TimerKind::kView;
  std::uint64_t duration_ms = 0;
};

struct CancelTimer {
  TimerKind timer = TimerKind::kView;
};

struct Persist {
  std::uint64_t sequence = 0;
  PersistentStatePtr state;
};

struct ReportEvidence {
  EvidencePtr evidence;
};

// The replica has seen proof (a certificate) that heights up to `height`
// are final but lacks the blocks after its own committed height. The driver
// fetches them (from anyone; `hint` names who claimed to show the proof, an
// unauthenticated field, so only a first guess) and steps SyncedBlock for
// each, in order.
struct SyncNeeded {
  Height height;
  ValidatorIndex hint;
};

// Observability: the replica entered `view`, whose leader is `leader`.
struct EnteredView {
  View view;
  ValidatorIndex leader;
};

using Action = std::variant<Send, Broadcast, StartTimer, CancelTimer, Persist, RequestProposal,
                            VerifyBlock, DeliverBlock, ReportEvidence, SyncNeeded, EnteredView>;
using Actions = std::vector<Action>;

}  // namespace aethel::consensus
