// Feeds arbitrary bytes to the lexer, parser and type checker. Any input must
// be accepted or refused with a diagnostic that has a position and a message;
// a crash, a hang or an assertion is a finding. The prover is not run: its
// work is bounded by budgets, and Z3 is not ours to fuzz.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "judge/checker.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  aethel::judge::Limits limits;
  auto checked = aethel::judge::parse_and_check(source, limits, limits.budget_default);
  if (!checked) {
    const auto& error = checked.error();
    if (error.message.empty()) std::abort();
    if (error.position.line == 0 && size <= limits.source_bytes_max) std::abort();
  }
  return 0;
}
