// Target: CompressedSource (frame headers, CityHash128 checksums, the LZ4 and ZSTD decoders) and
// the FrameEncoder round trip.
//
// Input: one mode byte, then data.
//   bit 0     fix up the frames before decoding: walk them, clamp each compressed size to the bytes
//             left, make a 0x02 frame's uncompressed size match, and write the right checksum —
//             so the fuzzer gets past the checksum into the LZ4 and ZSTD decoders
//   bits 1-2  MemorySource chunk size (whole, 1, 7, 4096 bytes)
//   bit 3     tight DecodeLimits (64 KiB frames)
//   bit 4     encode mode: the data is plain bytes; encode them (method from bits 5-6: none, LZ4,
//             ZSTD, ZSTD at level -5; the next byte picks the frame size) and decode them back
// In decode mode, whatever decodes is re-encoded with each method and must decode to itself.
// Seeds: tests/fuzz/corpus/compression, single frames and whole compressed blocks from a real 18.16
// server (record_corpus.cpp).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "chconn/core/config.h"
#include "chconn/wire/detail/compression.h"
#include "fuzz_common.h"
#include "wire/cityhash.h"

namespace {

using namespace chconn;
using fuzz::Bytes;

// Stops a run once this much was decompressed: a few bytes of ZSTD can legitimately declare and
// produce a frame of max_frame_bytes, and thousands of them would only measure memset.
constexpr std::size_t k_max_total_plain = std::size_t{64} << 20;
// Round trips only for outputs up to this size (encoding is slower than decoding).
constexpr std::size_t k_max_round_trip = std::size_t{4} << 20;

std::uint32_t load_u32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

void store_u32(std::uint8_t* p, std::uint32_t v) { std::memcpy(p, &v, 4); }

void fix_frames(Bytes& buf) {
  std::size_t pos = 0;
  while (buf.size() - pos >= wire::k_frame_header_bytes) {
    std::uint8_t* frame = buf.data() + pos;
    const std::size_t available = buf.size() - pos - wire::k_frame_checksum_bytes;
    std::uint32_t compressed = load_u32(frame + 17);
    if (compressed < wire::k_frame_inner_header_bytes) return;  // leave the error to the decoder
    if (compressed > available) {
      compressed = static_cast<std::uint32_t>(available);
      store_u32(frame + 17, compressed);
    }
    if (frame[16] == wire::k_method_none) store_u32(frame + 21, compressed - wire::k_frame_inner_header_bytes);
    const wire::Hash128 sum = wire::city_hash128(frame + wire::k_frame_checksum_bytes, compressed);
    std::memcpy(frame, &sum.lo, 8);
    std::memcpy(frame + 8, &sum.hi, 8);
    pos += wire::k_frame_checksum_bytes + compressed;
  }
}

// Decodes every frame of `bytes`; false if the output grew past k_max_total_plain (stopped early).
bool decode_all(std::span<const std::uint8_t> bytes, std::size_t chunk, const wire::DecodeLimits& limits,
                Bytes& plain) {
  wire::MemorySource source(bytes, chunk);
  wire::Reader raw(source, limits);
  wire::CompressedSource frames(raw);
  for (;;) {
    const auto view = frames.next();
    if (view.empty()) break;
    if (view.size() > limits.max_frame_bytes) fuzz::fail("a frame decoded to more than max_frame_bytes");
    if (plain.size() + view.size() > k_max_total_plain) return false;
    plain.insert(plain.end(), view.begin(), view.end());
  }
  if (!raw.at_end()) fuzz::fail("CompressedSource returned end of stream before the end of its input");
  return true;
}

void round_trip(std::span<const std::uint8_t> plain, Compression method, std::size_t max_frame, int level,
                std::size_t chunk) {
  wire::Writer encoded;
  try {
    wire::FrameEncoder encoder(method, {.max_frame = max_frame, .zstd_level = level});
    encoder.encode(encoded, plain);
  } catch (const Error& e) {
    fuzz::fail(std::string("FrameEncoder failed: ") + e.what());
  }
  Bytes decoded;
  try {
    // Default limits: max_frame is at most 64 KiB here, within every limit.
    decode_all(encoded.data(), chunk, {}, decoded);
  } catch (const Error& e) {
    fuzz::fail(std::string("frames made by FrameEncoder do not decode: ") + e.what());
  }
  if (!std::equal(plain.begin(), plain.end(), decoded.begin(), decoded.end())) {
    fuzz::fail("FrameEncoder/CompressedSource round trip changed the bytes (method " + std::string(to_string(method)) +
               ", max_frame " + std::to_string(max_frame) + ")");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input input(data, size);
  const std::uint8_t mode = input.byte();
  const bool fixup = (mode & 1) != 0;
  const std::size_t chunk = fuzz::chunk_for(mode >> 1);
  const wire::DecodeLimits limits = fuzz::limits_for((mode & 8) != 0);
  const bool encode_mode = (mode & 0x10) != 0;
  const unsigned method_bits = (mode >> 5) & 3;

  if (encode_mode) {
    const std::size_t chosen = 1 + std::size_t{input.byte()} * 257;  // 1 .. 65536 bytes
    const auto plain = input.rest();
    // At most 256 frames: each costs a checksum and a compressor call, and a megabyte in one-byte
    // frames would only measure that.
    const std::size_t max_frame = std::max(chosen, plain.size() / 256 + 1);
    const Compression method = method_bits == 0   ? Compression::none
                               : method_bits == 1 ? Compression::lz4
                                                  : Compression::zstd;
    round_trip(plain, method, max_frame, method_bits == 3 ? -5 : 1, chunk);
    return 0;
  }

  const auto rest = input.rest();
  Bytes buf(rest.begin(), rest.end());
  if (fixup) fix_frames(buf);
  Bytes plain;
  bool complete = false;
  fuzz::expect_only_chconn_errors([&] { complete = decode_all(buf, chunk, limits, plain); }, fuzz::is_protocol_error);
  if (complete && !plain.empty() && plain.size() <= k_max_round_trip) {
    const std::size_t max_frame = std::max<std::size_t>(1 + (mode >> 5) * 9000, plain.size() / 64 + 1);
    round_trip(plain, Compression::none, max_frame, 1, chunk);
    round_trip(plain, Compression::lz4, max_frame, 1, chunk);
    round_trip(plain, Compression::zstd, max_frame, 1, chunk);
  }
  return 0;
}
