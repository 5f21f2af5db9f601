// A scripted fake ClickHouse server on loopback, for tests of how the client copes with whatever a
// peer sends: truncated packets, lying lengths, silence, resets, a wrong protocol altogether.
//
// A FakeScript is a list of steps run in order against each accepted connection:
//
//   FakeServer server(FakeScript()
//                         .read_hello()             // parse the client's Hello (recorded)
//                         .send_hello()             // the real 18.16.1 Hello (revision 54412)
//                         .read_query()             // the Query and its end-of-external-tables block
//                         .send(fake::exception_packet(60, "DB::Exception", "no such table"))
//                         .stay_silent());          // hold the connection open until the test ends
//   auto conn = NativeConnection::connect(config_for(server), server.address(), deadline);
//
// The reads parse the client's packets with the wire layer (so a step ends exactly when the packet
// does, never after a guessed pause); only read_available() waits for a quiet period. Steps that
// cannot run (the client closed while a read expected bytes, or sent something else) end the
// connection's script and are recorded in errors() — the client under test may legitimately hang
// up early, so tests decide whether that matters.
//
// When a script runs out of steps the server keeps the connection and discards what arrives until
// the client closes it (so a test's next call sees the state the script left, not a surprise
// close). Connections are served one at a time, in the order they are accepted; each gets the whole
// script (or, given several scripts, the next one in turn: see the constructors).
//
// Lifetimes and threads: one thread per FakeServer, started by the constructor. The destructor
// wakes every wait (stay_silent included), joins the thread and closes every socket: nothing
// outlives the object and nothing sleeps in it. The accessors may be called from any thread while
// the server runs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "chconn/core/config.h"
#include "chconn/wire/block.h"

namespace chconn::test {

// What the fake server parsed from a client Hello.
struct SeenHello {
  std::string client_name;
  std::uint64_t version_major = 0;
  std::uint64_t version_minor = 0;
  std::uint64_t revision = 0;
  std::string database;
  std::string user;
  std::string password;
};

// What the fake server parsed from a client Query.
struct SeenQuery {
  std::uint64_t revision = 0;  // the negotiated revision the fake parsed the Query at
  // The addendum sent before it (R >= 54458), when there was one.
  std::string quota_key{};
  std::string chunked_send{};                            // R >= 54470
  std::string chunked_recv{};                            // R >= 54470
  std::uint64_t parallel_replicas_protocol_version = 0;  // R >= 54471
  std::string client_agent{};                            // ClientInfo, R >= 54485
  std::uint8_t is_internal = 0;                          // ClientInfo, R >= 54486
  std::string query_id;
  std::string text;
  bool compression = false;
  std::uint64_t stage = 0;
  std::vector<std::string> settings;  // names only
};

class FakeScript {
 public:
  // Reads exactly n bytes (whatever they are).
  FakeScript& read_bytes(std::size_t n);
  // Reads whatever arrives until nothing more has come for `quiet` (at least one byte first). The
  // one timing-based step: use it only where the client then waits for an answer.
  FakeScript& read_available(std::chrono::milliseconds quiet = std::chrono::milliseconds(100));
  // Reads one client Hello packet (code 0 and its fields) and records it.
  FakeScript& read_hello();
  // Reads the client addendum if the Hello sent decided on one (R >= 54458), then a Query packet and
  // the Data packets after it up to and including the empty block that ends external tables. The
  // query is recorded; its compression flag applies to the Data packets read from then on.
  FakeScript& read_query();
  // Reads client Data packets up to and including an empty block (an INSERT's data).
  FakeScript& read_insert_data();
  // Reads exactly one client Data packet (any block).
  FakeScript& read_data_packet();
  // Reads one packet code and checks it (3 Cancel, 4 Ping...).
  FakeScript& read_code(std::uint64_t code);
  // Sends `bytes`; with chunk > 0, in pieces of `chunk` bytes with `pause` before each piece after
  // the first (a slow peer).
  FakeScript& send(std::string bytes, std::size_t chunk = 0,
                   std::chrono::milliseconds pause = std::chrono::milliseconds(0));
  // Sends `bytes` `times` times, with `pause` before each time after the first (an endless stream).
  FakeScript& send_repeated(std::string bytes, std::size_t times, std::chrono::milliseconds pause);
  // Sends the 18.16.1 Hello of the protocol note (revision 54412).
  FakeScript& send_hello();
  // Sends the Hello of a current server (ClickHouse 26.7, fake::modern_hello) announcing
  // `revision`, laid out for the revision the client advertised in the Hello read before; from then
  // on the session parses the client's packets at R = min(client's, `revision`).
  FakeScript& send_modern_hello(std::uint64_t revision);
  // read_hello() then send_hello().
  FakeScript& handshake();
  // read_hello() then send_modern_hello(revision).
  FakeScript& modern_handshake(std::uint64_t revision);
  // Closes the connection in an orderly way (FIN).
  FakeScript& close();
  // Shuts down the sending side only (the client reads end of stream), then discards what arrives
  // until the client closes.
  FakeScript& half_close();
  // Neither reads nor writes, and keeps the connection open, until the server is destroyed.
  FakeScript& stay_silent();
  // Closes with SO_LINGER 0, so the client sees a reset (RST), not an end of stream.
  FakeScript& reset();

