// The versioned tree against a reference model: roots, proofs, versions,
// deletion, reopening and pruning.
#include "state/tree_store.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>

#include "state/proof.h"
#include "state/storage_layout.h"
#include "tests/state/test_support.h"

namespace aethel::state {
namespace {

using testing::reference_root;
using testing::TempDir;
using testing::test_key;
using testing::test_value;

TreeConfig fast_config() {
  TreeConfig config;
  config.sync_writes = false;
  return config;
}

std::unique_ptr<TreeStore> open_store(const TempDir& dir, TreeConfig config = fast_config()) {
  auto store = TreeStore::open(dir.path(), config);
  EXPECT_TRUE(store.has_value()) << (store ? "" : store.error().to_string());
  return store ? std::move(*store) : nullptr;
}

// Applies `changes` to both the store and the reference map.
void apply_both(TreeStore& store, std::map<TreeKey, Bytes>& reference,
                const std::vector<LeafUpdate>& changes) {
  for (const LeafUpdate& change : changes) {
    if (change.value) {
      reference[change.key] = *change.value;
    } else {
      reference.erase(change.key);
    }
  }
  auto info = store.apply(changes, {});
  ASSERT_TRUE(info.has_value()) << info.error().to_string();
  EXPECT_EQ(info->root(), reference_root(reference));
  EXPECT_EQ(info->leaf_count, reference.size());
}

void expect_proofs_verify(const TreeStore& store, Version version,
                          const std::map<TreeKey, Bytes>& reference, std::uint64_t probe_count) {
  auto info = store.version_info(version);
  ASSERT_TRUE(info.has_value());
  for (const auto& [key, value] : reference) {
    auto got = store.get(key, version);
    ASSERT_TRUE(got.has_value()) << got.error().to_string();
    ASSERT_TRUE(got->value.has_value());
    EXPECT_EQ(*got->value, value);
    EXPECT_TRUE(verify_proof(info->root(), key, ByteView(value), got->proof).has_value());
    auto decoded = decode_proof(encode_proof(got->proof));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, got->proof);
  }
  for (std::uint64_t n = 0; n < probe_count; ++n) {
    const TreeKey absent = test_key(1'000'000 + n);
    auto got = store.get(absent, version);
    ASSERT_TRUE(got.has_value());
    EXPECT_FALSE(got->value.has_value());
    EXPECT_TRUE(verify_proof(info->root(), absent, std::nullopt, got->proof).has_value());
  }
}

TEST(TreeStore, EmptyTreeHasEmptyRootAndProvesAbsence) {
  TempDir dir;
  auto store = open_store(dir);
  EXPECT_EQ(store->latest_version(), 0U);
  EXPECT_EQ(store->latest().root(), empty_subtree_hash());
  auto got = store->get(test_key(1), 0);
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(got->value.has_value());
  EXPECT_TRUE(got->proof.siblings.empty());
  EXPECT_TRUE(verify_proof(empty_subtree_hash(), test_key(1), std::nullopt, got->proof));
}

TEST(TreeStore, SingleLeafRootIsTheLeafHash) {
  TempDir dir;
  auto store = open_store(dir);
  const Bytes value = test_value(1, 0);
  auto info = store->apply({{test_key(1), value}}, {});
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->root(), leaf_hash(test_key(1), value_hash(value)));
  // Another key is proven absent by the lone leaf occupying the root.
  auto got = store->get(test_key(2), 1);
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->proof.terminal.has_value());
  EXPECT_EQ(got->proof.terminal->key, test_key(1));
  EXPECT_TRUE(verify_proof(info->root(), test_key(2), std::nullopt, got->proof));
  EXPECT_FALSE(verify_proof(info->root(), test_key(1), std::nullopt, got->proof));
}

