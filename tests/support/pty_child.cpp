#include "support/pty_child.h"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace chconn::test {

using Steady = std::chrono::steady_clock;

PtyChild::PtyChild(const std::vector<std::string>& argv, const std::vector<std::string>& env_extra) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  winsize size{};
  size.ws_col = 200;
  size.ws_row = 50;
  pid_ = ::forkpty(&master_, nullptr, nullptr, &size);
  if (pid_ < 0) throw std::runtime_error(std::string("forkpty failed: ") + std::strerror(errno));
  if (pid_ == 0) {
    for (const auto& e : env_extra) ::putenv(const_cast<char*>(e.c_str()));
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::fcntl(master_, F_SETFD, FD_CLOEXEC);
}

PtyChild::~PtyChild() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (master_ >= 0) ::close(master_);
}

void PtyChild::type(std::string_view keys) {
  while (!keys.empty()) {
    const ssize_t n = ::write(master_, keys.data(), keys.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("writing to the terminal failed: ") + std::strerror(errno));
    }
    keys.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool PtyChild::read_some(std::chrono::milliseconds wait) {
  if (closed_) return false;
  pollfd entry{master_, POLLIN, 0};
  const int ready = ::poll(&entry, 1, static_cast<int>(std::max<long long>(wait.count(), 0)));
  if (ready < 0) return errno == EINTR;
  if (ready == 0) return true;
  char buf[4096];
  const ssize_t n = ::read(master_, buf, sizeof buf);
  if (n > 0) {
    output_.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  closed_ = true;  // EOF, or EIO once the child's side is closed
  return false;
}

bool PtyChild::wait_for(std::string_view text, std::size_t from, std::chrono::milliseconds timeout) {
  const auto give_up = Steady::now() + timeout;
  for (;;) {
    const std::size_t at = output_.find(text, std::min(from, output_.size()));
    if (at != std::string::npos) {
      mark_ = at + text.size();
      return true;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - Steady::now());
    if (left.count() <= 0 || !read_some(std::min(left, std::chrono::milliseconds(200)))) return false;
  }
}

bool PtyChild::wait_for(std::string_view text, std::chrono::milliseconds timeout) {
  return wait_for(text, mark_, timeout);
}

bool PtyChild::wait_for_prompt(std::string_view text, std::size_t from, std::chrono::milliseconds timeout) {
  const auto give_up = Steady::now() + timeout;
  if (!wait_for(text, from, timeout)) return false;
  for (;;) {
    termios mode{};  // on Linux the master reports the terminal's (the child's side's) modes
    if (::tcgetattr(master_, &mode) == 0 && (mode.c_lflag & ICANON) == 0) return true;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - Steady::now());
    if (left.count() <= 0 || !read_some(std::min(left, std::chrono::milliseconds(5)))) return false;
  }
}

bool PtyChild::wait_for_prompt(std::string_view text, std::chrono::milliseconds timeout) {
  return wait_for_prompt(text, mark_, timeout);
}

int PtyChild::wait_exit(std::chrono::milliseconds timeout) {
  const auto give_up = Steady::now() + timeout;
  int status = 0;
  for (;;) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      while (read_some(std::chrono::milliseconds(0)) && !closed_) {
        // the rest of what it wrote; a closed terminal ends this
        pollfd entry{master_, POLLIN, 0};
        if (::poll(&entry, 1, 0) <= 0) break;
      }
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - Steady::now());
    if (left.count() <= 0) return -1;
    if (!read_some(std::min(left, std::chrono::milliseconds(50)))) {
      // The terminal is closed; the child is exiting. Wait for it without spinning on the terminal.
      pollfd none{-1, 0, 0};
      ::poll(&none, 0, 10);
    }
  }
}

}  // namespace chconn::test
