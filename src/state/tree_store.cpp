#include "state/tree_store.h"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <iterator>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>

#include "core/encoding.h"
#include "fmt/format.h"
#include "state/storage_layout.h"

namespace aethel::state {
namespace {

constexpr std::uint8_t kMetaFormat = 1;

rocksdb::Slice slice_of(ByteView bytes) {
  return rocksdb::Slice(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}
ByteView view_of(const rocksdb::Slice& slice) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(slice.data()), slice.size());
}

unexpected<Error> io_error(std::string_view what, const rocksdb::Status& status) {
  return fail(ErrorCode::kIo, fmt::format("{}: {}", what, status.ToString()));
}

std::string path_text(const NodePath& path) {
  std::string text;
  for (std::size_t i = 0; i < path.length; ++i) {
    text += "0123456789abcdef"[key_nibble(path.prefix, i)];
  }
  return text.empty() ? "(root)" : text;
}

Bytes encode_meta(const VersionInfo& info) {
  Encoder encoder;
  encoder.put_u8(kMetaFormat);
  encode_child_ref(encoder, info.root_ref);
  encoder.put_u64(info.leaf_count);
  encoder.put_bytes(info.extra);
  return std::move(encoder).take();
}

Result<VersionInfo> decode_meta(Version version, ByteView bytes) {
  auto info = decode_whole(bytes, [version](Decoder& decoder) -> Result<VersionInfo> {
    auto format = decoder.read_u8("meta.format");
    if (!format) return unexpected<Error>(std::move(format).error());
    if (*format != kMetaFormat) return fail(ErrorCode::kBadTag, "meta.format is unknown");
    VersionInfo result;
    result.version = version;
    auto root = read_child_ref(decoder);
    if (!root) return unexpected<Error>(std::move(root).error());
    result.root_ref = *root;
    auto count = decoder.read_u64("meta.leaf_count");
    if (!count) return unexpected<Error>(std::move(count).error());
    result.leaf_count = *count;
    auto extra = decoder.read_bytes("meta.extra", kMaxExtraBytes);
    if (!extra) return unexpected<Error>(std::move(extra).error());
    result.extra = std::move(*extra);
    return result;
  });
  if (!info) {
    return fail(ErrorCode::kCorrupt,
                fmt::format("metadata of version {}: {}", version, info.error().message));
  }
  return info;
}

Bytes encode_head(Version latest, Version oldest) {
  Encoder encoder;
  encoder.put_u64(latest).put_u64(oldest);
  return std::move(encoder).take();
}

// The rows one version stopped referencing, as one value: u32 count, then
// each row key as u8 length and bytes. One row per version keeps the index
// from doubling the number of writes.
Bytes encode_stale_rows(const std::vector<std::string_view>& rows) {
  Encoder encoder;
  encoder.put_u32(static_cast<std::uint32_t>(rows.size()));
  for (const std::string_view row : rows) {
    AETHEL_ASSERT(row.size() <= 0xff);
    encoder.put_u8(static_cast<std::uint8_t>(row.size())).put_raw(as_byte_view(row));
  }
  return std::move(encoder).take();
}

Result<std::vector<std::string>> decode_stale_rows(ByteView bytes) {
  Decoder decoder(bytes);
  auto count = decoder.read_u32("stale.count");
  if (!count) return fail(ErrorCode::kCorrupt, "stale-row index: " + count.error().message);
  std::vector<std::string> rows;
  for (std::uint32_t i = 0; i < *count; ++i) {
    auto length = decoder.read_u8("stale.row_length");
    if (!length) return fail(ErrorCode::kCorrupt, "stale-row index: " + length.error().message);
    auto row = decoder.read_raw("stale.row", *length);
    if (!row) return fail(ErrorCode::kCorrupt, "stale-row index: " + row.error().message);
    rows.emplace_back(reinterpret_cast<const char*>(row->data()), row->size());
  }
  if (!decoder.finish()) return fail(ErrorCode::kCorrupt, "stale-row index has trailing bytes");
  return rows;
}

rocksdb::Options database_options() {
  rocksdb::Options options;
  options.create_if_missing = true;
  // Hashes do not compress; compressing them would only cost CPU.
  options.compression = rocksdb::kNoCompression;
  options.write_buffer_size = 64 << 20;
  options.max_background_jobs = 2;
  // Rows of one version share their first 9 bytes (kind, version) and are
  // written in key order, so the memtable can insert each beside the last.
  options.memtable_insert_with_hint_prefix_extractor.reset(
      rocksdb::NewFixedPrefixTransform(1 + sizeof(Version)));
  options.allow_concurrent_memtable_write = false;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  table.block_cache = rocksdb::NewLRUCache(std::size_t{128} << 20);
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

// Where bytes lie in one of an applier's arenas.
struct ArenaSpan {
  std::uint32_t arena = 0;
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
};

// A row the new version writes: its key and an encoded node in an arena, or
// its key and a leaf value (borrowed from the caller's update).
struct PendingRow {
  ArenaSpan key;
  ArenaSpan node;
  const Bytes* value = nullptr;
};

// One prepared change: its value hashed once, before the tree walk (by the
// thread that walks its half of the tree).
struct PreparedUpdate {
  TreeKey key;
  const Bytes* value = nullptr;  // nullptr removes the key
  Hash256 value_hash;
};

}  // namespace

// Builds one new version from sorted, distinct updates: nodes on changed paths
// are rewritten at the new version, untouched subtrees are shared with the
// previous version, and every row the new version stops referencing is
// entered in the stale index.
//
// Row keys and encoded nodes are appended to one arena per applier rather
// than allocated one by one: a version of 10,000 changes writes about 20,000
// nodes and 30,000 row keys.
class TreeApplier {
 public:
  // A node this version writes, and the cache entry of the node it replaces
  // (when that was cached), so the entry is replaced in place.
  struct WrittenNode {
    NodePath path;
    std::shared_ptr<const InternalNode> node;
    TreeStore::CachedNode* slot = nullptr;
  };

