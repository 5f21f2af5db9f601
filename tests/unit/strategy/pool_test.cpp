// PooledStrategy: every pool rule, over MockConnections and a ManualClock. Nothing here sleeps to
// let time pass: the tests move the ManualClock and call maintain(); threads are coordinated by
// waiting for observable state (stats().waiting, a connect hook), never for a duration.
#include "chconn/strategy/pooled.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/strategy/mock.h"
#include "support/expect_error.h"
#include "support/mock_support.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;
using test::wait_until;

std::uint64_t id_of(const Lease& lease) { return dynamic_cast<MockConnection&>(lease.connection()).id(); }

class PoolTest : public ::testing::Test {
 protected:
  // A pool over this fixture's MockServer; `change` adjusts the options (defaults: max_size 2,
  // no acquire-driven maintenance, nothing validated, leak reports at 300 s).
  template <class F>
  std::unique_ptr<PooledStrategy> make_pool(F&& change, std::vector<std::string> peers = {"mock:9000"}) {
    connector = std::make_shared<MockConnector>(server, std::move(peers));
    PooledOptions o{.name = "pool-under-test",
                    .pool = {.max_size = 2, .validate_after_idle = 1h},
                    .acquire_timeout = 5s,
                    .maintenance_interval = 0s,
                    .clock = &clock,
                    .logger = log.logger(),
                    .jitter_seed = 42};
    change(o);
    return std::make_unique<PooledStrategy>(connector, o);
  }
  std::unique_ptr<PooledStrategy> make_pool() {
    return make_pool([](PooledOptions&) {});
  }

  ManualClock clock;
  std::shared_ptr<MockServer> server =
      std::make_shared<MockServer>(MockServer::Options{.clock = &clock, .sleep = MockServer::advance_on(clock)});
  std::shared_ptr<MockConnector> connector;
  test::CapturingLog log;
};

// Runs pool.acquire() on another thread; the result is a lease or the Error it threw.
struct AsyncAcquire {
  std::optional<Lease> lease;
  std::optional<Error> error;
  std::thread thread;

  AsyncAcquire(PooledStrategy& pool, std::function<void(Lease&)> then = {}) {
    thread = std::thread([this, &pool, then = std::move(then)] {
      try {
        Lease l = pool.acquire();
        if (then) then(l);
        lease.emplace(std::move(l));
      } catch (const Error& e) {
        error.emplace(e);
      }
    });
  }
  void join() { thread.join(); }
};

TEST_F(PoolTest, ReusesConnectionsInsteadOfClosingThem) {
  auto pool = make_pool();
  std::uint64_t first = 0;
  {
    Lease lease = pool->acquire();
    first = id_of(lease);
    lease->execute("SELECT 1");
  }
  EXPECT_EQ(server->connections_open(), 1u) << "the returned connection must stay open";
  Lease again = pool->acquire();
  EXPECT_EQ(id_of(again), first);
  EXPECT_EQ(server->connections_made(), 1u);
  const StrategyStats s = pool->stats();
  EXPECT_EQ(s.created, 1u);
  EXPECT_EQ(s.acquired, 2u);
  EXPECT_EQ(s.closed, 0u);
}

// Session hygiene: a lease whose connection changed its session (SET, USE, a temporary table) ends
// with the connection closed, so the next borrower gets a fresh session; reads leave it pooled.
TEST_F(PoolTest, AConnectionThatChangedItsSessionIsClosedNotLentAgain) {
  auto pool = make_pool();
  for (const char* statement : {"SET max_threads = 1", "USE other", "CREATE TEMPORARY TABLE ids (id UInt64)"}) {
    SCOPED_TRACE(statement);
    std::uint64_t first = 0;
    const StrategyStats before = pool->stats();
    {
      Lease lease = pool->acquire();
      first = id_of(lease);
      lease->execute("SELECT 1");
      EXPECT_FALSE(lease->session_changed());
      lease->execute(statement);
      EXPECT_TRUE(lease->session_changed());
    }
    const StrategyStats after = pool->stats();
    EXPECT_EQ(after.session_closes, before.session_closes + 1);
    EXPECT_EQ(after.closed, before.closed + 1);
    EXPECT_EQ(after.idle, 0u);
    Lease next = pool->acquire();
    EXPECT_NE(id_of(next), first) << "the next borrower got the changed session";
    EXPECT_FALSE(next->session_changed());
  }
  // A changed session says nothing about the peer: an idle sibling stays.
  {
    Lease a = pool->acquire();
    Lease b = pool->acquire();
    b->execute("SET max_threads = 1");
  }
  EXPECT_EQ(pool->stats().idle, 1u);
}

TEST_F(PoolTest, KeepSessionStateLendsTheChangedConnectionAgain) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.keep_session_state = true; });
  std::uint64_t first = 0;
  {
    Lease lease = pool->acquire();
    first = id_of(lease);
    lease->execute("SET max_threads = 1");
  }
  Lease again = pool->acquire();
  EXPECT_EQ(id_of(again), first);
  EXPECT_TRUE(again->session_changed());
  EXPECT_EQ(pool->stats().session_closes, 0u);
}

