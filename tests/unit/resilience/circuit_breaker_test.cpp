// CircuitBreaker: every transition, driven by a ManualClock; no sleeps.
#include "chconn/resilience/circuit_breaker.h"
#include "support/expect_error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace chconn {
namespace {

using chconn::test::expect_error;

using namespace std::chrono_literals;
using Transition = std::pair<CircuitState, CircuitState>;

Error network_error() { return Error(ErrorKind::network, "connection refused"); }
Error server_error(std::int32_t code) { return Error::from_server(code, "DB::Exception", "server said no"); }

// A count-based breaker with round numbers and no randomness.
CircuitBreakerOptions count_options() {
  return {.name = "db1:9000",
          .window_type = WindowType::count_based,
          .window_size = 10,
          .minimum_calls = 5,
          .failure_rate_threshold = 50.0,
          .open_duration = 10s,
          .open_duration_multiplier = 1.0,
          .open_duration_jitter = 0.0,
          .half_open_max_calls = 3,
          .max_half_open_duration = 30s};
}

void succeed(CircuitBreaker& b, int n, Clock::duration latency = 1ms) {
  for (int i = 0; i < n; ++i) {
    auto p = b.try_acquire_permit();
    ASSERT_TRUE(p.has_value());
    p->on_success(latency);
  }
}

void fail(CircuitBreaker& b, int n) {
  for (int i = 0; i < n; ++i) {
    auto p = b.try_acquire_permit();
    ASSERT_TRUE(p.has_value());
    p->on_error(network_error(), 1ms);
  }
}

// Records every transition a breaker reports.
struct Recorder {
  std::mutex mu;
  std::vector<Transition> seen;
  void attach(CircuitBreaker& b) {
    b.add_listener([this](CircuitState from, CircuitState to) {
      std::lock_guard lock(mu);
      seen.emplace_back(from, to);
    });
  }
  std::vector<Transition> get() {
    std::lock_guard lock(mu);
    return seen;
  }
};

TEST(CircuitBreaker, StateNames) {
  EXPECT_EQ(to_string(CircuitState::closed), "closed");
  EXPECT_EQ(to_string(CircuitState::open), "open");
  EXPECT_EQ(to_string(CircuitState::half_open), "half_open");
}

TEST(CircuitBreaker, DefaultsAreValidAndFinite) {
  const CircuitBreakerOptions o;
  EXPECT_EQ(o.window_type, WindowType::time_based);
  EXPECT_FALSE(o.slow_call_enabled);
  EXPECT_GT(o.open_duration, 0s);
  EXPECT_LT(o.max_open_duration, 1h);
  EXPECT_LT(o.max_half_open_duration, 1h);
  ManualClock clock;
  CircuitBreaker b(o, clock);
  EXPECT_EQ(b.state(), CircuitState::closed);
  EXPECT_TRUE(b.try_acquire());
}

TEST(CircuitBreaker, RejectsInvalidOptions) {
  ManualClock clock;
  auto expect_config_error = [&](CircuitBreakerOptions o) {
    expect_error(ErrorKind::config, [&] { CircuitBreaker b(std::move(o), clock); });
  };
  expect_config_error({.failure_rate_threshold = 0.0});
  expect_config_error({.failure_rate_threshold = 101.0});
  expect_config_error({.window_size = 0});
  expect_config_error({.window_duration = 0s});
  expect_config_error({.window_duration = 2h});
  expect_config_error({.minimum_calls = 0});
  expect_config_error({.open_duration = 0s});
  expect_config_error({.open_duration = 10s, .max_open_duration = 5s});
  expect_config_error({.open_duration_multiplier = 0.5});
  expect_config_error({.open_duration_jitter = 2.0});
  expect_config_error({.half_open_max_calls = 0});
  expect_config_error({.max_half_open_duration = 0s});
}

TEST(CircuitBreaker, OpensAtThresholdOnlyAfterMinimumCalls) {
  ManualClock clock;
  CircuitBreaker b(count_options(), clock);
  fail(b, 4);  // 100% failures, but only 4 of the 5 calls needed
  EXPECT_EQ(b.state(), CircuitState::closed);
  EXPECT_EQ(b.metrics().failure_rate, 100.0);
  fail(b, 1);
  EXPECT_EQ(b.state(), CircuitState::open);
}

TEST(CircuitBreaker, OpensExactlyAtTheRate) {
  ManualClock clock;
  CircuitBreaker b(count_options(), clock);
  succeed(b, 3);
  fail(b, 2);  // 2 of 5 = 40%
  EXPECT_EQ(b.state(), CircuitState::closed);
  succeed(b, 1);
  fail(b, 1);  // 3 of 7 = 42.9%
  EXPECT_EQ(b.state(), CircuitState::closed);
  fail(b, 1);  // 4 of 8 = 50%: threshold reached
  EXPECT_EQ(b.state(), CircuitState::open);
}

TEST(CircuitBreaker, CountWindowKeepsOnlyTheLastCalls) {
  ManualClock clock;
  auto o = count_options();
  o.window_size = 4;
  o.minimum_calls = 4;
  o.failure_rate_threshold = 75.0;
  CircuitBreaker b(o, clock);
  succeed(b, 4);
  fail(b, 2);  // window S S F F: 50%
  EXPECT_EQ(b.state(), CircuitState::closed);
  EXPECT_EQ(b.metrics().calls, 4u);
  fail(b, 1);  // window S F F F: 75%
  EXPECT_EQ(b.state(), CircuitState::open);
}

TEST(CircuitBreaker, MinimumCallsIsCappedByCountWindow) {
  ManualClock clock;
  auto o = count_options();
  o.window_size = 3;
  o.minimum_calls = 100;
  CircuitBreaker b(o, clock);
  fail(b, 3);
  EXPECT_EQ(b.state(), CircuitState::open);
}

TEST(CircuitBreaker, OpenRejectsAndSaysWhyAndUntilWhen) {
  ManualClock clock;
  CircuitBreaker b(count_options(), clock);
  fail(b, 5);
  ASSERT_EQ(b.state(), CircuitState::open);
  EXPECT_FALSE(b.try_acquire_permit().has_value());
  EXPECT_FALSE(b.try_acquire());
  EXPECT_EQ(b.metrics().not_permitted, 2u);
  EXPECT_EQ(b.metrics().time_until_half_open, 10s);

  clock.advance(1500ms);
  const Error e = b.open_error();
  EXPECT_EQ(e.kind(), ErrorKind::circuit_open);
  EXPECT_FALSE(e.retryable());
  const std::string msg = e.message();
  EXPECT_NE(msg.find("'db1:9000'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("100.0% of the last 5 calls failed"), std::string::npos) << msg;
  EXPECT_NE(msg.find("probe call in 8500 ms"), std::string::npos) << msg;
}

TEST(CircuitBreaker, OpenTurnsHalfOpenWhenOpenDurationHasPassed) {
  ManualClock clock;
  Recorder rec;
  CircuitBreaker b(count_options(), clock);
  rec.attach(b);
  fail(b, 5);
  clock.advance(10s - 1ns);
  EXPECT_EQ(b.state(), CircuitState::open);
  EXPECT_FALSE(b.try_acquire_permit().has_value());
  clock.advance(1ns);
  EXPECT_EQ(b.metrics().time_until_half_open, 0s);
  auto p = b.try_acquire_permit();
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->is_probe());
  EXPECT_EQ(b.state(), CircuitState::half_open);
  EXPECT_EQ(rec.get(), (std::vector<Transition>{{CircuitState::closed, CircuitState::open},
                                                {CircuitState::open, CircuitState::half_open}}));
}

TEST(CircuitBreaker, HalfOpenPermitsExactlyMaxCallsProbes) {
  ManualClock clock;
  CircuitBreaker b(count_options(), clock);
  fail(b, 5);
  clock.advance(10s);
  std::vector<CircuitBreaker::Permit> probes;
  for (int i = 0; i < 3; ++i) {
    auto p = b.try_acquire_permit();
    ASSERT_TRUE(p.has_value()) << i;
    probes.push_back(std::move(*p));
  }
  EXPECT_FALSE(b.try_acquire_permit().has_value());
  EXPECT_EQ(b.metrics().probes_permitted, 3u);
  const std::string msg = b.open_error().message();
  EXPECT_NE(msg.find("half-open"), std::string::npos) << msg;

  // A probe given back without an outcome frees its slot: nothing is recorded.
  probes.pop_back();
  EXPECT_EQ(b.metrics().probes_permitted, 2u);
  EXPECT_EQ(b.state(), CircuitState::half_open);
  auto again = b.try_acquire_permit();
  EXPECT_TRUE(again.has_value());
  EXPECT_FALSE(b.try_acquire_permit().has_value());
}

TEST(CircuitBreaker, SuccessfulProbesClose) {
  ManualClock clock;
  Recorder rec;
  CircuitBreaker b(count_options(), clock);
  rec.attach(b);
  fail(b, 5);
  clock.advance(10s);
  succeed(b, 2);
  EXPECT_EQ(b.state(), CircuitState::half_open);
  succeed(b, 1);
  EXPECT_EQ(b.state(), CircuitState::closed);
  const auto m = b.metrics();
  EXPECT_EQ(m.calls, 0u);  // a fresh window
  EXPECT_EQ(m.consecutive_trips, 0u);
  EXPECT_EQ(m.last_transition, clock.now());
  EXPECT_EQ(rec.get().back(), Transition(CircuitState::half_open, CircuitState::closed));
}

TEST(CircuitBreaker, FailedProbeReopens) {
  ManualClock clock;
  Recorder rec;
  CircuitBreaker b(count_options(), clock);
  rec.attach(b);
  fail(b, 5);
  clock.advance(10s);
  succeed(b, 1);
  auto p = b.try_acquire_permit();
  ASSERT_TRUE(p.has_value());
  auto other = b.try_acquire_permit();
  ASSERT_TRUE(other.has_value());
  p->on_error(Error(ErrorKind::timeout, "receive timed out"), 5s);
  EXPECT_EQ(b.state(), CircuitState::open);
  EXPECT_EQ(b.metrics().consecutive_trips, 2u);
  EXPECT_NE(b.open_error().message().find("a probe call failed"), std::string::npos);
  // The other probe's late success belongs to the previous half-open and is ignored.
  other->on_success(1ms);
  EXPECT_EQ(b.state(), CircuitState::open);
  EXPECT_EQ(rec.get().back(), Transition(CircuitState::half_open, CircuitState::open));
}

TEST(CircuitBreaker, OpenDurationGrowsOnRepeatedTripsUpToTheCap) {
  ManualClock clock;
  auto o = count_options();
  o.open_duration_multiplier = 2.0;
  o.max_open_duration = 35s;
  o.half_open_max_calls = 1;
  CircuitBreaker b(o, clock);
  fail(b, 5);
  const std::vector<Clock::duration> expected = {10s, 20s, 35s, 35s};
  for (std::size_t trip = 0; trip < expected.size(); ++trip) {
    ASSERT_EQ(b.state(), CircuitState::open);
    EXPECT_EQ(b.metrics().time_until_half_open, expected[trip]) << "trip " << trip + 1;
    clock.advance(expected[trip]);
    fail(b, 1);  // the probe fails
  }
  // Closing resets the growth.
  clock.advance(35s);
  succeed(b, 1);
  ASSERT_EQ(b.state(), CircuitState::closed);
  fail(b, 5);
  EXPECT_EQ(b.metrics().time_until_half_open, 10s);
}

TEST(CircuitBreaker, JitterOnlyLengthensTheWaitWithinItsFraction) {
  std::vector<Clock::duration> waits;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    ManualClock clock;
    auto o = count_options();
    o.open_duration_jitter = 0.5;
    o.random_seed = seed;
    CircuitBreaker b(o, clock);
    fail(b, 5);
    const auto wait = b.metrics().time_until_half_open;
    EXPECT_GE(wait, 10s);
    EXPECT_LE(wait, 15s);
    waits.push_back(wait);
  }
  std::sort(waits.begin(), waits.end());
  EXPECT_NE(waits.front(), waits.back()) << "jitter spreads the probes";
}

TEST(CircuitBreaker, StuckHalfOpenReopensWhenNoProbeSucceeded) {
  ManualClock clock;
  Recorder rec;
  CircuitBreaker b(count_options(), clock);
  rec.attach(b);
  fail(b, 5);
  clock.advance(10s);
  // Three probes taken and never reported (e.g. a caller that leaked its permit).
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(b.try_acquire());
  EXPECT_FALSE(b.try_acquire());
  clock.advance(30s - 1ns);
  EXPECT_EQ(b.state(), CircuitState::half_open);
  clock.advance(1ns);
  EXPECT_EQ(b.state(), CircuitState::open);
  EXPECT_NE(b.open_error().message().find("no probe call succeeded"), std::string::npos);
  // And it goes on: a new half-open with fresh probe slots after the open duration.
  clock.advance(10s);
  EXPECT_TRUE(b.try_acquire());
  EXPECT_EQ(b.state(), CircuitState::half_open);
  EXPECT_EQ(rec.get(), (std::vector<Transition>{{CircuitState::closed, CircuitState::open},
                                                {CircuitState::open, CircuitState::half_open},
                                                {CircuitState::half_open, CircuitState::open},
                                                {CircuitState::open, CircuitState::half_open}}));
}

TEST(CircuitBreaker, StuckHalfOpenClosesWhenAProbeSucceeded) {
  ManualClock clock;
  CircuitBreaker b(count_options(), clock);
  fail(b, 5);
  clock.advance(10s);
  auto slow1 = b.try_acquire_permit();
  auto slow2 = b.try_acquire_permit();
  succeed(b, 1);
  EXPECT_FALSE(b.try_acquire_permit().has_value());
  clock.advance(30s);
  EXPECT_EQ(b.state(), CircuitState::closed);
  // The stuck probes report much later: stale, ignored.
  slow1->on_error(network_error(), 40s);
  slow2->on_error(network_error(), 40s);
  EXPECT_EQ(b.state(), CircuitState::closed);
  EXPECT_EQ(b.metrics().calls, 0u);
}

TEST(CircuitBreaker, LateProbeOutcomeCountsBeforeTheTimeoutIsApplied) {
  ManualClock clock;
  auto o = count_options();
  o.half_open_max_calls = 1;
  CircuitBreaker b(o, clock);
  fail(b, 5);
  clock.advance(10s);
  auto probe = b.try_acquire_permit();
  ASSERT_TRUE(probe.has_value());
  clock.advance(45s);  // past max_half_open_duration, nobody looked at the breaker meanwhile
  probe->on_success(45s);
  EXPECT_EQ(b.state(), CircuitState::closed);
}

TEST(CircuitBreaker, TimeWindowForgetsOldCalls) {
  ManualClock clock;
  CircuitBreaker b({.name = "t",
                    .window_type = WindowType::time_based,
                    .window_duration = 10s,
                    .minimum_calls = 4,
                    .failure_rate_threshold = 50.0,
                    .open_duration_jitter = 0.0},
                   clock);
  fail(b, 3);
  EXPECT_EQ(b.metrics().calls, 3u);
  clock.advance(11s);
  EXPECT_EQ(b.metrics().calls, 0u);
  fail(b, 1);  // had the old failures counted, 4 of 4 would open it
  EXPECT_EQ(b.state(), CircuitState::closed);
  succeed(b, 2);
  EXPECT_EQ(b.metrics().calls, 3u);
  clock.advance(5s);
  fail(b, 1);  // 2 of 4 = 50% within the window
  EXPECT_EQ(b.state(), CircuitState::open);
}

TEST(CircuitBreaker, TimeWindowSlidesSecondBySecond) {
  ManualClock clock;
  CircuitBreaker b({.window_type = WindowType::time_based, .window_duration = 3s, .minimum_calls = 100}, clock);
  for (int s = 0; s < 6; ++s) {
    succeed(b, 1);
    EXPECT_EQ(b.metrics().calls, static_cast<std::uint64_t>(std::min(s + 1, 3))) << s;
    clock.advance(1s);
  }
  clock.advance(1h);
  EXPECT_EQ(b.metrics().calls, 0u);
}

TEST(CircuitBreaker, SlowCallsDoNotCountUnlessEnabled) {
  ManualClock clock;
  auto o = count_options();
  CircuitBreaker off(o, clock);
  succeed(off, 10, 10min);
  EXPECT_EQ(off.state(), CircuitState::closed);
  EXPECT_EQ(off.metrics().slow_calls, 0u);

  o.slow_call_enabled = true;
  o.slow_call_duration = 2s;
  o.slow_call_rate_threshold = 50.0;
  CircuitBreaker on(o, clock);
  succeed(on, 3, 1s);
  succeed(on, 1, 2s);  // at the threshold counts as slow
  EXPECT_EQ(on.state(), CircuitState::closed);
  EXPECT_EQ(on.metrics().slow_calls, 1u);
  succeed(on, 1, 5s);  // 2 of 5 slow
  EXPECT_EQ(on.state(), CircuitState::closed);
  succeed(on, 1, 5s);  // 3 of 6 slow: 50%
  EXPECT_EQ(on.state(), CircuitState::open);
  EXPECT_EQ(on.metrics().failed_calls, 0u);
  EXPECT_NE(on.open_error().message().find("took longer than 2 s"), std::string::npos);
  // In half-open, a slow probe is a failed probe.
  clock.advance(10s);
  succeed(on, 1, 3s);
  EXPECT_EQ(on.state(), CircuitState::open);
}

TEST(CircuitBreaker, QueryAndAuthErrorsNeverOpenIt) {
  ManualClock clock;
  CircuitBreaker b(count_options(), clock);
  for (int i = 0; i < 100; ++i) {
    auto p = b.try_acquire_permit();
    ASSERT_TRUE(p.has_value());
    p->on_error(server_error(i % 2 == 0 ? server_codes::syntax_error : server_codes::wrong_password), 1ms);
  }
  EXPECT_EQ(b.state(), CircuitState::closed);
  const auto m = b.metrics();
  EXPECT_EQ(m.calls, 10u);  // the server answered: recorded as successes
  EXPECT_EQ(m.failed_calls, 0u);
  // Errors that say nothing about the host are not recorded at all.
  for (const Error& e : {Error(ErrorKind::usage, "bad column"), Error(ErrorKind::cancelled, "cancelled"),
                         Error(ErrorKind::pool_exhausted, "pool"), Error(ErrorKind::circuit_open, "open")}) {
    b.on_error(e, 1ms);
  }
  fail(b, 4);  // 4 failures in the last 10 calls (6 successes): 40%
  EXPECT_EQ(b.state(), CircuitState::closed);
}

TEST(CircuitBreaker, HostErrorsOpenIt) {
  ManualClock clock;
  for (const Error& e :
       {network_error(), Error(ErrorKind::timeout, "t"), Error(ErrorKind::protocol, "p"),
        server_error(server_codes::network_error), server_error(server_codes::memory_limit_exceeded)}) {
    CircuitBreaker b(count_options(), clock);
    for (int i = 0; i < 5; ++i) b.on_error(e, 1ms);
    EXPECT_EQ(b.state(), CircuitState::open) << e.what();
  }
}

TEST(CircuitBreaker, ServerAnswerIsASuccessfulProbe) {
  ManualClock clock;
  auto o = count_options();
  o.half_open_max_calls = 1;
  CircuitBreaker b(o, clock);
  fail(b, 5);
  clock.advance(10s);
  auto p = b.try_acquire_permit();
  ASSERT_TRUE(p.has_value());
  p->on_error(server_error(server_codes::syntax_error), 1ms);
  EXPECT_EQ(b.state(), CircuitState::closed);
}

TEST(CircuitBreaker, BoolApiWithOutcomeMethods) {
  ManualClock clock;
  CircuitBreaker b(count_options(), clock);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(b.try_acquire());
    b.on_failure(1ms);
  }
  EXPECT_FALSE(b.try_acquire());
  clock.advance(10s);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(b.try_acquire());
  EXPECT_FALSE(b.try_acquire());
  for (int i = 0; i < 3; ++i) b.on_success(1ms);
  EXPECT_EQ(b.state(), CircuitState::closed);
}

