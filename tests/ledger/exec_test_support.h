// A small chain for execution tests: real Ed25519 keys, a real LedgerState
// in a temporary folder, genesis, and blocks whose payloads carry real
// commit certificates signed by the validators chosen as signers.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "consensus/block.h"
#include "consensus/messages.h"
#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "ledger/block_payload.h"
#include "ledger/chain_params.h"
#include "ledger/executor.h"
#include "ledger/genesis.h"
#include "state/ledger_state.h"
#include "tests/support/scale.h"
#include "tests/support/temp_dir.h"

namespace aethel::ledger::testing {

using aethel::testing::kScale;

using aethel::testing::TempDir;

// Deterministic keys: `role` separates validators from users.
inline crypto::KeyPair test_keypair(std::uint8_t role, std::uint32_t index) {
  std::array<std::uint8_t, crypto::kSeedSize> seed{};
  seed[0] = 0x1E;
  seed[1] = role;
  seed[2] = static_cast<std::uint8_t>(index >> 8);
  seed[3] = static_cast<std::uint8_t>(index);
  return crypto::keypair_from_seed(seed);
}

inline ChainParams test_params() {
  ChainParams params = default_chain_params(crypto::sha256(std::string_view("exec test chain")));
  params.emission.cap = TokenAmount(1'000'000);
  params.emission.initial_block_allowance = TokenAmount(1'000);
  params.emission.halving_interval = 1'000;
  params.reward.base = TokenAmount(10);
  params.reward.scale = Difficulty(1);
  params.reward.proposer_bonus_bps = 1'000;
  params.minimum_stake = Stake(1'000);
  params.evidence_max_age = 2;
  params.unbonding_period = 3;
  params.epoch_length = 5;
  params.max_block_transactions = 256;
  return params;
}

struct ChainOptions {
  std::size_t validators = 4;
  std::uint64_t validator_stake = 10'000;
  std::vector<std::uint64_t> stakes;  // one per validator, overriding validator_stake
  std::size_t users = 4;
  std::uint64_t user_balance = 100'000;
  bool fund_validator_accounts = true;
  ChainParams params = test_params();
};

// Proof programs are never judged here: tests choose each outcome.
inline SubmitProof test_program(std::uint64_t n) {
  return SubmitProof{"intent p" + std::to_string(n) + "() { verify { true } }", WorkUnits(0)};
}

class TestChain {
 public:
  explicit TestChain(ChainOptions options = {}) : params_(options.params) {
    const std::size_t validator_count =
        options.stakes.empty() ? options.validators : options.stakes.size();
    for (std::uint32_t i = 0; i < validator_count; ++i) {
      validator_keys_.push_back(test_keypair(1, i));
      const std::uint64_t stake =
          options.stakes.empty() ? options.validator_stake : options.stakes[i];
      genesis_.validators.push_back({validator_keys_.back().public_key, Stake(stake)});
      if (options.fund_validator_accounts) {
        genesis_.accounts.push_back(
            {validator_keys_.back().public_key, TokenAmount(options.user_balance)});
      }
    }
    for (std::uint32_t i = 0; i < options.users; ++i) {
      user_keys_.push_back(test_keypair(2, i));
      genesis_.accounts.push_back(
          {user_keys_.back().public_key, TokenAmount(options.user_balance)});
    }
    state::TreeConfig tree;
    tree.sync_writes = false;
    auto opened = state::LedgerState::open(dir_.path(), tree, ledger_config(params_));
    AETHEL_ASSERT(opened.has_value());
    state_ = std::move(*opened);
    AETHEL_ASSERT(apply_genesis(*state_, genesis_, params_).has_value());
    auto set = genesis_validator_set(genesis_, params_);
    AETHEL_ASSERT(set.has_value());
    validators_ = std::make_shared<const consensus::ValidatorSet>(std::move(*set));
    executor_ = std::make_unique<BlockExecutor>(params_, validators_, *state_);
  }

  const ChainParams& params() const { return params_; }
  state::LedgerState& state() { return *state_; }
  BlockExecutor& executor() { return *executor_; }
  const consensus::ValidatorSet& validators() const { return *validators_; }
  const crypto::KeyPair& validator(std::size_t i) const { return validator_keys_.at(i); }
  std::size_t validator_count() const { return validator_keys_.size(); }
  const crypto::KeyPair& user(std::size_t i) const { return user_keys_.at(i); }
  std::size_t user_count() const { return user_keys_.size(); }
  Height next_height() const { return next_height_; }
  const Hash256& parent_digest() const { return parent_digest_; }
  const consensus::CertificatePtr& last_commit() const { return last_commit_; }

  // A signed transaction with the sender's next nonce as this chain has
  // tracked it (advanced only by committed blocks) plus `nonce_offset`.
  Transaction transaction(const crypto::KeyPair& sender, Payload payload, std::uint64_t fee = 1,
                          std::uint64_t nonce_offset = 0) const {
    Transaction transaction{std::move(payload),
                            TokenAmount(fee),
                            Nonce(next_nonce(sender.public_key) + nonce_offset),
                            {}};
    sign_transaction(params_.chain_id, sender, transaction);
    return transaction;
  }

  std::uint64_t next_nonce(const crypto::PublicKey& key) const {
    auto account = state_->account(key);
    AETHEL_ASSERT(account.has_value());
    return *account ? (*account)->nonce.value() : 0;
  }

  BlockPayload payload(std::vector<Transaction> transactions) const {
    return BlockPayload{last_commit_, std::move(transactions)};
  }

  // The block a proposer makes of `payload`, claims derived from `proofs`.
  consensus::Block block_of(const BlockPayload& payload, const VerifiedProofs& proofs,
                            std::size_t proposer = 0) const {
    consensus::Block block;
    block.height = next_height_;
    block.parent_digest = parent_digest_;
    block.proposer = ValidatorIndex(proposer);
    auto claims = claims_of(payload, proofs);
    if (claims) block.claims = std::move(*claims);
    block.payload_digest = payload_digest(payload);
    return block;
  }

  Result<BlockPlan> plan(const BlockPayload& payload, const VerifiedProofs& proofs = {},
                         std::size_t proposer = 0) const {
    return executor_->plan(context_of(block_of(payload, proofs, proposer)), payload, proofs);
  }

  // Executes the block and signs its commit certificate with `signers`
  // (every validator when empty), for the next block to carry.
  Result<BlockPlan> commit(const BlockPayload& payload, const VerifiedProofs& proofs = {},
                           std::vector<std::size_t> signers = {}, std::size_t proposer = 0) {
    const consensus::Block block = block_of(payload, proofs, proposer);
    auto planned = executor_->plan(context_of(block), payload, proofs);
    if (!planned) return planned;
    BlockPlan copy = *planned;
    auto applied = executor_->apply(std::move(copy));
    if (!applied) return unexpected<Error>(std::move(applied).error());
    parent_digest_ = consensus::block_digest(block);
    last_commit_ = sign_commit(block.height, parent_digest_, signers);
    next_height_ = next_height_.next();
    return planned;
  }

  consensus::CertificatePtr sign_commit(Height height, const Hash256& digest,
                                        std::vector<std::size_t> signers) const {
    if (signers.empty()) {
      for (std::size_t i = 0; i < validator_keys_.size(); ++i) signers.push_back(i);
    }
    auto certificate = std::make_shared<consensus::Certificate>();
    certificate->phase = consensus::VotePhase::kCommit;
    certificate->view = View(0);
    certificate->height = height;
    certificate->digest = digest;
    for (const std::size_t signer : signers) {
      const consensus::Vote vote = consensus::sign_vote(
          params_.chain_id, validator_keys_.at(signer).secret_key, consensus::VotePhase::kCommit,
          View(0), height, digest, ValidatorIndex(signer));
      certificate->signatures.push_back({ValidatorIndex(signer), vote.signature});
    }
    return certificate;
  }

  state::AccountRecord account(const crypto::PublicKey& key) const {
    auto account = state_->account(key);
    AETHEL_ASSERT(account.has_value());
    return account->value_or(state::AccountRecord{key, TokenAmount(0), Nonce(0)});
  }
  state::ValidatorRecord validator_record(const crypto::PublicKey& key) const {
    auto record = state_->validator(key);
    AETHEL_ASSERT(record.has_value() && record->has_value());
    return **record;
  }
  Hash256 root() const { return state_->tree().latest().root(); }

 private:
  TempDir dir_;
  ChainParams params_;
  std::vector<crypto::KeyPair> validator_keys_;
  std::vector<crypto::KeyPair> user_keys_;
  Genesis genesis_;
  std::unique_ptr<state::LedgerState> state_;
  consensus::ValidatorSetPtr validators_;
  std::unique_ptr<BlockExecutor> executor_;
  Height next_height_{1};
  Hash256 parent_digest_;
  consensus::CertificatePtr last_commit_;
};

inline VerifiedProof outcome(const SubmitProof& program, judge::Verdict verdict,
                             std::uint64_t difficulty, std::uint64_t work = 1'000) {
  return VerifiedProof{proof_id(program), verdict, WorkUnits(work), Difficulty(difficulty)};
}

}  // namespace aethel::ledger::testing
