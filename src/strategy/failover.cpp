// FailoverStrategy. The host list is fixed at construction; per-host mutable state is the breaker
// and the ErrorDecay (both thread-safe), atomic counters, and a small mutex for the last error and
// ping latency. No lock is held while connecting or pinging.
//
// Leases are observed leases (chconn/strategy/observed.h) whose observer holds the breaker permit
// taken for the host and a reference to the shared State, so the outcome reaches the right host
// even after the strategy itself is gone.
#include "chconn/strategy/failover.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <mutex>
#include <utility>

#include "chconn/connection/connector.h"
#include "chconn/core/error.h"
#include "chconn/resilience/retry.h"
#include "chconn/strategy/observed.h"
#include "chconn/strategy/pooled.h"
#include "core/concurrent.h"
#include "strategy/host_checks.h"

namespace chconn {

namespace {

using duration = Clock::duration;

struct Host {
  FailoverHost config;
  std::string address;
  std::shared_ptr<ConnectionStrategy> strategy;
  std::unique_ptr<CircuitBreaker> breaker;
  std::atomic<std::uint64_t> successes{0};
  std::atomic<std::uint64_t> failures{0};
  std::atomic<std::uint64_t> skipped{0};
  // A health check of this host is in flight (at most one at a time, whoever calls check_hosts).
  std::atomic<bool> checking{false};
  // The replication lag (seconds) the last health check read; -1: not read, or that check failed.
  std::atomic<std::int64_t> replica_delay{-1};
  mutable std::mutex mutex;  // guards the two below
  std::string last_error;
  std::optional<duration> ping_latency;
};

std::string address_of(const HostPort& h, bool secure) {
  return to_string(HostPort{h.host, h.port != 0 ? h.port : static_cast<std::uint16_t>(secure ? 9440 : 9000)});
}

// The lag check: the largest delay of the host's replicated tables (0 when it has none).
constexpr std::string_view k_replica_delay_sql = "SELECT max(absolute_delay) AS delay FROM system.replicas";

std::chrono::seconds read_replica_delay(Connection& connection, Deadline deadline) {
  QueryOptions o;
  o.deadline = deadline;
  const std::uint64_t delay = connection.execute(k_replica_delay_sql, o).value<std::uint64_t>("delay");
  return std::chrono::seconds(
      static_cast<std::int64_t>(std::min<std::uint64_t>(delay, std::numeric_limits<std::int64_t>::max())));
}

// "retry in 4.2 s", "probes in flight", "forced open".
std::string refusal(const CircuitBreakerMetrics& m) {
  if (m.forced_open) return "forced open";
  if (m.state == CircuitState::open) return "open, retry in " + duration_text(m.time_until_half_open);
  if (m.state == CircuitState::half_open) return "half_open, all probes in flight";
  return "closed";
}

}  // namespace

class FailoverStrategy::State final : public std::enable_shared_from_this<State> {
 public:
  State(FailoverOptions options, const HostStrategyMaker& make_host)
      : options_(std::move(options)),
        clock_(options_.clock ? options_.clock : &steady_clock()),
        decay_(options_.hosts.size(), options_.decay, *clock_),
        random_(options_.random_seed) {
    // A bad option is Error(config) naming it, as the pool's and Config::validate()'s are; a null
    // maker is the caller's code, Error(usage).
    if (options_.hosts.empty()) {
      throw Error(ErrorKind::config, "failover '" + options_.name + "': hosts is empty; it needs at least one host");
    }
    if (!make_host)
      throw Error(ErrorKind::usage, "failover '" + options_.name + "' needs a host strategy maker (got null)");
    if (options_.max_replica_delay < std::chrono::seconds::zero()) {
      throw Error(ErrorKind::config, "failover '" + options_.name + "': max_replica_delay must not be negative");
    }
    if (options_.connect_timeout <= std::chrono::milliseconds::zero()) {
      throw Error(ErrorKind::config, "failover '" + options_.name + "': connect_timeout must be positive");
    }
    hosts_.reserve(options_.hosts.size());
    for (std::size_t i = 0; i < options_.hosts.size(); ++i) {
      auto host = std::make_unique<Host>();
      host->config = options_.hosts[i];
      host->address = address_of(host->config.address, options_.secure);
      CircuitBreakerOptions b = options_.breaker;
      b.name = host->address;
      if (b.random_seed != 0) b.random_seed += i;  // reproducible, but not in lockstep
      host->breaker = std::make_unique<CircuitBreaker>(std::move(b), *clock_);
      host->breaker->add_listener([logger = options_.logger, name = options_.name, address = host->address](
                                      CircuitState from, CircuitState to) {
        log(logger.get(), to == CircuitState::open ? LogLevel::warning : LogLevel::info,
            std::string("failover '")
                .append(name)
                .append("': host ")
                .append(address)
                .append(" circuit ")
                .append(to_string(from))
                .append(" -> ")
                .append(to_string(to)));
      });
      host->strategy = make_host(host->config, i);
      if (!host->strategy) {
        throw Error(ErrorKind::usage,
                    "failover '" + options_.name + "': the host strategy maker returned null for " + host->address);
      }
      hosts_.push_back(std::move(host));
    }
  }

