// chconn::net::AsyncTcpStream — a TCP stream on an Asio executor for the async connection (issue
// 18): connect, read_some and write_all as C++20 coroutines (boost::asio::awaitable), and one
// deadline for whatever runs on it, kept by an Asio timer that closes the socket when it expires.
// An operation ended that way throws Error(timeout) naming the limit, like the blocking streams
// (chconn/net/stream.h); other failures are Error(network) naming the operation and the peer.
//
// Boost.Asio (Boost 1.81, Debian's libboost1.81-dev) rather than standalone Asio (libasio-dev
// 1.22 on Debian 12): 1.81 has any_completion_handler, which lets AsyncConnection compile its
// operations once in the library behind completion-token templates, and asio::deferred out of
// experimental.
//
// After a timeout the socket is closed: unlike the blocking streams, an expired deadline is not
// resumable (a timed-out read cannot be told apart from one that consumed bytes once the socket is
// closed), so the connection that owns the stream is broken.
//
// Thread safety: one operation at a time, on the stream's executor (or a strand of it). Lifetimes:
// the timer's handler holds only a weak reference, so the stream may be destroyed with a deadline
// armed; destroying it cancels everything pending.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include "chconn/core/clock.h"

namespace chconn::net {

class AsyncTcpStream {
 public:
  explicit AsyncTcpStream(const boost::asio::any_io_executor& executor);
  ~AsyncTcpStream();
  AsyncTcpStream(AsyncTcpStream&&) noexcept;
  AsyncTcpStream& operator=(AsyncTcpStream&&) noexcept;

  // The deadline of the operations from now on (Deadline::never() disarms it). When it expires the
  // socket is closed and the operation in progress throws Error(timeout). A deadline already
  // passed makes the next operation throw at once.
  void set_deadline(Deadline deadline);

  // Resolves `host` (a literal address, or a name through Asio's resolver) and connects to the
  // first address that accepts, with TCP_NODELAY.
  boost::asio::awaitable<void> connect(std::string host, std::uint16_t port);
  // Reads at least 1 and at most bytes.size() bytes; 0 at an orderly end of stream; nullopt when
  // the read was cancelled through `cancel` (a cancellation_signal's slot) before any byte came: on
  // a TCP socket a cancelled read consumes nothing, so the stream is where it was and the next
  // read goes on from there. A read cut short by close() or the deadline throws instead.
  boost::asio::awaitable<std::optional<std::size_t>> read_some(std::span<std::uint8_t> bytes,
                                                               boost::asio::cancellation_slot cancel);
  boost::asio::awaitable<void> write_all(std::span<const std::uint8_t> bytes);

  void close() noexcept;
  bool is_open() const noexcept;
  // "host:port" of the peer once connected ("127.0.0.1:9000"), else the target given to connect().
  const std::string& peer() const noexcept;
  boost::asio::any_io_executor get_executor() const noexcept;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace chconn::net
