#include "bench/ledger_benchmark.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.h"
#include "crypto/ed25519.h"
#include "crypto/sha256.h"
#include "fmt/format.h"
#include "ledger/admission.h"
#include "ledger/block_payload.h"
#include "ledger/chain_params.h"
#include "ledger/executor.h"
#include "ledger/genesis.h"
#include "ledger/mempool.h"
#include "ledger/proof_check.h"
#include "ledger/proof_verifier.h"
#include "ledger/transaction.h"
#include "state/ledger_state.h"

namespace aethel::bench {
namespace {

constexpr std::size_t kValidators = 4;
constexpr std::uint64_t kSenderBalance = 1'000'000'000;

crypto::KeyPair bench_key(const std::string& role, std::size_t index) {
  const Hash256 seed = crypto::sha256(fmt::format("bench-ledger-{}-{}", role, index));
  return crypto::keypair_from_seed(seed.array());
}

// One chain: parameters, funded senders and a validator set.
struct Chain {
  ledger::ChainParams params;
  std::vector<crypto::KeyPair> senders;
  ledger::Genesis genesis;
  consensus::ValidatorSetPtr validators;
};

Chain make_chain(std::size_t sender_count, std::size_t block_transactions) {
  Chain chain;
  chain.params = ledger::default_chain_params(crypto::sha256(std::string_view("bench ledger")));
  chain.params.max_block_transactions =
      std::max(chain.params.max_block_transactions, block_transactions);
  for (std::size_t i = 0; i < sender_count; ++i) {
    chain.senders.push_back(bench_key("sender", i));
    chain.genesis.accounts.push_back(
        {chain.senders.back().public_key, TokenAmount(kSenderBalance)});
  }
  for (std::size_t v = 0; v < kValidators; ++v) {
    chain.genesis.validators.push_back({bench_key("validator", v).public_key, Stake(1'000'000)});
  }
  chain.validators = std::make_shared<const consensus::ValidatorSet>(
      require(ledger::genesis_validator_set(chain.genesis, chain.params), "validator set"));
  return chain;
}

// A fresh state at genesis, persisted (fsync at every version) as a node's.
std::unique_ptr<state::LedgerState> open_state(const Chain& chain,
                                               const std::filesystem::path& directory) {
  state::TreeConfig tree;
  tree.sync_writes = true;
  auto ledger = require(
      state::LedgerState::open(directory, tree, ledger::ledger_config(chain.params)), "open state");
  require(ledger::apply_genesis(*ledger, chain.genesis, chain.params), "genesis");
  return ledger;
}

ledger::Transaction signed_transaction(const Chain& chain, const crypto::KeyPair& sender,
                                       ledger::Payload payload, std::uint64_t fee,
                                       std::uint64_t nonce) {
  ledger::Transaction transaction;
  transaction.payload = std::move(payload);
  transaction.fee = TokenAmount(fee);
  transaction.nonce = Nonce(nonce);
  ledger::sign_transaction(chain.params.chain_id, sender, transaction);
  return transaction;
}

// Transactions as a validator receives them: one encoded block payload.
Bytes proof_block(const Chain& chain, std::size_t count) {
  ledger::BlockPayload payload;
  for (std::size_t i = 0; i < count; ++i) {
    payload.transactions.push_back(signed_transaction(
        chain, chain.senders[i % chain.senders.size()],
        ledger::SubmitProof{transfer_program(i), WorkUnits(0)}, 1, i / chain.senders.size()));
  }
  return ledger::encode_block_payload(payload);
}

Bytes transfer_block(const Chain& chain, std::size_t count) {
  ledger::BlockPayload payload;
  const std::size_t senders = chain.senders.size();
  for (std::size_t i = 0; i < count; ++i) {
    const auto& receiver = chain.senders[(i + 1) % senders].public_key;
    payload.transactions.push_back(signed_transaction(chain, chain.senders[i % senders],
                                                      ledger::Transfer{receiver, TokenAmount(1)}, 1,
                                                      i / senders));
  }
  return ledger::encode_block_payload(payload);
}

struct VerifiedBlock {
  ledger::BlockPayload payload;
  ledger::VerifiedProofs proofs;
  double decode_s = 0;
  double judge_s = 0;
  bool all_proved = true;
};

// What a validator does before it votes, short of execution: decode the
// payload and judge every program it carries (or take cached outcomes).
VerifiedBlock verify_block(const Chain& chain, ByteView encoded, ledger::ProofVerifier& verifier) {
  VerifiedBlock block;
  auto start = Clock::now();
  block.payload = require(
      ledger::decode_block_payload(encoded, ledger::payload_limits(chain.params)), "decode block");
  block.decode_s = seconds_since(start);
  start = Clock::now();
  const auto programs = ledger::programs_of(block.payload);
  auto outcomes = verifier.verify(programs);
  for (auto& outcome : outcomes) {
    const ledger::ProofCheck check = require(std::move(outcome), "verify a program");
    if (!check.conclusive) throw std::runtime_error("a program was stopped by the time guard");
    block.all_proved = block.all_proved && check.verdict == judge::Verdict::kProved;
    block.proofs.emplace(check.proof_id, ledger::VerifiedProof{check.proof_id, check.verdict,
                                                               check.work, check.difficulty});
  }
  block.judge_s = seconds_since(start);
  return block;
}

struct Execution {
  double plan_s = 0;
  double apply_s = 0;
  std::size_t proofs_registered = 0;
};

// Block execution at height 1 on `state`: plan (signatures, fees, nonces,
// payloads, rewards) then one atomic, fsynced version.
Execution execute_block(const Chain& chain, state::LedgerState& state, const VerifiedBlock& block) {
  ledger::BlockExecutor executor(chain.params, chain.validators, state);
  ledger::BlockContext context;
  context.height = Height(1);
  context.proposer = ValidatorIndex(0);
  context.claims = require(ledger::claims_of(block.payload, block.proofs), "claims");
  context.payload_digest = ledger::payload_digest(block.payload);
  Execution execution;
  auto start = Clock::now();
  ledger::BlockPlan plan = require(executor.plan(context, block.payload, block.proofs), "plan");
  execution.plan_s = seconds_since(start);
  execution.proofs_registered = plan.proofs_registered;
  start = Clock::now();
  require(executor.apply(std::move(plan)), "apply");
  execution.apply_s = seconds_since(start);
  return execution;
}

// The judge alone: check_proof on every program, split in contiguous shares
// over `workers` forked processes. False if any program is not PROVED.
bool check_proofs_in_processes(const std::vector<ledger::SubmitProof>& programs, unsigned workers,
                               const judge::Limits& limits) {
  std::vector<pid_t> children;
  const std::size_t share = (programs.size() + workers - 1) / workers;
  for (unsigned w = 0; w < workers; ++w) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      bool proved = true;
      const std::size_t end = std::min(programs.size(), (w + 1) * share);
      for (std::size_t i = w * share; i < end; ++i) {
        auto check = ledger::check_proof(programs[i], limits);
        proved = proved && check && check->verdict == judge::Verdict::kProved;
      }
      ::_exit(proved ? 0 : 1);
    }
    if (pid > 0) children.push_back(pid);
  }
  bool proved = children.size() == workers;
  for (const pid_t child : children) {
    int status = 0;
    ::waitpid(child, &status, 0);
    proved = proved && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  return proved;
}

struct MempoolFill {
  std::size_t admitted = 0;
  std::size_t refused = 0;
  std::size_t single_count = 0;
  double single_s = 0;
  std::size_t batch_count = 0;
  double batch_s = 0;
  std::size_t pending = 0;
  double select_ms = 0;
  std::size_t selected = 0;
};

// Fills a mempool through admission: the first batch one transaction at a
// time (each judged alone), the rest in batches judged across the workers.
MempoolFill fill_mempool(const Chain& chain, const LedgerBenchmarkConfig& config) {
  const TemporaryDirectory folder = temporary_folder("aethel-bench-ledger");
  auto state = open_state(chain, folder.path());
  ledger::ProofVerifier verifier(chain.params.judge_limits, config.workers,
                                 2 * config.mempool_proofs);
  ledger::Mempool mempool{ledger::MempoolLimits{}};
  ledger::Admission admission(ledger::AdmissionConfig{chain.params.chain_id}, *state, verifier,
                              mempool);
  std::vector<Bytes> encoded;
  const std::size_t senders = chain.senders.size();
  for (std::size_t i = 0; i < config.mempool_proofs; ++i) {
    encoded.push_back(ledger::encode_transaction(signed_transaction(
        chain, chain.senders[i % senders],
        ledger::SubmitProof{transfer_program(1'000'000 + i), WorkUnits(0)}, i % 13, i / senders)));
  }
  MempoolFill fill;
  auto count = [&fill](const ledger::AdmissionOutcome& outcome) {
    if (outcome) {
      ++fill.admitted;
    } else {
      ++fill.refused;
    }
  };
  fill.single_count = std::min(config.admission_batch, encoded.size());
  auto start = Clock::now();
  for (std::size_t i = 0; i < fill.single_count; ++i) count(admission.admit(encoded[i]));
  fill.single_s = seconds_since(start);
  start = Clock::now();
  for (std::size_t from = fill.single_count; from < encoded.size();
       from += config.admission_batch) {
    const std::size_t to = std::min(encoded.size(), from + config.admission_batch);
    const std::vector<ByteView> views(encoded.begin() + static_cast<std::ptrdiff_t>(from),
                                      encoded.begin() + static_cast<std::ptrdiff_t>(to));
    for (const auto& outcome : admission.admit_batch(views)) count(outcome);
  }
  fill.batch_count = encoded.size() - fill.single_count;
  fill.batch_s = seconds_since(start);
  fill.pending = mempool.size();

  const ledger::NextNonceLookup next_nonce = [&state](const crypto::PublicKey& key) {
    auto account = state->account(key);
    return account && account->has_value() ? (*account)->nonce : Nonce(0);
  };
  start = Clock::now();
  const auto selected =
      mempool.select(chain.params.max_block_transactions, chain.params.max_block_bytes, next_nonce);
  fill.select_ms = seconds_since(start) * 1000.0;
  fill.selected = selected.size();
  return fill;
}

nlohmann::json machine_facts() {
  double load[3] = {0, 0, 0};
  const int got = ::getloadavg(load, 3);
  nlohmann::json facts = {{"cores", std::max(1u, std::thread::hardware_concurrency())}};
  facts["load_average"] = got == 3 ? nlohmann::json{load[0], load[1], load[2]} : nlohmann::json();
  return facts;
}

std::string measure(const LedgerBenchmarkConfig& config) {
  if (config.block_proofs == 0 || config.block_transfers == 0 || config.mempool_proofs == 0 ||
      config.admission_batch == 0 || config.workers == 0) {
    throw std::runtime_error("every count must be above zero");
  }
  // As every verifier does: the baseline runs under the same allocator settings.
  ledger::keep_prover_memory_in_the_heap();
  nlohmann::json out = machine_facts();
  out["benchmark"] = "ledger";
  out["workers"] = config.workers;
  const nlohmann::json facts_at_start = out["load_average"];

  const std::size_t block_senders = std::max(config.block_proofs, config.block_transfers);
  const Chain chain = make_chain(std::max<std::size_t>(block_senders, 1'000), block_senders);
  const judge::Limits& limits = chain.params.judge_limits;
  const Bytes proofs_encoded = proof_block(chain, config.block_proofs);
  const Bytes transfers_encoded = transfer_block(chain, config.block_transfers);

  // Baseline: the judge alone on the block's programs, same processes.
  std::vector<ledger::SubmitProof> programs;
  for (std::size_t i = 0; i < config.block_proofs; ++i) {
    programs.push_back({transfer_program(i), WorkUnits(0)});
  }
  auto start = Clock::now();
  const bool baseline_proved = check_proofs_in_processes(programs, config.workers, limits);
  const double baseline_s = seconds_since(start);
  // And in this process, one at a time: what single admissions compare with.
  const std::size_t single_baseline_count = std::max<std::size_t>(programs.size() / 4, 1);
  start = Clock::now();
  for (std::size_t i = 0; i < single_baseline_count; ++i) {
    require(ledger::check_proof(programs[i], limits), "check_proof");
  }
  const double single_baseline_s = seconds_since(start);

  // Cold: nothing cached, every program judged while the block is verified.
  const TemporaryDirectory cold_folder = temporary_folder("aethel-bench-ledger");
  auto cold_state = open_state(chain, cold_folder.path());
  ledger::ProofVerifier cold_verifier(limits, config.workers, 2 * config.block_proofs);
  const VerifiedBlock cold = verify_block(chain, proofs_encoded, cold_verifier);
  const Execution cold_execution = execute_block(chain, *cold_state, cold);

  // Warm: the block's transactions went through admission first.
  const TemporaryDirectory warm_folder = temporary_folder("aethel-bench-ledger");
  auto warm_state = open_state(chain, warm_folder.path());
  ledger::ProofVerifier warm_verifier(limits, config.workers, 2 * config.block_proofs);
  ledger::Mempool warm_mempool{ledger::MempoolLimits{}};
  ledger::Admission warm_admission(ledger::AdmissionConfig{chain.params.chain_id}, *warm_state,
                                   warm_verifier, warm_mempool);
  std::vector<Bytes> block_transactions;
  for (const auto& transaction : cold.payload.transactions) {
    block_transactions.push_back(ledger::encode_transaction(transaction));
  }
  const std::vector<ByteView> block_views(block_transactions.begin(), block_transactions.end());
  start = Clock::now();
  std::size_t block_admitted = 0;
  for (const auto& outcome : warm_admission.admit_batch(block_views))
    block_admitted += outcome ? 1u : 0u;
  const double block_admission_s = seconds_since(start);
  const VerifiedBlock warm = verify_block(chain, proofs_encoded, warm_verifier);
  const Execution warm_execution = execute_block(chain, *warm_state, warm);

  // Plain transfers: nothing to judge; execution checks every signature.
  const TemporaryDirectory transfer_folder = temporary_folder("aethel-bench-ledger");
  auto transfer_state = open_state(chain, transfer_folder.path());
  ledger::ProofVerifier transfer_verifier(limits, config.workers, 0);
  const VerifiedBlock transfers = verify_block(chain, transfers_encoded, transfer_verifier);
  const Execution transfer_execution = execute_block(chain, *transfer_state, transfers);

  const MempoolFill fill = fill_mempool(chain, config);

  const double cold_verify_s = cold.decode_s + cold.judge_s;
  const double warm_verify_s = warm.decode_s + warm.judge_s;
  const double execute_s = cold_execution.plan_s + cold_execution.apply_s;
  const double warm_execute_s = warm_execution.plan_s + warm_execution.apply_s;
  const double transfer_s =
      transfers.decode_s + transfer_execution.plan_s + transfer_execution.apply_s;
  const double block_cold_total_s = cold_verify_s + execute_s;
  const double admission_s = fill.single_s + fill.batch_s;

  out["block_proofs"] = config.block_proofs;
  out["all_proved"] = cold.all_proved && warm.all_proved && baseline_proved;
  out["proofs_registered"] = cold_execution.proofs_registered;
  out["block_decode_s"] = cold.decode_s;
  out["block_verify_cold_s"] = cold_verify_s;
  out["block_verify_warm_s"] = warm_verify_s;
  out["block_execute_s"] = execute_s;
  out["block_execute_plan_s"] = cold_execution.plan_s;
  out["block_execute_apply_s"] = cold_execution.apply_s;
  out["block_execute_warm_s"] = warm_execute_s;
  out["block_cold_total_s"] = block_cold_total_s;
  out["block_warm_total_s"] = warm_verify_s + warm_execute_s;
  out["proofs_per_s"] = per_second(config.block_proofs, block_cold_total_s);
  out["proofs_per_s_warm"] = per_second(config.block_proofs, warm_verify_s + warm_execute_s);
  out["warm_cache_hits"] = warm_verifier.counters().cache_hits;
  out["block_admission_s"] = block_admission_s;
  out["block_admitted"] = block_admitted;
  out["block_transfers"] = config.block_transfers;
  out["transfer_block_s"] = transfer_s;
  out["transfers_per_s"] = per_second(config.block_transfers, transfer_s);
  out["admission_per_s"] = per_second(fill.single_count + fill.batch_count, admission_s);
  out["admission_single_per_s"] = per_second(fill.single_count, fill.single_s);
  out["admission_batch_per_s"] = per_second(fill.batch_count, fill.batch_s);
  out["admission_batch"] = config.admission_batch;
  out["admitted"] = fill.admitted;
  out["admission_refused"] = fill.refused;
  out["mempool_pending"] = fill.pending;
  out["select_ms"] = fill.select_ms;
  out["selected"] = fill.selected;
  out["baseline_check_proof_s"] = baseline_s;
  out["baseline_proofs_per_s"] = per_second(config.block_proofs, baseline_s);
  out["baseline_proofs_per_s_1_process"] = per_second(single_baseline_count, single_baseline_s);
  out["verify_cold_to_baseline"] = baseline_s > 0 ? cold_verify_s / baseline_s : 0.0;
  out["target_block_s"] = 1.0;
  out["target_block_met"] = block_cold_total_s < 1.0;
  out["target_mempool_pending"] = 10'000;
  out["target_mempool_met"] = fill.pending >= 10'000;
  out["load_average_at_start"] = facts_at_start;
  out["load_average"] = machine_facts()["load_average"];
  return out.dump(2) + "\n";
}

}  // namespace

std::string run_ledger_benchmark(const LedgerBenchmarkConfig& config) {
  return json_or_error("ledger", [&config] { return measure(config); });
}

}  // namespace aethel::bench
