// The chconn CLI's behaviour beyond output bytes: exit codes and messages on errors, secrets kept
// out of output and out of the process's command line, stdin scripts, parameters, TLS, and the
// subcommands.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "cli_support.h"
#include "support/net_loopback.h"
#include "support/sandbox.h"

namespace chconn::test {
namespace {

using namespace std::chrono_literals;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = chconn_binary();
    ASSERT_FALSE(binary_.empty()) << "build the chconn_cli target first (or set CHCONN_CLI_BINARY)";
    port_ = std::to_string(sandbox("main").native_port);
  }

  ProcessResult chconn(std::vector<std::string> args, const std::string& input = {}) {
    std::vector<std::string> argv{binary_, "--host", "127.0.0.1", "--port", port_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, input);
  }

  std::string binary_;
  std::string port_;
};

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_F(Cli, UnknownTableIsCode60) {
  const auto r = chconn({"-q", "SELECT * FROM no_such_table_cli"});
  EXPECT_EQ(r.exit_code, 60);
  EXPECT_TRUE(contains(r.err, "Code: 60. DB::Exception:")) << r.err;
  EXPECT_TRUE(contains(r.err, "no_such_table_cli")) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(Cli, FirstErrorStopsAScript) {
  const auto r = chconn({"-q", "SELECT 1; SELECT * FROM no_such_table_cli; SELECT 2"});
  EXPECT_EQ(r.exit_code, 60);
  EXPECT_EQ(r.out, "1\n");
}

TEST_F(Cli, SyntaxErrorIsCode62) {
  const auto r = chconn({"-q", "SELEC 1"});
  EXPECT_EQ(r.exit_code, 62);
  EXPECT_TRUE(contains(r.err, "Code: 62.")) << r.err;
}

TEST_F(Cli, WrongPasswordIsCode193AndNeverPrinted) {
  const auto r = chconn({"--user", std::string(k_password_user), "--password", "wrong-Secret-42", "-q", "SELECT 1"});
  EXPECT_EQ(r.exit_code, 193);
  EXPECT_TRUE(contains(r.err, "Code: 193.")) << r.err;
  EXPECT_FALSE(contains(r.err + r.out, "wrong-Secret-42"));
  const auto ok =
      chconn({"--user", std::string(k_password_user), "--password", std::string(k_password), "-q", "SELECT 7"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "7\n");
}

TEST_F(Cli, PasswordFromTheEnvironment) {
  const auto r = run_process(
      {binary_, "--host", "127.0.0.1", "--port", port_, "--user", std::string(k_password_user), "-q", "SELECT 8"}, {},
      {"CLICKHOUSE_PASSWORD=" + std::string(k_password)});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "8\n");
}

TEST_F(Cli, PasswordIsScrubbedFromTheCommandLine) {
  Child child({binary_, "--host", "127.0.0.1", "--port", port_, "--user", std::string(k_password_user), "--password",
               std::string(k_password), "-q", "SELECT sleep(1.5)"});
  std::string cmdline;
  // Wait until the query runs (the arguments are scrubbed before connecting).
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(100ms);
    std::ifstream f("/proc/" + std::to_string(child.pid()) + "/cmdline", std::ios::binary);
    cmdline.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (i >= 5) break;
  }
  EXPECT_FALSE(cmdline.empty());
  EXPECT_FALSE(contains(cmdline, k_password)) << "the password is visible in /proc/PID/cmdline";
  EXPECT_TRUE(contains(cmdline, "--password"));
  const auto r = child.finish();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "0\n");
}

TEST_F(Cli, BadDsnIsAConfigError) {
  const auto r =
      run_process({binary_, "--dsn", "clickhouse://user:pw-Hidden9@[::1:9000/db?nonsense=1", "-q", "SELECT 1"});
  EXPECT_EQ(r.exit_code, 1);  // clickhouse-client's status for bad arguments
  EXPECT_EQ(r.err.rfind("Bad arguments: ", 0), 0u) << r.err;
  EXPECT_FALSE(contains(r.err, "pw-Hidden9"));
}

