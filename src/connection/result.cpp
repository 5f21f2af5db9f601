#include "chconn/connection/result.h"

#include <array>
#include <charconv>
#include <cmath>
#include <concepts>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

#include "chconn/core/error.h"
#include "chconn/wire/columns.h"

namespace chconn {

namespace {

// The C++ type's name in messages.
template <class T>
std::string cpp_name() {
  if constexpr (std::same_as<T, bool>)
    return "bool";
  else if constexpr (std::same_as<T, std::string>)
    return "std::string";
  else if constexpr (std::same_as<T, std::string_view>)
    return "std::string_view";
  else if constexpr (std::same_as<T, float>)
    return "float";
  else if constexpr (std::same_as<T, double>)
    return "double";
  else if constexpr (std::same_as<T, Int128>)
    return "chconn::Int128";
  else if constexpr (std::same_as<T, UInt128>)
    return "chconn::UInt128";
  else if constexpr (std::same_as<T, Int256>)
    return "chconn::Int256";
  else if constexpr (std::same_as<T, UInt256>)
    return "chconn::UInt256";
  else if constexpr (std::same_as<T, Decimal>)
    return "chconn::Decimal";
  else if constexpr (std::same_as<T, UUID>)
    return "chconn::UUID";
  else if constexpr (std::same_as<T, IPv4>)
    return "chconn::IPv4";
  else if constexpr (std::same_as<T, IPv6>)
    return "chconn::IPv6";
  else if constexpr (std::signed_integral<T>)
    return "int" + std::to_string(8 * sizeof(T)) + "_t";
  else
    return "uint" + std::to_string(8 * sizeof(T)) + "_t";
}

// A value's cell after Nullable and LowCardinality are looked through; nullopt for NULL.
struct Cell {
  const Column* column;
  std::size_t row;
};

std::optional<Cell> unwrap(const Column& column, std::size_t row) {
  if (const auto* n = dynamic_cast<const ColumnNullable*>(&column)) {
    if (n->is_null(row)) return std::nullopt;
    return unwrap(n->nested(), row);
  }
  if (const auto* lc = dynamic_cast<const ColumnLowCardinality*>(&column)) {
    if (lc->is_null(row)) return std::nullopt;
    return unwrap(lc->dictionary(), lc->index(row));
  }
  return Cell{&column, row};
}

// The cell being read, with what a message about it needs.
struct Target {
  const Column& top;  // the column as the block has it (Nullable, LowCardinality...)
  const std::string& name;
  std::optional<Cell> cell;  // nullopt for NULL
};

[[noreturn]] void mismatch(const Target& t, const std::string& wanted, std::string_view why = {}) {
  std::string msg = "column '" + t.name + "' of type " + t.top.type()->name() + " cannot be read as " + wanted;
  if (!why.empty()) msg += ": " + std::string(why);
  throw Error(ErrorKind::usage, msg);
}

Target target(const Block& block, std::size_t row, std::size_t index) {
  if (index >= block.column_count()) {
    throw Error(ErrorKind::usage, "column index " + std::to_string(index) + " is out of range (the result has " +
                                      std::to_string(block.column_count()) + " columns)");
  }
  const Column& column = *block.column(index);
  return Target{column, block.name(index), unwrap(column, row)};
}

// false for a NULL that may be read (as std::optional); Error(usage) for one that may not.
bool present(const Target& t, bool optional, const std::string& wanted) {
  if (t.cell) return true;
  if (!optional) mismatch(t, wanted, "the value is NULL (read it as std::optional)");
  return false;
}

// ----- integers --------------------------------------------------------------------------------

// Any integer a column holds, as 256 bits of two's complement (sign-extended) and its sign, so
// that every range check is one test: the bits above the target's width are all copies of its
// sign. No arithmetic, so no overflow.
struct WideInt {
  std::array<std::uint64_t, 4> limbs{};
  bool negative = false;
};

WideInt wide(std::int64_t v) { return {Int256::from(v).limbs, v < 0}; }
WideInt wide(std::uint64_t v) { return {UInt256::from(v).limbs, false}; }

// Integer-like storage: integers of every width, Bool, Date, DateTime, DateTime64, Enum values,
// IPv4 (the numeric address).
std::optional<WideInt> integer_of(const Cell& c) {
  const Column& col = *c.column;
  if (auto* p = dynamic_cast<const ColumnUInt8*>(&col)) return wide(std::uint64_t{(*p)[c.row]});
  if (auto* p = dynamic_cast<const ColumnUInt16*>(&col)) return wide(std::uint64_t{(*p)[c.row]});
  if (auto* p = dynamic_cast<const ColumnUInt32*>(&col)) return wide(std::uint64_t{(*p)[c.row]});
  if (auto* p = dynamic_cast<const ColumnUInt64*>(&col)) return wide(std::uint64_t{(*p)[c.row]});
  if (auto* p = dynamic_cast<const ColumnInt8*>(&col)) return wide(std::int64_t{(*p)[c.row]});
  if (auto* p = dynamic_cast<const ColumnInt16*>(&col)) return wide(std::int64_t{(*p)[c.row]});
  if (auto* p = dynamic_cast<const ColumnInt32*>(&col)) return wide(std::int64_t{(*p)[c.row]});
  if (auto* p = dynamic_cast<const ColumnInt64*>(&col)) return wide(std::int64_t{(*p)[c.row]});
  if (auto* p = dynamic_cast<const ColumnUInt128*>(&col)) {
    const UInt128 v = (*p)[c.row];
    return WideInt{{static_cast<std::uint64_t>(v), static_cast<std::uint64_t>(v >> 64), 0, 0}, false};
  }
  if (auto* p = dynamic_cast<const ColumnInt128*>(&col)) {
    const Int128 v = (*p)[c.row];
    return WideInt{Int256::from_int128(v).limbs, v < 0};
  }
  if (auto* p = dynamic_cast<const ColumnUInt256*>(&col)) return WideInt{(*p)[c.row].limbs, false};
  if (auto* p = dynamic_cast<const ColumnInt256*>(&col)) return WideInt{(*p)[c.row].limbs, (*p)[c.row].negative()};
  if (auto* p = dynamic_cast<const ColumnBool*>(&col)) return wide(std::uint64_t{(*p)[c.row] ? 1u : 0u});
  if (auto* p = dynamic_cast<const ColumnDate*>(&col)) return wide(std::uint64_t{(*p)[c.row]});
  if (auto* p = dynamic_cast<const ColumnDate32*>(&col)) return wide(std::int64_t{(*p)[c.row]});
  if (auto* p = dynamic_cast<const ColumnDateTime*>(&col)) return wide(std::uint64_t{(*p)[c.row]});
  if (auto* p = dynamic_cast<const ColumnDateTime64*>(&col)) return wide(std::int64_t{(*p)[c.row]});
  if (auto* p = dynamic_cast<const ColumnEnum8*>(&col)) return wide(std::int64_t{(*p)[c.row]});
  if (auto* p = dynamic_cast<const ColumnEnum16*>(&col)) return wide(std::int64_t{(*p)[c.row]});
  if (auto* p = dynamic_cast<const ColumnIPv4*>(&col)) return wide(std::uint64_t{(*p)[c.row]});
  return std::nullopt;
}

// Whether `v` fits an integer of `bits` bits: every bit from the first one the type cannot hold
// (the sign bit of a signed type, bit `bits` of an unsigned one) up to bit 255 equals v's sign.
bool fits(const WideInt& v, int bits, bool is_signed) {
  if (v.negative && !is_signed) return false;
  const std::uint64_t fill = v.negative ? ~std::uint64_t{0} : 0;
  for (int bit = is_signed ? bits - 1 : bits; bit < 256; ++bit) {
    const bool set = (v.limbs[static_cast<std::size_t>(bit / 64)] >> (bit % 64)) & 1u;
    if (set != (fill != 0)) return false;
  }
  return true;
}

template <class T>
constexpr int bits_of() {
  if constexpr (std::same_as<T, Int256> || std::same_as<T, UInt256>)
    return 256;
  else
    return 8 * sizeof(T);
}

template <class T>
constexpr bool signed_target() {
  if constexpr (std::same_as<T, Int128> || std::same_as<T, Int256>)
    return true;
  else if constexpr (std::same_as<T, UInt128> || std::same_as<T, UInt256>)
    return false;
  else
    return std::numeric_limits<T>::is_signed;
}

// The low bits of `v` as T (v is known to fit).
template <class T>
T narrow(const WideInt& v) {
  if constexpr (std::same_as<T, Int256>)
    return Int256{v.limbs};
  else if constexpr (std::same_as<T, UInt256>)
    return UInt256{v.limbs};
  else if constexpr (sizeof(T) == 16)
    return static_cast<T>((static_cast<UInt128>(v.limbs[1]) << 64) | v.limbs[0]);
  else
    return static_cast<T>(v.limbs[0]);  // modular, and exact since v fits
}

template <class T>
bool read_integer(const Target& t, T& out, bool optional) {
  if (!present(t, optional, cpp_name<T>())) return false;
  const auto v = integer_of(*t.cell);
  if (!v) mismatch(t, cpp_name<T>());
  if (!fits(*v, bits_of<T>(), signed_target<T>())) mismatch(t, cpp_name<T>(), "the value does not fit");
  out = narrow<T>(*v);
  return true;
}

// ----- floating point --------------------------------------------------------------------------

// The nearest T to the decimal number `text` (from_chars rounds correctly); nullopt when it is
// beyond T's range.
template <class T>
std::optional<T> nearest(const std::string& text) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<Decimal> decimal_of(const Cell& c) {
  const Column& col = *c.column;
  if (auto* p = dynamic_cast<const ColumnDecimal32*>(&col)) return Decimal{Int256::from((*p)[c.row]), p->scale()};
  if (auto* p = dynamic_cast<const ColumnDecimal64*>(&col)) return Decimal{Int256::from((*p)[c.row]), p->scale()};
  if (auto* p = dynamic_cast<const ColumnDecimal128*>(&col))
    return Decimal{Int256::from_int128((*p)[c.row]), p->scale()};
  if (auto* p = dynamic_cast<const ColumnDecimal256*>(&col)) return Decimal{(*p)[c.row], p->scale()};
  return std::nullopt;
}

template <std::floating_point T>
bool read_floating(const Target& t, T& out, bool optional) {
  if (!present(t, optional, cpp_name<T>())) return false;
  const Cell& c = *t.cell;
  if (auto* p = dynamic_cast<const ColumnFloat32*>(c.column)) {
    out = static_cast<T>((*p)[c.row]);
    return true;
  }
  if (auto* p = dynamic_cast<const ColumnBFloat16*>(c.column)) {
    out = static_cast<T>(p->value(c.row));
    return true;
  }
  if (auto* p = dynamic_cast<const ColumnFloat64*>(c.column)) {
    const double v = (*p)[c.row];
    // A finite double beyond float's range has no nearest float.
    if (std::isfinite(v) && std::fabs(v) > static_cast<double>(std::numeric_limits<T>::max()))
      mismatch(t, cpp_name<T>(), "the value does not fit");
    out = static_cast<T>(v);
    return true;
  }
  std::optional<T> v;
  if (auto d = decimal_of(c)) {
    v = nearest<T>(to_string(*d));
  } else if (auto i = integer_of(c)) {
    if (fits(*i, 64, true))
      v = static_cast<T>(narrow<std::int64_t>(*i));
    else if (fits(*i, 64, false))
      v = static_cast<T>(narrow<std::uint64_t>(*i));
    else
      v = nearest<T>(i->negative ? to_string(Int256{i->limbs}) : to_string(UInt256{i->limbs}));
  } else {
    mismatch(t, cpp_name<T>());
  }
  if (!v) mismatch(t, cpp_name<T>(), "the value does not fit");
  out = *v;
  return true;
}

// ----- the rest --------------------------------------------------------------------------------

template <class T>
bool read_text(const Target& t, T& out, bool optional) {
  if (!present(t, optional, cpp_name<T>())) return false;
  const Cell& c = *t.cell;
  if (auto* p = dynamic_cast<const ColumnString*>(c.column)) {
    out = T((*p)[c.row]);
    return true;
  }
  if (auto* p = dynamic_cast<const ColumnFixedString*>(c.column)) {
    out = T((*p)[c.row]);
    return true;
  }
  const std::string* s = nullptr;
  if (auto* p = dynamic_cast<const ColumnEnum8*>(c.column)) s = p->name_at(c.row);
  if (auto* p = dynamic_cast<const ColumnEnum16*>(c.column)) s = p->name_at(c.row);
  if (!s) mismatch(t, cpp_name<T>());
  out = T(*s);
  return true;
}

// A value of a column class C that holds T itself (UUID, IPv6).
template <class C, class T>
bool read_exact(const Target& t, T& out, bool optional) {
  if (!present(t, optional, cpp_name<T>())) return false;
  auto* p = dynamic_cast<const C*>(t.cell->column);
  if (!p) mismatch(t, cpp_name<T>());
  out = (*p)[t.cell->row];
  return true;
}

std::size_t index_of(const Block& block, std::string_view name) {
  for (std::size_t i = 0; i < block.column_count(); ++i)
    if (block.name(i) == name) return i;
  std::string names;
  for (std::size_t i = 0; i < block.column_count(); ++i) names += (i ? ", " : "") + block.name(i);
  throw Error(ErrorKind::usage, "no column '" + std::string(name) + "' in the result (columns: " + names + ")");
}

// ----- time ------------------------------------------------------------------------------------

Int128 gcd(Int128 a, Int128 b) {
  while (b != 0) {
    const Int128 r = a % b;
    a = b;
    b = r;
  }
  return a;
}

// The name of std::chrono::duration<Rep, ratio<num, den>> in messages.
std::string duration_name(std::intmax_t num, std::intmax_t den, bool rep_signed, std::size_t rep_size) {
  const bool standard_rep = rep_signed && rep_size == 8;
  std::string period;
  if (num == 1 && den == 1)
    period = "seconds";
  else if (num == 1 && den == 1000)
    period = "milliseconds";
  else if (num == 1 && den == 1'000'000)
    period = "microseconds";
  else if (num == 1 && den == 1'000'000'000)
    period = "nanoseconds";
  else if (num == 60 && den == 1)
    period = "minutes";
  else if (num == 3600 && den == 1)
    period = "hours";
  else if (num == 86400 && den == 1)
    period = "days";
  if (standard_rep && !period.empty()) return "std::chrono::" + period;
  return "std::chrono::duration<" + std::string(rep_signed ? "int" : "uint") + std::to_string(8 * rep_size) +
         "_t, ratio<" + std::to_string(num) + ", " + std::to_string(den) + ">>";
}

std::string time_point_name(std::intmax_t num, std::intmax_t den, bool rep_signed, std::size_t rep_size) {
  const bool standard_rep = rep_signed && rep_size == 8;
  if (standard_rep && num == 86400 && den == 1) return "std::chrono::sys_days";
  if (standard_rep && num == 1 && den == 1) return "std::chrono::sys_seconds";
  return "std::chrono::sys_time<" + duration_name(num, den, rep_signed, rep_size) + ">";
}

// `ticks` of unit_num / unit_den seconds as an exact count of num / den seconds within [min, max];
// Error(usage) when it is not a whole count or does not fit (`text`: the value in its own unit).
Int128 exact_count(const Target& t, const std::string& wanted, Int128 ticks, Int128 unit_num, Int128 unit_den,
                   std::intmax_t num, std::intmax_t den, Int128 min, Int128 max, const std::string& text) {
  // count = ticks * (unit_num / unit_den) / (num / den) = ticks * a / b. The products stay far
  // inside Int128: |ticks * unit_num| <= 2^63 (a Date32 in seconds, or DateTime64 or Time64
  // ticks), den and num <= 2^63, unit_den <= 10^9.
  Int128 a = unit_num * den, b = unit_den * num;
  const Int128 g = gcd(a, b);
  a /= g;
  b /= g;
  const Int128 scaled = ticks * a;
  if (scaled % b != 0) {
    mismatch(t, wanted,
             "the value (" + text +
                 ") is not a whole number of the duration's ticks, and is never truncated; read it with a finer "
                 "duration");
  }
  const Int128 count = scaled / b;
  if (count < min || count > max) mismatch(t, wanted, "the value (" + text + ") does not fit");
  return count;
}

}  // namespace

std::size_t ResultRow::column_index(std::string_view name) const { return index_of(*block_, name); }

bool ResultRow::is_null(std::string_view name) const { return !unwrap(*block_->column(index_of(*block_, name)), row_); }

// T is a type, which cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define CHCONN_READ(T, how)                                               \
  bool ResultRow::read(std::size_t column, T& out, bool optional) const { \
    return how(target(*block_, row_, column), out, optional);             \
  }
// NOLINTEND(bugprone-macro-parentheses)
CHCONN_READ(signed char, read_integer)
CHCONN_READ(short, read_integer)
CHCONN_READ(int, read_integer)
CHCONN_READ(long, read_integer)
CHCONN_READ(long long, read_integer)
CHCONN_READ(unsigned char, read_integer)
CHCONN_READ(unsigned short, read_integer)
CHCONN_READ(unsigned, read_integer)
CHCONN_READ(unsigned long, read_integer)
CHCONN_READ(unsigned long long, read_integer)
CHCONN_READ(Int128, read_integer)
CHCONN_READ(UInt128, read_integer)
CHCONN_READ(Int256, read_integer)
CHCONN_READ(UInt256, read_integer)
CHCONN_READ(float, read_floating)
CHCONN_READ(double, read_floating)
CHCONN_READ(std::string, read_text)
CHCONN_READ(std::string_view, read_text)
#undef CHCONN_READ

bool ResultRow::read(std::size_t column, bool& out, bool optional) const {
  const Target t = target(*block_, row_, column);
  if (!present(t, optional, "bool")) return false;
  const auto v = integer_of(*t.cell);
  if (!v) mismatch(t, "bool");
  out = v->limbs != std::array<std::uint64_t, 4>{};
  return true;
}

bool ResultRow::read(std::size_t column, Decimal& out, bool optional) const {
  const Target t = target(*block_, row_, column);
  if (!present(t, optional, cpp_name<Decimal>())) return false;
  const auto d = decimal_of(*t.cell);
  if (!d) mismatch(t, cpp_name<Decimal>());
  out = *d;
  return true;
}

bool ResultRow::read(std::size_t column, UUID& out, bool optional) const {
  return read_exact<ColumnUUID>(target(*block_, row_, column), out, optional);
}

bool ResultRow::read(std::size_t column, IPv6& out, bool optional) const {
  return read_exact<ColumnIPv6>(target(*block_, row_, column), out, optional);
}

bool ResultRow::read(std::size_t column, IPv4& out, bool optional) const {
  const Target t = target(*block_, row_, column);
  if (!present(t, optional, cpp_name<IPv4>())) return false;
  auto* p = dynamic_cast<const ColumnIPv4*>(t.cell->column);
  if (!p) mismatch(t, cpp_name<IPv4>());
  out = IPv4{(*p)[t.cell->row]};
  return true;
}

std::optional<Int128> ResultRow::read_time(std::size_t column, bool optional, std::intmax_t num, std::intmax_t den,
                                           Int128 min, Int128 max, bool rep_signed, std::size_t rep_size) const {
  const Target t = target(*block_, row_, column);
  const std::string wanted = time_point_name(num, den, rep_signed, rep_size);
  if (!present(t, optional, wanted)) return std::nullopt;
  // The cell as `ticks` of unit_num / unit_den seconds.
  const Cell& c = *t.cell;
  Int128 ticks = 0, unit_num = 1, unit_den = 1;
  std::string text;  // the value in its own unit, for messages
  if (auto* p = dynamic_cast<const ColumnDate*>(c.column)) {
    ticks = (*p)[c.row];
    unit_num = 86400;
    text = std::to_string((*p)[c.row]) + " days";
  } else if (auto* p32 = dynamic_cast<const ColumnDate32*>(c.column)) {
    ticks = (*p32)[c.row];
    unit_num = 86400;
    text = std::to_string((*p32)[c.row]) + " days";
  } else if (auto* dt = dynamic_cast<const ColumnDateTime*>(c.column)) {
    ticks = (*dt)[c.row];
    text = std::to_string((*dt)[c.row]) + " seconds";
  } else if (auto* dt64 = dynamic_cast<const ColumnDateTime64*>(c.column)) {
    ticks = (*dt64)[c.row];
    for (std::uint32_t i = 0; i < dt64->precision(); ++i) unit_den *= 10;
    text = format_decimal((*dt64)[c.row], dt64->precision()) + " seconds";
  } else {
    mismatch(t, wanted);
  }
  return exact_count(t, wanted, ticks, unit_num, unit_den, num, den, min, max, text + " since 1970-01-01");
}

std::optional<Int128> ResultRow::read_duration(std::size_t column, bool optional, std::intmax_t num, std::intmax_t den,
                                               Int128 min, Int128 max, bool rep_signed, std::size_t rep_size) const {
  const Target t = target(*block_, row_, column);
  const std::string wanted = duration_name(num, den, rep_signed, rep_size);
  if (!present(t, optional, wanted)) return std::nullopt;
  const Cell& c = *t.cell;
  Int128 ticks = 0, unit_den = 1;
  std::string text;
  if (auto* p = dynamic_cast<const ColumnTime*>(c.column)) {
    ticks = (*p)[c.row];
    text = std::to_string((*p)[c.row]) + " seconds";
  } else if (auto* p64 = dynamic_cast<const ColumnTime64*>(c.column)) {
    ticks = (*p64)[c.row];
    for (std::uint32_t i = 0; i < p64->precision(); ++i) unit_den *= 10;
    text = format_decimal((*p64)[c.row], p64->precision()) + " seconds";
  } else {
    mismatch(t, wanted);
  }
  return exact_count(t, wanted, ticks, 1, unit_den, num, den, min, max, text);
}

std::size_t Result::row_count() const noexcept {
  std::size_t n = 0;
  for (const Block& b : blocks) n += b.rows();
  return n;
}

std::size_t Result::column_index(std::string_view name) const { return index_of(header, name); }

ResultRow Result::row(std::size_t index) const& {
  std::size_t i = index;
  for (const Block& b : blocks) {
    if (i < b.rows()) return ResultRow(b, i);
    i -= b.rows();
  }
  throw Error(ErrorKind::usage, "row " + std::to_string(index) + " is out of range (the result has " +
                                    std::to_string(row_count()) + " rows)");
}

}  // namespace chconn
