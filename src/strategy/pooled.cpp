// PooledStrategy: its public members, and the slow path of acquire (waiting in line for a
// connection, validating an idle one, opening a new one). The pool itself, its hot path and its
// invariants are in pool_core.h; its background books in pool_maintenance.cpp.
#include "chconn/strategy/pooled.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "strategy/pool_core.h"
#include "strategy/pool_rules.h"

namespace chconn {

PooledStrategy::Core::Entry* PooledStrategy::Core::wait_in_line(std::unique_lock<std::mutex>& lock, Deadline deadline) {
  Waiter w;
  push_waiter(&w);
  // Queued first (waiting_ is set), then a parked connection is taken if there is one: see
  // "Parking".
  if (Entry* e = steal_parked(true)) {
    unlink_waiter(&w);
    return e;
  }
  const time_point start = clock_->now();
  // A short spin before sleeping: when the holder gives its connection back within microseconds
  // (a burst of tiny queries on a small pool), the hand-off then costs no sleep and wake-up of
  // this thread. Bounded in real time; the lock is not held while spinning.
  lock.unlock();
  spin_until_ready(w);
  lock.lock();
  for (;;) {
    if (w.entry != nullptr || w.slot || w.cancelled) break;
    const duration left = deadline.remaining(*clock_);
    if (left <= duration::zero()) {
      unlink_waiter(&w);
      ++acquire_timeouts_;
      const duration waited = clock_->now() - start;
      note_wait(waited);
      throw exhausted_error(waited);
    }
    // Real-time slices: the Clock may be a ManualClock that only moves when a test says so.
    w.cv.wait_for(lock, std::min<duration>(left, options_.wait_slice));
  }
  note_wait(clock_->now() - start);
  if (w.cancelled) throw shut_down_error();
  return w.entry;
}

void PooledStrategy::Core::spin_until_ready(const Waiter& w) noexcept {
  constexpr auto k_spin = std::chrono::microseconds(20);
  const auto until = std::chrono::steady_clock::now() + k_spin;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (w.ready.load(std::memory_order_acquire)) return;
      cpu_pause();
    }
    if (std::chrono::steady_clock::now() >= until) return;
  }
}

namespace detail {

void check_pooled_options(const PooledOptions& options) {
  chconn::validate(options.pool, "pool '" + options.name + "': ");
  if (options.acquire_timeout <= Clock::duration::zero()) {
    throw Error(ErrorKind::config, "pool '" + options.name + "': acquire_timeout must be positive");
  }
}

Error pool_exhausted_error(const std::string& name, const std::string& target, Clock::duration waited,
                           std::size_t in_use, std::size_t max_size, std::size_t connecting, std::size_t waiting) {
  return Error(ErrorKind::pool_exhausted,
               "pool '" + name + "' (" + target + ") has no free connection after waiting " + duration_text(waited) +
                   ": " + std::to_string(in_use) + " of max_size " + std::to_string(max_size) + " in use, " +
                   std::to_string(connecting) + " being opened, " + std::to_string(waiting) +
                   " other callers waiting. Release leases sooner, raise pool max_size (pool_max), or retry "
                   "later");
}

}  // namespace detail

Error PooledStrategy::Core::exhausted_error(duration waited) const {
  return detail::pool_exhausted_error(options_.name, target_, waited, in_use_, options_.pool.max_size, connecting_,
                                      waiter_count_);
}

PooledStrategy::Core::Validation PooledStrategy::Core::validate(Entry& entry, Deadline deadline) noexcept {
  const auto dropped = [&](const char* what) {
    log(options_.logger.get(), LogLevel::debug,
        "pool '" + options_.name + "': validation ping of connection #" + std::to_string(entry.id) + " to " +
            entry.peer + " failed, dropping it: " + what);
  };
  try {
    const time_point now = clock_->now();
    entry.connection->ping(
        deadline.earliest(Deadline::after(options_.validate_timeout, now).named("the pool validate timeout")));
    return entry.connection->usable() ? Validation::ok : Validation::peer_failed;
  } catch (const Error& e) {
    dropped(e.what());
    return classify(e).host_failure || !entry.connection->usable() ? Validation::peer_failed : Validation::failed;
  } catch (const std::exception& e) {
    dropped(e.what());
    return Validation::failed;
  } catch (...) {
    return Validation::failed;
  }
}

