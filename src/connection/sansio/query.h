// The reply to a query as a sans-I/O operation (operation.h): the packets the server sends after a
// Query, handled once for the blocking NativeConnection and the Asio AsyncConnection.
//
// A QueryOperation reads one of four shapes of reply (Mode):
//   - select: Data (the header first, then result blocks, each handed out as Next::block),
//     Totals, Extremes, Progress, ProfileInfo, Log, ProfileEvents, TableColumns, TimezoneUpdate,
//     PartUUIDs, up to EndOfStream (done) or an Exception (failed with Error(server)). An INSERT that
//     takes its rows from the client (QueryReply::data_insert) answers with a sample block instead
//     of a header: the operation writes the empty block that ends the data (QueryReply::end_of_data)
//     and reads to EndOfStream (inline_insert_ended() then says so).
//   - insert_sample: packets up to the sample block of an insert (handed out as Next::block, then
//     done); an EndOfStream there is Error(usage): the statement takes no data.
//   - insert_finish: packets up to the EndOfStream that acknowledges an insert's data.
//   - drain: writes Cancel (or QueryReply::end_of_data, to end an insert early), then skips every
//     packet up to EndOfStream or an Exception (kept in drained_exception()); done means the
//     connection is back at rest.
//
// Where the bytes come from is a PacketInput: BufferedInput decodes from the Conversation's
// ReceiveBuffer under PacketDecoder's rule (asks the driver to read, never blocks: the async
// driver); a blocking input (NativeConnection's) reads each packet to its end from the socket, so
// a packet is parsed once however slowly it arrives. An input may also throw, at a packet
// boundary, what the caller's policy makes of a stop or an expired deadline; resume() hands it on
// as Next::failed, like any error, and the operation ends.
//
// Callbacks (QueryOptions::on_progress, on_profile, on_log, on_profile_events) run inside
// resume(); one that throws ends the operation with Next::failed carrying CallbackFailed (what it
// threw, whatever its type: sansio::call_back), at a packet boundary, so the caller can cancel and drain (a fresh drain
// operation on the same Conversation: nothing of an unfinished packet was consumed).
//
// Thread safety and lifetimes: as operation.h. `options`, `result` and the input must outlive the
// operation.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "chconn/connection/connection.h"
#include "chconn/core/error.h"
#include "chconn/wire/block.h"
#include "chconn/wire/detail/compression.h"
#include "chconn/wire/detail/packets.h"
#include "connection/sansio/operation.h"

namespace chconn::detail::sansio {

// Where a QueryOperation's packets come from (see the header comment).
class PacketInput {
 public:
  using Decode = std::function<void(wire::Reader& in, wire::CompressedSource* frames)>;
  virtual ~PacketInput() = default;
  // Decodes one whole packet with `decode` (which reads its code and body; `frames` is a frame
  // decoder over `in`, or null for a temporary one). True: decoded and consumed. False: not all of
  // it has arrived, nothing consumed; the driver reads (Next::read with read_hint()) and resumes.
  virtual bool decode(Conversation& c, const Decode& decode) = 0;
  virtual std::size_t read_hint(const Conversation& c) const noexcept = 0;
  // How long a silence the driver should report (Next::idle_after); zero: none.
  virtual std::chrono::nanoseconds idle_spell(const Conversation& /*c*/) const noexcept { return {}; }
};

// Decodes from the Conversation's ReceiveBuffer, never blocking (PacketDecoder's rule).
class BufferedInput final : public PacketInput {
 public:
  bool decode(Conversation& c, const Decode& decode) override;
  std::size_t read_hint(const Conversation& c) const noexcept override { return decoder_.read_hint(c.in); }
  std::chrono::nanoseconds idle_spell(const Conversation& c) const noexcept override {
    return decoder_.idle_spell(c.in);
  }
  const PacketDecoder& decoder() const noexcept { return decoder_; }

 private:
  PacketDecoder decoder_;
};

// What a QueryOperation needs to know of the query it reads the reply of.
struct QueryReply {
  enum class Mode : std::uint8_t { select, insert_sample, insert_finish, drain };
  Mode mode = Mode::select;
  std::uint64_t revision = 0;  // negotiated
  bool compressed = false;     // the query's compression flag
  // select: an INSERT that takes its rows from the client (see the header comment).
  bool data_insert = false;
  // drain: end an insert's data (end_of_data) instead of sending Cancel.
  bool end_data = false;
  // The encoded empty Data block that ends a query's data (select with data_insert, drain with
  // end_data); compressed when the query is.
  std::vector<std::uint8_t> end_of_data;
  // For messages: the statement ("'<sql>' is not an insert ...") and what the reply belongs to.
  std::string sql;
};

class QueryOperation final : public Operation {
 public:
  // `options`: the callbacks; `result`: where progress, profile, header, totals and extremes go.
  QueryOperation(QueryReply reply, PacketInput& input, const QueryOptions& options, Result& result);

  Next resume(Conversation& c) noexcept override;

  // After Next::block: the block (a result block, or the insert's sample). The caller may move it
  // out before resuming.
  Block& block() noexcept { return block_; }
  // A block the caller is done with, whose unshared columns the next Data block decodes into.
  void recycle(Block spare) noexcept { spare_ = std::move(spare); }

  // Whether the server has shown it read the data sent with the query (any packet but an
  // Exception or a Log answered it).
  bool data_consumed() const noexcept { return data_consumed_; }
  // The operation ended with a server Exception (select, insert modes).
  bool server_exception() const noexcept { return server_exception_; }
  // select: the reply was an insert's sample, answered with the end of the data (done follows the
  // server's EndOfStream).
  bool inline_insert_ended() const noexcept { return inline_insert_ended_; }
  // drain: the Exception the server ended the query with, if it did.
  const std::optional<Error>& drained_exception() const noexcept { return drained_exception_; }
  // A TimezoneUpdate's zone, the last one received (empty: none).
  const std::string& timezone_update() const noexcept { return timezone_; }

 private:
  // sample_out: insert_sample handed out the sample; the next resume() is done (the async driver
  // resumes after each block, the blocking one stops at it).
  enum class State : std::uint8_t { start, reading, ending_data, finishing, sample_out, finished };

  void decode_packet(wire::Reader& in, wire::CompressedSource* frames);
  Next read(Conversation& c);
  // Handles the packet in packet_/block_: a Next to return, or none to read the next packet.
  std::optional<Next> handle(Conversation& c);
  std::optional<Next> handle_drain();
  // Progress, ProfileInfo, Log, ProfileEvents, TableColumns, TimezoneUpdate, PartUUIDs and
  // Exception (thrown): true if the packet was one of them.
  bool handle_common();
  [[noreturn]] void unexpected(const Conversation& c, std::string_view during) const;

  QueryReply reply_;
  PacketInput& input_;
  const QueryOptions& options_;
  Result& result_;
  State state_ = State::start;

  // The packet decoded last (fields beyond the code are those of its kind).
  wire::ServerPacketCode code_ = wire::ServerPacketCode::end_of_stream;
  Block block_;
  Block spare_;
  wire::Progress progress_;
  wire::ProfileInfo profile_;
  std::optional<Error> exception_;

  bool have_header_ = false;
  bool data_consumed_ = false;
  bool server_exception_ = false;
  bool inline_insert_ended_ = false;
  std::optional<Error> drained_exception_;
  std::string timezone_;
};

}  // namespace chconn::detail::sansio
