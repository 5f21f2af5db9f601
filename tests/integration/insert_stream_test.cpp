// The streaming insert against the 18.16 sandbox. The pull form (Connection::insert with an
// InsertSource): blocks pulled one at a time, a source that throws, a block that does not match the
// sample, a stop between blocks, and the span insert over it. The push form (Connection::insert(table)
// → InsertStream, Client::insert(table) → Inserter): blocks written one at a time, a mismatch that
// leaves the insert open, the connection busy while it is open, a stop, and an abandoned insert.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <vector>

#include "chconn/client/client.h"
#include "chconn/connection/native_connection.h"
#include "chconn/core/error.h"
#include "chconn/core/log.h"
#include "chconn/strategy/pooled.h"
#include "chconn/wire/columns.h"
#include "support/connection_helpers.h"
#include "support/expect_error.h"

namespace chconn {
namespace {

std::uint64_t count_of(Connection& conn, const std::string& table) {
  const Result r = conn.execute("SELECT count() AS n FROM " + table);
  return r.row(0).get<std::uint64_t>("n");
}

// Blocks of `rows` UInt64 values, made on demand; `on_next(i)` runs before block i is made (it may
// throw, or request a stop).
class CountingSource final : public InsertSource {
 public:
  CountingSource(std::size_t blocks, std::size_t rows, std::function<void(std::size_t)> on_next = {})
      : blocks_(blocks), rows_(rows), on_next_(std::move(on_next)) {}
  void start(const Block& sample) override { sample_names_ = sample.column_count(); }
  std::optional<Block> next() override {
    if (on_next_) on_next_(made_);
    if (made_ == blocks_) return std::nullopt;
    auto x = std::make_shared<ColumnUInt64>();
    for (std::size_t i = 0; i < rows_; ++i) x->append(made_ * rows_ + i);
    ++made_;
    Block b;
    b.append("x", x);
    return b;
  }
  std::size_t sample_names_ = 0;

