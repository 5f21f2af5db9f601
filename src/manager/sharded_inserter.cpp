// ShardedInserter: rows split by the Distributed engine's rule and inserted shard by shard through
// the manager.
#include "chconn/manager/sharded_inserter.h"

#include <algorithm>
#include <bit>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include "chconn/core/error.h"
#include "chconn/factory/factory.h"
#include "chconn/strategy/failover.h"
#include "chconn/wire/columns.h"
#include "core/concurrent.h"
#include "wire/cityhash.h"

namespace chconn {

namespace {

constexpr std::uint64_t k_max_total_weight = std::uint64_t{1} << 32;

// The number the shards' weights divide for each row of `column`, by the rule `key` (see the
// header); Error(usage) for a column type the rule does not take.
std::vector<std::uint64_t> keys_of(const Column& column, std::string_view name, ShardKey key) {
  std::vector<std::uint64_t> keys(column.size());
  // The engine's block selector reads a signed key column through an unsigned type of at least 32
  // bits (Int8/16/32 as UInt32, Int64 as UInt64): the conversion keeps the value modulo 2^32 or 2^64.
  const auto read = [&]<typename Unsigned>(const auto& c, Unsigned) {
    for (std::size_t i = 0; i < keys.size(); ++i) keys[i] = static_cast<Unsigned>(c[i]);
  };
  const auto refuse = [&](std::string_view wanted) {
    return Error(ErrorKind::usage, "ShardedInserter: the sharding key column '" + std::string(name) + "' is " +
                                       column.type()->name() + "; " + std::string(wanted));
  };
  if (key == ShardKey::city_hash64) {
    const auto hash = [&](const auto& c) {
      for (std::size_t i = 0; i < keys.size(); ++i) {
        const std::string_view bytes = c.at(i);
        keys[i] = wire::city_hash64(bytes.data(), bytes.size());
      }
    };
    // A number is hashed as intHash64 of its bits, zero-extended from its own width.
    const auto hash_bits = [&]<typename Bits>(const auto& c, Bits) {
      for (std::size_t i = 0; i < keys.size(); ++i) keys[i] = wire::int_hash64(std::bit_cast<Bits>(c[i]));
    };
    switch (column.type()->code()) {
      case TypeCode::String: hash(column_cast<ColumnString>(column)); break;
      case TypeCode::FixedString: hash(column_cast<ColumnFixedString>(column)); break;
      case TypeCode::UInt8: hash_bits(column_cast<ColumnUInt8>(column), std::uint8_t{}); break;
      case TypeCode::UInt16: hash_bits(column_cast<ColumnUInt16>(column), std::uint16_t{}); break;
      case TypeCode::UInt32: hash_bits(column_cast<ColumnUInt32>(column), std::uint32_t{}); break;
      case TypeCode::UInt64: hash_bits(column_cast<ColumnUInt64>(column), std::uint64_t{}); break;
      case TypeCode::Int8: hash_bits(column_cast<ColumnInt8>(column), std::uint8_t{}); break;
      case TypeCode::Int16: hash_bits(column_cast<ColumnInt16>(column), std::uint16_t{}); break;
      case TypeCode::Int32: hash_bits(column_cast<ColumnInt32>(column), std::uint32_t{}); break;
      case TypeCode::Int64: hash_bits(column_cast<ColumnInt64>(column), std::uint64_t{}); break;
      case TypeCode::Float32: hash_bits(column_cast<ColumnFloat32>(column), std::uint32_t{}); break;
      case TypeCode::Float64: hash_bits(column_cast<ColumnFloat64>(column), std::uint64_t{}); break;
      case TypeCode::Date: hash_bits(column_cast<ColumnDate>(column), std::uint16_t{}); break;
      case TypeCode::DateTime: hash_bits(column_cast<ColumnDateTime>(column), std::uint32_t{}); break;
      default:
        throw refuse(
            "ShardKey::city_hash64 takes a String, FixedString, an integer or float of at most 64 bits, Date or "
            "DateTime column");
    }
    return keys;
  }
  switch (column.type()->code()) {
    case TypeCode::UInt8: read(column_cast<ColumnUInt8>(column), std::uint64_t{}); break;
    case TypeCode::UInt16: read(column_cast<ColumnUInt16>(column), std::uint64_t{}); break;
    case TypeCode::UInt32: read(column_cast<ColumnUInt32>(column), std::uint64_t{}); break;
    case TypeCode::UInt64: read(column_cast<ColumnUInt64>(column), std::uint64_t{}); break;
    case TypeCode::Int8: read(column_cast<ColumnInt8>(column), std::uint32_t{}); break;
    case TypeCode::Int16: read(column_cast<ColumnInt16>(column), std::uint32_t{}); break;
    case TypeCode::Int32: read(column_cast<ColumnInt32>(column), std::uint32_t{}); break;
    case TypeCode::Int64: read(column_cast<ColumnInt64>(column), std::uint64_t{}); break;
    default:
      throw refuse(
          "it must be an integer of at most 64 bits (UInt8..UInt64, Int8..Int64): the shard of a row is its key "
          "modulo the total weight; for a String key hashed with cityHash64, pass ShardKey::city_hash64");
  }
  return keys;
}

}  // namespace

ShardedInserter::ShardedInserter(ConnectionManager& manager, std::vector<ShardTarget> shards, std::string key_column,
                                 ShardKey key)
    : manager_(&manager), shards_(std::move(shards)), key_column_(std::move(key_column)), key_(key) {
  if (shards_.empty()) throw Error(ErrorKind::usage, "ShardedInserter needs at least one shard");
  if (key_column_.empty()) throw Error(ErrorKind::usage, "ShardedInserter needs the name of its sharding key column");
  ends_.reserve(shards_.size());
  for (const ShardTarget& s : shards_) {
    if (s.strategy.empty()) throw Error(ErrorKind::usage, "ShardedInserter: a shard has no strategy name");
    if (s.weight > k_max_total_weight - total_weight_) {
      throw Error(ErrorKind::usage, "ShardedInserter: the shards' weights add up past 2^32");
    }
    total_weight_ += s.weight;
    ends_.push_back(total_weight_);
  }
  if (total_weight_ == 0) throw Error(ErrorKind::usage, "ShardedInserter: every shard has weight 0");
}

std::size_t ShardedInserter::shard_of(std::uint64_t key) const noexcept {
  const std::uint64_t slot = key % total_weight_;
  // The first shard whose range ends past the slot (a shard of weight 0 has an empty range).
  return static_cast<std::size_t>(std::upper_bound(ends_.begin(), ends_.end(), slot) - ends_.begin());
}

std::vector<std::uint64_t> ShardedInserter::insert(std::string_view table, std::span<const Block> blocks,
                                                   const ExecuteOptions& options) {
  // Every block is split before anything is sent, so a bad block sends nothing.
  std::vector<std::vector<Block>> per_shard(shards_.size());
  for (const Block& block : blocks) {
    if (block.rows() == 0) continue;
    const ColumnRef key = block.find(key_column_);
    if (!key) {
      throw Error(ErrorKind::usage, "ShardedInserter: a block has no sharding key column '" + key_column_ + "'");
    }
    const std::vector<std::uint64_t> keys = keys_of(*key, key_column_, key_);
    std::vector<std::size_t> shard_of_row(keys.size());
    for (std::size_t r = 0; r < keys.size(); ++r) shard_of_row[r] = shard_of(keys[r]);
    std::vector<Block> parts(shards_.size());
    for (std::size_t s = 0; s < shards_.size(); ++s) parts[s] = block.empty_copy();
    // Runs of consecutive rows of one shard are copied at once.
    std::size_t begin = 0;
    while (begin < keys.size()) {
      const std::size_t shard = shard_of_row[begin];
      std::size_t end = begin + 1;
      while (end < keys.size() && shard_of_row[end] == shard) ++end;
      for (std::size_t c = 0; c < block.column_count(); ++c) {
        parts[shard].column(c)->append_range(*block.column(c), begin, end - begin);
      }
      begin = end;
    }
    for (std::size_t s = 0; s < shards_.size(); ++s) {
      if (parts[s].rows() != 0) per_shard[s].push_back(std::move(parts[s]));
    }
  }

  // The shards are written at once, each on a thread of its own (the caller's takes the first),
  // as a Distributed table writes its shards; every one runs to its end before the call returns.
  std::vector<std::optional<Error>> errors(shards_.size());
  const auto write = [&](std::size_t s) {
    ExecuteOptions o = options;
    o.strategy = shards_[s].strategy;
    try {
      manager_->insert(table, per_shard[s], o);
    } catch (const Error& e) {
      errors[s] = e;
    } catch (const std::exception& e) {
      errors[s] = Error(ErrorKind::usage, std::string("ShardedInserter: ") + e.what());
    }
  };
  std::vector<std::size_t> busy;
  for (std::size_t s = 0; s < shards_.size(); ++s) {
    if (!per_shard[s].empty()) busy.push_back(s);
  }
  if (!busy.empty()) detail::run_concurrently(busy.size(), busy.size(), [&](std::size_t i) { write(busy[i]); });

  std::vector<std::uint64_t> rows(shards_.size(), 0);
  std::string done;  // the shards that took their rows, for an error
  std::optional<std::size_t> first_failed;
  for (std::size_t s : busy) {
    if (errors[s]) {
      if (!first_failed) first_failed = s;
      continue;
    }
    for (const Block& b : per_shard[s]) rows[s] += b.rows();
    done += (done.empty() ? "" : ", ") + std::to_string(s + 1);
  }
  if (first_failed) {
    const std::size_t s = *first_failed;
    std::string failed;
    for (std::size_t f : busy) {
      if (errors[f]) failed += (failed.empty() ? "" : ", ") + std::to_string(f + 1);
    }
    throw errors[s]->with_context(
        "ShardedInserter: shard " + std::to_string(s + 1) + " (" + shards_[s].strategy +
        ") failed; shards that failed: " + failed + "; " +
        (done.empty() ? std::string("no shard took its rows") : "shards " + done + " took theirs (they keep them)"));
  }
  return rows;
}

ShardedInserter ShardedInserter::for_cluster(ConnectionManager& manager, std::string_view cluster, const Config& config,
                                             std::string key_column, ShardKey key) {
  Params p;
  p.set("c", cluster);
  const Result r = manager.execute(
      "SELECT shard_num, shard_weight, host_address, port FROM system.clusters WHERE cluster = {c:String} "
      "ORDER BY shard_num, replica_num",
      p);
  if (r.row_count() == 0) {
    throw Error(ErrorKind::usage, "ShardedInserter: the server knows no cluster '" + std::string(cluster) +
                                      "' (system.clusters has no row for it)");
  }
  std::map<std::uint32_t, std::pair<std::uint64_t, std::vector<HostPort>>> layout;
  for (std::size_t i = 0; i < r.row_count(); ++i) {
    auto& shard = layout[r.value<std::uint32_t>("shard_num", i)];
    shard.first = r.value<std::uint32_t>("shard_weight", i);
    shard.second.push_back(HostPort{r.value<std::string>("host_address", i), r.value<std::uint16_t>("port", i)});
  }
  std::vector<ShardTarget> shards;
  for (auto& [number, shard] : layout) {
    Config c = config;
    c.hosts = std::move(shard.second);
    FailoverOptions o = failover_options(c);
    o.name = std::string(cluster) + "/shard" + std::to_string(number);
    manager.factory()->register_strategy(std::make_shared<FailoverStrategy>(o, pooled_host_maker(c)), true);
    shards.push_back(ShardTarget{.strategy = o.name, .weight = shard.first});
  }
  return ShardedInserter(manager, std::move(shards), std::move(key_column), key);
}

}  // namespace chconn
