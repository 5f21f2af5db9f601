// CityHash128 and CityHash64, version 1.0.2 of Google's algorithm (the one ClickHouse checksums
// frames with, and the one behind its cityHash64() function).
//
// The structure, in the terms of docs/protocol.md, "CityHash128":
//   * city_hash128 derives a 128-bit seed from the first 16 bytes (or from the first and last 8
//     bytes of an 8..15-byte input, or uses the fixed seed (k0, k1) below 8 bytes) and hashes
//     the rest with hash128_with_seed;
//   * hash128_with_seed sends inputs under 128 bytes through the "CityMurmur" mixing, and longer
//     ones through a 128-byte main loop followed by up to four 32-byte chunks taken from the end.
// Every detail that differs from later CityHash releases (the 0..16-byte mixing, the 16/48 fetch
// offsets of the main loop, the tail loop and the final mixing) follows 1.0.2; the unit tests pin
// them with vectors computed by ClickHouse itself across every length class.

#include "cityhash.h"

#include <bit>
#include <cstring>
#include <utility>

namespace chconn::wire {

namespace {

constexpr std::uint64_t k0 = 0xc3a5c85c97cb3127ULL;
constexpr std::uint64_t k1 = 0xb492b66fbe98f273ULL;
constexpr std::uint64_t k2 = 0x9ae16a3b2f90404fULL;
constexpr std::uint64_t k3 = 0xc949d7c7509e6557ULL;
constexpr std::uint64_t k_mix_mul = 0x9ddfea08eb382d69ULL;

// The algorithm is defined on little-endian loads; memcpy keeps unaligned reads defined.
inline std::uint64_t load64(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

inline std::uint64_t load32(const std::uint8_t* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}

inline std::uint64_t rotr(std::uint64_t v, int shift) noexcept { return std::rotr(v, shift); }

inline std::uint64_t shift_mix(std::uint64_t v) noexcept { return v ^ (v >> 47); }

// Murmur-inspired reduction of 128 bits to 64 ("Hash128to64").
inline std::uint64_t hash_len16(std::uint64_t u, std::uint64_t v) noexcept {
  std::uint64_t a = (u ^ v) * k_mix_mul;
  a ^= a >> 47;
  std::uint64_t b = (v ^ a) * k_mix_mul;
  b ^= b >> 47;
  return b * k_mix_mul;
}

// 1.0.2's short-input hash (1.0.3 added a length-dependent multiplier here; 1.0.2 has none).
std::uint64_t hash_len0to16(const std::uint8_t* s, std::size_t len) noexcept {
  if (len > 8) {
    const std::uint64_t a = load64(s);
    const std::uint64_t b = load64(s + len - 8);
    // len is 9..16 here, so the rotation is never by zero.
    return hash_len16(a, rotr(b + len, static_cast<int>(len))) ^ b;
  }
  if (len >= 4) {
    const std::uint64_t a = load32(s);
    return hash_len16(len + (a << 3), load32(s + len - 4));
  }
  if (len > 0) {
    const std::uint32_t a = s[0];
    const std::uint32_t b = s[len >> 1];
    const std::uint32_t c = s[len - 1];
    const std::uint32_t y = a + (b << 8);
    const std::uint32_t z = static_cast<std::uint32_t>(len) + (c << 2);
    return shift_mix(static_cast<std::uint64_t>(y) * k2 ^ static_cast<std::uint64_t>(z) * k3) * k2;
  }
  return k2;
}

using Pair = std::pair<std::uint64_t, std::uint64_t>;

// Mixes 32 bytes (w, x, y, z) into the two seeds a and b; weak on its own, strong in the loop.
inline Pair weak_hash32(std::uint64_t w, std::uint64_t x, std::uint64_t y, std::uint64_t z, std::uint64_t a,
                        std::uint64_t b) noexcept {
  a += w;
  b = rotr(b + a + z, 21);
  const std::uint64_t c = a;
  a += x;
  a += y;
  b += rotr(a, 44);
  return {a + z, b + c};
}

inline Pair weak_hash32(const std::uint8_t* s, std::uint64_t a, std::uint64_t b) noexcept {
  return weak_hash32(load64(s), load64(s + 8), load64(s + 16), load64(s + 24), a, b);
}

// The 64-byte round both long-input loops share (CityHash128's main loop and CityHash64's): mixes
// the chunk at `s` into the 56 bytes of state v, w, x, y, z and moves `s` past it.
inline void mix_chunk64(const std::uint8_t*& s, Pair& v, Pair& w, std::uint64_t& x, std::uint64_t& y,
                        std::uint64_t& z) noexcept {
  x = rotr(x + y + v.first + load64(s + 16), 37) * k1;
  y = rotr(y + v.second + load64(s + 48), 42) * k1;
  x ^= w.second;
  y ^= v.first;
  z = rotr(z ^ w.first, 33);
  v = weak_hash32(s, v.second * k1, x + w.first);
  w = weak_hash32(s + 32, z + w.second, y);
  std::swap(z, x);
  s += 64;
}

// Inputs under 128 bytes.
Hash128 city_murmur(const std::uint8_t* s, std::size_t len, Hash128 seed) noexcept {
  std::uint64_t a = seed.lo;
  std::uint64_t b = seed.hi;
  std::uint64_t c = 0;
  std::uint64_t d = 0;
  if (len <= 16) {
    a = shift_mix(a * k1) * k1;
    c = b * k1 + hash_len0to16(s, len);
    d = shift_mix(a + (len >= 8 ? load64(s) : c));
  } else {
    c = hash_len16(load64(s + len - 8) + k1, a);
    d = hash_len16(b + len, c + load64(s + len - 16));
    a += d;
    // 16 bytes a round while any remain; the last round may re-read bytes the tail fetch above
    // already saw (it overlaps when len is not a multiple of 16), exactly as 1.0.2 does.
    std::int64_t left = static_cast<std::int64_t>(len) - 16;
    do {
      a ^= shift_mix(load64(s) * k1) * k1;
      a *= k1;
      b ^= a;
      c ^= shift_mix(load64(s + 8) * k1) * k1;
      c *= k1;
      d ^= c;
      s += 16;
      left -= 16;
    } while (left > 0);
  }
  a = hash_len16(a, c);
  b = hash_len16(d, b);
  return {a ^ b, hash_len16(b, a)};
}

Hash128 hash128_with_seed(const std::uint8_t* s, std::size_t len, Hash128 seed) noexcept {
  if (len < 128) return city_murmur(s, len, seed);

  // 56 bytes of state: v, w, x, y, z.
  Pair v;
  Pair w;
  std::uint64_t x = seed.lo;
  std::uint64_t y = seed.hi;
  std::uint64_t z = len * k1;
  v.first = rotr(y ^ k1, 49) * k1 + load64(s);
  v.second = rotr(v.first, 42) * k1 + load64(s + 8);
  w.first = rotr(y + z, 35) * k1 + x;
  w.second = rotr(x + load64(s + 88), 53) * k1;

  // Two 64-byte rounds per iteration; the loop always runs at least once since len >= 128.
  do {
    mix_chunk64(s, v, w, x, y, z);
    mix_chunk64(s, v, w, x, y, z);
    len -= 128;
  } while (len >= 128);

  y += rotr(w.first, 37) * k0 + z;
  x += rotr(v.first + z, 49) * k0;
  // The 0..127 bytes left are hashed in 32-byte chunks taken backwards from the end. The last chunk
  // may start before the remainder, in bytes the main loop already consumed (at most 31 of them,
  // and at least 128 precede `s`), so the reads stay inside the input.
  for (std::size_t tail_done = 0; tail_done < len;) {
    tail_done += 32;
    const std::uint8_t* chunk = s - static_cast<std::ptrdiff_t>(tail_done) + static_cast<std::ptrdiff_t>(len);
    y = rotr(y - x, 42) * k0 + v.second;
    w.first += load64(chunk + 16);
    x = rotr(x, 49) * k0 + w.first;
    w.first += v.first;
    v = weak_hash32(chunk, v.first, v.second);
  }

  // Two different 48-to-8-byte reductions make the two halves of the result.
  x = hash_len16(x, v.first);
  y = hash_len16(y, w.first);
  return {hash_len16(x + v.second, w.second) + y, hash_len16(x + w.second, y + v.second)};
}

// CityHash64's 17..32-byte inputs: both ends, each 16 bytes, mixed into one pair.
std::uint64_t hash_len17to32(const std::uint8_t* s, std::size_t len) noexcept {
  const std::uint64_t a = load64(s) * k1;
  const std::uint64_t b = load64(s + 8);
  const std::uint64_t c = load64(s + len - 8) * k2;
  const std::uint64_t d = load64(s + len - 16) * k0;
  return hash_len16(rotr(a - b, 43) + rotr(c, 30) + d, a + rotr(b ^ k3, 20) - c + len);
}

// CityHash64's 33..64-byte inputs: the first and the last 32 bytes, each folded into two words.
std::uint64_t hash_len33to64(const std::uint8_t* s, std::size_t len) noexcept {
  const auto fold = [](std::uint64_t a, std::uint64_t z, std::uint64_t second, std::uint64_t third) -> Pair {
    const std::uint64_t b = rotr(a + z, 52);
    std::uint64_t c = rotr(a, 37);
    a += second;
    c += rotr(a, 7);
    a += third;
    return {a + z, b + rotr(a, 31) + c};
  };
  const Pair v = fold(load64(s) + (len + load64(s + len - 16)) * k0, load64(s + 24), load64(s + 8), load64(s + 16));
  const Pair w =
      fold(load64(s + 16) + load64(s + len - 32), load64(s + len - 8), load64(s + len - 24), load64(s + len - 16));
  const std::uint64_t r = shift_mix((v.first + w.second) * k2 + (w.first + v.second) * k0);
  return shift_mix(r * k0 + v.second) * k2;
}

}  // namespace

std::uint64_t city_hash64(const void* data, std::size_t n) noexcept {
  const auto* s = static_cast<const std::uint8_t*>(data);
  if (n <= 16) return hash_len0to16(s, n);
  if (n <= 32) return hash_len17to32(s, n);
  if (n <= 64) return hash_len33to64(s, n);

  // Past 64 bytes: the last 64 bytes seed 56 bytes of state (v, w, x, y, z), then every 64-byte
  // chunk from the start is mixed in; the chunks stop at the last multiple of 64 below n, so the
  // tail is covered by the seeding only.
  std::uint64_t x = load64(s);
  std::uint64_t y = load64(s + n - 16) ^ k1;
  std::uint64_t z = load64(s + n - 56) ^ k0;
  Pair v = weak_hash32(s + n - 64, n, y);
  Pair w = weak_hash32(s + n - 32, n * k1, k0);
  z += shift_mix(v.second) * k1;
  x = rotr(z + x, 39) * k1;
  y = rotr(y, 33) * k1;
  for (std::size_t left = (n - 1) & ~std::size_t{63}; left != 0; left -= 64) mix_chunk64(s, v, w, x, y, z);
  return hash_len16(hash_len16(v.first, w.first) + shift_mix(y) * k1 + z, hash_len16(v.second, w.second) + x);
}

Hash128 city_hash128(const void* data, std::size_t n) noexcept {
  const auto* s = static_cast<const std::uint8_t*>(data);
  if (n >= 16) return hash128_with_seed(s + 16, n - 16, {load64(s) ^ k3, load64(s + 8)});
  if (n >= 8) return hash128_with_seed(nullptr, 0, {load64(s) ^ (n * k0), load64(s + n - 8) ^ k1});
  return hash128_with_seed(s, n, {k0, k1});
}

}  // namespace chconn::wire
