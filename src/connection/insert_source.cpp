// BlockSpanSource and match_insert_sample() (see chconn/connection/insert_source.h).
#include "chconn/connection/insert_source.h"

#include <string>

#include "chconn/core/error.h"

namespace chconn {

Block match_insert_sample(const Block& block, const Block& sample, std::string_view table) {
  if (sample.column_count() == 0) return block;
  if (block.column_count() != sample.column_count()) {
    std::string expected;
    for (std::size_t i = 0; i < sample.column_count(); ++i) {
      expected += (i ? ", " : "") + sample.name(i) + " " + sample.column(i)->type()->name();
    }
    throw Error(ErrorKind::usage, "insert into " + std::string(table) + ": the block has " +
                                      std::to_string(block.column_count()) + " columns but the table expects " +
                                      std::to_string(sample.column_count()) + " (" + expected + ")");
  }
  Block matched;
  for (std::size_t i = 0; i < sample.column_count(); ++i) {
    const std::string& name = sample.name(i);
    const ColumnRef column = block.find(name);
    if (!column) {
      throw Error(ErrorKind::usage, "insert into " + std::string(table) + ": the block has no column '" + name + "' (" +
                                        sample.column(i)->type()->name() + ")");
    }
    const std::string want = sample.column(i)->type()->name();
    const std::string have = column->type()->name();
    if (want != have) {
      std::string message = "insert into ";
      message.append(table).append(": column '").append(name).append("' has type ").append(have);
      message.append(" but the table's type is ").append(want);
      message += "; build the column with the exact type (see last_insert_sample())";
      throw Error(ErrorKind::usage, std::move(message));
    }
    matched.append(name, column);
  }
  return matched;
}

void BlockSpanSource::start(const Block& sample) {
  // Every block is checked before the first is sent: a mismatch anywhere inserts nothing.
  matched_.clear();
  matched_.reserve(blocks_.size());
  for (const Block& block : blocks_) {
    if (block.rows() > 0) matched_.push_back(match_insert_sample(block, sample, table_));
  }
  next_ = 0;
}

std::optional<Block> BlockSpanSource::next() {
  if (next_ >= matched_.size()) return std::nullopt;
  return std::move(matched_[next_++]);
}

}  // namespace chconn
