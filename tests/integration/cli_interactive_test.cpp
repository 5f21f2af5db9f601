// chconn's interactive prompt on a pseudo-terminal against the 18.16 sandbox: keys are typed, and
// each step waits (bounded) for the text that shows it is done — the summary line, the next prompt —
// never for a fixed time.
#include <signal.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "chconn/format/text.h"
#include "cli_support.h"
#include "support/connection_helpers.h"
#include "support/pty_child.h"
#include "support/sandbox.h"

namespace chconn::test {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;

// Generous bounds for a loaded 2-core machine: a prompt or a short result, and a server that must
// list or drop a query.
constexpr auto k_step = 30000ms;
constexpr auto k_server_bound = 30s;

std::string unique(std::string_view what) {
  std::random_device rd;
  return "chconn-prompt-" + std::string(what) + "-" + std::to_string(rd());
}

std::size_t count_of(const std::string& text, std::string_view part) {
  std::size_t n = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

class CliInteractive : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = chconn_binary();
    ASSERT_FALSE(binary_.empty()) << "the chconn binary was not found (set CHCONN_CLI_BINARY)";
    dir_ = std::filesystem::temp_directory_path() / unique("home");
    std::filesystem::create_directories(dir_);
    history_ = (dir_ / "history").string();
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // chconn on a terminal, connected to the main sandbox, at its first prompt.
  std::unique_ptr<PtyChild> start(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv{binary_, "--port", std::to_string(sandbox("main").native_port), "--history-file",
                                  history_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto child = std::make_unique<PtyChild>(
        argv, std::vector<std::string>{"TERM=xterm", "HOME=" + dir_.string(), "CHCONN_HISTORY_FILE="});
    EXPECT_TRUE(child->wait_for_prompt(" :) ", k_step)) << "no prompt; the terminal showed:\n" << child->output();
    return child;
  }

  // Types a statement and waits for its summary line and the next prompt; returns what it printed.
  std::string run(PtyChild& child, std::string_view keys, std::string_view until = "rows in set. Elapsed: ") {
    const std::size_t from = child.output().size();
    child.type(keys);
    EXPECT_TRUE(child.wait_for(until, from, k_step)) << "after " << keys << " the terminal showed:\n"
                                                     << child.output().substr(from);
    EXPECT_TRUE(child.wait_for_prompt(" :) ", k_step)) << "no prompt after " << keys;
    return child.output().substr(from);
  }

  std::string binary_;
  std::filesystem::path dir_;
  std::string history_;
};

TEST_F(CliInteractive, RunsAStatementAndPrintsPrettyCompactWithTheElapsedTime) {
  auto child = start();
  const std::string out = run(*child, "SELECT 41 + 1 AS answer;\r");
  EXPECT_NE(out.find("answer"), std::string::npos) << out;
  EXPECT_NE(out.find("│     42 │"), std::string::npos) << out;  // PrettyCompact, the terminal's default
  EXPECT_NE(out.find("\n1 rows in set. Elapsed: 0."), std::string::npos) << out;
  EXPECT_NE(out.find(" sec. \r\n"), std::string::npos) << out;
}

TEST_F(CliInteractive, AStatementOverSeveralLinesEndsAtItsSemicolon) {
  auto child = start();
  const std::size_t from = child->output().size();
  child->type("SELECT\r");
  ASSERT_TRUE(child->wait_for_prompt(":-] ", from, k_step)) << child->output().substr(from);
  child->type("  6 * 7\r");
  ASSERT_TRUE(child->wait_for_prompt(":-] ", k_step)) << child->output().substr(from);
  const std::string out = run(*child, "  AS product;\r");
  EXPECT_NE(out.find("│      42 │"), std::string::npos) << out;
}

TEST_F(CliInteractive, ASemicolonInAStringOrCommentDoesNotEndTheStatement) {
  auto child = start();
  const std::size_t from = child->output().size();
  child->type("SELECT 'a;b' AS s -- c;\r");
  ASSERT_TRUE(child->wait_for_prompt(":-] ", from, k_step)) << child->output().substr(from);
  const std::string out = run(*child, ";\r");
  EXPECT_NE(out.find("│ a;b │"), std::string::npos) << out;
  EXPECT_EQ(count_of(child->output(), "rows in set"), 1u) << child->output();
}

TEST_F(CliInteractive, HistoryIsWrittenToTheFileAndRecalledWithUpArrowInTheNextSession) {
  {
    auto child = start();
    run(*child, "SELECT 123454 + 1 AS recalled;\r");
    child->type("\x04");
    EXPECT_EQ(child->wait_exit(k_step), 0);
  }
  struct stat st {};
  ASSERT_EQ(::stat(history_.c_str(), &st), 0) << "no history file";
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // statements may hold passwords
  std::ifstream in(history_);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("123454"), std::string::npos) << text.str();

  auto child = start();
  const std::string out = run(*child, "\x1b[A\r");
  EXPECT_NE(out.find("123455"), std::string::npos) << out;
}

TEST_F(CliInteractive, BackslashGAsksForTheVerticalFormat) {
  auto child = start();
  if (text::parse_output_format("Vertical")) {
    const std::string out = run(*child, "SELECT 1 AS x, 'y' AS z\\G\r");
    EXPECT_NE(out.find("Row 1:"), std::string::npos) << out;
    EXPECT_NE(out.find("z: y"), std::string::npos) << out;
  } else {
    // Until the format layer has Vertical, \G fails clearly and the prompt goes on.
    const std::string out = run(*child, "SELECT 1 AS x\\G\r", "Vertical");
    EXPECT_NE(out.find("\\G needs the Vertical output format"), std::string::npos) << out;
    const std::string next = run(*child, "SELECT 2 AS two;\r");
    EXPECT_NE(next.find("│   2 │"), std::string::npos) << next;
  }
}

TEST_F(CliInteractive, AnErrorIsPrintedAndTheNextStatementRuns) {
  auto child = start();
  const std::string bad = run(*child, "SELECT no_such_function(1);\r");
  EXPECT_NE(bad.find("Code: 46. DB::Exception: Received from "), std::string::npos) << bad;
  EXPECT_NE(bad.find("Unknown function no_such_function"), std::string::npos) << bad;
  const std::string good = run(*child, "SELECT 5 AS five;\r");
  EXPECT_NE(good.find("│    5 │"), std::string::npos) << good;
}

TEST_F(CliInteractive, InsertFormatWithTheSemicolonAtOnceIsRefusedAs1816Does) {
  // 18.16's clickhouse-client at its prompt: INSERT INTO t FORMAT CSV; prints "Exception on
  // client: Code: 62. DB::Exception: You have excessive ';' symbol before data for INSERT." with an
  // example, inserts nothing and the prompt goes on; VALUES; inserts nothing and says Ok. (chconn
  // of main took the ';' for a CSV row: code 27.)
  auto child = start();
  const std::string table = "prompt_insert_" + std::to_string(std::random_device()());
  run(*child, "CREATE TABLE " + table + " (a UInt8, s String) ENGINE = Memory;\r");
  const std::string bad = run(*child, "INSERT INTO " + table + " FORMAT CSV;\r", "before data for INSERT.");
  EXPECT_NE(bad.find("Code: 62. DB::Exception: You have excessive ';' symbol before data for INSERT."),
            std::string::npos)
      << bad;
  EXPECT_NE(bad.find("you need to put at least one whitespace symbol before the data."), std::string::npos) << bad;
  const std::string none = run(*child, "INSERT INTO " + table + " VALUES;\r");
  EXPECT_NE(none.find("Ok."), std::string::npos) << none;
  run(*child, "INSERT INTO " + table + " VALUES (1, 'x');\r");
  const std::string count = run(*child, "SELECT count() AS n FROM " + table + ";\r");
  EXPECT_NE(count.find("│ 1 │"), std::string::npos) << count;
  run(*child, "DROP TABLE " + table + ";\r");
}

TEST_F(CliInteractive, CtrlCAtThePromptDropsTheLinesTyped) {
  auto child = start();
  std::size_t from = child->output().size();
  child->type("SELECT 99\r");  // an unfinished statement over two lines
  ASSERT_TRUE(child->wait_for_prompt(":-] ", from, k_step)) << child->output().substr(from);
  child->type("+ 1");
  from = child->output().size();
  child->type("\x03");
  ASSERT_TRUE(child->wait_for_prompt(" :) ", from, k_step)) << "no new prompt after Ctrl-C:\n" << child->output();
  const std::string out = run(*child, "SELECT 6 AS six;\r");
  EXPECT_NE(out.find("│   6 │"), std::string::npos) << out;
  EXPECT_EQ(out.find("100"), std::string::npos) << out;
}

TEST_F(CliInteractive, CtrlCDuringAQueryCancelsItOnTheServerAndThePromptGoesOn) {
  auto probe = connect_sandbox();
  const std::string marker = unique("long");
  const auto listed = [&] {
    const Result r = probe->execute("SELECT count() AS n FROM system.processes WHERE query LIKE '%" + marker +
                                    "%' AND query NOT LIKE '%system.processes%'");
    return r.value<std::uint64_t>("n") > 0;
  };
  const auto wait_listed = [&](bool want) {
    const auto give_up = Steady::now() + k_server_bound;
    while (Steady::now() < give_up) {
      if (listed() == want) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  };
  auto child = start({"--query-timeout", "600s"});
  // An endless scan (system.numbers has no end); only a cancel stops it.
  child->type("SELECT count() FROM system.numbers WHERE '" + marker + "' != '';\r");
  ASSERT_TRUE(wait_listed(true)) << "the query never started:\n" << child->output();
  const std::size_t from = child->output().size();
  child->type("\x03");
  ASSERT_TRUE(child->wait_for("Query was cancelled.", from, k_step)) << child->output().substr(from);
  ASSERT_TRUE(child->wait_for_prompt(" :) ", k_step)) << child->output().substr(from);
  EXPECT_TRUE(wait_listed(false)) << "the query still runs on the server";
  const std::string out = run(*child, "SELECT 7 AS seven;\r");
  EXPECT_NE(out.find("│     7 │"), std::string::npos) << out;
}

TEST_F(CliInteractive, CtrlDAndExitLeaveWithStatusZero) {
  {
    auto child = start();
    const std::size_t from = child->output().size();
    child->type("\x04");
    EXPECT_EQ(child->wait_exit(k_step), 0);
    EXPECT_NE(child->output().find("Bye.", from), std::string::npos) << child->output();
  }
  auto child = start();
  child->type("exit\r");
  EXPECT_EQ(child->wait_exit(k_step), 0);
}

TEST_F(CliInteractive, SigtermAtThePromptExits143) {
  auto child = start();
  child->type("SELECT 1");  // half a statement: nothing runs
  ASSERT_EQ(::kill(child->pid(), SIGTERM), 0);
  EXPECT_EQ(child->wait_exit(k_step), 143) << child->output();
  EXPECT_EQ(child->output().find("rows in set"), std::string::npos) << child->output();
}

}  // namespace
}  // namespace chconn::test
