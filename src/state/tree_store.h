// The versioned sparse Merkle tree, persisted in an embedded RocksDB.
//
// apply() turns a block's leaf changes into a new version with its own root,
// written in one RocksDB WriteBatch together with the version's metadata, so
// a version is on disk whole or not at all. Earlier versions stay readable
// (values and proofs) until pruning drops them; pruning deletes exactly the
// rows that no retained version references, found through a stale-row index.
//
// A TreeStore is used from one thread at a time (apply() may split a large
// version's work over two threads of its own; the result does not depend on
// it). Nodes of the latest tree are cached in memory (bounded); older
// versions are read from RocksDB.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "state/hashing.h"
#include "state/node.h"
#include "state/proof.h"

namespace rocksdb {
class DB;
class WriteBatch;
}  // namespace rocksdb

namespace aethel::state {

class TreeApplier;

inline constexpr std::size_t kMaxValueBytes = 64 * 1024;
inline constexpr std::size_t kMaxExtraBytes = 64 * 1024;

struct TreeConfig {
  bool sync_writes = true;    // fsync the write-ahead log at every version
  Version versions_kept = 0;  // keep this many latest versions; 0 keeps all
  std::size_t node_cache_limit = std::size_t{1} << 20;  // cached nodes of the latest tree
  unsigned apply_threads = 2;  // threads hashing a large version's two halves (1 or 2)
};

// A change to one key: a new value, or nullopt to remove the key.
struct LeafUpdate {
  TreeKey key;
  std::optional<Bytes> value;
};

struct VersionInfo {
  Version version = 0;
  ChildRef root_ref;
  std::uint64_t leaf_count = 0;
  Bytes extra;  // caller's metadata stored with the version (e.g. ledger totals)

  const Hash256& root() const noexcept { return root_ref.hash; }
};

struct ValueWithProof {
  std::optional<Bytes> value;
  Proof proof;
};

// A sibling on the path to a key prefix, with enough to know its kind.
struct PathSibling {
  SubtreeHash subtree;
  std::optional<LeafWitness> leaf;  // set when the sibling is a lone leaf
};

// Where the walk to a prefix ended: at the prefix depth, or above it at an
// empty subtree or a lone leaf.
struct PrefixPath {
  std::vector<PathSibling> siblings;  // one per depth walked, root first
  bool reached_depth = false;
  std::optional<LeafWitness> terminal_leaf;
  Bytes terminal_value;  // the terminal leaf's value
};

using LeafVisitor = std::function<Result<void>(const TreeKey& key, ByteView value)>;

class TreeStore {
 public:
  // Opens (creating when missing) the store in `directory`.
  static Result<std::unique_ptr<TreeStore>> open(const std::filesystem::path& directory,
                                                 const TreeConfig& config);
  ~TreeStore();
  TreeStore(const TreeStore&) = delete;
  TreeStore& operator=(const TreeStore&) = delete;

  // 0 before anything is applied (version 0 is the empty tree).
  Version latest_version() const noexcept { return latest_.version; }
  Version oldest_version() const noexcept { return oldest_; }
  const VersionInfo& latest() const noexcept { return latest_; }
  Result<VersionInfo> version_info(Version version) const;

  // Writes `updates` (distinct keys, any order) as version latest + 1, with
  // `extra` stored beside it. Nothing is written when it fails.
  Result<VersionInfo> apply(std::vector<LeafUpdate> updates, ByteView extra);

  // The value at the latest version, without a proof.
  Result<std::optional<Bytes>> get_latest(const TreeKey& key) const;
  // The value (or its absence) at `version`, with a proof against its root.
  Result<ValueWithProof> get(const TreeKey& key, Version version) const;

  // Visits, in key order, every leaf of `version` whose first `prefix_bits`
  // bits equal those of `prefix`.
  Result<void> for_each_leaf(Version version, const TreeKey& prefix, std::size_t prefix_bits,
                             const LeafVisitor& visit) const;
  // The siblings on the path from the root to the subtree at `prefix`.
  Result<PrefixPath> prefix_path(Version version, const TreeKey& prefix,
                                 std::size_t prefix_bits) const;

  // Writes `leaves` as version `version` of an empty store (state sync).
  // The root is computed before anything is written: a root other than
  // `expected_root` is refused (kCorrupt) and the store stays empty.
  Result<VersionInfo> import_version(Version version, std::vector<LeafUpdate> leaves,
                                     ByteView extra, const Hash256& expected_root);

  // Drops every version before `keep_from` (at most the latest version).
  Result<void> prune(Version keep_from);

  // Re-derives every node hash of `version` from its children and every leaf
  // hash from its stored value, checks the leaf count, and looks for rows
  // newer than the latest version. Names the first mismatch (kCorrupt).
  Result<void> audit(Version version) const;

 private:
  // A node of the latest tree, by path. `children` links to the entries of
  // the paths one nibble below, where known, so a version's walk down the
  // tree follows links instead of hashing paths; a link names a path, not a
  // version, so it stays right while the entry it points to is replaced in
  // place, and is cleared when that entry is erased.
  struct CachedNode {
    Version version = 0;
    std::shared_ptr<const InternalNode> node;
    std::array<CachedNode*, 16> children{};
  };
  friend class TreeApplier;

  TreeStore(std::unique_ptr<rocksdb::DB> db, const TreeConfig& config);
  Result<void> load_head();
  // Whether a node read belongs to the latest tree (and may be cached), to an
  // older one, or must come from disk whatever the cache holds (audits).
  enum class NodeSource : std::uint8_t { kLatestTree, kOlderTree, kDiskOnly };
  // A node of the latest tree that is (or becomes) cached gives its cache
  // entry in `slot`. Entries stay where they are until commit() erases them
  // (std::unordered_map keeps references to its elements stable), so the
  // version being built can replace them in place.
  Result<std::shared_ptr<const InternalNode>> load_node(Version version, const NodePath& path,
                                                        NodeSource source,
                                                        CachedNode** slot = nullptr) const;
  Result<VersionInfo> read_meta(Version version) const;
  NodeSource source_for(Version version) const noexcept;
  Result<Bytes> load_value(Version version, const TreeKey& key) const;
  Result<VersionInfo> commit(Version version, std::vector<LeafUpdate> updates, ByteView extra,
                             Version new_oldest, const Hash256* expected_root);
  void update_cache(Version version, TreeApplier& applier);
  Result<void> append_prune(rocksdb::WriteBatch& batch, Version new_oldest) const;
  Result<void> check_version(Version version) const;
  Result<void> audit_subtree(const ChildRef& ref, const NodePath& path,
                             std::uint64_t& leaves) const;
  Result<void> check_no_rows_after(Version version) const;
  Result<void> visit_subtree(const ChildRef& ref, const NodePath& path, const TreeKey& prefix,
                             std::size_t prefix_bits, NodeSource source,
                             const LeafVisitor& visit) const;

  std::unique_ptr<rocksdb::DB> db_;
  TreeConfig config_;
  VersionInfo latest_;
  Version oldest_ = 0;
  // Guards cache_ while the two halves of a version are built in parallel.
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<NodePath, CachedNode, NodePathHasher> cache_;
  // Nodes the latest version replaced in the cache, freed by the next apply.
  std::vector<std::shared_ptr<const InternalNode>> retired_nodes_;
};

}  // namespace aethel::state
