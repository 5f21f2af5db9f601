// Block and its Native encoding (docs/protocol.md, "Data blocks"): the [live] SELECT header and
// data block, BlockInfo fields by revision, custom serialization, limits, truncation at every byte.
#include <gtest/gtest.h>

#include <string>

#include "columns_test_util.h"
#include "support/expect_error.h"

namespace chconn {
namespace {

using chconn::test::expect_error;

using test::hex;
using test::repr;
using test::unhex;

constexpr std::uint64_t k_rev_18_16 = 54412;   // the live server
constexpr std::uint64_t k_rev_client = 54460;  // what chconn advertises
constexpr std::uint64_t k_rev_buckets = 54480;

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

void expect_protocol_error(std::string_view bytes, std::uint64_t revision, std::string_view fragment = {},
                           const wire::DecodeLimits& limits = {}) {
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, SIZE_MAX}) {
    const Error e = test::thrown_error([&] { read(bytes, revision, chunk, limits); });
    EXPECT_EQ(e.kind(), ErrorKind::protocol) << e.what();
    if (!fragment.empty()) {
      EXPECT_NE(e.message().find(fragment), std::string::npos) << e.message();
    }
  }
}

// [live] `SELECT 1 AS x, 'ab' AS s` on 18.16 (R = 54412). docs/protocol.md quotes whole Data
// packets, `01 00 | block`: packet code 1 and the empty table name come first and are not part of
// the block.
const std::string k_packet_prefix = unhex("01 00");
const std::string k_header_packet =
    unhex("01 00 01 00 02 ff ff ff ff 00 02 00 01 78 05") + "UInt8" + unhex("01 73 06") + "String";
const std::string k_data_packet = unhex("01 00 01 00 02 ff ff ff ff 00 02 01 01 78 05") + "UInt8" +
                                  unhex("01 01 73 06") + "String" + unhex("02 61 62");
const std::string k_header = k_header_packet.substr(2);
const std::string k_data = k_data_packet.substr(2);

TEST(BlockGolden, NoteQuotesWholePackets) {
  EXPECT_EQ(k_header_packet.substr(0, 2), k_packet_prefix);
  EXPECT_EQ(k_data_packet.substr(0, 2), k_packet_prefix);
}

TEST(BlockGolden, SelectHeader) {
  for (auto chunk : test::k_chunk_sizes) {
    Block b = read(k_header, k_rev_18_16, chunk);
    EXPECT_EQ(b.column_count(), 2u);
    EXPECT_EQ(b.rows(), 0u);
    EXPECT_EQ(b.name(0), "x");
    EXPECT_EQ(b.column(0)->type()->name(), "UInt8");
    EXPECT_EQ(b.name(1), "s");
    EXPECT_EQ(b.column("s")->type()->name(), "String");
    EXPECT_FALSE(b.info.is_overflows);
    EXPECT_EQ(b.info.bucket_num, -1);
    EXPECT_EQ(write(b, k_rev_18_16), k_header);
  }
}

TEST(BlockGolden, SelectData) {
  for (auto chunk : test::k_chunk_sizes) {
    Block b = read(k_data, k_rev_18_16, chunk);
    ASSERT_EQ(b.rows(), 1u);
    EXPECT_EQ(b.column_as<ColumnUInt8>("x")[0], 1);
    EXPECT_EQ(b.column_as<ColumnString>(1)[0], "ab");
    EXPECT_EQ(write(b, k_rev_18_16), k_data);
  }
  // The same block built by hand.
  Block built;
  auto x = std::make_shared<ColumnUInt8>();
  x->append(1);
  auto s = std::make_shared<ColumnString>();
  s->append("ab");
  built.append("x", x);
  built.append("s", s);
  EXPECT_EQ(hex(write(built, k_rev_18_16)), hex(k_data));
}

TEST(BlockGolden, EndMarker) {
  // The empty block that ends external tables and result sets.
  EXPECT_EQ(hex(write(Block{}, k_rev_client)), "01 00 02 ff ff ff ff 00 00 00");
  Block b = read(unhex("01 00 02 ff ff ff ff 00 00 00"), k_rev_client);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.rows(), 0u);
}

TEST(BlockRevisions, CustomSerializationByte) {
  // From 54454 a byte follows each type name.
  const std::string modern = unhex("01 00 02 ff ff ff ff 00 02 01 01 78 05") + "UInt8" + unhex("00 01 01 73 06") +
                             "String" + unhex("00 02 61 62");
  Block b = read(modern, k_rev_client);
  EXPECT_EQ(b.column_as<ColumnString>("s")[0], "ab");
  EXPECT_EQ(write(b, k_rev_client), modern);

  std::string sparse = modern;
  sparse[sparse.find("UInt8") + 5] = '\x01';
  expect_protocol_error(sparse, k_rev_client, "custom serialization (flag 1) at revision 54460");
  std::string junk = modern;
  junk[junk.find("UInt8") + 5] = '\x02';
  expect_protocol_error(junk, k_rev_client, "custom-serialization flag 2");
  // Read at 54412 the same bytes are misaligned garbage: an error, not a crash.
  expect_protocol_error(modern, k_rev_18_16);
}

