// Pending transactions waiting for a block, bounded by count and bytes.
//
// Order: evidence first (it protects the chain, and it is accepted only for
// a while after the act), then higher difficulty (verification work is what
// the network pays for), then higher fee, then earlier arrival. A sender's transactions
// are only ever taken in nonce order: block selection walks that order and
// takes a transaction once every lower nonce of its sender is already taken
// or committed.
//
// The mempool holds what admission (signature, size, nonce, the judge's
// verdict) already accepted; it checks only what depends on its own contents:
// duplicates, a nonce slot already taken, the per-sender window, and room.
// It also indexes what executing a transaction uses up (a proof id, an
// offence id), so that a committed block removes every other pending
// transaction that could no longer execute. Several transactions may wait
// with one such key: refusing the second would let a first sent with a
// nonce gap, which no block can take, hold a proof or evidence hostage.
// When full, the lowest-ranked transaction is evicted for a higher-ranked
// newcomer; a newcomer that ranks below everything pending is refused.
//
// Local, not consensus: its order decides what this node proposes, never
// whether a block is valid. It is still deterministic (ordered containers,
// arrival numbers instead of clocks) so that a simulation replays exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "core/error.h"
#include "core/types.h"
#include "ledger/transaction.h"

namespace aethel::ledger {

struct MempoolLimits {
  std::size_t max_transactions = 10'000;
  std::size_t max_bytes = 64 * 1024 * 1024;
  // Nonces a sender may hold ahead of its account's next nonce.
  std::uint64_t max_per_sender = 64;

  Result<void> validate() const;
};

// A transaction that passed admission, with what ranking needs.
struct PendingTransaction {
  Transaction transaction;
  TransactionId id;
  std::size_t encoded_bytes = 0;
  Difficulty difficulty;  // the judge's, for a proof; zero for other kinds
  WorkUnits work;         // prover work its program costs a block (proof or evidence)
  // What executing it uses up, so that no other transaction holding the same
  // key can execute after it: the proof id a SubmitProof registers, the
  // offence id evidence records.
  std::optional<Hash256> single_use_key;
};

struct MempoolCounters {
  std::uint64_t admitted = 0;
  std::uint64_t refused = 0;
  std::uint64_t evicted = 0;
  std::uint64_t committed = 0;  // removed because a block included them
  std::uint64_t stale = 0;      // removed because their nonce was used
  std::uint64_t superseded = 0;  // removed because a block used their single-use key
  std::uint64_t dropped = 0;     // removed because block execution refused them
};

struct Admitted {
  std::vector<TransactionId> evicted;  // lower-ranked transactions it displaced
};

// The next nonce of a sender's account in the latest committed state.
using NextNonceLookup = std::function<Nonce(const crypto::PublicKey&)>;

class Mempool {
 public:
  // `limits` must validate.
  explicit Mempool(MempoolLimits limits);

  // Adds `entry`, given its sender's next nonce in the committed state.
  // Refuses (counting the refusal): a duplicate id or an occupied
  // (sender, nonce) slot (kInvalidArgument), a nonce below the account's next
  // nonce (kInvalidArgument) or beyond the per-sender window (kLimit), an
  // entry larger than the whole byte bound, or one ranking below everything
  // in a full pool (kLimit).
  Result<Admitted> add(PendingTransaction entry, Nonce account_next_nonce);

  // Up to `max_count` transactions and `max_bytes` bytes for a block, in
  // rank order, each sender's in consecutive nonces from its next nonce.
  std::vector<PendingTransaction> select(std::size_t max_count, std::size_t max_bytes,
                                         const NextNonceLookup& next_nonce) const;

  // After a block commits: drops the transactions it included, every
  // pending one holding a single-use key in `used_keys` (the proof ids the
  // block registered, the offence ids it acted on), and every pending one
  // whose nonce its sender has now used.
  void remove_committed(std::span<const TransactionId> included,
                        std::span<const Hash256> used_keys, const NextNonceLookup& next_nonce);

  // Drops a transaction block execution refused on the committed state
  // (counted as dropped); the sender's later nonces stay and wait for the
  // slot to be filled again. False when it is not pending.
  bool drop(const TransactionId& id);

  bool contains(const TransactionId& id) const;
  // The pending transactions holding `key`, in id order.
  std::vector<TransactionId> holders_of(const Hash256& key) const;
  std::size_t size() const noexcept { return by_id_.size(); }
  std::size_t bytes() const noexcept { return bytes_; }
  const MempoolCounters& counters() const noexcept { return counters_; }
  const MempoolLimits& limits() const noexcept { return limits_; }

 private:
  struct Rank {
    bool evidence = false;
    Difficulty difficulty;
    TokenAmount fee;
    std::uint64_t arrival = 0;
    TransactionId id;
    // Best first: evidence, higher difficulty, higher fee, earlier arrival.
    friend bool operator<(const Rank& a, const Rank& b) noexcept {
      if (a.evidence != b.evidence) return a.evidence;
      if (a.difficulty != b.difficulty) return a.difficulty > b.difficulty;
      if (a.fee != b.fee) return a.fee > b.fee;
      if (a.arrival != b.arrival) return a.arrival < b.arrival;
      return a.id < b.id;
    }
  };
  struct Held {
    PendingTransaction entry;
    Rank rank;
  };

  void erase(const TransactionId& id);

  MempoolLimits limits_;
  std::map<TransactionId, Held> by_id_;
  std::set<Rank> by_rank_;
  // sender -> nonce -> id: the occupied slots and the nonce order.
  std::map<crypto::PublicKey, std::map<Nonce, TransactionId>> by_sender_;
  std::set<std::pair<Hash256, TransactionId>> by_single_use_key_;
  std::size_t bytes_ = 0;
  std::uint64_t next_arrival_ = 0;
  MempoolCounters counters_;
};

}  // namespace aethel::ledger
