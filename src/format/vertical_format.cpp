// Vertical as clickhouse-client 18.16 writes it: per row "Row N:", a rule, and one line per
// column, the names padded to the widest (display_width) after "name: ", values raw
// (Escaping::pretty):
//
//   Row 1:
//   ──────
//   k: 0
//   c: 5
//                          an empty line between rows
//   Row 2:
//   ...
//
// The rule under "Row N:" is floor(log10(N + 1)) + 6 long, as 18.16 computes it (one more than the
// text for N = 9, 99, ...). After max_rows rows the rest is counted and "Showed first N." follows.
// Totals and extremes come after an empty line, each as a row named "Totals:", "Min:" and "Max:"
// after an empty line of its own.
#include <cmath>
#include <vector>

#include "format/output_writer.h"

namespace chconn::text::detail {
namespace {

class VerticalWriter final : public BlockFormatter::Writer {
 public:
  explicit VerticalWriter(const FormatOptions& options) : options_(options) {}

  void write_block(std::string& out, const Block& block) override {
    if (labels_.empty()) make_labels(block);
    const std::vector<ValueWriter> writers = column_writers(block, Escaping::pretty, options_);
    for (std::size_t r = 0; r < block.rows(); ++r) {
      if (row_number_ > 0 && row_number_ <= options_.pretty_max_rows) out += '\n';
      ++row_number_;
      if (row_number_ > options_.pretty_max_rows) continue;
      const std::string title = "Row " + std::to_string(row_number_) + ":";
      const auto rule = static_cast<std::size_t>(std::log10(static_cast<double>(row_number_ + 1))) + 6;
      write_row(out, writers, r, title, rule);
      ++rows_;
    }
  }

  void finish(std::string& out, const Block& header, const ResultSummary& summary) override {
    if (labels_.empty()) make_labels(header);
    if (row_number_ > options_.pretty_max_rows) {
      out += "Showed first " + std::to_string(options_.pretty_max_rows) + ".\n";
    }
    const bool totals = summary.totals && summary.totals->rows() > 0;
    const bool extremes = summary.extremes && summary.extremes->rows() >= 2;
    if (!totals && !extremes) return;
    out += '\n';
    if (totals) {
      out += '\n';
      write_row(out, column_writers(*summary.totals, Escaping::pretty, options_), 0, "Totals:", 7);
    }
    if (extremes) {
      const std::vector<ValueWriter> writers = column_writers(*summary.extremes, Escaping::pretty, options_);
      out += '\n';
      write_row(out, writers, 0, "Min:", 4);
      out += '\n';
      write_row(out, writers, 1, "Max:", 4);
    }
  }

 private:
  // "name: " and the spaces that line the values up.
  void make_labels(const Block& block) {
    std::vector<std::size_t> widths;
    std::size_t widest = 0;
    for (std::size_t c = 0; c < block.column_count(); ++c) {
      widths.push_back(display_width(block[c].name));
      widest = std::max(widest, widths.back());
    }
    for (std::size_t c = 0; c < block.column_count(); ++c) {
      labels_.push_back(block[c].name + ": " + std::string(widest - widths[c], ' '));
    }
  }

  void write_row(std::string& out, const std::vector<ValueWriter>& writers, std::size_t r, std::string_view title,
                 std::size_t rule) const {
    out += title;
    out += '\n';
    for (std::size_t i = 0; i < rule; ++i) out += "─";
    out += '\n';
    for (std::size_t c = 0; c < writers.size() && c < labels_.size(); ++c) {
      out += labels_[c];
      writers[c].append(out, r);
      out += '\n';
    }
  }

  FormatOptions options_;
  std::vector<std::string> labels_;
  std::size_t row_number_ = 0;
};

}  // namespace

WriterPtr make_vertical_writer(const FormatOptions& options) { return std::make_unique<VerticalWriter>(options); }

}  // namespace chconn::text::detail
