#pragma once
// The operator's key rotation command for stored provider admin keys and webhook alerts' signing
// secrets:
//   llmgw-metering reencrypt-secrets
// With LLMGW_SECRET_KEY set to the new key and LLMGW_SECRET_KEY_PREVIOUS to the old one(s), it
// re-seals every admin key and signing secret not sealed under the new key and prints one JSON
// line {"resealed":N,"already_current":M,"unreadable":K} (both kinds counted). One whose sealing
// key is not configured (or does not open) is left as it is and named by its connection or alert
// rule id; the exit code is then 1.

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/common/secret_box.h"
#include "services/metering/storage/alert_store.h"
#include "services/metering/storage/provider_store.h"

namespace llmgw::metering {

struct ReencryptResult {
  int resealed = 0;
  int already_current = 0;
  std::vector<std::string> unreadable;  // connection (or alert rule) ids
};

// Re-seals every stored key under ring.current(); each row is replaced only if it did not change
// meanwhile (a replica re-sealing at the same time is harmless).
absl::StatusOr<ReencryptResult> ReencryptSealedKeys(ProviderStore& store,
                                                    const crypto::SecretKeyring& ring);
// The same for webhook alert rules' signing secrets.
absl::StatusOr<ReencryptResult> ReencryptAlertSecrets(AlertStore& store,
                                                      const crypto::SecretKeyring& ring);

// `args` are the arguments after "reencrypt-secrets". Exit code: 0 done, 1 some key unreadable or
// the database failed, 2 bad arguments or configuration.
int RunReencryptCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The usage text of the binary.
std::string Usage();

}  // namespace llmgw::metering
