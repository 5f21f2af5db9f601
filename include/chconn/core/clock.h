// Clocks and deadlines. Everything in chconn that depends on time takes a Clock, so tests drive
// time with a ManualClock instead of sleeping.
//
// Thread safety: steady_clock() is stateless; ManualClock may be read and advanced from any thread.
#pragma once

#include <atomic>
#include <chrono>

namespace chconn {

class Clock {
 public:
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<std::chrono::steady_clock, duration>;

  virtual ~Clock() = default;
  virtual time_point now() const noexcept = 0;
};

// The process's monotonic clock (std::chrono::steady_clock).
const Clock& steady_clock() noexcept;

// A clock that moves only when told to. Starts at an arbitrary fixed point.
class ManualClock final : public Clock {
 public:
  ManualClock() = default;
  explicit ManualClock(time_point start) : now_(start.time_since_epoch().count()) {}

  time_point now() const noexcept override { return time_point(duration(now_.load())); }
  void advance(duration d) noexcept { now_.fetch_add(d.count()); }
  void set(time_point t) noexcept { now_.store(t.time_since_epoch().count()); }

 private:
  std::atomic<duration::rep> now_{duration(std::chrono::hours(1000)).count()};
};

// A point in time after which an operation must give up. Deadlines compose: an operation with
// its own timeout inside a caller's deadline uses the earlier of the two (Deadline::earliest).
class Deadline {
 public:
  using duration = Clock::duration;
  using time_point = Clock::time_point;

  // A deadline that never passes. Use it only where a finite one is applied further down.
  static Deadline never() noexcept { return Deadline(time_point::max()); }
  static Deadline at(time_point t) noexcept { return Deadline(t); }
  // `timeout` from now on `clock`. A timeout of zero or less gives an already-expired deadline.
  static Deadline after(duration timeout, const Clock& clock = steady_clock()) noexcept;

  bool is_never() const noexcept { return at_ == time_point::max(); }
  time_point when() const noexcept { return at_; }
  bool expired(const Clock& clock = steady_clock()) const noexcept { return clock.now() >= at_; }
  // Time left, never negative; duration::max() for never().
  duration remaining(const Clock& clock = steady_clock()) const noexcept;
  // The earlier of this deadline and now + timeout.
  Deadline earliest(duration timeout, const Clock& clock = steady_clock()) const noexcept {
    return earliest(after(timeout, clock));
  }
  Deadline earliest(Deadline other) const noexcept { return other.at_ < at_ ? other : *this; }

  friend bool operator==(const Deadline&, const Deadline&) = default;

 private:
  explicit Deadline(time_point t) noexcept : at_(t) {}
  time_point at_;
};

}  // namespace chconn
