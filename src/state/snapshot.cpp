#include "state/snapshot.h"

#include <algorithm>
#include <optional>
#include <thread>
#include <vector>

#include "core/encoding.h"
#include "fmt/format.h"
#include "state/proof.h"

namespace aethel::state {
namespace {

constexpr std::uint8_t kSiblingEmpty = 0;
constexpr std::uint8_t kSiblingLeaf = 1;
constexpr std::uint8_t kSiblingInternal = 2;

// The key whose first `bits` bits are `index` and whose other bits are zero.
TreeKey prefix_key(std::uint32_t index, std::size_t bits) {
  TreeKey::Array array{};
  for (std::size_t bit = 0; bit < bits; ++bit) {
    if (((index >> (bits - 1 - bit)) & 1U) != 0) {
      array[bit / 8] = static_cast<std::uint8_t>(array[bit / 8] | (0x80U >> (bit % 8)));
    }
  }
  return TreeKey(array);
}

// The hash of the subtree at `depth` holding leaves [begin, end) (sorted).
SubtreeHash leaves_subtree(std::span<const LeafUpdate> leaves, std::size_t depth) {
  if (leaves.empty()) return SubtreeHash{};
  if (leaves.size() == 1) {
    return SubtreeHash{SubtreeKind::kLeaf, leaf_hash(leaves[0].key, value_hash(*leaves[0].value))};
  }
  const auto middle =
      std::partition_point(leaves.begin(), leaves.end(),
                           [depth](const LeafUpdate& leaf) { return !key_bit(leaf.key, depth); });
  const auto split = static_cast<std::size_t>(middle - leaves.begin());
  const SubtreeHash left = leaves_subtree(leaves.subspan(0, split), depth + 1);
  const SubtreeHash right = leaves_subtree(leaves.subspan(split), depth + 1);
  return SubtreeHash{SubtreeKind::kInternal, internal_hash(left.hash, right.hash)};
}

// Whether the subtree a verifier has built by depth `depth` (the chunk's
// leaves combined with every sibling below `depth`) is still empty. Only
// there does a lone-leaf sibling's kind change the hash (an empty subtree and
// a lone leaf collapse into that leaf); elsewhere a leaf and an internal
// subtree with the same hash combine alike.
std::vector<bool> running_subtree_empty(const SnapshotChunk& chunk) {
  std::vector<bool> empty(chunk.path.size());
  bool below_empty = chunk.leaves.empty();
  for (std::size_t depth = chunk.path.size(); depth-- > 0;) {
    empty[depth] = below_empty;
    below_empty = below_empty && chunk.path[depth].subtree.kind == SubtreeKind::kEmpty;
  }
  return empty;
}

// A lone-leaf sibling carries its key and value hash only where the running
// subtree is empty; elsewhere it is written as its bare hash, so each chunk
// has exactly one encoding.
void put_sibling(Encoder& encoder, const PathSibling& sibling, bool running_empty) {
  switch (sibling.subtree.kind) {
    case SubtreeKind::kEmpty: encoder.put_u8(kSiblingEmpty); return;
    case SubtreeKind::kLeaf:
      if (!running_empty) {
        encoder.put_u8(kSiblingInternal).put_fixed(sibling.subtree.hash);
        return;
      }
      AETHEL_ASSERT(sibling.leaf.has_value());
      encoder.put_u8(kSiblingLeaf).put_fixed(sibling.leaf->key).put_fixed(sibling.leaf->value_hash);
      return;
    case SubtreeKind::kInternal:
      encoder.put_u8(kSiblingInternal).put_fixed(sibling.subtree.hash);
      return;
  }
}

Result<PathSibling> read_sibling(Decoder& decoder) {
  auto kind = decoder.read_u8("chunk.path.kind");
  if (!kind) return unexpected<Error>(std::move(kind).error());
  PathSibling sibling;
  if (*kind == kSiblingEmpty) return sibling;
  if (*kind == kSiblingLeaf) {
    auto key = decoder.read_fixed<Hash256>("chunk.path.leaf_key");
    if (!key) return unexpected<Error>(std::move(key).error());
    auto hash = decoder.read_fixed<Hash256>("chunk.path.leaf_value_hash");
    if (!hash) return unexpected<Error>(std::move(hash).error());
    sibling.leaf = LeafWitness{*key, *hash};
    sibling.subtree = SubtreeHash{SubtreeKind::kLeaf, leaf_hash(*key, *hash)};
    return sibling;
  }
  if (*kind != kSiblingInternal) {
    return fail(ErrorCode::kBadTag, fmt::format("chunk.path.kind has unknown value {} (offset {})",
                                                *kind, decoder.offset() - 1));
  }
  auto hash = decoder.read_fixed<Hash256>("chunk.path.hash");
  if (!hash) return unexpected<Error>(std::move(hash).error());
  if (*hash == empty_subtree_hash()) {
    return fail(ErrorCode::kNonCanonical,
                fmt::format("chunk.path.hash is the empty subtree written as internal (offset {})",
                            decoder.offset() - Hash256::kSize));
  }
  sibling.subtree = SubtreeHash{SubtreeKind::kInternal, *hash};
  return sibling;
}

Result<LeafUpdate> read_leaf(Decoder& decoder) {
  auto key = decoder.read_fixed<Hash256>("chunk.leaf.key");
  if (!key) return unexpected<Error>(std::move(key).error());
  auto value = decoder.read_bytes("chunk.leaf.value", kMaxValueBytes);
  if (!value) return unexpected<Error>(std::move(value).error());
  return LeafUpdate{*key, std::move(*value)};
}

Result<SnapshotChunk> read_chunk(Decoder& decoder) {
  if (auto header = decoder.expect_envelope({kStateFormatVersion, kChunkTypeTag}); !header) {
    return unexpected<Error>(std::move(header).error());
  }
  SnapshotChunk chunk;
  auto version = decoder.read_u64("chunk.version");
  if (!version) return unexpected<Error>(std::move(version).error());
  auto root = decoder.read_fixed<Hash256>("chunk.root");
  if (!root) return unexpected<Error>(std::move(root).error());
  auto bits = decoder.read_u8("chunk.prefix_bits");
  if (!bits) return unexpected<Error>(std::move(bits).error());
  if (*bits > kMaxPrefixBits) {
    return fail(ErrorCode::kOversize, fmt::format("chunk.prefix_bits {} exceeds {} (offset {})",
                                                  *bits, kMaxPrefixBits, decoder.offset() - 1));
  }
  auto index = decoder.read_u32("chunk.index");
  if (!index) return unexpected<Error>(std::move(index).error());
  if ((std::uint64_t{*index} >> *bits) != 0) {
    return fail(ErrorCode::kOversize, fmt::format("chunk.index {} needs more than {} bits "
                                                  "(offset {})",
                                                  *index, *bits, decoder.offset() - 4));
  }
  chunk.version = *version;
  chunk.root = *root;
  chunk.prefix_bits = *bits;
  chunk.index = *index;
  for (std::size_t depth = 0; depth < *bits; ++depth) {
    auto sibling = read_sibling(decoder);
    if (!sibling) return unexpected<Error>(std::move(sibling).error());
    chunk.path.push_back(std::move(*sibling));
  }
  constexpr std::size_t kSmallestLeaf = Hash256::kSize + 4;
  auto leaves = decoder.read_vector("chunk.leaves", kMaxChunkLeaves, kSmallestLeaf, read_leaf);
  if (!leaves) return unexpected<Error>(std::move(leaves).error());
  for (std::size_t i = 1; i < leaves->size(); ++i) {
    if (!((*leaves)[i - 1].key < (*leaves)[i].key)) {
      return fail(ErrorCode::kNonCanonical,
                  fmt::format("chunk.leaves[{}] is not in ascending key order", i));
    }
  }
  chunk.leaves = std::move(*leaves);
  const std::vector<bool> running_empty = running_subtree_empty(chunk);
  for (std::size_t depth = 0; depth < chunk.path.size(); ++depth) {
    if (chunk.path[depth].leaf && !running_empty[depth]) {
      return fail(ErrorCode::kNonCanonical,
                  fmt::format("chunk.path[{}] names a lone leaf where its hash alone is "
                              "canonical",
                              depth));
    }
  }
  return chunk;
}

}  // namespace

Result<SnapshotManifest> snapshot_manifest(const TreeStore& store, Version version) {
  auto info = store.version_info(version);
  if (!info) return unexpected<Error>(std::move(info).error());
  SnapshotManifest manifest;
  manifest.version = version;
  manifest.root = info->root();
  while (manifest.prefix_bits < kMaxPrefixBits &&
         (info->leaf_count >> manifest.prefix_bits) > kTargetChunkLeaves) {
    ++manifest.prefix_bits;
  }
  return manifest;
}

Result<SnapshotChunk> export_chunk(const TreeStore& store, const SnapshotManifest& manifest,
                                   std::uint32_t index) {
  if (index >= manifest.chunk_count()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("chunk {} does not exist (the snapshot has {})", index,
                            manifest.chunk_count()));
  }
  const TreeKey prefix = prefix_key(index, manifest.prefix_bits);
  auto walk = store.prefix_path(manifest.version, prefix, manifest.prefix_bits);
  if (!walk) return unexpected<Error>(std::move(walk).error());
  SnapshotChunk chunk;
  chunk.version = manifest.version;
  chunk.root = manifest.root;
  chunk.prefix_bits = manifest.prefix_bits;
  chunk.index = index;
  chunk.path = std::move(walk->siblings);
  // Below where the walk ended the tree is empty, except for a lone leaf that
  // sat above the prefix: it is the sibling where its key leaves the prefix.
  for (std::size_t depth = chunk.path.size(); depth < manifest.prefix_bits; ++depth) {
    PathSibling sibling;
    const auto& leaf = walk->terminal_leaf;
    if (leaf && share_prefix(leaf->key, prefix, depth) &&
        key_bit(leaf->key, depth) != key_bit(prefix, depth)) {
      sibling.subtree = SubtreeHash{SubtreeKind::kLeaf, leaf_hash(leaf->key, leaf->value_hash)};
      sibling.leaf = leaf;
    }
    chunk.path.push_back(std::move(sibling));
  }
  auto visited = store.for_each_leaf(
      manifest.version, prefix, manifest.prefix_bits,
      [&chunk](const TreeKey& key, ByteView value) -> Result<void> {
        chunk.leaves.push_back(LeafUpdate{key, Bytes(value.begin(), value.end())});
        return {};
      });
  if (!visited) return unexpected<Error>(std::move(visited).error());
  return chunk;
}