  TreeApplier(const TreeStore& store, Version version, std::size_t expected_updates)
      : store_(store), version_(version) {
    constexpr std::size_t kArenaBytesPerUpdate = 1536;  // about one bottom node and its key
    arenas_.emplace_back().reserve(expected_updates * kArenaBytesPerUpdate);
    rows_.reserve(expected_updates * 3);
    stale_.reserve(expected_updates * 3);
    written_.reserve(expected_updates * 2);
  }

  // `parent` is the cache entry of the node above `path`, when it has one.
  Result<ChildRef> update(const ChildRef& current, const NodePath& path,
                          std::span<const PreparedUpdate> updates,
                          TreeStore::CachedNode* parent = nullptr) {
    if (updates.empty()) return current;
    switch (current.kind) {
      case ChildKind::kEmpty: return update_empty(path, updates);
      case ChildKind::kLeaf: return update_leaf(current, path, updates);
      case ChildKind::kNode: return update_node(current, path, updates, parent);
    }
    AETHEL_UNREACHABLE("child kind out of range");
  }

  // As update() from the root, with the root's two halves (first nibble
  // below 8, and the rest) worked on by two threads. Each half touches only
  // its own children, and the rows are sorted before they are written, so the
  // result is exactly that of update().
  //
  // `retired` holds the nodes the previous version replaced; the second
  // thread frees them while the first builds.
  Result<ChildRef> update_root(const ChildRef& root, std::span<PreparedUpdate> updates,
                               unsigned threads,
                               std::vector<std::shared_ptr<const InternalNode>> retired) {
    constexpr std::size_t kParallelMinimum = 1024;
    if (threads < 2 || root.kind == ChildKind::kLeaf || updates.size() < kParallelMinimum) {
      retired.clear();
      hash_values(updates);
      return update(root, NodePath{}, updates);
    }
    std::shared_ptr<const InternalNode> loaded;
    TreeStore::CachedNode* slot = nullptr;
    std::shared_ptr<InternalNode> base;
    if (root.kind == ChildKind::kNode) {
      auto node =
          store_.load_node(root.version, NodePath{}, TreeStore::NodeSource::kLatestTree, &slot);
      if (!node) return unexpected<Error>(std::move(node).error());
      loaded = std::move(*node);
      base = std::make_shared<InternalNode>(*loaded);
    } else {
      base = std::make_shared<InternalNode>();
    }
    const auto middle = std::partition_point(
        updates.begin(), updates.end(),
        [](const PreparedUpdate& update) { return key_nibble(update.key, 0) < 8; });
    const auto split = static_cast<std::size_t>(middle - updates.begin());
    TreeApplier lower(store_, version_, split);
    Result<std::uint16_t> lower_result;
    // Each half also sorts its own rows; absorb() merges the two.
    std::thread worker([&] {
      retired.clear();
      hash_values(updates.subspan(0, split));
      lower_result = lower.update_children(*base, NodePath{}, updates.subspan(0, split), slot);
      lower.order_rows();
    });
    hash_values(updates.subspan(split));
    Result<std::uint16_t> upper_result =
        update_children(*base, NodePath{}, updates.subspan(split), slot);
    order_rows();
    worker.join();
    if (!lower_result) return unexpected<Error>(std::move(lower_result).error());
    if (!upper_result) return unexpected<Error>(std::move(upper_result).error());
    absorb(std::move(lower));
    const auto changed = static_cast<std::uint16_t>(*lower_result | *upper_result);
    if (!loaded)
      return finish(std::nullopt, nullptr, nullptr, NodePath{}, std::move(base), changed);
    return finish(root, loaded.get(), slot, NodePath{}, std::move(base), changed);
  }

  std::int64_t leaf_delta() const noexcept { return leaf_delta_; }
  std::vector<WrittenNode>& written() { return written_; }
  const std::vector<NodePath>& removed() const noexcept { return removed_; }
  // Bytes the rows take in a write batch, so it can be allocated once.
  std::size_t row_bytes() const noexcept {
    std::size_t total = 0;
    constexpr std::size_t kRowOverhead = 16;  // type byte and two length prefixes
    for (const PendingRow& row : rows_) {
      total += row.key.length + (row.value != nullptr ? row.value->size() : row.node.length) +
               kRowOverhead;
    }
    return total;
  }

  // Puts the new rows and the stale row keys in key order: every row of a
  // version sorts after the rows before it, so with RocksDB's insert hint
  // each lands next to the previous one instead of being searched for in the
  // memtable, and stale rows are deleted in key order when pruned, for the
  // same reason. Only what was added since the last call is sorted; it is
  // then merged with the rest.
  void order_rows() {
    merge_in_order(rows_, sorted_rows_, KeyLess{this});
    merge_in_order(stale_, sorted_stale_, KeyLess{this});
  }

  // The row keys this version stops referencing, in key order (after
  // order_rows()). Valid while the applier lives.
  std::vector<std::string_view> stale() const {
    AETHEL_ASSERT(sorted_stale_ == stale_.size());
    std::vector<std::string_view> keys;
    keys.reserve(stale_.size());
    for (const ArenaSpan& span : stale_) keys.push_back(text_of(span));
    return keys;
  }

