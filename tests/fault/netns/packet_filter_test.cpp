// Packet-filter faults: a server's port blackholed (nftables `drop`) or reset (`reject with tcp
// reset`). The program runs inside a private network namespace made by tests/fault/netns/netns-run, with
// two sandbox servers (netns1, netns2) started inside it, so the rules live in the namespace's own
// ruleset and vanish with it; they are also removed at the end of each test.
//
// What is checked: connect and query deadlines hold against a port that swallows packets; a
// refused or reset connection fails at once with a clear network error; through a
// ConnectionManager over a FailoverStrategy, reads see no error, the faulty host's breaker opens,
// the host is skipped while its breaker is open (its counters say so), and it is used again after
// the rule is removed. Loops are bounded in count, with a guard in time against a hang; the only
// real-time assertions are the deadline contracts, with generous margins.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/factory/factory.h"
#include "chconn/manager/manager.h"
#include "chconn/strategy/failover.h"
#include "fault/fault_support.h"
#include "support/connection_helpers.h"
#include "support/expect_error.h"
#include "support/mock_support.h"
#include "support/sandbox.h"

namespace chconn {
namespace {

using chconn::test::expect_error;

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

double ms(steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

constexpr const char* k_query = "SELECT sum(number) AS s FROM numbers(10000)";
constexpr std::uint64_t k_sum = 10000ull * 9999ull / 2;

// The test's own nftables table, in the namespace's ruleset; deleted by the destructor.
class Firewall {
 public:
  Firewall() {
    // Never outside the namespace netns-run makes: the rules would reach the machine's own network.
    if (std::getenv("CHCONN_NETNS_RUN_INSIDE") == nullptr) return;
    (void)run("delete table inet chconn_fault");  // left by a crashed earlier run in this namespace
    ok_ = run("add table inet chconn_fault") &&
          run("add chain inet chconn_fault input '{ type filter hook input priority 0; policy accept; }'");
  }
  ~Firewall() {
    if (ok_) (void)run("delete table inet chconn_fault");
  }
  Firewall(const Firewall&) = delete;
  Firewall& operator=(const Firewall&) = delete;

  bool ok() const { return ok_; }
  // Every packet to `port` is dropped: connects hang at SYN, open connections go silent.
  bool blackhole(std::uint16_t port) {
    return run("add rule inet chconn_fault input tcp dport " + std::to_string(port) + " drop");
  }
  // Every packet to `port` is answered with a TCP reset: connects are refused, open connections reset.
  bool reset(std::uint16_t port) {
    return run("add rule inet chconn_fault input tcp dport " + std::to_string(port) + " reject with tcp reset");
  }
  bool clear() { return run("flush chain inet chconn_fault input"); }

 private:
  static bool run(const std::string& args) {
    const std::string line = "nft " + args + " >/dev/null 2>&1";
    return std::system(line.c_str()) == 0;
  }
  bool ok_ = false;
};

enum class Fault { blackhole, reset };

const char* to_string(Fault f) { return f == Fault::blackhole ? "blackhole" : "reset"; }

bool apply(Firewall& fw, Fault f, std::uint16_t port) {
  return f == Fault::blackhole ? fw.blackhole(port) : fw.reset(port);
}

class NetnsFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(firewall.ok())
        << "no nftables table of the test's own: run this program through tests/fault/netns/netns-run";
    a = test::sandbox("netns1");
    b = test::sandbox("netns2");
    config = test::fault_config({{"127.0.0.1", a.native_port}, {"127.0.0.1", b.native_port}},
                                "chconn-netns-fault-tests", 1s, 300ms);
  }

  Config single(const test::SandboxServer& s) const {
    Config c = config;
    c.hosts = {{"127.0.0.1", s.native_port}};
    return c;
  }

  // The manager over one FailoverStrategy of netns1 then netns2 (in_order: netns1 serves while healthy).
  void build(std::chrono::milliseconds open_duration) {
    // netns1 stays first in the order whatever its error count, so that only its breaker keeps
    // calls away from it: the test checks that the breaker does.
    const FailoverOptions o = test::fault_failover_options(config, LoadBalancing::in_order, 1'000'000, open_duration);
    failover = std::make_shared<FailoverStrategy>(o, pooled_host_maker(config));
    failover->breaker(0).add_listener([this](CircuitState from, CircuitState to) {
      std::lock_guard lock(mutex);
      transitions.push_back({steady::now(), from, to});
    });
    auto factory = std::make_shared<ConnectionFactory>();
    factory->register_strategy(failover);
    factory->set_default("failover");
    manager = std::make_unique<ConnectionManager>(factory, test::fault_manager_options());
  }

  struct Transition {
    steady::time_point at;
    CircuitState from;
    CircuitState to;
  };

