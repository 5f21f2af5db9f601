// EmbeddedConnection (chconn/connection/embedded_connection.h) against chDB's engine in this
// process. The library is found as the connection finds it: CHCONN_CHDB_LIBRARY (recorded by
// CMake from chconn_fetch_chdb), else chconn_fetch_chdb's cache. Without it every test fails with
// the connection's Error(config) naming the paths it tried: nothing here skips.
//
// Twins of the integration suite (tests/integration/native_connection_test.cpp), run on the
// embedded engine: SelectOneAndStrings, ManyRowsAllCompressions (streamed, one compression),
// ServerErrorsKeepConnectionUsable, InsertAndReadBack, InsertRoundTripOfEveryType,
// InsertTypeMismatchInsertsNothing, ParametersCannotInject, InsertStatementsThroughExecute (which
// on 26.7 reads VALUES itself).
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "../../integration/all_types.h"
#include "../../integration/cli_support.h"
#include "../../integration/parameter_injection.h"
#include "chconn/connection/embedded_connection.h"
#include "chconn/core/error.h"
#include "chconn/core/sql.h"
#include "chconn/factory/factory.h"
#include "chconn/format/text.h"
#include "chconn/wire/columns.h"
#include "connection/substitution.h"
#include "support/expect_error.h"
#include "support/pty_child.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;
using test::expect_error;

std::unique_ptr<EmbeddedConnection> open_embedded(Config config = Config::from_dsn("embedded://")) {
  return EmbeddedConnection::open(config, Deadline::after(60s));
}

template <class C>
std::shared_ptr<C> new_column(std::string_view type) {
  return column_cast<C>(make_column(parse_type(type)));
}

TEST(Embedded, ReportsTheEngine) {
  auto conn = open_embedded();
  EXPECT_EQ(conn->server_info().name, "chDB");
  EXPECT_EQ(conn->server_info().version_major, 26u);
  EXPECT_EQ(conn->server_info().revision, 0u);
  EXPECT_FALSE(conn->server_info().timezone.empty());
  EXPECT_EQ(conn->peer(), "embedded");
  EXPECT_TRUE(conn->usable());
  conn->ping(Deadline::after(5s));
  conn->close();
  EXPECT_FALSE(conn->usable());
  expect_error(ErrorKind::usage, [&] { conn->execute("SELECT 1"); }, {"closed"});
}

TEST(Embedded, SelectOneAndStrings) {
  auto conn = open_embedded();
  Result r = conn->execute("SELECT 1 AS x, 'ab' AS s");
  ASSERT_EQ(r.row_count(), 1u);
  EXPECT_EQ(r.row(0).get<int>("x"), 1);
  EXPECT_EQ(r.row(0).get<std::string>("s"), "ab");
  ASSERT_EQ(r.header.column_count(), 2u);
  EXPECT_EQ(r.header.column(0)->type()->name(), "UInt8");
}

// An empty result has its header when the engine sends one, and no rows.
TEST(Embedded, EmptyResult) {
  auto conn = open_embedded();
  Result r = conn->execute("SELECT number AS n FROM numbers(10) WHERE n > 100");
  EXPECT_EQ(r.row_count(), 0u);
  EXPECT_TRUE(r.blocks.empty());
}

// A top-level DateTime('zone') keeps its zone although Native output at revision 0 drops it; one
// without a zone, and zones inside Nullable, stay as they are.
TEST(Embedded, DateTimeZonesAreRestored) {
  auto conn = open_embedded();
  const char* sql =
      "SELECT toDateTime(0, 'Asia/Tokyo') AS t, toDateTime64(1.5, 3, 'America/New_York') AS t64, toDateTime(0) AS "
      "plain, toNullable(toDateTime(0, 'Europe/Berlin')) AS n";
  for (int streamed = 0; streamed < 2; ++streamed) {
    Result r;
    if (streamed) {
      std::vector<Block> blocks;
      r = conn->select(sql, [&](const Block& b) { blocks.push_back(b); });
      r.blocks = std::move(blocks);
    } else {
      r = conn->execute(sql);
    }
    ASSERT_EQ(r.header.column_count(), 4u);
    EXPECT_EQ(r.header.column(0)->type()->name(), "DateTime('Asia/Tokyo')") << streamed;
    EXPECT_EQ(r.header.column(1)->type()->name(), "DateTime64(3, 'America/New_York')") << streamed;
    EXPECT_EQ(r.header.column(2)->type()->name(), "DateTime") << streamed;
    EXPECT_EQ(r.header.column(3)->type()->name(), "Nullable(DateTime('Europe/Berlin'))") << streamed;
    ASSERT_EQ(r.blocks.size(), 1u);
    EXPECT_EQ(r.blocks[0].column(0)->type()->name(), "DateTime('Asia/Tokyo')");
    EXPECT_EQ(r.row(0).get<std::chrono::sys_seconds>("t").time_since_epoch().count(), 0);
    EXPECT_EQ(r.row(0).get<std::chrono::sys_time<std::chrono::milliseconds>>("t64").time_since_epoch().count(), 1500);
  }
}

