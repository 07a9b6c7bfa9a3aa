// Snapshots for state sync: the state at one version, cut into chunks that
// each verify on their own against that version's root.
//
// Chunk i holds every leaf whose key starts with the `prefix_bits`-bit number
// i, plus the siblings on the path from the root down to that prefix. A
// syncing node rebuilds the chunk's subtree from its leaves and hashes up the
// path; a chunk that does not reach the root is refused, so one bad peer
// costs one chunk, fetched again elsewhere. Once every chunk is in, the
// importer writes the leaves into an empty store at the snapshot's version,
// which must reproduce the root exactly.
//
// Siblings on a chunk's path carry their kind (empty, a lone leaf with its
// key and value hash, or a hash), because a chunk that is empty or holds one
// leaf collapses into its neighbours in the tree's hashing. That collapse
// happens only while the subtree rebuilt so far (the chunk's leaves and the
// siblings below) is empty, so only there is a lone leaf written as a leaf;
// elsewhere it is written as its hash, and decoding refuses the other form.
//
// Canonical encoding (envelope {1, kChunkTypeTag}): u64 version, root,
// u8 prefix_bits, u32 index, then prefix_bits siblings (u8 kind 0 empty,
// 1 lone leaf where the running subtree is empty: key, value hash; 2 any
// other non-empty subtree: hash), then u32 leaf count and each leaf's key and
// value (u32 length, bytes), keys strictly ascending.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "state/tree_store.h"

namespace aethel::state {

inline constexpr std::uint8_t kChunkTypeTag = 0x51;
inline constexpr std::size_t kMaxPrefixBits = 16;
inline constexpr std::size_t kMaxChunkLeaves = std::size_t{1} << 16;
inline constexpr std::size_t kMaxChunkBytes = std::size_t{64} << 20;
// Chunks are sized for about this many leaves each.
inline constexpr std::uint64_t kTargetChunkLeaves = 2048;

// What a syncing node knows before fetching chunks: the version and its root
// (from a finalized checkpoint) and how the snapshot is cut.
struct SnapshotManifest {
  Version version = 0;
  Hash256 root = empty_subtree_hash();
  std::uint8_t prefix_bits = 0;

  std::uint32_t chunk_count() const noexcept { return std::uint32_t{1} << prefix_bits; }
};

struct SnapshotChunk {
  Version version = 0;
  Hash256 root;
  std::uint8_t prefix_bits = 0;
  std::uint32_t index = 0;
  std::vector<PathSibling> path;   // prefix_bits siblings, root first
  std::vector<LeafUpdate> leaves;  // ascending keys, every value present
};

// Cuts `version` into chunks of about kTargetChunkLeaves leaves.
Result<SnapshotManifest> snapshot_manifest(const TreeStore& store, Version version);
Result<SnapshotChunk> export_chunk(const TreeStore& store, const SnapshotManifest& manifest,
                                   std::uint32_t index);
// Every chunk, encoded, exported by `threads` threads (reads only).
Result<std::vector<Bytes>> export_snapshot(const TreeStore& store, const SnapshotManifest& manifest,
                                           unsigned threads);

Bytes encode_chunk(const SnapshotChunk& chunk);
// Refuses (naming field and offset) anything but one canonical chunk.
Result<SnapshotChunk> decode_chunk(ByteView bytes);

// Checks a chunk against the manifest alone (kCorrupt, saying what fails).
Result<void> verify_chunk(const SnapshotManifest& manifest, const SnapshotChunk& chunk);

// Collects verified chunks, in any order, then writes them into an empty store.
class SnapshotImporter {
 public:
  explicit SnapshotImporter(const SnapshotManifest& manifest);

  // Decodes and verifies one chunk; refuses bad and duplicate chunks and
  // keeps nothing from them.
  Result<std::uint32_t> add_chunk(ByteView bytes);
  Result<std::uint32_t> add_chunk(SnapshotChunk chunk);
  // Decodes and verifies `chunks` on `threads` threads, then adds the good
  // ones; one result per chunk, in order.
  std::vector<Result<std::uint32_t>> add_chunks(std::span<const Bytes> chunks, unsigned threads);

  // False again once finish() has handed the leaves to a write.
  bool complete() const noexcept { return !consumed_ && received_ == manifest_.chunk_count(); }
  std::vector<std::uint32_t> missing_chunks() const;
  // Visits every leaf received so far, in key order.
  Result<void> for_each_leaf(const LeafVisitor& visit) const;

  // Writes the snapshot into `store` (which must be empty) at the snapshot's
  // version, with `extra` as its metadata. The root is checked before the
  // write (kCorrupt, nothing written). A refusal before the write (store not
  // empty, chunks missing) keeps the leaves for another try; once a write was
  // attempted and failed, the leaves are gone and finish() refuses.
  Result<VersionInfo> finish(TreeStore& store, ByteView extra);

 private:
  SnapshotManifest manifest_;
  std::vector<std::vector<LeafUpdate>> chunks_;
  std::vector<bool> present_;
  std::uint32_t received_ = 0;
  bool consumed_ = false;
};

}  // namespace aethel::state
