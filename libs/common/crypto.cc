#include "libs/common/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace llmgw::crypto {

namespace {

// OpenSSL 3 looks the algorithm up in its provider tables (locks, property matching) on every
// EVP_Digest with EVP_sha256(); the gateway hashes a credential per request. The algorithm is
// fetched once and each thread keeps its context.
const EVP_MD* Sha256() {
  static EVP_MD* const md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) {
      std::fputs("llmgw: SHA256 unavailable\n", stderr);
      std::abort();
    }
    return m;
  }();
  return md;
}

struct DigestContext {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~DigestContext() { EVP_MD_CTX_free(ctx); }
};

}  // namespace

std::string Sha256Hex(std::string_view data) {
  thread_local DigestContext local;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (local.ctx == nullptr || EVP_DigestInit_ex2(local.ctx, Sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(local.ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(local.ctx, digest, &len) != 1) {
    std::fputs("llmgw: SHA256 failed\n", stderr);
    std::abort();
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(Sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
           &len) == nullptr) {
    std::fputs("llmgw: HMAC-SHA256 failed\n", stderr);
    std::abort();
  }
  return HexEncode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::fputs("llmgw: RAND_bytes failed\n", stderr);
    std::abort();
  }
  return out;
}

std::string RandomBase62(size_t length) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  out.reserve(length);
  while (out.size() < length) {
    std::string buf = RandomBytes(length * 2);
    for (unsigned char c : buf) {
      if (c >= 248) continue;  // 248 = 4 * 62: reject to keep the distribution uniform
      out.push_back(kAlphabet[c % 62]);
      if (out.size() == length) break;
    }
  }
  return out;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {

// Fills `b` with 16 bytes from OpenSSL's CSPRNG. Ids are made on every request: they are drawn
// 4 KiB at a time per thread instead of one RAND_bytes call (a lock and a getpid() fork check)
// per id. Ids are not secrets; the process never forks after start, so no two threads or
// processes share buffered bytes.
void TakeRandom16(unsigned char b[16]) {
  constexpr size_t kPool = 4096;
  thread_local unsigned char pool[kPool];
  thread_local size_t used = kPool;
  if (used + 16 > kPool) {
    if (RAND_bytes(pool, static_cast<int>(kPool)) != 1) {
      std::fputs("llmgw: RAND_bytes failed\n", stderr);
      std::abort();
    }
    used = 0;
  }
  std::memcpy(b, pool + used, 16);
  OPENSSL_cleanse(pool + used, 16);  // each id's bytes are handed out once
  used += 16;
}

// The 8-4-4-4-12 lower-case hex form of 16 bytes whose version and variant bits are set.
std::string UuidText(const unsigned char b[16]) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t o = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++o;  // keep the '-'
    out[o++] = kHex[b[i] >> 4];
    out[o++] = kHex[b[i] & 0x0f];
  }
  return out;
}

void SetVersionAndVariant(unsigned char b[16], unsigned version) {
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | (version << 4));
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 9562 variant 10xx
}

}  // namespace

std::string RandomUuid() {
  unsigned char b[16];
  TakeRandom16(b);
  SetVersionAndVariant(b, 4);
  return UuidText(b);
}

std::string TimeOrderedUuid(int64_t unix_ms) {
  unsigned char b[16];
  TakeRandom16(b);
  // RFC 9562 version 7: 48-bit big-endian Unix milliseconds, then 74 random bits.
  const uint64_t ms = static_cast<uint64_t>(std::max<int64_t>(unix_ms, 0)) & ((1ULL << 48) - 1);
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  SetVersionAndVariant(b, 7);
  return UuidText(b);
}

}  // namespace llmgw::crypto
