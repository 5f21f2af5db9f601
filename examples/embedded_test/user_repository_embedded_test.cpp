// The twin of mock_test/user_repository_test.cpp with the real engine in place of the mock: the
// same application code (mock_test/user_repository.h) runs its actual SQL against ClickHouse
// inside the test process (chDB's libchdb.so, the "embedded" strategy), with no server, container
// or network. Where the mock test scripts answers and checks the text that was sent, this one
// creates tables, lets the engine answer and checks the data: column defaults, the engine's own
// errors and the dialect are the real ones.
//
// The pattern:
//   1. make the strategy for "embedded://" (data in memory; "embedded:///path" keeps it under a
//      folder) and register it in a ConnectionFactory of the test's own;
//   2. give the code under test a chconn::Client of that factory;
//   3. create the tables the code expects, run it, and read back what it did with SQL.
// Code that calls chconn::client() gets the same with CLICKHOUSE_DSN=embedded://?env=testing.
//
// chDB runs one engine per process: every test here shares it, so each test makes its tables anew.
// The library is found as chconn finds it (CHCONN_CHDB_LIBRARY, the DSN's chdb_library=, or the
// cache of `source scripts/lib/common.sh && chconn_fetch_chdb`); without it each test fails with
// an Error(config) naming the paths tried.
#include <chconn/chconn.h>
#include <chconn/strategy/embedded.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../mock_test/user_repository.h"

namespace {

class UserRepositoryEmbeddedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    factory_.register_strategy(chconn::make_embedded_strategy(chconn::Config::from_dsn("embedded://")));
    factory_.set_default("embedded");
    db_.execute("DROP TABLE IF EXISTS users");
    db_.execute("DROP TABLE IF EXISTS logins");
    db_.execute("CREATE TABLE users (id UInt64, active Bool) ENGINE = MergeTree ORDER BY id");
    db_.execute(
        "CREATE TABLE logins (user_id UInt64, day Date DEFAULT today()) ENGINE = MergeTree ORDER BY (day, user_id)");
  }

  chconn::ConnectionFactory factory_;
  chconn::Client db_{factory_};
  example::UserRepository repo_{chconn::Client(factory_)};
};

TEST_F(UserRepositoryEmbeddedTest, ActiveUsersCountsOnlyActiveOnes) {
  db_.execute("INSERT INTO users VALUES (1, true), (2, false), (3, true), (4, true)");
  EXPECT_EQ(repo_.active_users(), 3u);
  db_.execute("ALTER TABLE users UPDATE active = false WHERE id = 4 SETTINGS mutations_sync = 1");
  EXPECT_EQ(repo_.active_users(), 2u);
}

TEST_F(UserRepositoryEmbeddedTest, RecordLoginsInsertsOneRowPerIdWithTheTablesDefaults) {
  const std::vector<std::uint64_t> ids{9, 7, 8};
  repo_.record_logins(ids);

  // The block carried user_id only: the engine filled `day` from its DEFAULT, as a server would.
  const chconn::Result r = db_.execute(
      "SELECT arrayStringConcat(arraySort(groupArray(toString(user_id))), ',') AS ids, countIf(day = today()) AS "
      "today FROM logins");
  EXPECT_EQ(r.value<std::string>("ids"), "7,8,9");
  EXPECT_EQ(r.value<std::uint64_t>("today"), 3u);
}

// The engine's own errors, which the mock test had to script: a missing table is ClickHouse's
// code 60, not retryable, so active_users_or_none() throws it rather than returning nullopt.
TEST_F(UserRepositoryEmbeddedTest, AMissingTableIsTheEnginesErrorAndNotRetried) {
  db_.execute("DROP TABLE users");
  try {
    repo_.active_users_or_none();
    FAIL() << "expected chconn::Error";
  } catch (const chconn::Error& e) {
    EXPECT_EQ(e.kind(), chconn::ErrorKind::server) << e.what();
    EXPECT_EQ(e.server_code(), chconn::server_codes::unknown_table) << e.what();
    EXPECT_FALSE(e.retryable());
  }
}

// A column of the wrong type is refused before anything is inserted, as with a server.
TEST_F(UserRepositoryEmbeddedTest, ATableOfAnotherShapeInsertsNothing) {
  db_.execute("DROP TABLE logins");
  db_.execute("CREATE TABLE logins (user_id String) ENGINE = MergeTree ORDER BY user_id");
  const std::vector<std::uint64_t> ids{1, 2};
  EXPECT_THROW(repo_.record_logins(ids), chconn::Error);
  EXPECT_EQ(db_.execute("SELECT count() AS n FROM logins").value<std::uint64_t>("n"), 0u);
}

}  // namespace
