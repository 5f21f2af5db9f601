// AsyncPool against the 18.16 sandbox: 300 coroutines on one io_context thread, each acquiring a
// connection from a pool of 4 and running a query whose answer depends on its caller, all answered
// right over at most 4 connections; and a connection whose session a SET changed is not lent on.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "chconn/core/error.h"
#include "chconn/strategy/async_pool.h"
#include "chconn/wire/columns.h"
#include "support/connection_helpers.h"

namespace chconn {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST(AsyncPoolIntegration, ThreeHundredCallersOnOneThreadShareFourConnections) {
  const Config config = test::sandbox_config("main");
  PooledOptions o = pooled_options(config);
  o.name = "async-integration";
  o.pool.max_size = 4;
  o.acquire_timeout = 60s;
  asio::io_context io;
  AsyncPool pool(io.get_executor(), config, o);
  int right = 0;
  int failed = 0;
  std::uint64_t most_open = 0;
  for (std::uint64_t caller = 0; caller < 300; ++caller) {
    asio::co_spawn(
        io,
        [&, caller]() -> asio::awaitable<void> {
          AsyncLease lease = co_await pool.async_acquire(Deadline::after(60s), asio::use_awaitable);
          most_open = std::max<std::uint64_t>(most_open, pool.stats().open);
          const QueryOptions options;
          const std::string sql = "SELECT toUInt64(" + std::to_string(caller) + ") * 2 AS x";
          const Result r = co_await lease->async_execute(sql, options, asio::use_awaitable);
          if (r.value<std::uint64_t>("x") == caller * 2) ++right;
        },
        [&](std::exception_ptr e) {
          if (!e) return;
          ++failed;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& x) {
            ADD_FAILURE() << x.what();
          }
        });
  }
  io.run_for(120s);
  EXPECT_EQ(right, 300);
  EXPECT_EQ(failed, 0);
  const StrategyStats s = pool.stats();
  EXPECT_LE(most_open, 4u);
  EXPECT_LE(s.created, 4u);
  EXPECT_EQ(s.acquired, 300u);
  EXPECT_GT(s.max_wait.count(), 0);  // some callers waited in line
  std::printf("[async-pool] 300 callers, %llu connections opened, max wait %lld ms\n",
              static_cast<unsigned long long>(s.created),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(s.max_wait).count()));
}

TEST(AsyncPoolIntegration, ASetSessionIsNotLentOn) {
  const Config config = test::sandbox_config("main");
  PooledOptions o = pooled_options(config);
  o.pool.max_size = 1;
  asio::io_context io;
  AsyncPool pool(io.get_executor(), config, o);
  std::string after;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        const QueryOptions options;
        {
          AsyncLease lease = co_await pool.async_acquire(Deadline::after(30s), asio::use_awaitable);
          (void)co_await lease->async_execute("SET max_threads = 3", options, asio::use_awaitable);
        }
        AsyncLease lease = co_await pool.async_acquire(Deadline::after(30s), asio::use_awaitable);
        const Result r = co_await lease->async_execute("SELECT value FROM system.settings WHERE name = 'max_threads'",
                                                       options, asio::use_awaitable);
        after = r.value<std::string>("value");
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run_for(60s);
  EXPECT_NE(after, "3");
  EXPECT_FALSE(after.empty());
  EXPECT_EQ(pool.stats().session_closes, 1u);
  EXPECT_EQ(pool.stats().created, 2u);
}

}  // namespace
}  // namespace chconn
