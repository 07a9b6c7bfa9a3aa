#include "sim/ledger_world.h"

#include "ledger/block_payload.h"
#include "ledger/executor.h"
#include "ledger/proof_check.h"

namespace aethel::sim {
namespace {

constexpr std::uint32_t kLoadAccounts = 8;
constexpr std::uint64_t kAccountBalance = 10'000'000;
constexpr std::uint64_t kValidatorBalance = 1'000'000;
constexpr TokenAmount kEvidenceFee{2};

ledger::ChainParams run_params(const Hash256& chain_id) {
  ledger::ChainParams params = ledger::default_chain_params(chain_id);
  // Short periods, so that a run of a few dozen blocks sees stake released
  // and epochs change; evidence reaches a block within a few heights.
  params.consensus_stake_unit = kLedgerStakeUnit;
  params.evidence_max_age = 6;
  params.unbonding_period = 8;
  params.epoch_length = 8;
  params.max_block_transactions = 64;
  params.max_block_bytes = 4 * 1024 * 1024;
  AETHEL_ASSERT_MSG(params.validate().has_value(), "the simulated chain's parameters validate");
  return params;
}

}  // namespace

bool LedgerTruth::claim_is_true(const consensus::Claim& claim) const {
  auto [entry, inserted] = judged_.try_emplace(claim.proof_id);
  if (inserted) {
    const auto program = programs_.find(claim.proof_id);
    if (program != programs_.end()) {
      const auto check = ledger::check_proof(program->second, limits_);
      if (check && check->conclusive) {
        entry->second = consensus::Claim{claim.proof_id, ledger::claimed_verdict_of(check->verdict),
                                         check->difficulty};
      }
    }
  }
  return entry->second.has_value() && *entry->second == claim;
}

LedgerWorld::LedgerWorld(const SimOptions& options, const Hash256& chain_id,
                         consensus::ValidatorSetPtr validators,
                         const std::vector<crypto::KeyPair>& validator_keys,
                         std::uint64_t load_seed)
    : validators_(std::move(validators)),
      validator_keys_(validator_keys),
      params_(run_params(chain_id)),
      load_(load_seed, chain_id, options.load, kLoadAccounts, TokenAmount(kAccountBalance),
            TokenAmount(2 * params_.minimum_stake.value())),
      truth_(load_.programs(), params_.judge_limits),
      evidence_nonces_(validator_keys.size(), Nonce(0)) {
  genesis_.accounts = load_.genesis_accounts();
  for (std::uint32_t i = 0; i < validators_->size(); ++i) {
    const auto& validator = validators_->at(ValidatorIndex(i));
    genesis_.accounts.push_back({validator.public_key, TokenAmount(kValidatorBalance)});
    genesis_.validators.push_back(
        {validator.public_key, Stake(validator.stake.value() * kLedgerStakeUnit)});
  }
  AETHEL_ASSERT_MSG(ledger::validate_genesis(genesis_, params_).has_value(),
                    "the simulated genesis validates");
}

std::optional<Bytes> LedgerWorld::evidence_transaction(std::uint32_t reporter,
                                                       const consensus::Evidence& evidence) {
  // One act is slashed once on chain (ledger::offence_id); a second piece of
  // evidence of it would be refused by execution, so it is not submitted.
  const crypto::PublicKey& offender = validators_->at(consensus::offender(evidence)).public_key;
  if (!offences_.insert(ledger::offence_id(evidence, offender)).second) return std::nullopt;
  ledger::SubmitEvidence submit{consensus::encode_evidence(evidence), std::nullopt};
  if (const auto accused = consensus::accused_claim(evidence)) {
    const auto& claim = accused->block->claims.at(accused->claim_index);
    const ledger::PayloadPtr payload = payloads_.find(accused->block->payload_digest);
    if (payload) {
      for (const auto* program : ledger::programs_of(*payload)) {
        if (ledger::proof_id(*program) == claim.proof_id) submit.proof = *program;
      }
    }
    if (!submit.proof) {
      violation("evidence against validator " +
                std::to_string(consensus::offender(evidence).value()) +
                " names a proof whose program no payload holds");
      return std::nullopt;
    }
  }
  ledger::Transaction transaction;
  transaction.payload = std::move(submit);
  transaction.fee = kEvidenceFee;
  Nonce& nonce = evidence_nonces_.at(reporter);
  transaction.nonce = nonce;
  nonce = Nonce(nonce.value() + 1);
  ledger::sign_transaction(params_.chain_id, validator_keys_.at(reporter), transaction);
  ++evidence_submitted_;
  return ledger::encode_transaction(transaction);
}

void LedgerWorld::evidence_refused(std::uint32_t reporter) {
  Nonce& nonce = evidence_nonces_.at(reporter);
  AETHEL_ASSERT(nonce.value() > 0 && evidence_submitted_ > 0);
  nonce = Nonce(nonce.value() - 1);
  --evidence_submitted_;
  ++evidence_refused_;
}

void LedgerWorld::on_executed(std::uint32_t node, std::uint64_t height, const Hash256& root) {
  const auto [entry, first] = root_by_height_.try_emplace(height, root);
  if (!first && entry->second != root) {
    roots_equal_ = false;
    violation("state roots: node " + std::to_string(node) + " reached " + root.hex().substr(0, 16) +
              " at height " + std::to_string(height) + " where another honest node reached " +
              entry->second.hex().substr(0, 16));
  }
}

void LedgerWorld::violation(std::string text) {
  if (violations_.size() < 32) violations_.push_back(std::move(text));
}

}  // namespace aethel::sim
