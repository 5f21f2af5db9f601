// TCP streams and connect_tcp(): non-blocking sockets waited on with poll() until a deadline.
#include "chconn/net/tcp.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>
#include <utility>

#include "chconn/core/error.h"
#include "chconn/net/interrupt.h"
#include "net/socket.h"
#include "net/tcp_connect.h"

namespace chconn::net {

std::string_view to_string(AddressFamily family) noexcept {
  switch (family) {
    case AddressFamily::any: return "any";
    case AddressFamily::ipv4: return "ipv4";
    case AddressFamily::ipv6: return "ipv6";
  }
  return "unknown";
}

namespace detail {
namespace {

#ifdef MSG_NOSIGNAL
constexpr int k_send_flags = MSG_NOSIGNAL;  // a closed peer gives EPIPE, never SIGPIPE
#else
constexpr int k_send_flags = 0;  // SO_NOSIGPIPE is set on the socket instead
#endif

// Largest single recv/send: keeps the ssize_t result meaningful.
constexpr std::size_t k_max_io = static_cast<std::size_t>(INT_MAX);

class TcpStream final : public Stream {
 public:
  // `label` names the peer in messages: the address, or "name:port (address)" when connected by name.
  TcpStream(Fd fd, std::string peer, std::string label)
      : fd_(std::move(fd)), peer_(std::move(peer)), label_(std::move(label)) {}
  ~TcpStream() override { close(); }

  std::size_t read_some(void* buf, std::size_t n, Deadline deadline) override {
    check_usable("read from");
    if (n == 0)
      throw Error(ErrorKind::usage, "read_some from " + label_ + " with an empty buffer (0 means end of stream)");
    if (deadline.expired()) throw expired_error("read from " + label_, deadline);
    const Clock::duration allowed = budget(deadline);
    const std::size_t want = std::min(n, k_max_io);
    for (;;) {
      const ssize_t got = ::recv(fd_.get(), buf, want, 0);
      if (got > 0) return static_cast<std::size_t>(got);
      if (got == 0) return 0;
      const int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) {
        const Wait wait = wait_ready(fd_.get(), POLLIN, deadline, "read from", label_,
                                     interrupt_ != nullptr ? interrupt_->native_handle() : -1);
        if (wait == Wait::expired) throw timeout_error("read from " + label_, deadline, allowed);
        if (wait == Wait::interrupted) {
          throw Error(ErrorKind::cancelled, "read from " + label_ + ": the wait was interrupted (nothing was read)");
        }
        continue;
      }
      throw Error(ErrorKind::network, "read from " + label_ + ": " + errno_text(err));
    }
  }

  void write_all(const void* data, std::size_t n, Deadline deadline) override {
    check_usable("write to");
    if (n == 0) return;
    if (deadline.expired()) throw expired_error("write to " + label_, deadline);
    const Clock::duration allowed = budget(deadline);
    const auto* p = static_cast<const unsigned char*>(data);
    std::size_t done = 0;
    while (done < n) {
      const ssize_t sent = ::send(fd_.get(), p + done, std::min(n - done, k_max_io), k_send_flags);
      if (sent > 0) {
        done += static_cast<std::size_t>(sent);
        continue;
      }
      const int err = sent < 0 ? errno : EAGAIN;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) {
        if (wait_ready(fd_.get(), POLLOUT, deadline, "write to", label_) == Wait::expired) {
          throw Error(ErrorKind::timeout, timeout_error("write to " + label_, deadline, allowed).message() + " (" +
                                              progress(done, n) + ")");
        }
        continue;
      }
      throw Error(ErrorKind::network,
                  "write to " + label_ + ": " + errno_text(err) + (done > 0 ? " (" + progress(done, n) + ")" : ""));
    }
  }

  void close() noexcept override { fd_.reset(); }
  bool is_open() const noexcept override { return static_cast<bool>(fd_); }
  std::string peer() const override { return peer_; }
  int native_handle() const noexcept override { return fd_.get(); }
  void set_interrupt(const Interrupt* interrupt) noexcept override { interrupt_ = interrupt; }

 private:
  void check_usable(const char* what) const {
    if (!fd_) throw Error(ErrorKind::usage, std::string(what) + " " + label_ + ": the stream is closed");
  }
  static std::string progress(std::size_t done, std::size_t n) {
    return "after writing " + std::to_string(done) + " of " + std::to_string(n) + " bytes";
  }

