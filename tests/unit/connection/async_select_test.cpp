// AsyncConnection's queries (async_execute, async_select) against the threaded fake server over
// loopback: the Query packet the shared builder makes, several blocks streamed and collected, a
// server Exception, the query deadline passing mid-stream (mid-packet too: the pending read is
// cancelled, Cancel sent, the reply drained, the connection kept), a cancellation through a slot,
// a callback that throws, and a second operation while one runs. No test sleeps: the fake server
// waits for the client's Cancel, and the deadlines that must pass are the client's own.
//
// Every argument of a co_await'ed call is a named object, never a temporary: g++ 12 destroys some
// temporaries of a co_await expression twice (a QueryOptions{} or a lambda converted to a
// std::function there crashed with "free(): invalid pointer").
#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "chconn/connection/async_connection.h"
#include "chconn/connection/params.h"
#include "chconn/core/error.h"
#include "support/expect_error.h"
#include "support/fake_server.h"

namespace chconn {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace fake = test::fake;
using test::FakeScript;
using test::FakeServer;

// Runs `body` (given a connected AsyncConnection) on one io_context thread; fails the test if the
// io_context still has work after 20 s.
template <class Body>
void with_connection(const FakeServer& server, Body body) {
  asio::io_context io;
  const Config config = server.client_config("async-select");
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
  io.run_for(20s);
  ASSERT_TRUE(ended) << "the test's coroutine did not end within 20 s";
  if (failure) std::rethrow_exception(failure);
}

// The first block of a reply is the header (no rows); then the data.
std::string header_then(const std::string& rest) { return fake::data_packet(fake::uint64_block(0)) + rest; }

TEST(AsyncSelect, StreamsBlocksThenExecuteCollectsThem) {
  FakeServer server(FakeScript()
                        .handshake()
                        .read_query()
                        .send(header_then(fake::data_packet(fake::uint64_block(10)) + fake::progress_packet(10, 80) +
                                          fake::data_packet(fake::uint64_block(20)) + fake::end_of_stream_packet()))
                        .read_query()
                        .send(header_then(fake::data_packet(fake::uint64_block(5)) + fake::end_of_stream_packet())));
  std::vector<std::size_t> rows;
  Result streamed;
  Result whole;
  std::string first_id;
  with_connection(server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
    const QueryOptions none;
    const AsyncConnection::BlockCallback count = [&](const Block& b) { rows.push_back(b.rows()); };
    streamed = co_await conn.async_select("SELECT x", none, count, asio::use_awaitable);
    first_id = conn.last_query_id();
    Params params;
    params.set("n", 7);
    whole = co_await conn.async_execute("SELECT {n:UInt64}", params, none, asio::use_awaitable);
    EXPECT_TRUE(conn.usable());
  });
  EXPECT_EQ(rows, (std::vector<std::size_t>{10, 20}));
  EXPECT_TRUE(streamed.blocks.empty());
  EXPECT_EQ(streamed.header.column_count(), 1u);
  EXPECT_EQ(streamed.progress.read_rows, 10u);
  ASSERT_EQ(whole.blocks.size(), 1u);
  EXPECT_EQ(whole.blocks[0].rows(), 5u);
  const auto queries = server.queries();
  ASSERT_EQ(queries.size(), 2u);
  EXPECT_EQ(queries[0].text, "SELECT x");
  EXPECT_EQ(queries[0].query_id, first_id);
  EXPECT_EQ(streamed.query_id, first_id);
  // 18.16 binds no parameters: the shared builder substituted the literal, as the blocking
  // connection does.
  Params params;
  params.set("n", 7);
  EXPECT_EQ(queries[1].text, substitute_params("SELECT {n:UInt64}", params));
  EXPECT_NE(queries[1].text.find("'7'"), std::string::npos);
  EXPECT_EQ(queries[1].query_id, whole.query_id);
  EXPECT_NE(whole.query_id, first_id);
  EXPECT_TRUE(server.errors().empty());
}

// The completion tokens: asio::deferred (the initiation runs when the operation is launched, with
// the copies made at the call) and a plain callback.
TEST(AsyncSelect, DeferredAndCallbackTokens) {
  FakeServer server(FakeScript()
                        .handshake()
                        .read_query()
                        .send(header_then(fake::data_packet(fake::uint64_block(3)) + fake::end_of_stream_packet()))
                        .read_query()
                        .send(header_then(fake::data_packet(fake::uint64_block(4)) + fake::end_of_stream_packet())));
  std::size_t deferred_rows = 0;
  std::optional<std::size_t> callback_rows;
  with_connection(server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
    QueryOptions options;
    options.query_id = "deferred";
    auto op = conn.async_execute(std::string("SELECT ") + "deferred", options, asio::deferred);
    options.query_id = "changed after the call";
    const Result r = co_await std::move(op)(asio::use_awaitable);
    deferred_rows = r.blocks.at(0).rows();
    asio::steady_timer done(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
    const QueryOptions none;
    conn.async_execute("SELECT callback", none, [&](const std::exception_ptr& e, const Result& result) {
      if (!e) callback_rows = result.blocks.at(0).rows();
      done.cancel();
    });
    boost::system::error_code ec;
    co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  });
  EXPECT_EQ(deferred_rows, 3u);
  EXPECT_EQ(callback_rows, std::optional<std::size_t>(4));
  const auto queries = server.queries();
  ASSERT_EQ(queries.size(), 2u);
  EXPECT_EQ(queries[0].text, "SELECT deferred");
  EXPECT_EQ(queries[0].query_id, "deferred");
  EXPECT_EQ(queries[1].text, "SELECT callback");
}

