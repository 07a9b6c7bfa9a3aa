// Small files that must never be torn or read in a half-written state: keys,
// genesis and configuration. POSIX only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "core/error.h"

namespace aethel {

enum class Overwrite : std::uint8_t {
  kRefuse,   // fail with kInvalidArgument if the destination exists
  kReplace,  // atomically replace an existing destination
};

// Writes `content` to `path` so that a crash leaves either the old file or the
// complete new one: the bytes go to a fresh temporary file in the same
// directory (O_CREAT|O_EXCL, created with `permission_bits`), which is fsynced,
// renamed over `path`, and the directory is fsynced. With Overwrite::kRefuse
// the rename itself refuses an existing destination, so a file created
// concurrently is never replaced.
Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content,
                                   std::uint32_t permission_bits, Overwrite overwrite);

// The bytes of a file, wiped from memory on destruction because they may be a
// secret (a key file).
struct FileContents {
  std::string bytes;
  // st_mode & 07777 of the file that was read (from the same open descriptor,
  // so the bits and the bytes belong to the same file).
  std::uint32_t permission_bits = 0;

  FileContents() = default;
  FileContents(FileContents&&) noexcept = default;
  FileContents& operator=(FileContents&&) noexcept = default;
  FileContents(const FileContents&) = delete;
  FileContents& operator=(const FileContents&) = delete;
  ~FileContents();
};

// Reads a regular file of at most max_bytes. Refuses a missing file
// (kNotFound), anything that is not a regular file, cannot be read or changes
// while being read (kIo) and a larger file (kLimit); each message names the
// path.
Result<FileContents> read_small_file(const std::filesystem::path& path, std::size_t max_bytes);

// A fresh directory under the system's temporary directory (mkdtemp, so no
// other process can have made it), removed with everything in it when the
// object is destroyed. Move-only: one owner removes it.
class TemporaryDirectory {
 public:
  // `prefix` becomes the start of the directory's name. kIo when there is no
  // temporary directory or the new one cannot be made.
  static Result<TemporaryDirectory> create(std::string_view prefix);

  TemporaryDirectory(TemporaryDirectory&& other) noexcept;
  TemporaryDirectory& operator=(TemporaryDirectory&& other) noexcept;
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  ~TemporaryDirectory();

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  explicit TemporaryDirectory(std::filesystem::path path) : path_(std::move(path)) {}
  void remove() noexcept;

  std::filesystem::path path_;  // empty once moved from
};

}  // namespace aethel
