// The LZ4 block decoder against liblz4, its oracle: blocks liblz4 writes decode to the original
// bytes; every truncation and every single-byte change of real blocks is accepted or refused as
// LZ4_decompress_safe does, with the same output; offset 0 is refused; nothing is written past the
// output's slack.
#include "wire/lz4.h"

#include <gtest/gtest.h>
#include <lz4.h>
#include <lz4hc.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace chconn::wire::detail {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::uint8_t k_guard = 0xA5;
constexpr std::size_t k_guard_bytes = 64;

Bytes compress(const Bytes& plain, bool high = false) {
  Bytes out(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(plain.size()))));
  const char* in = reinterpret_cast<const char*>(plain.data());
  char* o = reinterpret_cast<char*>(out.data());
  const int n = high ? LZ4_compress_HC(in, o, static_cast<int>(plain.size()), static_cast<int>(out.size()), 9)
                     : LZ4_compress_default(in, o, static_cast<int>(plain.size()), static_cast<int>(out.size()));
  EXPECT_GT(n, 0);
  out.resize(static_cast<std::size_t>(n));
  return out;
}

struct Decoded {
  Lz4Status status;
  Bytes bytes;
};

// Ours, into a buffer of capacity + slack followed by guard bytes that must stay untouched.
Decoded ours(const Bytes& src, std::size_t capacity) {
  Bytes buffer(capacity + k_lz4_output_slack + k_guard_bytes, k_guard);
  const Lz4Result r = lz4_decompress(src, buffer.data(), capacity);
  for (std::size_t i = capacity + k_lz4_output_slack; i < buffer.size(); ++i) {
    EXPECT_EQ(buffer[i], k_guard) << "wrote past the slack at " << i;
  }
  if (r.status != Lz4Status::ok) return {r.status, {}};
  EXPECT_LE(r.size, capacity);
  buffer.resize(r.size);
  return {r.status, buffer};
}

// liblz4's verdict: the bytes, or nullopt-like `ok = false`.
struct Reference {
  bool ok;
  Bytes bytes;
};
Reference reference(const Bytes& src, std::size_t capacity) {
  Bytes buffer(capacity + 1);
  const int r = LZ4_decompress_safe(reinterpret_cast<const char*>(src.data()), reinterpret_cast<char*>(buffer.data()),
                                    static_cast<int>(src.size()), static_cast<int>(capacity));
  if (r < 0) return {false, {}};
  buffer.resize(static_cast<std::size_t>(r));
  return {true, buffer};
}

// Ours agrees with liblz4 on `src` (offset 0 aside, which only we refuse).
void expect_agrees(const Bytes& src, std::size_t capacity, const std::string& what) {
  const Decoded a = ours(src, capacity);
  const Reference b = reference(src, capacity);
  if (a.status == Lz4Status::zero_offset) return;
  ASSERT_EQ(a.status == Lz4Status::ok, b.ok) << what;
  if (b.ok) {
    EXPECT_EQ(a.bytes, b.bytes) << what;
  }
}

Bytes counter_u64(std::size_t rows, std::uint64_t start = 0) {
  Bytes out(rows * 8);
  for (std::size_t i = 0; i < rows; ++i) {
    const std::uint64_t v = start + i;
    std::memcpy(out.data() + i * 8, &v, 8);
  }
  return out;
}

Bytes pseudo_random(std::size_t n, std::uint64_t seed, unsigned alphabet) {
  Bytes out(n);
  std::uint64_t s = seed;
  for (auto& b : out) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    b = static_cast<std::uint8_t>(s % alphabet);
  }
  return out;
}

// 8-byte values, each the previous one with its first 0 to 8 bytes changed (a choice per value):
// offset-8 matches after every literal count, the decoder's register path.
Bytes drifting_u64(std::size_t rows, std::uint64_t seed) {
  Bytes out(rows * 8);
  std::uint64_t s = seed;
  std::uint8_t value[8] = {};
  for (std::size_t i = 0; i < rows; ++i) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    const std::size_t changed = (s >> 40) % 9;
    for (std::size_t b = 0; b < changed; ++b) value[b] = static_cast<std::uint8_t>(s >> (8 * b));
    std::memcpy(out.data() + i * 8, value, 8);
  }
  return out;
}

std::vector<Bytes> samples() {
  std::vector<Bytes> out;
  for (std::uint64_t seed = 1; seed <= 6; ++seed) out.push_back(drifting_u64(20000, seed * 7777));
  out.push_back(counter_u64(65536, 1'000'000));           // the shape of `SELECT number`
  out.push_back(Bytes(100000, 0));                        // offset-1 runs
  out.push_back(pseudo_random(70000, 7, 256));            // incompressible: literals only
  out.push_back(pseudo_random(70000, 9, 3));              // short matches at every offset
  for (std::size_t period = 1; period <= 20; ++period) {  // every small offset
    Bytes b(5000);
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>('a' + i % period);
    out.push_back(b);
  }
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "user_" + std::to_string(i * 7919 % 100000) + "@example.com\n";
  out.emplace_back(text.begin(), text.end());
  for (std::size_t n = 0; n < 80; ++n) out.push_back(pseudo_random(n, n + 1, n % 2 ? 4 : 256));  // small blocks
  return out;
}

