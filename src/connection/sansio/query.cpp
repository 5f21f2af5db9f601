#include "connection/sansio/query.h"

#include <string>
#include <utility>

#include "chconn/wire/detail/protocol.h"

namespace chconn::detail::sansio {

namespace {

using wire::ServerPacketCode;

// Whether `block` has exactly the columns of `header` (names and types, in order). A server never
// changes a result's structure mid-query, and callers index every block by the header's columns.
bool same_structure(const Block& block, const Block& header) {
  if (block.column_count() != header.column_count()) return false;
  for (std::size_t i = 0; i < block.column_count(); ++i) {
    if (block.name(i) != header.name(i) || !(*block.column(i)->type() == *header.column(i)->type())) return false;
  }
  return true;
}

}  // namespace

bool BufferedInput::decode(Conversation& c, const Decode& decode) {
  if (!decoder_.due(c.in)) return false;
  return decoder_.attempt(c.in, c.limits, [&](wire::Reader& in) { decode(in, nullptr); });
}

QueryOperation::QueryOperation(QueryReply reply, PacketInput& input, const QueryOptions& options, Result& result)
    : reply_(std::move(reply)), input_(input), options_(options), result_(result) {}

Next QueryOperation::resume(Conversation& c) noexcept {
  try {
    switch (state_) {
      case State::start:
        c.out.clear();
        state_ = State::reading;
        if (reply_.mode == QueryReply::Mode::drain) {
          // Anything queued is a whole packet that was never sent: dropped, never half-sent.
          if (reply_.end_data) {
            c.out.write(reply_.end_of_data.data(), reply_.end_of_data.size());
          } else {
            wire::write_cancel(c.out);
          }
          return Next::write(c.out.data());
        }
        return read(c);
      case State::ending_data:
        c.out.clear();  // the end of the data is written
        state_ = State::finishing;
        return read(c);
      case State::reading:
      case State::finishing: return read(c);
      case State::sample_out: state_ = State::finished; return Next::done();
      case State::finished: break;
    }
    throw Error(ErrorKind::usage, "the reply to a query from " + c.peer + " was read on after it ended");
  } catch (...) {
    c.out.clear();
    state_ = State::finished;
    return Next::failed(std::current_exception());
  }
}

void QueryOperation::decode_packet(wire::Reader& in, wire::CompressedSource* frames) {
  code_ = wire::read_server_packet_code(in);
  const bool side_compressed = wire::side_packets_compressed(reply_.revision, reply_.compressed);
  switch (code_) {
    case ServerPacketCode::data:
    case ServerPacketCode::totals:
    case ServerPacketCode::extremes:
      // Only result blocks reuse a spare's columns; totals and extremes are kept in the Result.
      block_ = wire::read_data(in, reply_.revision, reply_.compressed, frames,
                               code_ == ServerPacketCode::data && !spare_.empty() ? &spare_ : nullptr)
                   .block;
      break;
    case ServerPacketCode::log:
    case ServerPacketCode::profile_events:
      block_ = wire::read_data(in, reply_.revision, side_compressed, frames).block;
      break;
    case ServerPacketCode::progress: progress_ = wire::read_progress(in, reply_.revision); break;
    case ServerPacketCode::profile_info: profile_ = wire::read_profile_info(in, reply_.revision); break;
    case ServerPacketCode::table_columns: wire::read_table_columns(in, side_compressed, frames); break;
    case ServerPacketCode::timezone_update: timezone_ = wire::read_timezone_update(in).timezone; break;
    case ServerPacketCode::part_uuids: wire::read_part_uuids(in); break;
    case ServerPacketCode::exception: exception_ = wire::read_exception(in); break;
    default: break;  // EndOfStream has no body; any other packet is unexpected here (handle())
  }
}

Next QueryOperation::read(Conversation& c) {
  for (;;) {
    if (!input_.decode(c, [this](wire::Reader& in, wire::CompressedSource* frames) { decode_packet(in, frames); })) {
      return Next::read(input_.read_hint(c), input_.idle_spell(c));
    }
    if (std::optional<Next> next = handle(c)) return *next;
  }
}

std::optional<Next> QueryOperation::handle(Conversation& c) {
  if (reply_.mode == QueryReply::Mode::drain) return handle_drain();
  if (state_ == State::finishing || reply_.mode == QueryReply::Mode::insert_finish) {
    if (code_ == ServerPacketCode::end_of_stream) {
      state_ = State::finished;
      return Next::done();
    }
    if (!handle_common()) unexpected(c, "the end of an insert");
    return std::nullopt;
  }
  if (reply_.mode == QueryReply::Mode::insert_sample) {
    if (code_ == ServerPacketCode::data) {
      state_ = State::sample_out;
      return Next::block();
    }
    if (code_ == ServerPacketCode::end_of_stream) {
      state_ = State::finished;
      throw Error(ErrorKind::usage, "'" + reply_.sql + "' is not an insert the server takes data for");
    }
    if (!handle_common()) unexpected(c, "an insert");
    return std::nullopt;
  }
  // select. Any answer but an exception or a log shows the server has read the query's data.
  if (code_ != ServerPacketCode::exception && code_ != ServerPacketCode::log) data_consumed_ = true;
  switch (code_) {
    case ServerPacketCode::data:
      if (!have_header_ && reply_.data_insert && block_.column_count() > 0) {
        // The server sent an INSERT's sample block and now waits for data blocks: end the data.
        inline_insert_ended_ = true;
        state_ = State::ending_data;
        c.out.clear();
        c.out.write(reply_.end_of_data.data(), reply_.end_of_data.size());
        return Next::write(c.out.data());
      }
      if (!have_header_) {
        result_.header = block_.empty_copy();
        have_header_ = true;
      }
      if (block_.rows() == 0) return std::nullopt;
      if (!same_structure(block_, result_.header)) {
        throw Error(ErrorKind::protocol, "the server " + c.peer +
                                             " sent a data block whose columns differ from the result's header; the "
                                             "stream is corrupt");
      }
      return Next::block();
    case ServerPacketCode::totals: result_.totals = std::move(block_); return std::nullopt;
    case ServerPacketCode::extremes: result_.extremes = std::move(block_); return std::nullopt;
    case ServerPacketCode::end_of_stream: state_ = State::finished; return Next::done();
    default:
      if (!handle_common()) unexpected(c, "a query");
      return std::nullopt;
  }
}

std::optional<Next> QueryOperation::handle_drain() {
  switch (code_) {
    case ServerPacketCode::data:
    case ServerPacketCode::totals:
    case ServerPacketCode::extremes:
    case ServerPacketCode::log:
    case ServerPacketCode::profile_events:
    case ServerPacketCode::progress:
    case ServerPacketCode::profile_info:
    case ServerPacketCode::table_columns:
    case ServerPacketCode::timezone_update:
    case ServerPacketCode::part_uuids: return std::nullopt;
    case ServerPacketCode::exception:
      server_exception_ = true;
      drained_exception_ = std::move(exception_);
      state_ = State::finished;
      return Next::done();
    case ServerPacketCode::end_of_stream: state_ = State::finished; return Next::done();
    default: break;
  }
  throw Error(ErrorKind::protocol, "the server sent an unexpected " + std::string(wire::to_string(code_)) +
                                       " packet while a query was being cancelled");
}

bool QueryOperation::handle_common() {
  switch (code_) {
    case ServerPacketCode::progress:
      result_.progress += progress_;
      if (options_.on_progress) call_back(options_.on_progress, progress_, result_.progress);
      return true;
    case ServerPacketCode::profile_info:
      result_.profile = profile_;
      if (options_.on_profile) call_back(options_.on_profile, *result_.profile);
      return true;
    case ServerPacketCode::log:
      if (options_.on_log) call_back(options_.on_log, block_);
      return true;
    case ServerPacketCode::profile_events:
      if (options_.on_profile_events) call_back(options_.on_profile_events, block_);
      return true;
    case ServerPacketCode::table_columns:
    case ServerPacketCode::timezone_update:
    case ServerPacketCode::part_uuids: return true;
    case ServerPacketCode::exception: {
      server_exception_ = true;
      state_ = State::finished;
      Error error = std::move(*exception_);
      exception_.reset();
      throw error;
    }
    default: return false;
  }
}

void QueryOperation::unexpected(const Conversation& c, std::string_view during) const {
  throw Error(ErrorKind::protocol, "the server " + c.peer + " sent an unexpected " +
                                       std::string(wire::to_string(code_)) + " packet during " + std::string(during));
}

}  // namespace chconn::detail::sansio
