// Key files.
//
// A secret key file is JSON holding the 32-byte seed and the public key it
// derives:
//
//   {"type":"aethel-ed25519-secret-key","version":1,"seed":"<64 hex>","public_key":"<64 hex>"}
//
// It is written atomically (core/file.h) with mode 0600 and is only loaded
// when its mode is exactly 0600 or 0400, so a key that others could have read
// is never used. Loading checks everything: valid JSON, the type and version,
// no unknown fields, hex of the right length, the public key matching the
// seed, and a signature made with the key verifying under it.
//
// A public key file has the same shape without the seed
// ({"type":"aethel-ed25519-public-key","version":1,"public_key":"<64 hex>"})
// and is written with mode 0644.
#pragma once

#include <filesystem>

#include "core/error.h"
#include "core/file.h"
#include "crypto/ed25519.h"

namespace aethel::crypto {

// Refuses (kInvalidArgument) to replace an existing file unless
// overwrite is Overwrite::kReplace.
Result<void> write_secret_key_file(const std::filesystem::path& path, const SecretKey& key,
                                   Overwrite overwrite = Overwrite::kRefuse);

// Errors: kNotFound (no such file), kIo (unreadable), kPermission (mode other
// than 0600 or 0400), kCorrupt (content is not a valid key file; the message
// says what is wrong). Every message names the path.
Result<KeyPair> load_secret_key_file(const std::filesystem::path& path);

Result<void> write_public_key_file(const std::filesystem::path& path, const PublicKey& key,
                                   Overwrite overwrite = Overwrite::kRefuse);
// Errors as for load_secret_key_file, except that any mode is accepted.
Result<PublicKey> load_public_key_file(const std::filesystem::path& path);

}  // namespace aethel::crypto
