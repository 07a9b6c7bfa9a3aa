// Reports (report.h): the JSON document's exact shape and types, exact big
// integers, string escaping, the text output, warnings, and the exit status
// of `aethel check`, also through the real command-line program.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "judge/judge.h"
#include "judge/report.h"

namespace aethel::judge {
namespace {

using Json = nlohmann::ordered_json;

std::set<std::string> keys_of(const Json& object) {
  std::set<std::string> keys;
  for (const auto& item : object.items()) keys.insert(item.key());
  return keys;
}

UnitResult proved(std::string name, std::uint64_t work = 100) {
  UnitResult result;
  result.name = std::move(name);
  result.verdict = Verdict::kProved;
  result.work = work;
  result.difficulty = difficulty_of(work, 50);
  return result;
}

UnitResult refuted() {
  UnitResult result;
  result.name = "transfer";
  result.verdict = Verdict::kRefuted;
  result.reason = Reason::kRange;
  result.failed = FailedCondition{10, "receiver == old_receiver + amount"};
  result.counterexample = std::vector<CounterexampleEntry>{
      {"old_receiver", std::string("9223372036854775807")},
      {"receiver", std::string("123456789012345678901234567890")},
      {"old_debt", std::string("-98765432109876543210987654321")},
      {"debt", std::string("0")},
      {"old_flag", false},
      {"flag", true},
      {"old_pin", SecretValue{}},
      {"pin", SecretValue{}},
  };
  result.work = 1234;
  result.difficulty = 17;
  return result;
}

UnitResult unknown_batch() {
  UnitResult result;
  result.name = "swap";
  result.kind = UnitKind::kBatch;
  result.verdict = Verdict::kUnknown;
  result.reason = Reason::kBudget;
  result.note = "the budget of 2 work units ran out during the guard satisfiability check";
  result.work = 83;
  result.difficulty = 3;
  return result;
}

FileReport invalid_file(std::string name) {
  FileReport report;
  report.file = std::move(name);
  report.error = Diagnostic{ErrorCode::kSyntax, {3, 14}, "'=' is not an operator: write '==' to compare values"};
  return report;
}

std::vector<FileReport> sample_reports() {
  FileReport first;
  first.file = "a.ae";
  first.results = {proved("ok"), refuted(), unknown_batch()};
  FileReport empty;
  empty.file = "empty.ae";
  return {first, invalid_file("bad.ae"), empty};
}

// ---------------------------------------------------------------------------
// JSON.

void expect_result_shape(const Json& result) {
  ASSERT_TRUE(result.is_object());
  EXPECT_EQ(keys_of(result),
            (std::set<std::string>{"name", "kind", "verdict", "reason", "failed",
                                   "counterexample", "work", "difficulty"}));
  // And in this order.
  std::vector<std::string> order;
  for (const auto& item : result.items()) order.push_back(item.key());
  EXPECT_EQ(order, (std::vector<std::string>{"name", "kind", "verdict", "reason", "failed",
                                             "counterexample", "work", "difficulty"}));
  EXPECT_TRUE(result["name"].is_string());
  ASSERT_TRUE(result["kind"].is_string());
  EXPECT_TRUE(result["kind"] == "intent" || result["kind"] == "batch") << result["kind"];
  ASSERT_TRUE(result["verdict"].is_string());
  const std::string verdict = result["verdict"];
  EXPECT_TRUE(verdict == "PROVED" || verdict == "REFUTED" || verdict == "UNKNOWN") << verdict;
  if (verdict == "PROVED") {
    EXPECT_TRUE(result["reason"].is_null());
    EXPECT_TRUE(result["failed"].is_null());
    EXPECT_TRUE(result["counterexample"].is_null());
  } else {
    ASSERT_TRUE(result["reason"].is_string());
    const std::set<std::string> reasons = {"VACUOUS_GUARD", "DIVISION_BY_ZERO", "OBLIGATION",
                                           "RANGE", "CONSERVATION", "BUDGET"};
    EXPECT_TRUE(reasons.contains(result["reason"].get<std::string>())) << result["reason"];
  }
  if (!result["failed"].is_null()) {
    ASSERT_TRUE(result["failed"].is_object());
    EXPECT_EQ(keys_of(result["failed"]), (std::set<std::string>{"line", "text"}));
    EXPECT_TRUE(result["failed"]["line"].is_number_unsigned());
    EXPECT_TRUE(result["failed"]["text"].is_string());
  }
  if (!result["counterexample"].is_null()) {
    ASSERT_TRUE(result["counterexample"].is_object());
    for (const auto& item : result["counterexample"].items()) {
      const Json& value = item.value();
      EXPECT_TRUE(value.is_number_integer() || value.is_number_float() || value.is_boolean() ||
                  value == "<secret>")
          << item.key() << ": " << value.dump();
    }
  }
  EXPECT_TRUE(result["work"].is_number_unsigned());
  EXPECT_TRUE(result["difficulty"].is_number_unsigned());
}

void expect_document_shape(const Json& document) {
  ASSERT_TRUE(document.is_object());
  EXPECT_EQ(keys_of(document), std::set<std::string>{"files"});
  ASSERT_TRUE(document["files"].is_array());
  for (const Json& file : document["files"]) {
    ASSERT_TRUE(file.is_object());
    EXPECT_EQ(keys_of(file), (std::set<std::string>{"file", "error", "results"}));
    EXPECT_TRUE(file["file"].is_string());
    ASSERT_TRUE(file["results"].is_array());
    if (file["error"].is_null()) {
      for (const Json& result : file["results"]) expect_result_shape(result);
    } else {
      ASSERT_TRUE(file["error"].is_object());
      EXPECT_EQ(keys_of(file["error"]), (std::set<std::string>{"line", "column", "message"}));
      EXPECT_TRUE(file["error"]["line"].is_number_unsigned());
      EXPECT_TRUE(file["error"]["column"].is_number_unsigned());
      EXPECT_TRUE(file["error"]["message"].is_string());
      EXPECT_TRUE(file["results"].empty());
    }
  }
}

TEST(ReportJson, HasTheDocumentedShape) {
  const auto reports = sample_reports();
  const std::string text = report_json(reports);
  EXPECT_TRUE(text.ends_with("}\n"));
  const Json document = Json::parse(text);
  expect_document_shape(document);
  const Json& files = document["files"];
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0]["file"], "a.ae");
  EXPECT_TRUE(files[0]["error"].is_null());
  ASSERT_EQ(files[0]["results"].size(), 3u);

