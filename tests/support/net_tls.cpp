#include "support/net_tls.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace chconn::test {

namespace {

[[noreturn]] void openssl_fail(const std::string& what) {
  char buffer[256] = "no OpenSSL error";
  if (const unsigned long code = ERR_get_error()) ERR_error_string_n(code, buffer, sizeof buffer);
  ERR_clear_error();
  throw std::runtime_error("test PKI: " + what + ": " + buffer);
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const noexcept { X509_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

Pkey make_key() {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) openssl_fail("EC key generation");
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) openssl_fail(std::string("extension ") + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

struct CertSpec {
  std::string common_name = {};
  std::string subject_alt_names = {};  // "DNS:localhost,IP:127.0.0.1"; empty: none
  bool is_ca = false;
  bool client = false;
  long not_before_seconds = -3600;       // relative to now
  long not_after_seconds = 30L * 86400;  // relative to now
};

// Makes a certificate for `key`, signed by issuer/issuer_key (self-signed when issuer is null).
Cert make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  static std::atomic<long> serial{1000};
  Cert cert(X509_new());
  if (!cert) openssl_fail("X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial.fetch_add(1));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.not_before_seconds);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.not_after_seconds);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("chconn tests"), -1, -1,
                             0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(spec.common_name.c_str()),
                             -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (spec.is_ca) {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  } else {
    add_ext(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    add_ext(cert.get(), signer, NID_ext_key_usage, spec.client ? "clientAuth" : "serverAuth");
  }
  add_ext(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) add_ext(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  if (!spec.subject_alt_names.empty()) {
    add_ext(cert.get(), signer, NID_subject_alt_name, spec.subject_alt_names.c_str());
  }
  if (X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) openssl_fail("X509_sign");
  return cert;
}

void write_pem(const std::string& path, X509* cert, EVP_PKEY* key) {
  BIO* bio = BIO_new_file(path.c_str(), "w");
  if (bio == nullptr) openssl_fail("open " + path);
  const int ok = cert != nullptr ? PEM_write_bio_X509(bio, cert)
                                 : PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  BIO_free(bio);
  if (ok != 1) openssl_fail("write " + path);
}

CertKey save(const std::string& dir, const std::string& name, X509* cert, EVP_PKEY* key) {
  CertKey out{dir + "/" + name + ".crt", dir + "/" + name + ".key"};
  write_pem(out.cert, cert, nullptr);
  write_pem(out.key, nullptr, key);
  return out;
}

}  // namespace

TestPki TestPki::create() {
  TestPki pki;
  std::string pattern = (std::filesystem::temp_directory_path() / "chconn-net-pki-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("test PKI: mkdtemp failed");
  pki.dir = pattern;

  const std::string names = "DNS:localhost,IP:127.0.0.1,IP:::1";
  Pkey ca_key = make_key();
  Cert ca = make_cert({.common_name = "chconn test CA", .is_ca = true}, ca_key.get(), nullptr, nullptr);
  pki.ca = save(pki.dir, "ca", ca.get(), ca_key.get());
  pki.ca_dir = pki.dir + "/ca.d";
  std::filesystem::create_directory(pki.ca_dir);
  char hashed[32];
  std::snprintf(hashed, sizeof hashed, "%08lx.0", X509_subject_name_hash(ca.get()));
  write_pem(pki.ca_dir + "/" + hashed, ca.get(), nullptr);

  Pkey other_key = make_key();
  Cert other = make_cert({.common_name = "chconn other CA", .is_ca = true}, other_key.get(), nullptr, nullptr);
  pki.other_ca = save(pki.dir, "other-ca", other.get(), other_key.get());

  Pkey server_key = make_key();
  Cert server =
      make_cert({.common_name = "localhost", .subject_alt_names = names}, server_key.get(), ca.get(), ca_key.get());
  pki.server = save(pki.dir, "server", server.get(), server_key.get());

  Cert expired = make_cert({.common_name = "localhost",
                            .subject_alt_names = names,
                            .not_before_seconds = -10L * 86400,
                            .not_after_seconds = -86400},
                           server_key.get(), ca.get(), ca_key.get());
  pki.expired = save(pki.dir, "expired", expired.get(), server_key.get());

  Cert wrong = make_cert({.common_name = "wrong.example", .subject_alt_names = "DNS:wrong.example"}, server_key.get(),
                         ca.get(), ca_key.get());
  pki.wrong_host = save(pki.dir, "wrong-host", wrong.get(), server_key.get());

  Pkey self_key = make_key();
  Cert self = make_cert({.common_name = "localhost", .subject_alt_names = "DNS:localhost,IP:127.0.0.1", .is_ca = true},
                        self_key.get(), nullptr, nullptr);
  pki.self_signed = save(pki.dir, "self-signed", self.get(), self_key.get());

  Pkey client_key = make_key();
  Cert client =
      make_cert({.common_name = "chconn-test-client", .client = true}, client_key.get(), ca.get(), ca_key.get());
  pki.client = save(pki.dir, "client", client.get(), client_key.get());
  return pki;
}

TestPki::TestPki(TestPki&& other) noexcept
    : dir(std::move(other.dir)),
      ca_dir(std::move(other.ca_dir)),
      ca(std::move(other.ca)),
      other_ca(std::move(other.other_ca)),
      server(std::move(other.server)),
      expired(std::move(other.expired)),
      wrong_host(std::move(other.wrong_host)),
      self_signed(std::move(other.self_signed)),
      client(std::move(other.client)) {
  other.dir.clear();
}

TestPki::~TestPki() {
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
}

TlsEchoServer::TlsEchoServer(TlsEchoServerOptions options) : options_(std::move(options)) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) openssl_fail("SSL_CTX_new");
  ctx_ = ctx;
  if (SSL_CTX_use_certificate_chain_file(ctx, options_.identity.cert.c_str()) != 1) {
    openssl_fail("server certificate " + options_.identity.cert);
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, options_.identity.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    openssl_fail("server key " + options_.identity.key);
  }
  if (!options_.client_ca.empty()) {
    if (SSL_CTX_load_verify_file(ctx, options_.client_ca.c_str()) != 1) openssl_fail("client CA");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  listener_ = bind_loopback_socket(options_.family, 0);
  if (::listen(listener_, 16) != 0) throw std::runtime_error("TLS test server: listen failed");
  port_ = socket_port(listener_);
  if (::pipe2(wake_, O_CLOEXEC) != 0) throw std::runtime_error("TLS test server: pipe failed");
  thread_ = std::thread([this] { run(); });
}

TlsEchoServer::~TlsEchoServer() {
  stop_.store(true);
  const char stop = 's';
  [[maybe_unused]] const auto n = ::write(wake_[1], &stop, 1);
  thread_.join();
  ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

std::string TlsEchoServer::last_server_name() const {
  const std::lock_guard lock(mutex_);
  return last_server_name_;
}

void TlsEchoServer::run() {
  // OpenSSL's socket BIO writes with write(): a client that went away must not raise SIGPIPE. The
  // signal goes to the writing thread, so blocking it here leaves the rest of the process as is.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  while (!stop_.load()) {
    pollfd fds[2] = {{wake_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[0].revents != 0) return;
    if ((fds[1].revents & POLLIN) == 0) continue;
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    serve(fd);
    ::close(fd);
  }
}

void TlsEchoServer::serve(int fd) {
  // A safety net only: the tests never leave the server waiting this long.
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  timeval limit{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ctx_));
  if (ssl == nullptr) return;
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) != 1) {
    handshakes_failed_.fetch_add(1);
    ERR_clear_error();
    SSL_free(ssl);
    return;
  }
  handshakes_ok_.fetch_add(1);
  {
    const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    const std::lock_guard lock(mutex_);
    last_server_name_ = sni != nullptr ? sni : "";
  }
  if (options_.mode == TlsServerMode::close_after_handshake) {
    SSL_shutdown(ssl);
    SSL_free(ssl);
    return;
  }
  std::vector<char> buffer(64 * 1024);
  while (!stop_.load()) {
    if (options_.mode == TlsServerMode::silent_after_handshake) {
      pollfd wake{wake_[0], POLLIN, 0};
      ::poll(&wake, 1, -1);
      break;
    }
    if (SSL_pending(ssl) == 0) {
      pollfd fds[2] = {{wake_[0], POLLIN, 0}, {fd, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) continue;
      if (fds[0].revents != 0) break;
    }
    std::size_t got = 0;
    if (SSL_read_ex(ssl, buffer.data(), buffer.size(), &got) != 1) break;
    std::size_t written = 0;
    if (SSL_write_ex(ssl, buffer.data(), got, &written) != 1) break;
  }
  ERR_clear_error();
  SSL_free(ssl);
}

}  // namespace chconn::test
