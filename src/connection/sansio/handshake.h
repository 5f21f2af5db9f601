// The handshake as a sans-I/O operation (operation.h): the client's Hello, the server's Hello (or
// the Exception that refuses the login), and the addendum when the negotiated revision has one.
#pragma once

#include <cstdint>

#include "chconn/connection/connection.h"
#include "chconn/core/config.h"
#include "chconn/wire/detail/packets.h"
#include "connection/sansio/operation.h"

namespace chconn::detail::sansio {

// chconn's version, as its Hello and ClientInfo carry it.
inline constexpr std::uint64_t k_version_major = 0;
inline constexpr std::uint64_t k_version_minor = 1;
inline constexpr std::uint64_t k_version_patch = 0;

// The Hello a connection with `config` sends (client name, database, user, password).
wire::ClientHello client_hello(const Config& config);

// chconn always sends ClientInfo and reads BlockInfo; servers older than this have neither.
inline constexpr std::uint64_t k_min_server_revision = 54032;

class Handshake final : public Operation {
 public:
  explicit Handshake(wire::ClientHello hello) : hello_(std::move(hello)) {}

  Next resume(Conversation& c) noexcept override;

  // After done: what the server said of itself, with the revision both sides speak.
  const ServerInfo& info() const noexcept { return info_; }
  std::uint64_t revision() const noexcept { return info_.negotiated_revision; }
  const PacketDecoder& decoder() const noexcept { return decoder_; }

 private:
  enum class State : std::uint8_t { start, hello_sent, addendum_sent, finished };
  Next read_reply(Conversation& c);

  wire::ClientHello hello_;
  State state_ = State::start;
  PacketDecoder decoder_;
  ServerInfo info_;
};

}  // namespace chconn::detail::sansio
