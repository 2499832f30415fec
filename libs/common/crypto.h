#pragma once
// OpenSSL-backed primitives: hashes for stored credentials, random secrets, constant-time compare.

#include <cstdint>
#include <string>
#include <string_view>

namespace llmgw::crypto {

// Lower-case hex SHA-256 of `data` (64 characters).
std::string Sha256Hex(std::string_view data);
// `n` cryptographically random bytes (RAND_bytes); aborts if the RNG fails.
std::string RandomBytes(size_t n);
// A base62 string of `length` characters from RAND_bytes, without modulo bias.
std::string RandomBase62(size_t length);
// Lower-case hex of `bytes`.
std::string HexEncode(std::string_view bytes);
// CRYPTO_memcmp over equal lengths; false when lengths differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);
// Lower-case hex HMAC-SHA256 of `data` under `key` (64 characters): webhook signatures.
std::string HmacSha256Hex(std::string_view key, std::string_view data);
// A random version-4 UUID, e.g. for request ids.
std::string RandomUuid();
// A version-7 UUID (RFC 9562): `unix_ms` in the first 48 bits, then 74 random bits. Ids made
// later sort later (as text too), so a database index on them grows at its right edge instead
// of at random pages: usage event ids.
std::string TimeOrderedUuid(int64_t unix_ms);

}  // namespace llmgw::crypto