  // Adds the new rows to `batch`, in key order (after order_rows()).
  void write_rows(rocksdb::WriteBatch& batch) const {
    AETHEL_ASSERT(sorted_rows_ == rows_.size());
    for (const PendingRow& row : rows_) {
      const std::string_view key = text_of(row.key);
      const std::string_view value =
          row.value != nullptr ? std::string_view(reinterpret_cast<const char*>(row.value->data()),
                                                  row.value->size())
                               : text_of(row.node);
      batch.Put(rocksdb::Slice(key.data(), key.size()), rocksdb::Slice(value.data(), value.size()));
    }
  }

 private:
  static void hash_values(std::span<PreparedUpdate> updates) {
    for (PreparedUpdate& update : updates) {
      if (update.value != nullptr) update.value_hash = value_hash(*update.value);
    }
  }

  Result<ChildRef> update_empty(const NodePath& path, std::span<const PreparedUpdate> updates) {
    const PreparedUpdate* only = nullptr;
    std::size_t live = 0;
    for (const PreparedUpdate& update : updates) {
      if (update.value == nullptr) continue;  // removing an absent key changes nothing
      ++live;
      only = &update;
    }
    if (live == 0) return ChildRef{};
    if (live == 1) {
      ++leaf_delta_;
      return write_leaf(*only);
    }
    return rebuild(std::nullopt, nullptr, nullptr, path, std::make_shared<InternalNode>(), updates);
  }

  Result<ChildRef> update_leaf(const ChildRef& current, const NodePath& path,
                               std::span<const PreparedUpdate> updates) {
    const auto match = std::lower_bound(
        updates.begin(), updates.end(), current.key,
        [](const PreparedUpdate& update, const TreeKey& key) { return update.key < key; });
    ChildRef kept = current;
    std::vector<PreparedUpdate> others;
    std::span<const PreparedUpdate> rest = updates;
    if (match != updates.end() && match->key == current.key) {
      kept = replace_leaf(current, *match);
      if (updates.size() == 1) return kept;
      others.reserve(updates.size() - 1);
      others.insert(others.end(), updates.begin(), match);
      others.insert(others.end(), match + 1, updates.end());
      rest = others;
    }
    if (std::none_of(rest.begin(), rest.end(),
                     [](const PreparedUpdate& update) { return update.value != nullptr; })) {
      return kept;
    }
    if (kept.empty()) return update_empty(path, rest);
    auto base = std::make_shared<InternalNode>();
    base->children[key_nibble(kept.key, path.length)] = kept;
    return rebuild(std::nullopt, nullptr, nullptr, path, std::move(base), rest);
  }

  ChildRef replace_leaf(const ChildRef& current, const PreparedUpdate& update) {
    if (update.value == nullptr) {
      mark_stale_value(current.version, current.key);
      --leaf_delta_;
      return ChildRef{};
    }
    if (leaf_hash(update.key, update.value_hash) == current.hash) return current;
    mark_stale_value(current.version, current.key);
    return write_leaf(update);
  }

  // Reads the node through its parent's cache entry when that links to it,
  // and from the cache or disk otherwise (then linking it).
  Result<ChildRef> update_node(const ChildRef& current, const NodePath& path,
                               std::span<const PreparedUpdate> updates,
                               TreeStore::CachedNode* parent) {
    const std::uint8_t nibble = path.length == 0 ? 0 : key_nibble(path.prefix, path.length - 1U);
    TreeStore::CachedNode* slot = parent != nullptr ? parent->children[nibble] : nullptr;
    if (slot != nullptr && slot->version == current.version) {
      // The entry keeps the node alive until commit() replaces it.
      const InternalNode* node = slot->node.get();
      return rebuild(current, node, slot, path, std::make_shared<InternalNode>(*node), updates);
    }
    slot = nullptr;
    auto node = store_.load_node(current.version, path, TreeStore::NodeSource::kLatestTree, &slot);
    if (!node) return unexpected<Error>(std::move(node).error());
    if (parent != nullptr && slot != nullptr) parent->children[nibble] = slot;
    return rebuild(current, node->get(), slot, path, std::make_shared<InternalNode>(**node),
                   updates);
  }

  // Applies `updates` beneath the node whose children start as `base`. The
  // node is built where it will stay (the cache shares it), so its 1.8 KB are
  // not copied again.
  Result<ChildRef> rebuild(const std::optional<ChildRef>& old_ref, const InternalNode* old_node,
                           TreeStore::CachedNode* slot, const NodePath& path,
                           std::shared_ptr<InternalNode> base,
                           std::span<const PreparedUpdate> updates) {
    auto changed = update_children(*base, path, updates, slot);
    if (!changed) return unexpected<Error>(std::move(changed).error());
    return finish(old_ref, old_node, slot, path, std::move(base), *changed);
  }

  // Replaces each child of `node` that `updates` (sorted) reach, and returns
  // the mask of the children that changed. `entry` is the cache entry of the
  // node `node` replaces, if any.
  Result<std::uint16_t> update_children(InternalNode& node, const NodePath& path,
                                        std::span<const PreparedUpdate> updates,
                                        TreeStore::CachedNode* entry) {
    AETHEL_ASSERT_MSG(path.length < kKeyNibbles, "distinct keys split before the last nibble");
    std::uint16_t changed = 0;
    std::size_t begin = 0;
    while (begin < updates.size()) {
      const std::uint8_t nibble = key_nibble(updates[begin].key, path.length);
      std::size_t end = begin + 1;
      while (end < updates.size() && key_nibble(updates[end].key, path.length) == nibble) ++end;
      auto child = update(node.children[nibble], path.child(nibble),
                          updates.subspan(begin, end - begin), entry);
      if (!child) return unexpected<Error>(std::move(child).error());
      if (*child != node.children[nibble]) {
        node.children[nibble] = *child;
        changed |= child_bit(nibble);
      }
      begin = end;
    }
    return changed;
  }

