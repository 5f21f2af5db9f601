#include "chconn/wire/detail/compression.h"

#include <lz4.h>
#include <zstd.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <utility>

#include "chconn/core/error.h"
#include "wire/cityhash.h"
#include "wire/lz4.h"

namespace chconn::wire {

namespace {

template <class T>
T load_le(const std::uint8_t* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) {
    if constexpr (sizeof(T) == 8) v = __builtin_bswap64(v);
    if constexpr (sizeof(T) == 4) v = __builtin_bswap32(v);
  }
  return v;
}

template <class T>
void store_le(std::uint8_t* p, T v) noexcept {
  if constexpr (std::endian::native == std::endian::big) {
    if constexpr (sizeof(T) == 8) v = __builtin_bswap64(v);
    if constexpr (sizeof(T) == 4) v = __builtin_bswap32(v);
  }
  std::memcpy(p, &v, sizeof v);
}

std::string hex_byte(std::uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(b));
  return buf;
}

// The checksum as the 32 hex digits of its 16 wire bytes, so messages match a hex dump.
std::string wire_hex(std::uint64_t lo, std::uint64_t hi) {
  std::string out;
  out.reserve(32);
  char buf[3];
  for (const std::uint64_t half : {lo, hi}) {
    for (int i = 0; i < 8; ++i) {
      std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>((half >> (8 * i)) & 0xff));
      out += buf;
    }
  }
  return out;
}

// Names of the codecs ClickHouse knows but never uses for network compression, so an error says
// what arrived rather than just a number.
const char* codec_name(std::uint8_t method) noexcept {
  switch (method) {
    case 0x91: return " (Multiple)";
    case 0x92: return " (Delta)";
    case 0x93: return " (T64)";
    case 0x94: return " (DoubleDelta)";
    case 0x95: return " (Gorilla)";
    case 0x96:
    case 0x97: return " (AES-GCM-SIV)";
    case 0x98: return " (FPC)";
    case 0x9a: return " (GCD)";
    case 0x9b: return " (ZSTD_QPL)";
    default: return "";
  }
}

[[noreturn]] void corrupt(std::string message) { throw Error(ErrorKind::protocol, std::move(message)); }

std::size_t payload_bound(Compression method, std::size_t n) {
  switch (method) {
    case Compression::none: return n;
    case Compression::lz4: return static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(n)));
    case Compression::zstd: return ZSTD_compressBound(n);
  }
  return n;
}

}  // namespace

std::uint8_t method_byte(Compression compression) noexcept {
  switch (compression) {
    case Compression::none: return k_method_none;
    case Compression::lz4: return k_method_lz4;
    case Compression::zstd: return k_method_zstd;
  }
  return k_method_none;
}

FrameHeader parse_frame_header(std::span<const std::uint8_t> bytes, const DecodeLimits& limits) {
  if (bytes.size() < k_frame_header_bytes) {
    corrupt("a compressed frame header needs " + std::to_string(k_frame_header_bytes) + " bytes, got " +
            std::to_string(bytes.size()) + "; the stream is truncated");
  }
  const std::uint8_t* p = bytes.data();
  FrameHeader h;
  h.checksum_lo = load_le<std::uint64_t>(p);
  h.checksum_hi = load_le<std::uint64_t>(p + 8);
  h.method = p[16];
  h.compressed_size = load_le<std::uint32_t>(p + 17);
  h.uncompressed_size = load_le<std::uint32_t>(p + 21);

  if (h.compressed_size < k_frame_inner_header_bytes) {
    corrupt("compressed frame size " + std::to_string(h.compressed_size) + " is below the minimum of " +
            std::to_string(k_frame_inner_header_bytes) + "; the stream is corrupt or not compressed");
  }
  if (h.compressed_size > k_max_compressed_frame_bytes) {
    corrupt("compressed frame size " + std::to_string(h.compressed_size) + " exceeds the limit of " +
            std::to_string(k_max_compressed_frame_bytes) + " bytes; the stream is corrupt");
  }
  if (h.uncompressed_size > limits.max_frame_bytes) {
    corrupt("compressed frame declares " + std::to_string(h.uncompressed_size) +
            " uncompressed bytes, above the limit of " + std::to_string(limits.max_frame_bytes) +
            " (DecodeLimits::max_frame_bytes); the stream is corrupt or the limit too low");
  }
  switch (h.method) {
    case k_method_none:
      if (h.payload_bytes() != h.uncompressed_size) {
        corrupt("uncompressed frame (method 0x02) carries " + std::to_string(h.payload_bytes()) +
                " bytes but declares " + std::to_string(h.uncompressed_size) + "; the stream is corrupt");
      }
      break;
    case k_method_lz4:
      // LZ4's API counts in int.
      if (h.uncompressed_size > static_cast<std::uint32_t>(INT_MAX)) {
        corrupt("LZ4 frame declares " + std::to_string(h.uncompressed_size) +
                " uncompressed bytes, more than LZ4 can decode in one block");
      }
      // An LZ4 block expands at most about 255-fold (each length byte adds at most 255), so a
      // larger claim is corrupt; refusing it here keeps a tiny frame from reserving a big buffer.
      if (h.uncompressed_size > std::uint64_t{h.payload_bytes()} * 255 + 64) {
        corrupt("LZ4 frame of " + std::to_string(h.payload_bytes()) + " payload bytes declares " +
                std::to_string(h.uncompressed_size) + " uncompressed bytes, more than LZ4 can expand to");
      }
      break;
    case k_method_zstd: break;
    default:
      corrupt("unknown compression method byte " + hex_byte(h.method) + codec_name(h.method) +
              " in a frame header; chconn decodes none (0x02), LZ4 (0x82) and ZSTD (0x90) frames, so the "
              "stream is corrupt or was compressed with a codec not meant for the network");
  }
  return h;
}

