// The writers behind text::BlockFormatter, one per family of output formats, each in its own file:
//   delimited_format.cpp  TabSeparated (Raw, WithNames, WithNamesAndTypes), CSV, TSKV, Values,
//                         JSONEachRow, Null
//   pretty_format.cpp     Pretty, PrettyCompact, PrettySpace, their NoEscapes variants, MonoBlock
//   json_format.cpp       JSON, JSONCompact
//   xml_format.cpp        XML
//   vertical_format.cpp   Vertical
//   native_format.cpp     Native
//   row_binary_format.cpp RowBinary
// Internal to the format layer. A writer is used by one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "chconn/format/text.h"

namespace chconn::text {

class BlockFormatter::Writer {
 public:
  Writer() = default;
  virtual ~Writer() = default;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  virtual void write_block(std::string& out, const Block& block) = 0;
  // `header` has at least one column (BlockFormatter prints nothing for a result without any).
  virtual void finish(std::string& out, const Block& header, const ResultSummary& summary) = 0;
  std::size_t rows_written() const noexcept { return rows_; }

 protected:
  std::size_t rows_ = 0;
};

namespace detail {

using WriterPtr = std::unique_ptr<BlockFormatter::Writer>;

WriterPtr make_delimited_writer(OutputFormat format, const FormatOptions& options);
WriterPtr make_pretty_writer(OutputFormat format, const FormatOptions& options);
WriterPtr make_json_writer(OutputFormat format, const FormatOptions& options);
WriterPtr make_xml_writer(const FormatOptions& options);
WriterPtr make_vertical_writer(const FormatOptions& options);
WriterPtr make_native_writer();
WriterPtr make_row_binary_writer();

// Columns a terminal gives `s` as ClickHouse 18.16 measures them (UTF8::computeWidth): East Asian
// wide characters 2, combining marks, control characters and invalid UTF-8 0, a tab up to the next
// multiple of 8 counted from `prefix` (the column the text starts at), anything else 1.
std::size_t display_width(std::string_view s, std::size_t prefix = 0) noexcept;

// `writer`'s output with invalid UTF-8 replaced, as 18.16 passes JSON and XML through
// WriteBufferValidUTF8: each run of bytes that are not valid UTF-8 (RFC 3629: no overlong forms,
// surrogates or code points beyond U+10FFFF) becomes one U+FFFD.
WriterPtr make_valid_utf8(WriterPtr writer);

// One ValueWriter per column of `block`.
std::vector<ValueWriter> column_writers(const Block& block, Escaping escaping, const FormatOptions& options);

}  // namespace detail
}  // namespace chconn::text
