// The options of the resilience layer's circuit breaker and error decay, defined here in core so
// that Config (Config::failover) holds them as they are: one definition of each option, one set of
// limits, checked by validate() whether they come from a DSN, the environment or code. The
// behaviour they tune is documented with the classes that use them: chconn/resilience/
// circuit_breaker.h (CircuitBreaker) and chconn/resilience/error_decay.h (ErrorDecay).
//
// Thread safety: value types.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "chconn/core/clock.h"

namespace chconn {

enum class WindowType : std::uint8_t {
  count_based,  // the last window_size recorded calls
  time_based,   // the calls recorded in the last window_duration, in one-second buckets
};

struct CircuitBreakerOptions {
  // Names the breaker in errors and logs, e.g. "db1:9000".
  std::string name{};

  // Time-based by default: a client of an analytical database may make a few calls a minute, and
  // a count-based window would then keep a failure from an hour ago.
  WindowType window_type = WindowType::time_based;
  // Count-based window: how many recent calls are kept (1 .. 1'000'000).
  std::uint32_t window_size = 100;
  // Time-based window: how far back calls count (1 s .. 1 h, whole seconds).
  Clock::duration window_duration = std::chrono::seconds(60);
  // The rate is only evaluated once the window holds this many calls (for a count-based window,
  // at most window_size). Small enough to react to a dead host within seconds, large enough that
  // one or two failures of a lightly used client do not open it.
  std::uint32_t minimum_calls = 10;
  // Percentage of failed calls in the window (0 < x <= 100) that opens the breaker.
  double failure_rate_threshold = 50.0;

  // Slow calls. Off by default: analytical queries are legitimately slow.
  bool slow_call_enabled = false;
  Clock::duration slow_call_duration = std::chrono::seconds(30);
  double slow_call_rate_threshold = 80.0;  // percent, 0 < x <= 100

  // How long the breaker stays open before permitting probes. Ten seconds is about a server
  // restart; a dead server gets longer waits through the multiplier below.
  Clock::duration open_duration = std::chrono::seconds(10);
  // Each trip in a row (open -> half_open -> open) multiplies the wait, up to max_open_duration.
  // 1.0 disables growth. The wait goes back to open_duration when the breaker closes.
  double open_duration_multiplier = 2.0;
  Clock::duration max_open_duration = std::chrono::minutes(2);
  // Up to this fraction of the wait is added at random (0 .. 1), to spread the probes of many
  // clients that tripped together. The wait is never shorter than computed above.
  double open_duration_jitter = 0.1;
  // Seed for the jitter; 0 picks a random seed.
  std::uint64_t random_seed = 0;

  // Probe calls permitted in half-open; all must succeed to close. Three: enough to not close on
  // a single lucky call, few enough not to load a server that is still recovering.
  std::uint32_t half_open_max_calls = 3;
  // Longest time in half-open; see the header comment. Must exceed a typical probe call.
  Clock::duration max_half_open_duration = std::chrono::seconds(60);

  friend bool operator==(const CircuitBreakerOptions&, const CircuitBreakerOptions&) = default;
};

// Throws Error(config) naming the breaker (or, given a field_prefix such as "failover.breaker.",
// the option's path) and the first option out of range:
// failure_rate_threshold and slow_call_rate_threshold in (0, 100], window_size 1 .. 1000000 calls,
// window_duration 1 s .. 1 h in whole seconds, minimum_calls and half_open_max_calls at least 1,
// positive durations, open_duration <= max_open_duration <= 24 h, open_duration_multiplier
// 1 .. 1000, open_duration_jitter 0 .. 1.
void validate(const CircuitBreakerOptions& options, std::string_view field_prefix = {});

struct ErrorDecayOptions {
  // Counts halve once per half_life (ClickHouse's distributed_replica_error_half_life, 60 s).
  Clock::duration half_life = std::chrono::seconds(60);
  // No count goes above this (ClickHouse's distributed_replica_error_cap, 1000).
  std::uint64_t max_error_cap = 1000;

  friend bool operator==(const ErrorDecayOptions&, const ErrorDecayOptions&) = default;
};

// Throws Error(config) when half_life is not positive or max_error_cap is zero (named after
// field_prefix when given, e.g. "failover.decay.").
void validate(const ErrorDecayOptions& options, std::string_view field_prefix = {});

}  // namespace chconn
