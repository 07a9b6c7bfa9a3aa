// `aethel check`: verify .ae files locally with the same judge the network runs.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "apps/aethel/commands.h"
#include "fmt/format.h"
#include "judge/judge.h"
#include "judge/report.h"

namespace aethel::cli {
namespace {

int exit_status_value = 0;

struct CheckArguments {
  std::vector<std::string> files;
  bool json = false;
  unsigned threads = 0;
  std::uint64_t budget = 0;
};

void run_check(const CheckArguments& arguments) {
  judge::Options options;
  options.workers = arguments.threads;
  if (arguments.budget != 0) options.default_budget = arguments.budget;
  const auto reports = judge::judge_files(arguments.files, options);
  std::fputs(judge::report_warnings(reports).c_str(), stderr);
  const std::string out =
      arguments.json ? judge::report_json(reports) : judge::report_text(reports);
  std::fputs(out.c_str(), stdout);
  set_exit_status(judge::check_exit_status(reports));
}

}  // namespace

std::string version_text() {
  return fmt::format("aethel 0.1.0 (judge version {})", judge::kJudgeVersion);
}

void set_exit_status(int status) {
  exit_status_value = status;
}
int exit_status() {
  return exit_status_value;
}

void add_check_command(CLI::App& app) {
  auto arguments = std::make_shared<CheckArguments>();
  const judge::Limits limits;
  auto* command = app.add_subcommand(
      "check",
      "Verify Aethel programs (.ae) and print each intent's and batch's verdict.\n"
      "Exit status: 0 when every result is PROVED, 2 when any file is INVALID, otherwise 1.");
  command->add_option("files", arguments->files, "Program files to verify")->required();
  command->add_flag("--json", arguments->json,
                    "Print one JSON object (see docs/judge.md) instead of text");
  command
      ->add_option("--threads", arguments->threads,
                   "Parallel provers (default: one per core); results do not depend on it")
      ->check(CLI::Range(1u, 1024u));
  command
      ->add_option("--budget", arguments->budget,
                   fmt::format("Prover work units for intents without a `budget` setting "
                               "(default {}, at most {})",
                               limits.budget_default, limits.budget_max))
      ->check(CLI::Range(std::uint64_t{1}, limits.budget_max));
  command->callback([arguments] { run_check(*arguments); });
}

}  // namespace aethel::cli
