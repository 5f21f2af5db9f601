// Multi-statement scripts through chconn and clickhouse-client 18.16 on the same sandbox server
// ("main"), as ClickHouse's own tests/queries/0_stateless .sql files are run: each script goes to
// both clients on stdin with --multiquery, and to chconn once more with --queries-file (18.16 has no
// such flag; its stdin run is the reference). stdout, the first line of stderr and the exit status
// must be identical.
//
// The scripts are written like 0_stateless files: CREATE / INSERT / SELECT / DROP, comments of every
// kind and place, ';' inside strings, quoted names and comments, SET and USE, settings clauses,
// FORMAT clauses, inserts with data after them (good and malformed rows), errors in the middle of a
// script. Every script starts by dropping what it creates, so each run starts from the same state;
// they run one after the other, in a database of this test process's own.
//
// Differences asserted as known (not skipped), each with its reason: see known_differences().
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli_support.h"
#include "support/sandbox.h"

namespace chconn::test {
namespace {

const std::string k_db = "chconn_corpus_" + std::to_string(::getpid());

struct Script {
  std::string name;
  std::string text;
};

// The corpus. Names say what each script is about.
std::vector<Script> corpus() {
  return {
      {"create_insert_select_drop", R"sql(
DROP TABLE IF EXISTS t_basic;
CREATE TABLE t_basic (id UInt32, s String, d Date) ENGINE = Memory;
INSERT INTO t_basic VALUES (1, 'one', '2020-01-01'), (2, 'two', '2020-01-02');
INSERT INTO t_basic VALUES (3, 'three', '2020-01-03');
SELECT * FROM t_basic ORDER BY id;
SELECT count(), sum(id) FROM t_basic;
DROP TABLE t_basic;
)sql"},
      {"line_comments", R"sql(-- a comment before everything; with a semicolon
SELECT 1; -- after a statement; with one too
-- between statements
SELECT 2 -- inside a statement, before its end
;
SELECT 3; --no space after the dashes
)sql"},
      {"block_comments", R"sql(/* a block comment; with a semicolon */
SELECT /* inside */ 1 /* ; */ + 1;
/*
  over
  several lines; SELECT 99;
*/
SELECT 'after the block';
SELECT 3 /* at the end of a statement */;
)sql"},
      {"comment_at_the_end", R"sql(SELECT 'last statement';
-- nothing after this comment
)sql"},
      {"block_comment_at_the_end", "SELECT 1;\n/* the end */"},
      {"semicolons_in_strings", R"sql(
SELECT 'a;b', 'c;;d';
SELECT ';' AS `x;y`;
SELECT concat('semi', ';', 'colon');
SELECT 'it''s; fine', 'back\\slash;\'quote';
)sql"},
      {"empty_statements", "SELECT 1;;\n;\nSELECT 2;\n;;"},
      {"empty_statement_first", ";;\nSELECT 1;\n"},
      {"comment_then_empty_statement_first", "/* c */ ;\nSELECT 1;\n"},
      {"no_final_semicolon", "SELECT 1;\nSELECT 2"},
      {"blank_lines_and_indentation", "\n\n   SELECT 1\n\n   ;\n\t\tSELECT\n\t\t\t2\n;\n\n\n"},
      {"crlf_line_ends", "SELECT 1;\r\nSELECT 'two';\r\n"},
      {"multi_line_statement", R"sql(
SELECT
    number,
    number * 2 AS double,
    toString(number) AS s
FROM numbers(5)
WHERE number % 2 = 0
ORDER BY number DESC;
)sql"},
      {"set_statements", R"sql(
SET max_block_size = 3;
SELECT blockSize() AS b FROM numbers(7) GROUP BY b ORDER BY b;
SET max_block_size = 65536;
SELECT count() FROM numbers(100);
SET extremes = 1;
SELECT number FROM numbers(3);
)sql"},
      {"settings_clause", R"sql(
SELECT number FROM numbers(10) SETTINGS max_block_size = 4;
SELECT count() FROM numbers(1000) SETTINGS max_threads = 1;
)sql"},
      {"use_database", R"sql(
DROP TABLE IF EXISTS system_use_t;
USE system;
SELECT name FROM one_dummy_table_that_is_not_there;
)sql"},
      {"use_and_back", R"sql(
USE system;
SELECT count() > 0 FROM numbers(1);
SELECT name FROM databases WHERE name = 'system';
)sql"},
      {"error_in_the_middle", R"sql(
SELECT 'before';
SELECT * FROM no_such_table_corpus;
SELECT 'after';
)sql"},
      {"server_exception_code_above_255", R"sql(
SELECT 'first';
SELECT throwIf(number = 3) FROM numbers(5);
SELECT 'never';
)sql"},
      {"error_after_ddl", R"sql(
DROP TABLE IF EXISTS t_err;
CREATE TABLE t_err (x UInt8) ENGINE = Memory;
INSERT INTO t_err VALUES (1);
SELECT x, unknown_column FROM t_err;
DROP TABLE t_err;
)sql"},
      {"unknown_function", "SELECT 1;\nSELECT no_such_function(1);\nSELECT 2;\n"},
      {"type_error", "SELECT 1 + 'a';\nSELECT 2;\n"},
      {"format_clauses", R"sql(
SELECT number, toString(number) AS s FROM numbers(3) FORMAT CSV;
SELECT number FROM numbers(2) FORMAT TSVWithNames;
SELECT 1 AS a, 'x' AS b FORMAT JSONEachRow;
SELECT 1 AS a, 'x' AS b FORMAT Vertical;
SELECT 'x' AS col FORMAT PrettyCompact;
SELECT [1, 2] AS arr, (1, 'a') AS tup FORMAT Values;
SELECT 'a\tb' AS s FORMAT TSKV;
SELECT 1 FORMAT Null;
)sql"},
      {"format_with_semicolon_in_string", "SELECT 'a;b' AS s FORMAT CSV;\nSELECT 2;\n"},
      {"insert_values_multiline", R"sql(
DROP TABLE IF EXISTS t_values;
CREATE TABLE t_values (a Int32, b Nullable(String), c Array(UInt8)) ENGINE = Memory;
INSERT INTO t_values VALUES (1, 'x', [1, 2]), (-2, NULL, []), (3, 'semi;colon', [3]);
INSERT INTO t_values (a) VALUES (42);
SELECT * FROM t_values ORDER BY a;
DROP TABLE t_values;
)sql"},
      {"insert_format_inline_data", R"sql(
DROP TABLE IF EXISTS t_inline;
CREATE TABLE t_inline (id UInt32, name String) ENGINE = Memory;
INSERT INTO t_inline FORMAT TSV 1	first
INSERT INTO t_inline FORMAT CSV 2,"second"
INSERT INTO t_inline FORMAT JSONEachRow {"id": 3, "name": "third"}
SELECT * FROM t_inline ORDER BY id;
DROP TABLE t_inline;
)sql"},
      {"insert_malformed_tsv_row", R"sql(
DROP TABLE IF EXISTS t_bad_tsv;
CREATE TABLE t_bad_tsv (id UInt32, name String) ENGINE = Memory;
INSERT INTO t_bad_tsv FORMAT TSV abc	x
SELECT 'not reached';
)sql"},
      {"insert_values_wrong_count", R"sql(
DROP TABLE IF EXISTS t_bad_count;
CREATE TABLE t_bad_count (a UInt8, b UInt8) ENGINE = Memory;
INSERT INTO t_bad_count VALUES (1, 2, 3);
SELECT 'not reached';
)sql"},
      {"insert_into_unknown_table", "INSERT INTO no_such_table_corpus VALUES (1);\nSELECT 'not reached';\n"},
      {"insert_select", R"sql(
DROP TABLE IF EXISTS t_src;
DROP TABLE IF EXISTS t_dst;
CREATE TABLE t_src (n UInt64) ENGINE = Memory;
CREATE TABLE t_dst (n UInt64, sq UInt64) ENGINE = Memory;
INSERT INTO t_src SELECT number FROM numbers(5);
INSERT INTO t_dst SELECT n, n * n FROM t_src WHERE n > 1;
SELECT * FROM t_dst ORDER BY n;
DROP TABLE t_src;
DROP TABLE t_dst;
)sql"},
      {"create_as_select_and_merge_tree", R"sql(
DROP TABLE IF EXISTS t_mt;
CREATE TABLE t_mt ENGINE = MergeTree ORDER BY k AS SELECT number % 4 AS k, toString(number) AS v FROM numbers(10);
SELECT k, count() FROM t_mt GROUP BY k ORDER BY k;
OPTIMIZE TABLE t_mt FINAL;
SELECT count() FROM t_mt;
DROP TABLE t_mt;
)sql"},
      {"show_describe_exists", R"sql(
DROP TABLE IF EXISTS t_show;
CREATE TABLE t_show (a UInt8 DEFAULT 1, b String) ENGINE = Memory;
DESCRIBE TABLE t_show;
EXISTS TABLE t_show;
SHOW CREATE TABLE t_show;
DROP TABLE t_show;
EXISTS TABLE t_show;
)sql"},
      {"strings_and_escapes", R"sql(
SELECT 'tab\there', 'new\nline', 'quote\'s', 'back\\slash';
SELECT 'é日本', length('é日本'), lengthUTF8('é日本');
SELECT '--not a comment', '/* nor this */';
SELECT "double quoted identifiers are names" FROM (SELECT 1 AS `double quoted identifiers are names`);
)sql"},
      {"nulls_arrays_tuples", R"sql(
SELECT NULL, [NULL, 1], (1, NULL), toNullable('x');
SELECT arrayJoin([1, 2, 3]) AS x, x * 10;
SELECT [[1], [2, 3]], tuple(1, 'a', [2]);
)sql"},
      {"totals_and_extremes", R"sql(
SELECT number % 2 AS k, count() FROM numbers(10) GROUP BY k WITH TOTALS ORDER BY k;
SELECT number FROM numbers(3) SETTINGS extremes = 1;
)sql"},
      {"several_blocks", "SELECT number FROM numbers(20) SETTINGS max_block_size = 6;\nSELECT 'done';\n"},
      {"limit_and_empty_results", R"sql(
SELECT number FROM numbers(100) LIMIT 3;
SELECT 1 WHERE 0;
SELECT number FROM numbers(10) LIMIT 2, 3;
)sql"},
      {"only_ddl", R"sql(
DROP TABLE IF EXISTS t_ddl;
CREATE TABLE t_ddl (x UInt8) ENGINE = Memory;
DROP TABLE t_ddl;
)sql"},
      {"temporary_table", R"sql(
CREATE TEMPORARY TABLE tmp (x UInt8);
INSERT INTO tmp VALUES (7), (8);
SELECT sum(x) FROM tmp;
)sql"},
      {"result_limit_error",
       "SELECT number FROM numbers(100) SETTINGS max_result_rows = 5, result_overflow_mode = 'throw';\n"},
      {"unknown_setting", "SET no_such_setting_corpus = 1;\nSELECT 1;\n"},
      {"syntax_error_in_the_middle", "SELECT 1;\nSELECT FROM WHERE;\nSELECT 2;\n"},
      {"unknown_format_in_the_middle", "SELECT 1;\nSELECT 2 FORMAT NoSuchFormat;\nSELECT 3;\n"},
      {"insert_malformed_csv_in_the_middle", R"sql(
DROP TABLE IF EXISTS t_bad_csv;
CREATE TABLE t_bad_csv (id UInt32, name String) ENGINE = Memory;
INSERT INTO t_bad_csv FORMAT CSV 1,"ok"
INSERT INTO t_bad_csv FORMAT CSV x,"bad"
SELECT * FROM t_bad_csv;
)sql"},
      {"insert_malformed_json", R"sql(
DROP TABLE IF EXISTS t_bad_json;
CREATE TABLE t_bad_json (id UInt32) ENGINE = Memory;
INSERT INTO t_bad_json FORMAT JSONEachRow {"id": "not a number"}
SELECT count() FROM t_bad_json;
)sql"},
      {"insert_values_out_of_range", R"sql(
DROP TABLE IF EXISTS t_range;
CREATE TABLE t_range (a UInt8) ENGINE = Memory;
INSERT INTO t_range VALUES (1), (2);
SELECT * FROM t_range ORDER BY a;
INSERT INTO t_range VALUES (1000);
SELECT 'after';
)sql"},
      {"insert_values_with_comments", R"sql(
DROP TABLE IF EXISTS t_vc;
CREATE TABLE t_vc (a UInt8, s String) ENGINE = Memory;
-- the data follows
INSERT INTO t_vc VALUES (1, 'a'), (2, '-- not a comment'), (3, '/* nor this */');
/* and a block comment */ SELECT * FROM t_vc ORDER BY a;
DROP TABLE t_vc;
)sql"},
      {"insert_tsv_escapes", R"sql(
DROP TABLE IF EXISTS t_esc;
CREATE TABLE t_esc (s String, n Nullable(UInt8)) ENGINE = Memory;
INSERT INTO t_esc FORMAT TSV tab\there	\N
INSERT INTO t_esc FORMAT TSV back\\slash	7
SELECT * FROM t_esc ORDER BY s;
DROP TABLE t_esc;
)sql"},
      {"insert_defaults_for_omitted_columns", R"sql(
DROP TABLE IF EXISTS t_def;
CREATE TABLE t_def (a UInt8, b String DEFAULT 'dflt', c UInt16 DEFAULT a * 10) ENGINE = Memory;
INSERT INTO t_def (a) VALUES (1), (2);
INSERT INTO t_def (a, b) VALUES (3, 'given');
SELECT * FROM t_def ORDER BY a;
DROP TABLE t_def;
)sql"},
      {"drop_unknown_table", "DROP TABLE no_such_table_corpus;\nSELECT 'not reached';\n"},
      {"drop_if_exists_unknown", "DROP TABLE IF EXISTS no_such_table_corpus;\nSELECT 'reached';\n"},
      {"create_twice", R"sql(
DROP TABLE IF EXISTS t_twice;
CREATE TABLE t_twice (x UInt8) ENGINE = Memory;
CREATE TABLE t_twice (x UInt8) ENGINE = Memory;
SELECT 'not reached';
)sql"},
      {"long_script", R"sql(
DROP TABLE IF EXISTS t_long;
CREATE TABLE t_long (k UInt8, v UInt64) ENGINE = Memory;
INSERT INTO t_long SELECT number % 5, number FROM numbers(100);
SELECT k, sum(v) FROM t_long GROUP BY k ORDER BY k;
SELECT k, count() FROM t_long WHERE v > 50 GROUP BY k ORDER BY k;
SELECT max(v), min(v), avg(v) FROM t_long;
SELECT groupArray(v) FROM (SELECT v FROM t_long ORDER BY v LIMIT 5);
SELECT k, v FROM t_long ORDER BY v DESC LIMIT 3;
SELECT uniqExact(k) FROM t_long;
SELECT any(k) FROM t_long WHERE v = 42;
DROP TABLE t_long;
)sql"},
      {"dates_and_times", R"sql(
SELECT toDate('2020-02-29') + 1, toDateTime('2020-01-01 00:00:00') + 3600;
SELECT toStartOfMonth(toDate('2020-05-17')), toYear(toDate('2020-05-17'));
SELECT toDateTime('2020-01-01 12:00:00', 'Asia/Tokyo');
)sql"},
      {"select_with_settings_and_format", "SELECT number FROM numbers(3) SETTINGS max_block_size = 1 FORMAT CSV;\n"},
      {"select_from_system_one",
       "SELECT * FROM system.one;\nSELECT dummy FROM system.one FORMAT TSVWithNamesAndTypes;\n"},
      {"quoted_identifiers", R"sql(
DROP TABLE IF EXISTS `t q;uoted`;
CREATE TABLE `t q;uoted` (`a;b` UInt8, "c d" String) ENGINE = Memory;
INSERT INTO `t q;uoted` VALUES (1, 'x');
SELECT `a;b`, "c d" FROM `t q;uoted`;
DROP TABLE `t q;uoted`;
)sql"},
      // SET changes the client's own output from the next statement on (18.16 applies a SET to
      // its context): statistics, 64-bit integers in JSON, Pretty and Vertical row limits, colour.
      {"set_output_settings", R"sql(
SET output_format_write_statistics = 0;
SELECT 1 AS x, toUInt64(2) AS u FORMAT JSON;
SELECT 'a' AS s FORMAT XML;
SET output_format_json_quote_64bit_integers = 0, output_format_pretty_max_rows = 2;
SELECT toUInt64(1) AS u, toInt64(-1) AS i FORMAT JSONCompact;
SELECT number FROM numbers(4) FORMAT PrettyCompact;
SELECT number FROM numbers(4) FORMAT Vertical;
SET output_format_pretty_color = 0;
SELECT 1 AS x FORMAT Pretty;
SET output_format_pretty_max_rows = 'not a number';
SELECT number FROM numbers(4) FORMAT PrettySpace;
)sql"},
      // JSONEachRow data after an INSERT ends at its line; before each object one ',' or ';' may
      // stand (so `{...};` loads), a second one is a row that cannot be read.
      {"insert_json_each_row_semicolons", R"sql(
DROP TABLE IF EXISTS t_json_semi;
CREATE TABLE t_json_semi (x UInt8, s String) ENGINE = Memory;
INSERT INTO t_json_semi FORMAT JSONEachRow {"x": 1, "s": "a;b"};
INSERT INTO t_json_semi (x) FORMAT JSONEachRow {"x": 2} ; {"x": 3}
INSERT INTO t_json_semi FORMAT JSONEachRow {"x": 4},{"x": 5};
SELECT * FROM t_json_semi ORDER BY x;
INSERT INTO t_json_semi FORMAT JSONEachRow {"x": 6};;
SELECT 'not reached';
)sql"},
      // NULL inside an array of a type that is not Nullable is an error (53), never the text 'NULL';
      // 18.16 names an INSERT with inline data up to the end of its line, comment included.
      {"insert_values_null_in_array_of_strings", R"sql(
DROP TABLE IF EXISTS t_null_arr;
CREATE TABLE t_null_arr (a Array(String), b Array(Nullable(String))) ENGINE = Memory;
INSERT INTO t_null_arr VALUES (['x'], ['y', NULL]);
SELECT * FROM t_null_arr;
INSERT INTO t_null_arr VALUES (['x', NULL], []); -- { clientError 53 }: named with this comment
SELECT * FROM t_null_arr;
)sql"},
      // SET output_format_json_escape_forward_slashes = 0 applies to the client's own JSON output.
      {"set_json_escape_forward_slashes", R"sql(
SELECT 'a/b' AS `x/y`, ['c/d'] AS arr FORMAT JSONEachRow;
SET output_format_json_escape_forward_slashes = 0, output_format_write_statistics = 0;
SELECT 'a/b' AS `x/y`, ['c/d'] AS arr FORMAT JSONEachRow;
SELECT 'a/b' AS `x/y` FORMAT JSONCompact;
SET output_format_json_escape_forward_slashes = 1;
SELECT '/' AS s FORMAT JSONEachRow;
)sql"},
      // The server sends the totals and extremes of an INSERT ... SELECT; 18.16's client prints
      // them as the result of a SELECT without rows.
      {"insert_select_with_totals_and_extremes", R"sql(
DROP TABLE IF EXISTS t_ins_totals;
CREATE TABLE t_ins_totals (k UInt8, c UInt64) ENGINE = Memory;
INSERT INTO t_ins_totals SELECT number % 2 AS k, count() AS c FROM numbers(10) GROUP BY k WITH TOTALS ORDER BY k;
INSERT INTO t_ins_totals SELECT number % 3, number FROM numbers(5) SETTINGS extremes = 1;
SET extremes = 1;
INSERT INTO t_ins_totals SELECT number % 3 AS k, count() FROM numbers(5) GROUP BY k WITH TOTALS;
INSERT INTO t_ins_totals SELECT number % 3 AS k, count() FROM numbers(5) WHERE number > 100 GROUP BY k WITH TOTALS;
SELECT count(), sum(c) FROM t_ins_totals;
DROP TABLE t_ins_totals;
)sql"},
      // SET date_time_input_format = 'best_effort' applies to the client's own parsing of the
      // INSERT's data, in every text format; 'basic' refuses the same text again.
      {"set_date_time_input_format", R"sql(
DROP TABLE IF EXISTS t_best_effort;
CREATE TABLE t_best_effort (id UInt8, t DateTime) ENGINE = Memory;
SET date_time_input_format = 'best_effort';
INSERT INTO t_best_effort FORMAT TSV 1	2018-01-02T03:04:05Z
INSERT INTO t_best_effort FORMAT CSV 2,"2018-01-02 03:04:05.123+03:00"
INSERT INTO t_best_effort VALUES (3, '02/01/2018 10:00 PM'), (4, '20180102030405'), (5, '2018/1/2 3:4:5');
INSERT INTO t_best_effort FORMAT JSONEachRow {"id": 6, "t": "31 Dec 2017 23:59:59 MSK"}
INSERT INTO t_best_effort FORMAT TSV 7	2018-01-02 03:04:05 -01:30
SELECT id, t, toUnixTimestamp(t) FROM t_best_effort ORDER BY id;
SET date_time_input_format = 'basic';
INSERT INTO t_best_effort FORMAT TSV 8	2018-01-02T03:04:05Z
SELECT 'not reached';
)sql"},
      // The rest of an INSERT's line after FORMAT X or VALUES is its data: a statement written
      // after VALUES (...); on the same line does not run (the Values reader stops at the ';').
      {"insert_data_on_the_insert_line", R"sql(
DROP TABLE IF EXISTS t_line;
CREATE TABLE t_line (x UInt8, s String) ENGINE = Memory;
INSERT INTO t_line FORMAT TSV 1	a
SELECT count() FROM t_line;
INSERT INTO t_line VALUES (2, 'b'), (3, 'c;d'); SELECT 'not run';
INSERT INTO t_line VALUES; SELECT 'not run either';
INSERT INTO t_line FORMAT CSV 4,"e;f"
INSERT INTO t_line VALUES (5, 'g') ; anything after the semicolon
INSERT INTO t_line VALUES (6, 'h'); -- a comment
SELECT * FROM t_line ORDER BY x;
)sql"},
      {"union_all", "SELECT 1 AS x UNION ALL SELECT 2 ORDER BY x;\n"},
      {"subqueries_and_in",
       "SELECT number FROM numbers(10) WHERE number IN (SELECT number * 3 FROM numbers(3)) ORDER BY number;\n"},
  };
}

// A difference between the clients that the test expects, and why. Asserted, never skipped: the
// test fails if the difference goes away (update the list then) or changes.
struct KnownDifference {
  std::string why;
  int theirs_exit_code;
  // chconn's result.
  int ours_exit_code;
  std::string ours_first_err_line_starts;
  std::optional<std::string> ours_out;  // nullopt: the same stdout as 18.16's
};

std::map<std::string, KnownDifference> known_differences() {
  return {
      // 18.16's client parses each statement itself and reports a syntax error as its own; chconn
      // sends the statement and reports the server's exception. The status is the same (62).
      {"syntax_error_in_the_middle",
       {"syntax errors are found by the server for chconn", 62, 62, "Received exception from server", std::nullopt}},
      // 18.16 reads an integer literal out of its column's range by wrapping it (1000 into UInt8
      // is stored as 232, also in TSV); chconn's parser refuses it as a row that cannot be read
      // (27). The rows before it and the status of the rest differ accordingly.
      {"insert_values_out_of_range",
       {"out-of-range integers are refused", 0, 27, "Error on processing query: INSERT INTO t_range VALUES (1000);",
        "1\n2\n"}},
      {"insert_values_out_of_range --ignore-error", {"out-of-range integers are refused", 0, 27, "", "1\n2\n"}},
  };
}

// What both clients print for a script.
std::string describe(const CliRun& r) {
  return "status " + std::to_string(r.exit_code) + ", stderr '" + r.first_err_line + "', stdout:\n" + r.out;
}

class ScriptCorpus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const CliRun r = run_cli(true, {"-q", "CREATE DATABASE IF NOT EXISTS " + k_db});
    ASSERT_EQ(r.exit_code, 0) << r.first_err_line;
  }
  static void TearDownTestSuite() { run_cli(true, {"-q", "DROP DATABASE IF EXISTS " + k_db}); }
};

