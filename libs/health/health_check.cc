#include "libs/health/health_check.h"

#include <grpcpp/grpcpp.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/common/config.h"

namespace llmgw::health {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Splits "host:port" / "[v6]:port".
bool SplitHostPort(std::string_view address, std::string& host, std::string& port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return false;
  host = std::string(address.substr(0, colon));
  port = std::string(address.substr(colon + 1));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return !port.empty();
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

absl::Status WaitFor(int fd, short events, Clock::time_point deadline, const char* what) {
  pollfd p{fd, events, 0};
  const int n = poll(&p, 1, RemainingMs(deadline));
  if (n == 0) return absl::DeadlineExceededError(absl::StrCat("timed out ", what));
  if (n < 0) return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
  return absl::OkStatus();
}

absl::StatusOr<int> Connect(const std::string& address, Clock::time_point deadline) {
  std::string host, port;
  if (!SplitHostPort(address, host, port)) {
    return absl::InvalidArgumentError(absl::StrCat("not host:port: ", address));
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", host, ": ", gai_strerror(rc)));
  }
  absl::Status last = absl::UnavailableError(absl::StrCat("no address for ", address));
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 || errno == EINPROGRESS) {
      last = WaitFor(fd, POLLOUT, deadline, "connecting");
      int err = 0;
      socklen_t len = sizeof err;
      if (last.ok() && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
        freeaddrinfo(found);
        return fd;
      }
      if (last.ok()) last = absl::UnavailableError(absl::StrCat("connect: ", std::strerror(err)));
    } else {
      last = absl::UnavailableError(absl::StrCat("connect: ", std::strerror(errno)));
    }
    close(fd);
  }
  freeaddrinfo(found);
  return last;
}

}  // namespace

std::string DialableAddress(std::string_view listen_address) {
  std::string host, port;
  if (!SplitHostPort(listen_address, host, port)) return std::string(listen_address);
  if (host.empty() || host == "0.0.0.0") return "127.0.0.1:" + port;
  if (host == "::") return "[::1]:" + port;
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]:", port)
                                             : absl::StrCat(host, ":", port);
}

absl::Status CheckGrpc(const std::string& address, std::chrono::milliseconds timeout) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
  // Not wait_for_ready: a refused connection fails now instead of at the deadline.
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status s = stub->Check(&ctx, request, &response);
  if (!s.ok()) {
    return absl::UnavailableError(absl::StrCat("grpc.health.v1 Check: ", s.error_message()));
  }
  if (response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    return absl::UnavailableError(absl::StrCat(
        "not serving: ", grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
                             response.status())));
  }
  return absl::OkStatus();
}

absl::Status CheckHttp(const std::string& address, std::string_view path,
                       std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  absl::StatusOr<int> connected = Connect(address, deadline);
  if (!connected.ok()) return connected.status();
  Fd fd(*connected);
  const std::string path_text(path);  // Debian's absl::string_view is not std::string_view
  const std::string request =
      absl::StrCat("GET ", path_text, " HTTP/1.1\r\nHost: ", address, "\r\nConnection: close\r\n\r\n");
  size_t sent = 0;
  while (sent < request.size()) {
    if (absl::Status s = WaitFor(fd.get(), POLLOUT, deadline, "sending"); !s.ok()) return s;
    const ssize_t n = send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
    }
    if (n > 0) sent += static_cast<size_t>(n);
  }
  std::string head;
  while (head.find("\r\n") == std::string::npos && head.size() < 4096) {
    if (absl::Status s = WaitFor(fd.get(), POLLIN, deadline, "waiting for the response"); !s.ok()) {
      return s;
    }
    char buf[1024];
    const ssize_t n = recv(fd.get(), buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return absl::UnavailableError(absl::StrCat("recv: ", std::strerror(errno)));
    }
    if (n > 0) head.append(buf, static_cast<size_t>(n));
  }
  const std::string status_line = head.substr(0, head.find("\r\n"));
  // "HTTP/1.1 200 OK"
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) {
    return absl::UnavailableError(absl::StrCat("not an HTTP response from ", address));
  }
  if (status_line.compare(9, 3, "200") != 0) {
    return absl::UnavailableError(absl::StrCat("GET ", path_text, ": ", status_line.substr(9)));
  }
  return absl::OkStatus();
}

int Report(std::string_view service, const std::string& address, const absl::Status& status) {
  if (status.ok()) {
    std::cout << "llmgw-" << service << ": healthy at " << address << "\n";
    return 0;
  }
  std::cerr << "llmgw-" << service << ": unhealthy at " << address << ": " << status.message()
            << "\n";
  return 1;
}

namespace {

// The configured listen address, or the exit code of a configuration error.
absl::StatusOr<std::string> ConfiguredAddress(std::string_view env, std::string_view fallback) {
  absl::StatusOr<std::string> listen = config::Address(env, fallback);
  if (!listen.ok()) return listen.status();
  return DialableAddress(*listen);
}

}  // namespace

int RunGrpcHealthCheck(std::string_view service, std::string_view address_env,
                       std::string_view default_address) {
  absl::StatusOr<std::string> address = ConfiguredAddress(address_env, default_address);
  if (!address.ok()) return Report(service, std::string(address_env), address.status());
  return Report(service, *address, CheckGrpc(*address, kDefaultTimeout));
}

int RunHttpHealthCheck(std::string_view service, std::string_view address_env,
                       std::string_view default_address) {
  absl::StatusOr<std::string> address = ConfiguredAddress(address_env, default_address);
  if (!address.ok()) return Report(service, std::string(address_env), address.status());
  return Report(service, *address, CheckHttp(*address, "/readyz", kDefaultTimeout));
}

}  // namespace llmgw::health
