// The command line printed for a failing run replays it exactly: the real
// `aethel sim` binary, given replay_command(options), produces the same JSON
// (trace hash included) as the in-process run, except wall time and memory.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>

#include "sim/report.h"
#include "tests/sim/sim_test_support.h"

namespace aethel::sim {
namespace {

std::string run_command(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return {};
  std::string output;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe.get()) != nullptr) output += buffer.data();
  return output;
}

TEST(SimReplay, PrintedCommandLineReproducesTheRun) {
  auto options = testing::small_options(9, 41);
  options.byzantine = 2;
  options.strategies = {Strategy::kEquivocate, Strategy::kReplay};
  options.loss_ppm = 15'000;
  options.duplicate_ppm = 10'000;
  options.latency_us = 37'000;
  options.jitter_us = 12'000;
  options.partitions.push_back({400, 2'200, {1, 4, 7}});
  options.crashes.push_back({5, 900, 2'000});
  options.gossip_fanout = 3;
  auto in_process = result_to_json(testing::run_or_fail(options));

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

}  // namespace
}  // namespace aethel::sim
