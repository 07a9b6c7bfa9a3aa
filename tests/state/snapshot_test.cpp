// Snapshot chunks verify on their own, a bad chunk is refused and can be
// fetched again, and importing every chunk reproduces the root exactly.
#include "state/snapshot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "core/encoding.h"
#include "state/ledger_state.h"
#include "tests/state/ledger_test_support.h"
#include "tests/state/test_support.h"

namespace aethel::state {
namespace {

using testing::TempDir;
using testing::test_key;
using testing::test_value;

TreeConfig fast_config() {
  TreeConfig config;
  config.sync_writes = false;
  return config;
}

std::unique_ptr<TreeStore> store_with(const TempDir& dir, std::uint64_t leaves) {
  auto store = TreeStore::open(dir.path(), fast_config());
  EXPECT_TRUE(store.has_value());
  std::vector<LeafUpdate> updates;
  for (std::uint64_t n = 0; n < leaves; ++n) updates.push_back({test_key(n), test_value(n, 0)});
  EXPECT_TRUE((*store)->apply(updates, {}).has_value());
  return std::move(*store);
}

std::vector<Bytes> export_all(const TreeStore& store, const SnapshotManifest& manifest) {
  std::vector<Bytes> chunks;
  for (std::uint32_t index = 0; index < manifest.chunk_count(); ++index) {
    auto chunk = export_chunk(store, manifest, index);
    EXPECT_TRUE(chunk.has_value()) << chunk.error().to_string();
    chunks.push_back(encode_chunk(*chunk));
  }
  return chunks;
}

// Exports at `prefix_bits`, imports in a shuffled order and compares roots.
void expect_round_trip(std::uint64_t leaves, std::uint8_t prefix_bits) {
  SCOPED_TRACE(::testing::Message() << leaves << " leaves, " << int{prefix_bits} << " bits");
  TempDir source_dir;
  TempDir target_dir;
  auto source = store_with(source_dir, leaves);
  SnapshotManifest manifest{1, source->latest().root(), prefix_bits};
  auto chunks = export_all(*source, manifest);
  std::mt19937_64 random(leaves);
  std::vector<std::uint32_t> order(chunks.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), random);
  SnapshotImporter importer(manifest);
  for (const std::uint32_t index : order) {
    auto added = importer.add_chunk(chunks[index]);
    ASSERT_TRUE(added.has_value()) << "chunk " << index << ": " << added.error().to_string();
    EXPECT_EQ(*added, index);
  }
  ASSERT_TRUE(importer.complete());
  auto target = TreeStore::open(target_dir.path(), fast_config());
  ASSERT_TRUE(target.has_value());
  auto info = importer.finish(**target, {});
  ASSERT_TRUE(info.has_value()) << info.error().to_string();
  EXPECT_EQ(info->root(), manifest.root);
  EXPECT_EQ(info->version, 1U);
  EXPECT_EQ(info->leaf_count, leaves);
  EXPECT_TRUE((*target)->audit(1).has_value());
}

TEST(Snapshot, RoundTripsReproduceTheRoot) {
  expect_round_trip(1, 0);
  expect_round_trip(1, 5);  // one leaf seen from 32 chunks: it collapses to the root
  expect_round_trip(2, 3);
  expect_round_trip(7, 6);  // sparse: most chunks empty, lone leaves as siblings
  expect_round_trip(300, 4);
  expect_round_trip(3000, 0);
}

TEST(Snapshot, ManifestSizesChunksFromTheLeafCount) {
  TempDir dir;
  auto store = store_with(dir, 5000);
  auto manifest = snapshot_manifest(*store, 1);
  ASSERT_TRUE(manifest.has_value());
  EXPECT_EQ(manifest->prefix_bits, 2);
  EXPECT_EQ(manifest->root, store->latest().root());
}

TEST(Snapshot, ACorruptChunkIsRefusedAndAGoodCopyAccepted) {
  TempDir source_dir;
  TempDir target_dir;
  auto source = store_with(source_dir, 400);
  SnapshotManifest manifest{1, source->latest().root(), 3};
  auto chunks = export_all(*source, manifest);
  SnapshotImporter importer(manifest);

  // A changed value: well formed, but its subtree no longer reaches the root.
  auto chunk = decode_chunk(chunks[5]);
  ASSERT_TRUE(chunk.has_value());
  chunk->leaves[0].value->push_back('!');
  auto refused = importer.add_chunk(encode_chunk(*chunk));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kCorrupt);

