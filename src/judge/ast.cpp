#include "judge/ast.h"

namespace aethel::judge::ast {

const char* relation_text(Relation relation) noexcept {
  switch (relation) {
    case Relation::kEq: return "==";
    case Relation::kNe: return "!=";
    case Relation::kLt: return "<";
    case Relation::kLe: return "<=";
    case Relation::kGt: return ">";
    case Relation::kGe: return ">=";
  }
  return "?";
}

}  // namespace aethel::judge::ast
