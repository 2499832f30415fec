#include "services/billing/api/topup_command.h"

#include <chrono>
#include <map>

#include "libs/common/config.h"
#include "libs/common/crypto.h"
#include "libs/common/money.h"
#include "libs/pg/migrate.h"
#include "libs/pg/pool.h"
#include "nlohmann/json.hpp"
#include "services/billing/domain/billing_rules.h"
#include "services/billing/storage/pg_billing_store.h"

namespace llmgw::billing {

std::string Usage() {
  return "usage:\n"
         "  llmgw-billing [serve]      run the billing gRPC service\n"
         "  llmgw-billing --health-check\n"
         "                             exit 0 when the instance at LLMGW_BILLING_ADDR answers\n"
         "                             gRPC health SERVING, else 1\n"
         "  llmgw-billing topup --org <org-uuid> --amount <USD> [--key <idempotency key>] "
         "[--description <text>]\n"
         "                             credit an organization (LLMGW_DATABASE_URL)\n"
         "  llmgw-billing prices list [--provider P] [--model M] [--history]\n"
         "  llmgw-billing prices set --provider P --model M --input USD --output USD\n"
         "                [--cached-input USD] [--cache-write USD] [--cache-write-1h USD]\n"
         "                [--max-output-tokens N] [--kind chat|embedding|other]\n"
         "                [--tier-above-input-tokens N --tier-input USD --tier-output USD ...]\n"
         "                [--effective-from RFC3339] [--set-by WHO] [--note TEXT]\n"
         "  llmgw-billing prices import FILE.csv [--set-by WHO]\n"
         "                             operator price overrides, USD per 1M tokens; every change\n"
         "                             is a new dated row (LLMGW_DATABASE_URL)\n";
}

int RunTopupCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  auto usage_error = [&](const std::string& why) {
    err << "llmgw-billing topup: " << why << "\n" << Usage();
    return kExitUsage;
  };
  std::map<std::string, std::string> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    if (name.rfind("--", 0) != 0) return usage_error("unexpected argument \"" + name + "\"");
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else {
      if (i + 1 >= args.size()) return usage_error(name + " needs a value");
      value = args[++i];
    }
    if (name != "--org" && name != "--amount" && name != "--key" && name != "--description") {
      return usage_error("unknown flag " + name);
    }
    if (flags.count(name)) return usage_error(name + " given twice");
    flags[name] = value;
  }
  if (!flags.count("--org") || !flags.count("--amount")) {
    return usage_error("--org and --amount are required");
  }
  const std::string org = flags["--org"];
  if (absl::Status s = ValidateOrgId(org); !s.ok()) return usage_error(std::string(s.message()));
  absl::StatusOr<money::Nano> amount = money::ParseUsd(flags["--amount"]);
  if (!amount.ok()) return usage_error(std::string(amount.status().message()));
  if (absl::Status s = ValidateChargeAmount(*amount); !s.ok()) {
    return usage_error("--amount must be greater than 0 and at most 1000000");
  }
  const std::string key = flags.count("--key") ? flags["--key"] : crypto::RandomUuid();
  if (absl::Status s = ValidateKey("--key", key); !s.ok()) {
    return usage_error(std::string(s.message()));
  }
  const std::string description =
      flags.count("--description") ? flags["--description"] : "top-up by operator";
  if (absl::Status s = ValidateDescription(description); !s.ok()) {
    return usage_error(std::string(s.message()));
  }
  absl::StatusOr<std::string> url = config::DatabaseUrl();
  if (!url.ok()) return usage_error(std::string(url.status().message()));

  auto fail = [&](const absl::Status& s) {
    err << "llmgw-billing topup: " << s.message() << "\n";
    return s.code() == absl::StatusCode::kFailedPrecondition ? kExitUsage : kExitFailure;
  };
  if (absl::Status s = pg::WaitForDatabase(*url, std::chrono::seconds(10)); !s.ok()) {
    return fail(s);
  }
  auto pool = pg::PgPool::Create({.url = *url, .size = 1});
  if (!pool.ok()) return fail(pool.status());
  if (absl::Status s = pg::ApplyMigrations(**pool, "billing", billingMigrations()); !s.ok()) {
    return fail(s);
  }
  PgBillingStore store(**pool);
  absl::StatusOr<ChargeResult> charged = store.Charge(org, key, *amount, description);
  if (!charged.ok()) return fail(charged.status());
  absl::StatusOr<BalanceRow> balance = store.GetBalance(org);
  if (!balance.ok()) return fail(balance.status());
  nlohmann::json j = {
      {"organization_id", org},
      {"amount_nano", *amount},
      {"idempotency_key", key},
      {"replayed", charged->replayed},
      {"transaction_id", std::to_string(charged->entry.id)},
      {"balance_nano", balance->balance},
      {"held_nano", balance->held},
      {"balance_usd", money::FormatUsd(balance->balance)},
  };
  out << j.dump() << "\n";
  return kExitOk;
}

}  // namespace llmgw::billing
