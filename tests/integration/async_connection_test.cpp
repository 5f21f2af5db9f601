// AsyncConnection against the 18.16 sandbox: many pings in flight on one thread.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <vector>

#include "chconn/connection/async_connection.h"
#include "chconn/core/error.h"
#include "support/connection_helpers.h"

namespace chconn {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// One connection and the pings waiting for it (a connection runs one operation at a time): a
// waiter parks on `wake`, which never expires; releasing the connection cancels one wait.
struct Slot {
  explicit Slot(asio::io_context& io) : wake(io, asio::steady_timer::time_point::max()) {}
  std::unique_ptr<AsyncConnection> conn;
  bool busy = false;
  asio::steady_timer wake;
  int pings = 0;
};

// 200 pings started at once over 16 connections, all on the test's one thread: every ping succeeds
// and every connection serves its share.
TEST(AsyncConnectionIntegration, TwoHundredConcurrentPingsOnOneThreadOverSixteenConnections) {
  constexpr int k_connections = 16;
  constexpr int k_pings = 200;
  const Config config = test::sandbox_config("main");
  asio::io_context io;
  std::vector<std::unique_ptr<Slot>> slots;
  for (int i = 0; i < k_connections; ++i) slots.push_back(std::make_unique<Slot>(io));
  int connected = 0;
  int succeeded = 0;
  std::vector<std::string> failures;

  auto ping = [&](Slot& slot) -> asio::awaitable<void> {
    while (slot.busy) {
      boost::system::error_code ec;
      co_await slot.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    slot.busy = true;
    try {
      co_await slot.conn->async_ping(Deadline::after(30s), asio::use_awaitable);
      ++succeeded;
      ++slot.pings;
    } catch (const Error& e) {
      failures.push_back(e.what());
    }
    slot.busy = false;
    slot.wake.cancel_one();
  };

  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (auto& slot : slots) {
          slot->conn = co_await AsyncConnection::async_connect(io.get_executor(), config, config.hosts.front(),
                                                               Deadline::after(30s), asio::use_awaitable);
          ++connected;
        }
        for (int i = 0; i < k_pings; ++i) {
          asio::co_spawn(io, ping(*slots[static_cast<std::size_t>(i % k_connections)]), [&](std::exception_ptr e) {
            if (e) failures.push_back("a ping coroutine threw");
          });
        }
      },
      [&](std::exception_ptr e) {
        if (!e) return;
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& error) {
          failures.push_back(std::string("connect: ") + error.what());
        }
      });
  io.run_for(120s);
  EXPECT_EQ(connected, k_connections);
  EXPECT_EQ(succeeded, k_pings);
  EXPECT_TRUE(failures.empty()) << (failures.empty() ? "" : failures.front());
  for (auto& slot : slots) {
    EXPECT_EQ(slot->pings, k_pings / k_connections + (&slot - &slots.front() < k_pings % k_connections ? 1 : 0));
    ASSERT_TRUE(slot->conn);
    EXPECT_TRUE(slot->conn->usable());
    slot->conn->close();
  }
  EXPECT_TRUE(io.stopped());
}

}  // namespace
}  // namespace chconn