  // Orders rows and stale row keys by their keys in the arenas.
  struct KeyLess {
    const TreeApplier* applier;
    bool operator()(const PendingRow& a, const PendingRow& b) const {
      return applier->text_of(a.key) < applier->text_of(b.key);
    }
    bool operator()(const ArenaSpan& a, const ArenaSpan& b) const {
      return applier->text_of(a) < applier->text_of(b);
    }
  };

  // Sorts `items` from index `sorted` on, then merges them with the sorted
  // ones before.
  template <class Item, class Less>
  static void merge_in_order(std::vector<Item>& items, std::size_t& sorted, const Less& less) {
    const auto middle = items.begin() + static_cast<std::ptrdiff_t>(sorted);
    std::sort(middle, items.end(), less);
    std::inplace_merge(items.begin(), middle, items.end(), less);
    sorted = items.size();
  }

  // Takes the rows, stale keys and nodes of the applier that built the other
  // half of the root. Both sorted their own (order_rows()), so a merge keeps
  // all of them in order.
  void absorb(TreeApplier&& other) {
    AETHEL_ASSERT(sorted_rows_ == rows_.size() && sorted_stale_ == stale_.size());
    AETHEL_ASSERT(other.sorted_rows_ == other.rows_.size() &&
                  other.sorted_stale_ == other.stale_.size());
    leaf_delta_ += other.leaf_delta_;
    const auto arena_shift = static_cast<std::uint32_t>(arenas_.size());
    std::move(other.arenas_.begin(), other.arenas_.end(), std::back_inserter(arenas_));
    for (PendingRow row : other.rows_) {
      row.key.arena += arena_shift;
      row.node.arena += arena_shift;
      rows_.push_back(row);
    }
    for (ArenaSpan span : other.stale_) {
      span.arena += arena_shift;
      stale_.push_back(span);
    }
    const auto row_middle = rows_.begin() + static_cast<std::ptrdiff_t>(sorted_rows_);
    std::inplace_merge(rows_.begin(), row_middle, rows_.end(), KeyLess{this});
    sorted_rows_ = rows_.size();
    const auto stale_middle = stale_.begin() + static_cast<std::ptrdiff_t>(sorted_stale_);
    std::inplace_merge(stale_.begin(), stale_middle, stale_.end(), KeyLess{this});
    sorted_stale_ = stale_.size();
    std::move(other.written_.begin(), other.written_.end(), std::back_inserter(written_));
    std::move(other.removed_.begin(), other.removed_.end(), std::back_inserter(removed_));
  }

  // `node` is `old_node` (when there is one) with the children in `changed`
  // replaced.
  ChildRef finish(const std::optional<ChildRef>& old_ref, const InternalNode* old_node,
                  TreeStore::CachedNode* slot, const NodePath& path,
                  std::shared_ptr<InternalNode> built, std::uint16_t changed) {
    const InternalNode& node = *built;
    if (old_node != nullptr && changed == 0) return *old_ref;
    if (old_ref) mark_stale_node(old_ref->version, path);
    const std::size_t count = node.child_count();
    const ChildRef* only = nullptr;
    if (count == 1) {
      only = &*std::find_if(node.children.begin(), node.children.end(),
                            [](const ChildRef& child) { return !child.empty(); });
    }
    // A lone leaf rises to the shortest prefix that distinguishes it.
    if (count == 0 || (only != nullptr && only->kind == ChildKind::kLeaf)) {
      if (old_ref) removed_.push_back(path);
      return count == 0 ? ChildRef{} : *only;
    }
    node.compute_hashes(old_node, changed);
    const ChildRef ref{ChildKind::kNode, version_, node.hash(), TreeKey()};
    PendingRow row;
    row.key = append_to_arena([&](Bytes& out) { layout::append_node_key(out, version_, path); });
    row.node = append_to_arena([&](Bytes& out) { append_node(out, node); });
    rows_.push_back(row);
    written_.push_back(WrittenNode{path, std::move(built), slot});
    return ref;
  }

  ChildRef write_leaf(const PreparedUpdate& update) {
    PendingRow row;
    row.key =
        append_to_arena([&](Bytes& out) { layout::append_value_key(out, version_, update.key); });
    row.value = update.value;
    rows_.push_back(row);
    return leaf_ref(version_, update.key, update.value_hash);
  }

  void mark_stale_node(Version version, const NodePath& path) {
    stale_.push_back(
        append_to_arena([&](Bytes& out) { layout::append_node_key(out, version, path); }));
  }
  void mark_stale_value(Version version, const TreeKey& key) {
    stale_.push_back(
        append_to_arena([&](Bytes& out) { layout::append_value_key(out, version, key); }));
  }

  // Runs `write`, which appends to this applier's own arena, and returns
  // where its bytes went.
  template <class Write>
  ArenaSpan append_to_arena(const Write& write) {
    Bytes& arena = arenas_.front();
    const std::size_t begin = arena.size();
    write(arena);
    AETHEL_ASSERT(arena.size() <= 0xffffffffU);
    return ArenaSpan{0, static_cast<std::uint32_t>(begin),
                     static_cast<std::uint32_t>(arena.size() - begin)};
  }

  std::string_view text_of(const ArenaSpan& span) const {
    const Bytes& arena = arenas_[span.arena];
    return std::string_view(reinterpret_cast<const char*>(arena.data()) + span.offset, span.length);
  }

