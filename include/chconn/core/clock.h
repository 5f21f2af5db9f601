// Clocks and deadlines. Everything in chconn that depends on time takes a Clock, so tests drive
// time with a ManualClock instead of sleeping.
//
// Thread safety: steady_clock() is stateless; ManualClock may be read and advanced from any thread.
// Deadline is a value type.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

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
//
// A deadline also says, for messages, which limit it stands for: its length (the timeout it was
// made from) and, once named(), the limit's name. earliest() keeps both of the deadline it picks,
// so an error can say which limit expired ("the query timeout of 600 s", "the caller's deadline of
// 1 s") rather than how much time an operation happened to have left when it started.
//
// Example:
//   const Deadline d = caller.earliest(Deadline::after(config.timeouts.query).named("the query timeout"));
//   if (d.expired()) throw Error(ErrorKind::timeout, "the query did not finish within " + d.describe());
class Deadline {
 public:
  using duration = Clock::duration;
  using time_point = Clock::time_point;

  // A deadline that never passes. Use it only where a finite one is applied further down.
  static Deadline never() noexcept { return Deadline(time_point::max()); }
  // A deadline at `t`; its length is unknown.
  static Deadline at(time_point t) noexcept { return Deadline(t); }
  // `timeout` from now on `clock`. A timeout of zero or less gives an already-expired deadline.
  static Deadline after(duration timeout, const Clock& clock = steady_clock()) noexcept {
    return after(timeout, clock.now());
  }
  // `timeout` from `now`, a time just read from the clock the deadline is checked against.
  static Deadline after(duration timeout, time_point now) noexcept;

  bool is_never() const noexcept { return at_ == time_point::max(); }
  time_point when() const noexcept { return at_; }
  bool expired(const Clock& clock = steady_clock()) const noexcept { return clock.now() >= at_; }
  // Time left, never negative; duration::max() for never().
  duration remaining(const Clock& clock = steady_clock()) const noexcept;
  // The earlier of this deadline and now + timeout.
  Deadline earliest(duration timeout, const Clock& clock = steady_clock()) const noexcept {
    return earliest(after(timeout, clock));
  }
  // The earlier of the two, with its name and length; this one when they pass at the same time.
  Deadline earliest(Deadline other) const noexcept { return other.at_ < at_ ? other : *this; }

  // A copy that names the limit it stands for in messages: `limit` is a phrase such as "the query
  // timeout". It is kept as a pointer: pass a string literal (or text that outlives every copy).
  Deadline named(const char* limit) const noexcept {
    Deadline d = *this;
    d.limit_ = limit;
    return d;
  }
  // The same, unless this deadline already has a name.
  Deadline named_if_unnamed(const char* limit) const noexcept { return limit_ ? *this : named(limit); }
  // The name given by named(), or null.
  const char* limit() const noexcept { return limit_; }
  // The timeout the deadline was made from by after(); zero when unknown (at(), never(), or a
  // timeout of zero or less).
  duration length() const noexcept { return length_; }
  // The limit, for messages: its name (or "a deadline") and, when known, its length: "the query
  // timeout of 600 s", "the caller's deadline of 1 s", "a deadline of 250 ms", "a deadline".
  std::string describe() const;

  // Deadlines are equal when they pass at the same moment, whatever their names and lengths.
  friend bool operator==(const Deadline& a, const Deadline& b) noexcept { return a.at_ == b.at_; }

 private:
  explicit Deadline(time_point t, duration length = duration::zero()) noexcept : at_(t), length_(length) {}
  time_point at_;
  duration length_;
  const char* limit_ = nullptr;
};

// A duration as messages and reports write it, rounded up: under 10 ms to a tenth of a
// millisecond when not whole ("0.3 ms", "2.5 ms"), else whole milliseconds ("250 ms", "1500 ms"),
// and whole seconds from 1 s on as "1 s", "600 s". The one duration formatter for people; a DSN
// writes durations in its own syntax ("3s").
std::string duration_text(Clock::duration d);

}  // namespace chconn
