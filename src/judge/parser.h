// Parses Aethel source into a syntax tree (ast.h), following the grammar of
// the language specification. The first error stops the parse: a program is
// accepted or refused as a whole.
#pragma once

#include <string_view>

#include "judge/ast.h"
#include "judge/diagnostic.h"
#include "judge/limits.h"

namespace aethel::judge {

Checked<ast::Program> parse_program(std::string_view source, const Limits& limits);

}  // namespace aethel::judge
