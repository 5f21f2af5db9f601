// The sans-I/O operations (src/connection/sansio) with no socket: the server's bytes are fed by
// hand, cut at every point, byte by byte, and the rule for packets that arrive in part is checked
// by counting decode attempts.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/wire/detail/packets.h"
#include "chconn/wire/detail/protocol.h"
#include "connection/sansio/handshake.h"
#include "connection/sansio/operation.h"
#include "connection/sansio/ping.h"
#include "connection/sansio/query.h"
#include "support/expect_error.h"
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
            if (idle_when_dry && !c_.in.idle()) {
              // The server sent everything and waits: the driver's idle timer fires.
              c_.in.note_idle();
              ++idles_;
              break;
            }
            if (stop_when_dry) return next;
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
        case Next::Kind::block:
          ++blocks_;
          if (on_block) on_block();
          break;
        case Next::Kind::done:
        case Next::Kind::failed: return next;
      }
    }
  }

  const std::string& written() const noexcept { return written_; }
  std::size_t reads() const noexcept { return reads_; }
  bool all_read() const noexcept { return chunk_ == chunks_.size(); }
  std::size_t blocks() const noexcept { return blocks_; }
  std::size_t idles() const noexcept { return idles_; }
  // When the script has run out: report the transport idle once (as the async driver does after
  // a quiet spell), and/or return the read instead of failing.
  bool idle_when_dry = false;
  bool stop_when_dry = false;
  // Called at each Next::block (a QueryOperation's result block is ready).
  std::function<void()> on_block;

 private:
  Conversation& c_;
  std::vector<std::string> chunks_;
  bool more_ready_;
  std::size_t chunk_ = 0;
  std::size_t offset_ = 0;
  std::size_t reads_ = 0;
  std::size_t blocks_ = 0;
  std::size_t idles_ = 0;
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
    const Error e = test::thrown_error([&] { std::rethrow_exception(next.error); });
    EXPECT_EQ(e.kind(), ErrorKind::server);
    EXPECT_EQ(e.server_code(), 516);
  }
}

TEST(Sansio, HandshakeRefusesAServerTooOld) {
  Conversation c({}, "fake:9000");
  ScriptedDriver driver(c, {fake::hello_packet("ClickHouse", 1, 1, k_min_server_revision - 1)}, false);
  Handshake handshake(test_hello());
  const Next next = driver.run(handshake);
  ASSERT_EQ(next.kind, Next::Kind::failed);
  test::expect_error(ErrorKind::protocol, [&] { std::rethrow_exception(next.error); }, {"fake:9000"});
}

