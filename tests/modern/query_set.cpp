// See query_set.h.
#include "modern/query_set.h"

namespace chconn::test {

const std::vector<ModernQuery>& decode_queries() {
  static const std::vector<ModernQuery> queries = {
      // ----- integers
      {"int8_16",
       "SELECT toInt8(-128) a, toInt8(127) b, toUInt8(0) c, toUInt8(255) d, toInt16(-32768) e, "
       "toInt16(32767) f, toUInt16(65535) g"},
      {"int32_64",
       "SELECT toInt32(-2147483648) a, toInt32(2147483647) b, toUInt32(4294967295) c, "
       "toInt64(-9223372036854775808) d, toInt64(9223372036854775807) e, toUInt64(18446744073709551615) f"},
      {"int128",
       "SELECT toInt128('-170141183460469231731687303715884105728') a, "
       "toInt128('170141183460469231731687303715884105727') b, toUInt128('340282366920938463463374607431768211455') c, "
       "toInt128(-1) d, toUInt128(0) e"},
      {"int256",
       "SELECT toInt256('-57896044618658097711785492504343953926634992332820282019728792003956564819968') a, "
       "toInt256('57896044618658097711785492504343953926634992332820282019728792003956564819967') b, "
       "toUInt256('115792089237316195423570985008687907853269984665640564039457584007913129639935') c, "
       "toInt256(-1) d, toUInt256(12345678901234567890) e"},
      {"int_rows",
       "SELECT number a, toInt64(number) - 5 b, toInt8(number * 40) c, toUInt16(number * 9999) d "
       "FROM numbers(10)"},
      {"int_wide_rows",
       "SELECT toInt128(number) * toInt128('-1000000000000000000000') a, "
       "toUInt256(number) * toUInt256('10000000000000000000000000') b FROM numbers(5)"},
      // ----- floats
      {"float_common",
       "SELECT toFloat32(1.5) a, toFloat64(0.1) b, toFloat64(1e21) c, 1e-7 d, 1.5e-7 e, "
       "123456789012345680000.0 f, toFloat32(0.1) g, 100. h, -2.5 i"},
      {"float_special", "SELECT nan a, inf b, -inf c, -0.0 d, toFloat32(nan) e, toFloat32(-inf) f, -nan g"},
      {"float_limits",
       "SELECT toFloat32(3.4028235e38) a, toFloat64(1.7976931348623157e308) b, toFloat64(5e-324) c, "
       "toFloat32(1e-45) d, toFloat64(2.2250738585072014e-308) e, toFloat32(-1.17549435e-38) f"},
      {"float_rows",
       "SELECT number / 7 a, toFloat32(number / 3) b, pow(10, number) c, pow(10, -toInt64(number)) d "
       "FROM numbers(25)"},
      // ----- decimals
      {"decimal32",
       "SELECT toDecimal32(1.5, 2) a, toDecimal32(-1.5, 2) b, toDecimal32(0, 4) c, toDecimal32(-0.01, 2) d, "
       "CAST('999999999' AS Decimal(9, 0)) e, CAST('-0.999999999' AS Decimal(9, 9)) f, toDecimal32(10, 1) g"},
      {"decimal64",
       "SELECT toDecimal64(123.456, 6) a, toDecimal64(-1, 10) b, CAST('-999999999999999999' AS Decimal(18, 0)) c, "
       "CAST('0.000000000000000001' AS Decimal(18, 18)) d, toDecimal64(100, 3) e"},
      {"decimal128",
       "SELECT toDecimal128('1.10', 20) a, CAST('-99999999999999999999999999999999999999' AS Decimal(38, 0)) b, "
       "CAST('0.00000000000000000000000000000000000001' AS Decimal(38, 38)) c, toDecimal128(-7, 5) d"},
      {"decimal256",
       "SELECT toDecimal256('-12345.678900', 40) a, "
       "CAST('9999999999999999999999999999999999999999999999999999999999999999999999999999' AS Decimal(76, 0)) b, "
       "CAST('-1.5' AS Decimal(76, 38)) c, toDecimal256(0, 10) d"},
      {"decimal_rows",
       "SELECT toDecimal32(number / 4, 3) a, toDecimal64(-number / 8, 5) b, "
       "toDecimal128(number * 1000, 2) c FROM numbers(9)"},
      // ----- strings
      {"string_plain", "SELECT '' a, 'a' b, 'hello world' c, 'a,b' d, '/slash' e"},
      {"string_escapes",
       "SELECT 'tab\\there' a, 'nl\\nx' b, 'quote''s' c, 'dq\"x' d, 'back\\\\slash' e, 'nul\\0x' f, "
       "'cr\\rx' g, 'bs\\bx' h, 'ff\\fx' i"},
      {"string_controls", "SELECT '\\x01\\x1f\\x7f' a, char(27) b, char(0) c"},
      {"string_unicode",
       "SELECT 'caf\\xC3\\xA9' a, '日本語' b, 'emoji 😀' c, 'ü' d, char(0xE2, 0x80, 0xA8) e, "
       "char(0xE2, 0x80, 0xA9) f"},
      {"string_invalid_utf8", "SELECT unhex('FF80') a, unhex('C3') b, unhex('E282') c"},
      {"string_rows", "SELECT toString(number) a, repeat('x', number) b FROM numbers(12)"},
      {"fixed_string",
       "SELECT toFixedString('ab', 5) a, toFixedString('', 3) b, toFixedString('abc', 3) c, "
       "toFixedString('a\\tb', 4) d, toFixedString('é', 2) e"},
      // ----- dates and times
      {"date", "SELECT toDate('1970-01-01') a, toDate('2149-06-06') b, toDate('2000-02-29') c, toDate('2024-12-31') d"},
      {"date32",
       "SELECT toDate32('1900-01-01') a, toDate32('2299-12-31') b, toDate32('1969-12-31') c, "
       "toDate32('1970-01-01') d"},
      {"date_rows",
       "SELECT toDate('2000-01-01') + number * 1000 a, toDate32('1900-01-01') + number * 20000 b "
       "FROM numbers(8)"},
      {"datetime_server_zone", "SELECT toDateTime('2024-03-10 02:30:00') a, toDateTime(0) b, toDateTime(4294967295) c"},
      {"datetime_utc", "SELECT toDateTime(1700000000, 'UTC') a"},
      {"datetime_zone", "SELECT toDateTime(1700000000, 'Asia/Tokyo') a"},
      {"datetime_zone_nested",
       "SELECT [toDateTime(1, 'Asia/Kolkata')] a, tuple(toDateTime(1700000000, 'America/New_York')) b, "
       "toNullable(toDateTime(0, 'Europe/Moscow')) c"},
      {"datetime_rows", "SELECT toDateTime(1000000000 + number * 100000000, 'UTC') a FROM numbers(5)"},
      {"datetime64",
       "SELECT toDateTime64('2024-01-02 03:04:05.123', 3, 'UTC') a, toDateTime64('1900-01-01 00:00:00', 0, 'UTC') b, "
       "toDateTime64('2262-04-11 23:47:16.854775807', 9, 'UTC') c, toDateTime64(-1.5, 1, 'UTC') d"},
      {"datetime64_zones",
       "SELECT [toDateTime64('1969-12-31 23:59:59.999999', 6, 'America/New_York')] a, "
       "[toDateTime64('2024-06-01 12:00:00.5', 2, 'Asia/Kathmandu')] b, "
       "[toDateTime64('1950-06-01 12:00:00', 0, 'Europe/London')] c"},
      {"datetime64_server_zone", "SELECT toDateTime64('2024-01-02 03:04:05.678', 3) a, toDateTime64(0, 6) b"},
      {"datetime64_precisions",
       "SELECT toDateTime64(1234567890.123456789, 0, 'UTC') p0, toDateTime64(1234567890.123456789, 1, 'UTC') p1, "
       "toDateTime64(1234567890.123456789, 4, 'UTC') p4, toDateTime64(1234567890.123456789, 8, 'UTC') p8"},
      {"datetime64_pre1970",
       "SELECT toDateTime64('1900-01-01 00:00:00.001', 3, 'UTC') a, "
       "toDateTime64('1969-12-31 23:59:59.9', 1, 'UTC') b"},
      {"datetime64_far_future", "SELECT toDateTime64('2299-12-31 23:59:59.99', 2, 'UTC') a"},
      // ----- UUID, IP
      {"uuid",
       "SELECT toUUID('00000000-0000-0000-0000-000000000000') a, toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0') b, "
       "toUUID('ffffffff-ffff-ffff-ffff-ffffffffffff') c"},
      {"ipv4",
       "SELECT toIPv4('0.0.0.0') a, toIPv4('255.255.255.255') b, toIPv4('192.168.1.1') c, toIPv4('10.0.0.255') d"},
      {"ipv6",
       "SELECT toIPv6('::') a, toIPv6('::1') b, toIPv6('2001:db8::1') c, toIPv6('::ffff:1.2.3.4') d, "
       "toIPv6('fe80::1:2:3:4') e, toIPv6('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff') f, toIPv6('1:0:0:1::') g"},
      // ----- enums, bool
      {"enum8", "SELECT CAST('a' AS Enum8('a' = -128, 'b' = 127)) a, CAST('b' AS Enum8('a' = -128, 'b' = 127)) b"},
      {"enum16",
       "SELECT CAST('x''y' AS Enum16('x''y' = -32768, 'z' = 1000)) a, CAST('z' AS Enum16('x''y' = -32768, 'z' = 1000)) "
       "b"},
      {"enum_escapes",
       "SELECT CAST('t\\tab' AS Enum8('t\\tab' = 1, 'é,\"q\"' = 2)) a, CAST('é,\"q\"' AS Enum8('t\\tab' = 1, 'é,\"q\"' "
       "= 2)) b"},
      {"bool", "SELECT true a, false b, [true, false] c, CAST(NULL AS Nullable(Bool)) d, toBool(1) e"},
      // ----- Nullable
      {"nullable_scalars",
       "SELECT NULL a, CAST(NULL AS Nullable(Int32)) b, toNullable(1) c, CAST(NULL AS Nullable(String)) d, "
       "toNullable('x') e"},
      {"nullable_rows",
       "SELECT if(number % 2 = 0, NULL, number) a, if(number % 3 = 0, NULL, toString(number)) b FROM numbers(7)"},
      {"nullable_types",
       "SELECT toNullable(toDecimal64(-1.5, 3)) a, toNullable(toDateTime64(0, 3, 'UTC')) b, "
       "toNullable(toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0')) c, toNullable(toFixedString('ab', 2)) d, "
       "toNullable(toDate('2000-01-01')) e, toNullable(toIPv6('::1')) f, toNullable(nan) g"},
      // ----- arrays
      {"array_basic", "SELECT [] a, [1, 2, 3] b, ['a', 'b'] c, emptyArrayString() d, [NULL] e"},
      {"array_nested", "SELECT [[1], [], [2, 3]] a, [['a'], ['b', 'c']] b, [[[]]] c, [[[1, 2]], [[3]]] d"},
      {"array_rows", "SELECT range(number) a, arrayMap(x -> toString(x), range(number)) b FROM numbers(6)"},
      {"array_nullable", "SELECT [NULL, 1] a, ['x', NULL, 'y'] b, [[NULL], [1, NULL]] c, [toNullable(nan), NULL] d"},
      {"array_strings_escaped", "SELECT ['a''b', 'c\\\\d', 'e\\nf', 't\\tg', '日本'] a, [toFixedString('a\\'', 2)] b"},
      {"array_typed",
       "SELECT [toDecimal32(-1.5, 2), 3] a, [toDate('2000-01-01')] b, [toDateTime64(1.5, 3, 'UTC')] c, "
       "[toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0')] d, [toIPv4('1.2.3.4')] e, [toIPv6('::1')] f, "
       "[CAST('a' AS Enum8('a' = 1))] g, [nan, inf, -0.] h, [toDate32('1900-01-01')] i"},
      {"array_of_tuples", "SELECT [(1, 'a'), (2, 'b')] a, [CAST((1, 'x') AS Tuple(k Int32, v String))] b"},
      {"array_of_maps", "SELECT [map('a', 1), map()] a"},
      {"array_wide_ints",
       "SELECT [toInt128(-1), toInt128(2)] a, [toUInt256(3)] b, [toInt64(-9223372036854775808)] c, "
       "[toUInt64(18446744073709551615)] d"},
      // ----- tuples
      {"tuple_unnamed", "SELECT (1, 'a') a, tuple(1, NULL) b, ((1, 2), 'x') c, (1, [1, 2], 'q''') d"},
      {"tuple_named",
       "SELECT CAST((1, 'x') AS Tuple(a Int32, b String)) a, "
       "CAST(((1, 2), 'y') AS Tuple(p Tuple(x UInt8, y UInt8), s String)) b"},
      {"tuple_typed",
       "SELECT (toDecimal64(-2.5, 4), toDate('2020-02-02'), toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0'), "
       "toIPv4('1.2.3.4'), nan, toInt128(-5), true) a"},
      {"tuple_rows", "SELECT (number, toString(number), [number]) a FROM numbers(4)"},
      {"tuple_single", "SELECT tuple(1) a, tuple('x') b"},
      {"tuple_empty", "SELECT tuple() a"},
      {"tuple_empty_rows", "SELECT tuple() a, number b FROM numbers(3)"},
      {"tuple_with_map", "SELECT (1, map('a', 1)) a"},
      // ----- maps
      {"map_basic", "SELECT map('a', 1, 'b', 2) a, map() b, map(1, [1, 2]) c, map('k', NULL) d"},
      {"map_nested", "SELECT map('x', map('y', 1)) a, map('t', (1, 'z')) b"},
      {"map_lowcardinality_key", "SELECT CAST(map('a', 1) AS Map(LowCardinality(String), UInt64)) a"},
      {"map_rows", "SELECT mapFromArrays(arrayMap(x -> toString(x), range(number)), range(number)) a FROM numbers(5)"},
      {"map_escaped_keys", "SELECT map('a''b', 'c\\nd', 'é', '\"') a"},
      // ----- LowCardinality
      {"lc_string", "SELECT toLowCardinality('a') a, toLowCardinality('') b"},
      {"lc_nullable", "SELECT toLowCardinality(toNullable('b')) a, CAST(NULL AS LowCardinality(Nullable(String))) b"},
      {"lc_fixed_string", "SELECT toLowCardinality(toFixedString('ab', 2)) a"},
      {"lc_numbers",
       "SELECT toLowCardinality(toUInt32(5)) a, toLowCardinality(toInt64(-1)) b, toLowCardinality(1.5) c, "
       "toLowCardinality(toDate('2000-01-01')) d"},
      {"lc_rows",
       "SELECT toLowCardinality(toString(number % 3)) a, "
       "toLowCardinality(if(number % 2 = 1, NULL, toString(number))) b FROM numbers(10)"},
      {"lc_in_array", "SELECT [toLowCardinality('x'), toLowCardinality('y')] a"},
      {"lc_many", "SELECT toLowCardinality(toString(number % 300)) a FROM numbers(999)"},
      // ----- Nothing
      {"nothing", "SELECT NULL a, [] b, [NULL] c, map() d"},
      // ----- geo
      {"geo_point", "SELECT CAST((1.5, 2) AS Point) a"},
      {"geo_ring", "SELECT CAST([(0, 0), (1, 0), (1, 1)] AS Ring) a"},
      {"geo_polygon", "SELECT CAST([[(0, 0), (1, 0), (1, 1)], [(0.25, 0.25), (0.5, 0.25)]] AS Polygon) a"},
      {"geo_multipolygon", "SELECT CAST([[[(0, 0), (1, 0), (1, 1)]], [[(2, 2), (3, 3)]]] AS MultiPolygon) a"},
      {"geo_lines",
       "SELECT CAST([(0, 0), (1, 1)] AS LineString) a, CAST([[(0, 0)], [(1, 1), (2, 2)]] AS MultiLineString) b"},
      // ----- Variant
      {"variant_basic",
       "SELECT arrayJoin([CAST(1 AS Variant(UInt8, String)), CAST('ab' AS Variant(UInt8, String)), NULL, "
       "CAST(7 AS Variant(UInt8, String))]) a"},
      {"variant_many_types",
       "SELECT arrayJoin([CAST(toInt64(-1) AS Variant(Int64, String, Array(UInt8), Float64, Date)), "
       "CAST('x\\ty' AS Variant(Int64, String, Array(UInt8), Float64, Date)), "
       "CAST(CAST([1, 2] AS Array(UInt8)) AS Variant(Int64, String, Array(UInt8), Float64, Date)), "
       "CAST(toFloat64(nan) AS Variant(Int64, String, Array(UInt8), Float64, Date)), "
       "CAST(toDate('2000-01-01') AS Variant(Int64, String, Array(UInt8), Float64, Date)), NULL]) a"},
      {"variant_nested",
       "SELECT [CAST(1 AS Variant(UInt8, String)), NULL, CAST('q''' AS Variant(UInt8, String))] a, "
       "tuple(CAST('z' AS Variant(UInt8, String))) b, map('k', CAST(2 AS Variant(UInt8, String))) c"},
      {"variant_composite_types",
       "SELECT CAST(CAST(tuple(1, 'a') AS Tuple(a Int8, b String)) AS Variant(Tuple(a Int8, b String), UInt8)) a, "
       "CAST(map('k', toUInt8(1)) AS Variant(Map(String, UInt8), String)) b, "
       "CAST(toLowCardinality('lc') AS Variant(LowCardinality(String), UInt8)) c"},
      {"variant_wide",
       "SELECT CAST(toInt128(-5) AS Variant(Int128, UInt256, Decimal(38, 4))) a, "
       "CAST(toDecimal128(-1.5, 4) AS Variant(Int128, UInt256, Decimal(38, 4))) b, "
       "CAST(toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0') AS Variant(UUID, IPv4)) c"},
      {"variant_rows",
       "SELECT CAST(if(number % 3 = 0, NULL, if(number % 3 = 1, toString(number), number)) AS Variant(String, UInt64)) "
       "a "
       "FROM numbers(10)"},
      // ----- Dynamic
      {"dynamic_strings", "SELECT arrayJoin([1::Dynamic, 'ab'::Dynamic, NULL, [1, 2]::Dynamic]) a"},
      {"dynamic_types",
       "SELECT multiIf(number % 5 = 0, NULL, number % 5 = 1, number::Dynamic, number % 5 = 2, "
       "toString(number)::Dynamic, "
       "number % 5 = 3, [number]::Dynamic, toDate('2000-01-01')::Dynamic) a FROM numbers(10)"},
      {"dynamic_nested",
       "SELECT [1::Dynamic, 'a'::Dynamic] a, map('k', 1.5::Dynamic) b, tuple(toDecimal64(-1.5, 3)::Dynamic) c"},
      {"dynamic_max_types", "SELECT (number::UInt8)::Dynamic(max_types=3) a FROM numbers(2)"},
      {"dynamic_wide",
       "SELECT multiIf(number = 0, toInt128(-1)::Dynamic, number = 1, "
       "toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0')::Dynamic, "
       "number = 2, toDateTime64(1.5, 3, 'UTC')::Dynamic, toIPv6('::1')::Dynamic) a FROM numbers(4)"},
      {"dynamic_shared_variant",
       "SELECT multiIf(number = 0, number::Dynamic(max_types=1), number = 1, 'x'::Dynamic(max_types=1), "
       "[1]::Dynamic(max_types=1)) a FROM numbers(3)"},
      // ----- BFloat16, Time, Time64, Nullable(Tuple)
      {"bfloat16",
       "SELECT toBFloat16(1.5) a, toBFloat16(-0.1) b, toBFloat16(1e30) c, toBFloat16(nan) d, toBFloat16(-inf) e, "
       "[toBFloat16(3.14159), toBFloat16(1e-40)] f, toNullable(toBFloat16(65504)) g, toBFloat16(1e21) h"},
      {"bfloat16_rows", "SELECT toBFloat16(number / 7 - 3) a, toBFloat16(pow(10, number)) b FROM numbers(30)"},
      {"time",
       "SELECT toTime('12:34:56') a, toTime(-5) b, toTime('999:59:59') c, [toTime(1), toTime(-86399)] d, "
       "toNullable(toTime(0)) e, map(toTime(1), toTime(2)) f, tuple(toTime(36000)) g"},
      {"time64",
       "SELECT toTime64('12:34:56.789', 3) a, toTime64(-1.5, 2) b, toTime64(-0.5, 1) c, toTime64(1, 0) d, "
       "toTime64(3599999.123456789, 9) e, [toTime64(1.25, 6)] f, toNullable(toTime64(-3600.5, 3)) g, "
       "map('k', toTime64(59.999, 3)) h"},
      {"time_rows",
       "SELECT toTime(toInt32(number * 9876 - 100000)) a, toTime64(number * 1234.5678 - 20000, 4) b FROM numbers(40)"},
      {"nullable_tuple",
       "SELECT CAST(if(number = 0, NULL, (number, 'a')) AS Nullable(Tuple(UInt8, String))) a, "
       "[NULL, (number, [NULL, 'x'])] b, map('k', CAST(if(number = 1, NULL, (1.5, NULL)) AS "
       "Nullable(Tuple(Float64, Nullable(String))))) c FROM numbers(3) SETTINGS enable_nullable_tuple_type = 1"},
      {"nullable_tuple_named",
       "SELECT CAST(if(number = 0, NULL, (number, 'a')) AS Nullable(Tuple(x UInt8, y String))) a FROM numbers(2) "
       "SETTINGS enable_nullable_tuple_type = 1"},
      // ----- JSON
      {"json_simple", "SELECT '{\"a\":1,\"b\":\"x\"}'::JSON j"},
      {"json_nested_paths",
       "SELECT '{\"a\":{\"b\":1,\"c\":[1,2]},\"s\":\"x\\\\ty\\\\\"q\",\"n\":null,\"f\":1.5,\"d\":\"2020-01-01\","
       "\"arr\":[{\"x\":1},{\"y\":\"z\"}],\"big\":18446744073709551615,\"e\":{}}'::JSON j"},
      {"json_typed_paths",
       "SELECT '{\"a\":{\"b\":5},\"z\":1,\"q\":2,\"w\":3,\"c\":4,\"k\":[1]}'::JSON(max_dynamic_paths=2, a.b UInt32, "
       "SKIP "
       "c, SKIP REGEXP 'y.*', max_dynamic_types=3, `x y` String) j"},
      {"json_rows",
       "SELECT CAST(concat('{\"id\":', toString(number), if(number % 2 = 0, ',\"even\":true', ''), "
       "if(number % 3 = 0, ',\"tags\":[\"a\",\"b\"]', ''), ',\"n\":{\"x\":', toString(number * 1.5), '}}') AS JSON) j "
       "FROM numbers(10)"},
      {"json_in_containers",
       "SELECT ['{\"a\":1}'::JSON, '{\"b\":\"x\\\\\\\\y\"}'::JSON] a, tuple('{\"a\":1}'::JSON) t, "
       "map('k', '{}'::JSON) m, toNullable('{\"n\":[null, 1]}'::JSON) n"},
      {"json_max_dynamic_types",
       "SELECT CAST(concat('{\"v\":', multiIf(number % 4 = 0, '1', number % 4 = 1, '\"s\"', number % 4 = 2, '[1]', "
       "'1.5'), '}') AS JSON(max_dynamic_types=2)) j FROM numbers(8)"},
      {"json_shared_objects",
       "SELECT '{\"a\":[{\"x\":1},{\"y\":[null,\"s\"]}],\"b\":{\"c\":2},\"n\":null}'::JSON(max_dynamic_paths=0) j, "
       "[j] aj"},
      // Issue 14: both limits written paths first (26.7 names the type max_dynamic_types first), in
      // an Array too, with values beyond the limits in shared data; and typed paths between the
      // parameters (named sorted, after them).
      {"json_both_limits",
       "SELECT CAST(concat('{\"id\":', toString(number), if(number % 2 = 0, ',\"even\":true', ''), "
       "',\"n\":{\"x\":', toString(number * 1.5), '},\"s\":\"v\"}') AS JSON(max_dynamic_paths=2, "
       "max_dynamic_types=2)) j, [j] a FROM numbers(6)"},
      {"json_typed_paths_between_limits",
       "SELECT '{\"b\":1,\"a\":\"x\",\"c\":[1,2],\"d\":{\"e\":true}}'::JSON(max_dynamic_paths=1, b UInt8, "
       "max_dynamic_types=1, a String, SKIP d.e) j"},
      // ----- more combinations: map keys of every kind in JSON, CSV quoting, nested NULLs
      {"map_keys_typed",
       "SELECT map(1, 'a') a, map(toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0'), 1) b, map(toDate('2000-01-01'), 1) "
       "c, "
       "map(toIPv4('1.2.3.4'), 1) d, map(true, 1) e, map(-1.5, 1) f, map(toInt128(-1), 1) g"},
      {"map_keys_more",
       "SELECT map(toDateTime(0, 'UTC'), 1) a, map(toDecimal32(1.5, 2), 1) b, map(CAST('x' AS Enum8('x' = 1)), 1) c, "
       "map(toFixedString('ab', 2), 1) d, map(toIPv6('::1'), [1]) e, map(toUInt64(18446744073709551615), 1) f"},
      {"csv_quoting",
       "SELECT 'a,b' a, 'q\"q' b, '' c, ' lead' d, 'x\\ny' e, [('a,b', NULL)] f, (1, 'x,y', NULL) g, true h, NULL i"},
      {"json_strings",
       "SELECT 'slash/' a, 'bs\\\\' b, 'ctl\\x01\\x1f' c, char(0xE2, 0x80, 0xA8) d, 'q\"' e, 'tab\\t' f, unhex('FF') "
       "g, "
       "'é' h"},
      {"json_numbers",
       "SELECT toFloat32(0.1) a, 1e300 b, -1e-300 c, [inf, -inf, nan] d, toInt64(-1) e, toUInt64(1) f, toInt32(-1) g, "
       "toDecimal64(-0.5, 2) h, [toInt64(1), toInt64(2)] i, map('k', toUInt64(3)) j"},
      {"nullable_nested",
       "SELECT [NULL, (1, 'a')] a, tuple(NULL, [NULL, 'x']) b, map('k', [NULL, 1]) c, [[NULL], [], [1]] d"},
      {"nullable_in_lc_and_tuple",
       "SELECT [toLowCardinality(toNullable('a')), NULL] a, tuple(toLowCardinality(toNullable('x')), 1) b"},
      {"enum_in_containers",
       "SELECT [CAST('a' AS Enum8('a' = 1, 'b' = 2)), CAST('b' AS Enum8('a' = 1, 'b' = 2))] a, "
       "map('k', CAST('b' AS Enum16('a' = -1, 'b' = 1000))) b, toNullable(CAST('a' AS Enum8('a' = 1))) c"},
      {"uuid_ip_containers",
       "SELECT [toUUID('00000000-0000-0000-0000-000000000001')] a, tuple(toIPv4('0.0.0.0'), toIPv6('::ffff:10.0.0.1')) "
       "b, "
       "[toNullable(toIPv6('2001:db8::'))] c"},
      {"dates_in_containers",
       "SELECT [toDate('1970-01-01'), toDate('2149-06-06')] a, (toDate32('1900-01-01'), toDateTime(0, 'UTC')) b, "
       "map('k', toDateTime64('2000-01-01 00:00:00.123', 3, 'Asia/Kolkata')) c"},
      {"datetime_historical",
       "SELECT [toDateTime(-1, 'UTC')] a, [toDateTime64(-2019647088, 0, 'Asia/Kolkata')] b, "
       "[toDateTime64('1900-01-01 00:00:00', 0, 'Europe/Amsterdam')] c, [toDateTime64('1950-06-01 00:00:00', 0, "
       "'Asia/Shanghai')] d"},
      {"datetime64_negative_fraction",
       "SELECT toDateTime64(-0.001, 3, 'UTC') a, toDateTime64(-1.999999, 6, 'UTC') b, toDateTime64(-0.5, 1, "
       "'Asia/Tokyo') c"},
      {"decimal_edge",
       "SELECT toDecimal32(-0.1, 1) a, toDecimal64(0.00001, 5) b, CAST('-99999.99999' AS Decimal(10, 5)) c, "
       "[toDecimal128(-1, 30)] d, toNullable(toDecimal256(100, 2)) e"},
      {"float_formatting",
       "SELECT 1e15 a, 1e16 b, 123456789.123 c, 0.000001 d, 0.0000001 e, toFloat32(16777216) f, toFloat32(1e10) g, "
       "-0.000123 h, 5e-324 i"},
      {"int_widths_in_json_arrays",
       "SELECT [toInt8(-1)] a, [toUInt32(4294967295)] b, [toInt256(-1)] c, [toUInt128(1)] d, tuple(toInt64(5)) e"},
      {"lc_dates_and_numbers",
       "SELECT toLowCardinality(toDateTime(0, 'UTC')) a, toLowCardinality(toDate32('1900-01-01')) b, "
       "toLowCardinality(toNullable(toUInt64(18446744073709551615))) c, "
       "toLowCardinality(toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0')) d"},
      {"lc_fixed_nullable",
       "SELECT toLowCardinality(toNullable(toFixedString('ab', 2))) a, [toLowCardinality(toNullable(toFixedString('c', "
       "2))), NULL] b"},
      {"interval_types", "SELECT toIntervalSecond(5) a, toIntervalDay(-2) b, toIntervalYear(1) c"},
      {"nested_column", "SELECT CAST([(1, 'a'), (2, 'b')] AS Nested(x UInt8, y String)) a"},
      {"array_deep", "SELECT [[[[1]], [[2, 3], []]]] a, [[['x']]] b, [[[NULL]]] c"},
      {"tuple_deep", "SELECT ((1, (2, (3, 'x'))), [(4, (5, NULL))]) a"},
      {"map_of_arrays_of_maps", "SELECT map('a', [map('b', [1, 2])], 'c', []) a"},
      {"bool_everywhere", "SELECT [true] a, map(false, true) b, tuple(true, NULL) c, toNullable(false) d"},
      {"strings_long", "SELECT repeat('abc', 1000) a, repeat('é', 300) b"},
      {"rows_many_types",
       "SELECT number a, toString(number) b, toDate('2020-01-01') + number c, [number] d, (number, 'x') e, "
       "if(number % 2 = 0, NULL, number) f, toDecimal64(number / 3, 4) g, "
       "toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0') h "
       "FROM numbers(50)"},
      // ----- results: shape
      {"empty_result", "SELECT 1 a WHERE 0"},
      {"many_blocks", "SELECT number a, toString(number) b FROM numbers(100) SETTINGS max_block_size = 7"},
      {"many_columns", "SELECT 1 c1, 2 c2, 3 c3, 4 c4, 5 c5, 6 c6, 7 c7, 8 c8, 9 c9, 10 c10, 11 c11, 12 c12, 'x' c13"},
      {"column_names_escaped", "SELECT 1 AS `a b`, 2 AS `tab\\tname`, 3 AS `é`, 4 AS `q\"uote`"},
      {"default_names", "SELECT 1 + 1, 'x' || 'y', [1]"},
      {"simple_aggregate_function", "SELECT CAST(5 AS SimpleAggregateFunction(sum, UInt64)) a"},
      {"nested_flattened", "SELECT * FROM (SELECT [1, 2] AS `n.a`, ['x', 'y'] AS `n.b`)"},
  };
  return queries;
}

}  // namespace chconn::test
