// What the simulator tests share: fixed CPU costs, small options, failure
// text, and the check that a printed command line replays a run.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <memory>
#include <string>

#include "sim/options.h"
#include "sim/report.h"
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

// What `command` prints on its standard output.
inline std::string run_command(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return {};
  std::string output;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr) output += buffer.data();
  return output;
}

#ifdef AETHEL_BINARY
// The real `aethel sim` binary, given replay_command(options), prints the
// same JSON (trace hash included) as the in-process run, except wall time and
// memory.
inline void expect_replay_reproduces(const SimOptions& options) {
  auto in_process = result_to_json(run_or_fail(options));
  std::string command = replay_command(options);
  ASSERT_EQ(command.rfind("aethel ", 0), 0u);
  command = std::string(AETHEL_BINARY) + command.substr(6) + " --json --quiet";
  const std::string output = run_command(command);
  auto replayed = nlohmann::json::parse(output, nullptr, false);
  ASSERT_FALSE(replayed.is_discarded()) << command << "\n" << output;
  for (auto* json : {&in_process, &replayed}) {
    json->erase("wall_s");
    json->erase("peak_rss_mb");
  }
  EXPECT_EQ(in_process["trace_hash"], replayed["trace_hash"]) << command;
  EXPECT_EQ(in_process.dump(), replayed.dump());
}
#endif

}  // namespace aethel::sim::testing
