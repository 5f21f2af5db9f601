// AsyncPool: the state lives in AsyncPoolCore and changes only on the pool's executor; every entry
// point (an acquire, a lease's end, a timer, a connect or a validation ping completing) moves there
// first. A change works out under the mutex what follows from it (Effects: callers to complete,
// connections to open, to ping or to close) and does it after the lock is let go, so no handler
// and no connection is ever called under the lock. The mutex is for stats(), which may read from
// any thread.
#include "chconn/strategy/async_pool.h"

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "chconn/core/error.h"
#include "strategy/coarse_clock.h"
#include "strategy/pool_rules.h"

namespace chconn {

namespace asio = boost::asio;

namespace detail {

struct AsyncPoolEntry {
  std::unique_ptr<AsyncConnection> connection;
  Clock::time_point expires{};    // opened + the jittered max_lifetime
  Clock::time_point last_used{};  // when it was last given back (or opened)
  bool given_back = false;        // its last lease has ended (under the pool's lock)
};

struct AsyncPoolWaiter {
  // Moved in by construction: Boost 1.81's any_completion_handler move assignment recurses without end.
  explicit AsyncPoolWaiter(asio::any_completion_handler<AsyncPool::acquire_signature> h) noexcept
      : handler(std::move(h)) {}

  asio::any_completion_handler<AsyncPool::acquire_signature> handler;
  // Keeps the pool's executor from running out of work while the caller waits.
  std::optional<asio::executor_work_guard<asio::any_io_executor>> work;
  std::optional<asio::steady_timer> timer;  // the caller's deadline; none for Deadline::never()
  Clock::time_point since{};
  bool done = false;  // completed (granted, failed, expired or cancelled): no longer in line
};

struct AsyncPoolCore : std::enable_shared_from_this<AsyncPoolCore> {
  using Entry = AsyncPoolEntry;
  using Waiter = AsyncPoolWaiter;
  using EntryRef = std::shared_ptr<Entry>;
  using WaiterRef = std::shared_ptr<Waiter>;

  AsyncPoolCore(AsyncPool::executor_type executor, const Config& cfg, PooledOptions o)
      : ex(std::move(executor)),
        config(cfg),
        options(std::move(o)),
        clock(options.clock ? options.clock : &coarse_steady_clock()),
        rng(options.jitter_seed != 0 ? options.jitter_seed : std::random_device{}()) {
    check_pooled_options(options);
    if (config.hosts.empty()) throw Error(ErrorKind::config, "pool '" + options.name + "': the config has no hosts");
    for (const HostPort& h : config.hosts) {
      target += (target.empty() ? "" : ",") + to_string(HostPort{h.host, config.port_of(h)});
    }
  }

  // What a change of state leaves to do once the lock is let go.
  struct Effects {
    std::vector<std::pair<WaiterRef, std::variant<std::exception_ptr, EntryRef>>> completions;
    std::vector<EntryRef> validations;
    std::size_t connects = 0;
    std::vector<EntryRef> doomed;  // closed when they go
  };

  // --- On the executor ---

  void acquire(const WaiterRef& w, Deadline caller_deadline) {
    Effects fx;
    {
      std::lock_guard lock(mutex);
      if (w->done) return;  // cancelled before it got here
      w->since = clock->now();
      if (closed) {
        complete(*w, w, std::make_exception_ptr(closed_error()), fx);
      } else {
        const Deadline deadline =
            caller_deadline.earliest(Deadline::after(options.acquire_timeout).named("the pool acquire timeout"));
        waiters.push_back(w);
        if (!deadline.is_never()) {
          w->timer.emplace(ex);
          w->timer->expires_at(deadline.when());
          w->timer->async_wait([self = shared_from_this(), w](const boost::system::error_code& ec) {
            if (!ec) self->give_up(w, false);
          });
        }
        pump(fx);
      }
    }
    run(fx);
  }

