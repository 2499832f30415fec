#include "services/metering/domain/alert_engine.h"

#include <openssl/crypto.h>

#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "libs/common/log.h"
#include "libs/common/thread.h"

namespace llmgw::metering {

std::string AlertSecretAad(const std::string& rule_id) {
  return absl::StrCat("llmgw alert rule ", rule_id);
}

// Each source is asked at most once per organization and pass, and only if a rule needs it.
struct AlertEngine::OrgView {
  std::string organization_id;
  std::optional<absl::StatusOr<int64_t>> balance;
  std::optional<absl::StatusOr<std::vector<ProviderRequestCounts>>> counts;
  std::optional<absl::StatusOr<std::vector<ReconciliationRow>>> reconciliation;
  std::optional<absl::StatusOr<std::vector<BudgetUsage>>> budgets;
};

AlertEngine::AlertEngine(AlertStore& store, AlertSources& sources, AlertSender& sender,
                         const crypto::SecretKeyring* ring, const Clock& clock, Options options)
    : store_(store),
      sources_(sources),
      sender_(sender),
      ring_(ring),
      clock_(clock),
      options_(options) {}

namespace {

// A source that failed skips its rules this pass (logged once per organization and source).
template <typename T>
const T* Ok(const absl::StatusOr<T>& v, const std::string& org, const char* what) {
  if (v.ok()) return &*v;
  if (v.status().code() != absl::StatusCode::kUnimplemented) {
    log::Warn(
        "alert rules skipped: a source failed",
        {{"organization_id", org}, {"source", what}, {"error", std::string(v.status().message())}});
  }
  return nullptr;
}

}  // namespace

std::vector<AlertFiring> AlertEngine::Firings(const AlertRule& rule, OrgView& view) {
  const std::string& org = view.organization_id;
  const int64_t now = clock_.NowUnixMs();
  switch (rule.kind) {
    case AlertKind::kBalance: {
      if (!view.balance) view.balance = sources_.Balance(org);
      const int64_t* balance = Ok(*view.balance, org, "balance");
      if (balance == nullptr) return {};
      BalanceVerdict v = EvaluateBalance(rule, *balance);
      if (!v.below && rule.firing) {
        absl::Status s = store_.ClearFiring(rule.id, rule.episode);
        if (!s.ok()) log::Warn("alert rule not re-armed", {{"rule_id", rule.id}});
      }
      if (!v.below || rule.firing) return {};  // fired already in this episode
      return {*v.firing};
    }
    case AlertKind::kErrorRate: {
      if (!view.counts)
        view.counts = store_.CountProviderRequests(org, now - kErrorRateWindowMs, now);
      const auto* counts = Ok(*view.counts, org, "request counts");
      return counts == nullptr ? std::vector<AlertFiring>{} : EvaluateErrorRate(rule, *counts, now);
    }
    case AlertKind::kDrift: {
      if (!view.reconciliation) {
        const int64_t today = DayOf(now);
        view.reconciliation = sources_.Reconciliation(
            org, {today - (kDriftLookbackDays - 1) * kDayMs, today + kDayMs});
      }
      const auto* rows = Ok(*view.reconciliation, org, "reconciliation");
      return rows == nullptr ? std::vector<AlertFiring>{}
                             : EvaluateDrift(rule, DriftByProviderDay(*rows));
    }
    case AlertKind::kBudget: {
      if (!view.budgets) view.budgets = sources_.Budgets(org);
      const auto* budgets = Ok(*view.budgets, org, "budgets");
      return budgets == nullptr ? std::vector<AlertFiring>{} : EvaluateBudgets(rule, *budgets);
    }
  }
  return {};
}

int AlertEngine::Evaluate() {
  absl::StatusOr<std::vector<AlertRule>> rules = store_.AllRules();
  if (!rules.ok()) {
    log::Warn("cannot list alert rules", {{"error", std::string(rules.status().message())}});
    return 0;
  }
  int queued = 0;
  std::optional<OrgView> view;
  for (const AlertRule& rule : *rules) {  // sorted by organization
    if (!view || view->organization_id != rule.organization_id) {
      view.emplace();
      view->organization_id = rule.organization_id;
    }
    for (const AlertFiring& f : Firings(rule, *view)) {
      const std::string payload = AlertPayload(rule, f, clock_.NowUnixMs());
      absl::StatusOr<bool> fired = store_.Fire(rule, f.period_key, payload, clock_.NowUnixMs());
      if (!fired.ok()) {
        log::Warn("alert not queued",
                  {{"rule_id", rule.id}, {"error", std::string(fired.status().message())}});
        continue;
      }
      if (!*fired) continue;  // this period fired before
      ++queued;
      log::Info("alert fired", {{"rule_id", rule.id},
                                {"organization_id", rule.organization_id},
                                {"kind", std::string(AlertKindName(rule.kind))},
                                {"period_key", f.period_key}});
    }
  }
  return queued;
}

DeliveryOutcome AlertEngine::Deliver(const LeasedDelivery& d) {
  OutgoingAlert out{d.id, d.rule_id, d.channel, d.target, d.payload, ""};
  absl::Status sent;
  if (d.channel == AlertChannel::kWebhook) {
    if (ring_ == nullptr || !d.sealed_secret.has_value()) {
      sent = absl::FailedPreconditionError(
          "webhook alerts cannot be signed: LLMGW_SECRET_KEY is not set on metering");
    } else if (absl::StatusOr<std::string> sealed =
                   ring_->Open(*d.sealed_secret, AlertSecretAad(d.rule_id));
               !sealed.ok()) {
      sent = absl::FailedPreconditionError(
          "the webhook's signing secret cannot be opened with the configured LLMGW_SECRET_KEY");
    } else {
      absl::StatusOr<WebhookSecrets> webhook = OpenedWebhook(*sealed);
      OPENSSL_cleanse(sealed->data(), sealed->size());
      if (!webhook.ok()) {
        sent = webhook.status();
      } else {
        out.signing_secret = std::move(webhook->signing_secret);
        out.target = std::move(webhook->url);  // the stored target is only its display form
      }
    }
  }
  if (sent.ok()) sent = sender_.Send(out);
  OPENSSL_cleanse(out.signing_secret.data(), out.signing_secret.size());

  const int64_t now = clock_.NowUnixMs();
  DeliveryAttempt attempt;
  attempt.delivered = sent.ok();
  DeliveryOutcome outcome{d.channel, "delivered"};
  if (!sent.ok()) {
    attempt.error = std::string(sent.message());
    attempt.give_up = now - d.created_at_unix_ms >= kAlertGiveUpAfterMs;
    attempt.next_attempt_at_unix_ms = now + AlertRetryDelayMs(d.attempts + 1);
    outcome.result = attempt.give_up ? "failed" : "retry";
  }
  nlohmann::json fields = {{"rule_id", d.rule_id},
                           {"delivery_id", d.id},
                           {"channel", std::string(AlertChannelName(d.channel))},
                           {"attempt", d.attempts + 1},
                           {"result", outcome.result}};
  if (!sent.ok()) fields["error"] = attempt.error;  // never the target or a secret (AlertSender)
  if (sent.ok()) {
    log::Info("alert delivered", fields);
  } else {
    log::Warn("alert delivery failed", fields);
  }
  if (absl::Status s = store_.RecordAttempt(d.id, attempt, now); !s.ok()) {
    // The lease runs out and the delivery is tried again: at least once.
    log::Warn("alert attempt not recorded", {{"delivery_id", d.id}});
  }
  return outcome;
}

std::vector<DeliveryOutcome> AlertEngine::DeliverDue() {
  std::vector<DeliveryOutcome> outcomes;
  absl::StatusOr<std::vector<LeasedDelivery>> due =
      store_.LeaseDue(clock_.NowUnixMs(), options_.lease_ms, options_.batch);
  if (!due.ok()) {
    log::Warn("cannot lease alert deliveries", {{"error", std::string(due.status().message())}});
    return outcomes;
  }
  for (const LeasedDelivery& d : *due) outcomes.push_back(Deliver(d));
  return outcomes;
}

AlertLoop::AlertLoop(AlertEngine& engine, Options options)
    : engine_(engine), options_(std::move(options)) {}

AlertLoop::~AlertLoop() { Stop(); }

void AlertLoop::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    threads::NameThisThread("alerts");
    Loop();
  });
}

void AlertLoop::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AlertLoop::Loop() {
  auto next_evaluation = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    if (std::chrono::steady_clock::now() >= next_evaluation) {
      next_evaluation = std::chrono::steady_clock::now() + options_.evaluate_every;
      int fired = engine_.Evaluate();
      if (options_.on_fired && fired > 0) options_.on_fired(fired);
    }
    for (;;) {  // a full batch: there may be more due
      std::vector<DeliveryOutcome> outcomes = engine_.DeliverDue();
      for (const DeliveryOutcome& o : outcomes) {
        if (options_.on_delivery) options_.on_delivery(o);
      }
      if (static_cast<int>(outcomes.size()) < engine_.batch() || stop_) break;
    }
    lock.lock();
    cv_.wait_for(lock, options_.deliver_every, [this] { return stop_.load(); });
  }
}

}  // namespace llmgw::metering
