// Making connections from a Config: turned-off TLS certificate verification is logged once per
// connector, at warning, through the config's logger — never once per connection, and never when
// verification is on; and TLS options without secure = true are refused before anything connects,
// by connectors and by NativeConnection::connect alike. The TLS connections go to an in-process
// TLS server on loopback (tests/support/net_tls.h) that closes each one right after the handshake,
// so each connect() really runs a TLS handshake and then fails.
#include "chconn/connection/connector.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "chconn/connection/native_connection.h"
#include "chconn/core/config.h"
#include "chconn/core/error.h"
#include "chconn/strategy/direct.h"
#include "chconn/strategy/mock.h"
#include "support/expect_error.h"
#include "support/mock_support.h"
#include "support/net_loopback.h"
#include "support/net_tls.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;

const test::TestPki& pki() {
  static const test::TestPki instance = test::TestPki::create();
  return instance;
}

std::vector<std::string> mentioning(const std::vector<std::string>& messages, std::string_view part) {
  std::vector<std::string> out;
  for (const auto& m : messages)
    if (m.find(part) != std::string::npos) out.push_back(m);
  return out;
}

Config tls_config(const test::TlsEchoServer& server, const test::CapturingLog& log) {
  Config config;
  config.hosts = {{server.host(), server.port()}};
  config.secure = true;
  config.password = "hunter2";
  config.timeouts.connect = 10s;
  config.logger = log.logger();
  return config;
}

TEST(NativeConnector, TurnedOffVerificationIsLoggedOncePerConnector) {
  test::TlsEchoServer server({.identity = pki().server, .mode = test::TlsServerMode::close_after_handshake});
  test::CapturingLog log;
  Config config = tls_config(server, log);
  config.tls.verify = false;

  const auto connector = native_connector(config);
  for (int i = 0; i < 3; ++i) EXPECT_THROW((void)connector->connect(Deadline::after(10s)), Error);
  EXPECT_EQ(server.handshakes_ok(), 3) << "each connect() ran a TLS handshake";

  const auto warnings = mentioning(log.messages(LogLevel::warning), "verification is off");
  ASSERT_EQ(warnings.size(), 1u) << "once per connector, not per connection";
  EXPECT_NE(warnings.front().find(to_string(config.hosts.front())), std::string::npos) << warnings.front();
  EXPECT_EQ(warnings.front().find("hunter2"), std::string::npos) << warnings.front();

  // A second connector (another strategy made from the same config) says it once more.
  (void)native_connector(config, config.hosts.front());
  EXPECT_EQ(mentioning(log.messages(LogLevel::warning), "verification is off").size(), 2u);
}

TEST(NativeConnector, VerifiedTlsLogsNoWarning) {
  test::TlsEchoServer server({.identity = pki().server, .mode = test::TlsServerMode::close_after_handshake});
  test::CapturingLog log;
  Config config = tls_config(server, log);
  config.tls.ca_file = pki().ca.cert;

  const auto connector = native_connector(config);
  EXPECT_THROW((void)connector->connect(Deadline::after(10s)), Error);
  EXPECT_EQ(server.handshakes_ok(), 1);
  EXPECT_TRUE(mentioning(log.messages(LogLevel::warning), "verification").empty());
}

