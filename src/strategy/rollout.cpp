// RolloutStrategy. The share is kept as a threshold on 63-bit points (share / 100 * 2^63), so a
// pick is one atomic load and one comparison; share 100 is 2^63, above every point.
//
// Waiters in B (cut_waiters): the caller registers an Attempt, has a helper thread (Helpers) run
// B's acquire and hands the lease over through the Attempt, and waits on the Attempt's condition
// variable for the hand-over or for kill(), which bumps kill_epoch_ and wakes every registered
// Attempt under its mutex (so a wake-up cannot be lost between the caller's check and its wait).
// A caller woken by kill() marks its Attempt abandoned; the helper then ends the lease B gave it.
#include "chconn/strategy/rollout.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>

#include "chconn/core/error.h"
#include "chconn/resilience/retry.h"
#include "chconn/strategy/observed.h"
#include "core/config_detail.h"
#include "wire/cityhash.h"

namespace chconn {

namespace {

constexpr double k_two_63 = 9223372036854775808.0;
constexpr std::uint64_t k_all = std::uint64_t{1} << 63;

std::uint64_t threshold_of(double percent) noexcept {
  if (percent >= 100.0) return k_all;
  return static_cast<std::uint64_t>(percent / 100.0 * k_two_63);
}

std::uint64_t key_point(std::string_view key) noexcept { return wire::city_hash128(key.data(), key.size()).lo >> 1; }

// Hold times: bucket 0 holds up to 1 us; bucket k >= 1 holds (2^((k-1)/4), 2^(k/4)] us; the last
// one everything longer (2^40 us is 12.7 days).
constexpr std::size_t k_buckets = 4 * 40 + 1;

std::size_t bucket_of(Clock::duration d) noexcept {
  const double us = std::chrono::duration<double, std::micro>(d).count();
  if (!(us > 1.0)) return 0;
  const double k = std::ceil(4.0 * std::log2(us));
  return k >= static_cast<double>(k_buckets - 1) ? k_buckets - 1 : static_cast<std::size_t>(k);
}

Clock::duration bucket_bound(std::size_t k) noexcept {
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double, std::micro>(std::exp2(static_cast<double>(k) / 4.0)));
}

struct ArmCounters {
  std::atomic<std::uint64_t> leases{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> acquire_errors{0};
  std::atomic<std::uint64_t> rerouted{0};
  std::atomic<std::uint64_t> ended{0};
  std::atomic<std::int64_t> held_sum_ns{0};
  std::array<std::atomic<std::uint64_t>, k_buckets> buckets{};
};

// A B acquire on a helper thread, handed over to the caller (or dropped once abandoned).
struct Attempt {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  bool abandoned = false;
  std::optional<Lease> lease;
  std::exception_ptr error;
};

// The threads that run B's acquires (cut_waiters). A helper stays for k_helper_keep after its last
// task, so a steady stream of B acquires reuses a few threads instead of starting one each (a start
// costs tens of microseconds). Helpers hold this object, not the strategy: when the strategy is
// gone they end once idle for k_helper_keep.
class Helpers : public std::enable_shared_from_this<Helpers> {
 public:
  static constexpr std::chrono::seconds k_helper_keep{5};

