// AsyncConnection against a hostile or stalled fake server, and used in ways that went wrong (a
// review of the async code, issue 18): the memory one packet may take while it arrives, the send
// and receive timeouts, a deferred operation launched after the connection is gone, use_future
// from another thread, an already-expired deadline. No test sleeps or asserts a duration: a server that stops sending
// is what makes the unbounded version wait, and the query timeout only keeps such a run from hanging.
//
// Every argument of a co_await'ed call is a named object, never a temporary (g++ 12, see
// async_connection.h).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "chconn/connection/async_connection.h"
#include "chconn/core/error.h"
#include "support/fake_server.h"

namespace chconn {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace fake = test::fake;
using test::FakeScript;
using test::FakeServer;

// Runs `body` (given a connected AsyncConnection) on one io_context thread; fails the test if the
// io_context still has work after 30 s.
template <class Body>
void with_connection(const Config& config, const FakeServer& server, Body body) {
  asio::io_context io;
  std::exception_ptr failure;
  bool ended = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto conn = co_await AsyncConnection::async_connect(io.get_executor(), config, server.address(),
                                                            Deadline::after(10s), asio::use_awaitable);
        co_await body(*conn);
      },
      [&](std::exception_ptr e) {
        failure = std::move(e);
        ended = true;
      });
  io.run_for(30s);
  ASSERT_TRUE(ended) << "the test's coroutine did not end within 30 s";
  if (failure) std::rethrow_exception(failure);
}

// Runs `sql` with async_execute and returns the error it failed with (none: it succeeded).
asio::awaitable<std::optional<Error>> execute_error(AsyncConnection& conn, std::string_view sql,
                                                    const QueryOptions& options) {
  std::optional<Error> error;
  try {
    co_await conn.async_execute(sql, options, asio::use_awaitable);
  } catch (const Error& e) {
    error = e;
  }
  co_return error;
}

// The first bytes of an Exception packet (code 2) whose message claims `message_bytes` bytes;
// the message's bytes follow separately.
std::string exception_head(std::uint64_t message_bytes) {
  std::string p = fake::uvarint(2);
  const std::int32_t code = 1001;
  p.append(reinterpret_cast<const char*>(&code), sizeof code);  // little-endian on every target we build
  p += fake::string("DB::Exception");
  p += fake::uvarint(message_bytes);
  return p;
}

// A server that sends 16 MiB of a 64 MiB exception message and then nothing: the blocking path
// would skip all but max_exception_message_bytes of it; the async path holds a packet whole, so it
// refuses it once it holds more than its bound (max_exception_chain_bytes + 64 KiB) instead of
// buffering the rest. The connection is dropped (the stream is mid-packet).
TEST(AsyncLimits, AnExceptionPastItsBoundIsRefusedWhileItArrives) {
  const std::string head = exception_head(std::uint64_t{64} << 20);
  FakeServer server(FakeScript()
                        .handshake()
                        .read_query()
                        .send(head)
                        .send_repeated(std::string(std::size_t{64} << 10, 'x'), 256, 0ms)
                        .stay_silent());
  Config config = server.client_config("async-limits");
  config.limits.max_exception_chain_bytes = std::uint64_t{1} << 20;
  config.timeouts.query = 5s;  // only the unbounded version waits for it
  std::optional<Error> error;
  bool usable = true;
  with_connection(config, server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
    const QueryOptions none;
    error = co_await execute_error(conn, "SELECT boom", none);
    usable = conn.usable();
  });
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind(), ErrorKind::protocol) << error->message();
  EXPECT_NE(error->message().find("Exception packet"), std::string::npos) << error->message();
  EXPECT_NE(error->message().find("DSN parameter max_exception_chain_bytes"), std::string::npos) << error->message();
  EXPECT_FALSE(usable);
}

