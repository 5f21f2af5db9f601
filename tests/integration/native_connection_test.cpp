// NativeConnection against a real ClickHouse 18.16 sandbox: handshake, queries, errors, inserts,
// compression, cancel and timeouts, parameters, TLS.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>

#include <unistd.h>

#include "all_types.h"
#include "chconn/connection/native_connection.h"
#include "chconn/core/error.h"
#include "chconn/core/sql.h"
#include "chconn/format/text.h"
#include "chconn/wire/columns.h"
#include "parameter_injection.h"
#include "support/connection_helpers.h"
#include "support/expect_error.h"

namespace chconn {
namespace {

using chconn::test::expect_error;

using namespace std::chrono_literals;
using test::connect;
using test::sandbox_config;

template <class C>
std::shared_ptr<C> new_column(std::string_view type) {
  return column_cast<C>(make_column(parse_type(type)));
}

TEST(NativeConnection, HandshakeReportsServer) {
  auto conn = test::connect_sandbox();
  EXPECT_EQ(conn->server_info().name, "ClickHouse");
  EXPECT_EQ(conn->server_info().revision, 54412u);
  EXPECT_EQ(conn->server_info().negotiated_revision, 54412u);
  EXPECT_TRUE(conn->usable());
  conn->ping(Deadline::after(5s));
}

TEST(NativeConnection, SelectOneAndStrings) {
  auto conn = test::connect_sandbox();
  Result r = conn->execute("SELECT 1 AS x, 'ab' AS s");
  ASSERT_EQ(r.row_count(), 1u);
  EXPECT_EQ(r.row(0).get<int>("x"), 1);
  EXPECT_EQ(r.row(0).get<std::string>("s"), "ab");
  EXPECT_EQ(r.header.column_count(), 2u);
  EXPECT_EQ(r.header.column(0)->type()->name(), "UInt8");
  EXPECT_FALSE(conn->last_query_id().empty());
}

TEST(NativeConnection, ManyRowsAllCompressions) {
  for (Compression c : {Compression::none, Compression::lz4, Compression::zstd}) {
    Config config = sandbox_config();
    config.compression = c;
    auto conn = connect(config);
    std::uint64_t rows = 0, sum = 0;
    conn->select("SELECT number FROM system.numbers LIMIT 1000000", [&](const Block& block) {
      const auto& col = block.column_as<ColumnUInt64>(0);
      for (std::uint64_t v : col.data()) sum += v;
      rows += block.rows();
    });
    EXPECT_EQ(rows, 1000000u) << to_string(c);
    EXPECT_EQ(sum, 999999ull * 1000000ull / 2) << to_string(c);
  }
}

// select() decodes each block into the columns of the one before when the callback kept nothing of
// it, and never into a column the callback kept (a copied Block or a ColumnRef).
TEST(NativeConnection, StreamedBlocksReuseColumnsTheCallbackDidNotKeep) {
  for (Compression c : {Compression::none, Compression::lz4}) {
    Config config = sandbox_config();
    config.compression = c;
    auto conn = connect(config);
    QueryOptions options;
    options.settings.set("max_block_size", "1000");
    std::vector<Block> kept_blocks;
    std::vector<ColumnRef> kept_columns;
    std::uint64_t rows = 0;
    std::size_t blocks = 0, reused = 0;
    const Column* previous = nullptr;  // column 0 of the previous block, when nothing kept it
    conn->select(
        "SELECT number, toString(number) AS s FROM system.numbers LIMIT 100000",
        [&](const Block& block) {
          if (previous != nullptr && block.column(0).get() == previous) ++reused;
          const auto& n = block.column_as<ColumnUInt64>(0);
          const auto& s = block.column_as<ColumnString>(1);
          for (std::size_t i = 0; i < block.rows(); ++i) {
            ASSERT_EQ(n.data()[i], rows + i);
            ASSERT_EQ(s[i], std::to_string(rows + i));
          }
          rows += block.rows();
          previous = nullptr;
          if (blocks % 3 == 0) {
            kept_blocks.push_back(block);
          } else if (blocks % 3 == 1) {
            kept_columns.push_back(block.column(1));
          } else {
            previous = block.column(0).get();
          }
          ++blocks;
        },
        options);
    EXPECT_EQ(rows, 100000u) << to_string(c);
    EXPECT_GE(blocks, 90u) << to_string(c);
    // Every third block came after one nobody kept: its columns were reused.
    EXPECT_GE(reused, blocks / 3 - 1) << to_string(c);
    // What the callback kept is intact after the whole stream.
    std::uint64_t kept_rows = 0;
    for (const Block& b : kept_blocks) {
      const auto& n = b.column_as<ColumnUInt64>(0);
      const auto& s = b.column_as<ColumnString>(1);
      for (std::size_t i = 0; i < b.rows(); ++i) ASSERT_EQ(s[i], std::to_string(n.data()[i])) << to_string(c);
      kept_rows += b.rows();
    }
    EXPECT_GT(kept_rows, 0u);
    for (const ColumnRef& col : kept_columns) {
      const auto& s = column_cast<ColumnString>(*col);
      ASSERT_GT(s.size(), 0u);
      const std::uint64_t first = std::stoull(std::string(s[0]));
      for (std::size_t i = 0; i < s.size(); ++i) ASSERT_EQ(s[i], std::to_string(first + i)) << to_string(c);
    }
  }
}

TEST(NativeConnection, ServerErrorsKeepConnectionUsable) {
  auto conn = test::connect_sandbox();
  const Error e = test::thrown_error([&] { conn->execute("SELECT * FROM no_such_table_xyz"); });
  EXPECT_EQ(e.kind(), ErrorKind::server);
  EXPECT_EQ(e.server_code(), server_codes::unknown_table);
  EXPECT_NE(std::string(e.what()).find("no_such_table_xyz"), std::string::npos);
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(test::thrown_error([&] { conn->execute("SELEC 1"); }).server_code(), server_codes::syntax_error);
  EXPECT_EQ(conn->execute("SELECT 2 AS y").value<int>("y"), 2);
}

TEST(NativeConnection, WrongPasswordUnknownDatabaseReadonly) {
  Config config = sandbox_config();
  config.user = std::string(test::k_password_user);
  config.password = "definitely-wrong-pw";
  const Error e = test::thrown_error([&] { connect(config); });
  EXPECT_EQ(e.kind(), ErrorKind::server);
  EXPECT_EQ(e.server_code(), server_codes::wrong_password);
  EXPECT_EQ(std::string(e.what()).find("definitely-wrong-pw"), std::string::npos);
  config.password = std::string(test::k_password);
  EXPECT_EQ(connect(config)->execute("SELECT 3 AS z").value<int>("z"), 3);

  Config bad_db = sandbox_config();
  bad_db.database = "no_such_database_q";
  EXPECT_EQ(test::thrown_error([&] { connect(bad_db); }).server_code(), server_codes::unknown_database);

  Config ro = sandbox_config();
  ro.user = std::string(test::k_readonly_user);
  ro.password = std::string(test::k_readonly_password);
  auto conn = connect(ro);
  const Error refused = test::thrown_error([&] { conn->execute("CREATE TABLE ro_attempt (x UInt8) ENGINE = Memory"); });
  EXPECT_EQ(refused.server_code(), server_codes::readonly);
}

TEST(NativeConnection, InsertAndReadBack) {
  for (Compression c : {Compression::none, Compression::lz4, Compression::zstd}) {
    Config config = sandbox_config();
    config.compression = c;
    auto conn = connect(config);
    conn->execute("DROP TABLE IF EXISTS insert_rt");
    conn->execute("CREATE TABLE insert_rt (id UInt64, name String, score Nullable(Float64)) ENGINE = Memory");
    auto id = new_column<ColumnUInt64>("UInt64");
    auto name = new_column<ColumnString>("String");
    auto score = new_column<ColumnNullable>("Nullable(Float64)");
    for (std::uint64_t i = 0; i < 1000; ++i) {
      id->append(i);
      name->append("name-" + std::to_string(i));
      if (i % 3 == 0) {
        score->append_null();
      } else {
        column_cast<ColumnFloat64>(score->nested()).append(static_cast<double>(i) / 2);
        score->append_not_null();
      }
    }
    Block block;
    // Deliberately not in the table's order: columns are matched by name.
    block.append("name", name);
    block.append("score", score);
    block.append("id", id);
    conn->insert("insert_rt", block);
    Result r = conn->execute("SELECT count() AS n, sum(id) AS s, countIf(isNull(score)) AS nulls FROM insert_rt");
    EXPECT_EQ(r.row(0).get<std::uint64_t>("n"), 1000u) << to_string(c);
    EXPECT_EQ(r.row(0).get<std::uint64_t>("s"), 999u * 1000u / 2);
    EXPECT_EQ(r.row(0).get<std::uint64_t>("nulls"), 334u);
    Result one = conn->execute("SELECT name, score FROM insert_rt WHERE id = 7");
    EXPECT_EQ(one.row(0).get<std::string>("name"), "name-7");
    EXPECT_EQ(one.row(0).get<std::optional<double>>("score"), 3.5);
  }
}

// Insert round trip of every type the server stores: each table of all_types.h is read through
// chconn, inserted through chconn into a copy, and the copy read back must hold the same values
// (the server decodes what chconn encoded, for every type, with every compression).
TEST(NativeConnection, InsertRoundTripOfEveryType) {
  const std::string db = "chconn_insert_types_" + std::to_string(::getpid());
  for (Compression c : {Compression::none, Compression::lz4, Compression::zstd}) {
    Config config = sandbox_config();
    config.compression = c;
    config.settings.set("allow_experimental_low_cardinality_type", "1");
    auto conn = connect(config);
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
      EXPECT_EQ(test::rendered_rows(copy), test::rendered_rows(original)) << table << ", " << to_string(c);
    }
    conn->execute("DROP DATABASE " + db);
  }
}

// The one type of 18.16 chconn cannot decode: an aggregate function's state has no length on the
// wire. The error names it, and the connection (now mid-stream) is given up.
TEST(NativeConnection, AggregateFunctionStateIsAClearError) {
  auto conn = test::connect_sandbox();
  const Error e = test::thrown_error([&] { conn->execute("SELECT uniqState(number) AS u FROM numbers(10)"); });
  EXPECT_EQ(e.kind(), ErrorKind::protocol) << e.what();
  EXPECT_NE(std::string(e.what()).find("AggregateFunction(uniq, UInt64)"), std::string::npos) << e.what();
  EXPECT_FALSE(conn->usable());
  auto fresh = test::connect_sandbox();
  EXPECT_EQ(fresh->execute("SELECT finalizeAggregation(uniqState(number)) AS u FROM numbers(10)").value<int>("u"), 10);
}

TEST(NativeConnection, InsertTypeMismatchInsertsNothing) {
  auto conn = test::connect_sandbox();
  conn->execute("DROP TABLE IF EXISTS insert_mismatch");
  conn->execute("CREATE TABLE insert_mismatch (id UInt64, name String) ENGINE = Memory");
  auto id = new_column<ColumnUInt32>("UInt32");  // the table wants UInt64
  id->append(1);
  auto name = new_column<ColumnString>("String");
  name->append("x");
  Block block;
  block.append("id", id);
  block.append("name", name);
  const Error e = test::thrown_error([&] { conn->insert("insert_mismatch", block); });
  EXPECT_EQ(e.kind(), ErrorKind::usage);
  EXPECT_NE(std::string(e.what()).find("UInt64"), std::string::npos) << e.what();
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(conn->execute("SELECT count() AS n FROM insert_mismatch").value<int>("n"), 0);
}

TEST(NativeConnection, QueryTimeoutCancelsAndKeepsConnection) {
  auto conn = test::connect_sandbox();
  QueryOptions options;
  options.timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  expect_error(ErrorKind::timeout, [&] { conn->execute("SELECT count() FROM system.numbers", options); });
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LT(elapsed, 10s);  // generous: the deadline plus at most the cancel drain
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(conn->execute("SELECT 5 AS v").value<int>("v"), 5);
}

TEST(NativeConnection, CallbackExceptionCancelsQuery) {
  auto conn = test::connect_sandbox();
  int blocks = 0;
  EXPECT_THROW(conn->select("SELECT number FROM system.numbers LIMIT 10000000",
                            [&](const Block&) {
                              if (++blocks == 2) throw std::runtime_error("enough");
                            }),
               std::runtime_error);
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(conn->execute("SELECT 6 AS v").value<int>("v"), 6);
}

// A callback that throws a chconn::Error (here Block::column of a name the result lacks, which is
// Error(usage)) stops the query like any other exception: before, the connection stayed usable
// with the rest of the reply unread, and the next query returned the old query's rows.
TEST(NativeConnection, CallbackErrorCancelsQueryAndTheNextQueryGetsItsOwnRows) {
  auto conn = test::connect_sandbox();
  QueryOptions small_blocks;
  small_blocks.settings.set("max_block_size", "1000");
  test::expect_error(ErrorKind::usage, [&] {
    conn->select(
        "SELECT number FROM numbers(100000)", [&](const Block& b) { (void)b.column("no_such_column"); }, small_blocks);
  });
  EXPECT_TRUE(conn->usable());
  Result next = conn->execute("SELECT 6 AS v");
  ASSERT_EQ(next.row_count(), 1u);
  EXPECT_EQ(next.value<int>("v"), 6);
  // The same for a progress callback.
  QueryOptions throwing_progress = small_blocks;
  throwing_progress.on_progress = [](const QueryProgress&, const QueryProgress&) {
    throw Error(ErrorKind::usage, "a progress callback that throws");
  };
  test::expect_error(ErrorKind::usage,
                     [&] { conn->execute("SELECT sum(number) FROM numbers(10000000)", throwing_progress); },
                     {"a progress callback that throws"});
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(conn->execute("SELECT 7 AS v").value<int>("v"), 7);
}

TEST(NativeConnection, ParametersCannotInject) {
  auto conn = test::connect_sandbox();
  test::expect_parameters_cannot_inject(*conn);
}

// Issue 13, item 1: a negative number after '-' formed "--" and commented out the rest of the line.
TEST(NativeConnection, NegativeParametersCannotCommentOutTheQuery) {
  auto conn = test::connect_sandbox();
  Result count = conn->execute("SELECT count() AS c FROM numbers(1000) WHERE number > 10-{lim:Int64} AND number < 20",
                               Params().set("lim", -1));
  EXPECT_EQ(count.row(0).get<std::uint64_t>("c"), 8u);  // 11 < number < 20, not 989

  Result kept = conn->execute("SELECT 100-{x:Int32} AS v, 'kept' AS w", Params().set("x", -1));
  ASSERT_EQ(kept.column_count(), 2u);
  EXPECT_EQ(kept.row(0).get<std::int64_t>("v"), 101);
  EXPECT_EQ(kept.row(0).get<std::string>("w"), "kept");

  // A value has its placeholder's type, as the server computes it: -{x:Int64} with -128 is 128
  // (a bare literal was Int8, where -(-128) is -128), and a Float32 is a Float32.
  const Result typed =
      conn->execute("SELECT -{x:Int64} AS v, toTypeName({x:Int64}) AS t, toTypeName({f:Float32}) AS ft",
                    Params().set("x", -128).set("f", "0.1"));
  EXPECT_EQ(typed.row(0).get<std::int64_t>("v"), 128);
  EXPECT_EQ(typed.row(0).get<std::string>("t"), "Int64");
  EXPECT_EQ(typed.row(0).get<std::string>("ft"), "Float32");
  EXPECT_EQ(conn->execute("SELECT tupleElement((7, 8), 1) AS a, (7, 8).{i:UInt8} AS b", Params().set("i", 2))
                .value<std::uint8_t>("b"),
            8);

  // Every numeric type and spelling, right after '-', '+', '*', '/' and a word: the value arrives
  // whole and the text after it survives.
  const std::pair<std::string, std::string> values[] = {
      {"Int8", "-128"},           {"Int16", "-1"},          {"Int32", "-7"},     {"Int64", "-9223372036854775807"},
      {"Float64", "-0.5"},        {"Float32", "-2"},        {"Float64", "-inf"}, {"Float64", "-1e-300"},
      {"Decimal(9, 2)", "-1.25"}, {"Nullable(Int32)", "-3"}};
  for (const auto& [type, value] : values) {
    for (const std::string op : {"-", "+", "*", "/"}) {
      const std::string sql = "SELECT toString(0" + op + "{v:" + type + "}) AS r, 'kept' AS w";
      Result r = conn->execute(sql, Params().set("v", value));
      ASSERT_EQ(r.column_count(), 2u) << sql << " with " << value;
      EXPECT_EQ(r.row(0).get<std::string>("w"), "kept") << sql << " with " << value;
    }
    Result echo = conn->execute("SELECT toString({v:" + type + "}) AS r", Params().set("v", value));
    EXPECT_FALSE(echo.row(0).get<std::string>("r").empty()) << type;
  }
  // '$' in a value cannot open or close a heredoc, and comes back unchanged; so do backslashes.
  const std::string dollars = R"($a$ $$ \x24 $)";
  EXPECT_EQ(conn->execute("SELECT {s:String} AS s", Params().set("s", dollars)).value<std::string>("s"), dollars);
  EXPECT_EQ(conn->execute("SELECT {s:Identifier} FROM (SELECT 7 AS `$a$`)", Params().set("s", "$a$"))
                .value<std::uint8_t>("$a$"),
            7);
  // A placeholder without a value is refused before anything is sent, parameters given or not.
  expect_error(ErrorKind::usage, [&] { conn->execute("SELECT {a:UInt64}"); });
  EXPECT_EQ(conn->execute("SELECT 1 AS one").value<int>("one"), 1);
}

// 18.16 ends a block comment at the first */, chconn's lexer (like ClickHouse from 20.10) at the
// matching one. A template with a comment inside a comment hid a string's quote from chconn: the
// value below was substituted where the server reads SQL and returned every database. Such a
// statement is refused before anything is sent, with parameters or without.
TEST(NativeConnection, NestedCommentsAreRefusedWhereTheServerDoesNotNestThem) {
  auto conn = test::connect_sandbox();
  ASSERT_LT(conn->server_info().revision, 54447u) << "this test needs a server that does not nest comments";
  const auto refused = [&](const std::string& sql, const Params& params) {
    const Error e = test::thrown_error([&] { const Result r = conn->execute(sql, params); });
    EXPECT_EQ(e.kind(), ErrorKind::usage) << e.what();
    EXPECT_NE(std::string(e.what()).find("comment inside a comment"), std::string::npos) << e.what();
  };
  refused("SELECT name FROM system.databases WHERE name = /* /* */ ' */ {db:String} -- '",
          Params().set("db", " OR 1 = 1 OR name = "));
  refused("SELECT /* /* */ 1 AS x", Params());
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(conn->execute("SELECT /* one */ 1 AS one /* two */").value<int>("one"), 1);
}

TEST(NativeConnection, TlsWithVerification) {
  Config config = sandbox_config("tls", true);
  auto conn = connect(config);
  EXPECT_EQ(conn->execute("SELECT 7 AS v").value<int>("v"), 7);
  config.tls.ca_file.clear();  // the system store does not trust the sandbox's certificate
  EXPECT_THROW(connect(config), Error);
}

}  // namespace
}  // namespace chconn

namespace chconn {
namespace {

TEST(NativeConnection, InsertStatementsThroughExecute) {
  auto conn = test::connect_sandbox();
  conn->execute("DROP TABLE IF EXISTS exec_insert");
  conn->execute("CREATE TABLE exec_insert (x UInt64) ENGINE = Memory");
  // INSERT ... SELECT runs on the server.
  conn->execute("INSERT INTO exec_insert SELECT number FROM system.numbers LIMIT 10");
  // 18.16 does not read VALUES from the query text: a clear error, nothing inserted, no hang.
  QueryOptions options;
  options.timeout = 20s;
  expect_error(ErrorKind::usage, [&] { conn->execute("INSERT INTO exec_insert VALUES (100), (200)", options); });
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(conn->execute("SELECT count() AS n FROM exec_insert").value<int>("n"), 10);
  // An INSERT without data inserts nothing, successfully.
  conn->execute("INSERT INTO exec_insert FORMAT TabSeparated");
  EXPECT_EQ(conn->execute("SELECT count() AS n FROM exec_insert").value<int>("n"), 10);
}

}  // namespace
}  // namespace chconn