TEST(AsyncSelect, ServerExceptionFailsTheQueryAndKeepsTheConnection) {
  FakeServer server(
      FakeScript()
          .handshake()
          .read_query()
          .send(fake::progress_packet(0, 0) + fake::exception_packet(60, "DB::Exception", "Table t doesn't exist"))
          .read_code(4)
          .send(fake::pong_packet()));
  std::optional<Error> error;
  with_connection(server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
    const QueryOptions none;
    try {
      co_await conn.async_execute("SELECT * FROM t", none, asio::use_awaitable);
    } catch (const Error& e) {
      error = e;
    }
    EXPECT_TRUE(conn.usable());
    co_await conn.async_ping(Deadline::after(5s), asio::use_awaitable);
  });
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind(), ErrorKind::server);
  EXPECT_EQ(error->server_code(), 60);
  EXPECT_TRUE(server.errors().empty());
}

// The server sends a block and half of the next packet, then waits for the client's Cancel before
// sending the rest of that packet and EndOfStream: the query's 300 ms deadline passes while a
// read is pending mid-packet; the read is cancelled (nothing lost), Cancel goes out, the drain
// reads the packet's end and EndOfStream, and the connection answers a ping afterwards.
TEST(AsyncSelect, DeadlineMidPacketCancelsDrainsAndKeepsTheConnection) {
  const std::string next = fake::data_packet(fake::uint64_block(1000));
  const std::size_t half = next.size() / 2;
  FakeServer server(FakeScript()
                        .handshake()
                        .read_query()
                        .send(header_then(fake::data_packet(fake::uint64_block(10)) + next.substr(0, half)))
                        .read_code(3)
                        .send(next.substr(half) + fake::end_of_stream_packet())
                        .read_code(4)
                        .send(fake::pong_packet()));
  std::size_t rows = 0;
  std::optional<Error> error;
  with_connection(server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
    QueryOptions options;
    options.timeout = 300ms;
    const AsyncConnection::BlockCallback count = [&](const Block& b) { rows += b.rows(); };
    try {
      co_await conn.async_select("SELECT x", options, count, asio::use_awaitable);
    } catch (const Error& e) {
      error = e;
    }
    EXPECT_TRUE(conn.usable());
    co_await conn.async_ping(Deadline::after(5s), asio::use_awaitable);
  });
  EXPECT_EQ(rows, 10u);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind(), ErrorKind::timeout) << error->what();
  const std::string message = error->what();
  EXPECT_NE(message.find("the query timeout"), std::string::npos) << message;
  EXPECT_NE(message.find("cancelled on the server and the connection kept"), std::string::npos) << message;
  EXPECT_TRUE(server.errors().empty());
}

// A drain the server never answers: the connection is dropped by the drain's deadline.
TEST(AsyncSelect, DrainThatNeverEndsDropsTheConnection) {
  FakeServer server(FakeScript()
                        .handshake()
                        .read_query()
                        .send(header_then(fake::data_packet(fake::uint64_block(10))))
                        .read_code(3)
                        .stay_silent());
  std::optional<Error> error;
  with_connection(server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
    QueryOptions options;
    options.timeout = 100ms;
    options.deadline = Deadline::after(400ms);  // bounds the drain too
    const AsyncConnection::BlockCallback ignore = [](const Block&) {};
    try {
      co_await conn.async_select("SELECT x", options, ignore, asio::use_awaitable);
    } catch (const Error& e) {
      error = e;
    }
    EXPECT_FALSE(conn.usable());
  });
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind(), ErrorKind::timeout) << error->what();
  const std::string message = error->what();
  EXPECT_NE(message.find("connection dropped because the server did not stop it within the caller's deadline"),
            std::string::npos)
      << message;
}

