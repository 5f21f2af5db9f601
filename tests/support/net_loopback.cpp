#include "support/net_loopback.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace chconn::test {

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("loopback test peer: " + what + ": " + std::strerror(errno));
}

}  // namespace

int bind_loopback_socket(IpFamily family, std::uint16_t port, int receive_buffer_bytes) {
  const int domain = family == IpFamily::v4 ? AF_INET : AF_INET6;
  const int fd = ::socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (receive_buffer_bytes > 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof receive_buffer_bytes);
  }
  int rc = 0;
  if (family == IpFamily::v4) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
  } else {
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_loopback;
    rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a);
  }
  if (rc != 0) {
    const int err = errno;
    ::close(fd);
    errno = err;
    fail("bind " + loopback_host(family) + ":" + std::to_string(port));
  }
  return fd;
}

std::uint16_t socket_port(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) fail("getsockname");
  if (a.ss_family == AF_INET) {
    sockaddr_in in4;
    std::memcpy(&in4, &a, sizeof in4);
    return ntohs(in4.sin_port);
  }
  sockaddr_in6 in6;
  std::memcpy(&in6, &a, sizeof in6);
  return ntohs(in6.sin6_port);
}

namespace {

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

struct Connection {
  int fd = -1;
  std::string out;       // bytes still to send
  std::string received;  // reply_after: what was read so far
  std::size_t count = 0;
  bool replied = false;
  bool close_when_flushed = false;
};

}  // namespace

std::string loopback_host(IpFamily family) { return family == IpFamily::v4 ? "127.0.0.1" : "::1"; }

bool loopback_available(IpFamily family) {
  try {
    ::close(bind_loopback_socket(family, 0));
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

LoopbackServer::LoopbackServer(LoopbackServerOptions options) : options_(options) {
  listener_ = bind_loopback_socket(options_.family, options_.port, options_.receive_buffer_bytes);
  if (::listen(listener_, 64) != 0) fail("listen");
  set_nonblocking(listener_);
  port_ = socket_port(listener_);
  if (::pipe2(wake_, O_CLOEXEC) != 0) fail("pipe");
  thread_ = std::thread([this] { run(); });
}

LoopbackServer::~LoopbackServer() {
  const char stop = 's';
  [[maybe_unused]] const auto n = ::write(wake_[1], &stop, 1);
  thread_.join();
  ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void LoopbackServer::run() {
  std::vector<Connection> connections;
  std::vector<char> buffer(256 * 1024);
  constexpr std::size_t k_max_pending = 4u << 20;  // stop reading while this much is unsent
  for (;;) {
    std::vector<pollfd> fds;
    fds.push_back({wake_[0], POLLIN, 0});
    fds.push_back({listener_, POLLIN, 0});
    for (const Connection& c : connections) {
      short events = 0;
      if (options_.mode != ServerMode::silent && c.out.size() < k_max_pending && !c.close_when_flushed) {
        events |= POLLIN;
      }
      if (!c.out.empty()) events |= POLLOUT;
      fds.push_back({c.fd, events, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents != 0) break;
    const std::size_t polled = connections.size();  // fds[2 + i] belongs to connections[i], i < polled
    if (fds[1].revents & POLLIN) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0) {
        accepted_.fetch_add(1);
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (options_.mode == ServerMode::close_at_once) {
          ::close(fd);
        } else {
          Connection c;
          c.fd = fd;
          if (options_.mode == ServerMode::garbage) {
            c.out = k_garbage_reply;
            c.close_when_flushed = options_.close_garbage;
          }
          connections.push_back(std::move(c));
        }
      }
    }
    // Connections accepted just now are polled next round; those closed now are erased after.
    for (std::size_t i = 0; i < polled; ++i) {
      Connection& c = connections[i];
      const short revents = fds[2 + i].revents;
      if (revents == 0 || c.fd < 0) continue;
      bool drop = false;
      if (options_.mode == ServerMode::silent) {
        drop = (revents & (POLLHUP | POLLERR)) != 0;  // the client went away; nothing else to do
      }
      if (!drop && (revents & (POLLIN | POLLHUP | POLLERR)) && options_.mode != ServerMode::silent) {
        const ssize_t n = ::recv(c.fd, buffer.data(), buffer.size(), 0);
        if (n <= 0) {
          drop = n == 0 || (errno != EAGAIN && errno != EINTR);
        } else {
          received_.fetch_add(static_cast<std::size_t>(n));
          const std::string_view data(buffer.data(), static_cast<std::size_t>(n));
          c.count += data.size();
          switch (options_.mode) {
            case ServerMode::echo: c.out += data; break;
            case ServerMode::close_after: drop = c.count >= options_.bytes; break;
            case ServerMode::reply_after:
              if (c.replied) {
                c.out += data;
              } else {
                c.received += data;
                if (c.received.size() >= options_.bytes) {
                  c.out += c.received;
                  c.received.clear();
                  c.replied = true;
                }
              }
              break;
            default: break;  // garbage: discard
          }
        }
      }
      if (!drop && (revents & POLLOUT) && !c.out.empty()) {
        const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n > 0) {
          c.out.erase(0, static_cast<std::size_t>(n));
          if (c.out.empty() && c.close_when_flushed) drop = true;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
          drop = true;
        }
      }
      if (drop) {
        ::close(c.fd);
        c.fd = -1;
      }
    }
    std::erase_if(connections, [](const Connection& c) { return c.fd < 0; });
  }
  for (Connection& c : connections) ::close(c.fd);
}

RefusedPort::RefusedPort(IpFamily family, std::uint16_t port) : family_(family) {
  fd_ = bind_loopback_socket(family, port);
  port_ = socket_port(fd_);
}

RefusedPort::~RefusedPort() { ::close(fd_); }

BlackholePort::BlackholePort(IpFamily family) : family_(family) {
  listener_ = bind_loopback_socket(family, 0);
  if (::listen(listener_, 0) != 0) fail("listen");
  port_ = socket_port(listener_);
  // Take the only queue slot with a connection that is never accepted.
  filler_ = ::socket(family == IpFamily::v4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (filler_ < 0) fail("socket");
  int rc = 0;
  if (family == IpFamily::v4) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = ::connect(filler_, reinterpret_cast<const sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port_);
    a.sin6_addr = in6addr_loopback;
    rc = ::connect(filler_, reinterpret_cast<const sockaddr*>(&a), sizeof a);
  }
  if (rc != 0) fail("connect the filler");
}

BlackholePort::~BlackholePort() {
  ::close(filler_);
  ::close(listener_);
}

}  // namespace chconn::test
