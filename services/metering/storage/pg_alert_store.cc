#include "services/metering/storage/pg_alert_store.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "libs/common/crypto.h"
#include "services/metering/storage/pg_usage_store.h"

namespace llmgw::metering {
namespace {

constexpr char kRuleColumns[] =
    "r.id::text, r.org_id, r.kind, r.threshold_nano, r.channel, r.target,"
    " (extract(epoch FROM r.created_at) * 1000)::bigint, r.episode, r.firing";
constexpr int kRuleColumnCount = 9;

// The secret's columns (key id, hex ciphertext) at `at`; none for e-mail rules.
std::optional<crypto::SealedSecret> SecretFromRow(const pqxx::row& row, int at) {
  if (row[at].is_null() || row[at + 1].is_null()) return std::nullopt;
  absl::string_view hex(row[at + 1].c_str(), row[at + 1].size());
  return crypto::SealedSecret{row[at].as<std::string>(), absl::HexStringToBytes(hex)};
}

AlertRule RuleFromRow(const pqxx::row& row) {
  AlertRule r;
  r.id = row[0].as<std::string>();
  r.organization_id = row[1].as<std::string>();
  r.kind = ParseAlertKind(row[2].as<std::string>()).value_or(AlertKind::kBalance);
  r.threshold_nano = row[3].as<int64_t>();
  r.channel = ParseAlertChannel(row[4].as<std::string>()).value_or(AlertChannel::kWebhook);
  r.target = row[5].as<std::string>();
  r.created_at_unix_ms = row[6].as<int64_t>();
  r.episode = row[7].as<int64_t>();
  r.firing = row[8].as<bool>();
  return r;
}

// Columns of the newest outbox row of a rule (LEFT JOIN LATERAL, alias o).
constexpr char kDeliveryColumns[] =
    "o.attempts, o.last_error, (extract(epoch FROM o.created_at) * 1000)::bigint,"
    " coalesce((extract(epoch FROM o.delivered_at) * 1000)::bigint, 0),"
    " (extract(epoch FROM o.next_attempt_at) * 1000)::bigint, o.gave_up_at IS NOT NULL";

std::optional<AlertDeliveryState> DeliveryFromRow(const pqxx::row& row, int at) {
  if (row[at].is_null()) return std::nullopt;
  AlertDeliveryState d;
  d.attempts = row[at].as<int>();
  d.last_error = row[at + 1].as<std::string>();
  d.fired_at_unix_ms = row[at + 2].as<int64_t>();
  d.delivered_at_unix_ms = row[at + 3].as<int64_t>();
  d.next_attempt_at_unix_ms = row[at + 4].as<int64_t>();
  const bool gave_up = row[at + 5].as<bool>();
  d.status = d.delivered_at_unix_ms != 0 ? "delivered"
             : gave_up                   ? "failed"
             : d.attempts == 0           ? "pending"
                                         : "retrying";
  return d;
}

absl::Status RuleNotFound() { return absl::NotFoundError("alert not found"); }

}  // namespace

absl::StatusOr<AlertRule> PgAlertStore::CreateRule(const NewAlertRule& r) {
  return pool_.Run([&](pqxx::connection& conn) -> absl::StatusOr<AlertRule> {
    pqxx::work tx(conn);
    // Serializes the count-then-insert of one organization's rules.
    tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('llmgw alert rules ' || $1))",
                   r.organization_id);
    int64_t count = tx.exec_params("SELECT count(*) FROM metering.alert_rules WHERE org_id = $1",
                                   r.organization_id)[0][0]
                        .as<int64_t>();
    if (count >= kMaxAlertRulesPerOrganization) {
      return absl::FailedPreconditionError(absl::StrCat(
          "an organization has at most ", kMaxAlertRulesPerOrganization, " alert rules"));
    }
    std::optional<std::string> key_id, hex;
    if (r.sealed_secret.has_value()) {
      key_id = r.sealed_secret->key_id;
      hex = crypto::HexEncode(r.sealed_secret->ciphertext);
    }
    pqxx::result row = tx.exec_params(
        absl::StrCat("INSERT INTO metering.alert_rules AS r (id, org_id, kind, threshold_nano,"
                     " channel, target, secret_key_id, secret_ciphertext, created_at)"
                     " VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, decode($8, 'hex'),"
                     " $9::timestamptz) RETURNING ",
                     kRuleColumns),
        r.id, r.organization_id, std::string(AlertKindName(r.kind)), r.threshold_nano,
        std::string(AlertChannelName(r.channel)), r.target, key_id, hex,
        TimestampLiteral(r.now_unix_ms));
    tx.commit();
    return RuleFromRow(row[0]);
  });
}

