// The client against a fake server that speaks the current protocol revision (issue 14): the Hello
// of a 26.7 server, the addendum and ClientInfo read at the negotiated revision, and the packets an
// 18.16 server never sends (ProfileEvents, TableColumns, TimezoneUpdate, the newer Progress and
// ProfileInfo fields). The golden bytes are ClickHouse's own: TCPHandler::sendHello
// (src/Server/TCPHandler.cpp), the values of src/Core/ProtocolDefines.h at DBMS_TCP_PROTOCOL_VERSION
// 54492, and docs/en/interfaces/specs/NativeProtocol.md for the fields newer than the handler read.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "chconn/connection/native_connection.h"
#include "chconn/core/error.h"
#include "chconn/wire/columns.h"
#include "chconn/wire/detail/packets.h"
#include "chconn/wire/detail/protocol.h"
#include "chconn/wire/io.h"
#include "support/expect_error.h"
#include "support/fake_server.h"
#include "unit/wire/columns_test_util.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;
using test::FakeScript;
using test::FakeServer;
using test::hex;
namespace fake = test::fake;

// The server Hello of a 26.7 server at revision 54492 to a client that advertised 54492, as
// TCPHandler::sendHello writes it: code, "ClickHouse", 26, 7, 54492 (dc a9 03), parallel-replicas
// protocol version 8, "UTC", "h", patch 3, "notchunked" twice, no password rules, the nonce (UInt64
// LE), an empty settings list (Settings::writeEmpty), query plan serialization version 21 and, at
// 54479, the cluster function protocol version 11.
TEST(ModernServer, HelloIsTheServersLayoutFieldByField) {
  const std::string golden = std::string("\x00\x0a", 2) + "ClickHouse" + std::string("\x1a\x07\xdc\xa9\x03", 5) +
                             "\x08" + "\x03UTC" + "\x01h" + "\x03" + "\x0anotchunked" + "\x0anotchunked" +
                             std::string("\x00", 1) + std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8) +
                             std::string("\x00", 1) + "\x15" + "\x0b";
  EXPECT_EQ(hex(fake::modern_hello(54492, 54492)), hex(golden));
  // A client at 54460 gets none of the fields of 54461 and later, and no parallel-replicas version.
  const std::string at_54460 =
      std::string("\x00\x0a", 2) + "ClickHouse" + std::string("\x1a\x07\xdc\xa9\x03", 5) + "\x03UTC" + "\x01h" + "\x03";
  EXPECT_EQ(hex(fake::modern_hello(54492, 54460)), hex(at_54460));
}

// A whole SELECT against the modern fake: the client advertises k_client_revision, the fake
// negotiates with it and parses the addendum, ClientInfo and Query at that revision, and answers
// with every packet a current server sends for a SELECT.
TEST(ModernServer, SelectAtTheAdvertisedRevision) {
  const std::uint64_t r = wire::k_client_revision;
  FakeServer server(FakeScript()
                        .modern_handshake(fake::k_revision_modern)
                        .read_query()
                        .send(fake::table_columns_packet("t", "columns format version: 1\n1 columns:\n`x` UInt64\n"))
                        .send(fake::data_packet(fake::uint64_block(0), false, Compression::lz4, r))
                        .send(fake::progress_packet(3, 24, 3, r))
                        .send(fake::data_packet(fake::uint64_block(3), false, Compression::lz4, r))
                        .send(fake::profile_events_packet({{"SelectedRows", 3}, {"MemoryTrackerUsage", 4096, 2}}, r))
                        .send(fake::profile_info_packet(3, 1, 24, r))
                        .send(fake::end_of_stream_packet())
                        .read_code(4)
                        .send(fake::pong_packet()));
  auto conn = NativeConnection::connect(server.client_config("chconn-modern"), server.address(), Deadline::after(5s));
  EXPECT_EQ(conn->server_info().revision, fake::k_revision_modern);
  EXPECT_EQ(conn->server_info().timezone, "UTC");
  EXPECT_EQ(conn->server_info().negotiated_revision, wire::k_client_revision);
  const Result result = conn->execute("SELECT x FROM t");
  ASSERT_EQ(result.row_count(), 3u);
  EXPECT_EQ(result.row(2).get<std::uint64_t>("x"), 2u);
  ASSERT_TRUE(result.profile.has_value());
  EXPECT_EQ(result.profile->rows, 3u);
  EXPECT_TRUE(conn->usable());
  conn->ping(Deadline::after(5s));  // the stream is still in step after all of it

  EXPECT_TRUE(server.errors().empty()) << server.errors().front();
  ASSERT_EQ(server.queries().size(), 1u);
  const test::SeenQuery q = server.queries().front();
  EXPECT_EQ(q.revision, r);
  EXPECT_EQ(q.text, "SELECT x FROM t");
  if (r >= wire::k_min_protocol_version_with_chunked_packets) {
    EXPECT_EQ(q.chunked_send, "notchunked");
    EXPECT_EQ(q.chunked_recv, "notchunked");
  }
}

