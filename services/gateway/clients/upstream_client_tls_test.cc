// UpstreamClient over TLS against a local HTTPS server whose certificates this test issues from
// its own CA: verification against the trust store (OpenSSL's SSL_CERT_FILE adds the test CA in
// place of the default bundle, as operators behind a TLS-intercepting proxy do), host name checks,
// SNI and keep-alive reuse of TLS connections. Real providers are unreachable here; this is the
// same code path.

#include <openssl/ssl.h>
#include <stdlib.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "libs/testing/test_certs.h"
#include "services/gateway/clients/upstream_client.h"

namespace llmgw::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

using test::Identity;
using test::IssueCa;
using test::IssueServer;

// An HTTPS server on 127.0.0.1 answering every request 200 {"ok":true}, keep-alive. Records the
// SNI names and Host headers it saw, and counts connections and failed handshakes.
class TlsServer {
 public:
  explicit TlsServer(const Identity& id)
      : ssl_(asio::ssl::context::tls_server),
        acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    ssl_.use_certificate_chain(asio::buffer(id.cert_pem));
    ssl_.use_private_key(asio::buffer(id.key_pem), asio::ssl::context::pem);
    SSL_CTX_set_tlsext_servername_callback(ssl_.native_handle(), &TlsServer::OnServerName);
    SSL_CTX_set_tlsext_servername_arg(ssl_.native_handle(), this);
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, Accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TlsServer() {
    io_.stop();
    thread_.join();
  }

  int port() const { return port_; }
  int connections() const { return connections_.load(); }
  int failed_handshakes() const { return failed_handshakes_.load(); }
  std::vector<std::string> server_names() {
    std::lock_guard<std::mutex> lock(mu_);
    return server_names_;
  }
  std::vector<std::string> hosts() {
    std::lock_guard<std::mutex> lock(mu_);
    return hosts_;
  }

 private:
  static int OnServerName(SSL* ssl, int*, void* arg) {
    auto* self = static_cast<TlsServer*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    std::lock_guard<std::mutex> lock(self->mu_);
    self->server_names_.push_back(name != nullptr ? name : "");
    return SSL_TLSEXT_ERR_OK;
  }

  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
      if (ec) co_return;
      ++connections_;
      asio::co_spawn(io_, Serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> Serve(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), ssl_);
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
    if (hec) {
      ++failed_handshakes_;
      co_return;
    }
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      auto [rec, nr] = co_await http::async_read(stream, buffer, req, kTuple);
      if (rec) co_return;
      {
        std::lock_guard<std::mutex> lock(mu_);
        hosts_.emplace_back(req[http::field::host]);
      }
      http::response<http::string_body> res(http::status::ok, 11);
      res.set(http::field::content_type, "application/json");
      res.body() = R"({"ok":true})";
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      auto [wec, nw] = co_await http::async_write(stream, res, kTuple);
      if (wec || !res.keep_alive()) co_return;
    }
  }

  asio::io_context io_;
  asio::ssl::context ssl_;
  tcp::acceptor acceptor_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> connections_{0};
  std::atomic<int> failed_handshakes_{0};
  std::mutex mu_;
  std::vector<std::string> server_names_;
  std::vector<std::string> hosts_;
};

struct Fetched {
  absl::Status status;
  int code = 0;
  std::string body;
};

class UpstreamTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/upstream_tls_test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ca_ = IssueCa("llmgw test CA");
    ca_file_ = dir_ + "/ca.pem";
    std::ofstream(ca_file_) << ca_.cert_pem;
    // OpenSSL's default verify paths read this: the client trusts this CA in place of the
    // default CA bundle file (the system's certificate directory still applies).
    const char* old = ::getenv("SSL_CERT_FILE");
    if (old != nullptr) old_cert_file_ = old;
    ::setenv("SSL_CERT_FILE", ca_file_.c_str(), 1);
  }
  void TearDown() override {
    if (old_cert_file_) {
      ::setenv("SSL_CERT_FILE", old_cert_file_->c_str(), 1);
    } else {
      ::unsetenv("SSL_CERT_FILE");
    }
    std::filesystem::remove_all(dir_);
  }

  static UpstreamEndpoint Endpoint(int port) {
    absl::StatusOr<UpstreamEndpoint> ep =
        ParseBaseUrl(absl::StrCat("https://localhost:", port, "/v1"));
    EXPECT_TRUE(ep.ok()) << ep.status();
    return *ep;
  }

  // GET <base>/models through `client` on `io`, the body read to its end.
  static Fetched Fetch(UpstreamClient& client, asio::io_context& io, const UpstreamEndpoint& ep) {
    Fetched out;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          http::request<http::string_body> req(http::verb::get, ep.base_path + "/models", 11);
          req.set(http::field::host, ep.host_header);
          req.prepare_payload();
          auto exchange = co_await client.Start(ep, req);
          if (!exchange.ok()) {
            out.status = exchange.status();
            co_return;
          }
          out.code = static_cast<int>((*exchange)->response().result_int());
          char buf[4096];
          for (;;) {
            absl::StatusOr<size_t> n = co_await (*exchange)->ReadSome(buf, sizeof buf);
            if (!n.ok()) {
              out.status = n.status();
              co_return;
            }
            if (*n == 0) break;
            out.body.append(buf, *n);
          }
        },
        asio::detached);
    io.restart();
    io.run();
    return out;
  }

  // A server presenting `id`: the handshake fails (kUnavailable), no request is sent and no
  // connection is pooled.
  void ExpectRefused(const Identity& id) {
    TlsServer server(id);
    asio::io_context io;
    UpstreamClient client;
    Fetched got = Fetch(client, io, Endpoint(server.port()));
    EXPECT_EQ(got.status.code(), absl::StatusCode::kUnavailable) << got.status;
    EXPECT_NE(got.status.message().find("TLS handshake"), std::string_view::npos) << got.status;
    EXPECT_EQ(got.code, 0);
    EXPECT_TRUE(server.hosts().empty());
    EXPECT_EQ(client.idle_connections(), 0u);
    client.CloseIdle();
  }

  std::string dir_;
  Identity ca_;
  std::string ca_file_;
  std::optional<std::string> old_cert_file_;
};

TEST_F(UpstreamTlsTest, VerifiesTheCertificateSendsSniAndReusesTheConnection) {
  Identity server_id = IssueServer(ca_, "localhost", "DNS:localhost");
  TlsServer server(server_id);
  asio::io_context io;
  UpstreamClient client;
  const UpstreamEndpoint ep = Endpoint(server.port());
  ASSERT_TRUE(ep.tls);

  Fetched first = Fetch(client, io, ep);
  ASSERT_TRUE(first.status.ok()) << first.status;
  EXPECT_EQ(first.code, 200);
  EXPECT_EQ(first.body, R"({"ok":true})");
  EXPECT_EQ(client.idle_connections(), 1u);

  Fetched second = Fetch(client, io, ep);
  ASSERT_TRUE(second.status.ok()) << second.status;
  EXPECT_EQ(second.code, 200);
  EXPECT_EQ(server.connections(), 1);  // the pooled TLS connection carried both
  EXPECT_EQ(server.server_names(), std::vector<std::string>{"localhost"});
  EXPECT_EQ(server.hosts(), (std::vector<std::string>{ep.host_header, ep.host_header}));
  client.CloseIdle();
}

TEST_F(UpstreamTlsTest, RefusesACertificateForAnotherHost) {
  ExpectRefused(IssueServer(ca_, "other.example", "DNS:other.example"));
}

TEST_F(UpstreamTlsTest, RefusesACertificateFromAnUntrustedIssuer) {
  Identity stranger = IssueCa("some other CA");
  ExpectRefused(IssueServer(stranger, "localhost", "DNS:localhost"));
}

TEST_F(UpstreamTlsTest, RefusesASelfSignedServerCertificate) {
  ExpectRefused(IssueCa("localhost"));
}

}  // namespace
}  // namespace llmgw::gateway
