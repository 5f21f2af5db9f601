// ShardedInserter: an insert routed by a sharding key straight to each shard's local table, the
// practice of high-ingest services that spares the Distributed table's extra hop (a Distributed
// table receives every row, then writes each shard's part to that shard itself).
//
// The rule is the Distributed engine's: the shards' weights are laid end to end in shard order,
// and a row goes to the shard whose range holds `key % total_weight` (two shards of weight 1: even
// keys to the first, odd keys to the second). So rows written here land where a Distributed table
// with the same cluster and sharding key `key_column` would put them, and reads through that
// Distributed table see them.
//
// Each shard is reached through a strategy of the manager's factory (a FailoverStrategy over the
// shard's replicas: for_cluster() registers one per shard), so each shard's insert has the
// manager's breakers and retries; ExecuteOptions::deduplicated_retry makes a shard's insert safe to
// retry on a Replicated table (the blocks of a shard are the same on every attempt).
//
// The key column is the sharding key of the Distributed table it mirrors (ShardKey):
//   * ShardKey::value (sharding key `x`): UInt8..UInt64 as they are; Int8, Int16 and Int32 taken
//     as a 32-bit unsigned number (-1 is 2^32 - 1) and Int64 as a 64-bit one (-1 is 2^64 - 1),
//     as the engine's block selector reads a signed key column;
//   * ShardKey::city_hash64 (sharding key `cityHash64(x)`, the usual one for string ids): a String
//     or FixedString column, each row's bytes hashed as ClickHouse's cityHash64() hashes them; or a
//     UInt8..UInt64, Int8..Int64, Float32, Float64, Date or DateTime column, each value hashed as
//     cityHash64() hashes one number (intHash64 of its bits, not CityHash of its bytes).
// Any other column type is Error(usage), before anything is sent. A block's rows are split by shard in their order;
// each shard gets one block per input block that has rows for it, and the shards are written at once, each on a thread
// of its own (the caller's among them), as a Distributed table writes them. If a shard's insert
// fails, the others still run to their end, and the error names the shards that failed and those
// that took their rows (they keep them).
//
// Thread safety: insert() may be called from several threads at once (it keeps no state of its
// own between calls). Lifetimes: the manager must outlive the inserter.
//
// Example:
//   chconn::ConnectionManager manager(factory);
//   auto ins = chconn::ShardedInserter::for_cluster(manager, "cluster", config, "user_id");
//   chconn::ExecuteOptions o;
//   o.deduplicated_retry = true;  // the local tables are ReplicatedMergeTree
//   ins.insert("events_local", blocks, o);
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/config.h"
#include "chconn/manager/manager.h"
#include "chconn/wire/block.h"

namespace chconn {

// What a row's key column means: see the comment at the top.
enum class ShardKey {
  value,        // an integer column, as the sharding key `x`
  city_hash64,  // a String, FixedString, number, Date or DateTime column, as the sharding key `cityHash64(x)`
};

struct ShardTarget {
  std::string strategy;      // the factory strategy that reaches the shard
  std::uint64_t weight = 1;  // as the cluster's <weight>; 0 takes no rows (but at least one shard must weigh)
};

class ShardedInserter {
 public:
  // Throws Error(usage) for no shards, an empty key column name, all weights 0, or a total weight
  // past 2^32.
  ShardedInserter(ConnectionManager& manager, std::vector<ShardTarget> shards, std::string key_column,
                  ShardKey key = ShardKey::value);

  // The shards of `cluster` as the server reached by the manager's default strategy lists them in
  // system.clusters (shard_num, shard_weight, each replica's host_address and port): registers a
  // FailoverStrategy named "<cluster>/shard<N>" over each shard's replicas in the manager's factory
  // (replacing one of that name), made from `config` with its hosts replaced. Error(usage) when the
  // server knows no such cluster.
  static ShardedInserter for_cluster(ConnectionManager& manager, std::string_view cluster, const Config& config,
                                     std::string key_column, ShardKey key = ShardKey::value);

  // The shard (index into shards()) a key goes to: `key` is the row's number as the engine divides
  // it (the unsigned reading of an integer key, or the cityHash64 of a string key).
  std::size_t shard_of(std::uint64_t key) const noexcept;
  const std::vector<ShardTarget>& shards() const noexcept { return shards_; }

  // Inserts `blocks` into `table` (a table name as ConnectionManager::insert takes it: each
  // shard's local table), each row on its key's shard, through ConnectionManager::insert with
  // `options` (its strategy is replaced by each shard's). Returns the rows each shard took.
  std::vector<std::uint64_t> insert(std::string_view table, std::span<const Block> blocks,
                                    const ExecuteOptions& options = {});

 private:
  ConnectionManager* manager_;
  std::vector<ShardTarget> shards_;
  std::string key_column_;
  ShardKey key_ = ShardKey::value;
  std::vector<std::uint64_t> ends_;  // ends_[i]: the end of shard i's range of key % total weight
  std::uint64_t total_weight_ = 0;
};

}  // namespace chconn