// A compressed Data packet whose one frame claims 48 MiB (within max_frame_bytes), of which the
// server sends 8 MiB: a frame is decompressed only once whole, so the unbounded version buffered
// until the server's silence hit the query timeout. With max_block_bytes at 1 MiB the packet is
// refused once it holds past 1 MiB + 1/64 + 64 KiB.
TEST(AsyncLimits, ABlockPastItsBoundIsRefusedWhileItArrives) {
  const std::uint32_t claimed = std::uint32_t{48} << 20;
  // A frame header (checksum, method LZ4, sizes) with an 8-byte payload, of which only the header
  // and the start matter: the rest of the claimed bytes never come.
  const std::string frame = fake::raw_frame(0x82, "12345678", claimed, claimed);
  const std::string start = fake::uvarint(1) + fake::string("") + frame;
  FakeServer server(FakeScript()
                        .handshake()
                        .read_query()
                        .send(start)
                        .send_repeated(std::string(std::size_t{64} << 10, 'y'), 128, 0ms)
                        .stay_silent());
  Config config = server.client_config("async-limits");
  config.compression = Compression::lz4;
  config.limits.max_block_bytes = std::uint64_t{1} << 20;
  config.timeouts.query = 5s;
  std::optional<Error> error;
  with_connection(config, server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
    const QueryOptions none;
    error = co_await execute_error(conn, "SELECT big", none);
    EXPECT_FALSE(conn.usable());
  });
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind(), ErrorKind::protocol) << error->message();
  EXPECT_NE(error->message().find("Data packet"), std::string::npos) << error->message();
  EXPECT_NE(error->message().find("DSN parameter max_block_bytes"), std::string::npos) << error->message();
}

// A long block within the limits still comes through, and the query after it too: the bound is a
// ceiling, not a cut.
TEST(AsyncLimits, ALongBlockWithinTheLimitsIsDelivered) {
  const Block big = fake::uint64_block(1000000);  // 8 MB of values
  FakeServer server(
      FakeScript()
          .handshake()
          .read_query()
          .send(fake::data_packet(fake::uint64_block(0)) + fake::data_packet(big) + fake::end_of_stream_packet(),
                std::size_t{256} << 10)
          .read_query()
          .send(fake::data_packet(fake::uint64_block(0)) + fake::data_packet(fake::uint64_block(3)) +
                fake::end_of_stream_packet()));
  const Config config = server.client_config("async-limits");
  std::size_t rows = 0;
  std::size_t after = 0;
  with_connection(config, server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
    const QueryOptions none;
    const Result r = co_await conn.async_execute("SELECT long", none, asio::use_awaitable);
    for (const Block& b : r.blocks) rows += b.rows();
    const Result small = co_await conn.async_execute("SELECT short", none, asio::use_awaitable);
    for (const Block& b : small.blocks) after += b.rows();
  });
  EXPECT_EQ(rows, 1000000u);
  EXPECT_EQ(after, 3u);
  EXPECT_TRUE(server.errors().empty());
}

// A server that stops sending in the middle of a reply: the call fails with Error(timeout) naming
// the receive timeout (each read waits at most that long, as a blocking read does), long before
// the query timeout, and the connection is dropped (the stream is mid-packet).
TEST(AsyncTimeouts, AServerThatStopsSendingFailsWithinTheReceiveTimeout) {
  const std::string next = fake::data_packet(fake::uint64_block(1000));
  FakeServer server(FakeScript()
                        .handshake()
                        .read_query()
                        .send(fake::data_packet(fake::uint64_block(0)) + next.substr(0, next.size() / 2))
                        .stay_silent());
  Config config = server.client_config("async-timeouts");
  config.timeouts.receive = 200ms;
  config.timeouts.query = 5s;  // only the version without a receive timeout waits for it
  config.timeouts.cancel_drain = 1s;
  std::optional<Error> error;
  bool usable = true;
  with_connection(config, server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
    const QueryOptions none;
    error = co_await execute_error(conn, "SELECT stalls", none);
    usable = conn.usable();
  });
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind(), ErrorKind::timeout) << error->message();
  EXPECT_NE(error->message().find("the receive timeout"), std::string::npos) << error->message();
  EXPECT_FALSE(usable);
}

