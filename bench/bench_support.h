// What every benchmark program shares: wall-clock timing, rates, stopping
// when setup fails, temporary folders, and the judge benchmark's
// transfer-style programs (so the ledger benchmark judges the same ones).
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "core/error.h"
#include "core/file.h"
#include "fmt/format.h"
#include "judge/sample_programs.h"
#include "nlohmann/json.hpp"

namespace aethel::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

inline double per_second(std::size_t count, double seconds) {
  return seconds > 0 ? static_cast<double>(count) / seconds : 0.0;
}

// A benchmark that cannot set itself up has nothing to report; it stops.
template <class T>
T require(Result<T> result, const char* what) {
  if (!result) throw std::runtime_error(fmt::format("{}: {}", what, result.error().to_string()));
  return std::move(*result);
}

// A temporary folder for one benchmark run (core/file.h), or a stop.
inline TemporaryDirectory temporary_folder(std::string_view prefix) {
  return require(TemporaryDirectory::create(prefix), "temporary folder");
}

// A transfer between two balances, varied per index so that no two programs
// are the same text.
inline std::string transfer_program(std::size_t index) {
  return judge::transfer_program_source({.name = "transfer_" + std::to_string(index),
                                         .amount_floor = index % 100,
                                         .extra_guards = {},
                                         .sender_reserve = index % 7});
}

// `measure()`'s JSON, or, when a setup step throws, a JSON object naming the
// benchmark and the error (which `aethel bench` turns into exit status 1).
template <class Measure>
std::string json_or_error(std::string_view benchmark, Measure&& measure) {
  try {
    return measure();
  } catch (const std::exception& error) {
    nlohmann::json out;
    out["benchmark"] = benchmark;
    out["error"] = error.what();
    return out.dump(2) + "\n";
  }
}

}  // namespace aethel::bench
