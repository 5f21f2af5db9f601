// Values in ClickHouse's binary form, as Dynamic's SharedVariant and JSON's shared data hold them:
// the type in the binary type encoding (ClickHouse's src/DataTypes/DataTypesBinaryEncoding.cpp),
// then the value in RowBinary. Everything is read from the bytes in memory: every count and length
// is checked against the bytes that remain before anything is allocated for it, and nesting
// against limits.max_type_depth.
#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chconn/wire/columns.h"
#include "column_impl.h"

namespace chconn {

namespace {

// The binary type indexes of DataTypesBinaryEncoding.cpp.
enum class BinaryType : std::uint8_t {
  Nothing = 0x00,
  UInt8 = 0x01,
  UInt16 = 0x02,
  UInt32 = 0x03,
  UInt64 = 0x04,
  UInt128 = 0x05,
  UInt256 = 0x06,
  Int8 = 0x07,
  Int16 = 0x08,
  Int32 = 0x09,
  Int64 = 0x0A,
  Int128 = 0x0B,
  Int256 = 0x0C,
  Float32 = 0x0D,
  Float64 = 0x0E,
  Date = 0x0F,
  Date32 = 0x10,
  DateTimeUTC = 0x11,
  DateTimeWithTimezone = 0x12,
  DateTime64UTC = 0x13,
  DateTime64WithTimezone = 0x14,
  String = 0x15,
  FixedString = 0x16,
  Enum8 = 0x17,
  Enum16 = 0x18,
  Decimal32 = 0x19,
  Decimal64 = 0x1A,
  Decimal128 = 0x1B,
  Decimal256 = 0x1C,
  UUID = 0x1D,
  Array = 0x1E,
  UnnamedTuple = 0x1F,
  NamedTuple = 0x20,
  Interval = 0x22,
  Nullable = 0x23,
  LowCardinality = 0x26,
  Map = 0x27,
  IPv4 = 0x28,
  IPv6 = 0x29,
  Variant = 0x2A,
  Dynamic = 0x2B,
  Custom = 0x2C,
  Bool = 0x2D,
  JSON = 0x30,
  BFloat16 = 0x31,
  Time = 0x32,
  Time64 = 0x33,
};

class BinaryReader {
 public:
  BinaryReader(std::string_view bytes, const wire::DecodeLimits& limits,
               std::string_view what = "a value in binary form (Dynamic's SharedVariant or JSON's shared data)")
      : s_(bytes), limits_(limits), what_(what) {}

  // Whether the last failure was the bytes ending inside a value (rather than bytes that are wrong).
  bool truncated() const noexcept { return truncated_; }

  std::size_t remaining() const noexcept { return s_.size() - pos_; }
  bool at_end() const noexcept { return pos_ == s_.size(); }