  const Json& ok = files[0]["results"][0];
  EXPECT_EQ(ok["name"], "ok");
  EXPECT_EQ(ok["kind"], "intent");
  EXPECT_EQ(ok["verdict"], "PROVED");
  EXPECT_EQ(ok["work"], 100u);
  EXPECT_EQ(ok["difficulty"], difficulty_of(100, 50));

  const Json& bad = files[0]["results"][1];
  EXPECT_EQ(bad["verdict"], "REFUTED");
  EXPECT_EQ(bad["reason"], "RANGE");
  EXPECT_EQ(bad["failed"]["line"], 10u);
  EXPECT_EQ(bad["failed"]["text"], "receiver == old_receiver + amount");
  const Json& values = bad["counterexample"];
  std::vector<std::string> order;
  for (const auto& item : values.items()) order.push_back(item.key());
  EXPECT_EQ(order, (std::vector<std::string>{"old_receiver", "receiver", "old_debt", "debt",
                                             "old_flag", "flag", "old_pin", "pin"}));
  EXPECT_EQ(values["old_receiver"].get<std::uint64_t>(), 9223372036854775807u);
  EXPECT_EQ(values["debt"], 0);
  EXPECT_EQ(values["old_flag"], false);
  EXPECT_EQ(values["flag"], true);
  EXPECT_EQ(values["old_pin"], "<secret>");
  EXPECT_EQ(values["pin"], "<secret>");
  EXPECT_EQ(bad["work"], 1234u);
  EXPECT_EQ(bad["difficulty"], 17u);

  const Json& batch = files[0]["results"][2];
  EXPECT_EQ(batch["kind"], "batch");
  EXPECT_EQ(batch["verdict"], "UNKNOWN");
  EXPECT_EQ(batch["reason"], "BUDGET");
  EXPECT_TRUE(batch["failed"].is_null());
  EXPECT_TRUE(batch["counterexample"].is_null());

  EXPECT_EQ(files[1]["file"], "bad.ae");
  EXPECT_EQ(files[1]["error"]["line"], 3u);
  EXPECT_EQ(files[1]["error"]["column"], 14u);
  EXPECT_EQ(files[1]["error"]["message"], "'=' is not an operator: write '==' to compare values");
  EXPECT_TRUE(files[1]["results"].empty());

  EXPECT_TRUE(files[2]["error"].is_null());
  EXPECT_TRUE(files[2]["results"].empty());
}

TEST(ReportJson, EmptyReportList) {
  EXPECT_EQ(report_json({}), "{\"files\":[]}\n");
  expect_document_shape(Json::parse(report_json({})));
}

