// ConnectionManager::metrics_text(): pool gauges, the acquire-wait histogram, query counters,
// breaker states, retries and per-host figures in the Prometheus text format 0.0.4.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "manager/manager_impl.h"
#include "manager/metrics_text.h"

namespace chconn {

std::string ConnectionManager::Impl::metrics() const {
  detail::MetricsWriter w;
  struct Row {
    std::string name;
    StrategyStats stats;
    std::shared_ptr<ConnectionStrategy> strategy;
    ManagerStrategyState* state;
  };
  std::vector<Row> rows;
  for (const std::string& name : factory->names()) {
    std::shared_ptr<ConnectionStrategy> s = factory->find(name);
    if (!s) continue;
    rows.push_back(Row{name, s->stats(), s, find_state(s->name())});
  }

  const auto gauge = [&](std::string_view metric, std::string_view help, auto value_of) {
    w.header(metric, help, "gauge");
    for (const Row& r : rows) w.sample(metric, {{"strategy", r.name}}, static_cast<double>(value_of(r.stats)));
  };
  gauge("chconn_pool_open_connections", "Connections open (idle + in use).",
        [](const StrategyStats& s) { return s.open; });
  gauge("chconn_pool_idle_connections", "Connections idle in a pool.", [](const StrategyStats& s) { return s.idle; });
  gauge("chconn_pool_in_use_connections", "Connections lent out in leases.",
        [](const StrategyStats& s) { return s.in_use; });
  gauge("chconn_pool_connecting", "Connections being opened.", [](const StrategyStats& s) { return s.connecting; });
  gauge("chconn_pool_waiting_callers", "Callers queued for a connection.",
        [](const StrategyStats& s) { return s.waiting; });

  w.header("chconn_pool_connections_created_total", "Connections opened.", "counter");
  for (const Row& r : rows)
    w.sample("chconn_pool_connections_created_total", {{"strategy", r.name}}, static_cast<double>(r.stats.created));
  w.header("chconn_pool_connect_failures_total", "Attempts to open a connection that failed.", "counter");
  for (const Row& r : rows) {
    w.sample("chconn_pool_connect_failures_total", {{"strategy", r.name}},
             static_cast<double>(r.stats.connect_failures));
  }

  w.header("chconn_acquire_wait_seconds", "Time spent acquiring a connection through the manager.", "histogram");
  for (const Row& r : rows) {
    if (r.state == nullptr) continue;
    for (std::size_t i = 0; i < options.acquire_wait_buckets.size(); ++i) {
      w.sample("chconn_acquire_wait_seconds_bucket",
               {{"strategy", r.name}, {"le", detail::format_number(options.acquire_wait_buckets[i])}},
               static_cast<double>(r.state->wait_buckets[i].load(std::memory_order_relaxed)));
    }
    const auto count = static_cast<double>(r.state->wait_count.load(std::memory_order_relaxed));
    w.sample("chconn_acquire_wait_seconds_bucket", {{"strategy", r.name}, {"le", "+Inf"}}, count);
    w.sample("chconn_acquire_wait_seconds_sum", {{"strategy", r.name}},
             static_cast<double>(r.state->wait_sum_ns.load(std::memory_order_relaxed)) / 1e9);
    w.sample("chconn_acquire_wait_seconds_count", {{"strategy", r.name}}, count);
  }

  w.header("chconn_queries_total", "Statements run through the manager, by final outcome (success or error kind).",
           "counter");
  for (const Row& r : rows) {
    if (r.state == nullptr) continue;
    const auto successes = static_cast<double>(r.state->successes.load(std::memory_order_relaxed));
    if (successes > 0) w.sample("chconn_queries_total", {{"strategy", r.name}, {"outcome", "success"}}, successes);
    std::lock_guard lock(r.state->mutex);
    for (const auto& [outcome, n] : r.state->outcomes)
      w.sample("chconn_queries_total", {{"strategy", r.name}, {"outcome", outcome}}, static_cast<double>(n));
  }

  w.header("chconn_retries_total", "Attempts after the first, by strategy.", "counter");
  for (const Row& r : rows) {
    w.sample("chconn_retries_total", {{"strategy", r.name}},
             r.state ? static_cast<double>(r.state->retries.load(std::memory_order_relaxed)) : 0.0);
  }
  const RetryBudgetMetrics bm = budget.metrics();
  w.header("chconn_retry_budget_rejections_total", "Retries refused by the retry budget.", "counter");
  w.sample("chconn_retry_budget_rejections_total", {}, static_cast<double>(bm.retries_rejected));

  constexpr CircuitState k_states[] = {CircuitState::closed, CircuitState::open, CircuitState::half_open};
  w.header("chconn_circuit_breaker_state", "The manager's breaker of each strategy (1 for its current state).",
           "gauge");
  for (const Row& r : rows) {
    const CircuitState now = r.state ? r.state->breaker.state() : CircuitState::closed;
    for (CircuitState s : k_states) {
      w.sample("chconn_circuit_breaker_state", {{"strategy", r.name}, {"state", std::string(to_string(s))}},
               s == now ? 1.0 : 0.0);
    }
  }
  w.header("chconn_circuit_breaker_failures_total", "Host failures seen by the manager's breaker of each strategy.",
           "counter");
  for (const Row& r : rows) {
    w.sample("chconn_circuit_breaker_failures_total", {{"strategy", r.name}},
             r.state ? static_cast<double>(r.state->failures.load(std::memory_order_relaxed)) : 0.0);
  }

  // Failover hosts.
  std::vector<std::pair<std::string, std::vector<HostStats>>> failovers;
  for (const Row& r : rows) {
    if (r.strategy) {
      if (std::vector<HostStats> hosts = r.strategy->host_stats(); !hosts.empty()) {
        failovers.emplace_back(r.name, std::move(hosts));
      }
    }
  }
  if (!failovers.empty()) {
    w.header("chconn_host_circuit_breaker_state", "Each failover host's breaker (1 for its current state).", "gauge");
    for (const auto& [name, hosts] : failovers) {
      for (const auto& h : hosts) {
        for (CircuitState s : k_states) {
          w.sample("chconn_host_circuit_breaker_state",
                   {{"strategy", name}, {"host", h.address}, {"state", std::string(to_string(s))}},
                   s == h.breaker ? 1.0 : 0.0);
        }
      }
    }
    w.header("chconn_host_errors", "Each failover host's decayed error count.", "gauge");
    for (const auto& [name, hosts] : failovers) {
      for (const auto& h : hosts)
        w.sample("chconn_host_errors", {{"strategy", name}, {"host", h.address}}, static_cast<double>(h.errors));
    }
    w.header("chconn_host_failures_total", "Host failures recorded for each failover host.", "counter");
    for (const auto& [name, hosts] : failovers) {
      for (const auto& h : hosts) {
        w.sample("chconn_host_failures_total", {{"strategy", name}, {"host", h.address}},
                 static_cast<double>(h.failures));
      }
    }
    if (std::any_of(failovers.begin(), failovers.end(), [](const auto& f) {
          return std::any_of(f.second.begin(), f.second.end(),
                             [](const HostStats& h) { return h.replica_delay.has_value(); });
        })) {
      w.header("chconn_host_replica_delay_seconds",
               "Each failover host's replication lag at its last health check (with max_replica_delay set).", "gauge");
      for (const auto& [name, hosts] : failovers) {
        for (const auto& h : hosts) {
          if (h.replica_delay) {
            w.sample("chconn_host_replica_delay_seconds", {{"strategy", name}, {"host", h.address}},
                     static_cast<double>(h.replica_delay->count()));
          }
        }
      }
    }
    w.header("chconn_host_pool_in_use_connections", "Connections lent out per failover host.", "gauge");
    for (const auto& [name, hosts] : failovers) {
      for (const auto& h : hosts) {
        w.sample("chconn_host_pool_in_use_connections", {{"strategy", name}, {"host", h.address}},
                 static_cast<double>(h.pool.in_use));
      }
    }
  }

  // Arms of strategies that split leases between two others (rollout).
  std::vector<std::pair<std::string, std::vector<ArmStats>>> splits;
  for (const Row& r : rows) {
    if (r.strategy) {
      if (std::vector<ArmStats> arms = r.strategy->arm_stats(); !arms.empty())
        splits.emplace_back(r.name, std::move(arms));
    }
  }
  if (!splits.empty()) {
    const auto arm_family = [&](std::string_view metric, std::string_view help, std::string_view type, auto value_of) {
      w.header(metric, help, type);
      for (const auto& [name, arms] : splits) {
        for (const ArmStats& a : arms) w.sample(metric, {{"strategy", name}, {"arm", a.arm}}, value_of(a));
      }
    };
    arm_family("chconn_arm_share_percent", "Percent of new leases each arm gets now (B: 0 while killed).", "gauge",
               [](const ArmStats& a) { return a.share; });
    arm_family("chconn_arm_leases_total", "Leases handed out by each arm.", "counter",
               [](const ArmStats& a) { return static_cast<double>(a.leases); });
    arm_family("chconn_arm_lease_failures_total",
               "Leases of each arm that ended failed (a host-failure error or a broken peer).", "counter",
               [](const ArmStats& a) { return static_cast<double>(a.failed); });
    arm_family("chconn_arm_acquire_errors_total", "Acquires routed to each arm that threw.", "counter",
               [](const ArmStats& a) { return static_cast<double>(a.acquire_errors); });
    arm_family("chconn_arm_rerouted_total", "Acquires routed to each arm, then served by A because of the kill switch.",
               "counter", [](const ArmStats& a) { return static_cast<double>(a.rerouted); });
    w.header("chconn_arm_lease_hold_seconds", "Lease hold time of each arm (acquire returned to lease end).",
             "summary");
    for (const auto& [name, arms] : splits) {
      for (const ArmStats& a : arms) {
        const std::pair<const char*, Clock::duration> quantiles[] = {
            {"0.5", a.held_p50}, {"0.9", a.held_p90}, {"0.99", a.held_p99}};
        for (const auto& [q, d] : quantiles) {
          w.sample("chconn_arm_lease_hold_seconds", {{"strategy", name}, {"arm", a.arm}, {"quantile", q}},
                   std::chrono::duration<double>(d).count());
        }
        w.sample("chconn_arm_lease_hold_seconds_sum", {{"strategy", name}, {"arm", a.arm}},
                 std::chrono::duration<double>(a.held_sum).count());
        w.sample("chconn_arm_lease_hold_seconds_count", {{"strategy", name}, {"arm", a.arm}},
                 static_cast<double>(a.ended));
      }
    }
  }

  // Strategies that mirror reads to a candidate (shadow).
  std::vector<std::pair<std::string, ShadowStats>> shadows;
  for (const Row& r : rows) {
    if (r.strategy) {
      if (std::optional<ShadowStats> s = r.strategy->shadow_stats()) shadows.emplace_back(r.name, *s);
    }
  }
  if (!shadows.empty()) {
    w.header("chconn_shadow_statements_total",
             "Statements a shadow strategy saw, by what became of them (a mirror is counted once).", "counter");
    for (const auto& [name, s] : shadows) {
      const std::pair<const char*, std::uint64_t> outcomes[] = {{"not_read_only", s.not_read_only},
                                                                {"sampled_out", s.sampled_out},
                                                                {"primary_failed", s.primary_failed},
                                                                {"dropped", s.dropped},
                                                                {"matched", s.matched},
                                                                {"mismatched", s.mismatched},
                                                                {"candidate_error", s.candidate_errors}};
      for (const auto& [outcome, n] : outcomes) {
        w.sample("chconn_shadow_statements_total", {{"strategy", name}, {"outcome", outcome}}, static_cast<double>(n));
      }
    }
    w.header("chconn_shadow_queued", "Mirrors waiting in a shadow strategy's queue now.", "gauge");
    for (const auto& [name, s] : shadows) {
      w.sample("chconn_shadow_queued", {{"strategy", name}}, static_cast<double>(s.queued));
    }
  }

  w.header("chconn_health_checks_total", "Health checks run.", "counter");
  w.sample("chconn_health_checks_total", {}, static_cast<double>(checks_run.load(std::memory_order_relaxed)));
  return w.take();
}

}  // namespace chconn
