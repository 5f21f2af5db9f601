// The packets of the ClickHouse native protocol: encoders for what the client sends, decoders for
// what the server sends, and the sans-I/O pieces of the handshake.
//
// Every optional field is gated on the negotiated revision R (protocol.h), exactly as the server
// gates it (docs/protocol.md). Encoders append to a Writer; decoders read from a
// Reader and throw chconn::Error(protocol) on anything malformed or truncated — after which the
// connection must be dropped, because the stream position is lost. A server Exception packet is
// *decoded*, not thrown: the caller decides (read_hello_reply throws it, the query loop ends the
// query with it).
//
// Typical client flow:
//   write_hello(out, hello);                              // send
//   auto server = read_hello_reply(in, hello.revision);   // Hello, or throws the server's Exception
//   const auto r = negotiate_revision(hello.revision, server.revision);
//   if (addendum_required(r)) write_addendum(out, {}, r);
//   write_query(out, query, r);
//   write_end_of_data(out, r, query.compression ? &encoder : nullptr);   // no external tables
//   for (;;) {
//     auto p = read_server_packet(in, {.revision = r, .compression = query.compression});
//     if (auto* data = p.get_if<DataPacket>()) { ... }                   // until EndOfStream/Exception
//   }
//
// Thread safety: free functions over caller-owned values; the packet structs are plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/core/settings.h"
#include "chconn/wire/block.h"
#include "chconn/wire/detail/compression.h"
#include "chconn/wire/detail/protocol.h"
#include "chconn/wire/io.h"
#include "chconn/wire/progress.h"

namespace chconn::wire {

// ===== Client → server ===========================================================================

// Client Hello (docs/protocol.md, "Client Hello"). user must be non-empty; database, user and
// password must not contain ASCII control characters (the server refuses them).
struct ClientHello {
  std::string client_name = "chconn";
  std::uint64_t version_major = 0;
  std::uint64_t version_minor = 1;
  std::uint64_t revision = k_client_revision;  // advertised; R = min(this, server's)
  std::string database{};                      // empty: the user's default database
  std::string user = "default";
  std::string password{};
};

// Appends the Hello packet. Throws Error(usage) on an empty user or control characters (the message
// never contains the password).
void write_hello(Writer& out, const ClientHello& hello);

// The addendum the client sends right after reading the server's Hello, only when R >= 54458
// (docs/protocol.md, "Addendum"). It has no packet code; forgetting it desynchronises the next
// packet.
struct ClientAddendum {
  std::string quota_key{};
  std::string chunked_send{k_not_chunked};               // R >= 54470
  std::string chunked_recv{k_not_chunked};               // R >= 54470
  std::uint64_t parallel_replicas_protocol_version = 0;  // R >= 54471
};

constexpr bool addendum_required(std::uint64_t revision) noexcept {
  return revision >= k_min_protocol_version_with_addendum;
}

// Appends the addendum's fields for revision R (nothing at all when !addendum_required(R)).
void write_addendum(Writer& out, const ClientAddendum& addendum, std::uint64_t revision);

// OpenTelemetry trace context propagated in ClientInfo (R >= 54442).
struct TraceContext {
  // The trace id as two halves: `high` holds the first 16 hex digits of the canonical form.
  std::uint64_t trace_id_high = 0;
  std::uint64_t trace_id_low = 0;
  std::uint64_t span_id = 0;
  std::string tracestate{};
  std::uint8_t trace_flags = 0;
};

// ClientInfo sent inside a Query (docs/protocol.md, "ClientInfo"). The interface is always TCP.
struct ClientInfo {
  QueryKind query_kind = QueryKind::initial;  // none: only this byte is sent
  std::string initial_user{};
  std::string initial_query_id{};
  // "ip:port". Must not be empty: 18.16 rejects "" with an assertion, modern servers refuse it.
  std::string initial_address = "0.0.0.0:0";
  std::uint64_t initial_query_start_time_us = 0;  // R >= 54449; 0 is accepted
  std::string os_user{};
  std::string client_hostname{};
  std::string client_name = "chconn";
  std::uint64_t version_major = 0;
  std::uint64_t version_minor = 1;
  std::uint64_t version_patch = 0;                      // R >= 54401
  std::uint64_t protocol_revision = k_client_revision;  // the advertised revision, not R
  std::string quota_key{};                              // R >= 54060
  std::uint64_t distributed_depth = 0;                  // R >= 54448
  std::optional<TraceContext> trace{};                  // R >= 54442; absent: flag 0
  std::uint64_t collaborate_with_initiator = 0;         // R >= 54453
  std::uint64_t count_participating_replicas = 0;       // R >= 54453
  std::uint64_t number_of_current_replica = 0;          // R >= 54453
  std::uint64_t script_query_number = 0;                // R >= 54475
  std::uint64_t script_line_number = 0;                 // R >= 54475
  std::string jwt{};                                    // R >= 54476; empty: flag 0
  std::string client_agent{};                           // R >= 54485
  // R >= 54486: a query the server runs for itself (its own sub-queries); always false from a
  // client (NativeProtocol.md, INTERNAL_QUERY_FLAG: "external clients send 0").
  bool is_internal = false;
};

// Appends ClientInfo as the server at revision R reads it.
void write_client_info(Writer& out, const ClientInfo& info, std::uint64_t revision);

// A query parameter ({name:Type} in the query text). `value` is the parameter's text in the form the
// server parses for its type (the TSV-escaped text form: `\N` for NULL, escaped tabs...); the wire
// layer wraps it in a quoted SQL string literal.
struct QueryParameter {
  std::string name{};
  std::string value{};