TEST_F(ScriptCorpus, ChconnAndClickHouseClientAgree) {
  char dir_template[] = "/tmp/chconn-corpus-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const auto known = known_differences();
  int identical = 0;
  int known_seen = 0;
  int runs = 0;
  for (const Script& script : corpus()) {
    SCOPED_TRACE(script.name);
    const std::string file = std::string(dir_template) + "/" + script.name + ".sql";
    std::ofstream(file, std::ios::binary) << script.text;

    const CliRun theirs_plain = run_cli(false, {"-d", k_db, "-n"}, script.text);
    const CliRun ours_stdin = run_cli(true, {"-d", k_db, "-n"}, script.text);
    const CliRun ours_file = run_cli(true, {"-d", k_db, "--queries-file", file});
    std::remove(file.c_str());
    // And with --ignore-error: every statement runs, the status is the last error's.
    const CliRun theirs_ignoring = run_cli(false, {"-d", k_db, "-n", "--ignore-error"}, script.text);
    const CliRun ours_ignoring = run_cli(true, {"-d", k_db, "-n", "--ignore-error"}, script.text);

    const std::vector<std::pair<const CliRun*, const CliRun*>> pairs = {
        {&theirs_plain, &ours_stdin}, {&theirs_plain, &ours_file}, {&theirs_ignoring, &ours_ignoring}};
    for (const auto& [reference, ours] : pairs) {
      const CliRun& theirs = *reference;
      const std::string how = ours == &ours_stdin ? "stdin" : ours == &ours_file ? "--queries-file" : "--ignore-error";
      ++runs;
      const bool same = ours->out == theirs.out && ours->first_err_line == theirs.first_err_line &&
                        ours->exit_code == theirs.exit_code;
      const auto k = known.find(how == "--ignore-error" ? script.name + " --ignore-error" : script.name);
      if (k == known.end()) {
        EXPECT_TRUE(same) << how << "\nclickhouse-client: " << describe(theirs) << "\nchconn: " << describe(*ours);
        if (same) ++identical;
        continue;
      }
      // A known difference: both results as described.
      const KnownDifference& d = k->second;
      ++known_seen;
      EXPECT_FALSE(same) << "the known difference '" << d.why << "' is gone: update known_differences()";
      EXPECT_EQ(theirs.exit_code, d.theirs_exit_code) << describe(theirs);
      EXPECT_EQ(ours->exit_code, d.ours_exit_code) << describe(*ours);
      EXPECT_EQ(ours->first_err_line.rfind(d.ours_first_err_line_starts, 0), 0u) << describe(*ours);
      EXPECT_EQ(ours->out, d.ours_out.value_or(theirs.out));
    }
  }
  ::rmdir(dir_template);
  std::cout << "[figures] script corpus: " << identical << " of " << runs - known_seen << " runs identical ("
            << corpus().size() << " scripts, each on stdin, with --queries-file and with --ignore-error), "
            << known_seen << " runs with a known difference\n";
}

}  // namespace
}  // namespace chconn::test
