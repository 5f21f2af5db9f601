#include "connection/sansio/handshake.h"

#include <string>

#include "chconn/core/error.h"
#include "chconn/wire/detail/protocol.h"

namespace chconn::detail::sansio {

wire::ClientHello client_hello(const Config& config) {
  wire::ClientHello hello;
  hello.client_name = config.client_name;
  hello.version_major = k_version_major;
  hello.version_minor = k_version_minor;
  hello.database = config.database;
  hello.user = config.user;
  hello.password = config.password;
  return hello;
}

Next Handshake::resume(Conversation& c) noexcept {
  try {
    switch (state_) {
      case State::start:
        c.out.clear();
        wire::write_hello(c.out, hello_);
        state_ = State::hello_sent;
        return Next::write(c.out.data());
      case State::hello_sent: return read_reply(c);
      case State::addendum_sent:
        c.out.clear();
        state_ = State::finished;
        return Next::done();
      case State::finished: break;
    }
    throw Error(ErrorKind::usage, "the handshake with " + c.peer + " was resumed after it ended");
  } catch (...) {
    c.out.clear();
    state_ = State::finished;
    return Next::failed(std::current_exception());
  }
}

Next Handshake::read_reply(Conversation& c) {
  c.out.clear();  // the Hello is written
  wire::ServerHello server;
  if (!decoder_.due(c.in) || !decoder_.attempt(c.in, c.limits, [&](wire::Reader& in) {
        server = wire::read_hello_reply(in, hello_.revision);
      })) {
    return Next::read(decoder_.read_hint(c.in));
  }
  if (server.revision < k_min_server_revision) {
    throw Error(ErrorKind::protocol, "the server " + c.peer + " speaks protocol revision " +
                                         std::to_string(server.revision) + ", older than the oldest chconn supports (" +
                                         std::to_string(k_min_server_revision) + ")");
  }
  const std::uint64_t revision = wire::negotiate_revision(hello_.revision, server.revision);
  info_.name = server.name;
  info_.version_major = server.version_major;
  info_.version_minor = server.version_minor;
  info_.version_patch = server.version_patch;
  info_.revision = server.revision;
  info_.negotiated_revision = revision;
  info_.timezone = server.timezone;
  info_.display_name = server.display_name;
  if (!wire::addendum_required(revision)) {
    state_ = State::finished;
    return Next::done();
  }
  wire::write_addendum(c.out, {}, revision);
  state_ = State::addendum_sent;
  return Next::write(c.out.data());
}

}  // namespace chconn::detail::sansio