TEST(TreeStore, MatchesReferenceAcrossVersionsWithUpdatesAndDeletes) {
  TempDir dir;
  auto store = open_store(dir);
  std::map<TreeKey, Bytes> reference;
  std::vector<std::map<TreeKey, Bytes>> history{reference};
  std::mt19937_64 random(7);
  for (std::uint64_t round = 0; round < 12; ++round) {
    std::map<TreeKey, std::optional<Bytes>> changes;
    for (int i = 0; i < 60; ++i) {
      const std::uint64_t n = random() % 200;
      if (random() % 4 == 0) {
        changes[test_key(n)] = std::nullopt;
      } else {
        changes[test_key(n)] = test_value(n, round);
      }
    }
    std::vector<LeafUpdate> updates;
    for (auto& [key, value] : changes) updates.push_back({key, value});
    apply_both(*store, reference, updates);
    history.push_back(reference);
  }
  for (Version version = 0; version < history.size(); version += 3) {
    expect_proofs_verify(*store, version, history[version], 20);
  }
  EXPECT_TRUE(store->audit(store->latest_version()).has_value());
}

TEST(TreeStore, DeletingEverythingReturnsToTheEmptyRoot) {
  TempDir dir;
  auto store = open_store(dir);
  std::vector<LeafUpdate> inserts;
  std::vector<LeafUpdate> deletes;
  for (std::uint64_t n = 0; n < 300; ++n) {
    inserts.push_back({test_key(n), test_value(n, 0)});
    deletes.push_back({test_key(n), std::nullopt});
  }
  ASSERT_TRUE(store->apply(inserts, {}).has_value());
  auto info = store->apply(deletes, {});
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->root(), empty_subtree_hash());
  EXPECT_EQ(info->leaf_count, 0U);
}

TEST(TreeStore, RefusesTheSameKeyTwiceInOneVersion) {
  TempDir dir;
  auto store = open_store(dir);
  auto info = store->apply({{test_key(1), test_value(1, 0)}, {test_key(1), test_value(1, 1)}}, {});
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(store->latest_version(), 0U);
}

TEST(TreeStore, ReopenedStoreServesTheSameVersions) {
  TempDir dir;
  std::map<TreeKey, Bytes> reference;
  Hash256 first_root;
  {
    auto store = open_store(dir);
    std::vector<LeafUpdate> updates;
    for (std::uint64_t n = 0; n < 100; ++n) updates.push_back({test_key(n), test_value(n, 0)});
    apply_both(*store, reference, updates);
    first_root = store->latest().root();
    apply_both(*store, reference, {{test_key(5), test_value(5, 1)}, {test_key(6), std::nullopt}});
  }
  auto store = open_store(dir);
  EXPECT_EQ(store->latest_version(), 2U);
  EXPECT_EQ(store->latest().root(), reference_root(reference));
  auto first = store->version_info(1);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->root(), first_root);
  EXPECT_TRUE(store->audit(2).has_value());
  EXPECT_TRUE(store->audit(1).has_value());
}

