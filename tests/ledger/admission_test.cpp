#include "ledger/admission.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "crypto/sha256.h"
#include "tests/ledger/verifier_test_programs.h"

namespace aethel::ledger {
namespace {

using testing::describe;

const Hash256 kChain = crypto::sha256(std::string_view("admission test chain"));
const Hash256 kOtherChain = crypto::sha256(std::string_view("another chain"));

constexpr std::uint8_t kRichSenders = 16;  // seeds 1..16: balance 1000, next nonce 0
constexpr std::uint8_t kPoor = 20;         // balance 5, next nonce 3
constexpr std::uint8_t kStranger = 30;     // no account

crypto::KeyPair keys(std::uint8_t who) {
  std::array<std::uint8_t, crypto::kSeedSize> seed{};
  seed.fill(who);
  return crypto::keypair_from_seed(seed);
}

Transaction unsigned_transaction(Payload payload, std::uint64_t fee, std::uint64_t nonce) {
  Transaction transaction;
  transaction.payload = std::move(payload);
  transaction.fee = TokenAmount(fee);
  transaction.nonce = Nonce(nonce);
  return transaction;
}

Transaction signed_transaction(std::uint8_t who, Payload payload, std::uint64_t fee,
                               std::uint64_t nonce, const Hash256& chain = kChain) {
  Transaction transaction = unsigned_transaction(std::move(payload), fee, nonce);
  sign_transaction(chain, keys(who), transaction);
  return transaction;
}

Bytes encoded(std::uint8_t who, Payload payload, std::uint64_t fee, std::uint64_t nonce,
              const Hash256& chain = kChain) {
  return encode_transaction(signed_transaction(who, std::move(payload), fee, nonce, chain));
}

SubmitProof proof(std::string program, std::uint64_t budget = 0) {
  return SubmitProof{std::move(program), WorkUnits(budget)};
}

Transfer transfer_to(std::uint8_t who, std::uint64_t amount) {
  return Transfer{keys(who).public_key, TokenAmount(amount)};
}

std::unique_ptr<state::LedgerState> open_state(const std::filesystem::path& directory) {
  state::TreeConfig tree;
  tree.sync_writes = false;
  auto ledger = state::LedgerState::open(directory, tree, state::LedgerConfig{});
  if (!ledger) return nullptr;
  std::vector<state::Record> genesis;
  for (std::uint8_t who = 1; who <= kRichSenders; ++who) {
    genesis.push_back(state::AccountRecord{keys(who).public_key, TokenAmount(1000), Nonce(0)});
  }
  genesis.push_back(state::AccountRecord{keys(kPoor).public_key, TokenAmount(5), Nonce(3)});
  if (!(*ledger)->apply_genesis(genesis)) return nullptr;
  return std::move(*ledger);
}

NextNonceLookup nonces_from(const state::LedgerState& ledger) {
  return [&ledger](const crypto::PublicKey& key) {
    auto account = ledger.account(key);
    return account && account->has_value() ? (*account)->nonce : Nonce(0);
  };
}

// A ledger state, a verifier and a mempool behind one Admission.
struct Node {
  explicit Node(judge::Limits limits = {}, MempoolLimits pool_limits = {})
      : state(open_state(dir.path())), verifier(limits, 2, 100), mempool(pool_limits) {
    admission = std::make_unique<Admission>(AdmissionConfig{kChain}, *state, verifier, mempool);
  }
  testing::TempDir dir;
  std::unique_ptr<state::LedgerState> state;
  ProofVerifier verifier;
  Mempool mempool;
  std::unique_ptr<Admission> admission;
};

struct RefusalCase {
  std::string name;
  Bytes transaction;
  RefusalReason reason;
  std::optional<ErrorCode> code;  // unset: any decoding error
  std::vector<std::string> message_parts;
};

std::vector<RefusalCase> refusal_cases() {
  std::vector<RefusalCase> cases;
  cases.push_back({"oversize",
                   Bytes(kMaxTransactionBytes + 1, 0),
                   RefusalReason::kOversize,
                   ErrorCode::kOversize,
                   {"exceeds the limit of"}});
  cases.push_back(
      {"garbage", Bytes{0xde, 0xad, 0xbe, 0xef}, RefusalReason::kMalformed, std::nullopt, {}});
  Bytes truncated = encoded(1, proof(testing::proved_transfer(1)), 1, 0);
  truncated.pop_back();
  cases.push_back({"truncated", truncated, RefusalReason::kMalformed, std::nullopt, {}});

  Transaction altered = signed_transaction(1, proof(testing::proved_transfer(1)), 1, 0);
  altered.fee = TokenAmount(2);  // after signing
  cases.push_back({"altered after signing",
                   encode_transaction(altered),
                   RefusalReason::kBadSignature,
                   ErrorCode::kBadSignature,
                   {}});
  cases.push_back({"signed for another chain",
                   encoded(1, proof(testing::proved_transfer(1)), 1, 0, kOtherChain),
                   RefusalReason::kBadSignature,
                   ErrorCode::kBadSignature,
                   {}});
  cases.push_back({"unknown sender",
                   encoded(kStranger, proof(testing::proved_transfer(1)), 0, 0),
                   RefusalReason::kUnknownSender,
                   ErrorCode::kNotFound,
                   {"has no account"}});
  cases.push_back({"nonce too low",
                   encoded(kPoor, proof(testing::proved_transfer(1)), 0, 2),
                   RefusalReason::kNonceUsed,
                   ErrorCode::kInvalidArgument,
                   {"nonce 2 is already used", "next nonce is 3"}});
  cases.push_back({"nonce too far",
                   encoded(1, proof(testing::proved_transfer(1)), 0, 64),
                   RefusalReason::kNonceTooFar,
                   ErrorCode::kLimit,
                   {"nonce 64 is too far ahead"}});
  cases.push_back({"fee above the balance",
                   encoded(kPoor, proof(testing::proved_transfer(1)), 6, 3),
                   RefusalReason::kInsufficientBalance,
                   ErrorCode::kInvalidArgument,
                   {"fee 6 plus amount 0 exceeds the balance of 5"}});
  cases.push_back({"fee plus amount above the balance",
                   encoded(kPoor, transfer_to(1, 5), 1, 3),
                   RefusalReason::kInsufficientBalance,
                   ErrorCode::kInvalidArgument,
                   {"fee 1 plus amount 5 exceeds the balance of 5"}});
  cases.push_back({"fee plus amount overflows",
                   encoded(1, StakeTokens{TokenAmount::max()}, 1, 0),
                   RefusalReason::kInsufficientBalance,
                   ErrorCode::kInvalidArgument,
                   {}});
  cases.push_back(
      {"refuted program",
       encoded(1, proof(testing::kOverflowingTransfer), 1, 0),
       RefusalReason::kRefuted,
       ErrorCode::kInvalidArgument,
       {"is REFUTED: intent overflowing fails RANGE at line", "counterexample:", "old_receiver="}});
  cases.push_back({"invalid program",
                   encoded(1, proof("intent x( {"), 1, 0),
                   RefusalReason::kInvalidProgram,
                   ErrorCode::kSyntax,
                   {"program is INVALID at line 1, column"}});
  cases.push_back({"program with no intent",
                   encoded(1, proof("// nothing\n"), 1, 0),
                   RefusalReason::kInvalidProgram,
                   ErrorCode::kInvalidArgument,
                   {"no intent"}});
  cases.push_back(
      {"budget over the ceiling",
       encoded(1, proof(testing::proved_transfer(1), judge::Limits{}.budget_max + 1), 1, 0),
       RefusalReason::kInvalidProgram,
       ErrorCode::kLimit,
       {"exceeds the ceiling"}});
  cases.push_back({"budget exhausted",
                   encoded(1, proof(testing::proved_transfer(1), 1), 1, 0),
                   RefusalReason::kUnknownVerdict,
                   ErrorCode::kLimit,
                   {"is UNKNOWN: intent transfer_1 (BUDGET)"}});
  return cases;
}

TEST(AdmissionTest, RefusesEachBadTransactionWithItsReason) {
  Node node;
  ASSERT_NE(node.state, nullptr);
  std::uint64_t refused = 0;
  for (const RefusalCase& c : refusal_cases()) {
    SCOPED_TRACE(c.name);
    const std::uint64_t before = node.admission->counters().refused_for(c.reason);
    auto outcome = node.admission->admit(c.transaction);
    ASSERT_FALSE(outcome.has_value());
    EXPECT_EQ(refusal_reason_name(outcome.error().reason),
              std::string(refusal_reason_name(c.reason)));
    if (c.code) {
      EXPECT_EQ(error_code_name(outcome.error().error.code), error_code_name(*c.code));
    }
    EXPECT_FALSE(outcome.error().error.message.empty());
    for (const auto& part : c.message_parts) {
      EXPECT_NE(outcome.error().error.message.find(part), std::string::npos)
          << outcome.error().error.message;
    }
    EXPECT_EQ(node.admission->counters().refused_for(c.reason), before + 1);
    ++refused;
  }
  EXPECT_EQ(node.admission->counters().refused_total(), refused);
  EXPECT_EQ(node.admission->counters().admitted, 0u);
  EXPECT_EQ(node.mempool.size(), 0u);
}

TEST(AdmissionTest, SubmitGivesTheSameErrorAsAdmit) {
  Node node;
  const Bytes refuted = encoded(1, proof(testing::kOverflowingTransfer), 1, 0);
  auto detailed = node.admission->admit(refuted);
  auto plain = node.admission->submit(refuted);
  ASSERT_FALSE(detailed);
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().message, detailed.error().error.message);
  EXPECT_EQ(node.admission->counters().refused_for(RefusalReason::kRefuted), 2u);
  EXPECT_EQ(node.verifier.counters().judged, 1u);  // the second came from the cache
}

TEST(AdmissionTest, ProgramStoppedByTheLocalTimeGuardIsUndecided) {
  judge::Limits limits;
  limits.prover_time_guard_ms = 50;
  Node node(limits);
  auto outcome = node.admission->admit(encoded(1, proof(testing::kCube), 1, 0));
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().reason, RefusalReason::kUndecided);
  EXPECT_NE(outcome.error().error.message.find("local time guard"), std::string::npos)
      << outcome.error().error.message;
  EXPECT_FALSE(node.verifier.is_cached(proof_id(proof(testing::kCube))));
}

