// Canonical encodings of messages and evidence, the validator set's quorum
// arithmetic and leader choice, and evidence verification.
#include <gtest/gtest.h>

#include "tests/consensus/replica_fixture.h"

namespace aethel::consensus::testing {
namespace {

std::vector<Message> sample_messages(const ReplicaFixture& f) {
  const BlockPtr block = f.block(3, 1, f.leader(View(1)), crypto::sha256("parent"), 3);
  const Hash256 digest = block_digest(*block);
  const PreparedProof proof{block, f.certificate(VotePhase::kPrepare, 1, 3, digest, {0, 1, 2})};
  ViewChangeSummary summary{
      View(2), Height(0), Hash256(), {{Height(3), View(1), digest}}, ValidatorIndex(1)};
  ViewChange change{
      sign_view_change_summary(f.config().chain_id, f.key(1), summary), nullptr, {proof}};
  NewView new_view;
  new_view.view = View(2);
  new_view.leader = ValidatorIndex(f.leader(View(2)));
  new_view.view_changes = {change.signed_summary};
  new_view.reproposals = {proof};
  new_view.stable_checkpoint =
      f.certificate(VotePhase::kCheckpoint, 0, 4, crypto::sha256("state"), {1, 2, 3});
  sign_new_view(f.config().chain_id, f.key(new_view.leader.value()), new_view);
  ViewChangeSummary later = summary;
  later.new_view = View(3);
  later.sender = ValidatorIndex(2);
  ViewChangeCertificate certificate{
      View(2),
      ValidatorIndex(3),
      {change.signed_summary, sign_view_change_summary(f.config().chain_id, f.key(2), later)}};
  return {
      f.pre_prepare(block, 1, f.leader(View(1))),
      f.vote(VotePhase::kPrepare, 1, 3, digest, 2),
      f.vote(VotePhase::kCheckpoint, 0, 4, crypto::sha256("state"), 3),
      f.certificate_message(f.certificate(VotePhase::kCommit, 1, 3, digest, {0, 2, 3}), 0),
      change,
      new_view,
      certificate,
  };
}

TEST(MessageEncoding, EveryMessageRoundTripsToTheSameBytes) {
  ReplicaFixture fixture;
  for (const Message& message : sample_messages(fixture)) {
    SCOPED_TRACE(message_type_name(message_type(message)));
    const Bytes bytes = encode_message(message);
    EXPECT_EQ(encoded_message_size(message), bytes.size());
    const auto decoded = decode_message(bytes);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
    EXPECT_EQ(encode_message(*decoded), bytes);
    EXPECT_EQ(message_sender(*decoded), message_sender(message));
  }
}

TEST(MessageEncoding, TruncatedOrExtendedBytesAreRefused) {
  ReplicaFixture fixture;
  for (const Message& message : sample_messages(fixture)) {
    SCOPED_TRACE(message_type_name(message_type(message)));
    const Bytes bytes = encode_message(message);
    for (std::size_t length = 0; length < bytes.size(); ++length) {
      EXPECT_FALSE(decode_message(ByteView(bytes.data(), length)).has_value()) << length;
    }
    Bytes longer = bytes;
    longer.push_back(0);
    const auto refused = decode_message(longer);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, ErrorCode::kTrailingBytes);
  }
}

struct MalformedCase {
  std::string name;
  std::function<Bytes(const ReplicaFixture&)> bytes;
  ErrorCode code;
  std::string mentions;
};

TEST(MessageEncoding, MalformedBytesAreRefusedNamingTheField) {
  const std::vector<MalformedCase> cases = {
      {"unknown format version",
       [](const ReplicaFixture& f) {
         Bytes b = encode_message(f.vote(VotePhase::kPrepare, 0, 1, Hash256(), 1));
         b[0] = 9;
         return b;
       },
       ErrorCode::kBadTag, ""},
      {"unknown message type",
       [](const ReplicaFixture& f) {
         Bytes b = encode_message(f.vote(VotePhase::kPrepare, 0, 1, Hash256(), 1));
         b[1] = 77;
         return b;
       },
       ErrorCode::kBadTag, ""},
      {"unknown vote phase",
       [](const ReplicaFixture& f) {
         Bytes b = encode_message(f.vote(VotePhase::kPrepare, 0, 1, Hash256(), 1));
         b[2] = 3;
         return b;
       },
       ErrorCode::kBadTag, "vote.phase"},
      {"certificate signers out of order",
       [](const ReplicaFixture& f) {
         auto c = std::make_shared<Certificate>(
             *f.certificate(VotePhase::kCommit, 0, 1, Hash256(), {0, 1, 2}));
         std::swap(c->signatures[0], c->signatures[1]);
         return encode_message(f.certificate_message(c, 0));
       },
       ErrorCode::kNonCanonical, "signers"},
      {"view-change certificate senders out of order",
       [](const ReplicaFixture& f) {
         ViewChangeCertificate c;
         c.view = View(1);
         c.sender = ValidatorIndex(0);
         for (std::size_t sender : {2, 1}) {
           ViewChangeSummary summary;
           summary.new_view = View(1);
           summary.sender = ValidatorIndex(sender);
           c.view_changes.push_back(
               sign_view_change_summary(f.config().chain_id, f.key(sender), summary));
         }
         return encode_message(c);
       },
       ErrorCode::kNonCanonical, "view_change_certificate.view_changes[1]"},
      {"more claims than the limit",
       [](const ReplicaFixture& f) {
         return encode_message(f.pre_prepare(f.block(1, 0, 0, {}, 5), 0, 0));
       },
       ErrorCode::kOversize, "block.claims"},
      {"a claimed verdict that does not exist",
       [](const ReplicaFixture& f) {
         Bytes b = encode_message(f.pre_prepare(f.block(1, 0, 0, {}, 1), 0, 0));
         // envelope 2 + view 8 + leader 8 + signature 64 + height 8 + view 8 + parent 32
         // + proposer 8 + timestamp 8 + claim count 4 + proof id 32 = verdict byte
         b[2 + 8 + 8 + 64 + 8 + 8 + 32 + 8 + 8 + 4 + 32] = 9;
         return b;
       },
       ErrorCode::kBadTag, "claim.verdict"},
  };
  DecodeLimits limits;
  limits.max_claims = 4;
  ReplicaFixture fixture;
  for (const MalformedCase& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    const auto decoded = decode_message(test_case.bytes(fixture), limits);
    ASSERT_FALSE(decoded.has_value());
    EXPECT_EQ(decoded.error().code, test_case.code) << decoded.error().to_string();
    EXPECT_NE(decoded.error().message.find(test_case.mentions), std::string::npos)
        << decoded.error().message;
  }
}

TEST(MessageEncoding, ViewChangeProofsMustMatchTheirEntries) {
  ReplicaFixture fixture;
  auto messages = sample_messages(fixture);
  ViewChange change = std::get<ViewChange>(messages[4]);
  change.proofs.clear();
  const auto decoded = decode_message(encode_message(change));
  ASSERT_FALSE(decoded.has_value());
  EXPECT_NE(decoded.error().message.find("proofs"), std::string::npos);
}

TEST(MessageEncoding, SignaturesAreBoundToTheirDomainAndChain) {
  ReplicaFixture fixture;
  const Vote prepare = fixture.vote(VotePhase::kPrepare, 0, 1, Hash256(), 1);
  const Bytes message = vote_signing_bytes(fixture.config().chain_id, VotePhase::kPrepare, View(0),
                                           Height(1), Hash256());
  const auto& key = fixture.validators().at(ValidatorIndex(1)).public_key;
  EXPECT_TRUE(
      crypto::verify(key, crypto::SigningDomain::kConsensusPrepare, message, prepare.signature));
  EXPECT_FALSE(
      crypto::verify(key, crypto::SigningDomain::kConsensusCommit, message, prepare.signature));
  const Bytes other_chain = vote_signing_bytes(crypto::sha256("another chain"), VotePhase::kPrepare,
                                               View(0), Height(1), Hash256());
  EXPECT_FALSE(crypto::verify(key, crypto::SigningDomain::kConsensusPrepare, other_chain,
                              prepare.signature));
}

TEST(NewViewPlan, HighestViewPerHeightContiguousFromTheHighestCheckpoint) {
  const auto entry = [](std::uint64_t h, std::uint64_t v, const char* d) {
    return PreparedEntry{Height(h), View(v), crypto::sha256(std::string_view(d))};
  };
  const auto summary = [](std::uint64_t stable, std::vector<PreparedEntry> prepared) {
    return SignedViewChangeSummary{
        ViewChangeSummary{View(5), Height(stable), stable ? crypto::sha256("s") : Hash256(),
                          std::move(prepared), ValidatorIndex(0)},
        crypto::Signature()};
  };
  const NewViewPlan plan = plan_new_view({
      summary(4, {entry(5, 1, "a"), entry(6, 1, "b")}),
      summary(0, {entry(3, 0, "old"), entry(5, 3, "c"), entry(8, 3, "gap")}),
      summary(4, {entry(6, 2, "d"), entry(7, 2, "e")}),
  });
  EXPECT_EQ(plan.stable_height, Height(4));
  const std::vector<PreparedEntry> expected = {entry(5, 3, "c"), entry(6, 2, "d"), entry(7, 2, "e"),
                                               entry(8, 3, "gap")};
  EXPECT_EQ(plan.reproposals, expected);
  const NewViewPlan gap = plan_new_view({summary(0, {entry(1, 0, "a"), entry(3, 0, "c")})});
  ASSERT_EQ(gap.reproposals.size(), 1u);
  EXPECT_EQ(gap.reproposals[0].height, Height(1));
}

// ---------------------------------------------------------------------------

TEST(ValidatorSet, QuorumIsAboveTwoThirdsAndWeakQuorumAtLeastOneThird) {
  struct Row {
    std::uint64_t total, quorum, weak;
  };
  const std::vector<Row> rows = {
      {1, 1, 1},
      {3, 3, 1},
      {4, 3, 2},
      {100, 67, 34},
      {300, 201, 100},
      {1000, 667, 334},
      {600, 401, 200},
      {std::numeric_limits<std::uint64_t>::max(), 12297829382473034411ULL, 6148914691236517205ULL},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.total);
    EXPECT_EQ(quorum_threshold(Stake(row.total)), Stake(row.quorum));
    EXPECT_EQ(weak_quorum_threshold(Stake(row.total)), Stake(row.weak));
  }
}

