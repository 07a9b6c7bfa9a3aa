// The worker pool (worker_pool.h): proving in worker processes gives
// exactly the results of proving in-process, in the order of the units,
// whatever the number of workers and units.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "judge/checker.h"
#include "judge/prover.h"
#include "judge/worker_pool.h"

namespace aethel::judge {
namespace {

// Units of every kind of result: PROVED, each REFUTED reason, UNKNOWN, a
// batch, secrets and values beyond 64 bits in counterexamples.
const char* const kMixedProgram = R"(
intent transfer(sender: Balance, receiver: Balance, amount: Amount) {
  guard { amount > 0; sender >= amount; receiver <= 9223372036854775807 - amount; }
  solve { priority: security; }
  verify { sender == old_sender - amount; receiver == old_receiver + amount; }
}
intent vacuous(a: Amount) { guard { a >= 0; a < 0; } solve {} verify {} }
intent divide(a: Int, b: Int) { guard { a / b > 0; } solve {} verify {} }
intent obligation(secret pin: Int, x: Int) {
  guard { pin == 1234; } solve {} verify { x == old_x + 1; x > 5; }
}
intent range(x: Int) { guard { x >= 9000000000000000000; } solve {} verify { x == old_x * 4; } }
intent mint(b: Balance) { guard { b < 10; } solve {} verify { b == old_b + 1; } }
intent starved(x: Int) { guard {} solve { budget: 1; } verify { x * x == old_x; } }
intent flags(f: Bool, a: Account, c: Account) {
  guard { a != c; } solve {} verify { f == true; old_f == true; }
}
atomic_batch swap {
  intent pay(a: Balance) { guard { a >= 5; } solve {} verify { a == old_a - 5; } }
  intent get(b: Balance) { guard { b <= 9223372036854775801; } solve {} verify { b == old_b + 6; } }
}
atomic_batch fine {
  intent pay(a: Balance) { guard { a >= 5; } solve {} verify { a == old_a - 5; } }
  intent get(b: Balance) { guard { b <= 9223372036854775802; } solve {} verify { b == old_b + 5; } }
}
)";

// A small default budget, so that programs of many intents stay within the
// program ceiling; the units here take a few thousand work units.
CheckedProgram check(const std::string& source) {
  auto checked = parse_and_check(source, Limits{}, 100'000);
  EXPECT_TRUE(checked.has_value()) << checked.error().position.line << ":"
                                   << checked.error().position.column << ": "
                                   << checked.error().message;
  if (!checked) return {};
  return std::move(*checked);
}

std::vector<const CheckedUnit*> pointers(const CheckedProgram& program) {
  std::vector<const CheckedUnit*> out;
  for (const auto& unit : program.units) out.push_back(&unit);
  return out;
}

std::vector<Bytes> in_process(const std::vector<const CheckedUnit*>& units) {
  std::vector<Bytes> out;
  for (const auto* unit : units) out.push_back(encode_unit_result(prove_unit(*unit)));
  return out;
}

void expect_identical(const std::vector<UnitResult>& results, const std::vector<Bytes>& expected,
                      const std::vector<const CheckedUnit*>& units, unsigned workers) {
  ASSERT_EQ(results.size(), expected.size()) << workers << " workers";
  for (std::size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(results[i].name, units[i]->name) << "result " << i << ", " << workers << " workers";
    EXPECT_EQ(encode_unit_result(results[i]), expected[i])
        << "result " << i << " (" << units[i]->name << "), " << workers << " workers";
  }
}

struct PoolCase {
  const char* name;
  unsigned workers;
};

void PrintTo(const PoolCase& test, std::ostream* out) { *out << test.name; }

class WorkerPool : public ::testing::TestWithParam<PoolCase> {};

TEST_P(WorkerPool, SameResultsAsInProcessInOrder) {
  const CheckedProgram program = check(kMixedProgram);
  const auto units = pointers(program);
  ASSERT_EQ(units.size(), 10u);
  const auto expected = in_process(units);
  expect_identical(prove_in_workers(units, GetParam().workers), expected, units,
                   GetParam().workers);
}

TEST_P(WorkerPool, NoUnits) {
  EXPECT_TRUE(prove_in_workers({}, GetParam().workers).empty());
}

TEST_P(WorkerPool, OneUnit) {
  const CheckedProgram program = check(kMixedProgram);
  for (std::size_t i : {std::size_t{0}, std::size_t{3}, std::size_t{8}}) {
    const std::vector<const CheckedUnit*> units = {&program.units.at(i)};
    expect_identical(prove_in_workers(units, GetParam().workers), in_process(units), units,
                     GetParam().workers);
  }
}

TEST_P(WorkerPool, TheSameUnitManyTimes) {
  const CheckedProgram program = check(kMixedProgram);
  std::vector<const CheckedUnit*> units;
  for (int i = 0; i < 6; ++i) {
    units.push_back(&program.units.at(3));  // REFUTED, with a secret
    units.push_back(&program.units.at(8));  // a batch
  }
  expect_identical(prove_in_workers(units, GetParam().workers), in_process(units), units,
                   GetParam().workers);
}

const PoolCase kPoolCases[] = {
    {"InProcess", 0}, {"OneWorker", 1}, {"TwoWorkers", 2},
    {"ThreeWorkers", 3}, {"EightWorkers", 8}, {"MoreWorkersThanUnits", 32},
};

INSTANTIATE_TEST_SUITE_P(Table, WorkerPool, ::testing::ValuesIn(kPoolCases),
                         [](const auto& test) { return std::string(test.param.name); });

// Many small units from several programs, in an interleaved order.
TEST(WorkerPoolMany, ManyUnitsKeepTheirOrder) {
  std::vector<CheckedProgram> programs;
  for (int p = 0; p < 4; ++p) {
    std::string source;
    for (int i = 0; i < 40; ++i) {
      const std::string name = fmt::format("p{}_i{}", p, i);
      switch ((p + i) % 4) {
        case 0:
          source += fmt::format(
              "intent {}(x: Int) {{ guard {{ x < {}; }} solve {{}} verify {{ x == old_x + 1; }} }}\n",
              name, i);
          break;
        case 1:
          source += fmt::format(
              "intent {}(b: Balance) {{ guard {{}} solve {{}} verify {{ b == old_b - {}; }} }}\n",
              name, i);
          break;
        case 2:
          source += fmt::format(
              "intent {}(a: Int, b: Int) {{ guard {{ b > {}; }} solve {{}} verify {{ a == old_a / b; }} }}\n",
              name, i);
          break;
        default:
          source += fmt::format(
              "intent {}(f: Bool) {{ guard {{}} solve {{}} verify {{ f == true; f != {}; }} }}\n",
              name, i % 2 == 0 ? "true" : "false");
      }
    }
    programs.push_back(check(source));
  }
  std::vector<const CheckedUnit*> units;
  for (std::size_t i = 0; i < 40; ++i) {
    for (const auto& program : programs) units.push_back(&program.units.at(i));
  }
  ASSERT_EQ(units.size(), 160u);
  const auto expected = in_process(units);
  for (unsigned workers : {2u, 5u}) {
    expect_identical(prove_in_workers(units, workers), expected, units, workers);
  }
}

TEST(WorkerPoolMany, RepeatedRunsAgree) {
  const CheckedProgram program = check(kMixedProgram);
  const auto units = pointers(program);
  const auto first = prove_in_workers(units, 4);
  const auto second = prove_in_workers(units, 3);
  ASSERT_EQ(first.size(), second.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(encode_unit_result(first[i]), encode_unit_result(second[i])) << i;
    EXPECT_EQ(first[i].work, second[i].work) << i;
  }
}

// 160 small units from four programs, interleaved.
std::vector<CheckedProgram> many_programs() {
  std::vector<CheckedProgram> programs;
  for (int p = 0; p < 4; ++p) {
    std::string source;
    for (int i = 0; i < 40; ++i) {
      source += fmt::format(
          "intent p{}_i{}(x: Int) {{ guard {{ x < {}; }} solve {{}} verify {{ x == old_x + {}; }} "
          "}}\n",
          p, i, i, (p + i) % 3);
    }
    programs.push_back(check(source));
  }
  return programs;
}

std::vector<const CheckedUnit*> interleaved(const std::vector<CheckedProgram>& programs) {
  std::vector<const CheckedUnit*> units;
  for (std::size_t i = 0; i < programs.front().units.size(); ++i) {
    for (const auto& program : programs) units.push_back(&program.units.at(i));
  }
  return units;
}

// A prover that kills its own process when it meets a unit `doomed` picks,
// but only inside a worker: in the test's process it proves normally.
UnitProver killing_prover(std::function<bool(const CheckedUnit&)> doomed) {
  const pid_t test_process = ::getpid();
  return [test_process, doomed = std::move(doomed)](const CheckedUnit& unit) {
    if (::getpid() != test_process && doomed(unit)) ::raise(SIGKILL);
    return prove_unit(unit);
  };
}

void expect_lost(const UnitResult& result, const CheckedUnit& unit) {
  EXPECT_EQ(result.name, unit.name);
  EXPECT_EQ(result.verdict, Verdict::kUnknown) << unit.name;
  EXPECT_TRUE(result.stopped_by_local_limit) << unit.name;
  EXPECT_EQ(result.work, 0u) << unit.name;
  EXPECT_EQ(encode_unit_result(result), encode_unit_result(unit_lost_with_worker(unit)));
}

TEST(WorkerPoolCrash, AWorkerKilledMidRunCostsOnlyTheUnitItHeld) {
  const auto programs = many_programs();
  const auto units = interleaved(programs);
  const auto expected = in_process(units);
  for (unsigned workers : {2u, 3u}) {
    const auto results = prove_in_workers(
        units, workers,
        killing_prover([](const CheckedUnit& unit) { return unit.name == "p2_i17"; }));
    ASSERT_EQ(results.size(), units.size());
    std::size_t lost = 0;
    for (std::size_t i = 0; i < units.size(); ++i) {
      if (units[i]->name == "p2_i17") {
        expect_lost(results[i], *units[i]);
        ++lost;
        continue;
      }
      EXPECT_EQ(encode_unit_result(results[i]), expected[i]) << units[i]->name;
    }
    EXPECT_EQ(lost, 1u);
  }
}

TEST(WorkerPoolCrash, EveryWorkerKilledLeavesItsUnitUnknownAndTheRestIsProvedHere) {
  const auto programs = many_programs();
  auto units = interleaved(programs);
  units.resize(12);
  const auto expected = in_process(units);
  for (unsigned workers : {2u, 4u}) {
    // Each worker dies on the first unit it takes: units 0 .. workers - 1.
    const auto results =
        prove_in_workers(units, workers, killing_prover([](const CheckedUnit&) { return true; }));
    ASSERT_EQ(results.size(), units.size());
    for (std::size_t i = 0; i < units.size(); ++i) {
      if (i < workers) {
        expect_lost(results[i], *units[i]);
      } else {
        EXPECT_EQ(encode_unit_result(results[i]), expected[i]) << units[i]->name;
      }
    }
  }
}

TEST(WorkerPoolCrash, TwoWorkersKilledOnDifferentUnitsLoseExactlyThose) {
  const auto programs = many_programs();
  const auto units = interleaved(programs);
  const auto expected = in_process(units);
  const auto doomed = [](const CheckedUnit& unit) {
    return unit.name == "p0_i3" || unit.name == "p3_i30";
  };
  const auto results = prove_in_workers(units, 3, killing_prover(doomed));
  ASSERT_EQ(results.size(), units.size());
  for (std::size_t i = 0; i < units.size(); ++i) {
    if (doomed(*units[i])) {
      expect_lost(results[i], *units[i]);
    } else {
      EXPECT_EQ(encode_unit_result(results[i]), expected[i]) << units[i]->name;
    }
  }
}

Bytes numbered_output(std::size_t item) {
  // Sizes from empty to beyond one read of the pool, so frames straddle reads.
  Bytes output((item * 7919) % 150'000);
  for (std::size_t b = 0; b < output.size(); ++b) {
    output[b] = static_cast<std::uint8_t>((item + b * 31) & 0xFF);
  }
  return output;
}

TEST(RunInWorkers, OutputsInIndexOrderWhateverTheirSize) {
  for (unsigned workers : {1u, 2u, 3u, 7u}) {
    const auto outputs = run_in_workers(40, workers, numbered_output);
    ASSERT_EQ(outputs.size(), 40u);
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      ASSERT_TRUE(outputs[i].has_value()) << i << ", " << workers << " workers";
      EXPECT_EQ(*outputs[i], numbered_output(i)) << i << ", " << workers << " workers";
    }
  }
  EXPECT_TRUE(run_in_workers(0, 2, numbered_output).empty());
}

TEST(RunInWorkers, AnExceptionInAWorkerCostsOnlyItsItem) {
  const pid_t test_process = ::getpid();
  const auto outputs = run_in_workers(30, 2, [test_process](std::size_t item) {
    if (item == 11 && ::getpid() != test_process) throw std::runtime_error("no output");
    return numbered_output(item);
  });
  ASSERT_EQ(outputs.size(), 30u);
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (i == 11) {
      EXPECT_FALSE(outputs[i].has_value());
    } else {
      ASSERT_TRUE(outputs[i].has_value()) << i;
      EXPECT_EQ(*outputs[i], numbered_output(i)) << i;
    }
  }
}

TEST(RunInWorkers, AWorkerThatExitsMidRunLeavesTheRestToItsSiblings) {
  const pid_t test_process = ::getpid();
  const auto outputs = run_in_workers(50, 3, [test_process](std::size_t item) {
    if (item == 20 && ::getpid() != test_process) ::_exit(0);
    return numbered_output(item);
  });
  ASSERT_EQ(outputs.size(), 50u);
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    EXPECT_EQ(outputs[i].has_value(), i != 20) << i;
    if (outputs[i]) {
      EXPECT_EQ(*outputs[i], numbered_output(i)) << i;
    }
  }
}

}  // namespace
TEST(RunInWorkers, AWatcherThatSaysStopEndsTheRunEarly) {
  for (unsigned workers : {1u, 2u, 3u}) {
    SCOPED_TRACE(workers);
    std::size_t seen = 0;
    // Slow items, so that the workers are still busy when the run stops.
    const auto slow_output = [](std::size_t item) {
      ::usleep(2'000);
      return Bytes{static_cast<std::uint8_t>(item & 0xFF)};
    };
    const auto outputs = run_in_workers(200, workers, slow_output,
                                        [&seen](std::size_t, const Bytes&) { return ++seen < 10; });
    std::size_t done = 0;
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      if (!outputs[i]) continue;
      ++done;
      EXPECT_EQ(*outputs[i], slow_output(i));
    }
    // The ten seen, and the items the workers held when it stopped (with
    // slack for a parent slow to read on a loaded machine).
    EXPECT_GE(done, 10u);
    EXPECT_LE(done, 10u + 4 * workers);
    if (workers == 1) {
      for (std::size_t i = 0; i < outputs.size(); ++i) EXPECT_EQ(outputs[i].has_value(), i < 10);
    }
  }
}

TEST(WorkerPoolWatch, UnitsNeverStartedAreLeftWithoutAResult) {
  const CheckedProgram program = check(kMixedProgram);
  const auto units = pointers(program);
  ASSERT_GE(units.size(), 4u);
  for (unsigned workers : {1u, 2u}) {
    SCOPED_TRACE(workers);
    std::size_t seen = 0;
    const auto results = prove_in_workers(units, workers, prove_unit,
                                          [&seen](const UnitResult&) { return ++seen < 2; });
    std::size_t proved = 0;
    for (const auto& result : results) proved += result.has_value() ? 1u : 0u;
    EXPECT_GE(proved, 2u);
    if (workers == 1) {
      EXPECT_EQ(proved, 2u);
    }
  }
}

}  // namespace aethel::judge
