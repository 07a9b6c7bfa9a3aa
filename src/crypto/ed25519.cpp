#include "crypto/ed25519.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <mutex>
#include <string_view>

#include "core/assert.h"

namespace aethel::crypto {

namespace {

static_assert(PublicKey::kSize == crypto_sign_PUBLICKEYBYTES);
static_assert(Signature::kSize == crypto_sign_BYTES);
static_assert(SecretKey::kSize == crypto_sign_SECRETKEYBYTES);
static_assert(kSeedSize == crypto_sign_SEEDBYTES);

constexpr std::string_view kSigningContext = "AETHEL-v1/";

// libsodium must be initialised once before use (it selects implementations
// and opens the random source); sodium_init is not safe to race.
void ensure_sodium_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    const int result = sodium_init();
    AETHEL_ASSERT_MSG(result >= 0, "sodium_init failed");
  });
}

}  // namespace

SecretKey::SecretKey(SecretKey&& other) noexcept : bytes_(other.bytes_) {
  sodium_memzero(other.bytes_.data(), other.bytes_.size());
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    bytes_ = other.bytes_;
    sodium_memzero(other.bytes_.data(), other.bytes_.size());
  }
  return *this;
}

SecretKey::~SecretKey() {
  sodium_memzero(bytes_.data(), bytes_.size());
}

SecretKey SecretKey::clone() const {
  SecretKey copy;
  copy.bytes_ = bytes_;
  return copy;
}

PublicKey SecretKey::public_key() const noexcept {
  PublicKey::Array array{};
  std::copy(bytes_.begin() + kSeedSize, bytes_.end(), array.begin());
  return PublicKey(array);
}

SeedView SecretKey::seed() const noexcept {
  return SeedView(bytes_.data(), kSeedSize);
}

KeyPair generate_keypair() {
  ensure_sodium_initialized();
  PublicKey::Array public_bytes{};
  SecretKey secret;
  const int result = crypto_sign_keypair(public_bytes.data(), secret.bytes_.data());
  AETHEL_ASSERT_MSG(result == 0, "crypto_sign_keypair failed");
  return KeyPair{PublicKey(public_bytes), std::move(secret)};
}

KeyPair keypair_from_seed(SeedView seed) {
  ensure_sodium_initialized();
  PublicKey::Array public_bytes{};
  SecretKey secret;
  const int result =
      crypto_sign_seed_keypair(public_bytes.data(), secret.bytes_.data(), seed.data());
  AETHEL_ASSERT_MSG(result == 0, "crypto_sign_seed_keypair failed");
  return KeyPair{PublicKey(public_bytes), std::move(secret)};
}

Bytes signing_message(SigningDomain domain, ByteView message) {
  const std::string_view name = signing_domain_name(domain);
  Bytes signed_bytes;
  signed_bytes.reserve(kSigningContext.size() + name.size() + 1 + message.size());
  const ByteView context_bytes = as_byte_view(kSigningContext);
  const ByteView name_bytes = as_byte_view(name);
  signed_bytes.insert(signed_bytes.end(), context_bytes.begin(), context_bytes.end());
  signed_bytes.insert(signed_bytes.end(), name_bytes.begin(), name_bytes.end());
  signed_bytes.push_back(0x00);
  signed_bytes.insert(signed_bytes.end(), message.begin(), message.end());
  return signed_bytes;
}

Signature sign(const SecretKey& key, SigningDomain domain, ByteView message) {
  return sign_raw(key, signing_message(domain, message));
}

Result<void> verify(const PublicKey& key, SigningDomain domain, ByteView message,
                    const Signature& signature) {
  if (verify_raw(key, signing_message(domain, message), signature)) return {};
  return fail(ErrorCode::kBadSignature,
              fmt::format("signature does not verify in domain '{}' for public key {} over a "
                          "{}-byte message",
                          signing_domain_name(domain), key.hex(), message.size()));
}

Signature sign_raw(const SecretKey& key, ByteView message) {
  ensure_sodium_initialized();
  AETHEL_ASSERT_MSG(sodium_is_zero(key.bytes_.data(), key.bytes_.size()) == 0,
                    "signing with a moved-from (wiped) secret key");
  Signature::Array signature{};
  const int result = crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(),
                                          key.bytes_.data());
  AETHEL_ASSERT_MSG(result == 0, "crypto_sign_detached failed");
  return Signature(signature);
}

Result<void> verify_raw(const PublicKey& key, ByteView message, const Signature& signature) {
  ensure_sodium_initialized();
  const int result =
      crypto_sign_verify_detached(signature.data(), message.data(), message.size(), key.data());
  if (result == 0) return {};
  return fail(ErrorCode::kBadSignature,
              fmt::format("signature does not verify for public key {} over a {}-byte message",
                          key.hex(), message.size()));
}

}  // namespace aethel::crypto
