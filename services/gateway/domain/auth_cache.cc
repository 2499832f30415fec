#include "services/gateway/domain/auth_cache.h"

#include <utility>

#include "libs/common/crypto.h"

namespace llmgw::gateway {

AuthCache::AuthCache(const Clock& clock, Options options) : clock_(clock), options_(options) {}

std::string AuthCache::KeyOf(std::string_view kind, std::string_view secret) {
  std::string key;
  key.reserve(kind.size() + 1 + 64);
  key.append(kind);
  key.push_back(':');
  key += crypto::Sha256Hex(secret);
  return key;
}

AuthCache::Lookup AuthCache::Get(const std::string& key) const {
  const int64_t now = clock_.NowUnixMs();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return {};
  const Entry& e = it->second;
  Lookup out;
  if (now < e.expires_unix_ms) {
    out.freshness = Freshness::kFresh;
  } else if (now < e.expires_unix_ms + options_.stale_grace.count()) {
    out.freshness = Freshness::kStale;
  } else {
    return {};
  }
  out.valid = e.valid;
  if (e.valid) out.principal = e.principal;
  return out;
}

void AuthCache::PutValid(const std::string& key, Principal principal) {
  Put(key, Entry{true, std::move(principal), clock_.NowUnixMs() + options_.positive_ttl.count()});
}

void AuthCache::PutInvalid(const std::string& key) {
  Put(key, Entry{false, {}, clock_.NowUnixMs() + options_.negative_ttl.count()});
}

void AuthCache::Put(const std::string& key, Entry entry) {
  const int64_t now = clock_.NowUnixMs();
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.size() >= options_.max_entries && entries_.find(key) == entries_.end()) {
    // Drop what can no longer answer; if the cache is still full, drop arbitrary entries: a
    // miss only costs one more validation.
    const int64_t grace = options_.stale_grace.count();
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = now >= it->second.expires_unix_ms + grace ? entries_.erase(it) : std::next(it);
    }
    while (entries_.size() >= options_.max_entries && !entries_.empty()) {
      entries_.erase(entries_.begin());
    }
  }
  entries_[key] = std::move(entry);
}

size_t AuthCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace llmgw::gateway
