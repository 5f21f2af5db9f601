#include "connection/sansio/ping.h"

#include <string>

#include "chconn/core/error.h"
#include "chconn/wire/detail/packets.h"

namespace chconn::detail::sansio {

Next Ping::resume(Conversation& c) noexcept {
  try {
    switch (state_) {
      case State::start:
        c.out.clear();
        wire::write_ping(c.out);
        state_ = State::ping_sent;
        return Next::write(c.out.data());
      case State::ping_sent: return read_reply(c);
      case State::finished: break;
    }
    throw Error(ErrorKind::usage, "the ping of " + c.peer + " was resumed after it ended");
  } catch (...) {
    c.out.clear();
    state_ = State::finished;
    return Next::failed(std::current_exception());
  }
}

Next Ping::read_reply(Conversation& c) {
  c.out.clear();  // the Ping is written
  for (;;) {
    wire::ServerPacketCode code{};
    if (!decoder_.due(c.in) || !decoder_.attempt(c.in, c.limits, [&](wire::Reader& in) {
          code = wire::read_server_packet_code(in);
          // A Progress left over from an earlier query may come first.
          if (code == wire::ServerPacketCode::progress) wire::read_progress(in, revision_);
        })) {
      return Next::read(decoder_.read_hint(c.in));
    }
    if (code == wire::ServerPacketCode::pong) {
      state_ = State::finished;
      return Next::done();
    }
    if (code != wire::ServerPacketCode::progress) {
      throw Error(ErrorKind::protocol, "the server " + c.peer + " sent an unexpected " +
                                           std::string(wire::to_string(code)) + " packet during a ping");
    }
  }
}

}  // namespace chconn::detail::sansio
