// Query parameters: finding `{name:Type}` placeholders and, for servers that cannot bind them,
// substituting typed literals. See chconn/connection/params.h.
//
// Client-side substitution is a security boundary: a value must never change the query around it.
// Three rules keep it so:
//   1. Placeholders are found with the one SQL lexer (chconn/core/sql.h), so none is seen inside a
//      string, a quoted name, a comment or a heredoc.
//   2. Each literal is one self-delimiting piece: numbers in canonical form, a negative one in
//      parentheses (`10-{x:Int64}` with -1 gives `10- (-1) `, never the comment `10--1`), text
//      quoted and escaped, every other type as CAST('text' AS Type) with the type's name from our
//      own parser (an instant from a C++ time point as toDateTime('text', 'UTC'), cast to it); and a blank on each
//      side, so that nothing before or after can join with it
//      (`x{s:String}` must not become the hex string x'..', nor `{v:UInt8}e5` a float).
//   3. The result is lexed again and must have exactly the template's tokens, each placeholder's
//      tokens replaced by its literal's; if not (a placeholder right after '#', say), the query is
//      refused with Error(usage) and nothing is sent.
#include "chconn/connection/params.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "chconn/core/error.h"
#include "chconn/core/sql.h"
#include "chconn/wire/types.h"
#include "connection/substitution.h"
#include "core/strings.h"

namespace chconn {

namespace {

using sql::Token;
using sql::TokenKind;

using detail::is_space;
using detail::is_word_begin;
using detail::trim_space;

[[noreturn]] void bad_value(const Placeholder& p, std::string_view why) {
  // The value is not echoed: it may be a secret, and it can be arbitrarily long.
  throw Error(ErrorKind::usage,
              "the value of query parameter '" + p.name + "' is not a valid " + p.type + ": " + std::string(why));
}

// A type whose values are numbers: an integer of `bits` bits, signed or not, or a float. The one
// list of them for the literal of a value (literal_for), a tuple element's index
// (element_index_literal) and how a server that binds parameters reads one (bound_form).
struct NumberType {
  bool is_float = false;
  bool is_signed = true;
  int bits = 0;  // integers only
};

std::optional<NumberType> number_type(TypeCode code) noexcept {
  switch (code) {
    case TypeCode::UInt8: return NumberType{.is_signed = false, .bits = 8};
    case TypeCode::UInt16: return NumberType{.is_signed = false, .bits = 16};
    case TypeCode::UInt32: return NumberType{.is_signed = false, .bits = 32};
    case TypeCode::UInt64: return NumberType{.is_signed = false, .bits = 64};
    case TypeCode::UInt128: return NumberType{.is_signed = false, .bits = 128};
    case TypeCode::UInt256: return NumberType{.is_signed = false, .bits = 256};
    case TypeCode::Int8: return NumberType{.is_signed = true, .bits = 8};
    case TypeCode::Int16: return NumberType{.is_signed = true, .bits = 16};
    case TypeCode::Int32: return NumberType{.is_signed = true, .bits = 32};
    case TypeCode::Int64: return NumberType{.is_signed = true, .bits = 64};
    case TypeCode::Int128: return NumberType{.is_signed = true, .bits = 128};
    case TypeCode::Int256: return NumberType{.is_signed = true, .bits = 256};
    case TypeCode::Float32:
    case TypeCode::Float64: return NumberType{.is_float = true};
    default: return std::nullopt;
  }
}

// A checked number as a value of the placeholder's type: CAST('text' AS Type). A bare literal
// would take the smallest type that holds it (-{x:Int64} with -128 was -(-128) of Int8, so -128;
// {x:Float32} with 0.1 a Float64), and one starting with '-' could join an operator before it
// ("--" starts a comment). The cast is a word, a string and a type name: no neighbour joins it.
std::string typed_number(const TypeRef& type, std::string_view text) {
  return "CAST(" + sql::quote_string(text) + " AS " + type->name() + ")";
}

// An integer literal checked to fit the type's range.
std::string integer_literal(const Placeholder& p, const TypeRef& type, std::string_view text, bool is_signed,
                            int bits) {
  const std::string_view t = trim_space(text);
  if (t.empty()) bad_value(p, "it is empty");
  if (bits > 64) {
    std::size_t k = (t[0] == '-' && is_signed) || t[0] == '+' ? 1 : 0;
    if (k == t.size()) bad_value(p, "expected digits");
    for (std::size_t i = k; i < t.size(); ++i)
      if (t[i] < '0' || t[i] > '9') bad_value(p, "expected an integer");
    // The server checks the range of the wide types when it casts.
    return typed_number(type, t);
  }
  if (is_signed) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || end != t.data() + t.size()) bad_value(p, "expected an integer");
    const std::int64_t lo = bits == 64 ? std::numeric_limits<std::int64_t>::min() : -(std::int64_t{1} << (bits - 1));
    const std::int64_t hi = bits == 64 ? std::numeric_limits<std::int64_t>::max() : (std::int64_t{1} << (bits - 1)) - 1;
    if (v < lo || v > hi) bad_value(p, "out of range");
    return typed_number(type, std::to_string(v));
  }
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size()) bad_value(p, "expected a non-negative integer");
  if (bits < 64 && v > (std::uint64_t{1} << bits) - 1) bad_value(p, "out of range");
  return typed_number(type, std::to_string(v));
}