  friend bool operator==(const QueryParameter&, const QueryParameter&) = default;
};

// Query packet (docs/protocol.md, "Query").
struct Query {
  std::string query_id{};  // empty: the server generates one
  ClientInfo client_info{};
  Settings settings{};
  std::string external_roles{};           // R >= 54472; empty for ordinary clients
  std::string interserver_secret_hash{};  // R >= 54441; empty for ordinary clients
  QueryStage stage = QueryStage::complete;
  bool compression = false;  // Data blocks of this query are compressed, both directions
  std::string text{};
  std::vector<QueryParameter> parameters{};  // R >= 54459
};

// Appends the Query packet for revision R. Throws Error(usage) when a setting cannot be encoded for
// R (see write_settings), or when parameters are given and R < 54459 (such a server has no query
// parameters; sending the query without them could only fail later, less clearly).
void write_query(Writer& out, const Query& query, std::uint64_t revision);

// Settings in the form the server at revision R reads: strings with flags (R >= 54429; the
// IMPORTANT flag from Setting::important) or the old typed binary form (R < 54429), which needs the
// type of every setting — chconn knows the settings of ClickHouse 18.16 and refuses others. Throws
// Error(usage) naming the setting on an invalid name, a value that does not fit the setting's type,
// or an unknown setting for an old server. Terminated by the empty name.
void write_settings(Writer& out, const Settings& settings, std::uint64_t revision);

// Query parameters in the strings-with-flags form with the CUSTOM flag, terminated by the empty
// name. Throws Error(usage) on an invalid parameter name.
void write_parameters(Writer& out, std::span<const QueryParameter> parameters);

// Cancel (only allowed while a query runs) and Ping (only while idle): just the packet code.
void write_cancel(Writer& out);
void write_ping(Writer& out);

struct TableName {
  std::string database{};
  std::string table{};

