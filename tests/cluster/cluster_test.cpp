// Tests on a real replicated, sharded cluster: `clickhouse-sandbox cluster start` brings up
// ZooKeeper and 2 shards x 2 replicas of 18.16 (instances cluster-s<shard>r<replica>, cluster name
// "cluster", macros {shard} and {replica}); the ctest fixture clickhouse_cluster starts it first and
// stops it last. The tests kill and restart nodes, so they run one at a time (RUN_SERIAL), and each
// leaves all four nodes running. Every table is the test's own (its name comes from the test's).
// Loops are bounded in count; only the replica-lag test polls, for a lag the server counts in
// whole seconds.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/factory/factory.h"
#include "chconn/manager/manager.h"
#include "chconn/manager/sharded_inserter.h"
#include "chconn/strategy/failover.h"
#include "chconn/wire/columns.h"
#include "cluster/lost_reply_proxy.h"
#include "fault/fault_support.h"
#include "support/connection_helpers.h"
#include "support/expect_error.h"
#include "support/mock_support.h"
#include "support/sandbox.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;
using test::sandbox_cmd;

constexpr const char* k_cluster = "cluster";
const std::vector<std::string> k_nodes = {"cluster-s1r1", "cluster-s1r2", "cluster-s2r1", "cluster-s2r2"};

// count() of `from` ("t WHERE ...") on `c`.
std::uint64_t count_of(NativeConnection& c, const std::string& from) {
  return c.execute("SELECT count() AS n FROM " + from).value<std::uint64_t>("n");
}

// Runs `f` again while the server's ZooKeeper session has expired: a replica paused (SIGSTOP)
// longer than the session timeout (6 s, more on a loaded machine) finds its session gone when it
// resumes, and 18.16 opens a new one at its next use. Bounded: 40 tries, 0.5 s apart.
template <class F>
void after_session_renewal(F&& f) {
  for (int attempt = 1;; ++attempt) {
    try {
      f();
      return;
    } catch (const Error& e) {
      const bool expired = e.kind() == ErrorKind::server && e.server_code() == 999 &&
                           std::string_view(e.what()).find("Session expired") != std::string_view::npos;
      if (!expired || attempt == 40) throw;
    }
    std::this_thread::sleep_for(500ms);
  }
}

bool answers(const std::string& node) {
  try {
    auto c = test::connect(test::sandbox_config(node));
    c->ping(Deadline::after(2s));
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const std::string& n : k_nodes) {
      // A node an earlier test left paused or dead comes back (same ports, data kept).
      sandbox_cmd("resume", n);
      if (!answers(n)) {
        ASSERT_TRUE(sandbox_cmd("restart", n)) << n;
      }
    }
    table = std::string("t_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (const std::string& n : k_nodes) {
      after_session_renewal([&] { node(n)->execute("SELECT count() FROM system.zookeeper WHERE path = '/'"); });
    }
    auto c = node("cluster-s1r1");
    c->execute("DROP TABLE IF EXISTS " + table + "_d ON CLUSTER " + k_cluster);
    c->execute("DROP TABLE IF EXISTS " + table + " ON CLUSTER " + k_cluster);
    c->execute("CREATE TABLE " + table + " ON CLUSTER " + k_cluster +
               " (x UInt64) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/" + table +
               "', '{replica}') ORDER BY x");
    c->execute("CREATE TABLE " + table + "_d ON CLUSTER " + k_cluster + " (x UInt64) ENGINE = Distributed(" +
               k_cluster + ", default, " + table + ", x)");
  }

  static std::unique_ptr<NativeConnection> node(const std::string& name) {
    return test::connect(test::sandbox_config(name));
  }

  // Rows of the test's table on `name` once it has fetched every part its shard's log names.
  std::uint64_t synced_count(const std::string& name) {
    auto c = node(name);
    after_session_renewal([&] { c->execute("SYSTEM SYNC REPLICA " + table); });
    return count_of(*c, table);
  }

  std::string table;
};

