// See conformance.h.
#include "modern/conformance.h"

#include <algorithm>
#include <exception>

#include "chconn/core/error.h"
#include "chconn/wire/block.h"
#include "chconn/wire/io.h"
#include "core/strings.h"

namespace chconn::test {

const std::vector<ComparedFormat> k_compared_formats = {
    {text::OutputFormat::tab_separated, "TabSeparated"},
    {text::OutputFormat::csv, "CSV"},
    {text::OutputFormat::json_each_row, "JSONEachRow"},
    {text::OutputFormat::pretty_compact, "PrettyCompact"},
};

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

std::string chconn_type_names(std::string_view native) {
  wire::MemorySource source(native);
  wire::Reader in(source);
  if (in.at_end()) return {};
  const Block block = wire::read_block(in, 0);
  std::string names;
  for (std::size_t i = 0; i < block.column_count(); ++i) {
    if (i > 0) names += '\t';
    names += block[i].column->type()->name();
  }
  return names;
}

text::FormatOptions modern_options(std::string server_time_zone) {
  return text::options_for_server(26, 7, std::move(server_time_zone));
}

namespace {
// A line with control bytes shown as escapes, cut short.
std::string visible(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, 300)) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      out += "\\x";
      detail::append_hex_byte(out, u);
    } else {
      out += c;
    }
  }
  if (s.size() > 300) out += "...";
  return out;
}

// The first line where `expected` and `actual` differ, both versions.
std::string first_difference(std::string_view expected, std::string_view actual) {
  std::size_t line = 1;
  for (;;) {
    const std::size_t e_end = std::min(expected.find('\n'), expected.size());
    const std::size_t a_end = std::min(actual.find('\n'), actual.size());
    const std::string_view e = expected.substr(0, e_end), a = actual.substr(0, a_end);
    if (e != a || expected.size() == e_end || actual.size() == a_end) {
      return "line " + std::to_string(line) + "\n    engine: " + visible(e) +
             (e_end == expected.size() ? " (end)" : "") + "\n    chconn: " + visible(a) +
             (a_end == actual.size() ? " (end)" : "");
    }
    expected.remove_prefix(e_end + 1);
    actual.remove_prefix(a_end + 1);
    ++line;
  }
}
}  // namespace

std::string compare_query(ChdbEngine& engine, std::string_view sql, const text::FormatOptions& options,
                          const std::vector<ComparedFormat>& formats) {
  const std::string full(sql);
  const ChdbResult native = engine.query(full, "Native");
  if (!native.ok) return "the engine refused the query: " + native.error;
  std::string report;
  for (const auto& f : formats.empty() ? k_compared_formats : formats) {
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
      report += std::string(f.engine) + " differs at " + first_difference(expected.data, actual) + "\n";
    }
  }
  return report;
}

}  // namespace chconn::test
