// The Pretty formats as clickhouse-client 18.16 writes them: Pretty (the grid, with a line between
// rows), PrettyCompact, PrettySpace, their NoEscapes variants (the same without ANSI colour), and
// PrettyCompactMonoBlock (one PrettyCompact table for the first max_rows rows).
//
// Rules of 18.16, each checked on its clickhouse-client:
//   * Values are written raw (Escaping::pretty: a tab or line end in a string is written as it is)
//     and columns are sized on that raw text by display_width(): a tab counts up to the next
//     multiple of 8 from the position of the column in a PrettyCompact line (2, then + width + 3
//     per column; PrettySpace uses the same positions).
//   * A width counts up to max_column_pad_width; a longer value or name is written whole, unpadded.
//   * Widths are measured over every row of a block, also rows beyond max_rows that are not shown.
//   * Numbers, dates and times (and UUIDs) align right, names with them.
//   * output_format_pretty_color puts names in bold (\033[1m ... \033[0m): in Pretty the padding is
//     inside the bold, in PrettyCompact and PrettySpace it is not.
//   * After max_rows rows in all, further blocks are only counted; "Showed first N." follows when
//     at least N rows came, then the totals and the extremes as tables of their own. MonoBlock
//     shows neither totals nor extremes (18.16 drops them).
#include <algorithm>
#include <array>
#include <vector>

#include "format/output_writer.h"

