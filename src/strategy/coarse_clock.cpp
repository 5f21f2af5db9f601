#include "strategy/coarse_clock.h"

#include <time.h>

#include <chrono>

namespace chconn::detail {

namespace {

class CoarseSteadyClock final : public Clock {
 public:
  time_point now() const noexcept override {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return time_point(duration(static_cast<duration::rep>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec));
  }
};

// True when the coarse clock reads within a second of steady_clock(), i.e. they share an origin.
bool same_origin(const Clock& coarse) noexcept {
  const auto precise = steady_clock().now();
  const auto rough = coarse.now();
  const auto gap = precise > rough ? precise - rough : rough - precise;
  return gap < std::chrono::seconds(1);
}

}  // namespace

const Clock& coarse_steady_clock() noexcept {
  static const CoarseSteadyClock coarse;
  static const Clock* const chosen = same_origin(coarse) ? static_cast<const Clock*>(&coarse) : &steady_clock();
  return *chosen;
}

}  // namespace chconn::detail
