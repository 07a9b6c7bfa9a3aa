#include "judge/verdict.h"

namespace aethel::judge {

const char* verdict_name(Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::kProved: return "PROVED";
    case Verdict::kRefuted: return "REFUTED";
    case Verdict::kUnknown: return "UNKNOWN";
  }
  return "UNKNOWN";
}

const char* reason_name(Reason reason) noexcept {
  switch (reason) {
    case Reason::kVacuousGuard: return "VACUOUS_GUARD";
    case Reason::kDivisionByZero: return "DIVISION_BY_ZERO";
    case Reason::kObligation: return "OBLIGATION";
    case Reason::kRange: return "RANGE";
    case Reason::kConservation: return "CONSERVATION";
    case Reason::kBudget: return "BUDGET";
  }
  return "BUDGET";
}

namespace {
// One difficulty point per this many work units, and per this many bytes.
constexpr std::uint64_t kWorkPerPoint = 100;
constexpr std::uint64_t kBytesPerPoint = 64;
}  // namespace

std::uint64_t difficulty_of(std::uint64_t work, std::size_t source_bytes) noexcept {
  return 1 + work / kWorkPerPoint + static_cast<std::uint64_t>(source_bytes) / kBytesPerPoint;
}

}  // namespace aethel::judge