  std::size_t size() const noexcept { return steps_.size(); }

  enum class Op {
    read_bytes,
    read_available,
    read_hello,
    read_query,
    read_insert_data,
    read_data_packet,
    read_code,
    send,
    send_repeated,
    send_modern_hello,
    close,
    half_close,
    stay_silent,
    reset
  };
  struct Step {
    Op op;
    std::string bytes{};
    std::size_t n = 0;  // read_bytes: count; send: chunk; send_repeated: times; read_code: the code
    std::chrono::milliseconds pause{0};
  };
  const std::vector<Step>& steps() const noexcept { return steps_; }

 private:
  FakeScript& add(Step step);
  std::vector<Step> steps_;
};

class FakeServer {
 public:
  // one_at_a_time: a connection is served after the one before it ended (its script done and the
  // client gone); concurrently: each on a thread of its own from its accept on (for pools).
  enum class Serving { one_at_a_time, concurrently };

  explicit FakeServer(FakeScript script);
  // Connection i (from 0) runs scripts[min(i, size - 1)]: for clients that reconnect. Not empty.
  explicit FakeServer(std::vector<FakeScript> scripts, Serving serving = Serving::one_at_a_time);
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  std::string host() const { return "127.0.0.1"; }
  std::uint16_t port() const noexcept { return port_; }
  HostPort address() const { return {host(), port_}; }
  // A client's Config for this server: its address, no compression (the fake reads plain
  // packets), a 5 s connect timeout and `client_name` (which names the test in the server's view).
  // Every other field keeps Config's default; a test sets the timeouts it is about.
  Config client_config(std::string client_name) const {
    Config config;
    config.hosts = {address()};
    config.compression = Compression::none;
    config.timeouts.connect = std::chrono::seconds(5);
    config.client_name = std::move(client_name);
    return config;
  }

  // Connections accepted so far.
  int connections() const;
  // Steps completed on all connections together.
  std::size_t steps_done() const;
  // Steps that could not be run, as "step N (name): what happened", in order.
  std::vector<std::string> errors() const;
  std::vector<SeenHello> hellos() const;
  std::vector<SeenQuery> queries() const;
  // Client Data packets read after queries (external tables, insert blocks and empty end markers).
  std::size_t data_packets() const;
  // Rows in the client Data packets read.
  std::size_t data_rows() const;
  // The first bytes received on the connections (at most 64 KiB in all), as they arrived.
  std::string received() const;

  // Waits until `n` connections have finished their script (including the drain at the end, i.e.
  // the client closed) or `timeout` passes. Returns whether they did. For tests that must know the
  // server saw something before asserting on it; a condition variable, not a sleep.
  bool wait_finished(int n, std::chrono::milliseconds timeout) const;

 private:
  class Session;
  void run();
  void serve(int fd, std::size_t index);
  void record_error(std::string message);
  void record_received(std::string_view bytes);

  std::vector<FakeScript> scripts_;
  Serving serving_ = Serving::one_at_a_time;
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  std::uint16_t port_ = 0;

  mutable std::mutex mutex_;
  mutable std::condition_variable finished_cv_;
  bool stopping_ = false;
  int connections_ = 0;
  int finished_ = 0;
  std::size_t steps_done_ = 0;
  std::vector<std::string> errors_;
  std::vector<SeenHello> hellos_;
  std::vector<SeenQuery> queries_;
  std::size_t data_packets_ = 0;
  std::size_t data_rows_ = 0;
  std::string received_;