  // Runs `task` on a waiting helper, or on a new one. Throws std::system_error when no thread can
  // be started (the task is then not run).
  void run(std::function<void()> task) {
    std::unique_lock lock(mutex_);
    tasks_.push_back(std::move(task));
    // Each waiting helper takes a task before it may leave, so enough waiting helpers suffice.
    if (idle_ >= tasks_.size()) {
      cv_.notify_one();
      return;
    }
    try {
      std::thread([self = shared_from_this()] { self->loop(); }).detach();
    } catch (...) {
      tasks_.pop_back();
      throw;
    }
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (!tasks_.empty()) {
        std::function<void()> task = std::move(tasks_.front());
        tasks_.pop_front();
        lock.unlock();
        task();
        task = nullptr;  // what it holds (the strategy's state) is let go before waiting
        lock.lock();
        continue;
      }
      ++idle_;
      const bool got = cv_.wait_for(lock, k_helper_keep, [&] { return !tasks_.empty(); });
      --idle_;
      if (!got) return;
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::size_t idle_ = 0;  // helpers waiting for a task
};

}  // namespace

double rollout_point(std::string_view key) noexcept { return static_cast<double>(key_point(key)) / k_two_63; }

class RolloutStrategy::State : public std::enable_shared_from_this<RolloutStrategy::State> {
 public:
  State(std::shared_ptr<ConnectionStrategy> a, std::shared_ptr<ConnectionStrategy> b, RolloutOptions options)
      : arms_{std::move(a), std::move(b)},
        options_(std::move(options)),
        clock_(options_.clock != nullptr ? options_.clock : &steady_clock()),
        random_(options_.random_seed) {
    if (!arms_[0] || !arms_[1]) {
      throw Error(ErrorKind::usage, "RolloutStrategy '" + options_.name + "': arm " + (arms_[0] ? "B" : "A") +
                                        " is null; give two strategies");
    }
    // RolloutOptions::share is an option (Error(config), as the pool's are); set_share()'s argument
    // is a call's (Error(usage)).
    set_share(options_.share, ErrorKind::config);
  }

  const std::string& name() const noexcept { return options_.name; }
  const std::shared_ptr<ConnectionStrategy>& arm(std::size_t i) const noexcept { return arms_[i]; }

  void set_share(double percent, ErrorKind kind) {
    if (!config_detail::valid_percent(percent)) {
      throw Error(kind, "rollout '" + options_.name + "': share " + format_share(percent) +
                            " is out of range; give a percent from 0 to 100 (fractions allowed, e.g. 0.5)");
    }
    share_.store(percent, std::memory_order_relaxed);
    threshold_.store(threshold_of(percent), std::memory_order_relaxed);
  }

  double share() const noexcept { return share_.load(std::memory_order_relaxed); }

  double reload() {
    std::lock_guard lock(reload_mutex_);
    if (!options_.share_source) return share();
    std::optional<double> wanted;
    try {
      wanted = options_.share_source();
    } catch (const std::exception& e) {
      throw Error(ErrorKind::config, "rollout '" + options_.name + "': reading the share failed (" + e.what() +
                                         "); the share stays " + format_share(share()) + " %");
    }
    if (wanted) set_share(*wanted, ErrorKind::config);
    return share();
  }

  void kill() {
    if (killed_.exchange(true)) return;
    kill_epoch_.fetch_add(1);
    std::lock_guard lock(waiters_mutex_);
    for (Attempt* a : waiters_) {
      std::lock_guard attempt_lock(a->mutex);
      a->cv.notify_all();
    }
  }
  void revive() noexcept { killed_.store(false); }
  bool killed() const noexcept { return killed_.load(); }

  Lease acquire(std::uint64_t point, Deadline deadline) {
    if (killed_.load() || point >= threshold_.load(std::memory_order_relaxed)) return from_arm(0, deadline);
    if (!options_.cut_waiters) return from_arm(1, deadline);
    return from_b_cuttable(deadline);
  }

  std::uint64_t random_point() noexcept { return random_.next() >> 1; }

  void note_end(std::size_t arm, const LeaseOutcome& outcome) noexcept {
    ArmCounters& c = counters_[arm];
    if (outcome.failed()) c.failed.fetch_add(1, std::memory_order_relaxed);
    c.held_sum_ns.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(outcome.held).count(),
                            std::memory_order_relaxed);
    c.buckets[bucket_of(outcome.held)].fetch_add(1, std::memory_order_relaxed);
    c.ended.fetch_add(1, std::memory_order_relaxed);
  }

