// The text input parsers behind text::TextInsertSource, one per family of input formats, each in
// its own file (as the output side's writers, output_writer.h):
//   input.cpp            TextInsertSource and the row driver (blocks, line numbers, messages),
//                        format names, byte sources, insert_text
//   input_escapes.cpp    the escapes and message excerpts every format shares
//   value_readers.cpp    the ValueReader of a column's type (one field's text, SQL literal or JSON
//                        value into its column), and the readers of Nullable, Array, Tuple, Map
//                        and LowCardinality
//   scalar_readers.cpp   the readers of numbers, strings, UUID, addresses, decimals and enums
//   time_readers.cpp     the readers of dates and times
//   delimited_input.cpp  TabSeparated (WithNames, WithNamesAndTypes), TSKV, CSV (WithNames)
//   json_input.cpp       JSONEachRow, and the JSON reader the value readers use
//   values_input.cpp     Values
//   native_input.cpp     Native (blocks, read with the wire decoder; not rows)
//   row_binary_input.cpp RowBinary (rows of binary values, read with the wire layer's decoder)
//
// Structure: an Input buffers the ByteSource and hands out one row's text at a time (found by the
// format's scanner, bounded by max_row_bytes); the format's RowParser splits the row into fields,
// and each field goes to the ValueReader of its column, built once per column from the sample
// block's type. A reader appends exactly one row to its column or throws BadValue; the row's error
// becomes Error(usage) with the row, line, column and value.
//
// Internal to the format layer. A parser is used by one thread at a time.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "chconn/core/sql.h"
#include "chconn/format/input.h"
#include "chconn/wire/columns.h"
#include "core/strings.h"
#include "format/timezone.h"

namespace chconn::text::detail {

using sql::TokenKind;

// How much of a bad value a message quotes.
constexpr std::size_t k_excerpt_bytes = 64;
// Bytes asked of the ByteSource per read.
constexpr std::size_t k_read_bytes = std::size_t{1} << 20;
// Arrays, tuples and maps nest at most this deep in one value (a hostile [[[[...]]]] would
// otherwise recurse without bound).
constexpr int k_max_depth = 64;

// A value a reader could not take: why, in a few words ("is not a UInt8").
struct BadValue {
  std::string why;
  // ClickHouse's code for it, as 18.16's client reports the failure: 27 (Cannot parse input) for
  // most; in Values 53 for a value of another type (['a', NULL] into Array(String)) and 321 for
  // NULL into a column that is not Nullable.
  int code = 27;
};

// The columns of an insert's sample block, empty, for a parser's start(); Error(usage) naming
// `what` and the `data` ("text", "Native data") when the sample has no columns.
Block input_structure(const Block& sample, const std::string& what, std::string_view data);
// `text` for a message: quoted, escaped, cut after k_excerpt_bytes.
std::string excerpt(std::string_view text);
// ClickHouse's escape sequences (readEscapedString, parseComplexEscapeSequence): text[i] is a
// backslash; appends the byte(s) meant and returns the index after them.
std::size_t unescape_at(std::string_view text, std::size_t i, std::string& out);
// `text` with its escape sequences decoded, into `out`.
void unescape(std::string_view text, std::string& out);
// The body of a '...' literal token, decoded (a doubled quote is one quote).
std::string string_token_value(const sql::Token& t);

// ---- tokens of a quoted value (Values, and arrays/tuples/maps inside any field) --------------

class Tokens {
 public:
  explicit Tokens(std::string_view text) : lexer_(text) { advance(); }
  const sql::Token& peek() const noexcept { return current_; }
  sql::Token take() {
    sql::Token t = current_;
    advance();
    return t;
  }
  void expect(TokenKind kind, std::string_view what) {
    if (current_.kind != kind) {
      throw BadValue{"expected " + std::string(what) +
                     (current_.kind == TokenKind::end ? std::string(" but the value ended")
                                                      : " before " + excerpt(current_.text))};
    }
    advance();
  }
  bool at_end() const noexcept { return current_.kind == TokenKind::end; }