  std::uint8_t u8() {
    need(1, "a byte");
    return static_cast<std::uint8_t>(s_[pos_++]);
  }
  std::string_view bytes(std::size_t n, std::string_view what) {
    need(n, what);
    const std::string_view v = s_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  std::uint64_t uvarint() {
    std::uint64_t v = 0;
    for (int i = 0; i < 10; ++i) {
      const std::uint8_t b = u8();
      v |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
      if (!(b & 0x80)) return v;
    }
    fail("a malformed varint");
  }
  // A count of things that take at least one byte each: at most the bytes that remain.
  std::size_t count(std::string_view what) {
    const std::uint64_t n = uvarint();
    if (n > remaining()) {
      truncated_ = true;
      fail(std::string(what) + " of " + std::to_string(n) + " exceeds the " + std::to_string(remaining()) +
           " bytes that remain");
    }
    return static_cast<std::size_t>(n);
  }
  std::string string(std::string_view what) { return std::string(bytes(count(what), what)); }

  TypeRef type(std::uint32_t depth);
  void value(Column& column, std::uint32_t depth);

  [[noreturn]] void fail(const std::string& what) const {
    detail::protocol_error(std::string(what_) + " is malformed: " + what + " at byte " + std::to_string(pos_) + " of " +
                           std::to_string(s_.size()));
  }

 private:
  void need(std::size_t n, std::string_view what) {
    if (n > remaining()) {
      truncated_ = true;
      fail("it ends inside " + std::string(what));
    }
  }
  void check_depth(std::uint32_t depth) const {
    if (depth > limits_.max_type_depth) {
      fail("nesting deeper than the limit of " + std::to_string(limits_.max_type_depth));
    }
  }
  template <class T>
  T fixed() {
    T v{};
    std::memcpy(&v, bytes(sizeof(T), "a number").data(), sizeof(T));
    return v;
  }
  std::vector<EnumItem> enum_items(bool wide) {
    std::vector<EnumItem> items(count("Enum item count"));
    for (auto& item : items) {
      item.name = string("an Enum name");
      item.value = wide ? fixed<std::int16_t>() : std::int16_t{fixed<std::int8_t>()};
    }
    return items;
  }

  std::string_view s_;
  const wire::DecodeLimits& limits_;
  std::string_view what_;  // what the bytes are, for messages
  std::size_t pos_ = 0;
  bool truncated_ = false;
};

TypeRef BinaryReader::type(std::uint32_t depth) {
  check_depth(depth);
  const auto code = static_cast<BinaryType>(u8());
  // The factories throw Error(usage) on impossible parameters; a stream that has them is corrupt.
  try {
    switch (code) {
      case BinaryType::Nothing: return Type::simple(TypeCode::Nothing);
      case BinaryType::UInt8: return Type::simple(TypeCode::UInt8);
      case BinaryType::UInt16: return Type::simple(TypeCode::UInt16);
      case BinaryType::UInt32: return Type::simple(TypeCode::UInt32);
      case BinaryType::UInt64: return Type::simple(TypeCode::UInt64);
      case BinaryType::UInt128: return Type::simple(TypeCode::UInt128);
      case BinaryType::UInt256: return Type::simple(TypeCode::UInt256);
      case BinaryType::Int8: return Type::simple(TypeCode::Int8);
      case BinaryType::Int16: return Type::simple(TypeCode::Int16);
      case BinaryType::Int32: return Type::simple(TypeCode::Int32);
      case BinaryType::Int64: return Type::simple(TypeCode::Int64);
      case BinaryType::Int128: return Type::simple(TypeCode::Int128);
      case BinaryType::Int256: return Type::simple(TypeCode::Int256);
      case BinaryType::Float32: return Type::simple(TypeCode::Float32);
      case BinaryType::Float64: return Type::simple(TypeCode::Float64);
      case BinaryType::BFloat16: return Type::simple(TypeCode::BFloat16);
      case BinaryType::Bool: return Type::simple(TypeCode::Bool);
      case BinaryType::Date: return Type::simple(TypeCode::Date);
      case BinaryType::Date32: return Type::simple(TypeCode::Date32);
      case BinaryType::DateTimeUTC: return Type::date_time();
      case BinaryType::DateTimeWithTimezone: return Type::date_time(string("a time zone"));
      case BinaryType::DateTime64UTC: return Type::date_time64(u8());
      case BinaryType::DateTime64WithTimezone: {
        const std::uint8_t precision = u8();
        return Type::date_time64(precision, string("a time zone"));
      }
      case BinaryType::Time: return Type::simple(TypeCode::Time);
      case BinaryType::Time64: return Type::time64(u8());
      case BinaryType::String: return Type::simple(TypeCode::String);
      case BinaryType::FixedString: {
        const std::uint64_t n = uvarint();
        return Type::fixed_string(n > 0xFFFFFF ? 0 : static_cast<std::size_t>(n));  // 0: refused
      }
      case BinaryType::Enum8: return Type::enum8(enum_items(false));
      case BinaryType::Enum16: return Type::enum16(enum_items(true));
      case BinaryType::Decimal32:
      case BinaryType::Decimal64:
      case BinaryType::Decimal128:
      case BinaryType::Decimal256: {
        const std::uint8_t precision = u8();
        return Type::decimal(precision, u8());
      }
      case BinaryType::UUID: return Type::simple(TypeCode::UUID);
      case BinaryType::IPv4: return Type::simple(TypeCode::IPv4);
      case BinaryType::IPv6: return Type::simple(TypeCode::IPv6);
      case BinaryType::Array: return Type::array(type(depth + 1));
      case BinaryType::UnnamedTuple:
      case BinaryType::NamedTuple: {
        const std::size_t n = count("Tuple element count");
        std::vector<TypeRef> elements;
        std::vector<std::string> names;
        for (std::size_t i = 0; i < n; ++i) {
          if (code == BinaryType::NamedTuple) names.push_back(string("a Tuple element name"));
          elements.push_back(type(depth + 1));
        }
        return Type::tuple(std::move(elements), std::move(names));
      }
      case BinaryType::Interval: {
        static constexpr std::string_view kinds[] = {"IntervalNanosecond", "IntervalMicrosecond", "IntervalMillisecond",
                                                     "IntervalSecond",     "IntervalMinute",      "IntervalHour",
                                                     "IntervalDay",        "IntervalWeek",        "IntervalMonth",
                                                     "IntervalQuarter",    "IntervalYear"};
        const std::uint8_t kind = u8();
        if (kind >= std::size(kinds)) fail("an unknown Interval kind " + std::to_string(kind));
        return parse_type(kinds[kind], limits_);
      }
      case BinaryType::Nullable: return Type::nullable(type(depth + 1));
      // Printed as its values are, LowCardinality(T) is read as T.
      case BinaryType::LowCardinality: return type(depth + 1);
      case BinaryType::Map: {
        TypeRef key = type(depth + 1);
        return Type::map(std::move(key), type(depth + 1));
      }
      case BinaryType::Variant: {
        const std::size_t n = count("Variant type count");
        std::vector<TypeRef> alternatives;
        for (std::size_t i = 0; i < n; ++i) alternatives.push_back(type(depth + 1));
        return Type::variant(std::move(alternatives));
      }
      // Dynamic is read only as a JSON path's value (below).
      case BinaryType::Dynamic: return Type::dynamic(u8());
      case BinaryType::JSON: {
        if (const std::uint8_t version = u8(); version != 0) {
          fail("JSON type encoding version " + std::to_string(version) + " (chconn reads 0)");
        }
        Type::JsonParams params;
        const std::uint64_t max_paths = uvarint();
        params.max_dynamic_paths = static_cast<std::uint32_t>(std::min<std::uint64_t>(max_paths, 99999));
        params.max_dynamic_types = u8();
        for (std::size_t i = 0, n = count("JSON typed path count"); i < n; ++i) {
          params.paths.push_back(string("a JSON typed path"));
          params.types.push_back(type(depth + 1));
        }
        for (std::size_t i = 0, n = count("JSON skipped path count"); i < n; ++i)
          params.skip.push_back(string("a path"));
        for (std::size_t i = 0, n = count("JSON skipped regexp count"); i < n; ++i) {
          params.skip_regexp.push_back(string("a regexp"));
        }
        return Type::json(std::move(params));
      }
      case BinaryType::Custom: {
        const std::string name = string("a type name");
        if (name.size() > limits_.max_type_name_bytes) fail("a type name longer than max_type_name_bytes");
        // parse_type's own error names only the text; say that it came from these bytes.
        try {
          return parse_type(name, limits_);
        } catch (const Error& e) {
          fail("its type (a name in the Custom encoding) does not parse: " + e.message());
        }
      }
    }
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::protocol) throw;
    fail("an impossible type: " + e.message());
  }
  // The aggregate functions, Nested, Set, Function: not read here.
  fail("binary type " + std::to_string(static_cast<unsigned>(code)) + " is not supported by chconn");
}

void BinaryReader::value(Column& column, std::uint32_t depth) {
  check_depth(depth);
  const Type& t = column.type()->storage_type();
  switch (t.code()) {
    case TypeCode::Nothing: column.append_default(); return;
    case TypeCode::String:
      static_cast<ColumnString&>(column).append(bytes(count("a String length"), "a String"));
      return;
    case TypeCode::Nullable: {
      auto& n = static_cast<ColumnNullable&>(column);
      if (u8() != 0) {
        n.append_null();
      } else {
        value(n.nested(), depth + 1);
        n.append_not_null();
      }
      return;
    }
    case TypeCode::Array: {
      auto& a = static_cast<ColumnArray&>(column);
      const std::size_t n = count("an Array size");
      for (std::size_t i = 0; i < n; ++i) value(a.nested(), depth + 1);
      a.finish_row();
      return;
    }
    case TypeCode::Map: {
      auto& m = static_cast<ColumnMap&>(column);
      const std::size_t n = count("a Map size");
      for (std::size_t i = 0; i < n; ++i) {
        value(m.keys(), depth + 1);
        value(m.values(), depth + 1);
      }
      m.finish_row();
      return;
    }
    case TypeCode::Tuple: {
      auto& tuple = static_cast<ColumnTuple&>(column);
      if (tuple.element_count() == 0) {
        tuple.append_default();
        return;
      }
      for (std::size_t i = 0; i < tuple.element_count(); ++i) value(tuple.element(i), depth + 1);
      return;
    }
    case TypeCode::Variant: {
      auto& v = static_cast<ColumnVariant&>(column);
      const std::uint8_t d = u8();
      if (d == ColumnVariant::k_null) {
        v.append_null();
        return;
      }
      if (d >= v.variant_count()) fail("Variant discriminator " + std::to_string(d) + " names no type");
      value(v.variant(d), depth + 1);
      v.append_variant(d);
      return;
    }
    case TypeCode::JSON: {
      // The number of paths, then each path and its value: a typed path's in its type's RowBinary,
      // any other a Dynamic value (its binary form; Nothing for NULL), which the row keeps as
      // shared data.
      auto& json = static_cast<ColumnJSON&>(column);
      const std::size_t n = count("a JSON path count");
      std::vector<bool> typed(json.typed_path_count(), false);
      std::vector<std::pair<std::string, std::string>> shared;
      try {
        for (std::size_t i = 0; i < n; ++i) {
          std::string path = string("a JSON path");
          std::size_t k = 0;
          while (k < json.typed_path_count() && json.typed_path(k) != path) ++k;
          if (k < json.typed_path_count()) {
            if (typed[k]) fail("the JSON path '" + path.substr(0, 64) + "' twice");
            value(json.typed_column(k), depth + 1);
            typed[k] = true;
            continue;
          }
          const std::size_t begin = pos_;
          const TypeRef path_type = type(depth + 1);
          if (path_type->code() == TypeCode::Nothing) continue;  // NULL: no path
          value(*make_column(path_type), depth + 1);
          shared.emplace_back(std::move(path), std::string(s_.substr(begin, pos_ - begin)));
        }
        for (std::size_t k = 0; k < typed.size(); ++k) {
          if (!typed[k]) json.typed_column(k).append_default();
        }
        std::sort(shared.begin(), shared.end());
        for (std::size_t i = 1; i < shared.size(); ++i) {
          if (shared[i].first == shared[i - 1].first)
            fail("the JSON path '" + shared[i].first.substr(0, 64) + "' twice");
        }
        json.append_row(shared);
      } catch (...) {
        json.truncate(json.size());  // the typed paths' values of the unfinished row go
        throw;
      }
      return;
    }
    default: break;
  }
  if (auto* fixed = dynamic_cast<FixedWidthColumn*>(&column)) {
    const std::string_view v = bytes(fixed->value_size(), "a " + t.name() + " value");
    std::memcpy(fixed->append_raw(1), v.data(), v.size());
    return;
  }
  fail("a value of type " + t.name() + ", which chconn does not read in binary form");
}

}  // namespace

std::optional<std::size_t> decode_row_binary(std::string_view bytes, Column& column, const wire::DecodeLimits& limits) {
  BinaryReader in(bytes, limits, "a RowBinary value");
  try {
    in.value(column, 0);
  } catch (const Error&) {
    if (in.truncated()) return std::nullopt;
    throw;
  }
  return bytes.size() - in.remaining();
}

ColumnRef decode_binary_value(std::string_view bytes, const wire::DecodeLimits& limits) {
  BinaryReader in(bytes, limits);
  ColumnRef column = make_column(in.type(0));
  in.value(*column, 0);
  if (!in.at_end()) in.fail(std::to_string(in.remaining()) + " bytes after the value");
  return column;
}

}  // namespace chconn
