// Everything that can happen to a replica. The driver passes each event to
// Replica::step with the current time (simulated time in the simulator).
#pragma once

#include <cstddef>
#include <cstdint>
#include <variant>

#include "consensus/application.h"
#include "consensus/messages.h"

namespace aethel::consensus {

// The first event after construction: starts the view timer and, on the
// leader, asks for a proposal.
struct Start {};

// A message from the network, decoded. Its signature has not been checked;
// the replica does that.
struct MessageReceived {
  MessagePtr message;
};

enum class TimerKind : std::uint8_t {
  // No progress at the current height within the view's timeout: move to the
  // next view (or, already in a view change, to the one after).
  kView = 0,
  // A block the application left undecided may be asked about again (see
  // BlockVerified): the replica asks on its next step after the wait, and
  // this timer makes sure there is one even when no message arrives.
  kVerification = 1,
};

inline constexpr std::size_t kTimerKindCount = 2;

struct TimerFired {
  TimerKind timer = TimerKind::kView;
};

// The driver has made PersistentState number `sequence` durable.
struct Persisted {
  std::uint64_t sequence = 0;
};

// A block that a sync component fetched, final by its commit certificate.
// The replica checks the certificate and delivers it if it is the next
// height it lacks (see SyncNeeded).
struct SyncedBlock {
  BlockPtr block;
  CertificatePtr commit_certificate;
};

using Event = std::variant<Start, MessageReceived, TimerFired, Persisted, ProposalReady,
                           BlockVerified, Executed, SyncedBlock>;

}  // namespace aethel::consensus
