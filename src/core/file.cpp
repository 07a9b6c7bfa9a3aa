#include "core/file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "core/assert.h"

namespace aethel {

namespace {

std::string errno_text(int error_number) {
  return std::strerror(error_number);
}

Error io_error(std::string_view action, const std::filesystem::path& path, int error_number) {
  const ErrorCode code = error_number == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
  return Error(code,
               fmt::format("cannot {} {}: {}", action, path.string(), errno_text(error_number)));
}

// Closes a descriptor when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  // Closes now, so that the caller sees errors close() reports.
  int close_now() noexcept {
    const int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

std::filesystem::path directory_of(const std::filesystem::path& path) {
  const std::filesystem::path parent = path.parent_path();
  return parent.empty() ? std::filesystem::path(".") : parent;
}

// A name in the destination's directory that no other writer uses: the pid
// separates processes and the counter separates calls within one.
std::filesystem::path temporary_path_for(const std::filesystem::path& path) {
  static std::atomic<std::uint64_t> counter{0};
  const std::uint64_t serial = counter.fetch_add(1, std::memory_order_relaxed);
  std::filesystem::path temporary = path;
  temporary += fmt::format(".tmp-{}-{}", ::getpid(), serial);
  return temporary;
}

Result<void> write_all(int fd, std::string_view content, const std::filesystem::path& path) {
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t result = ::write(fd, content.data() + written, content.size() - written);
    if (result < 0 && errno == EINTR) continue;
    if (result < 0) return unexpected<Error>(io_error("write", path, errno));
    written += static_cast<std::size_t>(result);
  }
  return {};
}

Result<void> write_temporary(const std::filesystem::path& temporary, std::string_view content,
                             std::uint32_t permission_bits) {
  const auto mode = static_cast<mode_t>(permission_bits);
  FileDescriptor fd(
      ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd.valid()) return unexpected<Error>(io_error("create", temporary, errno));
  // The umask may have cleared bits we asked for; set exactly the bits wanted.
  if (::fchmod(fd.get(), mode) != 0) return unexpected<Error>(io_error("chmod", temporary, errno));
  if (auto written = write_all(fd.get(), content, temporary); !written) return written;
  if (::fsync(fd.get()) != 0) return unexpected<Error>(io_error("fsync", temporary, errno));
  if (fd.close_now() != 0) return unexpected<Error>(io_error("close", temporary, errno));
  return {};
}

// rename(2) without replacing an existing destination. Falls back to link(2)
// on file systems without RENAME_NOREPLACE; both fail with EEXIST atomically.
int rename_no_replace(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  if (::link(from.c_str(), to.c_str()) != 0) return -1;
  ::unlink(from.c_str());
  return 0;
}

Result<void> move_into_place(const std::filesystem::path& temporary,
                             const std::filesystem::path& path, Overwrite overwrite) {
  const int result = overwrite == Overwrite::kReplace ? ::rename(temporary.c_str(), path.c_str())
                                                      : rename_no_replace(temporary, path);
  if (result == 0) return {};
  if (errno == EEXIST) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{} already exists; refusing to overwrite it", path.string()));
  }
  return unexpected<Error>(io_error("rename into", path, errno));
}

Result<void> fsync_directory(const std::filesystem::path& directory) {
  FileDescriptor fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return unexpected<Error>(io_error("open directory", directory, errno));
  if (::fsync(fd.get()) != 0)
    return unexpected<Error>(io_error("fsync directory", directory, errno));
  return {};
}

}  // namespace

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content,
                                   std::uint32_t permission_bits, Overwrite overwrite) {
  AETHEL_ASSERT_MSG((permission_bits & ~07777U) == 0, "permission bits outside 07777");
  const std::filesystem::path temporary = temporary_path_for(path);
  auto written = write_temporary(temporary, content, permission_bits);
  if (written) written = move_into_place(temporary, path, overwrite);
  if (!written) {
    ::unlink(temporary.c_str());
    return written;
  }
  return fsync_directory(directory_of(path));
}

FileContents::~FileContents() {
  ::explicit_bzero(bytes.data(), bytes.size());
}

Result<FileContents> read_small_file(const std::filesystem::path& path, std::size_t max_bytes) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return unexpected<Error>(io_error("open", path, errno));
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) return unexpected<Error>(io_error("stat", path, errno));
  if (!S_ISREG(status.st_mode)) {
    return fail(ErrorCode::kIo, fmt::format("{} is not a regular file", path.string()));
  }
  const auto size = static_cast<std::size_t>(status.st_size);
  if (size > max_bytes) {
    return fail(ErrorCode::kLimit, fmt::format("{} has {} bytes; at most {} are accepted",
                                               path.string(), size, max_bytes));
  }
  FileContents contents;
  contents.permission_bits = static_cast<std::uint32_t>(status.st_mode & 07777);
  // One byte of slack detects a file that grew after fstat.
  contents.bytes.resize(size + 1);
  std::size_t total = 0;
  while (total < contents.bytes.size()) {
    const ssize_t result =
        ::read(fd.get(), contents.bytes.data() + total, contents.bytes.size() - total);
    if (result < 0 && errno == EINTR) continue;
    if (result < 0) return unexpected<Error>(io_error("read", path, errno));
    if (result == 0) break;
    total += static_cast<std::size_t>(result);
  }
  if (total > size) {
    return fail(ErrorCode::kIo, fmt::format("{} changed while being read", path.string()));
  }
  contents.bytes.resize(total);
  return contents;
}

Result<TemporaryDirectory> TemporaryDirectory::create(std::string_view prefix) {
  std::error_code error;
  const std::filesystem::path base = std::filesystem::temp_directory_path(error);
  if (error) return fail(ErrorCode::kIo, "no temporary directory: " + error.message());
  std::string pattern = (base / fmt::format("{}-XXXXXX", prefix)).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return fail(ErrorCode::kIo, fmt::format("cannot create a directory under {}: {}", base.string(),
                                            std::strerror(errno)));
  }
  return TemporaryDirectory(std::filesystem::path(pattern));
}

TemporaryDirectory::TemporaryDirectory(TemporaryDirectory&& other) noexcept
    : path_(std::exchange(other.path_, {})) {}

TemporaryDirectory& TemporaryDirectory::operator=(TemporaryDirectory&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TemporaryDirectory::~TemporaryDirectory() {
  remove();
}

void TemporaryDirectory::remove() noexcept {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace aethel
