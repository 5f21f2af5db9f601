// String columns with a size stream (revision 54492, docs/protocol.md "String with a size stream").
//
// Facts from ClickHouse's own sources, read through the search index (no commit shown for these
// files): src/Core/ProtocolDefines.h (DBMS_MIN_REVISION_WITH_STRING_WITH_SIZE_STREAM_SERIALIZATION
// = 54492, DBMS_TCP_PROTOCOL_VERSION = 54492); src/Formats/NativeWriter.cpp
// (getSerializationAndColumn: the layout follows the peer's revision, no per-column marker, the
// custom-serialization byte stays 0); src/DataTypes/Serializations/SerializationString.cpp
// (serializeBinaryBulkWithSizeStream: over the network the stream carries the column's cumulative
// byte offsets as UInt64, as Array does, then the bytes; deserializeStringOffsetsAndGetDataSize:
// offsets must not decrease, their total is bounded); the gtests NativeStringSizeStream.WireLayout
// ("ab", "c", "" → offsets 2, 3, 3 then "abc"), CorruptedOffsetStream (offset pairs (8, 4),
// (0xfffffffffffffff0, 0x20) and (8, 2^48 + 9) are refused), AllEmptyNestedString (Array(String)
// and Map(String, String) carry their nested Strings in the same layout), RoundTripNewRevision
// (String, Array(String), Nullable(String), Map, Tuple); stateless test 04512.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "chconn/wire/detail/protocol.h"
#include "columns_test_util.h"
#include "support/expect_error.h"

namespace chconn {
namespace {

using test::hex;
using test::repr;
using test::unhex;

constexpr std::uint64_t k_rev = wire::k_min_revision_with_string_size_stream;  // 54492
constexpr std::uint64_t k_rev_before = k_rev - 1;

// BlockInfo as write_block() writes it from 54480 (fields 1, 2 and 3, then 0).
const std::string k_info = unhex("01 00 02 ff ff ff ff 03 00 00");

std::string u64(std::uint64_t v) {
  std::string s(8, '\0');
  std::memcpy(s.data(), &v, 8);
  return s;
}

// A one-column block: info, 1 column, `rows` rows, name, type, custom-serialization byte 0, data.
std::string one_column(std::string_view name, std::string_view type, std::uint8_t rows, std::string_view data) {
  std::string b = k_info + unhex("01") + std::string(1, static_cast<char>(rows));
  b += static_cast<char>(name.size());
  b += name;
  b += static_cast<char>(type.size());
  b += type;
  b += '\0';
  b += data;
  return b;
}

Block read(std::string_view bytes, std::uint64_t revision, std::size_t chunk = SIZE_MAX,
           const wire::DecodeLimits& limits = {}) {
  wire::MemorySource src(bytes, chunk);
  wire::Reader in(src, limits);
  Block b = wire::read_block(in, revision);
  EXPECT_TRUE(in.at_end()) << "read_block left bytes unread";
  return b;
}

std::string write(const Block& block, std::uint64_t revision) {
  wire::Writer w;
  wire::write_block(w, block, revision);
  return std::string(w.view());
}

// Decodes `bytes` at 54492 in several chunkings, checks the rows, and that encoding gives the
// same bytes back.
void expect_round_trip(const std::string& bytes, std::string_view expected_repr) {
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, SIZE_MAX}) {
    const Block b = read(bytes, k_rev, chunk);
    ASSERT_EQ(b.column_count(), 1u);
    EXPECT_EQ(repr(*b.at(0).column), expected_repr) << "chunk " << chunk;
    EXPECT_EQ(hex(write(b, k_rev)), hex(bytes)) << "chunk " << chunk;
  }
}

Error read_error(std::string_view bytes, std::uint64_t revision, std::size_t chunk = SIZE_MAX,
                 const wire::DecodeLimits& limits = {}) {
  return test::thrown_error([&] { read(bytes, revision, chunk, limits); });
}

