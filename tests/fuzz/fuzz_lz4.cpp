// Target: the LZ4 block decoder (src/wire/lz4.h) against liblz4's LZ4_decompress_safe, its oracle.
//
// Input: one mode byte, two capacity bytes, then data.
//   mode bit 0 clear: the data is an LZ4 block. Both decoders read it into a buffer of `capacity`
//     bytes (bits 1-2 pick it: the two bytes as a number, that number mod 256, the data's size
//     times 4, or times 255); ours must accept exactly what liblz4 accepts and write the same
//     bytes, except a match at offset 0, which only ours refuses.
//   mode bit 0 set: the data is plain bytes; liblz4 compresses them (bits 1-2: fast, default, HC
//     level 9, fast with acceleration 8), and ours must decode them back, and refuse them with one
//     byte less room.
// Blocks that decode are compared again with room for exactly their output and around it.
// Ours writes into a buffer with its slack and then guard bytes, which must stay untouched; ASan
// sees any read outside the input.
#include <lz4.h>
#include <lz4hc.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "fuzz_common.h"
#include "wire/lz4.h"

namespace {

using namespace chconn;
using fuzz::Bytes;
using wire::detail::k_lz4_output_slack;
using wire::detail::lz4_decompress;
using wire::detail::Lz4Status;

constexpr std::size_t k_guard = 64;
constexpr std::uint8_t k_guard_byte = 0xA5;
constexpr std::size_t k_max_capacity = std::size_t{4} << 20;
// Blocks are probed for their decoded size with this much room.
constexpr std::size_t k_max_probe = std::size_t{256} << 10;

// A buffer left uninitialized: filling megabytes per input would slow the fuzzer down tenfold.
struct Buffer {
  std::unique_ptr<std::uint8_t[]> data;
  explicit Buffer(std::size_t n) : data(std::make_unique_for_overwrite<std::uint8_t[]>(n)) {}
};

// Ours into `out` (capacity + slack, then guard bytes that must stay untouched).
wire::detail::Lz4Result ours(const Bytes& src, std::size_t capacity, Buffer& out) {
  out = Buffer(capacity + k_lz4_output_slack + k_guard);
  std::memset(out.data.get() + capacity + k_lz4_output_slack, k_guard_byte, k_guard);
  const auto r = lz4_decompress(src, out.data.get(), capacity);
  for (std::size_t i = 0; i < k_guard; ++i) {
    if (out.data[capacity + k_lz4_output_slack + i] != k_guard_byte) fuzz::fail("wrote past the output's slack");
  }
  if (r.status == Lz4Status::ok && r.size > capacity) fuzz::fail("decoded more than the capacity");
  return r;
}

void compare(const Bytes& block, std::size_t capacity) {
  Buffer mine(0);
  const auto r = ours(block, capacity, mine);
  Buffer theirs(capacity + 1);
  const int n =
      LZ4_decompress_safe(reinterpret_cast<const char*>(block.data()), reinterpret_cast<char*>(theirs.data.get()),
                          static_cast<int>(block.size()), static_cast<int>(capacity));
  if (r.status == Lz4Status::zero_offset) return;
  if ((r.status == Lz4Status::ok) != (n >= 0)) {
    fuzz::fail(
        std::string(r.status == Lz4Status::ok ? "accepted a block liblz4 refuses" : "refused a block liblz4 accepts") +
        " (capacity " + std::to_string(capacity) + ", " + std::to_string(block.size()) + " bytes)");
  }
  if (n < 0) return;
  if (r.size != static_cast<std::size_t>(n)) fuzz::fail("decoded another size than liblz4");
  if (std::memcmp(mine.data.get(), theirs.data.get(), r.size) != 0) fuzz::fail("decoded other bytes than liblz4");
}

void round_trip(const Bytes& plain, unsigned method) {
  if (plain.empty() || plain.size() > k_max_capacity) return;
  Bytes packed(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(plain.size()))));
  const char* in = reinterpret_cast<const char*>(plain.data());
  char* o = reinterpret_cast<char*>(packed.data());
  const int size = static_cast<int>(plain.size());
  const int room = static_cast<int>(packed.size());
  int n = 0;
  switch (method) {
    case 0: n = LZ4_compress_fast(in, o, size, room, 1); break;
    case 1: n = LZ4_compress_default(in, o, size, room); break;
    case 2: n = LZ4_compress_HC(in, o, size, room, 9); break;
    default: n = LZ4_compress_fast(in, o, size, room, 8); break;
  }
  if (n <= 0) fuzz::fail("liblz4 could not compress");
  packed.resize(static_cast<std::size_t>(n));
  Buffer out(0);
  const auto r = ours(packed, plain.size(), out);
  if (r.status != Lz4Status::ok || r.size != plain.size()) fuzz::fail("refused what liblz4 wrote");
  if (std::memcmp(out.data.get(), plain.data(), plain.size()) != 0) fuzz::fail("decoded what liblz4 wrote wrongly");
  if (ours(packed, plain.size() - 1, out).status == Lz4Status::ok) fuzz::fail("accepted a block without room for it");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input in(data, size);
  const std::uint8_t mode = in.byte();
  const std::size_t number = in.byte() | (std::size_t{in.byte()} << 8);
  const auto rest = in.rest();
  const Bytes bytes(rest.begin(), rest.end());
  if (mode & 1) {
    round_trip(bytes, (mode >> 1) & 3);
    return 0;
  }
  std::size_t capacity = 0;
  switch ((mode >> 1) & 3) {
    case 0: capacity = number; break;
    case 1: capacity = number % 256; break;
    case 2: capacity = bytes.size() * 4; break;
    default: capacity = bytes.size() * 255; break;
  }
  compare(bytes, std::min(capacity, k_max_capacity));
  // liblz4's end rules depend on the distance to the output's end: when the block decodes at all,
  // compare again with room for exactly its output, and around that.
  const std::size_t roomy = std::min(bytes.size() * 255 + 16, k_max_probe);
  Buffer probe(roomy + 1);
  const int n =
      LZ4_decompress_safe(reinterpret_cast<const char*>(bytes.data()), reinterpret_cast<char*>(probe.data.get()),
                          static_cast<int>(bytes.size()), static_cast<int>(roomy));
  if (n > 0) {
    for (const std::size_t room : {n - 1, n, n + 1, n + 31, n + 32, n + 33})
      compare(bytes, static_cast<std::size_t>(room));
  }
  return 0;
}
