#include "chconn/wire/types.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <string>
#include <utility>

#include "chconn/core/error.h"

namespace chconn {

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

namespace {
constexpr char k_hex[] = "0123456789abcdef";

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

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
    out.push_back(k_hex[(half >> (60 - 4 * (digit % 16))) & 0xf]);
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
  for (int i = 0; i < 8; ++i) groups[i] = static_cast<std::uint16_t>((b[2 * i] << 8) | b[2 * i + 1]);
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

// ===== Type names =================================================================================

std::string_view to_string(TypeCode code) noexcept {
  switch (code) {
    case TypeCode::Nothing: return "Nothing";
    case TypeCode::UInt8: return "UInt8";
    case TypeCode::UInt16: return "UInt16";
    case TypeCode::UInt32: return "UInt32";
    case TypeCode::UInt64: return "UInt64";
    case TypeCode::UInt128: return "UInt128";
    case TypeCode::UInt256: return "UInt256";
    case TypeCode::Int8: return "Int8";
    case TypeCode::Int16: return "Int16";
    case TypeCode::Int32: return "Int32";
    case TypeCode::Int64: return "Int64";
    case TypeCode::Int128: return "Int128";
    case TypeCode::Int256: return "Int256";
    case TypeCode::Float32: return "Float32";
    case TypeCode::Float64: return "Float64";
    case TypeCode::Bool: return "Bool";
    case TypeCode::String: return "String";
    case TypeCode::FixedString: return "FixedString";
    case TypeCode::Date: return "Date";
    case TypeCode::Date32: return "Date32";
    case TypeCode::DateTime: return "DateTime";
    case TypeCode::DateTime64: return "DateTime64";
    case TypeCode::UUID: return "UUID";
    case TypeCode::IPv4: return "IPv4";
    case TypeCode::IPv6: return "IPv6";
    case TypeCode::Decimal32: return "Decimal32";
    case TypeCode::Decimal64: return "Decimal64";
    case TypeCode::Decimal128: return "Decimal128";
    case TypeCode::Decimal256: return "Decimal256";
    case TypeCode::Enum8: return "Enum8";
    case TypeCode::Enum16: return "Enum16";
    case TypeCode::Nullable: return "Nullable";
    case TypeCode::Array: return "Array";
    case TypeCode::Tuple: return "Tuple";
    case TypeCode::Map: return "Map";
    case TypeCode::LowCardinality: return "LowCardinality";
    case TypeCode::Nested: return "Nested";
    case TypeCode::SimpleAggregateFunction: return "SimpleAggregateFunction";
    case TypeCode::Variant: return "Variant";
    case TypeCode::Dynamic: return "Dynamic";
    case TypeCode::BFloat16: return "BFloat16";
    case TypeCode::Time: return "Time";
    case TypeCode::Time64: return "Time64";
    case TypeCode::JSON: return "JSON";
  }
  return "?";
}

namespace {

[[noreturn]] void bad_type(std::string message) { throw Error(ErrorKind::usage, std::move(message)); }

// The server's quoted-string form (writeQuotedString): backslash escapes for the quote, the
// backslash and the control characters it names; other bytes as they are.
void append_quoted(std::string& out, std::string_view s, char quote) {
  out.push_back(quote);
  for (const char c : s) {
    switch (c) {
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\0': out += "\\0"; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c == quote) out.push_back('\\');
        out.push_back(c);
    }
  }
  out.push_back(quote);
}

bool is_ident_begin(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ident_char(char c) noexcept { return is_ident_begin(c) || (c >= '0' && c <= '9'); }

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

// Tuple element names are written bare when they are plain identifiers (backQuoteIfNeed), except
// for the few the server always quotes because they would re-parse as keywords.
void append_element_name(std::string& out, std::string_view name) {
  const bool plain = !name.empty() && is_ident_begin(name[0]) && std::all_of(name.begin(), name.end(), is_ident_char) &&
                     !iequals(name, "null") && !iequals(name, "distinct") && !iequals(name, "all") &&
                     !iequals(name, "table") && !iequals(name, "select");
  if (plain) {
    out += name;
  } else {
    append_quoted(out, name, '`');
  }
}

std::size_t simple_value_size(TypeCode code) noexcept {
  switch (code) {
    case TypeCode::Nothing:
    case TypeCode::UInt8:
    case TypeCode::Int8:
    case TypeCode::Bool:
    case TypeCode::Enum8: return 1;
    case TypeCode::UInt16:
    case TypeCode::Int16:
    case TypeCode::Date:
    case TypeCode::BFloat16:
    case TypeCode::Enum16: return 2;
    case TypeCode::UInt32:
    case TypeCode::Int32:
    case TypeCode::Float32:
    case TypeCode::Date32:
    case TypeCode::DateTime:
    case TypeCode::Time:
    case TypeCode::IPv4:
    case TypeCode::Decimal32: return 4;
    case TypeCode::UInt64:
    case TypeCode::Int64:
    case TypeCode::Float64:
    case TypeCode::DateTime64:
    case TypeCode::Time64:
    case TypeCode::Decimal64: return 8;
    case TypeCode::UInt128:
    case TypeCode::Int128:
    case TypeCode::UUID:
    case TypeCode::IPv6:
    case TypeCode::Decimal128: return 16;
    case TypeCode::UInt256:
    case TypeCode::Int256:
    case TypeCode::Decimal256: return 32;
    default: return 0;
  }
}

}  // namespace

Type::Type(Private, TypeCode code) : code_(code), value_size_(simple_value_size(code)) {}

TypeRef Type::simple(TypeCode code) {
  switch (code) {
    case TypeCode::Nothing:
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
    case TypeCode::Bool:
    case TypeCode::String:
    case TypeCode::Date:
    case TypeCode::Date32:
    case TypeCode::DateTime:
    case TypeCode::Time:
    case TypeCode::UUID:
    case TypeCode::IPv4:
    case TypeCode::IPv6: break;
    default: bad_type("type " + std::string(to_string(code)) + " needs parameters; use its own factory");
  }
  auto t = std::make_shared<Type>(Private{}, code);
  t->name_ = std::string(to_string(code));
  return t;
}

TypeRef Type::fixed_string(std::size_t n) {
  if (n == 0 || n > 0xFFFFFF) bad_type("FixedString size must be between 1 and 16777215, not " + std::to_string(n));
  auto t = std::make_shared<Type>(Private{}, TypeCode::FixedString);
  t->value_size_ = n;
  t->name_ = "FixedString(" + std::to_string(n) + ")";
  return t;
}

TypeRef Type::date_time(std::string time_zone) {
  auto t = std::make_shared<Type>(Private{}, TypeCode::DateTime);
  t->name_ = "DateTime";
  if (!time_zone.empty()) {
    t->name_ += '(';
    append_quoted(t->name_, time_zone, '\'');
    t->name_ += ')';
  }
  t->text_ = std::move(time_zone);
  return t;
}

TypeRef Type::date_time64(std::uint32_t precision, std::string time_zone) {
  if (precision > 9) bad_type("DateTime64 precision must be between 0 and 9, not " + std::to_string(precision));
  auto t = std::make_shared<Type>(Private{}, TypeCode::DateTime64);
  t->precision_ = precision;
  t->name_ = "DateTime64(" + std::to_string(precision);
  if (!time_zone.empty()) {
    t->name_ += ", ";
    append_quoted(t->name_, time_zone, '\'');
  }
  t->name_ += ')';
  t->text_ = std::move(time_zone);
  return t;
}

TypeRef Type::time64(std::uint32_t precision) {
  if (precision > 9) bad_type("Time64 precision must be between 0 and 9, not " + std::to_string(precision));
  auto t = std::make_shared<Type>(Private{}, TypeCode::Time64);
  t->precision_ = precision;
  t->name_ = "Time64(" + std::to_string(precision) + ")";
  return t;
}

TypeRef Type::decimal(std::uint32_t precision, std::uint32_t scale) {
  if (precision < 1 || precision > 76) {
    bad_type("Decimal precision must be between 1 and 76, not " + std::to_string(precision));
  }
  if (scale > precision) {
    bad_type("Decimal scale " + std::to_string(scale) + " exceeds its precision " + std::to_string(precision));
  }
  const TypeCode code = precision <= 9    ? TypeCode::Decimal32
                        : precision <= 18 ? TypeCode::Decimal64
                        : precision <= 38 ? TypeCode::Decimal128
                                          : TypeCode::Decimal256;
  auto t = std::make_shared<Type>(Private{}, code);
  t->precision_ = precision;
  t->scale_ = scale;
  t->name_ = "Decimal(" + std::to_string(precision) + ", " + std::to_string(scale) + ")";
  return t;
}

TypeRef Type::make_enum(TypeCode code, std::vector<EnumItem> items) {
  const char* family = code == TypeCode::Enum8 ? "Enum8" : "Enum16";
  if (items.empty()) bad_type(std::string(family) + " needs at least one item");
  if (items.size() > 65536) bad_type(std::string(family) + " has more items than values");
  const int lo = code == TypeCode::Enum8 ? -128 : -32768;
  const int hi = code == TypeCode::Enum8 ? 127 : 32767;
  for (const auto& item : items) {
    if (item.value < lo || item.value > hi) {
      bad_type(std::string(family) + " value " + std::to_string(item.value) + " of '" + item.name +
               "' is out of range");
    }
  }
  // The server sorts the items by value, and so does its canonical name.
  std::stable_sort(items.begin(), items.end(), [](const EnumItem& a, const EnumItem& b) { return a.value < b.value; });
  for (std::size_t i = 1; i < items.size(); ++i) {
    if (items[i].value == items[i - 1].value) {
      bad_type(std::string(family) + " value " + std::to_string(items[i].value) + " is used twice");
    }
  }
  auto t = std::make_shared<Type>(Private{}, code);
  t->enum_by_name_.resize(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) t->enum_by_name_[i] = static_cast<std::uint16_t>(i);
  std::sort(t->enum_by_name_.begin(), t->enum_by_name_.end(),
            [&](std::uint16_t a, std::uint16_t b) { return items[a].name < items[b].name; });
  for (std::size_t i = 1; i < items.size(); ++i) {
    if (items[t->enum_by_name_[i]].name == items[t->enum_by_name_[i - 1]].name) {
      bad_type(std::string(family) + " name '" + items[t->enum_by_name_[i]].name + "' is used twice");
    }
  }
  t->name_ = family;
  t->name_ += '(';
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) t->name_ += ", ";
    append_quoted(t->name_, items[i].name, '\'');
    t->name_ += " = ";
    t->name_ += std::to_string(items[i].value);
  }
  t->name_ += ')';
  t->enum_items_ = std::move(items);
  return t;
}

TypeRef Type::enum8(std::vector<EnumItem> items) { return make_enum(TypeCode::Enum8, std::move(items)); }
TypeRef Type::enum16(std::vector<EnumItem> items) { return make_enum(TypeCode::Enum16, std::move(items)); }

std::optional<std::int16_t> Type::enum_value(std::string_view name) const noexcept {
  auto it = std::lower_bound(enum_by_name_.begin(), enum_by_name_.end(), name,
                             [&](std::uint16_t i, std::string_view n) { return enum_items_[i].name < n; });
  if (it == enum_by_name_.end() || enum_items_[*it].name != name) return std::nullopt;
  return enum_items_[*it].value;
}

const std::string* Type::enum_name(std::int16_t value) const noexcept {
  auto it = std::lower_bound(enum_items_.begin(), enum_items_.end(), value,
                             [](const EnumItem& item, std::int16_t v) { return item.value < v; });
  if (it == enum_items_.end() || it->value != value) return nullptr;
  return &it->name;
}

namespace {
void require(const TypeRef& t, const char* what) {
  if (!t) bad_type(std::string(what) + ": the type is null");
}
}  // namespace

TypeRef Type::nullable(TypeRef nested) {
  require(nested, "Nullable");
  switch (nested->storage_type().code()) {
    case TypeCode::Nullable:
    case TypeCode::Array:
    case TypeCode::Map:
    case TypeCode::LowCardinality:
    case TypeCode::Variant:
    case TypeCode::Dynamic:
      bad_type("Nullable(" + nested->name() + ") is not allowed: " + nested->name() + " cannot be inside Nullable");
    default: break;
  }
  auto t = std::make_shared<Type>(Private{}, TypeCode::Nullable);
  t->name_ = "Nullable(" + nested->name() + ")";
  t->elements_.push_back(std::move(nested));
  return t;
}

TypeRef Type::array(TypeRef element) {
  require(element, "Array");
  auto t = std::make_shared<Type>(Private{}, TypeCode::Array);
  t->name_ = "Array(" + element->name() + ")";
  t->elements_.push_back(std::move(element));
  return t;
}

TypeRef Type::make_tuple_like(TypeCode code, std::vector<TypeRef> elements, std::vector<std::string> names) {
  const char* family = code == TypeCode::Tuple ? "Tuple" : "Nested";
  for (const auto& e : elements) require(e, family);
  if (!names.empty()) {
    if (names.size() != elements.size()) bad_type(std::string(family) + " needs a name for every element or none");
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i].empty()) bad_type(std::string(family) + " element names cannot be empty");
      for (std::size_t j = 0; j < i; ++j) {
        if (names[i] == names[j]) bad_type(std::string(family) + " element name '" + names[i] + "' is used twice");
      }
    }
  }
  auto t = std::make_shared<Type>(Private{}, code);
  t->name_ = family;
  t->name_ += '(';
  for (std::size_t i = 0; i < elements.size(); ++i) {
    if (i) t->name_ += ", ";
    if (!names.empty()) {
      append_element_name(t->name_, names[i]);
      t->name_ += ' ';
    }
    t->name_ += elements[i]->name();
  }
  t->name_ += ')';
  t->elements_ = std::move(elements);
  t->names_ = std::move(names);
  return t;
}

