// Regression tests for what the fuzz targets (tests/fuzz) found, each with the exact input bytes
// the target was given. The same inputs are in the targets' corpora as regression-* files, so
// `ctest -L fuzz` replays them under libFuzzer too; these tests keep them fixed in every preset
// (ASan+UBSan turns the original failures into aborts).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/format/text.h"
#include "chconn/wire/block.h"
#include "chconn/wire/columns.h"
#include "chconn/wire/io.h"

namespace chconn {
namespace {

using Bytes = std::vector<std::uint8_t>;

// What fuzz_column does with its input `mode, 0xff, type name, '\n', rows (UVarInt), data`: puts
// a block header for one column "c" of that type in front of the data and reads the block
// (mode 0: revision 54412, the whole input in one chunk, default limits).
Block decode_column_input(const Bytes& input) {
  EXPECT_GE(input.size(), 3u);
  EXPECT_EQ(input[0], 0x00);  // mode
  EXPECT_EQ(input[1], 0xff);  // the type name follows
  std::size_t pos = 2;
  std::string type_name;
  while (input[pos] != '\n') type_name += static_cast<char>(input[pos++]);
  ++pos;
  std::uint64_t rows = 0;
  for (int shift = 0;; shift += 7) {
    const std::uint8_t b = input[pos++];
    rows |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) break;
  }
  wire::Writer block;
  block.uvarint(1);  // BlockInfo
  block.u8(0);
  block.uvarint(2);
  block.fixed<std::int32_t>(-1);
  block.uvarint(0);
  block.uvarint(1);  // columns
  block.uvarint(rows);
  block.string("c");
  block.string(type_name);
  block.write(input.data() + pos, input.size() - pos);
  wire::MemorySource source(block.data());
  wire::Reader in(source);
  return wire::read_block(in, 54412);
}

std::string format_tsv(const Block& block, bool legacy_dates) {
  text::BlockFormatter formatter(text::OutputFormat::tab_separated, {.legacy_dates = legacy_dates});
  std::string out;
  formatter.write_block(out, block);
  return out;
}

// fuzz_column: DateTime64(0, 'Asia/Tokyo') holding Int64 max. Formatting added the zone's offset to
// the seconds in int64 (src/format/timezone.cpp TimeZone::to_local: "signed integer overflow:
// 9223372036854775807 + 32400"), and the civil-date and POSIX-rule arithmetic overflowed the same
// way near both ends. Fixed in text.cpp append_local_date_time: instants beyond ±10^15 s (±31
// million years) print as the nearest bound.
TEST(FuzzRegressions, DateTime64AtTheEndsOfInt64FormatsWithoutOverflow) {
  const Bytes input = {
      0x00, 0xff,                                                                      // mode, named type
      'D',  'a',  't',  'e',  'T',  'i',  'm',  'e',  '6', '4', '(', '0',  ',', ' ',   //
      '\'', 'A',  's',  'i',  'a',  '/',  'T',  'o',  'k', 'y', 'o', '\'', ')', '\n',  //
      0x01,                                                                            // 1 row
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,                                  // INT64_MAX
  };
  const Block block = decode_column_input(input);
  ASSERT_EQ(block.rows(), 1u);
  const auto& column = block.column_as<ColumnDateTime64>(0);
  EXPECT_EQ(column[0], std::numeric_limits<std::int64_t>::max());

  // The bound itself formats the same as anything beyond it.
  auto at_bound = std::make_shared<ColumnDateTime64>(0, "Asia/Tokyo");
  at_bound->append(std::int64_t{1'000'000'000'000'000});
  Block bound;
  bound.append("c", at_bound);
  for (const bool legacy : {false, true}) {
    const std::string text = format_tsv(block, legacy);
    EXPECT_FALSE(text.empty());
    EXPECT_EQ(text, format_tsv(bound, legacy));
  }
  // Every output format takes the same path.
  for (const auto format :
       {text::OutputFormat::csv, text::OutputFormat::json_each_row, text::OutputFormat::pretty_compact}) {
    text::BlockFormatter formatter(format);
    std::string out;
    EXPECT_NO_THROW(formatter.write_block(out, block));
  }
}

// The other end, with a negative offset and a sub-second precision (the fraction is kept).
TEST(FuzzRegressions, DateTime64AtInt64MinFormatsWithoutOverflow) {
  auto column = std::make_shared<ColumnDateTime64>(1, "America/New_York");
  column->append(std::numeric_limits<std::int64_t>::min());
  Block block;
  block.append("c", column);
  for (const bool legacy : {false, true}) {
    const std::string text = format_tsv(block, legacy);
    EXPECT_NE(text.find(".2\n"), std::string::npos) << text;  // INT64_MIN ends in ...08, floored: .2
  }
}

}  // namespace
}  // namespace chconn
