// The formats that write one line (or one tuple) per row with nothing around the result:
// TabSeparated and its Raw, WithNames and WithNamesAndTypes forms, CSV and CSVWithNames, TSKV,
// Values, JSONEachRow and Null, as clickhouse-client 18.16 writes them, and Markdown, which 18.16
// lacks, as ClickHouse 26.7 (chDB) writes it.
#include <vector>

#include "format/output_writer.h"

namespace chconn::text::detail {
namespace {

class DelimitedWriter final : public BlockFormatter::Writer {
 public:
  DelimitedWriter(OutputFormat format, const FormatOptions& options) : format_(format), options_(options) {}

  void write_block(std::string& out, const Block& block) override {
    if (format_ == OutputFormat::null) {
      rows_ += block.rows();
      return;
    }
    if (!prefix_written_) write_prefix(out, block);
    write_rows(out, block);
    rows_ += block.rows();
  }

  void finish(std::string& out, const Block& header, const ResultSummary& summary) override {
    switch (format_) {
      // No place for totals and extremes.
      case OutputFormat::null:
      case OutputFormat::values:
      case OutputFormat::json_each_row: return;
      default: break;
    }
    if (format_ == OutputFormat::markdown) {
      if (!prefix_written_) write_prefix(out, header);  // the names also for an empty result
      return;
    }
    if (!prefix_written_) write_prefix(out, header);
    // The others put totals, then extremes, after an empty line each.
    for (const Block* extra : {summary.totals, summary.extremes}) {
      if (extra == nullptr || extra->rows() == 0) continue;
      out += '\n';
      write_rows(out, *extra);
    }
  }

 private:
  bool csv() const noexcept { return format_ == OutputFormat::csv || format_ == OutputFormat::csv_with_names; }

  // Column names (and types) before the first row, in the formats that have them.
  void write_prefix(std::string& out, const Block& block) {
    prefix_written_ = true;
    const std::size_t n = block.column_count();
    if (format_ == OutputFormat::markdown) {
      // As current servers write it (MarkdownRowOutputFormat): the names TabSeparated-escaped, then
      // the alignment row, -: for a column Pretty aligns right, :- for the others.
      out += "| ";
      for (std::size_t i = 0; i < n; ++i) {
        if (i) out += " | ";
        append_escaped(out, block[i].name);
      }
      out += " |\n|";
      const std::vector<ValueWriter> writers = column_writers(block, Escaping::tsv, options_);
      for (const ValueWriter& w : writers) out += w.align_right() ? "-:|" : ":-|";
      out += '\n';
      return;
    }
    const bool names = format_ == OutputFormat::tab_separated_with_names ||
                       format_ == OutputFormat::tab_separated_with_names_and_types ||
                       format_ == OutputFormat::csv_with_names;
    if (!names) return;
    for (std::size_t i = 0; i < n; ++i) {
      if (i) out += csv() ? ',' : '\t';
      if (csv())
        append_csv_string(out, block[i].name);
      else
        append_escaped(out, block[i].name);
    }
    out += '\n';
    if (format_ != OutputFormat::tab_separated_with_names_and_types) return;
    for (std::size_t i = 0; i < n; ++i) {
      if (i) out += '\t';
      append_escaped(out, block[i].column->type()->name());
    }
    out += '\n';
  }

  Escaping escaping() const noexcept {
    switch (format_) {
      case OutputFormat::csv:
      case OutputFormat::csv_with_names: return Escaping::csv;
      case OutputFormat::json_each_row: return Escaping::json;
      case OutputFormat::values: return Escaping::quoted;
      case OutputFormat::tab_separated_raw: return Escaping::pretty;  // raw text, as 18.16's serializeText
      default: return Escaping::tsv;
    }
  }

  // The text before each value of column c: `"name":` of JSONEachRow, `name=` of TSKV.
  std::vector<std::string> keys_of(const Block& block) const {
    std::vector<std::string> keys;
    for (std::size_t c = 0; c < block.column_count(); ++c) {
      std::string key;
      if (format_ == OutputFormat::json_each_row) {
        append_json_string(key, block[c].name, options_.json_escape_forward_slashes);
        key += ':';
      } else if (format_ == OutputFormat::tskv) {
        // 18.16 escapes a name as TabSeparated does, but for the quote, and '=' too: it ends the name.
        for (const char ch : block[c].name) {
          if (ch == '\'')
            key += ch;
          else if (ch == '=')
            key += "\\=";
          else
            append_escaped(key, std::string_view(&ch, 1));
        }
        key += '=';
      }
      keys.push_back(std::move(key));
    }
    return keys;
  }

  void write_rows(std::string& out, const Block& block) {
    const std::size_t n = block.column_count();
    const std::vector<ValueWriter> writers = column_writers(block, escaping(), options_);
    const std::vector<std::string> keys = keys_of(block);
    switch (format_) {
      case OutputFormat::json_each_row:
        for (std::size_t r = 0; r < block.rows(); ++r) {
          out += '{';
          for (std::size_t c = 0; c < n; ++c) {
            if (c) out += ',';
            out += keys[c];
            writers[c].append(out, r);
          }
          out += "}\n";
        }
        return;
      case OutputFormat::markdown:
        for (std::size_t r = 0; r < block.rows(); ++r) {
          out += "| ";
          for (std::size_t c = 0; c < n; ++c) {
            if (c) out += " | ";
            writers[c].append(out, r);
          }
          out += " |\n";
        }
        return;
      case OutputFormat::values:
        // (1,'a'),(2,'b'): a comma between rows, also between blocks, and no line end.
        for (std::size_t r = 0; r < block.rows(); ++r) {
          if (values_rows_++) out += ',';
          out += '(';
          for (std::size_t c = 0; c < n; ++c) {
            if (c) out += ',';
            writers[c].append(out, r);
          }
          out += ')';
        }
        return;
      default: {
        const char separator = csv() ? ',' : '\t';
        for (std::size_t r = 0; r < block.rows(); ++r) {
          for (std::size_t c = 0; c < n; ++c) {
            if (c) out += separator;
            out += keys[c];
            writers[c].append(out, r);
          }
          out += '\n';
        }
      }
    }
  }

  OutputFormat format_;
  FormatOptions options_;
  bool prefix_written_ = false;
  std::size_t values_rows_ = 0;
};

}  // namespace

WriterPtr make_delimited_writer(OutputFormat format, const FormatOptions& options) {
  return std::make_unique<DelimitedWriter>(format, options);
}

}  // namespace chconn::text::detail