TEST(StringSizeStream, WireLayoutOfTheServerGtest) {
  // NativeStringSizeStream.WireLayout: "ab", "c", "" → offsets 2, 3, 3 (UInt64), then "abc".
  const std::string data = u64(2) + u64(3) + u64(3) + "abc";
  const std::string bytes = one_column("s", "String", 3, data);
  expect_round_trip(bytes, "'ab'\n'c'\n''\n");
  // One revision earlier the same column is a UVarInt length before each value.
  const Block b = read(bytes, k_rev);
  EXPECT_EQ(hex(write(b, k_rev_before)), hex(one_column("s", "String", 3, unhex("02 61 62 01 63 00"))));
  EXPECT_EQ(repr(*read(one_column("s", "String", 3, unhex("02 61 62 01 63 00")), k_rev_before).at(0).column),
            "'ab'\n'c'\n''\n");
}

TEST(StringSizeStream, NestedStrings) {
  // Array(String): the Array's offsets, then the nested String's offsets and bytes.
  expect_round_trip(one_column("a", "Array(String)", 3, u64(0) + u64(1) + u64(3) + u64(3) + u64(6) + u64(6) + "onetwo"),
                    "[]\n['one',]\n['two','',]\n");
  // Every array empty: the nested String has no rows, so no bytes at all (AllEmptyNestedString).
  expect_round_trip(one_column("a", "Array(String)", 2, u64(0) + u64(0)), "[]\n[]\n");
  // Nullable(String): the null map, then every row's String (NULL rows empty).
  expect_round_trip(
      one_column("n", "Nullable(String)", 4, unhex("01 00 01 00") + u64(0) + u64(1) + u64(1) + u64(3) + "xyy"),
      "NULL\n'x'\nNULL\n'yy'\n");
  // Tuple(String, UInt64): each element in turn.
  expect_round_trip(one_column("t", "Tuple(String, UInt64)", 2, u64(1) + u64(1) + "p" + u64(1) + u64(2)),
                    "('p',01 00 00 00 00 00 00 00,)\n('',02 00 00 00 00 00 00 00,)\n");
  // Map(String, String): Array offsets, then the keys' String, then the values' String.
  expect_round_trip(one_column("m", "Map(String, String)", 2, u64(0) + u64(1) + u64(1) + "k" + u64(1) + "v"),
                    "map[]\nmap[('k','v',),]\n");
}

TEST(StringSizeStream, SparseAndReplicatedStrings) {
  // The kinds wrap the String's serialization, so their values column is in the offsets layout too
  // (04512 checks a sparse String column through it). Sparse ["", "", "xy"]: custom byte 1, kind 1,
  // a group of 2 then the end flag, then the one value.
  const std::string head = k_info + unhex("01 03 01 63 06") + "String";
  const Block sparse = read(head + unhex("01 01 02 80 80 80 80 80 80 80 80 40") + u64(2) + "xy", k_rev);
  EXPECT_EQ(repr(*sparse.at(0).column), "''\n''\n'xy'\n");
  // Replicated ["b", "a", "b"]: kind 4, 3 rows, UInt16 indexes 1 0 1, then 2 unique values.
  const Block replicated = read(head + unhex("01 04 03 02 01 00 00 00 01 00 02") + u64(1) + u64(2) + "ab", k_rev, 1);
  EXPECT_EQ(repr(*replicated.at(0).column), "'b'\n'a'\n'b'\n");
  // Either is re-encoded dense, in the offsets layout.
  EXPECT_EQ(hex(write(sparse, k_rev)), hex(one_column("c", "String", 3, u64(0) + u64(0) + u64(2) + "xy")));
  // The values column's offsets are checked like any other.
  const Error e =
      read_error(head + unhex("01 01 02 80 80 80 80 80 80 80 80 40") + u64(0xffffffffffffULL) + "xy", k_rev);
  EXPECT_EQ(e.kind(), ErrorKind::protocol);
  EXPECT_NE(e.message().find("column 'c' of type String"), std::string::npos) << e.message();
}

