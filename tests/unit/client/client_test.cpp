// chconn::client(): each call takes a lease and returns it, after success and after an exception.
#include "chconn/client/client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "chconn/core/error.h"
#include "chconn/manager/manager.h"
#include "chconn/strategy/mock.h"
#include "chconn/strategy/pooled.h"
#include "chconn/strategy/rollout.h"
#include "support/expect_error.h"
#include "support/mock_support.h"

namespace chconn {
namespace {

using chconn::test::expect_error;

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool = std::make_shared<PooledStrategy>(std::make_shared<MockConnector>(server),
                                            PooledOptions{.name = "pooled", .pool = {.max_size = 2}});
    factory.register_strategy(pool);
    factory.set_default("pooled");
  }
  std::shared_ptr<MockServer> server = std::make_shared<MockServer>();
  std::shared_ptr<PooledStrategy> pool;
  ConnectionFactory factory;
};

TEST_F(ClientTest, ExecuteReturnsTheLease) {
  Client c(factory);
  server->on("SELECT 1", {.result = test::uint64_result("x", {1})});
  EXPECT_EQ(test::first_uint64(c.execute("SELECT 1"), "x"), 1u);
  c.execute("SELECT {a:UInt8}", Params().set("a", 1));
  StrategyStats s = pool->stats();
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.idle, 1u);
  EXPECT_EQ(s.created, 1u) << "the second call reused the connection";
  c.insert("t", test::uint64_block("x", {1}));
  std::size_t rows = 0;
  server->on("SELECT x", {.result = test::uint64_result("x", {1, 2})});
  c.select("SELECT x", [&](const Block& b) { rows += b.rows(); });
  EXPECT_EQ(rows, 2u);
  c.ping();
  EXPECT_EQ(pool->stats().in_use, 0u);
  EXPECT_EQ(server->inserted("t").size(), 1u);
}

// Client::routed(key): every call of the copy, and its leases, reach the strategy's acquire_for
// with the key, so a rollout keeps one key on one side (tenant-42's point is 0.0487: on B from a
// share of 4.87 %; "a" is at 0.822: on A); the client it was made from routes at random.
TEST_F(ClientTest, RoutedCallsKeepOneKeyOnOneSideOfARollout) {
  auto server_b = std::make_shared<MockServer>();
  for (const auto& s : {server, server_b}) s->on("SELECT 1", {.result = test::uint64_result("x", {1})});
  auto b = std::make_shared<MockStrategy>(server_b, "new");
  factory.register_strategy(std::make_shared<RolloutStrategy>(pool, b, RolloutOptions{.share = 5, .random_seed = 1}));
  const Client plain(factory, "rollout");
  Client tenant = plain.routed("tenant-42");
  EXPECT_EQ(tenant.routing_key(), "tenant-42");
  EXPECT_TRUE(plain.routing_key().empty());
  for (int i = 0; i < 20; ++i) tenant.execute("SELECT 1");
  {
    Lease lease = tenant.lease();
    lease->execute("SELECT 1");
  }
  tenant.insert("t", test::uint64_block("x", {1}));
  EXPECT_EQ(server_b->query_count(), 22u);  // 20 calls, the lease's, the insert
  EXPECT_EQ(server_b->inserted("t").size(), 1u);
  EXPECT_EQ(server->query_count(), 0u);
  Client other = tenant.routed("a");
  for (int i = 0; i < 20; ++i) other.execute("SELECT 1");
  EXPECT_EQ(server->query_count(), 20u);
  EXPECT_EQ(server_b->query_count(), 22u);
  // Without a key, a 5 % share sends most of 200 calls to A and not all of them.
  Client unrouted = plain;
  for (int i = 0; i < 200; ++i) unrouted.execute("SELECT 1");
  EXPECT_GT(server->query_count(), 20u + 150u);
  EXPECT_LT(server->query_count(), 20u + 200u);
}

// The table text of insert() is names, never SQL: text that is not a table name is Error(usage)
// before a lease is taken, and nothing reaches the server (issue 13, item 6).
TEST_F(ClientTest, InsertTableTextThatIsNotANameIsRefusedBeforeAnythingIsSent) {
  Client c(factory);
  for (const char* table : {"t SELECT 99, 'x' --", "t; DROP TABLE t", "t (x) SELECT 1", ""}) {
    const Error e = test::thrown_error([&] { c.insert(table, test::uint64_block("x", {1})); });
    EXPECT_EQ(e.kind(), ErrorKind::usage) << table << ": " << e.what();
  }
  EXPECT_TRUE(server->calls().empty());
  EXPECT_EQ(server->connect_attempts(), 0u);
}

