// Crash recovery, checkpoints and watermarks, and adaptive timeouts.
#include <gtest/gtest.h>

#include "tests/consensus/replica_fixture.h"

namespace aethel::consensus::testing {
namespace {

// ---------------------------------------------------------------------------
// A recovering replica must not double-sign.

TEST(Recovery, RestoredReplicaRefusesToSignAConflictingPrepare) {
  ReplicaFixture probe;
  const Hash256 signed_before = block_digest(*probe.block(1, 0, probe.leader0(), {}, 1, 42));
  FixtureOptions options;
  options.restored.last_prepare = SignedRecord{View(0), Height(1), signed_before};
  ReplicaFixture fixture(options);
  // The (equivocating) leader now proposes a different block at (view 0, height 1).
  const BlockPtr other = fixture.block(1, 0, fixture.leader0());
  fixture.receive(fixture.pre_prepare(other, 0, fixture.leader0()));
  const Actions actions = fixture.step(BlockVerified{block_digest(*other), true, std::nullopt, ""});
  EXPECT_TRUE(votes_sent(actions, VotePhase::kPrepare).empty());
  EXPECT_EQ(fixture.replica().stats().votes_withheld, 1u);
  EXPECT_EQ(fixture.replica().persistent_state().last_prepare->digest, signed_before);
}

TEST(Recovery, RestoredReplicaMayRepeatTheVoteItSigned) {
  ReplicaFixture probe;
  const BlockPtr block = probe.block(1, 0, probe.leader0());
  const Vote original = probe.vote(VotePhase::kPrepare, 0, 1, block_digest(*block),
                                   probe.others(probe.leader0(), probe.leader0())[0]);
  FixtureOptions options;
  options.self = original.voter.value();
  options.restored.last_prepare = SignedRecord{View(0), Height(1), block_digest(*block)};
  ReplicaFixture fixture(options);
  fixture.receive(fixture.pre_prepare(block, 0, fixture.leader0()));
  const Actions actions = fixture.step(BlockVerified{block_digest(*block), true, std::nullopt, ""});
  const auto prepares = votes_sent(actions, VotePhase::kPrepare);
  ASSERT_EQ(prepares.size(), 1u);
  EXPECT_EQ(prepares[0], original);  // Ed25519 is deterministic: the very same vote
}

TEST(Recovery, RestoredLeaderDoesNotProposeTwiceForOneHeight) {
  ReplicaFixture probe;
  FixtureOptions options;
  options.self = probe.leader0();
  options.restored.last_pre_prepare = SignedRecord{View(0), Height(1), crypto::sha256("first")};
  ReplicaFixture fixture(options);
  const Actions actions =
      fixture.step(ProposalReady{Height(1), {}, crypto::sha256("second payload"), 900});
  EXPECT_TRUE(sent<PrePrepare>(actions).empty());
  EXPECT_EQ(fixture.replica().stats().votes_withheld, 1u);
}

TEST(Recovery, RestoredReplicaDoesNotVoteAgainstWhatItPrepared) {
  // It prepared block A at height 1 in view 0 before the crash; after the
  // restart, a fresh proposal B for height 1 in the same view is not voted.
  ReplicaFixture probe;
  const BlockPtr prepared_block = probe.block(1, 0, probe.leader0(), {}, 1, 8);
  FixtureOptions options;
  options.restored.prepared.push_back(
      {prepared_block,
       probe.certificate(VotePhase::kPrepare, 0, 1, block_digest(*prepared_block), {0, 1, 2})});
  ReplicaFixture fixture(options);
  const BlockPtr other = fixture.block(1, 0, fixture.leader0());
  fixture.receive(fixture.pre_prepare(other, 0, fixture.leader0()));
  const Actions actions = fixture.step(BlockVerified{block_digest(*other), true, std::nullopt, ""});
  EXPECT_TRUE(votes_sent(actions, VotePhase::kPrepare).empty());
  EXPECT_EQ(fixture.replica().stats().votes_withheld, 1u);
}

TEST(Recovery, PersistedStateRoundTripsThroughItsEncoding) {
  ReplicaFixture fixture;
  const Hash256 digest = block_digest(*fixture.propose_and_verify());
  const auto voters = fixture.others(fixture.self(), fixture.self());
  fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 1, digest, voters[0]));
  fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 1, digest, voters[1]));
  fixture.step(TimerFired{TimerKind::kView});
  // A copy of the pointer: restoring below persists again, replacing the
  // fixture's.
  const PersistentStatePtr persisted = fixture.last_persisted();
  ASSERT_TRUE(persisted);
  const PersistentState& state = *persisted;
  EXPECT_EQ(state.view, View(1));
  EXPECT_EQ(state.last_view_change, View(1));
  ASSERT_EQ(state.prepared.size(), 1u);
  const Bytes bytes = encode_persistent_state(state);
  const auto decoded = decode_persistent_state(bytes);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  EXPECT_EQ(encode_persistent_state(*decoded), bytes);
  EXPECT_EQ(decoded->last_prepare, state.last_prepare);
  EXPECT_EQ(decoded->last_commit, state.last_commit);
  EXPECT_EQ(*decoded->prepared[0].block, *state.prepared[0].block);
  // Every strict prefix is refused.
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_FALSE(decode_persistent_state(ByteView(bytes.data(), length)).has_value());
  }
  // A replica restored from it resumes in view 1 with its vote records.
  fixture.build(*decoded);
  EXPECT_EQ(fixture.replica().view(), View(1));
  EXPECT_EQ(fixture.replica().persistent_state().last_commit, state.last_commit);
}