// The receive timeout counts from the last byte: a reply of 320 KB in 4 KiB pieces 10 ms apart
// (over 0.8 s in all: more than the receive timeout of 0.5 s, each gap 50 times less) is read to
// its end. The packet is large, so reads are also cancelled for idle reports (operation.h): those
// do not restart the timeout, bytes do.
TEST(AsyncTimeouts, AReplyThatKeepsComingIsNotCutByTheReceiveTimeout) {
  const std::string reply = fake::data_packet(fake::uint64_block(0)) + fake::data_packet(fake::uint64_block(40000)) +
                            fake::end_of_stream_packet();
  FakeServer server(FakeScript().handshake().read_query().send(reply, std::size_t{4} << 10, 10ms));
  Config config = server.client_config("async-timeouts");
  config.timeouts.receive = 500ms;
  std::size_t rows = 0;
  with_connection(config, server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
    const QueryOptions none;
    const Result r = co_await conn.async_execute("SELECT slowly", none, asio::use_awaitable);
    for (const Block& b : r.blocks) rows += b.rows();
    EXPECT_TRUE(conn.usable());
  });
  EXPECT_EQ(rows, 40000u);
}

// Connects on `io` (run to its end, then restarted), outside any coroutine.
std::unique_ptr<AsyncConnection> connect_on(asio::io_context& io, const Config& config, const FakeServer& server) {
  std::unique_ptr<AsyncConnection> conn;
  std::exception_ptr failure;
  AsyncConnection::async_connect(io.get_executor(), config, server.address(), Deadline::after(10s),
                                 [&](std::exception_ptr e, std::unique_ptr<AsyncConnection> c) {
                                   failure = std::move(e);
                                   conn = std::move(c);
                                 });
  io.run();
  io.restart();
  if (failure) std::rethrow_exception(failure);
  return conn;
}

// The chconn::Error in `e`, if any.
std::optional<Error> error_of(const std::exception_ptr& e) {
  if (!e) return std::nullopt;
  try {
    std::rethrow_exception(e);
  } catch (const Error& error) {
    return error;
  } catch (...) {
    return Error(ErrorKind::usage, "not a chconn::Error");
  }
}

// Deferred operations made on a connection, launched after it was destroyed: each completes with
// Error(usage) saying it was closed, nothing sent (under ASan, the version that captured `this`
// read the freed AsyncConnection).
TEST(AsyncLifetimes, ADeferredOperationLaunchedAfterTheConnectionIsGoneFailsClearly) {
  FakeServer server(FakeScript().handshake());
  asio::io_context io;
  std::unique_ptr<AsyncConnection> conn = connect_on(io, server.client_config("async-lifetimes"), server);
  ASSERT_TRUE(conn);
  const QueryOptions none;
  auto ping = conn->async_ping(Deadline::after(5s), asio::deferred);
  auto query = conn->async_execute("SELECT 1", none, asio::deferred);
  conn.reset();
  std::optional<Error> ping_error;
  std::optional<Error> query_error;
  bool ping_done = false;
  bool query_done = false;
  std::move(ping)([&](std::exception_ptr e) {
    ping_error = error_of(e);
    ping_done = true;
  });
  std::move(query)([&](std::exception_ptr e, const Result& /*r*/) {
    query_error = error_of(e);
    query_done = true;
  });
  io.run_for(10s);
  ASSERT_TRUE(ping_done && query_done);
  ASSERT_TRUE(ping_error.has_value());
  ASSERT_TRUE(query_error.has_value());
  EXPECT_EQ(ping_error->kind(), ErrorKind::usage);
  EXPECT_EQ(query_error->kind(), ErrorKind::usage);
  EXPECT_NE(query_error->message().find("was closed"), std::string::npos) << query_error->message();
  EXPECT_TRUE(server.queries().empty());
}

