// Unit tests of application code (user_repository.h) with chconn's MockStrategy: no server, no
// network, no sleeping. The pattern:
//   1. make a MockStrategy and register it in a ConnectionFactory of the test's own;
//   2. give the code under test a chconn::Client of that factory;
//   3. script the answers (server().on(...)) and check what was sent (server().queries(),
//      calls(), inserted(table)).
// The last test shows the other way in, for code that calls chconn::client() on the default
// factory: initialize() with the testing environment (CHCONN_ENV=testing) registers "mock" as the
// default strategy.
#include "user_repository.h"

#include <chconn/chconn.h>
#include <chconn/testing.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;

// A one-row, one-column result, as the server would send for `SELECT ... AS name`.
chconn::Result single_value(const std::string& name, std::uint64_t value) {
  auto column = std::make_shared<chconn::ColumnUInt64>();
  column->append(value);
  chconn::Block block;
  block.append(name, column);
  chconn::Result result;
  result.header.append(name, std::make_shared<chconn::ColumnUInt64>());  // names and types, 0 rows
  result.blocks.push_back(block);
  return result;
}

constexpr const char* k_active_users_sql = "SELECT count() AS n FROM users WHERE active";

class UserRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    factory_.register_strategy(mock_);
    factory_.set_default(mock_->name());
  }

  chconn::MockServer& server() { return mock_->server(); }

  std::shared_ptr<chconn::MockStrategy> mock_ = std::make_shared<chconn::MockStrategy>();
  chconn::ConnectionFactory factory_;
  example::UserRepository repo_{chconn::Client(factory_)};
};

TEST_F(UserRepositoryTest, ActiveUsersReadsTheCount) {
  server().on(k_active_users_sql, {.result = single_value("n", 42)});

  EXPECT_EQ(repo_.active_users(), 42u);
  EXPECT_EQ(server().queries(), std::vector<std::string>{k_active_users_sql});
}

TEST_F(UserRepositoryTest, RecordLoginsSendsOneBlock) {
  const std::vector<std::uint64_t> ids{7, 8, 9};
  repo_.record_logins(ids);

  const std::vector<chconn::Block> sent = server().inserted("logins");
  ASSERT_EQ(sent.size(), 1u);
  const auto& column = sent[0].column_as<chconn::ColumnUInt64>("user_id");
  EXPECT_EQ(std::vector<std::uint64_t>(column.data().begin(), column.data().end()), ids);
  EXPECT_EQ(server().calls().at(0).kind, chconn::MockCallKind::insert);
}

TEST_F(UserRepositoryTest, UnreachableServerGivesNoneInsteadOfThrowing) {
  server().on(std::regex("FROM users"),
              {.error = chconn::Error(chconn::ErrorKind::network, "connection refused by mock:9000")});

  EXPECT_EQ(repo_.active_users_or_none(), std::nullopt);
  EXPECT_THROW(repo_.active_users(), chconn::Error);
}

TEST_F(UserRepositoryTest, ErrorsARetryWouldNotFixStillThrow) {
  server().on(std::regex("FROM users"),
              {.error = chconn::Error::from_server(chconn::server_codes::unknown_table, "DB::Exception",
                                                   "Table default.users doesn't exist.")});
  try {
    repo_.active_users_or_none();
    FAIL() << "expected chconn::Error";
  } catch (const chconn::Error& e) {
    EXPECT_EQ(e.kind(), chconn::ErrorKind::server);
    EXPECT_EQ(e.server_code(), chconn::server_codes::unknown_table);
    EXPECT_FALSE(e.retryable());
  }
}

TEST_F(UserRepositoryTest, FailingOnlyTheSecondCall) {
  server().on(k_active_users_sql, {.result = single_value("n", 5)});
  server().fail_call(2, chconn::Error(chconn::ErrorKind::timeout, "query timed out"));

  EXPECT_EQ(repo_.active_users_or_none(), 5u);
  EXPECT_EQ(repo_.active_users_or_none(), std::nullopt);
  EXPECT_EQ(repo_.active_users_or_none(), 5u);
  EXPECT_EQ(server().query_count(), 3u);
}

// A slow server, on a manual clock: the 10 s delay "passes" at once, and the repository's 2 s
// query timeout turns it into a timeout error.
TEST(UserRepositoryClock, SlowQueryTimesOutWithoutSleeping) {
  chconn::ManualClock clock;
  auto server = std::make_shared<chconn::MockServer>(
      chconn::MockServer::Options{.clock = &clock, .sleep = chconn::MockServer::advance_on(clock)});
  auto mock = std::make_shared<chconn::MockStrategy>(server);
  chconn::ConnectionFactory factory;
  factory.register_strategy(mock);
  factory.set_default("mock");
  example::UserRepository repo(chconn::Client(factory), 2s);
  server->on(k_active_users_sql, {.result = single_value("n", 1), .delay = 10s});

  const auto before = clock.now();
  EXPECT_EQ(repo.active_users_or_none(), std::nullopt);  // a timeout is retryable
  EXPECT_EQ(clock.now() - before, 2s);
}

// Code that uses chconn::client() (the default factory) is tested the same way after
// initialize() with the testing environment, which registers an empty "mock" as the default.
TEST(UserRepositoryDefaultFactory, TestingEnvironmentUsesTheMock) {
  chconn::Config config;
  config.environment = chconn::Environment::testing;  // or CHCONN_ENV=testing with Config::from_env()
  chconn::initialize(config);
  ASSERT_EQ(chconn::default_factory().default_name(), "mock");
  auto mock = std::dynamic_pointer_cast<chconn::MockStrategy>(chconn::default_factory().get("mock"));
  ASSERT_NE(mock, nullptr);
  mock->server().on(k_active_users_sql, {.result = single_value("n", 3)});

  example::UserRepository repo(chconn::client());
  EXPECT_EQ(repo.active_users(), 3u);
}

}  // namespace
