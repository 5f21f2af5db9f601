// PooledStrategy::Core: the pool behind PooledStrategy (internal to src/strategy). Its hot path
// (acquire, give-back, parking) is defined here, inline; the slow path of acquire (waiting in line,
// validating, connecting) is in pooled.cpp and the books kept in the background (stats, maintain,
// refill, shutdown) in pool_maintenance.cpp.
//
// PooledStrategy. One mutex guards the pool's books; nothing slow (connect, ping, close, logging)
// ever runs while it is held. A thread that returns a connection while nobody waits parks it in a
// thread-local slot and takes it back without the lock (see "Parking" below).
//
// State and invariants (all under mutex_):
//   entries_     every open connection the pool knows: idle, parked, leased, or being validated
//   idle_        idle entries, ordered by last_used (oldest first): returns go in by last_used,
//                acquires pop from the back (LIFO), idle reaping takes from the front
//   in_use_      entries lent out (including ones a caller is validating, and parked ones, which
//                stats() reports as idle)
//   connecting_  slots reserved for connections being opened (by a caller, or by maintain())
//   closing_     slots of dropped connections still being closed (outside the lock): a slot is
//                freed only once its connection is really closed, so the bound holds for real
//                sockets too, not just in the books
//   idle_.size() + in_use_ + connecting_ + closing_ <= max_size            (the bound)
//   waiters non-empty  =>  idle_ is empty, there is no free slot, and nothing is parked
//                                                                           (no barging)
// The second invariant holds because every event that makes a connection or a slot available
// hands it straight to the oldest waiter when there is one: a returned connection goes to the
// waiter (leased on its behalf), a freed slot becomes the waiter's permission to connect.
//
// Lifetime: leases are Lease::borrowed (no reference count on the hot path). The Core is owned by
// its PooledStrategy; when that is destroyed with connections still lent out, shutdown() makes the
// Core own itself (keep_alive_) until the last of them comes back.
#pragma once

#include "chconn/strategy/pooled.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "strategy/coarse_clock.h"
#include "strategy/host_checks.h"
#include "strategy/pool_rules.h"

namespace chconn {

class PooledStrategy::Core final : public LeaseOwner {
  using time_point = Clock::time_point;
  using duration = Clock::duration;

  // leased_since while the entry is not lent out.
  static constexpr duration::rep k_not_leased = std::numeric_limits<duration::rep>::max();

  // One open connection. Its holder — the caller it is lent to, or the pool's lock while it is idle —
  // owns `connection` and `last_used`: a caller reads and writes them without the lock, so acquire()
  // and give_back() touch the entry (whose cache line the previous holder, maybe on another core,
  // wrote last) outside their critical sections. The leak scan in maintain() reads `leased_since` and
  // `leak_reported` of lent entries, hence atomics.
  struct Entry {
    std::unique_ptr<Connection> connection;  // null while lent out
    std::string peer;                        // connection->peer(), cached for use under the lock
    std::uint64_t id = 0;
    time_point created{};
    time_point expires{};    // created + jittered max_lifetime
    time_point last_used{};  // when it was last returned (or opened)
    // When the current lease began (clock ticks), or k_not_leased: idle, or handed over to a waiter
    // that has not taken it yet.
    std::atomic<duration::rep> leased_since{k_not_leased};
    std::atomic<bool> leak_reported{false};
    // k_parked: returned by a thread into its own thread-local slot rather than into idle_ (see
    // "Parking" below); whoever flips it to k_unparked owns the entry. k_parking: its holder is
    // parking it right now, and it is still the holder's.
    std::atomic<std::uint8_t> parked{0};
    // Leases this entry gave on the parking fast path (written by its holder only), added to the
    // pool's count by stats() and when the entry is removed.
    std::atomic<std::uint64_t> fast_acquired{0};
    std::size_t index = 0;  // position in entries_ (under the lock)
  };

  static constexpr std::uint8_t k_unparked = 0;
  static constexpr std::uint8_t k_parking = 1;
  static constexpr std::uint8_t k_parked = 2;