// A cancellation emitted through the token's slot after the first block: Cancel, drain,
// Error(cancelled), the connection kept. Then a second operation started while one runs fails
// with Error(usage) and leaves the first alone.
TEST(AsyncSelect, CancellationSlotCancelsAndDrainsAndSecondOperationIsAUsageError) {
  FakeServer server(FakeScript()
                        .handshake()
                        .read_query()
                        .send(header_then(fake::data_packet(fake::uint64_block(10))))
                        .read_code(3)
                        .send(fake::progress_packet(1, 8) + fake::end_of_stream_packet())
                        .read_code(4)
                        .send(fake::pong_packet()));
  std::size_t rows = 0;
  std::optional<Error> error;
  std::optional<Error> second;
  with_connection(server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
    const auto ex = co_await asio::this_coro::executor;
    asio::cancellation_signal stop;
    const QueryOptions none;
    const AsyncConnection::BlockCallback count_then_cancel = [&](const Block& b) {
      rows += b.rows();
      // Another operation from here is refused: the select is still running.
      conn.async_execute("SELECT 1", none, [&](const std::exception_ptr& e, const Result&) {
        try {
          if (e) std::rethrow_exception(e);
        } catch (const Error& err) {
          second = err;
        }
      });
      asio::post(ex, [&] { stop.emit(asio::cancellation_type::terminal); });
    };
    auto token = asio::bind_cancellation_slot(stop.slot(), asio::use_awaitable);
    try {
      co_await conn.async_select("SELECT x", none, count_then_cancel, token);
    } catch (const Error& e) {
      error = e;
    }
    EXPECT_TRUE(conn.usable());
    co_await conn.async_ping(Deadline::after(5s), asio::use_awaitable);
  });
  EXPECT_EQ(rows, 10u);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind(), ErrorKind::cancelled) << error->what();
  EXPECT_FALSE(error->retryable());
  EXPECT_NE(std::string(error->what()).find("connection kept"), std::string::npos) << error->what();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->kind(), ErrorKind::usage);
  EXPECT_NE(std::string(second->what()).find("another operation is in progress"), std::string::npos);
  EXPECT_EQ(server.queries().size(), 1u);
  EXPECT_TRUE(server.errors().empty());
}

// A block callback that throws, whatever it throws (a chconn::Error too: Block::column of a name the
// result lacks is Error(usage)): Cancel (code 3) goes out and the reply is drained before the ping
// (code 4), the exception is the operation's, the connection kept. Before 63ccfa4 an Error from a
// callback was taken for one of the conversation's own and left the connection mid-reply but usable.
TEST(AsyncSelect, CallbackThatThrowsCancelsAndKeepsTheConnection) {
  const AsyncConnection::BlockCallback callbacks[] = {
      [](const Block&) { throw std::runtime_error("enough"); },
      [](const Block& b) { (void)b.column("no_such_column"); },
  };
  for (const AsyncConnection::BlockCallback& callback : callbacks) {
    FakeServer server(FakeScript()
                          .handshake()
                          .read_query()
                          .send(header_then(fake::data_packet(fake::uint64_block(10))))
                          .read_code(3)
                          .send(fake::end_of_stream_packet())
                          .read_code(4)
                          .send(fake::pong_packet()));
    std::exception_ptr thrown;
    with_connection(server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
      const QueryOptions none;
      try {
        co_await conn.async_select("SELECT x", none, callback, asio::use_awaitable);
      } catch (...) {
        thrown = std::current_exception();
      }
      EXPECT_TRUE(conn.usable());
      co_await conn.async_ping(Deadline::after(5s), asio::use_awaitable);
    });
    ASSERT_TRUE(thrown);
    EXPECT_TRUE(server.errors().empty()) << server.errors().front();
    if (&callback == &callbacks[0]) {
      EXPECT_THROW(std::rethrow_exception(thrown), std::runtime_error);
    } else {
      EXPECT_EQ(test::thrown_error([&] { std::rethrow_exception(thrown); }).kind(), ErrorKind::usage);
    }
  }
}

// What the async connection does not do yet is refused before anything is sent.
TEST(AsyncSelect, RefusesExternalTablesStopTokensAndAnEmptyCallback) {
  FakeServer server(FakeScript().handshake().read_code(4).send(fake::pong_packet()));
  std::vector<ErrorKind> kinds;
  with_connection(server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
    std::stop_source source;
    QueryOptions stop;
    stop.stop = source.get_token();
    QueryOptions external;
    external.external_tables.push_back(ExternalTable{});
    const QueryOptions none;
    const AsyncConnection::BlockCallback empty;
    for (int i = 0; i < 3; ++i) {
      try {
        if (i == 0) co_await conn.async_execute("SELECT 1", stop, asio::use_awaitable);
        if (i == 1) co_await conn.async_execute("SELECT 1", external, asio::use_awaitable);
        if (i == 2) co_await conn.async_select("SELECT 1", none, empty, asio::use_awaitable);
      } catch (const Error& e) {
        kinds.push_back(e.kind());
      }
    }
    co_await conn.async_ping(Deadline::after(5s), asio::use_awaitable);
  });
  EXPECT_EQ(kinds, (std::vector<ErrorKind>{ErrorKind::usage, ErrorKind::usage, ErrorKind::usage}));
  EXPECT_TRUE(server.queries().empty());
  EXPECT_TRUE(server.errors().empty());
}

}  // namespace
}  // namespace chconn
