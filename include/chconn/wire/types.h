// ClickHouse data types: the value types chconn stores (128/256-bit integers, UUID, IPv6), the
// immutable Type description of a column type, and parse_type() for the type names the server
// sends in every block header.
//
// A Type knows its canonical name — the server's own spelling (`Decimal(9, 2)`,
// `DateTime('Asia/Tokyo')`, `Enum8('b' = -2, 'a' = 1)`, `Tuple(a UInt8, b String)`) — so that the
// name written back in an INSERT block is the one the server expects. Two types are equal exactly
// when their canonical names are equal.
//
// Example:
//   chconn::TypeRef t = chconn::parse_type("Array(Nullable(String))");
//   t->code();                  // TypeCode::Array
//   t->element(0)->name();      // "Nullable(String)"
//   auto d = chconn::Type::decimal(18, 4);   // d->name() == "Decimal(18, 4)", code Decimal64
//
// Thread safety: a Type is immutable after construction; TypeRefs may be shared freely between
// threads. The factories and parse_type() are reentrant.
#pragma once

#include <array>
#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/wire/io.h"

namespace chconn {

// The type families. (Declared before the value types below: g++ -Wshadow would otherwise flag
// the enumerators UInt128/Int128 as shadowing the typedefs of the same names.)
// clang-format off
enum class TypeCode : std::uint8_t {
  Nothing,
  UInt8, UInt16, UInt32, UInt64, UInt128, UInt256,
  Int8, Int16, Int32, Int64, Int128, Int256,
  Float32, Float64,
  Bool,
  String,
  FixedString,
  Date, Date32, DateTime, DateTime64,
  UUID, IPv4, IPv6,
  Decimal32, Decimal64, Decimal128, Decimal256,  // Decimal(P, S) by storage width
  Enum8, Enum16,
  Nullable,
  Array,
  Tuple,
  Map,
  LowCardinality,
  Nested,                   // Nested(a A, b B): stored as Array(Tuple(a A, b B))
  SimpleAggregateFunction,  // SimpleAggregateFunction(f, T): stored exactly as T
  Variant,                  // Variant(T1, ..., Tn): a value of one of the types, or NULL
  Dynamic,                  // Dynamic or Dynamic(max_types=N): a value of any type, or NULL
  BFloat16,                 // the upper 16 bits of a Float32
  Time,                     // Int32 seconds of a signed time of day (may exceed 24 hours)
  Time64,                   // Time64(p): Int64 ticks of 10^-p seconds
  JSON,                     // JSON(...): an object of paths, some typed, the others Dynamic
};
// clang-format on

// ----- The C++ value types ----------------------------------------------------------------------

namespace detail {

template <class T, class... U>
concept OneOf = (std::same_as<T, U> || ...);

// The standard integer types, each a type of its own even where two have the same width (long and
// long long on LP64). Not bool, char, wchar_t or char8/16/32_t: those are characters (and char's
// signedness depends on the platform). Not __int128 either, which g++ counts as std::integral in
// its GNU modes only: Int128 and UInt128 below are named wherever they are accepted.
template <class T>
concept StandardInteger = OneOf<T, signed char, short, int, long, long long, unsigned char, unsigned short, unsigned,
                                unsigned long, unsigned long long>;

}  // namespace detail

// ----- Wide integers -----------------------------------------------------------------------------

// 128-bit integers are the compiler's own (g++ and clang on 64-bit targets); __extension__ keeps
// -Wpedantic quiet about the non-standard type.
__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

// 256-bit integers as stored on the wire and in columns: four 64-bit limbs, least significant
// first (so the in-memory bytes are the wire's little-endian bytes). Int256 is two's complement.
// They carry no arithmetic; they exist to be stored, compared and printed.
struct UInt256 {
  std::array<std::uint64_t, 4> limbs{};  // limbs[0] is the least significant

  static constexpr UInt256 from(std::uint64_t v) noexcept { return UInt256{{v, 0, 0, 0}}; }
  friend constexpr bool operator==(const UInt256&, const UInt256&) = default;
};

struct Int256 {
  std::array<std::uint64_t, 4> limbs{};  // two's complement; limbs[0] is the least significant

