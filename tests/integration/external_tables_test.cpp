// External tables (QueryOptions::external_tables, clickhouse-client's --external): temporary
// tables sent after the Query packet, read by the query by name.
//
// Library: blocks from an InsertSource, several tables, an empty one, a source failing before and
// after its first block (the connection kept, resp. closed so that the server never runs the query
// on part of a table). CLI: chconn against clickhouse-client 18.16 on the same server, comparing
// stdout, the first line of stderr and the exit status.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "chconn/connection/native_connection.h"
#include "chconn/core/error.h"
#include "chconn/wire/columns.h"
#include "cli_support.h"
#include "support/connection_helpers.h"
#include "support/expect_error.h"
#include "support/sandbox.h"

namespace chconn::test {
namespace {

Block structure_x() {
  Block b;
  b.append("x", make_column(parse_type("UInt64")));
  return b;
}

// `blocks` blocks of `rows` values of x (0, 1, 2, ...); `fail_at` (if set) throws when block i is
// asked for.
class NumbersSource final : public InsertSource {
 public:
  NumbersSource(std::size_t blocks, std::size_t rows, std::optional<std::size_t> fail_at = std::nullopt)
      : blocks_(blocks), rows_(rows), fail_at_(fail_at) {}
  void start(const Block&) override {}
  std::optional<Block> next() override {
    if (fail_at_ && made_ == *fail_at_)
      throw Error(ErrorKind::usage, "the source fails at block " + std::to_string(made_));
    if (made_ == blocks_) return std::nullopt;
    auto x = std::make_shared<ColumnUInt64>();
    for (std::size_t i = 0; i < rows_; ++i) x->append(made_ * rows_ + i);
    ++made_;
    Block b;
    b.append("x", x);
    return b;
  }

