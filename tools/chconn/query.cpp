// The default action of chconn: run queries (-q, or a script on stdin) and print their results.
//
// Results stream block by block: each block is formatted into one buffer that is written to
// stdout and cleared before the next block arrives, so memory stays bounded by one block (the Null
// format formats nothing). Several statements separated by ';' run one after the other on one
// connection; the first error stops the run, as with clickhouse-client (with --ignore-error the
// next statements still run). Errors and exit statuses are clickhouse-client's (ExitStatuses).
//
// That connection is a lease from a ConnectionFactory filled by chconn::initialize(): --strategy
// (or the DSN's strategy=, CHCONN_STRATEGY, CHCONN_ENV) picks direct, pooled, failover, mock, embedded, rollout or
// shadow; see strategy_choice.h.
//
// `INTO OUTFILE 'name'` sends the statement's result to that file instead (made before the
// statement is sent, and never over an existing file), as clickhouse-client does.
//
// SIGINT (Ctrl-C) and SIGTERM while statements run cancel the running statement on the server (it
// is drained within the cancel drain timeout) and exit 130 or 143 with one line on stderr; a second
// signal exits at once (signal_stop.h).
//
// With a terminal on stdin and no -q, chconn is interactive, as clickhouse-client is: a prompt
// ("name :) ", ":-] " for the next lines of a statement), line editing and history (line_editor.h),
// statements that end at a top-level ';' or '\G' (sql::ends_statement; '\G' prints that statement
// in the Vertical format), PrettyCompact by default, "N rows in set. Elapsed: X sec." after each.
// An error is printed and the prompt comes back; Ctrl-C at the prompt drops the line, Ctrl-C during
// a statement cancels that statement only (a connection the cancel left unusable is replaced
// before the next one); exit, quit or Ctrl-D leave.
#include "query.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "signal_stop.h"
#include "strategy_choice.h"