TEST(AdmissionTest, AcceptedProofEntersTheMempoolWithTheJudgesDifficulty) {
  Node node;
  const SubmitProof submission = proof(testing::proved_transfer(5, 2));
  const Transaction transaction = signed_transaction(2, submission, 3, 0);
  auto receipt = node.admission->submit(encode_transaction(transaction));
  ASSERT_TRUE(receipt) << receipt.error().to_string();
  auto expected = check_proof(submission, judge::Limits{});
  ASSERT_TRUE(expected);
  EXPECT_EQ(receipt->transaction_id, transaction_id(kChain, transaction));
  EXPECT_EQ(receipt->kind, PayloadKind::kSubmitProof);
  EXPECT_EQ(receipt->proof_id, proof_id(submission));
  EXPECT_EQ(receipt->verdict, judge::Verdict::kProved);
  EXPECT_EQ(receipt->difficulty, expected->difficulty);
  EXPECT_EQ(receipt->work, expected->work);
  EXPECT_GT(receipt->difficulty.value(), 0u);
  EXPECT_TRUE(receipt->evicted.empty());
  EXPECT_TRUE(node.mempool.contains(receipt->transaction_id));
  EXPECT_TRUE(node.verifier.is_cached(proof_id(submission)));

  // A plain transfer is admitted with difficulty zero and ranks after it.
  auto plain = node.admission->submit(encoded(3, transfer_to(1, 10), 9, 0));
  ASSERT_TRUE(plain) << plain.error().to_string();
  EXPECT_EQ(plain->difficulty, Difficulty(0));
  EXPECT_FALSE(plain->proof_id.has_value());
  const auto selected = node.mempool.select(10, 1 << 20, nonces_from(*node.state));
  ASSERT_EQ(selected.size(), 2u);
  EXPECT_EQ(selected[0].id, receipt->transaction_id);
  EXPECT_EQ(selected[0].difficulty, expected->difficulty);
  EXPECT_EQ(selected[1].id, plain->transaction_id);
  EXPECT_EQ(node.admission->counters().admitted, 2u);
  EXPECT_EQ(node.admission->counters().refused_total(), 0u);
}

