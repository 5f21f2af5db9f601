// A SIGSTOPped server keeps its sockets but answers nothing, the Cancel after a timeout included:
// the caller's deadline must still end the call, the drain within it (issue 13, item 2) — on a
// NativeConnection, through the ConnectionManager over a pool (execute, select, insert), and
// through `chconn bench --manager --deadline`. Before the fix each call took its deadline plus the
// whole cancel_drain_timeout (1 s + 5 s = 6.0 s). Only generous upper bounds are asserted.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chconn/connection/connector.h"
#include "chconn/core/error.h"
#include "chconn/factory/factory.h"
#include "chconn/manager/manager.h"
#include "chconn/strategy/pooled.h"
#include "fault/fault_support.h"
#include "integration/cli_support.h"
#include "integration/mini_json.h"
#include "support/connection_helpers.h"
#include "support/mock_support.h"
#include "support/sandbox.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;
using test::sandbox_cmd;

constexpr const char* k_server = "fault1";
constexpr Ms k_deadline = 1s;
constexpr Ms k_slack = 500ms;  // far below any drain tested

long long ms(steady::duration d) { return std::chrono::duration_cast<Ms>(d).count(); }

// SIGCONT for the server when the object ends, whatever the test did (it may have stopped it).
class ResumeAtEnd {
 public:
  explicit ResumeAtEnd(std::string name) : name_(std::move(name)) {}
  ~ResumeAtEnd() { sandbox_cmd("resume", name_); }
  ResumeAtEnd(const ResumeAtEnd&) = delete;
  ResumeAtEnd& operator=(const ResumeAtEnd&) = delete;

 private:
  std::string name_;
};

class StoppedServerDeadline : public ::testing::TestWithParam<Ms> {
 protected:
  void SetUp() override {
    sandbox_cmd("resume", k_server);  // in case an earlier test left it paused
    config = test::fault_config({{"127.0.0.1", test::sandbox(k_server).native_port}}, "chconn-deadline-fault", 300s,
                                GetParam());
    // Only the caller's deadline may end these calls in time.
    config.timeouts.query = 600s;
    config.timeouts.connect = 5s;
  }

  // Runs call(deadline) with a 1 s deadline; checks it failed with Error(timeout) naming the
  // caller's deadline, within the deadline and the slack.
  void expect_ends_at_deadline(const std::string& what, const std::function<void(Deadline)>& call) {
    std::optional<Error> error;
    const steady::time_point start = steady::now();
    try {
      call(Deadline::after(k_deadline));
    } catch (const Error& e) {
      error = e;
    }
    const steady::duration took = steady::now() - start;
    ASSERT_TRUE(error.has_value()) << what << ": succeeded against a stopped server";
    std::cout << "[figures] stopped server, " << what << " (deadline 1000 ms, cancel drain " << GetParam().count()
              << " ms): " << ms(took) << " ms: " << error->what() << "\n";
    EXPECT_EQ(error->kind(), ErrorKind::timeout) << error->what();
    EXPECT_NE(std::string(error->what()).find("the caller's deadline of 1 s"), std::string::npos) << error->what();
    EXPECT_LE(took, k_deadline + k_slack) << what;
  }

  Config config;
};

TEST_P(StoppedServerDeadline, ConnectionCallEndsAtTheDeadline) {
  auto conn = test::connect(config);
  conn->ping(Deadline::after(5s));
  const ResumeAtEnd resume(k_server);
  ASSERT_TRUE(sandbox_cmd("pause", k_server));
  expect_ends_at_deadline("NativeConnection::execute",
                          [&](Deadline d) { conn->execute("SELECT 1", QueryOptions{.deadline = d}); });
  EXPECT_FALSE(conn->usable());
}

TEST_P(StoppedServerDeadline, ManagerCallsEndAtTheDeadline) {
  test::connect(config)->execute("CREATE TABLE IF NOT EXISTS deadline_fault (x UInt64) ENGINE = Memory");
  const Block block = test::uint64_block("x", {1, 2, 3});
  const std::vector<std::pair<std::string, std::function<void(ConnectionManager&, Deadline)>>> calls = {
      {"manager execute",
       [](ConnectionManager& m, Deadline d) { m.execute("SELECT 1", {}, ExecuteOptions{.deadline = d}); }},
      {"manager select",
       [](ConnectionManager& m, Deadline d) {
         m.select(
             "SELECT 1", [](const Block&) {}, ExecuteOptions{.deadline = d});
       }},
      {"manager insert",
       [&](ConnectionManager& m, Deadline d) {
         m.insert("deadline_fault", std::span<const Block>(&block, 1), ExecuteOptions{.deadline = d});
       }},
  };
  for (const auto& [what, call] : calls) {
    auto pool = std::make_shared<PooledStrategy>(native_connector(config), config);
    ConnectionManager manager(test::factory_of(pool), test::fault_manager_options());
    manager.execute("SELECT 1");  // one idle connection, so the call below is sent and then stalls
    ASSERT_EQ(pool->stats().idle, 1u);
    const ResumeAtEnd resume(k_server);
    ASSERT_TRUE(sandbox_cmd("pause", k_server));
    expect_ends_at_deadline(what, [&, &run = call](Deadline d) { run(manager, d); });
    EXPECT_EQ(pool->stats().idle, 0u) << what << ": the connection left mid-query went back to the pool";
  }
}

INSTANTIATE_TEST_SUITE_P(Drain, StoppedServerDeadline, ::testing::Values(Ms(5s), Ms(30s)),
                         [](const ::testing::TestParamInfo<Ms>& p) {
                           return "drain_" + std::to_string(p.param.count() / 1000) + "s";
                         });

// `chconn bench --manager --deadline 1s`: the server is stopped (by the bench's own --fault) while
// the call's query runs; the call ends at its deadline, not 5 s of drain later.
TEST(StoppedServerDeadlineCli, BenchCallEndsAtItsDeadline) {
  sandbox_cmd("resume", k_server);
  const std::string binary = test::chconn_binary();
  ASSERT_FALSE(binary.empty()) << "build the chconn_cli target first (or set CHCONN_CLI_BINARY)";
  const test::SandboxServer server = test::sandbox(k_server);
  test::ProcessResult r;
  {
    const ResumeAtEnd resume(k_server);  // the bench stops the server itself (--fault)
    r = test::run_process({binary, "--host", "127.0.0.1", "--port", std::to_string(server.native_port), "bench",
                           "--manager", "--deadline", "1s", "--strategy", "direct", "--count", "1", "--json", "--query",
                           "SELECT sleep(3)", "--fault", "300ms:kill -STOP " + std::to_string(server.pid)});
  }
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  const test::Json report = test::Json::parse(r.out);
  const double elapsed_s = report["elapsed_s"].number();
  const std::string first = report["errors"]["timeout"]["first"].string();
  std::cout << "[figures] stopped server, chconn bench --manager --deadline 1s (cancel drain 5000 ms): "
            << elapsed_s * 1000 << " ms: " << first << "\n";
  EXPECT_LE(elapsed_s, 1.5) << r.out;
  EXPECT_NE(first.find("the --deadline of 1 s"), std::string::npos) << first;
}

}  // namespace
}  // namespace chconn
