// Block-bearing packets (Data, Totals, Extremes, Log, ProfileEvents): the [live] bytes of
// docs/protocol.md ("Query", "Data blocks" and "Frames"), and round trips through write_data and
// read_server_packet with and without compression.
#include <gtest/gtest.h>

#include <cstring>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/config.h"
#include "chconn/core/error.h"
#include "chconn/wire/block.h"
#include "chconn/wire/columns.h"
#include "chconn/wire/detail/compression.h"
#include "chconn/wire/detail/packets.h"
#include "chconn/wire/detail/protocol.h"
#include "chconn/wire/io.h"
#include "support/expect_error.h"
#include "support/hex.h"

namespace chconn::wire {
namespace {

using Bytes = std::vector<std::uint8_t>;

using test::unhex_bytes;

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes str(std::string_view s) {
  // Sized up front: g++ 12 at -O2 misreports vector::insert of a char range here (-Warray-bounds).
  Bytes out(s.size() + 1);
  out[0] = static_cast<std::uint8_t>(s.size());
  std::memcpy(out.data() + 1, s.data(), s.size());
  return out;
}

Bytes bytes_of(const Writer& w) { return {w.data().begin(), w.data().end()}; }

std::string dump(const Bytes& b) {
  std::string out;
  char buf[4];
  for (const auto x : b) {
    std::snprintf(buf, sizeof buf, "%02x ", x);
    out += buf;
  }
  return out;
}

template <class F>
ErrorKind kind_of_error(F&& f) {
  return test::thrown_error(std::forward<F>(f)).kind();
}

constexpr std::uint64_t k_r1816 = 54412;

// [live] (docs/protocol.md, "Frames"): the server's end-marker Data packet under LZ4.
const Bytes k_lz4_end_marker = unhex_bytes(
    "01 00 a7 83 ac 6c d5 5c 7a 7c b5 ac 46 bd db 86 e2 14 82 14 00 00 00 0a 00 00 00 a0 01 00 02 ff ff ff ff 00 "
    "00 00");
// [live] (docs/protocol.md, "Query"): the uncompressed empty Data block a client sends after a
// Query.
const Bytes k_plain_end_marker = unhex_bytes("02 00 01 00 02 ff ff ff ff 00 00 00");

ServerPacket decode(const Bytes& bytes, PacketContext context, std::size_t chunk = SIZE_MAX) {
  MemorySource src(bytes, chunk);
  Reader in(src);
  ServerPacket p = read_server_packet(in, context);
  EXPECT_TRUE(in.at_end()) << "bytes left after the packet";
  return p;
}

TEST(DataPacket, LiveLz4EndMarkerDecodesToAnEmptyBlock) {
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{5}, SIZE_MAX}) {
    const ServerPacket p = decode(k_lz4_end_marker, {.revision = k_r1816, .compression = true}, chunk);
    EXPECT_EQ(p.code, ServerPacketCode::data);
    const auto* data = p.get_if<DataPacket>();
    ASSERT_NE(data, nullptr);
    EXPECT_EQ(data->table, "");
    EXPECT_TRUE(data->block.empty());
    EXPECT_EQ(data->block.rows(), 0u);
    EXPECT_EQ(data->block.info.bucket_num, -1);
  }
}

TEST(DataPacket, ClientEndMarkerUnderLz4IsTheLiveFrame) {
  // The client's packet differs from the server's only in its code (2 instead of 1).
  FrameEncoder lz4(Compression::lz4);
  Writer w;
  write_end_of_data(w, k_r1816, &lz4);
  Bytes expected = k_lz4_end_marker;
  expected[0] = 0x02;
  EXPECT_EQ(dump(bytes_of(w)), dump(expected));
}

TEST(DataPacket, LivePlainEndMarker) {
  Writer w;
  write_end_of_data(w, k_r1816, nullptr);
  EXPECT_EQ(dump(bytes_of(w)), dump(k_plain_end_marker));

  Bytes server = k_plain_end_marker;
  server[0] = 0x01;
  const ServerPacket p = decode(server, {.revision = k_r1816, .compression = false});
  ASSERT_NE(p.get_if<DataPacket>(), nullptr);
  EXPECT_TRUE(p.get_if<DataPacket>()->block.empty());
}

