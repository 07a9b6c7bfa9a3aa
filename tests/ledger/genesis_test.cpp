// Chain parameters and genesis: what each refuses, naming the field or
// entry, and what genesis writes.
#include "ledger/genesis.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "tests/ledger/exec_test_support.h"

namespace aethel::ledger::testing {
namespace {

struct ParamsRefusal {
  std::string field;
  std::function<void(ChainParams&)> alter;
};

TEST(ChainParams, DefaultsValidateAndEachBadValueIsNamed) {
  EXPECT_TRUE(default_chain_params(Hash256()).validate());
  EXPECT_TRUE(test_params().validate());
  const std::vector<ParamsRefusal> table{
      {"emission", [](ChainParams& p) { p.emission.halving_interval = 0; }},
      {"emission",
       [](ChainParams& p) { p.emission.initial_block_allowance = TokenAmount(2'000'000); }},
      {"reward", [](ChainParams& p) { p.reward.scale = Difficulty(0); }},
      {"reward", [](ChainParams& p) { p.reward.proposer_bonus_bps = 10'001; }},
      {"minimum_stake", [](ChainParams& p) { p.minimum_stake = Stake(0); }},
      {"consensus_stake_unit", [](ChainParams& p) { p.consensus_stake_unit = 0; }},
      {"evidence_max_age", [](ChainParams& p) { p.evidence_max_age = 0; }},
      {"unbonding_period", [](ChainParams& p) { p.unbonding_period = p.evidence_max_age; }},
      {"epoch_length", [](ChainParams& p) { p.epoch_length = 0; }},
      {"max_block_transactions", [](ChainParams& p) { p.max_block_transactions = 0; }},
      {"max_block_transactions",
       [](ChainParams& p) { p.max_block_transactions = kMaxBlockTransactionsCeiling + 1; }},
      {"max_block_bytes", [](ChainParams& p) { p.max_block_bytes = kMaxTransactionBytes - 1; }},
      {"max_block_bytes", [](ChainParams& p) { p.max_block_bytes = kMaxBlockBytesCeiling + 1; }},
      {"max_block_work",
       [](ChainParams& p) {
         p.max_block_work = WorkUnits(p.judge_limits.program_budget_max - 1);
       }},
      {"judge_limits.program_budget_max",
       [](ChainParams& p) { p.judge_limits.program_budget_max = p.judge_limits.budget_max - 1; }},
      {"judge_limits.budget_default",
       [](ChainParams& p) { p.judge_limits.budget_default = p.judge_limits.budget_max + 1; }},
      {"judge_limits.budget_max", [](ChainParams& p) { p.judge_limits.budget_max = 0; }},
      {"judge_limits.source_bytes_max",
       [](ChainParams& p) { p.judge_limits.source_bytes_max = 0; }},
  };
  for (const ParamsRefusal& row : table) {
    ChainParams params = test_params();
    row.alter(params);
    const auto refused = params.validate();
    ASSERT_FALSE(refused) << row.field;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(refused.error().message.find(row.field), std::string::npos)
        << refused.error().message;
  }
  EXPECT_EQ(ledger_config(test_params()).emission_cap, test_params().emission.cap);
}

Genesis small_genesis() {
  Genesis genesis;
  genesis.accounts = {{test_keypair(2, 0).public_key, TokenAmount(500)},
                      {test_keypair(2, 1).public_key, TokenAmount(0)}};
  genesis.validators = {{test_keypair(1, 0).public_key, Stake(1'000)},
                        {test_keypair(1, 1).public_key, Stake(3'000)}};
  return genesis;
}

struct GenesisRefusal {
  std::string name;
  std::function<void(Genesis&)> alter;
  std::string message_part;
};

TEST(Genesis, RefusesWhatCannotStartAChain) {
  const ChainParams params = test_params();
  EXPECT_TRUE(validate_genesis(small_genesis(), params));
  const std::vector<GenesisRefusal> table{
      {"no validators", [](Genesis& g) { g.validators.clear(); }, "no validators"},
      {"repeated account", [](Genesis& g) { g.accounts.push_back(g.accounts[0]); },
       "accounts[2] repeats"},
      {"repeated validator", [](Genesis& g) { g.validators.push_back(g.validators[1]); },
       "validators[2] repeats"},
      {"stake below minimum", [](Genesis& g) { g.validators[1].stake = Stake(999); },
       "validators[1] stake 999 is below the minimum 1000"},
      {"holdings overflow",
       [](Genesis& g) { g.accounts[1].balance = TokenAmount(TokenAmount::max().value() - 100); },
       "pass 2^64"},
  };
  for (const GenesisRefusal& row : table) {
    SCOPED_TRACE(row.name);
    Genesis genesis = small_genesis();
    row.alter(genesis);
    const auto refused = validate_genesis(genesis, params);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find(row.message_part), std::string::npos)
        << refused.error().message;
  }
}

TEST(Genesis, WritesAccountsAndActiveValidatorsAndTheSupply) {
  const ChainParams params = test_params();
  TempDir dir;
  state::TreeConfig tree;
  tree.sync_writes = false;
  auto state = state::LedgerState::open(dir.path(), tree, ledger_config(params));
  ASSERT_TRUE(state);
  const Genesis genesis = small_genesis();
  ASSERT_TRUE(apply_genesis(**state, genesis, params));
  auto supply = (*state)->supply();
  ASSERT_TRUE(supply);
  EXPECT_EQ(supply->genesis, TokenAmount(4'500));
  auto validator = (*state)->validator(test_keypair(1, 1).public_key);
  ASSERT_TRUE(validator && *validator);
  EXPECT_EQ((*validator)->stake, Stake(3'000));
  EXPECT_EQ((*validator)->status, state::ValidatorStatus::kActive);
  auto account = (*state)->account(test_keypair(2, 0).public_key);
  ASSERT_TRUE(account && *account);
  EXPECT_EQ((*account)->balance, TokenAmount(500));
  EXPECT_TRUE((*state)->audit((*state)->tree().latest_version()));
  // A second genesis is refused by the state.
  EXPECT_FALSE(apply_genesis(**state, genesis, params));

  auto set = genesis_validator_set(genesis, params);
  ASSERT_TRUE(set);
  EXPECT_EQ(set->size(), 2u);
  EXPECT_EQ(set->at(ValidatorIndex(1)).public_key, test_keypair(1, 1).public_key);
  EXPECT_EQ(set->total_stake(), Stake(4'000));
}

}  // namespace
}  // namespace aethel::ledger::testing