TEST(Sansio, PingRefusesAnUnexpectedPacket) {
  Conversation c({}, "fake:9000");
  ScriptedDriver driver(c, {fake::end_of_stream_packet()}, false);
  Ping ping(fake::k_revision_18_16);
  const Next next = driver.run(ping);
  ASSERT_EQ(next.kind, Next::Kind::failed);
  test::expect_error(ErrorKind::protocol, [&] { std::rethrow_exception(next.error); }, {"during a ping"});
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
    // After the last byte the server waits: the driver reports the transport idle.
    if (i + 1 == packet.size()) in.note_idle();
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

// The idle rule's backoff (operation.h): a large packet's idle spell is 1 ms + 1 ns per buffered
// byte, and each idle retry that still finds the packet incomplete doubles the next one, so a link
// that keeps pausing cannot make the packet be re-parsed at every pause.
TEST(Sansio, EachFailedIdleRetryDoublesTheNextIdleSpell) {
  const std::string packet = fake::data_packet(fake::uint64_block(20000));  // ~160 KB
  ReceiveBuffer in;
  PacketDecoder decoder;
  std::size_t fed = 0;
  const auto feed = [&](std::size_t n) {  // a drained read of n bytes
    const auto room = in.prepare(n);
    std::memcpy(room.data(), packet.data() + fed, n);
    fed += n;
    in.commit(n, false);
  };
  const auto attempt = [&] {
    return decoder.attempt(in, {}, [&](wire::Reader& r) {
      (void)wire::read_server_packet_code(r);
      (void)wire::read_data(r, fake::k_revision_18_16, false);
    });
  };
  const auto spell = [&](std::int64_t times) {
    return times * (std::chrono::nanoseconds(std::chrono::milliseconds(1)) +
                    std::chrono::nanoseconds(static_cast<std::int64_t>(in.size())));
  };
  feed(100000);
  ASSERT_TRUE(decoder.due(in));
  EXPECT_FALSE(attempt());
  feed(1000);
  EXPECT_FALSE(decoder.due(in));  // neither doubled nor idle, and too large to retry per read
  EXPECT_EQ(decoder.idle_spell(in), spell(1));
  for (std::int64_t times : {2, 4, 8}) {
    in.note_idle();
    ASSERT_TRUE(decoder.due(in));
    EXPECT_FALSE(attempt());
    feed(1000);
    EXPECT_EQ(decoder.idle_spell(in), spell(times));
  }
  EXPECT_EQ(decoder.idle_failures(), 3u);
  feed(packet.size() - fed);
  in.note_idle();
  ASSERT_TRUE(decoder.due(in));
  EXPECT_TRUE(attempt());
  EXPECT_EQ(decoder.idle_spell(in), std::chrono::nanoseconds::zero());
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

// A buffer that grew for a large packet gives the memory back once the packet is consumed; one
// that stays within k_retained_bytes keeps its memory (streaming ordinary blocks reallocates
// nothing).
TEST(Sansio, ReceiveBufferShrinksBackAfterALargePacket) {
  ReceiveBuffer in;
  const std::string large(std::size_t{16} << 20, 'z');
  in.append(bytes_of(large));
  in.append(bytes_of("next"));
  in.consume(large.size());
  const auto room = in.prepare(PacketDecoder::k_min_read);
  ASSERT_GE(room.size(), PacketDecoder::k_min_read);
  EXPECT_LE(in.capacity(), std::size_t{64} << 10);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(in.pending().data()), in.size()), "next");

  ReceiveBuffer ordinary;
  ordinary.append(bytes_of(std::string(std::size_t{1} << 20, 'o')));
  const std::size_t kept = ordinary.capacity();
  ordinary.consume(ordinary.size());
  (void)ordinary.prepare(PacketDecoder::k_min_read);
  EXPECT_EQ(ordinary.capacity(), kept);
}

// An Exception that claims a 64 MiB message, fed in drained reads of what the decoder asks for:
// refused with Error(protocol) naming the limit once it holds more than its bound, and the buffer
// never held more than the bound plus one read. (The blocking path skips the text it does not
// keep; this path would hold it all.)
TEST(Sansio, APacketPastItsBoundIsRefusedAsItArrives) {
  DecodeLimits limits;
  limits.max_exception_chain_bytes = std::uint64_t{1} << 20;
  std::string packet = fake::uvarint(2) + std::string("\xe9\x03\0\0", 4) + fake::string("DB::Exception") +
                       fake::uvarint(std::uint64_t{64} << 20);
  packet.resize(std::size_t{8} << 20, 'x');  // what the server sends before the test gives up
  const PacketBound bound = packet_bound(bytes_of(packet), limits);
  EXPECT_EQ(bound.bytes, limits.max_exception_chain_bytes + k_packet_slack);
  EXPECT_STREQ(bound.limit, "max_exception_chain_bytes");
  ReceiveBuffer in;
  PacketDecoder decoder;
  std::size_t fed = 0;
  std::size_t most = 0;
  std::optional<Error> refused;
  while (fed < packet.size() && !refused) {
    const std::size_t n = std::min(decoder.read_hint(in), packet.size() - fed);
    const auto room = in.prepare(n);
    std::memcpy(room.data(), packet.data() + fed, n);
    fed += n;
    in.commit(n, false);
    if (decoder.waits_on_idle(in)) in.note_idle();  // the server pauses: the driver's idle report
    most = std::max(most, in.size());
    if (!decoder.due(in)) continue;
    try {
      EXPECT_FALSE(decoder.attempt(in, limits, [](wire::Reader& r) {
        (void)wire::read_server_packet_code(r);
        (void)wire::read_exception(r);
      }));
    } catch (const Error& e) {
      refused = e;
    }
  }
  ASSERT_TRUE(refused.has_value()) << "fed " << fed << " bytes";
  EXPECT_EQ(refused->kind(), ErrorKind::protocol);
  EXPECT_NE(refused->message().find("Exception packet"), std::string::npos) << refused->message();
  EXPECT_NE(refused->message().find("DSN parameter max_exception_chain_bytes"), std::string::npos);
  EXPECT_LE(most, bound.bytes + PacketDecoder::k_min_read + 1);

  // A Data packet's bound is its block budget (plus 1/64 for frames); other packets' is max_string_bytes.
  const std::string data = fake::data_packet(fake::uint64_block(1));
  EXPECT_EQ(packet_bound(bytes_of(data), limits).bytes,
            limits.max_block_bytes + limits.max_block_bytes / 64 + k_packet_slack);
  EXPECT_STREQ(packet_bound(bytes_of(fake::progress_packet(1, 8)), limits).limit, "max_string_bytes");
}

