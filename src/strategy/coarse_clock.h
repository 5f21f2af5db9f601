// A cheap monotonic clock for the pool's hot path (internal to the strategy layer).
//
// Reading std::chrono::steady_clock (CLOCK_MONOTONIC) costs about 30 ns on the project's machines,
// and a pool reads the time on every acquire and every release: together that was more than half
// the cost of an uncontended acquire + release. CLOCK_MONOTONIC_COARSE costs a few ns and counts
// from the same origin, lagging it by at most one scheduler tick (1-4 ms) — far below anything a
// pool measures (validation after seconds idle, lifetimes of minutes, acquire timeouts of seconds).
// Deadlines made with steady_clock() compare correctly against it; they may fire up to a tick late.
#pragma once

#include "chconn/core/clock.h"

namespace chconn::detail {

// CLOCK_MONOTONIC_COARSE where it shares steady_clock()'s origin (checked once); otherwise
// steady_clock() itself.
const Clock& coarse_steady_clock() noexcept;

}  // namespace chconn::detail