TEST(BlockRevisions, BlockInfoFields) {
  // Before 51903 there is no BlockInfo at all.
  Block plain = read(unhex("01 01 01 78 05") + "UInt8" + unhex("07"), 50000);
  EXPECT_EQ(plain.column_as<ColumnUInt8>("x")[0], 7);
  EXPECT_EQ(hex(write(plain, 50000)), hex(unhex("01 01 01 78 05") + "UInt8" + unhex("07")));

  // Fields in any order; overflows set; bucket 5.
  Block b = read(unhex("02 05 00 00 00 01 01 00 00 00"), k_rev_client);
  EXPECT_TRUE(b.info.is_overflows);
  EXPECT_EQ(b.info.bucket_num, 5);
  EXPECT_EQ(hex(write(b, k_rev_client)), "01 01 02 05 00 00 00 00 00 00");

  // Field 3 exists only from 54480.
  const std::string with3 = unhex("01 00 02 ff ff ff ff 03 02 01 00 00 00 02 00 00 00 00 00 00");
  Block o = read(with3, k_rev_buckets);
  EXPECT_EQ(o.info.out_of_order_buckets, (std::vector<std::int32_t>{1, 2}));
  EXPECT_EQ(hex(write(o, k_rev_buckets)), hex(with3));
  EXPECT_EQ(hex(write(Block{}, k_rev_buckets)), "01 00 02 ff ff ff ff 03 00 00 00 00");
  expect_protocol_error(with3, k_rev_client, "unknown BlockInfo field number 3");
  expect_protocol_error(unhex("01 00 02 ff ff ff ff 03 81 02 00 00"), k_rev_buckets, "out-of-order bucket count");
  expect_protocol_error(unhex("04 00 00 00 00"), k_rev_client, "unknown BlockInfo field number 4");
}

// [chDB 26.7] `SELECT tuple() AS a FROM numbers(3) FORMAT Native`: Native output is the block at
// revision 0 (no BlockInfo, no serialization byte). An empty Tuple() takes one byte per row, '0'
// as Nothing's, which the server ignores when it reads.
TEST(BlockGolden, EmptyTupleTakesOneBytePerRow) {
  const std::string bytes = unhex("01 03 01 61 07") + "Tuple()" + "000";
  const Block b = read(bytes, 0);
  ASSERT_EQ(b.column_count(), 1u);
  EXPECT_EQ(b.rows(), 3u);
  EXPECT_EQ(b.column(0)->type()->name(), "Tuple()");
  EXPECT_EQ(hex(write(b, 0)), hex(bytes));
  // Inside an array: the offsets, then a byte per element.
  const std::string array =
      unhex("01 02 01 61 0e") + "Array(Tuple())" + unhex("02 00 00 00 00 00 00 00 03 00 00 00 00 00 00 00") + "000";
  const Block a = read(array, 0);
  EXPECT_EQ(a.rows(), 2u);
  EXPECT_EQ(hex(write(a, 0)), hex(array));
  // A row's byte missing is a truncated stream.
  expect_protocol_error(bytes.substr(0, bytes.size() - 1), 0, "Tuple()");
}

// [chDB 26.7] `SELECT arrayJoin([1::Variant(UInt8, String), 'ab'::Variant(UInt8, String), NULL,
// 7::Variant(UInt8, String)]) AS a FORMAT Native`: the type named with its types sorted, the
// discriminators mode (UInt64 0, basic) as the state prefix, a discriminator per row (1 = UInt8,
// 0 = String, 255 = NULL), then each type's rows in order.
TEST(BlockGolden, VariantDiscriminatorsThenEachTypesRows) {
  const std::string head = unhex("01 04 01 61 16") + "Variant(String, UInt8)";
  const std::string mode = unhex("00 00 00 00 00 00 00 00");
  const std::string bytes = head + mode + unhex("01 00 ff 01") + unhex("02 61 62") + unhex("01 07");
  const Block b = read(bytes, 0);
  ASSERT_EQ(b.rows(), 4u);
  const auto& v = b.column_as<ColumnVariant>(0);
  EXPECT_EQ(v.discriminator(0), 1);
  EXPECT_EQ(v.variant_as<ColumnUInt8>(1)[v.variant_row(0)], 1);
  EXPECT_EQ(v.variant_as<ColumnString>(0)[v.variant_row(1)], "ab");
  EXPECT_TRUE(v.is_null(2));
  EXPECT_EQ(v.variant_as<ColumnUInt8>(1)[v.variant_row(3)], 7);
  EXPECT_EQ(hex(write(b, 0)), hex(bytes));
  // A discriminator naming no type, the compact mode, an unknown mode, a missing row: protocol
  // errors naming the column and its type.
  expect_protocol_error(head + mode + unhex("01 00 02 01") + unhex("02 61 62") + unhex("01 07"), 0,
                        "Variant discriminator 2 in row 2 names no type");
  expect_protocol_error(head + unhex("01 00 00 00 00 00 00 00") + unhex("01 00 ff 01"), 0, "compact mode");
  expect_protocol_error(head + unhex("07 00 00 00 00 00 00 00") + unhex("01 00 ff 01"), 0, "mode 7");
  expect_protocol_error(bytes.substr(0, bytes.size() - 1), 0, "Variant(String, UInt8)");
}

