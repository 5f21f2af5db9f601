// A database holding a table of every column type the 18.16 server can store (`all_types`), a
// Nested table (`nested`), a LowCardinality table (`lc`) and an empty one (`empty`), filled with edge
// values. The CLI comparison reads them through chconn and clickhouse-client; the insert round trip
// copies them through chconn's insert(). The LowCardinality table needs the setting
// allow_experimental_low_cardinality_type=1 on 18.16.
#pragma once

#include <string>
#include <vector>

#include "chconn/connection/result.h"
#include "chconn/format/text.h"

namespace chconn::test {

// The tables every-type tests go through, each with a column `id` to order by.
inline const char* const k_all_types_tables[] = {"all_types", "nested", "lc"};

// The set-up script (statements separated by ';') that (re)creates database `db`. Every INSERT is
// INSERT ... SELECT: an 18.16 server does not itself parse VALUES sent in a query's text.
inline std::string all_types_setup(const std::string& db) {
  std::string sql = R"sql(
DROP DATABASE IF EXISTS chconn_cli_cmp;
CREATE DATABASE chconn_cli_cmp;
CREATE TABLE chconn_cli_cmp.all_types (
  id UInt8, i8 Int8, i16 Int16, i32 Int32, i64 Int64, u8 UInt8, u16 UInt16, u32 UInt32, u64 UInt64,
  f32 Float32, f64 Float64, d32 Decimal32(3), d64 Decimal64(6), d128 Decimal128(20),
  s String, fs FixedString(5), d Date, dt DateTime, dtt DateTime('Asia/Tokyo'), dtn DateTime('America/New_York'),
  u UUID, e8 Enum8('a' = 1, 'b\'q' = 2, 'c\td' = -5), e16 Enum16('x' = -1000, 'y' = 1000),
  ns Nullable(String), ni Nullable(Int32), nd Nullable(Date),
  a Array(UInt32), aa Array(Array(String)), an Array(Nullable(String)),
  t Tuple(Int8, String, Nullable(Float64), Array(Date))
) ENGINE = Memory;
INSERT INTO chconn_cli_cmp.all_types SELECT 1, toInt8(-128), toInt16(-32768), toInt32(-2147483648),
  toInt64(-9223372036854775808), toUInt8(0), toUInt16(0), toUInt32(0), toUInt64(0), toFloat32(0.1), toFloat64(1e20),
  toDecimal32(-1.5, 3), toDecimal64('0.000001', 6), toDecimal128('-12345678901234567.89012345678901234567', 20),
  'plain', toFixedString('ab', 5), toDate('2020-01-02'), toDateTime('2020-01-02 03:04:05'),
  toDateTime('2020-01-02 03:04:05', 'Asia/Tokyo'), toDateTime('2018-03-11 03:00:00', 'America/New_York'),
  toUUID('00112233-4455-6677-8899-aabbccddeeff'), CAST('a' AS Enum8('a' = 1, 'b\'q' = 2, 'c\td' = -5)), CAST('x' AS Enum16('x' = -1000, 'y' = 1000)),
  CAST(NULL AS Nullable(String)), CAST(NULL AS Nullable(Int32)), CAST(NULL AS Nullable(Date)), emptyArrayUInt32(),
  arrayFilter(x -> 0, [['a']]), arrayFilter(x -> 0, [toNullable('a')]),
  (toInt8(-1), '', CAST(NULL AS Nullable(Float64)), emptyArrayDate());
INSERT INTO chconn_cli_cmp.all_types SELECT 2, toInt8(127), toInt16(32767), toInt32(2147483647),
  toInt64(9223372036854775807), toUInt8(255), toUInt16(65535), toUInt32(4294967295), toUInt64(18446744073709551615),
  toFloat32(-0.), toFloat64(1e-7), toDecimal32('999999.999', 3), toDecimal64('-9999.999999', 6), toDecimal128(0, 20),
  'tab\there\nnew\\line\'q"d\0z', toFixedString('a\tb\0c', 5), toDate('1970-01-02'), toDateTime('1970-01-02 00:00:00'),
  toDateTime('2100-01-01 00:00:00', 'Asia/Tokyo'), toDateTime('2018-11-04 01:30:00', 'America/New_York'),
  toUUID('01234567-89ab-cdef-0123-456789abcdef'), CAST('b\'q' AS Enum8('a' = 1, 'b\'q' = 2, 'c\td' = -5)), CAST('y' AS Enum16('x' = -1000, 'y' = 1000)),
  toNullable('x\ty'), toNullable(toInt32(42)), toNullable(toDate('2000-02-29')), [toUInt32(1), 2, 4294967295],
  [['a', 'b\'c'], [], ['']], [toNullable('s'), NULL, ''],
  (toInt8(5), 'w\t', toNullable(0.1), [toDate('2020-01-01'), toDate('2021-12-31')]);
INSERT INTO chconn_cli_cmp.all_types SELECT 3, toInt8(0), toInt16(0), toInt32(0), toInt64(0), toUInt8(1), toUInt16(1),
  toUInt32(1), toUInt64(1), toFloat32(inf), toFloat64(nan), toDecimal32(0, 3), toDecimal64(0, 6), toDecimal128(1, 20),
  '', toFixedString('', 5), toDate(0), toDateTime(0), toDateTime('1999-12-31 23:59:59', 'Asia/Tokyo'),
  toDateTime('2000-06-15 12:00:00', 'America/New_York'), toUUID('00000000-0000-0000-0000-000000000000'),
  CAST('c\td' AS Enum8('a' = 1, 'b\'q' = 2, 'c\td' = -5)), CAST('x' AS Enum16('x' = -1000, 'y' = 1000)), toNullable(''), toNullable(toInt32(-1)), toNullable(toDate(0)),
  [toUInt32(0)], [emptyArrayString()], [CAST(NULL AS Nullable(String))],
  (toInt8(0), 'é', toNullable(-0.), emptyArrayDate());
CREATE TABLE chconn_cli_cmp.nested (id UInt8, n Nested(a UInt8, b String)) ENGINE = Memory;
INSERT INTO chconn_cli_cmp.nested SELECT 1, [toUInt8(1), 2], ['x', 'y\''];
INSERT INTO chconn_cli_cmp.nested SELECT 2, emptyArrayUInt8(), emptyArrayString();
CREATE TABLE chconn_cli_cmp.lc (id UInt8, s LowCardinality(String), ns LowCardinality(Nullable(String))) ENGINE = Memory;
INSERT INTO chconn_cli_cmp.lc SELECT 1, 'a', CAST(NULL AS Nullable(String));
INSERT INTO chconn_cli_cmp.lc SELECT 2, 'b\t', toNullable('x');
INSERT INTO chconn_cli_cmp.lc SELECT 3, 'a', toNullable('x');
INSERT INTO chconn_cli_cmp.lc SELECT 4, '', toNullable('');
CREATE TABLE chconn_cli_cmp.empty (x UInt8, s String) ENGINE = Memory;
)sql";
  const std::string placeholder = "chconn_cli_cmp";
  for (std::size_t at = sql.find(placeholder); at != std::string::npos; at = sql.find(placeholder, at + db.size())) {
    sql.replace(at, placeholder.size(), db);
  }
  return sql;
}

// Every value of every block of `r` as the server renders it (TSV escaping), one line per row: what
// the every-type round trips compare.
inline std::vector<std::string> rendered_rows(const Result& r) {
  std::vector<std::string> rows;
  for (const Block& b : r.blocks) {
    for (std::size_t i = 0; i < b.rows(); ++i) {
      std::string line;
      for (std::size_t c = 0; c < b.column_count(); ++c) {
        if (c) line += '\t';
        text::append_value(line, *b.column(c), i, text::Escaping::tsv);
      }
      rows.push_back(std::move(line));
    }
  }
  return rows;
}

}  // namespace chconn::test