TEST_F(PoolTest, StatsNumbers) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.max_size = 3; });
  Lease a = pool->acquire();
  Lease b = pool->acquire();
  b.release();
  StrategyStats s = pool->stats();
  EXPECT_EQ(s.open, 2u);
  EXPECT_EQ(s.idle, 1u);
  EXPECT_EQ(s.in_use, 1u);
  EXPECT_EQ(s.connecting, 0u);
  EXPECT_EQ(s.waiting, 0u);
  EXPECT_EQ(s.created, 2u);
  EXPECT_EQ(s.acquired, 2u);
  EXPECT_EQ(s.closed, 0u);
  EXPECT_EQ(s.acquire_timeouts, 0u);
  EXPECT_EQ(s.total_wait, 0ns);
  a.mark_broken();
  a.release();
  s = pool->stats();
  EXPECT_EQ(s.open, 1u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.closed, 1u);
  EXPECT_EQ(pool->name(), "pool-under-test");
}

TEST_F(PoolTest, MostRecentlyReturnedIsLentFirst) {
  auto pool = make_pool();
  Lease a = pool->acquire();
  Lease b = pool->acquire();
  const auto id_a = id_of(a);
  const auto id_b = id_of(b);
  b.release();
  a.release();  // a is now the most recent
  EXPECT_EQ(id_of(pool->acquire()), id_a);
  (void)id_b;
}

TEST_F(PoolTest, AcquireTimeoutIsPoolExhaustedSayingInUseAndWait) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.max_size = 1; });
  Lease held = pool->acquire();
  AsyncAcquire waiter(*pool);
  wait_until([&] { return pool->stats().waiting == 1; });
  clock.advance(5s);
  pool->maintain();  // wakes the waiter to re-read the clock
  waiter.join();
  ASSERT_TRUE(waiter.error.has_value());
  EXPECT_EQ(waiter.error->kind(), ErrorKind::pool_exhausted);
  const std::string message = waiter.error->message();
  EXPECT_NE(message.find("pool-under-test"), std::string::npos) << message;
  EXPECT_NE(message.find("1 of max_size 1 in use"), std::string::npos) << message;
  EXPECT_NE(message.find("after waiting 5 s"), std::string::npos) << message;
  const StrategyStats s = pool->stats();
  EXPECT_EQ(s.acquire_timeouts, 1u);
  EXPECT_EQ(s.waiting, 0u);
  EXPECT_EQ(s.total_wait, 5s);
  EXPECT_EQ(s.max_wait, 5s);
  // The pool still works, and the timed-out waiter left nothing behind.
  held.release();
  EXPECT_NO_THROW(pool->acquire());
}

TEST_F(PoolTest, CallerDeadlineShorterThanAcquireTimeout) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.max_size = 1; });
  Lease held = pool->acquire();
  // An already-passed deadline: a non-blocking try.
  const Error e = test::thrown_error([&] { (void)pool->acquire(Deadline::at(clock.now())); });
  EXPECT_EQ(e.kind(), ErrorKind::pool_exhausted);
  EXPECT_NE(e.message().find("after waiting 0 ms"), std::string::npos) << e.message();
  EXPECT_EQ(pool->stats().acquire_timeouts, 1u);
}

TEST_F(PoolTest, WaitersAreServedFirstComeFirstServed) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.max_size = 1; });
  Lease held = pool->acquire();
  std::mutex order_mutex;
  std::vector<std::string> order;
  std::vector<std::unique_ptr<AsyncAcquire>> waiters;
  for (std::string name : {"first", "second", "third"}) {
    waiters.push_back(std::make_unique<AsyncAcquire>(*pool, [&, name](Lease& l) {
      std::lock_guard lock(order_mutex);
      order.push_back(name);
      l.release();  // pass it on to the next in line
    }));
    const std::size_t n = waiters.size();
    wait_until([&] { return pool->stats().waiting == n; });
  }
  held.release();
  for (auto& w : waiters) w->join();
  EXPECT_EQ(order, (std::vector<std::string>{"first", "second", "third"}));
  EXPECT_EQ(server->connections_made(), 1u) << "one connection, handed from caller to caller";
  for (auto& w : waiters) EXPECT_FALSE(w->error.has_value());
}

TEST_F(PoolTest, ReturnedConnectionGoesToTheWaiterNotANewcomer) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.max_size = 1; });
  Lease held = pool->acquire();
  AsyncAcquire waiter(*pool);
  wait_until([&] { return pool->stats().waiting == 1; });
  held.release();
  // Handed over directly: whether or not the waiter has woken yet, nothing is idle for a newcomer.
  const StrategyStats s = pool->stats();
  EXPECT_EQ(s.idle, 0u);
  EXPECT_EQ(s.in_use, 1u);
  EXPECT_THROW((void)pool->acquire(Deadline::at(clock.now())), Error);
  waiter.join();
  ASSERT_TRUE(waiter.lease.has_value());
}

TEST_F(PoolTest, ValidationPingOnlyAfterIdleThreshold) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.validate_after_idle = 10s; });
  pool->acquire().release();
  clock.advance(9s);
  pool->acquire().release();
  EXPECT_EQ(server->ping_count(), 0u) << "idle 9 s < 10 s: no ping";
  clock.advance(10s);
  pool->acquire().release();
  EXPECT_EQ(server->ping_count(), 1u) << "idle 10 s: pinged";
  EXPECT_EQ(server->connections_made(), 1u);
}

