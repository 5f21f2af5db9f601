// Fault tests: three sandbox servers (fault1..3) behind one FailoverStrategy, used through a
// ConnectionManager by two threads, while one server is killed, stopped or restarted. Counts and
// loops are bounded; nothing waits for a duration to pass. Timing figures (worst deadline
// overshoot, time to recover) are measured and printed; the only real-time assertion is the
// deadline contract itself, with a generous margin.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/factory/factory.h"
#include "chconn/manager/manager.h"
#include "chconn/strategy/failover.h"
#include "fault/fault_support.h"
#include "support/connection_helpers.h"
#include "support/mock_support.h"
#include "support/sandbox.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using test::sandbox_cmd;

const char* const k_names[] = {"fault1", "fault2", "fault3"};

constexpr const char* k_query = "SELECT sum(number) AS s FROM numbers(10000)";
constexpr std::uint64_t k_sum = 10000ull * 9999ull / 2;

double ms(steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* n : k_names) {
      // A server an earlier test left paused or dead is brought back (same ports, data kept).
      sandbox_cmd("resume", n);
      if (!answers(n)) {
        ASSERT_TRUE(sandbox_cmd("restart", n)) << n;
      }
    }
    std::vector<HostPort> hosts;
    for (const char* n : k_names) hosts.push_back({"127.0.0.1", test::sandbox(n).native_port});
    config = test::fault_config(std::move(hosts), "chconn-fault-tests", 2s, 500ms);
  }

  static bool answers(const std::string& name) {
    try {
      auto c = test::connect(test::sandbox_config(name));
      c->ping(Deadline::after(2s));
      return true;
    } catch (const std::exception&) {
      return false;
    }
  }

  // The manager over one FailoverStrategy ("failover") of the three servers.
  void build(LoadBalancing policy = LoadBalancing::round_robin) {
    // A failed host is put behind the others only after a few errors, and forgiven within
    // seconds: the stop test needs it tried often enough for its breaker to open.
    const FailoverOptions o = test::fault_failover_options(config, policy, 5, 1s);
    failover = std::make_shared<FailoverStrategy>(o, pooled_host_maker(config));
    for (std::size_t i = 0; i < failover->host_count(); ++i) {
      failover->breaker(i).add_listener([this, i](CircuitState, CircuitState to) {
        std::lock_guard lock(transitions_mutex);
        transitions.emplace_back(i, to);
      });
    }
    factory = test::factory_of(failover);
    manager = std::make_unique<ConnectionManager>(factory, test::fault_manager_options());
  }

  bool opened(std::size_t host) {
    std::lock_guard lock(transitions_mutex);
    return std::any_of(transitions.begin(), transitions.end(),
                       [&](const auto& t) { return t.first == host && t.second == CircuitState::open; });
  }

  Config config;
  std::shared_ptr<FailoverStrategy> failover;
  std::shared_ptr<ConnectionFactory> factory;
  std::unique_ptr<ConnectionManager> manager;
  std::mutex transitions_mutex;
  std::vector<std::pair<std::size_t, CircuitState>> transitions;
};

// Two threads of reads; runs `during` once `trigger_at` of them have completed.
struct Load {
  std::atomic<int> done{0};
  std::atomic<int> errors{0};
  std::atomic<int> wrong{0};
  std::mutex mutex;
  std::vector<std::string> messages;
  steady::duration worst_overshoot{};
  steady::duration worst_latency{};
};

void run_reads(ConnectionManager& manager, int per_thread, Load& load, steady::duration deadline_after) {
  auto worker = [&] {
    for (int i = 0; i < per_thread; ++i) {
      ExecuteOptions o;
      const steady::time_point start = steady::now();
      o.deadline = Deadline::after(deadline_after);
      try {
        const Result r = manager.execute(k_query, {}, o);
        if (test::first_uint64(r, "s") != k_sum) ++load.wrong;
      } catch (const Error& e) {
        ++load.errors;
        std::lock_guard lock(load.mutex);
        if (load.messages.size() < 10) load.messages.push_back(e.what());
      }
      const steady::time_point end = steady::now();
      {
        std::lock_guard lock(load.mutex);
        load.worst_latency = std::max(load.worst_latency, end - start);
        const auto over = end - (start + deadline_after);
        load.worst_overshoot = std::max(load.worst_overshoot, over);
      }
      ++load.done;
    }
  };
  std::thread a(worker);
  std::thread b(worker);
  a.join();
  b.join();
}

