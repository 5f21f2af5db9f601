// Making connections from a Config: TLS options without secure = true are refused before anything
// connects, by connectors and by NativeConnection::connect alike.
#include "chconn/connection/connector.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "chconn/connection/native_connection.h"
#include "chconn/core/config.h"
#include "chconn/core/error.h"
#include "support/net_loopback.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;

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
