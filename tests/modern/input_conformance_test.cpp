// The `modern` input conformance suite: text values of the types ClickHouse 18.16 lacks (Date32,
// DateTime64, the wide integers, Decimal256, BFloat16), each read by chconn's TabSeparated parser
// and by the current engine (chDB, ClickHouse 26.7: SELECT * FROM format(TabSeparated, ...)), and
// the two results written as TabSeparated, chconn's by its own writer (itself checked against the
// engine by the decode suite). Where the engine accepts a value chconn refuses, the difference is
// listed with its reason and asserted; values both refuse are asserted refused by both.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/core/sql.h"
#include "chconn/format/input.h"
#include "chconn/format/text.h"
#include "chconn/wire/columns.h"
#include "modern/conformance.h"

namespace chconn::test {
namespace {

struct InputCase {
  std::string type;
  std::vector<std::string> values;  // TabSeparated fields, each read as a one-row table
};

std::vector<InputCase> input_cases() {
  return {
      {"Int128",
       {"0", "-1", "-0", "12", "170141183460469231731687303715884105727", "-170141183460469231731687303715884105728"}},
      {"UInt128", {"0", "340282366920938463463374607431768211455"}},
      {"Int256",
       {"-5", "57896044618658097711785492504343953926634992332820282019728792003956564819967",
        "-57896044618658097711785492504343953926634992332820282019728792003956564819968"}},
      {"UInt256", {"115792089237316195423570985008687907853269984665640564039457584007913129639935"}},
      {"Date32", {"1900-01-01", "1969-12-31", "1970-01-01", "2020-02-29", "2299-12-31"}},
      {"DateTime64(3)",
       {"2020-01-01 00:00:00", "2020-01-01 00:00:00.1", "2020-01-01 00:00:00.123456", "2020-01-01 00:00:00.9999",
        "1969-12-31 23:59:59.5", "1900-01-01 00:00:00", "2020-01-01T01:02:03.004"}},
      {"DateTime64(0)", {"2020-01-01 00:00:00.999", "1000000000"}},
      {"DateTime64(3)",
       {"1577836800.5", "1577836800.123456", "100000000", "2020-01-01 00:00:00.", "2020-01-01", "20200101"}},
      {"DateTime64(6, 'Asia/Tokyo')", {"2020-01-01 09:00:00.000001", "1970-01-01 09:00:00"}},
      {"DateTime64(9, 'America/New_York')", {"2020-03-08 03:30:00.123456789", "2020-11-01 01:30:00"}},
      {"Decimal(76, 10)", {"-123.456789012345", "0.00000000001", "9999999999999999999999999999999999999999.5"}},
      {"BFloat16", {"0.1", "-2", "1e3", "inf"}},
      {"Time", {"12:34:56", "-12:34:56", "999:59:59", "-999:59:59", "25:00:00", "00:00:00"}},
      {"Time64(3)", {"12:34:56.789", "00:00:00.1234567891", "-12:34:56", "-00:00:01.5", "100:00:00.1"}},
  };
}

// Values the engine reads and chconn refuses on purpose: an integer past its type's range (the
// engine wraps it), a date or time past the range of the type or of the calendar (the engine clamps
// or carries it into another day).
const std::map<std::pair<std::string_view, std::string_view>, std::string_view>& known_differences() {
  static constexpr std::string_view k_wraps = "the engine wraps an integer past its range; chconn refuses it";
  static constexpr std::string_view k_clamps =
      "the engine clamps a Date32 to 1900-01-01 ... 2299-12-31 (a month 13 to 1900-01-01); chconn refuses it";
  static constexpr std::string_view k_range =
      "the engine stores a DateTime64 outside 1900-01-01 ... 2299-12-31, the documented range; chconn refuses it";
  static const std::map<std::pair<std::string_view, std::string_view>, std::string_view> known = {
      {{"Int128", "170141183460469231731687303715884105728"}, k_wraps},
      {{"Int128", "-170141183460469231731687303715884105729"}, k_wraps},
      {{"UInt128", "340282366920938463463374607431768211456"}, k_wraps},
      {{"UInt256", "115792089237316195423570985008687907853269984665640564039457584007913129639936"}, k_wraps},
      {{"Date32", "1899-12-31"}, k_clamps},
      {{"Date32", "2300-01-01"}, k_clamps},
      {{"Date32", "2020-13-01"}, k_clamps},
      {{"DateTime64(3)", "2300-01-01 00:00:00"}, k_range},
      {{"DateTime64(3)", "1899-12-31 23:59:59"}, k_range},
      {{"Time", "12:34"}, "the engine reads mm:ss as minutes and seconds; chconn takes only hh:mm:ss"},
      {{"Time", "-1"}, "the engine reads a short number as seconds; chconn takes only hh:mm:ss"},
      {{"Time", "12:60:00"}, "the engine carries minute 60 into the next hour; chconn refuses it"},
      {{"DateTime64(3)", "2020-01-01 24:00:00"},
       "the engine carries 24:00:00 into the next day; chconn refuses an hour past 23, as for DateTime"},
  };
  return known;
}

struct Outcome {
  bool ok = false;
  std::string text;  // the TabSeparated row, or the error
};

Outcome chconn_reads(const std::string& type, const std::string& value, const std::string& zone) {
  Block sample;
  sample.append("x", make_column(parse_type(type)));
  text::InputOptions options;
  options.time_zone = zone;
  const std::string data = value + "\n";  // outlives the source, which only views it
  text::MemoryByteSource bytes(data);
  text::TextInsertSource source(text::InputFormat::tab_separated, bytes, options);
  try {
    source.start(sample);
    Outcome out{true, {}};
    text::BlockFormatter tsv(text::OutputFormat::tab_separated, modern_options(zone));
    while (auto block = source.next()) tsv.write_block(out.text, *block);
    return out;
  } catch (const Error& e) {
    return {false, e.message()};
  }
}

Outcome engine_reads(ChdbEngine& engine, const std::string& type, const std::string& value) {
  const ChdbResult r = engine.query("SELECT * FROM format(TabSeparated, " + sql::quote_string("x " + type) + ", " +
                                        sql::quote_string(value + "\n") + ") SETTINGS enable_time_time64_type = 1",
                                    "TabSeparated");
  return {r.ok, r.ok ? r.data : r.error};
}

TEST(ModernInput, TextOfTheNewerTypesIsReadAsTheEngineReadsIt) {
  ChdbEngine& engine = chdb_engine();
  std::string zone = engine.query_ok("SELECT timezone()", "TabSeparated");
  if (!zone.empty() && zone.back() == '\n') zone.pop_back();
  std::size_t compared = 0;
  for (const InputCase& c : input_cases()) {
    for (const std::string& v : c.values) {
      SCOPED_TRACE(c.type + " <- '" + v + "'");
      const Outcome ours = chconn_reads(c.type, v, zone);
      const Outcome theirs = engine_reads(engine, c.type, v);
      EXPECT_TRUE(theirs.ok) << theirs.text;
      EXPECT_TRUE(ours.ok) << ours.text;
      EXPECT_EQ(ours.text, theirs.text);
      ++compared;
    }
  }
  EXPECT_GT(compared, 30u);
}

// Values both refuse: malformed text, forms the engine does not take, past the Int64 ticks.
TEST(ModernInput, ValuesTheEngineRefusesAreRefused) {
  ChdbEngine& engine = chdb_engine();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"DateTime64(3)", "2020-01-01 00:00:00.12a"},
      {"DateTime64(3)", "-1.5"},
      {"DateTime64(3)", "-1"},
      {"DateTime64(3)", "12345"},
      {"DateTime64(3)", "99999999999"},
      {"DateTime64(3)", "+1577836800"},
      {"DateTime64(9)", "2262-04-12 00:00:00"},
      {"Int128", "1e3"},
      {"Int128", "+12"},
      {"Int128", "007"},
      {"UInt128", "-1"},
      {"Decimal(76, 10)", "1" + std::string(67, '0')},
      {"Time", "1000:00:00"},
      {"Time", "+12:34:56"},
      {"Time", "12:34:56.789"},
      {"Time", "1:2:3"},
      {"Time64(3)", "45296"},
  };
  for (const auto& [type, v] : cases) {
    SCOPED_TRACE(type + " <- '" + v + "'");
    const Outcome ours = chconn_reads(type, v, "UTC");
    EXPECT_FALSE(ours.ok) << ours.text;
    const Outcome theirs = engine_reads(engine, type, v);
    EXPECT_FALSE(theirs.ok) << theirs.text;
  }
}

TEST(ModernInput, KnownDifferencesStillDiffer) {
  ChdbEngine& engine = chdb_engine();
  for (const auto& [key, reason] : known_differences()) {
    const std::string type(key.first), v(key.second);
    SCOPED_TRACE(type + " <- '" + v + "': " + std::string(reason));
    const Outcome ours = chconn_reads(type, v, "UTC");
    EXPECT_FALSE(ours.ok) << ours.text;
    const Outcome theirs = engine_reads(engine, type, v);
    EXPECT_TRUE(theirs.ok) << theirs.text;
  }
}

}  // namespace
}  // namespace chconn::test
