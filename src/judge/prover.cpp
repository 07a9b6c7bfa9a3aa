#include "judge/prover.h"

#include <z3++.h>

#include <functional>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/assert.h"
#include "fmt/format.h"

namespace aethel::judge {
namespace {

using ast::Expr;
using ast::ExprKind;

constexpr const char* kInt64Max = "9223372036854775807";
constexpr const char* kInt64Min = "-9223372036854775808";

// Every query is integer arithmetic, linear or not, with Booleans: Z3's
// solver for that logic is several times faster to set up than its
// general-purpose one, and decides the same formulas.
constexpr const char* kLogic = "QF_NIA";

enum class Scope { kGuard, kVerify };  // in guard, `X` means the value before

enum class Outcome { kSat, kUnsat, kUnknown };

// A refutation found by a check: which condition failed, and a model.
struct Failure {
  Reason reason;
  FailedCondition failed;
  std::size_t intent;  // which intent's names the counterexample shows; npos for all
};

struct Divisor {
  z3::expr value;
  const ast::Condition* condition;
};

// The Z3 terms of one intent: a constant for every value before, and for
// every value after that an effect sets (the others keep their value).
class IntentEncoding {
 public:
  IntentEncoding(z3::context& context, const CheckedIntent& intent, std::string prefix)
      : context_(context),
        intent_(intent),
        prefix_(std::move(prefix)),
        zero_(context.int_val(0)),
        int64_min_(context.int_val(kInt64Min)),
        int64_max_(context.int_val(kInt64Max)) {
    for (const auto& name : intent.names) {
      pre_.push_back(constant(prefix_ + "old_" + name.name, name.type));
      post_.push_back(name.effect ? constant(prefix_ + name.name, name.type) : pre_.back());
    }
  }

  const CheckedIntent& intent() const { return intent_; }
  const std::string& prefix() const { return prefix_; }
  const z3::expr& pre(std::size_t i) const { return pre_[i]; }
  const z3::expr& post(std::size_t i) const { return post_[i]; }

  // Every value before the transition lies in its type's range.
  void pre_ranges(std::vector<z3::expr>& out) const {
    for (std::size_t i = 0; i < pre_.size(); ++i) {
      if (is_numeric(intent_.names[i].type) || intent_.names[i].type == ValueType::kAccount) {
        out.push_back(in_range(pre_[i], intent_.names[i].type));
      }
    }
  }

  z3::expr in_range(const z3::expr& value, ValueType type) const {
    switch (type) {
      case ValueType::kBool: return context_.bool_val(true);
      case ValueType::kBalance:
      case ValueType::kAmount: return value >= zero_ && value <= int64_max_;
      case ValueType::kInt:
      case ValueType::kAccount: return value >= int64_min_ && value <= int64_max_;
    }
    return context_.bool_val(true);
  }

  // The effects as definitions of the values after: each such value is set
  // exactly once, from values before only, so any state before extends.
  void effect_definitions(std::vector<z3::expr>& out) {
    for (std::size_t i = 0; i < intent_.names.size(); ++i) {
      if (!intent_.names[i].effect) continue;
      const auto& effect = intent_.syntax->verify[*intent_.names[i].effect];
      out.push_back(post_[i] == term(effect.right, Scope::kVerify));
    }
  }

  z3::expr condition(const ast::Condition& condition, Scope scope) {
    const z3::expr left = term(condition.left, scope);
    const z3::expr right = term(condition.right, scope);
    switch (condition.relation) {
      case ast::Relation::kEq: return left == right;
      case ast::Relation::kNe: return left != right;
      case ast::Relation::kLt: return left < right;
      case ast::Relation::kLe: return left <= right;
      case ast::Relation::kGt: return left > right;
      case ast::Relation::kGe: return left >= right;
    }
    AETHEL_UNREACHABLE("every kind is handled above");
  }

  // The divisors of a condition in evaluation order (operands before the
  // operator that uses them).
  void divisors(const ast::Condition& condition, Scope scope, std::vector<Divisor>& out) {
    collect_divisors(condition.left, scope, condition, out);
    collect_divisors(condition.right, scope, condition, out);
  }