  const TreeStore& store_;
  Version version_;
  // arenas_[0] is this applier's own; absorb() adds those of others.
  std::vector<Bytes> arenas_;
  std::vector<PendingRow> rows_;
  std::size_t sorted_rows_ = 0;  // rows_ before this index are in key order
  std::int64_t leaf_delta_ = 0;
  std::vector<WrittenNode> written_;
  std::vector<NodePath> removed_;
  std::vector<ArenaSpan> stale_;
  std::size_t sorted_stale_ = 0;  // stale_ before this index is in key order
};

Result<std::unique_ptr<TreeStore>> TreeStore::open(const std::filesystem::path& directory,
                                                   const TreeConfig& config) {
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status status = rocksdb::DB::Open(database_options(), directory.string(), &raw);
  if (!status.ok()) return io_error(fmt::format("opening state at {}", directory.string()), status);
  std::unique_ptr<TreeStore> store(new TreeStore(std::unique_ptr<rocksdb::DB>(raw), config));
  if (auto head = store->load_head(); !head) return unexpected<Error>(std::move(head).error());
  return store;
}

TreeStore::TreeStore(std::unique_ptr<rocksdb::DB> db, const TreeConfig& config)
    : db_(std::move(db)), config_(config) {}

TreeStore::~TreeStore() = default;

Result<void> TreeStore::load_head() {
  std::string bytes;
  const rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), layout::head_key(), &bytes);
  if (status.IsNotFound()) return {};  // a new store: version 0, the empty tree
  if (!status.ok()) return io_error("reading the state head", status);
  Decoder decoder(as_byte_view(bytes));
  auto latest = decoder.read_u64("head.latest");
  auto oldest = latest ? decoder.read_u64("head.oldest") : Result<std::uint64_t>(0);
  if (!latest || !oldest || !decoder.finish() || *oldest > *latest) {
    return fail(ErrorCode::kCorrupt, "the state head row is malformed");
  }
  oldest_ = *oldest;
  auto info = read_meta(*latest);
  if (!info) return unexpected<Error>(std::move(info).error());
  latest_ = std::move(*info);
  return {};
}

Result<void> TreeStore::check_version(Version version) const {
  if (version < oldest_ || version > latest_.version) {
    return fail(ErrorCode::kNotFound,
                fmt::format("version {} is not stored (versions {} to {} are)", version, oldest_,
                            latest_.version));
  }
  return {};
}

Result<VersionInfo> TreeStore::version_info(Version version) const {
  if (version == latest_.version) return latest_;
  if (auto in_range = check_version(version); !in_range) {
    return unexpected<Error>(std::move(in_range).error());
  }
  if (version == 0) return VersionInfo{};
  return read_meta(version);
}

TreeStore::NodeSource TreeStore::source_for(Version version) const noexcept {
  return version == latest_.version ? NodeSource::kLatestTree : NodeSource::kOlderTree;
}

Result<VersionInfo> TreeStore::read_meta(Version version) const {
  std::string bytes;
  const rocksdb::Status status =
      db_->Get(rocksdb::ReadOptions(), layout::meta_key(version), &bytes);
  if (status.IsNotFound()) {
    return fail(ErrorCode::kCorrupt, fmt::format("metadata of version {} is missing", version));
  }
  if (!status.ok()) return io_error(fmt::format("reading metadata of version {}", version), status);
  return decode_meta(version, as_byte_view(bytes));
}

Result<std::shared_ptr<const InternalNode>> TreeStore::load_node(Version version,
                                                                 const NodePath& path,
                                                                 NodeSource source,
                                                                 CachedNode** slot) const {
  if (source != NodeSource::kDiskOnly) {
    const std::lock_guard<std::mutex> lock(cache_mutex_);
    const auto cached = cache_.find(path);
    if (cached != cache_.end() && cached->second.version == version) {
      if (slot != nullptr) *slot = &cached->second;
      return cached->second.node;
    }
  }
  rocksdb::PinnableSlice bytes;
  const rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(),
                                          layout::node_key(version, path), &bytes);
  if (status.IsNotFound()) {
    return fail(ErrorCode::kCorrupt,
                fmt::format("tree node {} of version {} is missing", path_text(path), version));
  }
  if (!status.ok()) return io_error("reading a tree node", status);
  auto node = decode_node(view_of(bytes));
  if (!node) {
    return fail(ErrorCode::kCorrupt, fmt::format("tree node {} of version {}: {}", path_text(path),
                                                 version, node.error().message));
  }
  // A node at the last nibble holds leaves only: a key has no nibbles left
  // to address another node with.
  if (path.length + 1U >= kKeyNibbles &&
      std::any_of(node->children.begin(), node->children.end(),
                  [](const ChildRef& child) { return child.kind == ChildKind::kNode; })) {
    return fail(ErrorCode::kCorrupt,
                fmt::format("tree node {} of version {} has a node child below the last nibble",
                            path_text(path), version));
  }
  // Hashed before it is shared: from here on the node is only read, so
  // several threads may walk it at once (snapshot export does).
  node->compute_hashes(nullptr);
  auto shared = std::make_shared<const InternalNode>(std::move(*node));
  if (source == NodeSource::kLatestTree) {
    const std::lock_guard<std::mutex> lock(cache_mutex_);
    if (cache_.size() < config_.node_cache_limit || cache_.contains(path)) {
      CachedNode& entry = cache_[path];  // keeps its links to child entries
      entry.version = version;
      entry.node = shared;
      if (slot != nullptr) *slot = &entry;
    }
  }
  return shared;
}

