#pragma once
// What the gateway asks accounts about a credential. Production: GrpcAccountsClient; tests inject
// a fake.

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "services/gateway/domain/limits.h"

namespace llmgw::gateway {

struct CredentialValidation {
  bool valid = false;  // false: unknown or revoked (not an error)
  std::string organization_id;
  std::string credential_id;
  Limits limits;
  Limits organization_limits;
};

class CredentialValidator {
 public:
  using Done = std::function<void(absl::StatusOr<CredentialValidation>)>;
  virtual ~CredentialValidator() = default;
  // Asynchronous: `done` is called exactly once, on any thread (possibly before returning).
  // Errors are transport errors (kUnavailable, kDeadlineExceeded, ...), never "invalid".
  virtual void ValidateMonitorToken(std::string token, Done done) = 0;
  virtual void ValidateApiKey(std::string key, Done done) = 0;
};

}  // namespace llmgw::gateway