// [chDB 26.7] `SELECT 7::Variant(LowCardinality(String), UInt8) AS a`: a type without rows writes
// no body, but its state prefix (LowCardinality's key version) is there.
TEST(BlockGolden, VariantTypeWithoutRowsHasPrefixOnly) {
  const std::string bytes = unhex("01 01 01 61 26") + "Variant(LowCardinality(String), UInt8)" +
                            unhex("00 00 00 00 00 00 00 00") + unhex("01 00 00 00 00 00 00 00") + unhex("01 07");
  const Block b = read(bytes, 0);
  EXPECT_EQ(b.column_as<ColumnVariant>(0).variant(0).size(), 0u);
  EXPECT_EQ(hex(write(b, 0)), hex(bytes));
}

// [chDB 26.7] `SELECT if(number = 0, (number::UInt8)::Dynamic, if(number = 1, 'x'::Dynamic, NULL)) AS a
// FROM numbers(3) FORMAT Native`: the state prefix is the structure version (UInt64 1), max types
// and the number of types (varints), their names, then the Variant's prefix; the rows are a Variant
// of the listed types and SharedVariant, sorted by name (SharedVariant 0, String 1, UInt8 2).
TEST(BlockGolden, DynamicListsItsTypesThenHoldsAVariant) {
  const std::string head = unhex("01 03 01 61 07") + "Dynamic";
  const std::string version = unhex("01 00 00 00 00 00 00 00");
  const std::string types = unhex("02 02 06") + "String" + unhex("05") + "UInt8";
  const std::string rest = unhex("00 00 00 00 00 00 00 00") + unhex("02 01 ff") + unhex("01 78") + unhex("00");
  const std::string bytes = head + version + types + rest;
  const Block b = read(bytes, 0);
  ASSERT_EQ(b.rows(), 3u);
  const auto& d = b.column_as<ColumnDynamic>(0);
  ASSERT_EQ(d.types().size(), 2u);
  EXPECT_EQ(d.variant().type()->name(), "Variant(SharedVariant, String, UInt8)");
  EXPECT_EQ(d.variant().discriminator(0), 2);
  EXPECT_EQ(d.variant().variant_as<ColumnString>(1)[d.variant().variant_row(1)], "x");
  EXPECT_TRUE(d.is_null(2));
  EXPECT_FALSE(d.is_shared(0));
  EXPECT_EQ(hex(write(b, 0)), hex(bytes));
  // Another version, too many types, a type listed twice, SharedVariant listed, a bad type name, a
  // truncated stream: protocol errors naming the column's type.
  expect_protocol_error(head + unhex("03 00 00 00 00 00 00 00") + types + rest, 0, "version 3");
  expect_protocol_error(head + version + unhex("02 ff 01") + rest, 0, "Dynamic type count");
  expect_protocol_error(head + version + unhex("02 02 05") + "UInt8" + unhex("05") + "UInt8" + rest, 0, "twice");
  expect_protocol_error(head + version + unhex("01 01 0d") + "SharedVariant" + rest, 0, "SharedVariant");
  expect_protocol_error(head + version + unhex("01 01 04") + "Nope" + rest, 0, "of type Dynamic");
  expect_protocol_error(bytes.substr(0, bytes.size() - 1), 0, "of type Dynamic");
}

// At R >= 54473 servers write Dynamic's structure version 2 (NativeWriter::writeData sets
// MergeTreeDynamicSerializationVersion::V2): SerializationDynamic::serializeBinaryBulkStatePrefix
// writes the version as UInt64 LE, then max_dynamic_types only for V1, then the number of types
// and their names. The same column as above, as a 26.7 server sends it to such a client.
TEST(BlockGolden, DynamicVersion2HasNoMaxTypes) {
  const std::string head = unhex("01 03 01 61 07") + "Dynamic";
  const std::string types = unhex("02 06") + "String" + unhex("05") + "UInt8";
  const std::string rest = unhex("00 00 00 00 00 00 00 00") + unhex("02 01 ff") + unhex("01 78") + unhex("00");
  const Block b = read(head + unhex("02 00 00 00 00 00 00 00") + types + rest, 0);
  ASSERT_EQ(b.rows(), 3u);
  const auto& d = b.column_as<ColumnDynamic>(0);
  EXPECT_EQ(d.variant().type()->name(), "Variant(SharedVariant, String, UInt8)");
  EXPECT_EQ(d.variant().variant_as<ColumnString>(1)[d.variant().variant_row(1)], "x");
  EXPECT_TRUE(d.is_null(2));
  // chconn writes version 1, which every server reads (SerializationVersion::checkVersion).
  EXPECT_EQ(hex(write(b, 0)), hex(head + unhex("01 00 00 00 00 00 00 00 02") + types + rest));
}

