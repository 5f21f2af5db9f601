// TabSeparated (WithNames, WithNamesAndTypes), TSKV and CSV (WithNames) input (see input_parser.h): a row
// is a line (CSV: unless inside quotes), its fields split by tabs or commas.
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "format/input_parser.h"

namespace chconn::text::detail {
namespace {

class TabSeparatedParser : public RowParser {
 public:
  using RowParser::RowParser;

 private:
  std::size_t header_rows() const noexcept override {
    return format_ == InputFormat::tab_separated_with_names             ? 1
           : format_ == InputFormat::tab_separated_with_names_and_types ? 2
                                                                        : 0;
  }

  // A TabSeparated header row (names, or types) is skipped, but must have a field per column, as
  // 18.16 reads it.
  void check_header(std::string_view row) const override {
    std::size_t fields = 1;
    for (std::size_t i = 0; i < row.size(); i += row[i] == '\\' ? 2 : 1) fields += row[i] == '\t' ? 1 : 0;
    if (fields != readers_.size()) {
      fail_row("the header row has " + std::to_string(fields) + " fields, the table " +
               std::to_string(readers_.size()) + " columns");
    }
  }

  // A line; a backslash escapes the next byte (a newline too).
  std::optional<std::string_view> scan() override {
    std::size_t i = 0;
    row_escapes_ = false;
    for (;;) {
      const std::string_view r = input_.rest();
      while (i < r.size()) {
        // memchr for the newline, then for a backslash before it (which escapes the next byte,
        // possibly that newline): two passes of memchr beat one byte loop.
        const std::size_t newline = r.find('\n', i);
        const std::size_t limit = newline == std::string_view::npos ? r.size() : newline;
        const void* slash = std::memchr(r.data() + i, '\\', limit - i);
        if (slash != nullptr) {
          i = static_cast<std::size_t>(static_cast<const char*>(slash) - r.data()) + 2;
          row_escapes_ = true;
          continue;
        }
        if (newline == std::string_view::npos) {
          i = r.size();
          break;
        }
        input_.consume(newline + 1);
        const std::string_view row = r.substr(0, newline);
        // Only an escaped newline puts one inside a row.
        if (row_escapes_) {
          count_lines(row, 1);
        } else {
          ++next_line_;
        }
        return row;
      }
      if (!input_.more()) {
        const std::string_view rest = input_.rest();
        if (rest.empty()) return std::nullopt;
        input_.consume(rest.size());
        count_lines(rest, 0);
        unterminated_ = true;
        return rest;  // the last line without its newline
      }
    }
  }

  void read(std::string_view row) override {
    std::size_t pos = 0;
    for (std::size_t c = 0; c < readers_.size(); ++c) {
      const std::size_t end = field_end(row, pos);
      const std::string_view raw = row.substr(pos, end - pos);
      if (c + 1 < readers_.size() && end >= row.size()) {
        fail_row("it has " + std::to_string(c + 1) + " fields, the table " + std::to_string(readers_.size()) +
                 " columns (expected a tab after column " + std::to_string(c + 1) + ")");
      }
      try {
        read_field(*readers_[c], raw);
      } catch (const BadValue& e) {
        fail_value(c, raw, e.why);
      }
      pos = end + 1;
    }
    if (pos <= row.size()) fail_extra_fields(row, pos);
  }

 protected:
  // Where the field starting at `pos` ends: at the next tab no backslash escapes, or the row's end.
  std::size_t field_end(std::string_view row, std::size_t pos) const {
    if (!row_escapes_) {
      const void* tab = pos < row.size() ? std::memchr(row.data() + pos, '\t', row.size() - pos) : nullptr;
      return tab == nullptr ? row.size() : static_cast<std::size_t>(static_cast<const char*>(tab) - row.data());
    }
    std::size_t end = pos;
    for (;;) {
      const std::size_t tab = row.find('\t', end);
      const std::size_t limit = tab == std::string_view::npos ? row.size() : tab;
      const void* slash = end < limit ? std::memchr(row.data() + end, '\\', limit - end) : nullptr;
      if (slash == nullptr) return limit;
      end = static_cast<std::size_t>(static_cast<const char*>(slash) - row.data()) + 2;  // escapes the next byte
      if (end >= row.size()) return row.size();
    }
  }

