// chconn's exit statuses against clickhouse-client 18.16's, case by case: both clients run the same
// command against the same server (the main sandbox, or a scripted fake server for a peer that
// breaks the protocol), and the test compares the exit status and the first line of stderr. Where
// 18.16 does something chconn deliberately does not, the test asserts both statuses as measured, so
// the table in docs/guide.md ("Exit statuses") stays true of both.
#include <gtest/gtest.h>

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "cli_support.h"
#include "support/fake_server.h"
#include "support/net_loopback.h"
#include "support/sandbox.h"

namespace chconn::test {
namespace {

using namespace std::chrono_literals;

bool starts_with(const std::string& s, std::string_view prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// Both clients with the same arguments and input on the main sandbox: the same exit status and the
// same first line of stderr (and stdout).
void expect_same(const std::vector<std::string>& args, const std::string& input, int status) {
  const CliRun theirs = run_cli(false, args, input);
  const CliRun ours = run_cli(true, args, input);
  EXPECT_EQ(theirs.exit_code, status) << "clickhouse-client: " << theirs.first_err_line;
  EXPECT_EQ(ours.exit_code, status) << ours.first_err_line;
  EXPECT_EQ(ours.first_err_line, theirs.first_err_line);
  EXPECT_EQ(ours.out, theirs.out);
}

// Runs a client against a fake server of its own that plays `script` to it.
CliRun run_against(bool ours, const FakeScript& script, const std::vector<std::string>& args) {
  FakeServer server(script);
  return run_cli_at(ours, server.port(), args);
}

TEST(CliExitStatus, ServerExceptionsExitWithTheirCodeModulo256) {
  expect_same({"-q", "SELECT * FROM no_such_table_exit"}, {}, 60);
  expect_same({"-q", "SELECT throwIf(1)"}, {}, 395 % 256);
  expect_same({"--max_result_rows=10", "--result_overflow_mode=throw", "-q", "SELECT number FROM numbers(100000)"}, {},
              396 % 256);
  // Refused at the handshake: the same status; the line names where it came from in chconn's words.
  for (const bool ours : {false, true}) {
    const CliRun r = run_cli(ours, {"-d", "no_such_database_exit", "-q", "SELECT 1"});
    EXPECT_EQ(r.exit_code, 81) << ours << ": " << r.first_err_line;
    EXPECT_TRUE(starts_with(r.first_err_line, "Code: 81. DB::Exception: ")) << r.first_err_line;
    EXPECT_NE(r.first_err_line.find("Database no_such_database_exit doesn't exist"), std::string::npos)
        << r.first_err_line;
  }
}

// 18.16 exits with the code's low byte, so code 512 would exit 0 and pass for success: chconn exits
// 1 instead (a deliberate difference).
TEST(CliExitStatus, ACodeThatIsAMultipleOf256IsStillAFailure) {
  const auto script = FakeScript()
                          .handshake()
                          .read_query()
                          .send(fake::exception_packet(512, "DB::Exception", "a code whose low byte is 0"))
                          .stay_silent();
  const CliRun theirs = run_against(false, script, {"-q", "SELECT 1"});
  const CliRun ours = run_against(true, script, {"-q", "SELECT 1"});
  EXPECT_EQ(theirs.exit_code, 0) << theirs.first_err_line;
  EXPECT_EQ(ours.exit_code, 1) << ours.first_err_line;
  EXPECT_EQ(ours.first_err_line, theirs.first_err_line);
}

TEST(CliExitStatus, ARefusedConnectionIs210) {
  const RefusedPort refused;
  const CliRun theirs = run_cli_at(false, refused.port(), {"-q", "SELECT 1"});
  const CliRun ours = run_cli_at(true, refused.port(), {"-q", "SELECT 1"});
  EXPECT_EQ(theirs.exit_code, 210) << theirs.first_err_line;
  EXPECT_EQ(ours.exit_code, 210) << ours.first_err_line;
  for (const CliRun* r : {&theirs, &ours}) {
    EXPECT_TRUE(starts_with(r->first_err_line, "Code: 210. DB::NetException: ")) << r->first_err_line;
  }
}

TEST(CliExitStatus, AConnectTimeoutIs209) {
  const BlackholePort blackhole;
  const CliRun theirs = run_cli_at(false, blackhole.port(), {"--connect_timeout=1", "-q", "SELECT 1"});
  const CliRun ours = run_cli_at(true, blackhole.port(), {"--connect-timeout", "1s", "-q", "SELECT 1"});
  EXPECT_EQ(theirs.exit_code, 209) << theirs.first_err_line;
  EXPECT_EQ(ours.exit_code, 209) << ours.first_err_line;
  for (const CliRun* r : {&theirs, &ours}) {
    EXPECT_TRUE(starts_with(r->first_err_line, "Code: 209. DB::NetException: ")) << r->first_err_line;
  }
}

// A server that answers the Hello and then says nothing: 18.16 waits for it for good (measured:
// still waiting after 400 s, its receive_timeout notwithstanding), so only chconn runs here; its
// query timeout ends the wait with 209. The bound is the timeout plus the cancel drain timeout
// (5 s) plus as much again of slack.
TEST(CliExitStatus, AQueryTimeoutIs209) {
  FakeServer server(FakeScript().handshake().read_query().stay_silent());
  const auto start = std::chrono::steady_clock::now();
  const CliRun ours = run_cli_at(true, server.port(), {"--query-timeout", "1s", "-q", "SELECT 1"});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(ours.exit_code, 209) << ours.first_err_line;
  EXPECT_TRUE(starts_with(ours.first_err_line, "Code: 209. DB::NetException: ")) << ours.first_err_line;
  EXPECT_LT(took, 2 * (1s + 5s));
}

// The result breaks off: the server closes in the middle of a Data packet. 18.16 says "Cannot read
// all data" (33); chconn reports the closed connection as a network error, 210 (a known difference:
// chconn's errors say what failed by kind, not by the reader that noticed).
TEST(CliExitStatus, AServerThatClosesMidResult) {
  const std::string data = fake::data_packet(fake::uint64_block(100000), true);
  const auto script = FakeScript()
                          .handshake()
                          .read_query()
                          .send(fake::data_packet(fake::uint64_block(0), true))
                          .send(data.substr(0, data.size() / 2))
                          .close();
  const CliRun theirs = run_against(false, script, {"-q", "SELECT 1"});
  const CliRun ours = run_against(true, script, {"-q", "SELECT 1"});
  EXPECT_EQ(theirs.exit_code, 33) << theirs.first_err_line;
  EXPECT_TRUE(starts_with(theirs.first_err_line, "Code: 33. DB::Exception: Cannot read all data"))
      << theirs.first_err_line;
  EXPECT_EQ(ours.exit_code, 210) << ours.first_err_line;
  EXPECT_TRUE(starts_with(ours.first_err_line, "Code: 210. DB::NetException: ")) << ours.first_err_line;
  EXPECT_EQ(ours.out, "");
}

// A reply that is not the protocol: an unknown packet code. Both: 100.
TEST(CliExitStatus, AnUnknownPacketIs100) {
  const auto script = FakeScript().handshake().read_query().send(fake::uvarint(99)).stay_silent();
  const CliRun theirs = run_against(false, script, {"-q", "SELECT 1"});
  const CliRun ours = run_against(true, script, {"-q", "SELECT 1"});
  EXPECT_EQ(theirs.exit_code, 100) << theirs.first_err_line;
  EXPECT_EQ(ours.exit_code, 100) << ours.first_err_line;
  for (const CliRun* r : {&theirs, &ours}) {
    EXPECT_TRUE(starts_with(r->first_err_line, "Code: 100. DB::Exception: ")) << r->first_err_line;
  }
}

// A corrupt compressed frame: 18.16 checks the checksum (40); chconn reports every reply that breaks
// the protocol as 100 (a known difference).
TEST(CliExitStatus, ACorruptFrame) {
  std::string data = fake::data_packet(fake::uint64_block(1000), true);
  data[data.size() / 2] = static_cast<char>(data[data.size() / 2] ^ 0x5a);
  const auto script = FakeScript().handshake().read_query().send(data).stay_silent();
  const CliRun theirs = run_against(false, script, {"-q", "SELECT 1"});
  const CliRun ours = run_against(true, script, {"-q", "SELECT 1"});
  EXPECT_EQ(theirs.exit_code, 40) << theirs.first_err_line;
  EXPECT_EQ(ours.exit_code, 100) << ours.first_err_line;
  EXPECT_TRUE(starts_with(ours.first_err_line, "Code: 100. DB::Exception: ")) << ours.first_err_line;
}

TEST(CliExitStatus, BadFlagsAre1) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--no-such-flag", "-q", "SELECT 1"},
                                               std::vector<std::string>{"--port", "abc", "-q", "SELECT 1"}}) {
    SCOPED_TRACE(args[0]);
    const CliRun theirs = run_cli(false, args);
    const CliRun ours = run_cli(true, args);
    EXPECT_EQ(theirs.exit_code, 1) << theirs.first_err_line;
    EXPECT_EQ(ours.exit_code, 1) << ours.first_err_line;
    for (const CliRun* r : {&theirs, &ours}) {
      EXPECT_TRUE(starts_with(r->first_err_line, "Bad arguments: ")) << r->first_err_line;
    }
  }
}

