// RollingCounters: bucket expiry, big jumps, out-of-order time points.
#include "chconn/resilience/rolling_window.h"

#include <gtest/gtest.h>

namespace chconn {
namespace {

using namespace std::chrono_literals;

TEST(RollingCounters, CountsWithinTheWindowOnly) {
  ManualClock clock;
  RollingCounters<2> w(5s);
  EXPECT_EQ(w.bucket_count(), 5u);
  w.add(clock.now(), 0);
  w.add(clock.now(), 1, 3);
  EXPECT_EQ(w.totals(clock.now()), (RollingCounters<2>::Counts{1, 3}));
  clock.advance(4s);
  w.add(clock.now(), 0);
  EXPECT_EQ(w.totals(clock.now())[0], 2u);
  clock.advance(1s);  // the first bucket leaves the window
  EXPECT_EQ(w.totals(clock.now()), (RollingCounters<2>::Counts{1, 0}));
  clock.advance(4s);
  EXPECT_EQ(w.totals(clock.now())[0], 0u);
}

TEST(RollingCounters, BigJumpsAndBackwardTime) {
  ManualClock clock;
  RollingCounters<1> w(3s);
  for (int i = 0; i < 10; ++i) w.add(clock.now(), 0);
  clock.advance(std::chrono::hours(24 * 365));
  EXPECT_EQ(w.totals(clock.now())[0], 0u);
  w.add(clock.now(), 0);
  // An earlier time point (another thread's clock read) counts in the newest bucket.
  w.add(clock.now() - 10s, 0);
  EXPECT_EQ(w.totals(clock.now() - 10s)[0], 2u);
  EXPECT_EQ(w.totals(clock.now())[0], 2u);
  w.clear();
  EXPECT_EQ(w.totals(clock.now())[0], 0u);
}

TEST(RollingCounters, TimeBeforeTheEpochAndOddWidths) {
  ManualClock clock(Clock::time_point(-2500ms));
  RollingCounters<1> w(1s, 400ms);  // rounds up to 3 buckets of 400 ms
  EXPECT_EQ(w.bucket_count(), 3u);
  EXPECT_EQ(w.bucket_width(), 400ms);
  for (int i = 0; i < 20; ++i) {
    w.add(clock.now(), 0);
    EXPECT_LE(w.totals(clock.now())[0], 3u) << i;
    clock.advance(400ms);
  }
  EXPECT_EQ(w.totals(clock.now())[0], 2u);
}

}  // namespace
}  // namespace chconn
