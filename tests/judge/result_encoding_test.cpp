// Results cross process boundaries (worker_pool.h) in their canonical
// encoding: decoding must give back exactly what was encoded, and refuse
// anything else.
#include <gtest/gtest.h>

#include "judge/verdict.h"

namespace aethel::judge {
namespace {

UnitResult refuted_result() {
  UnitResult result;
  result.name = "transfer";
  result.kind = UnitKind::kBatch;
  result.verdict = Verdict::kRefuted;
  result.reason = Reason::kRange;
  result.failed = FailedCondition{7, "receiver == old_receiver + amount"};
  result.counterexample = std::vector<CounterexampleEntry>{
      {"old_receiver", std::string("9223372036854775807")},
      {"receiver", std::string("9223372036854775808")},
      {"flag", true},
      {"pin", SecretValue{}},
  };
  result.work = 1234;
  result.difficulty = 17;
  result.note = "a note";
  result.stopped_by_local_limit = true;
  return result;
}

void expect_same(const UnitResult& a, const UnitResult& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.verdict, b.verdict);
  EXPECT_EQ(a.reason, b.reason);
  ASSERT_EQ(a.failed.has_value(), b.failed.has_value());
  if (a.failed) {
    EXPECT_EQ(a.failed->line, b.failed->line);
    EXPECT_EQ(a.failed->text, b.failed->text);
  }
  ASSERT_EQ(a.counterexample.has_value(), b.counterexample.has_value());
  if (a.counterexample) {
    ASSERT_EQ(a.counterexample->size(), b.counterexample->size());
    for (std::size_t i = 0; i < a.counterexample->size(); ++i) {
      EXPECT_EQ((*a.counterexample)[i].key, (*b.counterexample)[i].key);
      EXPECT_EQ((*a.counterexample)[i].value.index(), (*b.counterexample)[i].value.index());
    }
  }
  EXPECT_EQ(a.work, b.work);
  EXPECT_EQ(a.difficulty, b.difficulty);
  EXPECT_EQ(a.note, b.note);
  EXPECT_EQ(a.stopped_by_local_limit, b.stopped_by_local_limit);
}

TEST(ResultEncoding, RoundTripsARefutation) {
  const UnitResult original = refuted_result();
  const Bytes encoded = encode_unit_result(original);
  auto decoded = decode_unit_result(encoded);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  expect_same(original, *decoded);
  EXPECT_EQ(encode_unit_result(*decoded), encoded);
}

TEST(ResultEncoding, RoundTripsAProof) {
  UnitResult original;
  original.name = "ok";
  original.verdict = Verdict::kProved;
  original.work = 10;
  original.difficulty = 1;
  auto decoded = decode_unit_result(encode_unit_result(original));
  ASSERT_TRUE(decoded.has_value());
  expect_same(original, *decoded);
}

TEST(ResultEncoding, RefusesEveryTruncation) {
  const Bytes encoded = encode_unit_result(refuted_result());
  for (std::size_t size = 0; size < encoded.size(); ++size) {
    EXPECT_FALSE(decode_unit_result(ByteView(encoded.data(), size)).has_value()) << size;
  }
}

TEST(ResultEncoding, RefusesTrailingBytesAndBadTags) {
  Bytes encoded = encode_unit_result(refuted_result());
  Bytes longer = encoded;
  longer.push_back(0);
  EXPECT_EQ(decode_unit_result(longer).error().code, ErrorCode::kTrailingBytes);
  // The verdict byte follows the name (4-byte length + 8 bytes) and the kind.
  Bytes bad_verdict = encoded;
  bad_verdict[4 + 8 + 1] = 9;
  EXPECT_EQ(decode_unit_result(bad_verdict).error().code, ErrorCode::kBadTag);
}

TEST(Difficulty, GrowsWithWorkAndSize) {
  EXPECT_LT(difficulty_of(0, 0), difficulty_of(1000, 0));
  EXPECT_LT(difficulty_of(0, 0), difficulty_of(0, 1000));
  EXPECT_LE(difficulty_of(999, 10), difficulty_of(1000, 10));
  EXPECT_EQ(difficulty_of(0, 0), 1u);
}

}  // namespace
}  // namespace aethel::judge