// The sandbox's topology as every node sees it: two shards of two replicas, in the nodes' order,
// and each node's own macros.
TEST_F(ClusterTest, EveryNodeSeesTwoShardsOfTwoReplicas) {
  for (const std::string& n : k_nodes) {
    auto c = node(n);
    const Result r = c->execute(
        "SELECT shard_num, replica_num, port FROM system.clusters WHERE cluster = 'cluster' "
        "ORDER BY shard_num, replica_num");
    ASSERT_EQ(r.row_count(), k_nodes.size()) << n;
    for (std::size_t i = 0; i < k_nodes.size(); ++i) {
      EXPECT_EQ(r.value<std::uint32_t>("shard_num", i), i / 2 + 1) << n;
      EXPECT_EQ(r.value<std::uint32_t>("replica_num", i), i % 2 + 1) << n;
      EXPECT_EQ(r.value<std::uint16_t>("port", i), test::sandbox(k_nodes[i]).native_port) << n;
    }
    const Result macros = c->execute("SELECT macro, substitution FROM system.macros ORDER BY macro");
    std::map<std::string, std::string> m;
    for (std::size_t i = 0; i < macros.row_count(); ++i) {
      m[macros.value<std::string>("macro", i)] = macros.value<std::string>("substitution", i);
    }
    EXPECT_EQ(m["replica"], n);
    EXPECT_EQ(m["shard"], n.substr(std::string("cluster-s").size(), 1));
  }
}

// A block inserted into one replica's table reaches the other replica of its shard, and only it.
TEST_F(ClusterTest, ReplicatedInsertReachesTheOtherReplicaOfItsShard) {
  auto c = node("cluster-s1r1");
  std::vector<std::uint64_t> xs(1000);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = i;
  c->insert(table, test::uint64_block("x", xs));
  EXPECT_EQ(synced_count("cluster-s1r2"), 1000u);
  EXPECT_EQ(synced_count("cluster-s2r1"), 0u);
  EXPECT_EQ(synced_count("cluster-s2r2"), 0u);
}

// Rows inserted through the Distributed table (synchronously) land on the shard that the sharding
// key picks: with equal weights, x % 2 == 0 on the first shard and 1 on the second, the rule a
// client-side sharded insert must follow. Reading through the Distributed table on any node sees
// them all once.
TEST_F(ClusterTest, DistributedInsertSplitsRowsByTheShardingKey) {
  auto c = node("cluster-s2r2");
  std::vector<std::uint64_t> xs(10000);
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = i * 7 + 3;
  QueryOptions sync;
  sync.settings.set("insert_distributed_sync", "1");
  c->insert(table + "_d", test::uint64_block("x", xs), sync);
  std::uint64_t even = 0;
  for (const std::uint64_t x : xs) even += x % 2 == 0 ? 1 : 0;
  EXPECT_EQ(synced_count("cluster-s1r1"), even);
  EXPECT_EQ(synced_count("cluster-s1r2"), even);
  EXPECT_EQ(synced_count("cluster-s2r1"), xs.size() - even);
  auto shard1 = node("cluster-s1r2");
  EXPECT_EQ(count_of(*shard1, table + " WHERE x % 2 = 1"), 0u);
  for (const std::string& n : k_nodes) {
    auto r = node(n);
    EXPECT_EQ(count_of(*r, table + "_d"), xs.size()) << n;
  }
}

