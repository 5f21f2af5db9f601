// The value readers of scalar types (see input_parser.h): integers of every width, floats, Bool,
// strings, UUID, IPv4, IPv6, decimals and enums, from one field's text, SQL literal or JSON value,
// with ClickHouse 18.16's rules. Dates and times are in time_readers.cpp.
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

#include "chconn/core/error.h"
#include "core/strings.h"
#include "format/input_parser.h"

namespace chconn::text::detail {
namespace {

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

}  // namespace

ReaderPtr make_scalar_reader(Column& column) {
  switch (column.type()->storage_type().code()) {
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
    case TypeCode::UUID: return std::make_unique<UUIDReader>(column);
    case TypeCode::IPv4: return std::make_unique<IPv4Reader>(column);
    case TypeCode::IPv6: return std::make_unique<IPv6Reader>(column);
    case TypeCode::Decimal32: return std::make_unique<DecimalReader<std::int32_t>>(column);
    case TypeCode::Decimal64: return std::make_unique<DecimalReader<std::int64_t>>(column);
    case TypeCode::Decimal128: return std::make_unique<DecimalReader<Int128>>(column);
    case TypeCode::Decimal256: return std::make_unique<DecimalReader<Int256>>(column);
    case TypeCode::Enum8: return std::make_unique<EnumReader<std::int8_t>>(column);
    case TypeCode::Enum16: return std::make_unique<EnumReader<std::int16_t>>(column);
    default: return nullptr;
  }
}

}  // namespace chconn::text::detail
