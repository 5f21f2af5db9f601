// ShardedInserter over a manager whose factory has one MockStrategy per shard: the Distributed
// engine's routing rule (weights end to end, key % total weight), the split of blocks by shard,
// and the errors that send nothing.
#include "chconn/manager/sharded_inserter.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/factory/factory.h"
#include "chconn/strategy/mock.h"
#include "chconn/wire/columns.h"
#include "support/expect_error.h"
#include "support/mock_support.h"

namespace chconn {
namespace {

using test::expect_error;

class ShardedInserterTest : public ::testing::Test {
 protected:
  ShardedInserterTest() {
    for (int i = 0; i < 3; ++i) {
      servers.push_back(std::make_shared<MockServer>());
      factory->register_strategy(std::make_shared<MockStrategy>(servers.back(), "s" + std::to_string(i + 1)));
    }
    factory->set_default("s1");
  }

  // Rows (k UInt64, v String) with v = "row<k>".
  static Block rows(const std::vector<std::uint64_t>& keys) {
    auto k = std::make_shared<ColumnUInt64>();
    auto v = std::make_shared<ColumnString>();
    for (std::uint64_t key : keys) {
      k->append(key);
      v->append("row" + std::to_string(key));
    }
    Block b;
    b.append("k", k);
    b.append("v", v);
    return b;
  }

  // The keys server `i` was sent, in order, checking each row's v against its k.
  std::vector<std::uint64_t> keys_on(std::size_t i, const std::string& table = "events") {
    std::vector<std::uint64_t> out;
    for (const Block& b : servers[i]->inserted(table)) {
      const auto& k = b.column_as<ColumnUInt64>("k");
      const auto& v = b.column_as<ColumnString>("v");
      for (std::size_t r = 0; r < b.rows(); ++r) {
        EXPECT_EQ(v.at(r), "row" + std::to_string(k.at(r)));
        out.push_back(k.at(r));
      }
    }
    return out;
  }

  // Inserts one block of the key column `k` into the table named after its type through `ins`:
  // the rows each shard took, and the keys that went to the first shard.
  template <class C>
  std::pair<std::vector<std::uint64_t>, std::vector<std::int64_t>> shards_of(ShardedInserter& ins,
                                                                             std::shared_ptr<C> k) {
    const std::string table = k->type()->name();
    Block b;
    b.append("k", k);
    std::pair<std::vector<std::uint64_t>, std::vector<std::int64_t>> got;
    got.first = ins.insert(table, std::span<const Block>(&b, 1));
    for (const Block& sent : servers[0]->inserted(table)) {
      for (std::size_t r = 0; r < sent.rows(); ++r) got.second.push_back(sent.column_as<C>("k").at(r));
    }
    return got;
  }