// [chDB 26.7] `SELECT toBFloat16(1.5) a, toTime('12:34:56') b, toTime64('12:34:56.789', 3) c,
// [NULL, (1, 'a')] d, toTime(-5) e, toTime64(-1.5, 2) f, toBFloat16(-0.1) g, toTime('999:59:59') h
// FORMAT Native`: BFloat16 is the upper two bytes of a Float32, Time an Int32 of seconds, Time64(p)
// an Int64 of ticks; Nullable(Tuple(...)) a null map and then the tuple's elements, as any Nullable.
TEST(BlockGolden, BFloat16TimeTime64AndNullableTuple) {
  const std::string bytes =
      unhex("08 01") + unhex("01 61 08") + "BFloat16" + unhex("c0 3f") + unhex("01 62 04") + "Time" +
      unhex("f0 b0 00 00") + unhex("01 63 09") + "Time64(3)" + unhex("95 2c b3 02 00 00 00 00") + unhex("01 64 25") +
      "Array(Nullable(Tuple(UInt8, String)))" + unhex("02 00 00 00 00 00 00 00") + unhex("01 00") + unhex("00 01") +
      unhex("00 01 61") + unhex("01 65 04") + "Time" + unhex("fb ff ff ff") + unhex("01 66 09") + "Time64(2)" +
      unhex("6a ff ff ff ff ff ff ff") + unhex("01 67 08") + "BFloat16" + unhex("cc bd") + unhex("01 68 04") + "Time" +
      unhex("7f ee 36 00");
  const Block b = read(bytes, 0);
  ASSERT_EQ(b.column_count(), 8u);
  EXPECT_EQ(b.column_as<ColumnBFloat16>(0).value(0), 1.5f);
  EXPECT_EQ(b.column_as<ColumnTime>(1).time(0), std::chrono::seconds(12 * 3600 + 34 * 60 + 56));
  EXPECT_EQ(b.column_as<ColumnTime64>(2)[0], 45296789);
  EXPECT_EQ(b.column_as<ColumnTime64>(2).precision(), 3u);
  const auto& d = b.column_as<ColumnArray>(3);
  const auto& nt = d.nested_as<ColumnNullable>();
  EXPECT_TRUE(nt.is_null(0));
  EXPECT_FALSE(nt.is_null(1));
  EXPECT_EQ(nt.nested_as<ColumnTuple>().element_as<ColumnString>(1)[1], "a");
  EXPECT_EQ(b.column_as<ColumnTime>(4)[0], -5);
  EXPECT_EQ(b.column_as<ColumnTime64>(5)[0], -150);
  EXPECT_EQ(b.column_as<ColumnBFloat16>(6).value(0), -0.099609375f);
  EXPECT_EQ(b.column_as<ColumnTime>(7)[0], 999 * 3600 + 59 * 60 + 59);
  EXPECT_EQ(hex(write(b, 0)), hex(bytes));
  // A truncated stream names the column and its type.
  expect_protocol_error(bytes.substr(0, bytes.size() - 1), 0, "Time");
  expect_protocol_error(bytes.substr(0, 14), 0, "BFloat16");  // one of its two bytes
}

// [chDB 26.7] `SELECT '{"a":1,"b":"x"}'::JSON j FORMAT Native`: the object structure prefix is
// the serialization version (UInt64 0, V1), the number of dynamic paths twice (once where V1 had
// max_dynamic_paths), the sorted paths, then each dynamic path's Dynamic prefix; the rows are
// the typed paths (none), each dynamic path's Dynamic rows, then the shared data as
// Array(Tuple(String, String)) (here no pair: one offset of 0).
TEST(BlockGolden, JsonDynamicPathsThenSharedData) {
  const std::string head = unhex("01 01 01 6a 04") + "JSON";
  const std::string version = unhex("00 00 00 00 00 00 00 00");
  const std::string paths = unhex("02 02 01 61 01 62");
  const std::string prefixes = unhex("01 00 00 00 00 00 00 00 01 01 05") + "Int64" + unhex("00 00 00 00 00 00 00 00") +
                               unhex("01 00 00 00 00 00 00 00 01 01 06") + "String" + unhex("00 00 00 00 00 00 00 00");
  const std::string rows = unhex("00 01 00 00 00 00 00 00 00") + unhex("01 01 78") + unhex("00 00 00 00 00 00 00 00");
  const std::string bytes = head + version + paths + prefixes + rows;
  const Block b = read(bytes, 0);
  ASSERT_EQ(b.rows(), 1u);
  const auto& j = b.column_as<ColumnJSON>(0);
  EXPECT_EQ(j.typed_path_count(), 0u);
  EXPECT_EQ(j.dynamic_paths(), (std::vector<std::string>{"a", "b"}));
  const auto& a = j.dynamic_column(0);
  EXPECT_EQ(a.variant().variant_as<ColumnInt64>(a.variant().discriminator(0))[0], 1);
  EXPECT_EQ(j.shared_data().size_at(0), 0u);
  EXPECT_EQ(hex(write(b, 0)), hex(bytes));
  // Another version, paths out of order or twice, a count past the limit, a truncated stream:
  // protocol errors naming the column's type.
  expect_protocol_error(head + unhex("01 00 00 00 00 00 00 00") + paths + prefixes + rows, 0, "version 1");
  expect_protocol_error(head + version + unhex("02 02 01 62 01 61") + prefixes + rows, 0, "not sorted");
  expect_protocol_error(head + version + unhex("02 02 01 61 01 61") + prefixes + rows, 0, "not sorted");
  expect_protocol_error(head + version + unhex("02 ff ff 03") + prefixes + rows, 0, "JSON dynamic path count");
  for (std::size_t cut : {bytes.size() - 1, bytes.size() - 9, head.size() + 9}) {
    expect_protocol_error(bytes.substr(0, cut), 0, "of type JSON");
  }
}

