#include "crypto/ed25519.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <string>

#include "core/assert.h"

namespace aethel::crypto {
namespace {

Bytes hex_or_die(std::string_view text) {
  auto bytes = hex_decode(text);
  AETHEL_ASSERT(bytes.has_value());
  return *bytes;
}

std::array<std::uint8_t, kSeedSize> seed_from_hex(std::string_view text) {
  const Bytes bytes = hex_or_die(text);
  AETHEL_ASSERT(bytes.size() == kSeedSize);
  std::array<std::uint8_t, kSeedSize> seed{};
  std::copy(bytes.begin(), bytes.end(), seed.begin());
  return seed;
}

std::array<std::uint8_t, kSeedSize> seed_of(std::uint8_t fill) {
  std::array<std::uint8_t, kSeedSize> seed{};
  seed.fill(fill);
  return seed;
}

struct Rfc8032Vector {
  std::string seed_hex;
  std::string public_key_hex;
  std::string message_hex;
  std::string signature_hex;
};

// RFC 8032 section 7.1, TEST 1 to TEST 3.
const Rfc8032Vector kRfc8032Vectors[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b"
     "46b"
     "d25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11"
     "d8c"
     "387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc"
     "659"
     "4a7c15e9716ed28dc027beceea1ec40a"},
};

TEST(Ed25519Test, Rfc8032VectorsThroughTheRawPath) {
  for (const Rfc8032Vector& vector : kRfc8032Vectors) {
    SCOPED_TRACE(vector.public_key_hex);
    const KeyPair pair = keypair_from_seed(seed_from_hex(vector.seed_hex));
    EXPECT_EQ(pair.public_key.hex(), vector.public_key_hex);
    EXPECT_EQ(pair.secret_key.public_key(), pair.public_key);
    EXPECT_EQ(hex_encode(pair.secret_key.seed()), vector.seed_hex);

    const Bytes message = hex_or_die(vector.message_hex);
    const Signature signature = sign_raw(pair.secret_key, message);
    EXPECT_EQ(signature.hex(), vector.signature_hex);
    EXPECT_TRUE(verify_raw(pair.public_key, message, signature).has_value());
  }
}

TEST(Ed25519Test, SigningMessageLayout) {
  const Bytes message{0x01, 0x02};
  const Bytes signed_bytes = signing_message(SigningDomain::kConsensusCommit, message);
  EXPECT_EQ(signed_bytes, bytes_of(std::string("AETHEL-v1/consensus-commit\0\x01\x02", 29)));
}

TEST(Ed25519Test, DomainSignatureIsARawSignatureOfTheSigningMessage) {
  const KeyPair pair = keypair_from_seed(seed_of(3));
  const Bytes message = bytes_of("transfer 5 tokens");
  const Signature signature = sign(pair.secret_key, SigningDomain::kTransaction, message);
  EXPECT_TRUE(
      verify_raw(pair.public_key, signing_message(SigningDomain::kTransaction, message), signature)
          .has_value());
  EXPECT_FALSE(verify_raw(pair.public_key, message, signature).has_value())
      << "a domain signature is not a signature of the bare message";
}

TEST(Ed25519Test, SignatureMadeInOneDomainNeverVerifiesInAnother) {
  const KeyPair pair = keypair_from_seed(seed_of(9));
  const Bytes message = bytes_of("block 17 vote");
  for (const SigningDomain signed_in : kAllSigningDomains) {
    const Signature signature = sign(pair.secret_key, signed_in, message);
    for (const SigningDomain checked_in : kAllSigningDomains) {
      const auto verified = verify(pair.public_key, checked_in, message, signature);
      EXPECT_EQ(verified.has_value(), signed_in == checked_in)
          << signing_domain_name(signed_in) << " checked as " << signing_domain_name(checked_in);
      if (!verified) {
        EXPECT_EQ(verified.error().code, ErrorCode::kBadSignature);
        EXPECT_NE(verified.error().message.find(signing_domain_name(checked_in)),
                  std::string::npos);
      }
    }
  }
}

TEST(Ed25519Test, TamperingIsDetected) {
  const KeyPair pair = keypair_from_seed(seed_of(1));
  const KeyPair other = keypair_from_seed(seed_of(2));
  const Bytes message = bytes_of("proof 42 is PROVED");
  const Signature signature = sign(pair.secret_key, SigningDomain::kProofSubmission, message);
  ASSERT_TRUE(verify(pair.public_key, SigningDomain::kProofSubmission, message, signature));

  Bytes changed_message = message;
  changed_message[0] ^= 0x01;
  const auto bad_message =
      verify(pair.public_key, SigningDomain::kProofSubmission, changed_message, signature);
  ASSERT_FALSE(bad_message.has_value());
  EXPECT_EQ(bad_message.error().code, ErrorCode::kBadSignature);
  EXPECT_NE(bad_message.error().message.find(
                "signature does not verify in domain 'proof-submission' for public key " +
                pair.public_key.hex()),
            std::string::npos)
      << bad_message.error().message;

  Signature::Array changed_signature = signature.array();
  changed_signature[10] ^= 0x80;
  EXPECT_FALSE(verify(pair.public_key, SigningDomain::kProofSubmission, message,
                      Signature(changed_signature)));

  EXPECT_FALSE(verify(other.public_key, SigningDomain::kProofSubmission, message, signature));
  EXPECT_FALSE(verify(PublicKey(), SigningDomain::kProofSubmission, message, signature))
      << "the all-zero (small-order) public key is refused";
}

TEST(Ed25519Test, GeneratedKeysAreFreshAndWork) {
  const KeyPair first = generate_keypair();
  const KeyPair second = generate_keypair();
  EXPECT_NE(first.public_key, second.public_key);
  const Bytes message = bytes_of("hello");
  const Signature signature = sign(first.secret_key, SigningDomain::kTransaction, message);
  EXPECT_TRUE(verify(first.public_key, SigningDomain::kTransaction, message, signature));
  EXPECT_FALSE(verify(second.public_key, SigningDomain::kTransaction, message, signature));
}

TEST(Ed25519Test, SeedDerivationIsDeterministic) {
  EXPECT_EQ(keypair_from_seed(seed_of(5)).public_key, keypair_from_seed(seed_of(5)).public_key);
  EXPECT_NE(keypair_from_seed(seed_of(5)).public_key, keypair_from_seed(seed_of(6)).public_key);
}

TEST(SecretKeyTest, MoveWipesTheSourceAndCloneCopies) {
  KeyPair pair = keypair_from_seed(seed_of(7));
  const SecretKey copy = pair.secret_key.clone();
  EXPECT_EQ(copy.public_key(), pair.public_key);
  const SecretKey moved = std::move(pair.secret_key);
  EXPECT_EQ(moved.public_key(), pair.public_key);
  const auto wiped = pair.secret_key.seed();  // NOLINT(bugprone-use-after-move): checks the wipe
  EXPECT_TRUE(std::all_of(wiped.begin(), wiped.end(), [](std::uint8_t b) { return b == 0; }));
  static_assert(!std::is_copy_constructible_v<SecretKey>);
  static_assert(!std::is_copy_assignable_v<SecretKey>);
}

TEST(SecretKeyDeathTest, SigningWithAWipedKeyAborts) {
  KeyPair pair = keypair_from_seed(seed_of(8));
  const SecretKey moved = std::move(pair.secret_key);
  EXPECT_DEATH((void)sign(pair.secret_key, SigningDomain::kTransaction, Bytes{}),  // NOLINT
               "moved-from");
}

RC_GTEST_PROP(Ed25519Property, SignThenVerifyRoundTrips, (const Bytes& message)) {
  const auto fill = *rc::gen::arbitrary<std::uint8_t>();
  const auto domain_index = *rc::gen::inRange<std::size_t>(0, kAllSigningDomains.size());
  const SigningDomain domain = kAllSigningDomains[domain_index];
  const KeyPair pair = keypair_from_seed(seed_of(fill));
  const Signature signature = sign(pair.secret_key, domain, message);
  RC_ASSERT(verify(pair.public_key, domain, message, signature).has_value());
  Bytes extended = message;
  extended.push_back(0x00);
  RC_ASSERT(!verify(pair.public_key, domain, extended, signature).has_value());
}

}  // namespace
}  // namespace aethel::crypto
