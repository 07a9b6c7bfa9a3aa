#include "crypto/key_file.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace aethel::crypto {

namespace {

using nlohmann::json;

constexpr std::string_view kSecretKeyType = "aethel-ed25519-secret-key";
constexpr std::string_view kPublicKeyType = "aethel-ed25519-public-key";
constexpr std::int64_t kKeyFileVersion = 1;
constexpr std::size_t kKeyFileMaxBytes = 4096;
constexpr std::uint32_t kSecretKeyFileMode = 0600;
constexpr std::uint32_t kPublicKeyFileMode = 0644;
constexpr std::string_view kSelfCheckMessage = "aethel key file self-check";

// Overwrites a string holding secret text when it goes out of scope.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string& text) noexcept : text_(text) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit() { sodium_memzero(text_.data(), text_.size()); }

 private:
  std::string& text_;
};

// Overwrites the seed text inside a parsed key file when it goes out of scope,
// whatever shape the document turned out to have.
class WipeSeedOnExit {
 public:
  explicit WipeSeedOnExit(json& document) noexcept : document_(document) {}
  WipeSeedOnExit(const WipeSeedOnExit&) = delete;
  WipeSeedOnExit& operator=(const WipeSeedOnExit&) = delete;
  ~WipeSeedOnExit() {
    if (!document_.is_object()) return;
    const auto seed = document_.find("seed");
    if (seed == document_.end() || !seed->is_string()) return;
    std::string& text = seed->get_ref<std::string&>();
    sodium_memzero(text.data(), text.size());
  }

 private:
  json& document_;
};

Error corrupt(const std::filesystem::path& path, std::string_view what) {
  return Error(ErrorCode::kCorrupt, fmt::format("key file {} is corrupt: {}", path.string(), what));
}

// Appends hex digits without a temporary string, so secret bytes are not
// left behind in freed memory.
void append_hex(std::string& out, ByteView bytes) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  for (const std::uint8_t byte : bytes) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0x0f]);
  }
}

// The file text, built in one buffer reserved up front so that it never
// reallocates and leaves copies of the seed behind.
std::string key_file_text(std::string_view type, const SecretKey* secret, const PublicKey& key) {
  std::string text;
  text.reserve(256);
  text += "{\"type\":\"";
  text += type;
  text += "\",\"version\":";
  text += std::to_string(kKeyFileVersion);
  if (secret != nullptr) {
    text += ",\"seed\":\"";
    append_hex(text, secret->seed());
    text += "\"";
  }
  text += ",\"public_key\":\"";
  append_hex(text, key.view());
  text += "\"}\n";
  return text;
}

Result<FileContents> read_key_file(const std::filesystem::path& path) {
  auto contents = read_small_file(path, kKeyFileMaxBytes);
  if (contents) return contents;
  const Error& error = contents.error();
  if (error.code == ErrorCode::kNotFound) {
    return fail(ErrorCode::kNotFound, fmt::format("key file {} does not exist", path.string()));
  }
  if (error.code == ErrorCode::kLimit) {
    return unexpected<Error>(
        corrupt(path, fmt::format("a key file has at most {} bytes", kKeyFileMaxBytes)));
  }
  return contents;
}

Result<void> check_secret_mode(const std::filesystem::path& path, std::uint32_t permission_bits) {
  if (permission_bits == 0600 || permission_bits == 0400) return {};
  return fail(ErrorCode::kPermission,
              fmt::format("key file {} has mode {:04o}; it must be 0600 (chmod 600 {})",
                          path.string(), permission_bits, path.string()));
}

// Parse errors report a byte position only: nlohmann's own message quotes the
// text around the error, which could be part of a secret seed.
Result<json> parse_json(const std::string& text, const std::filesystem::path& path) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& error) {
    return unexpected<Error>(
        corrupt(path, fmt::format("not valid JSON (parse error at byte {})", error.byte)));
  } catch (const json::exception&) {
    return unexpected<Error>(corrupt(path, "not valid JSON"));
  }
}

// The document must be an object with exactly these fields.
Result<void> check_fields(const json& document, std::initializer_list<std::string_view> fields,
                          const std::filesystem::path& path) {
  if (!document.is_object()) return unexpected<Error>(corrupt(path, "expected a JSON object"));
  for (const auto& item : document.items()) {
    bool known = false;
    for (const std::string_view field : fields) known = known || item.key() == field;
    if (!known) {
      return unexpected<Error>(
          corrupt(path, fmt::format("unexpected field {}", json(item.key()).dump())));
    }
  }
  for (const std::string_view field : fields) {
    if (!document.contains(field)) {
      return unexpected<Error>(corrupt(path, fmt::format("missing field '{}'", field)));
    }
  }
  return {};
}

