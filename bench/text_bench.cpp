// Text formats out and in, and the SQL lexer, alone (no server): rows per second of a block of
// common types written as TabSeparated, CSV, JSONEachRow and PrettyCompact (text::BlockFormatter),
// rows per second of the same rows read from Values (the lexer and the value readers' SQL-literal
// path), and bytes per second of a script split into statements (sql::split_script). Figures are
// reported, never asserted.
#include <benchmark/benchmark.h>

#include <string>

#include "chconn/core/sql.h"
#include "chconn/format/input.h"
#include "chconn/format/text.h"
#include "chconn/wire/columns.h"

namespace {

constexpr std::size_t k_rows = 100000;

chconn::Block sample() {
  chconn::Block b;
  for (const auto& [name, type] : {std::pair{"u", "UInt64"},
                                   {"s", "String"},
                                   {"f", "Float64"},
                                   {"t", "DateTime('UTC')"},
                                   {"d", "Decimal(18, 4)"},
                                   {"n", "Nullable(Int32)"},
                                   {"day", "Date"},
                                   {"a", "Array(String)"}}) {
    b.append(name, chconn::make_column(chconn::parse_type(type)));
  }
  return b;
}

// The rows as Values: (1,'row 1',0.142857,'2017-07-14 02:40:00',1.5,NULL,'2017-07-14',['1','x']),...
std::string values_text() {
  std::string out;
  for (std::size_t i = 0; i < k_rows; ++i) {
    const std::string n = std::to_string(i);
    if (i) out += ',';
    out += "(" + n + ",'row \\'" + n + "\\'\\t'," + std::to_string(static_cast<double>(i) / 7) +
           ",'2017-07-14 02:40:00'," + n + ".25," + (i % 3 == 0 ? std::string("NULL") : n) + ",'2017-07-14',['" + n +
           "','x'])";
  }
  return out;
}

chconn::Block read_all(chconn::text::InputFormat format, const std::string& text) {
  chconn::text::MemoryByteSource bytes(text);
  chconn::text::TextInsertSource source(format, bytes);
  source.start(sample());
  chconn::Block all;
  while (auto block = source.next()) {
    if (all.column_count() == 0) {
      all = std::move(*block);
    } else {
      for (std::size_t c = 0; c < all.column_count(); ++c)
        all.column(c)->append_range(*block->column(c), 0, block->rows());
    }
  }
  return all;
}

void format(benchmark::State& state, chconn::text::OutputFormat format) {
  const chconn::Block block = read_all(chconn::text::InputFormat::values, values_text());
  std::string out;
  std::size_t bytes = 0;
  for (auto _ : state) {
    chconn::text::BlockFormatter formatter(format);
    out.clear();
    formatter.write_block(out, block);
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(block.rows() * state.iterations()), benchmark::Counter::kIsRate);
  state.counters["MB/s"] = benchmark::Counter(static_cast<double>(bytes) / 1e6, benchmark::Counter::kIsRate);
}

void BM_FormatTsv(benchmark::State& state) { format(state, chconn::text::OutputFormat::tab_separated); }
void BM_FormatCsv(benchmark::State& state) { format(state, chconn::text::OutputFormat::csv); }
void BM_FormatJsonEachRow(benchmark::State& state) { format(state, chconn::text::OutputFormat::json_each_row); }
void BM_FormatPrettyCompact(benchmark::State& state) { format(state, chconn::text::OutputFormat::pretty_compact); }
BENCHMARK(BM_FormatTsv)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FormatCsv)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FormatJsonEachRow)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FormatPrettyCompact)->Unit(benchmark::kMillisecond);

void BM_ParseValues(benchmark::State& state) {
  const std::string text = values_text();
  std::size_t rows = 0;
  for (auto _ : state) rows += read_all(chconn::text::InputFormat::values, text).rows();
  benchmark::DoNotOptimize(rows);
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(k_rows * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseValues)->Unit(benchmark::kMillisecond);

void BM_SplitScript(benchmark::State& state) {
  std::string script;
  for (std::size_t i = 0; i < 20000; ++i) {
    script += "SELECT a, 'it''s ; here', `x;y` /* c; /* nested */ */ FROM t WHERE b = " + std::to_string(i) +
              " -- tail ;\n;\nINSERT INTO t VALUES (" + std::to_string(i) + ", 'v');\n";
  }
  std::size_t statements = 0;
  for (auto _ : state) statements += chconn::sql::split_script(script).size();
  benchmark::DoNotOptimize(statements);
  state.counters["MB/s"] =
      benchmark::Counter(static_cast<double>(script.size() * state.iterations()) / 1e6, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SplitScript)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
