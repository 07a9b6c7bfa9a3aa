// The transactions of a ledger run, deterministic from the seed: funded
// accounts, transfers between them, SubmitProof transactions carrying small
// distinct transfer-style Aethel programs (all PROVED by the judge), and a
// few stake and unstake transactions. Every transaction is signed with a
// real Ed25519 key (crypto::keypair_from_seed) and encoded as a client would
// send it.
//
// Each account's transactions take consecutive nonces, and amounts stay far
// below the balances, so every transaction the generator makes is valid in
// the order of its nonces; which block takes it is up to the proposers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/types.h"
#include "crypto/ed25519.h"
#include "ledger/genesis.h"
#include "ledger/transaction.h"
#include "sim/options.h"
#include "sim/prng.h"

namespace aethel::sim {

// A small transfer program, distinct for each index.
std::string load_program(std::uint64_t index);

struct LoadCounters {
  std::uint64_t proofs = 0;
  std::uint64_t transfers = 0;
  std::uint64_t stakes = 0;
  std::uint64_t unstakes = 0;
};

class LoadGenerator {
 public:
  // `accounts` funded accounts of `balance` each; stakes of `stake_amount`.
  LoadGenerator(std::uint64_t seed, const Hash256& chain_id, const LedgerLoad& load,
                std::uint32_t accounts, TokenAmount balance, TokenAmount stake_amount);

  std::vector<ledger::GenesisAccount> genesis_accounts() const;

  bool exhausted() const noexcept { return round_ >= load_.rounds; }
  // The next round's transactions, encoded; empty once exhausted.
  std::vector<Bytes> next_round();

  // Every program submitted so far, by proof id.
  const std::map<Hash256, ledger::SubmitProof>& programs() const noexcept { return programs_; }
  const LoadCounters& counters() const noexcept { return counters_; }

 private:
  struct Account {
    crypto::KeyPair keys;
    Nonce next_nonce;
    TokenAmount staked;  // by this generator's stake transactions, not yet unstaked
  };

  Bytes signed_transaction(std::size_t account, ledger::Payload payload, TokenAmount fee);
  std::size_t pick_account();
  void add_staking(std::vector<Bytes>& round);

  Hash256 chain_id_;
  LedgerLoad load_;
  TokenAmount balance_;
  TokenAmount stake_amount_;
  std::vector<Account> accounts_;
  Prng prng_;
  std::uint32_t round_ = 0;
  std::uint64_t next_program_ = 0;
  std::map<Hash256, ledger::SubmitProof> programs_;
  LoadCounters counters_;
};

}  // namespace aethel::sim
