// net::Interrupt over an eventfd: trigger() adds to its counter (readable from then on), clear()
// reads the counter back to zero.
#include "chconn/net/interrupt.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "chconn/core/error.h"
#include "net/socket.h"

namespace chconn::net {

Interrupt::Interrupt() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) {
    throw Error(ErrorKind::network,
                "creating the descriptor that wakes a cancelled wait failed: " + detail::errno_text(errno));
  }
}

Interrupt::~Interrupt() {
  if (fd_ >= 0) ::close(fd_);
}

void Interrupt::trigger() noexcept {
  const int saved = errno;  // a signal handler must leave errno as it found it
  const std::uint64_t one = 1;
  // Fails only when the counter would overflow, in which case it is readable already.
  [[maybe_unused]] const ssize_t n = ::write(fd_, &one, sizeof one);
  errno = saved;
}

void Interrupt::clear() noexcept {
  std::uint64_t count = 0;
  while (::read(fd_, &count, sizeof count) < 0 && errno == EINTR) {
  }
}

bool Interrupt::triggered() const noexcept {
  pollfd entry{fd_, POLLIN, 0};
  return ::poll(&entry, 1, 0) > 0;
}

}  // namespace chconn::net