// [chDB 26.7] `SELECT '{"a":{"b":5},"z":1,"q":2,"w":3,"c":4,"k":[1]}'::JSON(max_dynamic_paths=2,
// a.b UInt32, SKIP c, SKIP REGEXP 'y.*', max_dynamic_types=3, `x y` String) j FORMAT Native`:
// typed paths in path order before the dynamic ones, and the paths beyond max_dynamic_paths in
// shared data, each value in binary form (k: 1e 23 0a = Array(Nullable(Int64)), then [1]).
TEST(BlockGolden, JsonTypedPathsAndSharedData) {
  const std::string type =
      "JSON(max_dynamic_types=3, max_dynamic_paths=2, `a.b` UInt32, `x y` String, SKIP c, SKIP REGEXP 'y.*')";
  const std::string bytes = unhex("01 01 01 6a 65") + type + unhex("00 00 00 00 00 00 00 00") +
                            unhex("02 02 01 71 01 7a") + unhex("01 00 00 00 00 00 00 00 01 01 05") + "Int64" +
                            unhex("00 00 00 00 00 00 00 00") + unhex("01 00 00 00 00 00 00 00 01 01 05") + "Int64" +
                            unhex("00 00 00 00 00 00 00 00") + unhex("05 00 00 00") + unhex("00") +
                            unhex("00 02 00 00 00 00 00 00 00") + unhex("00 01 00 00 00 00 00 00 00") +
                            unhex("02 00 00 00 00 00 00 00") + unhex("01 6b 01 77") +
                            unhex("0d 1e 23 0a 01 00 01 00 00 00 00 00 00 00 09 0a 03 00 00 00 00 00 00 00");
  const Block b = read(bytes, 0);
  const auto& j = b.column_as<ColumnJSON>(0);
  ASSERT_EQ(j.typed_path_count(), 2u);
  EXPECT_EQ(j.typed_path(0), "a.b");
  EXPECT_EQ(column_cast<ColumnUInt32>(j.typed_column(0))[0], 5u);
  EXPECT_EQ(j.typed_path(1), "x y");
  EXPECT_EQ(j.type()->max_dynamic_paths(), 2u);
  EXPECT_EQ(j.type()->max_dynamic_types(), 3u);
  EXPECT_EQ(j.dynamic_paths(), (std::vector<std::string>{"q", "z"}));
  ASSERT_EQ(j.shared_data().size_at(0), 2u);
  EXPECT_EQ(j.shared_paths()[0], "k");
  const ColumnRef k = decode_binary_value(j.shared_values()[0]);
  EXPECT_EQ(k->type()->name(), "Array(Nullable(Int64))");
  EXPECT_EQ(column_cast<ColumnArray>(*k).nested_as<ColumnNullable>().nested_as<ColumnInt64>()[0], 1);
  const ColumnRef w = decode_binary_value(j.shared_values()[1]);
  EXPECT_EQ(column_cast<ColumnInt64>(*w)[0], 3);
  EXPECT_EQ(hex(write(b, 0)), hex(bytes));
  // Shared data that repeats a dynamic path is a lying stream.
  std::string lying = bytes;
  lying.replace(lying.find(unhex("01 6b 01 77")), 4, unhex("01 71 01 77"));
  expect_protocol_error(lying, 0, "shared data holds the path 'q'");
}

