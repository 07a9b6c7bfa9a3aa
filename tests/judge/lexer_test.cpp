// The lexer (lexer.h): which tokens it produces, where (line and column,
// columns counted in characters), and every input it refuses, with the
// position and the message of the refusal.
#include "judge/lexer.h"

#include <gtest/gtest.h>

#include <cctype>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/judge/refusal_case.h"

namespace aethel::judge {
namespace {

using namespace std::string_literals;

struct Lexeme {
  TokenKind kind;
  std::string text;
};

std::vector<Token> lex_ok(std::string_view source, const Limits& limits = {}) {
  auto tokens = tokenize(source, limits);
  EXPECT_TRUE(tokens.has_value()) << "refused: " << tokens.error().position.line << ":"
                                  << tokens.error().position.column << ": "
                                  << tokens.error().message;
  if (!tokens) return {};
  return std::move(*tokens);
}

// ---------------------------------------------------------------------------
// Token kinds and texts.

struct TokenCase {
  const char* name;
  std::string source;
  std::vector<Lexeme> expected;  // without the final kEnd
};

void PrintTo(const TokenCase& test, std::ostream* out) {
  *out << test.name;
}

class LexerTokens : public ::testing::TestWithParam<TokenCase> {};

TEST_P(LexerTokens, ProducesTheExpectedTokens) {
  const TokenCase& c = GetParam();
  const auto tokens = lex_ok(c.source);
  ASSERT_EQ(tokens.size(), c.expected.size() + 1) << c.source;
  for (std::size_t i = 0; i < c.expected.size(); ++i) {
    EXPECT_EQ(tokens[i].kind, c.expected[i].kind)
        << "token " << i << " of '" << c.source << "': " << describe(tokens[i]);
    EXPECT_EQ(tokens[i].text, c.expected[i].text) << "token " << i << " of '" << c.source << "'";
  }
  EXPECT_EQ(tokens.back().kind, TokenKind::kEnd);
  EXPECT_EQ(tokens.back().offset, c.source.size());
}

const TokenCase kTokenCases[] = {
    {"Empty", "", {}},
    {"OnlyBlanks", " \t\r\n \n", {}},
    {"Names",
     "a _b old_x Abc_9 x1",
     {{TokenKind::kName, "a"},
      {TokenKind::kName, "_b"},
      {TokenKind::kName, "old_x"},
      {TokenKind::kName, "Abc_9"},
      {TokenKind::kName, "x1"}}},
    {"Keywords",
     "intent atomic_batch guard solve verify secret external true false",
     {{TokenKind::kKeyword, "intent"},
      {TokenKind::kKeyword, "atomic_batch"},
      {TokenKind::kKeyword, "guard"},
      {TokenKind::kKeyword, "solve"},
      {TokenKind::kKeyword, "verify"},
      {TokenKind::kKeyword, "secret"},
      {TokenKind::kKeyword, "external"},
      {TokenKind::kKeyword, "true"},
      {TokenKind::kKeyword, "false"}}},
    {"KeywordsAreCaseSensitive",
     "Intent TRUE guards",
     {{TokenKind::kName, "Intent"}, {TokenKind::kName, "TRUE"}, {TokenKind::kName, "guards"}}},
    {"Integers",
     "0 007 9223372036854775808 123456789012345678901234567890",
     {{TokenKind::kInteger, "0"},
      {TokenKind::kInteger, "007"},
      {TokenKind::kInteger, "9223372036854775808"},
      {TokenKind::kInteger, "123456789012345678901234567890"}}},
    {"Strings",
     R"("" "abc" "a\"b" "back\\slash" "# not a comment")",
     {{TokenKind::kString, ""},
      {TokenKind::kString, "abc"},
      {TokenKind::kString, "a\"b"},
      {TokenKind::kString, "back\\slash"},
      {TokenKind::kString, "# not a comment"}}},
    {"NonAsciiInString",
     "\"h\xC3\xA9llo \xE2\x82\xAC\"",
     {{TokenKind::kString, "h\xC3\xA9llo \xE2\x82\xAC"}}},
    {"Punctuation",
     "{ } ( ) [ ] , : ;",
     {{TokenKind::kLeftBrace, "{"},
      {TokenKind::kRightBrace, "}"},
      {TokenKind::kLeftParen, "("},
      {TokenKind::kRightParen, ")"},
      {TokenKind::kLeftBracket, "["},
      {TokenKind::kRightBracket, "]"},
      {TokenKind::kComma, ","},
      {TokenKind::kColon, ":"},
      {TokenKind::kSemicolon, ";"}}},
    {"Operators",
     "+ - * / %",
     {{TokenKind::kPlus, "+"},
      {TokenKind::kMinus, "-"},
      {TokenKind::kStar, "*"},
      {TokenKind::kSlash, "/"},
      {TokenKind::kPercent, "%"}}},
    {"Relations",
     "== != < <= > >=",
     {{TokenKind::kEq, "=="},
      {TokenKind::kNe, "!="},
      {TokenKind::kLt, "<"},
      {TokenKind::kLe, "<="},
      {TokenKind::kGt, ">"},
      {TokenKind::kGe, ">="}}},
    {"NoBlanksNeeded",
     "a==-1<=b",
     {{TokenKind::kName, "a"},
      {TokenKind::kEq, "=="},
      {TokenKind::kMinus, "-"},
      {TokenKind::kInteger, "1"},
      {TokenKind::kLe, "<="},
      {TokenKind::kName, "b"}}},
    {"HashComment", "a # b c == d\nz", {{TokenKind::kName, "a"}, {TokenKind::kName, "z"}}},
    {"SlashComment", "a // b c == d\nz", {{TokenKind::kName, "a"}, {TokenKind::kName, "z"}}},
    {"CommentAtEndWithoutNewline", "a # end", {{TokenKind::kName, "a"}}},
    {"SlashCommentAtEndWithoutNewline", "a //", {{TokenKind::kName, "a"}}},
    {"SingleSlashIsDivision",
     "a / b",
     {{TokenKind::kName, "a"}, {TokenKind::kSlash, "/"}, {TokenKind::kName, "b"}}},
    {"CommentMarkersInsideComment", "# // # \" \\q 1.5 = ! & | @\nx", {{TokenKind::kName, "x"}}},
    {"NonAsciiInComments",
     "# caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\n// \xE6\x97\xA5\xE6\x9C\xAC\nx",
     {{TokenKind::kName, "x"}}},
    {"CrLfLineEnds", "a\r\nb\r\n", {{TokenKind::kName, "a"}, {TokenKind::kName, "b"}}},
};

INSTANTIATE_TEST_SUITE_P(Table, LexerTokens, ::testing::ValuesIn(kTokenCases),
                         [](const auto& test) { return std::string(test.param.name); });

// `<==` is `<=` followed by a lone `=`, not some other operator.
TEST(Lexer, LessEqualFollowedByLoneEqualsIsRefused) {
  auto tokens = tokenize("a <== b", Limits{});
  ASSERT_FALSE(tokens.has_value());
  EXPECT_EQ(tokens.error().position.column, 5u);
  EXPECT_NE(tokens.error().message.find("'=='"), std::string::npos);
}

// ---------------------------------------------------------------------------
// Positions: 1-based lines and columns, columns in characters.

struct PositionCase {
  const char* name;
  std::string source;
  std::string token_text;  // the first token with this text
  std::uint32_t line;
  std::uint32_t column;
  std::size_t offset;
};

void PrintTo(const PositionCase& test, std::ostream* out) {
  *out << test.name;
}

class LexerPositions : public ::testing::TestWithParam<PositionCase> {};

TEST_P(LexerPositions, TokenStartsWhereExpected) {
  const PositionCase& c = GetParam();
  const auto tokens = lex_ok(c.source);
  for (const auto& token : tokens) {
    if (token.kind == TokenKind::kEnd || token.text != c.token_text) continue;
    EXPECT_EQ(token.position.line, c.line);
    EXPECT_EQ(token.position.column, c.column);
    EXPECT_EQ(token.offset, c.offset);
    return;
  }
  ADD_FAILURE() << "no token '" << c.token_text << "' in '" << c.source << "'";
}

const PositionCase kPositionCases[] = {
    {"FirstToken", "x", "x", 1, 1, 0},
    {"AfterSpaces", "   x", "x", 1, 4, 3},
    {"TabIsOneColumn", "\t\tx", "x", 1, 3, 2},
    {"SecondLine", "a\n  x", "x", 2, 3, 4},
    {"CrLf", "a\r\n\r\n x", "x", 3, 2, 6},
    {"AfterHashComment", "# comment\nx", "x", 2, 1, 10},
    {"AfterSlashComment", "a // c\n\n\tx", "x", 3, 2, 9},
    // `"héllo"` is 7 characters but 8 bytes: x is at column 9, offset 9.
    {"AfterNonAsciiString", "\"h\xC3\xA9llo\" x", "x", 1, 9, 9},
    // Three 3-byte characters inside a string: 5 columns, 11 bytes.
    {"AfterThreeByteChars", "\"\xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC\" y", "y", 1, 7, 12},
    // A 4-byte character is one column too.
    {"AfterFourByteChar", "\"\xF0\x9F\x98\x80\"z", "z", 1, 4, 6},
    // Non-ASCII in a comment does not shift the next line.
    {"NextLineAfterNonAsciiComment", "# \xC3\xA9\xC3\xA9\nx", "x", 2, 1, 7},
    {"TwoCharOperator", "ab >= c", ">=", 1, 4, 3},
    {"EndOfLongerLine", "intent transfer(a: Int)", ")", 1, 23, 22},
};

INSTANTIATE_TEST_SUITE_P(Table, LexerPositions, ::testing::ValuesIn(kPositionCases),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(Lexer, TokenEndOffsetsCoverTheirBytes) {
  const std::string source = "abc \"h\xC3\xA9\" >= 42";
  const auto tokens = lex_ok(source);
  ASSERT_EQ(tokens.size(), 5u);
  EXPECT_EQ(source.substr(tokens[0].offset, tokens[0].end - tokens[0].offset), "abc");
  EXPECT_EQ(source.substr(tokens[1].offset, tokens[1].end - tokens[1].offset), "\"h\xC3\xA9\"");
  EXPECT_EQ(source.substr(tokens[2].offset, tokens[2].end - tokens[2].offset), ">=");
  EXPECT_EQ(source.substr(tokens[3].offset, tokens[3].end - tokens[3].offset), "42");
  EXPECT_EQ(tokens[4].kind, TokenKind::kEnd);
}

TEST(Lexer, EndTokenIsAfterTheLastCharacter) {
  const auto tokens = lex_ok("a\nbc ");
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[2].kind, TokenKind::kEnd);
  EXPECT_EQ(tokens[2].position.line, 2u);
  EXPECT_EQ(tokens[2].position.column, 4u);
}

// ---------------------------------------------------------------------------
// Refusals: each with its code, line, column and a message that says what is
// wrong.

using test_support::RefusalCase;

class LexerRefusals : public ::testing::TestWithParam<RefusalCase> {};

TEST_P(LexerRefusals, RefusesWithPositionAndMessage) {
  const RefusalCase& c = GetParam();
  auto tokens = tokenize(c.source, Limits{});
  ASSERT_FALSE(tokens.has_value()) << "accepted: " << c.name;
  const Diagnostic& error = tokens.error();
  test_support::expect_refusal(error, c);
}

const RefusalCase kRefusalCases[] = {
    {"DecimalLiteral", "x == 1.5", ErrorCode::kSyntax, 1, 6, "decimal literal '1.5'"},
    {"DecimalLiteralLong", "a\n  b < 12.3456;", ErrorCode::kSyntax, 2, 7,
     "decimal literal '12.3456' is not allowed"},
    {"DecimalMessageSaysIntegers", "0.5", ErrorCode::kSyntax, 1, 1, "exact integers"},
    {"TrailingDotIsUnexpected", "x == 1.", ErrorCode::kSyntax, 1, 7, "unexpected character '.'"},
    {"LoneEquals", "x = 1", ErrorCode::kSyntax, 1, 3, "write '==' to compare"},
    {"LoneEqualsAtEnd", "x\n=", ErrorCode::kSyntax, 2, 1, "'=' is not an operator"},
    {"LoneBang", "!x", ErrorCode::kSyntax, 1, 1, "'!' is not an operator"},
    {"BangSpaceEquals", "a ! = b", ErrorCode::kSyntax, 1, 3, "'!' is not an operator"},
    {"DoubleAmpersand", "a > 0 && b > 0", ErrorCode::kSyntax, 1, 7, "'&' is not an operator"},
    {"DoublePipe", "a > 0 || b > 0", ErrorCode::kSyntax, 1, 7, "'|' is not an operator"},
    {"AmpersandMessageExplains", "&", ErrorCode::kSyntax, 1, 1, "each condition on its own"},
    {"UnknownCharAt", "a @ b", ErrorCode::kSyntax, 1, 3, "unexpected character '@'"},
    {"UnknownCharDollar", "\n\n   $", ErrorCode::kSyntax, 3, 4, "unexpected character '$'"},
    {"UnknownCharDot", ".", ErrorCode::kSyntax, 1, 1, "unexpected character '.'"},
    {"UnknownCharQuestion", "a ? b", ErrorCode::kSyntax, 1, 3, "unexpected character '?'"},
    {"SingleQuote", "'a'", ErrorCode::kSyntax, 1, 1, "unexpected character '''"},
    {"Backslash", "\\", ErrorCode::kSyntax, 1, 1, "unexpected character '\\'"},
    {"NonAsciiName", "caf\xC3\xA9 == 1", ErrorCode::kSyntax, 1, 4,
     "unexpected character '\xC3\xA9'"},
    {"NonAsciiNameSaysAscii", "x == \xE2\x82\xAC", ErrorCode::kSyntax, 1, 6,
     "names are ASCII letters"},
    {"NonAsciiAfterNonAsciiComment", "# \xC3\xA9\n  \xF0\x9F\x98\x80", ErrorCode::kSyntax, 2, 3,
     "unexpected character '\xF0\x9F\x98\x80'"},
    {"NonAsciiColumnAfterString", "\"\xC3\xA9\xC3\xA9\" \xC3\xA9", ErrorCode::kSyntax, 1, 6,
     "unexpected character"},
    {"MalformedNumber", "x == 12ab", ErrorCode::kSyntax, 1, 6, "malformed number '12a'"},
    // Encoding: the whole input is checked before any token, so the first bad
    // byte is reported even inside a comment or a string.
    {"InvalidUtf8Byte", "x == 1\n  \xFF", ErrorCode::kSyntax, 2, 3, "not valid UTF-8 (byte 0xFF)"},
    {"InvalidUtf8InComment", "# \xFE\n", ErrorCode::kSyntax, 1, 3, "not valid UTF-8 (byte 0xFE)"},
    {"InvalidUtf8InString", "\"a\x80\"", ErrorCode::kSyntax, 1, 3, "not valid UTF-8 (byte 0x80)"},
    {"LoneContinuationByte", "ab\x80", ErrorCode::kSyntax, 1, 3, "byte 0x80"},
    {"TruncatedSequence", "a\xE2\x82", ErrorCode::kSyntax, 1, 2, "byte 0xE2"},
    {"TruncatedBeforeAscii", "\xC3x", ErrorCode::kSyntax, 1, 1, "byte 0xC3"},
    {"OverlongNul", "\xC0\x80", ErrorCode::kSyntax, 1, 1, "byte 0xC0"},
    {"OverlongSlash", "# \xE0\x80\xAF", ErrorCode::kSyntax, 1, 3, "byte 0xE0"},
    {"Surrogate", "# \xED\xA0\x80", ErrorCode::kSyntax, 1, 3, "byte 0xED"},
    {"AboveUnicode", "# \xF4\x90\x80\x80", ErrorCode::kSyntax, 1, 3, "byte 0xF4"},
    {"FiveByteLead", "# \xF8\x88\x80\x80\x80", ErrorCode::kSyntax, 1, 3, "byte 0xF8"},
    {"InvalidColumnCountsCharacters", "\xC3\xA9\xC3\xA9\xFF", ErrorCode::kSyntax, 1, 3,
     "byte 0xFF"},
    {"NulByte", "x == 1;\0"s, ErrorCode::kSyntax, 1, 8, "control byte 0x00"},
    {"NulInComment", "# a\0b"s, ErrorCode::kSyntax, 1, 4, "binary data"},
    {"ControlByte01", "a\x01", ErrorCode::kSyntax, 1, 2, "control byte 0x01"},
    {"Escape1B", "\n\x1B[0m", ErrorCode::kSyntax, 2, 1, "control byte 0x1B"},
    {"FormFeed", "a\fb", ErrorCode::kSyntax, 1, 2, "control byte 0x0C"},
    {"VerticalTab", "a\vb", ErrorCode::kSyntax, 1, 2, "control byte 0x0B"},
    {"Delete", "a\x7F", ErrorCode::kSyntax, 1, 2, "control byte 0x7F"},
    {"ControlInString", "\"a\x02\"", ErrorCode::kSyntax, 1, 3, "control byte 0x02"},
    {"UnterminatedString", "x: \"abc", ErrorCode::kSyntax, 1, 4, "unterminated string literal"},
    {"StringEndsAtNewline", "\n  \"abc\n\"", ErrorCode::kSyntax, 2, 3,
     "unterminated string literal"},
    {"StringEndsAfterEscapedQuote", "\"abc\\\"", ErrorCode::kSyntax, 1, 1,
     "unterminated string literal"},
    {"StringEndsAfterBackslash", "\"abc\\", ErrorCode::kSyntax, 1, 6, "unknown escape"},
    {"BadEscapeN", "\"a\\nb\"", ErrorCode::kSyntax, 1, 4, "unknown escape in string literal"},
    {"BadEscapeT", "x: \"\\t\"", ErrorCode::kSyntax, 1, 6, "only \\\" and \\\\ are allowed"},
    {"BadEscapeU", "\"\\u0041\"", ErrorCode::kSyntax, 1, 3, "unknown escape"},
    {"IntegerTooLong", "x == " + std::string(257, '7'), ErrorCode::kLimit, 1, 6,
     "integer literal has 257 digits; the limit is 256"},
    {"IntegerFarTooLong", "\n" + std::string(5000, '1'), ErrorCode::kLimit, 2, 1, "5000 digits"},
    {"StringTooLong", "\"" + std::string(4097, 'a') + "\"", ErrorCode::kLimit, 1, 1,
     "string literal is longer than 4096 bytes"},
    {"SourceTooLarge", std::string(64 * 1024 + 1, ' '), ErrorCode::kLimit, 1, 1,
     "program is 65537 bytes; the limit is 65536 bytes"},
    {"SourceTooLargeEvenIfBinary", std::string(100000, '\0'), ErrorCode::kLimit, 1, 1,
     "the limit is 65536 bytes"},
};

INSTANTIATE_TEST_SUITE_P(Table, LexerRefusals, ::testing::ValuesIn(kRefusalCases),
                         [](const auto& test) { return std::string(test.param.name); });

// ---------------------------------------------------------------------------
// Boundaries of the lexer's limits.

TEST(Lexer, AcceptsIntegerOfExactlyTheDigitLimit) {
  const std::string digits(256, '9');
  const auto tokens = lex_ok(digits);
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].kind, TokenKind::kInteger);
  EXPECT_EQ(tokens[0].text, digits);
}

