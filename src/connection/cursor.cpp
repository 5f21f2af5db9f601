// The base implementations of Connection::query() and of the push-form insert, for connections
// that collect (the mock): query() hands out execute()'s blocks one by one, and the insert stream
// collects the written blocks and inserts them on finish(). NativeConnection overrides both with
// streaming ones.
#include <cstddef>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "chconn/connection/connection.h"
#include "chconn/core/error.h"

namespace chconn {

namespace {

class CollectedCursor final : public QueryCursor {
 public:
  explicit CollectedCursor(Result result) : blocks_(std::move(result.blocks)), summary_(std::move(result)) {
    summary_.blocks.clear();
  }

  std::optional<Block> next() override {
    while (next_ < blocks_.size()) {
      Block block = std::move(blocks_[next_++]);
      if (block.rows() > 0) return block;
    }
    done_ = true;
    blocks_.clear();
    return std::nullopt;
  }
  const Result& summary() const noexcept override { return summary_; }
  bool done() const noexcept override { return done_; }

 private:
  std::vector<Block> blocks_;
  std::size_t next_ = 0;
  Result summary_;
  bool done_ = false;
};

class CollectedInsertStream final : public InsertStream {
 public:
  CollectedInsertStream(Connection& connection, InsertTarget target, QueryOptions options)
      : connection_(connection), target_(std::move(target)), options_(std::move(options)) {}

  const Block& sample() const noexcept override { return sample_; }

  void write(const Block& block) override {
    check_open();
    if (block.rows() == 0) return;
    blocks_.push_back(block);
    ++written_.blocks;
    written_.rows += block.rows();
  }

  void finish() override {
    check_open();
    done_ = true;
    BlockSpanSource source(blocks_, target_.name());
    connection_.insert(target_, source, options_);
    blocks_.clear();
  }

  bool done() const noexcept override { return done_; }
  InsertProgress progress() const noexcept override { return written_; }

 private:
  void check_open() const {
    if (done_) throw Error(ErrorKind::usage, "the insert into " + target_.name() + " has ended");
  }

  Connection& connection_;
  const InsertTarget target_;
  const QueryOptions options_;
  const Block sample_;
  std::vector<Block> blocks_;
  InsertProgress written_;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<InsertStream> Connection::insert(const InsertTarget& target, const QueryOptions& options) {
  return std::make_unique<CollectedInsertStream>(*this, target, options);
}

std::unique_ptr<QueryCursor> Connection::query(std::string_view sql, const QueryOptions& options) {
  return std::make_unique<CollectedCursor>(execute(sql, options));
}

}  // namespace chconn
