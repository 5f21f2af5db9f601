// Sparse (54465), sparse Nullable (54483) and replicated (54482) columns in Data blocks (issue 14).
// The golden bytes follow ClickHouse's writers: SerializationInfo::serialializeKindStackBinary
// (kind codes DEFAULT 0, SPARSE 1, DETACHED 2, DETACHED_OVER_SPARSE 3, REPLICATED 4, COMBINATION 5;
// a Tuple's stack then each element's), SerializationSparse.cpp serializeOffsets (one UVarInt per
// non-default row: the defaults before it; then the trailing defaults | 1 << 62; then the
// non-default values densely), SerializationNullable with use_default_null_map (a sparse Nullable's
// values carry no null map) and SerializationReplicated.cpp (rows, index width, indexes, element
// count, elements), all in src/DataTypes/Serializations/.
#include <gtest/gtest.h>

#include <string>

#include "chconn/wire/detail/protocol.h"
#include "columns_test_util.h"

namespace chconn {
namespace {

using test::hex;
using test::repr;
using test::unhex;

constexpr std::uint64_t k_rev_sparse = 54465;
constexpr std::uint64_t k_rev_replicated = 54482;
constexpr std::uint64_t k_rev_nullable_sparse = 54483;

// BlockInfo (with field 3 from 54480), the column and row counts.
std::string block_head(std::uint64_t revision, std::uint64_t columns, std::uint64_t rows) {
  std::string info = unhex("01 00 02 ff ff ff ff");
  if (revision >= 54480) info += unhex("03 00");
  wire::Writer w;
  w.uvarint(columns);
  w.uvarint(rows);
  return info + unhex("00") + std::string(w.view());
}

std::string column_head(std::string_view name, std::string_view type) {
  wire::Writer w;
  w.string(name);
  w.string(type);
  return std::string(w.view());
}

Block read(std::string_view bytes, std::uint64_t revision, std::size_t chunk = SIZE_MAX,
           const wire::DecodeLimits& limits = {}) {
  wire::MemorySource src(bytes, chunk);
  wire::Reader in(src, limits);
  Block b = wire::read_block(in, revision);
  EXPECT_TRUE(in.at_end()) << "read_block left bytes unread";
  return b;
}

// Every chunking gives Error(protocol) whose message has every fragment.
void expect_protocol_error(std::string_view bytes, std::uint64_t revision, std::vector<std::string> fragments,
                           const wire::DecodeLimits& limits = {}) {
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, SIZE_MAX}) {
    SCOPED_TRACE("chunk " + std::to_string(chunk));
    const std::string message = test::expect_error(ErrorKind::protocol, [&] { read(bytes, revision, chunk, limits); });
    for (const auto& f : fragments) EXPECT_NE(message.find(f), std::string::npos) << f << " in " << message;
  }
}

// A block of `rows` rows written the ordinary way, for comparing with what the kinds expand to.
Block plain(std::string_view type, const std::function<void(Column&)>& fill) {
  auto column = make_column(parse_type(type));
  fill(*column);
  Block b;
  b.append("c", column);
  return b;
}

// UInt64 [0, 111, 0, 0, 222, 0]: groups 1 and 2 (defaults before each value), then 1 trailing
// default with the end flag, then the two values.
const std::string k_sparse_uint64 = unhex("01 01") + unhex("01 02") + unhex("81 80 80 80 80 80 80 80 40") +
                                    unhex("6f 00 00 00 00 00 00 00 de 00 00 00 00 00 00 00");

TEST(SparseColumns, UInt64ExpandsToItsDefaults) {
  const std::string bytes = block_head(k_rev_sparse, 1, 6) + column_head("c", "UInt64") + k_sparse_uint64;
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, SIZE_MAX}) {
    const Block b = read(bytes, k_rev_sparse, chunk);
    const Block want = plain("UInt64", [](Column& c) {
      for (std::uint64_t v : {0, 111, 0, 0, 222, 0}) column_cast<ColumnUInt64>(c).append(v);
    });
    EXPECT_EQ(repr(*b.column(0)), repr(*want.column(0)));
  }
  // Below 54465 a server never sends kinds: the same bytes are refused, naming the column.
  expect_protocol_error(bytes, 54464, {"column 'c' of type UInt64", "custom serialization"});
}

