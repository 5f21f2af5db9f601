// Column codec micro-benchmarks: decode (load_body into a fresh column, as read_block does) and
// encode (save_body) of ~1M-row columns from and to memory. Bytes/s counts the Native bytes.
//
//   cmake --build build/release --target columns_bench && build/release/bench/columns_bench
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>

#include "chconn/wire/column.h"
#include "chconn/wire/columns.h"
#include "chconn/wire/io.h"
#include "chconn/wire/types.h"

namespace {

using namespace chconn;

constexpr std::size_t k_rows = 1'000'000;

std::string random_string(std::mt19937_64& rng) {
  std::string s(rng() % 21, '\0');  // 0-20 bytes, 10 on average
  for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

ColumnRef make_uint64() {
  auto c = std::make_shared<ColumnUInt64>();
  std::mt19937_64 rng(1);
  for (std::size_t i = 0; i < k_rows; ++i) c->append(rng());
  return c;
}

ColumnRef make_string() {
  auto c = std::make_shared<ColumnString>();
  std::mt19937_64 rng(2);
  for (std::size_t i = 0; i < k_rows; ++i) c->append(random_string(rng));
  return c;
}

// The rows of `SELECT toString(number)`: decimal numbers, so long runs of values of one length.
ColumnRef make_number_string() {
  auto c = std::make_shared<ColumnString>();
  for (std::size_t i = 0; i < k_rows; ++i) c->append(std::to_string(i));
  return c;
}

ColumnRef make_nullable_string() {
  auto c = std::make_shared<ColumnNullable>(std::make_shared<ColumnString>());
  std::mt19937_64 rng(3);
  for (std::size_t i = 0; i < k_rows; ++i) {
    if (rng() % 5 == 0) {
      c->append_null();
    } else {
      c->nested_as<ColumnString>().append(random_string(rng));
      c->append_not_null();
    }
  }
  return c;
}

ColumnRef make_array_uint64() {
  auto c = std::make_shared<ColumnArray>(std::make_shared<ColumnUInt64>());
  std::mt19937_64 rng(4);
  auto& values = c->nested_as<ColumnUInt64>();
  for (std::size_t i = 0; i < k_rows; ++i) {
    const std::size_t n = rng() % 5;  // 2 elements on average
    for (std::size_t j = 0; j < n; ++j) values.append(rng());
    c->finish_row();
  }
  return c;
}

std::vector<std::string> lc_values() {
  std::mt19937_64 rng(5);
  std::vector<std::string> distinct(1000);
  for (auto& s : distinct) s = "value-" + random_string(rng);
  std::vector<std::string> rows(k_rows);
  for (auto& r : rows) r = distinct[rng() % distinct.size()];
  return rows;
}

ColumnRef make_low_cardinality() {
  auto c = std::make_shared<ColumnLowCardinality>(parse_type("LowCardinality(String)"));
  for (const auto& v : lc_values()) c->append(v);
  return c;
}

std::string encode(const Column& c) {
  wire::Writer w;
  c.save_prefix(w);
  c.save_body(w);
  return std::string(w.view());
}

void decode_bench(benchmark::State& state, ColumnRef (*make)()) {
  const ColumnRef source = make();
  const std::string bytes = encode(*source);
  for (auto _ : state) {
    wire::MemorySource src(bytes);
    wire::Reader in(src);
    ColumnRef c = source->clone_empty();
    c->load_prefix(in);
    c->load_body(in, k_rows);
    benchmark::DoNotOptimize(c.get());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_rows));
}

void encode_bench(benchmark::State& state, ColumnRef (*make)()) {
  const ColumnRef source = make();
  wire::Writer w;
  w.reserve(encode(*source).size());
  std::size_t bytes = 0;
  for (auto _ : state) {
    w.clear();
    source->save_prefix(w);
    source->save_body(w);
    bytes = w.size();
    benchmark::DoNotOptimize(w.data().data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k_rows));
}

void BM_DecodeUInt64(benchmark::State& s) { decode_bench(s, make_uint64); }
void BM_EncodeUInt64(benchmark::State& s) { encode_bench(s, make_uint64); }
void BM_DecodeString(benchmark::State& s) { decode_bench(s, make_string); }
void BM_EncodeString(benchmark::State& s) { encode_bench(s, make_string); }
void BM_DecodeNumberString(benchmark::State& s) { decode_bench(s, make_number_string); }
void BM_DecodeNullableString(benchmark::State& s) { decode_bench(s, make_nullable_string); }
void BM_EncodeNullableString(benchmark::State& s) { encode_bench(s, make_nullable_string); }
void BM_DecodeArrayUInt64(benchmark::State& s) { decode_bench(s, make_array_uint64); }
void BM_EncodeArrayUInt64(benchmark::State& s) { encode_bench(s, make_array_uint64); }
void BM_DecodeLowCardinalityString(benchmark::State& s) { decode_bench(s, make_low_cardinality); }
void BM_EncodeLowCardinalityString(benchmark::State& s) { encode_bench(s, make_low_cardinality); }

// Building a LowCardinality column value by value (hashing every value into the dictionary).
void BM_BuildLowCardinalityString(benchmark::State& state) {
  const auto values = lc_values();
  std::size_t bytes = 0;
  for (const auto& v : values) bytes += v.size();
  for (auto _ : state) {
    ColumnLowCardinality c(parse_type("LowCardinality(String)"));
    c.reserve(values.size());
    for (const auto& v : values) c.append(v);
    benchmark::DoNotOptimize(c.indexes().data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * values.size()));
}

// Decoding a UInt64 column from a source that hands out 64 KiB chunks, as a socket would.
void BM_DecodeUInt64Chunked(benchmark::State& state) {
  const ColumnRef source = make_uint64();
  const std::string bytes = encode(*source);
  for (auto _ : state) {
    wire::MemorySource src(bytes, std::size_t{64} * 1024);
    wire::Reader in(src);
    ColumnUInt64 c;
    c.load_body(in, k_rows);
    benchmark::DoNotOptimize(c.data().data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}

}  // namespace

BENCHMARK(BM_DecodeUInt64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeUInt64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeUInt64Chunked)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeString)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeString)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeNumberString)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeNullableString)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeNullableString)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeArrayUInt64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeArrayUInt64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeLowCardinalityString)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EncodeLowCardinalityString)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BuildLowCardinalityString)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