std::size_t count_rows(const std::filesystem::path& path, char prefix) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Options options;
  EXPECT_TRUE(rocksdb::DB::OpenForReadOnly(options, path.string(), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::unique_ptr<rocksdb::Iterator> rows(db->NewIterator(rocksdb::ReadOptions()));
  std::size_t count = 0;
  for (rows->Seek(std::string(1, prefix)); rows->Valid() && rows->key()[0] == prefix;
       rows->Next()) {
    ++count;
  }
  return count;
}

TEST(TreeStore, PruningKeepsTheLastVersionsAndReclaimsTheRest) {
  TempDir dir;
  TempDir unpruned_dir;
  TreeConfig config = fast_config();
  config.versions_kept = 3;
  std::map<TreeKey, Bytes> reference;
  {
    auto store = open_store(dir, config);
    auto unpruned = open_store(unpruned_dir);
    std::map<TreeKey, Bytes> unpruned_reference;
    for (std::uint64_t round = 0; round < 10; ++round) {
      std::vector<LeafUpdate> updates;
      for (std::uint64_t n = 0; n < 50; ++n) {
        updates.push_back({test_key(n * 3 + round % 3), test_value(n, round)});
      }
      apply_both(*store, reference, updates);
      apply_both(*unpruned, unpruned_reference, updates);
    }
    EXPECT_EQ(store->oldest_version(), 8U);
    auto gone = store->get(test_key(0), 7);
    ASSERT_FALSE(gone.has_value());
    EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
    for (Version version = 8; version <= 10; ++version) {
      EXPECT_TRUE(store->audit(version).has_value()) << version;
    }
    expect_proofs_verify(*store, 10, reference, 5);
  }
  // The pruned store holds only what versions 8..10 reference.
  EXPECT_LT(count_rows(dir.path(), 'N'), count_rows(unpruned_dir.path(), 'N'));
  EXPECT_LT(count_rows(dir.path(), 'V'), count_rows(unpruned_dir.path(), 'V'));
  EXPECT_EQ(count_rows(dir.path(), 'M'), 3U);
  EXPECT_LE(count_rows(dir.path(), 'V'), 3U * 150U);
  // An explicit prune to the latest version leaves exactly the live tree.
  {
    auto store = open_store(dir, config);
    ASSERT_TRUE(store->prune(10).has_value());
    EXPECT_TRUE(store->audit(10).has_value());
  }
  EXPECT_EQ(count_rows(dir.path(), 'V'), reference.size());
  EXPECT_EQ(count_rows(dir.path(), 'M'), 1U);
}

// Rewrites the same 50 keys over 20 versions keeping `kept` versions and
// returns the store's folder row counts per prefix (node, value, stale, meta).
struct RowCounts {
  std::size_t nodes = 0;
  std::size_t values = 0;
  std::size_t stale = 0;
  std::size_t metas = 0;
};

RowCounts rows_after_rewrites(Version kept) {
  TempDir dir;
  TreeConfig config = fast_config();
  config.versions_kept = kept;
  std::map<TreeKey, Bytes> reference;
  {
    auto store = open_store(dir, config);
    for (std::uint64_t round = 0; round < 20; ++round) {
      std::vector<LeafUpdate> updates;
      for (std::uint64_t n = 0; n < 50; ++n) updates.push_back({test_key(n), test_value(n, round)});
      apply_both(*store, reference, updates);
    }
    EXPECT_EQ(store->oldest_version(), 20U - kept + 1U);
    for (Version version = 20 - kept + 1; version <= 20; ++version) {
      EXPECT_TRUE(store->audit(version).has_value()) << version;
    }
    expect_proofs_verify(*store, 20, reference, 5);
  }
  return RowCounts{count_rows(dir.path(), 'N'), count_rows(dir.path(), 'V'),
                   count_rows(dir.path(), 'S'), count_rows(dir.path(), 'M')};
}

TEST(TreeStore, KeepingOneOrTwoVersionsHoldsOnlyTheirRows) {
  const RowCounts one = rows_after_rewrites(1);
  EXPECT_EQ(one.values, 50U);
  EXPECT_EQ(one.stale, 0U);
  EXPECT_EQ(one.metas, 1U);
  const RowCounts two = rows_after_rewrites(2);
  EXPECT_EQ(two.values, 100U);
  EXPECT_EQ(two.stale, 1U);
  EXPECT_EQ(two.metas, 2U);
  // Every node is rewritten each version: two versions hold twice the nodes.
  EXPECT_GT(one.nodes, 0U);
  EXPECT_EQ(two.nodes, 2 * one.nodes);
}

void overwrite_row(const std::filesystem::path& path, const std::string& key, ByteView value) {
  rocksdb::DB* raw = nullptr;
  rocksdb::Options options;
  ASSERT_TRUE(rocksdb::DB::Open(options, path.string(), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  const rocksdb::Slice slice(reinterpret_cast<const char*>(value.data()), value.size());
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), key, slice).ok());
}

