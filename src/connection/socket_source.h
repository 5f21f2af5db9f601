// Adapts a net::Stream to the wire codec: a ByteSource that reads big chunks into its own buffer,
// each read bounded by the current operation's deadline and the receive timeout. Bytes a sans-I/O
// operation (sansio/operation.h) received and left unconsumed come first.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>

#include "chconn/core/clock.h"
#include "chconn/core/error.h"
#include "chconn/net/stream.h"
#include "chconn/wire/io.h"
#include "connection/deadlines.h"
#include "connection/sansio/operation.h"

namespace chconn::detail {

class SocketSource final : public wire::ByteSource {
 public:
  // `pending`: bytes received before that are read first (may be null); it must outlive this.
  SocketSource(net::Stream& stream, std::chrono::milliseconds receive_timeout, std::size_t buffer_bytes,
               sansio::ReceiveBuffer* pending = nullptr)
      : stream_(&stream),
        pending_(pending),
        receive_timeout_(receive_timeout),
        buffer_(new std::uint8_t[buffer_bytes]),
        capacity_(buffer_bytes) {}

  // The deadline of the operation in progress; each read waits at most until the earlier of it
  // and now + receive timeout (named "the receive timeout" in messages).
  void set_deadline(Deadline deadline) noexcept { deadline_ = deadline; }
  Deadline deadline() const noexcept { return deadline_; }

  std::span<const std::uint8_t> next() override {
    if (pending_ && pending_->size() > 0) {
      const auto bytes = pending_->pending();
      const std::size_t n = std::min(bytes.size(), capacity_);
      std::memcpy(buffer_.get(), bytes.data(), n);
      pending_->consume(n);
      return {buffer_.get(), n};
    }
    const Deadline read_deadline = deadline_.earliest(Deadline::after(receive_timeout_).named(k_receive_limit));
    const std::size_t n = stream_->read_some(buffer_.get(), capacity_, read_deadline);
    if (n == 0) {
      throw Error(ErrorKind::network,
                  "the server " + stream_->peer() + " closed the connection in the middle of a reply");
    }
    received_ += n;
    return {buffer_.get(), n};
  }

  std::uint64_t received() const noexcept { return received_; }

 private:
  net::Stream* stream_;
  sansio::ReceiveBuffer* pending_;
  std::chrono::milliseconds receive_timeout_;
  Deadline deadline_ = Deadline::never();
  std::unique_ptr<std::uint8_t[]> buffer_;
  std::size_t capacity_;
  std::uint64_t received_ = 0;
};

}  // namespace chconn::detail