  const FailoverOptions& options() const noexcept { return options_; }
  const Clock& clock() const noexcept { return *clock_; }
  std::size_t size() const noexcept { return hosts_.size(); }
  Host& host(std::size_t i) const {
    if (i >= hosts_.size()) {
      throw Error(ErrorKind::usage, "failover '" + options_.name + "': no host #" + std::to_string(i) + " (it has " +
                                        std::to_string(hosts_.size()) + ")");
    }
    return *hosts_[i];
  }

  // The order to try hosts in, for one acquire; `lag` is lags()'s view of the hosts.
  std::vector<std::size_t> order(const std::vector<std::int64_t>& lag) {
    const std::size_t n = hosts_.size();
    const std::vector<std::uint64_t> errors = decay_.snapshot();
    const std::size_t start = options_.load_balancing == LoadBalancing::round_robin
                                  ? round_robin_.fetch_add(1, std::memory_order_relaxed) % n
                                  : 0;
    std::vector<HostRank> ranks(n);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint64_t tie = 0;
      switch (options_.load_balancing) {
        case LoadBalancing::random: tie = random_.next(); break;
        case LoadBalancing::in_order: tie = 0; break;
        case LoadBalancing::first_or_random: tie = i == 0 ? 0 : 1 + (random_.next() >> 1); break;
        case LoadBalancing::round_robin: tie = (i + n - start) % n; break;
      }
      ranks[i] = HostRank{.errors = effective_errors(errors[i], options_.max_ignored_errors),
                          .priority = hosts_[i]->config.priority,
                          .tie_breaker = tie,
                          .index = i};
    }
    return by_lag(order_hosts(ranks), lag);
  }

  // True when a lag read by a check (seconds; -1: not read) exceeds max_replica_delay.
  bool stale(std::int64_t lag) const noexcept {
    return options_.max_replica_delay > std::chrono::seconds::zero() && lag > options_.max_replica_delay.count();
  }

  // Every host's lag, read once for one acquire, so that its order and its error see the same
  // values while health checks update them; empty without max_replica_delay.
  std::vector<std::int64_t> lags() const {
    std::vector<std::int64_t> out;
    if (options_.max_replica_delay <= std::chrono::seconds::zero()) return out;
    out.reserve(hosts_.size());
    for (const auto& h : hosts_) out.push_back(h->replica_delay.load(std::memory_order_relaxed));
    return out;
  }

  // `ordered` with the stale hosts moved after the others, least lag first (or left out when
  // fallback_to_stale_replicas is off).
  std::vector<std::size_t> by_lag(std::vector<std::size_t> ordered, const std::vector<std::int64_t>& lag) const {
    if (lag.empty()) return ordered;
    const auto fresh_end =
        std::stable_partition(ordered.begin(), ordered.end(), [&](std::size_t i) { return !stale(lag[i]); });
    std::stable_sort(fresh_end, ordered.end(), [&](std::size_t a, std::size_t b) { return lag[a] < lag[b]; });
    if (!options_.fallback_to_stale_replicas) ordered.erase(fresh_end, ordered.end());
    return ordered;
  }

  // Every host lags past max_replica_delay and fallback_to_stale_replicas is off.
  Error all_stale_error(const std::vector<std::int64_t>& lag) const {
    std::string list;
    for (std::size_t i = 0; i < hosts_.size(); ++i) {
      if (!list.empty()) list += ", ";
      list += hosts_[i]->address + " " + std::to_string(lag[i]) + " s";
    }
    return Error(ErrorKind::network, "failover '" + options_.name + "': every host lags more than max_replica_delay (" +
                                         std::to_string(options_.max_replica_delay.count()) + " s): " + list +
                                         "; fallback_to_stale_replicas is off. Wait for replication to catch up, or "
                                         "turn the fallback on");
  }

