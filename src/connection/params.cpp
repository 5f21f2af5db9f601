#include "chconn/connection/params.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "chconn/core/error.h"
#include "chconn/wire/types.h"
#include "connection/sql_scan.h"

namespace chconn {

namespace {

bool is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Skips a quoted literal or identifier starting at sql[i] (the quote); returns the index after it.
// Backslash escapes and doubled quotes are both honoured, as ClickHouse's lexer does.
std::size_t skip_quoted(std::string_view sql, std::size_t i) {
  const char quote = sql[i++];
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\\') {
      i += 2;
    } else if (c == quote) {
      if (i + 1 < sql.size() && sql[i + 1] == quote) {
        i += 2;
      } else {
        return i + 1;
      }
    } else {
      ++i;
    }
  }
  return sql.size();  // unterminated: the server will report it
}

// Skips a /* comment */ (ClickHouse allows them nested) starting at sql[i].
std::size_t skip_block_comment(std::string_view sql, std::size_t i) {
  int depth = 0;
  while (i + 1 < sql.size()) {
    if (sql[i] == '/' && sql[i + 1] == '*') {
      ++depth;
      i += 2;
    } else if (sql[i] == '*' && sql[i + 1] == '/') {
      i += 2;
      if (--depth == 0) return i;
    } else {
      ++i;
    }
  }
  return sql.size();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Tries to read a placeholder at sql[i] == '{'. Returns nullopt when the brace starts something
// else (a map literal, for instance), which is then left alone.
std::optional<Placeholder> read_placeholder(std::string_view sql, std::size_t i) {
  std::size_t j = i + 1;
  while (j < sql.size() && is_space(sql[j])) ++j;
  if (j >= sql.size() || !is_ident_start(sql[j])) return std::nullopt;
  const std::size_t name_begin = j;
  while (j < sql.size() && is_ident_char(sql[j])) ++j;
  const std::string_view name = sql.substr(name_begin, j - name_begin);
  while (j < sql.size() && is_space(sql[j])) ++j;
  if (j < sql.size() && sql[j] == '}') {
    throw Error(ErrorKind::usage, "the query parameter {" + std::string(name) +
                                      "} has no type; write it as {" + std::string(name) + ":Type}");
  }
  if (j >= sql.size() || sql[j] != ':') return std::nullopt;
  const std::size_t type_begin = ++j;
  int parens = 0;
  while (j < sql.size()) {
    const char c = sql[j];
    if (c == '\'' || c == '"' || c == '`') {
      j = skip_quoted(sql, j);
      continue;
    }
    if (c == '(') ++parens;
    if (c == ')') --parens;
    if (c == '}' && parens <= 0) break;
    ++j;
  }
  if (j >= sql.size()) {
    throw Error(ErrorKind::usage, "the query parameter {" + std::string(name) + ":... is not closed with '}'");
  }
  const std::string_view type = trim(sql.substr(type_begin, j - type_begin));
  if (type.empty()) {
    throw Error(ErrorKind::usage, "the query parameter {" + std::string(name) + ":} has an empty type");
  }
  return Placeholder{std::string(name), std::string(type), i, j + 1 - i};
}

[[noreturn]] void bad_value(const Placeholder& p, std::string_view why) {
  // The value is not echoed: it may be a secret, and it can be arbitrarily long.
  throw Error(ErrorKind::usage, "the value of query parameter '" + p.name + "' is not a valid " + p.type + ": " +
                                    std::string(why));
}

// An integer literal checked to fit [min, max] (as two's-complement widths allow).
std::string integer_literal(const Placeholder& p, std::string_view text, bool is_signed, int bits) {
  const std::string_view t = trim(text);
  if (t.empty()) bad_value(p, "it is empty");
  if (bits > 64) {
    std::size_t k = (t[0] == '-' && is_signed) || t[0] == '+' ? 1 : 0;
    if (k == t.size()) bad_value(p, "expected digits");
    for (std::size_t i = k; i < t.size(); ++i)
      if (t[i] < '0' || t[i] > '9') bad_value(p, "expected an integer");
    return "CAST(" + quote_string(t) + " AS " + p.type + ")";
  }
  if (is_signed) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || end != t.data() + t.size()) bad_value(p, "expected an integer");
    const std::int64_t lo = bits == 64 ? std::numeric_limits<std::int64_t>::min() : -(std::int64_t{1} << (bits - 1));
    const std::int64_t hi = bits == 64 ? std::numeric_limits<std::int64_t>::max() : (std::int64_t{1} << (bits - 1)) - 1;
    if (v < lo || v > hi) bad_value(p, "out of range");
    return std::to_string(v);
  }
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size()) bad_value(p, "expected a non-negative integer");
  if (bits < 64 && v > (std::uint64_t{1} << bits) - 1) bad_value(p, "out of range");
  return std::to_string(v);
}

