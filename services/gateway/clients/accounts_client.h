#pragma once
// CredentialValidator over the accounts gRPC service (callback API: no thread blocks on a call).

#include <chrono>
#include <memory>
#include <string>

#include "llmgw/accounts/v1/accounts.grpc.pb.h"
#include "services/gateway/clients/credential_validator.h"

namespace llmgw::gateway {

class GrpcAccountsClient final : public CredentialValidator {
 public:
  GrpcAccountsClient(std::shared_ptr<grpc::Channel> channel, std::string internal_token,
                     std::chrono::milliseconds deadline = std::chrono::seconds(2));

  // CredentialValidator
  void ValidateMonitorToken(std::string token, Done done) override;
  void ValidateApiKey(std::string key, Done done) override;

 private:
  std::unique_ptr<accounts::v1::AccountsService::Stub> stub_;
  std::string internal_token_;
  std::chrono::milliseconds deadline_;
};

}  // namespace llmgw::gateway
