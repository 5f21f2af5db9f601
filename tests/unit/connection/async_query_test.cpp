// The reply to a query read by the async driver (sansio/async_driver.h) over a real loopback socket,
// from the threaded fake server: blocks handed out one by one, a large packet that arrives in
// small pieces (each read drains the socket) parsed a bounded number of times, a whole packet
// followed by silence delivered (the idle report), and a block callback that throws followed by a
// Cancel and a drain on the same connection.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <stdexcept>
#include <string>

#include "chconn/core/error.h"
#include "chconn/wire/detail/packets.h"
#include "chconn/wire/detail/protocol.h"
#include "connection/sansio/async_driver.h"
#include "connection/sansio/handshake.h"
#include "connection/sansio/query.h"
#include "net/async_tcp.h"
#include "support/fake_server.h"

namespace chconn::detail::sansio {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace fake = test::fake;
using test::FakeScript;
using test::FakeServer;

// A client of the fake server on one io_context: connects, shakes hands and sends a query.
struct Client {
  asio::io_context io;
  net::AsyncTcpStream stream{io.get_executor()};
  Conversation c{DecodeLimits{}, "fake"};
  std::uint64_t revision = 0;

  // Runs `body` on the io_context to its end (the stream's deadline bounds every wait).
  template <class Body>
  void run(Body body) {
    // The stream's deadline timer is disarmed at the end, or io.run() would wait for it.
    auto disarmed = [this, body = std::move(body)]() mutable -> asio::awaitable<void> {
      try {
        co_await body();
      } catch (...) {
        stream.set_deadline(Deadline::never());
        throw;
      }
      stream.set_deadline(Deadline::never());
    };
    std::future<void> done = asio::co_spawn(io, std::move(disarmed), asio::use_future);
    io.run();
    io.restart();
    done.get();
  }

  asio::awaitable<void> start(const FakeServer& server) {
    stream.set_deadline(Deadline::after(10s));
    co_await stream.connect(server.host(), server.port());
    wire::ClientHello hello;
    hello.client_name = "async-query";
    Handshake handshake(hello);
    const Waits limits = waits();
    co_await run_async(handshake, c, stream, limits);
    revision = handshake.revision();
    wire::Query query;
    query.query_id = "q";
    query.text = "SELECT x";
    c.out.clear();
    wire::write_query(c.out, query, revision);
    wire::write_end_of_data(c.out, revision, nullptr, nullptr);
    co_await stream.write_all(c.out.data());
    c.out.clear();
  }

  // Each wait of a run within 10 s: a test that goes wrong fails instead of hanging.
  static Waits waits() {
    Waits w;
    w.deadline = Deadline::after(10s);
    w.send = 10s;
    w.receive = 10s;
    return w;
  }