TEST(TreeStore, ANodeBelowTheLastNibbleIsCorruptNotACrash) {
  TempDir dir;
  // Two keys that differ only in their last nibble: a chain of 64 nodes.
  const TreeKey first{};
  auto bytes = first.array();
  bytes.back() = 0x01;
  const TreeKey second(bytes);
  NodePath last;
  while (last.length + 1U < kKeyNibbles) last = last.child(0);
  {
    auto store = open_store(dir);
    ASSERT_TRUE(store->apply({{first, bytes_of("a")}, {second, bytes_of("b")}}, {}).has_value());
    auto node = store->get(first, 1);
    ASSERT_TRUE(node.has_value()) << node.error().to_string();
  }
  // The stored node at the last nibble claims a node child instead of a leaf.
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::OpenForReadOnly(rocksdb::Options(), dir.path().string(), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string stored;
  ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), layout::node_key(1, last), &stored).ok());
  db.reset();
  auto node =
      decode_node(ByteView(reinterpret_cast<const std::uint8_t*>(stored.data()), stored.size()));
  ASSERT_TRUE(node.has_value());
  node->children[0].kind = ChildKind::kNode;
  overwrite_row(dir.path(), layout::node_key(1, last), encode_node(*node));

  auto store = open_store(dir);
  auto got = store->get(first, 1);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, ErrorCode::kCorrupt);
  auto latest = store->get_latest(first);
  ASSERT_FALSE(latest.has_value());
  EXPECT_EQ(latest.error().code, ErrorCode::kCorrupt);
  auto visited = store->for_each_leaf(1, TreeKey{}, 0,
                                      [](const TreeKey&, ByteView) { return Result<void>(); });
  ASSERT_FALSE(visited.has_value());
  EXPECT_EQ(visited.error().code, ErrorCode::kCorrupt);
  EXPECT_EQ(store->audit(1).error().code, ErrorCode::kCorrupt);
}

TEST(TreeStore, ALeafCountBelowTheRemovalsIsCorruptNotACrash) {
  TempDir dir;
  {
    auto store = open_store(dir);
    ASSERT_TRUE(store->apply({{test_key(1), test_value(1, 0)}, {test_key(2), test_value(2, 0)}}, {})
                    .has_value());
  }
  // Metadata: format, root (kind, version, hash), then the leaf count.
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::OpenForReadOnly(rocksdb::Options(), dir.path().string(), &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string meta;
  ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), layout::meta_key(1), &meta).ok());
  db.reset();
  constexpr std::size_t kLeafCountOffset = 1 + 1 + 8 + 32;
  ASSERT_GE(meta.size(), kLeafCountOffset + 8);
  ASSERT_EQ(meta[kLeafCountOffset + 7], 2);
  meta[kLeafCountOffset + 7] = 0;
  overwrite_row(dir.path(), layout::meta_key(1),
                ByteView(reinterpret_cast<const std::uint8_t*>(meta.data()), meta.size()));

  auto store = open_store(dir);
  ASSERT_EQ(store->latest().leaf_count, 0U);
  auto refused = store->apply({{test_key(1), std::nullopt}}, {});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kCorrupt);
  EXPECT_EQ(store->latest_version(), 1U);
}