TEST(DataPacket, Live86ByteSelect) {
  Query q;
  q.client_info.os_user = "osuser";
  q.client_info.client_hostname = "host";
  q.client_info.client_name = "protonotes";
  q.client_info.version_major = 1;
  q.client_info.version_minor = 0;
  q.client_info.protocol_revision = 54460;  // what chconn advertised when the bytes were captured
  q.text = "SELECT 1 AS x, 'ab' AS s";
  Writer w;
  write_query(w, q, k_r1816);
  write_end_of_data(w, k_r1816, nullptr);
  const Bytes expected = cat({unhex_bytes("01 00 01 00 00"), str("0.0.0.0:0"), unhex_bytes("01"), str("osuser"),
                              str("host"), str("protonotes"), unhex_bytes("01 00 bc a9 03 00 00 00 02 00"),
                              str("SELECT 1 AS x, 'ab' AS s"), k_plain_end_marker});
  ASSERT_EQ(expected.size(), 86u);
  EXPECT_EQ(dump(bytes_of(w)), dump(expected));
}

TEST(DataPacket, LiveSelectHeaderAndDataBlocks) {
  const Bytes header =
      cat({unhex_bytes("01 00 01 00 02 ff ff ff ff 00 02 00"), str("x"), str("UInt8"), str("s"), str("String")});
  const Bytes data = cat({unhex_bytes("01 00 01 00 02 ff ff ff ff 00 02 01"), str("x"), str("UInt8"), unhex_bytes("01"),
                          str("s"), str("String"), unhex_bytes("02 61 62")});
  const ServerPacket h = decode(header, {.revision = k_r1816});
  const auto& hb = h.get_if<DataPacket>()->block;
  ASSERT_EQ(hb.column_count(), 2u);
  EXPECT_EQ(hb.rows(), 0u);
  EXPECT_EQ(hb.name(0), "x");
  EXPECT_EQ(hb.name(1), "s");

  const ServerPacket d = decode(data, {.revision = k_r1816});
  const auto& db = d.get_if<DataPacket>()->block;
  ASSERT_EQ(db.rows(), 1u);
  EXPECT_EQ(db.column_as<ColumnUInt8>("x")[0], 1);
  EXPECT_EQ(db.column_as<ColumnString>("s")[0], "ab");
}

Block sample_block(std::size_t rows) {
  auto id = std::make_shared<ColumnUInt64>();
  auto name = std::make_shared<ColumnString>();
  for (std::size_t i = 0; i < rows; ++i) {
    id->append(i * 7919);
    name->append("row " + std::to_string(i) + std::string(i % 13, 'z'));
  }
  Block block;
  block.append("id", id);
  block.append("name", name);
  return block;
}

void expect_same(const Block& a, const Block& b) {
  ASSERT_EQ(a.column_count(), b.column_count());
  ASSERT_EQ(a.rows(), b.rows());
  for (std::size_t c = 0; c < a.column_count(); ++c) EXPECT_EQ(a.name(c), b.name(c));
  const auto& ida = a.column_as<ColumnUInt64>("id");
  const auto& idb = b.column_as<ColumnUInt64>("id");
  const auto& na = a.column_as<ColumnString>("name");
  const auto& nb = b.column_as<ColumnString>("name");
  for (std::size_t r = 0; r < a.rows(); ++r) {
    ASSERT_EQ(ida[r], idb[r]) << r;
    ASSERT_EQ(na[r], nb[r]) << r;
  }
}

// Writes a Data packet as a client and reads it back as if the server had sent it (code 1).
DataPacket round_trip(const Block& block, std::uint64_t revision, FrameEncoder* encoder, std::string_view table,
                      std::size_t chunk = SIZE_MAX) {
  Writer w;
  write_data(w, table, block, revision, encoder);
  Bytes bytes = bytes_of(w);
  EXPECT_EQ(bytes[0], 0x02);
  bytes[0] = 0x01;
  ServerPacket p = decode(bytes, {.revision = revision, .compression = encoder != nullptr}, chunk);
  EXPECT_EQ(p.code, ServerPacketCode::data);
  return std::move(*p.get_if<DataPacket>());
}

TEST(DataPacket, RoundTripWithAndWithoutCompression) {
  const Block block = sample_block(1000);
  for (const std::uint64_t r : {k_r1816, k_client_revision}) {
    expect_same(round_trip(block, r, nullptr, "").block, block);
    for (const auto method : {Compression::none, Compression::lz4, Compression::zstd}) {
      FrameEncoder encoder(method);
      const DataPacket p = round_trip(block, r, &encoder, "ext");
      EXPECT_EQ(p.table, "ext");
      expect_same(p.block, block);
    }
  }
}

