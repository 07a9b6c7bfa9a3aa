// The worker pool (worker_pool.h): proving in worker processes gives
// exactly the results of proving in-process, in the order of the units,
// whatever the number of workers and units.
#include <gtest/gtest.h>

#include <ostream>
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

}  // namespace
}  // namespace aethel::judge
