// CurlReportHttp against the mock provider's admin reports, over HTTP and HTTPS: the requests
// metering builds, as the provider answers them, parsed.

#include "services/metering/clients/curl_report_http.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "libs/testing/status_matchers.h"
#include "libs/testing/test_certs.h"
#include "services/metering/domain/provider_reports.h"
#include "tools/mock-provider/server.h"

namespace llmgw::metering {
namespace {

using test::IsOk;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kAdminKey[] = "sk-admin-curl-test-0123456789";

DayWindow Today() {
  int64_t today = DayOf(std::time(nullptr) * int64_t{1000});
  return {today - kDayMs, today + kDayMs};
}

class CurlReportHttpTest : public ::testing::Test {
 protected:
  void StartMock(const mock::TlsIdentity* tls = nullptr) {
    auto server = mock::MockServer::Start("127.0.0.1", 0, {}, 1, tls);
    ASSERT_THAT(server, IsOk());
    mock_ = std::move(*server);
    std::string scheme = tls ? "https://localhost:" : "http://127.0.0.1:";
    endpoints_ = {scheme + std::to_string(mock_->port()) + "/openai/v1",
                  scheme + std::to_string(mock_->port()) + "/anthropic"};
  }
  // POSTs a test control to the (plain HTTP) mock.
  void Control(const std::string& path, const std::string& body) {
    httplib::Client c("127.0.0.1", mock_->port());
    auto r = c.Post(path.c_str(), body, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }

  std::unique_ptr<mock::MockServer> mock_;
  ReportEndpoints endpoints_;
};

TEST_F(CurlReportHttpTest, FetchesAndParsesReportsOverHttp) {
  StartMock();
  Control("/_mock/admin-usage",
          R"({"provider":"openai","api_key":"sk-direct","model":"gpt-4o-mini",)"
          R"("input_tokens":1000,"output_tokens":100})");
  CurlReportHttp http({});
  for (ReportKind kind : {ReportKind::kUsage, ReportKind::kCosts}) {
    HttpReply reply = http.Get(
        ReportRequest(endpoints_, ReportProvider::kOpenAi, kind, Today(), 31, "", kAdminKey));
    ASSERT_EQ(reply.status, 200) << reply.transport_error << reply.body;
    auto page = ParseReportPage(ReportProvider::kOpenAi, kind, reply.body);
    ASSERT_THAT(page, IsOk());
    std::vector<ReportedBucket> merged = MergeBuckets(page->buckets);
    ASSERT_EQ(merged.size(), 1u);
    if (kind == ReportKind::kUsage) {
      EXPECT_EQ(merged[0].tokens, (TokenUsage{1000, 0, 0, 100, 1}));
    } else {
      EXPECT_EQ(merged[0].cost, (KindCosts{150'000, 0, 0, 60'000, 0}));  // exact, via a double
    }
  }
  // The provider's refusal and its Retry-After reach the caller.
  HttpReply refused =
      http.Get(ReportRequest(endpoints_, ReportProvider::kAnthropic, ReportKind::kUsage, Today(),
                             31, "", "sk-ant-admin-revoked"));
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(ProviderErrorMessage(refused.body, "sk-ant-admin-revoked"), "invalid x-api-key");
  Control("/_mock/admin-faults", R"({"statuses":[429]})");
  HttpReply throttled = http.Get(ReportRequest(endpoints_, ReportProvider::kOpenAi,
                                               ReportKind::kUsage, Today(), 31, "", kAdminKey));
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(throttled.retry_after_ms, 0);
}

// HTTPS verifies the provider's certificate against SSL_CERT_FILE's CA, as the gateway does.
TEST_F(CurlReportHttpTest, HttpsTrustsOnlyTheConfiguredCa) {
  test::Identity ca = test::IssueCa("curl test CA");
  test::Identity leaf = test::IssueServer(ca, "localhost", "DNS:localhost,IP:127.0.0.1");
  mock::TlsIdentity tls{leaf.cert_pem, leaf.key_pem};
  StartMock(&tls);
  std::string ca_file = testing::TempDir() + "/curl-test-ca-" + std::to_string(getpid()) + ".pem";
  std::ofstream(ca_file) << ca.cert_pem;

  HttpRequest req = ReportRequest(endpoints_, ReportProvider::kOpenAi, ReportKind::kUsage, Today(),
                                  31, "", kAdminKey);
  CurlReportHttp::Options trusting;
  trusting.ca_file = ca_file;
  HttpReply ok = CurlReportHttp(trusting).Get(req);
  EXPECT_EQ(ok.status, 200) << ok.transport_error;
  EXPECT_THAT(ParseReportPage(ReportProvider::kOpenAi, ReportKind::kUsage, ok.body), IsOk());

  HttpReply untrusted = CurlReportHttp({}).Get(req);  // the system CAs only
  EXPECT_EQ(untrusted.status, 0);
  EXPECT_THAT(untrusted.transport_error, HasSubstr("certificate"));
  EXPECT_THAT(untrusted.body, IsEmpty());

  setenv("SSL_CERT_FILE", ca_file.c_str(), 1);
  CurlReportHttp::Options from_env = CurlReportHttp::FromEnvironment();
  unsetenv("SSL_CERT_FILE");
  EXPECT_EQ(from_env.ca_file, ca_file);
  EXPECT_EQ(CurlReportHttp(from_env).Get(req).status, 200);
  std::remove(ca_file.c_str());
}

TEST_F(CurlReportHttpTest, TransportErrorsAndLimits) {
  StartMock();
  uint16_t port = mock_->port();
  mock_->Stop();
  mock_.reset();
  HttpReply closed =
      CurlReportHttp({}).Get({"http://127.0.0.1:" + std::to_string(port) + "/x", {}});
  EXPECT_EQ(closed.status, 0);
  EXPECT_THAT(closed.transport_error, Not(IsEmpty()));
  // Only http and https.
  EXPECT_EQ(CurlReportHttp({}).Get({"file:///etc/passwd", {}}).status, 0);

  StartMock();
  CurlReportHttp::Options tiny;
  tiny.max_body_bytes = 10;
  HttpReply big = CurlReportHttp(tiny).Get(ReportRequest(
      endpoints_, ReportProvider::kOpenAi, ReportKind::kUsage, Today(), 31, "", kAdminKey));
  EXPECT_EQ(big.status, 0);
  EXPECT_THAT(big.transport_error, HasSubstr("larger than"));
}

// A provider that never answers: a listener the kernel accepts connections for, never read.
struct SilentListener {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int port = 0;
  SilentListener() {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        listen(fd, 8) == 0 && getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
  }
  ~SilentListener() {
    if (fd >= 0) close(fd);
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port) + "/v1/x"; }
};

// Stopping the service ends a transfer waiting on a provider that never answers, at once.
TEST_F(CurlReportHttpTest, AbortEndsTransfersInProgress) {
  SilentListener silent;
  ASSERT_GT(silent.port, 0);
  HttpRequest req{silent.Url(), {}};

  CurlReportHttp http({});
  auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    http.Abort();
  });
  HttpReply reply = http.Get(req);
  stopper.join();
  EXPECT_EQ(reply.status, 0);
  EXPECT_EQ(reply.transport_error, "stopping");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(http.Get(req).transport_error, "stopping");  // and refuses new ones
}

// A request's own timeout wins over the client's.
TEST_F(CurlReportHttpTest, PerRequestTimeout) {
  SilentListener silent;
  ASSERT_GT(silent.port, 0);
  HttpRequest req{silent.Url(), {}, std::chrono::milliseconds(300)};
  auto start = std::chrono::steady_clock::now();
  HttpReply reply = CurlReportHttp({}).Get(req);  // the client's default is 60 s
  EXPECT_EQ(reply.status, 0);
  EXPECT_THAT(reply.transport_error, HasSubstr("imed out"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(ParseRetryAfter, MillisecondsSecondsOrNothing) {
  EXPECT_EQ(ParseRetryAfter("1500", "9"), 1500);
  EXPECT_EQ(ParseRetryAfter("", "3"), 3000);
  EXPECT_EQ(ParseRetryAfter("", "0"), 0);
  EXPECT_EQ(ParseRetryAfter("", "Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("x", ""), std::nullopt);
  EXPECT_EQ(ParseRetryAfter("", "-1"), std::nullopt);
}

}  // namespace
}  // namespace llmgw::metering