TEST(AdmissionTest, StakingKindsAreAdmittedWithDifficultyZeroAndNothingJudged) {
  Node node;
  auto stake = node.admission->submit(encoded(4, StakeTokens{TokenAmount(999)}, 1, 0));
  ASSERT_TRUE(stake) << stake.error().to_string();
  EXPECT_EQ(stake->difficulty, Difficulty(0));
  EXPECT_FALSE(stake->verdict.has_value());
  EXPECT_EQ(stake->kind, PayloadKind::kStake);
  // Committed state holds no stake of its yet: an unstake could not execute.
  auto unstake = node.admission->admit(encoded(4, UnstakeTokens{TokenAmount(5)}, 0, 1));
  ASSERT_FALSE(unstake);
  EXPECT_EQ(unstake.error().reason, RefusalReason::kNotExecutable);
  EXPECT_NE(unstake.error().error.message.find("unstake of 5 from a stake of 0"),
            std::string::npos)
      << unstake.error().error.message;
  EXPECT_EQ(node.verifier.counters(), VerifierCounters{});
  // Staking more than the balance leaves is refused like a transfer.
  auto too_much = node.admission->admit(encoded(6, StakeTokens{TokenAmount(1000)}, 1, 0));
  ASSERT_FALSE(too_much);
  EXPECT_EQ(too_much.error().reason, RefusalReason::kInsufficientBalance);
}

