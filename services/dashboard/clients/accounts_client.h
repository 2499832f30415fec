#pragma once
// What the dashboard needs from the accounts service. Errors keep the accounts service's
// canonical codes (INVALID_ARGUMENT, ALREADY_EXISTS, UNAUTHENTICATED, RESOURCE_EXHAUSTED,
// NOT_FOUND); a dependency that cannot be reached is UNAVAILABLE or DEADLINE_EXCEEDED.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/dashboard/domain/types.h"

namespace llmgw::dashboard {

class AccountsClient {
 public:
  virtual ~AccountsClient() = default;

  virtual absl::StatusOr<Organization> Register(const std::string& name, const std::string& email,
                                                const std::string& password) = 0;
  virtual absl::StatusOr<LoginResult> Login(const std::string& email,
                                            const std::string& password) = 0;
  // UNAUTHENTICATED: unknown, expired or revoked session.
  virtual absl::StatusOr<Organization> ValidateSession(const std::string& session_token) = 0;
  virtual absl::Status Logout(const std::string& session_token) = 0;

  virtual absl::StatusOr<CreatedCredential> CreateMonitorToken(const std::string& org_id,
                                                               const std::string& name) = 0;
  virtual absl::StatusOr<std::vector<Credential>> ListMonitorTokens(const std::string& org_id) = 0;
  // NOT_FOUND: no such token in this organization.
  virtual absl::StatusOr<Credential> RevokeMonitorToken(const std::string& org_id,
                                                        const std::string& id) = 0;

  virtual absl::StatusOr<CreatedCredential> CreateApiKey(const std::string& org_id,
                                                         const std::string& name) = 0;
  virtual absl::StatusOr<std::vector<Credential>> ListApiKeys(const std::string& org_id) = 0;
  virtual absl::StatusOr<Credential> RevokeApiKey(const std::string& org_id,
                                                  const std::string& id) = 0;

  // OK when the service answers its health check as SERVING (for /readyz).
  virtual absl::Status CheckHealth() = 0;
};

}  // namespace llmgw::dashboard
