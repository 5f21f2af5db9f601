// MockServer / MockConnection / MockConnector / MockStrategy: the public test doubles. The first
// test mirrors the example in chconn/strategy/mock.h line for line.
#include "chconn/strategy/mock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <regex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "chconn/connection/insert_source.h"
#include "chconn/core/error.h"
#include "chconn/wire/columns.h"
#include "support/expect_error.h"
#include "support/mock_support.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;
using test::expect_error;

TEST(MockExample, ScriptedQueriesAndRecord) {
  auto mock = std::make_shared<chconn::MockStrategy>();
  chconn::Result count;
  auto n = std::make_shared<chconn::ColumnUInt64>();
  n->append(42);
  chconn::Block block;
  block.append("n", n);
  count.header.append("n", std::make_shared<chconn::ColumnUInt64>());  // names and types, 0 rows
  count.blocks.push_back(block);
  mock->server().on("SELECT count() AS n FROM users", {.result = count});
  mock->server().on(std::regex("^INSERT INTO `audit`"),
                    {.error = chconn::Error(chconn::ErrorKind::network, "connection reset by peer")});

  chconn::Lease lease = mock->acquire();
  EXPECT_EQ(lease->execute("SELECT count() AS n FROM users").value<std::uint64_t>("n"), 42u);
  EXPECT_THROW(lease->insert("audit", block), chconn::Error);
  EXPECT_FALSE(lease->usable());  // a network error breaks the connection

  auto calls = mock->server().calls();
  EXPECT_EQ(calls[0].sql, "SELECT count() AS n FROM users");
  EXPECT_EQ(calls[1].table, "audit");
  EXPECT_TRUE(mock->server().inserted("audit").empty());  // the failed insert sent nothing
}

class MockTest : public ::testing::Test {
 protected:
  ManualClock clock;
  std::shared_ptr<MockServer> server =
      std::make_shared<MockServer>(MockServer::Options{.clock = &clock, .sleep = MockServer::advance_on(clock)});
  MockConnector connector{server, {"a:9000", "b:9000"}};
  std::unique_ptr<Connection> connect() { return connector.connect(Deadline::never()); }
};

TEST_F(MockTest, ExactAndRegexRulesInOrder) {
  server->on("SELECT 1", {.result = test::uint64_result("x", {1})});
  server->on(std::regex("FROM t\\b"), {.result = test::uint64_result("x", {2})});
  server->on(std::regex("SELECT"), {.result = test::uint64_result("x", {3})});
  auto c = connect();
  EXPECT_EQ(test::first_uint64(c->execute("SELECT 1"), "x"), 1u);
  EXPECT_EQ(test::first_uint64(c->execute("SELECT * FROM t WHERE 1"), "x"), 2u);
  EXPECT_EQ(test::first_uint64(c->execute("SELECT 1 "), "x"), 3u) << "exact means the whole text";
  EXPECT_TRUE(c->execute("SHOW TABLES").blocks.empty()) << "no rule: an empty result";
}

TEST_F(MockTest, TimesLimitsARule) {
  server->on("SELECT 1",
             {.error = Error::from_server(202, "DB::Exception", "Too many simultaneous queries"), .times = 2});
  auto c = connect();
  EXPECT_THROW(c->execute("SELECT 1"), Error);
  EXPECT_THROW(c->execute("SELECT 1"), Error);
  EXPECT_NO_THROW(c->execute("SELECT 1"));
  EXPECT_TRUE(c->usable()) << "a server error does not break the connection";

  server->on("SELECT 2", {.error = Error(ErrorKind::timeout, "receive timed out")});
  EXPECT_THROW(c->execute("SELECT 2"), Error);
  EXPECT_FALSE(c->usable()) << "classify() says a timeout error breaks the connection";
}

TEST_F(MockTest, StrictModeFailsUnscriptedQueries) {
  auto strict = std::make_shared<MockServer>(MockServer::Options{.strict = true});
  MockConnector conn(strict);
  auto c = conn.connect(Deadline::never());
  const Error e = test::thrown_error([&] { c->execute("SELECT 42"); });
  EXPECT_EQ(e.kind(), ErrorKind::usage);
  EXPECT_NE(e.message().find("SELECT 42"), std::string::npos);
}

