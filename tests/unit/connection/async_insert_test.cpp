// AsyncConnection::async_insert against the threaded fake server over loopback: every completion
// token, blocks compressed and not, a server exception at the sample and after a block (old and
// current servers), a silent server (the query deadline, then the drain's), a cancellation through
// the slot between blocks, a source that throws mid-way or hands out a block that does not match,
// and a second operation while an insert runs. No test sleeps: the fake server's steps wait for the
// client's packets, and the deadlines that must pass are the client's own.
//
// Every argument of a co_await'ed call is a named object, never a temporary (g++ 12 destroys some
// temporaries of a co_await expression twice; see async_connection.h).
#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "chconn/connection/async_connection.h"
#include "chconn/core/error.h"
#include "chconn/wire/columns.h"
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
void with_connection(const FakeServer& server, Body body, Compression compression = Compression::none) {
  asio::io_context io;
  Config config = server.client_config("async-insert");
  config.compression = compression;
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

// The sample of a table with one column x UInt64, laid out for `revision`.
std::string sample_packet(bool compressed = false, std::uint64_t revision = fake::k_revision_18_16) {
  return fake::data_packet(fake::uint64_block(0), compressed, Compression::lz4, revision);
}

// A source of `count` blocks of `rows` rows each; `on_next(i)` runs before block i is made (it may
// throw, or cancel the insert).
class CountingSource final : public InsertSource {
 public:
  CountingSource(std::size_t count, std::size_t rows, std::function<void(std::size_t)> on_next = {})
      : count_(count), rows_(rows), on_next_(std::move(on_next)) {}
  void start(const Block& sample) override { sample_columns = sample.column_count(); }
  std::optional<Block> next() override {
    if (on_next_) on_next_(asked_);
    if (asked_ == count_) return std::nullopt;
    ++asked_;
    return fake::uint64_block(rows_);
  }
  std::size_t asked() const noexcept { return asked_; }
  std::size_t sample_columns = 0;

 private:
  std::size_t count_;
  std::size_t rows_;
  std::function<void(std::size_t)> on_next_;
  std::size_t asked_ = 0;
};

// The script of one insert the server accepts: the sample, the data to its empty block, EndOfStream.
FakeScript& accept_insert(FakeScript& script, bool compressed = false) {
  return script.read_query()
      .send(sample_packet(compressed))
      .read_insert_data()
      .send(fake::progress_packet(0, 0) + fake::end_of_stream_packet());
}

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

TEST(AsyncInsert, EveryCompletionTokenInsertsItsBlocks) {
  FakeScript script;
  script.handshake();
  for (int i = 0; i < 5; ++i) accept_insert(script);
  script.read_code(4).send(fake::pong_packet());
  FakeServer server(std::move(script));
  std::optional<std::exception_ptr> callback_result;
  CountingSource source(3, 100);
  with_connection(server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
    const QueryOptions none;
    const Block one = fake::uint64_block(10);
    // use_awaitable, a table's text and one block.
    co_await conn.async_insert("t", one, none, asio::use_awaitable);
    // deferred: the copies are made at the call.
    Block changing = fake::uint64_block(20);
    auto op = conn.async_insert("db.t (x)", changing, none, asio::deferred);
    changing = fake::uint64_block(1);
    co_await std::move(op)(asio::use_awaitable);
    // a callback, with an InsertTarget and a source.
    asio::steady_timer done(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
    const InsertTarget target{"", "t", {}};
    conn.async_insert(target, source, none, [&](std::exception_ptr e) {
      callback_result = std::move(e);
      done.cancel();
    });
    boost::system::error_code ec;
    co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    // a span of blocks.
    const std::vector<Block> blocks{fake::uint64_block(2), fake::uint64_block(0), fake::uint64_block(3)};
    co_await conn.async_insert("t", std::span<const Block>(blocks), none, asio::use_awaitable);
    // use_future: polled here (this thread runs the io_context), then its result taken.
    std::future<void> future = conn.async_insert("t", one, none, asio::use_future);
    asio::steady_timer poll(co_await asio::this_coro::executor);
    while (future.wait_for(0s) != std::future_status::ready) {
      poll.expires_after(1ms);
      co_await poll.async_wait(asio::use_awaitable);
    }
    std::exception_ptr future_error;
    try {
      future.get();
    } catch (...) {
      future_error = std::current_exception();
    }
    EXPECT_FALSE(future_error);
    EXPECT_TRUE(conn.usable());
    co_await conn.async_ping(Deadline::after(5s), asio::use_awaitable);
  });
  ASSERT_TRUE(callback_result.has_value());
  EXPECT_FALSE(*callback_result);
  EXPECT_EQ(source.sample_columns, 1u);
  EXPECT_EQ(source.asked(), 3u);
  EXPECT_EQ(server.data_rows(), 10u + 20u + 300u + 5u + 10u);
  const auto queries = server.queries();
  ASSERT_EQ(queries.size(), 5u);
  EXPECT_EQ(queries[0].text, "INSERT INTO `t` VALUES");
  EXPECT_EQ(queries[1].text, "INSERT INTO `db`.`t` (`x`) VALUES");
  EXPECT_TRUE(server.errors().empty()) << server.errors().front();
}

TEST(AsyncInsert, CompressedBlocks) {
  FakeScript script;
  script.handshake();
  accept_insert(script, true);
  FakeServer server(std::move(script));
  with_connection(
      server,
      [&](AsyncConnection& conn) -> asio::awaitable<void> {
        const QueryOptions none;
        const std::vector<Block> blocks{fake::uint64_block(7), fake::uint64_block(8)};
        co_await conn.async_insert("t", std::span<const Block>(blocks), none, asio::use_awaitable);
        EXPECT_TRUE(conn.usable());
      },
      Compression::lz4);
  ASSERT_EQ(server.queries().size(), 1u);
  EXPECT_TRUE(server.queries()[0].compression);
  EXPECT_EQ(server.data_rows(), 15u);
  EXPECT_TRUE(server.errors().empty()) << server.errors().front();
}

// A server exception instead of the sample: Error(server) with nothing of the data sent. A current
// server skips the (empty) data of the failed query: the connection is kept; an 18.16 server may
// leave it in the stream, so the connection is dropped (NativeConnection reconnects instead).
TEST(AsyncInsert, ServerExceptionAtTheSample) {
  for (const bool modern : {true, false}) {
    FakeScript script;
    if (modern) {
      script.modern_handshake(fake::k_revision_modern);
    } else {
      script.handshake();
    }
    script.read_query().send(fake::exception_packet(60, "DB::Exception", "Table default.t doesn't exist"));
    if (modern) script.read_code(4).send(fake::pong_packet());
    FakeServer server(std::move(script));
    std::optional<Error> error;
    CountingSource source(3, 10);
    with_connection(server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
      const QueryOptions none;
      try {
        co_await conn.async_insert("t", source, none, asio::use_awaitable);
      } catch (const Error& e) {
        error = e;
      }
      EXPECT_EQ(conn.usable(), modern);
      if (modern) co_await conn.async_ping(Deadline::after(5s), asio::use_awaitable);
    });
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->kind(), ErrorKind::server) << error->what();
    EXPECT_EQ(error->server_code(), 60);
    EXPECT_EQ(source.asked(), 0u);
    EXPECT_EQ(server.data_packets(), 1u);  // the end of the (absent) external tables
    EXPECT_EQ(server.data_rows(), 0u);
    EXPECT_TRUE(server.errors().empty()) << server.errors().front();
  }
}