TEST_F(PoolTest, FailedValidationDropsTheConnectionAndOpensANewOneSilently) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.validate_after_idle = 10s; });
  Lease lease = pool->acquire();
  const auto first = id_of(lease);
  lease.release();
  clock.advance(11s);
  server->fail_next_pings(1);
  Lease fresh = pool->acquire();  // the caller does not see the failed ping
  EXPECT_NE(id_of(fresh), first);
  EXPECT_TRUE(fresh->usable());
  const StrategyStats s = pool->stats();
  EXPECT_EQ(s.validation_failures, 1u);
  EXPECT_EQ(s.closed, 1u);
  EXPECT_EQ(s.created, 2u);
  EXPECT_EQ(s.open, 1u);
  EXPECT_EQ(server->connections_open(), 1u);
  EXPECT_FALSE(log.messages(LogLevel::debug).empty());
}

TEST_F(PoolTest, FailedValidationNotBlamingThePeerTriesAnotherIdleConnectionFirst) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.validate_after_idle = 10s; });
  Lease a = pool->acquire();
  Lease b = pool->acquire();
  const auto id_a = id_of(a);
  b.release();
  a.release();  // a would be lent first
  clock.advance(11s);
  // Not a host failure: says nothing about the other connections to the same server.
  server->fail_next_pings(1, Error(ErrorKind::usage, "ping refused by a test"));
  Lease lease = pool->acquire();
  EXPECT_NE(id_of(lease), id_a);
  EXPECT_EQ(server->connections_made(), 2u) << "the other idle one was used; nothing new opened";
  EXPECT_EQ(server->ping_count(), 2u);
  EXPECT_EQ(pool->stats().validation_failures, 1u);
}

TEST_F(PoolTest, FailedValidationBlamingThePeerRetiresItsOtherIdleConnections) {
  auto pool = make_pool([](PooledOptions& o) {
    o.pool.max_size = 4;
    o.pool.validate_after_idle = 10s;
  });
  {
    std::vector<Lease> leases;
    for (int i = 0; i < 3; ++i) leases.push_back(pool->acquire());
  }
  ASSERT_EQ(pool->stats().idle, 3u);
  clock.advance(11s);
  server->fail_next_pings(1);  // a network error: the server restarted, say
  Lease lease = pool->acquire();
  EXPECT_EQ(server->ping_count(), 1u) << "the siblings were not pinged one by one";
  EXPECT_EQ(server->connections_made(), 4u) << "a new connection replaced them";
  const StrategyStats st = pool->stats();
  EXPECT_EQ(st.validation_failures, 1u);
  EXPECT_EQ(st.closed, 3u);
  EXPECT_EQ(st.idle, 0u);
  EXPECT_EQ(st.open, 1u);
}

TEST_F(PoolTest, FailedValidationRetiresOnlyThatPeersIdleConnections) {
  auto pool = make_pool(
      [](PooledOptions& o) {
        o.pool.max_size = 4;
        o.pool.validate_after_idle = 10s;
      },
      {"a:9000", "b:9000"});
  {
    std::vector<Lease> leases;
    for (int i = 0; i < 4; ++i) leases.push_back(pool->acquire());  // a, b, a, b
    for (Lease& l : leases) l.release();                            // b is lent first (LIFO)
  }
  clock.advance(11s);
  server->fail_next_pings(1);
  Lease lease = pool->acquire();
  EXPECT_EQ(lease->peer(), "a:9000") << "the last idle connection to a was validated and lent";
  const StrategyStats st = pool->stats();
  EXPECT_EQ(st.closed, 2u) << "both connections to b, and no connection to a, were retired";
  EXPECT_EQ(st.idle, 1u);
  EXPECT_EQ(server->connections_made(), 4u);
  EXPECT_EQ(server->ping_count(), 2u);
}

TEST_F(PoolTest, SlotsOfRetiredIdleConnectionsAreFreedOnceClosed) {
  auto pool = make_pool([](PooledOptions& o) {
    o.pool.max_size = 3;
    o.pool.validate_after_idle = 10s;
  });
  {
    std::vector<Lease> leases;
    for (int i = 0; i < 3; ++i) leases.push_back(pool->acquire());
  }
  clock.advance(11s);
  server->fail_next_pings(1);
  // All three were retired; the pool is empty but for the new connection of the first caller,
  // so the next two get new connections at once (a slot still counted as closing would make them
  // wait), and the fourth finds the pool full.
  std::vector<Lease> leases;
  for (int i = 0; i < 3; ++i) leases.push_back(pool->acquire(Deadline::at(clock.now() + 1s)));
  EXPECT_EQ(server->connections_made(), 6u);
  EXPECT_EQ(pool->stats().open, 3u);
  EXPECT_THROW((void)pool->acquire(Deadline::at(clock.now())), Error);
}

TEST_F(PoolTest, ZeroValidateAfterIdlePingsOnEveryReuse) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.validate_after_idle = 0s; });
  pool->acquire().release();  // new: no ping
  pool->acquire().release();
  pool->acquire().release();
  EXPECT_EQ(server->ping_count(), 2u);
}

