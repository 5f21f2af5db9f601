// Text input parsers (see chconn/format/input.h).
//
// Structure: an Input buffers the ByteSource and hands out one row's text at a time (found by a
// scanner per format, bounded by max_row_bytes); the row is split into fields, and each field goes
// to the ValueReader of its column, built once per column from the sample block's type. A reader
// appends exactly one row to its column or throws BadValue; the row's error becomes Error(usage)
// with the row, line, column and value.
#include "chconn/format/input.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <utility>

#include "chconn/core/error.h"
#include "chconn/core/sql.h"
#include "chconn/wire/columns.h"
#include "format/timezone.h"

namespace chconn::text {

namespace {

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
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `text` for a message: quoted, escaped, cut after k_excerpt_bytes.
std::string excerpt(std::string_view text) {
  std::string out = "'";
  const std::size_t n = std::min(text.size(), k_excerpt_bytes);
  append_escaped(out, text.substr(0, n));
  out += '\'';
  if (text.size() > n) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

// ClickHouse's escape sequences (readEscapedString, parseComplexEscapeSequence): `text` is the
// body after a backslash at text[i]; appends the byte(s) meant and returns the index after them.
std::size_t unescape_at(std::string_view text, std::size_t i, std::string& out) {
  // text[i] == '\\'
  if (i + 1 >= text.size()) throw BadValue{"ends with a lone backslash"};
  const char e = text[i + 1];
  switch (e) {
    case 'x': {
      if (i + 3 >= text.size() + 0 || hex_digit(text[i + 2]) < 0 || hex_digit(text[i + 3]) < 0) {
        throw BadValue{"has \\x without two hex digits"};
      }
      out += static_cast<char>(hex_digit(text[i + 2]) * 16 + hex_digit(text[i + 3]));
      return i + 4;
    }
    case 'N': return i + 2;  // \N inside a value reads as nothing, as ClickHouse does
    case 'a': out += '\a'; break;
    case 'b': out += '\b'; break;
    case 'e': out += '\x1b'; break;
    case 'f': out += '\f'; break;
    case 'n': out += '\n'; break;
    case 'r': out += '\r'; break;
    case 't': out += '\t'; break;
    case 'v': out += '\v'; break;
    case '0': out += '\0'; break;
    default: out += e; break;  // \\ \' \" and any other byte stand for themselves
  }
  return i + 2;
}

void unescape(std::string_view text, std::string& out) {
  out.clear();
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t slash = text.find('\\', i);
    if (slash == std::string_view::npos) {
      out.append(text.substr(i));
      return;
    }
    out.append(text.substr(i, slash - i));
    i = unescape_at(text, slash, out);
  }
}

// The body of a '...' literal token, decoded (a doubled quote is one quote).
std::string string_token_value(const sql::Token& t) {
  const std::string_view text = t.text;
  if (text.size() < 2 || text.front() != '\'' || text.back() != '\'') {
    throw BadValue{"is not a plain '...' string"};
  }
  const std::string_view body = text.substr(1, text.size() - 2);
  std::string out;
  for (std::size_t i = 0; i < body.size();) {
    if (body[i] == '\\') {
      i = unescape_at(body, i, out);
    } else if (body[i] == '\'' && i + 1 < body.size() && body[i + 1] == '\'') {
      out += '\'';
      i += 2;
    } else {
      out += body[i++];
    }
  }
  return out;
}

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

// ---- a minimal JSON reader over one object's text --------------------------------------------

class Json {
 public:
  explicit Json(std::string_view text) : text_(text) {}

  void skip_space() {
    while (pos_ < text_.size() && is_blank(text_[pos_])) ++pos_;
  }
  bool at(char c) {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  void expect(char c) {
    if (!at(c)) throw BadValue{std::string("expected '") + c + "' in the JSON" + where()};
    ++pos_;
  }
  bool eat(char c) {
    if (!at(c)) return false;
    ++pos_;
    return true;
  }
  bool done() {
    skip_space();
    return pos_ >= text_.size();
  }
  std::string where() const {
    if (pos_ >= text_.size()) return " at its end";
    return " before " + excerpt(text_.substr(pos_, 16));
  }

  // A "string", decoded (\uXXXX as UTF-8, surrogate pairs joined).
  std::string string() {
    expect('"');
    std::string out;
    for (;;) {
      if (pos_ >= text_.size()) throw BadValue{"has an unterminated JSON string"};
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) throw BadValue{"has an unterminated JSON string"};
      const char e = text_[pos_++];
      switch (e) {
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && pos_ + 1 < text_.size() && text_[pos_] == '\\' && text_[pos_ + 1] == 'u') {
            pos_ += 2;
            const std::uint32_t low = hex4();
            if (low >= 0xDC00 && low < 0xE000) cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default: out += e; break;  // \" \\ \/ and others stand for themselves
      }
    }
  }

  // A scalar that is not a string (number, true, false, null), as its text.
  std::string_view bare() {
    skip_space();
    const std::size_t begin = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}' && text_[pos_] != ']' &&
           text_[pos_] != ':' && !is_blank(text_[pos_])) {
      ++pos_;
    }
    if (pos_ == begin) throw BadValue{"has no JSON value" + where()};
    return text_.substr(begin, pos_ - begin);
  }

  // Skips one value of any kind (an unknown key's).
  void skip_value(int depth = 0) {
    if (depth > k_max_depth) throw BadValue{"nests deeper than " + std::to_string(k_max_depth)};
    if (at('"')) {
      string();
    } else if (eat('[')) {
      if (eat(']')) return;
      do skip_value(depth + 1);
      while (eat(','));
      expect(']');
    } else if (eat('{')) {
      if (eat('}')) return;
      do {
        string();
        expect(':');
        skip_value(depth + 1);
      } while (eat(','));
      expect('}');
    } else {
      bare();
    }
  }

 private:
  std::uint32_t hex4() {
    if (pos_ + 4 > text_.size()) throw BadValue{"has a bad \\u escape"};
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int d = hex_digit(text_[pos_ + static_cast<std::size_t>(i)]);
      if (d < 0) throw BadValue{"has a bad \\u escape"};
      v = v * 16 + static_cast<std::uint32_t>(d);
    }
    pos_ += 4;
    return v;
  }
  static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// ---- value readers ---------------------------------------------------------------------------

