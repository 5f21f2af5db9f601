// Text input (see chconn/format/input.h): TextInsertSource, the row driver every format shares
// (blocks, line numbers, messages; input_parser.h has the structure), format names, byte sources
// and insert_text.
#include "chconn/format/input.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "chconn/core/error.h"
#include "core/strings.h"
#include "format/format_names.h"
#include "format/input_parser.h"

namespace chconn::text {

namespace detail {

bool Input::more() {
  if (eof_) return false;
  if (buf_.size() - pos_ >= max_row_) {
    throw BadValue{"is longer than " + std::to_string(max_row_) + " bytes (InputOptions::max_row_bytes)"};
  }
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  const std::size_t old = buf_.size();
  const std::size_t want = std::min(k_read_bytes, max_row_ - old + 1);
  buf_.resize(old + want);
  const std::size_t got = source_.read(buf_.data() + old, want);
  buf_.resize(old + got);
  if (got == 0) eof_ = true;
  return got > 0;
}

RowParser::RowParser(InputFormat format, ByteSource& in, InputOptions options)
    : format_(format), options_(std::move(options)), input_(in, std::max<std::size_t>(options_.max_row_bytes, 1)) {
  if (options_.max_block_rows == 0) options_.max_block_rows = 1;
  zones_ = options_.time_zones ? options_.time_zones : make_time_zones();
  context_.zones = zones_.get();
  context_.time_zone = options_.time_zone.empty() ? "UTC" : options_.time_zone;
  context_.date_time_input_format = options_.date_time_input_format;
}

Block input_structure(const Block& sample, const std::string& what, std::string_view data) {
  if (sample.column_count() == 0) {
    throw Error(ErrorKind::usage, what + ": the table's structure is unknown (the sample block has no columns), so " +
                                      std::string(data) + " cannot be read into it");
  }
  return sample.empty_copy();
}

void RowParser::start(const Block& sample) {
  sample_ = input_structure(sample, options_.what, "text");
  index_.clear();
  for (std::size_t i = 0; i < sample_.column_count(); ++i) index_.emplace(sample_.name(i), i);
  new_block();
  skip_rows_ = header_rows();
}

std::optional<Block> RowParser::next() {
  if (readers_.empty()) throw Error(ErrorKind::usage, options_.what + ": next() before start()");
  std::size_t rows = 0;
  std::size_t bytes = 0;
  while (rows < options_.max_block_rows && bytes < options_.max_block_bytes) {
    std::optional<std::string_view> row = next_row();
    if (!row) break;
    bytes += row->size();
    if (skip_rows_ > 0) {
      --skip_rows_;
      check_header(*row);
      continue;
    }
    read(*row);
    ++rows;
    ++rows_read_;
  }
  if (rows == 0) return std::nullopt;
  Block out = std::move(block_);
  new_block();
  return out;
}

void RowParser::new_block() {
  block_ = Block{};
  readers_.clear();
  for (std::size_t i = 0; i < sample_.column_count(); ++i) {
    ColumnRef column = sample_.column(i)->clone_empty();
    readers_.push_back(make_reader(*column, context_));
    block_.append(sample_.name(i), std::move(column));
  }
}

void RowParser::fail_row(const std::string& why, int code) const {
  failed_ = true;
  failed_code_ = code;
  throw Error(ErrorKind::usage, options_.what + ": cannot read row " + std::to_string(rows_read_ + 1) + " (line " +
                                    std::to_string(line_) + ") of the " + std::string(to_string(format_)) +
                                    " data: " + why);
}

void RowParser::fail_extra_fields(std::string_view row, std::size_t pos) const {
  fail_row("it has more than " + std::to_string(readers_.size()) + " fields (expected the end of the line before " +
           excerpt(row.substr(pos - 1, 16)) + ")");
}

void RowParser::fail_value(std::size_t column, std::string_view value, const std::string& why, int code) const {
  fail_row("column " + std::to_string(column + 1) + " '" + sample_.name(column) + "' (" +
               sample_.column(column)->type()->name() + "): the value " + excerpt(value) + " " + why,
           code);
}

std::optional<std::string_view> RowParser::next_row() {
  try {
    line_ = next_line_;
    return scan();
  } catch (const BadValue& e) {
    fail_row("the row " + e.why);
  }
}

bool RowParser::skip_record_separators() { return skip_blanks(true); }

bool RowParser::skip_json_row_separator() {
  if (!skip_blanks(false)) return false;
  const char c = input_.rest().front();
  if (c != ',' && c != ';') return true;
  input_.consume(1);
  return skip_blanks(false);
}

bool RowParser::skip_blanks(bool and_commas) {
  for (;;) {
    const std::string_view r = input_.rest();
    std::size_t skip = 0;
    while (skip < r.size() && (chconn::detail::is_space(r[skip]) || (and_commas && r[skip] == ','))) ++skip;
    count_lines(r.substr(0, skip), 0);
    input_.consume(skip);
    if (skip < r.size()) return true;
    if (!input_.more()) return false;
  }
}

void RowParser::count_lines(std::string_view text, std::size_t line_ends) {
  next_line_ += static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + line_ends;
}

}  // namespace detail

class TextInsertSource::Impl {
 public:
  detail::InputParserPtr parser;
};

namespace {
detail::InputParserPtr make_parser(InputFormat format, ByteSource& in, InputOptions options) {
  switch (format) {
    case InputFormat::tab_separated:
    case InputFormat::tab_separated_with_names:
    case InputFormat::tab_separated_with_names_and_types:
    case InputFormat::csv:
    case InputFormat::csv_with_names:
    case InputFormat::tskv: return detail::make_delimited_parser(format, in, std::move(options));
    case InputFormat::json_each_row: return detail::make_json_each_row_parser(in, std::move(options));
    case InputFormat::values: return detail::make_values_parser(in, std::move(options));
    case InputFormat::native: return detail::make_native_parser(in, std::move(options));
    case InputFormat::row_binary: return detail::make_row_binary_parser(in, std::move(options));
  }
  throw Error(ErrorKind::usage, "unknown input format");
}
}  // namespace

TextInsertSource::TextInsertSource(InputFormat format, ByteSource& in, InputOptions options)
    : impl_(std::make_unique<Impl>(Impl{make_parser(format, in, std::move(options))})) {}
TextInsertSource::~TextInsertSource() = default;
void TextInsertSource::start(const Block& sample) { impl_->parser->start(sample); }
std::optional<Block> TextInsertSource::next() { return impl_->parser->next(); }
std::size_t TextInsertSource::rows_read() const noexcept { return impl_->parser->rows_read(); }
bool TextInsertSource::failed_row() const noexcept { return impl_->parser->failed_row(); }
int TextInsertSource::failed_code() const noexcept { return impl_->parser->failed_code(); }

// ---- formats, byte sources, insert_text --------------------------------------------------------

namespace {
// Canonical names first: to_string() returns the first name of a format.
constexpr detail::FormatName<InputFormat> k_input_formats[] = {
    {"TabSeparated", InputFormat::tab_separated},
    {"TSV", InputFormat::tab_separated},
    {"TabSeparatedWithNames", InputFormat::tab_separated_with_names},
    {"TSVWithNames", InputFormat::tab_separated_with_names},
    {"TabSeparatedWithNamesAndTypes", InputFormat::tab_separated_with_names_and_types},
    {"TSVWithNamesAndTypes", InputFormat::tab_separated_with_names_and_types},
    {"CSV", InputFormat::csv},
    {"CSVWithNames", InputFormat::csv_with_names},
    {"JSONEachRow", InputFormat::json_each_row},
    {"Values", InputFormat::values},
    {"TSKV", InputFormat::tskv},
    {"Native", InputFormat::native},
    {"RowBinary", InputFormat::row_binary},
};
}  // namespace

std::optional<InputFormat> parse_input_format(std::string_view name) noexcept {
  return detail::format_named(k_input_formats, name);
}

std::string_view to_string(InputFormat format) noexcept { return detail::name_of(k_input_formats, format); }

std::string_view input_format_names() noexcept {
  return "TabSeparated, TSV, TabSeparatedWithNames, TSVWithNames, TabSeparatedWithNamesAndTypes, "
         "TSVWithNamesAndTypes, CSV, CSVWithNames, JSONEachRow, Values, TSKV, Native, RowBinary";
}

std::size_t MemoryByteSource::read(char* data, std::size_t size) {
  const std::size_t n = std::min(size, bytes_.size());
  std::memcpy(data, bytes_.data(), n);
  bytes_.remove_prefix(n);
  return n;
}

std::size_t StreamByteSource::read(char* data, std::size_t size) {
  in_.read(data, static_cast<std::streamsize>(size));
  const auto got = static_cast<std::size_t>(in_.gcount());
  if (in_.bad()) throw Error(ErrorKind::usage, "reading the input failed");
  return got;
}

std::size_t insert_text(Connection& conn, std::string_view table, InputFormat format, ByteSource& source,
                        InputOptions options, const QueryOptions& query) {
  const InsertTarget target = parse_insert_target(table);
  if (options.time_zone.empty()) options.time_zone = conn.server_info().timezone;
  if (options.what == InputOptions{}.what) options.what = "insert into " + target.name();
  TextInsertSource text(format, source, std::move(options));
  conn.insert(target, text, query);
  return text.rows_read();
}

}  // namespace chconn::text
