// Loopback TCP peers for the net layer's tests: a server thread that echoes, stays silent, closes,
// or answers garbage; a port that refuses connections; a port that never answers a connect.
//
// Everything listens on 127.0.0.1 or ::1 only, on a port the kernel picks, and is torn down by its
// destructor (RAII): the thread is stopped and joined and every socket closed.
//
// Thread safety: construct and destroy from one thread; port(), host() and the counters may be read
// from any thread while the server runs.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace chconn::test {

enum class IpFamily { v4, v6 };

// "127.0.0.1" or "::1".
std::string loopback_host(IpFamily family);

// True when a socket can be bound to the family's loopback address (::1 may be missing in some
// containers).
bool loopback_available(IpFamily family);

// A new TCP socket (close-on-exec) bound to the family's loopback address and `port` (0: any free
// port), with SO_RCVBUF set when `receive_buffer_bytes` > 0. The caller owns the descriptor.
// Throws std::runtime_error on failure.
int bind_loopback_socket(IpFamily family, std::uint16_t port, int receive_buffer_bytes = 0);

// The local port a socket is bound to.
std::uint16_t socket_port(int fd);

enum class ServerMode {
  echo,           // writes back everything it reads
  silent,         // accepts and keeps the connection open; never reads or writes
  close_at_once,  // accepts and closes at once (an orderly FIN; the client's reads see end of stream)
  close_after,    // reads `bytes` bytes, then closes mid-stream
  reply_after,    // reads `bytes` bytes, then sends exactly those bytes back, then echoes
  garbage,        // sends a fixed non-TLS text at once ("HTTP/1.0 400 ..."), discards what it reads
};

struct LoopbackServerOptions {
  ServerMode mode = ServerMode::echo;
  IpFamily family = IpFamily::v4;
  std::size_t bytes = 0;         // for close_after and reply_after
  int receive_buffer_bytes = 0;  // SO_RCVBUF of accepted sockets; 0: the system's default
  std::uint16_t port = 0;        // 0: a free port chosen by the kernel
  bool close_garbage = false;    // garbage mode: close right after sending the garbage
};

// The text the garbage mode sends.
inline constexpr const char* k_garbage_reply = "HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n";

class LoopbackServer {
 public:
  explicit LoopbackServer(LoopbackServerOptions options = {});
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string host() const { return loopback_host(options_.family); }
  // Connections accepted so far.
  int accepted() const noexcept { return accepted_.load(); }
  // Bytes read from all connections so far.
  std::size_t bytes_received() const noexcept { return received_.load(); }

 private:
  void run();

  LoopbackServerOptions options_;
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::atomic<std::size_t> received_{0};
  std::thread thread_;
};

// A loopback port where connecting is refused at once: a bound socket that does not listen, kept
// for the object's life so no one else takes the port.
class RefusedPort {
 public:
  explicit RefusedPort(IpFamily family = IpFamily::v4, std::uint16_t port = 0);
  ~RefusedPort();
  RefusedPort(const RefusedPort&) = delete;
  RefusedPort& operator=(const RefusedPort&) = delete;
  std::uint16_t port() const noexcept { return port_; }
  std::string host() const { return loopback_host(family_); }

 private:
  IpFamily family_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// A loopback port where connect() never completes: a listener with a backlog of 0 whose only queue
// slot is taken by a connection that is never accepted, so the kernel drops further SYNs.
class BlackholePort {
 public:
  explicit BlackholePort(IpFamily family = IpFamily::v4);
  ~BlackholePort();
  BlackholePort(const BlackholePort&) = delete;
  BlackholePort& operator=(const BlackholePort&) = delete;
  std::uint16_t port() const noexcept { return port_; }
  std::string host() const { return loopback_host(family_); }

 private:
  IpFamily family_;
  int listener_ = -1;
  int filler_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace chconn::test
