// Ping as a sans-I/O operation (operation.h): a Ping packet, then packets up to the Pong. A
// Progress left over from an earlier query may come first and is skipped; anything else is a
// protocol error.
#pragma once

#include <cstdint>

#include "connection/sansio/operation.h"

namespace chconn::detail::sansio {

class Ping final : public Operation {
 public:
  // `revision`: the session's negotiated revision (the Progress layout depends on it).
  explicit Ping(std::uint64_t revision) noexcept : revision_(revision) {}

  Next resume(Conversation& c) noexcept override;

  const PacketDecoder& decoder() const noexcept { return decoder_; }

 private:
  enum class State : std::uint8_t { start, ping_sent, finished };
  Next read_reply(Conversation& c);

  std::uint64_t revision_;
  State state_ = State::start;
  PacketDecoder decoder_;
};

}  // namespace chconn::detail::sansio