TEST(TreeStore, AuditFindsATamperedValue) {
  TempDir dir;
  {
    auto store = open_store(dir);
    std::vector<LeafUpdate> updates;
    for (std::uint64_t n = 0; n < 40; ++n) updates.push_back({test_key(n), test_value(n, 0)});
    ASSERT_TRUE(store->apply(updates, {}).has_value());
  }
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir.path().string(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(
        db->Put(rocksdb::WriteOptions(), layout::value_key(1, test_key(17)), "forged").ok());
  }
  auto store = open_store(dir);
  auto audit = store->audit(1);
  ASSERT_FALSE(audit.has_value());
  EXPECT_EQ(audit.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(audit.error().message.find(test_key(17).hex()), std::string::npos)
      << audit.error().message;
}

// Property: the root depends only on the final content, whatever the order
// and batching of the insertions, and matches the definition.
RC_GTEST_PROP(TreeStoreProperty, RootDependsOnlyOnContent, ()) {
  const auto count = *rc::gen::inRange<std::uint64_t>(0, 120 / testing::kScale + 2);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  std::vector<LeafUpdate> leaves;
  std::map<TreeKey, Bytes> reference;
  for (std::uint64_t n = 0; n < count; ++n) {
    leaves.push_back({test_key(n), test_value(n, seed)});
    reference[test_key(n)] = test_value(n, seed);
  }
  std::mt19937_64 random(seed);
  std::shuffle(leaves.begin(), leaves.end(), random);
  TempDir dir;
  auto store = TreeStore::open(dir.path(), fast_config());
  RC_ASSERT(store.has_value());
  std::size_t begin = 0;
  while (begin < leaves.size()) {
    const std::size_t size = 1 + random() % 40;
    const std::size_t end = std::min(leaves.size(), begin + size);
    RC_ASSERT((*store)->apply({leaves.begin() + begin, leaves.begin() + end}, {}).has_value());
    begin = end;
  }
  RC_ASSERT((*store)->latest().root() == reference_root(reference));
}

// Property: proofs verify for present and absent keys and fail for any
// altered value, key or root.
RC_GTEST_PROP(TreeStoreProperty, ProofsVerifyAndRejectAlterations, ()) {
  const auto count = *rc::gen::inRange<std::uint64_t>(1, 150 / testing::kScale + 2);
  const auto probe = *rc::gen::inRange<std::uint64_t>(0, 2 * count);
  const auto flip = *rc::gen::inRange<std::size_t>(0, 256);
  TempDir dir;
  auto store = TreeStore::open(dir.path(), fast_config());
  RC_ASSERT(store.has_value());
  std::vector<LeafUpdate> leaves;
  for (std::uint64_t n = 0; n < count; ++n) leaves.push_back({test_key(n), test_value(n, 1)});
  RC_ASSERT((*store)->apply(leaves, {}).has_value());
  const Hash256 root = (*store)->latest().root();
  const TreeKey key = test_key(probe);
  auto got = (*store)->get(key, 1);
  RC_ASSERT(got.has_value());
  const std::optional<ByteView> value =
      got->value ? std::optional<ByteView>(ByteView(*got->value)) : std::nullopt;
  RC_ASSERT(got->value.has_value() == (probe < count));
  RC_ASSERT(verify_proof(root, key, value, got->proof).has_value());

  auto flipped = [flip](const Hash256& hash) {
    auto array = hash.array();
    array[flip / 8] = static_cast<std::uint8_t>(array[flip / 8] ^ (0x80U >> (flip % 8)));
    return Hash256(array);
  };
  RC_ASSERT(!verify_proof(flipped(root), key, value, got->proof).has_value());
  RC_ASSERT(!verify_proof(root, flipped(key), value, got->proof).has_value() ||
            !got->value.has_value());
  const Bytes altered = bytes_of("altered");
  RC_ASSERT(!verify_proof(root, key, ByteView(altered), got->proof).has_value());
  if (got->value) RC_ASSERT(!verify_proof(root, key, std::nullopt, got->proof).has_value());
  if (!got->proof.siblings.empty()) {
    Proof tampered = got->proof;
    const std::size_t index = flip % tampered.siblings.size();
    tampered.siblings[index] = flipped(tampered.siblings[index]);
    RC_ASSERT(!verify_proof(root, key, value, tampered).has_value());
  }
}

}  // namespace
}  // namespace aethel::state