TEST(Recovery, InconsistentRestoredStateIsRefused) {
  ReplicaFixture probe;
  const BlockPtr block = probe.block(1, 0, probe.leader0());
  const PreparedProof proof{
      block, probe.certificate(VotePhase::kPrepare, 0, 1, block_digest(*block), {0, 1, 2})};
  PersistentState repeated;
  repeated.prepared = {proof, proof};
  PersistentState below_checkpoint;
  below_checkpoint.stable_checkpoint =
      probe.certificate(VotePhase::kCheckpoint, 0, 4, crypto::sha256("state"), {0, 1, 2});
  below_checkpoint.prepared = {proof};
  PersistentState not_a_checkpoint;
  not_a_checkpoint.stable_checkpoint = proof.prepare_certificate;
  for (const PersistentState& state : {repeated, below_checkpoint, not_a_checkpoint}) {
    ReplicaSetup setup{probe.config(),
                       std::make_shared<const ValidatorSet>(probe.validators()),
                       probe.key(0).clone(),
                       state,
                       {},
                       std::make_shared<Ed25519SignatureChecker>()};
    EXPECT_FALSE(Replica::create(std::move(setup)).has_value());
  }
}

// ---------------------------------------------------------------------------
// Checkpoints every K heights; watermarks.

// Delivers heights 1..count to the fixture's replica through sync, each
// with a commit certificate, and returns the blocks.
std::vector<BlockPtr> deliver_through_sync(ReplicaFixture& f, std::uint64_t count) {
  std::vector<BlockPtr> blocks;
  Hash256 parent;
  for (std::uint64_t height = 1; height <= count; ++height) {
    const BlockPtr block = f.block(height, 0, f.leader0(), parent);
    const Hash256 digest = block_digest(*block);
    f.step(SyncedBlock{block, f.certificate(VotePhase::kCommit, 0, height, digest, {0, 1, 2})});
    f.step(BlockVerified{digest, true, std::nullopt, ""});
    parent = digest;
    blocks.push_back(block);
  }
  return blocks;
}

TEST(Checkpoint, QuorumOfMatchingCheckpointsMovesTheWatermarks) {
  ReplicaFixture fixture;
  deliver_through_sync(fixture, 4);
  ASSERT_EQ(fixture.replica().committed_height(), Height(4));
  const Hash256 state = crypto::sha256("state at 4");
  const Actions executed = fixture.step(Executed{Height(4), state});
  const auto checkpoints = votes_sent(executed, VotePhase::kCheckpoint);
  ASSERT_EQ(checkpoints.size(), 1u);
  EXPECT_EQ(checkpoints[0].digest, state);
  // Executing a height that is not a multiple of K signs nothing.
  EXPECT_TRUE(votes_sent(fixture.step(Executed{Height(3), state}), VotePhase::kCheckpoint).empty());

  const auto voters = fixture.others(fixture.self(), fixture.self());
  // A mismatching digest does not count toward this checkpoint.
  fixture.receive(fixture.vote(VotePhase::kCheckpoint, 0, 4, crypto::sha256("forked"), voters[0]));
  fixture.receive(fixture.vote(VotePhase::kCheckpoint, 0, 4, state, voters[1]));
  EXPECT_EQ(fixture.replica().stable_checkpoint_height(), Height(0));
  fixture.receive(fixture.vote(VotePhase::kCheckpoint, 0, 4, state, voters[2]));
  EXPECT_EQ(fixture.replica().stable_checkpoint_height(), Height(4));
  ASSERT_TRUE(fixture.last_persisted()->stable_checkpoint);
  EXPECT_EQ(fixture.last_persisted()->stable_checkpoint->signatures.size(), 3u);

  // Low watermark 4, high 4 + 16 = 20.
  fixture.receive(
      fixture.pre_prepare(fixture.block(4, 0, fixture.leader0()), 0, fixture.leader0()));
  fixture.receive(
      fixture.pre_prepare(fixture.block(21, 0, fixture.leader0()), 0, fixture.leader0()));
  fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 3, state, voters[0]));
  EXPECT_EQ(fixture.refused(Refusal::kOutsideWatermarks), 3u);
  fixture.receive(fixture.vote(VotePhase::kPrepare, 0, 20, state, voters[0]));
  EXPECT_EQ(fixture.refused(Refusal::kOutsideWatermarks), 3u);
}

