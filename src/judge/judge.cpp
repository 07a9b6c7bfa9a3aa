#include "judge/judge.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include "fmt/format.h"
#include "judge/checker.h"
#include "judge/prover.h"
#include "judge/worker_pool.h"

namespace aethel::judge {
namespace {

std::uint64_t default_budget_of(const Options& options) {
  return options.default_budget.value_or(options.limits.budget_default);
}

unsigned worker_count(const Options& options, std::size_t work_items) {
  unsigned workers = options.workers != 0 ? options.workers : std::thread::hardware_concurrency();
  workers = std::max(workers, 1u);
  return static_cast<unsigned>(
      std::min<std::size_t>(workers, std::max<std::size_t>(work_items, 1)));
}

}  // namespace

Checked<std::string> read_program_file(const std::string& path, const Limits& limits) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return refuse(ErrorCode::kIo, {0, 0},
                  fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  }
  if (!S_ISREG(info.st_mode)) {
    return refuse(ErrorCode::kIo, {0, 0}, fmt::format("'{}' is not a regular file", path));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return refuse(ErrorCode::kIo, {0, 0},
                  fmt::format("cannot read '{}': {}", path, std::strerror(errno)));
  }
  // Read one byte past the limit so that an oversize file is refused without
  // loading it whole.
  std::string text(limits.source_bytes_max + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > limits.source_bytes_max) {
    return refuse(
        ErrorCode::kLimit, {1, 1},
        fmt::format("program is larger than the limit of {} bytes", limits.source_bytes_max));
  }
  return text;
}

FileReport judge_source(std::string file, std::string_view source, const Options& options) {
  FileReport report;
  report.file = std::move(file);
  auto checked = parse_and_check(source, options.limits, default_budget_of(options));
  if (!checked) {
    report.error = checked.error();
    return report;
  }
  report.warnings = std::move(checked->warnings);
  for (const auto& unit : checked->units) report.results.push_back(prove_unit(unit));
  return report;
}

std::vector<FileReport> judge_files(const std::vector<std::string>& paths, const Options& options) {
  std::vector<FileReport> reports(paths.size());
  std::vector<std::optional<CheckedProgram>> programs(paths.size());
  struct Task {
    std::size_t file;
    std::size_t unit;
  };
  std::vector<Task> tasks;
  for (std::size_t f = 0; f < paths.size(); ++f) {
    reports[f].file = paths[f];
    auto text = read_program_file(paths[f], options.limits);
    if (!text) {
      reports[f].error = text.error();
      continue;
    }
    auto checked = parse_and_check(*text, options.limits, default_budget_of(options));
    if (!checked) {
      reports[f].error = checked.error();
      continue;
    }
    reports[f].warnings = std::move(checked->warnings);
    reports[f].results.resize(checked->units.size());
    for (std::size_t u = 0; u < checked->units.size(); ++u) tasks.push_back({f, u});
    programs[f].emplace(std::move(*checked));
  }

  std::vector<const CheckedUnit*> units;
  for (const Task& task : tasks) units.push_back(&programs[task.file]->units[task.unit]);
  auto results = prove_in_workers(units, worker_count(options, tasks.size()));
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    reports[tasks[i].file].results[tasks[i].unit] = std::move(results[i]);
  }
  return reports;
}

}  // namespace aethel::judge
