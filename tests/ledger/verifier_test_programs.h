// Programs and helpers shared by the verifier and admission tests.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "fmt/format.h"
#include "judge/sample_programs.h"
#include "judge/verdict.h"
#include "ledger/proof_check.h"
#include "tests/support/scale.h"
#include "tests/support/temp_dir.h"

namespace aethel::ledger::testing {

using aethel::testing::kScale;

// A PROVED transfer, distinct text per index; `extra_guards` adds
// conditions (more work and source, so a higher difficulty).
inline std::string proved_transfer(std::size_t index, std::size_t extra_guards = 0) {
  std::string guards;
  for (std::size_t g = 0; g < extra_guards; ++g) {
    guards += fmt::format("        amount >= {};\n", g + 1);
  }
  return judge::transfer_program_source({.name = "transfer_" + std::to_string(index),
                                         .amount_floor = extra_guards,
                                         .extra_guards = guards,
                                         .sender_reserve = std::nullopt});
}

// The same transfer without the overflow guard: REFUTED (RANGE) with a
// counterexample.
inline const std::string kOverflowingTransfer =
    "intent overflowing(sender: Balance, receiver: Balance, amount: Amount) {\n"
    "    guard { amount > 0; sender >= amount; }\n"
    "    solve { priority: security; }\n"
    "    verify { sender == old_sender - amount; receiver == old_receiver + amount; }\n"
    "}\n";

// Nonlinear enough that a 50 ms time guard stops it on any machine.
inline const std::string kCube =
    "intent m0(p0: Int, p1: Amount) {\n"
    "  guard { 12 != old_p1 - old_p0 * old_p1; }\n"
    "  solve { }\n"
    "  verify { p0 == old_p1 * old_p1 * old_p1; }\n"
    "}\n";

inline std::filesystem::path source_dir() {
  if (const char* dir = std::getenv("AETHEL_SOURCE_DIR"); dir != nullptr && *dir != '\0') {
    return std::filesystem::path(dir);
  }
  return std::filesystem::current_path();
}

using aethel::testing::TempDir;

// Everything of an outcome, units byte for byte.
inline std::string describe(const Result<ProofCheck>& outcome) {
  if (!outcome) return fmt::format("error {}", outcome.error().to_string());
  std::string text =
      fmt::format("{} {} work {} difficulty {} conclusive {} units", outcome->proof_id.hex(),
                  judge::verdict_name(outcome->verdict), outcome->work.value(),
                  outcome->difficulty.value(), outcome->conclusive);
  for (const auto& unit : outcome->units) {
    text += ' ';
    text += hex_encode(judge::encode_unit_result(unit));
  }
  return text;
}

}  // namespace aethel::ledger::testing
