#include "judge/checker.h"

#include <array>
#include <cctype>
#include <set>
#include <string_view>
#include <utility>

#include "core/assert.h"
#include "fmt/format.h"
#include "judge/parser.h"

namespace aethel::judge {
namespace {

using ast::Expr;
using ast::ExprKind;

constexpr std::string_view kOldPrefix = "old_";

bool has_old_prefix(std::string_view name) {
  return name.starts_with(kOldPrefix);
}

// Keywords are never names, so `old_true` names the value before of nothing.
bool is_keyword_text(std::string_view word) {
  for (std::string_view keyword : {"intent", "atomic_batch", "guard", "solve", "verify", "secret",
                                   "external", "true", "false"}) {
    if (word == keyword) return true;
  }
  return false;
}

std::string position_text(ast::Position position) {
  return fmt::format("{}:{}", position.line, position.column);
}

std::optional<ValueType> known_type(std::string_view name) {
  if (name == "Int") return ValueType::kInt;
  if (name == "Balance") return ValueType::kBalance;
  if (name == "Amount") return ValueType::kAmount;
  if (name == "Account") return ValueType::kAccount;
  if (name == "Bool") return ValueType::kBool;
  return std::nullopt;
}

// The three kinds of value that comparisons and arithmetic distinguish.
enum class Category { kUnknown, kNumber, kBool, kAccount };

Category category_of(ValueType type) {
  switch (type) {
    case ValueType::kBool: return Category::kBool;
    case ValueType::kAccount: return Category::kAccount;
    default: return Category::kNumber;
  }
}

const char* category_name(Category category) {
  switch (category) {
    case Category::kNumber: return "Int";
    case Category::kBool: return "Bool";
    case Category::kAccount: return "Account";
    case Category::kUnknown: return "unknown";
  }
  return "unknown";
}

std::string with_article(Category category) {
  return category == Category::kAccount ? "an Account"
                                        : fmt::format("a {}", category_name(category));
}

bool is_bare_name(const Expr& expr) {
  return expr.kind == ExprKind::kName;
}

bool is_arithmetic(ExprKind kind) {
  return kind != ExprKind::kName && kind != ExprKind::kInteger && kind != ExprKind::kBool;
}

bool is_ordering(ast::Relation relation) {
  return relation != ast::Relation::kEq && relation != ast::Relation::kNe;
}

template <class Visit>
void for_each_name(const Expr& expr, Visit&& visit) {
  if (expr.kind == ExprKind::kName) visit(expr);
  if (expr.left) for_each_name(*expr.left, visit);
  if (expr.right) for_each_name(*expr.right, visit);
}

// Checks one intent. Names are numbered in a fixed order (parameters, then
// undeclared names by first use) so that everything downstream is
// deterministic.
class IntentChecker {
 public:
  IntentChecker(const ast::Intent& intent, const Limits& limits, std::uint64_t default_budget,
                std::vector<Warning>& warnings)
      : intent_(intent), limits_(limits), default_budget_(default_budget), warnings_(warnings) {
    result_.syntax = &intent;
  }

  Checked<CheckedIntent> run() {
    if (auto ok = declare_params(); !ok) return unexpected(ok.error());
    if (auto ok = collect_undeclared(); !ok) return unexpected(ok.error());
    if (auto ok = infer_types(); !ok) return unexpected(ok.error());
    if (auto ok = check_expressions(); !ok) return unexpected(ok.error());
    if (auto ok = classify_verify(); !ok) return unexpected(ok.error());
    mark_secret_conditions();
    if (auto ok = read_settings(); !ok) return unexpected(ok.error());
    return std::move(result_);
  }

 private:
  Checked<void> declare_params() {
    for (const auto& param : intent_.params) {
      if (has_old_prefix(param.name)) {
        return refuse(ErrorCode::kType, param.position,
                      fmt::format("parameter '{}': names beginning with 'old_' are reserved for "
                                  "values before the transition",
                                  param.name));
      }
      if (result_.index_of.contains(param.name)) {
        return refuse(ErrorCode::kType, param.position,
                      fmt::format("parameter '{}' is declared twice in intent '{}'", param.name,
                                  intent_.name));
      }
      auto type = known_type(param.type_name);
      if (!type) {
        warnings_.push_back(
            {param.type_position, fmt::format("unknown type '{}' for '{}' is treated as Int",
                                              param.type_name, param.name)});
        type = ValueType::kInt;
      }
      StateName name;
      name.name = param.name;
      name.type = *type;
      name.declared = true;
      name.secret = param.secret;
      name.external = param.external;
      name.position = param.position;
      add_name(std::move(name));
    }
    return {};
  }

