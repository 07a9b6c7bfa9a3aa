// Errors for bad input from outside (bytes, programs, peers, requests, files).
// Such input never aborts the process: functions that take it return
// Result<T>, whose error names what was wrong and where. Broken internal
// invariants are bugs and abort through AETHEL_ASSERT instead (assert.h).
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "core/expected.h"

namespace aethel {

enum class ErrorCode {
  kInvalidArgument,  // a caller-supplied value is outside what the API accepts
  kSyntax,           // a program or text does not parse
  kType,             // a program parses but is ill-typed
  kLimit,            // an input exceeds a configured limit
  kTruncated,        // encoded input ends early
  kTrailingBytes,    // encoded input has bytes after the value
  kBadTag,           // an enum tag, version or flag byte has no meaning
  kOversize,         // a declared length exceeds what the input or a limit allows
  kNonCanonical,     // a value has more than one encoding and this is not the canonical one
  kIo,               // the operating system refused a file or socket operation
  kPermission,       // a file's permissions are unsafe or insufficient
  kCorrupt,          // stored data fails its own integrity checks
  kBadSignature,     // a signature does not verify
  kCrypto,           // a cryptographic library call failed
  kNotFound,         // a requested item does not exist
  kInternal,         // a dependency failed in a way the caller cannot fix
  kConservation,     // a state transition would break conservation of the token supply
};

std::string_view error_code_name(ErrorCode code) noexcept;

struct Error {
  ErrorCode code;
  std::string message;

  Error(ErrorCode c, std::string m) : code(c), message(std::move(m)) {}
  // "<code>: <message>", for logs and command-line output.
  std::string to_string() const;
};

// std::expected<T, Error> (see core/expected.h for the one toolchain without it).
template <class T>
using Result = expected<T, Error>;

// Shorthand for returning an error: `return fail(ErrorCode::kIo, "...")`.
inline unexpected<Error> fail(ErrorCode code, std::string message) {
  return unexpected<Error>(Error(code, std::move(message)));
}

}  // namespace aethel