TEST(StringSizeStream, EmptyBlockHasNoData) {
  // Zero rows: no offsets and no bytes (NativeWriter writes nothing for a column of 0 rows).
  const std::string bytes = one_column("s", "String", 0, "");
  const Block b = read(bytes, k_rev);
  EXPECT_EQ(b.rows(), 0u);
  EXPECT_EQ(hex(write(b, k_rev)), hex(bytes));
}

TEST(StringSizeStream, LyingOffsetsAreProtocolErrors) {
  // NativeStringSizeStream.CorruptedOffsetStream: two rows "abcdefgh", "ijklmnop" with their
  // offsets replaced.
  const auto corrupted = [](std::uint64_t first, std::uint64_t second) {
    return one_column("s", "String", 2, u64(first) + u64(second) + "abcdefghijklmnop");
  };
  expect_round_trip(corrupted(8, 16), "'abcdefgh'\n'ijklmnop'\n");
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, SIZE_MAX}) {
    const Error backwards = read_error(corrupted(8, 4), k_rev, chunk);
    EXPECT_EQ(backwards.kind(), ErrorKind::protocol);
    EXPECT_NE(backwards.message().find("String offsets go backwards: row 1 ends at byte 4"), std::string::npos)
        << backwards.message();
    EXPECT_NE(backwards.message().find("column 's' of type String"), std::string::npos) << backwards.message();

    const Error huge = read_error(corrupted(0xfffffffffffffff0ULL, 0x20), k_rev, chunk);
    EXPECT_EQ(huge.kind(), ErrorKind::protocol);
    EXPECT_NE(huge.message().find("exceeds the limit"), std::string::npos) << huge.message();

    const Error total = read_error(corrupted(8, (std::uint64_t{1} << 48) + 9), k_rev, chunk);
    EXPECT_EQ(total.kind(), ErrorKind::protocol);
    EXPECT_NE(total.message().find("exceeds the limit"), std::string::npos) << total.message();
  }
  // Within max_string_bytes per value but over the block's budget: refused before allocating.
  wire::DecodeLimits limits;
  limits.max_block_bytes = 4096;
  const Error budget = read_error(corrupted(8, 5000), k_rev, SIZE_MAX, limits);
  EXPECT_EQ(budget.kind(), ErrorKind::protocol);
  EXPECT_NE(budget.message().find("max_block_bytes"), std::string::npos) << budget.message();
  // Offsets that claim more bytes than follow: the stream ends early.
  EXPECT_EQ(read_error(corrupted(8, 17), k_rev).kind(), ErrorKind::protocol);
}

TEST(StringSizeStream, TruncatedAtEveryByte) {
  const std::string bytes =
      one_column("a", "Array(String)", 3, u64(0) + u64(1) + u64(3) + u64(3) + u64(6) + u64(6) + "onetwo");
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(read_error(bytes.substr(0, n), k_rev).kind(), ErrorKind::protocol) << "cut at " << n;
  }
}

TEST(StringSizeStream, UnconfirmedLayoutsAreRefused) {
  // LowCardinality(String) of one row "ab" in the per-value layout (54491): key version 1, index
  // type UInt8 with additional keys (0x600), a dictionary of 1 value, 1 index.
  const std::string lc = one_column("l", "LowCardinality(String)", 1,
                                    u64(1) + u64(0x600) + u64(1) + unhex("02 61 62") + u64(1) + unhex("00"));
  const Block b = read(lc, k_rev_before);
  EXPECT_EQ(repr(*b.at(0).column), "'ab'\n");
  const Error on_read = read_error(lc, k_rev);
  EXPECT_EQ(on_read.kind(), ErrorKind::protocol);
  EXPECT_NE(on_read.message().find("LowCardinality columns are not supported at revision 54492"), std::string::npos)
      << on_read.message();
  const Error on_write = test::thrown_error([&] { write(b, k_rev); });
  EXPECT_EQ(on_write.kind(), ErrorKind::protocol);
  EXPECT_NE(on_write.message().find("LowCardinality"), std::string::npos) << on_write.message();
}

}  // namespace
}  // namespace chconn
