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
#include <string>
#include <vector>

#include "chconn/connection/native_connection.h"
#include "chconn/core/config.h"
#include "chconn/core/error.h"
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
    try {
      attempt();
      ADD_FAILURE() << "connected";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::config) << e.what();
      EXPECT_NE(std::string(e.what()).find("ca_file"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(server.accepted(), 0);
}

}  // namespace
}  // namespace chconn
