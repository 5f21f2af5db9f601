// PooledStrategy. One mutex guards all pool state; nothing slow (connect, ping, close, logging)
// ever runs while it is held.
//
// State and invariants (all under mutex_):
//   entries_     every open connection the pool knows: idle, leased, or being validated
//   idle_        idle entries, ordered by last_used (oldest first): returns push at the back,
//                acquires pop from the back (LIFO), idle reaping takes from the front
//   in_use_      entries lent out (including ones a caller is validating)
//   connecting_  slots reserved for connections being opened (by a caller, or by maintain())
//   closing_     slots of dropped connections still being closed (outside the lock): a slot is
//                freed only once its connection is really closed, so the bound holds for real
//                sockets too, not just in the books
//   idle_.size() + in_use_ + connecting_ + closing_ <= max_size            (the bound)
//   waiters non-empty  =>  idle_ is empty and there is no free slot        (no barging)
// The second invariant holds because every event that makes a connection or a slot available
// hands it straight to the oldest waiter when there is one: a returned connection goes to the
// waiter (leased on its behalf), a freed slot becomes the waiter's permission to connect.
//
// Lifetime: leases are Lease::borrowed (no reference count on the hot path). The Core is owned by
// its PooledStrategy; when that is destroyed with connections still lent out, shutdown() makes the
// Core own itself (keep_alive_) until the last of them comes back.
#include "chconn/strategy/pooled.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "strategy/coarse_clock.h"
#include "strategy/format.h"

namespace chconn {

namespace {

using time_point = Clock::time_point;
using duration = Clock::duration;

struct Entry {
  std::unique_ptr<Connection> connection;  // null while lent out
  std::string peer;                        // connection->peer(), cached for use under the lock
  std::uint64_t id = 0;
  time_point created{};
  time_point expires{};    // created + jittered max_lifetime
  time_point last_used{};  // when it was last returned (or opened)
  time_point leased_at{};
  bool leased = false;
  bool leak_reported = false;
  std::size_t index = 0;  // position in entries_
};

// A caller queued for a connection. Lives on that caller's stack; it is linked into the queue
// only while the caller waits, and whoever unlinks it (a giver, a timeout, shutdown) does so under
// the mutex and notifies it while still holding the mutex (after which the waiter may return and
// destroy it).
struct Waiter {
  std::condition_variable cv;
  Entry* entry = nullptr;  // a connection handed over, already counted in in_use_
  bool slot = false;       // permission to open a connection, already counted in connecting_
  bool cancelled = false;  // the pool shut down
  // Set with the three above (under the mutex), for the waiter's spin before it sleeps, which
  // reads it without the mutex; the fields themselves are read under the mutex only.
  std::atomic<bool> ready{false};
  Waiter* prev = nullptr;
  Waiter* next = nullptr;
};

Deadline after(time_point now, duration timeout) noexcept {
  if (timeout <= duration::zero()) return Deadline::at(now);
  if (timeout >= time_point::max() - now) return Deadline::never();
  return Deadline::at(now + timeout);
}

void close_each(std::vector<std::unique_ptr<Connection>>& doomed) noexcept {
  for (auto& c : doomed) {
    if (c) c->close();
  }
  doomed.clear();
}

// Closes (and frees) the connections in `doomed`. Inline, because on the hot path there are none.
inline void close_all(std::vector<std::unique_ptr<Connection>>& doomed) noexcept {
  if (!doomed.empty()) close_each(doomed);
}

}  // namespace

class PooledStrategy::Core final : public LeaseOwner {
 public:
  Core(std::shared_ptr<Connector> connector, PooledOptions options)
      : options_(std::move(options)),
        connector_(std::move(connector)),
        clock_(options_.clock ? options_.clock : &detail::coarse_steady_clock()),
        rng_(options_.jitter_seed != 0 ? options_.jitter_seed : std::random_device{}()) {
    const PoolOptions& p = options_.pool;
    if (!connector_) throw Error(ErrorKind::usage, "PooledStrategy needs a connector (got null)");
    if (p.max_size == 0) throw Error(ErrorKind::usage, "pool '" + options_.name + "': max_size must be at least 1");
    if (p.min_idle > p.max_size) {
      throw Error(ErrorKind::usage, "pool '" + options_.name + "': min_idle (" + std::to_string(p.min_idle) +
                                        ") is larger than max_size (" + std::to_string(p.max_size) + ")");
    }
    if (!(p.lifetime_jitter >= 0.0 && p.lifetime_jitter <= 0.5)) {
      throw Error(ErrorKind::usage, "pool '" + options_.name + "': lifetime_jitter must be within 0..0.5");
    }
    if (options_.acquire_timeout <= duration::zero()) {
      throw Error(ErrorKind::usage, "pool '" + options_.name + "': acquire_timeout must be positive");
    }
    if (p.max_lifetime <= duration::zero() || p.idle_timeout <= duration::zero()) {
      throw Error(ErrorKind::usage, "pool '" + options_.name + "': max_lifetime and idle_timeout must be positive");
    }
    if (options_.wait_slice <= duration::zero()) options_.wait_slice = std::chrono::milliseconds(1);
    target_ = connector_->describe();
    if (options_.maintenance_interval > duration::zero()) {
      next_maintenance_.store((clock_->now() + options_.maintenance_interval).time_since_epoch().count(),
                              std::memory_order_relaxed);
    }
  }

