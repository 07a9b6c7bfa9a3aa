#include "consensus/stats.h"

namespace aethel::consensus {

const char* refusal_name(Refusal refusal) noexcept {
  switch (refusal) {
    case Refusal::kNonValidator: return "non-validator";
    case Refusal::kBadSignature: return "bad-signature";
    case Refusal::kStaleView: return "stale-view";
    case Refusal::kFutureViewBufferFull: return "future-view-buffer-full";
    case Refusal::kWrongLeader: return "wrong-leader";
    case Refusal::kOutsideWatermarks: return "outside-watermarks";
    case Refusal::kDuplicate: return "duplicate";
    case Refusal::kConflictingPrePrepare: return "conflicting-pre-prepare";
    case Refusal::kInvalidBlock: return "invalid-block";
    case Refusal::kInvalidCertificate: return "invalid-certificate";
    case Refusal::kInvalidViewChange: return "invalid-view-change";
    case Refusal::kInvalidNewView: return "invalid-new-view";
    case Refusal::kConflictingNewView: return "conflicting-new-view";
    case Refusal::kUnexpected: return "unexpected";
    case Refusal::kCount: break;
  }
  return "?";
}

std::uint64_t ReplicaStats::refused_total() const noexcept {
  std::uint64_t total = 0;
  for (const std::uint64_t count : refused) total += count;
  return total;
}

}  // namespace aethel::consensus
