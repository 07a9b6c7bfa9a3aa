#include "consensus/config.h"

#include <string>

namespace aethel::consensus {
namespace {

Result<void> refuse(const char* field, const std::string& why) {
  return fail(ErrorCode::kInvalidArgument, std::string("consensus config: ") + field + " " + why);
}

}  // namespace

const char* vote_pattern_name(VotePattern pattern) noexcept {
  switch (pattern) {
    case VotePattern::kAllToAll: return "all-to-all";
    case VotePattern::kCollector: return "collector";
  }
  return "?";
}

Result<void> Config::validate() const {
  if (vote_pattern != VotePattern::kAllToAll && vote_pattern != VotePattern::kCollector) {
    return refuse("vote_pattern", "is not a known pattern");
  }
  if (checkpoint_interval == 0) return refuse("checkpoint_interval", "must be at least 1");
  if (checkpoint_interval > (1ULL << 32)) return refuse("checkpoint_interval", "is too large");
  if (watermark_window < 2 * checkpoint_interval) {
    return refuse("watermark_window", "must be at least 2 * checkpoint_interval (" +
                                          std::to_string(2 * checkpoint_interval) + ")");
  }
  if (watermark_window > 1024) return refuse("watermark_window", "must be at most 1024");
  if (max_block_claims == 0) return refuse("max_block_claims", "must be at least 1");
  if (timeout_min_ms == 0) return refuse("timeout_min_ms", "must be at least 1");
  if (timeout_max_ms < timeout_min_ms) {
    return refuse("timeout_max_ms", "must be at least timeout_min_ms");
  }
  if (timeout_max_ms > (1ULL << 40)) return refuse("timeout_max_ms", "is too large");
  if (timeout_rtt_multiplier == 0 || timeout_rtt_multiplier > 1000) {
    return refuse("timeout_rtt_multiplier", "must be in 1..1000");
  }
  if (initial_rtt_ms > timeout_max_ms) {
    return refuse("initial_rtt_ms", "must be at most timeout_max_ms");
  }
  if (max_buffered_messages == 0) return refuse("max_buffered_messages", "must be at least 1");
  if (max_pending_verifications == 0) {
    return refuse("max_pending_verifications", "must be at least 1");
  }
  if (verification_retry_min_ms == 0) {
    return refuse("verification_retry_min_ms", "must be at least 1");
  }
  if (verification_retry_max_ms < verification_retry_min_ms) {
    return refuse("verification_retry_max_ms", "must be at least verification_retry_min_ms");
  }
  if (verification_retry_max_ms > (1ULL << 40)) {
    return refuse("verification_retry_max_ms", "is too large");
  }
  if (max_remembered_false_blocks == 0) {
    return refuse("max_remembered_false_blocks", "must be at least 1");
  }
  return {};
}

}  // namespace aethel::consensus
