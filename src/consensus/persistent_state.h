// What a replica must find again after a crash so that it never signs a
// vote that conflicts with one it signed before, and never forgets a
// prepared block that may have committed.
//
// The replica emits the whole state in a Persist action whenever it
// changes in a way that matters (before sending a vote, a PRE-PREPARE or a
// VIEW-CHANGE); see actions.h for the ordering rule.
#pragma once

#include <optional>
#include <vector>

#include "consensus/messages.h"
#include "core/bytes.h"
#include "core/error.h"
#include "core/types.h"

namespace aethel::consensus {

// The last vote of one kind this replica signed.
struct SignedRecord {
  View view;
  Height height;
  Hash256 digest;

  friend bool operator==(const SignedRecord&, const SignedRecord&) = default;
};

struct PersistentState {
  View view;  // the view the replica is in (or moving to)
  // A replica signs a vote of a kind only for a (view, height) after the
  // recorded one, or exactly the recorded vote again.
  std::optional<SignedRecord> last_pre_prepare;
  std::optional<SignedRecord> last_prepare;
  std::optional<SignedRecord> last_commit;
  // Highest new view this replica signed a VIEW-CHANGE for (0: none).
  View last_view_change;
  // The stable checkpoint (absent at genesis) and the prepared blocks above
  // it, heights strictly increasing.
  CertificatePtr stable_checkpoint;
  std::vector<PreparedProof> prepared;
};

using PersistentStatePtr = std::shared_ptr<const PersistentState>;

inline constexpr std::uint8_t kPersistentStateTypeTag = 0x40;

Bytes encode_persistent_state(const PersistentState& state);
Result<PersistentState> decode_persistent_state(ByteView bytes, const DecodeLimits& limits = {});

}  // namespace aethel::consensus