// ---------------------------------------------------------------------------------------------
// Encoding

struct FrameEncoder::Zstd {
  ZSTD_CCtx* ctx = nullptr;
  Zstd() : ctx(ZSTD_createCCtx()) {
    if (!ctx) throw std::bad_alloc();
  }
  ~Zstd() { ZSTD_freeCCtx(ctx); }
  Zstd(const Zstd&) = delete;
  Zstd& operator=(const Zstd&) = delete;
};

FrameEncoder::FrameEncoder(Compression method, Options options) : method_(method), options_(options) {
  if (options_.max_frame == 0 || options_.max_frame > k_max_encoder_frame_bytes) {
    throw Error(ErrorKind::usage, "FrameEncoder max_frame must be between 1 and " +
                                      std::to_string(k_max_encoder_frame_bytes) + " bytes, not " +
                                      std::to_string(options_.max_frame));
  }
  if (method_ == Compression::zstd) {
    if (options_.zstd_level < ZSTD_minCLevel() || options_.zstd_level > ZSTD_maxCLevel()) {
      throw Error(ErrorKind::usage, "ZSTD level " + std::to_string(options_.zstd_level) + " is outside " +
                                        std::to_string(ZSTD_minCLevel()) + ".." + std::to_string(ZSTD_maxCLevel()));
    }
    zstd_ = std::make_unique<Zstd>();
  }
}

FrameEncoder::~FrameEncoder() = default;
FrameEncoder::FrameEncoder(FrameEncoder&&) noexcept = default;
FrameEncoder& FrameEncoder::operator=(FrameEncoder&&) noexcept = default;

void FrameEncoder::encode(Writer& out, std::span<const std::uint8_t> input) {
  while (!input.empty()) {
    const std::size_t n = std::min(input.size(), options_.max_frame);
    encode_frame(out, input.first(n));
    input = input.subspan(n);
  }
}

