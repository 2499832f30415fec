#include "services/gateway/clients/price_book.h"

#include <vector>

#include "libs/common/log.h"
#include "libs/common/thread.h"
#include "libs/grpc/internal_token.h"
#include "libs/grpc/status.h"

namespace llmgw::gateway {

PricedModel PricedModelFromProto(const billing::v1::ModelPrice& p) {
  PricedModel m;
  m.provider = p.provider();
  m.model = p.model();
  m.price = {.input_per_mtok = p.input_nano_per_mtok(),
             .cached_input_per_mtok = p.cached_input_nano_per_mtok(),
             .cache_write_per_mtok = p.cache_write_nano_per_mtok(),
             .output_per_mtok = p.output_nano_per_mtok(),
             .cache_write_1h_per_mtok = p.cache_write_1h_nano_per_mtok()};
  m.max_output_tokens = p.max_output_tokens();
  m.tier.above_input_tokens = p.tier_above_input_tokens();
  m.tier.price = {.input_per_mtok = p.tier_input_nano_per_mtok(),
                  .cached_input_per_mtok = p.tier_cached_input_nano_per_mtok(),
                  .cache_write_per_mtok = p.tier_cache_write_nano_per_mtok(),
                  .output_per_mtok = p.tier_output_nano_per_mtok(),
                  .cache_write_1h_per_mtok = p.tier_cache_write_1h_nano_per_mtok()};
  m.effective_from_unix_ms = p.effective_from_unix_ms();
  m.price_id = p.price_id();
  m.source = p.source();
  m.rank = p.catalog_rank();
  if (!p.kind().empty()) m.kind = p.kind();
  m.display_name = p.display_name();
  m.deprecated = p.deprecated();
  if (p.source() == "override") {
    m.origin = PriceOrigin::kOverride;
  } else if (!p.match_json().empty()) {
    m.origin = PriceOrigin::kCatalog;
    auto matcher = ModelMatcher::ParseText(p.match_json());
    if (matcher.ok()) {
      m.matcher = *std::move(matcher);
    } else {
      // Still priced, by its exact id: better than unpriced.
      log::Warn("price row matcher ignored",
                {{"model", p.model()}, {"error", std::string(matcher.status().message())}});
    }
  }
  return m;
}

absl::StatusOr<std::shared_ptr<const PriceTable>> FetchPrices(
    billing::v1::BillingService::StubInterface& stub, const std::string& internal_token,
    int* margin_percent) {
  grpc::ClientContext ctx;
  grpcutil::PrepareClientContext(ctx, internal_token, std::chrono::seconds(5));
  billing::v1::ListPricesRequest req;
  billing::v1::ListPricesResponse resp;
  grpc::Status status = stub.ListPrices(&ctx, req, &resp);
  if (!status.ok()) return grpcutil::FromGrpc(status);
  std::vector<PricedModel> models;
  models.reserve(resp.prices_size());
  for (const auto& p : resp.prices()) models.push_back(PricedModelFromProto(p));
  if (margin_percent != nullptr) *margin_percent = resp.margin_percent();
  return std::make_shared<const PriceTable>(models);
}

PriceBookRefresher::PriceBookRefresher(std::shared_ptr<grpc::Channel> channel,
                                       std::string internal_token, PriceBook& book,
                                       std::chrono::milliseconds refresh,
                                       std::chrono::milliseconds retry)
    : stub_(billing::v1::BillingService::NewStub(std::move(channel))),
      internal_token_(std::move(internal_token)),
      book_(book),
      refresh_(refresh),
      retry_(retry),
      thread_([this] { Loop(); }) {}

PriceBookRefresher::~PriceBookRefresher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void PriceBookRefresher::Loop() {
  threads::NameThisThread("price-book");
  bool warned = false;
  while (true) {
    int margin = 0;
    auto table = FetchPrices(*stub_, internal_token_, &margin);
    if (table.ok()) {
      if (!book_.loaded() || warned) {
        log::Info("price book loaded", {{"models", (*table)->size()}});
      }
      warned = false;
      book_.Set(*std::move(table));
      book_.set_margin_percent(margin);
    } else if (!warned) {
      log::Warn("price book load failed; retrying",
                {{"code", static_cast<int>(table.status().code())},
                 {"error", std::string(table.status().message())}});
      warned = true;
    }
    std::unique_lock<std::mutex> lock(mu_);
    auto wait = book_.loaded() && !warned ? refresh_ : retry_;
    if (cv_.wait_for(lock, wait, [this] { return stop_; })) return;
  }
}

}  // namespace llmgw::gateway
