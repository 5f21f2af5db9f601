// Loading text against the 18.16 sandbox: text::insert_text() of every input format compared with
// clickhouse-client loading the same bytes, and the CLI's INSERT ... VALUES / FORMAT run side by
// side with clickhouse-client (stdout, the first line of stderr and the exit status compared).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "chconn/connection/native_connection.h"
#include "chconn/core/error.h"
#include "chconn/format/input.h"
#include "chconn/wire/columns.h"
#include "cli_support.h"
#include "support/connection_helpers.h"

namespace chconn {
namespace {

void recreate(Connection& conn, const std::string& table, const std::string& columns) {
  conn.execute("DROP TABLE IF EXISTS " + table);
  conn.execute("CREATE TABLE " + table + " (" + columns + ") ENGINE = Memory");
}

// ---- insert_text against clickhouse-client on the same bytes ----------------------------------

const char* k_types =
    "u UInt64, s String, f Float64, t DateTime, a Array(String), n Nullable(Int32), d Date, "
    "e Enum8('x' = 1, 'y' = 2), dec Decimal(9, 3), id UUID, fs FixedString(2), tz DateTime('Asia/Tokyo')";

struct FormatCase {
  const char* format;
  std::string data;
};

std::vector<FormatCase> format_cases() {
  return {
      {"TabSeparated",
       "1\ta\\tb\\\\c\t1.5\t2020-01-02 03:04:05\t['x','y\\'z']\t\\N\t2020-01-02\tx\t1.25\t"
       "00000000-0000-0000-0000-00000000000a\tab\t2020-06-01 09:00:00\n"
       "18446744073709551615\t\t-0.001\t1577836800\t[]\t-7\t1970-01-01\ty\t-3.5\t"
       "00000000-0000-0000-0000-000000000000\ta\t1577836800\n"},
      {"CSV",
       "1,\"a,\"\"b\"\"\",1e3,\"2020-01-02 03:04:05\",\"['p']\",\\N,2020-01-02,y,0.001,"
       "00000000-0000-0000-0000-00000000000b,zz,2020-06-01 09:00:00\r\n"
       "2, spaced ,-inf,2020-12-31 23:59:59,[],5,2021-03-04,x,7,00000000-0000-0000-0000-00000000000c,q,1577836800\n"},
      {"JSONEachRow",
       "{\"u\":3,\"s\":\"j\\u00e9\\n\",\"f\":0.25,\"t\":\"2020-01-02 03:04:05\",\"a\":[\"m\",\"n\"],\"n\":null,"
       "\"d\":\"2020-02-29\",\"e\":\"y\",\"dec\":2.5,\"id\":\"00000000-0000-0000-0000-00000000000d\","
       "\"fs\":\"ok\",\"tz\":\"2020-06-01 09:00:00\"}\n{\"u\":4}\n"},
      {"Values",
       "(5, 'v\\'w', -1.5, '2020-01-02 03:04:05', ['a', 'b'], NULL, '2020-01-02', 'x', -0.125, "
       "'00000000-0000-0000-0000-00000000000e', 'vv', '2020-06-01 09:00:00'), "
       "(6, '', 0, '1970-01-02 00:00:00', [], -1, '2000-01-01', 'y', 1, '00000000-0000-0000-0000-000000000000', "
       "'', '2000-01-01 00:00:00')"},
  };
}

TEST(InsertText, EveryFormatLoadsAsClickHouseClientLoadsIt) {
  auto conn = test::connect_sandbox();
  const auto server = test::sandbox("main");
  for (const FormatCase& c : format_cases()) {
    SCOPED_TRACE(c.format);
    recreate(*conn, "load_ours", k_types);
    recreate(*conn, "load_theirs", k_types);
    text::MemoryByteSource bytes(c.data);
    const std::size_t rows = text::insert_text(*conn, "load_ours", *text::parse_input_format(c.format), bytes);
    EXPECT_EQ(rows, 2u);
    const auto theirs =
        test::run_process({test::clickhouse_client_binary(), "--port", std::to_string(server.native_port), "-q",
                           std::string("INSERT INTO load_theirs FORMAT ") + c.format},
                          c.data);
    ASSERT_EQ(theirs.exit_code, 0) << theirs.err;
    const auto ours_text =
        test::run_process({test::clickhouse_client_binary(), "--port", std::to_string(server.native_port), "-q",
                           "SELECT * FROM load_ours ORDER BY u FORMAT TSV"});
    const auto theirs_text =
        test::run_process({test::clickhouse_client_binary(), "--port", std::to_string(server.native_port), "-q",
                           "SELECT * FROM load_theirs ORDER BY u FORMAT TSV"});
    EXPECT_EQ(ours_text.out, theirs_text.out);
    EXPECT_FALSE(ours_text.out.empty());
  }
}

// ---- the CLI against clickhouse-client ----------------------------------------------------------

struct CliCase {
  std::string name;
  std::vector<std::string> args;
  std::string input;
  // Compare stderr's first line up to this many bytes (0: all of it). Parse errors agree on
  // "Code: 27. DB::Exception: Cannot parse input: " and then say it each in its own words.
  std::size_t err_prefix = 0;
  // clickhouse-client reports a syntax error itself, chconn gets it from the server: the first
  // lines differ there, the exit status does not.
  bool compare_err = true;
};

TEST(CliLoad, InsertsMatchClickHouseClient) {
  const std::size_t parse = std::string("Code: 27. DB::Exception: Cannot parse input: ").size();
  const std::vector<CliCase> cases = {
      {"values inline", {"-q", "INSERT INTO load_cli VALUES (1, 'a'), (2, 'b')"}, ""},
      {"values on stdin", {"-q", "INSERT INTO load_cli VALUES"}, "(3, 'c'), (4, 'd')"},
      {"csv on stdin", {"-q", "INSERT INTO load_cli FORMAT CSV"}, "5,e\n6,\"f,g\"\n"},
      {"tsv after the query", {"-q", "INSERT INTO load_cli FORMAT TSV\n7\th\n8\ti\n"}, ""},
      {"column list", {"-q", "INSERT INTO load_cli (s, a) FORMAT JSONEachRow"}, "{\"a\":9,\"s\":\"j\"}\n"},
      {"script",
       {"-n"},
       "INSERT INTO load_cli VALUES (10, 'k');\nINSERT INTO load_cli FORMAT TSV 11\tl\n"
       "INSERT INTO load_cli FORMAT CSV\n12,m\nSELECT count() FROM load_cli;\n"},
      {"bad tsv row", {"-q", "INSERT INTO load_cli FORMAT TSV"}, "13\tn\nx\to\n", parse},
      {"bad csv row", {"-q", "INSERT INTO load_cli FORMAT CSV"}, "14\n", parse},
      {"bad values", {"-q", "INSERT INTO load_cli VALUES (1)"}, "", parse},
      {"unknown table", {"-q", "INSERT INTO load_nowhere VALUES (1, 'a')"}, ""},
      {"values cut at the line end in a script",
       {"-n"},
       "INSERT INTO load_cli VALUES (15,'p')\n,(16,'q');\n",
       0,
       false},
      {"select back", {"-q", "SELECT * FROM load_cli ORDER BY a, s"}, ""},
  };
  auto conn = test::connect_sandbox();
  for (bool ours : {false, true}) {
    recreate(*conn, ours ? "load_cli_ours" : "load_cli_theirs", "a Int32, s String");
  }
  for (const CliCase& c : cases) {
    SCOPED_TRACE(c.name);
    test::CliRun runs[2];
    for (int ours = 0; ours < 2; ++ours) {
      // Each side loads its own table: the statements name load_cli, renamed per side.
      std::vector<std::string> args = c.args;
      std::string input = c.input;
      const std::string table = ours ? "load_cli_ours" : "load_cli_theirs";
      const auto rename = [&](std::string& text) {
        for (std::size_t at = text.find("load_cli"); at != std::string::npos; at = text.find("load_cli", at + 1)) {
          text.replace(at, 8, table);
          at += table.size() - 1;
        }
      };
      for (auto& a : args) rename(a);
      rename(input);
      runs[ours] = test::run_cli(ours == 1, args, input);
    }
    EXPECT_EQ(runs[1].out, runs[0].out);
    EXPECT_EQ(runs[1].exit_code, runs[0].exit_code)
        << "chconn: " << runs[1].first_err_line << "\nclickhouse-client: " << runs[0].first_err_line;
    const std::size_t n = c.err_prefix ? c.err_prefix : std::string::npos;
    if (c.compare_err) {
      EXPECT_EQ(runs[1].first_err_line.substr(0, n), runs[0].first_err_line.substr(0, n));
    }
  }
}

}  // namespace
}  // namespace chconn
