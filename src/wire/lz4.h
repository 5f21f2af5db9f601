// The LZ4 block decoder of compressed frames (method 0x82).
//
// It accepts exactly the blocks that liblz4's LZ4_decompress_safe accepts and writes the same bytes,
// with one deliberate difference: a match offset of 0, which the format calls invalid and no
// encoder writes, is refused (liblz4 writes zeros for it). The fuzz target fuzz_lz4 checks this
// against liblz4 on every input.
//
// Why not liblz4: the reference decoder checks the distance to both buffer ends on every sequence
// and copies short matches through a generic routine, which made it 78% of the client's CPU on a
// compressed read of UInt64 (perf, 10^8 rows). This one asks the caller for a little writable slack
// after the output, so that a sequence's literals and match are copied in fixed 8- and 16-byte
// pieces that may run past their end into bytes a later sequence overwrites. It never reads outside
// `src`, never reads output it has not written, and never writes outside the output plus its slack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace chconn::wire::detail {

// Writable bytes the output must have after its `capacity`.
inline constexpr std::size_t k_lz4_output_slack = 32;

enum class Lz4Status : std::uint8_t {
  ok,
  malformed,    // liblz4 refuses it too
  zero_offset,  // a match with offset 0 (liblz4 would write zeros)
};

struct Lz4Result {
  Lz4Status status;
  std::size_t size;  // bytes written to the output when ok
};

// Decodes the LZ4 block `src` into `dst`, writing at most `capacity` decoded bytes (like
// LZ4_decompress_safe with that capacity). `dst` must have capacity + k_lz4_output_slack writable
// bytes; their content past the returned size is unspecified.
Lz4Result lz4_decompress(std::span<const std::uint8_t> src, std::uint8_t* dst, std::size_t capacity) noexcept;

}  // namespace chconn::wire::detail
