// Shared by the modern suite's tests: decoding chDB's Native output with chconn and comparing
// chconn's text with the engine's, format by format.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "chconn/format/text.h"
#include "support/chdb.h"

namespace chconn::test {

// The formats compared: chconn's and the engine's name for each.
struct ComparedFormat {
  text::OutputFormat chconn;
  std::string_view engine;
};
extern const std::vector<ComparedFormat> k_compared_formats;

// chconn's text of `native` (the engine's Native output, any number of blocks) in `format`.
// Throws chconn::Error when chconn cannot decode or render it.
std::string chconn_render(std::string_view native, text::OutputFormat format, const text::FormatOptions& options);

// The type names of the first block of `native`, as chconn names them after reading the block,
// joined by tabs (empty when there is no block). Throws chconn::Error when chconn cannot decode it.
std::string chconn_type_names(std::string_view native);

// The format options of a current server (ClickHouse 26.7), time zone `server_time_zone`.
text::FormatOptions modern_options(std::string server_time_zone);

// Runs `sql` through the engine in Native and in every compared format and returns "" when chconn's
// text matches the engine's in all of them, else a report of each difference (or the error).
// `formats`: the formats compared (all of k_compared_formats when empty).
std::string compare_query(ChdbEngine& engine, std::string_view sql, const text::FormatOptions& options,
                          const std::vector<ComparedFormat>& formats = {});

}  // namespace chconn::test
