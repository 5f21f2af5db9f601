// The keyed hash of peer-controlled tables (src/wire/keyed_hash.h) and the LowCardinality
// dictionary that uses it, against values chosen to collide.
//
// The values: 8-byte strings whose hash under the unkeyed hash the dictionary used before all
// share their low 32 bits (that hash was invertible: xor-shifts and odd multiplications, undone
// below). Under it, two dictionary chunks of 100,000 such values took 162 s to merge; any table
// of up to 2^32 slots put them all in one probe chain.
#include "wire/keyed_hash.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "chconn/wire/columns.h"
#include "chconn/wire/types.h"

namespace chconn {
namespace {

// The inverse of x -> x * m for odd m, modulo 2^64 (Newton's iteration).
std::uint64_t inverse_of(std::uint64_t m) {
  std::uint64_t x = m;
  for (int i = 0; i < 6; ++i) x *= 2 - m * x;
  return x;
}

// The inverse of x -> x ^ (x >> s).
std::uint64_t undo_xorshift(std::uint64_t y, int s) {
  std::uint64_t x = y;
  for (int i = 0; i < 64 / s + 1; ++i) x = y ^ (x >> s);
  return x;
}

// An 8-byte value whose hash under the old unkeyed dictionary hash was exactly `h`.
std::string old_hash_preimage(std::uint64_t h) {
  constexpr std::uint64_t m = 0xbf58476d1ce4e5b9ull;
  constexpr std::uint64_t start = 0x9E3779B97F4A7C15ull ^ (8 * 0xff51afd7ed558ccdull);
  std::uint64_t x = h ^ (h >> 32);
  x *= inverse_of(m);
  x = undo_xorshift(x, 29);
  x = undo_xorshift(x, 31);
  x *= inverse_of(m);
  const std::uint64_t word = x ^ start;
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &word, 8);
  return bytes;
}

std::vector<std::string> colliding_values(std::size_t n) {
  std::vector<std::string> values;
  for (std::uint64_t i = 0; i < n; ++i) values.push_back(old_hash_preimage(((i + 1) << 32) | 0x777));
  return values;
}

TEST(KeyedHash, ValuesChosenToCollideSpreadOverTheTable) {
  const std::vector<std::string> values = colliding_values(50'000);
  ASSERT_EQ(std::set<std::string>(values.begin(), values.end()).size(), values.size());
  const wire::detail::HashKey key = wire::detail::keyed_hash_key();
  constexpr std::size_t k_slots = 1 << 17;  // as the dictionary sizes it: at most half full
  std::vector<std::uint32_t> load(k_slots, 0);
  for (const std::string& v : values) ++load[wire::detail::keyed_hash(v, key) & (k_slots - 1)];
  // 50,000 values in 131,072 buckets at random: the fullest holds a handful (the chance of 16 or
  // more is below 1e-9); under the old hash one bucket held all 50,000.
  EXPECT_LT(*std::max_element(load.begin(), load.end()), 16u);
}

TEST(KeyedHash, KeysDifferAndChangeTheHash) {
  const wire::detail::HashKey a = wire::detail::keyed_hash_key();
  const wire::detail::HashKey b = wire::detail::keyed_hash_key();
  EXPECT_FALSE(a.k0 == b.k0 && a.k1 == b.k1);
  int same = 0;
  for (const std::string& v : colliding_values(64))
    same += wire::detail::keyed_hash(v, a) == wire::detail::keyed_hash(v, b);
  EXPECT_EQ(same, 0);
  // Lengths and trailing bytes count: no two of these collide under one key.
  std::set<std::uint64_t> seen;
  for (const std::string& s : {std::string(), std::string(1, '\0'), std::string(2, '\0'), std::string(8, '\0'),
                               std::string(9, '\0'), std::string("a"), std::string("a\0", 2), std::string("b")}) {
    EXPECT_TRUE(seen.insert(wire::detail::keyed_hash(s, a)).second) << s.size();
  }
}

// The dictionary that appends these values finds each again at its own index.
TEST(KeyedHash, LowCardinalityDictionaryOfCollidingValuesStaysCorrect) {
  ColumnLowCardinality column(parse_type("LowCardinality(String)"));
  const std::vector<std::string> values = colliding_values(20'000);
  for (const std::string& v : values) column.append(v);
  for (const std::string& v : values) column.append(v);  // every second append finds the first
  ASSERT_EQ(column.size(), 2 * values.size());
  EXPECT_EQ(column.dictionary().size(), values.size() + 1);  // + the default at 0
  for (std::size_t i = 0; i < values.size(); ++i) {
    ASSERT_EQ(column.index(i), column.index(values.size() + i)) << i;
  }
}

}  // namespace
}  // namespace chconn