// A float in canonical form: the shortest text that reads back as the same double, with a point or
// an exponent so that the server reads a float; inf and nan as the server spells them.
std::string float_literal(const Placeholder& p, const TypeRef& type, std::string_view text) {
  std::string_view t = trim_space(text);
  if (t.empty()) bad_value(p, "it is empty");
  bool negative = false;
  if (t.front() == '+' || t.front() == '-') {
    negative = t.front() == '-';
    t.remove_prefix(1);
  }
  if (!t.empty() && (t.front() == '+' || t.front() == '-')) bad_value(p, "expected one sign at most");
  if (t == "inf") return typed_number(type, negative ? "-inf" : "inf");
  if (t == "nan" && !negative) return typed_number(type, "nan");
  // Digits, '.', and an exponent only: hex floats, "infinity" spellings and signs inside refused.
  for (char c : t) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+')) {
      bad_value(p, "expected a decimal number");
    }
  }
  double v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) bad_value(p, "out of range");
  if (ec != std::errc() || end != t.data() + t.size() || !std::isfinite(v)) bad_value(p, "expected a number");
  char buf[64];
  auto [out_end, out_ec] = std::to_chars(buf, buf + sizeof buf, negative ? -v : v);
  (void)out_ec;  // 64 bytes hold any double's shortest form
  std::string literal(buf, out_end);
  if (literal.find_first_of(".e") == std::string::npos) literal += ".0";
  return typed_number(type, literal);
}

// `text` read as `type`. A date-time is read by the function that takes its time zone:
// CAST('2024-02-29 12:34:56' AS DateTime('UTC')) is not that, as 18.16 reads the text in the
// server's time zone whatever the type names (a server in Asia/Tokyo made it 9 hours early).
std::string typed_text_literal(const TypeRef& type, std::string_view text) {
  const std::string quoted = sql::quote_string(text);
  switch (type->code()) {
    case TypeCode::DateTime: return "toDateTime(" + quoted + ", " + sql::quote_string(type->time_zone()) + ")";
    case TypeCode::DateTime64:
      return "toDateTime64(" + quoted + ", " + std::to_string(type->precision()) + ", " +
             sql::quote_string(type->time_zone()) + ")";
    default: return "CAST(" + quoted + " AS " + type->name() + ")";
  }
}