  void add_name(StateName name) {
    result_.index_of.emplace(name.name, result_.names.size());
    result_.names.push_back(std::move(name));
  }

  // The state name that `written` refers to, with `old_` removed.
  Checked<std::string_view> base_name(const Expr& expr) const {
    std::string_view written = expr.text;
    if (!has_old_prefix(written)) return written;
    const std::string_view base = written.substr(kOldPrefix.size());
    if (base.empty() || has_old_prefix(base) || is_keyword_text(base) ||
        !(std::isalpha(static_cast<unsigned char>(base.front())) || base.front() == '_')) {
      return refuse(ErrorCode::kType, expr.position,
                    fmt::format("'{}' is not a valid name: 'old_' must be followed by the name of "
                                "a state value",
                                written));
    }
    return base;
  }

  template <class Fn>
  Checked<void> for_each_condition(Fn&& fn) {
    for (const auto* block : {&intent_.guard, &intent_.verify}) {
      for (std::size_t i = 0; i < block->size(); ++i) {
        if (auto ok = fn((*block)[i], block == &intent_.verify, i); !ok) return ok;
      }
    }
    return {};
  }

  Checked<void> collect_undeclared() {
    return for_each_condition([&](const ast::Condition& condition, bool, std::size_t) {
      Checked<void> status;
      auto visit = [&](const Expr& expr) {
        if (!status) return;
        auto base = base_name(expr);
        if (!base) {
          status = unexpected(base.error());
          return;
        }
        if (result_.index_of.contains(*base)) return;
        if (result_.names.size() >= limits_.names_max) {
          status = refuse(
              ErrorCode::kLimit, expr.position,
              fmt::format("intent '{}' uses more than {} names", intent_.name, limits_.names_max));
          return;
        }
        StateName name;
        name.name = std::string(*base);
        name.position = expr.position;
        add_name(std::move(name));
      };
      for_each_name(condition.left, visit);
      for_each_name(condition.right, visit);
      return status;
    });
  }

  // Type inference for undeclared names: a union-find over names, each class
  // carrying the category its uses demand. A name compared with `==`/`!=`
  // against a Bool (or an Account) takes that type; any use in arithmetic or
  // ordering makes it Int; the rest default to Int.
  struct Slot {
    std::size_t parent;
    Category category = Category::kUnknown;
    ast::Position decided_at;
    bool declared = false;  // the class holds a declared name, whose type is fixed
  };

  std::size_t find(std::size_t i) {
    while (slots_[i].parent != i) {
      slots_[i].parent = slots_[slots_[i].parent].parent;
      i = slots_[i].parent;
    }
    return i;
  }

  // A class holding a declared name has that name's type: uses that
  // disagree with it are left to the type check, which names the operator.
  Checked<void> demand(std::size_t name, Category category, ast::Position at) {
    Slot& slot = slots_[find(name)];
    if (slot.declared) return {};
    if (slot.category == Category::kUnknown) {
      slot.category = category;
      slot.decided_at = at;
      return {};
    }
    if (slot.category == category) return {};
    return refuse(ErrorCode::kType, at,
                  fmt::format("'{}' is used as {} here but as {} at {}", result_.names[name].name,
                              category_name(category), category_name(slot.category),
                              position_text(slot.decided_at)));
  }

  Checked<void> unite(std::size_t a, std::size_t b, ast::Position at) {
    std::size_t root_a = find(a);
    std::size_t root_b = find(b);
    if (root_a == root_b) return {};
    if (slots_[root_a].declared && slots_[root_b].declared) return {};
    if (slots_[root_b].declared) std::swap(root_a, root_b);  // a declared type wins
    const Slot merged = slots_[root_b];
    Slot& root = slots_[root_a];
    slots_[root_b].parent = root_a;
    if (merged.category == Category::kUnknown || merged.category == root.category) return {};
    if (root.category == Category::kUnknown) {
      root.category = merged.category;
      root.decided_at = merged.decided_at;
      return {};
    }
    return refuse(ErrorCode::kType, at,
                  fmt::format("'{}' and '{}' are compared here, but one is used as {} (at {}) and "
                              "the other as {} (at {})",
                              result_.names[a].name, result_.names[b].name,
                              category_name(root.category), position_text(root.decided_at),
                              category_name(merged.category), position_text(merged.decided_at)));
  }