absl::StatusOr<std::vector<AlertRuleView>> PgAlertStore::ListRules(
    const std::string& organization_id) {
  return pool_.Run([&](pqxx::connection& conn) -> absl::StatusOr<std::vector<AlertRuleView>> {
    pqxx::read_transaction tx(conn);
    std::vector<AlertRuleView> out;
    for (const pqxx::row& row :
         tx.exec_params(absl::StrCat("SELECT ", kRuleColumns, ", ", kDeliveryColumns,
                                     " FROM metering.alert_rules r LEFT JOIN LATERAL ("
                                     "   SELECT * FROM metering.alert_outbox WHERE rule_id = r.id"
                                     "   ORDER BY created_at DESC, id DESC LIMIT 1) o ON true"
                                     " WHERE r.org_id = $1 ORDER BY r.created_at, r.id"),
                        organization_id)) {
      out.push_back({RuleFromRow(row), DeliveryFromRow(row, kRuleColumnCount)});
    }
    return out;
  });
}

absl::StatusOr<AlertRule> PgAlertStore::DeleteRule(const std::string& organization_id,
                                                   const std::string& id) {
  if (!IsUuidText(id)) return RuleNotFound();
  return pool_.Run([&](pqxx::connection& conn) -> absl::StatusOr<AlertRule> {
    pqxx::work tx(conn);
    pqxx::result r = tx.exec_params(
        absl::StrCat("DELETE FROM metering.alert_rules r WHERE r.org_id = $1 AND r.id = $2::uuid"
                     " RETURNING ",
                     kRuleColumns),
        organization_id, id);
    tx.commit();
    if (r.empty()) return RuleNotFound();
    return RuleFromRow(r[0]);
  });
}

absl::StatusOr<std::vector<AlertRule>> PgAlertStore::AllRules() {
  return pool_.Run([&](pqxx::connection& conn) -> absl::StatusOr<std::vector<AlertRule>> {
    pqxx::read_transaction tx(conn);
    std::vector<AlertRule> out;
    for (const pqxx::row& row : tx.exec(absl::StrCat(
             "SELECT ", kRuleColumns, " FROM metering.alert_rules r ORDER BY r.org_id, r.id"))) {
      out.push_back(RuleFromRow(row));
    }
    return out;
  });
}

absl::StatusOr<bool> PgAlertStore::Fire(const AlertRule& rule, const std::string& period_key,
                                        const std::string& payload, int64_t now_unix_ms) {
  return pool_.Run([&](pqxx::connection& conn) -> absl::StatusOr<bool> {
    pqxx::work tx(conn);
    const std::string now = TimestampLiteral(now_unix_ms);
    pqxx::result r = tx.exec_params(
        "INSERT INTO metering.alert_outbox (rule_id, period_key, payload, created_at,"
        " next_attempt_at) SELECT id, $2, $3, $4::timestamptz, $4::timestamptz"
        " FROM metering.alert_rules WHERE id = $1::uuid"
        " ON CONFLICT (rule_id, period_key) DO NOTHING RETURNING id",
        rule.id, period_key, payload, now);
    if (rule.kind == AlertKind::kBalance) {
      tx.exec_params(
          "UPDATE metering.alert_rules SET firing = true WHERE id = $1::uuid AND episode = $2",
          rule.id, rule.episode);
    }
    tx.commit();
    return !r.empty();
  });
}

absl::Status PgAlertStore::ClearFiring(const std::string& rule_id, int64_t episode) {
  return pool_.Run([&](pqxx::connection& conn) -> absl::Status {
    pqxx::work tx(conn);
    tx.exec_params(
        "UPDATE metering.alert_rules SET firing = false, episode = episode + 1"
        " WHERE id = $1::uuid AND firing AND episode = $2",
        rule_id, episode);
    tx.commit();
    return absl::OkStatus();
  });
}

// Errors as IsProviderError counts them: status >= 500 or 429.
absl::StatusOr<std::vector<ProviderRequestCounts>> PgAlertStore::CountProviderRequests(
    const std::string& organization_id, int64_t from_unix_ms, int64_t to_unix_ms) {
  return pool_.Run(
      [&](pqxx::connection& conn) -> absl::StatusOr<std::vector<ProviderRequestCounts>> {
        pqxx::read_transaction tx(conn);
        std::vector<ProviderRequestCounts> out;
        for (const pqxx::row& row : tx.exec_params(
                 "SELECT provider, count(*),"
                 " count(*) FILTER (WHERE status_code >= 500 OR status_code = 429)"
                 " FROM metering.usage_events WHERE org_id = $1"
                 " AND requested_at >= $2::timestamptz AND requested_at < $3::timestamptz"
                 " AND provider <> '' GROUP BY provider ORDER BY provider",
                 organization_id, TimestampLiteral(from_unix_ms), TimestampLiteral(to_unix_ms))) {
          out.push_back({row[0].as<std::string>(), row[1].as<int64_t>(), row[2].as<int64_t>()});
        }
        return out;
      });
}

