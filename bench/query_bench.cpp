// Whole-query benchmarks against a running ClickHouse server (scripts/bench-queries starts a
// sandbox and runs this with CHCONN_BENCH_PORT set, next to clickhouse-client as the baseline).
//
//   CHCONN_BENCH_PORT=9000 ./query_bench --benchmark_filter=ReadUInt64
//
// Figures are rows (or round trips) per second; nothing is asserted.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "chconn/connection/native_connection.h"
#include "chconn/wire/columns.h"
#include "chconn/wire/detail/compression.h"
#include "chconn/wire/detail/packets.h"

namespace {

using namespace std::chrono_literals;

chconn::Config bench_config(chconn::Compression compression) {
  chconn::Config config;
  const char* host = std::getenv("CHCONN_BENCH_HOST");
  const char* port = std::getenv("CHCONN_BENCH_PORT");
  config.hosts = {{host ? host : "127.0.0.1", static_cast<std::uint16_t>(port ? std::atoi(port) : 9000)}};
  config.compression = compression;
  config.timeouts.query = 3600s;
  return config;
}

std::unique_ptr<chconn::NativeConnection> open(chconn::Compression compression) {
  const auto config = bench_config(compression);
  return chconn::NativeConnection::connect(config, config.hosts.front(), chconn::Deadline::after(10s));
}

chconn::Compression compression_arg(const benchmark::State& state) {
  return static_cast<chconn::Compression>(state.range(0));
}

void set_label(benchmark::State& state) { state.SetLabel(std::string(chconn::to_string(compression_arg(state)))); }

// SELECT 1 round trips on one connection.
void BM_SelectOne(benchmark::State& state) {
  auto conn = open(compression_arg(state));
  for (auto _ : state) {
    auto r = conn->execute("SELECT 1");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  set_label(state);
}

// 10^8 UInt64 read in full, every value touched.
void BM_ReadUInt64(benchmark::State& state) {
  auto conn = open(compression_arg(state));
  const std::uint64_t rows = static_cast<std::uint64_t>(state.range(1));
  for (auto _ : state) {
    std::uint64_t sum = 0, seen = 0;
    conn->select("SELECT number FROM system.numbers LIMIT " + std::to_string(rows), [&](const chconn::Block& b) {
      for (std::uint64_t v : b.column_as<chconn::ColumnUInt64>(0).data()) sum += v;
      seen += b.rows();
    });
    if (seen != rows) state.SkipWithError("wrong row count");
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows));
  set_label(state);
}

// toString(number): strings of 1-8 bytes.
void BM_ReadStrings(benchmark::State& state) {
  auto conn = open(compression_arg(state));
  const std::uint64_t rows = static_cast<std::uint64_t>(state.range(1));
  for (auto _ : state) {
    std::uint64_t bytes = 0;
    conn->select("SELECT toString(number) FROM system.numbers LIMIT " + std::to_string(rows),
                 [&](const chconn::Block& b) {
                   const auto& col = b.column_as<chconn::ColumnString>(0);
                   for (std::size_t i = 0; i < col.size(); ++i) bytes += col[i].size();
                 });
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows));
  set_label(state);
}

constexpr std::size_t k_insert_block_rows = 100000;

// The insert benchmarks' data: `rows` (UInt64, String) rows in blocks of 100,000.
std::vector<chconn::Block> insert_data(std::size_t rows) {
  const std::size_t block_rows = k_insert_block_rows;
  const std::size_t blocks = rows / block_rows;
  std::vector<chconn::Block> data;
  for (std::size_t b = 0; b < blocks; ++b) {
    auto id = chconn::column_cast<chconn::ColumnUInt64>(chconn::make_column(chconn::parse_type("UInt64")));
    auto name = chconn::column_cast<chconn::ColumnString>(chconn::make_column(chconn::parse_type("String")));
    for (std::size_t i = 0; i < block_rows; ++i) {
      const std::uint64_t v = b * block_rows + i;
      id->append(v);
      name->append("name-" + std::to_string(v));
    }
    chconn::Block block;
    block.append("id", id);
    block.append("name", name);
    data.push_back(std::move(block));
  }
  return data;
}

// 10^7 (UInt64, String) rows into a Null table, in blocks of 100,000.
void BM_InsertNull(benchmark::State& state) {
  auto conn = open(compression_arg(state));
  conn->execute("CREATE TABLE IF NOT EXISTS bench_null (id UInt64, name String) ENGINE = Null");
  const auto data = insert_data(static_cast<std::size_t>(state.range(1)));
  for (auto _ : state) conn->insert("bench_null", data);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * data.size() * k_insert_block_rows));
  set_label(state);
}

