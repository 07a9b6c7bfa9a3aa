#include "judge/lexer.h"

#include <array>
#include <cstdint>
#include <optional>

#include "fmt/format.h"

namespace aethel::judge {
namespace {

constexpr std::array<std::string_view, 9> kKeywords = {
    "intent", "atomic_batch", "guard", "solve", "verify", "secret", "external", "true", "false"};

bool is_keyword(std::string_view word) {
  for (auto keyword : kKeywords) {
    if (keyword == word) return true;
  }
  return false;
}

bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_name_char(char c) {
  return is_name_start(c) || is_digit(c);
}

// Length of the UTF-8 sequence starting at `at`, or nullopt when the bytes
// there are not well-formed UTF-8 (overlong forms and surrogates included).
std::optional<std::size_t> utf8_sequence_length(std::string_view text, std::size_t at) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  const std::uint8_t lead = byte(at);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint32_t min_code = 0;
  std::uint32_t code = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, min_code = 0x80, code = lead & 0x1Fu;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, min_code = 0x800, code = lead & 0x0Fu;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, min_code = 0x10000, code = lead & 0x07u;
  } else {
    return std::nullopt;
  }
  if (at + length > text.size()) return std::nullopt;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return std::nullopt;
    code = (code << 6) | (byte(at + i) & 0x3Fu);
  }
  if (code < min_code || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
    return std::nullopt;
  }
  return length;
}

class Lexer {
 public:
  Lexer(std::string_view source, const Limits& limits) : source_(source), limits_(limits) {}

  Checked<std::vector<Token>> run() {
    if (auto bad = validate_encoding(); !bad) return unexpected(bad.error());
    std::vector<Token> tokens;
    while (true) {
      skip_blanks_and_comments();
      if (at_ >= source_.size()) break;
      auto token = next_token();
      if (!token) return unexpected(token.error());
      tokens.push_back(std::move(*token));
    }
    tokens.push_back(Token{TokenKind::kEnd, "", position_, at_, at_});
    return tokens;
  }

 private:
  // Refuses non-UTF-8 and binary input up front, so that later stages only
  // ever see text.
  Checked<void> validate_encoding() const {
    std::uint32_t line = 1;
    std::uint32_t column = 1;
    for (std::size_t i = 0; i < source_.size();) {
      const auto c = static_cast<std::uint8_t>(source_[i]);
      const auto length = utf8_sequence_length(source_, i);
      if (!length) {
        return refuse(ErrorCode::kSyntax, {line, column},
                      fmt::format("input is not valid UTF-8 (byte 0x{:02X})", c));
      }
      if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') {
        return refuse(
            ErrorCode::kSyntax, {line, column},
            fmt::format("binary data: control byte 0x{:02X} is not allowed in a program", c));
      }
      if (c == 0x7F) {
        return refuse(ErrorCode::kSyntax, {line, column},
                      "binary data: control byte 0x7F is not allowed in a program");
      }
      if (c == '\n') {
        ++line, column = 1;
      } else {
        ++column;
      }
      i += *length;
    }
    return {};
  }

  char peek(std::size_t ahead = 0) const {
    return at_ + ahead < source_.size() ? source_[at_ + ahead] : '\0';
  }

  void advance() {
    const char c = source_[at_];
    ++at_;
    if (c == '\n') {
      ++position_.line;
      position_.column = 1;
    } else if ((static_cast<std::uint8_t>(c) & 0xC0) != 0x80) {
      ++position_.column;
    }
  }

  void skip_blanks_and_comments() {
    while (at_ < source_.size()) {
      const char c = peek();
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        advance();
      } else if (c == '#' || (c == '/' && peek(1) == '/')) {
        while (at_ < source_.size() && peek() != '\n') advance();
      } else {
        return;
      }
    }
  }

  Token make(TokenKind kind, std::string text, ast::Position start, std::size_t begin) const {
    return Token{kind, std::move(text), start, begin, at_};
  }

  Checked<Token> next_token() {
    const ast::Position start = position_;
    const std::size_t begin = at_;
    const char c = peek();
    if (is_name_start(c)) return lex_word(start, begin);
    if (is_digit(c)) return lex_number(start, begin);
    if (c == '"') return lex_string(start, begin);
    return lex_punctuation(start, begin);
  }

  Checked<Token> lex_word(ast::Position start, std::size_t begin) {
    while (at_ < source_.size() && is_name_char(peek())) advance();
    std::string word(source_.substr(begin, at_ - begin));
    const auto kind = is_keyword(word) ? TokenKind::kKeyword : TokenKind::kName;
    return make(kind, std::move(word), start, begin);
  }

  Checked<Token> lex_number(ast::Position start, std::size_t begin) {
    while (at_ < source_.size() && is_digit(peek())) advance();
    if (peek() == '.' && is_digit(peek(1))) {
      std::size_t end = at_ + 1;
      while (end < source_.size() && is_digit(source_[end])) ++end;
      return refuse(ErrorCode::kSyntax, start,
                    fmt::format("decimal literal '{}' is not allowed: Aethel numbers are exact "
                                "integers (scale the value, e.g. count cents)",
                                source_.substr(begin, end - begin)));
    }
    if (is_name_start(peek())) {
      return refuse(ErrorCode::kSyntax, start,
                    fmt::format("malformed number '{}{}': a name cannot start with a digit",
                                source_.substr(begin, at_ - begin), peek()));
    }
    std::string digits(source_.substr(begin, at_ - begin));
    if (digits.size() > limits_.integer_digits_max) {
      return refuse(ErrorCode::kLimit, start,
                    fmt::format("integer literal has {} digits; the limit is {}", digits.size(),
                                limits_.integer_digits_max));
    }
    return make(TokenKind::kInteger, std::move(digits), start, begin);
  }

  Checked<Token> lex_string(ast::Position start, std::size_t begin) {
    advance();  // opening quote
    std::string contents;
    while (true) {
      if (at_ >= source_.size() || peek() == '\n') {
        return refuse(ErrorCode::kSyntax, start, "unterminated string literal");
      }
      const char c = peek();
      if (c == '"') break;
      if (c == '\\') {
        advance();
        const char escaped = peek();
        if (escaped != '"' && escaped != '\\') {
          return refuse(ErrorCode::kSyntax, position_,
                        "unknown escape in string literal: only \\\" and \\\\ are allowed");
        }
      }
      contents.push_back(peek());
      advance();
      if (contents.size() > limits_.string_bytes_max) {
        return refuse(
            ErrorCode::kLimit, start,
            fmt::format("string literal is longer than {} bytes", limits_.string_bytes_max));
      }
    }
    advance();  // closing quote
    return make(TokenKind::kString, std::move(contents), start, begin);
  }

  Checked<Token> lex_punctuation(ast::Position start, std::size_t begin) {
    const char c = peek();
    const char next = peek(1);
    auto one = [&](TokenKind kind) {
      advance();
      return make(kind, std::string(1, c), start, begin);
    };
    auto two = [&](TokenKind kind) {
      advance();
      advance();
      return make(kind, std::string{c, next}, start, begin);
    };
    switch (c) {
      case '{': return one(TokenKind::kLeftBrace);
      case '}': return one(TokenKind::kRightBrace);
      case '(': return one(TokenKind::kLeftParen);
      case ')': return one(TokenKind::kRightParen);
      case '[': return one(TokenKind::kLeftBracket);
      case ']': return one(TokenKind::kRightBracket);
      case ',': return one(TokenKind::kComma);
      case ':': return one(TokenKind::kColon);
      case ';': return one(TokenKind::kSemicolon);
      case '+': return one(TokenKind::kPlus);
      case '-': return one(TokenKind::kMinus);
      case '*': return one(TokenKind::kStar);
      case '/': return one(TokenKind::kSlash);
      case '%': return one(TokenKind::kPercent);
      case '<': return next == '=' ? two(TokenKind::kLe) : one(TokenKind::kLt);
      case '>': return next == '=' ? two(TokenKind::kGe) : one(TokenKind::kGt);
      case '=':
        if (next == '=') return two(TokenKind::kEq);
        return refuse(ErrorCode::kSyntax, start,
                      "'=' is not an operator: write '==' to compare values");
      case '!':
        if (next == '=') return two(TokenKind::kNe);
        return refuse(ErrorCode::kSyntax, start,
                      "'!' is not an operator: write '!=' to compare, or state the condition "
                      "positively");
      case '&':
      case '|':
        return refuse(ErrorCode::kSyntax, start,
                      fmt::format("'{}' is not an operator: write each condition on its own, "
                                  "ending in ';' (all conditions must hold)",
                                  c));
      default: break;
    }
    return refuse(ErrorCode::kSyntax, start, unexpected_character(begin));
  }

  std::string unexpected_character(std::size_t at) const {
    const auto c = static_cast<std::uint8_t>(source_[at]);
    if (c < 0x80) return fmt::format("unexpected character '{}'", static_cast<char>(c));
    const auto length = utf8_sequence_length(source_, at).value_or(1);
    return fmt::format("unexpected character '{}': names are ASCII letters, digits and '_'",
                       source_.substr(at, length));
  }

  std::string_view source_;
  const Limits& limits_;
  std::size_t at_ = 0;
  ast::Position position_{1, 1};
};

}  // namespace

