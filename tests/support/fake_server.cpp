#include "support/fake_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "chconn/core/error.h"
#include "chconn/wire/columns.h"
#include "chconn/wire/detail/compression.h"
#include "chconn/wire/detail/packets.h"
#include "chconn/wire/detail/protocol.h"
#include "chconn/wire/io.h"
#include "chconn/wire/types.h"
#include "wire/cityhash.h"

namespace chconn::test {

namespace {

using namespace std::chrono_literals;

constexpr std::size_t k_max_recorded_bytes = 64 * 1024;

// Thrown inside a session when the server is being destroyed: every wait ends with it.
struct Stopped {};

[[noreturn]] void sys_fail(const std::string& what) {
  throw std::runtime_error("fake server: " + what + ": " + std::strerror(errno));
}

std::string_view op_name(FakeScript::Op op) {
  switch (op) {
    case FakeScript::Op::read_bytes: return "read_bytes";
    case FakeScript::Op::read_available: return "read_available";
    case FakeScript::Op::read_hello: return "read_hello";
    case FakeScript::Op::read_query: return "read_query";
    case FakeScript::Op::read_insert_data: return "read_insert_data";
    case FakeScript::Op::read_data_packet: return "read_data_packet";
    case FakeScript::Op::read_code: return "read_code";
    case FakeScript::Op::send: return "send";
    case FakeScript::Op::send_repeated: return "send_repeated";
    case FakeScript::Op::send_modern_hello: return "send_modern_hello";
    case FakeScript::Op::close: return "close";
    case FakeScript::Op::half_close: return "half_close";
    case FakeScript::Op::stay_silent: return "stay_silent";
    case FakeScript::Op::reset: return "reset";
  }
  return "?";
}

}  // namespace

// ===== FakeScript ================================================================================

FakeScript& FakeScript::add(Step step) {
  steps_.push_back(std::move(step));
  return *this;
}

FakeScript& FakeScript::read_bytes(std::size_t n) { return add({.op = Op::read_bytes, .n = n}); }
FakeScript& FakeScript::read_available(std::chrono::milliseconds quiet) {
  return add({.op = Op::read_available, .pause = quiet});
}
FakeScript& FakeScript::read_hello() { return add({.op = Op::read_hello}); }
FakeScript& FakeScript::read_query() { return add({.op = Op::read_query}); }
FakeScript& FakeScript::read_insert_data() { return add({.op = Op::read_insert_data}); }
FakeScript& FakeScript::read_data_packet() { return add({.op = Op::read_data_packet}); }
FakeScript& FakeScript::read_code(std::uint64_t code) { return add({.op = Op::read_code, .n = code}); }
FakeScript& FakeScript::send(std::string bytes, std::size_t chunk, std::chrono::milliseconds pause) {
  return add({.op = Op::send, .bytes = std::move(bytes), .n = chunk, .pause = pause});
}
FakeScript& FakeScript::send_repeated(std::string bytes, std::size_t times, std::chrono::milliseconds pause) {
  return add({.op = Op::send_repeated, .bytes = std::move(bytes), .n = times, .pause = pause});
}
FakeScript& FakeScript::send_hello() { return send(fake::hello_18_16()); }
FakeScript& FakeScript::send_modern_hello(std::uint64_t revision) {
  return add({.op = Op::send_modern_hello, .n = static_cast<std::size_t>(revision)});
}
FakeScript& FakeScript::handshake() { return read_hello().send_hello(); }
FakeScript& FakeScript::modern_handshake(std::uint64_t revision) { return read_hello().send_modern_hello(revision); }
FakeScript& FakeScript::close() { return add({.op = Op::close}); }
FakeScript& FakeScript::half_close() { return add({.op = Op::half_close}); }
FakeScript& FakeScript::stay_silent() { return add({.op = Op::stay_silent}); }
FakeScript& FakeScript::reset() { return add({.op = Op::reset}); }

// ===== Session: one accepted connection ==========================================================

// The connection's bytes as a wire ByteSource, so the client's packets are parsed with the same
// Reader (and limits) the library uses. Every wait also watches the server's wake pipe.
class FakeServer::Session final : public wire::ByteSource {
 public:
  Session(FakeServer& server, int fd) : server_(server), fd_(fd), buffer_(64 * 1024), in_(*this) {}
  ~Session() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  std::span<const std::uint8_t> next() override {
    const std::size_t n = read_raw(buffer_.data(), buffer_.size());
    handed_out_ += n;
    return {buffer_.data(), n};
  }