  static constexpr Int256 from(std::int64_t v) noexcept {
    const std::uint64_t fill = v < 0 ? ~std::uint64_t{0} : 0;
    return Int256{{static_cast<std::uint64_t>(v), fill, fill, fill}};
  }
  // Sign-extends a 128-bit value (a separate name: an overload of from() would make from(1) ambiguous).
  static constexpr Int256 from_int128(Int128 v) noexcept {
    const std::uint64_t fill = v < 0 ? ~std::uint64_t{0} : 0;
    return Int256{
        {static_cast<std::uint64_t>(v), static_cast<std::uint64_t>(static_cast<UInt128>(v) >> 64), fill, fill}};
  }
  constexpr bool negative() const noexcept { return (limbs[3] >> 63) != 0; }
  friend constexpr bool operator==(const Int256&, const Int256&) = default;
};

// Decimal text of the wide integers (std::to_string has no overloads for them).
std::string to_string(Int128 v);
std::string to_string(UInt128 v);
std::string to_string(const Int256& v);
std::string to_string(const UInt256& v);

// The unscaled integer `raw` of a Decimal with `scale` digits after the point, as text:
// format_decimal(-150, 2) == "-1.50".
std::string format_decimal(std::int64_t raw, std::uint32_t scale);
std::string format_decimal(Int128 raw, std::uint32_t scale);
std::string format_decimal(const Int256& raw, std::uint32_t scale);

// ----- Decimal values ----------------------------------------------------------------------------

// An exact decimal number, unscaled / 10^scale: the value of a Decimal(P, S) column of any width
// (the unscaled integer widened to 256 bits), and a value for query parameters.
// Decimal{Int256::from(-150), 2} is -1.50. Comparison is by value, so 1.50 == 1.5 and the ordering
// is weak (equal values may differ in scale). Every operation throws Error(usage) for a scale above
// 76, the most a ClickHouse Decimal has.
//
// Example:
//   chconn::Decimal price{chconn::Int256::from(1999), 2};
//   chconn::to_string(price);      // "19.99", exact
//   static_cast<double>(price);    // 19.99, the nearest double
struct Decimal {
  Int256 unscaled;
  std::uint32_t scale = 0;  // digits after the point

  // The nearest double (ties to even). Approximate, as a double is for most decimal fractions.
  explicit operator double() const;
  friend bool operator==(const Decimal& a, const Decimal& b);
  friend std::weak_ordering operator<=>(const Decimal& a, const Decimal& b);
};
// Exact text with exactly `scale` digits after the point: "-1.50", "0.001", "12".
std::string to_string(const Decimal& value);

// ----- UUID and IP addresses ---------------------------------------------------------------------

// A UUID as two 64-bit halves: `hi` holds canonical hex digits 1-16, `lo` digits 17-32. This is
// also the wire layout (hi first, each half little-endian), so a UUID column is decoded with one
// copy. 00112233-4455-6677-8899-aabbccddeeff is {hi = 0x0011223344556677, lo = 0x8899aabbccddeeff}.
struct UUID {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;

  // Parses the canonical 36-character form (hex digits of either case); nullopt if malformed.
  static std::optional<UUID> parse(std::string_view text) noexcept;
  friend constexpr bool operator==(const UUID&, const UUID&) = default;
};
// Canonical lower-case 8-4-4-4-12 form.
std::string to_string(const UUID& uuid);

// An IPv6 address in network byte order, exactly as on the wire.
struct IPv6 {
  std::array<std::uint8_t, 16> bytes{};
  friend constexpr bool operator==(const IPv6&, const IPv6&) = default;
};

// IPv4 addresses are stored as the numeric address in a std::uint32_t: 1.2.3.4 is 0x01020304.
std::string ipv4_to_string(std::uint32_t address);

// An IPv4 address as a value of its own (what ResultRow::get<IPv4>() gives and Params::set takes),
// so that it is not mistaken for a number: the numeric address, as ColumnIPv4 stores it.
struct IPv4 {
  std::uint32_t address = 0;  // 1.2.3.4 is 0x01020304
  friend constexpr bool operator==(const IPv4&, const IPv4&) = default;
};
std::string to_string(const IPv4& address);  // dotted quad: "1.2.3.4"
std::string to_string(const IPv6& address);  // RFC 5952 text ("::1", "2001:db8::ff00:42:8329")

// ----- Types -------------------------------------------------------------------------------------

// The type code's family name: "UInt8", "Decimal128", "LowCardinality"...
std::string_view to_string(TypeCode code) noexcept;

class Type;
using TypeRef = std::shared_ptr<const Type>;

// One item of an Enum8/Enum16 type.
struct EnumItem {
  std::string name;
  std::int16_t value = 0;
  friend bool operator==(const EnumItem&, const EnumItem&) = default;
};

// An immutable description of a column type. Build one with the static factories below (they throw
// chconn::Error(usage) on invalid arguments) or with parse_type().
class Type {
  struct Private {};

