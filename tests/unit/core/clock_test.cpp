// Clocks and deadlines, driven by a ManualClock: no test here sleeps.
#include "chconn/core/clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace chconn {
namespace {

using namespace std::chrono_literals;
using duration = Clock::duration;
using time_point = Clock::time_point;

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock clock;
  const auto start = clock.now();
  EXPECT_EQ(clock.now(), start);
  clock.advance(5s);
  EXPECT_EQ(clock.now(), start + 5s);
  clock.advance(1ns);
  EXPECT_EQ(clock.now(), start + 5s + 1ns);
  clock.set(time_point(42s));
  EXPECT_EQ(clock.now(), time_point(42s));
}

TEST(ManualClock, StartsWhereTold) {
  const ManualClock clock(time_point(7h));
  EXPECT_EQ(clock.now(), time_point(7h));
  // The default start is some fixed point; two clocks agree on it.
  EXPECT_EQ(ManualClock().now(), ManualClock().now());
}

TEST(ManualClock, AdvancesFromSeveralThreads) {
  ManualClock clock(time_point(0s));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) clock.advance(1ms);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(clock.now(), time_point(4s));
}

TEST(SteadyClock, IsMonotonic) {
  const Clock& clock = steady_clock();
  EXPECT_EQ(&clock, &steady_clock());
  auto previous = clock.now();
  for (int i = 0; i < 1000; ++i) {
    const auto now = clock.now();
    EXPECT_GE(now, previous);
    previous = now;
  }
}

TEST(Deadline, AfterExpiresExactlyAtTheTimeout) {
  ManualClock clock;
  const auto start = clock.now();
  const Deadline d = Deadline::after(5s, clock);
  EXPECT_FALSE(d.is_never());
  EXPECT_EQ(d.when(), start + 5s);
  EXPECT_FALSE(d.expired(clock));
  EXPECT_EQ(d.remaining(clock), 5s);

  clock.advance(5s - 1ns);
  EXPECT_FALSE(d.expired(clock));
  EXPECT_EQ(d.remaining(clock), 1ns);

  clock.advance(1ns);
  EXPECT_TRUE(d.expired(clock));
  EXPECT_EQ(d.remaining(clock), duration::zero());

  clock.advance(1h);
  EXPECT_TRUE(d.expired(clock));
  EXPECT_EQ(d.remaining(clock), duration::zero());  // never negative
}

TEST(Deadline, ZeroAndNegativeTimeoutsAreAlreadyExpired) {
  ManualClock clock;
  for (const duration timeout : {duration::zero(), duration(-1), duration(-5s), duration::min()}) {
    SCOPED_TRACE(timeout.count());
    const Deadline d = Deadline::after(timeout, clock);
    EXPECT_EQ(d.when(), clock.now());  // not in the past: no underflow for duration::min()
    EXPECT_TRUE(d.expired(clock));
    EXPECT_EQ(d.remaining(clock), duration::zero());
    EXPECT_FALSE(d.is_never());
  }
}

TEST(Deadline, Never) {
  ManualClock clock;
  const Deadline d = Deadline::never();
  EXPECT_TRUE(d.is_never());
  EXPECT_EQ(d.when(), time_point::max());
  EXPECT_FALSE(d.expired(clock));
  EXPECT_EQ(d.remaining(clock), duration::max());
  clock.advance(24h * 365 * 100);
  EXPECT_FALSE(d.expired(clock));
  EXPECT_FALSE(d.expired());  // on the steady clock
}

TEST(Deadline, HugeTimeoutsSaturateToNever) {
  ManualClock clock(time_point(1h));
  EXPECT_TRUE(Deadline::after(duration::max(), clock).is_never());
  EXPECT_TRUE(Deadline::after(duration::max() - 1s, clock).is_never());
  EXPECT_FALSE(Deadline::after(24h * 365 * 100, clock).is_never());
  EXPECT_TRUE(Deadline::after(duration::max()).is_never());
}

TEST(Deadline, WorksOnAClockBeforeItsEpoch) {
  // time_point::max() - now overflows for a negative now; after() must not compute it there.
  ManualClock clock(time_point(-1h));
  const Deadline far = Deadline::after(duration::max(), clock);
  EXPECT_EQ(far.when(), time_point(-1h) + duration::max());  // representable: no saturation needed
  EXPECT_FALSE(far.expired(clock));
  const Deadline d = Deadline::after(1s, clock);
  EXPECT_EQ(d.when(), time_point(-1h + 1s));
  EXPECT_EQ(d.remaining(clock), 1s);
}

TEST(Deadline, At) {
  ManualClock clock(time_point(100s));
  const Deadline d = Deadline::at(time_point(150s));
  EXPECT_EQ(d.when(), time_point(150s));
  EXPECT_EQ(d.remaining(clock), 50s);
  EXPECT_TRUE(Deadline::at(time_point(50s)).expired(clock));
  EXPECT_EQ(Deadline::at(time_point::max()), Deadline::never());
}