const char* token_kind_text(TokenKind kind) noexcept {
  switch (kind) {
    case TokenKind::kName: return "a name";
    case TokenKind::kInteger: return "an integer";
    case TokenKind::kString: return "a string";
    case TokenKind::kKeyword: return "a keyword";
    case TokenKind::kLeftBrace: return "'{'";
    case TokenKind::kRightBrace: return "'}'";
    case TokenKind::kLeftParen: return "'('";
    case TokenKind::kRightParen: return "')'";
    case TokenKind::kLeftBracket: return "'['";
    case TokenKind::kRightBracket: return "']'";
    case TokenKind::kComma: return "','";
    case TokenKind::kColon: return "':'";
    case TokenKind::kSemicolon: return "';'";
    case TokenKind::kPlus: return "'+'";
    case TokenKind::kMinus: return "'-'";
    case TokenKind::kStar: return "'*'";
    case TokenKind::kSlash: return "'/'";
    case TokenKind::kPercent: return "'%'";
    case TokenKind::kEq: return "'=='";
    case TokenKind::kNe: return "'!='";
    case TokenKind::kLt: return "'<'";
    case TokenKind::kLe: return "'<='";
    case TokenKind::kGt: return "'>'";
    case TokenKind::kGe: return "'>='";
    case TokenKind::kEnd: return "end of file";
  }
  return "a token";
}

std::string describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kName: return fmt::format("name '{}'", token.text);
    case TokenKind::kInteger: return fmt::format("integer {}", token.text);
    case TokenKind::kString: return "a string";
    case TokenKind::kKeyword: return fmt::format("keyword '{}'", token.text);
    default: return token_kind_text(token.kind);
  }
}

Checked<std::vector<Token>> tokenize(std::string_view source, const Limits& limits) {
  if (source.size() > limits.source_bytes_max) {
    return refuse(ErrorCode::kLimit, {1, 1},
                  fmt::format("program is {} bytes; the limit is {} bytes", source.size(),
                              limits.source_bytes_max));
  }
  return Lexer(source, limits).run();
}

}  // namespace aethel::judge
