// aethel::expected and aethel::unexpected: std::expected where the standard
// library provides it, otherwise a minimal equivalent with the same interface.
//
// Why: GCC 12 ships std::expected, but clang 14 (used for libFuzzer builds)
// cannot compile libstdc++'s <expected>, which needs conditionally trivial
// special members. With GCC the names below are plain aliases of the std
// types, so behaviour is exactly the standard's.
//
// The fallback offers what GCC 12's std::expected offers (no monadic
// and_then/transform, which arrived later), so code that compiles with one
// compiles with the other. It differs in one respect: value() on an error
// aborts through AETHEL_ASSERT instead of throwing bad_expected_access,
// because reading the value of a failed result is a bug.
#pragma once

#include <version>

#if defined(__cpp_lib_expected) && __cpp_lib_expected >= 202202L

#include <expected>

namespace aethel {
template <class T, class E>
using expected = std::expected<T, E>;
template <class E>
using unexpected = std::unexpected<E>;
using unexpect_t = std::unexpect_t;
inline constexpr unexpect_t unexpect = std::unexpect;
}  // namespace aethel

#else

#include <concepts>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/assert.h"

namespace aethel {

template <class E>
class unexpected {
 public:
  template <class G = E>
  requires(!std::same_as<std::remove_cvref_t<G>, unexpected> &&
           !std::same_as<std::remove_cvref_t<G>, std::in_place_t> &&
           std::constructible_from<E, G>) constexpr explicit unexpected(G&& error)
      : error_(std::forward<G>(error)) {}

  constexpr const E& error() const& noexcept { return error_; }
  constexpr E& error() & noexcept { return error_; }
  constexpr E&& error() && noexcept { return std::move(error_); }

  friend constexpr bool operator==(const unexpected& a, const unexpected& b) {
    return a.error_ == b.error_;
  }

 private:
  E error_;
};

template <class E>
unexpected(E) -> unexpected<E>;

struct unexpect_t {
  explicit unexpect_t() = default;
};
inline constexpr unexpect_t unexpect{};

template <class T, class E>
class expected;

namespace detail {
template <class T>
inline constexpr bool is_unexpected_v = false;
template <class E>
inline constexpr bool is_unexpected_v<unexpected<E> > = true;

template <class T>
inline constexpr bool is_expected_v = false;
template <class T, class E>
inline constexpr bool is_expected_v<expected<T, E> > = true;
}  // namespace detail

template <class T, class E>
class expected {
 public:
  using value_type = T;
  using error_type = E;
  using unexpected_type = unexpected<E>;
  template <class U>
  using rebind = expected<U, E>;

  constexpr expected() requires std::default_initializable<T> : storage_(std::in_place_index<0>) {}

  template <class U = T>
  requires(!std::same_as<std::remove_cvref_t<U>, expected> &&
           !std::same_as<std::remove_cvref_t<U>, std::in_place_t> &&
           !std::same_as<std::remove_cvref_t<U>, unexpect_t> &&
           !detail::is_unexpected_v<std::remove_cvref_t<U> > &&
           std::constructible_from<T, U>) constexpr explicit(!std::is_convertible_v<U, T>)
      expected(U&& value)
      : storage_(std::in_place_index<0>, std::forward<U>(value)) {}

  template <class G>
  requires std::constructible_from<E, const G&>
  constexpr explicit(!std::is_convertible_v<const G&, E>) expected(const unexpected<G>& error)
      : storage_(std::in_place_index<1>, error.error()) {}

  template <class G>
  requires std::constructible_from<E, G>
  constexpr explicit(!std::is_convertible_v<G, E>) expected(unexpected<G>&& error)
      : storage_(std::in_place_index<1>, std::move(error).error()) {}

  template <class... Args>
  constexpr explicit expected(std::in_place_t, Args&&... args)
      : storage_(std::in_place_index<0>, std::forward<Args>(args)...) {}

  template <class... Args>
  constexpr explicit expected(unexpect_t, Args&&... args)
      : storage_(std::in_place_index<1>, std::forward<Args>(args)...) {}

  constexpr bool has_value() const noexcept { return storage_.index() == 0; }
  constexpr explicit operator bool() const noexcept { return has_value(); }