TEST_F(ClientTest, ServerErrorReturnsTheLeaseForReuse) {
  Client c(factory);
  server->on("SELECT bad", {.error = Error::from_server(62, "DB::Exception", "Syntax error")});
  EXPECT_THROW(c.execute("SELECT bad"), Error);
  const StrategyStats s = pool->stats();
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.idle, 1u);
  EXPECT_EQ(s.closed, 0u);
}

TEST_F(ClientTest, NetworkErrorDropsTheConnection) {
  Client c(factory);
  server->on("SELECT 1", {.error = Error(ErrorKind::network, "connection reset by peer"), .times = 1});
  EXPECT_THROW(c.execute("SELECT 1"), Error);
  EXPECT_EQ(pool->stats().in_use, 0u);
  EXPECT_EQ(pool->stats().closed, 1u);
  EXPECT_NO_THROW(c.execute("SELECT 1"));
}

TEST_F(ClientTest, ExceptionFromACallbackReturnsTheLease) {
  Client c(factory);
  server->on("SELECT x", {.result = test::uint64_result("x", {1})});
  EXPECT_THROW(c.select("SELECT x", [](const Block&) { throw std::runtime_error("stop"); }), std::runtime_error);
  EXPECT_EQ(pool->stats().in_use, 0u);
  EXPECT_EQ(pool->stats().idle, 1u);
}

TEST_F(ClientTest, NamedStrategyAndLease) {
  auto mock = std::make_shared<MockStrategy>(nullptr, "mock");
  factory.register_strategy(mock);
  Client c(factory, "mock");
  EXPECT_EQ(c.strategy(), "mock");
  c.execute("SELECT 2");
  EXPECT_EQ(mock->server().queries(), std::vector<std::string>{"SELECT 2"});
  {
    Lease l = Client(factory).lease();
    l->execute("CREATE TEMPORARY TABLE x (a UInt8)");
    EXPECT_EQ(pool->stats().in_use, 1u);
  }
  EXPECT_EQ(pool->stats().in_use, 0u);
}

TEST_F(ClientTest, UnknownStrategyFailsBeforeAnyConnection) {
  Client c(factory, "nope");
  EXPECT_THROW(c.execute("SELECT 1"), Error);
  EXPECT_EQ(server->connect_attempts(), 0u);
}

TEST(DefaultFactory, InitializeAndClientInTheTestingEnvironment) {
  Config config;
  config.environment = Environment::testing;
  chconn::initialize(config);
  EXPECT_EQ(&default_factory(), &default_factory());
  auto mock = std::dynamic_pointer_cast<MockStrategy>(default_factory().get("mock"));
  ASSERT_NE(mock, nullptr);
  mock->server().on("SELECT version()", {.result = test::uint64_result("v", {24})});
  EXPECT_EQ(test::first_uint64(chconn::client().execute("SELECT version()"), "v"), 24u);
  EXPECT_EQ(mock->server().queries(), std::vector<std::string>{"SELECT version()"});
  EXPECT_EQ(mock->stats().in_use, 0u);
  EXPECT_EQ(chconn::client("mock").strategy(), "mock");
}

