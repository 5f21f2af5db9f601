// Native as clickhouse-client 18.16 writes it to stdout: each block that has rows in the native
// block encoding of revision 0 (column and row counts, then per column its name, type name and
// data; no BlockInfo), nothing for an empty result, and neither totals nor extremes. Binary: the
// bytes are appended to the caller's string as they are.
#include "chconn/wire/block.h"
#include "chconn/wire/io.h"
#include "format/output_writer.h"

namespace chconn::text::detail {
namespace {

class NativeWriter final : public BlockFormatter::Writer {
 public:
  void write_block(std::string& out, const Block& block) override {
    if (block.rows() == 0) return;
    encoded_.clear();
    wire::write_block(encoded_, block, 0);
    out += encoded_.view();
    rows_ += block.rows();
  }
  void finish(std::string&, const Block&, const ResultSummary&) override {}

 private:
  wire::Writer encoded_;  // reused between blocks
};

}  // namespace

WriterPtr make_native_writer() { return std::make_unique<NativeWriter>(); }

}  // namespace chconn::text::detail
