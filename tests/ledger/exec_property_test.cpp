// Properties of block execution over random inputs, with real signatures and
// a real LedgerState: rewards sum exactly to emission plus fees and never
// shrink when difficulty grows; slashing takes exactly the rule's amount,
// once; over long random runs the supply never passes the emission
// schedule, every version passes the conservation audit, user accounts
// match a simple reference model, and double spends are refused with the
// state unchanged.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "consensus/evidence.h"
#include "tests/ledger/exec_test_support.h"

namespace aethel::ledger::testing {
namespace {

using judge::Verdict;

// Each case builds fresh chains in RocksDB folders; under the sanitizers
// only one case in kScale does, so the same properties take fewer samples.
bool sampled_out_under_sanitizers() {
  return kScale > 1 && *rc::gen::inRange(0, kScale) != 0;
}

// A random quorum of equal-stake validators: at least 3 of 4.
std::vector<std::size_t> random_quorum() {
  const auto left_out = *rc::gen::inRange<std::size_t>(0, 5);  // 4 means nobody
  std::vector<std::size_t> signers;
  for (std::size_t i = 0; i < 4; ++i) {
    if (i != left_out) signers.push_back(i);
  }
  return signers;
}

struct RewardRun {
  BlockPlan paid;
  std::vector<TokenAmount> gained;  // per validator, between the two blocks
};

// Block 1 submits proofs of the given difficulties with the given fees;
// block 2 pays block 1's reward to `signers`.
RewardRun run_reward(const std::vector<std::uint64_t>& stakes,
                     const std::vector<std::uint64_t>& difficulties,
                     const std::vector<std::uint64_t>& fees,
                     const std::vector<std::size_t>& signers, std::size_t proposer) {
  ChainOptions options;
  options.stakes = stakes;
  TestChain chain(options);
  std::vector<Transaction> transactions;
  VerifiedProofs proofs;
  for (std::size_t i = 0; i < difficulties.size(); ++i) {
    const SubmitProof program = test_program(i);
    proofs[proof_id(program)] = outcome(program, Verdict::kProved, difficulties[i]);
    transactions.push_back(
        chain.transaction(chain.user(i % chain.user_count()), program, fees[i], i / 4));
  }
  auto first = chain.commit(chain.payload(transactions), proofs, signers, proposer);
  RC_ASSERT(first.has_value());
  std::vector<TokenAmount> before;
  for (std::size_t i = 0; i < chain.validator_count(); ++i) {
    before.push_back(chain.account(chain.validator(i).public_key).balance);
  }
  auto paid = chain.commit(chain.payload({}));
  RC_ASSERT(paid.has_value());
  RewardRun run{*paid, {}};
  for (std::size_t i = 0; i < chain.validator_count(); ++i) {
    run.gained.push_back(chain.account(chain.validator(i).public_key).balance - before[i]);
  }
  RC_ASSERT(chain.state().audit(chain.state().tree().latest_version()).has_value());
  return run;
}

RC_GTEST_PROP(ExecutionProperty, RewardsSumExactlyToEmissionPlusFees, ()) {
  if (sampled_out_under_sanitizers()) return;
  const auto stakes = *rc::gen::container<std::vector<std::uint64_t>>(
      4, rc::gen::inRange<std::uint64_t>(1'000, 50'000));
  const auto count = *rc::gen::inRange<std::size_t>(0, 8);
  const auto difficulties = *rc::gen::container<std::vector<std::uint64_t>>(
      count, rc::gen::inRange<std::uint64_t>(0, 60));
  const auto fees = *rc::gen::container<std::vector<std::uint64_t>>(
      count, rc::gen::inRange<std::uint64_t>(0, 50));
  // Every validator signs: with random stakes any set is a quorum then.
  const std::vector<std::size_t> signers{0, 1, 2, 3};
  const auto proposer = *rc::gen::inRange<std::size_t>(0, 4);
  const RewardRun run = run_reward(stakes, difficulties, fees, signers, proposer);

  const std::uint64_t difficulty = std::accumulate(difficulties.begin(), difficulties.end(), 0ull);
  const std::uint64_t fee_total = std::accumulate(fees.begin(), fees.end(), 0ull);
  const ChainParams params = test_params();
  const std::uint64_t expected_emission =
      std::min(params.emission.initial_block_allowance.value(),
               params.reward.base.value() * difficulty / params.reward.scale.value());
  RC_ASSERT(run.paid.parent_emission == TokenAmount(expected_emission));
  RC_ASSERT(run.paid.parent_fees == TokenAmount(fee_total));
  TokenAmount shared;
  for (const RewardShare& share : run.paid.rewards) shared += share.amount;
  RC_ASSERT(shared.value() == expected_emission + fee_total);
  TokenAmount gained;
  for (const TokenAmount amount : run.gained) gained += amount;
  RC_ASSERT(gained == shared);
}

RC_GTEST_PROP(ExecutionProperty, ASignersRewardNeverDecreasesWhenDifficultyGrows, ()) {
  if (sampled_out_under_sanitizers()) return;
  const auto low = *rc::gen::inRange<std::uint64_t>(0, 120);
  const auto extra = *rc::gen::inRange<std::uint64_t>(0, 120);
  const auto fee = *rc::gen::inRange<std::uint64_t>(0, 20);
  const auto signers = random_quorum();
  const auto proposer = *rc::gen::inRange<std::size_t>(0, 4);
  const std::vector<std::uint64_t> stakes{10'000, 20'000, 30'000, 40'000};
  // Any 3 of these 4 stakes hold more than 2/3 only when 40,000 and 30,000
  // are among them; keep the quorum by always including the two largest.
  std::vector<std::size_t> quorum = signers;
  for (const std::size_t needed : {std::size_t{2}, std::size_t{3}}) {
    if (std::find(quorum.begin(), quorum.end(), needed) == quorum.end()) quorum.push_back(needed);
  }
  std::sort(quorum.begin(), quorum.end());
  const RewardRun less = run_reward(stakes, {low}, {fee}, quorum, proposer);
  const RewardRun more = run_reward(stakes, {low + extra}, {fee}, quorum, proposer);
  RC_ASSERT(more.paid.parent_emission >= less.paid.parent_emission);
  // Every validator, the proposer included (bonus plus divisor-rule share).
  for (std::size_t validator = 0; validator < stakes.size(); ++validator) {
    RC_ASSERT(more.gained[validator] >= less.gained[validator]);
  }
  const auto total = [](const RewardRun& run) {
    TokenAmount sum;
    for (const TokenAmount amount : run.gained) sum += amount;
    return sum;
  };
  RC_ASSERT(total(more) >= total(less));
}

Bytes equivocation(const TestChain& chain, std::size_t voter, std::uint64_t height) {
  const auto vote = [&](std::string_view digest) {
    return consensus::sign_vote(chain.params().chain_id, chain.validator(voter).secret_key,
                                consensus::VotePhase::kCommit, View(1), Height(height),
                                crypto::sha256(digest), ValidatorIndex(voter));
  };
  return consensus::encode_evidence(
      consensus::make_equivocation_evidence(vote("one"), vote("two")));
}

struct FalseVote {
  Bytes evidence;
  SubmitProof program;
};

FalseVote false_vote(const TestChain& chain, std::size_t voter, std::uint64_t n) {
  FalseVote made{{}, test_program(1'000'000 + n)};
  consensus::Block block;
  block.height = Height(1'000 + n);
  block.claims = {{proof_id(made.program), consensus::ClaimedVerdict::kProved, Difficulty(3)}};
  const consensus::Vote vote = consensus::sign_vote(
      chain.params().chain_id, chain.validator(voter).secret_key, consensus::VotePhase::kPrepare,
      View(0), block.height, consensus::block_digest(block), ValidatorIndex(voter));
  made.evidence = consensus::encode_evidence(consensus::FalseVerdictVoteEvidence{vote, block, 0});
  return made;
}

RC_GTEST_PROP(ExecutionProperty, SlashingTakesExactlyTheRulesAmountOnce, ()) {
  if (sampled_out_under_sanitizers()) return;
  TestChain chain;
  const auto offender = *rc::gen::inRange<std::size_t>(0, 4);
  const auto unstaked = *rc::gen::inRange<std::uint64_t>(0, 10'001);
  const bool double_signing = *rc::gen::arbitrary<bool>();
  const crypto::PublicKey key = chain.validator(offender).public_key;
  if (unstaked > 0) {
    // Only stake above what the consensus set counts may be unstaked.
    const crypto::KeyPair& keys = chain.validator(offender);
    RC_ASSERT(chain.commit(
        chain.payload({chain.transaction(keys, StakeTokens{TokenAmount(unstaked)}),
                       chain.transaction(keys, UnstakeTokens{TokenAmount(unstaked)}, 1, 1)})));
  } else {
    RC_ASSERT(chain.commit(chain.payload({})));
  }
  const state::ValidatorRecord before = chain.validator_record(key);
  SubmitEvidence submission;
  VerifiedProofs proofs;
  if (double_signing) {
    submission.evidence = equivocation(chain, offender, 50);
  } else {
    const FalseVote vote = false_vote(chain, offender, 1);
    submission = SubmitEvidence{vote.evidence, vote.program};
    proofs[proof_id(vote.program)] = outcome(vote.program, Verdict::kRefuted, 3);
  }
  auto plan = chain.commit(chain.payload({chain.transaction(chain.user(0), submission)}), proofs);
  RC_ASSERT(plan.has_value());
  const std::uint64_t held = before.stake.value() + before.unbonding.value();
  const std::uint64_t expected = held * (double_signing ? 20 : 5) / 100;
  RC_ASSERT(plan->slashings.size() == 1u);
  RC_ASSERT(plan->slashings[0].slashed == TokenAmount(expected));
  const state::ValidatorRecord after = chain.validator_record(key);
  RC_ASSERT(after.stake.value() + after.unbonding.value() == held - expected);
  RC_ASSERT(after.stake.value() == before.stake.value() - std::min(expected, before.stake.value()));
  RC_ASSERT(chain.state().supply()->slashed == TokenAmount(expected));

  const Hash256 root = chain.root();
  RC_ASSERT_FALSE(
      chain.commit(chain.payload({chain.transaction(chain.user(1), submission)}), proofs));
  RC_ASSERT(chain.root() == root);
  RC_ASSERT(chain.validator_record(key) == after);
}

// --- Long random runs against a reference model of the users ------------

struct UserModel {
  std::uint64_t balance = 0;
  std::uint64_t nonce = 0;
  std::uint64_t stake = 0;
  std::uint64_t unbonding = 0;
  std::uint64_t release = 0;  // height
};

struct RandomRun {
  TestChain chain;
  std::vector<UserModel> users;
  std::uint64_t next_program = 0;
  std::uint64_t next_evidence = 0;
  std::uint64_t slashed = 0;
  std::uint64_t allowance_sum = 0;  // the schedule's allowance of every paid height

  static ChainOptions options() {
    ChainOptions options;
    options.users = 5;
    options.user_balance = 50'000;
    // A small cap and fast halving, so long runs reach both.
    options.params.emission.cap = TokenAmount(6'000);
    options.params.emission.initial_block_allowance = TokenAmount(700);
    options.params.emission.halving_interval = 6;
    options.params.evidence_max_age = 1;
    options.params.unbonding_period = 2;
    options.params.epoch_length = 4;
    return options;
  }

  RandomRun() : chain(options()), users(chain.user_count()) {
    for (auto& user : users) user.balance = 50'000;
  }

  Transaction sign_as(std::size_t user, Payload payload, std::uint64_t fee) {
    Transaction transaction{std::move(payload), TokenAmount(fee), Nonce(users[user].nonce), {}};
    sign_transaction(chain.params().chain_id, chain.user(user), transaction);
    return transaction;
  }
};

// Draws one valid transaction for the model's current state and applies it
// to the model.
Transaction valid_transaction(RandomRun& run, VerifiedProofs& proofs) {
  const auto user = *rc::gen::inRange<std::size_t>(0, run.users.size());
  UserModel& model = run.users[user];
  const std::uint64_t fee = *rc::gen::inRange<std::uint64_t>(0, 4);
  const int kind = *rc::gen::inRange(0, 5);
  const std::uint64_t spendable = model.balance >= fee ? model.balance - fee : 0;
  Transaction transaction;
  if (model.balance < fee) {
    // A proof costs nothing at fee zero, so an empty account can send it.
    const SubmitProof program = test_program(run.next_program++);
    proofs[proof_id(program)] = outcome(program, Verdict::kProved, 1);
    transaction = run.sign_as(user, program, 0);
  } else if (kind == 0 && spendable > 0) {
    const auto to = *rc::gen::inRange<std::size_t>(0, run.users.size());
    const auto amount = *rc::gen::inRange<std::uint64_t>(1, spendable + 1);
    transaction =
        run.sign_as(user, Transfer{run.chain.user(to).public_key, TokenAmount(amount)}, fee);
    model.balance -= fee + amount;
    run.users[to].balance += amount;
  } else if (kind == 1 && spendable > 0) {
    const auto amount =
        *rc::gen::inRange<std::uint64_t>(1, std::min<std::uint64_t>(spendable, 5'000) + 1);
    transaction = run.sign_as(user, StakeTokens{TokenAmount(amount)}, fee);
    model.balance -= fee + amount;
    model.stake += amount;
  } else if (kind == 2 && model.stake > 0) {
    const auto amount = *rc::gen::inRange<std::uint64_t>(1, model.stake + 1);
    transaction = run.sign_as(user, UnstakeTokens{TokenAmount(amount)}, fee);
    model.balance -= fee;
    model.stake -= amount;
    model.unbonding += amount;
    model.release = run.chain.next_height().value() + run.chain.params().unbonding_period;
  } else if (kind == 3) {
    const SubmitProof program = test_program(run.next_program++);
    const auto difficulty = *rc::gen::inRange<std::uint64_t>(0, 40);
    proofs[proof_id(program)] = outcome(program, Verdict::kProved, difficulty);
    transaction = run.sign_as(user, program, fee);
    model.balance -= fee;
  } else {
    const auto offender = *rc::gen::inRange<std::size_t>(0, 4);
    const std::uint64_t n = run.next_evidence++;
    SubmitEvidence submission;
    if (*rc::gen::arbitrary<bool>()) {
      submission.evidence = equivocation(run.chain, offender, 10'000 + n);
    } else {
      const FalseVote vote = false_vote(run.chain, offender, n);
      submission = SubmitEvidence{vote.evidence, vote.program};
      proofs[proof_id(vote.program)] = outcome(vote.program, Verdict::kUnknown, 3);
    }
    transaction = run.sign_as(user, submission, fee);
    model.balance -= fee;
  }
  ++model.nonce;
  return transaction;
}

// A double spend or an overspend by a user already in the block.
Transaction invalid_transaction(RandomRun& run, const std::vector<Transaction>& valid) {
  const Transaction& victim = *rc::gen::elementOf(valid);
  const crypto::PublicKey sender = victim.sender.key;
  std::size_t user = 0;
  while (run.chain.user(user).public_key != sender) ++user;
  Transaction bad;
  if (*rc::gen::arbitrary<bool>()) {
    // The same nonce again, spending elsewhere.
    bad = Transaction{
        Transfer{run.chain.user((user + 1) % run.users.size()).public_key, TokenAmount(1)},
        TokenAmount(0),
        victim.nonce,
        {}};
  } else {
    // The next nonce, spending more than the model's balance.
    bad = Transaction{
        Transfer{run.chain.user(user).public_key, TokenAmount(run.users[user].balance + 1)},
        TokenAmount(0),
        Nonce(run.users[user].nonce),
        {}};
  }
  sign_transaction(run.chain.params().chain_id, run.chain.user(user), bad);
  return bad;
}

void release_due(RandomRun& run, std::uint64_t height) {
  for (UserModel& user : run.users) {
    if (user.unbonding > 0 && user.release <= height) {
      user.balance += user.unbonding;
      user.unbonding = 0;
    }
  }
}

void check_against_model(RandomRun& run, const BlockPlan& plan) {
  state::LedgerState& state = run.chain.state();
  RC_ASSERT(state.audit(state.tree().latest_version()).has_value());
  for (std::size_t i = 0; i < run.users.size(); ++i) {
    const crypto::PublicKey key = run.chain.user(i).public_key;
    const state::AccountRecord account = run.chain.account(key);
    RC_ASSERT(account.balance.value() == run.users[i].balance);
    RC_ASSERT(account.nonce.value() == run.users[i].nonce);
    const auto validator = state.validator(key);
    RC_ASSERT(validator.has_value());
    const std::uint64_t stake = *validator ? (*validator)->stake.value() : 0;
    const std::uint64_t unbonding = *validator ? (*validator)->unbonding.value() : 0;
    RC_ASSERT(stake == run.users[i].stake);
    RC_ASSERT(unbonding == run.users[i].unbonding);
  }
  for (const SlashingApplied& slashing : plan.slashings) run.slashed += slashing.slashed.value();
  if (plan.height.value() >= 2) {
    run.allowance_sum +=
        run.chain.params().emission.allowance_at(Height(plan.height.value() - 1)).value();
  }
  const state::SupplyRecord supply = *state.supply();
  RC_ASSERT(supply.emitted <= run.chain.params().emission.cap);
  RC_ASSERT(supply.emitted.value() <= run.allowance_sum);
  RC_ASSERT(supply.slashed.value() == run.slashed);
}

RC_GTEST_PROP(ExecutionProperty, LongRandomRunsConserveAndStayWithinTheSchedule, ()) {
  if (sampled_out_under_sanitizers()) return;
  RandomRun run;
  const int blocks = 24;
  for (int block = 0; block < blocks; ++block) {
    const std::uint64_t height = run.chain.next_height().value();
    release_due(run, height);
    VerifiedProofs proofs;
    std::vector<Transaction> transactions;
    const auto count = *rc::gen::inRange<std::size_t>(0, 7);
    for (std::size_t i = 0; i < count; ++i) transactions.push_back(valid_transaction(run, proofs));
    const auto signers = random_quorum();
    const auto proposer = *rc::gen::inRange<std::size_t>(0, 4);

    if (!transactions.empty() && *rc::gen::inRange(0, 4) == 0) {
      std::vector<Transaction> with_bad = transactions;
      const auto at = *rc::gen::inRange<std::size_t>(0, with_bad.size() + 1);
      with_bad.insert(with_bad.begin() + static_cast<std::ptrdiff_t>(at),
                      invalid_transaction(run, transactions));
      const Hash256 root = run.chain.root();
      auto refused = run.chain.commit(run.chain.payload(with_bad), proofs, signers, proposer);
      RC_ASSERT_FALSE(refused.has_value());
      RC_ASSERT(run.chain.root() == root);
    }
    auto plan = run.chain.commit(run.chain.payload(transactions), proofs, signers, proposer);
    if (!plan) RC_FAIL("block " + std::to_string(height) + ": " + plan.error().to_string());
    check_against_model(run, *plan);
  }
}

}  // namespace
}  // namespace aethel::ledger::testing
