// Loading text against the 18.16 sandbox: text::insert_text() of every input format compared with
// clickhouse-client loading the same bytes, and the CLI's INSERT ... VALUES / FORMAT run side by
// side with clickhouse-client (stdout, the first line of stderr and the exit status compared).
#include <gtest/gtest.h>

#include <optional>
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

// ---- expressions in VALUES: chconn evaluates them on the server, 18.16's client itself ------------

// One statement of a load corpus, run by chconn and clickhouse-client on tables of their own
// (the statements name `table`, renamed per side). `known` names a known difference: then chconn's exit
// status and first stderr line are asserted as `ours_status` and `ours_err` (a prefix), and
// clickhouse-client's as `theirs_status`, instead of being compared.
struct LoadCase {
  std::string name;
  std::vector<std::string> args;
  std::string input;
  const char* known = nullptr;
  int ours_status = 0;
  std::string ours_err;
  int theirs_status = 0;
  // With `known`: stdout of each, when set.
  std::optional<std::string> ours_out{};
  std::optional<std::string> theirs_out{};
};

// Runs `cases` against tables `table`_ours and `table`_theirs of `columns`, comparing stdout, the
// first line of stderr and the exit status, or asserting a known difference as the case states it.
// `config`: the connection that creates the tables (a setting such as
// allow_experimental_low_cardinality_type); the sandbox's own when null.
void run_load_cases(const std::string& table_name, const std::string& columns, const std::vector<LoadCase>& cases,
                    const Config* config = nullptr) {
  auto conn = config != nullptr ? test::connect(*config) : test::connect_sandbox();
  for (bool ours : {false, true}) recreate(*conn, table_name + (ours ? "_ours" : "_theirs"), columns);
  for (const LoadCase& c : cases) {
    SCOPED_TRACE(c.name);
    test::CliRun runs[2];
    for (int ours = 0; ours < 2; ++ours) {
      const std::string table = table_name + (ours ? "_ours" : "_theirs");
      const auto rename = [&](std::string text) {
        for (std::size_t at = text.find(table_name); at != std::string::npos; at = text.find(table_name, at + 1)) {
          text.replace(at, table_name.size(), table);
          at += table.size() - 1;
        }
        return text;
      };
      std::vector<std::string> args;
      for (const auto& a : c.args) args.push_back(rename(a));
      runs[ours] = test::run_cli(ours == 1, args, rename(c.input));
    }
    if (c.known != nullptr) {
      SCOPED_TRACE(std::string("known difference: ") + c.known);
      EXPECT_EQ(runs[1].exit_code, c.ours_status) << runs[1].first_err_line;
      EXPECT_EQ(runs[1].first_err_line.substr(0, c.ours_err.size()), c.ours_err);
      EXPECT_EQ(runs[0].exit_code, c.theirs_status) << runs[0].first_err_line;
      if (c.ours_out) {
        EXPECT_EQ(runs[1].out, *c.ours_out);
      }
      if (c.theirs_out) {
        EXPECT_EQ(runs[0].out, *c.theirs_out);
      }
      continue;
    }
    EXPECT_EQ(runs[1].out, runs[0].out);
    EXPECT_EQ(runs[1].exit_code, runs[0].exit_code)
        << "chconn: " << runs[1].first_err_line << "\nclickhouse-client: " << runs[0].first_err_line;
    // A message that quotes the statement names each side's own table.
    std::string theirs_err = runs[0].first_err_line;
    const std::string theirs_table = table_name + "_theirs";
    if (const auto at = theirs_err.find(theirs_table); at != std::string::npos) {
      theirs_err.replace(at, theirs_table.size(), table_name + "_ours");
    }
    EXPECT_EQ(runs[1].first_err_line, theirs_err);
  }
}