TEST_F(FaultTest, KilledServerDuringReadsCallersSeeNoError) {
  build();
  Load load;
  constexpr int k_per_thread = 300;
  std::thread killer([&] {
    test::wait_until([&] { return load.done.load() >= 100; });
    EXPECT_TRUE(sandbox_cmd("kill", "fault2"));
  });
  run_reads(*manager, k_per_thread, load, 10s);
  killer.join();
  const auto hosts = failover->host_stats();
  std::cout << "[figures] kill: caller errors " << load.errors << " of " << 2 * k_per_thread << ", worst call latency "
            << ms(load.worst_latency) << " ms, fault2 failures " << hosts[1].failures << ", breaker "
            << to_string(hosts[1].breaker) << ", served by fault1/fault3: " << hosts[0].successes << "/"
            << hosts[2].successes << "\n";
  for (const auto& m : load.messages) std::cout << "  error: " << m << "\n";
  EXPECT_EQ(load.errors.load(), 0);
  EXPECT_EQ(load.wrong.load(), 0);
  EXPECT_GE(hosts[1].failures, 1u);
  EXPECT_GT(hosts[0].successes, 0u);
  EXPECT_GT(hosts[2].successes, 0u);
  EXPECT_TRUE(sandbox_cmd("restart", "fault2"));
}

TEST_F(FaultTest, StoppedServerCallsKeepTheirDeadlineAndTheHostComesBack) {
  build();
  Load load;
  constexpr int k_per_thread = 150;
  const steady::duration deadline = 5s;
  std::thread pauser([&] {
    test::wait_until([&] { return load.done.load() >= 50; });
    EXPECT_TRUE(sandbox_cmd("pause", "fault2"));
  });
  run_reads(*manager, k_per_thread, load, deadline);
  pauser.join();
  // How many of those calls reached fault2 after the pause depends on how busy the machine is (on
  // a loaded one, few): keep reading, bounded, until its breaker has seen enough calls to judge.
  for (int round = 0; round < 20 && !opened(1); ++round) run_reads(*manager, 10, load, deadline);
  auto hosts = failover->host_stats();
  const std::uint64_t successes_while_stopped = hosts[1].successes;
  std::cout << "[figures] stop: caller errors " << load.errors << " of " << load.done << ", worst call latency "
            << ms(load.worst_latency) << " ms, worst deadline overshoot " << std::max(0.0, ms(load.worst_overshoot))
            << " ms, fault2 failures " << hosts[1].failures << "\n";
  for (const auto& m : load.messages) std::cout << "  error: " << m << "\n";
  // The deadline contract (5 s per call): a call ends by its deadline, the cancel drain of the
  // query in flight included; the margin is for scheduling only.
  EXPECT_LT(load.worst_overshoot, 1s);
  EXPECT_EQ(load.wrong.load(), 0);
  EXPECT_TRUE(opened(1)) << "fault2's breaker never opened";

  // Resume; keep reading until fault2 serves again (its breaker lets probes through and closes).
  const steady::time_point resumed = steady::now();
  ASSERT_TRUE(sandbox_cmd("resume", "fault2"));
  bool back = false;
  for (int i = 0; i < 5000 && !back; ++i) {
    try {
      (void)manager->execute(k_query);
    } catch (const Error&) {
    }
    // The health check probes every host whose breaker permits it (half-open after 1 s), which
    // is what brings a recovered host back even while its error count still sorts it last.
    if (i % 10 == 0) (void)manager->run_health_check_once();
    hosts = failover->host_stats();
    back = hosts[1].successes > successes_while_stopped && hosts[1].breaker == CircuitState::closed;
    if (!back && steady::now() - resumed > 60s) break;  // a guard against a hang, not a timing check
  }
  std::cout << "[figures] stop: fault2 used again " << ms(steady::now() - resumed) << " ms after SIGCONT\n";
  EXPECT_TRUE(back) << "fault2 was not used again after SIGCONT";
}

