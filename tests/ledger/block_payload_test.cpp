// The block payload's canonical encoding, its limits, its digest and the
// claims derived from it.
#include "ledger/block_payload.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/ledger/exec_test_support.h"

namespace aethel::ledger::testing {
namespace {

const Hash256 kChain = crypto::sha256(std::string_view("payload test chain"));

Transaction signed_transaction(Payload payload, std::uint64_t nonce) {
  Transaction transaction{std::move(payload), TokenAmount(2), Nonce(nonce), {}};
  sign_transaction(kChain, test_keypair(2, 1), transaction);
  return transaction;
}

consensus::CertificatePtr sample_commit() {
  auto certificate = std::make_shared<consensus::Certificate>();
  certificate->phase = consensus::VotePhase::kCommit;
  certificate->view = View(3);
  certificate->height = Height(8);
  certificate->digest = crypto::sha256(std::string_view("block 8"));
  for (std::uint32_t i = 0; i < 3; ++i) {
    const auto vote =
        consensus::sign_vote(kChain, test_keypair(1, i).secret_key, consensus::VotePhase::kCommit,
                             View(3), Height(8), certificate->digest, ValidatorIndex(i));
    certificate->signatures.push_back({ValidatorIndex(i), vote.signature});
  }
  return certificate;
}

BlockPayload sample_payload() {
  return BlockPayload{
      sample_commit(),
      {signed_transaction(test_program(1), 0),
       signed_transaction(Transfer{test_keypair(2, 2).public_key, TokenAmount(9)}, 1),
       signed_transaction(SubmitEvidence{Bytes{1, 2}, test_program(2)}, 2),
       signed_transaction(test_program(3), 3)}};
}

TEST(BlockPayload, RoundTripsToTheSameBytesAndDigest) {
  for (const BlockPayload& payload : {sample_payload(), BlockPayload{nullptr, {}}}) {
    const Bytes bytes = encode_block_payload(payload);
    auto decoded = decode_block_payload(bytes, BlockPayloadLimits{});
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_EQ(*decoded, payload);
    EXPECT_EQ(encode_block_payload(*decoded), bytes);
    EXPECT_EQ(payload_digest(*decoded), crypto::sha256(bytes));
  }
  EXPECT_NE(payload_digest(sample_payload()), payload_digest(BlockPayload{nullptr, {}}));
  BlockPayload without_commit = sample_payload();
  without_commit.parent_commit = nullptr;
  EXPECT_NE(payload_digest(without_commit), payload_digest(sample_payload()));
}

TEST(BlockPayload, ProgramsAndClaimsFollowTransactionOrder) {
  const BlockPayload payload = sample_payload();
  const auto programs = programs_of(payload);
  ASSERT_EQ(programs.size(), 3u);
  EXPECT_EQ(*programs[0], test_program(1));
  EXPECT_EQ(*programs[1], test_program(2));
  EXPECT_EQ(*programs[2], test_program(3));

  VerifiedProofs proofs;
  for (const std::uint64_t n : {1, 2, 3}) {
    const SubmitProof program = test_program(n);
    proofs[proof_id(program)] = outcome(program, judge::Verdict::kProved, n * 10);
  }
  proofs[proof_id(test_program(3))].verdict = judge::Verdict::kRefuted;
  auto claims = claims_of(payload, proofs);
  ASSERT_TRUE(claims) << claims.error().to_string();
  const std::vector<consensus::Claim> expected{
      {proof_id(test_program(1)), consensus::ClaimedVerdict::kProved, Difficulty(10)},
      {proof_id(test_program(3)), consensus::ClaimedVerdict::kRefuted, Difficulty(30)}};
  EXPECT_EQ(*claims, expected);

  proofs.erase(proof_id(test_program(3)));
  auto missing = claims_of(payload, proofs);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("transaction 3"), std::string::npos);
}

struct Refusal {
  std::string name;
  Bytes bytes;
  BlockPayloadLimits limits;
  ErrorCode code;
  std::string message_part;
};

TEST(BlockPayload, MalformedOrOversizedBytesAreRefusedNamingWhere) {
  const Bytes good = encode_block_payload(sample_payload());
  Bytes trailing = good;
  trailing.push_back(0);
  BlockPayloadLimits three;
  three.max_transactions = 3;
  BlockPayloadLimits small;
  small.max_bytes = good.size() - 1;
  BlockPayloadLimits two_signers;
  two_signers.max_certificate_signatures = 2;
  // Corrupt the kind byte of the first transaction: after the envelope (2),
  // the presence byte (1), the certificate (1 + 8 + 8 + 32 + 4 + 3 * 68),
  // the transaction count (4), its length (4) and its envelope (2).
  const std::size_t first_kind = 2 + 1 + (1 + 8 + 8 + 32 + 4 + 3 * 68) + 4 + 4 + 2;
  Bytes bad_kind = good;
  bad_kind.at(first_kind) = 9;
  Bytes bad_presence = good;
  bad_presence.at(2) = 2;
  const std::vector<Refusal> table{
      {"empty", {}, {}, ErrorCode::kTruncated, "format_version"},
      {"wrong envelope", Bytes{9, 0x50, 0}, {}, ErrorCode::kBadTag, ""},
      {"bad presence byte", bad_presence, {}, ErrorCode::kBadTag, "payload.parent_commit"},
      {"trailing byte", trailing, {}, ErrorCode::kTrailingBytes, ""},
      {"too many transactions", good, three, ErrorCode::kOversize, "payload.transactions"},
      {"too many bytes", good, small, ErrorCode::kOversize, "exceeds the limit"},
      {"too many certificate signatures", good, two_signers, ErrorCode::kOversize, "parent_commit"},
      {"a bad transaction",
       bad_kind,
       {},
       ErrorCode::kBadTag,
       "in element 0 of 'payload.transactions'"},
  };
  for (const Refusal& row : table) {
    SCOPED_TRACE(row.name);
    auto decoded = decode_block_payload(row.bytes, row.limits);
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().code, row.code) << decoded.error().to_string();
    EXPECT_NE(decoded.error().message.find(row.message_part), std::string::npos)
        << decoded.error().message;
  }
}

