// Replica configuration. Every replica of a network must use the same
// values for the fields marked "protocol"; the others are local tuning.
#pragma once

#include <cstdint>

#include "core/bytes.h"
#include "core/error.h"

namespace aethel::consensus {

// How PREPARE, COMMIT and CHECKPOINT votes travel (see docs/consensus.md).
enum class VotePattern : std::uint8_t {
  // Classic PBFT: every replica broadcasts its votes and counts quorums
  // itself. O(N^2) messages per phase; for small networks.
  kAllToAll = 0,
  // Linear PBFT (as in SBFT): replicas send their votes to the view's
  // leader, which broadcasts a certificate once it holds a quorum. O(N)
  // messages per phase; the same certificates, so the same safety argument.
  kCollector = 1,
};

const char* vote_pattern_name(VotePattern pattern) noexcept;

struct Config {
  // Protocol: bound into every signature, so votes of one chain are
  // worthless on another.
  Hash256 chain_id;
  // Protocol.
  VotePattern vote_pattern = VotePattern::kAllToAll;
  // Protocol: a checkpoint every `checkpoint_interval` heights (K).
  std::uint64_t checkpoint_interval = 16;
  // Protocol: heights accepted are (stable checkpoint, stable checkpoint +
  // watermark_window]; must be at least 2 * checkpoint_interval so progress
  // never waits on a checkpoint that needs progress.
  std::uint64_t watermark_window = 64;
  // Protocol: most claims a block may hold.
  std::uint32_t max_block_claims = 4096;
  // Protocol: a block's timestamp must exceed its parent's and may be at
  // most this far ahead of the receiving replica's now_ms.
  std::uint64_t timestamp_max_ahead_ms = 10'000;

  // Timeouts. base = clamp(rtt_multiplier * smoothed round trip,
  // timeout_min_ms, timeout_max_ms); the timeout of a view is base times
  // 2^k after k consecutive failed views, capped at timeout_max_ms; a commit
  // resets k to 0.
  std::uint64_t timeout_min_ms = 2'000;
  std::uint64_t timeout_max_ms = 120'000;
  std::uint64_t timeout_rtt_multiplier = 4;
  // Round-trip estimate before any is measured.
  std::uint64_t initial_rtt_ms = 200;

  // Memory bounds (local): messages held for a later view, and block
  // verification requests in flight (a quarter of them, at least one, kept
  // for heights up to committed + 1).
  std::uint32_t max_buffered_messages = 4096;
  std::uint32_t max_pending_verifications = 64;

  // A block the application left undecided (a reason of its own node) is
  // asked about again on a later step, no sooner than this wait after the
  // answer: verification_retry_min_ms, twice as long with each further undecided
  // answer for the same block, at most verification_retry_max_ms (local).
  std::uint64_t verification_retry_min_ms = 100;
  std::uint64_t verification_retry_max_ms = 2'000;

  // Blocks found to hold a false claim that are remembered (the oldest
  // forgotten first) to report the validators that vote for them (local).
  std::uint32_t max_remembered_false_blocks = 64;

  // Refuses (kInvalidArgument) inconsistent values, naming the field.
  Result<void> validate() const;
};

}  // namespace aethel::consensus