// The server fails the insert after its first block: the client learns it at the acknowledgement,
// after it sent the rest. A current server's connection is kept.
TEST(AsyncInsert, ServerExceptionAfterABlock) {
  FakeServer server(FakeScript()
                        .modern_handshake(fake::k_revision_modern)
                        .read_query()
                        .send(sample_packet(false, fake::k_revision_modern))
                        .read_data_packet()
                        .send(fake::exception_packet(53, "DB::Exception", "Type mismatch"))
                        .read_insert_data()
                        .read_code(4)
                        .send(fake::pong_packet()));
  std::optional<Error> error;
  CountingSource source(3, 10);
  with_connection(server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
    const QueryOptions none;
    try {
      co_await conn.async_insert("t", source, none, asio::use_awaitable);
    } catch (const Error& e) {
      error = e;
    }
    EXPECT_TRUE(conn.usable());
    co_await conn.async_ping(Deadline::after(5s), asio::use_awaitable);
  });
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind(), ErrorKind::server) << error->what();
  EXPECT_EQ(error->server_code(), 53);
  EXPECT_EQ(server.data_rows(), 30u);
  EXPECT_TRUE(server.errors().empty()) << server.errors().front();
}

// 18.16 fails the insert after the first block and the source then fails too: the drain reads the
// server's exception, but a server of that age does not skip data after its error, so the
// connection is dropped rather than kept out of step (the blocking path reconnects there).
TEST(AsyncInsert, OldServersExceptionThenASourceFailureDropsTheConnection) {
  FakeServer server(FakeScript()
                        .handshake()
                        .read_query()
                        .send(sample_packet())
                        .read_data_packet()
                        .send(fake::exception_packet(53, "DB::Exception", "Type mismatch"))
                        .read_insert_data());
  std::optional<Error> error;
  CountingSource source(3, 10, [](std::size_t i) {
    if (i == 1) throw Error(ErrorKind::usage, "the source failed");
  });
  with_connection(server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
    const QueryOptions none;
    try {
      co_await conn.async_insert("t", source, none, asio::use_awaitable);
    } catch (const Error& e) {
      error = e;
    }
    EXPECT_FALSE(conn.usable());
  });
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(std::string(error->what()).find("the source failed"), std::string::npos) << error->what();
  EXPECT_EQ(server.data_rows(), 10u);
}

