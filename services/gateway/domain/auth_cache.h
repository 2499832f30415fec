#pragma once
// In-process cache of credential validations. Keyed by a SHA-256 of the credential, never the
// credential itself. Pure: time comes from a Clock&.

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "libs/common/clock.h"
#include "services/gateway/domain/limits.h"

namespace llmgw::gateway {

// Who a valid credential belongs to.
struct Principal {
  std::string organization_id;
  std::string credential_id;
  Limits limits;               // the credential's
  Limits organization_limits;  // its organization's
  bool operator==(const Principal&) const = default;
};

class AuthCache {
 public:
  struct Options {
    std::chrono::milliseconds positive_ttl = std::chrono::seconds(30);
    std::chrono::milliseconds negative_ttl = std::chrono::seconds(5);
    // How long past its TTL an entry may still answer while accounts is unavailable.
    std::chrono::milliseconds stale_grace = std::chrono::minutes(3);
    size_t max_entries = 100'000;
  };

  enum class Freshness { kMiss, kFresh, kStale };
  struct Lookup {
    Freshness freshness = Freshness::kMiss;
    bool valid = false;
    Principal principal;  // when valid
  };

  AuthCache(const Clock& clock, Options options);

  // The cache key of a credential of `kind` ("mon", "key"): "kind:" + hex SHA-256.
  static std::string KeyOf(std::string_view kind, std::string_view secret);

  // kFresh within the TTL; kStale past the TTL but within the grace (the caller decides whether
  // a stale answer may serve); kMiss otherwise.
  Lookup Get(const std::string& key) const;
  void PutValid(const std::string& key, Principal principal);
  void PutInvalid(const std::string& key);
  size_t size() const;

 private:
  struct Entry {
    bool valid = false;
    Principal principal;
    int64_t expires_unix_ms = 0;
  };
  void Put(const std::string& key, Entry entry);

  const Clock& clock_;
  Options options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace llmgw::gateway