  void run(const FakeScript& script) {
    const auto& steps = script.steps();
    for (std::size_t i = 0; i < steps.size(); ++i) {
      const FakeScript::Step& step = steps[i];
      try {
        if (!run_step(step)) return;  // the connection is gone (closed, reset, silent until stop)
      } catch (const Stopped&) {
        return;
      } catch (const std::exception& e) {
        server_.record_error("step " + std::to_string(i + 1) + " (" + std::string(op_name(step.op)) + "): " + e.what());
        return;
      }
      std::lock_guard lock(server_.mutex_);
      ++server_.steps_done_;
    }
    // Out of steps: keep the connection, discarding what arrives, until the client closes it.
    try {
      drain();
    } catch (...) {
      // Stopped, or a reset from the client: either way the connection is over.
    }
  }

 private:
  // Returns false when the step ended the connection.
  bool run_step(const FakeScript::Step& step) {
    using Op = FakeScript::Op;
    switch (step.op) {
      case Op::read_bytes: in_.skip(step.n); return true;
      case Op::read_available: read_available(step.pause); return true;
      case Op::read_hello: read_hello(); return true;
      case Op::read_query: read_query(); return true;
      case Op::read_insert_data:
        while (read_data_packet()) {
        }
        return true;
      case Op::read_data_packet: read_data_packet(); return true;
      case Op::read_code: {
        const std::uint64_t code = in_.uvarint();
        if (code != step.n) {
          throw std::runtime_error("expected client packet code " + std::to_string(step.n) + ", got " +
                                   std::to_string(code));
        }
        return true;
      }
      case Op::send: send(step.bytes, step.n, step.pause); return true;
      case Op::send_modern_hello:
        // The server gates the Hello's fields, and reads the client's packets, at the client's
        // advertised number capped by its own (TCPHandler: client_tcp_protocol_version).
        revision_ = wire::negotiate_revision(client_revision_, step.n);
        addendum_pending_ = wire::addendum_required(revision_);
        write_all(fake::modern_hello(step.n, client_revision_));
        return true;
      case Op::send_repeated:
        for (std::size_t i = 0; i < step.n; ++i) {
          if (i > 0 && step.pause.count() > 0) wait(-1, static_cast<int>(step.pause.count()), 0);
          write_all(step.bytes);
        }
        return true;
      case Op::close:
        ::close(fd_);
        fd_ = -1;
        return false;
      case Op::half_close:
        ::shutdown(fd_, SHUT_WR);
        drain();
        return false;
      case Op::stay_silent: wait(-1, -1, 0); throw Stopped{};
      case Op::reset: {
        const linger hard{.l_onoff = 1, .l_linger = 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        ::close(fd_);
        fd_ = -1;
        return false;
      }
    }
    return false;
  }

  // Waits until `fd` has `events` (fd < 0: only the wake pipe) or `timeout_ms` passes (-1: no
  // limit). Returns false on timeout; throws Stopped when the server is being destroyed.
  bool wait(int fd, int timeout_ms, short events) {
    for (;;) {
      pollfd fds[2] = {{server_.wake_[0], POLLIN, 0}, {fd, events, 0}};
      const int r = ::poll(fds, fd >= 0 ? 2 : 1, timeout_ms);
      if (r < 0) {
        if (errno == EINTR) continue;
        sys_fail("poll");
      }
      if (fds[0].revents != 0) throw Stopped{};
      return r > 0;
    }
  }

  // Reads at least one byte (0 at end of stream).
  std::size_t read_raw(std::uint8_t* dst, std::size_t n) {
    for (;;) {
      wait(fd_, -1, POLLIN);
      const ssize_t r = ::recv(fd_, dst, n, 0);
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        sys_fail("recv");
      }
      server_.record_received({reinterpret_cast<const char*>(dst), static_cast<std::size_t>(r)});
      return static_cast<std::size_t>(r);
    }
  }

