#include "ledger/genesis.h"

#include <set>
#include <string>

#include "core/try.h"

namespace aethel::ledger {
namespace {

Result<void> refuse(const std::string& what) {
  return fail(ErrorCode::kInvalidArgument, "genesis: " + what);
}

Result<void> check_accounts(const Genesis& genesis, TokenAmount& held) {
  std::set<crypto::PublicKey> seen;
  for (std::size_t i = 0; i < genesis.accounts.size(); ++i) {
    const GenesisAccount& account = genesis.accounts[i];
    if (!seen.insert(account.owner).second) {
      return refuse("accounts[" + std::to_string(i) + "] repeats owner " + account.owner.hex());
    }
    const auto sum = held.checked_add(account.balance);
    if (!sum)
      return fail(ErrorCode::kLimit,
                  "genesis: holdings pass 2^64 at accounts[" + std::to_string(i) + "]");
    held = *sum;
  }
  return {};
}

Result<void> check_validators(const Genesis& genesis, const ChainParams& params,
                              TokenAmount& held) {
  if (genesis.validators.empty()) return refuse("no validators");
  if (genesis.validators.size() > consensus::kMaxValidators) {
    return refuse(std::to_string(genesis.validators.size()) + " validators, more than " +
                  std::to_string(consensus::kMaxValidators));
  }
  std::set<crypto::PublicKey> seen;
  for (std::size_t i = 0; i < genesis.validators.size(); ++i) {
    const GenesisValidator& validator = genesis.validators[i];
    const std::string where = "validators[" + std::to_string(i) + "]";
    if (!seen.insert(validator.public_key).second) {
      return refuse(where + " repeats key " + validator.public_key.hex());
    }
    if (validator.stake < params.minimum_stake) {
      return refuse(where + " stake " + to_string(validator.stake) + " is below the minimum " +
                    to_string(params.minimum_stake));
    }
    const auto sum = held.checked_add(TokenAmount(validator.stake.value()));
    if (!sum) return fail(ErrorCode::kLimit, "genesis: holdings pass 2^64 at " + where);
    held = *sum;
  }
  return {};
}

}  // namespace

Result<void> validate_genesis(const Genesis& genesis, const ChainParams& params) {
  TokenAmount held;
  AETHEL_TRY(check_accounts(genesis, held));
  return check_validators(genesis, params, held);
}

std::vector<state::Record> genesis_records(const Genesis& genesis) {
  std::vector<state::Record> records;
  records.reserve(genesis.accounts.size() + genesis.validators.size());
  for (const GenesisAccount& account : genesis.accounts) {
    records.emplace_back(state::AccountRecord{account.owner, account.balance, Nonce(0)});
  }
  for (const GenesisValidator& validator : genesis.validators) {
    state::ValidatorRecord record;
    record.public_key = validator.public_key;
    record.stake = validator.stake;
    record.status = state::ValidatorStatus::kActive;
    records.emplace_back(record);
  }
  return records;
}

Result<consensus::ValidatorSet> genesis_validator_set(const Genesis& genesis,
                                                      const ChainParams& params) {
  std::vector<consensus::Validator> validators;
  validators.reserve(genesis.validators.size());
  for (const GenesisValidator& validator : genesis.validators) {
    validators.push_back(consensus::Validator{
        validator.public_key, Stake(validator.stake.value() / params.consensus_stake_unit)});
  }
  return consensus::ValidatorSet::create(std::move(validators), params.minimum_stake);
}

Result<state::VersionInfo> apply_genesis(state::LedgerState& state, const Genesis& genesis,
                                         const ChainParams& params) {
  AETHEL_TRY(validate_genesis(genesis, params));
  return state.apply_genesis(genesis_records(genesis));
}

}  // namespace aethel::ledger
