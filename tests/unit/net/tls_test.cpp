// TLS streams against an in-process OpenSSL server on loopback, with certificates made at test
// time (tests/support/net_tls.h): verification on by default, each kind of verification failure
// with its reason, the explicit opt-out, deadlines during the handshake and after it.
//
// Timing: a test that expects a timeout asserts that the call returned no earlier than its
// deadline and within a generous bound; nothing asserts speed.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "chconn/core/config.h"
#include "chconn/core/error.h"
#include "chconn/net/tcp.h"
#include "chconn/net/tls.h"
#include "support/expect_error.h"
#include "support/net_loopback.h"
#include "support/net_tls.h"

namespace chconn::net {
namespace {

using namespace std::chrono_literals;
using test::expect_error;
using test::expect_reported;
using test::IpFamily;
using test::LoopbackServer;
using test::ServerMode;
using test::TestPki;
using test::TlsEchoServer;
using test::TlsServerMode;
using Steady = std::chrono::steady_clock;

constexpr auto k_generous = 20s;

// Certificates are made once for the whole program (EC keys: milliseconds).
const TestPki& pki() {
  static const TestPki instance = TestPki::create();
  return instance;
}

std::vector<unsigned char> pattern(std::size_t n, unsigned seed = 5) {
  std::vector<unsigned char> out(n);
  std::uint32_t x = seed;
  for (auto& b : out) {
    x = x * 1103515245u + 12345u;
    b = static_cast<unsigned char>(x >> 23);
  }
  return out;
}

std::vector<unsigned char> read_exactly(Stream& s, std::size_t n, Deadline deadline) {
  std::vector<unsigned char> out(n);
  std::size_t got = 0;
  while (got < n) {
    const std::size_t r = s.read_some(out.data() + got, n - got, deadline);
    if (r == 0) {
      ADD_FAILURE() << "end of stream after " << got << " of " << n << " bytes";
      out.resize(got);
      return out;
    }
    got += r;
  }
  return out;
}

// Writes `size` bytes in 64 KiB chunks, reading each back (the test server echoes one chunk at a
// time, so neither side's buffers need to hold the whole payload).
void expect_echo(Stream& s, std::size_t size) {
  const auto data = pattern(size);
  constexpr std::size_t chunk = 64 * 1024;
  for (std::size_t off = 0; off < size; off += chunk) {
    const std::size_t n = std::min(chunk, size - off);
    s.write_all(data.data() + off, n, Deadline::after(10s));
    const auto back = read_exactly(s, n, Deadline::after(10s));
    ASSERT_TRUE(std::equal(back.begin(), back.end(), data.begin() + static_cast<std::ptrdiff_t>(off)))
        << "at offset " << off;
  }
}

// TlsOptions is filled member by member: its string members have no default initialisers, so
// designated initialisers that skip them trip -Wmissing-field-initializers.
TlsOptions trusting(const std::string& ca_file) {
  TlsOptions options;
  options.ca_file = ca_file;
  return options;
}
TlsOptions trusting_ca() { return trusting(pki().ca.cert); }
TlsOptions not_verifying() {
  TlsOptions options;
  options.verify = false;
  return options;
}
TlsOptions with_files(const std::string& ca_dir, const std::string& cert_file, const std::string& key_file) {
  TlsOptions options;
  options.ca_dir = ca_dir;
  options.cert_file = cert_file;
  options.key_file = key_file;
  return options;
}

TEST(NetTls, VerifiedConnectionEchoesOneMebibyte) {
  TlsEchoServer server({.identity = pki().server});
  auto stream = connect_tls("127.0.0.1", server.port(), {}, trusting_ca(), Deadline::after(10s));
  EXPECT_TRUE(stream->is_secure());
  EXPECT_TRUE(stream->is_open());
  EXPECT_EQ(stream->peer(), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_GE(stream->native_handle(), 0);
  expect_echo(*stream, 1 << 20);
  stream->close();
  EXPECT_FALSE(stream->is_open());
}

TEST(NetTls, HostNameIsVerifiedAndSentAsSni) {
  TlsEchoServer server({.identity = pki().server});
  const TlsContext context(trusting_ca());
  {
    auto stream = connect_tls("localhost", server.port(), {}, context, Deadline::after(10s));
    expect_echo(*stream, 1000);
  }
  EXPECT_EQ(server.last_server_name(), "localhost");
  {
    // No SNI for an IP address (RFC 6066); the certificate's IP entry is checked instead.
    auto stream = connect_tls("127.0.0.1", server.port(), {}, context, Deadline::after(10s));
    expect_echo(*stream, 1000);
  }
  EXPECT_EQ(server.last_server_name(), "");
}

TEST(NetTls, Ipv6Loopback) {
  if (!test::loopback_available(IpFamily::v6)) GTEST_SKIP() << "::1 cannot be bound on this machine";
  TlsEchoServer server({.identity = pki().server, .family = IpFamily::v6});
  auto stream = connect_tls("::1", server.port(), {}, trusting_ca(), Deadline::after(10s));
  EXPECT_EQ(stream->peer(), "[::1]:" + std::to_string(server.port()));
  expect_echo(*stream, 100000);
}

TEST(NetTls, OneContextSharedByThreads) {
  TlsEchoServer server({.identity = pki().server});
  const auto context = std::make_shared<const TlsContext>(trusting_ca());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) {
        auto stream = connect_tls("localhost", server.port(), {}, *context, Deadline::after(60s));
        expect_echo(*stream, 10000);
        ok.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 12);
  EXPECT_EQ(server.handshakes_ok(), 12);
}

TEST(NetTls, StreamOutlivesItsContext) {
  TlsEchoServer server({.identity = pki().server});
  auto context = std::make_unique<TlsContext>(trusting_ca());
  auto stream = connect_tls("localhost", server.port(), {}, *context, Deadline::after(10s));
  context.reset();
  expect_echo(*stream, 50000);
}

TEST(NetTls, CaDirectory) {
  TlsEchoServer server({.identity = pki().server});
  auto stream = connect_tls("localhost", server.port(), {}, with_files(pki().ca_dir, "", ""), Deadline::after(10s));
  expect_echo(*stream, 1000);
}

TEST(NetTls, UntrustedCaIsRefusedWithTheReason) {
  TlsEchoServer server({.identity = pki().server});
  expect_error(
      ErrorKind::network,
      [&] { connect_tls("localhost", server.port(), {}, trusting(pki().other_ca.cert), Deadline::after(10s)); },
      {"TLS handshake with localhost (127.0.0.1:" + std::to_string(server.port()) + ")",
       "certificate verification failed", "unable to get local issuer certificate", "DSN ca_file", "--ca-file",
       "tls_verify=false"});
}

TEST(NetTls, ExpiredCertificateIsRefused) {
  TlsEchoServer server({.identity = pki().expired});
  expect_error(ErrorKind::network,
               [&] { connect_tls("localhost", server.port(), {}, trusting_ca(), Deadline::after(10s)); },
               {"certificate verification failed", "certificate has expired"});
}

TEST(NetTls, WrongHostNameIsRefusedNamingTheHost) {
  TlsEchoServer server({.identity = pki().wrong_host});
  expect_error(ErrorKind::network,
               [&] { connect_tls("localhost", server.port(), {}, trusting_ca(), Deadline::after(10s)); },
               {"certificate verification failed", "hostname mismatch", "'localhost'"});
  expect_error(ErrorKind::network,
               [&] { connect_tls("127.0.0.1", server.port(), {}, trusting_ca(), Deadline::after(10s)); },
               {"certificate verification failed", "IP address mismatch", "'127.0.0.1'"});
  // tls.server_name names what to expect instead of the host connected to.
  TlsOptions named = trusting_ca();
  named.server_name = "wrong.example";
  auto stream = connect_tls("127.0.0.1", server.port(), {}, named, Deadline::after(10s));
  expect_echo(*stream, 1000);
  EXPECT_EQ(server.last_server_name(), "wrong.example");
}

TEST(NetTls, SelfSignedCertificate) {
  TlsEchoServer server({.identity = pki().self_signed});
  // Verification is on by default: a self-signed certificate nobody trusts is refused...
  expect_error(ErrorKind::network,
               [&] { connect_tls("localhost", server.port(), {}, TlsOptions{}, Deadline::after(10s)); },
               {"certificate verification failed", "self-signed certificate"});
  // ...unless it is trusted explicitly (as with the sandbox's server.crt)...
  {
    auto stream = connect_tls("localhost", server.port(), {}, trusting(pki().self_signed.cert), Deadline::after(10s));
    expect_echo(*stream, 1000);
  }
  // ...or verification is turned off on purpose.
  auto stream = connect_tls("localhost", server.port(), {}, not_verifying(), Deadline::after(10s));
  expect_echo(*stream, 100000);
}

TEST(NetTls, VerifyFalseAcceptsAnyName) {
  TlsEchoServer server({.identity = pki().wrong_host});
  auto stream = connect_tls("127.0.0.1", server.port(), {}, not_verifying(), Deadline::after(10s));
  expect_echo(*stream, 1000);
}

TEST(NetTls, ClientCertificate) {
  TlsEchoServer server({.identity = pki().server, .client_ca = pki().ca.cert});
  TlsOptions with_cert = trusting_ca();
  with_cert.cert_file = pki().client.cert;
  with_cert.key_file = pki().client.key;
  {
    auto stream = connect_tls("localhost", server.port(), {}, with_cert, Deadline::after(10s));
    expect_echo(*stream, 1000);
  }
  // Without one the server refuses: during the handshake (TLS 1.2), or with an alert the client
  // reads right after it (TLS 1.3). Either way a network error, never a hang.
  expect_error(ErrorKind::network,
               [&] {
                 auto stream = connect_tls("localhost", server.port(), {}, trusting_ca(), Deadline::after(10s));
                 expect_echo(*stream, 1000);
               },
               {"TLS"});
}

TEST(NetTls, HandshakeWithSilentServerTimesOutAtTheDeadline) {
  LoopbackServer silent({.mode = ServerMode::silent});
  const TlsContext context(trusting_ca());  // before the deadlines: loading it is not what is timed
  const auto start = Steady::now();
  expect_reported(expect_error(ErrorKind::timeout,
                               [&] { connect_tls("127.0.0.1", silent.port(), {}, context, Deadline::after(300ms)); },
                               {"TLS handshake with 127.0.0.1:" + std::to_string(silent.port()), "timed out after"}),
                  300ms);
  const auto took = Steady::now() - start;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 300ms + k_generous);