// A bare TCP socket to the bench server: the replay baseline's transport.
class RawSocket final : public chconn::wire::ByteSource {
 public:
  // To the bench server (the first host of `config`).
  explicit RawSocket(const chconn::Config& config) {
    const std::string& host = config.hosts.front().host;
    const std::uint16_t port = config.hosts.front().port;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) throw std::runtime_error("replay: IPv4 host only");
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("replay: no socket");
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw std::runtime_error("replay: cannot connect");
    }
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~RawSocket() override { ::close(fd_); }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  void send_all(std::span<const std::uint8_t> bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::runtime_error("replay: send failed");
      bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
  }
  // Hello (and the addendum where the revision has one); returns the negotiated revision.
  std::uint64_t handshake(chconn::wire::Reader& in) {
    chconn::wire::ClientHello hello;
    chconn::wire::Writer out;
    chconn::wire::write_hello(out, hello);
    send_all(out.data());
    const auto server = chconn::wire::read_hello_reply(in, hello.revision);
    const std::uint64_t revision = chconn::wire::negotiate_revision(hello.revision, server.revision);
    if (chconn::wire::addendum_required(revision)) {
      out.clear();
      chconn::wire::write_addendum(out, {}, revision);
      send_all(out.data());
    }
    return revision;
  }

  // Reads the server's packets up to EndOfStream; false (and the benchmark skipped) on an exception.
  static bool read_to_end(chconn::wire::Reader& in, std::uint64_t revision, bool compressed, benchmark::State& state) {
    chconn::wire::PacketContext context;
    context.revision = revision;
    context.compression = compressed;
    for (;;) {
      const auto packet = chconn::wire::read_server_packet(in, context);
      if (packet.code == chconn::wire::ServerPacketCode::end_of_stream) return true;
      if (packet.code == chconn::wire::ServerPacketCode::exception) {
        state.SkipWithError(std::get<chconn::wire::ServerException>(packet.body).error.what());
        return false;
      }
    }
  }

  std::span<const std::uint8_t> next() override {
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::runtime_error("replay: recv failed");
      return {buffer_.data(), static_cast<std::size_t>(n)};
    }
  }

 private:
  int fd_ = -1;
  std::vector<std::uint8_t> buffer_ = std::vector<std::uint8_t>(std::size_t{1} << 16);
};

// A request encoded once, before timing, and replayed from a bare socket: each iteration only
// writes its bytes and reads the server's replies to EndOfStream. No client can run the same
// request faster against this server, so a benchmark's time over its replay is what the client adds.
class Replay {
 public:
  // `sql` and, for an INSERT, the blocks it sends (then the empty block that ends them).
  Replay(chconn::Compression compression, const std::string& sql, const std::vector<chconn::Block>* data = nullptr)
      : compressed_(compression != chconn::Compression::none),
        socket_(bench_config(compression)),
        in_(socket_),
        revision_(socket_.handshake(in_)) {
    chconn::wire::FrameEncoder encoder(compressed_ ? compression : chconn::Compression::lz4);
    chconn::wire::FrameEncoder* frames = compressed_ ? &encoder : nullptr;
    chconn::wire::Query query;
    query.text = sql;
    query.compression = compressed_;
    chconn::wire::write_query(request_, query, revision_);
    chconn::wire::write_end_of_data(request_, revision_, frames);  // no external tables
    if (data != nullptr) {
      for (const auto& block : *data) chconn::wire::write_data(request_, "", block, revision_, frames);
      chconn::wire::write_end_of_data(request_, revision_, frames);
    }
  }

  // One replay; false (and the benchmark skipped) if the server answered with an exception.
  bool run(benchmark::State& state) {
    socket_.send_all(request_.data());
    return RawSocket::read_to_end(in_, revision_, compressed_, state);
  }

 private:
  bool compressed_;
  RawSocket socket_;
  chconn::wire::Reader in_;
  std::uint64_t revision_;
  chconn::wire::Writer request_;
};

// The server's own bound for BM_InsertNull.
void BM_InsertNullReplay(benchmark::State& state) {
  const chconn::Compression compression = compression_arg(state);
  open(compression)->execute("CREATE TABLE IF NOT EXISTS bench_null (id UInt64, name String) ENGINE = Null");
  const auto data = insert_data(static_cast<std::size_t>(state.range(1)));
  Replay replay(compression, "INSERT INTO bench_null VALUES", &data);
  for (auto _ : state) {
    if (!replay.run(state)) return;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * data.size() * k_insert_block_rows));
  set_label(state);
}

// The server's own bound for BM_SelectOne.
void BM_SelectOneReplay(benchmark::State& state) {
  Replay replay(compression_arg(state), "SELECT 1");
  for (auto _ : state) {
    if (!replay.run(state)) return;
  }
  state.SetItemsProcessed(state.iterations());
  set_label(state);
}

constexpr int k_none = static_cast<int>(chconn::Compression::none);
constexpr int k_lz4 = static_cast<int>(chconn::Compression::lz4);

BENCHMARK(BM_SelectOne)->Arg(k_none)->Arg(k_lz4)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_ReadUInt64)
    ->Args({k_none, 100000000})
    ->Args({k_lz4, 100000000})
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadStrings)
    ->Args({k_none, 20000000})
    ->Args({k_lz4, 20000000})
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InsertNull)
    ->Args({k_none, 10000000})
    ->Args({k_lz4, 10000000})
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SelectOneReplay)->Arg(k_none)->Arg(k_lz4)->MinTime(2.0)->UseRealTime();
BENCHMARK(BM_InsertNullReplay)
    ->Args({k_none, 10000000})
    ->Args({k_lz4, 10000000})
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
