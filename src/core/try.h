// Shorthand for code that calls many functions returning Result, each of
// which may fail: the first error is returned from the enclosing function
// unchanged (code and message), so it still names what failed and where.
#pragma once

#include <utility>

#include "core/error.h"

// Evaluates `expression` (a Result<T>); on error returns the error from the
// enclosing function, otherwise moves the value into `target`.
#define AETHEL_TRY_ASSIGN(target, expression)                                             \
  do {                                                                                    \
    auto aethel_try_result = (expression);                                                \
    if (!aethel_try_result) {                                                             \
      return ::aethel::unexpected<::aethel::Error>(std::move(aethel_try_result).error()); \
    }                                                                                     \
    target = std::move(*aethel_try_result);                                               \
  } while (false)

// Evaluates `expression` (a Result<void>); on error returns it.
#define AETHEL_TRY(expression)                                                            \
  do {                                                                                    \
    auto aethel_try_result = (expression);                                                \
    if (!aethel_try_result) {                                                             \
      return ::aethel::unexpected<::aethel::Error>(std::move(aethel_try_result).error()); \
    }                                                                                     \
  } while (false)
