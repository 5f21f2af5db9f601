// ErrorDecay and host ordering on a ManualClock.
#include "chconn/resilience/error_decay.h"

#include <gtest/gtest.h>

#include <limits>
#include <thread>
#include <vector>

#include "chconn/core/error.h"
#include "support/expect_error.h"

namespace chconn {
namespace {

using chconn::test::expect_error;

using namespace std::chrono_literals;

TEST(ErrorDecay, DefaultsFollowClickHouse) {
  const ErrorDecayOptions o;
  EXPECT_EQ(o.half_life, 60s);
  EXPECT_EQ(o.max_error_cap, 1000u);
}

TEST(ErrorDecay, RejectsInvalidOptionsAndIndexes) {
  ManualClock clock;
  EXPECT_THROW(ErrorDecay(2, {.half_life = 0s}, clock), Error);
  EXPECT_THROW(ErrorDecay(2, {.max_error_cap = 0}, clock), Error);
  ErrorDecay d(2, {}, clock);
  expect_error(ErrorKind::usage, [&] { d.record_error(2); });
  EXPECT_THROW((void)d.count(5), Error);
}

TEST(ErrorDecay, HalvesOncePerHalfLife) {
  ManualClock clock;
  ErrorDecay d(3, {.half_life = 60s}, clock);
  d.record_error(1, 8);
  d.record_error(2, 3);
  clock.advance(59s);
  EXPECT_EQ(d.count(1), 8u);
  clock.advance(1s);
  EXPECT_EQ(d.snapshot(), (std::vector<std::uint64_t>{0, 4, 1}));
  clock.advance(60s);
  EXPECT_EQ(d.snapshot(), (std::vector<std::uint64_t>{0, 2, 0}));
  clock.advance(60s);
  EXPECT_EQ(d.count(1), 1u);
  clock.advance(60s);
  EXPECT_EQ(d.count(1), 0u);
}

TEST(ErrorDecay, CapsCounts) {
  ManualClock clock;
  ErrorDecay d(2, {.max_error_cap = 1000}, clock);
  for (int i = 0; i < 2000; ++i) d.record_error(0);
  EXPECT_EQ(d.count(0), 1000u);
  d.record_error(1, 5000);
  EXPECT_EQ(d.count(1), 1000u);
  d.record_error(1, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(d.count(1), 1000u);
  // A host that was down for long is forgiven within a few half-lives of recovering.
  clock.advance(10min);
  EXPECT_EQ(d.count(0), 0u);  // 1000 >> 10
}

TEST(ErrorDecay, LazyWithBigClockJumps) {
  ManualClock clock;
  ErrorDecay d(1, {.half_life = 60s}, clock);
  d.record_error(0, 1000);
  clock.advance(3min + 30s);  // 3.5 half-lives: three halvings
  EXPECT_EQ(d.count(0), 125u);
  clock.advance(30s);  // the fourth boundary, counted from the start, not from the last read
  EXPECT_EQ(d.count(0), 62u);
  d.record_error(0, 1000);
  clock.advance(63min);  // 63 half-lives
  EXPECT_EQ(d.count(0), 0u);
  d.record_error(0, 1000);
  clock.advance(std::chrono::hours(24 * 365 * 100));  // far beyond 64 half-lives: no overflow
  EXPECT_EQ(d.count(0), 0u);
  d.record_error(0, 7);
  EXPECT_EQ(d.count(0), 7u);
  clock.advance(60s);
  EXPECT_EQ(d.count(0), 3u);
}

TEST(ErrorDecay, FrequentReadsDoNotStopDecay) {
  ManualClock clock;
  ErrorDecay d(1, {.half_life = 60s}, clock);
  d.record_error(0, 16);
  for (int s = 1; s <= 120; ++s) {
    clock.advance(1s);
    const auto c = d.count(0);
    if (s < 60)
      EXPECT_EQ(c, 16u) << s;
    else if (s < 120)
      EXPECT_EQ(c, 8u) << s;
    else
      EXPECT_EQ(c, 4u) << s;
  }
}

TEST(ErrorDecay, ClockGoingBackwardsIsHarmless) {
  ManualClock clock;
  ErrorDecay d(1, {.half_life = 60s}, clock);
  d.record_error(0, 4);
  clock.advance(-30s);
  EXPECT_EQ(d.count(0), 4u);
  clock.advance(90s);  // 60 s after the start
  EXPECT_EQ(d.count(0), 2u);
}

TEST(ErrorDecay, Reset) {
  ManualClock clock;
  ErrorDecay d(2, {}, clock);
  d.record_error(0, 10);
  d.reset();
  EXPECT_EQ(d.snapshot(), (std::vector<std::uint64_t>{0, 0}));
  EXPECT_EQ(d.size(), 2u);
}

TEST(ErrorDecay, TwoThreads) {
  ManualClock clock;
  ErrorDecay d(4, {.half_life = 1s, .max_error_cap = 1'000'000}, clock);
  auto worker = [&](std::size_t host) {
    for (int i = 0; i < 20000; ++i) {
      d.record_error(host % 4);
      ++host;
      if (i % 100 == 0) {
        clock.advance(10ms);
        (void)d.snapshot();
      }
    }
  };
  std::thread a(worker, 0), b(worker, 1);
  a.join();
  b.join();
  for (auto c : d.snapshot()) EXPECT_LE(c, 10000u);
}

TEST(HostOrder, ErrorsThenPriorityThenTieBreakerThenIndex) {
  const std::vector<HostRank> ranks = {
      {.errors = 3, .priority = 0, .tie_breaker = 0, .index = 0},
      {.errors = 0, .priority = 5, .tie_breaker = 9, .index = 1},
      {.errors = 0, .priority = 1, .tie_breaker = 7, .index = 2},
      {.errors = 0, .priority = 1, .tie_breaker = 2, .index = 3},
      {.errors = 0, .priority = 1, .tie_breaker = 2, .index = 4},
      {.errors = 1, .priority = -10, .tie_breaker = 0, .index = 5},
  };
  EXPECT_EQ(order_hosts(ranks), (std::vector<std::size_t>{3, 4, 2, 1, 5, 0}));
  EXPECT_TRUE(host_rank_less(ranks[3], ranks[4]));
  EXPECT_FALSE(host_rank_less(ranks[4], ranks[3]));
  EXPECT_TRUE(order_hosts({}).empty());
}

TEST(HostOrder, IgnoredErrors) {
  EXPECT_EQ(effective_errors(5, 2), 3u);
  EXPECT_EQ(effective_errors(2, 2), 0u);
  EXPECT_EQ(effective_errors(1, 2), 0u);
  static_assert(effective_errors(10, 0) == 10);
}

}  // namespace
}  // namespace chconn