// A result of many blocks comes through the streaming API: every row once, in order, in more than
// one block, and the cursor holds the blocks of one fetched chunk at a time.
TEST(Embedded, ManyBlocksStreamed) {
  auto conn = open_embedded();
  QueryOptions options;
  options.settings.set("max_block_size", "10000");
  std::uint64_t rows = 0, sum = 0, blocks = 0, expected_next = 0;
  bool in_order = true;
  conn->select(
      "SELECT number FROM system.numbers LIMIT 1000000",
      [&](const Block& block) {
        const auto& col = column_cast<ColumnUInt64>(*block.column(0));
        for (std::size_t i = 0; i < col.size(); ++i) {
          in_order = in_order && col.at(i) == expected_next++;
          sum += col.at(i);
        }
        rows += col.size();
        ++blocks;
      },
      options);
  EXPECT_EQ(rows, 1000000u);
  EXPECT_EQ(sum, std::uint64_t{999999} * 1000000 / 2);
  EXPECT_TRUE(in_order);
  EXPECT_GE(blocks, 100u);  // max_block_size reached the engine
  // The query's setting was set back: a later query runs with the default block size.
  EXPECT_EQ(conn->execute("SELECT getSetting('max_block_size') AS b").value<std::uint64_t>("b"), 65409u);

  // The cursor form, abandoned half-way: the stream is cancelled and the session takes the next call.
  {
    auto cursor = conn->query("SELECT number FROM system.numbers LIMIT 1000000", options);
    std::optional<Block> first = cursor->next();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(cursor->summary().header.column(0)->type()->name(), "UInt64");
    expect_error(ErrorKind::usage, [&] { conn->execute("SELECT 1"); }, {"cursor"});
  }
  EXPECT_EQ(conn->execute("SELECT 3 AS x").value<int>("x"), 3);
}

