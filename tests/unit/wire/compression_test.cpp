// Compression framing (docs/protocol.md, "Compression"): the live frame the 18.16.1 server sent,
// round trips for every method cut at every boundary, each way a frame can be malformed, and buffer
// reuse.
#include "chconn/wire/detail/compression.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/wire/io.h"
#include "support/expect_error.h"
#include "wire/cityhash.h"

// Counts heap allocations made through operator new, so a test can prove that decoding a warmed-up
// stream allocates nothing. ZSTD and LZ4 allocate with malloc, but only in their context creation.
namespace {

using chconn::test::expect_error;
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

// Out of line, so the compiler does not pair an inlined free() with an operator new call site and
// warn about a mismatch that is not one (-Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t n) { return operator new(n); }
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace chconn::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t k_mib = std::size_t{1} << 20;

// The end-marker Data packet the live server sent under LZ4, without its plain `01 00` prefix
// (packet code Data, empty table name): one frame holding the 10-byte empty block.
const Bytes k_live_frame = {
    0xa7, 0x83, 0xac, 0x6c, 0xd5, 0x5c, 0x7a, 0x7c, 0xb5, 0xac, 0x46, 0xbd, 0xdb, 0x86, 0xe2, 0x14,  // checksum
    0x82,                                                                                            // LZ4
    0x14, 0x00, 0x00, 0x00,                                                                          // 20
    0x0a, 0x00, 0x00, 0x00,                                                                          // 10
    0xa0, 0x01, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00,                                // payload
};
const Bytes k_empty_block = {0x01, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00};

std::span<const std::uint8_t> as_span(const Bytes& b) { return {b.data(), b.size()}; }

// Runs `f` and expects a chconn::Error of kind protocol whose message contains `needle`.
template <class F>
void expect_protocol_error(F&& f, const std::string& needle) {
  const Error e = test::thrown_error([&] { f(); });
  EXPECT_EQ(e.kind(), ErrorKind::protocol) << e.what();
  EXPECT_NE(e.message().find(needle), std::string::npos) << "message: " << e.message();
}

// Decodes every frame of `stream`, handed out `chunk` bytes at a time, into one buffer.
Bytes decode_all(const Bytes& stream, std::size_t chunk = SIZE_MAX, const DecodeLimits& limits = {},
                 std::uint64_t* frames = nullptr) {
  MemorySource memory(as_span(stream), chunk);
  Reader raw(memory, limits);
  CompressedSource source(raw);
  Bytes out;
  for (auto view = source.next(); !view.empty(); view = source.next()) out.insert(out.end(), view.begin(), view.end());
  if (frames) *frames = source.frames();
  return out;
}

// A frame with a correct checksum around any header values and payload.
Bytes make_frame(std::uint8_t method, std::uint32_t uncompressed_size, const Bytes& payload,
                 std::uint32_t compressed_size = 0) {
  Bytes frame(k_frame_header_bytes);
  frame[16] = method;
  const std::uint32_t csize =
      compressed_size ? compressed_size : static_cast<std::uint32_t>(k_frame_inner_header_bytes + payload.size());
  std::memcpy(frame.data() + 17, &csize, 4);
  std::memcpy(frame.data() + 21, &uncompressed_size, 4);
  frame.insert(frame.end(), payload.begin(), payload.end());
  const Hash128 h = city_hash128(frame.data() + 16, frame.size() - 16);
  std::memcpy(frame.data(), &h.lo, 8);
  std::memcpy(frame.data() + 8, &h.hi, 8);
  return frame;
}

// Bytes shaped like a Native block: runs of little-endian UInt64 counters and length-prefixed
// strings, with enough variety that LZ4 and ZSTD get ratios like real data's.
Bytes realistic_data(std::size_t n, std::uint64_t seed = 1) {
  Bytes out;
  out.reserve(n + 64);
  std::uint64_t counter = seed * 1000;
  std::uint64_t state = seed * 0x9e3779b97f4a7c15ULL + 1;
  const auto rnd = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  while (out.size() < n) {
    for (int i = 0; i < 64; ++i) {
      const std::uint64_t v = counter++;
      for (int b = 0; b < 8; ++b) out.push_back(static_cast<std::uint8_t>(v >> (8 * b)));
    }
    for (int i = 0; i < 32; ++i) {
      const std::string s = "user_" + std::to_string(rnd() % 100000) + "@example.com";
      out.push_back(static_cast<std::uint8_t>(s.size()));
      out.insert(out.end(), s.begin(), s.end());
    }
  }
  out.resize(n);
  return out;
}

Bytes encode(Compression method, const Bytes& input, std::size_t max_frame = k_default_max_frame_bytes) {
  Writer out;
  compress_frames(out, as_span(input), method, max_frame);
  return {out.data().begin(), out.data().end()};
}

// -------------------------------------------------------------------------------------------------
// The live frame

TEST(Compression, LiveEndMarkerFrameHeader) {
  const FrameHeader h = parse_frame_header(as_span(k_live_frame));
  EXPECT_EQ(h.method, k_method_lz4);
  EXPECT_EQ(h.compressed_size, 20u);
  EXPECT_EQ(h.uncompressed_size, 10u);
  EXPECT_EQ(h.payload_bytes(), 11u);
  EXPECT_EQ(h.frame_bytes(), k_live_frame.size());
  EXPECT_EQ(h.checksum_lo, 0x7c7a5cd56cac83a7ULL);
  EXPECT_EQ(h.checksum_hi, 0x14e286dbbd46acb5ULL);
  const Hash128 sum = city_hash128(k_live_frame.data() + 16, k_live_frame.size() - 16);
  EXPECT_EQ(sum, (Hash128{h.checksum_lo, h.checksum_hi}));
}

TEST(Compression, LiveEndMarkerFrameDecodesToTheEmptyBlock) {
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, SIZE_MAX}) {
    std::uint64_t frames = 0;
    EXPECT_EQ(decode_all(k_live_frame, chunk, {}, &frames), k_empty_block) << "chunk " << chunk;
    EXPECT_EQ(frames, 1u);
  }
}

