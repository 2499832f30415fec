#include "libs/common/secret_box.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "libs/common/config.h"
#include "libs/common/crypto.h"

namespace llmgw::crypto {
namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "llmgw: AES-256-GCM %s failed\n", what);
  std::abort();
}

}  // namespace

absl::StatusOr<SecretBox> SecretBox::FromKey(std::string key) {
  if (key.size() != kSecretKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("a secret key must be ", kSecretKeyBytes, " bytes, got ", key.size()));
  }
  std::string id = "k" + Sha256Hex(std::string("llmgw secret key id") + key).substr(0, 16);
  return SecretBox(std::move(key), std::move(id));
}

absl::StatusOr<SecretBox> SecretBox::FromBase64(std::string_view text) {
  std::string raw;
  absl::string_view trimmed =
      absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size()));
  if (!absl::Base64Unescape(trimmed, &raw) || raw.size() != kSecretKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be the standard base64 of ", kSecretKeyBytes,
                     " random bytes (e.g. `openssl rand -base64 32`)"));
  }
  return FromKey(std::move(raw));
}

SealedSecret SecretBox::Seal(std::string_view plaintext, std::string_view associated_data) const {
  std::string nonce = RandomBytes(kSealNonceBytes);
  std::string out(kSealNonceBytes + plaintext.size() + kSealTagBytes, '\0');
  std::copy(nonce.begin(), nonce.end(), out.begin());
  auto* ct = reinterpret_cast<unsigned char*>(out.data()) + kSealNonceBytes;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kSealNonceBytes, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key_), Bytes(nonce)) != 1) {
    Die("init");
  }
  if (!associated_data.empty() &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(associated_data),
                        static_cast<int>(associated_data.size())) != 1) {
    Die("aad");
  }
  if (!plaintext.empty() && EVP_EncryptUpdate(ctx.get(), ct, &len, Bytes(plaintext),
                                              static_cast<int>(plaintext.size())) != 1) {
    Die("encrypt");
  }
  if (EVP_EncryptFinal_ex(ctx.get(), ct + plaintext.size(), &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kSealTagBytes, ct + plaintext.size()) !=
          1) {
    Die("final");
  }
  return SealedSecret{key_id_, std::move(out)};
}

absl::StatusOr<std::string> SecretBox::Open(const SealedSecret& sealed,
                                            std::string_view associated_data) const {
  if (sealed.key_id != key_id_) {
    return absl::InvalidArgumentError(
        absl::StrCat("sealed under key ", sealed.key_id, ", not ", key_id_));
  }
  const std::string& in = sealed.ciphertext;
  if (in.size() < kSealNonceBytes + kSealTagBytes) {
    return absl::DataLossError("sealed secret is truncated");
  }
  size_t n = in.size() - kSealNonceBytes - kSealTagBytes;
  std::string_view nonce(in.data(), kSealNonceBytes);
  std::string_view ct(in.data() + kSealNonceBytes, n);
  std::string tag(in.data() + kSealNonceBytes + n, kSealTagBytes);
  std::string out(n, '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kSealNonceBytes, nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(key_), Bytes(nonce)) != 1) {
    Die("init");
  }
  bool ok = true;
  if (!associated_data.empty()) {
    ok = EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(associated_data),
                           static_cast<int>(associated_data.size())) == 1;
  }
  if (ok && n > 0) {
    ok = EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, Bytes(ct),
                           static_cast<int>(n)) == 1;
  }
  ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kSealTagBytes, tag.data()) == 1;
  ok = ok &&
       EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n, &len) == 1;
  if (!ok) {
    OPENSSL_cleanse(out.data(), out.size());
    return absl::DataLossError("sealed secret failed authentication");
  }
  return out;
}

absl::StatusOr<std::optional<SecretKeyring>> SecretKeyring::FromEnvironment() {
  std::string current = config::String("LLMGW_SECRET_KEY");
  if (current.empty()) return std::optional<SecretKeyring>();
  absl::StatusOr<SecretBox> box = SecretBox::FromBase64(current);
  OPENSSL_cleanse(current.data(), current.size());
  if (!box.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("LLMGW_SECRET_KEY ", box.status().message()));
  }
  std::vector<SecretBox> previous;
  std::string list = config::String("LLMGW_SECRET_KEY_PREVIOUS");
  for (absl::string_view part : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    absl::StatusOr<SecretBox> old =
        SecretBox::FromBase64(std::string_view(part.data(), part.size()));
    if (!old.ok()) {
      OPENSSL_cleanse(list.data(), list.size());
      return absl::InvalidArgumentError(
          absl::StrCat("LLMGW_SECRET_KEY_PREVIOUS: every entry ", old.status().message()));
    }
    previous.push_back(*std::move(old));
  }
  OPENSSL_cleanse(list.data(), list.size());
  return std::optional<SecretKeyring>(SecretKeyring(*std::move(box), std::move(previous)));
}

const SecretBox* SecretKeyring::Find(std::string_view key_id) const {
  if (current_.key_id() == key_id) return &current_;
  for (const SecretBox& b : previous_) {
    if (b.key_id() == key_id) return &b;
  }
  return nullptr;
}

absl::StatusOr<std::string> SecretKeyring::Open(const SealedSecret& sealed,
                                                std::string_view associated_data) const {
  const SecretBox* box = Find(sealed.key_id);
  if (box == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("the key ", sealed.key_id,
                     " that sealed this secret is not configured (LLMGW_SECRET_KEY or "
                     "LLMGW_SECRET_KEY_PREVIOUS)"));
  }
  return box->Open(sealed, associated_data);
}

}  // namespace llmgw::crypto
