// Query results: progress and profile figures, and Result, the collected answer of execute() with
// row access by column name (what a list of one dict per row gives in Python, without copying the
// columns).
//
// Thread safety: value types. A Result may be read from several threads at once.
//
// Example:
//   chconn::Result r = conn.execute("SELECT name, total FROM t");
//   for (const auto& row : r.rows())
//     std::cout << row.get<std::string_view>("name") << ' ' << row.get<std::uint64_t>("total") << '\n';
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/wire/block.h"
#include "chconn/wire/progress.h"

namespace chconn {

// Progress of a query (the server sends increments; QueryOptions::on_progress also gets the
// running total) and the server's ProfileInfo, exactly as the wire layer decodes them.
using QueryProgress = wire::Progress;
using QueryProfile = wire::ProfileInfo;

class Result;

// One row of a Result: typed access to its values by column name or index.
class ResultRow {
 public:
  ResultRow(const Block& block, std::size_t row) noexcept : block_(&block), row_(row) {}

  // The value of column `name` (or index) as T. Supported: integers (checked for range), float,
  // double, bool, std::string and std::string_view (String, FixedString, Enum names, LowCardinality
  // of those), and std::optional<T> for Nullable columns (nullopt for NULL). A NULL read as a
  // non-optional T, an unknown column, or a T that does not fit the column's type throws
  // Error(usage) naming the column and both types.
  template <class T>
  T get(std::string_view name) const;
  template <class T>
  T get(std::size_t column) const;

  bool is_null(std::string_view name) const;

  const Block& block() const noexcept { return *block_; }
  std::size_t index_in_block() const noexcept { return row_; }

 private:
  const Block* block_;
  std::size_t row_;
};

class Result {
 public:
  // Column names and types (0 rows). Present even when no row was returned.
  Block header;
  // The data blocks as they arrived (empty for select(), which streams them).
  std::vector<Block> blocks;
  std::optional<Block> totals;
  std::optional<Block> extremes;
  QueryProgress progress;              // sum of all Progress packets
  std::optional<QueryProfile> profile; // when the server sent ProfileInfo
  std::string query_id;

  std::size_t row_count() const noexcept;
  std::size_t column_count() const noexcept { return header.column_count(); }
  // Index of column `name` in the header; throws Error(usage) listing the columns if absent.
  std::size_t column_index(std::string_view name) const;

  // Row i (0-based, across blocks). Throws Error(usage) if out of range.
  ResultRow row(std::size_t i) const;

  // Iteration over all rows in order.
  class RowIterator {
   public:
    using value_type = ResultRow;
    using difference_type = std::ptrdiff_t;
    RowIterator() = default;
    RowIterator(const Result* result, std::size_t block, std::size_t row) : result_(result), block_(block), row_(row) {
      skip_empty();
    }
    ResultRow operator*() const { return ResultRow(result_->blocks[block_], row_); }
    RowIterator& operator++() {
      ++row_;
      skip_empty();
      return *this;
    }
    RowIterator operator++(int) {
      auto copy = *this;
      ++*this;
      return copy;
    }
    friend bool operator==(const RowIterator& a, const RowIterator& b) noexcept {
      return a.block_ == b.block_ && a.row_ == b.row_;
    }

   private:
    void skip_empty() {
      while (result_ && block_ < result_->blocks.size() && row_ >= result_->blocks[block_].rows()) {
        ++block_;
        row_ = 0;
      }
    }
    const Result* result_ = nullptr;
    std::size_t block_ = 0;
    std::size_t row_ = 0;
  };
  struct RowRange {
    const Result* result;
    RowIterator begin() const { return RowIterator(result, 0, 0); }
    RowIterator end() const { return RowIterator(result, result->blocks.size(), 0); }
  };
  RowRange rows() const noexcept { return RowRange{this}; }
};

}  // namespace chconn
