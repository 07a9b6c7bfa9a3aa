// Proofs that a key holds a value, or holds nothing, under a state root.
//
// A proof lists the sibling hashes on the key's path from the root down to
// where the path ends: either an empty subtree (the key is absent) or a lone
// leaf (the key itself, or a different key occupying the key's position,
// which also proves absence). verify_proof() needs nothing but the root, so a
// light client can run it.
//
// Canonical encoding (envelope {1, kProofTypeTag}):
//   u16 depth (0..256), then ceil(depth/8) bitmap bytes (bit i, most
//   significant first, set when the sibling at depth i is not the empty
//   subtree; unused low bits are zero), then each non-empty sibling's 32 bytes
//   from the root down, then u8 terminal (0 empty, 1 leaf) and for a leaf its
//   key and value hash. Empty siblings are omitted, so a proof in a 1M-key
//   tree is about 20 hashes; an empty sibling written out in full is refused.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "state/hashing.h"

namespace aethel::state {

inline constexpr std::uint8_t kStateFormatVersion = 1;
inline constexpr std::uint8_t kProofTypeTag = 0x50;

struct LeafWitness {
  TreeKey key;
  Hash256 value_hash;

  friend bool operator==(const LeafWitness&, const LeafWitness&) = default;
};

struct Proof {
  // siblings[i] is the hash of the sibling subtree at depth i (the root's
  // children are at depth 0); empty ones hold empty_subtree_hash().
  std::vector<Hash256> siblings;
  // The leaf where the path ends, or nullopt when it ends in an empty subtree.
  std::optional<LeafWitness> terminal;

  friend bool operator==(const Proof&, const Proof&) = default;
};

Bytes encode_proof(const Proof& proof);
// Refuses (naming field and offset) anything that is not a canonical proof.
Result<Proof> decode_proof(ByteView bytes);

// Checks that `proof` shows `key` holding `value` (or nothing, when value is
// nullopt) under `root`. Pure: no storage, no state. Refuses (kCorrupt) with a
// message saying what does not match.
Result<void> verify_proof(const Hash256& root, const TreeKey& key,
                          const std::optional<ByteView>& value, const Proof& proof);

// The root a proof leads to for `key`, from its terminal up (kCorrupt when the
// terminal cannot sit on the key's path).
Result<Hash256> proof_root(const TreeKey& key, const Proof& proof);

}  // namespace aethel::state
