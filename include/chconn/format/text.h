// Text forms of column values and result blocks, as ClickHouse prints them: TabSeparated, CSV,
// JSONEachRow and a PrettyCompact-like table. The format layer: above wire and connection, used by the
// CLI and by users who print results; nothing below it depends on it.
//
// The scalar rules are those of ClickHouse 18.16, checked byte for byte against its
// clickhouse-client (tests/integration/cli_tsv_compare_test.cpp):
//   * TabSeparated escapes \b \f \n \r \t \0 \\ and \' (other bytes as they are) and prints NULL as
//     \N. Inside arrays, tuples and maps values are "quoted": strings, dates, UUIDs and enum names
//     in single quotes ('a\'b'), NULL as NULL: [1,2]  ['a',NULL]  (1,'x')  {'k':1}.
//   * Floats print the shortest text that reads back to the same value, in fixed notation when
//     the decimal exponent is within [-7, 21) and as 1e21 / 1.5e-7 otherwise: inf, -inf, nan, -0.
//   * Decimals print exactly `scale` digits after the point (FormatOptions::decimal_trailing_zeros;
//     servers since 21.9 drop trailing zeros).
//   * CSV quotes strings, dates, enums and whole arrays with "" (doubling inner quotes); a tuple
//     spreads over several fields; NULL is \N.
//   * JSON escapes like ClickHouse (\/ unless json_escape_forward_slashes is off, \u00XX for control
//     bytes, \u2028/\u2029), quotes 64-bit and wider integers (option), prints non-finite floats as
//     null, NULL as null, tuples as arrays.
// Types the 18.16 server lacks (Bool, Map, IPv4/IPv6, Date32, DateTime64, (U)Int128/256) follow
// later servers' text forms.
//
// DateTime values print in the column's time zone, or FormatOptions::server_time_zone when the type
// names none (what the server does with use_client_time_zone = 0). Zones come from the system's
// TZif files (tzdata); a missing zone is Error(config).
//
// Example:
//   chconn::text::FormatOptions options{.server_time_zone = conn.server_info().timezone};
//   chconn::text::BlockFormatter tsv(chconn::text::OutputFormat::tab_separated, options);
//   std::string out;
//   conn.select(sql, [&](const chconn::Block& block) {
//     tsv.write_block(out, block);
//     std::fwrite(out.data(), 1, out.size(), stdout);
//     out.clear();
//   });
//
// Thread safety: all functions are reentrant; a ValueWriter or BlockFormatter is used by one
// thread at a time. A ValueWriter refers to the column it was made for and is valid until that
// column is modified or destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/wire/block.h"
#include "chconn/wire/column.h"

