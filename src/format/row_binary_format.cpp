// RowBinary as clickhouse-client 18.16 writes it: row after row, each value in its binary form —
// fixed-width values as their little-endian bytes, String as a varint length and the bytes,
// FixedString as its N bytes, Nullable as a byte 1 (NULL, nothing follows) or 0 and the value, Array
// as a varint count and the elements, Tuple as its elements, LowCardinality as its value's type.
// No names, no totals or extremes. Types 18.16 does not have (Map, Variant, Dynamic, JSON) are
// Error(usage).
#include "chconn/core/error.h"
#include "chconn/wire/columns.h"
#include "chconn/wire/io.h"
#include "format/output_writer.h"

namespace chconn::text::detail {
namespace {

class RowBinaryWriter final : public BlockFormatter::Writer {
 public:
  void write_block(std::string& out, const Block& block) override {
    for (std::size_t r = 0; r < block.rows(); ++r) {
      for (std::size_t c = 0; c < block.column_count(); ++c) append(out, *block[c].column, r);
    }
    rows_ += block.rows();
  }
  void finish(std::string&, const Block&, const ResultSummary&) override {}

 private:
  void append(std::string& out, const Column& column, std::size_t row) {
    switch (column.type()->storage_type().code()) {
      case TypeCode::Nullable: {
        const auto& nullable = column_cast<ColumnNullable>(column);
        const bool null = nullable.is_null(row);
        out += static_cast<char>(null ? 1 : 0);
        if (!null) append(out, nullable.nested(), row);
        return;
      }
      case TypeCode::Array:
      case TypeCode::Nested: {
        const auto& array = column_cast<ColumnArray>(column);
        const auto range = array.range(row);
        scratch_.clear();
        scratch_.uvarint(range.size());
        out += scratch_.view();
        for (std::size_t i = range.begin; i < range.end; ++i) append(out, array.nested(), i);
        return;
      }
      case TypeCode::Tuple: {
        const auto& tuple = column_cast<ColumnTuple>(column);
        for (std::size_t i = 0; i < tuple.element_count(); ++i) append(out, tuple.element(i), row);
        return;
      }
      case TypeCode::LowCardinality: {
        const auto& lc = column_cast<ColumnLowCardinality>(column);
        if (lc.nullable()) {
          out += static_cast<char>(lc.is_null(row) ? 1 : 0);
          if (lc.is_null(row)) return;
        }
        append(out, lc.dictionary(), lc.index(row));
        return;
      }
      case TypeCode::Map:
      case TypeCode::Variant:
      case TypeCode::Dynamic:
      case TypeCode::JSON:
        throw Error(ErrorKind::usage, "chconn does not write " + column.type()->name() + " in RowBinary");
      default: {
        // A value of fixed width, String or FixedString: its Native encoding for one row is its
        // RowBinary form.
        const ColumnRef one = column.clone_empty();
        one->append_range(column, row, 1);
        scratch_.clear();
        one->save_body(scratch_);
        out += scratch_.view();
      }
    }
  }

  wire::Writer scratch_;  // reused between values
};

}  // namespace

WriterPtr make_row_binary_writer() { return std::make_unique<RowBinaryWriter>(); }

}  // namespace chconn::text::detail
