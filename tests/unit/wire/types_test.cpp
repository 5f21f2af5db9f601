// Type system: parse_type() on every type name, canonical names, factories, limits, bad input,
// and the value helpers (wide integers, Decimal text, UUID, IP addresses).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/wire/types.h"
#include "support/expect_error.h"

namespace chconn {
namespace {

using chconn::test::expect_error;

// Parses `text` and returns its canonical name.
std::string canon(std::string_view text) { return parse_type(text)->name(); }

void expect_parse_error(std::string_view text, std::string_view fragment = {}) {
  const Error e = test::thrown_error([&] { auto t = parse_type(text); });
  EXPECT_EQ(e.kind(), ErrorKind::protocol) << e.what();
  EXPECT_NE(e.message().find("position"), std::string::npos) << e.message();
  if (!fragment.empty()) {
    EXPECT_NE(e.message().find(fragment), std::string::npos) << e.message();
  }
  EXPECT_LT(e.message().size(), 400u) << "messages stay short";
}

TEST(Types, SimpleTypesRoundTrip) {
  const std::pair<const char*, TypeCode> cases[] = {
      {"Nothing", TypeCode::Nothing}, {"UInt8", TypeCode::UInt8},       {"UInt16", TypeCode::UInt16},
      {"UInt32", TypeCode::UInt32},   {"UInt64", TypeCode::UInt64},     {"UInt128", TypeCode::UInt128},
      {"UInt256", TypeCode::UInt256}, {"Int8", TypeCode::Int8},         {"Int16", TypeCode::Int16},
      {"Int32", TypeCode::Int32},     {"Int64", TypeCode::Int64},       {"Int128", TypeCode::Int128},
      {"Int256", TypeCode::Int256},   {"Float32", TypeCode::Float32},   {"Float64", TypeCode::Float64},
      {"Bool", TypeCode::Bool},       {"String", TypeCode::String},     {"Date", TypeCode::Date},
      {"Date32", TypeCode::Date32},   {"DateTime", TypeCode::DateTime}, {"UUID", TypeCode::UUID},
      {"IPv4", TypeCode::IPv4},       {"IPv6", TypeCode::IPv6},
  };
  for (const auto& [name, code] : cases) {
    const TypeRef t = parse_type(name);
    EXPECT_EQ(t->code(), code) << name;
    EXPECT_EQ(t->name(), name);
    EXPECT_EQ(to_string(code), name);
    EXPECT_EQ(*t, *Type::simple(code));
  }
}

TEST(Types, ValueSizes) {
  EXPECT_EQ(parse_type("UInt8")->value_size(), 1u);
  EXPECT_EQ(parse_type("Bool")->value_size(), 1u);
  EXPECT_EQ(parse_type("Date")->value_size(), 2u);
  EXPECT_EQ(parse_type("Date32")->value_size(), 4u);
  EXPECT_EQ(parse_type("DateTime('UTC')")->value_size(), 4u);
  EXPECT_EQ(parse_type("DateTime64(3)")->value_size(), 8u);
  EXPECT_EQ(parse_type("UUID")->value_size(), 16u);
  EXPECT_EQ(parse_type("IPv6")->value_size(), 16u);
  EXPECT_EQ(parse_type("Int256")->value_size(), 32u);
  EXPECT_EQ(parse_type("Decimal(76, 2)")->value_size(), 32u);
  EXPECT_EQ(parse_type("FixedString(7)")->value_size(), 7u);
  EXPECT_EQ(parse_type("Enum16('a' = 1)")->value_size(), 2u);
  EXPECT_EQ(parse_type("String")->value_size(), 0u);
  EXPECT_EQ(parse_type("Array(UInt8)")->value_size(), 0u);
  EXPECT_EQ(parse_type("SimpleAggregateFunction(sum, UInt64)")->value_size(), 8u);
}

TEST(Types, ParameterizedCanonicalNames) {
  EXPECT_EQ(canon("FixedString(16)"), "FixedString(16)");
  EXPECT_EQ(parse_type("FixedString(16)")->fixed_string_size(), 16u);
  EXPECT_EQ(canon("DateTime('Asia/Tokyo')"), "DateTime('Asia/Tokyo')");
  EXPECT_EQ(parse_type("DateTime('Asia/Tokyo')")->time_zone(), "Asia/Tokyo");
  EXPECT_EQ(canon("DateTime64(3)"), "DateTime64(3)");
  EXPECT_EQ(canon("DateTime64(9, 'UTC')"), "DateTime64(9, 'UTC')");
  const auto dt64 = parse_type("DateTime64(6,'Europe/Moscow')");
  EXPECT_EQ(dt64->name(), "DateTime64(6, 'Europe/Moscow')");
  EXPECT_EQ(dt64->precision(), 6u);
  EXPECT_EQ(dt64->time_zone(), "Europe/Moscow");
}

TEST(Types, DecimalsByWidth) {
  struct Case {
    const char* text;
    const char* name;
    TypeCode code;
    std::uint32_t p, s;
  };
  const Case cases[] = {
      {"Decimal(9, 2)", "Decimal(9, 2)", TypeCode::Decimal32, 9, 2},
      {"Decimal(1,0)", "Decimal(1, 0)", TypeCode::Decimal32, 1, 0},
      {"Decimal(10, 10)", "Decimal(10, 10)", TypeCode::Decimal64, 10, 10},
      {"Decimal(18, 4)", "Decimal(18, 4)", TypeCode::Decimal64, 18, 4},
      {"Decimal(19, 0)", "Decimal(19, 0)", TypeCode::Decimal128, 19, 0},
      {"Decimal(38, 10)", "Decimal(38, 10)", TypeCode::Decimal128, 38, 10},
      {"Decimal(39, 1)", "Decimal(39, 1)", TypeCode::Decimal256, 39, 1},
      {"Decimal(76, 76)", "Decimal(76, 76)", TypeCode::Decimal256, 76, 76},
      {"Decimal(12)", "Decimal(12, 0)", TypeCode::Decimal64, 12, 0},
      {"Decimal32(4)", "Decimal(9, 4)", TypeCode::Decimal32, 9, 4},
      {"Decimal64(4)", "Decimal(18, 4)", TypeCode::Decimal64, 18, 4},
      {"Decimal128(3)", "Decimal(38, 3)", TypeCode::Decimal128, 38, 3},
      {"Decimal256(5)", "Decimal(76, 5)", TypeCode::Decimal256, 76, 5},
  };
  for (const auto& c : cases) {
    const auto t = parse_type(c.text);
    EXPECT_EQ(t->name(), c.name) << c.text;
    EXPECT_EQ(t->code(), c.code) << c.text;
    EXPECT_EQ(t->precision(), c.p) << c.text;
    EXPECT_EQ(t->scale(), c.s) << c.text;
  }
  EXPECT_EQ(*Type::decimal(9, 2), *parse_type("Decimal32(2)"));
}

TEST(Types, EnumsSortByValueAndEscapeNames) {
  // The [live] spelling of docs/protocol.md, "Data blocks": items sorted by value.
  EXPECT_EQ(canon("Enum8('a' = 1, 'b' = -2)"), "Enum8('b' = -2, 'a' = 1)");
  EXPECT_EQ(canon("Enum8('b' = -2, 'a' = 1)"), "Enum8('b' = -2, 'a' = 1)");
  EXPECT_EQ(canon("Enum16('x'=1000,'y'=-1000)"), "Enum16('y' = -1000, 'x' = 1000)");
  // Quotes and backslashes inside names, written back with backslash escapes.
  const auto e = parse_type(R"(Enum8('it\'s' = 1, 'back\\slash' = 2, 'doubled''quote' = 3, 'tab\there' = 4))");
  ASSERT_EQ(e->enum_items().size(), 4u);
  EXPECT_EQ(e->enum_items()[0].name, "it's");
  EXPECT_EQ(e->enum_items()[1].name, "back\\slash");
  EXPECT_EQ(e->enum_items()[2].name, "doubled'quote");
  EXPECT_EQ(e->enum_items()[3].name, "tab\there");
  EXPECT_EQ(e->name(), R"(Enum8('it\'s' = 1, 'back\\slash' = 2, 'doubled\'quote' = 3, 'tab\there' = 4))");
  EXPECT_EQ(canon(e->name()), e->name());
  // Lookups both ways.
  EXPECT_EQ(e->enum_value("it's"), 1);
  EXPECT_EQ(e->enum_value("nope"), std::nullopt);
  ASSERT_NE(e->enum_name(3), nullptr);
  EXPECT_EQ(*e->enum_name(3), "doubled'quote");
  EXPECT_EQ(e->enum_name(9), nullptr);
  // Enum without width: Enum8 if the values fit. Implicit numbering from 1.
  EXPECT_EQ(canon("Enum('a' = 1, 'b' = 2)"), "Enum8('a' = 1, 'b' = 2)");
  EXPECT_EQ(canon("Enum('a' = 1, 'b' = 300)"), "Enum16('a' = 1, 'b' = 300)");
  EXPECT_EQ(canon("Enum8('a', 'b')"), "Enum8('a' = 1, 'b' = 2)");
  // Unicode and an empty name are fine.
  EXPECT_EQ(canon("Enum8('' = 0, 'пример' = 1)"), "Enum8('' = 0, 'пример' = 1)");
  // A backslash before an ordinary character is kept, as the server's lexer does.
  EXPECT_EQ(parse_type(R"(Enum8('100\%' = 1))")->enum_items()[0].name, "100\\%");
}

TEST(Types, Composites) {
  const auto a = parse_type("Array(Nullable(String))");
  EXPECT_EQ(a->code(), TypeCode::Array);
  EXPECT_EQ(a->name(), "Array(Nullable(String))");
  EXPECT_EQ(a->element(0)->code(), TypeCode::Nullable);
  EXPECT_EQ(a->element(0)->element(0)->code(), TypeCode::String);

  EXPECT_EQ(canon("Array(Array(Nullable(String)))"), "Array(Array(Nullable(String)))");
  EXPECT_EQ(canon("Nullable(Nothing)"), "Nullable(Nothing)");
  EXPECT_EQ(canon("LowCardinality(String)"), "LowCardinality(String)");
  EXPECT_EQ(canon("LowCardinality(Nullable(String))"), "LowCardinality(Nullable(String))");
  EXPECT_EQ(canon("LowCardinality(FixedString(3))"), "LowCardinality(FixedString(3))");
  EXPECT_EQ(canon("LowCardinality(Nullable(UInt64))"), "LowCardinality(Nullable(UInt64))");
  EXPECT_EQ(canon("Map(String, Array(LowCardinality(Nullable(String))))"),
            "Map(String, Array(LowCardinality(Nullable(String))))");
  const auto m = parse_type("Map(String, UInt64)");
  EXPECT_EQ(m->code(), TypeCode::Map);
  EXPECT_EQ(m->element(0)->name(), "String");
  EXPECT_EQ(m->element(1)->name(), "UInt64");

  const auto t = parse_type("Tuple(UInt8, String)");
  EXPECT_EQ(t->name(), "Tuple(UInt8, String)");
  EXPECT_EQ(t->elements().size(), 2u);
  EXPECT_TRUE(t->element_names().empty());
  EXPECT_EQ(canon("Tuple()"), "Tuple()");
  EXPECT_EQ(parse_type("Tuple()")->elements().size(), 0u);
}

TEST(Types, NamedTuplesAndNested) {
  const auto t = parse_type("Tuple(a UInt8, b String)");
  EXPECT_EQ(t->name(), "Tuple(a UInt8, b String)");
  ASSERT_EQ(t->element_names().size(), 2u);
  EXPECT_EQ(t->element_names()[0], "a");
  EXPECT_EQ(t->element_names()[1], "b");
  // Names that are not plain identifiers (or would re-parse as keywords) are back-quoted.
  EXPECT_EQ(canon("Tuple(`a b` UInt8, `select` String, `x``y` Int8, _ok1 UInt8)"),
            "Tuple(`a b` UInt8, `select` String, `x\\`y` Int8, _ok1 UInt8)");
  EXPECT_EQ(canon("Tuple(`1st` Nullable(String))"), "Tuple(`1st` Nullable(String))");
  // A name that looks like a type is still a name when a type follows it.
  EXPECT_EQ(canon("Tuple(String String, UInt8 Array(UInt8))"), "Tuple(String String, UInt8 Array(UInt8))");
  // Nested names inside.
  EXPECT_EQ(canon("Tuple(a Tuple(b UInt8, c Map(String, Tuple(d String))))"),
            "Tuple(a Tuple(b UInt8, c Map(String, Tuple(d String))))");

  const auto n = parse_type("Nested(a UInt8, b String)");
  EXPECT_EQ(n->code(), TypeCode::Nested);
  EXPECT_EQ(n->name(), "Nested(a UInt8, b String)");
  EXPECT_EQ(n->storage_type().name(), "Array(Tuple(a UInt8, b String))");
  EXPECT_EQ(n->storage_type().code(), TypeCode::Array);
}

TEST(Types, SimpleAggregateFunctionIsStoredAsItsType) {
  const auto t = parse_type("SimpleAggregateFunction(sum, UInt64)");
  EXPECT_EQ(t->code(), TypeCode::SimpleAggregateFunction);
  EXPECT_EQ(t->name(), "SimpleAggregateFunction(sum, UInt64)");
  EXPECT_EQ(t->aggregate_function(), "sum");
  EXPECT_EQ(t->storage_type().name(), "UInt64");
  EXPECT_EQ(canon("SimpleAggregateFunction(groupUniqArrayArray(10), Array(UInt8))"),
            "SimpleAggregateFunction(groupUniqArrayArray(10), Array(UInt8))");
  EXPECT_EQ(canon("SimpleAggregateFunction( anyLast ,Nullable(String) )"),
            "SimpleAggregateFunction(anyLast, Nullable(String))");
  EXPECT_EQ(canon("SimpleAggregateFunction(f(1,'a'), Array(LowCardinality(String)))"),
            "SimpleAggregateFunction(f(1, 'a'), Array(LowCardinality(String)))");
  // Nested SAF: storage goes all the way down.
  const auto nested = Type::simple_aggregate_function("max", parse_type("SimpleAggregateFunction(sum, Int32)"));
  EXPECT_EQ(nested->storage_type().name(), "Int32");
}

TEST(Types, GeoAndIntervalTypesKeepTheirNames) {
  const auto p = parse_type("Point");
  EXPECT_EQ(p->name(), "Point");
  EXPECT_EQ(p->code(), TypeCode::Tuple);
  EXPECT_EQ(p->elements().size(), 2u);
  EXPECT_EQ(canon("Ring"), "Ring");
  EXPECT_EQ(canon("Array(Polygon)"), "Array(Polygon)");
  EXPECT_EQ(parse_type("MultiPolygon")->code(), TypeCode::Array);
  EXPECT_EQ(parse_type("IntervalSecond")->code(), TypeCode::Int64);
  EXPECT_EQ(canon("IntervalSecond"), "IntervalSecond");
  EXPECT_FALSE(*parse_type("IntervalSecond") == *parse_type("Int64"));
}

TEST(Types, WhitespaceTolerant) {
  EXPECT_EQ(canon("  Array ( Nullable ( String ) )  "), "Array(Nullable(String))");
  EXPECT_EQ(canon("Tuple(a  UInt8,b\tString)"), "Tuple(a UInt8, b String)");
  EXPECT_EQ(canon("Decimal( 9 ,2 )"), "Decimal(9, 2)");
  EXPECT_EQ(canon("Map(String,\n UInt8)"), "Map(String, UInt8)");
  EXPECT_EQ(canon("DateTime64( 3 , 'UTC' )"), "DateTime64(3, 'UTC')");
  EXPECT_EQ(canon("Enum8( 'a'=1 ,'b' = 2 )"), "Enum8('a' = 1, 'b' = 2)");
}

TEST(Types, CanonicalNamesReparseToThemselves) {
  const char* names[] = {
      "Array(Array(Nullable(String)))",
      "Map(String, Array(LowCardinality(Nullable(String))))",
      "Tuple(a Array(Array(UInt8)), b Nested(x UInt8, y Nullable(Float64)))",
      "Enum16('a\\\\b' = -5, 'c\\'d' = 7)",
      "DateTime('Etc/GMT+3')",
      "LowCardinality(Nullable(FixedString(2)))",
      "SimpleAggregateFunction(sumMap, Map(String, UInt64))",
      "Tuple(Tuple(Tuple()))",
  };
  for (const char* n : names) {
    const auto t = parse_type(n);
    EXPECT_EQ(t->name(), n);
    EXPECT_EQ(parse_type(t->name())->name(), t->name());
  }
}

TEST(Types, Factories) {
  EXPECT_EQ(Type::array(Type::nullable(type_of<std::string>()))->name(), "Array(Nullable(String))");
  EXPECT_EQ(Type::tuple({type_of<std::uint8_t>(), type_of<std::string>()}, {"a", "b"})->name(),
            "Tuple(a UInt8, b String)");
  EXPECT_EQ(Type::map(type_of<std::string>(), type_of<double>())->name(), "Map(String, Float64)");
  EXPECT_EQ(Type::low_cardinality(type_of<std::string>())->name(), "LowCardinality(String)");
  EXPECT_EQ(Type::enum8({{"b", -2}, {"a", 1}})->name(), "Enum8('b' = -2, 'a' = 1)");
  EXPECT_EQ(Type::date_time("UTC")->name(), "DateTime('UTC')");
  EXPECT_EQ(Type::date_time()->name(), "DateTime");
  EXPECT_EQ(Type::date_time64(3)->name(), "DateTime64(3)");
  EXPECT_EQ(Type::fixed_string(4)->name(), "FixedString(4)");
  EXPECT_EQ(Type::nested({type_of<std::uint8_t>()}, {"a"})->name(), "Nested(a UInt8)");

  const auto usage = [](auto f) { expect_error(ErrorKind::usage, [&] { f(); }); };
  usage([] { Type::simple(TypeCode::Array); });
  usage([] { Type::fixed_string(0); });
  usage([] { Type::decimal(0, 0); });
  usage([] { Type::decimal(5, 6); });
  usage([] { Type::date_time64(10); });
  usage([] { Type::enum8({}); });
  usage([] { Type::enum8({{"a", 200}}); });
  usage([] { Type::enum8({{"a", 1}, {"a", 2}}); });
  usage([] { Type::nullable(Type::array(type_of<std::uint8_t>())); });
  usage([] { Type::nullable(Type::nullable(type_of<std::uint8_t>())); });
  usage([] { Type::low_cardinality(Type::array(type_of<std::uint8_t>())); });
  usage([] { Type::tuple({type_of<std::uint8_t>()}, {"a", "b"}); });
  usage([] { Type::tuple({type_of<std::uint8_t>(), type_of<std::uint8_t>()}, {"a", "a"}); });
  usage([] { Type::array(nullptr); });
}

TEST(Types, TypeOf) {
  EXPECT_EQ(type_of<std::uint64_t>()->name(), "UInt64");
  EXPECT_EQ(type_of<std::int8_t>()->name(), "Int8");
  EXPECT_EQ(type_of<bool>()->name(), "Bool");
  EXPECT_EQ(type_of<std::string>()->name(), "String");
  EXPECT_EQ(type_of<std::string_view>()->name(), "String");
  EXPECT_EQ(type_of<UUID>()->name(), "UUID");
  EXPECT_EQ(type_of<Int128>()->name(), "Int128");
  EXPECT_EQ(type_of<UInt256>()->name(), "UInt256");
  EXPECT_EQ(type_of<double>()->name(), "Float64");
  EXPECT_EQ(type_of<IPv6>()->name(), "IPv6");
}

TEST(Types, BadNames) {
  expect_parse_error("", "type name");
  expect_parse_error("Foo", "unknown type 'Foo'");
  expect_parse_error("Array(Foo)", "unknown type 'Foo'");
  expect_parse_error("Array(", "type name");
  expect_parse_error("Array(UInt8", "')'");
  expect_parse_error("Array(UInt8))", "end of the type name");
  expect_parse_error("UInt8(3)", "no parameters");
  expect_parse_error("FixedString(0)", "FixedString size");
  expect_parse_error("FixedString(x)");
  expect_parse_error("FixedString(99999999999999999999999)", "too large");
  expect_parse_error("Decimal(77, 2)", "precision");
  expect_parse_error("Decimal(9, 10)", "scale");
  expect_parse_error("DateTime64(10)", "precision");
  expect_parse_error("DateTime(UTC)", "quoted time zone");
  expect_parse_error("DateTime('UTC)", "unterminated");
  expect_parse_error("Nullable(Array(UInt8))", "cannot be inside Nullable");
  expect_parse_error("Nullable(Nullable(UInt8))");
  expect_parse_error("LowCardinality(Array(UInt8))");
  expect_parse_error("Enum8('a' = 1, 'b' = 1)", "used twice");
  expect_parse_error("Enum8('a' = 1, 'a' = 2)", "used twice");
  expect_parse_error("Enum8('a' = 200)", "out of range");
  expect_parse_error("Enum8('a' = 1, 'b')", "none");
  expect_parse_error("Enum8()", "quoted enum name");
  expect_parse_error("Tuple(a UInt8, String)", "or none");
  expect_parse_error("Tuple(a UInt8, a String)", "twice");
  expect_parse_error("Map(String)", "','");
  expect_parse_error("AggregateFunction(sum, UInt64)", "not supported");
  expect_parse_error("JSON(max_dynamic_types=255)", "over 254");
  expect_parse_error("JSON(max_dynamic_paths=10001)", "over 10000");
  expect_parse_error("JSON(a UInt8, a String)", "twice");
  expect_parse_error("JSON(a)", "a type name");
  expect_parse_error("JSON(SKIP REGEXP x)", "expected ')'");
  expect_parse_error("QBit(Float32, 8)", "not supported");
  expect_parse_error("Dynamic(3)", "max_types");
  expect_parse_error("Dynamic(other=3)", "max_types=N");
  expect_parse_error("Dynamic(max_types=255)", "over 254");
  expect_parse_error("Nullable(Dynamic)", "cannot be inside Nullable");
  expect_parse_error("Variant()");
  expect_parse_error("Variant(Nullable(UInt8), String)", "cannot be Nullable");
  expect_parse_error("Variant(LowCardinality(Nullable(String)))", "cannot be Nullable");
  expect_parse_error("Variant(UInt8, UInt8)", "twice");
  expect_parse_error("Nullable(Variant(UInt8))", "cannot be inside Nullable");
  expect_parse_error("Array(UInt8) extra", "end of the type name");
  expect_parse_error("Array UInt8", "'('");
  expect_parse_error("Point(1)", "no parameters");
}

// A type name comes from the server or the caller: the messages show it escaped (control bytes,
// bytes of no UTF-8 sequence as \xHH) and cut, never raw.
TEST(Types, BadNamesAreQuotedEscaped) {
  expect_parse_error("Foo\x1b[2J", R"(cannot parse type name 'Foo\x1b[2J' at position 0: unknown type 'Foo')");
  expect_parse_error("Array(UInt8)\r\x9b", R"(cannot parse type name 'Array(UInt8)\x0d\x9b')");
  expect_parse_error("Enum8('a\x07' = 1, 'a\x07' = 2)", R"(name 'a\x07' is used twice)");
  expect_parse_error("Tuple(`x\ny` UInt8, `x\ny` String)", R"(element name 'x\x0ay' is used twice)");
  expect_parse_error("JSON(`p\xff` UInt8, `p\xff` String)", R"(typed path 'p\xff' twice)");
  const std::string long_name = "Array(" + std::string(200, 'a');
  expect_parse_error(long_name, "... (206 bytes)");
}

// [chDB 26.7] the server lists a Variant's types sorted by name: CAST(1 AS Variant(UInt8, String))
// is named Variant(String, UInt8), and a row's discriminator is its type's index in that order.
TEST(Types, VariantSortsItsTypesByName) {
  EXPECT_EQ(canon("Variant(UInt8, String)"), "Variant(String, UInt8)");
  EXPECT_EQ(canon("Variant(Array(UInt8),Date,  String)"), "Variant(Array(UInt8), Date, String)");
  const TypeRef t = parse_type("Variant(UInt8, String)");
  EXPECT_EQ(t->code(), TypeCode::Variant);
  ASSERT_EQ(t->elements().size(), 2u);
  EXPECT_EQ(t->element(0)->name(), "String");
  std::string many = "Variant(";
  for (int i = 1; i <= 256; ++i) many += (i > 1 ? ", FixedString(" : "FixedString(") + std::to_string(i) + ")";
  expect_parse_error(many + ")", "1 to 255 types");
}

TEST(Types, Dynamic) {
  EXPECT_EQ(canon("Dynamic"), "Dynamic");
  EXPECT_EQ(canon("Dynamic( max_types = 3 )"), "Dynamic(max_types=3)");
  EXPECT_EQ(parse_type("Dynamic(max_types=3)")->max_dynamic_types(), 3u);
  EXPECT_EQ(parse_type("Dynamic")->code(), TypeCode::Dynamic);
  EXPECT_EQ(canon("Array(Dynamic)"), "Array(Dynamic)");
}

// [chDB 26.7] toTypeName names a parameter whenever it differs from the default (max_types and
// max_dynamic_types 32, max_dynamic_paths 1024), 0 included: CAST(x AS Dynamic(max_types=0)) is
// Dynamic(max_types=0), JSON(max_dynamic_paths=1024) is JSON, JSON(max_dynamic_types=33,
// max_dynamic_paths=1024) is JSON(max_dynamic_types=33).
TEST(Types, DynamicAndJsonNameEveryParameterOffItsDefault) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"Dynamic(max_types=0)", "Dynamic(max_types=0)"},
      {"Dynamic(max_types=32)", "Dynamic"},
      {"Dynamic(max_types=254)", "Dynamic(max_types=254)"},
      {"JSON(max_dynamic_paths=0)", "JSON(max_dynamic_paths=0)"},
      {"JSON(max_dynamic_types=0)", "JSON(max_dynamic_types=0)"},
      {"JSON(max_dynamic_paths=1024)", "JSON"},
      {"JSON(max_dynamic_types=32)", "JSON"},
      {"JSON(max_dynamic_types=33, max_dynamic_paths=1024)", "JSON(max_dynamic_types=33)"},
      {"JSON(max_dynamic_paths=0, max_dynamic_types=0)", "JSON(max_dynamic_types=0, max_dynamic_paths=0)"},
  };
  for (const auto& [written, server] : cases) {
    EXPECT_EQ(canon(written), server) << written;
    EXPECT_EQ(canon(server), server) << written;
  }
  EXPECT_EQ(parse_type("Dynamic")->max_dynamic_types(), Type::k_default_max_dynamic_types);
  EXPECT_EQ(parse_type("Dynamic(max_types=0)")->max_dynamic_types(), 0u);
  const TypeRef plain = parse_type("JSON");
  EXPECT_EQ(plain->max_dynamic_types(), 32u);
  EXPECT_EQ(plain->max_dynamic_paths(), 1024u);
  const TypeRef none = parse_type("JSON(max_dynamic_paths=0)");
  EXPECT_EQ(none->max_dynamic_paths(), 0u);
  EXPECT_EQ(none->max_dynamic_types(), 32u);
  // The factories follow the same rule.
  EXPECT_EQ(Type::dynamic()->name(), "Dynamic");
  EXPECT_EQ(Type::dynamic(0)->name(), "Dynamic(max_types=0)");
  EXPECT_EQ(Type::json({})->name(), "JSON");
  EXPECT_EQ(Type::json({.max_dynamic_paths = 0})->name(), "JSON(max_dynamic_paths=0)");
  EXPECT_EQ(parse_type("Int32")->max_dynamic_types(), 0u);
}