TEST(Lexer, AcceptsStringOfExactlyTheByteLimit) {
  const std::string contents(4096, 'b');
  const auto tokens = lex_ok("\"" + contents + "\"");
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].text, contents);
}

TEST(Lexer, AcceptsSourceOfExactlyTheSizeLimit) {
  std::string source(64 * 1024, ' ');
  source[0] = 'x';
  const auto tokens = lex_ok(source);
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].text, "x");
}

TEST(Lexer, LimitsComeFromTheLimitsArgument) {
  Limits limits;
  limits.integer_digits_max = 3;
  limits.string_bytes_max = 2;
  limits.source_bytes_max = 20;
  EXPECT_TRUE(tokenize("123 \"ab\"", limits).has_value());
  auto digits = tokenize("1234", limits);
  ASSERT_FALSE(digits.has_value());
  EXPECT_EQ(digits.error().code, ErrorCode::kLimit);
  auto text = tokenize("\"abc\"", limits);
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().code, ErrorCode::kLimit);
  auto size = tokenize(std::string(21, ' '), limits);
  ASSERT_FALSE(size.has_value());
  EXPECT_EQ(size.error().code, ErrorCode::kLimit);
  EXPECT_NE(size.error().message.find("limit is 20 bytes"), std::string::npos);
}

