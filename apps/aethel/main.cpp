// aethel: the one command-line program of the node.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "apps/aethel/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"Aethel: a Byzantine-fault-tolerant node whose mining is proof verification",
               "aethel"};
  app.require_subcommand(1);
  app.set_version_flag("--version", aethel::cli::version_text());

  aethel::cli::add_check_command(app);
  aethel::cli::add_keys_command(app);
  aethel::cli::add_bench_command(app);
  aethel::cli::add_sim_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  return aethel::cli::exit_status();
}
