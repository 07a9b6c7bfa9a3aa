// The record kinds block execution adds to the state: the pending reward
// (whose fees are held balance) and the unbonding queue of a release height.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "state/records.h"
#include "tests/ledger/exec_test_support.h"

namespace aethel::ledger::testing {
namespace {

state::UnbondingQueueRecord sorted_queue() {
  std::vector<crypto::PublicKey> owners{
      test_keypair(2, 0).public_key, test_keypair(2, 1).public_key, test_keypair(2, 2).public_key};
  std::sort(owners.begin(), owners.end());
  return state::UnbondingQueueRecord{Height(12), owners};
}

TEST(ExecutionRecords, NewKindsRoundTripAndLiveInTheirOwnNamespaces) {
  const state::PendingRewardRecord pending{Height(7), test_keypair(1, 0).public_key, Difficulty(90),
                                           TokenAmount(33)};
  const std::vector<state::Record> records{pending, sorted_queue(),
                                           state::UnbondingQueueRecord{Height(1), {}}};
  for (const state::Record& record : records) {
    const Bytes bytes = state::encode_record(record);
    auto decoded = state::decode_record(bytes);
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_EQ(*decoded, record);
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
      EXPECT_FALSE(state::decode_record(ByteView(bytes.data(), cut)));
    }
  }
  EXPECT_EQ(state::record_key(pending), state::pending_reward_key());
  EXPECT_EQ(state::record_key(sorted_queue()), state::unbonding_queue_key(Height(12)));
  EXPECT_NE(state::unbonding_queue_key(Height(12)), state::unbonding_queue_key(Height(13)));
  EXPECT_NE(state::pending_reward_key(), state::supply_key());
  EXPECT_EQ(state::record_kind_name(state::RecordKind::kPendingReward),
            std::string("pending reward"));
  EXPECT_EQ(state::balance_held(pending), TokenAmount(33));
  EXPECT_EQ(state::stake_held(pending), TokenAmount(0));
  EXPECT_EQ(state::balance_held(sorted_queue()), TokenAmount(0));
}

TEST(ExecutionRecords, AQueueWhoseOwnersAreNotIncreasingIsRefused) {
  state::UnbondingQueueRecord queue = sorted_queue();
  std::swap(queue.owners[0], queue.owners[2]);
  auto decoded = state::decode_record(state::encode_record(queue));
  ASSERT_FALSE(decoded);
  EXPECT_EQ(decoded.error().code, ErrorCode::kNonCanonical);
  queue = sorted_queue();
  queue.owners[1] = queue.owners[0];
  EXPECT_FALSE(state::decode_record(state::encode_record(queue)));
}

TEST(ExecutionRecords, FeesHeldInThePendingRewardCountForConservation) {
  TestChain chain;
  const crypto::PublicKey payer = chain.user(0).public_key;
  const state::AccountRecord before = chain.account(payer);
  state::AccountRecord after = before;
  after.balance -= TokenAmount(40);
  const state::PendingRewardRecord held{Height(1), chain.validator(0).public_key, Difficulty(0),
                                        TokenAmount(40)};
  state::Transition moved;
  moved.changes = {state::RecordChange::put(after), state::RecordChange::put(held)};
  EXPECT_TRUE(chain.state().apply(moved));

  state::PendingRewardRecord inflated = held;
  inflated.fees = TokenAmount(41);
  state::Transition created;
  created.changes = {state::RecordChange::put(inflated)};
  auto refused = chain.state().apply(created);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kConservation);
  EXPECT_TRUE(chain.state().audit(chain.state().tree().latest_version()));
}

}  // namespace
}  // namespace aethel::ledger::testing