// Every control byte but tab, newline and carriage return is binary data.
TEST(Lexer, RefusesEveryControlByteButBlanks) {
  for (int byte = 0; byte < 0x20; ++byte) {
    const std::string source = std::string("a ") + static_cast<char>(byte) + " b";
    auto tokens = tokenize(source, Limits{});
    if (byte == '\t' || byte == '\n' || byte == '\r') {
      EXPECT_TRUE(tokens.has_value()) << byte;
      continue;
    }
    ASSERT_FALSE(tokens.has_value()) << byte;
    EXPECT_EQ(tokens.error().code, ErrorCode::kSyntax);
    EXPECT_EQ(tokens.error().position.line, 1u);
    EXPECT_EQ(tokens.error().position.column, 3u);
    EXPECT_NE(tokens.error().message.find("control byte"), std::string::npos) << byte;
  }
}

// Every byte that cannot start a UTF-8 sequence is refused wherever it is.
TEST(Lexer, RefusesEveryInvalidLeadByte) {
  for (int byte = 0x80; byte < 0x100; ++byte) {
    const bool can_lead = (byte >= 0xC2 && byte <= 0xF4);
    if (can_lead) continue;
    for (const char* prefix : {"", "# ", "\"", "x == "}) {
      const std::string source = std::string(prefix) + static_cast<char>(byte);
      auto tokens = tokenize(source, Limits{});
      ASSERT_FALSE(tokens.has_value()) << byte;
      EXPECT_NE(tokens.error().message.find("UTF-8"), std::string::npos) << byte;
      EXPECT_EQ(tokens.error().position.column, std::string_view(prefix).size() + 1) << byte;
    }
  }
}

