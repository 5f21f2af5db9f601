#include "chconn/wire/types.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <string>
#include <utility>

#include "chconn/core/error.h"
#include "core/strings.h"
#include "wire/type_text.h"

// parse_type(): the type names servers send, read into the type model (types.cpp).
namespace chconn {

using detail::append_quoted;
using detail::iequals;
using detail::is_word_begin;
using detail::is_word_char;
using detail::simple_cached;

// ===== parse_type =================================================================================

namespace {

// A recursive-descent parser over the type grammar:
//   type     := ident [ '(' args ')' ]       (args depend on the family)
//   element  := [ name ] type                (Tuple, Nested: name is an identifier or `quoted`)
// Every recursion is bounded by limits.max_type_depth, checked before descending.
class TypeParser {
 public:
  TypeParser(std::string_view text, const wire::DecodeLimits& limits) : s_(text), limits_(limits) {}

  TypeRef parse() {
    TypeRef t = parse_type(1);
    skip_ws();
    if (pos_ != s_.size()) fail("the end of the type name");
    return t;
  }

 private:
  [[noreturn]] void fail(std::string_view expected) const { fail_at(pos_, "expected " + std::string(expected)); }

  [[noreturn]] void fail_at(std::size_t pos, const std::string& what) const {
    // Short for huge inputs (the first 80 bytes name the type well enough), and escaped: a type
    // name comes from the server or the caller, and may hold any byte.
    throw Error(ErrorKind::protocol, "cannot parse type name " + detail::message_excerpt(s_, 80) + " at position " +
                                         std::to_string(pos) + ": " + what);
  }

  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }

  bool peek(char c) {
    skip_ws();
    return pos_ < s_.size() && s_[pos_] == c;
  }

  bool accept(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }

  void expect(char c) {
    if (!accept(c)) fail(std::string("'") + c + "'");
  }

  std::string_view identifier(std::string_view what) {
    skip_ws();
    const std::size_t begin = pos_;
    if (pos_ >= s_.size() || !is_word_begin(s_[pos_])) fail(what);
    while (pos_ < s_.size() && is_word_char(s_[pos_])) ++pos_;
    return s_.substr(begin, pos_ - begin);
  }

  std::uint64_t unsigned_number(std::string_view what) {
    skip_ws();
    const std::size_t begin = pos_;
    std::uint64_t v = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      if (pos_ - begin >= 18) fail_at(begin, std::string(what) + " is too large");
      v = v * 10 + static_cast<std::uint64_t>(s_[pos_] - '0');
      ++pos_;
    }
    if (pos_ == begin) fail(what);
    return v;
  }

  std::int64_t signed_number(std::string_view what) {
    const bool neg = accept('-');
    if (!neg) accept('+');
    const auto v = static_cast<std::int64_t>(unsigned_number(what));
    return neg ? -v : v;
  }

  // A quoted string, read as the server's lexer reads it (detail::read_quoted: a doubled quote, the
  // backslash escapes, and a backslash kept before an ordinary character, so '\%' stays two bytes).
  std::string quoted(char quote, std::string_view what) {
    skip_ws();
    if (pos_ >= s_.size() || s_[pos_] != quote) fail(what);
    const std::size_t begin = pos_;
    std::string out;
    const detail::QuotedRead read = detail::read_quoted(s_, begin, out);
    if (read.status == detail::QuotedRead::unterminated) fail_at(begin, "unterminated quoted string");
    if (read.status == detail::QuotedRead::bad_hex) fail_at(read.end, "\\x needs two hex digits");
    pos_ = read.end;
    return out;
  }