// A server that never sends the sample: the query timeout passes while the client waits, Cancel
// goes out, the drain (bounded by the caller's deadline) gets nothing either: Error(timeout) by
// then, the connection dropped. Then the same at the acknowledgement, where the server answers the
// Cancel: the connection is kept.
TEST(AsyncInsert, SilentServerTimesOutWithinTheDeadline) {
  {
    FakeServer server(FakeScript().handshake().read_query().stay_silent());
    std::optional<Error> error;
    with_connection(server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
      QueryOptions options;
      options.timeout = 200ms;
      options.deadline = Deadline::after(2s);
      const Block one = fake::uint64_block(1);
      try {
        co_await conn.async_insert("t", one, options, asio::use_awaitable);
      } catch (const Error& e) {
        error = e;
      }
      EXPECT_FALSE(conn.usable());
    });
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->kind(), ErrorKind::timeout) << error->what();
    EXPECT_NE(std::string(error->what()).find("the query timeout"), std::string::npos) << error->what();
  }
  {
    FakeServer server(FakeScript()
                          .handshake()
                          .read_query()
                          .send(sample_packet())
                          .read_insert_data()
                          .read_code(3)
                          .send(fake::end_of_stream_packet())
                          .read_code(4)
                          .send(fake::pong_packet()));
    std::optional<Error> error;
    with_connection(server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
      QueryOptions options;
      options.timeout = 300ms;
      const Block one = fake::uint64_block(4);
      try {
        co_await conn.async_insert("t", one, options, asio::use_awaitable);
      } catch (const Error& e) {
        error = e;
      }
      EXPECT_TRUE(conn.usable());
      co_await conn.async_ping(Deadline::after(5s), asio::use_awaitable);
    });
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->kind(), ErrorKind::timeout) << error->what();
    EXPECT_NE(std::string(error->what()).find("cancelled on the server and the connection kept"), std::string::npos)
        << error->what();
    EXPECT_EQ(server.data_rows(), 4u);
    EXPECT_TRUE(server.errors().empty()) << server.errors().front();
  }
}

// A cancellation through the slot while the source makes its third block: that block is not sent,
// the data is ended with the empty block (no Cancel), the server inserts the two blocks it had;
// Error(cancelled) says so and the connection is kept.
TEST(AsyncInsert, SlotCancellationBetweenBlocksEndsTheDataEarly) {
  FakeServer server(FakeScript()
                        .handshake()
                        .read_query()
                        .send(sample_packet())
                        .read_insert_data()
                        .send(fake::end_of_stream_packet())
                        .read_code(4)
                        .send(fake::pong_packet()));
  std::optional<Error> error;
  asio::cancellation_signal stop;
  CountingSource source(5, 10, [&](std::size_t i) {
    if (i == 2) stop.emit(asio::cancellation_type::terminal);
  });
  with_connection(server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
    const QueryOptions none;
    auto token = asio::bind_cancellation_slot(stop.slot(), asio::use_awaitable);
    try {
      co_await conn.async_insert("t", source, none, token);
    } catch (const Error& e) {
      error = e;
    }
    EXPECT_TRUE(conn.usable());
    co_await conn.async_ping(Deadline::after(5s), asio::use_awaitable);
  });
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind(), ErrorKind::cancelled) << error->what();
  EXPECT_FALSE(error->retryable());
  EXPECT_NE(std::string(error->what()).find("20 rows in 2 blocks sent before were inserted"), std::string::npos)
      << error->what();
  EXPECT_NE(std::string(error->what()).find("connection was kept"), std::string::npos) << error->what();
  EXPECT_EQ(source.asked(), 3u);
  EXPECT_EQ(server.data_rows(), 20u);
  EXPECT_TRUE(server.errors().empty()) << server.errors().front();
}