Result<Bytes> TreeStore::load_value(Version version, const TreeKey& key) const {
  rocksdb::PinnableSlice bytes;
  const rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(),
                                          layout::value_key(version, key), &bytes);
  if (status.IsNotFound()) {
    return fail(
        ErrorCode::kCorrupt,
        fmt::format("value of leaf {} written at version {} is missing", key.hex(), version));
  }
  if (!status.ok()) return io_error("reading a leaf value", status);
  const ByteView view = view_of(bytes);
  return Bytes(view.begin(), view.end());
}

Result<VersionInfo> TreeStore::apply(std::vector<LeafUpdate> updates, ByteView extra) {
  const Version version = latest_.version + 1;
  Version new_oldest = oldest_;
  if (config_.versions_kept > 0 && version - oldest_ + 1 > config_.versions_kept) {
    new_oldest = version - config_.versions_kept + 1;
  }
  return commit(version, std::move(updates), extra, new_oldest, nullptr);
}

Result<VersionInfo> TreeStore::import_version(Version version, std::vector<LeafUpdate> leaves,
                                              ByteView extra, const Hash256& expected_root) {
  if (latest_.version != 0 || version == 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("a snapshot imports only into an empty store at a version above 0 "
                            "(store is at {}, snapshot at {})",
                            latest_.version, version));
  }
  return commit(version, std::move(leaves), extra, version, &expected_root);
}

Result<VersionInfo> TreeStore::commit(Version version, std::vector<LeafUpdate> updates,
                                      ByteView extra, Version new_oldest,
                                      const Hash256* expected_root) {
  if (extra.size() > kMaxExtraBytes) {
    return fail(ErrorCode::kLimit, fmt::format("version metadata of {} bytes exceeds {}",
                                               extra.size(), kMaxExtraBytes));
  }
  std::sort(updates.begin(), updates.end(),
            [](const LeafUpdate& a, const LeafUpdate& b) { return a.key < b.key; });
  std::vector<PreparedUpdate> prepared;
  prepared.reserve(updates.size());
  for (const LeafUpdate& update : updates) {
    if (!prepared.empty() && prepared.back().key == update.key) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("key {} is changed twice in one version", update.key.hex()));
    }
    if (update.value && update.value->size() > kMaxValueBytes) {
      return fail(ErrorCode::kLimit,
                  fmt::format("value of key {} has {} bytes; the limit is {}", update.key.hex(),
                              update.value->size(), kMaxValueBytes));
    }
    prepared.push_back(
        PreparedUpdate{update.key, update.value ? &*update.value : nullptr, Hash256()});
  }

  TreeApplier applier(*this, version, prepared.size());
  auto root = applier.update_root(latest_.root_ref, prepared, config_.apply_threads,
                                  std::move(retired_nodes_));
  retired_nodes_.clear();
  if (!root) return unexpected<Error>(std::move(root).error());
  if (expected_root != nullptr && root->hash != *expected_root) {
    return fail(ErrorCode::kCorrupt,
                fmt::format("the leaves of version {} build root {}, not the expected {}", version,
                            root->hash.hex(), expected_root->hex()));
  }
  applier.order_rows();
  const std::vector<std::string_view> stale_rows = applier.stale();
  constexpr std::size_t kBatchSlack = 4096;  // metadata, head, stale list header
  rocksdb::WriteBatch batch(applier.row_bytes() + stale_rows.size() * 64 + kBatchSlack);
  applier.write_rows(batch);

  VersionInfo info;
  info.version = version;
  info.root_ref = *root;
  const auto count = static_cast<std::int64_t>(latest_.leaf_count) + applier.leaf_delta();
  if (count < 0) {
    return fail(ErrorCode::kCorrupt,
                fmt::format("version {} records {} leaves, fewer than this change removes",
                            latest_.version, latest_.leaf_count));
  }
  info.leaf_count = static_cast<std::uint64_t>(count);
  info.extra.assign(extra.begin(), extra.end());
  const Bytes meta = encode_meta(info);
  batch.Put(layout::meta_key(version), slice_of(meta));
  if (new_oldest == version) {
    // No version before this one stays, so the rows it replaces go now:
    // an index entry for them would sit past every later prune's range.
    for (const std::string_view row : stale_rows) {
      batch.Delete(rocksdb::Slice(row.data(), row.size()));
    }
  } else if (!stale_rows.empty()) {
    const Bytes stale = encode_stale_rows(stale_rows);
    batch.Put(layout::stale_key(version), slice_of(stale));
  }
  if (new_oldest > oldest_) {
    if (auto pruned = append_prune(batch, new_oldest); !pruned) {
      return unexpected<Error>(std::move(pruned).error());
    }
  }
  const Bytes head = encode_head(version, new_oldest);
  batch.Put(layout::head_key(), slice_of(head));

  rocksdb::WriteOptions write_options;
  write_options.sync = config_.sync_writes;
  const rocksdb::Status status = db_->Write(write_options, &batch);
  if (!status.ok()) return io_error(fmt::format("writing version {}", version), status);

  update_cache(version, applier);
  latest_ = std::move(info);
  oldest_ = new_oldest;
  return latest_;
}

void TreeStore::update_cache(Version version, TreeApplier& applier) {
  // Paths whose node collapsed into a leaf or emptied; a path is either
  // removed or rewritten by one version, never both.
  // Their parents are rewritten by the same version; their links go too.
  for (const NodePath& path : applier.removed()) {
    cache_.erase(path);
    if (path.length == 0) continue;
    const auto parent = cache_.find(path.parent());
    if (parent != cache_.end()) {
      parent->second.children[key_nibble(path.prefix, path.length - 1U)] = nullptr;
    }
  }
  for (TreeApplier::WrittenNode& written : applier.written()) {
    CachedNode* entry = written.slot;  // found when the replaced node was read
    if (entry == nullptr &&
        (cache_.size() < config_.node_cache_limit || cache_.contains(written.path))) {
      entry = &cache_[written.path];
    }
    if (entry == nullptr) continue;
    entry->version = version;
    // The replaced node is freed during the next version's build, on the
    // thread that is not on the critical path.
    if (entry->node) retired_nodes_.push_back(std::move(entry->node));
    entry->node = std::move(written.node);
  }
}