TEST(ValidatorSet, RefusesEmptyBelowMinimumRepeatedAndOverflowingSets) {
  const auto key = [](std::size_t i) { return test_key(i).public_key; };
  EXPECT_FALSE(ValidatorSet::create({}, Stake(1)).has_value());
  EXPECT_FALSE(
      ValidatorSet::create({{key(0), Stake(5)}, {key(1), Stake(4)}}, Stake(5)).has_value());
  EXPECT_FALSE(ValidatorSet::create({{key(0), Stake(0)}}, Stake(0)).has_value());
  EXPECT_FALSE(
      ValidatorSet::create({{key(0), Stake(5)}, {key(0), Stake(5)}}, Stake(1)).has_value());
  const auto overflow =
      ValidatorSet::create({{key(0), Stake::max()}, {key(1), Stake(1)}}, Stake(1));
  ASSERT_FALSE(overflow.has_value());
  EXPECT_EQ(overflow.error().code, ErrorCode::kLimit);
  const auto good = ValidatorSet::create({{key(0), Stake(5)}, {key(1), Stake(7)}}, Stake(5));
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(good->total_stake(), Stake(12));
  EXPECT_EQ(good->index_of(key(1)), ValidatorIndex(1));
  EXPECT_FALSE(good->index_of(key(2)).has_value());
}

