#include "services/billing/api/billing_service.h"

#include <boost/asio/thread_pool.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/common/clock.h"
#include "libs/pg/migrate.h"
#include "libs/testing/pg_test_db.h"
#include "libs/testing/status_matchers.h"
#include "services/billing/storage/billing_invariants.h"
#include "services/billing/storage/pg_billing_store.h"

namespace llmgw::billing {
namespace {

using ::llmgw::test::IsOk;

constexpr char kToken[] = "billing-test-internal-token-0123456789";
constexpr char kOrg[] = "0b6f2a0e-3c1d-4e5f-8a9b-0c1d2e3f4a5b";
constexpr char kOtherOrg[] = "9a1e4c3b-2d5f-4a6b-8c7d-1e2f3a4b5c6d";
constexpr int64_t kNow = 1'750'000'000'000;

// Every test runs twice: Hold, Settle and Void one transaction per call (false) and through group
// commit (true); the answers must be the same.
class BillingServiceTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    db_ = llmgw::test::PgTestDb::Create();
    auto pool = pg::PgPool::Create({.url = db_->url(), .size = 4});
    ASSERT_THAT(pool, IsOk());
    pool_ = std::move(*pool);
    ASSERT_THAT(pg::ApplyMigrations(*pool_, "billing", billingMigrations()), IsOk());
    store_ = std::make_unique<PgBillingStore>(*pool_);
    metrics_ = std::make_unique<BillingMetrics>(registry_);
    BillingServiceOptions options{.margin_percent = 20};  // the default hold TTL
    if (GetParam()) {
      committer_ = std::make_unique<GroupCommitter>(*store_, GroupCommitter::Options{});
      committer_->Start();
      options.group_commit = committer_.get();
    }
    service_ = std::make_unique<BillingService>(
        *store_, grpcutil::HandlerEnv{kToken, &workers_, nullptr}, options, clock_, metrics_.get());
    auto server = grpcutil::GrpcServer::Start("127.0.0.1:0", {service_.get()});
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);
    stub_ = v1::BillingService::NewStub(
        grpcutil::MakeChannel("127.0.0.1:" + std::to_string(server_->port())));
  }
  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::seconds(1));
    if (committer_) committer_->Stop();
    if (pool_) {
      EXPECT_THAT(test::CheckInvariants(*pool_), IsOk());
    }
  }

  // Calls stub method `m` with the internal token (or `token` when given).
  template <typename Req, typename Resp, typename M>
  grpc::Status Call(M m, const Req& req, Resp* resp, const std::string& token = kToken) {
    grpc::ClientContext ctx;
    if (token.empty()) {
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    } else {
      grpcutil::PrepareClientContext(ctx, token, std::chrono::seconds(10));
    }
    return (stub_.get()->*m)(&ctx, req, resp);
  }

  v1::ChargeResponse Topup(const std::string& org, int64_t amount, const std::string& key) {
    v1::ChargeRequest req;
    req.set_organization_id(org);
    req.set_idempotency_key(key);
    req.set_amount_nano(amount);
    req.set_description("top-up");
    v1::ChargeResponse resp;
    grpc::Status s = Call(&v1::BillingService::Stub::Charge, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  grpc::Status Hold(const std::string& org, const std::string& id, int64_t bound,
                    v1::HoldResponse* resp) {
    v1::HoldRequest req;
    req.set_organization_id(org);
    req.set_request_id(id);
    req.set_provider_cost_bound_nano(bound);
    return Call(&v1::BillingService::Stub::Hold, req, resp);
  }
  grpc::Status Settle(const std::string& id, int64_t cost, v1::SettleResponse* resp) {
    v1::SettleRequest req;
    req.set_request_id(id);
    req.set_provider_cost_nano(cost);
    req.set_description("gpt-4o-mini");
    return Call(&v1::BillingService::Stub::Settle, req, resp);
  }
  grpc::Status Void(const std::string& id) {
    v1::VoidRequest req;
    req.set_request_id(id);
    v1::VoidResponse resp;
    return Call(&v1::BillingService::Stub::Void, req, &resp);
  }
  v1::GetBalanceResponse Balance(const std::string& org) {
    v1::GetBalanceRequest req;
    req.set_organization_id(org);
    v1::GetBalanceResponse resp;
    grpc::Status s = Call(&v1::BillingService::Stub::GetBalance, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  std::unique_ptr<llmgw::test::PgTestDb> db_;
  std::unique_ptr<pg::PgPool> pool_;
  std::unique_ptr<PgBillingStore> store_;
  prometheus::Registry registry_;
  std::unique_ptr<BillingMetrics> metrics_;
  FakeClock clock_{kNow};
  boost::asio::thread_pool workers_{4};
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<BillingService> service_;
  std::unique_ptr<grpcutil::GrpcServer> server_;
  std::unique_ptr<v1::BillingService::Stub> stub_;
};

TEST_P(BillingServiceTest, EveryRpcRequiresTheInternalToken) {
  using Stub = v1::BillingService::Stub;
  for (const std::string token : {"", "wrong-token-wrong-token-wrong-token"}) {
    v1::ListPricesResponse prices;
    EXPECT_EQ(Call(&Stub::ListPrices, v1::ListPricesRequest(), &prices, token).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    v1::GetBalanceRequest gb;
    gb.set_organization_id(kOrg);
    v1::GetBalanceResponse gbr;
    EXPECT_EQ(Call(&Stub::GetBalance, gb, &gbr, token).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    v1::ChargeRequest ch;
    ch.set_organization_id(kOrg);
    ch.set_idempotency_key("k");
    ch.set_amount_nano(1);
    v1::ChargeResponse chr;
    EXPECT_EQ(Call(&Stub::Charge, ch, &chr, token).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    v1::ListTransactionsRequest lt;
    lt.set_organization_id(kOrg);
    v1::ListTransactionsResponse ltr;
    EXPECT_EQ(Call(&Stub::ListTransactions, lt, &ltr, token).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    v1::HoldRequest h;
    h.set_organization_id(kOrg);
    h.set_request_id("r");
    h.set_provider_cost_bound_nano(1);
    v1::HoldResponse hr;
    EXPECT_EQ(Call(&Stub::Hold, h, &hr, token).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    v1::SettleRequest s;
    s.set_request_id("r");
    v1::SettleResponse sr;
    EXPECT_EQ(Call(&Stub::Settle, s, &sr, token).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    v1::VoidRequest v;
    v.set_request_id("r");
    v1::VoidResponse vr;
    EXPECT_EQ(Call(&Stub::Void, v, &vr, token).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_EQ(Balance(kOrg).balance_nano(), 0);  // nothing was charged
}

TEST_P(BillingServiceTest, ListPricesReturnsTheSeededPricesAndTheMargin) {
  v1::ListPricesResponse resp;
  ASSERT_TRUE(Call(&v1::BillingService::Stub::ListPrices, v1::ListPricesRequest(), &resp).ok());
  EXPECT_EQ(resp.margin_percent(), 20);
  ASSERT_EQ(resp.prices_size(), 7);
  const v1::ModelPrice* mini = nullptr;
  const v1::ModelPrice* sonnet = nullptr;
  for (const auto& p : resp.prices()) {
    if (p.model() == "gpt-4o-mini") mini = &p;
    if (p.model() == "claude-3-5-sonnet-20241022") sonnet = &p;
  }
  ASSERT_NE(mini, nullptr);
  EXPECT_EQ(mini->provider(), "openai");
  EXPECT_EQ(mini->input_nano_per_mtok(), 150000000);
  EXPECT_EQ(mini->cached_input_nano_per_mtok(), 75000000);
  EXPECT_EQ(mini->output_nano_per_mtok(), 600000000);
  EXPECT_EQ(mini->max_output_tokens(), 16384);
  EXPECT_EQ(mini->effective_from_unix_ms(), 1'704'067'200'000);
  ASSERT_NE(sonnet, nullptr);
  EXPECT_EQ(sonnet->provider(), "anthropic");
  EXPECT_EQ(sonnet->input_nano_per_mtok(), 3000000000);
  EXPECT_EQ(sonnet->cached_input_nano_per_mtok(), 300000000);
  EXPECT_EQ(sonnet->cache_write_nano_per_mtok(), 3750000000);
  EXPECT_EQ(sonnet->output_nano_per_mtok(), 15000000000);
  EXPECT_EQ(sonnet->max_output_tokens(), 8192);
}

TEST_P(BillingServiceTest, SetPricesAddsOverridesListedNowAndInTheHistory) {
  using Stub = v1::BillingService::Stub;
  v1::SetPricesRequest req;
  req.set_set_by("ops@example.com");
  req.set_note("negotiated");
  v1::ModelPrice* p = req.add_prices();
  p->set_provider("openai");
  p->set_model("gpt-4o-mini");
  p->set_input_nano_per_mtok(100'000'000);
  p->set_output_nano_per_mtok(400'000'000);
  p->set_max_output_tokens(16384);
  v1::SetPricesResponse set;
  ASSERT_TRUE(Call(&Stub::SetPrices, req, &set).ok());
  ASSERT_EQ(set.prices_size(), 1);
  EXPECT_EQ(set.prices(0).source(), "override");
  EXPECT_EQ(set.prices(0).set_by(), "ops@example.com");
  EXPECT_GT(set.prices(0).price_id(), 0);
  v1::ListPricesResponse now;
  ASSERT_TRUE(Call(&Stub::ListPrices, v1::ListPricesRequest(), &now).ok());
  EXPECT_EQ(now.prices_size(), 8);  // the seed row of gpt-4o-mini stays beside the override
  v1::ListPriceHistoryRequest hreq;
  hreq.set_provider("openai");
  hreq.set_model("gpt-4o-mini");
  v1::ListPriceHistoryResponse history;
  ASSERT_TRUE(Call(&Stub::ListPriceHistory, hreq, &history).ok());
  ASSERT_EQ(history.prices_size(), 2);
  EXPECT_EQ(history.prices(0).source(), "seed");
  EXPECT_EQ(history.prices(1).price_id(), set.prices(0).price_id());
  // Refused whole: nobody named, a bad row; nothing stored.
  v1::SetPricesRequest anonymous = req;
  anonymous.clear_set_by();
  EXPECT_EQ(Call(&Stub::SetPrices, anonymous, &set).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::SetPricesRequest bad = req;
  bad.mutable_prices(0)->set_provider("mistral");
  EXPECT_EQ(Call(&Stub::SetPrices, bad, &set).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Call(&Stub::SetPrices, v1::SetPricesRequest(), &set).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(Call(&Stub::ListPriceHistory, hreq, &history).ok());
  EXPECT_EQ(history.prices_size(), 2);
  // Without the internal token: refused.
  EXPECT_EQ(Call(&Stub::SetPrices, req, &set, "wrong").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_P(BillingServiceTest, ChargeGetBalanceAndListTransactions) {
  using Stub = v1::BillingService::Stub;
  v1::GetBalanceResponse unknown = Balance(kOtherOrg);
  EXPECT_EQ(unknown.balance_nano(), 0);
  EXPECT_EQ(unknown.held_nano(), 0);

  v1::ChargeResponse first = Topup(kOrg, 5'000'000'000, "key-1");
  EXPECT_EQ(first.balance_nano(), 5'000'000'000);
  EXPECT_EQ(first.transaction().type(), v1::TRANSACTION_TYPE_CHARGE);
  EXPECT_EQ(first.transaction().amount_nano(), 5'000'000'000);
  EXPECT_EQ(first.transaction().balance_after_nano(), 5'000'000'000);
  EXPECT_EQ(first.transaction().description(), "top-up");
  v1::ChargeResponse again = Topup(kOrg, 5'000'000'000, "key-1");
  EXPECT_EQ(again.balance_nano(), 5'000'000'000);
  EXPECT_EQ(again.transaction().id(), first.transaction().id());
  EXPECT_EQ(Balance(kOrg).balance_nano(), 5'000'000'000);

  for (auto [org, key, amount] : std::vector<std::tuple<std::string, std::string, int64_t>>{
           {kOrg, "k", 0}, {kOrg, "k", -1}, {kOrg, "", 1}, {"not-a-uuid", "k", 1}}) {
    v1::ChargeRequest req;
    req.set_organization_id(org);
    req.set_idempotency_key(key);
    req.set_amount_nano(amount);
    v1::ChargeResponse resp;
    EXPECT_EQ(Call(&Stub::Charge, req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << org << " " << key << " " << amount;
  }

  v1::HoldResponse hold;
  ASSERT_TRUE(Hold(kOrg, "req-1", 1000, &hold).ok());
  v1::SettleResponse settle;
  ASSERT_TRUE(Settle("req-1", 1000, &settle).ok());

  v1::ListTransactionsRequest req;
  req.set_organization_id(kOrg);
  v1::ListTransactionsResponse list;
  ASSERT_TRUE(Call(&Stub::ListTransactions, req, &list).ok());
  ASSERT_EQ(list.transactions_size(), 2);
  const v1::Transaction& usage = list.transactions(0);  // newest first
  EXPECT_EQ(usage.type(), v1::TRANSACTION_TYPE_USAGE);
  EXPECT_EQ(usage.amount_nano(), -1200);
  EXPECT_EQ(usage.balance_after_nano(), 5'000'000'000 - 1200);
  EXPECT_EQ(usage.request_id(), "req-1");
  EXPECT_EQ(usage.description(), "gpt-4o-mini");
  EXPECT_EQ(usage.uncollected_nano(), 0);
  EXPECT_GT(usage.created_at_unix_ms(), 0);
  EXPECT_EQ(list.transactions(1).id(), first.transaction().id());

  req.set_limit(1);
  ASSERT_TRUE(Call(&Stub::ListTransactions, req, &list).ok());
  EXPECT_EQ(list.transactions_size(), 1);
  req.set_limit(-1);
  EXPECT_EQ(Call(&Stub::ListTransactions, req, &list).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetBalanceRequest bad;
  bad.set_organization_id("nope");
  v1::GetBalanceResponse bad_resp;
  EXPECT_EQ(Call(&Stub::GetBalance, bad, &bad_resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_P(BillingServiceTest, HoldSettleVoidApplyTheMarginAndTheDocumentedCodes) {
  Topup(kOrg, 10'000, "key-1");

  v1::HoldResponse hold;
  ASSERT_TRUE(Hold(kOrg, "req-1", 1000, &hold).ok());
  EXPECT_EQ(hold.held_nano(), 1200);                     // bound 1000 + 20%
  EXPECT_EQ(hold.expires_at_unix_ms(), kNow + 900'000);  // default TTL 900 s > upstream 600 s
  EXPECT_EQ(Balance(kOrg).held_nano(), 1200);
  ASSERT_TRUE(Hold(kOrg, "req-1", 1000, &hold).ok());  // idempotent
  EXPECT_EQ(hold.held_nano(), 1200);
  EXPECT_EQ(Balance(kOrg).held_nano(), 1200);

  EXPECT_EQ(Hold(kOrg, "req-2", 7400, &hold).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);  // 8880 > 10000 - 1200
  EXPECT_EQ(Hold(kOtherOrg, "req-3", 1, &hold).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(Hold(kOrg, "req-4", 0, &hold).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Hold(kOrg, "", 10, &hold).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::SettleResponse settle;
  ASSERT_TRUE(Settle("req-1", 1000, &settle).ok());
  EXPECT_EQ(settle.provider_cost_nano(), 1000);
  EXPECT_EQ(settle.margin_nano(), 200);
  EXPECT_EQ(settle.total_nano(), 1200);
  EXPECT_EQ(settle.charged_nano(), 1200);
  EXPECT_EQ(settle.uncollected_nano(), 0);
  EXPECT_EQ(settle.balance_after_nano(), 8800);
  v1::SettleResponse repeat;
  ASSERT_TRUE(Settle("req-1", 1000, &repeat).ok());
  EXPECT_EQ(repeat.SerializeAsString(), settle.SerializeAsString());
  EXPECT_EQ(Balance(kOrg).balance_nano(), 8800);
  EXPECT_EQ(Balance(kOrg).held_nano(), 0);

  EXPECT_EQ(Settle("unknown", 1, &settle).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Settle("req-1", -1, &settle).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Void("unknown").error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Void("req-1").error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  ASSERT_TRUE(Hold(kOrg, "req-5", 500, &hold).ok());
  EXPECT_EQ(Balance(kOrg).held_nano(), 600);
  EXPECT_TRUE(Void("req-5").ok());
  EXPECT_TRUE(Void("req-5").ok());
  EXPECT_EQ(Balance(kOrg).held_nano(), 0);
  // A settle arriving after the void still charges, from the free balance.
  ASSERT_TRUE(Settle("req-5", 100, &settle).ok());
  EXPECT_EQ(settle.total_nano(), 120);
  EXPECT_EQ(settle.charged_nano(), 120);
  EXPECT_EQ(Balance(kOrg).balance_nano(), 8800 - 120);
  EXPECT_EQ(hold.margin_percent(), 20);

  EXPECT_EQ(metrics_->holds_granted.Value(), 2);
  EXPECT_EQ(metrics_->holds_refused.Value(), 2);
  EXPECT_EQ(metrics_->settles.Value(), 2);
  EXPECT_EQ(metrics_->settles_replayed.Value(), 1);
  EXPECT_EQ(metrics_->charged_nano.Value(), 1200 + 120);
}

TEST_P(BillingServiceTest, SettleBeyondTheBalanceCountsUncollected) {
  Topup(kOrg, 1000, "key-1");
  v1::HoldResponse hold;
  ASSERT_TRUE(Hold(kOrg, "req-1", 800, &hold).ok());
  EXPECT_EQ(hold.held_nano(), 960);
  v1::SettleResponse settle;
  ASSERT_TRUE(Settle("req-1", 2000, &settle).ok());  // total 2400, balance 1000
  EXPECT_EQ(settle.total_nano(), 2400);
  EXPECT_EQ(settle.charged_nano(), 1000);
  EXPECT_EQ(settle.uncollected_nano(), 1400);
  EXPECT_EQ(settle.balance_after_nano(), 0);
  EXPECT_EQ(metrics_->uncollected_nano.Value(), 1400);
  ASSERT_TRUE(Settle("req-1", 2000, &settle).ok());
  EXPECT_EQ(metrics_->uncollected_nano.Value(), 1400);  // a repeat is not counted twice
  v1::GetBalanceResponse b = Balance(kOrg);
  EXPECT_EQ(b.balance_nano(), 0);
  EXPECT_EQ(b.held_nano(), 0);
  EXPECT_EQ(Hold(kOrg, "req-2", 1, &hold).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_P(BillingServiceTest, ABatchAnswersEachCallAsItsOwnRpcWould) {
  Topup(kOrg, 10'000, "key-1");
  v1::HoldResponse held;
  ASSERT_TRUE(Hold(kOrg, "held-before", 100, &held).ok());
  ASSERT_TRUE(Hold(kOrg, "settled-before", 100, &held).ok());
  v1::SettleResponse settled;
  ASSERT_TRUE(Settle("settled-before", 0, &settled).ok());
  // The calls of one batch are concurrent: none of them depends on another's outcome.
  v1::BatchRequest req;
  auto hold = [&](const std::string& org, const std::string& id, int64_t bound) {
    v1::HoldRequest* h = req.add_calls()->mutable_hold();
    h->set_organization_id(org);
    h->set_request_id(id);
    h->set_provider_cost_bound_nano(bound);
  };
  hold(kOrg, "b-1", 1000);                                           // 0: granted, 1200
  hold(kOrg, "b-2", 100'000);                                        // 1: refused: the balance
  hold(kOrg, "", 10);                                                // 2: invalid
  req.add_calls()->mutable_settle()->set_request_id("held-before");  // 3: settled (cost 0)
  req.add_calls()->mutable_settle()->set_request_id("nobody");       // 4: no hold
  req.add_calls()->mutable_void_hold()->set_request_id("nobody");    // 5: no hold
  req.add_calls();                                                   // 6: no call at all
  hold(kOrg, "settled-before", 100);                                 // 7: settled already
  v1::BatchResponse resp;
  ASSERT_TRUE(Call(&v1::BillingService::Stub::Batch, req, &resp).ok());
  ASSERT_EQ(resp.results_size(), 8);
  auto code = [&](int i) { return static_cast<grpc::StatusCode>(resp.results(i).code()); };
  EXPECT_EQ(code(0), grpc::StatusCode::OK);
  EXPECT_EQ(resp.results(0).hold().held_nano(), 1200);
  EXPECT_EQ(resp.results(0).hold().margin_percent(), 20);
  EXPECT_EQ(code(1), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_FALSE(resp.results(1).has_hold());
  EXPECT_EQ(code(2), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code(3), grpc::StatusCode::OK);
  EXPECT_EQ(resp.results(3).settle().charged_nano(), 0);
  EXPECT_EQ(code(4), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(code(5), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(code(6), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code(7), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(resp.results(7).message(), ::testing::HasSubstr("already settled"));
  EXPECT_EQ(Balance(kOrg).held_nano(), 1200);

  // The same calls again: every one is idempotent or refused the same way.
  v1::BatchResponse again;
  ASSERT_TRUE(Call(&v1::BillingService::Stub::Batch, req, &again).ok());
  EXPECT_EQ(again.results(0).hold().held_nano(), 1200);
  EXPECT_EQ(Balance(kOrg).held_nano(), 1200);
  EXPECT_EQ(metrics_->holds_granted.Value(), 3);  // held-before, settled-before, b-1: once each

  v1::BatchResponse refused;
  EXPECT_EQ(Call(&v1::BillingService::Stub::Batch, v1::BatchRequest(), &refused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::BatchRequest too_many;
  for (int i = 0; i <= BillingService::kMaxBatchCalls; ++i) {
    too_many.add_calls()->mutable_void_hold()->set_request_id("nobody");
  }
  EXPECT_EQ(Call(&v1::BillingService::Stub::Batch, too_many, &refused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Call(&v1::BillingService::Stub::Batch, req, &refused, "").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

INSTANTIATE_TEST_SUITE_P(OneByOneAndGroupCommit, BillingServiceTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "GroupCommit" : "OneByOne";
                         });

}  // namespace
}  // namespace llmgw::billing
