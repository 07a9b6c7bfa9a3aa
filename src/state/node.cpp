#include "state/node.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "fmt/format.h"

namespace aethel::state {
namespace {

constexpr std::uint8_t kNodeFormat = 1;

Error as_corrupt(Error error) {
  return Error(ErrorCode::kCorrupt, "stored tree node: " + error.message);
}

}  // namespace

SubtreeHash ChildRef::subtree() const noexcept {
  switch (kind) {
    case ChildKind::kEmpty: return SubtreeHash{};
    case ChildKind::kLeaf: return SubtreeHash{SubtreeKind::kLeaf, hash};
    case ChildKind::kNode: return SubtreeHash{SubtreeKind::kInternal, hash};
  }
  AETHEL_UNREACHABLE("child kind out of range");
}

ChildRef leaf_ref(Version version, const TreeKey& key, const Hash256& value_hash) {
  return ChildRef{ChildKind::kLeaf, version, leaf_hash(key, value_hash), key};
}

NodePath NodePath::child(std::uint8_t nibble) const noexcept {
  AETHEL_ASSERT(length < kKeyNibbles && nibble < 16);
  NodePath result = *this;
  auto array = prefix.array();
  const std::size_t byte = length / 2;
  array[byte] = static_cast<std::uint8_t>(length % 2 == 0 ? (array[byte] & 0x0f) | (nibble << 4)
                                                          : (array[byte] & 0xf0) | nibble);
  result.prefix = TreeKey(array);
  result.length = static_cast<std::uint8_t>(length + 1);
  return result;
}

NodePath NodePath::parent() const noexcept {
  AETHEL_ASSERT(length > 0);
  NodePath result = *this;
  auto array = prefix.array();
  const std::size_t last = length - 1U;
  array[last / 2] = static_cast<std::uint8_t>(last % 2 == 0 ? 0 : array[last / 2] & 0xf0);
  result.prefix = TreeKey(array);
  result.length = static_cast<std::uint8_t>(last);
  return result;
}

std::size_t NodePathHasher::operator()(const NodePath& path) const noexcept {
  std::uint64_t first = 0;
  std::uint64_t second = 0;
  std::memcpy(&first, path.prefix.data(), sizeof(first));
  std::memcpy(&second, path.prefix.data() + sizeof(first), sizeof(second));
  std::uint64_t mixed = (first ^ (second * 0x9e3779b97f4a7c15ULL)) + path.length;
  mixed ^= mixed >> 29;
  mixed *= 0xbf58476d1ce4e5b9ULL;
  mixed ^= mixed >> 32;
  return static_cast<std::size_t>(mixed);
}

std::size_t InternalNode::child_count() const noexcept {
  std::size_t count = 0;
  for (const ChildRef& child : children) count += child.empty() ? 0U : 1U;
  return count;
}

SubtreeHash InternalNode::range_hash(std::size_t begin, std::size_t end) const {
  const std::size_t size = end - begin;
  AETHEL_ASSERT(size > 0 && size <= 16 && 16 % size == 0 && begin % size == 0);
  if (size == 1) return children[begin].subtree();
  compute_hashes(nullptr);
  return inner_[16 / size + begin / size];
}

void InternalNode::compute_hashes(const InternalNode* previous) const {
  std::uint16_t changed = 0;
  if (previous != nullptr) {
    for (std::size_t i = 0; i < 16; ++i) {
      if (children[i] != previous->children[i]) changed |= child_bit(i);
    }
  }
  compute_hashes(previous, changed);
}

void InternalNode::compute_hashes(const InternalNode* previous, std::uint16_t changed) const {
  if (inner_ready_) return;
  if (previous != nullptr && !previous->inner_ready_) previous = nullptr;
  fill(1, 0, 16, previous, changed);
  inner_ready_ = true;
}

SubtreeHash InternalNode::fill(std::size_t position, std::size_t begin, std::size_t end,
                               const InternalNode* previous, std::uint16_t changed) const {
  if (end - begin == 1) return children[begin].subtree();
  const auto range = static_cast<std::uint16_t>(((1U << (end - begin)) - 1U) << begin);
  if (previous != nullptr && (changed & range) == 0) {
    copy_hashes(*previous, position);
    return inner_[position];
  }
  const std::size_t middle = begin + (end - begin) / 2;
  inner_[position] = combine_subtrees(fill(2 * position, begin, middle, previous, changed),
                                      fill(2 * position + 1, middle, end, previous, changed));
  return inner_[position];
}

void InternalNode::copy_hashes(const InternalNode& previous, std::size_t position) const {
  inner_[position] = previous.inner_[position];
  if (position < 8) {  // positions 8..15 cover two children each: nothing below them
    copy_hashes(previous, 2 * position);
    copy_hashes(previous, 2 * position + 1);
  }
}

Hash256 InternalNode::hash() const {
  const SubtreeHash whole = range_hash(0, 16);
  AETHEL_ASSERT_MSG(whole.kind == SubtreeKind::kInternal, "a node must hold two or more leaves");
  return whole.hash;
}

void encode_child_ref(Encoder& encoder, const ChildRef& ref) {
  encoder.put_u8(static_cast<std::uint8_t>(ref.kind));
  if (ref.kind == ChildKind::kEmpty) return;
  encoder.put_u64(ref.version);
  encoder.put_fixed(ref.hash);
  if (ref.kind == ChildKind::kLeaf) encoder.put_fixed(ref.key);
}

Result<ChildRef> read_child_ref(Decoder& decoder) {
  auto kind = decoder.read_u8("child.kind");
  if (!kind) return unexpected<Error>(std::move(kind).error());
  if (*kind > static_cast<std::uint8_t>(ChildKind::kNode)) {
    return fail(ErrorCode::kBadTag, fmt::format("child.kind has unknown value {} (offset {})",
                                                *kind, decoder.offset() - 1));
  }
  ChildRef ref;
  ref.kind = static_cast<ChildKind>(*kind);
  if (ref.kind == ChildKind::kEmpty) return ref;
  auto version = decoder.read_u64("child.version");
  if (!version) return unexpected<Error>(std::move(version).error());
  auto hash = decoder.read_fixed<Hash256>("child.hash");
  if (!hash) return unexpected<Error>(std::move(hash).error());
  ref.version = *version;
  ref.hash = *hash;
  if (ref.kind == ChildKind::kLeaf) {
    auto key = decoder.read_fixed<Hash256>("child.key");
    if (!key) return unexpected<Error>(std::move(key).error());
    ref.key = *key;
  }
  return ref;
}

Bytes encode_node(const InternalNode& node) {
  Bytes out;
  append_node(out, node);
  return out;
}

namespace {

std::uint8_t* put_big_endian(std::uint8_t* out, std::uint64_t value, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i) {
    out[i] = static_cast<std::uint8_t>(value >> (8 * (bytes - 1 - i)));
  }
  return out + bytes;
}

std::uint8_t* put_hash(std::uint8_t* out, const Hash256& hash) {
  std::memcpy(out, hash.data(), Hash256::kSize);
  return out + Hash256::kSize;
}

}  // namespace