TypeRef Type::tuple(std::vector<TypeRef> elements, std::vector<std::string> names) {
  return make_tuple_like(TypeCode::Tuple, std::move(elements), std::move(names));
}

TypeRef Type::nested(std::vector<TypeRef> elements, std::vector<std::string> names) {
  if (elements.empty()) bad_type("Nested needs at least one element");
  if (names.size() != elements.size()) bad_type("Nested needs a name for every element");
  auto storage = array(tuple(elements, names));
  auto t = make_tuple_like(TypeCode::Nested, std::move(elements), std::move(names));
  std::const_pointer_cast<Type>(t)->storage_ = std::move(storage);
  return t;
}

TypeRef Type::map(TypeRef key, TypeRef value) {
  require(key, "Map");
  require(value, "Map");
  auto t = std::make_shared<Type>(Private{}, TypeCode::Map);
  t->name_ = "Map(" + key->name() + ", " + value->name() + ")";
  t->elements_ = {std::move(key), std::move(value)};
  return t;
}

TypeRef Type::variant(std::vector<TypeRef> alternatives) {
  for (const auto& a : alternatives) require(a, "Variant");
  // 255 is the discriminator of NULL, so 0..254 name the types.
  if (alternatives.empty() || alternatives.size() > 255) {
    bad_type("Variant needs 1 to 255 types, not " + std::to_string(alternatives.size()));
  }
  std::sort(alternatives.begin(), alternatives.end(),
            [](const TypeRef& a, const TypeRef& b) { return a->name() < b->name(); });
  auto t = std::make_shared<Type>(Private{}, TypeCode::Variant);
  t->name_ = "Variant(";
  for (std::size_t i = 0; i < alternatives.size(); ++i) {
    const Type& a = *alternatives[i];
    if (a.is_nullable() || (a.storage_type().code() == TypeCode::LowCardinality && a.element(0)->is_nullable())) {
      bad_type("Variant(" + a.name() + ") is not allowed: a Variant's NULL is its own, its types cannot be Nullable");
    }
    if (i > 0 && alternatives[i - 1]->name() == a.name()) bad_type("Variant names type " + a.name() + " twice");
    if (i) t->name_ += ", ";
    t->name_ += a.name();
  }
  t->name_ += ')';
  t->elements_ = std::move(alternatives);
  return t;
}

