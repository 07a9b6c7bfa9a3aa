// The syntax tree of an Aethel program, as written. The parser builds it;
// the type checker (checker.h) resolves names and types without changing it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace aethel::judge::ast {

struct Position {
  std::uint32_t line = 0;    // 1-based
  std::uint32_t column = 0;  // 1-based, in characters
};

// A slice of the source text, as byte offsets.
struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

enum class ExprKind { kName, kInteger, kBool, kNegate, kAdd, kSub, kMul, kDiv, kMod };

struct Expr {
  ExprKind kind = ExprKind::kInteger;
  Position position;
  std::string text;             // the name, or the integer's decimal digits
  bool bool_value = false;      // for kBool
  std::unique_ptr<Expr> left;   // operand of kNegate, left operand of binary kinds
  std::unique_ptr<Expr> right;  // right operand of binary kinds
  std::size_t depth = 1;        // height of this tree, for the nesting limit
};

enum class Relation { kEq, kNe, kLt, kLe, kGt, kGe };

struct Condition {
  bool secret = false;
  bool external = false;
  Expr left;
  Relation relation = Relation::kEq;
  Expr right;
  Position position;  // where the condition starts
  std::string text;   // `left REL right` as written, whitespace collapsed
};

struct Value;
using ValueList = std::vector<Value>;
struct Value {
  enum class Kind { kName, kInteger, kString, kList };
  Kind kind = Kind::kName;
  std::string text;  // name, integer digits or string contents
  ValueList items;   // for kList
};

struct Setting {
  std::string name;
  Value value;
  Position position;
};

struct Param {
  std::string name;
  std::string type_name;
  bool secret = false;
  bool external = false;
  Position position;
  Position type_position;
};

struct Intent {
  std::string name;
  Position position;
  std::vector<Param> params;
  Position guard_position;
  std::vector<Condition> guard;
  std::vector<Setting> settings;
  Position verify_position;
  std::vector<Condition> verify;
  Span span;
};

struct Batch {
  std::string name;
  Position position;
  std::vector<Intent> intents;
  Span span;
};

using Item = std::variant<Intent, Batch>;

struct Program {
  std::vector<Item> items;
};

const char* relation_text(Relation relation) noexcept;

}  // namespace aethel::judge::ast