  z3::expr term(const Expr& expr, Scope scope) {
    switch (expr.kind) {
      case ExprKind::kName: {
        const NameRef ref = intent_.resolve(expr.text);
        return (scope == Scope::kGuard || ref.old) ? pre_[ref.index] : post_[ref.index];
      }
      case ExprKind::kInteger: return context_.int_val(expr.text.c_str());
      case ExprKind::kBool: return context_.bool_val(expr.bool_value);
      case ExprKind::kNegate: return -term(*expr.left, scope);
      case ExprKind::kAdd: return term(*expr.left, scope) + term(*expr.right, scope);
      case ExprKind::kSub: return term(*expr.left, scope) - term(*expr.right, scope);
      case ExprKind::kMul: return term(*expr.left, scope) * term(*expr.right, scope);
      case ExprKind::kDiv: return truncated_div(term(*expr.left, scope), term(*expr.right, scope));
      case ExprKind::kMod: {
        const z3::expr dividend = term(*expr.left, scope);
        const z3::expr divisor = term(*expr.right, scope);
        return dividend - divisor * truncated_div(dividend, divisor);
      }
    }
    AETHEL_UNREACHABLE("every kind is handled above");
  }

 private:
  z3::expr constant(const std::string& name, ValueType type) {
    return type == ValueType::kBool ? context_.bool_const(name.c_str())
                                    : context_.int_const(name.c_str());
  }

  // C semantics: the quotient truncates toward zero. SMT-LIB's `div` floors
  // for a positive divisor, so divide magnitudes and restore the sign.
  z3::expr truncated_div(const z3::expr& dividend, const z3::expr& divisor) {
    const z3::expr magnitude = z3::abs(dividend) / z3::abs(divisor);
    return z3::ite((dividend >= zero_) == (divisor > zero_), magnitude, -magnitude);
  }

  void collect_divisors(const Expr& expr, Scope scope, const ast::Condition& condition,
                        std::vector<Divisor>& out) {
    if (expr.left) collect_divisors(*expr.left, scope, condition, out);
    if (expr.right) collect_divisors(*expr.right, scope, condition, out);
    if (expr.kind == ExprKind::kDiv || expr.kind == ExprKind::kMod) {
      out.push_back(Divisor{term(*expr.right, scope), &condition});
    }
  }

  z3::context& context_;
  const CheckedIntent& intent_;
  std::string prefix_;
  z3::expr zero_;
  z3::expr int64_min_;  // built once: Z3 parses numerals from text
  z3::expr int64_max_;
  std::vector<z3::expr> pre_;
  std::vector<z3::expr> post_;
};

// Runs the checks of one unit in one fresh Z3 context, spending at most the
// unit's budget of work units across all its queries.
class UnitProver {
 public:
  explicit UnitProver(const CheckedUnit& unit, std::vector<std::string>* queries = nullptr)
      : unit_(unit), solver_(context_, kLogic), queries_(queries) {
    const bool batch = unit.kind == UnitKind::kBatch;
    for (const auto& intent : unit.intents) {
      encodings_.emplace_back(context_, intent, batch ? intent.syntax->name + "." : "");
    }
  }

  UnitResult run() {
    UnitResult result;
    result.name = unit_.name;
    result.kind = unit_.kind;
    std::optional<Failure> failure = prove_all();
    // The budget caps the work that counts, even where Z3 overshot it.
    result.work = std::min(work_, unit_.budget);
    result.difficulty = difficulty_of(result.work, unit_.span.end - unit_.span.begin);
    if (out_of_budget_) {
      result.verdict = Verdict::kUnknown;
      result.reason = Reason::kBudget;
      result.stopped_by_local_limit = timed_out_;
      result.note = timed_out_
                        ? fmt::format(
                              "stopped by this machine's time guard of {} ms during the "
                              "{} check (a local limit, not a consensus verdict)",
                              time_guard_ms_, stage_)
                        : fmt::format("the budget of {} work units ran out during the {} check",
                                      unit_.budget, stage_);
      return result;
    }
    if (!failure) {
      result.verdict = Verdict::kProved;
      return result;
    }
    result.verdict = Verdict::kRefuted;
    result.reason = failure->reason;
    result.failed = failure->failed;
    if (model_) result.counterexample = counterexample(failure->intent);
    return result;
  }

