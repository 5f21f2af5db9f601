// Target: the body decoder of every column type behind a valid block header, so the fuzzer spends
// its time in the column decoders rather than in discovering type-name syntax.
//
// Input: mode byte, type byte, [type name '\n'], rows (UVarInt), column data (prefix and body).
//   mode bit 0     revision 54460 (with the custom-serialization byte) instead of 54412
//   mode bits 1-2  MemorySource chunk size (whole, 1, 7, 4096 bytes)
//   mode bit 3     tight DecodeLimits
//   mode bit 4     tiny block budget (fuzz::tiny_block_limits(); overrides bit 3)
//   type byte      < k_type_names.size(): that type (type_names.h); else the type name follows in
//                  the input, ended by '\n'
// The target builds the block header (one column "c" of that type and row count) in front of the
// data, decodes it with read_block and checks the block's properties (fuzz_common.h).
// Seeds: tests/fuzz/corpus/column, each column of the recorded blocks with its real bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "chconn/wire/block.h"
#include "fuzz_common.h"
#include "type_names.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace chconn;
  fuzz::Input input(data, size);
  const std::uint8_t mode = input.byte();
  const std::uint8_t type_byte = input.byte();
  const std::string_view type_name =
      type_byte < fuzz::k_type_names.size() ? fuzz::k_type_names[type_byte] : input.until('\n');
  const std::uint64_t rows = input.uvarint();
  const auto body = input.rest();
  const std::uint64_t revision = (mode & 1) ? 54460 : 54412;
  const std::size_t chunk = fuzz::chunk_for(mode >> 1);
  const wire::DecodeLimits limits = (mode & 0x10) != 0 ? fuzz::tiny_block_limits() : fuzz::limits_for((mode & 8) != 0);

  wire::Writer header;
  header.uvarint(1);  // BlockInfo: is_overflows = 0, bucket_num = -1
  header.u8(0);
  header.uvarint(2);
  header.fixed<std::int32_t>(-1);
  header.uvarint(0);
  header.uvarint(1);
  header.uvarint(rows);
  header.string("c");
  header.string(type_name);
  if (revision >= 54454) header.u8(0);
  header.write(body.data(), body.size());

  fuzz::expect_only_chconn_errors(
      [&] {
        wire::MemorySource source(header.data(), chunk);
        wire::Reader in(source, limits);
        const Block block = wire::read_block(in, revision);
        fuzz::check_block(block, revision);
      },
      fuzz::is_protocol_error);
  return 0;
}
