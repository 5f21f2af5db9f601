#include "connection/sansio/operation.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "chconn/core/error.h"
#include "chconn/wire/detail/protocol.h"

namespace chconn::detail::sansio {

namespace {

std::uint64_t add_saturated(std::uint64_t a, std::uint64_t b) noexcept {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

// The code at the front of a packet, if its varint is all there.
std::optional<std::uint64_t> packet_code(std::span<const std::uint8_t> pending) noexcept {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < pending.size() && i < 10; ++i) {
    value |= static_cast<std::uint64_t>(pending[i] & 0x7f) << (7 * i);
    if ((pending[i] & 0x80) == 0) return value;
  }
  return std::nullopt;
}

}  // namespace

PacketBound packet_bound(std::span<const std::uint8_t> pending, const DecodeLimits& limits) noexcept {
  using wire::ServerPacketCode;
  const std::optional<std::uint64_t> code = packet_code(pending);
  PacketBound bound{add_saturated(limits.max_string_bytes, k_packet_slack), "max_string_bytes"};
  if (!code) return bound;
  switch (static_cast<ServerPacketCode>(*code)) {
    case ServerPacketCode::data:
    case ServerPacketCode::totals:
    case ServerPacketCode::extremes:
    case ServerPacketCode::log:
    case ServerPacketCode::profile_events:
      bound = {add_saturated(add_saturated(limits.max_block_bytes, limits.max_block_bytes / 64), k_packet_slack),
               "max_block_bytes"};
      break;
    case ServerPacketCode::exception:
      bound = {add_saturated(limits.max_exception_chain_bytes, k_packet_slack), "max_exception_chain_bytes"};
      break;
    default: break;
  }
  return bound;
}

void PacketDecoder::refuse_oversized(std::span<const std::uint8_t> pending, const PacketBound& bound) {
  const std::optional<std::uint64_t> code = packet_code(pending);
  const std::string what =
      code ? std::string(wire::to_string(static_cast<wire::ServerPacketCode>(*code))) + " packet" : "packet";
  throw Error(ErrorKind::protocol,
              "a server " + what + " is still incomplete after " + std::to_string(pending.size()) +
                  " bytes, more than the " + std::to_string(bound.bytes) +
                  " chconn holds of one (DecodeLimits::" + bound.limit + " plus " + std::to_string(k_packet_slack) +
                  " bytes); the stream is corrupt or the limit too low (raise DecodeLimits::" + bound.limit +
                  ", DSN parameter " + bound.limit + ")");
}

std::span<std::uint8_t> ReceiveBuffer::prepare(std::size_t n) {
  const std::size_t held = end_ - begin_;
  if (buf_.size() > k_retained_bytes && held + n <= buf_.size() / 4) {
    // A large packet has gone: give its memory back, keeping what is pending.
    PodVector<std::uint8_t> smaller;
    smaller.resize(held + n);
    if (held > 0) std::memcpy(smaller.data(), buf_.data() + begin_, held);
    buf_ = std::move(smaller);
    begin_ = 0;
    end_ = held;
  }
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (begin_ > 0 && buf_.size() - end_ < n) {
    // Move the pending bytes to the front before growing: the buffer stays within a packet plus a
    // read, however long the session.
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buf_.size() - end_ < n) buf_.resize(end_ + n);
  return {buf_.data() + end_, buf_.size() - end_};
}

void ReceiveBuffer::append(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  const auto room = prepare(bytes.size());
  std::memcpy(room.data(), bytes.data(), bytes.size());
  end_ += bytes.size();
}

void ReceiveBuffer::consume(std::size_t n) noexcept {
  begin_ += std::min(n, end_ - begin_);
  if (begin_ == end_) begin_ = end_ = 0;
}

}  // namespace chconn::detail::sansio
