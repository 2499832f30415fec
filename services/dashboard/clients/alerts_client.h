#pragma once
// What the dashboard needs from metering's AlertService: an organization's alert rules.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/dashboard/domain/alerts.h"

namespace llmgw::dashboard {

struct CreatedAlert {
  AlertRule rule;
  std::string signing_secret;  // webhooks: shown once
};

class AlertsClient {
 public:
  virtual ~AlertsClient() = default;

  // InvalidArgument with the reason when the rule is malformed; FailedPrecondition when the
  // channel is not enabled on metering or at the rule limit.
  virtual absl::StatusOr<CreatedAlert> CreateAlert(const std::string& org_id,
                                                   const NewAlertInput& in) = 0;
  virtual absl::StatusOr<std::vector<AlertRule>> ListAlerts(const std::string& org_id) = 0;
  // NotFound unless the organization has it.
  virtual absl::StatusOr<AlertRule> DeleteAlert(const std::string& org_id,
                                                const std::string& id) = 0;
};

}  // namespace llmgw::dashboard