TEST(AdmissionTest, PoorSenderAtItsNextNonceIsAdmittedWithinTheWindow) {
  Node node;
  auto at_next = node.admission->submit(encoded(kPoor, transfer_to(1, 4), 1, 3));
  ASSERT_TRUE(at_next) << at_next.error().to_string();
  auto ahead = node.admission->submit(encoded(kPoor, transfer_to(1, 4), 1, 3 + 63));
  ASSERT_TRUE(ahead) << ahead.error().to_string();
}

TEST(AdmissionTest, DoubleSpendsAndDuplicatesAreRefusedByTheMempool) {
  Node node;
  const Bytes first = encoded(1, transfer_to(2, 10), 1, 0);
  ASSERT_TRUE(node.admission->submit(first));
  auto duplicate = node.admission->admit(first);
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().reason, RefusalReason::kMempool);
  EXPECT_NE(duplicate.error().error.message.find("already pending"), std::string::npos);
  auto double_spend = node.admission->admit(encoded(1, transfer_to(3, 10), 2, 0));
  ASSERT_FALSE(double_spend);
  EXPECT_EQ(double_spend.error().reason, RefusalReason::kMempool);
  EXPECT_NE(
      double_spend.error().error.message.find("already has a pending transaction with nonce 0"),
      std::string::npos)
      << double_spend.error().error.message;
  EXPECT_EQ(node.mempool.size(), 1u);
  EXPECT_EQ(node.admission->counters().refused_for(RefusalReason::kMempool), 2u);
}

TEST(AdmissionTest, AFullMempoolEvictsTheLowestRankedForAProof) {
  MempoolLimits small;
  small.max_transactions = 2;
  Node node(judge::Limits{}, small);
  auto low = node.admission->submit(encoded(1, transfer_to(2, 1), 0, 0));
  auto higher = node.admission->submit(encoded(2, transfer_to(3, 1), 5, 0));
  ASSERT_TRUE(low && higher);
  auto proof_receipt = node.admission->submit(encoded(3, proof(testing::proved_transfer(9)), 0, 0));
  ASSERT_TRUE(proof_receipt) << proof_receipt.error().to_string();
  EXPECT_EQ(proof_receipt->evicted, std::vector<TransactionId>{low->transaction_id});
  EXPECT_FALSE(node.mempool.contains(low->transaction_id));
  EXPECT_EQ(node.mempool.size(), 2u);
}

