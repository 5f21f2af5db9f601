// PooledStrategy::Core's books kept in the background: stats, maintain() (lifetime and idle
// reaping, the leak scan, the min_idle refill), retiring a failed peer's idle connections, and
// shutdown. The state and invariants they keep are described in pool_core.h.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "strategy/pool_core.h"

namespace chconn {

StrategyStats PooledStrategy::Core::stats() const {
  std::lock_guard lock(mutex_);
  StrategyStats s;
  std::size_t parked = 0;
  std::uint64_t fast = 0;
  for (const auto& e : entries_) {
    if (e->parked.load(std::memory_order_relaxed) == k_parked) ++parked;
    fast += e->fast_acquired.load(std::memory_order_relaxed);
  }
  s.idle = idle_.size() + parked;
  s.in_use = in_use_ - parked;
  s.open = s.idle + s.in_use;
  s.connecting = connecting_;
  s.waiting = waiter_count_;
  s.acquired = acquired_ + fast;
  s.created = created_;
  s.closed = closed_;
  s.connect_failures = connect_failures_;
  s.validation_failures = validation_failures_;
  s.session_closes = session_closes_.load(std::memory_order_relaxed);
  s.acquire_timeouts = acquire_timeouts_;
  s.leaks_reported = leaks_reported_;
  s.total_wait = total_wait_;
  s.max_wait = max_wait_;
  return s;
}

MaintenanceReport PooledStrategy::Core::maintain(bool refill) {
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
    unpark_all();  // parked connections are idle ones: the rules below apply to them too
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
        const duration::rep since = e->leased_since.load(std::memory_order_relaxed);
        if (since == k_not_leased || e->leak_reported.load(std::memory_order_relaxed)) continue;
        const duration held = now - time_point(duration(since));
        if (held >= options_.pool.leak_threshold) {
          e->leak_reported.store(true, std::memory_order_relaxed);
          ++leaks_reported_;
          leaks.push_back("pool '" + options_.name + "': a lease of connection #" + std::to_string(e->id) + " to " +
                          e->peer + " has been held for " + duration_text(held) + " (leak_threshold " +
                          duration_text(options_.pool.leak_threshold) + "); is a Lease being kept alive by mistake?");
        }
      }
      report.leaks_reported = leaks.size();
    }
  }
  close_all(doomed);
  for (const auto& message : leaks) log(options_.logger.get(), LogLevel::warning, message);

  {
    std::lock_guard lock(mutex_);
    last_reference = slots_closed(freed, KeepAlive::may_drop);
    if (shut_down_) return report;
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

void PooledStrategy::Core::shutdown(const std::shared_ptr<Core>& self) noexcept {
  std::vector<std::unique_ptr<Connection>> doomed;
  {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
    stopping_.store(true, std::memory_order_seq_cst);
    while (Entry* e = steal_parked(true)) {
      doomed.push_back(remove_entry(e));
      --in_use_;
      ++closed_;
    }
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

std::size_t PooledStrategy::Core::retire_idle_to(const std::string& peer,
                                                 std::vector<std::unique_ptr<Connection>>& doomed) {
  std::size_t n = 0;
  auto keep = std::remove_if(idle_.begin(), idle_.end(), [&](Entry* e) {
    if (e->peer != peer) return false;
    doomed.push_back(remove_entry(e));
    ++n;
    return true;
  });
  idle_.erase(keep, idle_.end());
  // Parked ones are idle too (counted in in_use_ until taken).
  for (std::size_t i = 0; i < entries_.size();) {
    Entry* e = entries_[i].get();
    if (e->peer == peer && unpark(*e)) {
      doomed.push_back(remove_entry(e));  // swaps the last entry into position i
      --in_use_;
      ++n;
    } else {
      ++i;
    }
  }
  closed_ += n;
  return n;
}

PooledStrategy::Core::Entry* PooledStrategy::Core::add_entry(std::string peer, time_point now) {
  std::unique_ptr<Entry> e;
  if (spare_entries_.empty()) {
    e = std::make_unique<Entry>();
  } else {
    e = std::move(spare_entries_.back());
    spare_entries_.pop_back();
    e->leased_since.store(k_not_leased, std::memory_order_relaxed);
    e->leak_reported.store(false, std::memory_order_relaxed);
  }
  e->peer = std::move(peer);
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

bool PooledStrategy::Core::refill_one(MaintenanceReport& report) {
  std::unique_ptr<Connection> connection;
  try {
    connection =
        connector_->connect(Deadline::after(options_.acquire_timeout, clock_->now()).named("the pool acquire timeout"));
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
  std::string peer = connection->peer();
  const time_point now = clock_->now();
  std::unique_ptr<Connection> doomed;
  {
    std::lock_guard lock(mutex_);
    --connecting_;
    --refilling_;
    if (shut_down_) {
      doomed = std::move(connection);
    } else {
      Entry* e = add_entry(std::move(peer), now);
      e->connection = std::move(connection);
      ++report.created;
      hand_over(e);
    }
  }
  if (doomed) doomed->close();
  return true;
}

}  // namespace chconn