// Reads and writes through a failover manager over the two replicas of shard 1 keep working while
// one replica is taken out at round 40 (`fault`: killed, or paused with SIGSTOP) and brought back
// at round 80 (`recovery`): no read fails and no insert fails (inserts use deduplicated_retry, so
// one in flight on the lost replica is sent again to the other, which drops it if it was stored),
// and every acknowledged insert is present exactly once on both replicas once they are in sync.
void survive(const std::string& table, const std::string& fault, const std::string& recovery) {
  Config config = test::fault_config({{"127.0.0.1", test::sandbox("cluster-s1r1").native_port},
                                      {"127.0.0.1", test::sandbox("cluster-s1r2").native_port}},
                                     "chconn-cluster-tests", 2s, 500ms);
  const FailoverOptions o = test::fault_failover_options(config, LoadBalancing::round_robin, 5, 1s);
  auto failover = std::make_shared<FailoverStrategy>(o, pooled_host_maker(config));
  ConnectionManager manager(test::factory_of(failover), test::fault_manager_options());
  ExecuteOptions dedup;
  dedup.deduplicated_retry = true;

  constexpr int k_rounds = 120;
  std::set<std::uint64_t> acknowledged;
  int read_failures = 0;
  int insert_failures = 0;
  std::vector<std::string> messages;
  for (int i = 0; i < k_rounds; ++i) {
    if (i == 40) {
      ASSERT_TRUE(sandbox_cmd(fault, "cluster-s1r1"));
    }
    if (i == 80) {
      ASSERT_TRUE(sandbox_cmd(recovery, "cluster-s1r1"));
    }
    const Block block = test::uint64_block("x", {static_cast<std::uint64_t>(i)});
    try {
      manager.insert(table, std::span<const Block>(&block, 1), dedup);
      acknowledged.insert(static_cast<std::uint64_t>(i));
    } catch (const Error& e) {
      ++insert_failures;
      if (messages.size() < 5) messages.push_back(e.what());
    }
    try {
      (void)manager.execute("SELECT count() FROM " + table);
    } catch (const Error& e) {
      ++read_failures;
      if (messages.size() < 5) messages.push_back(e.what());
    }
  }
  std::cout << "[cluster] " << fault << ": " << acknowledged.size() << " of " << k_rounds << " inserts acknowledged, "
            << insert_failures << " failed; " << read_failures << " reads failed\n";
  for (const std::string& m : messages) std::cout << "[cluster]   " << m << "\n";
  EXPECT_EQ(read_failures, 0);
  EXPECT_EQ(insert_failures, 0);

  for (const std::string& n : {std::string("cluster-s1r1"), std::string("cluster-s1r2")}) {
    auto c = test::connect(test::sandbox_config(n));
    after_session_renewal([&] { c->execute("SYSTEM SYNC REPLICA " + table); });
    const Result r = c->execute("SELECT x, count() AS c FROM " + table + " GROUP BY x ORDER BY x");
    std::set<std::uint64_t> present;
    for (std::size_t row = 0; row < r.row_count(); ++row) {
      EXPECT_EQ(r.value<std::uint64_t>("c", row), 1u) << n << ": x = " << r.value<std::uint64_t>("x", row);
      present.insert(r.value<std::uint64_t>("x", row));
    }
    for (const std::uint64_t x : acknowledged) EXPECT_TRUE(present.count(x)) << n << ": acknowledged " << x << " lost";
  }
}

TEST_F(ClusterTest, FailoverSurvivesAKilledReplica) { survive(table, "kill", "restart"); }

// SIGSTOP: the replica keeps its connections open and answers nothing; every call on it ends at
// the receive timeout (2 s here) and is retried on the other.
TEST_F(ClusterTest, FailoverSurvivesAPausedReplica) { survive(table, "pause", "resume"); }

