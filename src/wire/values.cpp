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

// The value types of wire/types.h: wide integers, Decimal, UUID and the IP addresses, with their
// text forms.
namespace chconn {

using detail::hex_value;

// ===== Wide integers ==============================================================================

namespace {

constexpr std::uint64_t k_pow10_19 = 10'000'000'000'000'000'000ull;

// Decimal digits of a 256-bit magnitude: repeated long division by 10^19 over the limbs.
std::string magnitude_to_string(std::array<std::uint64_t, 4> limbs) {
  std::string out;
  for (;;) {
    std::uint64_t rem = 0;
    bool nonzero = false;
    for (int i = 3; i >= 0; --i) {
      const UInt128 cur = (static_cast<UInt128>(rem) << 64) | limbs[static_cast<std::size_t>(i)];
      limbs[static_cast<std::size_t>(i)] = static_cast<std::uint64_t>(cur / k_pow10_19);
      rem = static_cast<std::uint64_t>(cur % k_pow10_19);
      nonzero = nonzero || limbs[static_cast<std::size_t>(i)] != 0;
    }
    // `rem` holds the next 19 digits, least significant group first.
    char chunk[19];
    for (int i = 18; i >= 0; --i) {
      chunk[i] = static_cast<char>('0' + rem % 10);
      rem /= 10;
    }
    out.insert(0, chunk, 19);
    if (!nonzero) break;
  }
  const auto first = out.find_first_not_of('0');
  return first == std::string::npos ? "0" : out.substr(first);
}

std::array<std::uint64_t, 4> negate(std::array<std::uint64_t, 4> limbs) {
  std::uint64_t carry = 1;
  for (auto& limb : limbs) {
    const std::uint64_t v = ~limb + carry;
    carry = (carry && v == 0) ? 1 : 0;
    limb = v;
  }
  return limbs;
}

std::array<std::uint64_t, 4> limbs_of(UInt128 v) {
  return {static_cast<std::uint64_t>(v), static_cast<std::uint64_t>(v >> 64), 0, 0};
}

std::string insert_point(std::string digits, bool negative, std::uint32_t scale) {
  if (scale > 0) {
    if (digits.size() <= scale) digits.insert(0, scale + 1 - digits.size(), '0');
    digits.insert(digits.size() - scale, 1, '.');
  }
  if (negative) digits.insert(0, 1, '-');
  return digits;
}

}  // namespace

std::string to_string(UInt128 v) { return magnitude_to_string(limbs_of(v)); }

std::string to_string(Int128 v) {
  if (v >= 0) return to_string(static_cast<UInt128>(v));
  // Negate in unsigned arithmetic so that the minimum value has a magnitude too.
  return "-" + to_string(static_cast<UInt128>(0) - static_cast<UInt128>(v));
}

std::string to_string(const UInt256& v) { return magnitude_to_string(v.limbs); }

std::string to_string(const Int256& v) {
  if (!v.negative()) return magnitude_to_string(v.limbs);
  return "-" + magnitude_to_string(negate(v.limbs));
}

std::string format_decimal(std::int64_t raw, std::uint32_t scale) {
  const bool neg = raw < 0;
  const std::uint64_t mag = neg ? 0 - static_cast<std::uint64_t>(raw) : static_cast<std::uint64_t>(raw);
  return insert_point(std::to_string(mag), neg, scale);
}

std::string format_decimal(Int128 raw, std::uint32_t scale) {
  const bool neg = raw < 0;
  const UInt128 mag = neg ? static_cast<UInt128>(0) - static_cast<UInt128>(raw) : static_cast<UInt128>(raw);
  return insert_point(to_string(mag), neg, scale);
}

std::string format_decimal(const Int256& raw, std::uint32_t scale) {
  const bool neg = raw.negative();
  return insert_point(magnitude_to_string(neg ? negate(raw.limbs) : raw.limbs), neg, scale);
}

// ===== Decimal values =============================================================================

namespace {

constexpr std::uint32_t k_max_decimal_scale = 76;

void check_scale(const Decimal& d) {
  if (d.scale > k_max_decimal_scale) {
    throw Error(ErrorKind::usage, "a Decimal's scale is at most 76 digits, not " + std::to_string(d.scale));
  }
}

// A decimal's magnitude split at the point, without leading zeros in the integer part or trailing
// zeros in the fraction, so that equal values have equal parts whatever their scale.
struct DecimalParts {
  bool negative = false;
  std::string integer;
  std::string fraction;
};

DecimalParts parts_of(const Decimal& d) {
  check_scale(d);
  DecimalParts p;
  p.negative = d.unscaled.negative();
  std::string digits = magnitude_to_string(p.negative ? negate(d.unscaled.limbs) : d.unscaled.limbs);
  if (digits.size() <= d.scale) digits.insert(0, d.scale + 1 - digits.size(), '0');
  p.integer = digits.substr(0, digits.size() - d.scale);
  p.fraction = digits.substr(digits.size() - d.scale);
  p.integer.erase(0, std::min(p.integer.find_first_not_of('0'), p.integer.size()));
  while (!p.fraction.empty() && p.fraction.back() == '0') p.fraction.pop_back();
  if (p.integer.empty() && p.fraction.empty()) p.negative = false;  // -0 is 0
  return p;
}

std::weak_ordering compare_magnitudes(const DecimalParts& a, const DecimalParts& b) {
  if (a.integer.size() != b.integer.size()) return a.integer.size() <=> b.integer.size();
  if (const int c = a.integer.compare(b.integer); c != 0) return c <=> 0;
  // Without trailing zeros, the fractions compare as strings: a prefix is the smaller.
  return a.fraction.compare(b.fraction) <=> 0;
}

}  // namespace

std::string to_string(const Decimal& value) {
  check_scale(value);
  return format_decimal(value.unscaled, value.scale);
}

Decimal::operator double() const {
  const std::string text = to_string(*this);
  double v = 0;
  // from_chars rounds to the nearest double; a Decimal's at most 77 digits are within range.
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

bool operator==(const Decimal& a, const Decimal& b) { return (a <=> b) == 0; }

std::weak_ordering operator<=>(const Decimal& a, const Decimal& b) {
  const DecimalParts pa = parts_of(a), pb = parts_of(b);
  if (pa.negative != pb.negative) return pa.negative ? std::weak_ordering::less : std::weak_ordering::greater;
  const std::weak_ordering m = compare_magnitudes(pa, pb);
  return pa.negative ? 0 <=> m : m;
}

// ===== UUID and IP addresses ======================================================================

std::optional<UUID> UUID::parse(std::string_view text) noexcept {
  if (text.size() != 36) return std::nullopt;
  std::uint64_t halves[2] = {0, 0};
  int digit = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      continue;
    }
    const int v = hex_value(text[i]);
    if (v < 0) return std::nullopt;
    auto& half = halves[digit / 16];
    half = (half << 4) | static_cast<std::uint64_t>(v);
    ++digit;
  }
  return UUID{halves[0], halves[1]};
}

