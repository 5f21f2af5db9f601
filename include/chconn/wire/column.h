// Column: the abstract, typed, in-memory column every result and insert goes through, and its
// Native-format (de)serialization. The concrete column classes are in columns.h.
//
// A column holds the values of one block column in column-oriented storage (one contiguous array
// per stream, as on the wire), so decoding and encoding are bulk copies and no value costs a heap
// allocation or a virtual call. make_column() builds the right column for any Type; column_cast<>
// gives checked access to the concrete class.
//
// Serialization follows docs/protocol.md, "Column encodings": for each column of a block the
// state prefixes (LowCardinality key versions, depth-first) come before any data, then the body.
// load_* appends what they decode and check every count against the Reader's DecodeLimits before
// allocating; on error they throw chconn::Error(protocol) and leave the column with the rows it
// had before the call.
//
// Example:
//   auto col = chconn::make_column(chconn::parse_type("Nullable(String)"));
//   auto& n = chconn::column_cast<chconn::ColumnNullable>(*col);
//   chconn::column_cast<chconn::ColumnString>(n.nested()).append("x");
//   n.append_not_null();
//   n.append_null();
//
// Thread safety: a Column is a plain container. Concurrent reads of a column that nobody modifies
// are safe; anything else needs external synchronisation. Child columns are shared_ptrs owned by
// their parent; references and spans handed out stay valid until the column is next modified.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/wire/io.h"
#include "chconn/wire/types.h"

namespace chconn {

class Column;
using ColumnRef = std::shared_ptr<Column>;

class Column {
 public:
  virtual ~Column() = default;
  Column(const Column&) = delete;
  Column& operator=(const Column&) = delete;

  // The column's type as the server names it (a SimpleAggregateFunction or Nested type is kept as
  // such; the column stores it as its storage_type()).
  const TypeRef& type() const noexcept { return type_; }

  virtual std::size_t size() const noexcept = 0;
  bool empty() const noexcept { return size() == 0; }
  // Removes all rows (keeps capacity where the storage allows it).
  virtual void clear() = 0;
  // Removes rows from the end so that `rows` remain; rows >= size() does nothing.
  virtual void truncate(std::size_t rows) noexcept = 0;
  // Reserves room for `rows` rows (of the top-level storage; nested columns grow as needed).
  virtual void reserve(std::size_t rows) = 0;
  // Appends the type's default value: 0, "", NULL for Nullable, [] for Array...
  virtual void append_default() = 0;
  // Appends rows [begin, begin + count) of `other`, which must have the same storage type.
  // Throws Error(usage) when the types differ or the range is out of bounds.
  virtual void append_range(const Column& other, std::size_t begin, std::size_t count) = 0;
  // Appends row `row` of `other` (same rules as append_range).
  void append_from(const Column& other, std::size_t row) { append_range(other, row, 1); }
  // A new, empty column of the same type.
  virtual ColumnRef clone_empty() const = 0;
  // A new column holding a copy of rows [begin, begin + count).
  ColumnRef slice(std::size_t begin, std::size_t count) const;
  // A deep copy.
  ColumnRef clone() const { return slice(0, size()); }

  // ---- Native serialization (docs/protocol.md, "Column encodings") ----
  // Reads the state prefix (the key version of every LowCardinality inside, depth-first).
  virtual void load_prefix(wire::Reader& in);
  // Reads `rows` rows and appends them. On error throws Error(protocol) and truncates the column
  // back to the rows it had.
  void load_body(wire::Reader& in, std::size_t rows);
  // Writes the state prefix.
  virtual void save_prefix(wire::Writer& out) const;
  // Writes all rows. Throws Error(usage) if the column is inconsistent (e.g. tuple elements of
  // different lengths, an array whose offsets run past its elements).
  virtual void save_body(wire::Writer& out) const = 0;

 protected:
  explicit Column(TypeRef type);
  // Decodes `rows` rows; load_body() wraps it with the roll-back on error.
  virtual void load_rows(wire::Reader& in, std::size_t rows) = 0;
  // Throws Error(usage) naming both types unless `other` has the same storage type.
  void check_same_type(const Column& other) const;
  // Throws Error(usage) unless [begin, begin + count) lies within `other`.
  static void check_range(const Column& other, std::size_t begin, std::size_t count);
  // The type's storage type must have code `expected`; throws Error(usage) otherwise.
  static TypeRef checked_type(TypeRef type, TypeCode expected, std::string_view column_class);

  TypeRef type_;
};

// Builds an empty column of the right class for `type` (any type parse_type() accepts).
ColumnRef make_column(TypeRef type);

namespace detail {
[[noreturn]] void bad_column_cast(const Column& column, const std::string& wanted);
[[noreturn]] void row_out_of_range(const Column& column, std::size_t row);
}  // namespace detail

// Checked downcasts: throw Error(usage) naming the column's type and the requested class.
template <class C>
C& column_cast(Column& column) {
  if (auto* p = dynamic_cast<C*>(&column)) return *p;
  detail::bad_column_cast(column, C::class_name());
}
template <class C>
const C& column_cast(const Column& column) {
  if (auto* p = dynamic_cast<const C*>(&column)) return *p;
  detail::bad_column_cast(column, C::class_name());
}
template <class C>
std::shared_ptr<C> column_cast(const ColumnRef& column) {
  if (!column) throw Error(ErrorKind::usage, "column_cast of a null column to " + C::class_name());
  if (auto p = std::dynamic_pointer_cast<C>(column)) return p;
  detail::bad_column_cast(*column, C::class_name());
}

}  // namespace chconn
