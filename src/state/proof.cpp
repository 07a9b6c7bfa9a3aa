#include "state/proof.h"

#include <array>

#include "core/encoding.h"
#include "fmt/format.h"

namespace aethel::state {
namespace {

constexpr std::size_t kTerminalEmpty = 0;
constexpr std::size_t kTerminalLeaf = 1;

std::size_t bitmap_bytes(std::size_t depth) {
  return (depth + 7) / 8;
}

Result<std::vector<Hash256>> read_siblings(Decoder& decoder, std::size_t depth) {
  auto bitmap = decoder.read_raw("proof.bitmap", bitmap_bytes(depth));
  if (!bitmap) return unexpected<Error>(std::move(bitmap).error());
  const std::size_t unused_bits = bitmap_bytes(depth) * 8 - depth;
  if (unused_bits > 0 && ((*bitmap)[bitmap->size() - 1] & ((1U << unused_bits) - 1)) != 0) {
    return fail(ErrorCode::kNonCanonical,
                fmt::format("proof.bitmap has bits set beyond depth {} (offset {})", depth,
                            decoder.offset() - 1));
  }
  std::vector<Hash256> siblings(depth, empty_subtree_hash());
  for (std::size_t i = 0; i < depth; ++i) {
    const unsigned byte = (*bitmap)[i / 8];
    if (((byte >> (7 - i % 8)) & 1U) == 0) continue;
    auto sibling = decoder.read_fixed<Hash256>("proof.sibling");
    if (!sibling) return unexpected<Error>(std::move(sibling).error());
    if (*sibling == empty_subtree_hash()) {
      return fail(ErrorCode::kNonCanonical,
                  fmt::format("proof.sibling at depth {} is the empty subtree but is written out "
                              "(offset {})",
                              i, decoder.offset() - Hash256::kSize));
    }
    siblings[i] = *sibling;
  }
  return siblings;
}

Result<Proof> read_proof(Decoder& decoder) {
  if (auto header = decoder.expect_envelope({kStateFormatVersion, kProofTypeTag}); !header) {
    return unexpected<Error>(std::move(header).error());
  }
  auto depth = decoder.read_u16("proof.depth");
  if (!depth) return unexpected<Error>(std::move(depth).error());
  if (*depth > kKeyBits) {
    return fail(ErrorCode::kOversize, fmt::format("proof.depth {} exceeds {} (offset {})", *depth,
                                                  kKeyBits, decoder.offset() - 2));
  }
  Proof proof;
  auto siblings = read_siblings(decoder, *depth);
  if (!siblings) return unexpected<Error>(std::move(siblings).error());
  proof.siblings = std::move(*siblings);
  auto terminal = decoder.read_u8("proof.terminal");
  if (!terminal) return unexpected<Error>(std::move(terminal).error());
  if (*terminal == kTerminalEmpty) return proof;
  if (*terminal != kTerminalLeaf) {
    return fail(ErrorCode::kBadTag, fmt::format("proof.terminal has unknown tag {} (offset {})",
                                                *terminal, decoder.offset() - 1));
  }
  auto key = decoder.read_fixed<Hash256>("proof.leaf_key");
  if (!key) return unexpected<Error>(std::move(key).error());
  auto hash = decoder.read_fixed<Hash256>("proof.leaf_value_hash");
  if (!hash) return unexpected<Error>(std::move(hash).error());
  proof.terminal = LeafWitness{*key, *hash};
  return proof;
}

}  // namespace

Bytes encode_proof(const Proof& proof) {
  AETHEL_ASSERT(proof.siblings.size() <= kKeyBits);
  Encoder encoder;
  encoder.put_envelope({kStateFormatVersion, kProofTypeTag});
  encoder.put_u16(static_cast<std::uint16_t>(proof.siblings.size()));
  Bytes bitmap(bitmap_bytes(proof.siblings.size()), 0);
  for (std::size_t i = 0; i < proof.siblings.size(); ++i) {
    if (proof.siblings[i] != empty_subtree_hash()) {
      bitmap[i / 8] = static_cast<std::uint8_t>(bitmap[i / 8] | (0x80U >> (i % 8)));
    }
  }
  encoder.put_raw(bitmap);
  for (const Hash256& sibling : proof.siblings) {
    if (sibling != empty_subtree_hash()) encoder.put_fixed(sibling);
  }
  encoder.put_u8(proof.terminal ? kTerminalLeaf : kTerminalEmpty);
  if (proof.terminal) {
    encoder.put_fixed(proof.terminal->key);
    encoder.put_fixed(proof.terminal->value_hash);
  }
  return std::move(encoder).take();
}

Result<Proof> decode_proof(ByteView bytes) {
  return decode_whole(bytes, read_proof);
}

Result<Hash256> proof_root(const TreeKey& key, const Proof& proof) {
  const std::size_t depth = proof.siblings.size();
  if (depth > kKeyBits) {
    return fail(ErrorCode::kCorrupt, fmt::format("proof depth {} exceeds {}", depth, kKeyBits));
  }
  Hash256 current = empty_subtree_hash();
  if (proof.terminal) {
    if (!share_prefix(proof.terminal->key, key, depth)) {
      return fail(
          ErrorCode::kCorrupt,
          fmt::format("proof ends at leaf {} which is not on the path of key {} at depth {}",
                      proof.terminal->key.hex(), key.hex(), depth));
    }
    current = leaf_hash(proof.terminal->key, proof.terminal->value_hash);
  }
  // Every node on the path holds at least two leaves, so each step up is an
  // internal hash; no collapsing happens above the terminal.
  for (std::size_t i = depth; i-- > 0;) {
    current = key_bit(key, i) ? internal_hash(proof.siblings[i], current)
                              : internal_hash(current, proof.siblings[i]);
  }
  return current;
}

Result<void> verify_proof(const Hash256& root, const TreeKey& key,
                          const std::optional<ByteView>& value, const Proof& proof) {
  if (value.has_value()) {
    if (!proof.terminal || proof.terminal->key != key) {
      return fail(ErrorCode::kCorrupt,
                  fmt::format("proof for key {} does not end at that key's leaf", key.hex()));
    }
    if (proof.terminal->value_hash != value_hash(*value)) {
      return fail(ErrorCode::kCorrupt,
                  fmt::format("proof for key {} is for a different value", key.hex()));
    }
  } else if (proof.terminal && proof.terminal->key == key) {
    return fail(ErrorCode::kCorrupt,
                fmt::format("proof shows key {} present, not absent", key.hex()));
  }
  auto computed = proof_root(key, proof);
  if (!computed) return unexpected<Error>(std::move(computed).error());
  if (*computed != root) {
    return fail(ErrorCode::kCorrupt, fmt::format("proof for key {} leads to root {}, not {}",
                                                 key.hex(), computed->hex(), root.hex()));
  }
  return {};
}

}  // namespace aethel::state