TEST(ReportJson, BigIntegersAreWrittenExactly) {
  const std::string text = report_json(sample_reports());
  // Beyond 2^64 either way: the digits are written as they are.
  EXPECT_NE(text.find("\"receiver\":123456789012345678901234567890,"), std::string::npos) << text;
  EXPECT_NE(text.find("\"old_debt\":-98765432109876543210987654321,"), std::string::npos) << text;
  EXPECT_NE(text.find("\"old_receiver\":9223372036854775807,"), std::string::npos) << text;
  // Still valid JSON numbers.
  const Json document = Json::parse(text);
  EXPECT_TRUE(document["files"][0]["results"][1]["counterexample"]["receiver"].is_number());
}

TEST(ReportJson, BigIntegersFromTheProverAreExact) {
  const FileReport report = judge_source(
      "big.ae",
      "intent t(x: Int) {\n  guard { x >= 9000000000000000000; }\n  solve {}\n"
      "  verify { x == old_x * 4; }\n}\n",
      Options{});
  ASSERT_FALSE(report.error.has_value());
  const auto& entries = report.results.at(0).counterexample.value();
  const std::string text = report_json({report});
  for (const auto& entry : entries) {
    const std::string digits = std::get<std::string>(entry.value);
    EXPECT_NE(text.find("\"" + entry.key + "\":" + digits), std::string::npos) << text;
  }
  expect_document_shape(Json::parse(text));
}

struct EscapeCase {
  const char* name;
  std::string file;
};

void PrintTo(const EscapeCase& test, std::ostream* out) { *out << test.name; }

class ReportJsonEscaping : public ::testing::TestWithParam<EscapeCase> {};

TEST_P(ReportJsonEscaping, FileNamesRoundTrip) {
  FileReport with_result;
  with_result.file = GetParam().file;
  with_result.results = {proved("ok")};
  FileReport with_error = invalid_file(GetParam().file);
  with_error.error->message = "message with " + GetParam().file;
  const std::string text = report_json({with_result, with_error});
  // No raw control character survives.
  for (char c : text.substr(0, text.size() - 1)) {
    EXPECT_GE(static_cast<unsigned char>(c), 0x20u) << "raw control byte in " << text;
  }
  const Json document = Json::parse(text);
  expect_document_shape(document);
  EXPECT_EQ(document["files"][0]["file"].get<std::string>(), GetParam().file);
  EXPECT_EQ(document["files"][1]["file"].get<std::string>(), GetParam().file);
  EXPECT_EQ(document["files"][1]["error"]["message"].get<std::string>(),
            "message with " + GetParam().file);
}