std::string describe_outcome(const AdmissionOutcome& outcome) {
  if (!outcome) {
    return fmt::format("refused {}: {}", refusal_reason_name(outcome.error().reason),
                       outcome.error().error.to_string());
  }
  std::string text = fmt::format("admitted {} difficulty {}", outcome->transaction_id.hex(),
                                 outcome->difficulty.value());
  for (const auto& id : outcome->evicted) text += fmt::format(" evicts {}", id.hex());
  return text;
}

TEST(AdmissionTest, ABatchGivesTheOutcomesOfOneByOneAdmissionInOneVerifierCall) {
  std::vector<Bytes> mix;
  for (std::uint8_t who = 1; who <= 6; ++who) {
    mix.push_back(encoded(who, proof(testing::proved_transfer(100 + who)), who, 0));
  }
  mix.push_back(encoded(7, proof(testing::kOverflowingTransfer), 1, 0));
  mix.push_back(encoded(8, proof("intent x( {"), 1, 0));
  mix.push_back(encoded(1, proof(testing::proved_transfer(200)), 1, 0));  // slot of sender 1 taken
  mix.push_back(encoded(9, transfer_to(1, 1), 1, 0));
  mix.push_back(encoded(kStranger, transfer_to(1, 1), 0, 0));
  mix.push_back(encoded(10, proof(testing::proved_transfer(101)), 4, 1));  // a program seen above
  mix.push_back(Bytes{1, 2, 3});
  std::vector<ByteView> views(mix.begin(), mix.end());

  Node one_by_one;
  std::vector<std::string> expected;
  for (const ByteView view : views)
    expected.push_back(describe_outcome(one_by_one.admission->admit(view)));

  Node batched;
  std::vector<std::string> outcomes;
  for (const auto& outcome : batched.admission->admit_batch(views)) {
    outcomes.push_back(describe_outcome(outcome));
  }
  EXPECT_EQ(outcomes, expected);
  EXPECT_EQ(batched.admission->counters().admitted, 8u);
  EXPECT_EQ(batched.admission->counters().refused_total(), 5u);
  EXPECT_EQ(batched.admission->counters().refused, one_by_one.admission->counters().refused);
  // Ten programs passed the cheap checks: nine distinct, one of them INVALID.
  EXPECT_EQ(batched.verifier.counters().judged, 8u);
  EXPECT_EQ(batched.verifier.counters().refused, 1u);

  auto plain = batched.admission->submit_batch(views);  // everything is pending or refused now
  ASSERT_EQ(plain.size(), views.size());
  for (const auto& result : plain) EXPECT_FALSE(result.has_value());
  EXPECT_EQ(batched.verifier.counters().judged, 8u);  // conclusive outcomes were cached
}

// Programs of different difficulty, judged once for all property cases.
struct ProgramPool {
  std::vector<SubmitProof> programs;
  std::vector<Difficulty> difficulty;
};

const ProgramPool& program_pool() {
  static const ProgramPool pool = [] {
    ProgramPool p;
    for (std::size_t i = 0; i < 4; ++i) {
      p.programs.push_back(proof(testing::proved_transfer(300 + i, i * 3)));
      auto check = check_proof(p.programs.back(), judge::Limits{});
      p.difficulty.push_back(check ? check->difficulty : Difficulty(0));
    }
    return p;
  }();
  return pool;
}

// One node for all property cases: the state is only read, and the
// verifier's cache makes repeated programs cheap. Each case gets its own
// mempool and Admission.
struct SharedNode {
  testing::TempDir dir;
  std::unique_ptr<state::LedgerState> state = open_state(dir.path());
  ProofVerifier verifier{judge::Limits{}, 1, 100};
};

