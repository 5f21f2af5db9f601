// Line editing and history for chconn's interactive prompt, over Debian's libedit (BSD licence,
// so it may be linked into chconn, which is Apache-2.0; GNU readline is GPL and may not be).
//
// read_line() shows a prompt and returns one edited line. Ctrl-C at the prompt does not end the
// process: while read_line() waits, SIGINT is caught, the line being typed is dropped, and
// read_line() returns Interrupted so that the caller can drop its multi-line buffer too. SIGTERM
// at the prompt returns Terminated (the terminal is restored first, which dying of the signal would
// not do). Ctrl-D on an empty line returns EndOfInput.
//
// History is kept in memory (at most k_history_size entries) and, when a file is named, loaded from
// it at start and written back after every add(), so that a killed session loses nothing. The file
// is made with mode 0600: statements may hold passwords (CREATE USER ... IDENTIFIED BY). A file
// that cannot be read or written is warned about on stderr once, and the session goes on.
//
// Lifetime and threads: one LineEditor at a time, used by one thread (libedit and the SIGINT
// handler it installs during read_line() are process-wide). Only for a terminal on stdin.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>

namespace chconn::cli {

class LineEditor {
 public:
  static constexpr int k_history_size = 10000;

  struct Interrupted {};
  struct Terminated {};
  struct EndOfInput {};
  using Input = std::variant<std::string, Interrupted, Terminated, EndOfInput>;

  // `program` names the libedit configuration (~/.editrc sections); `history_file` empty keeps the
  // history in memory only.
  LineEditor(const char* program, std::string history_file);
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;
  ~LineEditor();

  // Shows `prompt` and reads one line, without its line end.
  Input read_line(const std::string& prompt);
  // Adds an entry (a whole statement, perhaps of several lines) to the history and saves the file.
  void add(const std::string& entry);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace chconn::cli
