// Value text formatting; see chconn/format/text.h.
#include "chconn/format/text.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "chconn/core/error.h"
#include "chconn/wire/columns.h"
#include "core/strings.h"
#include "format/timezone.h"

namespace chconn::text {

// ===== Scalars ====================================================================================

void append_escaped(std::string& out, std::string_view s) { detail::append_server_escaped(out, s, '\''); }

void append_quoted(std::string& out, std::string_view s) {
  out += '\'';
  append_escaped(out, s);
  out += '\'';
}

void append_csv_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '"') continue;
    out.append(s.data() + run, i + 1 - run);
    out += '"';
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\\': out += "\\\\"; continue;
      case '"': out += "\\\""; continue;
      case '/': out += "\\/"; continue;
      default: break;
    }
    if (c < 0x20) {
      out += "\\u00";
      detail::append_hex_byte(out, c, true);
    } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      // U+2028 and U+2029 end lines in JavaScript; ClickHouse escapes them for that reason.
      out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

void append_xml_escaped(std::string& out, std::string_view s) {
  // As 18.16's writeXMLString: only '<' and '&' (and nothing else) get an entity.
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '<' && s[i] != '&') continue;
    out.append(s.data() + run, i - run);
    out += s[i] == '<' ? "&lt;" : "&amp;";
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
}

namespace {

// Lays out the shortest digits of a float as ClickHouse (double-conversion's ToShortest with
// decimal_in_shortest_low = -6, high = 21) does: fixed notation for decimal exponents in [-6, 21),
// else d.ddde[-]x without a '+'.
template <class T>
void append_float_impl(std::string& out, T value) {
  if (std::isnan(value)) {
    out += "nan";
    return;
  }
  if (std::isinf(value)) {
    out += value < 0 ? "-inf" : "inf";
    return;
  }
  std::array<char, 64> buf{};
  // Scientific form gives the shortest round-trip digits and the exponent in one parseable shape:
  // [-]d[.ddd]e[+-]xx.
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::scientific);
  if (ec != std::errc()) {
    out += "nan";  // cannot happen with 64 bytes
    return;
  }
  std::string_view text(buf.data(), static_cast<std::size_t>(end - buf.data()));
  const bool negative = text.front() == '-';
  if (negative) text.remove_prefix(1);
  const std::size_t e_pos = text.find('e');
  std::string_view mantissa = text.substr(0, e_pos);
  int exponent = 0;
  std::from_chars(text.data() + e_pos + 1 + (text[e_pos + 1] == '+' ? 1 : 0), text.data() + text.size(), exponent);
  std::array<char, 32> digits{};
  std::size_t n = 0;
  for (char c : mantissa) {
    if (c != '.') digits[n++] = c;
  }
  while (n > 1 && digits[n - 1] == '0') --n;  // to_chars gives none, but keep the invariant explicit

  if (negative) out += '-';
  if (exponent >= -6 && exponent < 21) {
    if (exponent >= 0) {
      const auto int_digits = static_cast<std::size_t>(exponent) + 1;
      if (n <= int_digits) {
        out.append(digits.data(), n);
        out.append(int_digits - n, '0');
      } else {
        out.append(digits.data(), int_digits);
        out += '.';
        out.append(digits.data() + int_digits, n - int_digits);
      }
    } else {
      out += "0.";
      out.append(static_cast<std::size_t>(-exponent - 1), '0');
      out.append(digits.data(), n);
    }
    return;
  }
  out += digits[0];
  if (n > 1) {
    out += '.';
    out.append(digits.data() + 1, n - 1);
  }
  out += 'e';
  char exp_buf[8];
  const auto [exp_end, exp_ec] = std::to_chars(exp_buf, exp_buf + sizeof exp_buf, exponent);
  (void)exp_ec;
  out.append(exp_buf, exp_end);
}

void append_two(std::string& out, unsigned v) {
  out += static_cast<char>('0' + v / 10 % 10);
  out += static_cast<char>('0' + v % 10);
}

void append_date_fields(std::string& out, std::int64_t days) {
  const CivilDate d = civil_from_days(days);
  if (d.year >= 0 && d.year <= 9999) {
    const auto y = static_cast<unsigned>(d.year);
    append_two(out, y / 100);
    append_two(out, y % 100);
  } else {
    out += std::to_string(d.year);
  }
  out += '-';
  append_two(out, d.month);
  out += '-';
  append_two(out, d.day);
}

void append_time_fields(std::string& out, std::int32_t second_of_day) {
  const auto s = static_cast<unsigned>(second_of_day);
  append_two(out, s / 3600);
  out += ':';
  append_two(out, s / 60 % 60);
  out += ':';
  append_two(out, s % 60);
}

std::int64_t floor_mod(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t r = a % b;
  return r < 0 ? r + b : r;
}