TEST(CircuitBreaker, PermitDroppedWithoutOutcomeRecordsNothing) {
  ManualClock clock;
  CircuitBreaker b(count_options(), clock);
  for (int i = 0; i < 20; ++i) {
    auto p = b.try_acquire_permit();
    ASSERT_TRUE(p.has_value());
  }
  EXPECT_EQ(b.metrics().calls, 0u);
  auto p = b.try_acquire_permit();
  p->on_success(1ms);
  EXPECT_FALSE(p->active());
  p->on_failure(1ms);  // a second outcome is ignored
  EXPECT_EQ(b.metrics().calls, 1u);
  EXPECT_EQ(b.metrics().failed_calls, 0u);
}

TEST(CircuitBreaker, PermitsMoveAndOutcomesOfOldEpochsAreIgnored) {
  ManualClock clock;
  CircuitBreaker b(count_options(), clock);
  auto started_while_closed = b.try_acquire_permit();
  ASSERT_TRUE(started_while_closed.has_value());
  CircuitBreaker::Permit moved = std::move(*started_while_closed);
  EXPECT_FALSE(started_while_closed->active());
  EXPECT_TRUE(moved.active());
  b.reset();
  moved.on_failure(1ms);  // started before the reset
  EXPECT_EQ(b.metrics().calls, 0u);
}