// Written straight into `out`, sized once: a version encodes thousands of
// nodes, and growing an encoder for each would dominate the copy itself.
void append_node(Bytes& out, const InternalNode& node) {
  std::uint16_t present = 0;
  std::uint16_t leaves = 0;
  std::size_t size = 1 + 2 + 2;
  for (std::size_t i = 0; i < 16; ++i) {
    const ChildRef& child = node.children[i];
    if (child.empty()) continue;
    const auto bit = static_cast<std::uint16_t>(0x8000U >> i);
    present = static_cast<std::uint16_t>(present | bit);
    size += sizeof(Version) + Hash256::kSize;
    if (child.kind == ChildKind::kLeaf) {
      leaves = static_cast<std::uint16_t>(leaves | bit);
      size += TreeKey::kSize;
    }
  }
  const std::size_t start = out.size();
  out.resize(start + size);
  std::uint8_t* cursor = out.data() + start;
  *cursor++ = kNodeFormat;
  cursor = put_big_endian(cursor, present, 2);
  cursor = put_big_endian(cursor, leaves, 2);
  for (const ChildRef& child : node.children) {
    if (child.empty()) continue;
    cursor = put_big_endian(cursor, child.version, sizeof(Version));
    cursor = put_hash(cursor, child.hash);
    if (child.kind == ChildKind::kLeaf) cursor = put_hash(cursor, child.key);
  }
  AETHEL_ASSERT(cursor == out.data() + out.size());
}

Result<InternalNode> decode_node(ByteView bytes) {
  auto node = decode_whole(bytes, [](Decoder& decoder) -> Result<InternalNode> {
    auto format = decoder.read_u8("node.format");
    if (!format) return unexpected<Error>(std::move(format).error());
    if (*format != kNodeFormat) {
      return fail(ErrorCode::kBadTag,
                  fmt::format("node.format {} is not {}", *format, kNodeFormat));
    }
    auto present = decoder.read_u16("node.present");
    if (!present) return unexpected<Error>(std::move(present).error());
    auto leaves = decoder.read_u16("node.leaves");
    if (!leaves) return unexpected<Error>(std::move(leaves).error());
    if ((*leaves & ~*present) != 0) {
      return fail(ErrorCode::kCorrupt, "node marks a leaf in an empty slot");
    }
    InternalNode result;
    for (std::size_t i = 0; i < 16; ++i) {
      const auto bit = static_cast<std::uint16_t>(0x8000U >> i);
      if ((*present & bit) == 0) continue;
      ChildRef& child = result.children[i];
      child.kind = (*leaves & bit) != 0 ? ChildKind::kLeaf : ChildKind::kNode;
      auto version = decoder.read_u64("node.child.version");
      if (!version) return unexpected<Error>(std::move(version).error());
      auto hash = decoder.read_fixed<Hash256>("node.child.hash");
      if (!hash) return unexpected<Error>(std::move(hash).error());
      child.version = *version;
      child.hash = *hash;
      if (child.kind == ChildKind::kLeaf) {
        auto key = decoder.read_fixed<Hash256>("node.child.key");
        if (!key) return unexpected<Error>(std::move(key).error());
        child.key = *key;
      }
    }
    if (result.child_count() == 0 || (result.child_count() == 1 && std::popcount(*leaves) == 1)) {
      return fail(ErrorCode::kCorrupt, "node holds fewer than two leaves");
    }
    return result;
  });
  if (!node) return unexpected<Error>(as_corrupt(std::move(node).error()));
  return node;
}

}  // namespace aethel::state