SharedNode& shared_node() {
  static SharedNode node;
  return node;
}

RC_GTEST_PROP(AdmissionProperty, MempoolOrdersByDifficultyThenFeeThenArrival, ()) {
  SharedNode& node = shared_node();
  RC_PRE(node.state != nullptr);
  const ProgramPool& pool = program_pool();
  Mempool mempool{MempoolLimits{}};
  Admission admission(AdmissionConfig{kChain}, *node.state, node.verifier, mempool);

  const auto count =
      *rc::gen::inRange<std::size_t>(1, std::size_t{kRichSenders} / testing::kScale + 1);
  struct Expected {
    Difficulty difficulty;
    std::uint64_t fee;
    std::size_t arrival;
    TransactionId id;
  };
  std::vector<Expected> admitted;
  for (std::size_t k = 0; k < count; ++k) {
    const auto who = static_cast<std::uint8_t>(k + 1);  // one transaction per sender
    const auto fee = *rc::gen::inRange<std::uint64_t>(0, 4);
    const auto kind = *rc::gen::inRange<std::size_t>(0, pool.programs.size() + 1);
    Payload payload =
        kind < pool.programs.size() ? Payload(pool.programs[kind]) : Payload(transfer_to(1, 1));
    const Difficulty difficulty =
        kind < pool.programs.size() ? pool.difficulty[kind] : Difficulty(0);
    auto receipt = admission.submit(encoded(who, std::move(payload), fee, 0));
    RC_ASSERT(receipt.has_value());
    RC_ASSERT(receipt->difficulty == difficulty);
    admitted.push_back({difficulty, fee, k, receipt->transaction_id});
  }
  std::stable_sort(admitted.begin(), admitted.end(), [](const Expected& a, const Expected& b) {
    return std::tie(b.difficulty, b.fee, a.arrival) < std::tie(a.difficulty, a.fee, b.arrival);
  });
  const auto selected = mempool.select(1000, std::size_t{1} << 30, nonces_from(*node.state));
  RC_ASSERT(selected.size() == admitted.size());
  for (std::size_t i = 0; i < selected.size(); ++i) RC_ASSERT(selected[i].id == admitted[i].id);
}

RC_GTEST_PROP(AdmissionProperty, OneTransactionPerSenderAndNonceIsEverAdmitted, ()) {
  SharedNode& node = shared_node();
  RC_PRE(node.state != nullptr);
  Mempool mempool{MempoolLimits{}};
  Admission admission(AdmissionConfig{kChain}, *node.state, node.verifier, mempool);
  const auto attempts = *rc::gen::inRange<std::size_t>(1, 40 / testing::kScale + 1);
  std::map<std::pair<std::uint8_t, std::uint64_t>, TransactionId> slots;
  for (std::size_t a = 0; a < attempts; ++a) {
    const auto who = *rc::gen::inRange<std::uint8_t>(1, 5);
    const auto nonce = *rc::gen::inRange<std::uint64_t>(0, 3);
    const auto fee = *rc::gen::inRange<std::uint64_t>(0, 3);
    const auto amount = *rc::gen::inRange<std::uint64_t>(1, 3);
    auto outcome = admission.admit(encoded(who, transfer_to(kPoor, amount), fee, nonce));
    const auto slot = std::make_pair(who, nonce);
    if (slots.contains(slot)) {
      RC_ASSERT(!outcome.has_value());
      RC_ASSERT(outcome.error().reason == RefusalReason::kMempool);
    } else {
      RC_ASSERT(outcome.has_value());
      slots.emplace(slot, outcome->transaction_id);
    }
  }
  RC_ASSERT(mempool.size() == slots.size());
  for (const auto& [slot, id] : slots) RC_ASSERT(mempool.contains(id));
  RC_ASSERT(admission.counters().admitted == slots.size());
  RC_ASSERT(admission.counters().refused_for(RefusalReason::kMempool) == attempts - slots.size());
}

}  // namespace
}  // namespace aethel::ledger
