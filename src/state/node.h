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
  friend bool operator==(const NodePath&, const NodePath&) = default;
};

struct NodePathHasher {
  std::size_t operator()(const NodePath& path) const noexcept;
};

struct InternalNode {
  std::array<ChildRef, 16> children;

  std::size_t child_count() const noexcept;
  // The binary hash of children [begin, end), end - begin a power of two.
  SubtreeHash range_hash(std::size_t begin, std::size_t end) const;
  // The node's own hash (it holds two or more leaves, so it is internal).
  Hash256 hash() const;
  friend bool operator==(const InternalNode&, const InternalNode&) = default;
};

void encode_child_ref(Encoder& encoder, const ChildRef& ref);
Result<ChildRef> read_child_ref(Decoder& decoder);

Bytes encode_node(const InternalNode& node);
// Refuses (kCorrupt) stored bytes that are not a well-formed node.
Result<InternalNode> decode_node(ByteView bytes);

}  // namespace aethel::state