namespace {

// Runs work(i) for i in [0, count) on `threads` threads, each taking every
// threads-th index. work(i) must touch only what belongs to index i.
template <class Work>
void for_each_index(std::size_t count, unsigned threads, const Work& work) {
  const unsigned used = std::max(1U, std::min<unsigned>(threads, 16));
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < used; ++t) {
    workers.emplace_back([&work, count, used, t] {
      for (std::size_t i = t; i < count; i += used) work(i);
    });
  }
  for (std::size_t i = 0; i < count; i += used) work(i);
  for (std::thread& worker : workers) worker.join();
}

}  // namespace

Result<std::vector<Bytes>> export_snapshot(const TreeStore& store, const SnapshotManifest& manifest,
                                           unsigned threads) {
  std::vector<Bytes> chunks(manifest.chunk_count());
  std::vector<std::optional<Error>> errors(manifest.chunk_count());
  for_each_index(chunks.size(), threads, [&](std::size_t index) {
    auto chunk = export_chunk(store, manifest, static_cast<std::uint32_t>(index));
    if (chunk) {
      chunks[index] = encode_chunk(*chunk);
    } else {
      errors[index] = std::move(chunk).error();
    }
  });
  for (auto& error : errors) {
    if (error) return unexpected<Error>(std::move(*error));
  }
  return chunks;
}

