// Client-side parameter substitution, the security boundary on servers that cannot bind parameters
// (18.16 among them): placeholders found by the one SQL lexer, typed literals, and the promise that
// no value changes the token structure of the query, checked here for hostile values in hostile
// places by an oracle written independently of the library's own check.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "chconn/connection/params.h"
#include "chconn/core/error.h"
#include "chconn/core/sql.h"
#include "connection/substitution.h"
#include "support/expect_error.h"
#include "support/substitution_oracle.h"

namespace chconn {
namespace {

std::string sub(std::string_view sql, const Params& params) { return substitute_params(sql, params); }

std::vector<std::string> shape(std::string_view text) { return test::token_shape(text); }

::testing::AssertionResult keeps_structure(const std::string& prefix, const std::string& placeholder,
                                           const std::string& suffix, const std::string& result) {
  if (auto fault = test::substitution_fault(prefix, placeholder, suffix, result)) {
    return ::testing::AssertionFailure() << *fault << ": " << result;
  }
  return ::testing::AssertionSuccess();
}

TEST(Params, NegativeNumbersCannotFormAComment) {
  // The issue's two queries: "10-{lim:Int64}" with -1 must not become "10--1".
  const std::string q1 =
      sub("SELECT count() FROM numbers(1000) WHERE number > 10-{lim:Int64} AND number < 20", Params().set("lim", -1));
  EXPECT_EQ(q1, "SELECT count() FROM numbers(1000) WHERE number > 10- CAST('-1' AS Int64)  AND number < 20");
  const std::string q2 = sub("SELECT 100-{x:Int32} AS v, 'kept' AS w", Params().set("x", -1));
  EXPECT_EQ(q2, "SELECT 100- CAST('-1' AS Int32)  AS v, 'kept' AS w");
  for (const char* v : {"-1.5", "-inf", "-0", "-1e-300"}) {
    const std::string q = sub("SELECT 1-{f:Float64}, 2", Params().set("f", v));
    EXPECT_EQ(shape(q).back(), shape("2").back()) << q;
    EXPECT_EQ(q.find("--"), std::string::npos) << q;
  }
}

// A value keeps its placeholder's type: a bare literal took the smallest type that holds it, so
// -{x:Int64} with -128 was -(-128) of Int8, i.e. -128, and {x:Float32} with 0.1 a Float64.
TEST(Params, NumbersKeepThePlaceholdersType) {
  EXPECT_EQ(sub("SELECT -{x:Int64}", Params().set("x", -128)), "SELECT - CAST('-128' AS Int64) ");
  EXPECT_EQ(sub("SELECT {x:Float32}", Params().set("x", "0.1")), "SELECT  CAST('0.1' AS Float32) ");
  EXPECT_EQ(sub("SELECT -{x:UInt64}", Params().set("x", "18446744073709551615")),
            "SELECT - CAST('18446744073709551615' AS UInt64) ");
  // After '.', a tuple element: the bare index the server takes there, never negative.
  EXPECT_EQ(sub("SELECT t.{i:UInt8}", Params().set("i", 2)), "SELECT t. 2 ");
  test::expect_error(ErrorKind::usage, [&] { sub("SELECT t.{i:Int8}", Params().set("i", -1)); });
  test::expect_error(ErrorKind::usage, [&] { sub("SELECT t.{s:String}", Params().set("s", "1")); });
}

TEST(Params, LiteralsAreCanonicalAndTyped) {
  EXPECT_EQ(sub("SELECT {v:UInt8}", Params().set("v", " 7 ")), "SELECT  CAST('7' AS UInt8) ");
  EXPECT_EQ(sub("SELECT {v:Float64}", Params().set("v", "5")), "SELECT  CAST('5.0' AS Float64) ");
  EXPECT_EQ(sub("SELECT {v:Float64}", Params().set("v", "+1e3")), "SELECT  CAST('1000.0' AS Float64) ");
  EXPECT_EQ(sub("SELECT {v:Float64}", Params().set("v", "inf")), "SELECT  CAST('inf' AS Float64) ");
  EXPECT_EQ(sub("SELECT {v:Float32}", Params().set("v", "-inf")), "SELECT  CAST('-inf' AS Float32) ");
  EXPECT_EQ(sub("SELECT {v:Float64}", Params().set("v", "nan")), "SELECT  CAST('nan' AS Float64) ");
  EXPECT_EQ(sub("SELECT {v:Int128}", Params().set("v", "-5")), "SELECT  CAST('-5' AS Int128) ");
  EXPECT_EQ(sub("SELECT {v:Date}", Params().set("v", "2024-01-02")), "SELECT  CAST('2024-01-02' AS Date) ");
  EXPECT_EQ(sub("SELECT {v:Nullable(Int8)}", Params().set_null("v")), "SELECT  NULL ");
  EXPECT_EQ(sub("SELECT {v:String}", Params().set("v", "a'b$")), "SELECT  'a\\'b\\x24' ");
  EXPECT_EQ(sub("SELECT * FROM {t:Identifier}", Params().set("t", "my`t")), "SELECT * FROM  `my\\`t` ");
  for (const char* bad : {"0x10", "1e5x", "--1", "1-1", "infinity", "-nan", "1e999", ""}) {
    SCOPED_TRACE(bad);
    test::expect_error(ErrorKind::usage, [&] { sub("SELECT {v:Float64}", Params().set("v", bad)); });
  }
  for (const char* bad : {"256", "-1", "1.0", "1 2", "0x1"}) {
    SCOPED_TRACE(bad);
    test::expect_error(ErrorKind::usage, [&] { sub("SELECT {v:UInt8}", Params().set("v", bad)); });
  }
  test::expect_error(ErrorKind::usage, [&] { sub("SELECT {v:Int128}", Params().set("v", "1) OR (1")); });
}

TEST(Params, NothingJoinsTheTextAround) {
  // A word before a string would make a hex string; letters after a number a word or a float.
  EXPECT_EQ(shape(sub("SELECT x{s:String}", Params().set("s", "41"))), shape("SELECT x '41'"));
  EXPECT_EQ(shape(sub("SELECT {v:UInt8}e5", Params().set("v", 1))), shape("SELECT CAST('1' AS UInt8) e5"));
  EXPECT_EQ(shape(sub("SELECT {s:String}'x'", Params().set("s", "a"))), shape("SELECT 'a' 'x'"));
  // Where a blank would start a comment ('#' then ' '), the query is refused, nothing sent.
  test::expect_error(ErrorKind::usage, [&] { sub("SELECT 1 #{v:UInt8}\n, 2", Params().set("v", 1)); });
  // After a dot a number may only be an integer: a float there would change the tokens.
  test::expect_error(ErrorKind::usage, [&] { sub("SELECT t.{v:Float64}", Params().set("v", "1.5")); });
  EXPECT_EQ(shape(sub("SELECT t.{v:UInt8}", Params().set("v", 1))), shape("SELECT t.1"));
}

TEST(Params, PlaceholdersOnlyOutsideStringsCommentsAndData) {
  const Params p = Params().set("v", 1);
  EXPECT_EQ(sub("SELECT '{v:UInt8}', {v:UInt8}", p), "SELECT '{v:UInt8}',  CAST('1' AS UInt8) ");
  EXPECT_EQ(sub("SELECT /* {v:UInt8} /* nested */ {v:UInt8} */ {v:UInt8}", p),
            "SELECT /* {v:UInt8} /* nested */ {v:UInt8} */  CAST('1' AS UInt8) ");
  EXPECT_EQ(sub("SELECT {v:UInt8} # {v:UInt8}\n", p), "SELECT  CAST('1' AS UInt8)  # {v:UInt8}\n");
  EXPECT_EQ(sub("SELECT $h${v:UInt8}$h$, {v:UInt8} // {v:UInt8}", p),
            "SELECT $h${v:UInt8}$h$,  CAST('1' AS UInt8)  // {v:UInt8}");
  // The data of an INSERT ... FORMAT is not SQL: never scanned for placeholders.
  EXPECT_TRUE(find_placeholders("INSERT INTO t FORMAT TSV\n{v:UInt8}\n").empty());
  EXPECT_EQ(find_placeholders("INSERT INTO t SETTINGS a = {v:UInt8} FORMAT TSV\n{w:UInt8}").size(), 1u);
  // A map literal or a brace that is no placeholder is left alone.
  EXPECT_TRUE(find_placeholders("SELECT {'a': 1}, {1:2}, { }").empty());
}

TEST(Params, MissingAndUnusedValuesAreUsageErrors) {
  test::expect_error(ErrorKind::usage, [] { sub("SELECT {a:UInt64}", Params()); });
  test::expect_error(ErrorKind::usage, [] { sub("SELECT {a:UInt64}", Params().set("b", 1)); });
  test::expect_error(ErrorKind::usage, [] { sub("SELECT 1", Params().set("b", 1)); });
  test::expect_error(ErrorKind::usage, [] { sub("SELECT {a}", Params().set("a", 1)); });
  test::expect_error(ErrorKind::usage, [] { sub("SELECT {a:UInt8", Params().set("a", 1)); });
  test::expect_error(ErrorKind::usage, [] { sub("SELECT {a:NoSuchType}", Params().set("a", 1)); });
  test::expect_error(ErrorKind::usage, [] { check_params("SELECT {a:UInt64}", Params()); });
  EXPECT_NO_THROW(check_params("SELECT {a:UInt64}", Params().set("a", 1)));
  EXPECT_EQ(sub("SELECT 1", Params()), "SELECT 1");
}

// What a server that binds parameters is sent (detail::bind_params; the engine test
// Embedded.BoundParametersReadAsSubstitutedOnes checks that it reads each back as substitution's
// literal): scalar values TSV-escaped, Array/Map/Tuple text and identifiers as written, NULL as \N;
// the query substituted instead where binding would read a value otherwise.
TEST(Params, ServerBindingSendsEachValueInTheFormItsTypeReads) {
  const auto bound = [](std::string_view sql, const Params& params) {
    const detail::BoundStatement b = detail::bind_params(sql, params, true);
    EXPECT_EQ(b.text, b.parameters.empty() ? sub(sql, params) : std::string(sql));
    return b.parameters;
  };
  const std::string nasty = std::string("a\\b\tc\nd'e\rf\bg\fh") + std::string(1, '\0') + "i";
  auto p = bound("SELECT {s:String}", Params().set("s", nasty));
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].name, "s");
  EXPECT_EQ(p[0].value, R"(a\\b\tc\nd\'e\rf\bg\fh\0i)");
  p = bound("SELECT {s:Nullable(String)}, {t:Nullable(String)}", Params().set_null("s").set("t", "\\N"));
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].value, "\\N");
  EXPECT_EQ(p[1].value, "\\\\N");
  p = bound("SELECT {a:Array(String)}, {m:Map(String, UInt8)}, {t:Tuple(String)}, {c:Identifier}",
            Params().set("a", R"(['x\\y'])").set("m", R"({'k\'':1})").set("t", "('\t')").set("c", "a\\b"));
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].value, R"(['x\\y'])");
  EXPECT_EQ(p[1].value, R"({'k\'':1})");
  EXPECT_EQ(p[2].value, "('\t')");
  EXPECT_EQ(p[3].value, "a\\b");
  // Substituted: Variant, Dynamic, JSON and composites of them; a name read both ways; a UTC instant.
  EXPECT_TRUE(bound("SELECT {v:Variant(String, UInt8)}", Params().set("v", "x")).empty());
  EXPECT_TRUE(bound("SELECT {v:Dynamic}", Params().set("v", "x")).empty());
  EXPECT_TRUE(bound("SELECT {v:Array(Variant(String, UInt8))}", Params().set("v", "[1]")).empty());
  EXPECT_TRUE(bound("SELECT {v:Map(String, JSON)}", Params().set("v", "{}")).empty());
  EXPECT_TRUE(bound("SELECT {v:String}, {v:Array(String)}", Params().set("v", "['a']")).empty());
  EXPECT_TRUE(
      bound("SELECT {t:DateTime}", Params().set("t", std::chrono::sys_seconds(std::chrono::seconds(0)))).empty());
  // A type chconn's parser does not take (INT, VARCHAR: the server's aliases) is the server's to
  // judge, as before server binding checked values: sent escaped, unchecked.
  p = bound("SELECT {n:INT}, {s:VARCHAR}", Params().set("n", "5").set("s", "a\tb"));
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].value, "5");
  EXPECT_EQ(p[1].value, "a\\tb");
  // A number is sent trimmed, as substitution reads it (the server refuses " 5" for a UInt8); a value
  // read both as a number and as text is substituted, since one text cannot be both.
  p = bound("SELECT {n:UInt8}, {f:Nullable(Float64)}, {w:Int128}",
            Params().set("n", " 5\t").set("f", "\n1.5 ").set("w", " -7 "));
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].value, "5");
  EXPECT_EQ(p[1].value, "1.5");
  EXPECT_EQ(p[2].value, "-7");
  EXPECT_TRUE(bound("SELECT {n:UInt8}, {n:String}", Params().set("n", " 5")).empty());
  // Not bound when the server cannot: the same text as substitution.
  EXPECT_EQ(detail::bind_params("SELECT {s:String}", Params().set("s", "x"), false).text,
            sub("SELECT {s:String}", Params().set("s", "x")));
  // A value that is not of its type is Error(usage) before anything is sent, as substitution's is.
  test::expect_error(ErrorKind::usage,
                     [] { detail::bind_params("SELECT {n:UInt8}", Params().set("n", "1; DROP TABLE x"), true); });
  test::expect_error(ErrorKind::usage, [] { detail::bind_params("SELECT {n:UInt8}", Params().set("n", 300), true); });
  test::expect_error(ErrorKind::usage, [] { detail::bind_params("SELECT {n:UInt8}", Params(), true); });
}

