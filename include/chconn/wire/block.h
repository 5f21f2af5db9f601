// Block: the unit of data the native protocol moves — ordered, named columns of equal length —
// and its Native encoding (docs/protocol.md, "Data blocks"), used by every Data, Totals,
// Extremes, Log and ProfileEvents packet.
//
// A block with columns and 0 rows is a header (a SELECT's result structure, an INSERT's sample
// block); a block with no columns is the end-of-data marker. Columns are named as the server names
// them; a Nested column arrives flattened as `n.a Array(A)`, `n.b Array(B)`.
//
// Example (building an INSERT block):
//   chconn::Block block;
//   auto id = std::make_shared<chconn::ColumnUInt64>();
//   auto name = std::make_shared<chconn::ColumnString>();
//   id->append(1); name->append("one");
//   block.append("id", id);
//   block.append("name", name);
//   chconn::wire::write_block(out, block, revision);
//
// Thread safety: a Block is a plain value holding shared column pointers; copies share columns.
// Not synchronised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/wire/column.h"
#include "chconn/wire/io.h"

namespace chconn {

// Per-block metadata of two-level aggregation; clients leave the defaults.
struct BlockInfo {
  bool is_overflows = false;
  std::int32_t bucket_num = -1;
  // Field 3, sent only at revisions >= 54480 (aggregation with out-of-order buckets).
  std::vector<std::int32_t> out_of_order_buckets;
};

class Block {
 public:
  struct Entry {
    std::string name;
    ColumnRef column;
  };

  Block() = default;

  BlockInfo info;

  // The common length of the columns (0 without columns).
  std::size_t rows() const noexcept { return entries_.empty() ? 0 : entries_.front().column->size(); }
  std::size_t column_count() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }

  // Appends a column. Throws Error(usage) if `column` is null or its length differs from the
  // columns already in the block. Duplicate names are allowed (the server never sends them).
  void append(std::string name, ColumnRef column);

  const Entry& operator[](std::size_t i) const noexcept { return entries_[i]; }
  const Entry& at(std::size_t i) const;  // throws Error(usage) when out of range
  const ColumnRef& column(std::size_t i) const { return at(i).column; }
  const std::string& name(std::size_t i) const { return at(i).name; }
  // The column named `name`, or null. Linear in the number of columns.
  ColumnRef find(std::string_view name) const noexcept;
  // The column named `name`; throws Error(usage) naming the missing column.
  const ColumnRef& column(std::string_view name) const;
  // Typed access: column_as<ColumnUInt64>("id"). Deleted on a temporary Block: a column cannot be
  // copied, so the reference would be all that is left of a column the temporary may own alone.
  // (The accessors above return references too, but what they refer to, a name or a shared
  // pointer, is copied in any ordinary use; those stay usable on a temporary.)
  template <class C>
  C& column_as(std::string_view name) const& {
    return column_cast<C>(*column(name));
  }
  template <class C>
  C& column_as(std::size_t i) const& {
    return column_cast<C>(*column(i));
  }
  template <class C>
  C& column_as(std::string_view name) const&& = delete;
  template <class C>
  C& column_as(std::size_t i) const&& = delete;

  // A block with the same names and column types and no rows (fresh columns: nothing shared), as
  // a result's header or an insert's sample is. BlockInfo is not copied.
  Block empty_copy() const;

  // Throws Error(usage) unless every column has the same number of rows (columns can grow after
  // being appended, so write_block() checks again).
  void check_consistent() const;
  void clear() noexcept { entries_.clear(); }
  // Moves the entries out, leaving the block empty (read_block() reuses their columns).
  std::vector<Entry> take_entries() noexcept {
    std::vector<Entry> taken = std::move(entries_);
    entries_.clear();
    return taken;
  }

  std::vector<Entry>::const_iterator begin() const noexcept { return entries_.begin(); }
  std::vector<Entry>::const_iterator end() const noexcept { return entries_.end(); }

 private:
  std::vector<Entry> entries_;
};

namespace wire {

// Reads one Block (without the Data packet's code and table name) at negotiated revision
// `revision`. Every count, length and type name is checked against in.limits(); throws
// Error(protocol) on anything malformed, truncated or unsupported (custom/sparse serialization).
//
// `recycle` (optional) is a block the caller is done with, typically the previous block of the same
// result: each of its columns that nothing else holds (use_count() == 1) and whose type has the
// name the stream gives is emptied with clear() and decoded into, in place of a new column. Its
// buffers keep their capacity, so a stream of like blocks allocates (and faults in) its memory
// once. A column still shared with anyone (a copied Block, a kept ColumnRef) is never reused.
// `*recycle` is left empty.
Block read_block(Reader& in, std::uint64_t revision, Block* recycle = nullptr);

// Writes `block` at negotiated revision `revision`, each column under its type's name(). Throws
// Error(usage) if the columns' lengths differ.
void write_block(Writer& out, const Block& block, std::uint64_t revision);

}  // namespace wire
}  // namespace chconn