struct ReadContext {
  const TimeZones* zones = nullptr;
  std::string time_zone;  // the session's
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
  virtual void quoted(Tokens& tokens, int depth) {
    (void)depth;
    const sql::Token t = tokens.take();
    switch (t.kind) {
      case TokenKind::string_literal: text(string_token_value(t)); return;
      case TokenKind::number:
      case TokenKind::bare_word: text(t.text); return;
      case TokenKind::minus: {
        const sql::Token n = tokens.take();
        if (n.kind != TokenKind::number && n.kind != TokenKind::bare_word) throw BadValue{"has a '-' before no number"};
        text("-" + std::string(n.text));
        return;
      }
      default: throw BadValue{"has " + excerpt(t.text) + " where a value was expected"};
    }
  }
  // A JSON value.
  virtual void json(Json& j, int depth) {
    (void)depth;
    if (j.at('"')) {
      text(j.string());
      return;
    }
    const std::string_view v = j.bare();
    if (v == "null") {
      null();
      return;
    }
    text(v);
  }
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

using ReaderPtr = std::unique_ptr<ValueReader>;
ReaderPtr make_reader(Column& column, const ReadContext& context);

template <class T>
bool parse_integer(std::string_view s, T& out) {
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

template <class T>
class IntegerReader final : public ValueReader {
 public:
  using ValueReader::ValueReader;
  void text(std::string_view s) override {
    T v{};
    if (!parse_integer(s, v)) throw BadValue{"is not a valid " + column_.type()->name() + " (or out of its range)"};
    static_cast<ColumnVector<T>&>(column_).append(v);
  }
};

class BoolReader final : public ValueReader {
 public:
  using ValueReader::ValueReader;
  void text(std::string_view s) override {
    bool v = false;
    if (s == "1" || equals_ignoring_case(s, "true"))
      v = true;
    else if (s == "0" || equals_ignoring_case(s, "false"))
      v = false;
    else
      throw BadValue{"is not a Bool (true, false, 1 or 0)"};
    static_cast<ColumnBool&>(column_).append(v);
  }
};

template <class T>
class FloatReader final : public ValueReader {
 public:
  using ValueReader::ValueReader;
  void text(std::string_view s) override {
    std::string_view t = s;
    if (!t.empty() && t.front() == '+') t.remove_prefix(1);
    T v{};
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || end != t.data() + t.size() || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
      throw BadValue{"is not a valid " + column_.type()->name()};
    }
    static_cast<ColumnVector<T>&>(column_).append(v);
  }
};

class StringReader final : public ValueReader {
 public:
  using ValueReader::ValueReader;
  void text(std::string_view s) override { static_cast<ColumnString&>(column_).append(s); }
};

class FixedStringReader final : public ValueReader {
 public:
  using ValueReader::ValueReader;
  void text(std::string_view s) override {
    auto& c = static_cast<ColumnFixedString&>(column_);
    if (s.size() > column_.type()->storage_type().fixed_string_size()) {
      throw BadValue{"is longer than " + column_.type()->name() + " holds"};
    }
    c.append(s);
  }
};

// YYYY-MM-DD at the start of `s`; the days since 1970-01-01.
bool parse_date(std::string_view s, std::int64_t& days) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  auto num = [&](std::size_t at, std::size_t n, unsigned& v) {
    v = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
  };
  unsigned y = 0, m = 0, d = 0;
  if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, d) || m < 1 || m > 12 || d < 1 || d > 31) return false;
  days = days_from_civil(y, m, d);
  return true;
}

class DateReader final : public ValueReader {
 public:
  using ValueReader::ValueReader;
  void text(std::string_view s) override {
    std::int64_t days = 0;
    if (s.size() != 10 || !parse_date(s, days)) throw BadValue{"is not a Date (YYYY-MM-DD)"};
    if (days < 0 || days > 0xFFFF) throw BadValue{"is outside the range of Date (1970-01-01 to 2149-06-06)"};
    static_cast<ColumnDate&>(column_).append(static_cast<std::uint16_t>(days));
  }
};

class DateTimeReader final : public ValueReader {
 public:
  DateTimeReader(Column& column, const ReadContext& context) : ValueReader(column) {
    const std::string& own = column.type()->storage_type().time_zone();
    const std::string& zone = own.empty() ? context.time_zone : own;
    zone_ = context.zones->find(zone.empty() ? "UTC" : zone);
  }
  void text(std::string_view s) override {
    std::int64_t utc = 0;
    if (s.size() == 19) {
      std::int64_t days = 0;
      unsigned h = 0, mi = 0, se = 0;
      const auto two = [&](std::size_t at, unsigned& v) {
        if (s[at] < '0' || s[at] > '9' || s[at + 1] < '0' || s[at + 1] > '9') return false;
        v = static_cast<unsigned>((s[at] - '0') * 10 + (s[at + 1] - '0'));
        return true;
      };
      if (!parse_date(s, days) || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' || !two(11, h) ||
          !two(14, mi) || !two(17, se) || h > 23 || mi > 59 || se > 59) {
        throw BadValue{"is not a DateTime (YYYY-MM-DD hh:mm:ss)"};
      }
      const std::int64_t local = days * 86400 + h * 3600 + mi * 60 + se;
      // Local wall time to UTC: the offset in force at the instant it names (for a wall time
      // repeated or skipped by a change, the offset before it, as ClickHouse's date table does).
      const std::int64_t guess = local - zone_->offset_at(local);
      utc = local - zone_->offset_at(guess);
    } else if (!parse_integer(s, utc)) {
      throw BadValue{"is not a DateTime (YYYY-MM-DD hh:mm:ss, or Unix seconds)"};
    }
    if (utc < 0 || utc > 0xFFFFFFFFLL) throw BadValue{"is outside the range of DateTime"};
    static_cast<ColumnDateTime&>(column_).append(static_cast<std::uint32_t>(utc));
  }

