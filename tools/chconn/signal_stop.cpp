#include "signal_stop.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <string>

namespace chconn::cli {
namespace {

// Process-wide state of the one SignalStop (see the header). Written by the handler: only
// lock-free atomics of sig_atomic_t and a write() to a pipe.
volatile std::sig_atomic_t g_signal = 0;
int g_pipe[2] = {-1, -1};
struct sigaction g_previous_int {};
struct sigaction g_previous_term {};

void on_signal(int sig) {
  if (g_signal != 0) {
    // Second signal: the user does not want to wait for the cancel to finish.
    static constexpr char k_line[] = "chconn: interrupted again; exiting without waiting for the server\n";
    [[maybe_unused]] const ssize_t w = ::write(STDERR_FILENO, k_line, sizeof k_line - 1);
    ::_exit(128 + sig);
  }
  const int saved = errno;
  g_signal = sig;
  const char byte = 's';
  [[maybe_unused]] const ssize_t n = ::write(g_pipe[1], &byte, 1);
  errno = saved;
}

}  // namespace

SignalStop::SignalStop() {
  if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error(std::string("cannot create the pipe that turns Ctrl-C into a cancel: ") +
                             std::strerror(errno));
  }
  g_signal = 0;
  // The watcher ends when the write end is closed (the destructor), or after acting on a signal.
  watcher_ = std::jthread([this, read_end = g_pipe[0]] {
    for (;;) {
      pollfd entry{read_end, POLLIN, 0};
      const int ready = ::poll(&entry, 1, -1);
      if (ready < 0 && errno == EINTR) continue;
      char byte = 0;
      const ssize_t n = ::read(read_end, &byte, 1);
      if (n == 1) {
        source_.request_stop();
        return;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      return;  // end of file: the SignalStop is going away
    }
  });
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &action, &g_previous_int);
  ::sigaction(SIGTERM, &action, &g_previous_term);
}

SignalStop::~SignalStop() {
  ::sigaction(SIGINT, &g_previous_int, nullptr);
  ::sigaction(SIGTERM, &g_previous_term, nullptr);
  ::close(g_pipe[1]);  // wakes the watcher with end of file, if it still waits
  g_pipe[1] = -1;
  if (watcher_.joinable()) watcher_.join();
  ::close(g_pipe[0]);
  g_pipe[0] = -1;
}

int SignalStop::signal() const noexcept { return static_cast<int>(g_signal); }

const char* SignalStop::signal_name() const noexcept {
  switch (signal()) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "a signal";
  }
}

}  // namespace chconn::cli