Result<void> TreeStore::append_prune(rocksdb::WriteBatch& batch, Version new_oldest) const {
  // Rows stale since version s serve only versions before s; every version
  // before new_oldest goes, so rows stale since new_oldest or earlier go too.
  // Earlier prunes already removed those stale since oldest_ or earlier.
  const std::string begin = layout::version_floor(layout::kStalePrefix, oldest_ + 1);
  const std::string end = layout::version_floor(layout::kStalePrefix, new_oldest + 1);
  rocksdb::ReadOptions read_options;
  const rocksdb::Slice upper(end);
  read_options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> rows(db_->NewIterator(read_options));
  for (rows->Seek(begin); rows->Valid(); rows->Next()) {
    auto stale = decode_stale_rows(view_of(rows->value()));
    if (!stale) return unexpected<Error>(std::move(stale).error());
    for (const std::string& row : *stale) batch.Delete(row);
    batch.Delete(rows->key());
  }
  if (!rows->status().ok()) return io_error("reading the stale-row index", rows->status());
  for (Version version = oldest_; version < new_oldest; ++version) {
    batch.Delete(layout::meta_key(version));
  }
  return {};
}

Result<void> TreeStore::prune(Version keep_from) {
  if (keep_from > latest_.version) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("cannot prune to version {} beyond the latest {}", keep_from, latest_.version));
  }
  if (keep_from <= oldest_) return {};
  rocksdb::WriteBatch batch;
  if (auto pruned = append_prune(batch, keep_from); !pruned) return pruned;
  const Bytes head = encode_head(latest_.version, keep_from);
  batch.Put(layout::head_key(), slice_of(head));
  rocksdb::WriteOptions write_options;
  write_options.sync = config_.sync_writes;
  const rocksdb::Status status = db_->Write(write_options, &batch);
  if (!status.ok()) return io_error("pruning old versions", status);
  oldest_ = keep_from;
  return {};
}

Result<std::optional<Bytes>> TreeStore::get_latest(const TreeKey& key) const {
  ChildRef ref = latest_.root_ref;
  NodePath path;
  while (ref.kind == ChildKind::kNode) {
    auto node = load_node(ref.version, path, NodeSource::kLatestTree);
    if (!node) return unexpected<Error>(std::move(node).error());
    const std::uint8_t nibble = key_nibble(key, path.length);
    ref = (*node)->children[nibble];
    path = path.child(nibble);
  }
  if (ref.kind == ChildKind::kEmpty || ref.key != key) return std::optional<Bytes>();
  auto value = load_value(ref.version, key);
  if (!value) return unexpected<Error>(std::move(value).error());
  return std::optional<Bytes>(std::move(*value));
}

Result<PrefixPath> TreeStore::prefix_path(Version version, const TreeKey& prefix,
                                          std::size_t prefix_bits) const {
  AETHEL_ASSERT(prefix_bits <= kKeyBits);
  auto info = version_info(version);
  if (!info) return unexpected<Error>(std::move(info).error());
  const NodeSource source = source_for(version);
  PrefixPath result;
  ChildRef ref = info->root_ref;
  NodePath path;
  std::size_t depth = 0;
  while (depth < prefix_bits) {
    if (ref.kind != ChildKind::kNode) {
      if (ref.kind == ChildKind::kLeaf) {
        auto value = load_value(ref.version, ref.key);
        if (!value) return unexpected<Error>(std::move(value).error());
        result.terminal_leaf = LeafWitness{ref.key, value_hash(*value)};
        result.terminal_value = std::move(*value);
      }
      return result;
    }
    auto loaded = load_node(ref.version, path, source);
    if (!loaded) return unexpected<Error>(std::move(loaded).error());
    const InternalNode& node = **loaded;
    std::size_t begin = 0;
    std::size_t end = 16;
    while (end - begin > 1 && depth < prefix_bits) {
      const std::size_t middle = begin + (end - begin) / 2;
      const bool right = key_bit(prefix, depth);
      const std::size_t sibling_begin = right ? begin : middle;
      const std::size_t sibling_end = right ? middle : end;
      PathSibling sibling{node.range_hash(sibling_begin, sibling_end), std::nullopt};
      if (sibling.subtree.kind == SubtreeKind::kLeaf) {
        const auto leaf =
            std::find_if(node.children.begin() + static_cast<std::ptrdiff_t>(sibling_begin),
                         node.children.begin() + static_cast<std::ptrdiff_t>(sibling_end),
                         [](const ChildRef& child) { return !child.empty(); });
        auto value = load_value(leaf->version, leaf->key);
        if (!value) return unexpected<Error>(std::move(value).error());
        sibling.leaf = LeafWitness{leaf->key, value_hash(*value)};
      }
      result.siblings.push_back(std::move(sibling));
      begin = right ? middle : begin;
      end = right ? end : middle;
      ++depth;
      std::size_t present = 0;
      const ChildRef* only = nullptr;
      for (std::size_t i = begin; i < end; ++i) {
        if (node.children[i].empty()) continue;
        ++present;
        only = &node.children[i];
      }
      if (present == 0) return result;
      if (present == 1 && only->kind == ChildKind::kLeaf) {
        auto value = load_value(only->version, only->key);
        if (!value) return unexpected<Error>(std::move(value).error());
        result.terminal_leaf = LeafWitness{only->key, value_hash(*value)};
        result.terminal_value = std::move(*value);
        return result;
      }
    }
    if (depth == prefix_bits) break;
    ref = node.children[begin];
    path = path.child(static_cast<std::uint8_t>(begin));
  }
  result.reached_depth = true;
  return result;
}