// Values in binary form, each the engine's: the type in the binary type encoding, then RowBinary.
TEST(BinaryValue, TypesAndValuesAndMalformedBytes) {
  // Int64 3; String "ab"; Nullable(UInt8) NULL; Tuple(UInt8, String) (1, 'x'); Map(String, UInt8) {'k':2}.
  EXPECT_EQ(column_cast<ColumnInt64>(*decode_binary_value(unhex("0a 03 00 00 00 00 00 00 00")))[0], 3);
  EXPECT_EQ(column_cast<ColumnString>(*decode_binary_value(unhex("15 02 61 62")))[0], "ab");
  EXPECT_TRUE(column_cast<ColumnNullable>(*decode_binary_value(unhex("23 01 01"))).is_null(0));
  const ColumnRef t = decode_binary_value(unhex("1f 02 01 15 01 01 78"));
  EXPECT_EQ(t->type()->name(), "Tuple(UInt8, String)");
  const ColumnRef m = decode_binary_value(unhex("27 15 01 01 01 6b 02"));
  EXPECT_EQ(column_cast<ColumnMap>(*m).values_as<ColumnUInt8>()[0], 2);
  // DateTime64(3, 'UTC'), Decimal(9, 2), Variant(String, UInt8), LowCardinality(String) read as String.
  EXPECT_EQ(decode_binary_value(unhex("14 03 03 55 54 43 00 00 00 00 00 00 00 00"))->type()->name(),
            "DateTime64(3, 'UTC')");
  EXPECT_EQ(decode_binary_value(unhex("19 09 02 6a ff ff ff"))->type()->name(), "Decimal(9, 2)");
  EXPECT_EQ(decode_binary_value(unhex("2a 02 15 01 01 07"))->type()->name(), "Variant(String, UInt8)");
  EXPECT_EQ(decode_binary_value(unhex("26 15 01 61"))->type()->name(), "String");
  // [chDB 26.7] [{"x":1}] in the shared data of JSON(max_dynamic_paths=0): Array(JSON(version 0,
  // max_dynamic_paths 0, max_dynamic_types 16, no typed or skipped paths)), one object of one path
  // whose Dynamic value is Int64 1; the object keeps it as shared data.
  const ColumnRef objects =
      decode_binary_value(unhex("1e 30 00 00 10 00 00 00 01 01 01 78 0a 01 00 00 00 00 00 00 00"));
  // Its type names max_dynamic_paths=0, which is not the default (1024), and so does the server.
  EXPECT_EQ(objects->type()->name(), "Array(JSON(max_dynamic_types=16, max_dynamic_paths=0))");
  EXPECT_EQ(objects->type()->element(0)->max_dynamic_paths(), 0u);
  const auto& inner = column_cast<ColumnArray>(*objects).nested_as<ColumnJSON>();
  ASSERT_EQ(inner.size(), 1u);
  EXPECT_EQ(inner.shared_paths()[0], "x");
  EXPECT_EQ(column_cast<ColumnInt64>(*decode_binary_value(inner.shared_values()[0]))[0], 1);
  // A path twice, a JSON encoding version other than 0, a Dynamic outside JSON: protocol errors.
  for (const std::string& bad :
       {unhex("30 00 00 10 00 00 00 02 01 78 0a 01 00 00 00 00 00 00 00 01 78 0a 02 00 00 00 00 00 00 00"),
        unhex("30 01 00 10 00 00 00 00"), unhex("1e 2b 02 01 0a 01 00 00 00 00 00 00 00")}) {
    EXPECT_THROW(decode_binary_value(bad), Error) << hex(bad);
  }
  // Truncated, extra bytes, a lying count, an unknown type, a deep nesting, a bad Decimal: protocol errors.
  for (const std::string& bad : {unhex("0a 03 00"), unhex("15 02 61"), unhex("15 01 61 62"), unhex("1e 15 ff ff 03"),
                                 unhex("ff"), unhex("2a 02 15 01 05"), std::string(200, '\x1e') + unhex("15 00"),
                                 unhex("19 63 02 00 00 00 00"), unhex("2b 00"), std::string()}) {
    const Error e = test::thrown_error([&] { decode_binary_value(bad); });
    EXPECT_EQ(e.kind(), ErrorKind::protocol) << hex(bad) << ": " << e.what();
    EXPECT_NE(e.message().find("binary form"), std::string::npos) << e.message();
  }
  // A type in the Custom encoding (0x2c, then its name) whose name does not parse (issue 14: the
  // tail of a JSON type name, from fuzz_block) says it came from a value in binary form, as every
  // other malformed value does, with the type parser's reason.
  for (const std::string& bad :
       {unhex("2c 14") + "max_dynamic_paths=2)", unhex("2c 03") + "Foo", unhex("2c 05") + "JSON(", unhex("2c 00")}) {
    const Error e = test::thrown_error([&] { decode_binary_value(bad); });
    EXPECT_EQ(e.kind(), ErrorKind::protocol) << hex(bad) << ": " << e.what();
    EXPECT_NE(e.message().find("binary form"), std::string::npos) << e.message();
  }
  const Error custom = test::thrown_error([&] { decode_binary_value(unhex("2c 14") + "max_dynamic_paths=2)"); });
  EXPECT_NE(custom.message().find(
                "(a name in the Custom encoding) does not parse: cannot parse type name 'max_dynamic_paths=2)'"),
            std::string::npos)
      << custom.message();
}

TEST(BlockApi, AppendLookupIterate) {
  Block b;
  auto a = std::make_shared<ColumnUInt64>();
  a->append(1);
  a->append(2);
  b.append("a", a);
  auto s = std::make_shared<ColumnString>();
  s->append("x");
  EXPECT_THROW(b.append("s", s), Error);  // 1 row vs 2
  s->append("y");
  b.append("s", s);
  EXPECT_THROW(b.append("null", nullptr), Error);
  EXPECT_EQ(b.rows(), 2u);
  EXPECT_EQ(b.column_count(), 2u);
  EXPECT_EQ(b.find("s"), s);
  EXPECT_EQ(b.find("nope"), nullptr);
  const Error e = test::thrown_error([&] { b.column("nope"); });
  EXPECT_EQ(e.kind(), ErrorKind::usage);
  EXPECT_NE(e.message().find("'nope'"), std::string::npos);
  EXPECT_NE(e.message().find("a, s"), std::string::npos) << e.message();
  EXPECT_THROW(b.at(2), Error);
  EXPECT_THROW(b.column_as<ColumnString>("a"), Error);
  std::vector<std::string> names;
  for (const auto& [name, column] : b) names.push_back(name + ":" + column->type()->name());
  EXPECT_EQ(names, (std::vector<std::string>{"a:UInt64", "s:String"}));

  // Columns can grow after being added; writing checks they still agree.
  a->append(3);
  EXPECT_THROW(b.check_consistent(), Error);
  wire::Writer w;
  expect_error(ErrorKind::usage, [&] { wire::write_block(w, b, k_rev_client); });
}