  // A dropped leaf, a forged sibling, a chunk of another index: all refused.
  chunk = decode_chunk(chunks[5]);
  chunk->leaves.pop_back();
  EXPECT_FALSE(importer.add_chunk(encode_chunk(*chunk)).has_value());
  chunk = decode_chunk(chunks[5]);
  chunk->path[1].subtree.hash = chunk->path[0].subtree.hash;
  EXPECT_FALSE(importer.add_chunk(encode_chunk(*chunk)).has_value());
  chunk = decode_chunk(chunks[5]);
  chunk->index = 6;
  EXPECT_FALSE(importer.add_chunk(encode_chunk(*chunk)).has_value());
  // A flipped byte anywhere in the encoding.
  for (std::size_t offset = 0; offset < chunks[5].size(); offset += 97) {
    Bytes flipped = chunks[5];
    flipped[offset] ^= 0x01;
    EXPECT_FALSE(importer.add_chunk(flipped).has_value()) << "offset " << offset;
  }
  EXPECT_EQ(importer.missing_chunks().size(), 8U);

  for (const Bytes& good : chunks) ASSERT_TRUE(importer.add_chunk(good).has_value());
  EXPECT_FALSE(importer.add_chunk(chunks[0]).has_value());  // a duplicate
  auto target = TreeStore::open(target_dir.path(), fast_config());
  ASSERT_TRUE(target.has_value());
  auto info = importer.finish(**target, {});
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->root(), manifest.root);
}

TEST(Snapshot, ImportNeedsEveryChunkAndAnEmptyStore) {
  TempDir source_dir;
  TempDir target_dir;
  auto source = store_with(source_dir, 50);
  SnapshotManifest manifest{1, source->latest().root(), 2};
  auto chunks = export_all(*source, manifest);
  SnapshotImporter importer(manifest);
  ASSERT_TRUE(importer.add_chunk(chunks[0]).has_value());
  auto target = TreeStore::open(target_dir.path(), fast_config());
  ASSERT_TRUE(target.has_value());
  EXPECT_FALSE(importer.finish(**target, {}).has_value());
  for (std::size_t i = 1; i < chunks.size(); ++i) ASSERT_TRUE(importer.add_chunk(chunks[i]));
  ASSERT_TRUE((*target)->apply({{test_key(9), test_value(9, 9)}}, {}).has_value());
  auto refused = importer.finish(**target, {});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
}

