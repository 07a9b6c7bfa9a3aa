// The validators of one epoch, their stakes, and quorum arithmetic by stake.
//
// Quorums are sums of stake, never counts of validators: a quorum is stake
// strictly greater than 2/3 of the total; a "weak" quorum (PBFT's f + 1:
// enough to contain one honest validator, since Byzantine stake is assumed
// strictly below 1/3) is stake of at least 1/3 of the total. All arithmetic
// is on 64-bit
// integers; the total stake must fit (checked when the set is built).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "core/error.h"
#include "core/types.h"
#include "crypto/ed25519.h"

namespace aethel::consensus {

struct Validator {
  crypto::PublicKey public_key;
  Stake stake;

  friend bool operator==(const Validator&, const Validator&) = default;
};

// Most validators one set may hold; also the largest signer count a
// certificate may declare.
inline constexpr std::size_t kMaxValidators = 100'000;

class ValidatorSet {
 public:
  // Refuses (kInvalidArgument) an empty list, more than kMaxValidators,
  // a stake below minimum_stake (or zero), a repeated public key, and
  // (kLimit) a total stake that does not fit in 64 bits. A validator's
  // index is its position in `validators`.
  static Result<ValidatorSet> create(std::vector<Validator> validators, Stake minimum_stake);

  std::size_t size() const noexcept { return validators_.size(); }
  bool contains(ValidatorIndex index) const noexcept { return index.value() < size(); }
  // Precondition: contains(index).
  const Validator& at(ValidatorIndex index) const;
  const std::vector<Validator>& validators() const noexcept { return validators_; }
  std::optional<ValidatorIndex> index_of(const crypto::PublicKey& key) const;

  Stake total_stake() const noexcept { return total_stake_; }
  Stake minimum_stake() const noexcept { return minimum_stake_; }
  // Smallest stake sum s with 3 * s > 2 * total.
  Stake quorum_stake() const noexcept { return quorum_stake_; }
  // Smallest stake sum s with 3 * s >= total.
  Stake weak_quorum_stake() const noexcept { return weak_quorum_stake_; }
  bool is_quorum(Stake stake) const noexcept { return stake >= quorum_stake_; }
  bool is_weak_quorum(Stake stake) const noexcept { return stake >= weak_quorum_stake_; }

  // The leader (and, in the collector vote pattern, the collector) of a
  // view: the validator whose cumulative-stake interval holds
  // u64(SHA-256("aethel-leader" || view)) mod total stake. Deterministic,
  // stake-weighted, and scattered by the hash across views, so consecutive views do
  // not walk through a run of silent validators.
  ValidatorIndex leader_for_view(View view) const;

 private:
  ValidatorSet() = default;

  std::vector<Validator> validators_;
  std::vector<Stake> cumulative_stake_;  // cumulative_stake_[i] = sum of stakes [0, i]
  std::map<crypto::PublicKey, ValidatorIndex> index_by_key_;
  Stake total_stake_;
  Stake minimum_stake_;
  Stake quorum_stake_;
  Stake weak_quorum_stake_;
};

using ValidatorSetPtr = std::shared_ptr<const ValidatorSet>;

// Leaders of the views after a view change's target that a waiting
// VIEW-CHANGE is also sent to in the collector pattern, per window.
inline constexpr std::uint64_t kViewChangeRelaysPerWindow = 3;

// Collector pattern: where a replica waiting in a view change for `view`
// sends its VIEW-CHANGE again after its `round`-th (>= 1) timeout without
// a quorum of VIEW-CHANGEs: the leader of `view`, the leaders of the next
// kViewChangeRelaysPerWindow views, and from the second round on the
// leaders of the round's own window further on (views view + k (round - 1)
// + 1 to view + k round), so that every round retries the nearest relays
// (messages lost in a partition) and probes new ones (the nearest may all be
// faulty). Distinct, in that order; no view past the last view number.
std::vector<ValidatorIndex> view_change_relays(const ValidatorSet& validators, View view,
                                               std::uint64_t round);

// Smallest s with 3 * s > 2 * total, without overflow.
Stake quorum_threshold(Stake total) noexcept;
// Smallest s with 3 * s >= total, without overflow.
Stake weak_quorum_threshold(Stake total) noexcept;

}  // namespace aethel::consensus