// A replica that lags (its fetches stopped while its shard takes an insert) is passed over by a
// failover strategy with max_replica_delay=1s once a health check has read its lag, shows its lag
// in the health report and the metrics, and comes first again when it has caught up. Shard 2,
// whose nodes no test kills: a replica killed and restarted reports an absolute_delay of about the
// time since 1970 until its replication queue is loaded again (seen after the test above), and
// would be tried last too.
TEST_F(ClusterTest, MaxReplicaDelayPassesOverALaggingReplica) {
  auto lagging = node("cluster-s2r2");
  lagging->execute("SYSTEM STOP FETCHES " + table);
  node("cluster-s2r1")->insert(table, test::uint64_block("x", {1, 3, 5}));
  // absolute_delay counts whole seconds since the insert it has not fetched; poll until it is past
  // the limit (bounded in count).
  const std::string lag_sql = "SELECT max(absolute_delay) AS d FROM system.replicas";
  std::uint64_t lag = 0;
  for (int i = 0; i < 200 && lag < 2; ++i) {
    lag = lagging->execute(lag_sql).value<std::uint64_t>("d");
    if (lag < 2) std::this_thread::sleep_for(50ms);
  }
  ASSERT_GE(lag, 2u) << "the stopped replica never lagged";

  // The lagging replica first in the list, in_order: only its lag can put it behind the other.
  const Config config = Config::from_dsn(
      "clickhouse://127.0.0.1:" + std::to_string(test::sandbox("cluster-s2r2").native_port) +
      ",127.0.0.1:" + std::to_string(test::sandbox("cluster-s2r1").native_port) +
      "?strategy=failover&load_balancing=in_order&max_replica_delay=1s&client_name=chconn-cluster-tests");
  ASSERT_EQ(config.failover.max_replica_delay, 1s);
  auto failover = std::make_shared<FailoverStrategy>(config);
  ConnectionManager manager(test::factory_of(failover), test::fault_manager_options());
  const std::string which_sql = "SELECT substitution AS r FROM system.macros WHERE macro = 'replica'";
  const auto replica_of_next_lease = [&] { return failover->acquire()->execute(which_sql).value<std::string>("r"); };
  EXPECT_EQ(replica_of_next_lease(), "cluster-s2r2");  // no lag read yet

  const HealthReport report = manager.run_health_check_once();
  const std::vector<HostStats> hosts = failover->host_stats();
  ASSERT_EQ(hosts.size(), 2u);
  ASSERT_TRUE(hosts[0].replica_delay.has_value()) << to_string(report);
  EXPECT_GE(*hosts[0].replica_delay, 2s);
  EXPECT_TRUE(hosts[0].stale);
  EXPECT_EQ(hosts[1].replica_delay, 0s);
  EXPECT_FALSE(hosts[1].stale);
  EXPECT_NE(to_string(report).find("(stale: tried last)"), std::string::npos) << to_string(report);
  EXPECT_NE(manager.metrics_text().find("chconn_host_replica_delay_seconds"), std::string::npos);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(replica_of_next_lease(), "cluster-s2r1") << i;
  // Reads through the manager are served by the fresh replica, which has the rows.
  EXPECT_EQ(manager.execute("SELECT count() AS n FROM " + table).value<std::uint64_t>("n"), 3u);

  lagging->execute("SYSTEM START FETCHES " + table);
  after_session_renewal([&] { lagging->execute("SYSTEM SYNC REPLICA " + table); });
  manager.run_health_check_once();
  EXPECT_EQ(failover->host_stats()[0].replica_delay, 0s);
  EXPECT_EQ(replica_of_next_lease(), "cluster-s2r2");
}

