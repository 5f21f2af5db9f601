// Columns: golden bytes from docs/protocol.md, "Column encodings" ([live] examples and the layouts
// of types only modern servers have), round trips of every type at every chunk size, builders, and
// hostile input (each a protocol Error, no crash, no huge allocation).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <string>

#include "columns_test_util.h"
#include "support/expect_error.h"
#include "support/process_probes.h"  // CHCONN_TEST_ASAN

// ---- Largest single allocation, to prove that lying counts cost no memory up front ----------------
// (Replacing operator new conflicts with AddressSanitizer's own; the check is skipped there.)

namespace {

using chconn::test::expect_error;
std::atomic<std::size_t> g_max_allocation{0};
}  // namespace

#ifndef CHCONN_TEST_ASAN
// g++ sees free() paired with operator new once these are inlined; they are a matched pair here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  std::size_t prev = g_max_allocation.load(std::memory_order_relaxed);
  while (n > prev && !g_max_allocation.compare_exchange_weak(prev, n, std::memory_order_relaxed)) {
  }
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

namespace chconn {
namespace {

using test::decode;
using test::encode;
using test::expect_protocol_error;
using test::hex;
using test::k_chunk_sizes;
using test::repr;
using test::unhex;

// ===== Golden bytes: [live] examples of docs/protocol.md ========================================

TEST(ColumnsGolden, NullableUInt16KeepsNestedValueAtNull) {
  // [live] [10, NULL, 30] as Nullable(UInt16): null map first, then all nested values (the server
  // left 20 under the NULL).
  const std::string bytes = unhex("00 01 00 0a 00 14 00 1e 00");
  for (auto chunk : k_chunk_sizes) {
    auto c = decode(parse_type("Nullable(UInt16)"), bytes, 3, chunk);
    const auto& n = column_cast<ColumnNullable>(*c);
    EXPECT_FALSE(n.is_null(0));
    EXPECT_TRUE(n.is_null(1));
    EXPECT_FALSE(n.is_null(2));
    EXPECT_EQ(n.nested_as<ColumnUInt16>()[0], 10);
    EXPECT_EQ(n.nested_as<ColumnUInt16>()[2], 30);
    EXPECT_EQ(encode(*c), bytes);
  }
  // Built with the builder, NULL rows carry the default value.
  ColumnNullable built(std::make_shared<ColumnUInt16>());
  built.nested_as<ColumnUInt16>().append(10);
  built.append_not_null();
  built.append_null();
  built.nested_as<ColumnUInt16>().append(30);
  built.append_not_null();
  EXPECT_EQ(hex(encode(built)), "00 01 00 0a 00 00 00 1e 00");
  EXPECT_EQ(built.type()->name(), "Nullable(UInt16)");
}

TEST(ColumnsGolden, Uuid) {
  const std::string bytes = unhex("77 66 55 44 33 22 11 00 ff ee dd cc bb aa 99 88");
  ColumnUUID c;
  c.append(*UUID::parse("00112233-4455-6677-8899-aabbccddeeff"));
  EXPECT_EQ(encode(c), bytes);
  auto d = decode(type_of<UUID>(), bytes, 1);
  EXPECT_EQ(to_string(column_cast<ColumnUUID>(*d)[0]), "00112233-4455-6677-8899-aabbccddeeff");
}

TEST(ColumnsGolden, DateAndDateTime) {
  using namespace std::chrono;
  ColumnDate date;
  date.append(sys_days(year(2020) / January / 2));
  EXPECT_EQ(hex(encode(date)), "57 47");  // 18263
  EXPECT_EQ(date[0], 18263);
  EXPECT_EQ(date.date(0), sys_days(year(2020) / January / 2));

  ColumnDateTime dt("UTC");
  dt.append(sys_days(year(2020) / January / 2) + hours(3) + minutes(4) + seconds(5));
  EXPECT_EQ(hex(encode(dt)), "a5 5d 0d 5e");
  EXPECT_EQ(dt.type()->name(), "DateTime('UTC')");
  EXPECT_EQ(dt.time_zone(), "UTC");
  auto d = decode(parse_type("DateTime('Asia/Tokyo')"), unhex("a5 5d 0d 5e"), 1);
  EXPECT_EQ(column_cast<ColumnDateTime>(*d).time(0).time_since_epoch().count(), 1577934245);
  EXPECT_EQ(column_cast<ColumnDateTime>(*d).time_zone(), "Asia/Tokyo");

  EXPECT_THROW(date.append(sys_days(year(1969) / December / 31)), Error);
  EXPECT_THROW(dt.append(sys_seconds(seconds(-1))), Error);
}

TEST(ColumnsGolden, Decimal32) {
  ColumnDecimal32 c(9, 2);
  c.append(-150);  // toDecimal32(-1.5, 2)
  EXPECT_EQ(hex(encode(c)), "6a ff ff ff");
  EXPECT_EQ(c.to_string(0), "-1.50");
  auto d = decode(parse_type("Decimal(9, 2)"), unhex("6a ff ff ff"), 1);
  EXPECT_EQ(column_cast<ColumnDecimal32>(*d)[0], -150);
  EXPECT_EQ(column_cast<ColumnDecimal32>(*d).scale(), 2u);
}

TEST(ColumnsGolden, TupleUInt8String) {
  const std::string bytes = unhex("01 02 03 01 31 01 32 01 33");
  ColumnTuple t({std::make_shared<ColumnUInt8>(), std::make_shared<ColumnString>()});
  for (int i = 1; i <= 3; ++i) {
    t.element_as<ColumnUInt8>(0).append(static_cast<std::uint8_t>(i));
    t.element_as<ColumnString>(1).append(std::to_string(i));
  }
  EXPECT_EQ(t.type()->name(), "Tuple(UInt8, String)");
  EXPECT_EQ(encode(t), bytes);
  for (auto chunk : k_chunk_sizes) EXPECT_EQ(repr(*decode(t.type(), bytes, 3, chunk)), repr(t));
}

TEST(ColumnsGolden, FixedString) {
  ColumnFixedString c(4);
  c.append("ab");
  EXPECT_EQ(hex(encode(c)), "61 62 00 00");
  EXPECT_EQ(c[0], std::string_view("ab\0\0", 4));
  EXPECT_THROW(c.append("abcde"), Error);
}

TEST(ColumnsGolden, NothingAndNullableNothing) {
  // [live] SELECT NULL: Nullable(Nothing) = null map 01, then '0' (0x30) per row.
  auto d = decode(parse_type("Nullable(Nothing)"), unhex("01 30"), 1);
  EXPECT_TRUE(column_cast<ColumnNullable>(*d).is_null(0));
  EXPECT_EQ(hex(encode(*d)), "01 30");
  ColumnNothing n;
  n.append_default();
  n.append_default();
  EXPECT_EQ(hex(encode(n)), "30 30");
  // Content is ignored when reading.
  EXPECT_EQ(decode(parse_type("Nothing"), unhex("00 ff 30"), 3)->size(), 3u);
}

TEST(ColumnsGolden, NestedArrays) {
  // Array(Array(UInt8)) rows [[1], [2, 3]] and []: outer offsets, inner offsets, data.
  const std::string bytes = unhex(
      "02 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00 | 01 00 00 00 00 00 00 00 "
      "03 00 00 00 00 00 00 00 | 01 02 03");
  ColumnArray outer(parse_type("Array(Array(UInt8))"));
  auto& inner = outer.nested_as<ColumnArray>();
  auto& data = inner.nested_as<ColumnUInt8>();
  data.append(1);
  inner.finish_row();
  data.append(2);
  data.append(3);
  inner.finish_row();
  outer.finish_row();
  outer.finish_row();
  EXPECT_EQ(encode(outer), bytes);
  for (auto chunk : k_chunk_sizes) {
    auto d = decode(outer.type(), bytes, 2, chunk);
    EXPECT_EQ(repr(*d), "[[01,],[02,03,],]\n[]\n");
  }
}

// LowCardinality byte helpers.
std::string u64(std::uint64_t v) {
  std::string s(8, '\0');
  std::memcpy(s.data(), &v, 8);
  return s;
}
std::string str(std::string_view v) { return std::string(1, static_cast<char>(v.size())) + std::string(v); }

TEST(ColumnsGolden, LowCardinalityString) {
  // [live] LC(String) rows ["0","1","2","0"] -> dict ["", "0", "1", "2"], indexes [1,2,3,1].
  const std::string body_tail = u64(4) + str("") + str("0") + str("1") + str("2") + u64(4) + unhex("01 02 03 01");
  const std::string server = u64(1) + u64(0x600) + body_tail;
  for (auto chunk : k_chunk_sizes) {
    auto d = decode(parse_type("LowCardinality(String)"), server, 4, chunk);
    const auto& lc = column_cast<ColumnLowCardinality>(*d);
    EXPECT_EQ(lc.value<ColumnString>(0), "0");
    EXPECT_EQ(lc.value<ColumnString>(3), "0");
    EXPECT_EQ(lc.dictionary().size(), 4u);
    // Re-encoded as a client sends it: HasAdditionalKeys only (0x200), same dictionary.
    EXPECT_EQ(hex(encode(*d)), hex(u64(1) + u64(0x200) + body_tail));
  }
  // The builder produces the server's dictionary exactly.
  ColumnLowCardinality b(parse_type("LowCardinality(String)"));
  for (auto v : {"0", "1", "2", "0"}) b.append(v);
  EXPECT_EQ(hex(encode(b)), hex(u64(1) + u64(0x200) + body_tail));
  const auto m = b.materialize();
  EXPECT_EQ(m->type()->name(), "String");
  EXPECT_EQ(repr(*m), "'0'\n'1'\n'2'\n'0'\n");
}

TEST(ColumnsGolden, LowCardinalityNullableString) {
  // [live] LC(Nullable(String)) ["0",NULL,"2","3"] -> dict ["", "", "0","2","3"], indexes [2,0,3,4].
  const std::string body_tail =
      u64(5) + str("") + str("") + str("0") + str("2") + str("3") + u64(4) + unhex("02 00 03 04");
  const std::string server = u64(1) + u64(0x600) + body_tail;
  for (auto chunk : k_chunk_sizes) {
    auto d = decode(parse_type("LowCardinality(Nullable(String))"), server, 4, chunk);
    const auto& lc = column_cast<ColumnLowCardinality>(*d);
    EXPECT_TRUE(lc.nullable());
    EXPECT_FALSE(lc.is_null(0));
    EXPECT_TRUE(lc.is_null(1));
    EXPECT_EQ(lc.value<ColumnString>(2), "2");
    EXPECT_EQ(repr(*d), "'0'\nNULL\n'2'\n'3'\n");
  }
  ColumnLowCardinality b(parse_type("LowCardinality(Nullable(String))"));
  b.append("0");
  b.append_null();
  b.append("2");
  b.append("3");
  EXPECT_EQ(hex(encode(b)), hex(u64(1) + u64(0x200) + body_tail));
  const auto m = b.materialize();
  EXPECT_EQ(m->type()->name(), "Nullable(String)");
  EXPECT_EQ(repr(*m), "'0'\nNULL\n'2'\n'3'\n");
  // "" is the default entry (1), not NULL (0).
  b.append("");
  EXPECT_EQ(b.index(4), 1u);
  b.append_default();
  EXPECT_TRUE(b.is_null(5));
}

TEST(ColumnsGolden, ArrayOfLowCardinalityPrefixFirst) {
  // [live] order: key version, then offsets, then the LC body.
  const std::string bytes =
      u64(1) + u64(1) + u64(3) + u64(0x200) + u64(3) + str("") + str("a") + str("b") + u64(3) + unhex("01 01 02");
  ColumnArray a(parse_type("Array(LowCardinality(String))"));
  auto& lc = a.nested_as<ColumnLowCardinality>();
  lc.append("a");
  a.finish_row();
  lc.append("a");
  lc.append("b");
  a.finish_row();
  EXPECT_EQ(hex(encode(a)), hex(bytes));
  for (auto chunk : k_chunk_sizes) EXPECT_EQ(repr(*decode(a.type(), bytes, 2, chunk)), "['a',]\n['a','b',]\n");
  // All arrays empty: the prefix is still written, the LC body is not.
  ColumnArray empty(parse_type("Array(LowCardinality(String))"));
  empty.append_default();
  EXPECT_EQ(hex(encode(empty)), hex(u64(1) + u64(0)));
  EXPECT_EQ(decode(empty.type(), u64(1) + u64(0), 1)->size(), 1u);
}

TEST(ColumnsGolden, TupleOfTwoLowCardinalitiesPrefixesFirst) {
  // [live] order: version, version, body 1, body 2.
  const std::string bytes = u64(1) + u64(1) +                                                                //
                            u64(0x200) + u64(3) + str("") + str("x") + str("y") + u64(2) + unhex("01 02") +  //
                            u64(0x200) + u64(3) + str("") + str("") + str("z") + u64(2) + unhex("00 02");
  ColumnTuple t(parse_type("Tuple(LowCardinality(String), LowCardinality(Nullable(String)))"));
  t.element_as<ColumnLowCardinality>(0).append("x");
  t.element_as<ColumnLowCardinality>(1).append_null();
  t.element_as<ColumnLowCardinality>(0).append("y");
  t.element_as<ColumnLowCardinality>(1).append("z");
  EXPECT_EQ(hex(encode(t)), hex(bytes));
  for (auto chunk : k_chunk_sizes) EXPECT_EQ(repr(*decode(t.type(), bytes, 2, chunk)), "('x',NULL,)\n('y','z',)\n");
}

TEST(ColumnsGolden, LowCardinalityIndexWidths) {
  // Width follows the dictionary size: UInt8 up to 256 entries, then UInt16, then UInt32.
  for (const std::size_t distinct : {255u, 256u, 300u, 70000u}) {
    ColumnLowCardinality lc(parse_type("LowCardinality(UInt32)"));
    for (std::uint32_t i = 0; i < distinct; ++i) lc.append_value(i + 1);
    lc.append_value(std::uint32_t{7});
    const std::string bytes = encode(lc);
    const std::size_t dict = distinct + 1;  // + the default entry 0
    const std::uint64_t width = dict <= 256 ? 0 : dict <= 65536 ? 1 : 2;
    EXPECT_EQ(bytes.substr(8, 8), u64(0x200 | width)) << distinct;
    auto d = decode(lc.type(), bytes, lc.size());
    EXPECT_EQ(repr(*d), repr(lc));
  }
  // UInt64 indexes (width 3) are accepted from the wire.
  const std::string wide = u64(1) + u64(0x603) + u64(2) + unhex("00 00 00 00 07 00 00 00") + u64(2) + u64(1) + u64(0);
  auto d = decode(parse_type("LowCardinality(UInt32)"), wide, 2);
  EXPECT_EQ(column_cast<ColumnLowCardinality>(*d).value<ColumnUInt32>(0), 7u);
  EXPECT_EQ(column_cast<ColumnLowCardinality>(*d).value<ColumnUInt32>(1), 0u);
}

// ===== Golden layouts of types only modern servers have ============================================

TEST(ColumnsLayout, WideIntegers) {
  ColumnInt128 i128;
  i128.append(-1);
  EXPECT_EQ(hex(encode(i128)), hex(std::string(16, '\xff')));
  ColumnUInt128 u128;
  u128.append(static_cast<UInt128>(1) << 64);
  EXPECT_EQ(hex(encode(u128)), hex(unhex("00 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00")));
  ColumnUInt256 u256;
  u256.append(UInt256::from(1));
  EXPECT_EQ(hex(encode(u256)), hex(std::string(1, '\x01') + std::string(31, '\0')));
  ColumnInt256 i256;
  i256.append(Int256::from(-2));
  EXPECT_EQ(hex(encode(i256)), hex(std::string(1, '\xfe') + std::string(31, '\xff')));
  auto d = decode(type_of<Int256>(), encode(i256), 1);
  EXPECT_EQ(to_string(column_cast<ColumnInt256>(*d)[0]), "-2");
}

TEST(ColumnsLayout, BoolDate32DateTime64) {
  ColumnBool b;
  b.append(true);
  b.append(false);
  b.append(true);
  EXPECT_EQ(hex(encode(b)), "01 00 01");
  // Any non-zero byte from the wire reads as true (and is stored safely as a byte).
  auto d = decode(type_of<bool>(), unhex("02 00 ff"), 3);
  EXPECT_TRUE(column_cast<ColumnBool>(*d)[0]);
  EXPECT_FALSE(column_cast<ColumnBool>(*d)[1]);
  EXPECT_TRUE(column_cast<ColumnBool>(*d).at(2));

  ColumnDate32 d32;
  d32.append(std::chrono::sys_days(std::chrono::year(1969) / std::chrono::December / 31));
  EXPECT_EQ(hex(encode(d32)), "ff ff ff ff");

  ColumnDateTime64 dt64(3, "UTC");
  dt64.append(1577934245123);
  EXPECT_EQ(hex(encode(dt64)), "03 cd 35 64 6f 01 00 00");
  EXPECT_EQ(dt64.type()->name(), "DateTime64(3, 'UTC')");
  EXPECT_EQ(dt64.precision(), 3u);
}

TEST(ColumnsLayout, IpAddresses) {
  ColumnIPv4 v4;
  v4.append(0x01020304);
  EXPECT_EQ(hex(encode(v4)), "04 03 02 01");
  ColumnIPv6 v6;
  IPv6 loopback;
  loopback.bytes[15] = 1;
  v6.append(loopback);
  EXPECT_EQ(hex(encode(v6)), hex(std::string(15, '\0') + "\x01"));
}

TEST(ColumnsLayout, Map) {
  // Map(String, UInt8) [{"a":1,"b":2}, {}]: offsets, all keys, all values.
  ColumnMap m(std::make_shared<ColumnString>(), std::make_shared<ColumnUInt8>());
  EXPECT_EQ(m.type()->name(), "Map(String, UInt8)");
  m.keys_as<ColumnString>().append("a");
  m.values_as<ColumnUInt8>().append(1);
  m.keys_as<ColumnString>().append("b");
  m.values_as<ColumnUInt8>().append(2);
  m.finish_row();
  m.finish_row();
  const std::string bytes = u64(2) + u64(2) + str("a") + str("b") + unhex("01 02");
  EXPECT_EQ(hex(encode(m)), hex(bytes));
  for (auto chunk : k_chunk_sizes) EXPECT_EQ(repr(*decode(m.type(), bytes, 2, chunk)), repr(m));
  EXPECT_EQ(m.range(0).size(), 2u);
  EXPECT_EQ(m.range(1).size(), 0u);
  m.keys_as<ColumnString>().append("orphan");
  EXPECT_THROW(m.finish_row(), Error);
}

TEST(ColumnsLayout, Decimal128And256) {
  ColumnDecimal128 d128(20, 2);
  d128.append(-1);
  EXPECT_EQ(hex(encode(d128)), hex(std::string(16, '\xff')));
  EXPECT_EQ(d128.to_string(0), "-0.01");
  ColumnDecimal256 d256(40, 0);
  d256.append(Int256::from(1));
  EXPECT_EQ(hex(encode(d256)), hex(std::string(1, '\x01') + std::string(31, '\0')));
  EXPECT_EQ(d256.to_string(0), "1");
  EXPECT_THROW(ColumnDecimal32(parse_type("Decimal(18, 2)")), Error);  // wrong width
}

TEST(ColumnsLayout, Enums) {
  ColumnEnum8 e({{"a", 1}, {"b", -2}});
  EXPECT_EQ(e.type()->name(), "Enum8('b' = -2, 'a' = 1)");
  e.append_name("a");
  e.append_name("b");
  e.append(5);  // no name
  EXPECT_EQ(hex(encode(e)), "01 fe 05");
  ASSERT_NE(e.name_at(0), nullptr);
  EXPECT_EQ(*e.name_at(1), "b");
  EXPECT_EQ(e.name_at(2), nullptr);
  EXPECT_THROW(e.append_name("zzz"), Error);
  ColumnEnum16 e16(parse_type("Enum16('x' = 1000)"));
  e16.append_name("x");
  EXPECT_EQ(hex(encode(e16)), "e8 03");
}

// ===== Round trips of every type ===================================================================

const char* const k_all_types[] = {
    "UInt8",
    "UInt16",
    "UInt32",
    "UInt64",
    "UInt128",
    "UInt256",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "Int128",
    "Int256",
    "Float32",
    "Float64",
    "Bool",
    "String",
    "FixedString(5)",
    "Date",
    "Date32",
    "DateTime",
    "DateTime('Asia/Tokyo')",
    "DateTime64(3)",
    "DateTime64(9, 'UTC')",
    "UUID",
    "IPv4",
    "IPv6",
    "Decimal(9, 2)",
    "Decimal(18, 4)",
    "Decimal(38, 10)",
    "Decimal(76, 20)",
    "Enum8('a' = -1, 'b' = 2)",
    "Enum16('x' = 1000, 'y' = -1000)",
    "Nothing",
    "Nullable(Nothing)",
    "Nullable(String)",
    "Nullable(UInt64)",
    "Nullable(FixedString(3))",
    "Nullable(Decimal(9, 2))",
    "Nullable(UUID)",
    "Array(UInt64)",
    "Array(String)",
    "Array(Nothing)",
    "Array(Nullable(Nothing))",
    "Array(Array(Nullable(String)))",
    "Array(Array(Array(UInt8)))",
    "Array(Nullable(Enum8('a' = 1)))",
    "Array(IPv6)",
    "Tuple(UInt8, String)",
    "Tuple(a UInt8, b Array(String))",
    "Tuple()",
    "Array(Tuple())",
    "Tuple(Int128, UInt256, Nullable(Int256))",
    "Tuple(a Array(UInt32), b Array(Nullable(String)))",
    "Nested(a UInt8, b String)",
    "Array(Nested(x Array(LowCardinality(String)), y Nullable(Float64)))",
    "Map(String, UInt64)",
    "Map(String, Array(LowCardinality(Nullable(String))))",
    "Map(UInt8, Map(String, Nullable(Int32)))",
    "LowCardinality(String)",
    "LowCardinality(Nullable(String))",
    "LowCardinality(FixedString(4))",
    "LowCardinality(UInt32)",
    "LowCardinality(Nullable(UInt64))",
    "LowCardinality(Nullable(UUID))",
    "LowCardinality(Date)",
    "LowCardinality(Int256)",
    "Array(LowCardinality(String))",
    "Tuple(LowCardinality(String), LowCardinality(Nullable(String)))",
    "Array(Array(LowCardinality(Nullable(String))))",
    "Variant(String, UInt64)",
    "Variant(Array(Nullable(String)), LowCardinality(String), Map(String, UInt8), Tuple(a Int8, b String))",
    "Array(Variant(Date, Float64, UUID))",
    "SimpleAggregateFunction(sum, UInt64)",
    "SimpleAggregateFunction(groupUniqArrayArray, Array(String))",
    "Point",
    "MultiPolygon",
    "IntervalSecond",
};

TEST(ColumnsRoundTrip, EveryTypeEveryChunkSize) {
  for (const char* name : k_all_types) {
    SCOPED_TRACE(name);
    const TypeRef type = parse_type(name);
    for (const std::size_t rows : {0u, 1u, 37u}) {
      auto col = make_column(type);
      EXPECT_EQ(col->type()->name(), type->name());
      test::ValueGenerator gen(static_cast<std::uint32_t>(rows) + 7);
      gen.fill(*col, rows);
      ASSERT_EQ(col->size(), rows);
      const std::string bytes = encode(*col);
      for (auto chunk : k_chunk_sizes) {
        auto d = decode(type, bytes, rows, chunk);
        ASSERT_EQ(d->size(), rows);
        EXPECT_EQ(encode(*d), bytes) << "chunk " << chunk;
        EXPECT_EQ(repr(*d), repr(*col));
      }
    }
  }
}

TEST(ColumnsRoundTrip, DecodingAppendsToExistingRows) {
  // Two bodies decoded into the same column equal the two columns appended (LowCardinality merges
  // the second dictionary into the first).
  for (const char* name : k_all_types) {
    SCOPED_TRACE(name);
    const TypeRef type = parse_type(name);
    auto a = make_column(type);
    auto b = make_column(type);
    test::ValueGenerator gen(3);
    gen.fill(*a, 20);
    gen.fill(*b, 15);
    for (auto chunk : {std::size_t{1}, SIZE_MAX}) {
      auto target = make_column(type);
      for (const auto* part : {a.get(), b.get()}) {
        const std::string bytes = encode(*part);
        wire::MemorySource src(bytes, chunk);
        wire::Reader in(src);
        target->load_prefix(in);
        target->load_body(in, part->size());
        EXPECT_TRUE(in.at_end());
      }
      auto expected = a->clone();
      expected->append_range(*b, 0, b->size());
      EXPECT_EQ(repr(*target), repr(*expected));
      EXPECT_EQ(repr(*expected), repr(*a) + repr(*b));
      // And the merged column still encodes/decodes to the same values.
      EXPECT_EQ(repr(*decode(type, encode(*target), target->size())), repr(*expected));
    }
  }
}

TEST(ColumnsRoundTrip, SliceAndAppendRange) {
  for (const char* name : k_all_types) {
    SCOPED_TRACE(name);
    auto col = make_column(parse_type(name));
    test::ValueGenerator gen(11);
    gen.fill(*col, 30);
    std::string expected;
    for (std::size_t i = 5; i < 17; ++i) expected += repr(*col, i) + "\n";
    auto s = col->slice(5, 12);
    EXPECT_EQ(s->size(), 12u);
    EXPECT_EQ(repr(*s), expected);
    // Row by row, and from the column onto itself.
    auto r = col->clone_empty();
    for (std::size_t i = 5; i < 17; ++i) r->append_from(*col, i);
    EXPECT_EQ(repr(*r), expected);
    auto self = col->slice(0, 10);
    self->append_range(*self, 2, 5);
    std::string self_expected;
    for (std::size_t i = 0; i < 10; ++i) self_expected += repr(*col, i) + "\n";
    for (std::size_t i = 2; i < 7; ++i) self_expected += repr(*col, i) + "\n";
    EXPECT_EQ(repr(*self), self_expected);
    EXPECT_THROW(col->slice(25, 10), Error);
  }
}

TEST(ColumnsRoundTrip, DefaultsAndClear) {
  for (const char* name : k_all_types) {
    SCOPED_TRACE(name);
    auto col = make_column(parse_type(name));
    col->append_default();
    col->append_default();
    EXPECT_EQ(col->size(), 2u);
    EXPECT_EQ(repr(*decode(col->type(), encode(*col), 2)), repr(*col));
    col->truncate(1);
    EXPECT_EQ(col->size(), 1u);
    col->clear();
    EXPECT_EQ(col->size(), 0u);
    EXPECT_EQ(decode(col->type(), encode(*col), 0)->size(), 0u);
  }
}

// ===== Builders and typed access ===================================================================

TEST(ColumnsApi, VectorAndString) {
  ColumnUInt64 u;
  for (std::uint64_t i = 0; i < 5; ++i) u.append(i * 10);
  EXPECT_EQ(u.size(), 5u);
  EXPECT_EQ(u[3], 30u);
  EXPECT_EQ(u.data().size(), 5u);
  EXPECT_THROW(u.at(5), Error);
  EXPECT_EQ(u.type()->name(), "UInt64");

  ColumnString s;
  s.append("hello");
  s.append("");
  s.append(std::string(1000, 'x'));
  EXPECT_EQ(s[0], "hello");
  EXPECT_EQ(s[1], "");
  EXPECT_EQ(s.at(2).size(), 1000u);
  EXPECT_EQ(s.chars().size(), 1005u);
  EXPECT_THROW(s.at(3), Error);
  // Multi-byte length prefix.
  const std::string bytes = encode(s);
  EXPECT_EQ(hex(bytes.substr(0, 8)), "05 68 65 6c 6c 6f 00 e8");
}

TEST(ColumnsApi, ArrayBuilder) {
  ColumnArray a(std::make_shared<ColumnString>());
  EXPECT_EQ(a.type()->name(), "Array(String)");
  a.nested_as<ColumnString>().append("x");
  a.nested_as<ColumnString>().append("y");
  a.finish_row();
  a.append_default();
  ColumnString more;
  more.append("z");
  a.append_elements(more);
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(a.range(0).size(), 2u);
  EXPECT_EQ(a.size_at(1), 0u);
  EXPECT_EQ(a.range(2).begin, 2u);
  EXPECT_EQ(repr(a), "['x','y',]\n[]\n['z',]\n");
  a.nested_as<ColumnString>().append("unclosed");
  EXPECT_THROW(encode(a), Error);  // usage: offsets do not cover the nested column
}

TEST(ColumnsApi, NullableBuilder) {
  ColumnNullable n(parse_type("Nullable(String)"));
  n.append_null();
  EXPECT_THROW(n.append_not_null(), Error);  // nothing appended to nested
  n.nested_as<ColumnString>().append("v");
  n.append_not_null();
  EXPECT_EQ(repr(n), "NULL\n'v'\n");
  EXPECT_EQ(hex(encode(n)), "01 00 00 01 76");
}

TEST(ColumnsApi, LowCardinalityBuilderDedups) {
  ColumnLowCardinality lc(parse_type("LowCardinality(String)"));
  for (int i = 0; i < 1000; ++i) lc.append(std::to_string(i % 7));
  EXPECT_EQ(lc.dictionary().size(), 8u);  // default + 7
  EXPECT_EQ(lc.size(), 1000u);
  EXPECT_EQ(lc.value<ColumnString>(8), "1");
  EXPECT_THROW(lc.append_null(), Error);
  EXPECT_THROW(lc.append_value(std::uint32_t{1}), Error);
  lc.append_default();
  EXPECT_EQ(lc.index(1000), 0u);

  ColumnLowCardinality fs(parse_type("LowCardinality(FixedString(3))"));
  fs.append("ab");
  fs.append(std::string_view("ab\0", 3));
  EXPECT_EQ(fs.index(0), fs.index(1));  // padded to the same value
  EXPECT_THROW(fs.append("abcd"), Error);

  ColumnLowCardinality num(parse_type("LowCardinality(Nullable(UInt64))"));
  num.append_value(std::uint64_t{5});
  num.append_null();
  num.append_value(std::uint64_t{5});
  EXPECT_THROW(num.append_value(std::uint32_t{5}), Error);  // wrong size
  EXPECT_THROW(num.append("x"), Error);
  EXPECT_EQ(num.index(0), num.index(2));
  EXPECT_EQ(repr(*num.materialize()), "05 00 00 00 00 00 00 00\nNULL\n05 00 00 00 00 00 00 00\n");

  // A dictionary decoded from the wire with a duplicate value still deduplicates appends.
  const std::string dup = u64(1) + u64(0x600) + u64(3) + str("") + str("a") + str("a") + u64(2) + unhex("01 02");
  auto d = decode(parse_type("LowCardinality(String)"), dup, 2);
  auto& dl = column_cast<ColumnLowCardinality>(*d);
  dl.append("a");
  EXPECT_EQ(dl.index(2), 1u);
  dl.append("new");
  EXPECT_EQ(dl.index(3), 3u);
}

TEST(ColumnsApi, CastsAndTypeChecks) {
  auto c = make_column(parse_type("Array(String)"));
  EXPECT_NO_THROW(column_cast<ColumnArray>(*c));
  const Error e = test::thrown_error([&] { column_cast<ColumnString>(*c); });
  EXPECT_EQ(e.kind(), ErrorKind::usage);
  EXPECT_NE(e.message().find("Array(String)"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("ColumnString"), std::string::npos) << e.message();
  EXPECT_THROW(column_cast<ColumnUInt64>(c), Error);
  EXPECT_NE(column_cast<ColumnArray>(c), nullptr);
  // Same storage class, different type: refused.
  ColumnDecimal64 a(18, 2), b(18, 3);
  b.append(1);
  EXPECT_THROW(a.append_from(b, 0), Error);
  ColumnUInt16 u16;
  ColumnDate date;
  date.append(std::uint16_t{1});
  EXPECT_THROW(u16.append_from(date, 0), Error);
  // SimpleAggregateFunction(f, T) is stored as T and keeps its name.
  auto saf = make_column(parse_type("SimpleAggregateFunction(sum, UInt64)"));
  EXPECT_EQ(saf->type()->name(), "SimpleAggregateFunction(sum, UInt64)");
  column_cast<ColumnUInt64>(*saf).append(3);
  ColumnUInt64 plain;
  plain.append_from(*saf, 0);
  EXPECT_EQ(plain[0], 3u);
  // Nested is an Array of Tuple with names.
  auto nested = make_column(parse_type("Nested(a UInt8, b String)"));
  EXPECT_EQ(column_cast<ColumnArray>(*nested).nested().type()->name(), "Tuple(a UInt8, b String)");
  EXPECT_THROW(ColumnString(type_of<std::uint8_t>()), Error);
}

// Every String length around the decoder's thresholds: the fixed-size copy (up to 32 bytes), longer
// values whose length still takes one byte (up to 127: the copies placed from the offsets), and
// two-byte lengths (128 on), with each kind alone in a column and all mixed, cut at every chunk size
// and with the last value ending exactly at the end of the input.
TEST(ColumnsRoundTrip, StringLengthsAroundTheCopyThresholds) {
  std::vector<std::vector<std::size_t>> columns = {{}, {}, {}};
  for (std::size_t len = 0; len <= 127; ++len) columns[0].push_back(len);                      // one-byte lengths
  for (int len = 127; len > 0; len -= 7) columns[0].push_back(static_cast<std::size_t>(len));  // and down
  for (std::size_t len = 120; len <= 140; ++len) columns[1].push_back(len);                    // across 128
  for (std::size_t i = 0; i < 300; ++i) columns[2].push_back((i * 37) % 160);                  // all mixed
  for (const auto& lengths : columns) {
    auto c = std::make_shared<ColumnString>();
    for (std::size_t i = 0; i < lengths.size(); ++i) {
      std::string v(lengths[i], '\0');
      for (std::size_t j = 0; j < v.size(); ++j) v[j] = static_cast<char>('a' + (i + j) % 26);
      c->append(v);
    }
    const std::string bytes = encode(*c);
    for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{64}, std::size_t{100}, SIZE_MAX}) {
      const ColumnRef r = decode(c->type(), bytes, c->size(), chunk);
      ASSERT_EQ(r->size(), c->size());
      const auto& got = column_cast<ColumnString>(*r);
      for (std::size_t i = 0; i < c->size(); ++i) {
        ASSERT_EQ(got[i], (*c)[i]) << "value " << i << " of length " << lengths[i] << ", chunk " << chunk;
      }
    }
  }
}

// Runs of values of one length, which the decoder takes in a loop of its own once two neighbours
// have the same one-byte length: runs of 1 to 40 values of lengths 0, 1, 7, 31, 32, 33, 127 and
// 128 (two-byte lengths never take the run loop), first after more than 16 short runs of varying
// lengths (after which a batch stops entering the loop) and then alone, cut at every chunk size
// from 1 to 70, so every run is cut at every position, and ending exactly at the end of the input.
TEST(ColumnsRoundTrip, StringRunsOfEqualLengths) {
  std::vector<std::vector<std::size_t>> columns = {{}, {}};
  for (std::size_t i = 0; i < 60; ++i) {  // pairs of equal lengths: 60 short runs
    columns[0].push_back(i % 13);
    columns[0].push_back(i % 13);
  }
  for (const std::size_t len : {0, 1, 7, 31, 32, 33, 127, 128}) {
    for (std::size_t run = 1; run <= 40; run += 3) {
      for (auto& lengths : columns) lengths.insert(lengths.end(), run, len);
      for (auto& lengths : columns) lengths.push_back(len == 0 ? 1 : len - 1);  // ends the run
    }
  }
  for (const auto& lengths : columns) {
    auto c = std::make_shared<ColumnString>();
    for (std::size_t i = 0; i < lengths.size(); ++i) {
      std::string v(lengths[i], '\0');
      for (std::size_t j = 0; j < v.size(); ++j) v[j] = static_cast<char>('a' + (i + j) % 26);
      c->append(v);
    }
    const std::string bytes = encode(*c);
    for (std::size_t chunk = 1; chunk <= 71; ++chunk) {
      const std::size_t cut = chunk == 71 ? SIZE_MAX : chunk;
      const ColumnRef r = decode(c->type(), bytes, c->size(), cut);
      ASSERT_EQ(r->size(), c->size());
      const auto& got = column_cast<ColumnString>(*r);
      for (std::size_t i = 0; i < c->size(); ++i) {
        ASSERT_EQ(got[i], (*c)[i]) << "value " << i << " of length " << lengths[i] << ", chunk " << cut;
      }
    }
  }
}

// ===== Hostile input ===============================================================================

// A run of equal lengths is checked like any value: a longer value after it is still over
// max_string_bytes, and a run cut by the end of the stream is truncated.
TEST(ColumnsHostile, StringRunsKeepTheirChecks) {
  wire::DecodeLimits limits;
  limits.max_string_bytes = 2;
  expect_protocol_error(type_of<std::string>(), unhex("02 61 62 02 61 62 02 61 62 03 61 62 63"), 4, limits);
  expect_protocol_error(type_of<std::string>(), unhex("02 61 62 02 61 62 02 61 62 02 61"), 4);
  expect_protocol_error(type_of<std::string>(), unhex("01 61 01 61 01 61"), 4);
}

TEST(ColumnsHostile, HugeStringLength) {
  // Length 2^60 as a UVarInt.
  wire::Writer w;
  w.uvarint(1ull << 60);
  w.write("abc", 3);
  expect_protocol_error(type_of<std::string>(), w.view(), 1);
  // Within the limit but longer than the stream: truncated.
  expect_protocol_error(type_of<std::string>(), unhex("05 61 62"), 1);
  // A varint longer than 10 bytes.
  expect_protocol_error(type_of<std::string>(), unhex("ff ff ff ff ff ff ff ff ff ff 01"), 1);
  // A lower limit is honoured.
  wire::DecodeLimits limits;
  limits.max_string_bytes = 2;
  expect_protocol_error(type_of<std::string>(), unhex("03 61 62 63"), 1, limits);
}

TEST(ColumnsHostile, ArrayOffsets) {
  const TypeRef t = parse_type("Array(UInt8)");
  expect_protocol_error(t, u64(2) + u64(1) + unhex("01 02"), 2);  // decreasing
  expect_protocol_error(t, u64(1ull << 40) + unhex("01 02"), 1);  // beyond max_array_elements
  wire::DecodeLimits limits;
  limits.max_array_elements = 10;
  expect_protocol_error(t, u64(11) + std::string(11, '\0'), 1, limits);
  // Within limits but far beyond the stream: truncated, not allocated.
  expect_protocol_error(parse_type("Array(UInt64)"), u64(100'000'000) + unhex("01 02"), 1);
}

TEST(ColumnsHostile, FixedWidthCountsCostNoMemoryUpFront) {
  g_max_allocation = 0;
  // 2^27 UInt64 values claimed (1 GiB), 16 bytes sent.
  expect_protocol_error(type_of<std::uint64_t>(), std::string(16, '\x01'), std::size_t{1} << 27);
  expect_protocol_error(parse_type("Array(String)"), u64(1ull << 31) + unhex("01 61"), 1);
  expect_protocol_error(parse_type("FixedString(1000)"), std::string(10, 'x'), 1u << 20);
  expect_protocol_error(parse_type("Nullable(UInt8)"), std::string(10, '\0'), 1u << 29);
#ifndef CHCONN_TEST_ASAN
  EXPECT_LE(g_max_allocation.load(), std::size_t{64} << 20) << "a lying count allocated up front";
#endif
  // And max_block_bytes bounds a column outright.
  wire::DecodeLimits limits;
  limits.max_block_bytes = 1000;
  expect_protocol_error(type_of<std::uint64_t>(), std::string(8 * 200, '\0'), 200, limits);
  expect_protocol_error(parse_type("FixedString(100)"), std::string(1100, '\0'), 11, limits);
}

TEST(ColumnsHostile, LowCardinality) {
  const TypeRef t = parse_type("LowCardinality(String)");
  const std::string dict = u64(2) + str("") + str("a");
  // Index out of range (2 entries, index 5), for each index width.
  expect_protocol_error(t, u64(1) + u64(0x600) + dict + u64(1) + unhex("05"), 1);
  expect_protocol_error(t, u64(1) + u64(0x601) + dict + u64(1) + unhex("02 00"), 1);
  expect_protocol_error(t, u64(1) + u64(0x602) + dict + u64(1) + unhex("02 00 00 00"), 1);
  expect_protocol_error(t, u64(1) + u64(0x603) + dict + u64(1) + u64(1ull << 40), 1);
  // Empty dictionary with rows.
  expect_protocol_error(t, u64(1) + u64(0x600) + u64(0) + u64(1) + unhex("00"), 1);
  // Bad key version.
  expect_protocol_error(t, u64(2) + u64(0x600) + dict + u64(1) + unhex("01"), 1);
  expect_protocol_error(t, u64(0), 0);
  // Unknown index type and flag bits; global dictionary; no dictionary at all.
  expect_protocol_error(t, u64(1) + u64(0x604) + dict + u64(1) + unhex("01"), 1);
  expect_protocol_error(t, u64(1) + u64(0xe00) + dict + u64(1) + unhex("01"), 1);
  expect_protocol_error(t, u64(1) + u64(0x300) + dict + u64(1) + unhex("01"), 1);
  expect_protocol_error(t, u64(1) + u64(0x000) + dict + u64(1) + unhex("01"), 1);
  // Huge dictionary size, more rows than the column, zero rows.
  expect_protocol_error(t, u64(1) + u64(0x600) + u64(1ull << 40) + str(""), 1);
  expect_protocol_error(t, u64(1) + u64(0x600) + dict + u64(2) + unhex("01 01"), 1);
  expect_protocol_error(t, u64(1) + u64(0x600) + dict + u64(0), 1);
  // Two chunks for one column are accepted and merged.
  const std::string two = u64(1) + u64(0x600) + dict + u64(1) + unhex("01") +  //
                          u64(0x600) + u64(2) + str("") + str("b") + u64(1) + unhex("01");
  EXPECT_EQ(repr(*decode(t, two, 2)), "'a'\n'b'\n");
}

TEST(ColumnsHostile, FailedDecodeKeepsPreviousRows) {
  for (const char* name : {"String", "Array(String)", "Nullable(String)", "LowCardinality(String)",
                           "Tuple(UInt8, Array(String))", "Map(String, Array(UInt8))", "UInt64"}) {
    SCOPED_TRACE(name);
    const TypeRef type = parse_type(name);
    auto col = make_column(type);
    test::ValueGenerator gen(5);
    gen.fill(*col, 10);
    const std::string before = repr(*col);
    auto more = make_column(type);
    gen.fill(*more, 10);
    const std::string bytes = encode(*more);
    for (std::size_t cut = 0; cut < bytes.size(); cut += 1 + bytes.size() / 50) {
      wire::MemorySource src(std::string_view(bytes).substr(0, cut), 3);
      wire::Reader in(src);
      EXPECT_THROW(
          {
            col->load_prefix(in);
            col->load_body(in, 10);
          },
          Error);
      EXPECT_EQ(repr(*col), before) << "cut at " << cut;
    }
    // The column is still usable.
    col->append_range(*more, 0, more->size());
    EXPECT_EQ(col->size(), 20u);
  }
}

TEST(ColumnsHostile, TruncatedAtEveryByte) {
  for (const char* name : {"Array(Array(Nullable(String)))", "Map(String, Array(LowCardinality(Nullable(String))))",
                           "Tuple(a Array(UInt32), b Array(Nullable(String)))", "LowCardinality(Nullable(UUID))"}) {
    SCOPED_TRACE(name);
    const TypeRef type = parse_type(name);
    auto col = make_column(type);
    test::ValueGenerator gen(9);
    gen.fill(*col, 12);
    const std::string bytes = encode(*col);
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
      for (auto chunk : {std::size_t{1}, SIZE_MAX}) {
        SCOPED_TRACE(::testing::Message() << "cut at " << cut);
        expect_error(ErrorKind::protocol, [&] { decode(type, std::string_view(bytes).substr(0, cut), 12, chunk); });
      }
    }
  }
}

}  // namespace
}  // namespace chconn
