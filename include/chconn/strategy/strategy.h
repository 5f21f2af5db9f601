// ConnectionStrategy: how connections are made and lent out (the IConnectionStrategy of the plan
// chconn was built from; see docs/design.md, "Where it comes from").
//
// A strategy hands out connections as RAII Leases (chconn/strategy/lease.h). Implementations:
//   DirectStrategy  (chconn/strategy/direct.h)  a new connection per lease, closed when it ends
//   PooledStrategy  (chconn/strategy/pooled.h)  a bounded pool that reuses connections
//   MockStrategy    (chconn/strategy/mock.h)    scripted connections for tests
// Strategies know nothing of the factory, manager or client above them (DESIGN.md, Layers): they
// are given a Connector to make connections with, and a Clock to read time from.
//
// Thread safety: every member of every strategy may be called from any number of threads at once.
// Lifetimes: leases may outlive their strategy (see lease.h).
//
// Example:
//   std::shared_ptr<chconn::ConnectionStrategy> strategy =
//       std::make_shared<chconn::PooledStrategy>(chconn::native_connector(config), config);
//   chconn::Lease lease = strategy->acquire();   // within the strategy's own acquire timeout
//   lease->execute("SELECT 1");
//   chconn::StrategyStats s = strategy->stats();
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/clock.h"
#include "chconn/resilience/circuit_breaker.h"
#include "chconn/strategy/lease.h"

namespace chconn {

// A snapshot of a strategy's counters. Gauges (open, idle, in_use, connecting, waiting) are the
// state at the time of the call; the others count since the strategy was created.
struct StrategyStats {
  std::size_t open = 0;                    // connections open: idle + in_use
  std::size_t idle = 0;                    // open and waiting in a pool to be lent
  std::size_t in_use = 0;                  // lent out in a live lease
  std::size_t connecting = 0;              // being opened right now (they count against a pool's max_size)
  std::size_t waiting = 0;                 // callers queued for a connection
  std::uint64_t acquired = 0;              // leases handed out
  std::uint64_t created = 0;               // connections opened
  std::uint64_t closed = 0;                // connections closed (retired, broken, dropped)
  std::uint64_t connect_failures = 0;      // attempts to open a connection that threw
  std::uint64_t validation_failures = 0;   // connections dropped because a validation ping failed
  std::uint64_t session_closes = 0;        // connections closed because their lease changed the session
  std::uint64_t acquire_timeouts = 0;      // acquires that gave up with pool_exhausted
  std::uint64_t leaks_reported = 0;        // leases reported as held longer than leak_threshold
  std::chrono::nanoseconds total_wait{0};  // time callers spent queued, summed
  std::chrono::nanoseconds max_wait{0};    // the longest single wait
};

// Adds `b`'s counters and gauges to `a` (max_wait: the larger), for strategies made of others.
StrategyStats& operator+=(StrategyStats& a, const StrategyStats& b) noexcept;

// What one maintain() pass did.
struct MaintenanceReport {
  std::size_t closed_idle = 0;       // idle longer than idle_timeout
  std::size_t closed_expired = 0;    // older than their (jittered) max_lifetime
  std::size_t leaks_reported = 0;    // leases newly reported as leaked
  std::size_t created = 0;           // connections opened to refill min_idle
  std::size_t connect_failures = 0;  // refill attempts that failed (logged, not thrown)
};

// Adds `b`'s counts to `a`, for strategies made of others.
MaintenanceReport& operator+=(MaintenanceReport& a, const MaintenanceReport& b) noexcept;

// One host of a strategy that spreads over several (failover), as host_stats() shows it.
struct HostStats {
  std::string address;  // "db1:9000"
  std::int64_t priority = 0;
  // False for the hosts of direct and pooled over a host list, which have no breaker or decaying
  // count of their own: breaker and retry_in then mean nothing, and errors counts failed checks.
  bool has_breaker = true;
  CircuitState breaker = CircuitState::closed;
  std::uint64_t errors = 0;     // decayed error count now (failed checks when !has_breaker)
  std::uint64_t successes = 0;  // leases and connects that went well, since creation
  std::uint64_t failures = 0;   // host failures recorded, since creation
  std::uint64_t skipped = 0;    // acquires that passed it by because its breaker refused
  std::string last_error;       // the last host failure's message; empty if none
  // Time until the host will be tried again: zero when its breaker permits calls now; the time
  // until its breaker lets a probe through when open (Clock::duration::max() when forced open).
  Clock::duration retry_in{};
  // Latency and outcome of the last check_hosts() ping (nullopt: never pinged, or it failed).
  std::optional<Clock::duration> ping_latency;
  // Replication lag the last check read (failover with max_replica_delay set: the largest
  // absolute_delay in the host's system.replicas); nullopt: not read, or that check failed.
  std::optional<std::chrono::seconds> replica_delay;
  // True while replica_delay exceeds max_replica_delay: acquire() tries it after the others.
  bool stale = false;
  StrategyStats pool;  // the host strategy's stats
};

// One arm of a strategy that splits leases between two others (RolloutStrategy,
// chconn/strategy/rollout.h), as arm_stats() shows it.
struct ArmStats {
  std::string arm;                   // "a" or "b"
  std::string strategy;              // the arm strategy's name()
  double share = 0;                  // percent of new leases this arm gets now (0 for B while killed)
  std::uint64_t leases = 0;          // leases handed out from this arm
  std::uint64_t failed = 0;          // of those, ended failed (LeaseOutcome::failed())
  std::uint64_t acquire_errors = 0;  // acquires routed here that threw
  std::uint64_t rerouted = 0;        // acquires routed here, then served by A because of the kill switch
  // Lease hold time (acquire returned .. lease ended) of the leases ended so far: count, sum and
  // percentiles (bucket upper bounds; zero when none ended).
  std::uint64_t ended = 0;
  Clock::duration held_sum{};
  Clock::duration held_p50{};
  Clock::duration held_p90{};
  Clock::duration held_p99{};
  StrategyStats pool;  // the arm strategy's stats()
};

// A strategy that mirrors reads to a candidate (ShadowStrategy, chconn/strategy/shadow.h), as
// shadow_stats() shows it: counters since it was made (queued is the state now).
struct ShadowStats {
  std::uint64_t reads = 0;             // read-only statements started on primary leases
  std::uint64_t writes_mirrored = 0;   // statements that are not read-only, mirrored by mirror_write
  std::uint64_t not_read_only = 0;     // other statements, and reads with external tables (not mirrored)
  std::uint64_t sampled_out = 0;       // read-only statements left out by sampling
  std::uint64_t primary_failed = 0;    // sampled, but the primary's call threw or was dropped
  std::uint64_t dropped = 0;           // mirrors dropped: the queue was full, or the shadow ended
  std::uint64_t compared = 0;          // mirrors run on the candidate (matched + mismatched + errors)
  std::uint64_t matched = 0;           // identical results
  std::uint64_t mismatched = 0;        // different results
  std::uint64_t candidate_errors = 0;  // the candidate's acquire or query threw
  std::size_t queued = 0;              // mirrors waiting now
};

// How check_hosts() checks. Fill with designated initialisers: {.timeout = 2s}.
struct HostCheckOptions {
  // Each host's own budget for its check (a connection from its pool, then a ping), counted from
  // when that host's check starts; never more than FailoverOptions::connect_timeout. Positive.
  std::chrono::milliseconds timeout = std::chrono::seconds(5);
  // No host's check starts at or after this: a host whose turn comes later is not checked (and not
  // charged). never(): every host gets its turn; each check is bounded by `timeout` anyway.
  Deadline start_by = Deadline::never();
  // Hosts checked at once, each on its own thread (the caller's among them). At least 1. With at
  // least as many as there are hosts, a round takes one budget however many hosts are silent.
  std::size_t max_concurrency = 8;
};

// What check_hosts() found for one host.
struct HostCheck {
  std::string address;
  // Contacted by this check. False when its breaker refused, another check of it was in flight or
  // start_by passed before its turn: then nothing was tried and nothing recorded (see not_checked).
  bool checked = false;
  bool ok = false;
  Clock::duration latency{};
  // The replication lag it read (failover with max_replica_delay set); nullopt otherwise.
  std::optional<std::chrono::seconds> replica_delay;
  std::string error;        // when checked && !ok: what the check met
  std::string not_checked;  // when !checked: why ("circuit breaker open, retry in 4.2 s", ...)
};

class ConnectionStrategy {
 public:
  ConnectionStrategy() = default;
  ConnectionStrategy(const ConnectionStrategy&) = delete;
  ConnectionStrategy& operator=(const ConnectionStrategy&) = delete;
  virtual ~ConnectionStrategy() = default;

