// llmgw-mock-provider: a fake OpenAI / Anthropic / Gemini / xAI upstream for tests, demos and
// benchmarks. Behaviour: see providers.h; transport: see server.h.
//
//   llmgw-mock-provider [--addr 127.0.0.1:0] [--threads 2] [--latency-ms 0] [--chunks 5]
//                       [--chunk-delay-ms 0] [--port-file PATH] [--tls-dir DIR]
//                       [--report-page-buckets N]
// Prints {"listening":"HOST:PORT"} on stdout once ready; exits 0 on SIGTERM/SIGINT.
// --tls-dir: serves HTTPS with a certificate for localhost / 127.0.0.1 / ::1 from a CA made at
// start, whose certificate it writes to DIR/ca.pem for clients to trust (SSL_CERT_FILE).
// --report-page-buckets: the admin usage/cost reports return at most N daily buckets a page, so
// clients must follow next_page (admin_reports.h).

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "libs/common/signals.h"
#include "libs/testing/test_certs.h"
#include "tools/mock-provider/server.h"

namespace {

[[noreturn]] void Usage(const std::string& message) {
  std::cerr << "llmgw-mock-provider: " << message
            << "\nusage: llmgw-mock-provider [--addr 127.0.0.1:0] [--threads 2] [--latency-ms 0]"
               " [--chunks 5] [--chunk-delay-ms 0] [--port-file PATH] [--tls-dir DIR]"
               " [--report-page-buckets N]\n";
  std::exit(2);
}

int ParseNonNegative(const std::string& flag, const std::string& value) {
  try {
    size_t used = 0;
    int v = std::stoi(value, &used);
    if (used != value.size() || v < 0) Usage(flag + " needs a non-negative integer");
    return v;
  } catch (const std::exception&) {
    Usage(flag + " needs a non-negative integer");
  }
}

}  // namespace

int main(int argc, char** argv) {
  llmgw::BlockShutdownSignals();
  llmgw::RaiseOpenFileLimit();
  std::string addr = "127.0.0.1:0";
  std::string port_file;
  std::string tls_dir;
  int threads = 2;
  llmgw::mock::Options options;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") Usage("help");
    if (i + 1 >= argc) Usage("missing value for " + flag);
    std::string value = argv[++i];
    if (flag == "--addr") {
      addr = value;
    } else if (flag == "--threads") {
      threads = ParseNonNegative(flag, value);
      if (threads < 1) Usage("--threads must be at least 1");
    } else if (flag == "--latency-ms") {
      options.latency_ms = ParseNonNegative(flag, value);
    } else if (flag == "--chunks") {
      options.chunks = ParseNonNegative(flag, value);
      if (options.chunks < 1) Usage("--chunks must be at least 1");
    } else if (flag == "--chunk-delay-ms") {
      options.chunk_delay_ms = ParseNonNegative(flag, value);
    } else if (flag == "--port-file") {
      port_file = value;
    } else if (flag == "--tls-dir") {
      tls_dir = value;
    } else if (flag == "--report-page-buckets") {
      options.report_page_buckets = ParseNonNegative(flag, value);
    } else {
      Usage("unknown flag " + flag);
    }
  }
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos) Usage("--addr must be HOST:PORT");
  std::string host = addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = ParseNonNegative("--addr port", addr.substr(colon + 1));
  if (port > 65535) Usage("--addr port out of range");

  std::unique_ptr<llmgw::mock::TlsIdentity> tls;
  if (!tls_dir.empty()) {
    llmgw::test::Identity ca = llmgw::test::IssueCa("llmgw-mock-provider CA");
    llmgw::test::Identity leaf =
        llmgw::test::IssueServer(ca, "localhost", "DNS:localhost,IP:127.0.0.1,IP:::1");
    std::error_code ec;
    std::filesystem::create_directories(tls_dir, ec);
    std::ofstream out(tls_dir + "/ca.pem.tmp");
    out << ca.cert_pem;
    out.close();
    if (!out ||
        std::rename((tls_dir + "/ca.pem.tmp").c_str(), (tls_dir + "/ca.pem").c_str()) != 0) {
      std::cerr << "llmgw-mock-provider: cannot write " << tls_dir << "/ca.pem\n";
      return 1;
    }
    tls = std::make_unique<llmgw::mock::TlsIdentity>(
        llmgw::mock::TlsIdentity{leaf.cert_pem, leaf.key_pem});
  }
  auto server = llmgw::mock::MockServer::Start(host, static_cast<uint16_t>(port), options, threads,
                                               tls.get());
  if (!server.ok()) {
    std::cerr << "llmgw-mock-provider: " << server.status().message() << "\n";
    return 1;
  }
  std::string listening = addr.substr(0, colon) + ":" + std::to_string((*server)->port());
  if (!port_file.empty()) {
    std::ofstream out(port_file + ".tmp");
    out << (*server)->port() << "\n";
    out.close();
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  }
  std::cout << "{\"listening\":\"" << listening << "\"}" << std::endl;
  llmgw::WaitForShutdownSignal();
  (*server)->Stop();
  return 0;
}
