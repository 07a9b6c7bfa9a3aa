// What the judge concludes about one intent or batch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "judge/checker.h"

namespace aethel::judge {

enum class Verdict { kProved, kRefuted, kUnknown };

// The checks of the language specification, in the order they are made; a
// REFUTED result names the first that fails.
enum class Reason { kVacuousGuard, kDivisionByZero, kObligation, kRange, kConservation, kBudget };

const char* verdict_name(Verdict verdict) noexcept;
const char* reason_name(Reason reason) noexcept;

struct FailedCondition {
  std::uint32_t line = 0;
  std::string text;
};

struct SecretValue {};
// An integer (exact, in decimal: values after a transition can leave 64 bits),
// a Bool, or a redacted secret.
using ModelValue = std::variant<std::string, bool, SecretValue>;

struct CounterexampleEntry {
  std::string key;  // `old_X` (before) or `X` (after); `intent.old_X` inside a batch
  ModelValue value;
};

struct UnitResult {
  std::string name;
  UnitKind kind = UnitKind::kIntent;
  Verdict verdict = Verdict::kUnknown;
  std::optional<Reason> reason;
  std::optional<FailedCondition> failed;
  std::optional<std::vector<CounterexampleEntry>> counterexample;
  std::uint64_t work = 0;        // prover work units (Z3 rlimit count)
  std::uint64_t difficulty = 0;  // from work and source size only
  std::string note;              // a human-readable detail; never holds a secret value
  // Set when this machine's time guard, a local limit and not the protocol,
  // ended the proof. Such an UNKNOWN is not a consensus verdict: a validator
  // holding one can neither confirm nor contradict another's claim.
  bool stopped_by_local_limit = false;
};

// Difficulty is part of the protocol: a pure function of the work units spent
// and the size of the unit's source text, growing with both.
std::uint64_t difficulty_of(std::uint64_t work, std::size_t source_bytes) noexcept;

}  // namespace aethel::judge

namespace aethel::judge {

// Canonical encoding of a result, for moving results between processes.
Bytes encode_unit_result(const UnitResult& result);
Result<UnitResult> decode_unit_result(ByteView bytes);

}  // namespace aethel::judge
