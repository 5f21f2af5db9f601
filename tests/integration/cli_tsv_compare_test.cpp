// The chconn CLI against clickhouse-client, byte for byte: every query below runs through both
// (`--format TabSeparated -q Q`, and a few other formats) against the sandbox "main", and the
// outputs must be identical, with lz4 (the default), none and zstd compression. The date and time
// queries also run against the sandbox "tokyo", a server in Asia/Tokyo.
//
// The binaries: chconn from $CHCONN_CLI_BINARY or the build tree's bin/chconn (build the target
// chconn_cli first), clickhouse-client from $CHCONN_CLICKHOUSE_CLIENT or /usr/bin.
#include <gtest/gtest.h>

#include <unistd.h>

#include <string>
#include <vector>

#include "all_types.h"
#include "cli_support.h"
#include "core/strings.h"
#include "support/sandbox.h"

namespace chconn::test {
namespace {

// Each test process gets its own database: ctest runs this suite's tests in parallel processes,
// and one process's set-up must not drop the tables another is reading.
const std::string k_db = "chconn_cli_cmp_" + std::to_string(::getpid());

struct Case {
  std::string query;
  std::vector<std::string> client_extra;  // extra clickhouse-client flags
  std::vector<std::string> chconn_extra;  // the same for chconn
};

std::string all_bytes_hex() {
  std::string hex;
  for (int i = 0; i < 256; ++i) detail::append_hex_byte(hex, static_cast<unsigned char>(i), true);
  return hex;
}

// Time zones whose DateTime values are compared, with instants spread over 1970-2106.
const char* const k_zones[] = {"UTC",
                               "Asia/Tokyo",
                               "America/New_York",
                               "Europe/Moscow",
                               "Asia/Kolkata",
                               "Europe/London",
                               "Australia/Sydney",
                               "America/Sao_Paulo",
                               "Asia/Kathmandu",
                               "Pacific/Chatham",
                               "Africa/Casablanca",
                               "Australia/Lord_Howe",
                               "America/Santiago",
                               "Africa/Monrovia"};

std::vector<Case> cases() {
  std::vector<Case> c;
  auto add = [&](std::string q) { c.push_back({std::move(q), {}, {}}); };

  // Integers.
  add("SELECT toInt8(-128), toInt8(127), toUInt8(255), toInt16(-32768), toUInt16(65535), toInt32(-2147483648), "
      "toUInt32(4294967295), toInt64(-9223372036854775808), toUInt64(18446744073709551615), 0, -1");
  add("SELECT number, toInt64(number) - 50, toUInt8(number * 7), toInt16(number * -300) FROM numbers(100)");
  // Floats: special values, notation boundaries, and random bit patterns.
  add("SELECT 1e20, 1e-7, 0.1 + 0.2, inf, -inf, nan, -nan, -0., 1e21, 1e15, 1e16, 123456789012345678., 0.000001, "
      "1e-5, 1/3, 2/3, 1e100, -1e-300, 1.7976931348623157e308, 12345678.9, 123e-10, 1e22, 100., 2.5e-8, 1e-6, "
      "9.999999999999999e20, 5e-300 * 1e-20");
  add("SELECT toFloat32(0.1), toFloat32(1e20), toFloat32(16777217), toFloat32(3.4028235e38), toFloat32(1e-45), "
      "toFloat32(-0.), toFloat32(inf), toFloat32(nan), toFloat32(1/3), toFloat32(1e-7), toFloat32(1e21), "
      "toFloat32(123456.7)");
  add("SELECT number, pow(10, toInt64(number) - 30) * 1.2345, 1 / (number + 1), toFloat32(1 / (number + 1)), "
      "pow(2, toInt64(number) * 16 - 500), exp(number) FROM numbers(64)");
  add("SELECT reinterpretAsFloat64(reinterpretAsString(sipHash64(number))) FROM numbers(3000)");
  add("SELECT reinterpretAsFloat32(reinterpretAsString(toUInt32(sipHash64(number) % 4294967296))) FROM numbers(3000)");
  add("SELECT [inf, -inf, nan, -0., 1e-7, 1e21], (1.5, toFloat32(0.1))");
  // Decimals.
  add("SELECT toDecimal32(-1.5, 3), toDecimal32(0, 4), toDecimal64(-0.01, 2), toDecimal64('123456789.123456789', 9), "
      "toDecimal128('-123456789012345678901234567.89', 2), toDecimal32(7, 0), CAST('99999.9999' AS Decimal(9, 4)), "
      "toDecimal128(0, 30), [toDecimal64(1.2, 2)], (toDecimal32(-3.25, 2), 1)");
  add("SELECT toDecimal64(toInt64(number) * 12345 - 500000, 3), toDecimal32(toInt32(number) - 50, 1), "
      "toDecimal128(toInt64(number) * -987654321, 12) FROM numbers(100)");
  // Strings: every byte value, escapes, UTF-8.
  add("SELECT unhex('" + all_bytes_hex() + "')");
  add("SELECT 'a\\tb\\nc\\\\d''e\"f/g\\0h\\bi\\fj\\rk\\x01l\\x7fm\\xe2\\x80\\xa8n', '', 'é日本', "
      "['x''y', 'a\\tb', '\\\\'], ('q''', 1)");
  add("SELECT arrayJoin(['', ' ', '\\\\N', 'NULL', '\\'', '\"', ',', '\\n\\n'])");
  add("SELECT toString(number), arrayStringConcat(arrayMap(x -> 'ab', range(number))) FROM numbers(30)");
  // FixedString.
  add("SELECT toFixedString('ab', 4), toFixedString('', 3), toFixedString('a\\tb', 5), [toFixedString('x', 2)], "
      "toFixedString('abcd', 4)");
  // Dates and times.
  add("SELECT toDate('2020-01-02'), toDate(0), toDate('1970-01-02'), toDate('2105-12-31'), toDate(49710), "
      "toDate(49711), toDate(65535), [toDate('2000-02-29')], (toDate('1999-12-31'), 1)");
  add("SELECT toDateTime('2020-01-02 03:04:05'), toDateTime(0), toDateTime(1), toDateTime('2038-01-19 03:14:08'), "
      "toDateTime(4000000000), [toDateTime('2001-02-03 04:05:06')], (toDateTime(86400), 'x')");
  add("SELECT toDate(number * 397), toDateTime(number * 44123917) FROM numbers(120)");
  add("SELECT toDateTime('2020-01-02 03:04:05', 'Asia/Tokyo'), toDateTime(1577934245, 'America/New_York'), "
      "[toDateTime(1577934245, 'Europe/Moscow')]");
  for (const char* zone : k_zones) {
    // From the second day of 1970 to the 2106-02-05: outside that 18.16's own date table misprints.
    add(std::string("SELECT t, toDateTime(t, '") + zone +
        "') FROM (SELECT toUInt32(172800 + intHash64(number) % 4294500000) AS t FROM numbers(1500))");
    add(std::string("SELECT toDateTime(t, '") + zone +
        "') FROM (SELECT toUInt32(arrayJoin([31536000, 370000000, 700000000, 1301180400, 1301184000, 1414274400, "
        "1414278000, 1520751599, 1520751600, 1541310000, 1541311200, 1541314800, 2000000000, 2147483648, 3000000000, "
        "4000000000, 4294771200])) AS t)");
  }
  // UUID, enums, Nullable, arrays, tuples, Nothing.
  add("SELECT toUUID('00112233-4455-6677-8899-aabbccddeeff'), toUUID('00000000-0000-0000-0000-000000000000'), "
      "[toUUID('01234567-89ab-cdef-0123-456789abcdef')]");
  add("SELECT CAST('b' AS Enum8('a' = 1, 'b' = 2)), CAST('x' AS Enum16('x' = -1000, 'y' = 1000)), "
      "[CAST('a' AS Enum8('a' = 1, 'b''q' = 2))], CAST('b''q' AS Enum8('a' = 1, 'b''q' = 2))");
  add("SELECT toNullable(1), NULL, [NULL, 1], CAST(NULL AS Nullable(String)), toNullable('x'), "
      "[toNullable('a'), NULL], (NULL, 'x'), [NULL], [[NULL]]");
  add("SELECT [[1, 2], [3]], [['a', 'b'], []], [[[1]]], [], [[]], emptyArrayString(), [(1, 'a'), (2, 'b')], "
      "arrayMap(x -> toDate(x), range(3)), range(10)");
  add("SELECT (1, 'x', toDate('2020-01-02'), NULL, [1, 2], (3, 'y')), tuple(1), ((1, 2), [(3, 4)])");
  add("SELECT IPv4NumToString(3232235777), IPv6NumToString(toFixedString(unhex('20010DB8000000000000000000000001'), "
      "16)), "
      "IPv4StringToNum('10.0.0.1')");
  add("SELECT toLowCardinality('a'), toLowCardinality(toNullable('b')), toLowCardinality(number) FROM numbers(3)");
  add("SELECT toLowCardinality(toString(number % 3)), [toLowCardinality('q')] FROM numbers(10)");
  // Tables: every column type the server can store, Nested, LowCardinality.
  add(std::string("SELECT * FROM ") + k_db + ".all_types ORDER BY id");
  add(std::string("SELECT * FROM ") + k_db + ".nested ORDER BY id");
  add(std::string("SELECT n.a, n.b, arrayJoin(n.b) FROM ") + k_db + ".nested ORDER BY id");
  add(std::string("SELECT * FROM ") + k_db + ".lc ORDER BY id");
  add(std::string("SELECT * FROM ") + k_db + ".empty");
  // Results: empty, many blocks, totals, extremes, system tables.
  add("SELECT 1 WHERE 0");
  add("SELECT arrayJoin(emptyArrayUInt8())");
  add("SELECT number, toString(number), number * 1.5 FROM system.numbers LIMIT 200000");
  add("SELECT number % 3 AS k, count(), sum(number) FROM numbers(1000) GROUP BY k WITH TOTALS ORDER BY k");
  c.push_back({"SELECT number FROM numbers(10)", {"--extremes=1"}, {"--setting", "extremes=1"}});
  add("SELECT name, is_aggregate, case_insensitive, alias_to FROM system.functions ORDER BY name");
  // The compression setting differs by design: each client asks for its own.
  add("SELECT name, value, changed, description FROM system.settings WHERE name != 'network_compression_method' "
      "ORDER BY name");
  add("SELECT name, case_insensitive, alias_to FROM system.data_type_families ORDER BY name");
  add(std::string("SELECT name, type, default_kind, default_expression FROM system.columns WHERE database = '") + k_db +
      "' ORDER BY table, name");
  add(std::string("SELECT name, engine FROM system.tables WHERE database = '") + k_db + "' ORDER BY name");
  add("SELECT * FROM system.build_options ORDER BY name");
  // Several statements, comments, DDL without output, and a FORMAT clause.
  c.push_back({"SELECT 1; SELECT 'a;b' -- x;y\n; /* ; */ SELECT 2;", {"-n"}, {}});
  c.push_back({std::string("CREATE TABLE IF NOT EXISTS ") + k_db + ".ddl (x UInt8) ENGINE = Memory; DROP TABLE " +
                   k_db + ".ddl; SELECT 3",
               {"-n"},
               {}});
  add("SELECT 1 AS a, 'x,y' AS b FORMAT CSV");
  add("SELECT 1 AS a, 'x' AS b FORMAT TSVWithNames");
  return c;
}

class CliCompare : public ::testing::Test {
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

