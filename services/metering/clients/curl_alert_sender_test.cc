// The webhook sender against a local HTTP server: signed and delivered when the operator allows
// private targets, refused before anything is sent when not (the address is loopback).

#include "services/metering/clients/curl_alert_sender.h"

#include <httplib.h>

#include <atomic>
#include <thread>

#include "gtest/gtest.h"

namespace llmgw::metering {
namespace {

class CurlAlertSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      ++hits_;
      signature_ = req.get_header_value("x-llmgw-signature");
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }
  OutgoingAlert Alert() const {
    return OutgoingAlert{7, "rule-1", AlertChannel::kWebhook,
                         "http://127.0.0.1:" + std::to_string(port_) + "/hook", R"({"text":"x"})",
                         "whsec_test"};
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> hits_{0};
  std::string signature_;
};

TEST_F(CurlAlertSenderTest, AWebhookToAnInternalAddressIsRefusedBeforeAnythingIsSent) {
  CurlAlertSender sender(CurlAlertSender::Options{});
  absl::Status sent = sender.Send(Alert());
  EXPECT_EQ(sent.code(), absl::StatusCode::kFailedPrecondition) << sent;
  EXPECT_EQ(sent.message().find("127.0.0.1"), std::string::npos);  // the target is not echoed
  EXPECT_EQ(hits_.load(), 0);
}

TEST_F(CurlAlertSenderTest, AllowedPrivateTargetsAreDeliveredSigned) {
  CurlAlertSender::Options o;
  o.allow_private_targets = true;
  CurlAlertSender sender(o);
  ASSERT_TRUE(sender.Send(Alert()).ok());
  EXPECT_EQ(hits_.load(), 1);
  EXPECT_EQ(signature_, WebhookSignature("whsec_test", R"({"text":"x"})"));
}

}  // namespace
}  // namespace llmgw::metering
