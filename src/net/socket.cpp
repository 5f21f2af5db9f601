#include "net/socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>
#include <system_error>

namespace chconn::net::detail {

void Fd::reset(int fd) noexcept {
  if (fd_ >= 0) {
    // close() is not retried after EINTR: on Linux the descriptor is released either way, and a
    // retry could close a descriptor another thread has just been given.
    ::close(fd_);
  }
  fd_ = fd;
}

std::string errno_text(int err) {
  switch (err) {
    case ECONNREFUSED: return "connection refused";
    case ECONNRESET: return "connection reset by peer";
    case EPIPE: return "connection closed by peer (broken pipe)";
    case ECONNABORTED: return "connection aborted";
    case ETIMEDOUT: return "connection timed out in the operating system (no answer from the peer)";
    case EHOSTUNREACH: return "host unreachable";
    case ENETUNREACH: return "network unreachable";
    case ENETDOWN: return "network is down";
    case EADDRNOTAVAIL: return "address not available";
    case EAFNOSUPPORT: return "address family not supported";
    case EMFILE:
    case ENFILE: return "too many open files";
    case ENOBUFS:
    case ENOMEM: return "out of memory for sockets";
    case EACCES:
    case EPERM: return "not permitted";
    default: break;
  }
  std::string text = std::generic_category().message(err);
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] - 'A' + 'a');
  return text;
}

std::string format_host_port(std::string_view host, std::uint16_t port) {
  std::string out;
  const bool bracket = host.find(':') != std::string_view::npos && !host.starts_with('[');
  if (bracket) out += '[';
  out += host;
  if (bracket) out += ']';
  out += ':';
  out += std::to_string(port);
  return out;
}

std::string format_sockaddr(const sockaddr* address, unsigned length) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address == nullptr) return "unknown address";
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    sockaddr_in in4;
    std::memcpy(&in4, address, sizeof in4);
    if (::inet_ntop(AF_INET, &in4.sin_addr, text, sizeof text) == nullptr) return "unknown address";
    return format_host_port(text, ntohs(in4.sin_port));
  }
  if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    sockaddr_in6 in6;
    std::memcpy(&in6, address, sizeof in6);
    if (::inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text) == nullptr) return "unknown address";
    return format_host_port(text, ntohs(in6.sin6_port));
  }
  return "unknown address";
}

Error timeout_error(std::string_view operation, Clock::duration budget) {
  std::string message(operation);
  message += " timed out after ";
  message += duration_text(budget);
  return Error(ErrorKind::timeout, std::move(message));
}

Error timeout_error(std::string_view operation, Deadline deadline, Clock::duration allowed) {
  if (deadline.limit() == nullptr) {
    return timeout_error(operation, deadline.length() > Clock::duration::zero() ? deadline.length() : allowed);
  }
  std::string message(operation);
  message += " timed out: ";
  message += deadline.describe();
  message += " expired";
  return Error(ErrorKind::timeout, std::move(message));
}

Error expired_error(std::string_view operation, Deadline deadline) {
  std::string message(operation);
  if (deadline.limit() == nullptr && deadline.length() <= Clock::duration::zero()) {
    message += " timed out: its deadline had already passed when it was called";
    return Error(ErrorKind::timeout, std::move(message));
  }
  message += " timed out: ";
  message += deadline.describe();
  message += " expired";
  return Error(ErrorKind::timeout, std::move(message));
}

Wait wait_ready(int fd, short events, Deadline deadline, std::string_view verb, std::string_view target,
                int interrupt_fd) {
  for (;;) {
    int timeout_ms = -1;
    if (!deadline.is_never()) {
      const Clock::duration left = deadline.remaining();
      if (left <= Clock::duration::zero()) return Wait::expired;
      // Round up so that poll() does not return just before the deadline and make us spin.
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
      timeout_ms = ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
    }
    std::array<pollfd, 2> entries{};
    entries[0].fd = fd;
    entries[0].events = events;
    entries[1].fd = interrupt_fd;  // poll() ignores a negative descriptor
    entries[1].events = POLLIN;
    const int ready = ::poll(entries.data(), interrupt_fd >= 0 ? 2 : 1, timeout_ms);
    if (ready > 0) {
      if (entries[1].revents != 0) return Wait::interrupted;
      return Wait::ready;  // readiness, or POLLERR/POLLHUP: the next call reports which
    }
    if (ready == 0) continue;  // the loop checks the deadline again
    const int err = errno;
    if (err == EINTR) continue;
    throw Error(ErrorKind::network,
                std::string(verb) + " " + std::string(target) + ": waiting for the socket failed: " + errno_text(err));
  }
}

}  // namespace chconn::net::detail
