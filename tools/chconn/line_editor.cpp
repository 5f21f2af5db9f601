#include "line_editor.h"

#include <fcntl.h>
#include <histedit.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <clocale>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <cwchar>
#include <iostream>
#include <stdexcept>

namespace chconn::cli {
namespace {

// The self-pipe of the SIGINT handler that read_line() installs: the handler may only write a byte,
// and read_char() below waits on the pipe as well as on the terminal.
int g_interrupt_pipe[2] = {-1, -1};

void on_interrupt(int sig) {
  const int saved = errno;
  const char byte = sig == SIGTERM ? 't' : 'i';
  [[maybe_unused]] const ssize_t n = ::write(g_interrupt_pipe[1], &byte, 1);
  errno = saved;
}

}  // namespace

struct LineEditor::State {
  EditLine* el = nullptr;
  History* history = nullptr;
  std::string history_file;
  std::string prompt;
  std::string previous_locale;
  int interrupted_by = 0;  // SIGINT or SIGTERM, while read_line() waited
  bool warned = false;
  std::mbstate_t shift{};

  void warn(const std::string& what) {
    if (warned) return;
    warned = true;
    std::cerr << "chconn: warning: " << what << "; the history of this session is not saved\n";
  }

  static char* prompt_of(EditLine* el) {
    void* data = nullptr;
    el_get(el, EL_CLIENTDATA, &data);
    return static_cast<State*>(data)->prompt.data();
  }

  // libedit's character reader, replaced so that a Ctrl-C at the prompt ends el_gets(): it waits
  // for the terminal or the interrupt pipe, whichever is ready first. Returns 1 with a character,
  // 0 at end of input, -1 on interrupt or error (el_gets() then returns null).
  static int read_char(EditLine* el, wchar_t* out) {
    void* data = nullptr;
    el_get(el, EL_CLIENTDATA, &data);
    State& self = *static_cast<State*>(data);
    for (;;) {
      pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {g_interrupt_pipe[0], POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return -1;
      }
      if (fds[1].revents != 0) {
        char drain[16];
        ssize_t k = 0;
        while ((k = ::read(g_interrupt_pipe[0], drain, sizeof drain)) > 0) {
          for (ssize_t i = 0; i < k; ++i) {
            if (self.interrupted_by != SIGTERM) self.interrupted_by = drain[i] == 't' ? SIGTERM : SIGINT;
          }
        }
        self.shift = {};
        errno = EINTR;
        return -1;
      }
      char byte = 0;
      const ssize_t n = ::read(STDIN_FILENO, &byte, 1);
      if (n == 0) return 0;
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return -1;
      }
      const std::size_t r = std::mbrtowc(out, &byte, 1, &self.shift);
      if (r == static_cast<std::size_t>(-2)) continue;  // more bytes of one character to come
      if (r == static_cast<std::size_t>(-1)) {          // not in the locale's encoding: the byte as is
        self.shift = {};
        *out = static_cast<unsigned char>(byte);
      }
      return 1;
    }
  }
};

LineEditor::LineEditor(const char* program, std::string history_file) : state_(std::make_unique<State>()) {
  State& s = *state_;
  // Characters beyond ASCII are edited as characters: libedit works in the locale's encoding.
  if (const char* current = std::setlocale(LC_CTYPE, nullptr)) s.previous_locale = current;
  const char* chosen = std::setlocale(LC_CTYPE, "");
  if (chosen == nullptr || std::strcmp(chosen, "C") == 0 || std::strcmp(chosen, "POSIX") == 0) {
    std::setlocale(LC_CTYPE, "C.UTF-8");
  }
  if (::pipe2(g_interrupt_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error(std::string("cannot create the pipe that turns Ctrl-C into a new line: ") +
                             std::strerror(errno));
  }
  s.history = history_init();
  s.el = el_init(program, stdin, stdout, stderr);
  if (s.history == nullptr || s.el == nullptr) throw std::runtime_error("cannot start the line editor (libedit)");
  HistEvent ev{};
  history(s.history, &ev, H_SETSIZE, k_history_size);
  history(s.history, &ev, H_SETUNIQUE, 1);
  el_set(s.el, EL_CLIENTDATA, &s);
  el_set(s.el, EL_EDITOR, "emacs");
  el_set(s.el, EL_SIGNAL, 0);  // our own SIGINT handling (read_char); nothing else is caught
  el_set(s.el, EL_HIST, history, s.history);
  el_set(s.el, EL_PROMPT, &State::prompt_of);
  el_set(s.el, EL_GETCFN, &State::read_char);
  el_source(s.el, nullptr);  // the user's ~/.editrc, if any
  s.history_file = std::move(history_file);
  if (!s.history_file.empty() && ::access(s.history_file.c_str(), F_OK) == 0 &&
      history(s.history, &ev, H_LOAD, s.history_file.c_str()) < 0) {
    s.warn("cannot read the history file '" + s.history_file + "'");
  }
}

LineEditor::~LineEditor() {
  if (state_->el != nullptr) el_end(state_->el);
  if (state_->history != nullptr) history_end(state_->history);
  for (int& fd : g_interrupt_pipe) {
    ::close(fd);
    fd = -1;
  }
  if (!state_->previous_locale.empty()) std::setlocale(LC_CTYPE, state_->previous_locale.c_str());
}

LineEditor::Input LineEditor::read_line(const std::string& prompt) {
  State& s = *state_;
  s.prompt = prompt;
  s.interrupted_by = 0;
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  struct sigaction previous_int {};
  struct sigaction previous_term {};
  ::sigaction(SIGINT, &action, &previous_int);
  ::sigaction(SIGTERM, &action, &previous_term);
  int count = 0;
  const char* line = el_gets(s.el, &count);
  ::sigaction(SIGINT, &previous_int, nullptr);
  ::sigaction(SIGTERM, &previous_term, nullptr);
  if (s.interrupted_by != 0) {
    // Keys typed before the Ctrl-C and not read yet belong to the line it drops (the terminal
    // flushes them too, unless NOFLSH is set). el_gets() has put the terminal back in cooked mode;
    // what follows starts on a new line.
    ::tcflush(STDIN_FILENO, TCIFLUSH);
    std::fputs("\n", stdout);
    std::fflush(stdout);
    if (s.interrupted_by == SIGTERM) return Terminated{};
    return Interrupted{};
  }
  if (line == nullptr || count <= 0) return EndOfInput{};
  std::string text(line, static_cast<std::size_t>(count));
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

void LineEditor::add(const std::string& entry) {
  State& s = *state_;
  HistEvent ev{};
  history(s.history, &ev, H_ENTER, entry.c_str());
  if (s.history_file.empty() || s.warned) return;
  // Made private before libedit writes it (fopen would use the umask, usually 0644).
  const int fd = ::open(s.history_file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  if (fd < 0 || history(s.history, &ev, H_SAVE, s.history_file.c_str()) < 0) {
    s.warn("cannot write the history file '" + s.history_file + "'");
  }
}

}  // namespace chconn::cli