namespace chconn::text {

// How a value is escaped, which also depends on where it stands.
enum class Escaping : std::uint8_t {
  tsv,     // a TabSeparated field: escaped, NULL as \N
  quoted,  // an element inside an array, tuple or map (the Values format): 'quoted', NULL
  csv,     // a CSV field: "quoted" strings, NULL as \N
  json,    // a JSON value
  pretty,  // raw text, as Pretty, Vertical and TSVRaw write a value: strings unescaped, NULL as ᴺᵁᴸᴸ
           // (inside arrays and tuples values are quoted as always)
  xml,     // an XML element's text: & and < escaped, NULL as \N, arrays and tuples as <array>/<tuple>
           // of <elem>
};

// The time zones a formatter reads (from $TZDIR or /usr/share/zoneinfo), each file once: opaque,
// thread-safe, to be shared by formatters that run for a long time side by side.
class TimeZones;
// `directory` empty: $TZDIR, or /usr/share/zoneinfo.
std::shared_ptr<TimeZones> make_time_zones(std::string directory = {});

struct FormatOptions {
  // The time zone for DateTime/DateTime64 columns whose type names none: the server's
  // (ServerInfo::timezone). Empty means UTC.
  std::string server_time_zone = "UTC";
  // output_format_json_quote_64bit_integers: (U)Int64 and wider as JSON strings.
  bool json_quote_64bit_integers = true;
  // output_format_json_quote_denormals: inf/nan as "inf"/"nan" instead of null.
  bool json_quote_denormals = false;
  // output_format_json_escape_forward_slashes: '/' as \/ in JSON strings (values, column names and
  // keys of JSON, JSONCompact and JSONEachRow), as ClickHouse 18.16 and current servers do by default.
  bool json_escape_forward_slashes = true;
  // Dates and times exactly as ClickHouse 18.16 prints them: day 0 as 0000-00-00, DateTime 0 as
  // 0000-00-00 00:00:00, Date days after 2106-02-07 as 1970-01-01 (the end of its date table), and
  // the wall clock computed with its table's arithmetic, which differs from the true one on a few
  // odd days (a DST change at midnight or of 30 minutes, offsets that are not whole minutes).
  // Later servers dropped these; chconn's CLI turns this on for servers older than 21.1 (when
  // exactly each one changed is not pinned down).
  bool legacy_dates = false;
  // output_format_json_named_tuples_as_objects: a named Tuple as a JSON object {"a":1,"b":"x"}
  // (servers since 22.6) instead of an array [1,"x"] (18.16, and unnamed tuples always).
  bool json_named_tuples_as_objects = false;
  // output_format_decimal_trailing_zeros: Decimal text with exactly `scale` digits after the point
  // (1.50), as 18.16 to 21.8 print it, or without trailing zeros and without a point when nothing
  // is left after it (1.5, 10), the default of servers since 21.9.
  bool decimal_trailing_zeros = true;
  // Pretty aligns UUID columns to the right, as 18.16 does; current servers align them to the left.
  // (Numbers, Decimal, Date, Date32, DateTime and DateTime64 are aligned right by both.) The CLI turns
  // this off with legacy_dates, at 21.1; when exactly servers changed is not pinned down.
  bool pretty_align_uuid_right = true;
  // output_format_pretty_max_rows: rows Pretty and Vertical show at most (the rest is counted and
  // "Showed first N." said, as clickhouse-client does).
  std::size_t pretty_max_rows = 10000;
  // Pretty: max_column_pad_width. Widths count up to it; a longer value or name is written whole
  // and unpadded.
  std::size_t pretty_max_column_pad_width = 250;
  // output_format_pretty_color: ANSI bold column names in Pretty formats (not in their NoEscapes
  // variants). clickhouse-client 18.16 turns it on by default even when stdout is not a terminal.
  bool pretty_color = false;
  // output_format_write_statistics: JSON and XML end with "statistics".
  bool write_statistics = true;
  // Where DateTime zones are read; null: each BlockFormatter (or ValueWriter made alone) keeps its own.
  std::shared_ptr<TimeZones> time_zones;
};

// The options whose defaults follow the server's version: those of ClickHouse `major`.`minor`
// (ServerInfo::version_major/minor; 0 for a server that did not say is taken for a current one),
// time zone `server_time_zone` ("" means UTC).
//   legacy_dates and pretty_align_uuid_right: before 21.1 (approximate, see legacy_dates);
//   decimal_trailing_zeros: before 21.9 (output_format_decimal_trailing_zeros defaults to 0 since);
//   json_named_tuples_as_objects: from 22.6 (ClickHouse pull request 37756);
//   json_quote_64bit_integers: before 25.8 (output_format_json_quote_64bit_integers defaults to 0
//   since, ClickHouse pull request 74079).
FormatOptions options_for_server(std::uint64_t major, std::uint64_t minor, std::string server_time_zone);

// Appends values of one column in one escaping. Built once per column (it resolves the column's
// classes, time zones and nested writers up front), then append() is cheap per row.
class ValueWriter {
 public:
  // Throws Error(config) if a DateTime's time zone is not installed, Error(usage) for a column
  // class it does not know.
  ValueWriter(const Column& column, Escaping escaping, const FormatOptions& options = {});
  ~ValueWriter();
  ValueWriter(ValueWriter&&) noexcept;
  ValueWriter& operator=(ValueWriter&&) noexcept;

  // Appends row `row` (< column.size(), not checked) to `out`.
  void append(std::string& out, std::size_t row) const;