  std::vector<Transition> transitions_copy() {
    std::lock_guard lock(mutex);
    return transitions;
  }
  bool opened() {
    const auto t = transitions_copy();
    return std::any_of(t.begin(), t.end(), [](const Transition& x) { return x.to == CircuitState::open; });
  }

  // One read through the manager; true when it returned the right sum.
  bool read(steady::duration deadline, std::string* error = nullptr) {
    ExecuteOptions o;
    o.deadline = Deadline::after(deadline);
    try {
      return test::first_uint64(manager->execute(k_query, {}, o), "s") == k_sum;
    } catch (const Error& e) {
      if (error != nullptr) *error = e.what();
      return false;
    }
  }

  void scenario(Fault fault);

  Firewall firewall;
  test::SandboxServer a;
  test::SandboxServer b;
  Config config;
  std::shared_ptr<FailoverStrategy> failover;
  std::unique_ptr<ConnectionManager> manager;
  std::mutex mutex;
  std::vector<Transition> transitions;
};

TEST_F(NetnsFaultTest, ConnectToABlackholedPortEndsAtItsConnectTimeout) {
  ASSERT_TRUE(firewall.blackhole(a.native_port));
  Config c = single(a);
  c.timeouts.connect = 300ms;
  const steady::time_point start = steady::now();
  expect_error(ErrorKind::timeout, [&] { (void)test::connect(c); });
  const steady::duration took = steady::now() - start;
  std::cout << "[figures] blackhole: connect with a 300 ms timeout gave up after " << ms(took) << " ms\n";
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 300ms + 1s);
  // The other server is untouched.
  EXPECT_NO_THROW(test::connect(single(b))->ping(Deadline::after(2s)));
}

TEST_F(NetnsFaultTest, OpenConnectionToABlackholedPortKeepsItsDeadlinesAndReportsItselfUnusable) {
  auto c = test::connect(single(a));
  c->ping(Deadline::after(2s));
  ASSERT_TRUE(firewall.blackhole(a.native_port));

  const steady::time_point start = steady::now();
  expect_error(ErrorKind::timeout, [&] { c->ping(Deadline::after(400ms)); });
  const steady::duration took = steady::now() - start;
  std::cout << "[figures] blackhole: ping with a 400 ms deadline on an open connection ended after " << ms(took)
            << " ms\n";
  EXPECT_LT(took, 400ms + 1s);
  // A connection that missed an answer is out of step with the server: a pool must drop it.
  EXPECT_FALSE(c->usable());
}

TEST_F(NetnsFaultTest, QueryOnABlackholedConnectionEndsNearItsDeadline) {
  auto c = test::connect(single(a));
  c->ping(Deadline::after(2s));
  ASSERT_TRUE(firewall.blackhole(a.native_port));
  QueryOptions o;
  o.deadline = Deadline::after(700ms);
  const steady::time_point start = steady::now();
  expect_error(ErrorKind::timeout, [&] { (void)c->execute(k_query, o); });
  const steady::duration took = steady::now() - start;
  std::cout << "[figures] blackhole: query with a 700 ms deadline on an open connection ended after " << ms(took)
            << " ms (cancel drain " << ms(config.timeouts.cancel_drain) << " ms)\n";
  // The deadline bounds the call, the cancel drain included (it could not succeed here): only a
  // margin beyond it.
  EXPECT_LT(took, 700ms + 1s);
  EXPECT_FALSE(c->usable());
}

TEST_F(NetnsFaultTest, ResetPortRefusesConnectsAndResetsOpenConnectionsAtOnce) {
  auto open = test::connect(single(a));
  open->ping(Deadline::after(2s));
  ASSERT_TRUE(firewall.reset(a.native_port));

  steady::time_point start = steady::now();
  expect_error(ErrorKind::network, [&] { (void)test::connect(single(a)); });
  const steady::duration connect_took = steady::now() - start;

  start = steady::now();
  expect_error(ErrorKind::network, [&] { (void)open->execute(k_query); });
  const steady::duration query_took = steady::now() - start;
  EXPECT_FALSE(open->usable());
  std::cout << "[figures] reset: connect refused after " << ms(connect_took)
            << " ms, query on an open connection failed after " << ms(query_took) << " ms\n";
  // "At once": well inside the connect timeout and the receive timeout it would otherwise wait for.
  EXPECT_LT(connect_took, config.timeouts.connect);
  EXPECT_LT(query_took, config.timeouts.receive);
}

