// The command line printed for a failing run replays it exactly: the real
// `aethel sim` binary, given replay_command(options), produces the same JSON
// (trace hash included) as the in-process run, except wall time and memory.
#include <gtest/gtest.h>

#include "sim/report.h"
#include "tests/sim/sim_test_support.h"

namespace aethel::sim {
namespace {

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
  testing::expect_replay_reproduces(options);
}

}  // namespace
}  // namespace aethel::sim
