// Private helpers shared by the column implementations: budget charges, limit checks and the bulk
// readers that grow their destination only as bytes arrive.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "chconn/core/error.h"
#include "chconn/wire/columns.h"
#include "chconn/wire/io.h"

namespace chconn::detail {

static_assert(std::endian::native == std::endian::little,
              "chconn stores fixed-width values in wire (little-endian) order; big-endian hosts are not supported");

// Up to this many bytes a fixed-width read resizes its destination at once and copies in bulk.
// Beyond it, it grows in steps of this size as the bytes arrive, so a lying row count costs at
// most this much memory ahead of what the peer really sent.
inline constexpr std::size_t k_eager_read_bytes = std::size_t{16} << 20;

[[noreturn]] inline void protocol_error(std::string message) { throw Error(ErrorKind::protocol, std::move(message)); }

[[noreturn]] inline void usage_error(std::string message) { throw Error(ErrorKind::usage, std::move(message)); }

// From revision 54492 String columns travel as offsets then bytes (ColumnString). Where a String
// sits inside a LowCardinality dictionary, a Variant (so Dynamic) or a JSON column, which layout
// the server then uses has not been confirmed from its source, so those columns are refused at
// such a revision rather than decoded or encoded on a guess (docs/protocol.md, "String with a size
// stream"). `size_stream` is the Reader's or Writer's string_size_stream().
inline void refuse_unconfirmed_string_layout(bool size_stream, std::string_view type) {
  if (!size_stream) return;
  protocol_error(std::string(type) +
                 " columns are not supported at revision 54492 and later (String with a size stream): how "
                 "the server lays out the Strings inside them is not confirmed");
}

// Charges `rows` values of `value_size` bytes (`what`: "values", "Array offsets"...) to the block's
// budget (wire::Reader::charge), before the caller allocates them.
inline void charge_values(wire::Reader& in, std::size_t rows, std::size_t value_size, std::string_view what) {
  // Saturates instead of wrapping: such a product is over any budget anyway.
  const std::uint64_t bytes =
      value_size != 0 && rows > UINT64_MAX / value_size ? UINT64_MAX : static_cast<std::uint64_t>(rows) * value_size;
  in.charge(bytes, what);
}

// Appends `n` values of `value_size` bytes to a byte or value vector `out` (whose element size
// divides value_size). One resize and bulk copy for normal sizes; growth as bytes arrive above
// k_eager_read_bytes. The caller truncates `out` back on an exception.
template <class Vec>
void read_values(wire::Reader& in, Vec& out, std::size_t n, std::size_t value_size) {
  using V = typename Vec::value_type;
  const std::size_t per_value = value_size / sizeof(V);  // elements of `out` per value
  const std::size_t step_values = std::max<std::size_t>(1, k_eager_read_bytes / value_size);
  while (n > 0) {
    const std::size_t take = std::min(n, step_values);
    const std::size_t old = out.size();
    out.resize(old + take * per_value);
    in.read(out.data() + old, take * value_size);
    n -= take;
  }
}

// An upper bound of what parse_type() and make_column() allocate for a type named `name`, charged
// before they run. Measured (glibc mallinfo2, g++ 12 release build) on hostile names of 40-130 KB:
// flat types cost 3 (Enum8 of long names) to 37 (Tuple of 8000 Array(UInt8)) bytes per byte of
// name, Tuple of Map(String, Array(Nullable(UInt8))) 68; and every nested type keeps its own name,
// so a byte inside n parentheses is stored about n more times (Array of 62 levels around a Tuple
// of 8000 UInt8: 141 bytes per byte). Hence 80 bytes per byte of name plus twice its depth.
inline std::uint64_t type_memory_bound(std::string_view name) noexcept {
  std::uint64_t depth = 0, nested_bytes = 0;
  for (const char ch : name) {
    if (ch == '(') {
      ++depth;
    } else if (ch == ')' && depth > 0) {
      --depth;
    }
    nested_bytes += depth;
  }
  return 80 * std::uint64_t{name.size()} + 2 * nested_bytes;
}

// A UInt64 count or size read as a fixed 8-byte value (LowCardinality), checked against `max`.
inline std::uint64_t read_u64_count(wire::Reader& in, std::uint64_t max, std::string_view what) {
  const auto v = in.fixed<std::uint64_t>();
  if (v > max) {
    protocol_error(std::string(what) + " of " + std::to_string(v) + " exceeds the limit of " + std::to_string(max) +
                   "; the stream is corrupt or the limit too low");
  }
  return v;
}

}  // namespace chconn::detail