 private:
  std::shared_ptr<const TimeZone> zone_;
};

class UUIDReader final : public ValueReader {
 public:
  using ValueReader::ValueReader;
  void text(std::string_view s) override {
    const std::optional<UUID> v = UUID::parse(s);
    if (!v) throw BadValue{"is not a UUID"};
    static_cast<ColumnUUID&>(column_).append(*v);
  }
};

class IPv4Reader final : public ValueReader {
 public:
  using ValueReader::ValueReader;
  void text(std::string_view s) override {
    in_addr a{};
    if (s.size() > 15 || ::inet_pton(AF_INET, std::string(s).c_str(), &a) != 1) throw BadValue{"is not an IPv4"};
    static_cast<ColumnIPv4&>(column_).append(ntohl(a.s_addr));
  }
};

class IPv6Reader final : public ValueReader {
 public:
  using ValueReader::ValueReader;
  void text(std::string_view s) override {
    in6_addr a{};
    if (s.size() > 45 || ::inet_pton(AF_INET6, std::string(s).c_str(), &a) != 1) throw BadValue{"is not an IPv6"};
    IPv6 v;
    std::memcpy(v.bytes.data(), &a, 16);
    static_cast<ColumnIPv6&>(column_).append(v);
  }
};

template <class T>
class DecimalReader final : public ValueReader {
 public:
  using ValueReader::ValueReader;
  void text(std::string_view s) override {
    const std::uint32_t scale = column_.type()->storage_type().scale();
    const std::uint32_t precision = column_.type()->storage_type().precision();
    std::string_view t = s;
    bool negative = false;
    if (!t.empty() && (t.front() == '-' || t.front() == '+')) {
      negative = t.front() == '-';
      t.remove_prefix(1);
    }
    Int128 v = 0;
    std::uint32_t digits = 0, fraction = 0;
    bool point = false, any = false;
    for (char c : t) {
      if (c == '.' && !point) {
        point = true;
        continue;
      }
      if (c < '0' || c > '9') throw BadValue{"is not a valid " + column_.type()->name()};
      any = true;
      if (point) {
        if (fraction == scale) continue;  // digits beyond the scale are dropped, as ClickHouse does
        ++fraction;
      }
      if (v != 0 || c != '0') ++digits;
      if (digits > precision) throw BadValue{"has more digits than " + column_.type()->name() + " holds"};
      v = v * 10 + (c - '0');
    }
    if (!any) throw BadValue{"is not a valid " + column_.type()->name()};
    for (; fraction < scale; ++fraction) {
      v *= 10;
      if (v != 0 && ++digits > precision) throw BadValue{"has more digits than " + column_.type()->name() + " holds"};
    }
    if (negative) v = -v;
    static_cast<ColumnDecimal<T>&>(column_).append(static_cast<T>(v));
  }
};

template <class T>
class EnumReader final : public ValueReader {
 public:
  using ValueReader::ValueReader;
  void text(std::string_view s) override {
    const Type& type = column_.type()->storage_type();
    if (const auto v = type.enum_value(s)) {
      static_cast<ColumnEnum<T>&>(column_).append(static_cast<T>(*v));
      return;
    }
    std::int16_t n = 0;
    if (parse_integer(s, n) && type.enum_name(n) != nullptr) {
      static_cast<ColumnEnum<T>&>(column_).append(static_cast<T>(n));
      return;
    }
    throw BadValue{"is not a value of " + column_.type()->name()};
  }
  // An enum's default is its smallest value (0 may name none), as the server's.
  void append_default() override {
    const auto items = column_.type()->storage_type().enum_items();
    if (items.empty()) {
      column_.append_default();
      return;
    }
    const auto least = std::min_element(items.begin(), items.end(),
                                        [](const EnumItem& a, const EnumItem& b) { return a.value < b.value; });
    static_cast<ColumnEnum<T>&>(column_).append(static_cast<T>(least->value));
  }
};

class NullableReader final : public ValueReader {
 public:
  NullableReader(Column& column, const ReadContext& context)
      : ValueReader(column), nested_(make_reader(static_cast<ColumnNullable&>(column).nested(), context)) {}
  void text(std::string_view s) override {
    nested_->text(s);
    static_cast<ColumnNullable&>(column_).append_not_null();
  }
  void quoted(Tokens& tokens, int depth) override {
    if (tokens.peek().kind == TokenKind::bare_word && sql::is_keyword(tokens.peek(), "NULL")) {
      tokens.take();
      null();
      return;
    }
    nested_->quoted(tokens, depth);
    static_cast<ColumnNullable&>(column_).append_not_null();
  }
  void json(Json& j, int depth) override {
    if (!j.at('"') && !j.at('[') && !j.at('{')) {
      Json probe = j;
      if (probe.bare() == "null") {
        j.bare();
        null();
        return;
      }
    }
    nested_->json(j, depth);
    static_cast<ColumnNullable&>(column_).append_not_null();
  }
  void null() override { static_cast<ColumnNullable&>(column_).append_null(); }
  bool raw_in_tsv() const noexcept override { return nested_->raw_in_tsv(); }

 private:
  ReaderPtr nested_;
};

// A compound value (array, tuple, map) given as a whole field: read with the lexer.
class CompoundReader : public ValueReader {
 public:
  using ValueReader::ValueReader;
  bool raw_in_tsv() const noexcept override { return true; }
  void text(std::string_view s) override {
    Tokens tokens(s);
    quoted(tokens, 0);
    if (!tokens.at_end()) throw BadValue{"has " + excerpt(tokens.peek().text) + " after the value"};
  }
};