// deduplicated_retry against lost acknowledgements: 1000 inserts of 5 distinct rows each through a
// failover manager over shard 1's replicas, the first behind a proxy that loses the server's
// acknowledgement of every 5th insert (the block is stored; the client sees the connection close
// in the middle of the reply). The manager sends the same block again, which the shard drops as a
// duplicate: every acknowledged row is on both replicas exactly once, no row is doubled, and the
// servers counted the dropped copies.
TEST_F(ClusterTest, DeduplicatedRetryLosesAndDoublesNothingWhenAcknowledgementsAreLost) {
  test::LostReplyProxy proxy(test::sandbox("cluster-s1r1").native_port);
  Config config =
      test::fault_config({{"127.0.0.1", proxy.port()}, {"127.0.0.1", test::sandbox("cluster-s1r2").native_port}},
                         "chconn-cluster-tests", 5s, 500ms);
  config.timeouts.query = 10s;
  const FailoverOptions o = test::fault_failover_options(config, LoadBalancing::in_order, 1000, 1s);
  auto failover = std::make_shared<FailoverStrategy>(o, pooled_host_maker(config));
  ConnectionManager manager(test::factory_of(failover), test::fault_manager_options());
  const auto duplicates_dropped = [&] {
    std::uint64_t n = 0;
    for (const char* name : {"cluster-s1r1", "cluster-s1r2"}) {
      n += node(name)
               ->execute("SELECT sum(value) AS v FROM system.events WHERE event = 'DuplicatedInsertedBlocks'")
               .value<std::uint64_t>("v");
    }
    return n;
  };
  const std::uint64_t dropped_before = duplicates_dropped();

  constexpr std::uint64_t k_inserts = 1000;
  constexpr std::uint64_t k_rows = 5;
  ExecuteOptions dedup;
  dedup.deduplicated_retry = true;
  std::set<std::uint64_t> acknowledged;
  std::vector<std::string> failures;
  for (std::uint64_t i = 0; i < k_inserts; ++i) {
    if (i % 5 == 2) proxy.arm();
    std::vector<std::uint64_t> xs;
    for (std::uint64_t r = 0; r < k_rows; ++r) xs.push_back(i * k_rows + r);
    const Block block = test::uint64_block("x", xs);
    try {
      manager.insert(table, std::span<const Block>(&block, 1), dedup);
      acknowledged.insert(xs.begin(), xs.end());
    } catch (const Error& e) {
      failures.push_back(e.what());
    }
  }
  const std::uint64_t lost = static_cast<std::uint64_t>(proxy.dropped());
  const std::uint64_t dropped = duplicates_dropped() - dropped_before;
  std::cout << "[cluster] " << k_inserts << " inserts: " << acknowledged.size() / k_rows << " acknowledged, "
            << failures.size() << " failed, " << lost << " acknowledgements lost, " << dropped
            << " duplicate blocks dropped by the servers\n";
  for (const std::string& f : failures) std::cout << "[cluster]   " << f << '\n';
  EXPECT_GE(lost, k_inserts / 5 - 1);
  EXPECT_TRUE(failures.empty());
  EXPECT_GE(dropped, lost - failures.size());

  for (const char* name : {"cluster-s1r1", "cluster-s1r2"}) {
    auto c = node(name);
    after_session_renewal([&] { c->execute("SYSTEM SYNC REPLICA " + table); });
    const Result doubled = c->execute("SELECT x FROM " + table + " GROUP BY x HAVING count() > 1");
    EXPECT_EQ(doubled.row_count(), 0u) << name;
    std::set<std::uint64_t> present;
    c->select("SELECT x FROM " + table, [&](const Block& b) {
      if (b.rows() == 0) return;
      const auto& col = b.column_as<ColumnUInt64>(0);
      for (std::size_t r = 0; r < b.rows(); ++r) present.insert(col.at(r));
    });
    std::size_t missing = 0;
    for (std::uint64_t x : acknowledged) missing += present.contains(x) ? 0 : 1;
    EXPECT_EQ(missing, 0u) << name;
    EXPECT_EQ(present.size(), acknowledged.size()) << name;  // and nothing that was not acknowledged
  }
}

