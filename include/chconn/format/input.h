// Text input: rows in ClickHouse's text formats parsed into typed blocks of a table's structure,
// block by block, for a streaming insert (chconn/connection/insert_source.h).
//
// TextInsertSource is an InsertSource: the connection hands it the server's sample block (the
// table's columns with exact types), and it reads rows from a ByteSource into blocks of those
// columns, at most InputOptions::max_block_rows rows or max_block_bytes bytes of text per block.
// Memory is bounded by one block plus one read buffer: nothing else of the input is kept.
//
// The input rules are ClickHouse 18.16's (checked against its clickhouse-client, see
// tests/unit/format/input_test.cpp for the cases and what the server did with them):
//   * TabSeparated (TSV): fields split by \t, rows by \n; escapes \b \f \n \r \t \0 \\ \' \a \v \e
//     and \xHH, any other escaped byte stands for itself, a backslash before a newline is a newline;
//     a field that is exactly \N is NULL. TabSeparatedWithNames and ...WithNamesAndTypes skip their
//     one or two header rows (the columns are taken in the table's order, as 18.16 does).
//   * TSKV: a line of key=value fields split by tabs, escaped as TabSeparated, keys in any order;
//     a "tskv" field is skipped, a column without a key gets its default, an empty line is a row
//     of defaults; an unknown key (unless skip_unknown_fields), a key twice, a field without '='
//     and a last line without its newline are errors, as in 18.16.
//   * CSV: fields split by ',', rows by \n or \r\n; a field in "double" or 'single' quotes may hold
//     the delimiters, a doubled quote stands for one; an unquoted \N is NULL. CSVWithNames skips
//     its header row.
//   * JSONEachRow: one JSON object per row, keys naming columns (any order); a column without a
//     key gets its type's default (0, '', NULL), not the column's DEFAULT expression, as 18.16's
//     client does (18.16 has no input_format_defaults_for_omitted_fields; a column left out of
//     the INSERT's column list is filled by the server with its DEFAULT); a key naming no column is
//     an error (skip_unknown_fields turns it off).
//   * Values: (v, v, ...) rows with optional commas between, read with the SQL lexer
//     (chconn/core/sql.h), up to the end of the input or a ';' between rows (what follows the ';'
//     is not read, as in 18.16). A field is a literal (a number with its sign, nan, inf, 'string', NULL,
//     and [arrays], (tuples), {maps} of those) or else an expression (now(), 1+1, toDate('...'),
//     -x, an identifier): an expression needs its value from evaluate_values_expressions() in
//     InputOptions::evaluated, and is an error without one. The value is converted to the column's
//     type as 18.16 converts it (a number into a String column is a type mismatch).
//   * Native: blocks in the native encoding of revision 0 (as clickhouse-client writes FORMAT
//     Native: per block its column and row counts, then each column's name, type and data), read
//     one at a time with the wire decoder and its limits (DecodeLimits). Each block must have the
//     table's columns, by name in any order, with the table's exact types; a block that has not
//     (18.16's client sends such a block on as it is, and 18.16's server can store it corrupt) or
//     that is malformed is Error(usage) naming the block. max_block_rows/bytes do not apply.
//   * RowBinary: row after row, each value of the table's columns in order in its binary form
//     (fixed-width values little-endian, String a varint length and bytes, Nullable a byte 1 for
//     NULL or 0 and the value, Array a varint count and the elements, Tuple its elements). A row
//     cut short or a value the wire decoder refuses is Error(usage) naming the row and column;
//     a LowCardinality(T) value is written as a T.
//   Inside a field, arrays, tuples and maps are written as in Values ([1,2], ('a',1), {'k':1}).
//   Dates (Date, Date32) are YYYY-MM-DD; date-times YYYY-MM-DD hh:mm:ss (or Unix seconds) in the
//   column's time zone or else InputOptions::time_zone (the session's: the server's
//   ServerInfo::timezone). DateTime64(p), as the current server reads it (checked on 26.7): a
//   date-time with a fraction ".f..." (padded with zeros to p digits, truncated beyond them), a date
//   alone (YYYY-MM-DD or YYYYMMDD: its midnight), or Unix seconds of 9 or 10 digits with a fraction;
//   no sign. Date32 and DateTime64 are refused outside 1900-01-01 ... 2299-12-31 (the server clamps
//   or stores them), DateTime64 also outside its Int64 ticks (DateTime64(9) ends in 2262). Enums by
//   name or number; Bool as true/false or 1/0; BFloat16 as a Float32 cut to 16 bits; integers up to
//   Int256/UInt256 (the wide ones without '+' or leading zeros, as the server) and Decimal up to
//   Decimal256 in their full range; a number out of its type's range is an error (the server stores
//   an out-of-range integer wrapped). Time and Time64(p) as "[-]hh:mm:ss[.f...]" (2 or 3
//   digits of hours, minutes and seconds up to 59; the server also takes mm:ss and bare seconds).
//   Variant, Dynamic and JSON columns are not read from text yet (Error(usage) at start()).
//   With InputOptions::date_time_input_format best_effort, DateTime columns also read what 18.16's
//   parseDateTimeBestEffort reads (date_time_input_format = 'best_effort', checked against 18.16's
//   clickhouse-client): ISO 8601 "YYYY-MM-DDThh:mm:ss[.fraction]" with 'Z' or an offset +hh, +hhmm,
//   +hh:mm (or -); "YYYY-MM-DD hh:mm:ss", "YYYY/M/D h:m:s" (any one delimiter after a 4-digit year);
//   YYYYMMDD, YYYYMMDDhhmmss, YYYYMM; "DD/MM/YYYY" and "DD/MM/YY"; hh:mm without seconds; month
//   names (Jan ... Dec, any case and length), weekday names and one ',' after them (ignored: "Mon,
//   01 Jan 2018"; but 18.16 takes the T of Tue and Thu for the date-time separator and refuses the
//   rest), AM/PM, and the zones UTC, GMT, Z, MSK and MSD; missing parts are 2000, January, the
//   1st and midnight (an empty field is 2000-01-01 00:00:00, as in 18.16); 9 or 10 digits are Unix
//   seconds (read as their value: 18.16's client adds them to an uninitialised variable, later
//   servers fixed it). A time without a zone is in the column's (or the session's) zone. Where 18.16
//   computes an invalid date anyway (month 13, year 1969, hour 25: it stores 1970-01-01 or the zero
//   time), it is an error here; a day past its month's end (02-30) rolls over, as in 18.16.
//   DateTime64 keeps its own forms.
//
// A value that cannot be read is Error(usage) naming the row, the line, the column and the value
// (at most 64 bytes of it); what became of the blocks already sent is added by the insert
// (Connection::insert: the server kept them). A row longer than max_row_bytes is an error before
// it is buffered whole.
//
// Which source: a ByteSource (a pull reader of bytes, with adapters for a std::istream and for
// bytes in memory), not a std::istream alone: a reader of a file descriptor, a socket or a
// decompressor is a few lines, and the parser works on memory in tests and the fuzz target.
//
// Thread safety: a TextInsertSource and its ByteSource are used by one thread at a time (the one
// running the insert). Lifetimes: the ByteSource must outlive the TextInsertSource.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/connection/connection.h"
#include "chconn/connection/insert_source.h"
#include "chconn/format/text.h"
#include "chconn/wire/block.h"
#include "chconn/wire/types.h"

