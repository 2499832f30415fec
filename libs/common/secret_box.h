#pragma once
// Customer secrets at rest (provider admin keys): AES-256-GCM under a key-encryption key from the
// environment (LLMGW_SECRET_KEY), with the key's id stored beside every ciphertext so the key can
// be rotated: rows sealed under an older key stay readable while it is still configured
// (LLMGW_SECRET_KEY_PREVIOUS) and are re-sealed under the current one by a command.
//
//   auto ring = SecretKeyring::FromEnvironment();          // nullopt inside: not configured
//   SealedSecret s = ring->current().Seal(key, "row-id");  // the row id binds it to its row
//   absl::StatusOr<std::string> key = ring->Open(s, "row-id");
//
// Sealed bytes: a random 96-bit nonce, the ciphertext, the 128-bit tag. Neither the plaintext nor
// the key ever appears in a Status message.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace llmgw::crypto {

inline constexpr size_t kSecretKeyBytes = 32;
inline constexpr size_t kSealNonceBytes = 12;
inline constexpr size_t kSealTagBytes = 16;

struct SealedSecret {
  std::string key_id;      // which key sealed it (SecretBox::key_id)
  std::string ciphertext;  // nonce || ciphertext || tag, raw bytes
  bool operator==(const SealedSecret&) const = default;
};

// One AES-256 key.
class SecretBox {
 public:
  // `key`: exactly 32 raw bytes.
  static absl::StatusOr<SecretBox> FromKey(std::string key);
  // Standard base64 (padding optional) of 32 bytes, as LLMGW_SECRET_KEY holds it. The message of
  // an error never repeats the text.
  static absl::StatusOr<SecretBox> FromBase64(std::string_view text);

  // "k" + the first 16 hex digits of SHA-256("llmgw secret key id" || key): names the key without
  // revealing it.
  const std::string& key_id() const { return key_id_; }

  // `associated_data` is authenticated, not stored: Open must be given the same (e.g. the row id,
  // so a ciphertext copied into another row does not open).
  SealedSecret Seal(std::string_view plaintext, std::string_view associated_data) const;
  // InvalidArgument when the key id differs, and DataLoss when the bytes or the associated data
  // were tampered with (or the key is wrong).
  absl::StatusOr<std::string> Open(const SealedSecret& sealed,
                                   std::string_view associated_data) const;

 private:
  SecretBox(std::string key, std::string key_id)
      : key_(std::move(key)), key_id_(std::move(key_id)) {}
  std::string key_;
  std::string key_id_;
};

// The current key (seals) and the previous ones (still open what they sealed).
class SecretKeyring {
 public:
  SecretKeyring(SecretBox current, std::vector<SecretBox> previous)
      : current_(std::move(current)), previous_(std::move(previous)) {}

  // LLMGW_SECRET_KEY (base64 of 32 bytes) and LLMGW_SECRET_KEY_PREVIOUS (a comma-separated list
  // of the same). nullopt when LLMGW_SECRET_KEY is unset; InvalidArgument naming the variable
  // when either is malformed.
  static absl::StatusOr<std::optional<SecretKeyring>> FromEnvironment();

  const SecretBox& current() const { return current_; }
  // The key that sealed it, or nullptr when that key is not configured.
  const SecretBox* Find(std::string_view key_id) const;
  // FailedPrecondition when the sealing key is not configured; otherwise SecretBox::Open.
  absl::StatusOr<std::string> Open(const SealedSecret& sealed,
                                   std::string_view associated_data) const;

 private:
  SecretBox current_;
  std::vector<SecretBox> previous_;
};

}  // namespace llmgw::crypto