  // Lends a connection until the lease ends. Waits at most until `deadline`, and at most the
  // strategy's own finite timeouts (connect, pool acquire) even when `deadline` is never().
  // Throws Error: pool_exhausted when a pool had nothing free in time, or whatever opening a
  // connection threw (network, timeout, server for a refused login...).
  virtual Lease acquire(Deadline deadline) = 0;
  Lease acquire() { return acquire(Deadline::never()); }
  // Lends a connection for a caller identified by `key` (a user or tenant id): strategies that
  // route by a key (RolloutStrategy: one key always sees one side) use it; the others ignore the
  // key and acquire(deadline). The ConnectionManager passes ExecuteOptions::routing_key here.
  virtual Lease acquire_for(std::string_view key, Deadline deadline) {
    (void)key;
    return acquire(deadline);
  }
  Lease acquire_for(std::string_view key) { return acquire_for(key, Deadline::never()); }

  // The name it is registered under in a ConnectionFactory ("direct", "pooled", "mock"...).
  virtual const std::string& name() const noexcept = 0;

  virtual StrategyStats stats() const = 0;

  // Housekeeping: close connections idle or alive too long, report leaked leases, open
  // connections to keep a pool's minimum warm. Strategies with nothing to keep do nothing.
  // Never throws for connection failures (they are counted and logged). Called by the manager's
  // health thread, or by the application on its own schedule.
  virtual MaintenanceReport maintain() { return {}; }

  // The per-host view of a strategy that spreads over several hosts (failover; direct and pooled
  // over a connector of several hosts): one entry per host, in its order. Empty for strategies with
  // one target, whose stats() tell everything; so the manager and the CLI need not know which
  // strategy they have.
  virtual std::vector<HostStats> host_stats() const { return {}; }
  // The arms of a strategy that splits leases between two others (rollout): per-arm counters and
  // hold-time percentiles; empty for the others.
  virtual std::vector<ArmStats> arm_stats() const { return {}; }
  // The mirroring counters of a strategy that shadows another (ShadowStrategy); nullopt for the
  // others.
  virtual std::optional<ShadowStats> shadow_stats() const { return std::nullopt; }
  // The circuit breakers of the hosts that have one (failover), in host_stats()'s order; empty
  // otherwise. For listeners (add_listener) and operators (force_open); each lives as long as the
  // strategy.
  virtual std::vector<CircuitBreaker*> host_breakers() { return {}; }
  // Checks each host within a budget of its own (see FailoverStrategy::check_hosts), so that a
  // silent host never spends the budget of the others. Empty for strategies without hosts: a
  // health check then pings one connection through acquire().
  virtual std::vector<HostCheck> check_hosts(const HostCheckOptions& options) {
    (void)options;
    return {};
  }
};

}  // namespace chconn
