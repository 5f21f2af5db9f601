// XML as clickhouse-client 18.16 writes it:
//
//   <?xml version='1.0' encoding='UTF-8' ?>
//   <result>
//   	<meta>
//   		<columns>
//   			<column>
//   				<name>k</name>
//   				<type>UInt8</type>
//   			</column>
//   		</columns>
//   	</meta>
//   	<data>
//   		<row>
//   			<k>0</k>                  a name unfit for a tag: <field>0</field>
//   		</row>
//   	</data>
//   	<totals> <k>0</k> </totals>       one element per line, as the row's
//   	<extremes> <min>...</min> <max>...</max> </extremes>
//   	<rows>1</rows>
//   	<rows_before_limit_at_least>1</rows_before_limit_at_least>   when a LIMIT applied
//   	<statistics> <elapsed>...</elapsed> <rows_read>1</rows_read> <bytes_read>1</bytes_read> </statistics>
//   </result>
//
// Values in Escaping::xml: '<' and '&' as entities, NULL as \N, arrays and tuples as <array> and
// <tuple> of <elem>.
#include <vector>

#include "format/output_writer.h"

namespace chconn::text::detail {
namespace {

// 18.16 uses a column's name as the tag when each byte is an ASCII letter, '_', '-', '.', or a digit
// after the first: stricter than XML, so the tag needs no escaping.
bool is_tag_name(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!(letter || c == '_' || c == '-' || c == '.' || (i > 0 && c >= '0' && c <= '9'))) return false;
  }
  return true;
}

class XmlWriter final : public BlockFormatter::Writer {
 public:
  explicit XmlWriter(const FormatOptions& options) : options_(options) {}

  void write_block(std::string& out, const Block& block) override {
    if (!prefix_written_) write_prefix(out, block);
    const std::vector<ValueWriter> writers = column_writers(block, Escaping::xml, options_);
    for (std::size_t r = 0; r < block.rows(); ++r) {
      out += "\t\t<row>\n";
      write_fields(out, writers, r, "\t\t\t");
      out += "\t\t</row>\n";
      ++rows_;
    }
  }

  void finish(std::string& out, const Block& header, const ResultSummary& summary) override {
    if (!prefix_written_) write_prefix(out, header);
    out += "\t</data>\n";
    if (summary.totals && summary.totals->rows() > 0) {
      out += "\t<totals>\n";
      write_fields(out, column_writers(*summary.totals, Escaping::xml, options_), 0, "\t\t");
      out += "\t</totals>\n";
    }
    if (summary.extremes && summary.extremes->rows() >= 2) {
      const std::vector<ValueWriter> writers = column_writers(*summary.extremes, Escaping::xml, options_);
      out += "\t<extremes>\n\t\t<min>\n";
      write_fields(out, writers, 0, "\t\t\t");
      out += "\t\t</min>\n\t\t<max>\n";
      write_fields(out, writers, 1, "\t\t\t");
      out += "\t\t</max>\n\t</extremes>\n";
    }
    out += "\t<rows>" + std::to_string(rows_) + "</rows>\n";
    if (summary.rows_before_limit) {
      out += "\t<rows_before_limit_at_least>" + std::to_string(*summary.rows_before_limit) +
             "</rows_before_limit_at_least>\n";
    }
    if (options_.write_statistics) {
      out += "\t<statistics>\n\t\t<elapsed>";
      append_float(out, summary.elapsed_seconds);
      out += "</elapsed>\n\t\t<rows_read>" + std::to_string(summary.rows_read) + "</rows_read>\n\t\t<bytes_read>" +
             std::to_string(summary.bytes_read) + "</bytes_read>\n\t</statistics>\n";
    }
    out += "</result>\n";
  }

 private:
  void write_prefix(std::string& out, const Block& block) {
    prefix_written_ = true;
    out += "<?xml version='1.0' encoding='UTF-8' ?>\n<result>\n\t<meta>\n\t\t<columns>\n";
    for (std::size_t c = 0; c < block.column_count(); ++c) {
      out += "\t\t\t<column>\n\t\t\t\t<name>";
      append_xml_escaped(out, block[c].name);
      out += "</name>\n\t\t\t\t<type>";
      append_xml_escaped(out, block[c].column->type()->name());
      out += "</type>\n\t\t\t</column>\n";
      tags_.push_back(is_tag_name(block[c].name) ? block[c].name : "field");
    }
    out += "\t\t</columns>\n\t</meta>\n\t<data>\n";
  }

  void write_fields(std::string& out, const std::vector<ValueWriter>& writers, std::size_t r,
                    std::string_view indent) const {
    for (std::size_t c = 0; c < writers.size() && c < tags_.size(); ++c) {
      out += indent;
      out += '<';
      out += tags_[c];
      out += '>';
      writers[c].append(out, r);
      out += "</";
      out += tags_[c];
      out += ">\n";
    }
  }

  FormatOptions options_;
  bool prefix_written_ = false;
  std::vector<std::string> tags_;
};

}  // namespace

WriterPtr make_xml_writer(const FormatOptions& options) { return std::make_unique<XmlWriter>(options); }

}  // namespace chconn::text::detail
