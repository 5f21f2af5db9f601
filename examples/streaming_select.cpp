// Streaming a large SELECT block by block: memory stays bounded by one block however many rows
// the query returns, because chconn::Client::select() hands each block to a callback as it arrives
// instead of collecting them (execute() would keep them all).
//
//   CLICKHOUSE_DSN=clickhouse://localhost:9000 ./example_streaming_select [ROWS]
//
// It streams ROWS (default 5,000,000) rows of numbers and checks their count and sum, then pulls
// half of them again through a cursor (Client::query) and stops it early.
#include <chconn/chconn.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

int main(int argc, char** argv) {
  std::uint64_t rows = 5'000'000;
  if (argc > 1) {
    const std::string_view arg = argv[1];
    const auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), rows);
    if (ec != std::errc() || end != arg.data() + arg.size() || rows == 0) {
      std::cerr << "usage: example_streaming_select [ROWS > 0]\n";
      return 2;
    }
  }
  try {
    chconn::initialize(chconn::Config::from_env());

    chconn::QueryOptions options;
    // Rows per block the server sends (its default is 65,536); a query setting of this query only.
    options.settings.set("max_block_size", "100000");
    options.timeout = std::chrono::minutes(5);

    std::uint64_t seen = 0;
    std::uint64_t sum = 0;
    std::uint64_t text_bytes = 0;
    std::size_t blocks = 0;
    std::size_t largest_block = 0;
    const auto start = std::chrono::steady_clock::now();
    // The callback runs on this thread, inside select(). Throwing from it stops the query: chconn
    // cancels it on the server and drains the connection.
    chconn::client().select(
        "SELECT number, toString(number) AS text FROM numbers(" + std::to_string(rows) + ")",
        [&](const chconn::Block& block) {
          ++blocks;
          largest_block = std::max(largest_block, block.rows());
          // Typed columns: no per-row lookup by name, no copies.
          const auto& number = block.column_as<chconn::ColumnUInt64>("number");
          const auto& text = block.column_as<chconn::ColumnString>("text");
          for (const std::uint64_t v : number.data()) sum += v;
          text_bytes += text.chars().size();
          seen += block.rows();
        },
        options);
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;

    std::cout << "streamed " << seen << " rows in " << blocks << " blocks (largest " << largest_block << " rows, "
              << text_bytes << " bytes of text) in " << elapsed.count() << " s\n";
    if (seen != rows || sum != rows * (rows - 1) / 2) {
      std::cerr << "example_streaming_select: expected " << rows << " rows summing to " << rows * (rows - 1) / 2
                << ", got " << seen << " summing to " << sum << '\n';
      return 1;
    }

    // The same rows pulled instead of pushed: a cursor hands out one block per next(), and holds
    // its connection until the result ends. Here it stops after half the rows: destroying the
    // cursor cancels the rest of the query on the server, and the connection goes back to its pool.
    std::uint64_t pulled = 0;
    std::uint64_t pulled_sum = 0;
    {
      chconn::Cursor cursor = chconn::client().query("SELECT number FROM numbers({rows:UInt64})",
                                                     chconn::Params().set("rows", rows), options);
      while (std::optional<chconn::Block> block = cursor.next()) {
        for (const std::uint64_t v : block->column_as<chconn::ColumnUInt64>("number").data()) pulled_sum += v;
        pulled += block->rows();
        if (pulled >= rows / 2) break;  // the cursor's destructor cancels the query
      }
    }
    std::cout << "pulled " << pulled << " rows with a cursor, then stopped it\n";
    // Blocks come in order from numbers(): the first `pulled` numbers.
    if (pulled < rows / 2 || pulled_sum != pulled * (pulled - 1) / 2) {
      std::cerr << "example_streaming_select: the cursor's rows are not the first " << pulled << " numbers\n";
      return 1;
    }
    return 0;
  } catch (const chconn::Error& e) {
    std::cerr << "example_streaming_select: " << e.what() << '\n';
    return 1;
  }
}
