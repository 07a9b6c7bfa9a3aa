#include "crypto/sha256.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace aethel::crypto {
namespace {

struct KnownAnswer {
  std::string message;
  std::string digest_hex;
};

// FIPS 180-4 example vectors.
TEST(Sha256Test, KnownAnswers) {
  const KnownAnswer vectors[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {std::string(1'000'000, 'a'),
       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
  };
  for (const KnownAnswer& vector : vectors) {
    SCOPED_TRACE(vector.message.substr(0, 16));
    EXPECT_EQ(sha256(vector.message).hex(), vector.digest_hex);
    EXPECT_EQ(sha256(as_byte_view(vector.message)).hex(), vector.digest_hex);
    Sha256Hasher hasher;
    EXPECT_EQ(hasher.update(vector.message).finish().hex(), vector.digest_hex);
  }
}

TEST(Sha256Test, HasherResetsAfterFinishAndMoves) {
  Sha256Hasher hasher;
  hasher.update("ab").update("c");
  EXPECT_EQ(hasher.finish(), sha256("abc"));
  EXPECT_EQ(hasher.finish(), sha256(""));
  hasher.update("a");
  Sha256Hasher moved = std::move(hasher);
  moved.update("bc");
  EXPECT_EQ(moved.finish(), sha256("abc"));
}

RC_GTEST_PROP(Sha256Property, IncrementalMatchesOneShot, (const Bytes& data)) {
  const auto split = *rc::gen::inRange<std::size_t>(0, data.size() + 1);
  Sha256Hasher hasher;
  hasher.update(ByteView(data).first(split)).update(ByteView(data).subspan(split));
  RC_ASSERT(hasher.finish() == sha256(data));
}

}  // namespace
}  // namespace aethel::crypto