TEST(Embedded, ServerErrorsKeepConnectionUsable) {
  auto conn = open_embedded();
  const Error e = test::thrown_error([&] { conn->execute("SELECT * FROM no_such_table_xyz"); });
  EXPECT_EQ(e.kind(), ErrorKind::server);
  EXPECT_EQ(e.server_code(), server_codes::unknown_table);
  EXPECT_EQ(e.server_name(), "DB::Exception");
  EXPECT_NE(e.message().find("no_such_table_xyz"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("(UNKNOWN_TABLE)"), std::string::npos) << e.what();
  EXPECT_EQ(e.message().find("Code:"), std::string::npos) << e.what();
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(test::thrown_error([&] { conn->execute("SELEC 1"); }).server_code(), server_codes::syntax_error);
  // An error in the middle of a streamed result.
  const Error mid = test::thrown_error(
      [&] { conn->select("SELECT throwIf(number = 200000, 'boom') FROM numbers(1000000)", [](const Block&) {}); });
  EXPECT_EQ(mid.kind(), ErrorKind::server);
  EXPECT_EQ(mid.server_code(), 395);  // FUNCTION_THROW_IF_VALUE_IS_NON_ZERO
  EXPECT_EQ(conn->execute("SELECT 2 AS y").value<int>("y"), 2);
  expect_error(ErrorKind::usage, [&] { conn->execute("SELECT 1 FORMAT JSON"); }, {"FORMAT JSON"});
}

TEST(Embedded, InsertAndReadBack) {
  auto conn = open_embedded();
  conn->execute("DROP TABLE IF EXISTS insert_rt");
  conn->execute(
      "CREATE TABLE insert_rt (id UInt64, name String, score Nullable(Float64), at DateTime('Asia/Tokyo'), "
      "m UInt64 MATERIALIZED id * 2) ENGINE = Memory");
  std::vector<Block> blocks;
  for (std::uint64_t b = 0; b < 3; ++b) {
    auto id = new_column<ColumnUInt64>("UInt64");
    auto name = new_column<ColumnString>("String");
    auto score = new_column<ColumnNullable>("Nullable(Float64)");
    auto at = new_column<ColumnDateTime>("DateTime('Asia/Tokyo')");
    for (std::uint64_t i = b * 1000; i < (b + 1) * 1000; ++i) {
      id->append(i);
      name->append("name-" + std::to_string(i));
      at->append(static_cast<std::uint32_t>(i));
      if (i % 3 == 0) {
        score->append_null();
      } else {
        column_cast<ColumnFloat64>(score->nested()).append(static_cast<double>(i) / 2);
        score->append_not_null();
      }
    }
    Block block;
    // Not in the table's order: columns are matched by name.
    block.append("name", name);
    block.append("score", score);
    block.append("at", at);
    block.append("id", id);
    blocks.push_back(std::move(block));
  }
  conn->insert("insert_rt", blocks);
  Result r = conn->execute(
      "SELECT count() AS n, sum(id) AS s, countIf(isNull(score)) AS nulls, sum(m) AS m, sum(toUInt32(at)) AS at FROM "
      "insert_rt");
  EXPECT_EQ(r.row(0).get<std::uint64_t>("n"), 3000u);
  EXPECT_EQ(r.row(0).get<std::uint64_t>("s"), 2999u * 3000u / 2);
  EXPECT_EQ(r.row(0).get<std::uint64_t>("nulls"), 1000u);
  EXPECT_EQ(r.row(0).get<std::uint64_t>("m"), 2999u * 3000u);
  EXPECT_EQ(r.row(0).get<std::uint64_t>("at"), 2999u * 3000u / 2);
  Result one = conn->execute("SELECT name, score, at FROM insert_rt WHERE id = 7");
  EXPECT_EQ(one.row(0).get<std::string>("name"), "name-7");
  EXPECT_EQ(one.row(0).get<std::optional<double>>("score"), 3.5);
  EXPECT_EQ(one.header.column(2)->type()->name(), "DateTime('Asia/Tokyo')");

  // Some columns only, named in the target.
  auto id = new_column<ColumnUInt64>("UInt64");
  id->append(5000);
  Block only_id;
  only_id.append("id", id);
  conn->insert("insert_rt (id)", only_id);
  EXPECT_EQ(conn->execute("SELECT name, toUInt32(at) AS at FROM insert_rt WHERE id = 5000").value<std::string>("name"),
            "");
}

// The integration suite's every-type tables, read, inserted into a copy and read back through the
// embedded engine: the engine decodes what chconn encoded at revision 0, for every type.
TEST(Embedded, InsertRoundTripOfEveryType) {
  auto conn = open_embedded();
  const std::string db = "chconn_cli_cmp";
  const std::string script = test::all_types_setup(db);
  for (std::string_view statement : sql::split_statements(script)) conn->execute(statement);
  for (const char* table : test::k_all_types_tables) {
    const std::string from = db + "." + table;
    const std::string to = db + ".copy_" + table;
    conn->execute("CREATE TABLE " + to + " AS " + from);
    const Result original = conn->execute("SELECT * FROM " + from + " ORDER BY id");
    ASSERT_GT(original.row_count(), 0u) << table;
    conn->insert(to, original.blocks);
    const Result copy = conn->execute("SELECT * FROM " + to + " ORDER BY id");
    ASSERT_EQ(copy.header.column_count(), original.header.column_count()) << table;
    for (std::size_t i = 0; i < copy.header.column_count(); ++i) {
      EXPECT_EQ(copy.header.column(i)->type()->name(), original.header.column(i)->type()->name()) << table;
    }
    EXPECT_EQ(test::rendered_rows(copy), test::rendered_rows(original)) << table;
  }
  // The zones of the table's columns came back (top-level DateTime('Asia/Tokyo') and New York).
  const Result typed = conn->execute("SELECT dtt, dtn FROM " + db + ".all_types LIMIT 1");
  EXPECT_EQ(typed.header.column(0)->type()->name(), "DateTime('Asia/Tokyo')");
  EXPECT_EQ(typed.header.column(1)->type()->name(), "DateTime('America/New_York')");
  conn->execute("DROP DATABASE " + db);
}

TEST(Embedded, InsertTypeMismatchInsertsNothing) {
  auto conn = open_embedded();
  conn->execute("DROP TABLE IF EXISTS insert_mismatch");
  conn->execute("CREATE TABLE insert_mismatch (id UInt64, name String) ENGINE = Memory");
  auto id = new_column<ColumnUInt32>("UInt32");  // the table wants UInt64
  id->append(1);
  auto name = new_column<ColumnString>("String");
  name->append("x");
  Block block;
  block.append("id", id);
  block.append("name", name);
  expect_error(ErrorKind::usage, [&] { conn->insert("insert_mismatch", block); }, {"UInt64"});
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(conn->execute("SELECT count() AS n FROM insert_mismatch").value<int>("n"), 0);
  // An unknown table is the engine's error, with its code.
  const Error e = [&] {
    try {
      conn->insert("no_such_table_xyz", block);
    } catch (const Error& error) {
      return error;
    }
    return Error(ErrorKind::usage, "no error");
  }();
  EXPECT_EQ(e.kind(), ErrorKind::server) << e.what();
  EXPECT_EQ(e.server_code(), server_codes::unknown_table) << e.what();
}

// Hostile values reach the engine as the values they are, bound by the engine (the path of servers
// with server-side parameters; the integration twin runs the substitution of 18.16).
TEST(Embedded, ParametersCannotInject) {
  auto conn = open_embedded();
  test::expect_parameters_cannot_inject(*conn);
}

// The values a server binds (protocol revision 54459 and later, and the engine's own
// chdb_query_with_params_n) are read by the type's TSV reader, which unescapes the text of scalar
// types but reads Array, Map and Tuple text as written. detail::bind_params sends each value in
// the form its placeholder's type reads; here every such value must come back as the typed literal
// that substitution (the path of 18.16) makes of it, byte for byte, with the engine binding it
// (the types may differ: a substituted String literal is a String where the placeholder says
// Nullable(String) or LowCardinality(String)).
TEST(Embedded, BoundParametersReadAsSubstitutedOnes) {
  auto conn = open_embedded();
  std::string every_byte;
  for (int b = 1; b < 256; ++b) every_byte += static_cast<char>(b);
  every_byte += '\0';
  struct Case {
    std::string type;
    std::string value;
    bool null = false;
    std::string reference;  // the value as SQL, where substitution has no literal (26.7 cannot CAST a String AS Map)
  };
  const std::vector<Case> cases = {
      {"String", every_byte},
      {"String", R"(\N)"},
      {"String", R"(a\tb\\c'd\'e)"},
      {"Nullable(String)", R"(\N)"},
      {"Nullable(String)", "", true},
      {"LowCardinality(String)", "tab\there\nnewline\\"},
      {"FixedString(6)", "a\\b\tc"},
      {"Enum8('a\\\\b' = 1, 'x''y' = 2)", R"(a\b)"},
      {"Enum8('a\\\\b' = 1, 'x''y' = 2)", "x'y"},
      {"Array(String)", R"(['a\\b', 'c\td', 'e\'f', 'tab	raw'])"},
      {"Array(Nullable(String))", R"(['x\\y', NULL])"},
      {"Map(String, Array(String))", R"({'k\\1': ['v\'2', '\n']})", false, R"(map('k\\1', ['v\'2', '\n']))"},
      {"Tuple(String, Int8)", R"(('a\\b', -3))"},
      {"Array(Tuple(String, Date))", R"([('q\\', '2024-02-29')])"},
      {"Date", "2024-02-29"},
      {"DateTime('UTC')", "2024-02-29 12:34:56"},
      {"DateTime64(3, 'Asia/Tokyo')", "2024-02-29 12:34:56.789"},
      {"UUID", "61f0c404-5cb3-11e7-907b-a6006ad3dba0"},
      {"IPv6", "2001:db8::1"},
      {"Decimal(10, 2)", "-1.50"},
      {"Float64", "0.1"},
      {"Int64", "-9223372036854775808"},
      {"UInt256", "115792089237316195423570985008687907853269984665640564039457584007913129639935"},
      {"Bool", "true"},
      {"UInt8", " 5\t"},
      {"Nullable(Float64)", "\n1.5 "},
      {"Int128", " -7 "},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.type + " <- " + c.value);
    const std::string sql =
        "SELECT toTypeName(v) AS t, ifNull(hex(toString(v)), 'NULL') AS h FROM (SELECT {p:" + c.type + "} AS v)";
    Params params;
    if (c.null)
      params.set_null("p");
    else
      params.set("p", c.value);
    const detail::BoundStatement bound = detail::bind_params(sql, params, true);
    ASSERT_EQ(bound.parameters.size(), 1u) << "the engine binds this type";
    EXPECT_EQ(bound.text, sql);
    const Result by_engine = conn->execute(sql, params);
    const Result substituted =
        conn->execute(c.reference.empty()
                          ? substitute_params(sql, params)
                          : "SELECT toTypeName(v) AS t, hex(toString(v)) AS h FROM (SELECT " + c.reference + " AS v)");
    ASSERT_EQ(by_engine.row_count(), 1u);
    EXPECT_EQ(by_engine.value<std::string>("t"), parse_type(c.type)->name());
    EXPECT_EQ(by_engine.value<std::string>("h"), substituted.value<std::string>("h"));
    if (c.type == "String") {
      std::string hex;
      for (const char ch : c.value) {
        constexpr std::string_view k_digits = "0123456789ABCDEF";
        hex += k_digits[static_cast<unsigned char>(ch) >> 4];
        hex += k_digits[static_cast<unsigned char>(ch) & 15];
      }
      EXPECT_EQ(by_engine.value<std::string>("h"), hex);
    }
  }
  // An identifier is read as written too.
  const std::string ident_sql = R"(SELECT {c:Identifier} AS v FROM (SELECT 7 AS `a\\b\tc`))";
  const Params ident = Params().set("c", "a\\b\tc");
  ASSERT_EQ(detail::bind_params(ident_sql, ident, true).parameters.size(), 1u);
  EXPECT_EQ(conn->execute(ident_sql, ident).value<int>("v"), 7);
  // A type chconn's parser does not take (an alias) is the engine's to judge: bound, escaped.
  const Params text = Params().set("s", "a\tb'c");
  ASSERT_EQ(detail::bind_params("SELECT {s:VARCHAR} AS s", text, true).parameters.size(), 1u);
  EXPECT_EQ(conn->execute("SELECT {s:VARCHAR} AS s", text).value<std::string>("s"), "a\tb'c");
  // Variant, Dynamic and JSON read a bound text twice over (x\\y and x\\\\y both came back x\y):
  // such queries are substituted, and the value arrives as it is.
  for (const std::string type : {"Variant(String, UInt64)", "Dynamic", "Array(Dynamic)"}) {
    SCOPED_TRACE(type);
    const std::string sql = "SELECT toString({p:" + type + "}) AS s";
    const std::string value = type == "Array(Dynamic)" ? R"(['x\\y'])" : R"(x\\y)";
    const Params params = Params().set("p", value);
    const detail::BoundStatement bound = detail::bind_params(sql, params, true);
    EXPECT_TRUE(bound.parameters.empty());
    EXPECT_EQ(bound.text, substitute_params(sql, params));
    EXPECT_EQ(conn->execute(sql, params).value<std::string>("s"), type == "Array(Dynamic)" ? R"(['x\\y'])" : R"(x\\y)");
  }
}