// Why deduplicated_retry checks the table: the same lost acknowledgements on a plain MergeTree
// table, retried as `idempotent`, store the rows twice; deduplicated_retry refuses the table.
TEST_F(ClusterTest, ARetryDoublesRowsOfATableThatDoesNotDeduplicateAndDeduplicatedRetryRefusesIt) {
  const std::string plain = table + "_plain";
  auto direct = node("cluster-s2r1");
  direct->execute("DROP TABLE IF EXISTS " + plain);
  direct->execute("CREATE TABLE " + plain + " (x UInt64) ENGINE = MergeTree ORDER BY x");
  test::LostReplyProxy proxy(test::sandbox("cluster-s2r1").native_port);
  const Config config = test::fault_config({{"127.0.0.1", proxy.port()}}, "chconn-cluster-tests", 5s, 500ms);
  auto factory = std::make_shared<ConnectionFactory>();
  initialize(*factory, config);
  ConnectionManager manager(factory, test::fault_manager_options());

  constexpr std::uint64_t k_inserts = 50;
  ExecuteOptions idempotent;
  idempotent.idempotent = true;
  for (std::uint64_t i = 0; i < k_inserts; ++i) {
    if (i % 5 == 2) proxy.arm();
    const Block block = test::uint64_block("x", {i});
    manager.insert(plain, std::span<const Block>(&block, 1), idempotent);
  }
  EXPECT_EQ(proxy.dropped(), 10);
  const Result doubled = direct->execute("SELECT x FROM " + plain + " GROUP BY x HAVING count() = 2");
  EXPECT_EQ(doubled.row_count(), 10u);  // each lost acknowledgement's block, stored twice

  ExecuteOptions dedup;
  dedup.deduplicated_retry = true;
  const Block block = test::uint64_block("x", {1000});
  const Error e = test::thrown_error([&] { manager.insert(plain, std::span<const Block>(&block, 1), dedup); });
  EXPECT_EQ(e.kind(), ErrorKind::usage);
  EXPECT_NE(std::string(e.what()).find("is a MergeTree table"), std::string::npos) << e.what();
  EXPECT_EQ(count_of(*direct, plain), k_inserts + 10);
  direct->execute("DROP TABLE " + plain);
}