  // tcp.connect_timeout bounds the handshake too.
  const auto start2 = Steady::now();
  expect_reported(
      expect_error(
          ErrorKind::timeout,
          [&] { connect_tls("127.0.0.1", silent.port(), {.connect_timeout = 200ms}, context, Deadline::after(60s)); },
          {"TLS handshake", "timed out after"}),
      200ms);
  EXPECT_GE(Steady::now() - start2, 200ms);
  EXPECT_LT(Steady::now() - start2, 200ms + k_generous);
}

TEST(NetTls, GarbageFromAPlainServerIsANetworkError) {
  for (const bool close : {false, true}) {
    LoopbackServer garbage({.mode = ServerMode::garbage, .close_garbage = close});
    expect_error(ErrorKind::network,
                 [&] { connect_tls("127.0.0.1", garbage.port(), {}, trusting_ca(), Deadline::after(10s)); },
                 {"TLS handshake with 127.0.0.1:" + std::to_string(garbage.port()), "failed"});
  }
}

TEST(NetTls, ServerClosingDuringHandshakeIsANetworkError) {
  LoopbackServer closing({.mode = ServerMode::close_at_once});
  expect_error(ErrorKind::network,
               [&] { connect_tls("127.0.0.1", closing.port(), {}, trusting_ca(), Deadline::after(10s)); },
               {"TLS handshake with 127.0.0.1:" + std::to_string(closing.port())});
}

TEST(NetTls, ReadTimeoutLeavesTheStreamUsable) {
  TlsEchoServer server({.identity = pki().server});
  auto stream = connect_tls("localhost", server.port(), {}, trusting_ca(), Deadline::after(10s));
  char buf[256];
  const auto start = Steady::now();
  expect_reported(
      expect_error(ErrorKind::timeout, [&] { stream->read_some(buf, sizeof buf, Deadline::after(200ms)); },
                   {"TLS read from localhost (127.0.0.1:" + std::to_string(server.port()) + ")", "timed out after"}),
      200ms);
  EXPECT_GE(Steady::now() - start, 200ms);
  EXPECT_LT(Steady::now() - start, 200ms + k_generous);
  expect_echo(*stream, 70000);
}

TEST(NetTls, PeerCloseNotifyReadsAsEndOfStream) {
  TlsEchoServer server({.identity = pki().server, .mode = TlsServerMode::close_after_handshake});
  auto stream = connect_tls("localhost", server.port(), {}, trusting_ca(), Deadline::after(10s));
  char buf[64];
  EXPECT_EQ(stream->read_some(buf, sizeof buf, Deadline::after(10s)), 0u);
}

TEST(NetTls, WriteToPeerThatStopsReadingTimesOutAndBreaksTheStream) {
  TlsEchoServer server({.identity = pki().server, .mode = TlsServerMode::silent_after_handshake});
  auto stream =
      connect_tls("localhost", server.port(), {.send_buffer_bytes = 64 * 1024}, trusting_ca(), Deadline::after(10s));
  const std::vector<unsigned char> big(64u << 20);
  const auto start = Steady::now();
  expect_reported(
      expect_error(ErrorKind::timeout, [&] { stream->write_all(big.data(), big.size(), Deadline::after(300ms)); },
                   {"TLS write to localhost (127.0.0.1:" + std::to_string(server.port()) + ")", "timed out after"}),
      300ms);
  EXPECT_GE(Steady::now() - start, 300ms);
  EXPECT_LT(Steady::now() - start, 300ms + k_generous);
  // Part of a record may have gone out: the stream refuses to go on.
  expect_error(ErrorKind::network, [&] { stream->write_all("x", 1, Deadline::after(1s)); }, {"unusable"});
}

TEST(NetTls, ExpiredDeadlineTimesOutAtOnce) {
  TlsEchoServer server({.identity = pki().server});
  const TlsContext context(trusting_ca());
  expect_error(ErrorKind::timeout, [&] { connect_tls("localhost", server.port(), {}, context, Deadline::after(0s)); },
               {"deadline had already passed"});
  auto tcp = connect_tcp("127.0.0.1", server.port(), {}, Deadline::after(10s));
  expect_error(ErrorKind::timeout, [&] { wrap_tls(std::move(tcp), "localhost", context, Deadline::after(0s)); },
               {"TLS handshake", "deadline had already passed"});
  auto stream = connect_tls("localhost", server.port(), {}, context, Deadline::after(10s));
  char buf[8];
  expect_error(ErrorKind::timeout, [&] { stream->read_some(buf, sizeof buf, Deadline::after(0s)); }, {"TLS read"});
  expect_error(ErrorKind::timeout, [&] { stream->write_all("x", 1, Deadline::after(0s)); }, {"TLS write"});
  expect_echo(*stream, 1000);  // nothing was touched
}

TEST(NetTls, WrapTlsOverACallersStream) {
  TlsEchoServer server({.identity = pki().server});
  const TlsContext context(trusting_ca());
  auto tcp = connect_tcp("127.0.0.1", server.port(), {}, Deadline::after(10s));
  auto stream = wrap_tls(std::move(tcp), "localhost", context, Deadline::after(10s));
  expect_echo(*stream, 1000);
  EXPECT_EQ(server.last_server_name(), "localhost");
}

TEST(NetTls, BadOptionsAreConfigErrorsNamingTheFile) {
  expect_error(ErrorKind::config, [] { TlsContext c(trusting("/nonexistent/ca.pem")); },
               {"tls.ca_file '/nonexistent/ca.pem'"});
  expect_error(ErrorKind::config, [] { TlsContext c(with_files("/nonexistent/certs", "", "")); },
               {"tls.ca_dir '/nonexistent/certs'"});
  expect_error(ErrorKind::config, [] { TlsContext c(with_files("", "", pki().client.key)); }, {"tls.cert_file is not"});
  expect_error(ErrorKind::config, [] { TlsContext c(with_files("", pki().client.cert, pki().server.key)); },
               {"does not match"});
  expect_error(ErrorKind::config, [] { TlsContext c(with_files("", "/nonexistent/client.pem", "")); },
               {"tls.cert_file '/nonexistent/client.pem'"});
}

TEST(NetTls, UseAfterCloseIsAUsageError) {
  TlsEchoServer server({.identity = pki().server});
  auto stream = connect_tls("localhost", server.port(), {}, trusting_ca(), Deadline::after(10s));
  stream->close();
  stream->close();
  char buf[8];
  expect_error(ErrorKind::usage, [&] { stream->read_some(buf, sizeof buf, Deadline::after(1s)); }, {"closed"});
  expect_error(ErrorKind::usage, [&] { stream->write_all("x", 1, Deadline::after(1s)); }, {"closed"});
}

}  // namespace
}  // namespace chconn::net
