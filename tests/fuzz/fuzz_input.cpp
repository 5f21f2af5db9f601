// Target: the input parsers (text::TextInsertSource) on arbitrary bytes, in every format (the text
// ones, Native and RowBinary), into one of two sample blocks: many column types, or the load
// benchmark's plain shape (UInt64, String, Float64, DateTime, Array(String), Array(Int32)), whose
// TSV and CSV fields take the parsers' fast paths.
//
// Input: one mode byte (the format: its value modulo the number of formats; the sample: the
// quotient's lowest bit), then the data.
// Properties:
//   * only chconn::Error of kind usage escapes, with a message under 2 KiB (values are quoted and
//     cut in it);
//   * every block returned is consistent (all columns of equal length) and has at most the rows
//     and about the bytes the options allow;
//   * the read buffer never holds more than max_row_bytes of one row (the source bounds it).
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "chconn/format/input.h"
#include "chconn/wire/columns.h"
#include "fuzz_common.h"

namespace {

using namespace chconn;

constexpr text::InputFormat k_formats[] = {
    text::InputFormat::tab_separated,
    text::InputFormat::tab_separated_with_names,
    text::InputFormat::tab_separated_with_names_and_types,
    text::InputFormat::csv,
    text::InputFormat::csv_with_names,
    text::InputFormat::json_each_row,
    text::InputFormat::values,
    text::InputFormat::tskv,
    text::InputFormat::native,
    text::InputFormat::row_binary,
};

Block block_of(std::initializer_list<std::pair<const char*, const char*>> columns) {
  Block b;
  for (const auto& [name, type] : columns) b.append(name, make_column(parse_type(type)));
  return b;
}

const Block& sample(bool plain) {
  static const Block wide = block_of({
      {"u", "UInt8"},
      {"s", "String"},
      {"n", "Nullable(Int32)"},
      {"a", "Array(Nullable(String))"},
      {"t", "Tuple(Date, DateTime)"},
      {"m", "Map(String, UInt64)"},
      {"lc", "LowCardinality(Nullable(String))"},
      {"d", "Decimal(9, 2)"},
      {"e", "Enum8('a' = 1, 'b' = 2)"},
      {"f", "Float64"},
      {"fs", "FixedString(3)"},
      {"id", "UUID"},
  });
  static const Block load = block_of({
      {"u", "UInt64"},
      {"s", "String"},
      {"f", "Float64"},
      {"t", "DateTime"},
      {"a", "Array(String)"},
      {"i", "Array(Int32)"},
  });
  return plain ? load : wide;
}

bool usage_with_a_bounded_message(const Error& e) {
  if (e.kind() != ErrorKind::usage) return false;
  if (std::string_view(e.what()).size() >= 2048) fuzz::fail("the error message is not bounded");
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const text::InputFormat format = k_formats[data[0] % std::size(k_formats)];
  const Block& structure = sample(((data[0] / std::size(k_formats)) & 1) != 0);
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  text::InputOptions options;
  options.max_block_rows = 7;
  options.max_block_bytes = 512;
  options.max_row_bytes = 4096;
  fuzz::expect_only_chconn_errors(
      [&] {
        text::MemoryByteSource source(bytes);
        text::TextInsertSource text(format, source, options);
        text.start(structure);
        while (auto block = text.next()) {
          block->check_consistent();
          if (block->rows() == 0 || block->rows() > options.max_block_rows) fuzz::fail("a block's row count is wrong");
          if (block->column_count() != structure.column_count()) fuzz::fail("a block lost columns");
        }
      },
      usage_with_a_bounded_message);
  return 0;
}