TEST(Params, TypedValuesBecomeTheirText) {
  using namespace std::chrono;
  const auto text = [](const Params& p) { return p.begin()->value; };
  const auto text_type = [](const Params& p) { return p.begin()->text_type; };
  // A date is its calendar text, which Date, Date32 and DateTime all read.
  EXPECT_EQ(text(Params().set("d", sys_days(2024y / February / 29))), "2024-02-29");
  EXPECT_EQ(text(Params().set("d", sys_days(1900y / January / 1))), "1900-01-01");
  EXPECT_EQ(sub("SELECT {d:Date32}", Params().set("d", sys_days(1969y / December / 31))),
            "SELECT  CAST('1969-12-31' AS Date32) ");
  // An instant is UTC text, cast from a UTC type to the placeholder's, whatever its time zone.
  const sys_seconds noon = sys_days(2024y / February / 29) + 12h + 34min + 56s;
  EXPECT_EQ(text(Params().set("t", noon)), "2024-02-29 12:34:56");
  EXPECT_EQ(text_type(Params().set("t", noon)), "DateTime('UTC')");
  EXPECT_EQ(sub("SELECT {t:DateTime}", Params().set("t", noon)),
            "SELECT  CAST(toDateTime('2024-02-29 12:34:56', 'UTC') AS DateTime) ");
  EXPECT_EQ(sub("SELECT {t:Nullable(DateTime('Asia/Tokyo'))}", Params().set("t", noon)),
            "SELECT  CAST(toDateTime('2024-02-29 12:34:56', 'UTC') AS DateTime('Asia/Tokyo')) ");
  EXPECT_EQ(sub("SELECT {t:DateTime('UTC')}", Params().set("t", noon)),
            "SELECT  toDateTime('2024-02-29 12:34:56', 'UTC') ");
  EXPECT_EQ(sub("SELECT {t:String}", Params().set("t", noon)), "SELECT  '2024-02-29 12:34:56' ");
  EXPECT_EQ(text(Params().set("t", sys_time<minutes>(sys_days(2000y / January / 1) + 90min))), "2000-01-01 01:30:00");
  // Sub-second precision: D's digits, and the fraction of an instant before 1970 counts forward.
  const Params ms = Params().set("t", sys_time<milliseconds>(-1ms));
  EXPECT_EQ(text(ms), "1969-12-31 23:59:59.999");
  EXPECT_EQ(text_type(ms), "DateTime64(3, 'UTC')");
  EXPECT_EQ(sub("SELECT {t:DateTime64(3)}", ms),
            "SELECT  CAST(toDateTime64('1969-12-31 23:59:59.999', 3, 'UTC') AS DateTime64(3)) ");
  EXPECT_EQ(text(Params().set("t", sys_time<nanoseconds>(nanoseconds(1)))), "1970-01-01 00:00:00.000000001");
  EXPECT_EQ(text(Params().set("t", sys_time<duration<std::int32_t, std::deci>>(duration<std::int32_t, std::deci>(-1)))),
            "1969-12-31 23:59:59.9");
  // Outside the years a date text has: refused, the value not echoed.
  test::expect_error(ErrorKind::usage, [] { Params().set("d", sys_days(10000y / January / 1)); }, {"'d'", "0000-9999"});
  test::expect_error(ErrorKind::usage, [] { Params().set("d", sys_days(-1y / December / 31)); }, {"0000-9999"});
  test::expect_error(ErrorKind::usage,
                     [] { Params().set("t", sys_seconds(seconds(std::numeric_limits<std::int64_t>::max()))); },
                     {"0000-9999"});
  test::expect_error(ErrorKind::usage,
                     [] { Params().set("t", sys_time<minutes>(minutes(std::numeric_limits<std::int64_t>::min()))); },
                     {"0000-9999"});
  EXPECT_EQ(text(Params().set("d", sys_days(0y / January / 1))), "0000-01-01");
  EXPECT_EQ(text(Params().set("d", sys_days(9999y / December / 31))), "9999-12-31");

  // The other value types: their canonical text, plain (no text type).
  const Params d = Params().set("x", Decimal{Int256::from(-150), 2});
  EXPECT_EQ(text(d), "-1.50");
  EXPECT_EQ(text_type(d), "");
  EXPECT_EQ(sub("SELECT {x:Decimal(9, 2)}", d), "SELECT  CAST('-1.50' AS Decimal(9, 2)) ");
  EXPECT_EQ(text(Params().set("u", *UUID::parse("00112233-4455-6677-8899-AABBCCDDEEFF"))),
            "00112233-4455-6677-8899-aabbccddeeff");
  EXPECT_EQ(text(Params().set("ip", IPv4{0x7f000001})), "127.0.0.1");
  IPv6 loopback;
  loopback.bytes[15] = 1;
  EXPECT_EQ(text(Params().set("ip", loopback)), "::1");
  EXPECT_EQ(text(Params().set("i", -(Int128(1) << 126) * 2)), "-170141183460469231731687303715884105728");
  EXPECT_EQ(text(Params().set("i", Int256::from(-7))), "-7");
  EXPECT_EQ(text(Params().set("i", 42LL)), "42");
  EXPECT_EQ(text(Params().set("i", 42UL)), "42");
  // std::optional: nullopt is NULL, a value its text; a typed value keeps its text type.
  EXPECT_EQ(sub("SELECT {n:Nullable(Date)}", Params().set("n", std::optional<sys_days>())), "SELECT  NULL ");
  EXPECT_EQ(sub("SELECT {n:Nullable(DateTime)}", Params().set("n", std::optional<sys_seconds>(noon))),
            "SELECT  CAST(toDateTime('2024-02-29 12:34:56', 'UTC') AS DateTime) ");
  // Setting a text again forgets the text type.
  EXPECT_EQ(text_type(Params().set("t", noon).set("t", "2024-01-01 00:00:00")), "");
  test::expect_error(ErrorKind::usage, [&] { sub("SELECT {t:DateTime}", Params().set("t", noon).set_null("t")); },
                     {"NULL"});
}

