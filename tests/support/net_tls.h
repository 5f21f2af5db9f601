// TLS test fixtures for the net layer: certificates made at test time with OpenSSL, and an
// in-process TLS echo server on loopback.
//
// TestPki::create() writes, into a fresh temporary folder removed by its destructor:
//   - a CA, and an unrelated "other" CA (to test an untrusted chain);
//   - a server certificate for localhost, 127.0.0.1 and ::1 signed by the CA;
//   - the same names but expired (valid from 10 days ago to yesterday);
//   - a certificate for "wrong.example" only, signed by the CA;
//   - a self-signed certificate for localhost/127.0.0.1 (CA:TRUE, like `openssl req -x509`);
//   - a client certificate signed by the CA;
//   - a CA directory with the CA under its subject-hash name (for TlsOptions::ca_dir).
// Keys are EC P-256 (fast to make) in unencrypted PEM.
//
// Thread safety: TestPki is immutable after create(). TlsEchoServer: construct and destroy from
// one thread; its accessors may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "support/net_loopback.h"

namespace chconn::test {

struct CertKey {
  std::string cert = {};  // PEM file path
  std::string key = {};   // PEM file path
};

class TestPki {
 public:
  static TestPki create();
  ~TestPki();
  TestPki(TestPki&& other) noexcept;
  TestPki& operator=(TestPki&&) = delete;
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  std::string dir;
  std::string ca_dir;  // a hashed CA directory (like `openssl rehash`) holding only `ca`
  CertKey ca;
  CertKey other_ca;
  CertKey server;       // localhost, 127.0.0.1, ::1; signed by ca
  CertKey expired;      // same names, expired; signed by ca
  CertKey wrong_host;   // wrong.example only; signed by ca
  CertKey self_signed;  // localhost, 127.0.0.1; self-signed
  CertKey client;       // CN=chconn-test-client; signed by ca

 private:
  TestPki() = default;
};

enum class TlsServerMode {
  echo,                    // echo application data until the client closes
  close_after_handshake,   // send close_notify and close right after the handshake
  silent_after_handshake,  // complete the handshake, then never read or write
};

struct TlsEchoServerOptions {
  CertKey identity = {};  // the server's certificate and key
  IpFamily family = IpFamily::v4;
  std::string client_ca = {};  // non-empty: require a client certificate signed by this CA
  TlsServerMode mode = TlsServerMode::echo;
};

// Accepts TLS connections one at a time on loopback, completes the handshake, and echoes
// application data until the client closes.
class TlsEchoServer {
 public:
  explicit TlsEchoServer(TlsEchoServerOptions options);
  ~TlsEchoServer();
  TlsEchoServer(const TlsEchoServer&) = delete;
  TlsEchoServer& operator=(const TlsEchoServer&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string host() const { return loopback_host(options_.family); }
  int handshakes_ok() const noexcept { return handshakes_ok_.load(); }
  int handshakes_failed() const noexcept { return handshakes_failed_.load(); }
  // The SNI name the last client sent, or empty.
  std::string last_server_name() const;

 private:
  void run();
  void serve(int fd);

  TlsEchoServerOptions options_;
  void* ctx_ = nullptr;  // SSL_CTX*
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::atomic<int> handshakes_ok_{0};
  std::atomic<int> handshakes_failed_{0};
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::string last_server_name_;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace chconn::test