TEST(ValidatorSet, LeadersAreDrawnInProportionToStake) {
  std::vector<Validator> validators;
  const std::vector<std::uint64_t> stakes = {700, 100, 100, 100};
  for (std::size_t i = 0; i < stakes.size(); ++i) {
    validators.push_back({test_key(i).public_key, Stake(stakes[i])});
  }
  const auto set = ValidatorSet::create(validators, Stake(1));
  ASSERT_TRUE(set.has_value());
  std::vector<std::size_t> led(stakes.size());
  for (std::uint64_t view = 0; view < 4000; ++view) ++led[set->leader_for_view(View(view)).value()];
  EXPECT_GT(led[0], 2600u);
  EXPECT_LT(led[0], 3000u);
  for (std::size_t i = 1; i < stakes.size(); ++i) {
    EXPECT_GT(led[i], 300u);
    EXPECT_LT(led[i], 500u);
  }
  // Deterministic: the same view, the same leader.
  EXPECT_EQ(set->leader_for_view(View(12345)), set->leader_for_view(View(12345)));
}

TEST(ValidatorSet, ConsecutiveViewsDoNotWalkThroughARunOfValidators) {
  std::vector<Validator> validators;
  for (std::size_t i = 0; i < 30; ++i) validators.push_back({test_key(i).public_key, Stake(10)});
  const auto set = ValidatorSet::create(validators, Stake(1));
  ASSERT_TRUE(set.has_value());
  // With the first third silent, count views 0..299 whose leader is silent:
  // a pseudo-random draw gives about a third, with no long runs.
  std::size_t silent = 0;
  std::size_t run = 0;
  std::size_t longest = 0;
  for (std::uint64_t view = 0; view < 300; ++view) {
    const bool is_silent = set->leader_for_view(View(view)).value() < 10;
    silent += is_silent;
    run = is_silent ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  EXPECT_GT(silent, 70u);
  EXPECT_LT(silent, 130u);
  EXPECT_LT(longest, 9u);
}

// ---------------------------------------------------------------------------

TEST(Evidence, EquivocationVerifiesAndRoundTrips) {
  ReplicaFixture fixture;
  const Vote a = fixture.vote(VotePhase::kCommit, 2, 9, crypto::sha256("a"), 3);
  const Vote b = fixture.vote(VotePhase::kCommit, 2, 9, crypto::sha256("b"), 3);
  const Evidence evidence = make_equivocation_evidence(b, a);
  EXPECT_TRUE(verify_evidence(fixture.config().chain_id, fixture.validators(), evidence));
  EXPECT_EQ(offender(evidence), ValidatorIndex(3));
  const Bytes bytes = encode_evidence(evidence);
  const auto decoded = decode_evidence(bytes);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  EXPECT_EQ(encode_evidence(*decoded), bytes);
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_FALSE(decode_evidence(ByteView(bytes.data(), length)).has_value());
  }
}

