#include "core/file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace aethel {
namespace {

namespace fs = std::filesystem;

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    directory_ = fs::temp_directory_path() /
                 (std::string("aethel-core-") + info->name() + "-" + std::to_string(::getpid()));
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  static std::uint32_t mode_of(const fs::path& path) {
    struct stat status {};
    EXPECT_EQ(::stat(path.c_str(), &status), 0);
    return static_cast<std::uint32_t>(status.st_mode & 07777);
  }

  std::size_t entries() const {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(directory_), fs::directory_iterator()));
  }

  fs::path directory_;
};

TEST_F(FileTest, WritesWithExactModeAndReadsBack) {
  const fs::path path = directory_ / "config.json";
  const mode_t old_umask = ::umask(0);
  const auto written = write_file_atomically(path, "hello", 0640, Overwrite::kRefuse);
  ::umask(old_umask);
  ASSERT_TRUE(written.has_value()) << written.error().to_string();
  EXPECT_EQ(mode_of(path), 0640u);

  const auto contents = read_small_file(path, 100);
  ASSERT_TRUE(contents.has_value()) << contents.error().to_string();
  EXPECT_EQ(contents->bytes, "hello");
  EXPECT_EQ(contents->permission_bits, 0640u);
  EXPECT_EQ(entries(), 1u) << "no temporary file is left behind";
}

TEST_F(FileTest, ModeIsExactEvenUnderARestrictiveUmask) {
  const fs::path path = directory_ / "public";
  const mode_t old_umask = ::umask(077);
  const auto written = write_file_atomically(path, "x", 0644, Overwrite::kRefuse);
  ::umask(old_umask);
  ASSERT_TRUE(written.has_value());
  EXPECT_EQ(mode_of(path), 0644u);
}

TEST_F(FileTest, RefusesToOverwriteUnlessAskedTo) {
  const fs::path path = directory_ / "key";
  ASSERT_TRUE(write_file_atomically(path, "first", 0600, Overwrite::kRefuse).has_value());
  const auto again = write_file_atomically(path, "second", 0600, Overwrite::kRefuse);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(again.error().message.find("already exists"), std::string::npos);
  EXPECT_EQ(read_small_file(path, 100)->bytes, "first");
  EXPECT_EQ(entries(), 1u) << "the refused temporary file is removed";

  ASSERT_TRUE(write_file_atomically(path, "second", 0600, Overwrite::kReplace).has_value());
  EXPECT_EQ(read_small_file(path, 100)->bytes, "second");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(FileTest, WriteIntoMissingDirectoryFails) {
  const auto written =
      write_file_atomically(directory_ / "missing" / "file", "x", 0600, Overwrite::kRefuse);
  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().code, ErrorCode::kNotFound);
  EXPECT_NE(written.error().message.find("missing"), std::string::npos);
}

TEST_F(FileTest, ReadRefusesMissingDirectoriesAndLargeFiles) {
  const auto missing = read_small_file(directory_ / "nope", 10);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("nope"), std::string::npos);

  const auto directory = read_small_file(directory_, 10);
  ASSERT_FALSE(directory.has_value());
  EXPECT_EQ(directory.error().code, ErrorCode::kIo);
  EXPECT_NE(directory.error().message.find("not a regular file"), std::string::npos);

  const fs::path big = directory_ / "big";
  std::ofstream(big) << std::string(11, 'x');
  const auto too_big = read_small_file(big, 10);
  ASSERT_FALSE(too_big.has_value());
  EXPECT_EQ(too_big.error().code, ErrorCode::kLimit);
  EXPECT_NE(too_big.error().message.find("has 11 bytes; at most 10"), std::string::npos);
}

TEST(TemporaryDirectoryTest, IsFreshAndRemovedWithItsContentsByItsOneOwner) {
  auto first = TemporaryDirectory::create("aethel-core-temporary");
  auto second = TemporaryDirectory::create("aethel-core-temporary");
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->path(), second->path());
  EXPECT_EQ(first->path().filename().string().rfind("aethel-core-temporary-", 0), 0u);
  const fs::path path = first->path();
  ASSERT_TRUE(fs::is_directory(path));
  ASSERT_TRUE(write_file_atomically(path / "inner", "x", 0600, Overwrite::kRefuse));
  {
    const TemporaryDirectory moved = std::move(*first);
    EXPECT_TRUE(first->path().empty());  // the moved-from object removes nothing
    EXPECT_EQ(moved.path(), path);
  }
  EXPECT_FALSE(fs::exists(path));

  // Assigning over an owner removes the directory it held.
  const fs::path replaced = second->path();
  auto third = TemporaryDirectory::create("aethel-core-temporary");
  ASSERT_TRUE(third);
  *second = std::move(*third);
  EXPECT_FALSE(fs::exists(replaced));
  EXPECT_TRUE(fs::is_directory(second->path()));
}

}  // namespace
}  // namespace aethel
