// FailoverStrategy: host order, breakers, tries, outcomes and stats, over one PooledStrategy of
// MockConnections per host and a ManualClock. Nothing sleeps; time moves only when a test says.
#include "chconn/strategy/failover.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
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

using namespace std::chrono_literals;

Error refused() { return Error(ErrorKind::network, "connection refused"); }

// Records the deadlines acquire() is called with, then delegates.
class RecordingStrategy final : public ConnectionStrategy {
 public:
  explicit RecordingStrategy(std::shared_ptr<ConnectionStrategy> inner) : inner_(std::move(inner)) {}
  using ConnectionStrategy::acquire;
  Lease acquire(Deadline deadline) override {
    {
      std::lock_guard lock(mutex_);
      deadlines_.push_back(deadline);
    }
    return inner_->acquire(deadline);
  }
  const std::string& name() const noexcept override { return inner_->name(); }
  StrategyStats stats() const override { return inner_->stats(); }
  MaintenanceReport maintain() override {
    ++maintained;
    return inner_->maintain();
  }
  std::vector<Deadline> deadlines() const {
    std::lock_guard lock(mutex_);
    return deadlines_;
  }
  std::atomic<int> maintained{0};

 private:
  std::shared_ptr<ConnectionStrategy> inner_;
  mutable std::mutex mutex_;
  std::vector<Deadline> deadlines_;
};

class FailoverTest : public ::testing::Test {
 protected:
  static constexpr std::size_t k_hosts = 3;

  FailoverTest() {
    for (std::size_t i = 0; i < k_hosts; ++i) {
      servers.push_back(
          std::make_shared<MockServer>(MockServer::Options{.clock = &clock, .sleep = MockServer::advance_on(clock)}));
    }
  }

  FailoverOptions options(LoadBalancing policy = LoadBalancing::in_order) {
    FailoverOptions o;
    o.name = "fo";
    for (std::size_t i = 0; i < k_hosts; ++i) o.hosts.push_back({.address = {"h" + std::to_string(i), 9000}});
    o.load_balancing = policy;
    o.connect_timeout = 2s;
    o.breaker.window_type = WindowType::count_based;
    o.breaker.window_size = 4;
    o.breaker.minimum_calls = 2;
    o.breaker.open_duration = 10s;
    o.breaker.open_duration_multiplier = 1.0;
    o.breaker.open_duration_jitter = 0.0;
    o.breaker.half_open_max_calls = 1;
    o.breaker.random_seed = 7;
    o.decay.half_life = 60s;
    o.clock = &clock;
    o.random_seed = 12345;
    o.logger = log.logger();
    return o;
  }

  // One pool of MockConnections per host; the connections' peer is the host's address.
  std::unique_ptr<FailoverStrategy> make(FailoverOptions o, std::size_t min_idle = 0) {
    return std::make_unique<FailoverStrategy>(
        std::move(o), [this, min_idle](const FailoverHost& host, std::size_t i) -> std::shared_ptr<ConnectionStrategy> {
          auto connector =
              std::make_shared<MockConnector>(servers.at(i), std::vector<std::string>{to_string(host.address)});
          PooledOptions p{.name = "pool-" + std::to_string(i),
                          .pool = {.max_size = 2, .min_idle = min_idle, .validate_after_idle = 1h},
                          .acquire_timeout = 5s,
                          .maintenance_interval = 0s,
                          .clock = &clock,
                          .jitter_seed = 42};
          auto pool = std::make_shared<RecordingStrategy>(std::make_shared<PooledStrategy>(connector, p));
          std::lock_guard lock(mutex);
          recorders.resize(k_hosts);
          recorders[i] = pool;
          return pool;
        });
  }

  // The index of the host a lease is connected to.
  static std::size_t host_of(const Lease& lease) {
    const std::string& peer = lease->peer();
    return static_cast<std::size_t>(peer.at(1) - '0');
  }

  std::vector<std::size_t> hosts_of_leases(FailoverStrategy& f, int n) {
    std::vector<std::size_t> out;
    for (int i = 0; i < n; ++i) out.push_back(host_of(f.acquire()));
    return out;
  }

  ManualClock clock;
  std::vector<std::shared_ptr<MockServer>> servers;
  std::mutex mutex;
  std::vector<std::shared_ptr<RecordingStrategy>> recorders;
  test::CapturingLog log;
};

TEST_F(FailoverTest, InOrderUsesTheFirstHealthyHost) {
  auto f = make(options(LoadBalancing::in_order));
  EXPECT_EQ(f->name(), "fo");
  EXPECT_EQ(f->host_count(), 3u);
  EXPECT_EQ(hosts_of_leases(*f, 5), (std::vector<std::size_t>{0, 0, 0, 0, 0}));
  EXPECT_EQ(servers[1]->connect_attempts(), 0u);
  // The lease's connection is the host pool's MockConnection, behind the observing wrapper.
  Lease lease = f->acquire();
  EXPECT_NE(dynamic_cast<MockConnection*>(&unwrap_connection(lease.connection())), nullptr);
}

// The per-host breakers through the strategy interface (no cast to FailoverStrategy needed): in
// host order, the same objects as breaker(i), so a host forced open through them is skipped.
TEST_F(FailoverTest, HostBreakersAreReachableThroughTheStrategyInterface) {
  auto f = make(options(LoadBalancing::in_order));
  ConnectionStrategy& strategy = *f;
  const std::vector<CircuitBreaker*> breakers = strategy.host_breakers();
  ASSERT_EQ(breakers.size(), 3u);
  for (std::size_t i = 0; i < breakers.size(); ++i) EXPECT_EQ(breakers[i], &f->breaker(i));
  breakers[0]->force_open();
  EXPECT_EQ(hosts_of_leases(*f, 2), (std::vector<std::size_t>{1, 1}));
  EXPECT_EQ(strategy.host_stats()[0].breaker, CircuitState::open);
}

