// Expressions in Values data (chconn/format/input.h): which fields are expressions, the SELECT
// that evaluates them (through a MockServer: the exact text sent, batches, a result of other than
// one row), and how the parser takes their values into columns of another type. Where a case says
// "18.16", clickhouse-client 18.16.1 was run on the same statement against the sandbox server.
#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/format/input.h"
#include "chconn/format/text.h"
#include "chconn/strategy/mock.h"
#include "chconn/wire/columns.h"
#include "support/expect_error.h"

namespace chconn::text {
namespace {

Block sample_of(const std::vector<std::pair<std::string, std::string>>& columns) {
  Block b;
  for (const auto& [name, type] : columns) b.append(name, make_column(parse_type(type)));
  return b;
}

// `data` loaded as Values with `evaluated`, as TabSeparated.
std::string load(std::string_view data, const Block& sample, std::vector<EvaluatedValue> evaluated) {
  MemoryByteSource bytes(data);
  InputOptions options;
  options.evaluated = std::make_shared<const std::vector<EvaluatedValue>>(std::move(evaluated));
  TextInsertSource source(InputFormat::values, bytes, std::move(options));
  source.start(sample);
  std::string out;
  BlockFormatter tsv(OutputFormat::tab_separated);
  while (auto block = source.next()) tsv.write_block(out, *block);
  return out;
}

std::string load_error(std::string_view data, const Block& sample, std::vector<EvaluatedValue> evaluated) {
  SCOPED_TRACE(data);
  return test::expect_error(ErrorKind::usage, [&] { load(data, sample, std::move(evaluated)); });
}

EvaluatedValue value(std::size_t row, std::size_t column, std::string literal, std::string_view type) {
  return EvaluatedValue{row, column, std::move(literal), parse_type(type)};
}

const Block k_table = sample_of({{"a", "UInt8"},
                                 {"s", "String"},
                                 {"d", "Date"},
                                 {"dt", "DateTime"},
                                 {"arr", "Array(UInt8)"},
                                 {"n", "Nullable(Int32)"}});

TEST(ValuesExpressions, ValuesFeedTheColumnParsersConvertedAs1816Does) {
  // 18.16: (1+1, toString(5), toDate('2000-01-01'), toDateTime('2001-02-03 04:05:06'),
  // [toUInt8(1)], -3) gives 2 5 2000-01-01 2001-02-03 04:05:06 [1] -3; a DateTime into a Date
  // column is its day, a Date into a DateTime column its midnight, 1.5*2 into UInt8 is 3, 2+NULL
  // into Nullable(Int32) is NULL.
  const std::string data =
      "(1+1, toString(5), toDate('2000-01-01'), toDateTime('2001-02-03 04:05:06'), [toUInt8(1)], -3),\n"
      "(1.5*2, 'x', toDateTime('2001-02-03 04:05:06'), toDate('2000-01-01'), [1, 1+1], 2+NULL)";
  EXPECT_EQ(load(data, k_table,
                 {value(1, 0, "2", "UInt16"), value(1, 1, "'5'", "String"), value(1, 2, "'2000-01-01'", "Date"),
                  value(1, 3, "'2001-02-03 04:05:06'", "DateTime"), value(1, 4, "[1]", "Array(UInt8)"),
                  value(2, 0, "3", "Float64"), value(2, 2, "'2001-02-03 04:05:06'", "DateTime"),
                  value(2, 3, "'2000-01-01'", "Date"), value(2, 4, "[1,2]", "Array(UInt16)"),
                  value(2, 5, "NULL", "Nullable(Nothing)")}),
            "2\t5\t2000-01-01\t2001-02-03 04:05:06\t[1]\t-3\n"
            "3\tx\t2001-02-03\t2000-01-01 00:00:00\t[1,2]\t\\N\n");
}

TEST(ValuesExpressions, ValuesThatDoNotFitAreErrorsNamingRowColumnAndExpression) {
  // 18.16: 1+1 into String is "Type mismatch in IN or VALUES section. Expected: String. Got:
  // UInt64"; 300+1 and NULL+1 into UInt8 are out of its range.
  std::string m =
      load_error("(1, 1+1, '2000-01-01', '2000-01-01 00:00:00', [], 1)", k_table, {value(1, 1, "2", "UInt16")});
  EXPECT_NE(m.find("row 1 (line 1)"), std::string::npos) << m;
  EXPECT_NE(m.find("column 2 's' (String): the value '1+1'"), std::string::npos) << m;
  EXPECT_NE(m.find("Type mismatch in IN or VALUES section. Expected: String. Got: UInt64"), std::string::npos) << m;
  m = load_error("(300+1, 'a', '2000-01-01', '2000-01-01 00:00:00', [], 1)", k_table, {value(1, 0, "301", "UInt16")});
  EXPECT_NE(m.find("column 1 'a' (UInt8): the value '300+1' (an expression of type UInt16, value '301')"),
            std::string::npos)
      << m;
  m = load_error("(NULL+1, 'a', '2000-01-01', '2000-01-01 00:00:00', [], 1)", k_table,
                 {value(1, 0, "NULL", "Nullable(Nothing)")});
  EXPECT_NE(m.find("is NULL, which is out of range of type UInt8"), std::string::npos) << m;
}

TEST(ValuesExpressions, WithoutValuesAnExpressionIsAnErrorSayingWhy) {
  // Data read as a stream (stdin) has no evaluated values: the message says where they work.
  MemoryByteSource bytes("(now(), 'a', '2000-01-01', '2000-01-01 00:00:00', [], 1)");
  TextInsertSource source(InputFormat::values, bytes);
  source.start(k_table);
  const Error e = test::thrown_error([&] { source.next(); });
  EXPECT_NE(e.message().find("the value 'now()' is an expression"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("not in data read as a stream (stdin)"), std::string::npos) << e.message();
  // Values that belong to other data are refused, never taken for the wrong field.
  const std::string m =
      load_error("(1, toString(1), '2000-01-01', '2000-01-01 00:00:00', [], 1)", k_table, {value(1, 0, "2", "UInt16")});
  EXPECT_NE(m.find("not of this data"), std::string::npos) << m;
}

// ---- evaluate_values_expressions through a MockServer -------------------------------------------

Result one_row(const std::vector<std::pair<std::string, std::string>>& columns,
               const std::vector<std::string>& tsv_values) {
  Block block = sample_of(columns);
  std::string row;
  for (std::size_t i = 0; i < tsv_values.size(); ++i) row += (i ? "\t" : "") + tsv_values[i];
  row += '\n';
  MemoryByteSource bytes(row);
  TextInsertSource source(InputFormat::tab_separated, bytes);
  source.start(block);
  Result r;
  r.header = sample_of(columns);
  r.blocks.push_back(*source.next());
  return r;
}

struct Evaluating {
  std::shared_ptr<MockServer> server = std::make_shared<MockServer>(MockServer::Options{.strict = true});
  MockConnection conn{server, 1, "mock:9000"};
};

TEST(ValuesExpressions, OneSelectOfTheExpressionsAsWrittenWithoutComments) {
  Evaluating e;
  // Literals (numbers with their sign, nan, 'strings', NULL, arrays and tuples of them) are not
  // sent; a comment inside an expression becomes a space, so it cannot hide what follows it.
  e.server->expect(
      "SELECT 1   + 1, now(), [toUInt8(1), 2], -x",
      MockReply{.result = one_row({{"a", "UInt16"}, {"b", "DateTime"}, {"c", "Array(UInt8)"}, {"d", "Int8"}},
                                  {"2", "2001-02-03 04:05:06", "[1,2]", "-7"})});
  const std::string data =
      "(1 /* c ) , */ + 1, -2, 'a', NULL, [1, -2], (3, 'x'), -nan),\n"
      "(now() -- line comment\n, [toUInt8(1), 2], -x)";
  const std::vector<EvaluatedValue> v = evaluate_values_expressions(e.conn, data);
  e.server->verify();
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0].row, 1u);
  EXPECT_EQ(v[0].column, 0u);
  EXPECT_EQ(v[0].literal, "2");
  EXPECT_EQ(v[0].type->name(), "UInt16");
  EXPECT_EQ(v[1].row, 2u);
  EXPECT_EQ(v[1].column, 0u);
  EXPECT_EQ(v[1].literal, "'2001-02-03 04:05:06'");
  EXPECT_EQ(v[2].literal, "[1,2]");
  EXPECT_EQ(v[3].column, 2u);
  EXPECT_EQ(v[3].literal, "-7");
}

TEST(ValuesExpressions, NoExpressionsNoQueryAndASemicolonIsLeftToTheParser) {
  Evaluating e;
  EXPECT_TRUE(evaluate_values_expressions(e.conn, "(1, 'a'), (-2, NULL)").empty());
  // A ';' inside a row never reaches the server (the parser refuses the row).
  EXPECT_TRUE(evaluate_values_expressions(e.conn, "(1, 2; DROP TABLE t)").empty());
  EXPECT_TRUE(e.server->calls().empty());
}

TEST(ValuesExpressions, BatchesStayUnderTheQueryBoundAndResultsUnderTheirs) {
  Evaluating e;
  e.server->expect("SELECT f(1), f(2)", MockReply{.result = one_row({{"a", "UInt8"}, {"b", "UInt8"}}, {"1", "2"})});
  e.server->expect("SELECT f(3)", MockReply{.result = one_row({{"a", "UInt8"}}, {"3"})});
  EvaluateOptions options;
  options.max_query_bytes = 20;
  const auto v = evaluate_values_expressions(e.conn, "(f(1), f(2)), (f(3), 0)", {}, options);
  e.server->verify();
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[2].literal, "3");

  Evaluating small;
  small.server->on("SELECT f(1)", MockReply{.result = one_row({{"a", "String"}}, {"long text"})});
  options.max_result_bytes = 8;
  test::expect_error(ErrorKind::usage, [&] { evaluate_values_expressions(small.conn, "(f(1))", {}, options); },
                     {"max_result_bytes"});
}

TEST(ValuesExpressions, AnExpressionOfManyRowsIsNotAConstant) {
  Evaluating e;
  Result two = one_row({{"a", "UInt8"}}, {"1"});
  two.blocks.push_back(two.blocks.front());
  e.server->on("SELECT arrayJoin([1, 2])", MockReply{.result = two});
  test::expect_error(ErrorKind::usage, [&] { evaluate_values_expressions(e.conn, "(arrayJoin([1, 2]))"); },
                     {"gave 2 rows"});
}

}  // namespace
}  // namespace chconn::text