TypeRef Type::dynamic(std::uint32_t max_types) {
  if (max_types > 254) bad_type("Dynamic(max_types=" + std::to_string(max_types) + ") is over 254");
  auto t = std::make_shared<Type>(Private{}, TypeCode::Dynamic);
  t->name_ = max_types == 0 ? "Dynamic" : "Dynamic(max_types=" + std::to_string(max_types) + ")";
  t->precision_ = max_types;
  return t;
}

TypeRef Type::json(JsonParams params) {
  if (params.paths.size() != params.types.size()) bad_type("JSON needs a type for every typed path");
  for (const auto& t : params.types) require(t, "JSON typed path");
  if (params.max_dynamic_types > 254) {
    bad_type("JSON(max_dynamic_types=" + std::to_string(params.max_dynamic_types) + ") is over 254");
  }
  if (params.max_dynamic_paths > 10000) {
    bad_type("JSON(max_dynamic_paths=" + std::to_string(params.max_dynamic_paths) + ") is over 10000");
  }
  std::vector<std::string> sorted = params.paths;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (sorted[i].empty()) bad_type("a JSON typed path cannot be empty");
    if (i > 0 && sorted[i] == sorted[i - 1]) bad_type("JSON names the typed path '" + sorted[i] + "' twice");
  }
  auto t = std::make_shared<Type>(Private{}, TypeCode::JSON);
  std::vector<std::string> parts;
  if (params.max_dynamic_types != 0) parts.push_back("max_dynamic_types=" + std::to_string(params.max_dynamic_types));
  if (params.max_dynamic_paths != 0) parts.push_back("max_dynamic_paths=" + std::to_string(params.max_dynamic_paths));
  for (std::size_t i = 0; i < params.paths.size(); ++i) {
    std::string part;
    append_element_name(part, params.paths[i]);
    parts.push_back(part + " " + params.types[i]->name());
  }
  for (const auto& path : params.skip) {
    std::string part = "SKIP ";
    append_element_name(part, path);
    parts.push_back(std::move(part));
  }
  for (const auto& regexp : params.skip_regexp) {
    std::string part = "SKIP REGEXP ";
    append_quoted(part, regexp, '\'');
    parts.push_back(std::move(part));
  }
  t->name_ = "JSON";
  for (std::size_t i = 0; i < parts.size(); ++i) t->name_ += (i == 0 ? "(" : ", ") + parts[i];
  if (!parts.empty()) t->name_ += ')';
  t->names_ = std::move(params.paths);
  t->elements_ = std::move(params.types);
  t->precision_ = params.max_dynamic_types;
  t->scale_ = params.max_dynamic_paths;
  return t;
}