// [chDB 26.7] toTypeName of JSON(max_dynamic_paths=2, a.b UInt32, SKIP c, SKIP REGEXP 'y.*',
// max_dynamic_types=3, `x y` String): the parameters first, then the typed paths (back-quoted
// unless plain identifiers), then the paths skipped.
TEST(Types, JsonNamesItsParametersAsTheServer) {
  EXPECT_EQ(canon("JSON"), "JSON");
  const std::string server =
      "JSON(max_dynamic_types=3, max_dynamic_paths=2, `a.b` UInt32, `x y` String, SKIP c, SKIP REGEXP 'y.*')";
  EXPECT_EQ(
      canon("JSON(max_dynamic_paths=2, a.b UInt32, SKIP c, SKIP REGEXP 'y.*', max_dynamic_types=3, `x y` String)"),
      server);
  EXPECT_EQ(canon(server), server);
  const TypeRef t = parse_type(server);
  EXPECT_EQ(t->code(), TypeCode::JSON);
  EXPECT_EQ(t->max_dynamic_types(), 3u);
  EXPECT_EQ(t->max_dynamic_paths(), 2u);
  ASSERT_EQ(t->element_names().size(), 2u);
  EXPECT_EQ(t->element_names()[0], "a.b");
  EXPECT_EQ(t->element(1)->name(), "String");
  EXPECT_EQ(canon("Array(JSON(max_dynamic_types=16, max_dynamic_paths=256))"),
            "Array(JSON(max_dynamic_types=16, max_dynamic_paths=256))");
  EXPECT_EQ(canon("Time64(3)"), "Time64(3)");
  EXPECT_EQ(canon("Nullable(Tuple(a Time, b BFloat16))"), "Nullable(Tuple(a Time, b BFloat16))");
}