TEST(Checkpoint, CertificateAheadOfTheReplicaIsAdoptedAndAsksForSync) {
  ReplicaFixture fixture;
  const auto certificate =
      fixture.certificate(VotePhase::kCheckpoint, 0, 8, crypto::sha256("state at 8"), {0, 1, 2});
  const Actions actions = fixture.receive(fixture.certificate_message(certificate, 2));
  EXPECT_EQ(fixture.replica().stable_checkpoint_height(), Height(8));
  const auto syncs = actions_of<SyncNeeded>(actions);
  ASSERT_EQ(syncs.size(), 1u);
  EXPECT_EQ(syncs[0].height, Height(8));
  // A checkpoint certificate at a height that is not a multiple of K is refused.
  fixture.receive(fixture.certificate_message(
      fixture.certificate(VotePhase::kCheckpoint, 0, 10, crypto::sha256("x"), {0, 1, 2}), 2));
  EXPECT_EQ(fixture.refused(Refusal::kInvalidCertificate), 1u);
}

TEST(Checkpoint, CheckpointVotesBeyondTheWindowStillProveAStableCheckpoint) {
  ReplicaFixture fixture;
  const Hash256 state = crypto::sha256("state at 40");
  const auto voters = fixture.others(fixture.self(), fixture.self());
  fixture.receive(fixture.vote(VotePhase::kCheckpoint, 0, 40, state, voters[0]));
  fixture.receive(fixture.vote(VotePhase::kCheckpoint, 0, 40, state, voters[1]));
  EXPECT_EQ(fixture.replica().stable_checkpoint_height(), Height(0));
  const Actions actions =
      fixture.receive(fixture.vote(VotePhase::kCheckpoint, 0, 40, state, voters[2]));
  EXPECT_EQ(fixture.replica().stable_checkpoint_height(), Height(40));
  EXPECT_EQ(actions_of<SyncNeeded>(actions).size(), 1u);
}

TEST(Checkpoint, SyncedBlockWithAForgedCertificateIsRefused) {
  ReplicaFixture fixture;
  const BlockPtr block = fixture.block(1, 0, fixture.leader0());
  const Hash256 digest = block_digest(*block);
  auto forged = std::make_shared<Certificate>(
      *fixture.certificate(VotePhase::kCommit, 0, 1, digest, {0, 1, 2}));
  forged->signatures[0].signature = forged->signatures[1].signature;
  fixture.step(SyncedBlock{block, forged});
  EXPECT_EQ(fixture.refused(Refusal::kBadSignature), 1u);
  fixture.step(SyncedBlock{
      block, fixture.certificate(VotePhase::kCommit, 0, 1, crypto::sha256("other"), {0, 1, 2})});
  EXPECT_EQ(fixture.refused(Refusal::kInvalidBlock), 1u);
  EXPECT_EQ(fixture.replica().committed_height(), Height(0));
}