TypeRef Type::low_cardinality(TypeRef dictionary_type) {
  require(dictionary_type, "LowCardinality");
  const Type& inner =
      dictionary_type->is_nullable() ? dictionary_type->element(0)->storage_type() : dictionary_type->storage_type();
  // Dictionaries are hashed by their values' bytes, so any String or fixed-width scalar works.
  const bool ok = inner.code() == TypeCode::String || (inner.value_size() > 0 && inner.code() != TypeCode::Nothing);
  if (!ok) {
    bad_type("LowCardinality(" + dictionary_type->name() +
             ") is not allowed: LowCardinality holds strings, numbers, dates and other fixed-width scalars");
  }
  auto t = std::make_shared<Type>(Private{}, TypeCode::LowCardinality);
  t->name_ = "LowCardinality(" + dictionary_type->name() + ")";
  t->elements_.push_back(std::move(dictionary_type));
  return t;
}

TypeRef Type::simple_aggregate_function(std::string function, TypeRef type) {
  require(type, "SimpleAggregateFunction");
  if (function.empty()) bad_type("SimpleAggregateFunction needs a function name");
  auto t = std::make_shared<Type>(Private{}, TypeCode::SimpleAggregateFunction);
  t->name_ = "SimpleAggregateFunction(" + function + ", " + type->name() + ")";
  t->text_ = std::move(function);
  t->storage_ = type->storage_ref() ? type->storage_ref() : type;
  t->value_size_ = type->value_size();
  t->elements_.push_back(std::move(type));
  return t;
}