TEST(CircuitBreaker, ForceOpenHoldsUntilReset) {
  ManualClock clock;
  Recorder rec;
  CircuitBreaker b(count_options(), clock);
  rec.attach(b);
  b.force_open();
  clock.advance(24h);
  EXPECT_EQ(b.state(), CircuitState::open);
  EXPECT_FALSE(b.try_acquire());
  const auto m = b.metrics();
  EXPECT_TRUE(m.forced_open);
  EXPECT_EQ(m.time_until_half_open, Clock::duration::max());
  EXPECT_NE(b.open_error().message().find("forced open"), std::string::npos);
  b.reset();
  EXPECT_EQ(b.state(), CircuitState::closed);
  EXPECT_FALSE(b.metrics().forced_open);
  EXPECT_TRUE(b.try_acquire());
  EXPECT_EQ(rec.get(), (std::vector<Transition>{{CircuitState::closed, CircuitState::open},
                                                {CircuitState::open, CircuitState::closed}}));
}

TEST(CircuitBreaker, ListenersSeeEveryTransitionOnceAndMayCallBack) {
  ManualClock clock;
  CircuitBreaker b(count_options(), clock);
  std::vector<Transition> seen;
  std::vector<CircuitState> states_seen_inside;
  b.add_listener([&](CircuitState from, CircuitState to) {
    seen.emplace_back(from, to);
    states_seen_inside.push_back(b.state());  // no deadlock: called without the lock
  });
  int second = 0;
  b.add_listener([&](CircuitState, CircuitState) { ++second; });
  b.add_listener([](CircuitState, CircuitState) { throw std::runtime_error("listener bug"); });
  fail(b, 5);
  clock.advance(10s);
  succeed(b, 3);
  fail(b, 5);
  clock.advance(10s);
  fail(b, 1);
  b.reset();
  const std::vector<Transition> expected = {
      {CircuitState::closed, CircuitState::open},      {CircuitState::open, CircuitState::half_open},
      {CircuitState::half_open, CircuitState::closed}, {CircuitState::closed, CircuitState::open},
      {CircuitState::open, CircuitState::half_open},   {CircuitState::half_open, CircuitState::open},
      {CircuitState::open, CircuitState::closed}};
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(second, static_cast<int>(expected.size()));
  ASSERT_EQ(states_seen_inside.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(states_seen_inside[i], expected[i].second) << i;
}

TEST(CircuitBreaker, OpenErrorWithoutNameAndAfterRepeatedTrips) {
  ManualClock clock;
  auto o = count_options();
  o.name.clear();
  o.half_open_max_calls = 1;
  CircuitBreaker b(o, clock);
  fail(b, 5);
  clock.advance(10s);
  fail(b, 1);
  const std::string msg = b.open_error().message();
  EXPECT_EQ(msg.rfind("circuit breaker is open", 0), 0u) << msg;
  EXPECT_NE(msg.find("opened 2 times in a row"), std::string::npos) << msg;
}

// Two threads hammer one breaker while the clock moves; run under TSan. Checks that listeners see
// a consistent chain of transitions and that half-open never permits more than its probes.
TEST(CircuitBreaker, TwoThreadStress) {
  ManualClock clock;
  CircuitBreaker b({.name = "stress",
                    .window_type = WindowType::count_based,
                    .window_size = 20,
                    .minimum_calls = 10,
                    .failure_rate_threshold = 50.0,
                    .open_duration = 1ms,
                    .open_duration_multiplier = 2.0,
                    .max_open_duration = 4ms,
                    .open_duration_jitter = 0.2,
                    .random_seed = 7,
                    .half_open_max_calls = 2,
                    .max_half_open_duration = 3ms},
                   clock);
  Recorder rec;
  rec.attach(b);
  std::atomic<int> probes_in_flight{0};
  std::atomic<int> max_probes_in_flight{0};
  constexpr int k_iterations = 20000;

  auto worker = [&](std::uint32_t seed) {
    std::uint32_t x = seed;
    auto rnd = [&x] {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      return x;
    };
    for (int i = 0; i < k_iterations; ++i) {
      if (rnd() % 4 == 0) clock.advance(100us);
      auto p = b.try_acquire_permit();
      if (!p) {
        if (rnd() % 64 == 0) (void)b.open_error();
        continue;
      }
      const bool probe = p->is_probe();
      if (probe) {
        const int now = ++probes_in_flight;
        int prev = max_probes_in_flight.load();
        while (now > prev && !max_probes_in_flight.compare_exchange_weak(prev, now)) {
        }
      }
      switch (rnd() % 8) {
        case 0:
        case 1:
        case 2: p->on_error(network_error(), 1ms); break;
        case 3: p->on_error(server_error(server_codes::syntax_error), 1ms); break;
        case 4: p->release(); break;
        default: p->on_success(1ms); break;
      }
      if (probe) --probes_in_flight;
      if (rnd() % 256 == 0) {
        const auto m = b.metrics();
        EXPECT_LE(m.probes_permitted, 2u);
        EXPECT_LE(m.calls, 20u);
      }
    }
  };
  std::thread t1(worker, 12345u);
  std::thread t2(worker, 67890u);
  t1.join();
  t2.join();

  const CircuitState final_state = b.state();  // may itself move the breaker; read it first
  const auto seen = rec.get();
  RecordProperty("transitions", static_cast<int>(seen.size()));
  RecordProperty("not_permitted", static_cast<int>(b.metrics().not_permitted));
  EXPECT_GT(seen.size(), 10u) << "the stress test should exercise transitions";
  CircuitState current = CircuitState::closed;
  for (const auto& [from, to] : seen) {
    EXPECT_EQ(from, current);
    EXPECT_NE(from, to);
    current = to;
  }
  EXPECT_EQ(current, final_state);
  EXPECT_LE(max_probes_in_flight.load(), 2);
}

}  // namespace
}  // namespace chconn