namespace chconn::text {

enum class InputFormat : std::uint8_t {
  tab_separated,                       // TabSeparated, TSV
  tab_separated_with_names,            // TabSeparatedWithNames, TSVWithNames
  tab_separated_with_names_and_types,  // TabSeparatedWithNamesAndTypes, TSVWithNamesAndTypes
  csv,                                 // CSV
  csv_with_names,                      // CSVWithNames
  json_each_row,                       // JSONEachRow
  values,                              // Values
  tskv,                                // TSKV
  native,                              // Native (blocks, not text)
  row_binary,                          // RowBinary (binary rows, not text)
};

// The format named `name`, ignoring ASCII case as clickhouse-client does ("csv", "tsv"), or nullopt.
std::optional<InputFormat> parse_input_format(std::string_view name) noexcept;
std::string_view to_string(InputFormat format) noexcept;
// The names parse_input_format() accepts, for help texts and messages.
std::string_view input_format_names() noexcept;

// A pull reader of bytes.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `size` bytes into `data`; returns how many, 0 only at the end of the input.
  // Throws on a read error (the insert then ends as insert_source.h says).
  virtual std::size_t read(char* data, std::size_t size) = 0;
};

// Bytes in memory (inline data of a statement, tests). The bytes must outlive the source.
class MemoryByteSource final : public ByteSource {
 public:
  explicit MemoryByteSource(std::string_view bytes) noexcept : bytes_(bytes) {}
  std::size_t read(char* data, std::size_t size) override;

 private:
  std::string_view bytes_;
};

// A std::istream (a file, std::cin). A stream that fails other than at its end is Error(usage).
class StreamByteSource final : public ByteSource {
 public:
  explicit StreamByteSource(std::istream& in) noexcept : in_(in) {}
  std::size_t read(char* data, std::size_t size) override;

 private:
  std::istream& in_;
};

// The value of a Values field that is an expression, as the server computed it.
struct EvaluatedValue {
  std::size_t row = 0;     // the row of the data, from 1
  std::size_t column = 0;  // the field of the row, from 0
  std::string literal;     // the value in Values syntax ('2000-01-01', [1,2], NULL)
  TypeRef type;            // the expression's type
};

// How DateTime text is read (the setting date_time_input_format).
enum class DateTimeInputFormat : std::uint8_t {
  basic,        // "YYYY-MM-DD hh:mm:ss" (or with a 'T') in the column's zone, or Unix seconds
  best_effort,  // also the forms of ClickHouse's parseDateTimeBestEffort (see the top of this file)
};