void append_local_date_time(std::string& out, std::int64_t seconds, const TimeZone& zone, bool legacy) {
  // The calendar arithmetic (adding the offset, civil dates, POSIX rules of far years) overflows
  // int64 near its ends, which a DateTime64 of low precision reaches (found by tests/fuzz). Instants
  // beyond ±10^15 s (±31 million years; servers produce 1900-2299) print as the nearest bound.
  constexpr std::int64_t k_max_seconds = 1'000'000'000'000'000;
  seconds = std::clamp(seconds, -k_max_seconds, k_max_seconds);
  if (legacy) {
    // 18.16's lookup-table arithmetic (see TimeZone::legacy_clock): the true wall clock except on
    // a few odd days.
    const TimeZone::LegacyClock clock = zone.legacy_clock(seconds);
    append_date_fields(out, clock.days);
    out += ' ';
    append_two(out, static_cast<unsigned>(floor_mod(clock.hour, 100)));
    out += ':';
    append_two(out, clock.minute);
    out += ':';
    append_two(out, clock.second);
    return;
  }
  const LocalTime local = zone.to_local(seconds);
  append_date_fields(out, local.days);
  out += ' ';
  append_time_fields(out, local.second_of_day);
}

}  // namespace

void append_float(std::string& out, double value) { append_float_impl(out, value); }
void append_float(std::string& out, float value) { append_float_impl(out, value); }
void append_date(std::string& out, std::int64_t days) { append_date_fields(out, days); }

void append_date_time(std::string& out, std::int64_t seconds, std::string_view time_zone, const TimeZones* zones) {
  const std::string_view name = time_zone.empty() ? std::string_view("UTC") : time_zone;
  const auto zone = zones ? zones->find(name) : TimeZones().find(name);
  append_local_date_time(out, seconds, *zone, false);
}

std::shared_ptr<TimeZones> make_time_zones(std::string directory) {
  return std::make_shared<TimeZones>(std::move(directory));
}

// ===== Writers ====================================================================================

class ValueWriter::Impl {
 public:
  explicit Impl(Escaping escaping) : esc_(escaping) {}
  virtual ~Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  virtual void append(std::string& out, std::size_t row) const = 0;

 protected:
  // A value whose text needs no escaping (dates, UUIDs, addresses), quoted as the escaping wants.
  void open_plain(std::string& out) const {
    if (esc_ == Escaping::quoted)
      out += '\'';
    else if (esc_ == Escaping::csv || esc_ == Escaping::json)
      out += '"';
  }
  void close_plain(std::string& out) const { open_plain(out); }
  // Arbitrary bytes (strings, enum names).
  void append_string(std::string& out, std::string_view s) const {
    switch (esc_) {
      case Escaping::tsv: append_escaped(out, s); break;
      case Escaping::pretty: out += s; break;
      case Escaping::xml: append_xml_escaped(out, s); break;
      case Escaping::quoted: append_quoted(out, s); break;
      case Escaping::csv: append_csv_string(out, s); break;
      case Escaping::json: append_json_string(out, s); break;
    }
  }
  void append_null(std::string& out) const {
    switch (esc_) {
      case Escaping::tsv:
      case Escaping::csv:
      case Escaping::xml: out += "\\N"; break;
      case Escaping::quoted: out += "NULL"; break;
      case Escaping::json: out += "null"; break;
      case Escaping::pretty: out += "ᴺᵁᴸᴸ"; break;
    }
  }

  Escaping esc_;
};

namespace {

using Impl = ValueWriter::Impl;
using ImplPtr = std::unique_ptr<Impl>;

ImplPtr make_impl(const Column& column, Escaping escaping, const FormatOptions& options);

// Escaping of the elements of an array or map, and of tuple elements.
Escaping element_escaping(Escaping e) noexcept {
  return e == Escaping::json || e == Escaping::xml ? e : Escaping::quoted;
}
Escaping tuple_element_escaping(Escaping e) noexcept {
  return e == Escaping::json || e == Escaping::csv || e == Escaping::xml ? e : Escaping::quoted;
}

template <class T>
void append_integer(std::string& out, T v) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  out.append(buf, end);
}

template <class C>
class IntegerWriter final : public Impl {
  using T = typename C::value_type;

 public:
  IntegerWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc),
        col_(column_cast<C>(column)),
        quote_(esc == Escaping::json && options.json_quote_64bit_integers && sizeof(T) >= 8) {}

  void append(std::string& out, std::size_t row) const override {
    if (quote_) out += '"';
    const T v = col_[row];
    if constexpr (std::is_same_v<T, Int128> || std::is_same_v<T, UInt128> || std::is_same_v<T, Int256> ||
                  std::is_same_v<T, UInt256>) {
      out += chconn::to_string(v);
    } else {
      append_integer(out, v);
    }
    if (quote_) out += '"';
  }

 private:
  const C& col_;
  bool quote_;
};

// A float column's value: Float32 and Float64 store it, BFloat16 its upper bits (printed as the
// Float32 it stands for, as the server does).
template <class C>
auto float_value(const C& col, std::size_t row) noexcept {
  if constexpr (std::is_same_v<C, ColumnBFloat16>) {
    return col.value(row);
  } else {
    return col[row];
  }
}

