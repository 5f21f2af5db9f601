// CityHash128 and CityHash64 v1.0.2. CityHash128: the vectors of docs/protocol.md, "CityHash128", and vectors for every
// length class of the algorithm computed by ClickHouse 18.16.1's own CityHash_v1_0_2::CityHash128 (from Debian's
// libclickhouse.so.18.16.1) over the pattern of pattern_byte() below.
#include "wire/cityhash.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace chconn::wire {
namespace {

Hash128 hash_of(std::string_view s) { return city_hash128(s.data(), s.size()); }

// The 16 checksum bytes as a frame carries them: lo little-endian, then hi little-endian.
std::string wire_hex(Hash128 h) {
  std::string out;
  char buf[3];
  for (const std::uint64_t half : {h.lo, h.hi}) {
    for (int i = 0; i < 8; ++i) {
      std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>((half >> (8 * i)) & 0xff));
      out += buf;
    }
  }
  return out;
}

struct NoteVector {
  std::string_view name;
  std::vector<std::uint8_t> input;
  Hash128 expected;
  std::string_view wire;
};

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

TEST(CityHash128, VectorsFromTheProtocolNote) {
  std::vector<std::uint8_t> zero_to_99(100);
  for (std::size_t i = 0; i < zero_to_99.size(); ++i) zero_to_99[i] = static_cast<std::uint8_t>(i);
  // The live end-marker frame of docs/protocol.md, "Frames", from the method byte to its end: what
  // its checksum covers.
  const std::vector<std::uint8_t> frame = {0x82, 0x14, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0xa0,
                                           0x01, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00};
  const NoteVector vectors[] = {
      {"empty", {}, {0x3df09dfc64c09a2bULL, 0x3cb540c392e51e29ULL}, "2b9ac064fc9df03d291ee592c340b53c"},
      {"a", bytes_of("a"), {0xd27139a1afe01ad0ULL, 0xfd7e8ee2e4c86cf6ULL}, "d01ae0afa13971d2f66cc8e4e28e7efd"},
      {"abc", bytes_of("abc"), {0x900ff195577748feULL, 0x13a9176355b20d7eULL}, "fe48775795f10f907e0db2556317a913"},
      {"0..99", zero_to_99, {0x836ad9510a7189d4ULL, 0x92d5fdf90b6d0ef9ULL}, "d489710a51d96a83f90e6d0bf9fdd592"},
      {"Moscow",
       bytes_of("Moscow"),
       {0x2edf17bfee3edf6dULL, 0x22aef305c6409d55ULL},
       "6ddf3eeebf17df2e559d40c605f3ae22"},
      {"live frame", frame, {0x7c7a5cd56cac83a7ULL, 0x14e286dbbd46acb5ULL}, "a783ac6cd55c7a7cb5ac46bddb86e214"},
  };
  for (const auto& v : vectors) {
    SCOPED_TRACE(std::string(v.name));
    const Hash128 h = city_hash128(v.input.data(), v.input.size());
    EXPECT_EQ(h.lo, v.expected.lo);
    EXPECT_EQ(h.hi, v.expected.hi);
    EXPECT_EQ(wire_hex(h), v.wire);
  }
}

TEST(CityHash128, EmptyInputMayBeNull) {
  EXPECT_EQ(city_hash128(nullptr, 0), (Hash128{0x3df09dfc64c09a2bULL, 0x3cb540c392e51e29ULL}));
}

