// Block and its Native encoding (docs/protocol.md, "Data blocks").
#include "chconn/wire/block.h"

#include <string>

#include "chconn/core/error.h"
#include "chconn/wire/columns.h"
#include "chconn/wire/detail/protocol.h"
#include "chconn/wire/types.h"
#include "column_impl.h"
#include "serialization_kinds.h"

namespace chconn {

namespace {
// Revisions that change the block layout (DBMS_MIN_REVISION_WITH_*).
constexpr std::uint64_t k_rev_block_info = 51903;
constexpr std::uint64_t k_rev_custom_serialization = 54454;
constexpr std::uint64_t k_rev_out_of_order_buckets = 54480;
// Below this revision a DateTime's zone is not part of its type name on the wire: servers (and
// clickhouse-client's Native output, which is revision 0) write a top-level DateTime('zone') as
// DateTime (DBMS_MIN_REVISION_WITH_TIME_ZONE_PARAMETER_IN_DATETIME_DATA_TYPE).
constexpr std::uint64_t k_rev_time_zone_in_date_time = 54337;
// The server's own bound on field 3 (there are 256 two-level aggregation buckets).
constexpr std::uint64_t k_max_out_of_order_buckets = 256;

// What a block holds for each column besides its data: the entry (name, column pointer) and the
// column object itself.
constexpr std::uint64_t k_column_entry_bytes = 256;

[[noreturn]] void usage(std::string message) { throw Error(ErrorKind::usage, std::move(message)); }
[[noreturn]] void protocol(std::string message) { throw Error(ErrorKind::protocol, std::move(message)); }

// Runs `step` for column `name` of type `type_name`, prefixing a protocol error with both (cut
// short: both come from the peer).
template <class F>
void in_column(const std::string& name, const std::string& type_name, F&& step) {
  try {
    step();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::protocol) throw;
    throw e.with_context("column '" + name.substr(0, 200) + "' of type " + type_name.substr(0, 200));
  }
}
}  // namespace

void Block::append(std::string name, ColumnRef column) {
  if (!column) usage("Block::append: column '" + name + "' is null");
  if (!entries_.empty() && column->size() != rows()) {
    usage("Block::append: column '" + name + "' has " + std::to_string(column->size()) +
          " rows but the block's columns have " + std::to_string(rows()));
  }
  entries_.push_back({std::move(name), std::move(column)});
}

Block Block::empty_copy() const {
  Block copy;
  copy.entries_.reserve(entries_.size());
  for (const Entry& e : entries_) copy.entries_.push_back({e.name, e.column->clone_empty()});
  return copy;
}

const Block::Entry& Block::at(std::size_t i) const {
  if (i >= entries_.size()) {
    usage("column index " + std::to_string(i) + " is out of range of a block of " + std::to_string(entries_.size()) +
          " columns");
  }
  return entries_[i];
}

ColumnRef Block::find(std::string_view name) const noexcept {
  for (const auto& e : entries_) {
    if (e.name == name) return e.column;
  }
  return nullptr;
}

const ColumnRef& Block::column(std::string_view name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return e.column;
  }
  std::string names;
  for (const auto& e : entries_) {
    if (names.size() > 200) {
      names += ", ...";
      break;
    }
    names += names.empty() ? "" : ", ";
    names += e.name;
  }
  usage("the block has no column '" + std::string(name) + "' (it has: " + names + ")");
}

void Block::check_consistent() const {
  const std::size_t n = rows();
  for (const auto& e : entries_) {
    if (e.column->size() != n) {
      usage("block column '" + e.name + "' has " + std::to_string(e.column->size()) + " rows but column '" +
            entries_.front().name + "' has " + std::to_string(n) + "; all columns of a block must be equally long");
    }
  }
}

