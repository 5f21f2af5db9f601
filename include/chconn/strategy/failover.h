// FailoverStrategy: several hosts, each with its own pool, circuit breaker and decaying error
// count; every acquire picks the healthiest host, the way ClickHouse's ConnectionPoolWithFailover
// picks a replica.
//
// Composition: each host has its own ConnectionStrategy — a PooledStrategy over
// native_connector(config, host) by default, or whatever a HostStrategyMaker returns (tests use a
// MockStrategy per host) — plus a CircuitBreaker (named after the host) and a slot in one
// ErrorDecay.
//
// Rules of acquire(deadline):
//   - Order: hosts by decayed error count (minus max_ignored_errors), then priority (lower first),
//     then the LoadBalancing policy's tie-breaker, then list position (chconn::order_hosts).
//       random           a fresh random tie-breaker per acquire
//       in_order         list order
//       first_or_random  the first host, then the others in random order
//       round_robin      each acquire starts one host further along the list
//   - Lag (max_replica_delay set, see FailoverTuning): a host whose last health check read a
//     replication lag above max_replica_delay is tried only after every host within it, least
//     lag first, as ClickHouse passes over stale replicas; with fallback_to_stale_replicas off it
//     is not tried, and when no host is left acquire throws Error(network) naming each host's lag.
//     A host whose lag is unknown (never checked, or its last check failed) counts as within it.
//   - Breakers: a host whose breaker refuses (open, or half-open with all probes out) is skipped.
//     When every host's breaker refuses, acquire throws Error(circuit_open) naming the hosts and
//     the time until the first of them permits a probe again.
//   - Tries: at most max_tries connection attempts (going round the ordered hosts again if
//     max_tries exceeds them), each within connect_timeout and the caller's deadline. A try that
//     fails with a retryable error moves on to the next host; a host failure (network, timeout,
//     server overload) counts against that host's breaker and error count. A non-retryable error
//     (wrong password, unknown database: another host would say the same) is thrown at once.
//     When all tries fail, the last error is thrown with the list of what each try met.
//   - Outcome: a lease reports back when it ends. If a call on it threw a host-failure error, or it
//     ended broken by the peer (mark_broken(error) with such an error, or an unusable connection),
//     the host's breaker records a failure and its error count goes up; otherwise the breaker
//     records a success (a syntax error is the server answering). The lease's connection forwards
//     to the host pool's connection (see chconn/strategy/observed.h; unwrap_connection reaches it).
//
// Health checks (check_hosts): each host whose breaker permits a call gets a connection from its
// pool and a ping, within a budget of its own (HostCheckOptions::timeout, at most connect_timeout)
// counted from when its check starts, so a silent host spends its own budget and nobody else's.
// Hosts are checked concurrently (at most max_concurrency at a time, on threads joined before
// check_hosts returns), and at most one check of a host is in flight at once, whoever calls. A
// host that is not contacted — its breaker refused, another check of it was in flight, or the
// round's start_by passed before its turn — is "not checked": nothing is recorded for it (breaker,
// error count, successes, failures). A contacted host's outcome is recorded like a lease's. With
// max_replica_delay set, the check also runs `SELECT max(absolute_delay) FROM system.replicas` on
// the same connection and keeps the answer as the host's lag (so a user that may not read
// system.replicas fails its checks: grant it, or leave max_replica_delay at 0).
//
// host_stats() shows, per host: breaker state, decayed error count, successes and failures, the
// last error, the pool's StrategyStats and retry_in, the estimated time until a host with an open
// breaker is tried again. stats() sums the hosts' pool stats; maintain() runs every host's.
//
// Thread safety: every member may be called from any thread. Lifetimes: leases may outlive the
// strategy (they keep its host state alive); the Clock must outlive the strategy and its leases.
//
// Example:
//   auto config = chconn::Config::from_dsn(
//       "clickhouse://app@db1:9000,db2:9000,db3:9000?strategy=failover&load_balancing=in_order");
//   auto failover = std::make_shared<chconn::FailoverStrategy>(config);
//   chconn::Lease lease = failover->acquire();      // db1 while it is healthy, else db2, ...
//   for (const auto& h : failover->host_stats()) std::cout << h.address << ' ' << to_string(h.breaker) << '\n';
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chconn/core/clock.h"
#include "chconn/core/config.h"
#include "chconn/core/log.h"
#include "chconn/resilience/circuit_breaker.h"
#include "chconn/resilience/error_decay.h"
#include "chconn/strategy/strategy.h"