std::string literal_for(const Placeholder& p, const TypeRef& type, const Param& param) {
  switch (type->code()) {
    case TypeCode::Nullable:
      if (param.is_null) return "NULL";
      return literal_for(p, type->element(0), param);
    case TypeCode::LowCardinality: return literal_for(p, type->element(0), param);
    default: break;
  }
  if (param.is_null) bad_value(p, "NULL is only allowed for Nullable types");
  const std::string_view v = param.value;
  if (!param.text_type.empty() && type->code() != TypeCode::String) {
    // A text that is only right in its own type (a UTC date-time): read it as that type first,
    // then cast to the placeholder's. The type names come from our parser, never from the value.
    const TypeRef source = parse_type(param.text_type);
    const std::string read = typed_text_literal(source, v);
    return source->name() == type->name() ? read : "CAST(" + read + " AS " + type->name() + ")";
  }
  if (const std::optional<NumberType> n = number_type(type->code())) {
    return n->is_float ? float_literal(p, type, v) : integer_literal(p, type, v, n->is_signed, n->bits);
  }
  if (type->code() == TypeCode::String) return sql::quote_string(v);
  // Dates, UUIDs, enums, decimals, arrays, tuples...: the server parses the quoted text as the
  // type. The type's canonical name comes from our parser, never from the value.
  return "CAST(" + sql::quote_string(v) + " AS " + type->name() + ")";
}

// The value of a placeholder right after '.' (t.{i:UInt8}, a tuple element): the server takes only
// a bare non-negative integer there, which is what the value must be (checked for its type).
std::string element_index_literal(const Placeholder& p, const TypeRef& type, const Param& param) {
  const std::optional<NumberType> n = number_type(type->code());
  if (!n || n->is_float || n->bits > 64) {
    bad_value(p, "after '.' (a tuple element) the placeholder must have an integer type");
  }
  if (param.is_null) bad_value(p, "NULL is not a tuple element");
  (void)literal_for(p, type, param);  // the type's checks: digits, range
  const std::string_view t = trim_space(param.value);
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size()) bad_value(p, "after '.' (a tuple element) it must be 0 or more");
  return std::to_string(v);
}

// The type of a placeholder other than an Identifier; a type chconn's parser does not take is
// Error(usage) naming the parameter.
TypeRef placeholder_type(const Placeholder& p) {
  try {
    return parse_type(p.type);
  } catch (const Error& e) {
    throw Error(ErrorKind::usage, "query parameter '" + p.name + "' has an unknown type '" + p.type + "'")
        .with_cause(e);
  }
}

// The literal of `param` for the placeholder `p` of `text`, whose type is `type` (null for an
// Identifier), with every check of the value against that type (Error(usage) naming the parameter,
// never echoing the value).
std::string literal_of(std::string_view text, const Placeholder& p, const TypeRef& type, const Param& param) {
  if (!type) {
    if (param.is_null) bad_value(p, "an identifier cannot be NULL");
    return sql::quote_identifier(param.value);
  }
  std::size_t before = p.offset;
  while (before > 0 && is_space(text[before - 1])) --before;
  const bool after_dot = before > 0 && text[before - 1] == '.';
  return after_dot ? element_index_literal(p, type, param) : literal_for(p, type, param);
}

