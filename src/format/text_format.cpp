// Whole-result output formats; see chconn/format/text.h.
#include <algorithm>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/format/text.h"

namespace chconn::text {

namespace {

struct FormatName {
  std::string_view name;
  OutputFormat format;
};

constexpr FormatName k_format_names[] = {
    {"TabSeparated", OutputFormat::tab_separated},
    {"TSV", OutputFormat::tab_separated},
    {"TabSeparatedWithNames", OutputFormat::tab_separated_with_names},
    {"TSVWithNames", OutputFormat::tab_separated_with_names},
    {"CSV", OutputFormat::csv},
    {"CSVWithNames", OutputFormat::csv_with_names},
    {"JSONEachRow", OutputFormat::json_each_row},
    {"PrettyCompact", OutputFormat::pretty_compact},
    {"Pretty", OutputFormat::pretty_compact},
    {"Null", OutputFormat::null},
};

// Columns of a terminal a UTF-8 string takes: one per code point (continuation bytes take none).
std::size_t display_width(std::string_view s) noexcept {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

void repeat(std::string& out, std::string_view piece, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out += piece;
}

}  // namespace

std::optional<OutputFormat> parse_output_format(std::string_view name) noexcept {
  for (const auto& entry : k_format_names) {
    if (entry.name == name) return entry.format;
  }
  return std::nullopt;
}

std::string_view to_string(OutputFormat format) noexcept {
  switch (format) {
    case OutputFormat::tab_separated: return "TabSeparated";
    case OutputFormat::tab_separated_with_names: return "TabSeparatedWithNames";
    case OutputFormat::csv: return "CSV";
    case OutputFormat::csv_with_names: return "CSVWithNames";
    case OutputFormat::json_each_row: return "JSONEachRow";
    case OutputFormat::pretty_compact: return "PrettyCompact";
    case OutputFormat::null: return "Null";
  }
  return "?";
}

std::string_view output_format_names() noexcept {
  return "TabSeparated (TSV), TabSeparatedWithNames (TSVWithNames), CSV, CSVWithNames, JSONEachRow, "
         "PrettyCompact (Pretty), Null";
}

BlockFormatter::BlockFormatter(OutputFormat format, FormatOptions options)
    : format_(format), options_(std::move(options)) {
  // The zones its blocks need are read once for the whole stream, not once per block.
  if (!options_.time_zones) options_.time_zones = make_time_zones();
}

void BlockFormatter::write_names(std::string& out, const Block& block) {
  names_written_ = true;
  if (block.column_count() == 0) return;  // a statement without a result (DDL) prints nothing
  if (format_ == OutputFormat::tab_separated_with_names) {
    for (std::size_t i = 0; i < block.column_count(); ++i) {
      if (i) out += '\t';
      append_escaped(out, block[i].name);
    }
    out += '\n';
  } else if (format_ == OutputFormat::csv_with_names) {
    for (std::size_t i = 0; i < block.column_count(); ++i) {
      if (i) out += ',';
      append_csv_string(out, block[i].name);
    }
    out += '\n';
  }
}

void BlockFormatter::write_rows(std::string& out, const Block& block, std::size_t begin, std::size_t end) {
  const std::size_t n = block.column_count();
  switch (format_) {
    case OutputFormat::tab_separated:
    case OutputFormat::tab_separated_with_names:
    case OutputFormat::csv:
    case OutputFormat::csv_with_names: {
      const bool csv = format_ == OutputFormat::csv || format_ == OutputFormat::csv_with_names;
      std::vector<ValueWriter> writers;
      writers.reserve(n);
      for (std::size_t c = 0; c < n; ++c)
        writers.emplace_back(*block[c].column, csv ? Escaping::csv : Escaping::tsv, options_);
      const char separator = csv ? ',' : '\t';
      for (std::size_t r = begin; r < end; ++r) {
        for (std::size_t c = 0; c < n; ++c) {
          if (c) out += separator;
          writers[c].append(out, r);
        }
        out += '\n';
      }
      break;
    }
    case OutputFormat::json_each_row: {
      std::vector<ValueWriter> writers;
      std::vector<std::string> keys;  // `"name":`, escaped once per block
      writers.reserve(n);
      for (std::size_t c = 0; c < n; ++c) {
        writers.emplace_back(*block[c].column, Escaping::json, options_);
        std::string key;
        append_json_string(key, block[c].name);
        key += ':';
        keys.push_back(std::move(key));
      }
      for (std::size_t r = begin; r < end; ++r) {
        out += '{';
        for (std::size_t c = 0; c < n; ++c) {
          if (c) out += ',';
          out += keys[c];
          writers[c].append(out, r);
        }
        out += "}\n";
      }
      break;
    }
    case OutputFormat::pretty_compact:
    case OutputFormat::null: break;
  }
}

void BlockFormatter::write_pretty(std::string& out, const Block& block, std::size_t rows) {
  const std::size_t n = block.column_count();
  if (n == 0 || rows == 0) return;
  std::vector<ValueWriter> writers;
  std::vector<std::size_t> widths(n);
  std::vector<std::string> cells(rows * n);
  std::vector<std::size_t> cell_widths(rows * n);
  writers.reserve(n);
  // Widths count up to max_column_pad_width (as both 18.16 and current servers do): a longer value
  // or name is written whole, unpadded, and the column is as wide as the cap.
  const std::size_t cap = options_.pretty_max_column_pad_width;
  for (std::size_t c = 0; c < n; ++c) {
    writers.emplace_back(*block[c].column, Escaping::pretty, options_);
    widths[c] = std::min(cap, display_width(block[c].name));
  }
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < n; ++c) {
      std::string& cell = cells[r * n + c];
      writers[c].append(cell, r);
      cell_widths[r * n + c] = std::min(cap, display_width(cell));
      widths[c] = std::max(widths[c], cell_widths[r * n + c]);
    }
  }
  out += "┌─";
  for (std::size_t c = 0; c < n; ++c) {
    if (c) out += "─┬─";
    // Names line up with their values: right for numbers, as clickhouse-client does.
    const std::size_t fill = widths[c] - std::min(widths[c], display_width(block[c].name));
    if (writers[c].align_right()) repeat(out, "─", fill);
    if (options_.pretty_color) out += "\033[1m";
    out += block[c].name;
    if (options_.pretty_color) out += "\033[0m";
    if (!writers[c].align_right()) repeat(out, "─", fill);
  }
  out += "─┐\n";
  for (std::size_t r = 0; r < rows; ++r) {
    out += "│ ";
    for (std::size_t c = 0; c < n; ++c) {
      if (c) out += " │ ";
      const std::size_t pad = widths[c] - cell_widths[r * n + c];
      if (writers[c].align_right()) out.append(pad, ' ');
      out += cells[r * n + c];
      if (!writers[c].align_right()) out.append(pad, ' ');
    }
    out += " │\n";
  }
  out += "└─";
  for (std::size_t c = 0; c < n; ++c) {
    if (c) out += "─┴─";
    repeat(out, "─", widths[c]);
  }
  out += "─┘\n";
}