TEST(DataPacket, CompressedBlockSpanningManyFrames) {
  const Block block = sample_block(5000);
  for (const auto method : {Compression::lz4, Compression::zstd}) {
    // Tiny frames put frame boundaries inside every value; chunked input splits them across reads.
    FrameEncoder encoder(method, {.max_frame = 7});
    expect_same(round_trip(block, k_client_revision, &encoder, "", 4096).block, block);
  }
  // A block above 1 MiB is cut into several frames of the default size.
  const Block big = sample_block(100000);
  FrameEncoder lz4(Compression::lz4);
  Writer plain;
  write_block(plain, big, k_client_revision);
  ASSERT_GT(plain.size(), k_default_max_frame_bytes);
  expect_same(round_trip(big, k_client_revision, &lz4, "").block, big);
}

TEST(DataPacket, CodeAndTableNameStayPlainUnderCompression) {
  FrameEncoder zstd(Compression::zstd);
  Writer w;
  write_data(w, "ext", sample_block(3), k_r1816, &zstd);
  const Bytes b = bytes_of(w);
  ASSERT_GT(b.size(), 5u + k_frame_header_bytes);
  EXPECT_EQ(dump(Bytes(b.begin(), b.begin() + 5)), dump(cat({unhex_bytes("02"), str("ext")})));
  EXPECT_EQ(b[5 + k_frame_checksum_bytes], k_method_zstd);
}

TEST(DataPacket, TotalsAndExtremesAreCompressedLogAndProfileEventsNotBefore54481) {
  const Block block = sample_block(10);
  Writer plain_block;
  write_block(plain_block, block, k_client_revision);
  ASSERT_GE(k_client_revision, 54480u);  // the same block layout at both revisions below
  Writer framed_block;
  FrameEncoder lz4(Compression::lz4);
  lz4.encode(framed_block, plain_block.data());

  for (const auto code : {ServerPacketCode::totals, ServerPacketCode::extremes}) {
    const Bytes packet = cat({Bytes{static_cast<std::uint8_t>(code)}, str(""), bytes_of(framed_block)});
    const ServerPacket p = decode(packet, {.revision = k_client_revision, .compression = true});
    EXPECT_EQ(p.code, code);
    expect_same(p.get_if<DataPacket>()->block, block);
  }
  // Log and ProfileEvents stay plain below 54481 (from 54481 they follow the query's compression:
  // ModernServer.SidePacketsFollowTheQuerysCompressionFrom54481).
  constexpr std::uint64_t k_before_compressed_side_packets = 54480;
  for (const auto code : {ServerPacketCode::log, ServerPacketCode::profile_events}) {
    const Bytes packet = cat({Bytes{static_cast<std::uint8_t>(code)}, str(""), bytes_of(plain_block)});
    const ServerPacket p = decode(packet, {.revision = k_before_compressed_side_packets, .compression = true});
    EXPECT_EQ(p.code, code);
    expect_same(p.get_if<DataPacket>()->block, block);
  }
}

TEST(ServerPacketStream, SelectFlowUnderCompression) {
  // Data header → Data → ProfileInfo → Progress → empty Data → EndOfStream, as 18.16 sends a
  // SELECT (docs/protocol.md, "Query flows"), with LZ4 blocks between plain packets.
  FrameEncoder lz4(Compression::lz4);
  Writer stream;
  Writer scratch;  // reused for every block's bytes before framing
  const auto server_data = [&](const Block& b) {
    Writer tmp;
    write_data(tmp, "", b, k_r1816, &lz4, &scratch);
    Bytes bytes = bytes_of(tmp);
    bytes[0] = 0x01;
    stream.write(bytes.data(), bytes.size());
  };
  Block header = sample_block(0);
  server_data(header);
  server_data(sample_block(50));
  stream.write(unhex_bytes("06 01 01 1c 00 00 01").data(), 7);
  stream.write(unhex_bytes("03 32 80 10 00").data(), 5);
  server_data(Block{});
  stream.u8(0x05);

  const Bytes bytes = bytes_of(stream);
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{64}, SIZE_MAX}) {
    for (const bool reuse_frames : {false, true}) {
      MemorySource src(bytes, chunk);
      Reader in(src);
      CompressedSource frames(in);  // the connection's long-lived decoder, when reused
      const PacketContext ctx{.revision = k_r1816, .compression = true, .frames = reuse_frames ? &frames : nullptr};
      std::vector<ServerPacketCode> codes;
      Progress progress;
      std::size_t rows = 0;
      for (;;) {
        ServerPacket p = read_server_packet(in, ctx);
        codes.push_back(p.code);
        if (auto* d = p.get_if<DataPacket>()) rows += d->block.rows();
        if (auto* pr = p.get_if<Progress>()) progress += *pr;
        if (p.code == ServerPacketCode::end_of_stream) break;
      }
      EXPECT_EQ(codes, (std::vector<ServerPacketCode>{ServerPacketCode::data, ServerPacketCode::data,
                                                      ServerPacketCode::profile_info, ServerPacketCode::progress,
                                                      ServerPacketCode::data, ServerPacketCode::end_of_stream}));
      EXPECT_EQ(rows, 50u);
      EXPECT_EQ(progress.read_rows, 50u);
      EXPECT_EQ(progress.read_bytes, 2048u);
      EXPECT_TRUE(in.at_end());
      EXPECT_EQ(frames.frames(), reuse_frames ? 3u : 0u);
    }
  }
}