TEST(SparseColumns, AllDefaultsAndALastValue) {
  // 4 default rows: one flagged group of 4, no values.
  const Block zeros =
      read(block_head(k_rev_sparse, 1, 4) + column_head("c", "UInt32") + unhex("01 01 84 80 80 80 80 80 80 80 40"),
           k_rev_sparse);
  ASSERT_EQ(zeros.rows(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(column_cast<ColumnUInt32>(*zeros.column(0))[i], 0u);
  // ["", "", "xy"]: a group of 2, then the flagged 0, then the one String.
  const Block strings = read(block_head(k_rev_sparse, 1, 3) + column_head("c", "String") +
                                 unhex("01 01 02 80 80 80 80 80 80 80 80 40 02") + "xy",
                             k_rev_sparse);
  EXPECT_EQ(column_cast<ColumnString>(*strings.column(0))[0], "");
  EXPECT_EQ(column_cast<ColumnString>(*strings.column(0))[2], "xy");
  EXPECT_EQ(strings.rows(), 3u);
}

// Nullable(UInt8) [NULL, 5, NULL] at 54483: the non-NULL rows' offsets, then their values as
// plain UInt8 with no null map.
TEST(SparseColumns, NullableValuesCarryNoNullMap) {
  const std::string bytes = block_head(k_rev_nullable_sparse, 1, 3) + column_head("c", "Nullable(UInt8)") +
                            unhex("01 01 01 81 80 80 80 80 80 80 80 40 05");
  const Block b = read(bytes, k_rev_nullable_sparse);
  const auto& n = column_cast<ColumnNullable>(*b.column(0));
  ASSERT_EQ(n.size(), 3u);
  EXPECT_TRUE(n.is_null(0));
  EXPECT_FALSE(n.is_null(1));
  EXPECT_EQ(column_cast<ColumnUInt8>(n.nested())[1], 5);
  EXPECT_TRUE(n.is_null(2));
}

// Tuple(a UInt64, b String) with a sparse `a`: has_custom 1, the tuple's kind (0), a's (1), b's
// (0); then a's sparse data and b's plain data.
TEST(SparseColumns, TupleElementsCarryTheirOwnKinds) {
  const std::string bytes = block_head(k_rev_sparse, 1, 2) + column_head("t", "Tuple(a UInt64, b String)") +
                            unhex("01 00 01 00") + unhex("01 80 80 80 80 80 80 80 80 40") +
                            unhex("07 00 00 00 00 00 00 00") + unhex("01") + "p" + unhex("01") + "q";
  const Block b = read(bytes, k_rev_sparse);
  const auto& t = column_cast<ColumnTuple>(*b.column(0));
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t.element_as<ColumnUInt64>(0)[0], 0u);
  EXPECT_EQ(t.element_as<ColumnUInt64>(0)[1], 7u);
  EXPECT_EQ(t.element_as<ColumnString>(1)[1], "q");
}

// UInt8, 4 rows all 7 from one element: rows 4, index width 1, indexes 0 0 0 0, 1 element, 7.
TEST(ReplicatedColumns, IndexesIntoTheirElements) {
  const std::string body = unhex("01 04") + unhex("04 01 00 00 00 00") + unhex("01 07");
  const std::string bytes = block_head(k_rev_replicated, 1, 4) + column_head("c", "UInt8") + body;
  const Block b = read(bytes, k_rev_replicated);
  ASSERT_EQ(b.rows(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(column_cast<ColumnUInt8>(*b.column(0))[i], 7);
  // Strings, indexes of width 2: ["b", "a", "b"].
  const std::string strings = block_head(k_rev_replicated, 1, 3) + column_head("c", "String") +
                              unhex("01 04 03 02 01 00 00 00 01 00 02 01") + "a" + unhex("01") + "b";
  const Block s = read(strings, k_rev_replicated, 1);
  EXPECT_EQ(column_cast<ColumnString>(*s.column(0))[0], "b");
  EXPECT_EQ(column_cast<ColumnString>(*s.column(0))[1], "a");
  EXPECT_EQ(column_cast<ColumnString>(*s.column(0))[2], "b");
  // Below 54482 kind 4 is not one the server can send.
  expect_protocol_error(bytes, 54481, {"column 'c' of type UInt8", "unknown serialization kind 4"});
}

TEST(SerializationKindsHostile, LyingStreamsAreProtocolErrorsNamingTheColumn) {
  const auto one = [](std::uint64_t revision, std::string_view type, std::uint64_t rows, const std::string& rest) {
    return block_head(revision, 1, rows) + column_head("c", type) + rest;
  };
  const std::vector<std::string> in_c = {"column 'c' of type UInt64"};
  const auto with = [&](std::string more) {
    auto f = in_c;
    f.push_back(std::move(more));
    return f;
  };
  // A group of 2^62 - 1 defaults, unflagged: more than the rows (nothing allocated for it).
  expect_protocol_error(one(k_rev_sparse, "UInt64", 3, unhex("01 01 ff ff ff ff ff ff ff ff 3f")), k_rev_sparse,
                        with("more than the block's 3 rows"));
  // Flagged too early: 1 row described of 3.
  expect_protocol_error(one(k_rev_sparse, "UInt64", 3, unhex("01 01 81 80 80 80 80 80 80 80 40")), k_rev_sparse,
                        with("describe 1 rows, but the block has 3"));
  // Values cut short.
  expect_protocol_error(one(k_rev_sparse, "UInt64", 2, unhex("01 01 00 80 80 80 80 80 80 80 80 40 01 00")),
                        k_rev_sparse, in_c);
  // Replicated: wrong row count, width 3, an index past the elements, an element count past the
  // limit.
  expect_protocol_error(one(k_rev_replicated, "UInt64", 2, unhex("01 04 03 01 00 00")), k_rev_replicated,
                        with("declares 3 rows"));
  expect_protocol_error(one(k_rev_replicated, "UInt64", 1, unhex("01 04 01 03 00 00 00")), k_rev_replicated,
                        with("index width is 3"));
  expect_protocol_error(one(k_rev_replicated, "UInt64", 2, unhex("01 04 02 01 00 02 01 05 00 00 00 00 00 00 00")),
                        k_rev_replicated, with("index 2 is past its 1 elements"));
  expect_protocol_error(one(k_rev_replicated, "UInt64", 1, unhex("01 04 01 01 00 ff ff ff ff 0f")), k_rev_replicated,
                        with("replicated column element count"));
  // DETACHED (secondary queries only), COMBINATION, an unknown code.
  expect_protocol_error(one(k_rev_replicated, "UInt64", 1, unhex("01 02")), k_rev_replicated, with("DETACHED"));
  expect_protocol_error(one(k_rev_replicated, "UInt64", 1, unhex("01 05 02 00 01")), k_rev_replicated,
                        with("COMBINATION"));
  expect_protocol_error(one(k_rev_replicated, "UInt64", 1, unhex("01 09")), k_rev_replicated,
                        with("unknown serialization kind 9"));
}

// A 1 MiB String repeated over 100 000 rows would be 100 GB expanded: the budget refuses it before
// anything is expanded.
TEST(SerializationKindsHostile, ReplicatedExpansionIsChargedBeforeItIsMade) {
  const std::uint64_t rows = 100000;
  wire::Writer w;
  w.uvarint(1);  // has_custom
  w.u8(4);       // REPLICATED
  w.uvarint(rows);
  w.u8(1);
  for (std::uint64_t i = 0; i < rows; ++i) w.u8(0);
  w.uvarint(1);
  w.string(std::string(1 << 20, 'x'));
  const std::string bytes = block_head(k_rev_replicated, 1, rows) + column_head("c", "String") + std::string(w.view());
  expect_protocol_error(bytes, k_rev_replicated, {"column 'c' of type String", "replicated column's rows"});
}

TEST(SerializationKindsHostile, TruncatedAtEveryByte) {
  const std::string bytes = block_head(k_rev_nullable_sparse, 3, 6) + column_head("c", "UInt64") + k_sparse_uint64 +
                            column_head("n", "Nullable(UInt8)") + unhex("01 01 01 84 80 80 80 80 80 80 80 40 05") +
                            column_head("r", "String") + unhex("01 04 06 01 00 00 00 00 00 00 01 01") + "z";
  const Block full = read(bytes, k_rev_nullable_sparse);
  EXPECT_EQ(full.rows(), 6u);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut) + " of " + std::to_string(bytes.size()));
    wire::MemorySource src(std::string_view(bytes).substr(0, cut), 1);
    wire::Reader in(src);
    test::expect_error(ErrorKind::protocol, [&] { wire::read_block(in, k_rev_nullable_sparse); });
  }
}

}  // namespace
}  // namespace chconn
