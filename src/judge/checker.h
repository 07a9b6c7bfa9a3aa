// The type checker: resolves every name of an intent to a state variable with
// a type, infers the types of undeclared names from their use, splits the
// verify block into effects and obligations, and reads the `budget` setting.
// Its output is everything the prover needs; anything it refuses makes the
// whole file INVALID.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "judge/ast.h"
#include "judge/diagnostic.h"
#include "judge/limits.h"

namespace aethel::judge {

enum class ValueType { kInt, kBalance, kAmount, kAccount, kBool };

const char* value_type_name(ValueType type) noexcept;
bool is_numeric(ValueType type) noexcept;  // Int, Balance and Amount

// One state name X of an intent: it has a value before (old_X) and after (X).
struct StateName {
  std::string name;
  ValueType type = ValueType::kInt;
  bool declared = false;   // a parameter, rather than inferred from use
  bool secret = false;     // never revealed: a secret parameter or named in a secret condition
  bool external = false;   // supplied from outside; the transition cannot set it
  ast::Position position;  // declaration or first use
  std::optional<std::size_t> effect;  // index in `verify` of the effect that sets it
};

// A reference to a state name inside an expression.
struct NameRef {
  std::size_t index = 0;  // into CheckedIntent::names
  bool old = false;       // written `old_X`
};

struct CheckedIntent {
  const ast::Intent* syntax = nullptr;
  std::vector<StateName> names;  // parameters in order, then undeclared names by first use
  std::map<std::string, std::size_t, std::less<>> index_of;
  std::vector<bool> verify_is_effect;  // per verify condition
  std::uint64_t budget = 0;            // prover work units

  // Resolves a name as written in an expression (`x` or `old_x`). The type
  // checker has already refused every name this cannot resolve.
  NameRef resolve(const std::string& written) const;
};

enum class UnitKind { kIntent, kBatch };

// One result of `aethel check`: a top-level intent, or a whole batch.
struct CheckedUnit {
  UnitKind kind = UnitKind::kIntent;
  std::string name;
  std::vector<CheckedIntent> intents;  // one for an intent, the members of a batch
  ast::Span span;                      // its source text, for difficulty
  std::uint64_t budget = 0;            // a batch shares the sum of its intents' budgets
  // This machine's time guard (Limits::prover_time_guard_ms): local, not
  // part of the verdict, carried here so worker processes apply it too.
  unsigned time_guard_ms = Limits{}.prover_time_guard_ms;
};

struct Warning {
  ast::Position position;
  std::string message;
};

struct CheckedProgram {
  ast::Program syntax;  // owned: CheckedIntent::syntax points into it
  std::vector<CheckedUnit> units;
  std::vector<Warning> warnings;

  CheckedProgram() = default;
  CheckedProgram(CheckedProgram&&) = default;
  CheckedProgram& operator=(CheckedProgram&&) = default;
  CheckedProgram(const CheckedProgram&) = delete;
  CheckedProgram& operator=(const CheckedProgram&) = delete;
};

// `default_budget` applies to intents without a `budget` setting.
Checked<CheckedProgram> check_program(ast::Program program, const Limits& limits,
                                      std::uint64_t default_budget);

// Parses and checks in one step.
Checked<CheckedProgram> parse_and_check(std::string_view source, const Limits& limits,
                                        std::uint64_t default_budget);

}  // namespace aethel::judge
