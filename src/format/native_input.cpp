// Native input (see input_parser.h and chconn/format/input.h): blocks in the native encoding of
// revision 0, as clickhouse-client writes FORMAT Native, read one at a time with the wire decoder
// (wire::read_block and its DecodeLimits) and matched to the table's columns by name.
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/wire/io.h"
#include "format/input_parser.h"

namespace chconn::text::detail {
namespace {

// The wire decoder's byte source over a text::ByteSource.
class SourceBytes final : public wire::ByteSource {
 public:
  explicit SourceBytes(text::ByteSource& in) : in_(in) {}
  std::span<const std::uint8_t> next() override {
    const std::size_t n = in_.read(reinterpret_cast<char*>(buf_.data()), buf_.size());
    return std::span<const std::uint8_t>(buf_.data(), n);
  }

 private:
  text::ByteSource& in_;
  std::vector<std::uint8_t> buf_ = std::vector<std::uint8_t>(k_read_bytes);
};

class NativeParser final : public InputParser {
 public:
  NativeParser(text::ByteSource& in, InputOptions options)
      : options_(std::move(options)), bytes_(in), reader_(bytes_) {}

  void start(const Block& sample) override {
    sample_ = detail::input_structure(sample, options_.what, "Native data");
    started_ = true;
  }

  std::optional<Block> next() override {
    if (!started_) throw Error(ErrorKind::usage, options_.what + ": next() before start()");
    for (;;) {
      Block block;
      try {
        if (reader_.at_end()) return std::nullopt;
        ++blocks_;
        block = wire::read_block(reader_, 0);
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::protocol) throw;  // the source failed: not the data
        fail("it is not a valid block: " + e.message());
      }
      if (block.rows() == 0) continue;  // an empty block adds nothing
      Block out;
      for (std::size_t i = 0; i < sample_.column_count(); ++i) {
        const std::string& name = sample_.name(i);
        std::size_t found = block.column_count();
        for (std::size_t j = 0; j < block.column_count(); ++j) {
          if (block.name(j) == name) found = j;
        }
        if (found == block.column_count()) fail("it has no column '" + name + "'");
        const std::string& type = block.column(found)->type()->name();
        const std::string& want = sample_.column(i)->type()->name();
        if (type != want) {
          std::string why = "its column '";
          why.append(name).append("' is ").append(type).append(", the table's is ").append(want);
          fail(why);
        }
        out.append(name, block.column(found));
      }
      if (block.column_count() != sample_.column_count()) {
        fail("it has " + std::to_string(block.column_count()) + " columns, the table " +
             std::to_string(sample_.column_count()) + " (or a column named twice)");
      }
      rows_read_ += out.rows();
      return out;
    }
  }

  std::size_t rows_read() const noexcept override { return rows_read_; }
  bool failed_row() const noexcept override { return failed_; }

 private:
  [[noreturn]] void fail(const std::string& why) {
    failed_ = true;
    throw Error(ErrorKind::usage,
                options_.what + ": cannot read block " + std::to_string(blocks_) + " of the Native data: " + why);
  }

  InputOptions options_;
  SourceBytes bytes_;
  wire::Reader reader_;
  Block sample_;
  bool started_ = false;
  bool failed_ = false;
  std::size_t blocks_ = 0;
  std::size_t rows_read_ = 0;
};

}  // namespace

InputParserPtr make_native_parser(text::ByteSource& in, InputOptions options) {
  return std::make_unique<NativeParser>(in, std::move(options));
}

}  // namespace chconn::text::detail