const EscapeCase kEscapeCases[] = {
    {"Plain", "dir/file.ae"},
    {"Quote", "a\"b.ae"},
    {"QuotesOnly", "\"\"\""},
    {"Backslash", "C:\\dir\\file.ae"},
    {"TrailingBackslash", "x\\"},
    {"Newline", "a\nb.ae"},
    {"CarriageReturnAndTab", "a\r\tb"},
    {"Nul", std::string("a\0b", 3)},
    {"ControlCharacters", "\x01\x02\x1b\x1f"},
    {"Delete", "a\x7f"},
    {"Slash", "a/b"},
    {"NonAscii", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80.ae"},
    {"Everything", "\"\\\n\r\t\b\f\x01 end"},
    {"Empty", ""},
};

INSTANTIATE_TEST_SUITE_P(Table, ReportJsonEscaping, ::testing::ValuesIn(kEscapeCases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(ReportJson, ControlCharactersUseShortOrUnicodeEscapes) {
  FileReport report;
  report.file = std::string("\"\\\n\r\t\x01\x1f", 7);
  const std::string text = report_json({report});
  EXPECT_NE(text.find(R"("file":"\"\\\n\r\t\u0001\u001f")"), std::string::npos) << text;
}

// Not in the language specification, but JSON text must be UTF-8 (RFC 8259)
// and file names on POSIX systems are arbitrary bytes.
TEST(ReportJson, NonUtf8FileNameStillGivesValidJson) {
  FileReport report;
  report.file = "bad\xFF.ae";
  report.results = {proved("ok")};
  EXPECT_TRUE(Json::accept(report_json({report})));
}

// ---------------------------------------------------------------------------
// Text.

TEST(ReportText, ShowsResultsErrorsAndASummary) {
  const std::string text = report_text(sample_reports());
  const std::vector<std::string> expected_lines = {
      "a.ae\n",
      fmt::format("  PROVED   ok  (work 100, difficulty {})\n", difficulty_of(100, 50)),
      "  REFUTED  transfer  RANGE  (work 1234, difficulty 17)\n",
      "           line 10: receiver == old_receiver + amount\n",
      "           counterexample: old_receiver=9223372036854775807 "
      "receiver=123456789012345678901234567890 old_debt=-98765432109876543210987654321 debt=0 "
      "old_flag=false flag=true old_pin=<secret> pin=<secret>\n",
      "  UNKNOWN  batch swap  BUDGET  (work 83, difficulty 3)\n",
      "           the budget of 2 work units ran out during the guard satisfiability check\n",
      "bad.ae:3:14: INVALID: '=' is not an operator: write '==' to compare values\n",
      "empty.ae\n",
      "3 results: 1 PROVED, 1 REFUTED, 1 UNKNOWN; 1 of 3 files INVALID\n",
  };
  std::string joined;
  for (const auto& line : expected_lines) joined += line;
  EXPECT_EQ(text, joined);
}

TEST(ReportText, EmptyReportList) {
  EXPECT_EQ(report_text({}), "0 results: 0 PROVED, 0 REFUTED, 0 UNKNOWN; 0 of 0 files INVALID\n");
}

TEST(ReportText, FromTheJudge) {
  const FileReport report = judge_source(
      "t.ae",
      "intent t(b: Balance) {\n  guard {}\n  solve {}\n  verify { b == old_b - 1; }\n}\n",
      Options{});
  const std::string text = report_text({report});
  EXPECT_NE(text.find("REFUTED  t  RANGE"), std::string::npos) << text;
  EXPECT_NE(text.find("line 4: b == old_b - 1"), std::string::npos) << text;
  EXPECT_NE(text.find("counterexample: old_b="), std::string::npos) << text;
  EXPECT_NE(text.find("1 results: 0 PROVED, 1 REFUTED, 0 UNKNOWN; 0 of 1 files INVALID"),
            std::string::npos)
      << text;
}

TEST(ReportWarnings, OneLinePerWarning) {
  const FileReport report = judge_source(
      "w.ae", "intent t(x: Money, y: Cash) { guard {} solve {} verify {} }\n", Options{});
  ASSERT_FALSE(report.error.has_value());
  EXPECT_EQ(report_warnings({report}),
            "w.ae:1:13: warning: unknown type 'Money' for 'x' is treated as Int\n"
            "w.ae:1:23: warning: unknown type 'Cash' for 'y' is treated as Int\n");
  EXPECT_EQ(report_warnings(sample_reports()), "");
}

// ---------------------------------------------------------------------------
// Exit status: 0 when every result is PROVED, 2 when any file is INVALID,
// otherwise 1.

struct ExitCase {
  const char* name;
  std::vector<FileReport> reports;
  int status;
};

void PrintTo(const ExitCase& test, std::ostream* out) { *out << test.name; }

FileReport file_with(std::vector<UnitResult> results) {
  FileReport report;
  report.file = "f.ae";
  report.results = std::move(results);
  return report;
}

UnitResult with_verdict(Verdict verdict) {
  UnitResult result = proved("r");
  result.verdict = verdict;
  if (verdict == Verdict::kRefuted) result.reason = Reason::kObligation;
  if (verdict == Verdict::kUnknown) result.reason = Reason::kBudget;
  return result;
}

class ReportExitStatus : public ::testing::TestWithParam<ExitCase> {};

TEST_P(ReportExitStatus, FollowsTheRules) {
  EXPECT_EQ(check_exit_status(GetParam().reports), GetParam().status);
}

const UnitResult kProvedResult = with_verdict(Verdict::kProved);
const UnitResult kRefutedResult = with_verdict(Verdict::kRefuted);
const UnitResult kUnknownResult = with_verdict(Verdict::kUnknown);

const ExitCase kExitCases[] = {
    {"NoFiles", {}, 0},
    {"FileWithoutResults", {file_with({})}, 0},
    {"AllProved", {file_with({kProvedResult, kProvedResult}), file_with({kProvedResult})}, 0},
    {"OneRefuted", {file_with({kProvedResult, kRefutedResult})}, 1},
    {"OneUnknown", {file_with({kUnknownResult}), file_with({kProvedResult})}, 1},
    {"RefutedAndUnknown", {file_with({kRefutedResult, kUnknownResult})}, 1},
    {"Invalid", {invalid_file("x.ae")}, 2},
    {"InvalidAfterProved", {file_with({kProvedResult}), invalid_file("x.ae")}, 2},
    {"InvalidBeforeRefuted", {invalid_file("x.ae"), file_with({kRefutedResult})}, 2},
    {"RefutedBeforeInvalid", {file_with({kRefutedResult}), invalid_file("x.ae")}, 2},
};

INSTANTIATE_TEST_SUITE_P(Table, ReportExitStatus, ::testing::ValuesIn(kExitCases),
                         [](const auto& test) { return std::string(test.param.name); });

// ---------------------------------------------------------------------------
// The command-line program: `aethel check` prints the same JSON as
// report_json(judge_files(...)) and exits with check_exit_status.

class AethelCheckCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 (fmt::format("aethel_report_test_{}", ::getpid()) + "_" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }

  std::string write(const std::string& name, const std::string& contents) {
    const auto path = directory_ / name;
    std::ofstream(path, std::ios::binary) << contents;
    return path.string();
  }

  struct Run {
    int status = -1;
    std::string out;
  };

  static Run run(const std::vector<std::string>& arguments) {
    std::string command = std::string(AETHEL_BINARY) + " check";
    for (const auto& argument : arguments) command += " '" + argument + "'";
    command += " 2>/dev/null";
    Run result;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return result;
    char buffer[4096];
    std::size_t got = 0;
    while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, got);
    const int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
  }

  std::filesystem::path directory_;
};

const char* const kProvedProgram =
    "intent keep(b: Balance) { guard {} solve {} verify { b == old_b; } }\n";
const char* const kRefutedProgram =
    "intent burn(b: Balance) { guard {} solve {} verify { b == old_b - 1; } }\n";
const char* const kInvalidProgram = "intent broken() { guard { a = 1; } solve {} verify {} }\n";

TEST_F(AethelCheckCommand, ExitStatusZeroWhenAllProved) {
  const Run result = run({write("a.ae", kProvedProgram), write("b.ae", kProvedProgram),
                          "--threads", "1"});
  EXPECT_EQ(result.status, 0) << result.out;
  EXPECT_NE(result.out.find("2 results: 2 PROVED"), std::string::npos) << result.out;
}

TEST_F(AethelCheckCommand, ExitStatusOneWhenRefuted) {
  const Run result = run({write("a.ae", kProvedProgram), write("b.ae", kRefutedProgram),
                          "--threads", "1"});
  EXPECT_EQ(result.status, 1) << result.out;
}

TEST_F(AethelCheckCommand, ExitStatusTwoWhenInvalid) {
  const Run result = run({write("a.ae", kRefutedProgram), write("b.ae", kInvalidProgram),
                          write("c.ae", kProvedProgram), "--threads", "1"});
  EXPECT_EQ(result.status, 2) << result.out;
  EXPECT_NE(result.out.find("b.ae:1:29: INVALID:"), std::string::npos) << result.out;
}

TEST_F(AethelCheckCommand, ExitStatusTwoForAMissingFile) {
  const Run result = run({write("a.ae", kProvedProgram), (directory_ / "missing.ae").string()});
  EXPECT_EQ(result.status, 2) << result.out;
}

TEST_F(AethelCheckCommand, JsonOutputMatchesTheLibrary) {
  const std::vector<std::string> files = {write("a.ae", kProvedProgram),
                                          write("b.ae", kRefutedProgram),
                                          write("c.ae", kInvalidProgram)};
  std::vector<std::string> arguments = files;
  arguments.insert(arguments.end(), {"--json", "--threads", "2"});
  const Run result = run(arguments);
  EXPECT_EQ(result.status, 2);
  const Json document = Json::parse(result.out);
  expect_document_shape(document);
  Options options;
  options.workers = 1;
  EXPECT_EQ(result.out, report_json(judge_files(files, options)));
  ASSERT_EQ(document["files"].size(), 3u);
  EXPECT_EQ(document["files"][0]["results"][0]["verdict"], "PROVED");
  EXPECT_EQ(document["files"][1]["results"][0]["reason"], "RANGE");
  EXPECT_EQ(document["files"][2]["error"]["line"], 1u);
  EXPECT_EQ(document["files"][2]["error"]["column"], 29u);
}

TEST_F(AethelCheckCommand, BudgetOptionApplies) {
  const std::string file = write(
      "t.ae",
      "intent t(sender: Balance, receiver: Balance, amount: Amount) { guard { amount > 0;"
      " sender >= amount; receiver <= 9223372036854775807 - amount; } solve {} verify {"
      " sender == old_sender - amount; receiver == old_receiver + amount; } }\n");
  const Run tiny = run({file, "--json", "--budget", "1", "--threads", "1"});
  EXPECT_EQ(tiny.status, 1);
  EXPECT_EQ(Json::parse(tiny.out)["files"][0]["results"][0]["reason"], "BUDGET");
  const Run ample = run({file, "--json", "--threads", "1"});
  EXPECT_EQ(ample.status, 0) << ample.out;
}

}  // namespace
}  // namespace aethel::judge