TEST(Checkpoint, SyncedBlockIsDeliveredOnlyAfterLocalVerification) {
  ReplicaFixture fixture;
  const BlockPtr block = fixture.block(1, 0, fixture.leader0());
  const Hash256 digest = block_digest(*block);
  const Actions synced = fixture.step(
      SyncedBlock{block, fixture.certificate(VotePhase::kCommit, 0, 1, digest, {0, 1, 2})});
  EXPECT_TRUE(actions_of<DeliverBlock>(synced).empty());
  EXPECT_EQ(actions_of<VerifyBlock>(synced).size(), 1u);
  // Even with a commit certificate, a block whose proof this validator finds
  // false is never delivered: with a dishonest majority it halts instead.
  const Actions verified = fixture.step(BlockVerified{digest, false, 0, "false"});
  EXPECT_TRUE(actions_of<DeliverBlock>(verified).empty());
  EXPECT_EQ(fixture.replica().committed_height(), Height(0));
}

// A validator signing ever higher checkpoints beyond the window leaves one
// entry behind, not one per checkpoint.
TEST(Checkpoint, FarCheckpointVotesOfOneValidatorHoldOneEntry) {
  ReplicaFixture fixture;
  const std::size_t voter = fixture.others(fixture.self(), fixture.self())[0];
  const std::uint64_t interval = fixture.config().checkpoint_interval;
  const std::uint64_t beyond = fixture.config().watermark_window + interval;
  for (std::uint64_t i = 0; i < 50; ++i) {
    const std::uint64_t height = beyond + i * interval;
    fixture.receive(fixture.vote(VotePhase::kCheckpoint, 0, height,
                                 crypto::sha256("state " + std::to_string(i)), voter));
  }
  const HeldItems held = fixture.replica().held_items();
  EXPECT_EQ(held.far_checkpoint_votes, 1u);
  EXPECT_EQ(held.far_checkpoint_tallies, 1u);
}

// Two different state digests signed for one checkpoint beyond the window
// are reported as an equivocation (once), not dropped.
TEST(Checkpoint, ConflictingFarCheckpointVotesAreReported) {
  ReplicaFixture fixture;
  const std::size_t voter = fixture.others(fixture.self(), fixture.self())[0];
  const std::uint64_t height =
      fixture.config().watermark_window + fixture.config().checkpoint_interval;
  fixture.receive(fixture.vote(VotePhase::kCheckpoint, 0, height, crypto::sha256("a"), voter));
  const auto reports = actions_of<ReportEvidence>(
      fixture.receive(fixture.vote(VotePhase::kCheckpoint, 0, height, crypto::sha256("b"), voter)));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<EquivocationEvidence>(*reports[0].evidence));
  EXPECT_TRUE(
      verify_evidence(fixture.config().chain_id, fixture.validators(), *reports[0].evidence));
  EXPECT_TRUE(
      actions_of<ReportEvidence>(fixture.receive(fixture.vote(VotePhase::kCheckpoint, 0, height,
                                                              crypto::sha256("c"), voter)))
          .empty());
}

// A commit certificate already held decides which block is final at its
// height: a synced block with another digest is refused, whatever
// "certificate" comes with it, and the real block still gets delivered.
TEST(Checkpoint, SyncedBlockMustMatchTheCommitCertificateAlreadyHeld) {
  for (VotePattern pattern : {VotePattern::kAllToAll, VotePattern::kCollector}) {
    SCOPED_TRACE(vote_pattern_name(pattern));
    FixtureOptions options;
    options.pattern = pattern;
    ReplicaFixture fixture(options);
    const BlockPtr real = fixture.propose_and_verify(1);
    const Hash256 real_digest = block_digest(*real);
    fixture.step(TimerFired{});  // the view changes: the slot goes, the verification stays
    const auto signers = fixture.others(fixture.self(), 99);
    const CertificatePtr real_certificate =
        fixture.certificate(VotePhase::kCommit, 0, 1, real_digest, signers);
    Actions actions = fixture.receive(fixture.certificate_message(real_certificate, signers[0]));
    ASSERT_EQ(actions_of<SyncNeeded>(actions).size(), 1u);
    const BlockPtr decoy = fixture.block(1, 0, fixture.leader0(), {}, 1, /*salt=*/777);
    auto unsigned_certificate = std::make_shared<Certificate>();
    unsigned_certificate->phase = VotePhase::kCommit;
    unsigned_certificate->height = Height(1);
    unsigned_certificate->digest = block_digest(*decoy);
    actions = fixture.step(SyncedBlock{decoy, unsigned_certificate});
    EXPECT_TRUE(actions_of<DeliverBlock>(actions).empty());
    EXPECT_TRUE(actions_of<VerifyBlock>(actions).empty());
    EXPECT_EQ(fixture.refused(Refusal::kInvalidBlock), 1u);
    actions = fixture.step(SyncedBlock{real, real_certificate});
    const auto delivered = actions_of<DeliverBlock>(actions);
    ASSERT_EQ(delivered.size(), 1u);
    EXPECT_EQ(block_digest(*delivered[0].block), real_digest);
    EXPECT_EQ(delivered[0].commit_certificate->digest, real_digest);
  }
}

