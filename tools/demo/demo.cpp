// chconn-demo: the library's main job in one run, against the server named by the environment
// (CLICKHOUSE_DSN, CLICKHOUSE_HOST/PORT/USER/PASSWORD, CHCONN_ENV: see docs and core/config.h).
// scripts/demo starts a private sandbox server and runs this, then the chconn CLI.
//
//   1. initialize(Config::from_env()) and chconn::client(): the factory picks the strategy
//   2. a table, and 1,000,000 rows inserted from memory in blocks of 100,000
//   3. a streaming read of every row, block by block, with the server's progress
//   4. errors as a caller sees them: syntax, unknown table, wrong password, a query timeout
//   5. the strategy's counters (the pool really reuses its connections)
//
// Exit status 0 when every step behaved as shown; 1 otherwise.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "chconn/chconn.h"

namespace {

using namespace std::chrono_literals;

constexpr std::size_t k_rows = 1'000'000;
constexpr std::size_t k_block_rows = 100'000;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void step(const std::string& title) { std::cout << "\n--- " << title << "\n"; }

// One block of rows [first, first + count): (id, at, user, score, tags).
chconn::Block make_block(std::uint64_t first, std::size_t count) {
  auto id = std::make_shared<chconn::ColumnUInt64>();
  auto at = std::make_shared<chconn::ColumnDateTime>();
  auto user = std::make_shared<chconn::ColumnString>();
  auto score = std::make_shared<chconn::ColumnNullable>(std::make_shared<chconn::ColumnFloat64>());
  auto tags = std::make_shared<chconn::ColumnArray>(std::make_shared<chconn::ColumnString>());
  id->reserve(count);
  at->reserve(count);
  user->reserve(count);
  score->reserve(count);
  tags->reserve(count);
  static const char* const k_tags[] = {"web", "mobile", "api", "batch"};
  for (std::uint64_t i = first; i < first + count; ++i) {
    id->append(i);
    at->append(static_cast<std::uint32_t>(1'700'000'000 + i * 7));
    user->append("user-" + std::to_string(i % 1000));
    if (i % 10 == 0) {
      score->append_null();
    } else {
      score->nested_as<chconn::ColumnFloat64>().append(static_cast<double>(i % 500) / 4);
      score->append_not_null();
    }
    auto& tag_values = tags->nested_as<chconn::ColumnString>();
    for (std::uint64_t t = 0; t < i % 3; ++t) tag_values.append(k_tags[(i + t) % 4]);
    tags->finish_row();
  }
  chconn::Block block;
  block.append("id", id);
  block.append("at", at);
  block.append("user", user);
  block.append("score", score);
  block.append("tags", tags);
  return block;
}

void print_error(const chconn::Error& e) {
  std::cout << "  caught chconn::Error kind=" << chconn::to_string(e.kind());
  if (e.server_code() != 0) std::cout << " server code " << e.server_code() << " (" << e.server_name() << ")";
  std::cout << " retryable=" << (e.retryable() ? "yes" : "no") << "\n  message: " << e.message().substr(0, 160) << "\n";
}

// Runs `f`, which must throw chconn::Error of `expected`; prints it. Returns whether it did.
template <class F>
bool expect_error(chconn::ErrorKind expected, F&& f) {
  try {
    f();
  } catch (const chconn::Error& e) {
    print_error(e);
    if (e.kind() != expected) {
      std::cout << "  UNEXPECTED: wanted kind " << chconn::to_string(expected) << "\n";
      return false;
    }
    return true;
  }
  std::cout << "  UNEXPECTED: no error\n";
  return false;
}

int run() {
  const chconn::Config config = chconn::Config::from_env();
  chconn::initialize(config);
  std::cout << "config: " << config.to_string() << "\n";
  std::cout << "strategy chosen by the factory: " << chconn::default_factory().default_name() << "\n";

  chconn::Client db = chconn::client();
  bool ok = true;

  step("server");
  const chconn::Result version = db.execute("SELECT version() AS v, uptime() AS up");
  std::cout << "  ClickHouse " << version.row(0).get<std::string>("v") << ", up "
            << version.row(0).get<std::uint64_t>("up") << " s\n";

  step("create a table");
  db.execute("CREATE DATABASE IF NOT EXISTS chconn_demo");
  db.execute("DROP TABLE IF EXISTS chconn_demo.events");
  db.execute(
      "CREATE TABLE chconn_demo.events (id UInt64, at DateTime, user String, score Nullable(Float64), "
      "tags Array(String)) ENGINE = MergeTree ORDER BY id");
  std::cout << "  chconn_demo.events (id UInt64, at DateTime, user String, score Nullable(Float64), tags "
               "Array(String))\n";

  step("insert 1,000,000 rows from memory");
  std::vector<chconn::Block> blocks;
  for (std::size_t first = 0; first < k_rows; first += k_block_rows) blocks.push_back(make_block(first, k_block_rows));
  const auto insert_start = std::chrono::steady_clock::now();
  db.insert("chconn_demo.events", blocks);
  const double insert_s = seconds_since(insert_start);
  const auto inserted = db.execute("SELECT count() AS n FROM chconn_demo.events").value<std::uint64_t>("n");
  std::printf("  %zu blocks sent in %.3f s (%.1f M rows/s); the server counts %llu rows\n", blocks.size(), insert_s,
              static_cast<double>(k_rows) / insert_s / 1e6, static_cast<unsigned long long>(inserted));
  ok = ok && inserted == k_rows;

  step("stream every row back, block by block");
  std::uint64_t rows = 0, sum = 0, nulls = 0, tag_count = 0, blocks_seen = 0;
  std::uint64_t progress_packets = 0;
  chconn::QueryOptions options;
  options.on_progress = [&](const chconn::QueryProgress&, const chconn::QueryProgress&) { ++progress_packets; };
  const auto read_start = std::chrono::steady_clock::now();
  db.select(
      "SELECT id, score, tags FROM chconn_demo.events",
      [&](const chconn::Block& block) {
        ++blocks_seen;
        const auto& ids = block.column_as<chconn::ColumnUInt64>(0);
        const auto& scores = block.column_as<chconn::ColumnNullable>(1);
        const auto& tags = block.column_as<chconn::ColumnArray>(2);
        for (std::size_t i = 0; i < ids.size(); ++i) {
          sum += ids[i];
          nulls += scores.is_null(i) ? 1 : 0;
        }
        tag_count += tags.nested().size();
        rows += ids.size();
      },
      options);
  const double read_s = seconds_since(read_start);
  std::printf(
      "  %llu rows in %llu blocks, %.3f s; sum(id) = %llu, NULL scores = %llu, tags = %llu; %llu progress packets\n",
      static_cast<unsigned long long>(rows), static_cast<unsigned long long>(blocks_seen), read_s,
      static_cast<unsigned long long>(sum), static_cast<unsigned long long>(nulls),
      static_cast<unsigned long long>(tag_count), static_cast<unsigned long long>(progress_packets));
  ok = ok && rows == k_rows && sum == std::uint64_t{k_rows} * (k_rows - 1) / 2 && nulls == k_rows / 10;

  step("a typed query with parameters (escaped client-side on this server)");
  chconn::Params params;
  params.set("user", "user-7'); DROP TABLE chconn_demo.events; --");
  const chconn::Result by_user =
      db.execute("SELECT count() AS n FROM chconn_demo.events WHERE user = {user:String}", params);
  std::cout << "  rows for a hostile user name: " << by_user.row(0).get<std::uint64_t>("n")
            << " (and the table is still there: "
            << db.execute("SELECT count() AS n FROM chconn_demo.events").value<std::uint64_t>("n") << " rows)\n";

  step("errors a caller sees");
  std::cout << "  a syntax error:\n";
  ok = expect_error(chconn::ErrorKind::server, [&] { db.execute("SELEC 1"); }) && ok;
  std::cout << "  an unknown table:\n";
  ok = expect_error(chconn::ErrorKind::server, [&] { db.execute("SELECT * FROM chconn_demo.nope"); }) && ok;
  std::cout << "  a query over its deadline (cancelled, drained, the connection kept or dropped):\n";
  chconn::QueryOptions short_timeout;
  short_timeout.timeout = 300ms;
  ok = expect_error(chconn::ErrorKind::timeout, [&] { db.execute("SELECT sleep(3)", short_timeout); }) && ok;
  std::cout << "  a wrong password (the password never appears in the message):\n";
  chconn::Config wrong = config;
  wrong.user = "chconn_pw";
  wrong.password = "not-the-password";
  wrong.strategy = "direct";
  chconn::ConnectionFactory other;
  chconn::initialize(other, wrong);
  ok = expect_error(chconn::ErrorKind::server, [&] { chconn::Client(other).execute("SELECT 1"); }) && ok;
  std::cout << "  and the pool still works: SELECT 1 = " << db.execute("SELECT 1 AS one").value<int>("one") << "\n";

  step("the strategy's counters");
  const chconn::StrategyStats s = db.factory().get(db.strategy())->stats();
  std::cout << "  strategy " << db.factory().get(db.strategy())->name() << ": leases " << s.acquired
            << ", connections opened " << s.created << ", closed " << s.closed << ", open " << s.open << ", idle "
            << s.idle << "\n";

  db.execute("DROP DATABASE chconn_demo");
  std::cout << "\n"
            << (ok ? "demo finished: every step behaved as shown" : "demo FAILED: see UNEXPECTED above") << "\n";
  return ok ? 0 : 1;
}

}  // namespace

int main() {
  try {
    return run();
  } catch (const chconn::Error& e) {
    std::cerr << "chconn-demo: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "chconn-demo: unexpected: " << e.what() << "\n";
    return 1;
  }
}
