// ConnectionManager. Shared state (Impl) lives as long as the manager or its longest lease. Per
// strategy name it keeps a breaker and counters (ManagerStrategyState), made on first use and never
// removed, so leases may point at them. No lock is held while acquiring, querying or pinging.
#include "chconn/manager/manager.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/strategy/observed.h"
#include "core/concurrent.h"
#include "manager/metrics_text.h"

namespace chconn {

namespace {

using duration = Clock::duration;

double to_seconds(duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

struct ManagerStrategyState {
  ManagerStrategyState(std::string name_, const ManagerOptions& options, const Clock& clock)
      : name(std::move(name_)),
        breaker(
            [&] {
              CircuitBreakerOptions b = options.breaker;
              b.name = "strategy '" + name + "'";
              return b;
            }(),
            clock),
        wait_buckets(options.acquire_wait_buckets.size()) {}

  void observe_wait(duration d, const std::vector<double>& bounds) noexcept {
    if (d < duration::zero()) d = duration::zero();
    const double s = to_seconds(d);
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      if (s <= bounds[i]) wait_buckets[i].fetch_add(1, std::memory_order_relaxed);
    }
    wait_count.fetch_add(1, std::memory_order_relaxed);
    wait_sum_ns.fetch_add(d.count(), std::memory_order_relaxed);
  }

  void count_outcome(std::string_view outcome) {
    std::lock_guard lock(mutex);
    auto it = outcomes.find(outcome);
    if (it == outcomes.end()) it = outcomes.emplace(std::string(outcome), 0).first;
    ++it->second;
  }

  void note_failure(const Error& e) {
    failures.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(mutex);
    last_error = e.what();
  }

  const std::string name;
  CircuitBreaker breaker;
  // Cumulative buckets, as Prometheus wants them: bucket i counts waits <= bound i.
  std::vector<std::atomic<std::uint64_t>> wait_buckets;
  std::atomic<std::uint64_t> wait_count{0};
  std::atomic<std::int64_t> wait_sum_ns{0};
  std::atomic<std::uint64_t> retries{0};
  std::atomic<std::uint64_t> failures{0};
  // A health check of this strategy is in flight (at most one at a time).
  std::atomic<bool> checking{false};
  mutable std::mutex mutex;  // guards the ones below
  std::map<std::string, std::uint64_t, std::less<>> outcomes;
  std::string last_error;
  std::optional<duration> ping_latency;
};

struct ConnectionManager::Impl : std::enable_shared_from_this<ConnectionManager::Impl> {
  Impl(std::shared_ptr<ConnectionFactory> factory_, ManagerOptions options_)
      : factory(std::move(factory_)),
        options(std::move(options_)),
        clock(options.clock ? options.clock : &steady_clock()),
        sleeper(options.sleeper ? options.sleeper : &thread_sleeper()),
        policy(options.retry),
        budget(options.retry_budget, *clock) {
    if (!factory) throw Error(ErrorKind::usage, "ConnectionManager needs a factory (got null)");
    if (!std::is_sorted(options.acquire_wait_buckets.begin(), options.acquire_wait_buckets.end())) {
      throw Error(ErrorKind::config, "ManagerOptions::acquire_wait_buckets must be increasing");
    }
    if (options.health_interval <= std::chrono::milliseconds::zero() ||
        options.health_check_timeout <= std::chrono::milliseconds::zero()) {
      throw Error(ErrorKind::config, "ManagerOptions: health_interval and health_check_timeout must be positive");
    }
    if (options.health_check_concurrency == 0) {
      throw Error(ErrorKind::config, "ManagerOptions: health_check_concurrency must be at least 1");
    }
    // The breaker options are checked now rather than at first use.
    CircuitBreaker probe(options.breaker, *clock);
  }

  ManagerStrategyState& state_for(const std::string& name) {
    std::lock_guard lock(states_mutex);
    auto it = states.find(name);
    if (it != states.end()) return *it->second;
    auto state = std::make_unique<ManagerStrategyState>(name, options, *clock);
    state->breaker.add_listener([logger = options.logger, name](CircuitState from, CircuitState to) {
      log(logger.get(), to == CircuitState::open ? LogLevel::warning : LogLevel::info,
          "manager: strategy '" + name + "' circuit " + std::string(to_string(from)) + " -> " +
              std::string(to_string(to)));
    });
    return *states.emplace(name, std::move(state)).first->second;
  }