// One call path (issue 16): a Client over a manager is the manager's caller. Its calls show in the
// manager's counters, its leases are the manager's, and a Client and the manager over one factory
// share its pools.
TEST_F(ClientTest, AClientOverAManagerGoesThroughIt) {
  auto shared = std::shared_ptr<ConnectionFactory>(std::shared_ptr<void>(), &factory);
  auto manager = std::make_shared<ConnectionManager>(shared, ManagerOptions::plain());
  Client c(manager);
  EXPECT_EQ(&c.manager(), manager.get());
  EXPECT_EQ(&c.factory(), &factory);
  server->on("SELECT 1", {.result = test::uint64_result("x", {1})});
  server->on("SELECT bad", {.error = Error::from_server(62, "DB::Exception", "Syntax error")});
  c.execute("SELECT 1");
  manager->execute("SELECT 1");
  EXPECT_THROW(c.execute("SELECT bad"), Error);
  const std::string metrics = manager->metrics_text();
  EXPECT_NE(metrics.find("chconn_queries_total{strategy=\"pooled\",outcome=\"success\"} 2"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("chconn_queries_total{strategy=\"pooled\",outcome=\"server\"} 1"), std::string::npos)
      << metrics;
  EXPECT_EQ(pool->stats().created, 1u) << "one pool, one connection, for both doors";
  EXPECT_THROW(Client(std::shared_ptr<ConnectionManager>()), Error);
}

// The plain options: one attempt, the error as it came (no retry annotation), and no breaker: a
// run of host failures that would open a default breaker (10 calls, 50%) leaves every call through.
TEST_F(ClientTest, ByDefaultAClientNeitherRetriesNorBreaks) {
  Client c(factory);
  server->on("SELECT 1", {.error = Error(ErrorKind::network, "connection reset by peer")});
  for (int i = 0; i < 12; ++i) {
    const Error e = test::thrown_error([&] { c.execute("SELECT 1"); });
    EXPECT_EQ(e.kind(), ErrorKind::network);
    EXPECT_STREQ(e.what(), Error(ErrorKind::network, "connection reset by peer").what()) << "unchanged";
  }
  EXPECT_EQ(server->calls().size(), 12u) << "one attempt per call, none refused by a breaker";
  EXPECT_EQ(c.manager().breaker("pooled").state(), CircuitState::closed);
}

// The same error does the same to the pool through either door (the trap of issue 16: a timed-out
// query whose Cancel was drained kept its connection through Client but retired the host's idle
// connections through the manager). A server error leaves the connection at rest: kept by both.
TEST_F(ClientTest, TheSameErrorDoesTheSameToTheLeaseThroughClientAndManager) {
  auto shared = std::shared_ptr<ConnectionFactory>(std::shared_ptr<void>(), &factory);
  ConnectionManager manager(shared);
  Client c(factory);
  server->on("SELECT bad", {.error = Error::from_server(62, "DB::Exception", "Syntax error")});
  EXPECT_THROW(c.execute("SELECT bad"), Error);
  const StrategyStats after_client = pool->stats();
  EXPECT_THROW(manager.execute("SELECT bad"), Error);
  const StrategyStats after_manager = pool->stats();
  EXPECT_EQ(after_client.idle, 1u);
  EXPECT_EQ(after_manager.idle, 1u);
  EXPECT_EQ(after_manager.closed, 0u);
  EXPECT_EQ(after_manager.created, 1u);
}

// Client::query over the mock (whose cursor hands out execute()'s blocks): the lease is held until
// the result ends, the outcome counted then; an error ends the lease by the one rule.
TEST_F(ClientTest, ACursorHoldsItsLeaseUntilItsResultEnds) {
  Client c(factory);
  Result two = test::uint64_result("x", {1, 2});
  two.blocks.push_back(test::uint64_block("x", {3}));
  server->on("SELECT x", {.result = two});
  {
    Cursor cursor = c.query("SELECT x");
    EXPECT_EQ(pool->stats().in_use, 1u);
    std::uint64_t sum = 0;
    std::size_t blocks = 0;
    while (std::optional<Block> block = cursor.next()) {
      ++blocks;
      for (std::size_t i = 0; i < block->rows(); ++i) sum += block->column_as<ColumnUInt64>(0).at(i);
    }
    EXPECT_EQ(blocks, 2u);
    EXPECT_EQ(sum, 6u);
    EXPECT_TRUE(cursor.done());
    EXPECT_EQ(pool->stats().in_use, 0u);
    EXPECT_FALSE(cursor.next().has_value());
  }
  {
    Cursor early = c.query("SELECT x");
    ASSERT_TRUE(early.next().has_value());
    Cursor moved = std::move(early);
    EXPECT_EQ(pool->stats().in_use, 1u);
    moved = Cursor();  // moving onto it ends the query and its lease
    EXPECT_EQ(pool->stats().in_use, 0u);
  }
  server->on("SELECT boom", {.error = Error(ErrorKind::network, "connection reset by peer")});
  EXPECT_THROW(c.query("SELECT boom"), Error);
  EXPECT_EQ(pool->stats().in_use, 0u);
  EXPECT_EQ(pool->stats().closed, 1u) << "the broken connection was dropped";
  const std::string metrics = c.manager().metrics_text();
  EXPECT_NE(metrics.find("chconn_queries_total{strategy=\"pooled\",outcome=\"success\"} 1"), std::string::npos)
      << "the cursor read to its end counts; the one ended early does not\n"
      << metrics;
  EXPECT_NE(metrics.find("chconn_queries_total{strategy=\"pooled\",outcome=\"network\"} 1"), std::string::npos)
      << metrics;
}

// The push-form insert through the mock: the blocks written are inserted on finish(), the lease is
// held until then, and an abandoned inserter inserts nothing there and counts as cancelled.
TEST_F(ClientTest, AnInserterHoldsItsLeaseUntilItFinishes) {
  Client c(factory);
  {
    Inserter ins = c.insert("audit");
    EXPECT_EQ(pool->stats().in_use, 1u);
    ins.write(test::uint64_block("x", {1, 2}));
    ins.write(test::uint64_block("x", {3}));
    EXPECT_EQ(ins.progress().rows, 3u);
    ins.finish();
    EXPECT_TRUE(ins.done());
    EXPECT_EQ(pool->stats().in_use, 0u);
    EXPECT_EQ(ins.progress().blocks, 2u);
    expect_error(ErrorKind::usage, [&] { ins.write(test::uint64_block("x", {4})); });
  }
  const std::vector<Block> inserted = server->inserted("audit");
  ASSERT_EQ(inserted.size(), 2u);
  EXPECT_EQ(inserted[0].rows() + inserted[1].rows(), 3u);
  {
    Inserter ins = c.insert("audit");
    ins.write(test::uint64_block("x", {9}));
  }  // abandoned
  EXPECT_EQ(pool->stats().in_use, 0u);
  EXPECT_EQ(server->inserted("audit").size(), 2u) << "the mock inserts on finish() only";
  // Text that is not a target is refused before a lease is taken.
  EXPECT_THROW(c.insert("audit; DROP TABLE x"), Error);
  EXPECT_EQ(pool->stats().created, 1u);
  const std::string metrics = c.manager().metrics_text();
  EXPECT_NE(metrics.find("chconn_queries_total{strategy=\"pooled\",outcome=\"success\"} 1"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("chconn_queries_total{strategy=\"pooled\",outcome=\"cancelled\"} 1"), std::string::npos)
      << metrics;
}

// initialize(config, manager_options) gives chconn::client() the manager's retries, over the same
// factory and pools; bad options change nothing.
TEST(DefaultFactory, InitializeWithManagerOptionsGivesClientsRetries) {
  Config config;
  config.environment = Environment::testing;
  chconn::initialize(config);
  const std::shared_ptr<ConnectionManager> plain = default_manager();
  EXPECT_EQ(plain->options().retry.max_attempts, 1);
  EXPECT_FALSE(plain->options().circuit_breaker);
  EXPECT_EQ(default_manager(), plain) << "one default manager until initialize() replaces it";

  ManagerOptions bad;
  bad.health_check_concurrency = 0;
  EXPECT_THROW(chconn::initialize(config, bad), Error);
  EXPECT_EQ(default_manager(), plain) << "bad options change nothing";

  ManagerOptions retrying;
  retrying.retry.max_attempts = 3;
  retrying.retry.base_delay = std::chrono::milliseconds(1);
  retrying.retry.max_delay = std::chrono::milliseconds(1);
  chconn::initialize(config, retrying);
  ASSERT_NE(default_manager(), plain);
  EXPECT_EQ(default_manager()->factory().get(), &default_factory());
  auto mock = std::dynamic_pointer_cast<MockStrategy>(default_factory().get("mock"));
  ASSERT_NE(mock, nullptr);
  mock->server().on("SELECT 7", {.result = test::uint64_result("v", {7})});
  mock->server().fail_call(1, Error(ErrorKind::network, "connection reset by peer"));
  EXPECT_EQ(test::first_uint64(chconn::client().execute("SELECT 7"), "v"), 7u) << "retried once";
  EXPECT_EQ(mock->server().calls().size(), 2u);
  chconn::initialize(config, ManagerOptions::plain());  // leave the process-wide state as it was
}

}  // namespace
}  // namespace chconn
