// Column base class, make_column() and the checked casts.
#include "chconn/wire/column.h"

#include <string>

#include "chconn/wire/columns.h"
#include "column_impl.h"

namespace chconn {

Column::Column(TypeRef type) : type_(std::move(type)) {
  if (!type_) detail::usage_error("a column needs a type, not null");
}

void Column::load_prefix(wire::Reader&) {}
void Column::save_prefix(wire::Writer&) const {}

void Column::load_body(wire::Reader& in, std::size_t rows) {
  const std::size_t before = size();
  try {
    load_rows(in, rows);
  } catch (...) {
    // Keep the column consistent: a half-decoded row set must not be visible (nested columns may
    // have grown further than the offsets that would have referenced them).
    truncate(before);
    throw;
  }
}

ColumnRef Column::slice(std::size_t begin, std::size_t count) const {
  check_range(*this, begin, count);
  ColumnRef out = clone_empty();
  out->append_range(*this, begin, count);
  return out;
}

void Column::check_same_type(const Column& other) const {
  const Type& a = type_->storage_type();
  const Type& b = other.type_->storage_type();
  if (!(a == b)) {
    detail::usage_error("cannot append rows of a " + other.type_->name() + " column to a " + type_->name() +
                        " column; the types must be the same");
  }
}

void Column::check_range(const Column& other, std::size_t begin, std::size_t count) {
  const std::size_t n = other.size();
  if (begin > n || count > n - begin) {
    detail::usage_error("rows [" + std::to_string(begin) + ", " + std::to_string(begin) + " + " +
                        std::to_string(count) + ") are out of range of a " + other.type_->name() + " column of " +
                        std::to_string(n) + " rows");
  }
}

TypeRef Column::checked_type(TypeRef type, TypeCode expected, std::string_view column_class) {
  if (!type) detail::usage_error(std::string(column_class) + " needs a type, not null");
  if (type->storage_type().code() != expected) {
    detail::usage_error(std::string(column_class) + " cannot hold type " + type->name() + " (it holds " +
                        std::string(to_string(expected)) + ")");
  }
  return type;
}

namespace detail {

void bad_column_cast(const Column& column, const std::string& wanted) {
  throw Error(ErrorKind::usage,
              "column of type " + column.type()->name() + " is not a " + wanted + "; check the column's type first");
}

void row_out_of_range(const Column& column, std::size_t row) {
  throw Error(ErrorKind::usage, "row " + std::to_string(row) + " is out of range of a " + column.type()->name() +
                                    " column of " + std::to_string(column.size()) + " rows");
}

}  // namespace detail

ColumnRef make_column(TypeRef type) {
  if (!type) detail::usage_error("make_column needs a type, not null");
  switch (type->storage_type().code()) {
    case TypeCode::Nothing: return std::make_shared<ColumnNothing>(std::move(type));
    case TypeCode::UInt8: return std::make_shared<ColumnUInt8>(std::move(type));
    case TypeCode::UInt16: return std::make_shared<ColumnUInt16>(std::move(type));
    case TypeCode::UInt32: return std::make_shared<ColumnUInt32>(std::move(type));
    case TypeCode::UInt64: return std::make_shared<ColumnUInt64>(std::move(type));
    case TypeCode::UInt128: return std::make_shared<ColumnUInt128>(std::move(type));
    case TypeCode::UInt256: return std::make_shared<ColumnUInt256>(std::move(type));
    case TypeCode::Int8: return std::make_shared<ColumnInt8>(std::move(type));
    case TypeCode::Int16: return std::make_shared<ColumnInt16>(std::move(type));
    case TypeCode::Int32: return std::make_shared<ColumnInt32>(std::move(type));
    case TypeCode::Int64: return std::make_shared<ColumnInt64>(std::move(type));
    case TypeCode::Int128: return std::make_shared<ColumnInt128>(std::move(type));
    case TypeCode::Int256: return std::make_shared<ColumnInt256>(std::move(type));
    case TypeCode::Float32: return std::make_shared<ColumnFloat32>(std::move(type));
    case TypeCode::Float64: return std::make_shared<ColumnFloat64>(std::move(type));
    case TypeCode::Bool: return std::make_shared<ColumnBool>(std::move(type));
    case TypeCode::String: return std::make_shared<ColumnString>(std::move(type));
    case TypeCode::FixedString: return std::make_shared<ColumnFixedString>(std::move(type));
    case TypeCode::Date: return std::make_shared<ColumnDate>(std::move(type));
    case TypeCode::Date32: return std::make_shared<ColumnDate32>(std::move(type));
    case TypeCode::DateTime: return std::make_shared<ColumnDateTime>(std::move(type));
    case TypeCode::DateTime64: return std::make_shared<ColumnDateTime64>(std::move(type));
    case TypeCode::BFloat16: return std::make_shared<ColumnBFloat16>(std::move(type));
    case TypeCode::Time: return std::make_shared<ColumnTime>(std::move(type));
    case TypeCode::Time64: return std::make_shared<ColumnTime64>(std::move(type));
    case TypeCode::UUID: return std::make_shared<ColumnUUID>(std::move(type));
    case TypeCode::IPv4: return std::make_shared<ColumnIPv4>(std::move(type));
    case TypeCode::IPv6: return std::make_shared<ColumnIPv6>(std::move(type));
    case TypeCode::Decimal32: return std::make_shared<ColumnDecimal32>(std::move(type));
    case TypeCode::Decimal64: return std::make_shared<ColumnDecimal64>(std::move(type));
    case TypeCode::Decimal128: return std::make_shared<ColumnDecimal128>(std::move(type));
    case TypeCode::Decimal256: return std::make_shared<ColumnDecimal256>(std::move(type));
    case TypeCode::Enum8: return std::make_shared<ColumnEnum8>(std::move(type));
    case TypeCode::Enum16: return std::make_shared<ColumnEnum16>(std::move(type));
    case TypeCode::Nullable: return std::make_shared<ColumnNullable>(std::move(type));
    case TypeCode::Array: return std::make_shared<ColumnArray>(std::move(type));
    case TypeCode::Tuple: return std::make_shared<ColumnTuple>(std::move(type));
    case TypeCode::Map: return std::make_shared<ColumnMap>(std::move(type));
    case TypeCode::Variant: return std::make_shared<ColumnVariant>(std::move(type));
    case TypeCode::Dynamic: return std::make_shared<ColumnDynamic>(std::move(type));
    case TypeCode::JSON: return std::make_shared<ColumnJSON>(std::move(type));
    case TypeCode::LowCardinality: return std::make_shared<ColumnLowCardinality>(std::move(type));
    case TypeCode::Nested:                   // storage_type() is Array(Tuple(...))
    case TypeCode::SimpleAggregateFunction:  // storage_type() is T
      break;
  }
  detail::usage_error("make_column: no column class for type " + type->name());
}

}  // namespace chconn