template <class C>
class FloatWriter final : public Impl {
 public:
  FloatWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc), col_(column_cast<C>(column)), quote_denormals_(options.json_quote_denormals) {}

  void append(std::string& out, std::size_t row) const override {
    const auto v = float_value(col_, row);
    if (esc_ == Escaping::json && !std::isfinite(v)) {
      if (!quote_denormals_) {
        out += "null";
        return;
      }
      out += '"';
      append_float(out, v);
      out += '"';
      return;
    }
    append_float(out, v);
  }

 private:
  const C& col_;
  bool quote_denormals_;
};

class BoolWriter final : public Impl {
 public:
  BoolWriter(const Column& column, Escaping esc) : Impl(esc), col_(column_cast<ColumnBool>(column)) {}
  void append(std::string& out, std::size_t row) const override { out += col_[row] ? "true" : "false"; }

 private:
  const ColumnBool& col_;
};

class StringWriter final : public Impl {
 public:
  StringWriter(const Column& column, Escaping esc) : Impl(esc), col_(column_cast<ColumnString>(column)) {}
  void append(std::string& out, std::size_t row) const override { append_string(out, col_[row]); }

 private:
  const ColumnString& col_;
};

class FixedStringWriter final : public Impl {
 public:
  FixedStringWriter(const Column& column, Escaping esc) : Impl(esc), col_(column_cast<ColumnFixedString>(column)) {}
  // All N bytes, padding included: the server prints the zero bytes too (as \0 in TSV).
  void append(std::string& out, std::size_t row) const override { append_string(out, col_[row]); }

 private:
  const ColumnFixedString& col_;
};

template <class C>
class DateWriter final : public Impl {
 public:
  DateWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc), col_(column_cast<C>(column)), legacy_(options.legacy_dates) {}

  void append(std::string& out, std::size_t row) const override {
    const std::int64_t days = col_[row];
    open_plain(out);
    if (legacy_ && days == 0) {
      out += "0000-00-00";
    } else if (legacy_ && days > k_legacy_last_day) {
      out += "1970-01-01";
    } else {
      append_date_fields(out, days);
    }
    close_plain(out);
  }

 private:
  // 2106-02-07: the last day of the date lookup table of servers before 20.x; later days wrapped
  // to its first entry.
  static constexpr std::int64_t k_legacy_last_day = 49710;
  const C& col_;
  bool legacy_;
};

std::shared_ptr<const TimeZone> zone_of(const std::string& type_zone, const FormatOptions& options) {
  const std::string& name = type_zone.empty() ? options.server_time_zone : type_zone;
  const std::string_view zone = name.empty() ? std::string_view("UTC") : std::string_view(name);
  return options.time_zones ? options.time_zones->find(zone) : TimeZones().find(zone);
}

class DateTimeWriter final : public Impl {
 public:
  DateTimeWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc),
        col_(column_cast<ColumnDateTime>(column)),
        zone_(zone_of(col_.time_zone(), options)),
        legacy_(options.legacy_dates) {}

  void append(std::string& out, std::size_t row) const override {
    const std::uint32_t t = col_[row];
    open_plain(out);
    if (legacy_ && t == 0)
      out += "0000-00-00 00:00:00";
    else
      append_local_date_time(out, t, *zone_, legacy_);
    close_plain(out);
  }

 private:
  const ColumnDateTime& col_;
  std::shared_ptr<const TimeZone> zone_;
  bool legacy_;
};

