#include "chconn/core/clock.h"

#include <string>

namespace chconn {

namespace {
class SteadyClock final : public Clock {
 public:
  time_point now() const noexcept override {
    return std::chrono::time_point_cast<duration>(std::chrono::steady_clock::now());
  }
};
}  // namespace

const Clock& steady_clock() noexcept {
  static const SteadyClock clock;
  return clock;
}

Deadline Deadline::after(duration timeout, time_point now) noexcept {
  if (timeout <= duration::zero()) return Deadline(now);
  // max() - now overflows when now is before the clock's epoch (a ManualClock may be set there);
  // then now + timeout cannot overflow anyway.
  if (now.time_since_epoch() > duration::zero() && timeout >= time_point::max() - now) return never();
  return Deadline(now + timeout, timeout);
}

Deadline::duration Deadline::remaining(const Clock& clock) const noexcept {
  if (is_never()) return duration::max();
  const time_point now = clock.now();
  return now >= at_ ? duration::zero() : at_ - now;
}

std::string Deadline::describe() const {
  std::string text = limit_ != nullptr ? limit_ : "a deadline";
  if (length_ > duration::zero()) text += " of " + duration_text(length_);
  return text;
}

std::string duration_text(Clock::duration d) {
  if (d < Clock::duration::zero()) d = Clock::duration::zero();
  if (d < std::chrono::milliseconds(10) && d % std::chrono::milliseconds(1) != Clock::duration::zero()) {
    // A latency: tenths of a millisecond, rounded up ("0.3 ms", "2.5 ms").
    const auto tenths = (std::chrono::ceil<std::chrono::microseconds>(d).count() + 99) / 100;
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " ms";
  }
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(d).count();
  if (ms >= 1000 && ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

}  // namespace chconn