  Lease acquire(Deadline deadline) {
    const std::vector<std::int64_t> lag = lags();
    const std::vector<std::size_t> ordered = order(lag);
    if (ordered.empty()) throw all_stale_error(lag);
    const std::size_t max_tries = options_.max_tries != 0 ? options_.max_tries : hosts_.size();
    std::size_t tries = 0;
    std::optional<Error> last;
    std::string notes;  // what each try met, for the final error
    bool timed_out = false;
    while (tries < max_tries && !timed_out) {
      bool tried_in_round = false;
      for (std::size_t i : ordered) {
        if (tries >= max_tries) break;
        Host& h = *hosts_[i];
        std::optional<CircuitBreaker::Permit> permit = h.breaker->try_acquire_permit();
        if (!permit) {
          h.skipped.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        if (deadline.expired(*clock_)) {
          timed_out = true;
          break;
        }
        tried_in_round = true;
        ++tries;
        const Clock::time_point start = clock_->now();
        try {
          Lease inner = h.strategy->acquire(
              deadline.earliest(Deadline::after(options_.connect_timeout, *clock_).named("the connect timeout")));
          return observe_lease(std::move(inner), std::make_unique<Observer>(shared_from_this(), i, std::move(*permit)),
                               *clock_);
        } catch (const Error& e) {
          const ErrorClass c = classify(e);
          permit->on_error(e, clock_->now() - start);
          if (c.host_failure) note_failure(i, e);
          if (!c.retryable) throw e.with_context("failover '" + options_.name + "', host " + h.address);
          if (!notes.empty()) notes += "; ";
          notes += h.address + ": " + e.message();
          last = e;
        }
      }
      if (!tried_in_round) break;
    }
    if (last) {
      throw last->with_context("failover '" + options_.name + "': " + std::to_string(tries) + " tr" +
                               (tries == 1 ? "y" : "ies") + " failed (" + notes + skipped_note() + "); the last");
    }
    if (timed_out) {
      throw Error(ErrorKind::timeout, "failover '" + options_.name +
                                          "': the deadline passed before any host could be tried" + skipped_note());
    }
    throw all_open_error();
  }

  // The outcome of a lease, a connect or a ping on host `i`.
  void note_failure(std::size_t i, const Error& e) {
    Host& h = *hosts_[i];
    decay_.record_error(i);
    h.failures.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(h.mutex);
    h.last_error = e.what();
  }

  void note_lease_end(std::size_t i, CircuitBreaker::Permit& permit, const LeaseOutcome& o) {
    Host& h = *hosts_[i];
    if (o.failed()) {
      if (o.error && classify(*o.error).host_failure) {
        permit.on_error(*o.error, o.held);
        note_failure(i, *o.error);
      } else {
        permit.on_failure(o.held);
        note_failure(i, Error(ErrorKind::network, "a lease to " + h.address + " ended with the connection broken"));
      }
      return;
    }
    if (o.error) {
      // Not the host's fault: a server error is the server answering; anything else says nothing.
      permit.on_error(*o.error, o.held);
      if (o.error->kind() == ErrorKind::server) h.successes.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (o.broken) {
      permit.release();  // the caller dropped it for reasons of its own
      return;
    }
    permit.on_success(o.held);
    h.successes.fetch_add(1, std::memory_order_relaxed);
  }

  std::vector<HostCheck> check(const HostCheckOptions& o) {
    detail::validate_host_check_options(o, "failover '" + options_.name + "'");
    const duration budget = std::min<duration>(o.timeout, options_.connect_timeout);
    std::vector<HostCheck> out(hosts_.size());
    detail::run_concurrently(hosts_.size(), o.max_concurrency,
                             [&](std::size_t i) { out[i] = check_host(i, budget, o.start_by); });
    return out;
  }

  // One host's check, within `budget` from its start. Nothing is recorded for a host that is not
  // contacted: only a host that was asked and did not answer in its own time is charged.
  HostCheck check_host(std::size_t i, duration budget, Deadline start_by) {
    Host& h = *hosts_[i];
    HostCheck c{.address = h.address};
    const detail::ExclusiveClaim claim(h.checking);
    if (!detail::may_check(claim, start_by, *clock_, c)) return c;
    std::optional<CircuitBreaker::Permit> permit = h.breaker->try_acquire_permit();
    if (!permit) {
      h.skipped.fetch_add(1, std::memory_order_relaxed);
      c.not_checked = "circuit breaker " + refusal(h.breaker->metrics());
      return c;
    }
    const bool reads_lag = options_.max_replica_delay > std::chrono::seconds::zero();
    std::optional<std::chrono::seconds> delay;
    const std::optional<Error> failed = detail::run_check(c, *clock_, budget, [&](Deadline d) {
      Lease lease = h.strategy->acquire(d);
      try {
        lease->ping(d);
        if (reads_lag) delay = read_replica_delay(*lease, d);
      } catch (const Error& e) {
        lease.note_error(e);
        throw;
      }
    });
    if (failed) {
      permit->on_error(*failed, c.latency);
      if (classify(*failed).host_failure) note_failure(i, *failed);
    } else {
      permit->on_success(c.latency);
      h.successes.fetch_add(1, std::memory_order_relaxed);
    }
    c.replica_delay = failed ? std::nullopt : delay;
    h.replica_delay.store(c.replica_delay ? c.replica_delay->count() : -1, std::memory_order_relaxed);
    std::lock_guard lock(h.mutex);
    h.ping_latency = failed ? std::nullopt : std::optional(c.latency);
    return c;
  }

  std::vector<HostStats> host_stats() const {
    const std::vector<std::uint64_t> errors = decay_.snapshot();
    std::vector<HostStats> out;
    out.reserve(hosts_.size());
    for (std::size_t i = 0; i < hosts_.size(); ++i) {
      const Host& h = *hosts_[i];
      const CircuitBreakerMetrics m = h.breaker->metrics();
      HostStats s;
      s.address = h.address;
      s.priority = h.config.priority;
      s.breaker = m.state;
      s.errors = errors[i];
      s.successes = h.successes.load(std::memory_order_relaxed);
      s.failures = h.failures.load(std::memory_order_relaxed);
      s.skipped = h.skipped.load(std::memory_order_relaxed);
      s.retry_in = m.forced_open                   ? duration::max()
                   : m.state == CircuitState::open ? m.time_until_half_open
                                                   : duration{};
      if (const std::int64_t lag = h.replica_delay.load(std::memory_order_relaxed); lag >= 0) {
        s.replica_delay = std::chrono::seconds(lag);
        s.stale = stale(lag);
      }
      {
        std::lock_guard lock(h.mutex);
        s.last_error = h.last_error;
        s.ping_latency = h.ping_latency;
      }
      if (h.strategy) s.pool = h.strategy->stats();
      out.push_back(std::move(s));
    }
    return out;
  }

  StrategyStats stats() const {
    StrategyStats t;
    for (const auto& h : hosts_) {
      if (h->strategy) t += h->strategy->stats();
    }
    return t;
  }

  MaintenanceReport maintain() {
    MaintenanceReport t;
    for (const auto& h : hosts_) {
      if (h->strategy) t += h->strategy->maintain();
    }
    return t;
  }

  // The strategy is going away: its pools close their idle connections now (leases still out
  // keep what they need alive by themselves).
  void shutdown() noexcept {
    for (auto& h : hosts_) h->strategy.reset();
  }

 private:
  class Observer final : public LeaseObserver {
   public:
    Observer(std::shared_ptr<State> state, std::size_t index, CircuitBreaker::Permit permit)
        : state_(std::move(state)), index_(index), permit_(std::move(permit)) {}
    void on_lease_end(const LeaseOutcome& outcome) noexcept override {
      try {
        state_->note_lease_end(index_, permit_, outcome);
      } catch (...) {
        // Recording must never take a lease's end down (only allocation can throw here).
      }
    }

   private:
    std::shared_ptr<State> state_;
    std::size_t index_;
    CircuitBreaker::Permit permit_;
  };

  // " (skipped, circuit breaker: db1:9000 open, retry in 4.2 s)" or "".
  std::string skipped_note() const {
    std::string out;
    for (const auto& h : hosts_) {
      const CircuitBreakerMetrics m = h->breaker->metrics();
      if (m.state == CircuitState::closed) continue;
      if (m.state == CircuitState::half_open && !m.forced_open &&
          m.probes_permitted < options_.breaker.half_open_max_calls)
        continue;
      out += out.empty() ? "; skipped by circuit breaker: " : ", ";
      out += h->address + " " + refusal(m);
    }
    return out;
  }

  Error all_open_error() const {
    duration next = duration::max();
    std::string list;
    for (const auto& h : hosts_) {
      const CircuitBreakerMetrics m = h->breaker->metrics();
      if (!list.empty()) list += "; ";
      list += h->address + " " + refusal(m);
      const duration wait = m.forced_open                   ? duration::max()
                            : m.state == CircuitState::open ? m.time_until_half_open
                                                            : duration::zero();
      next = std::min(next, wait);
    }
    std::string when = next == duration::max() ? "no host will be tried until an operator resets its breaker"
                                               : "the next host will be tried in " + duration_text(next);
    return Error(ErrorKind::circuit_open, "failover '" + options_.name + "': the circuit breakers of all " +
                                              std::to_string(hosts_.size()) + " hosts refuse calls (" + list + "); " +
                                              when + ". Check that the servers are up, or retry later");
  }

  FailoverOptions options_;
  const Clock* clock_;
  std::vector<std::unique_ptr<Host>> hosts_;
  ErrorDecay decay_;
  RandomSource random_;
  std::atomic<std::size_t> round_robin_{0};
};

FailoverOptions failover_options(const Config& config) {
  FailoverOptions o;
  for (const auto& h : config.hosts) o.hosts.push_back(FailoverHost{.address = h, .priority = 0});
  o.load_balancing = config.load_balancing;
  o.connect_timeout = config.timeouts.connect;
  o.secure = config.secure;
  o.logger = config.logger;
  static_cast<FailoverTuning&>(o) = config.failover;  // max_ignored_errors, decay, breaker
  return o;
}

namespace {
FailoverOptions on_clock(FailoverOptions o, const Clock* clock) {
  o.clock = clock;
  return o;
}
}  // namespace

HostStrategyMaker pooled_host_maker(const Config& config, const Clock* clock) {
  return [config, clock](const FailoverHost& host, std::size_t) -> std::shared_ptr<ConnectionStrategy> {
    PooledOptions o = pooled_options(config);
    o.name = "failover/" + address_of(host.address, config.secure);
    o.clock = clock;
    return std::make_shared<PooledStrategy>(native_connector(config, host.address), std::move(o));
  };
}

namespace {
const Config& validated(const Config& config) {
  config.validate();
  return config;
}
}  // namespace

FailoverStrategy::FailoverStrategy(const Config& config)
    : FailoverStrategy(failover_options(validated(config)), pooled_host_maker(config, nullptr)) {}

FailoverStrategy::FailoverStrategy(const Config& config, const Clock& clock)
    : FailoverStrategy(on_clock(failover_options(validated(config)), &clock), pooled_host_maker(config, &clock)) {}

FailoverStrategy::FailoverStrategy(FailoverOptions options, const HostStrategyMaker& make_host)
    : state_(std::make_shared<State>(std::move(options), make_host)) {}

FailoverStrategy::~FailoverStrategy() { state_->shutdown(); }

Lease FailoverStrategy::acquire(Deadline deadline) { return state_->acquire(deadline); }

const std::string& FailoverStrategy::name() const noexcept { return state_->options().name; }

StrategyStats FailoverStrategy::stats() const { return state_->stats(); }

MaintenanceReport FailoverStrategy::maintain() { return state_->maintain(); }

std::vector<HostStats> FailoverStrategy::host_stats() const { return state_->host_stats(); }

std::vector<HostCheck> FailoverStrategy::check_hosts(const HostCheckOptions& options) { return state_->check(options); }

std::size_t FailoverStrategy::host_count() const noexcept { return state_->size(); }

CircuitBreaker& FailoverStrategy::breaker(std::size_t index) { return *state_->host(index).breaker; }

std::vector<CircuitBreaker*> FailoverStrategy::host_breakers() {
  std::vector<CircuitBreaker*> breakers;
  breakers.reserve(state_->size());
  for (std::size_t i = 0; i < state_->size(); ++i) breakers.push_back(state_->host(i).breaker.get());
  return breakers;
}

const FailoverOptions& FailoverStrategy::options() const noexcept { return state_->options(); }

}  // namespace chconn