// ShardedInserter::for_cluster on the sandbox cluster: rows go straight to the shards' local
// tables by the Distributed engine's rule (even x to shard 1, odd to shard 2), every node's
// Distributed table reads them all once, and each shard's replicas agree. Then the same rows into a
// second table pair, once through the ShardedInserter and once through the Distributed table
// (insert_distributed_sync=1), timed in the same run (figures printed, not asserted).
TEST_F(ClusterTest, ShardedInserterWritesEachRowToItsShardsLocalTable) {
  const Config config = test::sandbox_config("cluster-s1r1");
  auto factory = std::make_shared<ConnectionFactory>();
  initialize(*factory, config);
  ConnectionManager manager(factory, test::fault_manager_options());
  ShardedInserter ins = ShardedInserter::for_cluster(manager, k_cluster, config, "x");
  ASSERT_EQ(ins.shards().size(), 2u);
  EXPECT_EQ(ins.shards()[0].strategy, "cluster/shard1");

  constexpr std::uint64_t k_blocks = 10;
  constexpr std::uint64_t k_block_rows = 10'000;
  std::vector<Block> blocks;
  for (std::uint64_t b = 0; b < k_blocks; ++b) {
    std::vector<std::uint64_t> xs(k_block_rows);
    for (std::uint64_t r = 0; r < k_block_rows; ++r) xs[r] = b * k_block_rows + r;
    blocks.push_back(test::uint64_block("x", xs));
  }
  ExecuteOptions dedup;
  dedup.deduplicated_retry = true;
  const std::vector<std::uint64_t> counts = ins.insert(table, blocks, dedup);
  EXPECT_EQ(counts, (std::vector<std::uint64_t>{k_blocks * k_block_rows / 2, k_blocks * k_block_rows / 2}));
  for (const std::string& n : k_nodes) EXPECT_EQ(synced_count(n), k_blocks * k_block_rows / 2) << n;
  for (const std::string& n : k_nodes) {
    const bool first_shard = n.find("-s1") != std::string::npos;
    auto c = node(n);
    EXPECT_EQ(count_of(*c, table + " WHERE x % 2 = " + (first_shard ? "1" : "0")), 0u) << n;
    EXPECT_EQ(count_of(*c, table + "_d"), k_blocks * k_block_rows) << n;
    EXPECT_EQ(c->execute("SELECT uniqExact(x) AS n FROM " + table + "_d").value<std::uint64_t>("n"),
              k_blocks * k_block_rows)
        << n;
  }

  // The same shape both ways, 10 blocks of 10^5 rows, into fresh tables.
  const std::string cmp = table + "_cmp";
  auto c = node("cluster-s1r1");
  c->execute("DROP TABLE IF EXISTS " + cmp + "_d ON CLUSTER " + k_cluster);
  c->execute("DROP TABLE IF EXISTS " + cmp + " ON CLUSTER " + k_cluster);
  c->execute("CREATE TABLE " + cmp + " ON CLUSTER " + k_cluster +
             " (x UInt64) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/" + cmp +
             "', '{replica}') ORDER BY x");
  c->execute("CREATE TABLE " + cmp + "_d ON CLUSTER " + k_cluster + " (x UInt64) ENGINE = Distributed(" + k_cluster +
             ", default, " + cmp + ", x)");
  std::vector<Block> big;
  std::vector<Block> big2;
  for (std::uint64_t b = 0; b < 10; ++b) {
    std::vector<std::uint64_t> xs(100'000);
    for (std::uint64_t r = 0; r < xs.size(); ++r) xs[r] = b * xs.size() + r;
    big.push_back(test::uint64_block("x", xs));
    for (std::uint64_t& x : xs) x += 1'000'000;
    big2.push_back(test::uint64_block("x", xs));
  }
  const auto t0 = std::chrono::steady_clock::now();
  ins.insert(cmp, big);
  const auto t1 = std::chrono::steady_clock::now();
  ExecuteOptions sync;
  sync.query.settings.set("insert_distributed_sync", "1");
  manager.insert(cmp + "_d", big2, sync);
  const auto t2 = std::chrono::steady_clock::now();
  const auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  std::cout << "[cluster] 10^6 rows in 10 blocks: ShardedInserter " << ms(t1 - t0) << " ms, Distributed table "
            << "(insert_distributed_sync=1) " << ms(t2 - t1) << " ms\n";
  for (const std::string& n : k_nodes) after_session_renewal([&] { node(n)->execute("SYSTEM SYNC REPLICA " + cmp); });
  EXPECT_EQ(count_of(*c, cmp + "_d"), 2'000'000u);
  c->execute("DROP TABLE " + cmp + "_d ON CLUSTER " + k_cluster);
  c->execute("DROP TABLE " + cmp + " ON CLUSTER " + k_cluster);
}

// Signed, string and hashed number sharding keys land where a Distributed table puts them. One
// local table (src, k Int32, l Int64, s String) on the weighted cluster (shards weighing 3 and 4:
// the sign extension of an Int32 and an Int64 key differ modulo 7), and five Distributed tables
// over it sharded by k, l, cityHash64(s), cityHash64(k) and cityHash64(l). The same 2000 rows
// (k = l from -1000 to 999) go through each Distributed table (insert_distributed_sync=1) and
// through a ShardedInserter with the matching rule; each shard must then hold the same rows from
// both, and the k and l rules must split the rows differently, by value and hashed (so the
// comparison can tell the two widths apart).
TEST_F(ClusterTest, SignedAndStringKeysLandWhereTheDistributedTablePutsThem) {
  constexpr const char* k_weighted = "cluster_weighted";
  const std::string t = table + "_keys";
  auto c = node("cluster-s1r1");
  for (const char* suffix : {"_dk", "_dl", "_ds", "_dhk", "_dhl", ""}) {
    c->execute("DROP TABLE IF EXISTS " + t + suffix + " ON CLUSTER " + k_cluster);
  }
  const std::string columns = " (src String, k Int32, l Int64, s String)";
  c->execute("CREATE TABLE " + t + " ON CLUSTER " + k_cluster + columns +
             " ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/" + t + "', '{replica}') ORDER BY k");
  struct Key {
    std::string column;
    std::string expression;
    ShardKey rule;
  };
  // By Distributed table suffix.
  const std::map<std::string, Key> keys = {{"k", {"k", "k", ShardKey::value}},
                                           {"l", {"l", "l", ShardKey::value}},
                                           {"s", {"s", "cityHash64(s)", ShardKey::city_hash64}},
                                           {"hk", {"k", "cityHash64(k)", ShardKey::city_hash64}},
                                           {"hl", {"l", "cityHash64(l)", ShardKey::city_hash64}}};
  for (const auto& [name, key] : keys) {
    const std::string& expression = key.expression;
    c->execute("CREATE TABLE " + t + "_d" + name + " ON CLUSTER " + k_cluster + columns + " ENGINE = Distributed(" +
               k_weighted + ", default, " + t + ", " + expression + ")");
  }

  const auto rows = [](const std::string& src) {
    auto srcs = std::make_shared<ColumnString>();
    auto ks = std::make_shared<ColumnInt32>();
    auto ls = std::make_shared<ColumnInt64>();
    auto ss = std::make_shared<ColumnString>();
    for (int i = -1000; i < 1000; ++i) {
      srcs->append(src);
      ks->append(i);
      ls->append(i);
      ss->append("user-" + std::to_string(i));
    }
    Block b;
    b.append("src", srcs);
    b.append("k", ks);
    b.append("l", ls);
    b.append("s", ss);
    return std::vector<Block>{b};
  };

  const Config config = test::sandbox_config("cluster-s1r1");
  auto factory = std::make_shared<ConnectionFactory>();
  initialize(*factory, config);
  ConnectionManager manager(factory, test::fault_manager_options());
  ExecuteOptions sync;
  sync.query.settings.set("insert_distributed_sync", "1");
  for (const auto& [name, key] : keys) {
    manager.insert(t + "_d" + name, rows("dist_" + name), sync);
    ShardedInserter ins = ShardedInserter::for_cluster(manager, k_weighted, config, key.column, key.rule);
    ASSERT_EQ(ins.shards().size(), 2u);
    EXPECT_EQ(ins.shards()[0].weight, 3u);
    EXPECT_EQ(ins.shards()[1].weight, 4u);
    ins.insert(t, rows("ins_" + name));
  }

  std::map<std::string, std::uint64_t> first_shard_rows;
  for (const std::string& n : {std::string("cluster-s1r1"), std::string("cluster-s2r1")}) {
    auto on = node(n);
    after_session_renewal([&] { on->execute("SYSTEM SYNC REPLICA " + t); });
    for (const auto& [name, key] : keys) {
      const std::string& expression = key.expression;
      const auto digest = [&](const std::string& src) {
        const Result r =
            on->execute("SELECT count() AS n, sum(cityHash64(k, l, s)) AS h FROM " + t + " WHERE src = '" + src + "'");
        return std::make_pair(r.value<std::uint64_t>("n"), r.value<std::uint64_t>("h"));
      };
      const auto dist = digest("dist_" + name);
      EXPECT_EQ(digest("ins_" + name), dist) << n << ", key " << expression;
      EXPECT_GT(dist.first, 0u) << n << ", key " << expression;
      EXPECT_LT(dist.first, 2000u) << n << ", key " << expression;
      if (n == "cluster-s1r1") first_shard_rows[name] = dist.first;
    }
  }
  EXPECT_NE(first_shard_rows["k"], first_shard_rows["l"]);
  EXPECT_NE(first_shard_rows["hk"], first_shard_rows["hl"]);
  for (const char* suffix : {"_dk", "_dl", "_ds", "_dhk", "_dhl", ""})
    c->execute("DROP TABLE " + t + suffix + " ON CLUSTER " + k_cluster);
}

}  // namespace
}  // namespace chconn