TEST(Embedded, InsertStatementsThroughExecute) {
  auto conn = open_embedded();
  conn->execute("DROP TABLE IF EXISTS exec_insert");
  conn->execute("CREATE TABLE exec_insert (x UInt64) ENGINE = Memory");
  conn->execute("INSERT INTO exec_insert SELECT number FROM system.numbers LIMIT 10");
  conn->execute("INSERT INTO exec_insert VALUES (100), (200)");
  EXPECT_EQ(conn->execute("SELECT count() AS n, sum(x) AS s FROM exec_insert").value<int>("s"), 345);
}

// Settings: the Config's are the session's; a query's apply to it alone.
TEST(Embedded, Settings) {
  Config config = Config::from_dsn("embedded://?setting.max_threads=3");
  auto conn = open_embedded(config);
  EXPECT_EQ(conn->execute("SELECT getSetting('max_threads') AS t").value<std::uint64_t>("t"), 3u);
  QueryOptions options;
  options.settings.set("max_threads", "2");
  EXPECT_EQ(conn->execute("SELECT getSetting('max_threads') AS t", options).value<std::uint64_t>("t"), 2u);
  EXPECT_EQ(conn->execute("SELECT getSetting('max_threads') AS t").value<std::uint64_t>("t"), 3u);
  // A bad setting is the engine's error, and nothing else changes.
  QueryOptions bad;
  bad.settings.set("max_threads", "1");
  bad.settings.set("no_such_setting_xyz", "1");
  const std::string message = expect_error(ErrorKind::server, [&] { conn->execute("SELECT 1", bad); });
  EXPECT_NE(message.find("no_such_setting_xyz"), std::string::npos) << message;
  EXPECT_EQ(conn->execute("SELECT getSetting('max_threads') AS t").value<std::uint64_t>("t"), 3u);
  EXPECT_FALSE(conn->session_changed());
  conn->execute("SET max_threads = 1");
  EXPECT_TRUE(conn->session_changed());
}