  ManagerStrategyState* find_state(std::string_view name) const {
    std::lock_guard lock(states_mutex);
    auto it = states.find(name);
    return it == states.end() ? nullptr : it->second.get();
  }

  class Observer final : public LeaseObserver {
   public:
    Observer(std::shared_ptr<Impl> impl, ManagerStrategyState& state, CircuitBreaker::Permit permit)
        : impl_(std::move(impl)), state_(state), permit_(std::move(permit)) {}
    void on_lease_end(const LeaseOutcome& o) noexcept override {
      try {
        if (o.failed()) {
          if (o.error && classify(*o.error).host_failure) {
            permit_.on_error(*o.error, o.held);
            state_.note_failure(*o.error);
          } else {
            permit_.on_failure(o.held);
            state_.note_failure(Error(ErrorKind::network,
                                      "a lease of strategy '" + state_.name + "' ended with its connection broken"));
          }
        } else if (o.error) {
          permit_.on_error(*o.error, o.held);
        } else if (o.broken) {
          permit_.release();
        } else {
          permit_.on_success(o.held);
        }
      } catch (...) {
        // Only allocation can throw here; a lease's end must not.
      }
    }

   private:
    std::shared_ptr<Impl> impl_;  // keeps state_ (and its breaker) alive
    ManagerStrategyState& state_;
    CircuitBreaker::Permit permit_;
  };

  Lease acquire(std::string_view name, Deadline deadline) {
    std::shared_ptr<ConnectionStrategy> strategy = factory->get(name);
    ManagerStrategyState& st = state_for(strategy->name());
    std::optional<CircuitBreaker::Permit> permit = st.breaker.try_acquire_permit();
    if (!permit) throw st.breaker.open_error();
    const Clock::time_point start = clock->now();
    Lease inner;
    try {
      inner = strategy->acquire(deadline);
    } catch (const Error& e) {
      const duration waited = clock->now() - start;
      st.observe_wait(waited, options.acquire_wait_buckets);
      permit->on_error(e, waited);
      if (classify(e).host_failure) st.note_failure(e);
      throw;
    }
    st.observe_wait(clock->now() - start, options.acquire_wait_buckets);
    return observe_lease(std::move(inner), std::make_unique<Observer>(shared_from_this(), st, std::move(*permit)),
                         *clock);
  }

  // The name of the strategy `name` resolves to (the default's when empty).
  std::string resolve(std::string_view name) const { return factory->get(name)->name(); }

  // Runs one statement with retries; `run` does the work on a lease.
  template <class R, class F>
  R with_retries(const std::string& strategy, RetryContext& ctx, F&& run) {
    ManagerStrategyState& st = state_for(strategy);
    try {
      R result = run_with_retry(
          [&](int attempt) -> R {
            if (attempt > 1) st.retries.fetch_add(1, std::memory_order_relaxed);
            Lease lease;
            try {
              lease = acquire(strategy, ctx.deadline);
            } catch (const Error&) {
              ctx.nothing_sent = true;  // no connection, no request: this attempt applied nothing
              throw;
            }
            try {
              return run(lease);
            } catch (const Error& e) {
              lease.note_error(e);
              throw;
            }
          },
          policy, &budget, *clock, *sleeper, ctx);
      st.count_outcome("success");
      return result;
    } catch (const Error& e) {
      st.count_outcome(to_string(e.kind()));
      throw;
    }
  }

