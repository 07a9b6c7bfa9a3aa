// Limits on everything a program can make the judge do. Each limit is part of
// the protocol (nodes must refuse the same programs), so changing a default
// is a judge-version change.
#pragma once

#include <cstddef>
#include <cstdint>

namespace aethel::judge {

// Bumped whenever verdicts, work or difficulty of any program could change.
// Nodes with different judge versions never validate each other's blocks.
// Version 2: programs whose intents' budgets sum above program_budget_max
// are refused.
inline constexpr std::uint32_t kJudgeVersion = 2;

struct Limits {
  std::size_t source_bytes_max = 64 * 1024;
  std::size_t items_max = 256;             // intents and batches in one file
  std::size_t batch_intents_max = 64;      // intents inside one atomic_batch
  std::size_t params_max = 128;            // parameters of one intent
  std::size_t names_max = 256;             // distinct state names of one intent
  std::size_t conditions_max = 512;        // guard + verify conditions of one intent
  std::size_t settings_max = 64;           // solve settings of one intent
  std::size_t expression_depth_max = 128;  // nesting of one expression tree
  std::size_t value_depth_max = 16;        // nesting of lists in solve settings
  std::size_t integer_digits_max = 256;    // digits in one integer literal
  std::size_t string_bytes_max = 4096;     // bytes in one string literal
  // Prover work units (Z3's rlimit count). Z3's cost per unit grows on hard
  // nonlinear problems (a cubic took 0.08 s at 100,000 units, 11 s at
  // 1,000,000), so the ceiling stays where even such a unit ends in seconds.
  std::uint64_t budget_default = 500'000;
  std::uint64_t budget_max = 1'000'000;  // ceiling for `budget: N`
  // Ceiling for the budgets of all of one program's intents together (the
  // default budget counts for an intent without `budget: N`): what bounds
  // the work one submission can ask of every validator. Twenty intents at
  // the default budget, or ten at the ceiling.
  std::uint64_t program_budget_max = 10'000'000;
  // A local safety net, not part of the protocol: a query still running
  // after this long is stopped and the unit reported UNKNOWN with a note, so
  // that no input can hang this machine. Budgets within the ceiling stay
  // well under it on the machines we measure.
  unsigned prover_time_guard_ms = 60'000;
};

}  // namespace aethel::judge