TEST(Evidence, ConflictingPrePreparesVerifyAndRoundTrip) {
  ReplicaFixture fixture;
  const Hash256 chain = fixture.config().chain_id;
  const std::size_t leader = fixture.leader0();
  const PrePrepare a = fixture.pre_prepare(fixture.block(1, 0, leader), 0, leader);
  const PrePrepare b = fixture.pre_prepare(fixture.block(1, 0, leader, {}, 2), 0, leader);
  const ConflictingPrePrepareEvidence canonical = make_conflicting_pre_prepare_evidence(b, a);
  const Evidence evidence = canonical;
  EXPECT_TRUE(verify_evidence(chain, fixture.validators(), evidence));
  EXPECT_EQ(offender(evidence), ValidatorIndex(leader));
  const Bytes bytes = encode_evidence(evidence);
  const auto decoded = decode_evidence(bytes);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  EXPECT_EQ(encode_evidence(*decoded), bytes);
  EXPECT_TRUE(verify_evidence(chain, fixture.validators(), *decoded));

  const ConflictingPrePrepareEvidence reordered{canonical.second, canonical.first};
  EXPECT_FALSE(verify_evidence(chain, fixture.validators(), reordered));
  const ConflictingPrePrepareEvidence same_block{canonical.first, canonical.first};
  EXPECT_FALSE(verify_evidence(chain, fixture.validators(), same_block));
  ConflictingPrePrepareEvidence other_height = canonical;
  other_height.second = fixture.pre_prepare(fixture.block(2, 0, leader, {}, 2), 0, leader);
  EXPECT_FALSE(verify_evidence(chain, fixture.validators(), other_height));
  ConflictingPrePrepareEvidence forged = canonical;
  forged.second.signature = forged.first.signature;
  EXPECT_FALSE(verify_evidence(chain, fixture.validators(), forged));
}

