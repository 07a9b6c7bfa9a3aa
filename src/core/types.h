// Strong types for protocol quantities. A Height cannot be passed where a View
// is expected, and a Stake cannot be added to a TokenAmount by accident.
//
// Each type allows only the arithmetic that has a meaning for it:
//   quantities (Stake, TokenAmount, WorkUnits, Difficulty) add and subtract;
//   positions (Height, View, Nonce) advance by one and are compared;
//   identifiers (ValidatorIndex) are only compared.
//
// Overflow policy, chosen per call site:
//   checked_add / checked_sub / checked_next return std::nullopt on overflow
//   or underflow. Use them where the operands come from outside (amounts in a
//   transaction), so that the caller can refuse the input.
//   operator+ / operator- / next() abort through AETHEL_ASSERT on overflow or
//   underflow. Use them where an invariant bounds the values (for example,
//   every amount is at most the capped total supply), so overflow is a bug.
//
// All types are unsigned 64-bit integers; there is no floating point.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "core/assert.h"

namespace aethel {

// Capabilities of a strong type, inherited by its tag.
struct QuantityTag {
  static constexpr bool kAdditive = true;
  static constexpr bool kSequential = false;
};
struct PositionTag {
  static constexpr bool kAdditive = false;
  static constexpr bool kSequential = true;
};
struct IdentifierTag {
  static constexpr bool kAdditive = false;
  static constexpr bool kSequential = false;
};

template <class Tag>
concept AdditiveTag = Tag::kAdditive;
template <class Tag>
concept SequentialTag = Tag::kSequential;

template <class Tag, std::unsigned_integral Rep = std::uint64_t>
class StrongInt {
 public:
  using rep_type = Rep;
  using tag_type = Tag;

  constexpr StrongInt() noexcept = default;
  constexpr explicit StrongInt(Rep value) noexcept : value_(value) {}

  constexpr Rep value() const noexcept { return value_; }
  static constexpr StrongInt zero() noexcept { return StrongInt(0); }
  static constexpr StrongInt max() noexcept { return StrongInt(std::numeric_limits<Rep>::max()); }

  friend constexpr bool operator==(StrongInt, StrongInt) noexcept = default;
  friend constexpr auto operator<=>(StrongInt, StrongInt) noexcept = default;

  // Quantities.
  constexpr std::optional<StrongInt> checked_add(StrongInt other) const noexcept requires
      AdditiveTag<Tag> {
    if (value_ > std::numeric_limits<Rep>::max() - other.value_) return std::nullopt;
    return StrongInt(static_cast<Rep>(value_ + other.value_));
  }
  constexpr std::optional<StrongInt> checked_sub(StrongInt other) const noexcept requires
      AdditiveTag<Tag> {
    if (value_ < other.value_) return std::nullopt;
    return StrongInt(static_cast<Rep>(value_ - other.value_));
  }
  constexpr StrongInt operator+(StrongInt other) const noexcept requires AdditiveTag<Tag> {
    const auto sum = checked_add(other);
    AETHEL_ASSERT_MSG(sum.has_value(), "strong integer addition overflowed");
    return *sum;
  }
  constexpr StrongInt operator-(StrongInt other) const noexcept requires AdditiveTag<Tag> {
    const auto difference = checked_sub(other);
    AETHEL_ASSERT_MSG(difference.has_value(), "strong integer subtraction underflowed");
    return *difference;
  }
  constexpr StrongInt& operator+=(StrongInt other) noexcept requires AdditiveTag<Tag> {
    return *this = *this + other;
  }
  constexpr StrongInt& operator-=(StrongInt other) noexcept requires AdditiveTag<Tag> {
    return *this = *this - other;
  }

  // Positions.
  constexpr std::optional<StrongInt> checked_next() const noexcept requires SequentialTag<Tag> {
    if (value_ == std::numeric_limits<Rep>::max()) return std::nullopt;
    return StrongInt(static_cast<Rep>(value_ + 1));
  }
  constexpr std::optional<StrongInt> checked_prev() const noexcept requires SequentialTag<Tag> {
    if (value_ == 0) return std::nullopt;
    return StrongInt(static_cast<Rep>(value_ - 1));
  }
  constexpr StrongInt next() const noexcept requires SequentialTag<Tag> {
    const auto successor = checked_next();
    AETHEL_ASSERT_MSG(successor.has_value(), "strong integer position overflowed");
    return *successor;
  }

  friend std::ostream& operator<<(std::ostream& out, StrongInt value) {
    return out << Tag::kName << ' ' << +value.value_;
  }

 private:
  Rep value_ = 0;
};

template <class T>
inline constexpr bool is_strong_int_v = false;
template <class Tag, class Rep>
inline constexpr bool is_strong_int_v<StrongInt<Tag, Rep>> = true;
template <class T>
concept StrongIntType = is_strong_int_v<T>;

template <class Tag, class Rep>
std::string to_string(StrongInt<Tag, Rep> value) {
  return std::to_string(value.value());
}

// Block number; genesis is height 0.
struct HeightTag : PositionTag {
  static constexpr std::string_view kName = "height";
};
// Consensus view (round of leader election) within a height.
struct ViewTag : PositionTag {
  static constexpr std::string_view kName = "view";
};
// Per-account transaction counter that makes each transaction unique.
struct NonceTag : PositionTag {
  static constexpr std::string_view kName = "nonce";
};
// Stake bonded by a validator, in the smallest token unit.
struct StakeTag : QuantityTag {
  static constexpr std::string_view kName = "stake";
};
// Deterministic measure of prover effort (solver work units, never seconds).
struct WorkUnitsTag : QuantityTag {
  static constexpr std::string_view kName = "work-units";
};
// Difficulty credited for verifying a proof, derived from work units.
struct DifficultyTag : QuantityTag {
  static constexpr std::string_view kName = "difficulty";
};
// Balance, fee or reward, in the smallest token unit.
struct TokenAmountTag : QuantityTag {
  static constexpr std::string_view kName = "token-amount";
};
// Position of a validator in the validator set.
struct ValidatorIndexTag : IdentifierTag {
  static constexpr std::string_view kName = "validator-index";
};

using Height = StrongInt<HeightTag>;
using View = StrongInt<ViewTag>;
using Nonce = StrongInt<NonceTag>;
using Stake = StrongInt<StakeTag>;
using WorkUnits = StrongInt<WorkUnitsTag>;
using Difficulty = StrongInt<DifficultyTag>;
using TokenAmount = StrongInt<TokenAmountTag>;
using ValidatorIndex = StrongInt<ValidatorIndexTag>;

}  // namespace aethel

template <class Tag, class Rep>
struct std::hash<aethel::StrongInt<Tag, Rep>> {
  std::size_t operator()(aethel::StrongInt<Tag, Rep> value) const noexcept {
    return std::hash<Rep>{}(value.value());
  }
};