// Issue 14 (fuzz_block): the type of the failing column, JSON(max_dynamic_types=2,
// max_dynamic_paths=2), and its neighbours. Each expected name is what chDB 26.7's toTypeName
// printed for the input on the left (ClickHouse's DataTypeObject::doGetName): max_dynamic_types
// before max_dynamic_paths whatever the order written, typed paths sorted (`SKIP` back-quoted),
// skipped paths and regexps sorted, any spacing.
TEST(Types, JsonParametersInAnyOrderAndSpacing) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"JSON(max_dynamic_types=2, max_dynamic_paths=2)", "JSON(max_dynamic_types=2, max_dynamic_paths=2)"},
      {"JSON(max_dynamic_paths=2, max_dynamic_types=2)", "JSON(max_dynamic_types=2, max_dynamic_paths=2)"},
      {"JSON(max_dynamic_paths = 2 ,max_dynamic_types= 2)", "JSON(max_dynamic_types=2, max_dynamic_paths=2)"},
      {"JSON( max_dynamic_types=2,max_dynamic_paths=2 )", "JSON(max_dynamic_types=2, max_dynamic_paths=2)"},
      {"JSON(\n\tmax_dynamic_paths\t=\n2)", "JSON(max_dynamic_paths=2)"},
      {"JSON(b UInt8, a String, max_dynamic_types=2)", "JSON(max_dynamic_types=2, a String, b UInt8)"},
      {"JSON(max_dynamic_types=2, a.b UInt32, max_dynamic_paths=2)",
       "JSON(max_dynamic_types=2, max_dynamic_paths=2, `a.b` UInt32)"},
      {"JSON(SKIP z, SKIP a.b, SKIP REGEXP 'z', SKIP REGEXP 'a')",
       "JSON(SKIP `a.b`, SKIP z, SKIP REGEXP 'a', SKIP REGEXP 'z')"},
      {"JSON(`max_dynamic_types` UInt8)", "JSON(max_dynamic_types UInt8)"},
      {"JSON(max_dynamic_types UInt8)", "JSON(max_dynamic_types UInt8)"},
      {"JSON(SKIP UInt8)", "JSON(SKIP UInt8)"},
      {"JSON(`SKIP` UInt8)", "JSON(`SKIP` UInt8)"},
      {"JSON(REGEXP UInt8)", "JSON(REGEXP UInt8)"},
      {"Array(JSON(max_dynamic_types=2, max_dynamic_paths=2))",
       "Array(JSON(max_dynamic_types=2, max_dynamic_paths=2))"},
  };
  for (const auto& [written, server] : cases) {
    EXPECT_EQ(canon(written), server) << written;
    EXPECT_EQ(canon(server), server) << written;  // the server's name reads back as itself
  }
  // What the names mean: a typed path called max_dynamic_types or SKIP, a skipped path UInt8.
  const TypeRef typed = parse_type("JSON(max_dynamic_types UInt8)");
  EXPECT_EQ(typed->max_dynamic_types(), Type::k_default_max_dynamic_types);
  ASSERT_EQ(typed->element_names().size(), 1u);
  EXPECT_EQ(typed->element_names()[0], "max_dynamic_types");
  const TypeRef skip_path = parse_type("JSON(`SKIP` UInt8)");
  ASSERT_EQ(skip_path->element_names().size(), 1u);
  EXPECT_EQ(skip_path->element_names()[0], "SKIP");
  EXPECT_TRUE(parse_type("JSON(SKIP UInt8)")->element_names().empty());
  // Typed paths are kept sorted, each with its type; the factory sorts what it is given the same way.
  const TypeRef sorted = parse_type("JSON(b UInt8, a String, max_dynamic_types=2)");
  ASSERT_EQ(sorted->element_names().size(), 2u);
  EXPECT_EQ(sorted->element_names()[0], "a");
  EXPECT_EQ(sorted->element_names()[1], "b");
  EXPECT_EQ(sorted->element(0)->name(), "String");
  EXPECT_EQ(sorted->element(1)->name(), "UInt8");
  EXPECT_EQ(sorted->max_dynamic_types(), 2u);
  EXPECT_EQ(sorted->max_dynamic_paths(), Type::k_default_max_dynamic_paths);
  const TypeRef built = Type::json({.paths = {"b", "a"},
                                    .types = {Type::simple(TypeCode::UInt8), Type::simple(TypeCode::String)},
                                    .max_dynamic_types = 2});
  EXPECT_EQ(built->name(), sorted->name());
  // Inside the other containers the name is the same, and parameters after a typed path still count.
  EXPECT_EQ(canon("Tuple(j JSON(max_dynamic_paths=2, max_dynamic_types=2), n UInt8)"),
            "Tuple(j JSON(max_dynamic_types=2, max_dynamic_paths=2), n UInt8)");
  EXPECT_EQ(canon("Map(String, JSON(max_dynamic_paths=2,max_dynamic_types=2))"),
            "Map(String, JSON(max_dynamic_types=2, max_dynamic_paths=2))");
  EXPECT_EQ(parse_type("JSON(a.b UInt32, max_dynamic_paths=7)")->max_dynamic_paths(), 7u);
  // A parameter without its value, or with a value that is not a number, is refused.
  expect_parse_error("JSON(max_dynamic_paths=)", "max_dynamic_paths");
  expect_parse_error("JSON(max_dynamic_types=2, max_dynamic_paths=x)", "max_dynamic_paths");
  expect_parse_error("JSON(max_dynamic_types=2,, max_dynamic_paths=2)", "JSON parameter");
}