// No statement at all: 18.16's client refuses before sending anything, except with -n and no text
// at all. -q '' is an empty query, not "read stdin".
TEST(CliExitStatus, EmptyInputIs62) {
  for (const std::string input : {"  \n\n", "-- only a comment\n", ";\n", "/* a */ ;"}) {
    SCOPED_TRACE(input);
    expect_same({"-n"}, input, 62);
    expect_same({}, input, 62);
  }
  expect_same({}, "", 62);
  expect_same({"-n"}, "", 0);
  expect_same({"-q", ""}, "SELECT 1", 62);
  expect_same({"-n", "-q", ""}, "SELECT 1", 0);
}

TEST(CliExitStatus, AnErrorStopsAScript) {
  expect_same({"-n"}, "SELECT 1;\nSELECT * FROM no_such_table_exit;\nSELECT 2;\n", 60);
  expect_same({"-n", "-q", "SELECT 1; SELECT throwIf(1); SELECT 2"}, {}, 395 % 256);
}

// A syntax error is found by 18.16's client itself and by the server for chconn: the status is the
// same, the first line is not (the server's message, after "Received exception from server").
TEST(CliExitStatus, ASyntaxErrorIs62) {
  for (const bool ours : {false, true}) {
    const CliRun r = run_cli(ours, {"-n", "-q", "SELECT 1; SELEC 2; SELECT 3"});
    EXPECT_EQ(r.exit_code, 62) << ours << ": " << r.first_err_line;
    EXPECT_EQ(r.out, "1\n") << ours;
  }
}