TEST_F(MockTest, NthCallFails) {
  server->fail_call(2, Error::from_server(241, "DB::Exception", "Memory limit exceeded"));
  auto a = connect();
  auto b = connect();
  EXPECT_NO_THROW(a->execute("SELECT 1"));
  const Error e = test::thrown_error([&] { b->execute("SELECT 2"); });
  EXPECT_EQ(e.server_code(), 241);
  EXPECT_NO_THROW(a->execute("SELECT 3"));
  EXPECT_EQ(server->query_count(), 3u);
  EXPECT_THROW(server->fail_call(0, Error(ErrorKind::usage, "x")), Error);
}

TEST_F(MockTest, RecordsParamsSettingsQueryIdAndConnection) {
  auto a = connect();
  auto b = connect();
  QueryOptions options;
  options.query_id = "q-1";
  options.settings.set("max_threads", "2");
  options.params.set("id", 7);
  a->execute("SELECT {id:UInt64}", options);
  b->ping(Deadline::never());
  const auto calls = server->calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].kind, MockCallKind::execute);
  EXPECT_EQ(calls[0].query_id, "q-1");
  EXPECT_EQ(calls[0].settings.get("max_threads"), "2");
  ASSERT_NE(calls[0].params.find("id"), nullptr);
  EXPECT_EQ(calls[0].params.find("id")->value, "7");
  EXPECT_EQ(calls[0].connection_id, dynamic_cast<MockConnection&>(*a).id());
  EXPECT_EQ(calls[0].peer, "a:9000");
  EXPECT_EQ(calls[1].kind, MockCallKind::ping);
  EXPECT_EQ(calls[1].peer, "b:9000");
  EXPECT_EQ(a->last_query_id(), "q-1");
  EXPECT_EQ(server->queries(), std::vector<std::string>{"SELECT {id:UInt64}"});
  server->clear_records();
  EXPECT_TRUE(server->calls().empty());
}

// External tables are read from their sources as a real connection reads them and recorded with
// the call; a bad table or a failing source fails the call before it is recorded.
TEST_F(MockTest, ExternalTablesAreReadAndRecorded) {
  auto c = connect();
  const Block ids = test::uint64_block("id", {1, 2, 3});
  const Block more = test::uint64_block("id", {4});
  const std::vector<Block> blocks{ids, more};
  BlockSpanSource source(blocks, "ids");
  QueryOptions options;
  options.external_tables.push_back({.name = "ids", .structure = ids.empty_copy(), .source = &source});
  c->execute("SELECT count() FROM ids", options);
  const auto calls = server->calls();
  ASSERT_EQ(calls.size(), 1u);
  ASSERT_EQ(calls[0].external_tables.size(), 1u);
  EXPECT_EQ(calls[0].external_tables[0].name, "ids");
  ASSERT_EQ(calls[0].external_tables[0].blocks.size(), 2u);
  EXPECT_EQ(calls[0].external_tables[0].blocks[0].rows(), 3u);
  EXPECT_EQ(calls[0].external_tables[0].blocks[1].rows(), 1u);

  // Checked as NativeConnection checks them: nothing recorded.
  server->clear_records();
  QueryOptions unnamed;
  unnamed.external_tables.push_back({.name = "", .structure = ids.empty_copy(), .source = &source});
  test::expect_error(ErrorKind::usage, [&] { c->execute("SELECT 1", unnamed); }, {"needs a name"});
  QueryOptions twice;
  twice.external_tables.push_back({.name = "t", .structure = ids.empty_copy(), .source = &source});
  twice.external_tables.push_back({.name = "t", .structure = ids.empty_copy(), .source = &source});
  test::expect_error(ErrorKind::usage, [&] { c->execute("SELECT 1", twice); }, {"two external tables are named 't'"});
  // A block of another structure: the source's error, with the table named.
  Block text;
  auto strings = std::make_shared<ColumnString>();
  strings->append("x");
  text.append("id", strings);
  const std::vector<Block> wrong{text};
  BlockSpanSource bad(wrong, "ids");
  QueryOptions mismatched;
  mismatched.external_tables.push_back({.name = "ids", .structure = ids.empty_copy(), .source = &bad});
  test::expect_error(ErrorKind::usage, [&] { c->execute("SELECT 1", mismatched); },
                     {"the external table 'ids'", "the query was not run"});
  // Not with an insert.
  QueryOptions with_insert;
  with_insert.external_tables.push_back({.name = "ids", .structure = ids.empty_copy(), .source = &source});
  BlockSpanSource rows(blocks, "t");
  test::expect_error(ErrorKind::usage, [&] { c->insert("t", rows, with_insert); }, {"not with an insert"});
  EXPECT_TRUE(server->calls().empty());
  EXPECT_TRUE(c->usable());
}