  // Parking. A thread that gives a connection back while nobody waits may keep it in a thread-local
  // slot, still counted as lent in the pool's books, and take it again on its next acquire() with
  // one compare-exchange on the entry: no lock, no shared cache line, so threads that each use one
  // connection at a time do not contend at all. A parked connection is idle for everyone else: a
  // caller that would otherwise wait takes it (steal_parked()), maintain() returns every parked
  // one to idle_ (where lifetime and idle reaping apply), shutdown() closes them, and a peer failure
  // retires them with the idle ones. Races between parking and a new waiter (or shutdown) are
  // settled Dekker-style: the parker stores k_parking, then reads `waiting_`/`stopping_` and backs
  // out if either is set, else publishes k_parked as its very last touch of the pool; the other side
  // stores those flags, then scans, and waits out an entry it finds k_parking (a few instructions).
  // With sequentially consistent order one of the two sees the other. Until the parker has
  // published k_parked the entry is still counted as its lease, so shutdown() cannot finish and the
  // pool cannot be freed under it.
  //
  // Entries are never freed while their pool lives (removed ones wait in spare_entries_ for reuse),
  // so a slot left behind by a thread can always be checked safely: it names the pool by address
  // and serial number, and is used only by that same, living pool.
  struct ParkingSlot {
    const void* core = nullptr;
    std::uint64_t serial = 0;
    Entry* entry = nullptr;
  };
  static thread_local ParkingSlot t_parking;        // defined after the class
  static std::atomic<std::uint64_t> g_core_serial;  // likewise

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

  static void close_each(std::vector<std::unique_ptr<Connection>>& doomed) noexcept {
    for (auto& c : doomed) {
      if (c) c->close();
    }
    doomed.clear();
  }

  // Closes (and frees) the connections in `doomed`. Inline, because on the hot path there are none.
  static void close_all(std::vector<std::unique_ptr<Connection>>& doomed) noexcept {
    if (!doomed.empty()) close_each(doomed);
  }

 public:
  Core(std::shared_ptr<Connector> connector, PooledOptions options)
      : options_(std::move(options)),
        connector_(std::move(connector)),
        clock_(options_.clock ? options_.clock : &detail::coarse_steady_clock()),
        checks_(connector_ ? connector_->host_connectors() : std::vector<std::shared_ptr<Connector>>{}, *clock_),
        rng_(options_.jitter_seed != 0 ? options_.jitter_seed : std::random_device{}()) {
    if (!connector_) throw Error(ErrorKind::usage, "PooledStrategy needs a connector (got null)");
    detail::check_pooled_options(options_);
    if (options_.wait_slice <= duration::zero()) options_.wait_slice = std::chrono::milliseconds(1);
    target_ = connector_->describe();
    if (options_.maintenance_interval > duration::zero()) {
      next_maintenance_.store((clock_->now() + options_.maintenance_interval).time_since_epoch().count(),
                              std::memory_order_relaxed);
    }
  }

  ~Core() override;

  const PooledOptions& options() const noexcept { return options_; }

  Lease acquire(Deadline caller_deadline) {
    time_point now = clock_->now();
    const Deadline deadline =
        caller_deadline.earliest(Deadline::after(options_.acquire_timeout, now).named("the pool acquire timeout"));
    maybe_maintain(now);

    // The caller's claim: an entry (counted in in_use_ and acquired_), or when null a slot (counted
    // in connecting_) to open a new connection with. Only the claim is taken under the lock.
    Entry* entry = take_parked();
    bool fast = entry != nullptr;
    if (!fast) {
      std::unique_lock lock(mutex_);
      if (shut_down_) throw shut_down_error();
      if (waiters_head_ == nullptr && !idle_.empty()) {
        entry = take_idle();
      } else if (waiters_head_ == nullptr && (entry = steal_parked(false)) != nullptr) {
        ++acquired_;  // another thread's parked connection (that thread may be gone) before a new one
      } else if (waiters_head_ == nullptr && total() < options_.pool.max_size) {
        ++connecting_;
      } else {
        entry = wait_in_line(lock, deadline);
        if (entry != nullptr) ++acquired_;
        now = clock_->now();
      }
    }

    // The entry is this caller's now: its fields are read and written without the lock.
    for (;;) {
      if (entry == nullptr) return connect_new(deadline);  // the claim is a slot
      // Past its lifetime: never lent again. (Idle too long is no reason to refuse one here:
      // validation checks it, and reaping is maintain()'s job, which keeps min_idle warm.)
      const bool expired = now >= entry->expires;
      Validation outcome = Validation::ok;
      if (!expired) {
        entry->leak_reported.store(false, std::memory_order_relaxed);
        entry->leased_since.store(now.time_since_epoch().count(), std::memory_order_relaxed);
        if (now - entry->last_used < options_.pool.validate_after_idle) return lend(entry, fast);
        outcome = validate(*entry, deadline);
        if (outcome == Validation::ok) return lend(entry, fast);
      }
      // Drop it and claim again, without queueing again.
      std::vector<std::unique_ptr<Connection>> doomed;    // closed outside the lock
      std::vector<std::unique_ptr<Connection>> siblings;  // their slots are freed once closed
      std::size_t retired = 0;
      {
        std::lock_guard lock(mutex_);
        // A ping the peer failed (reset, closed, silent) says the same of the other idle
        // connections to it, opened before the same restart or outage: retire them rather than
        // ping each in turn (against a silent peer, each ping would cost validate_timeout).
        if (outcome == Validation::peer_failed) {
          retired = retire_idle_to(entry->peer, siblings);
          closing_ += retired;
        }
        if (!expired) ++validation_failures_;
        doomed.push_back(remove_entry(entry));
        --in_use_;
        if (!fast) --acquired_;
        ++closed_;
        entry = claim_after_drop();
      }
      fast = false;
      close_all(doomed);
      if (retired > 0) {
        // As in give_back(): the slots are freed once the connections are really closed.
        close_all(siblings);
        std::lock_guard lock(mutex_);
        (void)slots_closed(retired, KeepAlive::kept);
      }
      now = clock_->now();
    }
  }