  friend bool operator==(const TableName&, const TableName&) = default;
};

// TablesStatusRequest (docs/protocol.md, "Server packets"). Throws Error(usage) when R < 54226.
void write_tables_status_request(Writer& out, std::span<const TableName> tables, std::uint64_t revision);

// Data packet (docs/protocol.md, "Data blocks"): code, table name (plain; empty for the query's
// own data, the external table's name otherwise) and the block. With the query's compression flag
// on, pass the connection's FrameEncoder: the block's bytes — only they — are then written as frames
// of its method (LZ4, ZSTD, or 0x02 uncompressed frames for Compression::none). With the flag off
// pass null. `scratch`, if given, holds the block's bytes before framing and is reused across calls
// (no allocation per block once warm); null uses a temporary. Throws Error(usage) if the block's
// columns differ in length; `out` is then left unchanged.
void write_data(Writer& out, std::string_view table, const Block& block, std::uint64_t revision,
                FrameEncoder* compression, Writer* scratch = nullptr);

// The empty block (no columns, no rows, empty table name) that ends external tables after a Query
// and ends an INSERT's data. It must be compressed like any block when the flag is on: [live] an
// uncompressed one makes a server that expects frames wait forever.
void write_end_of_data(Writer& out, std::uint64_t revision, FrameEncoder* compression, Writer* scratch = nullptr);

// ===== Server → client ===========================================================================

struct PasswordComplexityRule {
  std::string pattern{};
  std::string message{};

  friend bool operator==(const PasswordComplexityRule&, const PasswordComplexityRule&) = default;
};

// The server's Hello (docs/protocol.md, "Server Hello"). Fields beyond the first four are present
// only at the revisions noted; absent ones keep these defaults (version_patch defaults to the
// revision, as the server's own client does).
struct ServerHello {
  std::string name{};
  std::uint64_t version_major = 0;
  std::uint64_t version_minor = 0;
  std::uint64_t revision = 0;                            // the server's own revision
  std::uint64_t parallel_replicas_protocol_version = 0;  // R >= 54471
  std::string timezone{};                                // R >= 54058
  std::string display_name{};                            // R >= 54372
  std::uint64_t version_patch = 0;                       // R >= 54401, else = revision
  std::string chunked_send{};                            // R >= 54470
  std::string chunked_recv{};                            // R >= 54470
  std::vector<PasswordComplexityRule> password_rules{};  // R >= 54461
  std::optional<std::uint64_t> nonce{};                  // R >= 54462
  Settings settings{};                                   // R >= 54474
  std::uint64_t query_plan_serialization_version = 0;    // R >= 54477
  std::uint64_t cluster_function_protocol_version = 0;   // R >= 54479
};

// Cumulative counters come as increments: add each Progress packet to a running total.
// An Exception packet, as the chconn::Error it becomes: kind server, the server's code, name,
// message and stack trace, and the nested exceptions of the chain as its cause().
struct ServerException {
  Error error;
};

struct Pong {
  friend bool operator==(const Pong&, const Pong&) = default;
};
struct EndOfStream {
  friend bool operator==(const EndOfStream&, const EndOfStream&) = default;
};

// TableColumns (R >= 54410): a textual description of the columns and their defaults.
struct TableColumns {
  std::string table{};
  std::string description{};
};

struct TimezoneUpdate {
  std::string timezone{};
};

struct TableStatus {
  TableName name{};
  bool is_replicated = false;
  std::uint64_t absolute_delay = 0;  // replicated only
  bool is_readonly = false;          // replicated only, R >= 54467