// A SELECT whose Data block has a sparse column, as a current server sends it for a table with
// sparse parts (SerializationSparse.cpp): at R >= 54465 the client decodes it, so the values are
// there.
TEST(ModernServer, SparseColumnInASelect) {
  const std::uint64_t r = wire::k_client_revision;
  ASSERT_GE(r, wire::k_min_revision_with_sparse_serialization);
  std::string block = std::string("\x01\x00\x02\xff\xff\xff\xff", 7);
  if (r >= 54480) block += std::string("\x03\x00", 2);  // BlockInfo field 3
  // 1 column, 4 rows [0, 0, 9, 0]: kind SPARSE, a group of 2 defaults then the value, 1 trailing
  // default with the end flag (1 << 62), then the value 9.
  block += std::string("\x00\x01\x04", 3) + fake::column_header("x", "UInt64") +
           std::string("\x01\x01\x02\x81\x80\x80\x80\x80\x80\x80\x80\x40", 12) +
           std::string("\x09\x00\x00\x00\x00\x00\x00\x00", 8);
  FakeServer server(FakeScript()
                        .modern_handshake(fake::k_revision_modern)
                        .read_query()
                        .send(fake::data_packet_raw(block))
                        .send(fake::end_of_stream_packet()));
  auto conn = NativeConnection::connect(server.client_config("chconn-modern"), server.address(), Deadline::after(5s));
  const Result result = conn->execute("SELECT x FROM sparse_table");
  ASSERT_EQ(result.row_count(), 4u);
  EXPECT_EQ(result.row(0).get<std::uint64_t>("x"), 0u);
  EXPECT_EQ(result.row(2).get<std::uint64_t>("x"), 9u);
  EXPECT_EQ(result.row(3).get<std::uint64_t>("x"), 0u);
  EXPECT_TRUE(conn->usable());
}

// A server that requires chunked framing (proto_caps "chunked") is refused at connect with what to
// change, instead of a desynchronised stream after the addendum.
TEST(ModernServer, StrictChunkedServerIsRefusedAtConnect) {
  std::string hello = fake::modern_hello(fake::k_revision_modern, wire::k_client_revision);
  const std::size_t at = hello.find("notchunked");
  ASSERT_NE(at, std::string::npos);
  hello.replace(at - 1, 11, std::string("\x07", 1) + "chunked");
  FakeServer server(FakeScript().read_hello().send(hello).stay_silent());
  test::expect_error(
      ErrorKind::protocol,
      [&] { NativeConnection::connect(server.client_config("chconn-modern"), server.address(), Deadline::after(5s)); },
      {"chunked packet framing"});
}

// 54479: the Hello ends with the cluster function protocol version (NativeProtocol.md, ServerHello
// row 14, "at the tail of ServerHello"). Without it a client at R >= 54479 leaves a byte unread.
TEST(ModernServer, HelloTailIsTheClusterFunctionProtocolVersion) {
  const std::string hello = fake::modern_hello(54492, 54492);
  wire::MemorySource src(hello);
  wire::Reader in(src);
  const wire::ServerHello h = wire::read_hello_reply(in, 54492);
  EXPECT_EQ(h.query_plan_serialization_version, 21u);
  EXPECT_EQ(h.cluster_function_protocol_version, 11u);
  EXPECT_TRUE(in.at_end());
}

// 54481: with the query's compression on, Log, ProfileEvents and TableColumns bodies are in
// compression frames (PR #82535, NativeProtocol.md "TableColumns": both strings); at 54480 and
// without compression they are plain.
TEST(ModernServer, SidePacketsFollowTheQuerysCompressionFrom54481) {
  const std::vector<fake::ProfileEvent> events = {{"SelectedRows", 3}, {"MemoryTrackerUsage", 4096, 2}};
  const auto read = [](const std::string& bytes, std::uint64_t revision, bool compression) {
    wire::MemorySource src(bytes);
    wire::Reader in(src);
    wire::ServerPacket p = wire::read_server_packet(in, {.revision = revision, .compression = compression});
    EXPECT_TRUE(in.at_end());
    return p;
  };
  const auto pe = read(fake::profile_events_packet(events, 54481, Compression::lz4), 54481, true);
  ASSERT_NE(pe.get_if<wire::DataPacket>(), nullptr);
  const Block& block = pe.get_if<wire::DataPacket>()->block;
  ASSERT_EQ(block.rows(), 2u);
  EXPECT_EQ(block.column_as<ColumnString>("name")[1], "MemoryTrackerUsage");
  EXPECT_EQ(block.column_as<ColumnInt64>("value")[1], 4096);
  const auto tc = read(fake::table_columns_packet("", "columns format version: 1\n", Compression::zstd), 54481, true);
  ASSERT_NE(tc.get_if<wire::TableColumns>(), nullptr);
  EXPECT_EQ(tc.get_if<wire::TableColumns>()->description, "columns format version: 1\n");
  // Plain at 54480 with compression, and at 54481 without.
  EXPECT_EQ(read(fake::profile_events_packet(events, 54480), 54480, true).get_if<wire::DataPacket>()->block.rows(), 2u);
  EXPECT_EQ(read(fake::table_columns_packet("t", "d"), 54481, false).get_if<wire::TableColumns>()->table, "t");
}

