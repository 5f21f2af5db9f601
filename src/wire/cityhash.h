// CityHash128 exactly as ClickHouse computes the checksum of a compression frame
// (docs/protocol.md, "CityHash128"), and CityHash64 as its SQL function cityHash64() computes it
// for a String (the usual sharding key of a Distributed table over string ids).
//
// ClickHouse embeds Google CityHash version 1.0.2. Later upstream releases (1.0.3, 1.1) changed the
// algorithm's output, so a system `cityhash` library is not a substitute: a checksum computed with
// it is rejected by the server as corrupted data. This is an internal header of the wire layer.
//
// Thread safety: pure functions of their input.
#pragma once

#include <cstddef>
#include <cstdint>

namespace chconn::wire {

// A 128-bit hash as the two 64-bit halves CityHash returns. On the wire (the first 16 bytes of a
// compression frame) it is written `lo` little-endian, then `hi` little-endian.
struct Hash128 {
  std::uint64_t lo;
  std::uint64_t hi;

  friend bool operator==(const Hash128&, const Hash128&) = default;
};

// CityHash128 v1.0.2 of the `n` bytes at `data` (`data` may be null when n is 0).
Hash128 city_hash128(const void* data, std::size_t n) noexcept;

// CityHash64 v1.0.2 of the `n` bytes at `data`: ClickHouse's cityHash64(s) for a String or
// FixedString s (numbers are hashed differently there: int_hash64).
std::uint64_t city_hash64(const void* data, std::size_t n) noexcept;

// The 64-bit finalizer of MurmurHash3: every bit of `x` moves every bit of the result. Also what
// the shadow strategy mixes its row hashes with.
constexpr std::uint64_t fmix64(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// ClickHouse's SQL function intHash64(x): fmix64 of x ^ 0x4CF2D2BAAE6DA887 (values checked against
// the 18.16 server). cityHash64(x) of one number x of at most 64 bits (UInt8..UInt64, Int8..Int64,
// Float32, Float64, Date, DateTime) is not CityHash of its bytes but intHash64 of its bits read as
// an unsigned number of its own width, zero-extended: cityHash64(toInt8(-1)) is intHash64(255),
// cityHash64(toFloat32(1.5)) intHash64(0x3fc00000).
constexpr std::uint64_t int_hash64(std::uint64_t x) noexcept { return fmix64(x ^ 0x4cf2d2baae6da887ULL); }

}  // namespace chconn::wire
