// What the simulator tests share: fixed CPU costs, small options, failure text.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "sim/options.h"
#include "sim/simulator.h"

namespace aethel::sim::testing {

// Fixed costs, so runs do not depend on the machine (the trace hash depends
// on options alone).
inline CpuCosts fixed_costs() {
  return CpuCosts{.sign_us = 20, .verify_us = 50, .sha256_kib_us = 3, .proof_us = 1500};
}

inline SimOptions small_options(std::uint32_t nodes, std::uint64_t seed) {
  SimOptions options;
  options.nodes = nodes;
  options.seed = seed;
  options.blocks = 5;
  options.cpu = fixed_costs();
  options.max_sim_ms = 300'000;
  return options;
}

// Sanitizer builds run several times slower; property tests scale down.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

inline SimResult run_or_fail(const SimOptions& options) {
  auto result = run_simulation(options);
  if (!result) {
    ADD_FAILURE() << "options refused: " << result.error().to_string();
    return SimResult{};
  }
  return *result;
}

inline std::string describe_failure(const SimResult& result) {
  std::string text = "replay: " + replay_command(result.options) + "\n";
  for (const auto& violation : result.violations) text += "  " + violation + "\n";
  return text;
}

}  // namespace aethel::sim::testing