 private:
  std::size_t blocks_, rows_, made_ = 0;
  std::function<void(std::size_t)> on_next_;
};

Block numbers_block(std::size_t first, std::size_t rows) {
  auto x = std::make_shared<ColumnUInt64>();
  for (std::size_t i = 0; i < rows; ++i) x->append(first + i);
  Block b;
  b.append("x", x);
  return b;
}

void recreate(Connection& conn, const std::string& table, const std::string& columns) {
  conn.execute("DROP TABLE IF EXISTS " + table);
  conn.execute("CREATE TABLE " + table + " (" + columns + ") ENGINE = Memory");
}

constexpr std::size_t k_rows = 200000;

TEST(StreamingInsert, PullsBlocksOneAtATime) {
  auto conn = test::connect_sandbox();
  recreate(*conn, "load_stream", "x UInt64");
  CountingSource source(3, k_rows);
  conn->insert("load_stream", source);
  EXPECT_EQ(source.sample_names_, 1u);
  EXPECT_EQ(count_of(*conn, "load_stream"), 3 * k_rows);
  EXPECT_TRUE(conn->usable());
}

TEST(StreamingInsert, ASourceThatThrowsEndsTheInsertAndSaysWhatWasInserted) {
  auto conn = test::connect_sandbox();
  recreate(*conn, "load_throw", "x UInt64");
  CountingSource source(5, k_rows, [](std::size_t i) {
    if (i == 2) throw Error(ErrorKind::usage, "bad row 7");
  });
  const Error e = test::thrown_error([&] { conn->insert("load_throw", source); });
  EXPECT_EQ(e.kind(), ErrorKind::usage);
  EXPECT_NE(e.message().find("bad row 7"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("400000 rows in 2 blocks sent before were inserted"), std::string::npos) << e.message();
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(count_of(*conn, "load_throw"), 2 * k_rows);
  // A non-chconn exception is rethrown as it is, the connection kept too.
  CountingSource other(5, 10, [](std::size_t i) {
    if (i == 1) throw std::runtime_error("disk gone");
  });
  EXPECT_THROW(conn->insert("load_throw", other), std::runtime_error);
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(count_of(*conn, "load_throw"), 2 * k_rows + 10);  // its first block was sent
}

TEST(StreamingInsert, AMismatchedBlockIsAUsageErrorBeforeItIsSent) {
  auto conn = test::connect_sandbox();
  recreate(*conn, "load_mismatch", "x UInt64");
  std::size_t calls = 0;
  class Mixed final : public InsertSource {
   public:
    explicit Mixed(std::size_t& calls) : calls_(calls) {}
    void start(const Block&) override {}
    std::optional<Block> next() override {
      ++calls_;
      Block b;
      if (calls_ == 1) {
        auto x = std::make_shared<ColumnUInt64>();
        for (std::size_t i = 0; i < k_rows; ++i) x->append(i);
        b.append("x", x);
      } else {
        auto x = std::make_shared<ColumnString>();
        x->append("nope");
        b.append("x", x);
      }
      return b;
    }
    std::size_t& calls_;
  } source(calls);
  const Error e = test::thrown_error([&] { conn->insert("load_mismatch", source); });
  EXPECT_EQ(e.kind(), ErrorKind::usage);
  EXPECT_NE(e.message().find("column 'x' has type String"), std::string::npos) << e.message();
  EXPECT_EQ(calls, 2u);
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(count_of(*conn, "load_mismatch"), k_rows);
}

TEST(StreamingInsert, AStopBetweenBlocksEndsTheInsert) {
  auto conn = test::connect_sandbox();
  recreate(*conn, "load_stop", "x UInt64");
  std::stop_source stop;
  CountingSource source(10, k_rows, [&](std::size_t i) {
    if (i == 3) stop.request_stop();
  });
  QueryOptions options;
  options.stop = stop.get_token();
  const Error e = test::thrown_error([&] { conn->insert("load_stop", source, options); });
  EXPECT_EQ(e.kind(), ErrorKind::cancelled) << e.what();
  EXPECT_NE(e.message().find("stopped by the caller"), std::string::npos) << e.message();
  EXPECT_TRUE(conn->usable());
  // Block 3 was made when the stop came, and not sent; blocks 0-2 were.
  EXPECT_EQ(count_of(*conn, "load_stop"), 3 * k_rows);
}

TEST(StreamingInsert, TheSpanInsertStillChecksEveryBlockFirst) {
  auto conn = test::connect_sandbox();
  recreate(*conn, "load_span", "x UInt64");
  auto good = std::make_shared<ColumnUInt64>();
  good->append(1);
  auto bad = std::make_shared<ColumnString>();
  bad->append("x");
  std::vector<Block> blocks(2);
  blocks[0].append("x", good);
  blocks[1].append("x", bad);
  EXPECT_THROW(conn->insert("load_span", blocks), Error);
  EXPECT_EQ(count_of(*conn, "load_span"), 0u);
  EXPECT_TRUE(conn->usable());
}

// --- The push form ---

TEST(PushInsert, WritesBlocksOneAtATimeAndFinishes) {
  auto conn = test::connect_sandbox();
  recreate(*conn, "push_rows", "x UInt64");
  std::unique_ptr<InsertStream> ins = conn->insert("push_rows");
  ASSERT_EQ(ins->sample().column_count(), 1u);
  EXPECT_EQ(ins->sample().column(0)->type()->name(), "UInt64");
  std::uint64_t expected_sum = 0;
  for (std::size_t i = 0; i < 5; ++i) {
    ins->write(numbers_block(i * k_rows, k_rows));
    expected_sum += (i * k_rows) * k_rows + k_rows * (k_rows - 1) / 2;
  }
  ins->write(Block{});  // an empty block is skipped
  EXPECT_EQ(ins->progress().blocks, 5u);
  EXPECT_EQ(ins->progress().rows, 5 * k_rows);
  EXPECT_FALSE(ins->done());
  ins->finish();
  EXPECT_TRUE(ins->done());
  const Result r = conn->execute("SELECT count() AS n, sum(x) AS s FROM push_rows");
  EXPECT_EQ(r.row(0).get<std::uint64_t>("n"), 5 * k_rows);
  EXPECT_EQ(r.row(0).get<std::uint64_t>("s"), expected_sum);
  // Ended: further calls are usage errors, and the connection takes the next call.
  EXPECT_THROW(ins->write(numbers_block(0, 1)), Error);
  EXPECT_THROW(ins->finish(), Error);
  EXPECT_EQ(count_of(*conn, "push_rows"), 5 * k_rows);
}

TEST(PushInsert, AMismatchedBlockIsRefusedAndTheInsertStaysOpen) {
  auto conn = test::connect_sandbox();
  recreate(*conn, "push_mismatch", "x UInt64, s String");
  auto ins = conn->insert("push_mismatch");
  Block wrong = numbers_block(0, 10);  // no column s
  const Error e = test::thrown_error([&] { ins->write(wrong); });
  EXPECT_EQ(e.kind(), ErrorKind::usage);
  EXPECT_NE(e.message().find("columns but the table expects 2"), std::string::npos) << e.message();
  EXPECT_FALSE(ins->done());
  Block right = numbers_block(0, 10);
  auto s = std::make_shared<ColumnString>();
  for (int i = 0; i < 10; ++i) s->append("v");
  right.append("s", s);
  ins->write(right);
  ins->finish();
  EXPECT_EQ(count_of(*conn, "push_mismatch"), 10u);
}

TEST(PushInsert, TheConnectionTakesNoOtherCallWhileAnInsertIsOpen) {
  auto conn = test::connect_sandbox();
  recreate(*conn, "push_busy", "x UInt64");
  auto ins = conn->insert("push_busy");
  ins->write(numbers_block(0, 100));
  const Error e = test::thrown_error([&] { conn->execute("SELECT 1"); });
  EXPECT_EQ(e.kind(), ErrorKind::usage);
  EXPECT_NE(e.message().find("an unfinished insert is open"), std::string::npos) << e.message();
  ins->write(numbers_block(100, 100));
  ins->finish();
  EXPECT_EQ(count_of(*conn, "push_busy"), 200u);
}

TEST(PushInsert, AStopSeenByWriteEndsTheInsertAndSaysWhatWasInserted) {
  auto conn = test::connect_sandbox();
  recreate(*conn, "push_stop", "x UInt64");
  std::stop_source stop;
  QueryOptions options;
  options.stop = stop.get_token();
  auto ins = conn->insert("push_stop", options);
  ins->write(numbers_block(0, k_rows));
  ins->write(numbers_block(k_rows, k_rows));
  stop.request_stop();
  const Error e = test::thrown_error([&] { ins->write(numbers_block(2 * k_rows, k_rows)); });
  EXPECT_EQ(e.kind(), ErrorKind::cancelled);
  EXPECT_NE(e.message().find("400000 rows in 2 blocks sent before were inserted"), std::string::npos) << e.message();
  EXPECT_TRUE(ins->done());
  EXPECT_THROW(ins->finish(), Error);
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(count_of(*conn, "push_stop"), 2 * k_rows);
}

TEST(PushInsert, AnAbandonedInsertKeepsWhatWasSentAndSaysSoInTheLog) {
  Config config = test::sandbox_config();
  auto messages = std::make_shared<std::vector<std::string>>();
  auto mutex = std::make_shared<std::mutex>();
  config.logger = std::make_shared<Logger>(
      [messages, mutex](LogLevel level, std::string_view message) {
        std::lock_guard lock(*mutex);
        if (level == LogLevel::warning) messages->emplace_back(message);
      },
      LogLevel::info);
  auto conn = NativeConnection::connect(config, config.hosts.front(), Deadline::after(std::chrono::seconds(10)));
  recreate(*conn, "push_abandon", "x UInt64");
  {
    auto ins = conn->insert("push_abandon");
    ins->write(numbers_block(0, k_rows));
    ins->write(numbers_block(k_rows, k_rows));
  }  // destroyed before finish()
  ASSERT_EQ(messages->size(), 1u);
  const std::string& m = messages->front();
  EXPECT_NE(m.find("push_abandon"), std::string::npos) << m;
  EXPECT_NE(m.find("abandoned before finish()"), std::string::npos) << m;
  EXPECT_NE(m.find("400000 rows in 2 blocks sent before were inserted"), std::string::npos) << m;
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(count_of(*conn, "push_abandon"), 2 * k_rows);
}

// Through a Client on a pool: the inserter holds its lease until it finishes, then the connection
// is back in the pool; an abandoned one returns it too and is counted as cancelled.
TEST(PushInsert, AClientInserterHoldsItsLeaseUntilItFinishes) {
  const Config config = test::sandbox_config();
  auto pool = std::make_shared<PooledStrategy>(native_connector(config),
                                               PooledOptions{.name = "pooled", .pool = {.max_size = 2}});
  ConnectionFactory factory;
  factory.register_strategy(pool);
  factory.set_default("pooled");
  Client client(factory);
  client.execute("DROP TABLE IF EXISTS push_client");
  client.execute("CREATE TABLE push_client (x UInt64) ENGINE = Memory");
  {
    Inserter ins = client.insert("push_client");
    EXPECT_EQ(pool->stats().in_use, 1u);
    ins.write(numbers_block(0, 1000));
    ins.write(numbers_block(1000, 1000));
    ins.finish();
    EXPECT_TRUE(ins.done());
    EXPECT_EQ(ins.progress().rows, 2000u);
    EXPECT_EQ(pool->stats().in_use, 0u) << "the lease ended with the insert";
    EXPECT_THROW(ins.write(numbers_block(0, 1)), Error);
  }
  {
    Inserter ins = client.insert("push_client");
    ins.write(numbers_block(2000, 500));
  }
  EXPECT_EQ(pool->stats().in_use, 0u);
  EXPECT_EQ(pool->stats().idle, 1u) << "ended early, answered and kept";
  EXPECT_EQ(pool->stats().created, 1u);
  const Result n = client.execute("SELECT count() AS n FROM push_client");
  EXPECT_EQ(n.row(0).get<std::uint64_t>("n"), 2500u);
  const std::string metrics = client.manager().metrics_text();
  EXPECT_NE(metrics.find("outcome=\"cancelled\"} 1"), std::string::npos) << metrics;
}

}  // namespace
}  // namespace chconn
