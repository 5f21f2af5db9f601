// Compression framing of the native protocol (docs/protocol.md, "Compression"): encoding blocks
// into checksummed LZ4 / ZSTD / uncompressed frames, and a ByteSource that decodes such frames on
// demand.
//
// When a query is sent with compression on, the Block of every Data packet travels as a sequence of
// frames:
//
//   16 bytes  CityHash128 v1.0.2 of the rest of the frame (low 64 bits LE, then high 64 bits LE)
//    1 byte   method: 0x02 none, 0x82 LZ4, 0x90 ZSTD
//    4 bytes  compressed size, UInt32 LE: 9 + payload bytes
//    4 bytes  uncompressed size, UInt32 LE
//    ...      payload: a raw LZ4 block, a ZSTD frame, or the bytes themselves
//
// The frames form one byte stream per query and direction; a frame boundary may fall anywhere
// inside a block, and a packet never ends inside a frame.
//
//   // Sending: the block's bytes, then frames of at most 1 MiB appended to the outgoing buffer.
//   chconn::wire::FrameEncoder encoder(chconn::Compression::lz4);
//   encoder.encode(packet, block_bytes);
//
//   // Receiving: `raw` reads the connection; `block` reads decompressed bytes.
//   chconn::wire::CompressedSource frames(raw);
//   chconn::wire::Reader block(frames, raw.limits());
//
// Every malformed frame (bad sizes, unknown method, checksum mismatch, a payload that does not
// decompress to its declared size) raises chconn::Error of kind protocol.
//
// Thread safety: FrameEncoder and CompressedSource are not thread-safe; each belongs to one
// connection and is used by one thread at a time. The free functions may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "chconn/core/clock.h"
#include "chconn/core/config.h"
#include "chconn/wire/io.h"

namespace chconn::wire {

// Layout of a frame header.
inline constexpr std::size_t k_frame_checksum_bytes = 16;
// The checksummed part of the header (method and the two sizes); counted in the compressed size.
inline constexpr std::size_t k_frame_inner_header_bytes = 9;
inline constexpr std::size_t k_frame_header_bytes = k_frame_checksum_bytes + k_frame_inner_header_bytes;

// Method bytes used on the wire.
inline constexpr std::uint8_t k_method_none = 0x02;
inline constexpr std::uint8_t k_method_lz4 = 0x82;
inline constexpr std::uint8_t k_method_zstd = 0x90;

// The server rejects frames whose compressed size (9 + payload) is above 1 GiB; so do we.
inline constexpr std::uint32_t k_max_compressed_frame_bytes = 0x40000000;
// The server cuts its frames at 1 MiB of uncompressed bytes (max_compress_block_size); we do too.
inline constexpr std::size_t k_default_max_frame_bytes = std::size_t{1} << 20;
// The largest max_frame an encoder accepts: its worst-case compressed frame must stay within
// k_max_compressed_frame_bytes.
inline constexpr std::size_t k_max_encoder_frame_bytes = std::size_t{1} << 29;

// The method byte for a configured compression: 0x02, 0x82 or 0x90.
std::uint8_t method_byte(Compression compression) noexcept;

// The 25-byte header of one frame, as read from the wire. The size helpers assume a header that
// parse_frame_header accepted (compressed_size >= 9).
struct FrameHeader {
  std::uint64_t checksum_lo = 0;  // CityHash128 of the frame from the method byte on: low half
  std::uint64_t checksum_hi = 0;  // ... and high half
  std::uint8_t method = 0;
  std::uint32_t compressed_size = 0;  // method byte to end of payload: 9 + payload bytes
  std::uint32_t uncompressed_size = 0;

  std::size_t payload_bytes() const noexcept { return compressed_size - k_frame_inner_header_bytes; }
  // The whole frame on the wire, checksum included.
  std::size_t frame_bytes() const noexcept { return k_frame_checksum_bytes + compressed_size; }
};

// Parses the first k_frame_header_bytes of `bytes` and checks what can be checked without the
// payload: compressed size within [9, 1 GiB], uncompressed size within limits.max_frame_bytes, a
// method this library decodes, and for method 0x02 equal sizes. Throws Error(protocol) naming the
// offending field. The checksum is not verified here: it covers the payload too.
FrameHeader parse_frame_header(std::span<const std::uint8_t> bytes, const DecodeLimits& limits = {});

// Encodes bytes into frames. Holds the ZSTD compression context so it is made once per connection,
// not once per frame; LZ4 and uncompressed frames need no state.
//
//   FrameEncoder encoder(Compression::zstd, {.zstd_level = 3});
//   encoder.encode(out, block.data());   // appends one frame per started MiB of the block
class FrameEncoder {
 public:
  struct Options {
    // Largest number of uncompressed bytes in one frame, 1..k_max_encoder_frame_bytes.
    std::size_t max_frame = k_default_max_frame_bytes;
    // ZSTD level (ZSTD's own range, negative levels included); ignored by the other methods.
    int zstd_level = 1;
  };

