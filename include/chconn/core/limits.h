// DecodeLimits: how much chconn accepts from a server before it refuses the stream.
//
// Every length and count a server sends is checked against these limits before anything is
// allocated for it, and everything a block decodes into is charged against one budget per block
// (max_block_bytes). The defaults are sized for a client: generous for any real result, small
// enough that a hostile or broken server cannot make the process allocate without bound. A
// limit that is exceeded raises Error(protocol) naming the limit (and, inside a block, the column
// and its type), and the connection is dropped; the text of a server exception is truncated
// instead (the code and name are kept), since the error itself is still worth reporting.
//
// The limits are part of Config (Config::limits) and each one is a DSN parameter of the same
// name, e.g. clickhouse://db1?max_block_bytes=4294967296 (docs/configuration.md lists them with
// their ranges). The wire layer reads them as wire::DecodeLimits.
//
// Thread safety: a plain value type.
#pragma once

#include <cstdint>

namespace chconn {

struct DecodeLimits {
  // One String value, or any other length-prefixed string a server sends (names, time zones...).
  std::uint64_t max_string_bytes = std::uint64_t{1} << 30;
  // Rows in one block (also the largest LowCardinality dictionary).
  std::uint64_t max_block_rows = std::uint64_t{1} << 30;
  // Columns in one block.
  std::uint64_t max_block_columns = std::uint64_t{1} << 16;
  // Elements of one Array column of a block, over all its rows.
  std::uint64_t max_array_elements = std::uint64_t{1} << 32;
  // The budget of one block: the bytes it decodes into over all its columns (values, String
  // offsets and bytes, Array offsets, Nullable maps, LowCardinality dictionaries and indexes,
  // nested columns, names and types), each charged before it is allocated; and also the bytes it
  // is decoded from (after decompression), so a small compressed block cannot expand without end.
  std::uint64_t max_block_bytes = std::uint64_t{1} << 30;
  // The length of one type name, and of all the type names of one block together.
  std::uint64_t max_type_name_bytes = std::uint64_t{64} << 10;
  std::uint64_t max_block_type_name_bytes = std::uint64_t{1} << 20;
  // Nesting of Array/Tuple/Nullable/Map/... in one type.
  std::uint64_t max_type_depth = 64;
  // Uncompressed size of one compression frame (the server cuts frames at 1 MiB).
  std::uint64_t max_frame_bytes = std::uint64_t{128} << 20;
  // Exceptions in one chain the server sends (deeper: Error(protocol)).
  std::uint64_t max_exception_depth = 32;
  // Text kept of a server exception: of each message, of each stack trace, and of the whole chain
  // (names, messages and stack traces). Longer text is truncated where it is read (the rest is
  // skipped, never stored) and the kept text says so and how long it was.
  std::uint64_t max_exception_message_bytes = std::uint64_t{8} << 10;
  std::uint64_t max_exception_stack_trace_bytes = std::uint64_t{64} << 10;
  std::uint64_t max_exception_chain_bytes = std::uint64_t{1} << 20;

  friend bool operator==(const DecodeLimits&, const DecodeLimits&) = default;
};

}  // namespace chconn