  void send(std::string_view bytes, std::size_t chunk, std::chrono::milliseconds pause) {
    if (chunk == 0) chunk = std::max<std::size_t>(bytes.size(), 1);
    for (std::size_t off = 0; off < bytes.size(); off += chunk) {
      if (off > 0 && pause.count() > 0) {
        // The pause between pieces is the script's own timing (a slow server); the wake pipe ends it.
        wait(-1, static_cast<int>(pause.count()), 0);
      }
      write_all(bytes.substr(off, chunk));
    }
  }

  void write_all(std::string_view bytes) {
    while (!bytes.empty()) {
      wait(fd_, -1, POLLOUT);
      const ssize_t r = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        sys_fail("send");
      }
      bytes.remove_prefix(static_cast<std::size_t>(r));
    }
  }

  void read_available(std::chrono::milliseconds quiet) {
    // Bytes the Reader already holds count as arrived; then the socket is read directly, which is
    // safe because the Reader's buffer is then empty and its next refill asks next() for new bytes.
    const std::uint64_t buffered = handed_out_ - in_.position();
    in_.skip(static_cast<std::size_t>(buffered));
    std::uint8_t scratch[4096];
    if (buffered == 0 && read_raw(scratch, sizeof scratch) == 0) return;
    while (wait(fd_, static_cast<int>(quiet.count()), POLLIN)) {
      const ssize_t r = ::recv(fd_, scratch, sizeof scratch, 0);
      if (r == 0) return;
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        sys_fail("recv");
      }
      server_.record_received({reinterpret_cast<const char*>(scratch), static_cast<std::size_t>(r)});
    }
  }

  void drain() {
    std::uint8_t scratch[4096];
    for (;;) {
      wait(fd_, -1, POLLIN);
      const ssize_t r = ::recv(fd_, scratch, sizeof scratch, 0);
      if (r == 0) return;
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        return;  // a reset from the client
      }
    }
  }

  void read_hello() {
    const std::uint64_t code = in_.uvarint();
    if (code != 0) throw std::runtime_error("expected a client Hello (code 0), got code " + std::to_string(code));
    SeenHello hello;
    hello.client_name = in_.string();
    hello.version_major = in_.uvarint();
    hello.version_minor = in_.uvarint();
    hello.revision = in_.uvarint();
    hello.database = in_.string();
    hello.user = in_.string();
    hello.password = in_.string();
    // The fake answers as 18.16 (R = min(client, 54412)) unless send_modern_hello says otherwise.
    client_revision_ = hello.revision;
    revision_ = wire::negotiate_revision(hello.revision, fake::k_revision_18_16);
    addendum_pending_ = wire::addendum_required(revision_);
    std::lock_guard lock(server_.mutex_);
    server_.hellos_.push_back(std::move(hello));
  }

  // ClientInfo as ClickHouse's ClientInfo::read takes it at R (docs/protocol.md, "ClientInfo";
  // fields after 54485 from docs/en/interfaces/specs/NativeProtocol.md).
  void skip_client_info(SeenQuery& query) {
    const std::uint8_t kind = in_.u8();
    if (kind == 0) return;
    in_.string();  // initial_user
    in_.string();  // initial_query_id
    in_.string();  // initial_address
    if (revision_ >= wire::k_min_protocol_version_with_initial_query_start_time) in_.fixed<std::uint64_t>();
    const std::uint8_t interface = in_.u8();
    if (interface == 1) {
      in_.string();  // os_user
      in_.string();  // client_hostname
      in_.string();  // client_name
      in_.uvarint();
      in_.uvarint();
      in_.uvarint();
    }
    if (revision_ >= wire::k_min_revision_with_quota_key_in_client_info) in_.string();
    if (revision_ >= wire::k_min_protocol_version_with_distributed_depth) in_.uvarint();
    if (revision_ >= wire::k_min_revision_with_version_patch && interface == 1) in_.uvarint();
    if (revision_ >= wire::k_min_revision_with_opentelemetry && in_.u8() != 0) {
      in_.skip(16 + 8);
      in_.string();
      in_.u8();
    }
    if (revision_ >= wire::k_min_revision_with_parallel_replicas) {
      in_.uvarint();
      in_.uvarint();
      in_.uvarint();
    }
    if (revision_ >= wire::k_min_revision_with_query_and_line_numbers) {
      in_.uvarint();  // script_query_number
      in_.uvarint();  // script_line_number
    }
    if (revision_ >= wire::k_min_revision_with_jwt_in_interserver && in_.u8() != 0) in_.string();
    if (revision_ >= wire::k_min_revision_with_client_agent_in_client_info) query.client_agent = in_.string();
    if (revision_ >= wire::k_min_protocol_version_with_internal_query_flag) query.is_internal = in_.u8();
  }

  void read_query() {
    SeenQuery query;
    query.revision = revision_;
    if (addendum_pending_) {
      // TCPHandler::receiveAddendum: quota key, then the chunked capabilities (54470) and the
      // parallel-replicas protocol version (54471).
      query.quota_key = in_.string();
      if (revision_ >= wire::k_min_protocol_version_with_chunked_packets) {
        query.chunked_send = in_.string();
        query.chunked_recv = in_.string();
      }
      if (revision_ >= wire::k_min_revision_with_versioned_parallel_replicas_protocol)
        query.parallel_replicas_protocol_version = in_.uvarint();
      addendum_pending_ = false;
    }
    const std::uint64_t code = in_.uvarint();
    if (code != 1) throw std::runtime_error("expected a client Query (code 1), got code " + std::to_string(code));
    query.query_id = in_.string();
    if (revision_ >= wire::k_min_revision_with_client_info) skip_client_info(query);
    for (;;) {
      std::string name = in_.string();
      if (name.empty()) break;
      if (revision_ < wire::k_min_revision_with_settings_serialized_as_strings) {
        // The old binary form needs each setting's type; the scripts' clients send none.
        throw std::runtime_error("the fake server cannot parse setting '" + name + "' in the pre-54429 form");
      }
      in_.uvarint();  // flags
      in_.string();   // value
      query.settings.push_back(std::move(name));
    }
    if (revision_ >= wire::k_min_protocol_version_with_interserver_externally_granted_roles) in_.string();
    if (revision_ >= wire::k_min_revision_with_interserver_secret) in_.string();
    query.stage = in_.uvarint();
    query.compression = in_.uvarint() != 0;
    query.text = in_.string();
    if (revision_ >= wire::k_min_protocol_version_with_parameters) {
      while (!in_.string().empty()) {
        in_.uvarint();
        in_.string();
      }
    }
    compression_ = query.compression;
    {
      std::lock_guard lock(server_.mutex_);
      server_.queries_.push_back(std::move(query));
    }
    // External tables, then the empty block that ends them.
    while (read_data_packet()) {
    }
  }

  // Reads one client Data packet; returns false if its block was the empty end marker.
  bool read_data_packet() {
    const std::uint64_t code = in_.uvarint();
    if (code != 2) throw std::runtime_error("expected a client Data packet (code 2), got code " + std::to_string(code));
    const std::string table = in_.string();
    Block block;
    if (compression_) {
      wire::CompressedSource frames(in_);
      wire::Reader inner(frames, in_.limits());
      block = wire::read_block(inner, revision_);
    } else {
      block = wire::read_block(in_, revision_);
    }
    std::lock_guard lock(server_.mutex_);
    ++server_.data_packets_;
    server_.data_rows_ += block.rows();
    return !(block.empty() && table.empty());
  }

  FakeServer& server_;
  int fd_;
  std::vector<std::uint8_t> buffer_;
  std::uint64_t handed_out_ = 0;  // bytes given to in_ so far
  wire::Reader in_;
  std::uint64_t client_revision_ = 0;  // what the client's Hello advertised
  std::uint64_t revision_ = fake::k_revision_18_16;
  bool addendum_pending_ = false;
  bool compression_ = false;
};