Lease PooledStrategy::Core::connect_new(Deadline deadline) {
  std::unique_ptr<Connection> connection;
  try {
    connection = connector_->connect(deadline);
    if (!connection) throw Error(ErrorKind::usage, "connector '" + target_ + "' returned no connection");
  } catch (...) {
    std::lock_guard lock(mutex_);
    --connecting_;
    ++connect_failures_;
    free_slots(1);
    throw;
  }
  std::string peer = connection->peer();
  const time_point now = clock_->now();
  std::unique_lock lock(mutex_);
  --connecting_;
  if (shut_down_) {
    // Only when the strategy was destroyed while this call was running: nothing may be lent.
    lock.unlock();
    connection->close();
    throw shut_down_error();
  }
  ++in_use_;
  ++acquired_;
  Entry* e = add_entry(std::move(peer), now);
  e->leased_since.store(now.time_since_epoch().count(), std::memory_order_relaxed);
  return Lease::borrowed(*this, std::move(connection), e);
}

PooledStrategy::Core::~Core() {
  // Only reached once the strategy and every lease are gone: nothing is lent out any more.
  std::vector<std::unique_ptr<Connection>> doomed;
  for (auto& e : entries_) doomed.push_back(std::move(e->connection));
  close_all(doomed);
}

namespace {
PooledOptions options_of(const PoolOptions& pool, const Timeouts& timeouts) {
  PooledOptions o;
  o.pool = pool;
  o.acquire_timeout = timeouts.pool_acquire;
  o.validate_timeout = std::min(timeouts.connect, timeouts.receive);
  return o;
}
PooledOptions on_clock(PooledOptions o, const Clock& clock) {
  o.clock = &clock;
  return o;
}
}  // namespace

PooledOptions pooled_options(const Config& config) {
  PooledOptions o = options_of(config.pool, config.timeouts);
  o.logger = config.logger;
  return o;
}

PooledStrategy::PooledStrategy(std::shared_ptr<Connector> connector, PooledOptions options)
    : core_(std::make_shared<Core>(std::move(connector), std::move(options))) {}

PooledStrategy::PooledStrategy(std::shared_ptr<Connector> connector, const Config& config)
    : PooledStrategy(std::move(connector), pooled_options(config)) {}

PooledStrategy::PooledStrategy(std::shared_ptr<Connector> connector, const Config& config, const Clock& clock)
    : PooledStrategy(std::move(connector), on_clock(pooled_options(config), clock)) {}

PooledStrategy::PooledStrategy(std::shared_ptr<Connector> connector, const PoolOptions& pool, const Timeouts& timeouts)
    : PooledStrategy(std::move(connector), options_of(pool, timeouts)) {}

PooledStrategy::PooledStrategy(std::shared_ptr<Connector> connector, const PoolOptions& pool, const Timeouts& timeouts,
                               const Clock& clock)
    : PooledStrategy(std::move(connector), on_clock(options_of(pool, timeouts), clock)) {}

PooledStrategy::~PooledStrategy() { core_->shutdown(core_); }

Lease PooledStrategy::acquire(Deadline deadline) { return core_->acquire(deadline); }

const std::string& PooledStrategy::name() const noexcept { return core_->options().name; }

StrategyStats PooledStrategy::stats() const { return core_->stats(); }

MaintenanceReport PooledStrategy::maintain() { return core_->maintain(true); }

std::vector<HostStats> PooledStrategy::host_stats() const { return core_->host_stats(); }

std::vector<HostCheck> PooledStrategy::check_hosts(const HostCheckOptions& options) {
  return core_->check_hosts(options);
}

const PooledOptions& PooledStrategy::options() const noexcept { return core_->options(); }

}  // namespace chconn