  constexpr const T& operator*() const& noexcept { return value_unchecked(); }
  constexpr T& operator*() & noexcept { return value_unchecked(); }
  constexpr T&& operator*() && noexcept { return std::move(value_unchecked()); }
  constexpr const T* operator->() const noexcept { return &value_unchecked(); }
  constexpr T* operator->() noexcept { return &value_unchecked(); }

  constexpr const T& value() const& { return checked_value(*this); }
  constexpr T& value() & { return checked_value(*this); }
  constexpr T&& value() && { return std::move(checked_value(*this)); }

  constexpr const E& error() const& noexcept { return error_unchecked(); }
  constexpr E& error() & noexcept { return error_unchecked(); }
  constexpr E&& error() && noexcept { return std::move(error_unchecked()); }

  template <class U>
  constexpr T value_or(U&& fallback) const& {
    return has_value() ? **this : static_cast<T>(std::forward<U>(fallback));
  }
  template <class U>
  constexpr T value_or(U&& fallback) && {
    return has_value() ? std::move(**this) : static_cast<T>(std::forward<U>(fallback));
  }

  template <class... Args>
  constexpr T& emplace(Args&&... args) {
    return storage_.template emplace<0>(std::forward<Args>(args)...);
  }

  template <class T2, class E2>
  requires(!std::is_void_v<T2>) friend constexpr bool operator==(const expected& a,
                                                                 const expected<T2, E2>& b) {
    if (a.has_value() != b.has_value()) return false;
    return a.has_value() ? *a == *b : a.error() == b.error();
  }
  template <class U>
  requires(!detail::is_expected_v<U>) friend constexpr bool operator==(const expected& a,
                                                                       const U& value) {
    return a.has_value() && *a == value;
  }
  template <class G>
  friend constexpr bool operator==(const expected& a, const unexpected<G>& error) {
    return !a.has_value() && a.error() == error.error();
  }

 private:
  constexpr const T& value_unchecked() const noexcept { return *std::get_if<0>(&storage_); }
  constexpr T& value_unchecked() noexcept { return *std::get_if<0>(&storage_); }
  constexpr const E& error_unchecked() const noexcept { return *std::get_if<1>(&storage_); }
  constexpr E& error_unchecked() noexcept { return *std::get_if<1>(&storage_); }

  template <class Self>
  static constexpr auto& checked_value(Self& self) {
    AETHEL_ASSERT_MSG(self.has_value(), "value() called on an expected that holds an error");
    return self.value_unchecked();
  }

  std::variant<T, E> storage_;
};

template <class E>
class expected<void, E> {
 public:
  using value_type = void;
  using error_type = E;
  using unexpected_type = unexpected<E>;
  template <class U>
  using rebind = expected<U, E>;

  constexpr expected() noexcept = default;

  template <class G>
  requires std::constructible_from<E, const G&>
  constexpr explicit(!std::is_convertible_v<const G&, E>) expected(const unexpected<G>& error)
      : error_(std::in_place, error.error()) {}

  template <class G>
  requires std::constructible_from<E, G>
  constexpr explicit(!std::is_convertible_v<G, E>) expected(unexpected<G>&& error)
      : error_(std::in_place, std::move(error).error()) {}

  constexpr explicit expected(std::in_place_t) noexcept {}

  template <class... Args>
  constexpr explicit expected(unexpect_t, Args&&... args)
      : error_(std::in_place, std::forward<Args>(args)...) {}

  constexpr bool has_value() const noexcept { return !error_.has_value(); }
  constexpr explicit operator bool() const noexcept { return has_value(); }
  constexpr void operator*() const noexcept {}
  constexpr void value() const {
    AETHEL_ASSERT_MSG(has_value(), "value() called on an expected that holds an error");
  }

  constexpr const E& error() const& noexcept { return *error_; }
  constexpr E& error() & noexcept { return *error_; }
  constexpr E&& error() && noexcept { return std::move(*error_); }

  constexpr void emplace() noexcept { error_.reset(); }

  friend constexpr bool operator==(const expected& a, const expected& b) {
    if (a.has_value() != b.has_value()) return false;
    return a.has_value() || a.error() == b.error();
  }
  template <class G>
  friend constexpr bool operator==(const expected& a, const unexpected<G>& error) {
    return !a.has_value() && a.error() == error.error();
  }

 private:
  std::optional<E> error_;
};

}  // namespace aethel

#endif
