// The streaming insert's pieces without a server: match_insert_sample(), BlockSpanSource, and the
// mock connection's insert from an InsertSource (a table's sample from MockServer::set_table,
// blocks checked against it, stop between blocks, a failing source records nothing).
#include <gtest/gtest.h>

#include <stdexcept>
#include <stop_token>
#include <vector>

#include "chconn/connection/insert_source.h"
#include "chconn/core/error.h"
#include "chconn/strategy/mock.h"
#include "chconn/wire/columns.h"
#include "support/expect_error.h"

namespace chconn {
namespace {

using chconn::test::expect_error;

Block block_of(std::vector<std::pair<std::string, std::string>> columns, std::size_t rows) {
  Block b;
  for (const auto& [name, type] : columns) {
    ColumnRef c = make_column(parse_type(type));
    for (std::size_t i = 0; i < rows; ++i) c->append_default();
    b.append(name, c);
  }
  return b;
}

TEST(MatchInsertSample, ReordersByNameAndChecksExactTypes) {
  const Block sample = block_of({{"a", "UInt64"}, {"b", "String"}}, 0);
  const Block matched = match_insert_sample(block_of({{"b", "String"}, {"a", "UInt64"}}, 2), sample, "t");
  EXPECT_EQ(matched.name(0), "a");
  EXPECT_EQ(matched.rows(), 2u);
  EXPECT_THROW(match_insert_sample(block_of({{"a", "UInt32"}, {"b", "String"}}, 1), sample, "t"), Error);
  EXPECT_THROW(match_insert_sample(block_of({{"a", "UInt64"}}, 1), sample, "t"), Error);
  EXPECT_THROW(match_insert_sample(block_of({{"a", "UInt64"}, {"c", "String"}}, 1), sample, "t"), Error);
  // A sample without columns (a mock that knows no structure) takes the block as it is.
  EXPECT_EQ(match_insert_sample(block_of({{"z", "Int8"}}, 1), Block{}, "t").name(0), "z");
}

TEST(BlockSpanSource, ChecksEveryBlockBeforeGivingAnyAndSkipsEmptyOnes) {
  const Block sample = block_of({{"a", "UInt64"}}, 0);
  std::vector<Block> blocks{block_of({{"a", "UInt64"}}, 1), block_of({{"a", "UInt64"}}, 0),
                            block_of({{"a", "UInt64"}}, 3)};
  BlockSpanSource source(blocks, "t");
  source.start(sample);
  EXPECT_EQ(source.next()->rows(), 1u);
  EXPECT_EQ(source.next()->rows(), 3u);
  EXPECT_FALSE(source.next());
  blocks.push_back(block_of({{"a", "String"}}, 1));
  BlockSpanSource bad(blocks, "t");
  EXPECT_THROW(bad.start(sample), Error);
}

class Generated final : public InsertSource {
 public:
  Generated(std::size_t blocks, std::function<void(std::size_t)> before = {})
      : blocks_(blocks), before_(std::move(before)) {}
  void start(const Block& sample) override { sample_columns = sample.column_count(); }
  std::optional<Block> next() override {
    if (before_) before_(made_);
    if (made_ == blocks_) return std::nullopt;
    ++made_;
    return block_of({{"a", "UInt64"}}, 2);
  }
  std::size_t sample_columns = 99;

 private:
  std::size_t blocks_, made_ = 0;
  std::function<void(std::size_t)> before_;
};

TEST(MockStreamingInsert, TakesTheTablesSampleAndRecordsTheBlocks) {
  auto mock = std::make_shared<MockStrategy>();
  mock->server().set_table("db.t", block_of({{"a", "UInt64"}}, 0));
  Lease lease = mock->acquire();
  Generated source(3);
  lease->insert("db.t", source);
  EXPECT_EQ(source.sample_columns, 1u);
  EXPECT_EQ(mock->server().inserted("db.t").size(), 3u);
  EXPECT_EQ(mock->server().calls().back().blocks, 3u);
  // A table without a sample: the source gets an empty one.
  Generated other(1);
  lease->insert("u", other);
  EXPECT_EQ(other.sample_columns, 0u);
}

TEST(MockStreamingInsert, AFailingSourceOrAStopRecordsNothing) {
  auto mock = std::make_shared<MockStrategy>();
  mock->server().set_table("t", block_of({{"a", "UInt64"}}, 0));
  Lease lease = mock->acquire();
  Generated failing(3, [](std::size_t i) {
    if (i == 1) throw std::runtime_error("read failed");
  });
  EXPECT_THROW(lease->insert("t", failing), std::runtime_error);
  std::stop_source stop;
  Generated stopped(3, [&](std::size_t i) {
    if (i == 1) stop.request_stop();
  });
  QueryOptions options;
  options.stop = stop.get_token();
  expect_error(ErrorKind::cancelled, [&] { lease->insert("t", stopped, options); });
  EXPECT_TRUE(mock->server().inserted("t").empty());
  EXPECT_TRUE(lease->usable());
}

}  // namespace
}  // namespace chconn