std::string float_literal(const Placeholder& p, std::string_view text) {
  const std::string t(trim(text));
  if (t == "inf" || t == "+inf" || t == "-inf" || t == "nan") return t == "+inf" ? "inf" : t;
  if (t.empty()) bad_value(p, "it is empty");
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !std::isfinite(v)) bad_value(p, "expected a number");
  // Digits, sign, '.', exponent only: hex floats and "infinity" spellings are refused.
  for (char c : t) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) {
      bad_value(p, "expected a decimal number");
    }
  }
  return t;
}

std::string literal_for(const Placeholder& p, const TypeRef& type, const Param& param) {
  switch (type->code()) {
    case TypeCode::Nullable:
      if (param.is_null) return "NULL";
      return literal_for(p, type->element(0), param);
    case TypeCode::LowCardinality:
      return literal_for(p, type->element(0), param);
    default:
      break;
  }
  if (param.is_null) bad_value(p, "NULL is only allowed for Nullable types");
  const std::string_view v = param.value;
  switch (type->code()) {
    case TypeCode::UInt8: return integer_literal(p, v, false, 8);
    case TypeCode::UInt16: return integer_literal(p, v, false, 16);
    case TypeCode::UInt32: return integer_literal(p, v, false, 32);
    case TypeCode::UInt64: return integer_literal(p, v, false, 64);
    case TypeCode::UInt128: return integer_literal(p, v, false, 128);
    case TypeCode::UInt256: return integer_literal(p, v, false, 256);
    case TypeCode::Int8: return integer_literal(p, v, true, 8);
    case TypeCode::Int16: return integer_literal(p, v, true, 16);
    case TypeCode::Int32: return integer_literal(p, v, true, 32);
    case TypeCode::Int64: return integer_literal(p, v, true, 64);
    case TypeCode::Int128: return integer_literal(p, v, true, 128);
    case TypeCode::Int256: return integer_literal(p, v, true, 256);
    case TypeCode::Float32:
    case TypeCode::Float64: return float_literal(p, v);
    case TypeCode::String: return quote_string(v);
    default:
      // Dates, UUIDs, enums, decimals, arrays, tuples...: the server parses the quoted text as the
      // type. The type's canonical name comes from our parser, never from the value.
      return "CAST(" + quote_string(v) + " AS " + type->name() + ")";
  }
}

}  // namespace

Params& Params::set(std::string name, std::string_view text) {
  for (auto& p : items_) {
    if (p.name == name) {
      p.value = std::string(text);
      p.is_null = false;
      return *this;
    }
  }
  items_.push_back({std::move(name), std::string(text), false});
  return *this;
}

Params& Params::set(std::string name, double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  (void)ec;
  std::string text(buf, end);
  if (std::isinf(value)) text = value > 0 ? "inf" : "-inf";
  if (std::isnan(value)) text = "nan";
  return set(std::move(name), std::string_view(text));
}

Params& Params::set_null(std::string name) {
  const std::string key = name;
  set(std::move(name), std::string_view());
  for (auto& p : items_)
    if (p.name == key) p.is_null = true;
  return *this;
}

const Param* Params::find(std::string_view name) const noexcept {
  for (const auto& p : items_)
    if (p.name == name) return &p;
  return nullptr;
}

std::vector<Placeholder> find_placeholders(std::string_view sql) {
  std::vector<Placeholder> found;
  std::size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {
      i = skip_quoted(sql, i);
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const auto nl = sql.find('\n', i);
      i = nl == std::string_view::npos ? sql.size() : nl + 1;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      i = skip_block_comment(sql, i);
    } else if (c == '{') {
      if (auto p = read_placeholder(sql, i)) {
        i += p->length;
        found.push_back(std::move(*p));
      } else {
        ++i;
      }
    } else {
      ++i;
    }
  }
  return found;
}

