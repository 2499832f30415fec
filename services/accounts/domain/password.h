#pragma once
// Password hashing: PBKDF2-HMAC-SHA256 (OpenSSL PKCS5_PBKDF2_HMAC) with a 16-byte random salt per
// password. The parameters travel with the hash, so the iteration count can change later:
//   "pbkdf2-sha256$<iterations>$<salt hex>$<derived key hex>"

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace llmgw::accounts {

inline constexpr char kPasswordScheme[] = "pbkdf2-sha256";
inline constexpr int kDefaultPasswordIterations = 210000;
inline constexpr int kMinPasswordIterations = 1000;
inline constexpr int kMaxPasswordIterations = 100'000'000;
inline constexpr size_t kPasswordSaltBytes = 16;
inline constexpr size_t kPasswordKeyBytes = 32;

struct PasswordHash {
  int iterations = 0;
  std::string salt;  // raw bytes
  std::string key;   // raw derived key
};

// A new encoded hash of `password` with a fresh random salt.
std::string HashPassword(std::string_view password, int iterations);
// The encoded form of `h` (the string stored in the database).
std::string EncodePasswordHash(const PasswordHash& h);
// InvalidArgument unless `encoded` is a well-formed hash of the scheme above.
absl::StatusOr<PasswordHash> ParsePasswordHash(std::string_view encoded);
// Recomputes the key with the stored parameters and compares in constant time (CRYPTO_memcmp).
// A malformed `encoded` is false.
bool VerifyPassword(std::string_view password, std::string_view encoded);
// PBKDF2-HMAC-SHA256 of `password` and `salt`: `key_bytes` raw bytes.
std::string DerivePbkdf2Sha256(std::string_view password, std::string_view salt, int iterations,
                               size_t key_bytes);

}  // namespace llmgw::accounts
