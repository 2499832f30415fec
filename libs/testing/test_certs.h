#pragma once
// Certificates for tests and the mock provider's HTTPS mode: a throwaway CA and server
// certificates it signs (P-256, valid from an hour ago for a day). Never for production.

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace llmgw::test {

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};

// A key and its certificate, as objects (to sign others with) and as PEM.
struct Identity {
  std::unique_ptr<EVP_PKEY, KeyFree> key;
  std::unique_ptr<X509, CertFree> cert;
  std::string key_pem;
  std::string cert_pem;
};

// A self-signed CA named `common_name`.
Identity IssueCa(const std::string& common_name);

// A server certificate for `subject_alt_names` ("DNS:localhost,IP:127.0.0.1"), signed by `ca`.
Identity IssueServer(const Identity& ca, const std::string& common_name,
                     const std::string& subject_alt_names);

}  // namespace llmgw::test