// ----- the property: for any value of any type in any surroundings, substitution either refuses
// with Error(usage) or keeps the template's tokens, the placeholder's replaced by one literal's.

// Pieces that mean something to the lexer next to a placeholder.
const std::vector<std::string> k_pieces = {"-",
                                           "--",
                                           "/",
                                           "/*",
                                           "*/",
                                           "*",
                                           "#",
                                           "# ",
                                           "#!",
                                           "$",
                                           "$a$",
                                           "$$",
                                           ".",
                                           "x",
                                           "b",
                                           "X",
                                           "e",
                                           "E",
                                           "1",
                                           "0x",
                                           "'",
                                           "''",
                                           "\"",
                                           "`",
                                           " ",
                                           "\n",
                                           "\t",
                                           "(",
                                           ")",
                                           "{",
                                           "}",
                                           ";",
                                           ":",
                                           "::",
                                           "\\",
                                           "\\G",
                                           ",",
                                           "+",
                                           "a",
                                           "SELECT",
                                           "\xE2\x80\x98",
                                           "\xE2\x80\x99",
                                           "\xE2\x80\x9C",
                                           "\xE2\x80\x9D",
                                           "\xE2\x88\x92",
                                           "\xC2\xA0",
                                           "\xE2",
                                           "_",
                                           "!",
                                           "<",
                                           "=",
                                           "|",
                                           "@",
                                           "?",
                                           "%",
                                           "^",
                                           "[",
                                           "]",
                                           "0",
                                           "e5",
                                           ".5",
                                           "1.",
                                           "'a'",
                                           "--\n",
                                           "/* c */"};

