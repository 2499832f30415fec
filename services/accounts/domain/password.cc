#include "services/accounts/domain/password.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "libs/common/crypto.h"

namespace llmgw::accounts {
namespace {

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string DerivePbkdf2Sha256(std::string_view password, std::string_view salt, int iterations,
                               size_t key_bytes) {
  std::string key(key_bytes, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(key_bytes),
                        reinterpret_cast<unsigned char*>(key.data())) != 1) {
    std::fputs("llmgw-accounts: PKCS5_PBKDF2_HMAC failed\n", stderr);
    std::abort();
  }
  return key;
}

std::string EncodePasswordHash(const PasswordHash& h) {
  return absl::StrCat(kPasswordScheme, "$", h.iterations, "$", crypto::HexEncode(h.salt), "$",
                      crypto::HexEncode(h.key));
}

std::string HashPassword(std::string_view password, int iterations) {
  PasswordHash h;
  h.iterations = iterations;
  h.salt = crypto::RandomBytes(kPasswordSaltBytes);
  h.key = DerivePbkdf2Sha256(password, h.salt, iterations, kPasswordKeyBytes);
  return EncodePasswordHash(h);
}

absl::StatusOr<PasswordHash> ParsePasswordHash(std::string_view encoded) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(encoded.data(), encoded.size()), '$');
  auto bad = [](const char* why) {
    return absl::InvalidArgumentError(absl::StrCat("malformed password hash: ", why));
  };
  if (parts.size() != 4) return bad("expected 4 fields");
  if (parts[0] != kPasswordScheme) return bad("unknown scheme");
  PasswordHash h;
  if (!absl::SimpleAtoi(parts[1], &h.iterations) || h.iterations < 1 ||
      h.iterations > kMaxPasswordIterations) {
    return bad("bad iteration count");
  }
  if (parts[2].empty() || parts[2].size() % 2 != 0 || !IsLowerHex(parts[2])) {
    return bad("bad salt");
  }
  if (parts[3].size() != 2 * kPasswordKeyBytes || !IsLowerHex(parts[3])) return bad("bad key");
  h.salt = absl::HexStringToBytes(parts[2]);
  h.key = absl::HexStringToBytes(parts[3]);
  return h;
}

bool VerifyPassword(std::string_view password, std::string_view encoded) {
  absl::StatusOr<PasswordHash> h = ParsePasswordHash(encoded);
  if (!h.ok()) return false;
  std::string key = DerivePbkdf2Sha256(password, h->salt, h->iterations, h->key.size());
  return crypto::ConstantTimeEquals(key, h->key);
}

}  // namespace llmgw::accounts
