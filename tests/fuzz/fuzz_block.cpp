// Target: read_block on arbitrary bytes — block header, type names, every column decoder — and
// the properties of what it returns (fuzz_common.h: consistency, encode/decode fixed point, text).
//
// Input: one mode byte, then blocks back to back (no packet code, no table name).
//   bits 0-1  revision: 54412 (18.16), 54460 (custom-serialization byte), 54483 (BlockInfo field 3,
//             sparse, sparse Nullable and replicated columns), 51902 (before BlockInfo)
//   bits 2-3  MemorySource chunk size (whole, 1, 7, 4096 bytes)
//   bit 4     tight DecodeLimits
//   bit 5     each block decodes into the columns of the one before (read_block's recycle block,
//             as select() does), so a column's leftover state from one block meets the next
//   bit 6     tiny block budget (fuzz::tiny_block_limits(); overrides bit 4)
//   bit 7     revision 54492 (String columns as offsets then bytes; overrides bits 0-1)
// Seeds: tests/fuzz/corpus/block, single blocks of a real 18.16 server (record_corpus.cpp), of chDB,
// and kinds-* (mode 2): sparse, sparse Nullable, sparse Tuple element and replicated columns laid
// out as ClickHouse's SerializationSparse / SerializationReplicated write them, and size-stream-*
// (mode 0x80): String, Array(String), Nullable(String), Tuple, Map and sparse String columns in
// the 54492 layout (tests/unit/wire/string_size_stream_test.cpp).
#include <array>
#include <cstddef>
#include <cstdint>

#include "chconn/wire/block.h"
#include "fuzz_common.h"

namespace {
constexpr std::array<std::uint64_t, 4> k_revisions{54412, 54460, 54483, 51902};
constexpr std::uint64_t k_revision_string_size_stream = 54492;
constexpr int k_max_blocks = 64;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace chconn;
  fuzz::Input input(data, size);
  const std::uint8_t mode = input.byte();
  const std::uint64_t revision = (mode & 0x80) != 0 ? k_revision_string_size_stream : k_revisions[mode & 3];
  const std::size_t chunk = fuzz::chunk_for(mode >> 2);
  const wire::DecodeLimits limits =
      (mode & 0x40) != 0 ? fuzz::tiny_block_limits() : fuzz::limits_for((mode & 0x10) != 0);
  const bool recycle = (mode & 0x20) != 0;
  const auto bytes = input.rest();

  fuzz::expect_only_chconn_errors(
      [&] {
        wire::MemorySource source(bytes, chunk);
        wire::Reader in(source, limits);
        Block spare;
        for (int i = 0; i < k_max_blocks && !in.at_end(); ++i) {
          Block block = wire::read_block(in, revision, recycle ? &spare : nullptr);
          fuzz::check_block(block, revision);
          if (recycle) spare = std::move(block);
        }
      },
      fuzz::is_protocol_error);
  return 0;
}