TEST(BlockApi, NestedArrivesFlattened) {
  // [live] an INSERT sample block for a Nested column: n.a Array(UInt8), n.b Array(String).
  Block b;
  auto na = make_column(parse_type("Array(UInt8)"));
  auto nb = make_column(parse_type("Array(String)"));
  b.append("n.a", na);
  b.append("n.b", nb);
  const std::string bytes = write(b, k_rev_18_16);
  Block r = read(bytes, k_rev_18_16);
  EXPECT_EQ(r.name(0), "n.a");
  EXPECT_EQ(r.column(1)->type()->name(), "Array(String)");
}

TEST(BlockHostile, Limits) {
  wire::Writer w;
  w.write(unhex("01 00 02 ff ff ff ff 00").data(), 8);
  w.uvarint(1);
  w.uvarint(1ull << 40);  // rows
  expect_protocol_error(w.view(), k_rev_client, "block row count");

  wire::Writer c;
  c.write(unhex("01 00 02 ff ff ff ff 00").data(), 8);
  c.uvarint(1ull << 40);  // columns
  c.uvarint(1);
  expect_protocol_error(c.view(), k_rev_client, "block column count");

  wire::DecodeLimits limits;
  limits.max_block_rows = 10;
  wire::Writer r;
  r.write(unhex("01 00 02 ff ff ff ff 00").data(), 8);
  r.uvarint(1);
  r.uvarint(11);
  expect_protocol_error(r.view(), k_rev_client, "block row count", limits);
}

std::string one_column_block(std::string_view type_name, std::string_view data, std::uint64_t rows = 1) {
  wire::Writer w;
  w.write(unhex("01 00 02 ff ff ff ff 00").data(), 8);
  w.uvarint(1);
  w.uvarint(rows);
  w.string("c");
  w.string(type_name);
  w.u8(0);
  w.write(data.data(), data.size());
  return std::string(w.view());
}

TEST(BlockHostile, BadTypeNames) {
  expect_protocol_error(one_column_block("Foo", "\x01"), k_rev_client, "unknown type 'Foo'");
  expect_protocol_error(one_column_block("AggregateFunction(sum, UInt64)", "\x01"), k_rev_client, "not supported");
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "Array(";
  deep += "UInt8";
  for (int i = 0; i < 10000; ++i) deep += ")";
  expect_protocol_error(one_column_block(deep, "\x01"), k_rev_client, "column type name length");
  wire::DecodeLimits limits;
  limits.max_type_name_bytes = 1 << 20;
  expect_protocol_error(one_column_block(deep, "\x01"), k_rev_client, "nested deeper", limits);
}

TEST(BlockHostile, ColumnErrorsNameTheColumn) {
  wire::Writer len;
  len.uvarint(1ull << 60);
  expect_protocol_error(one_column_block("String", len.view()), k_rev_client, "column 'c' of type String");
  std::string offsets(16, '\0');
  offsets[0] = 2;
  offsets[8] = 1;  // decreasing
  expect_protocol_error(one_column_block("Array(UInt8)", offsets, 2), k_rev_client, "Array offsets decrease");
}

// A block with many kinds of columns, as a server might send.
Block rich_block(std::size_t rows, std::uint64_t seed = 1234) {
  Block b;
  test::ValueGenerator gen(seed);
  for (const char* type : {"UInt64", "Nullable(String)", "Array(Array(Nullable(String)))",
                           "Map(String, Array(LowCardinality(Nullable(String))))", "LowCardinality(String)",
                           "Tuple(a Array(UInt32), b Array(Nullable(String)))", "Decimal(38, 4)", "Nullable(Nothing)",
                           "FixedString(3)", "Enum8('x' = 1, 'y' = 2)", "UUID", "DateTime64(6, 'UTC')"}) {
    auto c = make_column(parse_type(type));
    gen.fill(*c, rows);
    b.append(std::string("col_") + type, c);
  }
  return b;
}

TEST(BlockRoundTrip, RichBlockEveryChunkSize) {
  for (const std::uint64_t revision : {k_rev_18_16, k_rev_client}) {
    for (const std::size_t rows : {0u, 1u, 25u}) {
      const Block b = rich_block(rows);
      const std::string bytes = write(b, revision);
      for (auto chunk : test::k_chunk_sizes) {
        Block r = read(bytes, revision, chunk);
        ASSERT_EQ(r.column_count(), b.column_count());
        ASSERT_EQ(r.rows(), rows);
        for (std::size_t i = 0; i < b.column_count(); ++i) {
          EXPECT_EQ(r.name(i), b.name(i));
          EXPECT_EQ(r.column(i)->type()->name(), b.column(i)->type()->name());
          EXPECT_EQ(repr(*r.column(i)), repr(*b.column(i))) << b.name(i);
        }
        EXPECT_EQ(write(r, revision), bytes);
      }
    }
  }
}

TEST(BlockRoundTrip, ZeroRowsWriteNoData) {
  // A header carries no column data at all, not even LowCardinality prefixes.
  Block b;
  b.append("lc", make_column(parse_type("LowCardinality(String)")));
  EXPECT_EQ(hex(write(b, k_rev_client)),
            hex(unhex("01 00 02 ff ff ff ff 00 01 00 02 6c 63 16") + "LowCardinality(String)" + unhex("00")));
}