TEST(Lz4, DecodesWhatLiblz4Writes) {
  int checked = 0;
  for (const Bytes& plain : samples()) {
    for (const bool high : {false, true}) {
      const Bytes packed = compress(plain, high);
      const Decoded d = ours(packed, plain.size());
      ASSERT_EQ(d.status, Lz4Status::ok) << plain.size() << " bytes, hc=" << high;
      EXPECT_EQ(d.bytes, plain) << plain.size() << " bytes, hc=" << high;
      ++checked;
    }
  }
  EXPECT_GT(checked, 200);
}

TEST(Lz4, CapacityIsALimitLikeLiblz4s) {
  const Bytes plain = counter_u64(1000);
  const Bytes packed = compress(plain);
  EXPECT_EQ(ours(packed, plain.size() - 1).status, Lz4Status::malformed);
  EXPECT_FALSE(reference(packed, plain.size() - 1).ok);
  // More room than needed: both decode the whole block and say how much it was.
  const Decoded roomy = ours(packed, plain.size() + 100);
  ASSERT_EQ(roomy.status, Lz4Status::ok);
  EXPECT_EQ(roomy.bytes, plain);
  // Empty input and an empty output.
  EXPECT_EQ(ours({}, 10).status, Lz4Status::malformed);
  EXPECT_EQ(ours(Bytes{0}, 0).status, Lz4Status::ok);
  EXPECT_EQ(ours(Bytes{0, 0}, 0).status, Lz4Status::malformed);
  EXPECT_EQ(ours(Bytes{0x10, 'x'}, 0).status, Lz4Status::malformed);
}

TEST(Lz4, EveryTruncationAgrees) {
  for (const Bytes& plain : {counter_u64(300), pseudo_random(3000, 3, 5), Bytes(4000, 0), drifting_u64(300, 5)}) {
    const Bytes packed = compress(plain);
    for (std::size_t n = 0; n < packed.size(); ++n) {
      expect_agrees(Bytes(packed.begin(), packed.begin() + static_cast<std::ptrdiff_t>(n)), plain.size(),
                    "prefix of " + std::to_string(n));
    }
  }
}

TEST(Lz4, EverySingleByteChangeAgrees) {
  for (const Bytes& plain : {counter_u64(64), pseudo_random(600, 5, 4), Bytes(700, 0), drifting_u64(80, 3)}) {
    const Bytes packed = compress(plain);
    for (std::size_t i = 0; i < packed.size(); ++i) {
      for (const std::uint8_t value : {0x00, 0x01, 0x0f, 0x10, 0xf0, 0xff, 0x7f}) {
        Bytes changed = packed;
        changed[i] = value;
        expect_agrees(changed, plain.size(), "byte " + std::to_string(i) + " = " + std::to_string(value));
        expect_agrees(changed, plain.size() + 40, "roomy, byte " + std::to_string(i));
      }
    }
  }
}

// One literal 'a', a match of 4 at `offset`, then the 12 literals a block must end with.
Bytes one_match(std::uint8_t offset) {
  Bytes block = {0x10, 'a', offset, 0x00, 0xC0};
  for (char c = 'b'; c <= 'm'; ++c) block.push_back(static_cast<std::uint8_t>(c));
  return block;
}

TEST(Lz4, OffsetZeroIsRefused) {
  EXPECT_EQ(ours(one_match(0), 17).status, Lz4Status::zero_offset);
  // liblz4 accepts it and writes zeros where the match is.
  const Reference lib = reference(one_match(0), 17);
  ASSERT_TRUE(lib.ok);
  EXPECT_EQ(lib.bytes[1], 0);
  // With offset 1 the block is fine: "a" + "aaaa" + "bcdefghijklm".
  const Decoded d = ours(one_match(1), 17);
  ASSERT_EQ(d.status, Lz4Status::ok);
  EXPECT_EQ(std::string(d.bytes.begin(), d.bytes.end()), "aaaaabcdefghijklm");
  expect_agrees(one_match(1), 17, "offset 1");
}

TEST(Lz4, MatchesBeforeTheStartOrIntoTheLastFiveBytesAreRefused) {
  // Offset 2 with one byte written.
  EXPECT_EQ(ours(one_match(2), 17).status, Lz4Status::malformed);
  EXPECT_FALSE(reference(one_match(2), 17).ok);
  // Room for 16 bytes only: the match would end 4 bytes before the end.
  EXPECT_EQ(ours(one_match(1), 9 + 4).status, Lz4Status::malformed);
  for (std::size_t capacity = 0; capacity < 40; ++capacity) {
    expect_agrees(one_match(1), capacity, "capacity " + std::to_string(capacity));
  }
}

// 14 literals, a match of 18 at offset 8 ending at the output's very end, then an empty last
// sequence: liblz4's shortcut copies that match without the "5 bytes before the end" test, so the
// block is valid with room for exactly 32 bytes, and for more.
TEST(Lz4, ShortcutMatchMayEndAtTheOutputsEnd) {
  Bytes block = {0xEE};
  for (std::uint8_t c = 0; c < 14; ++c) block.push_back(static_cast<std::uint8_t>('a' + c));
  block.insert(block.end(), {0x08, 0x00, 0x00});
  for (const std::size_t capacity : {32, 33, 40, 31, 20}) {
    expect_agrees(block, capacity, "capacity " + std::to_string(capacity));
  }
  const Decoded d = ours(block, 32);
  ASSERT_EQ(d.status, Lz4Status::ok);
  EXPECT_EQ(std::string(d.bytes.begin(), d.bytes.end()),
            "abcdefghijklmn"
            "ghijklmnghijklmngh");
}

}  // namespace
}  // namespace chconn::wire::detail
