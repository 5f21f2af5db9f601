// Internal to the net layer: POSIX socket helpers shared by the TCP and TLS streams — an owning
// file descriptor, waiting with poll() until a deadline, and the wording of errors.
//
// Nothing here is installed or part of the public API. Thread safety: free functions are
// thread-safe; an Fd is owned by one object.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "chconn/core/clock.h"
#include "chconn/core/error.h"

struct sockaddr;

namespace chconn::net::detail {

// An owned file descriptor, closed on destruction. -1 when empty.
class Fd {
 public:
  Fd() noexcept = default;
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes the current descriptor (if any) and takes `fd`.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// Human wording of an errno value for messages: "connection refused", "connection reset by peer".
// Never just a number.
std::string errno_text(int err);

// "host:port", with IPv6 literals in brackets. `host` is used as given (brackets are not doubled).
std::string format_host_port(std::string_view host, std::uint16_t port);

// The numeric "address:port" of a socket address (IPv6 in brackets), or "unknown address".
std::string format_sockaddr(const sockaddr* address, unsigned length);

// The time an operation had when it started: what a timeout message reports when its deadline does
// not say which limit it stands for.
inline Clock::duration budget(Deadline deadline) noexcept { return deadline.remaining(); }

// Error(timeout) "<operation> timed out after <budget>".
Error timeout_error(std::string_view operation, Clock::duration budget);
// Error(timeout) for `operation` ended by `deadline`, naming the limit that expired: "<operation>
// timed out: the query timeout of 600 s expired" for a named deadline; else "<operation> timed
// out after <its length>", or after `allowed` (the time the operation had) when its length is
// unknown. Never the time that happened to be left of a longer limit.
Error timeout_error(std::string_view operation, Deadline deadline, Clock::duration allowed);
// Error(timeout) for a call made after its deadline had passed: "<operation> timed out: the
// caller's deadline of 2 s expired" when the deadline says which limit it is or how long it was;
// else "<operation> timed out: its deadline had already passed when it was called".
Error expired_error(std::string_view operation, Deadline deadline);

enum class Wait : std::uint8_t {
  ready,        // `fd` is ready (or has an error, which the next call on it reports)
  expired,      // the deadline passed first
  interrupted,  // `interrupt_fd` became readable first (net::Interrupt::trigger())
};

// Waits until `fd` is ready for `events` (POLLIN / POLLOUT) or has an error, until `deadline`, or
// until `interrupt_fd` (when not -1) is readable; an interrupt already triggered wins over a ready
// `fd`, so a triggered Interrupt ends every wait at once. Retries after EINTR with the time left,
// never waits past the deadline and never spins. Throws Error(network) "<verb> <target>: ..." if
// poll() fails.
Wait wait_ready(int fd, short events, Deadline deadline, std::string_view verb, std::string_view target,
                int interrupt_fd = -1);

}  // namespace chconn::net::detail
