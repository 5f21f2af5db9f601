// Query texts too large for the server, against a scripted fake server (issue 13, item 8): what is
// known to be too large is refused before anything is sent; when the peer drops the connection
// while a query is being sent, the error says what was being sent and why that may have happened.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "chconn/connection/native_connection.h"
#include "chconn/core/error.h"
#include "chconn/wire/detail/protocol.h"
#include "support/expect_error.h"
#include "support/fake_server.h"

namespace chconn {
namespace {

using chconn::test::expect_error;

using namespace std::chrono_literals;
using test::FakeScript;
using test::FakeServer;
namespace fake = test::fake;

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

Config config_for(const FakeServer& server) {
  Config config = server.client_config("chconn-query-size");
  // Generous: building and sending 64 MiB under ThreadSanitizer on a busy machine took over 10 s.
  config.timeouts.query = 120s;
  config.timeouts.send = 120s;
  config.timeouts.receive = 120s;
  return config;
}

std::string select_of_size(std::size_t total) {
  const std::string head = "SELECT '";
  return head + std::string(total - head.size() - 1, 'a') + "'";
}

// 18.16 (revision 54412) reads at most 16 MiB - 1 bytes of query text: one byte more is refused
// before anything is sent, and the connection stays usable.
TEST(QuerySize, TextOverAnOldServersLimitIsNotSent) {
  FakeServer server(FakeScript().handshake().stay_silent());
  auto conn = NativeConnection::connect(config_for(server), server.address(), Deadline::after(5s));
  expect_error(ErrorKind::usage, [&] { conn->execute(select_of_size(16'777'216)); },
               {"16777216 bytes", "nothing was sent"});
  EXPECT_TRUE(conn->usable());
  EXPECT_TRUE(server.queries().empty());
}

// A caller's max_query_size (per query over the Config's) is checked before sending; 0 means no
// limit, as on the server, and a value that is not a number is left for the server to judge.
TEST(QuerySize, CallersMaxQuerySizeIsCheckedBeforeSending) {
  FakeServer server(FakeScript().handshake().stay_silent());
  Config config = config_for(server);
  config.settings.set("max_query_size", "50");
  auto conn = NativeConnection::connect(config, server.address(), Deadline::after(5s));
  expect_error(ErrorKind::usage, [&] { conn->execute(select_of_size(51)); }, {"51 bytes", "max_query_size (50 bytes)"});
  QueryOptions per_query;
  per_query.settings.set("max_query_size", "40");
  EXPECT_THROW(conn->execute(select_of_size(45), per_query), Error);
  EXPECT_TRUE(conn->usable());
  EXPECT_TRUE(server.queries().empty());
}

// A server whose limit chconn does not know (a newer revision) drops the connection part-way
// through a large query: the error says a query of that size was being sent and what may refuse it.
TEST(QuerySize, PeerClosingWhileALargeQueryIsSentSaysWhatWasBeingSent) {
  FakeServer server(FakeScript()
                        .read_hello()
                        .send(fake::hello_packet("ClickHouse", 23, 8, wire::k_client_revision))
                        .read_bytes(64 * 1024)
                        .reset());
  auto conn = NativeConnection::connect(config_for(server), server.address(), Deadline::after(5s));
  const std::size_t size = std::size_t{64} << 20;
  const Error e = test::thrown_error([&] { conn->execute(select_of_size(size)); });
  EXPECT_EQ(e.kind(), ErrorKind::network) << e.what();
  EXPECT_TRUE(contains(e.what(), "while sending a query of " + std::to_string(size) + " bytes")) << e.what();
  EXPECT_TRUE(contains(e.what(), "max_query_size")) << e.what();
  EXPECT_FALSE(conn->usable());
}

}  // namespace
}  // namespace chconn