// Operations launched with use_future from a thread that does not run the io_context: the first
// query runs, the second (launched while the first runs) is refused with Error(usage), a ping after
// the first completed answers. Each is moved to the connection's executor before it touches the
// connection: under TSan, the version that checked and marked the connection on the caller's
// thread raced with the io thread.
TEST(AsyncThreads, UseFutureFromAnotherThread) {
  FakeServer server(FakeScript()
                        .handshake()
                        .read_query()
                        .send(fake::data_packet(fake::uint64_block(0)) + fake::data_packet(fake::uint64_block(7)) +
                              fake::end_of_stream_packet())
                        .read_code(4)
                        .send(fake::pong_packet()));
  asio::io_context io;
  Config config = server.client_config("async-threads");
  config.timeouts.query = 10s;
  std::unique_ptr<AsyncConnection> conn = connect_on(io, config, server);
  ASSERT_TRUE(conn);
  auto guard = asio::make_work_guard(io);
  std::thread runner([&io] { io.run(); });
  const QueryOptions none;
  std::future<Result> first = conn->async_execute("SELECT 7", none, asio::use_future);
  std::future<Result> second = conn->async_execute("SELECT 8", none, asio::use_future);
  std::size_t rows = 0;
  std::optional<Error> refused;
  bool pinged = false;
  try {
    for (const Block& b : first.get().blocks) rows += b.rows();
    try {
      (void)second.get();
    } catch (const Error& e) {
      refused = e;
    }
    std::future<void> pong = conn->async_ping(Deadline::after(5s), asio::use_future);
    pong.get();
    pinged = true;
  } catch (...) {
    guard.reset();
    io.stop();
    runner.join();
    throw;
  }
  guard.reset();
  runner.join();
  EXPECT_EQ(rows, 7u);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->kind(), ErrorKind::usage) << refused->message();
  EXPECT_TRUE(pinged);
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(server.queries().size(), 1u);
}

// A ping counts as an operation from its initiation, as a query does: launched before the
// io_context runs, ping then query, the query is refused and the ping answered (the version that
// marked the ping busy only once its coroutine ran refused the ping instead, and sent the query).
TEST(AsyncThreads, APingIsBusyFromItsInitiation) {
  FakeServer server(FakeScript().handshake().read_code(4).send(fake::pong_packet()));
  asio::io_context io;
  Config config = server.client_config("async-threads");
  config.timeouts.query = 2s;
  std::unique_ptr<AsyncConnection> conn = connect_on(io, config, server);
  ASSERT_TRUE(conn);
  std::optional<std::optional<Error>> ping_outcome;
  std::optional<std::optional<Error>> query_outcome;
  conn->async_ping(Deadline::after(5s), [&](std::exception_ptr e) { ping_outcome = error_of(e); });
  const QueryOptions none;
  conn->async_execute("SELECT 1", none,
                      [&](std::exception_ptr e, const Result& /*r*/) { query_outcome = error_of(e); });
  io.run_for(10s);
  ASSERT_TRUE(ping_outcome.has_value() && query_outcome.has_value());
  EXPECT_FALSE(ping_outcome->has_value()) << (*ping_outcome)->message();
  ASSERT_TRUE(query_outcome->has_value());
  EXPECT_EQ((*query_outcome)->kind(), ErrorKind::usage);
  EXPECT_TRUE(server.queries().empty());
}

// A deadline that has passed before the operation starts: Error(timeout), nothing sent, and the
// connection kept (the version that tried to send anyway timed out in the write and dropped it).
TEST(AsyncDeadlines, AnExpiredDeadlineFailsWithoutDroppingTheConnection) {
  FakeServer server(FakeScript().handshake().read_code(4).send(fake::pong_packet()));
  const Config config = server.client_config("async-deadlines");
  std::optional<Error> query_error;
  std::optional<Error> ping_error;
  bool usable = false;
  with_connection(config, server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
    QueryOptions past;
    past.deadline = Deadline::at(Clock::time_point{});
    query_error = co_await execute_error(conn, "SELECT late", past);
    const Deadline gone = Deadline::at(Clock::time_point{});
    try {
      co_await conn.async_ping(gone, asio::use_awaitable);
    } catch (const Error& e) {
      ping_error = e;
    }
    usable = conn.usable();
    const Deadline soon = Deadline::after(5s);
    co_await conn.async_ping(soon, asio::use_awaitable);
  });
  ASSERT_TRUE(query_error.has_value());
  EXPECT_EQ(query_error->kind(), ErrorKind::timeout) << query_error->message();
  EXPECT_NE(query_error->message().find("was not sent"), std::string::npos) << query_error->message();
  ASSERT_TRUE(ping_error.has_value());
  EXPECT_EQ(ping_error->kind(), ErrorKind::timeout) << ping_error->message();
  EXPECT_TRUE(usable);
  EXPECT_TRUE(server.queries().empty());
  EXPECT_TRUE(server.errors().empty());
}

}  // namespace
}  // namespace chconn
