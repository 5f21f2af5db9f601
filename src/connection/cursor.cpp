// Connection::query() for connections that collect a whole result (the mock): the blocks of
// execute() handed out one by one. NativeConnection overrides it with a streaming cursor.
#include <cstddef>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "chconn/connection/connection.h"

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

}  // namespace

std::unique_ptr<QueryCursor> Connection::query(std::string_view sql, const QueryOptions& options) {
  return std::make_unique<CollectedCursor>(execute(sql, options));
}

}  // namespace chconn