TEST_F(PoolTest, LifetimeWithJitterRetiresConnectionsSpreadOut) {
  auto pool = make_pool([](PooledOptions& o) {
    o.pool.max_size = 20;
    o.pool.max_lifetime = 100s;
    o.pool.lifetime_jitter = 0.1;
  });
  {
    std::vector<Lease> leases;
    for (int i = 0; i < 20; ++i) leases.push_back(pool->acquire());
  }
  ASSERT_EQ(pool->stats().idle, 20u);
  clock.advance(89s + 900ms);
  EXPECT_EQ(pool->maintain().closed_expired, 0u) << "nobody retires before 100 s - 10 %";
  clock.advance(10s + 100ms);  // 100 s: the middle of the jitter window
  const std::size_t at_middle = pool->maintain().closed_expired;
  EXPECT_GT(at_middle, 0u);
  EXPECT_LT(at_middle, 20u) << "jitter spreads the retirements";
  clock.advance(10s + 100ms);  // past 100 s + 10 %
  EXPECT_EQ(pool->maintain().closed_expired, 20u - at_middle);
  EXPECT_EQ(pool->stats().open, 0u);
  EXPECT_EQ(server->connections_open(), 0u);
}

TEST_F(PoolTest, ExpiredConnectionIsNeitherLentNorKeptWhenReturned) {
  auto pool = make_pool([](PooledOptions& o) {
    o.pool.max_lifetime = 100s;
    o.pool.lifetime_jitter = 0.0;
  });
  Lease lease = pool->acquire();
  const auto first = id_of(lease);
  clock.advance(100s);
  lease.release();  // past its lifetime while leased: closed on return
  EXPECT_EQ(pool->stats().idle, 0u);
  EXPECT_EQ(pool->stats().closed, 1u);

  Lease second = pool->acquire();
  EXPECT_NE(id_of(second), first);
  const auto second_id = id_of(second);
  second.release();
  clock.advance(100s);
  // Idle and expired, and no maintain() ran: acquire must not lend it.
  Lease third = pool->acquire();
  EXPECT_NE(id_of(third), second_id);
  EXPECT_EQ(pool->stats().closed, 2u);
}

TEST_F(PoolTest, IdleTimeoutReapsIdleConnectionsButKeepsMinIdle) {
  auto pool = make_pool([](PooledOptions& o) {
    o.pool.max_size = 3;
    o.pool.min_idle = 1;
    o.pool.idle_timeout = 60s;
  });
  {
    Lease a = pool->acquire();
    Lease b = pool->acquire();
    Lease c = pool->acquire();
  }
  clock.advance(59s);
  EXPECT_EQ(pool->maintain().closed_idle, 0u);
  clock.advance(1s);
  const MaintenanceReport r = pool->maintain();
  EXPECT_EQ(r.closed_idle, 2u);
  EXPECT_EQ(r.created, 0u);
  EXPECT_EQ(pool->stats().idle, 1u);
  EXPECT_EQ(server->connections_open(), 1u);
}

TEST_F(PoolTest, AcquireRunsReapingWhenMaintenanceIsDue) {
  auto pool = make_pool([](PooledOptions& o) {
    o.pool.idle_timeout = 60s;
    o.maintenance_interval = 30s;
  });
  {
    Lease a = pool->acquire();
    Lease b = pool->acquire();
  }
  clock.advance(61s);
  Lease lease = pool->acquire();  // reaps both idle ones first, then opens a new one
  EXPECT_EQ(pool->stats().closed, 2u);
  EXPECT_EQ(server->connections_made(), 3u);
}

TEST_F(PoolTest, LeakIsLoggedOnceWithItsAge) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.leak_threshold = 300s; });
  Lease lease = pool->acquire();
  clock.advance(299s);
  EXPECT_EQ(pool->maintain().leaks_reported, 0u);
  clock.advance(2s);
  EXPECT_EQ(pool->maintain().leaks_reported, 1u);
  clock.advance(100s);
  EXPECT_EQ(pool->maintain().leaks_reported, 0u) << "reported once";
  const auto warnings = log.messages(LogLevel::warning);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("held for 301 s"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("pool-under-test"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("mock:9000"), std::string::npos) << warnings[0];
  EXPECT_EQ(pool->stats().leaks_reported, 1u);

  // A new lease of the same connection is a new candidate.
  lease.release();
  Lease again = pool->acquire();
  clock.advance(300s);
  EXPECT_EQ(pool->maintain().leaks_reported, 1u);
  EXPECT_EQ(log.messages(LogLevel::warning).size(), 2u);
}

TEST_F(PoolTest, LeakDetectionOffWithZeroThreshold) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.leak_threshold = 0s; });
  Lease lease = pool->acquire();
  clock.advance(10000s);
  EXPECT_EQ(pool->maintain().leaks_reported, 0u);
  EXPECT_TRUE(log.messages(LogLevel::warning).empty());
}

TEST_F(PoolTest, ConnectionMarkedBrokenIsDropped) {
  auto pool = make_pool();
  Lease lease = pool->acquire();
  const auto first = id_of(lease);
  lease.mark_broken();
  lease.release();
  EXPECT_EQ(pool->stats().open, 0u);
  EXPECT_EQ(server->connections_open(), 0u);
  EXPECT_NE(id_of(pool->acquire()), first);
}