Bytes encode_chunk(const SnapshotChunk& chunk) {
  AETHEL_ASSERT(chunk.path.size() == chunk.prefix_bits);
  Encoder encoder;
  encoder.put_envelope({kStateFormatVersion, kChunkTypeTag});
  encoder.put_u64(chunk.version).put_fixed(chunk.root).put_u8(chunk.prefix_bits);
  encoder.put_u32(chunk.index);
  const std::vector<bool> running_empty = running_subtree_empty(chunk);
  for (std::size_t depth = 0; depth < chunk.path.size(); ++depth) {
    put_sibling(encoder, chunk.path[depth], running_empty[depth]);
  }
  encoder.put_vector(chunk.leaves, [](Encoder& out, const LeafUpdate& leaf) {
    AETHEL_ASSERT(leaf.value.has_value());
    out.put_fixed(leaf.key).put_bytes(*leaf.value);
  });
  return std::move(encoder).take();
}

Result<SnapshotChunk> decode_chunk(ByteView bytes) {
  if (bytes.size() > kMaxChunkBytes) {
    return fail(ErrorCode::kOversize, fmt::format("chunk of {} bytes exceeds the limit of {}",
                                                  bytes.size(), kMaxChunkBytes));
  }
  return decode_whole(bytes, read_chunk);
}