  ~Core() override {
    // Only reached once the strategy and every lease are gone: nothing is lent out any more.
    std::vector<std::unique_ptr<Connection>> doomed;
    for (auto& e : entries_) doomed.push_back(std::move(e->connection));
    close_all(doomed);
  }

  const PooledOptions& options() const noexcept { return options_; }

  Lease acquire(Deadline caller_deadline) {
    time_point now = clock_->now();
    const Deadline deadline = caller_deadline.earliest(after(now, options_.acquire_timeout));
    maybe_maintain(now);

    std::vector<std::unique_ptr<Connection>> doomed;  // closed outside the lock
    // The caller's claim: an entry (counted in in_use_), or when null a slot (counted in
    // connecting_) to open a new connection with.
    Entry* entry = nullptr;
    std::unique_lock lock(mutex_);
    if (shut_down_) throw shut_down_error();
    if (waiters_head_ == nullptr && !idle_.empty()) {
      entry = take_idle();
    } else if (waiters_head_ == nullptr && total() < options_.pool.max_size) {
      ++connecting_;
    } else {
      entry = wait_in_line(lock, deadline);
      now = clock_->now();
    }

    for (;;) {
      // Past its lifetime: never lent again. (Idle too long is no reason to refuse one here:
      // validation checks it, and reaping is maintain()'s job, which keeps min_idle warm.)
      while (entry != nullptr && now >= entry->expires) {
        doomed.push_back(remove_entry(entry));
        --in_use_;
        ++closed_;
        entry = claim_after_drop();
      }
      if (entry == nullptr) break;

      entry->leased_at = now;
      entry->leak_reported = false;
      if (now - entry->last_used < options_.pool.validate_after_idle) {
        ++acquired_;
        lock.unlock();
        close_all(doomed);
        return Lease::borrowed(*this, std::move(entry->connection), entry);
      }

      // Validate outside the lock. The entry is ours (leased), so nobody else touches it.
      lock.unlock();
      close_all(doomed);
      const Validation outcome = validate(*entry, deadline);
      if (outcome == Validation::ok) {
        lock.lock();
        ++acquired_;
        lock.unlock();
        return Lease::borrowed(*this, std::move(entry->connection), entry);
      }
      lock.lock();
      // A ping the peer failed (reset, closed, silent) says the same of the other idle
      // connections to it, opened before the same restart or outage: retire them rather than
      // ping each in turn (against a silent peer, each ping would cost validate_timeout).
      std::vector<std::unique_ptr<Connection>> siblings;
      const std::size_t retired = outcome == Validation::peer_failed ? retire_idle_to(entry->peer, siblings) : 0;
      closing_ += retired;
      doomed.push_back(remove_entry(entry));
      --in_use_;
      ++closed_;
      ++validation_failures_;
      entry = claim_after_drop();
      if (retired > 0) {
        // Their slots are freed once they are really closed, as in give_back().
        lock.unlock();
        close_all(siblings);
        lock.lock();
        closing_ -= retired;
        if (!shut_down_) free_slots(retired);
      }
      now = clock_->now();
    }

    // The claim is a slot: open a new connection, outside the lock.
    lock.unlock();
    close_all(doomed);
    return connect_new(deadline);
  }

