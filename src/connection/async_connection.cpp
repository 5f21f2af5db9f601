#include "chconn/connection/async_connection.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <string>
#include <utility>

#include "chconn/core/error.h"
#include "connection/deadlines.h"
#include "connection/sansio/async_driver.h"
#include "connection/sansio/handshake.h"
#include "connection/sansio/ping.h"
#include "net/async_tcp.h"

namespace chconn {

namespace asio = boost::asio;

struct AsyncConnection::Impl {
  Impl(const executor_type& executor, const Config& cfg)
      : config(cfg), stream(executor), conversation(cfg.limits, {}) {}

  Config config;
  net::AsyncTcpStream stream;
  detail::sansio::Conversation conversation;
  ServerInfo info;
  bool broken = false;
  bool busy = false;  // an operation is in progress

  void check_usable(std::string_view operation) const {
    if (busy) {
      throw Error(ErrorKind::usage, std::string(operation) + " on the connection to " + conversation.peer +
                                        ": another operation is in progress; start one at a time (or use a pool)");
    }
    if (broken || !stream.is_open()) {
      throw Error(ErrorKind::usage, "the connection to " + conversation.peer +
                                        " is closed or broken by an earlier error; open a new one");
    }
  }
};

namespace {

// Marks the connection busy for one operation.
class Busy {
 public:
  explicit Busy(AsyncConnection::Impl& impl) noexcept : impl_(impl) { impl_.busy = true; }
  ~Busy() { impl_.busy = false; }
  Busy(const Busy&) = delete;
  Busy& operator=(const Busy&) = delete;

 private:
  AsyncConnection::Impl& impl_;
};

}  // namespace

AsyncConnection::AsyncConnection(std::shared_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
AsyncConnection::~AsyncConnection() { close(); }

void AsyncConnection::start_connect(const executor_type& executor, const Config& config, const HostPort& host,
                                    Deadline deadline, asio::any_completion_handler<connect_signature> handler) {
  auto run = [](executor_type ex, Config cfg, HostPort target,
                Deadline caller) -> asio::awaitable<std::unique_ptr<AsyncConnection>> {
    // Before any byte goes out, as NativeConnection::connect.
    cfg.validate();
    const std::string where = to_string(HostPort{target.host, cfg.port_of(target)});
    if (cfg.secure) {
      throw Error(ErrorKind::usage, "connecting to " + where +
                                        ": AsyncConnection speaks plain TCP only so far (secure=true is not supported "
                                        "yet); use NativeConnection for TLS");
    }
    auto impl = std::make_shared<Impl>(ex, cfg);
    try {
      impl->stream.set_deadline(
          detail::callers(caller).earliest(Deadline::after(cfg.timeouts.connect).named(detail::k_connect_limit)));
      co_await impl->stream.connect(target.host, cfg.port_of(target));
      impl->conversation.peer = impl->stream.peer();
      detail::sansio::Handshake handshake(detail::sansio::client_hello(cfg));
      co_await detail::sansio::run_async(handshake, impl->conversation, impl->stream);
      impl->stream.set_deadline(Deadline::never());
      impl->info = handshake.info();
    } catch (const Error& e) {
      impl->stream.close();
      throw e.with_context("connecting to " + where + " as user '" + cfg.user + "'");
    }
    co_return std::unique_ptr<AsyncConnection>(new AsyncConnection(std::move(impl)));
  };
  asio::co_spawn(executor, run(executor, config, host, deadline), std::move(handler));
}

void AsyncConnection::start_ping(Deadline deadline, asio::any_completion_handler<ping_signature> handler) {
  auto run = [](std::shared_ptr<Impl> impl, Deadline caller) -> asio::awaitable<void> {
    impl->check_usable("ping");
    const Busy busy(*impl);
    try {
      impl->stream.set_deadline(detail::callers(caller).earliest(
          Deadline::after(impl->config.timeouts.receive).named(detail::k_receive_limit)));
      detail::sansio::Ping ping(impl->info.negotiated_revision);
      co_await detail::sansio::run_async(ping, impl->conversation, impl->stream);
      impl->stream.set_deadline(Deadline::never());
    } catch (const Error& e) {
      impl->broken = true;
      impl->stream.close();
      if (e.kind() == ErrorKind::timeout) throw e.with_context("ping");
      throw;
    }
  };
  asio::co_spawn(impl_->stream.get_executor(), run(impl_, deadline), std::move(handler));
}

void AsyncConnection::close() noexcept {
  if (impl_) impl_->stream.close();
}

bool AsyncConnection::usable() const noexcept { return !impl_->broken && impl_->stream.is_open(); }
const ServerInfo& AsyncConnection::server_info() const noexcept { return impl_->info; }
const std::string& AsyncConnection::peer() const noexcept { return impl_->conversation.peer; }
AsyncConnection::executor_type AsyncConnection::get_executor() const noexcept { return impl_->stream.get_executor(); }

}  // namespace chconn
