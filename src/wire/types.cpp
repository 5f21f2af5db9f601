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

// The type model: type names, Type and its factories, type_of<T>(). The parser of type names
// is in type_parser.cpp, the value types (wide integers, Decimal, UUID, IPv6) in values.cpp.
namespace chconn {

using detail::append_quoted;
using detail::iequals;
using detail::is_word_begin;
using detail::is_word_char;
using detail::simple_cached;

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

// Tuple element names are written bare when they are plain identifiers (backQuoteIfNeed), except
// for the few the server always quotes because they would re-parse as keywords.
void append_element_name(std::string& out, std::string_view name) {
  const bool plain = !name.empty() && is_word_begin(name[0]) && std::all_of(name.begin(), name.end(), is_word_char) &&
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
      bad_type(std::string(family) + " value " + std::to_string(item.value) + " of " +
               detail::message_excerpt(item.name) + " is out of range");
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
      bad_type(std::string(family) + " name " + detail::message_excerpt(items[t->enum_by_name_[i]].name) +
               " is used twice");
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
        if (names[i] == names[j])
          bad_type(std::string(family) + " element name " + detail::message_excerpt(names[i]) + " is used twice");
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
  t->name_ =
      max_types == k_default_max_dynamic_types ? "Dynamic" : "Dynamic(max_types=" + std::to_string(max_types) + ")";
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
  // The name as the server writes it (DataTypeObject::doGetName; chDB 26.7's toTypeName): the
  // parameters, then the typed paths sorted (a path named SKIP back-quoted, as it would read as the
  // keyword), then the skipped paths sorted, then the skipped regexps sorted. The typed paths are
  // kept in that order too, so two JSON types of the same name have the same elements.
  std::vector<std::size_t> order(params.paths.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return params.paths[a] < params.paths[b]; });
  std::vector<std::string> paths;
  std::vector<TypeRef> types;
  paths.reserve(order.size());
  types.reserve(order.size());
  for (const std::size_t i : order) {
    paths.push_back(std::move(params.paths[i]));
    types.push_back(std::move(params.types[i]));
  }
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (paths[i].empty()) bad_type("a JSON typed path cannot be empty");
    if (i > 0 && paths[i] == paths[i - 1])
      bad_type("JSON names the typed path " + detail::message_excerpt(paths[i]) + " twice");
  }
  std::sort(params.skip.begin(), params.skip.end());
  std::sort(params.skip_regexp.begin(), params.skip_regexp.end());
  auto t = std::make_shared<Type>(Private{}, TypeCode::JSON);
  std::vector<std::string> parts;
  if (params.max_dynamic_types != k_default_max_dynamic_types)
    parts.push_back("max_dynamic_types=" + std::to_string(params.max_dynamic_types));
  if (params.max_dynamic_paths != k_default_max_dynamic_paths)
    parts.push_back("max_dynamic_paths=" + std::to_string(params.max_dynamic_paths));
  for (std::size_t i = 0; i < paths.size(); ++i) {
    std::string part;
    if (iequals(paths[i], "SKIP")) {
      append_quoted(part, paths[i], '`');
    } else {
      append_element_name(part, paths[i]);
    }
    parts.push_back(part + " " + types[i]->name());
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
  t->names_ = std::move(paths);
  t->elements_ = std::move(types);
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

TypeRef Type::renamed(std::string name, const TypeRef& storage) {
  require(storage, "renamed");
  if (name.empty()) bad_type("a type name cannot be empty");
  auto t = std::make_shared<Type>(*storage);
  t->name_ = std::move(name);
  return t;
}

// ===== type_of ====================================================================================

TypeRef detail::simple_cached(TypeCode code) {
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

namespace detail {

void append_quoted(std::string& out, std::string_view s, char quote) {
  out.push_back(quote);
  append_server_escaped(out, s, quote);
  out.push_back(quote);
}

}  // namespace detail

}  // namespace chconn
