#include "bench/state_benchmark.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.h"
#include "crypto/sha256.h"
#include "fmt/format.h"
#include "state/proof.h"
#include "state/records.h"
#include "state/snapshot.h"
#include "state/tree_store.h"

namespace aethel::bench {
namespace {

// Threads for snapshot export and chunk verification: the 2 cores the
// targets are stated for.
constexpr unsigned kThreads = 2;

crypto::PublicKey account_owner(std::size_t index) {
  // Stand-in owner keys: the tree never checks that an owner is a curve point,
  // and deriving a million real key pairs would dominate the run.
  const Hash256 digest = crypto::sha256(fmt::format("bench-account-{}", index));
  return crypto::PublicKey(digest.array());
}

state::LeafUpdate account_update(std::size_t index, std::uint64_t balance, std::uint64_t nonce) {
  const state::AccountRecord record{account_owner(index), TokenAmount(balance), Nonce(nonce)};
  return state::LeafUpdate{state::account_key(record.owner), state::encode_record(record)};
}

// The timed workload: `batches` versions of `batch` distinct random accounts.
std::vector<std::vector<state::LeafUpdate>> random_update_batches(
    const StateBenchmarkConfig& config, std::mt19937_64& random) {
  std::vector<std::vector<state::LeafUpdate>> batches(config.batches);
  std::vector<std::size_t> indexes(config.accounts);
  for (std::size_t i = 0; i < indexes.size(); ++i) indexes[i] = i;
  const std::size_t per_batch = std::min(config.batch, config.accounts);
  for (std::size_t b = 0; b < config.batches; ++b) {
    // A partial Fisher-Yates shuffle picks distinct accounts.
    for (std::size_t i = 0; i < per_batch; ++i) {
      std::swap(indexes[i], indexes[i + random() % (indexes.size() - i)]);
      batches[b].push_back(account_update(indexes[i], 1000 + random() % 1'000'000, b + 1));
    }
  }
  return batches;
}

rocksdb::Options raw_options() {
  // The same settings as the state store, so the comparison is of the tree.
  rocksdb::Options options;
  options.create_if_missing = true;
  options.compression = rocksdb::kNoCompression;
  options.write_buffer_size = 64 << 20;
  options.max_background_jobs = 2;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = rocksdb::NewLRUCache(std::size_t{128} << 20);
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

void write_raw(rocksdb::DB& db, const std::vector<state::LeafUpdate>& updates, bool sync) {
  rocksdb::WriteBatch batch;
  for (const state::LeafUpdate& update : updates) {
    batch.Put(
        rocksdb::Slice(reinterpret_cast<const char*>(update.key.data()), state::TreeKey::kSize),
        rocksdb::Slice(reinterpret_cast<const char*>(update.value->data()), update.value->size()));
  }
  rocksdb::WriteOptions options;
  options.sync = sync;
  const rocksdb::Status status = db.Write(options, &batch);
  if (!status.ok()) throw std::runtime_error("raw RocksDB write: " + status.ToString());
}

struct LoadResult {
  double load_s = 0;
};

LoadResult load_accounts(state::TreeStore& store, rocksdb::DB& raw,
                         const StateBenchmarkConfig& config) {
  LoadResult result;
  const auto start = Clock::now();
  for (std::size_t begin = 0; begin < config.accounts; begin += config.batch) {
    std::vector<state::LeafUpdate> updates;
    const std::size_t end = std::min(config.accounts, begin + config.batch);
    for (std::size_t i = begin; i < end; ++i) updates.push_back(account_update(i, 1000, 0));
    write_raw(raw, updates, config.sync);
    require(store.apply(std::move(updates), {}), "loading accounts");
  }
  result.load_s = seconds_since(start);
  return result;
}

struct ProofFigures {
  double generate_per_s = 0;
  double verify_per_s = 0;
  bool all_valid = true;
  std::size_t average_bytes = 0;
};

ProofFigures measure_proofs(const state::TreeStore& store, const StateBenchmarkConfig& config,
                            std::mt19937_64& random) {
  std::vector<state::TreeKey> keys;
  for (std::size_t i = 0; i < config.proofs; ++i) {
    keys.push_back(i % 2 == 0 ? state::account_key(account_owner(random() % config.accounts))
                              : state::account_key(account_owner(config.accounts + i)));
  }
  const state::Version version = store.latest_version();
  std::vector<state::ValueWithProof> proofs;
  proofs.reserve(keys.size());
  auto start = Clock::now();
  for (const state::TreeKey& key : keys)
    proofs.push_back(require(store.get(key, version), "proof"));
  ProofFigures figures;
  figures.generate_per_s = per_second(keys.size(), seconds_since(start));
  const Hash256 root = store.latest().root();
  std::size_t valid = 0;
  std::size_t bytes = 0;
  start = Clock::now();
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto& value = proofs[i].value;
    const std::optional<ByteView> view =
        value ? std::optional<ByteView>(ByteView(*value)) : std::nullopt;
    valid += state::verify_proof(root, keys[i], view, proofs[i].proof).has_value() ? 1U : 0U;
  }
  figures.verify_per_s = per_second(keys.size(), seconds_since(start));
  for (const auto& proof : proofs) bytes += state::encode_proof(proof.proof).size();
  figures.all_valid = valid == keys.size() && !keys.empty();
  figures.average_bytes = keys.empty() ? 0 : bytes / keys.size();
  return figures;
}

struct SnapshotFigures {
  double export_s = 0;
  double import_s = 0;
  bool roots_match = false;
  std::size_t chunks = 0;
  std::size_t bytes = 0;
};

SnapshotFigures measure_snapshot(const state::TreeStore& source,
                                 const std::filesystem::path& target, bool sync) {
  SnapshotFigures figures;
  const state::Version version = source.latest_version();
  auto start = Clock::now();
  const auto manifest = require(state::snapshot_manifest(source, version), "snapshot manifest");
  const std::vector<Bytes> chunks =
      require(state::export_snapshot(source, manifest, kThreads), "exporting the snapshot");
  for (const Bytes& chunk : chunks) figures.bytes += chunk.size();
  figures.export_s = seconds_since(start);
  figures.chunks = chunks.size();

  start = Clock::now();
  state::TreeConfig config;
  config.sync_writes = sync;
  auto store = require(state::TreeStore::open(target, config), "opening the import store");
  state::SnapshotImporter importer(manifest);
  for (auto& added : importer.add_chunks(chunks, kThreads)) {
    require(std::move(added), "importing a chunk");
  }
  const auto info = require(importer.finish(*store, {}), "finishing the import");
  figures.import_s = seconds_since(start);
  figures.roots_match = info.root() == manifest.root && info.version == version;
  return figures;
}

std::string measure(const StateBenchmarkConfig& config) {
  const TemporaryDirectory folder = temporary_folder("aethel-bench-state");
  std::mt19937_64 random(20261124);
  state::TreeConfig tree_config;
  tree_config.sync_writes = config.sync;
  tree_config.versions_kept = 16;
  auto store = require(state::TreeStore::open(folder.path() / "state", tree_config), "opening");
  rocksdb::DB* raw_pointer = nullptr;
  const rocksdb::Status opened =
      rocksdb::DB::Open(raw_options(), (folder.path() / "raw").string(), &raw_pointer);
  if (!opened.ok()) throw std::runtime_error("opening raw RocksDB: " + opened.ToString());
  std::unique_ptr<rocksdb::DB> raw(raw_pointer);

  const LoadResult load = load_accounts(*store, *raw, config);
  const auto batches = random_update_batches(config, random);
  std::size_t updates = 0;
  for (const auto& batch : batches) updates += batch.size();

  // The raw baseline first and the tree second, each over the same batches.
  auto start = Clock::now();
  for (const auto& batch : batches) write_raw(*raw, batch, config.sync);
  const double raw_s = seconds_since(start);
  raw.reset();

  start = Clock::now();
  for (const auto& batch : batches) require(store->apply(batch, {}), "updating accounts");
  const double tree_s = seconds_since(start);

  const ProofFigures proofs = measure_proofs(*store, config, random);
  const SnapshotFigures snapshot =
      measure_snapshot(*store, folder.path() / "imported", config.sync);

  nlohmann::json out;
  out["benchmark"] = "state";
  out["cores"] = std::thread::hardware_concurrency();
  out["accounts"] = config.accounts;
  out["batch"] = config.batch;
  out["timed_batches"] = config.batches;
  out["sync"] = config.sync;
  out["load_s"] = load.load_s;
  out["updates_per_s"] = per_second(updates, tree_s);
  out["raw_rocksdb_updates_per_s"] = per_second(updates, raw_s);
  out["ratio_to_raw"] = raw_s > 0 ? raw_s / tree_s : 0.0;
  out["proofs"] = config.proofs;
  out["proof_gen_per_s"] = proofs.generate_per_s;
  out["proof_verify_per_s"] = proofs.verify_per_s;
  out["proofs_valid"] = proofs.all_valid;
  out["proof_bytes_avg"] = proofs.average_bytes;
  out["snapshot_chunks"] = snapshot.chunks;
  out["snapshot_bytes"] = snapshot.bytes;
  out["snapshot_export_s"] = snapshot.export_s;
  out["snapshot_import_s"] = snapshot.import_s;
  out["roots_match"] = snapshot.roots_match;
  out["root"] = store->latest().root().hex();
  return out.dump(2) + "\n";
}

}  // namespace

std::string run_state_benchmark(const StateBenchmarkConfig& config) {
  return json_or_error("state", [&config] { return measure(config); });
}

}  // namespace aethel::bench