// Health checks of a failover whose first host is stopped (SIGSTOP: the kernel still accepts
// connections, the server never answers) and whose second is up, through the manager with a
// health-check timeout as long as the connect timeout (as `chconn health` runs them). Every check
// finds the second host OK; it is never charged and its breaker never opens, however many checks
// run, so calls keep reaching it. The stopped host is charged for the checks that reached it.
TEST_F(FaultTest, HealthChecksBehindAStoppedFirstHostFindTheSecondHealthy) {
  Config two = config;
  two.hosts.resize(2);  // fault1 (stopped below), fault2
  const FailoverOptions o = test::fault_failover_options(two, LoadBalancing::in_order, 0, 60s);
  failover = std::make_shared<FailoverStrategy>(o, pooled_host_maker(two));
  factory = test::factory_of(failover);
  ManagerOptions m = test::fault_manager_options();
  m.health_check_timeout = two.timeouts.connect;
  manager = std::make_unique<ConnectionManager>(factory, m);

  ASSERT_TRUE(sandbox_cmd("pause", "fault1"));
  constexpr int k_checks = 8;  // well past the breakers' minimum_calls (3)
  steady::duration worst{};
  int contacted = 0;
  for (int i = 0; i < k_checks; ++i) {
    const steady::time_point start = steady::now();
    const HealthReport r = manager->run_health_check_once();
    worst = std::max(worst, steady::now() - start);
    ASSERT_EQ(r.strategies.size(), 1u);
    const StrategyHealth& f = r.strategies[0];
    ASSERT_EQ(f.hosts.size(), 2u);
    EXPECT_TRUE(f.ok) << to_string(r);
    EXPECT_TRUE(f.hosts[1].checked) << to_string(r);
    EXPECT_TRUE(f.hosts[1].ok) << to_string(r);
    EXPECT_FALSE(f.hosts[0].ok) << to_string(r);
    if (f.hosts[0].checked) ++contacted;
  }
  // Calls reach fault2 while fault1 stays stopped: never circuit_open.
  int call_errors = 0;
  for (int i = 0; i < 20; ++i) {
    try {
      (void)manager->execute(k_query);
    } catch (const Error& e) {
      ++call_errors;
      std::cout << "  error: " << e.what() << "\n";
    }
  }
  const auto hosts = failover->host_stats();
  EXPECT_TRUE(sandbox_cmd("resume", "fault1"));
  std::cout << "[figures] health behind a stopped first host: " << k_checks << " checks, slowest " << ms(worst)
            << " ms (timeout " << m.health_check_timeout.count() << " ms), fault1 contacted " << contacted
            << " times, failures " << hosts[0].failures << ", fault2 failures " << hosts[1].failures << "\n";
  EXPECT_EQ(hosts[1].failures, 0u);
  EXPECT_EQ(hosts[1].breaker, CircuitState::closed);
  EXPECT_GE(hosts[1].successes, static_cast<std::uint64_t>(k_checks));
  EXPECT_EQ(call_errors, 0);
  EXPECT_EQ(hosts[0].failures, static_cast<std::uint64_t>(contacted));
  EXPECT_GE(contacted, 3);
  EXPECT_EQ(hosts[0].breaker, CircuitState::open);
  // A check round lasts one timeout when the hosts are checked at once; the bound allows two
  // (a host may start late and still get its whole budget) and a second of slack.
  EXPECT_LT(worst, 2 * m.health_check_timeout + 1s);
}

TEST_F(FaultTest, RestartedServerPoolsRecoverWithoutRepeatedStaleConnections) {
  // Idle connections are not pinged before reuse here, so the stale ones do reach a caller.
  config.pool.validate_after_idle = std::chrono::hours(1);
  build(LoadBalancing::in_order);  // fault1 first: its pool holds the connections that go stale
  for (int i = 0; i < 20; ++i) (void)manager->execute(k_query);
  ASSERT_GT(failover->host_stats()[0].pool.idle, 0u);
  const auto retries_of = [&] {
    const std::string text = manager->metrics_text();
    const std::string key = "chconn_retries_total{strategy=\"failover\"} ";
    const auto at = text.find(key);
    return at == std::string::npos ? 0ull : std::stoull(text.substr(at + key.size()));
  };
  const auto before = retries_of();
  const steady::time_point restart = steady::now();
  ASSERT_TRUE(sandbox_cmd("restart", "fault1"));
  const steady::time_point up = steady::now();
  int errors = 0;
  steady::duration first_call{};
  for (int i = 0; i < 50; ++i) {
    if (i == 1) first_call = steady::now() - up;
    try {
      (void)manager->execute(k_query);
    } catch (const Error& e) {
      ++errors;
      std::cout << "  error: " << e.what() << "\n";
    }
  }
  const auto after = retries_of();
  const auto hosts = failover->host_stats();
  std::cout << "[figures] restart: caller errors " << errors << ", retries caused by stale connections "
            << after - before << ", restart took " << ms(up - restart) << " ms, first call after it " << ms(first_call)
            << " ms, fault1 served " << hosts[0].successes << " leases\n";
  EXPECT_EQ(errors, 0);
  // One stale connection reaches the (single) caller at most once: the failure retires the other
  // idle connections to the restarted server.
  EXPECT_LE(after - before, 1u);
  EXPECT_GT(hosts[0].pool.open, 0u);  // fault1's pool is back in use
  EXPECT_EQ(failover->breaker(0).state(), CircuitState::closed);
}

