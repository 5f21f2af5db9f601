// Whole-result output formats: the names and BlockFormatter, which hands each format to its
// family's writer (see output_writer.h).
#include <algorithm>
#include <cctype>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/format/text.h"
#include "core/strings.h"
#include "format/format_names.h"
#include "format/output_writer.h"

namespace chconn::text {

namespace {

// Canonical names first: to_string() returns the first name of a format.
constexpr detail::FormatName<OutputFormat> k_format_names[] = {
    {"TabSeparated", OutputFormat::tab_separated},
    {"TabSeparatedRaw", OutputFormat::tab_separated_raw},
    {"TabSeparatedWithNames", OutputFormat::tab_separated_with_names},
    {"TabSeparatedWithNamesAndTypes", OutputFormat::tab_separated_with_names_and_types},
    {"CSV", OutputFormat::csv},
    {"CSVWithNames", OutputFormat::csv_with_names},
    {"TSKV", OutputFormat::tskv},
    {"Values", OutputFormat::values},
    {"JSONEachRow", OutputFormat::json_each_row},
    {"JSON", OutputFormat::json},
    {"JSONCompact", OutputFormat::json_compact},
    {"XML", OutputFormat::xml},
    {"Vertical", OutputFormat::vertical},
    {"Pretty", OutputFormat::pretty},
    {"PrettyNoEscapes", OutputFormat::pretty_no_escapes},
    {"PrettyCompact", OutputFormat::pretty_compact},
    {"PrettyCompactNoEscapes", OutputFormat::pretty_compact_no_escapes},
    {"PrettyCompactMonoBlock", OutputFormat::pretty_compact_mono_block},
    {"PrettySpace", OutputFormat::pretty_space},
    {"PrettySpaceNoEscapes", OutputFormat::pretty_space_no_escapes},
    {"Markdown", OutputFormat::markdown},
    {"RowBinary", OutputFormat::row_binary},
    {"Native", OutputFormat::native},
    {"Null", OutputFormat::null},
    // Aliases.
    {"TSV", OutputFormat::tab_separated},
    {"TSVRaw", OutputFormat::tab_separated_raw},
    {"TSVWithNames", OutputFormat::tab_separated_with_names},
    {"TSVWithNamesAndTypes", OutputFormat::tab_separated_with_names_and_types},
};

}  // namespace

std::optional<OutputFormat> parse_output_format(std::string_view name) noexcept {
  return detail::format_named(k_format_names, name);
}

std::string_view to_string(OutputFormat format) noexcept { return detail::name_of(k_format_names, format); }

std::string_view output_format_names() noexcept {
  return "TabSeparated (TSV), TabSeparatedRaw (TSVRaw), TabSeparatedWithNames (TSVWithNames), "
         "TabSeparatedWithNamesAndTypes (TSVWithNamesAndTypes), CSV, CSVWithNames, TSKV, Values, JSONEachRow, JSON, "
         "JSONCompact, XML, Vertical, Pretty, PrettyNoEscapes, PrettyCompact, PrettyCompactNoEscapes, "
         "PrettyCompactMonoBlock, PrettySpace, PrettySpaceNoEscapes, Markdown, RowBinary, Native, Null (any letter "
         "case)";
}

namespace detail {

std::vector<ValueWriter> column_writers(const Block& block, Escaping escaping, const FormatOptions& options) {
  std::vector<ValueWriter> writers;
  writers.reserve(block.column_count());
  for (std::size_t c = 0; c < block.column_count(); ++c) writers.emplace_back(*block[c].column, escaping, options);
  return writers;
}

namespace {

// Length of the valid UTF-8 sequence at the start of `s`, or 0.
std::size_t valid_sequence(std::string_view s) noexcept {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto c0 = b(0);
  if (c0 < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    length = 2;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    length = 3;
    if (c0 == 0xE0) low = 0xA0;
    if (c0 == 0xED) high = 0x9F;
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    length = 4;
    if (c0 == 0xF0) low = 0x90;
    if (c0 == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < length || b(1) < low || b(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if ((b(i) & 0xC0) != 0x80) return 0;
  }
  return length;
}

class ValidUtf8Writer final : public BlockFormatter::Writer {
 public:
  explicit ValidUtf8Writer(WriterPtr inner) : inner_(std::move(inner)) {}

  void write_block(std::string& out, const Block& block) override {
    chunk_.clear();
    inner_->write_block(chunk_, block);
    copy(out);
  }
  void finish(std::string& out, const Block& header, const ResultSummary& summary) override {
    chunk_.clear();
    inner_->finish(chunk_, header, summary);
    copy(out);
  }

 private:
  void copy(std::string& out) {
    rows_ = inner_->rows_written();
    std::string_view rest = chunk_;
    while (!rest.empty()) {
      const std::size_t n = valid_sequence(rest);
      if (n == 0) {
        // Runs of invalid bytes become one replacement; valid text in between ends a run.
        if (!just_replaced_) out += "\xEF\xBF\xBD";
        just_replaced_ = true;
        rest.remove_prefix(1);
        continue;
      }
      out.append(rest.data(), n);
      just_replaced_ = false;
      rest.remove_prefix(n);
    }
  }

  WriterPtr inner_;
  std::string chunk_;
  bool just_replaced_ = false;
};

}  // namespace

WriterPtr make_valid_utf8(WriterPtr writer) { return std::make_unique<ValidUtf8Writer>(std::move(writer)); }

}  // namespace detail

BlockFormatter::BlockFormatter(OutputFormat format, FormatOptions options) : format_(format) {
  // The zones its blocks need are read once for the whole stream, not once per block.
  if (!options.time_zones) options.time_zones = make_time_zones();
  switch (format) {
    case OutputFormat::json:
    case OutputFormat::json_compact:
      writer_ = detail::make_valid_utf8(detail::make_json_writer(format, options));
      break;
    case OutputFormat::xml: writer_ = detail::make_valid_utf8(detail::make_xml_writer(options)); break;
    case OutputFormat::vertical: writer_ = detail::make_vertical_writer(options); break;
    case OutputFormat::native: writer_ = detail::make_native_writer(); break;
    case OutputFormat::row_binary: writer_ = detail::make_row_binary_writer(); break;
    case OutputFormat::pretty:
    case OutputFormat::pretty_no_escapes:
    case OutputFormat::pretty_compact:
    case OutputFormat::pretty_compact_no_escapes:
    case OutputFormat::pretty_compact_mono_block:
    case OutputFormat::pretty_space:
    case OutputFormat::pretty_space_no_escapes: writer_ = detail::make_pretty_writer(format, options); break;
    default: writer_ = detail::make_delimited_writer(format, options); break;
  }
}

BlockFormatter::~BlockFormatter() = default;
BlockFormatter::BlockFormatter(BlockFormatter&&) noexcept = default;
BlockFormatter& BlockFormatter::operator=(BlockFormatter&&) noexcept = default;

std::size_t BlockFormatter::rows_written() const noexcept { return writer_->rows_written(); }

void BlockFormatter::write_block(std::string& out, const Block& block) {
  if (block.column_count() == 0) return;
  any_block_ = true;
  writer_->write_block(out, block);
}

void BlockFormatter::finish(std::string& out, const Block& header, const ResultSummary& summary) {
  if (any_block_ || header.column_count() > 0) {
    writer_->finish(out, header, summary);
    return;
  }
  // No columns: a statement without a result (DDL) prints nothing, as with clickhouse-client. But
  // INSERT ... SELECT ... WITH TOTALS (or with extremes = 1) has totals or extremes and no other
  // result: 18.16's server sends them, and its client prints them as the result of a SELECT without
  // rows, named as they are.
  for (const Block* named : {summary.totals, summary.extremes}) {
    if (named == nullptr || named->column_count() == 0) continue;
    writer_->finish(out, named->empty_copy(), summary);
    return;
  }
}

void BlockFormatter::finish(std::string& out, const Block& header, const Block* totals, const Block* extremes) {
  ResultSummary summary;
  summary.totals = totals;
  summary.extremes = extremes;
  finish(out, header, summary);
}

}  // namespace chconn::text