 private:
  std::optional<Failure> prove_all() {
    const bool batch = unit_.kind == UnitKind::kBatch;
    for (std::size_t i = 0; i < encodings_.size(); ++i) {
      solver_.push();
      auto failure = prove_intent(i, /*with_conservation=*/!batch);
      solver_.pop();
      if (failure || out_of_budget_) return failure;
    }
    if (!batch) return std::nullopt;
    // Money may leave one intent of a batch and arrive in another: the sum
    // over the whole batch must be zero, with every intent's guard and effects.
    for (auto& encoding : encodings_) assert_base(encoding, /*with_guard=*/true);
    stage_ = "conservation";
    return check_conservation(encodings_, npos);
  }

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  // Conjunctions are built flat: a chain of binary `and`s starting from
  // `true` makes Z3's context many times slower to tear down.
  z3::expr conjunction(const std::vector<z3::expr>& terms) {
    if (terms.empty()) return context_.bool_val(true);
    z3::expr_vector vector(context_);
    for (const auto& term : terms) vector.push_back(term);
    return z3::mk_and(vector);
  }

  void assert_base(IntentEncoding& encoding, bool with_guard) {
    std::vector<z3::expr> base;
    encoding.pre_ranges(base);
    encoding.effect_definitions(base);
    for (const auto& constraint : base) solver_.add(constraint);
    if (!with_guard) return;
    for (const auto& condition : encoding.intent().syntax->guard) {
      solver_.add(encoding.condition(condition, Scope::kGuard));
    }
  }

  std::optional<Failure> prove_intent(std::size_t index, bool with_conservation) {
    IntentEncoding& encoding = encodings_[index];
    const ast::Intent& syntax = *encoding.intent().syntax;
    assert_base(encoding, /*with_guard=*/false);

    stage_ = "guard satisfiability";
    if (auto failure = check_guard_satisfiable(encoding, index); failure || out_of_budget_) {
      return failure;
    }
    stage_ = "division";
    if (auto failure = check_guard_divisions(encoding, index); failure || out_of_budget_) {
      return failure;
    }
    std::vector<Candidate> candidates = zero_divisors(encoding, syntax.verify, Scope::kVerify);
    if (auto failure = first_satisfiable(candidates, Reason::kDivisionByZero, index);
        failure || out_of_budget_) {
      return failure;
    }

    stage_ = "obligation";
    candidates.clear();
    for (std::size_t i = 0; i < syntax.verify.size(); ++i) {
      if (encoding.intent().verify_is_effect[i]) continue;
      candidates.push_back(
          {!encoding.condition(syntax.verify[i], Scope::kVerify), &syntax.verify[i]});
    }
    if (auto failure = first_satisfiable(candidates, Reason::kObligation, index);
        failure || out_of_budget_) {
      return failure;
    }

    stage_ = "range";
    candidates.clear();
    for (std::size_t i = 0; i < syntax.verify.size(); ++i) {
      if (!encoding.intent().verify_is_effect[i]) continue;
      const NameRef target = encoding.intent().resolve(syntax.verify[i].left.text);
      const ValueType type = encoding.intent().names[target.index].type;
      if (!is_numeric(type)) continue;
      candidates.push_back(
          {!encoding.in_range(encoding.post(target.index), type), &syntax.verify[i]});
    }
    if (auto failure = first_satisfiable(candidates, Reason::kRange, index);
        failure || out_of_budget_) {
      return failure;
    }

    if (!with_conservation) return std::nullopt;
    stage_ = "conservation";
    return check_conservation(std::span<IntentEncoding>(&encoding, 1), index);
  }

  std::optional<Failure> check_guard_satisfiable(IntentEncoding& encoding, std::size_t index) {
    const auto& guard = encoding.intent().syntax->guard;
    std::vector<z3::expr> conditions;
    for (const auto& condition : guard) {
      conditions.push_back(encoding.condition(condition, Scope::kGuard));
    }
    const Outcome outcome = check(conjunction(conditions), Keep::kNoModel);
    if (outcome != Outcome::kUnsat) return std::nullopt;
    model_.reset();
    // Name the first condition at which the guard becomes unsatisfiable.
    solver_.push();
    for (std::size_t i = 0; i < guard.size(); ++i) {
      const Outcome prefix = check(conditions[i], Keep::kNoModel);
      if (out_of_budget_) break;
      if (prefix == Outcome::kUnsat) {
        solver_.pop();
        model_.reset();
        return Failure{Reason::kVacuousGuard, {guard[i].position.line, guard[i].text}, index};
      }
      solver_.add(conditions[i]);
    }
    solver_.pop();
    model_.reset();
    out_of_budget_ = false;  // the verdict is already known to be VACUOUS_GUARD
    const auto& syntax = *encoding.intent().syntax;
    return Failure{Reason::kVacuousGuard, {syntax.guard_position.line, "guard"}, index};
  }