// The whole packet as it arrived: plain packet code and table name, then the compressed block, then
// the next packet (EndOfStream, 05) which the frame decoder must leave unread.
TEST(Compression, LivePacketLeavesTheNextPacketUnread) {
  Bytes stream = {0x01, 0x00};
  stream.insert(stream.end(), k_live_frame.begin(), k_live_frame.end());
  stream.push_back(0x05);
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}, SIZE_MAX}) {
    MemorySource memory(as_span(stream), chunk);
    Reader raw(memory);
    ASSERT_EQ(raw.uvarint(), 1u);
    ASSERT_EQ(raw.string(), "");
    CompressedSource frames(raw);
    Reader block(frames);
    Bytes got(k_empty_block.size());
    block.read(got.data(), got.size());
    EXPECT_EQ(got, k_empty_block);
    EXPECT_EQ(raw.u8(), 0x05) << "chunk " << chunk;
    EXPECT_TRUE(raw.at_end());
  }
}

// LZ4 stores a 10-byte input as one literal run, so our encoder must reproduce the server's frame
// byte for byte, checksum included.
TEST(Compression, EncoderReproducesTheLiveFrame) { EXPECT_EQ(encode(Compression::lz4, k_empty_block), k_live_frame); }

// -------------------------------------------------------------------------------------------------
// Round trips

struct MethodCase {
  Compression method;
  std::uint8_t byte;
};
constexpr MethodCase k_methods[] = {
    {Compression::none, k_method_none}, {Compression::lz4, k_method_lz4}, {Compression::zstd, k_method_zstd}};

TEST(Compression, MethodBytes) {
  for (const auto& m : k_methods) EXPECT_EQ(method_byte(m.method), m.byte);
}