  static ProcessResult chconn(const Case& c, const std::string& format, const std::string& compression) {
    std::vector<std::string> argv{chconn_binary(), "--host", "127.0.0.1",     "--port",   port_,
                                  "--format",      format,   "--compression", compression};
    argv.insert(argv.end(), c.chconn_extra.begin(), c.chconn_extra.end());
    argv.insert(argv.end(), {"-q", c.query});
    return run_process(argv);
  }

  // Compares the outputs of every case of `list` (default: cases()) in `format`; returns the number
  // of identical cases.
  static std::size_t compare_all(const std::string& format, const std::vector<std::string>& compressions,
                                 const std::vector<Case>& list = cases()) {
    std::size_t identical = 0;
    for (const Case& c : list) {
      const ProcessResult expected = client(c, format);
      EXPECT_EQ(expected.exit_code, 0) << c.query << "\n" << expected.err;
      bool all_same = true;
      for (const std::string& compression : compressions) {
        const ProcessResult got = chconn(c, format, compression);
        EXPECT_EQ(got.exit_code, 0) << c.query << " (" << compression << ")\n" << got.err;
        EXPECT_EQ(got.err, "") << c.query;
        if (got.out != expected.out) {
          all_same = false;
          ADD_FAILURE() << format << ", --compression " << compression << ": outputs differ for\n  " << c.query << "\n"
                        << first_difference(expected.out, got.out);
        }
      }
      if (all_same) ++identical;
    }
    return identical;
  }

