#include "crypto/sha256.h"

#include <openssl/evp.h>

#include <algorithm>
#include <utility>

#include "core/assert.h"

namespace aethel::crypto {

namespace {

// Fetched once: an explicit fetch avoids the provider lookup that EVP_sha256()
// implies on every digest initialisation. Never freed; it lives as long as the
// process.
const EVP_MD* sha256_algorithm() {
  static EVP_MD* const algorithm = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  AETHEL_ASSERT_MSG(algorithm != nullptr, "OpenSSL has no SHA256 implementation");
  return algorithm;
}

Hash256 to_hash(const unsigned char* digest, unsigned int length) {
  AETHEL_ASSERT(length == Hash256::kSize);
  Hash256::Array array{};
  std::copy(digest, digest + Hash256::kSize, array.begin());
  return Hash256(array);
}

void start_digest(EVP_MD_CTX* context) {
  const int ok = EVP_DigestInit_ex(context, sha256_algorithm(), nullptr);
  AETHEL_ASSERT_MSG(ok == 1, "EVP_DigestInit_ex(SHA256) failed");
}

}  // namespace

Hash256 sha256(ByteView data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const int ok = EVP_Digest(data.data(), data.size(), digest, &length, sha256_algorithm(), nullptr);
  AETHEL_ASSERT_MSG(ok == 1, "EVP_Digest(SHA256) failed");
  return to_hash(digest, length);
}

Hash256 sha256(std::string_view text) {
  return sha256(as_byte_view(text));
}

Sha256Hasher::Sha256Hasher() : context_(EVP_MD_CTX_new()) {
  AETHEL_ASSERT_MSG(context_ != nullptr, "EVP_MD_CTX_new failed");
  start_digest(context_);
}

Sha256Hasher::~Sha256Hasher() {
  EVP_MD_CTX_free(context_);
}

Sha256Hasher::Sha256Hasher(Sha256Hasher&& other) noexcept
    : context_(std::exchange(other.context_, nullptr)) {}

Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&& other) noexcept {
  std::swap(context_, other.context_);
  return *this;
}

Sha256Hasher& Sha256Hasher::update(ByteView data) {
  AETHEL_ASSERT_MSG(context_ != nullptr, "update() on a moved-from Sha256Hasher");
  const int ok = EVP_DigestUpdate(context_, data.data(), data.size());
  AETHEL_ASSERT_MSG(ok == 1, "EVP_DigestUpdate failed");
  return *this;
}

Sha256Hasher& Sha256Hasher::update(std::string_view text) {
  return update(as_byte_view(text));
}

Hash256 Sha256Hasher::finish() {
  AETHEL_ASSERT_MSG(context_ != nullptr, "finish() on a moved-from Sha256Hasher");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const int ok = EVP_DigestFinal_ex(context_, digest, &length);
  AETHEL_ASSERT_MSG(ok == 1, "EVP_DigestFinal_ex failed");
  start_digest(context_);
  return to_hash(digest, length);
}

}  // namespace aethel::crypto