TEST(Compression, RoundTripAcrossSizesAndChunkings) {
  const std::size_t sizes[] = {0, 1, k_mib - 1, k_mib, k_mib + 1, 3 * k_mib + k_mib / 2};
  const std::size_t chunks[] = {1, 7, 4096, SIZE_MAX};
  const Bytes data = realistic_data(3 * k_mib + k_mib / 2);
  for (const auto& m : k_methods) {
    for (const std::size_t n : sizes) {
      const Bytes input(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
      const Bytes stream = encode(m.method, input);
      const std::size_t expected_frames = (n + k_mib - 1) / k_mib;

      // Every frame: the right method, at most 1 MiB, checksum as the server computes it.
      std::size_t pos = 0;
      std::size_t count = 0;
      while (pos < stream.size()) {
        const FrameHeader h = parse_frame_header(std::span(stream).subspan(pos));
        EXPECT_EQ(h.method, m.byte);
        EXPECT_LE(h.uncompressed_size, k_mib);
        EXPECT_EQ(city_hash128(stream.data() + pos + 16, h.compressed_size), (Hash128{h.checksum_lo, h.checksum_hi}));
        pos += h.frame_bytes();
        ++count;
      }
      EXPECT_EQ(pos, stream.size());
      EXPECT_EQ(count, expected_frames);

      for (const std::size_t chunk : chunks) {
        SCOPED_TRACE(std::string(to_string(m.method)) + " size " + std::to_string(n) + " chunk " +
                     std::to_string(chunk));
        std::uint64_t frames = 0;
        const Bytes back = decode_all(stream, chunk, {}, &frames);
        EXPECT_TRUE(back == input);
        EXPECT_EQ(frames, expected_frames);
      }
    }
  }
}

// Small frames put the frame boundaries at every offset of the values a block Reader reads.
TEST(Compression, SmallFramesThroughABlockReader) {
  const Bytes data = realistic_data(20000, 7);
  for (const auto& m : k_methods) {
    for (const std::size_t max_frame : {std::size_t{1}, std::size_t{7}, std::size_t{1000}}) {
      const Bytes stream = encode(m.method, data, max_frame);
      for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, SIZE_MAX}) {
        MemorySource memory(as_span(stream), chunk);
        Reader raw(memory);
        CompressedSource frames(raw);
        Reader block(frames);
        std::size_t pos = 0;
        bool same = true;
        // Read 8-byte values through fixed() so values straddle frames.
        while (pos + 8 <= data.size()) {
          std::uint64_t expected;
          std::memcpy(&expected, data.data() + pos, 8);
          same = same && block.fixed<std::uint64_t>() == expected;
          pos += 8;
        }
        while (pos < data.size()) same = same && block.u8() == data[pos++];
        EXPECT_TRUE(same) << to_string(m.method) << " max_frame " << max_frame << " chunk " << chunk;
        EXPECT_TRUE(block.at_end());
        EXPECT_EQ(frames.frames(), (data.size() + max_frame - 1) / max_frame);
      }
    }
  }
}

// The server accepts any method per frame, and so must we.
TEST(Compression, MixedMethodsInOneStream) {
  const Bytes a = realistic_data(5000, 1);
  const Bytes b = realistic_data(3000, 2);
  const Bytes c = realistic_data(7000, 3);
  Writer out;
  compress_frames(out, as_span(a), Compression::zstd);
  compress_frames(out, as_span(b), Compression::none);
  compress_frames(out, as_span(c), Compression::lz4);
  Bytes expected = a;
  expected.insert(expected.end(), b.begin(), b.end());
  expected.insert(expected.end(), c.begin(), c.end());
  const Bytes stream(out.data().begin(), out.data().end());
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}, SIZE_MAX}) {
    EXPECT_TRUE(decode_all(stream, chunk) == expected) << "chunk " << chunk;
  }
}

TEST(Compression, EncoderAppendsAfterExistingBytes) {
  Writer out;
  out.u8(0x02);  // packet code Data
  out.string("");
  FrameEncoder encoder(Compression::zstd, {.max_frame = 4096, .zstd_level = 3});
  const Bytes data = realistic_data(10000);
  encoder.encode(out, as_span(data));
  encoder.encode(out, {});  // nothing
  const Bytes stream(out.data().begin() + 2, out.data().end());
  EXPECT_EQ(out.data()[0], 0x02);
  EXPECT_EQ(out.data()[1], 0x00);
  std::uint64_t frames = 0;
  EXPECT_TRUE(decode_all(stream, 100, {}, &frames) == data);
  EXPECT_EQ(frames, 3u);
}

TEST(Compression, UncompressedFramesAreHandedOutInPlace) {
  const Bytes data = realistic_data(1000);
  const Bytes stream = encode(Compression::none, data);
  MemorySource memory(as_span(stream));
  Reader raw(memory);
  CompressedSource frames(raw);
  const auto view = frames.next();
  ASSERT_EQ(view.size(), data.size());
  EXPECT_EQ(view.data(), stream.data() + k_frame_header_bytes);
  EXPECT_TRUE(frames.next().empty());
}

// A frame with nothing in it is skipped: next() returns bytes or the end, never an empty view
// in the middle of the stream.
TEST(Compression, EmptyFramesAreSkipped) {
  Bytes stream = make_frame(k_method_none, 0, {});
  const Bytes lz4_empty = make_frame(k_method_lz4, 0, {0x00});  // LZ4's encoding of nothing
  stream.insert(stream.end(), lz4_empty.begin(), lz4_empty.end());
  const Bytes abc = make_frame(k_method_none, 3, {'a', 'b', 'c'});
  stream.insert(stream.end(), abc.begin(), abc.end());
  std::uint64_t frames = 0;
  EXPECT_EQ(decode_all(stream, SIZE_MAX, {}, &frames), (Bytes{'a', 'b', 'c'}));
  EXPECT_EQ(frames, 3u);
  EXPECT_TRUE(decode_all(make_frame(k_method_none, 0, {})).empty());
}