const std::vector<std::string> k_types = {"Int8",
                                          "Int16",
                                          "Int32",
                                          "Int64",
                                          "Int128",
                                          "Int256",
                                          "UInt8",
                                          "UInt16",
                                          "UInt32",
                                          "UInt64",
                                          "UInt128",
                                          "UInt256",
                                          "Float32",
                                          "Float64",
                                          "String",
                                          "Identifier",
                                          "Date",
                                          "DateTime",
                                          "Decimal(9, 2)",
                                          "Array(Int32)",
                                          "Tuple(String, Int8)",
                                          "Nullable(Int32)",
                                          "LowCardinality(String)",
                                          "UUID",
                                          "Enum8('a' = 1)",
                                          "FixedString(3)",
                                          "Nullable(Float64)",
                                          "Date32",
                                          "DateTime('Asia/Tokyo')",
                                          "DateTime64(3)",
                                          "Nullable(DateTime64(9, 'UTC'))",
                                          "Decimal(76, 10)",
                                          "IPv4",
                                          "IPv6"};

// Values set from C++ values (their text, and for instants a text type the literal casts from).
Int256 int256_min() {
  Int256 v;
  v.limbs[3] = std::uint64_t{1} << 63;
  return v;
}
const std::vector<std::function<void(Params&)>> k_typed_values = {
    [](Params& p) { p.set("v", std::chrono::sys_days(std::chrono::days(-719528))); },
    [](Params& p) { p.set("v", std::chrono::sys_days(std::chrono::days(2932896))); },
    [](Params& p) { p.set("v", std::chrono::sys_seconds(std::chrono::seconds(-1))); },
    [](Params& p) { p.set("v", std::chrono::sys_time<std::chrono::nanoseconds>(std::chrono::nanoseconds(-1))); },
    [](Params& p) { p.set("v", std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(1))); },
    [](Params& p) { p.set("v", std::optional<std::chrono::sys_seconds>()); },
    [](Params& p) {
      p.set("v", Decimal{int256_min(), 76});
    },
    [](Params& p) {
      p.set("v", Decimal{Int256::from(-1), 0});
    },
    [](Params& p) { p.set("v", int256_min()); },
    [](Params& p) { p.set("v", UInt128(0) - 1); },
    [](Params& p) { p.set("v", *UUID::parse("ffffffff-ffff-ffff-ffff-ffffffffffff")); },
    [](Params& p) { p.set("v", IPv4{0xffffffff}); },
    [](Params& p) {
      p.set("v", IPv6{{0x20, 0x01, 0x0d, 0xb8}});
    },
    [](Params& p) {
      p.set("v", std::optional<Decimal>(Decimal{Int256::from(5), 1}));
    }};

