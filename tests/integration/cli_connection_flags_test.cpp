// The chconn CLI's connection flags against hostile or mistaken input: where a host and a port may
// be given (-h host:port, -h [v6]:port, --port, CLICKHOUSE_PORT, the DSN) and what happens when
// they disagree; TLS options that would be ignored without --secure (an error before anything
// connects); and turned-off certificate verification, which is allowed but never silent.
//
// "Nothing connected" is checked with loopback listeners that count what they accept
// (tests/support/net_loopback.h), not by timing.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "cli_support.h"
#include "support/net_loopback.h"
#include "support/sandbox.h"

namespace chconn::test {
namespace {

constexpr std::string_view k_secret = "Never-Shown-77";
// A stable part of the stderr warning for turned-off verification.
constexpr std::string_view k_warning = "TLS certificate verification is off";
// A stable part of the mark in `config` and `health` output.
constexpr std::string_view k_mark = "TLS CERTIFICATE NOT VERIFIED";

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

std::size_t count(const std::string& haystack, std::string_view needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + needle.size())) ++n;
  return n;
}

class CliFlags : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = chconn_binary();
    ASSERT_FALSE(binary_.empty()) << "build the chconn_cli target first (or set CHCONN_CLI_BINARY)";
  }

  // chconn with `args`; the environment variables this test reads are cleared first (an empty
  // value counts as unset), then `env` is applied.
  ProcessResult chconn(std::vector<std::string> args, std::vector<std::string> env = {}) {
    std::vector<std::string> vars{"CLICKHOUSE_DSN=",  "CLICKHOUSE_HOST=",   "CLICKHOUSE_PORT=",
                                  "CLICKHOUSE_USER=", "CLICKHOUSE_SECURE=", "CLICKHOUSE_PASSWORD="};
    vars.insert(vars.end(), env.begin(), env.end());
    args.insert(args.begin(), binary_);
    return run_process(args, {}, vars);
  }

  std::string binary_;
};

// ----- hosts and ports -------------------------------------------------------------------------

TEST_F(CliFlags, HostWithPort) {
  const std::string port = std::to_string(sandbox("main").native_port);
  const auto r = chconn({"-h", "127.0.0.1:" + port, "-q", "SELECT 'via host:port'"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "via host:port\n");
  // The same port given both ways is fine.
  const auto same = chconn({"--host", "127.0.0.1:" + port, "--port", port, "-q", "SELECT 2"});
  EXPECT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(same.out, "2\n");
}

TEST_F(CliFlags, PortGivenTwiceThatDisagreesIsAnErrorBeforeConnecting) {
  LoopbackServer in_host({.mode = ServerMode::close_at_once});
  LoopbackServer in_flag({.mode = ServerMode::close_at_once});
  const auto r = chconn({"-h", "127.0.0.1:" + std::to_string(in_host.port()), "--port", std::to_string(in_flag.port()),
                         "--password", std::string(k_secret), "-q", "SELECT 1"});
  // Bad flags: clickhouse-client's "Bad arguments" and status 1 (the subcommands keep 2).
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "Bad arguments: ")) << r.err;
  EXPECT_TRUE(contains(r.err, "--port")) << r.err;
  EXPECT_TRUE(contains(r.err, "--host")) << r.err;
  EXPECT_TRUE(contains(r.err, std::to_string(in_host.port()))) << r.err;
  EXPECT_TRUE(contains(r.err, std::to_string(in_flag.port()))) << r.err;
  EXPECT_FALSE(contains(r.out + r.err, k_secret));
  EXPECT_EQ(in_host.accepted(), 0);
  EXPECT_EQ(in_flag.accepted(), 0);
}

TEST_F(CliFlags, PortMustAgreeWithTheDsnAndTheEnvironment) {
  // --port fills the hosts without a port and must agree with those that have one.
  const auto fills = chconn({"config", "--dsn", "clickhouse://db1,db2:9002", "--port", "9002"});
  EXPECT_EQ(fills.exit_code, 0) << fills.err;
  EXPECT_EQ(fills.out, "clickhouse://db1:9002,db2:9002\n");
  const auto dsn =
      chconn({"config", "--dsn", "clickhouse://app:" + std::string(k_secret) + "@db1:9001", "--port", "9002"});
  EXPECT_EQ(dsn.exit_code, 2) << dsn.err;
  EXPECT_TRUE(contains(dsn.err, "--port")) << dsn.err;
  EXPECT_TRUE(contains(dsn.err, "9001")) << dsn.err;
  EXPECT_TRUE(contains(dsn.err, "--dsn")) << dsn.err;
  EXPECT_FALSE(contains(dsn.out + dsn.err, k_secret));
  const auto env = chconn({"config", "--port", "9002"}, {"CLICKHOUSE_HOST=db1:9001"});
  EXPECT_EQ(env.exit_code, 2) << env.err;
  EXPECT_TRUE(contains(env.err, "--port")) << env.err;
  EXPECT_TRUE(contains(env.err, "9001")) << env.err;
  const auto env_port = chconn({"config"}, {"CLICKHOUSE_HOST=db1:9001", "CLICKHOUSE_PORT=9002"});
  EXPECT_EQ(env_port.exit_code, 2) << env_port.err;
  EXPECT_TRUE(contains(env_port.err, "CLICKHOUSE_PORT")) << env_port.err;
}