TypeRef Type::renamed(std::string name, TypeRef storage) {
  require(storage, "renamed");
  if (name.empty()) bad_type("a type name cannot be empty");
  auto t = std::make_shared<Type>(*storage);
  t->name_ = std::move(name);
  return t;
}

// ===== type_of ====================================================================================

namespace {
TypeRef simple_cached(TypeCode code) {
  // One immutable instance per code; initialised thread-safely on first use.
  static const std::array<TypeRef, 64> cache = [] {
    std::array<TypeRef, 64> all{};
    for (TypeCode c : {TypeCode::Nothing, TypeCode::UInt8,   TypeCode::UInt16, TypeCode::UInt32,   TypeCode::UInt64,
                       TypeCode::UInt128, TypeCode::UInt256, TypeCode::Int8,   TypeCode::Int16,    TypeCode::Int32,
                       TypeCode::Int64,   TypeCode::Int128,  TypeCode::Int256, TypeCode::Float32,  TypeCode::Float64,
                       TypeCode::Bool,    TypeCode::String,  TypeCode::Date,   TypeCode::Date32,   TypeCode::DateTime,
                       TypeCode::UUID,    TypeCode::IPv4,    TypeCode::IPv6,   TypeCode::BFloat16, TypeCode::Time}) {
      all[static_cast<std::size_t>(c)] = Type::simple(c);
    }
    return all;
  }();
  return cache[static_cast<std::size_t>(code)];
}
}  // namespace