// The digit strings naive-cityhash's tests use, with the values ClickHouse's library computes for
// them: they cover the 1..3 and 4..7 byte branches of the short-input hash.
TEST(CityHash128, ShortDigitStrings) {
  struct Vector {
    std::string_view input;
    std::uint64_t lo;
    std::uint64_t hi;
  };
  constexpr Vector vectors[] = {
      {"1", 0x5840c089918d7943ULL, 0x81c996ec7a1eb223ULL},     {"12", 0xe32d537a6d7ffa89ULL, 0x9c9f3a977128418aULL},
      {"123", 0x9e00de2ff94ac9cdULL, 0x07d7bf0ef9ad434fULL},   {"1234", 0x265e94b569ba270cULL, 0x51e611f027ebb92fULL},
      {"12345", 0xa6435a8bba4007f9ULL, 0x014c066a714b0b2bULL}, {"123456", 0x20a01d8b330c0af4ULL, 0xa7daee45aa6d4e9fULL},
  };
  for (const auto& v : vectors) {
    EXPECT_EQ(hash_of(v.input), (Hash128{v.lo, v.hi})) << v.input;
  }
}

std::uint8_t pattern_byte(std::size_t i) {
  return static_cast<std::uint8_t>((static_cast<std::uint32_t>(i) * 2654435761u) >> 24);
}

std::vector<std::uint8_t> pattern(std::size_t n) {
  std::vector<std::uint8_t> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = pattern_byte(i);
  return out;
}

struct LengthVector {
  std::size_t length;
  std::uint64_t lo;
  std::uint64_t hi;
};