std::string to_string(const UUID& uuid) {
  std::string out;
  out.reserve(36);
  const std::uint64_t halves[2] = {uuid.hi, uuid.lo};
  for (int digit = 0; digit < 32; ++digit) {
    if (digit == 8 || digit == 12 || digit == 16 || digit == 20) out.push_back('-');
    const std::uint64_t half = halves[digit / 16];
    out.push_back(detail::hex_digit(static_cast<unsigned>(half >> (60 - 4 * (digit % 16)))));
  }
  return out;
}

std::string ipv4_to_string(std::uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." + std::to_string(address & 0xff);
}

std::string to_string(const IPv4& address) { return ipv4_to_string(address.address); }

std::string to_string(const IPv6& address) {
  const auto& b = address.bytes;
  // IPv4-mapped addresses (::ffff:a.b.c.d) print their IPv4 part in dotted form, as the server does.
  if (std::all_of(b.begin(), b.begin() + 10, [](std::uint8_t x) { return x == 0; }) && b[10] == 0xff && b[11] == 0xff) {
    return "::ffff:" + ipv4_to_string((std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) |
                                      (std::uint32_t{b[14]} << 8) | b[15]);
  }
  std::uint16_t groups[8];
  for (int i = 0; i < 8; ++i)
    groups[i] = static_cast<std::uint16_t>((b[2 * std::size_t(i)] << 8) | b[2 * std::size_t(i) + 1]);
  // RFC 5952: compress the longest run (the first of equals) of two or more zero groups.
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_len && j - i >= 2) best = i, best_len = j - i;
    i = j;
  }
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out.push_back(':');
    char buf[8];
    auto r = std::to_chars(buf, buf + sizeof buf, groups[i], 16);
    out.append(buf, r.ptr);
  }
  return out;
}

}  // namespace chconn
