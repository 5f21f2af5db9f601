// The query command's interactive prompt (see query.h and the top of query.cpp): a prompt, line
// editing and history, statements that end at ';' or '\\G', Ctrl-C that cancels the running
// statement only, exit and quit.
#include <unistd.h>

#include <cctype>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>
#include <variant>

#include "line_editor.h"
#include "query.h"
#include "signal_stop.h"

namespace chconn::cli::query {
namespace {

// The words that end an interactive session, as clickhouse-client knows them (any letter case, a
// ';' after them allowed).
bool is_exit_command(std::string_view line) {
  line = trim_blank(line);
  if (!line.empty() && line.back() == ';') line = trim_blank(line.substr(0, line.size() - 1));
  std::string word(line);
  for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return word == "exit" || word == "quit" || word == "logout" || word == "q" || word == "\\q" || word == ":q";
}

// The history file of the interactive prompt: --history-file, else $CHCONN_HISTORY_FILE, else
// ~/.chconn_history; empty (no file) when none of them is set.
std::string history_file_path(const std::string& flag, bool flag_given) {
  if (flag_given) return flag;
  if (const char* env = std::getenv("CHCONN_HISTORY_FILE"); env != nullptr) return env;
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.chconn_history";
  }
  return {};
}

// SIGINT ignored while it lives: in the interactive session between prompts and statements, where a
// Ctrl-C must not end the process (the prompt and each statement install their own handling, and
// restore this one after).
class IgnoreInterrupts {
 public:
  IgnoreInterrupts() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGINT, &ignore, &previous_);
  }
  ~IgnoreInterrupts() { ::sigaction(SIGINT, &previous_, nullptr); }
  IgnoreInterrupts(const IgnoreInterrupts&) = delete;
  IgnoreInterrupts& operator=(const IgnoreInterrupts&) = delete;

 private:
  struct sigaction previous_ {};
};

}  // namespace

// The interactive session (see the top of this file). Returns the exit status: 0 when the user
// leaves, 143 for SIGTERM.
int QueryCommand::run_interactive(ConnectionFactory& factory, const Settings& settings, text::OutputFormat format,
                                  const Params& params, bool show_progress) {
  Lease lease = factory.acquire(Deadline::never());  // a server that cannot be reached ends chconn
  const IgnoreInterrupts ignore_interrupts;          // from here on Ctrl-C never ends the session
  const ServerInfo info = lease->server_info();
  std::cout << "Connected to ClickHouse server version " << version_of(info) << " revision " << info.revision << ".\n\n"
            << std::flush;
  text::FormatOptions options = text::options_for_server(info.version_major, info.version_minor, info.timezone);
  options.pretty_color = info.version_major < 21 || ::isatty(STDOUT_FILENO) != 0;  // as run() decides
  apply_output_settings(settings, options);
  apply_input_settings(settings, input_settings_);
  Settings session = settings;  // and what SET statements change (apply_set)
  const std::string prompt = (info.display_name.empty() ? std::string("chconn") : info.display_name) + " :) ";

  LineEditor editor("chconn", history_file_path(history_file_, history_file_option_->count() > 0));
  std::string buffer;  // the lines of a statement not ended yet
  for (;;) {
    LineEditor::Input input = editor.read_line(buffer.empty() ? prompt : ":-] ");
    if (std::holds_alternative<LineEditor::Interrupted>(input)) {
      buffer.clear();
      continue;
    }
    if (std::holds_alternative<LineEditor::Terminated>(input)) return 128 + SIGTERM;
    if (std::holds_alternative<LineEditor::EndOfInput>(input)) break;
    const std::string& line = std::get<std::string>(input);
    if (buffer.empty() && is_exit_command(line)) break;
    if (!buffer.empty()) buffer += '\n';
    buffer += line;
    if (trim_blank(buffer).empty()) {
      buffer.clear();
      continue;
    }
    if (!sql::ends_statement(buffer) && !is_exit_command(buffer)) continue;
    const std::string script = std::exchange(buffer, std::string());
    editor.add(script);
    if (is_exit_command(script)) break;
    if (const int status =
            run_interactive_script(factory, lease, script, format, session, options, params, show_progress);
        status >= 0) {
      return status;
    }
  }
  std::cout << "Bye.\n" << std::flush;
  return 0;
}

// The statements of one entry at the prompt; an error prints and skips the rest of them, as in
// clickhouse-client. Returns -1 to go on, or an exit status (SIGTERM during a statement).
int QueryCommand::run_interactive_script(ConnectionFactory& factory, Lease& lease, const std::string& script,
                                         text::OutputFormat format, Settings& session, text::FormatOptions& options,
                                         const Params& params, bool show_progress) {
  for (const ScriptStatement& entry : split_script(script, false)) {
    ScriptStatement statement = entry;
    text::OutputFormat statement_format = format;
    const auto start = Clock::now();
    const SignalStop signals(std::chrono::milliseconds(0));  // Ctrl-C or SIGTERM from here cancel this statement only
    try {
      if (const auto vertical = sql::without_vertical_suffix(statement.sql)) {
        statement.sql = *vertical;
        statement_format = text::OutputFormat::vertical;
      }
      // A connection that an earlier error (or cancel) left unusable is replaced here.
      if (!lease || !lease->usable()) {
        lease.release();
        lease = factory.acquire(Deadline::never());
      }
      const Outcome outcome = run_one(*lease, statement, statement_format, options, params, show_progress,
                                      /*script_from_stdin=*/true, signals.token());
      apply_set(statement.sql, session, options);
      if (!outcome.result_columns) std::cout << "Ok.\n";
      std::cout << '\n'
                << outcome.rows << " rows in set. Elapsed: " << seconds_text(start) << " sec. \n\n"
                << std::flush;
    } catch (const ClientException& e) {
      std::fflush(stdout);
      report(e);  // the prompt goes on
      std::cerr << '\n';
      return -1;
    } catch (const InputError& bad) {
      std::fflush(stdout);
      if (lease) lease.note_error(bad.error);
      report_input_error(bad);
      std::cerr << '\n';
      return -1;
    } catch (const Error& e) {
      std::fflush(stdout);
      if (lease) lease.note_error(e);
      if (e.kind() == ErrorKind::cancelled && signals.signal() == SIGTERM) {
        std::cerr << "chconn: cancelled by SIGTERM: " << e.message() << '\n';
        return signals.exit_status();
      }
      if (e.kind() == ErrorKind::cancelled && signals.signal() != 0) {
        std::cout << "Query was cancelled.\n\n" << std::flush;
        return -1;
      }
      const bool server = e.kind() == ErrorKind::server && lease;
      report_error(e, ExitStatuses::clickhouse_client, server ? version_of(lease->server_info()) : std::string(),
                   server ? lease->peer() : std::string());
      if (server) std::cout << "\n0 rows in set. Elapsed: " << seconds_text(start) << " sec. \n";
      std::cout << '\n' << std::flush;
      return -1;
    }
  }
  return -1;
}

}  // namespace chconn::cli::query
