#include "services/metering/api/reencrypt_command.h"

#include <openssl/crypto.h>

#include <chrono>

#include "libs/common/config.h"
#include "libs/common/status_macros.h"
#include "libs/pg/migrate.h"
#include "libs/pg/pool.h"
#include "nlohmann/json.hpp"
#include "services/metering/domain/alert_engine.h"
#include "services/metering/domain/provider_syncer.h"
#include "services/metering/storage/pg_alert_store.h"
#include "services/metering/storage/pg_provider_store.h"
#include "services/metering/storage/pg_usage_store.h"

namespace llmgw::metering {

std::string Usage() {
  return "usage:\n"
         "  llmgw-metering [serve]            run the metering gRPC service and the provider sync\n"
         "  llmgw-metering --health-check     exit 0 when the instance at LLMGW_METERING_ADDR\n"
         "                                    answers gRPC health SERVING, else 1\n"
         "  llmgw-metering reencrypt-secrets  re-seal stored provider admin keys under\n"
         "                                    LLMGW_SECRET_KEY (old keys in\n"
         "                                    LLMGW_SECRET_KEY_PREVIOUS; LLMGW_DATABASE_URL)\n";
}

absl::StatusOr<ReencryptResult> ReencryptSealedKeys(ProviderStore& store,
                                                    const crypto::SecretKeyring& ring) {
  ReencryptResult result;
  LLMGW_ASSIGN_OR_RETURN(std::vector<StoredKey> keys, store.ListSealedKeys());
  for (const StoredKey& k : keys) {
    if (k.sealed_key.key_id == ring.current().key_id()) {
      ++result.already_current;
      continue;
    }
    const std::string aad = ConnectionKeyAad(k.connection_id);
    absl::StatusOr<std::string> plain = ring.Open(k.sealed_key, aad);
    if (!plain.ok()) {
      result.unreadable.push_back(k.connection_id);
      continue;
    }
    absl::Status s =
        store.ReplaceSealedKey(k.connection_id, k.sealed_key, ring.current().Seal(*plain, aad));
    OPENSSL_cleanse(plain->data(), plain->size());
    if (s.code() == absl::StatusCode::kFailedPrecondition) continue;  // changed or removed
    LLMGW_RETURN_IF_ERROR(s);
    ++result.resealed;
  }
  return result;
}

absl::StatusOr<ReencryptResult> ReencryptAlertSecrets(AlertStore& store,
                                                      const crypto::SecretKeyring& ring) {
  ReencryptResult result;
  LLMGW_ASSIGN_OR_RETURN(std::vector<StoredAlertSecret> secrets, store.ListSealedSecrets());
  for (const StoredAlertSecret& k : secrets) {
    if (k.sealed_secret.key_id == ring.current().key_id()) {
      ++result.already_current;
      continue;
    }
    const std::string aad = AlertSecretAad(k.rule_id);
    absl::StatusOr<std::string> plain = ring.Open(k.sealed_secret, aad);
    if (!plain.ok()) {
      result.unreadable.push_back(k.rule_id);
      continue;
    }
    absl::Status s =
        store.ReplaceSealedSecret(k.rule_id, k.sealed_secret, ring.current().Seal(*plain, aad));
    OPENSSL_cleanse(plain->data(), plain->size());
    if (s.code() == absl::StatusCode::kFailedPrecondition) continue;  // changed or removed
    LLMGW_RETURN_IF_ERROR(s);
    ++result.resealed;
  }
  return result;
}

int RunReencryptCommand(const std::vector<std::string>& args, std::ostream& out,
                        std::ostream& err) {
  auto usage_error = [&](const std::string& why) {
    err << "llmgw-metering reencrypt-secrets: " << why << "\n" << Usage();
    return 2;
  };
  if (!args.empty()) return usage_error("takes no arguments (the keys come from the environment)");
  absl::StatusOr<std::optional<crypto::SecretKeyring>> ring =
      crypto::SecretKeyring::FromEnvironment();
  if (!ring.ok()) return usage_error(std::string(ring.status().message()));
  if (!ring->has_value()) return usage_error("LLMGW_SECRET_KEY (the new key) is required");
  absl::StatusOr<std::string> url = config::DatabaseUrl();
  if (!url.ok()) return usage_error(std::string(url.status().message()));

  auto fail = [&](const absl::Status& s) {
    err << "llmgw-metering reencrypt-secrets: " << s.message() << "\n";
    return 1;
  };
  if (absl::Status s = pg::WaitForDatabase(*url, std::chrono::seconds(10)); !s.ok()) return fail(s);
  auto pool = pg::PgPool::Create({.url = *url, .size = 1});
  if (!pool.ok()) return fail(pool.status());
  if (absl::Status s = pg::ApplyMigrations(**pool, "metering", meteringMigrations()); !s.ok()) {
    return fail(s);
  }
  PgProviderStore store(**pool);
  absl::StatusOr<ReencryptResult> r = ReencryptSealedKeys(store, **ring);
  if (!r.ok()) return fail(r.status());
  PgAlertStore alerts(**pool);
  absl::StatusOr<ReencryptResult> a = ReencryptAlertSecrets(alerts, **ring);
  if (!a.ok()) return fail(a.status());
  r->resealed += a->resealed;
  r->already_current += a->already_current;
  r->unreadable.insert(r->unreadable.end(), a->unreadable.begin(), a->unreadable.end());
  out << nlohmann::json{{"resealed", r->resealed},
                        {"already_current", r->already_current},
                        {"unreadable", r->unreadable.size()},
                        {"key_id", (*ring)->current().key_id()}}
             .dump()
      << "\n";
  if (!r->unreadable.empty()) {
    err << "llmgw-metering reencrypt-secrets: these connections' keys (or alert rules' signing "
           "secrets) were sealed under a key that is not configured (add it to "
           "LLMGW_SECRET_KEY_PREVIOUS):";
    for (const std::string& id : r->unreadable) err << " " << id;
    err << "\n";
    return 1;
  }
  return 0;
}

}  // namespace llmgw::metering