namespace wire {

Block read_block(Reader& in, std::uint64_t revision, Block* recycle) {
  const DecodeLimits& limits = in.limits();
  const Reader::BlockBudget budget(in);
  const StringLayoutScope<Reader> strings(in, revision >= k_min_revision_with_string_size_stream);
  std::vector<Block::Entry> spare;
  if (recycle != nullptr) spare = recycle->take_entries();
  Block block;
  if (revision >= k_rev_block_info) {
    // BlockInfo: (field number, value) pairs until 0.
    for (;;) {
      const std::uint64_t field = in.uvarint();
      if (field == 0) break;
      if (field == 1) {
        block.info.is_overflows = in.u8() != 0;
      } else if (field == 2) {
        block.info.bucket_num = in.fixed<std::int32_t>();
      } else if (field == 3 && revision >= k_rev_out_of_order_buckets) {
        const std::uint64_t n = in.count(k_max_out_of_order_buckets, "BlockInfo out-of-order bucket count");
        block.info.out_of_order_buckets.resize(static_cast<std::size_t>(n));
        for (auto& b : block.info.out_of_order_buckets) b = in.fixed<std::int32_t>();
      } else {
        protocol("unknown BlockInfo field number " + std::to_string(field) + " at revision " +
                 std::to_string(revision) + "; the stream is corrupt");
      }
    }
  }
  const std::uint64_t columns = in.count(limits.max_block_columns, "block column count");
  const std::uint64_t rows = in.count(limits.max_block_rows, "block row count");
  std::uint64_t type_name_bytes = 0;  // of the columns so far
  std::string type_name;
  for (std::uint64_t c = 0; c < columns; ++c) {
    // Names and type names are charged before they are read, like the data.
    const std::uint64_t name_length = in.count(limits.max_string_bytes, "column name length");
    in.charge(k_column_entry_bytes + name_length, "a column's entry and name");
    std::string name;
    in.append(name, static_cast<std::size_t>(name_length));
    const std::uint64_t type_length = in.count(limits.max_type_name_bytes, "column type name length");
    if (type_length > limits.max_block_type_name_bytes - type_name_bytes) {
      protocol("column '" + name.substr(0, 200) + "': the type names of the block's columns add up to more than " +
               "max_block_type_name_bytes = " + std::to_string(limits.max_block_type_name_bytes) + " bytes (" +
               std::to_string(type_name_bytes) + " so far, " + std::to_string(type_length) +
               " more); the stream is corrupt or the limit too low (raise DecodeLimits::max_block_type_name_bytes, "
               "DSN parameter max_block_type_name_bytes)");
    }
    type_name_bytes += type_length;
    in.charge(type_length, "a column's type name");
    type_name.clear();
    in.append(type_name, static_cast<std::size_t>(type_length));
    // The spare column at this position, when it is ours alone and of this very type; else a new one.
    ColumnRef column;
    if (c < spare.size() && spare[c].column && spare[c].column.use_count() == 1 &&
        spare[c].column->type()->name() == type_name) {
      column = std::move(spare[c].column);
      column->clear();
    } else {
      in_column(name, type_name, [&] {
        in.charge(detail::type_memory_bound(type_name), "the column's type");
        column = make_column(parse_type(type_name, limits));
      });
    }
    // The per-column custom-serialization byte (54454), then, when it is 1, the kind stack
    // (sparse from 54465, replicated from 54482).
    chconn::detail::ColumnLayout layout;
    if (revision >= k_rev_custom_serialization) {
      const std::uint8_t custom = in.u8();
      if (custom > 1) {
        protocol("column '" + name.substr(0, 200) + "' has custom-serialization flag " + std::to_string(custom) +
                 "; the stream is corrupt");
      }
      if (custom == 1) {
        in_column(name, type_name, [&] {
          if (revision < k_min_revision_with_sparse_serialization) {
            protocol("a custom serialization (flag 1) at revision " + std::to_string(revision) +
                     ", where servers send none; the stream is corrupt");
          }
          layout = chconn::detail::read_layout(in, *column, revision);
        });
      }
    }
    if (rows > 0) {  // no data at all, prefix included, for 0 rows
      in_column(name, type_name, [&] {
        chconn::detail::load_prefix(in, *column, layout);
        chconn::detail::load_body(in, *column, layout, static_cast<std::size_t>(rows));
      });
    }
    block.append(std::move(name), std::move(column));
  }
  return block;
}

void write_block(Writer& out, const Block& block, std::uint64_t revision) {
  block.check_consistent();
  const StringLayoutScope<Writer> strings(out, revision >= k_min_revision_with_string_size_stream);
  if (revision >= k_rev_block_info) {
    out.uvarint(1);
    out.u8(block.info.is_overflows ? 1 : 0);
    out.uvarint(2);
    out.fixed<std::int32_t>(block.info.bucket_num);
    if (revision >= k_rev_out_of_order_buckets) {
      out.uvarint(3);
      out.uvarint(block.info.out_of_order_buckets.size());
      for (const auto b : block.info.out_of_order_buckets) out.fixed<std::int32_t>(b);
    }
    out.uvarint(0);
  }
  const std::size_t rows = block.rows();
  out.uvarint(block.column_count());
  out.uvarint(rows);
  for (const auto& [name, column] : block) {
    out.string(name);
    const bool zone_dropped = revision < k_rev_time_zone_in_date_time && column->type()->code() == TypeCode::DateTime;
    out.string(zone_dropped ? std::string_view("DateTime") : std::string_view(column->type()->name()));
    if (revision >= k_rev_custom_serialization) out.u8(0);  // default serialization
    if (rows > 0) {
      column->save_prefix(out);
      column->save_body(out);
    }
  }
}

}  // namespace wire
}  // namespace chconn
