// A refusal of a program: what was wrong and where. Every syntax, type and
// limit error in a file is reported as one Diagnostic, and the whole file is
// then INVALID.
#pragma once

#include <string>

#include "core/error.h"
#include "core/expected.h"
#include "judge/ast.h"

namespace aethel::judge {

struct Diagnostic {
  ErrorCode code = ErrorCode::kSyntax;  // kSyntax, kType or kLimit
  ast::Position position;
  std::string message;
};

template <class T>
using Checked = expected<T, Diagnostic>;

inline unexpected<Diagnostic> refuse(ErrorCode code, ast::Position position, std::string message) {
  return unexpected<Diagnostic>(Diagnostic{code, position, std::move(message)});
}

}  // namespace aethel::judge
