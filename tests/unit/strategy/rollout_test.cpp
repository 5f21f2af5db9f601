// RolloutStrategy over two MockStrategies (or a pool of mock connections for B) and a ManualClock:
// shares within statistical bounds, stickiness by key, the kill switch (next acquire and a waiter
// queued in B), per-arm counters, errors and hold times, reload(). Nothing sleeps: waits are for
// observable state (a pool's waiting count), never for a duration.
#include "chconn/strategy/rollout.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/strategy/mock.h"
#include "chconn/strategy/observed.h"
#include "chconn/strategy/pooled.h"
#include "support/expect_error.h"
#include "support/mock_support.h"

namespace chconn {
namespace {

using chconn::test::expect_error;
using chconn::test::wait_until;
using namespace std::chrono_literals;

struct Arms {
  std::shared_ptr<MockServer> server_a = std::make_shared<MockServer>();
  std::shared_ptr<MockServer> server_b = std::make_shared<MockServer>();
  std::shared_ptr<MockStrategy> a = std::make_shared<MockStrategy>(server_a, "old");
  std::shared_ptr<MockStrategy> b = std::make_shared<MockStrategy>(server_b, "new");
};

// Which arm served `lease`: 'a' or 'b', by the MockServer behind its connection.
char side(const Lease& lease, const Arms& arms) {
  auto& mock = dynamic_cast<MockConnection&>(unwrap_connection(*lease));
  if (&mock.server() == arms.server_a.get()) return 'a';
  if (&mock.server() == arms.server_b.get()) return 'b';
  ADD_FAILURE() << "a connection of neither arm";
  return '?';
}

ArmStats arm(const RolloutStrategy& r, std::size_t i) { return r.arm_stats().at(i); }

// Over n acquires with a fixed seed, the count sent to B is within 5 standard deviations of
// n * p (binomial: sigma = sqrt(n p (1 - p))); share 0 and 100 are exact. With a 5 sigma bound a
// correct implementation fails one run in about 1.7 million per share.
TEST(RolloutShare, HonouredWithinFiveSigmaOver100kAcquires) {
  constexpr int n = 100'000;
  for (double share : {0.0, 0.5, 10.0, 50.0, 100.0}) {
    Arms arms;
    RolloutStrategy rollout(arms.a, arms.b, {.share = share, .cut_waiters = false, .random_seed = 42});
    int to_b = 0;
    for (int i = 0; i < n; ++i) {
      Lease lease = rollout.acquire();
      if (side(lease, arms) == 'b') ++to_b;
    }
    const double p = share / 100.0;
    const double sigma = std::sqrt(n * p * (1 - p));
    EXPECT_LE(std::abs(to_b - n * p), 5 * sigma) << "share " << share << ": " << to_b << " of " << n << " to B";
    if (share == 0.0) {
      EXPECT_EQ(to_b, 0);
    }
    if (share == 100.0) {
      EXPECT_EQ(to_b, n);
    }
    EXPECT_EQ(arm(rollout, 1).leases, static_cast<std::uint64_t>(to_b));
    EXPECT_EQ(arm(rollout, 0).leases, static_cast<std::uint64_t>(n - to_b));
    EXPECT_EQ(arm(rollout, 0).ended + arm(rollout, 1).ended, static_cast<std::uint64_t>(n));
  }
}

// The same seed gives the same sequence of sides; the path through a helper thread (cut_waiters)
// routes exactly as the direct one.
TEST(RolloutShare, SeededSequenceIsReproducibleWithAndWithoutHelperThreads) {
  const auto sides = [](bool cut) {
    Arms arms;
    RolloutStrategy rollout(arms.a, arms.b, {.share = 30, .cut_waiters = cut, .random_seed = 7});
    std::string out;
    for (int i = 0; i < 2000; ++i) out += side(rollout.acquire(), arms);
    return out;
  };
  const std::string direct = sides(false);
  EXPECT_EQ(direct, sides(false));
  EXPECT_EQ(direct, sides(true));
  EXPECT_NE(direct.find('a'), std::string::npos);
  EXPECT_NE(direct.find('b'), std::string::npos);
}

TEST(RolloutShare, ChangesTakeEffectForTheNextAcquire) {
  Arms arms;
  RolloutStrategy rollout(arms.a, arms.b, {.random_seed = 1});
  EXPECT_EQ(side(rollout.acquire(), arms), 'a');
  rollout.set_share(100);
  EXPECT_DOUBLE_EQ(rollout.share(), 100.0);
  EXPECT_EQ(side(rollout.acquire(), arms), 'b');
  rollout.set_share(0);
  EXPECT_EQ(side(rollout.acquire(), arms), 'a');
}

TEST(RolloutShare, BadArgumentsAreUsageErrors) {
  Arms arms;
  expect_error(ErrorKind::usage, [&] { RolloutStrategy(nullptr, arms.b); }, {"arm A is null"});
  expect_error(ErrorKind::usage, [&] { RolloutStrategy(arms.a, nullptr); }, {"arm B is null"});
  expect_error(ErrorKind::config, [&] { RolloutStrategy(arms.a, arms.b, {.share = -1}); }, {"out of range"});
  RolloutStrategy rollout(arms.a, arms.b, {.share = 5});
  for (double bad : {-0.001, 100.001, std::numeric_limits<double>::quiet_NaN()}) {
    expect_error(ErrorKind::usage, [&] { rollout.set_share(bad); }, {"give a percent from 0 to 100"});
  }
  EXPECT_DOUBLE_EQ(rollout.share(), 5.0);
}

// One key keeps its side; raising the share moves keys A -> B only, exactly those whose point is
// below the new share; the fraction of 10^4 keys on B is within 5 sigma of the share.
TEST(RolloutStickiness, KeyKeepsItsSideAndRaisingTheShareNeverMovesBToA) {
  Arms arms;
  RolloutStrategy rollout(arms.a, arms.b, {.cut_waiters = false, .random_seed = 3});
  constexpr int keys = 10'000;
  std::vector<char> before(keys, 'a');
  for (double share : {0.5, 10.0, 25.0, 50.0, 100.0}) {
    rollout.set_share(share);
    int on_b = 0;
    for (int k = 0; k < keys; ++k) {
      const std::string key = "tenant-" + std::to_string(k);
      const char first = side(rollout.acquire_for(key), arms);
      EXPECT_EQ(side(rollout.acquire_for(key), arms), first) << key;
      EXPECT_EQ(first == 'b', rollout_point(key) < share / 100.0) << key;
      if (before[k] == 'b') {
        EXPECT_EQ(first, 'b') << key << " moved from B to A at share " << share;
      }
      before[k] = first;
      if (first == 'b') ++on_b;
    }
    const double p = share / 100.0;
    EXPECT_LE(std::abs(on_b - keys * p), 5 * std::sqrt(keys * p * (1 - p)) + 1e-9) << "share " << share;
  }
}

TEST(RolloutStickiness, PointIsStableAndAnEmptyKeyRoutesAtRandom) {
  // Fixed values: the hash must never change between versions, or tenants would change sides.
  // tenant-42 goes to B from a share of 4.87 % on, whatever the platform or the version.
  EXPECT_DOUBLE_EQ(rollout_point("tenant-42"), 0.048650512928906361);
  EXPECT_DOUBLE_EQ(rollout_point("a"), 0.82204017827450604);
  EXPECT_DOUBLE_EQ(rollout_point(""), 0.24195277606918567);
  EXPECT_NE(rollout_point("tenant-42"), rollout_point("tenant-43"));
  Arms arms;
  RolloutStrategy rollout(arms.a, arms.b, {.share = 50, .cut_waiters = false, .random_seed = 9});
  std::string sides;
  for (int i = 0; i < 200; ++i) sides += side(rollout.acquire_for(""), arms);
  EXPECT_NE(sides.find('a'), std::string::npos);
  EXPECT_NE(sides.find('b'), std::string::npos);
}

TEST(RolloutKill, NextAcquireGoesToAAndReviveRestoresTheShare) {
  Arms arms;
  RolloutStrategy rollout(arms.a, arms.b, {.share = 100, .random_seed = 1});
  Lease on_b = rollout.acquire();
  EXPECT_EQ(side(on_b, arms), 'b');
  rollout.kill();
  EXPECT_TRUE(rollout.killed());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(side(rollout.acquire_for("tenant-" + std::to_string(i)), arms), 'a');
  EXPECT_DOUBLE_EQ(arm(rollout, 1).share, 0.0);
  EXPECT_DOUBLE_EQ(arm(rollout, 0).share, 100.0);
  EXPECT_DOUBLE_EQ(rollout.share(), 100.0);  // the share set is kept for revive()
  // A lease already out on B finishes normally.
  EXPECT_NO_THROW(on_b->execute("SELECT 1"));
  on_b.release();
  EXPECT_EQ(arm(rollout, 1).ended, 1u);
  rollout.revive();
  EXPECT_FALSE(rollout.killed());
  EXPECT_EQ(side(rollout.acquire(), arms), 'b');
}

// B is a pool of one connection, held by the test: an acquire routed to B queues in B's pool.
// kill() serves it from A at once; when B's connection comes back, the helper's late lease ends
// and the connection returns to B's pool.
TEST(RolloutKill, CutsAnAcquireQueuedInB) {
  ManualClock clock;  // never advanced: B's pool would wait for ever without the kill switch
  Arms arms;
  auto pool_b = std::make_shared<PooledStrategy>(
      std::make_shared<MockConnector>(arms.server_b),
      PooledOptions{.name = "new", .pool = {.max_size = 1}, .wait_slice = 1ms, .clock = &clock});
  RolloutStrategy rollout(arms.a, pool_b, {.share = 100, .random_seed = 1, .clock = &clock});
  Lease held = rollout.acquire();
  ASSERT_EQ(side(held, arms), 'b');

  std::atomic<char> served{'-'};
  std::thread waiter([&] {
    Lease lease = rollout.acquire();
    served = side(lease, arms);
  });
  ASSERT_TRUE(wait_until([&] { return pool_b->stats().waiting == 1; }));
  EXPECT_EQ(served.load(), '-');
  rollout.kill();
  // Served only because kill() cut the wait (B's pool would wait for ever on the manual clock).
  const bool cut = wait_until([&] { return served.load() != '-'; });
  if (!cut) held.release();  // unblock the waiter so the test fails instead of hanging
  waiter.join();
  ASSERT_TRUE(cut);
  EXPECT_EQ(served.load(), 'a');
  EXPECT_EQ(arm(rollout, 1).rerouted, 1u);
  EXPECT_EQ(arm(rollout, 1).leases, 1u);  // only `held`
  EXPECT_EQ(arm(rollout, 0).leases, 1u);

  held.release();  // B's one connection: to the abandoned helper, which gives it straight back
  ASSERT_TRUE(wait_until([&] {
    const StrategyStats s = pool_b->stats();
    return s.waiting == 0 && s.in_use == 0 && s.idle == 1;
  }));
  EXPECT_EQ(arms.server_b->connections_made(), 1u);
  EXPECT_EQ(arm(rollout, 1).acquire_errors, 0u);
}

// Without cut_waiters the queued acquire stays with B, and is served by B when it can be.
TEST(RolloutKill, WithoutCutWaitersAQueuedAcquireIsServedByB) {
  ManualClock clock;
  Arms arms;
  auto pool_b = std::make_shared<PooledStrategy>(
      std::make_shared<MockConnector>(arms.server_b),
      PooledOptions{.name = "new", .pool = {.max_size = 1}, .wait_slice = 1ms, .clock = &clock});
  RolloutStrategy rollout(arms.a, pool_b, {.share = 100, .cut_waiters = false, .random_seed = 1, .clock = &clock});
  Lease held = rollout.acquire();
  std::atomic<char> served{'-'};
  std::thread waiter([&] { served = side(rollout.acquire(), arms); });
  ASSERT_TRUE(wait_until([&] { return pool_b->stats().waiting == 1; }));
  rollout.kill();
  EXPECT_EQ(side(rollout.acquire(), arms), 'a');  // new acquires go to A at once
  held.release();
  waiter.join();
  EXPECT_EQ(served.load(), 'b');
  EXPECT_EQ(arm(rollout, 1).rerouted, 0u);
}

TEST(RolloutMetrics, CountsLeasesFailuresAcquireErrorsAndHoldTimes) {
  ManualClock clock;
  Arms arms;
  arms.server_b->on("SELECT broken", {.error = Error(ErrorKind::network, "connection reset by peer")});
  arms.server_b->on("SELECT typo", {.error = Error::from_server(62, "DB::Exception", "Syntax error")});
  RolloutStrategy rollout(arms.a, arms.b, {.share = 100, .random_seed = 1, .clock = &clock});

  for (int i = 0; i < 3; ++i) {
    Lease lease = rollout.acquire();
    clock.advance(5ms);
    lease->execute("SELECT 1");
  }
  {
    Lease lease = rollout.acquire();
    clock.advance(40ms);
    EXPECT_THROW(lease->execute("SELECT broken"), Error);  // a host failure: counted
  }
  {
    Lease lease = rollout.acquire();
    clock.advance(5ms);
    EXPECT_THROW(lease->execute("SELECT typo"), Error);  // the server answering: not a failure
  }
  arms.server_b->fail_next_connects(1);
  EXPECT_THROW(rollout.acquire(), Error);

  rollout.set_share(0);
  {
    Lease lease = rollout.acquire();
    clock.advance(2ms);
  }

  const ArmStats b = arm(rollout, 1);
  EXPECT_EQ(b.arm, "b");
  EXPECT_EQ(b.strategy, "new");
  EXPECT_EQ(b.leases, 5u);
  EXPECT_EQ(b.ended, 5u);
  EXPECT_EQ(b.failed, 1u);
  EXPECT_EQ(b.acquire_errors, 1u);
  EXPECT_EQ(b.held_sum, 60ms);
  // Bucket upper bounds: at most 19 % (2^(1/4)) above the true value.
  EXPECT_GE(b.held_p50, 5ms);
  EXPECT_LE(b.held_p50, 5ms * 1.19);
  EXPECT_GE(b.held_p99, 40ms);
  EXPECT_LE(b.held_p99, 40ms * 1.19);
  EXPECT_EQ(b.pool.acquired, 5u);

  const ArmStats a = arm(rollout, 0);
  EXPECT_EQ(a.arm, "a");
  EXPECT_EQ(a.strategy, "old");
  EXPECT_EQ(a.leases, 1u);
  EXPECT_EQ(a.failed, 0u);
  EXPECT_GE(a.held_p50, 2ms);
  EXPECT_LE(a.held_p50, 2ms * 1.19);
  EXPECT_DOUBLE_EQ(a.share, 100.0);

  EXPECT_EQ(rollout.stats().acquired, 6u);  // the arms' stats, summed
}

TEST(RolloutReload, ReadsTheShareFromItsSource) {
  Arms arms;
  std::optional<double> source = 2.5;
  bool throw_it = false;
  RolloutStrategy rollout(arms.a, arms.b, {.share = 1, .share_source = [&]() -> std::optional<double> {
                                             if (throw_it) throw Error(ErrorKind::config, "bad CHCONN_ROLLOUT_SHARE");
                                             return source;
                                           }});
  EXPECT_DOUBLE_EQ(rollout.reload(), 2.5);
  EXPECT_DOUBLE_EQ(rollout.share(), 2.5);
  source.reset();  // nothing set: the share stays
  EXPECT_DOUBLE_EQ(rollout.reload(), 2.5);
  source = 150;
  expect_error(ErrorKind::config, [&] { rollout.reload(); }, {"out of range"});
  EXPECT_DOUBLE_EQ(rollout.share(), 2.5);
  throw_it = true;
  expect_error(ErrorKind::config, [&] { rollout.reload(); }, {"bad CHCONN_ROLLOUT_SHARE"});
  EXPECT_DOUBLE_EQ(rollout.share(), 2.5);

  RolloutStrategy no_source(arms.a, arms.b, {.share = 4});
  EXPECT_DOUBLE_EQ(no_source.reload(), 4.0);
}

// Many threads acquire while another moves the share and flips the kill switch: every acquire is
// served by one arm and counted once (run under TSan too).
TEST(RolloutConcurrency, AcquiresWhileTheShareMovesAndTheSwitchFlips) {
  Arms arms;
  auto rollout = std::make_shared<RolloutStrategy>(arms.a, arms.b, RolloutOptions{.share = 50, .random_seed = 5});
  constexpr int threads = 6;
  constexpr int per_thread = 1500;
  std::atomic<bool> stop{false};
  std::thread mover([&] {
    int i = 0;
    while (!stop) {
      rollout->set_share(static_cast<double>(i % 101));
      if (i % 7 == 0) rollout->kill();
      if (i % 7 == 3) rollout->revive();
      (void)rollout->arm_stats();
      ++i;
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> workers;
  std::atomic<int> served{0};
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        Lease lease = i % 2 == 0 ? rollout->acquire() : rollout->acquire_for(std::to_string(t * per_thread + i));
        lease->execute("SELECT 1");
        ++served;
      }
    });
  }
  for (auto& w : workers) w.join();
  stop = true;
  mover.join();
  EXPECT_EQ(served.load(), threads * per_thread);
  const auto stats = rollout->arm_stats();
  EXPECT_EQ(stats[0].leases + stats[1].leases, static_cast<std::uint64_t>(threads * per_thread));
  EXPECT_EQ(stats[0].acquire_errors + stats[1].acquire_errors, 0u);
  EXPECT_EQ(arms.server_a->query_count() + arms.server_b->query_count(),
            static_cast<std::size_t>(threads * per_thread));
}

}  // namespace
}  // namespace chconn
