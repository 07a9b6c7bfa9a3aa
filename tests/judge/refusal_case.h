// One table row for a refused program, and the check every refusal table
// makes: the right code, position and message.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "judge/diagnostic.h"

namespace aethel::judge::test_support {

struct RefusalCase {
  const char* name;
  std::string source;
  ErrorCode code;
  std::uint32_t line;
  std::uint32_t column;
  std::string message_part;
};

inline void PrintTo(const RefusalCase& test, std::ostream* out) {
  *out << test.name;
}

inline void expect_message_contains(const Diagnostic& error, std::string_view part) {
  EXPECT_NE(error.message.find(part), std::string::npos)
      << "message: " << error.message << "\nexpected to contain: " << part;
}

inline void expect_refusal(const Diagnostic& error, ErrorCode code, std::uint32_t line,
                           std::uint32_t column) {
  EXPECT_EQ(error.code, code) << error.message;
  EXPECT_EQ(error.position.line, line) << error.message;
  EXPECT_EQ(error.position.column, column) << error.message;
}

inline void expect_refusal(const Diagnostic& error, const RefusalCase& c) {
  expect_refusal(error, c.code, c.line, c.column);
  expect_message_contains(error, c.message_part);
}

}  // namespace aethel::judge::test_support
