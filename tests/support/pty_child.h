// A child process on a pseudo-terminal, for tests of what a program does when a user types at it
// (chconn's interactive prompt): keys are written to the terminal, everything the program writes to
// it (stdout and stderr alike) is collected, and every read is bounded by a timeout — tests wait for
// a text to appear (a prompt, a summary line), never for a fixed time.
//
// Lifetime: the destructor kills the child (SIGKILL) if it still runs and reaps it. One thread
// uses a PtyChild.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace chconn::test {

class PtyChild {
 public:
  // Runs argv[0] (a path) with argv on a new terminal of 200 columns by 50 lines, with the test's
  // environment plus `env_extra` ("NAME=VALUE", overriding). Throws std::runtime_error if the
  // terminal cannot be made.
  explicit PtyChild(const std::vector<std::string>& argv, const std::vector<std::string>& env_extra = {});
  PtyChild(const PtyChild&) = delete;
  PtyChild& operator=(const PtyChild&) = delete;
  ~PtyChild();

  pid_t pid() const noexcept { return pid_; }

  // Writes keys to the terminal ("\r" is Enter, "\x03" Ctrl-C, "\x04" Ctrl-D, "\x1b[A" up-arrow).
  void type(std::string_view keys);

  // Reads until `text` appears in the output after position `from` (see mark()), the child closes
  // the terminal, or `timeout` passes. Returns whether it appeared.
  bool wait_for(std::string_view text, std::size_t from, std::chrono::milliseconds timeout);
  // The same from the last mark(); each successful wait moves the mark past the text found.
  bool wait_for(std::string_view text, std::chrono::milliseconds timeout);

  // wait_for(text), and then until the program reads the terminal key by key (its line editor has
  // switched off canonical mode). A line editor shows its prompt before it switches, so a key typed
  // as soon as the prompt shows could still be taken by the terminal's own line discipline (Ctrl-D
  // there is end-of-file, not a key); tests type after this returns.
  bool wait_for_prompt(std::string_view text, std::size_t from, std::chrono::milliseconds timeout);
  bool wait_for_prompt(std::string_view text, std::chrono::milliseconds timeout);

  // Everything read from the terminal so far, and a position in it.
  const std::string& output() const noexcept { return output_; }
  std::size_t mark() const noexcept { return mark_; }
  void set_mark(std::size_t at) noexcept { mark_ = at; }
  // The output from the mark to the end.
  std::string since_mark() const { return output_.substr(mark_); }

  // Reads until the child exits or `timeout` passes. Returns its exit status, 128 + the signal that
  // ended it, or -1 when it still runs (the destructor kills it).
  int wait_exit(std::chrono::milliseconds timeout);

 private:
  // One bounded read into output_; false once the terminal is closed.
  bool read_some(std::chrono::milliseconds wait);

  pid_t pid_ = -1;
  int master_ = -1;
  bool closed_ = false;
  std::string output_;
  std::size_t mark_ = 0;
};

}  // namespace chconn::test