namespace chconn {

struct FailoverHost {
  HostPort address{};
  // Lower is preferred among hosts with the same error count (as ClickHouse's replica priority).
  std::int64_t priority = 0;
};

// The Config's per-host tuning (FailoverTuning, chconn/core/config.h: max_ignored_errors, decay,
// breaker, each host's breaker named after its address) plus the rest.
struct FailoverOptions : FailoverTuning {
  std::string name = "failover";
  std::vector<FailoverHost> hosts{};
  LoadBalancing load_balancing = LoadBalancing::random;
  // Connection attempts per acquire (ClickHouse's connections_with_failover_max_tries is 3);
  // 0: one per host.
  std::size_t max_tries = 0;
  // Upper bound on one try (a connect, or a wait for the host's pool), whatever the caller's deadline.
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
  // Port defaults of the hosts (port 0): 9440 when true, 9000 otherwise.
  bool secure = false;
  // null: steady_clock(). Must outlive the strategy and its leases.
  const Clock* clock = nullptr;
  // Seed of the random policies; 0: a random seed.
  std::uint64_t random_seed = 0;
  std::shared_ptr<const Logger> logger{};
};

// Options from a Config: its hosts (priority 0), load_balancing, connect timeout, secure (for port
// defaults) and logger, name "failover", and Config::failover as it is. Everything else keeps its
// default here.
FailoverOptions failover_options(const Config& config);

// Makes the strategy of one host (`index` is its position in FailoverOptions::hosts).
using HostStrategyMaker =
    std::function<std::shared_ptr<ConnectionStrategy>(const FailoverHost& host, std::size_t index)>;

// The maker FailoverStrategy(config) uses: a PooledStrategy named "failover/<address>" with
// pooled_options(config), over native_connector(config, host), on `clock` (null: the pool's default).
HostStrategyMaker pooled_host_maker(const Config& config, const Clock* clock = nullptr);

class FailoverStrategy final : public ConnectionStrategy {
 public:
  // PooledStrategy per config host (pooled_options(config), over native_connector(config, host)),
  // on steady_clock() or `clock`. Validates the config.
  explicit FailoverStrategy(const Config& config);
  FailoverStrategy(const Config& config, const Clock& clock);
  // Hosts made by `make_host` (never null). Throws Error(usage) for a null maker or a maker that
  // returns null, Error(config) naming the option for no hosts, a negative max_replica_delay, a
  // connect_timeout that is not positive, or bad breaker or decay options.
  FailoverStrategy(FailoverOptions options, const HostStrategyMaker& make_host);
  ~FailoverStrategy() override;

  using ConnectionStrategy::acquire;
  Lease acquire(Deadline deadline) override;
  const std::string& name() const noexcept override;
  // The sum of the hosts' stats (max_wait: the largest).
  StrategyStats stats() const override;
  // Every host's maintain(), summed.
  MaintenanceReport maintain() override;

  std::vector<HostStats> host_stats() const override;
  // Pings one connection of each host whose breaker permits a call (a probe, when half-open),
  // concurrently, each within a budget of its own, and records each contacted host's outcome like
  // a lease's (see "Health checks" above). Returns one HostCheck per host, in host order, once
  // every check has ended: no thread of it outlives the call. Throws Error(usage) for a timeout
  // that is not positive or a max_concurrency of 0.
  std::vector<HostCheck> check_hosts(const HostCheckOptions& options = {}) override;

  std::vector<CircuitBreaker*> host_breakers() override;
  std::size_t host_count() const noexcept;
  // The breaker of host `index` (for tests and operators: force_open() takes a host out).
  // Throws Error(usage) when out of range.
  CircuitBreaker& breaker(std::size_t index);
  const FailoverOptions& options() const noexcept;

  class State;  // shared with the leases; internal

 private:
  std::shared_ptr<State> state_;
};

}  // namespace chconn