TEST_F(PoolTest, UnusableConnectionIsDropped) {
  auto pool = make_pool();
  Lease lease = pool->acquire();
  dynamic_cast<MockConnection&>(*lease).break_connection();
  lease.release();
  EXPECT_EQ(pool->stats().open, 0u);
  EXPECT_EQ(pool->stats().closed, 1u);
}

// Two peers, connections alternate a, b, a, b. Returns the idle peers after a lease to "a:9000"
// ends the way `end` says.
class PeerRetireTest : public PoolTest {
 protected:
  std::multiset<std::string> idle_peers_after(const std::function<void(Lease&)>& end) {
    auto pool = make_pool([](PooledOptions& o) { o.pool.max_size = 4; }, {"a:9000", "b:9000"});
    std::vector<Lease> leases;
    for (int i = 0; i < 4; ++i) leases.push_back(pool->acquire());
    Lease victim = std::move(leases[0]);
    EXPECT_EQ(victim->peer(), "a:9000");
    leases.clear();  // three idle: a, b, b
    end(victim);
    victim.release();
    std::multiset<std::string> peers;
    std::vector<Lease> rest;
    while (pool->stats().idle > 0) rest.push_back(pool->acquire());
    for (auto& l : rest) peers.insert(l->peer());
    closed = pool->stats().closed;
    return peers;
  }
  std::uint64_t closed = 0;
};

TEST_F(PeerRetireTest, ResetRetiresEveryIdleConnectionToThatPeer) {
  auto peers = idle_peers_after([](Lease& l) { l.mark_broken(Error(ErrorKind::network, "connection reset by peer")); });
  EXPECT_EQ(peers, (std::multiset<std::string>{"b:9000", "b:9000"}));
  EXPECT_EQ(closed, 2u);
}

TEST_F(PeerRetireTest, UnusableAfterScriptedResetRetiresThePeerToo) {
  server->on("SELECT 1", {.error = Error(ErrorKind::network, "broken pipe")});
  auto peers = idle_peers_after([](Lease& l) { EXPECT_THROW(l->execute("SELECT 1"), Error); });
  EXPECT_EQ(peers, (std::multiset<std::string>{"b:9000", "b:9000"}));
}

TEST_F(PeerRetireTest, BrokenWithoutAPeerFailureDropsOnlyThatConnection) {
  auto peers = idle_peers_after([](Lease& l) { l.mark_broken(); });
  EXPECT_EQ(peers, (std::multiset<std::string>{"a:9000", "b:9000", "b:9000"}));
  EXPECT_EQ(closed, 1u);
}

TEST_F(PeerRetireTest, ServerErrorKeepsEverything) {
  server->on("SELECT nope", {.error = Error::from_server(62, "DB::Exception", "Syntax error")});
  auto peers = idle_peers_after([](Lease& l) { EXPECT_THROW(l->execute("SELECT nope"), Error); });
  EXPECT_EQ(peers, (std::multiset<std::string>{"a:9000", "a:9000", "b:9000", "b:9000"}));
  EXPECT_EQ(closed, 0u);
}

TEST_F(PoolTest, MaintainRefillsMinIdle) {
  auto pool = make_pool([](PooledOptions& o) {
    o.pool.max_size = 3;
    o.pool.min_idle = 2;
  });
  EXPECT_EQ(pool->stats().open, 0u) << "nothing is opened by the constructor";
  MaintenanceReport r = pool->maintain();
  EXPECT_EQ(r.created, 2u);
  EXPECT_EQ(pool->stats().idle, 2u);
  EXPECT_EQ(pool->maintain().created, 0u);
  {
    Lease l = pool->acquire();
    l.mark_broken();
  }
  EXPECT_EQ(pool->stats().idle, 1u);
  EXPECT_EQ(pool->maintain().created, 1u);
  EXPECT_EQ(pool->stats().idle, 2u);
  EXPECT_EQ(server->connections_made(), 3u);
}

TEST_F(PoolTest, RefillNeverExceedsMaxSize) {
  auto pool = make_pool([](PooledOptions& o) {
    o.pool.max_size = 2;
    o.pool.min_idle = 2;
  });
  Lease a = pool->acquire();
  Lease b = pool->acquire();
  EXPECT_EQ(pool->maintain().created, 0u);
  a.release();
  EXPECT_EQ(pool->maintain().created, 0u);
  EXPECT_EQ(server->max_connections_open(), 2u);
}

TEST_F(PoolTest, RefillFailureIsCountedAndLoggedNotThrown) {
  auto pool = make_pool([](PooledOptions& o) {
    o.pool.max_size = 3;
    o.pool.min_idle = 3;
  });
  server->fail_next_connects(1);
  MaintenanceReport r;
  EXPECT_NO_THROW(r = pool->maintain());
  EXPECT_EQ(r.connect_failures, 1u);
  EXPECT_EQ(r.created, 0u) << "after a failure the other refills are not attempted";
  const StrategyStats s = pool->stats();
  EXPECT_EQ(s.connecting, 0u) << "no slot leaked";
  EXPECT_EQ(s.connect_failures, 1u);
  EXPECT_EQ(log.messages(LogLevel::warning).size(), 1u);
  EXPECT_EQ(pool->maintain().created, 3u);
}

