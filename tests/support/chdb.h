// chDB (the current ClickHouse engine as a shared library, ClickHouse 26.7) for the `modern`
// conformance tests: it runs any SQL and returns the result in any output format, so tests compare
// chconn's decoding and text against the real engine's bytes.
//
// The library is loaded with dlopen from $CHCONN_CHDB_LIBRARY (set by scripts/test through
// chconn_fetch_chdb in scripts/lib/common.sh; CMake passes the path it was configured with). chconn
// itself never links it. When it cannot be loaded, engine() throws std::runtime_error saying why,
// so the tests fail loudly; they never skip.
//
// Thread safety: one engine per process (chDB boots its engine once per process); query() takes a
// lock, so threads may share it. Lifetime: the engine lives until the process exits (closing the
// last chDB connection shuts the engine down, and it is not meant to boot twice).
#pragma once

#include <string>
#include <string_view>

namespace chconn::test {

// The settings the engine runs every query with, so that its text follows the rules chconn's
// format layer implements where a later server added a feature of presentation that chconn does
// not have (Pretty row numbers, colours, large-number tips, squashed or glued blocks, a footer of
// names), and so that Native output keeps LowCardinality.
inline constexpr std::string_view k_chdb_settings[] = {
    "output_format_pretty_row_numbers=0",
    "output_format_pretty_color=0",
    "output_format_pretty_single_large_number_tip_threshold=0",
    "output_format_pretty_squash_consecutive_ms=0",
    "output_format_pretty_display_footer_column_names=0",
    "output_format_pretty_highlight_digit_groups=0",
    "output_format_pretty_fallback_to_vertical=0",
    "output_format_pretty_multiline_fields=0",
    "low_cardinality_allow_in_native_format=1",
};

struct ChdbResult {
  bool ok = false;
  std::string data;   // the output bytes in the requested format (when ok)
  std::string error;  // the engine's error text (when !ok)
};

class ChdbEngine {
 public:
  // Runs `sql` and returns its output in `format` (a ClickHouse format name: "Native",
  // "TabSeparated", "JSONEachRow", ...). Binary-safe: `sql` may hold any bytes.
  virtual ChdbResult query(std::string_view sql, std::string_view format) = 0;
  // Like query(), but throws std::runtime_error with the engine's error text on failure.
  std::string query_ok(std::string_view sql, std::string_view format);
  // The library's version string, e.g. "26.7.3".
  virtual std::string version() const = 0;

 protected:
  ~ChdbEngine() = default;
};

// The process's engine, loaded and connected on first use (in memory: no data on disk).
// Throws std::runtime_error naming the library path and the reason when it cannot be had.
ChdbEngine& chdb_engine();

}  // namespace chconn::test