 private:
  void advance() {
    current_ = lexer_.next_significant();
    if (current_.kind == TokenKind::error || current_.kind == TokenKind::unterminated) {
      throw BadValue{current_.kind == TokenKind::unterminated
                         ? "has an unterminated quote or comment"
                         : "has bytes SQL does not allow: " + excerpt(current_.text)};
    }
  }
  sql::Lexer lexer_;
  sql::Token current_;
};

// ---- a minimal JSON reader over one object's text (json_input.cpp) ---------------------------

class Json {
 public:
  explicit Json(std::string_view text) : text_(text) {}

  void skip_space() noexcept {
    while (pos_ < text_.size() && chconn::detail::is_space(text_[pos_])) ++pos_;
  }
  bool at(char c) noexcept {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  void expect(char c);
  bool eat(char c) noexcept {
    if (!at(c)) return false;
    ++pos_;
    return true;
  }
  bool done() noexcept {
    skip_space();
    return pos_ >= text_.size();
  }
  std::string where() const;
  // A "string", decoded (\uXXXX as UTF-8, surrogate pairs joined).
  std::string string();
  // A scalar that is not a string (number, true, false, null), as its text.
  std::string_view bare();
  // Skips one value of any kind (an unknown key's).
  void skip_value(int depth = 0);

 private:
  std::uint32_t hex4();

  std::string_view text_;
  std::size_t pos_ = 0;
};

// ---- value readers (value_readers.cpp, scalar_readers.cpp, time_readers.cpp) -----------------

// An integer in decimal, with an optional '+' (std::from_chars' rules otherwise); false for
// anything else.
template <class T>
bool parse_integer(std::string_view s, T& out) {
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

struct ReadContext {
  const TimeZones* zones = nullptr;
  std::string time_zone;  // the session's
  DateTimeInputFormat date_time_input_format = DateTimeInputFormat::basic;
};

class ValueReader {
 public:
  explicit ValueReader(Column& column) : column_(column) {}
  virtual ~ValueReader() = default;
  ValueReader(const ValueReader&) = delete;
  ValueReader& operator=(const ValueReader&) = delete;

  // The whole text of a field, unescaped (TSV, CSV, a JSON string).
  virtual void text(std::string_view s) = 0;
  // A literal in SQL syntax from `tokens` (Values, elements of arrays, tuples and maps).
  virtual void quoted(Tokens& tokens, int depth);
  // A JSON value.
  virtual void json(Json& j, int depth);
  // Whether a TabSeparated field is given to text() as it is written, without unescaping it
  // first: arrays, tuples and maps are, as 18.16 reads them (their strings keep their own
  // escapes: ['a\'b'] is the element a'b).
  virtual bool raw_in_tsv() const noexcept { return false; }
  // NULL (\N in TSV and CSV, NULL in Values, null in JSON).
  virtual void null() { throw BadValue{"is NULL but the column is not Nullable"}; }

  // The value of a column the row does not mention (JSONEachRow): the type's default.
  virtual void append_default() { column_.append_default(); }

  Column& column() noexcept { return column_; }

 protected:
  Column& column_;
};

// Appends the one value of `one` (a one-row column of lc's dictionary type, or Nullable of it) to
// lc; BadValue for a type LowCardinality cannot hold. Text and RowBinary input both read a
// LowCardinality value as its dictionary type first.
void append_low_cardinality(ColumnLowCardinality& lc, const Column& one);

using ReaderPtr = std::unique_ptr<ValueReader>;
// The reader of `column`'s type; Error(usage) for a type text input cannot read.
ReaderPtr make_reader(Column& column, const ReadContext& context);
// The reader of a scalar type other than a date or time (scalar_readers.cpp), or of a date or time
// (time_readers.cpp); null for a type of neither kind.
ReaderPtr make_scalar_reader(Column& column);
ReaderPtr make_time_reader(Column& column, const ReadContext& context);

// ---- the buffered input and the row driver (input.cpp) ---------------------------------------

class Input {
 public:
  Input(ByteSource& source, std::size_t max_row_bytes) : source_(source), max_row_(max_row_bytes) {}

  // The bytes from the current position to the end of what is buffered.
  std::string_view rest() const noexcept { return std::string_view(buf_).substr(pos_); }
  bool eof() const noexcept { return eof_; }
  // Reads more; false at the end of the input. Keeps rest() (moved to the buffer's start).
  // Throws BadValue when the row being scanned (rest()) already holds max_row_bytes.
  bool more();
  void consume(std::size_t n) noexcept { pos_ += n; }

 private:
  ByteSource& source_;
  std::size_t max_row_;
  std::string buf_;
  std::size_t pos_ = 0;
  bool eof_ = false;
};

// What TextInsertSource runs: a parser of one input format (as TextInsertSource's members).
class InputParser {
 public:
  InputParser() = default;
  virtual ~InputParser() = default;
  InputParser(const InputParser&) = delete;
  InputParser& operator=(const InputParser&) = delete;

  virtual void start(const Block& sample) = 0;
  virtual std::optional<Block> next() = 0;
  virtual std::size_t rows_read() const noexcept = 0;
  virtual bool failed_row() const noexcept = 0;
  // ClickHouse's code for the row failed_row() tells of (BadValue::code).
  virtual int failed_code() const noexcept { return 27; }
};

using InputParserPtr = std::unique_ptr<InputParser>;

// One text input: the blocks, the readers of their columns, the line count and the messages,
// shared by every text format; a format's parser finds its rows (scan) and reads one into the
// readers (read).
class RowParser : public InputParser {
 public:
  RowParser(InputFormat format, ByteSource& in, InputOptions options);

  void start(const Block& sample) override;
  std::optional<Block> next() override;
  std::size_t rows_read() const noexcept override { return rows_read_; }
  bool failed_row() const noexcept override { return failed_; }
  int failed_code() const noexcept override { return failed_code_; }

 protected:
  // Header rows before the data (skipped, each given to check_header()).
  virtual std::size_t header_rows() const noexcept { return 0; }
  virtual void check_header(std::string_view row) const { (void)row; }
  // The next row's text (without its line end); nullopt at the end of the input. line_ is the
  // row's first line (a scanner that skips separators first sets it again). BadValue is an
  // error about the row.
  virtual std::optional<std::string_view> scan() = 0;
  // Appends `row` to every column through readers_, or fails with fail_row()/fail_value().
  virtual void read(std::string_view row) = 0;

  [[noreturn]] void fail_row(const std::string& why, int code = 27) const;
  // A TSV or CSV row with a field after the last column; `pos` is where that field starts.
  [[noreturn]] void fail_extra_fields(std::string_view row, std::size_t pos) const;
  [[noreturn]] void fail_value(std::size_t column, std::string_view value, const std::string& why, int code = 27) const;
  // Skips the blanks and commas between Values tuples, reading more input as needed. False at the
  // end of the input; otherwise the next byte is the record's first.
  bool skip_record_separators();
  // Skips what ClickHouse (18.16 and later) skips before a JSONEachRow object: blanks, at most one
  // ',' or ';' (a ';' ends an INSERT's inline data, `... FORMAT JSONEachRow {"a":1};`), blanks.
  // False at the end of the input; otherwise the next byte is the object's first.
  bool skip_json_row_separator();
  void count_lines(std::string_view text, std::size_t line_ends);

  InputFormat format_;
  InputOptions options_;
  Input input_;
  Block sample_;
  std::vector<ReaderPtr> readers_;
  std::unordered_map<std::string, std::size_t> index_;  // column names
  std::string field_;                                   // an unescaped field's bytes
  std::size_t line_ = 1;
  std::size_t next_line_ = 1;

 private:
  std::optional<std::string_view> next_row();
  void new_block();
  // Skips blanks (and commas with `and_commas`), reading more input as needed; false at the end.
  bool skip_blanks(bool and_commas);

  std::shared_ptr<TimeZones> zones_;
  ReadContext context_;
  Block block_;
  std::size_t skip_rows_ = 0;
  std::size_t rows_read_ = 0;
  mutable bool failed_ = false;
  mutable int failed_code_ = 27;
};

InputParserPtr make_delimited_parser(InputFormat format, ByteSource& in, InputOptions options);
InputParserPtr make_json_each_row_parser(ByteSource& in, InputOptions options);
InputParserPtr make_values_parser(ByteSource& in, InputOptions options);
InputParserPtr make_native_parser(ByteSource& in, InputOptions options);
InputParserPtr make_row_binary_parser(ByteSource& in, InputOptions options);

}  // namespace chconn::text::detail
