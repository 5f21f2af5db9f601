// The chconn CLI's strategy selection (--strategy, the DSN's strategy=, CHCONN_ENV) through the
// factory, `chconn bench` (its limits, report, --json, errors by kind, the strategy's stats), and
// delay-proxy forwarding a real session. Timings are printed, never asserted.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "cli_support.h"
#include "mini_json.h"
#include "support/sandbox.h"

namespace chconn::test {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// A loopback port nothing listens on (bound, then closed: connecting to it is refused at once).
std::uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    throw std::runtime_error("cannot bind a loopback port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// True once something accepts connections on 127.0.0.1:port (tried for at most `limit`).
bool wait_listening(std::uint16_t port, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

class CliStrategy : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = chconn_binary();
    ASSERT_FALSE(binary_.empty()) << "build the chconn_cli target first (or set CHCONN_CLI_BINARY)";
    port_ = std::to_string(sandbox("main").native_port);
  }

  ProcessResult chconn(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv{binary_, "--host", "127.0.0.1", "--port", port_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, {}, env);
  }

  ProcessResult chconn_at(std::uint16_t port, std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv{binary_, "--host", "127.0.0.1", "--port", std::to_string(port)};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, {}, env);
  }

  // Runs `chconn bench ... --json`, checks it printed exactly one JSON object and nothing on
  // stderr (no progress bar: stderr is a pipe), and returns it.
  Json bench_json(std::vector<std::string> args, int expected_exit = 0, std::uint16_t port = 0) {
    args.insert(args.begin(), "bench");
    args.push_back("--json");
    const auto r = port ? chconn_at(port, args) : chconn(args);
    EXPECT_EQ(r.exit_code, expected_exit) << r.err << r.out;
    EXPECT_EQ(r.err, "") << "bench wrote to stderr although it is not a terminal";
    Json j;
    try {
      j = Json::parse(r.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what() << "\n" << r.out;
    }
    return j;
  }

  std::string binary_;
  std::string port_;
};

TEST_F(CliStrategy, DirectPooledAndFailoverGiveTheSameOutput) {
  for (const char* s : {"direct", "pooled", "failover"}) {
    const auto r = chconn({"--strategy", s, "-q", "SELECT 1; SELECT 'two'"});
    EXPECT_EQ(r.exit_code, 0) << s << ": " << r.err;
    EXPECT_EQ(r.out, "1\ntwo\n") << s;
  }
}

TEST_F(CliStrategy, ServerErrorsStillReportedThroughALease) {
  const auto r = chconn({"--strategy", "pooled", "-q", "SELECT 1; SELECT * FROM no_such_table_strategy"});
  EXPECT_EQ(r.exit_code, 60) << r.err;
  EXPECT_EQ(r.out, "1\n");
  EXPECT_TRUE(contains(r.err, "Code: 60.")) << r.err;
}

TEST_F(CliStrategy, UnknownStrategyFlagIsAUsageError) {
  const auto r = chconn({"--strategy", "bogus", "-q", "SELECT 1"});
  EXPECT_EQ(r.exit_code, 1);  // bad flags: 1, as clickhouse-client
  EXPECT_TRUE(contains(r.err, "unknown strategy 'bogus'")) << r.err;
  EXPECT_TRUE(contains(r.err, "direct, pooled, failover, mock, embedded, rollout or shadow")) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(CliStrategy, DsnStrategyParameterSelects) {
  const std::string dsn = "clickhouse://127.0.0.1:" + port_ + "/default?strategy=pooled";
  const auto ok = run_process({binary_, "--dsn", dsn, "-q", "SELECT 3"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "3\n");

  // An unknown one is refused by initialize(), which lists what is registered.
  const auto bad =
      run_process({binary_, "--dsn", "clickhouse://127.0.0.1:" + port_ + "/?strategy=sideways", "-q", "SELECT 3"});
  EXPECT_EQ(bad.exit_code, 1) << bad.err;
  EXPECT_TRUE(contains(bad.err, "unknown strategy 'sideways'")) << bad.err;
  EXPECT_TRUE(contains(bad.err, "direct, failover, pooled")) << bad.err;

  // The flag wins over the DSN: mock answers although the DSN names a port nothing listens on.
  const std::string dead = "clickhouse://127.0.0.1:" + std::to_string(closed_port()) + "/?strategy=direct";
  const auto flag = run_process({binary_, "--dsn", dead, "--strategy", "mock", "-q", "SELECT 3"});
  EXPECT_EQ(flag.exit_code, 0) << flag.err;
  EXPECT_EQ(flag.out, "");
}

TEST_F(CliStrategy, MockNeedsNoServerAndDirectDoes) {
  const std::uint16_t dead = closed_port();
  const auto mock = chconn_at(dead, {"--strategy", "mock", "-q", "SELECT 1"});
  EXPECT_EQ(mock.exit_code, 0) << mock.err;
  EXPECT_EQ(mock.out, "");  // the mock answers every query with an empty result
  const auto direct = chconn_at(dead, {"--strategy", "direct", "-q", "SELECT 1"});
  EXPECT_EQ(direct.exit_code, 210);  // refused: clickhouse-client's NETWORK_ERROR
  EXPECT_TRUE(contains(direct.err, "Code: 210. DB::NetException: ")) << direct.err;
}

TEST_F(CliStrategy, TestingEnvironmentDefaultsToMock) {
  const std::uint16_t dead = closed_port();
  const auto r = chconn_at(dead, {"-q", "SELECT 1"}, {"CHCONN_ENV=testing"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  // ... and production to pooled, against the real server.
  const auto p = chconn({"-q", "SELECT 4"}, {"CHCONN_ENV=production"});
  EXPECT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(p.out, "4\n");
}

TEST_F(CliStrategy, BenchPooledReusesConnections) {
  const Json j = bench_json({"--strategy", "pooled", "--count", "200", "--concurrency", "2"});
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["strategy"].string(), "pooled");
  EXPECT_EQ(j["query"].string(), "SELECT 1");
  EXPECT_EQ(j["concurrency"].number(), 2);
  EXPECT_EQ(j["stopped_by"].string(), "count");
  EXPECT_EQ(j["requests"].number(), 200);
  EXPECT_EQ(j["ok"].number(), 200);
  EXPECT_EQ(j["failed"].number(), 0);
  EXPECT_TRUE(j["errors"].object().empty());
  const Json& lat = j["latency_ms"];
  EXPECT_GT(lat["p50"].number(), 0);
  EXPECT_LE(lat["min"].number(), lat["p50"].number());
  EXPECT_LE(lat["p50"].number(), lat["p90"].number());
  EXPECT_LE(lat["p90"].number(), lat["p99"].number());
  EXPECT_LE(lat["p99"].number(), lat["max"].number());
  EXPECT_GT(j["throughput_qps"].number(), 0);
  const Json& st = j["stats"];
  EXPECT_EQ(st["acquired"].number(), 200);
  EXPECT_GE(st["created"].number(), 1);
  EXPECT_LE(st["created"].number(), 2);  // two threads never need more than two connections
  EXPECT_EQ(st["in_use"].number(), 0);
  EXPECT_EQ(st["open"].number(), st["idle"].number());
  std::printf("bench pooled x2: %.0f q/s, p50 %.3f ms\n", j["throughput_qps"].number(), lat["p50"].number());
}

TEST_F(CliStrategy, BenchDirectConnectsPerQuery) {
  const Json j = bench_json({"--strategy", "direct", "--count", "30"});
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["strategy"].string(), "direct");
  EXPECT_EQ(j["ok"].number(), 30);
  EXPECT_EQ(j["stats"]["created"].number(), 30);
  EXPECT_EQ(j["stats"]["closed"].number(), 30);
  EXPECT_EQ(j["stats"]["open"].number(), 0);
}

TEST_F(CliStrategy, BenchLeasePerThreadTakesOneLeaseEach) {
  const Json j = bench_json({"--strategy", "direct", "--count", "50", "--concurrency", "2", "--lease-per-thread"});
  ASSERT_TRUE(j.is_object());
  EXPECT_TRUE(j["lease_per_thread"].boolean());
  EXPECT_EQ(j["ok"].number(), 50);
  EXPECT_EQ(j["stats"]["created"].number(), 2);
}

TEST_F(CliStrategy, BenchStopsAtItsDuration) {
  // The mock needs no server; the count is far beyond what 300 ms allow.
  const Json j =
      bench_json({"--strategy", "mock", "--count", "1000000000", "--duration", "300ms", "-c", "2"}, 0, closed_port());
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["stopped_by"].string(), "duration");
  EXPECT_LT(j["requests"].number(), 1e9);
  EXPECT_GT(j["requests"].number(), 0);
  EXPECT_EQ(j["failed"].number(), 0);
  EXPECT_EQ(j["limits"]["duration_s"].number(), 0.3);
}

TEST_F(CliStrategy, BenchCountsErrorsByKind) {
  const Json j = bench_json({"--strategy", "direct", "--count", "5"}, 1, closed_port());
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["ok"].number(), 0);
  EXPECT_EQ(j["failed"].number(), 5);
  EXPECT_EQ(j["errors"]["network"]["count"].number(), 5);
  EXPECT_FALSE(j["errors"]["network"]["first"].string().empty());
  EXPECT_EQ(j["stats"]["connect_failures"].number(), 5);

  // A server error is a kind of its own, and the text report names it.
  const auto r = chconn({"bench", "--query", "SELECT * FROM no_such_table_bench", "--count", "3"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(r.out, "server: 3")) << r.out;
  EXPECT_TRUE(contains(r.out, "no_such_table_bench")) << r.out;
}

TEST_F(CliStrategy, BenchNeverPrintsThePassword) {
  const std::string secret = "wrong-Secret-77";
  const auto r =
      chconn({"--user", std::string(k_password_user), "--password", secret, "bench", "--count", "2", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_FALSE(contains(r.out + r.err, secret));
  const Json j = Json::parse(r.out);
  EXPECT_EQ(j["errors"]["server"]["count"].number(), 2);  // 193, wrong password: a server error
  EXPECT_TRUE(contains(j["errors"]["server"]["first"].string(), "assword")) << r.out;

  const auto d = run_process(
      {binary_, "--dsn", "clickhouse://" + std::string(k_password_user) + ":" + secret + "@127.0.0.1:" + port_ + "/",
       "bench", "--strategy", "pooled", "--count", "2"});
  EXPECT_EQ(d.exit_code, 1) << d.err;
  EXPECT_FALSE(contains(d.out + d.err, secret)) << d.out << d.err;
}

TEST_F(CliStrategy, BenchTextReport) {
  const auto r =
      chconn({"--strategy", "pooled", "bench", "--count", "20", "--query", "SELECT number FROM numbers(10)"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  for (const char* s :
       {"strategy:    pooled", "throughput:", "p50 ", "p90 ", "p99 ", "max ", "errors:      none", "acquired 20"}) {
    EXPECT_TRUE(contains(r.out, s)) << s << "\n" << r.out;
  }
}

// The progress line goes to stderr, and only when it is a terminal: `script` gives the command a
// pseudo-terminal for stderr while stdout goes to a file, which must hold nothing but the JSON.
TEST_F(CliStrategy, BenchDrawsProgressOnlyOnATerminal) {
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/script")) << "needs script(1) from bsdutils";
  const auto json_file =
      std::filesystem::temp_directory_path() / ("chconn-bench-" + std::to_string(::getpid()) + ".json");
  const std::string command = binary_ + " --port " + std::to_string(closed_port()) +
                              " bench --strategy mock --count 1000000000 --duration 400ms --json > " +
                              json_file.string();
  const auto r = run_process({"/usr/bin/script", "-qec", command, "/dev/null"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "\r[")) << "no progress line on the terminal: " << r.out;
  EXPECT_TRUE(contains(r.out, " queries, ")) << r.out;
  EXPECT_TRUE(contains(r.out, "\r\033[K")) << "the progress line was not erased";
  std::ifstream in(json_file);
  const std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(json_file);
  try {
    const Json j = Json::parse(out);
    EXPECT_EQ(j["stopped_by"].string(), "duration");
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what() << ": stdout was\n" << out;
  }
}

TEST_F(CliStrategy, BenchRejectsBadLimits) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"bench", "--count", "0"},
                                                                {"bench", "--duration", "0"},
                                                                {"bench", "--duration", "forever"},
                                                                {"bench", "--concurrency", "0"},
                                                                {"bench", "--strategy", "nope"}}) {
    const auto r = chconn(args);
    EXPECT_EQ(r.exit_code, 2) << args[1] << " " << args[2] << ": " << r.err;
  }
}

// --manager and --fault: a failover over a refused port and the sandbox, through the manager.
// The fault commands run at their times (a pending one is reported as not run when the count
// ends the run), their output goes to stderr, and the report carries the events, the hosts and
// the timeline.
TEST_F(CliStrategy, BenchRunsFaultCommandsAndReportsHostsEventsAndTimeline) {
  const std::string dsn = "clickhouse://127.0.0.1:" + std::to_string(closed_port()) + ",127.0.0.1:" + port_ +
                          "?strategy=failover&load_balancing=in_order";
  const auto r = run_process({binary_, "--dsn", dsn, "bench", "--manager", "--count", "300", "--duration", "60s",
                              "--json", "--fault", "0s:echo fault-one-ran", "--fault", "1h:echo fault-two-ran"},
                             {}, {});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_TRUE(contains(r.err, "fault-one-ran")) << r.err;
  EXPECT_FALSE(contains(r.err, "fault-two-ran")) << r.err;
  EXPECT_FALSE(contains(r.out, "fault-one-ran\n")) << "a fault command's output must not mix with the report";
  Json j;
  ASSERT_NO_THROW(j = Json::parse(r.out)) << r.out;
  EXPECT_TRUE(j["manager"].boolean());
  EXPECT_EQ(j["ok"].number(), 300);
  EXPECT_EQ(j["failed"].number(), 0);

  const auto& hosts = j["hosts"].array();
  ASSERT_EQ(hosts.size(), 2u);
  EXPECT_GE(hosts[0]["failures"].number(), 1) << "the refused host was tried first (in_order)";
  EXPECT_FALSE(hosts[0]["last_error"].string().empty());
  EXPECT_GE(hosts[1]["successes"].number(), 300);

  std::vector<std::string> events;
  for (const Json& e : j["events"].array()) events.push_back(e["what"].string());
  const auto has = [&](std::string_view text) { return std::find(events.begin(), events.end(), text) != events.end(); };
  EXPECT_TRUE(has("fault: echo fault-one-ran"));
  EXPECT_TRUE(has("fault done, exit status 0: echo fault-one-ran"));
  EXPECT_TRUE(has("fault not run, the run had ended: echo fault-two-ran"));

  double timeline_ok = 0;
  for (const Json& t : j["timeline"].array()) timeline_ok += t["ok"].number();
  EXPECT_EQ(timeline_ok, 300) << "--fault implies the timeline, which counts every query once";
}

TEST_F(CliStrategy, BenchReportsAFailingFaultCommandsExitStatus) {
  const auto r = chconn({"bench", "--count", "5", "--json", "--fault", "0s:exit 3"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "fault done, exit status 3: exit 3")) << r.out;
}

TEST_F(CliStrategy, BenchRejectsBadFaultSpecs) {
  for (const std::string spec : {"no-colon", ":echo", "5s:", "soon:echo", "-1s:echo"}) {
    const auto r = chconn({"bench", "--count", "1", "--fault", spec});
    EXPECT_EQ(r.exit_code, 2) << spec << ": " << r.err;
    EXPECT_TRUE(contains(r.err, "--fault")) << spec << ": " << r.err;
  }
}

// delay-proxy forwards a whole session both ways (the figures in the report used it with 0.5 ms
// each way); nothing about its timing is asserted.
TEST_F(CliStrategy, DelayProxyForwardsASession) {
  const auto proxy_binary = std::filesystem::path(binary_).parent_path() / "delay-proxy";
  ASSERT_TRUE(std::filesystem::exists(proxy_binary)) << proxy_binary << " is missing: build target delay_proxy";
  const std::uint16_t port = closed_port();
  Child proxy({proxy_binary.string(), "--target", "127.0.0.1:" + port_, "--delay", "2ms", "--listen",
               std::to_string(port), "--lifetime", "2m"});
  ASSERT_TRUE(wait_listening(port, 5s));
  const auto r = chconn_at(port, {"-q", "SELECT number FROM numbers(100000) FORMAT Null; SELECT 42"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "42\n");
  const Json j = bench_json({"--strategy", "pooled", "--count", "20"}, 0, port);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["ok"].number(), 20);
  std::printf("through delay-proxy (2 ms each way): p50 %.3f ms\n", j["latency_ms"]["p50"].number());
}

}  // namespace
}  // namespace chconn::test
