// Scripted simulator scenarios: each tests/sim/scenarios/*.txt names a run
// (the options of `aethel sim`) and the results it must give. Lines:
//
//   # comment
//   run: --nodes 7 --byzantine 2 --strategy equivocate --seed 3
//   expect: agreement_ok = true
//   expect: blocks_committed >= 4
//   expect: liveness_ok = null
//
// `expect` compares a field of the JSON result with =, >= or <=. CPU costs
// are fixed (sign 20, verify 50, sha256 3, proof 1500 us, one core), so the
// runs do not depend on the machine.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/report.h"
#include "tests/sim/sim_test_support.h"

namespace aethel::sim {
namespace {

namespace fs = std::filesystem;

fs::path scenario_directory() {
  const char* root = std::getenv("AETHEL_SOURCE_DIR");
  return fs::path(root != nullptr ? root : ".") / "tests" / "sim" / "scenarios";
}

// The options of a `run:` line, parsed like `aethel sim` parses them.
SimOptions parse_run_line(const std::string& line) {
  SimOptions options = testing::small_options(4, 1);
  std::istringstream words(line);
  std::string flag, value;
  while (words >> flag) {
    if (!(words >> value)) ADD_FAILURE() << "option " << flag << " has no value";
    auto must = [&](auto result) {
      if (!result) ADD_FAILURE() << flag << " " << value << ": " << result.error().message;
      return *result;
    };
    if (flag == "--nodes")
      options.nodes = std::stoul(value);
    else if (flag == "--byzantine")
      options.byzantine = std::stoul(value);
    else if (flag == "--strategy")
      options.strategies = must(parse_strategy_list(value));
    else if (flag == "--seed")
      options.seed = std::stoull(value);
    else if (flag == "--blocks")
      options.blocks = std::stoull(value);
    else if (flag == "--latency-ms")
      options.latency_us = std::stoull(value) * 1000;
    else if (flag == "--jitter-ms")
      options.jitter_us = std::stoull(value) * 1000;
    else if (flag == "--loss")
      options.loss_ppm = static_cast<std::uint32_t>(std::stod(value) * 1e6);
    else if (flag == "--dup")
      options.duplicate_ppm = static_cast<std::uint32_t>(std::stod(value) * 1e6);
    else if (flag == "--max-sim-ms")
      options.max_sim_ms = std::stoull(value);
    else if (flag == "--gossip-fanout")
      options.gossip_fanout = std::stoul(value);
    else if (flag == "--vote-pattern")
      options.vote_pattern = must(parse_vote_pattern(value));
    else if (flag == "--partition")
      options.partitions.push_back(must(parse_partition(value, options.nodes)));
    else if (flag == "--crash")
      options.crashes.push_back(must(parse_crash(value, options.nodes)));
    else
      ADD_FAILURE() << "unknown option " << flag;
  }
  return options;
}

// "field op value" against the JSON result; returns a mismatch, or "".
std::string check_expectation(const nlohmann::json& result, const std::string& expectation) {
  std::istringstream words(expectation);
  std::string field, op, expected;
  words >> field >> op >> expected;
  if (!result.contains(field)) return "no field " + field;
  const auto& actual = result.at(field);
  if (op == "=") {
    if (actual.dump() != expected &&
        !(actual.is_string() && actual.get<std::string>() == expected)) {
      return field + " is " + actual.dump() + ", expected " + expected;
    }
    return "";
  }
  if (!actual.is_number()) return field + " is " + actual.dump() + ", not a number";
  const double have = actual.get<double>();
  const double want = std::stod(expected);
  if ((op == ">=" && have < want) || (op == "<=" && have > want)) {
    return field + " is " + actual.dump() + ", expected " + op + " " + expected;
  }
  if (op != ">=" && op != "<=") return "unknown comparison " + op;
  return "";
}

std::vector<fs::path> scenario_files() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(scenario_directory())) {
    if (entry.path().extension() == ".txt") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(SimScenarios, EveryScenarioGivesItsExpectedResults) {
  const auto files = scenario_files();
  ASSERT_GE(files.size(), 5u) << "scenarios in " << scenario_directory();
  for (const auto& path : files) {
    std::ifstream in(path);
    std::string line;
    SimOptions options;
    std::vector<std::string> expectations;
    bool has_run = false;
    while (std::getline(in, line)) {
      if (line.rfind("run:", 0) == 0) {
        options = parse_run_line(line.substr(4));
        has_run = true;
      } else if (line.rfind("expect:", 0) == 0) {
        expectations.push_back(line.substr(7));
      }
    }
    ASSERT_TRUE(has_run) << path << " has no run: line";
    ASSERT_FALSE(expectations.empty()) << path << " expects nothing";
    const auto json = result_to_json(testing::run_or_fail(options));
    for (const auto& expectation : expectations) {
      const auto mismatch = check_expectation(json, expectation);
      EXPECT_TRUE(mismatch.empty())
          << path.filename() << ": " << mismatch << "\n  replay: " << replay_command(options);
    }
  }
}

}  // namespace
}  // namespace aethel::sim