  friend bool operator==(const TableStatus&, const TableStatus&) = default;
};

// Missing tables are silently omitted by the server.
struct TablesStatusResponse {
  std::vector<TableStatus> tables{};
};

// PartUUIDs is obsolete; its UUIDs are skipped, only their number is kept.
struct PartUUIDs {
  std::uint64_t count = 0;
};

// Data, Totals, Extremes, Log and ProfileEvents: a table name and a block (the packet code tells
// them apart). An empty block (no columns) after a query's data marks the end of the data.
struct DataPacket {
  std::string table{};
  Block block{};
};

// What read_server_packet() needs to know besides the bytes.
struct PacketContext {
  // The negotiated revision R. Before the handshake has completed (a Hello is expected), the
  // revision the client advertised.
  std::uint64_t revision = k_client_revision;
  // The current query's compression flag: Data/Totals/Extremes blocks are then compressed.
  bool compression = false;
  // Optional: the connection's frame decoder, constructed over the same Reader the packets are read
  // from and kept for the connection's life, so its buffers are allocated once. Null: a temporary
  // one per compressed block.
  CompressedSource* frames = nullptr;
};

// Reads a packet code and checks that it is one chconn can decode. Any other code (including
// server-to-server packets) → Error(protocol) "unknown packet code N": the connection must drop.
ServerPacketCode read_server_packet_code(Reader& in);

// The server's Hello body (after the code), gated on min(client_revision, the revision it carries).
ServerHello read_server_hello(Reader& in, std::uint64_t client_revision);

// The Exception body (after the code). The chain is followed to its end; more than
// in.limits().max_exception_depth exceptions → Error(protocol). The text kept is bounded
// (DecodeLimits::max_exception_message_bytes, max_exception_stack_trace_bytes and, for the whole
// chain, max_exception_chain_bytes; names are cut at 256 bytes): a longer text is skipped past the
// limit as it arrives, never stored, and what is kept ends with a note such as
// " [... truncated by chconn: 8192 of 104857600 bytes kept (max_exception_message_bytes)]". Codes
// are always kept.
Error read_exception(Reader& in);

Progress read_progress(Reader& in, std::uint64_t revision);
ProfileInfo read_profile_info(Reader& in, std::uint64_t revision);
// TableColumns body; `compressed` (side_packets_compressed()): both strings are inside compression
// frames, read through `frames` (or a temporary decoder when null).
TableColumns read_table_columns(Reader& in, bool compressed = false, CompressedSource* frames = nullptr);
TimezoneUpdate read_timezone_update(Reader& in);
TablesStatusResponse read_tables_status_response(Reader& in, std::uint64_t revision);
PartUUIDs read_part_uuids(Reader& in);

// The body of a block-bearing packet (after the code): the table name, then the block, read
// through a CompressedSource over `in` when `compressed` (`frames` if given: it must read from
// `in`). Data, Totals and Extremes are compressed when the query's compression flag is on; Log and
// ProfileEvents never are. `recycle`: as for read_block().
DataPacket read_data(Reader& in, std::uint64_t revision, bool compressed, CompressedSource* frames = nullptr,
                     Block* recycle = nullptr);

// One decoded server packet: its code and its body.
using ServerPacketBody = std::variant<ServerHello, DataPacket, ServerException, Progress, Pong, EndOfStream,
                                      ProfileInfo, TablesStatusResponse, TableColumns, PartUUIDs, TimezoneUpdate>;

struct ServerPacket {
  ServerPacketCode code = ServerPacketCode::end_of_stream;
  ServerPacketBody body{EndOfStream{}};

  // The body as T, or null if it is another kind: `if (auto* d = p.get_if<DataPacket>()) ...`.
  template <class T>
  T* get_if() noexcept {
    return std::get_if<T>(&body);
  }
  template <class T>
  const T* get_if() const noexcept {
    return std::get_if<T>(&body);
  }
};

// Decodes the body of a packet whose code was read by read_server_packet_code(). The connection
// may read the code under its idle deadline and the body (possibly many network reads) under the
// query's.
ServerPacket read_server_packet_body(Reader& in, ServerPacketCode code, const PacketContext& context);

// read_server_packet_code() then read_server_packet_body().
ServerPacket read_server_packet(Reader& in, const PacketContext& context);

// The handshake reply: a Hello is returned; an Exception (bad password, unknown database...) is
// thrown as the server's Error; any other packet → Error(protocol).
ServerHello read_hello_reply(Reader& in, std::uint64_t client_revision);

}  // namespace chconn::wire
