// Ed25519 signatures (RFC 8032) through libsodium.
//
// Domain-separated signing: sign(key, domain, message) signs the bytes
//
//     "AETHEL-v1/" || signing_domain_name(domain) || 0x00 || message
//
// (signing_message() builds them). Domain names contain no 0x00 byte, so the
// domain and the message can be recovered from the signed bytes without
// ambiguity, and a signature made in one domain never verifies in another.
// The message is signed as is, without pre-hashing: Ed25519 hashes it
// internally with SHA-512.
//
// sign_raw/verify_raw sign the message bytes alone. They exist for test
// vectors and interoperability; protocol code uses the domain-separated pair.
//
// Verification (libsodium's crypto_sign_verify_detached) refuses
// non-canonical signatures and small-order public keys.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/bytes.h"
#include "core/error.h"
#include "crypto/signing_domain.h"

namespace aethel::crypto {

struct PublicKeyTag;
struct SignatureTag;
using PublicKey = FixedBytes<PublicKeyTag, 32>;
using Signature = FixedBytes<SignatureTag, 64>;

inline constexpr std::size_t kSeedSize = 32;
using SeedView = std::span<const std::uint8_t, kSeedSize>;

struct KeyPair;

// A signing key in libsodium's 64-byte form (32-byte seed, then the public
// key). The bytes are wiped when the key is destroyed or moved from, and the
// key is never copied implicitly: use clone() where a second copy is needed.
// A moved-from key must not be used to sign.
class SecretKey {
 public:
  static constexpr std::size_t kSize = 64;

  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  ~SecretKey();

  SecretKey clone() const;
  PublicKey public_key() const noexcept;
  // The 32-byte seed the key derives from. Secret: only key files store it.
  SeedView seed() const noexcept;

 private:
  SecretKey() noexcept = default;

  friend KeyPair generate_keypair();
  friend KeyPair keypair_from_seed(SeedView seed);
  friend Signature sign_raw(const SecretKey& key, ByteView message);

  std::array<std::uint8_t, kSize> bytes_{};
};

struct KeyPair {
  PublicKey public_key;
  SecretKey secret_key;
};

// A fresh key pair from the operating system's random source.
KeyPair generate_keypair();
// The key pair RFC 8032 derives from `seed`; the same seed always gives the
// same keys (test fixtures, the simulator, key files).
KeyPair keypair_from_seed(SeedView seed);

// The exact bytes sign() signs for (domain, message).
Bytes signing_message(SigningDomain domain, ByteView message);

Signature sign(const SecretKey& key, SigningDomain domain, ByteView message);
// Refuses (kBadSignature) a signature that is not valid for exactly this
// domain, message and public key.
Result<void> verify(const PublicKey& key, SigningDomain domain, ByteView message,
                    const Signature& signature);

Signature sign_raw(const SecretKey& key, ByteView message);
Result<void> verify_raw(const PublicKey& key, ByteView message, const Signature& signature);

}  // namespace aethel::crypto
