// Cancelling a running query on the 18.16 sandbox: through the library (QueryOptions::stop) and
// through the CLI (Ctrl-C on a pseudo-terminal, SIGTERM). Each test runs a query that would take
// 300 s (sleep(3) on each of 100 one-row blocks, no CPU), stops it once the server lists it in
// system.processes, and checks that the server then no longer lists it, polling with a bounded loop.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "chconn/connection/native_connection.h"
#include "chconn/core/error.h"
#include "cli_support.h"
#include "support/connection_helpers.h"
#include "support/expect_error.h"
#include "support/pty_child.h"

namespace chconn::test {
namespace {

using chconn::test::expect_error;

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

// How long the server may take to list a query, and to drop it after a Cancel (it stops a sleep(3)
// at the end of the block at the latest): generous bounds for a loaded machine.
constexpr auto k_appear_bound = 30s;
constexpr auto k_gone_bound = 30s;

std::string unique_marker(std::string_view what) {
  std::random_device rd;
  return "chconn-cancel-" + std::string(what) + "-" + std::to_string(rd());
}

// 100 blocks of one row, each sleeping 3 s on the server: 300 s unless cancelled.
std::string long_query(const std::string& marker) {
  return "SELECT sleep(3), '" + marker + "' FROM numbers(100) SETTINGS max_block_size = 1";
}

std::uint64_t running(Connection& probe, const std::string& marker) {
  const Result r = probe.execute("SELECT count() AS n FROM system.processes WHERE query LIKE '%" + marker +
                                 "%' AND query NOT LIKE '%system.processes%'");
  return r.value<std::uint64_t>("n");
}

// Polls system.processes until the query is listed (want = true) or not (false), or `bound` passes.
bool wait_listed(Connection& probe, const std::string& marker, bool want, Steady::duration bound) {
  const auto give_up = Steady::now() + bound;
  while (Steady::now() < give_up) {
    if ((running(probe, marker) > 0) == want) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

TEST(CancelQuery, StopTokenCancelsTheQueryOnTheServerAndKeepsTheConnection) {
  auto conn = connect_sandbox();
  auto probe = connect_sandbox();
  const std::string marker = unique_marker("api");
  std::stop_source source;
  QueryOptions options;
  options.stop = source.get_token();
  options.timeout = 600s;
  std::thread stopper([&] {
    if (wait_listed(*probe, marker, true, k_appear_bound)) source.request_stop();
  });
  const auto start = Steady::now();
  expect_error(ErrorKind::cancelled, [&] { conn->execute(long_query(marker), options); },
               {"cancelled on the server and the connection kept"});
  const auto elapsed = Steady::now() - start;
  stopper.join();
  std::printf("[cancel] api: cancelled after %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
  EXPECT_TRUE(wait_listed(*probe, marker, false, k_gone_bound)) << "the query still runs on the server";
  ASSERT_TRUE(conn->usable());
  EXPECT_EQ(conn->execute("SELECT 7 AS x").value<std::uint8_t>("x"), 7);  // the connection still works
}

class CliCancel : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = chconn_binary();
    ASSERT_FALSE(binary_.empty()) << "build the chconn_cli target first (or set CHCONN_CLI_BINARY)";
    port_ = std::to_string(sandbox("main").native_port);
    probe_ = connect_sandbox();
  }

  std::vector<std::string> argv(const std::string& marker) const {
    return {binary_, "--host", "127.0.0.1", "--port", port_, "--no-progress", "-q", long_query(marker)};
  }

  std::string binary_;
  std::string port_;
  std::unique_ptr<NativeConnection> probe_;
};

// Ctrl-C typed on a terminal: the terminal driver sends SIGINT to the foreground process group.
TEST_F(CliCancel, CtrlCOnATerminalCancelsTheQueryAndExits130) {
  const std::string marker = unique_marker("ctrl-c");
  PtyChild child(argv(marker));
  ASSERT_TRUE(wait_listed(*probe_, marker, true, k_appear_bound)) << "the query never started";
  child.type("\x03");
  const int status = child.wait_exit(std::chrono::duration_cast<std::chrono::milliseconds>(k_gone_bound));
  const std::string& output = child.output();
  ASSERT_NE(status, -1) << "chconn did not exit after Ctrl-C; it printed: " << output;
  EXPECT_EQ(status, 130) << output;
  EXPECT_TRUE(contains(output, "chconn: cancelled by SIGINT")) << output;
  EXPECT_TRUE(wait_listed(*probe_, marker, false, k_gone_bound)) << "the query still runs on the server";
}

TEST_F(CliCancel, SigtermCancelsTheQueryAndExits143) {
  const std::string marker = unique_marker("sigterm");
  Child child(argv(marker));
  ASSERT_TRUE(wait_listed(*probe_, marker, true, k_appear_bound)) << "the query never started";
  ASSERT_EQ(::kill(child.pid(), SIGTERM), 0);
  const ProcessResult r = child.finish({}, std::chrono::duration_cast<std::chrono::seconds>(k_gone_bound));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 143) << r.err;
  EXPECT_TRUE(contains(r.err, "chconn: cancelled by SIGTERM")) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
  EXPECT_TRUE(wait_listed(*probe_, marker, false, k_gone_bound)) << "the query still runs on the server";
}

// A second signal while the first one's cancel is still being drained (the server stops a sleep(3)
// only at the end of its block) exits at once, without waiting for the server; closing the
// connection then ends the query on the server too. SIGTERM then SIGINT: two different signals
// are never merged into one by the kernel, as two SIGINTs sent back to back may be.
TEST_F(CliCancel, ASecondSignalExitsAtOnce) {
  const std::string marker = unique_marker("twice");
  Child child(argv(marker));
  ASSERT_TRUE(wait_listed(*probe_, marker, true, k_appear_bound)) << "the query never started";
  ASSERT_EQ(::kill(child.pid(), SIGTERM), 0);
  ASSERT_EQ(::kill(child.pid(), SIGINT), 0);
  const ProcessResult r = child.finish({}, std::chrono::duration_cast<std::chrono::seconds>(k_gone_bound));
  EXPECT_FALSE(r.timed_out);
  EXPECT_TRUE(r.exit_code == 130 || r.exit_code == 143) << r.exit_code << ": " << r.err;
  EXPECT_TRUE(contains(r.err, "chconn: interrupted again; exiting without waiting for the server")) << r.err;
  EXPECT_TRUE(wait_listed(*probe_, marker, false, k_gone_bound)) << "the query still runs on the server";
}

}  // namespace
}  // namespace chconn::test
