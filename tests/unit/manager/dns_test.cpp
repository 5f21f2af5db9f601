// A managed call's deadline bounds the resolution of its host's name: the whole path from
// ConnectionManager through the factory's strategies and their connector down to the Resolver,
// with Config::dns_servers pointing at a fake DNS server (tests/support/fake_dns.h). No ClickHouse
// server is needed: the call never gets past resolving, or reaches a loopback peer.
#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "chconn/core/config.h"
#include "chconn/core/error.h"
#include "chconn/factory/factory.h"
#include "chconn/manager/manager.h"
#include "support/expect_error.h"
#include "support/fake_dns.h"
#include "support/net_loopback.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;
using test::DnsMode;
using test::expect_error;
using test::FakeDnsServer;
using Steady = std::chrono::steady_clock;

// Generous for a loaded machine, and well under the 5-10 s of the system resolver's retries.
constexpr auto k_slack = 3s;
const std::string k_name = "db1.chconn.test";

std::shared_ptr<ConnectionFactory> factory_for(const std::string& strategy, const FakeDnsServer& dns,
                                               std::uint16_t port = 9000) {
  Config config;
  config.hosts = {{k_name, port}};
  config.dns_servers = {dns.address()};
  config.strategy = strategy;
  auto factory = std::make_shared<ConnectionFactory>();
  initialize(*factory, config);
  return factory;
}

TEST(ManagerDns, AManagedCallsDeadlineBoundsResolution) {
  FakeDnsServer dns({.mode = DnsMode::silent});
  for (const std::string strategy : {"direct", "pooled", "failover"}) {
    SCOPED_TRACE(strategy);
    ConnectionManager manager(factory_for(strategy, dns));  // connect timeout: the default 10 s
    ExecuteOptions options;
    options.deadline = Deadline::after(500ms);
    const auto start = Steady::now();
    const std::string message = expect_error(ErrorKind::timeout, [&] { manager.execute("SELECT 1", {}, options); }, {});
    const auto took = Steady::now() - start;
    EXPECT_GE(took, 500ms) << message;
    EXPECT_LT(took, 500ms + k_slack) << message;
  }
  EXPECT_GE(dns.queries_for(k_name), 3);
}

TEST(ManagerDns, TheTimeoutNamesTheHostAndTheLimit) {
  FakeDnsServer dns({.mode = DnsMode::silent});
  ConnectionManager manager(factory_for("direct", dns));
  ExecuteOptions options;
  options.deadline = Deadline::after(700ms);
  const std::string message = expect_error(
      ErrorKind::timeout, [&] { manager.execute("SELECT 1", {}, options); },
      {"resolve " + k_name + " timed out: the caller's deadline of 700 ms expired", "no answer from the DNS server"});
}

TEST(ManagerDns, ANameTheServerAnswersIsConnectedTo) {
  // The fake DNS server sends the name to a loopback peer that closes at once: the call fails
  // after connecting (not while resolving), which shows the answer was used.
  test::LoopbackServer peer({.mode = test::ServerMode::close_at_once});
  FakeDnsServer dns({.records = {{k_name, "127.0.0.1", 300}}});
  ConnectionManager manager(factory_for("direct", dns, peer.port()));
  ExecuteOptions options;
  options.deadline = Deadline::after(5s);
  const Error e = test::thrown_error([&] { manager.execute("SELECT 1", {}, options); });
  EXPECT_EQ(e.message().find("resolve "), std::string::npos) << e.what();
  EXPECT_GE(peer.accepted(), 1);
  EXPECT_GE(dns.queries_for(k_name), 1);
}

TEST(ManagerDns, ADnsServerThatIsNotAnAddressIsAConfigError) {
  Config config;
  config.hosts = {{k_name, 9000}};
  config.dns_servers = {{"dns.example.com", 53}};
  config.strategy = "direct";
  ConnectionFactory factory;
  expect_error(ErrorKind::config, [&] { initialize(factory, config); }, {"DNS server 'dns.example.com'"});
}

}  // namespace
}  // namespace chconn
