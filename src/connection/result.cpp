#include "chconn/connection/result.h"

#include <concepts>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

#include "chconn/core/error.h"
#include "chconn/wire/columns.h"

namespace chconn {

namespace {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {
  using value_type = T;
};


template <class T>
std::string cpp_name() {
  if constexpr (std::same_as<T, bool>) return "bool";
  else if constexpr (std::same_as<T, std::string>) return "std::string";
  else if constexpr (std::same_as<T, std::string_view>) return "std::string_view";
  else if constexpr (std::floating_point<T>) return sizeof(T) == 4 ? "float" : "double";
  else if constexpr (std::signed_integral<T>) return "int" + std::to_string(8 * sizeof(T)) + "_t";
  else if constexpr (std::unsigned_integral<T>) return "uint" + std::to_string(8 * sizeof(T)) + "_t";
  else return "T";
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

// Integer-like storage as a 128-bit value: integers, Bool, Date, DateTime, Enum values.
std::optional<Int128> integer_of(const Cell& c) {
  const Column& col = *c.column;
  if (auto* p = dynamic_cast<const ColumnUInt8*>(&col)) return Int128((*p)[c.row]);
  if (auto* p = dynamic_cast<const ColumnUInt16*>(&col)) return Int128((*p)[c.row]);
  if (auto* p = dynamic_cast<const ColumnUInt32*>(&col)) return Int128((*p)[c.row]);
  if (auto* p = dynamic_cast<const ColumnUInt64*>(&col)) return Int128((*p)[c.row]);
  if (auto* p = dynamic_cast<const ColumnInt8*>(&col)) return Int128((*p)[c.row]);
  if (auto* p = dynamic_cast<const ColumnInt16*>(&col)) return Int128((*p)[c.row]);
  if (auto* p = dynamic_cast<const ColumnInt32*>(&col)) return Int128((*p)[c.row]);
  if (auto* p = dynamic_cast<const ColumnInt64*>(&col)) return Int128((*p)[c.row]);
  if (auto* p = dynamic_cast<const ColumnBool*>(&col)) return Int128((*p)[c.row] ? 1 : 0);
  if (auto* p = dynamic_cast<const ColumnDate*>(&col)) return Int128((*p)[c.row]);
  if (auto* p = dynamic_cast<const ColumnDate32*>(&col)) return Int128((*p)[c.row]);
  if (auto* p = dynamic_cast<const ColumnDateTime*>(&col)) return Int128((*p)[c.row]);
  if (auto* p = dynamic_cast<const ColumnDateTime64*>(&col)) return Int128((*p)[c.row]);
  if (auto* p = dynamic_cast<const ColumnEnum8*>(&col)) return Int128((*p)[c.row]);
  if (auto* p = dynamic_cast<const ColumnEnum16*>(&col)) return Int128((*p)[c.row]);
  if (auto* p = dynamic_cast<const ColumnIPv4*>(&col)) return Int128((*p)[c.row]);
  return std::nullopt;
}

[[noreturn]] void mismatch(const Column& column, std::string_view name, const std::string& wanted,
                           std::string_view why = {}) {
  std::string msg = "column '" + std::string(name) + "' of type " + column.type()->name() + " cannot be read as " +
                    wanted;
  if (!why.empty()) msg += ": " + std::string(why);
  throw Error(ErrorKind::usage, msg);
}

template <class T>
T convert(const Column& top, const Cell& c, std::string_view name) {
  if constexpr (std::same_as<T, std::string_view> || std::same_as<T, std::string>) {
    if (auto* p = dynamic_cast<const ColumnString*>(c.column)) return T((*p)[c.row]);
    if (auto* p = dynamic_cast<const ColumnFixedString*>(c.column)) return T((*p)[c.row]);
    if (auto* p = dynamic_cast<const ColumnEnum8*>(c.column))
      if (const std::string* s = p->name_at(c.row)) return T(*s);
    if (auto* p = dynamic_cast<const ColumnEnum16*>(c.column))
      if (const std::string* s = p->name_at(c.row)) return T(*s);
    mismatch(top, name, cpp_name<T>());
  } else if constexpr (std::floating_point<T>) {
    if (auto* p = dynamic_cast<const ColumnFloat64*>(c.column)) return static_cast<T>((*p)[c.row]);
    if (auto* p = dynamic_cast<const ColumnFloat32*>(c.column)) return static_cast<T>((*p)[c.row]);
    if (auto v = integer_of(c)) return static_cast<T>(*v);
    mismatch(top, name, cpp_name<T>());
  } else if constexpr (std::same_as<T, bool>) {
    if (auto v = integer_of(c)) return *v != 0;
    mismatch(top, name, "bool");
  } else if constexpr (std::integral<T>) {
    const auto v = integer_of(c);
    if (!v) mismatch(top, name, cpp_name<T>());
    if (*v < Int128(std::numeric_limits<T>::min()) || *v > Int128(std::numeric_limits<T>::max())) {
      mismatch(top, name, cpp_name<T>(), "the value does not fit");
    }
    return static_cast<T>(*v);
  } else {
    static_assert(sizeof(T) == 0, "unsupported type for ResultRow::get");
  }
}

template <class T>
T get_value(const Block& block, std::size_t row, std::size_t index) {
  const Column& column = *block.column(index);
  const std::string& name = block.name(index);
  const auto cell = unwrap(column, row);
  if constexpr (is_optional<T>::value) {
    if (!cell) return std::nullopt;
    return convert<typename is_optional<T>::value_type>(column, *cell, name);
  } else {
    if (!cell) mismatch(column, name, cpp_name<T>(), "the value is NULL (read it as std::optional)");
    return convert<T>(column, *cell, name);
  }
}

std::size_t index_of(const Block& block, std::string_view name) {
  for (std::size_t i = 0; i < block.column_count(); ++i)
    if (block.name(i) == name) return i;
  std::string names;
  for (std::size_t i = 0; i < block.column_count(); ++i) names += (i ? ", " : "") + block.name(i);
  throw Error(ErrorKind::usage, "no column '" + std::string(name) + "' in the result (columns: " + names + ")");
}

}  // namespace

template <class T>
T ResultRow::get(std::string_view name) const {
  return get_value<T>(*block_, row_, index_of(*block_, name));
}

template <class T>
T ResultRow::get(std::size_t column) const {
  if (column >= block_->column_count()) {
    throw Error(ErrorKind::usage, "column index " + std::to_string(column) + " is out of range (the result has " +
                                      std::to_string(block_->column_count()) + " columns)");
  }
  return get_value<T>(*block_, row_, column);
}

bool ResultRow::is_null(std::string_view name) const {
  return !unwrap(*block_->column(index_of(*block_, name)), row_);
}

#define CHCONN_RESULT_GET(T)                                  \
  template T ResultRow::get<T>(std::string_view name) const;  \
  template T ResultRow::get<T>(std::size_t column) const;     \
  template std::optional<T> ResultRow::get<std::optional<T>>(std::string_view name) const; \
  template std::optional<T> ResultRow::get<std::optional<T>>(std::size_t column) const;
CHCONN_RESULT_GET(bool)
CHCONN_RESULT_GET(std::int8_t)
CHCONN_RESULT_GET(std::int16_t)
CHCONN_RESULT_GET(std::int32_t)
CHCONN_RESULT_GET(std::int64_t)
CHCONN_RESULT_GET(std::uint8_t)
CHCONN_RESULT_GET(std::uint16_t)
CHCONN_RESULT_GET(std::uint32_t)
CHCONN_RESULT_GET(std::uint64_t)
CHCONN_RESULT_GET(float)
CHCONN_RESULT_GET(double)
CHCONN_RESULT_GET(std::string)
CHCONN_RESULT_GET(std::string_view)
#undef CHCONN_RESULT_GET

std::size_t Result::row_count() const noexcept {
  std::size_t n = 0;
  for (const Block& b : blocks) n += b.rows();
  return n;
}

std::size_t Result::column_index(std::string_view name) const { return index_of(header, name); }

ResultRow Result::row(std::size_t index) const {
  std::size_t i = index;
  for (const Block& b : blocks) {
    if (i < b.rows()) return ResultRow(b, i);
    i -= b.rows();
  }
  throw Error(ErrorKind::usage, "row " + std::to_string(index) + " is out of range (the result has " +
                                    std::to_string(row_count()) + " rows)");
}


}  // namespace chconn