  void give_back(std::unique_ptr<Connection> connection, void* token, LeaseEnd end) noexcept override {
    // Declared first, destroyed last: when it holds the Core's last reference, nothing of the
    // Core may be touched after it goes.
    std::shared_ptr<Core> last_reference;
    auto* entry = static_cast<Entry*>(token);
    const time_point now = clock_->now();
    std::vector<std::unique_ptr<Connection>> doomed;
    std::size_t closing = 0;
    {
      std::lock_guard lock(mutex_);
      --in_use_;
      entry->leased = false;
      if (shut_down_) {
        remove_entry(entry);
        doomed.push_back(std::move(connection));
        ++closed_;
        last_reference = drop_keep_alive_if_done();
      } else if (end.broken || now >= entry->expires) {
        doomed.push_back(std::move(connection));
        // The entry is lent, not idle, so retiring the peer's idle ones leaves it alone.
        if (end.peer_failed) closing += retire_idle_to(entry->peer, doomed);
        remove_entry(entry);
        ++closed_;
        closing += 1;
        closing_ += closing;
      } else {
        entry->connection = std::move(connection);
        entry->last_used = now;
        if (Waiter* w = pop_waiter()) {
          entry->leased = true;
          ++in_use_;
          w->entry = entry;
          wake(w);
        } else {
          idle_.push_back(entry);
        }
      }
    }
    close_all(doomed);
    if (closing > 0) {
      // Closed for real now: the slots may be reused.
      std::lock_guard lock(mutex_);
      closing_ -= closing;
      if (shut_down_)
        last_reference = drop_keep_alive_if_done();
      else
        free_slots(closing);
    }
  }

  StrategyStats stats() const {
    std::lock_guard lock(mutex_);
    StrategyStats s;
    s.idle = idle_.size();
    s.in_use = in_use_;
    s.open = s.idle + s.in_use;
    s.connecting = connecting_;
    s.waiting = waiter_count_;
    s.acquired = acquired_;
    s.created = created_;
    s.closed = closed_;
    s.connect_failures = connect_failures_;
    s.validation_failures = validation_failures_;
    s.acquire_timeouts = acquire_timeouts_;
    s.leaks_reported = leaks_reported_;
    s.total_wait = total_wait_;
    s.max_wait = max_wait_;
    return s;
  }

