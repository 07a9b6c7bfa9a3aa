// SHA-256 (FIPS 180-4) through OpenSSL's EVP interface.
//
// Hashing cannot fail on valid memory; a failure inside OpenSSL means the
// process is broken (out of memory, corrupted library state), so it aborts
// through AETHEL_ASSERT rather than returning an error to every caller.
#pragma once

#include <string_view>

#include "core/bytes.h"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace aethel::crypto {

Hash256 sha256(ByteView data);
Hash256 sha256(std::string_view text);

// Incremental hashing: update() any number of times, then finish(). After
// finish() the hasher is reset and may be reused for a new message.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(Sha256Hasher&& other) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&& other) noexcept;
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  Sha256Hasher& update(ByteView data);
  Sha256Hasher& update(std::string_view text);
  Hash256 finish();

 private:
  evp_md_ctx_st* context_;
};

}  // namespace aethel::crypto
