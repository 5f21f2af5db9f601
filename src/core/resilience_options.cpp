// Validation of the resilience options (chconn/core/resilience_options.h): the one place their
// limits are written.
#include "chconn/core/resilience_options.h"

#include <chrono>
#include <string>
#include <string_view>

#include "chconn/core/error.h"

namespace chconn {

using namespace std::chrono_literals;

namespace {

std::string breaker_label(const std::string& name) {
  return name.empty() ? std::string("circuit breaker") : "circuit breaker '" + name + "'";
}

}  // namespace

void validate(const CircuitBreakerOptions& o, std::string_view field_prefix) {
  // Whole seconds: the time-based window counts calls in one-second buckets.
  const bool whole_seconds = o.window_duration % 1s == Clock::duration::zero();
  // "circuit breaker 'db1:9000': minimum_calls must ..." or "failover.breaker.minimum_calls must ...".
  auto fail = [&](const std::string& what) {
    throw Error(ErrorKind::config,
                (field_prefix.empty() ? breaker_label(o.name) + ": " : std::string(field_prefix)) + what);
  };
  auto percent_ok = [](double p) { return p > 0.0 && p <= 100.0; };
  if (!percent_ok(o.failure_rate_threshold)) fail("failure_rate_threshold must be in (0, 100]");
  if (!percent_ok(o.slow_call_rate_threshold)) fail("slow_call_rate_threshold must be in (0, 100]");
  if (o.window_size < 1 || o.window_size > 1'000'000) fail("window_size must be in 1 .. 1000000 calls");
  if (o.window_duration < 1s || o.window_duration > 1h || !whole_seconds) {
    fail("window_duration must be whole seconds in 1 s .. 1 h");
  }
  if (o.minimum_calls < 1) fail("minimum_calls must be at least 1");
  if (o.slow_call_duration <= Clock::duration::zero()) fail("slow_call_duration must be positive");
  if (o.open_duration <= Clock::duration::zero()) fail("open_duration must be positive");
  if (o.max_open_duration < o.open_duration) {
    fail("open_duration must be at most max_open_duration (" + duration_text(o.max_open_duration) +
         "), the longest wait repeated trips grow to");
  }
  if (o.max_open_duration > 24h) fail("max_open_duration must be at most 24 h");
  if (!(o.open_duration_multiplier >= 1.0) || o.open_duration_multiplier > 1000.0) {
    fail("open_duration_multiplier must be in 1 .. 1000");
  }
  if (!(o.open_duration_jitter >= 0.0) || o.open_duration_jitter > 1.0) fail("open_duration_jitter must be in 0 .. 1");
  if (o.half_open_max_calls < 1) fail("half_open_max_calls must be at least 1");
  if (o.max_half_open_duration <= Clock::duration::zero()) fail("max_half_open_duration must be positive");
}

void validate(const ErrorDecayOptions& options, std::string_view field_prefix) {
  const std::string prefix = field_prefix.empty() ? std::string("error decay: ") : std::string(field_prefix);
  if (options.half_life <= Clock::duration::zero())
    throw Error(ErrorKind::config, prefix + "half_life must be positive");
  if (options.max_error_cap == 0) throw Error(ErrorKind::config, prefix + "max_error_cap must be at least 1");
}

}  // namespace chconn
