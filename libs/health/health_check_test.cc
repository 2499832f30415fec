#include "libs/health/health_check.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "libs/grpc/server.h"

namespace llmgw::health {
namespace {

using std::chrono::milliseconds;

TEST(DialableAddress, AWildcardHostBecomesLoopback) {
  EXPECT_EQ(DialableAddress("0.0.0.0:8080"), "127.0.0.1:8080");
  EXPECT_EQ(DialableAddress(":9101"), "127.0.0.1:9101");
  EXPECT_EQ(DialableAddress("[::]:50051"), "[::1]:50051");
  EXPECT_EQ(DialableAddress("10.1.2.3:3000"), "10.1.2.3:3000");
  EXPECT_EQ(DialableAddress("accounts:50051"), "accounts:50051");
  EXPECT_EQ(DialableAddress("[::1]:3000"), "[::1]:3000");
}

// A port nothing listens on: bound, never listened to, for the life of the test.
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~ClosedPort() { close(fd_); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(CheckGrpc, ServingThenNotAfterShutdown) {
  auto server = grpcutil::GrpcServer::Start("127.0.0.1:0", {});
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string address = "127.0.0.1:" + std::to_string((*server)->port());
  EXPECT_TRUE(CheckGrpc(address, milliseconds(3000)).ok());
  (*server)->Shutdown(milliseconds(100));
  EXPECT_FALSE(CheckGrpc(address, milliseconds(500)).ok());
}

TEST(CheckGrpc, NothingListening) {
  ClosedPort closed;
  absl::Status s = CheckGrpc(closed.address(), milliseconds(300));
  EXPECT_FALSE(s.ok());
}

// Answers one connection with `response`, then closes.
class OneShotHttp {
 public:
  explicit OneShotHttp(std::string response) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(fd_, 4);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, response = std::move(response)] {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      (void)recv(c, buf, sizeof buf, 0);
      if (!response.empty()) send(c, response.data(), response.size(), MSG_NOSIGNAL);
      close(c);
    });
  }
  ~OneShotHttp() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST(CheckHttp, ReadyOn200) {
  OneShotHttp server("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
  EXPECT_TRUE(CheckHttp(server.address(), "/readyz", milliseconds(3000)).ok());
}

TEST(CheckHttp, NotReadyOn503) {
  OneShotHttp server("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n");
  absl::Status s = CheckHttp(server.address(), "/readyz", milliseconds(3000));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("503"), std::string::npos) << s;
}

TEST(CheckHttp, NotReadyWhenTheConnectionClosesWithoutAnAnswer) {
  OneShotHttp server("");
  EXPECT_FALSE(CheckHttp(server.address(), "/readyz", milliseconds(3000)).ok());
}

TEST(CheckHttp, NothingListening) {
  ClosedPort closed;
  EXPECT_FALSE(CheckHttp(closed.address(), "/readyz", milliseconds(1000)).ok());
}

}  // namespace
}  // namespace llmgw::health
