#include "net/async_tcp.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <utility>

#include "chconn/core/error.h"
#include "net/socket.h"

namespace chconn::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using detail::expired_error;
using detail::format_host_port;
using detail::timeout_error;

struct AsyncTcpStream::State {
  explicit State(const asio::any_io_executor& ex) : socket(ex), timer(ex), resolver(ex) {}
  tcp::socket socket;
  asio::steady_timer timer;
  tcp::resolver resolver;
  Deadline deadline = Deadline::never();
  Clock::duration allowed{};  // what the deadline left when it was set, for messages
  bool expired = false;       // the deadline closed the socket
  std::string peer;
};

namespace {

// The operation's error: a timeout when the deadline closed the socket, else the transport's.
Error failure(const AsyncTcpStream& stream, bool expired, Deadline deadline, Clock::duration allowed,
              std::string_view operation, const boost::system::error_code& ec) {
  const std::string what = std::string(operation) + " " + stream.peer();
  if (expired) return timeout_error(what, deadline, allowed);
  return Error(ErrorKind::network, what + ": " + ec.message());
}

}  // namespace

AsyncTcpStream::AsyncTcpStream(const asio::any_io_executor& executor) : state_(std::make_shared<State>(executor)) {}
AsyncTcpStream::~AsyncTcpStream() {
  if (state_) close();
}
AsyncTcpStream::AsyncTcpStream(AsyncTcpStream&&) noexcept = default;
AsyncTcpStream& AsyncTcpStream::operator=(AsyncTcpStream&&) noexcept = default;

void AsyncTcpStream::set_deadline(Deadline deadline) {
  State& s = *state_;
  s.deadline = deadline;
  s.allowed = deadline.remaining();
  s.timer.cancel();
  if (deadline.is_never()) return;
  // Clock::time_point and the timer's clock are both std::chrono::steady_clock.
  s.timer.expires_at(std::chrono::time_point_cast<std::chrono::steady_clock::duration>(deadline.when()));
  s.timer.async_wait(
      [weak = std::weak_ptr<State>(state_), armed = deadline.when()](const boost::system::error_code& ec) {
        if (ec) return;  // cancelled: re-armed or disarmed
        const auto state = weak.lock();
        if (!state || state->deadline.when() != armed) return;
        state->expired = true;
        boost::system::error_code ignored;
        state->resolver.cancel();
        state->socket.close(ignored);
      });
}

asio::awaitable<void> AsyncTcpStream::connect(std::string host, std::uint16_t port) {
  State& s = *state_;
  s.peer = format_host_port(host, port);
  if (s.deadline.expired()) throw expired_error("connect to " + s.peer, s.deadline);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  tcp::endpoint connected;
  try {
    if (!ec) {
      connected = tcp::endpoint(address, port);
      co_await s.socket.async_connect(connected, asio::use_awaitable);
    } else {
      const std::string service = std::to_string(port);
      const auto results = co_await s.resolver.async_resolve(host, service, asio::use_awaitable);
      connected = co_await asio::async_connect(s.socket, results, asio::use_awaitable);
    }
  } catch (const boost::system::system_error& e) {
    throw failure(*this, s.expired, s.deadline, s.allowed, "connect to", e.code());
  }
  s.socket.set_option(tcp::no_delay(true), ec);
  s.peer = format_host_port(connected.address().to_string(), connected.port());
}

asio::awaitable<std::optional<std::size_t>> AsyncTcpStream::read_some(std::span<std::uint8_t> bytes,
                                                                      asio::cancellation_slot cancel) {
  State& s = *state_;
  if (s.deadline.expired() && !s.expired) throw expired_error("read from " + s.peer, s.deadline);
  if (!s.socket.is_open()) {
    if (s.expired) throw timeout_error("read from " + s.peer, s.deadline, s.allowed);
    throw Error(ErrorKind::usage, "read from " + s.peer + ": the stream is closed");
  }
  // as_tuple: a cancellation is an outcome here, not an exception.
  const asio::mutable_buffer buffer = asio::buffer(bytes.data(), bytes.size());
  auto token = asio::bind_cancellation_slot(cancel, asio::as_tuple(asio::use_awaitable));
  const auto [ec, n] = co_await s.socket.async_read_some(buffer, token);
  if (!ec) co_return n;
  if (ec == asio::error::eof) co_return 0;
  if (ec == asio::error::operation_aborted && s.socket.is_open() && !s.expired) co_return std::nullopt;
  throw failure(*this, s.expired, s.deadline, s.allowed, "read from", ec);
}

asio::awaitable<void> AsyncTcpStream::write_all(std::span<const std::uint8_t> bytes) {
  State& s = *state_;
  if (s.deadline.expired() && !s.expired) throw expired_error("write to " + s.peer, s.deadline);
  if (!s.socket.is_open()) {
    if (s.expired) throw timeout_error("write to " + s.peer, s.deadline, s.allowed);
    throw Error(ErrorKind::usage, "write to " + s.peer + ": the stream is closed");
  }
  try {
    const asio::const_buffer buffer = asio::buffer(bytes.data(), bytes.size());
    co_await asio::async_write(s.socket, buffer, asio::use_awaitable);
  } catch (const boost::system::system_error& e) {
    throw failure(*this, s.expired, s.deadline, s.allowed, "write to", e.code());
  }
}

void AsyncTcpStream::close() noexcept {
  boost::system::error_code ignored;
  try {
    // Asio's cancel() reports a failure of the reactor by throwing; closing goes on regardless.
    state_->timer.cancel();
    state_->resolver.cancel();
  } catch (...) {
  }
  state_->socket.close(ignored);
}

bool AsyncTcpStream::is_open() const noexcept { return state_->socket.is_open(); }
const std::string& AsyncTcpStream::peer() const noexcept { return state_->peer; }
asio::any_io_executor AsyncTcpStream::get_executor() const noexcept { return state_->socket.get_executor(); }

}  // namespace chconn::net