TEST_F(FailoverTest, RoundRobinStartsOneHostFurtherEachTime) {
  auto f = make(options(LoadBalancing::round_robin));
  EXPECT_EQ(hosts_of_leases(*f, 7), (std::vector<std::size_t>{0, 1, 2, 0, 1, 2, 0}));
}

TEST_F(FailoverTest, RandomSpreadsOverAllHosts) {
  auto f = make(options(LoadBalancing::random));
  std::map<std::size_t, int> seen;
  for (std::size_t h : hosts_of_leases(*f, 90)) ++seen[h];
  ASSERT_EQ(seen.size(), 3u);
  for (const auto& [h, n] : seen) EXPECT_GE(n, 10) << "host " << h;
}

TEST_F(FailoverTest, FirstOrRandomPrefersTheFirstThenPicksAtRandom) {
  auto f = make(options(LoadBalancing::first_or_random));
  EXPECT_EQ(hosts_of_leases(*f, 4), (std::vector<std::size_t>{0, 0, 0, 0}));
  f->breaker(0).force_open();
  std::set<std::size_t> seen;
  for (std::size_t h : hosts_of_leases(*f, 40)) seen.insert(h);
  EXPECT_EQ(seen, (std::set<std::size_t>{1, 2}));
}

// Ends a lease of `f` broken by a network error, which counts one error against its host; returns
// the host's index.
std::size_t fail_one_lease(FailoverStrategy& f) {
  Lease lease = f.acquire();
  const std::size_t host = static_cast<std::size_t>(lease->peer().at(1) - '0');
  lease.mark_broken(refused());
  return host;
}

TEST_F(FailoverTest, OrdersByDecayedErrorsThenPriorityThenPolicy) {
  FailoverOptions o = options(LoadBalancing::in_order);
  o.hosts[0].priority = 1;  // host 0 is the least preferred among equals
  o.breaker.window_size = 1000;
  o.breaker.minimum_calls = 1000;  // keep breakers closed: this test is about the order only
  auto f = make(std::move(o));
  EXPECT_EQ(host_of(f->acquire()), 1u);

  // An error on host 1 puts it behind the hosts with none, whatever its priority.
  EXPECT_EQ(fail_one_lease(*f), 1u);
  EXPECT_EQ(f->host_stats()[1].errors, 1u);
  EXPECT_EQ(host_of(f->acquire()), 2u);  // priority 0, no errors
  // Then host 2 has an error too: both have one, and priority decides between 0 (1) and 2 (0)...
  EXPECT_EQ(fail_one_lease(*f), 2u);
  EXPECT_EQ(host_of(f->acquire()), 0u);  // ...but host 0 has none, and errors come first
  EXPECT_EQ(fail_one_lease(*f), 0u);
  EXPECT_EQ(host_of(f->acquire()), 1u);  // all have one: priority 0 first, then list order

  // Errors halve every half-life: after one, the single errors are gone.
  EXPECT_EQ(fail_one_lease(*f), 1u);  // host 1 now has 2
  clock.advance(60s);
  EXPECT_EQ(f->host_stats()[1].errors, 1u);
  EXPECT_EQ(f->host_stats()[2].errors, 0u);
  EXPECT_EQ(host_of(f->acquire()), 2u);
  clock.advance(60s);
  EXPECT_EQ(f->host_stats()[1].errors, 0u);
  EXPECT_EQ(host_of(f->acquire()), 1u);
}

TEST_F(FailoverTest, MaxIgnoredErrorsDoNotCountWhenOrdering) {
  FailoverOptions o = options(LoadBalancing::in_order);
  o.max_ignored_errors = 1;
  o.breaker.window_size = 1000;
  o.breaker.minimum_calls = 1000;
  auto f = make(std::move(o));
  EXPECT_EQ(fail_one_lease(*f), 0u);
  EXPECT_EQ(fail_one_lease(*f), 0u);     // one error is ignored: host 0 is still first
  EXPECT_EQ(host_of(f->acquire()), 1u);  // two errors: one counts
}

TEST_F(FailoverTest, AFailedConnectMovesOnAndCountsAgainstTheHost) {
  auto f = make(options());
  servers[0]->fail_next_connects(1);
  Lease lease = f->acquire();
  EXPECT_EQ(host_of(lease), 1u);
  const auto stats = f->host_stats();
  EXPECT_EQ(stats[0].address, "h0:9000");
  EXPECT_EQ(stats[0].failures, 1u);
  EXPECT_EQ(stats[0].errors, 1u);
  EXPECT_NE(stats[0].last_error.find("connection refused"), std::string::npos) << stats[0].last_error;
  EXPECT_EQ(stats[0].breaker, CircuitState::closed);
  EXPECT_EQ(stats[1].failures, 0u);
  EXPECT_TRUE(stats[1].last_error.empty());
}

TEST_F(FailoverTest, MaxTriesBoundsTheAttempts) {
  FailoverOptions o = options();
  o.max_tries = 2;
  auto f = make(std::move(o));
  for (auto& s : servers) s->fail_next_connects(5);
  const Error e = test::thrown_error([&] { (void)f->acquire(); });
  EXPECT_EQ(e.kind(), ErrorKind::network);
  EXPECT_TRUE(e.retryable());
  const std::string m = e.what();
  EXPECT_NE(m.find("failover 'fo': 2 tries failed"), std::string::npos) << m;
  EXPECT_NE(m.find("h0:9000: mock: connection refused"), std::string::npos) << m;
  EXPECT_NE(m.find("h1:9000"), std::string::npos) << m;
  EXPECT_EQ(servers[0]->connect_attempts(), 1u);
  EXPECT_EQ(servers[1]->connect_attempts(), 1u);
  EXPECT_EQ(servers[2]->connect_attempts(), 0u);
}