// Each connection is its own session: a temporary table of one is not seen by another, and
// connections run at once on their own threads.
TEST(Embedded, SessionsAreSeparate) {
  auto a = open_embedded();
  auto b = open_embedded();
  a->execute("CREATE TEMPORARY TABLE only_a (x UInt8)");
  EXPECT_EQ(a->execute("SELECT count() AS n FROM only_a").value<int>("n"), 0);
  expect_error(ErrorKind::server, [&] { b->execute("SELECT count() FROM only_a"); });
}

// A deadline or a stop between the chunks of a streamed result cancels the stream; the session
// takes the next call.
TEST(Embedded, StopAndDeadlineBetweenChunks) {
  auto conn = open_embedded();
  std::stop_source stop;
  QueryOptions options;
  options.stop = stop.get_token();
  options.settings.set("max_block_size", "1000");
  std::size_t blocks = 0;
  expect_error(ErrorKind::cancelled, [&] {
    conn->select(
        "SELECT number FROM system.numbers",
        [&](const Block&) {
          if (++blocks == 3) stop.request_stop();
        },
        options);
  });
  EXPECT_EQ(conn->execute("SELECT 4 AS x").value<int>("x"), 4);
  QueryOptions timed;
  timed.timeout = 200ms;
  timed.settings.set("max_block_size", "50");
  expect_error(ErrorKind::timeout, [&] {
    conn->select(
        "SELECT sleepEachRow(0.001), number FROM numbers(100000)", [](const Block&) {}, timed);
  });
  EXPECT_EQ(conn->execute("SELECT 5 AS x").value<int>("x"), 5);
}