  std::size_t index_of(const Expr& name_expr) {
    return result_.index_of.find(*base_name(name_expr))->second;
  }

  // The category an `==`/`!=` side forces, when it is not a bare name.
  static Category side_category(const Expr& expr) {
    if (expr.kind == ExprKind::kBool) return Category::kBool;
    return Category::kNumber;  // an integer literal or arithmetic
  }

  Checked<void> demand_numeric_names(const Expr& expr) {
    Checked<void> status;
    for_each_name(expr, [&](const Expr& name) {
      if (status) status = demand(index_of(name), Category::kNumber, name.position);
    });
    return status;
  }

  Checked<void> infer_operands(const Expr& expr) {
    if (!is_arithmetic(expr.kind)) return {};
    return demand_numeric_names(expr);
  }

  Checked<void> infer_types() {
    slots_.resize(result_.names.size());
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      slots_[i].parent = i;
      if (result_.names[i].declared) {
        slots_[i].category = category_of(result_.names[i].type);
        slots_[i].decided_at = result_.names[i].position;
        slots_[i].declared = true;
      }
    }
    auto ok = for_each_condition([&](const ast::Condition& condition, bool, std::size_t) {
      return infer_condition(condition);
    });
    if (!ok) return ok;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (result_.names[i].declared) continue;
      const Category category = slots_[find(i)].category;
      result_.names[i].type = category == Category::kBool      ? ValueType::kBool
                              : category == Category::kAccount ? ValueType::kAccount
                                                               : ValueType::kInt;
    }
    return {};
  }

  Checked<void> infer_condition(const ast::Condition& condition) {
    if (auto ok = infer_operands(condition.left); !ok) return ok;
    if (auto ok = infer_operands(condition.right); !ok) return ok;
    const bool left_name = is_bare_name(condition.left);
    const bool right_name = is_bare_name(condition.right);
    if (is_ordering(condition.relation)) {
      if (left_name) {
        if (auto ok = demand(index_of(condition.left), Category::kNumber, condition.left.position);
            !ok)
          return ok;
      }
      if (right_name) {
        return demand(index_of(condition.right), Category::kNumber, condition.right.position);
      }
      return {};
    }
    if (left_name && right_name) {
      return unite(index_of(condition.left), index_of(condition.right), condition.position);
    }
    if (left_name) {
      return demand(index_of(condition.left), side_category(condition.right),
                    condition.left.position);
    }
    if (right_name) {
      return demand(index_of(condition.right), side_category(condition.left),
                    condition.right.position);
    }
    return {};
  }

  // With every name typed, checks that each operator applies to its operands.
  Checked<Category> category_of_expr(const Expr& expr) {
    switch (expr.kind) {
      case ExprKind::kName: return category_of(result_.names[index_of(expr)].type);
      case ExprKind::kInteger: return Category::kNumber;
      case ExprKind::kBool: return Category::kBool;
      default: break;
    }
    for (const Expr* operand : {expr.left.get(), expr.right.get()}) {
      if (operand == nullptr) continue;
      auto category = category_of_expr(*operand);
      if (!category) return category;
      if (*category != Category::kNumber) {
        return refuse(ErrorCode::kType, operand->position,
                      fmt::format("arithmetic on {} value is not allowed: only == and != "
                                  "apply to {}",
                                  with_article(*category), category_name(*category)));
      }
    }
    return Category::kNumber;
  }

  Checked<void> check_expressions() {
    return for_each_condition([&](const ast::Condition& condition, bool, std::size_t) {
      auto left = category_of_expr(condition.left);
      if (!left) return Checked<void>(unexpected(left.error()));
      auto right = category_of_expr(condition.right);
      if (!right) return Checked<void>(unexpected(right.error()));
      if (is_ordering(condition.relation) &&
          (*left != Category::kNumber || *right != Category::kNumber)) {
        const Category bad = *left != Category::kNumber ? *left : *right;
        return Checked<void>(
            refuse(ErrorCode::kType, condition.position,
                   fmt::format("'{}' does not apply to {} values: only == and != do",
                               ast::relation_text(condition.relation), category_name(bad))));
      }
      if (*left != *right) {
        return Checked<void>(
            refuse(ErrorCode::kType, condition.position,
                   fmt::format("cannot compare {} with {} in '{}'", category_name(*left),
                               category_name(*right), condition.text)));
      }
      return Checked<void>();
    });
  }