// A source that throws mid-way (its own exception, passed on as it is) or hands out a block that
// does not match the sample (Error(usage) saying what was inserted): the data ends early, the
// blocks sent before stay inserted and the connection is kept.
TEST(AsyncInsert, SourceThatFailsMidWayEndsTheDataEarly) {
  for (const bool mismatch : {false, true}) {
    FakeServer server(FakeScript()
                          .handshake()
                          .read_query()
                          .send(sample_packet())
                          .read_insert_data()
                          .send(fake::end_of_stream_packet())
                          .read_code(4)
                          .send(fake::pong_packet()));
    std::exception_ptr thrown;
    std::unique_ptr<InsertSource> source;
    if (mismatch) {
      auto wrong = column_cast<ColumnString>(make_column(parse_type("String")));
      wrong->append("a");
      Block bad;
      bad.append("x", wrong);
      struct Mismatched final : InsertSource {
        explicit Mismatched(Block b) : bad(std::move(b)) {}
        void start(const Block&) override {}
        std::optional<Block> next() override {
          if (++n == 3) return bad;
          return fake::uint64_block(5);
        }
        Block bad;
        int n = 0;
      };
      source = std::make_unique<Mismatched>(std::move(bad));
    } else {
      source = std::make_unique<CountingSource>(5, 5, [](std::size_t i) {
        if (i == 2) throw std::runtime_error("the file ended mid-row");
      });
    }
    with_connection(server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
      const QueryOptions none;
      try {
        co_await conn.async_insert("t", *source, none, asio::use_awaitable);
      } catch (...) {
        thrown = std::current_exception();
      }
      EXPECT_TRUE(conn.usable());
      co_await conn.async_ping(Deadline::after(5s), asio::use_awaitable);
    });
    ASSERT_TRUE(thrown);
    if (mismatch) {
      const Error e = test::thrown_error([&] { std::rethrow_exception(thrown); });
      EXPECT_EQ(e.kind(), ErrorKind::usage) << e.what();
      EXPECT_NE(std::string(e.what()).find("10 rows in 2 blocks sent before were inserted"), std::string::npos)
          << e.what();
    } else {
      EXPECT_THROW(std::rethrow_exception(thrown), std::runtime_error);
    }
    EXPECT_EQ(server.data_rows(), 10u);
    EXPECT_TRUE(server.errors().empty()) << server.errors().front();
  }
}

// A second operation started while an insert runs is refused with Error(usage) and leaves the
// insert alone; a malformed table name is refused before anything is sent.
TEST(AsyncInsert, SecondOperationAndBadTargetAreUsageErrors) {
  FakeScript script;
  script.handshake();
  accept_insert(script);
  FakeServer server(std::move(script));
  std::optional<Error> second;
  std::optional<Error> bad_target;
  with_connection(server, [&](AsyncConnection& conn) -> asio::awaitable<void> {
    const QueryOptions none;
    const Block one = fake::uint64_block(3);
    try {
      co_await conn.async_insert("t; DROP TABLE t", one, none, asio::use_awaitable);
    } catch (const Error& e) {
      bad_target = e;
    }
    asio::steady_timer done(co_await asio::this_coro::executor, asio::steady_timer::time_point::max());
    std::exception_ptr first;
    conn.async_insert("t", one, none, [&](std::exception_ptr e) {
      first = std::move(e);
      done.cancel();
    });
    conn.async_ping(Deadline::after(5s), [&](const std::exception_ptr& e) { second = error_of(e); });
    boost::system::error_code ec;
    co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    EXPECT_FALSE(first);
    EXPECT_TRUE(conn.usable());
  });
  ASSERT_TRUE(bad_target.has_value());
  EXPECT_EQ(bad_target->kind(), ErrorKind::usage);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->kind(), ErrorKind::usage);
  EXPECT_NE(std::string(second->what()).find("another operation is in progress"), std::string::npos);
  EXPECT_EQ(server.queries().size(), 1u);
  EXPECT_EQ(server.data_rows(), 3u);
  EXPECT_TRUE(server.errors().empty()) << server.errors().front();
}

}  // namespace
}  // namespace chconn