TEST(Snapshot, AFinishRefusedByABusyStoreCanBeRetriedIntoAnEmptyOne) {
  TempDir source_dir;
  TempDir busy_dir;
  TempDir fresh_dir;
  auto source = store_with(source_dir, 100);
  SnapshotManifest manifest{1, source->latest().root(), 2};
  SnapshotImporter importer(manifest);
  for (const Bytes& chunk : export_all(*source, manifest)) {
    ASSERT_TRUE(importer.add_chunk(chunk).has_value());
  }
  auto busy = store_with(busy_dir, 1);
  auto refused = importer.finish(*busy, {});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(busy->latest_version(), 1U);
  EXPECT_TRUE(importer.complete());

  auto fresh = TreeStore::open(fresh_dir.path(), fast_config());
  ASSERT_TRUE(fresh.has_value());
  auto info = importer.finish(**fresh, {});
  ASSERT_TRUE(info.has_value()) << info.error().to_string();
  EXPECT_EQ(info->root(), manifest.root);
  EXPECT_EQ(info->leaf_count, 100U);
  EXPECT_TRUE((*fresh)->audit(1).has_value());
  // The leaves now live in the store; the importer says so instead of
  // writing an empty tree.
  EXPECT_FALSE(importer.complete());
  TempDir other_dir;
  auto other = TreeStore::open(other_dir.path(), fast_config());
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(importer.finish(**other, {}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ((*other)->latest_version(), 0U);
}

TEST(Snapshot, ImportWithTheWrongRootWritesNothing) {
  TempDir dir;
  std::vector<LeafUpdate> leaves;
  for (std::uint64_t n = 0; n < 30; ++n) leaves.push_back({test_key(n), test_value(n, 0)});
  {
    auto store = TreeStore::open(dir.path(), fast_config());
    ASSERT_TRUE(store.has_value());
    auto refused = (*store)->import_version(3, leaves, {}, empty_subtree_hash());
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, ErrorCode::kCorrupt);
    EXPECT_EQ((*store)->latest_version(), 0U);
  }
  auto reopened = TreeStore::open(dir.path(), fast_config());
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ((*reopened)->latest_version(), 0U);
  std::map<TreeKey, Bytes> reference;
  for (const LeafUpdate& leaf : leaves) reference[leaf.key] = *leaf.value;
  auto info = (*reopened)->import_version(3, leaves, {}, testing::reference_root(reference));
  ASSERT_TRUE(info.has_value()) << info.error().to_string();
  EXPECT_EQ(info->leaf_count, 30U);
}

// A lone leaf in one half and many leaves in the other: chunk 0's sibling at
// depth 0 is that leaf, beside a non-empty subtree, where its kind does not
// change the hash. It has one encoding (its hash), and the form naming the
// leaf is refused.
TEST(Snapshot, ALoneLeafSiblingHasOneEncoding) {
  TempDir dir;
  auto store = TreeStore::open(dir.path(), fast_config());
  ASSERT_TRUE(store.has_value());
  std::vector<LeafUpdate> updates;
  for (std::uint64_t n = 0; updates.size() < 40; ++n) {
    if (!key_bit(test_key(n), 0)) updates.push_back({test_key(n), test_value(n, 0)});
  }
  TreeKey::Array right{};
  right[0] = 0x80;
  updates.push_back({TreeKey(right), bytes_of("lone")});
  ASSERT_TRUE((*store)->apply(updates, {}).has_value());
  SnapshotManifest manifest{1, (*store)->latest().root(), 1};
  auto chunk = export_chunk(**store, manifest, 0);
  ASSERT_TRUE(chunk.has_value());
  ASSERT_TRUE(chunk->path[0].leaf.has_value());
  ASSERT_TRUE(verify_chunk(manifest, *chunk).has_value());

  SnapshotChunk as_hash = *chunk;
  as_hash.path[0].leaf.reset();
  as_hash.path[0].subtree.kind = SubtreeKind::kInternal;
  const Bytes canonical = encode_chunk(*chunk);
  EXPECT_EQ(encode_chunk(as_hash), canonical);
  auto decoded = decode_chunk(canonical);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
  EXPECT_TRUE(verify_chunk(manifest, *decoded).has_value());

  // The same chunk with the sibling written as a lone leaf (kind 1).
  Encoder encoder;
  encoder.put_envelope({kStateFormatVersion, kChunkTypeTag});
  encoder.put_u64(1).put_fixed(manifest.root).put_u8(1).put_u32(0);
  encoder.put_u8(1).put_fixed(chunk->path[0].leaf->key).put_fixed(chunk->path[0].leaf->value_hash);
  encoder.put_vector(chunk->leaves, [](Encoder& out, const LeafUpdate& leaf) {
    out.put_fixed(leaf.key).put_bytes(*leaf.value);
  });
  const Bytes naming_the_leaf = std::move(encoder).take();
  ASSERT_NE(naming_the_leaf, canonical);
  auto refused = decode_chunk(naming_the_leaf);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kNonCanonical);

  // Chunk 1 holds the lone leaf; its sibling is chunk 0's subtree.
  auto other = export_chunk(**store, manifest, 1);
  ASSERT_TRUE(other.has_value());
  auto round_trip = decode_chunk(encode_chunk(*other));
  ASSERT_TRUE(round_trip.has_value());
  EXPECT_TRUE(verify_chunk(manifest, *round_trip).has_value());
}

