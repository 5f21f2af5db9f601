// AsyncPool over the fake server, each connection on a thread of its own (FakeServer::Serving::
// concurrently), the client on one io_context thread: reuse, the max_size bound with callers served
// in the order they came, a wait that ends at its deadline or by cancellation, the hygiene rules
// (a changed session, a broken connection, validation after idle, lifetime), a failed connect, and
// close(). Time for the pool's judgments is a ManualClock; waits use real deadlines, and no test
// asserts how long anything took.
#include "chconn/strategy/async_pool.h"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "chconn/core/error.h"
#include "support/expect_error.h"
#include "support/fake_server.h"

namespace chconn {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::expect_error;
using test::FakeScript;
using test::FakeServer;
namespace fake = test::fake;

FakeScript pings(int n) {
  FakeScript s;
  s.handshake();
  for (int i = 0; i < n; ++i) s.read_code(4).send(fake::pong_packet());
  return s;
}

class AsyncPoolTest : public ::testing::Test {
 protected:
  PooledOptions options(std::size_t max_size) {
    PooledOptions o;
    o.name = "async-test";
    o.pool.max_size = max_size;
    o.pool.validate_after_idle = 1h;
    o.clock = &clock;
    o.jitter_seed = 7;
    return o;
  }

  // Runs `body` on the io_context to its end; a hang fails the test after 20 s instead of blocking.
  void run(std::function<asio::awaitable<void>()> body) {
    std::exception_ptr failed;
    bool finished = false;
    asio::co_spawn(io, std::move(body), [&](std::exception_ptr e) {
      failed = e;
      finished = true;
    });
    while (!finished && io.run_one_for(20s) > 0) {
    }
    ASSERT_TRUE(finished) << "the test body did not end within 20 s";
    if (failed) std::rethrow_exception(failed);
  }

  asio::awaitable<AsyncLease> acquire(AsyncPool& pool, Deadline deadline = Deadline::after(10s)) {
    co_return co_await pool.async_acquire(deadline, asio::use_awaitable);
  }

  static asio::awaitable<void> ping(AsyncLease& lease) {
    co_await lease->async_ping(Deadline::after(10s), asio::use_awaitable);
  }

  // The error a pending acquire completed with.
  asio::awaitable<Error> acquire_error(AsyncPool& pool, Deadline deadline) {
    try {
      (void)co_await acquire(pool, deadline);
    } catch (const Error& e) {
      co_return e;
    }
    ADD_FAILURE() << "the acquire succeeded";
    co_return Error(ErrorKind::usage, "no error");
  }

  asio::io_context io;
  ManualClock clock;
};

TEST_F(AsyncPoolTest, AGivenBackConnectionIsLentAgain) {
  FakeServer server({pings(2)}, FakeServer::Serving::concurrently);
  AsyncPool pool(io.get_executor(), server.client_config("async-pool"), options(2));
  run([&]() -> asio::awaitable<void> {
    for (int i = 0; i < 2; ++i) {
      AsyncLease lease = co_await acquire(pool);
      co_await ping(lease);
    }
  });
  const StrategyStats s = pool.stats();
  EXPECT_EQ(s.created, 1u);
  EXPECT_EQ(s.acquired, 2u);
  EXPECT_EQ(s.idle, 1u);
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(server.connections(), 1);
  EXPECT_TRUE(server.errors().empty()) << server.errors().front();
}

// max_size 1: the second and third callers wait, and are served in the order they asked.
TEST_F(AsyncPoolTest, CallersWaitInLineForTheOneConnection) {
  FakeServer server({pings(3)}, FakeServer::Serving::concurrently);
  AsyncPool pool(io.get_executor(), server.client_config("async-pool"), options(1));
  std::vector<int> order;
  int done = 0;
  run([&]() -> asio::awaitable<void> {
    AsyncLease first = co_await acquire(pool);
    order.push_back(1);
    for (int caller : {2, 3}) {
      asio::co_spawn(
          io,
          [&, caller]() -> asio::awaitable<void> {
            AsyncLease lease = co_await acquire(pool);
            order.push_back(caller);
            co_await ping(lease);
            ++done;
          },
          asio::detached);
    }
    // Let both queue up.
    while (pool.stats().waiting < 2) co_await asio::post(io, asio::use_awaitable);
    EXPECT_EQ(pool.stats().open, 1u);
    EXPECT_EQ(pool.stats().connecting, 0u);
    co_await ping(first);
    first.release();
    while (done < 2) co_await asio::post(io, asio::use_awaitable);
  });
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(pool.stats().created, 1u);
  EXPECT_EQ(pool.stats().acquired, 3u);
  EXPECT_TRUE(server.errors().empty()) << server.errors().front();
}

TEST_F(AsyncPoolTest, AWaitEndsAtItsDeadlineAndByCancellation) {
  FakeServer server({pings(1)}, FakeServer::Serving::concurrently);
  AsyncPool pool(io.get_executor(), server.client_config("async-pool"), options(1));
  run([&]() -> asio::awaitable<void> {
    AsyncLease held = co_await acquire(pool);
    const Error timed_out = co_await acquire_error(pool, Deadline::after(50ms));
    EXPECT_EQ(timed_out.kind(), ErrorKind::pool_exhausted) << timed_out.what();
    EXPECT_NE(timed_out.message().find("pool 'async-test'"), std::string::npos) << timed_out.what();
    EXPECT_NE(timed_out.message().find("1 of max_size 1 in use"), std::string::npos) << timed_out.what();
    EXPECT_EQ(pool.stats().waiting, 0u);

    asio::cancellation_signal stop;
    std::optional<Error> cancelled;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          try {
            (void)co_await pool.async_acquire(Deadline::after(10s),
                                              asio::bind_cancellation_slot(stop.slot(), asio::use_awaitable));
          } catch (const Error& e) {
            cancelled = e;
          }
        },
        asio::detached);
    while (pool.stats().waiting < 1) co_await asio::post(io, asio::use_awaitable);
    stop.emit(asio::cancellation_type::terminal);
    while (!cancelled) co_await asio::post(io, asio::use_awaitable);
    EXPECT_EQ(cancelled->kind(), ErrorKind::cancelled) << cancelled->what();
    EXPECT_EQ(pool.stats().waiting, 0u);
    // The connection was not handed to either of them.
    co_await ping(held);
  });
  EXPECT_EQ(pool.stats().acquire_timeouts, 1u);
  EXPECT_EQ(pool.stats().acquired, 1u);
  EXPECT_TRUE(server.errors().empty()) << server.errors().front();
}

