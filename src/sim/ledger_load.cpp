#include "sim/ledger_load.h"

#include "core/encoding.h"
#include "crypto/sha256.h"
#include "judge/sample_programs.h"

namespace aethel::sim {
namespace {

crypto::KeyPair account_keys(std::uint64_t seed, std::uint32_t index) {
  Encoder encoder;
  encoder.put_u64(seed);
  encoder.put_u32(index);
  crypto::Sha256Hasher hasher;
  hasher.update(std::string_view("aethel-sim-account")).update(encoder.bytes());
  const Hash256 key_seed = hasher.finish();
  return crypto::keypair_from_seed(crypto::SeedView(key_seed.array()));
}

}  // namespace

std::string load_program(std::uint64_t index) {
  return judge::transfer_program_source({.name = "sim_transfer_" + std::to_string(index),
                                         .amount_floor = index % 100,
                                         .extra_guards = {},
                                         .sender_reserve = index % 7});
}

LoadGenerator::LoadGenerator(std::uint64_t seed, const Hash256& chain_id, const LedgerLoad& load,
                             std::uint32_t accounts, TokenAmount balance, TokenAmount stake_amount)
    : chain_id_(chain_id),
      load_(load),
      balance_(balance),
      stake_amount_(stake_amount),
      prng_(seed),
      // Programs of different runs differ, so a run never finds another's
      // outcome anywhere.
      next_program_(seed % 1'000'000 * 1'000) {
  AETHEL_ASSERT(accounts >= 2);
  accounts_.reserve(accounts);
  for (std::uint32_t i = 0; i < accounts; ++i) {
    accounts_.push_back({account_keys(seed, i), Nonce(0), TokenAmount(0)});
  }
}

std::vector<ledger::GenesisAccount> LoadGenerator::genesis_accounts() const {
  std::vector<ledger::GenesisAccount> genesis;
  genesis.reserve(accounts_.size());
  for (const auto& account : accounts_) genesis.push_back({account.keys.public_key, balance_});
  return genesis;
}

std::size_t LoadGenerator::pick_account() {
  return static_cast<std::size_t>(prng_.below(accounts_.size()));
}

Bytes LoadGenerator::signed_transaction(std::size_t index, ledger::Payload payload,
                                        TokenAmount fee) {
  Account& account = accounts_[index];
  ledger::Transaction transaction;
  transaction.payload = std::move(payload);
  transaction.fee = fee;
  transaction.nonce = account.next_nonce;
  account.next_nonce = Nonce(account.next_nonce.value() + 1);
  ledger::sign_transaction(chain_id_, account.keys, transaction);
  return ledger::encode_transaction(transaction);
}

// Alternates: an account that holds no generated stake stakes, one that
// does unstakes half of it (so stake, unbonding and release all happen).
void LoadGenerator::add_staking(std::vector<Bytes>& round) {
  const std::size_t index = pick_account();
  Account& account = accounts_[index];
  if (account.staked.value() == 0) {
    account.staked = stake_amount_;
    ++counters_.stakes;
    round.push_back(signed_transaction(index, ledger::StakeTokens{stake_amount_}, TokenAmount(5)));
  } else {
    const TokenAmount half(account.staked.value() / 2);
    account.staked = TokenAmount(0);
    ++counters_.unstakes;
    round.push_back(signed_transaction(index, ledger::UnstakeTokens{half}, TokenAmount(5)));
  }
}

std::vector<Bytes> LoadGenerator::next_round() {
  std::vector<Bytes> round;
  if (exhausted()) return round;
  ++round_;
  for (std::uint32_t i = 0; i < load_.proofs; ++i) {
    ledger::SubmitProof proof{load_program(next_program_++), WorkUnits(0)};
    programs_.emplace(ledger::proof_id(proof), proof);
    ++counters_.proofs;
    round.push_back(signed_transaction(pick_account(), std::move(proof), TokenAmount(10)));
  }
  for (std::uint32_t i = 0; i < load_.transfers; ++i) {
    const std::size_t from = pick_account();
    std::size_t to = pick_account();
    if (to == from) to = (to + 1) % accounts_.size();
    const TokenAmount amount(1 + prng_.below(1'000));
    ++counters_.transfers;
    round.push_back(signed_transaction(
        from, ledger::Transfer{accounts_[to].keys.public_key, amount}, TokenAmount(1)));
  }
  if (load_.stake_every != 0 && round_ % load_.stake_every == 0) add_staking(round);
  return round;
}

}  // namespace aethel::sim