  // A Tuple/Nested element name, when one is present: an identifier followed by whitespace and
  // then a type, or a back-quoted name.
  std::optional<std::string> element_name() {
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '`') return quoted('`', "a back-quoted name");
    if (pos_ >= s_.size() || !is_word_begin(s_[pos_])) return std::nullopt;
    const std::size_t save = pos_;
    std::size_t end = pos_;
    while (end < s_.size() && is_word_char(s_[end])) ++end;
    std::size_t after = end;
    while (after < s_.size() && (s_[after] == ' ' || s_[after] == '\t' || s_[after] == '\n' || s_[after] == '\r')) {
      ++after;
    }
    // After a type comes ',' or ')' or '('; after a name comes more whitespace and a type.
    if (after > end && after < s_.size() && (is_word_begin(s_[after]) || s_[after] == '`')) {
      pos_ = after;
      return std::string(s_.substr(save, end - save));
    }
    return std::nullopt;
  }

  void check_depth(std::uint32_t depth) const {
    if (depth > limits_.max_type_depth) {
      fail_at(pos_, "the type is nested deeper than the limit of " + std::to_string(limits_.max_type_depth));
    }
  }

  // Runs a factory, turning its usage error into a protocol error at `pos`.
  template <class F>
  TypeRef build(std::size_t pos, F&& factory) const {
    try {
      return factory();
    } catch (const Error& e) {
      fail_at(pos, e.message());
    }
  }

  TypeRef parse_type(std::uint32_t depth) {
    check_depth(depth);
    skip_ws();
    const std::size_t start = pos_;
    const std::string_view family = identifier("a type name");
    const bool has_args = peek('(');

    if (auto code = simple_code(family)) {
      if (*code == TypeCode::DateTime && has_args) {
        expect('(');
        std::string tz = quoted('\'', "a quoted time zone");
        expect(')');
        return build(start, [&] { return Type::date_time(std::move(tz)); });
      }
      if (has_args) fail_at(pos_, std::string(family) + " takes no parameters");
      return simple_cached(*code);
    }
    if (auto alias = alias_type(family, start, has_args)) return alias;

    if (family == "FixedString") {
      expect('(');
      const auto n = unsigned_number("the FixedString size");
      expect(')');
      return build(start, [&] { return Type::fixed_string(static_cast<std::size_t>(n)); });
    }
    if (family == "DateTime64") {
      expect('(');
      const auto p = unsigned_number("the DateTime64 precision");
      std::string tz;
      if (accept(',')) tz = quoted('\'', "a quoted time zone");
      expect(')');
      return build(start,
                   [&] { return Type::date_time64(static_cast<std::uint32_t>(std::min<std::uint64_t>(p, 99)), tz); });
    }
    if (family == "Time64") {
      expect('(');
      const auto p = unsigned_number("the Time64 precision");
      expect(')');
      return build(start, [&] { return Type::time64(static_cast<std::uint32_t>(std::min<std::uint64_t>(p, 99))); });
    }
    if (iequals(family, "Decimal")) {
      expect('(');
      const auto p = unsigned_number("the Decimal precision");
      std::uint64_t scale = 0;
      if (accept(',')) scale = unsigned_number("the Decimal scale");
      expect(')');
      return build(start, [&] {
        return Type::decimal(static_cast<std::uint32_t>(std::min<std::uint64_t>(p, 999)),
                             static_cast<std::uint32_t>(std::min<std::uint64_t>(scale, 999)));
      });
    }
    if (iequals(family, "Decimal32") || iequals(family, "Decimal64") || iequals(family, "Decimal128") ||
        iequals(family, "Decimal256")) {
      const std::uint32_t precision = iequals(family, "Decimal32")    ? 9
                                      : iequals(family, "Decimal64")  ? 18
                                      : iequals(family, "Decimal128") ? 38
                                                                      : 76;
      expect('(');
      const auto scale = unsigned_number("the Decimal scale");
      expect(')');
      return build(start, [&] {
        return Type::decimal(precision, static_cast<std::uint32_t>(std::min<std::uint64_t>(scale, 999)));
      });
    }
    if (family == "Enum8" || family == "Enum16" || family == "Enum") return parse_enum(family, start);
    if (family == "Nullable" || family == "Array" || family == "LowCardinality") {
      expect('(');
      TypeRef inner = parse_type(depth + 1);
      expect(')');
      return build(start, [&] {
        if (family == "Nullable") return Type::nullable(std::move(inner));
        if (family == "Array") return Type::array(std::move(inner));
        return Type::low_cardinality(std::move(inner));
      });
    }
    if (family == "Tuple" || family == "Nested") {
      std::vector<TypeRef> elements;
      std::vector<std::string> names;
      bool unnamed = false;
      if (accept('(') && !accept(')')) {
        do {
          const std::size_t at = pos_;
          auto name = element_name();
          if (name) {
            names.push_back(std::move(*name));
          } else {
            unnamed = true;
          }
          if (unnamed && !names.empty()) fail_at(at, "a name for every element of " + std::string(family) + " or none");
          elements.push_back(parse_type(depth + 1));
        } while (accept(','));
        expect(')');
      }
      return build(start, [&] {
        if (family == "Tuple") return Type::tuple(std::move(elements), std::move(names));
        return Type::nested(std::move(elements), std::move(names));
      });
    }
    if (family == "Dynamic") {
      std::uint64_t max_types = Type::k_default_max_dynamic_types;
      if (accept('(')) {
        const std::size_t at = pos_;
        if (identifier("max_types") != "max_types" || !accept('=')) fail_at(at, "Dynamic takes max_types=N");
        max_types = unsigned_number("max_types");
        expect(')');
      }
      return build(start,
                   [&] { return Type::dynamic(static_cast<std::uint32_t>(std::min<std::uint64_t>(max_types, 999))); });
    }
    if (family == "JSON") return parse_json(depth, start);
    if (family == "Variant") {
      std::vector<TypeRef> alternatives;
      expect('(');
      do {
        alternatives.push_back(parse_type(depth + 1));
      } while (accept(','));
      expect(')');
      return build(start, [&] { return Type::variant(std::move(alternatives)); });
    }
    if (family == "Map") {
      expect('(');
      TypeRef key = parse_type(depth + 1);
      expect(',');
      TypeRef value = parse_type(depth + 1);
      expect(')');
      return build(start, [&] { return Type::map(std::move(key), std::move(value)); });
    }
    if (family == "SimpleAggregateFunction") {
      expect('(');
      std::string function(identifier("an aggregate function name"));
      if (peek('(')) function += parameters();
      expect(',');
      TypeRef inner = parse_type(depth + 1);
      if (peek(',')) fail_at(pos_, "SimpleAggregateFunction with several argument types is not supported");
      expect(')');
      return build(start, [&] { return Type::simple_aggregate_function(std::move(function), std::move(inner)); });
    }
    static constexpr std::string_view unsupported[] = {"AggregateFunction", "Object", "QBit"};
    for (auto u : unsupported) {
      if (family == u) fail_at(start, "type " + std::string(family) + " is not supported by chconn");
    }
    fail_at(start, "unknown type " + detail::message_excerpt(family));
  }

  // JSON(...): max_dynamic_types=N, max_dynamic_paths=N, typed paths (`a.b` UInt32, or a.b UInt32),
  // SKIP path and SKIP REGEXP 'regexp', in any order, separated by commas.
  TypeRef parse_json(std::uint32_t depth, std::size_t start) {
    Type::JsonParams params;
    if (accept('(') && !accept(')')) {
      do {
        skip_ws();
        if (pos_ < s_.size() && s_[pos_] == '`') {
          params.paths.push_back(quoted('`', "a back-quoted path"));
          params.types.push_back(parse_type(depth + 1));
          continue;
        }
        // A bare path may hold dots: a.b.c.
        std::string word(identifier("a JSON parameter, path or SKIP"));
        while (pos_ < s_.size() && s_[pos_] == '.') {
          ++pos_;
          word += '.';
          word += identifier("a path element after '.'");
        }
        skip_ws();
        if ((word == "max_dynamic_types" || word == "max_dynamic_paths") && accept('=')) {
          const auto n = std::min<std::uint64_t>(unsigned_number(word), 99999);
          (word == "max_dynamic_types" ? params.max_dynamic_types : params.max_dynamic_paths) =
              static_cast<std::uint32_t>(n);
        } else if (word == "SKIP") {
          skip_ws();
          if (pos_ < s_.size() && s_[pos_] == '`') {
            params.skip.push_back(quoted('`', "a back-quoted path"));
            continue;
          }
          std::string path(identifier("a path to skip or REGEXP"));
          skip_ws();
          if (path == "REGEXP" && pos_ < s_.size() && s_[pos_] == '\'') {
            params.skip_regexp.push_back(quoted('\'', "a quoted regular expression"));
            continue;
          }
          while (pos_ < s_.size() && s_[pos_] == '.') {
            ++pos_;
            path += '.';
            path += identifier("a path element after '.'");
          }
          params.skip.push_back(std::move(path));
        } else {
          params.paths.push_back(std::move(word));
          params.types.push_back(parse_type(depth + 1));
        }
      } while (accept(','));
      expect(')');
    }
    return build(start, [&] { return Type::json(std::move(params)); });
  }

  // Aggregate function parameters, e.g. "(10)" or "(0.5, 'x')": literals separated by commas,
  // re-joined with ", " as the server prints them.
  std::string parameters() {
    expect('(');
    std::string out = "(";
    if (accept(')')) return out + ")";
    for (bool first = true;; first = false) {
      if (!first) out += ", ";
      skip_ws();
      if (peek('\'')) {
        append_quoted(out, quoted('\'', "a parameter"), '\'');
      } else {
        const std::size_t begin = pos_;
        while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != ')' && s_[pos_] != '(' && s_[pos_] != '\'') ++pos_;
        std::string_view token = s_.substr(begin, pos_ - begin);
        while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
        if (token.empty()) fail("a parameter");
        out += token;
      }
      if (accept(')')) return out + ")";
      expect(',');
    }
  }

  TypeRef parse_enum(std::string_view family, std::size_t start) {
    expect('(');
    std::vector<EnumItem> items;
    bool with_values = false, without_values = false;
    std::int64_t lo = 0, hi = 0;
    do {
      std::string name = quoted('\'', "a quoted enum name");
      std::int64_t value = static_cast<std::int64_t>(items.size()) + 1;  // implicit numbering from 1
      if (accept('=')) {
        const std::size_t at = pos_;
        value = signed_number("an enum value");
        if (value < -32768 || value > 32767) fail_at(at, "enum value " + std::to_string(value) + " is out of range");
        with_values = true;
      } else {
        without_values = true;
      }
      if (with_values && without_values) fail_at(pos_, "values for every enum item or none");
      if (items.size() >= 65536) fail_at(pos_, "too many enum items");
      lo = std::min(lo, value);
      hi = std::max(hi, value);
      items.push_back({std::move(name), static_cast<std::int16_t>(value)});
    } while (accept(','));
    expect(')');
    const bool small = family == "Enum8" || (family == "Enum" && lo >= -128 && hi <= 127);
    return build(start, [&] { return small ? Type::enum8(std::move(items)) : Type::enum16(std::move(items)); });
  }

  static std::optional<TypeCode> simple_code(std::string_view f) {
    static constexpr std::pair<std::string_view, TypeCode> table[] = {
        {"Nothing", TypeCode::Nothing}, {"UInt8", TypeCode::UInt8},       {"UInt16", TypeCode::UInt16},
        {"UInt32", TypeCode::UInt32},   {"UInt64", TypeCode::UInt64},     {"UInt128", TypeCode::UInt128},
        {"UInt256", TypeCode::UInt256}, {"Int8", TypeCode::Int8},         {"Int16", TypeCode::Int16},
        {"Int32", TypeCode::Int32},     {"Int64", TypeCode::Int64},       {"Int128", TypeCode::Int128},
        {"Int256", TypeCode::Int256},   {"Float32", TypeCode::Float32},   {"Float64", TypeCode::Float64},
        {"Bool", TypeCode::Bool},       {"String", TypeCode::String},     {"Date", TypeCode::Date},
        {"Date32", TypeCode::Date32},   {"DateTime", TypeCode::DateTime}, {"UUID", TypeCode::UUID},
        {"IPv4", TypeCode::IPv4},       {"IPv6", TypeCode::IPv6},         {"BFloat16", TypeCode::BFloat16},
        {"Time", TypeCode::Time},
    };
    for (const auto& [name, code] : table) {
      if (name == f) return code;
    }
    return std::nullopt;
  }

  // Types the server names specially but stores as another type: the geo types and intervals.
  // Their name is kept (it is what an INSERT must send back); their storage is the other type's.
  TypeRef alias_type(std::string_view family, std::size_t start, bool has_args) {
    static constexpr std::string_view intervals[] = {"IntervalNanosecond", "IntervalMicrosecond", "IntervalMillisecond",
                                                     "IntervalSecond",     "IntervalMinute",      "IntervalHour",
                                                     "IntervalDay",        "IntervalWeek",        "IntervalMonth",
                                                     "IntervalQuarter",    "IntervalYear"};
    TypeRef base;
    for (auto i : intervals) {
      if (family == i) base = simple_cached(TypeCode::Int64);
    }
    if (!base) {
      const auto point = [] {
        return Type::tuple({simple_cached(TypeCode::Float64), simple_cached(TypeCode::Float64)});
      };
      if (family == "Point") base = point();
      if (family == "Ring" || family == "LineString") base = Type::array(point());
      if (family == "Polygon" || family == "MultiLineString") base = Type::array(Type::array(point()));
      if (family == "MultiPolygon") base = Type::array(Type::array(Type::array(point())));
    }
    if (!base) return nullptr;
    if (has_args) fail_at(start, std::string(family) + " takes no parameters");
    return Type::renamed(std::string(family), base);
  }

  std::string_view s_;
  const wire::DecodeLimits& limits_;
  std::size_t pos_ = 0;
};

}  // namespace

TypeRef parse_type(std::string_view name, const wire::DecodeLimits& limits) {
  if (name.size() > limits.max_type_name_bytes) {
    throw Error(ErrorKind::protocol, "type name of " + std::to_string(name.size()) + " bytes (" +
                                         detail::message_excerpt(name, 80) + ") exceeds the limit of " +
                                         std::to_string(limits.max_type_name_bytes));
  }
  return TypeParser(name, limits).parse();
}

}  // namespace chconn
