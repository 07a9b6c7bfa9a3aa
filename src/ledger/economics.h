// The token economics every validator computes identically: how much a block
// may emit, how a block's reward is shared among the validators whose commit
// signatures made it final, and how much a proven offence slashes.
//
// Integers only, every rounding rule stated, so that shares sum to the block
// reward exactly and two validators can never disagree by one token.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/error.h"
#include "core/types.h"

namespace aethel::ledger {

inline constexpr std::uint32_t kBasisPoints = 10'000;

// A fixed emission schedule with a hard cap: a block at height h may emit at
// most initial_block_allowance >> ((h - 1) / halving_interval), and the sum
// of all emission never passes `cap`.
struct EmissionSchedule {
  TokenAmount cap;
  TokenAmount initial_block_allowance;
  std::uint64_t halving_interval = 0;

  // Refuses (kInvalidArgument) a zero halving interval or an allowance
  // above the cap, naming the field.
  Result<void> validate() const;
  // The most a block at `height` (>= 1) may emit before the cap is applied.
  TokenAmount allowance_at(Height height) const noexcept;
  // min(allowance_at(height), cap - emitted_so_far); zero once the cap is
  // reached. `emitted_so_far` above the cap is a broken invariant.
  TokenAmount still_allowed(Height height, TokenAmount emitted_so_far) const noexcept;
};

// Emission grows with verification work: `base` tokens per `scale` units of
// total difficulty in the block, and the block's proposer receives
// `proposer_bonus_bps` basis points of the block reward before the rest is
// shared by stake.
struct RewardPolicy {
  TokenAmount base;
  Difficulty scale{1};
  std::uint32_t proposer_bonus_bps = 0;

  // Refuses (kInvalidArgument) a zero scale or a bonus above 10,000 bps.
  Result<void> validate() const;
};

// min(schedule.still_allowed(height, emitted_so_far),
//     floor(policy.base * total_difficulty / policy.scale)).
// Never decreases when total_difficulty grows.
TokenAmount block_emission(const EmissionSchedule& schedule, const RewardPolicy& policy,
                           Height height, TokenAmount emitted_so_far,
                           Difficulty total_difficulty) noexcept;

// A validator whose commit signature is in the block's certificate.
struct Signer {
  ValidatorIndex validator;
  Stake stake;
};

struct RewardShare {
  ValidatorIndex validator;
  TokenAmount amount;

  friend bool operator==(const RewardShare&, const RewardShare&) = default;
};

// Shares `total` (emission plus fees) among `signers`:
//   1. the proposer receives floor(total * proposer_bonus_bps / 10,000);
//   2. each signer receives floor(pool * stake / signed_stake) of the rest
//      (pool), signed_stake being the signers' total stake;
//   3. what flooring leaves over (fewer tokens than there are signers) is
//      handed out one token at a time by the D'Hondt divisor rule: to the
//      signer with the highest stake / (share + 1), the lower validator index
//      on a tie.
// The shares therefore sum to `total` exactly. Because the pool never
// shrinks when `total` grows and a divisor rule never takes a token away
// when the pool grows, no validator's reward (bonus included) ever
// decreases when `total` grows; a remainder given to one party (the
// proposer) would break that. Signers of equal stake differ by at most one
// token. The result holds one entry per signer plus the proposer if it did
// not sign, in validator order.
// Refuses (kInvalidArgument) signers that are empty, not in strictly
// increasing validator order, or with zero stake, and a bonus above
// 10,000 bps; kLimit when the signed stake overflows.
Result<std::vector<RewardShare>> split_block_reward(TokenAmount total,
                                                    std::span<const Signer> signers,
                                                    ValidatorIndex proposer,
                                                    std::uint32_t proposer_bonus_bps);

// What cryptographic evidence can prove, and the share of stake it costs.
enum class Offence : std::uint8_t {
  kEquivocation = 0,      // two conflicting signed votes (signing twice): 20%
  kFalseVerdictVote = 1,  // a signed vote for a block with a false verdict: 5%
};

const char* offence_name(Offence offence) noexcept;
std::uint32_t slash_percent(Offence offence) noexcept;

// floor(slashable * slash_percent(offence) / 100), slashable being the
// offender's bonded plus unbonding stake at the time the evidence executes.
TokenAmount slash_amount(Offence offence, TokenAmount slashable) noexcept;

}  // namespace aethel::ledger
