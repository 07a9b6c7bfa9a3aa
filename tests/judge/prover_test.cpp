// The prover (prover.h), through judge_source: every reason of the
// specification's five checks, with the failing condition's line and text
// and a counterexample that this test re-evaluates with its own evaluator
// (exact integers, C division) to confirm that it really violates the
// check; division semantics; the order of the checks; batches; secrets;
// the budget; and determinism of work and difficulty.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fmt/format.h"
#include "judge/checker.h"
#include "judge/judge.h"
#include "judge/prover.h"
#include "judge/report.h"

namespace aethel::judge {
namespace {

using ast::Expr;
using ast::ExprKind;

// ---------------------------------------------------------------------------
// An independent evaluator for counterexamples.

__extension__ typedef __int128 Int;
using Value = std::variant<Int, bool>;

const Int kInt64Max = static_cast<Int>(INT64_MAX);
const Int kInt64Min = static_cast<Int>(INT64_MIN);

std::optional<Int> parse_int(std::string_view digits) {
  bool negative = false;
  if (!digits.empty() && digits.front() == '-') negative = true, digits.remove_prefix(1);
  if (digits.empty() || digits.size() > 37) return std::nullopt;
  Int value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return negative ? -value : value;
}

std::string int_text(Int value) {
  if (value == 0) return "0";
  const bool negative = value < 0;
  std::string out;
  while (value != 0) {
    const int digit = static_cast<int>(value % 10);
    out.insert(out.begin(), static_cast<char>('0' + (digit < 0 ? -digit : digit)));
    value /= 10;
  }
  return negative ? "-" + out : out;
}

// Values of a counterexample by key (`old_x`, `x`, `intent.old_x`).
struct Model {
  std::map<std::string, Value> values;
  std::vector<std::string> secret_keys;
};

Model model_of(const std::vector<CounterexampleEntry>& entries) {
  Model model;
  for (const auto& entry : entries) {
    if (const auto* digits = std::get_if<std::string>(&entry.value)) {
      auto value = parse_int(*digits);
      EXPECT_TRUE(value.has_value()) << entry.key << " = " << *digits;
      if (value) model.values[entry.key] = *value;
    } else if (const auto* flag = std::get_if<bool>(&entry.value)) {
      model.values[entry.key] = *flag;
    } else {
      model.secret_keys.push_back(entry.key);
    }
  }
  return model;
}

enum class Scope { kGuard, kVerify };

// Evaluates expressions of one intent in a model, as the specification
// defines them: in guard, `X` and `old_X` are the values before; in verify,
// `X` is the value after. Division truncates toward zero and `%` takes the
// dividend's sign, which is what C++ does for __int128.
class Evaluator {
 public:
  Evaluator(const Model& model, std::string prefix) : model_(model), prefix_(std::move(prefix)) {}

  bool divided_by_zero() const { return divided_by_zero_; }
  bool missing() const { return missing_; }

  Value eval(const Expr& expr, Scope scope) {
    switch (expr.kind) {
      case ExprKind::kName: {
        const bool old = expr.text.starts_with("old_");
        const std::string base = old ? expr.text.substr(4) : expr.text;
        const std::string key =
            prefix_ + ((old || scope == Scope::kGuard) ? "old_" + base : base);
        const auto found = model_.values.find(key);
        if (found == model_.values.end()) {
          missing_ = true;
          return Int{0};
        }
        return found->second;
      }
      case ExprKind::kInteger: return *parse_int(expr.text);
      case ExprKind::kBool: return expr.bool_value;
      case ExprKind::kNegate: return -number(*expr.left, scope);
      case ExprKind::kAdd: return number(*expr.left, scope) + number(*expr.right, scope);
      case ExprKind::kSub: return number(*expr.left, scope) - number(*expr.right, scope);
      case ExprKind::kMul: return number(*expr.left, scope) * number(*expr.right, scope);
      case ExprKind::kDiv:
      case ExprKind::kMod: {
        const Int dividend = number(*expr.left, scope);
        const Int divisor = number(*expr.right, scope);
        if (divisor == 0) {
          divided_by_zero_ = true;
          return Int{0};
        }
        return expr.kind == ExprKind::kDiv ? dividend / divisor : dividend % divisor;
      }
    }
    return Int{0};
  }

  // Whether the condition holds; nullopt when evaluating it divides by zero
  // or needs a value the counterexample does not show.
  std::optional<bool> holds(const ast::Condition& condition, Scope scope) {
    divided_by_zero_ = missing_ = false;
    const Value left = eval(condition.left, scope);
    const Value right = eval(condition.right, scope);
    if (divided_by_zero_ || missing_) return std::nullopt;
    if (left.index() != right.index()) {
      ADD_FAILURE() << "comparison of a Bool with an Int in " << condition.text;
      return std::nullopt;
    }
    if (const auto* flag = std::get_if<bool>(&left)) {
      const bool other = std::get<bool>(right);
      switch (condition.relation) {
        case ast::Relation::kEq: return *flag == other;
        case ast::Relation::kNe: return *flag != other;
        default: ADD_FAILURE() << "ordering of Bools"; return std::nullopt;
      }
    }
    const Int a = std::get<Int>(left);
    const Int b = std::get<Int>(right);
    switch (condition.relation) {
      case ast::Relation::kEq: return a == b;
      case ast::Relation::kNe: return a != b;
      case ast::Relation::kLt: return a < b;
      case ast::Relation::kLe: return a <= b;
      case ast::Relation::kGt: return a > b;
      case ast::Relation::kGe: return a >= b;
    }
    return std::nullopt;
  }

  // Evaluates `condition` and reports whether some divisor in it is zero.
  bool divides_by_zero(const ast::Condition& condition, Scope scope) {
    divided_by_zero_ = missing_ = false;
    eval(condition.left, scope);
    eval(condition.right, scope);
    return divided_by_zero_;
  }

 private:
  Int number(const Expr& expr, Scope scope) {
    const Value value = eval(expr, scope);
    if (const auto* number = std::get_if<Int>(&value)) return *number;
    ADD_FAILURE() << "a Bool in arithmetic";
    return 0;
  }