 public:
  // ---- factories ----
  // A type without parameters: numbers (BFloat16 too), Bool, String, Date, Date32, DateTime (no
  // time zone), Time, UUID, IPv4, IPv6, Nothing. Throws for codes that need parameters.
  static TypeRef simple(TypeCode code);
  static TypeRef fixed_string(std::size_t n);                                       // 1 <= n <= 0xFFFFFF
  static TypeRef date_time(std::string time_zone = {});                             // DateTime or DateTime('tz')
  static TypeRef date_time64(std::uint32_t precision, std::string time_zone = {});  // precision 0-9
  static TypeRef time64(std::uint32_t precision);                                   // precision 0-9
  // Decimal(P, S): 1 <= P <= 76, S <= P; the storage width follows from P (9, 18, 38, 76 digits).
  static TypeRef decimal(std::uint32_t precision, std::uint32_t scale);
  // Enum8/Enum16: names and values unique, values within Int8/Int16, at least one item.
  static TypeRef enum8(std::vector<EnumItem> items);
  static TypeRef enum16(std::vector<EnumItem> items);
  // Not of Nullable, Array, Map, LowCardinality, Variant or Dynamic. Nullable(Tuple(...)) is
  // allowed: current servers have it (setting enable_nullable_tuple_type).
  static TypeRef nullable(TypeRef nested);
  static TypeRef array(TypeRef element);
  // Tuple(T...) or, with names (one per element, unique, non-empty), Tuple(a A, b B).
  static TypeRef tuple(std::vector<TypeRef> elements, std::vector<std::string> names = {});
  static TypeRef map(TypeRef key, TypeRef value);
  // Variant of 1 to 255 different types, none Nullable or LowCardinality(Nullable); the name lists
  // them sorted by name, as the server does (a row's discriminator is its type's index there).
  static TypeRef variant(std::vector<TypeRef> alternatives);
  // The servers' defaults of Dynamic's max_types and JSON's max_dynamic_types (ClickHouse's
  // DataTypeDynamic::DEFAULT_MAX_DYNAMIC_TYPES) and of JSON's max_dynamic_paths. A type name
  // leaves out a parameter at its default and names any other value, 0 included, as servers do:
  // Dynamic(max_types=32) is named Dynamic, and Dynamic(max_types=0) keeps its parameter.
  static constexpr std::uint32_t k_default_max_dynamic_types = 32;
  static constexpr std::uint32_t k_default_max_dynamic_paths = 1024;
  // Dynamic(max_types=N), 0 <= N <= 254. Which types a column holds comes with its data
  // (ColumnDynamic).
  static TypeRef dynamic(std::uint32_t max_types = k_default_max_dynamic_types);
  // JSON with typed paths (`paths[i]` of type `types[i]`, paths unique and non-empty), max_dynamic_types
  // (0-254) and max_dynamic_paths (0-10000), and the paths it skips (`skip`, kept in the name only).
  // The name lists them as the server does: JSON(max_dynamic_types=3, max_dynamic_paths=2, `a.b`
  // UInt32, SKIP c, SKIP REGEXP 'x.*').
  struct JsonParams {
    std::vector<std::string> paths;
    std::vector<TypeRef> types;
    std::uint32_t max_dynamic_types = k_default_max_dynamic_types;
    std::uint32_t max_dynamic_paths = k_default_max_dynamic_paths;
    std::vector<std::string> skip;         // SKIP path
    std::vector<std::string> skip_regexp;  // SKIP REGEXP 'regexp'
  };
  static TypeRef json(JsonParams params);
  // LowCardinality of String, FixedString, a fixed-width scalar, or Nullable of those.
  static TypeRef low_cardinality(TypeRef dictionary_type);
  static TypeRef nested(std::vector<TypeRef> elements, std::vector<std::string> names);
  // SimpleAggregateFunction(function, T); `function` is the name with any parameters, e.g.
  // "sum" or "groupUniqArrayArray(10)".
  static TypeRef simple_aggregate_function(std::string function, TypeRef type);
  // A type the server names on its own but stores exactly as `storage` (same code, children and
  // serialization): Point is Tuple(Float64, Float64), IntervalSecond is Int64. parse_type() uses
  // it for the geo and interval types; the name is kept so that an INSERT sends it back.
  static TypeRef renamed(std::string name, const TypeRef& storage);

  // ---- description ----
  TypeCode code() const noexcept { return code_; }
  // The canonical name, as the server spells it.
  const std::string& name() const noexcept { return name_; }

  // Child types: Array → {element}; Nullable, LowCardinality, SimpleAggregateFunction → {inner};
  // Tuple and Nested → the element types; Map → {key, value}; empty otherwise.
  std::span<const TypeRef> elements() const noexcept { return elements_; }
  const TypeRef& element(std::size_t i) const { return elements_.at(i); }
  // Tuple/Nested element names, JSON typed paths (with elements() their types); empty for an
  // unnamed Tuple.
  std::span<const std::string> element_names() const noexcept { return names_; }

