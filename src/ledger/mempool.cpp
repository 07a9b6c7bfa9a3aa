#include "ledger/mempool.h"

#include <string>
#include <utility>
#include <variant>

#include "core/assert.h"

namespace aethel::ledger {

Result<void> MempoolLimits::validate() const {
  if (max_transactions == 0) {
    return fail(ErrorCode::kInvalidArgument, "mempool: max_transactions must be positive");
  }
  if (max_bytes < kMaxTransactionBytes) {
    return fail(ErrorCode::kInvalidArgument, "mempool: max_bytes " + std::to_string(max_bytes) +
                                                 " is below the largest transaction (" +
                                                 std::to_string(kMaxTransactionBytes) + " bytes)");
  }
  if (max_per_sender == 0) {
    return fail(ErrorCode::kInvalidArgument, "mempool: max_per_sender must be positive");
  }
  return {};
}

Mempool::Mempool(MempoolLimits limits) : limits_(limits) {
  AETHEL_ASSERT_MSG(limits_.validate().has_value(), "mempool limits must validate");
}

Result<Admitted> Mempool::add(PendingTransaction entry, Nonce account_next_nonce) {
  const Transaction& transaction = entry.transaction;
  const auto refuse = [this](ErrorCode code, std::string message) {
    ++counters_.refused;
    return fail(code, "mempool: " + std::move(message));
  };
  if (by_id_.contains(entry.id)) {
    return refuse(ErrorCode::kInvalidArgument,
                  "transaction " + entry.id.hex() + " is already pending");
  }
  if (transaction.nonce < account_next_nonce) {
    return refuse(ErrorCode::kInvalidArgument, "nonce " + to_string(transaction.nonce) +
                                                   " was already used (the account's next is " +
                                                   to_string(account_next_nonce) + ")");
  }
  if (transaction.nonce.value() - account_next_nonce.value() >= limits_.max_per_sender) {
    return refuse(ErrorCode::kLimit, "nonce " + to_string(transaction.nonce) + " is more than " +
                                         std::to_string(limits_.max_per_sender) +
                                         " ahead of the account's next nonce " +
                                         to_string(account_next_nonce));
  }
  const auto sender = by_sender_.find(transaction.sender.key);
  if (sender != by_sender_.end() && sender->second.contains(transaction.nonce)) {
    return refuse(ErrorCode::kInvalidArgument,
                  "sender " + transaction.sender.key.hex() +
                      " already has a pending transaction with nonce " +
                      to_string(transaction.nonce));
  }
  if (entry.encoded_bytes > limits_.max_bytes) {
    return refuse(ErrorCode::kLimit, "transaction of " + std::to_string(entry.encoded_bytes) +
                                         " bytes exceeds the mempool's byte bound");
  }

  const Rank rank{std::holds_alternative<SubmitEvidence>(transaction.payload), entry.difficulty,
                  transaction.fee, next_arrival_, entry.id};
  // Evict from the bottom until the newcomer fits, but only entries that
  // rank below it; if that cannot make room, nothing is evicted.
  std::size_t count_after = by_id_.size() + 1;
  std::size_t bytes_after = bytes_ + entry.encoded_bytes;
  std::vector<TransactionId> evicted;
  for (auto lowest = by_rank_.rbegin();
       (count_after > limits_.max_transactions || bytes_after > limits_.max_bytes); ++lowest) {
    if (lowest == by_rank_.rend() || !(rank < *lowest)) {
      return refuse(ErrorCode::kLimit,
                    "full (" + std::to_string(by_id_.size()) + " transactions, " +
                        std::to_string(bytes_) +
                        " bytes) and the transaction ranks below every one it could displace");
    }
    evicted.push_back(lowest->id);
    --count_after;
    bytes_after -= by_id_.at(lowest->id).entry.encoded_bytes;
  }
  for (const auto& id : evicted) erase(id);
  counters_.evicted += evicted.size();

  ++next_arrival_;
  ++counters_.admitted;
  bytes_ += entry.encoded_bytes;
  by_sender_[transaction.sender.key][transaction.nonce] = entry.id;
  by_rank_.insert(rank);
  if (entry.single_use_key) by_single_use_key_.emplace(*entry.single_use_key, entry.id);
  const TransactionId id = entry.id;
  by_id_.emplace(id, Held{std::move(entry), rank});
  return Admitted{std::move(evicted)};
}

std::vector<PendingTransaction> Mempool::select(std::size_t max_count, std::size_t max_bytes,
                                                const NextNonceLookup& next_nonce) const {
  std::vector<PendingTransaction> chosen;
  std::set<TransactionId> taken;
  std::map<crypto::PublicKey, Nonce> cursor;  // each sender's next nonce as selection goes
  std::size_t bytes = 0;
  // Each pass takes, in rank order, every transaction whose sender's lower
  // nonces are already taken; a pass that takes nothing ends the walk. At
  // most max_per_sender passes can take something.
  bool progress = true;
  while (progress && chosen.size() < max_count) {
    progress = false;
    for (const Rank& rank : by_rank_) {
      if (chosen.size() == max_count) break;
      if (taken.contains(rank.id)) continue;
      const PendingTransaction& entry = by_id_.at(rank.id).entry;
      const crypto::PublicKey& sender = entry.transaction.sender.key;
      auto [position, inserted] = cursor.try_emplace(sender, Nonce());
      if (inserted) position->second = next_nonce(sender);
      if (entry.transaction.nonce != position->second) continue;
      if (entry.encoded_bytes > max_bytes - bytes) continue;
      chosen.push_back(entry);
      taken.insert(rank.id);
      bytes += entry.encoded_bytes;
      position->second = position->second.next();
      progress = true;
    }
  }
  return chosen;
}

void Mempool::remove_committed(std::span<const TransactionId> included,
                               std::span<const Hash256> used_keys,
                               const NextNonceLookup& next_nonce) {
  for (const auto& id : included) {
    if (!by_id_.contains(id)) continue;
    erase(id);
    ++counters_.committed;
  }
  for (const auto& key : used_keys) {
    for (const auto& holder : holders_of(key)) {
      erase(holder);
      ++counters_.superseded;
    }
  }
  std::vector<TransactionId> stale;
  for (const auto& [sender, slots] : by_sender_) {
    const Nonce next = next_nonce(sender);
    for (const auto& [nonce, id] : slots) {
      if (nonce >= next) break;
      stale.push_back(id);
    }
  }
  for (const auto& id : stale) erase(id);
  counters_.stale += stale.size();
}

bool Mempool::drop(const TransactionId& id) {
  if (!by_id_.contains(id)) return false;
  erase(id);
  ++counters_.dropped;
  return true;
}

bool Mempool::contains(const TransactionId& id) const {
  return by_id_.contains(id);
}

std::vector<TransactionId> Mempool::holders_of(const Hash256& key) const {
  std::vector<TransactionId> holders;
  for (auto at = by_single_use_key_.lower_bound({key, TransactionId{}});
       at != by_single_use_key_.end() && at->first == key; ++at) {
    holders.push_back(at->second);
  }
  return holders;
}

void Mempool::erase(const TransactionId& id) {
  const auto held = by_id_.find(id);
  AETHEL_ASSERT(held != by_id_.end());
  const Transaction& transaction = held->second.entry.transaction;
  const auto sender = by_sender_.find(transaction.sender.key);
  AETHEL_ASSERT(sender != by_sender_.end());
  sender->second.erase(transaction.nonce);
  if (sender->second.empty()) by_sender_.erase(sender);
  by_rank_.erase(held->second.rank);
  if (const auto& key = held->second.entry.single_use_key) {
    by_single_use_key_.erase({*key, held->second.entry.id});
  }
  bytes_ -= held->second.entry.encoded_bytes;
  by_id_.erase(held);
}

}  // namespace aethel::ledger