  // Effects: `X == e` in verify where X is a plain name and e mentions no
  // plain name that stands alone on the left of an `==` in verify.
  Checked<void> classify_verify() {
    std::set<std::string_view> assigned;  // the set C of the specification
    for (const auto& condition : intent_.verify) {
      if (condition.relation == ast::Relation::kEq && is_bare_name(condition.left) &&
          !has_old_prefix(condition.left.text)) {
        assigned.insert(condition.left.text);
      }
    }
    result_.verify_is_effect.assign(intent_.verify.size(), false);
    for (std::size_t i = 0; i < intent_.verify.size(); ++i) {
      const auto& condition = intent_.verify[i];
      if (!assigned.contains(condition.left.text) || condition.relation != ast::Relation::kEq ||
          !is_bare_name(condition.left)) {
        continue;
      }
      bool mentions_assigned = false;
      for_each_name(condition.right, [&](const Expr& name) {
        if (!has_old_prefix(name.text) && assigned.contains(name.text)) mentions_assigned = true;
      });
      if (mentions_assigned) continue;
      if (auto ok = record_effect(i); !ok) return ok;
    }
    return {};
  }

  Checked<void> record_effect(std::size_t verify_index) {
    const auto& condition = intent_.verify[verify_index];
    StateName& target = result_.names[index_of(condition.left)];
    if (target.external) {
      return refuse(ErrorCode::kType, condition.position,
                    fmt::format("'{}' is external (supplied from outside) and cannot be set by "
                                "the transition",
                                target.name));
    }
    if (target.effect) {
      const auto& first = intent_.verify[*target.effect];
      return refuse(ErrorCode::kType, condition.position,
                    fmt::format("'{}' is set by two effects: line {} and line {}", target.name,
                                first.position.line, condition.position.line));
    }
    target.effect = verify_index;
    result_.verify_is_effect[verify_index] = true;
    return {};
  }

  // A value computed from a secret, or constrained together with one, can
  // give the secret away (`receipt == old_pin + 1`), so secrecy spreads to
  // every name that shares a condition with a secret name, until nothing
  // changes.
  void mark_secret_conditions() {
    auto mark_all = [&](const ast::Condition& condition) {
      bool changed = false;
      auto mark = [&](const Expr& name) {
        StateName& state = result_.names[index_of(name)];
        changed = changed || !state.secret;
        state.secret = true;
      };
      for_each_name(condition.left, mark);
      for_each_name(condition.right, mark);
      return changed;
    };
    auto mentions_secret = [&](const ast::Condition& condition) {
      bool found = false;
      auto look = [&](const Expr& name) { found = found || result_.names[index_of(name)].secret; };
      for_each_name(condition.left, look);
      for_each_name(condition.right, look);
      return found;
    };
    const std::array<const std::vector<ast::Condition>*, 2> blocks = {&intent_.guard,
                                                                      &intent_.verify};
    for (const auto* block : blocks) {
      for (const auto& condition : *block) {
        if (condition.secret) mark_all(condition);
      }
    }
    for (bool changed = true; changed;) {
      changed = false;
      for (const auto* block : blocks) {
        for (const auto& condition : *block) {
          if (mentions_secret(condition) && mark_all(condition)) changed = true;
        }
      }
    }
  }

  Checked<void> read_settings() {
    result_.budget = default_budget_;
    bool seen = false;
    for (const auto& setting : intent_.settings) {
      if (setting.name != "budget") continue;
      if (seen) {
        return refuse(ErrorCode::kType, setting.position,
                      fmt::format("'budget' is set twice in intent '{}'", intent_.name));
      }
      seen = true;
      if (setting.value.kind != ast::Value::Kind::kInteger) {
        return refuse(ErrorCode::kType, setting.position,
                      "'budget' must be a positive integer (prover work units)");
      }
      // Leading zeros do not change the value.
      std::string digits = setting.value.text;
      digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size() - 1));
      const std::string max_text = std::to_string(limits_.budget_max);
      const bool too_big = digits.size() > max_text.size() ||
                           (digits.size() == max_text.size() && digits > max_text);
      if (too_big) {
        return refuse(ErrorCode::kLimit, setting.position,
                      fmt::format("budget {} exceeds the ceiling of {} work units", digits,
                                  limits_.budget_max));
      }
      result_.budget = std::stoull(digits);
      if (result_.budget == 0) {
        return refuse(ErrorCode::kType, setting.position,
                      "'budget' must be a positive integer (prover work units)");
      }
    }
    return {};
  }

  const ast::Intent& intent_;
  const Limits& limits_;
  std::uint64_t default_budget_;
  std::vector<Warning>& warnings_;
  CheckedIntent result_;
  std::vector<Slot> slots_;
};

