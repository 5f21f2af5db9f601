// Text input parsers (chconn/format/input.h) on memory: each format's rules, NULL forms, types,
// malformed rows and the bounds. Where a case says "18.16", clickhouse-client 18.16.1 was run on
// the same bytes against the sandbox server (INSERT ... FORMAT X < file, then SELECT ... FORMAT
// TSV) and the expected text is what it inserted, or it failed with code 27 where we expect an error.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/format/input.h"
#include "chconn/format/text.h"
#include "chconn/wire/columns.h"
#include "support/expect_error.h"

namespace chconn::text {
namespace {

using namespace std::string_literals;

Block sample_of(const std::vector<std::pair<std::string, std::string>>& columns) {
  Block b;
  for (const auto& [name, type] : columns) b.append(name, make_column(parse_type(type)));
  return b;
}

struct Loaded {
  std::string tsv;  // every block, as TabSeparated
  std::vector<std::size_t> block_rows;
};

Loaded load(InputFormat format, std::string_view data, const Block& sample, InputOptions options = {}) {
  MemoryByteSource bytes(data);
  TextInsertSource source(format, bytes, std::move(options));
  source.start(sample);
  Loaded out;
  BlockFormatter tsv(OutputFormat::tab_separated);
  while (auto block = source.next()) {
    out.block_rows.push_back(block->rows());
    tsv.write_block(out.tsv, *block);
  }
  return out;
}

std::string load_tsv(InputFormat format, std::string_view data, const Block& sample, InputOptions options = {}) {
  return load(format, data, sample, std::move(options)).tsv;
}

// The message of the Error(usage) loading `data` throws.
std::string load_error(InputFormat format, std::string_view data, const Block& sample, InputOptions options = {}) {
  SCOPED_TRACE(data);
  return test::expect_error(ErrorKind::usage, [&] { load(format, data, sample, std::move(options)); });
}

const Block k_basic =
    sample_of({{"a", "UInt8"}, {"s", "String"}, {"n", "Nullable(Int32)"}, {"d", "Date"}, {"arr", "Array(String)"}});

TEST(InputFormats, NamesAreCaseInsensitive) {
  EXPECT_EQ(parse_input_format("CSV"), InputFormat::csv);
  EXPECT_EQ(parse_input_format("csv"), InputFormat::csv);
  EXPECT_EQ(parse_input_format("tsv"), InputFormat::tab_separated);
  EXPECT_EQ(parse_input_format("TabSeparatedWithNamesAndTypes"), InputFormat::tab_separated_with_names_and_types);
  EXPECT_EQ(parse_input_format("jsoneachrow"), InputFormat::json_each_row);
  EXPECT_EQ(parse_input_format("values"), InputFormat::values);
  EXPECT_FALSE(parse_input_format("Parquet"));
  EXPECT_EQ(to_string(InputFormat::csv_with_names), "CSVWithNames");
}

TEST(TabSeparatedInput, EscapesAndNull) {
  // 18.16: a\tb\x41\N -> "a<TAB>bA" (\N inside a value reads as nothing); a field that is exactly
  // \N is NULL; arrays in their quoted form.
  const std::string data = "1\ta\\tb\\x41\\N\t\\N\t2020-01-02\t['x','y\\'z']\n2\t\\\\\t5\t2020-01-01\t[]\n";
  EXPECT_EQ(load_tsv(InputFormat::tab_separated, data, k_basic),
            "1\ta\\tbA\t\\N\t2020-01-02\t['x','y\\'z']\n2\t\\\\\t5\t2020-01-01\t[]\n");
}

// A backslash before a byte that names no escape is dropped, as 18.16.1 reads it (measured:
// TabSeparated a\%b and Values ('c\%d') are a%b and c%d there); CSV has no escapes. The lexer's
// read_quoted keeps it, as current servers do (core/strings.h says why they differ).
TEST(TabSeparatedInput, AnUnknownEscapeDropsItsBackslashAs1816Does) {
  const Block sample = sample_of({{"s", "String"}});
  EXPECT_EQ(load_tsv(InputFormat::tab_separated, "a\\%b\n", sample), "a%b\n");
  EXPECT_EQ(load_tsv(InputFormat::tab_separated, "\\q\\d1\n", sample), "qd1\n");
  EXPECT_EQ(load_tsv(InputFormat::values, "('c\\%d')", sample), "c%d\n");
  EXPECT_EQ(load_tsv(InputFormat::csv, "e\\qf\n", sample), "e\\\\qf\n");
}

// An array field of TSV or CSV in the plain form is read without the lexer; every form must give
// what the lexer gives, which reads the same text as a Values literal. Errors too: a form the
// plain reader does not take goes to the lexer, which names the problem.
TEST(TabSeparatedInput, ArraysInThePlainFormReadAsTheLexerReadsThem) {
  const Block b = sample_of({{"s", "Array(String)"}, {"i", "Array(Int32)"}, {"f", "Array(Float64)"}});
  const std::vector<std::string> rows = {
      "['a','b']\t[1,-2]\t[1,2]",
      "[]\t[]\t[]",
      " [ 'a' , 'b' ] \t[ 1 , 2 ]\t[ -0 ]",
      "['it''s','x\\'y','\\t']\t[007]\t[1.5,-2e3]",
      "[1,-2]\t[3]\t[inf,nan]",
      "['a'/*c*/,'b']\t[1/*c*/]\t[1e2]",
      "['','']\t[2147483647,-2147483648]\t[.5]",
  };
  for (const std::string& row : rows) {
    SCOPED_TRACE(row);
    // As Values: a TSV array field is given to the reader as written (its escapes are the
    // literal's), so the row with commas for tabs is the Values tuple.
    std::string values = "(" + row + ")";
    for (std::size_t at = 0; (at = values.find('\t', at)) != std::string::npos;) values.replace(at, 1, ",");
    EXPECT_EQ(load_tsv(InputFormat::tab_separated, row + "\n", b), load_tsv(InputFormat::values, values, b));
  }
  // The same errors from either reader.
  for (const std::string& bad : {"['a',]"s, "['a' 'b']"s, "['a'"s, "[1,]"s, "['a']x"s, "[1 2]"s, "[-]"s}) {
    SCOPED_TRACE(bad);
    const Block one = sample_of({{"a", "Array(String)"}});
    const std::string tsv = load_error(InputFormat::tab_separated, bad + "\n", one);
    EXPECT_NE(tsv.find("column 1 'a' (Array(String))"), std::string::npos) << tsv;
  }
  // Elements the element type refuses: the element's message, from the plain reader.
  const Block ints = sample_of({{"a", "Array(UInt8)"}});
  EXPECT_NE(load_error(InputFormat::tab_separated, "[1,300]\n", ints).find("is not a valid UInt8"), std::string::npos);
  EXPECT_NE(load_error(InputFormat::csv, "\"['x']\"\n", ints).find("is not a valid UInt8"), std::string::npos);
  // Elements of Nullable, nested arrays and tuples always go to the lexer.
  const Block nested = sample_of({{"n", "Array(Nullable(String))"}, {"a", "Array(Array(UInt8))"}});
  EXPECT_EQ(load_tsv(InputFormat::tab_separated, "['a',NULL]\t[[1],[]]\n", nested), "['a',NULL]\t[[1],[]]\n");
}

TEST(TabSeparatedInput, LastLineWithoutNewlineAndEscapedNewline) {
  EXPECT_EQ(load_tsv(InputFormat::tab_separated, "1\tx\\\ny\t\\N\t2020-01-02\t[]", k_basic),
            "1\tx\\ny\t\\N\t2020-01-02\t[]\n");
}

TEST(TabSeparatedInput, WrongFieldCountsNameTheRow) {
  // 18.16: both are code 27 ("less columns than expected" / "more columns than expected").
  const std::string fewer = load_error(InputFormat::tab_separated, "1\ta\n", k_basic);
  EXPECT_NE(fewer.find("row 1 (line 1)"), std::string::npos) << fewer;
  EXPECT_NE(fewer.find("2 fields"), std::string::npos) << fewer;
  const std::string more =
      load_error(InputFormat::tab_separated, "1\ta\t\\N\t2020-01-01\t[]\n1\ta\t\\N\t2020-01-01\t[]\textra\n", k_basic);
  EXPECT_NE(more.find("row 2 (line 2)"), std::string::npos) << more;
  EXPECT_NE(more.find("more than 5 fields"), std::string::npos) << more;
}

TEST(TabSeparatedInput, BadValueNamesLineColumnAndValue) {
  // 18.16: -1 is "not like UInt8" (code 27).
  const std::string m =
      load_error(InputFormat::tab_separated, "1\ta\t\\N\t2020-01-01\t[]\n-1\tb\t1\t2020-01-01\t[]\n", k_basic);
  EXPECT_NE(m.find("row 2 (line 2)"), std::string::npos) << m;
  EXPECT_NE(m.find("column 1 'a' (UInt8)"), std::string::npos) << m;
  EXPECT_NE(m.find("'-1'"), std::string::npos) << m;
  const std::string date = load_error(InputFormat::tab_separated, "1\ta\t\\N\t2020-13-01\t[]\n", k_basic);
  EXPECT_NE(date.find("column 4 'd' (Date)"), std::string::npos) << date;
  const std::string array = load_error(InputFormat::tab_separated, "1\ta\t\\N\t2020-01-01\t['x'\n", k_basic);
  EXPECT_NE(array.find("column 5 'arr'"), std::string::npos) << array;
  const std::string null = load_error(InputFormat::tab_separated, "\\N\ta\t\\N\t2020-01-01\t[]\n", k_basic);
  EXPECT_NE(null.find("not Nullable"), std::string::npos) << null;
}

TEST(TabSeparatedInput, HeaderRowsAreSkipped) {
  const Block two = sample_of({{"a", "UInt8"}, {"s", "String"}});
  EXPECT_EQ(load_tsv(InputFormat::tab_separated_with_names, "x\ty\n1\ta\n", two), "1\ta\n");
  EXPECT_EQ(load_tsv(InputFormat::tab_separated_with_names_and_types, "x\ty\nUInt8\tString\n1\ta\n", two), "1\ta\n");
  // 18.16: a header with the wrong number of fields is code 27.
  EXPECT_NE(load_error(InputFormat::tab_separated_with_names, "zz\n1\ta\n", two).find("header row has 1 fields"),
            std::string::npos);
}

TEST(CsvInput, QuotingNullAndSpaces) {
  // 18.16: "a""b" -> a"b; 'q,r' (single quotes) -> q,r; unquoted \N is NULL; " sp " -> sp;
  // \r\n ends a row; an array as a quoted field.
  const std::string data =
      "1,\"a\"\"b\",\\N,2020-01-02,\"['x']\"\r\n7,'q,r',3,\"2020-01-03\",[]\n8, sp ,-4,2020-01-03,[]";
  EXPECT_EQ(load_tsv(InputFormat::csv, data, k_basic),
            "1\ta\"b\t\\N\t2020-01-02\t['x']\n7\tq,r\t3\t2020-01-03\t[]\n8\tsp\t-4\t2020-01-03\t[]\n");
}

TEST(CsvInput, NewlineInsideQuotesAndUnquotedNullWord) {
  const Block two = sample_of({{"n", "Nullable(Int32)"}, {"s", "String"}});
  EXPECT_EQ(load_tsv(InputFormat::csv, "1,\"two\nlines\"\n", two), "1\ttwo\\nlines\n");
  // 18.16: an unquoted NULL is not NULL in CSV ("garbage after Nullable(Int32)", code 27).
  EXPECT_NE(load_error(InputFormat::csv, "NULL,x\n", two).find("column 1 'n'"), std::string::npos);
  EXPECT_NE(load_error(InputFormat::csv, "1,\"open\n", two).find("not closed"), std::string::npos);
}

TEST(CsvInput, WithNamesSkipsTheHeader) {
  const Block two = sample_of({{"a", "UInt8"}, {"s", "String"}});
  EXPECT_EQ(load_tsv(InputFormat::csv_with_names, "a,b,c\n9,x\n", two), "9\tx\n");
}

TEST(JsonEachRowInput, KeysInAnyOrderDefaultsAndNull) {
  // 18.16: missing keys take the default (Date 0000-00-00 is day 0), null is NULL, \u escapes.
  const std::string data =
      "{\"s\":\"j\\u00e9\",\"a\":10,\"n\":null,\"arr\":[\"p\"],\"d\":\"2020-01-01\"}\n{\"a\":11}\n";
  EXPECT_EQ(load_tsv(InputFormat::json_each_row, data, k_basic),
            "10\tjé\t\\N\t2020-01-01\t['p']\n11\t\t\\N\t1970-01-01\t[]\n");
}

TEST(JsonEachRowInput, UnknownKeysAndMalformedObjects) {
  const std::string m = load_error(InputFormat::json_each_row, "{\"a\":1,\"zz\":2}\n", k_basic);
  EXPECT_NE(m.find("'zz'"), std::string::npos) << m;
  InputOptions skip;
  skip.skip_unknown_fields = true;
  EXPECT_EQ(load_tsv(InputFormat::json_each_row, "{\"a\":1,\"zz\":{\"q\":[1,2]}}", k_basic, skip),
            "1\t\t\\N\t1970-01-01\t[]\n");
  EXPECT_NE(load_error(InputFormat::json_each_row, "{\"a\":1", k_basic).find("closing '}'"), std::string::npos);
  EXPECT_NE(load_error(InputFormat::json_each_row, "[1]", k_basic).find("'{'"), std::string::npos);
  EXPECT_NE(load_error(InputFormat::json_each_row, "{\"a\":\"x\"}", k_basic).find("column 1 'a'"), std::string::npos);
}

TEST(JsonEachRowInput, OneCommaOrSemicolonBeforeEachObject) {
  // As 18.16 reads it: blanks, at most one ',' or ';', blanks; so `{...};` (an INSERT's inline data
  // ending in ';') and `{...},{...}` load, and a second separator is a row that does not start with '{'.
  const Block one = sample_of({{"a", "UInt8"}});
  EXPECT_EQ(load_tsv(InputFormat::json_each_row, "{\"a\":1};", one), "1\n");
  EXPECT_EQ(load_tsv(InputFormat::json_each_row, "{\"a\":1} ; {\"a\":2} , {\"a\":3}\n;", one), "1\n2\n3\n");
  EXPECT_EQ(load_tsv(InputFormat::json_each_row, ";{\"a\":4}", one), "4\n");
  EXPECT_NE(load_error(InputFormat::json_each_row, "{\"a\":1};;", one).find("'{'"), std::string::npos);
  EXPECT_NE(load_error(InputFormat::json_each_row, "{\"a\":1};,{\"a\":2}", one).find("'{'"), std::string::npos);
  EXPECT_NE(load_error(InputFormat::json_each_row, "{\"a\":1},,{\"a\":2}", one).find("'{'"), std::string::npos);
}

TEST(ValuesInput, LiteralsNullNegativeAndSemicolon) {
  const Block b =
      sample_of({{"a", "Int32"}, {"s", "Nullable(String)"}, {"arr", "Array(Int8)"}, {"t", "Tuple(UInt8, String)"}});
  EXPECT_EQ(load_tsv(InputFormat::values, "(1, 'a\\'b', [1,-2], (3,'x')), (-5,NULL,[],(0,''))\n;", b),
            "1\ta\\'b\t[1,-2]\t(3,'x')\n-5\t\\N\t[]\t(0,'')\n");
}

// 18.16's client: a ';' between rows ends the data and what follows it is not read, be it on
// stdin ("(6,'x'); (7,'y')" inserts one row, exit 0) or on the INSERT's line in a script (`VALUES
// (1); SELECT 2` inserts one row and runs no SELECT; `VALUES; SELECT 2` inserts none). The CLI asks
// for that (values_ignore_after_end); by default text after the ';' is an error, so that a library
// caller's second row is not dropped without a word.
TEST(ValuesInput, ASemicolonEndsTheDataAndTheRestIsNotRead) {
  const Block b = sample_of({{"a", "Int32"}, {"s", "String"}});
  InputOptions client;
  client.values_ignore_after_end = true;
  EXPECT_EQ(load_tsv(InputFormat::values, "(6,'x'); (7,'y')\n", b, client), "6\tx\n");
  EXPECT_EQ(load_tsv(InputFormat::values, "(1, 'a;b'), (2, 'c') ; SELECT 3;", b, client), "1\ta;b\n2\tc\n");
  EXPECT_EQ(load_tsv(InputFormat::values, "(1, 'x'); (2", b, client), "1\tx\n");  // never read: no error
  EXPECT_EQ(load_tsv(InputFormat::values, "; SELECT 5;", b, client), "");
  EXPECT_EQ(load(InputFormat::values, ";", b, client).block_rows.size(), 0u);
  // By default only blanks may follow the ';'.
  EXPECT_EQ(load_tsv(InputFormat::values, "(6,'x'); \n", b), "6\tx\n");
  EXPECT_NE(load_error(InputFormat::values, "(6,'x'); (7,'y')\n", b).find("follows the ';'"), std::string::npos);
  EXPECT_NE(load_error(InputFormat::values, "(1, 'x'); (2", b).find("';'"), std::string::npos);
  // A ';' inside a row is not between rows: that row is an error.
  EXPECT_NE(load_error(InputFormat::values, "(1; 'x')", b).find("column 1 'a'"), std::string::npos);
}

TEST(ValuesInput, NullWhereTheTypeIsNotNullableIsAnError) {
  // 18.16 refuses ['a', NULL] into Array(String) (code 53, type mismatch); chconn once read the
  // word as the string 'NULL'. Inside Nullable elements NULL stays a NULL.
  const Block b = sample_of({{"arr", "Array(String)"}, {"t", "Tuple(String, Nullable(String))"}});
  for (const char* row : {"(['a', NULL], ('x', 'y'))", "(['a', null], ('x', 'y'))", "([], (NULL, 'y'))"}) {
    const std::string m = load_error(InputFormat::values, row, b);
    EXPECT_NE(m.find("is NULL"), std::string::npos) << row << ": " << m;
  }
  EXPECT_EQ(load_tsv(InputFormat::values, "(['a'], ('x', NULL))", b), "['a']\t('x',NULL)\n");
}

TEST(ValuesInput, ExpressionsAndBadSyntaxAreErrors) {
  const Block b = sample_of({{"a", "Int32"}, {"d", "DateTime"}});
  const std::string m = load_error(InputFormat::values, "(1, now())", b);
  EXPECT_NE(m.find("column 2 'd'"), std::string::npos) << m;
  EXPECT_NE(m.find("expression"), std::string::npos) << m;
  EXPECT_NE(m.find("the value 'now()'"), std::string::npos) << m;  // the value, not the whole row
  EXPECT_NE(load_error(InputFormat::values, "(1, '2020-01-01 00:00:00'", b).find("closing ')'"), std::string::npos);
  EXPECT_NE(load_error(InputFormat::values, "1, 2", b).find("'('"), std::string::npos);
}

TEST(TskvInput, KeysInAnyOrderEscapesDefaultsAndEmptyLines) {
  // 18.16, INSERT ... FORMAT TSKV of these bytes: 1 x<TAB>y \N ['p'] / 0 only \N [] / 0 '' \N []
  // / 2 b / 7 eq=sign / 8 =esc<TAB>k / 10 / a row of defaults for the empty line / 11.
  const Block b = sample_of({{"a", "UInt8"}, {"s", "String"}, {"n", "Nullable(Int32)"}, {"arr", "Array(String)"}});
  const std::string data =
      "a=1\ts=x\\ty\tn=\\N\tarr=['p']\ntskv\ts=only\n\ns=b\ta=2\na=7\ts=eq=sign\na=8\ts=\\=esc\\tk\n"
      "a=10\ts=\n\na=11\n";
  EXPECT_EQ(load_tsv(InputFormat::tskv, data, b),
            "1\tx\\ty\t\\N\t['p']\n0\tonly\t\\N\t[]\n0\t\t\\N\t[]\n2\tb\t\\N\t[]\n7\teq=sign\t\\N\t[]\n"
            "8\t=esc\\tk\t\\N\t[]\n10\t\t\\N\t[]\n0\t\t\\N\t[]\n11\t\t\\N\t[]\n");
  EXPECT_EQ(parse_input_format("tskv"), InputFormat::tskv);
}

TEST(TskvInput, BadRowsAsIn1816) {
  // 18.16: code 117 for a key twice, an unknown key and a field without '='; 27 for a bad value;
  // 33 for a last line without its newline.
  const Block b = sample_of({{"a", "UInt8"}, {"s", "String"}});
  EXPECT_NE(load_error(InputFormat::tskv, "a=1\n\na=3\ta=4\n", b).find("row 3 (line 3)"), std::string::npos);
  EXPECT_NE(load_error(InputFormat::tskv, "a=3\ta=4\n", b).find("the key 'a' is given twice"), std::string::npos);
  EXPECT_NE(load_error(InputFormat::tskv, "a=5\tzz=1\n", b).find("the key 'zz' names no column"), std::string::npos);
  EXPECT_NE(load_error(InputFormat::tskv, "a=6\tnoequals\n", b).find("'noequals' has no '='"), std::string::npos);
  const std::string m = load_error(InputFormat::tskv, "a=x\n", b);
  EXPECT_NE(m.find("column 1 'a' (UInt8): the value 'x' is not a valid UInt8"), std::string::npos) << m;
  EXPECT_NE(load_error(InputFormat::tskv, "a=9", b).find("no newline"), std::string::npos);
  InputOptions skip;
  skip.skip_unknown_fields = true;
  EXPECT_EQ(load_tsv(InputFormat::tskv, "a=5\tzz=1\n", b, skip), "5\t\n");
}

// Native bytes of `blocks`, as clickhouse-client 18.16 writes FORMAT Native (the format layer's
// writer, tested byte for byte against 18.16's output in output_formats_test.cpp).
std::string native_of(const std::vector<Block>& blocks) {
  BlockFormatter native(OutputFormat::native);
  std::string out;
  for (const Block& b : blocks) native.write_block(out, b);
  return out;
}

Block rows_of(const std::vector<std::pair<std::string, std::string>>& columns, std::string_view tsv) {
  MemoryByteSource bytes(tsv);
  TextInsertSource source(InputFormat::tab_separated, bytes);
  source.start(sample_of(columns));
  return *source.next();
}

TEST(NativeInput, BlocksByColumnNameInAnyOrder) {
  const Block b = sample_of({{"a", "UInt8"}, {"s", "Nullable(String)"}, {"arr", "Array(String)"}});
  const std::string data = native_of(
      {rows_of({{"a", "UInt8"}, {"s", "Nullable(String)"}, {"arr", "Array(String)"}}, "1\tx\t['p']\n2\t\\N\t[]\n"),
       rows_of({{"arr", "Array(String)"}, {"a", "UInt8"}, {"s", "Nullable(String)"}}, "['q','r']\t3\ty\n")});
  const Loaded loaded = load(InputFormat::native, data, b);
  EXPECT_EQ(loaded.tsv, "1\tx\t['p']\n2\t\\N\t[]\n3\ty\t['q','r']\n");
  EXPECT_EQ(loaded.block_rows, (std::vector<std::size_t>{2, 1}));
  EXPECT_EQ(load_tsv(InputFormat::native, "", b), "");
  EXPECT_EQ(parse_input_format("native"), InputFormat::native);
}

TEST(NativeInput, BlocksThatDoNotMatchOrEndEarlyAreErrorsNamingTheBlock) {
  const Block b = sample_of({{"a", "UInt8"}, {"s", "String"}});
  const std::string good = native_of({rows_of({{"a", "UInt8"}, {"s", "String"}}, "1\tx\n")});
  // 18.16's client sends a block of another type on as it is (its server then stored a block that
  // could not be read back): chconn refuses it.
  std::string m =
      load_error(InputFormat::native, good + native_of({rows_of({{"a", "UInt64"}, {"s", "String"}}, "3\tz\n")}), b);
  EXPECT_NE(m.find("cannot read block 2 of the Native data: its column 'a' is UInt64, the table's is UInt8"),
            std::string::npos)
      << m;
  m = load_error(InputFormat::native, native_of({rows_of({{"a", "UInt8"}}, "4\n")}), b);
  EXPECT_NE(m.find("block 1 of the Native data: it has no column 's'"), std::string::npos) << m;
  m = load_error(InputFormat::native,
                 native_of({rows_of({{"a", "UInt8"}, {"s", "String"}, {"x", "UInt8"}}, "4\ts\t1\n")}), b);
  EXPECT_NE(m.find("it has 3 columns, the table 2"), std::string::npos) << m;
  m = load_error(InputFormat::native, good.substr(0, good.size() - 1), b);
  EXPECT_NE(m.find("block 1 of the Native data: it is not a valid block"), std::string::npos) << m;
  m = load_error(InputFormat::native, "garbage", b);
  EXPECT_NE(m.find("it is not a valid block"), std::string::npos) << m;
}

TEST(RowBinaryInput, RowsAsClickHouseClientWritesThem) {
  // The bytes clickhouse-client 18.16 wrote for SELECT toUInt8(number) AS a, toString(number) AS s,
  // if(number % 2, NULL, toInt32(number)) AS n, [toUInt16(number), 7] AS arr,
  // toDate('2020-01-01') + number AS d FROM numbers(3) FORMAT RowBinary; 18.16 loads them back as
  // these rows.
  const std::string data =
      "\x00\x01\x30\x00\x00\x00\x00\x00\x02\x00\x00\x07\x00\x56\x47\x01\x01\x31\x01\x02\x01\x00\x07\x00"
      "\x57\x47\x02\x01\x32\x00\x02\x00\x00\x00\x02\x02\x00\x07\x00\x58\x47"s;
  const Block b =
      sample_of({{"a", "UInt8"}, {"s", "String"}, {"n", "Nullable(Int32)"}, {"arr", "Array(UInt16)"}, {"d", "Date"}});
  const std::string want = "0\t0\t0\t[0,7]\t2020-01-01\n1\t1\t\\N\t[1,7]\t2020-01-02\n2\t2\t2\t[2,7]\t2020-01-03\n";
  EXPECT_EQ(load_tsv(InputFormat::row_binary, data, b), want);
  // Read a byte at a time, every value is cut at every point and read again whole.
  struct Trickle final : ByteSource {
    std::string_view rest;
    std::size_t read(char* out, std::size_t size) override {
      if (rest.empty() || size == 0) return 0;
      out[0] = rest.front();
      rest.remove_prefix(1);
      return 1;
    }
  } trickle;
  trickle.rest = data;
  TextInsertSource source(InputFormat::row_binary, trickle);
  source.start(b);
  std::string out;
  BlockFormatter tsv(OutputFormat::tab_separated);
  while (auto block = source.next()) tsv.write_block(out, *block);
  EXPECT_EQ(out, want);
  EXPECT_EQ(parse_input_format("RowBinary"), InputFormat::row_binary);
}

TEST(RowBinaryInput, ARowCutShortOrTooLongIsAnErrorNamingRowAndColumn) {
  // 18.16 on the first 20 bytes: code 33 "Cannot read all data ... (at row 2)".
  const Block b = sample_of({{"a", "UInt8"}, {"s", "String"}, {"n", "Nullable(Int32)"}});
  std::string m = load_error(InputFormat::row_binary, "\x00\x01\x30\x00\x00\x00\x00\x00\x02\x01"s, b);
  EXPECT_NE(m.find("cannot read row 2 of the RowBinary data: column 2 's' (String): the data ends inside this value"),
            std::string::npos)
      << m;
  // A String of 2^40 bytes promised: nothing is allocated for it, the row is too long.
  InputOptions small;
  small.max_row_bytes = 64;
  m = load_error(InputFormat::row_binary, "\x01\x80\x80\x80\x80\x80\x20" + std::string(100, 'x'), b, small);
  EXPECT_NE(m.find("cannot read row 1 of the RowBinary data: the row is longer than 64 bytes"), std::string::npos) << m;
}

TEST(RowBinaryInput, LowCardinalityValuesAreWrittenAsTheirDictionaryType) {
  // 18.16 (allow_experimental_low_cardinality_type=1) writes a LowCardinality(T) value as a T.
  const Block b = sample_of(
      {{"lc", "LowCardinality(String)"}, {"ln", "LowCardinality(Nullable(String))"}, {"lu", "LowCardinality(UInt16)"}});
  const std::string data =
      "\x01"
      "a"
      "\x01"
      "\x07\x00"
      "\x01"
      "b"
      "\x00\x01"
      "x"
      "\x08\x00"
      "\x01"
      "a"
      "\x00\x01"
      "x"
      "\x07\x00"s;
  EXPECT_EQ(load_tsv(InputFormat::row_binary, data, b), "a\t\\N\t7\nb\tx\t8\na\tx\t7\n");
  const std::string m = load_error(InputFormat::row_binary,
                                   "\x01"
                                   "a"
                                   "\x01"
                                   "\x07\x00"
                                   "\x01"
                                   "b"
                                   "\x00"s,
                                   b);
  EXPECT_NE(m.find("cannot read row 2 of the RowBinary data: column 2 'ln' (LowCardinality(Nullable(String))): the "
                   "data ends inside this value"),
            std::string::npos)
      << m;
}

TEST(TypedInput, ScalarsOfEveryKind) {
  const Block b = sample_of({{"e", "Enum8('a' = 1, 'b' = 2)"},
                             {"dec", "Decimal(9, 2)"},
                             {"u", "UUID"},
                             {"f", "FixedString(3)"},
                             {"fl", "Float64"},
                             {"i64", "Int64"},
                             {"lc", "LowCardinality(String)"},
                             {"m", "Map(String, UInt8)"},
                             {"b", "Bool"},
                             {"ip4", "IPv4"},
                             {"ip6", "IPv6"}});
  const std::string data =
      "b\t-1.5\t00000000-0000-0000-0000-000000000001\tab\t-0.25\t-9223372036854775808\tx\t{'k':1}\ttrue\t1.2.3.4\t::1\n"
      "1\t3.999\t00000000-0000-0000-0000-000000000002\tabc\tinf\t7\tx\t{}\t0\t0.0.0.0\t2001:db8::1\n";
  EXPECT_EQ(
      load_tsv(InputFormat::tab_separated, data, b),
      "b\t-1.50\t00000000-0000-0000-0000-000000000001\tab\\0\t-0.25\t-9223372036854775808\tx\t{'k':1}\ttrue\t1.2.3."
      "4\t::1\n"
      "a\t3.99\t00000000-0000-0000-0000-000000000002\tabc\tinf\t7\tx\t{}\tfalse\t0.0.0.0\t2001:db8::1\n");
  EXPECT_NE(load_error(InputFormat::tab_separated, "c\t1\t0\ta\t1\t1\tx\t{}\t1\t1.2.3.4\t::1\n", b).find("Enum8"),
            std::string::npos);
  EXPECT_NE(load_error(InputFormat::tab_separated,
                       "a\t12345678.9\t00000000-0000-0000-0000-000000000001\ta\t1\t1\tx\t{}\t1\t1.2.3.4\t::1\n", b)
                .find("more digits"),
            std::string::npos);
  EXPECT_NE(load_error(InputFormat::tab_separated,
                       "a\t1\t00000000-0000-0000-0000-000000000001\tabcd\t1\t1\tx\t{}\t1\t1.2.3.4\t::1\n", b)
                .find("FixedString(3)"),
            std::string::npos);
}

TEST(TypedInput, DateTimeInTheSessionZoneOrTheColumnZone) {
  const Block b = sample_of({{"t", "DateTime"}, {"tz", "DateTime('Asia/Tokyo')"}, {"u", "UInt32"}});
  InputOptions options;
  options.time_zone = "Europe/Berlin";
  MemoryByteSource bytes("2020-01-01 01:00:00\t2020-01-01 09:00:00\t0\n1577836800\t1577836800\t0\n");
  TextInsertSource source(InputFormat::tab_separated, bytes, options);
  source.start(b);
  const auto block = source.next();
  ASSERT_TRUE(block);
  const auto& t = block->column_as<ColumnDateTime>("t");
  const auto& tz = block->column_as<ColumnDateTime>("tz");
  EXPECT_EQ(t[0], 1577836800u);   // 01:00 in Berlin (UTC+1) is midnight UTC
  EXPECT_EQ(tz[0], 1577836800u);  // 09:00 in Tokyo (UTC+9)
  EXPECT_EQ(t[1], 1577836800u);   // Unix seconds are zone-free
}

// date_time_input_format = 'best_effort'. Each expected value is what 18.16.1 gave for the same
// text (SELECT toUnixTimestamp(parseDateTimeBestEffort('...')) on a UTC server, and the same
// through its clickhouse-client's INSERT ... FORMAT TSV with --date_time_input_format=best_effort),
// except Unix seconds, which 18.16 adds to an uninitialised variable (see input.h).
TEST(TypedInput, DateTimeBestEffort) {
  const Block b = sample_of({{"t", "DateTime"}});
  InputOptions best;
  best.date_time_input_format = DateTimeInputFormat::best_effort;
  const std::vector<std::pair<std::string, std::uint32_t>> cases = {
      {"2018-01-02T03:04:05Z", 1514862245},
      {"2018-01-02 03:04:05.123+03:00", 1514851445},
      {"20180102030405", 1514862245},
      {"20180102", 1514851200},
      {"201801", 1514764800},
      {"2018", 1514764800},
      {"02/01/2018", 1514851200},
      {"03:04:05", 946695845},
      {"2018-01-02 03:04:05 MSK", 1514851445},
      {"2018/1/2 3:4:5", 1514862245},
      {"", 946684800},
      {"2018-01-02 03:04", 1514862240},
      {"2018-01-02 03:04:05-0130", 1514867645},
      {"2018-01-02 03:04:05+5", 1514844245},
      {"2018-01-02 03:04:05 am", 1514862245},
      {"2018 010203", 1514764800},
      {"31 Dec 2017", 1514678400},
      {"2018-01-02 03:04:05 Z", 1514862245},
      {"2018-02-30", 1519948800},
      {"1546300800", 1546300800},
      {"154630080", 154630080},
      {"10:00 PM", 946764000},
      {"Mon 2018-01-01 12:00 GMT", 1514808000},
      {"Mon, 01 Jan 2018 10:00:00 GMT", 1514800800},
  };
  std::string data;
  for (const auto& c : cases) data += c.first + "\n";
  MemoryByteSource bytes(data);
  TextInsertSource source(InputFormat::tab_separated, bytes, best);
  source.start(b);
  const auto block = source.next();
  ASSERT_TRUE(block);
  const auto& t = block->column_as<ColumnDateTime>("t");
  ASSERT_EQ(t.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) EXPECT_EQ(t[i], cases[i].second) << cases[i].first;

  // Without an offset the time is in the session's zone; CSV and Values read the same forms.
  best.time_zone = "Europe/Berlin";
  EXPECT_EQ(load_tsv(InputFormat::csv, "\"2018-01-02T03:04:05\"\n2018-01-02T03:04:05Z\n", b, best),
            "2018-01-02 02:04:05\n2018-01-02 03:04:05\n");
  EXPECT_EQ(load_tsv(InputFormat::values, "('02/01/2018 10:00:00 PM')", b, best), "2018-01-02 21:00:00\n");
  // The basic format still refuses them.
  EXPECT_NE(load_error(InputFormat::tab_separated, "2018-01-02T03:04:05Z\n", b).find("is not a DateTime"),
            std::string::npos);

  // What 18.16 refuses (and what it turns into the zero time or 1970: month 13, 1969, hour 25) is an
  // error naming the value and why.
  best.time_zone.clear();
  for (const char* bad :
       {"2.1.18", "02-Jan-2018 10:00 PM", "Tue, 02 Jan 2018 03:04:05 GMT", "12345", "x", "2018,01,02", "2018-13-01",
        "1969-01-01", "2018-01-02 25:00:00", "2018-01-02 03:04:05 2019", "1546300800.5",
        "2018-01-02T03:04:05.999999999999999999999Z", "2018-01-02 03:04:05+12345", "20180102030405123456789"}) {
    const std::string m = load_error(InputFormat::tab_separated, std::string(bad) + "\n", b, best);
    EXPECT_NE(m.find("column 1 't' (DateTime): the value '" + std::string(bad).substr(0, 10)), std::string::npos)
        << bad << ": " << m;
  }
  const std::string m = load_error(InputFormat::tab_separated, "2018-01-02 xyz\n", b, best);
  EXPECT_NE(m.find("best_effort"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown word"), std::string::npos) << m;
}

TEST(TypedInput, WideIntegersTheirWholeRangeAndNoFurther) {
  const Block b = sample_of({{"i128", "Int128"}, {"u128", "UInt128"}, {"i256", "Int256"}, {"u256", "UInt256"}});
  const std::string max =
      "170141183460469231731687303715884105727\t340282366920938463463374607431768211455\t"
      "57896044618658097711785492504343953926634992332820282019728792003956564819967\t"
      "115792089237316195423570985008687907853269984665640564039457584007913129639935\n";
  const std::string min =
      "-170141183460469231731687303715884105728\t0\t"
      "-57896044618658097711785492504343953926634992332820282019728792003956564819968\t0\n";
  EXPECT_EQ(load_tsv(InputFormat::tab_separated, max + min + "-1\t12\t-0\t7\n", b), max + min + "-1\t12\t0\t7\n");
  EXPECT_EQ(load_tsv(InputFormat::values, "(-5, 5, -5, 5)", b), "-5\t5\t-5\t5\n");
  EXPECT_EQ(load_tsv(InputFormat::json_each_row, R"({"i128":-5,"u128":"5","i256":-5,"u256":5})", b), "-5\t5\t-5\t5\n");
  // One past each end, a sign on an unsigned type, 78 digits and non-digits: errors naming the
  // row, line, column and value.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"170141183460469231731687303715884105728\t0\t0\t0\n", "column 1 'i128' (Int128)"},
      {"-170141183460469231731687303715884105729\t0\t0\t0\n", "column 1 'i128' (Int128)"},
      {"0\t340282366920938463463374607431768211456\t0\t0\n", "column 2 'u128' (UInt128)"},
      {"0\t-1\t0\t0\n", "column 2 'u128' (UInt128)"},
      {"0\t0\t57896044618658097711785492504343953926634992332820282019728792003956564819968\t0\n",
       "column 3 'i256' (Int256)"},
      {"0\t0\t0\t115792089237316195423570985008687907853269984665640564039457584007913129639936\n",
       "column 4 'u256' (UInt256)"},
      {"0\t0\t0\t" + std::string(78, '9') + "\n", "column 4 'u256' (UInt256)"},
      {"0\t0\t0\t1e3\n", "column 4 'u256' (UInt256)"},
      {"0\t0\t0\t-\n", "column 4 'u256' (UInt256)"},
      // The current server reads neither a '+' nor leading zeros (ClickHouse 26.7).
      {"+1\t0\t0\t0\n", "column 1 'i128' (Int128)"},
      {"0\t007\t0\t0\n", "column 2 'u128' (UInt128)"},
  };
  for (const auto& [row, where] : bad) {
    SCOPED_TRACE(row);
    const std::string m = load_error(InputFormat::tab_separated, "1\t1\t1\t1\n" + row, b);
    EXPECT_NE(m.find("row 2 (line 2)"), std::string::npos) << m;
    EXPECT_NE(m.find(where), std::string::npos) << m;
    EXPECT_NE(m.find("out of its range"), std::string::npos) << m;
  }
}

TEST(TypedInput, Date32AndDateTime64) {
  const Block b = sample_of({{"d", "Date32"},
                             {"t3", "DateTime64(3)"},
                             {"t0", "DateTime64(0)"},
                             {"tz", "DateTime64(6, 'Asia/Tokyo')"},
                             {"t9", "DateTime64(9)"}});
  InputOptions options;
  options.time_zone = "Europe/Berlin";
  MemoryByteSource bytes(
      "1900-01-01\t2020-01-01 01:00:00.123456\t2020-01-01 01:00:00.999\t2020-01-01 09:00:00.5\t2020-01-01 "
      "01:00:00.123456789123\n"
      "2299-12-31\t1577836800.1\t1577836800\t1577836800\t100000000.5\n"
      "1969-12-31\t2020-01-01 01:00:00\t2020-01-01\t1969-12-31 23:59:59.25\t20200101\n");
  TextInsertSource source(InputFormat::tab_separated, bytes, options);
  source.start(b);
  const auto block = source.next();
  ASSERT_TRUE(block);
  const auto& d = block->column_as<ColumnDate32>("d");
  const auto& t3 = block->column_as<ColumnDateTime64>("t3");
  const auto& t0 = block->column_as<ColumnDateTime64>("t0");
  const auto& tz = block->column_as<ColumnDateTime64>("tz");
  const auto& t9 = block->column_as<ColumnDateTime64>("t9");
  EXPECT_EQ(d[0], -25567);  // 1900-01-01, the first day of Date32
  EXPECT_EQ(d[1], 120529);  // 2299-12-31, the last
  EXPECT_EQ(d[2], -1);
  EXPECT_EQ(t3[0], 1577836800123);  // 01:00 in Berlin is midnight UTC; digits beyond 3 are dropped
  EXPECT_EQ(t3[1], 1577836800100);  // Unix seconds, zone-free; fewer digits padded
  EXPECT_EQ(t3[2], 1577836800000);
  EXPECT_EQ(t0[0], 1577836800);  // truncated, not rounded to the next second
  EXPECT_EQ(t0[1], 1577836800);
  EXPECT_EQ(t0[2], 1577833200);        // a date alone: its midnight in Berlin
  EXPECT_EQ(tz[0], 1577836800500000);  // 09:00 in the column's own zone, Tokyo
  EXPECT_EQ(tz[1], 1577836800000000);
  EXPECT_EQ(tz[2], std::int64_t{-9} * 3600 * 1000000 - 750000);  // Tokyo's 23:59:59.25 (UTC+9) before 1970
  EXPECT_EQ(t9[0], 1577836800123456789);
  EXPECT_EQ(t9[1], 100000000500000000);   // 9 digits of Unix seconds
  EXPECT_EQ(t9[2], 1577833200000000000);  // YYYYMMDD: its midnight in Berlin

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"1899-12-31\t1577836800\t1577836800\t1577836800\t1577836800\n",
       "column 1 'd' (Date32): the value '1899-12-31' is outside the range of Date32"},
      {"2300-01-01\t1577836800\t1577836800\t1577836800\t1577836800\n", "column 1 'd' (Date32)"},
      {"2020-02-30x\t1577836800\t1577836800\t1577836800\t1577836800\n", "column 1 'd' (Date32)"},
      {"2020-01-01\t2020-01-01 00:00:00.12a\t1577836800\t1577836800\t1577836800\n", "column 2 't3' (DateTime64(3))"},
      {"2020-01-01\t2020-01-01 24:00:00\t1577836800\t1577836800\t1577836800\n", "column 2 't3' (DateTime64(3))"},
      {"2020-01-01\t1e9\t1577836800\t1577836800\t1577836800\n", "column 2 't3' (DateTime64(3))"},
      // Unix seconds the current server does not read as such: signed, or not 9 or 10 digits.
      {"2020-01-01\t-1.5\t1577836800\t1577836800\t1577836800\n", "column 2 't3' (DateTime64(3))"},
      {"2020-01-01\t12345\t1577836800\t1577836800\t1577836800\n", "column 2 't3' (DateTime64(3))"},
      {"2020-01-01\t+1577836800\t1577836800\t1577836800\t1577836800\n", "column 2 't3' (DateTime64(3))"},
      {"2020-01-01\t2300-01-01 00:00:00\t1577836800\t1577836800\t1577836800\n", "is outside the range of DateTime64"},
      // Within Date32's days but past Int64 ticks of 10^-9 s (2262-04-11).
      {"2020-01-01\t1577836800\t1577836800\t1577836800\t2262-04-12 00:00:00\n",
       "column 5 't9' (DateTime64(9)): the value '2262-04-12 00:00:00' is outside"},
      {"2020-01-01\t1577836800\t1577836800\t1577836800\t99999999999999999999\n", "column 5 't9' (DateTime64(9))"},
  };
  for (const auto& [row, want] : bad) {
    SCOPED_TRACE(row);
    const std::string m =
        load_error(InputFormat::tab_separated, "2020-01-01\t1577836800\t1577836800\t1577836800\t1577836800\n" + row, b);
    EXPECT_NE(m.find("row 2 (line 2)"), std::string::npos) << m;
    EXPECT_NE(m.find(want), std::string::npos) << m;
  }
  // The other formats take the same text: a Values string, a JSON string or number.
  const Block one = sample_of({{"d", "Date32"}, {"t", "DateTime64(2)"}});
  EXPECT_EQ(load_tsv(InputFormat::values, "('1950-06-01', '2020-01-01 00:00:00.129')", one),
            "1950-06-01\t2020-01-01 00:00:00.12\n");
  EXPECT_EQ(load_tsv(InputFormat::json_each_row, R"({"d":"1950-06-01","t":1577836800.5})", one),
            "1950-06-01\t2020-01-01 00:00:00.50\n");
}

TEST(TypedInput, Decimal256AndBFloat16) {
  const Block b = sample_of({{"d", "Decimal(76, 10)"}, {"bf", "BFloat16"}});
  const std::string big = std::string(66, '9') + "." + std::string(10, '9');
  EXPECT_EQ(load_tsv(InputFormat::tab_separated, "-123.456789012345\t0.1\n" + big + "\t-2\n-" + big + "\t1e3\n", b),
            "-123.4567890123\t0.099609375\n" + big + "\t-2\n-" + big + "\t1000\n");
  // 67 digits before the point: the message quotes the value's first 64 bytes and its length.
  const std::string m = load_error(InputFormat::tab_separated, "1" + std::string(66, '0') + "\t0\n", b);
  EXPECT_NE(m.find("column 1 'd' (Decimal(76, 10)): the value '1" + std::string(63, '0') +
                   "'... (67 bytes) has more digits than Decimal(76, 10) holds"),
            std::string::npos)
      << m;
  EXPECT_NE(load_error(InputFormat::tab_separated, "1\tx\n", b).find("column 2 'bf' (BFloat16)"), std::string::npos);
}

TEST(TypedInput, TimeAndTime64) {
  // As ClickHouse 26.7 reads them (tests/modern/input_conformance_test.cpp compares with it).
  const Block b = sample_of({{"t", "Time"}, {"t3", "Time64(3)"}});
  MemoryByteSource bytes("12:34:56\t12:34:56.7891\n-999:59:59\t-00:00:01.5\n25:00:00\t100:00:00\n");
  TextInsertSource source(InputFormat::tab_separated, bytes);
  source.start(b);
  const auto block = source.next();
  ASSERT_TRUE(block);
  const auto& t = block->column_as<ColumnTime>("t");
  const auto& t3 = block->column_as<ColumnTime64>("t3");
  EXPECT_EQ(t[0], 45296);
  EXPECT_EQ(t[1], -3599999);
  EXPECT_EQ(t[2], 90000);
  EXPECT_EQ(t3[0], 45296789);  // the fourth fraction digit dropped
  EXPECT_EQ(t3[1], -1500);
  EXPECT_EQ(t3[2], 360000000);
  for (const std::string row : {"1000:00:00\t00:00:00\n", "12:60:00\t00:00:00\n", "12:34\t00:00:00\n",
                                "+12:34:56\t00:00:00\n", "12:34:56.5\t00:00:00\n"}) {
    SCOPED_TRACE(row);
    const std::string m = load_error(InputFormat::tab_separated, "00:00:00\t00:00:00\n" + row, b);
    EXPECT_NE(m.find("row 2 (line 2)"), std::string::npos) << m;
    EXPECT_NE(m.find("column 1 't' (Time): the value '" + row.substr(0, row.find('\t')) + "'"), std::string::npos) << m;
  }
  EXPECT_NE(load_error(InputFormat::tab_separated, "00:00:00\t1:2:3\n", b).find("column 2 't3' (Time64(3))"),
            std::string::npos);
}

TEST(InputBounds, BlocksAreBoundedByRowsAndBytes) {
  const Block one = sample_of({{"x", "UInt64"}});
  std::string data;
  for (int i = 0; i < 10; ++i) data += std::to_string(i) + "\n";
  InputOptions rows;
  rows.max_block_rows = 4;
  EXPECT_EQ(load(InputFormat::tab_separated, data, one, rows).block_rows, (std::vector<std::size_t>{4, 4, 2}));
  InputOptions bytes;
  bytes.max_block_bytes = 5;  // each row is 1 byte of text: a block ends at the row reaching 5
  EXPECT_EQ(load(InputFormat::tab_separated, data, one, bytes).block_rows, (std::vector<std::size_t>{5, 5}));
}

TEST(InputBounds, TheDefaultBlockIsOneMebibyteOfText) {
  // 3 MiB of rows of 64 bytes (and a newline) with the default options: blocks of 1 MiB of text
  // (16384 rows), so a load holds one small block at a time (with 32 MiB blocks a CLI load of 10^6
  // rows peaked at 90 MiB).
  const Block one = sample_of({{"s", "String"}});
  const std::string row = std::string(64, 'x') + "\n";
  std::string data;
  for (int i = 0; i < 3 * 16384; ++i) data += row;
  EXPECT_EQ(InputOptions{}.max_block_bytes, std::size_t{1} << 20);
  EXPECT_EQ(load(InputFormat::tab_separated, data, one).block_rows, (std::vector<std::size_t>{16384, 16384, 16384}));
}

TEST(InputBounds, ARowLongerThanTheLimitIsAnErrorBeforeItIsBufferedWhole) {
  // A source that would give a 1 GiB line: the parser must stop after max_row_bytes.
  class Endless final : public ByteSource {
   public:
    std::size_t read(char* data, std::size_t size) override {
      std::fill(data, data + size, 'x');
      given += size;
      return size;
    }
    std::size_t given = 0;
  };
  const Block one = sample_of({{"s", "String"}});
  for (InputFormat f :
       {InputFormat::tab_separated, InputFormat::csv, InputFormat::values, InputFormat::json_each_row}) {
    Endless endless;
    InputOptions options;
    options.max_row_bytes = 1 << 20;
    TextInsertSource source(f, endless, options);
    source.start(one);
    const Error e = test::thrown_error([&] { source.next(); });
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    if (f != InputFormat::values && f != InputFormat::json_each_row) {
      EXPECT_NE(e.message().find("max_row_bytes"), std::string::npos) << e.message();
    }
    EXPECT_LE(endless.given, std::size_t{4} << 20) << to_string(f);
  }
}

TEST(InputBounds, DeepNestingIsAnError) {
  const Block b = sample_of({{"a", "Array(Array(UInt8))"}});
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_NE(load_error(InputFormat::tab_separated, deep, b).find("column 1 'a'"), std::string::npos);
}

TEST(InputSource, NextBeforeStartAndNoColumnsAreUsageErrors) {
  MemoryByteSource bytes("1\n");
  TextInsertSource source(InputFormat::tab_separated, bytes);
  EXPECT_THROW(source.next(), Error);
  EXPECT_THROW(source.start(Block{}), Error);
}

}  // namespace
}  // namespace chconn::text
