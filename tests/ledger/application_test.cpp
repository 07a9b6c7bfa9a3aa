// LedgerApplication's answers to the replica: proposals built from the
// mempool that carry the parent's commit certificate, verification that
// names the first false claim, blocks held until their parent executes, and
// execution to the state root.
#include "ledger/application.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "consensus/evidence.h"
#include "consensus/messages.h"
#include "crypto/sha256.h"
#include "judge/sample_programs.h"
#include "ledger/genesis.h"
#include "tests/support/temp_dir.h"

namespace aethel::ledger {
namespace {

constexpr std::size_t kValidators = 4;

using Folder = aethel::testing::TempDir;

crypto::KeyPair key(const std::string& name) {
  const Hash256 seed = crypto::sha256("application-test-" + name);
  return crypto::keypair_from_seed(crypto::SeedView(seed.array()));
}

std::string transfer_program(int index) {
  return judge::transfer_program_source({.name = "pay_" + std::to_string(index),
                                         .amount_floor = static_cast<std::uint64_t>(index),
                                         .extra_guards = {},
                                         .sender_reserve = std::nullopt});
}

// The chain every node of a test shares: parameters, genesis, validators,
// and the payload store standing for the network.
struct Chain {
  explicit Chain(const std::function<void(ChainParams&)>& adjust = {})
      : params(default_chain_params(crypto::sha256("application-test-chain"))) {
    if (adjust) adjust(params);
    EXPECT_TRUE(params.validate().has_value());
    for (std::size_t i = 0; i < kValidators; ++i) {
      validator_keys.push_back(key("validator-" + std::to_string(i)));
      genesis.validators.push_back({validator_keys.back().public_key, Stake(100'000)});
    }
    genesis.accounts.push_back({user.public_key, TokenAmount(1'000'000)});
    genesis.accounts.push_back({other_user.public_key, TokenAmount(1'000'000)});
    auto set = genesis_validator_set(genesis, params);
    EXPECT_TRUE(set.has_value());
    validators = std::make_shared<const consensus::ValidatorSet>(std::move(*set));
  }

  Bytes transaction(Payload payload, std::uint64_t nonce) const {
    return transaction_from(user, std::move(payload), nonce);
  }

  Bytes transaction_from(const crypto::KeyPair& sender, Payload payload,
                         std::uint64_t nonce) const {
    Transaction transaction;
    transaction.payload = std::move(payload);
    transaction.fee = TokenAmount(10);
    transaction.nonce = Nonce(nonce);
    sign_transaction(params.chain_id, sender, transaction);
    return encode_transaction(transaction);
  }

  // Commit votes of the first three validators (a quorum of four).
  consensus::CertificatePtr commit_certificate(const consensus::Block& block) const {
    auto certificate = std::make_shared<consensus::Certificate>();
    certificate->phase = consensus::VotePhase::kCommit;
    certificate->view = block.view;
    certificate->height = block.height;
    certificate->digest = consensus::block_digest(block);
    for (std::size_t i = 0; i < 3; ++i) {
      const auto vote = consensus::sign_vote(params.chain_id, validator_keys[i].secret_key,
                                             consensus::VotePhase::kCommit, block.view,
                                             block.height, certificate->digest, ValidatorIndex(i));
      certificate->signatures.push_back({ValidatorIndex(i), vote.signature});
    }
    return certificate;
  }

  ChainParams params;
  Genesis genesis;
  std::vector<crypto::KeyPair> validator_keys;
  crypto::KeyPair user = key("user");
  crypto::KeyPair other_user = key("other-user");
  consensus::ValidatorSetPtr validators;
  MemoryPayloadStore payloads;
};

// One validator: its own folder, state and application.
struct Node {
  Node(Chain& chain, std::size_t index,
       const std::function<void(LedgerApplicationConfig&)>& adjust = {}) {
    auto opened = state::LedgerState::open(folder.path(), state::TreeConfig{.sync_writes = false},
                                           ledger_config(chain.params));
    EXPECT_TRUE(opened.has_value()) << opened.error().to_string();
    state = std::move(*opened);
    EXPECT_TRUE(apply_genesis(*state, chain.genesis, chain.params).has_value());
    LedgerApplicationConfig config;
    config.params = chain.params;
    config.validators = chain.validators;
    config.self = ValidatorIndex(index);
    if (adjust) adjust(config);
    application = std::make_unique<LedgerApplication>(std::move(config), *state, chain.payloads);
  }

  Folder folder;
  std::unique_ptr<state::LedgerState> state;
  std::unique_ptr<LedgerApplication> application;
};

consensus::BlockPtr block_from(const consensus::ProposalReady& ready, const Hash256& parent,
                               std::size_t proposer) {
  auto block = std::make_shared<consensus::Block>();
  block->height = ready.height;
  block->view = View(0);
  block->parent_digest = parent;
  block->proposer = ValidatorIndex(proposer);
  block->timestamp_ms = ready.timestamp_ms;
  block->claims = ready.claims;
  block->payload_digest = ready.payload_digest;
  return block;
}

void submit(Node& node, const std::vector<Bytes>& transactions) {
  for (const auto& bytes : transactions) {
    const auto outcome = node.application->submit(bytes);
    ASSERT_TRUE(outcome.has_value()) << outcome.error().error.to_string();
  }
}

class LedgerApplicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    transactions = {
        chain.transaction(SubmitProof{transfer_program(1), WorkUnits(0)}, 0),
        chain.transaction(Transfer{chain.validator_keys[3].public_key, TokenAmount(500)}, 1),
        chain.transaction(SubmitProof{transfer_program(2), WorkUnits(0)}, 2)};
    submit(leader, transactions);
    submit(follower, transactions);
  }

  // The leader proposes height 1; returns the block.
  consensus::BlockPtr propose_first() {
    auto ready = leader.application->propose({Height(1), Hash256{}}, 1'000);
    EXPECT_TRUE(ready.has_value()) << ready.error().to_string();
    return block_from(*ready, Hash256{}, 0);
  }

  Chain chain;
  Node leader{chain, 0};
  Node follower{chain, 1};
  std::vector<Bytes> transactions;
};

TEST_F(LedgerApplicationTest, ProposalClaimsEveryProofOfItsPayload) {
  const auto block = propose_first();
  const PayloadPtr payload = chain.payloads.find(block->payload_digest);
  ASSERT_NE(payload, nullptr);
  EXPECT_EQ(payload_digest(*payload), block->payload_digest);
  EXPECT_EQ(payload->parent_commit, nullptr);  // height 1 has no parent
  EXPECT_EQ(payload->transactions.size(), 3u);
  ASSERT_EQ(block->claims.size(), 2u);  // one claim per SubmitProof
  for (const auto& claim : block->claims) {
    EXPECT_EQ(claim.verdict, consensus::ClaimedVerdict::kProved);
    EXPECT_GT(claim.difficulty.value(), 0u);
  }
}

TEST_F(LedgerApplicationTest, HonestBlockVerifiesAndExecutesToTheSameRootEverywhere) {
  const auto block = propose_first();
  const auto verified = follower.application->verify(block);
  ASSERT_TRUE(verified.has_value());
  EXPECT_TRUE(verified->ok) << verified->reason;
  const auto certificate = chain.commit_certificate(*block);
  auto at_leader = leader.application->deliver({block, certificate});
  auto at_follower = follower.application->deliver({block, certificate});
  ASSERT_TRUE(at_leader.has_value()) << at_leader.error().to_string();
  ASSERT_TRUE(at_follower.has_value()) << at_follower.error().to_string();
  EXPECT_EQ(at_leader->executed.height, Height(1));
  EXPECT_EQ(at_leader->executed.state_digest, at_follower->executed.state_digest);
  EXPECT_EQ(at_leader->executed.state_digest, leader.state->tree().latest().root());
  EXPECT_EQ(at_leader->proofs_registered, 2u);
  EXPECT_EQ(leader.application->mempool().size(), 0u);  // the block took them all
}

TEST_F(LedgerApplicationTest, NextProposalCarriesTheParentCommitCertificate) {
  const auto first = propose_first();
  const auto certificate = chain.commit_certificate(*first);
  ASSERT_TRUE(leader.application->deliver({first, certificate}).has_value());
  const Hash256 parent = consensus::block_digest(*first);
  auto ready = leader.application->propose({Height(2), parent}, 2'000);
  ASSERT_TRUE(ready.has_value()) << ready.error().to_string();
  const PayloadPtr payload = chain.payloads.find(ready->payload_digest);
  ASSERT_NE(payload, nullptr);
  ASSERT_NE(payload->parent_commit, nullptr);
  EXPECT_EQ(*payload->parent_commit, *certificate);
  EXPECT_TRUE(ready->claims.empty());

  // The follower, which received the same certificate, accepts the block,
  // and executing it pays height 1's reward to the certificate's signers.
  ASSERT_TRUE(follower.application->deliver({first, certificate}).has_value());
  const auto second = block_from(*ready, parent, 0);
  const auto verified = follower.application->verify(second);
  ASSERT_TRUE(verified.has_value());
  EXPECT_TRUE(verified->ok) << verified->reason;
  auto delivered = follower.application->deliver({second, chain.commit_certificate(*second)});
  ASSERT_TRUE(delivered.has_value()) << delivered.error().to_string();
  EXPECT_GT(delivered->rewards_paid.value(), 0u);
}

TEST_F(LedgerApplicationTest, ProposalForAnotherParentIsRefused) {
  EXPECT_FALSE(leader.application->propose({Height(2), Hash256{}}, 1'000).has_value());
  EXPECT_FALSE(leader.application->propose({Height(1), crypto::sha256("x")}, 1'000).has_value());
}

TEST_F(LedgerApplicationTest, FirstFalseClaimIsNamed) {
  const auto honest = propose_first();
  for (const std::size_t index : {0u, 1u}) {
    auto lying = std::make_shared<consensus::Block>(*honest);
    lying->claims[index].verdict = consensus::ClaimedVerdict::kRefuted;
    const auto verified = follower.application->verify(lying);
    ASSERT_TRUE(verified.has_value());
    EXPECT_FALSE(verified->ok);
    EXPECT_EQ(verified->false_claim_index, std::optional<std::uint32_t>(index));
    EXPECT_EQ(verified->block_digest, consensus::block_digest(*lying));
  }
  auto wrong_difficulty = std::make_shared<consensus::Block>(*honest);
  wrong_difficulty->claims[1].difficulty =
      Difficulty(wrong_difficulty->claims[1].difficulty.value() + 1);
  const auto verified = follower.application->verify(wrong_difficulty);
  ASSERT_TRUE(verified.has_value());
  EXPECT_EQ(verified->false_claim_index, std::optional<std::uint32_t>(1));
}

TEST_F(LedgerApplicationTest, BlocksThatProveNoFalseClaimAreRefusedWithoutAnIndex) {
  const auto honest = propose_first();
  auto missing = std::make_shared<consensus::Block>(*honest);
  missing->payload_digest = crypto::sha256("no such payload");
  auto dropped = std::make_shared<consensus::Block>(*honest);
  dropped->claims.pop_back();
  auto other_proof = std::make_shared<consensus::Block>(*honest);
  other_proof->claims[0].proof_id = crypto::sha256("another proof");
  for (const auto& block : {dropped, other_proof}) {
    const auto verified = follower.application->verify(block);
    ASSERT_TRUE(verified.has_value());
    EXPECT_EQ(verified->outcome(), consensus::VerificationOutcome::kInvalid) << verified->reason;
    EXPECT_FALSE(verified->false_claim_index.has_value()) << verified->reason;
  }
  // A payload this node has not received is its own problem: undecided.
  const auto verified = follower.application->verify(missing);
  ASSERT_TRUE(verified.has_value());
  EXPECT_EQ(verified->outcome(), consensus::VerificationOutcome::kUndecided) << verified->reason;
  EXPECT_EQ(follower.application->counters().verified_undecided, 1u);
}

TEST_F(LedgerApplicationTest, AFullHeldQueueAnswersUndecided) {
  Node small{chain, 2, [](LedgerApplicationConfig& config) { config.max_held_verifications = 1; }};
  const auto first = propose_first();
  auto second = std::make_shared<consensus::Block>(*first);
  second->height = Height(2);
  second->parent_digest = consensus::block_digest(*first);
  auto third = std::make_shared<consensus::Block>(*second);
  third->height = Height(3);
  EXPECT_FALSE(small.application->verify(second).has_value());  // held
  const auto full = small.application->verify(third);
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->outcome(), consensus::VerificationOutcome::kUndecided) << full->reason;
}

TEST_F(LedgerApplicationTest, BlockIsHeldUntilItsParentExecutes) {
  const auto first = propose_first();
  const auto certificate = chain.commit_certificate(*first);
  ASSERT_TRUE(leader.application->deliver({first, certificate}).has_value());
  auto ready = leader.application->propose({Height(2), consensus::block_digest(*first)}, 2'000);
  ASSERT_TRUE(ready.has_value());
  const auto second = block_from(*ready, consensus::block_digest(*first), 0);

  EXPECT_FALSE(follower.application->verify(second).has_value());  // height 1 not executed
  auto delivered = follower.application->deliver({first, certificate});
  ASSERT_TRUE(delivered.has_value());
  ASSERT_EQ(delivered->verified.size(), 1u);
  EXPECT_EQ(delivered->verified[0].block_digest, consensus::block_digest(*second));
  EXPECT_TRUE(delivered->verified[0].ok) << delivered->verified[0].reason;
}

TEST_F(LedgerApplicationTest, ForgottenHeldBlocksAreNotAnswered) {
  const auto first = propose_first();
  auto second = std::make_shared<consensus::Block>(*first);
  second->height = Height(2);
  second->parent_digest = consensus::block_digest(*first);
  EXPECT_FALSE(follower.application->verify(second).has_value());
  follower.application->forget_held();
  auto delivered = follower.application->deliver({first, chain.commit_certificate(*first)});
  ASSERT_TRUE(delivered.has_value());
  EXPECT_TRUE(delivered->verified.empty());
}

// A validator's two signed votes of one phase for different digests at
// `height`: signing twice.
Bytes equivocation(const Chain& chain, std::size_t voter, Height height,
                   consensus::VotePhase phase) {
  const auto vote = [&](std::string_view digest) {
    return consensus::sign_vote(chain.params.chain_id, chain.validator_keys[voter].secret_key,
                                phase, View(0), height, crypto::sha256(digest),
                                ValidatorIndex(voter));
  };
  return consensus::encode_evidence(consensus::make_equivocation_evidence(vote("a"), vote("b")));
}

SubmitProof program_number(int index) {
  return SubmitProof{transfer_program(index), WorkUnits(0)};
}

TEST(LedgerApplicationOutcomes, DeliveryDoesNotJudgeAgainWhatVerificationJudged) {
  Chain chain;
  Node leader{chain, 0};
  // No cache: only the outcomes kept for the block can spare a second run.
  Node follower{chain, 1, [](LedgerApplicationConfig& config) {
                  config.verifier_cache_entries = 0;
                }};
  submit(leader, {chain.transaction(program_number(1), 0), chain.transaction(program_number(2), 1)});
  auto ready = leader.application->propose({Height(1), Hash256{}}, 1'000);
  ASSERT_TRUE(ready.has_value()) << ready.error().to_string();
  const auto block = block_from(*ready, Hash256{}, 0);
  const auto verified = follower.application->verify(block);
  ASSERT_TRUE(verified.has_value() && verified->ok);
  const std::uint64_t judged = follower.application->verifier().counters().judged;
  EXPECT_EQ(judged, 2u);
  ASSERT_TRUE(follower.application->deliver({block, chain.commit_certificate(*block)}));
  EXPECT_EQ(follower.application->verifier().counters().judged, judged);
  EXPECT_EQ(follower.application->counters().delivered_judged_again, 0u);
  // The block was verified on the executed tip: its plan is what executed.
  EXPECT_EQ(follower.application->counters().delivered_planned_again, 0u);
  // The leader verified nothing: it plans its own block again at delivery.
  ASSERT_TRUE(leader.application->deliver({block, chain.commit_certificate(*block)}));
  EXPECT_EQ(leader.application->counters().delivered_planned_again, 1u);
  EXPECT_EQ(leader.state->tree().latest().root(), follower.state->tree().latest().root());
}

TEST(LedgerApplicationMempool, APendingProofIsDroppedOnceAnotherSendersBlockRegistersIt) {
  Chain chain;
  Node leader{chain, 0};
  Node follower{chain, 1};
  const SubmitProof program = program_number(7);
  submit(leader, {chain.transaction_from(chain.other_user, program, 0)});
  submit(follower, {chain.transaction(program, 0),
                    chain.transaction(Transfer{chain.other_user.public_key, TokenAmount(5)}, 1)});

  auto ready = leader.application->propose({Height(1), Hash256{}}, 1'000);
  ASSERT_TRUE(ready.has_value()) << ready.error().to_string();
  const auto block = block_from(*ready, Hash256{}, 0);
  ASSERT_TRUE(follower.application->deliver({block, chain.commit_certificate(*block)}));
  const MempoolCounters& counters = follower.application->mempool().counters();
  EXPECT_EQ(counters.superseded, 1u);
  EXPECT_EQ(follower.application->mempool().size(), 1u);  // the transfer waits for nonce 0
  // The program is registered now: admission refuses it for good.
  const auto again = follower.application->submit(chain.transaction(program, 0));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().reason, RefusalReason::kNotExecutable);
  EXPECT_NE(again.error().error.message.find("already registered"), std::string::npos);
}

TEST(LedgerApplicationMempool, ATransactionThatCannotBeTakenHoldsNoProofHostage) {
  Chain chain;
  Node leader{chain, 0};
  const SubmitProof program = program_number(8);
  // Sent with a nonce gap no block can fill while the gap lasts.
  submit(leader, {chain.transaction_from(chain.other_user, program, 5)});
  submit(leader, {chain.transaction(program, 0)});
  auto ready = leader.application->propose({Height(1), Hash256{}}, 1'000);
  ASSERT_TRUE(ready.has_value()) << ready.error().to_string();
  ASSERT_EQ(ready->claims.size(), 1u);
  EXPECT_EQ(ready->claims[0].proof_id, proof_id(program));
  const auto block = block_from(*ready, Hash256{}, 0);
  ASSERT_TRUE(leader.application->deliver({block, chain.commit_certificate(*block)}));
  EXPECT_EQ(leader.application->mempool().size(), 0u);  // the gapped one is superseded
  EXPECT_EQ(leader.application->mempool().counters().superseded, 1u);
}

TEST(LedgerApplicationMempool, ATransferOfZeroTokensIsRefusedAtAdmission) {
  Chain chain;
  Node node{chain, 0};
  const auto zero =
      node.application->submit(chain.transaction(Transfer{chain.other_user.public_key, {}}, 0));
  ASSERT_FALSE(zero.has_value());
  EXPECT_EQ(zero.error().reason, RefusalReason::kNotExecutable);
}

TEST(LedgerApplicationMempool, EvidenceIsAdmittedOnceAndRefusedAfterItsOffenceIsActedOn) {
  Chain chain;
  Node leader{chain, 0};
  const Bytes prepares = equivocation(chain, 2, Height(1), consensus::VotePhase::kPrepare);
  // Commits at the same height prove the same act: signing twice at height 1.
  const Bytes commits = equivocation(chain, 2, Height(1), consensus::VotePhase::kCommit);
  submit(leader, {chain.transaction(SubmitEvidence{prepares, std::nullopt}, 0),
                  chain.transaction_from(chain.other_user, SubmitEvidence{commits, std::nullopt}, 0)});
  const auto garbage =
      leader.application->submit(chain.transaction(SubmitEvidence{Bytes{1, 2, 3}, {}}, 1));
  ASSERT_FALSE(garbage.has_value());
  EXPECT_EQ(garbage.error().reason, RefusalReason::kNotExecutable);
  EXPECT_NE(garbage.error().error.message.find("does not decode"), std::string::npos);

  auto ready = leader.application->propose({Height(1), Hash256{}}, 1'000);
  ASSERT_TRUE(ready.has_value()) << ready.error().to_string();
  const auto block = block_from(*ready, Hash256{}, 0);
  auto delivered = leader.application->deliver({block, chain.commit_certificate(*block)});
  ASSERT_TRUE(delivered.has_value()) << delivered.error().to_string();
  // One piece per offence is taken; the other is superseded once it slashes.
  ASSERT_EQ(delivered->slashings.size(), 1u);
  EXPECT_EQ(leader.application->mempool().counters().superseded, 1u);
  const auto after = leader.application->submit(
      chain.transaction_from(chain.other_user, SubmitEvidence{commits, std::nullopt}, 0));
  ASSERT_FALSE(after.has_value());
  EXPECT_EQ(after.error().reason, RefusalReason::kNotExecutable);
  EXPECT_NE(after.error().error.message.find("already acted on"), std::string::npos);
}

TEST(LedgerApplicationMempool, ForgedEvidenceCostsNoJudgeRun) {
  Chain chain;
  Chain other_chain([](ChainParams& params) { params.chain_id = crypto::sha256("another"); });
  Node leader{chain, 0};
  // Votes signed for another chain do not verify here.
  const Bytes forged = equivocation(other_chain, 2, Height(1), consensus::VotePhase::kPrepare);
  const auto refused = leader.application->submit(
      chain.transaction(SubmitEvidence{forged, program_number(9)}, 0));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().reason, RefusalReason::kNotExecutable);
  EXPECT_EQ(leader.application->verifier().counters().judged, 0u);
}

TEST(LedgerApplicationMempool, EvidenceTooOldForTheNextHeightIsRefused) {
  Chain chain([](ChainParams& params) {
    params.evidence_max_age = 1;
    params.unbonding_period = 2;
  });
  Node leader{chain, 0};
  Hash256 parent;
  for (std::uint64_t height = 1; height <= 2; ++height) {
    auto ready = leader.application->propose({Height(height), parent}, 1'000 * height);
    ASSERT_TRUE(ready.has_value()) << ready.error().to_string();
    const auto block = block_from(*ready, parent, 0);
    ASSERT_TRUE(leader.application->deliver({block, chain.commit_certificate(*block)}));
    parent = consensus::block_digest(*block);
  }
  // The next height is 3: an act at height 2 is in time, one at height 1 is not.
  submit(leader, {chain.transaction(
                     SubmitEvidence{equivocation(chain, 2, Height(2), consensus::VotePhase::kPrepare),
                                    std::nullopt},
                     0)});
  const auto old = leader.application->submit(chain.transaction(
      SubmitEvidence{equivocation(chain, 3, Height(1), consensus::VotePhase::kPrepare),
                     std::nullopt},
      1));
  ASSERT_FALSE(old.has_value());
  EXPECT_EQ(old.error().reason, RefusalReason::kNotExecutable);
  EXPECT_NE(old.error().error.message.find("act at height 1 is too old for height 3"),
            std::string::npos)
      << old.error().error.message;
}

TEST(LedgerApplicationProposal, ATransactionThatCannotExecuteIsDroppedFromTheMempool) {
  Chain chain;
  Node leader{chain, 0};
  // Each spend is covered by the committed balance alone, not both together.
  submit(leader, {chain.transaction(Transfer{chain.other_user.public_key, TokenAmount(600'000)}, 0),
                  chain.transaction(Transfer{chain.other_user.public_key, TokenAmount(600'000)}, 1)});
  auto ready = leader.application->propose({Height(1), Hash256{}}, 1'000);
  ASSERT_TRUE(ready.has_value()) << ready.error().to_string();
  EXPECT_EQ(chain.payloads.find(ready->payload_digest)->transactions.size(), 1u);
  EXPECT_EQ(leader.application->counters().proposal_dropped, 1u);
  EXPECT_EQ(leader.application->mempool().counters().dropped, 1u);
  EXPECT_EQ(leader.application->mempool().size(), 1u);
  // The next proposal finds nothing more to drop.
  ASSERT_TRUE(leader.application->propose({Height(1), Hash256{}}, 1'000).has_value());
  EXPECT_EQ(leader.application->counters().proposal_dropped, 1u);
  EXPECT_EQ(leader.application->counters().proposals_emptied, 0u);
}

// A block may ask 5,000 work units: a few transfer-style programs (about
// 1,050 each), and no program may ask more.
constexpr std::uint64_t kLimit = 5'000;
void small_work_limits(ChainParams& params) {
  params.judge_limits.budget_max = kLimit;
  params.judge_limits.budget_default = kLimit;
  params.judge_limits.program_budget_max = kLimit;
  params.max_block_work = WorkUnits(kLimit);
}

TEST(LedgerApplicationOutcomes, ABlockPastTheWorkLimitIsRefusedWithoutJudgingItAll) {
  Chain chain(small_work_limits);
  Node follower{chain, 1};
  // A leader's payload of 16 programs, far more work than the limit allows.
  auto payload = std::make_shared<BlockPayload>();
  for (int i = 0; i < 16; ++i) {
    auto decoded = decode_transaction(chain.transaction(program_number(100 + i), i));
    ASSERT_TRUE(decoded.has_value());
    payload->transactions.push_back(std::move(*decoded));
  }
  const Hash256 digest = payload_digest(*payload);
  chain.payloads.put(digest, payload);
  auto block = std::make_shared<consensus::Block>();
  block->height = Height(1);
  block->proposer = ValidatorIndex(0);
  block->timestamp_ms = 1'000;
  block->payload_digest = digest;
  for (const auto* program : programs_of(*payload)) {
    block->claims.push_back({proof_id(*program), consensus::ClaimedVerdict::kProved, Difficulty(1)});
  }
  const auto verified = follower.application->verify(block);
  ASSERT_TRUE(verified.has_value());
  EXPECT_EQ(verified->outcome(), consensus::VerificationOutcome::kInvalid) << verified->reason;
  EXPECT_NE(verified->reason.find("not judged"), std::string::npos) << verified->reason;
  EXPECT_LT(follower.application->verifier().counters().judged, 16u);
}

TEST(LedgerApplicationProposal, AProposalStaysWithinTheBlockWorkLimit) {
  Chain chain(small_work_limits);
  Node leader{chain, 0};
  std::vector<std::uint64_t> work;
  for (int i = 0; i < 6; ++i) {
    const auto receipt = leader.application->submit(chain.transaction(program_number(i + 1), i));
    ASSERT_TRUE(receipt.has_value()) << receipt.error().error.to_string();
    work.push_back(receipt->work.value());
  }
  auto ready = leader.application->propose({Height(1), Hash256{}}, 1'000);
  ASSERT_TRUE(ready.has_value()) << ready.error().to_string();
  const std::size_t taken = ready->claims.size();
  ASSERT_GE(taken, 1u);
  ASSERT_LT(taken, work.size());
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < taken; ++i) total += work[i];
  EXPECT_LE(total, kLimit);
  EXPECT_GT(total + work[taken], kLimit);
}

}  // namespace
}  // namespace aethel::ledger
