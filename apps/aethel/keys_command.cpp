// `aethel keys`: create and inspect a validator's Ed25519 key files.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "apps/aethel/commands.h"
#include "crypto/ed25519.h"
#include "crypto/key_file.h"
#include "fmt/format.h"

namespace aethel::cli {
namespace {

struct KeysArguments {
  std::string secret_path;
  std::string public_path;
  bool force = false;
};

void report_failure(const Error& error) {
  std::fprintf(stderr, "aethel keys: %s\n", error.to_string().c_str());
  set_exit_status(1);
}

void generate(const KeysArguments& arguments) {
  const crypto::KeyPair pair = crypto::generate_keypair();
  const auto overwrite = arguments.force ? Overwrite::kReplace : Overwrite::kRefuse;
  if (auto written =
          crypto::write_secret_key_file(arguments.secret_path, pair.secret_key, overwrite);
      !written) {
    return report_failure(written.error());
  }
  if (!arguments.public_path.empty()) {
    if (auto written =
            crypto::write_public_key_file(arguments.public_path, pair.public_key, overwrite);
        !written) {
      return report_failure(written.error());
    }
  }
  std::printf("secret key: %s (mode 0600)\npublic key: %s\n", arguments.secret_path.c_str(),
              pair.public_key.hex().c_str());
  set_exit_status(0);
}

void show(const KeysArguments& arguments) {
  auto pair = crypto::load_secret_key_file(arguments.secret_path);
  if (!pair) return report_failure(pair.error());
  std::printf("%s\n", pair->public_key.hex().c_str());
  set_exit_status(0);
}

}  // namespace

void add_keys_command(CLI::App& app) {
  auto* keys = app.add_subcommand("keys", "Create and inspect validator key files");
  keys->require_subcommand(1);

  auto generate_arguments = std::make_shared<KeysArguments>();
  auto* generate_command = keys->add_subcommand(
      "generate", "Create a new Ed25519 key pair; the secret key file gets mode 0600");
  generate_command->add_option("--out", generate_arguments->secret_path, "Secret key file to write")
      ->required();
  generate_command->add_option("--public-out", generate_arguments->public_path,
                               "Also write the public key to this file");
  generate_command->add_flag("--force", generate_arguments->force,
                             "Replace existing files (the old secret key is lost)");
  generate_command->callback([generate_arguments] { generate(*generate_arguments); });

  auto show_arguments = std::make_shared<KeysArguments>();
  auto* show_command = keys->add_subcommand(
      "show", "Check a secret key file (permissions, contents) and print its public key");
  show_command->add_option("file", show_arguments->secret_path, "Secret key file")->required();
  show_command->callback([show_arguments] { show(*show_arguments); });
}

}  // namespace aethel::cli
