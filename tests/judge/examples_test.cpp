// Runs the real `aethel check` binary over every program in examples/ and
// checks each result against the expectations written in the program itself
// (the `# expect` lines documented in examples/README.md): verdicts, reasons,
// failed conditions, INVALID positions and messages, redaction of secrets,
// warnings, exit status and the order of files. The work and difficulty of
// every result are pinned in tests/judge/golden/examples_work.txt; run with
// AETHEL_UPDATE_GOLDEN=1 to rewrite that file after an intended change.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // keeps the printed order of keys

// ---------------------------------------------------------------------------
// Locations

fs::path source_dir() {
  if (const char* dir = std::getenv("AETHEL_SOURCE_DIR"); dir != nullptr && *dir != '\0') {
    return fs::path(dir);
  }
  return fs::current_path();
}

fs::path examples_dir() { return source_dir() / "examples"; }
fs::path golden_path() { return source_dir() / "tests" / "judge" / "golden" / "examples_work.txt"; }

// Every example, sorted by file name so that runs are reproducible.
std::vector<fs::path> example_paths() {
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(examples_dir())) {
    if (entry.is_regular_file() && entry.path().extension() == ".ae") paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// ---------------------------------------------------------------------------
// Running the binary

struct Invocation {
  int status = -1;  // exit status, or -1 when the process did not exit normally
  std::string out;
  std::string err;
};

class TempFile {
 public:
  TempFile() {
    std::string pattern = (fs::temp_directory_path() / "aethel_examples_XXXXXX").string();
    fd_ = ::mkstemp(pattern.data());
    path_ = pattern;
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    std::error_code ignored;
    fs::remove(path_, ignored);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  int fd() const { return fd_; }
  const fs::path& path() const { return path_; }

 private:
  int fd_ = -1;
  fs::path path_;
};

// Runs `aethel ARGS...`, capturing stdout and stderr in temporary files (no
// pipes, so a large output cannot block the child).
Invocation run_aethel(const std::vector<std::string>& args) {
  TempFile out;
  TempFile err;
  Invocation run;
  if (out.fd() < 0 || err.fd() < 0) {
    ADD_FAILURE() << "cannot create temporary files";
    return run;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out.fd(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.fd(), STDERR_FILENO);
  std::vector<std::string> argv_strings;
  argv_strings.push_back(AETHEL_BINARY);
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = posix_spawn(&pid, AETHEL_BINARY, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    ADD_FAILURE() << "cannot run " << AETHEL_BINARY << ": " << std::strerror(spawned);
    return run;
  }
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  run.status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  EXPECT_TRUE(WIFEXITED(wait_status)) << "aethel did not exit normally (signal "
                                      << (WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0)
                                      << ")";
  run.out = read_bytes(out.path());
  run.err = read_bytes(err.path());
  return run;
}

Invocation check_json(const std::vector<fs::path>& paths, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"check", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  for (const auto& path : paths) args.push_back(path.string());
  return run_aethel(args);
}

// A member of a JSON object, or null when it is missing (operator[] on a
// const json must not be used with a missing key).
const json& field(const json& object, const char* key) {
  static const json null_value;
  if (!object.is_object()) return null_value;
  const auto found = object.find(key);
  return found == object.end() ? null_value : *found;
}

// The JSON report writes integers exactly, whatever their size; values after
// a transition may leave 64 bits, which a JSON library would round. Quote
// every number outside strings so that it is kept exactly, as text.
std::string quote_numbers(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size()) {
        out.push_back(text[++i]);
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      out.push_back(c);
      continue;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      std::size_t end = i;
      while (end < text.size() && std::strchr("-+.eE0123456789", text[end]) != nullptr) ++end;
      out.push_back('"');
      out.append(text.substr(i, end - i));
      out.push_back('"');
      i = end - 1;
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// Parses the JSON report: checks that it is valid JSON as printed, then
// returns it with every number as an exact decimal string.
json parse_report(const std::string& out) {
  EXPECT_TRUE(json::accept(out)) << "stdout is not valid JSON:\n" << out.substr(0, 2000);
  json report = json::parse(quote_numbers(out), nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(report.is_discarded()) << "cannot parse the report";
  if (report.is_discarded() || !report.is_object() || !report.contains("files") ||
      !field(report, "files").is_array()) {
    ADD_FAILURE() << "the report has no \"files\" array";
    return json{{"files", json::array()}};
  }
  return report;
}

std::uint64_t as_u64(const json& value) {
  if (!value.is_string()) return 0;
  return std::stoull(value.get<std::string>());
}

// ---------------------------------------------------------------------------
// Expectations

struct ResultExpectation {
  std::string name;
  std::string verdict;  // PROVED, REFUTED, UNKNOWN
  std::string reason;   // empty for PROVED
  std::optional<std::uint32_t> line;
  std::optional<std::string> text;
};

struct Position {
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string message;
};

struct FileExpectation {
  fs::path path;
  std::string file;  // file name only
  std::optional<Position> invalid;
  bool no_results = false;
  std::vector<ResultExpectation> results;
  std::map<std::string, std::vector<std::string>> redacted;
  std::map<std::string, std::vector<std::string>> keys;
  std::vector<std::tuple<std::string, std::string, std::string>> values;
  std::map<std::string, std::uint64_t> budgets;  // result -> its budget in work units
  std::vector<std::string> hidden;
  std::vector<Position> warnings;
  std::vector<std::string> problems;  // malformed expectation lines

  bool all_proved() const {
    return !invalid && std::all_of(results.begin(), results.end(),
                                   [](const auto& r) { return r.verdict == "PROVED"; });
  }
  int exit_status() const {
    if (invalid) return 2;
    return all_proved() ? 0 : 1;
  }
};

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  std::string word;
  while (in >> word) words.push_back(word);
  return words;
}

std::string trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return "";
  const auto end = text.find_last_not_of(" \t\r");
  return std::string(text.substr(begin, end - begin + 1));
}

// "L:C rest" -> Position, or nullopt.
std::optional<Position> parse_position(std::string_view text) {
  const std::string body = trim(text);
  const auto space = body.find(' ');
  const std::string where = body.substr(0, space);
  const auto colon = where.find(':');
  if (colon == std::string::npos) return std::nullopt;
  try {
    Position position;
    std::size_t used = 0;
    position.line = static_cast<std::uint32_t>(std::stoul(where.substr(0, colon), &used));
    if (used != colon) return std::nullopt;
    position.column = static_cast<std::uint32_t>(std::stoul(where.substr(colon + 1), &used));
    if (used != where.size() - colon - 1) return std::nullopt;
    position.message = space == std::string::npos ? "" : trim(body.substr(space + 1));
    return position;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

const std::set<std::string>& reasons() {
  static const std::set<std::string> all = {"VACUOUS_GUARD", "DIVISION_BY_ZERO", "OBLIGATION",
                                            "RANGE", "CONSERVATION"};
  return all;
}

void parse_result_line(FileExpectation& expectation, const std::string& body,
                       const std::string& raw) {
  const auto problem = [&](const std::string& why) {
    expectation.problems.push_back(why + ": " + raw);
  };
  if (body == "NO RESULTS") {
    expectation.no_results = true;
    return;
  }
  if (body.starts_with("INVALID ")) {
    auto position = parse_position(std::string_view(body).substr(8));
    if (!position || position->message.empty()) return problem("expected INVALID LINE:COLUMN MESSAGE");
    if (expectation.invalid) return problem("a second INVALID line");
    expectation.invalid = *position;
    return;
  }
  // NAME VERDICT ...; the failed text after "line N:" may contain anything.
  ResultExpectation result;
  std::string head = body;
  if (const auto text_at = body.find(": "); text_at != std::string::npos) {
    head = body.substr(0, text_at);
    result.text = body.substr(text_at + 2);
  }
  const auto words = split_words(head);
  if (words.size() < 2) return problem("expected NAME VERDICT");
  result.name = words[0];
  result.verdict = words[1];
  if (result.verdict == "PROVED") {
    if (words.size() != 2 || result.text) return problem("PROVED takes nothing more");
  } else if (result.verdict == "UNKNOWN") {
    if (words.size() != 3 || words[2] != "BUDGET" || result.text) {
      return problem("expected NAME UNKNOWN BUDGET");
    }
    result.reason = "BUDGET";
  } else if (result.verdict == "REFUTED") {
    if (words.size() != 5 || !reasons().contains(words[2]) || words[3] != "line") {
      return problem("expected NAME REFUTED REASON line N[: TEXT]");
    }
    result.reason = words[2];
    try {
      result.line = static_cast<std::uint32_t>(std::stoul(words[4]));
    } catch (const std::exception&) {
      return problem("bad line number");
    }
  } else {
    return problem("unknown verdict");
  }
  expectation.results.push_back(std::move(result));
}

FileExpectation parse_expectations(const fs::path& path) {
  FileExpectation expectation;
  expectation.path = path;
  expectation.file = path.filename().string();
  std::istringstream in(read_bytes(path));
  std::string raw;
  bool any_result_line = false;
  while (std::getline(in, raw)) {
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    if (!raw.starts_with("# expect")) continue;
    const auto colon = raw.find(':');
    if (colon == std::string::npos) {
      expectation.problems.push_back("no ':' in " + raw);
      continue;
    }
    const std::string directive = raw.substr(2, colon - 2);
    const std::string body = trim(std::string_view(raw).substr(colon + 1));
    if (directive == "expect") {
      any_result_line = true;
      parse_result_line(expectation, body, raw);
    } else if (directive == "expect-redacted" || directive == "expect-keys") {
      auto words = split_words(body);
      if (words.empty()) {
        expectation.problems.push_back("expected NAME KEY...: " + raw);
        continue;
      }
      const std::string name = words.front();
      words.erase(words.begin());
      auto& target = directive == "expect-keys" ? expectation.keys : expectation.redacted;
      if (target.contains(name)) expectation.problems.push_back("repeated: " + raw);
      target[name] = std::move(words);
    } else if (directive == "expect-value") {
      const auto words = split_words(body);
      if (words.size() != 3) {
        expectation.problems.push_back("expected NAME KEY VALUE: " + raw);
        continue;
      }
      expectation.values.emplace_back(words[0], words[1], words[2]);
    } else if (directive == "expect-budget") {
      const auto words = split_words(body);
      std::uint64_t budget = 0;
      try {
        if (words.size() == 2) budget = std::stoull(words[1]);
      } catch (const std::exception&) {
      }
      if (budget == 0 || expectation.budgets.contains(words[0])) {
        expectation.problems.push_back("expected NAME BUDGET, once per result: " + raw);
        continue;
      }
      expectation.budgets[words[0]] = budget;
    } else if (directive == "expect-hidden") {
      if (body.size() < 6) {
        expectation.problems.push_back("a hidden text needs at least 6 characters: " + raw);
        continue;
      }
      expectation.hidden.push_back(body);
    } else if (directive == "expect-warning") {
      auto position = parse_position(body);
      if (!position || position->message.empty()) {
        expectation.problems.push_back("expected LINE:COLUMN MESSAGE: " + raw);
        continue;
      }
      expectation.warnings.push_back(*position);
    } else {
      expectation.problems.push_back("unknown directive: " + raw);
    }
  }
  if (!any_result_line) expectation.problems.push_back("no '# expect:' line at all");
  const int kinds = (expectation.invalid ? 1 : 0) + (expectation.no_results ? 1 : 0) +
                    (expectation.results.empty() ? 0 : 1);
  if (kinds > 1) {
    expectation.problems.push_back("INVALID, NO RESULTS and result lines exclude each other");
  }
  std::set<std::string> names;
  for (const auto& result : expectation.results) names.insert(result.name);
  for (const auto* per_result : {&expectation.redacted, &expectation.keys}) {
    for (const auto& [name, keys] : *per_result) {
      if (!names.contains(name)) {
        expectation.problems.push_back("no '# expect:' line for result '" + name + "'");
      }
    }
  }
  for (const auto& [name, key, value] : expectation.values) {
    if (!names.contains(name)) {
      expectation.problems.push_back("no '# expect:' line for result '" + name + "'");
    }
  }
  for (const auto& [name, budget] : expectation.budgets) {
    if (!names.contains(name)) {
      expectation.problems.push_back("no '# expect:' line for result '" + name + "'");
    }
  }
  for (const auto& result : expectation.results) {
    if (result.verdict == "UNKNOWN" && !expectation.budgets.contains(result.name)) {
      expectation.problems.push_back("UNKNOWN result '" + result.name +
                                     "' needs an '# expect-budget:' line");
    }
  }
  return expectation;
}

std::vector<FileExpectation> corpus_expectations() {
  std::vector<FileExpectation> corpus;
  for (const auto& path : example_paths()) corpus.push_back(parse_expectations(path));
  return corpus;
}

std::vector<fs::path> paths_of(const std::vector<FileExpectation>& corpus) {
  std::vector<fs::path> paths;
  for (const auto& file : corpus) paths.push_back(file.path);
  return paths;
}

// ---------------------------------------------------------------------------
// Checking one file's report against its expectations

// The counterexample as (key, value) pairs in the printed order; numbers are
// exact strings, Bools true/false, secrets the string "<secret>".
std::vector<std::pair<std::string, json>> entries_of(const json& counterexample) {
  std::vector<std::pair<std::string, json>> entries;
  for (auto it = counterexample.begin(); it != counterexample.end(); ++it) {
    entries.emplace_back(it.key(), it.value());
  }
  return entries;
}

void check_counterexample_shape(const std::string& where, const json& result,
                                const std::vector<std::pair<std::string, json>>& entries) {
  const bool batch = result.value("kind", "") == "batch";
  ASSERT_EQ(entries.size() % 2, 0u) << where << ": keys must come in old_X, X pairs";
  for (std::size_t i = 0; i < entries.size(); i += 2) {
    const std::string& before = entries[i].first;
    const std::string& after = entries[i + 1].first;
    const auto dot = after.find('.');
    EXPECT_EQ(batch, dot != std::string::npos) << where << ": key " << after;
    const std::string prefix = dot == std::string::npos ? "" : after.substr(0, dot + 1);
    const std::string name = after.substr(prefix.size());
    EXPECT_EQ(before, prefix + "old_" + name) << where << ": keys must be old_X then X";
    EXPECT_FALSE(name.starts_with("old_")) << where << ": key " << after;
    for (const auto& [key, value] : {entries[i], entries[i + 1]}) {
      const bool number = value.is_string() && value.get<std::string>() != "<secret>";
      EXPECT_TRUE(value.is_boolean() || value == "<secret>" || number)
          << where << ": value of " << key << " is " << value.dump();
      if (number) {
        const std::string digits = value.get<std::string>();
        const std::size_t start = digits.starts_with("-") ? 1 : 0;
        EXPECT_TRUE(digits.size() > start &&
                    digits.find_first_not_of("0123456789", start) == std::string::npos)
            << where << ": value of " << key << " is not an integer: " << digits;
      }
    }
  }
}

void check_result(const FileExpectation& expectation, const ResultExpectation& expected,
                  const json& result) {
  const std::string where = expectation.file + ": " + expected.name;
  EXPECT_EQ(result.value("name", ""), expected.name) << where;
  EXPECT_EQ(result.value("verdict", ""), expected.verdict) << where;
  const json& reason = field(result, "reason");
  if (expected.reason.empty()) {
    EXPECT_TRUE(reason.is_null()) << where << ": reason " << reason.dump();
  } else {
    EXPECT_EQ(reason, expected.reason) << where;
  }
  const json& failed = field(result, "failed");
  const json& counterexample = field(result, "counterexample");
  if (expected.verdict == "REFUTED") {
    ASSERT_TRUE(failed.is_object()) << where << ": no failed condition";
    EXPECT_EQ(as_u64(field(failed, "line")), *expected.line) << where << ": failed " << failed.dump();
    if (expected.text) {
      EXPECT_EQ(failed.value("text", ""), *expected.text) << where;
    }
    if (expected.reason == "VACUOUS_GUARD") {
      EXPECT_TRUE(counterexample.is_null()) << where << ": a vacuous guard has no state";
    } else {
      EXPECT_TRUE(counterexample.is_object()) << where << ": no counterexample";
    }
  } else {
    EXPECT_TRUE(failed.is_null()) << where << ": failed " << failed.dump();
    EXPECT_TRUE(counterexample.is_null()) << where << ": counterexample " << counterexample.dump();
  }
  const std::uint64_t work = as_u64(field(result, "work"));
  const std::uint64_t difficulty = as_u64(field(result, "difficulty"));
  EXPECT_GT(work, 0u) << where;
  EXPECT_GE(difficulty, 1u) << where;
  // `budget: N` caps the work the prover may spend (the specification).
  if (const auto budget = expectation.budgets.find(expected.name);
      budget != expectation.budgets.end()) {
    EXPECT_LE(work, budget->second) << where << ": the work exceeds the budget";
  }

  // Redaction: exactly the expected keys are "<secret>".
  std::vector<std::string> redacted;
  const auto entries = counterexample.is_object() ? entries_of(counterexample)
                                                  : std::vector<std::pair<std::string, json>>{};
  for (const auto& [key, value] : entries) {
    if (value == "<secret>") redacted.push_back(key);
  }
  const auto expected_redacted = expectation.redacted.find(expected.name);
  if (expected_redacted != expectation.redacted.end()) {
    EXPECT_EQ(redacted, expected_redacted->second) << where << ": redacted keys";
  } else {
    EXPECT_TRUE(redacted.empty()) << where << ": unexpected <secret> values";
  }
  if (counterexample.is_object()) check_counterexample_shape(where, result, entries);

  if (const auto keys = expectation.keys.find(expected.name); keys != expectation.keys.end()) {
    std::vector<std::string> actual;
    for (const auto& entry : entries) actual.push_back(entry.first);
    EXPECT_TRUE(counterexample.is_object()) << where << ": expect-keys needs a counterexample";
    EXPECT_EQ(actual, keys->second) << where << ": counterexample keys";
  }
  for (const auto& [name, key, value] : expectation.values) {
    if (name != expected.name) continue;
    ASSERT_TRUE(counterexample.is_object()) << where << ": expect-value needs a counterexample";
    ASSERT_TRUE(counterexample.contains(key)) << where << ": no key " << key;
    const json& actual = counterexample[key];
    const std::string text = actual.is_string() ? actual.get<std::string>() : actual.dump();
    EXPECT_EQ(text, value) << where << ": value of " << key;
  }
}

void check_file(const FileExpectation& expectation, const json& report) {
  const std::string& where = expectation.file;
  for (const auto& problem : expectation.problems) ADD_FAILURE() << where << ": " << problem;
  ASSERT_TRUE(report.is_object()) << where;
  const json& error = field(report, "error");
  const json& results = field(report, "results");
  ASSERT_TRUE(results.is_array()) << where;
  if (expectation.invalid) {
    ASSERT_TRUE(error.is_object()) << where << ": expected INVALID " << expectation.invalid->line
                                   << ":" << expectation.invalid->column << " "
                                   << expectation.invalid->message << ", got "
                                   << results.size() << " results";
    EXPECT_EQ(as_u64(field(error, "line")), expectation.invalid->line) << where << ": " << error.dump();
    EXPECT_EQ(as_u64(field(error, "column")), expectation.invalid->column) << where << ": " << error.dump();
    EXPECT_NE(error.value("message", "").find(expectation.invalid->message), std::string::npos)
        << where << ": message " << error.dump() << " lacks '" << expectation.invalid->message
        << "'";
    EXPECT_TRUE(results.empty()) << where << ": an INVALID file has no results";
    return;
  }
  ASSERT_TRUE(error.is_null()) << where << ": unexpected INVALID " << error.dump();
  std::vector<std::string> expected_names;
  std::vector<std::string> actual_names;
  for (const auto& result : expectation.results) expected_names.push_back(result.name);
  for (const auto& result : results) actual_names.push_back(result.value("name", "?"));
  ASSERT_EQ(actual_names, expected_names)
      << where << ": every result needs exactly one '# expect:' line, in source order";
  for (std::size_t i = 0; i < results.size(); ++i) {
    check_result(expectation, expectation.results[i], results[i]);
  }
}

// `FILE:LINE:COLUMN: warning: MESSAGE` lines of standard error, by file.
std::map<std::string, std::vector<std::string>> warnings_by_file(
    const std::string& err, const std::vector<FileExpectation>& corpus) {
  std::map<std::string, std::vector<std::string>> warnings;
  std::istringstream in(err);
  std::string line;
  while (std::getline(in, line)) {
    bool matched = false;
    for (const auto& file : corpus) {
      const std::string prefix = file.path.string() + ":";
      if (line.starts_with(prefix)) {
        warnings[file.file].push_back(line.substr(prefix.size()));
        matched = true;
        break;
      }
    }
    EXPECT_TRUE(matched) << "unexpected standard error line: " << line;
  }
  return warnings;
}

void check_warnings(const std::vector<FileExpectation>& corpus, const std::string& err) {
  auto warnings = warnings_by_file(err, corpus);
  for (const auto& file : corpus) {
    const auto& actual = warnings[file.file];
    ASSERT_EQ(actual.size(), file.warnings.size())
        << file.file << ": every warning needs one '# expect-warning:' line";
    for (std::size_t i = 0; i < actual.size(); ++i) {
      const auto& expected = file.warnings[i];
      const std::string prefix = std::to_string(expected.line) + ":" +
                                 std::to_string(expected.column) + ": warning: ";
      EXPECT_TRUE(actual[i].starts_with(prefix)) << file.file << ": " << actual[i];
      EXPECT_NE(actual[i].find(expected.message), std::string::npos)
          << file.file << ": " << actual[i];
    }
  }
}

int corpus_exit_status(const std::vector<FileExpectation>& corpus) {
  int status = 0;
  for (const auto& file : corpus) status = std::max(status, file.exit_status());
  return status;
}

void check_order(const json& report, const std::vector<fs::path>& paths) {
  const json& files = field(report, "files");
  ASSERT_EQ(files.size(), paths.size());
  for (std::size_t i = 0; i < paths.size(); ++i) {
    EXPECT_EQ(files[i].value("file", ""), paths[i].string()) << "file " << i << " out of order";
  }
}

void check_hidden(const std::vector<FileExpectation>& corpus, const Invocation& run,
                  const std::string& what) {
  for (const auto& file : corpus) {
    for (const auto& hidden : file.hidden) {
      EXPECT_EQ(run.out.find(hidden), std::string::npos)
          << file.file << ": secret value " << hidden << " printed in " << what << " stdout";
      EXPECT_EQ(run.err.find(hidden), std::string::npos)
          << file.file << ": secret value " << hidden << " printed in " << what << " stderr";
    }
  }
}

// ---------------------------------------------------------------------------
// Tests

TEST(ExamplesTest, CorpusIsLargeAndEveryFileHasExpectations) {
  const auto corpus = corpus_expectations();
  EXPECT_GE(corpus.size(), 45u);
  std::size_t results = 0;
  std::set<std::string> reasons_seen;
  std::set<std::string> verdicts_seen;
  std::size_t invalid = 0;
  for (const auto& file : corpus) {
    for (const auto& problem : file.problems) ADD_FAILURE() << file.file << ": " << problem;
    if (file.invalid) ++invalid;
    for (const auto& result : file.results) {
      ++results;
      verdicts_seen.insert(result.verdict);
      if (!result.reason.empty()) reasons_seen.insert(result.reason);
    }
  }
  EXPECT_GE(invalid, 15u);
  EXPECT_EQ(verdicts_seen, (std::set<std::string>{"PROVED", "REFUTED", "UNKNOWN"}));
  EXPECT_EQ(reasons_seen, (std::set<std::string>{"VACUOUS_GUARD", "DIVISION_BY_ZERO", "OBLIGATION",
                                                 "RANGE", "CONSERVATION", "BUDGET"}));
  EXPECT_GE(results, 60u);
}

// The heart of it: one run over the whole corpus, every result checked.
TEST(ExamplesTest, EveryResultMatchesItsExpectation) {
  const auto corpus = corpus_expectations();
  const auto paths = paths_of(corpus);
  const Invocation run = check_json(paths);
  EXPECT_EQ(run.status, corpus_exit_status(corpus));
  const json report = parse_report(run.out);
  check_order(report, paths);
  const json& files = field(report, "files");
  ASSERT_EQ(files.size(), corpus.size());
  for (std::size_t i = 0; i < corpus.size(); ++i) {
    SCOPED_TRACE(corpus[i].file);
    check_file(corpus[i], files[i]);
  }
  check_warnings(corpus, run.err);
  check_hidden(corpus, run, "JSON");
}

// Secrets stay hidden in the text report too, where "<secret>" stands in.
TEST(ExamplesTest, TextOutputNeverShowsSecrets) {
  const auto corpus = corpus_expectations();
  std::vector<FileExpectation> secret_files;
  for (const auto& file : corpus) {
    if (!file.hidden.empty() || !file.redacted.empty()) secret_files.push_back(file);
  }
  ASSERT_GE(secret_files.size(), 4u);
  std::vector<std::string> args = {"check"};
  for (const auto& file : secret_files) args.push_back(file.path.string());
  const Invocation run = run_aethel(args);
  EXPECT_EQ(run.status, corpus_exit_status(secret_files));
  check_hidden(secret_files, run, "text");
  EXPECT_NE(run.out.find("=<secret>"), std::string::npos) << run.out;
  // Every file's results are listed under its name.
  for (const auto& file : secret_files) {
    EXPECT_NE(run.out.find(file.path.string() + "\n"), std::string::npos) << file.file;
    for (const auto& result : file.results) {
      EXPECT_NE(run.out.find(result.name), std::string::npos) << file.file << ": " << result.name;
    }
  }
}

// 0 when every result is PROVED, 2 when any file is INVALID, otherwise 1;
// each file on its own must give the same results as in the whole corpus.
TEST(ExamplesTest, ExitStatusFollowsTheRules) {
  const auto corpus = corpus_expectations();
  std::vector<fs::path> all_proved;
  std::vector<fs::path> all_valid;
  for (const auto& file : corpus) {
    SCOPED_TRACE(file.file);
    const Invocation run = check_json({file.path});
    EXPECT_EQ(run.status, file.exit_status()) << run.out;
    const json report = parse_report(run.out);
    ASSERT_EQ(field(report, "files").size(), 1u);
    check_file(file, field(report, "files")[0]);
    if (!file.invalid) all_valid.push_back(file.path);
    if (file.all_proved()) all_proved.push_back(file.path);
  }
  ASSERT_GE(all_proved.size(), 3u);
  EXPECT_EQ(check_json(all_proved).status, 0);
  ASSERT_GT(all_valid.size(), all_proved.size());
  EXPECT_EQ(check_json(all_valid).status, 1);
  // One INVALID file among PROVED ones makes the whole run 2.
  std::vector<fs::path> with_invalid = all_proved;
  for (const auto& file : corpus) {
    if (file.invalid) {
      with_invalid.insert(with_invalid.begin() + 1, file.path);
      break;
    }
  }
  EXPECT_EQ(check_json(with_invalid).status, 2);
}

// Files are reported in the order given, whatever the order and the number
// of worker processes, with identical results.
TEST(ExamplesTest, FilesAppearInTheOrderGiven) {
  const auto corpus = corpus_expectations();
  const auto forward = paths_of(corpus);
  auto reversed = forward;
  std::reverse(reversed.begin(), reversed.end());

  const Invocation first = check_json(forward, {"--threads", "1"});
  const Invocation second = check_json(reversed, {"--threads", "3"});
  EXPECT_EQ(first.status, second.status);
  const json forward_report = parse_report(first.out);
  const json reversed_report = parse_report(second.out);
  check_order(forward_report, forward);
  check_order(reversed_report, reversed);
  const std::size_t n = forward.size();
  ASSERT_EQ(field(reversed_report, "files").size(), n);
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_EQ(field(forward_report, "files")[i], field(reversed_report, "files")[n - 1 - i])
        << forward[i].filename() << " differs between orders";
  }
}

std::string golden_text(const std::vector<FileExpectation>& corpus, const json& report) {
  std::string text =
      "# Work and difficulty of every result of examples/*.ae: file name verdict work difficulty.\n"
      "# Checked by tests/judge/examples_test.cpp; rewrite with AETHEL_UPDATE_GOLDEN=1 (see\n"
      "# examples/README.md). A change of an existing line is a protocol change: bump\n"
      "# kJudgeVersion with it.\n";
  const json& files = field(report, "files");
  for (std::size_t i = 0; i < corpus.size() && i < files.size(); ++i) {
    for (const auto& result : field(files[i], "results")) {
      text += corpus[i].file + " " + result.value("name", "?") + " " +
              result.value("verdict", "?") + " " + std::to_string(as_u64(field(result, "work"))) + " " +
              std::to_string(as_u64(field(result, "difficulty"))) + "\n";
    }
  }
  return text;
}

std::vector<std::string> data_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && !line.starts_with("#")) lines.push_back(line);
  }
  return lines;
}

TEST(ExamplesTest, GoldenWorkIsUnchanged) {
  const auto corpus = corpus_expectations();
  const Invocation run = check_json(paths_of(corpus));
  const std::string actual = golden_text(corpus, parse_report(run.out));
  const char* update = std::getenv("AETHEL_UPDATE_GOLDEN");
  if (update != nullptr && std::string_view(update) == "1") {
    fs::create_directories(golden_path().parent_path());
    std::ofstream(golden_path(), std::ios::binary) << actual;
    GTEST_SKIP() << "rewrote " << golden_path();
  }
  ASSERT_TRUE(fs::exists(golden_path()))
      << golden_path() << " is missing: run with AETHEL_UPDATE_GOLDEN=1 to create it";
  const auto expected_lines = data_lines(read_bytes(golden_path()));
  const auto actual_lines = data_lines(actual);
  std::set<std::string> expected_set(expected_lines.begin(), expected_lines.end());
  std::set<std::string> actual_set(actual_lines.begin(), actual_lines.end());
  for (const auto& line : expected_lines) {
    EXPECT_TRUE(actual_set.contains(line)) << "golden line no longer produced: " << line;
  }
  for (const auto& line : actual_lines) {
    EXPECT_TRUE(expected_set.contains(line)) << "result not in the golden file: " << line;
  }
  EXPECT_EQ(actual_lines, expected_lines)
      << "work or difficulty changed: if intended, rerun with AETHEL_UPDATE_GOLDEN=1 and bump "
         "kJudgeVersion (examples/README.md)";
}

// ---------------------------------------------------------------------------
// Inputs too large to commit: generated in a temporary directory.

class GeneratedProgram {
 public:
  GeneratedProgram(const std::string& name, const std::string& text) {
    dir_ = fs::temp_directory_path() /
           ("aethel_examples_" + std::to_string(::getpid()) + "_" + name);
    fs::create_directories(dir_);
    path_ = dir_ / (name + ".ae");
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~GeneratedProgram() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  GeneratedProgram(const GeneratedProgram&) = delete;
  GeneratedProgram& operator=(const GeneratedProgram&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path dir_;
  fs::path path_;
};

// Runs one generated file and returns its report.
json judge_generated(const GeneratedProgram& program, int expected_status) {
  const Invocation run = check_json({program.path()});
  EXPECT_EQ(run.status, expected_status) << run.out << run.err;
  const json report = parse_report(run.out);
  if (field(report, "files").size() != 1) {
    ADD_FAILURE() << "expected one file";
    return json::object();
  }
  return field(report, "files")[0];
}

void expect_invalid(const json& file, std::uint32_t line, std::uint32_t column,
                    const std::string& message) {
  ASSERT_TRUE(field(file, "error").is_object()) << file.dump().substr(0, 1000);
  EXPECT_EQ(as_u64(field(field(file, "error"), "line")), line) << field(file, "error").dump();
  EXPECT_EQ(as_u64(field(field(file, "error"), "column")), column) << field(file, "error").dump();
  EXPECT_NE(field(file, "error").value("message", "").find(message), std::string::npos)
      << field(file, "error").dump();
  EXPECT_TRUE(field(file, "results").empty());
}

constexpr std::size_t kSizeLimit = 64 * 1024;

const std::string kSmallIntent =
    "intent tick(count: Int) {\n"
    "    guard { count < 100; }\n"
    "    solve { }\n"
    "    verify { count == old_count + 1; }\n"
    "}\n";

// A program of exactly `size` bytes: the small intent, padded with comments.
std::string padded_program(std::size_t size) {
  std::string text = kSmallIntent;
  const std::string comment_line = "# " + std::string(77, 'x') + "\n";  // 80 bytes
  while (text.size() + comment_line.size() <= size) text += comment_line;
  if (text.size() < size) {
    const std::size_t rest = size - text.size();
    text += rest == 1 ? std::string("\n") : "#" + std::string(rest - 2, 'y') + "\n";
  }
  return text;
}

TEST(ExamplesTest, ProgramAtTheSizeLimitIsAccepted) {
  const std::string text = padded_program(kSizeLimit);
  ASSERT_EQ(text.size(), kSizeLimit);
  GeneratedProgram program("at_limit", text);
  const json file = judge_generated(program, 0);
  EXPECT_TRUE(field(file, "error").is_null()) << field(file, "error").dump();
  ASSERT_EQ(field(file, "results").size(), 1u);
  EXPECT_EQ(field(field(file, "results")[0], "verdict"), "PROVED");
}

TEST(ExamplesTest, ProgramOverTheSizeLimitIsRefused) {
  for (const std::size_t size : {kSizeLimit + 1, 4 * kSizeLimit}) {
    SCOPED_TRACE(size);
    GeneratedProgram program("over_limit", padded_program(size));
    expect_invalid(judge_generated(program, 2), 1, 1, "larger than the limit of 65536 bytes");
  }
}

TEST(ExamplesTest, ProgramsOverTheCountLimitsAreRefused) {
  {
    // 257 distinct names in one intent (the limit is 256).
    std::string text = "intent crowded(x: Int) {\n    guard {\n";
    for (int i = 1; i <= 256; ++i) text += "        n" + std::to_string(i) + " > 0;\n";
    text += "    }\n    solve { }\n    verify { }\n}\n";
    GeneratedProgram program("names", text);
    // x is name 1; n256 is the 257th, on line 2 + 256.
    expect_invalid(judge_generated(program, 2), 258, 9, "uses more than 256 names");
  }
  {
    // 513 conditions in one intent (the limit is 512).
    std::string text = "intent wordy(x: Int) {\n    guard {\n";
    for (int i = 1; i <= 513; ++i) text += "        x > " + std::to_string(-i) + ";\n";
    text += "    }\n    solve { }\n    verify { }\n}\n";
    GeneratedProgram program("conditions", text);
    expect_invalid(judge_generated(program, 2), 515, 9, "more than 512 conditions");
  }
  {
    // 257 intents in one file (the limit is 256 items).
    std::string text;
    for (int i = 1; i <= 257; ++i) {
      text += "intent i" + std::to_string(i) + "() { guard { } solve { } verify { } }\n";
    }
    GeneratedProgram program("items", text);
    expect_invalid(judge_generated(program, 2), 257, 1, "more than 256 intents and batches");
  }
}

}  // namespace