// --ignore-error: the statements after an error still run, and the status is the last error's; a
// syntax error does not count.
TEST(CliExitStatus, IgnoreErrorGoesOnAndExitsWithTheLastError) {
  expect_same({"-n", "--ignore-error", "-q", "SELECT * FROM no_such_table_exit; SELECT 2; SELECT throwIf(1); SELECT 3"},
              {}, 395 % 256);
  expect_same({"-n", "--ignore-error"}, "SELECT throwIf(1);\nSELECT 2;\n", 395 % 256);
  for (const bool ours : {false, true}) {
    const CliRun r = run_cli(ours, {"-n", "--ignore-error", "-q", "SELECT 1; SELEC 2; SELECT 3"});
    EXPECT_EQ(r.exit_code, 0) << ours << ": " << r.first_err_line;
    EXPECT_EQ(r.out, "1\n3\n") << ours;
  }
}

TEST(CliExitStatus, AnIntoOutfileThatExistsIs76) {
  char dir_template[] = "/tmp/chconn-exit-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/exists.tsv";
  ASSERT_EQ(run_cli(true, {"-q", "SELECT 1 INTO OUTFILE '" + path + "'"}).exit_code, 0);
  expect_same({"-q", "SELECT 2 INTO OUTFILE '" + path + "'"}, {}, 76);
  std::remove(path.c_str());
  ::rmdir(dir_template);
}

}  // namespace
}  // namespace chconn::test
