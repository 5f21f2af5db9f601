// record_corpus: records the seed corpora of the fuzz targets from a real ClickHouse server.
//
//   record_corpus HOST PORT OUTDIR
//
// For every query below and every compression (none, LZ4, ZSTD) it connects, sends Hello and the
// Query with chconn's own encoders, and saves the exact bytes the server replied (Hello included)
// as a server_packets seed. It then takes those recorded bytes apart offline to seed the other
// targets with real bytes too:
//   server_packets/  NAME-COMP-r54412   mode byte + the reply as recorded (18.16 speaks 54412)
//                    NAME-COMP-r54460   the same packets re-encoded at revision 54460 (Hello's
//                                       revision, Progress fields, the custom-serialization byte)
//                    synthetic-*        packets 18.16 never sends (Pong, TablesStatusResponse, ...)
//   block/           NAME-N             each block of an uncompressed reply, as sent
//   column/          NAME-N-COL         each column of those blocks: type name, rows, its bytes
//   compression/     NAME-COMP-N        each frame of a compressed reply, as sent, and whole blocks
//   type_name/       every type name the server sent, plus type_names.h
//   dsn/             handwritten DSNs covering every parameter (nothing to record)
// Each file starts with the mode byte its target reads (see the targets' comments).
//
// Built only on demand (`cmake --build --preset fuzz --target fuzz_record_corpus`); run through
// `scripts/fuzz record`, which starts and stops a private sandbox for it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/config.h"
#include "chconn/core/error.h"
#include "chconn/wire/block.h"
#include "chconn/wire/column.h"
#include "chconn/wire/detail/compression.h"
#include "chconn/wire/detail/packets.h"
#include "chconn/wire/io.h"
#include "chconn/wire/types.h"
#include "type_names.h"

namespace {

using namespace chconn;
using Bytes = std::vector<std::uint8_t>;
namespace fs = std::filesystem;

constexpr std::uint64_t k_revision_54460 = 54460;
constexpr std::uint64_t k_max_column_seed_bytes = 16 * 1024;

// ----- the connection ---------------------------------------------------------------------------

// A ByteSource over a blocking socket that keeps a copy of every byte it hands out.
class RecordingSocket final : public wire::ByteSource {
 public:
  explicit RecordingSocket(int fd) : fd_(fd) {}
  std::span<const std::uint8_t> next() override {
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer_, sizeof buffer_, 0);
      if (n > 0) {
        recorded_.insert(recorded_.end(), buffer_, buffer_ + n);
        return {buffer_, static_cast<std::size_t>(n)};
      }
      if (n == 0) return {};
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
    }
  }
  const Bytes& recorded() const { return recorded_; }

 private:
  int fd_;
  std::uint8_t buffer_[65536];
  Bytes recorded_;
};

