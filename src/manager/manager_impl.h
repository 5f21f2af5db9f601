// ConnectionManager's shared state, for manager.cpp (gating, retries, the public members),
// health.cpp (health rounds) and metrics.cpp (the Prometheus text). Shared state (Impl) lives as
// long as the manager or its longest lease. Per strategy name it keeps a breaker and counters
// (ManagerStrategyState), made on first use and never removed, so leases may point at them. No lock
// is held while acquiring, querying or pinging.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/manager/manager.h"
#include "chconn/strategy/observed.h"

namespace chconn {

namespace detail {

using duration = Clock::duration;

inline double to_seconds(duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace detail

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

  void observe_wait(detail::duration d, const std::vector<double>& bounds) noexcept {
    if (d < detail::duration::zero()) d = detail::duration::zero();
    const double s = detail::to_seconds(d);
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      if (s <= bounds[i]) wait_buckets[i].fetch_add(1, std::memory_order_relaxed);
    }
    wait_count.fetch_add(1, std::memory_order_relaxed);
    wait_sum_ns.fetch_add(d.count(), std::memory_order_relaxed);
  }

  // Success, the common outcome, is a relaxed atomic add; an error's kind takes the lock.
  void count_outcome(std::string_view outcome) {
    if (outcome == "success") {
      successes.fetch_add(1, std::memory_order_relaxed);
      return;
    }
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
  std::atomic<std::uint64_t> successes{0};
  std::atomic<std::uint64_t> failures{0};
  // A health check of this strategy is in flight (at most one at a time).
  std::atomic<bool> checking{false};
  mutable std::mutex mutex;  // guards the ones below
  std::map<std::string, std::uint64_t, std::less<>> outcomes;
  std::string last_error;
  std::optional<detail::duration> ping_latency;
  // Tables found to deduplicate inserts (ExecuteOptions::deduplicated_retry), as "database\0table";
  // at most k_max_deduplicating_tables, then forgotten and checked again.
  std::set<std::string, std::less<>> deduplicating_tables;
  static constexpr std::size_t k_max_deduplicating_tables = 1024;
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
    // `permit` is empty when the manager has no breaker (ManagerOptions::circuit_breaker).
    Observer(std::shared_ptr<Impl> impl, ManagerStrategyState& state, std::optional<CircuitBreaker::Permit> permit)
        : impl_(std::move(impl)), state_(state), permit_(std::move(permit)) {}
    void on_lease_end(const LeaseOutcome& o) noexcept override {
      try {
        if (o.failed()) {
          if (o.error && classify(*o.error).host_failure) {
            if (permit_) permit_->on_error(*o.error, o.held);
            state_.note_failure(*o.error);
          } else {
            if (permit_) permit_->on_failure(o.held);
            state_.note_failure(Error(ErrorKind::network,
                                      "a lease of strategy '" + state_.name + "' ended with its connection broken"));
          }
        } else if (!permit_) {
          // No breaker: nothing else to record.
        } else if (o.error) {
          permit_->on_error(*o.error, o.held);
        } else if (o.broken) {
          permit_->release();
        } else {
          permit_->on_success(o.held);
        }
      } catch (...) {
        // Only allocation can throw here; a lease's end must not.
      }
    }

   private:
    std::shared_ptr<Impl> impl_;  // keeps state_ (and its breaker) alive
    ManagerStrategyState& state_;
    std::optional<CircuitBreaker::Permit> permit_;
  };

  // A strategy of the factory and the manager's state for it, looked up once per call.
  struct Target {
    std::shared_ptr<ConnectionStrategy> strategy;
    ManagerStrategyState* state;
    // ExecuteOptions::routing_key (it outlives the call); empty: none.
    std::string_view routing_key{};
  };

  // Error(usage) for an unknown name, listing the registered ones (ConnectionFactory::get).
  Target target(std::string_view name) {
    std::shared_ptr<ConnectionStrategy> strategy = factory->get(name);
    ManagerStrategyState& st = state_for(strategy->name());
    return Target{std::move(strategy), &st};
  }
  Target target(std::string_view name, std::string_view routing_key) {
    Target t = target(name);
    t.routing_key = routing_key;
    return t;
  }

  Lease acquire(std::string_view name, Deadline deadline) { return acquire(target(name), deadline); }

  Lease acquire(const Target& t, Deadline deadline) {
    ConnectionStrategy* strategy = t.strategy.get();
    ManagerStrategyState& st = *t.state;
    std::optional<CircuitBreaker::Permit> permit;
    if (options.circuit_breaker) {
      permit = st.breaker.try_acquire_permit();
      if (!permit) throw st.breaker.open_error();
    }
    const Clock::time_point start = clock->now();
    Lease inner;
    try {
      inner = t.routing_key.empty() ? strategy->acquire(deadline) : strategy->acquire_for(t.routing_key, deadline);
    } catch (const Error& e) {
      const detail::duration waited = clock->now() - start;
      st.observe_wait(waited, options.acquire_wait_buckets);
      if (permit) permit->on_error(e, waited);
      if (classify(e).host_failure) st.note_failure(e);
      throw;
    }
    st.observe_wait(clock->now() - start, options.acquire_wait_buckets);
    return observe_lease(std::move(inner), std::make_unique<Observer>(shared_from_this(), st, std::move(permit)),
                         *clock);
  }

  // Carries a chconn::Error the caller's callback threw out of an attempt, past run_with_retry.
  struct CallersFailure {
    std::exception_ptr error;
  };

  // Runs one statement with retries; `run` does the work on a lease. With one attempt allowed
  // (ManagerOptions::plain()) it is that attempt alone: its error unchanged, no retry overall
  // timeout, nothing recorded in the retry budget.
  template <class R, class F>
  R with_retries(const Target& strategy, RetryContext& ctx, F&& run) {
    ManagerStrategyState& st = *strategy.state;
    const auto attempt = [&](int n) -> R {
      if (n > 1) st.retries.fetch_add(1, std::memory_order_relaxed);
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
        // The caller's own callback threw it: not retried (run_with_retry passes on at once what
        // is not a chconn::Error), and not noted as the call's error. The lease's release judges
        // the connection alone: one the drain after the callback left broken counts against the
        // host whatever the callback threw.
        if (caller_callback_failed(*lease)) throw CallersFailure{std::current_exception()};
        lease.note_error(e);
        throw;
      }
    };
    try {
      R result = policy.options().max_attempts <= 1 ? attempt(1)
                                                    : run_with_retry(attempt, policy, &budget, *clock, *sleeper, ctx);
      st.count_outcome("success");
      return result;
    } catch (const Error& e) {
      st.count_outcome(to_string(e.kind()));
      throw;
    } catch (const CallersFailure& failure) {
      try {
        std::rethrow_exception(failure.error);
      } catch (const Error& e) {
        st.count_outcome(to_string(e.kind()));
        throw;
      }
    }
  }

  // A health round (health.cpp): every strategy checked, concurrently; the report kept.
  HealthReport check();
  // One strategy's part of a round: its check (each host's, for one over several hosts), then its
  // maintain(). nullopt when it was unregistered meanwhile.
  std::optional<StrategyHealth> check_strategy(const std::string& name, bool is_default, Deadline start_by);
  // A ping of one connection of `strategy` through its breaker (when the manager has one).
  void ping(ConnectionStrategy& strategy, ManagerStrategyState& st, StrategyHealth& h, Deadline start_by);

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

  // The Prometheus text of metrics_text() (metrics.cpp).
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

}  // namespace chconn
