// CircuitBreaker: stops sending calls to a server that keeps failing, and lets a few probe calls
// through later to find out whether it has recovered.
//
// States:
//   closed     every call is permitted; outcomes are recorded in a sliding window (the last N
//              calls, or the calls of the last T). Once the window holds at least minimum_calls,
//              a failure rate >= failure_rate_threshold (or, when enabled, a slow-call rate >=
//              slow_call_rate_threshold) opens the breaker.
//   open       every call is refused (callers raise open_error(), an ErrorKind::circuit_open).
//              After open_duration the next call moves the breaker to half_open; nothing runs in
//              the background, time is read from the injected Clock when the breaker is used.
//              open_duration grows by open_duration_multiplier on each trip in a row (capped by
//              max_open_duration) and gets up to open_duration_jitter of random extra, so many
//              clients that tripped together do not probe a recovering server all at once.
//   half_open  at most half_open_max_calls probe calls are permitted. The first probe that fails
//              reopens the breaker; once half_open_max_calls probes have succeeded it closes.
//              Half-open can never get stuck on probes that never report: after
//              max_half_open_duration the breaker closes if at least one probe succeeded (the
//              server answered) and reopens otherwise.
//
// What counts (decided by chconn::classify(), never by a list of our own):
//   - an Error whose classify().host_failure is true (network, timeout, protocol, server overload)
//     is a failure;
//   - any other ErrorKind::server error (syntax error 62, unknown table 60, wrong password 193...)
//     is a success: the server answered, so it is up. These can never open the breaker;
//   - any other error (usage, config, cancelled, pool_exhausted, circuit_open) says nothing about
//     the server: it is ignored, as if the call had not been made;
//   - with slow calls enabled, a success slower than slow_call_duration is also a slow call, and
//     in half-open a slow probe counts as a failed probe.
//
// Permits: try_acquire_permit() returns a move-only Permit. Record exactly one outcome on it
// (on_success / on_error / on_failure). A Permit destroyed or release()d without an outcome is
// ignored: nothing is recorded, and a half-open probe slot is handed back, so a caller that
// bails out through an unrelated exception neither opens the breaker nor leaves it stuck.
// Outcomes of permits taken before the latest state change are ignored (a slow call that started
// while closed cannot close a breaker that has since opened). The bool try_acquire() +
// CircuitBreaker::on_success/on_error/on_failure pair is the same without a Permit object; those
// outcomes apply to the current state.
//
// Thread safety: all members are safe to call from any thread. Listeners are called without the
// breaker's lock held, once per transition, in transition order; a listener may be called by
// whichever thread is inside the breaker at the time, and may call back into the breaker.
// Listeners must not throw (exceptions are swallowed). The breaker must outlive its Permits, and
// the Clock must outlive the breaker.
//
// Example:
//   chconn::CircuitBreaker breaker({.name = "db1:9000", .open_duration = std::chrono::seconds(5)}, clock);
//   auto permit = breaker.try_acquire_permit();
//   if (!permit) throw breaker.open_error();
//   auto start = clock.now();
//   try {
//     run_query();
//     permit->on_success(clock.now() - start);
//   } catch (const chconn::Error& e) {
//     permit->on_error(e, clock.now() - start);
//     throw;
//   }
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "chconn/core/clock.h"
#include "chconn/core/error.h"
#include "chconn/core/resilience_options.h"

namespace chconn {

enum class CircuitState : std::uint8_t { closed, open, half_open };

// "closed", "open", "half_open".
std::string_view to_string(CircuitState state) noexcept;

// CircuitBreakerOptions and WindowType: chconn/core/resilience_options.h.

struct CircuitBreakerMetrics {
  CircuitState state = CircuitState::closed;
  // True after force_open(): no probes until reset().
  bool forced_open = false;
  // Calls in the window (closed state; the window is cleared when the breaker closes).
  std::uint64_t calls = 0;
  std::uint64_t failed_calls = 0;
  std::uint64_t slow_calls = 0;
  // Percentages over the window, 0 when it is empty. The breaker acts on them only once
  // calls >= minimum_calls.
  double failure_rate = 0.0;
  double slow_call_rate = 0.0;
  // Half-open probes: permits handed out (and not given back) / succeeded.
  std::uint32_t probes_permitted = 0;
  std::uint32_t probes_succeeded = 0;
  // Calls refused since the breaker was made.
  std::uint64_t not_permitted = 0;
  // Trips in a row since the breaker last closed.
  std::uint32_t consecutive_trips = 0;
  Clock::time_point last_transition{};
  // Open: time until a call will be permitted as a probe (Clock::duration::max() when forced).
  // Otherwise zero.
  Clock::duration time_until_half_open{};
};

class CircuitBreaker {
 public:
  using Listener = std::function<void(CircuitState from, CircuitState to)>;

  // Holds the right to make one call. Move-only; see the header comment.
  class Permit {
   public:
    Permit(Permit&& other) noexcept;
    Permit& operator=(Permit&& other) noexcept;
    Permit(const Permit&) = delete;
    Permit& operator=(const Permit&) = delete;
    // Releases without an outcome if none was recorded.
    ~Permit();

    void on_success(Clock::duration latency);
    // Classified with chconn::classify(); see the header comment.
    void on_error(const Error& error, Clock::duration latency);
    // A failure that is not a chconn::Error (e.g. the caller's own health check said no).
    void on_failure(Clock::duration latency);
    // Gives the permit back without an outcome.
    void release() noexcept;

    // True for a half-open probe.
    bool is_probe() const noexcept { return probe_; }
    // False once an outcome was recorded or the permit released.
    bool active() const noexcept { return breaker_ != nullptr; }

   private:
    friend class CircuitBreaker;
    Permit(CircuitBreaker* breaker, std::uint64_t epoch, bool probe) noexcept
        : breaker_(breaker), epoch_(epoch), probe_(probe) {}

    CircuitBreaker* breaker_;
    std::uint64_t epoch_;
    bool probe_;
  };

  // Throws Error(ErrorKind::config) if the options are out of range.
  explicit CircuitBreaker(CircuitBreakerOptions options = {}, const Clock& clock = steady_clock());
  ~CircuitBreaker();
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // A permit, or nullopt when the breaker refuses the call (then raise open_error()).
  std::optional<Permit> try_acquire_permit();
  // The same without a Permit: report the outcome with on_success / on_error / on_failure.
  bool try_acquire();

  void on_success(Clock::duration latency);
  void on_error(const Error& error, Clock::duration latency);
  void on_failure(Clock::duration latency);

  // The state now (open turns into half_open here too when its time has come).
  CircuitState state() const;
  CircuitBreakerMetrics metrics() const;
  const CircuitBreakerOptions& options() const noexcept;
  const std::string& name() const noexcept;

  // Back to closed with an empty window and the initial open_duration.
  void reset();
  // Open until reset(): refuses every call, permits no probes. For maintenance and kill switches.
  void force_open();

  void add_listener(Listener listener);

  // The error a caller raises when the breaker refuses: ErrorKind::circuit_open, naming the
  // breaker, why it opened and when it will next permit a probe.
  Error open_error() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chconn