// As clickhouse-client 18.16 reports it: code 73, exit status 73.
TEST_F(Cli, UnknownFormatIsCode73) {
  const auto r = chconn({"--format", "XMLish", "-q", "SELECT 1"});
  EXPECT_EQ(r.exit_code, 73);
  EXPECT_EQ(r.err, "Code: 73. DB::Exception: Unknown format XMLish\n");
  const auto in_query = chconn({"-q", "SELECT 1 FORMAT Nope"});
  EXPECT_EQ(in_query.exit_code, 73);
  EXPECT_EQ(in_query.out, "");
  EXPECT_EQ(in_query.err, "Code: 73. DB::Exception: Unknown format Nope\n");
}

// INTO OUTFILE is the client's clause (the server ignores it over the native protocol): the result
// goes to the file, which must not exist, and nothing to stdout.
TEST_F(Cli, IntoOutfileWritesTheFileAndNeverOverwritesOne) {
  char dir_template[] = "/tmp/chconn-outfile-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/numbers.csv";
  const std::string select = "SELECT number, toString(number) AS s FROM system.numbers LIMIT 3";
  const auto plain = chconn({"-q", select + " FORMAT CSV"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(plain.out.size(), 18u) << plain.out;  // three lines such as 0,"0"
  const auto r = chconn({"-q", select + " INTO OUTFILE '" + path + "' FORMAT CSV"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  const auto read = [&] {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(read(), plain.out);
  const auto again = chconn({"-q", "SELECT 42 INTO OUTFILE '" + path + "'"});
  // clickhouse-client 18.16's error and status (CANNOT_OPEN_FILE), word for word.
  EXPECT_EQ(again.exit_code, 76);
  EXPECT_EQ(again.err,
            "Code: 76. DB::ErrnoException: Cannot open file " + path + ", errno: 17, strerror: File exists\n");
  EXPECT_EQ(read(), plain.out) << "the file was overwritten";
  std::remove(path.c_str());
  ::rmdir(dir_template);
}

// clickhouse-client 18.16: "Bad arguments: unrecognised option '--no-such-flag'", status 1.
TEST_F(Cli, UnknownFlagIsAUsageError) {
  const auto r = chconn({"--no-such-flag", "-q", "SELECT 1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind("Bad arguments: ", 0), 0u) << r.err;
  EXPECT_TRUE(contains(r.err, "--no-such-flag")) << r.err;
  // A subcommand's bad flag keeps chconn's own status.
  const auto bench = chconn({"bench", "--count", "abc"});
  EXPECT_EQ(bench.exit_code, 2) << bench.err;
}

// clickhouse-client 18.16: "Code: 210. DB::NetException: Connection refused (...)", status 210.
TEST_F(Cli, ConnectionRefusedIsANetworkError) {
  const RefusedPort refused;
  const auto r = run_process({binary_, "--host", refused.host(), "--port", std::to_string(refused.port()),
                              "--connect-timeout", "2s", "-q", "SELECT 1"});
  EXPECT_EQ(r.exit_code, 210);
  EXPECT_EQ(r.err.rfind("Code: 210. DB::NetException: ", 0), 0u) << r.err;
  EXPECT_TRUE(contains(r.err, "connection refused")) << r.err;
}

// Inline data is loaded now (load_test.cpp); into a table that does not exist it is the server's
// error, as with clickhouse-client.
TEST_F(Cli, InlineInsertIntoAnUnknownTableIsTheServersError) {
  const auto r = chconn({"-q", "INSERT INTO nowhere VALUES (1)"});
  EXPECT_EQ(r.exit_code, 60);
  EXPECT_TRUE(contains(r.err, "Code: 60.")) << r.err;
}

TEST_F(Cli, QueriesFromStdin) {
  const auto r = chconn({}, "SELECT 1;\n-- a comment; with a semicolon\nSELECT 'x;y';\n\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\nx;y\n");
}

TEST_F(Cli, Parameters) {
  const auto r = chconn({"--param_x=41", "--param", "s=it's", "--param_unused", "1", "-q",
                         "SELECT {x:UInt8} + 1, {s:String}; SELECT {x:Int64} * 2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "42\tit\\'s\n82\n");
}

TEST_F(Cli, SettingsAndTime) {
  const auto r = chconn({"--setting", "max_block_size=10", "--setting", "extremes=1", "--time", "-q",
                         "SELECT count() FROM (SELECT number FROM numbers(25))"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "25\n\n25\n25\n");
  // --time prints seconds with three decimals.
  EXPECT_EQ(r.err.size(), 6u) << r.err;
  const auto bad = chconn({"--setting", "no-equals-sign", "-q", "SELECT 1"});
  EXPECT_EQ(bad.exit_code, 1);
}

TEST_F(Cli, NullFormatPrintsNothingAndNoProgressWithoutATerminal) {
  const auto r = chconn({"--format", "Null", "-q", "SELECT number FROM system.numbers LIMIT 3000000"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
}

TEST_F(Cli, ProgressCanBeForced) {
  const auto r = chconn({"--progress", "--format", "Null", "-q", "SELECT sum(number) FROM numbers(50000000)"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "Progress: ")) << r.err;
}

TEST_F(Cli, PrettyTable) {
  const auto r =
      chconn({"--format", "PrettyCompact", "-q", "SELECT number AS n, toString(number * 100) AS s FROM numbers(2)"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "┌─\033[1mn\033[0m─┬─\033[1ms\033[0m───┐\n"
            "│ 0 │ 0   │\n"
            "│ 1 │ 100 │\n"
            "└───┴─────┘\n");
  // Bold names are 18.16's default also when piped; the setting turns them off.
  const auto plain = chconn({"--format", "PrettyCompact", "--setting", "output_format_pretty_color=0", "-q",
                             "SELECT number AS n, toString(number * 100) AS s FROM numbers(2)"});
  EXPECT_EQ(plain.out,
            "┌─n─┬─s───┐\n"
            "│ 0 │ 0   │\n"
            "│ 1 │ 100 │\n"
            "└───┴─────┘\n");
}

TEST_F(Cli, ConfigSubcommandRedactsThePassword) {
  const auto r = run_process({binary_, "config", "--dsn", "clickhouse://app:Top-Secret-1@db1:9001/analytics"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "db1:9001")) << r.out;
  EXPECT_TRUE(contains(r.out, "***")) << r.out;
  EXPECT_FALSE(contains(r.out + r.err, "Top-Secret-1"));
  const auto flags = run_process({binary_, "--host", "db2", "--port", "9100", "--password", "Xyz-123", "config"});
  EXPECT_EQ(flags.exit_code, 0) << flags.err;
  EXPECT_TRUE(contains(flags.out, "db2:9100")) << flags.out;
  EXPECT_FALSE(contains(flags.out, "Xyz-123"));
}

// A server that accepts connections and then never says a word: each of the three strategies
// `chconn health` checks (direct, pooled, failover) waits out its connect timeout. They are checked
// at once, so the whole command takes one timeout, not three. The bound is generous: the timeout
// twice over (one of slack for a loaded machine); one strategy after another took three timeouts.
TEST_F(Cli, HealthOfASilentServerTakesOneTimeout) {
  LoopbackServer silent({.mode = ServerMode::silent});
  constexpr auto k_timeout = 3s;
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_process(
      {binary_, "--host", silent.host(), "--port", std::to_string(silent.port()), "--connect-timeout", "3s", "health"});
  const auto took = std::chrono::steady_clock::now() - start;
  std::cout << "[figures] chconn health against a silent server: "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms (connect timeout "
            << std::chrono::milliseconds(k_timeout).count() << " ms)\n";
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_LT(took, 2 * k_timeout) << r.out;
  // Every strategy was contacted and failed on its own timeout; none was skipped for lack of time.
  for (const char* name : {"strategy direct", "strategy pooled", "strategy failover"}) {
    const auto at = r.out.find(name);
    ASSERT_NE(at, std::string::npos) << r.out;
    EXPECT_EQ(r.out.compare(r.out.find(": ", at) + 2, 7, "FAILING"), 0) << r.out;
  }
  EXPECT_FALSE(contains(r.out, "NOT CHECKED")) << r.out;
  EXPECT_TRUE(contains(r.out, "UNHEALTHY")) << r.out;
}

TEST_F(Cli, TlsWithTheSandboxCertificate) {
  const SandboxServer tls = sandbox("tls");
  const auto r = run_process({binary_, "--host", "127.0.0.1", "--port", std::to_string(tls.tls_port), "--secure",
                              "--ca-file", tls.cert_file, "-q", "SELECT 'over tls'"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "over tls\n");
}

}  // namespace
}  // namespace chconn::test