// The failover scenario, for either fault on netns1 (first in order) while netns2 stays healthy.
void NetnsFaultTest::scenario(Fault fault) {
  const steady::duration open_duration = 2s;
  build(std::chrono::duration_cast<std::chrono::milliseconds>(open_duration));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(read(10s));
  auto hosts = failover->host_stats();
  ASSERT_GT(hosts[0].pool.idle, 0u) << "netns1 should hold idle connections before the fault";
  ASSERT_EQ(hosts[1].successes, 0u) << "in_order: netns2 is not used while netns1 is healthy";

  ASSERT_TRUE(apply(firewall, fault, a.native_port));

  // Phase 1: two threads read until netns1's breaker opens (at most 40 reads each).
  const steady::duration deadline = 10s;
  std::atomic<int> errors{0};
  std::atomic<int> wrong{0};
  std::atomic<int> reads{0};
  std::mutex m;
  steady::duration worst_overshoot = steady::duration::min();
  steady::duration worst_latency{};
  std::vector<std::string> messages;
  auto worker = [&] {
    for (int i = 0; i < 40 && !opened(); ++i) {
      ExecuteOptions o;
      const steady::time_point start = steady::now();
      o.deadline = Deadline::after(deadline);
      try {
        if (test::first_uint64(manager->execute(k_query, {}, o), "s") != k_sum) ++wrong;
      } catch (const Error& e) {
        ++errors;
        std::lock_guard lock(m);
        if (messages.size() < 10) messages.push_back(e.what());
      }
      const steady::time_point end = steady::now();
      ++reads;
      std::lock_guard lock(m);
      worst_latency = std::max(worst_latency, end - start);
      worst_overshoot = std::max(worst_overshoot, end - (start + deadline));
    }
  };
  std::thread t1(worker);
  std::thread t2(worker);
  t1.join();
  t2.join();
  hosts = failover->host_stats();
  std::cout << "[figures] " << to_string(fault) << ": " << reads
            << " reads until netns1's breaker opened, caller errors " << errors << ", worst call latency "
            << ms(worst_latency) << " ms, worst deadline overshoot " << std::max(0.0, ms(worst_overshoot))
            << " ms, netns1 failures " << hosts[0].failures << "\n";
  for (const auto& msg : messages) std::cout << "  error: " << msg << "\n";
  ASSERT_TRUE(opened()) << "netns1's breaker never opened";
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LT(worst_overshoot, 1s);

  // Phase 2: while the breaker is open, netns1 is skipped: no read tries it. A read counts when
  // it started after the breaker's last transition to open and ended before that open period's
  // end (the breaker runs on the same steady clock, without jitter); reads go on until past it.
  int checked = 0;
  int tried_while_open = 0;
  const steady::time_point phase2_end_guard = steady::now() + 30s;
  for (int i = 0; i < 100000 && steady::now() < phase2_end_guard; ++i) {
    const auto before = failover->host_stats()[0];
    const steady::time_point start = steady::now();
    if (!read(deadline)) ++errors;
    const steady::time_point end = steady::now();
    const auto after = failover->host_stats()[0];
    const auto t = transitions_copy();
    if (t.empty()) break;
    const Transition* last = &t.back();
    if (last->to != CircuitState::open) break;  // the open period has ended
    if (last->at <= start && end < last->at + open_duration) {
      ++checked;
      // Not tried: no success or failure recorded, and passed by because its breaker refused.
      if (after.failures != before.failures || after.successes != before.successes || after.skipped == before.skipped) {
        ++tried_while_open;
      }
    }
    if (end >= last->at + open_duration) break;
  }
  std::cout << "[figures] " << to_string(fault) << ": " << checked << " reads inside the open period, "
            << tried_while_open << " of them tried netns1; skipped count " << failover->host_stats()[0].skipped << "\n";
  EXPECT_GT(checked, 0);
  EXPECT_EQ(tried_while_open, 0);
  EXPECT_EQ(errors.load(), 0);

  // Phase 3: the rule goes; netns1 serves again once its breaker lets probes through and closes.
  ASSERT_TRUE(firewall.clear());
  const steady::time_point cleared = steady::now();
  const std::uint64_t successes_before = failover->host_stats()[0].successes;
  bool back = false;
  for (int i = 0; i < 100000 && !back; ++i) {
    if (!read(deadline)) ++errors;
    if (i % 10 == 0) (void)manager->run_health_check_once();
    hosts = failover->host_stats();
    back = hosts[0].successes > successes_before && hosts[0].breaker == CircuitState::closed;
    if (!back && steady::now() - cleared > 60s) break;  // a guard against a hang, not a timing check
  }
  std::cout << "[figures] " << to_string(fault) << ": netns1 used again " << ms(steady::now() - cleared)
            << " ms after the rule was removed (open duration " << ms(open_duration) << " ms)\n";
  EXPECT_TRUE(back) << "netns1 was not used again after the rule was removed";
  EXPECT_EQ(errors.load(), 0);
}

TEST_F(NetnsFaultTest, BlackholedHostIsSkippedWhileItsBreakerIsOpenAndComesBack) { scenario(Fault::blackhole); }

TEST_F(NetnsFaultTest, ResetHostIsSkippedWhileItsBreakerIsOpenAndComesBack) { scenario(Fault::reset); }

}  // namespace
}  // namespace chconn
