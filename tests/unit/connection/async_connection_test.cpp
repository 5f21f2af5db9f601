// AsyncConnection against loopback fake servers that run on the same io_context as the client (one
// thread, no sleeps): the handshake and ping bytes, each completion token (use_awaitable, deferred,
// a callback), a server that never answers (Error(timeout) by the deadline) and one that closes
// part-way through its Hello (Error(network)).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <optional>
#include <string>

#include "chconn/connection/async_connection.h"
#include "chconn/core/error.h"
#include "chconn/wire/detail/packets.h"
#include "connection/sansio/handshake.h"
#include "support/fake_server.h"
#include "unit/wire/columns_test_util.h"

namespace chconn {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
namespace fake = test::fake;
using test::hex;

// What the server side of a test does with the one connection it accepts.
enum class Script { hello_and_pong, never_answer, close_mid_hello };

// A one-connection fake server on `io`: accepts, reads the client's Hello (exactly the bytes the
// client is expected to send), then plays `script`. Records what it read.
class LoopbackServer {
 public:
  LoopbackServer(asio::io_context& io, Script script, std::string expected_hello)
      : acceptor_(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)),
        script_(script),
        expected_hello_(std::move(expected_hello)) {
    asio::co_spawn(io, serve(), asio::detached);
  }

  HostPort address() const { return {"127.0.0.1", acceptor_.local_endpoint().port()}; }
  const std::string& received() const noexcept { return received_; }
  bool pinged() const noexcept { return pinged_; }

 private:
  asio::awaitable<void> serve() {
    try {
      tcp::socket socket = co_await acceptor_.async_accept(asio::use_awaitable);
      std::string hello(expected_hello_.size(), '\0');
      co_await asio::async_read(socket, asio::buffer(hello), asio::use_awaitable);
      received_ += hello;
      const std::string server_hello = fake::hello_18_16();
      switch (script_) {
        case Script::hello_and_pong: {
          co_await asio::async_write(socket, asio::buffer(server_hello), asio::use_awaitable);
          char code = 0;
          co_await asio::async_read(socket, asio::buffer(&code, 1), asio::use_awaitable);
          received_ += code;
          pinged_ = code == 4;
          const std::string pong = fake::pong_packet();
          co_await asio::async_write(socket, asio::buffer(pong), asio::use_awaitable);
          break;
        }
        case Script::never_answer: break;
        case Script::close_mid_hello:
          co_await asio::async_write(socket, asio::buffer(server_hello.data(), server_hello.size() / 2),
                                     asio::use_awaitable);
          socket.close();
          co_return;
      }
      // Hold the connection until the client closes it.
      char sink[256];
      for (;;) co_await socket.async_read_some(asio::buffer(sink), asio::use_awaitable);
    } catch (const boost::system::system_error&) {
      // the client closed: the script is over
    }
  }

  tcp::acceptor acceptor_;
  Script script_;
  std::string expected_hello_;
  std::string received_;
  bool pinged_ = false;
};

Config config_for(const HostPort& address) {
  Config config;
  config.hosts = {address};
  config.compression = Compression::none;
  config.client_name = "async-test";
  config.user = "u";
  config.password = "p";
  return config;
}

std::string hello_bytes(const Config& config) {
  wire::Writer w;
  wire::write_hello(w, detail::sansio::client_hello(config));
  return std::string(w.view());
}

// Runs `io` until it has no work or 10 s pass (a hang fails the test instead of blocking it).
void run(asio::io_context& io) {
  io.run_for(10s);
  EXPECT_TRUE(io.stopped()) << "the io_context still had work after 10 s";
}

TEST(AsyncConnection, ConnectAndPingWithUseAwaitable) {
  asio::io_context io;
  const Config probe = config_for({"127.0.0.1", 1});
  LoopbackServer server(io, Script::hello_and_pong, hello_bytes(probe));
  const Config config = config_for(server.address());
  bool finished = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto conn = co_await AsyncConnection::async_connect(io.get_executor(), config, server.address(),
                                                            Deadline::after(10s), asio::use_awaitable);
        EXPECT_EQ(conn->server_info().revision, fake::k_revision_18_16);
        EXPECT_EQ(conn->server_info().negotiated_revision, fake::k_revision_18_16);
        EXPECT_EQ(conn->peer(), "127.0.0.1:" + std::to_string(server.address().port));
        co_await conn->async_ping(Deadline::after(10s), asio::use_awaitable);
        EXPECT_TRUE(conn->usable());
        conn->close();
        finished = true;
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  run(io);
  EXPECT_TRUE(finished);
  EXPECT_TRUE(server.pinged());
  // Byte for byte what NativeConnection sends (ConversationBytes fixes those): Hello, then Ping.
  EXPECT_EQ(hex(server.received()), hex(hello_bytes(config) + "\x04"));
}