  struct Candidate {
    z3::expr violation;  // satisfiable exactly when the check fails
    const ast::Condition* condition;
  };

  // "This divisor is zero", for every divisor of `conditions` in order.
  std::vector<Candidate> zero_divisors(IntentEncoding& encoding,
                                       std::span<const ast::Condition> conditions, Scope scope) {
    std::vector<Divisor> divisors;
    for (const auto& condition : conditions) encoding.divisors(condition, scope, divisors);
    std::vector<Candidate> candidates;
    for (auto& divisor : divisors)
      candidates.push_back({divisor.value == zero_, divisor.condition});
    return candidates;
  }

  // Each guard divisor must be non-zero under the type ranges and the guard
  // conditions written before it; afterwards the whole guard is asserted.
  std::optional<Failure> check_guard_divisions(IntentEncoding& encoding, std::size_t index) {
    for (const auto& condition : encoding.intent().syntax->guard) {
      const auto candidates =
          zero_divisors(encoding, std::span<const ast::Condition>(&condition, 1), Scope::kGuard);
      if (auto failure = first_satisfiable(candidates, Reason::kDivisionByZero, index);
          failure || out_of_budget_) {
        return failure;
      }
      solver_.add(encoding.condition(condition, Scope::kGuard));
    }
    return std::nullopt;
  }

  std::optional<Failure> check_conservation(std::span<IntentEncoding> encodings,
                                            std::size_t index) {
    z3::expr_vector changes(context_);
    std::string text;
    std::uint32_t line = 0;
    for (auto& encoding : encodings) {
      const auto& intent = encoding.intent();
      for (std::size_t i = 0; i < intent.names.size(); ++i) {
        const StateName& name = intent.names[i];
        if (name.type != ValueType::kBalance || !name.effect) continue;
        changes.push_back(encoding.post(i) - encoding.pre(i));
        if (!text.empty()) text += " + ";
        text += fmt::format("({}{} - {}old_{})", encoding.prefix(), name.name, encoding.prefix(),
                            name.name);
        if (line == 0) line = intent.syntax->verify[*name.effect].position.line;
      }
    }
    if (text.empty()) return std::nullopt;  // nothing set: nothing can be created
    if (check(z3::sum(changes) != zero_, Keep::kModel) != Outcome::kSat) return std::nullopt;
    return Failure{Reason::kConservation, {line, text + " == 0"}, index};
  }

  // The first candidate whose violation is satisfiable, in order. One query
  // over the disjunction settles the common case where none is.
  std::optional<Failure> first_satisfiable(const std::vector<Candidate>& candidates, Reason reason,
                                           std::size_t index) {
    if (candidates.empty()) return std::nullopt;
    z3::expr_vector violations(context_);
    for (const auto& candidate : candidates) violations.push_back(candidate.violation);
    if (check(z3::mk_or(violations), Keep::kNoModel) != Outcome::kSat) return std::nullopt;
    for (const auto& candidate : candidates) {
      const Outcome outcome = check(candidate.violation, Keep::kModel);
      if (outcome == Outcome::kUnknown) return std::nullopt;
      if (outcome == Outcome::kSat) {
        return Failure{
            reason, {candidate.condition->position.line, candidate.condition->text}, index};
      }
    }
    AETHEL_UNREACHABLE("a satisfiable disjunction has a satisfiable disjunct");
  }

  // Whether a satisfiable query's model is kept for a counterexample; only
  // failures need one, and building it is a large part of a query's cost.
  enum class Keep { kModel, kNoModel };