// ===== FakeServer ================================================================================

FakeServer::FakeServer(FakeScript script) : FakeServer(std::vector<FakeScript>{std::move(script)}) {}

FakeServer::FakeServer(std::vector<FakeScript> scripts, Serving serving)
    : scripts_(std::move(scripts)), serving_(serving) {
  if (scripts_.empty()) throw std::invalid_argument("fake server: no script");
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listener_ < 0) sys_fail("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    ::close(listener_);
    sys_fail("bind 127.0.0.1:0");
  }
  if (::listen(listener_, 16) != 0) {
    ::close(listener_);
    sys_fail("listen");
  }
  socklen_t len = sizeof a;
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  if (::pipe2(wake_, O_CLOEXEC) != 0) {
    ::close(listener_);
    sys_fail("pipe");
  }
  thread_ = std::thread([this] { run(); });
}

FakeServer::~FakeServer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  // The pipe stays readable from now on, so every poll in the thread returns at once.
  const char stop = 's';
  [[maybe_unused]] const auto n = ::write(wake_[1], &stop, 1);
  thread_.join();
  for (std::thread& t : sessions_) t.join();
  ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void FakeServer::run() {
  for (;;) {
    pollfd fds[2] = {{wake_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents != 0) return;
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::size_t index = 0;
    {
      std::lock_guard lock(mutex_);
      index = static_cast<std::size_t>(connections_++);
    }
    const auto session = [this, fd, index] {
      serve(fd, index);
      {
        std::lock_guard lock(mutex_);
        ++finished_;
      }
      finished_cv_.notify_all();
    };
    if (serving_ == Serving::concurrently) {
      sessions_.emplace_back(session);  // only this thread touches sessions_ until the join
    } else {
      session();
    }
  }
}

void FakeServer::serve(int fd, std::size_t index) {
  Session session(*this, fd);
  session.run(scripts_[std::min(index, scripts_.size() - 1)]);
}

void FakeServer::record_error(std::string message) {
  std::lock_guard lock(mutex_);
  errors_.push_back(std::move(message));
}

void FakeServer::record_received(std::string_view bytes) {
  std::lock_guard lock(mutex_);
  const std::size_t room = k_max_recorded_bytes - std::min(k_max_recorded_bytes, received_.size());
  received_.append(bytes.substr(0, room));
}

int FakeServer::connections() const {
  std::lock_guard lock(mutex_);
  return connections_;
}
std::size_t FakeServer::steps_done() const {
  std::lock_guard lock(mutex_);
  return steps_done_;
}
std::vector<std::string> FakeServer::errors() const {
  std::lock_guard lock(mutex_);
  return errors_;
}
std::vector<SeenHello> FakeServer::hellos() const {
  std::lock_guard lock(mutex_);
  return hellos_;
}
std::vector<SeenQuery> FakeServer::queries() const {
  std::lock_guard lock(mutex_);
  return queries_;
}
std::size_t FakeServer::data_packets() const {
  std::lock_guard lock(mutex_);
  return data_packets_;
}
std::size_t FakeServer::data_rows() const {
  std::lock_guard lock(mutex_);
  return data_rows_;
}
std::string FakeServer::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

bool FakeServer::wait_finished(int n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return finished_cv_.wait_for(lock, timeout, [&] { return finished_ >= n; });
}

// ===== Packet builders ===========================================================================

namespace fake {

namespace {
std::string to_string(const wire::Writer& w) { return std::string(w.view()); }
}  // namespace

std::string uvarint(std::uint64_t v) {
  wire::Writer w;
  w.uvarint(v);
  return to_string(w);
}

std::string string(std::string_view s) {
  wire::Writer w;
  w.string(s);
  return to_string(w);
}

std::string hello_18_16() {
  // docs/protocol.md, "Server Hello", [live]: "ClickHouse", 18, 16, rev 54412, "Etc/UTC", "vm",
  // patch 1.
  static const unsigned char bytes[] = {0x00, 0x0a, 'C',  'l',  'i',  'c',  'k',  'H',  'o', 'u',
                                        's',  'e',  0x12, 0x10, 0x8c, 0xa9, 0x03, 0x07, 'E', 't',
                                        'c',  '/',  'U',  'T',  'C',  0x02, 'v',  'm',  0x01};
  return std::string(reinterpret_cast<const char*>(bytes), sizeof bytes);
}

namespace {
// A server Hello as TCPHandler::sendHello writes it (ClickHouse src/Server/TCPHandler.cpp, 54477
// era; the 54479 field from docs/en/interfaces/specs/NativeProtocol.md, ServerHello row 14), every
// field gated on `client_revision`, the number the client advertised. The values after the patch
// are a 26.7 server's (src/Core/ProtocolDefines.h at 54492): parallel-replicas protocol version 8,
// "notchunked" both ways, no password rules, nonce 0x0102030405060708, no settings, query plan
// serialization version 21, cluster function protocol version 11.
std::string server_hello(std::string_view name, std::uint64_t major, std::uint64_t minor, std::uint64_t revision,
                         std::uint64_t client_revision, std::string_view timezone, std::string_view display_name,
                         std::uint64_t patch) {
  const std::uint64_t r = wire::negotiate_revision(client_revision, revision);
  wire::Writer w;
  w.uvarint(0);
  w.string(name);
  w.uvarint(major);
  w.uvarint(minor);
  w.uvarint(revision);
  if (r >= wire::k_min_revision_with_versioned_parallel_replicas_protocol) w.uvarint(8);
  if (r >= wire::k_min_revision_with_server_timezone) w.string(timezone);
  if (r >= wire::k_min_revision_with_server_display_name) w.string(display_name);
  if (r >= wire::k_min_revision_with_version_patch) w.uvarint(patch);
  if (r >= wire::k_min_protocol_version_with_chunked_packets) {
    w.string(wire::k_not_chunked);  // proto_caps.send
    w.string(wire::k_not_chunked);  // proto_caps.recv
  }
  if (r >= wire::k_min_protocol_version_with_password_complexity_rules) w.uvarint(0);
  if (r >= wire::k_min_revision_with_interserver_secret_v2) w.fixed<std::uint64_t>(0x0102030405060708);
  if (r >= wire::k_min_revision_with_server_settings) w.uvarint(0);  // Settings::writeEmpty
  if (r >= wire::k_min_revision_with_query_plan_serialization) w.uvarint(21);
  if (r >= wire::k_min_revision_with_versioned_cluster_function_protocol) w.uvarint(11);
  return to_string(w);
}
}  // namespace

std::string hello_packet(std::string_view name, std::uint64_t major, std::uint64_t minor, std::uint64_t revision,
                         std::string_view timezone, std::string_view display_name, std::uint64_t patch) {
  return server_hello(name, major, minor, revision, wire::k_client_revision, timezone, display_name, patch);
}

std::string modern_hello(std::uint64_t server_revision, std::uint64_t client_revision) {
  return server_hello("ClickHouse", 26, 7, server_revision, client_revision, "UTC", "h", 3);
}

std::string exception_packet(const std::vector<ExceptionFrame>& chain) {
  wire::Writer w;
  w.uvarint(2);
  for (std::size_t i = 0; i < chain.size(); ++i) {
    w.fixed<std::int32_t>(chain[i].code);
    w.string(chain[i].name);
    w.string(chain[i].message);
    w.string(chain[i].stack_trace);
    w.u8(i + 1 < chain.size() ? 1 : 0);
  }
  return to_string(w);
}

std::string exception_packet(std::int32_t code, std::string_view name, std::string_view message) {
  return exception_packet({ExceptionFrame{code, std::string(name), std::string(message), {}}});
}

std::string progress_packet(std::uint64_t rows, std::uint64_t bytes, std::uint64_t total_rows, std::uint64_t revision) {
  wire::Writer w;
  w.uvarint(3);
  w.uvarint(rows);
  w.uvarint(bytes);
  w.uvarint(total_rows);  // R >= 51554; 18.16 stops here
  if (revision >= wire::k_min_protocol_version_with_total_bytes_in_progress) w.uvarint(0);
  if (revision >= wire::k_min_revision_with_client_write_info) {
    w.uvarint(0);  // written_rows
    w.uvarint(0);  // written_bytes
  }
  if (revision >= wire::k_min_protocol_version_with_server_query_time_in_progress) w.uvarint(1000);  // elapsed_ns
  return to_string(w);
}

std::string profile_info_packet(std::uint64_t rows, std::uint64_t blocks, std::uint64_t bytes, std::uint64_t revision) {
  wire::Writer w;
  w.uvarint(6);
  w.uvarint(rows);
  w.uvarint(blocks);
  w.uvarint(bytes);
  w.u8(0);       // applied_limit
  w.uvarint(0);  // rows_before_limit
  w.u8(1);       // calculated_rows_before_limit
  if (revision >= wire::k_min_revision_with_rows_before_aggregation) {
    w.u8(0);       // applied_aggregation
    w.uvarint(0);  // rows_before_aggregation
  }
  return to_string(w);
}

std::string timezone_update_packet(std::string_view timezone) { return uvarint(17) + string(timezone); }

std::string table_columns_packet(std::string_view table, std::string_view description,
                                 std::optional<Compression> compressed) {
  const std::string body = string(table) + string(description);
  return uvarint(11) + (compressed ? frames(body, *compressed) : body);
}

std::string profile_events_packet(const std::vector<ProfileEvent>& events, std::uint64_t revision,
                                  std::optional<Compression> compressed) {
  // TCPHandler::sendProfileEvents: the columns of ProfileEventsExt's block (Int64 values today).
  auto host = make_column(parse_type("String"));
  auto time = make_column(parse_type("DateTime"));
  auto thread = make_column(parse_type("UInt64"));
  auto type = make_column(parse_type("Enum8('increment' = 1, 'gauge' = 2)"));
  auto name = make_column(parse_type("String"));
  auto value = make_column(parse_type("Int64"));
  for (const auto& e : events) {
    column_cast<ColumnString>(*host).append("h");
    column_cast<ColumnDateTime>(*time).append(std::chrono::sys_seconds(std::chrono::seconds(1700000000)));
    column_cast<ColumnUInt64>(*thread).append(0);
    column_cast<ColumnEnum8>(*type).append(e.type);
    column_cast<ColumnString>(*name).append(e.name);
    column_cast<ColumnInt64>(*value).append(e.value);
  }
  Block block;
  block.append("host_name", host);
  block.append("current_time", time);
  block.append("thread_id", thread);
  block.append("type", type);
  block.append("name", name);
  block.append("value", value);
  const std::string body = block_bytes(block, revision);
  return uvarint(14) + string("") + (compressed ? frames(body, *compressed) : body);
}

std::string end_of_stream_packet() { return uvarint(5); }
std::string pong_packet() { return uvarint(4); }

std::string block_bytes(const Block& block, std::uint64_t revision) {
  wire::Writer w;
  wire::write_block(w, block, revision);
  return to_string(w);
}

std::string frames(std::string_view bytes, Compression method, std::size_t max_frame) {
  wire::Writer w;
  wire::FrameEncoder encoder(method, {.max_frame = max_frame});
  encoder.encode(w, std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  return to_string(w);
}

std::string data_packet_raw(std::string_view body, std::string_view table) {
  return uvarint(1) + string(table) + std::string(body);
}

std::string data_packet(const Block& block, bool compressed, Compression method, std::uint64_t revision,
                        std::string_view table) {
  const std::string body = block_bytes(block, revision);
  return data_packet_raw(compressed ? frames(body, method) : body, table);
}

std::string raw_frame(std::uint8_t method, std::string_view payload, std::uint32_t uncompressed_size,
                      std::optional<std::uint32_t> compressed_size) {
  wire::Writer body;
  body.u8(method);
  body.fixed<std::uint32_t>(
      compressed_size.value_or(static_cast<std::uint32_t>(wire::k_frame_inner_header_bytes + payload.size())));
  body.fixed<std::uint32_t>(uncompressed_size);
  body.write(payload.data(), payload.size());
  const wire::Hash128 sum = wire::city_hash128(body.data().data(), body.size());
  wire::Writer w;
  w.fixed<std::uint64_t>(sum.lo);
  w.fixed<std::uint64_t>(sum.hi);
  w.write(body.data().data(), body.size());
  return to_string(w);
}

std::string block_header(std::uint64_t columns, std::uint64_t rows) {
  static const unsigned char info[] = {0x01, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00};
  return std::string(reinterpret_cast<const char*>(info), sizeof info) + uvarint(columns) + uvarint(rows);
}

std::string column_header(std::string_view name, std::string_view type) { return string(name) + string(type); }

Block uint64_block(std::size_t rows) {
  auto column = column_cast<ColumnUInt64>(make_column(parse_type("UInt64")));
  for (std::size_t i = 0; i < rows; ++i) column->append(i);
  Block block;
  block.append("x", column);
  return block;
}

}  // namespace fake

}  // namespace chconn::test
