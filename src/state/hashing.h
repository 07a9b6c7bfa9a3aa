// Hashing rules of the authenticated state tree.
//
// The tree is a binary sparse Merkle tree over 256-bit keys, read most
// significant bit first. A subtree's hash is defined by the leaves under it:
//   - no leaf:        kEmptySubtreeHash, a fixed constant;
//   - exactly one:    leaf_hash(key, value_hash) (the leaf sits at the
//                     shortest prefix that no other key shares, so a 1M-key
//                     tree is about 20 levels deep, not 256);
//   - two or more:    internal_hash(left, right).
// Each kind of hash starts with its own one-byte domain tag, so a leaf can
// never be read as an internal node or the reverse. A leaf hash binds the
// full key, which is what lets a different leaf prove a key's absence.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/bytes.h"

namespace aethel::state {

// A position in the tree: the SHA-256 of a namespaced logical key.
using TreeKey = Hash256;

inline constexpr std::size_t kKeyBits = 256;
inline constexpr std::size_t kKeyNibbles = 64;

inline constexpr std::uint8_t kLeafDomainTag = 0x00;
inline constexpr std::uint8_t kInternalDomainTag = 0x01;
inline constexpr std::uint8_t kEmptyDomainTag = 0x02;

// Bit `index` (0 = most significant bit of byte 0) of a key.
inline bool key_bit(const TreeKey& key, std::size_t index) noexcept {
  const unsigned byte = key.data()[index / 8];
  return ((byte >> (7 - index % 8)) & 1U) != 0;
}
// Nibble `index` (0 = high nibble of byte 0) of a key.
inline std::uint8_t key_nibble(const TreeKey& key, std::size_t index) noexcept {
  const unsigned byte = key.data()[index / 2];
  return static_cast<std::uint8_t>(index % 2 == 0 ? byte >> 4U : byte & 0x0fU);
}
// True when the first `bits` bits of a and b are equal.
bool share_prefix(const TreeKey& a, const TreeKey& b, std::size_t bits) noexcept;

// SHA-256(0x02): the hash of a subtree with no leaves.
const Hash256& empty_subtree_hash() noexcept;
// SHA-256 of a stored value.
Hash256 value_hash(ByteView value);
// SHA-256(0x00 || key || value_hash).
Hash256 leaf_hash(const TreeKey& key, const Hash256& value_hash);
// SHA-256(0x01 || left || right).
Hash256 internal_hash(const Hash256& left, const Hash256& right);

// What a subtree holds, as far as hashing is concerned.
enum class SubtreeKind : std::uint8_t { kEmpty, kLeaf, kInternal };

struct SubtreeHash {
  SubtreeKind kind = SubtreeKind::kEmpty;
  Hash256 hash = empty_subtree_hash();
};

// The hash of a binary node from its two halves, applying the rule above: a
// half that is empty beside a lone leaf lets the leaf rise unchanged.
SubtreeHash combine_subtrees(const SubtreeHash& left, const SubtreeHash& right);

}  // namespace aethel::state
