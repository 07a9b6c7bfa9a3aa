// Ledger fixtures shared by the ledger, snapshot and crash tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crypto/sha256.h"
#include "state/ledger_state.h"
#include "state/records.h"

namespace aethel::state::testing {

// Owner keys derived from an index (records never check curve points).
inline crypto::PublicKey owner(std::uint64_t index) {
  return crypto::PublicKey(crypto::sha256("owner-" + std::to_string(index)).array());
}

inline AccountRecord account_of(std::uint64_t index, std::uint64_t balance,
                                std::uint64_t nonce = 0) {
  return AccountRecord{owner(index), TokenAmount(balance), Nonce(nonce)};
}

inline ValidatorRecord validator_of(std::uint64_t index, std::uint64_t stake) {
  ValidatorRecord record;
  record.public_key = owner(1'000'000 + index);
  record.stake = Stake(stake);
  return record;
}

inline TreeConfig fast_tree_config() {
  TreeConfig config;
  config.sync_writes = false;
  return config;
}

// Genesis with `accounts` accounts of `balance` and `validators` validators
// of `stake`.
inline std::vector<Record> genesis_records(std::uint64_t accounts, std::uint64_t balance,
                                           std::uint64_t validators, std::uint64_t stake) {
  std::vector<Record> records;
  for (std::uint64_t i = 0; i < accounts; ++i) records.emplace_back(account_of(i, balance));
  for (std::uint64_t i = 0; i < validators; ++i) records.emplace_back(validator_of(i, stake));
  return records;
}

}  // namespace aethel::state::testing
