// chconn::client(): each call takes a lease and returns it, after success and after an exception.
#include "chconn/client/client.h"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "chconn/core/error.h"
#include "chconn/strategy/mock.h"
#include "chconn/strategy/pooled.h"
#include "support/mock_support.h"

namespace chconn {
namespace {

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

// The table text of insert() is names, never SQL: text that is not a table name is Error(usage)
// before a lease is taken, and nothing reaches the server (issue 13, item 6).
TEST_F(ClientTest, InsertTableTextThatIsNotANameIsRefusedBeforeAnythingIsSent) {
  Client c(factory);
  for (const char* table : {"t SELECT 99, 'x' --", "t; DROP TABLE t", "t (x) SELECT 1", ""}) {
    try {
      c.insert(table, test::uint64_block("x", {1}));
      ADD_FAILURE() << "expected an error for '" << table << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::usage) << table << ": " << e.what();
    }
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

}  // namespace
}  // namespace chconn