  std::vector<ArmStats> arm_stats() const {
    const double b_share = killed() ? 0.0 : share();
    std::vector<ArmStats> out;
    for (std::size_t i = 0; i < 2; ++i) {
      const ArmCounters& c = counters_[i];
      ArmStats s;
      s.arm = i == 0 ? "a" : "b";
      s.strategy = arms_[i]->name();
      s.share = i == 0 ? 100.0 - b_share : b_share;
      s.leases = c.leases.load(std::memory_order_relaxed);
      s.failed = c.failed.load(std::memory_order_relaxed);
      s.acquire_errors = c.acquire_errors.load(std::memory_order_relaxed);
      s.rerouted = c.rerouted.load(std::memory_order_relaxed);
      s.held_sum = std::chrono::nanoseconds(c.held_sum_ns.load(std::memory_order_relaxed));
      std::array<std::uint64_t, k_buckets> counts{};
      std::uint64_t total = 0;
      for (std::size_t k = 0; k < k_buckets; ++k) total += counts[k] = c.buckets[k].load(std::memory_order_relaxed);
      s.ended = total;
      const auto percentile = [&](double p) {
        if (total == 0) return Clock::duration::zero();
        const auto rank =
            std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total))));
        std::uint64_t seen = 0;
        for (std::size_t k = 0; k < k_buckets; ++k) {
          seen += counts[k];
          if (seen >= rank) return bucket_bound(k);
        }
        return bucket_bound(k_buckets - 1);
      };
      s.held_p50 = percentile(50);
      s.held_p90 = percentile(90);
      s.held_p99 = percentile(99);
      s.pool = arms_[i]->stats();
      out.push_back(std::move(s));
    }
    return out;
  }

 private:
  class Observer final : public LeaseObserver {
   public:
    Observer(std::shared_ptr<State> state, std::size_t arm) : state_(std::move(state)), arm_(arm) {}
    void on_lease_end(const LeaseOutcome& outcome) noexcept override { state_->note_end(arm_, outcome); }

   private:
    std::shared_ptr<State> state_;
    std::size_t arm_;
  };

  static std::string format_share(double percent) {
    std::string text = std::to_string(percent);
    while (text.size() > 1 && text.back() == '0') text.pop_back();
    if (!text.empty() && text.back() == '.') text.pop_back();
    return text;
  }

  Lease observed(std::size_t arm, Lease lease) {
    counters_[arm].leases.fetch_add(1, std::memory_order_relaxed);
    return observe_lease(std::move(lease), std::make_unique<Observer>(shared_from_this(), arm), *clock_);
  }

  Lease from_arm(std::size_t arm, Deadline deadline) {
    Lease lease;
    try {
      lease = arms_[arm]->acquire(deadline);
    } catch (...) {
      counters_[arm].acquire_errors.fetch_add(1, std::memory_order_relaxed);
      throw;
    }
    return observed(arm, std::move(lease));
  }

  // Registered in waiters_ for as long as it lives.
  class Registration {
   public:
    Registration(State& state, Attempt* attempt) : state_(state), attempt_(attempt) {
      std::lock_guard lock(state_.waiters_mutex_);
      state_.waiters_.insert(attempt_);
    }
    ~Registration() {
      std::lock_guard lock(state_.waiters_mutex_);
      state_.waiters_.erase(attempt_);
    }
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

   private:
    State& state_;
    Attempt* attempt_;
  };

  Lease rerouted(Deadline deadline) {
    counters_[1].rerouted.fetch_add(1, std::memory_order_relaxed);
    return from_arm(0, deadline);
  }

  Lease from_b_cuttable(Deadline deadline) {
    auto attempt = std::make_shared<Attempt>();
    const std::uint64_t epoch = kill_epoch_.load();
    {
      Registration registration(*this, attempt.get());
      // A kill() between the pick and the registration did not see this attempt.
      if (killed_.load()) return rerouted(deadline);
      try {
        helpers_->run([state = shared_from_this(), attempt, deadline] {
          std::optional<Lease> lease;
          std::exception_ptr error;
          try {
            lease.emplace(state->arms_[1]->acquire(deadline));
          } catch (...) {
            error = std::current_exception();
          }
          std::unique_lock lock(attempt->mutex);
          if (attempt->abandoned) {
            if (error) state->counters_[1].acquire_errors.fetch_add(1, std::memory_order_relaxed);
            lock.unlock();
            return;  // the lease (if any) ends here: its connection goes back to B
          }
          attempt->lease = std::move(lease);
          attempt->error = error;
          attempt->done = true;
          attempt->cv.notify_all();
        });
      } catch (const std::system_error&) {
        // No thread to wait on: B's acquire on this thread, which the kill switch cannot cut.
        return from_arm(1, deadline);
      }
      std::unique_lock lock(attempt->mutex);
      attempt->cv.wait(lock, [&] { return attempt->done || kill_epoch_.load() != epoch; });
      if (!attempt->done) {
        attempt->abandoned = true;
        lock.unlock();
        return rerouted(deadline);
      }
    }
    if (attempt->error) {
      counters_[1].acquire_errors.fetch_add(1, std::memory_order_relaxed);
      std::rethrow_exception(attempt->error);
    }
    return observed(1, std::move(*attempt->lease));
  }

  std::array<std::shared_ptr<ConnectionStrategy>, 2> arms_;
  RolloutOptions options_;
  const Clock* clock_;
  RandomSource random_;

  // What set_share() set: the percent (for reading back) and the threshold (for picking).
  std::atomic<double> share_{0};
  std::atomic<std::uint64_t> threshold_{0};
  std::mutex reload_mutex_;  // one share_source call at a time

  std::atomic<bool> killed_{false};
  std::atomic<std::uint64_t> kill_epoch_{0};
  std::mutex waiters_mutex_;
  std::unordered_set<Attempt*> waiters_;

  std::array<ArmCounters, 2> counters_{};
  std::shared_ptr<Helpers> helpers_ = std::make_shared<Helpers>();
};

