#include "core/error.h"

namespace aethel {

std::string_view error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid-argument";
    case ErrorCode::kSyntax: return "syntax";
    case ErrorCode::kType: return "type";
    case ErrorCode::kLimit: return "limit";
    case ErrorCode::kTruncated: return "truncated";
    case ErrorCode::kTrailingBytes: return "trailing-bytes";
    case ErrorCode::kBadTag: return "bad-tag";
    case ErrorCode::kOversize: return "oversize";
    case ErrorCode::kNonCanonical: return "non-canonical";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kPermission: return "permission";
    case ErrorCode::kCorrupt: return "corrupt";
    case ErrorCode::kBadSignature: return "bad-signature";
    case ErrorCode::kCrypto: return "crypto";
    case ErrorCode::kNotFound: return "not-found";
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kConservation: return "conservation";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string out(error_code_name(code));
  out += ": ";
  out += message;
  return out;
}

}  // namespace aethel