  std::thread thread_;
  std::vector<std::thread> sessions_;  // Serving::concurrently: one per connection (the accept thread's alone)
};

// Server packets built with the wire layer's Writer, for scripts. Revision 54412 (the 18.16 server
// the fake pretends to be) unless told otherwise.
namespace fake {

inline constexpr std::uint64_t k_revision_18_16 = 54412;

// The 18.16.1 Hello of docs/protocol.md, "Server Hello", byte for byte.
std::string hello_18_16();

// The current revision (DBMS_TCP_PROTOCOL_VERSION in ClickHouse's src/Core/ProtocolDefines.h).
inline constexpr std::uint64_t k_revision_modern = 54492;
// The Hello of a current server (ClickHouse 26.7.3, time zone "UTC", display name "h", nonce
// 0x0102030405060708, no password rules, no server settings) announcing `server_revision`, with
// every field a client that advertised `client_revision` reads (TCPHandler::sendHello gates each on
// the client's number). Fields, in ClickHouse's order: parallel-replicas protocol version 8
// (54471), time zone, display name, patch (54401), "notchunked" twice (54470), rule count (54461),
// nonce (54462), settings list (54474), query plan serialization version 21 (54477), cluster
// function protocol version 11 (54479).
std::string modern_hello(std::uint64_t server_revision, std::uint64_t client_revision);
// TimezoneUpdate (17): the query's session_timezone.
std::string timezone_update_packet(std::string_view timezone);
// TableColumns (11): table name and column description text; with `compressed`, both inside
// compression frames of that method (what a server at R >= 54481 sends to a compressed query).
std::string table_columns_packet(std::string_view table, std::string_view description,
                                 std::optional<Compression> compressed = std::nullopt);
// ProfileEvents (14) with one block of the server's 6 columns (host_name, current_time, thread_id,
// type, name, value) holding one row per event, at `revision`; with `compressed`, the block in
// compression frames of that method (R >= 54481 and a compressed query).
struct ProfileEvent {
  std::string name;
  std::int64_t value = 0;
  std::int8_t type = 1;  // 1 increment, 2 gauge
};
std::string profile_events_packet(const std::vector<ProfileEvent>& events, std::uint64_t revision,
                                  std::optional<Compression> compressed = std::nullopt);
// A Hello with the given fields, laid out for a client at k_client_revision (the fields after the
// patch as in modern_hello).
std::string hello_packet(std::string_view name, std::uint64_t major, std::uint64_t minor, std::uint64_t revision,
                         std::string_view timezone = "UTC", std::string_view display_name = "fake",
                         std::uint64_t patch = 1);

struct ExceptionFrame {
  std::int32_t code = 0;
  std::string name = "DB::Exception";
  std::string message{};
  std::string stack_trace{};
};
// An Exception packet; several frames make a nested chain (the first is the outermost).
std::string exception_packet(const std::vector<ExceptionFrame>& chain);
std::string exception_packet(std::int32_t code, std::string_view name, std::string_view message);

// Progress and ProfileInfo laid out for negotiated revision `revision` (every field up to it).
std::string progress_packet(std::uint64_t rows, std::uint64_t bytes, std::uint64_t total_rows = 0,
                            std::uint64_t revision = k_revision_18_16);
std::string profile_info_packet(std::uint64_t rows = 0, std::uint64_t blocks = 0, std::uint64_t bytes = 0,
                                std::uint64_t revision = k_revision_18_16);
std::string end_of_stream_packet();
std::string pong_packet();

// A Block's Native bytes (write_block at `revision`).
std::string block_bytes(const Block& block, std::uint64_t revision = k_revision_18_16);
// `bytes` cut into compression frames (FrameEncoder with checksums) of at most `max_frame` bytes.
std::string frames(std::string_view bytes, Compression method = Compression::lz4,
                   std::size_t max_frame = std::size_t{1} << 20);
// A Data packet (code 1): table name, then the block, framed when `compression` is not nullopt —
// pass the query's method (Compression::none gives 0x02 frames).
std::string data_packet(const Block& block, bool compressed = false, Compression method = Compression::lz4,
                        std::uint64_t revision = k_revision_18_16, std::string_view table = "");
// A Data packet whose block body is given raw (already framed if the query is compressed):
// code 1, table name, then `body`. For hand-made, malformed blocks.
std::string data_packet_raw(std::string_view body, std::string_view table = "");

// One compression frame built by hand: checksum (correct, over the method byte to the end of the
// payload as laid out here), method byte, compressed size (9 + payload unless `compressed_size` says
// otherwise: a lying size), uncompressed size, payload.
std::string raw_frame(std::uint8_t method, std::string_view payload, std::uint32_t uncompressed_size,
                      std::optional<std::uint32_t> compressed_size = std::nullopt);

// Hand-made block pieces at revision 54412: BlockInfo (`01 00 02 ff ff ff ff 00`), then the column
// and row counts; then per column its name and type name (then the caller's data bytes).
std::string block_header(std::uint64_t columns, std::uint64_t rows);
std::string column_header(std::string_view name, std::string_view type);
std::string uvarint(std::uint64_t v);
// A String: UVarInt length then bytes.
std::string string(std::string_view s);

// A one-column block "x" of UInt64 values 0..rows-1.
Block uint64_block(std::size_t rows);

}  // namespace fake

}  // namespace chconn::test