TEST_F(PoolTest, ConnectFailurePropagatesItsErrorAndFreesTheSlot) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.max_size = 1; });
  server->fail_next_connects(1, Error(ErrorKind::network, "connecting to mock:9000: connection refused"));
  const Error e = test::thrown_error([&] { (void)pool->acquire(); });
  EXPECT_EQ(e.kind(), ErrorKind::network);
  EXPECT_EQ(e.message(), "connecting to mock:9000: connection refused");
  StrategyStats s = pool->stats();
  EXPECT_EQ(s.connecting, 0u);
  EXPECT_EQ(s.open, 0u);
  EXPECT_EQ(s.connect_failures, 1u);
  EXPECT_NO_THROW(pool->acquire()) << "the slot of the failed connect is free again";
}

TEST_F(PoolTest, FreedSlotGoesToTheWaiterWhoSeesItsOwnConnectError) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.max_size = 1; });
  Lease held = pool->acquire();
  AsyncAcquire waiter(*pool);
  wait_until([&] { return pool->stats().waiting == 1; });
  server->fail_next_connects(1);
  held.mark_broken();
  held.release();  // the slot goes to the waiter, whose connect fails
  waiter.join();
  ASSERT_TRUE(waiter.error.has_value());
  EXPECT_EQ(waiter.error->kind(), ErrorKind::network);
  const StrategyStats s = pool->stats();
  EXPECT_EQ(s.open + s.connecting, 0u);
  EXPECT_NO_THROW(pool->acquire());
}

TEST_F(PoolTest, ConnectingHappensOutsideThePoolLock) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.max_size = 2; });
  pool->acquire().release();  // one idle connection
  Lease held = pool->acquire();

  std::promise<void> entered;
  std::promise<void> proceed;
  std::shared_future<void> go = proceed.get_future().share();
  server->set_connect_hook([&entered, go] {
    entered.set_value();
    go.wait();
  });
  AsyncAcquire connecting(*pool);  // must open a new connection: blocks in the hook
  entered.get_future().wait();
  // While that connect is stuck, the pool stays fully usable.
  EXPECT_EQ(pool->stats().connecting, 1u);
  held.release();
  Lease again = pool->acquire();
  EXPECT_TRUE(again->usable());
  again.release();
  proceed.set_value();
  connecting.join();
  ASSERT_TRUE(connecting.lease.has_value());
  server->set_connect_hook({});
  EXPECT_EQ(server->connections_made(), 2u);
}

TEST_F(PoolTest, LeaseOutlivingTheStrategyClosesItsConnection) {
  auto pool = make_pool();
  Lease lease = pool->acquire();
  pool->acquire().release();  // and one idle
  EXPECT_EQ(server->connections_open(), 2u);
  pool.reset();  // the idle one is closed now
  EXPECT_EQ(server->connections_open(), 1u);
  EXPECT_NO_THROW(lease->execute("SELECT 1")) << "the lease still works";
  lease.release();
  EXPECT_EQ(server->connections_open(), 0u);
}

// Leases ending on another thread while the strategy is being destroyed (bounded; for the
// sanitizers): whoever is last frees the pool's shared state, and every connection gets closed.
TEST_F(PoolTest, LeasesEndingWhileTheStrategyIsDestroyed) {
  for (int round = 0; round < 200; ++round) {
    auto pool = make_pool([](PooledOptions& o) { o.pool.max_size = 3; });
    pool->acquire().release();  // one idle
    Lease kept = pool->acquire();
    Lease broken = pool->acquire();
    broken.mark_broken(Error(ErrorKind::network, "connection reset by peer"));
    std::thread releaser([&] {
      broken.release();
      kept.release();
    });
    pool.reset();
    releaser.join();
    ASSERT_EQ(server->connections_open(), 0u) << "round " << round;
  }
}

TEST_F(PoolTest, MoveOfALeaseKeepsOneOwner) {
  auto pool = make_pool();
  Lease a = pool->acquire();
  const auto id = id_of(a);
  Lease b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_TRUE(b);
  EXPECT_EQ(id_of(b), id);
  EXPECT_EQ(pool->stats().in_use, 1u);
  Lease c = pool->acquire();
  c = std::move(b);  // c's own connection goes back first
  EXPECT_EQ(pool->stats().in_use, 1u);
  EXPECT_EQ(pool->stats().idle, 1u);
  EXPECT_EQ(id_of(c), id);
}