// ----- QueryOperation over the buffered input (the async connection's) --------------------------

std::vector<std::string> pieces(const std::string& s, std::size_t size) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < s.size(); i += size) out.push_back(s.substr(i, size));
  return out;
}

QueryReply select_reply(bool compressed) {
  QueryReply r;
  r.mode = QueryReply::Mode::select;
  r.revision = fake::k_revision_18_16;
  r.compressed = compressed;
  return r;
}

// A select's reply cut at every point: the header, two blocks, progress and profile info,
// EndOfStream; the blocks come out one by one, progress is summed and reported.
TEST(SansioQuery, SelectReplyCutAtEveryPoint) {
  const std::string reply = fake::data_packet(fake::uint64_block(0)) + fake::progress_packet(3, 24) +
                            fake::data_packet(fake::uint64_block(3)) + fake::data_packet(fake::uint64_block(5)) +
                            fake::profile_info_packet(8) + fake::end_of_stream_packet();
  for (std::size_t at = 0; at <= reply.size(); ++at) {
    Conversation c({}, "fake:9000");
    ScriptedDriver driver(c, cut(reply, at), false);
    BufferedInput input;
    QueryOptions options;
    std::uint64_t reported = 0;
    options.on_progress = [&](const QueryProgress& increment, const QueryProgress&) {
      reported += increment.read_rows;
    };
    Result result;
    QueryOperation op(select_reply(false), input, options, result);
    std::vector<std::size_t> rows;
    driver.on_block = [&] { rows.push_back(op.block().rows()); };
    const Next next = driver.run(op);
    ASSERT_EQ(next.kind, Next::Kind::done) << "cut at " << at;
    EXPECT_EQ(rows, (std::vector<std::size_t>{3, 5})) << "cut at " << at;
    EXPECT_EQ(result.header.column_count(), 1u);
    EXPECT_EQ(result.progress.read_rows, 3u);
    EXPECT_EQ(reported, 3u);
    ASSERT_TRUE(result.profile.has_value());
    EXPECT_TRUE(driver.written().empty());
  }
}

// A server Exception ends the select with Error(server); a Cancel drain skips what comes and ends
// at the Exception or EndOfStream, writing only the Cancel.
TEST(SansioQuery, ExceptionFailsTheSelectAndDrainSkipsToTheEnd) {
  {
    Conversation c({}, "fake:9000");
    ScriptedDriver driver(
        c, {fake::data_packet(fake::uint64_block(0)) + fake::exception_packet(60, "DB::Exception", "no table")}, false);
    BufferedInput input;
    const QueryOptions options;
    Result result;
    QueryOperation op(select_reply(false), input, options, result);
    const Next next = driver.run(op);
    ASSERT_EQ(next.kind, Next::Kind::failed);
    EXPECT_TRUE(op.server_exception());
    const Error e = test::thrown_error([&] { std::rethrow_exception(next.error); });
    EXPECT_EQ(e.kind(), ErrorKind::server);
    EXPECT_EQ(e.server_code(), 60);
  }
  for (const bool with_exception : {false, true}) {
    Conversation c({}, "fake:9000");
    const std::string end =
        with_exception ? fake::exception_packet(394, "DB::Exception", "cancelled") : fake::end_of_stream_packet();
    ScriptedDriver driver(c, bytewise(fake::data_packet(fake::uint64_block(100)) + fake::progress_packet(1, 8) + end),
                          true);
    BufferedInput input;
    const QueryOptions options;
    Result result;
    QueryReply r = select_reply(false);
    r.mode = QueryReply::Mode::drain;
    QueryOperation op(std::move(r), input, options, result);
    const Next next = driver.run(op);
    ASSERT_EQ(next.kind, Next::Kind::done);
    EXPECT_EQ(driver.blocks(), 0u);
    EXPECT_EQ(op.drained_exception().has_value(), with_exception);
    EXPECT_EQ(hex(driver.written()), hex("\x03"));  // Cancel
  }
}