  MaintenanceReport maintain(bool refill) {
    std::shared_ptr<Core> last_reference;  // destroyed last; see give_back()
    MaintenanceReport report;
    const time_point now = clock_->now();
    std::vector<std::unique_ptr<Connection>> doomed;
    std::vector<std::string> leaks;
    std::size_t to_open = 0;
    std::size_t freed = 0;
    {
      std::lock_guard lock(mutex_);
      if (shut_down_) return report;
      // Lifetime applies to every idle connection, whatever min_idle says; the refill below
      // replaces them.
      for (std::size_t i = 0; i < idle_.size();) {
        if (now >= idle_[i]->expires) {
          doomed.push_back(remove_entry(idle_[i]));
          idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
          ++report.closed_expired;
          ++freed;
        } else {
          ++i;
        }
      }
      // idle_ is oldest-first, so the ones idle too long are a prefix; min_idle of them stay.
      std::size_t reap = 0;
      while (reap < idle_.size() && idle_.size() - reap > options_.pool.min_idle &&
             now - idle_[reap]->last_used >= options_.pool.idle_timeout) {
        doomed.push_back(remove_entry(idle_[reap]));
        ++reap;
      }
      idle_.erase(idle_.begin(), idle_.begin() + static_cast<std::ptrdiff_t>(reap));
      report.closed_idle = reap;
      freed += reap;
      closed_ += freed;
      closing_ += freed;  // their slots are freed once they are really closed, below

      if (options_.pool.leak_threshold > duration::zero()) {
        for (auto& e : entries_) {
          if (e->leased && !e->leak_reported && now - e->leased_at >= options_.pool.leak_threshold) {
            e->leak_reported = true;
            ++leaks_reported_;
            leaks.push_back("pool '" + options_.name + "': a lease of connection #" + std::to_string(e->id) + " to " +
                            e->peer + " has been held for " + detail::format_duration(now - e->leased_at) +
                            " (leak_threshold " + detail::format_duration(options_.pool.leak_threshold) +
                            "); is a Lease being kept alive by mistake?");
          }
        }
        report.leaks_reported = leaks.size();
      }
    }
    close_all(doomed);
    for (const auto& message : leaks) log(options_.logger.get(), LogLevel::warning, message);

    {
      std::lock_guard lock(mutex_);
      closing_ -= freed;
      if (shut_down_) {
        last_reference = drop_keep_alive_if_done();
        return report;
      }
      free_slots(freed);
      if (refill && waiters_head_ == nullptr) {
        const std::size_t have = idle_.size() + refilling_;
        const std::size_t room = options_.pool.max_size - total();
        if (have < options_.pool.min_idle) to_open = std::min(options_.pool.min_idle - have, room);
        connecting_ += to_open;
        refilling_ += to_open;
      }
      // Let every waiter re-read the clock now (a test's ManualClock may have moved).
      for (Waiter* w = waiters_head_; w != nullptr; w = w->next) w->cv.notify_one();
    }

    for (std::size_t i = 0; i < to_open; ++i) {
      if (refill_one(report)) continue;
      // The server is probably unreachable: hand back the slots not tried rather than failing each.
      std::lock_guard lock(mutex_);
      const std::size_t rest = to_open - i - 1;
      connecting_ -= rest;
      refilling_ -= rest;
      free_slots(rest);
      break;
    }
    return report;
  }

  // `self` is the strategy's reference to this Core, about to be dropped.
  void shutdown(const std::shared_ptr<Core>& self) noexcept {
    std::vector<std::unique_ptr<Connection>> doomed;
    {
      std::lock_guard lock(mutex_);
      shut_down_ = true;
      // Connections still lent out (or being closed by a give_back running right now) will come
      // back here: until they have, the Core owns itself.
      if (in_use_ > 0 || closing_ > 0) keep_alive_ = self;
      for (Entry* e : idle_) {
        doomed.push_back(remove_entry(e));
        ++closed_;
      }
      idle_.clear();
      while (Waiter* w = pop_waiter()) {
        w->cancelled = true;
        wake(w);
      }
    }
    close_all(doomed);
  }

 private:
  // After shutdown, once nothing is lent out or being closed: the reference that kept the Core
  // alive. The caller destroys it after unlocking, as its very last use of the Core.
  std::shared_ptr<Core> drop_keep_alive_if_done() noexcept {
    if (shut_down_ && in_use_ == 0 && closing_ == 0) return std::move(keep_alive_);
    return nullptr;
  }

  std::size_t total() const noexcept { return idle_.size() + in_use_ + connecting_ + closing_; }

  Entry* take_idle() noexcept {
    Entry* e = idle_.back();
    idle_.pop_back();
    e->leased = true;
    ++in_use_;
    return e;
  }

  // After the caller's claimed entry was dropped (its slot is free again): a new claim for the same
  // caller, without queueing again. An idle connection if there is one (then nobody is waiting,
  // by the invariant), else the freed slot, kept to open a new connection.
  Entry* claim_after_drop() noexcept {
    if (!idle_.empty()) return take_idle();
    ++connecting_;
    return nullptr;
  }

  // Unlinks `e` from entries_ and frees it; returns its connection (null if lent out).
  std::unique_ptr<Connection> remove_entry(Entry* e) noexcept {
    std::unique_ptr<Connection> c = std::move(e->connection);
    const std::size_t i = e->index;
    if (i + 1 != entries_.size()) {
      std::swap(entries_[i], entries_.back());
      entries_[i]->index = i;
    }
    entries_.pop_back();  // destroys *e
    return c;
  }

  // Retires every idle connection to `peer`; returns how many.
  std::size_t retire_idle_to(const std::string& peer, std::vector<std::unique_ptr<Connection>>& doomed) {
    std::size_t n = 0;
    auto keep = std::remove_if(idle_.begin(), idle_.end(), [&](Entry* e) {
      if (e->peer != peer) return false;
      doomed.push_back(remove_entry(e));
      ++n;
      return true;
    });
    idle_.erase(keep, idle_.end());
    closed_ += n;
    return n;
  }