Result<void> verify_chunk(const SnapshotManifest& manifest, const SnapshotChunk& chunk) {
  if (chunk.version != manifest.version || chunk.root != manifest.root ||
      chunk.prefix_bits != manifest.prefix_bits || chunk.path.size() != chunk.prefix_bits ||
      chunk.index >= manifest.chunk_count()) {
    return fail(ErrorCode::kCorrupt,
                fmt::format("chunk {} is for version {} cut at {} bits, not this snapshot "
                            "(version {}, {} bits)",
                            chunk.index, chunk.version, chunk.prefix_bits, manifest.version,
                            manifest.prefix_bits));
  }
  const TreeKey prefix = prefix_key(chunk.index, chunk.prefix_bits);
  for (std::size_t i = 0; i < chunk.leaves.size(); ++i) {
    const LeafUpdate& leaf = chunk.leaves[i];
    if (!leaf.value || !share_prefix(leaf.key, prefix, chunk.prefix_bits) ||
        (i > 0 && !(chunk.leaves[i - 1].key < leaf.key))) {
      return fail(ErrorCode::kCorrupt, fmt::format("chunk {} leaf {} ({}) is out of place",
                                                   chunk.index, i, leaf.key.hex()));
    }
  }
  SubtreeHash current = leaves_subtree(chunk.leaves, chunk.prefix_bits);
  for (std::size_t depth = chunk.prefix_bits; depth-- > 0;) {
    const PathSibling& sibling = chunk.path[depth];
    if (sibling.leaf && (!share_prefix(sibling.leaf->key, prefix, depth) ||
                         key_bit(sibling.leaf->key, depth) == key_bit(prefix, depth))) {
      return fail(ErrorCode::kCorrupt,
                  fmt::format("chunk {} names leaf {} as its sibling at depth {}, where it "
                              "cannot sit",
                              chunk.index, sibling.leaf->key.hex(), depth));
    }
    current = key_bit(prefix, depth) ? combine_subtrees(sibling.subtree, current)
                                     : combine_subtrees(current, sibling.subtree);
  }
  if (current.hash != manifest.root) {
    return fail(ErrorCode::kCorrupt,
                fmt::format("chunk {} leads to root {}, not the snapshot's root {}", chunk.index,
                            current.hash.hex(), manifest.root.hex()));
  }
  return {};
}

