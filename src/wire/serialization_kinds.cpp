// Sparse (54465, Nullable from 54483) and replicated (54482) columns in Data blocks, read from the
// layouts of ClickHouse's src/DataTypes/Serializations/SerializationSparse.cpp (serializeOffsets,
// deserializeOffsets), SerializationNullable.cpp (use_default_null_map) and
// SerializationReplicated.cpp; docs/protocol.md, "Custom serialization kinds".
#include "serialization_kinds.h"

#include <string>

#include "chconn/core/error.h"
#include "chconn/wire/columns.h"
#include "chconn/wire/detail/protocol.h"
#include "column_impl.h"

namespace chconn::detail {

namespace {

using wire::Reader;

// KindStackBinarySerializationType (SerializationInfo.cpp).
constexpr std::uint8_t k_kind_default = 0;
constexpr std::uint8_t k_kind_sparse = 1;
constexpr std::uint8_t k_kind_detached = 2;
constexpr std::uint8_t k_kind_detached_over_sparse = 3;
constexpr std::uint8_t k_kind_replicated = 4;
constexpr std::uint8_t k_kind_combination = 5;

// A sparse group size is a UVarInt < 2^63; bit 62 marks the last group (END_OF_GRANULE_FLAG).
constexpr std::uint64_t k_end_of_granule = std::uint64_t{1} << 62;

std::string revision_text(std::uint64_t revision) { return "revision " + std::to_string(revision); }

SerializationKind read_kind(Reader& in, std::uint64_t revision) {
  const std::uint8_t code = in.u8();
  switch (code) {
    case k_kind_default: return SerializationKind::plain;
    case k_kind_sparse:
      if (revision >= wire::k_min_revision_with_sparse_serialization) return SerializationKind::sparse;
      break;
    case k_kind_replicated:
      if (revision >= wire::k_min_revision_with_replicated_serialization) return SerializationKind::replicated;
      break;
    case k_kind_detached:
    case k_kind_detached_over_sparse:
      protocol_error("serialization kind DETACHED (" + std::to_string(code) +
                     "), which servers send only to secondary (shard) queries; chconn sends initial queries, so the "
                     "stream is corrupt");
    case k_kind_combination:
      protocol_error("serialization kind COMBINATION (a stack of several kinds) is not supported");
    default: break;
  }
  protocol_error("unknown serialization kind " + std::to_string(code) + " at " + revision_text(revision) +
                 "; the stream is corrupt");
}

// The column values are read into before expansion: a Nullable's sparse values are its nested
// type's, without a null map (SerializationNullable with use_default_null_map).
ColumnRef values_column(const Column& column, SerializationKind kind) {
  if (kind == SerializationKind::sparse) {
    if (const auto* nullable = dynamic_cast<const ColumnNullable*>(&column)) return nullable->nested().clone_empty();
  }
  return column.clone_empty();
}

// What one expanded row costs at least in `column`: its fixed width (FixedString(N): N), else an
// offset or pointer's 8 bytes; a Nullable adds its null-map byte.
std::uint64_t row_cost(const Column& column) {
  const auto* nullable = dynamic_cast<const ColumnNullable*>(&column);
  const Column& inner = nullable != nullptr ? nullable->nested() : column;
  return std::max<std::uint64_t>(inner.type()->storage_type().value_size(), 8) + (nullable != nullptr ? 1 : 0);
}

void load_sparse(Reader& in, Column& column, Column& values, std::size_t rows) {
  // The offsets: for each non-default row the number of defaults before it, then the trailing
  // defaults with the end flag. Each group is checked against the rows left before it is used.
  std::vector<std::size_t> positions;  // of the non-default rows; at most one per byte received
  std::size_t total = 0;
  for (;;) {
    const std::uint64_t word = in.uvarint();
    const bool last = (word & k_end_of_granule) != 0;
    const std::uint64_t group = word & ~k_end_of_granule;
    const std::uint64_t limit = rows - total;
    if (group > limit || (!last && group == limit)) {
      protocol_error("sparse offsets describe more than the block's " + std::to_string(rows) + " rows (" +
                     std::to_string(total) + " so far, then a group of " + std::to_string(group) +
                     (last ? " trailing defaults)" : " defaults and a value)"));
    }
    total += static_cast<std::size_t>(group);
    if (last) break;
    charge_values(in, 1, sizeof(std::size_t), "sparse offsets");
    positions.push_back(total);
    ++total;
  }
  if (total != rows) {
    protocol_error("sparse offsets describe " + std::to_string(total) + " rows, but the block has " +
                   std::to_string(rows));
  }
  values.clear();
  values.load_body(in, positions.size());  // charged as they are read
  charge_values(in, rows - positions.size(), static_cast<std::size_t>(row_cost(column)), "a sparse column's defaults");
  // A sparse Nullable's values are its nested type's; every row not listed is NULL.
  auto* nullable = dynamic_cast<ColumnNullable*>(&column);
  if (nullable != nullptr && values.type()->name() == column.type()->name()) nullable = nullptr;
  column.reserve(column.size() + rows);
  std::size_t next = 0;
  for (std::size_t row = 0; row < rows; ++row) {
    if (next < positions.size() && positions[next] == row) {
      if (nullable != nullptr) {
        nullable->nested().append_range(values, next, 1);
        nullable->append_not_null();
      } else {
        column.append_range(values, next, 1);
      }
      ++next;
    } else {
      column.append_default();
    }
  }
}

// Charges what expanding `values` by `indexes` allocates, before it is done: exact for fixed-width
// values and Strings; for other types each row is charged the bytes all the values cost when read
// (`values_cost`) times the largest number of rows that share one value, an upper bound, so that a
// few values repeated over many rows cannot allocate more than the budget.
void charge_expansion(Reader& in, const Column& values, const std::vector<std::uint64_t>& indexes,
                      std::uint64_t values_cost) {
  const std::uint64_t base = row_cost(values);
  if (values.type()->storage_type().value_size() > 0) {
    charge_values(in, indexes.size(), static_cast<std::size_t>(base), "a replicated column's rows");
    return;
  }
  if (const auto* strings = dynamic_cast<const ColumnString*>(&values)) {
    for (const std::uint64_t index : indexes)
      in.charge(base + (*strings)[static_cast<std::size_t>(index)].size(), "a replicated column's rows");
    return;
  }
  std::vector<std::uint32_t> refs(values.size());
  std::uint64_t most = 0;
  for (const std::uint64_t index : indexes) most = std::max<std::uint64_t>(most, ++refs[index]);
  charge_values(in, indexes.size(), static_cast<std::size_t>(base), "a replicated column's rows");
  const std::uint64_t shared = most > 0 && values_cost > UINT64_MAX / most ? UINT64_MAX : values_cost * most;
  in.charge(shared, "a replicated column's repeated values");
}

void load_replicated(Reader& in, Column& column, Column& values, std::size_t rows) {
  const std::uint64_t declared = in.uvarint();
  if (declared != rows) {
    protocol_error("a replicated column declares " + std::to_string(declared) + " rows, but the block has " +
                   std::to_string(rows));
  }
  const std::uint8_t width = in.u8();
  if (width != 1 && width != 2 && width != 4 && width != 8) {
    protocol_error("a replicated column's index width is " + std::to_string(width) + " bytes (1, 2, 4 or 8 expected)");
  }
  charge_values(in, rows, sizeof(std::uint64_t), "replicated column indexes");
  std::vector<std::uint64_t> indexes(rows);
  std::uint64_t largest = 0;
  for (auto& index : indexes) {
    switch (width) {
      case 1: index = in.u8(); break;
      case 2: index = in.fixed<std::uint16_t>(); break;
      case 4: index = in.fixed<std::uint32_t>(); break;
      default: index = in.fixed<std::uint64_t>(); break;
    }
    largest = std::max(largest, index);
  }
  const std::uint64_t elements = in.count(in.limits().max_block_rows, "replicated column element count");
  if (rows > 0 && largest >= elements) {
    protocol_error("a replicated column's index " + std::to_string(largest) + " is past its " +
                   std::to_string(elements) + " elements");
  }
  values.clear();
  const std::uint64_t charged_before = in.charged();
  values.load_body(in, static_cast<std::size_t>(elements));
  charge_expansion(in, values, indexes, in.charged() - charged_before);
  column.reserve(column.size() + rows);
  for (const std::uint64_t index : indexes) column.append_range(values, static_cast<std::size_t>(index), 1);
}

}  // namespace

bool ColumnLayout::plain() const noexcept {
  if (kind != SerializationKind::plain) return false;
  for (const auto& e : elements) {
    if (!e.plain()) return false;
  }
  return true;
}

ColumnLayout read_layout(Reader& in, const Column& column, std::uint64_t revision) {
  ColumnLayout layout;
  layout.kind = read_kind(in, revision);
  // SerializationInfoTuple: the tuple's own stack, then each element's, recursively.
  if (const auto* tuple = dynamic_cast<const ColumnTuple*>(&column)) {
    if (layout.kind != SerializationKind::plain) {
      protocol_error("a Tuple column itself in a sparse or replicated serialization is not supported");
    }
    layout.elements.reserve(tuple->element_count());
    for (std::size_t i = 0; i < tuple->element_count(); ++i)
      layout.elements.push_back(read_layout(in, tuple->element(i), revision));
  }
  if (layout.kind != SerializationKind::plain) layout.values = values_column(column, layout.kind);
  return layout;
}

void load_prefix(Reader& in, Column& column, ColumnLayout& layout) {
  if (!layout.elements.empty()) {
    auto& tuple = column_cast<ColumnTuple>(column);
    for (std::size_t i = 0; i < layout.elements.size(); ++i) load_prefix(in, tuple.element(i), layout.elements[i]);
  } else if (layout.values) {
    // The values' serialization writes its prefix (SparseElements; Replicated delegates to nested).
    layout.values->load_prefix(in);
  } else {
    column.load_prefix(in);
  }
}

void load_body(Reader& in, Column& column, ColumnLayout& layout, std::size_t rows) {
  if (layout.plain()) {
    column.load_body(in, rows);
    return;
  }
  const std::size_t before = column.size();
  try {
    if (!layout.elements.empty()) {
      auto& tuple = column_cast<ColumnTuple>(column);
      for (std::size_t i = 0; i < layout.elements.size(); ++i)
        load_body(in, tuple.element(i), layout.elements[i], rows);
    } else if (layout.kind == SerializationKind::sparse) {
      load_sparse(in, column, *layout.values, rows);
    } else {
      load_replicated(in, column, *layout.values, rows);
    }
  } catch (...) {
    column.truncate(before);
    throw;
  }
}

}  // namespace chconn::detail