// Decoding into a spare block's columns gives exactly what a fresh decode gives, for blocks of
// different sizes and values in turn (LowCardinality dictionaries, nested offsets and Nullable maps
// all start over), and really reuses the column objects.
TEST(BlockRecycle, DecodesIntoUnsharedColumnsLikeAFreshDecode) {
  for (const std::uint64_t revision : {k_rev_18_16, k_rev_client}) {
    for (const std::size_t chunk : {std::size_t{1}, SIZE_MAX}) {
      Block spare;
      std::uint64_t seed = 7;
      for (const std::size_t rows : {25u, 3u, 0u, 40u, 1u, 25u}) {
        const Block source = rich_block(rows, ++seed);
        const std::string bytes = write(source, revision);
        std::vector<const Column*> before;
        for (std::size_t i = 0; i < spare.column_count(); ++i) before.push_back(spare.column(i).get());

        wire::MemorySource src(bytes, chunk);
        wire::Reader in(src);
        Block r = wire::read_block(in, revision, &spare);
        EXPECT_TRUE(in.at_end());
        EXPECT_TRUE(spare.empty()) << "the spare block's entries are taken";
        const Block fresh = read(bytes, revision, chunk);
        ASSERT_EQ(r.column_count(), source.column_count());
        ASSERT_EQ(r.rows(), rows);
        for (std::size_t i = 0; i < r.column_count(); ++i) {
          EXPECT_EQ(r.name(i), source.name(i));
          EXPECT_EQ(repr(*r.column(i)), repr(*fresh.column(i))) << source.name(i) << " rows " << rows;
          EXPECT_EQ(repr(*r.column(i)), repr(*source.column(i))) << source.name(i) << " rows " << rows;
          if (!before.empty()) {
            EXPECT_EQ(r.column(i).get(), before[i]) << source.name(i) << ": not reused";
          }
        }
        EXPECT_EQ(write(r, revision), bytes);
        spare = std::move(r);
      }
    }
  }
}

TEST(BlockRecycle, NeverReusesAColumnSomeoneStillHolds) {
  const std::string first = write(rich_block(10, 1), k_rev_client);
  const std::string second = write(rich_block(12, 2), k_rev_client);
  Block spare = read(first, k_rev_client);
  const Block kept_block = spare;  // a copy shares every column
  Block partly = read(first, k_rev_client);
  const ColumnRef kept_column = partly.column(4);  // one column kept by itself
  const std::string kept_repr = repr(*kept_column);
  std::vector<std::string> kept_reprs;
  for (std::size_t i = 0; i < kept_block.column_count(); ++i) kept_reprs.push_back(repr(*kept_block.column(i)));

  wire::MemorySource src(second, SIZE_MAX);
  wire::Reader in(src);
  const Block r = wire::read_block(in, k_rev_client, &spare);
  for (std::size_t i = 0; i < r.column_count(); ++i) {
    EXPECT_NE(r.column(i).get(), kept_block.column(i).get()) << r.name(i);
    EXPECT_EQ(repr(*kept_block.column(i)), kept_reprs[i]) << r.name(i) << " was overwritten";
  }

  wire::MemorySource src2(second, SIZE_MAX);
  wire::Reader in2(src2);
  const Column* const fifth = partly.column(5).get();
  const Block r2 = wire::read_block(in2, k_rev_client, &partly);
  EXPECT_NE(r2.column(4).get(), kept_column.get());
  EXPECT_EQ(repr(*kept_column), kept_repr);
  EXPECT_EQ(r2.column(5).get(), fifth) << "the columns nobody kept are still reused";
}

TEST(BlockRecycle, AColumnOfAnotherTypeIsNotReused) {
  Block spare;
  spare.append("a", make_column(parse_type("UInt64")));
  spare.append("b", make_column(parse_type("Nullable(String)")));
  const Column* const b_before = spare.column(1).get();
  Block source;
  test::ValueGenerator gen(5);
  for (const char* type : {"String", "Nullable(String)", "UInt8"}) {
    auto c = make_column(parse_type(type));
    gen.fill(*c, 4);
    source.append(type, c);
  }
  const std::string bytes = write(source, k_rev_client);
  wire::MemorySource src(bytes, SIZE_MAX);
  wire::Reader in(src);
  const Block r = wire::read_block(in, k_rev_client, &spare);
  ASSERT_EQ(r.column_count(), 3u);
  EXPECT_EQ(r.column(0)->type()->name(), "String");
  EXPECT_EQ(r.column(1).get(), b_before);
  EXPECT_EQ(r.column(2)->type()->name(), "UInt8");
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(repr(*r.column(i)), repr(*source.column(i)));
}

TEST(BlockHostile, TruncatedAtEveryByte) {
  for (const std::uint64_t revision : {k_rev_18_16, k_rev_client}) {
    const std::string bytes = write(rich_block(6), revision);
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
      for (std::size_t chunk : {std::size_t{1}, SIZE_MAX}) {
        wire::MemorySource src(std::string_view(bytes).substr(0, cut), chunk);
        wire::Reader in(src);
        const Error e = test::thrown_error([&] { wire::read_block(in, revision); });
        ASSERT_EQ(e.kind(), ErrorKind::protocol) << e.what();
      }
    }
  }
}

}  // namespace
}  // namespace chconn