// Every printable ASCII character is a token, a part of one, or refused as
// an unexpected character, never anything else.
TEST(Lexer, EveryPrintableAsciiCharacterIsHandled) {
  const std::string_view allowed_alone = "{}()[],:;+-*/%<>_";
  for (int c = 0x20; c < 0x7F; ++c) {
    const std::string source(1, static_cast<char>(c));
    auto tokens = tokenize(source, Limits{});
    const bool name_or_digit = std::isalnum(c) != 0 || c == '_';
    if (name_or_digit || allowed_alone.find(static_cast<char>(c)) != std::string_view::npos ||
        c == ' ' || c == '#') {
      EXPECT_TRUE(tokens.has_value()) << source;
    } else {
      ASSERT_FALSE(tokens.has_value()) << source;
      EXPECT_EQ(tokens.error().code, ErrorCode::kSyntax);
      EXPECT_EQ(tokens.error().position.line, 1u);
      EXPECT_EQ(tokens.error().position.column, 1u);
      EXPECT_FALSE(tokens.error().message.empty());
    }
  }
}

TEST(Lexer, DescribeNamesTokensForMessages) {
  EXPECT_EQ(describe(Token{TokenKind::kName, "x", {}, 0, 1}), "name 'x'");
  EXPECT_EQ(describe(Token{TokenKind::kKeyword, "guard", {}, 0, 5}), "keyword 'guard'");
  EXPECT_EQ(describe(Token{TokenKind::kInteger, "42", {}, 0, 2}), "integer 42");
  EXPECT_EQ(describe(Token{TokenKind::kString, "secret stuff", {}, 0, 2}), "a string");
  EXPECT_EQ(describe(Token{TokenKind::kEnd, "", {}, 0, 0}), "end of file");
  EXPECT_EQ(describe(Token{TokenKind::kSemicolon, ";", {}, 0, 1}), "';'");
}

}  // namespace
}  // namespace aethel::judge
