// A proposed block: an ordered list of proof claims the leader asks every
// validator to check before it votes.
//
// The block digest (SHA-256 of the canonical encoding, block_digest()) is
// what every vote, certificate and evidence object refers to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/bytes.h"
#include "core/encoding.h"
#include "core/error.h"
#include "core/types.h"

namespace aethel::consensus {

// The verdict a leader claims for a proof. Mirrors the judge's verdicts
// (PROVED, REFUTED, UNKNOWN) without depending on the judge, so that the
// replica and the simulator link no solver.
enum class ClaimedVerdict : std::uint8_t { kProved = 0, kRefuted = 1, kUnknown = 2 };

const char* claimed_verdict_name(ClaimedVerdict verdict) noexcept;

// One proof in a block: its identifier, and the verdict and difficulty the
// leader claims for it. Every validator re-derives both before voting.
struct Claim {
  Hash256 proof_id;
  ClaimedVerdict verdict = ClaimedVerdict::kUnknown;
  Difficulty difficulty;

  friend bool operator==(const Claim&, const Claim&) = default;
};

struct Block {
  Height height;
  // The view in which the block was first proposed. A block re-proposed in a
  // later view keeps this value, so its digest does not change.
  View view;
  Hash256 parent_digest;  // digest of the block at height - 1 (zero for height 1)
  ValidatorIndex proposer;
  // The proposer's clock when it built the block. A value only: validators
  // check it against bounds (Config::timestamp_*), never read a clock.
  std::uint64_t timestamp_ms = 0;
  std::vector<Claim> claims;
  // The application's own content (transactions, proof bodies), by digest.
  Hash256 payload_digest;

  friend bool operator==(const Block&, const Block&) = default;
};

using BlockPtr = std::shared_ptr<const Block>;

// Upper bound on claims in one block accepted by decode (Config may set a
// lower one for what the replica votes on).
inline constexpr std::size_t kMaxClaimsPerBlock = 65'536;

void encode_block(Encoder& encoder, const Block& block);
Result<Block> decode_block(Decoder& decoder, std::size_t max_claims);
Bytes encode_block(const Block& block);

// SHA-256 of encode_block(block).
Hash256 block_digest(const Block& block);

}  // namespace aethel::consensus
