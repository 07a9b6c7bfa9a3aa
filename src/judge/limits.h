// Limits on everything a program can make the judge do. Each limit is part of
// the protocol (nodes must refuse the same programs), so changing a default
// is a judge-version change.
#pragma once

#include <cstddef>
#include <cstdint>

namespace aethel::judge {

// Bumped whenever verdicts, work or difficulty of any program could change.
// Nodes with different judge versions never validate each other's blocks.
inline constexpr std::uint32_t kJudgeVersion = 1;

struct Limits {
  std::size_t source_bytes_max = 64 * 1024;
  std::size_t items_max = 256;               // intents and batches in one file
  std::size_t batch_intents_max = 64;        // intents inside one atomic_batch
  std::size_t params_max = 128;              // parameters of one intent
  std::size_t names_max = 256;               // distinct state names of one intent
  std::size_t conditions_max = 512;          // guard + verify conditions of one intent
  std::size_t settings_max = 64;             // solve settings of one intent
  std::size_t expression_depth_max = 128;    // nesting of one expression tree
  std::size_t value_depth_max = 16;          // nesting of lists in solve settings
  std::size_t integer_digits_max = 256;      // digits in one integer literal
  std::size_t string_bytes_max = 4096;       // bytes in one string literal
  std::uint64_t budget_default = 5'000'000;  // prover work units (Z3 rlimit)
  std::uint64_t budget_max = 500'000'000;    // ceiling for `budget: N`
};

}  // namespace aethel::judge