class ArrayReader final : public CompoundReader {
 public:
  ArrayReader(Column& column, const ReadContext& context)
      : CompoundReader(column), nested_(make_reader(static_cast<ColumnArray&>(column).nested(), context)) {}
  void quoted(Tokens& tokens, int depth) override {
    if (depth > k_max_depth) throw BadValue{"nests deeper than " + std::to_string(k_max_depth)};
    tokens.expect(TokenKind::open_square, "'['");
    if (tokens.peek().kind != TokenKind::close_square) {
      for (;;) {
        nested_->quoted(tokens, depth + 1);
        if (tokens.peek().kind != TokenKind::comma) break;
        tokens.take();
      }
    }
    tokens.expect(TokenKind::close_square, "',' or ']'");
    static_cast<ColumnArray&>(column_).finish_row();
  }
  void json(Json& j, int depth) override {
    if (depth > k_max_depth) throw BadValue{"nests deeper than " + std::to_string(k_max_depth)};
    if (j.at('"')) {  // an array written as a string: its text form
      text(j.string());
      return;
    }
    j.expect('[');
    if (!j.eat(']')) {
      do nested_->json(j, depth + 1);
      while (j.eat(','));
      j.expect(']');
    }
    static_cast<ColumnArray&>(column_).finish_row();
  }

 private:
  ReaderPtr nested_;
};

class TupleReader final : public CompoundReader {
 public:
  TupleReader(Column& column, const ReadContext& context) : CompoundReader(column) {
    auto& tuple = static_cast<ColumnTuple&>(column);
    for (std::size_t i = 0; i < tuple.element_count(); ++i) elements_.push_back(make_reader(tuple.element(i), context));
  }
  void quoted(Tokens& tokens, int depth) override {
    if (depth > k_max_depth) throw BadValue{"nests deeper than " + std::to_string(k_max_depth)};
    tokens.expect(TokenKind::open_round, "'('");
    for (std::size_t i = 0; i < elements_.size(); ++i) {
      if (i > 0) tokens.expect(TokenKind::comma, "','");
      elements_[i]->quoted(tokens, depth + 1);
    }
    tokens.expect(TokenKind::close_round, "')'");
  }
  void json(Json& j, int depth) override {
    if (depth > k_max_depth) throw BadValue{"nests deeper than " + std::to_string(k_max_depth)};
    if (j.at('"')) {
      text(j.string());
      return;
    }
    j.expect('[');
    for (std::size_t i = 0; i < elements_.size(); ++i) {
      if (i > 0) j.expect(',');
      elements_[i]->json(j, depth + 1);
    }
    j.expect(']');
  }

 private:
  std::vector<ReaderPtr> elements_;
};

class MapReader final : public CompoundReader {
 public:
  MapReader(Column& column, const ReadContext& context)
      : CompoundReader(column),
        keys_(make_reader(static_cast<ColumnMap&>(column).keys(), context)),
        values_(make_reader(static_cast<ColumnMap&>(column).values(), context)) {}
  void quoted(Tokens& tokens, int depth) override {
    if (depth > k_max_depth) throw BadValue{"nests deeper than " + std::to_string(k_max_depth)};
    tokens.expect(TokenKind::open_curly, "'{'");
    if (tokens.peek().kind != TokenKind::close_curly) {
      for (;;) {
        keys_->quoted(tokens, depth + 1);
        tokens.expect(TokenKind::colon, "':'");
        values_->quoted(tokens, depth + 1);
        if (tokens.peek().kind != TokenKind::comma) break;
        tokens.take();
      }
    }
    tokens.expect(TokenKind::close_curly, "',' or '}'");
    static_cast<ColumnMap&>(column_).finish_row();
  }
  void json(Json& j, int depth) override {
    if (depth > k_max_depth) throw BadValue{"nests deeper than " + std::to_string(k_max_depth)};
    j.expect('{');
    if (!j.eat('}')) {
      do {
        keys_->text(j.string());
        j.expect(':');
        values_->json(j, depth + 1);
      } while (j.eat(','));
      j.expect('}');
    }
    static_cast<ColumnMap&>(column_).finish_row();
  }

 private:
  ReaderPtr keys_;
  ReaderPtr values_;
};

// LowCardinality(T): each value is read into a one-row column of T (or Nullable(T)) and added to
// the dictionary.
class LowCardinalityReader final : public ValueReader {
 public:
  LowCardinalityReader(Column& column, const ReadContext& context) : ValueReader(column) {
    const Type& type = column.type()->storage_type();
    scratch_ = make_column(type.element(0));
    inner_ = make_reader(*scratch_, context);
  }
  void text(std::string_view s) override {
    scratch_->clear();
    inner_->text(s);
    add();
  }
  void quoted(Tokens& tokens, int depth) override {
    scratch_->clear();
    inner_->quoted(tokens, depth);
    add();
  }
  void json(Json& j, int depth) override {
    scratch_->clear();
    inner_->json(j, depth);
    add();
  }
  void null() override {
    scratch_->clear();
    inner_->null();
    add();
  }