TEST(CliLoad, ValuesExpressionsMatchClickHouseClient) {
  const std::string row_rest = "'2000-01-01', '2000-01-01 00:00:00', [1], 1)";
  const std::vector<LoadCase> cases = {
      {"expressions of every column",
       {"-q",
        "INSERT INTO load_expr VALUES (1+1, toString(5), toDate('2000-01-01'), toDateTime('2001-02-03 04:05:06'), "
        "[toUInt8(1)], -3)"}},
      {"a Date into DateTime, a DateTime into Date",
       {"-q", "INSERT INTO load_expr VALUES (3, 'a', toDateTime('2001-02-03 04:05:06'), toDate('2000-01-01'), [], 1)"}},
      {"now() in two columns (its day and the instant)",
       {"-q", "INSERT INTO load_expr VALUES (4, 'now', now(), now(), [1], NULL)"}},
      {"literals and expressions over several rows",
       {"-q", "INSERT INTO load_expr VALUES (5, 'a', " + row_rest + ", (6, concat('a', 'b'), " +
                  "'2000-01-01', '2000-01-01 00:00:00', [1+1, 2], 2+NULL)"}},
      {"an integral Float64 into UInt8", {"-q", "INSERT INTO load_expr VALUES (1.5*2, 'f', " + row_rest}},
      {"a comment with ) and , inside an expression",
       {"-q", "INSERT INTO load_expr VALUES (1 /* c ) , */ + 6, 'comment', " + row_rest}},
      {"expressions in a script", {"-n"}, "INSERT INTO load_expr VALUES (8, lower('S'), " + row_rest + ";\n"},
      {"an unknown identifier",
       {"-q", "INSERT INTO load_expr VALUES (-x, 'a', " + row_rest},
       "",
       "the server evaluates it and adds a note to its message",
       47,
       "Code: 47. DB::Exception: Unknown identifier: x. Note that there is no tables",
       47},
      {"throwIf", {"-q", "INSERT INTO load_expr VALUES (throwIf(1), 'a', " + row_rest}},
      {"a number into String",
       {"-q", "INSERT INTO load_expr VALUES (9, 1+1, " + row_rest},
       "",
       "the same code (53); 18.16 prints its own message as an uncaught exception (Code: 53, e.displayText() = ...)",
       53,
       "Code: 53. DB::Exception: insert into load_expr_ours: cannot read row 1 (line 1) of the "
       "Values data: column 2 's' (String): the value '1+1' (an expression of type UInt16, value '2') does not match "
       "the column: Type mismatch in IN or VALUES section. Expected: String. Got: UInt64",
       53},
      {"out of the column's range",
       {"-q", "INSERT INTO load_expr VALUES (300+1, 'a', " + row_rest},
       "",
       "chconn reports a value it cannot take as a parse error (27), 18.16 as code 321 (exit 65)",
       27,
       "Code: 27. DB::Exception: Cannot parse input: insert into load_expr_ours: cannot read row 1 (line 1) of the "
       "Values data: column 1 'a' (UInt8): the value '300+1' (an expression of type UInt32, value '301')",
       65},
      {"not a constant",
       {"-q", "INSERT INTO load_expr VALUES (arrayJoin([1, 2]), 'a', " + row_rest},
       "",
       "chconn sees two rows from the server: a usage error (1); 18.16 code 36",
       1,
       "chconn: usage error: an expression in VALUES (row 1) is not a constant",
       36},
      {"a subquery",
       {"-q", "INSERT INTO load_expr VALUES (10, 'subquery', '2000-01-01', '2000-01-01 00:00:00', [1], (SELECT 5))"},
       "",
       "the server runs it; 18.16's client evaluates locally, where there is no database system",
       0,
       "",
       81},
      {"an expression in data on stdin",
       {"-q", "INSERT INTO load_expr VALUES"},
       "(11, 'stdin', '2000-01-01', '2000-01-01 00:00:00', [1], 1+1)",
       "stdin is streamed into the insert: chconn refuses its expressions, 18.16 evaluates them",
       27,
       "Code: 27. DB::Exception: Cannot parse input: insert into load_expr_ours: cannot read row 1 (line 1) of the "
       "Values data: column 6 'n' (Nullable(Int32)): the value '1+1' is an expression; chconn evaluates expressions",
       0},
      {"select back",
       {"-q",
        "SELECT a, s, d, if(dt > now() - 3600, 'recent', toString(dt)), arr, n FROM load_expr WHERE a < 10 "
        "ORDER BY a, s"}},
      {"the rows of the known differences",
       {"-q", "SELECT a, n FROM load_expr WHERE a >= 10 ORDER BY a"},
       "",
       "chconn inserted the subquery's row and refused stdin's, 18.16's client the other way round",
       0,
       "",
       0,
       "10\t5\n",
       "11\t2\n"},
  };
  run_load_cases("load_expr", "a UInt8, s String, d Date, dt DateTime, arr Array(UInt8), n Nullable(Int32)", cases);
}

