#include "ledger/mempool.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "crypto/sha256.h"

namespace aethel::ledger {
namespace {

const Hash256 kChain = crypto::sha256(std::string_view("mempool test chain"));

crypto::PublicKey sender_key(std::uint8_t who) {
  std::array<std::uint8_t, crypto::kSeedSize> seed{};
  seed.fill(who);
  return crypto::keypair_from_seed(seed).public_key;
}

// Entries need ids and ranks, not valid signatures: admission checked those.
PendingTransaction entry(std::uint8_t who, std::uint64_t nonce, std::uint64_t difficulty,
                         std::uint64_t fee, std::size_t bytes = 100) {
  PendingTransaction pending;
  pending.transaction.payload = StakeTokens{TokenAmount(1)};
  pending.transaction.fee = TokenAmount(fee);
  pending.transaction.nonce = Nonce(nonce);
  pending.transaction.sender.key = sender_key(who);
  pending.id = transaction_id(kChain, pending.transaction);
  pending.encoded_bytes = bytes;
  pending.difficulty = Difficulty(difficulty);
  return pending;
}

NextNonceLookup all_start_at(std::uint64_t nonce) {
  return [nonce](const crypto::PublicKey&) { return Nonce(nonce); };
}

std::vector<TransactionId> ids_of(const std::vector<PendingTransaction>& entries) {
  std::vector<TransactionId> ids;
  for (const auto& e : entries) ids.push_back(e.id);
  return ids;
}

MempoolLimits small(std::size_t count) {
  MempoolLimits limits;
  limits.max_transactions = count;
  return limits;
}

TEST(MempoolTest, OrdersByDifficultyThenFeeThenArrival) {
  Mempool pool(small(10));
  const auto a = entry(1, 0, 5, 1);
  const auto b = entry(2, 0, 9, 1);
  const auto c = entry(3, 0, 5, 7);
  const auto d = entry(4, 0, 5, 1);  // ties a; arrives later
  for (const auto& e : {a, b, c, d}) ASSERT_TRUE(pool.add(e, Nonce(0)));
  EXPECT_EQ(ids_of(pool.select(10, 1 << 20, all_start_at(0))),
            (std::vector<TransactionId>{b.id, c.id, a.id, d.id}));
  EXPECT_EQ(pool.size(), 4u);
  EXPECT_EQ(pool.bytes(), 400u);
}

TEST(MempoolTest, RefusesDuplicatesUsedNoncesOccupiedSlotsAndFarNonces) {
  MempoolLimits limits = small(10);
  limits.max_per_sender = 3;
  Mempool pool(limits);
  ASSERT_TRUE(pool.add(entry(1, 5, 1, 1), Nonce(5)));
  auto duplicate = pool.add(entry(1, 5, 1, 1), Nonce(5));
  EXPECT_NE(duplicate.error().message.find("already pending"), std::string::npos);
  auto same_slot = pool.add(entry(1, 5, 1, 2), Nonce(5));
  EXPECT_NE(same_slot.error().message.find("already has a pending transaction with nonce 5"),
            std::string::npos);
  auto used = pool.add(entry(1, 4, 1, 1), Nonce(5));
  EXPECT_NE(used.error().message.find("already used"), std::string::npos);
  EXPECT_TRUE(pool.add(entry(1, 7, 1, 1), Nonce(5)));
  auto far = pool.add(entry(1, 8, 1, 1), Nonce(5));
  EXPECT_EQ(far.error().code, ErrorCode::kLimit);
  EXPECT_EQ(pool.counters().refused, 4u);
  EXPECT_EQ(pool.counters().admitted, 2u);
}

TEST(MempoolTest, FullPoolEvictsTheLowestForABetterNewcomerOnly) {
  Mempool pool(small(2));
  const auto low = entry(1, 0, 1, 1);
  const auto mid = entry(2, 0, 5, 1);
  ASSERT_TRUE(pool.add(low, Nonce(0)));
  ASSERT_TRUE(pool.add(mid, Nonce(0)));
  auto worse = pool.add(entry(3, 0, 1, 0), Nonce(0));
  ASSERT_FALSE(worse);
  EXPECT_NE(worse.error().message.find("ranks below"), std::string::npos);
  const auto high = entry(4, 0, 9, 0);
  auto admitted = pool.add(high, Nonce(0));
  ASSERT_TRUE(admitted);
  EXPECT_EQ(admitted->evicted, std::vector<TransactionId>{low.id});
  EXPECT_FALSE(pool.contains(low.id));
  EXPECT_EQ(pool.counters().evicted, 1u);
}

TEST(MempoolTest, ByteBoundEvictsAsManyAsNeededOrNothing) {
  MempoolLimits limits = small(100);
  limits.max_bytes = kMaxTransactionBytes;
  Mempool pool(limits);
  const std::size_t third = kMaxTransactionBytes / 3;
  const auto a = entry(1, 0, 1, 1, third);
  const auto b = entry(2, 0, 2, 1, third);
  const auto c = entry(3, 0, 3, 1, third);
  for (const auto& e : {a, b, c}) ASSERT_TRUE(pool.add(e, Nonce(0)));
  // Needs two thirds of room: both a and b go, since both rank below it.
  auto big = pool.add(entry(4, 0, 9, 1, 2 * third), Nonce(0));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->evicted, (std::vector<TransactionId>{a.id, b.id}));
  // Ranks above nothing that would make room: refused, nothing evicted.
  auto refused = pool.add(entry(5, 0, 4, 1, 2 * third), Nonce(0));
  ASSERT_FALSE(refused);
  EXPECT_EQ(pool.size(), 2u);
}

TEST(MempoolTest, SelectionKeepsEachSendersNonceOrder) {
  Mempool pool(small(10));
  // Sender 1's nonce 1 outranks its nonce 0; it must still come after it.
  const auto first = entry(1, 0, 1, 1);
  const auto second = entry(1, 1, 9, 1);
  const auto other = entry(2, 0, 5, 1);
  const auto gap = entry(3, 2, 9, 9);  // sender 3's nonces 0 and 1 are missing
  for (const auto& e : {first, second, other, gap}) ASSERT_TRUE(pool.add(e, Nonce(0)));
  EXPECT_EQ(ids_of(pool.select(10, 1 << 20, all_start_at(0))),
            (std::vector<TransactionId>{other.id, first.id, second.id}));
  EXPECT_EQ(ids_of(pool.select(2, 1 << 20, all_start_at(0))),
            (std::vector<TransactionId>{other.id, first.id}));
  EXPECT_EQ(ids_of(pool.select(10, 250, all_start_at(0))),
            (std::vector<TransactionId>{other.id, first.id}));
}

TEST(MempoolTest, CommittedAndStaleTransactionsLeave) {
  Mempool pool(small(10));
  const auto a0 = entry(1, 0, 1, 1);
  const auto a1 = entry(1, 1, 1, 1);
  const auto b0 = entry(2, 0, 1, 1);
  for (const auto& e : {a0, a1, b0}) ASSERT_TRUE(pool.add(e, Nonce(0)));
  // A block included a0, and another node's transaction used sender 2's nonce 0.
  const std::vector<TransactionId> included{a0.id};
  pool.remove_committed(included, {}, [&](const crypto::PublicKey&) { return Nonce(1); });
  EXPECT_FALSE(pool.contains(a0.id));
  EXPECT_TRUE(pool.contains(a1.id));
  EXPECT_FALSE(pool.contains(b0.id));
  EXPECT_EQ(pool.counters().committed, 1u);
  EXPECT_EQ(pool.counters().stale, 1u);
  EXPECT_EQ(pool.size(), 1u);
  EXPECT_EQ(pool.bytes(), 100u);
}

TEST(MempoolTest, LimitsValidate) {
  EXPECT_FALSE(small(0).validate());
  MempoolLimits tiny = small(1);
  tiny.max_bytes = 10;
  EXPECT_FALSE(tiny.validate());
  EXPECT_TRUE(small(1).validate());
}

// Random adds against a small pool: the bounds always hold, counters add
// up, and a selection is every sender's consecutive nonces from its next.
RC_GTEST_PROP(MempoolProperty, BoundsHoldAndSelectionKeepsNonceOrder, ()) {
  const auto capacity = *rc::gen::inRange<std::size_t>(1, 30);
  Mempool pool(small(capacity));
  const auto adds = *rc::gen::container<
      std::vector<std::tuple<std::uint8_t, std::uint8_t, std::uint8_t, std::uint8_t>>>(
      rc::gen::tuple(rc::gen::inRange<std::uint8_t>(1, 6), rc::gen::inRange<std::uint8_t>(0, 6),
                     rc::gen::inRange<std::uint8_t>(0, 4), rc::gen::inRange<std::uint8_t>(0, 4)));
  for (const auto& [who, nonce, difficulty, fee] : adds) {
    (void)pool.add(entry(who, nonce, difficulty, fee), Nonce(0));
    RC_ASSERT(pool.size() <= capacity);
    RC_ASSERT(pool.counters().admitted - pool.counters().evicted == pool.size());
  }
  const auto chosen = pool.select(1'000, 1 << 30, all_start_at(0));
  std::map<crypto::PublicKey, std::uint64_t> next;
  for (const auto& e : chosen) {
    RC_ASSERT(pool.contains(e.id));
    // Consecutive nonces from zero for every sender.
    RC_ASSERT(e.transaction.nonce.value() == next[e.transaction.sender.key]++);
  }
}

}  // namespace
}  // namespace aethel::ledger
