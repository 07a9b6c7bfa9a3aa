// The initial state of a chain: funded accounts and bonded validators.
//
// Validators are identified by their Ed25519 key, which is also the key of
// the account their rewards are paid into; a validator needs no genesis
// account (one is created with its first reward). The validators' order is
// the consensus validator set's order (a validator's index).
#pragma once

#include <vector>

#include "consensus/validator_set.h"
#include "core/error.h"
#include "core/types.h"
#include "crypto/ed25519.h"
#include "ledger/chain_params.h"
#include "state/ledger_state.h"
#include "state/records.h"

namespace aethel::ledger {

struct GenesisAccount {
  crypto::PublicKey owner;
  TokenAmount balance;
  friend bool operator==(const GenesisAccount&, const GenesisAccount&) = default;
};

struct GenesisValidator {
  crypto::PublicKey public_key;
  Stake stake;
  friend bool operator==(const GenesisValidator&, const GenesisValidator&) = default;
};

struct Genesis {
  std::vector<GenesisAccount> accounts;
  std::vector<GenesisValidator> validators;
};

// Refuses (kInvalidArgument), naming the entry: no validators, more than
// consensus::kMaxValidators, a repeated account or validator key, a stake
// below params.minimum_stake, and (kLimit) holdings whose sum passes 2^64.
Result<void> validate_genesis(const Genesis& genesis, const ChainParams& params);

// The records genesis writes: one account per genesis account (nonce 0) and
// one active validator record per validator.
std::vector<state::Record> genesis_records(const Genesis& genesis);

// The consensus validator set, in genesis order, each stake divided by
// params.consensus_stake_unit.
Result<consensus::ValidatorSet> genesis_validator_set(const Genesis& genesis,
                                                      const ChainParams& params);

// Validates, then writes genesis as the first version of an empty state.
Result<state::VersionInfo> apply_genesis(state::LedgerState& state, const Genesis& genesis,
                                         const ChainParams& params);

}  // namespace aethel::ledger