  // Bytes per value of a fixed-width type (numbers, Bool, dates, UUID, IPs, Decimal, Enum,
  // FixedString(N) → N), 0 for all others. Nothing is 1 (its wire form is one byte per row).
  std::size_t value_size() const noexcept { return value_size_; }
  // FixedString(N): N.
  std::size_t fixed_string_size() const noexcept { return code_ == TypeCode::FixedString ? value_size_ : 0; }
  // Decimal: precision and scale. DateTime64 and Time64: precision() is the sub-second digits.
  std::uint32_t precision() const noexcept { return precision_; }
  std::uint32_t scale() const noexcept { return scale_; }
  // Dynamic: max_types; JSON: max_dynamic_types (k_default_max_dynamic_types when the name gives
  // none); 0 for other types.
  std::uint32_t max_dynamic_types() const noexcept {
    return code_ == TypeCode::Dynamic || code_ == TypeCode::JSON ? precision_ : 0;
  }
  // JSON: max_dynamic_paths (k_default_max_dynamic_paths when the name gives none); 0 for other types.
  std::uint32_t max_dynamic_paths() const noexcept { return code_ == TypeCode::JSON ? scale_ : 0; }
  // DateTime/DateTime64: the time zone named in the type, or empty.
  const std::string& time_zone() const noexcept { return text_; }
  // SimpleAggregateFunction: the function with its parameters.
  const std::string& aggregate_function() const noexcept { return text_; }
  // Enum8/Enum16 items, sorted by value.
  std::span<const EnumItem> enum_items() const noexcept { return enum_items_; }
  std::optional<std::int16_t> enum_value(std::string_view name) const noexcept;
  // The name of `value`, or nullptr if the enum has no such value.
  const std::string* enum_name(std::int16_t value) const noexcept;

  // The type whose serialization this type uses: T for SimpleAggregateFunction(f, T) (recursively),
  // Array(Tuple(a A, b B)) for Nested(a A, b B), the type itself otherwise.
  const Type& storage_type() const noexcept { return storage_ ? *storage_ : *this; }
  const TypeRef& storage_ref() const noexcept { return storage_; }  // null when storage is *this

  bool is_nullable() const noexcept { return code_ == TypeCode::Nullable; }

  friend bool operator==(const Type& a, const Type& b) noexcept { return &a == &b || a.name_ == b.name_; }

  // Factories only; use the static functions above.
  Type(Private, TypeCode code);

 private:
  static TypeRef make_enum(TypeCode code, std::vector<EnumItem> items);
  static TypeRef make_tuple_like(TypeCode code, std::vector<TypeRef> elements, std::vector<std::string> names);

  TypeCode code_;
  std::string name_;
  std::vector<TypeRef> elements_;
  std::vector<std::string> names_;
  std::vector<EnumItem> enum_items_;         // sorted by value
  std::vector<std::uint16_t> enum_by_name_;  // indexes into enum_items_, sorted by name
  std::string text_;                         // time zone or aggregate function
  TypeRef storage_;
  std::size_t value_size_ = 0;
  std::uint32_t precision_ = 0;
  std::uint32_t scale_ = 0;
};

// Parses a type name as the server writes it (whitespace between tokens is tolerated). Throws
// chconn::Error(protocol) naming the type string, the position and what was expected, for an
// unknown or unsupported type, a malformed name, a name longer than limits.max_type_name_bytes, or
// nesting deeper than limits.max_type_depth.
TypeRef parse_type(std::string_view name, const wire::DecodeLimits& limits = {});

// The Type of a C++ value type: type_of<std::uint64_t>() is UInt64, type_of<bool>() is Bool,
// type_of<std::string>() is String, type_of<UUID>() is UUID, type_of<Int128>() is Int128...
template <class T>
TypeRef type_of();

template <>
TypeRef type_of<std::uint8_t>();
template <>
TypeRef type_of<std::uint16_t>();
template <>
TypeRef type_of<std::uint32_t>();
template <>
TypeRef type_of<std::uint64_t>();
template <>
TypeRef type_of<UInt128>();
template <>
TypeRef type_of<UInt256>();
template <>
TypeRef type_of<std::int8_t>();
template <>
TypeRef type_of<std::int16_t>();
template <>
TypeRef type_of<std::int32_t>();
template <>
TypeRef type_of<std::int64_t>();
template <>
TypeRef type_of<Int128>();
template <>
TypeRef type_of<Int256>();
template <>
TypeRef type_of<float>();
template <>
TypeRef type_of<double>();
template <>
TypeRef type_of<bool>();
template <>
TypeRef type_of<std::string>();
template <>
TypeRef type_of<std::string_view>();
template <>
TypeRef type_of<UUID>();
template <>
TypeRef type_of<IPv6>();

}  // namespace chconn