Result<ValueWithProof> TreeStore::get(const TreeKey& key, Version version) const {
  auto walk = prefix_path(version, key, kKeyBits);
  if (!walk) return unexpected<Error>(std::move(walk).error());
  if (walk->reached_depth) {
    return fail(ErrorCode::kCorrupt,
                fmt::format("the path to key {} at version {} ends below the last nibble",
                            key.hex(), version));
  }
  ValueWithProof result;
  result.proof.siblings.reserve(walk->siblings.size());
  for (const PathSibling& sibling : walk->siblings) {
    result.proof.siblings.push_back(sibling.subtree.hash);
  }
  result.proof.terminal = walk->terminal_leaf;
  if (walk->terminal_leaf && walk->terminal_leaf->key == key) {
    result.value = std::move(walk->terminal_value);
  }
  return result;
}

Result<void> TreeStore::for_each_leaf(Version version, const TreeKey& prefix,
                                      std::size_t prefix_bits, const LeafVisitor& visit) const {
  AETHEL_ASSERT(prefix_bits <= kKeyBits);
  auto info = version_info(version);
  if (!info) return unexpected<Error>(std::move(info).error());
  return visit_subtree(info->root_ref, NodePath{}, prefix, prefix_bits, source_for(version), visit);
}

Result<void> TreeStore::visit_subtree(const ChildRef& ref, const NodePath& path,
                                      const TreeKey& prefix, std::size_t prefix_bits,
                                      NodeSource source, const LeafVisitor& visit) const {
  if (ref.kind == ChildKind::kEmpty) return {};
  if (ref.kind == ChildKind::kLeaf) {
    if (!share_prefix(ref.key, prefix, prefix_bits)) return {};
    auto value = load_value(ref.version, ref.key);
    if (!value) return unexpected<Error>(std::move(value).error());
    return visit(ref.key, *value);
  }
  auto node = load_node(ref.version, path, source);
  if (!node) return unexpected<Error>(std::move(node).error());
  for (std::uint8_t nibble = 0; nibble < 16; ++nibble) {
    const NodePath child_path = path.child(nibble);
    const std::size_t compared = std::min<std::size_t>(child_path.length * 4U, prefix_bits);
    if (!share_prefix(child_path.prefix, prefix, compared)) continue;
    if (auto visited = visit_subtree((*node)->children[nibble], child_path, prefix, prefix_bits,
                                     source, visit);
        !visited) {
      return visited;
    }
  }
  return {};
}

Result<void> TreeStore::audit(Version version) const {
  auto info = version_info(version);
  if (!info) return unexpected<Error>(std::move(info).error());
  std::uint64_t leaves = 0;
  if (auto checked = audit_subtree(info->root_ref, NodePath{}, leaves); !checked) return checked;
  if (leaves != info->leaf_count) {
    return fail(ErrorCode::kCorrupt, fmt::format("version {} holds {} leaves but records {}",
                                                 version, leaves, info->leaf_count));
  }
  return check_no_rows_after(latest_.version);
}

Result<void> TreeStore::audit_subtree(const ChildRef& ref, const NodePath& path,
                                      std::uint64_t& leaves) const {
  if (ref.kind == ChildKind::kEmpty) return {};
  if (ref.kind == ChildKind::kLeaf) {
    ++leaves;
    if (!share_prefix(ref.key, path.prefix, path.length * 4U)) {
      return fail(ErrorCode::kCorrupt, fmt::format("leaf {} sits under path {}, off its key",
                                                   ref.key.hex(), path_text(path)));
    }
    auto value = load_value(ref.version, ref.key);
    if (!value) return unexpected<Error>(std::move(value).error());
    if (leaf_hash(ref.key, value_hash(*value)) != ref.hash) {
      return fail(ErrorCode::kCorrupt,
                  fmt::format("value of leaf {} (version {}) does not match its hash",
                              ref.key.hex(), ref.version));
    }
    return {};
  }
  auto node = load_node(ref.version, path, NodeSource::kDiskOnly);
  if (!node) return unexpected<Error>(std::move(node).error());
  if ((*node)->hash() != ref.hash) {
    return fail(ErrorCode::kCorrupt, fmt::format("tree node {} of version {} does not match its "
                                                 "hash",
                                                 path_text(path), ref.version));
  }
  for (std::uint8_t nibble = 0; nibble < 16; ++nibble) {
    if (auto checked = audit_subtree((*node)->children[nibble], path.child(nibble), leaves);
        !checked) {
      return checked;
    }
  }
  return {};
}

Result<void> TreeStore::check_no_rows_after(Version version) const {
  for (const char prefix : {layout::kNodePrefix, layout::kValuePrefix, layout::kMetaPrefix}) {
    std::unique_ptr<rocksdb::Iterator> rows(db_->NewIterator(rocksdb::ReadOptions()));
    rows->Seek(layout::version_floor(prefix, version + 1));
    if (!rows->status().ok())
      return io_error("scanning for rows of unwritten versions", rows->status());
    if (rows->Valid() && !rows->key().empty() && rows->key()[0] == prefix) {
      return fail(
          ErrorCode::kCorrupt,
          fmt::format("a '{}' row exists for a version after the latest ({})", prefix, version));
    }
  }
  return {};
}

}  // namespace aethel::state
