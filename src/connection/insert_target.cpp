// parse_insert_target(): the one reader of an insert's table text (see chconn/connection/insert_target.h).
#include "chconn/connection/insert_target.h"

#include <string>
#include <utility>
#include <vector>

#include "chconn/connection/params.h"
#include "chconn/core/error.h"
#include "core/strings.h"

namespace chconn {

namespace {

// How much of a rejected text a message quotes: enough to recognise it, never a whole document.
constexpr std::size_t k_excerpt_bytes = 64;

using detail::is_space;
using detail::is_word_begin;
using detail::is_word_char;

std::string excerpt(std::string_view text) { return chconn::detail::message_excerpt(text, k_excerpt_bytes); }

class TargetParser {
 public:
  explicit TargetParser(std::string_view text) : text_(text) {}

  InsertTarget parse() {
    InsertTarget target;
    std::vector<std::string> parts = dotted("the table name", 2);
    if (parts.size() == 2) {
      target.database = std::move(parts[0]);
      target.table = std::move(parts[1]);
    } else {
      target.table = std::move(parts[0]);
    }
    skip_space();
    if (at('(')) {
      ++pos_;
      for (;;) {
        std::vector<std::string> column = dotted("a column name", 0);
        std::string joined = std::move(column[0]);
        for (std::size_t i = 1; i < column.size(); ++i) joined += "." + column[i];
        target.columns.push_back(std::move(joined));
        skip_space();
        if (at(',')) {
          ++pos_;
        } else if (at(')')) {
          ++pos_;
          break;
        } else {
          fail("expected ',' or ')' in the column list");
        }
      }
      skip_space();
    }
    if (pos_ < text_.size()) {
      fail(target.columns.empty() ? "expected '.', a column list in parentheses or the end after the table name"
                                  : "expected the end after the column list");
    }
    return target;
  }

 private:
  bool at(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  void skip_space() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }

  [[noreturn]] void fail(std::string_view what) const {
    std::string found = "found the end";
    if (pos_ < text_.size()) {
      const auto byte = static_cast<unsigned char>(text_[pos_]);
      // A byte outside printable ASCII is shown by its value: alone it is no character.
      found = byte >= 0x20 && byte < 0x7f
                  ? "found " + quote_string(text_.substr(pos_, 1))
                  : std::string("found byte 0x") + detail::hex_digit(byte >> 4U) + detail::hex_digit(byte);
    }
    throw Error(ErrorKind::usage,
                "insert target " + excerpt(text_) + ": " + std::string(what) + " at byte " + std::to_string(pos_) +
                    ", " + found +
                    ". Write table, database.table or table (column, ...); quote other names with back-quotes, "
                    "e.g. `my table`. Nothing was sent");
  }

  // name { "." name }, at most `max_parts` names (0: no limit).
  std::vector<std::string> dotted(std::string_view role, std::size_t max_parts) {
    std::vector<std::string> parts;
    for (;;) {
      skip_space();
      parts.push_back(name(role));
      skip_space();
      if (!at('.')) return parts;
      if (max_parts != 0 && parts.size() == max_parts) fail("a table is named by at most database.table");
      ++pos_;
    }
  }

  std::string name(std::string_view role) {
    if (at('`') || at('"')) return quoted(role);
    if (pos_ >= text_.size() || !is_word_begin(text_[pos_])) {
      fail("expected " + std::string(role) + " (a letter or '_' first, or a quoted name)");
    }
    const std::size_t begin = pos_;
    while (pos_ < text_.size() && is_word_char(text_[pos_])) ++pos_;
    return std::string(text_.substr(begin, pos_ - begin));
  }

  // A back- or double-quoted name, decoded as ClickHouse's lexer reads it (detail::read_quoted).
  std::string quoted(std::string_view role) {
    const std::size_t open = pos_;
    std::string out;
    const detail::QuotedRead read = detail::read_quoted(text_, open, out);
    if (read.status == detail::QuotedRead::unterminated) fail("the quoted " + std::string(role) + " is not closed");
    if (read.status == detail::QuotedRead::bad_hex) {
      pos_ = read.end;
      fail("\\x needs two hex digits");
    }
    if (out.empty()) fail(std::string(role) + " is empty");
    pos_ = read.end;
    return out;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string InsertTarget::name() const { return database.empty() ? table : database + "." + table; }

std::string InsertTarget::insert_statement() const {
  if (table.empty()) throw Error(ErrorKind::usage, "insert target: the table name is empty");
  std::string sql = "INSERT INTO ";
  if (!database.empty()) sql += quote_identifier(database) + ".";
  sql += quote_identifier(table);
  if (!columns.empty()) {
    sql += " (";
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (columns[i].empty()) {
        throw Error(ErrorKind::usage, "insert target " + quote_string(name()) + ": column " + std::to_string(i + 1) +
                                          " of the column list has an empty name");
      }
      if (i > 0) sql += ", ";
      sql += quote_identifier(columns[i]);
    }
    sql += ")";
  }
  sql += " VALUES";
  return sql;
}

InsertTarget parse_insert_target(std::string_view text) { return TargetParser(text).parse(); }

}  // namespace chconn
