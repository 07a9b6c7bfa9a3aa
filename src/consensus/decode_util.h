// Internal to src/consensus: shorthand for decoding code that reads many
// fields, each of which may fail.
#pragma once

#include <utility>

#include "core/error.h"

// Evaluates `expression` (a Result); on error returns it from the enclosing
// function, otherwise moves the value into `target`.
#define CONSENSUS_TRY_ASSIGN(target, expression)                                             \
  do {                                                                                       \
    auto consensus_try_result = (expression);                                                \
    if (!consensus_try_result) {                                                             \
      return ::aethel::unexpected<::aethel::Error>(std::move(consensus_try_result).error()); \
    }                                                                                        \
    target = std::move(*consensus_try_result);                                               \
  } while (false)

// Evaluates `expression` (a Result<void>); on error returns it.
#define CONSENSUS_TRY(expression)                                                            \
  do {                                                                                       \
    auto consensus_try_result = (expression);                                                \
    if (!consensus_try_result) {                                                             \
      return ::aethel::unexpected<::aethel::Error>(std::move(consensus_try_result).error()); \
    }                                                                                        \
  } while (false)