// One call into the engine (a whole execute(), an aggregation that streams nothing until it ends)
// is stopped by the engine at the caller's deadline (max_execution_time from the time left), with
// Error(timeout), and the session stays usable. A max_execution_time of the caller's own rules
// instead, and its error stays the engine's.
TEST(Embedded, DeadlineStopsOneLongEngineCall) {
  auto conn = open_embedded();
  QueryOptions timed;
  timed.timeout = 300ms;
  // Each of these runs for about a quarter of an hour unless stopped: 10^11 rows hashed (10^8 took
  // 0.9 s on the 2-core machine).
  const std::string long_query = "SELECT count() AS n FROM numbers(100000000000) WHERE cityHash64(number) = 0";
  expect_error(ErrorKind::timeout, [&] { conn->execute(long_query, timed); }, {"did not finish within", "300 ms"});
  EXPECT_EQ(conn->execute("SELECT 6 AS x").value<int>("x"), 6);
  expect_error(ErrorKind::timeout,
               [&] {
                 conn->select(
                     long_query, [](const Block&) {}, timed);
               },
               {"max_execution_time"});
  EXPECT_EQ(conn->execute("SELECT 7 AS x").value<int>("x"), 7);
  conn->execute("CREATE TABLE IF NOT EXISTS long_insert (x UInt64) ENGINE = Null");
  expect_error(ErrorKind::timeout, [&] {
    conn->execute("INSERT INTO long_insert SELECT number FROM numbers(100000000000) WHERE cityHash64(number) = 0",
                  timed);
  });
  QueryOptions own;
  own.settings.set("max_execution_time", "0.2");
  const Error e = [&] {
    try {
      conn->execute(long_query, own);
    } catch (const Error& error) {
      return error;
    }
    return Error(ErrorKind::usage, "no error");
  }();
  EXPECT_EQ(e.kind(), ErrorKind::server) << e.what();
  EXPECT_EQ(e.server_code(), server_codes::timeout_exceeded) << e.what();
  // The query's own limit was set back to DEFAULT (none) after it: the next deadline is SET anew,
  // although the last limit chconn SET would fit it.
  expect_error(ErrorKind::timeout, [&] { conn->execute(long_query, timed); }, {"max_execution_time"});
  EXPECT_EQ(conn->execute("SELECT 8 AS x").value<int>("x"), 8);
}