  Fd fd_;
  std::string peer_;
  std::string label_;
  const Interrupt* interrupt_ = nullptr;  // see set_interrupt()
};

void set_int_option(int fd, int level, int name, int value, const char* what, const std::string& target) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
    throw Error(ErrorKind::network, "connect to " + target + ": cannot set " + what + ": " + errno_text(errno));
  }
}

Fd open_socket(int family, const std::string& target) {
#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
  Fd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP));
  if (!fd) throw Error(ErrorKind::network, "connect to " + target + ": cannot create a socket: " + errno_text(errno));
#else
  Fd fd(::socket(family, SOCK_STREAM, IPPROTO_TCP));
  if (!fd) throw Error(ErrorKind::network, "connect to " + target + ": cannot create a socket: " + errno_text(errno));
  if (::fcntl(fd.get(), F_SETFD, FD_CLOEXEC) != 0 ||
      ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK) != 0) {
    throw Error(ErrorKind::network, "connect to " + target + ": cannot configure the socket: " + errno_text(errno));
  }
#endif
#ifdef SO_NOSIGPIPE
  set_int_option(fd.get(), SOL_SOCKET, SO_NOSIGPIPE, 1, "SO_NOSIGPIPE", target);
#endif
  return fd;
}

void apply_options(int fd, const TcpOptions& options, const std::string& target) {
  // Buffer sizes must be set before connect() for the window scale to follow them.
  if (options.send_buffer_bytes > 0) {
    set_int_option(fd, SOL_SOCKET, SO_SNDBUF, options.send_buffer_bytes, "SO_SNDBUF", target);
  }
  if (options.receive_buffer_bytes > 0) {
    set_int_option(fd, SOL_SOCKET, SO_RCVBUF, options.receive_buffer_bytes, "SO_RCVBUF", target);
  }
  if (options.no_delay) set_int_option(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY", target);
  if (options.keep_alive) {
    set_int_option(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE", target);
#ifdef TCP_KEEPIDLE
    if (options.keep_alive_idle.count() > 0) {
      set_int_option(fd, IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(options.keep_alive_idle.count()), "TCP_KEEPIDLE",
                     target);
    }
#endif
#ifdef TCP_KEEPINTVL
    if (options.keep_alive_interval.count() > 0) {
      set_int_option(fd, IPPROTO_TCP, TCP_KEEPINTVL, static_cast<int>(options.keep_alive_interval.count()),
                     "TCP_KEEPINTVL", target);
    }
#endif
#ifdef TCP_KEEPCNT
    if (options.keep_alive_count > 0) {
      set_int_option(fd, IPPROTO_TCP, TCP_KEEPCNT, options.keep_alive_count, "TCP_KEEPCNT", target);
    }
#endif
  }
}

// One attempt: returns the connected socket or throws (network, or timeout at `deadline`, reported
// as timeout_error(..., deadline, allowed) does).
Fd connect_one(const Endpoint& endpoint, const TcpOptions& options, Deadline deadline, Clock::duration allowed) {
  Fd fd = open_socket(endpoint.address.ss_family, endpoint.text);
  apply_options(fd.get(), options, endpoint.text);
  const auto* address = reinterpret_cast<const sockaddr*>(&endpoint.address);
  if (::connect(fd.get(), address, endpoint.length) == 0) return fd;
  const int err = errno;
  // EINTR: a non-blocking connect goes on asynchronously, exactly as after EINPROGRESS.
  if (err != EINPROGRESS && err != EINTR) {
    throw Error(ErrorKind::network, "connect to " + endpoint.text + ": " + errno_text(err));
  }
  if (wait_ready(fd.get(), POLLOUT, deadline, "connect to", endpoint.text) == Wait::expired) {
    throw timeout_error("connect to " + endpoint.text, deadline, allowed);
  }
  int so_error = 0;
  socklen_t length = sizeof so_error;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &length) != 0) so_error = errno;
  if (so_error != 0) throw Error(ErrorKind::network, "connect to " + endpoint.text + ": " + errno_text(so_error));
  return fd;
}

}  // namespace

std::unique_ptr<Stream> connect_endpoints(std::string_view label, const std::vector<Endpoint>& endpoints,
                                          const TcpOptions& options, Deadline deadline) {
  return connect_endpoints(label, endpoints, options, deadline, budget(deadline));
}

