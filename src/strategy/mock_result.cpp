// MockResult (see chconn/strategy/mock.h): a scripted result built from rows of MockValues, each
// value checked against its column's type and converted as the server would store it.
#include <cstring>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "chconn/strategy/mock.h"
#include "chconn/wire/column.h"
#include "chconn/wire/columns.h"
#include "chconn/wire/types.h"

namespace chconn {

namespace {

[[noreturn]] void cannot(const std::string& where, const std::string& why) {
  throw Error(ErrorKind::usage, "MockResult: " + where + ": " + why);
}

std::string_view kind_name(MockValue::Kind kind) {
  switch (kind) {
    case MockValue::Kind::null: return "NULL";
    case MockValue::Kind::integer: return "an integer";
    case MockValue::Kind::floating: return "a floating-point number";
    case MockValue::Kind::text: return "text";
    case MockValue::Kind::day: return "a day (sys_days)";
    case MockValue::Kind::instant: return "an instant (sys_time)";
    case MockValue::Kind::list: return "a list (vector)";
  }
  return "?";
}

[[noreturn]] void wrong_kind(const std::string& where, const MockValue& v, std::string_view wanted) {
  cannot(where, "takes " + std::string(wanted) + ", not " + std::string(kind_name(v.kind())));
}

std::string int128_text(Int128 v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  std::string out;
  UInt128 u = negative ? UInt128(0) - static_cast<UInt128>(v) : static_cast<UInt128>(v);
  while (u != 0) {
    out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  return negative ? "-" + out : out;
}

// Writes `v` as a `bytes`-wide little-endian integer, signed or not, after a range check.
void append_integer(Column& column, Int128 v, std::size_t bytes, bool is_signed, const std::string& where) {
  const unsigned bits = static_cast<unsigned>(bytes * 8);
  const bool fits = bits >= 128 ? (is_signed || v >= 0)
                    : is_signed ? (v >= -(Int128(1) << (bits - 1)) && v < (Int128(1) << (bits - 1)))
                                : (v >= 0 && v < (Int128(1) << bits));
  if (!fits) cannot(where, int128_text(v) + " is out of range");
  auto& fixed = column_cast<FixedWidthColumn>(column);
  std::uint8_t* out = fixed.append_raw(1);
  UInt128 u = static_cast<UInt128>(v);
  for (std::size_t i = 0; i < bytes; ++i) {
    out[i] = static_cast<std::uint8_t>(u & 0xff);
    u >>= 8;
  }
}

Int128 floor_div(Int128 a, Int128 b) {
  Int128 q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

void append_value(Column& column, const MockValue& v, const std::string& where) {
  const Type& type = *column.type();
  using K = MockValue::Kind;
  if (type.code() == TypeCode::Nullable) {
    auto& n = column_cast<ColumnNullable>(column);
    if (v.kind() == K::null) {
      n.append_null();
    } else {
      append_value(n.nested(), v, where);
      n.append_not_null();
    }
    return;
  }
  if (v.kind() == K::null && type.code() != TypeCode::LowCardinality) {
    cannot(where, "NULL in a column that is not Nullable");
  }
  switch (type.code()) {
    case TypeCode::UInt8:
    case TypeCode::UInt16:
    case TypeCode::UInt32:
    case TypeCode::UInt64:
    case TypeCode::UInt128:
    case TypeCode::Int8:
    case TypeCode::Int16:
    case TypeCode::Int32:
    case TypeCode::Int64:
    case TypeCode::Int128:
    case TypeCode::Bool:
    case TypeCode::IPv4: {
      if (v.kind() != K::integer) wrong_kind(where, v, "an integer");
      const auto& fixed = column_cast<FixedWidthColumn>(column);
      const bool is_signed = type.code() >= TypeCode::Int8 && type.code() <= TypeCode::Int128;
      if (type.code() == TypeCode::Bool && v.integer() != 0 && v.integer() != 1) cannot(where, "a Bool is 0 or 1");
      append_integer(column, v.integer(), fixed.value_size(), is_signed, where);
      return;
    }
    case TypeCode::Enum8:
    case TypeCode::Enum16: {
      if (v.kind() == K::text) {
        if (type.code() == TypeCode::Enum8)
          column_cast<ColumnEnum<std::int8_t>>(column).append_name(v.text());
        else
          column_cast<ColumnEnum<std::int16_t>>(column).append_name(v.text());
        return;
      }
      if (v.kind() != K::integer) wrong_kind(where, v, "an integer or an element's name");
      append_integer(column, v.integer(), type.code() == TypeCode::Enum8 ? 1 : 2, true, where);
      return;
    }
    case TypeCode::Float32:
    case TypeCode::Float64: {
      double d = 0;
      if (v.kind() == K::floating)
        d = v.floating();
      else if (v.kind() == K::integer)
        d = static_cast<double>(v.integer());
      else
        wrong_kind(where, v, "a number");
      std::uint8_t* out = column_cast<FixedWidthColumn>(column).append_raw(1);
      if (type.code() == TypeCode::Float32) {
        const auto f = static_cast<float>(d);
        std::memcpy(out, &f, sizeof f);
      } else {
        std::memcpy(out, &d, sizeof d);
      }
      return;
    }
    case TypeCode::String:
      if (v.kind() != K::text) wrong_kind(where, v, "text");
      column_cast<ColumnString>(column).append(v.text());
      return;
    case TypeCode::FixedString: {
      if (v.kind() != K::text) wrong_kind(where, v, "text");
      auto& fixed = column_cast<ColumnFixedString>(column);
      if (v.text().size() > fixed.value_size()) {
        cannot(where, std::to_string(v.text().size()) + " bytes do not fit in " + std::to_string(fixed.value_size()));
      }
      fixed.append(v.text());
      return;
    }
    case TypeCode::Date:
    case TypeCode::Date32:
      if (v.kind() != K::day) wrong_kind(where, v, "a day (std::chrono::sys_days)");
      append_integer(column, v.integer(), type.code() == TypeCode::Date ? 2 : 4, type.code() == TypeCode::Date32,
                     where);
      return;
    case TypeCode::DateTime:
      if (v.kind() != K::instant) wrong_kind(where, v, "an instant (std::chrono::sys_time)");
      append_integer(column, floor_div(v.integer(), 1'000'000'000), 4, false, where);
      return;
    case TypeCode::DateTime64: {
      if (v.kind() != K::instant) wrong_kind(where, v, "an instant (std::chrono::sys_time)");
      Int128 unit = 1;
      for (std::uint32_t p = type.storage_type().precision(); p < 9; ++p) unit *= 10;
      append_integer(column, floor_div(v.integer(), unit), 8, true, where);
      return;
    }
    case TypeCode::Array: {
      if (v.kind() != K::list) wrong_kind(where, v, "a list (std::vector)");
      auto& array = column_cast<ColumnArray>(column);
      for (const MockValue& element : v.list()) append_value(array.nested(), element, where + ", an element");
      array.finish_row();
      return;
    }
    case TypeCode::LowCardinality: {
      auto& lc = column_cast<ColumnLowCardinality>(column);
      const TypeCode inner = type.element(0)->code();
      const bool text_dictionary =
          inner == TypeCode::String ||
          (inner == TypeCode::Nullable && type.element(0)->element(0)->code() == TypeCode::String);
      if (!text_dictionary)
        cannot(where, "only LowCardinality(String) and LowCardinality(Nullable(String)) are built here");
      if (v.kind() == K::null) {
        if (inner != TypeCode::Nullable) cannot(where, "NULL in a column that is not Nullable");
        lc.append_null();
      } else if (v.kind() == K::text) {
        lc.append(v.text());
      } else {
        wrong_kind(where, v, "text");
      }
      return;
    }
    default: cannot(where, "this column type is not built by MockResult; build the Block yourself");
  }
}

}  // namespace

MockResult::MockResult(std::initializer_list<ColumnSpec> columns)
    : MockResult(std::vector<ColumnSpec>(columns.begin(), columns.end())) {}

MockResult::MockResult(std::vector<ColumnSpec> columns) : columns_(std::move(columns)) {
  if (columns_.empty()) throw Error(ErrorKind::usage, "MockResult needs at least one column");
  std::set<std::string, std::less<>> names;
  data_.reserve(columns_.size());
  for (const ColumnSpec& c : columns_) {
    if (!names.insert(c.name).second) throw Error(ErrorKind::usage, "MockResult: column '" + c.name + "' given twice");
    try {
      data_.push_back(make_column(parse_type(c.type)));
    } catch (const Error& e) {
      throw Error(ErrorKind::usage, "MockResult: column '" + c.name + "': " + e.message());
    }
  }
}

MockResult& MockResult::row(std::vector<MockValue> values) {
  if (values.size() != columns_.size()) {
    throw Error(ErrorKind::usage, "MockResult: row " + std::to_string(rows_ + 1) + " has " +
                                      std::to_string(values.size()) + " values for " + std::to_string(columns_.size()) +
                                      " columns");
  }
  try {
    for (std::size_t i = 0; i < values.size(); ++i) {
      append_value(
          *data_[i], values[i],
          "column '" + columns_[i].name + "' of type " + columns_[i].type + ", row " + std::to_string(rows_ + 1));
    }
  } catch (...) {
    for (const ColumnRef& c : data_) c->truncate(rows_);  // nothing of a refused row stays
    throw;
  }
  ++rows_;
  return *this;
}

std::size_t MockResult::rows() const noexcept { return rows_; }

Result MockResult::result() const {
  Result r;
  Block data;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    r.header.append(columns_[i].name, make_column(data_[i]->type()));
    data.append(columns_[i].name, data_[i]->clone());
  }
  if (rows_ > 0) r.blocks.push_back(std::move(data));
  return r;
}

}  // namespace chconn
