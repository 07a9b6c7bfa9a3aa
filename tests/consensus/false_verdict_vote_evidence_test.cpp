// FalseVerdictVoteEvidence: a validator's signed PREPARE or COMMIT for a
// block holding a false claim. Its encoding, what verify_evidence() accepts
// and refuses, and who it accuses.
#include <gtest/gtest.h>

#include "consensus/evidence.h"
#include "tests/consensus/replica_fixture.h"

namespace aethel::consensus::testing {
namespace {

struct VoteEvidenceCase {
  ReplicaFixture fixture;
  BlockPtr block = fixture.block(4, 1, fixture.leader0(), crypto::sha256("parent"), 3);
  std::size_t voter = (fixture.leader0() + 1) % 4;

  FalseVerdictVoteEvidence evidence(VotePhase phase = VotePhase::kCommit,
                                    std::uint32_t claim_index = 2) const {
    return FalseVerdictVoteEvidence{fixture.vote(phase, 1, 4, block_digest(*block), voter), *block,
                                    claim_index};
  }
  const Hash256& chain() const { return fixture.config().chain_id; }
};

TEST(FalseVerdictVoteEvidence, VerifiesRoundTripsAndAccusesTheVoter) {
  VoteEvidenceCase c;
  for (const VotePhase phase : {VotePhase::kPrepare, VotePhase::kCommit}) {
    SCOPED_TRACE(vote_phase_name(phase));
    const Evidence evidence = c.evidence(phase);
    EXPECT_TRUE(verify_evidence(c.chain(), c.fixture.validators(), evidence));
    EXPECT_EQ(offender(evidence), ValidatorIndex(c.voter));
    const auto accused = accused_claim(evidence);
    ASSERT_TRUE(accused.has_value());
    EXPECT_EQ(*accused->block, *c.block);
    EXPECT_EQ(accused->claim_index, 2u);

    const Bytes bytes = encode_evidence(evidence);
    const auto decoded = decode_evidence(bytes);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
    EXPECT_EQ(encode_evidence(*decoded), bytes);
    EXPECT_TRUE(std::holds_alternative<FalseVerdictVoteEvidence>(*decoded));
    EXPECT_TRUE(verify_evidence(c.chain(), c.fixture.validators(), *decoded));
  }
}

TEST(FalseVerdictVoteEvidence, TruncatedExtendedOrOverLimitBytesAreRefused) {
  VoteEvidenceCase c;
  const Bytes bytes = encode_evidence(c.evidence());
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_FALSE(decode_evidence(ByteView(bytes.data(), length)).has_value()) << length;
  }
  Bytes longer = bytes;
  longer.push_back(0);
  const auto extended = decode_evidence(longer);
  ASSERT_FALSE(extended.has_value());
  EXPECT_EQ(extended.error().code, ErrorCode::kTrailingBytes);
  DecodeLimits two_claims;
  two_claims.max_claims = 2;
  EXPECT_FALSE(decode_evidence(bytes, two_claims).has_value());
}

struct Refusal {
  const char* name;
  FalseVerdictVoteEvidence evidence;
  ErrorCode code;
};

TEST(FalseVerdictVoteEvidence, EvidenceThatProvesNothingIsRefused) {
  VoteEvidenceCase c;
  FalseVerdictVoteEvidence other_block = c.evidence();
  other_block.block.payload_digest = crypto::sha256("another payload");
  FalseVerdictVoteEvidence other_height = c.evidence();
  other_height.vote = c.fixture.vote(VotePhase::kCommit, 1, 5, block_digest(*c.block), c.voter);
  FalseVerdictVoteEvidence forged = c.evidence();
  forged.vote.voter = ValidatorIndex((c.voter + 1) % 4);
  FalseVerdictVoteEvidence outsider = c.evidence();
  outsider.vote.voter = ValidatorIndex(9);
  const std::vector<Refusal> table{
      {"checkpoint vote", c.evidence(VotePhase::kCheckpoint), ErrorCode::kInvalidArgument},
      {"claim index out of range", c.evidence(VotePhase::kCommit, 3), ErrorCode::kInvalidArgument},
      {"vote for another block", other_block, ErrorCode::kInvalidArgument},
      {"vote at another height", other_height, ErrorCode::kInvalidArgument},
      {"signature of another validator", forged, ErrorCode::kBadSignature},
      {"voter outside the set", outsider, ErrorCode::kInvalidArgument},
  };
  for (const Refusal& row : table) {
    const auto refused = verify_evidence(c.chain(), c.fixture.validators(), row.evidence);
    ASSERT_FALSE(refused.has_value()) << row.name;
    EXPECT_EQ(refused.error().code, row.code) << row.name << ": " << refused.error().message;
  }
  EXPECT_FALSE(verify_evidence(crypto::sha256("other chain"), c.fixture.validators(),
                               Evidence(c.evidence())));
}

TEST(FalseVerdictVoteEvidence, OtherKindsAccuseNoClaimExceptTheFalseClaim) {
  VoteEvidenceCase c;
  const Vote a = c.fixture.vote(VotePhase::kCommit, 2, 9, crypto::sha256("a"), 3);
  const Vote b = c.fixture.vote(VotePhase::kCommit, 2, 9, crypto::sha256("b"), 3);
  EXPECT_FALSE(accused_claim(make_equivocation_evidence(a, b)).has_value());
  const FalseClaimEvidence claim{c.fixture.pre_prepare(c.block, 1, c.fixture.leader0()), 1};
  const auto accused = accused_claim(claim);
  ASSERT_TRUE(accused.has_value());
  EXPECT_EQ(accused->block, c.block.get());
  EXPECT_EQ(accused->claim_index, 1u);
}

}  // namespace
}  // namespace aethel::consensus::testing