namespace chconn::text::detail {

namespace {

struct Range {
  char32_t first;
  char32_t last;
};

// Zero-width code points: combining marks and format characters (Markus Kuhn's wcwidth table,
// the common ranges), and the line and paragraph separators U+2028/U+2029 (0 in 18.16 too).
constexpr Range k_zero_width[] = {
    {0x0300, 0x036F},   {0x0483, 0x0489},   {0x0591, 0x05BD},   {0x05BF, 0x05BF},   {0x05C1, 0x05C2},
    {0x05C4, 0x05C5},   {0x05C7, 0x05C7},   {0x0600, 0x0603},   {0x0610, 0x0615},   {0x064B, 0x065E},
    {0x0670, 0x0670},   {0x06D6, 0x06E4},   {0x06E7, 0x06E8},   {0x06EA, 0x06ED},   {0x070F, 0x070F},
    {0x0711, 0x0711},   {0x0730, 0x074A},   {0x07A6, 0x07B0},   {0x07EB, 0x07F3},   {0x0901, 0x0902},
    {0x093C, 0x093C},   {0x0941, 0x0948},   {0x094D, 0x094D},   {0x0951, 0x0954},   {0x0962, 0x0963},
    {0x0981, 0x0981},   {0x09BC, 0x09BC},   {0x09C1, 0x09C4},   {0x09CD, 0x09CD},   {0x09E2, 0x09E3},
    {0x0A01, 0x0A02},   {0x0A3C, 0x0A3C},   {0x0A41, 0x0A42},   {0x0A47, 0x0A48},   {0x0A4B, 0x0A4D},
    {0x0A70, 0x0A71},   {0x0A81, 0x0A82},   {0x0ABC, 0x0ABC},   {0x0AC1, 0x0AC5},   {0x0AC7, 0x0AC8},
    {0x0ACD, 0x0ACD},   {0x0AE2, 0x0AE3},   {0x0B01, 0x0B01},   {0x0B3C, 0x0B3C},   {0x0B3F, 0x0B3F},
    {0x0B41, 0x0B43},   {0x0B4D, 0x0B4D},   {0x0B56, 0x0B56},   {0x0B82, 0x0B82},   {0x0BC0, 0x0BC0},
    {0x0BCD, 0x0BCD},   {0x0C3E, 0x0C40},   {0x0C46, 0x0C48},   {0x0C4A, 0x0C4D},   {0x0C55, 0x0C56},
    {0x0CBC, 0x0CBC},   {0x0CBF, 0x0CBF},   {0x0CC6, 0x0CC6},   {0x0CCC, 0x0CCD},   {0x0CE2, 0x0CE3},
    {0x0D41, 0x0D43},   {0x0D4D, 0x0D4D},   {0x0DCA, 0x0DCA},   {0x0DD2, 0x0DD4},   {0x0DD6, 0x0DD6},
    {0x0E31, 0x0E31},   {0x0E34, 0x0E3A},   {0x0E47, 0x0E4E},   {0x0EB1, 0x0EB1},   {0x0EB4, 0x0EB9},
    {0x0EBB, 0x0EBC},   {0x0EC8, 0x0ECD},   {0x0F18, 0x0F19},   {0x0F35, 0x0F35},   {0x0F37, 0x0F37},
    {0x0F39, 0x0F39},   {0x0F71, 0x0F7E},   {0x0F80, 0x0F84},   {0x0F86, 0x0F87},   {0x0F90, 0x0F97},
    {0x0F99, 0x0FBC},   {0x0FC6, 0x0FC6},   {0x102D, 0x1030},   {0x1032, 0x1032},   {0x1036, 0x1037},
    {0x1039, 0x1039},   {0x1058, 0x1059},   {0x1160, 0x11FF},   {0x135F, 0x135F},   {0x1712, 0x1714},
    {0x1732, 0x1734},   {0x1752, 0x1753},   {0x1772, 0x1773},   {0x17B4, 0x17B5},   {0x17B7, 0x17BD},
    {0x17C6, 0x17C6},   {0x17C9, 0x17D3},   {0x17DD, 0x17DD},   {0x180B, 0x180D},   {0x18A9, 0x18A9},
    {0x1920, 0x1922},   {0x1927, 0x1928},   {0x1932, 0x1932},   {0x1939, 0x193B},   {0x1A17, 0x1A18},
    {0x1B00, 0x1B03},   {0x1B34, 0x1B34},   {0x1B36, 0x1B3A},   {0x1B3C, 0x1B3C},   {0x1B42, 0x1B42},
    {0x1B6B, 0x1B73},   {0x1DC0, 0x1DCA},   {0x1DFE, 0x1DFF},   {0x200B, 0x200F},   {0x2028, 0x202E},
    {0x2060, 0x2063},   {0x206A, 0x206F},   {0x20D0, 0x20EF},   {0x302A, 0x302F},   {0x3099, 0x309A},
    {0xA806, 0xA806},   {0xA80B, 0xA80B},   {0xA825, 0xA826},   {0xFB1E, 0xFB1E},   {0xFE00, 0xFE0F},
    {0xFE20, 0xFE23},   {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x10A01, 0x10A03}, {0x10A05, 0x10A06},
    {0x10A0C, 0x10A0F}, {0x10A38, 0x10A3A}, {0x10A3F, 0x10A3F}, {0x1D167, 0x1D169}, {0x1D173, 0x1D182},
    {0x1D185, 0x1D18B}, {0x1D1AA, 0x1D1AD}, {0x1D242, 0x1D244}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F},
    {0xE0100, 0xE01EF},
};

// Characters two columns wide (East Asian Wide and Fullwidth, as in Kuhn's wcwidth).
constexpr Range k_wide[] = {
    {0x1100, 0x115F}, {0x2329, 0x232A}, {0x2E80, 0x303E}, {0x3040, 0xA4CF}, {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},
    {0xFE10, 0xFE19}, {0xFE30, 0xFE6F}, {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
};

template <std::size_t N>
bool in(const Range (&table)[N], char32_t c) noexcept {
  const auto it =
      std::upper_bound(std::begin(table), std::end(table), c, [](char32_t v, const Range& r) { return v < r.first; });
  return it != std::begin(table) && c <= std::prev(it)->last;
}

std::size_t code_point_width(char32_t c) noexcept {
  if (c < 0x20 || (c >= 0x7F && c < 0xA0)) return 0;  // control characters
  if (in(k_zero_width, c)) return 0;
  return in(k_wide, c) ? 2 : 1;
}

}  // namespace

std::size_t display_width(std::string_view s, std::size_t prefix) noexcept {
  std::size_t width = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b == '\t') {
      width += 8 - (prefix + width) % 8;
      ++i;
      continue;
    }
    if (b < 0x80) {
      width += code_point_width(b);
      ++i;
      continue;
    }
    // A multi-byte sequence; an invalid one has no width and reading goes on at its next byte.
    const std::size_t length = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 && b <= 0xDF ? 2 : 0;
    if (length == 0 || i + length > s.size()) {
      ++i;
      continue;
    }
    char32_t c = b & (0x7F >> length);
    bool valid = true;
    for (std::size_t k = 1; k < length; ++k) {
      const auto cont = static_cast<unsigned char>(s[i + k]);
      if ((cont & 0xC0) != 0x80) {
        valid = false;
        break;
      }
      c = (c << 6) | (cont & 0x3F);
    }
    // Overlong forms, surrogates and code points beyond U+10FFFF are invalid too.
    static constexpr std::array<char32_t, 5> k_min = {0, 0, 0x80, 0x800, 0x10000};
    if (!valid || c < k_min[length] || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) {
      ++i;
      continue;
    }
    width += code_point_width(c);
    i += length;
  }
  return width;
}

