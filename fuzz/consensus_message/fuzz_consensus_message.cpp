// Feeds arbitrary bytes to the consensus decoders and then to a replica.
// Decoding must refuse bad input with an error (never crash, hang or
// over-allocate); anything accepted must re-encode to exactly its input (one
// encoding per value, so a signature cannot be carried by two byte strings);
// and a replica given any decoded message must refuse or use it without
// breaking an invariant.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "consensus/evidence.h"
#include "consensus/persistent_state.h"
#include "consensus/replica.h"
#include "core/assert.h"
#include "crypto/sha256.h"

namespace {

using namespace aethel;
using namespace aethel::consensus;

DecodeLimits small_limits() {
  DecodeLimits limits;
  limits.max_claims = 64;
  limits.max_signatures = 16;
  limits.max_view_changes = 16;
  limits.max_prepared_entries = 16;
  return limits;
}

void expect_same(ByteView input, const Bytes& reencoded, const char* what) {
  AETHEL_ASSERT_MSG(reencoded.size() == input.size() &&
                        std::equal(reencoded.begin(), reencoded.end(), input.begin()),
                    what);
}

Replica make_replica() {
  std::vector<Validator> validators;
  std::vector<crypto::KeyPair> keys;
  for (std::uint8_t i = 0; i < 4; ++i) {
    std::array<std::uint8_t, crypto::kSeedSize> seed{};
    seed[0] = 0xAE;
    seed[2] = i;
    keys.push_back(crypto::keypair_from_seed(seed));
    validators.push_back({keys.back().public_key, Stake(100)});
  }
  Config config;
  config.chain_id = crypto::sha256(std::string_view("aethel-test-chain"));
  config.vote_pattern = VotePattern::kAllToAll;
  ReplicaSetup setup{config,
                     std::make_shared<const ValidatorSet>(
                         std::move(*ValidatorSet::create(std::move(validators), Stake(1)))),
                     keys[1].secret_key.clone(),
                     {},
                     {},
                     std::make_shared<Ed25519SignatureChecker>()};
  auto replica = Replica::create(std::move(setup));
  AETHEL_ASSERT(replica.has_value());
  return std::move(*replica);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Replica replica = make_replica();
  static std::uint64_t now_ms = 0;
  const ByteView input(data, size);
  const DecodeLimits limits = small_limits();

  if (auto message = decode_message(input, limits)) {
    expect_same(input, encode_message(*message),
                "accepted message does not re-encode to its input");
    AETHEL_ASSERT(encoded_message_size(*message) == size);
    now_ms += 10;
    replica.step(now_ms, MessageReceived{std::make_shared<const Message>(std::move(*message))});
  }
  if (auto evidence = decode_evidence(input, limits)) {
    expect_same(input, encode_evidence(*evidence), "accepted evidence does not re-encode");
  }
  if (auto state = decode_persistent_state(input, limits)) {
    expect_same(input, encode_persistent_state(*state), "accepted state does not re-encode");
  }
  return 0;
}