class Socket {
 public:
  Socket(const std::string& host, std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    timeval timeout{.tv_sec = 60, .tv_usec = 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) throw std::runtime_error("bad IPv4 address " + host);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("connect to " + host + ":" + std::to_string(port) + ": " + std::strerror(errno));
    }
  }
  ~Socket() { ::close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  void send_all(std::span<const std::uint8_t> bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(std::string("send: ") + std::strerror(errno));
      }
      bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

struct Server {
  std::string host;
  std::uint16_t port;
};

// Runs one query on a fresh connection and returns every byte the server sent (Hello included).
// Reads until EndOfStream or Exception: the server sends nothing after either.
Bytes record_query(const Server& server, const std::string& sql, const Settings& settings, Compression compression) {
  Socket socket(server.host, server.port);
  RecordingSocket source(socket.fd());
  wire::Reader in(source);
  wire::Writer out;
  wire::write_hello(out, {});
  socket.send_all(out.data());
  const auto hello = wire::read_hello_reply(in, wire::k_client_revision);
  const std::uint64_t revision = wire::negotiate_revision(wire::k_client_revision, hello.revision);

  out.clear();
  if (wire::addendum_required(revision)) wire::write_addendum(out, {}, revision);
  Settings query_settings = settings;
  const bool compressed = compression != Compression::none;
  if (compression == Compression::zstd) query_settings.set("network_compression_method", "zstd");
  wire::write_query(out, {.settings = query_settings, .compression = compressed, .text = sql}, revision);
  std::optional<wire::FrameEncoder> encoder;
  if (compressed) encoder.emplace(compression);
  wire::write_end_of_data(out, revision, encoder ? &*encoder : nullptr);
  socket.send_all(out.data());

  wire::CompressedSource frames(in);
  const wire::PacketContext context{.revision = revision, .compression = compressed, .frames = &frames};
  for (;;) {
    const auto packet = wire::read_server_packet(in, context);
    if (packet.code == wire::ServerPacketCode::end_of_stream || packet.code == wire::ServerPacketCode::exception) break;
  }
  return source.recorded();
}

// Runs a statement whose result does not matter (DDL, INSERT ... SELECT); throws on an Exception.
void execute(const Server& server, const std::string& sql, const Settings& settings = {}) {
  const Bytes reply = record_query(server, sql, settings, Compression::none);
  wire::MemorySource source(std::span<const std::uint8_t>(reply.data(), reply.size()));
  wire::Reader in(source);
  const auto hello = wire::read_hello_reply(in, wire::k_client_revision);
  const wire::PacketContext context{.revision = wire::negotiate_revision(wire::k_client_revision, hello.revision)};
  for (;;) {
    auto packet = wire::read_server_packet(in, context);
    if (auto* e = packet.get_if<wire::ServerException>()) throw e->error.with_context(sql);
    if (packet.code == wire::ServerPacketCode::end_of_stream) return;
  }
}

// ----- output -------------------------------------------------------------------------------------

class Corpus {
 public:
  explicit Corpus(fs::path root) : root_(std::move(root)) {}

  void add(const std::string& target, const std::string& name, std::uint8_t mode, std::span<const std::uint8_t> bytes) {
    Bytes file{mode};
    file.insert(file.end(), bytes.begin(), bytes.end());
    write(target, name, file);
  }
  void add_text(const std::string& target, const std::string& name, std::uint8_t mode, std::string_view text) {
    add(target, name, mode, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }
  std::size_t files() const { return files_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  void write(const std::string& target, const std::string& name, const Bytes& file) {
    const fs::path dir = root_ / target;
    fs::create_directories(dir);
    std::ofstream f(dir / name, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
    if (!f) throw std::runtime_error("cannot write " + (dir / name).string());
    ++files_;
    bytes_ += file.size();
  }

  fs::path root_;
  std::size_t files_ = 0;
  std::uint64_t bytes_ = 0;
};

std::span<const std::uint8_t> slice(const Bytes& b, std::uint64_t begin, std::uint64_t end) {
  return std::span<const std::uint8_t>(b.data() + begin, static_cast<std::size_t>(end - begin));
}

// Forwards a CompressedSource and notes where each frame lay in the raw stream and what it held.
class FrameTap final : public wire::ByteSource {
 public:
  FrameTap(wire::CompressedSource& frames, wire::Reader& raw) : frames_(frames), raw_(raw) {}
  std::span<const std::uint8_t> next() override {
    const std::uint64_t begin = raw_.position();
    const auto view = frames_.next();
    if (!view.empty()) {
      extents.emplace_back(begin, raw_.position());
      plain.insert(plain.end(), view.begin(), view.end());
    }
    return view;
  }
  std::vector<std::pair<std::uint64_t, std::uint64_t>> extents;
  Bytes plain;

 private:
  wire::CompressedSource& frames_;
  wire::Reader& raw_;
};

// ----- re-encoding at another revision ------------------------------------------------------------

void write_server_hello(wire::Writer& out, const wire::ServerHello& h, std::uint64_t revision) {
  out.uvarint(static_cast<std::uint64_t>(wire::ServerPacketCode::hello));
  out.string(h.name);
  out.uvarint(h.version_major);
  out.uvarint(h.version_minor);
  out.uvarint(revision);
  out.string(h.timezone);
  out.string(h.display_name);
  out.uvarint(h.version_patch);
}

void write_progress(wire::Writer& out, const wire::Progress& p) {  // revision 54460: seven fields but one
  out.uvarint(static_cast<std::uint64_t>(wire::ServerPacketCode::progress));
  out.uvarint(p.read_rows);
  out.uvarint(p.read_bytes);
  out.uvarint(p.total_rows_to_read);
  out.uvarint(p.written_rows);
  out.uvarint(p.written_bytes);
  out.uvarint(1234567);  // elapsed_ns
}

void write_block_packet(wire::Writer& out, wire::ServerPacketCode code, const std::string& table, const Block& block,
                        std::uint64_t revision, wire::FrameEncoder* encoder) {
  out.uvarint(static_cast<std::uint64_t>(code));
  out.string(table);
  if (encoder == nullptr) {
    wire::write_block(out, block, revision);
  } else {
    wire::Writer plain;
    wire::write_block(plain, block, revision);
    encoder->encode(out, plain.data());
  }
}

// ----- taking a recorded reply apart --------------------------------------------------------------

// Each column of a block: its type name, and the bytes of its prefix and body as they were sent.
void add_columns(Corpus& corpus, const std::string& name, std::span<const std::uint8_t> block_bytes,
                 std::uint64_t revision, std::set<std::string>& type_names) {
  wire::MemorySource source(block_bytes);
  wire::Reader in(source);
  for (;;) {
    const auto field = in.uvarint();
    if (field == 0) break;
    if (field == 1) in.u8();
    if (field == 2) in.fixed<std::int32_t>();
  }
  const auto columns = in.uvarint();
  const auto rows = in.uvarint();
  for (std::uint64_t c = 0; c < columns; ++c) {
    in.string();
    const std::string type_name = in.string();
    type_names.insert(type_name);
    if (revision >= 54454) in.u8();
    const std::uint64_t begin = in.position();
    ColumnRef column = make_column(parse_type(type_name));
    if (rows > 0) {
      column->load_prefix(in);
      column->load_body(in, static_cast<std::size_t>(rows));
    }
    if (rows == 0) continue;  // header blocks carry no column data
    // Large columns (bigframe's megabyte of 'x') would only slow the fuzzer down.
    if (in.position() - begin > k_max_column_seed_bytes) continue;
    wire::Writer seed;
    seed.u8(0xff);  // the type name follows in the input
    seed.write(type_name.data(), type_name.size());
    seed.u8('\n');
    seed.uvarint(rows);
    seed.write(block_bytes.data() + begin, static_cast<std::size_t>(in.position() - begin));
    corpus.add("column", name + "-c" + std::to_string(c), 0, seed.data());
  }
}

// Walks a recorded reply packet by packet, adding seeds for the block, column and compression
// targets, and returns the reply re-encoded at revision 54460.
Bytes take_apart(Corpus& corpus, const std::string& name, const Bytes& reply, Compression compression,
                 std::set<std::string>& type_names) {
  const bool compressed = compression != Compression::none;
  wire::MemorySource source(std::span<const std::uint8_t>(reply.data(), reply.size()));
  wire::Reader in(source);
  const auto hello = wire::read_hello_reply(in, wire::k_client_revision);
  const std::uint64_t revision = wire::negotiate_revision(wire::k_client_revision, hello.revision);

  wire::Writer reencoded;
  write_server_hello(reencoded, hello, k_revision_54460);
  std::optional<wire::FrameEncoder> encoder;
  if (compressed) encoder.emplace(compression);
  wire::CompressedSource frames(in);
  int blocks = 0;
  int frame_count = 0;
  while (!in.at_end()) {
    const std::uint64_t start = in.position();
    const auto code = wire::read_server_packet_code(in);
    const bool block_packet = code == wire::ServerPacketCode::data || code == wire::ServerPacketCode::totals ||
                              code == wire::ServerPacketCode::extremes || code == wire::ServerPacketCode::log;
    if (!block_packet) {
      const auto packet = wire::read_server_packet_body(in, code, {.revision = revision, .compression = compressed});
      if (const auto* p = packet.get_if<wire::Progress>()) {
        write_progress(reencoded, *p);
      } else {
        // Exception, ProfileInfo and EndOfStream have the same layout at both revisions.
        reencoded.write(reply.data() + start, static_cast<std::size_t>(in.position() - start));
      }
      continue;
    }
    const std::string table = in.string();
    const bool frames_used = compressed && code != wire::ServerPacketCode::log;
    const std::string block_name = name + "-b" + std::to_string(blocks++);
    Block block;
    if (frames_used) {
      FrameTap tap(frames, in);
      wire::Reader block_in(tap);
      block = wire::read_block(block_in, revision);
      for (const auto& [begin, end] : tap.extents) {
        corpus.add("compression", name + "-f" + std::to_string(frame_count++), 0, slice(reply, begin, end));
      }
      if (tap.extents.size() > 1) {
        corpus.add("compression", block_name + "-frames", 0,
                   slice(reply, tap.extents.front().first, tap.extents.back().second));
      }
      add_columns(corpus, block_name, tap.plain, revision, type_names);
    } else {
      const std::uint64_t begin = in.position();
      block = wire::read_block(in, revision);
      const auto bytes = slice(reply, begin, in.position());
      if (!compressed) corpus.add("block", block_name, 0, bytes);  // mode 0: revision 54412
      if (!compressed) add_columns(corpus, block_name, bytes, revision, type_names);
    }
    if (!compressed && block.rows() > 0) {
      wire::Writer at_54460;
      wire::write_block(at_54460, block, k_revision_54460);
      corpus.add("block", block_name + "-r54460", 1, at_54460.data());  // mode 1: revision 54460
    }
    write_block_packet(reencoded, code, table, block, k_revision_54460, frames_used ? &*encoder : nullptr);
  }
  return Bytes(reencoded.data().begin(), reencoded.data().end());
}

// ----- synthetic packets ---------------------------------------------------------------------------

// Packets a 18.16 server never sends but the decoder must handle: one stream per revision.
Bytes synthetic_packets(std::uint64_t revision) {
  using Code = wire::ServerPacketCode;
  wire::Writer out;
  write_server_hello(out,
                     {.name = "ClickHouse",
                      .version_major = 24,
                      .version_minor = 3,
                      .timezone = "UTC",
                      .display_name = "synthetic",
                      .version_patch = 1},
                     revision);
  out.uvarint(static_cast<std::uint64_t>(Code::pong));
  // TablesStatusResponse: one plain table, one replicated (with is_readonly at >= 54467, not here).
  out.uvarint(static_cast<std::uint64_t>(Code::tables_status_response));
  out.uvarint(2);
  out.string("default");
  out.string("plain");
  out.u8(0);
  out.string("default");
  out.string("replicated");
  out.u8(1);
  out.uvarint(42);
  out.uvarint(static_cast<std::uint64_t>(Code::table_columns));
  out.string("");
  out.string("columns format version: 1\n2 columns:\n`id` UInt64\n`s` String\n");
  out.uvarint(static_cast<std::uint64_t>(Code::part_uuids));
  out.uvarint(2);
  for (int i = 0; i < 32; ++i) out.u8(static_cast<std::uint8_t>(i));
  out.uvarint(static_cast<std::uint64_t>(Code::timezone_update));
  out.string("Europe/Berlin");
  // ProfileEvents: the modern block layout.
  {
    Block block;
    auto host = make_column(Type::simple(TypeCode::String));
    auto time = make_column(Type::simple(TypeCode::DateTime));
    auto thread = make_column(Type::simple(TypeCode::UInt64));
    auto type = make_column(Type::simple(TypeCode::Int8));
    auto event = make_column(Type::simple(TypeCode::String));
    auto value = make_column(Type::simple(TypeCode::Int64));
    for (auto* c : {&host, &time, &thread, &type, &event, &value}) (*c)->append_default();
    block.append("host_name", host);
    block.append("current_time", time);
    block.append("thread_id", thread);
    block.append("type", type);
    block.append("name", event);
    block.append("value", value);
    write_block_packet(out, Code::profile_events, "", block, revision, nullptr);
  }
  // An exception chain of two.
  out.uvarint(static_cast<std::uint64_t>(Code::exception));
  out.fixed<std::int32_t>(1000);
  out.string("DB::Exception");
  out.string("outer");
  out.string("");
  out.u8(1);
  out.fixed<std::int32_t>(60);
  out.string("DB::Exception");
  out.string("Table default.t doesn't exist.");
  out.string("0. stack");
  out.u8(0);
  return Bytes(out.data().begin(), out.data().end());
}

// ----- queries -----------------------------------------------------------------------------------

struct QuerySpec {
  std::string name;
  std::string sql;
  Settings settings{};
  bool uncompressed = true;  // also record without compression (false for large results)
};

std::vector<QuerySpec> queries() {
  const Settings lc{{"allow_experimental_low_cardinality_type", "1"}};
  return {
      {"ints",
       "SELECT toUInt8(number) AS u8, toUInt16(number * 300) AS u16, toUInt32(number * 70000) AS u32, "
       "toUInt64(number * 5000000000) AS u64, toInt8(-number) AS i8, toInt16(-300 * number) AS i16, "
       "toInt32(-70000 * number) AS i32, toInt64(-5000000000 * number) AS i64 FROM numbers(4)"},
      {"floats",
       "SELECT toFloat32(number / 3) AS f32, toFloat64(number / 7) AS f64, arrayJoin([nan, inf, -inf, -0.]) AS "
       "special FROM numbers(2)"},
      {"decimals",
       "SELECT toDecimal32(-1.5, 2) AS d32, toDecimal64(number * 1.25, 4) AS d64, toDecimal128(-number, 10) AS "
       "d128 FROM numbers(3)"},
      {"strings",
       "SELECT toString(number) AS s, arrayStringConcat(arrayMap(x -> 'x', range(number * 70))) AS long, "
       "toFixedString('ab', 4) AS fs, "
       "'\\0\\t\\n\\'' AS esc FROM numbers(3)"},
      {"dates",
       "SELECT toDate('2020-01-02') + number AS d, toDateTime('2020-01-02 03:04:05') + number AS dt, "
       "toDateTime('2020-01-02 03:04:05', 'Asia/Tokyo') AS dt_tz, toDate(0) AS zero FROM numbers(2)"},
      {"uuid",
       "SELECT toUUID('00112233-4455-6677-8899-aabbccddeeff') AS u, toUUID('00000000-0000-0000-0000-000000000000') AS "
       "z"},
      {"enums",
       "SELECT CAST('a' AS Enum8('a' = 1, 'b' = -2)) AS e8, CAST('big' AS Enum16('big' = 1000, 'small' = -1000)) AS "
       "e16, CAST(if(number = 0, 'x', 'y') AS Enum8('x' = -128, 'y' = 127)) AS e8b FROM numbers(2)"},
      {"nullable",
       "SELECT if(number = 1, NULL, number) AS n, if(number = 2, NULL, toString(number)) AS ns, NULL AS nothing, "
       "if(number = 0, NULL, toFixedString('ab', 2)) AS nfs FROM numbers(3)"},
      {"arrays",
       "SELECT [1, 2, 3] AS a, [[1, 2], [], [3]] AS aa, ['x', NULL] AS an, [] AS empty, [[['deep']]] AS a3, "
       "range(number) AS r FROM numbers(3)"},
      {"tuples",
       "SELECT (1, 'a') AS t, (number, [toString(number)], NULL) AS t2, [(1, 'x'), (2, 'y')] AS at FROM numbers(2)"},
      {"nested", "SELECT * FROM fuzz_nested"},
      {"lowcardinality_select",
       "SELECT toLowCardinality(toString(number % 2)) AS lc, toLowCardinality(toNullable(toString(number))) AS lcn "
       "FROM numbers(4)",
       lc},
      {"lowcardinality_table", "SELECT * FROM fuzz_lc", lc},
      {"nothing", "SELECT NULL AS n, [] AS e, [NULL] AS an"},
      {"exception_unknown_table", "SELECT * FROM no_such_table_for_fuzz"},
      {"exception_syntax", "SELEKT 1"},
      {"exception_midstream", "SELECT throwIf(number = 3) AS t FROM numbers(10)", Settings{{"max_block_size", "1"}}},
      {"totals_extremes", "SELECT number % 3 AS k, count() AS c FROM numbers(100) GROUP BY k WITH TOTALS ORDER BY k",
       Settings{{"extremes", "1"}}},
      {"progress", "SELECT sum(number) AS s FROM numbers(20000000)", Settings{{"max_block_size", "65536"}}},
      {"logs", "SELECT number FROM numbers(2)", Settings{{"send_logs_level", "trace"}}},
      {"multiblock", "SELECT number AS n, toString(number) AS s FROM numbers(600)",
       Settings{{"max_block_size", "200"}}},
      {"bigframe", "SELECT arrayStringConcat(arrayMap(x -> 'x', range(1000 + number % 7))) AS s FROM numbers(1200)",
       Settings{}, false},
  };
}

void setup(const Server& server) {
  execute(server, "DROP TABLE IF EXISTS fuzz_nested");
  execute(server, "CREATE TABLE fuzz_nested (id UInt8, n Nested(a UInt8, b String)) ENGINE = Memory");
  execute(server, "INSERT INTO fuzz_nested SELECT 1, [1, 2], ['x', 'y']");
  execute(server, "INSERT INTO fuzz_nested SELECT 2, [], []");
  const Settings lc{{"allow_experimental_low_cardinality_type", "1"}};
  execute(server, "DROP TABLE IF EXISTS fuzz_lc");
  execute(server,
          "CREATE TABLE fuzz_lc (s LowCardinality(String), n LowCardinality(Nullable(String)), "
          "a Array(LowCardinality(String)), t Tuple(LowCardinality(String), UInt8)) ENGINE = Memory",
          lc);
  execute(server,
          "INSERT INTO fuzz_lc SELECT toString(number % 3), if(number = 1, NULL, toString(number)), "
          "[toString(number), 'z'], (toString(number % 2), toUInt8(number)) FROM numbers(5)",
          lc);
}

const std::vector<std::string> k_dsns{
    "clickhouse://localhost",
    "clickhouse://localhost:9000/default",
    "tcp://user:secret@db1:9000,db2:9001,[::1]:9440/analytics?secure=true&compression=zstd",
    "clickhouse://app:p%40ss%3Aword@host?compression=lz4&strategy=pooled&pool_max=16&pool_min_idle=2",
    "clickhouse://host?connect_timeout=250ms&send_timeout=10s&receive_timeout=5m&query_timeout=1h"
    "&pool_acquire_timeout=1.5&cancel_drain_timeout=2s",
    "clickhouse://host?secure=yes&tls_verify=false&ca_file=/etc/ca.pem&ca_dir=/etc/certs&cert_file=c.pem"
    "&key_file=k.pem&tls_server_name=db.example.com",
    "clickhouse://host?secure=1&skip_verify=1&env=production&client_name=svc&setting.max_threads=4"
    "&setting.send_logs_level=trace",
    "clickhouse://host?pool_idle_timeout=10m&pool_max_lifetime=1h&pool_lifetime_jitter=0.25"
    "&pool_validate_after=0&pool_leak_threshold=0&env=testing",
    "clickhouse://u:pw/with?odd#chars@host:9000/db",
    "clickhouse://[fe80::1%25eth0]:9000",
    "clickhouse://h1,h2,h3/db%2Fname?compression=none",
    "clickhouse://h?pool_max=0",
    "clickhouse://h?secure=maybe",
    "clickhouse://h?unknown=1",
    "clickhouse://h:99999",
    "clickhouse://:pw@h",
    "http://h",
    "clickhouse://h/a/b",
    "clickhouse://h#frag",
    "clickhouse://h?setting.=1",
    "clickhouse://h?compression=lz4&compression=zstd",
    "clickhouse://h?tls_verify=false&skip_verify=true",
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s HOST PORT OUTDIR\n", argv[0]);
    return 2;
  }
  try {
    const Server server{argv[1], static_cast<std::uint16_t>(std::stoi(argv[2]))};
    Corpus corpus{fs::path(argv[3])};
    std::set<std::string> type_names(fuzz::k_type_names.begin(), fuzz::k_type_names.end());

    setup(server);
    for (const auto& q : queries()) {
      for (const Compression compression : {Compression::none, Compression::lz4, Compression::zstd}) {
        if (compression == Compression::none && !q.uncompressed) continue;
        const std::string name = q.name + "-" + std::string(to_string(compression));
        const Bytes reply = record_query(server, q.sql, q.settings, compression);
        const std::uint8_t compress_bit = compression != Compression::none ? 2 : 0;
        corpus.add("server_packets", name + "-r54412", compress_bit, reply);
        const Bytes reencoded = take_apart(corpus, name, reply, compression, type_names);
        corpus.add("server_packets", name + "-r54460", static_cast<std::uint8_t>(compress_bit | 1), reencoded);
        std::printf("%-40s %7zu bytes recorded\n", name.c_str(), reply.size());
      }
    }
    corpus.add("server_packets", "synthetic-r54412", 0, synthetic_packets(54412));
    corpus.add("server_packets", "synthetic-r54460", 1, synthetic_packets(k_revision_54460));
    // The same packets starting with the handshake reply (mode bit 6).
    corpus.add("server_packets", "synthetic-handshake-r54460", 0x41, synthetic_packets(k_revision_54460));

    int i = 0;
    for (const auto& t : type_names) corpus.add_text("type_name", "type-" + std::to_string(i++), 0, t);
    i = 0;
    for (const auto& d : k_dsns) {
      corpus.add_text("dsn", "dsn-" + std::to_string(i), 0, d);
      // Planted mode: user "app", the rest after the '@' (see fuzz_dsn.cpp).
      const auto at = d.find('@');
      const std::string rest = at == std::string::npos ? d.substr(d.find("://") + 3) : d.substr(at + 1);
      corpus.add_text("dsn", "planted-" + std::to_string(i), static_cast<std::uint8_t>(1 | ((i % 16) << 1)),
                      "app\n" + rest);
      ++i;
    }
    std::printf("%zu files, %llu bytes under %s\n", corpus.files(), static_cast<unsigned long long>(corpus.bytes()),
                argv[3]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "record_corpus: %s\n", e.what());
    return 1;
  }
  return 0;
}