// Tries to read a placeholder at the '{' token `open`; `lexer` is just after it. Returns nullopt
// when the brace starts something else, which is then left alone.
std::optional<Placeholder> read_placeholder(std::string_view text, const Token& open, sql::Lexer& lexer) {
  sql::Lexer ahead = lexer;
  const Token name = ahead.next_significant();
  if (name.kind != TokenKind::bare_word || !is_word_begin(name.text.front())) return std::nullopt;
  const Token colon = ahead.next_significant();
  if (colon.kind == TokenKind::close_curly) {
    throw Error(ErrorKind::usage, "the query parameter {" + std::string(name.text) + "} has no type; write it as {" +
                                      std::string(name.text) + ":Type}");
  }
  if (colon.kind != TokenKind::colon) return std::nullopt;
  int depth = 0;
  Token t = ahead.next();
  for (; t.kind != TokenKind::end; t = ahead.next()) {
    if (t.kind == TokenKind::open_round) ++depth;
    if (t.kind == TokenKind::close_round) --depth;
    if (t.kind == TokenKind::close_curly && depth <= 0) break;
  }
  if (t.kind == TokenKind::end) {
    throw Error(ErrorKind::usage, "the query parameter {" + std::string(name.text) + ":... is not closed with '}'");
  }
  const std::string_view type = trim_space(text.substr(colon.end(), t.offset - colon.end()));
  if (type.empty()) {
    throw Error(ErrorKind::usage, "the query parameter {" + std::string(name.text) + ":} has an empty type");
  }
  lexer = ahead;
  return Placeholder{std::string(name.text), std::string(type), open.offset, t.end() - open.offset};
}

// Where placeholders may be: the whole text, except the data of an INSERT ... FORMAT, which is
// not SQL (the server never substitutes there either).
std::string_view sql_part(std::string_view text) {
  const sql::InsertShape shape = sql::insert_shape(text);
  if (shape.format && shape.inline_data) return text.substr(0, *shape.inline_data);
  return text;
}

[[noreturn]] void unsafe_place(const Placeholder& p) {
  throw Error(ErrorKind::usage, "query parameter {" + p.name + ":" + p.type +
                                    "} stands where a value would join the text around it (after '#', '$' or "
                                    "'.', or before a letter, a digit or a quote); put a blank or an operator "
                                    "around it. Nothing was sent");
}

}  // namespace

Params& Params::set(std::string name, std::string_view text) {
  return set_typed(std::move(name), std::string(text), {});
}

Params& Params::set_typed(std::string name, std::string text, std::string text_type) {
  for (auto& p : items_) {
    if (p.name == name) {
      p.value = std::move(text);
      p.is_null = false;
      p.text_type = std::move(text_type);
      return *this;
    }
  }
  items_.push_back({std::move(name), std::move(text), false, std::move(text_type)});
  return *this;
}

Params& Params::set(std::string name, Int128 value) { return set(std::move(name), std::string_view(to_string(value))); }
Params& Params::set(std::string name, UInt128 value) {
  return set(std::move(name), std::string_view(to_string(value)));
}
Params& Params::set(std::string name, const Int256& value) {
  return set(std::move(name), std::string_view(to_string(value)));
}
Params& Params::set(std::string name, const UInt256& value) {
  return set(std::move(name), std::string_view(to_string(value)));
}
Params& Params::set(std::string name, const Decimal& value) {
  return set(std::move(name), std::string_view(to_string(value)));
}
Params& Params::set(std::string name, const UUID& value) {
  return set(std::move(name), std::string_view(to_string(value)));
}
Params& Params::set(std::string name, IPv4 value) { return set(std::move(name), std::string_view(to_string(value))); }
Params& Params::set(std::string name, const IPv6& value) {
  return set(std::move(name), std::string_view(to_string(value)));
}

namespace {

// Days since 1970-01-01 of 0000-01-01 and 9999-12-31: the years a YYYY-MM-DD text can hold.
constexpr std::int64_t k_first_day = -719528, k_last_day = 2932896;

std::string two_digits(unsigned v) { return {static_cast<char>('0' + v / 10), static_cast<char>('0' + v % 10)}; }

// YYYY-MM-DD of a day known to lie in [k_first_day, k_last_day].
std::string date_text(std::int64_t days) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days(std::chrono::days(days))};
  const int year = static_cast<int>(ymd.year());
  std::string text = std::to_string(year);
  text.insert(0, 4 - text.size(), '0');
  return text + "-" + two_digits(static_cast<unsigned>(ymd.month())) + "-" +
         two_digits(static_cast<unsigned>(ymd.day()));
}

