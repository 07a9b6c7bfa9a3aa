// The type checker (checker.h): declared and inferred types, the split of
// verify conditions into effects and obligations (the set C of the
// specification), secrets, externals, the budget setting, the program's
// units, and every type error with its position and message.
#include "judge/checker.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "fmt/format.h"
#include "tests/judge/refusal_case.h"

namespace aethel::judge {
namespace {

constexpr std::uint64_t kDefaultBudget = 777;

// One intent laid out on fixed lines, so that positions are predictable:
//   line 1: `intent t(PARAMS) {`          parameters start at column 10
//   line 2: `  guard { GUARD }`           the guard's text starts at column 11
//   line 3: `  solve { SOLVE }`           the settings start at column 11
//   line 4: `  verify { VERIFY }`         the verify text starts at column 12
//   line 5: `}`
std::string intent_source(std::string_view params, std::string_view guard, std::string_view verify,
                          std::string_view solve = "") {
  return "intent t(" + std::string(params) + ") {\n  guard { " + std::string(guard) +
         " }\n  solve { " + std::string(solve) + " }\n  verify { " + std::string(verify) +
         " }\n}\n";
}

CheckedProgram check_ok(std::string_view source, std::uint64_t default_budget = kDefaultBudget) {
  auto checked = parse_and_check(source, Limits{}, default_budget);
  EXPECT_TRUE(checked.has_value())
      << "refused: " << checked.error().position.line << ":" << checked.error().position.column
      << ": " << checked.error().message << "\nsource:\n"
      << source;
  if (!checked) return {};
  return std::move(*checked);
}

const CheckedIntent* only_intent(const CheckedProgram& program) {
  if (program.units.size() != 1 || program.units[0].intents.size() != 1) {
    ADD_FAILURE() << "expected one intent";
    return nullptr;
  }
  return &program.units[0].intents[0];
}

const StateName* find_name(const CheckedIntent& intent, std::string_view name) {
  const auto found = intent.index_of.find(name);
  if (found == intent.index_of.end()) return nullptr;
  return &intent.names[found->second];
}

// The state name `name`; a failure, and a blank name, when there is none.
const StateName& name_of(const CheckedIntent& intent, std::string_view name) {
  static const StateName missing;
  const StateName* found = find_name(intent, name);
  if (found == nullptr) {
    ADD_FAILURE() << "no name '" << name << "'";
    return missing;
  }
  return *found;
}

// ---------------------------------------------------------------------------
// Types: declared, unknown, inferred.

struct TypedName {
  const char* name;
  ValueType type;
  bool declared;
};

struct TypeCase {
  const char* name;
  std::string params;
  std::string guard;
  std::string verify;
  std::vector<TypedName> expected;  // every name of the intent, in the checker's order
};

void PrintTo(const TypeCase& test, std::ostream* out) {
  *out << test.name;
}

class CheckerTypes : public ::testing::TestWithParam<TypeCase> {};

TEST_P(CheckerTypes, ResolvesEveryNameWithItsType) {
  const TypeCase& c = GetParam();
  const auto program = check_ok(intent_source(c.params, c.guard, c.verify));
  const CheckedIntent* intent = only_intent(program);
  ASSERT_NE(intent, nullptr);
  ASSERT_EQ(intent->names.size(), c.expected.size());
  for (std::size_t i = 0; i < c.expected.size(); ++i) {
    const StateName& name = intent->names[i];
    EXPECT_EQ(name.name, c.expected[i].name) << "name " << i;
    EXPECT_EQ(name.type, c.expected[i].type)
        << name.name << " is " << value_type_name(name.type) << ", expected "
        << value_type_name(c.expected[i].type);
    EXPECT_EQ(name.declared, c.expected[i].declared) << name.name;
    EXPECT_EQ(intent->index_of.at(name.name), i);
  }
}

constexpr ValueType kInt = ValueType::kInt;
constexpr ValueType kBalance = ValueType::kBalance;
constexpr ValueType kAmount = ValueType::kAmount;
constexpr ValueType kAccount = ValueType::kAccount;
constexpr ValueType kBool = ValueType::kBool;

const TypeCase kTypeCases[] = {
    {"DeclaredTypes",
     "i: Int, b: Balance, a: Amount, who: Account, f: Bool",
     "",
     "",
     {{"i", kInt, true},
      {"b", kBalance, true},
      {"a", kAmount, true},
      {"who", kAccount, true},
      {"f", kBool, true}}},
    {"UnknownTypeIsInt",
     "x: Foo, y: int, z: balance",
     "",
     "",
     {{"x", kInt, true}, {"y", kInt, true}, {"z", kInt, true}}},
    {"BoolFromTrue", "", "flag == true;", "", {{"flag", kBool, false}}},
    {"BoolFromFalseOnTheLeft", "", "false != flag;", "", {{"flag", kBool, false}}},
    {"BoolFromOldName", "", "old_z == true;", "", {{"z", kBool, false}}},
    {"BoolFromDeclaredBool", "b: Bool", "x == b;", "", {{"b", kBool, true}, {"x", kBool, false}}},
    {"BoolFromDeclaredBoolOnTheLeft",
     "b: Bool",
     "b != x;",
     "",
     {{"b", kBool, true}, {"x", kBool, false}}},
    {"BoolInVerifyEffect", "", "", "done == true;", {{"done", kBool, false}}},
    {"AccountFromDeclaredAccount",
     "owner: Account",
     "who != owner;",
     "",
     {{"owner", kAccount, true}, {"who", kAccount, false}}},
    {"AccountThroughOldName",
     "owner: Account",
     "",
     "owner == old_next;",
     {{"owner", kAccount, true}, {"next", kAccount, false}}},
    {"IntFromOrdering", "", "n > 0;", "", {{"n", kInt, false}}},
    {"IntFromIntegerLiteral", "", "n == 5;", "", {{"n", kInt, false}}},
    {"IntFromArithmetic", "", "", "n == old_n + 1;", {{"n", kInt, false}}},
    {"IntFromArithmeticOnTheLeft", "", "n * 2 == m;", "", {{"n", kInt, false}, {"m", kInt, false}}},
    {"IntByDefault", "", "m == n;", "", {{"m", kInt, false}, {"n", kInt, false}}},
    {"IntFromDeclaredNumber",
     "b: Balance",
     "x == b;",
     "",
     {{"b", kBalance, true}, {"x", kInt, false}}},
    {"BoolThroughAChain",
     "",
     "p == q; q == r; r == true;",
     "",
     {{"p", kBool, false}, {"q", kBool, false}, {"r", kBool, false}}},
    {"BoolDecidedBeforeTheChain",
     "",
     "r == true; p == q; q == r;",
     "",
     {{"r", kBool, false}, {"p", kBool, false}, {"q", kBool, false}}},
    {"UndeclaredInOrderOfFirstUse",
     "z: Int",
     "c > 0; a > old_d;",
     "b == old_c;",
     {{"z", kInt, true},
      {"c", kInt, false},
      {"a", kInt, false},
      {"d", kInt, false},
      {"b", kInt, false}}},
    {"OldAndPlainAreOneName", "", "old_x > 0;", "x == old_x + 1;", {{"x", kInt, false}}},
    {"NameWithUnderscoreAfterOld", "", "old__x > 0;", "", {{"_x", kInt, false}}},
};

INSTANTIATE_TEST_SUITE_P(Table, CheckerTypes, ::testing::ValuesIn(kTypeCases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(Checker, UnknownTypeWarnsAtTheTypeName) {
  const auto program = check_ok(intent_source("a: Int, x: Foo", "", ""));
  ASSERT_EQ(program.warnings.size(), 1u);
  EXPECT_EQ(program.warnings[0].position.line, 1u);
  EXPECT_EQ(program.warnings[0].position.column, 21u);
  EXPECT_NE(program.warnings[0].message.find("unknown type 'Foo' for 'x' is treated as Int"),
            std::string::npos)
      << program.warnings[0].message;
}

TEST(Checker, KnownTypesDoNotWarn) {
  const auto program =
      check_ok(intent_source("i: Int, b: Balance, a: Amount, who: Account, f: Bool", "", ""));
  EXPECT_TRUE(program.warnings.empty());
}

TEST(Checker, ValueTypeNamesAndNumericTypes) {
  EXPECT_STREQ(value_type_name(kInt), "Int");
  EXPECT_STREQ(value_type_name(kBalance), "Balance");
  EXPECT_STREQ(value_type_name(kAmount), "Amount");
  EXPECT_STREQ(value_type_name(kAccount), "Account");
  EXPECT_STREQ(value_type_name(kBool), "Bool");
  EXPECT_TRUE(is_numeric(kInt));
  EXPECT_TRUE(is_numeric(kBalance));
  EXPECT_TRUE(is_numeric(kAmount));
  EXPECT_FALSE(is_numeric(kAccount));
  EXPECT_FALSE(is_numeric(kBool));
}

TEST(Checker, ResolveSplitsOldPrefix) {
  const auto program = check_ok(intent_source("a: Int, b: Int", "", "b == old_a;"));
  const CheckedIntent* intent = only_intent(program);
  ASSERT_NE(intent, nullptr);
  const NameRef plain = intent->resolve("b");
  EXPECT_EQ(plain.index, 1u);
  EXPECT_FALSE(plain.old);
  const NameRef old = intent->resolve("old_a");
  EXPECT_EQ(old.index, 0u);
  EXPECT_TRUE(old.old);
}

// ---------------------------------------------------------------------------
// Effects and obligations: C is the set of plain names alone on the left of
// an `==` in verify; `X == e` is an effect when e mentions no plain name of C.

struct EffectCase {
  const char* name;
  std::string params;
  std::string verify;
  std::vector<bool> is_effect;
};

void PrintTo(const EffectCase& test, std::ostream* out) {
  *out << test.name;
}

class CheckerEffects : public ::testing::TestWithParam<EffectCase> {};

TEST_P(CheckerEffects, ClassifiesVerifyConditions) {
  const EffectCase& c = GetParam();
  const auto program = check_ok(intent_source(c.params, "", c.verify));
  const CheckedIntent* intent = only_intent(program);
  ASSERT_NE(intent, nullptr);
  ASSERT_EQ(intent->verify_is_effect.size(), c.is_effect.size());
  for (std::size_t i = 0; i < c.is_effect.size(); ++i) {
    EXPECT_EQ(intent->verify_is_effect[i], c.is_effect[i])
        << "condition " << i << ": " << intent->syntax->verify[i].text;
  }
  // Each effect is recorded on the name it sets, and only there.
  for (std::size_t n = 0; n < intent->names.size(); ++n) {
    const StateName& name = intent->names[n];
    if (!name.effect) continue;
    ASSERT_LT(*name.effect, c.is_effect.size());
    EXPECT_TRUE(c.is_effect[*name.effect]) << name.name;
    EXPECT_EQ(intent->syntax->verify[*name.effect].left.text, name.name);
  }
  for (std::size_t i = 0; i < c.is_effect.size(); ++i) {
    if (!c.is_effect[i]) continue;
    const StateName* target = find_name(*intent, intent->syntax->verify[i].left.text);
    ASSERT_NE(target, nullptr);
    EXPECT_EQ(target->effect, i);
  }
}

constexpr bool E = true;   // effect
constexpr bool O = false;  // obligation

const EffectCase kEffectCases[] = {
    {"FromOldValue", "", "x == old_x + 1;", {E}},
    {"SelfReferenceIsObligation", "", "x == x + 1;", {O}},
    {"SelfEqualityIsObligation", "", "x == x;", {O}},
    {"FirstMentionsLaterTarget", "", "a == b; b == 3;", {O, E}},
    {"LaterMentionsEarlierTarget", "", "b == 3; a == b;", {E, O}},
    {"PlainNameOutsideC", "", "x == y;", {E}},
    {"OldAndPlainOutsideC", "", "x == old_y + y;", {E}},
    {"OldNameOfATarget", "", "x == 1; y == old_x;", {E, E}},
    {"PlainNameOfATarget", "", "x == 1; y == x;", {E, O}},
    {"SecondSetterMentioningItselfIsObligation", "", "x == 1; x == x;", {E, O}},
    {"Ordering", "", "x >= 0;", {O}},
    {"NotEqual", "", "x != 1;", {O}},
    {"OldOnTheLeft", "", "old_x == 1;", {O}},
    {"LiteralOnTheLeft", "", "1 == x;", {O}},
    {"ArithmeticOnTheLeft", "", "x + 0 == 1;", {O}},
    {"ParenthesisedLiteral", "", "x == (1);", {E}},
    {"ParenthesisedTarget", "", "(x) == 1;", {E}},
    {"Mixed", "", "x == old_x; y == 2; z == x + y; w > z;", {E, E, O, O}},
    {"CycleIsAllObligations", "", "a == b; b == a;", {O, O}},
    {"BoolTarget", "f: Bool", "f == true;", {E}},
    {"BoolFromOld", "f: Bool", "f == old_f;", {E}},
    {"AccountSwap", "a: Account, b: Account", "a == old_b; b == old_a;", {E, E}},
    {"ExternalOnTheRight", "external rate: Int", "x == old_x * rate;", {E}},
    {"TransferExample",
     "sender: Balance, receiver: Balance, amount: Amount",
     "sender == old_sender - amount; receiver == old_receiver + amount;",
     {E, E}},
};

INSTANTIATE_TEST_SUITE_P(Table, CheckerEffects, ::testing::ValuesIn(kEffectCases),
                         [](const auto& test) { return std::string(test.param.name); });

// ---------------------------------------------------------------------------
// Secrets and externals.

TEST(Checker, SecretParameterIsSecret) {
  const auto program = check_ok(intent_source("secret pin: Int, x: Int", "pin == 1234;", ""));
  const CheckedIntent* intent = only_intent(program);
  ASSERT_NE(intent, nullptr);
  EXPECT_TRUE(name_of(*intent, "pin").secret);
  EXPECT_FALSE(name_of(*intent, "x").secret);
}

TEST(Checker, SecretConditionMarksEveryNameItMentions) {
  const auto program = check_ok(intent_source(
      "x: Int", "secret code == 1234; secret a + b > old_c; d > 0;", "secret e == old_e + 1;"));
  const CheckedIntent* intent = only_intent(program);
  ASSERT_NE(intent, nullptr);
  for (const char* name : {"code", "a", "b", "c", "e"}) {
    EXPECT_TRUE(name_of(*intent, name).secret) << name;
  }
  for (const char* name : {"x", "d"}) {
    EXPECT_FALSE(name_of(*intent, name).secret) << name;
  }
  // The secret condition is still an effect.
  EXPECT_TRUE(intent->verify_is_effect.at(0));
}

TEST(Checker, ExternalParameterIsExternal) {
  const auto program =
      check_ok(intent_source("external rate: Int, x: Int", "rate > 0;", "x == old_x * rate;"));
  const CheckedIntent* intent = only_intent(program);
  ASSERT_NE(intent, nullptr);
  EXPECT_TRUE(name_of(*intent, "rate").external);
  EXPECT_FALSE(name_of(*intent, "rate").effect.has_value());
  EXPECT_FALSE(name_of(*intent, "x").external);
}

// ---------------------------------------------------------------------------
// The budget setting.

struct BudgetCase {
  const char* name;
  std::string solve;
  std::uint64_t budget;
};

void PrintTo(const BudgetCase& test, std::ostream* out) {
  *out << test.name;
}

class CheckerBudget : public ::testing::TestWithParam<BudgetCase> {};

TEST_P(CheckerBudget, ReadsTheBudget) {
  const auto program = check_ok(intent_source("", "", "", GetParam().solve));
  const CheckedIntent* intent = only_intent(program);
  ASSERT_NE(intent, nullptr);
  EXPECT_EQ(intent->budget, GetParam().budget);
  EXPECT_EQ(program.units[0].budget, GetParam().budget);
}

const BudgetCase kBudgetCases[] = {
    {"Absent", "", kDefaultBudget},
    {"OtherSettingsOnly", "priority: security; tags: [a, \"b\"];", kDefaultBudget},
    {"Given", "budget: 1000;", 1000},
    {"One", "budget: 1;", 1},
    {"AtTheCeiling", "budget: " + std::to_string(Limits{}.budget_max) + ";", Limits{}.budget_max},
    {"AmongUnknownSettings", "priority: security; budget: 12345; mode: [fast, [1]];", 12345},
    {"NameLikeBudgetIsUnknown", "budgets: fast; Budget: none;", kDefaultBudget},
};

INSTANTIATE_TEST_SUITE_P(Table, CheckerBudget, ::testing::ValuesIn(kBudgetCases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(Checker, UnknownSettingsAreKept) {
  const auto program =
      check_ok(intent_source("", "", "", "priority: security; budget: 5; tags: [a];"));
  const CheckedIntent* intent = only_intent(program);
  ASSERT_NE(intent, nullptr);
  ASSERT_EQ(intent->syntax->settings.size(), 3u);
  EXPECT_EQ(intent->syntax->settings[0].name, "priority");
  EXPECT_EQ(intent->syntax->settings[2].name, "tags");
}

TEST(Checker, DefaultBudgetIsTheArgument) {
  const auto program = check_ok(intent_source("", "", ""), 123456);
  EXPECT_EQ(program.units.at(0).budget, 123456u);
}

TEST(Checker, BatchBudgetIsTheSumOfItsIntents) {
  const auto program = check_ok(
      "atomic_batch b {\n"
      "  intent x() { guard {} solve { budget: 10; } verify {} }\n"
      "  intent y() { guard {} solve {} verify {} }\n"
      "  intent z() { guard {} solve { budget: 5; } verify {} }\n"
      "}\n",
      100);
  ASSERT_EQ(program.units.size(), 1u);
  EXPECT_EQ(program.units[0].budget, 115u);
  ASSERT_EQ(program.units[0].intents.size(), 3u);
  EXPECT_EQ(program.units[0].intents[0].budget, 10u);
  EXPECT_EQ(program.units[0].intents[1].budget, 100u);
  EXPECT_EQ(program.units[0].intents[2].budget, 5u);
}

TEST(Checker, ProgramBudgetsAreCappedTogether) {
  Limits limits;
  limits.program_budget_max = 250;
  // 100 + 100 + 50 reaches the ceiling exactly.
  const std::string at_ceiling =
      "intent a() { guard {} solve {} verify {} }\n"
      "atomic_batch b {\n"
      "  intent c() { guard {} solve {} verify {} }\n"
      "  intent d() { guard {} solve { budget: 50; } verify {} }\n"
      "}\n";
  ASSERT_TRUE(parse_and_check(at_ceiling, limits, 100).has_value());
  const std::string above = at_ceiling + "intent e() { guard {} solve { budget: 1; } verify {} }\n";
  const auto refused = parse_and_check(above, limits, 100);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kLimit);
  EXPECT_EQ(refused.error().position.line, 6u);
  EXPECT_NE(refused.error().message.find("reach 251 work units at 'e', above the program "
                                         "ceiling of 250"),
            std::string::npos)
      << refused.error().message;
  // The default limits take twenty intents at the default budget, not 21.
  std::string twenty;
  for (int i = 0; i < 20; ++i) {
    twenty += "intent i" + std::to_string(i) + "() { guard {} solve {} verify {} }\n";
  }
  EXPECT_TRUE(parse_and_check(twenty, Limits{}, Limits{}.budget_default).has_value());
  EXPECT_FALSE(parse_and_check(twenty + "intent last() { guard {} solve {} verify {} }\n",
                               Limits{}, Limits{}.budget_default)
                   .has_value());
}

// ---------------------------------------------------------------------------
// Units of a program.

TEST(Checker, UnitsInSourceOrder) {
  const std::string source =
      "intent a() { guard {} solve {} verify {} }\n"
      "atomic_batch b {\n"
      "  intent a() { guard {} solve {} verify {} }\n"  // names are local to a batch
      "  intent c(x: Balance) { guard {} solve {} verify { x == old_x; } }\n"
      "}\n"
      "atomic_batch d {\n"
      "  intent a() { guard {} solve {} verify {} }\n"
      "}\n"
      "intent c() { guard {} solve {} verify {} }\n";
  const auto program = check_ok(source);
  ASSERT_EQ(program.units.size(), 4u);
  EXPECT_EQ(program.units[0].kind, UnitKind::kIntent);
  EXPECT_EQ(program.units[0].name, "a");
  EXPECT_EQ(program.units[1].kind, UnitKind::kBatch);
  EXPECT_EQ(program.units[1].name, "b");
  ASSERT_EQ(program.units[1].intents.size(), 2u);
  EXPECT_EQ(program.units[1].intents[1].syntax->name, "c");
  EXPECT_EQ(program.units[2].name, "d");
  EXPECT_EQ(program.units[3].name, "c");
  for (const auto& unit : program.units) {
    const std::string text = source.substr(unit.span.begin, unit.span.end - unit.span.begin);
    EXPECT_TRUE(text.starts_with(unit.kind == UnitKind::kBatch ? "atomic_batch " : "intent "));
    EXPECT_TRUE(text.ends_with("}"));
  }
}

TEST(Checker, EmptyProgramHasNoUnits) {
  const auto program = check_ok("# nothing here\n");
  EXPECT_TRUE(program.units.empty());
}

// ---------------------------------------------------------------------------
// Refusals.

struct RefusalCase {
  const char* name;
  std::string source;
  ErrorCode code;
  std::uint32_t line;
  std::uint32_t column;
  std::vector<std::string> message_parts;  // each must appear in the message
};

void PrintTo(const RefusalCase& test, std::ostream* out) {
  *out << test.name;
}

class CheckerRefusals : public ::testing::TestWithParam<RefusalCase> {};

TEST_P(CheckerRefusals, RefusesWithPositionAndMessage) {
  const RefusalCase& c = GetParam();
  auto checked = parse_and_check(c.source, Limits{}, kDefaultBudget);
  ASSERT_FALSE(checked.has_value()) << "accepted:\n" << c.source;
  const Diagnostic& error = checked.error();
  test_support::expect_refusal(error, c.code, c.line, c.column);
  for (const auto& part : c.message_parts) test_support::expect_message_contains(error, part);
}

std::string undeclared_names(std::size_t count) {
  std::string guard;
  for (std::size_t i = 0; i < count; ++i) guard += fmt::format("n{} > 0; ", i);
  return intent_source("", guard, "");
}

const std::string kCeiling = std::to_string(Limits{}.budget_max);

const RefusalCase kRefusalCases[] = {
    // Parameters.
    {"OldParameter",
     intent_source("old_x: Int", "", ""),
     ErrorCode::kType,
     1,
     10,
     {"'old_x'", "names beginning with 'old_' are reserved"}},
    {"OldParameterAfterOthers",
     intent_source("a: Int, old_a: Int", "", ""),
     ErrorCode::kType,
     1,
     18,
     {"'old_a'", "reserved"}},
    {"SecretOldParameter",
     intent_source("secret old_pin: Int", "", ""),
     ErrorCode::kType,
     1,
     10,
     {"'old_pin'", "reserved"}},
    {"DuplicateParameter",
     intent_source("a: Int, a: Bool", "", ""),
     ErrorCode::kType,
     1,
     18,
     {"parameter 'a' is declared twice in intent 't'"}},
    // Names written with `old_` that name nothing.
    {"OldAlone",
     intent_source("", "old_ == 1;", ""),
     ErrorCode::kType,
     2,
     11,
     {"'old_' is not a valid name"}},
    {"OldOld",
     intent_source("", "", "x == old_old_x;"),
     ErrorCode::kType,
     4,
     17,
     {"'old_old_x' is not a valid name"}},
    {"OldDigit",
     intent_source("", "old_1 > 0;", ""),
     ErrorCode::kType,
     2,
     11,
     {"'old_1' is not a valid name"}},
    // Conflicting uses of an undeclared name: the refusal is at the second
    // use and names the first.
    {"BoolThenInt",
     intent_source("", "f == true; f > 0;", ""),
     ErrorCode::kType,
     2,
     22,
     {"'f'", "Int", "Bool", "2:11"}},
    {"IntThenBool",
     intent_source("", "g + 1 > 0;", "g == true;"),
     ErrorCode::kType,
     4,
     12,
     {"'g'", "Int", "Bool", "2:11"}},
    {"OldNameConflicts",
     intent_source("", "old_h == true;", "h == 1;"),
     ErrorCode::kType,
     4,
     12,
     {"'h'", "Int", "Bool", "2:11"}},
    {"ConflictThroughAChain",
     intent_source("", "p == q; q == true;", "p + 1 > 0;"),
     ErrorCode::kType,
     4,
     12,
     {"'p'", "Int", "Bool", "2:19"}},
    {"TwoDecidedNamesCompared",
     intent_source("", "p > 0; q == true; p == q;", ""),
     ErrorCode::kType,
     2,
     29,
     {"'p'", "'q'", "Int", "Bool", "2:11", "2:18"}},
    // Declared types against their use.
    {"AccountThenBool",
     intent_source("a: Account", "x == a; x == true;", ""),
     ErrorCode::kType,
     2,
     19,
     {"Account", "Bool"}},
    {"DeclaredIntComparedWithTrue",
     intent_source("x: Int", "x == true;", ""),
     ErrorCode::kType,
     2,
     11,
     {"cannot compare Int with Bool", "x == true"}},
    {"ArithmeticOnAccount",
     intent_source("a: Account", "a + 1 > 0;", ""),
     ErrorCode::kType,
     2,
     11,
     {"arithmetic on an Account value is not allowed"}},
    {"AccountSetByArithmetic",
     intent_source("a: Account", "", "a == old_a + 1;"),
     ErrorCode::kType,
     4,
     17,
     {"arithmetic", "Account"}},
    {"NegatedAccount",
     intent_source("a: Account, b: Account", "-a == b;", ""),
     ErrorCode::kType,
     2,
     12,
     {"arithmetic", "Account"}},
    {"ArithmeticOnBool",
     intent_source("b: Bool", "", "b == old_b + 1;"),
     ErrorCode::kType,
     4,
     17,
     {"arithmetic on a Bool value is not allowed"}},
    {"ArithmeticOnBoolLiteral",
     intent_source("", "true + 1 == 2;", ""),
     ErrorCode::kType,
     2,
     11,
     {"arithmetic on a Bool value is not allowed"}},
    {"NegatedBoolLiteral",
     intent_source("", "-false == 0;", ""),
     ErrorCode::kType,
     2,
     12,
     {"arithmetic", "Bool"}},
    {"OrderingOnDeclaredBool",
     intent_source("b: Bool, c: Bool", "b < c;", ""),
     ErrorCode::kType,
     2,
     11,
     {"'<' does not apply to Bool values"}},
    {"OrderingOnBoolLiterals",
     intent_source("", "true < false;", ""),
     ErrorCode::kType,
     2,
     11,
     {"'<' does not apply to Bool values: only == and != do"}},
    {"OrderingIntWithBool",
     intent_source("", "1 >= true;", ""),
     ErrorCode::kType,
     2,
     11,
     {"'>=' does not apply to Bool values"}},
    {"OrderingOnAccounts",
     intent_source("a: Account, c: Account", "a <= c;", ""),
     ErrorCode::kType,
     2,
     11,
     {"'<=' does not apply to Account values"}},
    {"OrderingOnInferredBool",
     intent_source("", "f == true; f >= f;", ""),
     ErrorCode::kType,
     2,
     22,
     {"'f'", "Bool"}},
    {"CompareIntWithBoolLiterals",
     intent_source("", "1 == true;", ""),
     ErrorCode::kType,
     2,
     11,
     {"cannot compare Int with Bool in '1 == true'"}},
    {"CompareArithmeticWithBool",
     intent_source("x: Int", "x + 1 != false;", ""),
     ErrorCode::kType,
     2,
     11,
     {"cannot compare Int with Bool in 'x + 1 != false'"}},
    {"CompareBoolWithArithmetic",
     intent_source("x: Int", "", "true == x * 2;"),
     ErrorCode::kType,
     4,
     12,
     {"cannot compare Bool with Int"}},
    {"CompareAccountWithInteger",
     intent_source("a: Account", "a == 5;", ""),
     ErrorCode::kType,
     2,
     11,
     {"cannot compare Account with Int", "a == 5"}},
    {"CompareAccountWithBool",
     intent_source("a: Account, b: Bool", "a == b;", ""),
     ErrorCode::kType,
     2,
     11,
     {"Account", "Bool", "a == b"}},
    {"CompareDeclaredIntWithDeclaredBool",
     intent_source("x: Int, b: Bool", "", "x != b;"),
     ErrorCode::kType,
     4,
     12,
     {"Int", "Bool", "x != b"}},
    // Effects.
    {"TwoEffects",
     "intent t() {\n  guard {}\n  solve {}\n  verify {\n    x == 1;\n    x == old_x + 2;\n  }\n}\n",
     ErrorCode::kType,
     6,
     5,
     {"'x' is set by two effects: line 5 and line 6"}},
    {"TwoEffectsOfABool",
     intent_source("f: Bool", "", "f == true; f == false;"),
     ErrorCode::kType,
     4,
     23,
     {"'f' is set by two effects"}},
    {"ExternalSet",
     intent_source("external e: Int", "", "e == old_e + 1;"),
     ErrorCode::kType,
     4,
     12,
     {"'e' is external (supplied from outside) and cannot be set by the transition"}},
    {"ExternalSetToLiteral",
     intent_source("x: Int, secret external key: Account", "", "x == 1; key == old_key;"),
     ErrorCode::kType,
     4,
     20,
     {"'key' is external"}},
    // Budget.
    {"BudgetZero",
     intent_source("", "", "", "budget: 0;"),
     ErrorCode::kType,
     3,
     11,
     {"'budget' must be a positive integer"}},
    {"BudgetZeros",
     intent_source("", "", "", "budget: 000;"),
     ErrorCode::kType,
     3,
     11,
     {"must be a positive integer"}},
    {"BudgetOverCeiling",
     intent_source("", "", "", "budget: " + std::to_string(Limits{}.budget_max + 1) + ";"),
     ErrorCode::kLimit,
     3,
     11,
     {"budget " + std::to_string(Limits{}.budget_max + 1) + " exceeds the ceiling of " + kCeiling}},
    {"BudgetFarOverCeiling",
     intent_source("", "", "", "budget: 99999999999999999999999999999999999999;"),
     ErrorCode::kLimit,
     3,
     11,
     {"exceeds the ceiling of " + kCeiling}},
    {"BudgetName",
     intent_source("", "", "", "budget: fast;"),
     ErrorCode::kType,
     3,
     11,
     {"'budget' must be a positive integer"}},
    {"BudgetString",
     intent_source("", "", "", "budget: \"100\";"),
     ErrorCode::kType,
     3,
     11,
     {"'budget' must be a positive integer"}},
    {"BudgetList",
     intent_source("", "", "", "budget: [100];"),
     ErrorCode::kType,
     3,
     11,
     {"'budget' must be a positive integer"}},
    {"BudgetTwice",
     intent_source("", "", "", "budget: 10; budget: 10;"),
     ErrorCode::kType,
     3,
     23,
     {"'budget' is set twice in intent 't'"}},
    {"BudgetTwiceAfterOthers",
     intent_source("", "", "", "budget: 1; a: b; budget: fast;"),
     ErrorCode::kType,
     3,
     28,
     {"set twice"}},
    // Program structure.
    {"DuplicateIntent",
     "intent t() { guard {} solve {} verify {} }\n\nintent t() { guard {} solve {} verify {} }\n",
     ErrorCode::kType,
     3,
     1,
     {"'t' is already defined at 1:1"}},
    {"BatchNamedLikeIntent",
     "intent t() { guard {} solve {} verify {} }\n  atomic_batch t {\n"
     "  intent u() { guard {} solve {} verify {} }\n}\n",
     ErrorCode::kType,
     2,
     3,
     {"'t' is already defined at 1:1"}},
    {"DuplicateBatch",
     "atomic_batch b { intent u() { guard {} solve {} verify {} } }\n"
     "atomic_batch b { intent v() { guard {} solve {} verify {} } }\n",
     ErrorCode::kType,
     2,
     1,
     {"'b' is already defined at 1:1"}},
    {"DuplicateIntentInBatch",
     "atomic_batch b {\n  intent u() { guard {} solve {} verify {} }\n"
     "  intent u() { guard {} solve {} verify {} }\n}\n",
     ErrorCode::kType,
     3,
     3,
     {"intent 'u' appears twice in batch 'b'"}},
    {"EmptyBatch",
     "intent t() { guard {} solve {} verify {} }\natomic_batch empty { }\n",
     ErrorCode::kType,
     2,
     1,
     {"atomic_batch 'empty' has no intents"}},
    {"ErrorInsideBatch",
     "atomic_batch b {\n  intent u(old_a: Int) { guard {} solve {} verify {} }\n}\n",
     ErrorCode::kType,
     2,
     12,
     {"reserved"}},
    // The names limit.
    {"TooManyNames",
     undeclared_names(257),
     ErrorCode::kLimit,
     2,
     11 + 10 * 8 + 90 * 9 + 156 * 10,
     {"intent 't' uses more than 256 names"}},
};

INSTANTIATE_TEST_SUITE_P(Table, CheckerRefusals, ::testing::ValuesIn(kRefusalCases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(Checker, AcceptsExactlyTheNamesLimit) {
  const auto program = check_ok(undeclared_names(256));
  const CheckedIntent* intent = only_intent(program);
  ASSERT_NE(intent, nullptr);
  EXPECT_EQ(intent->names.size(), 256u);
}

TEST(Checker, ParametersCountTowardsTheNamesLimit) {
  std::string params;
  for (int i = 0; i < 128; ++i) params += fmt::format("{}p{}: Int", i > 0 ? ", " : "", i);
  std::string guard;
  for (int i = 0; i < 128; ++i) guard += fmt::format("n{} > 0; ", i);
  EXPECT_TRUE(parse_and_check(intent_source(params, guard, ""), Limits{}, 1).has_value());
  auto refused = parse_and_check(intent_source(params, guard + "one_more > 0;", ""), Limits{}, 1);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kLimit);
  EXPECT_NE(refused.error().message.find("more than 256 names"), std::string::npos);
}

TEST(Checker, ParseErrorsComeThroughParseAndCheck) {
  auto refused = parse_and_check("intent t() { guard { a = 1; } solve {} verify {} }", Limits{}, 1);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kSyntax);
}

// Keywords are not names (the parser refuses them wherever a name is
// expected), so `old_true` names the value before of nothing.
TEST(Checker, OldPrefixOfAKeywordIsRefused) {
  for (const char* written : {"old_true", "old_false", "old_guard", "old_intent", "old_secret"}) {
    auto checked = parse_and_check(intent_source("", std::string(written) + " > 0;", ""), Limits{},
                                   kDefaultBudget);
    EXPECT_FALSE(checked.has_value()) << written << " is accepted";
    if (!checked) {
      EXPECT_EQ(checked.error().code, ErrorCode::kType);
    }
  }
}

// Leading zeros do not change an integer's value ("values are exact"): a
// budget of 0000000001 is 1, within the ceiling.
TEST(Checker, BudgetWithLeadingZerosIsItsValue) {
  auto checked = parse_and_check(intent_source("", "", "", "budget: 0000000001;"), Limits{}, 7);
  ASSERT_TRUE(checked.has_value()) << checked.error().message;
  EXPECT_EQ(checked->units.at(0).budget, 1u);
}

}  // namespace
}  // namespace aethel::judge
