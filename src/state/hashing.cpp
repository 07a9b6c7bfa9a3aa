#include "state/hashing.h"

#include <array>
#include <cstring>

#include "crypto/sha256.h"

namespace aethel::state {
namespace {

// One hasher per thread: SHA-256 contexts are reused rather than allocated
// for every one of the many small hashes a block's updates need.
crypto::Sha256Hasher& thread_hasher() {
  thread_local crypto::Sha256Hasher hasher;
  return hasher;
}

Hash256 tagged_hash(std::uint8_t tag, const Hash256& first, const Hash256& second) {
  std::array<std::uint8_t, 1 + 2 * Hash256::kSize> input{};
  input[0] = tag;
  std::memcpy(input.data() + 1, first.data(), Hash256::kSize);
  std::memcpy(input.data() + 1 + Hash256::kSize, second.data(), Hash256::kSize);
  return thread_hasher().update(ByteView(input)).finish();
}

}  // namespace

bool share_prefix(const TreeKey& a, const TreeKey& b, std::size_t bits) noexcept {
  const std::size_t whole_bytes = bits / 8;
  if (std::memcmp(a.data(), b.data(), whole_bytes) != 0) return false;
  const std::size_t rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a.data()[whole_bytes] & mask) == (b.data()[whole_bytes] & mask);
}

const Hash256& empty_subtree_hash() noexcept {
  static const Hash256 hash = [] {
    const std::array<std::uint8_t, 1> tag{kEmptyDomainTag};
    return crypto::sha256(ByteView(tag));
  }();
  return hash;
}

Hash256 value_hash(ByteView value) {
  return thread_hasher().update(value).finish();
}

Hash256 leaf_hash(const TreeKey& key, const Hash256& value_hash) {
  return tagged_hash(kLeafDomainTag, key, value_hash);
}

Hash256 internal_hash(const Hash256& left, const Hash256& right) {
  return tagged_hash(kInternalDomainTag, left, right);
}

SubtreeHash combine_subtrees(const SubtreeHash& left, const SubtreeHash& right) {
  if (left.kind == SubtreeKind::kEmpty) {
    if (right.kind != SubtreeKind::kInternal) return right;
  } else if (right.kind == SubtreeKind::kEmpty && left.kind == SubtreeKind::kLeaf) {
    return left;
  }
  return SubtreeHash{SubtreeKind::kInternal, internal_hash(left.hash, right.hash)};
}

}  // namespace aethel::state
