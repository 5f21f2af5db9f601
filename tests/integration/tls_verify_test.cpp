// TLS verification of NativeConnection against the real sandbox server (fixture clickhouse_tls:
// a self-signed certificate for CN=localhost, SAN DNS:localhost, IP:127.0.0.1) and against
// loopback endpoints of our own where the sandbox cannot play the part (an expired certificate).
//
// Verification is on by default; every way it can fail is a network error that says why; turning
// it off is an explicit opt-out that works; and secure=true never falls back to plain TCP.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "chconn/connection/native_connection.h"
#include "chconn/core/config.h"
#include "chconn/core/error.h"
#include "chconn/net/tls.h"
#include "support/connection_helpers.h"
#include "support/fake_server.h"
#include "support/net_tls.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

// Certificates made once for the whole program (EC keys: milliseconds).
const test::TestPki& pki() {
  static const test::TestPki instance = test::TestPki::create();
  return instance;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Connects with `config` expecting a failure; returns the error.
Error connect_fails(const Config& config) {
  try {
    test::connect(config);
  } catch (const Error& e) {
    std::printf("[tls-verify] %s\n", e.what());
    return e;
  }
  ADD_FAILURE() << "connected, but the connection should have been refused";
  return Error(ErrorKind::usage, "connected");
}

TEST(TlsVerify, OnByDefault) {
  EXPECT_TRUE(Config{}.tls.verify);
  EXPECT_TRUE(Config::from_dsn("clickhouse://localhost?secure=true").tls.verify);
}

TEST(TlsVerify, RightCaConnects) {
  Config config = test::sandbox_config("tls", true);
  ASSERT_FALSE(config.tls.ca_file.empty());
  auto conn = test::connect(config);
  EXPECT_EQ(conn->execute("SELECT 1 AS v").value<int>("v"), 1);
  // The certificate names localhost too.
  config.hosts = {{"localhost", config.hosts.front().port}};
  EXPECT_EQ(test::connect(config)->execute("SELECT 2 AS v").value<int>("v"), 2);
}

// Handshakes of one shared context on several threads at once, each verifying against the same
// loaded CA certificate. OpenSSL caches a certificate's extensions on first use, under locks and an
// atomic flag that ThreadSanitizer cannot see inside an uninstrumented libcrypto, so the first
// handshakes of a fresh context were reported as a data race (in `chconn health`, about one run in
// 30). The context now caches them when it is made, before any handshake. Each round takes a fresh
// context, so under TSan this test fails if handshakes still fill that shared cache.
TEST(TlsVerify, ConcurrentHandshakesShareOneContext) {
  const Config config = test::sandbox_config("tls", true);
  constexpr int k_rounds = 60;
  constexpr int k_threads = 6;
  int pinged = 0;
  for (int round = 0; round < k_rounds; ++round) {
    const auto context = std::make_shared<const net::TlsContext>(config.tls);
    std::vector<int> done(k_threads, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < k_threads; ++t) {
      threads.emplace_back([&, t] {
        try {
          auto conn = NativeConnection::connect(config, config.hosts.front(), Deadline::after(10s), context);
          conn->ping(Deadline::after(10s));
          done[t] = 1;
        } catch (const Error& e) {
          std::printf("[tls-verify] concurrent connect failed: %s\n", e.what());
        }
      });
    }
    for (auto& thread : threads) thread.join();
    pinged += static_cast<int>(std::count(done.begin(), done.end(), 1));
  }
  EXPECT_EQ(pinged, k_rounds * k_threads);
}

TEST(TlsVerify, SystemStoreDoesNotTrustSelfSigned) {
  Config config = test::sandbox_config("tls", true);
  config.tls.ca_file.clear();
  const Error e = connect_fails(config);
  EXPECT_EQ(e.kind(), ErrorKind::network) << e.what();
  EXPECT_NE(lower(e.what()).find("verif"), std::string::npos) << e.what();
}

TEST(TlsVerify, WrongCaIsRefused) {
  Config config = test::sandbox_config("tls", true);
  config.tls.ca_file = pki().other_ca.cert;
  const Error e = connect_fails(config);
  EXPECT_EQ(e.kind(), ErrorKind::network) << e.what();
  EXPECT_NE(lower(e.what()).find("verification"), std::string::npos) << e.what();
}

TEST(TlsVerify, WrongHostNameIsRefused) {
  Config config = test::sandbox_config("tls", true);
  config.tls.server_name = "not-localhost";
  const Error e = connect_fails(config);
  EXPECT_EQ(e.kind(), ErrorKind::network) << e.what();
  EXPECT_NE(std::string(e.what()).find("not-localhost"), std::string::npos) << e.what();
  EXPECT_NE(lower(e.what()).find("verif"), std::string::npos) << e.what();
}

TEST(TlsVerify, ExpiredCertificateIsRefused) {
  // The sandbox's certificate is valid, so the expired one is served by an endpoint of our own:
  // the refusal happens in the TLS handshake, before any ClickHouse byte.
  test::TlsEchoServer server({.identity = pki().expired});
  Config config;
  config.hosts = {{server.host(), server.port()}};
  config.secure = true;
  config.tls.ca_file = pki().ca.cert;
  config.timeouts.connect = 5s;
  const Error e = connect_fails(config);
  EXPECT_EQ(e.kind(), ErrorKind::network) << e.what();
  EXPECT_NE(lower(e.what()).find("expired"), std::string::npos) << e.what();
  EXPECT_EQ(server.handshakes_ok(), 0);
}

TEST(TlsVerify, CertificateForAnotherHostIsRefused) {
  test::TlsEchoServer server({.identity = pki().wrong_host});
  Config config;
  config.hosts = {{server.host(), server.port()}};
  config.secure = true;
  config.tls.ca_file = pki().ca.cert;
  config.timeouts.connect = 5s;
  const Error e = connect_fails(config);
  EXPECT_EQ(e.kind(), ErrorKind::network) << e.what();
  EXPECT_EQ(server.handshakes_ok(), 0);
}

TEST(TlsVerify, VerifyFalseConnects) {
  Config config = test::sandbox_config("tls", true);
  config.tls.ca_file.clear();
  config.tls.verify = false;
  EXPECT_EQ(test::connect(config)->execute("SELECT 3 AS v").value<int>("v"), 3);
  // The opt-out covers the name as well.
  config.tls.server_name = "not-localhost";
  EXPECT_EQ(test::connect(config)->execute("SELECT 4 AS v").value<int>("v"), 4);
  // And it is reachable from a DSN.
  const Config from_dsn = Config::from_dsn("clickhouse://127.0.0.1:" + std::to_string(config.hosts.front().port) +
                                           "?secure=true&tls_verify=false");
  EXPECT_FALSE(from_dsn.tls.verify);
  EXPECT_EQ(test::connect(from_dsn)->execute("SELECT 5 AS v").value<int>("v"), 5);
}

TEST(TlsVerify, SecureAgainstPlainPortFailsWithoutFallback) {
  const test::SandboxServer tls = test::sandbox("tls");
  Config config = test::sandbox_config("tls", true);
  config.hosts = {{"127.0.0.1", tls.native_port}};  // the plain TCP port
  const auto start = Steady::now();
  const Error e = connect_fails(config);
  EXPECT_LT(Steady::now() - start, config.timeouts.connect + 3s);
  EXPECT_EQ(e.kind(), ErrorKind::network) << e.what();
  EXPECT_NE(std::string(e.what()).find("TLS"), std::string::npos) << e.what();
  // That nothing falls back to plain TCP is shown by SecureNeverSendsPlainHello against a peer
  // that records every byte; counting this server's queries instead raced with the other tests
  // that share the sandbox (ctest -j2).
}

// The same against a plain peer that records what it receives: the first bytes are a TLS record,
// no ClickHouse Hello ever arrives, and there is no second (plain) attempt.
TEST(TlsVerify, SecureNeverSendsPlainHello) {
  test::FakeServer server(test::FakeScript().read_bytes(5).send(test::fake::hello_18_16()).close());
  Config config;
  config.hosts = {server.address()};
  config.secure = true;
  config.tls.verify = false;  // even with verification off nothing falls back
  config.password = "pw-not-to-be-sent";
  config.timeouts.connect = 3s;
  const Error e = connect_fails(config);
  EXPECT_EQ(e.kind(), ErrorKind::network) << e.what();
  ASSERT_TRUE(server.wait_finished(1, 10s));
  const std::string received = server.received();
  ASSERT_FALSE(received.empty());
  EXPECT_EQ(static_cast<unsigned char>(received[0]), 0x16) << "not a TLS handshake record";
  EXPECT_TRUE(server.hellos().empty());
  EXPECT_EQ(received.find("pw-not-to-be-sent"), std::string::npos);
  EXPECT_EQ(server.connections(), 1);
}

}  // namespace
}  // namespace chconn