TEST(CliLoad, TskvMatchesClickHouseClient) {
  const std::string parse = "Code: 27. DB::Exception: Cannot parse input: insert into load_tskv_ours: cannot read row ";
  const std::vector<LoadCase> cases = {
      {"tskv on stdin",
       {"-q", "INSERT INTO load_tskv FORMAT TSKV"},
       "a=1\ts=x\\ty\tn=\\N\tarr=['p']\ntskv\ts=only\n\ns=b\ta=2\na=7\ts=eq=sign\na=8\ts=\\=esc\\tk\n"},
      {"tskv after the query", {"-q", "INSERT INTO load_tskv FORMAT TSKV\na=10\ts=after\n"}},
      {"a key given twice",
       {"-q", "INSERT INTO load_tskv FORMAT TSKV"},
       "a=3\ta=4\n",
       "chconn reports every row it cannot read as code 27; 18.16 as 117",
       27,
       parse + "1 (line 1) of the TSKV data: the key 'a' is given twice",
       117},
      {"an unknown key",
       {"-q", "INSERT INTO load_tskv FORMAT TSKV"},
       "a=5\tzz=1\n",
       "chconn reports every row it cannot read as code 27; 18.16 as 117",
       27,
       parse + "1 (line 1) of the TSKV data: the key 'zz' names no column",
       117},
      {"an unknown key skipped",
       {"-q", "INSERT INTO load_tskv FORMAT TSKV", "--input_format_skip_unknown_fields=1"},
       "a=5\tzz=1\n"},
      {"a field without '='",
       {"-q", "INSERT INTO load_tskv FORMAT TSKV"},
       "a=6\tnoequals\n",
       "chconn reports every row it cannot read as code 27; 18.16 as 117",
       27,
       parse + "1 (line 1) of the TSKV data: the field 'noequals' has no '='",
       117},
      {"a bad value",
       {"-q", "INSERT INTO load_tskv FORMAT TSKV"},
       "a=11\na=x\n",
       "both exit 27; after 'Cannot parse input: ' each says it in its own words",
       27,
       parse + "2 (line 2) of the TSKV data: column 1 'a' (UInt8): the value 'x' is not a valid UInt8",
       27},
      {"a last line without its newline",
       {"-q", "INSERT INTO load_tskv FORMAT TSKV"},
       "a=9",
       "chconn reports every row it cannot read as code 27; 18.16 as 33",
       27,
       parse + "1 (line 1) of the TSKV data: the last line has no newline",
       33},
      {"select back", {"-q", "SELECT * FROM load_tskv ORDER BY a, s"}},
  };
  run_load_cases("load_tskv", "a UInt8, s String, n Nullable(Int32), arr Array(String)", cases);
}