  void give_back(std::unique_ptr<Connection> connection, void* token, LeaseEnd end) noexcept override {
    auto* entry = static_cast<Entry*>(token);
    // A changed session is not lent on: the connection is closed like a broken one, but says
    // nothing about its peer.
    const bool session_closed = !end.broken && end.session_changed && !options_.pool.keep_session_state;
    if (session_closed) {
      end.broken = true;
      end.peer_failed = false;
      session_closes_.fetch_add(1, std::memory_order_relaxed);
    }
    if (!end.broken) {
      const time_point now = clock_->now();
      if (now < entry->expires) {
        Entry* displaced = nullptr;  // this thread's previously parked one, now to go to idle_
        const bool parked = try_park(entry, connection, now, displaced);
        // The displaced entry is still counted as lent, so the pool is alive for this call even
        // when the one just parked has been taken and the pool shut down meanwhile.
        if (displaced != nullptr) return_entry(std::move(displaced->connection), displaced, LeaseEnd{});
        if (parked) return;
      }
    }
    return_entry(std::move(connection), entry, end);
  }

  // The ordinary return of a lent entry: to a waiter, to idle_, or closed.
  void return_entry(std::unique_ptr<Connection> connection, Entry* entry, LeaseEnd end) noexcept {
    // Declared first, destroyed last: when it holds the Core's last reference, nothing of the
    // Core may be touched after it goes.
    std::shared_ptr<Core> last_reference;
    const time_point now = clock_->now();
    // Still this caller's entry: put the connection back into it before taking the lock.
    const bool keep = !end.broken && now < entry->expires;
    if (keep) {
      put_back(*entry, std::move(connection), now);
    } else {
      entry->leased_since.store(k_not_leased, std::memory_order_relaxed);
    }
    std::vector<std::unique_ptr<Connection>> doomed;
    std::size_t closing = 0;
    {
      std::lock_guard lock(mutex_);
      --in_use_;
      if (shut_down_) {
        doomed.push_back(remove_entry(entry));
        doomed.push_back(std::move(connection));
        ++closed_;
        last_reference = drop_keep_alive_if_done();
      } else if (!keep) {
        doomed.push_back(std::move(connection));
        // The entry is lent, not idle, so retiring the peer's idle ones leaves it alone.
        if (end.peer_failed) closing += retire_idle_to(entry->peer, doomed);
        remove_entry(entry);
        ++closed_;
        closing += 1;
        closing_ += closing;
      } else {
        hand_over(entry);
      }
    }
    close_all(doomed);
    if (closing > 0) {
      // Closed for real now: the slots may be reused.
      std::lock_guard lock(mutex_);
      last_reference = slots_closed(closing, KeepAlive::may_drop);
    }
  }

  std::vector<HostStats> host_stats() const { return checks_.stats(); }

  std::vector<HostCheck> check_hosts(const HostCheckOptions& o) {
    if (checks_.empty()) return {};
    return checks_.check(o, options_.acquire_timeout, "pool '" + options_.name + "'");
  }

  StrategyStats stats() const;

  MaintenanceReport maintain(bool refill);

  // `self` is the strategy's reference to this Core, about to be dropped.
  void shutdown(const std::shared_ptr<Core>& self) noexcept;

 private:
  // After shutdown, once nothing is lent out or being closed: the reference that kept the Core
  // alive. The caller destroys it after unlocking, as its very last use of the Core.
  std::shared_ptr<Core> drop_keep_alive_if_done() noexcept {
    if (shut_down_ && in_use_ == 0 && closing_ == 0) return std::move(keep_alive_);
    return nullptr;
  }

  // Who may take the keep-alive in slots_closed(): a return (give_back, maintain), after which
  // the caller touches nothing of the Core; not acquire(), which goes on using it.
  enum class KeepAlive : bool { kept, may_drop };