// ".ddd": the `precision` (at most 9) low digits of `fraction`, zero-padded; nothing when the
// precision is 0. DateTime64's and Time64's fractional seconds.
void append_fraction(std::string& out, std::uint64_t fraction, std::uint32_t precision) {
  if (precision == 0) return;
  out += '.';
  char digits[9];
  for (std::uint32_t i = precision; i-- > 0;) {
    digits[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  out.append(digits, precision);
}

class DateTime64Writer final : public Impl {
 public:
  DateTime64Writer(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc),
        col_(column_cast<ColumnDateTime64>(column)),
        zone_(zone_of(col_.time_zone(), options)),
        precision_(std::min<std::uint32_t>(col_.precision(), 9)) {
    for (std::uint32_t i = 0; i < precision_; ++i) scale_ *= 10;
  }

  void append(std::string& out, std::size_t row) const override {
    const std::int64_t ticks = col_[row];
    std::int64_t seconds = ticks / scale_;
    std::int64_t fraction = ticks % scale_;
    if (fraction < 0) {
      fraction += scale_;
      --seconds;
    }
    open_plain(out);
    append_local_date_time(out, seconds, *zone_, false);
    append_fraction(out, static_cast<std::uint64_t>(fraction), precision_);
    close_plain(out);
  }

 private:
  const ColumnDateTime64& col_;
  std::shared_ptr<const TimeZone> zone_;
  std::uint32_t precision_;
  std::int64_t scale_ = 1;
};

// Time and Time64(p): [-]H:MM:SS[.fraction], hours in at least two digits. The server shows at
// most 999:59:59 (the whole seconds are clamped there) but the fraction as stored: an Int64 of
// ticks -2^63 at Time64(3) is -999:59:59.808.
template <class C>
class TimeWriter final : public Impl {
 public:
  TimeWriter(const Column& column, Escaping esc) : Impl(esc), col_(column_cast<C>(column)) {
    if constexpr (std::is_same_v<C, ColumnTime64>) precision_ = std::min<std::uint32_t>(col_.precision(), 9);
    for (std::uint32_t i = 0; i < precision_; ++i) scale_ *= 10;
  }

  void append(std::string& out, std::size_t row) const override {
    const std::int64_t ticks = col_[row];
    // The magnitude as unsigned, so that -2^63 has one.
    const std::uint64_t magnitude =
        ticks < 0 ? 0 - static_cast<std::uint64_t>(ticks) : static_cast<std::uint64_t>(ticks);
    const std::uint64_t seconds = std::min<std::uint64_t>(magnitude / scale_, k_max_seconds);
    std::uint64_t fraction = magnitude % scale_;
    open_plain(out);
    if (ticks < 0) out += '-';
    const std::uint64_t hours = seconds / 3600;
    if (hours < 10) out += '0';
    append_integer(out, hours);
    out += ':';
    append_two(out, static_cast<unsigned>(seconds / 60 % 60));
    out += ':';
    append_two(out, static_cast<unsigned>(seconds % 60));
    append_fraction(out, static_cast<std::uint64_t>(fraction), precision_);
    close_plain(out);
  }

 private:
  static constexpr std::uint64_t k_max_seconds = 999 * 3600 + 59 * 60 + 59;
  const C& col_;
  std::uint32_t precision_ = 0;
  std::uint64_t scale_ = 1;
};

class UUIDWriter final : public Impl {
 public:
  UUIDWriter(const Column& column, Escaping esc) : Impl(esc), col_(column_cast<ColumnUUID>(column)) {}
  void append(std::string& out, std::size_t row) const override {
    open_plain(out);
    out += chconn::to_string(col_[row]);
    close_plain(out);
  }

 private:
  const ColumnUUID& col_;
};

class IPv4Writer final : public Impl {
 public:
  IPv4Writer(const Column& column, Escaping esc) : Impl(esc), col_(column_cast<ColumnIPv4>(column)) {}
  void append(std::string& out, std::size_t row) const override {
    const std::uint32_t a = col_[row];
    open_plain(out);
    for (int shift = 24; shift >= 0; shift -= 8) {
      append_integer(out, (a >> shift) & 0xFFu);
      if (shift) out += '.';
    }
    close_plain(out);
  }

 private:
  const ColumnIPv4& col_;
};

class IPv6Writer final : public Impl {
 public:
  IPv6Writer(const Column& column, Escaping esc) : Impl(esc), col_(column_cast<ColumnIPv6>(column)) {}
  void append(std::string& out, std::size_t row) const override {
    open_plain(out);
    out += chconn::to_string(col_[row]);
    close_plain(out);
  }

 private:
  const ColumnIPv6& col_;
};

// Exactly `scale` digits after the point, no point when the scale is 0; or, without
// FormatOptions::decimal_trailing_zeros, the trailing zeros of the fraction dropped (and the point
// with them when no digit is left after it).
template <class T>
class DecimalWriter final : public Impl {
 public:
  DecimalWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc), col_(column_cast<ColumnDecimal<T>>(column)), trim_(!options.decimal_trailing_zeros) {}

  void append(std::string& out, std::size_t row) const override {
    append_digits(out, row);
    // The text just appended has a point exactly when the scale is not 0, so trimming stops at it.
    if (trim_ && col_.scale() != 0) {
      while (out.back() == '0') out.pop_back();
      if (out.back() == '.') out.pop_back();
    }
  }

 private:
  void append_digits(std::string& out, std::size_t row) const {
    const T raw = col_[row];
    const std::uint32_t scale = col_.scale();
    if constexpr (std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t>) {
      const bool negative = raw < 0;
      std::uint64_t mag = negative ? 0 - static_cast<std::uint64_t>(raw) : static_cast<std::uint64_t>(raw);
      char digits[24];
      std::size_t n = 0;
      do {
        digits[n++] = static_cast<char>('0' + mag % 10);
        mag /= 10;
      } while (mag != 0);
      while (n <= scale) digits[n++] = '0';  // at least one digit before the point
      if (negative) out += '-';
      for (std::size_t i = n; i-- > 0;) {
        out += digits[i];
        if (i == scale && scale != 0) out += '.';
      }
    } else {
      out += format_decimal(raw, scale);
    }
  }

  const ColumnDecimal<T>& col_;
  bool trim_;
};

template <class T>
class EnumWriter final : public Impl {
 public:
  EnumWriter(const Column& column, Escaping esc) : Impl(esc), col_(column_cast<ColumnEnum<T>>(column)) {}
  void append(std::string& out, std::size_t row) const override {
    if (const std::string* name = col_.name_at(row)) {
      append_string(out, *name);
    } else {
      // A value the type does not name (only a broken peer sends one): show the number.
      append_integer(out, static_cast<int>(col_[row]));
    }
  }

 private:
  const ColumnEnum<T>& col_;
};

class NothingWriter final : public Impl {
 public:
  explicit NothingWriter(Escaping esc) : Impl(esc) {}
  void append(std::string& out, std::size_t) const override { append_null(out); }
};

class NullableWriter final : public Impl {
 public:
  NullableWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc), col_(column_cast<ColumnNullable>(column)), nested_(make_impl(col_.nested(), esc, options)) {}
  void append(std::string& out, std::size_t row) const override {
    if (col_.is_null(row))
      append_null(out);
    else
      nested_->append(out, row);
  }

 private:
  const ColumnNullable& col_;
  ImplPtr nested_;
};