// -------------------------------------------------------------------------------------------------
// Malformed frames: each one a protocol error

TEST(Compression, WrongChecksumIsAProtocolError) {
  for (const std::size_t chunk : {std::size_t{1}, SIZE_MAX}) {
    Bytes bad = k_live_frame;
    bad[3] ^= 0x40;  // the checksum itself
    expect_protocol_error([&] { decode_all(bad, chunk); }, "compressed frame checksum mismatch");
    bad = k_live_frame;
    bad.back() ^= 0x01;  // the last payload byte
    expect_protocol_error([&] { decode_all(bad, chunk); }, "checksum mismatch");
    bad = k_live_frame;
    bad[21] = 0x0b;  // the uncompressed size: the checksum covers the header too
    expect_protocol_error([&] { decode_all(bad, chunk); }, "checksum mismatch");
  }
}

TEST(Compression, ChecksumMismatchMessageShowsBothSums) {
  Bytes bad = k_live_frame;
  bad[0] = 0x00;
  const Error e = test::thrown_error([&] { decode_all(bad); });
  EXPECT_NE(e.message().find("0083ac6cd55c7a7cb5ac46bddb86e214"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("a783ac6cd55c7a7cb5ac46bddb86e214"), std::string::npos) << e.message();
}

TEST(Compression, TruncatedFrameIsAProtocolError) {
  const Bytes stream = encode(Compression::lz4, realistic_data(5000));
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}, SIZE_MAX}) {
    for (std::size_t cut = 1; cut < stream.size(); cut += (cut < 64 ? 1 : 97)) {
      const Bytes part(stream.begin(), stream.begin() + static_cast<std::ptrdiff_t>(cut));
      expect_protocol_error([&] { decode_all(part, chunk); }, "ended in the middle of a compressed frame");
    }
  }
}

TEST(Compression, UnknownMethodByteIsNamed) {
  const Bytes t64 = make_frame(0x93, 3, {'a', 'b', 'c'});
  expect_protocol_error([&] { decode_all(t64); }, "0x93 (T64)");
  const Bytes junk = make_frame(0x00, 3, {'a', 'b', 'c'});
  expect_protocol_error([&] { decode_all(junk); }, "unknown compression method byte 0x00");
}

TEST(Compression, CompressedSizeBelowNineIsAProtocolError) {
  const Bytes bad = make_frame(k_method_none, 0, {}, 5);
  expect_protocol_error([&] { decode_all(bad); }, "compressed frame size 5 is below the minimum of 9");
  expect_protocol_error([&] { parse_frame_header(as_span(bad)); }, "below the minimum");
}

TEST(Compression, CompressedSizeAboveOneGibIsAProtocolError) {
  const Bytes bad = make_frame(k_method_lz4, 10, {0xa0}, 0x40000001);
  expect_protocol_error([&] { decode_all(bad); }, "exceeds the limit of 1073741824");
}

TEST(Compression, UncompressedSizeAboveTheLimitIsAProtocolError) {
  const DecodeLimits limits{.max_frame_bytes = 1000};
  const Bytes data = realistic_data(1001);
  const Bytes over = encode(Compression::lz4, data, 1001);
  expect_protocol_error([&] { decode_all(over, SIZE_MAX, limits); },
                        "declares 1001 uncompressed bytes, above the limit of 1000");
  // Exactly at the limit is fine.
  const Bytes at = encode(Compression::lz4, Bytes(data.begin(), data.begin() + 1000), 1000);
  EXPECT_EQ(decode_all(at, SIZE_MAX, limits).size(), 1000u);
  // The limit is checked before the payload is read: a header alone is enough to refuse it.
  const Bytes header_only(over.begin(), over.begin() + k_frame_header_bytes);
  expect_protocol_error([&] { decode_all(header_only, SIZE_MAX, limits); }, "above the limit of 1000");
}

TEST(Compression, Lz4PayloadOfTheWrongSizeIsAProtocolError) {
  const Bytes payload(k_live_frame.begin() + k_frame_header_bytes, k_live_frame.end());
  ASSERT_EQ(decode_all(make_frame(k_method_lz4, 10, payload)), k_empty_block);
  // Declares more than the payload holds.
  expect_protocol_error([&] { decode_all(make_frame(k_method_lz4, 11, payload)); },
                        "LZ4 frame decompressed to 10 bytes but declares 11");
  // Declares less: LZ4 refuses to write past the declared size.
  expect_protocol_error([&] { decode_all(make_frame(k_method_lz4, 9, payload)); }, "LZ4 frame payload");
  // Not LZ4 at all.
  expect_protocol_error([&] { decode_all(make_frame(k_method_lz4, 100, {0xff, 0xff, 0xff})); }, "LZ4 frame payload");
}