  // The caller's wait ends without a connection: its deadline passed, or it was cancelled.
  void give_up(const WaiterRef& w, bool cancelled) {
    Effects fx;
    {
      std::lock_guard lock(mutex);
      if (w->done) return;
      std::erase(waiters, w);
      const Clock::duration waited = clock->now() - w->since;
      std::exception_ptr e;
      if (cancelled) {
        e = std::make_exception_ptr(Error(ErrorKind::cancelled, "the wait for a connection of pool '" + options.name +
                                                                    "' was cancelled by the caller"));
      } else {
        ++counters.acquire_timeouts;
        e = std::make_exception_ptr(pool_exhausted_error(options.name, target, waited, lent, options.pool.max_size,
                                                         connecting, waiters.size()));
      }
      complete(*w, w, e, fx);
    }
    run(fx);
  }

  void give_back(EntryRef entry, bool broken) {
    Effects fx;
    {
      std::lock_guard lock(mutex);
      if (entry->given_back) return;  // a retry after a failed hand-off that had run after all
      entry->given_back = true;
      --lent;
      const AsyncConnection& c = *entry->connection;
      const bool session = !broken && c.usable() && c.session_changed() && !options.pool.keep_session_state;
      const Clock::time_point now = clock->now();
      if (closed || broken || !c.usable() || session || now >= entry->expires) {
        if (session) ++counters.session_closes;
        doom(std::move(entry), fx);
      } else {
        entry->last_used = now;
        offer(std::move(entry), fx);
      }
      pump(fx);
    }
    run(fx);
  }

  void connected(std::exception_ptr error, std::unique_ptr<AsyncConnection> connection) {
    Effects fx;
    {
      std::lock_guard lock(mutex);
      --connecting;
      if (error || !connection) {
        ++counters.connect_failures;
        if (!error)
          error = std::make_exception_ptr(Error(ErrorKind::network, "pool '" + options.name + "': no connection"));
        // The longest waiting caller hears why; the others wait on (for another connect, or a lease).
        if (!waiters.empty()) {
          WaiterRef w = waiters.front();
          waiters.pop_front();
          complete(*w, w, error, fx);
        }
      } else {
        ++counters.created;
        auto entry = std::make_shared<Entry>();
        entry->connection = std::move(connection);
        const Clock::time_point now = clock->now();
        entry->last_used = now;
        entry->expires = now + jittered_lifetime();
        if (closed) {
          doom(std::move(entry), fx);
        } else {
          offer(std::move(entry), fx);
        }
      }
      pump(fx);
    }
    run(fx);
  }

  void validated(EntryRef entry, const std::exception_ptr& error) {
    Effects fx;
    {
      std::lock_guard lock(mutex);
      --validating;
      if (error || closed || !entry->connection->usable()) {
        if (error) ++counters.validation_failures;
        doom(std::move(entry), fx);
      } else {
        entry->last_used = clock->now();
        offer(std::move(entry), fx);
      }
      pump(fx);
    }
    run(fx);
  }

  void shut() {
    Effects fx;
    {
      std::lock_guard lock(mutex);
      if (closed) return;
      closed = true;
      while (!waiters.empty()) {
        WaiterRef w = waiters.front();
        waiters.pop_front();
        complete(*w, w, std::make_exception_ptr(closed_error()), fx);
      }
      for (EntryRef& e : idle) doom(std::move(e), fx);
      idle.clear();
    }
    run(fx);
  }

  StrategyStats stats() const {
    std::lock_guard lock(mutex);
    StrategyStats s = counters;
    s.idle = idle.size();
    s.in_use = lent;
    s.open = idle.size() + lent + validating;
    s.connecting = connecting;
    s.waiting = waiters.size();
    return s;
  }

  // --- Under the lock ---

  // A connection free to lend: to the longest waiting caller, else idle.
  void offer(EntryRef entry, Effects& fx) {
    if (!waiters.empty()) {
      WaiterRef w = waiters.front();
      waiters.pop_front();
      ++lent;
      complete(*w, w, std::move(entry), fx);
    } else {
      idle.push_back(std::move(entry));
    }
  }