// A cancellation emitted before the pool's executor has run the wait still ends it: the slot is
// taken when the wait is started, not when the pool sees it. The waits are started from this
// thread while the pool's io_context is not running, so the pool sees them only once it runs.
TEST_F(AsyncPoolTest, ACancellationBeforeThePoolSawTheWaitEndsIt) {
  FakeServer server({pings(0)}, FakeServer::Serving::concurrently);
  AsyncPool pool(io.get_executor(), server.client_config("async-pool"), options(1));
  AsyncLease held;
  pool.async_acquire(Deadline::after(10s), [&](std::exception_ptr e, AsyncLease lease) {
    EXPECT_FALSE(e);
    held = std::move(lease);
  });
  while (!held && io.run_one_for(20s) > 0) {
  }
  ASSERT_TRUE(held);
  asio::cancellation_signal stop;
  std::optional<Error> ended;
  pool.async_acquire(Deadline::after(10s),
                     asio::bind_cancellation_slot(stop.slot(), [&](std::exception_ptr e, AsyncLease lease) {
                       EXPECT_FALSE(lease);
                       try {
                         if (e) std::rethrow_exception(e);
                       } catch (const Error& x) {
                         ended = x;
                       }
                     }));
  stop.emit(asio::cancellation_type::terminal);  // the pool has not run the wait yet
  io.restart();                                  // it ran out of work once the first lease was handed over
  while (!ended && io.run_one_for(20s) > 0) {
  }
  ASSERT_TRUE(ended);
  EXPECT_EQ(ended->kind(), ErrorKind::cancelled) << ended->what();
  EXPECT_EQ(pool.stats().acquire_timeouts, 0u);
}

// A changed session and a lease marked broken close the connection; the next caller gets a new one.
TEST_F(AsyncPoolTest, AChangedSessionOrABrokenLeaseClosesTheConnection) {
  FakeServer server(
      {FakeScript().handshake().read_query().send(fake::end_of_stream_packet()), FakeScript().handshake(), pings(1)},
      FakeServer::Serving::concurrently);
  AsyncPool pool(io.get_executor(), server.client_config("async-pool"), options(2));
  run([&]() -> asio::awaitable<void> {
    {
      AsyncLease lease = co_await acquire(pool);
      const QueryOptions none;
      (void)co_await lease->async_execute("SET max_threads = 1", none, asio::use_awaitable);
      EXPECT_TRUE(lease->session_changed());
    }
    {
      AsyncLease lease = co_await acquire(pool);
      EXPECT_FALSE(lease->session_changed());
      lease.mark_broken();
    }
    AsyncLease lease = co_await acquire(pool);
    co_await ping(lease);
  });
  const StrategyStats s = pool.stats();
  EXPECT_EQ(s.created, 3u);
  EXPECT_EQ(s.closed, 2u);
  EXPECT_EQ(s.session_closes, 1u);
  EXPECT_EQ(server.connections(), 3);
  EXPECT_TRUE(server.errors().empty()) << server.errors().front();
}

