// Splits Aethel source into tokens. Refuses, with line and column, input that
// is not UTF-8, binary data, characters outside the language, decimal
// literals and `=` used where `==` was meant.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "judge/diagnostic.h"
#include "judge/limits.h"

namespace aethel::judge {

enum class TokenKind {
  kName,
  kInteger,
  kString,
  kKeyword,  // intent atomic_batch guard solve verify secret external true false
  kLeftBrace,
  kRightBrace,
  kLeftParen,
  kRightParen,
  kLeftBracket,
  kRightBracket,
  kComma,
  kColon,
  kSemicolon,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;  // identifier, keyword, digits, string contents or punctuation
  ast::Position position;
  std::size_t offset = 0;  // byte offset of the first byte
  std::size_t end = 0;     // byte offset one past the last byte
};

// A short description for error messages, e.g. "'{'" or "name 'x'".
std::string describe(const Token& token);
const char* token_kind_text(TokenKind kind) noexcept;

Checked<std::vector<Token>> tokenize(std::string_view source, const Limits& limits);

}  // namespace aethel::judge
