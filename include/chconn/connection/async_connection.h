// AsyncConnection: the native protocol on an Asio executor, with C++20 coroutines (issue 18, first
// slice: connect and ping over TCP; queries, inserts and TLS come next).
//
// The conversation is the one NativeConnection runs (the sans-I/O handshake and ping), driven by
// Asio instead of blocking calls, so both send the same bytes. Operations take Asio completion
// tokens: boost::asio::use_awaitable, boost::asio::deferred, a callback, boost::asio::use_future.
// Completion signatures: async_connect void(std::exception_ptr, std::unique_ptr<AsyncConnection>),
// async_ping void(std::exception_ptr); with use_awaitable a failure is thrown as chconn::Error.
//
// Deadlines: each operation runs within its deadline (and, for connect, Config::timeouts.connect;
// for ping, Config::timeouts.receive). An Asio timer closes the socket when it expires; the
// operation then fails with Error(timeout) naming the limit, and the connection is no longer
// usable (unlike NativeConnection, an async timeout is not survivable yet).
//
// Thread safety: one operation at a time (a second one started before the first completed fails
// with Error(usage)), started from and completing on the connection's executor (use a strand when
// the io_context runs on several threads). Lifetimes: an operation keeps what it needs alive, so
// the AsyncConnection may be destroyed while one is pending (it closes the socket; the operation
// completes with an error).
//
// Example:
//   boost::asio::io_context io;
//   boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
//     auto conn = co_await chconn::AsyncConnection::async_connect(
//         io.get_executor(), config, config.hosts.front(), chconn::Deadline::after(10s), boost::asio::use_awaitable);
//     co_await conn->async_ping(chconn::Deadline::after(1s), boost::asio::use_awaitable);
//   }, boost::asio::detached);
//   io.run();
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include "chconn/connection/connection.h"
#include "chconn/core/clock.h"
#include "chconn/core/config.h"

namespace chconn {

class AsyncConnection {
 public:
  using executor_type = boost::asio::any_io_executor;
  using connect_signature = void(std::exception_ptr, std::unique_ptr<AsyncConnection>);
  using ping_signature = void(std::exception_ptr);

  // Connects to `host` (a literal address, or a name through Asio's resolver) and performs the
  // handshake within `deadline` and Config::timeouts.connect. Fails with the errors of
  // NativeConnection::connect; Error(usage) for config.secure (TLS is not supported yet).
  template <class CompletionToken>
  static auto async_connect(executor_type executor, const Config& config, const HostPort& host, Deadline deadline,
                            CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, connect_signature>(
        [](auto handler, const executor_type& ex, const Config& c, const HostPort& h, Deadline d) {
          start_connect(ex, c, h, d, boost::asio::any_completion_handler<connect_signature>(std::move(handler)));
        },
        token, std::move(executor), config, host, deadline);
  }

  // Sends a Ping and waits for the Pong within `deadline` and Config::timeouts.receive. A failure
  // leaves the connection unusable.
  template <class CompletionToken>
  auto async_ping(Deadline deadline, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, ping_signature>(
        [this](auto handler, Deadline d) {
          start_ping(d, boost::asio::any_completion_handler<ping_signature>(std::move(handler)));
        },
        token, deadline);
  }

  ~AsyncConnection();
  AsyncConnection(const AsyncConnection&) = delete;
  AsyncConnection& operator=(const AsyncConnection&) = delete;

  // Closes the socket; an operation in progress completes with an error. Idempotent.
  void close() noexcept;
  // False after close() or a failed operation.
  bool usable() const noexcept;
  const ServerInfo& server_info() const noexcept;
  // "host:port" of the server.
  const std::string& peer() const noexcept;
  executor_type get_executor() const noexcept;

  struct Impl;

 private:
  explicit AsyncConnection(std::shared_ptr<Impl> impl) noexcept;
  static void start_connect(const executor_type& executor, const Config& config, const HostPort& host,
                            Deadline deadline, boost::asio::any_completion_handler<connect_signature> handler);
  void start_ping(Deadline deadline, boost::asio::any_completion_handler<ping_signature> handler);

  std::shared_ptr<Impl> impl_;
};

}  // namespace chconn