// Idle for validate_after_idle: pinged before it is lent; a failed ping drops it for a new one.
// Past its lifetime: closed, not validated.
TEST_F(AsyncPoolTest, IdleConnectionsAreValidatedAndOldOnesRetired) {
  // Connection 0 answers two validation pings and the caller's; connection 1 is closed by the
  // server after its handshake (the client notices at its validation); connection 2 serves a ping.
  FakeServer server({pings(3), FakeScript().handshake().close(), pings(1)}, FakeServer::Serving::concurrently);
  PooledOptions o = options(1);
  o.pool.validate_after_idle = 1s;
  o.pool.lifetime_jitter = 0;
  o.pool.max_lifetime = 1h;
  AsyncPool pool(io.get_executor(), server.client_config("async-pool"), o);
  run([&]() -> asio::awaitable<void> {
    { AsyncLease fresh = co_await acquire(pool); }  // not validated: just opened
    clock.advance(2s);
    { AsyncLease validated = co_await acquire(pool); }
    clock.advance(2s);
    {
      AsyncLease validated = co_await acquire(pool);
      co_await ping(validated);
    }
    EXPECT_EQ(pool.stats().validation_failures, 0u);
    clock.advance(2h);  // past its lifetime: closed when the pool next looks at it
    { AsyncLease second = co_await acquire(pool); }
    clock.advance(2s);
    AsyncLease third = co_await acquire(pool);  // the second fails its validation: dropped
    co_await ping(third);
  });
  const StrategyStats s = pool.stats();
  EXPECT_EQ(s.validation_failures, 1u);
  EXPECT_EQ(s.created, 3u);
  EXPECT_EQ(s.closed, 2u);
  EXPECT_EQ(s.acquired, 5u);
  EXPECT_EQ(server.connections(), 3);
}

TEST_F(AsyncPoolTest, AFailedConnectReachesTheCallerAndTheNextHostIsTried) {
  // A port nobody listens on: a server that was there and is gone.
  std::uint16_t dead_port = 0;
  {
    FakeServer gone(FakeScript{});
    dead_port = gone.port();
  }
  FakeServer server({pings(1)}, FakeServer::Serving::concurrently);
  Config alone = server.client_config("async-pool");
  alone.hosts = {{"127.0.0.1", dead_port}};
  AsyncPool dead(io.get_executor(), alone, options(1));
  Config both = server.client_config("async-pool");
  both.hosts = {{"127.0.0.1", dead_port}, server.address()};
  AsyncPool pool(io.get_executor(), both, options(1));
  run([&]() -> asio::awaitable<void> {
    const Error e = co_await acquire_error(dead, Deadline::after(10s));
    EXPECT_EQ(e.kind(), ErrorKind::network) << e.what();
    EXPECT_EQ(dead.stats().connect_failures, 1u);
    EXPECT_EQ(dead.stats().connecting, 0u);
    AsyncLease lease = co_await acquire(pool);
    EXPECT_EQ(lease->peer(), to_string(server.address()));
    co_await ping(lease);
  });
  EXPECT_TRUE(server.errors().empty()) << server.errors().front();
}

TEST_F(AsyncPoolTest, CloseFailsTheWaitingAndClosesWhatComesBack) {
  FakeServer server({pings(0)}, FakeServer::Serving::concurrently);
  AsyncPool pool(io.get_executor(), server.client_config("async-pool"), options(1));
  run([&]() -> asio::awaitable<void> {
    AsyncLease held = co_await acquire(pool);
    std::optional<Error> waited;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          Error e = co_await acquire_error(pool, Deadline::after(10s));
          waited = e;
        },
        asio::detached);
    while (pool.stats().waiting < 1) co_await asio::post(io, asio::use_awaitable);
    pool.close();
    while (!waited) co_await asio::post(io, asio::use_awaitable);
    EXPECT_EQ(waited->kind(), ErrorKind::cancelled) << waited->what();
    EXPECT_NE(waited->message().find("was closed"), std::string::npos) << waited->what();
    held.release();
    co_await asio::post(io, asio::use_awaitable);
    EXPECT_EQ(pool.stats().open, 0u);
    EXPECT_EQ(pool.stats().closed, 1u);
    const Error after = co_await acquire_error(pool, Deadline::after(10s));
    EXPECT_EQ(after.kind(), ErrorKind::cancelled) << after.what();
  });
}

TEST(AsyncPoolOptions, RefusedAsThePoolRefusesThem) {
  asio::io_context io;
  Config config;
  config.hosts = {{"127.0.0.1", 9000}};
  PooledOptions o;
  o.pool.max_size = 0;
  expect_error(ErrorKind::config, [&] { AsyncPool pool(io.get_executor(), config, o); }, {"max_size"});
  Config none;
  none.hosts.clear();
  expect_error(ErrorKind::config, [&] { AsyncPool pool(io.get_executor(), none, PooledOptions{}); }, {"no hosts"});
}

}  // namespace
}  // namespace chconn
