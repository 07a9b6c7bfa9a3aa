#include "state/storage_layout.h"

namespace aethel::state::layout {
namespace {

void append_version(std::string& out, Version version) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((version >> shift) & 0xff));
  }
}

}  // namespace

std::string node_key(Version version, const NodePath& path) {
  std::string out(1, kNodePrefix);
  append_version(out, version);
  out.push_back(static_cast<char>(path.length));
  const std::size_t bytes = (path.length + 1U) / 2U;
  out.append(reinterpret_cast<const char*>(path.prefix.data()), bytes);
  return out;
}

std::string value_key(Version version, const TreeKey& key) {
  std::string out(1, kValuePrefix);
  append_version(out, version);
  out.append(reinterpret_cast<const char*>(key.data()), TreeKey::kSize);
  return out;
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