RolloutStrategy::RolloutStrategy(std::shared_ptr<ConnectionStrategy> a, std::shared_ptr<ConnectionStrategy> b,
                                 RolloutOptions options)
    : state_(std::make_shared<State>(std::move(a), std::move(b), std::move(options))) {}

RolloutStrategy::~RolloutStrategy() = default;

Lease RolloutStrategy::acquire(Deadline deadline) { return state_->acquire(state_->random_point(), deadline); }

Lease RolloutStrategy::acquire_for(std::string_view key, Deadline deadline) {
  return state_->acquire(key.empty() ? state_->random_point() : key_point(key), deadline);
}

const std::string& RolloutStrategy::name() const noexcept { return state_->name(); }

StrategyStats RolloutStrategy::stats() const {
  StrategyStats total = state_->arm(0)->stats();
  total += state_->arm(1)->stats();
  return total;
}

MaintenanceReport RolloutStrategy::maintain() {
  MaintenanceReport total = state_->arm(0)->maintain();
  total += state_->arm(1)->maintain();
  return total;
}

std::vector<HostStats> RolloutStrategy::host_stats() const {
  std::vector<HostStats> hosts = state_->arm(0)->host_stats();
  std::vector<HostStats> b = state_->arm(1)->host_stats();
  hosts.insert(hosts.end(), std::make_move_iterator(b.begin()), std::make_move_iterator(b.end()));
  return hosts;
}

std::vector<CircuitBreaker*> RolloutStrategy::host_breakers() {
  std::vector<CircuitBreaker*> breakers = state_->arm(0)->host_breakers();
  std::vector<CircuitBreaker*> b = state_->arm(1)->host_breakers();
  breakers.insert(breakers.end(), b.begin(), b.end());
  return breakers;
}

std::vector<HostCheck> RolloutStrategy::check_hosts(const HostCheckOptions& options) {
  std::vector<HostCheck> checks = state_->arm(0)->check_hosts(options);
  std::vector<HostCheck> b = state_->arm(1)->check_hosts(options);
  checks.insert(checks.end(), std::make_move_iterator(b.begin()), std::make_move_iterator(b.end()));
  return checks;
}

std::vector<ArmStats> RolloutStrategy::arm_stats() const { return state_->arm_stats(); }

void RolloutStrategy::set_share(double percent) { state_->set_share(percent, ErrorKind::usage); }
double RolloutStrategy::share() const noexcept { return state_->share(); }
double RolloutStrategy::reload() { return state_->reload(); }
void RolloutStrategy::kill() { state_->kill(); }
void RolloutStrategy::revive() { state_->revive(); }
bool RolloutStrategy::killed() const noexcept { return state_->killed(); }
const std::shared_ptr<ConnectionStrategy>& RolloutStrategy::arm_a() const noexcept { return state_->arm(0); }
const std::shared_ptr<ConnectionStrategy>& RolloutStrategy::arm_b() const noexcept { return state_->arm(1); }

}  // namespace chconn
