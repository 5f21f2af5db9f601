// RetryPolicy, RetryBudget and run_with_retry on a ManualClock with a ManualSleeper; no sleeps.
#include "chconn/resilience/retry.h"
#include "support/expect_error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace chconn {
namespace {

using namespace std::chrono_literals;

Error network_error() { return Error(ErrorKind::network, "connection reset by peer"); }
Error syntax_error() { return Error::from_server(server_codes::syntax_error, "DB::Exception", "Syntax error"); }

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

TEST(RetryPolicy, DefaultsAreFinite) {
  const RetryOptions o;
  EXPECT_EQ(o.max_attempts, 3);
  EXPECT_GT(o.base_delay, 0s);
  EXPECT_LE(o.max_delay, 1min);
  EXPECT_LE(o.overall_timeout, 10min);
  const RetryBudgetOptions b;
  EXPECT_DOUBLE_EQ(b.ratio, 0.2);
  EXPECT_GT(b.min_retries_per_second, 0.0);
}

TEST(RetryPolicy, RejectsInvalidOptions) {
  for (const RetryOptions& o : {RetryOptions{.max_attempts = 0}, RetryOptions{.base_delay = -1ms},
                                RetryOptions{.base_delay = 2s, .max_delay = 1s}, RetryOptions{.overall_timeout = 0s}}) {
    EXPECT_THROW(RetryPolicy{o}, Error);
  }
  ManualClock clock;
  EXPECT_THROW(RetryBudget({.ratio = -0.1}, clock), Error);
  EXPECT_THROW(RetryBudget({.window = 0s}, clock), Error);
  EXPECT_THROW(RetryBudget({.min_retries_per_second = -1.0}, clock), Error);
}

TEST(RetryPolicy, BackoffBoundDoublesUpToTheCap) {
  RetryPolicy p({.base_delay = 100ms, .max_delay = 1s});
  EXPECT_EQ(p.backoff_bound(1), 100ms);
  EXPECT_EQ(p.backoff_bound(2), 200ms);
  EXPECT_EQ(p.backoff_bound(3), 400ms);
  EXPECT_EQ(p.backoff_bound(4), 800ms);
  EXPECT_EQ(p.backoff_bound(5), 1s);
  EXPECT_EQ(p.backoff_bound(64), 1s);
  EXPECT_EQ(p.backoff_bound(1000), 1s);
  EXPECT_EQ(p.backoff_bound(0), 100ms);
}

TEST(RetryPolicy, FullJitterStaysWithinBoundsAndIsReproducible) {
  const RetryOptions o{.max_attempts = 10, .base_delay = 50ms, .max_delay = 2s, .random_seed = 42};
  RetryPolicy a(o);
  RetryPolicy b(o);
  RetryPolicy other({.max_attempts = 10, .base_delay = 50ms, .max_delay = 2s, .random_seed = 43});
  bool differs = false;
  for (int round = 0; round < 200; ++round) {
    for (int n = 1; n <= 8; ++n) {
      const Clock::duration bound = std::min<Clock::duration>(2s, 50ms * (1 << (n - 1)));
      const Clock::duration d = a.backoff(n);
      EXPECT_GE(d, 0ns);
      EXPECT_LE(d, bound) << "attempt " << n;
      EXPECT_EQ(d, b.backoff(n)) << "same seed, same sequence";
      differs = differs || d != other.backoff(n);
    }
  }
  EXPECT_TRUE(differs);
}

TEST(RetryPolicy, JitterCoversTheRange) {
  RetryPolicy p({.base_delay = 1s, .max_delay = 1s, .random_seed = 1});
  Clock::duration lo = 1s, hi = 0s;
  for (int i = 0; i < 1000; ++i) {
    const auto d = p.backoff(1);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_LT(lo, 50ms);
  EXPECT_GT(hi, 950ms);
}

TEST(RetryPolicy, DecideChecksEachRule) {
  ManualClock clock;
  RetryPolicy p({.max_attempts = 3, .random_seed = 1});
  const RetryContext read;
  EXPECT_EQ(p.decide(network_error(), 1, read, clock).verdict, RetryVerdict::retry);
  EXPECT_EQ(p.decide(network_error(), 2, read, clock).verdict, RetryVerdict::retry);
  EXPECT_EQ(p.decide(network_error(), 3, read, clock).verdict, RetryVerdict::attempts_exhausted);
  EXPECT_EQ(p.decide(syntax_error(), 1, read, clock).verdict, RetryVerdict::not_retryable);
  EXPECT_EQ(p.decide(Error(ErrorKind::circuit_open, "open"), 1, read, clock).verdict, RetryVerdict::not_retryable);
  EXPECT_EQ(p.decide(network_error(), 1, {.idempotent = false}, clock).verdict, RetryVerdict::not_idempotent);
  EXPECT_EQ(p.decide(network_error(), 1, {.rows_delivered = true}, clock).verdict, RetryVerdict::rows_delivered);
  EXPECT_EQ(p.decide(network_error(), 1, {.deadline = Deadline::after(0s, clock)}, clock).verdict,
            RetryVerdict::deadline);
  EXPECT_TRUE(p.should_retry(Error(ErrorKind::timeout, "t"), 1, read, clock));
  EXPECT_TRUE(p.should_retry(Error::from_server(server_codes::too_many_simultaneous_queries, "", ""), 1, read, clock));
  EXPECT_FALSE(p.should_retry(Error::from_server(server_codes::wrong_password, "", ""), 1, read, clock));
}

TEST(RetryPolicy, NoWaitIsScheduledPastTheDeadline) {
  ManualClock clock;
  RetryPolicy p({.max_attempts = 100, .base_delay = 1s, .max_delay = 1s, .random_seed = 3});
  const RetryContext ctx{.deadline = Deadline::after(500ms, clock)};
  for (int i = 0; i < 200; ++i) {
    const RetryDecision d = p.decide(network_error(), 1, ctx, clock);
    if (d.retry()) {
      EXPECT_LT(clock.now() + d.delay, ctx.deadline.when());
    } else {
      EXPECT_EQ(d.verdict, RetryVerdict::deadline);
      EXPECT_GE(clock.now() + d.delay, ctx.deadline.when());
    }
  }
}

TEST(RunWithRetry, AttemptsAreBoundedAndTheLastErrorIsAnnotated) {
  ManualClock clock;
  ManualSleeper sleeper(clock);
  RetryPolicy policy({.max_attempts = 4, .base_delay = 100ms, .max_delay = 250ms, .random_seed = 9});
  int calls = 0;
  const Error e = test::thrown_error([&] {
    run_with_retry(
        [&]() -> int {
          ++calls;
          throw network_error();
        },
        policy, nullptr, clock, sleeper);
  });
  EXPECT_EQ(e.kind(), ErrorKind::network);
  EXPECT_TRUE(contains(e.message(), "failed after 4 attempts")) << e.message();
  EXPECT_TRUE(contains(e.message(), "connection reset by peer")) << e.message();
  EXPECT_EQ(calls, 4);
  const auto sleeps = sleeper.sleeps();
  ASSERT_EQ(sleeps.size(), 3u);
  EXPECT_LE(sleeps[0], 100ms);
  EXPECT_LE(sleeps[1], 200ms);
  EXPECT_LE(sleeps[2], 250ms);
}

TEST(RunWithRetry, ReturnsTheResultOnceAnAttemptSucceeds) {
  ManualClock clock;
  ManualSleeper sleeper(clock);
  RetryPolicy policy({.random_seed = 1});
  std::vector<int> attempts;
  const std::string result = run_with_retry(
      [&](int attempt) {
        attempts.push_back(attempt);
        if (attempt < 3) throw Error(ErrorKind::timeout, "receive timed out");
        return std::string("ok");
      },
      policy, nullptr, clock, sleeper);
  EXPECT_EQ(result, "ok");
  EXPECT_EQ(attempts, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(sleeper.sleeps().size(), 2u);

  int void_calls = 0;
  run_with_retry([&] { ++void_calls; }, policy, nullptr, clock, sleeper);
  EXPECT_EQ(void_calls, 1);
}

TEST(RunWithRetry, NonRetryableErrorIsRethrownUnchanged) {
  ManualClock clock;
  ManualSleeper sleeper(clock);
  RetryPolicy policy;
  int calls = 0;
  const Error e = test::thrown_error([&] {
    run_with_retry(
        [&] {
          ++calls;
          throw syntax_error();
        },
        policy, nullptr, clock, sleeper);
  });
  EXPECT_EQ(e.server_code(), server_codes::syntax_error);
  EXPECT_EQ(e.message(), "Syntax error");
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(sleeper.sleeps().empty());
}

TEST(RunWithRetry, NonIdempotentIsNotRetried) {
  ManualClock clock;
  ManualSleeper sleeper(clock);
  RetryPolicy policy;
  RetryContext insert{.idempotent = false};
  int calls = 0;
  const Error e = test::thrown_error([&] {
    run_with_retry(
        [&] {
          ++calls;
          throw network_error();
        },
        policy, nullptr, clock, sleeper, insert);
  });
  EXPECT_TRUE(contains(e.message(), "attempt 1 of 3, not retried: the operation is not idempotent")) << e.message();
  EXPECT_EQ(calls, 1);

  // The same INSERT marked safe to repeat is retried.
  RetryContext safe_insert{.idempotent = true};
  calls = 0;
  EXPECT_THROW(run_with_retry(
                   [&] {
                     ++calls;
                     throw network_error();
                   },
                   policy, nullptr, clock, sleeper, safe_insert),
               Error);
  EXPECT_EQ(calls, 3);
}

TEST(RunWithRetry, NoRetryAfterRowsReachedTheCaller) {
  ManualClock clock;
  ManualSleeper sleeper(clock);
  RetryPolicy policy;
  RetryContext ctx;
  int calls = 0;
  const Error e = test::thrown_error([&] {
    run_with_retry(
        [&] {
          ++calls;
          ctx.rows_delivered = true;  // the first block went to the callback
          throw network_error();
        },
        policy, nullptr, clock, sleeper, ctx);
  });
  EXPECT_TRUE(contains(e.message(), "rows were already delivered")) << e.message();
  EXPECT_EQ(calls, 1);
}

TEST(RunWithRetry, RespectsTheDeadline) {
  ManualClock clock;
  ManualSleeper sleeper(clock);
  RetryPolicy policy({.max_attempts = 100, .base_delay = 300ms, .max_delay = 300ms, .random_seed = 5});
  const Clock::time_point start = clock.now();
  RetryContext ctx{.deadline = Deadline::after(2s, clock)};
  std::vector<Clock::time_point> starts;
  const Error e = test::thrown_error([&] {
    run_with_retry(
        [&] {
          starts.push_back(clock.now());
          clock.advance(100ms);  // each attempt takes time too
          throw network_error();
        },
        policy, nullptr, clock, sleeper, ctx);
  });
  EXPECT_TRUE(contains(e.message(), "past the deadline")) << e.message();
  // Every attempt started before the deadline; the one that was refused would not have.
  for (const auto t : starts) EXPECT_LT(t, start + 2s);
  EXPECT_GT(starts.size(), 3u);
  EXPECT_LT(starts.size(), 100u);
}

// A wait that overran (a descheduled thread, a suspended laptop) must not start an attempt after
// the deadline: it could not finish within it, and it would still send the server work.
TEST(RunWithRetry, NoAttemptStartsAfterAWaitThatOverranTheDeadline) {
  ManualClock clock;
  // Sleeps 1 s whatever it is asked for.
  class Oversleeper final : public Sleeper {
   public:
    explicit Oversleeper(ManualClock& c) : clock_(c) {}
    void sleep_for(Clock::duration) override { clock_.advance(1s); }

   private:
    ManualClock& clock_;
  } sleeper(clock);
  RetryPolicy policy({.max_attempts = 5, .base_delay = 10ms, .max_delay = 10ms, .random_seed = 5});
  RetryContext ctx{.deadline = Deadline::after(500ms, clock)};
  int attempts = 0;
  const Error e = test::thrown_error([&] {
    run_with_retry(
        [&] {
          ++attempts;
          throw network_error();
        },
        policy, nullptr, clock, sleeper, ctx);
  });
  EXPECT_EQ(e.kind(), ErrorKind::network);
  EXPECT_TRUE(contains(e.message(), "attempt 1 of 5, not retried")) << e.message();
  EXPECT_TRUE(contains(e.message(), "past the deadline")) << e.message();
  EXPECT_EQ(attempts, 1);
}

TEST(RunWithRetry, OverallTimeoutNarrowsTheDeadline) {
  ManualClock clock;
  ManualSleeper sleeper(clock);
  RetryPolicy policy({.max_attempts = 100, .base_delay = 1s, .max_delay = 1s, .overall_timeout = 3s, .random_seed = 5});
  const Clock::time_point start = clock.now();
  RetryContext ctx;  // no deadline of its own
  EXPECT_THROW(run_with_retry([&] { throw network_error(); }, policy, nullptr, clock, sleeper, ctx), Error);
  EXPECT_EQ(ctx.deadline.when(), start + 3s);
  EXPECT_LT(clock.now(), start + 3s);
}

TEST(RunWithRetry, OtherExceptionsPropagateAtOnce) {
  ManualClock clock;
  ManualSleeper sleeper(clock);
  RetryPolicy policy;
  int calls = 0;
  EXPECT_THROW(run_with_retry(
                   [&] {
                     ++calls;
                     throw std::logic_error("bug");
                   },
                   policy, nullptr, clock, sleeper),
               std::logic_error);
  EXPECT_EQ(calls, 1);
}

TEST(RetryBudget, FloorLetsAQuietClientRetry) {
  ManualClock clock;
  RetryBudget budget({.ratio = 0.2, .window = 10s, .min_retries_per_second = 1.0}, clock);
  for (int i = 0; i < 5; ++i) budget.record_request();
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(budget.try_acquire_retry()) << i;  // floor: 1/s * 10 s
  EXPECT_FALSE(budget.try_acquire_retry());
  EXPECT_EQ(budget.rejected(), 1u);
  const auto m = budget.metrics();
  EXPECT_EQ(m.requests_in_window, 5u);
  EXPECT_EQ(m.retries_in_window, 10u);
  EXPECT_EQ(m.retries_allowed, 10u);
  EXPECT_EQ(m.retries_granted, 10u);
  EXPECT_EQ(m.retries_rejected, 1u);
}

TEST(RetryBudget, RatioOfRecentRequests) {
  ManualClock clock;
  RetryBudget budget({.ratio = 0.2, .window = 10s, .min_retries_per_second = 0.0}, clock);
  for (int i = 0; i < 100; ++i) budget.record_request();
  int granted = 0;
  while (budget.try_acquire_retry()) ++granted;
  EXPECT_EQ(granted, 20);
  // The window slides: once the requests age out, so does the allowance.
  clock.advance(11s);
  EXPECT_EQ(budget.metrics().requests_in_window, 0u);
  EXPECT_FALSE(budget.try_acquire_retry());
  for (int i = 0; i < 10; ++i) budget.record_request();
  EXPECT_TRUE(budget.try_acquire_retry());
  EXPECT_TRUE(budget.try_acquire_retry());
  EXPECT_FALSE(budget.try_acquire_retry());
}

// A whole outage: 1000 requests, every attempt fails. Without a budget that is 3000 attempts;
// with one, retries stay within 20% of the requests plus the floor.
TEST(RetryBudget, CapsRetriesDuringAnOutage) {
  ManualClock clock;
  ManualSleeper sleeper(clock);
  RetryPolicy policy({.max_attempts = 3, .base_delay = 0ms, .max_delay = 0ms, .random_seed = 1});
  RetryBudget budget({.ratio = 0.2, .window = 10s, .min_retries_per_second = 1.0}, clock);
  constexpr int k_requests = 1000;
  int attempts = 0;
  int budget_refusals = 0;
  for (int i = 0; i < k_requests; ++i) {
    clock.advance(5ms);  // 1000 requests in 5 s, all inside the window
    try {
      run_with_retry(
          [&] {
            ++attempts;
            throw network_error();
          },
          policy, &budget, clock, sleeper);
    } catch (const Error& e) {
      if (contains(e.message(), "retry budget is exhausted")) ++budget_refusals;
    }
  }
  const int retries = attempts - k_requests;
  RecordProperty("retries", retries);
  RecordProperty("budget_refusals", budget_refusals);
  EXPECT_LE(retries, 200 + 10);
  EXPECT_GE(retries, 190);  // the budget is used, not just refused
  EXPECT_GT(budget_refusals, 700);
  EXPECT_EQ(budget.metrics().retries_granted, static_cast<std::uint64_t>(retries));
  EXPECT_GT(budget.rejected(), 0u);
}

TEST(RetryBudget, TwoThreadsNeverOverdraw) {
  ManualClock clock;
  RetryBudget budget({.ratio = 0.5, .window = 10s, .min_retries_per_second = 0.0}, clock);
  for (int i = 0; i < 1000; ++i) budget.record_request();
  std::atomic<int> granted{0};
  auto worker = [&] {
    for (int i = 0; i < 2000; ++i) {
      if (budget.try_acquire_retry()) ++granted;
      if (i % 10 == 0) budget.record_request();
      (void)budget.metrics();
    }
  };
  std::thread a(worker), b(worker);
  a.join();
  b.join();
  // 1000 + 400 requests at most: at most 700 retries.
  EXPECT_LE(granted.load(), 700);
  EXPECT_GE(granted.load(), 500);
}

TEST(Sleepers, ManualSleeperAdvancesTheClock) {
  ManualClock clock;
  ManualSleeper sleeper(clock);
  const auto t0 = clock.now();
  sleeper.sleep_for(250ms);
  sleeper.sleep_for(0ms);
  EXPECT_EQ(clock.now(), t0 + 250ms);
  EXPECT_EQ(sleeper.sleeps(), (std::vector<Clock::duration>{250ms, 0ms}));
  thread_sleeper().sleep_for(0ms);  // returns at once
  thread_sleeper().sleep_for(-1ms);
}

TEST(RetryVerdict, Names) {
  EXPECT_EQ(to_string(RetryVerdict::retry), "retry");
  EXPECT_TRUE(contains(std::string(to_string(RetryVerdict::budget_exhausted)), "budget"));
}

}  // namespace
}  // namespace chconn