  HealthReport check() {
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
  std::optional<StrategyHealth> check_strategy(const std::string& name, bool is_default, Deadline start_by) {
    std::shared_ptr<ConnectionStrategy> strategy = factory->find(name);
    if (!strategy) return std::nullopt;
    ManagerStrategyState& st = state_for(strategy->name());
    StrategyHealth h;
    h.name = name;
    h.is_default = is_default;

    if (!strategy->host_stats().empty()) {  // a strategy over several hosts: each checked on its own
      const std::vector<HostCheck> checks =
          strategy->check_hosts({.timeout = options.health_check_timeout,
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
  void ping(ConnectionStrategy& strategy, ManagerStrategyState& st, StrategyHealth& h, Deadline start_by) {
    const detail::ExclusiveClaim claim(st.checking);
    if (!claim.held()) {
      h.not_checked = "a check of this strategy was already in flight";
      return;
    }
    if (start_by.expired(*clock)) {
      h.not_checked = "no time left: the check round's start limit passed before its turn";
      return;
    }
    std::optional<CircuitBreaker::Permit> permit = st.breaker.try_acquire_permit();
    if (!permit) {
      h.not_checked = "circuit breaker " + std::string(to_string(st.breaker.state()));
      return;
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
      const duration latency = clock->now() - start;
      permit->on_success(latency);
      h.ok = true;
      h.latency = latency;
      std::lock_guard lock(st.mutex);
      st.ping_latency = latency;
    } catch (const Error& e) {
      permit->on_error(e, clock->now() - start);
      if (classify(e).host_failure) st.note_failure(e);
      log(options.logger.get(), LogLevel::warning,
          "health check of strategy '" + h.name + "' failed: " + std::string(e.what()));
      std::lock_guard lock(st.mutex);
      st.ping_latency.reset();
      st.last_error = e.what();  // shown even when not the host's fault (a wrong password)
    }
  }

  void loop() noexcept {
    std::unique_lock lock(thread_mutex);
    while (!stopping) {
      lock.unlock();
      try {
        check();
      } catch (const std::exception& e) {
        log(options.logger.get(), LogLevel::error, std::string("health check failed: ") + e.what());
      } catch (...) {
        log(options.logger.get(), LogLevel::error, "health check failed with an unknown exception");
      }
      lock.lock();
      wake.wait_for(lock, options.health_interval, [this] { return stopping; });
    }
  }

  std::string metrics() const;

  const std::shared_ptr<ConnectionFactory> factory;
  const ManagerOptions options;
  const Clock* const clock;
  Sleeper* const sleeper;
  RetryPolicy policy;
  RetryBudget budget;

  mutable std::mutex states_mutex;
  std::map<std::string, std::unique_ptr<ManagerStrategyState>, std::less<>> states;

  mutable std::mutex report_mutex;
  HealthReport last_report;
  std::atomic<std::uint64_t> checks_run{0};

  // The health thread.
  mutable std::mutex thread_mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::thread thread;
};

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
    w.header("chconn_host_pool_in_use_connections", "Connections lent out per failover host.", "gauge");
    for (const auto& [name, hosts] : failovers) {
      for (const auto& h : hosts) {
        w.sample("chconn_host_pool_in_use_connections", {{"strategy", name}, {"host", h.address}},
                 static_cast<double>(h.pool.in_use));
      }
    }
  }

  w.header("chconn_health_checks_total", "Health checks run.", "counter");
  w.sample("chconn_health_checks_total", {}, static_cast<double>(checks_run.load(std::memory_order_relaxed)));
  return w.take();
}

// --- ConnectionManager ---

ConnectionManager::ConnectionManager(std::shared_ptr<ConnectionFactory> factory, ManagerOptions options)
    : impl_(std::make_shared<Impl>(std::move(factory), std::move(options))) {}

ConnectionManager::~ConnectionManager() { stop(); }

Lease ConnectionManager::acquire(std::string_view strategy, Deadline deadline) {
  return impl_->acquire(strategy, deadline);
}

Result ConnectionManager::execute(std::string_view sql, const Params& params, const ExecuteOptions& options) {
  // `params` adds to ExecuteOptions::query.params (a name in both is Error(usage)).
  QueryOptions query = options.query;
  query.params.add(params);
  const std::string strategy = impl_->resolve(options.strategy);
  const bool read = is_read_only_statement(sql);
  RetryContext ctx{.idempotent = options.idempotent.value_or(read),
                   .rows_delivered = false,
                   .deadline = options.deadline,
                   .writes = !read};
  return impl_->with_retries<Result>(strategy, ctx, [&](Lease& lease) {
    QueryOptions q = query;
    q.deadline = q.deadline.earliest(ctx.deadline);
    return lease->execute(sql, q);
  });
}

Result ConnectionManager::select(std::string_view sql, const std::function<void(const Block&)>& on_block,
                                 const ExecuteOptions& options) {
  const std::string strategy = impl_->resolve(options.strategy);
  const bool read = is_read_only_statement(sql);
  RetryContext ctx{.idempotent = options.idempotent.value_or(read),
                   .rows_delivered = false,
                   .deadline = options.deadline,
                   .writes = !read};
  return impl_->with_retries<Result>(strategy, ctx, [&](Lease& lease) {
    QueryOptions q = options.query;
    q.deadline = q.deadline.earliest(ctx.deadline);
    return lease->select(
        sql,
        [&](const Block& block) {
          // Set before the caller sees the block: from here on a retry would repeat rows.
          ctx.rows_delivered = true;
          on_block(block);
        },
        q);
  });
}

void ConnectionManager::insert(std::string_view table, std::span<const Block> blocks, const ExecuteOptions& options) {
  // Error(usage) for text that is not a table name, before a lease is taken or a breaker asked.
  const InsertTarget target = parse_insert_target(table);
  // The span can be read again, so each attempt reads it afresh (with the retry rules of writes).
  const std::string strategy = impl_->resolve(options.strategy);
  RetryContext ctx{.idempotent = options.idempotent.value_or(false),
                   .rows_delivered = false,
                   .deadline = options.deadline,
                   .writes = true};
  impl_->with_retries<int>(strategy, ctx, [&](Lease& lease) {
    QueryOptions q = options.query;
    q.deadline = q.deadline.earliest(ctx.deadline);
    lease->insert(target, blocks, q);
    return 0;
  });
}

namespace {
// Passes a caller's source through and notes when it was first read: from then on it cannot be
// read again, and a retry would send other rows (or none), so the attempt counts as one whose rows
// were delivered (RetryVerdict::rows_delivered).
class ReadOnceSource final : public InsertSource {
 public:
  ReadOnceSource(InsertSource& inner, bool& read) : inner_(inner), read_(read) {}
  void start(const Block& sample) override {
    read_ = true;
    inner_.start(sample);
  }
  std::optional<Block> next() override { return inner_.next(); }

 private:
  InsertSource& inner_;
  bool& read_;
};
}  // namespace

void ConnectionManager::insert(std::string_view table, InsertSource& source, const ExecuteOptions& options) {
  const InsertTarget target = parse_insert_target(table);
  const std::string strategy = impl_->resolve(options.strategy);
  RetryContext ctx{.idempotent = options.idempotent.value_or(false),
                   .rows_delivered = false,
                   .deadline = options.deadline,
                   .writes = true};
  impl_->with_retries<int>(strategy, ctx, [&](Lease& lease) {
    QueryOptions q = options.query;
    q.deadline = q.deadline.earliest(ctx.deadline);
    ReadOnceSource once(source, ctx.rows_delivered);
    lease->insert(target, once, q);
    return 0;
  });
}

void ConnectionManager::start() {
  std::lock_guard lock(impl_->thread_mutex);
  if (impl_->thread.joinable()) return;
  impl_->stopping = false;
  impl_->thread = std::thread([impl = impl_.get()] { impl->loop(); });
}

void ConnectionManager::stop() noexcept {
  std::thread t;
  {
    std::lock_guard lock(impl_->thread_mutex);
    impl_->stopping = true;
    t = std::move(impl_->thread);
  }
  impl_->wake.notify_all();
  if (t.joinable()) t.join();
}

bool ConnectionManager::running() const noexcept {
  std::lock_guard lock(impl_->thread_mutex);
  return impl_->thread.joinable();
}

HealthReport ConnectionManager::run_health_check_once() { return impl_->check(); }

HealthReport ConnectionManager::health() const {
  std::lock_guard lock(impl_->report_mutex);
  return impl_->last_report;
}

std::uint64_t ConnectionManager::health_checks() const noexcept {
  return impl_->checks_run.load(std::memory_order_relaxed);
}

std::string ConnectionManager::metrics_text() const { return impl_->metrics(); }

CircuitBreaker& ConnectionManager::breaker(std::string_view strategy) {
  return impl_->state_for(impl_->resolve(strategy)).breaker;
}

const std::shared_ptr<ConnectionFactory>& ConnectionManager::factory() const noexcept { return impl_->factory; }

const ManagerOptions& ConnectionManager::options() const noexcept { return impl_->options; }

}  // namespace chconn
