// AsyncPool: a bounded pool of AsyncConnections for services on an Asio event loop (issue 18), the
// async twin of PooledStrategy. `co_await pool.async_acquire(deadline, use_awaitable)` completes
// with an AsyncLease; a caller that finds no free connection waits as a suspended operation (no
// thread blocked), and waiters are served in the order they came.
//
// The rules are PooledStrategy's (chconn/strategy/pooled.h), from the same PooledOptions:
//   - at most pool.max_size connections open at once, lent, idle, being opened or validated;
//   - a wait ends at the caller's deadline or PooledOptions::acquire_timeout, whichever is first,
//     with Error(pool_exhausted) naming the pool and its state; a connect that fails completes the
//     longest waiting caller with the connect's error (the others go on waiting);
//   - the most recently used idle connection is lent first; one idle for pool.validate_after_idle
//     or longer is pinged first (within PooledOptions::validate_timeout) and dropped if the ping
//     fails; one idle longer than pool.idle_timeout, or past its lifetime (pool.max_lifetime,
//     ±pool.lifetime_jitter), is closed instead of lent;
//   - a lease that ends with its connection unusable, marked broken, or with its session changed
//     (AsyncConnection::session_changed(), unless pool.keep_session_state) closes the connection.
// The hosts of the Config are tried in order, each within Timeouts::connect; the first that
// answers serves the connection. Not yet (PooledStrategy has them): min_idle refill and the
// background reaping (an idle connection is judged when the pool next looks at it), leak reports,
// retiring a failed peer's other idle connections, parking, the host checks of several hosts.
//
// Completion signature void(std::exception_ptr, AsyncLease); with use_awaitable a failure is thrown
// as chconn::Error. Cancellation: a terminal or partial cancellation through the handler's
// cancellation slot (awaitable operators emit one) ends the wait with Error(cancelled); emit it on
// the executor the caller waits on.
//
// Time: waits end at real deadlines (Asio timers), so give async_acquire a Deadline of the steady
// clock; PooledOptions::clock (a ManualClock in tests) judges idle times, lifetimes and the wait
// statistics.
//
// Thread safety: the pool's state lives on its executor. Operations and lease ends may come from
// any thread: they move to the executor (boost::asio::dispatch) first. When the io_context runs
// on several threads, give the pool a strand. stats() may be called from any thread.
//
// Lifetimes: the pool's state lives as long as its leases and pending operations, so the AsyncPool
// may be destroyed first (its destructor is close()). The pool and its leases must end before the
// io_context is destroyed, as any Asio object must, and a lease must not end while an operation
// runs on its connection (the next caller would get a busy connection).
//
// Example:
//   chconn::AsyncPool pool(io.get_executor(), config);
//   boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
//     chconn::AsyncLease lease = co_await pool.async_acquire(chconn::Deadline::after(5s), boost::asio::use_awaitable);
//     const chconn::QueryOptions options;
//     chconn::Result r = co_await lease->async_execute("SELECT 1", options, boost::asio::use_awaitable);
//   }, boost::asio::detached);  // the lease ends with the coroutine: the connection goes back
#pragma once

#include <exception>
#include <memory>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include "chconn/connection/async_connection.h"
#include "chconn/core/clock.h"
#include "chconn/core/config.h"
#include "chconn/strategy/pooled.h"
#include "chconn/strategy/strategy.h"

namespace chconn {

namespace detail {
struct AsyncPoolCore;
struct AsyncPoolEntry;
}  // namespace detail

// One AsyncConnection lent by an AsyncPool: move-only; the connection goes back when the lease ends
// (destructor, release(), being moved onto). Used by one thread at a time, like the connection.
class AsyncLease {
 public:
  AsyncLease() noexcept;
  AsyncLease(AsyncLease&& other) noexcept;
  AsyncLease& operator=(AsyncLease&& other) noexcept;
  AsyncLease(const AsyncLease&) = delete;
  AsyncLease& operator=(const AsyncLease&) = delete;
  ~AsyncLease();

  // The connection; Error(usage) on an empty lease.
  AsyncConnection& operator*() const;
  AsyncConnection* operator->() const { return &**this; }
  explicit operator bool() const noexcept { return entry_ != nullptr; }

  // Drop the connection when the lease ends instead of lending it again.
  void mark_broken() noexcept { broken_ = true; }
  // Ends the lease now (idempotent). No operation may be running on the connection (nor when the
  // lease is destroyed or moved onto).
  void release() noexcept;

 private:
  friend struct detail::AsyncPoolCore;
  AsyncLease(std::shared_ptr<detail::AsyncPoolCore> core, std::shared_ptr<detail::AsyncPoolEntry> entry) noexcept;

  std::shared_ptr<detail::AsyncPoolCore> core_;
  std::shared_ptr<detail::AsyncPoolEntry> entry_;
  bool broken_ = false;
};

class AsyncPool {
 public:
  using executor_type = boost::asio::any_io_executor;
  using acquire_signature = void(std::exception_ptr, AsyncLease);

  // A pool of connections to `config`'s hosts on `executor`, with pooled_options(config). Throws
  // Error(config) as PooledStrategy does for options out of their limits, and for no hosts.
  AsyncPool(executor_type executor, const Config& config);
  AsyncPool(executor_type executor, const Config& config, PooledOptions options);
  ~AsyncPool();
  AsyncPool(const AsyncPool&) = delete;
  AsyncPool& operator=(const AsyncPool&) = delete;

  // Completes with a lease, or with Error(pool_exhausted) when `deadline` (or the acquire timeout)
  // passes first, the connect's error, Error(cancelled) (the slot, or the pool closed).
  template <class CompletionToken>
  auto async_acquire(Deadline deadline, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, acquire_signature>(
        [core = core_](auto handler, Deadline d) {
          start_acquire(core, d, boost::asio::any_completion_handler<acquire_signature>(std::move(handler)));
        },
        token, deadline);
  }

  // Fails every waiting caller with Error(cancelled) and closes the idle connections; leases out
  // close theirs when they end. Idempotent.
  void close() noexcept;

  // open counts idle, lent and validating connections; connecting those being opened.
  StrategyStats stats() const;
  const std::string& name() const noexcept;

 private:
  static void start_acquire(const std::shared_ptr<detail::AsyncPoolCore>& core, Deadline deadline,
                            boost::asio::any_completion_handler<acquire_signature> handler);

  std::shared_ptr<detail::AsyncPoolCore> core_;
};

}  // namespace chconn
