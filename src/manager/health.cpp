// Health rounds (ConnectionManager::Impl::check and the per-strategy and per-host checks), the
// health report's rendering, and the statement classifier execute() retries by.
#include <algorithm>
#include <chrono>
#include <string>

#include "chconn/core/sql.h"
#include "chconn/manager/manager.h"
#include "core/concurrent.h"
#include "manager/manager_impl.h"

namespace chconn {

namespace {

// "OK", "FAILING", "NOT CHECKED" or "NOT CHECKED (why)".
std::string outcome(bool checked, bool ok, const std::string& not_checked) {
  if (checked) return ok ? "OK" : "FAILING";
  return not_checked.empty() ? "NOT CHECKED" : "NOT CHECKED (" + not_checked + ")";
}

std::string format_wait(Clock::duration d) {
  if (d == Clock::duration::max()) return "until reset";
  return duration_text(d);
}

}  // namespace

bool HealthReport::healthy() const noexcept {
  return std::all_of(strategies.begin(), strategies.end(), [](const StrategyHealth& s) { return s.ok; });
}

std::string to_string(const HealthReport& report) {
  std::string out;
  for (const StrategyHealth& s : report.strategies) {
    out += "strategy " + s.name + (s.is_default ? " (default)" : "") + ": ";
    out += outcome(s.checked, s.ok, s.not_checked);
    out += ", breaker " + std::string(to_string(s.breaker));
    if (s.latency) out += ", ping " + duration_text(*s.latency);
    out += ", connections " + std::to_string(s.stats.open) + " open / " + std::to_string(s.stats.idle) + " idle / " +
           std::to_string(s.stats.in_use) + " in use";
    if (s.stats.waiting != 0) out += " / " + std::to_string(s.stats.waiting) + " waiting";
    out += ", errors " + std::to_string(s.error_count) + "\n";
    if (!s.last_error.empty()) out += "  last error: " + s.last_error + "\n";
    for (const HostHealth& h : s.hosts) {
      out += "  host " + h.address + ": ";
      out += outcome(h.checked, h.ok, h.not_checked);
      if (h.has_breaker) {
        out += ", breaker " + std::string(to_string(h.breaker));
        if (h.breaker == CircuitState::open) out += " (retry in " + format_wait(h.retry_in) + ")";
      }
      if (h.latency && h.ok) out += ", ping " + duration_text(*h.latency);
      if (h.replica_delay) {
        out += ", replica delay " + std::to_string(h.replica_delay->count()) + " s";
        if (h.stale) out += " (stale: tried last)";
      }
      out += h.has_breaker ? ", errors " + std::to_string(h.error_count) + "\n"
                           : ", failed checks " + std::to_string(h.error_count) + "\n";
      if (!h.last_error.empty()) out += "    last error: " + h.last_error + "\n";
    }
  }
  out += report.healthy() ? "healthy\n" : "UNHEALTHY\n";
  return out;
}

bool is_read_only_statement(std::string_view sql) noexcept { return sql::is_read_only(sql); }

HealthReport ConnectionManager::Impl::check() {
  HealthReport report;
  report.checked_at = clock->now();
  // No check of this round starts past this; each one that starts gets its whole budget.
  const Deadline start_by = Deadline::after(options.health_check_timeout, *clock);
  const std::string default_name = factory->default_name();
  const std::vector<std::string> names = factory->names();
  std::vector<std::optional<StrategyHealth>> results(names.size());
  detail::run_concurrently(names.size(), options.health_check_concurrency, [&](std::size_t i) {
    results[i] = check_strategy(names[i], names[i] == default_name, start_by);
  });
  for (std::optional<StrategyHealth>& r : results) {
    if (r) report.strategies.push_back(std::move(*r));
  }
  checks_run.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(report_mutex);
  last_report = report;
  return report;
}

// One strategy's part of a round: its check (each host's, for failover), then its maintain().
// The check comes first so that housekeeping (a min_idle refill against a silent server spends
// connect timeouts) never leaves it without time. nullopt when it was unregistered meanwhile.
std::optional<StrategyHealth> ConnectionManager::Impl::check_strategy(const std::string& name, bool is_default,
                                                                      Deadline start_by) {
  std::shared_ptr<ConnectionStrategy> strategy = factory->find(name);
  if (!strategy) return std::nullopt;
  ManagerStrategyState& st = state_for(strategy->name());
  StrategyHealth h;
  h.name = name;
  h.is_default = is_default;

  if (!strategy->host_stats().empty()) {  // a strategy over several hosts: each checked on its own
    const std::vector<HostCheck> checks = strategy->check_hosts({.timeout = options.health_check_timeout,
                                                                 .start_by = start_by,
                                                                 .max_concurrency = options.health_check_concurrency});
    const std::vector<HostStats> hosts = strategy->host_stats();
    for (std::size_t i = 0; i < hosts.size(); ++i) {
      HostHealth hh;
      hh.address = hosts[i].address;
      hh.has_breaker = hosts[i].has_breaker;
      hh.breaker = hosts[i].breaker;
      hh.error_count = hosts[i].errors;
      hh.last_error = hosts[i].last_error;
      hh.retry_in = hosts[i].retry_in;
      hh.latency = hosts[i].ping_latency;
      hh.replica_delay = hosts[i].replica_delay;
      hh.stale = hosts[i].stale;
      if (i < checks.size()) {
        hh.checked = checks[i].checked;
        hh.not_checked = checks[i].not_checked;
        hh.ok = checks[i].ok;
        if (checks[i].ok && (!h.latency || checks[i].latency < *h.latency)) h.latency = checks[i].latency;
        if (!checks[i].ok && checks[i].checked) {
          hh.last_error = checks[i].error;  // this check's error, host failure or not (a wrong password)
          log(options.logger.get(), LogLevel::warning,
              "health check of strategy '" + name + "', host " + hh.address + " failed: " + checks[i].error);
        }
      }
      h.checked = h.checked || hh.checked;
      h.ok = h.ok || hh.ok;
      h.hosts.push_back(std::move(hh));
    }
  } else {
    ping(*strategy, st, h, start_by);
  }
  h.maintenance = strategy->maintain();
  h.breaker = st.breaker.state();
  h.error_count = st.failures.load(std::memory_order_relaxed);
  {
    std::lock_guard lock(st.mutex);
    h.last_error = st.last_error;
    if (!h.latency && h.hosts.empty()) h.latency = st.ping_latency;
  }
  h.stats = strategy->stats();
  return h;
}

// A ping of one connection of `strategy` through its breaker, within health_check_timeout from
// now. Nothing is recorded when it is not contacted (see "Health-check time" in manager.h).
void ConnectionManager::Impl::ping(ConnectionStrategy& strategy, ManagerStrategyState& st, StrategyHealth& h,
                                   Deadline start_by) {
  const detail::ExclusiveClaim claim(st.checking);
  if (!claim.held()) {
    h.not_checked = "a check of this strategy was already in flight";
    return;
  }
  if (start_by.expired(*clock)) {
    h.not_checked = "no time left: the check round's start limit passed before its turn";
    return;
  }
  std::optional<CircuitBreaker::Permit> permit;
  if (options.circuit_breaker) {
    permit = st.breaker.try_acquire_permit();
    if (!permit) {
      h.not_checked = "circuit breaker " + std::string(to_string(st.breaker.state()));
      return;
    }
  }
  h.checked = true;
  const Clock::time_point start = clock->now();
  const Deadline deadline = Deadline::after(options.health_check_timeout, *clock).named("the health check timeout");
  try {
    Lease lease = strategy.acquire(deadline);
    try {
      lease->ping(deadline);
    } catch (const Error& e) {
      lease.note_error(e);
      throw;
    }
    const detail::duration latency = clock->now() - start;
    if (permit) permit->on_success(latency);
    h.ok = true;
    h.latency = latency;
    std::lock_guard lock(st.mutex);
    st.ping_latency = latency;
  } catch (const Error& e) {
    if (permit) permit->on_error(e, clock->now() - start);
    if (classify(e).host_failure) st.note_failure(e);
    log(options.logger.get(), LogLevel::warning,
        "health check of strategy '" + h.name + "' failed: " + std::string(e.what()));
    std::lock_guard lock(st.mutex);
    st.ping_latency.reset();
    st.last_error = e.what();  // shown even when not the host's fault (a wrong password)
  }
}

}  // namespace chconn