  // One query under the current assertions. Spends from the unit's budget;
  // a query that runs out of it sets out_of_budget_.
  Outcome check(const z3::expr& assumption, Keep keep) {
    if (out_of_budget_) return Outcome::kUnknown;
    if (work_ >= unit_.budget) {
      out_of_budget_ = true;
      return Outcome::kUnknown;
    }
    solver_.push();
    solver_.add(assumption);
    if (queries_ != nullptr) queries_->push_back(solver_.to_smt2());
    z3::params params(context_);
    // rlimit is relative to the work already counted; 0 would mean no limit.
    params.set("rlimit", static_cast<unsigned>(std::min<std::uint64_t>(
                             unit_.budget - work_, std::numeric_limits<unsigned>::max())));
    // nlsat, Z3's complete procedure for nonlinear real arithmetic, counts
    // too little of its work: a budget of 50,000 units took 12 s on a cubic.
    // Without it, incremental linearisation still decides the nonlinear
    // facts of everyday programs (x*x >= 0, monotonicity, expansions).
    params.set("arith.nl.nra", false);
    params.set("timeout", time_guard_ms_);
    solver_.set(params);
    const z3::check_result answer = solver_.check();
    Outcome outcome = Outcome::kUnknown;
    if (answer == z3::sat) {
      outcome = Outcome::kSat;
      if (keep == Keep::kModel) model_.emplace(solver_.get_model());
    } else if (answer == z3::unsat) {
      outcome = Outcome::kUnsat;
    }
    work_ = read_work();
    // Z3 says "canceled" for its timeout and, with a timeout set, for the
    // resource limit too: an undecided query that stopped short of the
    // budget was stopped by the time guard.
    if (outcome == Outcome::kUnknown && work_ < unit_.budget) timed_out_ = true;
    solver_.pop();
    // Z3 looks at its limit only now and then, so a query can finish a
    // little past it; past the budget is out of budget, whatever the answer.
    if (outcome == Outcome::kUnknown || work_ > unit_.budget) {
      out_of_budget_ = true;
      return Outcome::kUnknown;
    }
    return outcome;
  }

  std::uint64_t read_work() {
    const z3::stats stats = solver_.statistics();
    for (unsigned i = 0; i < stats.size(); ++i) {
      if (stats.key(i) == "rlimit count") return stats.uint_value(i);
    }
    AETHEL_UNREACHABLE("Z3 reports its rlimit count");
  }

  std::vector<CounterexampleEntry> counterexample(std::size_t index) {
    std::vector<CounterexampleEntry> entries;
    for (std::size_t e = 0; e < encodings_.size(); ++e) {
      if (index != npos && e != index) continue;
      const IntentEncoding& encoding = encodings_[e];
      for (std::size_t i = 0; i < encoding.intent().names.size(); ++i) {
        const StateName& name = encoding.intent().names[i];
        entries.push_back(
            {encoding.prefix() + "old_" + name.name, value_of(name, encoding.pre(i))});
        entries.push_back({encoding.prefix() + name.name, value_of(name, encoding.post(i))});
      }
    }
    return entries;
  }

  ModelValue value_of(const StateName& name, const z3::expr& term) {
    if (name.secret) return SecretValue{};
    const z3::expr value = model_->eval(term, /*model_completion=*/true);
    if (name.type == ValueType::kBool) return value.is_true();
    return std::string(Z3_get_numeral_string(context_, value));
  }

  const CheckedUnit& unit_;
  z3::context context_;
  z3::solver solver_;
  std::vector<IntentEncoding> encodings_;
  std::vector<std::string>* queries_;
  z3::expr zero_{context_.int_val(0)};
  std::optional<z3::model> model_;
  std::uint64_t work_ = 0;
  bool out_of_budget_ = false;
  bool timed_out_ = false;
  unsigned time_guard_ms_ = unit_.time_guard_ms;
  const char* stage_ = "";
};

}  // namespace

UnitResult prove_unit(const CheckedUnit& unit) {
  try {
    return UnitProver(unit).run();
  } catch (const z3::exception& error) {
    // Z3 reports misuse and resource exhaustion this way; neither depends on
    // the program being valid, so the unit is left undecided.
    UnitResult result;
    result.name = unit.name;
    result.kind = unit.kind;
    result.verdict = Verdict::kUnknown;
    result.reason = Reason::kBudget;
    result.note = fmt::format("the prover failed: {}", error.msg());
    result.difficulty = difficulty_of(0, unit.span.end - unit.span.begin);
    return result;
  }
}

std::vector<std::string> unit_queries_smtlib(const CheckedUnit& unit) {
  std::vector<std::string> queries;
  try {
    UnitProver(unit, &queries).run();
  } catch (const z3::exception&) {
    queries.clear();
  }
  return queries;
}

}  // namespace aethel::judge