namespace {

enum class Style : std::uint8_t { grid, compact, space };

void repeat(std::string& out, std::string_view piece, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out += piece;
}

// A table measured and ready to be drawn: the cells of the rows shown, and every column's width
// over all rows of its blocks.
struct Table {
  std::vector<std::string> names;
  std::vector<std::size_t> name_widths;
  std::vector<bool> right;
  std::vector<std::size_t> widths;
  std::size_t rows = 0;            // shown
  std::vector<std::string> cells;  // rows × columns
  std::vector<std::size_t> cell_widths;
};

// Measures `blocks` (the same columns) as one table showing its first `shown` rows.
Table measure(const std::vector<Block>& blocks, std::size_t shown, const FormatOptions& options) {
  Table t;
  const Block& first = blocks.front();
  const std::size_t n = first.column_count();
  const std::size_t cap = options.pretty_max_column_pad_width;
  t.rows = shown;
  t.widths.assign(n, 0);
  t.cells.resize(shown * n);
  t.cell_widths.resize(shown * n);
  std::string scratch;
  std::size_t prefix = 2;
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t row = 0;
    for (const Block& block : blocks) {
      const ValueWriter writer(*block[c].column, Escaping::pretty, options);
      if (&block == &first) t.right.push_back(writer.align_right());
      for (std::size_t r = 0; r < block.rows(); ++r, ++row) {
        std::string& text = row < shown ? t.cells[row * n + c] : scratch;
        text.clear();
        writer.append(text, r);
        const std::size_t w = std::min(cap, display_width(text, prefix));
        if (row < shown) t.cell_widths[row * n + c] = w;
        t.widths[c] = std::max(t.widths[c], w);
      }
    }
    t.names.push_back(first[c].name);
    t.name_widths.push_back(std::min(cap, display_width(first[c].name)));
    t.widths[c] = std::max(t.widths[c], t.name_widths[c]);
    prefix += t.widths[c] + 3;
  }
  return t;
}

void draw(std::string& out, const Table& t, Style style, bool color) {
  const std::size_t n = t.names.size();
  const auto name = [&](std::size_t c, std::string_view pad_piece, bool pad_inside_bold) {
    const std::size_t pad = t.widths[c] - t.name_widths[c];
    if (t.right[c] && !pad_inside_bold) repeat(out, pad_piece, pad);
    if (color) out += "\033[1m";
    if (t.right[c] && pad_inside_bold) repeat(out, pad_piece, pad);
    out += t.names[c];
    if (!t.right[c] && pad_inside_bold) repeat(out, pad_piece, pad);
    if (color) out += "\033[0m";
    if (!t.right[c] && !pad_inside_bold) repeat(out, pad_piece, pad);
  };
  const auto cell = [&](std::size_t r, std::size_t c) {
    const std::size_t pad = t.widths[c] - t.cell_widths[r * n + c];
    if (t.right[c]) out.append(pad, ' ');
    out += t.cells[r * n + c];
    if (!t.right[c]) out.append(pad, ' ');
  };
  const auto rule = [&](std::string_view left, std::string_view line, std::string_view cross, std::string_view end) {
    out += left;
    for (std::size_t c = 0; c < n; ++c) {
      if (c) out += cross;
      repeat(out, line, t.widths[c] + 2);
    }
    out += end;
  };
  const auto row = [&](std::size_t r, std::string_view left, std::string_view between, std::string_view end) {
    out += left;
    for (std::size_t c = 0; c < n; ++c) {
      if (c) out += between;
      cell(r, c);
    }
    out += end;
  };
  switch (style) {
    case Style::grid:
      rule("┏", "━", "┳", "┓\n");
      out += "┃ ";
      for (std::size_t c = 0; c < n; ++c) {
        if (c) out += " ┃ ";
        name(c, " ", true);
      }
      out += " ┃\n";
      rule("┡", "━", "╇", "┩\n");
      for (std::size_t r = 0; r < t.rows; ++r) {
        if (r) rule("├", "─", "┼", "┤\n");
        row(r, "│ ", " │ ", " │\n");
      }
      rule("└", "─", "┴", "┘\n");
      return;
    case Style::compact:
      out += "┌─";
      for (std::size_t c = 0; c < n; ++c) {
        if (c) out += "─┬─";
        name(c, "─", false);
      }
      out += "─┐\n";
      for (std::size_t r = 0; r < t.rows; ++r) row(r, "│ ", " │ ", " │\n");
      rule("└", "─", "┴", "┘\n");
      return;
    case Style::space:
      for (std::size_t c = 0; c < n; ++c) {
        if (c) out += "   ";
        name(c, " ", false);
      }
      out += "\n\n";
      for (std::size_t r = 0; r < t.rows; ++r) row(r, "", "   ", "\n");
      return;
  }
}