[[noreturn]] void out_of_years(const std::string& name) {
  throw Error(ErrorKind::usage, "the value of query parameter '" + name +
                                    "' is outside the years 0000-9999, which no ClickHouse date or time holds");
}

}  // namespace

Params& Params::set(std::string name, std::chrono::sys_days day) {
  const std::int64_t days = day.time_since_epoch().count();
  if (days < k_first_day || days > k_last_day) out_of_years(name);
  return set(std::move(name), std::string_view(date_text(days)));
}

Params& Params::set_time(std::string name, Int128 ticks, std::uint32_t digits) {
  Int128 scale = 1;
  for (std::uint32_t i = 0; i < digits; ++i) scale *= 10;
  // Floor division, so that the fraction of an instant before 1970 is not negative.
  Int128 seconds = ticks / scale, fraction = ticks % scale;
  if (fraction < 0) {
    seconds -= 1;
    fraction += scale;
  }
  Int128 days = seconds / 86400, second_of_day = seconds % 86400;
  if (second_of_day < 0) {
    days -= 1;
    second_of_day += 86400;
  }
  if (days < k_first_day || days > k_last_day) out_of_years(name);
  const auto s = static_cast<unsigned>(second_of_day);
  std::string text = date_text(static_cast<std::int64_t>(days)) + " " + two_digits(s / 3600) + ":" +
                     two_digits(s / 60 % 60) + ":" + two_digits(s % 60);
  std::string type = "DateTime('UTC')";
  if (digits > 0) {
    std::string f = std::to_string(static_cast<std::uint64_t>(fraction));
    text += "." + std::string(digits - f.size(), '0') + f;
    type = "DateTime64(" + std::to_string(digits) + ", 'UTC')";
  }
  return set_typed(std::move(name), std::move(text), std::move(type));
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

Params& Params::add(const Params& more) {
  for (const Param& p : more) {
    if (find(p.name) != nullptr) {
      throw Error(ErrorKind::usage,
                  "query parameter '" + p.name + "' is given twice: in the params argument and in the options' params");
    }
  }
  for (const Param& p : more) items_.push_back(p);
  return *this;
}

const Param* Params::find(std::string_view name) const noexcept {
  for (const auto& p : items_)
    if (p.name == name) return &p;
  return nullptr;
}

std::vector<Placeholder> find_placeholders(std::string_view text) {
  const std::string_view part = sql_part(text);
  std::vector<Placeholder> found;
  sql::Lexer lexer(part);
  for (Token t = lexer.next(); t.kind != TokenKind::end; t = lexer.next()) {
    if (t.kind != TokenKind::open_curly) continue;
    if (auto p = read_placeholder(part, t, lexer)) found.push_back(std::move(*p));
  }
  return found;
}

void check_params(std::string_view text, const Params& params) { (void)detail::match_params(text, params); }

std::string substitute_params(std::string_view text, const Params& params) {
  return detail::substitute(text, params).text;
}

namespace detail {

std::vector<MatchedPlaceholder> match_params(std::string_view text, const Params& params) {
  std::vector<MatchedPlaceholder> matched;
  std::vector<bool> used(params.size(), false);
  for (Placeholder& p : find_placeholders(text)) {
    const Param* param = params.find(p.name);
    if (!param) {
      throw Error(ErrorKind::usage,
                  "the query uses parameter {" + p.name + ":" + p.type + "} but no value was given; nothing was sent");
    }
    used[static_cast<std::size_t>(param - &*params.begin())] = true;
    matched.push_back({std::move(p), param});
  }
  std::size_t i = 0;
  for (const Param& param : params) {
    if (!used[i++]) {
      throw Error(ErrorKind::usage, "query parameter '" + param.name + "' is not used by the query (no {" + param.name +
                                        ":Type} placeholder)");
    }
  }
  return matched;
}

Substitution substitute(std::string_view text, const Params& params) {
  const std::vector<MatchedPlaceholder> matched = match_params(text, params);
  Substitution result;
  std::string& out = result.text;
  out.reserve(text.size() + 24 * matched.size());
  std::size_t pos = 0;
  for (const auto& [p, param] : matched) {
    const std::string literal = literal_of(text, p, p.type == "Identifier" ? TypeRef() : placeholder_type(p), *param);
    out.append(text.substr(pos, p.offset - pos));
    out += ' ';
    result.literals.push_back({p.offset, p.length, out.size(), literal.size()});
    out += literal;
    out += ' ';
    pos = p.offset + p.length;
  }
  out.append(text.substr(pos));
  if (const std::size_t bad = first_unsafe_literal(text, result); bad < matched.size())
    unsafe_place(matched[bad].placeholder);
  return result;
}

namespace {

// How a server that binds parameters reads a value of a type from the parameter's text.
enum class BoundForm : std::uint8_t {
  escaped,      // unescaped first (String, dates, enums...): the text is sent TSV-escaped
  number,       // as escaped, trimmed first: the server refuses a number with spaces around it
  as_written,   // read as written (Array, Map, Tuple: their quoted text form; identifiers)
  substituted,  // no tested rule (Variant, Dynamic, JSON read their text twice over): substitute
};

BoundForm bound_form(const Type& type) {
  switch (type.code()) {
    case TypeCode::Nullable:
    case TypeCode::LowCardinality: return bound_form(*type.element(0));
    case TypeCode::Variant:
    case TypeCode::Dynamic:
    case TypeCode::JSON:
    case TypeCode::SimpleAggregateFunction: return BoundForm::substituted;
    case TypeCode::Array:
    case TypeCode::Map:
    case TypeCode::Tuple:
    case TypeCode::Nested:
      for (const TypeRef& e : type.elements()) {
        if (bound_form(*e) == BoundForm::substituted) return BoundForm::substituted;
      }
      return BoundForm::as_written;
    default: return number_type(type.code()) ? BoundForm::number : BoundForm::escaped;
  }
}

}  // namespace

std::optional<std::vector<wire::QueryParameter>> server_parameters(std::string_view text, const Params& params) {
  const std::vector<MatchedPlaceholder> matched = match_params(text, params);
  if (std::any_of(params.begin(), params.end(), [](const Param& p) { return !p.text_type.empty(); })) {
    return std::nullopt;  // substitute() checks the values
  }
  std::vector<std::optional<BoundForm>> forms(params.size());  // by the index of the value
  for (const auto& [placeholder, param] : matched) {
    const bool identifier = placeholder.type == "Identifier";
    TypeRef type;
    if (!identifier) {
      try {
        type = parse_type(placeholder.type);
      } catch (const Error&) {
        // A type chconn's parser does not take (an alias such as INT or VARCHAR, AggregateFunction,
        // Object...) is the server's to judge: its value is sent escaped, as a scalar's, unchecked.
      }
    }
    // The same checks as substitution for a type chconn knows, so that a value that is not of its
    // type is Error(usage) with nothing sent whichever side binds it.
    if (identifier || type) (void)literal_of(text, placeholder, type, *param);
    const BoundForm form = identifier ? BoundForm::as_written : type ? bound_form(*type) : BoundForm::escaped;
    std::optional<BoundForm>& known = forms[static_cast<std::size_t>(param - &*params.begin())];
    if (form == BoundForm::substituted || (known && *known != form)) return std::nullopt;
    known = form;
  }
  std::vector<wire::QueryParameter> out;
  out.reserve(params.size());
  std::size_t i = 0;
  for (const Param& p : params) {
    wire::QueryParameter& bound = out.emplace_back();
    bound.name = p.name;
    if (p.is_null)
      bound.value = "\\N";
    else if (forms[i] == BoundForm::as_written)
      bound.value = p.value;
    else if (forms[i] == BoundForm::number)
      append_server_escaped(bound.value, trim_space(p.value), '\'');  // checked as trimmed by literal_of
    else
      append_server_escaped(bound.value, p.value, '\'');
    ++i;
  }
  return out;
}

BoundStatement bind_params(std::string_view text, const Params& params, bool server_binds) {
  BoundStatement out;
  std::optional<std::vector<wire::QueryParameter>> bound;
  if (server_binds && !params.empty()) bound = server_parameters(text, params);
  if (bound) {
    out.text = std::string(text);
    out.parameters = std::move(*bound);
  } else if (params.empty() && text.find('{') == std::string_view::npos) {
    out.text = std::string(text);  // no placeholder can be there: skip the lexer
  } else {
    // Substituted as typed, escaped literals (a placeholder without a value is refused here rather
    // than sent raw).
    out.text = substitute(text, params).text;
  }
  return out;
}

namespace {
using Ranges = std::vector<std::pair<std::size_t, std::size_t>>;  // (offset, length), sorted

// The tokens outside `ranges`, whitespace dropped. A token that crosses a range's edge sets
// `crossed` to that range's index.
std::vector<Token> outside(const std::vector<Token>& tokens, const Ranges& ranges, std::size_t& crossed) {
  std::vector<Token> kept;
  std::size_t r = 0;
  for (const Token& t : tokens) {
    while (r < ranges.size() && ranges[r].first + ranges[r].second <= t.offset) ++r;
    if (r < ranges.size() && t.end() > ranges[r].first) {
      const bool inside = t.offset >= ranges[r].first && t.end() <= ranges[r].first + ranges[r].second;
      if (!inside) crossed = std::min(crossed, r);
      continue;
    }
    if (t.kind != TokenKind::whitespace) kept.push_back(t);
  }
  return kept;
}
}  // namespace

std::size_t first_unsafe_literal(std::string_view text, const Substitution& result) {
  const std::size_t n = result.literals.size();
  if (n == 0) return n;
  Ranges placeholders, literals;
  for (const auto& l : result.literals) {
    placeholders.emplace_back(l.placeholder_offset, l.placeholder_length);
    literals.emplace_back(l.offset, l.length);
  }
  const std::vector<Token> out_tokens = sql::tokenize(result.text);
  std::size_t bad = n;
  // 1. No token of the result crosses a literal's edge, and the tokens inside each literal are
  //    those of the literal lexed alone.
  const std::vector<Token> rest = outside(out_tokens, literals, bad);
  std::size_t k = 0;
  for (std::size_t i = 0; i < n && bad == n; ++i) {
    const auto& l = result.literals[i];
    for (const Token& a : sql::tokenize(std::string_view(result.text).substr(l.offset, l.length))) {
      while (k < out_tokens.size() && out_tokens[k].end() <= l.offset + a.offset) ++k;
      if (k >= out_tokens.size() || out_tokens[k].kind != a.kind || out_tokens[k].offset != l.offset + a.offset ||
          out_tokens[k].text.size() != a.text.size()) {
        bad = i;
        break;
      }
    }
  }
  if (bad < n) return bad;
  // 2. Outside the literals, the result has the template's tokens outside the placeholders.
  std::size_t template_crossed = n;  // placeholders are whole tokens of the template: stays n
  const std::vector<Token> before = outside(sql::tokenize(text), placeholders, template_crossed);
  const std::size_t common = std::min(before.size(), rest.size());
  std::size_t diff = common;
  for (std::size_t i = 0; i < common && diff == common; ++i) {
    if (before[i].kind != rest[i].kind || before[i].text != rest[i].text) diff = i;
  }
  if (diff == common && before.size() == rest.size() && template_crossed == n) return n;
  // Blame the last literal before the first token that differs.
  const std::size_t at = diff < rest.size() ? rest[diff].offset : result.text.size();
  std::size_t blame = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (result.literals[i].offset < at) blame = i;
  }
  return blame;
}

}  // namespace detail

}  // namespace chconn