  // Throws Error(usage) if an option is out of range.
  explicit FrameEncoder(Compression method = Compression::lz4) : FrameEncoder(method, Options{}) {}
  FrameEncoder(Compression method, Options options);
  ~FrameEncoder();
  FrameEncoder(FrameEncoder&&) noexcept;
  FrameEncoder& operator=(FrameEncoder&&) noexcept;
  FrameEncoder(const FrameEncoder&) = delete;
  FrameEncoder& operator=(const FrameEncoder&) = delete;

  // Appends `input` to `out` as frames of at most options.max_frame uncompressed bytes each, with
  // their checksums. Empty input appends nothing (the server never sends empty frames either).
  // Compression::none writes 0x02 frames.
  void encode(Writer& out, std::span<const std::uint8_t> input);

  Compression method() const noexcept { return method_; }
  const Options& options() const noexcept { return options_; }

 private:
  void encode_frame(Writer& out, std::span<const std::uint8_t> chunk);

  struct Zstd;  // the ZSTD_CCtx, created with the encoder when the method is ZSTD
  Compression method_;
  Options options_;
  std::unique_ptr<Zstd> zstd_;
};

// One-off convenience over FrameEncoder. For ZSTD it creates a compression context per call; keep a
// FrameEncoder for repeated use.
void compress_frames(Writer& out, std::span<const std::uint8_t> input, Compression method,
                     std::size_t max_frame = k_default_max_frame_bytes, int zstd_level = 1);

// A ByteSource of the decompressed bytes of the frames read from `raw`, the connection's stream.
//
// next() reads exactly one frame from `raw` (more only if a frame is empty), verifies its checksum
// and returns its decompressed bytes; at a frame boundary at the end of `raw` it returns the empty
// view. It never reads beyond the frame it decodes, so once the block is parsed `raw` is positioned
// on the next packet: call it only when more bytes of the compressed stream are needed (a Reader
// over it does exactly that; do not ask that Reader for at_end() after the block).
//
// Buffers are reused: after the first frames of the largest size seen, decoding allocates nothing.
// A payload that arrives contiguous in `raw` is checksummed and decompressed in place, and an
// uncompressed (0x02) payload is handed out without a copy.
//
// Errors: a malformed frame throws Error(protocol) and leaves `raw` somewhere inside the frame; the
// stream cannot be resynchronised, so the connection must be dropped (classify() says so).
//
// Lifetimes: `raw` must outlive the source. A view returned by next() stays valid until the next
// call to next() or until `raw` is read by someone else.
class CompressedSource final : public ByteSource {
 public:
  explicit CompressedSource(Reader& raw);
  ~CompressedSource() override;
  CompressedSource(const CompressedSource&) = delete;
  CompressedSource& operator=(const CompressedSource&) = delete;

  std::span<const std::uint8_t> next() override;

  // The deadline of the read in progress. Decompressing and decoding a block costs CPU without
  // waiting on the socket (a small compressed packet can hold a block of a gigabyte), so next()
  // checks it before each frame and throws Error(timeout) naming it once it has passed: a call
  // overruns its deadline by at most one frame's work (DecodeLimits::max_frame_bytes).
  void set_deadline(Deadline deadline) noexcept { deadline_ = deadline; }

  // Frames decoded so far (for diagnostics and tests).
  std::uint64_t frames() const noexcept { return frames_; }
  // Bytes currently held by the reusable buffers, ZSTD's context excluded (tests check it stays
  // constant once warmed up).
  std::size_t buffer_capacity() const noexcept { return packed_.capacity() + plain_.capacity(); }

 private:
  // A growable byte buffer that is never value-initialised (every byte is written before it is read).
  class Buffer {
   public:
    std::uint8_t* data() noexcept { return data_.get(); }
    std::size_t capacity() const noexcept { return capacity_; }
    // Makes room for `needed` bytes, keeping the first `keep`. `expected` is how many the caller will
    // eventually need; growth is geometric but never allocates far beyond it.
    void reserve(std::size_t needed, std::size_t keep, std::size_t expected);

   private:
    std::unique_ptr<std::uint8_t[]> data_;
    std::size_t capacity_ = 0;
  };

  void read_exact(std::uint8_t* dst, std::size_t n);
  std::span<const std::uint8_t> decode_payload(const FrameHeader& header, std::span<const std::uint8_t> payload);

  struct Zstd;  // the ZSTD_DCtx, created on the first ZSTD frame
  Reader* raw_;
  Buffer packed_;  // a frame from its method byte on, when it is not contiguous in `raw`
  Buffer plain_;   // decompressed bytes
  std::unique_ptr<Zstd> zstd_;
  std::uint64_t frames_ = 0;
  Deadline deadline_ = Deadline::never();
};

}  // namespace chconn::wire
