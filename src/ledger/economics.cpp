#include "ledger/economics.h"

#include <algorithm>
#include <queue>
#include <string>

#include "core/assert.h"
#include "core/wide_arith.h"

namespace aethel::ledger {

Result<void> EmissionSchedule::validate() const {
  if (halving_interval == 0) {
    return fail(ErrorCode::kInvalidArgument,
                "emission schedule: halving_interval must be positive");
  }
  if (initial_block_allowance > cap) {
    return fail(ErrorCode::kInvalidArgument, "emission schedule: initial_block_allowance " +
                                                 to_string(initial_block_allowance) +
                                                 " exceeds the cap " + to_string(cap));
  }
  return {};
}

TokenAmount EmissionSchedule::allowance_at(Height height) const noexcept {
  AETHEL_ASSERT_MSG(height.value() >= 1, "emission asked for the genesis height");
  AETHEL_ASSERT_MSG(halving_interval > 0, "emission schedule used without validate()");
  const std::uint64_t halvings = (height.value() - 1) / halving_interval;
  if (halvings >= 64) return TokenAmount::zero();
  return TokenAmount(initial_block_allowance.value() >> halvings);
}

TokenAmount EmissionSchedule::still_allowed(Height height,
                                            TokenAmount emitted_so_far) const noexcept {
  AETHEL_ASSERT_MSG(emitted_so_far <= cap, "emission already passed the cap");
  return std::min(allowance_at(height), cap - emitted_so_far);
}

Result<void> RewardPolicy::validate() const {
  if (scale.value() == 0) {
    return fail(ErrorCode::kInvalidArgument, "reward policy: scale must be positive");
  }
  if (proposer_bonus_bps > kBasisPoints) {
    return fail(ErrorCode::kInvalidArgument, "reward policy: proposer_bonus_bps " +
                                                 std::to_string(proposer_bonus_bps) +
                                                 " exceeds 10000");
  }
  return {};
}

TokenAmount block_emission(const EmissionSchedule& schedule, const RewardPolicy& policy,
                           Height height, TokenAmount emitted_so_far,
                           Difficulty total_difficulty) noexcept {
  AETHEL_ASSERT_MSG(policy.scale.value() != 0, "reward policy used without validate()");
  const TokenAmount allowed = schedule.still_allowed(height, emitted_so_far);
  const auto earned =
      mul_div_floor(policy.base.value(), total_difficulty.value(), policy.scale.value());
  // A quotient beyond 64 bits is certainly above what the schedule allows.
  if (!earned.has_value()) return allowed;
  return std::min(allowed, TokenAmount(*earned));
}

namespace {

Result<Stake> signed_stake_of(std::span<const Signer> signers) {
  if (signers.empty()) {
    return fail(ErrorCode::kInvalidArgument, "block reward: no signers");
  }
  Stake total;
  for (std::size_t i = 0; i < signers.size(); ++i) {
    const Signer& signer = signers[i];
    if (i > 0 && signers[i - 1].validator >= signer.validator) {
      return fail(ErrorCode::kInvalidArgument, "block reward: signer " + std::to_string(i) +
                                                   " (validator " + to_string(signer.validator) +
                                                   ") is not in increasing validator order");
    }
    if (signer.stake.value() == 0) {
      return fail(
          ErrorCode::kInvalidArgument,
          "block reward: validator " + to_string(signer.validator) + " signed with zero stake");
    }
    const auto sum = total.checked_add(signer.stake);
    if (!sum.has_value()) {
      return fail(ErrorCode::kLimit, "block reward: signed stake overflows 64 bits");
    }
    total = *sum;
  }
  return total;
}

// Adds `amount` to the proposer's entry, inserting one in validator order
// when the proposer did not sign.
void credit_proposer(std::vector<RewardShare>& shares, ValidatorIndex proposer,
                     TokenAmount amount) {
  const auto at = std::lower_bound(
      shares.begin(), shares.end(), proposer,
      [](const RewardShare& share, ValidatorIndex index) { return share.validator < index; });
  if (at != shares.end() && at->validator == proposer) {
    at->amount += amount;
    return;
  }
  shares.insert(at, RewardShare{proposer, amount});
}

// Hands out `leftover` tokens one at a time to the signer with the highest
// stake / (share + 1) (D'Hondt), the lower validator index on a tie.
// Quotients are compared by cross-multiplying in 128 bits, exactly.
void hand_out_leftover(std::span<const Signer> signers, std::vector<RewardShare>& shares,
                       std::uint64_t leftover) {
  const auto ranks_below = [&](std::size_t a, std::size_t b) {
    const UInt128 a_side = static_cast<UInt128>(signers[a].stake.value()) *
                           (static_cast<UInt128>(shares[b].amount.value()) + 1);
    const UInt128 b_side = static_cast<UInt128>(signers[b].stake.value()) *
                           (static_cast<UInt128>(shares[a].amount.value()) + 1);
    if (a_side != b_side) return a_side < b_side;
    return a > b;  // signers are in validator order: the lower index ranks first
  };
  std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(ranks_below)> next(
      ranks_below);
  for (std::size_t i = 0; i < signers.size(); ++i) next.push(i);
  for (std::uint64_t token = 0; token < leftover; ++token) {
    const std::size_t winner = next.top();
    next.pop();
    shares[winner].amount += TokenAmount(1);
    next.push(winner);
  }
}

}  // namespace

Result<std::vector<RewardShare>> split_block_reward(TokenAmount total,
                                                    std::span<const Signer> signers,
                                                    ValidatorIndex proposer,
                                                    std::uint32_t proposer_bonus_bps) {
  if (proposer_bonus_bps > kBasisPoints) {
    return fail(ErrorCode::kInvalidArgument, "block reward: proposer bonus " +
                                                 std::to_string(proposer_bonus_bps) +
                                                 " bps exceeds 10000");
  }
  auto signed_stake = signed_stake_of(signers);
  if (!signed_stake) return unexpected(std::move(signed_stake.error()));

  // Every amount below is at most `total`, so none of the sums can overflow.
  const auto bonus = mul_div_floor(total.value(), proposer_bonus_bps, kBasisPoints);
  AETHEL_ASSERT(bonus.has_value());
  const TokenAmount pool = total - TokenAmount(*bonus);

  std::vector<RewardShare> shares;
  shares.reserve(signers.size() + 1);
  TokenAmount paid;
  for (const Signer& signer : signers) {
    const auto share = mul_div_floor(pool.value(), signer.stake.value(), signed_stake->value());
    AETHEL_ASSERT(share.has_value());
    shares.push_back(RewardShare{signer.validator, TokenAmount(*share)});
    paid += TokenAmount(*share);
  }
  const TokenAmount leftover = pool - paid;
  AETHEL_ASSERT_MSG(leftover.value() < signers.size(), "flooring left a token per signer or more");
  hand_out_leftover(signers, shares, leftover.value());
  credit_proposer(shares, proposer, TokenAmount(*bonus));
  return shares;
}

const char* offence_name(Offence offence) noexcept {
  switch (offence) {
    case Offence::kEquivocation: return "equivocation";
    case Offence::kFalseVerdictVote: return "false-verdict-vote";
  }
  AETHEL_UNREACHABLE("unknown offence");
}

std::uint32_t slash_percent(Offence offence) noexcept {
  switch (offence) {
    case Offence::kEquivocation: return 20;
    case Offence::kFalseVerdictVote: return 5;
  }
  AETHEL_UNREACHABLE("unknown offence");
}

TokenAmount slash_amount(Offence offence, TokenAmount slashable) noexcept {
  const auto amount = mul_div_floor(slashable.value(), slash_percent(offence), 100);
  AETHEL_ASSERT(amount.has_value());
  return TokenAmount(*amount);
}

}  // namespace aethel::ledger