TEST_F(CliFlags, PortZeroIsAnError) {
  // Port 0 used to mean "the default" (9000): whatever listens there would have been used.
  for (const std::vector<std::string>& args : {
           std::vector<std::string>{"--host", "127.0.0.1", "--port", "0", "-q", "SELECT 1"},
           std::vector<std::string>{"config", "--port", "0"},
           std::vector<std::string>{"config", "--port", "65536"},
           std::vector<std::string>{"config", "--port", "-1"},
           std::vector<std::string>{"config", "--port", "9000x"},
           std::vector<std::string>{"config", "--port", ""},
       }) {
    const auto r = chconn(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    SCOPED_TRACE(joined);
    // The query command exits 1 for bad flags, as clickhouse-client; `config` keeps its 2.
    EXPECT_EQ(r.exit_code, args[0] == "config" ? 2 : 1) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, "--port")) << r.err;
    EXPECT_TRUE(contains(r.err, "1 to 65535")) << r.err;
    EXPECT_EQ(r.out, "");
  }
  const auto in_host = chconn({"config", "-h", "db1:0"});
  EXPECT_EQ(in_host.exit_code, 2) << in_host.out;
  EXPECT_TRUE(contains(in_host.err, "--host")) << in_host.err;
  EXPECT_TRUE(contains(in_host.err, "1 to 65535")) << in_host.err;
}

TEST_F(CliFlags, HostForms) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"-h", "db1"}, "clickhouse://db1\n"},
      {{"-h", "db1:9001"}, "clickhouse://db1:9001\n"},
      {{"-h", "[::1]"}, "clickhouse://[::1]\n"},
      {{"-h", "[::1]:9001"}, "clickhouse://[::1]:9001\n"},
      {{"-h", "::1"}, "clickhouse://[::1]\n"},
      {{"-h", "::1", "--port", "9001"}, "clickhouse://[::1]:9001\n"},
      {{"-h", "[::1]", "--port", "9001"}, "clickhouse://[::1]:9001\n"},
      {{"-h", "fe80::1%eth0"}, "clickhouse://[fe80::1%25eth0]\n"},
  };
  for (const auto& [args, expected] : cases) {
    std::vector<std::string> argv{"config"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = chconn(argv);
    SCOPED_TRACE(args[1]);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, expected);
  }
  for (const std::string bad : {"", "[::1", "[::1]x", "[db1]", "db1:", "db1:x", "db 1", "db1,db2", "::g"}) {
    const auto r = chconn({"config", "-h", bad});
    SCOPED_TRACE(bad);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_TRUE(contains(r.err, "--host")) << r.err;
    EXPECT_EQ(r.out, "");
  }
}

// The sandbox listens on 127.0.0.1 only, so a listener of our own on ::1 shows which address the
// CLI tried: each form must reach it (it closes at once, so the query itself fails).
TEST_F(CliFlags, BracketedIpv6HostIsConnectedTo) {
  if (!loopback_available(IpFamily::v6)) GTEST_SKIP() << "::1 cannot be bound on this machine";
  LoopbackServer v6({.mode = ServerMode::close_at_once, .family = IpFamily::v6});
  const std::string port = std::to_string(v6.port());
  int expected = 0;
  for (const std::vector<std::string>& host : {
           std::vector<std::string>{"-h", "[::1]", "--port", port},
           std::vector<std::string>{"-h", "[::1]:" + port},
           std::vector<std::string>{"-h", "::1", "--port", port},
       }) {
    std::vector<std::string> args = host;
    args.insert(args.end(), {"--connect-timeout", "5s", "-q", "SELECT 1"});
    const auto r = chconn(args);
    SCOPED_TRACE(host[1]);
    // Closed before the Hello: a network error, clickhouse-client's 210.
    EXPECT_EQ(r.exit_code, 210) << r.err;
    EXPECT_TRUE(contains(r.err, "Code: 210. DB::NetException: ")) << r.err;
    EXPECT_EQ(v6.accepted(), ++expected) << r.err;
  }
}

// ----- TLS options without --secure ------------------------------------------------------------

