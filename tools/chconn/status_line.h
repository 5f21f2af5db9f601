// One line of status on stderr that is redrawn in place (`\r`, then the text, then "erase to the
// end of the line"): the query's progress line and `chconn bench`'s bar. Used only when stderr is a
// terminal; the caller decides that. Not thread-safe: one drawing thread.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace chconn::cli {

class StatusLine {
 public:
  void show(std::string_view text) {
    std::string line = "\r";
    line += text;
    line += "\033[K";
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    shown_ = true;
  }

  // Erases the line if it was drawn, leaving the cursor at its start.
  void clear() {
    if (!shown_) return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    shown_ = false;
  }

  bool shown() const noexcept { return shown_; }

 private:
  bool shown_ = false;
};

}  // namespace chconn::cli