void BlockFormatter::write_block(std::string& out, const Block& block) {
  if (format_ == OutputFormat::null) {
    rows_ += block.rows();
    return;
  }
  if (format_ == OutputFormat::pretty_compact) {
    // Bounded: never more than pretty_max_rows rows are formatted in all; the rest is counted.
    const std::size_t allowed = options_.pretty_max_rows > rows_ ? options_.pretty_max_rows - rows_ : 0;
    const std::size_t shown = std::min(allowed, block.rows());
    write_pretty(out, block, shown);
    rows_ += shown;
    pretty_skipped_ += block.rows() - shown;
    return;
  }
  if (!names_written_) write_names(out, block);
  write_rows(out, block, 0, block.rows());
  rows_ += block.rows();
}

void BlockFormatter::finish(std::string& out, const Block& header, const Block* totals, const Block* extremes) {
  switch (format_) {
    case OutputFormat::null:
    case OutputFormat::json_each_row: return;  // JSONEachRow has no place for totals
    case OutputFormat::pretty_compact:
      if (totals && totals->rows() > 0) {
        out += "\nTotals:\n";
        write_pretty(out, *totals, totals->rows());
      }
      if (extremes && extremes->rows() > 0) {
        out += "\nExtremes:\n";
        write_pretty(out, *extremes, extremes->rows());
      }
      if (pretty_skipped_ > 0) {
        out += "  Showed first " + std::to_string(options_.pretty_max_rows) + ".\n";
      }
      return;
    default: break;
  }
  if (!names_written_) write_names(out, header);
  // TabSeparated and CSV put totals, then extremes, after an empty line each.
  if (totals && totals->rows() > 0) {
    out += '\n';
    write_rows(out, *totals, 0, totals->rows());
  }
  if (extremes && extremes->rows() > 0) {
    out += '\n';
    write_rows(out, *extremes, 0, extremes->rows());
  }
}

}  // namespace chconn::text
