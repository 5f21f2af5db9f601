#include "chconn/resilience/circuit_breaker.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <deque>
#include <limits>
#include <mutex>
#include <random>
#include <type_traits>
#include <utility>
#include <vector>

#include "chconn/resilience/rolling_window.h"

namespace chconn {

std::string_view to_string(CircuitState state) noexcept {
  switch (state) {
    case CircuitState::closed: return "closed";
    case CircuitState::open: return "open";
    case CircuitState::half_open: return "half_open";
  }
  return "unknown";
}

namespace {

using namespace std::chrono_literals;

// Permits taken through the bool API carry no epoch: their outcome applies to the current state.
constexpr std::uint64_t k_current_epoch = std::numeric_limits<std::uint64_t>::max();

enum class Outcome : std::uint8_t { success, failure, ignored };

// See the header comment: host failures fail, other server answers prove the host is up, the
// rest says nothing about the host.
Outcome outcome_of(const Error& error) noexcept {
  if (classify(error).host_failure) return Outcome::failure;
  if (error.kind() == ErrorKind::server) return Outcome::success;
  return Outcome::ignored;
}

enum class TripReason : std::uint8_t { none, failure_rate, slow_call_rate, probe_failed, half_open_timeout, forced };

struct Trip {
  TripReason reason = TripReason::none;
  std::uint64_t calls = 0;
  double rate = 0.0;
};

std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string format_percent(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", p);
  return buf;
}

std::string breaker_label(const std::string& name) {
  return name.empty() ? std::string("circuit breaker") : "circuit breaker '" + name + "'";
}

// Bit 0 of a count-window slot: failed; bit 1: slow.
constexpr std::uint8_t k_failed_bit = 1;
constexpr std::uint8_t k_slow_bit = 2;

}  // namespace

struct CircuitBreaker::Impl {
  Impl(CircuitBreakerOptions o, const Clock& c)
      : opt(std::move(o)),
        clock(c),
        timed(opt.window_duration),
        rng(opt.random_seed != 0 ? opt.random_seed
                                 : (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {
    if (opt.window_type == WindowType::count_based) ring.assign(opt.window_size, 0);
    last_transition = clock.now();
  }

  // ---- everything below is called with `mu` held ----

  struct Totals {
    std::uint64_t calls = 0, failed = 0, slow = 0;
  };

  Totals totals(Clock::time_point now) {
    if (opt.window_type == WindowType::count_based) return {ring_filled, ring_failed, ring_slow};
    const auto t = timed.totals(now);
    return {t[0], t[1], t[2]};
  }

  void clear_window() {
    std::fill(ring.begin(), ring.end(), std::uint8_t{0});
    ring_next = ring_filled = ring_failed = ring_slow = 0;
    timed.clear();
  }

  void add_to_window(Clock::time_point now, bool failed, bool slow) {
    if (opt.window_type == WindowType::count_based) {
      std::uint8_t& slot = ring[ring_next];
      if (ring_filled == ring.size()) {
        ring_failed -= (slot & k_failed_bit) ? 1 : 0;
        ring_slow -= (slot & k_slow_bit) ? 1 : 0;
      } else {
        ++ring_filled;
      }
      slot = static_cast<std::uint8_t>((failed ? k_failed_bit : 0) | (slow ? k_slow_bit : 0));
      ring_failed += failed ? 1 : 0;
      ring_slow += slow ? 1 : 0;
      ring_next = (ring_next + 1) % ring.size();
    } else {
      timed.add(now, 0);
      if (failed) timed.add(now, 1);
      if (slow) timed.add(now, 2);
    }
  }

  std::uint64_t effective_minimum_calls() const {
    if (opt.window_type == WindowType::count_based) return std::min(opt.minimum_calls, opt.window_size);
    return opt.minimum_calls;
  }

  void publish() { word.store((epoch << 2) | static_cast<std::uint64_t>(state), std::memory_order_release); }

  Clock::duration next_open_duration() {
    // trips counts this trip already.
    const double base = static_cast<double>(opt.open_duration.count());
    const double cap = static_cast<double>(opt.max_open_duration.count());
    double d = base * std::pow(opt.open_duration_multiplier, static_cast<double>(trips - 1));
    if (!(d < cap)) d = cap;
    if (opt.open_duration_jitter > 0.0) {
      const double u = static_cast<double>(splitmix64(rng) >> 11) * 0x1.0p-53;  // [0, 1)
      d += d * opt.open_duration_jitter * u;
    }
    return Clock::duration(static_cast<Clock::duration::rep>(d));
  }

  void transition(CircuitState to, Clock::time_point now) {
    const CircuitState from = state;
    state = to;
    ++epoch;
    last_transition = now;
    switch (to) {
      case CircuitState::closed:
        clear_window();
        trips = 0;
        break;
      case CircuitState::open:
        if (trips < std::numeric_limits<std::uint32_t>::max()) ++trips;
        open_until = now + next_open_duration();
        break;
      case CircuitState::half_open: half_open_since = now; break;
    }
    probes_permitted = probes_succeeded = 0;
    publish();
    pending.emplace_back(from, to);
    transitioned = true;
  }

  void trip(Trip why, Clock::time_point now) {
    last_trip = why;
    transition(CircuitState::open, now);
  }

  // The lazy, clock-driven transitions: open -> half_open, and the end of a stuck half-open.
  void advance(Clock::time_point now) {
    if (state == CircuitState::open && !forced && now >= open_until) transition(CircuitState::half_open, now);
    if (state == CircuitState::half_open && now - half_open_since >= opt.max_half_open_duration) {
      if (probes_succeeded > 0) {
        transition(CircuitState::closed, now);
      } else {
        trip({.reason = TripReason::half_open_timeout}, now);
      }
    }
  }

  void evaluate(Clock::time_point now) {
    const Totals t = totals(now);
    if (t.calls == 0 || t.calls < effective_minimum_calls()) return;
    const double calls = static_cast<double>(t.calls);
    const double failure_rate = 100.0 * static_cast<double>(t.failed) / calls;
    if (failure_rate >= opt.failure_rate_threshold) {
      trip({.reason = TripReason::failure_rate, .calls = t.calls, .rate = failure_rate}, now);
      return;
    }
    if (opt.slow_call_enabled) {
      const double slow_rate = 100.0 * static_cast<double>(t.slow) / calls;
      if (slow_rate >= opt.slow_call_rate_threshold) {
        trip({.reason = TripReason::slow_call_rate, .calls = t.calls, .rate = slow_rate}, now);
      }
    }
  }

  void apply(std::uint64_t permit_epoch, bool probe, Outcome outcome, Clock::duration latency, Clock::time_point now) {
    if (permit_epoch == k_current_epoch) {
      permit_epoch = epoch;
      probe = state == CircuitState::half_open;
    }
    if (permit_epoch != epoch) return;  // taken before the latest transition: stale
    const bool slow = opt.slow_call_enabled && outcome == Outcome::success && latency >= opt.slow_call_duration;
    switch (state) {
      case CircuitState::closed:
        if (outcome == Outcome::ignored) return;
        add_to_window(now, outcome == Outcome::failure, slow);
        evaluate(now);
        return;
      case CircuitState::half_open:
        if (outcome == Outcome::ignored) {
          if (probe && probes_permitted > 0) --probes_permitted;
          return;
        }
        if (outcome == Outcome::failure || slow) {
          trip({.reason = TripReason::probe_failed}, now);
          return;
        }
        if (++probes_succeeded >= opt.half_open_max_calls) transition(CircuitState::closed, now);
        return;
      case CircuitState::open: return;
    }
  }

  // Hands the queued transitions to the listeners, outside the lock, in order, each once. If
  // another thread (or an outer frame of this one, when a listener calls back in) is already
  // dispatching, it delivers them.
  void dispatch() {
    std::unique_lock lock(mu);
    if (dispatching) return;
    dispatching = true;
    while (!pending.empty()) {
      const auto [from, to] = pending.front();
      pending.pop_front();
      const std::vector<Listener> snapshot = listeners;
      lock.unlock();
      for (const Listener& l : snapshot) {
        try {
          l(from, to);
        } catch (...) {
          // Documented: listeners must not throw; a throwing one must not break the breaker.
        }
      }
      lock.lock();
    }
    dispatching = false;
  }

  // Runs `f` under the lock after the clock-driven transitions, then dispatches if anything moved.
  template <class F>
  auto locked(F&& f) {
    return locked_impl(std::forward<F>(f), true);
  }

  // For outcomes: `f` runs before the clock-driven transitions, so a probe that reports after
  // max_half_open_duration (with nobody using the breaker meanwhile) still counts.
  template <class F>
  void locked_outcome(F&& f) {
    locked_impl(
        [&](Clock::time_point now) {
          f(now);
          advance(now);
        },
        false);
  }

  template <class F>
  auto locked_impl(F&& f, bool advance_first) {
    std::unique_lock lock(mu);
    transitioned = false;
    const Clock::time_point now = clock.now();
    if (advance_first) advance(now);
    if constexpr (std::is_void_v<decltype(f(now))>) {
      f(now);
      const bool moved = transitioned;
      lock.unlock();
      if (moved) dispatch();
    } else {
      auto result = f(now);
      const bool moved = transitioned;
      lock.unlock();
      if (moved) dispatch();
      return result;
    }
  }

  const CircuitBreakerOptions opt;
  const Clock& clock;
  mutable std::mutex mu;
  // epoch << 2 | state, for the lock-free closed-state fast path of try_acquire_permit.
  std::atomic<std::uint64_t> word{0};

  CircuitState state = CircuitState::closed;
  std::uint64_t epoch = 0;  // bumped on every transition
  bool forced = false;
  bool transitioned = false;
  Clock::time_point last_transition{};
  Clock::time_point open_until{};
  Clock::time_point half_open_since{};
  std::uint32_t trips = 0;
  std::uint32_t probes_permitted = 0;
  std::uint32_t probes_succeeded = 0;
  std::uint64_t not_permitted = 0;
  Trip last_trip;

  // Count-based window.
  std::vector<std::uint8_t> ring;
  std::size_t ring_next = 0;
  std::uint64_t ring_filled = 0, ring_failed = 0, ring_slow = 0;
  // Time-based window: counters 0 calls, 1 failed, 2 slow.
  RollingCounters<3> timed;

  std::uint64_t rng;
  std::vector<Listener> listeners;
  std::deque<std::pair<CircuitState, CircuitState>> pending;
  bool dispatching = false;
};

// ---- Permit ----

CircuitBreaker::Permit::Permit(Permit&& other) noexcept
    : breaker_(std::exchange(other.breaker_, nullptr)), epoch_(other.epoch_), probe_(other.probe_) {}

CircuitBreaker::Permit& CircuitBreaker::Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    release();
    breaker_ = std::exchange(other.breaker_, nullptr);
    epoch_ = other.epoch_;
    probe_ = other.probe_;
  }
  return *this;
}

CircuitBreaker::Permit::~Permit() { release(); }

void CircuitBreaker::Permit::on_success(Clock::duration latency) {
  if (CircuitBreaker* b = std::exchange(breaker_, nullptr)) {
    b->impl_->locked_outcome(
        [&](Clock::time_point now) { b->impl_->apply(epoch_, probe_, Outcome::success, latency, now); });
  }
}

void CircuitBreaker::Permit::on_error(const Error& error, Clock::duration latency) {
  if (CircuitBreaker* b = std::exchange(breaker_, nullptr)) {
    const Outcome o = outcome_of(error);
    b->impl_->locked_outcome([&](Clock::time_point now) { b->impl_->apply(epoch_, probe_, o, latency, now); });
  }
}

void CircuitBreaker::Permit::on_failure(Clock::duration latency) {
  if (CircuitBreaker* b = std::exchange(breaker_, nullptr)) {
    b->impl_->locked_outcome(
        [&](Clock::time_point now) { b->impl_->apply(epoch_, probe_, Outcome::failure, latency, now); });
  }
}

void CircuitBreaker::Permit::release() noexcept {
  CircuitBreaker* b = std::exchange(breaker_, nullptr);
  if (b == nullptr || !probe_) return;  // closed-state permits hold no slot
  Impl& impl = *b->impl_;
  std::lock_guard lock(impl.mu);
  if (impl.epoch == epoch_ && impl.state == CircuitState::half_open && impl.probes_permitted > 0) {
    --impl.probes_permitted;
  }
}

// ---- CircuitBreaker ----

CircuitBreaker::CircuitBreaker(CircuitBreakerOptions options, const Clock& clock) {
  validate(options);
  impl_ = std::make_unique<Impl>(std::move(options), clock);
}

CircuitBreaker::~CircuitBreaker() = default;

std::optional<CircuitBreaker::Permit> CircuitBreaker::try_acquire_permit() {
  // Closed has no clock-driven transition, so a closed breaker permits without the lock. The
  // epoch read with the state makes an outcome reported after a later transition stale.
  const std::uint64_t w = impl_->word.load(std::memory_order_acquire);
  if (static_cast<CircuitState>(w & 3) == CircuitState::closed) return Permit(this, w >> 2, false);

  return impl_->locked([&](Clock::time_point) -> std::optional<Permit> {
    Impl& i = *impl_;
    switch (i.state) {
      case CircuitState::closed: return Permit(this, i.epoch, false);
      case CircuitState::half_open:
        if (i.probes_permitted < i.opt.half_open_max_calls) {
          ++i.probes_permitted;
          return Permit(this, i.epoch, true);
        }
        break;
      case CircuitState::open: break;
    }
    ++i.not_permitted;
    return std::nullopt;
  });
}

bool CircuitBreaker::try_acquire() {
  std::optional<Permit> p = try_acquire_permit();
  if (!p) return false;
  p->breaker_ = nullptr;  // the slot stays taken until on_success / on_error / on_failure
  return true;
}

void CircuitBreaker::on_success(Clock::duration latency) {
  impl_->locked_outcome(
      [&](Clock::time_point now) { impl_->apply(k_current_epoch, false, Outcome::success, latency, now); });
}

void CircuitBreaker::on_error(const Error& error, Clock::duration latency) {
  const Outcome o = outcome_of(error);
  impl_->locked_outcome([&](Clock::time_point now) { impl_->apply(k_current_epoch, false, o, latency, now); });
}

void CircuitBreaker::on_failure(Clock::duration latency) {
  impl_->locked_outcome(
      [&](Clock::time_point now) { impl_->apply(k_current_epoch, false, Outcome::failure, latency, now); });
}

CircuitState CircuitBreaker::state() const {
  return impl_->locked([&](Clock::time_point) { return impl_->state; });
}

CircuitBreakerMetrics CircuitBreaker::metrics() const {
  return impl_->locked([&](Clock::time_point now) {
    const Impl& i = *impl_;
    const Impl::Totals t = impl_->totals(now);
    CircuitBreakerMetrics m;
    m.state = i.state;
    m.forced_open = i.forced;
    m.calls = t.calls;
    m.failed_calls = t.failed;
    m.slow_calls = t.slow;
    if (t.calls > 0) {
      m.failure_rate = 100.0 * static_cast<double>(t.failed) / static_cast<double>(t.calls);
      m.slow_call_rate = 100.0 * static_cast<double>(t.slow) / static_cast<double>(t.calls);
    }
    m.probes_permitted = i.probes_permitted;
    m.probes_succeeded = i.probes_succeeded;
    m.not_permitted = i.not_permitted;
    m.consecutive_trips = i.trips;
    m.last_transition = i.last_transition;
    if (i.state == CircuitState::open) {
      m.time_until_half_open =
          i.forced ? Clock::duration::max() : std::max(Clock::duration::zero(), i.open_until - now);
    }
    return m;
  });
}

const CircuitBreakerOptions& CircuitBreaker::options() const noexcept { return impl_->opt; }
const std::string& CircuitBreaker::name() const noexcept { return impl_->opt.name; }

void CircuitBreaker::reset() {
  impl_->locked([&](Clock::time_point now) {
    Impl& i = *impl_;
    i.forced = false;
    if (i.state != CircuitState::closed) {
      i.transition(CircuitState::closed, now);
    } else {
      i.clear_window();
      i.trips = 0;
      ++i.epoch;  // outcomes of calls started before the reset do not count
      i.publish();
    }
    i.last_trip = {};
  });
}

void CircuitBreaker::force_open() {
  impl_->locked([&](Clock::time_point now) {
    Impl& i = *impl_;
    i.forced = true;
    if (i.state != CircuitState::open)
      i.trip({.reason = TripReason::forced}, now);
    else
      i.last_trip = {.reason = TripReason::forced};
  });
}

void CircuitBreaker::add_listener(Listener listener) {
  std::lock_guard lock(impl_->mu);
  impl_->listeners.push_back(std::move(listener));
}

Error CircuitBreaker::open_error() const {
  return impl_->locked([&](Clock::time_point now) {
    const Impl& i = *impl_;
    std::string msg = breaker_label(i.opt.name);
    switch (i.state) {
      case CircuitState::open: {
        if (i.forced) {
          msg += " was forced open and permits no calls until it is reset";
          break;
        }
        msg += " is open";
        switch (i.last_trip.reason) {
          case TripReason::failure_rate:
            msg += ": " + format_percent(i.last_trip.rate) + " of the last " + std::to_string(i.last_trip.calls) +
                   " calls failed (threshold " + format_percent(i.opt.failure_rate_threshold) + ")";
            break;
          case TripReason::slow_call_rate:
            msg += ": " + format_percent(i.last_trip.rate) + " of the last " + std::to_string(i.last_trip.calls) +
                   " calls took longer than " + duration_text(i.opt.slow_call_duration) + " (threshold " +
                   format_percent(i.opt.slow_call_rate_threshold) + ")";
            break;
          case TripReason::probe_failed: msg += ": a probe call failed while half-open"; break;
          case TripReason::half_open_timeout:
            msg += ": no probe call succeeded within " + duration_text(i.opt.max_half_open_duration);
            break;
          case TripReason::forced:
          case TripReason::none: break;
        }
        if (i.trips > 1) msg += " (opened " + std::to_string(i.trips) + " times in a row)";
        msg += "; it will permit a probe call in " +
               duration_text(std::max(Clock::duration::zero(), i.open_until - now)) +
               ". Try another host, or retry later";
        break;
      }
      case CircuitState::half_open:
        msg +=
            " is half-open and all " + std::to_string(i.opt.half_open_max_calls) +
            " of its probe calls are in flight; it will permit more calls once they succeed (within " +
            duration_text(std::max(Clock::duration::zero(), i.opt.max_half_open_duration - (now - i.half_open_since))) +
            "). Try another host, or retry shortly";
        break;
      case CircuitState::closed: msg += " refused a call but has closed since; retry now"; break;
    }
    return Error(ErrorKind::circuit_open, std::move(msg));
  });
}

}  // namespace chconn
