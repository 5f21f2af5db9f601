// What the blocking connection writes for a handshake and a ping, byte for byte, against the fake
// server: the golden bytes were recorded from the connection before the handshake and the ping
// became sans-I/O operations (issue 18), so the move cannot have changed a byte on the wire.
// Each golden string is annotated field by field (docs/protocol.md, "Client Hello").
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "chconn/connection/native_connection.h"
#include "chconn/wire/detail/packets.h"
#include "chconn/wire/detail/protocol.h"
#include "support/fake_server.h"
#include "unit/wire/columns_test_util.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;
using test::FakeScript;
using test::FakeServer;
using test::hex;
namespace fake = test::fake;

Config config_for(const FakeServer& server) {
  Config config = server.client_config("golden");
  config.user = "u";
  config.password = "p";
  config.database = "db";
  return config;
}

// The Hello chconn 0.1 sends as "golden" to database db, user u, password p.
std::string client_hello() {
  const std::uint64_t r = wire::k_client_revision;
  std::string varint;
  for (std::uint64_t v = r;; v >>= 7) {
    if (v < 0x80) {
      varint += static_cast<char>(v);
      break;
    }
    varint += static_cast<char>((v & 0x7f) | 0x80);
  }
  return std::string("\x00", 1)  // code Hello
         +
         "\x06"
         "golden"                      // client name
         + std::string("\x00\x01", 2)  // version major 0, minor 1
         + varint                      // the revision chconn advertises
         +
         "\x02"
         "db" +
         "\x01"
         "u" +
         "\x01"
         "p";  // database, user, password
}

// Against 18.16 (revision 54412): the Hello alone, then a Ping (code 4).
TEST(ConversationBytes, HandshakeAndPingAt54412) {
  FakeServer server(FakeScript().handshake().read_code(4).send(fake::pong_packet()));
  auto conn = NativeConnection::connect(config_for(server), server.address(), Deadline::after(10s));
  conn->ping(Deadline::after(10s));
  conn->close();
  ASSERT_TRUE(server.wait_finished(1, 10s));
  EXPECT_TRUE(server.errors().empty());
  EXPECT_EQ(hex(server.received()), hex(client_hello() + "\x04"));
}

// Against a server of 54460 (>= 54458): the Hello, the addendum (an empty quota key), then a Ping.
TEST(ConversationBytes, HandshakeWithAddendumAndPingAt54460) {
  FakeServer server(FakeScript().modern_handshake(54460).read_bytes(1).read_code(4).send(fake::pong_packet()));
  auto conn = NativeConnection::connect(config_for(server), server.address(), Deadline::after(10s));
  EXPECT_EQ(conn->server_info().negotiated_revision, 54460u);
  conn->ping(Deadline::after(10s));
  conn->close();
  ASSERT_TRUE(server.wait_finished(1, 10s));
  EXPECT_TRUE(server.errors().empty());
  EXPECT_EQ(hex(server.received()), hex(client_hello() + std::string("\x00", 1) + "\x04"));
}

// Against the newest revision: the addendum carries the chunked-protocol strings (54470) and the
// parallel-replicas protocol version (54471) as well.
TEST(ConversationBytes, HandshakeWithAddendumAndPingAtTheClientRevision) {
  const std::uint64_t r = wire::k_client_revision;
  wire::Writer addendum;
  wire::write_addendum(addendum, {}, r);
  FakeServer server(FakeScript()
                        .modern_handshake(fake::k_revision_modern)
                        .read_bytes(addendum.size())
                        .read_code(4)
                        .send(fake::pong_packet()));
  auto conn = NativeConnection::connect(config_for(server), server.address(), Deadline::after(10s));
  conn->ping(Deadline::after(10s));
  conn->close();
  ASSERT_TRUE(server.wait_finished(1, 10s));
  EXPECT_TRUE(server.errors().empty());
  // The addendum is whatever the codec writes for r (its fields are the codec's tests' business);
  // it must come right after the Hello and before the Ping, once.
  EXPECT_EQ(hex(server.received()),
            hex(client_hello() + std::string(reinterpret_cast<const char*>(addendum.data().data()), addendum.size()) +
                "\x04"));
}

}  // namespace
}  // namespace chconn