namespace aethel::state {
namespace {

// Proofs served from cached nodes whose inner hashes were carried over from
// the nodes they replaced, across many versions of small changes.
TEST(TreeStore, ProofsStayValidAcrossManySmallVersions) {
  TempDir dir;
  auto store = open_store(dir);
  std::map<TreeKey, Bytes> reference;
  std::vector<LeafUpdate> initial;
  for (std::uint64_t n = 0; n < 2000; ++n) initial.push_back({test_key(n), test_value(n, 0)});
  apply_both(*store, reference, initial);
  std::mt19937_64 random(11);
  for (std::uint64_t round = 1; round <= 15; ++round) {
    std::map<TreeKey, std::optional<Bytes>> changes;
    for (int i = 0; i < 25; ++i) {
      const std::uint64_t n = random() % 2100;
      changes[test_key(n)] = test_value(n, round);
    }
    std::vector<LeafUpdate> updates;
    for (auto& [key, value] : changes) updates.push_back({key, value});
    apply_both(*store, reference, updates);
  }
  expect_proofs_verify(*store, store->latest_version(), reference, 200);
}

// Large versions split their work over two threads; the result must be the
// very one a single thread produces, and the reference root.
TEST(TreeStore, TwoThreadsBuildTheSameVersionsAsOne) {
  TempDir parallel_dir;
  TempDir serial_dir;
  TreeConfig serial_config = fast_config();
  serial_config.apply_threads = 1;
  auto parallel = open_store(parallel_dir);
  auto serial = open_store(serial_dir, serial_config);
  std::map<TreeKey, Bytes> reference;
  std::map<TreeKey, Bytes> serial_reference;
  std::mt19937_64 random(5);
  for (std::uint64_t round = 0; round < 4; ++round) {
    std::map<TreeKey, std::optional<Bytes>> changes;
    for (int i = 0; i < 2500; ++i) {
      const std::uint64_t n = random() % 6000;
      changes[test_key(n)] =
          random() % 5 == 0 ? std::nullopt : std::optional<Bytes>(test_value(n, round));
    }
    std::vector<LeafUpdate> updates;
    for (auto& [key, value] : changes) updates.push_back({key, value});
    apply_both(*parallel, reference, updates);
    apply_both(*serial, serial_reference, updates);
    EXPECT_EQ(parallel->latest().root(), serial->latest().root());
  }
  EXPECT_TRUE(parallel->audit(parallel->latest_version()).has_value());
  expect_proofs_verify(*parallel, parallel->latest_version(), reference, 50);
}

// The node cache is an accelerator only: a store whose cache holds a few
// nodes, and one reopened (cold) before every version, build the same roots
// as one whose cache holds everything, through removals that collapse nodes.
TEST(TreeStore, CacheLimitAndReopeningDoNotChangeVersions) {
  TempDir full_dir;
  TempDir small_dir;
  TempDir reopened_dir;
  TreeConfig small_config = fast_config();
  small_config.node_cache_limit = 16;
  auto full = open_store(full_dir);
  auto small = open_store(small_dir, small_config);
  std::unique_ptr<TreeStore> reopened = open_store(reopened_dir);
  std::map<TreeKey, Bytes> full_reference;
  std::map<TreeKey, Bytes> small_reference;
  std::map<TreeKey, Bytes> reopened_reference;
  std::mt19937_64 random(11);
  for (std::uint64_t round = 0; round < 5; ++round) {
    std::map<TreeKey, std::optional<Bytes>> changes;
    // About 1,600 distinct keys: enough for the two-thread build.
    for (int i = 0; i < 2000; ++i) {
      const std::uint64_t n = random() % 4000;
      changes[test_key(n)] =
          random() % 3 == 0 ? std::nullopt : std::optional<Bytes>(test_value(n, round));
    }
    std::vector<LeafUpdate> updates;
    for (auto& [key, value] : changes) updates.push_back({key, value});
    apply_both(*full, full_reference, updates);
    apply_both(*small, small_reference, updates);
    reopened.reset();
    reopened = open_store(reopened_dir);
    ASSERT_NE(reopened, nullptr);
    apply_both(*reopened, reopened_reference, updates);
    EXPECT_EQ(small->latest().root(), full->latest().root());
    EXPECT_EQ(reopened->latest().root(), full->latest().root());
  }
  EXPECT_TRUE(small->audit(small->latest_version()).has_value());
  EXPECT_TRUE(reopened->audit(reopened->latest_version()).has_value());
  expect_proofs_verify(*small, small->latest_version(), small_reference, 50);
  expect_proofs_verify(*reopened, reopened->latest_version(), reopened_reference, 50);
}

}  // namespace
}  // namespace aethel::state