// Lengths chosen to hit each path: the fixed seed (< 8), the seed from the first/last 8 bytes
// (8..15), CityMurmur with 0..16 and 17..127 remaining bytes (16..143), the 128-byte main loop with
// 0..127 tail bytes in one to four 32-byte tail chunks (>= 144), and long inputs.
constexpr LengthVector k_length_vectors[] = {
    {0, 0x3df09dfc64c09a2bULL, 0x3cb540c392e51e29ULL},     {1, 0xa04b71ab61de6422ULL, 0xf768684937e23970ULL},
    {2, 0xccfa56762fec9834ULL, 0x5f65f5269eb8f335ULL},     {3, 0x185e588f959e615cULL, 0xd3747f0a0e291ebeULL},
    {4, 0x90e5299b30852afaULL, 0x72973d65c9ac7811ULL},     {5, 0xef2b5a26345b642bULL, 0xe55aac2b5933f431ULL},
    {7, 0x694b283bf8c62fe0ULL, 0x319c7eb3ad11e912ULL},     {8, 0xc7ea08897e1bbaf6ULL, 0x611074abba035e6cULL},
    {9, 0x06cbe652784c8ec8ULL, 0x9ebfc5cc9a566af6ULL},     {12, 0x0fb70be6106700e8ULL, 0x0bff1f52b4a95c80ULL},
    {15, 0x4455aa081e5b51b3ULL, 0xc7a8b080eed3644cULL},    {16, 0xde409673890bcf5eULL, 0xf293628926ea143dULL},
    {17, 0x630ba848ebc4d6adULL, 0x98db3b11eac05208ULL},    {20, 0x8fbfc7d7e96beba9ULL, 0x722547d3566e1dd2ULL},
    {23, 0x9b90e17e2654db32ULL, 0x8f2ffea186cbf4c0ULL},    {24, 0xa1e386872c77e454ULL, 0x87c92c031bd7315fULL},
    {25, 0xb50a4d071564cfe2ULL, 0xcdab5392c8b4a6eaULL},    {31, 0x42bbf3751d0e1002ULL, 0xf65ea5c39830b5c4ULL},
    {32, 0x9411f38ecd9e4e7cULL, 0x5c32ff46cb9a3e38ULL},    {33, 0x99edfc7fcd5b5a13ULL, 0x2abea785db89e143ULL},
    {47, 0xef28d28756683b23ULL, 0xce98343b3a403560ULL},    {48, 0xc6c4cec7d6ebcc3aULL, 0xb5de3fd95bcf8015ULL},
    {63, 0xd75a2656e5a4a4e1ULL, 0x3738de8631b7e014ULL},    {64, 0xc23abe19401a73b1ULL, 0xf7440c4cfc4b63b5ULL},
    {65, 0x820ea6bc103eacd2ULL, 0x7a411bdadcf95d0dULL},    {100, 0xced9cec009b25a11ULL, 0x916412cfc5d0f671ULL},
    {127, 0x46e19998d0c3190bULL, 0xa1b5dd5185224107ULL},   {128, 0xe4c75879b29290e8ULL, 0xb14b00b68f4d6420ULL},
    {129, 0xe6895274417ea4ceULL, 0xbe5fb11f3628b44fULL},   {143, 0x62f1dd2ffe28e619ULL, 0x671487bc7a0b9db1ULL},
    {144, 0x4e03c954bc2cca38ULL, 0x410ed156042b5949ULL},   {145, 0x38d1c679ed49e812ULL, 0x6d501f1210064912ULL},
    {159, 0x5f57b3d8d598ec29ULL, 0x097496c42b485d2aULL},   {160, 0xdee0df42a38c8261ULL, 0x608e509a268ca965ULL},
    {161, 0x824c650fb92dc8a2ULL, 0x2d7312367c87ab60ULL},   {175, 0x731ecf389c9e013aULL, 0xd30cd6fe416f6b13ULL},
    {176, 0xbcc8cb09a88ab40dULL, 0xf94934dad7d001e7ULL},   {177, 0x48b10f5875001341ULL, 0x68f5415eaed0196bULL},
    {191, 0x5847d217e1f24db6ULL, 0x9e4ea2f80bde4b75ULL},   {192, 0xb8e493fd6a0cf131ULL, 0xe56661c4680b4941ULL},
    {200, 0x84198257aeb48aecULL, 0xa0d271aa655831c1ULL},   {255, 0xf59fa3edf44984dbULL, 0xba211a2f7104ab74ULL},
    {256, 0x3d6eafb0ca182cc9ULL, 0xac63d52df96caf78ULL},   {257, 0xda01dbb47ee1af96ULL, 0xe449d60368d20fccULL},
    {271, 0x254d9a46be4b658bULL, 0x15a47007a8947fecULL},   {272, 0x03808b202a493173ULL, 0x8601cb3f4d8d15c7ULL},
    {273, 0x574568d2cd998e21ULL, 0xe5af91566a2f6473ULL},   {300, 0xa476cd7e8f712908ULL, 0xd2d059372ffe4fb2ULL},
    {383, 0x05cc46271a5a7313ULL, 0x581ca68115144cc9ULL},   {384, 0x32c439caea397f0dULL, 0x6ae048280870df82ULL},
    {385, 0xa8705bf8bafd9f53ULL, 0xe1de2b79a49a18c7ULL},   {399, 0x36c79f017163d1caULL, 0xf19bcbec8cc382c2ULL},
    {400, 0xe05cb04357ec19d0ULL, 0x121422316a7bb83aULL},   {401, 0x84f879087cd8de6aULL, 0x9373d1b870e299b8ULL},
    {511, 0x3026712e00f4a189ULL, 0x8798ba1fda71ab56ULL},   {512, 0xe3a71506d1709f5dULL, 0xee36255add798065ULL},
    {1000, 0x2cd82f2b5663a7b8ULL, 0x8f17db6ca3e97d8dULL},  {1024, 0xbe27f75027bbf65bULL, 0xb259f4634af8873dULL},
    {4096, 0xac619f71240f2e24ULL, 0xfce6e2c0eb6318caULL},  {65535, 0x60b3744b83a6a2a9ULL, 0x9fb1a67bf0f785bcULL},
    {65536, 0xe11515004b82be2cULL, 0xd1212b5bcdc6ac51ULL}, {1048576, 0xb67cc4e782d08a5fULL, 0xb9360f28b54ce948ULL},
};

TEST(CityHash128, MatchesClickHouseAcrossAllLengthClasses) {
  const auto data = pattern(1u << 20);
  for (const auto& v : k_length_vectors) {
    SCOPED_TRACE("length " + std::to_string(v.length));
    const Hash128 h = city_hash128(data.data(), v.length);
    EXPECT_EQ(h.lo, v.lo);
    EXPECT_EQ(h.hi, v.hi);
  }
}

