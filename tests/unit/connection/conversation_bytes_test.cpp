// What the blocking connection writes for a handshake and a ping, byte for byte, against the fake
// server: the golden bytes were recorded from the connection before the handshake and the ping
// became sans-I/O operations (issue 18), so the move cannot have changed a byte on the wire.
// Each golden string is annotated field by field (docs/protocol.md, "Client Hello").
#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
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

// A length-prefixed string as the protocol writes it (lengths below 128 here).
std::string str(std::string_view s) { return static_cast<char>(s.size()) + std::string(s); }

std::string host_name() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return {};
  return name.data();
}

// Sets USER for the test's life (the ClientInfo carries it as the OS user).
class OsUser {
 public:
  explicit OsUser(const char* user) {
    if (const char* old = std::getenv("USER")) old_ = old;
    ::setenv("USER", user, 1);
  }
  ~OsUser() { old_.empty() ? ::unsetenv("USER") : ::setenv("USER", old_.c_str(), 1); }
  OsUser(const OsUser&) = delete;
  OsUser& operator=(const OsUser&) = delete;

 private:
  std::string old_;
};

// The Query chconn 0.1 ("golden", OS user "osuser") sends to 18.16 (revision 54412) for `text`
// with query id `id`, no settings and no compression.
std::string query_at_54412(std::string_view id, std::string_view text) {
  const std::uint64_t r = wire::k_client_revision;
  std::string varint;
  for (std::uint64_t v = r;; v >>= 7) {
    if (v < 0x80) {
      varint += static_cast<char>(v);
      break;
    }
    varint += static_cast<char>((v & 0x7f) | 0x80);
  }
  return std::string("\x01", 1)                               // code Query
         + str(id)                                            // query id
         + std::string("\x01\x00\x00", 3) + str("0.0.0.0:0")  // ClientInfo: initial query, user, id, address
         + "\x01"                                             // interface TCP
         + str("osuser") + str(host_name()) + str("golden")   // OS user, client host, client name
         + std::string("\x00\x01", 2) + varint                // version 0.1, the advertised revision
         + std::string("\x00\x00", 2)                         // quota key (54060), version patch (54401)
         + std::string("\x00", 1)                             // settings: none (binary form before 54429)
         + "\x02" + std::string("\x00", 1)                    // stage Complete, compression off
         + str(text);
}

// The empty Data block that ends a query's data at 54412: code 2, no table name, BlockInfo
// (is_overflows 0, bucket_num -1, end), 0 columns, 0 rows.
std::string empty_data_at_54412() {
  return std::string("\x02\x00", 2) + std::string("\x01\x00\x02\xff\xff\xff\xff\x00", 8) + std::string("\x00\x00", 2);
}

// A select whose callback throws after the first block: the Query, the empty block that ends the
// (absent) external tables, then Cancel (code 3); the server ends the query, and the Ping (code 4)
// shows the connection was kept.
TEST(ConversationBytes, SelectCancelledAt54412) {
  const OsUser user("osuser");
  FakeServer server(FakeScript()
                        .handshake()
                        .read_query()
                        .send(fake::data_packet(fake::uint64_block(0)) + fake::data_packet(fake::uint64_block(3)))
                        .read_code(3)
                        .send(fake::data_packet(fake::uint64_block(3)) + fake::end_of_stream_packet())
                        .read_code(4)
                        .send(fake::pong_packet()));
  auto conn = NativeConnection::connect(config_for(server), server.address(), Deadline::after(10s));
  QueryOptions options;
  options.query_id = "golden-q";
  EXPECT_THROW(conn->select(
                   "SELECT n FROM t", [](const Block&) { throw std::runtime_error("enough"); }, options),
               std::runtime_error);
  ASSERT_TRUE(conn->usable());
  conn->ping(Deadline::after(10s));
  conn->close();
  ASSERT_TRUE(server.wait_finished(1, 10s));
  EXPECT_TRUE(server.errors().empty());
  EXPECT_EQ(hex(server.received()), hex(client_hello() + query_at_54412("golden-q", "SELECT n FROM t") +
                                        empty_data_at_54412() + "\x03" + "\x04"));
}

// execute() of an INSERT on 18.16: the server answers with the table's sample block and waits for
// data; chconn ends the data with the empty block at once (no rows), then reads EndOfStream.
TEST(ConversationBytes, ExecuteInsertEndsTheDataAt54412) {
  const OsUser user("osuser");
  FakeServer server(FakeScript()
                        .handshake()
                        .read_query()
                        .send(fake::data_packet(fake::uint64_block(0)))
                        .read_data_packet()
                        .send(fake::end_of_stream_packet()));
  auto conn = NativeConnection::connect(config_for(server), server.address(), Deadline::after(10s));
  QueryOptions options;
  options.query_id = "golden-i";
  conn->execute("INSERT INTO t VALUES", options);
  conn->close();
  ASSERT_TRUE(server.wait_finished(1, 10s));
  EXPECT_TRUE(server.errors().empty());
  EXPECT_EQ(hex(server.received()), hex(client_hello() + query_at_54412("golden-i", "INSERT INTO t VALUES") +
                                        empty_data_at_54412() + empty_data_at_54412()));
}

}  // namespace
}  // namespace chconn
