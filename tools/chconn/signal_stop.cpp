#include "signal_stop.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>

namespace chconn::cli {
namespace {

// Process-wide state of the one SignalStop (see the header). Written by the handler: only a
// lock-free atomic and a write() to a pipe. The signal is taken with exchange(), so that of two
// signals delivered at once (to two threads) exactly one is the first.
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free atomic");
int g_pipe[2] = {-1, -1};
// Set when the SignalStop starts going away: the grace's exit no longer applies.
std::atomic<bool> g_ending{false};
struct sigaction g_previous_int {};
struct sigaction g_previous_term {};

void on_signal(int sig) {
  if (g_signal.exchange(sig) != 0) {
    // Second signal: the user does not want to wait for the cancel to finish.
    static constexpr char k_line[] = "chconn: interrupted again; exiting without waiting for the server\n";
    [[maybe_unused]] const ssize_t w = ::write(STDERR_FILENO, k_line, sizeof k_line - 1);
    ::_exit(128 + sig);
  }
  const int saved = errno;
  const char byte = 's';
  [[maybe_unused]] const ssize_t n = ::write(g_pipe[1], &byte, 1);
  errno = saved;
}

}  // namespace

SignalStop::SignalStop(std::chrono::milliseconds grace) {
  if (::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error(std::string("cannot create the pipe that turns Ctrl-C into a cancel: ") +
                             std::strerror(errno));
  }
  g_signal.store(0);
  g_ending.store(false);
  // The watcher ends when the write end is closed (the destructor), or after acting on a signal.
  // It is made with SIGINT and SIGTERM blocked, which it keeps, so that they reach the threads
  // that run queries and never this one.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  struct RestoreMask {
    sigset_t mask;
    ~RestoreMask() { ::pthread_sigmask(SIG_SETMASK, &mask, nullptr); }
  } restore{};
  ::pthread_sigmask(SIG_BLOCK, &stop_signals, &restore.mask);
  watcher_ = std::jthread([this, read_end = g_pipe[0], grace] {
    using Clock = std::chrono::steady_clock;
    std::optional<Clock::time_point> give_up;  // set by the first signal
    for (;;) {
      int wait_ms = -1;
      if (give_up) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(*give_up - Clock::now()).count();
        if (left <= 0) {
          if (g_ending.load()) return;  // the call ended in time and the SignalStop is going away
          const std::string line = std::string("chconn: the query did not stop within ") +
                                   std::to_string(grace.count()) + " ms of " + signal_name() +
                                   "; exiting without waiting for it\n";
          [[maybe_unused]] const ssize_t w = ::write(STDERR_FILENO, line.data(), line.size());
          ::_exit(exit_status());
        }
        wait_ms = static_cast<int>(std::min<std::int64_t>(left, std::numeric_limits<int>::max()));
      }
      pollfd entry{read_end, POLLIN, 0};
      const int ready = ::poll(&entry, 1, wait_ms);
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) continue;  // the grace is checked above
      char byte = 0;
      const ssize_t n = ::read(read_end, &byte, 1);
      if (n == 1) {
        if (!give_up && grace.count() > 0) give_up = Clock::now() + grace;
        source_.request_stop();
        continue;
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
  g_ending.store(true);
  ::sigaction(SIGINT, &g_previous_int, nullptr);
  ::sigaction(SIGTERM, &g_previous_term, nullptr);
  ::close(g_pipe[1]);  // wakes the watcher with end of file, if it still waits
  g_pipe[1] = -1;
  if (watcher_.joinable()) watcher_.join();
  ::close(g_pipe[0]);
  g_pipe[0] = -1;
}

int SignalStop::signal() const noexcept { return g_signal.load(); }

const char* SignalStop::signal_name() const noexcept {
  switch (signal()) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "a signal";
  }
}

}  // namespace chconn::cli