class PrettyWriter final : public BlockFormatter::Writer {
 public:
  PrettyWriter(OutputFormat format, const FormatOptions& options) : options_(options) {
    switch (format) {
      case OutputFormat::pretty:
      case OutputFormat::pretty_no_escapes: style_ = Style::grid; break;
      case OutputFormat::pretty_space:
      case OutputFormat::pretty_space_no_escapes: style_ = Style::space; break;
      default: style_ = Style::compact; break;
    }
    color_ = options.pretty_color &&
             (format == OutputFormat::pretty || format == OutputFormat::pretty_compact ||
              format == OutputFormat::pretty_compact_mono_block || format == OutputFormat::pretty_space);
    mono_ = format == OutputFormat::pretty_compact_mono_block;
  }

  void write_block(std::string& out, const Block& block) override {
    if (!mono_) {
      write_table(out, {block});
      return;
    }
    // 18.16 squashes blocks until they hold max_rows rows, writes them as one table, and counts
    // the rest. Kept: at most max_rows rows plus one block.
    if (mono_done_) {
      seen_ += block.rows();
      return;
    }
    pending_rows_ += block.rows();
    pending_.push_back(block);
    if (pending_rows_ >= options_.pretty_max_rows) flush_mono(out);
  }

  void finish(std::string& out, const Block& header, const ResultSummary& summary) override {
    (void)header;
    if (mono_ && !pending_.empty()) flush_mono(out);
    if (seen_ >= options_.pretty_max_rows) {
      out += style_ == Style::space ? "\nShowed first " : "  Showed first ";
      out += std::to_string(options_.pretty_max_rows);
      out += ".\n";
    }
    if (mono_) return;  // 18.16's MonoBlock loses the totals and extremes
    seen_ = 0;
    if (summary.totals && summary.totals->rows() > 0) {
      out += "\nTotals:\n";
      write_table(out, {*summary.totals}, false);
    }
    if (summary.extremes && summary.extremes->rows() > 0) {
      out += "\nExtremes:\n";
      write_table(out, {*summary.extremes}, false);
    }
  }

 private:
  void flush_mono(std::string& out) {
    write_table(out, pending_);
    pending_.clear();
    pending_rows_ = 0;
    mono_done_ = true;
  }

  void write_table(std::string& out, const std::vector<Block>& blocks, bool count = true) {
    std::size_t rows = 0;
    for (const Block& b : blocks) rows += b.rows();
    if (seen_ >= options_.pretty_max_rows) {
      seen_ += rows;
      return;
    }
    const std::size_t shown = std::min(rows, options_.pretty_max_rows - seen_);
    if (rows > 0) draw(out, measure(blocks, shown, options_), style_, color_);
    seen_ += rows;
    if (count) rows_ += shown;
  }

  FormatOptions options_;
  Style style_ = Style::compact;
  bool color_ = false;
  bool mono_ = false;
  bool mono_done_ = false;
  std::size_t seen_ = 0;  // rows that came, shown or not (18.16's total_rows)
  std::vector<Block> pending_;
  std::size_t pending_rows_ = 0;
};

}  // namespace

WriterPtr make_pretty_writer(OutputFormat format, const FormatOptions& options) {
  return std::make_unique<PrettyWriter>(format, options);
}

}  // namespace chconn::text::detail