  static std::string first_difference(const std::string& expected, const std::string& got) {
    std::size_t line_start = 0;
    std::size_t i = 0;
    for (; i < expected.size() && i < got.size() && expected[i] == got[i]; ++i) {
      if (expected[i] == '\n') line_start = i + 1;
    }
    auto line_at = [&](const std::string& s) {
      const std::size_t end = s.find('\n', line_start);
      return s.substr(line_start, end == std::string::npos ? std::string::npos : end - line_start);
    };
    return "  at byte " + std::to_string(i) + " (sizes " + std::to_string(expected.size()) + " vs " +
           std::to_string(got.size()) + ")\n  clickhouse-client: " + line_at(expected) +
           "\n  chconn:            " + line_at(got);
  }

  static std::string port_;
};

std::string CliCompare::port_;

TEST_F(CliCompare, BinariesExist) {
  ASSERT_FALSE(chconn_binary().empty()) << "build the chconn_cli target first (or set CHCONN_CLI_BINARY)";
  ASSERT_TRUE(std::filesystem::exists(clickhouse_client_binary()));
}

TEST_F(CliCompare, TabSeparatedIdenticalWithEveryCompression) {
  ASSERT_FALSE(chconn_binary().empty()) << "build the chconn_cli target first (or set CHCONN_CLI_BINARY)";
  const std::size_t total = cases().size();
  const std::size_t identical = compare_all("TabSeparated", {"lz4", "none", "zstd"});
  EXPECT_EQ(identical, total);
  std::cout << "[ cli ] TabSeparated: " << identical << " of " << total << " queries identical (lz4, none, zstd)\n";
}

TEST_F(CliCompare, OtherTextFormatsIdentical) {
  ASSERT_FALSE(chconn_binary().empty()) << "build the chconn_cli target first (or set CHCONN_CLI_BINARY)";
  const std::size_t total = cases().size();
  for (const std::string format : {"TabSeparatedWithNames", "CSV", "CSVWithNames", "JSONEachRow"}) {
    const std::size_t identical = compare_all(format, {"lz4"});
    EXPECT_EQ(identical, total) << format;
    std::cout << "[ cli ] " << format << ": " << identical << " of " << total << " queries identical\n";
  }
}

// The date and time cases on a server whose zone is not UTC (the sandbox "tokyo", Asia/Tokyo): a
// DateTime without a zone of its own, and toDate() of an instant, are shown in the server's zone.
TEST_F(CliCompare, DatesAndTimesIdenticalOnAServerInAnotherZone) {
  ASSERT_FALSE(chconn_binary().empty()) << "build the chconn_cli target first (or set CHCONN_CLI_BINARY)";
  struct RestorePort {
    std::string saved = port_;
    ~RestorePort() { port_ = saved; }
  } restore;
  port_ = std::to_string(sandbox("tokyo").native_port);
  std::vector<Case> times;
  for (const Case& c : cases()) {
    if (c.query.find("toDate") != std::string::npos && c.query.find(k_db) == std::string::npos) times.push_back(c);
  }
  times.push_back(
      {"SELECT timezone(), toDateTime(1709236800), toDate(toDateTime(1709236800)), "
       "toDateTime('2024-03-01 05:00:00'), toUInt32(toDateTime('2024-03-01 05:00:00'))",
       {},
       {}});
  ASSERT_GE(times.size(), 30u);
  for (const std::string format : {"TabSeparated", "JSONEachRow"}) {
    const std::size_t identical = compare_all(format, {"lz4"}, times);
    EXPECT_EQ(identical, times.size()) << format;
    std::cout << "[ cli ] Asia/Tokyo server, " << format << ": " << identical << " of " << times.size()
              << " date and time queries identical\n";
  }
}

}  // namespace
}  // namespace chconn::test