TEST_F(FaultTest, AcknowledgedInsertsArePresentExactlyOnce) {
  const std::string table = "fault_inserts";
  for (const char* n : k_names) {
    auto c = test::connect(test::sandbox_config(n));
    c->execute("DROP TABLE IF EXISTS " + table);
    c->execute("CREATE TABLE " + table + " (id UInt64) ENGINE = MergeTree ORDER BY id");
  }
  build();
  constexpr int k_per_thread = 150;
  std::mutex mutex;
  std::vector<std::uint64_t> acked;
  std::vector<std::uint64_t> failed;
  std::atomic<int> done{0};
  // The faults happen at fixed points of the load: each worker waits at iteration 50, 100 and 125
  // until the fault thread has done the next step (the steps take longer than the inserts).
  std::atomic<int> phase{0};
  const auto gate = [&](int i) {
    const int need = i == 50 ? 1 : i == 100 ? 2 : i == 125 ? 3 : 0;
    if (need != 0) test::wait_until([&] { return phase.load() >= need; });
  };
  auto worker = [&](std::uint64_t base) {
    for (int i = 0; i < k_per_thread; ++i) {
      gate(i);
      const std::uint64_t id = base + static_cast<std::uint64_t>(i);
      const Block block = test::uint64_block("id", {id});
      ExecuteOptions o;
      o.deadline = Deadline::after(10s);
      try {
        manager->insert(table, std::span<const Block>(&block, 1), o);  // never retried: not idempotent
        std::lock_guard lock(mutex);
        acked.push_back(id);
      } catch (const Error&) {
        std::lock_guard lock(mutex);
        failed.push_back(id);
      }
      ++done;
    }
  };
  std::thread faults([&] {
    test::wait_until([&] { return done.load() >= 100; });
    EXPECT_TRUE(sandbox_cmd("kill", "fault3"));
    phase = 1;
    test::wait_until([&] { return done.load() >= 200; });
    EXPECT_TRUE(sandbox_cmd("pause", "fault2"));  // fault3 still dead
    phase = 2;
    test::wait_until([&] { return done.load() >= 250; });
    EXPECT_TRUE(sandbox_cmd("resume", "fault2"));
    EXPECT_TRUE(sandbox_cmd("restart", "fault3"));
    phase = 3;
  });
  std::thread a(worker, 1'000'000);
  std::thread b(worker, 2'000'000);
  a.join();
  b.join();
  faults.join();

  std::map<std::uint64_t, std::uint64_t> count;
  for (const char* n : k_names) {
    auto c = test::connect(test::sandbox_config(n));
    const Result r = c->execute("SELECT id, count() AS n FROM " + table + " GROUP BY id");
    for (const Block& blk : r.blocks) {
      const auto& ids = blk.column_as<ColumnUInt64>("id");
      const auto& ns = blk.column_as<ColumnUInt64>("n");
      for (std::size_t i = 0; i < blk.rows(); ++i) count[ids.at(i)] += ns.at(i);
    }
  }
  std::size_t missing = 0;
  std::size_t doubled = 0;
  for (std::uint64_t id : acked) {
    if (count[id] == 0) ++missing;
    if (count[id] > 1) ++doubled;
  }
  std::size_t failed_but_present = 0;
  for (std::uint64_t id : failed) failed_but_present += count[id] > 0 ? 1 : 0;
  std::cout << "[figures] inserts: acknowledged " << acked.size() << ", reported failed " << failed.size()
            << " (of which present anyway " << failed_but_present << "), acknowledged but missing " << missing
            << ", present twice " << doubled << "\n";
  EXPECT_EQ(acked.size() + failed.size(), 2u * k_per_thread);
  EXPECT_EQ(missing, 0u);
  EXPECT_EQ(doubled, 0u);
  for (const auto& [id, n] : count) EXPECT_LE(n, 1u) << "id " << id;
}

}  // namespace
}  // namespace chconn