 private:
  void add() {
    auto& lc = static_cast<ColumnLowCardinality&>(column_);
    const Column* value = scratch_.get();
    if (const auto* n = dynamic_cast<const ColumnNullable*>(value)) {
      if (n->is_null(0)) {
        lc.append_null();
        return;
      }
      value = &n->nested();
    }
    if (const auto* s = dynamic_cast<const ColumnString*>(value)) {
      lc.append((*s)[0]);
      return;
    }
    const auto* fixed = dynamic_cast<const FixedWidthColumn*>(value);
    if (fixed == nullptr) throw BadValue{"has a type LowCardinality cannot hold here"};
    const std::string_view bytes(reinterpret_cast<const char*>(fixed->raw_bytes().data()), fixed->value_size());
    if (const auto* fs = dynamic_cast<const ColumnFixedString*>(value)) {
      (void)fs;
      lc.append(bytes);
      return;
    }
    switch (bytes.size()) {
      case 1: append_as<1>(lc, bytes); break;
      case 2: append_as<2>(lc, bytes); break;
      case 4: append_as<4>(lc, bytes); break;
      case 8: append_as<8>(lc, bytes); break;
      case 16: append_as<16>(lc, bytes); break;
      default: throw BadValue{"has a type LowCardinality cannot hold here"};
    }
  }
  template <std::size_t N>
  static void append_as(ColumnLowCardinality& lc, std::string_view bytes) {
    std::array<std::uint8_t, N> v{};
    std::memcpy(v.data(), bytes.data(), N);
    lc.append_value(v);
  }

  ColumnRef scratch_;
  ReaderPtr inner_;
};

ReaderPtr make_reader(Column& column, const ReadContext& context) {
  const Type& type = column.type()->storage_type();
  switch (type.code()) {
    case TypeCode::UInt8: return std::make_unique<IntegerReader<std::uint8_t>>(column);
    case TypeCode::UInt16: return std::make_unique<IntegerReader<std::uint16_t>>(column);
    case TypeCode::UInt32: return std::make_unique<IntegerReader<std::uint32_t>>(column);
    case TypeCode::UInt64: return std::make_unique<IntegerReader<std::uint64_t>>(column);
    case TypeCode::Int8: return std::make_unique<IntegerReader<std::int8_t>>(column);
    case TypeCode::Int16: return std::make_unique<IntegerReader<std::int16_t>>(column);
    case TypeCode::Int32: return std::make_unique<IntegerReader<std::int32_t>>(column);
    case TypeCode::Int64: return std::make_unique<IntegerReader<std::int64_t>>(column);
    case TypeCode::Float32: return std::make_unique<FloatReader<float>>(column);
    case TypeCode::Float64: return std::make_unique<FloatReader<double>>(column);
    case TypeCode::Bool: return std::make_unique<BoolReader>(column);
    case TypeCode::String: return std::make_unique<StringReader>(column);
    case TypeCode::FixedString: return std::make_unique<FixedStringReader>(column);
    case TypeCode::Date: return std::make_unique<DateReader>(column);
    case TypeCode::DateTime: return std::make_unique<DateTimeReader>(column, context);
    case TypeCode::UUID: return std::make_unique<UUIDReader>(column);
    case TypeCode::IPv4: return std::make_unique<IPv4Reader>(column);
    case TypeCode::IPv6: return std::make_unique<IPv6Reader>(column);
    case TypeCode::Decimal32: return std::make_unique<DecimalReader<std::int32_t>>(column);
    case TypeCode::Decimal64: return std::make_unique<DecimalReader<std::int64_t>>(column);
    case TypeCode::Decimal128: return std::make_unique<DecimalReader<Int128>>(column);
    case TypeCode::Enum8: return std::make_unique<EnumReader<std::int8_t>>(column);
    case TypeCode::Enum16: return std::make_unique<EnumReader<std::int16_t>>(column);
    case TypeCode::Nullable: return std::make_unique<NullableReader>(column, context);
    case TypeCode::Array: return std::make_unique<ArrayReader>(column, context);
    case TypeCode::Tuple: return std::make_unique<TupleReader>(column, context);
    case TypeCode::Map: return std::make_unique<MapReader>(column, context);
    case TypeCode::LowCardinality: return std::make_unique<LowCardinalityReader>(column, context);
    default: break;
  }
  throw Error(ErrorKind::usage, "chconn cannot read text into a column of type " + column.type()->name() +
                                    " yet; insert such columns as blocks with Connection::insert()");
}

// ---- the buffered input and its row scanners -------------------------------------------------

class Input {
 public:
  Input(ByteSource& source, std::size_t max_row_bytes) : source_(source), max_row_(max_row_bytes) {}

  // The bytes from the current position to the end of what is buffered.
  std::string_view rest() const noexcept { return std::string_view(buf_).substr(pos_); }
  bool eof() const noexcept { return eof_; }
  // Reads more; false at the end of the input. Keeps rest() (moved to the buffer's start).
  // Throws BadValue when the row being scanned (rest()) already holds max_row_bytes.
  bool more() {
    if (eof_) return false;
    if (buf_.size() - pos_ >= max_row_) {
      throw BadValue{"is longer than " + std::to_string(max_row_) + " bytes (InputOptions::max_row_bytes)"};
    }
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    const std::size_t old = buf_.size();
    const std::size_t want = std::min(k_read_bytes, max_row_ - old + 1);
    buf_.resize(old + want);
    const std::size_t got = source_.read(buf_.data() + old, want);
    buf_.resize(old + got);
    if (got == 0) eof_ = true;
    return got > 0;
  }
  void consume(std::size_t n) noexcept { pos_ += n; }

 private:
  ByteSource& source_;
  std::size_t max_row_;
  std::string buf_;
  std::size_t pos_ = 0;
  bool eof_ = false;
};

}  // namespace

// ---- the source ------------------------------------------------------------------------------

class TextInsertSource::Impl {
 public:
  Impl(InputFormat format, ByteSource& in, InputOptions options)
      : format_(format), options_(std::move(options)), input_(in, std::max<std::size_t>(options_.max_row_bytes, 1)) {
    if (options_.max_block_rows == 0) options_.max_block_rows = 1;
    zones_ = options_.time_zones ? options_.time_zones : make_time_zones();
    context_.zones = zones_.get();
    context_.time_zone = options_.time_zone.empty() ? "UTC" : options_.time_zone;
  }

