// Bulk insert: build typed column blocks and stream them, a few per INSERT statement.
//
//   CLICKHOUSE_DSN=clickhouse://localhost:9000 ./example_bulk_insert [ROWS]
//
// The native protocol sends columns, not rows: fill one column object per table column, put them
// in a chconn::Block under the table's column names (in any order), and insert the block. The
// server's own sample block is checked first, so a wrong name or type is an Error(usage) with
// nothing inserted. Several blocks can go in one INSERT statement: db.insert(table) returns an
// Inserter, each write() sends one block (only that block is held in memory) and finish() waits for
// the server's acknowledgement. A block of 10,000–1,000,000 rows is a good size. Compression (lz4 by
// default) applies to the blocks. (For blocks you already hold, db.insert(table, blocks) sends them
// in one call.)
//
// It creates the table example_bulk_insert in the configured database, inserts ROWS rows (default
// 1,000,000) in batches, checks them with a SELECT and drops the table.
#include <chconn/chconn.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view k_table = "example_bulk_insert";

// One batch of rows [first, first + count).
chconn::Block make_batch(std::uint64_t first, std::uint64_t count) {
  auto id = std::make_shared<chconn::ColumnUInt64>();
  auto name = std::make_shared<chconn::ColumnString>();
  auto created = std::make_shared<chconn::ColumnDateTime>();
  auto score = std::make_shared<chconn::ColumnFloat64>();
  id->reserve(count);
  name->reserve(count);
  created->reserve(count);
  score->reserve(count);
  const auto epoch = std::chrono::sys_seconds(std::chrono::seconds(1'700'000'000));
  for (std::uint64_t i = first; i < first + count; ++i) {
    id->append(i);
    name->append("user-" + std::to_string(i));
    created->append(epoch + std::chrono::seconds(i % 86'400));
    score->append(static_cast<double>(i % 100) / 4);
  }
  chconn::Block block;
  block.append("id", id);
  block.append("name", name);
  block.append("created", created);
  block.append("score", score);
  return block;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t rows = 1'000'000;
  if (argc > 1) {
    const std::string_view arg = argv[1];
    const auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), rows);
    if (ec != std::errc() || end != arg.data() + arg.size() || rows == 0) {
      std::cerr << "usage: example_bulk_insert [ROWS > 0]\n";
      return 2;
    }
  }
  constexpr std::uint64_t k_batch_rows = 100'000;
  constexpr std::size_t k_blocks_per_insert = 4;
  try {
    chconn::initialize(chconn::Config::from_env());
    chconn::Client db = chconn::client();

    db.execute("DROP TABLE IF EXISTS " + std::string(k_table));
    db.execute("CREATE TABLE " + std::string(k_table) +
               " (id UInt64, name String, created DateTime, score Float64) ENGINE = MergeTree ORDER BY id");

    const auto start = std::chrono::steady_clock::now();
    std::size_t statements = 0;
    for (std::uint64_t first = 0; first < rows;) {
      chconn::Inserter ins = db.insert(k_table);  // one INSERT statement, on a lease of its own
      for (std::size_t b = 0; b < k_blocks_per_insert && first < rows; ++b, first += k_batch_rows) {
        ins.write(make_batch(first, std::min(k_batch_rows, rows - first)));
      }
      ins.finish();  // destroyed without it, the insert would be abandoned (the blocks sent stay)
      ++statements;
    }
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;

    const chconn::Result check = db.execute("SELECT count() AS n, sum(id) AS s FROM " + std::string(k_table) +
                                            " WHERE created >= toDateTime(1700000000)");
    const auto n = check.row(0).get<std::uint64_t>("n");
    const auto s = check.row(0).get<std::uint64_t>("s");
    std::cout << "inserted " << rows << " rows in " << statements << " INSERT statements in " << elapsed.count()
              << " s; the table holds " << n << " rows\n";
    db.execute("DROP TABLE " + std::string(k_table));
    if (n != rows || s != rows * (rows - 1) / 2) {
      std::cerr << "example_bulk_insert: expected " << rows << " rows, found " << n << '\n';
      return 1;
    }
    return 0;
  } catch (const chconn::Error& e) {
    std::cerr << "example_bulk_insert: " << e.what() << '\n';
    return 1;
  }
}
