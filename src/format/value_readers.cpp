// The value readers of text input (see input_parser.h): one field of text, one SQL literal or one
// JSON value into a column of its type, with ClickHouse 18.16's rules; and the escapes and message
// excerpts every input format shares.
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "core/strings.h"
#include "format/input_parser.h"

namespace chconn::text::detail {

bool is_blank(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::string excerpt(std::string_view text) { return chconn::detail::message_excerpt(text, k_excerpt_bytes); }

std::size_t unescape_at(std::string_view text, std::size_t i, std::string& out) {
  // text[i] == '\\'
  if (i + 1 >= text.size()) throw BadValue{"ends with a lone backslash"};
  const char e = text[i + 1];
  switch (e) {
    case 'x': {
      if (i + 3 >= text.size() + 0 || chconn::detail::hex_value(text[i + 2]) < 0 ||
          chconn::detail::hex_value(text[i + 3]) < 0) {
        throw BadValue{"has \\x without two hex digits"};
      }
      out += static_cast<char>(chconn::detail::hex_value(text[i + 2]) * 16 + chconn::detail::hex_value(text[i + 3]));
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

void ValueReader::quoted(Tokens& tokens, int depth) {
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

void ValueReader::json(Json& j, int depth) {
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

namespace {

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

// A decimal magnitude of up to 256 bits, least significant limb first (Int256's layout).
using Limbs = std::array<std::uint64_t, 4>;

// m = m * 10 + digit; false when the result needs more than 256 bits.
bool times_ten_plus(Limbs& m, unsigned digit) noexcept {
  UInt128 carry = digit;
  for (auto& limb : m) {
    const UInt128 cur = static_cast<UInt128>(limb) * 10 + carry;
    limb = static_cast<std::uint64_t>(cur);
    carry = cur >> 64;
  }
  return carry == 0;
}

// Whether m < 2^bits (bits <= 256).
bool below_power_of_two(const Limbs& m, unsigned bits) noexcept {
  for (unsigned i = bits / 64; i < 4; ++i) {
    const std::uint64_t allowed = (i == bits / 64 && bits % 64 != 0) ? (std::uint64_t{1} << (bits % 64)) - 1 : 0;
    if ((m[i] & ~allowed) != 0) return false;
  }
  return true;
}

// Whether m == 2^bits (bits < 256).
bool is_power_of_two(const Limbs& m, unsigned bits) noexcept {
  for (unsigned i = 0; i < 4; ++i) {
    if (m[i] != (i == bits / 64 ? std::uint64_t{1} << (bits % 64) : 0)) return false;
  }
  return true;
}

Limbs negated(Limbs m) noexcept {  // two's complement
  bool carry = true;
  for (auto& limb : m) {
    limb = ~limb + (carry ? 1 : 0);
    carry = carry && limb == 0;
  }
  return m;
}

// A run of decimal digits, '-' before it or not, that fits `bits` bits (signed or not), as the limbs
// of its two's complement; nullopt when it is not such a number or is out of range. ClickHouse's
// own text reader wraps an out-of-range value; chconn refuses it rather than store another number.
std::optional<Limbs> parse_wide_integer(std::string_view s, unsigned bits, bool is_signed) noexcept {
  const bool negative = !s.empty() && s.front() == '-';
  if (negative) s.remove_prefix(1);
  // The current server reads neither a '+' nor a leading zero before more digits ("007" is 0 and
  // then garbage to it).
  if (s.empty() || (s.size() > 1 && s.front() == '0')) return std::nullopt;
  Limbs m{};
  for (const char c : s) {
    if (c < '0' || c > '9' || !times_ten_plus(m, static_cast<unsigned>(c - '0'))) return std::nullopt;
  }
  if (m == Limbs{}) return m;  // -0 is 0, for unsigned types too
  if (!is_signed) {
    if (negative || !below_power_of_two(m, bits)) return std::nullopt;
    return m;
  }
  if (negative) {
    if (!below_power_of_two(m, bits - 1) && !is_power_of_two(m, bits - 1)) return std::nullopt;
    return negated(m);
  }
  if (!below_power_of_two(m, bits - 1)) return std::nullopt;
  return m;
}

// Int128, UInt128, Int256, UInt256: the full range of each, anything beyond it an error.
template <class T>
class WideIntegerReader final : public ValueReader {
 public:
  using ValueReader::ValueReader;
  void text(std::string_view s) override {
    constexpr bool is_signed = std::is_same_v<T, Int128> || std::is_same_v<T, Int256>;
    constexpr unsigned bits = sizeof(T) * 8;
    const std::optional<Limbs> v = parse_wide_integer(s, bits, is_signed);
    if (!v) throw BadValue{"is not a valid " + column_.type()->name() + " (or out of its range)"};
    T out{};
    if constexpr (bits == 256) {
      out.limbs = *v;
    } else {
      out = static_cast<T>((static_cast<UInt128>((*v)[1]) << 64) | (*v)[0]);
    }
    static_cast<ColumnVector<T>&>(column_).append(out);
  }
};

class BoolReader final : public ValueReader {
 public:
  using ValueReader::ValueReader;
  void text(std::string_view s) override {
    bool v = false;
    if (s == "1" || chconn::detail::iequals(s, "true"))
      v = true;
    else if (s == "0" || chconn::detail::iequals(s, "false"))
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

// BFloat16: read as a Float32, then cut to its upper 16 bits as the server converts one.
class BFloat16Reader final : public ValueReader {
 public:
  using ValueReader::ValueReader;
  void text(std::string_view s) override {
    std::string_view t = s;
    if (!t.empty() && t.front() == '+') t.remove_prefix(1);
    float v{};
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || end != t.data() + t.size() || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
      throw BadValue{"is not a valid BFloat16"};
    }
    static_cast<ColumnBFloat16&>(column_).append_float(v);
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

// The zone a DateTime or DateTime64 column's text is in: its own, else the session's, else UTC.
std::shared_ptr<const TimeZone> zone_of(const Column& column, const ReadContext& context) {
  const std::string& own = column.type()->storage_type().time_zone();
  const std::string& zone = own.empty() ? context.time_zone : own;
  return context.zones->find(zone.empty() ? "UTC" : zone);
}

// "YYYY-MM-DD hh:mm:ss" (or with a 'T'), exactly 19 bytes: the wall time in seconds since
// 1970-01-01 00:00:00 of its own zone.
bool parse_wall_time(std::string_view s, std::int64_t& local) {
  std::int64_t days = 0;
  unsigned h = 0, mi = 0, se = 0;
  const auto two = [&](std::size_t at, unsigned& v) {
    if (s[at] < '0' || s[at] > '9' || s[at + 1] < '0' || s[at + 1] > '9') return false;
    v = static_cast<unsigned>((s[at] - '0') * 10 + (s[at + 1] - '0'));
    return true;
  };
  if (s.size() != 19 || !parse_date(s, days) || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' ||
      !two(11, h) || !two(14, mi) || !two(17, se) || h > 23 || mi > 59 || se > 59) {
    return false;
  }
  local = days * 86400 + static_cast<std::int64_t>(h) * 3600 + static_cast<std::int64_t>(mi) * 60 + se;
  return true;
}

// Local wall time to UTC: the offset in force at the instant it names (for a wall time repeated or
// skipped by a change, the offset before it, as ClickHouse's date table does).
std::int64_t wall_to_utc(const TimeZone& zone, std::int64_t local) {
  const std::int64_t guess = local - zone.offset_at(local);
  return local - zone.offset_at(guess);
}

class DateTimeReader final : public ValueReader {
 public:
  DateTimeReader(Column& column, const ReadContext& context) : ValueReader(column), zone_(zone_of(column, context)) {}
  void text(std::string_view s) override {
    std::int64_t utc = 0;
    if (s.size() == 19) {
      std::int64_t local = 0;
      if (!parse_wall_time(s, local)) throw BadValue{"is not a DateTime (YYYY-MM-DD hh:mm:ss)"};
      utc = wall_to_utc(*zone_, local);
    } else if (!parse_integer(s, utc)) {
      throw BadValue{"is not a DateTime (YYYY-MM-DD hh:mm:ss, or Unix seconds)"};
    }
    if (utc < 0 || utc > 0xFFFFFFFFLL) throw BadValue{"is outside the range of DateTime"};
    static_cast<ColumnDateTime&>(column_).append(static_cast<std::uint32_t>(utc));
  }

 private:
  std::shared_ptr<const TimeZone> zone_;
};

// The range current servers give Date32 and DateTime64: 1900-01-01 to 2299-12-31 (days since
// 1970-01-01; a DateTime64's seconds are bounded by the same days in UTC).
constexpr std::int64_t k_first_day = -25567;  // 1900-01-01
constexpr std::int64_t k_last_day = 120529;   // 2299-12-31

class Date32Reader final : public ValueReader {
 public:
  using ValueReader::ValueReader;
  void text(std::string_view s) override {
    std::int64_t days = 0;
    if (s.size() != 10 || !parse_date(s, days)) throw BadValue{"is not a Date32 (YYYY-MM-DD)"};
    if (days < k_first_day || days > k_last_day) {
      throw BadValue{"is outside the range of Date32 (1900-01-01 to 2299-12-31)"};
    }
    static_cast<ColumnDate32&>(column_).append(static_cast<std::int32_t>(days));
  }
};

// DateTime64(p[, 'tz']), with the current server's rules (checked on ClickHouse 26.7): a wall time
// "YYYY-MM-DD hh:mm:ss[.f...]", a date "YYYY-MM-DD" or "YYYYMMDD" (its midnight), both in the
// column's zone (else the session's), or Unix seconds of 9 or 10 digits "s[.f...]" (no sign: the
// server reads a shorter, longer or signed number as something else or not at all). Fewer than p
// fraction digits are padded with zeros, digits beyond p are dropped (truncated, not rounded).
class DateTime64Reader final : public ValueReader {
 public:
  DateTime64Reader(Column& column, const ReadContext& context)
      : ValueReader(column), zone_(zone_of(column, context)), precision_(column.type()->storage_type().precision()) {}
  void text(std::string_view s) override {
    const std::size_t point = s.find('.');
    const std::string_view whole = s.substr(0, point);
    const std::string_view fraction = point == std::string_view::npos ? std::string_view{} : s.substr(point + 1);
    const auto all_digits = [](std::string_view d) {
      return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    std::int64_t seconds = 0;
    std::int64_t local = 0;
    std::int64_t days = 0;
    if (whole.size() == 19 && parse_wall_time(whole, local)) {
      seconds = wall_to_utc(*zone_, local);
    } else if (whole.size() == 10 && point == std::string_view::npos && parse_date(whole, days)) {
      seconds = wall_to_utc(*zone_, days * 86400);
    } else if (whole.size() == 8 && point == std::string_view::npos && all_digits(whole)) {
      const std::string dashed = std::string(whole.substr(0, 4)) + "-" + std::string(whole.substr(4, 2)) + "-" +
                                 std::string(whole.substr(6, 2));
      if (!parse_date(dashed, days)) throw BadValue{bad()};
      seconds = wall_to_utc(*zone_, days * 86400);
    } else if ((whole.size() == 9 || whole.size() == 10) && all_digits(whole)) {
      for (const char c : whole) seconds = seconds * 10 + (c - '0');
    } else {
      throw BadValue{bad()};
    }
    if (!all_digits(fraction)) throw BadValue{bad()};
    std::int64_t ticks_in_second = 0;
    for (std::size_t i = 0; i < precision_; ++i) {
      ticks_in_second = ticks_in_second * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
    }
    if (seconds < k_first_day * 86400 || seconds > k_last_day * 86400 + 86399) {
      throw BadValue{"is outside the range of DateTime64 (1900-01-01 to 2299-12-31)"};
    }
    std::int64_t scale = 1;
    for (std::uint32_t i = 0; i < precision_; ++i) scale *= 10;
    const Int128 ticks = static_cast<Int128>(seconds) * scale + ticks_in_second;
    if (ticks < std::numeric_limits<std::int64_t>::min() || ticks > std::numeric_limits<std::int64_t>::max()) {
      throw BadValue{"is outside the range of " + column_.type()->name() + " (Int64 ticks)"};
    }
    static_cast<ColumnDateTime64&>(column_).append(static_cast<std::int64_t>(ticks));
  }

 private:
  std::string bad() const {
    return "is not a " + column_.type()->name() +
           " (YYYY-MM-DD hh:mm:ss[.fraction], YYYY-MM-DD, or Unix seconds[.fraction])";
  }
  std::shared_ptr<const TimeZone> zone_;
  std::uint32_t precision_;
};

// Time and Time64(p), as the current server reads them (checked on 26.7): "[-]hh:mm:ss" with 2 or
// 3 digits of hours (up to 999:59:59), and for Time64 a fraction, padded or truncated to p digits;
// a '-' makes the whole value negative. The engine's other forms (mm:ss, a bare number of seconds,
// minute 60 carried into the hour) are refused.
class TimeReader final : public ValueReader {
 public:
  TimeReader(Column& column, bool wide)
      : ValueReader(column), wide_(wide), precision_(wide ? column.type()->storage_type().precision() : 0) {}
  void text(std::string_view s) override {
    const bool negative = !s.empty() && s.front() == '-';
    if (negative) s.remove_prefix(1);
    const std::size_t point = s.find('.');
    const std::string_view clock = s.substr(0, point);
    const std::string_view fraction = point == std::string_view::npos ? std::string_view{} : s.substr(point + 1);
    const auto digits = [](std::string_view d) {
      return !d.empty() && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    const std::size_t hours_len = clock.size() >= 8 ? clock.size() - 6 : 0;
    if ((hours_len != 2 && hours_len != 3) || clock[hours_len] != ':' || clock[hours_len + 3] != ':' ||
        !digits(clock.substr(0, hours_len)) || !digits(clock.substr(hours_len + 1, 2)) ||
        !digits(clock.substr(hours_len + 4, 2)) || (point != std::string_view::npos && !wide_) ||
        (point != std::string_view::npos && !digits(fraction))) {
      throw BadValue{"is not a " + column_.type()->name() + " ([-]hh:mm:ss" + (wide_ ? "[.fraction])" : ")")};
    }
    const auto number = [](std::string_view d) {
      std::int64_t v = 0;
      for (const char c : d) v = v * 10 + (c - '0');
      return v;
    };
    const std::int64_t minutes = number(clock.substr(hours_len + 1, 2));
    const std::int64_t secs = number(clock.substr(hours_len + 4, 2));
    if (minutes > 59 || secs > 59) throw BadValue{"has minutes or seconds past 59"};
    const std::int64_t seconds = number(clock.substr(0, hours_len)) * 3600 + minutes * 60 + secs;
    if (!wide_) {
      static_cast<ColumnTime&>(column_).append(static_cast<std::int32_t>(negative ? -seconds : seconds));
      return;
    }
    std::int64_t ticks = seconds;
    for (std::uint32_t i = 0; i < precision_; ++i) ticks = ticks * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
    static_cast<ColumnTime64&>(column_).append(negative ? -ticks : ticks);
  }

 private:
  bool wide_;
  std::uint32_t precision_;
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

// Decimal(P, S) of any width. Digits beyond the scale are dropped, as ClickHouse does; more than
// P significant digits is an error. Decimal256 accumulates in 256 bits (P <= 76 digits always fit).
template <class T>
class DecimalReader final : public ValueReader {
  // The unscaled magnitude: Int128 up to Decimal128, the limbs of 256 bits for Decimal256.
  using Acc = std::conditional_t<std::is_same_v<T, Int256>, Limbs, Int128>;

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
    Acc v{};
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
      if (v != Acc{} || c != '0') ++digits;
      if (digits > precision) throw BadValue{"has more digits than " + column_.type()->name() + " holds"};
      push(v, static_cast<unsigned>(c - '0'));
    }
    if (!any) throw BadValue{"is not a valid " + column_.type()->name()};
    for (; fraction < scale; ++fraction) {
      push(v, 0);
      if (v != Acc{} && ++digits > precision) {
        throw BadValue{"has more digits than " + column_.type()->name() + " holds"};
      }
    }
    if constexpr (std::is_same_v<T, Int256>) {
      static_cast<ColumnDecimal<T>&>(column_).append(Int256{negative ? negated(v) : v});
    } else {
      if (negative) v = -v;
      static_cast<ColumnDecimal<T>&>(column_).append(static_cast<T>(v));
    }
  }

 private:
  // v * 10 + digit; it cannot overflow, as v has at most `precision` digits (checked first).
  static void push(Acc& v, unsigned digit) noexcept {
    if constexpr (std::is_same_v<T, Int256>) {
      times_ten_plus(v, digit);
    } else {
      v = v * 10 + digit;
    }
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
      : CompoundReader(column),
        nested_(make_reader(static_cast<ColumnArray&>(column).nested(), context)),
        scalar_elements_(is_scalar(static_cast<ColumnArray&>(column).nested().type()->storage_type().code())) {}

  // A whole field (TSV, CSV): the common plain form read directly, anything else with the lexer.
  void text(std::string_view s) override {
    if (scalar_elements_ && plain_elements(s)) {
      for (const std::string_view e : elements_) nested_->text(e);
      static_cast<ColumnArray&>(column_).finish_row();
      return;
    }
    CompoundReader::text(s);
  }

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
  // Whether an element of this type is read by ValueReader::quoted() (a string literal's value or
  // a number's text given to text()), so that plain_elements() may read it the same way.
  static bool is_scalar(TypeCode code) noexcept {
    return code != TypeCode::Nullable && code != TypeCode::Array && code != TypeCode::Tuple && code != TypeCode::Map &&
           code != TypeCode::LowCardinality;
  }

  // Splits `s` into elements_ when it is an array in the plain form 18.16 and the current server
  // write, the only form the fast path reads: '[', then elements separated by ',', then ']' and the
  // end, with spaces allowed between them; an element is a '...' string without a backslash or a
  // doubled quote (elements_ gets its body), or digits with a '-' or not directly followed by ','
  // or ']' or a space (elements_ gets its text). The lexer reads such text into exactly these
  // values, as ValueReader::quoted() gives them to text(). False for anything else (comments,
  // escapes, other numbers, words, errors): the caller reads it with the lexer, which states
  // errors. Nothing is appended here.
  bool plain_elements(std::string_view s) {
    elements_.clear();
    std::size_t i = 0;
    const auto skip_spaces = [&] {
      while (i < s.size() && s[i] == ' ') ++i;
    };
    skip_spaces();
    if (i >= s.size() || s[i] != '[') return false;
    ++i;
    skip_spaces();
    if (i < s.size() && s[i] == ']') {
      ++i;
    } else {
      for (;;) {
        if (i >= s.size()) return false;
        if (s[i] == '\'') {
          const std::size_t begin = i + 1;
          const void* q = std::memchr(s.data() + begin, '\'', s.size() - begin);
          if (q == nullptr) return false;
          const std::size_t end = static_cast<std::size_t>(static_cast<const char*>(q) - s.data());
          const std::string_view body = s.substr(begin, end - begin);
          if (body.find('\\') != std::string_view::npos) return false;
          if (end + 1 < s.size() && s[end + 1] == '\'') return false;  // a doubled quote
          elements_.push_back(body);
          i = end + 1;
        } else {
          const std::size_t begin = i;
          if (s[i] == '-') ++i;
          const std::size_t digits = i;
          while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
          if (i == digits) return false;
          if (i < s.size() && s[i] != ',' && s[i] != ']' && s[i] != ' ') return false;
          elements_.push_back(s.substr(begin, i - begin));
        }
        skip_spaces();
        if (i >= s.size()) return false;
        if (s[i] == ']') {
          ++i;
          break;
        }
        if (s[i] != ',') return false;
        ++i;
        skip_spaces();
      }
    }
    skip_spaces();
    return i == s.size();
  }

  ReaderPtr nested_;
  bool scalar_elements_;
  std::vector<std::string_view> elements_;  // plain_elements()' result, kept for its capacity
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

template <std::size_t N>
void append_fixed_as(ColumnLowCardinality& lc, std::string_view bytes) {
  std::array<std::uint8_t, N> v{};
  std::memcpy(v.data(), bytes.data(), N);
  lc.append_value(v);
}

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
  void add() { append_low_cardinality(static_cast<ColumnLowCardinality&>(column_), *scratch_); }

  ColumnRef scratch_;
  ReaderPtr inner_;
};

}  // namespace

void append_low_cardinality(ColumnLowCardinality& lc, const Column& one) {
  const Column* value = &one;
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
  if (dynamic_cast<const ColumnFixedString*>(value) != nullptr) {
    lc.append(bytes);
    return;
  }
  switch (bytes.size()) {
    case 1: append_fixed_as<1>(lc, bytes); break;
    case 2: append_fixed_as<2>(lc, bytes); break;
    case 4: append_fixed_as<4>(lc, bytes); break;
    case 8: append_fixed_as<8>(lc, bytes); break;
    case 16: append_fixed_as<16>(lc, bytes); break;
    default: throw BadValue{"has a type LowCardinality cannot hold here"};
  }
}

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
    case TypeCode::UInt128: return std::make_unique<WideIntegerReader<UInt128>>(column);
    case TypeCode::UInt256: return std::make_unique<WideIntegerReader<UInt256>>(column);
    case TypeCode::Int128: return std::make_unique<WideIntegerReader<Int128>>(column);
    case TypeCode::Int256: return std::make_unique<WideIntegerReader<Int256>>(column);
    case TypeCode::BFloat16: return std::make_unique<BFloat16Reader>(column);
    case TypeCode::Float32: return std::make_unique<FloatReader<float>>(column);
    case TypeCode::Float64: return std::make_unique<FloatReader<double>>(column);
    case TypeCode::Bool: return std::make_unique<BoolReader>(column);
    case TypeCode::String: return std::make_unique<StringReader>(column);
    case TypeCode::FixedString: return std::make_unique<FixedStringReader>(column);
    case TypeCode::Date: return std::make_unique<DateReader>(column);
    case TypeCode::DateTime: return std::make_unique<DateTimeReader>(column, context);
    case TypeCode::Date32: return std::make_unique<Date32Reader>(column);
    case TypeCode::DateTime64: return std::make_unique<DateTime64Reader>(column, context);
    case TypeCode::Time: return std::make_unique<TimeReader>(column, false);
    case TypeCode::Time64: return std::make_unique<TimeReader>(column, true);
    case TypeCode::UUID: return std::make_unique<UUIDReader>(column);
    case TypeCode::IPv4: return std::make_unique<IPv4Reader>(column);
    case TypeCode::IPv6: return std::make_unique<IPv6Reader>(column);
    case TypeCode::Decimal32: return std::make_unique<DecimalReader<std::int32_t>>(column);
    case TypeCode::Decimal64: return std::make_unique<DecimalReader<std::int64_t>>(column);
    case TypeCode::Decimal128: return std::make_unique<DecimalReader<Int128>>(column);
    case TypeCode::Decimal256: return std::make_unique<DecimalReader<Int256>>(column);
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

}  // namespace chconn::text::detail