  // Serves the waiting callers from the idle connections, then opens or validates as many
  // connections as there are callers not yet provided for, within max_size.
  void pump(Effects& fx) {
    const Clock::time_point now = clock->now();
    // Idle ones past their time go first, whether or not anyone waits.
    std::vector<EntryRef> kept;
    for (EntryRef& e : idle) {
      if (now < e->expires && now - e->last_used < options.pool.idle_timeout && e->connection->usable()) {
        kept.push_back(std::move(e));
      } else {
        doom(std::move(e), fx);
      }
    }
    idle = std::move(kept);
    const auto in_flight = [&] { return connecting + validating; };
    while (!waiters.empty() && !idle.empty()) {
      const bool check = now - idle.back()->last_used >= options.pool.validate_after_idle;
      if (check && in_flight() >= waiters.size()) break;  // enough on their way for those waiting
      EntryRef e = std::move(idle.back());
      idle.pop_back();
      if (check) {
        ++validating;
        fx.validations.push_back(std::move(e));
      } else {
        offer(std::move(e), fx);
      }
    }
    while (waiters.size() > in_flight() && idle.size() + lent + in_flight() < options.pool.max_size) {
      ++connecting;
      ++fx.connects;
    }
  }

  void complete(Waiter& w, const WaiterRef& ref, std::variant<std::exception_ptr, EntryRef> outcome, Effects& fx) {
    w.done = true;
    if (w.timer) w.timer->cancel();
    if (auto* entry = std::get_if<EntryRef>(&outcome)) {
      (*entry)->given_back = false;
      ++counters.acquired;
      const Clock::duration waited = clock->now() - w.since;
      counters.total_wait += waited;
      counters.max_wait = std::max<std::chrono::nanoseconds>(counters.max_wait, waited);
    }
    fx.completions.emplace_back(ref, std::move(outcome));
  }

  void doom(EntryRef entry, Effects& fx) {
    ++counters.closed;
    fx.doomed.push_back(std::move(entry));
  }

  Clock::duration jittered_lifetime() {
    const double j = options.pool.lifetime_jitter;
    std::uniform_real_distribution<double> spread(1.0 - j, 1.0 + j);
    const double ns = static_cast<double>(Clock::duration(options.pool.max_lifetime).count()) * spread(rng);
    return Clock::duration(static_cast<Clock::duration::rep>(ns));
  }

  Error closed_error() const {
    return Error(ErrorKind::cancelled, "pool '" + options.name + "' was closed while waiting for a connection");
  }

  // --- After the lock ---

  void run(Effects& fx) {
    for (auto& [w, outcome] : fx.completions) {
      auto handler = std::move(w->handler);
      w->work.reset();
      const auto handler_ex = asio::get_associated_executor(handler, ex);
      if (auto* entry = std::get_if<EntryRef>(&outcome)) {
        AsyncLease lease(shared_from_this(), std::move(*entry));
        asio::post(ex, asio::bind_executor(handler_ex, [h = std::move(handler), lease = std::move(lease)]() mutable {
                     asio::get_associated_cancellation_slot(h).clear();  // on the caller's executor, as assigned
                     std::move(h)(std::exception_ptr(), std::move(lease));
                   }));
      } else {
        asio::post(ex, asio::bind_executor(
                           handler_ex, [h = std::move(handler), e = std::get<std::exception_ptr>(outcome)]() mutable {
                             asio::get_associated_cancellation_slot(h).clear();
                             std::move(h)(e, AsyncLease());
                           }));
      }
    }
    for (EntryRef& e : fx.validations) {
      AsyncConnection& c = *e->connection;
      c.async_ping(Deadline::after(options.validate_timeout).named("the pool validate timeout"),
                   [self = shared_from_this(), e = std::move(e)](const std::exception_ptr& error) mutable {
                     self->validated(std::move(e), error);
                   });
    }
    for (std::size_t i = 0; i < fx.connects; ++i) {
      asio::co_spawn(ex, connect_first(shared_from_this()),
                     [self = shared_from_this()](const std::exception_ptr& error, std::unique_ptr<AsyncConnection> c) {
                       self->connected(error, std::move(c));
                     });
    }
    fx.doomed.clear();  // closes them
  }

  // The first of the hosts, in order, that answers within Timeouts::connect.
  static asio::awaitable<std::unique_ptr<AsyncConnection>> connect_first(std::shared_ptr<AsyncPoolCore> self) {
    std::exception_ptr last;
    for (const HostPort& host : self->config.hosts) {
      try {
        co_return co_await AsyncConnection::async_connect(self->ex, self->config, host, Deadline::never(),
                                                          asio::use_awaitable);
      } catch (const Error&) {
        last = std::current_exception();
      }
    }
    std::rethrow_exception(last);
  }

