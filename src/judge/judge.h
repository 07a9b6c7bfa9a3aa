// The judge: reads Aethel programs and decides each intent and batch.
// judge_source() is the pure core (text in, verdicts out); judge_files()
// reads files and spreads the units of all files over worker processes
// (worker_pool.h). Each unit is proved on its own, so the results never
// depend on the number of workers or the order of the files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "judge/diagnostic.h"
#include "judge/limits.h"
#include "judge/verdict.h"

namespace aethel::judge {

struct Options {
  Limits limits;
  std::optional<std::uint64_t> default_budget;  // for intents without `budget`; else limits'
  unsigned workers = 1;                         // parallel provers; 0: one per core
};

struct FileReport {
  std::string file;
  std::optional<Diagnostic> error;  // set when the file is INVALID; then no results
  std::vector<UnitResult> results;  // in source order
  std::vector<Warning> warnings;
};

FileReport judge_source(std::string file, std::string_view source, const Options& options);

// Forks worker processes when options.workers > 1: call it only from a
// process with no other threads running.
std::vector<FileReport> judge_files(const std::vector<std::string>& paths, const Options& options);

// Reads a program file, refusing one larger than the limit without reading
// all of it, and anything that is not a regular file.
Checked<std::string> read_program_file(const std::string& path, const Limits& limits);

}  // namespace aethel::judge