  void start(const Block& sample) {
    sample_ = Block{};
    for (std::size_t i = 0; i < sample.column_count(); ++i) {
      sample_.append(sample.name(i), sample.column(i)->clone_empty());
    }
    if (sample_.column_count() == 0) {
      throw Error(ErrorKind::usage, options_.what +
                                        ": the table's structure is unknown (the sample block has no "
                                        "columns), so text cannot be read into it");
    }
    index_.clear();
    for (std::size_t i = 0; i < sample_.column_count(); ++i) index_.emplace(sample_.name(i), i);
    new_block();
    skip_rows_ = format_ == InputFormat::tab_separated_with_names || format_ == InputFormat::csv_with_names ? 1
                 : format_ == InputFormat::tab_separated_with_names_and_types                               ? 2
                                                                                                            : 0;
  }

  std::optional<Block> next() {
    if (readers_.empty()) throw Error(ErrorKind::usage, options_.what + ": next() before start()");
    std::size_t rows = 0;
    std::size_t bytes = 0;
    while (rows < options_.max_block_rows && bytes < options_.max_block_bytes) {
      std::optional<std::string_view> row = next_row();
      if (!row) break;
      bytes += row->size();
      if (skip_rows_ > 0) {
        --skip_rows_;
        check_header(*row);
        continue;
      }
      read_row(*row);
      ++rows;
      ++rows_read_;
    }
    if (rows == 0) return std::nullopt;
    Block out = std::move(block_);
    new_block();
    return out;
  }

  std::size_t rows_read() const noexcept { return rows_read_; }
  bool failed_row() const noexcept { return failed_; }

 private:
  // A TabSeparated header row (names, or types) is skipped, but must have a field per column, as
  // 18.16 reads it.
  void check_header(std::string_view row) const {
    if (format_ == InputFormat::csv_with_names) return;
    std::size_t fields = 1;
    for (std::size_t i = 0; i < row.size(); i += row[i] == '\\' ? 2 : 1) fields += row[i] == '\t' ? 1 : 0;
    if (fields != readers_.size()) {
      fail_row("the header row has " + std::to_string(fields) + " fields, the table " +
               std::to_string(readers_.size()) + " columns");
    }
  }

  void new_block() {
    block_ = Block{};
    readers_.clear();
    for (std::size_t i = 0; i < sample_.column_count(); ++i) {
      ColumnRef column = sample_.column(i)->clone_empty();
      readers_.push_back(make_reader(*column, context_));
      block_.append(sample_.name(i), std::move(column));
    }
  }

  [[noreturn]] void fail_row(const std::string& why) const {
    failed_ = true;
    throw Error(ErrorKind::usage, options_.what + ": cannot read row " + std::to_string(rows_read_ + 1) + " (line " +
                                      std::to_string(line_) + ") of the " + std::string(to_string(format_)) +
                                      " data: " + why);
  }
  // A TSV or CSV row with a field after the last column; `pos` is where that field starts.
  [[noreturn]] void fail_extra_fields(std::string_view row, std::size_t pos) const {
    fail_row("it has more than " + std::to_string(readers_.size()) + " fields (expected the end of the line before " +
             excerpt(row.substr(pos - 1, 16)) + ")");
  }
  [[noreturn]] void fail_value(std::size_t column, std::string_view value, const std::string& why) const {
    fail_row("column " + std::to_string(column + 1) + " '" + sample_.name(column) + "' (" +
             sample_.column(column)->type()->name() + "): the value " + excerpt(value) + " " + why);
  }

  // The next row's text (without its line end); nullopt at the end of the input. line_ is the
  // row's first line.
  std::optional<std::string_view> next_row() {
    try {
      line_ = next_line_;
      switch (format_) {
        case InputFormat::tab_separated:
        case InputFormat::tab_separated_with_names:
        case InputFormat::tab_separated_with_names_and_types: return scan_tsv();
        case InputFormat::csv:
        case InputFormat::csv_with_names: return scan_csv();
        case InputFormat::json_each_row: return scan_json();
        case InputFormat::values: return scan_values();
      }
    } catch (const BadValue& e) {
      fail_row("the row " + e.why);
    }
    return std::nullopt;
  }