TEST(Deadline, EarliestPicksTheSoonerDeadline) {
  ManualClock clock;
  const Deadline caller = Deadline::after(10s, clock);
  EXPECT_EQ(caller.earliest(3s, clock), Deadline::after(3s, clock));
  EXPECT_EQ(caller.earliest(30s, clock), caller);
  EXPECT_EQ(caller.earliest(10s, clock), caller);

  EXPECT_EQ(Deadline::never().earliest(3s, clock), Deadline::after(3s, clock));
  EXPECT_EQ(caller.earliest(Deadline::never()), caller);
  EXPECT_EQ(Deadline::never().earliest(caller), caller);
  EXPECT_TRUE(Deadline::never().earliest(Deadline::never()).is_never());
  EXPECT_TRUE(Deadline::never().earliest(duration::max(), clock).is_never());

  // A zero or negative inner timeout wins and is already expired.
  EXPECT_TRUE(caller.earliest(0s, clock).expired(clock));
  EXPECT_TRUE(caller.earliest(-1s, clock).expired(clock));

  // Symmetric.
  const Deadline other = Deadline::after(4s, clock);
  EXPECT_EQ(caller.earliest(other), other);
  EXPECT_EQ(other.earliest(caller), other);
}

TEST(Deadline, DefaultClockArgumentIsTheSteadyClock) {
  const Deadline d = Deadline::after(1h);
  EXPECT_FALSE(d.expired());
  EXPECT_GT(d.remaining(), 59min);
  EXPECT_LE(d.remaining(), 1h);
  EXPECT_TRUE(Deadline::after(0s).expired());
}

// A deadline remembers which limit it stands for, so messages can name the limit that expired
// rather than the time some operation had left of it.
TEST(Deadline, KnowsItsLengthAndName) {
  ManualClock clock;
  const Deadline d = Deadline::after(600s, clock);
  EXPECT_EQ(d.length(), 600s);
  EXPECT_EQ(d.limit(), nullptr);
  EXPECT_EQ(d.describe(), "a deadline of 600 s");
  const Deadline named = d.named("the query timeout");
  EXPECT_STREQ(named.limit(), "the query timeout");
  EXPECT_EQ(named.describe(), "the query timeout of 600 s");
  EXPECT_EQ(named, d);  // the same moment, whatever it is called
  EXPECT_STREQ(named.named_if_unnamed("the caller's deadline").limit(), "the query timeout");
  EXPECT_STREQ(d.named_if_unnamed("the caller's deadline").limit(), "the caller's deadline");

  // The length is the timeout it was made from, not what is left of it.
  clock.advance(599s);
  EXPECT_EQ(named.describe(), "the query timeout of 600 s");

  // Unknown lengths are left out.
  EXPECT_EQ(Deadline::at(clock.now()).describe(), "a deadline");
  EXPECT_EQ(Deadline::never().named("the caller's deadline").describe(), "the caller's deadline");
  EXPECT_EQ(Deadline::after(0s, clock).length(), 0s);
  EXPECT_EQ(Deadline::after(250ms, clock.now()).describe(), "a deadline of 250 ms");
}

TEST(Deadline, EarliestKeepsTheNameOfTheOneItPicks) {
  ManualClock clock;
  const Deadline caller = Deadline::after(1s, clock).named("the caller's deadline");
  const Deadline query = Deadline::after(600s, clock).named("the query timeout");
  EXPECT_EQ(caller.earliest(query).describe(), "the caller's deadline of 1 s");
  EXPECT_EQ(query.earliest(caller).describe(), "the caller's deadline of 1 s");
  const Deadline drain = Deadline::after(300ms, clock).named("the cancel drain timeout");
  EXPECT_EQ(caller.earliest(drain).describe(), "the cancel drain timeout of 300 ms");
}

TEST(DurationText, MillisecondsAndWholeSeconds) {
  EXPECT_EQ(duration_text(0ms), "0 ms");
  EXPECT_EQ(duration_text(250ms), "250 ms");
  EXPECT_EQ(duration_text(999us), "1.0 ms");  // rounded up, to a tenth under 10 ms
  EXPECT_EQ(duration_text(1us), "0.1 ms");
  EXPECT_EQ(duration_text(2450us), "2.5 ms");
  EXPECT_EQ(duration_text(9999us), "10.0 ms");
  EXPECT_EQ(duration_text(5ms), "5 ms");
  EXPECT_EQ(duration_text(10001us), "11 ms");
  EXPECT_EQ(duration_text(1s), "1 s");
  EXPECT_EQ(duration_text(1500ms), "1500 ms");
  EXPECT_EQ(duration_text(600s), "600 s");
  EXPECT_EQ(duration_text(-5ms), "0 ms");
}

}  // namespace
}  // namespace chconn
