// The rollout strategy on two real servers: sandbox "main" is arm A, sandbox "tokyo" arm B (both
// ClickHouse 18.16, whichever time zone). `chconn bench --strategy rollout` runs under load while
// its share moves 0 -> 50 -> 100 and the kill switch goes on; no call may fail, and each arm's
// lease count must equal the number of the bench's queries that the arm's server logged
// (system.query_log, the query text carrying a marker of this run). Timings are printed, never
// asserted.
#include <unistd.h>

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "cli_support.h"
#include "mini_json.h"
#include "support/sandbox.h"

namespace chconn::test {
namespace {

// A DSN as the value of a DSN parameter: every reserved character percent-encoded.
std::string encode_value(std::string_view text) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '.' || c == '_' || c == '-') {
      out += c;
    } else {
      out += '%';
      out += k_hex[u >> 4];
      out += k_hex[u & 15];
    }
  }
  return out;
}

// The number of finished queries whose text is exactly `query` on the server at `port`.
long logged(std::uint16_t port, const std::string& query) {
  const std::string binary = chconn_binary();
  const std::string p = std::to_string(port);
  const auto flush = run_process({binary, "--host", "127.0.0.1", "--port", p, "-q", "SYSTEM FLUSH LOGS"});
  EXPECT_EQ(flush.exit_code, 0) << flush.err;
  std::string quoted;
  for (const char c : query) {
    if (c == '\'' || c == '\\') quoted += '\\';
    quoted += c;
  }
  const auto r = run_process({binary, "--host", "127.0.0.1", "--port", p, "-q",
                              "SELECT count() FROM system.query_log WHERE type = 2 AND query = '" + quoted + "'"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return std::stol(r.out);
}

TEST(CliRollout, ShareMovedZeroFiftyHundredThenKilledUnderLoadFailsNothingAndCountsMatchTheServers) {
  const std::string binary = chconn_binary();
  ASSERT_FALSE(binary.empty()) << "build the chconn_cli target first (or set CHCONN_CLI_BINARY)";
  const std::uint16_t port_a = sandbox("main").native_port;
  const std::uint16_t port_b = sandbox("tokyo").native_port;
  const std::string marker = "rollout-" + std::to_string(::getpid()) + "-" +
                             std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  const std::string query = "SELECT '" + marker + "'";
  const std::string arm_b = "clickhouse://127.0.0.1:" + std::to_string(port_b) + "?setting.log_queries=1";
  const std::string dsn = "clickhouse://127.0.0.1:" + std::to_string(port_a) +
                          "?strategy=rollout&setting.log_queries=1&rollout_b=" + encode_value(arm_b);

  const auto r = run_process({binary, "--dsn", dsn, "bench", "-q", query, "-c", "4", "--count", "1000000", "--duration",
                              "6s", "--rollout-step", "1500ms:50", "--rollout-step", "3s:100", "--rollout-step",
                              "4500ms:kill", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  Json j;
  ASSERT_NO_THROW(j = Json::parse(r.out)) << r.out;
  std::cout << "[ rollout  ] " << j["ok"].number() << " queries in " << j["elapsed_s"].number() << " s\n";
  EXPECT_EQ(j["failed"].number(), 0);
  EXPECT_GT(j["ok"].number(), 0);

  const auto& arms = j["arms"].array();
  ASSERT_EQ(arms.size(), 2u);
  const Json& a = arms[0];
  const Json& b = arms[1];
  EXPECT_EQ(a["arm"].string(), "a");
  EXPECT_EQ(b["arm"].string(), "b");
  EXPECT_EQ(b["strategy"].string(), "rollout.b");
  std::cout << "[ rollout  ] arm a " << a["leases"].number() << " leases, arm b " << b["leases"].number()
            << " leases; held p99 a " << a["held_ms"]["p99"].number() << " ms, b " << b["held_ms"]["p99"].number()
            << " ms\n";
  EXPECT_GT(a["leases"].number(), 0) << "0 % and killed phases went to A";
  EXPECT_GT(b["leases"].number(), 0) << "the 50 % and 100 % phases went to B";
  EXPECT_EQ(a["leases"].number() + b["leases"].number(), j["ok"].number());
  EXPECT_EQ(a["failed"].number() + b["failed"].number(), 0);
  EXPECT_EQ(a["acquire_errors"].number() + b["acquire_errors"].number(), 0);
  EXPECT_EQ(b["share"].number(), 0) << "killed at the end";
  EXPECT_EQ(a["share"].number(), 100);

  std::vector<std::string> events;
  for (const Json& e : j["events"].array()) events.push_back(e["what"].string());
  EXPECT_EQ(events,
            (std::vector<std::string>{"rollout: share 50 %", "rollout: share 100 %", "rollout: kill switch on"}));

  // Where the queries really went: each server's own log of this run's query.
  EXPECT_EQ(logged(port_a, query), static_cast<long>(a["leases"].number()));
  EXPECT_EQ(logged(port_b, query), static_cast<long>(b["leases"].number()));
}

TEST(CliRollout, RolloutStepNeedsTheRolloutStrategy) {
  const std::string binary = chconn_binary();
  ASSERT_FALSE(binary.empty());
  const auto r = run_process({binary, "--host", "127.0.0.1", "--port", std::to_string(sandbox("main").native_port),
                              "bench", "--strategy", "pooled", "--count", "1", "--rollout-step", "1s:50"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--rollout-step needs --strategy rollout"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace chconn::test