TEST(CliLoad, NativeMatchesClickHouseClient) {
  // The Native bytes as 18.16's clickhouse-client writes them, three blocks and columns in another
  // order than the table's.
  const auto server = test::sandbox("main");
  const auto native =
      test::run_process({test::clickhouse_client_binary(), "--port", std::to_string(server.native_port), "-q",
                         "SELECT toString(number) AS s, [toUInt8(number), 1] AS arr, toUInt8(number % "
                         "200) AS a FROM numbers(25) SETTINGS max_block_size = 10 FORMAT Native"});
  ASSERT_EQ(native.exit_code, 0) << native.err;
  const std::vector<LoadCase> cases = {
      {"native on stdin", {"-q", "INSERT INTO load_native FORMAT Native"}, native.out},
      {"native, no data", {"-q", "INSERT INTO load_native FORMAT Native"}, ""},
      {"not native data",
       {"-q", "INSERT INTO load_native FORMAT Native"},
       "garbage",
       "chconn reports data it cannot read as code 27; 18.16 as 33 (Cannot read all data)",
       27,
       "Code: 27. DB::Exception: Cannot parse input: insert into load_native_ours: cannot read block 1 of the Native "
       "data: it is not a valid block",
       33},
      {"select back", {"-q", "SELECT * FROM load_native ORDER BY a, s"}},
  };
  run_load_cases("load_native", "a UInt8, s String, arr Array(UInt8)", cases);
}

TEST(CliLoad, NoDataAndASemicolonAfterTheFormatAsClickHouseClient) {
  const std::vector<LoadCase> cases = {
      {"a ';' right after the format name", {"-q", "INSERT INTO load_nodata FORMAT CSV;"}},
      {"a ';' right after the format name in a script", {"-n"}, "INSERT INTO load_nodata FORMAT CSV;\n"},
      {"a ';' after a space is data",
       {"-q", "INSERT INTO load_nodata FORMAT CSV ;"},
       "",
       "both exit 27; after 'Cannot parse input: ' each says it in its own words",
       27,
       "Code: 27. DB::Exception: Cannot parse input: insert into load_nodata_ours: cannot read row 1",
       27},
      {"empty stdin", {"-q", "INSERT INTO load_nodata FORMAT CSV"}},
      {"empty stdin for VALUES", {"-q", "INSERT INTO load_nodata VALUES"}},
      {"only a newline after the query", {"-q", "INSERT INTO load_nodata FORMAT CSV\n"}},
      {"no data in a script", {"-n"}, "INSERT INTO load_nodata FORMAT CSV\n"},
      {"data after all", {"-q", "INSERT INTO load_nodata FORMAT CSV"}, "1,a\n"},
      {"VALUES ended by a ';' at once inserts nothing", {"-n"}, "INSERT INTO load_nodata VALUES;\n"},
      {"select back", {"-q", "SELECT * FROM load_nodata ORDER BY a"}},
  };
  run_load_cases("load_nodata", "a UInt8, s String", cases);
}

// A ';' after VALUES rows ends the data and 18.16 reads nothing after it: on stdin, in -q's text
// (without -n the data runs to the end of the text; with -n to the end of the line) and in a script.
TEST(CliLoad, ValuesEndAtASemicolonAsClickHouseClient) {
  const std::vector<LoadCase> cases = {
      {"-q without -n", {"-q", "INSERT INTO load_semi VALUES (1, 'a'), (2, 'b'); SELECT 1"}},
      {"-q with -n", {"-n", "-q", "INSERT INTO load_semi VALUES (3, 'c'); SELECT 1"}},
      {"stdin", {"-q", "INSERT INTO load_semi VALUES"}, "(4, 'x'); (5, 'y')\n"},
      {"script", {"-n"}, "INSERT INTO load_semi VALUES (6, 'z') ; SELECT 2;\nSELECT 3;\n"},
      {"format data on the insert line", {"-n"}, "INSERT INTO load_semi FORMAT TSV 7\tw\nSELECT 4;\n"},
      {"select back", {"-q", "SELECT * FROM load_semi ORDER BY a"}},
  };
  run_load_cases("load_semi", "a UInt8, s String", cases);
}