Checked<CheckedIntent> check_intent(const ast::Intent& intent, const Limits& limits,
                                    std::uint64_t default_budget, std::vector<Warning>& warnings) {
  return IntentChecker(intent, limits, default_budget, warnings).run();
}

Checked<CheckedUnit> check_batch(const ast::Batch& batch, const Limits& limits,
                                 std::uint64_t default_budget, std::vector<Warning>& warnings) {
  CheckedUnit unit;
  unit.kind = UnitKind::kBatch;
  unit.name = batch.name;
  unit.span = batch.span;
  if (batch.intents.empty()) {
    return refuse(ErrorCode::kType, batch.position,
                  fmt::format("atomic_batch '{}' has no intents", batch.name));
  }
  std::set<std::string_view> names;
  for (const auto& intent : batch.intents) {
    if (!names.insert(intent.name).second) {
      return refuse(
          ErrorCode::kType, intent.position,
          fmt::format("intent '{}' appears twice in batch '{}'", intent.name, batch.name));
    }
    auto checked = check_intent(intent, limits, default_budget, warnings);
    if (!checked) return unexpected(checked.error());
    unit.budget += checked->budget;
    unit.intents.push_back(std::move(*checked));
  }
  return unit;
}

}  // namespace

const char* value_type_name(ValueType type) noexcept {
  switch (type) {
    case ValueType::kInt: return "Int";
    case ValueType::kBalance: return "Balance";
    case ValueType::kAmount: return "Amount";
    case ValueType::kAccount: return "Account";
    case ValueType::kBool: return "Bool";
  }
  return "Int";
}

bool is_numeric(ValueType type) noexcept {
  return type == ValueType::kInt || type == ValueType::kBalance || type == ValueType::kAmount;
}

NameRef CheckedIntent::resolve(const std::string& written) const {
  const bool old = written.starts_with(kOldPrefix);
  const std::string_view base =
      old ? std::string_view(written).substr(kOldPrefix.size()) : std::string_view(written);
  const auto found = index_of.find(base);
  AETHEL_ASSERT_MSG(found != index_of.end(), "the type checker resolved every name");
  return NameRef{found->second, old};
}

Checked<CheckedProgram> check_program(ast::Program program, const Limits& limits,
                                      std::uint64_t default_budget) {
  CheckedProgram result;
  result.syntax = std::move(program);
  std::map<std::string_view, ast::Position> seen;
  std::uint64_t program_budget = 0;
  for (const auto& item : result.syntax.items) {
    const auto& [name, position] = std::visit(
        [](const auto& node) {
          return std::pair<std::string_view, ast::Position>(node.name, node.position);
        },
        item);
    if (auto [it, inserted] = seen.emplace(name, position); !inserted) {
      return refuse(ErrorCode::kType, position,
                    fmt::format("'{}' is already defined at {}", name, position_text(it->second)));
    }
    if (const auto* intent = std::get_if<ast::Intent>(&item)) {
      auto checked = check_intent(*intent, limits, default_budget, result.warnings);
      if (!checked) return unexpected(checked.error());
      CheckedUnit unit;
      unit.name = intent->name;
      unit.span = intent->span;
      unit.budget = checked->budget;
      unit.intents.push_back(std::move(*checked));
      result.units.push_back(std::move(unit));
    } else {
      auto checked =
          check_batch(std::get<ast::Batch>(item), limits, default_budget, result.warnings);
      if (!checked) return unexpected(checked.error());
      result.units.push_back(std::move(*checked));
    }
    // Budgets are at most budget_max each and there are at most items_max
    // units of at most batch_intents_max intents, so the sum cannot wrap.
    program_budget += result.units.back().budget;
    if (program_budget > limits.program_budget_max) {
      return refuse(ErrorCode::kLimit, position,
                    fmt::format("the budgets of the program's intents reach {} work units at "
                                "'{}', above the program ceiling of {}; give intents smaller "
                                "'budget' settings or split the program",
                                program_budget, name, limits.program_budget_max));
    }
  }
  for (auto& unit : result.units) unit.time_guard_ms = limits.prover_time_guard_ms;
  return result;
}

Checked<CheckedProgram> parse_and_check(std::string_view source, const Limits& limits,
                                        std::uint64_t default_budget) {
  auto program = parse_program(source, limits);
  if (!program) return unexpected(program.error());
  return check_program(std::move(*program), limits, default_budget);
}

}  // namespace aethel::judge
