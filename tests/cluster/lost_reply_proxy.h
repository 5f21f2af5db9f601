// A TCP proxy on 127.0.0.1 in front of one server that can lose the server's answer to an insert,
// as a network that fails after the server has done its work but before the client hears of it.
//
// Armed, the next connection that sends a Query packet is watched: its traffic is forwarded until
// the server's second reply from then on (the first is an insert's sample block, answering the
// query; the second its acknowledgement, answering the data), and then both sides are closed
// instead of forwarding that reply. (A Query is told by its first byte, 1, in the first read of
// the client's turn; handshakes and pings do not take the arming.) A reply is what the server sends after the client
// last sent something, however many reads it takes. The server has stored the block; the client sees the connection
// closed in the middle of a reply.
//
// Threads: one accepts, one per connection forwards both ways with poll(). Loopback only; every
// socket is closed by the destructor, which joins the threads.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace chconn::test {

class LostReplyProxy {
 public:
  explicit LostReplyProxy(std::uint16_t target_port) : target_port_(target_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener_ < 0) throw std::runtime_error("LostReplyProxy: socket failed");
    sockaddr_in a = loopback(0);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener_, 64) != 0) {
      ::close(listener_);
      throw std::runtime_error("LostReplyProxy: bind/listen failed");
    }
    socklen_t len = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  LostReplyProxy(const LostReplyProxy&) = delete;
  LostReplyProxy& operator=(const LostReplyProxy&) = delete;

  ~LostReplyProxy() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    acceptor_.join();
    ::close(listener_);
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      threads.swap(threads_);
    }
    for (std::thread& t : threads) t.join();
  }

  std::uint16_t port() const noexcept { return port_; }
  // The next connection to send a Query loses the server's second reply from then on.
  void arm() noexcept { armed_ = true; }
  bool armed() const noexcept { return armed_; }
  // Replies lost so far.
  int dropped() const noexcept { return dropped_; }

 private:
  static sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
  }

  void accept_loop() {
    while (!stopping_) {
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) {
        if (stopping_) return;
        continue;
      }
      const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a = loopback(target_port_);
      if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        if (server >= 0) ::close(server);
        ::close(client);
        continue;
      }
      // No Nagle delay on either leg: the proxy forwards each read at once, as the peers write them.
      const int one = 1;
      ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard lock(mutex_);
      threads_.emplace_back([this, client, server] { forward(client, server); });
    }
  }

  // Both directions of one connection, until either side closes, the proxy stops, or the watched
  // reply is dropped.
  void forward(int client, int server) {
    std::array<pollfd, 2> fds{pollfd{client, POLLIN, 0}, pollfd{server, POLLIN, 0}};
    std::array<char, 65536> buffer{};
    bool watched = false;
    bool client_spoke_last = false;
    int replies = 0;
    while (!stopping_) {
      const int ready = ::poll(fds.data(), fds.size(), 100);
      if (ready < 0) break;
      if (ready == 0) continue;
      bool closed = false;
      for (std::size_t i = 0; i < fds.size() && !closed; ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        const ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
        if (n <= 0) {
          closed = true;
          break;
        }
        const bool from_client = i == 0;
        if (from_client) {
          // A client read that starts after a reply starts with a packet: 1 is Query (0 Hello, 4 Ping).
          if (!watched && !client_spoke_last && buffer[0] == 1 && armed_.exchange(false)) watched = true;
          client_spoke_last = true;
        } else {
          if (watched && client_spoke_last && ++replies == 2) {
            ++dropped_;
            closed = true;
            break;
          }
          client_spoke_last = false;
        }
        if (!write_all(fds[1 - i].fd, buffer.data(), static_cast<std::size_t>(n))) closed = true;
      }
      if (closed) break;
    }
    ::shutdown(client, SHUT_RDWR);
    ::shutdown(server, SHUT_RDWR);
    ::close(client);
    ::close(server);
  }

  static bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
      const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
      if (n <= 0) return false;
      data += n;
      size -= static_cast<std::size_t>(n);
    }
    return true;
  }

  std::uint16_t target_port_;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> armed_{false};
  std::atomic<int> dropped_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

}  // namespace chconn::test
