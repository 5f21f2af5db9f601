// Helpers for the type, column and block tests: hex bytes, encode/decode through MemorySource at
// several chunk sizes, and a generator that fills a column of any type with varied values.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/wire/block.h"
#include "chconn/wire/column.h"
#include "chconn/wire/columns.h"
#include "chconn/wire/io.h"
#include "chconn/wire/types.h"
#include "support/expect_error.h"
#include "support/hex.h"

namespace chconn::test {

// Prefix and body of a column, as a block writes them.
inline std::string encode(const Column& column) {
  wire::Writer w;
  column.save_prefix(w);
  column.save_body(w);
  return std::string(w.view());
}

inline constexpr std::size_t k_chunk_sizes[] = {1, 3, 64, SIZE_MAX};

// Decodes `rows` rows of `type` from `bytes` handed out in chunks of `chunk` bytes; expects the
// whole input to be consumed.
inline ColumnRef decode(const TypeRef& type, std::string_view bytes, std::size_t rows, std::size_t chunk = SIZE_MAX,
                        const wire::DecodeLimits& limits = {}) {
  wire::MemorySource src(bytes, chunk);
  wire::Reader in(src, limits);
  ColumnRef c = make_column(type);
  c->load_prefix(in);
  c->load_body(in, rows);
  EXPECT_TRUE(in.at_end()) << "decoding " << type->name() << " left bytes unread";
  return c;
}

// Expects decoding `bytes` to throw chconn::Error(protocol), at every chunk size.
inline void expect_protocol_error(const TypeRef& type, std::string_view bytes, std::size_t rows,
                                  const wire::DecodeLimits& limits = {}) {
  for (std::size_t chunk : k_chunk_sizes) {
    SCOPED_TRACE(::testing::Message() << "decoding " << type->name() << " in chunks of " << chunk);
    expect_error(ErrorKind::protocol, [&] { decode(type, bytes, rows, chunk, limits); });
  }
}

// A row's value as text, recursively (through dictionaries for LowCardinality), to compare
// columns whose encodings may legitimately differ (dictionary order).
inline std::string repr(const Column& c, std::size_t row) {
  const Type& t = c.type()->storage_type();
  switch (t.code()) {
    case TypeCode::Nothing: return "n";
    case TypeCode::String: return "'" + std::string(column_cast<ColumnString>(c)[row]) + "'";
    case TypeCode::Nullable: {
      const auto& n = column_cast<ColumnNullable>(c);
      return n.is_null(row) ? "NULL" : repr(n.nested(), row);
    }
    case TypeCode::Array: {
      const auto& a = column_cast<ColumnArray>(c);
      std::string s = "[";
      for (auto i = a.range(row).begin; i < a.range(row).end; ++i) s += repr(a.nested(), i) + ",";
      return s + "]";
    }
    case TypeCode::Tuple: {
      const auto& tu = column_cast<ColumnTuple>(c);
      std::string s = "(";
      for (std::size_t i = 0; i < tu.element_count(); ++i) s += repr(tu.element(i), row) + ",";
      return s + ")";
    }
    case TypeCode::Map: return "map" + repr(column_cast<ColumnMap>(c).as_array(), row);
    case TypeCode::LowCardinality: {
      const auto& lc = column_cast<ColumnLowCardinality>(c);
      return lc.is_null(row) ? "NULL" : repr(lc.dictionary(), lc.index(row));
    }
    case TypeCode::Variant: {
      const auto& v = column_cast<ColumnVariant>(c);
      if (v.is_null(row)) return "NULL";
      return "v" + std::to_string(v.discriminator(row)) + ":" +
             repr(v.variant(v.discriminator(row)), v.variant_row(row));
    }
    default: {
      const auto& f = column_cast<FixedWidthColumn>(c);
      const auto bytes = f.raw_bytes().subspan(row * f.value_size(), f.value_size());
      return hex(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    }
  }
}

inline std::string repr(const Column& c) {
  std::string s;
  for (std::size_t i = 0; i < c.size(); ++i) s += repr(c, i) + "\n";
  return s;
}

// Fills `column` with `rows` more rows of varied values (NULLs, empty and long strings, empty and
// long arrays, extreme numbers), recursing through every composite type.
class ValueGenerator {
 public:
  explicit ValueGenerator(std::uint32_t seed = 42) : rng_(seed) {}

  void fill(Column& column, std::size_t rows) {
    for (std::size_t i = 0; i < rows; ++i) append_one(column);
  }

  void append_one(Column& column) {
    const Type& t = column.type()->storage_type();
    switch (t.code()) {
      case TypeCode::Nothing: column.append_default(); break;
      case TypeCode::UInt8: number<ColumnUInt8>(column); break;
      case TypeCode::UInt16: number<ColumnUInt16>(column); break;
      case TypeCode::UInt32: number<ColumnUInt32>(column); break;
      case TypeCode::UInt64: number<ColumnUInt64>(column); break;
      case TypeCode::Int8: number<ColumnInt8>(column); break;
      case TypeCode::Int16: number<ColumnInt16>(column); break;
      case TypeCode::Int32: number<ColumnInt32>(column); break;
      case TypeCode::Int64: number<ColumnInt64>(column); break;
      case TypeCode::Float32: column_cast<ColumnFloat32>(column).append(static_cast<float>(next()) / 7.0f); break;
      case TypeCode::Float64: column_cast<ColumnFloat64>(column).append(static_cast<double>(next()) / 3.0); break;
      case TypeCode::Bool: column_cast<ColumnBool>(column).append(next() % 2 == 0); break;
      case TypeCode::UInt128:
        column_cast<ColumnUInt128>(column).append((static_cast<UInt128>(next()) << 64) | next());
        break;
      case TypeCode::Int128:
        column_cast<ColumnInt128>(column).append(static_cast<Int128>((static_cast<UInt128>(next()) << 64) | next()));
        break;
      case TypeCode::UInt256:
        column_cast<ColumnUInt256>(column).append(UInt256{{next(), next(), next(), next()}});
        break;
      case TypeCode::Int256: column_cast<ColumnInt256>(column).append(Int256{{next(), next(), next(), next()}}); break;
      case TypeCode::String: column_cast<ColumnString>(column).append(string()); break;
      case TypeCode::FixedString: {
        auto& c = column_cast<ColumnFixedString>(column);
        std::string s = string();
        s.resize(std::min(s.size(), c.fixed_size()));
        c.append(s);
        break;
      }
      case TypeCode::Date: column_cast<ColumnDate>(column).append(static_cast<std::uint16_t>(next())); break;
      case TypeCode::Date32: column_cast<ColumnDate32>(column).append(static_cast<std::int32_t>(next())); break;
      case TypeCode::DateTime: column_cast<ColumnDateTime>(column).append(static_cast<std::uint32_t>(next())); break;
      case TypeCode::DateTime64: column_cast<ColumnDateTime64>(column).append(static_cast<std::int64_t>(next())); break;
      case TypeCode::UUID: column_cast<ColumnUUID>(column).append(UUID{next(), next()}); break;
      case TypeCode::IPv4: column_cast<ColumnIPv4>(column).append(static_cast<std::uint32_t>(next())); break;
      case TypeCode::IPv6: {
        IPv6 ip;
        for (auto& b : ip.bytes) b = static_cast<std::uint8_t>(next());
        column_cast<ColumnIPv6>(column).append(ip);
        break;
      }
      case TypeCode::Decimal32:
        column_cast<ColumnDecimal32>(column).append(static_cast<std::int32_t>(next() % 1000000000) - 500000000);
        break;
      case TypeCode::Decimal64:
        column_cast<ColumnDecimal64>(column).append(static_cast<std::int64_t>(next() % 1000000000000000000ull));
        break;
      case TypeCode::Decimal128: column_cast<ColumnDecimal128>(column).append(-static_cast<Int128>(next())); break;
      case TypeCode::Decimal256:
        column_cast<ColumnDecimal256>(column).append(Int256::from(-static_cast<std::int64_t>(next() >> 2)));
        break;
      case TypeCode::Enum8: {
        auto& c = column_cast<ColumnEnum8>(column);
        const auto items = t.enum_items();
        c.append(static_cast<std::int8_t>(items[next() % items.size()].value));
        break;
      }
      case TypeCode::Enum16: {
        auto& c = column_cast<ColumnEnum16>(column);
        const auto items = t.enum_items();
        c.append_name(items[next() % items.size()].name);
        break;
      }
      case TypeCode::Nullable: {
        auto& c = column_cast<ColumnNullable>(column);
        if (next() % 3 == 0) {
          c.append_null();
        } else {
          append_one(c.nested());
          c.append_not_null();
        }
        break;
      }
      case TypeCode::Array: {
        auto& c = column_cast<ColumnArray>(column);
        const std::size_t n = array_length();
        for (std::size_t i = 0; i < n; ++i) append_one(c.nested());
        c.finish_row();
        break;
      }
      case TypeCode::Tuple: {
        auto& c = column_cast<ColumnTuple>(column);
        if (c.element_count() == 0) {
          c.append_default();
        } else {
          for (std::size_t i = 0; i < c.element_count(); ++i) append_one(c.element(i));
        }
        break;
      }
      case TypeCode::Map: {
        auto& c = column_cast<ColumnMap>(column);
        const std::size_t n = array_length();
        for (std::size_t i = 0; i < n; ++i) {
          append_one(c.keys());
          append_one(c.values());
        }
        c.finish_row();
        break;
      }
      case TypeCode::LowCardinality: {
        auto& c = column_cast<ColumnLowCardinality>(column);
        // Few distinct values, so the dictionary really deduplicates; plus NULLs.
        if (c.nullable() && next() % 4 == 0) {
          c.append_null();
          break;
        }
        auto value = make_column(c.dictionary().type());
        ValueGenerator small(static_cast<std::uint32_t>(next() % 5));
        small.append_one(*value);
        if (auto* s = dynamic_cast<ColumnString*>(value.get())) {
          c.append((*s)[0]);
        } else if (auto* fs = dynamic_cast<ColumnFixedString*>(value.get())) {
          c.append((*fs)[0]);
        } else {
          append_raw_value(c, static_cast<FixedWidthColumn&>(*value).raw_bytes());
        }
        break;
      }
      case TypeCode::Variant: {
        auto& c = column_cast<ColumnVariant>(column);
        // NULLs too; the other rows spread over the types (some may get none).
        const std::size_t k = next() % (c.variant_count() + 1);
        if (k == c.variant_count()) {
          c.append_null();
        } else {
          append_one(c.variant(k));
          c.append_variant(k);
        }
        break;
      }
      default: FAIL() << "no generator for " << t.name();
    }
  }

 private:
  template <class C>
  void number(Column& column) {
    using T = typename C::value_type;
    const std::uint64_t v = next();
    // Mix extremes in.
    T x;
    switch (v % 5) {
      case 0: x = std::numeric_limits<T>::min(); break;
      case 1: x = std::numeric_limits<T>::max(); break;
      case 2: x = T{}; break;
      default: x = static_cast<T>(v >> 3);
    }
    column_cast<C>(column).append(x);
  }

  static void append_raw_value(ColumnLowCardinality& c, std::span<const std::uint8_t> bytes) {
    // append_value needs a C++ type of the right size; pick one per width.
    switch (bytes.size()) {
      case 1: {
        std::uint8_t v;
        std::memcpy(&v, bytes.data(), 1);
        c.append_value(v);
        break;
      }
      case 2: {
        std::uint16_t v;
        std::memcpy(&v, bytes.data(), 2);
        c.append_value(v);
        break;
      }
      case 4: {
        std::uint32_t v;
        std::memcpy(&v, bytes.data(), 4);
        c.append_value(v);
        break;
      }
      case 8: {
        std::uint64_t v;
        std::memcpy(&v, bytes.data(), 8);
        c.append_value(v);
        break;
      }
      case 16: {
        UUID v;
        std::memcpy(&v, bytes.data(), 16);
        c.append_value(v);
        break;
      }
      case 32: {
        UInt256 v;
        std::memcpy(&v, bytes.data(), 32);
        c.append_value(v);
        break;
      }
      default: FAIL() << "no value type of " << bytes.size() << " bytes";
    }
  }

  std::uint64_t next() { return rng_(); }

  std::size_t array_length() {
    const std::uint64_t v = next() % 10;
    return v < 3 ? 0 : v < 8 ? v - 2 : 20;
  }

  std::string string() {
    const std::uint64_t v = next() % 10;
    if (v < 2) return std::string();
    if (v == 9) return std::string(300, static_cast<char>('a' + next() % 26));  // multi-byte length
    std::string s(v, '\0');
    for (auto& ch : s) ch = static_cast<char>(next());
    return s;
  }

  std::mt19937_64 rng_;
};

}  // namespace chconn::test