  const Model& model_;
  std::string prefix_;
  bool divided_by_zero_ = false;
  bool missing_ = false;
};

bool in_range(Int value, ValueType type) {
  switch (type) {
    case ValueType::kBalance:
    case ValueType::kAmount: return value >= 0 && value <= kInt64Max;
    case ValueType::kInt:
    case ValueType::kAccount: return value >= kInt64Min && value <= kInt64Max;
    case ValueType::kBool: return true;
  }
  return true;
}

std::string prefix_of(const CheckedUnit& unit, const CheckedIntent& intent) {
  return unit.kind == UnitKind::kBatch ? intent.syntax->name + "." : "";
}

// Checks that a counterexample shows every name of an intent before and
// after, with values of the names' types, the values before in range, the
// guard holding, and every effect holding (where it can be evaluated).
void expect_consistent_state(const CheckedUnit& unit, const CheckedIntent& intent,
                             const Model& model, bool whole_guard, std::size_t guard_prefix = 0) {
  const std::string prefix = prefix_of(unit, intent);
  for (const auto& name : intent.names) {
    for (const std::string& key : {prefix + "old_" + name.name, prefix + name.name}) {
      const bool secret = std::find(model.secret_keys.begin(), model.secret_keys.end(), key) !=
                          model.secret_keys.end();
      EXPECT_EQ(secret, name.secret) << key;
      if (secret) continue;
      const auto found = model.values.find(key);
      ASSERT_NE(found, model.values.end()) << "the counterexample lacks " << key;
      EXPECT_EQ(std::holds_alternative<bool>(found->second), name.type == ValueType::kBool)
          << key;
    }
    const auto before = model.values.find(prefix + "old_" + name.name);
    if (before != model.values.end() && name.type != ValueType::kBool) {
      EXPECT_TRUE(in_range(std::get<Int>(before->second), name.type))
          << prefix << "old_" << name.name << " = " << int_text(std::get<Int>(before->second));
    }
    if (!name.effect && !name.secret) {
      // A name that no effect sets keeps its value.
      EXPECT_EQ(model.values.at(prefix + "old_" + name.name), model.values.at(prefix + name.name))
          << name.name;
    }
  }
  Evaluator evaluator(model, prefix);
  const auto& guard = intent.syntax->guard;
  const std::size_t guard_count = whole_guard ? guard.size() : guard_prefix;
  for (std::size_t i = 0; i < guard_count; ++i) {
    const auto holds = evaluator.holds(guard[i], Scope::kGuard);
    if (holds) {
      EXPECT_TRUE(*holds) << "guard condition does not hold: " << guard[i].text;
    }
  }
  if (!whole_guard) return;
  for (std::size_t i = 0; i < intent.syntax->verify.size(); ++i) {
    if (!intent.verify_is_effect[i]) continue;
    const auto holds = evaluator.holds(intent.syntax->verify[i], Scope::kVerify);
    if (holds) {
      EXPECT_TRUE(*holds) << "effect does not hold: " << intent.syntax->verify[i].text;
    }
  }
}

// The intent of `unit` whose names the counterexample shows (for checks 1-4
// there is exactly one).
const CheckedIntent* intent_shown(const CheckedUnit& unit, const Model& model) {
  for (const auto& intent : unit.intents) {
    const std::string prefix = prefix_of(unit, intent);
    for (const auto& name : intent.names) {
      if (model.values.contains(prefix + name.name) ||
          model.values.contains(prefix + "old_" + name.name)) {
        return &intent;
      }
    }
  }
  return unit.intents.empty() ? nullptr : &unit.intents[0];
}

// Re-checks a REFUTED result's counterexample against the reason.
void expect_counterexample_violates(const CheckedUnit& unit, const UnitResult& result) {
  ASSERT_EQ(result.verdict, Verdict::kRefuted);
  ASSERT_TRUE(result.reason.has_value());
  ASSERT_TRUE(result.failed.has_value());
  if (*result.reason == Reason::kVacuousGuard) {
    // No state satisfies the guard, so there is nothing to show.
    EXPECT_FALSE(result.counterexample.has_value());
    return;
  }
  ASSERT_TRUE(result.counterexample.has_value());
  const Model model = model_of(*result.counterexample);

  if (*result.reason == Reason::kConservation) {
    Int change = 0;
    bool any = false;
    for (const auto& intent : unit.intents) {
      if (unit.kind == UnitKind::kIntent && &intent != &unit.intents[0]) continue;
      expect_consistent_state(unit, intent, model, /*whole_guard=*/true);
      const std::string prefix = prefix_of(unit, intent);
      for (const auto& name : intent.names) {
        if (name.type != ValueType::kBalance || !name.effect) continue;
        change += std::get<Int>(model.values.at(prefix + name.name)) -
                  std::get<Int>(model.values.at(prefix + "old_" + name.name));
        any = true;
      }
    }
    EXPECT_TRUE(any);
    EXPECT_NE(change, 0) << "the counterexample conserves value";
    return;
  }

  const CheckedIntent* intent = intent_shown(unit, model);
  ASSERT_NE(intent, nullptr);
  const std::string prefix = prefix_of(unit, *intent);
  for (const auto& [key, value] : model.values) {
    EXPECT_TRUE(key.starts_with(prefix)) << key << ": checks 1-4 show one intent's names";
  }
  // Find the failing condition by line and text.
  const ast::Condition* failed = nullptr;
  bool in_guard = false;
  std::size_t index = 0;
  for (const auto* block : {&intent->syntax->guard, &intent->syntax->verify}) {
    for (std::size_t i = 0; i < block->size(); ++i) {
      const auto& condition = (*block)[i];
      if (condition.position.line == result.failed->line && condition.text == result.failed->text) {
        failed = &condition;
        in_guard = block == &intent->syntax->guard;
        index = i;
      }
    }
  }
  ASSERT_NE(failed, nullptr) << "no condition '" << result.failed->text << "' on line "
                             << result.failed->line;
  Evaluator evaluator(model, prefix);
  switch (*result.reason) {
    case Reason::kDivisionByZero:
      expect_consistent_state(unit, *intent, model, /*whole_guard=*/!in_guard, index);
      EXPECT_TRUE(evaluator.divides_by_zero(*failed, in_guard ? Scope::kGuard : Scope::kVerify))
          << "no divisor of '" << failed->text << "' is zero in the counterexample";
      break;
    case Reason::kObligation: {
      ASSERT_FALSE(in_guard);
      EXPECT_FALSE(intent->verify_is_effect[index]) << "an effect reported as an obligation";
      expect_consistent_state(unit, *intent, model, /*whole_guard=*/true);
      const auto holds = evaluator.holds(*failed, Scope::kVerify);
      ASSERT_TRUE(holds.has_value()) << failed->text;
      EXPECT_FALSE(*holds) << "the obligation holds in the counterexample: " << failed->text;
      break;
    }
    case Reason::kRange: {
      ASSERT_FALSE(in_guard);
      EXPECT_TRUE(intent->verify_is_effect[index]) << "RANGE names an effect";
      expect_consistent_state(unit, *intent, model, /*whole_guard=*/true);
      const StateName& target = intent->names[intent->resolve(failed->left.text).index];
      const Int after = std::get<Int>(model.values.at(prefix + target.name));
      EXPECT_FALSE(in_range(after, target.type))
          << target.name << " = " << int_text(after) << " is within "
          << value_type_name(target.type);
      break;
    }
    default: ADD_FAILURE() << "unexpected reason " << reason_name(*result.reason);
  }
}

// ---------------------------------------------------------------------------
// Helpers.

// The checker's layout (see checker_test.cpp): guard on line 2, solve on
// line 3, verify on line 4.
std::string intent_source(std::string_view params, std::string_view guard,
                          std::string_view verify, std::string_view solve = "") {
  return "intent t(" + std::string(params) + ") {\n  guard { " + std::string(guard) +
         " }\n  solve { " + std::string(solve) + " }\n  verify { " + std::string(verify) +
         " }\n}\n";
}

const std::string kTransfer =
    "intent transfer(sender: Balance, receiver: Balance, amount: Amount) {\n"
    "    guard {\n"
    "        amount > 0;\n"
    "        sender >= amount;\n"
    "        receiver <= 9223372036854775807 - amount;\n"
    "    }\n"
    "    solve { priority: security; }\n"
    "    verify {\n"
    "        sender == old_sender - amount;\n"
    "        receiver == old_receiver + amount;\n"
    "    }\n"
    "}\n";

std::string without_line(std::string source, std::string_view line) {
  const auto at = source.find(line);
  EXPECT_NE(at, std::string::npos) << line;
  if (at == std::string::npos) return source;
  const auto end = source.find('\n', at);
  return source.erase(at, end + 1 - at);
}

FileReport judge(std::string_view source, std::optional<std::uint64_t> budget = std::nullopt) {
  Options options;
  options.default_budget = budget;
  return judge_source("test.ae", source, options);
}

struct Checked {
  CheckedProgram program;
  std::vector<UnitResult> results;
};

// Judges `source` and keeps the checked program for re-evaluation.
Checked judge_checked(std::string_view source) {
  Checked out;
  const FileReport report = judge(source);
  EXPECT_FALSE(report.error.has_value())
      << report.error->position.line << ":" << report.error->position.column << ": "
      << report.error->message;
  auto checked = parse_and_check(source, Limits{}, Limits{}.budget_default);
  EXPECT_TRUE(checked.has_value());
  if (report.error || !checked) return out;
  out.program = std::move(*checked);
  out.results = report.results;
  EXPECT_EQ(out.results.size(), out.program.units.size());
  return out;
}

std::string describe(const UnitResult& result) {
  std::string out = verdict_name(result.verdict);
  if (result.reason) out += std::string(" ") + reason_name(*result.reason);
  if (result.failed) out += fmt::format(" line {}: {}", result.failed->line, result.failed->text);
  if (result.counterexample) {
    out += "\n  counterexample:";
    for (const auto& entry : *result.counterexample) {
      out += " " + entry.key + "=";
      if (const auto* digits = std::get_if<std::string>(&entry.value)) out += *digits;
      else if (const auto* flag = std::get_if<bool>(&entry.value)) out += *flag ? "true" : "false";
      else out += "<secret>";
    }
  }
  if (!result.note.empty()) out += "\n  note: " + result.note;
  return out;
}

// ---------------------------------------------------------------------------
// Verdicts, reasons and counterexamples.

struct ProverCase {
  const char* name;
  std::string source;
  Verdict verdict;
  std::optional<Reason> reason;
  std::uint32_t line;  // of the failing condition, when REFUTED
  std::string text;    // of the failing condition, when REFUTED
};

void PrintTo(const ProverCase& test, std::ostream* out) { *out << test.name; }

class ProverVerdicts : public ::testing::TestWithParam<ProverCase> {};

TEST_P(ProverVerdicts, VerdictReasonAndCounterexample) {
  const ProverCase& c = GetParam();
  const Checked checked = judge_checked(c.source);
  ASSERT_EQ(checked.results.size(), 1u);
  const UnitResult& result = checked.results[0];
  const CheckedUnit& unit = checked.program.units[0];
  EXPECT_EQ(result.name, unit.name);
  EXPECT_EQ(result.kind, unit.kind);
  ASSERT_EQ(result.verdict, c.verdict) << describe(result);
  EXPECT_EQ(result.reason, c.reason) << describe(result);
  EXPECT_GT(result.work, 0u);
  EXPECT_EQ(result.difficulty, difficulty_of(result.work, unit.span.end - unit.span.begin));
  if (c.verdict == Verdict::kProved) {
    EXPECT_FALSE(result.failed.has_value());
    EXPECT_FALSE(result.counterexample.has_value());
    return;
  }
  ASSERT_TRUE(result.failed.has_value()) << describe(result);
  EXPECT_EQ(result.failed->line, c.line) << describe(result);
  EXPECT_EQ(result.failed->text, c.text) << describe(result);
  expect_counterexample_violates(unit, result);
}

using R = Reason;
constexpr Verdict kProved = Verdict::kProved;
constexpr Verdict kRefuted = Verdict::kRefuted;

const ProverCase kProverCases[] = {
    // The examples of the specification.
    {"TransferProved", kTransfer, kProved, std::nullopt, 0, ""},
    {"TransferWithoutReceiverBound",
     without_line(kTransfer, "receiver <= 9223372036854775807 - amount;"), kRefuted, R::kRange, 9,
     "receiver == old_receiver + amount"},
    {"TransferWithoutSender", without_line(kTransfer, "sender == old_sender - amount;"), kRefuted,
     R::kConservation, 9, "(receiver - old_receiver) == 0"},
    {"TransferWithContradictoryGuard",
     intent_source("sender: Balance, receiver: Balance, amount: Amount",
                   "amount >= 0; amount < 0;", "sender == old_sender - amount;"),
     kRefuted, R::kVacuousGuard, 2, "amount < 0"},
    {"EmptyIntent", intent_source("", "", ""), kProved, std::nullopt, 0, ""},
    // Meaning of names.
    {"UnsetNamesKeepTheirValue", intent_source("x: Int, y: Balance", "", "old_y == y; x == x;"),
     kProved, std::nullopt, 0, ""},
    {"GuardNameMeansTheValueBefore", intent_source("x: Int", "x == old_x;", ""), kProved,
     std::nullopt, 0, ""},
    {"GuardNameAndOldNameCannotDiffer", intent_source("x: Int", "x != old_x;", ""), kRefuted,
     R::kVacuousGuard, 2, "x != old_x"},
    {"EffectWithPlainNameOutsideC",
     intent_source("x: Int, y: Int", "y > 0; y < 10; x > 0; x < 10;", "x == y + old_x; x > old_x;"),
     kProved, std::nullopt, 0, ""},
    // 1. VACUOUS_GUARD.
    {"VacuousByTypeRange", intent_source("b: Balance", "b < 0;", ""), kRefuted, R::kVacuousGuard,
     2, "b < 0"},
    {"VacuousBeyond64Bits", intent_source("x: Int", "x > 9223372036854775807;", ""), kRefuted,
     R::kVacuousGuard, 2, "x > 9223372036854775807"},
    {"VacuousBool", intent_source("f: Bool", "f == true; f != true;", ""), kRefuted,
     R::kVacuousGuard, 2, "f != true"},
    {"VacuousInferredInt", intent_source("", "n > 5; n < 3;", ""), kRefuted, R::kVacuousGuard, 2,
     "n < 3"},
    {"VacuousOnALaterLine",
     "intent t(a: Int, b: Int) {\n  guard {\n    a > 0;\n    b > 0;\n    a + b < 0;\n  }\n"
     "  solve {}\n  verify {}\n}\n",
     kRefuted, R::kVacuousGuard, 5, "a + b < 0"},
    {"VacuousBeforeEveryOtherCheck",
     intent_source("b: Balance", "b < 0;", "b == old_b - 1; 1 / 0 == 1;"), kRefuted,
     R::kVacuousGuard, 2, "b < 0"},
    // 2. DIVISION_BY_ZERO in guard: under the conditions written before.
    {"GuardDivisorCheckedFirst", intent_source("a: Int, b: Int", "b != 0; a / b > 0;", ""),
     kProved, std::nullopt, 0, ""},
    {"GuardDivisorCheckedLater", intent_source("a: Int, b: Int", "a / b > 0; b != 0;", ""),
     kRefuted, R::kDivisionByZero, 2, "a / b > 0"},
    {"GuardModuloByZero", intent_source("a: Int, b: Int", "a % b == 0;", ""), kRefuted,
     R::kDivisionByZero, 2, "a % b == 0"},
    {"GuardNestedDivisor", intent_source("a: Int, b: Int", "b != 0; a / (b - 1) > 0;", ""),
     kRefuted, R::kDivisionByZero, 2, "a / (b - 1) > 0"},
    {"GuardDivisorOnALaterLine",
     "intent t(a: Int, b: Int) {\n  guard {\n    a > 0;\n    a / b > 0;\n  }\n"
     "  solve {}\n  verify {}\n}\n",
     kRefuted, R::kDivisionByZero, 4, "a / b > 0"},
    {"GuardLiteralDivisionByZero", intent_source("", "1 / 0 == 5;", ""), kRefuted,
     R::kDivisionByZero, 2, "1 / 0 == 5"},
    // 2. DIVISION_BY_ZERO in verify: under guard and effects.
    {"VerifyDivisorUnderGuard", intent_source("d: Int, q: Int", "d > 0;", "q == old_q / d;"),
     kProved, std::nullopt, 0, ""},
    {"VerifyDivisorWithoutGuard", intent_source("d: Int, q: Int", "", "q == old_q / d;"),
     kRefuted, R::kDivisionByZero, 4, "q == old_q / d"},
    {"VerifyDivisorUnderEffects", intent_source("d: Int", "", "d == 5; 10 / d == 2;"), kProved,
     std::nullopt, 0, ""},
    {"VerifyDivisorZeroedByEffect",
     intent_source("d: Int", "d > 0;", "d == old_d - old_d; 10 / d == 2;"), kRefuted,
     R::kDivisionByZero, 4, "10 / d == 2"},
    {"VerifyModuloByOldValue", intent_source("x: Int, y: Int", "", "x == old_x % old_y;"),
     kRefuted, R::kDivisionByZero, 4, "x == old_x % old_y"},
    {"VerifyDivisorIsTheValueBefore",
     intent_source("d: Int, x: Int", "d > 0;", "d == old_d - 1; x == old_x / old_d;"), kProved,
     std::nullopt, 0, ""},
    {"DivisionBeforeObligation", intent_source("x: Int", "", "x > 5; 1 / x == 1;"), kRefuted,
     R::kDivisionByZero, 4, "1 / x == 1"},
    // Division semantics, symbolically.
    {"QuotientAndRemainderRecompose",
     intent_source("a: Int, b: Int", "b != 0;", "(a / b) * b + a % b == a;"), kProved,
     std::nullopt, 0, ""},
    {"RemainderOfNonNegativeIsNonNegative",
     intent_source("a: Int, b: Int", "a >= 0; b != 0;", "a % b >= 0;"), kProved, std::nullopt, 0, ""},
    {"RemainderOfNegativeIsNonPositive",
     intent_source("a: Int, b: Int", "a < 0; b != 0;", "a % b <= 0;"), kProved, std::nullopt, 0, ""},
    {"MinusOneHalvedIsZero", intent_source("a: Int", "a == -1;", "a / 2 == 0; a % 2 == -1;"),
     kProved, std::nullopt, 0, ""},
    {"FlooredQuotientIsRefuted", intent_source("", "", "(-7) / 2 == -4;"), kRefuted,
     R::kObligation, 4, "(-7) / 2 == -4"},
    {"FlooredRemainderIsRefuted", intent_source("", "", "(-7) % 2 == 1;"), kRefuted,
     R::kObligation, 4, "(-7) % 2 == 1"},
    // 3. OBLIGATION.
    {"ObligationHolds", intent_source("x: Int", "x < 100;", "x == old_x + 1; x <= 100; x > old_x;"),
     kProved, std::nullopt, 0, ""},
    {"ObligationFails", intent_source("x: Int", "x < 100;", "x == old_x + 1; x < 100;"), kRefuted,
     R::kObligation, 4, "x < 100"},
    {"SelfReferenceIsAnObligation", intent_source("x: Int", "", "x == x + 1;"), kRefuted,
     R::kObligation, 4, "x == x + 1"},
    {"FirstConditionMentionsLaterTarget", intent_source("", "", "a == b; b == 3;"), kRefuted,
     R::kObligation, 4, "a == b"},
    {"FirstFailingObligationIsReported",
     "intent t(x: Int) {\n  guard {}\n  solve {}\n  verify {\n    x > 0;\n    x > 10;\n  }\n}\n",
     kRefuted, R::kObligation, 5, "x > 0"},
    {"LaterObligationFails",
     "intent t(x: Int) {\n  guard { x > 0; }\n  solve {}\n  verify {\n    x > 0;\n    x > 10;\n"
     "  }\n}\n",
     kRefuted, R::kObligation, 6, "x > 10"},
    {"ObligationOverValuesBefore", intent_source("x: Int", "x > 0;", "old_x > 0;"), kProved,
     std::nullopt, 0, ""},
    {"BoolCounterexample",
     intent_source("f: Bool, a: Account, c: Account", "a != c;", "f == true; old_f == true;"),
     kRefuted, R::kObligation, 4, "old_f == true"},
    {"AccountSwapKeepsThemApart",
     intent_source("a: Account, c: Account", "a != c;", "a == old_c; c == old_a; a != c;"),
     kProved, std::nullopt, 0, ""},
    {"AccountObligationFails",
     intent_source("a: Account, c: Account", "", "a == old_c; old_a == a;"), kRefuted,
     R::kObligation, 4, "old_a == a"},
    {"ObligationBeforeRange", intent_source("b: Balance", "", "b == old_b - 1; b > 1000;"),
     kRefuted, R::kObligation, 4, "b > 1000"},
    // 4. RANGE.
    {"BalanceGoesNegative", intent_source("b: Balance", "", "b == old_b - 1;"), kRefuted,
     R::kRange, 4, "b == old_b - 1"},
    {"AmountGoesNegative", intent_source("a: Amount", "", "a == old_a - 1;"), kRefuted, R::kRange,
     4, "a == old_a - 1"},
    {"IntOverflows", intent_source("x: Int", "x >= 9000000000000000000;", "x == old_x * 4;"),
     kRefuted, R::kRange, 4, "x == old_x * 4"},
    {"IntUnderflows", intent_source("x: Int", "", "x == old_x - 1;"), kRefuted, R::kRange, 4,
     "x == old_x - 1"},
    {"InferredIntOverflows", intent_source("", "", "n == old_n + 1;"), kRefuted, R::kRange, 4,
     "n == old_n + 1"},
    {"ExternalIsUnconstrained",
     intent_source("external rate: Int, x: Int", "x < 10; x > 0;", "x == old_x * rate;"),
     kRefuted, R::kRange, 4, "x == old_x * rate"},
    {"ExternalBoundedByGuard",
     intent_source("external rate: Int, x: Int", "x < 10; x > 0; rate >= 0; rate <= 10;",
                   "x == old_x * rate;"),
     kProved, std::nullopt, 0, ""},
    {"SecondEffectOutOfRange",
     "intent t(a: Int, b: Balance) {\n  guard { a < 5; }\n  solve {}\n  verify {\n"
     "    a == old_a + 1;\n    b == old_b - old_b - 1;\n  }\n}\n",
     kRefuted, R::kRange, 6, "b == old_b - old_b - 1"},
    // 5. CONSERVATION.
    {"BalanceCreated", intent_source("b: Balance", "b < 100;", "b == old_b + 1;"), kRefuted,
     R::kConservation, 4, "(b - old_b) == 0"},
    {"TwoBalancesUnbalanced",
     intent_source("x: Balance, y: Balance", "x >= 1; y < 100;", "x == old_x - 1; y == old_y + 2;"),
     kRefuted, R::kConservation, 4, "(x - old_x) + (y - old_y) == 0"},
    {"BalanceSwapConserves", intent_source("x: Balance, y: Balance", "", "x == old_y; y == old_x;"),
     kProved, std::nullopt, 0, ""},
    {"AmountIsNotConserved", intent_source("a: Amount", "a < 100;", "a == old_a + 1;"), kProved,
     std::nullopt, 0, ""},
    {"IntIsNotConserved", intent_source("i: Int", "i < 100;", "i == old_i + 1;"), kProved,
     std::nullopt, 0, ""},
    {"BalanceSetToItself", intent_source("b: Balance", "", "b == old_b;"), kProved, std::nullopt, 0, ""},
    // Batches.
    {"BatchConservesAcrossIntents",
     "atomic_batch swap {\n"
     "  intent pay(a: Balance) { guard { a >= 5; } solve {} verify { a == old_a - 5; } }\n"
     "  intent get(b: Balance) { guard { b <= 9223372036854775802; } solve {} verify { b == old_b + 5; } }\n"
     "}\n",
     kProved, std::nullopt, 0, ""},
    {"BatchNamesAreLocal",
     "atomic_batch swap {\n"
     "  intent pay(a: Balance) { guard { a >= 5; } solve {} verify { a == old_a - 5; } }\n"
     "  intent get(a: Balance) { guard { a <= 9223372036854775802; } solve {} verify { a == old_a + 5; } }\n"
     "}\n",
     kProved, std::nullopt, 0, ""},
    {"BatchLeaks",
     "atomic_batch swap {\n"
     "  intent pay(a: Balance) { guard { a >= 5; } solve {} verify { a == old_a - 5; } }\n"
     "  intent get(b: Balance) { guard { b <= 9223372036854775801; } solve {} verify { b == old_b + 6; } }\n"
     "}\n",
     kRefuted, R::kConservation, 2, "(pay.a - pay.old_a) + (get.b - get.old_b) == 0"},
    {"BatchWithLocalAmountsLeaks",
     "atomic_batch swap {\n"
     "  intent pay(a: Balance, n: Amount) { guard { a >= n; } solve {} verify { a == old_a - n; } }\n"
     "  intent get(b: Balance, n: Amount) { guard { b <= 9223372036854775807 - n; } solve {}"
     " verify { b == old_b + n; } }\n"
     "}\n",
     kRefuted, R::kConservation, 2, "(pay.a - pay.old_a) + (get.b - get.old_b) == 0"},
    {"BatchMemberOutOfRange",
     "atomic_batch swap {\n"
     "  intent pay(a: Balance) { guard { a >= 5; } solve {} verify { a == old_a - 5; } }\n"
     "  intent get(b: Balance) { guard { } solve {} verify { b == old_b + 5; } }\n"
     "}\n",
     kRefuted, R::kRange, 3, "b == old_b + 5"},
    {"BatchMemberVacuous",
     "atomic_batch swap {\n"
     "  intent pay(a: Balance) { guard { a < 0; } solve {} verify { a == old_a - 5; } }\n"
     "  intent get(b: Balance) { guard { b <= 9223372036854775802; } solve {} verify { b == old_b + 5; } }\n"
     "}\n",
     kRefuted, R::kVacuousGuard, 2, "a < 0"},
    {"BatchMemberObligation",
     "atomic_batch swap {\n"
     "  intent pay(a: Balance) { guard { a >= 5; } solve {} verify { a == old_a - 5; } }\n"
     "  intent get(b: Balance) { guard { b <= 9223372036854775802; } solve {}\n"
     "    verify { b == old_b + 5; b > 100; } }\n"
     "}\n",
     kRefuted, R::kObligation, 4, "b > 100"},
    {"BatchMemberDivision",
     "atomic_batch swap {\n"
     "  intent pay(a: Balance, k: Int) { guard { a >= 5; } solve {} verify { a == old_a - 5 / k; } }\n"
     "  intent get(b: Balance) { guard { b <= 9223372036854775802; } solve {} verify { b == old_b + 5; } }\n"
     "}\n",
     kRefuted, R::kDivisionByZero, 2, "a == old_a - 5 / k"},
    {"BatchOfOneCreatingMoney",
     "atomic_batch solo {\n"
     "  intent mint(b: Balance) { guard { b < 1000; } solve {} verify { b == old_b + 1; } }\n"
     "}\n",
     kRefuted, R::kConservation, 2, "(mint.b - mint.old_b) == 0"},
};

INSTANTIATE_TEST_SUITE_P(Table, ProverVerdicts, ::testing::ValuesIn(kProverCases),
                         [](const auto& test) { return std::string(test.param.name); });

// ---------------------------------------------------------------------------
// Division semantics as PROVED facts: truncation toward zero, and the
// remainder has the sign of the dividend.

struct DivisionCase {
  const char* name;
  std::string dividend;  // as written, e.g. "-7"
  std::vector<std::string> divisors;
};

void PrintTo(const DivisionCase& test, std::ostream* out) { *out << test.name; }

class ProverDivision : public ::testing::TestWithParam<DivisionCase> {};

std::string literal(Int value) {
  std::string out = int_text(value);
  if (value < 0) {
    out.insert(out.begin(), '(');
    out.push_back(')');
  }
  return out;
}

TEST_P(ProverDivision, QuotientsAndRemaindersAreCs) {
  const DivisionCase& c = GetParam();
  const Int dividend = *parse_int(c.dividend);
  std::string facts;
  std::string wrong;
  for (const auto& divisor_text : c.divisors) {
    const Int divisor = *parse_int(divisor_text);
    const Int quotient = dividend / divisor;
    const Int remainder = dividend % divisor;
    const std::string a = "(" + c.dividend + ")";
    const std::string b = "(" + divisor_text + ")";
    facts += a + " / " + b + " == " + literal(quotient) + "; ";
    facts += a + " % " + b + " == " + literal(remainder) + "; ";
    // The floored (SMT-LIB, Python) answer differs whenever the signs do and
    // the division is inexact; each must be refuted on its own.
    const Int floored = quotient - ((remainder != 0 && ((remainder < 0) != (divisor < 0))) ? 1 : 0);
    if (floored != quotient) {
      const FileReport report =
          judge(intent_source("", "", a + " / " + b + " == " + literal(floored) + ";"));
      ASSERT_FALSE(report.error.has_value());
      EXPECT_EQ(report.results.at(0).verdict, Verdict::kRefuted)
          << c.dividend << " / " << divisor_text << " is not " << int_text(floored);
      EXPECT_EQ(report.results.at(0).reason, Reason::kObligation);
    }
  }
  const FileReport report = judge(intent_source("", "", facts));
  ASSERT_FALSE(report.error.has_value()) << report.error->message;
  EXPECT_EQ(report.results.at(0).verdict, Verdict::kProved)
      << facts << "\n" << describe(report.results.at(0));
}

const std::vector<std::string> kDivisors = {"1", "-1", "2", "-2", "3", "-3", "7", "-7", "10"};

const DivisionCase kDivisionCases[] = {
    {"MinusSeven", "-7", kDivisors},
    {"Seven", "7", kDivisors},
    {"MinusEight", "-8", kDivisors},
    {"Zero", "0", kDivisors},
    {"MinusOne", "-1", kDivisors},
    {"Int64Max", "9223372036854775807", kDivisors},
    {"Int64Min", "-9223372036854775808", kDivisors},
    {"BeyondInt64", "-100000000000000000000000", {"3", "-3", "7", "-9223372036854775808"}},
};

INSTANTIATE_TEST_SUITE_P(Table, ProverDivision, ::testing::ValuesIn(kDivisionCases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(ProverDivisionFacts, TheSpecificationsExamples) {
  const FileReport report = judge(intent_source(
      "", "", "-7 / 2 == -3; -7 % 2 == -1; (-7) / 2 == -3; (-7) % 2 == -1; -(7 / 2) == -3;"));
  ASSERT_FALSE(report.error.has_value());
  EXPECT_EQ(report.results.at(0).verdict, Verdict::kProved) << describe(report.results.at(0));
}

// ---------------------------------------------------------------------------
// Secrets: values of secret names never appear in any output; keys do.

struct SecretCase {
  const char* name;
  std::string source;
  std::vector<std::string> secret_keys;     // shown as <secret>
  std::vector<std::string> secret_values;   // must appear nowhere
};

void PrintTo(const SecretCase& test, std::ostream* out) { *out << test.name; }

class ProverSecrets : public ::testing::TestWithParam<SecretCase> {};

TEST_P(ProverSecrets, ValuesAreRedactedEverywhere) {
  const SecretCase& c = GetParam();
  const FileReport report = judge(c.source);
  ASSERT_FALSE(report.error.has_value()) << report.error->message;
  ASSERT_EQ(report.results.size(), 1u);
  const UnitResult& result = report.results[0];
  ASSERT_EQ(result.verdict, Verdict::kRefuted) << describe(result);
  ASSERT_TRUE(result.counterexample.has_value());
  for (const auto& key : c.secret_keys) {
    bool found = false;
    for (const auto& entry : *result.counterexample) {
      if (entry.key != key) continue;
      found = true;
      EXPECT_TRUE(std::holds_alternative<SecretValue>(entry.value)) << key;
    }
    EXPECT_TRUE(found) << "the counterexample does not show the key " << key;
  }
  const std::string json = report_json({report});
  const std::string text = report_text({report});
  const Bytes encoded = encode_unit_result(result);
  const std::string bytes(encoded.begin(), encoded.end());
  for (const auto& key : c.secret_keys) {
    EXPECT_NE(json.find("\"" + key + "\":\"<secret>\""), std::string::npos) << json;
    EXPECT_NE(text.find(key + "=<secret>"), std::string::npos) << text;
  }
  for (const auto& value : c.secret_values) {
    EXPECT_EQ(json.find(value), std::string::npos) << "JSON reveals " << value << ":\n" << json;
    EXPECT_EQ(text.find(value), std::string::npos) << "text reveals " << value << ":\n" << text;
    EXPECT_EQ(result.note.find(value), std::string::npos);
    EXPECT_EQ(bytes.find(value), std::string::npos) << "the encoded result reveals " << value;
  }
}

const SecretCase kSecretCases[] = {
    {"SecretParameter",
     intent_source("secret pin: Int, x: Int", "pin == 48213977;", "x == old_x + 1; x > 5;"),
     {"old_pin", "pin"},
     {"48213977"}},
    {"SecretCondition",
     intent_source("x: Int", "secret code == 91357531;", "x == old_x + 1; x > 5;"),
     {"old_code", "code"},
     {"91357531"}},
    {"SecretConditionMarksAllItsNames",
     intent_source("x: Int", "secret a + b == 77711777; a == 70000123;", "x == old_x + 1; x > 5;"),
     {"old_a", "a", "old_b", "b"},
     {"70000123", "7711654"}},
    {"SecretSetByAnEffect",
     intent_source("secret s: Int, x: Int", "s == 31337313;", "s == old_s + 1; x == 1; x > 5;"),
     {"old_s", "s"},
     {"31337313", "31337314"}},
    {"SecretInARangeFailure",
     intent_source("secret s: Balance", "s == 42424242;", "s == old_s - 42424243;"),
     {"old_s", "s"},
     {"42424242"}},
    {"SecretInABatch",
     "atomic_batch b {\n"
     "  intent pay(secret a: Balance) { guard { a == 65432165; } solve {} verify { a == old_a - 5; } }\n"
     "  intent get(c: Balance) { guard { c <= 100; } solve {} verify { c == old_c + 6; } }\n"
     "}\n",
     {"pay.old_a", "pay.a"},
     {"65432165", "65432160"}},
};

INSTANTIATE_TEST_SUITE_P(Table, ProverSecrets, ::testing::ValuesIn(kSecretCases),
                         [](const auto& test) { return std::string(test.param.name); });

// The specification: `secret` marks a parameter "whose values must never be
// revealed by any output (counterexamples, ...)". A name whose value is
// computed from a secret, or tied to one by a condition, would reveal it.
// (At commit ba9f0b4 the judge redacted only names marked secret and printed
// x=48213977 for the first case; the working tree spreads secrecy along
// conditions.)
struct SecretFlowCase {
  const char* name;
  std::string source;
};

void PrintTo(const SecretFlowCase& test, std::ostream* out) { *out << test.name; }

class ProverSecretFlows : public ::testing::TestWithParam<SecretFlowCase> {};

TEST_P(ProverSecretFlows, ValuesDerivedFromASecretAreNotRevealed) {
  const FileReport report = judge(GetParam().source);
  ASSERT_FALSE(report.error.has_value()) << report.error->message;
  ASSERT_EQ(report.results.at(0).verdict, Verdict::kRefuted) << describe(report.results.at(0));
  const std::string json = report_json({report});
  const std::string text = report_text({report});
  for (const char* value : {"48213977", "48213978", "96427954"}) {
    EXPECT_EQ(json.find(value), std::string::npos) << json;
    EXPECT_EQ(text.find(value), std::string::npos) << text;
  }
}

const SecretFlowCase kSecretFlowCases[] = {
    {"CopiedByAnEffect",
     intent_source("secret pin: Int, x: Int", "pin == 48213977;", "x == old_pin; x < 0;")},
    {"ComputedByAnEffect",
     intent_source("secret pin: Int, x: Int", "pin == 48213977;", "x == old_pin * 2; x < 0;")},
    {"TiedByTheGuard",
     intent_source("secret pin: Int, x: Int", "pin == 48213977; x == pin + 1;", "x < 0;")},
    {"TiedThroughAChain",
     intent_source("secret pin: Int, x: Int, y: Int", "pin == 48213977; y == pin; x == y + 1;",
                   "x < 0;")},
    {"SecretConditionThenEffect",
     intent_source("x: Int", "secret code == 48213977;", "x == old_code + 1; x < 0;")},
};

INSTANTIATE_TEST_SUITE_P(Table, ProverSecretFlows, ::testing::ValuesIn(kSecretFlowCases),
                         [](const auto& test) { return std::string(test.param.name); });

// ---------------------------------------------------------------------------
// Counterexample values: Bool values are Bools, others exact integers, big
// ones included.

TEST(ProverCounterexample, BoolAndAccountValues) {
  const FileReport report = judge(
      intent_source("f: Bool, a: Account, c: Account", "a != c;", "f == true; old_f == true;"));
  ASSERT_FALSE(report.error.has_value());
  const auto& entries = report.results.at(0).counterexample.value();
  std::map<std::string, ModelValue> values;
  for (const auto& entry : entries) values[entry.key] = entry.value;
  ASSERT_EQ(values.size(), 6u);
  EXPECT_EQ(std::get<bool>(values.at("old_f")), false);
  EXPECT_EQ(std::get<bool>(values.at("f")), true);
  const auto a = parse_int(std::get<std::string>(values.at("old_a")));
  const auto c = parse_int(std::get<std::string>(values.at("old_c")));
  ASSERT_TRUE(a && c);
  EXPECT_NE(*a, *c);
  EXPECT_EQ(std::get<std::string>(values.at("a")), std::get<std::string>(values.at("old_a")));
  // Keys come in order: every name before and after, in the checker's order.
  const std::vector<std::string> keys = {"old_f", "f", "old_a", "a", "old_c", "c"};
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(entries[i].key, keys[i]);
}

TEST(ProverCounterexample, ValuesBeyond64BitsAreExact) {
  const FileReport report =
      judge(intent_source("x: Int", "x >= 9000000000000000000;", "x == old_x * 4;"));
  ASSERT_FALSE(report.error.has_value());
  const auto& result = report.results.at(0);
  ASSERT_EQ(result.reason, Reason::kRange);
  std::map<std::string, std::string> values;
  for (const auto& entry : result.counterexample.value()) {
    values[entry.key] = std::get<std::string>(entry.value);
  }
  const auto before = parse_int(values.at("old_x"));
  const auto after = parse_int(values.at("x"));
  ASSERT_TRUE(before && after);
  EXPECT_EQ(*after, *before * 4);
  EXPECT_GT(*after, static_cast<Int>(UINT64_MAX));
  EXPECT_EQ(values.at("x"), int_text(*before * 4));
}

// ---------------------------------------------------------------------------
// The budget: UNKNOWN (BUDGET) when it runs out, deterministically.

TEST(ProverBudget, TinyBudgetSettingIsUnknown) {
  const FileReport report = judge(intent_source("x: Int", "", "x * x * x == old_x + 3;", "budget: 1;"));
  ASSERT_FALSE(report.error.has_value());
  const UnitResult& result = report.results.at(0);
  EXPECT_EQ(result.verdict, Verdict::kUnknown) << describe(result);
  EXPECT_EQ(result.reason, Reason::kBudget);
  EXPECT_FALSE(result.failed.has_value());
  EXPECT_FALSE(result.counterexample.has_value());
  EXPECT_NE(result.note.find("budget of 1 work units"), std::string::npos) << result.note;
}

TEST(ProverBudget, TinyDefaultBudgetIsUnknown) {
  const FileReport report = judge(kTransfer, 1);
  ASSERT_FALSE(report.error.has_value());
  EXPECT_EQ(report.results.at(0).verdict, Verdict::kUnknown);
  EXPECT_EQ(report.results.at(0).reason, Reason::kBudget);
  // The setting overrides the default.
  const std::string with_setting = [] {
    std::string source = kTransfer;
    source.replace(source.find("priority: security;"), 19,
                   "budget: " + std::to_string(Limits{}.budget_default) + ";");
    return source;
  }();
  const FileReport generous = judge(with_setting, 1);
  EXPECT_EQ(generous.results.at(0).verdict, Verdict::kProved);
}

TEST(ProverBudget, TinyBudgetInABatchIsUnknown) {
  const FileReport report = judge(
      "atomic_batch swap {\n"
      "  intent pay(a: Balance) { guard { a >= 5; } solve { budget: 1; } verify { a == old_a - 5; } }\n"
      "  intent get(b: Balance) { guard { b < 5; } solve { budget: 1; } verify { b == old_b + 5; } }\n"
      "}\n");
  ASSERT_FALSE(report.error.has_value());
  EXPECT_EQ(report.results.at(0).verdict, Verdict::kUnknown);
  EXPECT_EQ(report.results.at(0).reason, Reason::kBudget);
  EXPECT_NE(report.results.at(0).note.find("budget of 2 work units"), std::string::npos)
      << report.results.at(0).note;
}

TEST(ProverBudget, UnknownIsDeterministic) {
  for (std::uint64_t budget : {1u, 50u, 300u, 600u}) {
    const FileReport first = judge(kTransfer, budget);
    const FileReport second = judge(kTransfer, budget);
    ASSERT_FALSE(first.error || second.error);
    EXPECT_EQ(encode_unit_result(first.results.at(0)), encode_unit_result(second.results.at(0)))
        << budget;
  }
}

TEST(ProverBudget, AmpleBudgetGivesTheSameResultAndWork) {
  const FileReport reference = judge(kTransfer);
  ASSERT_EQ(reference.results.at(0).verdict, Verdict::kProved);
  const std::uint64_t work = reference.results.at(0).work;
  for (std::uint64_t budget : {2 * work, 10 * work, Limits{}.budget_max}) {
    const FileReport report = judge(kTransfer, budget);
    EXPECT_EQ(encode_unit_result(report.results.at(0)), encode_unit_result(reference.results.at(0)))
        << budget;
  }
}

// The specification: `budget: N` "caps the work the prover may spend", and
// "when the prover cannot decide within the budget, the verdict is UNKNOWN".
// (At commit ba9f0b4 this failed: Z3 looks at its rlimit only now and then,
// and the transfer example, which needs 1048 work units, was PROVED with a
// budget of 1047, reporting work 1048; `budget: 1` reported work 83. The
// working tree caps the reported work and makes such results UNKNOWN.)
TEST(ProverBudget, WorkNeverExceedsTheBudget) {
  const FileReport reference = judge(kTransfer);
  const std::uint64_t work = reference.results.at(0).work;
  for (std::uint64_t budget : {std::uint64_t{1}, work / 4, work / 2, work - 1}) {
    const FileReport report = judge(kTransfer, budget);
    const UnitResult& result = report.results.at(0);
    EXPECT_LE(result.work, budget) << "budget " << budget;
    EXPECT_EQ(result.verdict, Verdict::kUnknown) << "budget " << budget << ", work " << result.work;
  }
}

// ---------------------------------------------------------------------------
// Determinism, work and difficulty.

TEST(ProverDeterminism, ProvingTheSameUnitTwiceGivesTheSameResult) {
  std::string leak = without_line(kTransfer, "sender == old_sender - amount;");
  leak.replace(leak.find("transfer"), 8, "leak");
  const std::string source = kTransfer + leak;
  auto checked = parse_and_check(source, Limits{}, Limits{}.budget_default);
  ASSERT_TRUE(checked.has_value()) << checked.error().message;
  ASSERT_EQ(checked->units.size(), 2u);
  const UnitResult first = prove_unit(checked->units[0]);
  const UnitResult other = prove_unit(checked->units[1]);
  const UnitResult second = prove_unit(checked->units[0]);
  const UnitResult other_again = prove_unit(checked->units[1]);
  EXPECT_EQ(first.verdict, Verdict::kProved);
  EXPECT_EQ(other.verdict, Verdict::kRefuted);
  EXPECT_EQ(first.work, second.work);
  EXPECT_EQ(encode_unit_result(first), encode_unit_result(second));
  EXPECT_EQ(encode_unit_result(other), encode_unit_result(other_again));
  // And through judge_source, whatever was judged before.
  const FileReport a = judge(source);
  judge(intent_source("x: Int", "", "x * x * x == old_x + 3;"));
  const FileReport b = judge(source);
  ASSERT_EQ(a.results.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(encode_unit_result(a.results[i]), encode_unit_result(b.results[i]));
  }
  EXPECT_EQ(encode_unit_result(a.results[0]), encode_unit_result(first));
}

TEST(ProverDeterminism, UnitQueriesAreStable) {
  auto checked = parse_and_check(kTransfer, Limits{}, Limits{}.budget_default);
  ASSERT_TRUE(checked.has_value());
  const auto first = unit_queries_smtlib(checked->units.at(0));
  const auto second = unit_queries_smtlib(checked->units.at(0));
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, second);
  for (const auto& query : first) EXPECT_NE(query.find("check-sat"), std::string::npos);
}

TEST(ProverDifficulty, IsAFunctionOfWorkAndSizeGrowingWithBoth) {
  EXPECT_GE(difficulty_of(0, 0), 1u);
  std::uint64_t previous = 0;
  for (std::uint64_t work = 0; work <= 100'000; work += 997) {
    const std::uint64_t difficulty = difficulty_of(work, 500);
    EXPECT_GE(difficulty, previous);
    previous = difficulty;
  }
  EXPECT_GT(difficulty_of(100'000, 500), difficulty_of(1'000, 500));
  EXPECT_GT(difficulty_of(1'000, 64'000), difficulty_of(1'000, 64));
  EXPECT_GE(difficulty_of(1'001, 64), difficulty_of(1'000, 64));
  EXPECT_EQ(difficulty_of(12345, 678), difficulty_of(12345, 678));
}

TEST(ProverDifficulty, GrowsWithWork) {
  // Two intents of the same size: one needs much more work than the other.
  const std::string easy = intent_source("a: Int, b: Int", "a > 0; b > 0; b < 10;",
                                         "a == old_a + 0; a >= 0; b >= 0;        ");
  const std::string hard = intent_source("a: Int, b: Int", "a > 0; b > 0; b < 10;",
                                         "a == old_a * b; a >= old_a; a % b == 0;");
  ASSERT_EQ(easy.size(), hard.size());
  const FileReport e = judge(easy);
  const FileReport h = judge(hard);
  ASSERT_FALSE(e.error || h.error);
  const UnitResult& easy_result = e.results.at(0);
  const UnitResult& hard_result = h.results.at(0);
  EXPECT_LT(easy_result.work, hard_result.work);
  EXPECT_LT(easy_result.difficulty, hard_result.difficulty)
      << easy_result.work << " vs " << hard_result.work;
  // More conditions: more work and a higher difficulty.
  const FileReport small = judge(intent_source("b: Balance", "", "b == old_b;"));
  const FileReport large = judge(kTransfer);
  EXPECT_LT(small.results.at(0).work, large.results.at(0).work);
  EXPECT_LT(small.results.at(0).difficulty, large.results.at(0).difficulty);
}

TEST(Prover, OneResultPerUnitInSourceOrder) {
  const FileReport report = judge(
      "intent a() { guard {} solve {} verify {} }\n"
      "atomic_batch b { intent x(v: Balance) { guard {} solve {} verify { v == old_v; } } }\n"
      "intent c(n: Balance) { guard {} solve {} verify { n == old_n - 1; } }\n");
  ASSERT_FALSE(report.error.has_value());
  ASSERT_EQ(report.results.size(), 3u);
  EXPECT_EQ(report.results[0].name, "a");
  EXPECT_EQ(report.results[0].kind, UnitKind::kIntent);
  EXPECT_EQ(report.results[0].verdict, Verdict::kProved);
  EXPECT_EQ(report.results[1].name, "b");
  EXPECT_EQ(report.results[1].kind, UnitKind::kBatch);
  EXPECT_EQ(report.results[1].verdict, Verdict::kProved);
  EXPECT_EQ(report.results[2].name, "c");
  EXPECT_EQ(report.results[2].reason, Reason::kRange);
}

TEST(Prover, InvalidFileHasNoResults) {
  const FileReport report = judge(kTransfer + "intent broken() { guard { x = 1; } solve {} verify {} }\n");
  ASSERT_TRUE(report.error.has_value());
  EXPECT_TRUE(report.results.empty());
  EXPECT_EQ(report.error->position.line, 13u);
}

TEST(Prover, WarningsAreReported) {
  const FileReport report = judge(intent_source("x: Money", "", ""));
  ASSERT_FALSE(report.error.has_value());
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_EQ(report.results.at(0).verdict, Verdict::kProved);
}

}  // namespace
}  // namespace aethel::judge