TEST_F(FailoverTest, MaxTriesAboveTheHostCountGoesRoundAgain) {
  FailoverOptions o = options();
  o.hosts.resize(1);
  o.max_tries = 3;
  o.breaker.window_size = 1000;
  o.breaker.minimum_calls = 1000;
  auto f = make(std::move(o));
  servers[0]->fail_next_connects(2);
  Lease lease = f->acquire();
  EXPECT_EQ(host_of(lease), 0u);
  EXPECT_EQ(servers[0]->connect_attempts(), 3u);
  EXPECT_EQ(f->host_stats()[0].failures, 2u);
}

TEST_F(FailoverTest, ANonRetryableErrorIsThrownAtOnce) {
  auto f = make(options());
  servers[0]->fail_next_connects(
      1, Error::from_server(server_codes::wrong_password, "DB::Exception", "default: Authentication failed"));
  const Error e = test::thrown_error([&] { (void)f->acquire(); });
  EXPECT_EQ(e.kind(), ErrorKind::server);
  EXPECT_EQ(e.server_code(), server_codes::wrong_password);
  EXPECT_NE(std::string(e.what()).find("h0:9000"), std::string::npos) << e.what();
  EXPECT_EQ(servers[1]->connect_attempts(), 0u);
  EXPECT_EQ(f->host_stats()[0].failures, 0u);  // the server answered: not its fault
}

TEST_F(FailoverTest, PerTryConnectTimeoutWithinTheCallersDeadline) {
  auto f = make(options());
  (void)f->acquire();
  (void)f->acquire(Deadline::after(500ms, clock));
  const auto d = recorders[0]->deadlines();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].when(), clock.now() + 2s);  // connect_timeout
  EXPECT_EQ(d[1].when(), clock.now() + 500ms);
}

TEST_F(FailoverTest, AnExpiredDeadlineTriesNothing) {
  auto f = make(options());
  const Error e = test::thrown_error([&] { (void)f->acquire(Deadline::at(clock.now())); });
  EXPECT_EQ(e.kind(), ErrorKind::timeout);
  EXPECT_NE(std::string(e.what()).find("deadline passed"), std::string::npos) << e.what();
  EXPECT_EQ(servers[0]->connect_attempts(), 0u);
}

// The breaker tests keep the list order whatever the error counts (max_ignored_errors), so that
// host 0 is tried first every time.
FailoverOptions breaker_options(FailoverOptions o) {
  o.max_ignored_errors = 1000;
  return o;
}

TEST_F(FailoverTest, AnOpenBreakerIsSkippedAndReportsWhenItWillBeTriedAgain) {
  auto f = make(breaker_options(options()));
  servers[0]->fail_next_connects(2);
  EXPECT_EQ(host_of(f->acquire()), 1u);
  EXPECT_EQ(host_of(f->acquire()), 1u);  // second failure: 2 of 2 calls failed, the breaker opens
  auto stats = f->host_stats();
  EXPECT_EQ(stats[0].breaker, CircuitState::open);
  EXPECT_EQ(stats[0].retry_in, 10s);
  EXPECT_EQ(stats[1].retry_in, 0s);

  EXPECT_EQ(host_of(f->acquire()), 1u);
  EXPECT_EQ(servers[0]->connect_attempts(), 2u);  // skipped, not tried
  EXPECT_EQ(f->host_stats()[0].skipped, 1u);

  clock.advance(4s);
  EXPECT_EQ(f->host_stats()[0].retry_in, 6s);

  // After the open duration, one probe goes to host 0; it succeeds, and the breaker closes.
  clock.advance(6s);
  {
    Lease probe = f->acquire();
    EXPECT_EQ(host_of(probe), 0u);
    EXPECT_EQ(f->host_stats()[0].breaker, CircuitState::half_open);
    // With the only probe out, host 0 refuses the next acquire.
    EXPECT_EQ(host_of(f->acquire()), 1u);
  }
  EXPECT_EQ(f->host_stats()[0].breaker, CircuitState::closed);
  EXPECT_EQ(host_of(f->acquire()), 0u);
  EXPECT_FALSE(log.messages(LogLevel::warning).empty());
  EXPECT_NE(log.messages(LogLevel::warning).front().find("h0:9000 circuit closed -> open"), std::string::npos);
}

TEST_F(FailoverTest, AFailedProbeReopens) {
  auto f = make(breaker_options(options()));
  servers[0]->fail_next_connects(3);
  (void)f->acquire();
  (void)f->acquire();
  clock.advance(10s);
  EXPECT_EQ(host_of(f->acquire()), 1u);  // the probe's connect failed; host 1 served
  EXPECT_EQ(f->host_stats()[0].breaker, CircuitState::open);
  EXPECT_EQ(f->host_stats()[0].retry_in, 10s);
}

TEST_F(FailoverTest, AllBreakersOpenIsAClearCircuitOpenError) {
  auto f = make(breaker_options(options()));
  f->breaker(0).force_open();
  for (std::size_t i : {1u, 2u}) servers[i]->fail_next_connects(2);
  EXPECT_THROW((void)f->acquire(), Error);  // h0 forced open, h1 and h2 fail
  EXPECT_THROW((void)f->acquire(), Error);  // again: now their breakers open
  clock.advance(3s);
  const Error e = test::thrown_error([&] { (void)f->acquire(); });
  EXPECT_EQ(e.kind(), ErrorKind::circuit_open);
  EXPECT_FALSE(e.retryable());
  const std::string m = e.what();
  EXPECT_NE(m.find("all 3 hosts"), std::string::npos) << m;
  EXPECT_NE(m.find("h0:9000 forced open"), std::string::npos) << m;
  EXPECT_NE(m.find("h1:9000 open, retry in 7 s"), std::string::npos) << m;
  EXPECT_NE(m.find("the next host will be tried in 7 s"), std::string::npos) << m;
  EXPECT_EQ(f->host_stats()[0].retry_in, Clock::duration::max());
}

