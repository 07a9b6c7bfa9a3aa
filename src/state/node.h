// The stored form of the tree: 16-ary nodes, each a binary subtree of depth 4.
//
// A node at nibble path p (the first |p| nibbles of every key beneath it)
// exists exactly when two or more leaves lie beneath p. Its 16 children are
// empty, a leaf (a key alone under p + nibble), or another node. A node's hash
// is the binary hash of its four inner levels (hashing.h), so proofs stay
// binary and compact while a lookup reads one node per four levels.
//
// Nodes are written once and never changed: a version that changes anything
// beneath a node writes a new copy keyed by (its version, its path). A child
// reference names the version of the child it points to, so every earlier
// version's tree stays readable until pruned. Leaves are stored apart, keyed
// by (version, key), so a leaf that moves up or down the tree when its
// neighbours come and go is not rewritten.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include "core/bytes.h"
#include "core/encoding.h"
#include "core/error.h"
#include "state/hashing.h"

namespace aethel::state {

using Version = std::uint64_t;

enum class ChildKind : std::uint8_t { kEmpty = 0, kLeaf = 1, kNode = 2 };

// A reference to a subtree of some version: empty, a leaf or a node.
struct ChildRef {
  ChildKind kind = ChildKind::kEmpty;
  Version version = 0;  // the version that wrote the leaf or node
  Hash256 hash = empty_subtree_hash();
  TreeKey key;  // a leaf's key; zero otherwise

  bool empty() const noexcept { return kind == ChildKind::kEmpty; }
  SubtreeHash subtree() const noexcept;
  friend bool operator==(const ChildRef&, const ChildRef&) = default;
};

ChildRef leaf_ref(Version version, const TreeKey& key, const Hash256& value_hash);

// The first `length` nibbles of a key; the nibbles after them are zero.
struct NodePath {
  TreeKey prefix;
  std::uint8_t length = 0;

  NodePath child(std::uint8_t nibble) const noexcept;
  // The path one nibble shorter (length above 0).
  NodePath parent() const noexcept;
  friend bool operator==(const NodePath&, const NodePath&) = default;
};

struct NodePathHasher {
  std::size_t operator()(const NodePath& path) const noexcept;
};

// `children` must not change once a hash has been asked for; a copy starts
// without hashes, so copy, change, then hash. The hashes are computed on first
// use, so a node shared between threads must be hashed before it is shared
// (the store does this for every node it caches or hands out).
struct InternalNode {
  std::array<ChildRef, 16> children;

  InternalNode() = default;
  InternalNode(const InternalNode& other) : children(other.children) {}
  InternalNode& operator=(const InternalNode& other) {
    children = other.children;
    inner_ready_ = false;
    return *this;
  }
  // A move keeps the hashes: the node it came from is gone.
  InternalNode(InternalNode&& other) noexcept = default;
  InternalNode& operator=(InternalNode&& other) noexcept = default;
  ~InternalNode() = default;

  std::size_t child_count() const noexcept;
  // The binary hash of children [begin, end), an aligned power-of-two range.
  SubtreeHash range_hash(std::size_t begin, std::size_t end) const;
  // The node's own hash (it holds two or more leaves, so it is internal).
  Hash256 hash() const;
  // Computes the inner hashes, taking those of `previous` (the node this one
  // replaces) for every range whose children did not change: a node with one
  // changed child costs 4 hashes instead of 15.
  void compute_hashes(const InternalNode* previous) const;
  // As above, when the caller knows which children differ from `previous`'s:
  // bit i of `changed` (child_bit(i)) is set exactly for those.
  void compute_hashes(const InternalNode* previous, std::uint16_t changed) const;

  friend bool operator==(const InternalNode& a, const InternalNode& b) {
    return a.children == b.children;
  }

 private:
  SubtreeHash fill(std::size_t position, std::size_t begin, std::size_t end,
                   const InternalNode* previous, std::uint16_t changed) const;
  // Takes the hashes at `position` and every position beneath it.
  void copy_hashes(const InternalNode& previous, std::size_t position) const;

  // Inner binary hashes by heap position (1 is the whole node, 2 and 3 its
  // halves, ...), derived from `children` and computed once.
  mutable std::array<SubtreeHash, 16> inner_{};
  mutable bool inner_ready_ = false;
};

// The bit of child `index` in a mask of changed children.
constexpr std::uint16_t child_bit(std::size_t index) noexcept {
  return static_cast<std::uint16_t>(1U << index);
}

void encode_child_ref(Encoder& encoder, const ChildRef& ref);
Result<ChildRef> read_child_ref(Decoder& decoder);

Bytes encode_node(const InternalNode& node);
// Appends the encoding of `node` to `out` (the same bytes as encode_node).
void append_node(Bytes& out, const InternalNode& node);
// Refuses (kCorrupt) stored bytes that are not a well-formed node.
Result<InternalNode> decode_node(ByteView bytes);

}  // namespace aethel::state