std::unique_ptr<Stream> connect_endpoints(std::string_view label, const std::vector<Endpoint>& endpoints,
                                          const TcpOptions& options, Deadline deadline, Clock::duration allowed) {
  const std::string target(label);
  if (endpoints.empty()) throw Error(ErrorKind::network, "connect to " + target + ": no address to connect to");
  if (deadline.expired()) throw expired_error("connect to " + target, deadline);

  std::vector<std::string> failures;  // "address: reason", in the order tried
  bool all_timeouts = true;
  std::size_t tried = 0;
  for (const Endpoint& endpoint : endpoints) {
    if (deadline.expired()) break;
    // Timeouts are reported as the limit that applied: the per-address connect_timeout, or the
    // caller's whole budget for the first attempt (what is left of it for later ones).
    const Deadline per_address = Deadline::after(options.connect_timeout);
    const bool own_limit = per_address.when() < deadline.when();
    const Clock::duration reported =
        own_limit ? Clock::duration(options.connect_timeout) : (tried == 0 ? allowed : budget(deadline));
    ++tried;
    try {
      Fd fd = connect_one(endpoint, options, own_limit ? per_address : deadline, reported);
      std::string name = target == endpoint.text ? endpoint.text : target + " (" + endpoint.text + ")";
      return std::make_unique<TcpStream>(std::move(fd), endpoint.text, std::move(name));
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::timeout) all_timeouts = false;
      failures.push_back(e.message());
    }
  }

  const bool deadline_passed = tried < endpoints.size() || deadline.expired();
  const ErrorKind kind = deadline_passed || all_timeouts ? ErrorKind::timeout : ErrorKind::network;
  std::string message;
  if (endpoints.size() == 1) {
    // "connect to 127.0.0.1:9000: connection refused", naming the host too when it is a name.
    const std::string& address = endpoints.front().text;
    const std::string prefix = "connect to " + address;
    message = failures.empty() ? prefix + " timed out after " + duration_text(allowed) : failures.front();
    if (target != address && message.starts_with(prefix)) {
      message = "connect to " + target + " (" + address + ")" + message.substr(prefix.size());
    }
  } else {
    message = "connect to " + target + " failed on every address (" + std::to_string(endpoints.size()) + "): ";
    for (std::size_t i = 0; i < failures.size(); ++i) {
      if (i > 0) message += "; ";
      // Each failure reads "connect to <address>...": the prefix is said once, above.
      std::string_view failure = failures[i];
      if (failure.starts_with("connect to ")) failure.remove_prefix(std::strlen("connect to "));
      message += failure;
    }
    if (tried < endpoints.size()) {
      message += (failures.empty() ? "" : "; ") + std::to_string(endpoints.size() - tried) +
                 " address(es) not tried: the deadline (" + duration_text(allowed) + ") passed";
    }
  }
  throw Error(kind, std::move(message));
}

}  // namespace detail

std::unique_ptr<Stream> connect_tcp(const std::string& host, std::uint16_t port, const TcpOptions& options,
                                    Deadline deadline) {
  if (host.empty()) throw Error(ErrorKind::config, "connect: the host name is empty");
  const std::string target = detail::format_host_port(host, port);
  if (port == 0) throw Error(ErrorKind::config, "connect to " + target + ": port 0 is not a valid port");
  if (options.connect_timeout <= std::chrono::milliseconds::zero()) {
    throw Error(ErrorKind::config, "connect to " + target + ": connect_timeout must be positive");
  }
  if (deadline.expired()) throw detail::expired_error("connect to " + target, deadline);
  const Clock::duration allowed = detail::budget(deadline);
  // A DNS server that does not answer costs at most connect_timeout or the caller's budget,
  // whichever is less; a timeout reports that limit. Without a shared resolver, one made for this
  // call (nothing cached).
  const Deadline per_resolve = Deadline::after(options.connect_timeout).named("the connect timeout");
  const bool own_limit = per_resolve.when() < deadline.when();
  const Deadline resolve_by = own_limit ? per_resolve : deadline;
  const Clock::duration resolve_allowed = own_limit ? Clock::duration(options.connect_timeout) : allowed;
  std::vector<detail::Endpoint> endpoints =
      options.resolver ? detail::resolve(*options.resolver, host, port, options.family, resolve_by, resolve_allowed)
                       : detail::resolve(Resolver(), host, port, options.family, resolve_by, resolve_allowed);
  return detail::connect_endpoints(target, endpoints, options, deadline, allowed);
}

}  // namespace chconn::net
