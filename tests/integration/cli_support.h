// Running the chconn CLI and clickhouse-client as child processes, for the CLI integration tests.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/sandbox.h"

namespace chconn::test {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal if killed by one
  std::string out;
  std::string err;
  bool timed_out = false;
};

// A child process with piped stdin, stdout and stderr.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::vector<std::string>& env_extra = {}) {
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) {
      throw std::runtime_error("pipe failed");
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
      for (const auto& e : env_extra) ::putenv(const_cast<char*>(e.c_str()));
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    in_ = in[1];
    out_ = out[0];
    err_ = err[0];
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    for (int fd : {in_, out_, err_}) {
      if (fd >= 0) ::close(fd);
    }
  }

  pid_t pid() const noexcept { return pid_; }

  // Feeds `input`, collects stdout and stderr until the child exits or `timeout` passes (then
  // kills it).
  ProcessResult finish(const std::string& input = {}, std::chrono::seconds timeout = std::chrono::seconds(120)) {
    ProcessResult r;
    std::size_t written = 0;
    if (input.empty()) {
      ::close(in_);
      in_ = -1;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out_ >= 0 || err_ >= 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        r.timed_out = true;
        ::kill(pid_, SIGKILL);
        break;
      }
      pollfd fds[3];
      int n = 0;
      if (out_ >= 0) fds[n++] = {out_, POLLIN, 0};
      if (err_ >= 0) fds[n++] = {err_, POLLIN, 0};
      if (in_ >= 0) fds[n++] = {in_, POLLOUT, 0};
      if (::poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<long long>(left.count(), 1000))) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      for (int i = 0; i < n; ++i) {
        if (!fds[i].revents) continue;
        if (fds[i].fd == in_) {
          const ssize_t k = ::write(in_, input.data() + written, input.size() - written);
          if (k > 0) written += static_cast<std::size_t>(k);
          if (k < 0 || written == input.size()) {
            ::close(in_);
            in_ = -1;
          }
          continue;
        }
        char buf[65536];
        const ssize_t k = ::read(fds[i].fd, buf, sizeof buf);
        std::string& sink = fds[i].fd == out_ ? r.out : r.err;
        if (k > 0) {
          sink.append(buf, static_cast<std::size_t>(k));
        } else {
          ::close(fds[i].fd);
          (fds[i].fd == out_ ? out_ : err_) = -1;
        }
      }
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
  }

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
};

inline ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input = {},
                                 const std::vector<std::string>& env_extra = {}) {
  Child child(argv, env_extra);
  return child.finish(input);
}

// The chconn binary: $CHCONN_CLI_BINARY, or bin/chconn of the build tree this test program is in
// (tests/integration/integration_tests → ../../bin/chconn).
inline std::string chconn_binary() {
  if (const char* env = std::getenv("CHCONN_CLI_BINARY"); env && *env) return env;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto candidate = self.parent_path().parent_path().parent_path() / "bin" / "chconn";
    if (std::filesystem::exists(candidate)) return candidate.string();
  }
  return {};
}

inline std::string clickhouse_client_binary() {
  if (const char* env = std::getenv("CHCONN_CLICKHOUSE_CLIENT"); env && *env) return env;
  return "/usr/bin/clickhouse-client";
}

// What the differential CLI tests compare: stdout, stderr's first line and the exit status.
struct CliRun {
  std::string out;
  std::string first_err_line;
  int exit_code;
};

// chconn (`ours`) or clickhouse-client with `--port <port> args...`, `input` on stdin and
// `env_extra` added to the environment.
inline CliRun run_cli_at(bool ours, std::uint16_t port, const std::vector<std::string>& args,
                         const std::string& input = {}, const std::vector<std::string>& env_extra = {}) {
  std::vector<std::string> argv{ours ? chconn_binary() : clickhouse_client_binary(), "--port", std::to_string(port)};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = run_process(argv, input, env_extra);
  return {r.out, r.err.substr(0, r.err.find('\n')), r.exit_code};
}

// run_cli_at() on the main sandbox.
inline CliRun run_cli(bool ours, const std::vector<std::string>& args, const std::string& input = {},
                      const std::vector<std::string>& env_extra = {}) {
  return run_cli_at(ours, sandbox("main").native_port, args, input, env_extra);
}

}  // namespace chconn::test
