#include "libs/testing/test_certs.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <stdexcept>

namespace llmgw::test {
namespace {

std::string Pem(int (*write)(BIO*, void*), void* object) {
  BIO* bio = BIO_new(BIO_s_mem());
  write(bio, object);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

int WriteCert(BIO* bio, void* cert) { return PEM_write_bio_X509(bio, static_cast<X509*>(cert)); }
int WriteKey(BIO* bio, void* key) {
  return PEM_write_bio_PrivateKey(bio, static_cast<EVP_PKEY*>(key), nullptr, nullptr, 0, nullptr,
                                  nullptr);
}

// With no `issuer`, a self-signed CA; otherwise a server certificate for `san`, signed by it.
Identity Issue(const std::string& common_name, const Identity* issuer, const std::string& san) {
  static std::atomic<long> serial{1};
  Identity id;
  id.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  id.cert.reset(X509_new());
  if (!id.key || !id.cert) throw std::runtime_error("test certificate: out of memory");
  X509* c = id.cert.get();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), serial++);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 86400);
  X509_set_pubkey(c, id.key.get());
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(c, issuer != nullptr ? X509_get_subject_name(issuer->cert.get()) : name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer != nullptr ? issuer->cert.get() : c, c, nullptr, nullptr, 0);
  auto add = [&](int nid, const std::string& value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext == nullptr) throw std::runtime_error("test certificate: bad extension " + value);
    X509_add_ext(c, ext, -1);
    X509_EXTENSION_free(ext);
  };
  if (issuer == nullptr) {
    add(NID_basic_constraints, "critical,CA:TRUE");
    add(NID_key_usage, "critical,keyCertSign,cRLSign");
    add(NID_subject_key_identifier, "hash");
  } else {
    add(NID_basic_constraints, "CA:FALSE");
    add(NID_subject_alt_name, san);
    add(NID_ext_key_usage, "serverAuth");
  }
  if (X509_sign(c, issuer != nullptr ? issuer->key.get() : id.key.get(), EVP_sha256()) == 0) {
    throw std::runtime_error("test certificate: cannot sign");
  }
  id.key_pem = Pem(WriteKey, id.key.get());
  id.cert_pem = Pem(WriteCert, c);
  return id;
}

}  // namespace

Identity IssueCa(const std::string& common_name) { return Issue(common_name, nullptr, ""); }

Identity IssueServer(const Identity& ca, const std::string& common_name,
                     const std::string& subject_alt_names) {
  return Issue(common_name, &ca, subject_alt_names);
}

}  // namespace llmgw::test