// The pool's options are checked by the rule Config::validate() uses (validate(PoolOptions)), with
// the pool's name in front.
TEST_F(PoolTest, InvalidOptionsAreRejected) {
  const auto rejected = [&](const std::function<void(PooledOptions&)>& change, std::string_view what) {
    test::expect_error(ErrorKind::config, [&] { make_pool(change); }, {"pool '", std::string(what)});
  };
  rejected([](PooledOptions& o) { o.pool.max_size = 0; }, "max_size is 0");
  rejected([](PooledOptions& o) { o.pool.min_idle = 3; }, "min_idle (3) exceeds max_size (2)");
  rejected([](PooledOptions& o) { o.pool.lifetime_jitter = 0.6; }, "lifetime_jitter is 0.6");
  rejected([](PooledOptions& o) { o.pool.idle_timeout = 0s; }, "idle_timeout is 0ms");
  rejected([](PooledOptions& o) { o.pool.validate_after_idle = -1ms; }, "validate_after_idle is -1ms");
  rejected([](PooledOptions& o) { o.acquire_timeout = 0s; }, "acquire_timeout must be positive");
  EXPECT_THROW(PooledStrategy(nullptr, PooledOptions{}), Error);
  // The same option, the same words from Config::validate().
  Config config;
  config.pool.min_idle = 3;
  config.pool.max_size = 2;
  test::expect_error(ErrorKind::config, [&] { config.validate(); },
                     {"invalid config: pool.min_idle (3) exceeds max_size (2)"});
}

TEST_F(PoolTest, OptionsFromConfig) {
  Config config;
  config.pool.max_size = 7;
  config.timeouts.pool_acquire = 3s;
  config.logger = log.logger();
  const PooledOptions o = pooled_options(config);
  EXPECT_EQ(o.pool.max_size, 7u);
  EXPECT_EQ(o.acquire_timeout, 3s);
  EXPECT_EQ(o.logger, config.logger);
  PooledStrategy pool(std::make_shared<MockConnector>(server), config, clock);
  EXPECT_EQ(pool.name(), "pooled");
  EXPECT_EQ(pool.options().pool.max_size, 7u);
  PooledStrategy shaped(std::make_shared<MockConnector>(server), config.pool, config.timeouts, clock);
  EXPECT_EQ(shaped.options().acquire_timeout, 3s);
}

// ----- Parking: a thread's returned connection kept in a thread-local slot (pooled.cpp) -----

TEST_F(PoolTest, ParkedConnectionIsIdleForTheStatsAndTakenBackByItsThread) {
  auto pool = make_pool();
  Lease first = pool->acquire();
  const auto id = id_of(first);
  first.release();
  StrategyStats s = pool->stats();
  EXPECT_EQ(s.idle, 1u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.open, 1u);
  Lease again = pool->acquire();
  EXPECT_EQ(id_of(again), id);
  s = pool->stats();
  EXPECT_EQ(s.idle, 0u);
  EXPECT_EQ(s.in_use, 1u);
  EXPECT_EQ(s.acquired, 2u);
  EXPECT_EQ(server->connections_made(), 1u);
}

TEST_F(PoolTest, AnotherThreadTakesAParkedConnectionRatherThanWaiting) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.max_size = 1; });
  std::uint64_t id = 0;
  {
    Lease l = pool->acquire();
    id = id_of(l);
  }  // parked in this thread's slot; the pool is full
  AsyncAcquire other(*pool);
  other.join();  // would time out after 5 s of a ManualClock that never moves, if it waited
  ASSERT_TRUE(other.lease.has_value()) << other.error->what();
  EXPECT_EQ(id_of(*other.lease), id);
  other.lease.reset();  // returned on this thread: the other thread's slot is left behind
  Lease mine = pool->acquire();
  EXPECT_EQ(id_of(mine), id);
  const StrategyStats s = pool->stats();
  EXPECT_EQ(s.acquire_timeouts, 0u);
  EXPECT_EQ(s.created, 1u);
  EXPECT_EQ(s.acquired, 3u);
}

TEST_F(PoolTest, AnotherThreadUsesAParkedConnectionBeforeOpeningANewOne) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.max_size = 4; });
  pool->acquire().release();  // parked in this thread's slot; room for three more
  AsyncAcquire other(*pool);
  other.join();
  ASSERT_TRUE(other.lease.has_value());
  EXPECT_EQ(server->connections_made(), 1u) << "a thread that went away must not leave its connection unused";
}

TEST_F(PoolTest, AReturnWhileSomeoneWaitsGoesToTheWaiterNotToTheSlot) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.max_size = 1; });
  Lease held = pool->acquire();
  const auto id = id_of(held);
  AsyncAcquire waiter(*pool);
  wait_until([&] { return pool->stats().waiting == 1; });
  held.release();
  waiter.join();
  ASSERT_TRUE(waiter.lease.has_value());
  EXPECT_EQ(id_of(*waiter.lease), id);
  EXPECT_EQ(pool->stats().in_use, 1u);
}

TEST_F(PoolTest, ShutdownClosesAParkedConnection) {
  auto pool = make_pool();
  pool->acquire().release();
  EXPECT_EQ(server->connections_open(), 1u);
  pool.reset();
  EXPECT_EQ(server->connections_open(), 0u);
  // This thread's slot still names the destroyed pool: a new pool must not use it.
  auto next = make_pool();
  Lease l = next->acquire();
  EXPECT_EQ(server->connections_made(), 2u);
  l.release();
  EXPECT_EQ(next->stats().idle, 1u);
}

TEST_F(PoolTest, MaintainReturnsParkedConnectionsSoIdleTimeoutReapsThem) {
  auto pool = make_pool([](PooledOptions& o) { o.pool.idle_timeout = 10s; });
  pool->acquire().release();
  clock.advance(11s);
  const MaintenanceReport r = pool->maintain();
  EXPECT_EQ(r.closed_idle, 1u);
  EXPECT_EQ(pool->stats().open, 0u);
  EXPECT_EQ(server->connections_open(), 0u);
}

