// Custom serialization kinds of a block's columns (revision >= 54465): sparse and replicated
// columns, which the wire layer expands into ordinary columns as it reads them. Private to wire.
//
// At R >= 54454 each column of a block has a byte after its type name: 0 for the default
// serialization; 1 followed by the column's kind stack (SerializationInfo::serialializeKindStackBinary
// in ClickHouse's src/DataTypes/Serializations/SerializationInfo.cpp), and for a Tuple the stack of
// every element after the tuple's own, recursively (SerializationInfoTuple).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "chconn/wire/column.h"
#include "chconn/wire/io.h"

namespace chconn::detail {

// The kinds chconn decodes. ClickHouse's KindStackBinarySerializationType codes: DEFAULT 0,
// SPARSE 1, DETACHED 2, DETACHED_OVER_SPARSE 3, REPLICATED 4, COMBINATION 5.
enum class SerializationKind : std::uint8_t { plain, sparse, replicated };

// How one column (or Tuple element) is laid out, and the scratch column its non-default values
// are read into before they are expanded (sparse and replicated only).
struct ColumnLayout {
  SerializationKind kind = SerializationKind::plain;
  std::vector<ColumnLayout> elements;  // a Tuple's elements, when the stack was sent for them
  ColumnRef values{};                  // sparse / replicated: the values as sent

  // True when everything is plain: the column is read as it always was.
  bool plain() const noexcept;
};

// Reads the kind stack of `column` (has_custom was 1) at revision R: sparse from 54465, replicated
// from 54482. Anything else (DETACHED, which only secondary queries get, COMBINATION, a code
// ClickHouse does not define, a kind on a Tuple itself) is Error(protocol) naming it.
ColumnLayout read_layout(wire::Reader& in, const Column& column, std::uint64_t revision);

// Read a column laid out as `layout`: first the state prefix (of the values' serialization), then
// `rows` rows appended to `column`, expanding sparse and replicated data. Every count the peer
// sends is checked against the block's rows and charged before anything is allocated.
void load_prefix(wire::Reader& in, Column& column, ColumnLayout& layout);
void load_body(wire::Reader& in, Column& column, ColumnLayout& layout, std::size_t rows);

}  // namespace chconn::detail