  // One field as TabSeparated writes it (escaped, \N for NULL) into `reader`.
  void read_field(ValueReader& reader, std::string_view raw) {
    if (raw == "\\N") {
      reader.null();
    } else if (!row_escapes_ || reader.raw_in_tsv() || raw.find('\\') == std::string_view::npos) {
      reader.text(raw);
    } else {
      unescape(raw, field_);
      reader.text(field_);
    }
  }

  // Whether the row scan() returned last was the input's last line, without its newline.
  bool unterminated_ = false;
  // Whether the row scan() returned last has a backslash: when it has none, its fields are split
  // at every tab, read as they are, and it holds no newline.
  bool row_escapes_ = false;
};

// TSKV: a row is a line of key=value fields split by tabs, keys and values escaped as in
// TabSeparated, in any order; a field that is exactly "tskv" is skipped, a column without a key
// gets its default, an empty line is a row of defaults. As 18.16: a key naming no column is an
// error (InputOptions::skip_unknown_fields ignores it), as are a key given twice, a field without
// '=' and a last line without its newline.
class TskvParser final : public TabSeparatedParser {
 public:
  using TabSeparatedParser::TabSeparatedParser;

 private:
  std::size_t header_rows() const noexcept override { return 0; }

  void read(std::string_view row) override {
    if (unterminated_) fail_row("the last line has no newline (TSKV rows end with one)");
    seen_.assign(readers_.size(), false);
    for (std::size_t pos = 0; pos < row.size();) {
      const std::size_t end = field_end(row, pos);
      const std::string_view field = row.substr(pos, end - pos);
      pos = end + 1;
      if (field == "tskv") continue;
      std::size_t eq = 0;
      while (eq < field.size() && field[eq] != '=') eq += field[eq] == '\\' ? 2 : 1;
      if (eq >= field.size()) fail_row("the field " + excerpt(field) + " has no '=' (TSKV fields are key=value)");
      unescape(field.substr(0, eq), key_);
      const auto it = index_.find(key_);
      if (it == index_.end()) {
        if (options_.skip_unknown_fields) continue;
        fail_row("the key " + excerpt(key_) +
                 " names no column of the table (InputOptions::skip_unknown_fields ignores such keys)");
      }
      const std::size_t c = it->second;
      if (seen_[c]) fail_row("the key " + excerpt(key_) + " is given twice");
      seen_[c] = true;
      const std::string_view raw = field.substr(eq + 1);
      try {
        read_field(*readers_[c], raw);
      } catch (const BadValue& e) {
        fail_value(c, raw, e.why);
      }
    }
    for (std::size_t c = 0; c < readers_.size(); ++c) {
      if (!seen_[c]) readers_[c]->append_default();
    }
  }

  std::vector<bool> seen_;  // the columns the row being read has keys for
  std::string key_;
};

class CsvParser final : public RowParser {
 public:
  using RowParser::RowParser;

 private:
  // CSVWithNames' header row is skipped unread, as 18.16 does.
  std::size_t header_rows() const noexcept override { return format_ == InputFormat::csv_with_names ? 1 : 0; }