void FrameEncoder::encode_frame(Writer& out, std::span<const std::uint8_t> chunk) {
  // Compress straight into the writer's buffer: reserve the worst case, then trim to what was made.
  const std::size_t start = out.size();
  const std::size_t bound = payload_bound(method_, chunk.size());
  std::uint8_t* frame = out.extend(k_frame_header_bytes + bound);
  std::uint8_t* payload = frame + k_frame_header_bytes;

  std::size_t payload_size = 0;
  switch (method_) {
    case Compression::none:
      std::memcpy(payload, chunk.data(), chunk.size());
      payload_size = chunk.size();
      break;
    case Compression::lz4: {
      const int r = LZ4_compress_default(reinterpret_cast<const char*>(chunk.data()), reinterpret_cast<char*>(payload),
                                         static_cast<int>(chunk.size()), static_cast<int>(bound));
      if (r <= 0) {
        out.buffer().resize(start);
        throw Error(ErrorKind::usage, "LZ4 failed to compress a frame of " + std::to_string(chunk.size()) + " bytes");
      }
      payload_size = static_cast<std::size_t>(r);
      break;
    }
    case Compression::zstd: {
      const std::size_t r =
          ZSTD_compressCCtx(zstd_->ctx, payload, bound, chunk.data(), chunk.size(), options_.zstd_level);
      if (ZSTD_isError(r)) {
        out.buffer().resize(start);
        throw Error(ErrorKind::usage, "ZSTD failed to compress a frame of " + std::to_string(chunk.size()) +
                                          " bytes: " + ZSTD_getErrorName(r));
      }
      payload_size = r;
      break;
    }
  }

  const std::size_t compressed_size = k_frame_inner_header_bytes + payload_size;
  frame[k_frame_checksum_bytes] = method_byte(method_);
  store_le(frame + 17, static_cast<std::uint32_t>(compressed_size));
  store_le(frame + 21, static_cast<std::uint32_t>(chunk.size()));
  // Shrinking never reallocates, so `frame` stays valid.
  out.buffer().resize(start + k_frame_checksum_bytes + compressed_size);
  const Hash128 sum = city_hash128(frame + k_frame_checksum_bytes, compressed_size);
  store_le(frame, sum.lo);
  store_le(frame + 8, sum.hi);
}

void compress_frames(Writer& out, std::span<const std::uint8_t> input, Compression method, std::size_t max_frame,
                     int zstd_level) {
  if (input.empty()) return;  // no need to make a ZSTD context for nothing
  FrameEncoder encoder(method, {.max_frame = max_frame, .zstd_level = zstd_level});
  encoder.encode(out, input);
}

// ---------------------------------------------------------------------------------------------
// Decoding

struct CompressedSource::Zstd {
  ZSTD_DCtx* ctx = nullptr;
  Zstd() : ctx(ZSTD_createDCtx()) {
    if (!ctx) throw std::bad_alloc();
  }
  ~Zstd() { ZSTD_freeDCtx(ctx); }
  Zstd(const Zstd&) = delete;
  Zstd& operator=(const Zstd&) = delete;
};

void CompressedSource::Buffer::reserve(std::size_t needed, std::size_t keep, std::size_t expected) {
  if (needed <= capacity_) return;
  // Double while filling (a lying size costs only what arrives), but stop a little above the expected
  // total: the slack absorbs the next frames being slightly larger without another allocation.
  const std::size_t doubled = std::max(capacity_ * 2, std::size_t{64} << 10);
  const std::size_t ceiling = expected + expected / 8 + 64;
  const std::size_t new_capacity = std::max(needed, std::min(doubled, ceiling));
  auto fresh = std::make_unique_for_overwrite<std::uint8_t[]>(new_capacity);
  if (keep) std::memcpy(fresh.get(), data_.get(), keep);
  data_ = std::move(fresh);
  capacity_ = new_capacity;
}

CompressedSource::CompressedSource(Reader& raw) : raw_(&raw) {}
CompressedSource::~CompressedSource() = default;

void CompressedSource::read_exact(std::uint8_t* dst, std::size_t n) {
  while (n > 0) {
    const auto view = raw_->peek();
    if (view.empty()) {
      corrupt("the stream ended in the middle of a compressed frame; the peer closed or sent a truncated packet");
    }
    const std::size_t take = std::min(n, view.size());
    std::memcpy(dst, view.data(), take);
    raw_->consume(take);
    dst += take;
    n -= take;
  }
}