namespace chconn::cli {
namespace query {

int report(const ClientException& e) {
  std::cerr << "Code: " << e.code << ". " << e.name << ": " << e.message << '\n';
  return exit_status_for_code(e.code);
}

// Only the parameters a statement's placeholders use, so that one set of --param flags can serve
// a script whose statements use different ones.
Params params_for(std::string_view statement, const Params& all) {
  Params used;
  if (all.empty()) return used;
  std::set<std::string> names;
  for (const Placeholder& p : find_placeholders(statement)) names.insert(p.name);
  for (const Param& p : all) {
    if (!names.count(p.name)) continue;
    if (p.is_null)
      used.set_null(p.name);
    else
      used.set(p.name, std::string_view(p.value));
  }
  return used;
}

std::string version_of(const ServerInfo& info) {
  return std::to_string(info.version_major) + "." + std::to_string(info.version_minor) + "." +
         std::to_string(info.version_patch);
}

// The rule of the library's detail::trim_space (core/strings.h: ClickHouse's six whitespace
// bytes), written again because the CLI is built against the installed headers only, where that
// private helper is not. Not std::isspace: it follows LC_CTYPE, which the interactive prompt sets
// from the environment (line_editor.cpp).
std::string_view trim_blank(std::string_view s) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

// "0.005": seconds with three decimals, as clickhouse-client prints elapsed times.
std::string seconds_text(Clock::time_point start) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(3) << std::chrono::duration<double>(Clock::now() - start).count();
  return s.str();
}

CLI::App* QueryCommand::add_to(CLI::App& app) {
  query_option_ =
      app.add_option("-q,--query", query_, "the query or ';'-separated queries to run (default: read them from stdin)");
  app.add_option("--queries-file", queries_files_,
                 "a file of ';'-separated queries to run (repeatable: the files run in order; not with -q)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  format_option_ = app.add_option("-f,--format", format_,
                                  "output format: " + std::string(text::output_format_names()) +
                                      " (default: TabSeparated, PrettyCompact at the interactive prompt)");
  history_file_option_ = app.add_option(
      "--history-file", history_file_,
      "the interactive prompt's history file (default: $CHCONN_HISTORY_FILE, else ~/.chconn_history; '' for "
      "none)");
  app.add_option("--param", params_, "a query parameter NAME=VALUE for {NAME:Type} (also --param_NAME=VALUE)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag("-t,--time", time_, "print each query's elapsed time in seconds to stderr");
  app.add_flag("-n,--multiquery", multiquery_,
               "several statements: always on (statements are split at ';'); with -q it also ends an INSERT's "
               "data written after it at the end of its line, as clickhouse-client does, instead of the end "
               "of the text");
  app.add_flag("-m,--multiline", multiline_,
               "accepted for clickhouse-client's sake: at the interactive prompt a statement always ends at ';' "
               "or \\G, whatever the lines");
  app.add_flag("--ignore-error", ignore_error_,
               "in a script, go on with the next statement after one fails (while the connection is usable); "
               "the exit status is the last error's, as clickhouse-client's --ignore-error");
  app.add_flag("--progress", progress_, "show a progress line on stderr even when it is not a terminal");
  app.add_flag("--no-progress", no_progress_,
               "never show the progress line (default: shown when stderr is a terminal)");
  app.add_option("--strategy", strategy_,
                 "connection strategy: " + std::string(k_strategy_names) +
                     " (default: the DSN's strategy=, CHCONN_STRATEGY, or by CHCONN_ENV: direct)");
  return nullptr;
}

// Every error ends here as clickhouse-client reports it, with its exit status (ExitStatuses).
int QueryCommand::run(const Context& context) {
  try {
    return run_queries(context);
  } catch (const ClientException& e) {
    std::fflush(stdout);
    return report(e);
  } catch (const Error& e) {
    std::fflush(stdout);
    return report_error(e, ExitStatuses::clickhouse_client);
  }
}

int QueryCommand::run_queries(const Context& context) {
  // Interactive: a terminal on stdin and no statements given on the command line.
  // -q '' is a query too (an empty one), as for clickhouse-client: stdin is not read for it.
  const bool query_given = query_option_->count() > 0;
  if (query_given && !queries_files_.empty()) {
    throw Error(ErrorKind::usage, "-q/--query and --queries-file cannot be used together");
  }
  const bool interactive = !query_given && queries_files_.empty() && ::isatty(STDIN_FILENO) != 0;
  if (interactive && format_option_->count() == 0) format_ = "PrettyCompact";
  // Check everything that needs no server first.
  const text::OutputFormat format = output_format(format_);
  Params params = context.params;
  for (const std::string& p : params_) {
    auto [name, value] = split_assignment(p, "--param");
    params.set(std::move(name), std::string_view(value));
  }
  Config config = context.connection.to_config();
  // The strategy is chosen (and a bad name reported) before any input is read or anything is
  // connected. Leases end before the factory, declared before them, goes away.
  ConnectionFactory factory;
  select_strategy(factory, config, strategy_);
  const bool show_progress = !no_progress_ && (progress_ || ::isatty(STDERR_FILENO) != 0);
  if (interactive) return run_interactive(factory, config.settings, format, params, show_progress);

  // The statements: -q, else the --queries-file files in order (each read whole before anything
  // connects, so a missing file stops the run with nothing sent), else stdin.
  std::vector<std::string> scripts;
  if (!queries_files_.empty()) {
    for (const std::string& file : queries_files_) scripts.push_back(read_queries_file(file));
  } else if (query_given) {
    scripts.push_back(query_);
  } else {
    scripts.emplace_back(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  // With -q and no --multiquery, an INSERT's data written after it runs to the end of the text,
  // as clickhouse-client reads one query; in a script (a file, stdin) it ends with its line.
  std::vector<ScriptStatement> statements;
  for (const std::string& script : scripts) {
    // A text that starts with ';' starts with an empty statement: 18.16 refuses the whole text
    // before running any of it (measured; a ';' after a statement is fine). With --ignore-error
    // it says so in its own layout and goes on.
    if (sql::Lexer(script).next_significant().kind == sql::TokenKind::semicolon) {
      if (!ignore_error_) throw ClientException{62, "DB::Exception", "Empty query"};
      print_ignored("Empty query");
    }
    for (ScriptStatement& s : split_script(script, !multiquery_ && query_given)) statements.push_back(s);
  }
  // Nothing but blanks, comments and ';': clickhouse-client 18.16's error, before connecting;
  // with -n, no text at all is no error to 18.16 (measured: exit 0), whitespace still is.
  if (statements.empty()) {
    const bool no_text = std::all_of(scripts.begin(), scripts.end(), [](const std::string& t) { return t.empty(); });
    if (multiquery_ && no_text) return 0;
    if (!ignore_error_) throw ClientException{62, "DB::Exception", "Empty query"};
    print_ignored("Empty query");
    return 0;
  }
  const bool script_from_stdin = !query_given && queries_files_.empty();
  open_external_tables(context.external_tables, script_from_stdin);

  // From here on Ctrl-C and SIGTERM cancel the running query on the server (see signal_stop.h);
  // before, while the script is read, they end the process as usual.
  // After the cancel's drain, and time for the running call to see the stop and send Cancel, a
  // call that cannot see it (one long call into the embedded engine) no longer keeps us alive.
  const SignalStop signals(config.timeouts.cancel_drain + std::chrono::seconds(3));
  Lease lease = factory.acquire(Deadline::never());  // within the strategy's own timeouts
  Connection& conn = *lease;
  const ServerInfo& info = conn.server_info();
  // The text rules of the server's version (18.16's dates, decimals, JSON integers and Pretty
  // alignment differ from current servers'; see text::options_for_server).
  text::FormatOptions options = text::options_for_server(info.version_major, info.version_minor, info.timezone);
  // clickhouse-client 18.16 writes bold names whatever stdout is; later clients only on a terminal.
  options.pretty_color = info.version_major < 21 || ::isatty(STDOUT_FILENO) != 0;
  apply_output_settings(config.settings, options);
  apply_input_settings(config.settings, input_settings_);
  Settings session = config.settings;  // and what SET statements change (apply_set)

  // The first error ends the run with its status. With --ignore-error (as clickhouse-client
  // 18.16's) the statements after it still run while the connection is usable, and the status is
  // the last error's; a syntax error does not count there, since 18.16's client finds it itself
  // and then exits 0 (measured).
  // In a script (-n, --queries-file) 18.16 names the statement before an error the client raised
  // itself; server exceptions have their own first line.
  const bool script_mode = multiquery_ || !queries_files_.empty();
  // An INSERT with data written after it is named up to the end of that line, as 18.16 holds its
  // data to run to there: `INSERT ... VALUES (...); -- a comment` is named with the comment.
  const auto name_statement = [&](const ScriptStatement& statement) {
    if (!script_mode) return;
    std::string_view text = statement.text;
    for (const std::string& script : scripts) {
      if (!statement.data || text.data() < script.data() || text.data() > script.data() + script.size()) continue;
      const std::size_t begin = static_cast<std::size_t>(text.data() - script.data());
      const std::size_t line_end = script.find('\n', begin + text.size());
      text =
          std::string_view(script).substr(begin, line_end == std::string::npos ? std::string::npos : line_end - begin);
      break;
    }
    std::cerr << "Error on processing query: " << text << '\n';
  };
  //
  // --ignore-error as 18.16's (all measured): errors the client raises itself (an unknown format,
  // INTO OUTFILE) are not printed but set the status; a row that cannot be read is not printed
  // and still ends the run (27); a syntax error is printed in 18.16's layout for the errors of its
  // own parser and does not set the status; server exceptions are printed as always.
  int status = 0;
  for (const ScriptStatement& statement : statements) {
    int failed = 0;
    try {
      run_one(conn, statement, format, options, params, show_progress, script_from_stdin, signals.token());
      apply_set(statement.sql, session, options);
      continue;
    } catch (const ClientException& e) {
      std::fflush(stdout);
      if (ignore_error_) {
        status = exit_status_for_code(e.code);
        continue;
      }
      name_statement(statement);
      return report(e);
    } catch (const InputError& bad) {
      std::fflush(stdout);
      lease.note_error(bad.error);
      if (ignore_error_) return exit_status_for_code(bad.code);
      if (!bad.found_parsing) name_statement(statement);
      // As clickhouse-client 18.16 reports a row it cannot parse (code 27), then chconn's reading.
      return report_input_error(bad);
    } catch (const Error& e) {
      std::fflush(stdout);
      lease.note_error(e);
      if (e.kind() == ErrorKind::cancelled && signals.signal() != 0) {
        std::cerr << "chconn: cancelled by " << signals.signal_name() << ": " << e.message() << '\n';
        return signals.exit_status();
      }
      const bool server = e.kind() == ErrorKind::server;
      if (ignore_error_ && server && e.server_code() == server_codes::syntax_error) {
        print_ignored(server_message(e));
        continue;
      }
      failed = report_error(e, ExitStatuses::clickhouse_client, server ? version_of(info) : std::string(),
                            server ? conn.peer() : std::string());
    }
    if (!ignore_error_ || !conn.usable()) return failed;
    status = failed;
  }
  return status;
}

// An error 18.16's client finds with its own parser, as it prints one under --ignore-error: a
// blank line, the message, a blank line.
void QueryCommand::print_ignored(std::string_view message) { std::cerr << '\n' << message << "\n\n"; }

// One statement of a script: an INSERT whose rows come from the client, or anything else.
Outcome QueryCommand::run_one(Connection& conn, const ScriptStatement& statement, text::OutputFormat format,
                              const text::FormatOptions& options, const Params& params, bool show_progress,
                              bool script_from_stdin, std::stop_token stop) {
  const sql::InsertShape insert = sql::insert_shape(statement.sql);
  if (insert.is_insert && !insert.from_select) {
    run_insert(conn, statement, script_from_stdin, params, std::move(stop));
    return {};
  }
  return run_statement(conn, statement.sql, format, options, params, show_progress, std::move(stop));
}

}  // namespace query

std::unique_ptr<Command> make_query_command() { return std::make_unique<query::QueryCommand>(); }

}  // namespace chconn::cli
