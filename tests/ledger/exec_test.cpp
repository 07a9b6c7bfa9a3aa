// Block execution: rewards at the next height from the agreed certificate,
// fees, nonces, transfers, staking and unbonding, proof registration,
// slashing, epochs, and every refusal leaving the state unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "consensus/evidence.h"
#include "tests/ledger/exec_test_support.h"

namespace aethel::ledger::testing {
namespace {

using judge::Verdict;

TEST(BlockExecution, FirstBlockPaysNothingAndHoldsItsFeesAndDifficulty) {
  TestChain chain;
  const SubmitProof program = test_program(1);
  const VerifiedProofs proofs{{proof_id(program), outcome(program, Verdict::kProved, 20)}};
  auto plan = chain.commit(chain.payload({chain.transaction(chain.user(0), program, 5)}), proofs);
  ASSERT_TRUE(plan) << plan.error().to_string();
  EXPECT_TRUE(plan->rewards.empty());
  EXPECT_EQ(plan->transition.emitted, TokenAmount(0));
  EXPECT_EQ(plan->fees, TokenAmount(5));
  EXPECT_EQ(plan->total_difficulty, Difficulty(20));
  EXPECT_EQ(plan->proofs_registered, 1u);

  auto pending = chain.state().read(state::pending_reward_key());
  ASSERT_TRUE(pending && *pending);
  EXPECT_EQ(std::get<state::PendingRewardRecord>(**pending),
            (state::PendingRewardRecord{Height(1), chain.validator(0).public_key, Difficulty(20),
                                        TokenAmount(5)}));
  auto entry = chain.state().read(state::proof_entry_key(proof_id(program)));
  ASSERT_TRUE(entry && *entry);
  const auto& registered = std::get<state::ProofEntryRecord>(**entry);
  EXPECT_EQ(registered.verdict, Verdict::kProved);
  EXPECT_EQ(registered.height, Height(1));
  EXPECT_EQ(std::get<crypto::PublicKey>(registered.submitter), chain.user(0).public_key);
  EXPECT_EQ(chain.account(chain.user(0).public_key).balance, TokenAmount(100'000 - 5));
  EXPECT_EQ(chain.account(chain.user(0).public_key).nonce, Nonce(1));
  EXPECT_TRUE(chain.state().audit(chain.state().tree().latest_version()));
}

TEST(BlockExecution, RewardsArePaidAtTheNextHeightToExactlyTheSigners) {
  TestChain chain;
  const SubmitProof program = test_program(1);
  const VerifiedProofs proofs{{proof_id(program), outcome(program, Verdict::kProved, 20)}};
  ASSERT_TRUE(chain.commit(chain.payload({chain.transaction(chain.user(0), program, 1)}), proofs,
                           {0, 1, 2}));
  std::vector<TokenAmount> before;
  for (std::size_t i = 0; i < 4; ++i) {
    before.push_back(chain.account(chain.validator(i).public_key).balance);
  }
  auto plan = chain.commit(chain.payload({}));
  ASSERT_TRUE(plan) << plan.error().to_string();
  // Emission min(1,000, 10 * 20) = 200, plus the fee 1: 201. The proposer
  // (validator 0) takes 10% (20); 181 is shared by stake among the three
  // equal signers, 60 each, and the one token left goes by the divisor rule
  // to the lowest index on the tie (validator 0 again).
  EXPECT_EQ(plan->parent_emission, TokenAmount(200));
  EXPECT_EQ(plan->parent_fees, TokenAmount(1));
  const std::vector<RewardShare> expected{{ValidatorIndex(0), TokenAmount(81)},
                                          {ValidatorIndex(1), TokenAmount(60)},
                                          {ValidatorIndex(2), TokenAmount(60)}};
  EXPECT_EQ(plan->rewards, expected);
  const std::vector<std::uint64_t> gained{81, 60, 60, 0};
  for (std::size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    const auto key = chain.validator(i).public_key;
    EXPECT_EQ(chain.account(key).balance.value(), before[i].value() + gained[i]);
    const state::ValidatorRecord record = chain.validator_record(key);
    EXPECT_EQ(record.rewards_earned, TokenAmount(gained[i]));
    EXPECT_EQ(record.accuracy.count, i < 3 ? 1 : 0);
    EXPECT_EQ(record.accuracy.outcomes, i < 3 ? 1u : 0u);
    EXPECT_EQ(record.stake, Stake(10'000));
  }
  auto supply = chain.state().supply();
  ASSERT_TRUE(supply);
  EXPECT_EQ(supply->emitted, TokenAmount(200));
  EXPECT_TRUE(chain.state().audit(chain.state().tree().latest_version()));
}

TEST(BlockExecution, AProposerThatDidNotSignStillReceivesItsBonus) {
  TestChain chain;
  const SubmitProof program = test_program(2);
  const VerifiedProofs proofs{{proof_id(program), outcome(program, Verdict::kProved, 10)}};
  ASSERT_TRUE(chain.commit(chain.payload({chain.transaction(chain.user(0), program, 0)}), proofs,
                           {1, 2, 3}, /*proposer=*/0));
  auto plan = chain.commit(chain.payload({}));
  ASSERT_TRUE(plan) << plan.error().to_string();
  // 100 emitted: 10 to the proposer, 90 shared by three signers.
  const std::vector<RewardShare> expected{{ValidatorIndex(0), TokenAmount(10)},
                                          {ValidatorIndex(1), TokenAmount(30)},
                                          {ValidatorIndex(2), TokenAmount(30)},
                                          {ValidatorIndex(3), TokenAmount(30)}};
  EXPECT_EQ(plan->rewards, expected);
  EXPECT_EQ(chain.validator_record(chain.validator(0).public_key).accuracy.count, 0);
}

TEST(BlockExecution, AnOfflineValidatorLosesNothing) {
  TestChain chain;
  const auto offline = chain.validator(3).public_key;
  const TokenAmount balance = chain.account(offline).balance;
  for (int block = 0; block < 12; ++block) {
    const SubmitProof program = test_program(100 + static_cast<std::uint64_t>(block));
    const VerifiedProofs proofs{{proof_id(program), outcome(program, Verdict::kProved, 3)}};
    ASSERT_TRUE(chain.commit(chain.payload({chain.transaction(chain.user(1), program, 2)}), proofs,
                             {0, 1, 2}));
  }
  const state::ValidatorRecord record = chain.validator_record(offline);
  EXPECT_EQ(record.stake, Stake(10'000));
  EXPECT_EQ(record.unbonding, Stake(0));
  EXPECT_EQ(record.status, state::ValidatorStatus::kActive);
  EXPECT_EQ(record.accuracy.count, 0);
  EXPECT_EQ(record.rewards_earned, TokenAmount(0));
  EXPECT_EQ(chain.account(offline).balance, balance);
  auto supply = chain.state().supply();
  ASSERT_TRUE(supply);
  EXPECT_EQ(supply->slashed, TokenAmount(0));
}

TEST(BlockExecution, TransfersMoveBalancesAndCreateRecipients) {
  TestChain chain;
  const crypto::KeyPair stranger = test_keypair(3, 1);
  auto plan = chain.commit(chain.payload(
      {chain.transaction(chain.user(0), Transfer{stranger.public_key, TokenAmount(700)}, 3),
       chain.transaction(chain.user(0), Transfer{chain.user(1).public_key, TokenAmount(50)}, 2,
                         1)}));
  ASSERT_TRUE(plan) << plan.error().to_string();
  EXPECT_EQ(chain.account(chain.user(0).public_key).balance, TokenAmount(100'000 - 755));
  EXPECT_EQ(chain.account(chain.user(0).public_key).nonce, Nonce(2));
  EXPECT_EQ(chain.account(chain.user(1).public_key).balance, TokenAmount(100'050));
  EXPECT_EQ(chain.account(stranger.public_key).balance, TokenAmount(700));
  EXPECT_EQ(plan->fees, TokenAmount(5));
  // The newcomer can spend what it received.
  EXPECT_TRUE(chain.commit(chain.payload(
      {chain.transaction(stranger, Transfer{chain.user(0).public_key, TokenAmount(600)}, 1)})));
}

TEST(BlockExecution, TwoNodesExecutingTheSameBlocksReachTheSameRoots) {
  TestChain a;
  TestChain b;
  EXPECT_EQ(a.root(), b.root());
  for (std::uint64_t block = 0; block < 8; ++block) {
    SCOPED_TRACE(block);
    const SubmitProof program = test_program(500 + block);
    const VerifiedProofs proofs{{proof_id(program), outcome(program, Verdict::kProved, block)}};
    const auto transactions = [&](const TestChain& chain) {
      return std::vector<Transaction>{
          chain.transaction(chain.user(block % 4), program, block),
          chain.transaction(chain.user((block + 1) % 4),
                            Transfer{chain.user(block % 4).public_key, TokenAmount(10 * block + 10)}),
          chain.transaction(chain.user((block + 2) % 4), StakeTokens{TokenAmount(100 + block)})};
    };
    const std::vector<std::size_t> signers{block % 4, (block + 1) % 4, (block + 2) % 4};
    std::vector<std::size_t> sorted = signers;
    std::sort(sorted.begin(), sorted.end());
    ASSERT_TRUE(a.commit(a.payload(transactions(a)), proofs, sorted, block % 4));
    ASSERT_TRUE(b.commit(b.payload(transactions(b)), proofs, sorted, block % 4));
    EXPECT_EQ(a.root(), b.root());
  }
}

// ---------------------------------------------------------------------------
// Staking, unbonding, epochs

TEST(BlockExecution, UnstakedTokensReturnAfterTheUnbondingPeriod) {
  TestChain chain;  // unbonding period 3, epochs of 5, minimum stake 1,000
  const crypto::KeyPair& user = chain.user(2);
  ASSERT_TRUE(
      chain.commit(chain.payload({chain.transaction(user, StakeTokens{TokenAmount(5'000)})})));
  EXPECT_EQ(chain.validator_record(user.public_key).stake, Stake(5'000));
  EXPECT_EQ(chain.validator_record(user.public_key).status, state::ValidatorStatus::kExited);
  // Height 2 unstakes 4,500: it returns at height 5.
  ASSERT_TRUE(
      chain.commit(chain.payload({chain.transaction(user, UnstakeTokens{TokenAmount(4'500)})})));
  state::ValidatorRecord record = chain.validator_record(user.public_key);
  EXPECT_EQ(record.stake, Stake(500));
  EXPECT_EQ(record.unbonding, Stake(4'500));
  EXPECT_EQ(record.unbonding_until, Height(5));
  const TokenAmount balance = chain.account(user.public_key).balance;
  ASSERT_TRUE(chain.commit(chain.payload({})));  // height 3
  ASSERT_TRUE(chain.commit(chain.payload({})));  // height 4
  EXPECT_EQ(chain.account(user.public_key).balance, balance);
  auto released = chain.commit(chain.payload({}));  // height 5, an epoch boundary
  ASSERT_TRUE(released) << released.error().to_string();
  EXPECT_EQ(released->unbonding_released, TokenAmount(4'500));
  EXPECT_EQ(chain.account(user.public_key).balance.value(), balance.value() + 4'500);
  record = chain.validator_record(user.public_key);
  EXPECT_EQ(record.unbonding, Stake(0));
  EXPECT_EQ(record.stake, Stake(500));
  EXPECT_EQ(record.status, state::ValidatorStatus::kExited);  // below the minimum
  EXPECT_FALSE(*chain.state().read(state::unbonding_queue_key(Height(5))));
  EXPECT_TRUE(chain.state().audit(chain.state().tree().latest_version()));
}

TEST(BlockExecution, EpochBoundariesSetStatusesFromStake) {
  TestChain chain;
  const crypto::KeyPair& joiner = chain.user(0);
  const crypto::KeyPair& leaver = chain.user(1);
  ASSERT_TRUE(chain.commit(
      chain.payload({chain.transaction(joiner, StakeTokens{TokenAmount(2'000)}),
                     chain.transaction(leaver, StakeTokens{TokenAmount(2'000)})})));  // height 1
  EXPECT_EQ(chain.validator_record(joiner.public_key).status, state::ValidatorStatus::kExited);
  for (int h = 2; h <= 5; ++h) ASSERT_TRUE(chain.commit(chain.payload({})));
  // Height 5 is a boundary: both hold the minimum.
  EXPECT_EQ(chain.validator_record(joiner.public_key).status, state::ValidatorStatus::kActive);
  EXPECT_EQ(chain.validator_record(leaver.public_key).status, state::ValidatorStatus::kActive);

  ASSERT_TRUE(chain.commit(
      chain.payload({chain.transaction(leaver, UnstakeTokens{TokenAmount(1'500)})})));  // 6
  EXPECT_EQ(chain.validator_record(leaver.public_key).status, state::ValidatorStatus::kActive);
  for (int h = 7; h <= 10; ++h) ASSERT_TRUE(chain.commit(chain.payload({})));
  // Released at height 9 (6 + 3); height 10 is the boundary.
  EXPECT_EQ(chain.validator_record(leaver.public_key).unbonding, Stake(0));
  EXPECT_EQ(chain.validator_record(leaver.public_key).status, state::ValidatorStatus::kExited);

  // Unbonding still pending at a boundary: kUnbonding.
  for (int h = 11; h <= 13; ++h) ASSERT_TRUE(chain.commit(chain.payload({})));
  ASSERT_TRUE(chain.commit(
      chain.payload({chain.transaction(joiner, UnstakeTokens{TokenAmount(1'500)})})));  // 14
  ASSERT_TRUE(chain.commit(chain.payload({})));                                         // 15
  EXPECT_EQ(chain.validator_record(joiner.public_key).status, state::ValidatorStatus::kUnbonding);
}

TEST(BlockExecution, AMemberOfTheConsensusSetKeepsTheStakeTheSetCounts) {
  TestChain chain;
  const crypto::KeyPair& member = chain.validator(1);
  // The set counts 10,000 for it: nothing of that may leave.
  const Hash256 root = chain.root();
  auto below = chain.commit(
      chain.payload({chain.transaction(member, UnstakeTokens{TokenAmount(1)})}));
  ASSERT_FALSE(below);
  EXPECT_NE(below.error().message.find("below the 10000 the consensus validator set counts"),
            std::string::npos)
      << below.error().message;
  EXPECT_EQ(chain.root(), root);
  // Stake added above it may leave again.
  ASSERT_TRUE(chain.commit(
      chain.payload({chain.transaction(member, StakeTokens{TokenAmount(3'000)}),
                     chain.transaction(member, UnstakeTokens{TokenAmount(3'000)}, 1, 1)})));
  const state::ValidatorRecord record = chain.validator_record(member.public_key);
  EXPECT_EQ(record.stake, Stake(10'000));
  EXPECT_EQ(record.unbonding, Stake(3'000));
}

TEST(BlockExecution, TheStakeFloorCountsConsensusStakeInItsUnit) {
  ChainOptions options;
  // 10,000 tokens of genesis stake are 3,333 units of consensus stake: the
  // set counts 9,999 tokens.
  options.params.consensus_stake_unit = 3;
  TestChain chain(options);
  EXPECT_EQ(chain.validators().at(ValidatorIndex(1)).stake, Stake(3'333));
  const crypto::KeyPair& member = chain.validator(1);
  ASSERT_FALSE(chain.commit(
      chain.payload({chain.transaction(member, UnstakeTokens{TokenAmount(2)})})));
  ASSERT_TRUE(chain.commit(
      chain.payload({chain.transaction(member, UnstakeTokens{TokenAmount(1)})})));
  EXPECT_EQ(chain.validator_record(member.public_key).stake, Stake(9'999));
}

TEST(BlockExecution, ATransferOfZeroTokensIsRefused) {
  TestChain chain;
  const crypto::KeyPair stranger = test_keypair(3, 7);
  auto plan = chain.commit(chain.payload(
      {chain.transaction(chain.user(0), Transfer{stranger.public_key, TokenAmount(0)})}));
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("transfer of zero tokens"), std::string::npos)
      << plan.error().message;
  EXPECT_FALSE(chain.state().account(stranger.public_key)->has_value());
}

// ---------------------------------------------------------------------------
// Evidence and slashing

Bytes equivocation_by(const TestChain& chain, std::size_t voter, std::uint64_t height) {
  const auto vote = [&](std::string_view digest) {
    return consensus::sign_vote(chain.params().chain_id, chain.validator(voter).secret_key,
                                consensus::VotePhase::kPrepare, View(0), Height(height),
                                crypto::sha256(digest), ValidatorIndex(voter));
  };
  return consensus::encode_evidence(
      consensus::make_equivocation_evidence(vote("block a"), vote("block b")));
}

TEST(BlockExecution, EquivocationSlashesTwentyPercentOnce) {
  TestChain chain;
  const Bytes evidence = equivocation_by(chain, 2, 7);
  const auto offender = chain.validator(2).public_key;
  auto plan = chain.commit(
      chain.payload({chain.transaction(chain.user(0), SubmitEvidence{evidence, std::nullopt})}));
  ASSERT_TRUE(plan) << plan.error().to_string();
  ASSERT_EQ(plan->slashings.size(), 1u);
  EXPECT_EQ(plan->slashings[0].offence, Offence::kEquivocation);
  EXPECT_EQ(plan->slashings[0].slashed, TokenAmount(2'000));
  EXPECT_EQ(plan->slashings[0].offender, offender);
  EXPECT_EQ(chain.validator_record(offender).stake, Stake(8'000));
  EXPECT_EQ(chain.validator_record(offender).accuracy.count, 0);
  EXPECT_EQ(chain.state().supply()->slashed, TokenAmount(2'000));
  EXPECT_TRUE(*chain.state().evidence_seen(plan->slashings[0].evidence_id));

  const Hash256 root = chain.root();
  auto again = chain.commit(
      chain.payload({chain.transaction(chain.user(1), SubmitEvidence{evidence, std::nullopt})}));
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("already acted on"), std::string::npos)
      << again.error().message;
  EXPECT_EQ(chain.root(), root);
  EXPECT_EQ(chain.validator_record(offender).stake, Stake(8'000));
}

TEST(BlockExecution, SlashingTakesFromStakeThenUnbonding) {
  TestChain chain;
  const crypto::KeyPair& offender = chain.validator(3);
  // Stake above the 10,000 the consensus set counts may be unstaked.
  ASSERT_TRUE(chain.commit(
      chain.payload({chain.transaction(offender, StakeTokens{TokenAmount(90'000)}),
                     chain.transaction(offender, UnstakeTokens{TokenAmount(90'000)}, 1, 1)})));
  // 20% of 10,000 + 90,000 = 20,000: all 10,000 of stake, then 10,000 unbonding.
  auto plan = chain.commit(chain.payload({chain.transaction(
      chain.user(0), SubmitEvidence{equivocation_by(chain, 3, 4), std::nullopt})}));
  ASSERT_TRUE(plan) << plan.error().to_string();
  const state::ValidatorRecord record = chain.validator_record(offender.public_key);
  EXPECT_EQ(record.stake, Stake(0));
  EXPECT_EQ(record.unbonding, Stake(80'000));
  // What remains unbonding is still released on time (height 1 + 3).
  const TokenAmount balance = chain.account(offender.public_key).balance;
  const TokenAmount earned = chain.validator_record(offender.public_key).rewards_earned;
  ASSERT_TRUE(chain.commit(chain.payload({})));
  ASSERT_TRUE(chain.commit(chain.payload({})));
  const TokenAmount rewards = chain.validator_record(offender.public_key).rewards_earned - earned;
  EXPECT_EQ(chain.account(offender.public_key).balance.value(),
            balance.value() + 80'000 + rewards.value());
  EXPECT_EQ(chain.validator_record(offender.public_key).unbonding, Stake(0));
}

struct FalseVoteCase {
  consensus::Block accused_block;
  SubmitProof program = test_program(77);
  Bytes evidence;
};

// Validator 1 signed a COMMIT for a block claiming `program` PROVED with
// difficulty 9.
FalseVoteCase false_vote_by(const TestChain& chain, std::size_t voter) {
  FalseVoteCase c;
  c.accused_block.height = Height(40);
  c.accused_block.proposer = ValidatorIndex(0);
  c.accused_block.claims = {
      {crypto::sha256(std::string_view("other")), consensus::ClaimedVerdict::kProved,
       Difficulty(1)},
      {proof_id(c.program), consensus::ClaimedVerdict::kProved, Difficulty(9)}};
  const consensus::Vote vote =
      consensus::sign_vote(chain.params().chain_id, chain.validator(voter).secret_key,
                           consensus::VotePhase::kCommit, View(2), c.accused_block.height,
                           consensus::block_digest(c.accused_block), ValidatorIndex(voter));
  c.evidence =
      consensus::encode_evidence(consensus::FalseVerdictVoteEvidence{vote, c.accused_block, 1});
  return c;
}

TEST(BlockExecution, AVoteForAFalseVerdictSlashesFivePercentAndCountsAsInaccurate) {
  TestChain chain;
  const FalseVoteCase c = false_vote_by(chain, 1);
  const VerifiedProofs proofs{{proof_id(c.program), outcome(c.program, Verdict::kRefuted, 9)}};
  auto plan = chain.commit(
      chain.payload({chain.transaction(chain.user(0), SubmitEvidence{c.evidence, c.program})}),
      proofs);
  ASSERT_TRUE(plan) << plan.error().to_string();
  ASSERT_EQ(plan->slashings.size(), 1u);
  EXPECT_EQ(plan->slashings[0].offence, Offence::kFalseVerdictVote);
  EXPECT_EQ(plan->slashings[0].slashed, TokenAmount(500));
  const state::ValidatorRecord record = chain.validator_record(chain.validator(1).public_key);
  EXPECT_EQ(record.stake, Stake(9'500));
  EXPECT_EQ(record.accuracy.count, 1);
  EXPECT_EQ(record.accuracy.outcomes, 0u);
  // The evidence's program is judged, not registered.
  EXPECT_FALSE(*chain.state().read(state::proof_entry_key(proof_id(c.program))));
}

TEST(BlockExecution, OneActSlashesOnceWhateverEvidenceShowsIt) {
  TestChain chain;
  // A false verdict: the COMMIT first, then a PREPARE of the same voter for
  // the same block, which is other evidence of the same act.
  const FalseVoteCase c = false_vote_by(chain, 1);
  const VerifiedProofs proofs{{proof_id(c.program), outcome(c.program, Verdict::kRefuted, 9)}};
  ASSERT_TRUE(chain.commit(
      chain.payload({chain.transaction(chain.user(0), SubmitEvidence{c.evidence, c.program})}),
      proofs));
  const consensus::Vote prepare = consensus::sign_vote(
      chain.params().chain_id, chain.validator(1).secret_key, consensus::VotePhase::kPrepare,
      View(2), c.accused_block.height, consensus::block_digest(c.accused_block), ValidatorIndex(1));
  const Bytes prepare_evidence =
      consensus::encode_evidence(consensus::FalseVerdictVoteEvidence{prepare, c.accused_block, 1});
  ASSERT_NE(prepare_evidence, c.evidence);
  const Hash256 root = chain.root();
  auto again = chain.commit(chain.payload({chain.transaction(
                                chain.user(1), SubmitEvidence{prepare_evidence, c.program})}),
                            proofs);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("already acted on"), std::string::npos)
      << again.error().message;
  EXPECT_EQ(chain.root(), root);

  // Signing twice: a second pair of conflicting votes at the same height.
  ASSERT_TRUE(chain.commit(chain.payload({chain.transaction(
      chain.user(1), SubmitEvidence{equivocation_by(chain, 2, 7), std::nullopt})})));
  const auto commit_vote = [&](std::string_view digest) {
    return consensus::sign_vote(chain.params().chain_id, chain.validator(2).secret_key,
                                consensus::VotePhase::kCommit, View(3), Height(7),
                                crypto::sha256(digest), ValidatorIndex(2));
  };
  const Bytes second_pair = consensus::encode_evidence(
      consensus::make_equivocation_evidence(commit_vote("block c"), commit_vote("block d")));
  auto twice = chain.commit(
      chain.payload({chain.transaction(chain.user(0), SubmitEvidence{second_pair, std::nullopt})}));
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("already acted on"), std::string::npos)
      << twice.error().message;
  EXPECT_EQ(chain.validator_record(chain.validator(2).public_key).stake, Stake(8'000));
  // Signing twice at another height is another act.
  auto other = chain.commit(chain.payload({chain.transaction(
      chain.user(0), SubmitEvidence{equivocation_by(chain, 2, 8), std::nullopt})}));
  ASSERT_TRUE(other) << other.error().to_string();
  EXPECT_EQ(chain.validator_record(chain.validator(2).public_key).stake, Stake(6'400));
}

TEST(BlockExecution, AFalseClaimByTheLeaderSlashesFivePercent) {
  TestChain chain;
  FalseVoteCase c = false_vote_by(chain, 1);
  const auto block = std::make_shared<const consensus::Block>(c.accused_block);
  const consensus::PrePrepare pre_prepare = consensus::sign_pre_prepare(
      chain.params().chain_id, chain.validator(0).secret_key, View(2), block, ValidatorIndex(0));
  const Bytes evidence = consensus::encode_evidence(consensus::FalseClaimEvidence{pre_prepare, 1});
  // Same verdict, other difficulty: still a false claim.
  const VerifiedProofs proofs{{proof_id(c.program), outcome(c.program, Verdict::kProved, 8)}};
  auto plan = chain.commit(
      chain.payload({chain.transaction(chain.user(0), SubmitEvidence{evidence, c.program})}),
      proofs);
  ASSERT_TRUE(plan) << plan.error().to_string();
  EXPECT_EQ(chain.validator_record(chain.validator(0).public_key).stake, Stake(9'500));
}

// ---------------------------------------------------------------------------
// Refusals: the whole block is invalid, named, and the state is unchanged.

struct RefusalCase {
  std::string name;
  std::string message_part;
  std::function<Result<BlockPlan>(TestChain&)> attempt;
};

Result<BlockPlan> execute_with_context(TestChain& chain, const BlockPayload& payload,
                                       const VerifiedProofs& proofs,
                                       const std::function<void(BlockContext&)>& alter) {
  BlockContext context = context_of(chain.block_of(payload, proofs));
  alter(context);
  auto plan = chain.executor().plan(context, payload, proofs);
  if (!plan) return plan;
  BlockPlan copy = *plan;
  auto applied = chain.executor().apply(std::move(copy));
  if (!applied) return unexpected<Error>(std::move(applied).error());
  return plan;
}

std::vector<RefusalCase> refusal_cases() {
  const SubmitProof program = test_program(5);
  const VerifiedProofs proved{{proof_id(program), outcome(program, Verdict::kProved, 4)}};
  return {
      {"wrong nonce", "transaction 0 (transfer): nonce 1",
       [](TestChain& c) {
         return c.commit(c.payload({c.transaction(
             c.user(0), Transfer{c.user(1).public_key, TokenAmount(1)}, 1, /*nonce_offset=*/1)}));
       }},
      {"duplicate nonce in one block", "transaction 1 (transfer): nonce 0",
       [](TestChain& c) {
         const auto first =
             c.transaction(c.user(0), Transfer{c.user(1).public_key, TokenAmount(1)});
         const auto second =
             c.transaction(c.user(0), Transfer{c.user(2).public_key, TokenAmount(1)});
         return c.commit(c.payload({first, second}));
       }},
      {"overspend", "does not cover fee 1 plus amount 100000",
       [](TestChain& c) {
         return c.commit(c.payload(
             {c.transaction(c.user(0), Transfer{c.user(1).public_key, TokenAmount(100'000)})}));
       }},
      {"overspend across two transactions", "transaction 1 (stake): balance 49999",
       [](TestChain& c) {
         return c.commit(c.payload(
             {c.transaction(c.user(0), Transfer{c.user(1).public_key, TokenAmount(50'000)}),
              c.transaction(c.user(0), StakeTokens{TokenAmount(50'000)}, 1, 1)}));
       }},
      {"unknown sender", "unknown sender",
       [](TestChain& c) {
         return c.commit(
             c.payload({c.transaction(test_keypair(3, 9), StakeTokens{TokenAmount(1)}, 0)}));
       }},
      {"bad signature", "transaction 0 (stake): signature does not verify",
       [](TestChain& c) {
         Transaction forged = c.transaction(c.user(0), StakeTokens{TokenAmount(1)});
         std::get<StakeTokens>(forged.payload).amount = TokenAmount(2);
         return c.commit(c.payload({forged}));
       }},
      {"proof not PROVED", "is REFUTED, not PROVED",
       [program](TestChain& c) {
         const VerifiedProofs refuted{{proof_id(program), outcome(program, Verdict::kRefuted, 4)}};
         return c.commit(c.payload({c.transaction(c.user(0), program)}), refuted);
       }},
      {"proof without an outcome", "has no verified outcome",
       [program](TestChain& c) {
         return c.commit(c.payload({c.transaction(c.user(0), program)}));
       }},
      {"claim mismatch", "claim 0 says PROVED with difficulty 5",
       [program, proved](TestChain& c) {
         return execute_with_context(
             c, c.payload({c.transaction(c.user(0), program)}), proved,
             [](BlockContext& context) { context.claims[0].difficulty = Difficulty(5); });
       }},
      {"claim missing", "block claims 0 proofs, but its payload submits 1",
       [program, proved](TestChain& c) {
         return execute_with_context(c, c.payload({c.transaction(c.user(0), program)}), proved,
                                     [](BlockContext& context) { context.claims.clear(); });
       }},
      {"payload digest mismatch", "payload digest",
       [](TestChain& c) {
         return execute_with_context(c, c.payload({}), {}, [](BlockContext& context) {
           context.payload_digest = crypto::sha256(std::string_view("another payload"));
         });
       }},
      {"duplicate proof in one block", "transaction 1 (submit-proof): proof",
       [program, proved](TestChain& c) {
         return c.commit(
             c.payload({c.transaction(c.user(0), program), c.transaction(c.user(1), program)}),
             proved);
       }},
      {"unstake above stake", "unstake of 10001 is above the stake of 10000",
       [](TestChain& c) {
         return c.commit(
             c.payload({c.transaction(c.validator(0), UnstakeTokens{TokenAmount(10'001)})}));
       }},
      {"unstake without stake", "above the stake of 0",
       [](TestChain& c) {
         return c.commit(c.payload({c.transaction(c.user(0), UnstakeTokens{TokenAmount(1)})}));
       }},
      {"evidence that does not decode", "evidence does not decode",
       [](TestChain& c) {
         return c.commit(c.payload({c.transaction(c.user(0), SubmitEvidence{Bytes{1, 2, 3}, {}})}));
       }},
      {"evidence that proves nothing", "do not conflict",
       [](TestChain& c) {
         const auto vote = [&](Height height) {
           return consensus::sign_vote(c.params().chain_id, c.validator(1).secret_key,
                                       consensus::VotePhase::kPrepare, View(0), height,
                                       crypto::sha256(std::string_view("x")), ValidatorIndex(1));
         };
         const Bytes evidence = consensus::encode_evidence(
             consensus::EquivocationEvidence{vote(Height(1)), vote(Height(2))});
         return c.commit(c.payload({c.transaction(c.user(0), SubmitEvidence{evidence, {}})}));
       }},
      {"evidence of a true claim", "no offence",
       [](TestChain& c) {
         const FalseVoteCase v = false_vote_by(c, 1);
         const VerifiedProofs same{{proof_id(v.program), outcome(v.program, Verdict::kProved, 9)}};
         return c.commit(
             c.payload({c.transaction(c.user(0), SubmitEvidence{v.evidence, v.program})}), same);
       }},
      {"false-verdict evidence without its program", "carries no proof program",
       [](TestChain& c) {
         const FalseVoteCase v = false_vote_by(c, 1);
         return c.commit(c.payload({c.transaction(c.user(0), SubmitEvidence{v.evidence, {}})}));
       }},
      {"false-verdict evidence with another program", "is not the accused proof",
       [](TestChain& c) {
         const FalseVoteCase v = false_vote_by(c, 1);
         const SubmitProof other = test_program(78);
         const VerifiedProofs proofs{{proof_id(other), outcome(other, Verdict::kRefuted, 9)}};
         return c.commit(c.payload({c.transaction(c.user(0), SubmitEvidence{v.evidence, other})}),
                         proofs);
       }},
      {"the same evidence twice in one block", "transaction 1 (evidence): offence",
       [](TestChain& c) {
         const Bytes evidence = equivocation_by(c, 2, 3);
         return c.commit(c.payload({c.transaction(c.user(0), SubmitEvidence{evidence, {}}),
                                    c.transaction(c.user(1), SubmitEvidence{evidence, {}})}));
       }},
      {"zero stake", "stake of zero tokens",
       [](TestChain& c) {
         return c.commit(c.payload({c.transaction(c.user(0), StakeTokens{TokenAmount(0)})}));
       }},
  };
}

TEST(BlockRefusals, EveryRefusalNamesTheCauseAndLeavesTheStateUnchanged) {
  for (const RefusalCase& row : refusal_cases()) {
    SCOPED_TRACE(row.name);
    TestChain chain;
    ASSERT_TRUE(chain.commit(chain.payload({})));  // height 1, so rows run at height 2
    const Hash256 root = chain.root();
    const state::Version version = chain.state().tree().latest_version();
    auto refused = row.attempt(chain);
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().message.find(row.message_part), std::string::npos)
        << refused.error().message;
    EXPECT_EQ(chain.root(), root);
    EXPECT_EQ(chain.state().tree().latest_version(), version);
    EXPECT_TRUE(chain.state().audit(version));
  }
}

TEST(BlockRefusals, AProofIdRegisteredEarlierCannotBeRegisteredAgain) {
  TestChain chain;
  const SubmitProof program = test_program(9);
  const VerifiedProofs proofs{{proof_id(program), outcome(program, Verdict::kProved, 4)}};
  ASSERT_TRUE(chain.commit(chain.payload({chain.transaction(chain.user(0), program)}), proofs));
  const Hash256 root = chain.root();
  auto again = chain.commit(chain.payload({chain.transaction(chain.user(1), program)}), proofs);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("already registered"), std::string::npos)
      << again.error().message;
  EXPECT_EQ(chain.root(), root);
}

struct CommitRefusal {
  std::string name;
  std::string message_part;
  std::function<consensus::CertificatePtr(const TestChain&)> commit;
};

TEST(BlockRefusals, TheParentCommitMustBeThereAndProveTheParent) {
  const std::vector<CommitRefusal> table{
      {"missing", "lacks the commit certificate of height 1",
       [](const TestChain&) { return consensus::CertificatePtr(); }},
      {"for the wrong digest", "not the parent",
       [](const TestChain& c) {
         return c.sign_commit(Height(1), crypto::sha256(std::string_view("sibling")), {});
       }},
      {"for the wrong height", "not the parent height 1",
       [](const TestChain& c) { return c.sign_commit(Height(2), c.parent_digest(), {}); }},
      {"below quorum", "below the quorum",
       [](const TestChain& c) {
         return c.sign_commit(Height(1), c.parent_digest(), {0, 1});
       }},
      {"a prepare certificate", "not a commit certificate",
       [](const TestChain& c) {
         auto certificate = std::make_shared<consensus::Certificate>(*c.last_commit());
         certificate->phase = consensus::VotePhase::kPrepare;
         return consensus::CertificatePtr(certificate);
       }},
      {"a forged signature", "does not verify",
       [](const TestChain& c) {
         auto certificate = std::make_shared<consensus::Certificate>(*c.last_commit());
         certificate->signatures[1].signature = certificate->signatures[0].signature;
         return consensus::CertificatePtr(certificate);
       }},
  };
  for (const CommitRefusal& row : table) {
    SCOPED_TRACE(row.name);
    TestChain chain;
    ASSERT_TRUE(chain.commit(chain.payload({})));
    const Hash256 root = chain.root();
    const BlockPayload payload{row.commit(chain), {}};
    auto refused = chain.commit(payload);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find(row.message_part), std::string::npos)
        << refused.error().message;
    EXPECT_EQ(chain.root(), root);
  }
  TestChain first;
  auto at_height_one = first.commit(BlockPayload{first.sign_commit(Height(0), Hash256(), {}), {}});
  ASSERT_FALSE(at_height_one);
  EXPECT_NE(at_height_one.error().message.find("height 1 carries a parent_commit"),
            std::string::npos);
}

TEST(BlockRefusals, APlanComputedOnAnOlderVersionIsNotApplied) {
  TestChain chain;
  auto stale = chain.plan(chain.payload({}));
  ASSERT_TRUE(stale);
  ASSERT_TRUE(chain.commit(chain.payload({})));
  auto applied = chain.executor().apply(*stale);
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().message.find("computed on version"), std::string::npos);
}

}  // namespace
TEST(BlockExecution, ABlockAskingMoreProverWorkThanTheLimitIsRefused) {
  TestChain chain;
  const std::uint64_t limit = chain.params().max_block_work.value();
  const SubmitProof first = test_program(1);
  const SubmitProof second = test_program(2);
  VerifiedProofs proofs{{proof_id(first), outcome(first, Verdict::kProved, 1, limit / 2)},
                        {proof_id(second), outcome(second, Verdict::kProved, 1, limit / 2 + 1)}};
  const Hash256 root = chain.root();
  auto plan = chain.commit(chain.payload({chain.transaction(chain.user(0), first),
                                          chain.transaction(chain.user(1), second)}),
                           proofs);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, ErrorCode::kLimit);
  EXPECT_NE(plan.error().message.find("above the limit of " + std::to_string(limit)),
            std::string::npos)
      << plan.error().message;
  EXPECT_EQ(chain.root(), root);
  // Exactly at the limit is a block.
  proofs[proof_id(second)].work = WorkUnits(limit - limit / 2);
  EXPECT_TRUE(chain.commit(chain.payload({chain.transaction(chain.user(0), first),
                                          chain.transaction(chain.user(1), second)}),
                           proofs));
}

TEST(BlockExecution, EvidenceOlderThanItsAgeLimitIsRefused) {
  TestChain chain;  // evidence is accepted for 2 blocks
  for (int h = 1; h <= 4; ++h) ASSERT_TRUE(chain.commit(chain.payload({})));
  // Height 5: an act at height 2 is 3 blocks old.
  auto old = chain.commit(chain.payload({chain.transaction(
      chain.user(0), SubmitEvidence{equivocation_by(chain, 1, 2), std::nullopt})}));
  ASSERT_FALSE(old);
  EXPECT_NE(old.error().message.find("evidence of an act at height 2 is too old at height 5"),
            std::string::npos)
      << old.error().message;
  // An act at height 3 is still in time.
  EXPECT_TRUE(chain.commit(chain.payload({chain.transaction(
      chain.user(0), SubmitEvidence{equivocation_by(chain, 1, 3), std::nullopt})})));
}

}  // namespace aethel::ledger::testing