struct InputOptions {
  // Rows per block at most (clickhouse-client's max_insert_block_size).
  std::size_t max_block_rows = 1048576;
  // Bytes of input text per block at most: a block ends after the row that reaches it. 1 MiB (as
  // the server's max_compress_block_size) keeps a load's memory small and lets the server work on
  // one block while the next is parsed: 10^6 rows of (UInt64, String, Float64, DateTime,
  // Array(String)) through the CLI took 1.85 s and 90 MiB with 32 MiB blocks, 0.9-1.0 s and 13 MiB
  // with 1 MiB. The server squashes small blocks (min_insert_block_size_rows), so a MergeTree
  // table still gets one part per insert of up to 1048576 rows.
  std::size_t max_block_bytes = std::size_t{1} << 20;
  // One row's text at most (a TSV or CSV line, a JSON object, a Values tuple); a longer one is
  // Error(usage) once this much of it was read.
  std::size_t max_row_bytes = std::size_t{64} << 20;
  // The zone of DateTime columns whose type names none: the session's (ServerInfo::timezone).
  // Empty: UTC for a TextInsertSource, the server's zone for insert_text().
  std::string time_zone;
  // JSONEachRow and TSKV: ignore keys that name no column (input_format_skip_unknown_fields).
  bool skip_unknown_fields = false;
  // date_time_input_format: how DateTime columns read their text.
  DateTimeInputFormat date_time_input_format = DateTimeInputFormat::basic;
  // Where zones are read; null: the source keeps its own.
  std::shared_ptr<TimeZones> time_zones;
  // Values: what follows the ';' that ends the data. false (the default): anything but blanks
  // there is Error(usage), so that "(1); (2)" does not insert one row and drop the other without a
  // word. true: it is not read at all, as clickhouse-client 18.16 does with the rest of an INSERT's
  // line and with stdin (the CLI sets it).
  bool values_ignore_after_end = false;
  // The name used in messages ("insert into db.t").
  std::string what = "the input";
  // Values: the values of the fields that are expressions, from evaluate_values_expressions() over
  // the same data. Null: an expression is Error(usage) (data on stdin is streamed, so its
  // expressions cannot be evaluated before the insert starts).
  std::shared_ptr<const std::vector<EvaluatedValue>> evaluated;
};

class TextInsertSource final : public InsertSource {
 public:
  TextInsertSource(InputFormat format, ByteSource& in, InputOptions options = {});
  ~TextInsertSource() override;
  TextInsertSource(const TextInsertSource&) = delete;
  TextInsertSource& operator=(const TextInsertSource&) = delete;

  // Builds a reader per column of `sample` (Error(usage) for a column type it cannot read).
  void start(const Block& sample) override;
  // The next block of at most max_block_rows rows, or nullopt at the end of the input.
  std::optional<Block> next() override;

  // Rows read so far (in blocks returned).
  std::size_t rows_read() const noexcept;
  // Whether next() threw because a row of the input could not be read (bad data, as opposed to a
  // failing ByteSource or an unreadable column type): the CLI reports those as clickhouse-client
  // reports its parse errors.
  bool failed_row() const noexcept;
  // ClickHouse's error code for that row, as clickhouse-client 18.16 gives it: 27 (Cannot parse
  // input) for most; for Values, 53 (type mismatch) for a value of another type such as
  // ['a', NULL] into Array(String), and 321 for NULL into a column that is not Nullable.
  int failed_code() const noexcept;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

struct EvaluateOptions {
  // One SELECT's text at most: expressions are sent in batches under it (18.16's max_query_size is
  // 256 KiB); a single longer expression goes alone and the server may refuse it.
  std::size_t max_query_bytes = std::size_t{128} << 10;
  // The values' text at most, all batches together; more is Error(usage).
  std::size_t max_result_bytes = std::size_t{64} << 20;
  // Rows of Values data at most, as InputOptions::max_row_bytes bounds one row.
  std::size_t max_row_bytes = std::size_t{64} << 20;
};

// Evaluates the fields of Values `data` (already in memory: inline data of an INSERT) that are
// expressions, on the server over `conn`, before the insert starts (a connection cannot run a
// query in the middle of an insert): SELECT e1, e2, ... in batches, each expression's text taken
// from the SQL lexer's tokens of its field (comments become spaces; a field holding a ';' is left
// for the parser to refuse), so an expression can never reach past its own field. Returns the values
// in the order of the data, for InputOptions::evaluated. One giving other than one
// row is Error(usage). An expression the server cannot evaluate is the server's error as it sent
// it (Error(server), "Unknown identifier: x"), nothing inserted. Data that is not valid Values
// stops the scan: the parser reports it.
std::vector<EvaluatedValue> evaluate_values_expressions(Connection& conn, std::string_view data,
                                                        const QueryOptions& query = {}, EvaluateOptions options = {});

// Loads `source`, text in `format`, into `table` (as Connection::insert takes it) over `conn`:
// the streaming insert with a TextInsertSource whose time zone is the server's unless `options`
// names one. Returns the rows inserted. Errors as Connection::insert and TextInsertSource.
// (A free function of the format layer, over a Connection: the Client and the manager take the
// TextInsertSource through their insert(table, source).)
std::size_t insert_text(Connection& conn, std::string_view table, InputFormat format, ByteSource& source,
                        InputOptions options = {}, const QueryOptions& query = {});

}  // namespace chconn::text
