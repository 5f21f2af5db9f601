// Text formatting of values and blocks (chconn/format/text.h) on hand-built columns, and the
// statement splitter. Expected strings are what ClickHouse 18.16's clickhouse-client prints for
// the same values (checked against the server; the integration test compares whole outputs).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "chconn/core/error.h"
#include "chconn/format/text.h"
#include "chconn/wire/columns.h"
#include "support/expect_error.h"

namespace chconn::text {
namespace {

using namespace std::string_literals;

template <class C>
std::shared_ptr<C> col(std::string_view type) {
  return column_cast<C>(make_column(parse_type(type)));
}

std::string tsv(const Column& c, std::size_t row = 0, const FormatOptions& o = {}) {
  return format_value(c, row, Escaping::tsv, o);
}
std::string quoted(const Column& c, std::size_t row = 0, const FormatOptions& o = {}) {
  return format_value(c, row, Escaping::quoted, o);
}
std::string csv(const Column& c, std::size_t row = 0, const FormatOptions& o = {}) {
  return format_value(c, row, Escaping::csv, o);
}
std::string json(const Column& c, std::size_t row = 0, const FormatOptions& o = {}) {
  return format_value(c, row, Escaping::json, o);
}
std::string pretty(const Column& c, std::size_t row = 0, const FormatOptions& o = {}) {
  return format_value(c, row, Escaping::pretty, o);
}

// ----- escaping -----------------------------------------------------------------------------------

TEST(TextEscaping, TabSeparatedEscapesExactlyClickHousesSet) {
  std::string out;
  append_escaped(out, "a\tb\nc\\d'e\"f/g\0h\bi\fj\rk\x01l\x7fm\xe2\x80\xa8n"s);
  EXPECT_EQ(out, "a\\tb\\nc\\\\d\\'e\"f/g\\0h\\bi\\fj\\rk\x01l\x7fm\xe2\x80\xa8n");
  out.clear();
  append_escaped(out, "");
  EXPECT_EQ(out, "");
  out.clear();
  append_escaped(out, "plain text, no escapes");
  EXPECT_EQ(out, "plain text, no escapes");
}

TEST(TextEscaping, QuotedCsvJson) {
  std::string out;
  append_quoted(out, "x'y\\z");
  EXPECT_EQ(out, "'x\\'y\\\\z'");
  out.clear();
  append_csv_string(out, "a\"b\"\"c\n\t,");
  EXPECT_EQ(out, "\"a\"\"b\"\"\"\"c\n\t,\"");
  out.clear();
  append_json_string(out, "a\tb\nc\\d'e\"f/g\0h\bi\fj\rk\x01l\x1fm\x7fn\xe2\x80\xa8o\xe2\x80\xa9p\xe2\x80q"s);
  EXPECT_EQ(out, "\"a\\tb\\nc\\\\d'e\\\"f\\/g\\u0000h\\bi\\fj\\rk\\u0001l\\u001Fm\x7fn\\u2028o\\u2029p\xe2\x80q\"");
}

// ----- numbers ------------------------------------------------------------------------------------

std::string f64(double v) {
  std::string s;
  append_float(s, v);
  return s;
}
std::string f32(float v) {
  std::string s;
  append_float(s, v);
  return s;
}

TEST(TextFloat, ShortestRoundTripWithClickHouseNotation) {
  EXPECT_EQ(f64(1e20), "100000000000000000000");
  EXPECT_EQ(f64(1e21), "1e21");
  EXPECT_EQ(f64(1e22), "1e22");
  EXPECT_EQ(f64(1e-7), "1e-7");
  EXPECT_EQ(f64(1e-6), "0.000001");
  EXPECT_EQ(f64(1e-5), "0.00001");
  EXPECT_EQ(f64(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(f64(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(f64(123456789012345678.0), "123456789012345680");
  EXPECT_EQ(f64(12345678.9), "12345678.9");
  EXPECT_EQ(f64(123e-10), "1.23e-8");
  EXPECT_EQ(f64(1e100), "1e100");
  EXPECT_EQ(f64(-1e-300), "-1e-300");
  EXPECT_EQ(f64(5e-324), "5e-324");
  EXPECT_EQ(f64(std::numeric_limits<double>::max()), "1.7976931348623157e308");
  EXPECT_EQ(f64(100), "100");
  EXPECT_EQ(f64(1.5), "1.5");
  EXPECT_EQ(f64(0), "0");
  EXPECT_EQ(f64(-0.0), "-0");
  EXPECT_EQ(f64(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(f64(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(f64(std::nan("")), "nan");
  EXPECT_EQ(f64(-std::nan("")), "nan");
  EXPECT_EQ(f32(0.1f), "0.1");
  EXPECT_EQ(f32(16777217.0f), "16777216");
  EXPECT_EQ(f32(1e20f), "100000000000000000000");
  EXPECT_EQ(f32(3.4028235e38f), "3.4028235e38");
  EXPECT_EQ(f32(1e-45f), "1e-45");
  EXPECT_EQ(f32(1e-7f), "1e-7");
}

TEST(TextFloat, ColumnsInEveryEscaping) {
  auto c = col<ColumnFloat64>("Float64");
  c->append(1.5);
  c->append(std::numeric_limits<double>::infinity());
  c->append(std::nan(""));
  c->append(-0.0);
  EXPECT_EQ(tsv(*c, 0), "1.5");
  EXPECT_EQ(csv(*c, 1), "inf");
  EXPECT_EQ(quoted(*c, 2), "nan");
  EXPECT_EQ(json(*c, 0), "1.5");
  EXPECT_EQ(json(*c, 1), "null");
  EXPECT_EQ(json(*c, 2), "null");
  EXPECT_EQ(json(*c, 3), "-0");
  FormatOptions o;
  o.json_quote_denormals = true;
  EXPECT_EQ(json(*c, 1, o), "\"inf\"");
}

TEST(TextInteger, AllWidthsAndJsonQuoting) {
  auto i8 = col<ColumnInt8>("Int8");
  i8->append(-128);
  auto u8 = col<ColumnUInt8>("UInt8");
  u8->append(255);
  auto i16 = col<ColumnInt16>("Int16");
  i16->append(-32768);
  auto u16 = col<ColumnUInt16>("UInt16");
  u16->append(65535);
  auto i32 = col<ColumnInt32>("Int32");
  i32->append(std::numeric_limits<std::int32_t>::min());
  auto u32 = col<ColumnUInt32>("UInt32");
  u32->append(4294967295u);
  auto i64 = col<ColumnInt64>("Int64");
  i64->append(std::numeric_limits<std::int64_t>::min());
  auto u64 = col<ColumnUInt64>("UInt64");
  u64->append(std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(tsv(*i8), "-128");
  EXPECT_EQ(tsv(*u8), "255");
  EXPECT_EQ(tsv(*i16), "-32768");
  EXPECT_EQ(tsv(*u16), "65535");
  EXPECT_EQ(tsv(*i32), "-2147483648");
  EXPECT_EQ(tsv(*u32), "4294967295");
  EXPECT_EQ(tsv(*i64), "-9223372036854775808");
  EXPECT_EQ(tsv(*u64), "18446744073709551615");
  EXPECT_EQ(json(*u32), "4294967295");
  EXPECT_EQ(json(*i64), "\"-9223372036854775808\"");
  EXPECT_EQ(json(*u64), "\"18446744073709551615\"");
  EXPECT_EQ(csv(*u64), "18446744073709551615");
  FormatOptions o;
  o.json_quote_64bit_integers = false;
  EXPECT_EQ(json(*u64, 0, o), "18446744073709551615");

  auto i128 = col<ColumnInt128>("Int128");
  i128->append(-(static_cast<Int128>(1) << 100));
  auto u256 = col<ColumnUInt256>("UInt256");
  u256->append(UInt256{{0, 0, 0, 1}});  // 2^192
  auto i256 = col<ColumnInt256>("Int256");
  i256->append(Int256::from(-5));
  EXPECT_EQ(tsv(*i128), "-1267650600228229401496703205376");
  EXPECT_EQ(tsv(*u256), "6277101735386680763835789423207666416102355444464034512896");
  EXPECT_EQ(tsv(*i256), "-5");
  EXPECT_EQ(json(*i128), "\"-1267650600228229401496703205376\"");
}

TEST(TextDecimal, ExactlyScaleDigits) {
  auto d32 = col<ColumnDecimal32>("Decimal(9, 3)");
  d32->append(-1500);
  d32->append(0);
  d32->append(7);
  EXPECT_EQ(tsv(*d32, 0), "-1.500");
  EXPECT_EQ(tsv(*d32, 1), "0.000");
  EXPECT_EQ(tsv(*d32, 2), "0.007");
  auto d64 = col<ColumnDecimal64>("Decimal(18, 2)");
  d64->append(-1);
  d64->append(std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(tsv(*d64, 0), "-0.01");
  EXPECT_EQ(tsv(*d64, 1), "-92233720368547758.08");
  EXPECT_EQ(json(*d64, 0), "-0.01");  // unquoted in JSON, as 18.16
  auto d0 = col<ColumnDecimal64>("Decimal(18, 0)");
  d0->append(-42);
  EXPECT_EQ(tsv(*d0), "-42");
  auto d128 = col<ColumnDecimal128>("Decimal(38, 2)");
  d128->append(-(static_cast<Int128>(12345678901234567LL) * 1000000000000LL + 789));
  EXPECT_EQ(tsv(*d128), "-123456789012345670000000007.89");
  EXPECT_EQ(quoted(*d128), "-123456789012345670000000007.89");
}

// [chDB 26.7] current servers drop the trailing zeros (output_format_decimal_trailing_zeros = 0):
// toDecimal32(1.5, 2) is 1.5, toDecimal64(-1, 10) is -1, toDecimal32(0, 4) is 0.
TEST(TextDecimal, WithoutTrailingZerosForCurrentServers) {
  FormatOptions o;
  o.decimal_trailing_zeros = false;
  auto d32 = col<ColumnDecimal32>("Decimal(9, 3)");
  for (const std::int32_t v : {-1500, 0, 7, 10, 1000000}) d32->append(v);
  EXPECT_EQ(tsv(*d32, 0, o), "-1.5");
  EXPECT_EQ(tsv(*d32, 1, o), "0");
  EXPECT_EQ(tsv(*d32, 2, o), "0.007");
  EXPECT_EQ(tsv(*d32, 3, o), "0.01");
  EXPECT_EQ(tsv(*d32, 4, o), "1000");  // zeros before the point stay
  auto d0 = col<ColumnDecimal64>("Decimal(18, 0)");
  d0->append(-100);
  EXPECT_EQ(tsv(*d0, 0, o), "-100");
  auto d256 = col<ColumnDecimal256>("Decimal(76, 40)");
  d256->append(Int256::from(-123456789));
  EXPECT_EQ(tsv(*d256, 0, o), "-0.0000000000000000000000000000000123456789");
  d256->append(Int256::from(0));
  EXPECT_EQ(json(*d256, 1, o), "0");
}

TEST(TextOptions, FollowTheServersVersion) {
  const FormatOptions old = options_for_server(18, 16, "");
  EXPECT_EQ(old.server_time_zone, "UTC");
  EXPECT_TRUE(old.legacy_dates);
  EXPECT_TRUE(old.decimal_trailing_zeros);
  EXPECT_TRUE(old.json_quote_64bit_integers);
  EXPECT_TRUE(old.pretty_align_uuid_right);
  EXPECT_FALSE(old.json_named_tuples_as_objects);
  EXPECT_FALSE(options_for_server(22, 5, "").json_named_tuples_as_objects);
  EXPECT_TRUE(options_for_server(22, 6, "").json_named_tuples_as_objects);
  const FormatOptions v21_8 = options_for_server(21, 8, "Europe/Berlin");
  EXPECT_EQ(v21_8.server_time_zone, "Europe/Berlin");
  EXPECT_FALSE(v21_8.legacy_dates);
  EXPECT_TRUE(v21_8.decimal_trailing_zeros);
  EXPECT_FALSE(options_for_server(21, 9, "").decimal_trailing_zeros);
  EXPECT_TRUE(options_for_server(25, 7, "").json_quote_64bit_integers);
  const FormatOptions current = options_for_server(26, 7, "");
  EXPECT_FALSE(current.legacy_dates);
  EXPECT_FALSE(current.decimal_trailing_zeros);
  EXPECT_FALSE(current.json_quote_64bit_integers);
  EXPECT_FALSE(current.pretty_align_uuid_right);
  // A server that did not say its version is taken for a current one.
  EXPECT_FALSE(options_for_server(0, 0, "").decimal_trailing_zeros);
}

// [chDB 26.7] CAST(((1, 2), 'y') AS Tuple(p Tuple(x UInt8, y UInt8), s String)) in JSONEachRow is
// {"p":{"x":1,"y":2},"s":"y"}; unnamed tuples stay arrays.
TEST(TextTuple, NamedTupleAsJsonObject) {
  auto t = col<ColumnTuple>("Tuple(p Tuple(x UInt8, y UInt8), `s\"q` String)");
  auto& inner = t->element_as<ColumnTuple>(0);
  inner.element_as<ColumnUInt8>(0).append(1);
  inner.element_as<ColumnUInt8>(1).append(2);
  t->element_as<ColumnString>(1).append("y");
  FormatOptions o;
  o.json_named_tuples_as_objects = true;
  EXPECT_EQ(json(*t, 0, o), R"({"p":{"x":1,"y":2},"s\"q":"y"})");
  EXPECT_EQ(json(*t, 0), R"([[1,2],"y"])");
  auto u = col<ColumnTuple>("Tuple(UInt8, String)");
  u->element_as<ColumnUInt8>(0).append(3);
  u->element_as<ColumnString>(1).append("z");
  EXPECT_EQ(json(*u, 0, o), R"([3,"z"])");
}

TEST(TextBool, TrueFalse) {
  auto b = col<ColumnBool>("Bool");
  b->append(true);
  b->append(false);
  EXPECT_EQ(tsv(*b, 0), "true");
  EXPECT_EQ(json(*b, 1), "false");
}

// ----- strings ------------------------------------------------------------------------------------

TEST(TextString, EveryEscaping) {
  auto s = col<ColumnString>("String");
  s->append("a\tb'c\"d\\e\0f"s);
  EXPECT_EQ(tsv(*s), "a\\tb\\'c\"d\\\\e\\0f");
  EXPECT_EQ(quoted(*s), "'a\\tb\\'c\"d\\\\e\\0f'");
  EXPECT_EQ(csv(*s), "\"a\tb'c\"\"d\\e\0f\""s);
  EXPECT_EQ(json(*s), "\"a\\tb'c\\\"d\\\\e\\u0000f\"");
  EXPECT_EQ(pretty(*s), "a\tb'c\"d\\e\0f"s);  // raw, as 18.16's Pretty and Vertical write it
}

TEST(TextString, FixedStringPrintsItsZeroPadding) {
  auto fs = col<ColumnFixedString>("FixedString(4)");
  fs->append("ab");
  EXPECT_EQ(tsv(*fs), "ab\\0\\0");
  EXPECT_EQ(quoted(*fs), "'ab\\0\\0'");
  EXPECT_EQ(csv(*fs), "\"ab\0\0\""s);
  EXPECT_EQ(json(*fs), "\"ab\\u0000\\u0000\"");
}

TEST(TextEnum, ByName) {
  auto e8 = col<ColumnEnum8>("Enum8('a' = 1, 'b\\'x' = 2)");
  e8->append_name("b'x");
  e8->append_name("a");
  EXPECT_EQ(tsv(*e8, 0), "b\\'x");
  EXPECT_EQ(quoted(*e8, 0), "'b\\'x'");
  EXPECT_EQ(csv(*e8, 1), "\"a\"");
  EXPECT_EQ(json(*e8, 0), "\"b'x\"");
  auto e16 = col<ColumnEnum16>("Enum16('x' = -3, 'y' = 1000)");
  e16->append_name("x");
  e16->append_name("y");
  EXPECT_EQ(tsv(*e16, 0), "x");
  EXPECT_EQ(tsv(*e16, 1), "y");
}

// ----- UUID and addresses -------------------------------------------------------------------------

TEST(TextIds, UuidAndIps) {
  auto u = col<ColumnUUID>("UUID");
  u->append(*UUID::parse("00112233-4455-6677-8899-aabbccddeeff"));
  EXPECT_EQ(tsv(*u), "00112233-4455-6677-8899-aabbccddeeff");
  EXPECT_EQ(quoted(*u), "'00112233-4455-6677-8899-aabbccddeeff'");
  EXPECT_EQ(csv(*u), "\"00112233-4455-6677-8899-aabbccddeeff\"");
  EXPECT_EQ(json(*u), "\"00112233-4455-6677-8899-aabbccddeeff\"");
  auto v4 = col<ColumnIPv4>("IPv4");
  v4->append(0x7F000001u);
  v4->append(0xFFFFFFFFu);
  EXPECT_EQ(tsv(*v4, 0), "127.0.0.1");
  EXPECT_EQ(quoted(*v4, 1), "'255.255.255.255'");
  auto v6 = col<ColumnIPv6>("IPv6");
  IPv6 a{};
  a.bytes[15] = 1;
  v6->append(a);
  EXPECT_EQ(tsv(*v6), "::1");
  EXPECT_EQ(json(*v6), "\"::1\"");
}

// ----- dates and times ----------------------------------------------------------------------------

TEST(TextDate, DatesAndLegacyZero) {
  auto d = col<ColumnDate>("Date");
  d->append(static_cast<std::uint16_t>(18263));  // 2020-01-02
  d->append(static_cast<std::uint16_t>(0));
  d->append(static_cast<std::uint16_t>(49710));
  d->append(static_cast<std::uint16_t>(65535));
  EXPECT_EQ(tsv(*d, 0), "2020-01-02");
  EXPECT_EQ(quoted(*d, 0), "'2020-01-02'");
  EXPECT_EQ(csv(*d, 0), "\"2020-01-02\"");
  EXPECT_EQ(json(*d, 0), "\"2020-01-02\"");
  EXPECT_EQ(tsv(*d, 1), "1970-01-01");
  EXPECT_EQ(tsv(*d, 3), "2149-06-06");
  FormatOptions legacy;
  legacy.legacy_dates = true;
  EXPECT_EQ(tsv(*d, 1, legacy), "0000-00-00");
  EXPECT_EQ(tsv(*d, 2, legacy), "2106-02-07");
  EXPECT_EQ(tsv(*d, 3, legacy), "1970-01-01");  // past the end of 18.16's date table
  auto d32 = col<ColumnDate32>("Date32");
  d32->append(-1);
  d32->append(-719162);  // 0001-01-01
  EXPECT_EQ(tsv(*d32, 0), "1969-12-31");
  EXPECT_EQ(tsv(*d32, 1), "0001-01-01");
}

struct ZoneCase {
  std::uint32_t t;
  const char* zone;
  const char* expected;
};

TEST(TextDateTime, TimeZonesFromTzdata) {
  // Expected values printed by ClickHouse 18.16 for toDateTime(t, zone).
  const ZoneCase cases[] = {
      {1577934245, "UTC", "2020-01-02 03:04:05"},
      {1577934245, "Asia/Tokyo", "2020-01-02 12:04:05"},
      {31536000, "Europe/Moscow", "1971-01-01 03:00:00"},
      {370000000, "Europe/Moscow", "1981-09-22 13:46:40"},  // summer time of the 1980s (+4)
      {700000000, "Europe/Moscow", "1992-03-07 23:26:40"},
      {1301180400, "Europe/Moscow", "2011-03-27 03:00:00"},  // the last switch to +4 ...
      {1301184000, "Europe/Moscow", "2011-03-27 04:00:00"},
      {1414274400, "Europe/Moscow", "2014-10-26 01:00:00"},  // ... and back to +3 for good
      {1414278000, "Europe/Moscow", "2014-10-26 02:00:00"},
      {1520751599, "America/New_York", "2018-03-11 01:59:59"},  // spring forward
      {1520751600, "America/New_York", "2018-03-11 03:00:00"},
      {1541310000, "America/New_York", "2018-11-04 01:40:00"},  // fall back: 01:xx twice
      {1541311200, "America/New_York", "2018-11-04 01:00:00"},
      {1541314800, "America/New_York", "2018-11-04 02:00:00"},
      {4000000000, "America/New_York", "2096-10-02 03:06:40"},  // past the file's transitions: its TZ rule
      {4000000000, "Europe/Moscow", "2096-10-02 10:06:40"},
      {3000000000, "Asia/Kolkata", "2065-01-24 10:50:00"},
      {1541311200, "Asia/Kathmandu", "2018-11-04 11:45:00"},
      {1541311200, "Australia/Lord_Howe", "2018-11-04 17:00:00"},  // half-hour DST
  };
  FormatOptions legacy;
  legacy.legacy_dates = true;
  for (const auto& c : cases) {
    auto dt = std::make_shared<ColumnDateTime>(std::string(c.zone));
    dt->append(c.t);
    EXPECT_EQ(tsv(*dt), c.expected) << c.t << " " << c.zone;
    EXPECT_EQ(tsv(*dt, 0, legacy), c.expected) << c.t << " " << c.zone << " (legacy)";
  }
}

TEST(TextDateTime, Legacy1816ClockOnOddDays) {
  // Brazil's DST began at midnight on 2018-11-04: 18.16 prints the hour one less all that day.
  auto sao_paulo = std::make_shared<ColumnDateTime>(std::string("America/Sao_Paulo"));
  sao_paulo->append(1541310000u);
  // Lord Howe's 30-minute DST change: 18.16 prints the minutes of the time since midnight.
  auto lord_howe = std::make_shared<ColumnDateTime>(std::string("Australia/Lord_Howe"));
  lord_howe->append(3053302162u);
  FormatOptions legacy;
  legacy.legacy_dates = true;
  EXPECT_EQ(tsv(*sao_paulo), "2018-11-04 03:40:00");
  EXPECT_EQ(tsv(*sao_paulo, 0, legacy), "2018-11-04 02:40:00");
  EXPECT_EQ(tsv(*lord_howe), "2066-10-03 14:29:22");
  EXPECT_EQ(tsv(*lord_howe, 0, legacy), "2066-10-03 14:59:22");
}

TEST(TextDateTime, ServerZoneForColumnsWithout) {
  auto dt = col<ColumnDateTime>("DateTime");
  dt->append(1577934245u);
  dt->append(0u);
  FormatOptions tokyo;
  tokyo.server_time_zone = "Asia/Tokyo";
  EXPECT_EQ(tsv(*dt, 0), "2020-01-02 03:04:05");  // default: UTC
  EXPECT_EQ(tsv(*dt, 0, tokyo), "2020-01-02 12:04:05");
  EXPECT_EQ(quoted(*dt, 0), "'2020-01-02 03:04:05'");
  EXPECT_EQ(csv(*dt, 0), "\"2020-01-02 03:04:05\"");
  EXPECT_EQ(json(*dt, 0), "\"2020-01-02 03:04:05\"");
  EXPECT_EQ(tsv(*dt, 1, tokyo), "1970-01-01 09:00:00");
  FormatOptions legacy;
  legacy.legacy_dates = true;
  EXPECT_EQ(tsv(*dt, 1, legacy), "0000-00-00 00:00:00");
}

TEST(TextDateTime, SecondsOfOldFractionalOffsetsInLegacyMode) {
  // Monrovia was UTC-0:44:30 until 1972; 18.16 takes the seconds from the UTC value.
  auto dt = std::make_shared<ColumnDateTime>(std::string("Africa/Monrovia"));
  dt->append(31536000u);
  EXPECT_EQ(tsv(*dt), "1970-12-31 23:15:30");
  FormatOptions legacy;
  legacy.legacy_dates = true;
  EXPECT_EQ(tsv(*dt, 0, legacy), "1970-12-31 23:15:00");
}

TEST(TextDateTime, UnknownZoneIsAConfigError) {
  auto dt = std::make_shared<ColumnDateTime>(std::string("Mars/Olympus_Mons"));
  dt->append(1u);
  const Error e = test::thrown_error([&] { tsv(*dt); });
  EXPECT_EQ(e.kind(), ErrorKind::config);
  EXPECT_NE(std::string(e.what()).find("Mars/Olympus_Mons"), std::string::npos);
}

TEST(TextDateTime64, FractionsAndNegativeTicks) {
  auto dt = std::make_shared<ColumnDateTime64>(3, "UTC");
  dt->append(1577934245123);
  dt->append(-1);
  EXPECT_EQ(tsv(*dt, 0), "2020-01-02 03:04:05.123");
  EXPECT_EQ(tsv(*dt, 1), "1969-12-31 23:59:59.999");
  EXPECT_EQ(json(*dt, 0), "\"2020-01-02 03:04:05.123\"");
  auto tokyo = std::make_shared<ColumnDateTime64>(0, "Asia/Tokyo");
  tokyo->append(1577934245);
  EXPECT_EQ(tsv(*tokyo), "2020-01-02 12:04:05");
}

// [chDB 26.7] the engine's text of toTime(...) / toTime64(...) and of Time values read from Native
// data beyond its range (SELECT * FROM format(Native, ...)): the whole seconds are shown up to
// 999:59:59, the fraction as stored.
TEST(TextTime, HoursMinutesSecondsAndFraction) {
  auto t = std::make_shared<ColumnTime>();
  for (std::int32_t v : {45296, -5, 3599999, 3600000, std::numeric_limits<std::int32_t>::min(), 86399}) t->append(v);
  EXPECT_EQ(tsv(*t, 0), "12:34:56");
  EXPECT_EQ(tsv(*t, 1), "-00:00:05");
  EXPECT_EQ(tsv(*t, 2), "999:59:59");
  EXPECT_EQ(tsv(*t, 3), "999:59:59");
  EXPECT_EQ(tsv(*t, 4), "-999:59:59");
  EXPECT_EQ(tsv(*t, 5), "23:59:59");
  EXPECT_EQ(csv(*t, 0), "\"12:34:56\"");
  EXPECT_EQ(json(*t, 1), "\"-00:00:05\"");
  EXPECT_EQ(quoted(*t, 0), "'12:34:56'");
  auto t64 = std::make_shared<ColumnTime64>(3);
  for (std::int64_t v : {std::int64_t{45296789}, std::int64_t{-1}, std::numeric_limits<std::int64_t>::max(),
                         std::numeric_limits<std::int64_t>::min()}) {
    t64->append(v);
  }
  EXPECT_EQ(tsv(*t64, 0), "12:34:56.789");
  EXPECT_EQ(tsv(*t64, 1), "-00:00:00.001");
  EXPECT_EQ(tsv(*t64, 2), "999:59:59.807");
  EXPECT_EQ(tsv(*t64, 3), "-999:59:59.808");
  auto t0 = std::make_shared<ColumnTime64>(0);
  t0->append(1);
  EXPECT_EQ(tsv(*t0), "00:00:01");
}

// [chDB 26.7] BFloat16 prints as the Float32 it stands for: toBFloat16(0.1) is 0.099609375,
// toBFloat16(1e30) 9.953038e29.
TEST(TextBFloat16, AsItsFloat32) {
  auto b = std::make_shared<ColumnBFloat16>();
  for (std::uint16_t bits : {std::uint16_t{15820}, std::uint16_t{29001}, std::uint16_t{16025}, std::uint16_t{32704},
                             std::uint16_t{65408}, std::uint16_t{25176}}) {
    b->append(bits);
  }
  EXPECT_EQ(tsv(*b, 0), "0.099609375");
  EXPECT_EQ(tsv(*b, 1), "9.953038e29");
  EXPECT_EQ(tsv(*b, 2), "0.29882812");
  EXPECT_EQ(tsv(*b, 3), "nan");
  EXPECT_EQ(tsv(*b, 4), "-inf");
  EXPECT_EQ(tsv(*b, 5), "996124200000000000000");
  EXPECT_EQ(json(*b, 4), "null");
}

// ----- Nullable, arrays, tuples, maps, LowCardinality ---------------------------------------------

TEST(TextNullable, NullInEveryEscaping) {
  auto n = col<ColumnNullable>("Nullable(String)");
  n->append_null();
  n->nested_as<ColumnString>().append("z");
  n->append_not_null();
  EXPECT_EQ(tsv(*n, 0), "\\N");
  EXPECT_EQ(csv(*n, 0), "\\N");
  EXPECT_EQ(quoted(*n, 0), "NULL");
  EXPECT_EQ(json(*n, 0), "null");
  EXPECT_EQ(pretty(*n, 0), "ᴺᵁᴸᴸ");
  EXPECT_EQ(tsv(*n, 1), "z");
  EXPECT_EQ(json(*n, 1), "\"z\"");
  auto nothing = col<ColumnNullable>("Nullable(Nothing)");
  nothing->append_null();
  EXPECT_EQ(tsv(*nothing), "\\N");
}

TEST(TextArray, ArrayOfNullableStrings) {
  auto a = col<ColumnArray>("Array(Nullable(String))");
  auto& n = a->nested_as<ColumnNullable>();
  n.nested_as<ColumnString>().append("x'y");
  n.append_not_null();
  n.append_null();
  n.nested_as<ColumnString>().append("a\tb");
  n.append_not_null();
  a->finish_row();
  a->finish_row();  // []
  EXPECT_EQ(tsv(*a, 0), "['x\\'y',NULL,'a\\tb']");
  EXPECT_EQ(csv(*a, 0), "\"['x\\'y',NULL,'a\\tb']\"");
  EXPECT_EQ(json(*a, 0), "[\"x'y\",null,\"a\\tb\"]");
  EXPECT_EQ(pretty(*a, 0), "['x\\'y',NULL,'a\\tb']");
  EXPECT_EQ(tsv(*a, 1), "[]");
  EXPECT_EQ(json(*a, 1), "[]");
}

TEST(TextArray, NestedArraysAndQuotedScalars) {
  auto a = col<ColumnArray>("Array(Array(UInt64))");
  auto& inner = a->nested_as<ColumnArray>();
  inner.nested_as<ColumnUInt64>().append(1);
  inner.finish_row();
  inner.nested_as<ColumnUInt64>().append(2);
  inner.nested_as<ColumnUInt64>().append(3);
  inner.finish_row();
  a->finish_row();
  EXPECT_EQ(tsv(*a), "[[1],[2,3]]");
  EXPECT_EQ(json(*a), "[[\"1\"],[\"2\",\"3\"]]");
  EXPECT_EQ(csv(*a), "\"[[1],[2,3]]\"");

  auto dates = col<ColumnArray>("Array(DateTime)");
  dates->nested_as<ColumnDateTime>().append(1577934245u);
  dates->finish_row();
  EXPECT_EQ(tsv(*dates), "['2020-01-02 03:04:05']");
  EXPECT_EQ(json(*dates), "[\"2020-01-02 03:04:05\"]");

  auto floats = col<ColumnArray>("Array(Float64)");
  floats->nested_as<ColumnFloat64>().append(std::numeric_limits<double>::infinity());
  floats->nested_as<ColumnFloat64>().append(std::nan(""));
  floats->nested_as<ColumnFloat64>().append(-0.0);
  floats->finish_row();
  EXPECT_EQ(tsv(*floats), "[inf,nan,-0]");
  EXPECT_EQ(json(*floats), "[null,null,-0]");

  auto fixed = col<ColumnArray>("Array(FixedString(2))");
  fixed->nested_as<ColumnFixedString>().append("a");
  fixed->finish_row();
  EXPECT_EQ(tsv(*fixed), "['a\\0']");
}

TEST(TextTuple, TupleInEveryFormat) {
  auto t = col<ColumnTuple>("Tuple(UInt8, String, Date, Nullable(Int64))");
  t->element_as<ColumnUInt8>(0).append(1);
  t->element_as<ColumnString>(1).append("x");
  t->element_as<ColumnDate>(2).append(static_cast<std::uint16_t>(18263));
  t->element_as<ColumnNullable>(3).append_null();
  EXPECT_EQ(tsv(*t), "(1,'x','2020-01-02',NULL)");
  EXPECT_EQ(csv(*t), "1,\"x\",\"2020-01-02\",\\N");  // a tuple spreads over CSV fields
  EXPECT_EQ(json(*t), "[1,\"x\",\"2020-01-02\",null]");

  auto in_array = col<ColumnArray>("Array(Tuple(UInt8, String))");
  auto& tuple = in_array->nested_as<ColumnTuple>();
  tuple.element_as<ColumnUInt8>(0).append(1);
  tuple.element_as<ColumnString>(1).append("a");
  in_array->finish_row();
  EXPECT_EQ(tsv(*in_array), "[(1,'a')]");
  EXPECT_EQ(csv(*in_array), "\"[(1,'a')]\"");
  EXPECT_EQ(json(*in_array), "[[1,\"a\"]]");
}

TEST(TextNested, StoredAsArrayOfTuples) {
  auto n = make_column(parse_type("Nested(a UInt8, b String)"));
  auto& arr = column_cast<ColumnArray>(*n);
  auto& tuple = arr.nested_as<ColumnTuple>();
  tuple.element_as<ColumnUInt8>(0).append(7);
  tuple.element_as<ColumnString>(1).append("s");
  arr.finish_row();
  EXPECT_EQ(tsv(*n), "[(7,'s')]");
}

TEST(TextMap, MapsQuotedAndJson) {
  auto m = col<ColumnMap>("Map(String, UInt64)");
  m->keys_as<ColumnString>().append("a'");
  m->values_as<ColumnUInt64>().append(1);
  m->keys_as<ColumnString>().append("b");
  m->values_as<ColumnUInt64>().append(2);
  m->finish_row();
  m->finish_row();
  EXPECT_EQ(tsv(*m, 0), "{'a\\'':1,'b':2}");
  EXPECT_EQ(csv(*m, 0), "\"{'a\\'':1,'b':2}\"");
  EXPECT_EQ(json(*m, 0), "{\"a'\":\"1\",\"b\":\"2\"}");
  EXPECT_EQ(tsv(*m, 1), "{}");
  auto by_number = col<ColumnMap>("Map(UInt8, String)");
  by_number->keys_as<ColumnUInt8>().append(1);
  by_number->values_as<ColumnString>().append("x");
  by_number->finish_row();
  EXPECT_EQ(json(*by_number), "{\"1\":\"x\"}");
}

TEST(TextLowCardinality, PlainAndNullable) {
  auto lc = col<ColumnLowCardinality>("LowCardinality(String)");
  lc->append("a'b");
  lc->append("c");
  lc->append("a'b");
  EXPECT_EQ(tsv(*lc, 0), "a\\'b");
  EXPECT_EQ(tsv(*lc, 2), "a\\'b");
  EXPECT_EQ(json(*lc, 1), "\"c\"");
  auto ln = col<ColumnLowCardinality>("LowCardinality(Nullable(String))");
  ln->append_null();
  ln->append("v");
  EXPECT_EQ(tsv(*ln, 0), "\\N");
  EXPECT_EQ(quoted(*ln, 0), "NULL");
  EXPECT_EQ(tsv(*ln, 1), "v");
  auto arr = col<ColumnArray>("Array(LowCardinality(String))");
  arr->nested_as<ColumnLowCardinality>().append("q");
  arr->finish_row();
  EXPECT_EQ(tsv(*arr), "['q']");
}

TEST(TextValue, RowOutOfRangeIsUsageError) {
  auto c = col<ColumnUInt8>("UInt8");
  EXPECT_THROW(format_value(*c, 0, Escaping::tsv), Error);
}

// ----- blocks -------------------------------------------------------------------------------------

Block sample_block() {
  Block b;
  auto n = std::make_shared<ColumnUInt64>();
  auto s = std::make_shared<ColumnString>();
  n->append(1);
  n->append(22);
  s->append("a\tb");
  s->append("é\"");
  b.append("n", n);
  b.append("s'x", s);
  return b;
}

Block header_of(const Block& b) {
  Block h;
  for (const auto& e : b) h.append(e.name, e.column->clone_empty());
  return h;
}

std::string run(OutputFormat f, const std::vector<Block>& blocks, const Block& header, const Block* totals = nullptr,
                const Block* extremes = nullptr) {
  BlockFormatter formatter(f);
  std::string out;
  for (const Block& b : blocks) formatter.write_block(out, b);
  formatter.finish(out, header, totals, extremes);
  return out;
}

TEST(TextBlock, TabSeparatedAndCsvWithNames) {
  const Block b = sample_block();
  EXPECT_EQ(run(OutputFormat::tab_separated, {b}, header_of(b)), "1\ta\\tb\n22\té\"\n");
  EXPECT_EQ(run(OutputFormat::tab_separated_with_names, {b, b}, header_of(b)),
            "n\ts\\'x\n1\ta\\tb\n22\té\"\n1\ta\\tb\n22\té\"\n");
  EXPECT_EQ(run(OutputFormat::csv, {b}, header_of(b)), "1,\"a\tb\"\n22,\"é\"\"\"\n");
  EXPECT_EQ(run(OutputFormat::csv_with_names, {b}, header_of(b)), "\"n\",\"s'x\"\n1,\"a\tb\"\n22,\"é\"\"\"\n");
  EXPECT_EQ(run(OutputFormat::json_each_row, {b}, header_of(b)),
            "{\"n\":\"1\",\"s'x\":\"a\\tb\"}\n{\"n\":\"22\",\"s'x\":\"é\\\"\"}\n");
  EXPECT_EQ(run(OutputFormat::null, {b}, header_of(b)), "");
}

TEST(TextBlock, EmptyResultsPrintOnlyNames) {
  const Block h = header_of(sample_block());
  EXPECT_EQ(run(OutputFormat::tab_separated, {}, h), "");
  EXPECT_EQ(run(OutputFormat::tab_separated_with_names, {}, h), "n\ts\\'x\n");
  EXPECT_EQ(run(OutputFormat::csv_with_names, {}, h), "\"n\",\"s'x\"\n");
  EXPECT_EQ(run(OutputFormat::json_each_row, {}, h), "");
  EXPECT_EQ(run(OutputFormat::pretty_compact, {}, h), "");
}

TEST(TextBlock, TotalsAndExtremesAfterEmptyLines) {
  Block data, totals, extremes;
  auto k = std::make_shared<ColumnUInt8>();
  k->append(0);
  k->append(1);
  data.append("k", k);
  auto t = std::make_shared<ColumnUInt8>();
  t->append(5);
  totals.append("k", t);
  auto e = std::make_shared<ColumnUInt8>();
  e->append(0);
  e->append(1);
  extremes.append("k", e);
  EXPECT_EQ(run(OutputFormat::tab_separated, {data}, header_of(data), &totals, &extremes), "0\n1\n\n5\n\n0\n1\n");
  EXPECT_EQ(run(OutputFormat::csv_with_names, {data}, header_of(data), &totals), "\"k\"\n0\n1\n\n5\n");
  EXPECT_EQ(run(OutputFormat::json_each_row, {data}, header_of(data), &totals), "{\"k\":0}\n{\"k\":1}\n");
}

TEST(TextBlock, PrettyCompactTable) {
  const Block b = sample_block();
  EXPECT_EQ(run(OutputFormat::pretty_compact, {b}, header_of(b)),
            "┌──n─┬─s'x────────┐\n"
            "│  1 │ a\tb │\n"
            "│ 22 │ é\"         │\n"
            "└────┴────────────┘\n");
}

// Pretty aligns dates and times to the right like numbers, on 18.16 and on 26.7 alike
// (clickhouse-client 18.16: `┌──────────a─┬` for toDate('2000-01-01') AS a); UUIDs to the right
// on 18.16 only.
TEST(TextBlock, PrettyAlignsDatesRightAndUuidsByVersion) {
  Block b;
  auto d = col<ColumnDate>("Date");
  d->append(std::uint16_t{10957});
  auto t = col<ColumnDateTime64>("DateTime64(3, 'UTC')");
  t->append(0);
  auto u = col<ColumnUUID>("UUID");
  u->append(UUID{});
  b.append("a", d);
  b.append("b", t);
  b.append("c", u);
  const auto pretty_of = [&](const FormatOptions& o) {
    BlockFormatter formatter(OutputFormat::pretty_compact, o);
    std::string out;
    formatter.write_block(out, b);
    return out.substr(0, out.find('\n'));
  };
  EXPECT_EQ(pretty_of(options_for_server(18, 16, "UTC")),
            "┌──────────a─┬───────────────────────b─┬────────────────────────────────────c─┐");
  EXPECT_EQ(pretty_of(options_for_server(26, 7, "UTC")),
            "┌──────────a─┬───────────────────────b─┬─c────────────────────────────────────┐");
}

// clickhouse-client 18.16 and chDB 26.7 alike: a 300-character value is written whole and
// unpadded, the column being 250 wide (max_column_pad_width); a longer name is written whole.
TEST(TextBlock, PrettyCapsColumnWidthsAt250) {
  Block b;
  auto s = col<ColumnString>("String");
  s->append(std::string(300, 'x'));
  s->append("y");
  b.append(std::string(260, 'n'), s);
  BlockFormatter formatter(OutputFormat::pretty_compact);
  std::string out;
  formatter.write_block(out, b);
  std::string dashes;
  for (int i = 0; i < 250; ++i) dashes += "─";
  EXPECT_EQ(out, "┌─" + std::string(260, 'n') + "─┐\n" + "│ " + std::string(300, 'x') + " │\n" + "│ y" +
                     std::string(249, ' ') + " │\n" + "└─" + dashes + "─┘\n");
}

TEST(TextBlock, PrettyIsBounded) {
  FormatOptions o;
  o.pretty_max_rows = 3;
  BlockFormatter formatter(OutputFormat::pretty_compact, o);
  const Block b = sample_block();
  std::string out;
  formatter.write_block(out, b);
  formatter.write_block(out, b);
  formatter.write_block(out, b);
  formatter.finish(out, header_of(b));
  EXPECT_EQ(formatter.rows_written(), 3u);
  EXPECT_NE(out.find("Showed first 3."), std::string::npos);
  // Two tables: 2 rows, then 1 row; the third block shows nothing.
  std::size_t tables = 0;
  for (std::size_t pos = 0; (pos = out.find("┌", pos)) != std::string::npos; ++pos) ++tables;
  EXPECT_EQ(tables, 2u);
}

TEST(TextBlock, FormatNames) {
  EXPECT_EQ(parse_output_format("TabSeparated"), OutputFormat::tab_separated);
  EXPECT_EQ(parse_output_format("TSV"), OutputFormat::tab_separated);
  EXPECT_EQ(parse_output_format("TSVWithNames"), OutputFormat::tab_separated_with_names);
  EXPECT_EQ(parse_output_format("CSVWithNames"), OutputFormat::csv_with_names);
  EXPECT_EQ(parse_output_format("JSONEachRow"), OutputFormat::json_each_row);
  EXPECT_EQ(parse_output_format("Pretty"), OutputFormat::pretty);
  EXPECT_EQ(parse_output_format("Null"), OutputFormat::null);
  EXPECT_EQ(parse_output_format("tsv"), OutputFormat::tab_separated);
  EXPECT_EQ(parse_output_format("XML"), OutputFormat::xml);
  EXPECT_FALSE(parse_output_format("TSV2"));
  EXPECT_EQ(to_string(OutputFormat::csv), "CSV");
}

}  // namespace
}  // namespace chconn::text