  // `n` slots just became free: each goes to the oldest waiter, as permission to connect.
  void free_slots(std::size_t n) noexcept {
    for (; n > 0; --n) {
      Waiter* w = pop_waiter();
      if (w == nullptr) return;
      ++connecting_;
      w->slot = true;
      wake(w);
    }
  }

  // Tells a waiter its entry, slot or cancellation is set. Under the mutex, which the waiter needs
  // before it can return and destroy the Waiter.
  static void wake(Waiter* w) noexcept {
    w->ready.store(true, std::memory_order_release);
    w->cv.notify_one();
  }

  void push_waiter(Waiter* w) noexcept {
    w->prev = waiters_tail_;
    w->next = nullptr;
    if (waiters_tail_ != nullptr)
      waiters_tail_->next = w;
    else
      waiters_head_ = w;
    waiters_tail_ = w;
    ++waiter_count_;
  }

  Waiter* pop_waiter() noexcept {
    Waiter* w = waiters_head_;
    if (w != nullptr) unlink_waiter(w);
    return w;
  }

  void unlink_waiter(Waiter* w) noexcept {
    if (w->prev != nullptr)
      w->prev->next = w->next;
    else
      waiters_head_ = w->next;
    if (w->next != nullptr)
      w->next->prev = w->prev;
    else
      waiters_tail_ = w->prev;
    w->prev = w->next = nullptr;
    --waiter_count_;
  }

  // Queues the caller until it is handed a connection (returned) or a slot (null returned), in
  // FIFO order; throws when the deadline passes (pool_exhausted) or the pool shuts down (cancelled).
  Entry* wait_in_line(std::unique_lock<std::mutex>& lock, Deadline deadline) {
    Waiter w;
    push_waiter(&w);
    const time_point start = clock_->now();
    // A short spin before sleeping: when the holder gives its connection back within microseconds
    // (a burst of tiny queries on a small pool), the hand-off then costs no sleep and wake-up of
    // this thread. Bounded in real time; the lock is not held while spinning.
    lock.unlock();
    spin_until_ready(w);
    lock.lock();
    for (;;) {
      if (w.entry != nullptr || w.slot || w.cancelled) break;
      const duration left = deadline.remaining(*clock_);
      if (left <= duration::zero()) {
        unlink_waiter(&w);
        ++acquire_timeouts_;
        const duration waited = clock_->now() - start;
        note_wait(waited);
        throw exhausted_error(waited);
      }
      // Real-time slices: the Clock may be a ManualClock that only moves when a test says so.
      w.cv.wait_for(lock, std::min<duration>(left, options_.wait_slice));
    }
    note_wait(clock_->now() - start);
    if (w.cancelled) throw shut_down_error();
    return w.entry;
  }

  static void spin_until_ready(const Waiter& w) noexcept {
    constexpr auto k_spin = std::chrono::microseconds(20);
    const auto until = std::chrono::steady_clock::now() + k_spin;
    for (;;) {
      for (int i = 0; i < 64; ++i) {
        if (w.ready.load(std::memory_order_acquire)) return;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      }
      if (std::chrono::steady_clock::now() >= until) return;
    }
  }

  void note_wait(duration waited) noexcept {
    if (waited < duration::zero()) waited = duration::zero();
    total_wait_ += waited;
    max_wait_ = std::max(max_wait_, waited);
  }

  Error exhausted_error(duration waited) const {
    return Error(ErrorKind::pool_exhausted,
                 "pool '" + options_.name + "' (" + target_ + ") has no free connection after waiting " +
                     detail::format_duration(waited) + ": " + std::to_string(in_use_) + " of max_size " +
                     std::to_string(options_.pool.max_size) + " in use, " + std::to_string(connecting_) +
                     " being opened, " + std::to_string(waiter_count_) +
                     " other callers waiting. Release leases sooner, raise pool max_size (pool_max), or retry "
                     "later");
  }

