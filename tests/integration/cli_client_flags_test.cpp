// clickhouse-client's flags in chconn, each against clickhouse-client 18.16 on the sandbox where
// 18.16 has the flag (stdout, stderr's first line and the exit status must agree), and on its own
// where 18.16 lacks it (--queries-file; CLICKHOUSE_PORT with --host): then against what 18.16 does
// with the same statements given another way.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "cli_support.h"
#include "support/net_loopback.h"
#include "support/sandbox.h"

namespace chconn::test {
namespace {

// The environment variables chconn reads for its connection, cleared (an empty value is unset).
const std::vector<std::string> k_clean_env{
    "CLICKHOUSE_DSN=", "CLICKHOUSE_HOST=", "CLICKHOUSE_PORT=", "CLICKHOUSE_USER=", "CLICKHOUSE_PASSWORD="};

void expect_same(const std::vector<std::string>& args, const std::string& input = {}) {
  SCOPED_TRACE(::testing::PrintToString(args));
  const CliRun theirs = run_cli(false, args, input, k_clean_env);
  const CliRun ours = run_cli(true, args, input, k_clean_env);
  EXPECT_EQ(ours.out, theirs.out);
  EXPECT_EQ(ours.first_err_line, theirs.first_err_line);
  EXPECT_EQ(ours.exit_code, theirs.exit_code);
}

TEST(CliClientFlags, AServerSettingAsItsOwnFlagMatchesClickHouseClient) {
  const std::string show =
      "SELECT name, value FROM system.settings WHERE name IN ('max_threads', "
      "'max_block_size') ORDER BY name";
  expect_same({"--max_threads=3", "-q", show});
  expect_same({"--max_threads", "5", "-q", show});
  expect_same({"--max_threads=2", "--max_block_size=777", "-q", show});
  // The setting applies to every statement of a script.
  expect_same({"--max_block_size=3", "-n", "-q",
               "SELECT count() FROM numbers(10); SELECT blockSize() FROM numbers(7) "
               "GROUP BY blockSize() ORDER BY 1"});
  // As a setting of the query: it limits the result, and the server's error is the same.
  expect_same({"--max_result_rows=5", "--result_overflow_mode=throw", "-q", "SELECT number FROM numbers(100)"});
}

TEST(CliClientFlags, ASettingFlagIsCheckedLikeSetting) {
  // A name that cannot be a setting stays an unknown option (exit 1 after "Bad arguments", as
  // clickhouse-client; nothing connected), and a setting without a value is a usage error (1 too);
  // neither reaches the server.
  LoopbackServer server({.mode = ServerMode::close_at_once});
  const std::string port = std::to_string(server.port());
  auto r = run_process({chconn_binary(), "--port", port, "--max-threads=3", "-q", "SELECT 1"}, {}, k_clean_env);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.rfind("Bad arguments: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("--max-threads=3"), std::string::npos) << r.err;
  r = run_process({chconn_binary(), "--port", port, "-q", "SELECT 1", "--max_threads"}, {}, k_clean_env);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("--max_threads needs a value"), std::string::npos) << r.err;
  EXPECT_EQ(server.accepted(), 0);
}

TEST(CliClientFlags, VersionPrintsOneLineAndExitsZeroAsClickHouseClientDoes) {
  const std::regex line("^[A-Za-z ]+ version [0-9]+\\.[0-9]+\\.[0-9]+\\.\n$");
  for (const char* flag : {"--version", "-V"}) {
    const auto theirs = run_process({clickhouse_client_binary(), flag});
    const auto ours = run_process({chconn_binary(), flag});
    EXPECT_EQ(ours.exit_code, theirs.exit_code) << flag;
    EXPECT_EQ(ours.exit_code, 0) << flag << ours.err;
    EXPECT_EQ(ours.err, theirs.err) << flag;
    EXPECT_TRUE(std::regex_match(theirs.out, line)) << theirs.out;
    EXPECT_TRUE(std::regex_match(ours.out, line)) << ours.out;
    EXPECT_EQ(ours.out.rfind("chconn version ", 0), 0u) << ours.out;
  }
}

TEST(CliClientFlags, MultiqueryAndMultilineAreAccepted) {
  expect_same({"-n", "-q", "SELECT 1; SELECT 'two'"});
  expect_same({"-m", "-q", "SELECT\n1"});
  expect_same({"--multiline", "-n", "-q", "SELECT 1;\nSELECT\n2"});
  expect_same({"--multiquery", "-q", "SELECT 1; SELECT * FROM no_such_table_flags; SELECT 3"});
}

class CliQueriesFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() / ("chconn-queries-file-" + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string file(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  std::filesystem::path dir_;
};

// 18.16 has no --queries-file (current clients run each file in order): the files' statements must
// give what 18.16 gives for the same statements as one script on stdin.
TEST_F(CliQueriesFile, RunsEachFileInOrderAsClickHouseClientRunsTheirText) {
  const std::string one = "SELECT 1;\nSELECT 'a;b' -- c;\n;\n";
  const std::string two = "SELECT number FROM numbers(3) FORMAT CSV;\n";
  const CliRun theirs = run_cli(false, {"-n"}, one + two, k_clean_env);
  ASSERT_EQ(theirs.exit_code, 0) << theirs.first_err_line;
  const CliRun ours =
      run_cli(true, {"--queries-file", file("one.sql", one), "--queries-file", file("two.sql", two)}, {}, k_clean_env);
  EXPECT_EQ(ours.out, theirs.out);
  EXPECT_EQ(ours.first_err_line, theirs.first_err_line);
  EXPECT_EQ(ours.exit_code, 0);
}

TEST_F(CliQueriesFile, AnErrorStopsTheRunWithTheServersCodeAsInAScript) {
  const std::string text = "SELECT 1;\nSELECT * FROM no_such_table_qf;\nSELECT 3;\n";
  const CliRun theirs = run_cli(false, {"-n"}, text, k_clean_env);
  const CliRun ours = run_cli(true, {"--queries-file", file("bad.sql", text)}, {}, k_clean_env);
  EXPECT_EQ(ours.out, theirs.out);
  EXPECT_EQ(ours.first_err_line, theirs.first_err_line);
  EXPECT_EQ(ours.exit_code, theirs.exit_code);
  EXPECT_EQ(ours.exit_code, 60);
}

TEST_F(CliQueriesFile, AMissingFileIsAUsageErrorBeforeAnythingConnects) {
  LoopbackServer server({.mode = ServerMode::close_at_once});
  const auto r = run_process({chconn_binary(), "--port", std::to_string(server.port()), "--queries-file",
                              file("ok.sql", "SELECT 1"), "--queries-file", (dir_ / "missing.sql").string()},
                             {}, k_clean_env);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("cannot read the --queries-file"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("missing.sql"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(server.accepted(), 0);
  const auto both =
      run_process({chconn_binary(), "-q", "SELECT 1", "--queries-file", file("x.sql", "SELECT 2")}, {}, k_clean_env);
  EXPECT_EQ(both.exit_code, 1) << both.err;
}

// 18.16 ignores CLICKHOUSE_PORT (it connects to 9000); current clients, and chconn, take it as the
// port of a --host without one.
TEST(CliClientFlags, ClickHousePortIsThePortOfAHostWithoutOne) {
  const std::string port = std::to_string(sandbox("main").native_port);
  std::vector<std::string> env = k_clean_env;
  env.push_back("CLICKHOUSE_PORT=" + port);
  auto r = run_process({chconn_binary(), "--host", "127.0.0.1", "-q", "SELECT 'env port'"}, {}, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "env port\n");
  // A port in --host or --port wins over it only when they agree, as with CLICKHOUSE_HOST; --port
  // is the one given last by the user and is taken.
  LoopbackServer other({.mode = ServerMode::close_at_once});
  r = run_process({chconn_binary(), "--host", "127.0.0.1:" + std::to_string(other.port()), "-q", "SELECT 1"}, {}, env);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("CLICKHOUSE_PORT"), std::string::npos) << r.err;
  EXPECT_EQ(other.accepted(), 0);
  r = run_process({chconn_binary(), "--host", "127.0.0.1", "--port", port, "-q", "SELECT 2"}, {}, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "2\n");
}

}  // namespace
}  // namespace chconn::test