TEST(BlockPayload, TheFuzzSeedCorpusDecodesAndReencodes) {
  const char* source = std::getenv("AETHEL_SOURCE_DIR");
  const std::filesystem::path corpus =
      std::filesystem::path(source != nullptr ? source : ".") / "fuzz/block_payload/corpus";
  ASSERT_TRUE(std::filesystem::is_directory(corpus)) << corpus;
  std::size_t seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    SCOPED_TRACE(entry.path().string());
    std::ifstream in(entry.path(), std::ios::binary);
    const Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto decoded = decode_block_payload(bytes, BlockPayloadLimits{});
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_EQ(encode_block_payload(*decoded), bytes);
    ++seeds;
  }
  EXPECT_GE(seeds, 4u);
}

RC_GTEST_PROP(BlockPayloadProperty, EveryPrefixIsRefusedAndFlippedBitsNeverDecodeAsTheSame, ()) {
  const Bytes bytes = encode_block_payload(sample_payload());
  const auto cut = *rc::gen::inRange<std::size_t>(0, bytes.size());
  RC_ASSERT_FALSE(decode_block_payload(ByteView(bytes.data(), cut), {}).has_value());
  Bytes flipped = bytes;
  const auto at = *rc::gen::inRange<std::size_t>(0, bytes.size());
  flipped[at] = static_cast<std::uint8_t>(flipped[at] ^ (1u << *rc::gen::inRange(0, 8)));
  auto decoded = decode_block_payload(flipped, {});
  if (decoded.has_value()) {
    RC_ASSERT(encode_block_payload(*decoded) == flipped);
    RC_ASSERT_FALSE(*decoded == sample_payload());
  }
}

}  // namespace
}  // namespace aethel::ledger::testing