  // Under the lock: `n` connections counted in closing_ are closed for real. Their slots go to the
  // oldest waiters (free_slots), or after shutdown to nobody; then, with KeepAlive::may_drop, the
  // reference drop_keep_alive_if_done() gives up (the caller destroys it after unlocking).
  std::shared_ptr<Core> slots_closed(std::size_t n, KeepAlive keep_alive) noexcept {
    closing_ -= n;
    if (!shut_down_) {
      free_slots(n);
      return nullptr;
    }
    return keep_alive == KeepAlive::may_drop ? drop_keep_alive_if_done() : nullptr;
  }

  std::size_t total() const noexcept { return idle_.size() + in_use_ + connecting_ + closing_; }

  // The end of a lease, by the entry's holder: the connection back into the entry, returned `now`.
  static void put_back(Entry& e, std::unique_ptr<Connection> connection, time_point now) noexcept {
    e.connection = std::move(connection);
    e.last_used = now;
    e.leased_since.store(k_not_leased, std::memory_order_relaxed);
  }

  // The lease for a claimed entry; a fast-path one counts in the entry (see Entry::fast_acquired).
  Lease lend(Entry* entry, bool fast) noexcept {
    if (fast)
      entry->fast_acquired.store(entry->fast_acquired.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    return Lease::borrowed(*this, std::move(entry->connection), entry);
  }

  // This thread's parked entry of this pool, if nobody took it meanwhile: now the caller's.
  Entry* take_parked() noexcept {
    ParkingSlot& slot = t_parking;
    if (slot.core != this || slot.serial != serial_ || slot.entry == nullptr) return nullptr;
    Entry* e = std::exchange(slot.entry, nullptr);
    if (stopping_.load(std::memory_order_relaxed)) return nullptr;  // shutdown() closes it
    return unpark(*e) ? e : nullptr;
  }

  // k_parked -> k_unparked; true if this call did it (the entry is then the caller's).
  static bool unpark(Entry& e) noexcept {
    std::uint8_t expected = k_parked;
    return e.parked.load(std::memory_order_seq_cst) == k_parked &&
           e.parked.compare_exchange_strong(expected, k_unparked, std::memory_order_acquire, std::memory_order_relaxed);
  }

  // Parks `entry` (with `connection`) in this thread's slot when nobody waits. False: not parked,
  // and `connection` is still the caller's, for the ordinary return.
  // A connection this thread had parked in this pool before is taken back first and handed out in
  // `displaced` (the caller returns it to idle_): the newest one is parked, as idle_ lends the
  // newest first.
  bool try_park(Entry* entry, std::unique_ptr<Connection>& connection, time_point now, Entry*& displaced) noexcept {
    if (waiting_.load(std::memory_order_relaxed) != 0 || stopping_.load(std::memory_order_relaxed)) return false;
    ParkingSlot& slot = t_parking;
    if (slot.core == this && slot.serial == serial_ && slot.entry != nullptr) {
      if (slot.entry != entry && unpark(*slot.entry)) displaced = slot.entry;
      slot.entry = nullptr;
    }
    const ParkingSlot mine{this, serial_, entry};
    put_back(*entry, std::move(connection), now);
    entry->parked.store(k_parking, std::memory_order_seq_cst);
    if (waiting_.load(std::memory_order_seq_cst) != 0 || stopping_.load(std::memory_order_seq_cst)) {
      // Someone started waiting (or the pool is shutting down) meanwhile: return it the ordinary
      // way. Nobody takes a k_parking entry, so it is still ours.
      connection = std::move(entry->connection);
      entry->parked.store(k_unparked, std::memory_order_seq_cst);
      return false;
    }
    slot = mine;
    // The last touch of the pool: from here on the entry may be taken, and the pool shut down.
    entry->parked.store(k_parked, std::memory_order_seq_cst);
    return true;
  }

  // Under the lock: takes one parked entry (any thread's), or null. It stays counted in in_use_.
  // With `settle`, an entry being parked right now is waited for (see "Parking"): a waiter or
  // shutdown() must not miss it.
  Entry* steal_parked(bool settle) noexcept {
    for (auto& e : entries_) {
      if (settle) {
        for (int spins = 0; e->parked.load(std::memory_order_seq_cst) == k_parking; ++spins) {
          if (spins < 64) {
            cpu_pause();
          } else {
            std::this_thread::yield();
          }
        }
      }
      if (unpark(*e)) return e.get();
    }
    return nullptr;
  }

  static void cpu_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  // Under the lock: every parked entry back into idle_.
  void unpark_all() {
    while (Entry* e = steal_parked(false)) {
      --in_use_;
      insert_idle(e);
    }
  }

  // Under the lock: `e` into idle_, which stays ordered by last_used (oldest first). A returned
  // entry is usually the newest, but one displaced from a parking slot, or taken back from one by
  // maintain(), may be older than entries returned since.
  void insert_idle(Entry* e) {
    const auto at = std::upper_bound(idle_.begin(), idle_.end(), e,
                                     [](const Entry* a, const Entry* b) { return a->last_used < b->last_used; });
    idle_.insert(at, e);
  }

  // Under the lock: the newest idle entry, now the caller's (counted in in_use_ and acquired_).
  // Only the pointer is read here; the entry itself is touched after the lock is released.
  Entry* take_idle() noexcept {
    Entry* e = idle_.back();
    idle_.pop_back();
    ++in_use_;
    ++acquired_;
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
  // The Entry object is kept in spare_entries_ for reuse, never freed while the pool lives (see
  // "Parking").
  std::unique_ptr<Connection> remove_entry(Entry* e) noexcept {
    std::unique_ptr<Connection> c = std::move(e->connection);
    acquired_ += e->fast_acquired.exchange(0, std::memory_order_relaxed);
    const std::size_t i = e->index;
    if (i + 1 != entries_.size()) {
      std::swap(entries_[i], entries_.back());
      entries_[i]->index = i;
    }
    spare_entries_.push_back(std::move(entries_.back()));
    entries_.pop_back();
    return c;
  }

  // Retires every idle connection to `peer`; returns how many.
  std::size_t retire_idle_to(const std::string& peer, std::vector<std::unique_ptr<Connection>>& doomed);

  // Under the lock: a connection ready to lend (given back, or just opened by a refill) goes to the
  // oldest waiter, leased on its behalf (counted in in_use_), else to idle_.
  void hand_over(Entry* entry) {
    if (Waiter* w = pop_waiter()) {
      ++in_use_;
      w->entry = entry;
      wake(w);
    } else {
      insert_idle(entry);
    }
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
    waiting_.store(waiter_count_, std::memory_order_seq_cst);
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
    waiting_.store(waiter_count_, std::memory_order_seq_cst);
  }

  // Queues the caller until it is handed a connection (returned) or a slot (null returned), in
  // FIFO order; throws when the deadline passes (pool_exhausted) or the pool shuts down (cancelled).
  Entry* wait_in_line(std::unique_lock<std::mutex>& lock, Deadline deadline);

  static void spin_until_ready(const Waiter& w) noexcept;

  void note_wait(duration waited) noexcept {
    if (waited < duration::zero()) waited = duration::zero();
    total_wait_ += waited;
    max_wait_ = std::max(max_wait_, waited);
  }

  Error exhausted_error(duration waited) const;

  Error shut_down_error() const {
    return Error(ErrorKind::cancelled, "pool '" + options_.name + "' was shut down while acquiring a connection");
  }

  enum class Validation { ok, failed, peer_failed };

  // Pings an idle connection before it is lent. peer_failed: the error blames the server or the
  // network (classify(): a host failure), or the connection became unusable.
  Validation validate(Entry& entry, Deadline deadline) noexcept;

  // A new entry for `connection`, opened at `now`. Under the lock (the jitter generator is shared).
  Entry* add_entry(std::string peer, time_point now);

  Lease connect_new(Deadline deadline);

  // Opens one connection for min_idle. True on success.
  bool refill_one(MaintenanceReport& report);

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
  detail::HostChecks checks_;  // per-host health checks when the connector tries several hosts
  std::string target_;
  std::atomic<duration::rep> next_maintenance_{0};
  const std::uint64_t serial_ = ++g_core_serial;  // tells this pool's parking slots from a dead one's
  std::atomic<std::size_t> waiting_{0};           // waiter_count_, for try_park() without the lock
  std::atomic<bool> stopping_{false};             // shut_down_, likewise

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<std::unique_ptr<Entry>> spare_entries_;  // removed entries, kept for reuse
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
  std::atomic<std::uint64_t> session_closes_{0};  // counted before the lock is taken
  std::uint64_t acquire_timeouts_ = 0;
  std::uint64_t leaks_reported_ = 0;
  duration total_wait_{0};
  duration max_wait_{0};
};

// Constant-initialised, so reached without a TLS guard from every TU.
inline thread_local PooledStrategy::Core::ParkingSlot PooledStrategy::Core::t_parking;
inline std::atomic<std::uint64_t> PooledStrategy::Core::g_core_serial{0};

}  // namespace chconn
