// Every output format chconn writes, against clickhouse-client 18.16 on the same sandbox server
// ("main"): each statement of a corpus runs through both clients with `--format F`, and stdout, the
// first line of stderr and the exit status must be identical. The corpus covers NULLs, arrays,
// tuples, strings with tabs, line ends, quotes, backslashes, UTF-8 and control bytes, dates, floats
// (inf, nan, -0), decimals, enums, UUIDs, LowCardinality, Nested, empty results, totals and
// extremes (of a SELECT and of an INSERT ... SELECT), several blocks, a result beyond output_format_pretty_max_rows,
// DDL and a server error.
//
// JSON, JSONCompact and XML end with statistics.elapsed, the time the query took: its value is
// masked in both outputs before they are compared (everything else of those formats is compared).
//
// Differences asserted as known (not skipped): format names in another letter case, which chconn
// accepts and 18.16 refuses (code 73); Native's LowCardinality flag word; the width 18.16 gives a
// long Decimal128 in a later Pretty column (the tests at the end and known_difference()).
#include <gtest/gtest.h>

#include <unistd.h>

#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include "all_types.h"
#include "cli_support.h"
#include "support/sandbox.h"

namespace chconn::test {
namespace {

// Each test process gets its own database (ctest runs the formats in parallel processes).
const std::string k_db = "chconn_fmt_cmp_" + std::to_string(::getpid());

struct Case {
  std::string query;
  std::vector<std::string> client_extra;  // clickhouse-client's flags
  std::vector<std::string> chconn_extra;  // chconn's flags for the same
};

std::vector<Case> corpus() {
  std::vector<Case> c;
  auto add = [&](std::string q) { c.push_back({std::move(q), {}, {}}); };
  add("SELECT 1");
  add("SELECT number AS n, toString(number) AS s, number * 1.5 AS f FROM numbers(5)");
  add("SELECT toInt8(-128) AS a, toUInt64(18446744073709551615) AS b, toInt64(-9223372036854775808) AS c, "
      "toUInt32(4294967295) AS d, toFloat32(0.1) AS e");
  add("SELECT inf, -inf, nan, -0., 1e21, 1e-7, 0.1 + 0.2, toFloat32(1e-45)");
  // A Decimal128 of more than 21 integer digits first: elsewhere 18.16 mismeasures it (see below).
  add("SELECT toDecimal128('-123456789012345678901234567.89', 2) AS d128, toDecimal32(-1.5, 3) AS d32, "
      "toDecimal64('123456789.123456789', 9) AS d64, [toDecimal64(1.2, 2)] AS ad, toDecimal128(-1.5, 2) AS small");
  add("SELECT 'a\\tb\\nc\\\\d''e\"f/g\\0h\\bi\\fj\\rk\\x01l\\x7fm\\xe2\\x80\\xa8n' AS s, '' AS empty, 'é日本' AS u, "
      "'<x a=\"1\">&amp;</x>' AS xml, ['x''y', 'a\\tb', '\\\\'] AS arr, ('q''', 1) AS tup");
  add("SELECT arrayJoin(['', ' ', '\\\\N', 'NULL', '\\'', '\"', ',', '\\n\\n', 'tab\\there', 'e\\xCC\\x81', "
      "'\\xFF\\xFE', '日本語のテキスト']) AS s, length(s) AS len");
  add("SELECT toFixedString('ab', 4) AS fs, toFixedString('a\\tb', 5) AS ft");
  add("SELECT toDate('2020-01-02') AS d, toDate(0) AS z, toDateTime('2020-01-02 03:04:05') AS dt, "
      "toDateTime(0) AS dz, toDateTime('2020-01-02 03:04:05', 'Asia/Tokyo') AS tokyo, [toDate('2000-02-29')] AS ad");
  add("SELECT toUUID('00112233-4455-6677-8899-aabbccddeeff') AS u, [toUUID('01234567-89ab-cdef-0123-456789abcdef')] AS "
      "au");
  add("SELECT CAST('b' AS Enum8('a' = 1, 'b' = 2)) AS e8, CAST('x' AS Enum16('x' = -1000, 'y' = 1000)) AS e16, "
      "CAST('b''q' AS Enum8('a' = 1, 'b''q' = 2)) AS eq");
  add("SELECT toNullable(1) AS a, NULL AS b, [NULL, 1] AS c, CAST(NULL AS Nullable(String)) AS d, "
      "(NULL, 'x') AS e, [[NULL]] AS f");
  add("SELECT [[1, 2], [3]] AS a, [['a', 'b'], []] AS b, [] AS c, [(1, 'a'), (2, 'b')] AS d, "
      "(1, 'x', toDate('2020-01-02'), NULL, [1, 2], (3, 'y')) AS t");
  add("SELECT `a b`, `c=d`, `e\tf`, `日本` FROM (SELECT 1 AS `a b`, 2 AS `c=d`, 3 AS `e\tf`, 4 AS `日本`)");
  add(std::string("SELECT * FROM ") + k_db + ".all_types ORDER BY id");
  add(std::string("SELECT * FROM ") + k_db + ".nested ORDER BY id");
  add(std::string("SELECT * FROM ") + k_db + ".lc ORDER BY id");
  add(std::string("SELECT * FROM ") + k_db + ".empty");
  add("SELECT 1 WHERE 0");
  // Several blocks: with max_block_size, and from system.numbers.
  add("SELECT number, toString(number) AS s, repeat('x', number % 13) AS r FROM numbers(40) SETTINGS max_block_size = "
      "7");
  add("SELECT number FROM system.numbers LIMIT 12000");
  add("SELECT number % 3 AS k, count() AS c, sum(number) AS s FROM numbers(1000) GROUP BY k WITH TOTALS ORDER BY k");
  add("SELECT number % 3 AS k, count() AS c FROM numbers(100) GROUP BY k WITH TOTALS ORDER BY k SETTINGS extremes = 1");
  c.push_back({"SELECT number, toString(number) AS s FROM numbers(10)", {"--extremes=1"}, {"--setting", "extremes=1"}});
  c.push_back({"SELECT number, 'a\\tb' AS s FROM numbers(7) SETTINGS max_block_size = 3",
               {"--output_format_pretty_max_rows=4"},
               {"--setting", "output_format_pretty_max_rows=4"}});
  c.push_back({"SELECT repeat('x', 30) AS long, 'y' AS short",
               {"--output_format_pretty_max_column_pad_width=10"},
               {"--setting", "output_format_pretty_max_column_pad_width=10"}});
  c.push_back(
      {"SELECT 1 AS a, 'x' AS b", {"--output_format_pretty_color=0"}, {"--setting", "output_format_pretty_color=0"}});
  c.push_back({"SELECT toUInt64(1) AS a, inf AS b, [toInt64(-2)] AS c",
               {"--output_format_json_quote_64bit_integers=0", "--output_format_json_quote_denormals=1"},
               {"--setting", "output_format_json_quote_64bit_integers=0", "--setting",
                "output_format_json_quote_denormals=1"}});
  c.push_back(
      {"SELECT 1 AS x", {"--output_format_write_statistics=0"}, {"--setting", "output_format_write_statistics=0"}});
  c.push_back({"SELECT 'a/b' AS `x/y`, ['c/d'] AS arr, ('e/f', 1) AS t",
               {"--output_format_json_escape_forward_slashes=0"},
               {"--setting", "output_format_json_escape_forward_slashes=0"}});
  // INSERT ... SELECT with totals and extremes: 18.16 prints them as a result without rows.
  c.push_back({std::string("CREATE TABLE IF NOT EXISTS ") + k_db + ".sink (k UInt8, c UInt64) ENGINE = Memory; " +
                   "INSERT INTO " + k_db + ".sink SELECT number % 2 AS k, count() AS c FROM numbers(10) GROUP BY k " +
                   "WITH TOTALS ORDER BY k SETTINGS extremes = 1",
               {"-n"},
               {}});
  c.push_back({"SELECT number FROM numbers(3) LIMIT 2", {}, {}});
  // DDL prints nothing; a server error after some output; an unknown format in the query.
  c.push_back({std::string("CREATE TABLE IF NOT EXISTS ") + k_db + ".ddl (x UInt8) ENGINE = Memory; DROP TABLE " +
                   k_db + ".ddl; SELECT 3 AS x",
               {"-n"},
               {}});
  add("SELECT throwIf(number = 3) FROM numbers(5) SETTINGS max_block_size = 1");
  add("SELECT 1 FORMAT Foo");
  add("SELECT 1 AS a, 'x,y' AS b FORMAT CSV");
  return c;
}

// The formats chconn writes, as clickhouse-client 18.16 names them.
const char* const k_formats[] = {"TabSeparated",
                                 "TSV",
                                 "TabSeparatedRaw",
                                 "TSVRaw",
                                 "TabSeparatedWithNames",
                                 "TSVWithNames",
                                 "TabSeparatedWithNamesAndTypes",
                                 "TSVWithNamesAndTypes",
                                 "CSV",
                                 "CSVWithNames",
                                 "TSKV",
                                 "Values",
                                 "JSONEachRow",
                                 "JSON",
                                 "JSONCompact",
                                 "XML",
                                 "Vertical",
                                 "Pretty",
                                 "PrettyNoEscapes",
                                 "PrettyCompact",
                                 "PrettyCompactNoEscapes",
                                 "PrettyCompactMonoBlock",
                                 "PrettySpace",
                                 "PrettySpaceNoEscapes",
                                 "RowBinary",
                                 "Native",
                                 "Null"};

// Statements whose output is known to differ in a format, with the reason. Asserted to differ, so
// that a fix shows up here.
std::string known_difference(const std::string& format, const Case& c) {
  if (format == "Native" && c.query.find(".lc ") != std::string::npos) {
    return "LowCardinality columns: chconn's encoder flags the dictionary 0x200 | width "
           "(HasAdditionalKeys), 18.16's clickhouse-client 0x600 | width (also NeedUpdateDictionary); "
           "same values, another flag word";
  }
  return {};
}

std::string mask_elapsed(const std::string& s) {
  static const std::regex k_elapsed(R"(("elapsed": |<elapsed>)[0-9.e+-]+)");
  return std::regex_replace(s, k_elapsed, "$1ELAPSED");
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string first_difference(const std::string& expected, const std::string& got) {
  std::size_t i = 0;
  while (i < expected.size() && i < got.size() && expected[i] == got[i]) ++i;
  const std::size_t from = i < 60 ? 0 : i - 60;
  return "at byte " + std::to_string(i) + " (sizes " + std::to_string(expected.size()) + " vs " +
         std::to_string(got.size()) + ")\n  clickhouse-client: " + expected.substr(from, 120) +
         "\n  chconn:            " + got.substr(from, 120);
}

class CliFormats : public ::testing::TestWithParam<const char*> {
 protected:
  static void SetUpTestSuite() {
    port_ = std::to_string(sandbox("main").native_port);
    const ProcessResult r = run_process({clickhouse_client_binary(), "--port", port_, "--host", "127.0.0.1", "-n",
                                         "--allow_experimental_low_cardinality_type=1", "-q", all_types_setup(k_db)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    (void)run_process(
        {clickhouse_client_binary(), "--port", port_, "--host", "127.0.0.1", "-q", "DROP DATABASE IF EXISTS " + k_db});
  }

  static ProcessResult client(const Case& c, const std::string& format) {
    std::vector<std::string> argv{
        clickhouse_client_binary(), "--host", "127.0.0.1", "--port", port_, "--format", format};
    argv.insert(argv.end(), c.client_extra.begin(), c.client_extra.end());
    argv.insert(argv.end(), {"-q", c.query});
    return run_process(argv);
  }
  static ProcessResult chconn(const Case& c, const std::string& format) {
    std::vector<std::string> argv{chconn_binary(), "--host", "127.0.0.1", "--port", port_, "--format", format};
    argv.insert(argv.end(), c.chconn_extra.begin(), c.chconn_extra.end());
    argv.insert(argv.end(), {"-q", c.query});
    return run_process(argv);
  }

  static std::string port_;
};

std::string CliFormats::port_;

TEST_P(CliFormats, IdenticalToClickHouseClient) {
  ASSERT_FALSE(chconn_binary().empty()) << "build the chconn_cli target first (or set CHCONN_CLI_BINARY)";
  const std::string format = GetParam();
  const std::vector<Case> cases = corpus();
  std::size_t identical = 0;
  std::size_t known = 0;
  for (const Case& c : cases) {
    const ProcessResult expected = client(c, format);
    const ProcessResult got = chconn(c, format);
    const std::string want = mask_elapsed(expected.out);
    const std::string have = mask_elapsed(got.out);
    if (const std::string reason = known_difference(format, c); !reason.empty()) {
      EXPECT_NE(want, have) << "known difference no longer differs (remove it): " << c.query;
      EXPECT_EQ(expected.exit_code, got.exit_code) << c.query;
      ++known;
      std::cout << "[ cli ] " << format << ": known difference: " << reason << "\n  " << c.query << "\n";
      continue;
    }
    bool same = true;
    if (want != have) {
      same = false;
      ADD_FAILURE() << format << ": stdout differs for\n  " << c.query << "\n  " << first_difference(want, have);
    }
    if (first_line(expected.err) != first_line(got.err)) {
      same = false;
      ADD_FAILURE() << format << ": stderr differs for\n  " << c.query
                    << "\n  clickhouse-client: " << first_line(expected.err)
                    << "\n  chconn:            " << first_line(got.err);
    }
    if (expected.exit_code != got.exit_code) {
      same = false;
      ADD_FAILURE() << format << ": exit status " << expected.exit_code << " vs " << got.exit_code << " for\n  "
                    << c.query;
    }
    if (same) ++identical;
  }
  EXPECT_EQ(identical + known, cases.size());
  std::cout << "[ cli ] " << format << ": " << identical << " of " << cases.size() << " statements identical";
  if (known > 0) std::cout << " (" << known << " known difference)";
  std::cout << "\n";
}

INSTANTIATE_TEST_SUITE_P(EveryFormat, CliFormats, ::testing::ValuesIn(k_formats),
                         [](const ::testing::TestParamInfo<const char*>& param) { return std::string(param.param); });

// Known difference: chconn reads format names in any letter case, clickhouse-client 18.16 refuses
// them (code 73); both give the same bytes for the canonical spelling (above).
TEST(CliFormatsKnownDifference, FormatNamesInAnotherLetterCase) {
  ASSERT_FALSE(chconn_binary().empty()) << "build the chconn_cli target first (or set CHCONN_CLI_BINARY)";
  const std::string port = std::to_string(sandbox("main").native_port);
  const ProcessResult expected = run_process({clickhouse_client_binary(), "--host", "127.0.0.1", "--port", port,
                                              "--format", "prettycompact", "-q", "SELECT 1"});
  EXPECT_EQ(expected.exit_code, 73);
  EXPECT_EQ(first_line(expected.err), "Code: 73. DB::Exception: Unknown format prettycompact");
  const ProcessResult got = run_process(
      {chconn_binary(), "--host", "127.0.0.1", "--port", port, "--format", "prettycompact", "-q", "SELECT 1 AS x"});
  EXPECT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out, "┌─\033[1mx\033[0m─┐\n│ 1 │\n└───┘\n");
}

// Known difference: 18.16 measures a Decimal128 with more than 21 integer digits too narrow in a
// Pretty table when it is not the first column (it loses digits while measuring, not while
// writing): its column is 25 wide for a 31-character value, which then sticks out. chconn sizes
// the column on the value, as 18.16 does for the first column.
TEST(CliFormatsKnownDifference, PrettyDecimal128WidthOfLaterColumns) {
  ASSERT_FALSE(chconn_binary().empty()) << "build the chconn_cli target first (or set CHCONN_CLI_BINARY)";
  const std::string port = std::to_string(sandbox("main").native_port);
  const std::string query = "SELECT 1 AS a, toDecimal128('-123456789012345678901234567.89', 2) AS d128";
  const ProcessResult expected = run_process({clickhouse_client_binary(), "--host", "127.0.0.1", "--port", port,
                                              "--format", "PrettyCompactNoEscapes", "-q", query});
  EXPECT_EQ(expected.out,
            "┌─a─┬──────────────────────d128─┐\n"
            "│ 1 │ -123456789012345678901234567.89 │\n"
            "└───┴───────────────────────────┘\n");
  const ProcessResult got = run_process(
      {chconn_binary(), "--host", "127.0.0.1", "--port", port, "--format", "PrettyCompactNoEscapes", "-q", query});
  EXPECT_EQ(got.out,
            "┌─a─┬────────────────────────────d128─┐\n"
            "│ 1 │ -123456789012345678901234567.89 │\n"
            "└───┴─────────────────────────────────┘\n");
}

}  // namespace
}  // namespace chconn::test
