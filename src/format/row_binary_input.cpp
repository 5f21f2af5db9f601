// RowBinary input (see input_parser.h and chconn/format/input.h): row after row, each value of the
// table's columns in order in its binary form, read with the wire layer's RowBinary decoder
// (decode_row_binary) over the buffered input; a row cut by the end of a read is read again from
// its start once more bytes are in, bounded by max_row_bytes.
#include <string>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/wire/columns.h"
#include "format/input_parser.h"

namespace chconn::text::detail {
namespace {

class RowBinaryParser final : public InputParser {
 public:
  RowBinaryParser(ByteSource& in, InputOptions options)
      : options_(std::move(options)), input_(in, std::max<std::size_t>(options_.max_row_bytes, 1)) {
    if (options_.max_block_rows == 0) options_.max_block_rows = 1;
  }

  void start(const Block& sample) override {
    sample_ = detail::input_structure(sample, options_.what, "RowBinary");
    scratch_.clear();
    for (std::size_t i = 0; i < sample_.column_count(); ++i) {
      // A LowCardinality(T) value is written as a T: read into a one-row column of T, then added
      // to the dictionary.
      const Type& type = sample_.column(i)->type()->storage_type();
      scratch_.push_back(type.code() == TypeCode::LowCardinality ? make_column(type.element(0)) : nullptr);
    }
    started_ = true;
  }

  std::optional<Block> next() override {
    if (!started_) throw Error(ErrorKind::usage, options_.what + ": next() before start()");
    Block block;
    std::vector<Column*> columns;
    for (std::size_t i = 0; i < sample_.column_count(); ++i) {
      ColumnRef c = sample_.column(i)->clone_empty();
      columns.push_back(c.get());
      block.append(sample_.name(i), std::move(c));
    }
    std::size_t rows = 0;
    std::size_t bytes = 0;
    while (rows < options_.max_block_rows && bytes < options_.max_block_bytes) {
      const std::size_t taken = read_row(columns);
      if (taken == 0) break;
      bytes += taken;
      ++rows;
      ++rows_read_;
    }
    if (rows == 0) return std::nullopt;
    return block;
  }

  std::size_t rows_read() const noexcept override { return rows_read_; }
  bool failed_row() const noexcept override { return failed_; }

 private:
  // One row into `columns`; returns its bytes, 0 at the end of the input.
  std::size_t read_row(const std::vector<Column*>& columns) {
    try {
      if (input_.rest().empty() && !input_.more()) return 0;
      for (;;) {
        const std::string_view r = input_.rest();
        std::size_t pos = 0;
        std::size_t c = 0;
        for (; c < columns.size(); ++c) {
          std::optional<std::size_t> n;
          Column* const scratch = scratch_[c].get();
          try {
            if (scratch != nullptr) scratch->clear();
            n = decode_row_binary(r.substr(pos), scratch != nullptr ? *scratch : *columns[c], limits_);
            if (n && scratch != nullptr)
              append_low_cardinality(static_cast<ColumnLowCardinality&>(*columns[c]), *scratch);
          } catch (const Error& e) {
            truncate(columns);
            fail(c, e.message());
          } catch (const BadValue& e) {
            truncate(columns);
            fail(c, "the value " + e.why);
          }
          if (!n) break;
          pos += *n;
        }
        if (c == columns.size()) {
          input_.consume(pos);
          return pos;
        }
        truncate(columns);  // cut by the end of what is buffered: again with more
        if (!input_.more()) fail(c, "the data ends inside this value");
      }
    } catch (const BadValue& e) {  // longer than max_row_bytes
      truncate(columns);
      fail_row("the row " + e.why);
    }
  }

  void truncate(const std::vector<Column*>& columns) noexcept {
    for (Column* c : columns) c->truncate(rows_in_block(columns));
  }
  // Rows the block holds whole: every column has at least as many.
  static std::size_t rows_in_block(const std::vector<Column*>& columns) noexcept {
    std::size_t n = columns.front()->size();
    for (const Column* c : columns) n = std::min(n, c->size());
    return n;
  }

  [[noreturn]] void fail(std::size_t column, const std::string& why) {
    fail_row("column " + std::to_string(column + 1) + " '" + sample_.name(column) + "' (" +
             sample_.column(column)->type()->name() + "): " + why);
  }
  [[noreturn]] void fail_row(const std::string& why) {
    failed_ = true;
    throw Error(ErrorKind::usage, options_.what + ": cannot read row " + std::to_string(rows_read_ + 1) +
                                      " of the RowBinary data: " + why);
  }

  InputOptions options_;
  Input input_;
  wire::DecodeLimits limits_;
  Block sample_;
  std::vector<ColumnRef> scratch_;  // per column: a one-row column of a LowCardinality's type, else null
  bool started_ = false;
  bool failed_ = false;
  std::size_t rows_read_ = 0;
};

}  // namespace

InputParserPtr make_row_binary_parser(ByteSource& in, InputOptions options) {
  return std::make_unique<RowBinaryParser>(in, std::move(options));
}

}  // namespace chconn::text::detail