  // A record: a newline ends it unless inside quotes.
  std::optional<std::string_view> scan() override {
    std::size_t i = 0;
    char quote = 0;
    bool field_start = true;
    bool quoted_newline = false;  // whether a quoted value holds a newline (the row spans lines)
    for (;;) {
      const std::string_view r = input_.rest();
      while (i < r.size()) {
        if (quote != 0) {
          // Inside quotes only the quote matters: jump to the next one.
          const void* q = std::memchr(r.data() + i, quote, r.size() - i);
          const std::size_t at =
              q == nullptr ? r.size() : static_cast<std::size_t>(static_cast<const char*>(q) - r.data());
          quoted_newline = quoted_newline || std::memchr(r.data() + i, '\n', at - i) != nullptr;
          i = at;
          if (q == nullptr) break;
          if (i + 1 >= r.size() && !input_.eof()) break;  // a doubled quote may continue
          if (i + 1 < r.size() && r[i + 1] == quote) {
            i += 2;
            continue;
          }
          quote = 0;
          ++i;
          field_start = false;
          continue;
        }
        const char c = r[i];
        if (c == '\n') {
          input_.consume(i + 1);
          std::string_view row = r.substr(0, i);
          if (quoted_newline) {
            count_lines(row, 1);
          } else {
            ++next_line_;
          }
          if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
          return row;
        }
        if ((c == '"' || c == '\'') && field_start) quote = c;
        field_start = c == ',';
        ++i;
      }
      if (!input_.more()) {
        std::string_view rest = input_.rest();
        if (rest.empty()) return std::nullopt;
        input_.consume(rest.size());
        count_lines(rest, 0);
        if (!rest.empty() && rest.back() == '\r') rest.remove_suffix(1);
        return rest;
      }
    }
  }

  void read(std::string_view row) override {
    std::size_t pos = 0;
    for (std::size_t c = 0; c < readers_.size(); ++c) {
      if (pos > row.size()) {
        fail_row("it has " + std::to_string(c) + " fields, the table " + std::to_string(readers_.size()) + " columns");
      }
      std::string_view raw;
      bool quoted = false;
      // Spaces and tabs around a field are not part of it (18.16 reads " sp " as "sp").
      while (pos < row.size() && (row[pos] == ' ' || row[pos] == '\t')) ++pos;
      std::size_t end = pos;
      std::string_view value;  // a quoted field's value: in the row, or in field_ when it has a doubled quote
      if (pos < row.size() && (row[pos] == '"' || row[pos] == '\'')) {
        const char q = row[pos];
        quoted = true;
        std::size_t i = pos + 1;
        bool copied = false;
        for (;;) {
          const void* found = std::memchr(row.data() + i, q, row.size() - i);
          if (found == nullptr) fail_row("column " + std::to_string(c + 1) + " has a quote that is not closed");
          const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(found) - row.data());
          if (at + 1 < row.size() && row[at + 1] == q) {  // a doubled quote is one quote
            if (!copied) field_.clear();
            copied = true;
            field_.append(row.substr(i, at + 1 - i));
            i = at + 2;
            continue;
          }
          if (copied) {
            field_.append(row.substr(i, at - i));
            value = field_;
          } else {
            value = row.substr(pos + 1, at - pos - 1);
          }
          i = at + 1;
          break;
        }
        raw = row.substr(pos, i - pos);
        while (i < row.size() && (row[i] == ' ' || row[i] == '\t')) ++i;
        end = i;
        if (end < row.size() && row[end] != ',') {
          fail_row("column " + std::to_string(c + 1) + ": expected ',' after the quoted value, found " +
                   excerpt(row.substr(end, 16)));
        }
      } else {
        end = row.find(',', pos);
        if (end == std::string_view::npos) end = row.size();
        raw = row.substr(pos, end - pos);
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\t')) raw.remove_suffix(1);
      }
      if (c + 1 < readers_.size() && end >= row.size()) {
        fail_row("it has " + std::to_string(c + 1) + " fields, the table " + std::to_string(readers_.size()) +
                 " columns");
      }
      try {
        if (!quoted && raw == "\\N") {
          readers_[c]->null();
        } else {
          readers_[c]->text(quoted ? value : raw);
        }
      } catch (const BadValue& e) {
        fail_value(c, raw, e.why);
      }
      pos = end + 1;
    }
    if (pos <= row.size()) fail_extra_fields(row, pos);
  }
};

}  // namespace

InputParserPtr make_delimited_parser(InputFormat format, ByteSource& in, InputOptions options) {
  if (format == InputFormat::tskv) return std::make_unique<TskvParser>(format, in, std::move(options));
  if (format == InputFormat::csv || format == InputFormat::csv_with_names) {
    return std::make_unique<CsvParser>(format, in, std::move(options));
  }
  return std::make_unique<TabSeparatedParser>(format, in, std::move(options));
}

}  // namespace chconn::text::detail
