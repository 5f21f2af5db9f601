// PooledStrategy: a bounded pool of connections that are really reused (the
// PooledConnectionStrategy of the plan chconn was built from, without the bug of its sketch, which
// closed every connection it put back; see docs/design.md, "Where it comes from").
//
// Rules (PoolOptions in chconn/core/config.h names the knobs):
//   - Bound: idle + in use + being opened never exceeds max_size.
//   - Acquire: the most recently returned idle connection is lent first (so surplus ones age and
//     are reaped); with none idle and room left, a new one is opened; otherwise the caller queues.
//     A queued caller gives up at its deadline or after acquire_timeout (finite by default) with
//     Error(pool_exhausted) saying how many connections were in use and how long it waited.
//   - Fairness: queued callers are served strictly first come, first served. A returned connection
//     (or a freed slot) is handed directly to the oldest waiter, and a newcomer never overtakes a
//     queue. A queued caller spins for up to 20 us before it sleeps, so that a hand-off within
//     that time (tiny queries on a small pool) costs no sleep and wake-up of its thread.
//   - Connecting happens outside the pool's lock: a slow or failing connect never blocks other
//     callers from taking or returning idle connections. A failed connect frees its slot (handed
//     to the next waiter) and its Error reaches the caller that asked for it.
//   - Validation: a connection idle for validate_after_idle or longer is pinged before it is lent
//     (0: before every reuse). If the ping fails it is dropped and another (or a new) connection is
//     tried; the caller never sees the failed ping. A ping that failed for the peer's fault (a host
//     failure by classify(): reset, closed, timed out) also retires every idle connection to that
//     peer, so that after a restart they are not pinged one by one (against a silent peer, each
//     ping would cost validate_timeout).
//   - Lifetime: each connection retires after max_lifetime ± lifetime_jitter (uniformly drawn per
//     connection, so connections opened together do not all retire together). A leased connection
//     past its lifetime is closed when it comes back.
//   - Idle timeout: connections idle longer than idle_timeout are closed, keeping min_idle.
//   - Broken connections are dropped when they come back (lease marked broken, or !usable()).
//     One that broke (connection_broken error, or !usable()) also retires every idle connection to
//     the same peer: after a reset or a server restart they are very likely dead as well.
//   - Leaks: a lease held longer than leak_threshold is logged once, at warning, with its age,
//     through the configured Logger.
//
// Maintenance (idle and lifetime reaping, leak reports, refilling min_idle) runs in maintain():
// nothing runs in the background. Call maintain() once after construction to warm min_idle, then
// periodically (the ConnectionManager's health thread does). acquire() also runs the reaping and
// leak checks (not the refill, which would make a caller wait for someone else's connections) when
// maintenance_interval has passed since the last pass.
//
// Time comes from the injected Clock only. A queued caller sleeps on a condition variable in real
// time slices of at most wait_slice and re-reads the Clock after each, so with a ManualClock a
// waiter times out soon after the test advances the clock past its deadline; maintain() also wakes
// every waiter to re-read the clock at once, so tests are deterministic: advance, maintain, assert.
//
// Thread safety: every member may be called from any thread (but, as for any object, the
// destructor must not run while another thread is inside a member function; share the strategy
// through a shared_ptr, as ConnectionFactory does). Lifetimes: leases may outlive the strategy,
// and may end on other threads while it is being destroyed; its destructor closes the idle
// connections, and connections still leased are closed when their leases end (the pool's shared
// state lives until the last one has). The Clock must outlive the strategy and its leases; the
// Connector is held shared.
//
// Example:
//   auto pool = std::make_shared<chconn::PooledStrategy>(chconn::native_connector(config), config);
//   pool->maintain();                       // open config.pool.min_idle connections now
//   {
//     chconn::Lease lease = pool->acquire();
//     lease->execute("SELECT 1");
//   }                                       // back in the pool, not closed
//   chconn::StrategyStats s = pool->stats();  // s.idle == 1 (at least)
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chconn/connection/connector.h"
#include "chconn/core/clock.h"
#include "chconn/core/config.h"
#include "chconn/core/log.h"
#include "chconn/strategy/strategy.h"

namespace chconn {

struct PooledOptions {
  std::string name = "pooled";
  PoolOptions pool{};
  // How long acquire() waits at most, whatever the caller's deadline (Timeouts::pool_acquire).
  std::chrono::milliseconds acquire_timeout = std::chrono::seconds(10);
  // Upper bound on one validation ping (the acquire deadline applies too).
  std::chrono::milliseconds validate_timeout = std::chrono::seconds(5);
  // acquire() runs the reaping and leak checks at most this often; 0: only explicit maintain().
  std::chrono::milliseconds maintenance_interval = std::chrono::seconds(30);
  // The longest real-time sleep of a queued caller before it re-reads the Clock.
  std::chrono::milliseconds wait_slice = std::chrono::milliseconds(50);
  // null: a coarse monotonic clock (CLOCK_MONOTONIC_COARSE: steady_clock()'s origin, a few ms
  // resolution, several times cheaper to read; the pool reads the time on every acquire and
  // release). Must outlive the strategy and its leases.
  const Clock* clock = nullptr;
  // Leak reports and maintenance problems; null: silent.
  std::shared_ptr<const Logger> logger{};
  // Seed of the lifetime jitter; 0: a random seed.
  std::uint64_t jitter_seed = 0;
};

// Options from a Config: its pool options, pool_acquire and connect timeouts, and logger.
PooledOptions pooled_options(const Config& config);

class PooledStrategy final : public ConnectionStrategy {
 public:
  // A pool over `connector` (never null: Error(usage)). Throws Error(config) for options out of the
  // limits validate(PoolOptions) checks (chconn/core/config.h: max_size 0, min_idle > max_size, a
  // jitter outside 0..0.5, a non-positive idle_timeout or max_lifetime, a negative
  // validate_after_idle or leak_threshold) and for a non-positive acquire timeout.
  PooledStrategy(std::shared_ptr<Connector> connector, PooledOptions options);
  // pooled_options(config), on the default clock or on `clock`.
  PooledStrategy(std::shared_ptr<Connector> connector, const Config& config);
  PooledStrategy(std::shared_ptr<Connector> connector, const Config& config, const Clock& clock);
  // From pool options and timeouts given apart (as PooledConnectionStrategy(config, pool_size) in
  // docs/design.md takes them), on the default clock or on `clock`.
  PooledStrategy(std::shared_ptr<Connector> connector, const PoolOptions& pool, const Timeouts& timeouts);
  PooledStrategy(std::shared_ptr<Connector> connector, const PoolOptions& pool, const Timeouts& timeouts,
                 const Clock& clock);
  ~PooledStrategy() override;

  using ConnectionStrategy::acquire;
  Lease acquire(Deadline deadline) override;
  const std::string& name() const noexcept override;
  StrategyStats stats() const override;
  MaintenanceReport maintain() override;
  // Over a connector of several hosts (native_connector of a Config with several, or
  // connector_over_hosts): one entry per host, and each host checked on its own with a new
  // connection through its own connector (not one of the pool's), within the check's timeout and
  // at most acquire_timeout. Empty for a connector of one target.
  std::vector<HostStats> host_stats() const override;
  std::vector<HostCheck> check_hosts(const HostCheckOptions& options) override;

  const PooledOptions& options() const noexcept;

  class Core;  // shared with the leases; internal

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace chconn
