#pragma once
// The accounts logic: organizations, password login with throttling, sessions, monitor tokens and
// API keys. Transport-free: the gRPC service in api/ translates to and from these calls.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/common/clock.h"
#include "services/accounts/domain/account_store.h"
#include "services/accounts/domain/last_used_batcher.h"
#include "services/accounts/domain/login_throttle.h"
#include "services/accounts/domain/password.h"
#include "services/accounts/domain/types.h"

namespace llmgw::accounts {

struct AccountServiceOptions {
  int password_iterations = kDefaultPasswordIterations;  // LLMGW_PASSWORD_ITERATIONS
  std::chrono::hours session_ttl{168};                   // LLMGW_SESSION_TTL_HOURS
  LoginThrottlePolicy throttle;
};

struct LoginResult {
  Organization organization;
  std::string session_token;  // shown once
  int64_t expires_at_ms = 0;
};

struct ValidatedSession {
  Organization organization;
  int64_t expires_at_ms = 0;
};

struct CreatedCredential {
  Credential credential;
  std::string secret;  // shown once
};

// valid=false for unknown, revoked or malformed secrets; not an error.
struct CredentialValidation {
  bool valid = false;
  std::string organization_id;
  std::string credential_id;
};

inline constexpr char kBadLoginMessage[] = "invalid email or password";

class AccountService {
 public:
  AccountService(AccountStore& store, const Clock& clock, AccountServiceOptions options = {});

  // InvalidArgument naming the field; AlreadyExists when the email is taken (any case).
  absl::StatusOr<Organization> Register(std::string_view name, std::string_view email,
                                        std::string_view password);
  // Unauthenticated (one message for unknown email and wrong password); ResourceExhausted while
  // the email is throttled.
  absl::StatusOr<LoginResult> Login(std::string_view email, std::string_view password);
  // Unauthenticated for unknown, expired, revoked or malformed tokens.
  absl::StatusOr<ValidatedSession> ValidateSession(std::string_view session_token);
  // Idempotent.
  absl::Status Logout(std::string_view session_token);
  // NotFound for unknown (or non-UUID) ids.
  absl::StatusOr<Organization> GetOrganization(std::string_view organization_id);

  // NotFound when the organization does not exist.
  absl::StatusOr<CreatedCredential> CreateCredential(CredentialKind kind,
                                                     std::string_view organization_id,
                                                     std::string_view name);
  // Newest first. NotFound when the organization does not exist.
  absl::StatusOr<std::vector<Credential>> ListCredentials(CredentialKind kind,
                                                          std::string_view organization_id);
  // NotFound unless `credential_id` is a credential of this kind in this organization.
  absl::StatusOr<Credential> RevokeCredential(CredentialKind kind, std::string_view organization_id,
                                              std::string_view credential_id);
  // One indexed lookup by hash; malformed secrets are answered without touching the store.
  // Errors only when the store fails (the caller must not treat that as "invalid").
  absl::StatusOr<CredentialValidation> ValidateCredential(CredentialKind kind,
                                                          std::string_view secret);

  LastUsedBatcher& last_used() { return last_used_; }
  const AccountServiceOptions& options() const { return options_; }

 private:
  AccountStore& store_;
  const Clock& clock_;
  AccountServiceOptions options_;
  // Verified against for unknown emails, so they cost one hash like a known one.
  std::string dummy_hash_;
  LastUsedBatcher last_used_;
};

}  // namespace llmgw::accounts
