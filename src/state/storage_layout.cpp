#include "state/storage_layout.h"

namespace aethel::state::layout {
namespace {

template <class Out>
void append_version(Out& out, Version version) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<typename Out::value_type>((version >> shift) & 0xff));
  }
}

template <class Out>
void put_node_key(Out& out, Version version, const NodePath& path) {
  using Unit = typename Out::value_type;
  out.push_back(static_cast<Unit>(kNodePrefix));
  append_version(out, version);
  out.push_back(static_cast<Unit>(path.length));
  const std::size_t bytes = (path.length + 1U) / 2U;
  const auto* first = reinterpret_cast<const Unit*>(path.prefix.data());
  out.insert(out.end(), first, first + bytes);
}

template <class Out>
void put_value_key(Out& out, Version version, const TreeKey& key) {
  using Unit = typename Out::value_type;
  out.push_back(static_cast<Unit>(kValuePrefix));
  append_version(out, version);
  const auto* first = reinterpret_cast<const Unit*>(key.data());
  out.insert(out.end(), first, first + TreeKey::kSize);
}

}  // namespace

std::string node_key(Version version, const NodePath& path) {
  std::string out;
  put_node_key(out, version, path);
  return out;
}

std::string value_key(Version version, const TreeKey& key) {
  std::string out;
  put_value_key(out, version, key);
  return out;
}

void append_node_key(Bytes& out, Version version, const NodePath& path) {
  put_node_key(out, version, path);
}

void append_value_key(Bytes& out, Version version, const TreeKey& key) {
  put_value_key(out, version, key);
}

std::string meta_key(Version version) {
  return version_floor(kMetaPrefix, version);
}

std::string stale_key(Version stale_since) {
  return version_floor(kStalePrefix, stale_since);
}

std::string version_floor(char prefix, Version version) {
  std::string out(1, prefix);
  append_version(out, version);
  return out;
}

std::string head_key() {
  return std::string(1, kHeadKey);
}

}  // namespace aethel::state::layout
