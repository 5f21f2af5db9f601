// AsyncConnection's queries against the 18.16 sandbox: 10^6 rows streamed with their block count
// and sum checked, 64 concurrent selects on one thread over 8 connections, and a long query
// cancelled through a cancellation slot that then leaves system.processes (polled in a bounded
// loop, no timing asserted), and a query timeout that cancels and keeps the connection. Arguments
// of co_await'ed calls are named objects (g++ 12 destroys some temporaries of a co_await
// expression twice; see async_connection.h).
#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "chconn/connection/async_connection.h"
#include "chconn/core/error.h"
#include "chconn/wire/columns.h"
#include "support/connection_helpers.h"

namespace chconn {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// Runs `body` on one io_context thread and rethrows its failure; fails if it has not ended in 120 s.
template <class Body>
void run_on_one_thread(Body body) {
  asio::io_context io;
  std::exception_ptr failure;
  bool ended = false;
  asio::co_spawn(io, body(io), [&](std::exception_ptr e) {
    failure = std::move(e);
    ended = true;
  });
  io.run_for(120s);
  ASSERT_TRUE(ended) << "the test's coroutine did not end within 120 s";
  if (failure) std::rethrow_exception(failure);
}

asio::awaitable<std::unique_ptr<AsyncConnection>> connect(asio::io_context& io, const Config& config) {
  co_return co_await AsyncConnection::async_connect(io.get_executor(), config, config.hosts.front(),
                                                    Deadline::after(30s), asio::use_awaitable);
}

std::uint64_t sum_of(const Block& block) {
  std::uint64_t sum = 0;
  const auto& column = block.column_as<ColumnUInt64>(0);
  for (std::size_t row = 0; row < block.rows(); ++row) sum += column.at(row);
  return sum;
}

TEST(AsyncSelectIntegration, AMillionRowsStreamWithTheirSumAndBlockCount) {
  const Config config = test::sandbox_config("main");
  std::uint64_t rows = 0;
  std::uint64_t sum = 0;
  std::uint64_t blocks = 0;
  std::size_t largest = 0;
  run_on_one_thread([&](asio::io_context& io) -> asio::awaitable<void> {
    auto conn = co_await connect(io, config);
    QueryOptions options;
    options.settings.set("max_block_size", "65536");
    const AsyncConnection::BlockCallback add = [&](const Block& b) {
      ++blocks;
      rows += b.rows();
      sum += sum_of(b);
      largest = std::max(largest, b.rows());
    };
    co_await conn->async_select("SELECT number FROM system.numbers LIMIT 1000000", options, add, asio::use_awaitable);
    // The same connection answers again, through execute.
    const QueryOptions none;
    const Result r = co_await conn->async_execute("SELECT count() FROM numbers(10)", none, asio::use_awaitable);
    EXPECT_EQ(r.blocks.size(), 1u);
  });
  EXPECT_EQ(rows, 1000000u);
  EXPECT_EQ(sum, 999999ull * 1000000ull / 2);
  EXPECT_EQ(blocks, (1000000u + 65535u) / 65536u);
  EXPECT_LE(largest, 65536u);
}

// 64 selects started at once over 8 connections on one thread: each waits for a free connection
// (a connection runs one operation at a time), and every select gets its own rows.
TEST(AsyncSelectIntegration, SixtyFourConcurrentSelectsOnOneThreadOverEightConnections) {
  constexpr int k_connections = 8;
  constexpr int k_selects = 64;
  const Config config = test::sandbox_config("main");
  struct Slot {
    explicit Slot(asio::io_context& io) : wake(io, asio::steady_timer::time_point::max()) {}
    std::unique_ptr<AsyncConnection> conn;
    bool busy = false;
    asio::steady_timer wake;
    int served = 0;
  };
  int succeeded = 0;
  std::vector<std::string> failures;
  run_on_one_thread([&](asio::io_context& io) -> asio::awaitable<void> {
    std::vector<std::unique_ptr<Slot>> slots;
    for (int i = 0; i < k_connections; ++i) {
      slots.push_back(std::make_unique<Slot>(io));
      slots.back()->conn = co_await connect(io, config);
    }
    int running = k_selects;
    asio::steady_timer all_done(io, asio::steady_timer::time_point::max());
    auto select = [&](Slot& slot, int i) -> asio::awaitable<void> {
      while (slot.busy) {
        boost::system::error_code ec;
        co_await slot.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      slot.busy = true;
      try {
        std::uint64_t sum = 0;
        Params params;
        params.set("n", 100 + i);
        const QueryOptions none;
        const AsyncConnection::BlockCallback add = [&](const Block& b) { sum += sum_of(b); };
        co_await slot.conn->async_select("SELECT number FROM numbers({n:UInt64})", params, none, add,
                                         asio::use_awaitable);
        const std::uint64_t n = 100 + static_cast<std::uint64_t>(i);
        if (sum == n * (n - 1) / 2) {
          ++succeeded;
          ++slot.served;
        } else {
          failures.push_back("select " + std::to_string(i) + " summed " + std::to_string(sum));
        }
      } catch (const Error& e) {
        failures.push_back(e.what());
      }
      slot.busy = false;
      slot.wake.cancel_one();
      if (--running == 0) all_done.cancel();
    };
    for (int i = 0; i < k_selects; ++i) {
      asio::co_spawn(io, select(*slots[static_cast<std::size_t>(i % k_connections)], i),
                     [&](const std::exception_ptr& e) {
                       if (e) failures.push_back("a select coroutine threw");
                     });
    }
    boost::system::error_code ec;
    co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    for (const auto& slot : slots) EXPECT_EQ(slot->served, k_selects / k_connections);
  });
  EXPECT_EQ(succeeded, k_selects);
  EXPECT_TRUE(failures.empty()) << failures.front();
}

// A query that would run for long (the server's max_execution_time stops it at 60 s anyway)
// cancelled through a slot once its first progress arrived: Error(cancelled), the connection
// kept, and the query leaves system.processes (asked on the same connection, in a bounded loop).
TEST(AsyncSelectIntegration, QueryCancelledThroughASlotLeavesSystemProcesses) {
  const Config config = test::sandbox_config("main");
  std::optional<Error> error;
  bool gone = false;
  std::string query_id;
  run_on_one_thread([&](asio::io_context& io) -> asio::awaitable<void> {
    auto conn = co_await connect(io, config);
    asio::cancellation_signal stop;
    QueryOptions options;
    options.timeout = 90s;
    options.settings.set("max_execution_time", "60");
    options.settings.set("max_block_size", "1024");
    bool stopped = false;
    options.on_progress = [&](const auto&, const auto& total) {
      if (stopped || total.read_rows == 0) return;
      stopped = true;  // the query runs on the server: cancel it from the loop
      asio::post(io, [&] { stop.emit(asio::cancellation_type::terminal); });
    };
    const AsyncConnection::BlockCallback ignore = [](const Block&) {};
    auto token = asio::bind_cancellation_slot(stop.slot(), asio::use_awaitable);
    try {
      co_await conn->async_select("SELECT sum(number) FROM system.numbers", options, ignore, token);
    } catch (const Error& e) {
      error = e;
    }
    query_id = conn->last_query_id();
    EXPECT_TRUE(conn->usable());
    asio::steady_timer pause(io);
    Params params;
    params.set("id", query_id);
    const QueryOptions none;
    for (int attempt = 0; attempt < 100 && !gone; ++attempt) {
      const Result r = co_await conn->async_execute("SELECT count() FROM system.processes WHERE query_id = {id:String}",
                                                    params, none, asio::use_awaitable);
      gone = r.blocks.at(0).column_as<ColumnUInt64>(0).at(0) == 0;
      if (gone) break;
      pause.expires_after(100ms);
      co_await pause.async_wait(asio::use_awaitable);
    }
  });
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind(), ErrorKind::cancelled) << error->what();
  EXPECT_NE(std::string(error->what()).find("connection kept"), std::string::npos) << error->what();
  EXPECT_TRUE(gone) << "query " << query_id << " still in system.processes after 100 polls";
}

// The query's own timeout passing while the server still computes: the pending read is cancelled,
// Cancel sent, the reply drained; Error(timeout) names the query timeout, and the same connection
// runs the next query.
TEST(AsyncSelectIntegration, QueryTimeoutCancelsOnTheServerAndKeepsTheConnection) {
  const Config config = test::sandbox_config("main");
  std::optional<Error> error;
  std::size_t after = 0;
  run_on_one_thread([&](asio::io_context& io) -> asio::awaitable<void> {
    auto conn = co_await connect(io, config);
    QueryOptions options;
    options.timeout = 300ms;
    options.settings.set("max_execution_time", "60");
    try {
      co_await conn->async_execute("SELECT sum(number) FROM system.numbers", options, asio::use_awaitable);
    } catch (const Error& e) {
      error = e;
    }
    EXPECT_TRUE(conn->usable());
    const QueryOptions none;
    const Result r = co_await conn->async_execute("SELECT 1", none, asio::use_awaitable);
    after = r.blocks.size();
  });
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind(), ErrorKind::timeout) << error->what();
  EXPECT_NE(std::string(error->what()).find("the query timeout"), std::string::npos) << error->what();
  EXPECT_NE(std::string(error->what()).find("connection kept"), std::string::npos) << error->what();
  EXPECT_EQ(after, 1u);
}

}  // namespace
}  // namespace chconn