TEST_F(MockTest, InsertCapturePerTable) {
  auto c = connect();
  const Block one = test::uint64_block("id", {1, 2});
  const Block two = test::uint64_block("id", {3});
  std::vector<Block> both{one, two};
  c->insert("db.events", both);
  c->insert("other", one);
  const auto events = server->inserted("db.events");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].rows(), 2u);
  EXPECT_EQ(events[1].rows(), 1u);
  EXPECT_EQ(server->inserted("other").size(), 1u);
  EXPECT_TRUE(server->inserted("nothing").empty());
  EXPECT_EQ(server->calls()[0].sql, "INSERT INTO `db`.`events` VALUES");
  EXPECT_EQ(server->calls()[0].blocks, 2u);
}

// The mock parses an insert's table text as a real connection does: what is not a table name is
// Error(usage), recorded nowhere (issue 13, item 6).
TEST_F(MockTest, InsertTableTextThatIsNotANameIsRefused) {
  auto c = connect();
  const Block one = test::uint64_block("id", {1});
  for (const char* table : {"t SELECT 99, 'x' --", "t VALUES (1)", "db.t.u", "`t"}) {
    const Error e = test::thrown_error([&] { c->insert(table, one); });
    EXPECT_EQ(e.kind(), ErrorKind::usage) << table << ": " << e.what();
  }
  EXPECT_TRUE(server->calls().empty());
  EXPECT_TRUE(c->usable());
}

TEST_F(MockTest, SelectStreamsBlocks) {
  Result r = test::uint64_result("x", {1, 2});
  r.blocks.push_back(test::uint64_block("x", {3}));
  server->on("SELECT x", {.result = r});
  auto c = connect();
  std::size_t rows = 0;
  const Result out = c->select("SELECT x", [&](const Block& b) { rows += b.rows(); });
  EXPECT_EQ(rows, 3u);
  EXPECT_TRUE(out.blocks.empty());
  EXPECT_EQ(out.header.column_count(), 1u);
}

TEST_F(MockTest, DelayAdvancesTheManualClockInsteadOfSleeping) {
  server->on("SELECT sleep", {.delay = 30s});
  auto c = connect();
  const auto before = clock.now();
  c->execute("SELECT sleep");
  EXPECT_EQ(clock.now() - before, 30s);
}

// QueryOptions::stop, as a real connection honours it: before the call nothing is recorded; during
// a scripted delay the call ends at once with Error(cancelled) and the connection stays usable.
TEST_F(MockTest, StopBeforeTheCallIsCancelledAndNotRecorded) {
  server->on("SELECT 1", {.result = test::uint64_result("x", {1})});
  auto c = connect();
  std::stop_source source;
  source.request_stop();
  QueryOptions options;
  options.stop = source.get_token();
  expect_error(ErrorKind::cancelled, [&] { c->execute("SELECT 1", options); });
  EXPECT_EQ(server->query_count(), 0u);
  EXPECT_TRUE(c->usable());
}

