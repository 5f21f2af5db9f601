// The pull cursor (Connection::query, Client::query) on the 18.16 sandbox: blocks as they come,
// totals at the end, a server exception mid-stream, the connection busy while a cursor is open,
// and an early end that cancels the query on the server and keeps the connection.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "chconn/client/client.h"
#include "chconn/connection/native_connection.h"
#include "chconn/core/error.h"
#include "chconn/strategy/pooled.h"
#include "chconn/wire/columns.h"
#include "support/connection_helpers.h"
#include "support/expect_error.h"

namespace chconn::test {
namespace {

using chconn::test::expect_error;

using namespace std::chrono_literals;

std::uint64_t sum_of(const Block& block) {
  std::uint64_t sum = 0;
  for (std::size_t row = 0; row < block.rows(); ++row) sum += block.column_as<ColumnUInt64>(0).at(row);
  return sum;
}

TEST(Cursor, HandsOutTheBlocksAsTheServerSendsThemThenTheTotals) {
  auto conn = connect_sandbox();
  std::unique_ptr<QueryCursor> cursor =
      conn->query("SELECT number FROM numbers(100000) SETTINGS max_block_size = 1000");
  EXPECT_FALSE(cursor->summary().query_id.empty());
  std::uint64_t rows = 0;
  std::uint64_t sum = 0;
  std::size_t blocks = 0;
  while (std::optional<Block> block = cursor->next()) {
    EXPECT_GT(block->rows(), 0u);
    EXPECT_LE(block->rows(), 1000u);
    rows += block->rows();
    sum += sum_of(*block);
    ++blocks;
  }
  EXPECT_TRUE(cursor->done());
  EXPECT_EQ(rows, 100000u);
  EXPECT_EQ(sum, 100000ull * 99999 / 2);
  EXPECT_GE(blocks, 100u);
  EXPECT_EQ(cursor->summary().header.column_count(), 1u);
  EXPECT_TRUE(cursor->summary().blocks.empty());
  EXPECT_FALSE(cursor->next().has_value()) << "nullopt again after the end";
  cursor.reset();
  EXPECT_EQ(conn->execute("SELECT 7 AS x").value<std::uint8_t>("x"), 7);

  cursor = conn->query("SELECT number % 3 AS k, count() AS c FROM numbers(30) GROUP BY k WITH TOTALS");
  std::size_t groups = 0;
  while (std::optional<Block> block = cursor->next()) groups += block->rows();
  EXPECT_EQ(groups, 3u);
  ASSERT_TRUE(cursor->summary().totals.has_value());
  ASSERT_EQ(cursor->summary().totals->rows(), 1u);
  EXPECT_EQ(cursor->summary().totals->column_as<ColumnUInt64>(1).at(0), 30u);
}

TEST(Cursor, TheConnectionTakesNoOtherCallWhileACursorIsOpen) {
  auto conn = connect_sandbox();
  std::unique_ptr<QueryCursor> cursor = conn->query("SELECT number FROM numbers(10)");
  expect_error(ErrorKind::usage, [&] { conn->execute("SELECT 1"); });
  EXPECT_THROW(conn->query("SELECT 2"), Error);
  while (cursor->next()) {
  }
  EXPECT_EQ(conn->execute("SELECT 7 AS x").value<std::uint8_t>("x"), 7) << "free again after the end";
}

TEST(Cursor, AServerExceptionMidStreamIsThrownAndKeepsTheConnection) {
  auto conn = connect_sandbox();
  std::unique_ptr<QueryCursor> cursor =
      conn->query("SELECT throwIf(number = 5500) AS t FROM numbers(10000) SETTINGS max_block_size = 1000");
  std::size_t rows = 0;
  expect_error(ErrorKind::server, [&] {
    while (std::optional<Block> block = cursor->next()) rows += block->rows();
  });
  EXPECT_TRUE(cursor->done());
  EXPECT_LT(rows, 10000u);
  EXPECT_FALSE(cursor->next().has_value());
  cursor.reset();
  ASSERT_TRUE(conn->usable());
  EXPECT_EQ(conn->execute("SELECT 7 AS x").value<std::uint8_t>("x"), 7);
}

// An endless query: two blocks read, then the cursor is destroyed. The query is cancelled on the
// server (gone from system.processes, polled within a bound) and the connection kept.
TEST(Cursor, DestroyingItEarlyCancelsTheQueryAndKeepsTheConnection) {
  auto conn = connect_sandbox();
  auto probe = connect_sandbox();
  std::random_device rd;
  const std::string marker = "chconn-cursor-" + std::to_string(rd());
  {
    std::unique_ptr<QueryCursor> cursor =
        conn->query("SELECT number, '" + marker + "' FROM system.numbers SETTINGS max_block_size = 1000");
    ASSERT_TRUE(cursor->next().has_value());
    ASSERT_TRUE(cursor->next().has_value());
  }
  ASSERT_TRUE(conn->usable()) << "the drain after Cancel brought the connection back to rest";
  EXPECT_EQ(conn->execute("SELECT 7 AS x").value<std::uint8_t>("x"), 7);
  const auto give_up = std::chrono::steady_clock::now() + 30s;
  std::uint64_t listed = 1;
  while (std::chrono::steady_clock::now() < give_up) {
    listed = probe
                 ->execute("SELECT count() AS n FROM system.processes WHERE query LIKE '%" + marker +
                           "%' AND query NOT LIKE '%system.processes%'")
                 .value<std::uint64_t>("n");
    if (listed == 0) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(listed, 0u) << "the query still runs on the server";
}

// Through a Client on a pool: the cursor holds its lease until the result ends, then the
// connection is back in the pool; an early end returns it too.
TEST(Cursor, AClientCursorHoldsItsLeaseUntilTheEnd) {
  const Config config = sandbox_config();
  auto pool = std::make_shared<PooledStrategy>(native_connector(config),
                                               PooledOptions{.name = "pooled", .pool = {.max_size = 2}});
  ConnectionFactory factory;
  factory.register_strategy(pool);
  factory.set_default("pooled");
  Client client(factory);
  {
    Cursor cursor =
        client.query("SELECT number FROM numbers({n:UInt32}) SETTINGS max_block_size = 100", Params().set("n", 1000));
    EXPECT_EQ(pool->stats().in_use, 1u);
    std::uint64_t rows = 0;
    while (std::optional<Block> block = cursor.next()) rows += block->rows();
    EXPECT_EQ(rows, 1000u);
    EXPECT_TRUE(cursor.done());
    EXPECT_EQ(pool->stats().in_use, 0u) << "the lease ended with the result";
    EXPECT_EQ(pool->stats().idle, 1u);
  }
  {
    Cursor cursor = client.query("SELECT number FROM system.numbers SETTINGS max_block_size = 100");
    ASSERT_TRUE(cursor.next().has_value());
  }
  EXPECT_EQ(pool->stats().in_use, 0u);
  EXPECT_EQ(pool->stats().idle, 1u) << "cancelled, drained and kept";
  EXPECT_EQ(pool->stats().created, 1u);
}

}  // namespace
}  // namespace chconn::test
