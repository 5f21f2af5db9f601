// The sans-I/O operations (src/connection/sansio) with no socket: the server's bytes are fed by
// hand, cut at every point, byte by byte, and the rule for packets that arrive in part is checked
// by counting decode attempts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/wire/detail/packets.h"
#include "chconn/wire/detail/protocol.h"
#include "connection/sansio/handshake.h"
#include "connection/sansio/operation.h"
#include "connection/sansio/ping.h"
#include "support/fake_server.h"
#include "unit/wire/columns_test_util.h"

namespace chconn::detail::sansio {
namespace {

namespace fake = test::fake;
using test::hex;

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Plays the server's side for an operation: each read the operation asks for gets the next chunk
// (at most the room it offered; the rest waits for the next read), and `more_ready` says whether
// the driver reports that more bytes were waiting. Records what the operation wrote.
class ScriptedDriver {
 public:
  ScriptedDriver(Conversation& c, std::vector<std::string> chunks, bool more_ready_between_chunks)
      : c_(c), chunks_(std::move(chunks)), more_ready_(more_ready_between_chunks) {}

  // Runs `op` to its end; returns its Next (done or failed). A read with no chunk left fails the
  // test: the operation wanted more than the server sent.
  Next run(Operation& op) {
    for (;;) {
      Next next = op.resume(c_);
      switch (next.kind) {
        case Next::Kind::write:
          written_.append(reinterpret_cast<const char*>(next.bytes.data()), next.bytes.size());
          break;
        case Next::Kind::read: {
          if (chunk_ == chunks_.size()) {
            ADD_FAILURE() << "the operation asked for more bytes than the server sent";
            return Next::failed({});
          }
          EXPECT_GT(next.read_hint, 0u);
          const std::string& chunk = chunks_[chunk_];
          const auto room = c_.in.prepare(next.read_hint);
          const std::size_t n = std::min(room.size(), chunk.size() - offset_);
          std::memcpy(room.data(), chunk.data() + offset_, n);
          offset_ += n;
          if (offset_ == chunk.size()) {
            ++chunk_;
            offset_ = 0;
          }
          // Drained when nothing is left of this chunk and the script says pieces come apart.
          const bool last = chunk_ == chunks_.size();
          c_.in.commit(n, offset_ != 0 || (!last && more_ready_));
          ++reads_;
          break;
        }
        case Next::Kind::done:
        case Next::Kind::failed: return next;
      }
    }
  }

  const std::string& written() const noexcept { return written_; }
  std::size_t reads() const noexcept { return reads_; }
  bool all_read() const noexcept { return chunk_ == chunks_.size(); }

