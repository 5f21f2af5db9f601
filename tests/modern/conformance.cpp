// See conformance.h.
#include "modern/conformance.h"

#include <exception>

#include "chconn/core/error.h"
#include "chconn/wire/block.h"
#include "chconn/wire/io.h"

namespace chconn::test {

const std::vector<ComparedFormat> k_compared_formats = {
    {text::OutputFormat::tab_separated, "TabSeparated"},
    {text::OutputFormat::csv, "CSV"},
    {text::OutputFormat::json_each_row, "JSONEachRow"},
    {text::OutputFormat::pretty_compact, "PrettyCompact"},
};

const std::string_view k_engine_settings =
    " SETTINGS output_format_pretty_row_numbers = 0, output_format_pretty_color = 0, "
    "low_cardinality_allow_in_native_format = 1";

std::string chconn_render(std::string_view native, text::OutputFormat format, const text::FormatOptions& options) {
  wire::MemorySource source(native);
  wire::Reader in(source);
  text::BlockFormatter formatter(format, options);
  std::string out;
  Block header;
  bool first = true;
  while (!in.at_end()) {
    Block block = wire::read_block(in, 0);
    if (first) {
      header = block;
      first = false;
    }
    formatter.write_block(out, block);
  }
  formatter.finish(out, header);
  return out;
}

text::FormatOptions modern_options(std::string server_time_zone) {
  text::FormatOptions options;
  options.server_time_zone = std::move(server_time_zone);
  return options;
}

namespace {
// Shows a text with its control bytes visible, cut short.
std::string visible(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, 2000)) {
    if (c == '\n') {
      out += "\\n\n";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  if (s.size() > 2000) out += "... (" + std::to_string(s.size()) + " bytes)";
  return out;
}
}  // namespace

std::string compare_query(ChdbEngine& engine, std::string_view sql, const text::FormatOptions& options) {
  const std::string full = std::string(sql) + std::string(k_engine_settings);
  const ChdbResult native = engine.query(full, "Native");
  if (!native.ok) return "the engine refused the query: " + native.error;
  std::string report;
  for (const auto& f : k_compared_formats) {
    const ChdbResult expected = engine.query(full, f.engine);
    if (!expected.ok) {
      report += std::string(f.engine) + ": the engine refused the query: " + expected.error + "\n";
      continue;
    }
    std::string actual;
    try {
      actual = chconn_render(native.data, f.chconn, options);
    } catch (const std::exception& e) {
      report += std::string(f.engine) + ": chconn failed: " + e.what() + "\n";
      continue;
    }
    if (actual != expected.data) {
      report += std::string(f.engine) + " differs\n  engine: " + visible(expected.data) +
                "\n  chconn: " + visible(actual) + "\n";
    }
  }
  return report;
}

}  // namespace chconn::test
