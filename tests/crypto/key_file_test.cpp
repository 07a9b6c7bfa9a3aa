#include "crypto/key_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace aethel::crypto {
namespace {

namespace fs = std::filesystem;

const std::string kSeedHex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const std::string kPublicHex = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

KeyPair rfc_key_pair() {
  std::array<std::uint8_t, kSeedSize> seed{};
  const Bytes bytes = *hex_decode(kSeedHex);
  std::copy(bytes.begin(), bytes.end(), seed.begin());
  return keypair_from_seed(seed);
}

std::string secret_json(std::string_view seed_hex, std::string_view public_hex) {
  return std::string(R"({"type":"aethel-ed25519-secret-key","version":1,"seed":")") +
         std::string(seed_hex) + R"(","public_key":")" + std::string(public_hex) + "\"}";
}

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = fs::temp_directory_path() /
                 (std::string("aethel-keys-") + info->name() + "-" + std::to_string(::getpid()));
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  fs::path write_raw(const std::string& name, const std::string& content, mode_t mode) const {
    const fs::path path = directory_ / name;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }

  static std::uint32_t mode_of(const fs::path& path) {
    struct stat status {};
    EXPECT_EQ(::stat(path.c_str(), &status), 0);
    return static_cast<std::uint32_t>(status.st_mode & 07777);
  }

  fs::path directory_;
};

TEST_F(KeyFileTest, SecretKeyRoundTripWithMode0600) {
  const KeyPair pair = rfc_key_pair();
  const fs::path path = directory_ / "validator.key";
  const mode_t old_umask = ::umask(0);  // the file must be 0600 whatever the umask
  const auto written = write_secret_key_file(path, pair.secret_key);
  ::umask(old_umask);
  ASSERT_TRUE(written.has_value()) << written.error().to_string();
  EXPECT_EQ(mode_of(path), 0600u);

  const auto text = read_small_file(path, 4096);
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(text->bytes, secret_json(kSeedHex, kPublicHex) + "\n");

  const auto loaded = load_secret_key_file(path);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  EXPECT_EQ(loaded->public_key, pair.public_key);
  const Bytes message = bytes_of("vote");
  EXPECT_EQ(sign(loaded->secret_key, SigningDomain::kConsensusPrepare, message),
            sign(pair.secret_key, SigningDomain::kConsensusPrepare, message));
}

TEST_F(KeyFileTest, GeneratedKeyRoundTrips) {
  const KeyPair pair = generate_keypair();
  const fs::path path = directory_ / "fresh.key";
  ASSERT_TRUE(write_secret_key_file(path, pair.secret_key).has_value());
  const auto loaded = load_secret_key_file(path);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  EXPECT_EQ(loaded->public_key, pair.public_key);
}

TEST_F(KeyFileTest, RefusesToOverwriteWithoutForce) {
  const KeyPair first = rfc_key_pair();
  const KeyPair second = generate_keypair();
  const fs::path path = directory_ / "validator.key";
  ASSERT_TRUE(write_secret_key_file(path, first.secret_key).has_value());

  const auto refused = write_secret_key_file(path, second.secret_key);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("already exists"), std::string::npos);
  EXPECT_EQ(load_secret_key_file(path)->public_key, first.public_key);

  ASSERT_TRUE(write_secret_key_file(path, second.secret_key, Overwrite::kReplace).has_value());
  EXPECT_EQ(load_secret_key_file(path)->public_key, second.public_key);
  EXPECT_EQ(mode_of(path), 0600u);
}

TEST_F(KeyFileTest, AcceptsReadOnlyMode0400) {
  const fs::path path = write_raw("ro.key", secret_json(kSeedHex, kPublicHex), 0400);
  const auto loaded = load_secret_key_file(path);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  EXPECT_EQ(loaded->public_key.hex(), kPublicHex);
}

TEST_F(KeyFileTest, RefusesUnsafeModes) {
  for (const mode_t mode : {0644, 0640, 0604, 0660, 0700, 0666, 0200}) {
    SCOPED_TRACE(mode);
    const fs::path path = write_raw("open.key", secret_json(kSeedHex, kPublicHex), mode);
    const auto loaded = load_secret_key_file(path);
    ASSERT_FALSE(loaded.has_value());
    EXPECT_EQ(loaded.error().code, ErrorCode::kPermission);
    char expected_mode[8];
    std::snprintf(expected_mode, sizeof(expected_mode), "%04o", static_cast<unsigned>(mode));
    EXPECT_NE(
        loaded.error().message.find("key file " + path.string() + " has mode " + expected_mode +
                                    "; it must be 0600 (chmod 600 " + path.string() + ")"),
        std::string::npos)
        << loaded.error().message;
  }
}

TEST_F(KeyFileTest, MissingFileIsNotFound) {
  const auto loaded = load_secret_key_file(directory_ / "absent.key");
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, ErrorCode::kNotFound);
  EXPECT_NE(loaded.error().message.find("absent.key does not exist"), std::string::npos);
}

struct CorruptCase {
  std::string name;
  std::string content;
  std::string message_part;
};

