// JSON and JSONCompact as clickhouse-client 18.16 writes them:
//
//   {
//   	"meta":
//   	[
//   		{
//   			"name": "k",
//   			"type": "UInt8"
//   		}
//   	],
//
//   	"data":
//   	[
//   		{
//   			"k": 0
//   		}                            JSONCompact: 		[0, "x"]
//   	],
//
//   	"totals":                     JSONCompact: 	"totals": [0,"10"]   (no space after commas)
//   	{ ... },
//
//   	"extremes":
//   	{
//   		"min": ..., "max": ...
//   	},
//
//   	"rows": 1,
//
//   	"rows_before_limit_at_least": 1,     only when the server applied a LIMIT
//
//   	"statistics":                        unless output_format_write_statistics = 0
//   	{
//   		"elapsed": 0.000229046,       ResultSummary::elapsed_seconds, given by the caller
//   		"rows_read": 1,
//   		"bytes_read": 1
//   	}
//   }
//
// Values as JSONEachRow writes them (Escaping::json with the same options).
#include <vector>

#include "format/output_writer.h"

namespace chconn::text::detail {
namespace {

class JsonWriter final : public BlockFormatter::Writer {
 public:
  JsonWriter(OutputFormat format, const FormatOptions& options)
      : compact_(format == OutputFormat::json_compact), options_(options) {}

  void write_block(std::string& out, const Block& block) override {
    if (!prefix_written_) write_prefix(out, block);
    const std::vector<ValueWriter> writers = column_writers(block, Escaping::json, options_);
    const std::vector<std::string> keys = keys_of(block);
    for (std::size_t r = 0; r < block.rows(); ++r) {
      if (rows_++) out += ",\n";
      write_row(out, writers, keys, r, "\t\t", compact_ ? ", " : ",\n");
    }
  }

  void finish(std::string& out, const Block& header, const ResultSummary& summary) override {
    if (!prefix_written_) write_prefix(out, header);
    out += "\n\t]";
    if (summary.totals && summary.totals->rows() > 0) {
      out += ",\n\n\t\"totals\":";
      write_special(out, *summary.totals, 0, "\t");
    }
    if (summary.extremes && summary.extremes->rows() >= 2) {
      out += ",\n\n\t\"extremes\":\n\t{\n\t\t\"min\":";
      write_special(out, *summary.extremes, 0, "\t\t");
      out += ",\n\t\t\"max\":";
      write_special(out, *summary.extremes, 1, "\t\t");
      out += "\n\t}";
    }
    out += ",\n\n\t\"rows\": " + std::to_string(rows_);
    if (summary.rows_before_limit) {
      out += ",\n\n\t\"rows_before_limit_at_least\": " + std::to_string(*summary.rows_before_limit);
    }
    if (options_.write_statistics) {
      out += ",\n\n\t\"statistics\":\n\t{\n\t\t\"elapsed\": ";
      append_float(out, summary.elapsed_seconds);
      out += ",\n\t\t\"rows_read\": " + std::to_string(summary.rows_read);
      out += ",\n\t\t\"bytes_read\": " + std::to_string(summary.bytes_read);
      out += "\n\t}";
    }
    out += "\n}\n";
  }

 private:
  void write_prefix(std::string& out, const Block& block) {
    prefix_written_ = true;
    out += "{\n\t\"meta\":\n\t[";
    for (std::size_t c = 0; c < block.column_count(); ++c) {
      out += c ? ",\n" : "\n";
      out += "\t\t{\n\t\t\t\"name\": ";
      append_json_string(out, block[c].name, options_.json_escape_forward_slashes);
      out += ",\n\t\t\t\"type\": ";
      append_json_string(out, block[c].column->type()->name(), options_.json_escape_forward_slashes);
      out += "\n\t\t}";
    }
    out += "\n\t],\n\n\t\"data\":\n\t[\n";
  }

  // `"name": ` of each column, for JSON's objects.
  std::vector<std::string> keys_of(const Block& block) const {
    std::vector<std::string> keys;
    if (compact_) return keys;
    for (std::size_t c = 0; c < block.column_count(); ++c) {
      std::string key;
      append_json_string(key, block[c].name, options_.json_escape_forward_slashes);
      keys.push_back(key + ": ");
    }
    return keys;
  }

  // One row at `indent`: an object with a field per line (JSON) or an array on one line
  // (JSONCompact, fields separated by `compact_separator`).
  void write_row(std::string& out, const std::vector<ValueWriter>& writers, const std::vector<std::string>& keys,
                 std::size_t r, std::string_view indent, std::string_view compact_separator) const {
    out += indent;
    if (compact_) {
      out += '[';
      for (std::size_t c = 0; c < writers.size(); ++c) {
        if (c) out += compact_separator;
        writers[c].append(out, r);
      }
      out += ']';
      return;
    }
    out += "{\n";
    for (std::size_t c = 0; c < writers.size(); ++c) {
      if (c) out += ",\n";
      out += indent;
      out += '\t';
      out += keys[c];
      writers[c].append(out, r);
    }
    out += '\n';
    out += indent;
    out += '}';
  }

  // Totals or an extremes row after its key: JSON puts the object on the next lines at `indent`;
  // JSONCompact the array after a space, its values separated by ',' alone.
  void write_special(std::string& out, const Block& block, std::size_t r, std::string_view indent) const {
    const std::vector<ValueWriter> writers = column_writers(block, Escaping::json, options_);
    if (compact_) {
      out += ' ';
      write_row(out, writers, {}, r, "", ",");
      return;
    }
    out += '\n';
    write_row(out, writers, keys_of(block), r, indent, ",\n");
  }

  bool compact_;
  FormatOptions options_;
  bool prefix_written_ = false;
};

}  // namespace

WriterPtr make_json_writer(OutputFormat format, const FormatOptions& options) {
  return std::make_unique<JsonWriter>(format, options);
}

}  // namespace chconn::text::detail