// The hash reads unaligned 64-bit words; it must not depend on where the input starts.
TEST(CityHash128, IndependentOfAlignment) {
  const auto data = pattern(1100);
  std::vector<std::uint8_t> shifted(data.size() + 8);
  for (std::size_t offset = 1; offset < 8; ++offset) {
    std::memcpy(shifted.data() + offset, data.data(), data.size());
    for (const std::size_t n : {7u, 15u, 16u, 100u, 143u, 144u, 200u, 1000u, 1100u}) {
      EXPECT_EQ(city_hash128(shifted.data() + offset, n), city_hash128(data.data(), n))
          << "offset " << offset << " length " << n;
    }
  }
}

// Every byte of the input matters, including the bytes of a partial tail chunk.
TEST(CityHash128, EveryByteChangesTheHash) {
  for (const std::size_t n : {1u, 9u, 16u, 17u, 127u, 128u, 143u, 144u, 175u, 300u}) {
    auto data = pattern(n);
    const Hash128 base = city_hash128(data.data(), n);
    for (std::size_t i = 0; i < n; ++i) {
      data[i] ^= 0x01;
      EXPECT_NE(city_hash128(data.data(), n), base) << "length " << n << " byte " << i;
      data[i] ^= 0x01;
    }
  }
}

// CityHash64 v1.0.2, as ClickHouse 18.16.1's SQL function cityHash64() computes it for a String,
// over the same pattern: `SELECT hex(cityHash64(unhex('<pattern of n bytes>')))` on the sandbox, for
// every length class of the algorithm (0..16, 17..32, 33..64, and the 64-byte loop with every tail).
struct Length64Vector {
  std::size_t length;
  std::uint64_t hash;
};

constexpr Length64Vector k_length64_vectors[] = {
    {0, 0x9ae16a3b2f90404fULL},    {1, 0x085f654e398e757cULL},    {2, 0x2d0f6a14ec907999ULL},
    {3, 0x170d5e067f5661d5ULL},    {4, 0x6f16304198978606ULL},    {5, 0x93e3456ca11d2592ULL},
    {7, 0xece2322523f686eeULL},    {8, 0x14bcf61ca885255eULL},    {9, 0x27aaa162d4ccf7aaULL},
    {12, 0x3f93227d1c3120e5ULL},   {15, 0x2764ed02eea1167cULL},   {16, 0xd8b59544b622771eULL},
    {17, 0xce4d8f6cf4a956e2ULL},   {20, 0x65f37df9f4193429ULL},   {24, 0xa4c52631854bcdebULL},
    {31, 0x265c17c36c4eef76ULL},   {32, 0xd63fd93ad6269781ULL},   {33, 0x42bae828548b820aULL},
    {40, 0x6a644ca046ca7407ULL},   {47, 0x097dbcf94a1af81eULL},   {48, 0xf7377f8012ced02cULL},
    {56, 0x091aa6a8e5330ca9ULL},   {63, 0xa19508079dd74e82ULL},   {64, 0x08864b770e5f9fadULL},
    {65, 0x6eab60552fba17adULL},   {100, 0x7b8fb700966db967ULL},  {127, 0x940ec18037f75f86ULL},
    {128, 0xeec3a5371e4ce879ULL},  {129, 0xd9895823e161a5baULL},  {191, 0xc96f52b1955ef176ULL},
    {192, 0x56bbccc3256eb1c7ULL},  {193, 0x47010b83ba4ebd59ULL},  {255, 0x05f150d37d1d75b5ULL},
    {256, 0x491ddc17fc0dffbcULL},  {257, 0xe65def55c295354eULL},  {300, 0xe738728434653233ULL},
    {1000, 0x0704a9cafbc97622ULL}, {1024, 0x4c13d584cedf74caULL}, {4096, 0xc9d76e08168794c8ULL},
};