TEST_F(PoolTest, ExpiredParkedConnectionIsClosedNotLent) {
  auto pool = make_pool([](PooledOptions& o) {
    o.pool.max_lifetime = 10s;
    o.pool.lifetime_jitter = 0;
  });
  const auto id = id_of(pool->acquire());
  clock.advance(11s);
  Lease l = pool->acquire();
  EXPECT_NE(id_of(l), id);
  const StrategyStats s = pool->stats();
  EXPECT_EQ(s.closed, 1u);
  EXPECT_EQ(s.created, 2u);
  EXPECT_EQ(server->connections_open(), 1u);
}

TEST_F(PoolTest, APeerFailureRetiresAParkedConnectionToThatPeer) {
  auto pool = make_pool();
  Lease a = pool->acquire();
  Lease b = pool->acquire();
  b.release();  // parked
  a.mark_broken(Error(ErrorKind::network, "connection reset by peer"));
  a.release();
  const StrategyStats s = pool->stats();
  EXPECT_EQ(s.closed, 2u);
  EXPECT_EQ(s.open, 0u);
  EXPECT_EQ(server->connections_open(), 0u);
}

// Two threads hammer a small pool on the real clock (bounded loops; run under TSan too). The pool
// must never have more than max_size connections open, whatever happens: normal returns, broken
// connections, validation pings that fail, non-blocking tries that find nothing free.
class PoolStress : public ::testing::TestWithParam<std::size_t> {};

TEST_P(PoolStress, BoundIsNeverExceeded) {
  const std::size_t max_size = GetParam();
  auto server = std::make_shared<MockServer>();
  PooledOptions options{
      .name = "stress", .pool = {.max_size = max_size, .validate_after_idle = 0s}, .acquire_timeout = 60s};
  PooledStrategy pool(std::make_shared<MockConnector>(server, std::vector<std::string>{"a:9000", "b:9000"}), options);
  std::atomic<bool> over{false};
  std::atomic<int> exhausted{0};
  auto work = [&](int seed) {
    for (int i = 0; i < 1500; ++i) {
      Lease lease = pool.acquire();
      std::optional<Lease> second;
      if (i % 3 == seed) {
        try {
          // A deadline passed on any clock: a non-blocking try.
          second.emplace(pool.acquire(Deadline::at(Clock::time_point{})));
        } catch (const Error& e) {
          // Nothing free (pool_exhausted), or room to connect but a deadline already passed
          // (the connector's timeout): both fine for a non-blocking try.
          if (e.kind() != ErrorKind::pool_exhausted && e.kind() != ErrorKind::timeout) throw;
          exhausted.fetch_add(1);
        }
      }
      if (server->connections_open() > max_size) over = true;
      const StrategyStats s = pool.stats();
      if (s.idle + s.in_use + s.connecting > max_size) over = true;
      lease->execute("SELECT 1");
      if (i % 11 == 0) lease.mark_broken();
      if (i % 13 == 0) lease.mark_broken(Error(ErrorKind::network, "connection reset by peer"));
      if (i % 17 == 0) server->fail_next_pings(1);
    }
  };
  std::thread t1(work, 0);
  std::thread t2(work, 1);
  t1.join();
  t2.join();
  EXPECT_FALSE(over.load());
  EXPECT_LE(server->max_connections_open(), max_size);
  const StrategyStats s = pool.stats();
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.waiting, 0u);
  EXPECT_EQ(s.connecting, 0u);
  EXPECT_EQ(s.acquired, 2u * 1500u + (1000u - static_cast<unsigned>(exhausted.load())));
}

INSTANTIATE_TEST_SUITE_P(MaxSize, PoolStress, ::testing::Values(1u, 2u, 3u));

// More threads than connections: returns race with new waiters, parked connections are taken by
// threads that would wait, and threads take back their own (bounded loops; run under TSan too).
TEST(PoolParkingStress, FourThreadsTwoConnections) {
  auto server = std::make_shared<MockServer>();
  PooledOptions options{.name = "parking", .pool = {.max_size = 2}, .acquire_timeout = 60s};
  PooledStrategy pool(std::make_shared<MockConnector>(server), options);
  std::atomic<bool> over{false};
  constexpr int k_rounds = 2000;
  auto work = [&] {
    for (int i = 0; i < k_rounds; ++i) {
      Lease lease = pool.acquire();
      if (server->connections_open() > 2) over = true;
      if (i % 7 == 0) lease->execute("SELECT 1");
      if (i % 500 == 499) pool.maintain();  // returns every parked connection to the idle list
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(work);
  for (auto& t : threads) t.join();
  EXPECT_FALSE(over.load());
  EXPECT_LE(server->max_connections_open(), 2u);
  const StrategyStats s = pool.stats();
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.waiting, 0u);
  EXPECT_EQ(s.acquire_timeouts, 0u);
  EXPECT_EQ(s.acquired, 4u * k_rounds);
  EXPECT_EQ(s.open, s.idle);
}

}  // namespace
}  // namespace chconn