  Error shut_down_error() const {
    return Error(ErrorKind::cancelled, "pool '" + options_.name + "' was shut down while acquiring a connection");
  }

  enum class Validation { ok, failed, peer_failed };

  // Pings an idle connection before it is lent. peer_failed: the error blames the server or the
  // network (classify(): a host failure), or the connection became unusable.
  Validation validate(Entry& entry, Deadline deadline) noexcept {
    const auto dropped = [&](const char* what) {
      log(options_.logger.get(), LogLevel::debug,
          "pool '" + options_.name + "': validation ping of connection #" + std::to_string(entry.id) + " to " +
              entry.peer + " failed, dropping it: " + what);
    };
    try {
      const time_point now = clock_->now();
      entry.connection->ping(deadline.earliest(after(now, options_.validate_timeout)));
      return entry.connection->usable() ? Validation::ok : Validation::peer_failed;
    } catch (const Error& e) {
      dropped(e.what());
      return classify(e).host_failure || !entry.connection->usable() ? Validation::peer_failed : Validation::failed;
    } catch (const std::exception& e) {
      dropped(e.what());
      return Validation::failed;
    } catch (...) {
      return Validation::failed;
    }
  }

  // A new entry for `connection`, opened at `now`. Under the lock (the jitter generator is shared).
  Entry* add_entry(std::unique_ptr<Entry> e, time_point now) {
    e->id = ++next_id_;
    e->created = now;
    e->last_used = now;
    const double jitter = options_.pool.lifetime_jitter;
    double factor = 1.0;
    if (jitter > 0.0) factor += std::uniform_real_distribution<double>(-jitter, jitter)(rng_);
    const auto lifetime = std::chrono::duration_cast<duration>(std::chrono::duration<double, std::nano>(
        static_cast<double>(duration(options_.pool.max_lifetime).count()) * factor));
    e->expires = lifetime >= time_point::max() - now ? time_point::max() : now + lifetime;
    e->index = entries_.size();
    entries_.push_back(std::move(e));
    ++created_;
    return entries_.back().get();
  }

  Lease connect_new(Deadline deadline) {
    std::unique_ptr<Connection> connection;
    try {
      connection = connector_->connect(deadline);
      if (!connection) throw Error(ErrorKind::usage, "connector '" + target_ + "' returned no connection");
    } catch (...) {
      std::lock_guard lock(mutex_);
      --connecting_;
      ++connect_failures_;
      free_slots(1);
      throw;
    }
    auto fresh = std::make_unique<Entry>();
    fresh->peer = connection->peer();
    const time_point now = clock_->now();
    std::unique_lock lock(mutex_);
    --connecting_;
    if (shut_down_) {
      // Only when the strategy was destroyed while this call was running: nothing may be lent.
      lock.unlock();
      connection->close();
      throw shut_down_error();
    }
    ++in_use_;
    ++acquired_;
    Entry* e = add_entry(std::move(fresh), now);
    e->leased = true;
    e->leased_at = now;
    return Lease::borrowed(*this, std::move(connection), e);
  }

  // Opens one connection for min_idle. True on success.
  bool refill_one(MaintenanceReport& report) {
    std::unique_ptr<Connection> connection;
    try {
      connection = connector_->connect(after(clock_->now(), options_.acquire_timeout));
      if (!connection) throw Error(ErrorKind::usage, "connector '" + target_ + "' returned no connection");
    } catch (const std::exception& ex) {
      {
        std::lock_guard lock(mutex_);
        --connecting_;
        --refilling_;
        ++connect_failures_;
        free_slots(1);
      }
      ++report.connect_failures;
      log(options_.logger.get(), LogLevel::warning,
          "pool '" + options_.name + "': could not open a connection to keep min_idle: " + std::string(ex.what()));
      return false;
    }
    auto fresh = std::make_unique<Entry>();
    fresh->peer = connection->peer();
    const time_point now = clock_->now();
    std::unique_ptr<Connection> doomed;
    {
      std::lock_guard lock(mutex_);
      --connecting_;
      --refilling_;
      if (shut_down_) {
        doomed = std::move(connection);
      } else {
        Entry* e = add_entry(std::move(fresh), now);
        e->connection = std::move(connection);
        ++report.created;
        if (Waiter* w = pop_waiter()) {
          e->leased = true;
          ++in_use_;
          w->entry = e;
          wake(w);
        } else {
          idle_.push_back(e);
        }
      }
    }
    if (doomed) doomed->close();
    return true;
  }

