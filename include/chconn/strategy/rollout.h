// RolloutStrategy: a gradual rollout with a kill switch. Two strategies, arm A (the current one)
// and arm B (the new one: another cluster, another ClickHouse version, another strategy); a share
// of the leases (0 to 100 percent, fractional: 0.5 is one lease in two hundred) goes to B, the rest
// to A. The share changes at run time, a kill switch sends everything back to A at once, and each
// arm's leases, errors and lease hold times are counted so the two can be compared (docs/guide.md,
// "Migrating safely").
//
// Routing of one acquire:
//   - killed (kill() until revive()): A.
//   - acquire_for(key, deadline) with a non-empty key: the key's point u in [0, 1) comes from a
//     stable hash of its bytes (CityHash128 v1.0.2, the one ClickHouse's compression frames use:
//     the same on every platform, run and version), and the lease goes to B when u < share / 100.
//     So one key always sees the same side for a given share, and raising the share only moves
//     keys from A to B, never back.
//   - otherwise (acquire(deadline), or an empty key): u comes from a random source (RandomSource,
//     chconn/resilience/retry.h: SplitMix64 over an atomic counter) seeded by
//     RolloutOptions::random_seed (0: a random seed), so tests are reproducible and concurrent
//     acquires never share a lock.
//   Share 0 never picks B and share 100 always does (outside the kill switch).
//
// The kill switch and waiters queued in B: kill() is effective for the next acquire, and also for
// acquires already waiting in B (queued in B's pool, or connecting to B). With
// RolloutOptions::cut_waiters (the default), an acquire routed to B runs B's acquire on a helper
// thread and waits for it or for kill(), whichever comes first; on kill() it gives up on B and
// takes a lease from A within the caller's same deadline (counted in ArmStats::rerouted of B). The
// helper keeps waiting in B within that deadline; if B hands it a connection after all, the lease
// ends at once (the connection goes back to B's pool). Leases already out on B are not touched:
// they finish normally. The cost is a hand-over to a helper thread per B acquire (helpers are
// reused, and end after 5 s without work: tens of microseconds, not a thread start each);
// with cut_waiters = false B's acquire runs on the caller's thread, and a waiter queued in B when
// kill() comes is served by B, within its deadline. A failed acquire on B is not retried on A:
// the rollout shows B's errors instead of hiding them (ArmStats::acquire_errors).
//
// The share from its source (reload()): RolloutOptions::share_source is read by reload(), which
// sets the share it returns (nullopt: keep the share). initialize() (chconn/factory/factory.h)
// gives the "rollout" strategy a source that reads CHCONN_ROLLOUT_SHARE from the environment. A
// service calls reload() when told to: from an admin endpoint, or from a thread that waits for a
// signal (sigwait on SIGHUP); never from a signal handler itself (it takes locks). A source that
// throws, or returns a share out of range, leaves the share as it was and reload() throws
// Error(config).
//
// Metrics (arm_stats()): per arm, leases handed out, leases that ended failed (a host-failure
// error or a broken peer, as observe_lease() tells: chconn/strategy/observed.h), acquires that
// threw, acquires moved to A by the kill switch, the share of new leases the arm gets now, and
// percentiles of the lease hold time (from the arm's acquire returning to the lease's end: the
// time the caller used the connection, its queries' latency) from a histogram of log-spaced
// buckets (four per doubling, from 1 microsecond): a percentile is its bucket's upper bound, at
// most 19 % above the true value. The ConnectionManager's metrics_text() shows them with an
// arm="a|b" label.
//
// stats() sums the arms' stats; maintain(), host_stats(), host_breakers() and check_hosts() pass
// through to both arms (A's entries first).
//
// Thread safety: every member may be called from any thread. Lifetimes: leases may outlive the
// strategy (they keep its counters alive), and the arms live as long as the strategy, its leases
// and its helper threads; the Clock must outlive all of them.
//
// Example:
//   auto old_cluster = std::make_shared<chconn::PooledStrategy>(chconn::native_connector(a), a);
//   auto new_cluster = std::make_shared<chconn::PooledStrategy>(chconn::native_connector(b), b);
//   auto rollout = std::make_shared<chconn::RolloutStrategy>(
//       old_cluster, new_cluster, chconn::RolloutOptions{.share = 1.0});   // 1 % to the new cluster
//   chconn::Lease lease = rollout->acquire_for(tenant_id, chconn::Deadline::after(5s));
//   rollout->set_share(10);   // later: 10 %
//   rollout->kill();          // something is wrong: everything to A, now
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/clock.h"
#include "chconn/strategy/strategy.h"

namespace chconn {

// Fill with designated initialisers: {.share = 0.5}.
struct RolloutOptions {
  std::string name = "rollout";
  // Percent of leases to arm B, 0 to 100 (fractions allowed). Out of range or NaN: Error(config).
  double share = 0;
  // Read by reload(): the share to set, or nullopt to keep the current one. Empty: reload() keeps
  // the share. Called on the thread that calls reload(), never concurrently with itself.
  std::function<std::optional<double>()> share_source{};
  // See "The kill switch and waiters queued in B" above.
  bool cut_waiters = true;
  // Seed of the random choice for acquires without a key; 0: a random seed.
  std::uint64_t random_seed = 0;
  // Reads hold times. null: steady_clock(). Must outlive the strategy and its leases.
  const Clock* clock = nullptr;
};

// The point in [0, 1) a routing key maps to (see "Routing" above); the key goes to B when it is
// below share / 100. Stable across runs and platforms, for tests and for predicting a tenant's side.
double rollout_point(std::string_view key) noexcept;

class RolloutStrategy final : public ConnectionStrategy {
 public:
  // Arms never null (else Error(usage)); options.share in 0..100 (else Error(usage)).
  RolloutStrategy(std::shared_ptr<ConnectionStrategy> a, std::shared_ptr<ConnectionStrategy> b,
                  RolloutOptions options = {});
  ~RolloutStrategy() override;

  using ConnectionStrategy::acquire;
  using ConnectionStrategy::acquire_for;
  Lease acquire(Deadline deadline) override;
  // Routes by `key` (sticky; see "Routing" above); an empty key routes like acquire().
  Lease acquire_for(std::string_view key, Deadline deadline) override;
  const std::string& name() const noexcept override;
  StrategyStats stats() const override;
  MaintenanceReport maintain() override;
  std::vector<HostStats> host_stats() const override;
  std::vector<CircuitBreaker*> host_breakers() override;
  std::vector<HostCheck> check_hosts(const HostCheckOptions& options) override;
  // Two entries, "a" then "b".
  std::vector<ArmStats> arm_stats() const override;

  // Sets the percent of leases to B (0..100, else Error(usage)); the next acquire uses it.
  void set_share(double percent);
  // The share set (also while killed, when B gets nothing).
  double share() const noexcept;
  // Reads options.share_source and sets the share it returns (see above). Returns the share now.
  double reload();
  // Everything to A: the next acquires and those waiting in B (see above). Idempotent.
  void kill();
  // Back to the share. Idempotent.
  void revive();
  bool killed() const noexcept;

  const std::shared_ptr<ConnectionStrategy>& arm_a() const noexcept;
  const std::shared_ptr<ConnectionStrategy>& arm_b() const noexcept;

  class State;  // shared with the leases and helper threads; internal

 private:
  std::shared_ptr<State> state_;
};

}  // namespace chconn
