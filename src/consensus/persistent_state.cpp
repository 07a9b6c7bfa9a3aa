#include "consensus/persistent_state.h"

#include <array>
#include <string>

#include "core/try.h"

namespace aethel::consensus {
namespace {

constexpr std::uint8_t kPersistentStateVersion = 1;
constexpr std::size_t kMinProofSize = 8 + 8 + 32 + 8 + 8 + 4 + 32 + 1 + 8 + 8 + 32 + 4;

void encode_record(Encoder& encoder, const std::optional<SignedRecord>& record) {
  encoder.put_optional(record, [](Encoder& out, const SignedRecord& value) {
    out.put_strong(value.view).put_strong(value.height).put_fixed(value.digest);
  });
}

Result<SignedRecord> decode_record_value(Decoder& decoder) {
  SignedRecord record;
  AETHEL_TRY_ASSIGN(record.view, decoder.read_strong<View>("record.view"));
  AETHEL_TRY_ASSIGN(record.height, decoder.read_strong<Height>("record.height"));
  AETHEL_TRY_ASSIGN(record.digest, decoder.read_fixed<Hash256>("record.digest"));
  return record;
}

Result<std::optional<SignedRecord>> decode_record(Decoder& decoder, std::string_view field) {
  return decoder.read_optional(field, decode_record_value);
}

}  // namespace

Bytes encode_persistent_state(const PersistentState& state) {
  Encoder encoder;
  encoder.put_envelope({kPersistentStateVersion, kPersistentStateTypeTag});
  encoder.put_strong(state.view);
  encode_record(encoder, state.last_pre_prepare);
  encode_record(encoder, state.last_prepare);
  encode_record(encoder, state.last_commit);
  encoder.put_strong(state.last_view_change);
  encoder.put_bool(state.stable_checkpoint != nullptr);
  if (state.stable_checkpoint) encode_certificate(encoder, *state.stable_checkpoint);
  encoder.put_vector(state.prepared, encode_prepared_proof);
  return std::move(encoder).take();
}

Result<PersistentState> decode_persistent_state(ByteView bytes, const DecodeLimits& limits) {
  return decode_whole(bytes, [&](Decoder& decoder) -> Result<PersistentState> {
    AETHEL_TRY(decoder.expect_envelope({kPersistentStateVersion, kPersistentStateTypeTag}));
    PersistentState state;
    AETHEL_TRY_ASSIGN(state.view, decoder.read_strong<View>("state.view"));
    AETHEL_TRY_ASSIGN(state.last_pre_prepare, decode_record(decoder, "state.last_pre_prepare"));
    AETHEL_TRY_ASSIGN(state.last_prepare, decode_record(decoder, "state.last_prepare"));
    AETHEL_TRY_ASSIGN(state.last_commit, decode_record(decoder, "state.last_commit"));
    AETHEL_TRY_ASSIGN(state.last_view_change, decoder.read_strong<View>("state.last_view_change"));
    bool has_checkpoint = false;
    AETHEL_TRY_ASSIGN(has_checkpoint, decoder.read_bool("state.stable_checkpoint"));
    if (has_checkpoint) {
      Certificate checkpoint;
      AETHEL_TRY_ASSIGN(checkpoint, decode_certificate(decoder, limits.max_signatures));
      state.stable_checkpoint = std::make_shared<const Certificate>(std::move(checkpoint));
    }
    AETHEL_TRY_ASSIGN(
        state.prepared,
        decoder.read_vector("state.prepared", limits.max_prepared_entries, kMinProofSize,
                            [&](Decoder& d) { return decode_prepared_proof(d, limits); }));
    for (std::size_t i = 1; i < state.prepared.size(); ++i) {
      if (state.prepared[i].block->height <= state.prepared[i - 1].block->height) {
        return fail(ErrorCode::kNonCanonical, "state.prepared[" + std::to_string(i) +
                                                  "]: heights must be strictly increasing");
      }
    }
    return state;
  });
}

}  // namespace aethel::consensus