// A Variant's value is written as its type writes it, in the same escaping; NULL as NULL is.
class VariantWriter final : public Impl {
 public:
  VariantWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc), col_(column_cast<ColumnVariant>(column)) {
    for (std::size_t k = 0; k < col_.variant_count(); ++k)
      variants_.push_back(make_impl(col_.variant(k), esc, options));
  }
  void append(std::string& out, std::size_t row) const override {
    if (col_.is_null(row)) {
      append_null(out);
    } else {
      variants_[col_.discriminator(row)]->append(out, col_.variant_row(row));
    }
  }

 private:
  const ColumnVariant& col_;
  std::vector<ImplPtr> variants_;
};

// A value in binary form (Dynamic's SharedVariant, JSON's shared data), decoded and written as
// its type writes it.
void append_binary_value(std::string& out, std::string_view bytes, Escaping esc, const FormatOptions& options) {
  const ColumnRef value = decode_binary_value(bytes);
  make_impl(*value, esc, options)->append(out, 0);
}

// A Dynamic's value as its type writes it (the Variant of its types, or the binary form of a
// value held in SharedVariant).
class DynamicWriter final : public Impl {
 public:
  DynamicWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc),
        col_(column_cast<ColumnDynamic>(column)),
        variant_(col_.variant(), esc, options),
        options_(options) {}
  void append(std::string& out, std::size_t row) const override {
    if (col_.is_shared(row)) {
      append_binary_value(out, col_.shared_bytes(row), esc_, options_);
      return;
    }
    variant_.append(out, row);
  }

 private:
  const ColumnDynamic& col_;
  VariantWriter variant_;
  FormatOptions options_;
};

// A JSON object as the server writes it (SerializationJSON::serializeTextImpl): the row's paths
// sorted (typed paths always, dynamic paths where not NULL, shared data), "a.b" and "a.c" nested
// as {"a":{"b":...,"c":...}}, each value in its type's JSON form. As a JSONEachRow value the
// object is written as it is; in the other formats as a string of that text (TabSeparated-escaped,
// quoted, CSV-quoted), and in Pretty as it is.
class JsonObjectWriter final : public Impl {
 public:
  JsonObjectWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc), col_(column_cast<ColumnJSON>(column)), options_(options) {
    for (std::size_t i = 0; i < col_.typed_path_count(); ++i) {
      typed_.push_back(make_impl(col_.typed_column(i), Escaping::json, options));
    }
    for (std::size_t i = 0; i < col_.dynamic_paths().size(); ++i) {
      dynamic_.push_back(make_impl(col_.dynamic_column(i), Escaping::json, options));
    }
  }

  void append(std::string& out, std::size_t row) const override {
    if (esc_ == Escaping::json || esc_ == Escaping::pretty) {
      append_object(out, row);
      return;
    }
    scratch_.clear();
    append_object(scratch_, row);
    append_string(out, scratch_);
  }

 private:
  enum class Kind : std::uint8_t { typed, dynamic, shared };
  struct Entry {
    std::string_view path;
    Kind kind;
    std::size_t index;  // typed or dynamic path, or row of the shared data
  };

  void append_object(std::string& out, std::size_t row) const {
    entries_.clear();
    for (std::size_t i = 0; i < col_.typed_path_count(); ++i) entries_.push_back({col_.typed_path(i), Kind::typed, i});
    for (std::size_t i = 0; i < col_.dynamic_paths().size(); ++i) {
      if (!col_.dynamic_column(i).is_null(row)) entries_.push_back({col_.dynamic_paths()[i], Kind::dynamic, i});
    }
    const auto shared = col_.shared_data().range(row);
    for (std::size_t k = shared.begin; k < shared.end; ++k)
      entries_.push_back({col_.shared_paths()[k], Kind::shared, k});
    std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) { return a.path < b.path; });

    // The objects open around the current key: prefix_[i] is the name of the i-th, and whether a
    // key was written in it (for the commas) is first_[i + 1]; first_[0] is the root's.
    prefix_.clear();
    first_.assign(1, true);
    out += '{';
    for (const Entry& e : entries_) {
      split(e.path);
      // Close the objects the path leaves: keep the common prefix, but not the path's last element.
      std::size_t common = 0;
      while (common < prefix_.size() && common + 1 < elements_.size() && prefix_[common] == elements_[common]) ++common;
      for (std::size_t i = common; i < prefix_.size(); ++i) out += '}';
      prefix_.resize(common);
      first_.resize(common + 1);
      // Open the objects of the path's other elements.
      for (std::size_t i = common; i + 1 < elements_.size(); ++i) {
        comma(out);
        append_json_string(out, elements_[i]);
        out += ":{";
        prefix_.push_back(elements_[i]);
        first_.push_back(true);
      }
      comma(out);
      append_json_string(out, elements_.back());
      out += ':';
      switch (e.kind) {
        case Kind::typed: typed_[e.index]->append(out, row); break;
        case Kind::dynamic: dynamic_[e.index]->append(out, row); break;
        case Kind::shared: append_binary_value(out, col_.shared_values()[e.index], Escaping::json, options_); break;
      }
    }
    for (std::size_t i = 0; i < prefix_.size(); ++i) out += '}';
    out += '}';
  }

  void comma(std::string& out) const {
    if (!first_.back()) out += ',';
    first_.back() = false;
  }

  // The path's elements, split at every '.' ("a..b" has an empty middle one, as the server's).
  void split(std::string_view path) const {
    elements_.clear();
    for (;;) {
      const std::size_t dot = path.find('.');
      elements_.push_back(path.substr(0, dot));
      if (dot == std::string_view::npos) return;
      path.remove_prefix(dot + 1);
    }
  }

  const ColumnJSON& col_;
  FormatOptions options_;
  std::vector<ImplPtr> typed_;
  std::vector<ImplPtr> dynamic_;
  // Reused between rows; a writer is used by one thread.
  mutable std::string scratch_;
  mutable std::vector<Entry> entries_;
  mutable std::vector<std::string_view> prefix_;
  mutable std::vector<bool> first_;
  mutable std::vector<std::string_view> elements_;
};