TEST_F(KeyFileTest, RefusesCorruptContentSayingWhatIsWrong) {
  const std::string other_public = std::string(63, '0') + "1";
  const CorruptCase cases[] = {
      {"empty", "", "not valid JSON"},
      {"not json", "seed=9d61", "not valid JSON (parse error at byte 1)"},
      {"truncated json", secret_json(kSeedHex, kPublicHex).substr(0, 70), "not valid JSON"},
      {"array", "[1,2]", "expected a JSON object"},
      {"missing seed",
       R"({"type":"aethel-ed25519-secret-key","version":1,"public_key":")" + kPublicHex + "\"}",
       "missing field 'seed'"},
      {"unknown field",
       R"({"type":"aethel-ed25519-secret-key","version":1,"seed":")" + kSeedHex +
           R"(","public_key":")" + kPublicHex + R"(","comment":"x"})",
       "unexpected field \"comment\""},
      {"public key file instead",
       R"({"type":"aethel-ed25519-public-key","version":1,"seed":")" + kSeedHex +
           R"(","public_key":")" + kPublicHex + "\"}",
       "field 'type' is \"aethel-ed25519-public-key\"; expected \"aethel-ed25519-secret-key\""},
      {"wrong version",
       R"({"type":"aethel-ed25519-secret-key","version":2,"seed":")" + kSeedHex +
           R"(","public_key":")" + kPublicHex + "\"}",
       "unsupported version 2; expected 1"},
      {"version as string",
       R"({"type":"aethel-ed25519-secret-key","version":"1","seed":")" + kSeedHex +
           R"(","public_key":")" + kPublicHex + "\"}",
       "unsupported version \"1\""},
      {"seed not a string",
       R"({"type":"aethel-ed25519-secret-key","version":1,"seed":5,"public_key":")" + kPublicHex +
           "\"}",
       "field 'seed' must be a hex string"},
      {"short seed", secret_json(kSeedHex.substr(2), kPublicHex),
       "field 'seed' has 62 characters; expected 64 hex digits (32 bytes)"},
      {"bad hex in seed", secret_json("zz" + kSeedHex.substr(2), kPublicHex),
       "field 'seed': invalid hex: 'z' at position 0"},
      {"bad hex in public key", secret_json(kSeedHex, kPublicHex.substr(0, 63) + "g"),
       "field 'public_key': invalid hex: 'g' at position 63"},
      {"public key not matching seed", secret_json(kSeedHex, other_public),
       "field 'public_key' " + other_public + " does not match the seed, which gives " +
           kPublicHex},
      {"oversized", std::string(5000, ' '), "a key file has at most 4096 bytes"},
  };
  for (const CorruptCase& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    const fs::path path = write_raw("corrupt.key", test_case.content, 0600);
    const auto loaded = load_secret_key_file(path);
    ASSERT_FALSE(loaded.has_value());
    EXPECT_EQ(loaded.error().code, ErrorCode::kCorrupt) << loaded.error().to_string();
    EXPECT_NE(loaded.error().message.find("key file " + path.string() + " is corrupt: "),
              std::string::npos)
        << loaded.error().message;
    EXPECT_NE(loaded.error().message.find(test_case.message_part), std::string::npos)
        << loaded.error().message;
  }
}

TEST_F(KeyFileTest, ParseErrorsDoNotQuoteTheFile) {
  const std::string secret_text = R"({"type":"aethel-ed25519-secret-key","seed":")" + kSeedHex;
  const fs::path path = write_raw("cut.key", secret_text, 0600);
  const auto loaded = load_secret_key_file(path);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().message.find(kSeedHex.substr(0, 8)), std::string::npos)
      << loaded.error().message;
}

TEST_F(KeyFileTest, PublicKeyFileRoundTrip) {
  const KeyPair pair = rfc_key_pair();
  const fs::path path = directory_ / "validator.pub";
  ASSERT_TRUE(write_public_key_file(path, pair.public_key).has_value());
  EXPECT_EQ(mode_of(path), 0644u);
  const auto loaded = load_public_key_file(path);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  EXPECT_EQ(*loaded, pair.public_key);

  const auto refused = write_public_key_file(path, pair.public_key);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(write_public_key_file(path, pair.public_key, Overwrite::kReplace).has_value());
}

TEST_F(KeyFileTest, PublicKeyFileRefusesSecretFilesAndCorruption) {
  const fs::path secret = write_raw("secret.key", secret_json(kSeedHex, kPublicHex), 0600);
  const auto from_secret = load_public_key_file(secret);
  ASSERT_FALSE(from_secret.has_value());
  EXPECT_EQ(from_secret.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(from_secret.error().message.find("unexpected field \"seed\""), std::string::npos)
      << from_secret.error().message;

  const fs::path short_key = write_raw(
      "short.pub", R"({"type":"aethel-ed25519-public-key","version":1,"public_key":"abcd"})", 0644);
  const auto from_short = load_public_key_file(short_key);
  ASSERT_FALSE(from_short.has_value());
  EXPECT_EQ(from_short.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(from_short.error().message.find("field 'public_key' has 4 characters"),
            std::string::npos);

  const auto missing = load_public_key_file(directory_ / "none.pub");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace aethel::crypto
