#include "judge/verdict.h"

#include "core/encoding.h"
#include "fmt/format.h"

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

namespace aethel::judge {
namespace {

constexpr std::size_t kTextMax = 1 << 20;
constexpr std::size_t kEntriesMax = 1 << 16;
enum class ValueKind : std::uint8_t { kInteger = 0, kBool = 1, kSecret = 2 };

template <class T>
Result<T> read_enum(Decoder& decoder, std::string_view field, std::uint8_t last) {
  auto raw = decoder.read_u8(field);
  if (!raw) return unexpected<Error>(std::move(raw).error());
  if (*raw > last) {
    return fail(ErrorCode::kBadTag, fmt::format("{} has no value {}", field, *raw));
  }
  return static_cast<T>(*raw);
}

Result<CounterexampleEntry> read_entry(Decoder& decoder) {
  CounterexampleEntry entry;
  auto key = decoder.read_string("key", kTextMax);
  if (!key) return unexpected<Error>(std::move(key).error());
  entry.key = std::move(*key);
  auto kind = read_enum<ValueKind>(decoder, "value kind", 2);
  if (!kind) return unexpected<Error>(std::move(kind).error());
  if (*kind == ValueKind::kSecret) {
    entry.value = SecretValue{};
  } else if (*kind == ValueKind::kBool) {
    auto flag = decoder.read_bool("value");
    if (!flag) return unexpected<Error>(std::move(flag).error());
    entry.value = *flag;
  } else {
    auto digits = decoder.read_string("value", kTextMax);
    if (!digits) return unexpected<Error>(std::move(digits).error());
    entry.value = std::move(*digits);
  }
  return entry;
}

Result<FailedCondition> read_failed(Decoder& decoder) {
  FailedCondition failed;
  auto line = decoder.read_u32("failed line");
  if (!line) return unexpected<Error>(std::move(line).error());
  auto text = decoder.read_string("failed text", kTextMax);
  if (!text) return unexpected<Error>(std::move(text).error());
  failed.line = *line;
  failed.text = std::move(*text);
  return failed;
}

}  // namespace

Bytes encode_unit_result(const UnitResult& result) {
  Encoder encoder;
  encoder.put_string(result.name);
  encoder.put_u8(static_cast<std::uint8_t>(result.kind));
  encoder.put_u8(static_cast<std::uint8_t>(result.verdict));
  encoder.put_optional(result.reason, [](Encoder& out, Reason reason) {
    out.put_u8(static_cast<std::uint8_t>(reason));
  });
  encoder.put_optional(result.failed, [](Encoder& out, const FailedCondition& failed) {
    out.put_u32(failed.line).put_string(failed.text);
  });
  encoder.put_optional(result.counterexample,
                       [](Encoder& out, const std::vector<CounterexampleEntry>& entries) {
                         out.put_vector(entries, [](Encoder& item, const CounterexampleEntry& e) {
                           item.put_string(e.key);
                           if (const auto* digits = std::get_if<std::string>(&e.value)) {
                             item.put_u8(static_cast<std::uint8_t>(ValueKind::kInteger));
                             item.put_string(*digits);
                           } else if (const auto* flag = std::get_if<bool>(&e.value)) {
                             item.put_u8(static_cast<std::uint8_t>(ValueKind::kBool));
                             item.put_bool(*flag);
                           } else {
                             item.put_u8(static_cast<std::uint8_t>(ValueKind::kSecret));
                           }
                         });
                       });
  encoder.put_u64(result.work).put_u64(result.difficulty).put_string(result.note);
  encoder.put_bool(result.stopped_by_local_limit);
  return std::move(encoder).take();
}

Result<UnitResult> decode_unit_result(ByteView bytes) {
  Decoder decoder(bytes);
  UnitResult result;
  auto name = decoder.read_string("name", kTextMax);
  if (!name) return unexpected<Error>(std::move(name).error());
  result.name = std::move(*name);
  auto kind = read_enum<UnitKind>(decoder, "kind", 1);
  if (!kind) return unexpected<Error>(std::move(kind).error());
  result.kind = *kind;
  auto verdict = read_enum<Verdict>(decoder, "verdict", 2);
  if (!verdict) return unexpected<Error>(std::move(verdict).error());
  result.verdict = *verdict;
  auto reason = decoder.read_optional(
      "reason", [](Decoder& in) { return read_enum<Reason>(in, "reason", 5); });
  if (!reason) return unexpected<Error>(std::move(reason).error());
  result.reason = *reason;
  auto failed = decoder.read_optional("failed", read_failed);
  if (!failed) return unexpected<Error>(std::move(failed).error());
  result.failed = std::move(*failed);
  auto entries = decoder.read_optional("counterexample", [](Decoder& in) {
    return in.read_vector("counterexample", kEntriesMax, 5, read_entry);
  });
  if (!entries) return unexpected<Error>(std::move(entries).error());
  result.counterexample = std::move(*entries);
  auto work = decoder.read_u64("work");
  auto difficulty = decoder.read_u64("difficulty");
  auto note = decoder.read_string("note", kTextMax);
  if (!work) return unexpected<Error>(std::move(work).error());
  if (!difficulty) return unexpected<Error>(std::move(difficulty).error());
  if (!note) return unexpected<Error>(std::move(note).error());
  result.work = *work;
  result.difficulty = *difficulty;
  result.note = std::move(*note);
  auto stopped = decoder.read_bool("stopped_by_local_limit");
  if (!stopped) return unexpected<Error>(std::move(stopped).error());
  result.stopped_by_local_limit = *stopped;
  if (auto done = decoder.finish(); !done) return unexpected<Error>(std::move(done).error());
  return result;
}

}  // namespace aethel::judge
