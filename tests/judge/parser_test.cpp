// The parser (parser.h) against the grammar of the language specification:
// program structure, parameters and conditions with their modifiers, solve
// settings, batches, operator precedence and associativity, and every
// refusal (syntax errors and limits) with its position and message.
#include "judge/parser.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "fmt/format.h"
#include "tests/judge/refusal_case.h"

namespace aethel::judge {
namespace {

using ast::Expr;
using ast::ExprKind;

ast::Program parse_ok(std::string_view source, const Limits& limits = {}) {
  auto program = parse_program(source, limits);
  EXPECT_TRUE(program.has_value())
      << "refused: " << program.error().position.line << ":" << program.error().position.column
      << ": " << program.error().message << "\nsource: " << source;
  if (!program) return {};
  return std::move(*program);
}

const ast::Intent& first_intent(const ast::Program& program) {
  static const ast::Intent empty;
  if (program.items.empty() || !std::holds_alternative<ast::Intent>(program.items[0])) {
    ADD_FAILURE() << "the program has no intent first";
    return empty;
  }
  return std::get<ast::Intent>(program.items[0]);
}

// An expression tree as an S-expression: `(+ a (* b c))`, `(neg a)`.
std::string sexpr(const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::kName:
    case ExprKind::kInteger: return expr.text;
    case ExprKind::kBool: return expr.bool_value ? "true" : "false";
    case ExprKind::kNegate: return "(neg " + sexpr(*expr.left) + ")";
    case ExprKind::kAdd: return "(+ " + sexpr(*expr.left) + " " + sexpr(*expr.right) + ")";
    case ExprKind::kSub: return "(- " + sexpr(*expr.left) + " " + sexpr(*expr.right) + ")";
    case ExprKind::kMul: return "(* " + sexpr(*expr.left) + " " + sexpr(*expr.right) + ")";
    case ExprKind::kDiv: return "(/ " + sexpr(*expr.left) + " " + sexpr(*expr.right) + ")";
    case ExprKind::kMod: return "(% " + sexpr(*expr.left) + " " + sexpr(*expr.right) + ")";
  }
  return "?";
}

std::string intent_with_guard(std::string_view condition) {
  return "intent t() { guard { " + std::string(condition) + "; } solve {} verify {} }";
}

std::string repeat(std::string_view text, std::size_t times) {
  std::string out;
  out.reserve(text.size() * times);
  for (std::size_t i = 0; i < times; ++i) out += text;
  return out;
}

// ---------------------------------------------------------------------------
// Program structure.

TEST(Parser, EmptyProgramHasNoItems) {
  EXPECT_TRUE(parse_ok("").items.empty());
  EXPECT_TRUE(parse_ok("  # only a comment\n// and another\n").items.empty());
}

TEST(Parser, ParsesTheTransferExampleOfTheSpecification) {
  const std::string source =
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
  const auto program = parse_ok(source);
  ASSERT_EQ(program.items.size(), 1u);
  const ast::Intent& intent = first_intent(program);
  EXPECT_EQ(intent.name, "transfer");
  EXPECT_EQ(intent.position.line, 1u);
  EXPECT_EQ(intent.position.column, 1u);
  ASSERT_EQ(intent.params.size(), 3u);
  EXPECT_EQ(intent.params[0].name, "sender");
  EXPECT_EQ(intent.params[0].type_name, "Balance");
  EXPECT_EQ(intent.params[1].name, "receiver");
  EXPECT_EQ(intent.params[2].name, "amount");
  EXPECT_EQ(intent.params[2].type_name, "Amount");
  EXPECT_EQ(intent.params[2].position.column, 53u);
  EXPECT_EQ(intent.params[2].type_position.column, 61u);
  EXPECT_EQ(intent.guard_position.line, 2u);
  EXPECT_EQ(intent.verify_position.line, 8u);
  ASSERT_EQ(intent.guard.size(), 3u);
  EXPECT_EQ(intent.guard[0].text, "amount > 0");
  EXPECT_EQ(intent.guard[0].relation, ast::Relation::kGt);
  EXPECT_EQ(intent.guard[0].position.line, 3u);
  EXPECT_EQ(intent.guard[0].position.column, 9u);
  EXPECT_EQ(intent.guard[1].relation, ast::Relation::kGe);
  EXPECT_EQ(intent.guard[2].text, "receiver <= 9223372036854775807 - amount");
  EXPECT_EQ(sexpr(intent.guard[2].right), "(- 9223372036854775807 amount)");
  ASSERT_EQ(intent.settings.size(), 1u);
  EXPECT_EQ(intent.settings[0].name, "priority");
  EXPECT_EQ(intent.settings[0].value.kind, ast::Value::Kind::kName);
  EXPECT_EQ(intent.settings[0].value.text, "security");
  EXPECT_EQ(intent.settings[0].position.line, 7u);
  ASSERT_EQ(intent.verify.size(), 2u);
  EXPECT_EQ(intent.verify[0].text, "sender == old_sender - amount");
  EXPECT_EQ(sexpr(intent.verify[1].left), "receiver");
  EXPECT_EQ(sexpr(intent.verify[1].right), "(+ old_receiver amount)");
  EXPECT_EQ(intent.verify[1].position.line, 10u);
  // The span is the intent's whole text.
  EXPECT_EQ(intent.span.begin, 0u);
  EXPECT_EQ(source.substr(intent.span.begin, intent.span.end - intent.span.begin),
            source.substr(0, source.size() - 1));
}

TEST(Parser, ParameterModifiers) {
  const auto program = parse_ok(
      "intent t(a: Int, secret b: Balance, external c: Account, secret external d: Bool, e: Foo)"
      " { guard {} solve {} verify {} }");
  const auto& params = first_intent(program).params;
  ASSERT_EQ(params.size(), 5u);
  struct Expected {
    const char* name;
    const char* type;
    bool secret;
    bool external;
  };
  const Expected expected[] = {{"a", "Int", false, false},
                               {"b", "Balance", true, false},
                               {"c", "Account", false, true},
                               {"d", "Bool", true, true},
                               {"e", "Foo", false, false}};
  for (std::size_t i = 0; i < params.size(); ++i) {
    EXPECT_EQ(params[i].name, expected[i].name);
    EXPECT_EQ(params[i].type_name, expected[i].type);
    EXPECT_EQ(params[i].secret, expected[i].secret) << params[i].name;
    EXPECT_EQ(params[i].external, expected[i].external) << params[i].name;
  }
  // A parameter's position is where it starts, modifiers included.
  EXPECT_EQ(params[1].position.column, 18u);
}

TEST(Parser, EmptyParameterListAndBlocks) {
  const auto program = parse_ok("intent t() { guard { } solve { } verify { } }");
  const auto& intent = first_intent(program);
  EXPECT_TRUE(intent.params.empty());
  EXPECT_TRUE(intent.guard.empty());
  EXPECT_TRUE(intent.settings.empty());
  EXPECT_TRUE(intent.verify.empty());
}

TEST(Parser, ConditionModifiersAndText) {
  const auto program = parse_ok(
      "intent t() {\n"
      "  guard { secret pin == 1234; external   rate  >\n   0; secret external a + b != c; }\n"
      "  solve {}\n"
      "  verify { x == old_x   *\t2; }\n"
      "}");
  const auto& intent = first_intent(program);
  ASSERT_EQ(intent.guard.size(), 3u);
  EXPECT_TRUE(intent.guard[0].secret);
  EXPECT_FALSE(intent.guard[0].external);
  EXPECT_EQ(intent.guard[0].text, "pin == 1234");   // modifiers are not part of the text
  EXPECT_EQ(intent.guard[0].position.column, 11u);  // the condition starts at its modifier
  EXPECT_FALSE(intent.guard[1].secret);
  EXPECT_TRUE(intent.guard[1].external);
  EXPECT_EQ(intent.guard[1].text, "rate > 0");  // whitespace collapsed, newlines included
  EXPECT_TRUE(intent.guard[2].secret);
  EXPECT_TRUE(intent.guard[2].external);
  EXPECT_EQ(intent.guard[2].relation, ast::Relation::kNe);
  EXPECT_EQ(intent.guard[2].text, "a + b != c");
  ASSERT_EQ(intent.verify.size(), 1u);
  EXPECT_EQ(intent.verify[0].text, "x == old_x * 2");
  EXPECT_EQ(intent.verify[0].position.line, 5u);
}

struct RelationCase {
  const char* name;
  const char* text;
  ast::Relation relation;
};

void PrintTo(const RelationCase& test, std::ostream* out) {
  *out << test.name;
}

class ParserRelations : public ::testing::TestWithParam<RelationCase> {};

TEST_P(ParserRelations, ParsesRelation) {
  const auto program = parse_ok(intent_with_guard(GetParam().text));
  const auto& intent = first_intent(program);
  ASSERT_EQ(intent.guard.size(), 1u);
  EXPECT_EQ(intent.guard[0].relation, GetParam().relation);
  EXPECT_EQ(intent.guard[0].text, GetParam().text);
  EXPECT_STREQ(ast::relation_text(GetParam().relation),
               std::string(GetParam().text).substr(2, intent.guard[0].text.size() - 4).c_str());
}

const RelationCase kRelationCases[] = {
    {"Eq", "a == b", ast::Relation::kEq}, {"Ne", "a != b", ast::Relation::kNe},
    {"Lt", "a < b", ast::Relation::kLt},  {"Le", "a <= b", ast::Relation::kLe},
    {"Gt", "a > b", ast::Relation::kGt},  {"Ge", "a >= b", ast::Relation::kGe},
};

INSTANTIATE_TEST_SUITE_P(Table, ParserRelations, ::testing::ValuesIn(kRelationCases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(Parser, SettingValues) {
  const auto program = parse_ok(
      "intent t() { guard {} solve {\n"
      "  priority: security;\n"
      "  budget: 1000;\n"
      "  label: \"hello \\\"world\\\"\";\n"
      "  flag: true;\n"
      "  empty: [];\n"
      "  tags: [a, 1, \"s\", [b, []], [[2]]];\n"
      "} verify {} }");
  const auto& settings = first_intent(program).settings;
  ASSERT_EQ(settings.size(), 6u);
  using Kind = ast::Value::Kind;
  EXPECT_EQ(settings[0].name, "priority");
  EXPECT_EQ(settings[0].value.kind, Kind::kName);
  EXPECT_EQ(settings[0].position.line, 2u);
  EXPECT_EQ(settings[0].position.column, 3u);
  EXPECT_EQ(settings[1].value.kind, Kind::kInteger);
  EXPECT_EQ(settings[1].value.text, "1000");
  EXPECT_EQ(settings[2].value.kind, Kind::kString);
  EXPECT_EQ(settings[2].value.text, "hello \"world\"");
  EXPECT_EQ(settings[3].value.kind, Kind::kName);
  EXPECT_EQ(settings[3].value.text, "true");
  EXPECT_EQ(settings[4].value.kind, Kind::kList);
  EXPECT_TRUE(settings[4].value.items.empty());
  const ast::Value& tags = settings[5].value;
  ASSERT_EQ(tags.kind, Kind::kList);
  ASSERT_EQ(tags.items.size(), 5u);
  EXPECT_EQ(tags.items[0].kind, Kind::kName);
  EXPECT_EQ(tags.items[0].text, "a");
  EXPECT_EQ(tags.items[1].kind, Kind::kInteger);
  EXPECT_EQ(tags.items[2].kind, Kind::kString);
  EXPECT_EQ(tags.items[2].text, "s");
  ASSERT_EQ(tags.items[3].kind, Kind::kList);
  ASSERT_EQ(tags.items[3].items.size(), 2u);
  EXPECT_EQ(tags.items[3].items[0].text, "b");
  EXPECT_EQ(tags.items[3].items[1].kind, Kind::kList);
  EXPECT_TRUE(tags.items[3].items[1].items.empty());
  ASSERT_EQ(tags.items[4].items.size(), 1u);
  ASSERT_EQ(tags.items[4].items[0].items.size(), 1u);
  EXPECT_EQ(tags.items[4].items[0].items[0].text, "2");
}

TEST(Parser, BatchesAndIntentsInSourceOrder) {
  const std::string source =
      "intent first() { guard {} solve {} verify {} }\n"
      "atomic_batch pair {\n"
      "  intent a(x: Balance) { guard {} solve {} verify {} }\n"
      "  intent b(y: Balance) { guard {} solve {} verify {} }\n"
      "}\n"
      "atomic_batch empty { }\n"
      "intent last() { guard {} solve {} verify {} }\n";
  const auto program = parse_ok(source);
  ASSERT_EQ(program.items.size(), 4u);
  ASSERT_TRUE(std::holds_alternative<ast::Intent>(program.items[0]));
  ASSERT_TRUE(std::holds_alternative<ast::Batch>(program.items[1]));
  ASSERT_TRUE(std::holds_alternative<ast::Batch>(program.items[2]));
  ASSERT_TRUE(std::holds_alternative<ast::Intent>(program.items[3]));
  const auto& pair = std::get<ast::Batch>(program.items[1]);
  EXPECT_EQ(pair.name, "pair");
  EXPECT_EQ(pair.position.line, 2u);
  ASSERT_EQ(pair.intents.size(), 2u);
  EXPECT_EQ(pair.intents[0].name, "a");
  EXPECT_EQ(pair.intents[1].name, "b");
  EXPECT_EQ(pair.intents[1].position.line, 4u);
  EXPECT_EQ(pair.intents[1].position.column, 3u);
  const std::string batch_text = source.substr(pair.span.begin, pair.span.end - pair.span.begin);
  EXPECT_TRUE(batch_text.starts_with("atomic_batch pair {"));
  EXPECT_TRUE(batch_text.ends_with("}\n}"));
  EXPECT_TRUE(std::get<ast::Batch>(program.items[2]).intents.empty());  // the checker refuses it
  EXPECT_EQ(std::get<ast::Intent>(program.items[3]).name, "last");
}

// ---------------------------------------------------------------------------
// Precedence and associativity.

struct ExpressionCase {
  const char* name;
  const char* text;
  const char* tree;
};

void PrintTo(const ExpressionCase& test, std::ostream* out) {
  *out << test.name;
}

class ParserExpressions : public ::testing::TestWithParam<ExpressionCase> {};

TEST_P(ParserExpressions, BuildsTheExpectedTree) {
  const auto program = parse_ok(intent_with_guard(std::string(GetParam().text) + " == 0"));
  const auto& intent = first_intent(program);
  ASSERT_EQ(intent.guard.size(), 1u);
  EXPECT_EQ(sexpr(intent.guard[0].left), GetParam().tree) << GetParam().text;
}

const ExpressionCase kExpressionCases[] = {
    {"Name", "a", "a"},
    {"OldName", "old_a", "old_a"},
    {"Integer", "42", "42"},
    {"True", "true", "true"},
    {"False", "false", "false"},
    {"SubIsLeftAssociative", "a - b - c", "(- (- a b) c)"},
    {"AddSubLeftAssociative", "a + b - c + d", "(+ (- (+ a b) c) d)"},
    {"MulBeforeAddLeft", "a * b + c", "(+ (* a b) c)"},
    {"MulBeforeAddRight", "a + b * c", "(+ a (* b c))"},
    {"DivBeforeSub", "a - b / c", "(- a (/ b c))"},
    {"DivIsLeftAssociative", "a / b / c", "(/ (/ a b) c)"},
    {"DivThenMod", "a / b % c", "(% (/ a b) c)"},
    {"ModThenMul", "a % b * c", "(* (% a b) c)"},
    {"UnaryMinusBindsTighterThanMul", "-a * b", "(* (neg a) b)"},
    {"UnaryMinusOfLiteralThenDiv", "-7 / 2", "(/ (neg 7) 2)"},
    {"UnaryMinusAfterOperator", "a * -b", "(* a (neg b))"},
    {"SubtractNegative", "-a - -b", "(- (neg a) (neg b))"},
    {"DoubleNegation", "- - a", "(neg (neg a))"},
    {"NegationOfParentheses", "-(a + b)", "(neg (+ a b))"},
    {"ParenthesesFirst", "(a + b) * c", "(* (+ a b) c)"},
    {"ParenthesesOnTheRight", "a - (b - c)", "(- a (- b c))"},
    {"RedundantParentheses", "((a))", "a"},
    {"Mixed", "a + b * c - d / e % f", "(- (+ a (* b c)) (% (/ d e) f))"},
    {"OldNamesInArithmetic", "old_x - x * 2", "(- old_x (* x 2))"},
    {"BigInteger", "123456789012345678901234567890 + 1", "(+ 123456789012345678901234567890 1)"},
};

INSTANTIATE_TEST_SUITE_P(Table, ParserExpressions, ::testing::ValuesIn(kExpressionCases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(Parser, BothSidesOfAConditionAreExpressions) {
  const auto program = parse_ok(intent_with_guard("a * b + 1 <= -(c - d) % 3"));
  const auto& condition = first_intent(program).guard.at(0);
  EXPECT_EQ(sexpr(condition.left), "(+ (* a b) 1)");
  EXPECT_EQ(sexpr(condition.right), "(% (neg (- c d)) 3)");
  EXPECT_EQ(condition.relation, ast::Relation::kLe);
}

TEST(Parser, ExpressionPositionsAndDepth) {
  const auto program = parse_ok(intent_with_guard("a + b * c == 0"));
  const Expr& left = first_intent(program).guard.at(0).left;
  // `intent t() { guard { ` is 21 characters: `a` is at column 22.
  EXPECT_EQ(left.kind, ExprKind::kAdd);
  EXPECT_EQ(left.position.column, 24u);  // an operator's position is the operator's
  EXPECT_EQ(left.left->position.column, 22u);
  EXPECT_EQ(left.depth, 3u);
  EXPECT_EQ(left.left->depth, 1u);
  EXPECT_EQ(left.right->depth, 2u);
}

// ---------------------------------------------------------------------------
// Refusals.

using test_support::RefusalCase;

class ParserRefusals : public ::testing::TestWithParam<RefusalCase> {};

TEST_P(ParserRefusals, RefusesWithPositionAndMessage) {
  const RefusalCase& c = GetParam();
  auto program = parse_program(c.source, Limits{});
  ASSERT_FALSE(program.has_value()) << "accepted: " << c.source.substr(0, 200);
  const Diagnostic& error = program.error();
  test_support::expect_refusal(error, c);
}

// `intent t() { guard { ` is 21 characters, so a guard's first condition
// starts at column 22 of line 1.
const RefusalCase kRefusalCases[] = {
    // Structure.
    {"TopLevelName", "transfer()", ErrorCode::kSyntax, 1, 1,
     "expected 'intent' or 'atomic_batch', found name 'transfer'"},
    {"TopLevelKeyword", "\n guard {}", ErrorCode::kSyntax, 2, 2,
     "expected 'intent' or 'atomic_batch', found keyword 'guard'"},
    {"MissingIntentName", "intent () {}", ErrorCode::kSyntax, 1, 8,
     "expected an intent name, found '('"},
    {"MissingParameterList", "intent t { guard {} solve {} verify {} }", ErrorCode::kSyntax, 1, 10,
     "expected '(', found '{'"},
    {"MissingGuard", "intent t() { solve {} verify {} }", ErrorCode::kSyntax, 1, 14,
     "expected 'guard', found keyword 'solve'"},
    {"MissingSolve", "intent t() { guard {} verify {} }", ErrorCode::kSyntax, 1, 23,
     "expected 'solve', found keyword 'verify'"},
    {"MissingVerify", "intent t() { guard {} solve {} }", ErrorCode::kSyntax, 1, 32,
     "expected 'verify', found '}'"},
    {"BlocksOutOfOrder", "intent t() { guard {} verify {} solve {} }", ErrorCode::kSyntax, 1, 23,
     "expected 'solve'"},
    {"GuardWithoutBrace", "intent t() { guard a > 0; solve {} verify {} }", ErrorCode::kSyntax, 1,
     20, "expected '{', found name 'a'"},
    {"UnclosedIntent", "intent t() { guard {} solve {} verify {}", ErrorCode::kSyntax, 1, 41,
     "expected '}' closing the intent, found end of file"},
    {"ExtraBlock", "intent t() { guard {} solve {} verify {} guard {} }", ErrorCode::kSyntax, 1, 42,
     "expected '}' closing the intent, found keyword 'guard'"},
    {"UnclosedGuard", "intent t() { guard { a > 0;", ErrorCode::kSyntax, 1, 28,
     "found end of file"},
    // Parameters.
    {"ParamWithoutType", "intent t(a) {}", ErrorCode::kSyntax, 1, 11, "expected ':', found ')'"},
    {"ParamWithoutTypeName", "intent t(a: ) {}", ErrorCode::kSyntax, 1, 13,
     "expected a type name, found ')'"},
    {"ParamsWithoutComma", "intent t(a: Int b: Int) {}", ErrorCode::kSyntax, 1, 17,
     "expected ',' or ')', found name 'b'"},
    {"TrailingCommaInParams", "intent t(a: Int,) {}", ErrorCode::kSyntax, 1, 17,
     "expected a parameter name, found ')'"},
    {"ModifiersInWrongOrder", "intent t(external secret a: Int) {}", ErrorCode::kSyntax, 1, 19,
     "'secret' is a keyword and cannot be used as a parameter name"},
    {"SecretAsParamName", "intent t(secret: Int) {}", ErrorCode::kSyntax, 1, 10,
     "'secret' is a keyword and cannot be used as a parameter name"},
    {"ExternalAsParamName", "intent t(a: Int, external: Int) {}", ErrorCode::kSyntax, 1, 18,
     "'external' is a keyword and cannot be used as a parameter name"},
    {"IntegerAsParam", "intent t(1: Int) {}", ErrorCode::kSyntax, 1, 10,
     "expected a parameter name, found integer 1"},
    // Keywords are never names.
    {"KeywordAsIntentName", "intent guard() {}", ErrorCode::kSyntax, 1, 8,
     "'guard' is a keyword and cannot be used as an intent name"},
    {"KeywordAsBatchName", "atomic_batch intent {}", ErrorCode::kSyntax, 1, 14,
     "'intent' is a keyword and cannot be used as a batch name"},
    {"KeywordAsParamName", "intent t(verify: Int) {}", ErrorCode::kSyntax, 1, 10,
     "'verify' is a keyword and cannot be used as a parameter name"},
    {"KeywordAsTypeName", "intent t(a: true) {}", ErrorCode::kSyntax, 1, 13,
     "'true' is a keyword and cannot be used as a type name"},
    {"KeywordAsSettingName", "intent t() { guard {} solve { solve: 1; } verify {} }",
     ErrorCode::kSyntax, 1, 31, "'solve' is a keyword and cannot be used as a setting name"},
    {"KeywordInExpression", "intent t() { guard { intent == 1; } solve {} verify {} }",
     ErrorCode::kSyntax, 1, 22, "'intent' is a keyword and cannot be used in an expression"},
    {"KeywordOnTheRight", "intent t() { guard { a == guard; } solve {} verify {} }",
     ErrorCode::kSyntax, 1, 27, "'guard' is a keyword and cannot be used in an expression"},
    {"ModifierAfterModifierInCondition",
     "intent t() { guard { external secret a > 0; } solve {} verify {} }", ErrorCode::kSyntax, 1,
     31, "'secret' is a keyword and cannot be used in an expression"},
    // Conditions.
    {"MissingSemicolon", "intent t() { guard { a > 0 } solve {} verify {} }", ErrorCode::kSyntax, 1,
     28, "expected ';' ending the condition, found '}'"},
    {"MissingSemicolonBetween",
     "intent t() {\n guard {\n  a > 0\n  b > 0;\n } solve {} verify {} }", ErrorCode::kSyntax, 4, 3,
     "expected ';' ending the condition, found name 'b'"},
    {"MissingSemicolonInVerify", "intent t() { guard {} solve {} verify { x == 1 } }",
     ErrorCode::kSyntax, 1, 48, "';' ending the condition"},
    {"CommaBetweenConditions", "intent t() { guard { a > 0, b > 0; } solve {} verify {} }",
     ErrorCode::kSyntax, 1, 27, "expected ';' ending the condition, found ','"},
    {"NoRelation", "intent t() { guard { a; } solve {} verify {} }", ErrorCode::kSyntax, 1, 23,
     "expected a comparison (==, !=, <, <=, >, >=), found ';'"},
    {"NoRightSide", "intent t() { guard { a == ; } solve {} verify {} }", ErrorCode::kSyntax, 1, 27,
     "expected a name, an integer, true, false or '(', found ';'"},
    {"EmptyParentheses", "intent t() { guard { () == 1; } solve {} verify {} }", ErrorCode::kSyntax,
     1, 23, "found ')'"},
    {"UnbalancedParenthesis", "intent t() { guard { (a + b == 1; } solve {} verify {} }",
     ErrorCode::kSyntax, 1, 29, "expected ')', found '=='"},
    {"ExtraClosingParenthesis", "intent t() { guard { a + b) == 1; } solve {} verify {} }",
     ErrorCode::kSyntax, 1, 27, "expected a comparison"},
    {"DanglingOperator", "intent t() { guard { a + == 1; } solve {} verify {} }",
     ErrorCode::kSyntax, 1, 26, "found '=='"},
    {"UnaryPlusIsNotAnOperator", "intent t() { guard { +a == 1; } solve {} verify {} }",
     ErrorCode::kSyntax, 1, 22, "found '+'"},
    {"ChainedLess", "intent t() { guard { a < b < c; } solve {} verify {} }", ErrorCode::kSyntax, 1,
     28, "comparisons cannot be chained"},
    {"ChainedEquals", "intent t() { guard {} solve {} verify { a == b == c; } }",
     ErrorCode::kSyntax, 1, 48, "comparisons cannot be chained: write each comparison"},
    {"ChainedMixed", "intent t() { guard { 0 <= a + 1 != b; } solve {} verify {} }",
     ErrorCode::kSyntax, 1, 33, "comparisons cannot be chained"},
    {"StringInExpression", "intent t() { guard { a == \"x\"; } solve {} verify {} }",
     ErrorCode::kSyntax, 1, 27, "found a string"},
    {"ListInExpression", "intent t() { guard { a == [1]; } solve {} verify {} }",
     ErrorCode::kSyntax, 1, 27, "found '['"},
    // Settings.
    {"SettingWithoutColon", "intent t() { guard {} solve { budget 5; } verify {} }",
     ErrorCode::kSyntax, 1, 38, "expected ':', found integer 5"},
    {"SettingWithoutValue", "intent t() { guard {} solve { budget: ; } verify {} }",
     ErrorCode::kSyntax, 1, 39, "expected a setting value (name, integer, string or list)"},
    {"SettingWithoutSemicolon", "intent t() { guard {} solve { budget: 5 } verify {} }",
     ErrorCode::kSyntax, 1, 41, "expected ';' ending the setting, found '}'"},
    {"NegativeSettingValue", "intent t() { guard {} solve { budget: -5; } verify {} }",
     ErrorCode::kSyntax, 1, 39, "expected a setting value"},
    {"KeywordSettingValue", "intent t() { guard {} solve { mode: verify; } verify {} }",
     ErrorCode::kSyntax, 1, 37, "expected a setting value, found keyword 'verify'"},
    {"ListWithoutComma", "intent t() { guard {} solve { tags: [a b]; } verify {} }",
     ErrorCode::kSyntax, 1, 40, "expected ',' or ']', found name 'b'"},
    {"UnclosedList", "intent t() { guard {} solve { tags: [a, ; } verify {} }", ErrorCode::kSyntax,
     1, 41, "expected a setting value"},
    {"ConditionInSolve", "intent t() { guard {} solve { a > 0; } verify {} }", ErrorCode::kSyntax,
     1, 33, "expected ':', found '>'"},
    {"SettingInGuard", "intent t() { guard { budget: 5; } solve {} verify {} }", ErrorCode::kSyntax,
     1, 28, "expected a comparison"},
    // Batches.
    {"BatchWithoutName", "atomic_batch { }", ErrorCode::kSyntax, 1, 14,
     "expected a batch name, found '{'"},
    {"BatchWithoutBrace", "atomic_batch b intent t() {}", ErrorCode::kSyntax, 1, 16,
     "expected '{', found keyword 'intent'"},
    {"NestedBatch", "atomic_batch b { atomic_batch c { } }", ErrorCode::kSyntax, 1, 18,
     "expected 'intent' or '}' closing the batch, found keyword 'atomic_batch'"},
    {"UnclosedBatch", "atomic_batch b { intent t() { guard {} solve {} verify {} }",
     ErrorCode::kSyntax, 1, 60, "closing the batch, found end of file"},
    // Lexical errors reach the parser's caller unchanged.
    {"LexicalErrorInsideIntent", "intent t() {\n guard { a = 1; } solve {} verify {} }",
     ErrorCode::kSyntax, 2, 12, "write '==' to compare"},
};

INSTANTIATE_TEST_SUITE_P(Table, ParserRefusals, ::testing::ValuesIn(kRefusalCases),
                         [](const auto& test) { return std::string(test.param.name); });

// ---------------------------------------------------------------------------
// Limits: the largest input of each kind is accepted, one more is refused
// with kLimit and a message that names the limit.

std::string small_intent(std::string_view name) {
  return "intent " + std::string(name) + "() { guard {} solve {} verify {} }\n";
}

std::string intents(std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += small_intent(fmt::format("i{}", i));
  return out;
}

std::string batch_of(std::size_t count) {
  return "atomic_batch b {\n" + intents(count) + "}\n";
}

std::string with_params(std::size_t count) {
  std::string out = "intent t(";
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) out += ", ";
    out += fmt::format("p{}: Int", i);
  }
  return out + ") { guard {} solve {} verify {} }";
}

std::string with_conditions(std::size_t guard, std::size_t verify) {
  std::string out = "intent t() {\n guard {\n";
  for (std::size_t i = 0; i < guard; ++i) out += fmt::format("  a > {};\n", i);
  out += " }\n solve {}\n verify {\n";
  for (std::size_t i = 0; i < verify; ++i) out += fmt::format("  b < {};\n", i);
  return out + " }\n}\n";
}

std::string with_settings(std::size_t count) {
  std::string out = "intent t() { guard {} solve {\n";
  for (std::size_t i = 0; i < count; ++i) out += fmt::format("  s{}: v;\n", i);
  return out + "} verify {} }";
}

std::string with_list(std::size_t count) {
  std::string out = "intent t() { guard {} solve { tags: [";
  for (std::size_t i = 0; i < count; ++i) out += (i > 0 ? ", " : "") + std::to_string(i);
  return out + "]; } verify {} }";
}

std::string with_nested_lists(std::size_t depth, std::string_view inner) {
  return "intent t() { guard {} solve { tags: " + repeat("[", depth) + std::string(inner) +
         repeat("]", depth) + "; } verify {} }";
}

std::string with_guard_expression(const std::string& expression) {
  return "intent t() { guard { " + expression + " == 1; } solve {} verify {} }";
}

std::string chain(std::size_t operators, std::string_view op = "+") {
  std::string out = "1";
  for (std::size_t i = 0; i < operators; ++i) out += std::string(op) + "1";
  return out;
}

std::string parenthesised(std::size_t depth) {
  return repeat("(", depth) + "1" + repeat(")", depth);
}

std::string right_nested(std::size_t depth) {
  return repeat("1 + (", depth) + "1" + repeat(")", depth);
}

struct LimitCase {
  const char* name;
  std::string accepted;  // at the limit
  std::string refused;   // one past it
  std::string message_part;
};

void PrintTo(const LimitCase& test, std::ostream* out) {
  *out << test.name;
}

class ParserLimits : public ::testing::TestWithParam<LimitCase> {};

TEST_P(ParserLimits, AcceptsAtTheLimitAndRefusesPastIt) {
  const LimitCase& c = GetParam();
  EXPECT_TRUE(parse_program(c.accepted, Limits{}).has_value()) << c.name;
  auto refused = parse_program(c.refused, Limits{});
  ASSERT_FALSE(refused.has_value()) << c.name;
  EXPECT_EQ(refused.error().code, ErrorCode::kLimit) << refused.error().message;
  EXPECT_GE(refused.error().position.line, 1u);
  EXPECT_GE(refused.error().position.column, 1u);
  EXPECT_NE(refused.error().message.find(c.message_part), std::string::npos)
      << "message: " << refused.error().message << "\nexpected to contain: " << c.message_part;
}

const LimitCase kLimitCases[] = {
    {"Items", intents(256), intents(257), "more than 256 intents and batches in one file"},
    {"BatchesCountAsItems", intents(255) + batch_of(1), intents(256) + batch_of(1),
     "more than 256 intents and batches"},
    {"BatchIntents", batch_of(64), batch_of(65), "batch 'b' has more than 64 intents"},
    {"Params", with_params(128), with_params(129), "intent 't' has more than 128 parameters"},
    {"GuardConditions", with_conditions(512, 0), with_conditions(513, 0),
     "intent 't' has more than 512 conditions"},
    {"VerifyConditions", with_conditions(0, 512), with_conditions(0, 513),
     "more than 512 conditions"},
    {"GuardAndVerifyConditionsTogether", with_conditions(300, 212), with_conditions(300, 213),
     "more than 512 conditions"},
    {"Settings", with_settings(64), with_settings(65),
     "intent 't' has more than 64 solve settings"},
    {"ListValues", with_list(64), with_list(65), "setting list has more than 64 values"},
    {"NestedEmptyLists", with_nested_lists(16, ""), with_nested_lists(17, ""),
     "setting value nested deeper than 16 lists"},
    {"NestedListsAroundAValue", with_nested_lists(15, "1"), with_nested_lists(16, "1"),
     "nested deeper than 16 lists"},
    {"DeepParentheses", with_guard_expression(parenthesised(127)),
     with_guard_expression(parenthesised(128)), "expression nested deeper than 128 levels"},
    {"LongAdditionChain", with_guard_expression(chain(127)), with_guard_expression(chain(128)),
     "expression nested deeper than 128 levels"},
    {"LongSubtractionChain", with_guard_expression(chain(127, " - ")),
     with_guard_expression(chain(128, " - ")), "expression nested deeper than 128 levels"},
    {"LongMultiplicationChain", with_guard_expression(chain(127, "*")),
     with_guard_expression(chain(128, "*")), "nested deeper than 128 levels"},
    {"RepeatedUnaryMinus", with_guard_expression(repeat("-", 127) + "1"),
     with_guard_expression(repeat("-", 128) + "1"), "nested deeper than 128 levels"},
    {"RightNestedAddition", with_guard_expression(right_nested(127)),
     with_guard_expression(right_nested(128)), "nested deeper than 128 levels"},
    {"ChainOnTheRightSide", "intent t() { guard { 1 == " + chain(127) + "; } solve {} verify {} }",
     "intent t() { guard { 1 == " + chain(128) + "; } solve {} verify {} }",
     "nested deeper than 128 levels"},
};

INSTANTIATE_TEST_SUITE_P(Table, ParserLimits, ::testing::ValuesIn(kLimitCases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(Parser, LimitsComeFromTheLimitsArgument) {
  Limits limits;
  limits.items_max = 2;
  limits.params_max = 1;
  limits.conditions_max = 1;
  limits.settings_max = 1;
  limits.expression_depth_max = 3;
  limits.value_depth_max = 2;
  limits.batch_intents_max = 1;
  EXPECT_TRUE(parse_program(intents(2), limits).has_value());
  struct Case {
    std::string source;
    const char* message_part;
  };
  const Case cases[] = {
      {intents(3), "more than 2 intents"},
      {with_params(2), "more than 1 parameters"},
      {with_conditions(1, 1), "more than 1 conditions"},
      {with_settings(2), "more than 1 solve settings"},
      {with_list(2), "more than 1 values"},
      {with_nested_lists(3, ""), "deeper than 2 lists"},
      {with_guard_expression(chain(3)), "deeper than 3 levels"},
      {batch_of(2), "more than 1 intents"},
  };
  for (const auto& c : cases) {
    auto refused = parse_program(c.source, limits);
    ASSERT_FALSE(refused.has_value()) << c.source;
    EXPECT_EQ(refused.error().code, ErrorCode::kLimit) << c.source;
    EXPECT_NE(refused.error().message.find(c.message_part), std::string::npos)
        << refused.error().message;
  }
}

// The depth refusal names the place where the limit is crossed.
TEST(Parser, DepthRefusalPointsIntoTheExpression) {
  const std::string source = "intent t() {\n  guard {\n    " + parenthesised(500) +
                             " == 1;\n  }\n  solve {}\n  verify {}\n}";
  auto refused = parse_program(source, Limits{});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kLimit);
  EXPECT_EQ(refused.error().position.line, 3u);
  EXPECT_EQ(refused.error().position.column, 5u + 128u);
}

}  // namespace
}  // namespace aethel::judge