// --date_time_input_format=best_effort applies to the client's own parsing (CSV, TSV, Values,
// JSONEachRow); the values land as 18.16's client stores them (read back as Unix seconds). Unix
// seconds themselves are left out: 18.16's client stores garbage for them (see text/input.h).
TEST(CliLoad, DateTimeBestEffortAsClickHouseClient) {
  const std::string best = "--date_time_input_format=best_effort";
  const std::vector<LoadCase> cases = {
      {"tsv",
       {best, "-q", "INSERT INTO load_dt FORMAT TSV"},
       "1\t2018-01-02T03:04:05Z\n2\t2018-01-02 03:04:05.123+03:00\n3\t20180102030405\n4\t20180102\n5\t201801\n"
       "6\t2018\n7\t02/01/2018\n8\t03:04:05\n9\t2018-01-02 03:04:05 MSK\n10\t2018/1/2 3:4:5\n11\t\n"
       "12\t2018-01-02 03:04\n13\t2018-01-02 03:04:05-0130\n14\t2018-01-02 03:04:05+5\n"
       "15\t2018-01-02 03:04:05 am\n16\t2018 010203\n17\t31 Dec 2017\n18\t2018-02-30\n19\t10:00 PM\n"
       "20\tMon 2018-01-01 12:00 GMT\n21\t02/01/18 23:59:59 pm\n22\tSeptember 2018\n"},
      {"csv", {best, "-q", "INSERT INTO load_dt FORMAT CSV"}, "30,\"2018-01-02T03:04:05+01:00\"\n31,'2 Jan 2018'\n"},
      {"values", {best, "-q", "INSERT INTO load_dt VALUES (40, '2018-01-02T03:04:05Z'), (41, '1/2/2018')"}},
      {"json each row",
       {best, "-q", "INSERT INTO load_dt FORMAT JSONEachRow"},
       "{\"a\":50,\"t\":\"20180102T030405\"}\n"},
      {"garbage",
       {best, "-q", "INSERT INTO load_dt FORMAT TSV"},
       "60\t2018-01-02 xyz\n",
       "chconn reports a value it cannot read as code 27, as for every type; 18.16's parseDateTimeBestEffort "
       "as 41 (Cannot read DateTime: unexpected word)",
       27,
       "Code: 27. DB::Exception: Cannot parse input: insert into load_dt_ours: cannot read row 1",
       41},
      {"select back", {"-q", "SELECT a, toUnixTimestamp(t) FROM load_dt ORDER BY a"}},
  };
  run_load_cases("load_dt", "a UInt8, t DateTime", cases);
}

TEST(CliLoad, RowBinaryMatchesClickHouseClient) {
  const auto server = test::sandbox("main");
  const auto bytes =
      test::run_process({test::clickhouse_client_binary(), "--port", std::to_string(server.native_port), "-q",
                         "SELECT toUInt8(number) AS a, toString(number) AS s, if(number % 2, NULL, "
                         "toInt32(number)) AS n, [toUInt16(number), 7] AS arr, toDate('2020-01-01') + "
                         "number AS d FROM numbers(1000) FORMAT RowBinary"});
  ASSERT_EQ(bytes.exit_code, 0) << bytes.err;
  const std::vector<LoadCase> cases = {
      {"rowbinary on stdin", {"-q", "INSERT INTO load_rowbinary FORMAT RowBinary"}, bytes.out},
      {"cut inside a row",
       {"-q", "INSERT INTO load_rowbinary FORMAT RowBinary"},
       bytes.out.substr(0, 20),
       "chconn reports data it cannot read as code 27; 18.16 as 33 (Cannot read all data)",
       27,
       "Code: 27. DB::Exception: Cannot parse input: insert into load_rowbinary_ours: cannot read row 2 of the "
       "RowBinary data: column 4 'arr' (Array(UInt16)): the data ends inside this value",
       33},
      {"select back",
       {"-q", "SELECT count(), sum(a), sum(length(s)), sum(n), sum(arr[1]), max(d) FROM load_rowbinary"}},
  };
  run_load_cases("load_rowbinary", "a UInt8, s String, n Nullable(Int32), arr Array(UInt16), d Date", cases);
}