  std::vector<std::shared_ptr<MockServer>> servers;
  std::shared_ptr<ConnectionFactory> factory = std::make_shared<ConnectionFactory>();
  ConnectionManager manager{factory};
};

// Weights 1, 2, 0: slot 0 -> shard 1, slots 1 and 2 -> shard 2, shard 3 takes nothing.
TEST_F(ShardedInserterTest, RoutesByKeyModuloTheTotalWeightAsTheDistributedEngine) {
  ShardedInserter ins(manager, {{"s1", 1}, {"s2", 2}, {"s3", 0}}, "k");
  EXPECT_EQ(ins.shard_of(0), 0u);
  EXPECT_EQ(ins.shard_of(1), 1u);
  EXPECT_EQ(ins.shard_of(2), 1u);
  EXPECT_EQ(ins.shard_of(3), 0u);
  EXPECT_EQ(ins.shard_of(UINT64_MAX), 0u);  // 2^64 - 1 = 3 * 6148914691236517205

  const std::vector<Block> blocks = {rows({0, 1, 2, 3, 4, 5, 6}), rows({7, 9, 12})};
  const std::vector<std::uint64_t> counts = ins.insert("events", blocks);
  EXPECT_EQ(counts, (std::vector<std::uint64_t>{5, 5, 0}));
  EXPECT_EQ(keys_on(0), (std::vector<std::uint64_t>{0, 3, 6, 9, 12}));
  EXPECT_EQ(keys_on(1), (std::vector<std::uint64_t>{1, 2, 4, 5, 7}));
  EXPECT_TRUE(servers[2]->inserted("events").empty());
  // One block per shard per input block that had rows for it.
  EXPECT_EQ(servers[0]->inserted("events").size(), 2u);
  EXPECT_EQ(servers[1]->inserted("events").size(), 2u);
}

TEST_F(ShardedInserterTest, KeysOfEveryUnsignedWidth) {
  ShardedInserter ins(manager, {{"s1", 1}, {"s2", 1}}, "k");
  auto k = std::make_shared<ColumnUInt8>();
  for (std::uint8_t x : {1, 2, 255}) k->append(x);
  Block b;
  b.append("k", k);
  EXPECT_EQ(ins.insert("t", std::span<const Block>(&b, 1)), (std::vector<std::uint64_t>{1, 2}));
}

// Signed keys as the engine's block selector reads them: Int8, Int16 and Int32 through UInt32, Int64
// through UInt64. Weights 3 and 4 (total 7) tell the two apart, since 2^32 and 2^64 differ mod 7:
// -1 is 2^32 - 1 = 3 (mod 7) as an Int32 (slot 3: shard 2) but 2^64 - 1 = 1 (mod 7) as an Int64
// (slot 1: shard 1); -3 is 1 (shard 1) and 6 (shard 2).
TEST_F(ShardedInserterTest, SignedKeysAsTheEnginesBlockSelectorReadsThem) {
  ShardedInserter ins(manager, {{"s1", 3}, {"s2", 4}}, "k");
  const auto keys = [&]<typename C>(std::shared_ptr<C> k) {
    for (const int x : {-1, -2, -3, 5}) k->append(static_cast<typename C::value_type>(x));
    return shards_of(ins, k);
  };
  using Got = std::pair<std::vector<std::uint64_t>, std::vector<std::int64_t>>;
  const Got narrow{{2, 2}, {-2, -3}};  // slots 3, 2, 1, 5
  EXPECT_EQ(keys(std::make_shared<ColumnInt8>()), narrow);
  EXPECT_EQ(keys(std::make_shared<ColumnInt16>()), narrow);
  EXPECT_EQ(keys(std::make_shared<ColumnInt32>()), narrow);
  EXPECT_EQ(keys(std::make_shared<ColumnInt64>()), (Got{{2, 2}, {-1, -2}}));  // slots 1, 0, 6, 5
}

// String keys hashed as the sharding key cityHash64(k): the hashes are 18.16.1's
// (`SELECT cityHash64('a')` ...): '' 6, 'a' 0, 'abc' 5, 'Moscow' 4, 'user-42' 1 (mod 7).
TEST_F(ShardedInserterTest, StringKeysHashedAsCityHash64) {
  ShardedInserter ins(manager, {{"s1", 3}, {"s2", 4}}, "k", ShardKey::city_hash64);
  auto k = std::make_shared<ColumnString>();
  for (const char* x : {"", "a", "abc", "Moscow", "user-42"}) k->append(x);
  Block b;
  b.append("k", k);
  EXPECT_EQ(ins.insert("t", std::span<const Block>(&b, 1)), (std::vector<std::uint64_t>{2, 3}));
  std::vector<std::string> on_first;
  for (const Block& sent : servers[0]->inserted("t")) {
    for (std::size_t r = 0; r < sent.rows(); ++r) on_first.emplace_back(sent.column_as<ColumnString>("k").at(r));
  }
  EXPECT_EQ(on_first, (std::vector<std::string>{"a", "user-42"}));

  // FixedString hashes its bytes, padding included.
  auto f = std::make_shared<ColumnFixedString>(3);
  f->append("abc");
  Block fb;
  fb.append("k", f);
  EXPECT_EQ(ins.insert("f", std::span<const Block>(&fb, 1)), (std::vector<std::uint64_t>{0, 1}));

  // The rule and the column must agree.
  Block uuids;
  uuids.append("k", std::make_shared<ColumnUUID>());
  uuids.column(0)->append_default();
  expect_error(ErrorKind::usage, [&] { ins.insert("t", std::span<const Block>(&uuids, 1)); },
               {"'k' is UUID", "String, FixedString, an integer or float"});
  ShardedInserter by_value(manager, {{"s1", 1}, {"s2", 1}}, "k");
  expect_error(ErrorKind::usage, [&] { by_value.insert("t", std::span<const Block>(&b, 1)); },
               {"'k' is String", "ShardKey::city_hash64"});
}

// Numbers under the sharding key cityHash64(k): intHash64 of each value's bits at its own width,
// as 18.16.1 hashes one number (unit_wire_cityhash has the server's values). Weights 3 and 4: -1
// and -2 as Int32 fall in slots 2 and 4, as Int64 in slots 2 and 1; 3 in slot 5, 1000 in slot 0.
TEST_F(ShardedInserterTest, NumberKeysHashedAsCityHash64HashesOneNumber) {
  ShardedInserter ins(manager, {{"s1", 3}, {"s2", 4}}, "k", ShardKey::city_hash64);
  const auto keys = [&]<typename C>(std::shared_ptr<C> k, std::vector<typename C::storage_type> values) {
    for (const auto x : values) k->append(x);
    return shards_of(ins, k);
  };
  using Got = std::pair<std::vector<std::uint64_t>, std::vector<std::int64_t>>;
  EXPECT_EQ(keys(std::make_shared<ColumnInt32>(), {-1, -2, 3, 1000}), (Got{{2, 2}, {-1, 1000}}));
  EXPECT_EQ(keys(std::make_shared<ColumnInt64>(), {-1, -2, 3, 1000}), (Got{{3, 1}, {-1, -2, 1000}}));
  // cityHash64 of Date 2020-01-02 and of Float64 1.5 are 3 and 5 modulo 7 (shard 2); of DateTime
  // 2020-01-02 03:04:05 and of Float32 1.5, 0 modulo 7 (shard 1).
  EXPECT_EQ(keys(std::make_shared<ColumnDate>(), {18263}).first, (std::vector<std::uint64_t>{0, 1}));
  EXPECT_EQ(keys(std::make_shared<ColumnFloat64>(), {1.5}).first, (std::vector<std::uint64_t>{0, 1}));
  EXPECT_EQ(keys(std::make_shared<ColumnDateTime>(), {1577934245}).first, (std::vector<std::uint64_t>{1, 0}));
  EXPECT_EQ(keys(std::make_shared<ColumnFloat32>(), {1.5F}).first, (std::vector<std::uint64_t>{1, 0}));
}

TEST_F(ShardedInserterTest, BadInputSendsNothing) {
  ShardedInserter ins(manager, {{"s1", 1}, {"s2", 1}}, "k");
  auto float_key = std::make_shared<ColumnFloat64>();
  float_key->append(1.0);
  Block bad;
  bad.append("k", float_key);
  const std::vector<Block> blocks = {rows({1, 2}), bad};
  expect_error(ErrorKind::usage, [&] { ins.insert("events", blocks); },
               {"'k' is Float64", "UInt8..UInt64, Int8..Int64"});
  const std::vector<Block> keyless = {rows({1}), [] {
                                        Block b;
                                        b.append("x", std::make_shared<ColumnUInt64>());
                                        b.column(0)->append_default();
                                        return b;
                                      }()};
  expect_error(ErrorKind::usage, [&] { ins.insert("events", keyless); }, {"no sharding key column 'k'"});
  EXPECT_TRUE(servers[0]->inserted("events").empty());
  EXPECT_TRUE(servers[1]->inserted("events").empty());

  expect_error(ErrorKind::usage, [&] { ShardedInserter(manager, {}, "k"); }, {"at least one shard"});
  expect_error(ErrorKind::usage, [&] { ShardedInserter(manager, {{"s1", 0}}, "k"); }, {"weight 0"});
  expect_error(ErrorKind::usage, [&] { ShardedInserter(manager, {{"s1", 1}}, ""); }, {"sharding key"});
  expect_error(ErrorKind::usage, [&] { ShardedInserter(manager, {{"s1", 1ULL << 32}, {"s2", 1}}, "k"); }, {"2^32"});
}

// A shard that fails: the error names it and the shards that already took their rows.
TEST_F(ShardedInserterTest, AFailedShardSaysWhichShardsKeptTheirRows) {
  ShardedInserter ins(manager, {{"s1", 1}, {"s2", 1}}, "k");
  servers[1]->fail_call(1, Error(ErrorKind::server, "Table default.events doesn't exist"));
  const std::vector<Block> blocks = {rows({0, 1, 2, 3})};
  expect_error(ErrorKind::server, [&] { ins.insert("events", blocks); },
               {"shard 2 (s2) failed", "shards that failed: 2;", "shards 1 took theirs"});
  EXPECT_EQ(keys_on(0), (std::vector<std::uint64_t>{0, 2}));
}

// for_cluster reads the layout from system.clusters and registers a failover strategy per shard.
TEST_F(ShardedInserterTest, ForClusterReadsTheLayoutAndRegistersAStrategyPerShard) {
  servers[0]->on(
      std::regex("SELECT shard_num, shard_weight, host_address, port FROM system\\.clusters .*"),
      {.result =
           MockResult(
               {{"shard_num", "UInt32"}, {"shard_weight", "UInt32"}, {"host_address", "String"}, {"port", "UInt16"}})
               .row(1u, 1u, "127.0.0.1", std::uint16_t{9001})
               .row(1u, 1u, "127.0.0.1", std::uint16_t{9002})
               .row(2u, 3u, "127.0.0.2", std::uint16_t{9003})});
  Config config;
  const ShardedInserter ins = ShardedInserter::for_cluster(manager, "c1", config, "k");
  ASSERT_EQ(ins.shards().size(), 2u);
  EXPECT_EQ(ins.shards()[0].strategy, "c1/shard1");
  EXPECT_EQ(ins.shards()[1].weight, 3u);
  const std::vector<HostStats> hosts = factory->get("c1/shard1")->host_stats();
  ASSERT_EQ(hosts.size(), 2u);
  EXPECT_EQ(hosts[1].address, "127.0.0.1:9002");
  EXPECT_EQ(servers[0]->calls()[0].params, Params().set("c", "c1"));

  servers[0]->clear_script();
  servers[0]->on(
      std::regex("SELECT shard_num.*"),
      {.result = MockResult(
           {{"shard_num", "UInt32"}, {"shard_weight", "UInt32"}, {"host_address", "String"}, {"port", "UInt16"}})});
  expect_error(ErrorKind::usage, [&] { ShardedInserter::for_cluster(manager, "nope", config, "k"); },
               {"no cluster 'nope'"});
}

}  // namespace
}  // namespace chconn