TEST_F(MockTest, StopDuringAScriptedDelayEndsTheCall) {
  std::stop_source source;
  // The injected sleep is where the stop arrives: half-way through the 30 s delay.
  auto stopping = std::make_shared<MockServer>(MockServer::Options{.clock = &clock, .sleep = [&](Clock::duration d) {
                                                                     clock.advance(d / 2);
                                                                     source.request_stop();
                                                                   }});
  stopping->on("SELECT sleep", {.result = test::uint64_result("x", {1}), .delay = 30s});
  MockConnector stopping_connector{stopping, {"a:9000"}};
  auto c = stopping_connector.connect(Deadline::never());
  QueryOptions options;
  options.stop = source.get_token();
  expect_error(ErrorKind::cancelled, [&] { c->execute("SELECT sleep", options); });
  EXPECT_TRUE(c->usable());
}

// Without an injected sleep the delay really waits, and a stop from another thread wakes it: the
// call ends long before the scripted 60 s (the bound is generous for a loaded machine).
TEST(MockStop, StopFromAnotherThreadWakesARealDelay) {
  auto real = std::make_shared<MockServer>();
  real->on("SELECT sleep", {.result = test::uint64_result("x", {1}), .delay = 60s});
  MockConnector connector{real, {"a:9000"}};
  auto c = connector.connect(Deadline::never());
  std::stop_source source;
  QueryOptions options;
  options.stop = source.get_token();
  std::thread stopper([&] {
    std::this_thread::sleep_for(50ms);
    source.request_stop();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(c->execute("SELECT sleep", options), Error);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  stopper.join();
  EXPECT_LT(elapsed, 10s);
  EXPECT_TRUE(c->usable());
}

TEST_F(MockTest, DelayBeyondTheDeadlineTimesOut) {
  server->on("SELECT sleep", {.delay = 30s});
  auto c = connect();
  QueryOptions options;
  options.timeout = 10s;
  const auto before = clock.now();
  expect_error(ErrorKind::timeout, [&] { c->execute("SELECT sleep", options); });
  EXPECT_EQ(clock.now() - before, 10s) << "waited only until the deadline";
  EXPECT_TRUE(c->usable());
}

TEST_F(MockTest, PingFailuresAndBreaking) {
  auto c = connect();
  server->fail_next_pings(1);
  EXPECT_THROW(c->ping(Deadline::never()), Error);
  EXPECT_FALSE(c->usable()) << "the default ping failure is a network error";
  EXPECT_THROW(c->execute("SELECT 1"), Error) << "calls on a broken connection throw";

  auto d = connect();
  server->fail_next_pings(2, Error::from_server(202, "DB::Exception", "Too many simultaneous queries"));
  EXPECT_THROW(d->ping(Deadline::never()), Error);
  EXPECT_THROW(d->ping(Deadline::never()), Error);
  EXPECT_NO_THROW(d->ping(Deadline::never()));
  EXPECT_TRUE(d->usable());
  dynamic_cast<MockConnection&>(*d).break_connection();
  EXPECT_FALSE(d->usable());
}

TEST_F(MockTest, ConnectorRotatesPeersCountsAndFails) {
  auto a = connect();
  auto b = connect();
  EXPECT_EQ(a->peer(), "a:9000");
  EXPECT_EQ(b->peer(), "b:9000");
  EXPECT_EQ(connector.describe(), "a:9000,b:9000");
  server->fail_next_connects(1);
  EXPECT_THROW(connect(), Error);
  EXPECT_EQ(server->connect_attempts(), 3u);
  EXPECT_EQ(server->connections_made(), 2u);
  EXPECT_EQ(server->connections_open(), 2u);
  a->close();
  EXPECT_FALSE(a->usable());
  EXPECT_EQ(server->connections_open(), 1u);
  b.reset();
  EXPECT_EQ(server->connections_open(), 0u);
  EXPECT_EQ(server->max_connections_open(), 2u);
  EXPECT_EQ(a->server_info().name, "ClickHouse");
}

TEST_F(MockTest, MockStrategyLeasesFreshConnections) {
  MockStrategy mock(server);
  EXPECT_EQ(mock.name(), "mock");
  {
    Lease l = mock.acquire();
    l->execute("SELECT 1");
  }
  EXPECT_EQ(mock.stats().closed, 1u);
  EXPECT_EQ(server->connections_open(), 0u);
  MockStrategy named(nullptr, "fake");
  EXPECT_EQ(named.name(), "fake");
}

// ----- MockResult ---------------------------------------------------------------------------------

TEST_F(MockTest, MockResultBuildsTypedRowsThatReadBackAsTheyWereWritten) {
  using namespace std::chrono;
  const sys_days day = sys_days{year{2024} / February / 29};
  const sys_seconds second =
      sys_days{year{1969} / December / 31} + hours{23} + minutes{59} + seconds{59};  // 1 s before 1970
  const auto milli = time_point_cast<milliseconds>(sys_days{year{2024} / January / 1}) + milliseconds{1500};
  server->on("SELECT *", {.result = MockResult({{"id", "UInt64"},
                                                {"delta", "Int8"},
                                                {"name", "String"},
                                                {"code", "FixedString(2)"},
                                                {"score", "Nullable(Float64)"},
                                                {"day", "Date"},
                                                {"at", "DateTime64(3, 'UTC')"},
                                                {"born", "Date32"},
                                                {"tags", "Array(LowCardinality(String))"},
                                                {"ok", "Bool"},
                                                {"level", "Enum8('low' = 1, 'high' = 2)"}})
                                        .row(1u, -128, "alice", "ab", 2.5, day, milli, sys_days{year{1900} / 1 / 1},
                                             std::vector<std::string>{"x", "y"}, true, "high")
                                        .row(std::uint64_t{18446744073709551615u}, 127, "", "z", std::nullopt, day,
                                             milli, day, std::vector<std::string>{}, false, 1)});
  auto c = connect();
  const Result r = c->execute("SELECT *");
  ASSERT_EQ(r.row_count(), 2u);
  ASSERT_EQ(r.column_count(), 11u);
  EXPECT_EQ(r.header.column("score")->type()->name(), "Nullable(Float64)");
  const auto rows = r.rows();
  auto row = rows.begin();
  EXPECT_EQ((*row).get<std::uint64_t>("id"), 1u);
  EXPECT_EQ((*row).get<std::int8_t>("delta"), -128);
  EXPECT_EQ((*row).get<std::string_view>("name"), "alice");
  EXPECT_EQ((*row).get<std::optional<double>>("score"), 2.5);
  EXPECT_EQ((*row).get<sys_days>("day"), day);
  EXPECT_EQ((*row).get<sys_time<milliseconds>>("at"), milli);
  EXPECT_EQ((*row).get<sys_days>("born"), sys_days{year{1900} / 1 / 1});
  EXPECT_EQ((*row).get<bool>("ok"), true);
  ++row;
  EXPECT_EQ((*row).get<std::uint64_t>("id"), 18446744073709551615u);
  EXPECT_EQ((*row).get<std::optional<double>>("score"), std::nullopt);
  EXPECT_EQ((*row).get<bool>("ok"), false);
  // A header only, when there are no rows.
  const Result empty = MockResult({{"n", "UInt8"}});
  EXPECT_EQ(empty.column_count(), 1u);
  EXPECT_TRUE(empty.blocks.empty());
  // DateTime takes whole seconds, rounded down; it cannot hold a time before 1970, DateTime64 can.
  const Result dt = MockResult({{"t", "DateTime('UTC')"}}).row(milli);
  EXPECT_EQ(dt.value<sys_seconds>("t"), time_point_cast<seconds>(milli));
  test::expect_error(ErrorKind::usage,
                     [&] {
                       MockResult({{"t", "DateTime('UTC')"}}).row(second);
                     },
                     {"-1 is out of range"});
  const Result dt64 = MockResult({{"t", "DateTime64(0, 'UTC')"}}).row(second);
  EXPECT_EQ(dt64.value<sys_seconds>("t"), second);
}

TEST_F(MockTest, MockResultRefusesWhatItCannotHoldAndKeepsNothingOfTheRow) {
  MockResult m({{"n", "UInt8"}, {"s", "String"}});
  m.row(255, "ok");
  test::expect_error(ErrorKind::usage, [&] { m.row(256, "x"); },
                     {"column 'n' of type UInt8, row 2", "256 is out of range"});
  test::expect_error(ErrorKind::usage, [&] { m.row(-1, "x"); }, {"-1 is out of range"});
  test::expect_error(ErrorKind::usage, [&] { m.row(1, 2); },
                     {"column 's' of type String", "takes text, not an integer"});
  test::expect_error(ErrorKind::usage, [&] { m.row(1, std::nullopt); }, {"NULL in a column that is not Nullable"});
  test::expect_error(ErrorKind::usage, [&] { m.row(1); }, {"1 values for 2 columns"});
  EXPECT_EQ(m.rows(), 1u) << "a refused row leaves nothing behind";
  EXPECT_EQ(m.result().row_count(), 1u);
  test::expect_error(ErrorKind::usage, [] { MockResult({{"a", "UInt8"}, {"a", "String"}}); }, {"'a' given twice"});
  test::expect_error(ErrorKind::usage, [] { MockResult({{"a", "Nonsense(1)"}}); }, {"column 'a'"});
  test::expect_error(ErrorKind::usage, [] { MockResult(std::vector<MockResult::ColumnSpec>{}); },
                     {"at least one column"});
  test::expect_error(ErrorKind::usage,
                     [] {
                       MockResult({{"f", "FixedString(2)"}}).row("abc");
                     },
                     {"3 bytes do not fit in 2"});
  test::expect_error(ErrorKind::usage, [] { MockResult({{"u", "UUID"}}).row("x"); }, {"not built by MockResult"});
}

// ----- Parameters in rules, expectations and verify() -------------------------------------------------

TEST_F(MockTest, RulesCanMatchParameters) {
  const std::string sql = "SELECT name FROM users WHERE id = {id:UInt64}";
  server->on(sql, {.result = MockResult({{"name", "String"}}).row("alice"), .params = Params().set("id", 1)});
  server->on(sql, {.result = MockResult({{"name", "String"}}).row("bob"), .params = Params().set("id", 2)});
  auto c = connect();
  EXPECT_EQ(c->execute(sql, Params().set("id", 2), {}).value<std::string>("name"), "bob");
  EXPECT_EQ(c->execute(sql, Params().set("id", 1).set("unused", "x"), {}).value<std::string>("name"), "alice")
      << "other parameters of the call do not matter";
  EXPECT_TRUE(c->execute(sql, Params().set("id", 3), {}).blocks.empty()) << "no rule for id = 3";
  EXPECT_TRUE(c->execute(sql).blocks.empty()) << "a rule with parameters needs them";
}

TEST_F(MockTest, VerifyListsUnmetExpectationsAndUnexpectedCalls) {
  server->expect("SELECT 1", {.result = test::uint64_result("x", {1}), .times = 2});
  server->expect(std::regex("^INSERT INTO `audit`"), {}, "insert into audit");
  server->on("SELECT version()", {});  // allowed, not expected
  auto c = connect();
  c->execute("SELECT 1");
  c->execute("SELECT version()");
  c->execute("SELECT 2");
  const std::vector<std::string> problems = server->verification_problems();
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0], "expected 2 calls of `SELECT 1`, got 1");
  EXPECT_EQ(problems[1], "expected at least one call of /insert into audit/, got 0");
  EXPECT_EQ(problems[2], "unexpected execute of `SELECT 2`");
  test::expect_error(ErrorKind::usage, [&] { server->verify(); },
                     {"3 problem(s)", "got 1", "unexpected execute of `SELECT 2`"});

  // Expectations count the calls since the rule was added; clear_records() forgets the unexpected.
  server->clear_records();
  c->execute("SELECT 1");
  c->insert("audit", test::uint64_result("n", {1}).blocks.front());
  EXPECT_TRUE(server->verification_problems().empty());
  EXPECT_NO_THROW(server->verify());
}

}  // namespace
}  // namespace chconn