class LowCardinalityWriter final : public Impl {
 public:
  LowCardinalityWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc),
        col_(column_cast<ColumnLowCardinality>(column)),
        dictionary_(make_impl(col_.dictionary(), esc, options)) {}
  void append(std::string& out, std::size_t row) const override {
    if (col_.is_null(row))
      append_null(out);
    else
      dictionary_->append(out, col_.index(row));
  }

 private:
  const ColumnLowCardinality& col_;
  ImplPtr dictionary_;
};

// CSV prints an array or map as one field: its text form, CSV-quoted.
class CsvFieldWriter final : public Impl {
 public:
  explicit CsvFieldWriter(ImplPtr text) : Impl(Escaping::csv), text_(std::move(text)) {}
  void append(std::string& out, std::size_t row) const override {
    scratch_.clear();
    text_->append(scratch_, row);
    append_csv_string(out, scratch_);
  }

 private:
  ImplPtr text_;
  mutable std::string scratch_;  // reused between rows; a writer is used by one thread
};

class ArrayWriter final : public Impl {
 public:
  ArrayWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc),
        col_(column_cast<ColumnArray>(column)),
        element_(make_impl(col_.nested(), element_escaping(esc), options)) {}
  void append(std::string& out, std::size_t row) const override {
    const auto range = col_.range(row);
    if (esc_ == Escaping::xml) {
      // 18.16's XML: <array><elem>1</elem><elem>2</elem></array>.
      out += "<array>";
      for (std::size_t i = range.begin; i < range.end; ++i) {
        out += "<elem>";
        element_->append(out, i);
        out += "</elem>";
      }
      out += "</array>";
      return;
    }
    out += '[';
    for (std::size_t i = range.begin; i < range.end; ++i) {
      if (i != range.begin) out += ',';
      element_->append(out, i);
    }
    out += ']';
  }

 private:
  const ColumnArray& col_;
  ImplPtr element_;
};

class TupleWriter final : public Impl {
 public:
  TupleWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc), col_(column_cast<ColumnTuple>(column)) {
    for (std::size_t i = 0; i < col_.element_count(); ++i) {
      elements_.push_back(make_impl(col_.element(i), tuple_element_escaping(esc), options));
    }
    // A named tuple is a JSON object where the server's option says so (names as JSON keys).
    if (esc == Escaping::json && options.json_named_tuples_as_objects) {
      const auto names = col_.type()->storage_type().element_names();
      for (const auto& name : names) {
        std::string key;
        append_json_string(key, name);
        keys_.push_back(std::move(key) + ':');
      }
    }
  }
  void append(std::string& out, std::size_t row) const override {
    // CSV spreads a tuple over several fields; JSON writes an array (as 18.16), or an object for
    // a named tuple (keys_ not empty).
    if (esc_ == Escaping::xml) {
      out += "<tuple>";
      for (const auto& element : elements_) {
        out += "<elem>";
        element->append(out, row);
        out += "</elem>";
      }
      out += "</tuple>";
      return;
    }
    const bool csv = esc_ == Escaping::csv;
    const bool object = !keys_.empty();
    if (!csv) out += esc_ == Escaping::json ? (object ? '{' : '[') : '(';
    for (std::size_t i = 0; i < elements_.size(); ++i) {
      if (i) out += ',';
      if (object) out += keys_[i];
      elements_[i]->append(out, row);
    }
    if (!csv) out += esc_ == Escaping::json ? (object ? '}' : ']') : ')';
  }

 private:
  const ColumnTuple& col_;
  std::vector<ImplPtr> elements_;
  std::vector<std::string> keys_;  // "name": of each element, for a JSON object
};