// A plain listener that counts what it accepts: a TLS option without secure must not reach it (the
// password would go out in plain text), whichever way the connection is made.
TEST(NativeConnection, TlsOptionsWithoutSecureNeverConnect) {
  test::LoopbackServer server({.mode = test::ServerMode::close_at_once});
  Config config;
  config.hosts = {{server.host(), server.port()}};
  config.password = "hunter2";
  config.tls.ca_file = "/etc/ssl/ca.pem";  // only named: nothing may get as far as reading it
  for (const auto& attempt : std::vector<std::function<void()>>{
           [&] { (void)NativeConnection::connect(config, config.hosts.front(), Deadline::after(10s)); },
           [&] { (void)native_connector(config)->connect(Deadline::after(10s)); },
       }) {
    const Error e = test::thrown_error([&] { attempt(); });
    EXPECT_EQ(e.kind(), ErrorKind::config) << e.what();
    EXPECT_NE(std::string(e.what()).find("ca_file"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
  }
  EXPECT_EQ(server.accepted(), 0);
}

// ----- Several hosts in turn ----------------------------------------------------------------------

std::shared_ptr<MockConnector> mock_host(const std::shared_ptr<MockServer>& server, std::string address) {
  return std::make_shared<MockConnector>(server, std::vector<std::string>{std::move(address)});
}

TEST(ConnectorOverHosts, WhenNoHostAnswersTheErrorSaysWhatEachMet) {
  auto a = std::make_shared<MockServer>();
  auto b = std::make_shared<MockServer>();
  auto c = std::make_shared<MockServer>();
  a->fail_next_connects(1,
                        Error(ErrorKind::timeout, "connect to a:9000 timed out: the connect timeout of 1 s expired"));
  b->fail_next_connects(1, Error(ErrorKind::network, "connect to b:9000: connection refused"));
  c->fail_next_connects(1,
                        Error(ErrorKind::timeout, "connect to c:9000 timed out: the connect timeout of 1 s expired"));
  const auto hosts = connector_over_hosts({mock_host(a, "a:9000"), mock_host(b, "b:9000"), mock_host(c, "c:9000")});
  EXPECT_EQ(hosts->describe(), "a:9000,b:9000,c:9000");
  ASSERT_EQ(hosts->host_connectors().size(), 3u);
  const Error e = test::thrown_error([&] { (void)hosts->connect(Deadline::after(10s)); });
  EXPECT_EQ(e.kind(), ErrorKind::timeout) << "the last host's kind";
  const std::string m = e.message();
  EXPECT_NE(m.find("none of the 3 hosts a:9000,b:9000,c:9000 gave a connection"), std::string::npos) << m;
  EXPECT_NE(m.find("connect to a:9000 timed out: the connect timeout of 1 s expired"), std::string::npos) << m;
  EXPECT_NE(m.find("connect to b:9000: connection refused"), std::string::npos) << m;
  EXPECT_NE(m.find("connect to c:9000 timed out: the connect timeout of 1 s expired"), std::string::npos) << m;
  // The next connect starts again at the first host, which now answers.
  EXPECT_NE(hosts->connect(Deadline::after(10s)), nullptr);
  EXPECT_EQ(a->connections_made(), 1u);
}

// A refused login will not improve on another host of the same cluster: it is thrown as it is.
TEST(ConnectorOverHosts, AFailureThatIsNotTheHostsStopsAtOnce) {
  auto a = std::make_shared<MockServer>();
  auto b = std::make_shared<MockServer>();
  a->fail_next_connects(1, Error::from_server(516, "DB::Exception", "default: Authentication failed"));
  const auto hosts = connector_over_hosts({mock_host(a, "a:9000"), mock_host(b, "b:9000")});
  const Error e = test::thrown_error([&] { (void)hosts->connect(Deadline::after(10s)); });
  EXPECT_EQ(e.kind(), ErrorKind::server);
  EXPECT_EQ(e.server_code(), 516);
  EXPECT_EQ(e.message().find("none of the"), std::string::npos) << e.message();
  EXPECT_EQ(b->connect_attempts(), 0u);
}

// Hosts whose turn comes after the deadline are named as such, and the error is a timeout.
TEST(ConnectorOverHosts, HostsWithoutATurnBeforeTheDeadlineAreNamed) {
  ManualClock clock;
  auto a = std::make_shared<MockServer>(MockServer::Options{.clock = &clock});
  auto b = std::make_shared<MockServer>(MockServer::Options{.clock = &clock});
  a->set_connect_hook([&] {
    clock.advance(2s);
    throw Error(ErrorKind::network, "connect to a:9000: no route to host");
  });
  const auto hosts = connector_over_hosts({mock_host(a, "a:9000"), mock_host(b, "b:9000")}, &clock);
  const Error e =
      test::thrown_error([&] { (void)hosts->connect(Deadline::after(1s, clock).named("the caller's deadline")); });
  EXPECT_EQ(e.kind(), ErrorKind::network) << "what the last host tried met";
  EXPECT_NE(e.message().find("b:9000 had no turn before the caller's deadline of 1 s passed"), std::string::npos)
      << e.message();
  EXPECT_EQ(b->connect_attempts(), 0u);
  EXPECT_THROW((void)connector_over_hosts({}), Error);
  EXPECT_THROW((void)connector_over_hosts({nullptr}), Error);
}

// Three silent hosts (they accept and never say Hello) with a connect timeout of 200 ms: each
// host's attempt ends at its own timeout, and that is the limit every message names, never the
// strategy's bound over all of them.
TEST(NativeConnector, SeveralSilentHostsEachNameTheirOwnConnectTimeout) {
  test::LoopbackServer h1({.mode = test::ServerMode::silent});
  test::LoopbackServer h2({.mode = test::ServerMode::silent});
  test::LoopbackServer h3({.mode = test::ServerMode::silent});
  Config config;
  config.hosts = {{h1.host(), h1.port()}, {h2.host(), h2.port()}, {h3.host(), h3.port()}};
  config.timeouts.connect = 200ms;
  DirectStrategy direct(config);
  const Error e = test::thrown_error([&] { (void)direct.acquire(Deadline::never()); });
  EXPECT_EQ(e.kind(), ErrorKind::timeout);
  const std::string m = e.message();
  std::size_t named = 0;
  for (std::size_t at = m.find("the connect timeout of 200 ms expired"); at != std::string::npos;
       at = m.find("the connect timeout of 200 ms expired", at + 1)) {
    ++named;
  }
  EXPECT_EQ(named, 3u) << m;
  EXPECT_EQ(m.find("600 ms"), std::string::npos) << m;
  EXPECT_EQ(m.find("800 ms"), std::string::npos) << m;
  EXPECT_EQ(h1.accepted() + h2.accepted() + h3.accepted(), 3);
}

}  // namespace
}  // namespace chconn