absl::StatusOr<std::vector<LeasedDelivery>> PgAlertStore::LeaseDue(int64_t now_unix_ms,
                                                                   int64_t lease_ms, int limit) {
  return pool_.Run([&](pqxx::connection& conn) -> absl::StatusOr<std::vector<LeasedDelivery>> {
    pqxx::work tx(conn);
    std::vector<LeasedDelivery> out;
    for (const pqxx::row& row : tx.exec_params(
             "WITH due AS ("
             "  SELECT id FROM metering.alert_outbox"
             "  WHERE delivered_at IS NULL AND gave_up_at IS NULL"
             "  AND next_attempt_at <= $1::timestamptz"
             "  ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)"
             " UPDATE metering.alert_outbox o SET next_attempt_at = $2::timestamptz"
             " FROM due, metering.alert_rules r WHERE o.id = due.id AND r.id = o.rule_id"
             " RETURNING o.id, o.rule_id::text, r.channel, r.target, r.secret_key_id,"
             " encode(r.secret_ciphertext, 'hex'), o.payload, o.attempts,"
             " (extract(epoch FROM o.created_at) * 1000)::bigint",
             TimestampLiteral(now_unix_ms), TimestampLiteral(now_unix_ms + lease_ms), limit)) {
      LeasedDelivery d;
      d.id = row[0].as<int64_t>();
      d.rule_id = row[1].as<std::string>();
      d.channel = ParseAlertChannel(row[2].as<std::string>()).value_or(AlertChannel::kWebhook);
      d.target = row[3].as<std::string>();
      d.sealed_secret = SecretFromRow(row, 4);
      d.payload = row[6].as<std::string>();
      d.attempts = row[7].as<int>();
      d.created_at_unix_ms = row[8].as<int64_t>();
      out.push_back(std::move(d));
    }
    tx.commit();
    std::sort(out.begin(), out.end(),
              [](const LeasedDelivery& a, const LeasedDelivery& b) { return a.id < b.id; });
    return out;
  });
}

absl::Status PgAlertStore::RecordAttempt(int64_t delivery_id, const DeliveryAttempt& attempt,
                                         int64_t now_unix_ms) {
  return pool_.Run([&](pqxx::connection& conn) -> absl::Status {
    pqxx::work tx(conn);
    const std::string now = TimestampLiteral(now_unix_ms);
    if (attempt.delivered) {
      tx.exec_params(
          "UPDATE metering.alert_outbox SET attempts = attempts + 1, delivered_at = "
          "$2::timestamptz,"
          " last_error = '' WHERE id = $1",
          delivery_id, now);
    } else {
      tx.exec_params(
          "UPDATE metering.alert_outbox SET attempts = attempts + 1, last_error = $2,"
          " next_attempt_at = $3::timestamptz,"
          " gave_up_at = CASE WHEN $4 THEN $5::timestamptz END WHERE id = $1",
          delivery_id, attempt.error.substr(0, 500),
          TimestampLiteral(attempt.give_up ? now_unix_ms : attempt.next_attempt_at_unix_ms),
          attempt.give_up, now);
    }
    tx.commit();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<StoredAlertSecret>> PgAlertStore::ListSealedSecrets() {
  return pool_.Run([&](pqxx::connection& conn) -> absl::StatusOr<std::vector<StoredAlertSecret>> {
    pqxx::read_transaction tx(conn);
    std::vector<StoredAlertSecret> out;
    for (const pqxx::row& r :
         tx.exec("SELECT id::text, secret_key_id, encode(secret_ciphertext, 'hex')"
                 " FROM metering.alert_rules WHERE secret_ciphertext IS NOT NULL"
                 " ORDER BY created_at, id")) {
      out.push_back({r[0].as<std::string>(), *SecretFromRow(r, 1)});
    }
    return out;
  });
}

absl::Status PgAlertStore::ReplaceSealedSecret(const std::string& rule_id,
                                               const crypto::SealedSecret& expected,
                                               const crypto::SealedSecret& replacement) {
  if (!IsUuidText(rule_id)) return RuleNotFound();
  return pool_.Run([&](pqxx::connection& conn) -> absl::Status {
    pqxx::work tx(conn);
    pqxx::result r = tx.exec_params(
        "UPDATE metering.alert_rules SET secret_key_id = $2,"
        " secret_ciphertext = decode($3, 'hex') WHERE id = $1::uuid AND secret_key_id = $4"
        " AND secret_ciphertext = decode($5, 'hex')",
        rule_id, replacement.key_id, crypto::HexEncode(replacement.ciphertext), expected.key_id,
        crypto::HexEncode(expected.ciphertext));
    tx.commit();
    if (r.affected_rows() == 0) {
      return absl::FailedPreconditionError("the signing secret changed or the rule is gone");
    }
    return absl::OkStatus();
  });
}

}  // namespace llmgw::metering
