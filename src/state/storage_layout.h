// How the tree is laid out in RocksDB. Every row of one version sorts after
// the rows of earlier versions within its kind, so a version's writes land at
// the end of the key space (cheap compaction) and rows newer than the latest
// version are easy to look for.
//
//   'N' version(8) nibble_count(1) nibbles(ceil(count/2))  -> encoded node
//   'V' version(8) key(32)                                  -> leaf value
//   'M' version(8)                                          -> version metadata
//   'S' stale_since(8)                                      -> the row keys that
//        versions >= stale_since no longer reference; pruning deletes them once
//        every version before stale_since is gone
//   'H'                                                     -> latest, oldest version
#pragma once

#include <cstdint>
#include <string>

#include "state/node.h"

namespace aethel::state::layout {

inline constexpr char kNodePrefix = 'N';
inline constexpr char kValuePrefix = 'V';
inline constexpr char kMetaPrefix = 'M';
inline constexpr char kStalePrefix = 'S';
inline constexpr char kHeadKey = 'H';

std::string node_key(Version version, const NodePath& path);
std::string value_key(Version version, const TreeKey& key);
// The same keys, appended to `out`.
void append_node_key(Bytes& out, Version version, const NodePath& path);
void append_value_key(Bytes& out, Version version, const TreeKey& key);
std::string meta_key(Version version);
std::string stale_key(Version stale_since);
// The first row key of `prefix` rows written at `version` or later.
std::string version_floor(char prefix, Version version);
std::string head_key();

}  // namespace aethel::state::layout