 private:
  Conversation& c_;
  std::vector<std::string> chunks_;
  bool more_ready_;
  std::size_t chunk_ = 0;
  std::size_t offset_ = 0;
  std::size_t reads_ = 0;
  std::string written_;
};

std::vector<std::string> cut(const std::string& s, std::size_t at) {
  if (at == 0 || at >= s.size()) return {s};
  return {s.substr(0, at), s.substr(at)};
}

std::vector<std::string> bytewise(const std::string& s) {
  std::vector<std::string> out;
  for (char ch : s) out.emplace_back(1, ch);
  return out;
}

wire::ClientHello test_hello() {
  wire::ClientHello hello;
  hello.client_name = "sansio";
  hello.user = "u";
  hello.password = "p";
  return hello;
}

std::string expected_hello_bytes() {
  wire::Writer w;
  wire::write_hello(w, test_hello());
  return std::string(w.view());
}

// Handshake then Ping on one conversation, against `server` (the Hello and the Pong back to back)
// fed as `chunks`; checks what was written and what the handshake learnt.
void handshake_then_ping(const std::vector<std::string>& chunks, bool more_ready, std::uint64_t expected_revision) {
  Conversation c({}, "fake:9000");
  ScriptedDriver driver(c, chunks, more_ready);
  Handshake handshake(test_hello());
  const Next hs = driver.run(handshake);
  ASSERT_EQ(hs.kind, Next::Kind::done);
  EXPECT_EQ(handshake.info().name, "ClickHouse");
  EXPECT_EQ(handshake.revision(), expected_revision);
  Ping ping(handshake.revision());
  const Next p = driver.run(ping);
  ASSERT_EQ(p.kind, Next::Kind::done);
  EXPECT_TRUE(driver.all_read());
  EXPECT_EQ(c.in.size(), 0u);
  wire::Writer addendum;
  wire::write_addendum(addendum, {}, expected_revision);
  EXPECT_EQ(hex(driver.written()), hex(expected_hello_bytes() + std::string(addendum.view()) + "\x04"));
}

TEST(Sansio, HandshakeAndPingAt54412CutAtEveryPoint) {
  const std::string server = fake::hello_18_16() + fake::pong_packet();
  for (std::size_t at = 0; at <= server.size(); ++at) {
    SCOPED_TRACE("cut at " + std::to_string(at));
    handshake_then_ping(cut(server, at), false, fake::k_revision_18_16);
    handshake_then_ping(cut(server, at), true, fake::k_revision_18_16);
  }
}

TEST(Sansio, HandshakeWithAddendumAndPingCutAtEveryPoint) {
  const std::string server = fake::modern_hello(fake::k_revision_modern, wire::k_client_revision) +
                             fake::progress_packet(1, 8, 0, wire::k_client_revision) + fake::pong_packet();
  for (std::size_t at = 0; at <= server.size(); ++at) {
    SCOPED_TRACE("cut at " + std::to_string(at));
    handshake_then_ping(cut(server, at), false, wire::k_client_revision);
    handshake_then_ping(cut(server, at), true, wire::k_client_revision);
  }
}

TEST(Sansio, HandshakeAndPingByteByByte) {
  const std::string old_server = fake::hello_18_16() + fake::pong_packet();
  handshake_then_ping(bytewise(old_server), false, fake::k_revision_18_16);
  handshake_then_ping(bytewise(old_server), true, fake::k_revision_18_16);
  const std::string modern = fake::modern_hello(fake::k_revision_modern, wire::k_client_revision) + fake::pong_packet();
  handshake_then_ping(bytewise(modern), false, wire::k_client_revision);
  handshake_then_ping(bytewise(modern), true, wire::k_client_revision);
}

// A refused login: the server's Exception is the operation's error, whole, however it arrives.
TEST(Sansio, HandshakeFailsWithTheServersException) {
  const std::string server = fake::exception_packet(516, "DB::Exception", "u: Authentication failed");
  for (std::size_t at = 0; at <= server.size(); ++at) {
    Conversation c({}, "fake:9000");
    ScriptedDriver driver(c, cut(server, at), false);
    Handshake handshake(test_hello());
    const Next next = driver.run(handshake);
    ASSERT_EQ(next.kind, Next::Kind::failed);
    try {
      std::rethrow_exception(next.error);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::server);
      EXPECT_EQ(e.server_code(), 516);
    }
  }
}

TEST(Sansio, HandshakeRefusesAServerTooOld) {
  Conversation c({}, "fake:9000");
  ScriptedDriver driver(c, {fake::hello_packet("ClickHouse", 1, 1, k_min_server_revision - 1)}, false);
  Handshake handshake(test_hello());
  const Next next = driver.run(handshake);
  ASSERT_EQ(next.kind, Next::Kind::failed);
  try {
    std::rethrow_exception(next.error);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::protocol);
    EXPECT_NE(std::string(e.what()).find("fake:9000"), std::string::npos);
  }
}