  // acquire() runs the reaping part of maintain() when maintenance_interval has passed. One caller
  // wins the compare-exchange and does it; the others go on.
  void maybe_maintain(time_point now) {
    if (options_.maintenance_interval <= duration::zero()) return;
    auto due = next_maintenance_.load(std::memory_order_relaxed);
    if (now.time_since_epoch().count() < due) return;
    const auto next = (now + options_.maintenance_interval).time_since_epoch().count();
    if (next_maintenance_.compare_exchange_strong(due, next, std::memory_order_relaxed)) maintain(false);
  }

  PooledOptions options_;
  const std::shared_ptr<Connector> connector_;
  const Clock* const clock_;
  std::string target_;
  std::atomic<duration::rep> next_maintenance_{0};

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<Entry*> idle_;
  std::size_t in_use_ = 0;
  std::size_t connecting_ = 0;
  std::size_t closing_ = 0;
  std::size_t refilling_ = 0;  // the part of connecting_ opened by maintain() for min_idle
  Waiter* waiters_head_ = nullptr;
  Waiter* waiters_tail_ = nullptr;
  std::size_t waiter_count_ = 0;
  bool shut_down_ = false;
  std::shared_ptr<Core> keep_alive_;  // set by shutdown() while connections are lent out
  std::mt19937_64 rng_;
  std::uint64_t next_id_ = 0;
  std::uint64_t acquired_ = 0;
  std::uint64_t created_ = 0;
  std::uint64_t closed_ = 0;
  std::uint64_t connect_failures_ = 0;
  std::uint64_t validation_failures_ = 0;
  std::uint64_t acquire_timeouts_ = 0;
  std::uint64_t leaks_reported_ = 0;
  duration total_wait_{0};
  duration max_wait_{0};
};

namespace {
PooledOptions options_of(const PoolOptions& pool, const Timeouts& timeouts) {
  PooledOptions o;
  o.pool = pool;
  o.acquire_timeout = timeouts.pool_acquire;
  o.validate_timeout = std::min(timeouts.connect, timeouts.receive);
  return o;
}
PooledOptions on_clock(PooledOptions o, const Clock& clock) {
  o.clock = &clock;
  return o;
}
}  // namespace

PooledOptions pooled_options(const Config& config) {
  PooledOptions o = options_of(config.pool, config.timeouts);
  o.logger = config.logger;
  return o;
}

PooledStrategy::PooledStrategy(std::shared_ptr<Connector> connector, PooledOptions options)
    : core_(std::make_shared<Core>(std::move(connector), std::move(options))) {}

PooledStrategy::PooledStrategy(std::shared_ptr<Connector> connector, const Config& config)
    : PooledStrategy(std::move(connector), pooled_options(config)) {}

PooledStrategy::PooledStrategy(std::shared_ptr<Connector> connector, const Config& config, const Clock& clock)
    : PooledStrategy(std::move(connector), on_clock(pooled_options(config), clock)) {}

PooledStrategy::PooledStrategy(std::shared_ptr<Connector> connector, const PoolOptions& pool, const Timeouts& timeouts)
    : PooledStrategy(std::move(connector), options_of(pool, timeouts)) {}

PooledStrategy::PooledStrategy(std::shared_ptr<Connector> connector, const PoolOptions& pool, const Timeouts& timeouts,
                               const Clock& clock)
    : PooledStrategy(std::move(connector), on_clock(options_of(pool, timeouts), clock)) {}

PooledStrategy::~PooledStrategy() { core_->shutdown(core_); }

Lease PooledStrategy::acquire(Deadline deadline) { return core_->acquire(deadline); }

const std::string& PooledStrategy::name() const noexcept { return core_->options().name; }

StrategyStats PooledStrategy::stats() const { return core_->stats(); }

MaintenanceReport PooledStrategy::maintain() { return core_->maintain(true); }

const PooledOptions& PooledStrategy::options() const noexcept { return core_->options(); }

}  // namespace chconn