template <>
TypeRef type_of<std::uint8_t>() {
  return simple_cached(TypeCode::UInt8);
}
template <>
TypeRef type_of<std::uint16_t>() {
  return simple_cached(TypeCode::UInt16);
}
template <>
TypeRef type_of<std::uint32_t>() {
  return simple_cached(TypeCode::UInt32);
}
template <>
TypeRef type_of<std::uint64_t>() {
  return simple_cached(TypeCode::UInt64);
}
template <>
TypeRef type_of<UInt128>() {
  return simple_cached(TypeCode::UInt128);
}
template <>
TypeRef type_of<UInt256>() {
  return simple_cached(TypeCode::UInt256);
}
template <>
TypeRef type_of<std::int8_t>() {
  return simple_cached(TypeCode::Int8);
}
template <>
TypeRef type_of<std::int16_t>() {
  return simple_cached(TypeCode::Int16);
}
template <>
TypeRef type_of<std::int32_t>() {
  return simple_cached(TypeCode::Int32);
}
template <>
TypeRef type_of<std::int64_t>() {
  return simple_cached(TypeCode::Int64);
}
template <>
TypeRef type_of<Int128>() {
  return simple_cached(TypeCode::Int128);
}
template <>
TypeRef type_of<Int256>() {
  return simple_cached(TypeCode::Int256);
}
template <>
TypeRef type_of<float>() {
  return simple_cached(TypeCode::Float32);
}
template <>
TypeRef type_of<double>() {
  return simple_cached(TypeCode::Float64);
}
template <>
TypeRef type_of<bool>() {
  return simple_cached(TypeCode::Bool);
}
template <>
TypeRef type_of<std::string>() {
  return simple_cached(TypeCode::String);
}
template <>
TypeRef type_of<std::string_view>() {
  return simple_cached(TypeCode::String);
}
template <>
TypeRef type_of<UUID>() {
  return simple_cached(TypeCode::UUID);
}
template <>
TypeRef type_of<IPv6>() {
  return simple_cached(TypeCode::IPv6);
}

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
    // Keep messages short for huge inputs: the first 80 bytes name the type well enough.
    std::string shown(s_.substr(0, 80));
    if (s_.size() > 80) shown += "...";
    throw Error(ErrorKind::protocol,
                "cannot parse type name '" + shown + "' at position " + std::to_string(pos) + ": " + what);
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
    if (pos_ >= s_.size() || !is_ident_begin(s_[pos_])) fail(what);
    while (pos_ < s_.size() && is_ident_char(s_[pos_])) ++pos_;
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

  // A quoted string with the SQL lexer's escapes: \b \f \n \r \t \0 \a \v \e \xHH, a doubled
  // quote, and a backslash before any other character. Like the server, a backslash before an
  // ordinary printable character other than \ ' " ` / = is kept, so '\%' stays two characters.
  std::string quoted(char quote, std::string_view what) {
    skip_ws();
    if (pos_ >= s_.size() || s_[pos_] != quote) fail(what);
    const std::size_t begin = pos_++;
    std::string out;
    for (;;) {
      if (pos_ >= s_.size()) fail_at(begin, "unterminated quoted string");
      const char c = s_[pos_++];
      if (c == quote) {
        if (pos_ < s_.size() && s_[pos_] == quote) {  // doubled quote
          out.push_back(quote);
          ++pos_;
          continue;
        }
        return out;
      }
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) fail_at(begin, "unterminated quoted string");
      const char e = s_[pos_++];
      if (e == 'x' && pos_ + 1 < s_.size() && hex_value(s_[pos_]) >= 0 && hex_value(s_[pos_ + 1]) >= 0) {
        out.push_back(static_cast<char>(hex_value(s_[pos_]) * 16 + hex_value(s_[pos_ + 1])));
        pos_ += 2;
        continue;
      }
      char decoded = e;
      switch (e) {
        case 'b': decoded = '\b'; break;
        case 'f': decoded = '\f'; break;
        case 'n': decoded = '\n'; break;
        case 'r': decoded = '\r'; break;
        case 't': decoded = '\t'; break;
        case '0': decoded = '\0'; break;
        case 'a': decoded = '\a'; break;
        case 'v': decoded = '\v'; break;
        case 'e': decoded = '\x1b'; break;
        default: break;
      }
      const bool control = static_cast<unsigned char>(decoded) < 0x20 || decoded == 0x7f;
      if (!control && decoded != '\\' && decoded != '\'' && decoded != '"' && decoded != '`' && decoded != '/' &&
          decoded != '=') {
        out.push_back('\\');
      }
      out.push_back(decoded);
    }
  }

  // A Tuple/Nested element name, when one is present: an identifier followed by whitespace and
  // then a type, or a back-quoted name.
  std::optional<std::string> element_name() {
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '`') return quoted('`', "a back-quoted name");
    if (pos_ >= s_.size() || !is_ident_begin(s_[pos_])) return std::nullopt;
    const std::size_t save = pos_;
    std::size_t end = pos_;
    while (end < s_.size() && is_ident_char(s_[end])) ++end;
    std::size_t after = end;
    while (after < s_.size() && (s_[after] == ' ' || s_[after] == '\t' || s_[after] == '\n' || s_[after] == '\r')) {
      ++after;
    }
    // After a type comes ',' or ')' or '('; after a name comes more whitespace and a type.
    if (after > end && after < s_.size() && (is_ident_begin(s_[after]) || s_[after] == '`')) {
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
      std::uint64_t max_types = 0;
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
    fail_at(start, "unknown type '" + std::string(family.substr(0, 64)) + "'");
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
    return Type::renamed(std::string(family), std::move(base));
  }

  std::string_view s_;
  const wire::DecodeLimits& limits_;
  std::size_t pos_ = 0;
};

}  // namespace

TypeRef parse_type(std::string_view name, const wire::DecodeLimits& limits) {
  if (name.size() > limits.max_type_name_bytes) {
    throw Error(ErrorKind::protocol, "type name of " + std::to_string(name.size()) + " bytes ('" +
                                         std::string(name.substr(0, 80)) + "...') exceeds the limit of " +
                                         std::to_string(limits.max_type_name_bytes));
  }
  return TypeParser(name, limits).parse();
}

}  // namespace chconn
