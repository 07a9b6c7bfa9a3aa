// Assertions that stay on in every build type. A failed assertion means the
// program itself is wrong (never that its input was bad): it prints where and
// aborts, because continuing could sign, vote or write something false.
#pragma once

namespace aethel::detail {
[[noreturn]] void assertion_failed(const char* expression, const char* file, int line,
                                   const char* message) noexcept;
}  // namespace aethel::detail

#define AETHEL_ASSERT(cond)                                                       \
  do {                                                                            \
    if (!(cond)) [[unlikely]]                                                     \
      ::aethel::detail::assertion_failed(#cond, __FILE__, __LINE__, nullptr);     \
  } while (false)

#define AETHEL_ASSERT_MSG(cond, msg)                                              \
  do {                                                                            \
    if (!(cond)) [[unlikely]]                                                     \
      ::aethel::detail::assertion_failed(#cond, __FILE__, __LINE__, (msg));       \
  } while (false)

// Marks a point the program can never reach; reaching it is a bug.
#define AETHEL_UNREACHABLE(msg) \
  ::aethel::detail::assertion_failed("unreachable", __FILE__, __LINE__, (msg))
