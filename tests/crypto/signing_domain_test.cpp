#include "crypto/signing_domain.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace aethel::crypto {
namespace {

// The values and names are protocol constants: changing one invalidates every
// signature made in that domain.
TEST(SigningDomainTest, ValuesAndNamesAreFixed) {
  static_assert(static_cast<int>(SigningDomain::kTransaction) == 0);
  static_assert(static_cast<int>(SigningDomain::kProofSubmission) == 1);
  static_assert(static_cast<int>(SigningDomain::kConsensusPrePrepare) == 2);
  static_assert(static_cast<int>(SigningDomain::kConsensusPrepare) == 3);
  static_assert(static_cast<int>(SigningDomain::kConsensusCommit) == 4);
  static_assert(static_cast<int>(SigningDomain::kConsensusViewChange) == 5);
  static_assert(static_cast<int>(SigningDomain::kConsensusNewView) == 6);
  static_assert(static_cast<int>(SigningDomain::kConsensusCheckpoint) == 7);
  static_assert(static_cast<int>(SigningDomain::kKeyFileCheck) == 8);
  EXPECT_EQ(signing_domain_name(SigningDomain::kTransaction), "transaction");
  EXPECT_EQ(signing_domain_name(SigningDomain::kProofSubmission), "proof-submission");
  EXPECT_EQ(signing_domain_name(SigningDomain::kConsensusPrePrepare), "consensus-pre-prepare");
  EXPECT_EQ(signing_domain_name(SigningDomain::kConsensusPrepare), "consensus-prepare");
  EXPECT_EQ(signing_domain_name(SigningDomain::kConsensusCommit), "consensus-commit");
  EXPECT_EQ(signing_domain_name(SigningDomain::kConsensusViewChange), "consensus-view-change");
  EXPECT_EQ(signing_domain_name(SigningDomain::kConsensusNewView), "consensus-new-view");
  EXPECT_EQ(signing_domain_name(SigningDomain::kConsensusCheckpoint), "consensus-checkpoint");
  EXPECT_EQ(signing_domain_name(SigningDomain::kKeyFileCheck), "key-file-check");
}

TEST(SigningDomainTest, ListIsCompleteAndNamesAreDistinctWithoutNul) {
  std::set<std::string_view> names;
  for (std::size_t index = 0; index < kAllSigningDomains.size(); ++index) {
    const SigningDomain domain = kAllSigningDomains[index];
    EXPECT_EQ(static_cast<std::size_t>(domain), index) << "listed in value order, no gaps";
    const std::string_view name = signing_domain_name(domain);
    EXPECT_EQ(name.find('\0'), std::string_view::npos);
    EXPECT_FALSE(name.empty());
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kAllSigningDomains.size());
}

TEST(SigningDomainTest, FromByteAcceptsExactlyTheKnownValues) {
  for (int value = 0; value < 256; ++value) {
    const auto domain = signing_domain_from_byte(static_cast<std::uint8_t>(value));
    if (static_cast<std::size_t>(value) < kAllSigningDomains.size()) {
      ASSERT_TRUE(domain.has_value()) << value;
      EXPECT_EQ(static_cast<int>(*domain), value);
    } else {
      EXPECT_FALSE(domain.has_value()) << value;
    }
  }
}

}  // namespace
}  // namespace aethel::crypto
