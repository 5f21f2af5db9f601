// What the client does with bad input on the trust boundary: every row of the table below is one
// thing a peer (a scripted fake server on loopback, tests/support/fake_server.h) or a user can send,
// and the exact ErrorKind it must produce. For every peer row the test also checks that
//   - the call returned within its deadline (measured; only generous upper bounds are asserted),
//   - memory stayed bounded: the peak RSS grew by less than k_memory_bound during the call and no
//     single allocation was larger than that (a length of 2^60 must not be believed); the peak
//     RSS is not asserted under ThreadSanitizer, whose shadow memory it would count,
//   - the connection is unusable afterwards when the stream is in an unknown state, and usable after
//     a clean server Exception,
//   - no descriptor leaked (the /proc/self/fd count is back where it was).
// Each row prints one "[bad-input]" line with its timing and memory figures.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <new>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "chconn/connection/native_connection.h"
#include "chconn/core/config.h"
#include "chconn/core/error.h"
#include "chconn/factory/factory.h"
#include "chconn/format/text.h"
#include "chconn/net/tcp.h"
#include "chconn/wire/columns.h"
#include "chconn/wire/detail/compression.h"
#include "support/expect_error.h"
#include "support/fake_server.h"
#include "support/net_loopback.h"
#include "support/process_probes.h"

