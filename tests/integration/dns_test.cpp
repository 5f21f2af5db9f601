// Host names against a real server, and the CLI's --connect-timeout bounding resolution: through
// dns_servers (a fake DNS server on a loopback port, tests/support/fake_dns.h), and through the
// system's /etc/resolv.conf, replaced in a private mount namespace of the CLI's process.
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "chconn/connection/native_connection.h"
#include "chconn/core/config.h"
#include "cli_support.h"
#include "support/expect_error.h"
#include "support/fake_dns.h"
#include "support/sandbox.h"

namespace chconn::test {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

// Generous for a loaded machine, and well under the 5-10 s of the system resolver's retries.
constexpr auto k_slack = 3s;
const std::string k_name = "db1.chconn.test";

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string dns_param(const FakeDnsServer& dns) { return "dns_servers=" + to_string(dns.address()); }

TEST(Dns, TheLibraryConnectsToLocalhost) {
  const SandboxServer server = sandbox("main");
  Config config;
  config.hosts = {{"localhost", server.native_port}};
  auto connection = NativeConnection::connect(config, config.hosts.front(), Deadline::after(10s));
  EXPECT_EQ(connection->execute("SELECT 1").row_count(), 1u);
}

TEST(Dns, TheCliConnectsToLocalhost) {
  const SandboxServer server = sandbox("main");
  const auto r = run_process(
      {chconn_binary(), "--host", "localhost", "--port", std::to_string(server.native_port), "-q", "SELECT 1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n");
}

TEST(Dns, TheCliConnectsByANameFromItsDnsServers) {
  const SandboxServer server = sandbox("main");
  FakeDnsServer dns({.records = {{k_name, "127.0.0.1", 300}}});
  const std::string dsn = "clickhouse://" + k_name + ":" + std::to_string(server.native_port) + "?" + dns_param(dns);
  const auto r = run_process({chconn_binary(), "--dsn", dsn, "-q", "SELECT 1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n");
  EXPECT_GE(dns.queries_for(k_name), 1);
}

TEST(Dns, TheCliConnectTimeoutBoundsResolution) {
  FakeDnsServer dns({.mode = DnsMode::silent});
  const std::string dsn = "clickhouse://" + k_name + ":9000?" + dns_param(dns);
  const auto start = Steady::now();
  const auto r = run_process({chconn_binary(), "--dsn", dsn, "--connect-timeout", "1s", "-q", "SELECT 1"});
  const auto took = Steady::now() - start;
  EXPECT_EQ(r.exit_code, 209) << r.err;  // clickhouse-client's status for a timeout
  EXPECT_TRUE(contains(r.err, "Code: 209. DB::NetException: ")) << r.err;
  EXPECT_TRUE(contains(r.err, "resolve " + k_name + " timed out: the connect timeout of 1 s expired")) << r.err;
  EXPECT_GE(took, 1s) << r.err;
  EXPECT_LT(took, 1s + k_slack) << r.err;
  EXPECT_GE(dns.queries_for(k_name), 1);
}

// The CLI as users run it, with the system's resolver: /etc/resolv.conf names a DNS server that
// never answers. Before c-ares this took getaddrinfo()'s 2 tries of 5 s and failed as a network
// error, whatever --connect-timeout said.
TEST(Dns, TheCliConnectTimeoutBoundsTheSystemResolver) {
  if (run_process({"/usr/bin/unshare", "--mount", "--", "/usr/bin/true"}).exit_code != 0) {
    GTEST_SKIP() << "replacing /etc/resolv.conf needs a private mount namespace (unshare --mount, as root)";
  }
  // resolv.conf has no port: the fake server takes port 53 of a loopback address of its own.
  const std::string address =
      "127.53." + std::to_string((::getpid() >> 8) & 0xff) + "." + std::to_string(1 + (::getpid() & 0x7f));
  FakeDnsServer dns({.mode = DnsMode::silent, .host = address, .port = 53});
  const auto conf = std::filesystem::temp_directory_path() / ("chconn-resolv-" + std::to_string(::getpid()) + ".conf");
  std::ofstream(conf) << "nameserver " << address << "\n";

  const auto start = Steady::now();
  // sh's $0 is the file to mount over /etc/resolv.conf, "$@" the command to run under it.
  const auto r = run_process({"/usr/bin/unshare", "--mount", "--", "/usr/bin/sh", "-c",
                              "mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"", conf.string(), chconn_binary(),
                              "--host", k_name, "--connect-timeout", "1s", "-q", "SELECT 1"});
  const auto took = Steady::now() - start;
  std::filesystem::remove(conf);
  EXPECT_EQ(r.exit_code, 209) << r.err;  // clickhouse-client's status for a timeout
  EXPECT_TRUE(contains(r.err, "Code: 209. DB::NetException: ")) << r.err;
  EXPECT_TRUE(contains(r.err, "resolve " + k_name + " timed out: the connect timeout of 1 s expired")) << r.err;
  EXPECT_TRUE(contains(r.err, address + ":53")) << r.err;  // the server of resolv.conf was asked
  EXPECT_GE(dns.queries_for(k_name), 1);
  EXPECT_LT(took, 1s + k_slack) << r.err;
}

}  // namespace
}  // namespace chconn::test