class MapWriter final : public Impl {
 public:
  MapWriter(const Column& column, Escaping esc, const FormatOptions& options)
      : Impl(esc),
        col_(column_cast<ColumnMap>(column)),
        key_(make_impl(col_.keys(), element_escaping(esc), options)),
        value_(make_impl(col_.values(), element_escaping(esc), options)) {
    if (esc == Escaping::json) {
      // JSON object keys must be strings: a String key is one already, others are wrapped.
      const TypeCode code = col_.keys().type()->storage_type().code();
      const bool string_key =
          code == TypeCode::String || code == TypeCode::FixedString || (code == TypeCode::LowCardinality);
      if (!string_key) key_text_ = make_impl(col_.keys(), Escaping::tsv, options);
    }
  }
  void append(std::string& out, std::size_t row) const override {
    const auto range = col_.range(row);
    out += '{';
    for (std::size_t i = range.begin; i < range.end; ++i) {
      if (i != range.begin) out += ',';
      if (key_text_) {
        scratch_.clear();
        key_text_->append(scratch_, i);
        append_json_string(out, scratch_);
      } else {
        key_->append(out, i);
      }
      out += ':';
      value_->append(out, i);
    }
    out += '}';
  }

 private:
  const ColumnMap& col_;
  ImplPtr key_;
  ImplPtr value_;
  ImplPtr key_text_;  // JSON with a non-string key
  mutable std::string scratch_;
};

template <template <class> class W, class C>
ImplPtr make(const Column& column, Escaping esc, const FormatOptions& options) {
  return std::make_unique<W<C>>(column, esc, options);
}

ImplPtr make_impl(const Column& column, Escaping esc, const FormatOptions& options) {
  if (esc == Escaping::csv) {
    // An array or map is one CSV field holding its TabSeparated text form.
    const TypeCode code = column.type()->storage_type().code();
    if (code == TypeCode::Array || code == TypeCode::Map || code == TypeCode::Nested) {
      return std::make_unique<CsvFieldWriter>(make_impl(column, Escaping::tsv, options));
    }
  }
  switch (column.type()->storage_type().code()) {
    case TypeCode::Nothing: return std::make_unique<NothingWriter>(esc);
    case TypeCode::UInt8: return make<IntegerWriter, ColumnUInt8>(column, esc, options);
    case TypeCode::UInt16: return make<IntegerWriter, ColumnUInt16>(column, esc, options);
    case TypeCode::UInt32: return make<IntegerWriter, ColumnUInt32>(column, esc, options);
    case TypeCode::UInt64: return make<IntegerWriter, ColumnUInt64>(column, esc, options);
    case TypeCode::UInt128: return make<IntegerWriter, ColumnUInt128>(column, esc, options);
    case TypeCode::UInt256: return make<IntegerWriter, ColumnUInt256>(column, esc, options);
    case TypeCode::Int8: return make<IntegerWriter, ColumnInt8>(column, esc, options);
    case TypeCode::Int16: return make<IntegerWriter, ColumnInt16>(column, esc, options);
    case TypeCode::Int32: return make<IntegerWriter, ColumnInt32>(column, esc, options);
    case TypeCode::Int64: return make<IntegerWriter, ColumnInt64>(column, esc, options);
    case TypeCode::Int128: return make<IntegerWriter, ColumnInt128>(column, esc, options);
    case TypeCode::Int256: return make<IntegerWriter, ColumnInt256>(column, esc, options);
    case TypeCode::Float32: return make<FloatWriter, ColumnFloat32>(column, esc, options);
    case TypeCode::Float64: return make<FloatWriter, ColumnFloat64>(column, esc, options);
    case TypeCode::BFloat16: return make<FloatWriter, ColumnBFloat16>(column, esc, options);
    case TypeCode::Time: return std::make_unique<TimeWriter<ColumnTime>>(column, esc);
    case TypeCode::Time64: return std::make_unique<TimeWriter<ColumnTime64>>(column, esc);
    case TypeCode::Bool: return std::make_unique<BoolWriter>(column, esc);
    case TypeCode::String: return std::make_unique<StringWriter>(column, esc);
    case TypeCode::FixedString: return std::make_unique<FixedStringWriter>(column, esc);
    case TypeCode::Date: return make<DateWriter, ColumnDate>(column, esc, options);
    case TypeCode::Date32: return make<DateWriter, ColumnDate32>(column, esc, options);
    case TypeCode::DateTime: return std::make_unique<DateTimeWriter>(column, esc, options);
    case TypeCode::DateTime64: return std::make_unique<DateTime64Writer>(column, esc, options);
    case TypeCode::UUID: return std::make_unique<UUIDWriter>(column, esc);
    case TypeCode::IPv4: return std::make_unique<IPv4Writer>(column, esc);
    case TypeCode::IPv6: return std::make_unique<IPv6Writer>(column, esc);
    case TypeCode::Decimal32: return std::make_unique<DecimalWriter<std::int32_t>>(column, esc, options);
    case TypeCode::Decimal64: return std::make_unique<DecimalWriter<std::int64_t>>(column, esc, options);
    case TypeCode::Decimal128: return std::make_unique<DecimalWriter<Int128>>(column, esc, options);
    case TypeCode::Decimal256: return std::make_unique<DecimalWriter<Int256>>(column, esc, options);
    case TypeCode::Enum8: return std::make_unique<EnumWriter<std::int8_t>>(column, esc);
    case TypeCode::Enum16: return std::make_unique<EnumWriter<std::int16_t>>(column, esc);
    case TypeCode::Nullable: return std::make_unique<NullableWriter>(column, esc, options);
    case TypeCode::Array:
    case TypeCode::Nested: return std::make_unique<ArrayWriter>(column, esc, options);
    case TypeCode::Tuple: return std::make_unique<TupleWriter>(column, esc, options);
    case TypeCode::Map: return std::make_unique<MapWriter>(column, esc, options);
    case TypeCode::LowCardinality: return std::make_unique<LowCardinalityWriter>(column, esc, options);
    case TypeCode::Variant: return std::make_unique<VariantWriter>(column, esc, options);
    case TypeCode::Dynamic: return std::make_unique<DynamicWriter>(column, esc, options);
    case TypeCode::JSON: return std::make_unique<JsonObjectWriter>(column, esc, options);
    case TypeCode::SimpleAggregateFunction: break;  // storage_type() never is one
  }
  throw Error(ErrorKind::usage, "cannot format a column of type " + column.type()->name() + " as text");
}