SnapshotImporter::SnapshotImporter(const SnapshotManifest& manifest)
    : manifest_(manifest), chunks_(manifest.chunk_count()), present_(manifest.chunk_count()) {}

Result<std::uint32_t> SnapshotImporter::add_chunk(ByteView bytes) {
  auto chunk = decode_chunk(bytes);
  if (!chunk) return unexpected<Error>(std::move(chunk).error());
  return add_chunk(std::move(*chunk));
}

Result<std::uint32_t> SnapshotImporter::add_chunk(SnapshotChunk chunk) {
  if (auto verified = verify_chunk(manifest_, chunk); !verified) {
    return unexpected<Error>(std::move(verified).error());
  }
  if (present_[chunk.index]) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("chunk {} was already imported", chunk.index));
  }
  present_[chunk.index] = true;
  ++received_;
  chunks_[chunk.index] = std::move(chunk.leaves);
  return chunk.index;
}

std::vector<Result<std::uint32_t>> SnapshotImporter::add_chunks(std::span<const Bytes> chunks,
                                                                unsigned threads) {
  std::vector<std::optional<Result<SnapshotChunk>>> checked(chunks.size());
  for_each_index(chunks.size(), threads, [&](std::size_t i) {
    auto chunk = decode_chunk(chunks[i]);
    if (chunk) {
      if (auto verified = verify_chunk(manifest_, *chunk); !verified) {
        chunk = unexpected<Error>(std::move(verified).error());
      }
    }
    checked[i] = std::move(chunk);
  });
  std::vector<Result<std::uint32_t>> results;
  results.reserve(chunks.size());
  for (auto& chunk : checked) {
    if (!*chunk) {
      results.emplace_back(unexpected<Error>(std::move(*chunk).error()));
    } else {
      results.push_back(add_chunk(std::move(**chunk)));
    }
  }
  return results;
}

std::vector<std::uint32_t> SnapshotImporter::missing_chunks() const {
  std::vector<std::uint32_t> missing;
  for (std::uint32_t i = 0; i < present_.size(); ++i) {
    if (!present_[i]) missing.push_back(i);
  }
  return missing;
}

Result<void> SnapshotImporter::for_each_leaf(const LeafVisitor& visit) const {
  for (const auto& leaves : chunks_) {
    for (const LeafUpdate& leaf : leaves) {
      if (auto visited = visit(leaf.key, *leaf.value); !visited) return visited;
    }
  }
  return {};
}

Result<VersionInfo> SnapshotImporter::finish(TreeStore& store, ByteView extra) {
  if (consumed_) {
    return fail(ErrorCode::kInvalidArgument,
                "this snapshot's leaves went into an earlier write that failed; fetch the "
                "chunks again");
  }
  if (!complete()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("snapshot import is missing {} of {} chunks",
                            manifest_.chunk_count() - received_, manifest_.chunk_count()));
  }
  if (manifest_.version == 0) {
    return fail(ErrorCode::kInvalidArgument, "version 0 (the empty tree) needs no import");
  }
  // Refusals that need no leaves come first, so the importer keeps its
  // leaves and can finish into another store.
  if (store.latest_version() != 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("a snapshot imports only into an empty store (store is at {})",
                            store.latest_version()));
  }
  std::vector<LeafUpdate> leaves;
  std::size_t total = 0;
  for (const auto& chunk : chunks_) total += chunk.size();
  leaves.reserve(total);
  for (auto& chunk : chunks_) {
    std::move(chunk.begin(), chunk.end(), std::back_inserter(leaves));
    chunk.clear();
  }
  // From here the leaves belong to the write, whatever its outcome.
  consumed_ = true;
  return store.import_version(manifest_.version, std::move(leaves), extra, manifest_.root);
}

}  // namespace aethel::state
