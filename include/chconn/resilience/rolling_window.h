// RollingCounters: K counters summed over the last `window` of time, in fixed-width buckets.
//
// The circuit breaker's time-based window and the retry budget both need "how many X happened in
// the last T". RollingCounters keeps one bucket per `bucket_width` (one second by default), so its
// memory is bounded by window / bucket_width whatever the call rate, and old buckets are dropped
// lazily when a later time point is seen; nothing runs in the background. Time comes from the
// caller (read from an injected Clock), and a time point earlier than the newest one seen counts in
// the newest bucket, so a clock read slightly out of order across threads never corrupts totals.
//
// Resolution: a call leaves the window between `window - bucket_width` and `window` after it was
// counted (whole buckets expire at once).
//
// Thread safety: none. Owners (CircuitBreaker, RetryBudget) guard it with their own mutex.
//
// Example:
//   chconn::RollingCounters<2> w(std::chrono::seconds(10));   // counters 0: requests, 1: retries
//   w.add(clock.now(), 0);
//   auto totals = w.totals(clock.now());                     // totals[0] == 1
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "chconn/core/clock.h"

namespace chconn {

template <std::size_t K>
class RollingCounters {
 public:
  using Counts = std::array<std::uint64_t, K>;

  // `window` is rounded up to a whole number of buckets (at least one).
  explicit RollingCounters(Clock::duration window, Clock::duration bucket_width = std::chrono::seconds(1))
      : width_(bucket_width > Clock::duration::zero() ? bucket_width : Clock::duration(1)),
        buckets_(bucket_count(window, width_)) {}

  // Adds `n` to counter `counter` at time `now`.
  void add(Clock::time_point now, std::size_t counter, std::uint64_t n = 1) noexcept {
    Bucket& b = advance(now);
    b.counts[counter] += n;
    totals_[counter] += n;
  }

  // Sums over the window ending at `now`.
  Counts totals(Clock::time_point now) noexcept {
    advance(now);
    return totals_;
  }

  // Forgets everything.
  void clear() noexcept {
    for (Bucket& b : buckets_) b = Bucket{};
    totals_ = Counts{};
    started_ = false;
  }

  std::size_t bucket_count() const noexcept { return buckets_.size(); }
  Clock::duration bucket_width() const noexcept { return width_; }

 private:
  // Slot i of the ring holds timeline bucket head_ - ((head_ - i) mod n); only counts are kept.
  struct Bucket {
    Counts counts{};
  };

  static std::size_t bucket_count(Clock::duration window, Clock::duration width) noexcept {
    if (window <= Clock::duration::zero()) return 1;
    const auto n = (window.count() + width.count() - 1) / width.count();
    return static_cast<std::size_t>(n < 1 ? 1 : n);
  }

  // Floor division, so time points before the clock's epoch still map to increasing indexes.
  std::int64_t index_of(Clock::time_point t) const noexcept {
    const std::int64_t c = t.time_since_epoch().count();
    const std::int64_t w = width_.count();
    return c >= 0 ? c / w : -((-c + w - 1) / w);
  }

  // Moves the head of the window to `now`, expiring the buckets that fell out of it, and returns
  // the head bucket. Costs at most one pass over the buckets however far time jumped.
  Bucket& advance(Clock::time_point now) noexcept {
    const std::int64_t idx = index_of(now);
    const auto n = static_cast<std::int64_t>(buckets_.size());
    if (!started_) {
      started_ = true;
      head_ = idx;
      return buckets_[slot(idx)];
    }
    if (idx > head_) {
      const std::int64_t steps = idx - head_ >= n ? n : idx - head_;
      for (std::int64_t s = 1; s <= steps; ++s) {
        const std::int64_t target = idx - steps + s;
        Bucket& b = buckets_[slot(target)];
        for (std::size_t k = 0; k < K; ++k) totals_[k] -= b.counts[k];
        b = Bucket{};
      }
      head_ = idx;
    }
    return buckets_[slot(head_)];
  }

  std::size_t slot(std::int64_t idx) const noexcept {
    const auto n = static_cast<std::int64_t>(buckets_.size());
    const std::int64_t m = idx % n;
    return static_cast<std::size_t>(m < 0 ? m + n : m);
  }

  Clock::duration width_;
  std::vector<Bucket> buckets_;
  Counts totals_{};
  std::int64_t head_ = 0;
  bool started_ = false;
};

}  // namespace chconn