TEST_F(CliFlags, TlsOptionsWithoutSecureAreAnErrorBeforeConnecting) {
  LoopbackServer server({.mode = ServerMode::close_at_once});
  const std::string port = std::to_string(server.port());
  const std::string cert = sandbox("tls").cert_file;
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string mentions;
  };
  const std::vector<Case> cases = {
      {{"-h", "127.0.0.1", "--port", port, "--ca-file", cert}, {}, "ca_file"},
      {{"-h", "127.0.0.1", "--port", port, "--accept-invalid-certificate"}, {}, "tls_verify=false"},
      {{"--dsn", "clickhouse://app:" + std::string(k_secret) + "@127.0.0.1:" + port + "?tls_server_name=localhost"},
       {},
       "tls_server_name"},
      {{}, {"CLICKHOUSE_DSN=clickhouse://127.0.0.1:" + port + "?ca_file=" + cert}, "ca_file"},
      {{"-h", "127.0.0.1", "--port", port, "--ca-file", cert}, {"CLICKHOUSE_SECURE=false"}, "ca_file"},
  };
  for (const auto& tc : cases) {
    std::vector<std::string> args = tc.args;
    args.insert(args.end(), {"--password", std::string(k_secret), "-q", "SELECT 1"});
    const auto r = chconn(args, tc.env);
    SCOPED_TRACE(tc.mentions);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_TRUE(contains(r.err, "Bad arguments: ")) << r.err;
    EXPECT_TRUE(contains(r.err, tc.mentions)) << r.err;
    EXPECT_TRUE(contains(r.err, "secure")) << r.err;
    EXPECT_FALSE(contains(r.out + r.err, k_secret));
    EXPECT_EQ(server.accepted(), 0) << "a TLS option without --secure connected in plain text";
  }
  // `config` refuses it too.
  const auto config = chconn({"config", "--ca-file", cert});
  EXPECT_EQ(config.exit_code, 2) << config.out;
  EXPECT_EQ(config.out, "");
}

// ----- verification turned off -----------------------------------------------------------------

TEST_F(CliFlags, InsecureTlsWarnsOnceOnStderr) {
  const SandboxServer tls = sandbox("tls");
  const auto r = chconn({"--secure", "--accept-invalid-certificate", "-h", "127.0.0.1", "--port",
                         std::to_string(tls.tls_port), "-q", "SELECT 1; SELECT 2; SELECT 3"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n2\n3\n");
  EXPECT_EQ(count(r.err, k_warning), 1u) << r.err;
  EXPECT_TRUE(contains(r.err, "--accept-invalid-certificate")) << r.err;
  // Through the DSN, with the pooled strategy: still once.
  const auto dsn = chconn(
      {"--dsn",
       "clickhouse://127.0.0.1:" + std::to_string(tls.tls_port) + "?secure=true&skip_verify=true&strategy=pooled", "-q",
       "SELECT 4"});
  EXPECT_EQ(dsn.exit_code, 0) << dsn.err;
  EXPECT_EQ(dsn.out, "4\n");
  EXPECT_EQ(count(dsn.err, k_warning), 1u) << dsn.err;
  // Verification on: no warning.
  const auto verified = chconn({"--secure", "--ca-file", tls.cert_file, "-h", "127.0.0.1", "--port",
                                std::to_string(tls.tls_port), "-q", "SELECT 5"});
  EXPECT_EQ(verified.exit_code, 0) << verified.err;
  EXPECT_EQ(verified.err, "");
}

TEST_F(CliFlags, InsecureTlsIsMarkedInConfigAndHealth) {
  const SandboxServer tls = sandbox("tls");
  const auto config = chconn({"config", "--secure", "--accept-invalid-certificate", "-h", "db1"});
  EXPECT_EQ(config.exit_code, 0) << config.err;
  EXPECT_TRUE(contains(config.out, "clickhouse://db1?secure=true&tls_verify=false\n")) << config.out;
  EXPECT_TRUE(contains(config.out, k_mark)) << config.out;
  EXPECT_EQ(count(config.err, k_warning), 1u) << config.err;

  // health runs three strategies (direct, pooled, failover): one warning all the same.
  const auto health = chconn({"health", "--secure", "--accept-invalid-certificate", "-h", "127.0.0.1", "--port",
                              std::to_string(tls.tls_port)});
  EXPECT_EQ(health.exit_code, 0) << health.out << health.err;
  EXPECT_TRUE(contains(health.out, k_mark)) << health.out;
  EXPECT_TRUE(contains(health.out, "healthy")) << health.out;
  EXPECT_EQ(count(health.err, k_warning), 1u) << health.err;

  // Verified: no mark, no warning.
  const auto verified = chconn(
      {"health", "--secure", "--ca-file", tls.cert_file, "-h", "127.0.0.1", "--port", std::to_string(tls.tls_port)});
  EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
  EXPECT_FALSE(contains(verified.out, k_mark)) << verified.out;
  EXPECT_EQ(verified.err, "");
}

}  // namespace
}  // namespace chconn::test