Result<void> check_type_and_version(const json& document, std::string_view expected_type,
                                    const std::filesystem::path& path) {
  const json& type = document.at("type");
  if (!type.is_string() || type.get_ref<const std::string&>() != expected_type) {
    return unexpected<Error>(corrupt(
        path, fmt::format("field 'type' is {}; expected \"{}\"", type.dump(), expected_type)));
  }
  const json& version = document.at("version");
  if (!version.is_number_integer() || version.get<std::int64_t>() != kKeyFileVersion) {
    return unexpected<Error>(corrupt(
        path, fmt::format("unsupported version {}; expected {}", version.dump(), kKeyFileVersion)));
  }
  return {};
}

// Decodes a hex string field of exactly `size` bytes into `out`.
Result<void> read_hex_field(const json& document, std::string_view field, std::uint8_t* out,
                            std::size_t size, const std::filesystem::path& path) {
  const json& value = document.at(field);
  if (!value.is_string()) {
    return unexpected<Error>(corrupt(path, fmt::format("field '{}' must be a hex string", field)));
  }
  const std::string& text = value.get_ref<const std::string&>();
  if (text.size() != 2 * size) {
    return unexpected<Error>(
        corrupt(path, fmt::format("field '{}' has {} characters; expected {} hex digits ({} bytes)",
                                  field, text.size(), 2 * size, size)));
  }
  auto bytes = hex_decode(text);
  if (!bytes) {
    return unexpected<Error>(
        corrupt(path, fmt::format("field '{}': {}", field, bytes.error().message)));
  }
  std::copy(bytes->begin(), bytes->end(), out);
  sodium_memzero(bytes->data(), bytes->size());
  return {};
}

Result<PublicKey> read_public_key_field(const json& document, const std::filesystem::path& path) {
  PublicKey::Array array{};
  if (auto read = read_hex_field(document, "public_key", array.data(), array.size(), path); !read) {
    return unexpected<Error>(std::move(read).error());
  }
  return PublicKey(array);
}

// Derives the key pair from the seed field, then checks it against the stored
// public key and with a signature, so that a damaged key is never used.
Result<KeyPair> read_key_pair(const json& document, const std::filesystem::path& path) {
  std::array<std::uint8_t, kSeedSize> seed{};
  auto seed_read = read_hex_field(document, "seed", seed.data(), seed.size(), path);
  if (!seed_read) return unexpected<Error>(std::move(seed_read).error());
  KeyPair pair = keypair_from_seed(seed);
  sodium_memzero(seed.data(), seed.size());

  auto stored_public_key = read_public_key_field(document, path);
  if (!stored_public_key) return unexpected<Error>(std::move(stored_public_key).error());
  if (*stored_public_key != pair.public_key) {
    return unexpected<Error>(
        corrupt(path, fmt::format("field 'public_key' {} does not match the seed, which gives {}",
                                  stored_public_key->hex(), pair.public_key.hex())));
  }
  const ByteView check = as_byte_view(kSelfCheckMessage);
  const Signature signature = sign(pair.secret_key, SigningDomain::kKeyFileCheck, check);
  if (!verify(pair.public_key, SigningDomain::kKeyFileCheck, check, signature)) {
    return fail(ErrorCode::kCrypto,
                fmt::format("key from {} fails its signing self-check", path.string()));
  }
  return pair;
}

}  // namespace

Result<void> write_secret_key_file(const std::filesystem::path& path, const SecretKey& key,
                                   Overwrite overwrite) {
  std::string text = key_file_text(kSecretKeyType, &key, key.public_key());
  const WipeOnExit wipe(text);
  return write_file_atomically(path, text, kSecretKeyFileMode, overwrite);
}

Result<KeyPair> load_secret_key_file(const std::filesystem::path& path) {
  auto contents = read_key_file(path);
  if (!contents) return unexpected<Error>(std::move(contents).error());
  if (auto mode_ok = check_secret_mode(path, contents->permission_bits); !mode_ok) {
    return unexpected<Error>(std::move(mode_ok).error());
  }
  auto document = parse_json(contents->bytes, path);
  if (!document) return unexpected<Error>(std::move(document).error());
  const WipeSeedOnExit wipe(*document);
  auto checked = check_fields(*document, {"type", "version", "seed", "public_key"}, path);
  if (checked) checked = check_type_and_version(*document, kSecretKeyType, path);
  if (!checked) return unexpected<Error>(std::move(checked).error());
  return read_key_pair(*document, path);
}

Result<void> write_public_key_file(const std::filesystem::path& path, const PublicKey& key,
                                   Overwrite overwrite) {
  const std::string text = key_file_text(kPublicKeyType, nullptr, key);
  return write_file_atomically(path, text, kPublicKeyFileMode, overwrite);
}

Result<PublicKey> load_public_key_file(const std::filesystem::path& path) {
  auto contents = read_key_file(path);
  if (!contents) return unexpected<Error>(std::move(contents).error());
  auto document = parse_json(contents->bytes, path);
  if (!document) return unexpected<Error>(std::move(document).error());
  auto checked = check_fields(*document, {"type", "version", "public_key"}, path);
  if (checked) checked = check_type_and_version(*document, kPublicKeyType, path);
  if (!checked) return unexpected<Error>(std::move(checked).error());
  return read_public_key_field(*document, path);
}

}  // namespace aethel::crypto
