#include "judge/parser.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "core/assert.h"
#include "fmt/format.h"
#include "judge/lexer.h"

namespace aethel::judge {
namespace {

using ast::Expr;
using ast::ExprKind;

std::string collapse_whitespace(std::string_view text) {
  std::string out;
  bool in_blank = false;
  for (char c : text) {
    const bool blank = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (blank) {
      in_blank = true;
      continue;
    }
    if (in_blank && !out.empty()) out.push_back(' ');
    in_blank = false;
    out.push_back(c);
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view source, std::vector<Token> tokens, const Limits& limits)
      : source_(source), tokens_(std::move(tokens)), limits_(limits) {}

  Checked<ast::Program> program() {
    ast::Program result;
    while (current().kind != TokenKind::kEnd) {
      if (result.items.size() >= limits_.items_max) {
        return refuse(
            ErrorCode::kLimit, current().position,
            fmt::format("more than {} intents and batches in one file", limits_.items_max));
      }
      if (is_keyword("intent")) {
        auto parsed = intent();
        if (!parsed) return unexpected(parsed.error());
        result.items.emplace_back(std::move(*parsed));
      } else if (is_keyword("atomic_batch")) {
        auto parsed = batch();
        if (!parsed) return unexpected(parsed.error());
        result.items.emplace_back(std::move(*parsed));
      } else {
        return mismatch("'intent' or 'atomic_batch'");
      }
    }
    return result;
  }

 private:
  const Token& current() const { return tokens_[index_]; }
  const Token& previous() const {
    AETHEL_ASSERT(index_ > 0);
    return tokens_[index_ - 1];
  }
  void advance() {
    if (current().kind != TokenKind::kEnd) ++index_;
  }
  bool is(TokenKind kind) const { return current().kind == kind; }
  bool is_keyword(std::string_view word) const {
    return current().kind == TokenKind::kKeyword && current().text == word;
  }

  unexpected<Diagnostic> mismatch(std::string_view expected) const {
    return refuse(ErrorCode::kSyntax, current().position,
                  fmt::format("expected {}, found {}", expected, describe(current())));
  }

  Checked<Token> expect(TokenKind kind) {
    if (!is(kind)) return mismatch(token_kind_text(kind));
    Token token = current();
    advance();
    return token;
  }

  Checked<Token> expect_keyword(std::string_view word) {
    if (!is_keyword(word)) return mismatch(fmt::format("'{}'", word));
    Token token = current();
    advance();
    return token;
  }

  Checked<Token> expect_name(std::string_view what) {
    if (is(TokenKind::kKeyword)) {
      return refuse(
          ErrorCode::kSyntax, current().position,
          fmt::format("'{}' is a keyword and cannot be used as {}", current().text, what));
    }
    if (!is(TokenKind::kName)) return mismatch(what);
    Token token = current();
    advance();
    return token;
  }

  Checked<ast::Batch> batch() {
    ast::Batch result;
    const std::size_t begin = current().offset;
    result.position = current().position;
    advance();  // atomic_batch
    auto name = expect_name("a batch name");
    if (!name) return unexpected(name.error());
    result.name = name->text;
    if (auto open = expect(TokenKind::kLeftBrace); !open) return unexpected(open.error());
    while (!is(TokenKind::kRightBrace)) {
      if (!is_keyword("intent")) return mismatch("'intent' or '}' closing the batch");
      if (result.intents.size() >= limits_.batch_intents_max) {
        return refuse(ErrorCode::kLimit, current().position,
                      fmt::format("batch '{}' has more than {} intents", result.name,
                                  limits_.batch_intents_max));
      }
      auto parsed = intent();
      if (!parsed) return unexpected(parsed.error());
      result.intents.push_back(std::move(*parsed));
    }
    advance();  // }
    result.span = {begin, previous().end};
    return result;
  }

  Checked<ast::Intent> intent() {
    ast::Intent result;
    const std::size_t begin = current().offset;
    result.position = current().position;
    advance();  // intent
    auto name = expect_name("an intent name");
    if (!name) return unexpected(name.error());
    result.name = name->text;
    if (auto ok = params(result); !ok) return unexpected(ok.error());
    if (auto open = expect(TokenKind::kLeftBrace); !open) return unexpected(open.error());

    auto guard = expect_keyword("guard");
    if (!guard) return unexpected(guard.error());
    result.guard_position = guard->position;
    if (auto ok = conditions(result.guard, result); !ok) return unexpected(ok.error());

    if (auto solve = expect_keyword("solve"); !solve) return unexpected(solve.error());
    if (auto ok = settings(result); !ok) return unexpected(ok.error());

    auto verify = expect_keyword("verify");
    if (!verify) return unexpected(verify.error());
    result.verify_position = verify->position;
    if (auto ok = conditions(result.verify, result); !ok) return unexpected(ok.error());

    if (auto close = expect(TokenKind::kRightBrace); !close) {
      return mismatch("'}' closing the intent");
    }
    result.span = {begin, previous().end};
    return result;
  }

  Checked<void> params(ast::Intent& intent) {
    if (auto open = expect(TokenKind::kLeftParen); !open) return unexpected(open.error());
    if (is(TokenKind::kRightParen)) {
      advance();
      return {};
    }
    while (true) {
      if (intent.params.size() >= limits_.params_max) {
        return refuse(ErrorCode::kLimit, current().position,
                      fmt::format("intent '{}' has more than {} parameters", intent.name,
                                  limits_.params_max));
      }
      ast::Param param;
      param.position = current().position;
      for (const char* modifier : {"secret", "external"}) {
        if (!is_keyword(modifier)) continue;
        if (tokens_[index_ + 1].kind == TokenKind::kColon) {
          return refuse(
              ErrorCode::kSyntax, current().position,
              fmt::format("'{}' is a keyword and cannot be used as a parameter name", modifier));
        }
        (modifier[0] == 's' ? param.secret : param.external) = true;
        advance();
      }
      auto name = expect_name("a parameter name");
      if (!name) return unexpected(name.error());
      param.name = name->text;
      if (auto colon = expect(TokenKind::kColon); !colon) return unexpected(colon.error());
      param.type_position = current().position;
      auto type = expect_name("a type name");
      if (!type) return unexpected(type.error());
      param.type_name = type->text;
      intent.params.push_back(std::move(param));
      if (is(TokenKind::kComma)) {
        advance();
        continue;
      }
      if (is(TokenKind::kRightParen)) {
        advance();
        return {};
      }
      return mismatch("',' or ')'");
    }
  }

  Checked<void> conditions(std::vector<ast::Condition>& out, const ast::Intent& intent) {
    if (auto open = expect(TokenKind::kLeftBrace); !open) return unexpected(open.error());
    while (!is(TokenKind::kRightBrace)) {
      if (intent.guard.size() + intent.verify.size() >= limits_.conditions_max) {
        return refuse(ErrorCode::kLimit, current().position,
                      fmt::format("intent '{}' has more than {} conditions", intent.name,
                                  limits_.conditions_max));
      }
      auto parsed = condition();
      if (!parsed) return unexpected(parsed.error());
      out.push_back(std::move(*parsed));
      if (auto semicolon = expect(TokenKind::kSemicolon); !semicolon) {
        return mismatch("';' ending the condition");
      }
    }
    advance();  // }
    return {};
  }

  static std::optional<ast::Relation> relation_of(TokenKind kind) {
    switch (kind) {
      case TokenKind::kEq: return ast::Relation::kEq;
      case TokenKind::kNe: return ast::Relation::kNe;
      case TokenKind::kLt: return ast::Relation::kLt;
      case TokenKind::kLe: return ast::Relation::kLe;
      case TokenKind::kGt: return ast::Relation::kGt;
      case TokenKind::kGe: return ast::Relation::kGe;
      default: return std::nullopt;
    }
  }

  Checked<ast::Condition> condition() {
    ast::Condition result;
    result.position = current().position;
    if (is_keyword("secret")) result.secret = true, advance();
    if (is_keyword("external")) result.external = true, advance();
    const std::size_t begin = current().offset;
    auto left = expression();
    if (!left) return unexpected(left.error());
    const auto relation = relation_of(current().kind);
    if (!relation) return mismatch("a comparison (==, !=, <, <=, >, >=)");
    advance();
    auto right = expression();
    if (!right) return unexpected(right.error());
    if (relation_of(current().kind)) {
      return refuse(ErrorCode::kSyntax, current().position,
                    "comparisons cannot be chained: write each comparison as its own condition");
    }
    result.left = std::move(*left);
    result.relation = *relation;
    result.right = std::move(*right);
    result.text = collapse_whitespace(source_.substr(begin, previous().end - begin));
    return result;
  }

  Checked<void> settings(ast::Intent& intent) {
    if (auto open = expect(TokenKind::kLeftBrace); !open) return unexpected(open.error());
    while (!is(TokenKind::kRightBrace)) {
      if (intent.settings.size() >= limits_.settings_max) {
        return refuse(ErrorCode::kLimit, current().position,
                      fmt::format("intent '{}' has more than {} solve settings", intent.name,
                                  limits_.settings_max));
      }
      ast::Setting setting;
      setting.position = current().position;
      auto name = expect_name("a setting name");
      if (!name) return unexpected(name.error());
      setting.name = name->text;
      if (auto colon = expect(TokenKind::kColon); !colon) return unexpected(colon.error());
      auto parsed = value(0);
      if (!parsed) return unexpected(parsed.error());
      setting.value = std::move(*parsed);
      if (auto semicolon = expect(TokenKind::kSemicolon); !semicolon) {
        return mismatch("';' ending the setting");
      }
      intent.settings.push_back(std::move(setting));
    }
    advance();  // }
    return {};
  }

  Checked<ast::Value> value(std::size_t depth) {
    if (depth >= limits_.value_depth_max) {
      return refuse(
          ErrorCode::kLimit, current().position,
          fmt::format("setting value nested deeper than {} lists", limits_.value_depth_max));
    }
    ast::Value result;
    const Token& token = current();
    switch (token.kind) {
      case TokenKind::kName: result.kind = ast::Value::Kind::kName; break;
      case TokenKind::kKeyword:
        if (token.text != "true" && token.text != "false") return mismatch("a setting value");
        result.kind = ast::Value::Kind::kName;
        break;
      case TokenKind::kInteger: result.kind = ast::Value::Kind::kInteger; break;
      case TokenKind::kString: result.kind = ast::Value::Kind::kString; break;
      case TokenKind::kLeftBracket: return list_value(depth);
      default: return mismatch("a setting value (name, integer, string or list)");
    }
    result.text = token.text;
    advance();
    return result;
  }

  Checked<ast::Value> list_value(std::size_t depth) {
    ast::Value result;
    result.kind = ast::Value::Kind::kList;
    advance();  // [
    if (is(TokenKind::kRightBracket)) {
      advance();
      return result;
    }
    while (true) {
      if (result.items.size() >= limits_.settings_max) {
        return refuse(ErrorCode::kLimit, current().position,
                      fmt::format("setting list has more than {} values", limits_.settings_max));
      }
      auto item = value(depth + 1);
      if (!item) return unexpected(item.error());
      result.items.push_back(std::move(*item));
      if (is(TokenKind::kComma)) {
        advance();
        continue;
      }
      if (is(TokenKind::kRightBracket)) {
        advance();
        return result;
      }
      return mismatch("',' or ']'");
    }
  }

  // expr := expr ("+"|"-") term | term
  Checked<Expr> expression() {
    auto left = term();
    if (!left) return left;
    while (is(TokenKind::kPlus) || is(TokenKind::kMinus)) {
      const auto kind = is(TokenKind::kPlus) ? ExprKind::kAdd : ExprKind::kSub;
      const auto position = current().position;
      advance();
      auto right = term();
      if (!right) return right;
      auto combined = binary(kind, position, std::move(*left), std::move(*right));
      if (!combined) return combined;
      left = std::move(combined);
    }
    return left;
  }

  // term := term ("*"|"/"|"%") unary | unary
  Checked<Expr> term() {
    auto left = unary();
    if (!left) return left;
    while (is(TokenKind::kStar) || is(TokenKind::kSlash) || is(TokenKind::kPercent)) {
      const auto kind = is(TokenKind::kStar)    ? ExprKind::kMul
                        : is(TokenKind::kSlash) ? ExprKind::kDiv
                                                : ExprKind::kMod;
      const auto position = current().position;
      advance();
      auto right = unary();
      if (!right) return right;
      auto combined = binary(kind, position, std::move(*left), std::move(*right));
      if (!combined) return combined;
      left = std::move(combined);
    }
    return left;
  }

  // unary := "-" unary | atom
  Checked<Expr> unary() {
    if (auto ok = enter(); !ok) return unexpected(ok.error());
    Checked<Expr> result = [&]() -> Checked<Expr> {
      if (!is(TokenKind::kMinus)) return atom();
      const auto position = current().position;
      advance();
      auto operand = unary();
      if (!operand) return operand;
      Expr negated;
      negated.kind = ExprKind::kNegate;
      negated.position = position;
      negated.depth = operand->depth + 1;
      negated.left = std::make_unique<Expr>(std::move(*operand));
      if (auto ok = check_depth(negated); !ok) return unexpected(ok.error());
      return negated;
    }();
    --nesting_;
    return result;
  }

  // atom := NAME | INTEGER | "true" | "false" | "(" expr ")"
  Checked<Expr> atom() {
    Expr result;
    result.position = current().position;
    if (is(TokenKind::kName)) {
      result.kind = ExprKind::kName;
      result.text = current().text;
      advance();
      return result;
    }
    if (is(TokenKind::kInteger)) {
      result.kind = ExprKind::kInteger;
      result.text = current().text;
      advance();
      return result;
    }
    if (is_keyword("true") || is_keyword("false")) {
      result.kind = ExprKind::kBool;
      result.bool_value = current().text == "true";
      advance();
      return result;
    }
    if (is(TokenKind::kLeftParen)) {
      advance();
      auto inner = expression();
      if (!inner) return inner;
      if (!is(TokenKind::kRightParen)) return mismatch("')'");
      advance();
      return inner;
    }
    if (is(TokenKind::kKeyword)) {
      return refuse(
          ErrorCode::kSyntax, current().position,
          fmt::format("'{}' is a keyword and cannot be used in an expression", current().text));
    }
    return mismatch("a name, an integer, true, false or '('");
  }

  Checked<Expr> binary(ExprKind kind, ast::Position position, Expr left, Expr right) {
    Expr result;
    result.kind = kind;
    result.position = position;
    result.depth = std::max(left.depth, right.depth) + 1;
    result.left = std::make_unique<Expr>(std::move(left));
    result.right = std::make_unique<Expr>(std::move(right));
    if (auto ok = check_depth(result); !ok) return unexpected(ok.error());
    return result;
  }

  // Bounds the parser's own recursion (parentheses and unary minus), so that
  // no input can exhaust the stack.
  Checked<void> enter() {
    if (++nesting_ > limits_.expression_depth_max) {
      --nesting_;
      return refuse(
          ErrorCode::kLimit, current().position,
          fmt::format("expression nested deeper than {} levels", limits_.expression_depth_max));
    }
    return {};
  }

  Checked<void> check_depth(const Expr& expr) const {
    if (expr.depth > limits_.expression_depth_max) {
      return refuse(
          ErrorCode::kLimit, expr.position,
          fmt::format("expression nested deeper than {} levels", limits_.expression_depth_max));
    }
    return {};
  }

  std::string_view source_;
  std::vector<Token> tokens_;
  const Limits& limits_;
  std::size_t index_ = 0;
  std::size_t nesting_ = 0;
};

}  // namespace

Checked<ast::Program> parse_program(std::string_view source, const Limits& limits) {
  auto tokens = tokenize(source, limits);
  if (!tokens) return unexpected(tokens.error());
  return Parser(source, std::move(*tokens), limits).program();
}

}  // namespace aethel::judge
