// Type names the targets and the corpus recorder share: at least one of every type family chconn
// decodes, with the nesting combinations whose layouts interact (state prefixes of LowCardinality
// inside Array/Tuple/Map, Nullable inside Array, Nested, the renamed geo and interval types).
#pragma once

#include <array>
#include <string_view>

namespace chconn::fuzz {

inline constexpr std::array<std::string_view, 107> k_type_names{
    "Nothing", "UInt8", "UInt16", "UInt32", "UInt64", "UInt128", "UInt256", "Int8", "Int16", "Int32", "Int64", "Int128",
    "Int256", "Float32", "Float64", "Bool", "String", "FixedString(1)", "FixedString(3)", "FixedString(16)", "Date",
    "Date32", "DateTime", "DateTime('UTC')", "DateTime('Asia/Tokyo')", "DateTime('Europe/Moscow')", "DateTime64(3)",
    "DateTime64(9, 'America/New_York')", "DateTime64(0, 'UTC')", "UUID", "IPv4", "IPv6", "Decimal(9, 2)",
    "Decimal(18, 4)", "Decimal(38, 10)", "Decimal(76, 20)", "Decimal(1, 0)", "Decimal(38, 38)",
    "Enum8('a' = 1, 'b' = -2)", "Enum8('x' = -128, 'y' = 127)", "Enum16('big' = 1000, 'small' = -1000)",
    "Nullable(UInt8)", "Nullable(Int64)", "Nullable(String)", "Nullable(Nothing)", "Nullable(FixedString(2))",
    "Nullable(Decimal(9, 2))", "Nullable(DateTime('UTC'))", "Nullable(Enum8('a' = 1))", "Nullable(UUID)",
    "Array(UInt8)", "Array(String)", "Array(Nothing)", "Array(Array(Int32))", "Array(Array(Array(String)))",
    "Array(Nullable(String))", "Array(Nullable(Nothing))", "Array(Tuple(UInt8, String))", "Array(FixedString(2))",
    "Tuple(UInt8, String)", "Tuple(a UInt8, b Array(String))", "Tuple(Nullable(Int64), LowCardinality(String))",
    "Tuple()", "Tuple(Tuple(UInt8), Array(Nullable(Float64)))", "Map(String, UInt64)", "Map(UInt8, Array(String))",
    "Map(String, LowCardinality(String))", "LowCardinality(String)", "LowCardinality(Nullable(String))",
    "LowCardinality(FixedString(4))", "LowCardinality(UInt32)", "LowCardinality(Nullable(Float64))",
    "LowCardinality(Date)", "Array(LowCardinality(String))", "Array(LowCardinality(Nullable(String)))",
    "Tuple(LowCardinality(String), LowCardinality(Nullable(String)))",
    "Array(Tuple(LowCardinality(String), Array(LowCardinality(UInt8))))", "Nested(a UInt8, b String)",
    "Nested(k LowCardinality(String), v Array(Nullable(UInt16)))", "SimpleAggregateFunction(sum, UInt64)",
    "SimpleAggregateFunction(groupUniqArrayArray(10), Array(String))",
    "SimpleAggregateFunction(anyLast, LowCardinality(Nullable(String)))", "Point", "Ring", "Polygon", "MultiPolygon",
    "IntervalSecond", "IntervalYear",
    // Appended later (the indexes above stay stable for the corpora): DateTime64 of low precision in
    // zones with offsets, where the calendar arithmetic meets the ends of Int64.
    "DateTime64(0, 'Asia/Tokyo')", "DateTime64(1, 'America/New_York')", "Array(DateTime64(0, 'Australia/Lord_Howe'))",
    // Variant (ClickHouse 24.1 and later): discriminators, a state prefix of its own before its
    // types' prefixes, and types without rows that write no body.
    "Variant(String, UInt8)", "Variant(Array(Nullable(String)), LowCardinality(String), Map(String, UInt8))",
    "Array(Variant(Date, Decimal(18, 3), UUID))", "Tuple(Variant(Int64, String), Array(Tuple()))",
    // Dynamic (24.1 and later): a state prefix listing the types, then a Variant of them.
    "Dynamic", "Dynamic(max_types=2)", "Map(String, Array(Dynamic))",
    // BFloat16, Time, Time64, Nullable(Tuple) and JSON (ClickHouse 25.x and later): JSON's state prefix
    // lists its dynamic paths, whose Dynamic prefixes follow; its rows end with the shared data.
    "BFloat16", "Time", "Time64(3)", "Nullable(Tuple(UInt8, String))", "Array(Nullable(Tuple(Time, BFloat16)))", "JSON",
    "JSON(max_dynamic_paths=2, `a.b` UInt32)", "Array(JSON(max_dynamic_types=2, max_dynamic_paths=1))",
    "Tuple(JSON(SKIP x, SKIP REGEXP 'y.*'), Nullable(Time64(9)))"};

}  // namespace chconn::fuzz