TEST(AsyncConnection, ConnectAndPingWithCallbacksAndDeferred) {
  asio::io_context io;
  LoopbackServer server(io, Script::hello_and_pong, hello_bytes(config_for({"127.0.0.1", 1})));
  const Config config = config_for(server.address());
  std::unique_ptr<AsyncConnection> conn;
  std::optional<std::exception_ptr> pinged;
  // A deferred connect, launched later with a plain callback; the ping with a callback.
  auto connect_op =
      AsyncConnection::async_connect(io.get_executor(), config, server.address(), Deadline::after(10s), asio::deferred);
  std::move(connect_op)([&](std::exception_ptr e, std::unique_ptr<AsyncConnection> c) {
    ASSERT_FALSE(e);
    conn = std::move(c);
    conn->async_ping(Deadline::after(10s), [&](std::exception_ptr pe) {
      pinged = pe;
      conn->close();
    });
  });
  run(io);
  ASSERT_TRUE(pinged.has_value());
  EXPECT_FALSE(*pinged);
  EXPECT_TRUE(server.pinged());
}

// Expects `e` to hold a chconn::Error of `kind`; returns its message.
std::string error_of(const std::exception_ptr& e, ErrorKind kind) {
  if (!e) {
    ADD_FAILURE() << "no error";
    return {};
  }
  try {
    std::rethrow_exception(e);
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), kind) << error.what();
    return error.what();
  } catch (const std::exception& other) {
    ADD_FAILURE() << "not a chconn::Error: " << other.what();
  }
  return {};
}

TEST(AsyncConnection, ServerThatNeverAnswersTimesOutByTheDeadline) {
  asio::io_context io;
  LoopbackServer server(io, Script::never_answer, hello_bytes(config_for({"127.0.0.1", 1})));
  std::optional<std::exception_ptr> result;
  AsyncConnection::async_connect(io.get_executor(), config_for(server.address()), server.address(),
                                 Deadline::after(200ms), [&](std::exception_ptr e, std::unique_ptr<AsyncConnection> c) {
                                   result = e;
                                   EXPECT_EQ(c, nullptr);
                                 });
  run(io);  // returns once the timer closed the socket and the server saw the client go
  ASSERT_TRUE(result.has_value());
  const std::string message = error_of(*result, ErrorKind::timeout);
  EXPECT_NE(message.find("the caller's deadline"), std::string::npos) << message;
  EXPECT_NE(message.find("as user 'u'"), std::string::npos) << message;
}

TEST(AsyncConnection, ServerThatClosesMidHelloIsANetworkError) {
  asio::io_context io;
  LoopbackServer server(io, Script::close_mid_hello, hello_bytes(config_for({"127.0.0.1", 1})));
  std::optional<std::exception_ptr> result;
  AsyncConnection::async_connect(io.get_executor(), config_for(server.address()), server.address(),
                                 Deadline::after(10s),
                                 [&](std::exception_ptr e, std::unique_ptr<AsyncConnection>) { result = e; });
  run(io);
  ASSERT_TRUE(result.has_value());
  const std::string message = error_of(*result, ErrorKind::network);
  EXPECT_NE(message.find("closed the connection in the middle of a reply"), std::string::npos) << message;
}

// A connection runs one operation at a time: a second ping started while the first waits for its
// Pong fails with Error(usage) and leaves the first to complete.
TEST(AsyncConnection, SecondOperationWhileOneIsInProgressIsAUsageError) {
  asio::io_context io;
  LoopbackServer server(io, Script::hello_and_pong, hello_bytes(config_for({"127.0.0.1", 1})));
  const Config config = config_for(server.address());
  std::optional<std::exception_ptr> first;
  std::optional<std::exception_ptr> second;
  std::unique_ptr<AsyncConnection> conn;
  AsyncConnection::async_connect(io.get_executor(), config, server.address(), Deadline::after(10s),
                                 [&](std::exception_ptr e, std::unique_ptr<AsyncConnection> c) {
                                   ASSERT_FALSE(e);
                                   conn = std::move(c);
                                   conn->async_ping(Deadline::after(10s), [&](std::exception_ptr pe) {
                                     first = pe;
                                     conn->close();
                                   });
                                   conn->async_ping(Deadline::after(10s), [&](std::exception_ptr pe) { second = pe; });
                                 });
  run(io);
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(*first);
  ASSERT_TRUE(second.has_value());
  const std::string message = error_of(*second, ErrorKind::usage);
  EXPECT_NE(message.find("another operation is in progress"), std::string::npos) << message;
}

TEST(AsyncConnection, RefusesTlsForNow) {
  asio::io_context io;
  Config config = config_for({"127.0.0.1", 1});
  config.secure = true;
  std::optional<std::exception_ptr> result;
  AsyncConnection::async_connect(io.get_executor(), config, config.hosts.front(), Deadline::after(10s),
                                 [&](std::exception_ptr e, std::unique_ptr<AsyncConnection>) { result = e; });
  run(io);
  ASSERT_TRUE(result.has_value());
  error_of(*result, ErrorKind::usage);
}

}  // namespace
}  // namespace chconn