// A limit in the statement's own SETTINGS clause is the caller's, as one in the query's settings
// is: the engine's TIMEOUT_EXCEEDED, not chconn's deadline (whose limit the clause overrides).
TEST(Embedded, StatementsOwnLimitGivesTheEnginesError) {
  auto conn = open_embedded();
  const std::string long_query = "SELECT count() AS n FROM numbers(100000000000) WHERE cityHash64(number) = 0";
  for (const std::string_view clause : {" SETTINGS max_execution_time = 0.2", " SETTINGS `max_execution_time` = 0.2"}) {
    const Error e = test::thrown_error([&] { conn->execute(long_query + std::string(clause)); });
    EXPECT_EQ(e.kind(), ErrorKind::server) << e.what();
    EXPECT_EQ(e.server_code(), server_codes::timeout_exceeded) << e.what();
  }
  // The name as a column, in a string or in a comment is not a limit: chconn's deadline rules.
  QueryOptions timed;
  timed.timeout = 300ms;
  expect_error(ErrorKind::timeout,
               [&] {
                 conn->execute(
                     "SELECT count() AS max_execution_time FROM numbers(100000000000) WHERE cityHash64(number) = 0 "
                     "AND 'max_execution_time' != '' -- SETTINGS max_execution_time = 1",
                     timed);
               },
               {"did not finish within", "300 ms"});
  EXPECT_EQ(conn->execute("SELECT 9 AS x").value<int>("x"), 9);
}

// One engine per process: a connection that asks for another data path is a clear error.
TEST(Embedded, AnotherPathIsAClearError) {
  auto first = open_embedded();
  expect_error(ErrorKind::config, [&] { open_embedded(Config::from_dsn("embedded:///tmp/chconn-other-path")); },
               {"one engine per process", "/tmp/chconn-other-path"});
  EXPECT_EQ(first->execute("SELECT 1 AS x").value<int>("x"), 1);
}

// The DSN is all it takes: initialize() registers "embedded" and makes it the default.
TEST(Embedded, ThroughTheFactory) {
  ConnectionFactory factory;
  initialize(factory, Config::from_dsn("embedded://"));
  EXPECT_EQ(factory.default_name(), "embedded");
  {
    Lease lease = factory.acquire("", Deadline::after(30s));
    EXPECT_EQ(lease->execute("SELECT 6 AS x").value<int>("x"), 6);
  }
  Lease again = factory.acquire("", Deadline::after(30s));
  EXPECT_EQ(again->execute("SELECT 7 AS x").value<int>("x"), 7);
  EXPECT_EQ(factory.get("embedded")->stats().created, 1u);  // the pool reused the session
}

// The CLI with an embedded DSN: no server, the engine's answer and its error codes as exit status.
TEST(Embedded, CliRunsWithoutAServer) {
  const std::string binary = test::chconn_binary();
  ASSERT_FALSE(binary.empty()) << "bin/chconn is not built";
  const auto r = test::run_process(
      {binary, "--dsn", "embedded://", "-q", "SELECT 1 AS x, 'a\\tb' AS s; SELECT * FROM no_such_table_cli"});
  EXPECT_EQ(r.exit_code, 60) << r.err;
  EXPECT_EQ(r.out, "1\ta\\tb\n");
  EXPECT_NE(r.err.find("Code: 60."), std::string::npos) << r.err;
  const auto missing =
      test::run_process({binary, "--dsn", "embedded://?chdb_library=/nonexistent/cli/libchdb.so", "-q", "SELECT 1"});
  EXPECT_EQ(missing.exit_code, 1) << missing.err;
  EXPECT_NE(missing.err.find("/nonexistent/cli/libchdb.so"), std::string::npos) << missing.err;
  EXPECT_EQ(missing.out, "");
}