std::string substitute_params(std::string_view sql, const Params& params) {
  const auto placeholders = find_placeholders(sql);
  std::string out;
  out.reserve(sql.size() + 16 * placeholders.size());
  std::size_t pos = 0;
  std::vector<bool> used(params.size(), false);
  for (const Placeholder& p : placeholders) {
    const Param* param = params.find(p.name);
    if (!param) {
      throw Error(ErrorKind::usage, "the query uses parameter {" + p.name + ":" + p.type + "} but no value was given");
    }
    used[static_cast<std::size_t>(param - &*params.begin())] = true;
    out.append(sql.substr(pos, p.offset - pos));
    if (p.type == "Identifier") {
      if (param->is_null) bad_value(p, "an identifier cannot be NULL");
      out += quote_identifier(param->value);
    } else {
      TypeRef type;
      try {
        type = parse_type(p.type);
      } catch (const Error& e) {
        throw Error(ErrorKind::usage, "query parameter '" + p.name + "' has an unknown type '" + p.type + "'")
            .with_cause(e);
      }
      out += literal_for(p, type, *param);
    }
    pos = p.offset + p.length;
  }
  out.append(sql.substr(pos));
  std::size_t i = 0;
  for (const Param& param : params) {
    if (!used[i++]) {
      throw Error(ErrorKind::usage, "query parameter '" + param.name + "' is not used by the query (no {" +
                                        param.name + ":Type} placeholder)");
    }
  }
  return out;
}

namespace {
void escape_into(std::string& out, std::string_view text, char quote) {
  static constexpr char hex[] = "0123456789abcdef";
  for (unsigned char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\0': out += "\\0"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c == static_cast<unsigned char>(quote)) {
          out += '\\';
          out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out += hex[c >> 4];
          out += hex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
}
}  // namespace

std::string quote_string(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '\'';
  escape_into(out, text, '\'');
  out += '\'';
  return out;
}

std::string quote_identifier(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 2);
  out += '`';
  escape_into(out, name, '`');
  out += '`';
  return out;
}

namespace detail {

namespace {
// Skips whitespace and comments from i.
std::size_t skip_blank(std::string_view sql, std::size_t i) {
  for (;;) {
    while (i < sql.size() && is_space(sql[i])) ++i;
    if (i + 1 < sql.size() && sql[i] == '-' && sql[i + 1] == '-') {
      const auto nl = sql.find('\n', i);
      i = nl == std::string_view::npos ? sql.size() : nl + 1;
    } else if (i + 1 < sql.size() && sql[i] == '/' && sql[i + 1] == '*') {
      i = skip_block_comment(sql, i);
    } else {
      return i;
    }
  }
}

bool keyword_at(std::string_view sql, std::size_t i, std::string_view word) {
  if (i + word.size() > sql.size()) return false;
  for (std::size_t k = 0; k < word.size(); ++k) {
    const char c = sql[i + k];
    const char upper = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    if (upper != word[k]) return false;
  }
  return i + word.size() == sql.size() || !is_ident_char(sql[i + word.size()]);
}
}  // namespace

bool is_insert(std::string_view sql) { return keyword_at(sql, skip_blank(sql, 0), "INSERT"); }

namespace {
// The first top-level keyword among VALUES, FORMAT and SELECT after the INSERT's start, and where.
struct InsertTail {
  std::string_view keyword;
  std::size_t end = 0;  // just after the keyword
};

InsertTail find_insert_tail(std::string_view sql) {
  std::size_t i = skip_blank(sql, 0);
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"' || c == '`') {
      i = skip_quoted(sql, i);
    } else if ((c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') ||
               (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*')) {
      i = skip_blank(sql, i);
    } else if (is_ident_start(c)) {
      const bool at_word_start = i == 0 || !is_ident_char(sql[i - 1]);
      for (std::string_view word : {std::string_view("VALUES"), std::string_view("FORMAT"),
                                    std::string_view("SELECT"), std::string_view("WITH")}) {
        if (at_word_start && keyword_at(sql, i, word)) return {word, i + word.size()};
      }
      while (i < sql.size() && is_ident_char(sql[i])) ++i;
    } else {
      ++i;
    }
  }
  return {};
}
}  // namespace

bool has_inline_insert_data(std::string_view sql) {
  const InsertTail tail = find_insert_tail(sql);
  if (tail.keyword == "VALUES") return skip_blank(sql, tail.end) < sql.size();
  if (tail.keyword == "FORMAT") {
    std::size_t j = skip_blank(sql, tail.end);
    while (j < sql.size() && is_ident_char(sql[j])) ++j;  // the format's name
    return skip_blank(sql, j) < sql.size();
  }
  return false;
}

bool is_insert_select(std::string_view sql) {
  if (!is_insert(sql)) return false;
  const InsertTail tail = find_insert_tail(sql);
  return tail.keyword == "SELECT" || tail.keyword == "WITH";
}

}  // namespace detail

}  // namespace chconn
