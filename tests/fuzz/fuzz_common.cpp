#include "fuzz_common.h"

#include <algorithm>
#include <array>
#include <string>

#include "chconn/format/text.h"
#include "chconn/wire/columns.h"

namespace chconn::fuzz {

namespace {

Bytes encode(const Block& block, std::uint64_t revision, const char* which) {
  wire::Writer out;
  try {
    wire::write_block(out, block, revision);
  } catch (const Error& e) {
    // A block that read_block built (or that decoding its encoding built) must always encode.
    fail(std::string(which) + ": write_block threw " + e.what());
  }
  return Bytes(out.data().begin(), out.data().end());
}

std::string describe(const Block& block) {
  std::string s = std::to_string(block.column_count()) + " columns, " + std::to_string(block.rows()) + " rows:";
  for (const auto& e : block) s += " " + e.name.substr(0, 40) + " " + e.column->type()->name().substr(0, 80);
  return s;
}

// Formatting costs time per value and per byte; an Array(Tuple()) of 2^32 empty tuples decodes from
// a few bytes in no time, and a megabyte of strings takes seconds to format in four formats. Both
// would only turn into timeouts, so only blocks within these bounds are formatted.
constexpr std::uint64_t k_max_formatted_values = 20000;
constexpr std::size_t k_max_formatted_bytes = 64 * 1024;

// Values a column holds, nested elements included (what formatting it walks).
std::uint64_t values_in(const Column& column) {
  const std::uint64_t rows = column.size();
  if (const auto* a = dynamic_cast<const ColumnArray*>(&column)) return rows + values_in(a->nested());
  if (const auto* m = dynamic_cast<const ColumnMap*>(&column)) return values_in(m->as_array());
  if (const auto* n = dynamic_cast<const ColumnNullable*>(&column)) return rows + values_in(n->nested());
  if (const auto* t = dynamic_cast<const ColumnTuple*>(&column)) {
    std::uint64_t total = rows;
    for (std::size_t i = 0; i < t->element_count(); ++i) total += values_in(t->element(i));
    return total;
  }
  if (const auto* v = dynamic_cast<const ColumnVariant*>(&column)) {
    std::uint64_t total = rows;
    for (std::size_t k = 0; k < v->variant_count(); ++k) total += values_in(v->variant(k));
    return total;
  }
  if (const auto* d = dynamic_cast<const ColumnDynamic*>(&column)) return values_in(d->variant());
  return rows;
}

}  // namespace

void check_block(const Block& block, std::uint64_t revision) {
  try {
    block.check_consistent();
  } catch (const Error& e) {
    fail(std::string("read_block returned an inconsistent block: ") + e.what());
  }

  const Bytes first = encode(block, revision, "first encoding");
  Block again;
  try {
    // Default limits, but the canonical type names write_block sends may be longer than the names
    // that were read ("Tuple(A,B)" gains spaces).
    wire::DecodeLimits limits;
    limits.max_type_name_bytes = UINT32_MAX;
    wire::MemorySource source(std::span<const std::uint8_t>(first.data(), first.size()));
    wire::Reader in(source, limits);
    again = wire::read_block(in, revision);
    if (!in.at_end()) fail("decoding an encoded block left bytes unread; " + describe(block));
  } catch (const Error& e) {
    fail(std::string("an encoded block does not decode: ") + e.what() + "; " + describe(block));
  }
  if (again.column_count() != block.column_count() || again.rows() != block.rows()) {
    fail("round trip changed the shape: " + describe(block) + " became " + describe(again));
  }
  for (std::size_t i = 0; i < block.column_count(); ++i) {
    if (again[i].name != block[i].name || again[i].column->type()->name() != block[i].column->type()->name()) {
      fail("round trip changed a column: " + describe(block) + " became " + describe(again));
    }
  }
  const Bytes second = encode(again, revision, "second encoding");
  if (first != second) {
    const auto diff = std::mismatch(first.begin(), first.end(), second.begin(), second.end());
    fail("encode(decode(encode(block))) differs from encode(block) at byte " +
         std::to_string(diff.first - first.begin()) + " (" + std::to_string(first.size()) + " vs " +
         std::to_string(second.size()) + " bytes); " + describe(block));
  }

  if (first.size() > k_max_formatted_bytes) return;
  std::uint64_t values = 0;
  for (const auto& e : block) values += values_in(*e.column);
  if (values > k_max_formatted_values) return;
  static constexpr std::array k_formats{text::OutputFormat::tab_separated, text::OutputFormat::csv_with_names,
                                        text::OutputFormat::json_each_row, text::OutputFormat::pretty_compact};
  for (const auto format : k_formats) {
    // A DateTime('zone') whose zone is not installed is Error(config); a value in binary form
    // (Dynamic's SharedVariant, JSON's shared data) is decoded when printed, so malformed bytes
    // there are Error(protocol) saying so; nothing else may fail.
    expect_only_chconn_errors(
        [&] {
          text::BlockFormatter formatter(format, {.legacy_dates = format == text::OutputFormat::csv_with_names});
          std::string out;
          formatter.write_block(out, block);
          formatter.finish(out, block, &block, &block);
        },
        [](const Error& e) {
          return e.kind() == ErrorKind::config ||
                 (e.kind() == ErrorKind::protocol && e.message().find("in binary form") != std::string::npos);
        });
  }
}

}  // namespace chconn::fuzz
