#include "chconn/core/clock.h"

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

Deadline Deadline::after(duration timeout, const Clock& clock) noexcept {
  const time_point now = clock.now();
  if (timeout <= duration::zero()) return Deadline(now);
  // max() - now overflows when now is before the clock's epoch (a ManualClock may be set there);
  // then now + timeout cannot overflow anyway.
  if (now.time_since_epoch() > duration::zero() && timeout >= time_point::max() - now) return never();
  return Deadline(now + timeout);
}

Deadline::duration Deadline::remaining(const Clock& clock) const noexcept {
  if (is_never()) return duration::max();
  const time_point now = clock.now();
  return now >= at_ ? duration::zero() : at_ - now;
}

}  // namespace chconn