  // Whether Pretty tables align this column to the right (numbers).
  bool align_right() const noexcept { return align_right_; }

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
  bool align_right_ = false;
};

// One value, for convenience (builds a ValueWriter each call).
void append_value(std::string& out, const Column& column, std::size_t row, Escaping escaping,
                  const FormatOptions& options = {});
std::string format_value(const Column& column, std::size_t row, Escaping escaping, const FormatOptions& options = {});

// ----- Scalar building blocks ----------------------------------------------------------------------

// TabSeparated escaping (no quotes added): \b \f \n \r \t \0 \\ \' get a backslash form.
void append_escaped(std::string& out, std::string_view s);
// 'escaped' as in the Values format.
void append_quoted(std::string& out, std::string_view s);
// "CSV" with inner " doubled.
void append_csv_string(std::string& out, std::string_view s);
// "JSON" as ClickHouse escapes it; '/' as \/ unless `escape_forward_slashes` is false
// (FormatOptions::json_escape_forward_slashes).
void append_json_string(std::string& out, std::string_view s, bool escape_forward_slashes = true);
// XML element text as ClickHouse 18.16 writes it: '<' as &lt; and '&' as &amp;, nothing else.
void append_xml_escaped(std::string& out, std::string_view s);
// Shortest round-trip text with ClickHouse's notation rules (see the top of this file).
void append_float(std::string& out, double value);
void append_float(std::string& out, float value);
// YYYY-MM-DD of days since 1970-01-01 (negative for Date32).
void append_date(std::string& out, std::int64_t days);
// YYYY-MM-DD hh:mm:ss of Unix seconds in time zone `time_zone` ("" = UTC), read through `zones`
// (null: the zone file is read for this call). Throws Error(config) if the zone is not installed.
void append_date_time(std::string& out, std::int64_t seconds, std::string_view time_zone,
                      const TimeZones* zones = nullptr);

// ----- Whole results -------------------------------------------------------------------------------

// The output formats of clickhouse-client 18.16 (all but ODBCDriver), byte for byte (tests/integration/
// cli_formats_compare_test.cpp runs both clients on the same server). Names as ClickHouse spells
// them, read in any letter case (18.16 itself insists on its spelling).
enum class OutputFormat : std::uint8_t {
  tab_separated,                       // TabSeparated, TSV
  tab_separated_raw,                   // TabSeparatedRaw, TSVRaw: values unescaped, NULL as ᴺᵁᴸᴸ
  tab_separated_with_names,            // TabSeparatedWithNames, TSVWithNames
  tab_separated_with_names_and_types,  // TabSeparatedWithNamesAndTypes, TSVWithNamesAndTypes
  csv,                                 // CSV
  csv_with_names,                      // CSVWithNames
  tskv,                                // TSKV: name=value fields
  values,                              // Values: (1,'a'),(2,'b') without a final line end
  json_each_row,                       // JSONEachRow
  json,                                // JSON: meta, data, totals, extremes, rows, statistics
  json_compact,                        // JSONCompact: JSON with rows as arrays
  xml,                                 // XML
  vertical,                            // Vertical: one "name: value" line per column
  pretty,                              // Pretty: the grid, a table per block
  pretty_no_escapes,                   // PrettyNoEscapes: Pretty without colour
  pretty_compact,                      // PrettyCompact: a table per block
  pretty_compact_no_escapes,           // PrettyCompactNoEscapes
  pretty_compact_mono_block,           // PrettyCompactMonoBlock: one table for the first max_rows rows
  pretty_space,                        // PrettySpace: columns separated by spaces
  pretty_space_no_escapes,             // PrettySpaceNoEscapes
  markdown,                            // Markdown: a table (later servers; 18.16 lacks it)
  row_binary,                          // RowBinary: the values in binary form, row by row
  native,                              // Native: the blocks in the native encoding (binary), no totals
  null,                                // Null: nothing
};

// The format named `name` (any letter case), or nullopt.
std::optional<OutputFormat> parse_output_format(std::string_view name) noexcept;
// The canonical name ("TabSeparated", ...).
std::string_view to_string(OutputFormat format) noexcept;
// The names parse_output_format() accepts, for help texts: "TabSeparated (TSV), ...".
std::string_view output_format_names() noexcept;

// What the server said about a result besides its blocks, for the formats that show it (JSON,
// JSONCompact and XML show rows_before_limit_at_least and statistics; the text formats show totals
// and extremes).
struct ResultSummary {
  const Block* totals = nullptr;
  const Block* extremes = nullptr;
  // ProfileInfo's rows_before_limit, when the server applied a LIMIT (ProfileInfo::applied_limit).
  std::optional<std::uint64_t> rows_before_limit;
  // The sums of the Progress packets (QueryProgress::read_rows / read_bytes).
  std::uint64_t rows_read = 0;
  std::uint64_t bytes_read = 0;
  // statistics.elapsed of JSON and XML: the caller's measure of the query's duration in seconds.
  // It depends on time, so it is given here, not measured by the formatter.
  double elapsed_seconds = 0;
};

// Turns a stream of result blocks into text, appending to a caller's string that the caller
// flushes as it likes (the CLI writes and clears it after every block, so memory stays bounded by
// one block; Pretty keeps no more than one block's cells either, and PrettyCompactMonoBlock the
// blocks of its first max_rows rows).
//
// Call write_block() for each data block, then finish() once with the result's header (used for
// the column names when no data block came) and its summary. A result without columns (DDL) prints
// nothing in any format, unless it has totals or extremes (INSERT ... SELECT ... WITH TOTALS on
// 18.16): then it prints as a result without rows with their columns, as clickhouse-client does.
class BlockFormatter {
 public:
  explicit BlockFormatter(OutputFormat format, FormatOptions options = {});
  ~BlockFormatter();
  BlockFormatter(BlockFormatter&&) noexcept;
  BlockFormatter& operator=(BlockFormatter&&) noexcept;

  void write_block(std::string& out, const Block& block);
  void finish(std::string& out, const Block& header, const ResultSummary& summary);
  void finish(std::string& out, const Block& header, const Block* totals = nullptr, const Block* extremes = nullptr);

  OutputFormat format() const noexcept { return format_; }
  // Rows written so far (for Pretty and Vertical, the rows shown: at most pretty_max_rows).
  std::size_t rows_written() const noexcept;

  // One writer per family of formats (src/format/*_format.cpp).
  class Writer;

 private:
  OutputFormat format_;
  std::unique_ptr<Writer> writer_;
  bool any_block_ = false;
};

}  // namespace chconn::text