TEST(Compression, ZstdPayloadOfTheWrongSizeIsAProtocolError) {
  const Bytes data = realistic_data(5000);
  const Bytes good = encode(Compression::zstd, data);
  const Bytes payload(good.begin() + k_frame_header_bytes, good.end());
  ASSERT_TRUE(decode_all(make_frame(k_method_zstd, 5000, payload)) == data);
  expect_protocol_error([&] { decode_all(make_frame(k_method_zstd, 5001, payload)); }, "ZSTD frame");
  expect_protocol_error([&] { decode_all(make_frame(k_method_zstd, 4999, payload)); }, "ZSTD frame");
  expect_protocol_error([&] { decode_all(make_frame(k_method_zstd, 100, {1, 2, 3, 4, 5})); }, "does not decompress");
}

TEST(Compression, UncompressedFrameWithMismatchedSizesIsAProtocolError) {
  expect_protocol_error(
      [&] {
        decode_all(make_frame(k_method_none, 4, {'a', 'b', 'c'}));
      },
      "carries 3 bytes but declares 4");
}

TEST(Compression, ShortHeaderIsAProtocolError) {
  const Bytes header(k_live_frame.begin(), k_live_frame.begin() + 24);
  expect_protocol_error([&] { parse_frame_header(as_span(header)); }, "needs 25 bytes, got 24");
}

TEST(Compression, EncoderRejectsBadOptions) {
  for (const auto& options : {FrameEncoder::Options{.max_frame = 0}, FrameEncoder::Options{.max_frame = 1u << 30},
                              FrameEncoder::Options{.zstd_level = 1000}}) {
    SCOPED_TRACE(::testing::Message() << "max_frame " << options.max_frame << " level " << options.zstd_level);
    expect_error(ErrorKind::usage, [&] { FrameEncoder encoder(Compression::zstd, options); });
  }
}

// -------------------------------------------------------------------------------------------------
// Buffer reuse

// Reads a stream of many 1 MiB frames one frame at a time and checks that, after the first frame,
// the buffers keep their size and nothing is allocated.
void expect_no_growth(const Bytes& stream, std::size_t total, std::size_t chunk) {
  SCOPED_TRACE("chunk " + std::to_string(chunk));
  MemorySource memory(as_span(stream), chunk);
  Reader raw(memory);
  CompressedSource frames(raw);

  ASSERT_EQ(frames.next().size(), k_mib);
  const std::size_t capacity = frames.buffer_capacity();
  const std::uint64_t before = g_allocations.load();
  std::size_t decoded = k_mib;
  std::size_t max_capacity = capacity;
  for (auto view = frames.next(); !view.empty(); view = frames.next()) {
    decoded += view.size();
    max_capacity = std::max(max_capacity, frames.buffer_capacity());
  }
  const std::uint64_t allocations = g_allocations.load() - before;
  EXPECT_EQ(decoded, total);
  EXPECT_EQ(frames.frames(), total / k_mib);
  EXPECT_EQ(max_capacity, capacity);
  EXPECT_EQ(allocations, 0u);
  // The buffers hold about one frame, not the stream.
  EXPECT_LE(capacity, 3 * k_mib);
}

TEST(Compression, DecodingManyFramesDoesNotGrowMemory) {
  // Different data in every frame, so compressed sizes vary from frame to frame.
  const Bytes data = realistic_data(8 * k_mib, 11);
  for (const auto& m : k_methods) {
    SCOPED_TRACE(std::string(to_string(m.method)));
    const Bytes stream = encode(m.method, data);
    expect_no_growth(stream, data.size(), SIZE_MAX);  // frames contiguous in the source: in place
    expect_no_growth(stream, data.size(), 4096);      // frames in pieces: copied into the buffer
  }
}

TEST(Compression, EncoderReusesItsContext) {
  FrameEncoder encoder(Compression::zstd);
  const Bytes data = realistic_data(2 * k_mib + 1, 5);
  Writer out;
  encoder.encode(out, as_span(data));  // warms up the context and the writer
  out.clear();
  const std::uint64_t before = g_allocations.load();
  encoder.encode(out, as_span(data));
  EXPECT_EQ(g_allocations.load() - before, 0u);
}

}  // namespace
}  // namespace chconn::wire
