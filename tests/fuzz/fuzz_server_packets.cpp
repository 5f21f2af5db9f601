// Target: the server-packet decoder over a whole stream of packets, as a connection reads it.
// Besides the block properties (fuzz_common.h), every decoded exception chain must keep no more
// text than DecodeLimits allows.
//
// Input: one mode byte, then the bytes the server sent (Hello, Data, Progress, ... back to back).
//   bit 0     revision: 0 = 54412 (ClickHouse 18.16), 1 = 54460 (what chconn advertises)
//   bit 1     the query's compression flag (Data/Totals/Extremes blocks arrive in frames)
//   bit 2     keep one CompressedSource for the whole stream, as the connection does (else a
//             temporary one per block)
//   bits 3-4  MemorySource chunk size (whole, 1, 7, 4096 bytes)
//   bit 5     tight DecodeLimits (so a block's budget, the type names of a block and the text kept
//             of an exception chain are exceeded by small inputs)
//   bit 6     start with read_hello_reply (the handshake) instead of read_server_packet
//   bit 7     tiny block budget (fuzz::tiny_block_limits(); overrides bit 5)
// Seeds: tests/fuzz/corpus/server_packets, replies of a real 18.16 server (record_corpus.cpp).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>

#include "chconn/wire/detail/compression.h"
#include "chconn/wire/detail/packets.h"
#include "fuzz_common.h"

namespace {

using namespace chconn;

// A stream of many tiny packets (Pong is one byte) costs time per packet, not per byte; this bounds
// a run without stopping any realistic stream.
constexpr int k_max_packets = 100000;

// The longest note read_exception() appends to a text it cuts (" [... truncated by chconn: N of
// M bytes kept (LIMIT)]"), with room to spare.
constexpr std::size_t k_max_truncation_note = 128;

void check_exception(const Error& error, const wire::DecodeLimits& limits) {
  if (error.kind() != ErrorKind::server) fuzz::fail("a decoded Exception is not of kind server");
  std::size_t depth = 0, kept = 0;
  for (const Error* e = &error; e != nullptr; e = e->cause()) {
    ++depth;
    if (e->message().size() > limits.max_exception_message_bytes + k_max_truncation_note)
      fuzz::fail("an exception message longer than max_exception_message_bytes was kept");
    if (e->server_stack_trace().size() > limits.max_exception_stack_trace_bytes + k_max_truncation_note)
      fuzz::fail("a stack trace longer than max_exception_stack_trace_bytes was kept");
    kept += e->server_name().size() + e->message().size() + e->server_stack_trace().size();
  }
  if (depth == 0) fuzz::fail("an empty exception chain");
  if (depth > limits.max_exception_depth) fuzz::fail("an exception chain deeper than max_exception_depth");
  if (kept > limits.max_exception_chain_bytes + 3 * depth * k_max_truncation_note)
    fuzz::fail("an exception chain kept more than max_exception_chain_bytes");
}

void check_packet(const wire::ServerPacket& packet, std::uint64_t revision, const wire::DecodeLimits& limits) {
  if (const auto* data = packet.get_if<wire::DataPacket>()) {
    fuzz::check_block(data->block, revision);
  } else if (const auto* exception = packet.get_if<wire::ServerException>()) {
    check_exception(exception->error, limits);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input input(data, size);
  const std::uint8_t mode = input.byte();
  const std::uint64_t revision = (mode & 1) ? 54460 : 54412;
  const bool compression = (mode & 2) != 0;
  const bool persistent_frames = (mode & 4) != 0;
  const std::size_t chunk = fuzz::chunk_for(mode >> 3);
  const wire::DecodeLimits limits =
      (mode & 0x80) != 0 ? fuzz::tiny_block_limits() : fuzz::limits_for((mode & 0x20) != 0);
  const bool handshake = (mode & 0x40) != 0;
  const auto bytes = input.rest();

  fuzz::expect_only_chconn_errors(
      [&] {
        wire::MemorySource source(bytes, chunk);
        wire::Reader in(source, limits);
        std::optional<wire::CompressedSource> frames;
        if (persistent_frames) frames.emplace(in);
        const wire::PacketContext context{
            .revision = revision, .compression = compression, .frames = frames ? &*frames : nullptr};
        if (handshake) {
          // A server Exception here is thrown as the server's Error (kind server): also allowed,
          // with the same bounds on its text.
          try {
            (void)wire::read_hello_reply(in, revision);
          } catch (const Error& e) {
            if (e.kind() == ErrorKind::server) check_exception(e, limits);
            throw;
          }
        }
        for (int i = 0; i < k_max_packets && !in.at_end(); ++i) {
          const std::uint64_t before = in.position();
          const wire::ServerPacket packet = wire::read_server_packet(in, context);
          if (in.position() <= before) fuzz::fail("a packet was decoded from zero bytes");
          check_packet(packet, revision, limits);
        }
      },
      [&](const Error& e) {
        // The handshake throws the server's Exception as an Error of kind server.
        return fuzz::is_protocol_error(e) || (handshake && e.kind() == ErrorKind::server);
      });
  return 0;
}