TEST(Snapshot, DecodingRefusesTruncatedOversizedAndUnorderedInput) {
  TempDir dir;
  auto store = store_with(dir, 20);
  SnapshotManifest manifest{1, store->latest().root(), 1};
  auto chunk = export_chunk(*store, manifest, 0);
  ASSERT_TRUE(chunk.has_value());
  const Bytes bytes = encode_chunk(*chunk);
  for (std::size_t cut = 0; cut < bytes.size(); cut += 7) {
    EXPECT_FALSE(decode_chunk(ByteView(bytes).first(cut)).has_value()) << cut;
  }
  Bytes trailing = bytes;
  trailing.push_back(0);
  EXPECT_EQ(decode_chunk(trailing).error().code, ErrorCode::kTrailingBytes);
  SnapshotChunk unordered = *chunk;
  ASSERT_GE(unordered.leaves.size(), 2U);
  std::swap(unordered.leaves[0], unordered.leaves[1]);
  EXPECT_EQ(decode_chunk(encode_chunk(unordered)).error().code, ErrorCode::kNonCanonical);
  SnapshotChunk deep = *chunk;
  deep.prefix_bits = 17;
  deep.path.resize(17);
  EXPECT_EQ(decode_chunk(encode_chunk(deep)).error().code, ErrorCode::kOversize);
}

TEST(Snapshot, LedgerImportCountsTotalsAndAudits) {
  TempDir source_dir;
  TempDir target_dir;
  auto source = LedgerState::open(source_dir.path(), fast_config(), LedgerConfig{});
  ASSERT_TRUE(source.has_value());
  ASSERT_TRUE((*source)->apply_genesis(testing::genesis_records(100, 50, 4, 1000)).has_value());
  auto manifest = snapshot_manifest((*source)->tree(), 1);
  ASSERT_TRUE(manifest.has_value());
  SnapshotImporter importer(*manifest);
  for (const Bytes& chunk : export_all((*source)->tree(), *manifest)) {
    ASSERT_TRUE(importer.add_chunk(chunk).has_value());
  }
  auto target = LedgerState::open(target_dir.path(), fast_config(), LedgerConfig{});
  ASSERT_TRUE(target.has_value());
  auto info = (*target)->import_snapshot(importer);
  ASSERT_TRUE(info.has_value()) << info.error().to_string();
  EXPECT_EQ(info->root(), (*source)->tree().latest().root());
  EXPECT_EQ((*target)->totals(), (*source)->totals());
  EXPECT_TRUE((*target)->audit(1).has_value());
}

TEST(Snapshot, ParallelExportAndVerificationRefuseOnlyTheBadChunk) {
  TempDir source_dir;
  TempDir target_dir;
  auto source = store_with(source_dir, 3000);
  SnapshotManifest manifest{1, source->latest().root(), 4};
  auto chunks = export_snapshot(*source, manifest, 2);
  ASSERT_TRUE(chunks.has_value());
  EXPECT_EQ(*chunks, export_all(*source, manifest));
  std::vector<Bytes> received = *chunks;
  received[9].back() ^= 0x40;  // one bad chunk from one bad peer
  SnapshotImporter importer(manifest);
  const auto results = importer.add_chunks(received, 2);
  ASSERT_EQ(results.size(), received.size());
  for (std::size_t i = 0; i < results.size(); ++i) EXPECT_EQ(results[i].has_value(), i != 9) << i;
  EXPECT_EQ(importer.missing_chunks(), std::vector<std::uint32_t>{9});
  ASSERT_TRUE(importer.add_chunk((*chunks)[9]).has_value());  // fetched elsewhere
  auto target = TreeStore::open(target_dir.path(), fast_config());
  ASSERT_TRUE(target.has_value());
  auto info = importer.finish(**target, {});
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->root(), manifest.root);
}

}  // namespace
}  // namespace aethel::state