  const AsyncPool::executor_type ex;
  const Config config;
  const PooledOptions options;
  const Clock* const clock;
  std::string target;  // the hosts, for messages

  mutable std::mutex mutex;
  std::vector<EntryRef> idle;  // the most recently given back last
  std::deque<WaiterRef> waiters;
  std::size_t lent = 0;
  std::size_t connecting = 0;
  std::size_t validating = 0;
  bool closed = false;
  StrategyStats counters;  // the counting fields (the gauges are computed by stats())
  std::mt19937_64 rng;
};

}  // namespace detail

// --- AsyncLease ---

AsyncLease::AsyncLease() noexcept = default;

AsyncLease::AsyncLease(std::shared_ptr<detail::AsyncPoolCore> core,
                       std::shared_ptr<detail::AsyncPoolEntry> entry) noexcept
    : core_(std::move(core)), entry_(std::move(entry)) {}

AsyncLease::AsyncLease(AsyncLease&& other) noexcept
    : core_(std::move(other.core_)), entry_(std::move(other.entry_)), broken_(std::exchange(other.broken_, false)) {}

AsyncLease& AsyncLease::operator=(AsyncLease&& other) noexcept {
  if (this != &other) {
    release();
    core_ = std::move(other.core_);
    entry_ = std::move(other.entry_);
    broken_ = std::exchange(other.broken_, false);
  }
  return *this;
}

AsyncLease::~AsyncLease() { release(); }

AsyncConnection& AsyncLease::operator*() const {
  if (!entry_) throw Error(ErrorKind::usage, "the AsyncLease is empty (moved from or released)");
  return *entry_->connection;
}

void AsyncLease::release() noexcept {
  if (!entry_) return;
  std::shared_ptr<detail::AsyncPoolCore> core = std::move(core_);
  std::shared_ptr<detail::AsyncPoolEntry> entry = std::move(entry_);
  const bool broken = std::exchange(broken_, false);
  try {
    asio::dispatch(core->ex, [core, entry, broken] { core->give_back(entry, broken); });
  } catch (...) {
    // No memory for the hand-off: the books are kept here instead, and the connection is closed.
    try {
      core->give_back(entry, true);
    } catch (...) {
      // Not even for that: the pool counts one lease too many until it is closed.
    }
  }
}

// --- AsyncPool ---

AsyncPool::AsyncPool(executor_type executor, const Config& config)
    : AsyncPool(std::move(executor), config, pooled_options(config)) {}

AsyncPool::AsyncPool(executor_type executor, const Config& config, PooledOptions options)
    : core_(std::make_shared<detail::AsyncPoolCore>(std::move(executor), config, std::move(options))) {}

AsyncPool::~AsyncPool() { close(); }

void AsyncPool::start_acquire(const std::shared_ptr<detail::AsyncPoolCore>& core, Deadline deadline,
                              asio::any_completion_handler<acquire_signature> handler) {
  auto w = std::make_shared<detail::AsyncPoolWaiter>(std::move(handler));
  w->work.emplace(core->ex);
  // Assigned here, on the initiating thread, and cleared where the handler completes: a
  // cancellation may come before the pool's executor has seen the wait (an awaitable operator whose
  // other branch ends first), and give_up() then ends it as soon as it runs.
  auto slot = asio::get_associated_cancellation_slot(w->handler);
  if (slot.is_connected()) {
    slot.assign([weak = std::weak_ptr<detail::AsyncPoolCore>(core), w](asio::cancellation_type type) {
      if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial)) ==
          asio::cancellation_type::none) {
        return;
      }
      if (auto self = weak.lock()) asio::post(self->ex, [self, w] { self->give_up(w, true); });
    });
  }
  asio::dispatch(core->ex, [core, w, deadline] { core->acquire(w, deadline); });
}

void AsyncPool::close() noexcept {
  try {
    asio::dispatch(core_->ex, [core = core_] { core->shut(); });
  } catch (...) {
    try {
      core_->shut();
    } catch (...) {
      // No memory to fail the waiters with: their deadlines end their waits.
    }
  }
}

StrategyStats AsyncPool::stats() const { return core_->stats(); }

const std::string& AsyncPool::name() const noexcept { return core_->options.name; }

}  // namespace chconn
