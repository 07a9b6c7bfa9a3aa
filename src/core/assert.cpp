#include "core/assert.h"

#include <cstdio>
#include <cstdlib>

namespace aethel::detail {

void assertion_failed(const char* expression, const char* file, int line,
                      const char* message) noexcept {
  std::fprintf(stderr, "aethel: assertion failed: %s at %s:%d%s%s\n", expression, file, line,
               message != nullptr ? ": " : "", message != nullptr ? message : "");
  std::fflush(stderr);
  std::abort();
}

}  // namespace aethel::detail