std::span<const std::uint8_t> CompressedSource::next() {
  for (;;) {
    if (deadline_.expired()) {
      throw Error(ErrorKind::timeout,
                  "decoding a compressed block timed out: " + deadline_.describe() + " expired in the middle of it");
    }
    const auto view = raw_->peek();
    if (view.empty()) return {};  // the stream ended cleanly between frames

    // Parse the header where it lies if it is contiguous, else from a copy.
    std::uint8_t header_copy[k_frame_header_bytes];
    const bool header_in_place = view.size() >= k_frame_header_bytes;
    const std::uint8_t* header = view.data();
    if (!header_in_place) {
      read_exact(header_copy, k_frame_header_bytes);
      header = header_copy;
    }
    const FrameHeader h = parse_frame_header({header, k_frame_header_bytes}, raw_->limits());

    // `body` is what the checksum covers: the method byte to the end of the payload.
    const std::size_t body_size = h.compressed_size;
    std::span<const std::uint8_t> body;
    if (header_in_place && view.size() >= k_frame_checksum_bytes + body_size) {
      // The whole frame is in raw's buffer. Consuming only moves raw's cursor; the bytes stay valid
      // until raw is asked for more, which happens only on our next call.
      body = view.subspan(k_frame_checksum_bytes, body_size);
      raw_->consume(k_frame_checksum_bytes + body_size);
    } else {
      packed_.reserve(k_frame_inner_header_bytes, 0, body_size);
      std::memcpy(packed_.data(), header + k_frame_checksum_bytes, k_frame_inner_header_bytes);
      if (header_in_place) raw_->consume(k_frame_header_bytes);
      std::size_t filled = k_frame_inner_header_bytes;
      while (filled < body_size) {
        const auto chunk = raw_->peek();
        if (chunk.empty()) {
          corrupt("the stream ended in the middle of a compressed frame (" + std::to_string(filled) + " of " +
                  std::to_string(body_size) + " bytes after the checksum); the peer closed or sent a truncated packet");
        }
        const std::size_t take = std::min(body_size - filled, chunk.size());
        packed_.reserve(filled + take, filled, body_size);
        std::memcpy(packed_.data() + filled, chunk.data(), take);
        raw_->consume(take);
        filled += take;
      }
      body = {packed_.data(), body_size};
    }

    const Hash128 sum = city_hash128(body.data(), body.size());
    if (sum.lo != h.checksum_lo || sum.hi != h.checksum_hi) {
      corrupt("compressed frame checksum mismatch: the frame carries " + wire_hex(h.checksum_lo, h.checksum_hi) +
              " but its " + std::to_string(body_size) + " bytes (method " + hex_byte(h.method) + ") hash to " +
              wire_hex(sum.lo, sum.hi) + "; the data was corrupted in transit");
    }
    ++frames_;

    const auto plain = decode_payload(h, body.subspan(k_frame_inner_header_bytes));
    // An empty frame carries nothing; the caller asked for bytes, so go on to the next frame.
    if (!plain.empty()) return plain;
  }
}

std::span<const std::uint8_t> CompressedSource::decode_payload(const FrameHeader& h,
                                                               std::span<const std::uint8_t> payload) {
  const std::size_t n = h.uncompressed_size;
  switch (h.method) {
    case k_method_none:
      // parse_frame_header checked that the sizes agree; hand the bytes out where they are.
      return payload;
    case k_method_lz4: {
      // The decoder copies in fixed pieces that may run a little past the end: give it the slack.
      plain_.reserve(n + detail::k_lz4_output_slack, 0, n + detail::k_lz4_output_slack);
      const detail::Lz4Result r = detail::lz4_decompress(payload, plain_.data(), n);
      if (r.status == detail::Lz4Status::zero_offset) {
        corrupt("LZ4 frame payload of " + std::to_string(payload.size()) +
                " bytes has a match with offset 0, which no encoder writes; the stream is corrupt");
      }
      if (r.status != detail::Lz4Status::ok) {
        corrupt("LZ4 frame payload of " + std::to_string(payload.size()) +
                " bytes is malformed or decompresses to more than the declared " + std::to_string(n) + " bytes");
      }
      if (r.size != n) {
        corrupt("LZ4 frame decompressed to " + std::to_string(r.size) + " bytes but declares " + std::to_string(n) +
                "; the stream is corrupt");
      }
      return {plain_.data(), n};
    }
    case k_method_zstd: {
      if (!zstd_) zstd_ = std::make_unique<Zstd>();
      plain_.reserve(std::max<std::size_t>(n, 1), 0, n);
      const std::size_t r = ZSTD_decompressDCtx(zstd_->ctx, plain_.data(), n, payload.data(), payload.size());
      if (ZSTD_isError(r)) {
        corrupt("ZSTD frame payload of " + std::to_string(payload.size()) + " bytes (declaring " + std::to_string(n) +
                " uncompressed) does not decompress: " + ZSTD_getErrorName(r));
      }
      if (r != n) {
        corrupt("ZSTD frame decompressed to " + std::to_string(r) + " bytes but declares " + std::to_string(n) +
                "; the stream is corrupt");
      }
      return {plain_.data(), n};
    }
    default:
      // parse_frame_header rejects every other method.
      corrupt("unknown compression method byte " + hex_byte(h.method));
  }
}

}  // namespace chconn::wire
