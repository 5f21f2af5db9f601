// The text input parser alone (text::TextInsertSource over memory, no server): rows per second of
// (UInt64, String, Float64, DateTime, Array(String)) rows in TSV and CSV, the shape of
// scripts/bench-queries' load. Figures are reported, never asserted.
#include <benchmark/benchmark.h>

#include <string>

#include "chconn/format/input.h"
#include "chconn/wire/columns.h"

namespace {

constexpr std::size_t k_rows = 200000;

chconn::Block sample() {
  chconn::Block b;
  for (const auto& [name, type] :
       {std::pair{"u", "UInt64"}, {"s", "String"}, {"f", "Float64"}, {"t", "DateTime"}, {"a", "Array(String)"}}) {
    b.append(name, chconn::make_column(chconn::parse_type(type)));
  }
  return b;
}

std::string data(bool csv) {
  std::string out;
  for (std::size_t i = 0; i < k_rows; ++i) {
    const std::string n = std::to_string(i);
    const char sep = csv ? ',' : '\t';
    out += n + sep + (csv ? "\"row " + n + "\"" : "row " + n) + sep + std::to_string(static_cast<double>(i) / 7) + sep +
           (csv ? "\"2017-07-14 02:40:00\"" : "2017-07-14 02:40:00") + sep +
           (csv ? "\"['" + n + "','x']\"" : "['" + n + "','x']") + "\n";
  }
  return out;
}

void parse(benchmark::State& state, chconn::text::InputFormat format, bool csv) {
  const std::string text = data(csv);
  const chconn::Block s = sample();
  for (auto _ : state) {
    chconn::text::MemoryByteSource bytes(text);
    chconn::text::TextInsertSource source(format, bytes);
    source.start(s);
    std::size_t rows = 0;
    while (auto block = source.next()) rows += block->rows();
    benchmark::DoNotOptimize(rows);
  }
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(k_rows * state.iterations()), benchmark::Counter::kIsRate);
  state.counters["MB/s"] =
      benchmark::Counter(static_cast<double>(text.size() * state.iterations()) / 1e6, benchmark::Counter::kIsRate);
}

void BM_ParseTsv(benchmark::State& state) { parse(state, chconn::text::InputFormat::tab_separated, false); }
void BM_ParseCsv(benchmark::State& state) { parse(state, chconn::text::InputFormat::csv, true); }
BENCHMARK(BM_ParseTsv)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseCsv)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