TEST_F(FailoverTest, ALeaseBrokenByTheHostCountsAsAFailure) {
  auto f = make(options());
  {
    Lease lease = f->acquire();
    lease.mark_broken(Error(ErrorKind::network, "connection reset by peer"));
  }
  auto s = f->host_stats()[0];
  EXPECT_EQ(s.failures, 1u);
  EXPECT_EQ(s.errors, 1u);
  EXPECT_NE(s.last_error.find("h0:9000 ended with the connection broken"), std::string::npos) << s.last_error;
  EXPECT_EQ(f->breaker(0).metrics().failed_calls, 1u);
  EXPECT_EQ(servers[0]->connections_open(), 0u);  // the pool dropped it
}

TEST_F(FailoverTest, AHostFailureDuringALeaseCountsWhenItEnds) {
  auto f = make(options());
  servers[0]->on("SELECT slow", {.error = Error(ErrorKind::timeout, "query timed out after 1 s")});
  {
    Lease lease = f->acquire();
    EXPECT_THROW(lease->execute("SELECT slow"), Error);
    EXPECT_EQ(f->host_stats()[0].failures, 0u);  // counted when the lease ends
  }
  EXPECT_EQ(f->host_stats()[0].failures, 1u);
  EXPECT_EQ(f->breaker(0).metrics().failed_calls, 1u);
}

TEST_F(FailoverTest, QueryErrorsAndCleanLeasesAreSuccesses) {
  auto f = make(options());
  servers[0]->on("SELEC 1", {.error = Error::from_server(server_codes::syntax_error, "DB::Exception", "Syntax error")});
  {
    Lease lease = f->acquire();
    EXPECT_THROW(lease->execute("SELEC 1"), Error);
  }
  {
    Lease lease = f->acquire();
    lease->execute("SELECT 1");
  }
  {
    Lease lease = f->acquire();
    lease.mark_broken();  // the caller's own reason: says nothing about the host
  }
  const auto s = f->host_stats()[0];
  EXPECT_EQ(s.failures, 0u);
  EXPECT_EQ(s.successes, 2u);
  EXPECT_EQ(f->breaker(0).metrics().calls, 2u);
  EXPECT_EQ(f->breaker(0).metrics().failed_calls, 0u);
}

TEST_F(FailoverTest, StatsSumTheHostsAndMaintainRunsEach) {
  auto f = make(options(), /*min_idle=*/1);
  const MaintenanceReport r = f->maintain();
  EXPECT_EQ(r.created, 3u);
  for (const auto& rec : recorders) EXPECT_EQ(rec->maintained.load(), 1);
  StrategyStats s = f->stats();
  EXPECT_EQ(s.idle, 3u);
  EXPECT_EQ(s.open, 3u);
  EXPECT_EQ(s.created, 3u);
  {
    Lease a = f->acquire();
    Lease b = f->acquire();
    s = f->stats();
    EXPECT_EQ(s.in_use, 2u);
    EXPECT_EQ(s.acquired, 2u);
    EXPECT_EQ(f->host_stats()[0].pool.in_use, 2u);
  }
  EXPECT_EQ(f->stats().in_use, 0u);
}

TEST_F(FailoverTest, CheckHostsPingsAndRecords) {
  auto f = make(options());
  f->breaker(2).force_open();
  servers[1]->fail_next_pings(1);
  const auto checks = f->check_hosts();
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_TRUE(checks[0].checked);
  EXPECT_TRUE(checks[0].ok);
  EXPECT_TRUE(checks[1].checked);
  EXPECT_FALSE(checks[1].ok);
  EXPECT_FALSE(checks[1].error.empty());
  EXPECT_FALSE(checks[2].checked);
  const auto s = f->host_stats();
  EXPECT_TRUE(s[0].ping_latency.has_value());
  EXPECT_FALSE(s[1].ping_latency.has_value());
  EXPECT_EQ(s[1].failures, 1u);
  EXPECT_EQ(servers[0]->ping_count(), 1u);
}

// Each host answers the lag check with `lag` seconds.
void script_lag(MockServer& server, std::uint64_t lag) {
  server.clear_script();
  server.on("SELECT max(absolute_delay) AS delay FROM system.replicas",
            {.result = MockResult({{"delay", "UInt64"}}).row(lag)});
}