// A SET the engine accepts with a value chconn's own output cannot read ('auto', TRUE in capitals)
// is not chconn's error: the script goes on, and chconn's output keeps its rules.
TEST(Embedded, CliSetWithAValueOnlyTheServerReadsGoesOn) {
  const std::string binary = test::chconn_binary();
  ASSERT_FALSE(binary.empty()) << "bin/chconn is not built";
  const auto r = test::run_process({binary, "--dsn", "embedded://", "-n", "-q",
                                    "SET output_format_pretty_color = 'auto'; SELECT 1 AS x; "
                                    "SET output_format_write_statistics = TRUE, max_threads = 2; SELECT 2 AS y"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n2\n") << r.err;
}

// A process that used the engine exits cleanly: the engine's sessions are closed and its threads
// joined at exit, before the library's own destructors run. Before, a `chconn --dsn
// embedded:///PATH` insert into a MergeTree table died with SIGSEGV in the exit handlers (6 of 8
// loads of 10^6 rows from stdin, 1 of 6 INSERT ... SELECTs), after storing the data.
TEST(Embedded, CliExitsCleanlyAfterMergeTreeInserts) {
  const std::string binary = test::chconn_binary();
  ASSERT_FALSE(binary.empty()) << "bin/chconn is not built";
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("chconn-exit-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const std::string dsn = "embedded://" + (dir / "engine").string();
  auto r = test::run_process(
      {binary, "--dsn", dsn, "-q", "CREATE TABLE t (a UInt64, s String) ENGINE = MergeTree ORDER BY a"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string rows;
  for (int i = 0; i < 1000000; ++i) rows += std::to_string(i) + "\tv" + std::to_string(i % 977) + "\n";
  constexpr int k_loads = 6;
  for (int i = 0; i < k_loads; ++i) {
    SCOPED_TRACE(i);
    r = test::run_process({binary, "--dsn", dsn, "-q", "INSERT INTO t FORMAT TabSeparated"}, rows);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  r = test::run_process({binary, "--dsn", dsn, "-q", "SELECT count() FROM t"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, std::to_string(k_loads * 1000000) + "\n");
  std::filesystem::remove_all(dir);
}

// chDB has no cancel inside one call, so SIGTERM during a long engine call cannot reach the query:
// the CLI exits 143 once its grace (the DSN's cancel_drain_timeout + 3 s) has passed, instead of
// running on until the query timeout (it ran 538 s of a 600 s timeout before).
TEST(Embedded, CliExitsOnSigtermDuringOneLongEngineCall) {
  const std::string binary = test::chconn_binary();
  ASSERT_FALSE(binary.empty()) << "bin/chconn is not built";
  // The signal must land inside the long call, which nothing outside the process can see start: a
  // signal that lands before it is seen by the call's own check (exit 143 too) and the run is
  // tried again, a little later after the first statement's output.
  bool inside_the_call = false;
  for (int attempt = 1; attempt <= 5 && !inside_the_call; ++attempt) {
    SCOPED_TRACE(attempt);
    test::PtyChild child({binary, "--dsn", "embedded://?cancel_drain_timeout=500ms", "--no-progress", "-n", "-q",
                          "SELECT 'the long query starts'; SELECT count() FROM numbers(100000000000) WHERE "
                          "cityHash64(number) = 0"});
    ASSERT_TRUE(child.wait_for("the long query starts", 60s)) << child.output();
    std::this_thread::sleep_for(attempt * 200ms);
    ASSERT_EQ(::kill(child.pid(), SIGTERM), 0);
    const int status = child.wait_exit(60s);
    EXPECT_EQ(status, 143) << child.output();
    if (child.output().find("the query was not sent") != std::string::npos) continue;
    EXPECT_NE(child.output().find("did not stop within 3500 ms of SIGTERM"), std::string::npos) << child.output();
    inside_the_call = true;
  }
  EXPECT_TRUE(inside_the_call) << "the signal never landed inside the engine call";
}

}  // namespace
}  // namespace chconn