TEST(CliLoad, LowCardinalityMatchesClickHouseClient) {
  // 18.16 has LowCardinality behind allow_experimental_low_cardinality_type; its client writes a
  // LowCardinality(T) value in RowBinary as a T (chconn refused such columns in RowBinary before).
  const auto server = test::sandbox("main");
  const auto bytes =
      test::run_process({test::clickhouse_client_binary(), "--port", std::to_string(server.native_port), "-q",
                         "SELECT toString(number % 7) AS s, if(number % 3 = 0, NULL, toString(number % 5)) AS n, "
                         "toUInt16(number % 11) AS u FROM numbers(1000) FORMAT RowBinary"});
  ASSERT_EQ(bytes.exit_code, 0) << bytes.err;
  const std::vector<LoadCase> cases = {
      {"rowbinary on stdin", {"-q", "INSERT INTO load_lc FORMAT RowBinary"}, bytes.out},
      {"tsv on stdin", {"-q", "INSERT INTO load_lc FORMAT TSV"}, "a\t\\N\t1\nb\tc\t2\na\tc\t1\n"},
      {"values", {"-q", "INSERT INTO load_lc VALUES ('v', NULL, 3), ('v', 'w', 3)"}},
      {"rowbinary cut inside a row",
       {"-q", "INSERT INTO load_lc FORMAT RowBinary"},
       bytes.out.substr(0, 9),
       "chconn reports data it cannot read as code 27; 18.16 as 33 (Cannot read all data)",
       27,
       "Code: 27. DB::Exception: Cannot parse input: insert into load_lc_ours: cannot read row 2 of the "
       "RowBinary data: column 2 'n' (LowCardinality(Nullable(String))): the data ends inside this value",
       33},
      {"select back", {"-q", "SELECT s, n, u, count() FROM load_lc GROUP BY s, n, u ORDER BY s, n, u"}},
  };
  Config config = test::sandbox_config();
  config.settings.set("allow_experimental_low_cardinality_type", "1");
  run_load_cases("load_lc", "s LowCardinality(String), n LowCardinality(Nullable(String)), u LowCardinality(UInt16)",
                 cases, &config);
}

TEST(CliLoad, JsonEachRowOmittedKeysAsClickHouseClient) {
  // 18.16 has no input_format_defaults_for_omitted_fields (not in system.settings; its client
  // refuses --input_format_defaults_for_omitted_fields): a key missing from an object takes its
  // type's default, not the column's DEFAULT expression (b is 0, not a * 2; n is NULL, not 7).
  // Columns left out of a column list are filled by the server, with their DEFAULT expressions.
  const std::vector<LoadCase> cases = {
      {"omitted keys", {"-q", "INSERT INTO load_jd FORMAT JSONEachRow"}, "{\"a\":1}\n{\"a\":2,\"b\":5}\n{}\n"},
      {"omitted and null", {"-q", "INSERT INTO load_jd FORMAT JSONEachRow"}, "{\"a\":3,\"n\":null,\"c\":\"q\"}\n"},
      {"a column list", {"-q", "INSERT INTO load_jd (a, n) FORMAT JSONEachRow"}, "{\"a\":4}\n{\"n\":1,\"a\":5}\n"},
      {"a column list, key outside it",
       {"-q", "INSERT INTO load_jd (a) FORMAT JSONEachRow"},
       "{\"a\":6,\"b\":1}\n",
       "both refuse a key naming no column of the insert; 18.16 says it as code 117, chconn as 27",
       27,
       "Code: 27. DB::Exception: Cannot parse input: insert into load_jd_ours: cannot read row 1",
       117},
      {"TSKV omitted keys", {"-q", "INSERT INTO load_jd FORMAT TSKV"}, "a=7\n"},
      {"select back", {"-q", "SELECT a, b, c, n, d = today(), e FROM load_jd ORDER BY a, b"}},
  };
  run_load_cases("load_jd",
                 "a UInt32, b UInt32 DEFAULT a * 2, c String DEFAULT concat('x', toString(a)), d Date MATERIALIZED "
                 "today(), e UInt8 ALIAS a + 1, n Nullable(UInt8) DEFAULT 7",
                 cases);
}

}  // namespace
}  // namespace chconn