TEST(Evidence, EvidenceThatProvesNothingIsRefused) {
  ReplicaFixture fixture;
  const Hash256 chain = fixture.config().chain_id;
  const Vote a = fixture.vote(VotePhase::kPrepare, 2, 9, crypto::sha256("a"), 3);
  const Vote b = fixture.vote(VotePhase::kPrepare, 2, 9, crypto::sha256("b"), 3);
  EquivocationEvidence canonical = make_equivocation_evidence(a, b);

  EquivocationEvidence reordered{canonical.second, canonical.first};
  EXPECT_FALSE(verify_evidence(chain, fixture.validators(), reordered));
  EquivocationEvidence different_heights = canonical;
  different_heights.second = fixture.vote(VotePhase::kPrepare, 2, 10, canonical.second.digest, 3);
  EXPECT_FALSE(verify_evidence(chain, fixture.validators(), different_heights));
  EquivocationEvidence different_phases = canonical;
  different_phases.second = fixture.vote(VotePhase::kCommit, 2, 9, canonical.second.digest, 3);
  EXPECT_FALSE(verify_evidence(chain, fixture.validators(), different_phases));
  EquivocationEvidence forged = canonical;
  forged.second.signature = forged.first.signature;
  const auto refused = verify_evidence(chain, fixture.validators(), forged);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kBadSignature);
  EXPECT_FALSE(verify_evidence(crypto::sha256("other chain"), fixture.validators(), canonical));

  const BlockPtr block = fixture.block(1, 0, fixture.leader0(), {}, 2);
  FalseClaimEvidence claim{fixture.pre_prepare(block, 0, fixture.leader0()), 1};
  EXPECT_TRUE(verify_evidence(chain, fixture.validators(), claim));
  const auto claim_bytes = encode_evidence(claim);
  ASSERT_TRUE(decode_evidence(claim_bytes).has_value());
  FalseClaimEvidence out_of_range = claim;
  out_of_range.claim_index = 2;
  EXPECT_FALSE(verify_evidence(chain, fixture.validators(), out_of_range));
  FalseClaimEvidence not_the_signer = claim;
  not_the_signer.pre_prepare.leader = ValidatorIndex((fixture.leader0() + 1) % 4);
  EXPECT_FALSE(verify_evidence(chain, fixture.validators(), not_the_signer));
}

TEST(Config, InconsistentValuesAreRefusedNamingTheField) {
  const auto refused_field = [](Config config) {
    const auto result = config.validate();
    return result.has_value() ? std::string() : result.error().message;
  };
  EXPECT_EQ(refused_field(Config{}), "");
  Config config;
  config.checkpoint_interval = 0;
  EXPECT_NE(refused_field(config).find("checkpoint_interval"), std::string::npos);
  config = Config{};
  config.watermark_window = config.checkpoint_interval;
  EXPECT_NE(refused_field(config).find("watermark_window"), std::string::npos);
  config = Config{};
  config.timeout_max_ms = config.timeout_min_ms - 1;
  EXPECT_NE(refused_field(config).find("timeout_max_ms"), std::string::npos);
}

}  // namespace
}  // namespace aethel::consensus::testing