TEST(ServerPacketStream, ExceptionAndControlPacketsThroughTheEntryPoint) {
  const Bytes bytes = cat({unhex_bytes("02 3c 00 00 00"), str("DB::Exception"), str("no table"), str(""),
                           unhex_bytes("00"), unhex_bytes("04"), unhex_bytes("0b"), str(""), str("cols"),
                           unhex_bytes("11"), str("UTC"), unhex_bytes("09 00")});
  MemorySource src(bytes);
  Reader in(src);
  const PacketContext ctx{.revision = 54464};
  ServerPacket e = read_server_packet(in, ctx);
  ASSERT_NE(e.get_if<ServerException>(), nullptr);
  EXPECT_EQ(e.get_if<ServerException>()->error.server_code(), 60);
  EXPECT_NE(read_server_packet(in, ctx).get_if<Pong>(), nullptr);
  EXPECT_EQ(read_server_packet(in, ctx).get_if<TableColumns>()->description, "cols");
  EXPECT_EQ(read_server_packet(in, ctx).get_if<TimezoneUpdate>()->timezone, "UTC");
  EXPECT_TRUE(read_server_packet(in, ctx).get_if<TablesStatusResponse>()->tables.empty());
  EXPECT_TRUE(in.at_end());

  const Bytes hello = cat({unhex_bytes("00"), str("ClickHouse"), unhex_bytes("12 10 8c a9 03"), str("Etc/UTC"),
                           str("vm"), unhex_bytes("01")});
  const ServerPacket h = decode(hello, {.revision = k_client_revision});
  EXPECT_EQ(h.get_if<ServerHello>()->display_name, "vm");

  const Bytes read_task_request = unhex_bytes("13");
  MemorySource bad(read_task_request);
  Reader bad_in(bad);
  EXPECT_EQ(kind_of_error([&] { read_server_packet(bad_in, ctx); }), ErrorKind::protocol);
}

TEST(DataPacket, TruncatedCompressedPacketAtEveryByte) {
  FrameEncoder lz4(Compression::lz4, {.max_frame = 64});
  Writer w;
  write_data(w, "", sample_block(20), k_client_revision, &lz4);
  Bytes bytes = bytes_of(w);
  bytes[0] = 0x01;
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    const Bytes prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    MemorySource src(prefix, 7);
    Reader in(src);
    EXPECT_EQ(kind_of_error([&] { read_server_packet(in, {.revision = k_client_revision, .compression = true}); }),
              ErrorKind::protocol)
        << "cut at " << cut;
  }
}

TEST(DataPacket, CorruptedFrameIsAProtocolError) {
  Bytes bytes = k_lz4_end_marker;
  bytes.back() ^= 0x01;  // breaks the checksum
  MemorySource src(bytes);
  Reader in(src);
  EXPECT_EQ(kind_of_error([&] { read_server_packet(in, {.revision = k_r1816, .compression = true}); }),
            ErrorKind::protocol);
}

TEST(DataPacket, InconsistentBlockLeavesTheBufferUnchanged) {
  Block block = sample_block(3);
  block.column_as<ColumnUInt64>("id").append(99);  // one column now longer than the other
  Writer w;
  w.u8(0x7e);
  FrameEncoder lz4(Compression::lz4);
  EXPECT_EQ(kind_of_error([&] { write_data(w, "", block, k_client_revision, nullptr); }), ErrorKind::usage);
  EXPECT_EQ(kind_of_error([&] { write_data(w, "", block, k_client_revision, &lz4); }), ErrorKind::usage);
  EXPECT_EQ(w.size(), 1u);
}

}  // namespace
}  // namespace chconn::wire