// ----- Allocation tracking -----------------------------------------------------------------------
// The largest single allocation made while a row runs: a decoder that believed a lying length
// would ask for it up front, even if the pages were never touched (which RSS alone would miss).
namespace {

using chconn::test::expect_error;
std::atomic<bool> g_track_allocations{false};
std::atomic<std::size_t> g_largest_allocation{0};

void note_allocation(std::size_t n) noexcept {
  if (!g_track_allocations.load(std::memory_order_relaxed)) return;
  std::size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
  while (n > seen && !g_largest_allocation.compare_exchange_weak(seen, n, std::memory_order_relaxed)) {
  }
}

void* checked_malloc(std::size_t n) {
  note_allocation(n);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return checked_malloc(n); }
void* operator new[](std::size_t n) { return checked_malloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace chconn {
namespace {

using namespace std::chrono_literals;
using test::FakeScript;
using test::FakeServer;
using test::open_fds;
using test::rss_bytes;
namespace fake = test::fake;
using Steady = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

constexpr std::size_t k_memory_bound = std::size_t{64} << 20;
// Added to a call's deadline (and the cancel drain) before an overshoot counts as a failure. It is
// generous on purpose: the machine is shared, and timings are never asserted tightly.
constexpr Ms k_slack = 3s;

// ----- Process probes ----------------------------------------------------------------------------

// Peak RSS growth and the largest allocation over a scope. The peak is reset through
// /proc/self/clear_refs (Linux >= 4.0); where that is refused the RSS at the end is used instead.
class MemoryProbe {
 public:
  MemoryProbe() {
    peak_reset_ = test::reset_peak_rss();
    start_ = rss_bytes();
    g_largest_allocation.store(0);
    g_track_allocations.store(true);
  }
  ~MemoryProbe() { g_track_allocations.store(false); }
  MemoryProbe(const MemoryProbe&) = delete;
  MemoryProbe& operator=(const MemoryProbe&) = delete;

  // Growth of the peak RSS since construction.
  std::size_t growth() const {
    const std::size_t end = peak_reset_ ? test::peak_rss_bytes() : rss_bytes();
    return end > start_ ? end - start_ : 0;
  }
  std::size_t largest_allocation() const { return g_largest_allocation.load(); }

 private:
  bool peak_reset_ = false;
  std::size_t start_ = 0;
};

std::string mib(std::size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return text;
}

// ----- The table ---------------------------------------------------------------------------------

enum class Action { connect, select, stream, insert, ping };

struct Row {
  std::string name;
  std::function<FakeScript()> script;
  Action action = Action::select;
  ErrorKind kind = ErrorKind::protocol;
  std::int32_t server_code = 0;
  // A part of the message that must be there (case-sensitive).
  std::string mentions{};
  std::function<void(Config&)> tweak{};
  // More checks of the error, when `mentions` is not enough.
  std::function<void(const Error&)> check{};
  // The largest single allocation allowed during the call.
  std::size_t allocation_bound = k_memory_bound;
  // Rows of the UInt64 block an insert row sends.
  std::size_t insert_rows = 100000;
};

// Every row's client: plain TCP, no compression unless the row asks, short timeouts so a row that
// wrongly waits fails quickly.
Config base_config(const FakeServer& server) {
  Config config = server.client_config("chconn-bad-input");
  config.timeouts.query = 5s;
  config.timeouts.receive = 5s;
  config.timeouts.send = 5s;
  config.timeouts.cancel_drain = 300ms;
  return config;
}

// The deadline that governs the row's failing call.
Ms governing_deadline(const Row& row, const Config& config) {
  switch (row.action) {
    case Action::connect: return config.timeouts.connect;
    case Action::ping: return std::min(config.timeouts.query, config.timeouts.receive);  // ping() adds receive
    default: return config.timeouts.query;
  }
}

std::string str(std::initializer_list<unsigned char> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

std::string hello() { return fake::hello_18_16(); }

// A script that handshakes, reads the query and then sends `reply`, then holds the connection.
std::function<FakeScript()> reply_to_query(std::string reply) {
  return [reply] { return FakeScript().handshake().read_query().send(reply).stay_silent(); };
}
// The same, then closes the connection.
std::function<FakeScript()> reply_then_close(std::string reply) {
  return [reply] { return FakeScript().handshake().read_query().send(reply).close(); };
}

// A one-column block header with `rows` rows and the column's header, then `data`, as a Data packet.
std::string one_column(std::uint64_t rows, std::string_view type, std::string_view data = {}) {
  return fake::data_packet_raw(fake::block_header(1, rows) + fake::column_header("c", type) + std::string(data));
}

std::string nested(std::string_view open, int depth, std::string_view inner) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += open;
  s += inner;
  s.append(static_cast<std::size_t>(depth), ')');
  return s;
}

std::string u64_le(std::uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

std::vector<fake::ExceptionFrame> exception_chain(std::size_t n) {
  std::vector<fake::ExceptionFrame> chain(n);
  for (std::size_t i = 0; i < n; ++i) {
    chain[i].code = static_cast<std::int32_t>(1000 + i);
    chain[i].message = "nested exception " + std::to_string(i);
  }
  return chain;
}

// A compressed Data packet with a valid LZ4 frame of a 10-row block.
std::string compressed_block() { return fake::data_packet(fake::uint64_block(10), true, Compression::lz4); }

void compress(Config& c) { c.compression = Compression::lz4; }

constexpr std::size_t k_mib = std::size_t{1} << 20;

// A compressed Data packet of `columns` columns named PREFIX0, PREFIX1... of type `type` and
// `rows` rows, each column's data being `piece` `times` times over. Every piece is framed on its
// own, so a block of many MiB costs the script only the frames of its distinct pieces.
std::string compressed_repeated_block(std::size_t columns, std::size_t rows, std::string_view prefix,
                                      std::string_view type, const std::string& piece, std::size_t times) {
  const std::string piece_frames = fake::frames(piece);
  std::string body = fake::frames(fake::block_header(columns, rows));
  for (std::size_t c = 0; c < columns; ++c) {
    body += fake::frames(fake::column_header(std::string(prefix) + std::to_string(c), type));
    for (std::size_t i = 0; i < times; ++i) body += piece_frames;
  }
  return fake::data_packet_raw(body);
}

// The body of an Exception packet chain (after each code) sent in pieces: the script holds one
// MiB of text however long the messages are. Each exception's message is `message_mib` MiB.
FakeScript send_large_exceptions(FakeScript script, std::size_t count, std::size_t message_mib) {
  const std::string text(k_mib, 'm');
  for (std::size_t i = 0; i < count; ++i) {
    const auto code = static_cast<std::uint32_t>(1000 + i);
    script.send((i == 0 ? fake::uvarint(2) : std::string()) + u64_le(code).substr(0, 4) +
                fake::string("DB::Exception") + fake::uvarint(message_mib * k_mib));
    script.send_repeated(text, message_mib, 0ms);
    script.send(fake::string("stack trace") + (i + 1 < count ? "\1" : std::string(1, '\0')));
  }
  return script;
}

// The server's text kept is bounded: each message and the chain (DecodeLimits), codes kept.
void expect_truncated_chain(const Error& e, std::size_t depth) {
  const DecodeLimits limits;
  std::size_t n = 0, kept = 0;
  for (const Error* x = &e; x != nullptr; x = x->cause(), ++n) {
    EXPECT_EQ(x->server_code(), 1000 + static_cast<std::int32_t>(n));
    EXPECT_LE(x->message().size(), limits.max_exception_message_bytes + 200);
    EXPECT_NE(x->message().find("truncated"), std::string::npos) << x->message().substr(0, 200);
    kept += x->message().size();
  }
  EXPECT_EQ(n, depth);
  EXPECT_LE(kept, limits.max_exception_chain_bytes + depth * 200);
}

std::vector<Row> rows() {
  const std::string garbage = "HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
  const std::string half_hello = hello().substr(0, 10);
  const std::string block_1000 = fake::data_packet(fake::uint64_block(1000));
  std::vector<Row> r;

  // --- The handshake ----------------------------------------------------------------------------
  r.push_back({.name = "garbage_instead_of_hello",
               .script = [=] { return FakeScript().read_hello().send(garbage).stay_silent(); },
               .action = Action::connect,
               .kind = ErrorKind::protocol});
  r.push_back({.name = "tls_record_instead_of_hello",
               .script =
                   [] {
                     return FakeScript().read_hello().send(str({0x16, 0x03, 0x03, 0x00, 0x5a, 0x02})).stay_silent();
                   },
               .action = Action::connect,
               .kind = ErrorKind::protocol});
  r.push_back({.name = "closed_before_hello",
               .script = [] { return FakeScript().read_hello().close(); },
               .action = Action::connect,
               .kind = ErrorKind::network});
  r.push_back({.name = "closed_on_accept",
               .script = [] { return FakeScript().close(); },
               .action = Action::connect,
               .kind = ErrorKind::network});
  r.push_back({.name = "closed_mid_handshake",
               .script = [=] { return FakeScript().read_hello().send(half_hello).close(); },
               .action = Action::connect,
               .kind = ErrorKind::network,
               .mentions = "closed"});
  r.push_back({.name = "reset_mid_handshake",
               .script = [=] { return FakeScript().read_hello().send(half_hello).reset(); },
               .action = Action::connect,
               .kind = ErrorKind::network});
  r.push_back({.name = "half_closed_mid_handshake",
               .script = [=] { return FakeScript().read_hello().send(half_hello).half_close(); },
               .action = Action::connect,
               .kind = ErrorKind::network});
  r.push_back({.name = "hello_string_length_2p60",
               .script =
                   [] {
                     return FakeScript()
                         .read_hello()
                         .send(fake::uvarint(0) + fake::uvarint(1ull << 60) + "ClickHouse")
                         .stay_silent();
                   },
               .action = Action::connect,
               .kind = ErrorKind::protocol,
               .mentions = "exceeds the limit"});
  r.push_back(
      {.name = "hello_varint_11_bytes",
       .script =
           [] { return FakeScript().read_hello().send(fake::uvarint(0) + std::string(11, '\xff')).stay_silent(); },
       .action = Action::connect,
       .kind = ErrorKind::protocol});
  // A length within the limit that is never followed by its bytes: only what arrives may be stored.
  r.push_back({.name = "hello_string_1gib_promised_then_silence",
               .script =
                   [] {
                     return FakeScript()
                         .read_hello()
                         .send(fake::uvarint(0) + fake::uvarint((1ull << 30) - 1) + std::string(100000, 'x'))
                         .stay_silent();
                   },
               .action = Action::connect,
               .kind = ErrorKind::timeout,
               .tweak = [](Config& c) { c.timeouts.connect = 500ms; }});
  r.push_back({.name = "exception_instead_of_hello",
               .script =
                   [] {
                     return FakeScript()
                         .read_hello()
                         .send(fake::exception_packet(516, "DB::Exception", "u: Authentication failed"))
                         .close();
                   },
               .action = Action::connect,
               .kind = ErrorKind::server,
               .server_code = 516,
               .mentions = "Authentication failed"});
  r.push_back(
      {.name = "exception_chain_of_32_instead_of_hello",
       .script = [] { return FakeScript().read_hello().send(fake::exception_packet(exception_chain(32))).close(); },
       .action = Action::connect,
       .kind = ErrorKind::server,
       .server_code = 1000});
  r.push_back(
      {.name = "huge_exception_chain_instead_of_hello",
       .script =
           [] { return FakeScript().read_hello().send(fake::exception_packet(exception_chain(10000))).stay_silent(); },
       .action = Action::connect,
       .kind = ErrorKind::protocol,
       .mentions = "exception chain"});
  r.push_back({.name = "exception_message_length_2p60_instead_of_hello",
               .script =
                   [] {
                     return FakeScript()
                         .read_hello()
                         .send(fake::uvarint(2) + u64_le(0).substr(0, 4) + fake::string("DB::Exception") +
                               fake::uvarint(1ull << 60))
                         .stay_silent();
                   },
               .action = Action::connect,
               .kind = ErrorKind::protocol});
  r.push_back({.name = "unknown_packet_code_instead_of_hello",
               .script = [] { return FakeScript().read_hello().send(fake::uvarint(99)).stay_silent(); },
               .action = Action::connect,
               .kind = ErrorKind::protocol,
               .mentions = "99"});
  r.push_back({.name = "pong_instead_of_hello",
               .script = [] { return FakeScript().read_hello().send(fake::pong_packet()).stay_silent(); },
               .action = Action::connect,
               .kind = ErrorKind::protocol});
  r.push_back({.name = "never_answers_hello",
               .script = [] { return FakeScript().read_hello().stay_silent(); },
               .action = Action::connect,
               .kind = ErrorKind::timeout,
               .tweak = [](Config& c) { c.timeouts.connect = 300ms; }});
  // Every byte arrives before the receive timeout, but the whole Hello takes longer than the connect
  // deadline: the deadline must bound the handshake, not each read.
  r.push_back({.name = "hello_trickles_past_connect_deadline",
               .script = [=] { return FakeScript().read_hello().send(hello(), 1, 100ms).stay_silent(); },
               .action = Action::connect,
               .kind = ErrorKind::timeout,
               .tweak = [](Config& c) { c.timeouts.connect = 500ms; }});

  // --- Query replies ----------------------------------------------------------------------------
  r.push_back({.name = "garbage_reply_to_query", .script = reply_to_query(garbage), .kind = ErrorKind::protocol});
  r.push_back({.name = "unknown_packet_code",
               .script = reply_to_query(fake::uvarint(99)),
               .kind = ErrorKind::protocol,
               .mentions = "99"});
  r.push_back({.name = "server_to_server_packet_code",  // ReadTaskRequest (13)
               .script = reply_to_query(fake::uvarint(13)),
               .kind = ErrorKind::protocol});
  r.push_back({.name = "hello_during_query", .script = reply_to_query(hello()), .kind = ErrorKind::protocol});
  r.push_back({.name = "closed_before_reply",
               .script = [] { return FakeScript().handshake().read_query().close(); },
               .kind = ErrorKind::network});
  r.push_back({.name = "closed_mid_block",
               .script = reply_then_close(block_1000.substr(0, block_1000.size() / 2)),
               .kind = ErrorKind::network});
  r.push_back({.name = "reset_mid_block",
               .script = [=] { return FakeScript().handshake().read_query().send(block_1000.substr(0, 100)).reset(); },
               .kind = ErrorKind::network});
  r.push_back(
      {.name = "half_closed_mid_block",
       .script = [=] { return FakeScript().handshake().read_query().send(block_1000.substr(0, 100)).half_close(); },
       .kind = ErrorKind::network});
  r.push_back({.name = "string_length_2p60_in_column",
               .script = reply_to_query(one_column(1, "String", fake::uvarint(1ull << 60))),
               .kind = ErrorKind::protocol});
  r.push_back({.name = "column_name_length_2p60",
               .script = reply_to_query(fake::data_packet_raw(fake::block_header(1, 1) + fake::uvarint(1ull << 60))),
               .kind = ErrorKind::protocol});
  r.push_back({.name = "table_name_length_2p60",
               .script = reply_to_query(fake::uvarint(1) + fake::uvarint(1ull << 60)),
               .kind = ErrorKind::protocol});
  r.push_back({.name = "row_count_2p40",
               .script = reply_to_query(one_column(1ull << 40, "UInt64")),
               .kind = ErrorKind::protocol,
               .mentions = "row count"});
  r.push_back({.name = "column_count_2p40",
               .script = reply_to_query(fake::data_packet_raw(fake::block_header(1ull << 40, 1))),
               .kind = ErrorKind::protocol});
  // Counts within the limits whose data never comes: the decoders must grow with what arrives.
  // (2^26 UInt64 values are 512 MiB, within max_block_bytes; 2^28 are refused at once.)
  r.push_back({.name = "row_count_2p26_uint64_then_close",
               .script = reply_then_close(one_column(1ull << 26, "UInt64", std::string(64, '\1'))),
               .kind = ErrorKind::network});
  r.push_back({.name = "row_count_2p28_uint64_over_block_budget",
               .script = reply_to_query(one_column(1ull << 28, "UInt64", std::string(64, '\1'))),
               .kind = ErrorKind::protocol,
               .mentions = "max_block_bytes"});
  r.push_back({.name = "row_count_2p28_string_then_close",
               .script = reply_then_close(one_column(1ull << 28, "String", fake::string("ab"))),
               .kind = ErrorKind::network});
  r.push_back({.name = "row_count_2p28_nullable_then_close",
               .script = reply_then_close(one_column(1ull << 28, "Nullable(UInt64)", std::string(64, '\0'))),
               .kind = ErrorKind::network});
  r.push_back({.name = "array_offset_2p29_then_close",
               .script = reply_then_close(one_column(1, "Array(UInt8)", u64_le(1ull << 29) + "abc")),
               .kind = ErrorKind::network});
  r.push_back({.name = "array_offset_2p40",
               .script = reply_to_query(one_column(1, "Array(UInt8)", u64_le(1ull << 40))),
               .kind = ErrorKind::protocol});
  r.push_back({.name = "array_offsets_decreasing",
               .script = reply_to_query(one_column(2, "Array(UInt8)", u64_le(5) + u64_le(2))),
               .kind = ErrorKind::protocol});
  r.push_back({.name = "fixed_string_size_2p29",
               .script = reply_to_query(one_column(1, "FixedString(536870912)", "abc")),
               .kind = ErrorKind::protocol});
  r.push_back({.name = "fixed_string_16mib_then_close",
               .script = reply_then_close(one_column(4, "FixedString(16777215)", "abc")),
               .kind = ErrorKind::network});
  r.push_back({.name = "lowcardinality_dictionary_2p60",
               .script = reply_to_query(
                   one_column(1, "LowCardinality(String)", u64_le(1) + u64_le(0x600) + u64_le(1ull << 60))),
               .kind = ErrorKind::protocol});
  r.push_back({.name = "nested_array_10000_deep_type",
               .script = reply_to_query(one_column(0, nested("Array(", 10000, "UInt8"))),
               .kind = ErrorKind::protocol});
  r.push_back({.name = "nested_array_1000_deep_type",  // short enough for the length check: the depth limit
               .script = reply_to_query(one_column(0, nested("Array(", 1000, "UInt8"))),
               .kind = ErrorKind::protocol});
  r.push_back({.name = "nested_tuple_10000_deep_type",
               .script = reply_to_query(one_column(0, nested("Tuple(", 10000, "UInt8"))),
               .kind = ErrorKind::protocol});
  r.push_back({.name = "unknown_type_name",
               .script = reply_to_query(one_column(1, "Frobnicate", "x")),
               .kind = ErrorKind::protocol,
               .mentions = "Frobnicate"});
  r.push_back({.name = "unbalanced_type_name",
               .script = reply_to_query(one_column(0, "Array(UInt8")),
               .kind = ErrorKind::protocol});
  {
    auto strings = column_cast<ColumnString>(make_column(parse_type("String")));
    strings->append("a");
    Block other;
    other.append("x", strings);
    r.push_back({.name = "data_block_structure_differs_from_header",
                 .script = reply_to_query(fake::data_packet(fake::uint64_block(0)) + fake::data_packet(other) +
                                          fake::data_packet(Block{}) + fake::end_of_stream_packet()),
                 .kind = ErrorKind::protocol,
                 .mentions = "header"});
  }
  r.push_back({.name = "exception_inside_data_packet",  // 18.16 can start an Exception inside a Data packet
               .script = reply_to_query(one_column(3, "UInt64") + fake::exception_packet(60, "DB::Exception", "boom")),
               .kind = ErrorKind::protocol});
  r.push_back({.name = "unknown_blockinfo_field",
               .script = reply_to_query(fake::data_packet_raw(fake::uvarint(7) + fake::uvarint(0))),
               .kind = ErrorKind::protocol});
  r.push_back({.name = "progress_varint_11_bytes",
               .script = reply_to_query(fake::uvarint(3) + std::string(11, '\x80')),
               .kind = ErrorKind::protocol});
  r.push_back({.name = "exception_during_query",
               .script = reply_to_query(fake::exception_packet(60, "DB::Exception", "Table default.t doesn't exist.")),
               .kind = ErrorKind::server,
               .server_code = 60,
               .mentions = "doesn't exist"});
  r.push_back({.name = "huge_exception_chain_during_query",
               .script = reply_to_query(fake::exception_packet(exception_chain(10000))),
               .kind = ErrorKind::protocol,
               .mentions = "exception chain"});
  r.push_back({.name = "exception_message_length_2p60_during_query",
               .script = reply_to_query(fake::uvarint(2) + u64_le(60).substr(0, 4) + fake::string("DB::Exception") +
                                        fake::uvarint(1ull << 60)),
               .kind = ErrorKind::protocol});

  // A 100 MiB message, and 32 nested exceptions of 8 MiB each: the text is cut where it is read
  // (DecodeLimits::max_exception_*), the codes are kept, the connection stays usable.
  r.push_back(
      {.name = "exception_message_100mib_during_query",
       .script = [] { return send_large_exceptions(FakeScript().handshake().read_query(), 1, 100).stay_silent(); },
       .kind = ErrorKind::server,
       .server_code = 1000,
       .mentions = "104857600 bytes kept (max_exception_message_bytes)",
       .check = [](const Error& e) { expect_truncated_chain(e, 1); }});
  r.push_back(
      {.name = "exception_chain_32_of_8mib_during_query",
       .script = [] { return send_large_exceptions(FakeScript().handshake().read_query(), 32, 8).stay_silent(); },
       .kind = ErrorKind::server,
       .server_code = 1000,
       .mentions = "truncated",
       .check = [](const Error& e) { expect_truncated_chain(e, 32); }});

  // --- Compressed replies (the query asks for LZ4) ---------------------------------------------
  // Blocks that decompress to far more than the block budget, each column within it: 8 String
  // columns of 12 values of 1 MiB (96 MiB) against 16 MiB; 40 type names of 56 KB (2.2 MB) from
  // 9 KB of frames against max_block_type_name_bytes; 4 Nothing columns of 12 Mi rows (skipped,
  // never stored) against 16 MiB.
  r.push_back({.name = "string_columns_over_block_budget",
               .script = reply_to_query(
                   compressed_repeated_block(8, 12, "s", "String", fake::uvarint(k_mib) + std::string(k_mib, 'v'), 12)),
               .kind = ErrorKind::protocol,
               .mentions = "max_block_bytes = 16777216",
               .tweak =
                   [](Config& c) {
                     compress(c);
                     c.limits.max_block_bytes = 16 * k_mib;
                   },
               .check =
                   [](const Error& e) {
                     EXPECT_NE(std::string(e.what()).find("column 's1' of type String"), std::string::npos) << e.what();
                   }});
  {
    std::string tuple = "Tuple(";
    for (int i = 0; i < 8000; ++i) tuple += i ? ", UInt8" : "UInt8";
    tuple += ")";
    std::string plain = fake::block_header(40, 0);
    for (int c = 0; c < 40; ++c) plain += fake::column_header("t" + std::to_string(c), tuple);
    r.push_back({.name = "compressed_type_names_over_block_total",
                 .script = reply_to_query(fake::data_packet_raw(fake::frames(plain))),
                 .kind = ErrorKind::protocol,
                 .mentions = "max_block_type_name_bytes = 1048576",
                 .tweak = compress,
                 .check = [](const Error& e) {
                   EXPECT_NE(std::string(e.what()).find("column 't18'"), std::string::npos) << e.what();
                 }});
  }
  r.push_back(
      {.name = "nothing_columns_decompress_past_block_budget",
       .script = reply_to_query(compressed_repeated_block(4, 12 * k_mib, "n", "Nothing", std::string(k_mib, '0'), 12)),
       .kind = ErrorKind::protocol,
       .mentions = "after decompression",
       .tweak = [](Config& c) {
         compress(c);
         c.limits.max_block_bytes = 16 * k_mib;
       }});
  {
    std::string bad_sum = compressed_block();
    bad_sum[2] = static_cast<char>(bad_sum[2] ^ 0x55);  // code 1, empty table name, then the checksum
    r.push_back({.name = "bad_compression_checksum",
                 .script = reply_to_query(bad_sum),
                 .kind = ErrorKind::protocol,
                 .mentions = "checksum",
                 .tweak = compress});
  }
  {
    std::string bad_payload = compressed_block();
    bad_payload[bad_payload.size() - 3] = static_cast<char>(bad_payload[bad_payload.size() - 3] ^ 0x01);
    r.push_back({.name = "corrupted_compressed_payload",
                 .script = reply_to_query(bad_payload),
                 .kind = ErrorKind::protocol,
                 .tweak = compress});
  }
  r.push_back({.name = "uncompressed_block_when_compressed",
               .script = reply_to_query(block_1000),
               .kind = ErrorKind::protocol,
               .tweak = compress});
  r.push_back({.name = "frame_compressed_size_below_9",
               .script = reply_to_query(fake::data_packet_raw(fake::raw_frame(0x82, "x", 1, 3))),
               .kind = ErrorKind::protocol,
               .tweak = compress});
  r.push_back({.name = "frame_compressed_size_over_1gib",
               .script = reply_to_query(fake::data_packet_raw(fake::raw_frame(0x82, "x", 1, 0x40000001))),
               .kind = ErrorKind::protocol,
               .tweak = compress});
  r.push_back({.name = "frame_uncompressed_size_2p31",
               .script = reply_to_query(fake::data_packet_raw(fake::raw_frame(0x82, "x", 0x80000000u))),
               .kind = ErrorKind::protocol,
               .tweak = compress});
  r.push_back({.name = "frame_unknown_method",
               .script = reply_to_query(fake::data_packet_raw(fake::raw_frame(0x55, "x", 1))),
               .kind = ErrorKind::protocol,
               .tweak = compress});
  r.push_back({.name = "frame_malformed_lz4_with_valid_checksum",
               .script = reply_to_query(fake::data_packet_raw(fake::raw_frame(0x82, std::string(20, '\xff'), 100))),
               .kind = ErrorKind::protocol,
               .tweak = compress});
  r.push_back({.name = "frame_lz4_bomb_declared_small",  // 1 MiB of zeros declared as 100 bytes
               .script = reply_to_query(fake::data_packet_raw(
                   fake::raw_frame(0x82, fake::frames(std::string(1 << 20, '\0'), Compression::lz4).substr(25), 100))),
               .kind = ErrorKind::protocol,
               .tweak = compress});
  // Sizes within the limits whose bytes never come: buffers must grow only as bytes arrive.
  r.push_back({.name = "frame_1gib_compressed_promised_then_close",
               .script = reply_then_close(
                   fake::data_packet_raw(fake::raw_frame(0x82, "abc", 1u << 20, 0x40000000u).substr(0, 40))),
               .kind = ErrorKind::network,
               .tweak = compress});
  r.push_back({.name = "frame_128mib_uncompressed_promised_then_close",
               .script = reply_then_close(
                   fake::data_packet_raw(fake::raw_frame(0x02, "abc", 128u << 20, (128u << 20) + 9).substr(0, 40))),
               .kind = ErrorKind::network,
               .tweak = compress});
  // A complete 28-byte LZ4 frame that declares 128 MiB (the limit) of output: refused as corrupt. The
  // output buffer is sized from the declared size before decompressing, so one allocation of up to
  // the frame limit is allowed here (its pages are never touched: RSS stays flat).
  r.push_back({.name = "frame_tiny_lz4_declaring_128mib",
               .script = reply_to_query(fake::data_packet_raw(fake::raw_frame(0x82, "abc", 128u << 20))),
               .kind = ErrorKind::protocol,
               .tweak = compress,
               .allocation_bound = (std::size_t{128} << 20) + (1 << 20)});

  // --- Deadlines during a query ------------------------------------------------------------------
  r.push_back({.name = "never_answers_query",
               .script = [] { return FakeScript().handshake().read_query().stay_silent(); },
               .kind = ErrorKind::timeout,
               .mentions = "did not finish within the query timeout of 300 ms",
               .tweak = [](Config& c) { c.timeouts.query = 300ms; }});
  r.push_back({.name = "block_trickles_past_query_deadline",
               .script = [=] { return FakeScript().handshake().read_query().send(block_1000, 16, 50ms).stay_silent(); },
               .kind = ErrorKind::timeout,
               .tweak = [](Config& c) { c.timeouts.query = 500ms; }});
  r.push_back({.name = "progress_forever_past_query_deadline",
               .script =
                   [] {
                     std::string progress;
                     for (int i = 0; i < 100; ++i) progress += fake::progress_packet(1, 1);
                     return FakeScript()
                         .handshake()
                         .read_query()
                         .send(progress, fake::progress_packet(1, 1).size(), 20ms)
                         .stay_silent();
                   },
               .kind = ErrorKind::timeout,
               .tweak = [](Config& c) { c.timeouts.query = 300ms; }});

  // An endless result streamed with select(): memory stays at one block, the query deadline ends it.
  r.push_back({.name = "endless_stream_past_query_deadline",
               .script =
                   [] {
                     // Paced at about 8 MB/s, so a sanitizer's quarantine of freed blocks stays far below
                     // the memory bound too.
                     const std::string block = fake::data_packet(fake::uint64_block(1000));
                     return FakeScript()
                         .handshake()
                         .read_query()
                         .send(fake::data_packet(fake::uint64_block(0)))
                         .send_repeated(block, 100000, 1ms)
                         .stay_silent();
                   },
               .action = Action::stream,
               .kind = ErrorKind::timeout,
               .tweak = [](Config& c) { c.timeouts.query = 500ms; }});

  // --- Inserts ----------------------------------------------------------------------------------
  const std::string sample = fake::data_packet(fake::uint64_block(0));
  r.push_back({.name = "closed_before_insert_sample",
               .script = [] { return FakeScript().handshake().read_query().close(); },
               .action = Action::insert,
               .kind = ErrorKind::network});
  r.push_back({.name = "closed_mid_insert",
               .script = [=] { return FakeScript().handshake().read_query().send(sample).read_data_packet().close(); },
               .action = Action::insert,
               .kind = ErrorKind::network});
  r.push_back({.name = "reset_mid_insert",
               .script = [=] { return FakeScript().handshake().read_query().send(sample).read_bytes(64).reset(); },
               .action = Action::insert,
               .kind = ErrorKind::network});
  r.push_back({.name = "insert_sample_with_unknown_type",
               .script = reply_to_query(one_column(0, "Frobnicate")),
               .action = Action::insert,
               .kind = ErrorKind::protocol});
  r.push_back(
      {.name = "insert_never_acknowledged",
       .script = [=] { return FakeScript().handshake().read_query().send(sample).read_insert_data().stay_silent(); },
       .action = Action::insert,
       .kind = ErrorKind::timeout,
       .tweak = [](Config& c) { c.timeouts.query = 300ms; }});
  // The server stops reading while a 12 MiB block is being sent: the write waits at most until the
  // query deadline (the kernel's buffers cannot hold the block).
  r.push_back({.name = "insert_to_server_that_stops_reading",
               .script = [=] { return FakeScript().handshake().read_query().send(sample).stay_silent(); },
               .action = Action::insert,
               .kind = ErrorKind::timeout,
               .tweak = [](Config& c) { c.timeouts.query = 500ms; },
               .insert_rows = std::size_t{3} << 19});
  r.push_back({.name = "insert_rejected_by_exception",
               .script = reply_to_query(fake::exception_packet(60, "DB::Exception", "Table default.t doesn't exist.")),
               .action = Action::insert,
               .kind = ErrorKind::server,
               .server_code = 60});

  // --- Ping -------------------------------------------------------------------------------------
  r.push_back({.name = "garbage_reply_to_ping",
               .script = [=] { return FakeScript().handshake().read_code(4).send(garbage).stay_silent(); },
               .action = Action::ping,
               .kind = ErrorKind::protocol});
  r.push_back({.name = "ping_never_answered",
               .script = [] { return FakeScript().handshake().read_code(4).stay_silent(); },
               .action = Action::ping,
               .kind = ErrorKind::timeout,
               .tweak = [](Config& c) { c.timeouts.receive = 300ms; }});
  return r;
}

void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

// Whether the connection must stay usable after the row's error: only a clean server Exception
// (the stream is at a packet boundary) keeps it.
bool keeps_connection(const Row& row) { return row.kind == ErrorKind::server; }

class BadInput : public ::testing::TestWithParam<Row> {};

TEST_P(BadInput, FailsCleanly) {
  const Row& row = GetParam();
  const std::size_t fds_before = open_fds();
  {
    FakeServer server(row.script());
    Config config = base_config(server);
    if (row.tweak) row.tweak(config);
    const Ms deadline = governing_deadline(row, config);

    std::unique_ptr<NativeConnection> conn;
    if (row.action != Action::connect) {
      conn = NativeConnection::connect(config, server.address(), Deadline::after(config.timeouts.connect));
      ASSERT_TRUE(conn->usable());
    }
    const Block insert_block = fake::uint64_block(row.action == Action::insert ? row.insert_rows : 0);

    std::optional<Error> caught;
    std::string foreign;
    Steady::duration elapsed{};
    std::size_t growth = 0, largest = 0;
    {
      const MemoryProbe memory;
      const auto start = Steady::now();
      try {
        switch (row.action) {
          case Action::connect:
            conn = NativeConnection::connect(config, server.address(), Deadline::after(config.timeouts.connect));
            break;
          case Action::select: conn->execute("SELECT x FROM t"); break;
          case Action::stream: {
            std::size_t streamed = 0;
            conn->select("SELECT x FROM t", [&](const Block& block) { streamed += block.rows(); });
            break;
          }
          case Action::insert: conn->insert("t", insert_block); break;
          case Action::ping: conn->ping(Deadline::after(config.timeouts.query)); break;
        }
      } catch (const Error& e) {
        caught = e;
      } catch (const std::exception& e) {
        foreign = e.what();
      }
      elapsed = Steady::now() - start;
      growth = memory.growth();
      largest = memory.largest_allocation();
    }
    const auto elapsed_ms = std::chrono::duration_cast<Ms>(elapsed);
    const Ms bound = deadline + config.timeouts.cancel_drain + k_slack;

    ASSERT_TRUE(foreign.empty()) << "not a chconn::Error: " << foreign;
    ASSERT_TRUE(caught.has_value()) << "the call succeeded";
    const Error& e = *caught;
    std::printf(
        "[bad-input] %-48s %-8s %5lld ms (deadline %5lld ms, overshoot %5lld ms) peak RSS +%s, largest alloc %s\n",
        row.name.c_str(), std::string(to_string(e.kind())).c_str(), static_cast<long long>(elapsed_ms.count()),
        static_cast<long long>(deadline.count()),
        static_cast<long long>(std::max<Ms>(Ms(0), elapsed_ms - deadline).count()), mib(growth).c_str(),
        mib(largest).c_str());
    std::printf("            %s\n", std::string(e.what()).substr(0, 300).c_str());

    EXPECT_EQ(e.kind(), row.kind) << e.what();
    EXPECT_EQ(e.server_code(), row.server_code) << e.what();
    if (!row.mentions.empty()) {
      EXPECT_NE(std::string(e.what()).find(row.mentions), std::string::npos) << std::string(e.what()).substr(0, 1000);
    }
    if (row.check) row.check(e);
    // Messages stay readable whatever the peer sent (a 70 KB type name is not echoed whole).
    EXPECT_LT(std::string(e.what()).size(), 16u * 1024) << std::string(e.what()).substr(0, 500);
    EXPECT_LE(elapsed_ms, bound) << "the call overran its deadline of " << deadline.count() << " ms";
    if (row.kind == ErrorKind::timeout) {
      EXPECT_GE(elapsed, deadline - 5ms) << "a timeout before the deadline";
    }
    if (test::k_peak_rss_measures_the_code) {
      EXPECT_LT(growth, k_memory_bound) << "peak RSS grew by " << mib(growth);
    }
    EXPECT_LT(largest, row.allocation_bound) << "a single allocation of " << mib(largest);

    if (row.action == Action::connect) {
      EXPECT_EQ(conn, nullptr);
    } else {
      EXPECT_EQ(conn->usable(), keeps_connection(row)) << "usable() after " << row.name;
      if (!conn->usable()) {
        // A broken connection refuses further calls at once, never touching the stream.
        const auto again = Steady::now();
        expect_error(ErrorKind::usage, [&] { conn->execute("SELECT 1"); });
        EXPECT_LT(Steady::now() - again, 1s);
      }
    }
    conn.reset();
  }
  EXPECT_EQ(open_fds(), fds_before) << "a descriptor leaked";
}

INSTANTIATE_TEST_SUITE_P(Peer, BadInput, ::testing::ValuesIn(rows()),
                         [](const ::testing::TestParamInfo<Row>& param_info) { return param_info.param.name; });

// After a clean server Exception the connection really is usable: the next query runs. 18.16 does
// not skip the data of a query that failed early, so the connection opens a fresh session for it by
// itself (a second connection to the fake server, which answers it properly).
TEST(BadInputFollowUp, CleanExceptionThenNextQueryWorks) {
  const std::string ok = fake::data_packet(fake::uint64_block(0)) + fake::data_packet(fake::uint64_block(3)) +
                         fake::data_packet(Block{}) + fake::end_of_stream_packet();
  FakeServer server({FakeScript().handshake().read_query().send(
                         fake::exception_packet(60, "DB::Exception", "Table default.t doesn't exist.")),
                     FakeScript().handshake().read_query().send(ok)});
  Config config = base_config(server);
  auto conn = NativeConnection::connect(config, server.address(), Deadline::after(5s));
  const Error e = test::thrown_error([&] { conn->execute("SELECT x FROM t"); });
  EXPECT_EQ(e.kind(), ErrorKind::server);
  EXPECT_EQ(e.server_code(), 60);
  ASSERT_TRUE(conn->usable());
  Result r = conn->execute("SELECT x FROM t");
  EXPECT_EQ(r.row_count(), 3u);
  EXPECT_TRUE(conn->usable());
  EXPECT_EQ(server.connections(), 2);
}

// A time zone name in a type comes from the server: a name that would leave the zoneinfo folder is
// kept as text in the type and refused when a value is formatted, never opened as a file.
TEST(BadInputFollowUp, TimeZoneNameFromServerNeverLeavesZoneinfo) {
  const std::string reply = one_column(1, "DateTime('../../../../etc/passwd')", "abcd") + fake::data_packet(Block{}) +
                            fake::end_of_stream_packet();
  FakeServer server(FakeScript().handshake().read_query().send(reply));
  Config config = base_config(server);
  auto conn = NativeConnection::connect(config, server.address(), Deadline::after(5s));
  Result r = conn->execute("SELECT c FROM t");
  ASSERT_EQ(r.row_count(), 1u);
  const Error e = test::thrown_error(
      [&] { const std::string text = text::format_value(*r.blocks.at(0).column(0), 0, text::Escaping::tsv); });
  EXPECT_NE(std::string(e.what()).find("not a valid time zone name"), std::string::npos) << e.what();
  EXPECT_TRUE(conn->usable());
}

// A query whose deadline passes while the server is silent, but which the server then cancels
// properly: the connection sends Cancel, drains to EndOfStream and stays usable.
TEST(BadInputFollowUp, SilentUntilCancelThenCleanEndKeepsConnection) {
  FakeServer server(FakeScript().handshake().read_query().read_code(3).send(fake::end_of_stream_packet()));
  Config config = base_config(server);
  config.timeouts.query = 300ms;
  config.timeouts.cancel_drain = 2s;
  auto conn = NativeConnection::connect(config, server.address(), Deadline::after(5s));
  const auto start = Steady::now();
  expect_error(ErrorKind::timeout, [&] { conn->execute("SELECT sleep(3)"); });
  EXPECT_LT(Steady::now() - start, 300ms + k_slack);
  EXPECT_TRUE(conn->usable());
}

// A small compressed packet that decodes into a huge block: the decoding is CPU work with no
// socket wait in it, and the deadline still ends it within a frame's work. 768 frames of exactly
// 1 MiB each (one String value per frame, LZ4 of a repeated byte: 3 MiB on the wire) under a
// block budget large enough to allow it all; the caller gives 200 ms.
TEST(BadInputFollowUp, DecodingAHugeCompressedBlockStopsAtTheCallersDeadline) {
  constexpr std::size_t k_rows = 768;
  constexpr std::size_t k_frame = std::size_t{1} << 20;
  const std::string value = fake::string(std::string(k_frame - 3, 'a'));  // 3-byte length + bytes
  ASSERT_EQ(value.size(), k_frame);
  const std::string one_frame = fake::frames(value);
  std::string body = fake::frames(fake::block_header(1, k_rows) + fake::column_header("s", "String"));
  body.reserve(body.size() + k_rows * one_frame.size());
  for (std::size_t i = 0; i < k_rows; ++i) body += one_frame;
  FakeServer server(
      FakeScript().handshake().read_query().send(fake::data_packet_raw(body) + fake::end_of_stream_packet()));
  Config config = base_config(server);
  config.compression = Compression::lz4;
  config.limits.max_block_bytes = std::uint64_t{4} << 30;
  auto conn = NativeConnection::connect(config, server.address(), Deadline::after(5s));
  QueryOptions options;
  options.deadline = Deadline::after(200ms);
  const auto start = Steady::now();
  const Error e = test::thrown_error([&] { conn->execute("SELECT s", options); });
  EXPECT_EQ(e.kind(), ErrorKind::timeout) << e.what();
  EXPECT_NE(e.message().find("decoding a compressed block timed out: the caller's deadline of 200 ms expired"),
            std::string::npos)
      << e.what();
  const auto elapsed = Steady::now() - start;
  std::printf("[bad-input] %-48s timeout  %5lld ms (deadline   200 ms)\n", "huge_compressed_block",
              static_cast<long long>(std::chrono::duration_cast<Ms>(elapsed).count()));
  EXPECT_LT(elapsed, 200ms + k_slack);
  EXPECT_FALSE(conn->usable());  // stopped inside a packet: the stream cannot be resumed
}

// A host whose SYNs go unanswered: the connect deadline ends the attempt.
TEST(BadInputFollowUp, UnansweredConnectTimesOutAtTheDeadline) {
  test::BlackholePort hole;
  Config config;
  config.hosts = {{hole.host(), hole.port()}};
  config.timeouts.connect = 300ms;
  const auto start = Steady::now();
  expect_error(ErrorKind::timeout, [&] {
    NativeConnection::connect(config, config.hosts.front(), Deadline::after(config.timeouts.connect));
  });
  const auto elapsed = Steady::now() - start;
  std::printf("[bad-input] %-48s timeout  %5lld ms (deadline   300 ms)\n", "unanswered_connect",
              static_cast<long long>(std::chrono::duration_cast<Ms>(elapsed).count()));
  EXPECT_GE(elapsed, 300ms - 5ms);
  EXPECT_LT(elapsed, 300ms + k_slack);
}

// ----- Config-level rows -------------------------------------------------------------------------

struct DsnRow {
  std::string name;
  std::string dsn;
};

std::vector<DsnRow> dsn_rows() {
  return {
      {"empty", ""},
      {"no_scheme", "localhost:9000"},
      {"http_scheme", "http://localhost:8123"},
      {"port_not_a_number", "clickhouse://localhost:abc"},
      {"port_out_of_range", "clickhouse://localhost:99999"},
      {"port_zero", "clickhouse://localhost:0"},
      {"unterminated_ipv6", "clickhouse://[::1:9000"},
      {"empty_host", "clickhouse://:9000"},
      {"empty_host_list_entry", "clickhouse://a:9000,,b:9000"},
      {"bad_percent_escape_in_password", "clickhouse://u:pw-Sentinel%zz@localhost"},
      {"bad_percent_escape_in_user", "clickhouse://%G0:pw@localhost"},
      {"empty_user", "clickhouse://:pw@localhost"},
      {"control_char_in_user", std::string("clickhouse://u\x01:pw@localhost")},
      {"unknown_parameter", "clickhouse://localhost?frobnicate=1"},
      {"repeated_parameter", "clickhouse://localhost?secure=true&secure=false"},
      {"bad_bool", "clickhouse://localhost?secure=maybe"},
      {"bad_compression", "clickhouse://localhost?compression=snappy"},
      {"negative_timeout", "clickhouse://localhost?connect_timeout=-1s"},
      {"zero_timeout", "clickhouse://localhost?query_timeout=0"},
      {"timeout_bad_unit", "clickhouse://localhost?receive_timeout=5 fortnights"},
      {"timeout_too_long", "clickhouse://localhost?send_timeout=9000h"},
      {"pool_max_zero", "clickhouse://localhost?pool_max=0"},
      {"pool_max_huge", "clickhouse://localhost?pool_max=99999999999999999999999"},
      {"pool_min_idle_over_max", "clickhouse://localhost?pool_max=2&pool_min_idle=5"},
      {"bad_environment", "clickhouse://localhost?env=staging"},
      {"parameter_without_value", "clickhouse://localhost?secure"},
      {"fragment", "clickhouse://localhost/db#frag"},
      {"nested_path", "clickhouse://localhost/db/extra"},
      {"control_char_in_database", std::string("clickhouse://localhost/d\x02")},
      {"bad_setting_name", "clickhouse://localhost?setting.=1"},
  };
}

class BadDsn : public ::testing::TestWithParam<DsnRow> {};

TEST_P(BadDsn, IsConfigError) {
  const DsnRow& row = GetParam();
  const Error e = test::thrown_error([&] {
    const Config c = Config::from_dsn(row.dsn);
    c.validate();
  });
  EXPECT_EQ(e.kind(), ErrorKind::config) << e.what();
  EXPECT_FALSE(e.retryable());
  EXPECT_EQ(std::string(e.what()).find("pw-Sentinel"), std::string::npos) << e.what();
}

INSTANTIATE_TEST_SUITE_P(Config, BadDsn, ::testing::ValuesIn(dsn_rows()),
                         [](const ::testing::TestParamInfo<DsnRow>& param_info) { return param_info.param.name; });

TEST(BadConfig, InvalidValuesFromCode) {
  const std::vector<std::pair<std::string, std::function<void(Config&)>>> cases = {
      {"no hosts", [](Config& c) { c.hosts.clear(); }},
      {"empty user", [](Config& c) { c.user.clear(); }},
      {"zero connect timeout", [](Config& c) { c.timeouts.connect = 0ms; }},
      {"negative query timeout", [](Config& c) { c.timeouts.query = -1ms; }},
      {"zero pool size", [](Config& c) { c.pool.max_size = 0; }},
  };
  for (const auto& [what, change] : cases) {
    Config c;
    change(c);
    const Error e = test::thrown_error([&] { c.validate(); });
    EXPECT_EQ(e.kind(), ErrorKind::config) << what << ": " << e.what();
  }
}

// A user name or password the protocol cannot carry is refused before anything is sent, without
// the password in the message.
TEST(BadConfig, ControlCharactersInCredentialsNeverReachTheWire) {
  FakeServer server(FakeScript().handshake());
  Config config = base_config(server);
  config.password = std::string("pw-Sentinel\n-8d1f");
  const Error e = test::thrown_error([&] { NativeConnection::connect(config, server.address(), Deadline::after(5s)); });
  EXPECT_TRUE(e.kind() == ErrorKind::usage || e.kind() == ErrorKind::config) << e.what();
  EXPECT_EQ(std::string(e.what()).find("pw-Sentinel"), std::string::npos) << e.what();
  EXPECT_TRUE(server.hellos().empty());
}

// Unknown strategy names are the factory's to refuse (initialize() with config.strategy).
TEST(BadConfig, UnknownStrategyName) {
  Config config;
  config.strategy = "no-such-strategy";
  ConnectionFactory factory;
  const Error e = test::thrown_error([&] { initialize(factory, config); });
  EXPECT_EQ(e.kind(), ErrorKind::config) << e.what();
  EXPECT_NE(std::string(e.what()).find("no-such-strategy"), std::string::npos) << e.what();
  expect_error(ErrorKind::config, [&] {
    ConnectionFactory f2;
    initialize(f2, Config::from_dsn("clickhouse://localhost?strategy=no-such-strategy"));
  });
}

// Connecting to a port nobody listens on is a network error within the connect deadline.
TEST(BadConfig, ClosedPortIsNetworkError) {
  test::RefusedPort refused;  // bound but not listening: connecting is refused at once
  const std::uint16_t port = refused.port();
  Config config;
  config.hosts = {{refused.host(), port}};
  config.timeouts.connect = 2s;
  const auto start = Steady::now();
  const Error e = test::thrown_error(
      [&] { NativeConnection::connect(config, config.hosts.front(), Deadline::after(config.timeouts.connect)); });
  EXPECT_EQ(e.kind(), ErrorKind::network) << e.what();
  EXPECT_NE(std::string(e.what()).find(std::to_string(port)), std::string::npos) << e.what();
  EXPECT_LT(Steady::now() - start, 2s + k_slack);
}

}  // namespace
}  // namespace chconn
