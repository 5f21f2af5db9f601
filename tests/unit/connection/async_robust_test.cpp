// AsyncConnection against a hostile or stalled fake server (a review of the async code, issue 18):
// the memory one packet may take while it arrives, and what the connection does once that is
// exceeded. No test sleeps or asserts a duration: a server that stops sending is what makes the
// unbounded version wait, and the query timeout only keeps such a run from hanging.
//
// Every argument of a co_await'ed call is a named object, never a temporary (g++ 12, see
// async_connection.h).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
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
asio::awaitable<std::optional<Error>> execute_error(AsyncConnection& conn, const std::string& sql,
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

}  // namespace
}  // namespace chconn