const std::vector<std::string> k_values = {"0",
                                           "1",
                                           "-1",
                                           "-128",
                                           "127",
                                           "-9223372036854775808",
                                           "18446744073709551615",
                                           "1.5",
                                           "-1.5",
                                           "1e308",
                                           "-1e-308",
                                           "inf",
                                           "-inf",
                                           "nan",
                                           "-0",
                                           "+5",
                                           "'",
                                           "''",
                                           "\\",
                                           "\\'",
                                           "--",
                                           "/*",
                                           "*/",
                                           "$a$",
                                           "$",
                                           "\n",
                                           "x'41'",
                                           "a b",
                                           "1; DROP TABLE t",
                                           "') OR 1=1 --",
                                           "[1,-2]",
                                           "('a', -1)",
                                           "2024-01-02",
                                           "\xE2\x80\x99",
                                           "\xE2\x80\x9D",
                                           "#",
                                           "` OR 1 --",
                                           "\"",
                                           "{v:UInt8}",
                                           std::string("\0", 1)};

std::string random_text(std::mt19937& rng, int pieces) {
  std::string s;
  std::uniform_int_distribution<std::size_t> pick(0, k_pieces.size() - 1);
  for (int i = 0; i < pieces; ++i) s += k_pieces[pick(rng)];
  return s;
}