 private:
  std::size_t blocks_, rows_, made_ = 0;
  std::optional<std::size_t> fail_at_;
};

TEST(ExternalTables, AQueryReadsSeveralTablesBlockByBlock) {
  auto conn = connect_sandbox();
  NumbersSource a(3, 1000);  // 3000 rows in 3 blocks
  NumbersSource b(1, 10);
  NumbersSource none(0, 0);
  QueryOptions options;
  options.external_tables = {
      {"ext_a", structure_x(), &a}, {"ext_b", structure_x(), &b}, {"ext_none", structure_x(), &none}};
  const Result r = conn->execute(
      "SELECT (SELECT count() FROM ext_a) AS na, (SELECT sum(x) FROM ext_a) AS sa, (SELECT count() FROM ext_b) AS nb, "
      "(SELECT count() FROM ext_none) AS nn",
      options);
  EXPECT_EQ(r.row(0).get<std::uint64_t>("na"), 3000u);
  EXPECT_EQ(r.row(0).get<std::uint64_t>("sa"), 2999u * 3000u / 2);
  EXPECT_EQ(r.row(0).get<std::uint64_t>("nb"), 10u);
  EXPECT_EQ(r.row(0).get<std::uint64_t>("nn"), 0u) << "a table without rows still exists";
  // The tables were the query's only: the next query does not see them.
  EXPECT_THROW(conn->execute("SELECT count() FROM ext_a"), Error);
  EXPECT_TRUE(conn->usable());
}

TEST(ExternalTables, ASourceThatFailsBeforeSendingKeepsTheConnection) {
  auto conn = connect_sandbox();
  NumbersSource failing(3, 10, 0);
  QueryOptions options;
  options.external_tables = {{"ext", structure_x(), &failing}};
  // start() and the structure go first; the first next() fails: the structure was sent, so the
  // connection is closed and the query never runs.
  const Error e = test::thrown_error([&] { conn->execute("SELECT count() FROM ext", options); });
  EXPECT_NE(e.message().find("the external table 'ext': the query was not run"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("the source fails at block 0"), std::string::npos) << e.what();
  EXPECT_FALSE(conn->usable());

  // Refused before anything is sent (two tables of one name): the connection stays usable.
  auto fresh = connect_sandbox();
  NumbersSource a(1, 1);
  QueryOptions twice;
  twice.external_tables = {{"t", structure_x(), &a}, {"t", structure_x(), &a}};
  EXPECT_THROW(fresh->execute("SELECT 1", twice), Error);
  EXPECT_TRUE(fresh->usable());
  const Result after = fresh->execute("SELECT 7 AS n");
  EXPECT_EQ(after.row(0).get<std::uint8_t>("n"), 7);
}

TEST(ExternalTables, ASourceThatFailsMidTableClosesTheConnection) {
  auto conn = connect_sandbox();
  NumbersSource failing(5, 100, 2);  // two blocks sent, then a failure
  QueryOptions options;
  options.external_tables = {{"ext", structure_x(), &failing}};
  EXPECT_THROW(conn->execute("SELECT count() FROM ext", options), Error);
  EXPECT_FALSE(conn->usable()) << "the server would otherwise run the query on 200 of the rows";
}

TEST(ExternalTables, AnInsertRefusesThem) {
  auto conn = connect_sandbox();
  NumbersSource a(1, 1);
  QueryOptions options;
  options.external_tables = {{"ext", structure_x(), &a}};
  NumbersSource rows(1, 1);
  EXPECT_THROW(conn->insert(parse_insert_target("nowhere"), rows, options), Error);
  EXPECT_TRUE(conn->usable());
}

// ----- the CLI against clickhouse-client 18.16 --------------------------------------------------

class ExternalCli : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/chconn-external-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string file(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  // Both clients: the same stdout, first line of stderr and status.
  static void expect_same(const std::vector<std::string>& args, const std::string& input, int status) {
    const CliRun theirs = run_cli(false, args, input);
    const CliRun ours = run_cli(true, args, input);
    EXPECT_EQ(theirs.exit_code, status) << "clickhouse-client: " << theirs.first_err_line;
    EXPECT_EQ(ours.exit_code, status) << ours.first_err_line;
    EXPECT_EQ(ours.first_err_line, theirs.first_err_line);
    EXPECT_EQ(ours.out, theirs.out);
  }

  std::string dir_;
};

TEST_F(ExternalCli, TablesFromFilesAndStdinAsClickHouseClient) {
  const std::string tsv = file("a.tsv", "1\tone\n2\ttwo\\tescaped\n3\t\\N\n");
  const std::string csv = file("b.csv", "10,\"x;y\"\n20,\"q\"\"uote\"\n");
  expect_same({"-q", "SELECT * FROM ext ORDER BY a", "--external", "--file", tsv, "--name", "ext", "--structure",
               "a UInt64, b Nullable(String)"},
              {}, 0);
  // Two tables, CSV with --types (columns _1, _2), the --flag=value forms.
  expect_same({"-q", "SELECT * FROM (SELECT a, b FROM ext UNION ALL SELECT _1 AS a, _2 AS b FROM e2) ORDER BY a",
               "--external", "--file=" + tsv, "--name=ext", "--structure=a UInt64, b Nullable(String)", "--external",
               "--file", csv, "--name", "e2", "--format", "CSV", "--types", "UInt64, Nullable(String)"},
              {}, 0);
  // stdin ("-"), and the default name _data; the output format flag after the group is chconn's.
  expect_same({"-q", "SELECT sum(a), count() FROM _data", "--external", "--file", "-", "--structure",
               "a UInt32, b String", "--format", "TSV", "-f", "CSV"},
              "5\tx\n6\ty\n", 0);
}

// Many rows: the file is read block by block (1048576 rows a block) and every row arrives.
TEST_F(ExternalCli, ALargeTable) {
  std::string rows;
  for (int i = 0; i < 1500000; ++i) rows += std::to_string(i) + "\n";
  const std::string path = file("big.tsv", rows);
  expect_same({"-q", "SELECT count(), sum(n), min(n), max(n) FROM big", "--external", "--file", path, "--name", "big",
               "--structure", "n UInt64"},
              {}, 0);
}

TEST_F(ExternalCli, ErrorsAsClickHouseClient) {
  const std::string tsv = file("a.tsv", "1\tx\n");
  // No structure: 36; a file that does not exist: 107, word for word.
  expect_same({"-q", "SELECT * FROM ext", "--external", "--file", tsv, "--name", "ext"}, {}, 36);
  expect_same({"-q", "SELECT * FROM ext", "--external", "--file", dir_ + "/missing.tsv", "--name", "ext", "--structure",
               "a UInt8"},
              {}, 107);
  // An unknown type: 50, in chconn's words.
  for (const bool ours : {false, true}) {
    const CliRun r = run_cli(
        ours, {"-q", "SELECT * FROM ext", "--external", "--file", tsv, "--name", "ext", "--structure", "a Foo"});
    EXPECT_EQ(r.exit_code, 50) << ours << ": " << r.first_err_line;
    EXPECT_EQ(r.first_err_line.rfind("Code: 50. DB::Exception: ", 0), 0u) << r.first_err_line;
  }
  // A row that cannot be read: 27, and nothing runs.
  const std::string bad = file("bad.tsv", "1\tx\nnot a number\ty\n");
  for (const bool ours : {false, true}) {
    const CliRun r = run_cli(ours, {"-q", "SELECT * FROM ext", "--external", "--file", bad, "--name", "ext",
                                    "--structure", "a UInt8, b String"});
    EXPECT_EQ(r.exit_code, 27) << ours << ": " << r.first_err_line;
    EXPECT_EQ(r.first_err_line.rfind("Code: 27. DB::Exception: Cannot parse input: ", 0), 0u) << r.first_err_line;
    EXPECT_EQ(r.out, "");
  }
}

// A known difference: 18.16's client sends no table for a file without rows, so the query does
// not find it (60); chconn sends the table's structure first, so it exists and is empty.
TEST_F(ExternalCli, AnEmptyFileIsAnEmptyTable) {
  const std::string empty = file("empty.tsv", "");
  const std::vector<std::string> args{
      "-q", "SELECT count() FROM ext", "--external", "--file", empty, "--name", "ext", "--structure", "a UInt8"};
  const CliRun theirs = run_cli(false, args);
  const CliRun ours = run_cli(true, args);
  EXPECT_EQ(theirs.exit_code, 60) << theirs.first_err_line;
  EXPECT_EQ(ours.exit_code, 0) << ours.first_err_line;
  EXPECT_EQ(ours.out, "0\n");
}

}  // namespace
}  // namespace chconn::test
