// QueryOptions::stop on a NativeConnection, against a scripted fake server on loopback: a stop
// requested before the call sends nothing; one requested while the server is silent wakes the wait
// at once (the server never has to send a packet), sends Cancel (the fake reads code 3), drains,
// and keeps the connection when the server ends the query in time, or drops it when the drain
// times out. Elapsed times are measured from the stop request and bounded generously, far below
// the timeouts that would end the call without the stop.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <stop_token>
#include <string>
#include <thread>

#include "chconn/connection/native_connection.h"
#include "chconn/core/config.h"
#include "chconn/core/error.h"
#include "support/expect_error.h"
#include "support/fake_server.h"
#include "support/mock_support.h"

namespace chconn {
namespace {

using chconn::test::expect_error;

using namespace std::chrono_literals;
using test::FakeScript;
using test::FakeServer;
namespace fake = test::fake;
using Steady = std::chrono::steady_clock;

// Every timeout that would end the call without the stop is 30 s; a stop must end it well within
// k_bound of the request (a generous bound for a loaded machine, a tenth of those timeouts).
constexpr auto k_long = 30s;
constexpr auto k_bound = 3s;

Config config_for(const FakeServer& server) {
  Config config = server.client_config("chconn-cancel-test");
  config.timeouts.query = k_long;
  config.timeouts.receive = k_long;
  config.timeouts.send = 5s;
  config.timeouts.cancel_drain = k_long;
  return config;
}

// Requests stop on `source` from another thread once the server has read the query (the fake
// records it), so the call is waiting for the server's answer when the stop arrives; returns when
// the request was made.
class StopWhenQueried {
 public:
  StopWhenQueried(const FakeServer& server, std::stop_source& source)
      : thread_([&server, &source, this] {
          const auto give_up = Steady::now() + k_long;
          while (server.queries().empty() && Steady::now() < give_up) std::this_thread::sleep_for(5ms);
          // The client is now in (or about to enter) its wait for the first packet.
          std::this_thread::sleep_for(50ms);
          requested_at_ = Steady::now();
          source.request_stop();
        }) {}
  void join() { thread_.join(); }
  Steady::time_point requested_at() const { return requested_at_; }

 private:
  Steady::time_point requested_at_{};
  std::thread thread_;
};

TEST(QueryStop, StopBeforeTheCallSendsNothingAndKeepsTheConnection) {
  // After the handshake the fake keeps whatever arrives in received() until the client closes.
  FakeServer server(FakeScript().handshake());
  auto conn = NativeConnection::connect(config_for(server), server.address(), Deadline::after(5s));
  const std::string hello = server.received();  // read before the server answered the Hello
  std::stop_source source;
  source.request_stop();
  QueryOptions options;
  options.stop = source.get_token();
  const Error e = test::thrown_error([&] { conn->execute("SELECT 1", options); });
  EXPECT_EQ(e.kind(), ErrorKind::cancelled) << e.what();
  EXPECT_NE(e.message().find("not sent"), std::string::npos) << e.what();
  EXPECT_TRUE(conn->usable());
  conn->close();
  ASSERT_TRUE(server.wait_finished(1, 5s));
  EXPECT_EQ(server.received(), hello) << "bytes were sent after the handshake";
}

TEST(QueryStop, StopWhileTheServerIsSilentWakesCancelsAndKeepsTheConnection) {
  // The server answers nothing until it reads Cancel, then ends the query as ClickHouse does.
  FakeServer server(FakeScript().handshake().read_query().read_code(3).send(fake::end_of_stream_packet()));
  auto conn = NativeConnection::connect(config_for(server), server.address(), Deadline::after(5s));
  std::stop_source source;
  QueryOptions options;
  options.stop = source.get_token();
  StopWhenQueried stopper(server, source);
  Steady::time_point ended{};
  const Error e = test::thrown_error([&] { conn->execute("SELECT sleep(3)", options); });
  ended = Steady::now();
  EXPECT_EQ(e.kind(), ErrorKind::cancelled) << e.what();
  EXPECT_NE(e.message().find("cancelled on the server and the connection kept"), std::string::npos) << e.what();
  stopper.join();
  std::printf("[cancel] silent server: the call ended %lld us after the stop request (cancel drained)\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::microseconds>(ended - stopper.requested_at()).count()));
  EXPECT_LT(ended - stopper.requested_at(), k_bound);
  EXPECT_TRUE(conn->usable());
  EXPECT_TRUE(server.errors().empty());
  // Every step ran, the Cancel (code 3) read included: handshake (2), query, cancel, end. The
  // server counts its last step once its send returned, which may be after the client read it.
  EXPECT_TRUE(test::wait_until([&] { return server.steps_done() >= 5U; }, 10s));
  EXPECT_EQ(server.steps_done(), 5U);
}

TEST(QueryStop, StopWhoseDrainTimesOutDropsTheConnection) {
  // The server reads Cancel but never ends the query.
  FakeServer server(FakeScript().handshake().read_query().read_code(3).stay_silent());
  Config config = config_for(server);
  config.timeouts.cancel_drain = 300ms;
  auto conn = NativeConnection::connect(config, server.address(), Deadline::after(5s));
  std::stop_source source;
  QueryOptions options;
  options.stop = source.get_token();
  StopWhenQueried stopper(server, source);
  Steady::time_point ended{};
  const Error e = test::thrown_error([&] { conn->execute("SELECT sleep(3)", options); });
  ended = Steady::now();
  EXPECT_EQ(e.kind(), ErrorKind::cancelled) << e.what();
  EXPECT_NE(e.message().find("connection dropped"), std::string::npos) << e.what();
  stopper.join();
  EXPECT_LT(ended - stopper.requested_at(), 300ms + k_bound);
  EXPECT_FALSE(conn->usable());
}

TEST(QueryStop, StopBetweenStreamedBlocksCancelsWithoutWaiting) {
  // Blocks keep coming; the callback requests stop after the first, on the calling thread.
  FakeServer server(FakeScript()
                        .handshake()
                        .read_query()
                        .send(fake::data_packet(fake::uint64_block(0)) + fake::data_packet(fake::uint64_block(3)) +
                              fake::data_packet(fake::uint64_block(3)))
                        .read_code(3)
                        .send(fake::end_of_stream_packet()));
  auto conn = NativeConnection::connect(config_for(server), server.address(), Deadline::after(5s));
  std::stop_source source;
  QueryOptions options;
  options.stop = source.get_token();
  int blocks = 0;
  expect_error(ErrorKind::cancelled, [&] {
    conn->select(
        "SELECT x", [&](const Block&) { ++blocks, source.request_stop(); }, options);
  });
  EXPECT_EQ(blocks, 1);
  EXPECT_TRUE(conn->usable());
}

TEST(QueryStop, ATokenThatIsNeverStoppedChangesNothing) {
  FakeServer server(FakeScript().handshake().read_query().send(fake::data_packet(fake::uint64_block(2)) +
                                                               fake::end_of_stream_packet()));
  auto conn = NativeConnection::connect(config_for(server), server.address(), Deadline::after(5s));
  std::stop_source source;
  QueryOptions options;
  options.stop = source.get_token();
  const Result r = conn->execute("SELECT x", options);
  EXPECT_EQ(r.row_count(), 2U);
  EXPECT_TRUE(conn->usable());
}

}  // namespace
}  // namespace chconn
