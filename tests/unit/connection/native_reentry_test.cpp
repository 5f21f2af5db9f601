// NativeConnection called again from inside one of its own calls' callbacks (a block callback of
// select() that runs execute() on the same connection, a progress callback that pings it): the
// inner call is refused with Error(usage) before anything is sent, which, thrown in the callback,
// cancels the outer query through the CallbackFailed path (Cancel, drain, the connection kept).
// Before, the inner call sent its Query in the middle of the outer reply.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

#include "chconn/connection/native_connection.h"
#include "chconn/core/error.h"
#include "support/fake_server.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;
namespace fake = test::fake;
using test::FakeScript;
using test::FakeServer;

TEST(NativeReentry, ACallbackThatCallsItsConnectionGetsAUsageErrorAndTheQueryIsCancelled) {
  // The block arrives, then the server waits for the Cancel before ending the reply; then a ping.
  FakeServer server(FakeScript()
                        .handshake()
                        .read_query()
                        .send(fake::data_packet(fake::uint64_block(0)) + fake::data_packet(fake::uint64_block(5)))
                        .read_code(3)
                        .send(fake::end_of_stream_packet())
                        .read_query()
                        .send(fake::data_packet(fake::uint64_block(0)) + fake::progress_packet(1, 8))
                        .read_code(3)
                        .send(fake::end_of_stream_packet())
                        .read_code(4)
                        .send(fake::pong_packet()));
  Config config = server.client_config("native-reentry");
  config.timeouts.query = 10s;
  auto conn = NativeConnection::connect(config, server.address(), Deadline::after(5s));
  std::optional<Error> inner;
  std::optional<Error> outer;
  try {
    conn->select(
        "SELECT outer",
        [&](const Block& /*b*/) {
          try {
            (void)conn->execute("SELECT inner");
          } catch (const Error& e) {
            inner = e;
            throw;
          }
        },
        QueryOptions{});
  } catch (const Error& e) {
    outer = e;
  }
  ASSERT_TRUE(inner.has_value());
  EXPECT_EQ(inner->kind(), ErrorKind::usage) << inner->message();
  EXPECT_NE(inner->message().find("callback called it again"), std::string::npos) << inner->message();
  ASSERT_TRUE(outer.has_value());
  EXPECT_EQ(outer->kind(), ErrorKind::usage);
  EXPECT_TRUE(conn->usable());

  // A progress callback that pings the connection: the same.
  QueryOptions options;
  std::optional<Error> pinged;
  options.on_progress = [&](const QueryProgress& /*increment*/, const QueryProgress& /*total*/) {
    try {
      conn->ping(Deadline::after(1s));
    } catch (const Error& e) {
      pinged = e;
      throw;
    }
  };
  EXPECT_THROW((void)conn->execute("SELECT progress", options), Error);
  ASSERT_TRUE(pinged.has_value());
  EXPECT_EQ(pinged->kind(), ErrorKind::usage) << pinged->message();
  EXPECT_TRUE(conn->usable());
  conn->ping(Deadline::after(5s));
  const auto queries = server.queries();
  ASSERT_EQ(queries.size(), 2u);
  EXPECT_EQ(queries[0].text, "SELECT outer");
  EXPECT_EQ(queries[1].text, "SELECT progress");
  EXPECT_TRUE(server.errors().empty());
}

}  // namespace
}  // namespace chconn