// 54492: the String columns of a ProfileEvents block (host_name, name) come as offsets then bytes
// like those of any block (the server writes side blocks with the same NativeWriter and revision).
TEST(ModernServer, ProfileEventsStringsWithASizeStreamAt54492) {
  const std::vector<fake::ProfileEvent> events = {{"SelectedRows", 3}, {"MemoryTrackerUsage", 4096, 2}};
  const std::string packet = fake::profile_events_packet(events, wire::k_min_revision_with_string_size_stream);
  // host_name: offsets 1, 2 (UInt64) then "hh".
  EXPECT_NE(packet.find(std::string("\x01\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0hh", 18)), std::string::npos);
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{5}, SIZE_MAX}) {
    wire::MemorySource src(packet, chunk);
    wire::Reader in(src);
    const wire::ServerPacket p =
        wire::read_server_packet(in, {.revision = wire::k_min_revision_with_string_size_stream, .compression = false});
    EXPECT_TRUE(in.at_end());
    ASSERT_NE(p.get_if<wire::DataPacket>(), nullptr);
    const Block& block = p.get_if<wire::DataPacket>()->block;
    EXPECT_EQ(block.column_as<ColumnString>("name")[0], "SelectedRows");
    EXPECT_EQ(block.column_as<ColumnString>("name")[1], "MemoryTrackerUsage");
    EXPECT_EQ(block.column_as<ColumnInt64>("value")[1], 4096);
  }
}

// 54486: ClientInfo ends with is_internal, 0 from a client (NativeProtocol.md, INTERNAL_QUERY_FLAG;
// confirmed by the server's gtest_distributed_async_insert_header.cpp, EmbeddedClientInfoLayoutIsFrozen:
// client_agent and is_internal are the trailing fields ClientInfo::write adds on the wire).
TEST(ModernServer, ClientInfoEndsWithIsInternalFrom54486) {
  wire::ClientInfo info;
  info.client_agent = "a";
  wire::Writer at_54485, at_54486;
  wire::write_client_info(at_54485, info, 54485);
  wire::write_client_info(at_54486, info, 54486);
  EXPECT_EQ(hex(at_54486.view()), hex(std::string(at_54485.view()) + std::string("\x00", 1)));
  EXPECT_EQ(hex(std::string(at_54485.view()).substr(at_54485.size() - 2)), "01 61");  // client_agent "a"
}

// ProfileEvents reach QueryOptions::on_profile_events, compressed like the data when the query is
// (at R >= 54481) and plain otherwise; an INSERT accepts the Progress and ProfileEvents a server
// sends after the data (54484, async inserts) before EndOfStream.
TEST(ModernServer, ProfileEventsReachTheCallbackAndInsertsTakeTrailingProgress) {
  const std::uint64_t r = wire::k_client_revision;
  const std::optional<Compression> side =
      wire::side_packets_compressed(r, true) ? std::optional<Compression>(Compression::lz4) : std::nullopt;
  FakeServer server(FakeScript()
                        .modern_handshake(fake::k_revision_modern)
                        .read_query()
                        .send(fake::profile_events_packet({{"SelectedRows", 3}}, r, side))
                        .send(fake::data_packet(fake::uint64_block(3), true, Compression::lz4, r))
                        .send(fake::profile_events_packet({{"SelectedBytes", 24}}, r, side))
                        .send(fake::end_of_stream_packet())
                        .read_query()
                        .send(fake::data_packet(fake::uint64_block(0), true, Compression::lz4, r))
                        .read_insert_data()
                        .send(fake::progress_packet(0, 0, 0, r))
                        .send(fake::profile_events_packet({{"InsertedRows", 5}}, r, side))
                        .send(fake::end_of_stream_packet()));
  Config config = server.client_config("chconn-modern");
  config.compression = Compression::lz4;
  auto conn = NativeConnection::connect(config, server.address(), Deadline::after(5s));
  std::vector<std::string> names;
  QueryOptions options;
  options.on_profile_events = [&](const Block& b) {
    for (std::size_t i = 0; i < b.rows(); ++i) names.emplace_back(b.column_as<ColumnString>("name")[i]);
  };
  const Result result = conn->execute("SELECT x FROM t", options);
  EXPECT_EQ(result.row_count(), 3u);
  conn->insert("t", fake::uint64_block(5), options);
  EXPECT_EQ(names, (std::vector<std::string>{"SelectedRows", "SelectedBytes", "InsertedRows"}));
  EXPECT_TRUE(conn->usable());
  EXPECT_TRUE(server.errors().empty()) << server.errors().front();
  EXPECT_EQ(server.data_rows(), 5u);
}

}  // namespace
}  // namespace chconn