TEST(Sansio, PingRefusesAnUnexpectedPacket) {
  Conversation c({}, "fake:9000");
  ScriptedDriver driver(c, {fake::end_of_stream_packet()}, false);
  Ping ping(fake::k_revision_18_16);
  const Next next = driver.run(ping);
  ASSERT_EQ(next.kind, Next::Kind::failed);
  try {
    std::rethrow_exception(next.error);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::protocol);
    EXPECT_NE(std::string(e.what()).find("during a ping"), std::string::npos);
  }
}

// The rule of operation.h: an n-byte packet fed one byte at a time, with the transport reporting
// more bytes waiting, is decoded in O(log n) attempts (not one per byte), and the bytes parsed in
// all attempts together stay within a small multiple of n.
TEST(Sansio, PartialPacketsAreRetriedLogarithmically) {
  const Block block = fake::uint64_block(20000);  // an uncompressed Data packet of ~160 KB
  const std::string packet = fake::data_packet(block) + fake::end_of_stream_packet();
  const std::size_t n = packet.size() - 1;
  ReceiveBuffer in;
  PacketDecoder decoder;
  std::uint64_t parsed = 0;  // bytes buffered at each attempt: what an attempt may parse at most
  std::size_t rows = 0;
  bool decoded = false;
  for (std::size_t i = 0; i < packet.size() && !decoded; ++i) {
    in.append(bytes_of(std::string_view(packet).substr(i, 1)));
    in.commit(0, i + 1 < packet.size());  // more bytes are waiting, except after the last
    if (!decoder.due(in)) continue;
    parsed += in.size();
    decoded = decoder.attempt(in, {}, [&](wire::Reader& r) {
      EXPECT_EQ(wire::read_server_packet_code(r), wire::ServerPacketCode::data);
      rows = wire::read_data(r, fake::k_revision_18_16, false).block.rows();
    });
  }
  ASSERT_TRUE(decoded);
  EXPECT_EQ(rows, 20000u);
  EXPECT_EQ(in.size(), 1u);  // the EndOfStream after it stays buffered
  const auto bound = static_cast<std::uint64_t>(std::log2(static_cast<double>(n))) + 2;
  EXPECT_LE(decoder.attempts(), bound) << "n = " << n;
  EXPECT_GE(decoder.attempts(), 2u);  // it did try before the packet was whole
  EXPECT_LE(parsed, 4 * packet.size());
}

// Without "more waiting" (every read drained the transport) each new byte is tried at once: the
// price of never waiting for bytes a server that is waiting for us will not send. Correct, and
// bounded by the number of reads.
TEST(Sansio, DrainedReadsAreRetriedAtOnce) {
  const std::string packet = fake::pong_packet();
  const std::string server = fake::progress_packet(1, 8) + packet;
  ReceiveBuffer in;
  PacketDecoder decoder;
  int packets = 0;
  for (std::size_t i = 0; i < server.size(); ++i) {
    in.append(bytes_of(std::string_view(server).substr(i, 1)));
    in.commit(0, false);
    ASSERT_TRUE(decoder.due(in));
    if (decoder.attempt(in, {}, [&](wire::Reader& r) {
          if (wire::read_server_packet_code(r) == wire::ServerPacketCode::progress)
            wire::read_progress(r, fake::k_revision_18_16);
        }))
      ++packets;
  }
  EXPECT_EQ(packets, 2);
  EXPECT_EQ(in.size(), 0u);
  EXPECT_LE(decoder.attempts(), server.size());
}

TEST(Sansio, ReceiveBufferKeepsPendingBytesAcrossGrowth) {
  ReceiveBuffer in;
  in.append(bytes_of("abcdef"));
  in.consume(4);
  auto room = in.prepare(100000);
  ASSERT_GE(room.size(), 100000u);
  std::memcpy(room.data(), "gh", 2);
  in.commit(2, false);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(in.pending().data()), in.size()), "efgh");
  in.consume(10);  // more than pending: everything
  EXPECT_EQ(in.size(), 0u);
}

}  // namespace
}  // namespace chconn::detail::sansio
