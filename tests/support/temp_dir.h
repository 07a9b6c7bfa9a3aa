// A temporary directory for one test (core/file.h's TemporaryDirectory); a
// test that cannot make one stops with the reason.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "core/file.h"

namespace aethel::testing {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "aethel-test") : directory_(make(prefix)) {}
  const std::filesystem::path& path() const noexcept { return directory_.path(); }

 private:
  static TemporaryDirectory make(std::string_view prefix) {
    auto directory = TemporaryDirectory::create(prefix);
    if (!directory) throw std::runtime_error(directory.error().to_string());
    return std::move(*directory);
  }

  TemporaryDirectory directory_;
};

}  // namespace aethel::testing