  // A line; a backslash escapes the next byte (a newline too).
  std::optional<std::string_view> scan_tsv() {
    std::size_t i = 0;
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
          continue;
        }
        if (newline == std::string_view::npos) {
          i = r.size();
          break;
        }
        input_.consume(newline + 1);
        const std::string_view row = r.substr(0, newline);
        count_lines(row, 1);
        return row;
      }
      if (!input_.more()) {
        const std::string_view rest = input_.rest();
        if (rest.empty()) return std::nullopt;
        input_.consume(rest.size());
        count_lines(rest, 0);
        return rest;  // the last line without its newline
      }
    }
  }

  // A record: a newline ends it unless inside quotes.
  std::optional<std::string_view> scan_csv() {
    std::size_t i = 0;
    char quote = 0;
    bool field_start = true;
    for (;;) {
      const std::string_view r = input_.rest();
      while (i < r.size()) {
        const char c = r[i];
        if (quote != 0) {
          if (c == quote) {
            if (i + 1 >= r.size() && !input_.eof()) break;  // a doubled quote may continue
            if (i + 1 < r.size() && r[i + 1] == quote) {
              i += 2;
              continue;
            }
            quote = 0;
          }
          ++i;
          continue;
        }
        if (c == '\n') {
          input_.consume(i + 1);
          std::string_view row = r.substr(0, i);
          count_lines(row, 1);
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

  // Skips the blanks and commas between JSONEachRow objects or Values tuples, reading more input
  // as needed. False at the end of the input; otherwise the next byte is the record's first.
  bool skip_record_separators() {
    for (;;) {
      const std::string_view r = input_.rest();
      std::size_t skip = 0;
      while (skip < r.size() && (is_blank(r[skip]) || r[skip] == ',')) ++skip;
      count_lines(r.substr(0, skip), 0);
      input_.consume(skip);
      if (skip < r.size()) return true;
      if (!input_.more()) return false;
    }
  }

  // One {...} object, skipping blanks and commas between objects.
  std::optional<std::string_view> scan_json() {
    if (!skip_record_separators()) return std::nullopt;
    line_ = next_line_;
    if (input_.rest().front() != '{')
      throw BadValue{"does not start with '{': " + excerpt(input_.rest().substr(0, 16))};
    std::size_t i = 0;
    int depth = 0;
    bool in_string = false;
    for (;;) {
      const std::string_view r = input_.rest();
      while (i < r.size()) {
        const char c = r[i];
        if (in_string) {
          if (c == '\\') {
            if (i + 1 >= r.size()) break;
            i += 2;
            continue;
          }
          if (c == '"') in_string = false;
          ++i;
          continue;
        }
        if (c == '"') in_string = true;
        if (c == '{' || c == '[') ++depth;
        if (c == '}' || c == ']') {
          if (--depth == 0) {
            input_.consume(i + 1);
            const std::string_view row = r.substr(0, i + 1);
            count_lines(row, 0);
            return row;
          }
        }
        ++i;
      }
      if (!input_.more()) throw BadValue{"ends before its closing '}'"};
    }
  }

  // One (...) tuple, found with the SQL lexer; blanks and commas between tuples are skipped, and
  // a ';' ends the data.
  std::optional<std::string_view> scan_values() {
    if (!skip_record_separators()) return std::nullopt;
    line_ = next_line_;
    if (input_.rest().front() == ';') {
      const std::string_view r = input_.rest().substr(1);
      for (char c : r) {
        if (!is_blank(c)) throw BadValue{"follows the ';' that ends the data: " + excerpt(r.substr(0, 16))};
      }
      input_.consume(input_.rest().size());
      while (input_.more()) {
        for (char c : input_.rest()) {
          if (!is_blank(c)) throw BadValue{"follows the ';' that ends the data"};
        }
        input_.consume(input_.rest().size());
      }
      return std::nullopt;
    }
    if (input_.rest().front() != '(')
      throw BadValue{"does not start with '(': " + excerpt(input_.rest().substr(0, 16))};
    for (;;) {
      const std::string_view r = input_.rest();
      sql::Lexer lexer(r);
      int depth = 0;
      for (;;) {
        const sql::Token t = lexer.next();
        if (t.kind == TokenKind::end || t.kind == TokenKind::unterminated) break;
        // A token that touches the end of the buffer may continue in the next read.
        if (t.end() == r.size() && !input_.eof()) break;
        if (t.kind == TokenKind::open_round) ++depth;
        if (t.kind == TokenKind::close_round && --depth == 0) {
          input_.consume(t.end());
          const std::string_view row = r.substr(0, t.end());
          count_lines(row, 0);
          return row;
        }
      }
      // At the end of the input a token touching the end is whole: scan once more, then give up.
      if (input_.eof()) throw BadValue{"ends before its closing ')'"};
      input_.more();
    }
  }

  void count_lines(std::string_view text, std::size_t line_ends) {
    next_line_ += static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + line_ends;
  }

  void read_row(std::string_view row) {
    switch (format_) {
      case InputFormat::tab_separated:
      case InputFormat::tab_separated_with_names:
      case InputFormat::tab_separated_with_names_and_types: read_tsv(row); break;
      case InputFormat::csv:
      case InputFormat::csv_with_names: read_csv(row); break;
      case InputFormat::json_each_row: read_json(row); break;
      case InputFormat::values: read_values(row); break;
    }
  }

  void read_tsv(std::string_view row) {
    std::size_t pos = 0;
    for (std::size_t c = 0; c < readers_.size(); ++c) {
      std::size_t end = pos;
      for (;;) {
        const std::size_t tab = row.find('\t', end);
        const std::size_t limit = tab == std::string_view::npos ? row.size() : tab;
        const void* slash = end < limit ? std::memchr(row.data() + end, '\\', limit - end) : nullptr;
        if (slash == nullptr) {
          end = limit;
          break;
        }
        end = static_cast<std::size_t>(static_cast<const char*>(slash) - row.data()) + 2;  // escapes the next byte
        if (end >= row.size()) {
          end = row.size();
          break;
        }
      }
      const std::string_view raw = row.substr(pos, end - pos);
      if (c + 1 < readers_.size() && end >= row.size()) {
        fail_row("it has " + std::to_string(c + 1) + " fields, the table " + std::to_string(readers_.size()) +
                 " columns (expected a tab after column " + std::to_string(c + 1) + ")");
      }
      try {
        if (raw == "\\N") {
          readers_[c]->null();
        } else if (readers_[c]->raw_in_tsv() || raw.find('\\') == std::string_view::npos) {
          readers_[c]->text(raw);
        } else {
          unescape(raw, field_);
          readers_[c]->text(field_);
        }
      } catch (const BadValue& e) {
        fail_value(c, raw, e.why);
      }
      pos = end + 1;
    }
    if (pos <= row.size()) fail_extra_fields(row, pos);
  }

  void read_csv(std::string_view row) {
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
      if (pos < row.size() && (row[pos] == '"' || row[pos] == '\'')) {
        const char q = row[pos];
        quoted = true;
        field_.clear();
        std::size_t i = pos + 1;
        for (;;) {
          if (i >= row.size()) fail_row("column " + std::to_string(c + 1) + " has a quote that is not closed");
          if (row[i] == q) {
            if (i + 1 < row.size() && row[i + 1] == q) {
              field_ += q;
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          field_ += row[i++];
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
          readers_[c]->text(quoted ? std::string_view(field_) : raw);
        }
      } catch (const BadValue& e) {
        fail_value(c, raw, e.why);
      }
      pos = end + 1;
    }
    if (pos <= row.size()) fail_extra_fields(row, pos);
  }

  void read_json(std::string_view row) {
    seen_.assign(readers_.size(), false);
    Json j(row);
    std::size_t column = readers_.size();
    try {
      j.expect('{');
      if (!j.eat('}')) {
        do {
          column = readers_.size();
          const std::string key = j.string();
          j.expect(':');
          const auto it = index_.find(key);
          if (it == index_.end()) {
            if (!options_.skip_unknown_fields) {
              throw BadValue{
                  "has the key " + excerpt(key) +
                  ", which names no column of the table (InputOptions::skip_unknown_fields ignores such keys)"};
            }
            j.skip_value();
            continue;
          }
          column = it->second;
          if (seen_[column]) throw BadValue{"has the key " + excerpt(key) + " twice"};
          seen_[column] = true;
          readers_[column]->json(j, 0);
        } while (j.eat(','));
        column = readers_.size();
        j.expect('}');
      }
      if (!j.done()) throw BadValue{"has text after its closing '}'"};
    } catch (const BadValue& e) {
      if (column < readers_.size()) fail_value(column, row, e.why);
      fail_row("the object " + excerpt(row) + " " + e.why);
    }
    for (std::size_t c = 0; c < readers_.size(); ++c) {
      if (!seen_[c]) readers_[c]->append_default();
    }
  }

  void read_values(std::string_view row) {
    std::size_t c = 0;
    std::size_t value_begin = 0;  // where column c's value starts in the row, for the message
    std::optional<Tokens> tokens;
    try {
      tokens.emplace(row);
      tokens->expect(TokenKind::open_round, "'('");
      for (; c < readers_.size(); ++c) {
        if (c > 0) tokens->expect(TokenKind::comma, "','");
        value_begin = tokens->peek().offset;
        readers_[c]->quoted(*tokens, 0);
      }
      c = readers_.size();
      tokens->expect(TokenKind::close_round, "')' after " + std::to_string(readers_.size()) + " values");
    } catch (const BadValue& e) {
      if (c < readers_.size()) {
        // The value: from its first token to the token the reader stopped at (at least one byte).
        std::size_t value_end = tokens ? tokens->peek().offset : row.size();
        if (value_end <= value_begin) value_end = std::min(row.size(), value_begin + k_excerpt_bytes);
        fail_value(c, row.substr(value_begin, value_end - value_begin),
                   e.why + " (chconn reads literals only; an expression such as now() is not evaluated)");
      }
      fail_row("the row " + excerpt(row) + " " + e.why);
    }
  }

  InputFormat format_;
  InputOptions options_;
  Input input_;
  std::shared_ptr<TimeZones> zones_;
  ReadContext context_;
  Block sample_;
  Block block_;
  std::vector<ReaderPtr> readers_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<bool> seen_;
  std::string field_;
  std::size_t skip_rows_ = 0;
  std::size_t rows_read_ = 0;
  mutable bool failed_ = false;
  std::size_t line_ = 1;
  std::size_t next_line_ = 1;
};

TextInsertSource::TextInsertSource(InputFormat format, ByteSource& in, InputOptions options)
    : impl_(std::make_unique<Impl>(format, in, std::move(options))) {}
TextInsertSource::~TextInsertSource() = default;
void TextInsertSource::start(const Block& sample) { impl_->start(sample); }
std::optional<Block> TextInsertSource::next() { return impl_->next(); }
std::size_t TextInsertSource::rows_read() const noexcept { return impl_->rows_read(); }
bool TextInsertSource::failed_row() const noexcept { return impl_->failed_row(); }

// ---- formats, byte sources, insert_text --------------------------------------------------------

namespace {
struct FormatName {
  std::string_view name;
  InputFormat format;
};
constexpr FormatName k_input_formats[] = {
    {"TabSeparated", InputFormat::tab_separated},
    {"TSV", InputFormat::tab_separated},
    {"TabSeparatedWithNames", InputFormat::tab_separated_with_names},
    {"TSVWithNames", InputFormat::tab_separated_with_names},
    {"TabSeparatedWithNamesAndTypes", InputFormat::tab_separated_with_names_and_types},
    {"TSVWithNamesAndTypes", InputFormat::tab_separated_with_names_and_types},
    {"CSV", InputFormat::csv},
    {"CSVWithNames", InputFormat::csv_with_names},
    {"JSONEachRow", InputFormat::json_each_row},
    {"Values", InputFormat::values},
};
}  // namespace

std::optional<InputFormat> parse_input_format(std::string_view name) noexcept {
  for (const FormatName& f : k_input_formats) {
    if (equals_ignoring_case(f.name, name)) return f.format;
  }
  return std::nullopt;
}

std::string_view to_string(InputFormat format) noexcept {
  for (const FormatName& f : k_input_formats) {
    if (f.format == format) return f.name;
  }
  return "?";
}

std::string_view input_format_names() noexcept {
  return "TabSeparated, TSV, TabSeparatedWithNames, TSVWithNames, TabSeparatedWithNamesAndTypes, "
         "TSVWithNamesAndTypes, CSV, CSVWithNames, JSONEachRow, Values";
}

std::size_t MemoryByteSource::read(char* data, std::size_t size) {
  const std::size_t n = std::min(size, bytes_.size());
  std::memcpy(data, bytes_.data(), n);
  bytes_.remove_prefix(n);
  return n;
}

std::size_t StreamByteSource::read(char* data, std::size_t size) {
  in_.read(data, static_cast<std::streamsize>(size));
  const auto got = static_cast<std::size_t>(in_.gcount());
  if (in_.bad()) throw Error(ErrorKind::usage, "reading the input failed");
  return got;
}

std::size_t insert_text(Connection& conn, std::string_view table, InputFormat format, ByteSource& source,
                        InputOptions options, const QueryOptions& query) {
  const InsertTarget target = parse_insert_target(table);
  if (options.time_zone.empty()) options.time_zone = conn.server_info().timezone;
  if (options.what == InputOptions{}.what) options.what = "insert into " + target.name();
  TextInsertSource text(format, source, std::move(options));
  conn.insert(target, text, query);
  return text.rows_read();
}

}  // namespace chconn::text
