// Renders judge results for people (text) and programs (JSON).
#pragma once

#include <string>
#include <vector>

#include "judge/judge.h"

namespace aethel::judge {

// One JSON object: {"files":[{"file","error","results":[...]}]}, as documented
// in docs/judge.md. Integers are written exactly, whatever their size.
std::string report_json(const std::vector<FileReport>& reports);

// Aligned, readable lines with a closing summary.
std::string report_text(const std::vector<FileReport>& reports);

// Warnings as `file:line:column: warning: message` lines.
std::string report_warnings(const std::vector<FileReport>& reports);

// The exit status of `aethel check`: 0 when every result is PROVED, 2 when
// any file is INVALID, otherwise 1.
int check_exit_status(const std::vector<FileReport>& reports);

}  // namespace aethel::judge