// Whether Pretty aligns the column to the right: numbers, dates and times (both 18.16 and current
// servers), and UUIDs on 18.16 (FormatOptions::pretty_align_uuid_right).
bool aligns_right(const Type& type, const FormatOptions& options) noexcept {
  switch (type.storage_type().code()) {
    case TypeCode::Date:
    case TypeCode::Date32:
    case TypeCode::DateTime:
    case TypeCode::DateTime64:
    case TypeCode::UInt8:
    case TypeCode::UInt16:
    case TypeCode::UInt32:
    case TypeCode::UInt64:
    case TypeCode::UInt128:
    case TypeCode::UInt256:
    case TypeCode::Int8:
    case TypeCode::Int16:
    case TypeCode::Int32:
    case TypeCode::Int64:
    case TypeCode::Int128:
    case TypeCode::Int256:
    case TypeCode::Float32:
    case TypeCode::Float64:
    case TypeCode::BFloat16:
    case TypeCode::Time:
    case TypeCode::Time64:
    case TypeCode::Decimal32:
    case TypeCode::Decimal64:
    case TypeCode::Decimal128:
    case TypeCode::Decimal256: return true;
    case TypeCode::UUID: return options.pretty_align_uuid_right;
    case TypeCode::Nullable:
    case TypeCode::LowCardinality: return aligns_right(*type.storage_type().element(0), options);
    default: return false;
  }
}

}  // namespace

ValueWriter::ValueWriter(const Column& column, Escaping escaping, const FormatOptions& options)
    : impl_(make_impl(column, escaping, options)), align_right_(aligns_right(*column.type(), options)) {}
ValueWriter::~ValueWriter() = default;
ValueWriter::ValueWriter(ValueWriter&&) noexcept = default;
ValueWriter& ValueWriter::operator=(ValueWriter&&) noexcept = default;

void ValueWriter::append(std::string& out, std::size_t row) const { impl_->append(out, row); }

void append_value(std::string& out, const Column& column, std::size_t row, Escaping escaping,
                  const FormatOptions& options) {
  if (row >= column.size()) {
    throw Error(ErrorKind::usage, "row " + std::to_string(row) + " is out of range for a column of " +
                                      std::to_string(column.size()) + " rows");
  }
  ValueWriter(column, escaping, options).append(out, row);
}

std::string format_value(const Column& column, std::size_t row, Escaping escaping, const FormatOptions& options) {
  std::string out;
  append_value(out, column, row, escaping, options);
  return out;
}

FormatOptions options_for_server(std::uint64_t major, std::uint64_t minor, std::string server_time_zone) {
  // Version 0 is a server that did not say: taken for a current one.
  const auto before = [&](std::uint64_t m, std::uint64_t n) {
    return major != 0 && (major < m || (major == m && minor < n));
  };
  FormatOptions options;
  options.server_time_zone = server_time_zone.empty() ? "UTC" : std::move(server_time_zone);
  options.legacy_dates = before(21, 1);
  options.pretty_align_uuid_right = before(21, 1);
  options.decimal_trailing_zeros = before(21, 9);
  options.json_quote_64bit_integers = before(25, 8);
  options.json_named_tuples_as_objects = !before(22, 6);
  return options;
}

}  // namespace chconn::text
