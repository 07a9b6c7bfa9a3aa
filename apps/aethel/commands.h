// Subcommands of `aethel`. Each add_*_command registers its options and a
// callback; the callback records the exit status that main() returns.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace aethel::cli {

std::string version_text();
void add_check_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_keys_command(CLI::App& app);
void add_sim_command(CLI::App& app);

void set_exit_status(int status);
int exit_status();

}  // namespace aethel::cli
