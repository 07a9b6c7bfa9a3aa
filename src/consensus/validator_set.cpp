#include "consensus/validator_set.h"

#include <algorithm>
#include <string>

#include "core/assert.h"
#include "core/encoding.h"
#include "crypto/sha256.h"

namespace aethel::consensus {

Stake quorum_threshold(Stake total) noexcept {
  // floor(2t/3) = t - ceil(t/3); the quorum is one more.
  const std::uint64_t t = total.value();
  const std::uint64_t ceil_third = t / 3 + (t % 3 == 0 ? 0 : 1);
  return Stake(t - ceil_third + 1);
}

Stake weak_quorum_threshold(Stake total) noexcept {
  const std::uint64_t t = total.value();
  return Stake(t / 3 + (t % 3 == 0 ? 0 : 1));
}

Result<ValidatorSet> ValidatorSet::create(std::vector<Validator> validators, Stake minimum_stake) {
  if (validators.empty()) {
    return fail(ErrorCode::kInvalidArgument, "validator set: no validators");
  }
  if (validators.size() > kMaxValidators) {
    return fail(ErrorCode::kInvalidArgument, "validator set: " + std::to_string(validators.size()) +
                                                 " validators; at most " +
                                                 std::to_string(kMaxValidators));
  }
  ValidatorSet set;
  set.minimum_stake_ = minimum_stake;
  set.cumulative_stake_.reserve(validators.size());
  Stake total;
  for (std::size_t i = 0; i < validators.size(); ++i) {
    const Validator& validator = validators[i];
    const std::string where = "validator set: validator " + std::to_string(i);
    if (validator.stake == Stake::zero() || validator.stake < minimum_stake) {
      return fail(ErrorCode::kInvalidArgument,
                  where + " has stake " + std::to_string(validator.stake.value()) +
                      ", below the minimum " + std::to_string(minimum_stake.value()));
    }
    const auto [position, inserted] =
        set.index_by_key_.emplace(validator.public_key, ValidatorIndex(i));
    if (!inserted) {
      return fail(ErrorCode::kInvalidArgument, where + " repeats the public key of validator " +
                                                   std::to_string(position->second.value()));
    }
    const auto sum = total.checked_add(validator.stake);
    if (!sum) return fail(ErrorCode::kLimit, where + ": total stake exceeds 64 bits");
    total = *sum;
    set.cumulative_stake_.push_back(total);
  }
  set.validators_ = std::move(validators);
  set.total_stake_ = total;
  set.quorum_stake_ = quorum_threshold(total);
  set.weak_quorum_stake_ = weak_quorum_threshold(total);
  return set;
}

const Validator& ValidatorSet::at(ValidatorIndex index) const {
  AETHEL_ASSERT_MSG(contains(index), "validator index outside the set");
  return validators_[static_cast<std::size_t>(index.value())];
}

std::optional<ValidatorIndex> ValidatorSet::index_of(const crypto::PublicKey& key) const {
  const auto found = index_by_key_.find(key);
  if (found == index_by_key_.end()) return std::nullopt;
  return found->second;
}

ValidatorIndex ValidatorSet::leader_for_view(View view) const {
  Encoder encoder;
  encoder.put_string("aethel-leader").put_strong(view);
  const Hash256 digest = crypto::sha256(encoder.bytes());
  std::uint64_t draw = 0;
  for (std::size_t i = 0; i < 8; ++i) draw = (draw << 8) | digest.array()[i];
  const Stake point(draw % total_stake_.value());
  // The first validator whose cumulative stake exceeds the point.
  const auto found = std::upper_bound(cumulative_stake_.begin(), cumulative_stake_.end(), point);
  AETHEL_ASSERT(found != cumulative_stake_.end());
  return ValidatorIndex(static_cast<std::uint64_t>(found - cumulative_stake_.begin()));
}

namespace {

// Adds the leaders of views first .. first + count - 1 (those that exist)
// not yet in `out`.
void add_leaders(const ValidatorSet& validators, std::uint64_t first, std::uint64_t count,
                 std::vector<ValidatorIndex>& out) {
  constexpr std::uint64_t kLastView = ~0ULL;
  for (std::uint64_t i = 0; i < count && first <= kLastView - i; ++i) {
    const ValidatorIndex leader = validators.leader_for_view(View(first + i));
    if (std::find(out.begin(), out.end(), leader) == out.end()) out.push_back(leader);
  }
}

}  // namespace

std::vector<ValidatorIndex> view_change_relays(const ValidatorSet& validators, View view,
                                               std::uint64_t round) {
  constexpr std::uint64_t kLastView = ~0ULL;
  constexpr std::uint64_t k = kViewChangeRelaysPerWindow;
  std::vector<ValidatorIndex> relays{validators.leader_for_view(view)};
  if (view.value() == kLastView) return relays;
  add_leaders(validators, view.value() + 1, k, relays);
  // The round's own window starts k (round - 1) views further on.
  if (round >= 2 && round - 1 <= (kLastView - view.value() - 1) / k) {
    add_leaders(validators, view.value() + 1 + k * (round - 1), k, relays);
  }
  return relays;
}

}  // namespace aethel::consensus