// With max_replica_delay, a check reads each host's lag; a host above the limit is tried after
// the others, least lag first, and comes back first once its lag falls within the limit again.
TEST_F(FailoverTest, MaxReplicaDelayTriesLaggingHostsLast) {
  FailoverOptions o = options(LoadBalancing::in_order);
  o.max_replica_delay = 30s;
  auto f = make(o);
  script_lag(*servers[0], 120);
  script_lag(*servers[1], 45);
  script_lag(*servers[2], 30);                                          // at the limit: not stale
  EXPECT_EQ(hosts_of_leases(*f, 2), (std::vector<std::size_t>{0, 0}));  // no lag read yet: list order

  const std::vector<HostCheck> checks = f->check_hosts();
  ASSERT_EQ(checks.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(checks[i].ok) << i << ": " << checks[i].error;
  EXPECT_EQ(checks[0].replica_delay, 120s);
  EXPECT_EQ(checks[1].replica_delay, 45s);
  EXPECT_EQ(checks[2].replica_delay, 30s);
  const std::vector<HostStats> stats = f->host_stats();
  EXPECT_TRUE(stats[0].stale);
  EXPECT_TRUE(stats[1].stale);
  EXPECT_FALSE(stats[2].stale);
  EXPECT_EQ(stats[1].replica_delay, 45s);
  EXPECT_EQ(hosts_of_leases(*f, 3), (std::vector<std::size_t>{2, 2, 2}));

  // The fresh host down: the stale ones, least lag first.
  f->breaker(2).force_open();
  EXPECT_EQ(hosts_of_leases(*f, 2), (std::vector<std::size_t>{1, 1}));
  f->breaker(1).force_open();
  EXPECT_EQ(host_of(f->acquire()), 0u);

  // Host 0 caught up: it leads again after the next check.
  f->breaker(1).reset();
  f->breaker(2).reset();
  script_lag(*servers[0], 0);
  f->check_hosts();
  EXPECT_FALSE(f->host_stats()[0].stale);
  EXPECT_EQ(hosts_of_leases(*f, 2), (std::vector<std::size_t>{0, 0}));
}

TEST_F(FailoverTest, WithoutFallbackEveryHostStaleIsRefusedNamingTheLags) {
  FailoverOptions o = options(LoadBalancing::in_order);
  o.max_replica_delay = 10s;
  o.fallback_to_stale_replicas = false;
  auto f = make(o);
  script_lag(*servers[0], 11);
  script_lag(*servers[1], 3);
  script_lag(*servers[2], 50);
  f->check_hosts();
  EXPECT_EQ(hosts_of_leases(*f, 2), (std::vector<std::size_t>{1, 1}));
  script_lag(*servers[1], 12);
  f->check_hosts();
  const Error e = test::thrown_error([&] { f->acquire(); });
  EXPECT_EQ(e.kind(), ErrorKind::network);
  EXPECT_NE(e.message().find("every host lags more than max_replica_delay (10 s)"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("h1:9000 12 s"), std::string::npos) << e.message();
  EXPECT_TRUE(classify(e).retryable);
}

// A check that cannot read the lag fails (and forgets the lag it had), so a lag is never older
// than the last check; without max_replica_delay nothing but the ping is sent.
TEST_F(FailoverTest, ReplicaDelayIsReadOnlyWhenAskedAndForgottenWhenACheckFails) {
  auto plain = make(options(LoadBalancing::in_order));
  plain->check_hosts();
  EXPECT_EQ(servers[0]->ping_count(), 1u);
  for (const MockCall& c : servers[0]->calls()) EXPECT_EQ(c.kind, MockCallKind::ping) << c.sql;
  EXPECT_FALSE(plain->host_stats()[0].replica_delay.has_value());

  FailoverOptions o = options(LoadBalancing::in_order);
  o.max_replica_delay = 5s;
  auto f = make(o);
  script_lag(*servers[0], 60);
  f->check_hosts();
  EXPECT_TRUE(f->host_stats()[0].stale);
  servers[0]->clear_script();
  servers[0]->on("SELECT max(absolute_delay) AS delay FROM system.replicas",
                 {.error = Error::from_server(497, "DB::Exception", "Not enough privileges")});
  const std::vector<HostCheck> checks = f->check_hosts();
  EXPECT_FALSE(checks[0].ok);
  EXPECT_NE(checks[0].error.find("Not enough privileges"), std::string::npos) << checks[0].error;
  EXPECT_FALSE(checks[0].replica_delay.has_value());
  EXPECT_FALSE(f->host_stats()[0].replica_delay.has_value());
  EXPECT_FALSE(f->host_stats()[0].stale);
  EXPECT_EQ(host_of(f->acquire()), 0u);
}

// A silent first host in front of two healthy ones. Host 0's connect hangs until hosts 1 and 2
// have answered their pings (so they are checked while it hangs, as beside a real silent server),
// then its budget passes on the clock and it times out. Over many checks the healthy hosts are
// reported OK and never charged (their breakers never open), and host 0 is charged once for each
// check that contacted it, its breaker keeping it out in between.
TEST_F(FailoverTest, ASilentHostDoesNotMakeTheHealthyOnesFail) {
  auto f = make(options());
  constexpr auto k_budget = 2s;  // the health-check timeout, as large as the connect timeout
  std::atomic<std::size_t> round{0};
  servers[0]->set_connect_hook([&] {
    // Checked one host after the other, hosts 1 and 2 would never get their turn while this waits.
    test::wait_until([&] { return servers[1]->ping_count() + servers[2]->ping_count() >= 2 * round.load(); }, 20s);
    clock.advance(k_budget);
    throw Error(ErrorKind::timeout, "silent host: no Hello within the connect timeout");
  });
  constexpr std::size_t k_rounds = 12;
  std::size_t contacted = 0;
  for (std::size_t r = 1; r <= k_rounds && !HasFailure(); ++r) {
    round = r;
    const std::vector<HostCheck> checks = f->check_hosts({.timeout = k_budget});
    ASSERT_EQ(checks.size(), 3u);
    for (std::size_t i : {1u, 2u}) {
      EXPECT_TRUE(checks[i].checked) << "round " << r << ", host " << i;
      EXPECT_TRUE(checks[i].ok) << "round " << r << ", host " << i << ": " << checks[i].error;
    }
    if (checks[0].checked) {
      ++contacted;
      EXPECT_FALSE(checks[0].ok);
      EXPECT_NE(checks[0].error.find("silent host"), std::string::npos) << checks[0].error;
    } else {
      EXPECT_NE(checks[0].not_checked.find("circuit breaker open"), std::string::npos) << checks[0].not_checked;
    }
    clock.advance(1s);  // lets host 0's breaker half-open now and then
  }
  const std::vector<HostStats> s = f->host_stats();
  for (std::size_t i : {1u, 2u}) {
    EXPECT_EQ(s[i].breaker, CircuitState::closed) << "host " << i;
    EXPECT_EQ(s[i].failures, 0u) << "host " << i;
    EXPECT_EQ(s[i].errors, 0u) << "host " << i;
    EXPECT_EQ(s[i].successes, k_rounds) << "host " << i;
    EXPECT_TRUE(s[i].last_error.empty()) << s[i].last_error;
  }
  // Host 0: charged exactly once per check that reached it; its breaker opened after two of them
  // (minimum_calls) and let only probes through after that.
  EXPECT_EQ(s[0].failures, contacted);
  EXPECT_EQ(servers[0]->connect_attempts(), contacted);
  EXPECT_GE(contacted, 2u);
  EXPECT_LT(contacted, k_rounds);
  EXPECT_NE(s[0].breaker, CircuitState::closed);
  // Calls go to the healthy hosts, never circuit_open.
  EXPECT_NE(host_of(f->acquire()), 0u);
}

// Two checks at once: the host the first one is still checking is not checked again by the second
// (one check per host in flight), and nothing is recorded for it by the second.
TEST_F(FailoverTest, AHostIsCheckedByOneCheckAtATime) {
  auto f = make(options());
  std::atomic<bool> inside{false};
  std::atomic<bool> release{false};
  servers[0]->set_connect_hook([&] {
    if (inside.exchange(true)) return;  // only the first connect hangs
    test::wait_until([&] { return release.load(); });
  });
  std::vector<HostCheck> first;
  // One host at a time: hosts 1 and 2 wait for their turn in the first check, not in flight.
  std::thread t([&] { first = f->check_hosts({.max_concurrency = 1}); });
  std::vector<HostCheck> second;
  if (test::wait_until([&] { return inside.load(); })) second = f->check_hosts();
  release = true;
  t.join();
  ASSERT_EQ(first.size(), 3u);
  ASSERT_EQ(second.size(), 3u);
  for (const HostCheck& c : first) EXPECT_TRUE(c.ok) << c.address << ": " << c.error;
  EXPECT_FALSE(second[0].checked);
  EXPECT_FALSE(second[0].ok);
  EXPECT_EQ(second[0].not_checked, "a check of this host was already in flight");
  EXPECT_TRUE(second[1].ok);
  EXPECT_TRUE(second[2].ok);
  EXPECT_EQ(servers[0]->connect_attempts(), 1u);
  EXPECT_EQ(servers[0]->ping_count(), 1u);
  EXPECT_EQ(f->host_stats()[0].successes, 1u);
  EXPECT_EQ(f->host_stats()[0].failures, 0u);
  EXPECT_EQ(f->host_stats()[1].successes, 2u);  // once by each check
}

// One host at a time, within a start limit: the host after a slow one still gets a whole budget
// of its own (not what the slow one left), and a host whose turn comes after the start limit is
// not checked and not charged: not in its breaker, its error count or its counters.
TEST_F(FailoverTest, EachHostHasABudgetOfItsOwnAndAHostWithoutATurnIsNotCharged) {
  auto f = make(options());
  const Clock::time_point t0 = clock.now();
  servers[0]->set_connect_hook([&] {
    clock.advance(1500ms);
    throw Error(ErrorKind::timeout, "silent host: no Hello within the connect timeout");
  });
  servers[1]->set_connect_hook([&] { clock.advance(1800ms); });  // slow, but answers
  const std::vector<HostCheck> checks =
      f->check_hosts({.timeout = 2s, .start_by = Deadline::after(3s, clock), .max_concurrency = 1});
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_TRUE(checks[0].checked);
  EXPECT_FALSE(checks[0].ok);
  EXPECT_TRUE(checks[1].ok) << checks[1].error;
  // Host 1 started 1.5 s in and had until 2 s after that: past the round's start limit.
  ASSERT_EQ(recorders[1]->deadlines().size(), 1u);
  EXPECT_EQ(recorders[1]->deadlines()[0].when(), t0 + 1500ms + 2s);
  // Host 2's turn came 3.3 s in: not checked, nothing recorded.
  EXPECT_FALSE(checks[2].checked);
  EXPECT_FALSE(checks[2].ok);
  EXPECT_EQ(checks[2].not_checked, "no time left: the check round's start limit passed before its turn");
  EXPECT_TRUE(checks[2].error.empty());
  EXPECT_EQ(servers[2]->connect_attempts(), 0u);
  const std::vector<HostStats> s = f->host_stats();
  EXPECT_EQ(s[2].failures, 0u);
  EXPECT_EQ(s[2].successes, 0u);
  EXPECT_EQ(s[2].errors, 0u);
  EXPECT_EQ(s[2].skipped, 0u);
  EXPECT_EQ(f->breaker(2).metrics().calls, 0u);
  EXPECT_EQ(s[0].failures, 1u);
  EXPECT_EQ(f->breaker(0).metrics().failed_calls, 1u);
  EXPECT_EQ(s[1].failures, 0u);
}

TEST_F(FailoverTest, CheckHostsOptionsAreChecked) {
  auto f = make(options());
  for (const HostCheckOptions& bad : {HostCheckOptions{.timeout = 0s}, HostCheckOptions{.max_concurrency = 0}}) {
    expect_error(ErrorKind::usage, [&] { (void)f->check_hosts(bad); });
  }
  EXPECT_EQ(servers[0]->connect_attempts(), 0u);
}

TEST_F(FailoverTest, ALeaseMayOutliveTheStrategy) {
  auto f = make(options());
  Lease lease = f->acquire();
  f.reset();
  lease->execute("SELECT 1");
  lease.mark_broken(refused());
  lease.release();
  EXPECT_EQ(servers[0]->connections_open(), 0u);
}

TEST_F(FailoverTest, BadOptionsAreErrors) {
  // An option out of range is Error(config) naming it; a null maker (the caller's code) is usage.
  FailoverOptions none = options();
  none.hosts.clear();
  expect_error(ErrorKind::config, [&] { (void)make(none); }, {"hosts"});
  FailoverOptions behind = options();
  behind.max_replica_delay = -1s;
  expect_error(ErrorKind::config, [&] { (void)make(behind); }, {"max_replica_delay"});
  FailoverOptions instant = options();
  instant.connect_timeout = 0ms;
  expect_error(ErrorKind::config, [&] { (void)make(instant); }, {"connect_timeout"});
  expect_error(ErrorKind::usage, [&] { FailoverStrategy(options(), nullptr); }, {"maker"});
  expect_error(ErrorKind::usage,
               [&] { FailoverStrategy(options(), [](const FailoverHost&, std::size_t) { return nullptr; }); },
               {"returned null"});
  FailoverOptions bad = options();
  bad.breaker.failure_rate_threshold = 0;
  expect_error(ErrorKind::config, [&] { (void)make(bad); });
  auto f = make(options());
  EXPECT_THROW((void)f->breaker(3), Error);
}

TEST(FailoverConfig, HostsAndPolicyComeFromTheConfig) {
  const Config config =
      Config::from_dsn("clickhouse://app:hunter2@a,b:9001,[::1]?load_balancing=round_robin&connect_timeout=3s");
  const FailoverOptions o = failover_options(config);
  ASSERT_EQ(o.hosts.size(), 3u);
  EXPECT_EQ(o.load_balancing, LoadBalancing::round_robin);
  EXPECT_EQ(o.connect_timeout, 3s);
  FailoverStrategy f(config);  // opens nothing yet
  EXPECT_EQ(f.name(), "failover");
  const auto s = f.host_stats();
  EXPECT_EQ(s[0].address, "a:9000");
  EXPECT_EQ(s[1].address, "b:9001");
  EXPECT_EQ(s[2].address, "[::1]:9000");
  EXPECT_EQ(f.stats().open, 0u);
}

TEST(FailoverConfig, TuningComesFromTheConfig) {
  const Config config = Config::from_dsn(
      "clickhouse://a,b?strategy=failover&max_ignored_errors=7&error_half_life=45s&breaker_min_calls=25"
      "&breaker_failure_rate=62.5&breaker_open=1500ms&breaker_window=3m");
  const FailoverOptions o = failover_options(config);
  EXPECT_EQ(o.max_ignored_errors, 7u);
  EXPECT_EQ(o.decay.half_life, 45s);
  EXPECT_EQ(o.breaker.minimum_calls, 25u);
  EXPECT_EQ(o.breaker.failure_rate_threshold, 62.5);
  EXPECT_EQ(o.breaker.open_duration, 1500ms);
  EXPECT_EQ(o.breaker.window_duration, 3min);
  // What a DSN cannot say keeps the defaults.
  const FailoverOptions d{};
  EXPECT_EQ(o.breaker.window_type, d.breaker.window_type);
  EXPECT_EQ(o.breaker.max_open_duration, d.breaker.max_open_duration);
  EXPECT_EQ(o.breaker.half_open_max_calls, d.breaker.half_open_max_calls);
  EXPECT_EQ(o.decay.max_error_cap, d.decay.max_error_cap);
  EXPECT_EQ(o.max_tries, d.max_tries);

  // The strategy's breakers are built with them (named after their hosts).
  FailoverStrategy f(config);
  for (std::size_t i = 0; i < f.host_count(); ++i) {
    const CircuitBreakerOptions& b = f.breaker(i).options();
    EXPECT_EQ(b.minimum_calls, 25u);
    EXPECT_EQ(b.failure_rate_threshold, 62.5);
    EXPECT_EQ(b.open_duration, 1500ms);
    EXPECT_EQ(b.window_duration, 3min);
  }
  EXPECT_EQ(f.breaker(1).name(), "b:9000");
  EXPECT_EQ(f.options().max_ignored_errors, 7u);
  EXPECT_EQ(f.options().decay.half_life, 45s);
}

// Config's defaults are the strategy's: a Config that does not tune failover builds what default
// FailoverOptions build.
TEST(FailoverConfig, DefaultTuningIsTheStrategysDefault) {
  const FailoverOptions o = failover_options(Config{});
  const FailoverOptions d{};
  EXPECT_EQ(o.max_ignored_errors, d.max_ignored_errors);
  EXPECT_EQ(o.decay.half_life, d.decay.half_life);
  EXPECT_EQ(o.breaker.minimum_calls, d.breaker.minimum_calls);
  EXPECT_EQ(o.breaker.failure_rate_threshold, d.breaker.failure_rate_threshold);
  EXPECT_EQ(o.breaker.open_duration, d.breaker.open_duration);
  EXPECT_EQ(o.breaker.window_duration, d.breaker.window_duration);
}

// Every value the DSN accepts, the strategy accepts too (the DSN repeats the breaker's limits).
TEST(FailoverConfig, TheEdgesTheDsnAcceptsBuildAStrategy) {
  for (const char* dsn : {
           "clickhouse://a,b?max_ignored_errors=1000000&error_half_life=8760h&breaker_min_calls=1000000"
           "&breaker_failure_rate=100&breaker_open=2m&breaker_window=1h",
           "clickhouse://a,b?max_ignored_errors=0&error_half_life=1ms&breaker_min_calls=1"
           "&breaker_failure_rate=0.001&breaker_open=1ms&breaker_window=1s",
       }) {
    SCOPED_TRACE(dsn);
    const Config config = Config::from_dsn(dsn);
    EXPECT_NO_THROW(FailoverStrategy{config});
  }
  // A Config that skips the DSN is stopped by validate() before the breakers see it.
  Config too_long = Config::from_dsn("clickhouse://a,b");
  too_long.failover.breaker.open_duration = 3min;
  const Error e = test::thrown_error([&] { FailoverStrategy f(too_long); });
  EXPECT_EQ(e.kind(), ErrorKind::config);
  EXPECT_NE(std::string(e.what()).find("failover.breaker.open_duration"), std::string::npos) << e.what();
}

// The tuning from a DSN drives the breakers and error counts: threshold, minimum calls, window,
// open time and half-life, each with a value whose default would behave differently.
TEST_F(FailoverTest, BreakerTuningFromTheConfigIsWhatTheBreakersDo) {
  const Config config = Config::from_dsn(
      "clickhouse://h0:9000,h1:9000,h2:9000?load_balancing=in_order&max_ignored_errors=1000"
      "&error_half_life=30s&breaker_min_calls=4&breaker_failure_rate=75&breaker_open=20s&breaker_window=10s");
  FailoverOptions o = failover_options(config);
  o.clock = &clock;
  o.random_seed = 1;
  o.breaker.open_duration_jitter = 0.0;  // an exact retry_in below
  o.breaker.random_seed = 7;
  o.logger = log.logger();
  auto f = make(std::move(o));
  // Host 0 comes first while its breaker lets calls through (max_ignored_errors=1000).
  const auto fail_on_host_0 = [&] { EXPECT_EQ(fail_one_lease(*f), 0u); };
  const auto succeed_on_host_0 = [&] { EXPECT_EQ(host_of(f->acquire()), 0u); };

  // 2 of 4 calls failed: 50 % opens a default breaker, not one at 75 %.
  fail_on_host_0();
  fail_on_host_0();
  succeed_on_host_0();
  succeed_on_host_0();
  EXPECT_EQ(f->breaker(0).metrics().calls, 4u);
  EXPECT_EQ(f->breaker(0).metrics().failure_rate, 50.0);
  EXPECT_EQ(f->host_stats()[0].breaker, CircuitState::closed);

  EXPECT_EQ(f->host_stats()[0].errors, 2u);

  // A 10 s window forgets them (a default 60 s one would not).
  clock.advance(11s);
  EXPECT_EQ(f->breaker(0).metrics().calls, 0u);

  // Three failures are below the minimum of four calls; the fourth opens it, for 20 s.
  fail_on_host_0();
  fail_on_host_0();
  fail_on_host_0();
  EXPECT_EQ(f->host_stats()[0].breaker, CircuitState::closed);
  fail_on_host_0();
  auto stats = f->host_stats();
  EXPECT_EQ(stats[0].breaker, CircuitState::open);
  EXPECT_EQ(stats[0].retry_in, 20s);

  // Six errors, halved after the 30 s half-life (a default 60 s one keeps them).
  EXPECT_EQ(stats[0].errors, 6u);
  clock.advance(19s);  // 30 s since the first error
  EXPECT_EQ(f->host_stats()[0].errors, 3u);
}

TEST_F(FailoverTest, MaxIgnoredErrorsFromTheConfig) {
  FailoverOptions o = failover_options(
      Config::from_dsn("clickhouse://h0:9000,h1:9000,h2:9000?load_balancing=in_order&max_ignored_errors=2"));
  o.clock = &clock;
  o.random_seed = 1;
  auto f = make(std::move(o));
  EXPECT_EQ(fail_one_lease(*f), 0u);
  EXPECT_EQ(fail_one_lease(*f), 0u);
  EXPECT_EQ(f->host_stats()[0].errors, 2u);
  EXPECT_EQ(host_of(f->acquire()), 0u);  // two errors, both ignored: host 0 is still first
  EXPECT_EQ(fail_one_lease(*f), 0u);
  EXPECT_EQ(host_of(f->acquire()), 1u);  // three errors: one counts, host 0 goes behind
}

// Two threads acquire and run queries while one host fails now and then; a third reads the stats.
// Run under TSan (build/mgr-tsan) to check the locking.
TEST_F(FailoverTest, StressTwoThreads) {
  FailoverOptions o = options(LoadBalancing::random);
  o.breaker.window_size = 1000;
  o.breaker.minimum_calls = 1000;  // keep all hosts in play
  o.max_ignored_errors = 1u << 30;
  auto f = make(std::move(o));
  servers[1]->on("SELECT x", {.error = Error(ErrorKind::network, "reset")});
  constexpr int k_iterations = 400;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::atomic<bool> done{false};
  auto worker = [&] {
    for (int i = 0; i < k_iterations; ++i) {
      try {
        Lease lease = f->acquire();
        try {
          lease->execute("SELECT x");
          ++ok;
        } catch (const Error& e) {
          lease.mark_broken(e);
          ++failed;
        }
      } catch (const Error&) {
        ++failed;
      }
    }
  };
  std::thread reader([&] {
    while (!done.load()) {
      (void)f->host_stats();
      (void)f->stats();
      std::this_thread::yield();
    }
  });
  std::thread a(worker);
  std::thread b(worker);
  a.join();
  b.join();
  done = true;
  reader.join();
  EXPECT_EQ(ok + failed, 2 * k_iterations);
  EXPECT_GT(ok.load(), 0);
  const auto s = f->host_stats();
  EXPECT_EQ(s[1].failures, static_cast<std::uint64_t>(failed.load()));
  EXPECT_EQ(s[0].failures + s[2].failures, 0u);
  EXPECT_EQ(f->stats().in_use, 0u);
}

// The same with breakers that trip and recover while a third thread moves the clock, pings the
// hosts and reads the stats: permits, probes and listeners under contention (TSan).
TEST_F(FailoverTest, StressTwoThreadsWithBreakersTripping) {
  FailoverOptions o = options(LoadBalancing::round_robin);
  o.max_ignored_errors = 1u << 30;  // keep host 1 in the rotation: only its breaker keeps it out
  // The mover below advances the shared ManualClock by a second at a time: with the default 2 s,
  // a worker's connect to a healthy host could find its deadline passed by those ticks and count
  // as that host's failure (a timeout), which is not what this test is about.
  o.connect_timeout = 24h;
  auto f = make(std::move(o));
  std::atomic<int> opened{0};
  f->breaker(1).add_listener([&](CircuitState, CircuitState to) {
    if (to == CircuitState::open) ++opened;
  });
  servers[1]->on("SELECT x", {.error = Error(ErrorKind::network, "reset")});
  constexpr int k_iterations = 400;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::atomic<int> finished{0};
  auto worker = [&] {
    for (int i = 0; i < k_iterations; ++i) {
      try {
        Lease lease = f->acquire();
        try {
          lease->execute("SELECT x");
          ++ok;
        } catch (const Error& e) {
          lease.mark_broken(e);
          ++failed;
        }
      } catch (const Error&) {
        ++failed;
      }
    }
    ++finished;
  };
  std::thread mover([&] {
    while (finished.load() < 2) {
      clock.advance(1s);
      (void)f->check_hosts();
      (void)f->host_stats();
      (void)f->stats();
      std::this_thread::yield();
    }
  });
  std::thread a(worker);
  std::thread b(worker);
  a.join();
  b.join();
  mover.join();
  EXPECT_EQ(ok + failed, 2 * k_iterations);
  EXPECT_GT(ok.load(), 0);
  EXPECT_GE(opened.load(), 1);
  EXPECT_EQ(f->host_stats()[0].failures + f->host_stats()[2].failures, 0u);
  EXPECT_EQ(f->stats().in_use, 0u);
}

}  // namespace
}  // namespace chconn