TEST(Types, DepthLimit) {
  // 10,000 levels: refused at the limit before recursing further (no stack overflow), fast.
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "Array(";
  deep += "UInt8";
  for (int i = 0; i < 10000; ++i) deep += ")";
  // With the default limits the name is already too long (70,005 bytes > 64 KiB)...
  EXPECT_THROW(parse_type(deep), Error);
  // ...and with a generous length limit the depth limit stops it.
  wire::DecodeLimits long_names;
  long_names.max_type_name_bytes = 1 << 20;
  const Error e = test::thrown_error([&] { parse_type(deep, long_names); });
  EXPECT_EQ(e.kind(), ErrorKind::protocol);
  EXPECT_NE(e.message().find("nested deeper than the limit of 64"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("position"), std::string::npos) << e.message();
  EXPECT_LT(e.message().size(), 400u);

  // Exactly at the limit is fine, one more is not.
  wire::DecodeLimits limits;
  limits.max_type_depth = 5;
  EXPECT_NO_THROW(parse_type("Array(Array(Array(Array(UInt8))))", limits));
  EXPECT_THROW(parse_type("Array(Array(Array(Array(Array(UInt8)))))", limits), Error);
  EXPECT_THROW(parse_type("Tuple(Map(String, Nullable(Array(Array(UInt8)))))", limits), Error);
}

TEST(Types, LengthLimit) {
  wire::DecodeLimits limits;
  limits.max_type_name_bytes = 100;
  std::string name = "Enum8('" + std::string(200, 'x') + "' = 1)";
  const Error e = test::thrown_error([&] { parse_type(name, limits); });
  EXPECT_EQ(e.kind(), ErrorKind::protocol);
  EXPECT_NE(e.message().find("exceeds the limit of 100"), std::string::npos) << e.message();
  EXPECT_LT(e.message().size(), 300u);
  // Huge garbage within the limit: the message shows only the start.
  std::string garbage(60000, 'Z');
  EXPECT_LT(test::thrown_error([&] { parse_type(garbage); }).message().size(), 400u);
}

TEST(Types, Equality) {
  EXPECT_EQ(*parse_type("Decimal32(2)"), *parse_type("Decimal(9,2)"));
  EXPECT_FALSE(*parse_type("DateTime") == *parse_type("DateTime('UTC')"));
  EXPECT_FALSE(*parse_type("Tuple(a UInt8)") == *parse_type("Tuple(UInt8)"));
}

TEST(WideIntegers, ToString) {
  EXPECT_EQ(to_string(static_cast<UInt128>(0)), "0");
  EXPECT_EQ(to_string(~static_cast<UInt128>(0)), "340282366920938463463374607431768211455");
  const Int128 min128 = static_cast<Int128>(static_cast<UInt128>(1) << 127);
  EXPECT_EQ(to_string(min128), "-170141183460469231731687303715884105728");
  EXPECT_EQ(to_string(static_cast<Int128>(-42)), "-42");
  EXPECT_EQ(to_string(UInt256{{~0ull, ~0ull, ~0ull, ~0ull}}),
            "115792089237316195423570985008687907853269984665640564039457584007913129639935");
  EXPECT_EQ(to_string(Int256{{0, 0, 0, 1ull << 63}}),
            "-57896044618658097711785492504343953926634992332820282019728792003956564819968");
  EXPECT_EQ(to_string(Int256::from(-1)), "-1");
  EXPECT_EQ(to_string(Int256::from(1234567890123456789)), "1234567890123456789");
  EXPECT_EQ(to_string(UInt256::from(10'000'000'000'000'000'000ull)), "10000000000000000000");
  EXPECT_EQ(to_string(UInt256{{0, 1, 0, 0}}), "18446744073709551616");
}

TEST(WideIntegers, FormatDecimal) {
  EXPECT_EQ(format_decimal(std::int64_t{-150}, 2), "-1.50");
  EXPECT_EQ(format_decimal(std::int64_t{5}, 3), "0.005");
  EXPECT_EQ(format_decimal(std::int64_t{-5}, 3), "-0.005");
  EXPECT_EQ(format_decimal(std::int64_t{1234}, 0), "1234");
  EXPECT_EQ(format_decimal(static_cast<Int128>(-1), 38), "-0.00000000000000000000000000000000000001");
  EXPECT_EQ(format_decimal(Int256::from(123456), 2), "1234.56");
  EXPECT_EQ(format_decimal(Int256::from(-1), 1), "-0.1");
}

TEST(ValueTypes, Uuid) {
  const auto u = UUID::parse("00112233-4455-6677-8899-aabbccddeeff");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->hi, 0x0011223344556677ull);
  EXPECT_EQ(u->lo, 0x8899aabbccddeeffull);
  EXPECT_EQ(to_string(*u), "00112233-4455-6677-8899-aabbccddeeff");
  EXPECT_EQ(to_string(*UUID::parse("AABBCCDD-EEFF-0011-2233-445566778899")), "aabbccdd-eeff-0011-2233-445566778899");
  EXPECT_FALSE(UUID::parse("00112233-4455-6677-8899-aabbccddeef"));
  EXPECT_FALSE(UUID::parse("00112233x4455-6677-8899-aabbccddeeff"));
  EXPECT_FALSE(UUID::parse("0011223g-4455-6677-8899-aabbccddeeff"));
}

TEST(ValueTypes, IpAddresses) {
  EXPECT_EQ(ipv4_to_string(0x01020304), "1.2.3.4");
  EXPECT_EQ(ipv4_to_string(0xffffffff), "255.255.255.255");
  IPv6 loopback;
  loopback.bytes[15] = 1;
  EXPECT_EQ(to_string(loopback), "::1");
  EXPECT_EQ(to_string(IPv6{}), "::");
  IPv6 doc{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0x00, 0x00, 0x42, 0x83, 0x29}};
  EXPECT_EQ(to_string(doc), "2001:db8::ff00:42:8329");
  IPv6 mapped{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4}};
  EXPECT_EQ(to_string(mapped), "::ffff:1.2.3.4");
  IPv6 one_zero{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}};
  EXPECT_EQ(to_string(one_zero), "2001:db8:0:1:1:1:1:1");  // a single zero group is not compressed
}

}  // namespace
}  // namespace chconn
