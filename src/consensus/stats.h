// Counters a driver can read after any step: refusals per reason (bad input
// is counted, never asserted) and the signing work done, so a simulator can
// charge CPU time by the difference between two reads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace aethel::consensus {

enum class Refusal : std::uint8_t {
  kNonValidator = 0,       // signer index outside the validator set
  kBadSignature,           // a signature (or certificate) does not verify
  kStaleView,              // for a view below the replica's
  kFutureViewBufferFull,   // for a later view beyond the next one, or the buffer (or the
                           // signer's stake share of it) is full
  kWrongLeader,            // PRE-PREPARE / NEW-VIEW / certificate not from the view's leader
  kOutsideWatermarks,      // height outside (low, high]
  kDuplicate,              // already counted or processed (replays)
  kConflictingPrePrepare,  // a second, different PRE-PREPARE for one (view, height)
  kInvalidBlock,           // block malformed for its height (parent, timestamp, claims)
  kInvalidCertificate,     // certificate structure or quorum wrong
  kInvalidViewChange,      // summary and proofs disagree, or proofs invalid
  kInvalidNewView,         // re-proposals not what the view changes imply, or proofs invalid
  kConflictingNewView,     // a second, different NEW-VIEW for one view
  kUnexpected,             // valid but of no use in the replica's state (e.g. a vote
                           // sent to a non-collector)
  kCount,
};

inline constexpr std::size_t kRefusalCount = static_cast<std::size_t>(Refusal::kCount);

const char* refusal_name(Refusal refusal) noexcept;

struct ReplicaStats {
  std::array<std::uint64_t, kRefusalCount> refused{};

  std::uint64_t signatures_made = 0;
  std::uint64_t signatures_verified = 0;  // each signature handed to the checker
  std::uint64_t certificates_verified = 0;
  std::uint64_t messages_sent = 0;  // Send actions, plus one per Broadcast
  std::uint64_t blocks_delivered = 0;
  std::uint64_t views_changed = 0;
  std::uint64_t evidence_reported = 0;
  // Votes not signed because they would conflict with a vote signed before
  // (after a restart, or facing an equivocating leader).
  std::uint64_t votes_withheld = 0;
  // Valid votes that arrived after their quorum was complete (not refusals).
  std::uint64_t late_votes_ignored = 0;
  // Verification answers "undecided here" (the application could not decide
  // for a reason of its own), the requests made again after one, and
  // requests put off because the limit of requests in flight (or its part
  // open to heights above committed + 1) was reached.
  std::uint64_t verifications_undecided = 0;
  std::uint64_t verifications_asked_again = 0;
  std::uint64_t verifications_deferred = 0;

  std::uint64_t refused_total() const noexcept;
  std::uint64_t refused_count(Refusal refusal) const noexcept {
    return refused[static_cast<std::size_t>(refusal)];
  }
};

// How many items of each kind that outside input can add to a replica holds
// now: for checking its memory bounds (tests, simulator).
struct HeldItems {
  std::size_t future_messages = 0;         // buffered for a later view
  std::size_t far_checkpoint_votes = 0;    // beyond the high watermark, one per validator
  std::size_t far_checkpoint_tallies = 0;  // (height, digest) entries with stake behind them
  std::size_t synced_blocks = 0;
  std::size_t commit_certificates = 0;
  std::size_t verifications = 0;
  std::size_t false_blocks = 0;  // remembered to report their voters
};

}  // namespace aethel::consensus
