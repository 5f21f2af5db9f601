// The streaming insert (Connection::insert with an InsertSource) against the 18.16 sandbox: blocks
// pulled one at a time, a source that throws, a block that does not match the sample, a stop
// between blocks, and the span insert over it.
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <vector>

#include "chconn/connection/native_connection.h"
#include "chconn/core/error.h"
#include "chconn/wire/columns.h"
#include "support/connection_helpers.h"

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
  try {
    conn->insert("load_throw", source);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_NE(e.message().find("bad row 7"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("400000 rows in 2 blocks sent before were inserted"), std::string::npos) << e.message();
  }
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
  try {
    conn->insert("load_mismatch", source);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::usage);
    EXPECT_NE(e.message().find("column 'x' has type String"), std::string::npos) << e.message();
  }
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
  try {
    conn->insert("load_stop", source, options);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::cancelled) << e.what();
    EXPECT_NE(e.message().find("stopped by the caller"), std::string::npos) << e.message();
  }
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

}  // namespace
}  // namespace chconn