// A decoy offered before anything was verified must not take the height's
// place: the real block, synced afterwards, is verified and delivered.
TEST(Checkpoint, SyncedDecoyDoesNotBlockTheRealBlock) {
  ReplicaFixture fixture;
  const auto signers = fixture.others(fixture.self(), 99);
  const BlockPtr real = fixture.block(1, 0, fixture.leader0());
  const Hash256 real_digest = block_digest(*real);
  const CertificatePtr real_certificate =
      fixture.certificate(VotePhase::kCommit, 0, 1, real_digest, signers);
  fixture.receive(fixture.certificate_message(real_certificate, signers[0]));
  const BlockPtr decoy = fixture.block(1, 0, fixture.leader0(), {}, 1, /*salt=*/777);
  auto unsigned_certificate = std::make_shared<Certificate>();
  unsigned_certificate->phase = VotePhase::kCommit;
  unsigned_certificate->height = Height(1);
  unsigned_certificate->digest = block_digest(*decoy);
  Actions actions = fixture.step(SyncedBlock{decoy, unsigned_certificate});
  for (const VerifyBlock& request : actions_of<VerifyBlock>(actions)) {
    fixture.step(BlockVerified{block_digest(*request.block), true, std::nullopt, ""});
  }
  actions = fixture.step(SyncedBlock{real, real_certificate});
  const auto requests = actions_of<VerifyBlock>(actions);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(block_digest(*requests[0].block), real_digest);
  actions = fixture.step(BlockVerified{real_digest, true, std::nullopt, ""});
  ASSERT_EQ(actions_of<DeliverBlock>(actions).size(), 1u);
  EXPECT_EQ(fixture.replica().committed_height(), Height(1));
}

// ---------------------------------------------------------------------------
// Adaptive timeouts: the base grows with measured round-trip latency.

std::uint64_t timeout_after_run(VotePattern pattern, std::uint64_t one_way_ms) {
  ClusterOptions options = cluster_options(4, pattern);
  options.latency_ms = one_way_ms;
  options.timeout_min_ms = 2000;
  options.trace_votes = false;
  Cluster cluster(options);
  cluster.start();
  EXPECT_TRUE(cluster.run_until_committed(12, 200'000));
  return cluster.replica(0).view_timeout_ms();
}

TEST(AdaptiveTimeout, BaseGrowsOnceRoundTripPassesHalfASecond) {
  for (VotePattern pattern : {VotePattern::kAllToAll, VotePattern::kCollector}) {
    SCOPED_TRACE(vote_pattern_name(pattern));
    // Round trip 200 ms: the configured minimum (2000 ms) holds.
    EXPECT_EQ(timeout_after_run(pattern, 100), 2000u);
    // Round trip 500 ms: 4 x 500 = 2000, still the minimum.
    EXPECT_EQ(timeout_after_run(pattern, 250), 2000u);
    // Round trip 600 ms: the base grows with it.
    const std::uint64_t slow = timeout_after_run(pattern, 300);
    EXPECT_GT(slow, 2000u);
    EXPECT_LE(slow, 4u * 600u + 100u);
    // Round trip 2 s: 8 s.
    EXPECT_GE(timeout_after_run(pattern, 1000), 7000u);
  }
}

TEST(AdaptiveTimeout, DoublingResetsAfterACommit) {
  ClusterOptions options = cluster_options(4, VotePattern::kAllToAll);
  options.trace_votes = false;
  Cluster cluster(options);
  const std::size_t leader = cluster.validators()->leader_for_view(View(0)).value();
  const std::size_t observer = (leader + 1) % 4;
  cluster.crash(leader);
  cluster.start();
  cluster.run_until(1005);  // the first view failed; the next has not begun
  EXPECT_GE(cluster.replica(observer).view_timeout_ms(), 2 * options.timeout_min_ms);
  ASSERT_TRUE(cluster.run_until_committed(2, 60'000));
  EXPECT_EQ(cluster.replica(observer).view_timeout_ms(), options.timeout_min_ms);
}

}  // namespace
}  // namespace aethel::consensus::testing
