// SIGINT and SIGTERM during queries: the first one requests stop on a std::stop_source (the running
// query is cancelled on the server and drained), a second one ends the process at once.
//
// A signal handler may only do async-signal-safe work, so the handler records the signal and writes
// one byte to a self-pipe; a watcher thread reads the pipe and calls request_stop(). A second
// signal, while the first is being acted on, makes the handler write a fixed line to stderr and
// _exit(128 + signal) without waiting for the server. So does the watcher when the process is still
// running `grace` after the first signal: a call that cannot see the stop (one long call into the
// embedded engine, which has no cancel inside a call) does not keep the process alive.
//
// Lifetime: one SignalStop at a time in a process (the handlers are process-wide); the constructor
// installs the handlers, the destructor restores the previous ones and joins the watcher.
#pragma once

#include <chrono>
#include <stop_token>
#include <thread>

namespace chconn::cli {

class SignalStop {
 public:
  // `grace`: how long the first signal's cancel may take (the drain) before the process exits; zero
  // for never (the interactive prompt, where a second Ctrl-C ends the process).
  explicit SignalStop(std::chrono::milliseconds grace);
  SignalStop(const SignalStop&) = delete;
  SignalStop& operator=(const SignalStop&) = delete;
  ~SignalStop();

  // Stopped on the first SIGINT or SIGTERM.
  std::stop_token token() const noexcept { return source_.get_token(); }
  // The first signal received (SIGINT, SIGTERM), or 0.
  int signal() const noexcept;
  // The exit status for it, as a shell reports a process killed by it: 128 + signal (130, 143).
  int exit_status() const noexcept { return 128 + signal(); }
  // "SIGINT" or "SIGTERM".
  const char* signal_name() const noexcept;

 private:
  std::stop_source source_;
  std::jthread watcher_;
};

}  // namespace chconn::cli
