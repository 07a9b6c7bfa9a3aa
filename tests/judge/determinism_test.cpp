// Every validator must reach the same verdict and spend the same work on the
// same program, whatever it verified before, in whichever order and with
// however many worker processes. These tests judge the whole examples/
// corpus in-process (judge::judge_files) forward and shuffled, with one and
// with three workers, and require identical results per (file, result);
// they also prove one unit twice in a process with other proofs in between.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "judge/judge.h"
#include "judge/verdict.h"

namespace aethel::judge {
namespace {

namespace fs = std::filesystem;

fs::path source_dir() {
  if (const char* dir = std::getenv("AETHEL_SOURCE_DIR"); dir != nullptr && *dir != '\0') {
    return fs::path(dir);
  }
  return fs::current_path();
}

std::vector<std::string> corpus_paths() {
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(source_dir() / "examples")) {
    if (entry.is_regular_file() && entry.path().extension() == ".ae") {
      paths.push_back(entry.path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string value_text(const ModelValue& value) {
  if (const auto* number = std::get_if<std::string>(&value)) return *number;
  if (const auto* flag = std::get_if<bool>(&value)) return *flag ? "true" : "false";
  return "<secret>";
}

// Everything observable about one result, as one comparable string.
std::string describe(const UnitResult& result) {
  std::ostringstream out;
  out << (result.kind == UnitKind::kBatch ? "batch " : "intent ") << result.name << " "
      << verdict_name(result.verdict);
  out << " reason=" << (result.reason ? reason_name(*result.reason) : "-");
  if (result.failed) {
    out << " failed=" << result.failed->line << ":" << result.failed->text;
  } else {
    out << " failed=-";
  }
  out << " counterexample=";
  if (result.counterexample) {
    out << "{";
    for (const auto& entry : *result.counterexample) {
      out << entry.key << "=" << value_text(entry.value) << ";";
    }
    out << "}";
  } else {
    out << "-";
  }
  out << " work=" << result.work << " difficulty=" << result.difficulty << " note=" << result.note;
  return out.str();
}

// (file name, result name or "<error>") -> description.
using Snapshot = std::map<std::pair<std::string, std::string>, std::string>;

Snapshot snapshot(const std::vector<FileReport>& reports, const std::vector<std::string>& paths) {
  Snapshot out;
  EXPECT_EQ(reports.size(), paths.size());
  for (std::size_t f = 0; f < reports.size() && f < paths.size(); ++f) {
    const FileReport& report = reports[f];
    EXPECT_EQ(report.file, paths[f]) << "reports must come in the order of the paths";
    const std::string file = fs::path(report.file).filename().string();
    if (report.error) {
      std::ostringstream error;
      error << report.error->position.line << ":" << report.error->position.column << " "
            << report.error->message;
      out[{file, "<error>"}] = error.str();
      EXPECT_TRUE(report.results.empty()) << file;
    }
    std::ostringstream order;  // the order of results within the file
    for (const auto& result : report.results) {
      order << result.name << " ";
      const auto [it, inserted] = out.emplace(std::pair{file, result.name}, describe(result));
      EXPECT_TRUE(inserted) << file << ": result name " << result.name << " twice";
    }
    out[{file, "<order>"}] = order.str();
    std::ostringstream warnings;
    for (const auto& warning : report.warnings) {
      warnings << warning.position.line << ":" << warning.position.column << " "
               << warning.message << "\n";
    }
    out[{file, "<warnings>"}] = warnings.str();
  }
  return out;
}

Snapshot judge_corpus(const std::vector<std::string>& paths, unsigned workers) {
  Options options;
  options.workers = workers;
  return snapshot(judge_files(paths, options), paths);
}

void expect_same(const Snapshot& expected, const Snapshot& actual, const std::string& what) {
  EXPECT_EQ(expected.size(), actual.size()) << what;
  for (const auto& [key, description] : expected) {
    const auto found = actual.find(key);
    if (found == actual.end()) {
      ADD_FAILURE() << what << ": " << key.first << " " << key.second << " missing";
      continue;
    }
    EXPECT_EQ(found->second, description) << what << ": " << key.first << " " << key.second;
  }
}

// The golden file of examples_test.cpp pins the work the CLI reports; the
// in-process judge must agree with it line for line.
void expect_matches_golden(const Snapshot& snapshot_of_corpus,
                           const std::vector<FileReport>& reports) {
  const fs::path golden = source_dir() / "tests" / "judge" / "golden" / "examples_work.txt";
  if (!fs::exists(golden)) GTEST_SKIP() << golden << " does not exist yet";
  std::vector<std::string> expected;
  std::istringstream in(read_text(golden));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && !line.starts_with("#")) expected.push_back(line);
  }
  std::vector<std::string> actual;
  for (const auto& report : reports) {
    const std::string file = fs::path(report.file).filename().string();
    for (const auto& result : report.results) {
      actual.push_back(file + " " + result.name + " " + verdict_name(result.verdict) + " " +
                       std::to_string(result.work) + " " + std::to_string(result.difficulty));
    }
  }
  const std::set<std::string> expected_set(expected.begin(), expected.end());
  const std::set<std::string> actual_set(actual.begin(), actual.end());
  for (const auto& line : actual) {
    EXPECT_TRUE(expected_set.contains(line)) << "in-process result not in " << golden << ": " << line;
  }
  for (const auto& line : expected) {
    EXPECT_TRUE(actual_set.contains(line)) << "golden line not produced in-process: " << line;
  }
  EXPECT_EQ(actual.size(), expected.size());
  EXPECT_FALSE(snapshot_of_corpus.empty());
}

TEST(DeterminismTest, CorpusGivesIdenticalResultsInAnyOrderWithAnyWorkers) {
  const auto forward = corpus_paths();
  ASSERT_GE(forward.size(), 45u);
  auto shuffled = forward;
  std::mt19937 random(20240611u);  // fixed seed: the same shuffle every run
  std::shuffle(shuffled.begin(), shuffled.end(), random);
  ASSERT_NE(shuffled, forward);

  Options options;
  options.workers = 1;
  const auto baseline_reports = judge_files(forward, options);
  const Snapshot baseline = snapshot(baseline_reports, forward);

  std::size_t results = 0;
  for (const auto& report : baseline_reports) results += report.results.size();
  EXPECT_GE(results, 60u);

  expect_same(baseline, judge_corpus(forward, 3), "forward, 3 workers");
  expect_same(baseline, judge_corpus(shuffled, 1), "shuffled, 1 worker");
  expect_same(baseline, judge_corpus(shuffled, 3), "shuffled, 3 workers");
  expect_matches_golden(baseline, baseline_reports);
}

// Z3's resource count is per context: a unit proved after other proofs, some
// refuted, some out of budget, spends exactly the same work as before them.
TEST(DeterminismTest, SameUnitTwiceInOneProcessWithOtherProofsBetween) {
  const fs::path examples = source_dir() / "examples";
  const std::string transfer = read_text(examples / "spec_transfer.ae");
  ASSERT_FALSE(transfer.empty());
  Options options;

  const FileReport first = judge_source("spec_transfer.ae", transfer, options);
  ASSERT_FALSE(first.error.has_value());
  ASSERT_EQ(first.results.size(), 4u);

  // Other proofs in between: nonlinear, batches, refutations, budget runs.
  for (const char* other : {"vesting.ae", "budget_exhausted.ae", "nonlinear.ae",
                            "batch_payroll.ae", "secret_condition.ae", "division_facts.ae"}) {
    const FileReport report = judge_source(other, read_text(examples / other), options);
    EXPECT_FALSE(report.error.has_value()) << other;
    EXPECT_FALSE(report.results.empty()) << other;
  }

  const FileReport second = judge_source("spec_transfer.ae", transfer, options);
  ASSERT_EQ(second.results.size(), first.results.size());
  for (std::size_t i = 0; i < first.results.size(); ++i) {
    EXPECT_GT(first.results[i].work, 0u) << first.results[i].name;
    EXPECT_EQ(describe(first.results[i]), describe(second.results[i]));
  }

  // And once more, right after a proof that ran out of its budget.
  const FileReport budget =
      judge_source("budget_exhausted.ae", read_text(examples / "budget_exhausted.ae"), options);
  ASSERT_FALSE(budget.results.empty());
  EXPECT_EQ(budget.results[0].verdict, Verdict::kUnknown);
  const FileReport third = judge_source("spec_transfer.ae", transfer, options);
  ASSERT_EQ(third.results.size(), first.results.size());
  for (std::size_t i = 0; i < first.results.size(); ++i) {
    EXPECT_EQ(describe(first.results[i]), describe(third.results[i]));
  }
}

// Two intents with the same body and names of the same length in one file:
// the second is proved with exactly the work of the first, and the same
// intent in a different file, after other units, costs the same again.
TEST(DeterminismTest, IdenticalUnitsInOneFileSpendIdenticalWork) {
  const std::string body =
      "(sender: Balance, receiver: Balance, amount: Amount) {\n"
      "    guard { amount > 0; sender >= amount; receiver <= 9223372036854775807 - amount; }\n"
      "    solve { }\n"
      "    verify { sender == old_sender - amount; receiver == old_receiver + amount; }\n"
      "}\n";
  const std::string refuted_body =
      "(count: Int) {\n"
      "    guard { }\n"
      "    solve { }\n"
      "    verify { count == old_count + 1; }\n"
      "}\n";
  const std::string source = "intent pay_a" + body + "intent overflow_a" + refuted_body +
                             "intent pay_b" + body + "intent overflow_b" + refuted_body;
  Options options;
  const FileReport report = judge_source("twins.ae", source, options);
  ASSERT_FALSE(report.error.has_value()) << report.error->message;
  ASSERT_EQ(report.results.size(), 4u);
  const auto& pay_a = report.results[0];
  const auto& overflow_a = report.results[1];
  const auto& pay_b = report.results[2];
  const auto& overflow_b = report.results[3];
  EXPECT_EQ(pay_a.verdict, Verdict::kProved);
  EXPECT_EQ(overflow_a.verdict, Verdict::kRefuted);
  EXPECT_EQ(pay_a.work, pay_b.work);
  EXPECT_EQ(pay_a.difficulty, pay_b.difficulty);
  EXPECT_EQ(overflow_a.work, overflow_b.work);
  ASSERT_TRUE(overflow_a.counterexample && overflow_b.counterexample);
  ASSERT_EQ(overflow_a.counterexample->size(), overflow_b.counterexample->size());
  for (std::size_t i = 0; i < overflow_a.counterexample->size(); ++i) {
    EXPECT_EQ((*overflow_a.counterexample)[i].key, (*overflow_b.counterexample)[i].key);
    EXPECT_EQ(value_text((*overflow_a.counterexample)[i].value),
              value_text((*overflow_b.counterexample)[i].value));
  }

  // The same intent alone in its own file, judged after all of the above.
  const FileReport alone = judge_source("alone.ae", "intent pay_c" + body, options);
  ASSERT_EQ(alone.results.size(), 1u);
  EXPECT_EQ(alone.results[0].work, pay_a.work);
  EXPECT_EQ(alone.results[0].difficulty, pay_a.difficulty);
}

}  // namespace
}  // namespace aethel::judge