TEST(ParamsProperty, NoValueChangesTheTokenStructure) {
  std::mt19937 rng(20261206);
  std::uniform_int_distribution<std::size_t> type_pick(0, k_types.size() - 1), value_pick(0, k_values.size() - 1);
  std::uniform_int_distribution<int> len(0, 3);
  int substituted = 0, refused = 0, substituted_between_blanks = 0;
  for (int i = 0; i < 40000; ++i) {
    const std::string& type = k_types[type_pick(rng)];
    std::string value = k_values[value_pick(rng)];
    if (i % 3 == 0) value = random_text(rng, len(rng) + 1);  // arbitrary bytes too
    Params params;
    if (i % 3 == 1)
      k_typed_values[i / 3 % k_typed_values.size()](params);  // a C++ value
    else
      params.set("v", value);
    const bool blanks = i % 4 == 0;
    const std::string prefix = "SELECT " + random_text(rng, len(rng)) + (blanks ? " " : "");
    const std::string suffix = (blanks ? " " : "") + random_text(rng, len(rng)) + " , 'end'";
    const std::string placeholder = "{v:" + type + "}";
    std::string result;
    try {
      result = sub(prefix + placeholder + suffix, params);
    } catch (const Error& e) {
      ASSERT_EQ(e.kind(), ErrorKind::usage) << e.what();
      ++refused;
      continue;
    }
    ++substituted;
    ASSERT_TRUE(keeps_structure(prefix, placeholder, suffix, result))
        << "template: " << prefix + placeholder + suffix << "\nvalue: " << params.begin()->value;
  }
  // Ordinary surroundings: every value of the type substitutes (the check does not make the
  // feature useless).
  for (const std::string type : {"Int64", "Float64", "String", "Date", "Array(Int32)", "Nullable(Int8)"}) {
    for (const std::string value : {"-1", "0", "2024-01-02", "[1,-2]", "$a$ -- '"}) {
      const std::string prefix = "SELECT count() FROM t WHERE a = ", suffix = " AND b < 20 -- end";
      try {
        const std::string r = sub(prefix + "{v:" + type + "}" + suffix, Params().set("v", value));
        ++substituted_between_blanks;
        EXPECT_TRUE(keeps_structure(prefix, "{v:" + type + "}", suffix, r));
      } catch (const Error& e) {
        // Only a value that is not of the type may be refused here.
        EXPECT_EQ(e.kind(), ErrorKind::usage);
        EXPECT_NE(std::string(e.what()).find("is not a valid"), std::string::npos) << e.what();
      }
    }
  }
  RecordProperty("substituted", substituted);
  RecordProperty("refused", refused);
  EXPECT_GT(substituted, 5000);  // the generator reaches the substitution, not only the refusals
  EXPECT_GT(refused, 1000);
  EXPECT_GE(substituted_between_blanks, 15);
}

TEST(ParamsProperty, TheLibrarysOwnCheckCatchesAJoinedLiteral) {
  // first_unsafe_literal() is what refuses: given a substitution whose literal was spliced without
  // blanks, it names that literal.
  detail::Substitution s;
  s.text = "SELECT 10--1 AND 2";
  s.literals.push_back({10, 9, 10, 2});
  EXPECT_EQ(detail::first_unsafe_literal("SELECT 10-{x:Int64} AND 2", s), 0u);
  s.text = "SELECT 10- (-1)  AND 2";
  s.literals[0] = {10, 9, 11, 4};
  EXPECT_EQ(detail::first_unsafe_literal("SELECT 10-{x:Int64} AND 2", s), 1u);
}

}  // namespace
}  // namespace chconn
