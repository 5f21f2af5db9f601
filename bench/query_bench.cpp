// Whole-query benchmarks against a running ClickHouse server (scripts/bench-queries starts a
// sandbox and runs this with CHCONN_BENCH_PORT set, next to clickhouse-client as the baseline).
//
//   CHCONN_BENCH_PORT=9000 ./query_bench --benchmark_filter=ReadUInt64
//
// Figures are rows (or round trips) per second; nothing is asserted.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "chconn/connection/native_connection.h"
#include "chconn/wire/columns.h"

namespace {

using namespace std::chrono_literals;

chconn::Config bench_config(chconn::Compression compression) {
  chconn::Config config;
  const char* host = std::getenv("CHCONN_BENCH_HOST");
  const char* port = std::getenv("CHCONN_BENCH_PORT");
  config.hosts = {{host ? host : "127.0.0.1", static_cast<std::uint16_t>(port ? std::atoi(port) : 9000)}};
  config.compression = compression;
  config.timeouts.query = 3600s;
  return config;
}

std::unique_ptr<chconn::NativeConnection> open(chconn::Compression compression) {
  const auto config = bench_config(compression);
  return chconn::NativeConnection::connect(config, config.hosts.front(), chconn::Deadline::after(10s));
}

chconn::Compression compression_arg(const benchmark::State& state) {
  return static_cast<chconn::Compression>(state.range(0));
}

void set_label(benchmark::State& state) { state.SetLabel(std::string(chconn::to_string(compression_arg(state)))); }

// SELECT 1 round trips on one connection.
void BM_SelectOne(benchmark::State& state) {
  auto conn = open(compression_arg(state));
  for (auto _ : state) {
    auto r = conn->execute("SELECT 1");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  set_label(state);
}

// 10^8 UInt64 read in full, every value touched.
void BM_ReadUInt64(benchmark::State& state) {
  auto conn = open(compression_arg(state));
  const std::uint64_t rows = static_cast<std::uint64_t>(state.range(1));
  for (auto _ : state) {
    std::uint64_t sum = 0, seen = 0;
    conn->select("SELECT number FROM system.numbers LIMIT " + std::to_string(rows), [&](const chconn::Block& b) {
      for (std::uint64_t v : b.column_as<chconn::ColumnUInt64>(0).data()) sum += v;
      seen += b.rows();
    });
    if (seen != rows) state.SkipWithError("wrong row count");
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows));
  set_label(state);
}

// toString(number): strings of 1-8 bytes.
void BM_ReadStrings(benchmark::State& state) {
  auto conn = open(compression_arg(state));
  const std::uint64_t rows = static_cast<std::uint64_t>(state.range(1));
  for (auto _ : state) {
    std::uint64_t bytes = 0;
    conn->select("SELECT toString(number) FROM system.numbers LIMIT " + std::to_string(rows),
                 [&](const chconn::Block& b) {
                   const auto& col = b.column_as<chconn::ColumnString>(0);
                   for (std::size_t i = 0; i < col.size(); ++i) bytes += col[i].size();
                 });
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows));
  set_label(state);
}

// 10^7 (UInt64, String) rows into a Null table, in blocks of 100,000.
void BM_InsertNull(benchmark::State& state) {
  auto conn = open(compression_arg(state));
  conn->execute("CREATE TABLE IF NOT EXISTS bench_null (id UInt64, name String) ENGINE = Null");
  const std::size_t block_rows = 100000;
  const std::size_t blocks = static_cast<std::size_t>(state.range(1)) / block_rows;
  std::vector<chconn::Block> data;
  for (std::size_t b = 0; b < blocks; ++b) {
    auto id = chconn::column_cast<chconn::ColumnUInt64>(chconn::make_column(chconn::parse_type("UInt64")));
    auto name = chconn::column_cast<chconn::ColumnString>(chconn::make_column(chconn::parse_type("String")));
    for (std::size_t i = 0; i < block_rows; ++i) {
      const std::uint64_t v = b * block_rows + i;
      id->append(v);
      name->append("name-" + std::to_string(v));
    }
    chconn::Block block;
    block.append("id", id);
    block.append("name", name);
    data.push_back(std::move(block));
  }
  for (auto _ : state) conn->insert("bench_null", data);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * blocks * block_rows));
  set_label(state);
}

constexpr int k_none = static_cast<int>(chconn::Compression::none);
constexpr int k_lz4 = static_cast<int>(chconn::Compression::lz4);

BENCHMARK(BM_SelectOne)->Arg(k_none)->Arg(k_lz4)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_ReadUInt64)->Args({k_none, 100000000})->Args({k_lz4, 100000000})->Iterations(3)->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadStrings)->Args({k_none, 20000000})->Args({k_lz4, 20000000})->Iterations(3)->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InsertNull)->Args({k_none, 10000000})->Args({k_lz4, 10000000})->Iterations(3)->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
