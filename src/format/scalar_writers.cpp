// The writers of scalar types behind text::ValueWriter (see value_writer.h): numbers, strings,
// dates and times, UUIDs, addresses, decimals and enums, in each escaping; and the date and time
// text (text::append_date, text::append_date_time), here with the writers that use it per row.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include "chconn/wire/columns.h"
#include "format/timezone.h"
#include "format/value_writer.h"

namespace chconn::text {
namespace {

// ---- date and time text, for the writers and for append_date and append_date_time -------------

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

void append_date(std::string& out, std::int64_t days) { append_date_fields(out, days); }

void append_date_time(std::string& out, std::int64_t seconds, std::string_view time_zone, const TimeZones* zones) {
  const std::string_view name = time_zone.empty() ? std::string_view("UTC") : time_zone;
  const auto zone = zones ? zones->find(name) : TimeZones().find(name);
  append_local_date_time(out, seconds, *zone, false);
}

namespace detail {
namespace {

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

template <template <class> class W, class C>
ImplPtr make(const Column& column, Escaping esc, const FormatOptions& options) {
  return std::make_unique<W<C>>(column, esc, options);
}

}  // namespace

ImplPtr make_scalar_writer(const Column& column, Escaping esc, const FormatOptions& options) {
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
    case TypeCode::Nullable:
    case TypeCode::Array:
    case TypeCode::Nested:
    case TypeCode::Tuple:
    case TypeCode::Map:
    case TypeCode::LowCardinality:
    case TypeCode::Variant:
    case TypeCode::Dynamic:
    case TypeCode::JSON:
    case TypeCode::SimpleAggregateFunction: break;  // types that hold others (value_writer.cpp)
  }
  return nullptr;
}

}  // namespace detail
}  // namespace chconn::text