TEST(CityHash64, MatchesClickHousesCityHash64AcrossAllLengthClasses) {
  const auto data = pattern(4096);
  for (const auto& v : k_length64_vectors) {
    EXPECT_EQ(city_hash64(data.data(), v.length), v.hash) << "length " << v.length;
  }
}

// Text keys as a sharding key sees them (`SELECT hex(cityHash64('Moscow'))` and so on, on 18.16.1).
TEST(CityHash64, TextKeys) {
  struct Vector {
    std::string_view input;
    std::uint64_t hash;
  };
  constexpr Vector vectors[] = {
      {"", 0x9ae16a3b2f90404fULL},       {"a", 0x2420662cd003acfaULL},       {"abc", 0x3a912f483a4ece31ULL},
      {"Moscow", 0xad94fe24241d292eULL}, {"user-42", 0x72de5f591df2a2c7ULL}, {"ClickHouse", 0xb31471e60bb7674dULL},
  };
  for (const auto& v : vectors) EXPECT_EQ(city_hash64(v.input.data(), v.input.size()), v.hash) << v.input;
  EXPECT_EQ(city_hash64(nullptr, 0), 0x9ae16a3b2f90404fULL);
}

TEST(CityHash64, IndependentOfAlignmentAndEveryByteCounts) {
  const auto data = pattern(1100);
  std::vector<std::uint8_t> shifted(data.size() + 8);
  for (std::size_t offset = 1; offset < 8; ++offset) {
    std::memcpy(shifted.data() + offset, data.data(), data.size());
    for (const std::size_t n : {7u, 16u, 17u, 33u, 64u, 65u, 200u, 1100u}) {
      EXPECT_EQ(city_hash64(shifted.data() + offset, n), city_hash64(data.data(), n)) << offset << " " << n;
    }
  }
  for (const std::size_t n : {1u, 9u, 17u, 32u, 33u, 64u, 65u, 129u, 300u}) {
    auto bytes = pattern(n);
    const std::uint64_t base = city_hash64(bytes.data(), n);
    for (std::size_t i = 0; i < n; ++i) {
      bytes[i] ^= 0x01;
      EXPECT_NE(city_hash64(bytes.data(), n), base) << "length " << n << " byte " << i;
      bytes[i] ^= 0x01;
    }
  }
}

// cityHash64 of one number, as the 18.16.1 server computes it: `SELECT cityHash64(toInt8(-1)),
// cityHash64(toDate('2020-01-02')), ...` gave these values, and intHash64 of the same bits the same.
TEST(IntHash64, NumbersAsClickHousesCityHash64HashesThem) {
  struct Vector {
    const char* value;  // what was hashed on the server
    std::uint64_t bits;
    std::uint64_t hash;
  };
  constexpr Vector vectors[] = {
      {"toUInt8(1), toUInt64(1)", 1, 10577349846663553072ULL},
      {"toInt8(-1)", 0xff, 8055013221972926055ULL},
      {"toInt16(-2)", 0xfffe, 5877560787935003687ULL},
      {"toInt32(-1)", 0xffffffffULL, 9168733277332772950ULL},
      {"toInt64(-1), toUInt64(2^64 - 1)", 0xffffffffffffffffULL, 14600443904207254319ULL},
      {"toUInt32(7)", 7, 13365811232860260488ULL},
      {"toUInt16(65535)", 0xffff, 6547939410751295652ULL},
      {"toDate('2020-01-02')", 18263, 4404072809595594999ULL},
      {"toDateTime('2020-01-02 03:04:05')", 1577934245, 13082876570588581106ULL},
      {"toFloat64(1.5)", 0x3ff8000000000000ULL, 7287324520655339053ULL},
      {"toFloat32(1.5)", 0x3fc00000, 17641193269776743632ULL},
  };
  for (const auto& v : vectors) EXPECT_EQ(int_hash64(v.bits), v.hash) << v.value;
  static_assert(int_hash64(1) == 10577349846663553072ULL);
}

}  // namespace
}  // namespace chconn::wire