  QueryReply reply(QueryReply::Mode mode) const {
    QueryReply r;
    r.mode = mode;
    r.revision = revision;
    return r;
  }
};

TEST(AsyncQuery, BlocksComeOutOneByOne) {
  FakeServer server(FakeScript().handshake().read_query().send(
      fake::data_packet(fake::uint64_block(0)) + fake::data_packet(fake::uint64_block(10)) +
      fake::progress_packet(10, 80) + fake::data_packet(fake::uint64_block(20)) + fake::end_of_stream_packet()));
  Client client;
  std::vector<std::size_t> rows;
  Result result;
  client.run([&]() -> asio::awaitable<void> {
    co_await client.start(server);
    BufferedInput input;
    const QueryOptions options;
    QueryOperation op(client.reply(QueryReply::Mode::select), input, options, result);
    const Waits limits = Client::waits();
    co_await run_async(op, client.c, client.stream, limits, [&] { rows.push_back(op.block().rows()); });
  });
  EXPECT_EQ(rows, (std::vector<std::size_t>{10, 20}));
  EXPECT_EQ(result.progress.read_rows, 10u);
  EXPECT_TRUE(server.errors().empty());
}

// ~8 MB of UInt64 in 16 KiB pieces, 1 ms apart (every read drains the socket), then the server
// waits for the client's Cancel: the block must come out from the bytes alone (the idle report),
// the callback's exception ends the select, and a drain on the same Conversation sends Cancel and
// reads to EndOfStream. The bytes parsed stay within the rule's bound (operation.h): 4n for the
// doubling retries, plus n for each idle retry that failed, of which a run of T ms has at most
// log2(T) + 1 — pauses in the sending (a loaded machine) add idle retries, never more than that.
TEST(AsyncQuery, LargePacketThenSilenceIsDeliveredAndCancelDrains) {
  const std::string big = fake::data_packet(fake::uint64_block(1000000));
  FakeServer server(FakeScript()
                        .handshake()
                        .read_query()
                        .send(fake::data_packet(fake::uint64_block(0)))
                        .send(big, std::size_t{16} << 10, 1ms)
                        .read_code(3)
                        .send(fake::progress_packet(1, 8) + fake::end_of_stream_packet()));
  Client client;
  std::size_t rows = 0;
  std::uint64_t parsed = 0;
  std::uint64_t idle_failures = 0;
  std::optional<Error> drained;
  Result result;
  const auto started = std::chrono::steady_clock::now();
  client.run([&]() -> asio::awaitable<void> {
    co_await client.start(server);
    BufferedInput input;
    const QueryOptions options;
    QueryOperation op(client.reply(QueryReply::Mode::select), input, options, result);
    bool threw = false;
    const Waits limits = Client::waits();
    try {
      co_await run_async(op, client.c, client.stream, limits, [&] {
        rows += op.block().rows();
        throw std::runtime_error("enough");
      });
    } catch (const std::runtime_error&) {
      threw = true;
    }
    EXPECT_TRUE(threw);
    parsed = input.decoder().parsed();
    idle_failures = input.decoder().idle_failures();
    BufferedInput drain_input;
    Result scratch;
    QueryOperation drain(client.reply(QueryReply::Mode::drain), drain_input, options, scratch);
    co_await run_async(drain, client.c, client.stream, limits);
    drained = drain.drained_exception();
  });
  EXPECT_EQ(rows, 1000000u);
  const double elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  EXPECT_LE(static_cast<double>(idle_failures), std::log2(std::max(elapsed_ms, 1.0)) + 1) << elapsed_ms << " ms";
  EXPECT_LE(parsed, (4 + idle_failures) * big.size()) << idle_failures << " idle retries failed";
  EXPECT_FALSE(drained.has_value());
  client.stream.close();
  EXPECT_TRUE(server.wait_finished(1, 10s));  // the Cancel came, then EndOfStream went out
  EXPECT_TRUE(server.errors().empty());
}

TEST(AsyncQuery, ServerExceptionFailsTheSelect) {
  FakeServer server(FakeScript().handshake().read_query().send(
      fake::progress_packet(0, 0) + fake::exception_packet(60, "DB::Exception", "Table t doesn't exist")));
  Client client;
  std::optional<Error> error;
  Result result;
  client.run([&]() -> asio::awaitable<void> {
    co_await client.start(server);
    BufferedInput input;
    const QueryOptions options;
    QueryOperation op(client.reply(QueryReply::Mode::select), input, options, result);
    const Waits limits = Client::waits();
    try {
      co_await run_async(op, client.c, client.stream, limits, [] {});
    } catch (const Error& e) {
      error = e;
    }
  });
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind(), ErrorKind::server);
  EXPECT_EQ(error->server_code(), 60);
}

// An operation that writes `n` zero bytes, then ends.
class WriteBytes final : public Operation {
 public:
  explicit WriteBytes(std::size_t n) : bytes_(n, 0) {}
  Next resume(Conversation& /*c*/) noexcept override {
    if (written_) return Next::done();
    written_ = true;
    return Next::write(bytes_);
  }

 private:
  std::vector<std::uint8_t> bytes_;
  bool written_ = false;
};

// A server that stops reading: a write of 64 MiB (more than loopback's socket buffers hold) fails
// with Error(timeout) naming the send timeout, not the run's far deadline: the rule every write of
// a run follows (an insert's end of data, a Cancel).
TEST(AsyncQuery, AWriteTheServerDoesNotReadFailsWithinTheSendTimeout) {
  FakeServer server(FakeScript().handshake().read_query().stay_silent());
  Client client;
  std::optional<Error> error;
  client.run([&]() -> asio::awaitable<void> {
    co_await client.start(server);
    WriteBytes op(std::size_t{64} << 20);
    Waits limits = Client::waits();
    limits.send = 200ms;
    try {
      co_await run_async(op, client.c, client.stream, limits);
    } catch (const Error& e) {
      error = e;
    }
  });
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind(), ErrorKind::timeout) << error->message();
  EXPECT_NE(error->message().find("the send timeout"), std::string::npos) << error->message();
  EXPECT_FALSE(client.stream.is_open());
}

}  // namespace
}  // namespace chconn::detail::sansio