// A Data packet of 16 MiB of short strings, plain or LZ4-framed.
std::string string_heavy_packet(bool compressed) {
  auto column = column_cast<ColumnString>(make_column(parse_type("String")));
  constexpr std::size_t k_rows = std::size_t{1} << 20;  // 16 bytes each with the length: 16 MiB
  for (std::size_t i = 0; i < k_rows; ++i) {
    char value[16];
    std::snprintf(value, sizeof value, "%015zu", i);
    column->append(std::string_view(value, 15));
  }
  Block block;
  block.append("s", column);
  return fake::data_packet(block, compressed, Compression::lz4);
}

// The slow-link case of operation.h: a 16 MiB String-heavy Data packet arriving in 16 KiB reads,
// each of which drains the socket. Re-parsing is bounded: the bytes offered to all attempts stay
// within a small multiple of the packet (one attempt per read would offer ~8 GiB here).
TEST(SansioQuery, LargePacketInDrainedReadsIsParsedLinearly) {
  for (const bool compressed : {false, true}) {
    const std::string packet = string_heavy_packet(compressed);
    Conversation c({}, "fake:9000");
    ScriptedDriver driver(c, pieces(packet + fake::end_of_stream_packet(), std::size_t{16} << 10), false);
    driver.idle_when_dry = true;  // the server waits after its last packet; the driver's timer says so
    BufferedInput input;
    const QueryOptions options;
    Result result;
    QueryOperation op(select_reply(compressed), input, options, result);
    std::size_t rows = 0;
    driver.on_block = [&] { rows += op.block().rows(); };
    ASSERT_EQ(driver.run(op).kind, Next::Kind::done) << "compressed " << compressed;
    EXPECT_EQ(rows, std::size_t{1} << 20);
    EXPECT_LE(input.decoder().parsed(), 4 * packet.size()) << "compressed " << compressed;
    EXPECT_GE(input.decoder().attempts(), 2u);
  }
}

// Liveness: a whole large packet followed by silence (the server is computing the next block, or
// waiting) is delivered once the driver reports the transport idle; no byte beyond it is needed.
TEST(SansioQuery, CompletePacketFollowedBySilenceIsDelivered) {
  const std::string packet = fake::data_packet(fake::uint64_block(100000));  // ~800 KB
  for (const std::size_t piece : {std::size_t{16} << 10, std::size_t{300} << 10}) {
    Conversation c({}, "fake:9000");
    ScriptedDriver driver(c, pieces(packet, piece), false);
    driver.idle_when_dry = true;
    driver.stop_when_dry = true;
    BufferedInput input;
    const QueryOptions options;
    Result result;
    QueryOperation op(select_reply(false), input, options, result);
    std::size_t rows = 0;
    driver.on_block = [&] { rows += op.block().rows(); };
    const Next next = driver.run(op);
    EXPECT_EQ(next.kind, Next::Kind::read);  // waiting for the next packet, which never comes
    EXPECT_EQ(rows, 100000u) << "pieces of " << piece;
    EXPECT_LE(driver.idles(), 2u);
    EXPECT_EQ(c.in.size(), 0u);
  }
}

}  // namespace
}  // namespace chconn::detail::sansio
