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
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <stop_token>
#include <string>
#include <utility>
#include <variant>

#include "chconn/core/sql.h"
#include "chconn/factory/factory.h"
#include "chconn/format/input.h"
#include "chconn/format/text.h"
#include "cli.h"
#include "line_editor.h"
#include "signal_stop.h"
#include "status_line.h"
#include "strategy_choice.h"

namespace chconn::cli {
namespace {

using Clock = std::chrono::steady_clock;

// An error clickhouse-client 18.16 raises itself, with its code and first line: an unknown format
// (73), a file INTO OUTFILE cannot create (76), no statement at all (62, "Empty query"). Printed
// as "Code: N. NAME: MESSAGE"; the exit status is N modulo 256.
struct ClientException {
  std::int32_t code;
  std::string name;  // "DB::Exception", "DB::ErrnoException"
  std::string message;
};

int report(const ClientException& e) {
  std::cerr << "Code: " << e.code << ". " << e.name << ": " << e.message << '\n';
  return exit_status_for_code(e.code);
}

// Where a statement's result goes: stdout, or the file of its INTO OUTFILE clause, which is made
// here and must not exist (clickhouse-client opens it with O_EXCL too: a result never overwrites a
// file). Made before the statement is sent, so a file that exists stops it with nothing sent; the
// error is clickhouse-client's, code 76 with the errno.
class ResultOutput {
 public:
  explicit ResultOutput(const std::optional<std::string>& outfile) {
    if (!outfile) return;
    const int fd = ::open(outfile->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) throw cannot_open(*outfile, errno);
    file_ = ::fdopen(fd, "w");
    if (file_ == nullptr) {
      const int err = errno;
      ::close(fd);
      throw cannot_open(*outfile, err);
    }
    name_ = "the file '" + *outfile + "'";
  }
  ~ResultOutput() {
    if (file_ != nullptr) std::fclose(file_);
  }
  ResultOutput(const ResultOutput&) = delete;
  ResultOutput& operator=(const ResultOutput&) = delete;

  // "Cannot open file F, errno: 17, strerror: File exists", as 18.16 words it (CANNOT_OPEN_FILE).
  static ClientException cannot_open(const std::string& file, int err) {
    return {76, "DB::ErrnoException",
            "Cannot open file " + file + ", errno: " + std::to_string(err) + ", strerror: " + std::strerror(err)};
  }

  void write(std::string& buffer) {
    if (buffer.empty()) return;
    if (std::fwrite(buffer.data(), 1, buffer.size(), stream()) != buffer.size()) {
      throw Error(ErrorKind::usage, "cannot write the result to " + name_);
    }
    buffer.clear();
  }
  // Flushes, and for a file closes it: a write error that only shows at the end is still reported.
  void finish() {
    if (file_ == nullptr) {
      std::fflush(stdout);
      return;
    }
    std::FILE* f = std::exchange(file_, nullptr);
    if (std::fclose(f) != 0) throw Error(ErrorKind::usage, "cannot write the result to " + name_);
  }

 private:
  std::FILE* stream() const noexcept { return file_ != nullptr ? file_ : stdout; }
  std::FILE* file_ = nullptr;
  std::string name_ = "stdout";
};

std::string human_count(double v, std::string_view unit) {
  static constexpr const char* k_suffixes[] = {"", " thousand", " million", " billion", " trillion"};
  std::size_t i = 0;
  while (v >= 1000 && i + 1 < std::size(k_suffixes)) {
    v /= 1000;
    ++i;
  }
  std::ostringstream s;
  s << std::fixed << std::setprecision(i == 0 ? 0 : 2) << v << k_suffixes[i] << unit;
  return s.str();
}

std::string human_bytes(double v) {
  static constexpr const char* k_units[] = {" B", " KB", " MB", " GB", " TB"};
  std::size_t i = 0;
  while (v >= 1000 && i + 1 < std::size(k_units)) {
    v /= 1000;
    ++i;
  }
  std::ostringstream s;
  s << std::fixed << std::setprecision(i == 0 ? 0 : 2) << v << k_units[i];
  return s.str();
}

// The progress line on stderr: only for a terminal, redrawn at most ten times a second, and erased
// before any result or error is printed.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled), start_(Clock::now()) {}

  void update(const QueryProgress& total) {
    if (!enabled_) return;
    const auto now = Clock::now();
    if (line_.shown() && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const auto rows = static_cast<double>(total.read_rows);
    const auto bytes = static_cast<double>(total.read_bytes);
    std::string line = "Progress: " + human_count(rows, " rows") + ", " + human_bytes(bytes);
    if (seconds > 0) {
      line += " (" + human_count(rows / seconds, " rows/s.") + ", " + human_bytes(bytes / seconds) + "/s.)";
    }
    line_.show(line);
  }

  void clear() { line_.clear(); }

 private:
  bool enabled_;
  StatusLine line_;
  Clock::time_point start_;
  Clock::time_point last_;
};

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

using sql::ScriptStatement;
using sql::split_script;

std::string_view trim_blank(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The INSERT's target (table and column list) as Connection::insert() takes it: the text between
// INTO [TABLE] and VALUES or FORMAT, read by parse_insert_target().
InsertTarget insert_target_of(std::string_view statement) {
  sql::Lexer lexer(statement);
  std::size_t begin = std::string_view::npos;
  for (sql::Token t = lexer.next_significant(); t.kind != sql::TokenKind::end; t = lexer.next_significant()) {
    if (begin == std::string_view::npos) {
      if (sql::is_keyword(t, "INTO")) {
        sql::Lexer peek = lexer;
        const sql::Token n = peek.next_significant();
        begin = sql::is_keyword(n, "TABLE") ? n.end() : t.end();
      }
      continue;
    }
    if (t.offset >= begin && (sql::is_keyword(t, "VALUES") || sql::is_keyword(t, "FORMAT"))) {
      return parse_insert_target(statement.substr(begin, t.offset - begin));
    }
  }
  throw Error(ErrorKind::usage, "cannot find the table of the INSERT (INSERT INTO table [(columns)] VALUES or FORMAT)");
}

// Standard input as a ByteSource: read(2) in large pieces, no stream buffering on top.
class StdinByteSource final : public text::ByteSource {
 public:
  std::size_t read(char* data, std::size_t size) override {
    if (peeked_ < peek_.size()) {
      const std::size_t n = std::min(size, peek_.size() - peeked_);
      std::memcpy(data, peek_.data() + peeked_, n);
      peeked_ += n;
      return n;
    }
    for (;;) {
      const ssize_t n = ::read(STDIN_FILENO, data, size);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno == EINTR) continue;
      throw Error(ErrorKind::usage, std::string("reading the data from stdin failed: ") + std::strerror(errno));
    }
  }

  // Whether stdin holds no data at all; what it reads to know is kept for read().
  bool empty() {
    if (!looked_) {
      std::string first(4096, '\0');
      first.resize(read(first.data(), first.size()));
      peek_ = std::move(first);
      looked_ = true;
    }
    return peek_.empty();
  }

 private:
  std::string peek_;
  std::size_t peeked_ = 0;
  bool looked_ = false;
};

// 18.16's client refuses an INSERT ... FORMAT F with a ';' right after the format name (its parser
// would take the ';' for the data), with this message and code 62.
constexpr std::string_view k_excessive_semicolon =
    "You have excessive ';' symbol before data for INSERT.\n"
    "Example:\n\n"
    "INSERT INTO t (x, y) FORMAT TabSeparated\n"
    ";\tHello\n"
    "2\tWorld\n\n"
    "Note that there is no ';' just after format name, you need to put at least one whitespace symbol before the "
    "data.";

// A numeric setting given with --setting (or the DSN); a value that is not a number is
// Error(usage).
std::optional<std::uint64_t> setting_number(const Settings& settings, std::string_view name) {
  const auto value = settings.get(name);
  if (!value) return std::nullopt;
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
  if (ec != std::errc() || end != value->data() + value->size()) {
    throw Error(ErrorKind::usage,
                "the setting " + std::string(name) + " must be a number, not '" + std::string(*value) + "'");
  }
  return n;
}

// A boolean setting (true, false or a number) into `target`, when it is given.
void setting_flag(const Settings& settings, std::string_view name, bool& target) {
  const auto value = settings.get(name);
  if (!value) return;
  if (*value == "true" || *value == "false") {
    target = *value == "true";
    return;
  }
  target = *setting_number(settings, name) != 0;
}

// The output_format_* settings given with --setting (or the DSN), which clickhouse-client 18.16
// applies to its own output; in a query's SETTINGS clause they reach only the server, and 18.16's
// client ignores them there, as chconn does. A value that is not a number is Error(usage).
void apply_output_settings(const Settings& settings, text::FormatOptions& options) {
  const auto number = [&](std::string_view name) { return setting_number(settings, name); };
  const auto flag = [&](std::string_view name, bool& target) { setting_flag(settings, name, target); };
  flag("output_format_pretty_color", options.pretty_color);
  flag("output_format_json_quote_64bit_integers", options.json_quote_64bit_integers);
  flag("output_format_json_quote_denormals", options.json_quote_denormals);
  flag("output_format_write_statistics", options.write_statistics);
  if (const auto n = number("output_format_pretty_max_rows")) options.pretty_max_rows = static_cast<std::size_t>(*n);
  if (const auto n = number("output_format_pretty_max_column_pad_width")) {
    options.pretty_max_column_pad_width = static_cast<std::size_t>(*n);
  }
}

// The output format named `name` (any letter case). Formats clickhouse-client 18.16 writes and chconn
// does not are a usage error saying so; other names are clickhouse-client's code 73.
text::OutputFormat output_format(const std::string& name) {
  if (const auto format = text::parse_output_format(name)) return *format;
  for (const std::string_view other : {"ODBCDriver", "ODBCDriver2"}) {
    if (name == other) {
      throw Error(ErrorKind::usage, "chconn does not write the output format " + name +
                                        " (it writes: " + std::string(text::output_format_names()) + ")");
    }
  }
  throw ClientException{73, "DB::Exception", "Unknown format " + name};
}

// The pieces of a column list at its top-level commas ("a UInt64, b Tuple(x, y)"), trimmed.
std::vector<std::string_view> top_level_pieces(std::string_view text) {
  std::vector<std::string_view> pieces;
  sql::Lexer lexer(text);
  std::size_t begin = 0;
  int depth = 0;
  for (sql::Token t = lexer.next_significant();; t = lexer.next_significant()) {
    if (t.kind == sql::TokenKind::open_round) ++depth;
    if (t.kind == sql::TokenKind::close_round) --depth;
    if (t.kind == sql::TokenKind::end || (t.kind == sql::TokenKind::comma && depth == 0)) {
      pieces.push_back(trim_blank(text.substr(begin, t.offset - begin)));
      if (t.kind == sql::TokenKind::end) break;
      begin = t.end();
    }
  }
  return pieces;
}

// An external table's structure: its columns with their types and no rows, from --structure
// ("a UInt64, b String") or --types ("UInt64, String": columns _1, _2...). Errors as 18.16's
// client words them: 36 for a missing structure, 50 for a type it does not know.
Block external_structure(const ExternalTableFlags& flags) {
  if (flags.structure.empty() && flags.types.empty()) {
    throw ClientException{36, "DB::Exception",
                          "Neither --structure nor --types have not been provided for external table"};
  }
  const bool named = !flags.structure.empty();
  Block block;
  std::size_t index = 0;
  for (const std::string_view piece : top_level_pieces(named ? flags.structure : flags.types)) {
    std::string name = "_" + std::to_string(++index);
    std::string_view type = piece;
    if (named) {
      sql::Lexer lexer(piece);
      const sql::Token first = lexer.next_significant();
      type = trim_blank(piece.substr(first.end()));
      if (first.kind != sql::TokenKind::bare_word && first.kind != sql::TokenKind::quoted_identifier) type = {};
      name = std::string(first.text);
      if (first.kind == sql::TokenKind::quoted_identifier) name = name.substr(1, name.size() - 2);
    }
    if (type.empty()) {
      throw ClientException{36, "DB::Exception",
                            "the external table " + flags.name + " has a column without a name and a type: '" +
                                std::string(piece) + "' (--structure 'name Type, ...')"};
    }
    try {
      block.append(std::move(name), make_column(parse_type(type)));
    } catch (const Error& e) {
      throw ClientException{50, "DB::Exception", e.message()};
    }
  }
  return block;
}

// One --external table, open and ready to be read: its file (or stdin), a parser over it, and its
// structure. Made before anything connects, so a missing file stops the run with nothing sent.
// The members are on the heap, so that the parser's references stay valid when the table moves.
struct OpenExternalTable {
  std::string name;
  std::unique_ptr<std::ifstream> file;
  std::unique_ptr<text::ByteSource> bytes;
  std::unique_ptr<text::TextInsertSource> source;
  Block structure;
};

// The error of a row the parser could not read, as clickhouse-client reports its own parse
// errors (code 27, "Cannot parse input"), with chconn's message.
struct InputError {
  Error error;
  // clickhouse-client's code for it: 27 for a row it cannot parse; the server's code for an
  // expression in VALUES the server could not evaluate (18.16's client evaluates them itself and
  // reports the error as its own: "Code: 47. DB::Exception: Unknown identifier: x").
  int code = 27;
  // Found while 18.16's client parses the statement, before it processes it: no "Error on
  // processing query" line before the message in a script (measured for the excessive ';').
  bool found_parsing = false;
};

// Prints `bad` as clickhouse-client prints its own errors; returns the exit status.
int report_input_error(const InputError& bad) {
  if (bad.code == 27) {
    std::cerr << "Code: 27. DB::Exception: Cannot parse input: " << bad.error.message() << '\n';
    return 27;
  }
  std::string_view message = bad.error.message();
  if (message.starts_with("DB::Exception: ")) message.remove_prefix(15);
  std::cerr << "Code: " << bad.code << ". DB::Exception: " << message << '\n';
  return (bad.code & 0xFF) == 0 ? 1 : bad.code & 0xFF;
}

// What one statement gave, for the interactive prompt's summary line.
struct Outcome {
  std::uint64_t rows = 0;       // result rows received
  bool result_columns = false;  // false for statements without a result (DDL, INSERT): "Ok."
};

// The whole text of a --queries-file file; Error(usage) naming it when it cannot be read.
std::string read_queries_file(const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  std::string text;
  if (in) text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) {
    throw Error(ErrorKind::usage, "cannot read the --queries-file '" + file + "': " + std::strerror(errno));
  }
  return text;
}

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

// "0.005": seconds with three decimals, as clickhouse-client prints elapsed times.
std::string seconds_text(Clock::time_point start) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(3) << std::chrono::duration<double>(Clock::now() - start).count();
  return s.str();
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

class QueryCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    query_option_ = app.add_option("-q,--query", query_,
                                   "the query or ';'-separated queries to run (default: read them from stdin)");
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
  int run(const Context& context) override {
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

 private:
  int run_queries(const Context& context) {
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
    const SignalStop signals;
    Lease lease = factory.acquire(Deadline::never());  // within the strategy's own timeouts
    Connection& conn = *lease;
    const ServerInfo& info = conn.server_info();
    // The text rules of the server's version (18.16's dates, decimals, JSON integers and Pretty
    // alignment differ from current servers'; see text::options_for_server).
    text::FormatOptions options = text::options_for_server(info.version_major, info.version_minor, info.timezone);
    // clickhouse-client 18.16 writes bold names whatever stdout is; later clients only on a terminal.
    options.pretty_color = info.version_major < 21 || ::isatty(STDOUT_FILENO) != 0;
    apply_output_settings(config.settings, options);
    setting_flag(config.settings, "input_format_skip_unknown_fields", skip_unknown_fields_);

    // The first error ends the run with its status. With --ignore-error (as clickhouse-client
    // 18.16's) the statements after it still run while the connection is usable, and the status is
    // the last error's; a syntax error does not count there, since 18.16's client finds it itself
    // and then exits 0 (measured).
    // In a script (-n, --queries-file) 18.16 names the statement before an error the client raised
    // itself; server exceptions have their own first line.
    const bool script_mode = multiquery_ || !queries_files_.empty();
    const auto name_statement = [&](const ScriptStatement& statement) {
      if (script_mode) std::cerr << "Error on processing query: " << statement.text << '\n';
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
        if (ignore_error_) return 27;
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
  static void print_ignored(std::string_view message) { std::cerr << '\n' << message << "\n\n"; }

  // One statement of a script: an INSERT whose rows come from the client, or anything else.
  Outcome run_one(Connection& conn, const ScriptStatement& statement, text::OutputFormat format,
                  const text::FormatOptions& options, const Params& params, bool show_progress, bool script_from_stdin,
                  std::stop_token stop) {
    const sql::InsertShape insert = sql::insert_shape(statement.sql);
    if (insert.is_insert && !insert.from_select) {
      run_insert(conn, statement, script_from_stdin, params, std::move(stop));
      return {};
    }
    return run_statement(conn, statement.sql, format, options, params, show_progress, std::move(stop));
  }

  // The interactive session (see the top of this file). Returns the exit status: 0 when the user
  // leaves, 143 for SIGTERM.
  int run_interactive(ConnectionFactory& factory, const Settings& settings, text::OutputFormat format,
                      const Params& params, bool show_progress) {
    Lease lease = factory.acquire(Deadline::never());  // a server that cannot be reached ends chconn
    const IgnoreInterrupts ignore_interrupts;          // from here on Ctrl-C never ends the session
    const ServerInfo info = lease->server_info();
    std::cout << "Connected to ClickHouse server version " << version_of(info) << " revision " << info.revision
              << ".\n\n"
              << std::flush;
    text::FormatOptions options = text::options_for_server(info.version_major, info.version_minor, info.timezone);
    options.pretty_color = info.version_major < 21 || ::isatty(STDOUT_FILENO) != 0;  // as run() decides
    apply_output_settings(settings, options);
    setting_flag(settings, "input_format_skip_unknown_fields", skip_unknown_fields_);
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
      if (const int status = run_interactive_script(factory, lease, script, format, options, params, show_progress);
          status >= 0) {
        return status;
      }
    }
    std::cout << "Bye.\n" << std::flush;
    return 0;
  }

  // The statements of one entry at the prompt; an error prints and skips the rest of them, as in
  // clickhouse-client. Returns -1 to go on, or an exit status (SIGTERM during a statement).
  int run_interactive_script(ConnectionFactory& factory, Lease& lease, const std::string& script,
                             text::OutputFormat format, const text::FormatOptions& options, const Params& params,
                             bool show_progress) {
    for (const ScriptStatement& entry : split_script(script, false)) {
      ScriptStatement statement = entry;
      text::OutputFormat statement_format = format;
      const auto start = Clock::now();
      const SignalStop signals;  // Ctrl-C or SIGTERM from here cancel this statement only
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

  // An INSERT whose rows come from the client: its data written after it in the script or query,
  // or else stdin (when the statements came from -q), parsed here into blocks of the table's
  // structure and streamed (text::TextInsertSource).
  void run_insert(Connection& conn, const ScriptStatement& statement, bool script_from_stdin, const Params& params,
                  std::stop_token stop) {
    const sql::InsertShape shape = sql::insert_shape(statement.sql);
    text::InputFormat format = text::InputFormat::values;
    if (shape.format) {
      const auto f = text::parse_input_format(*shape.format);
      if (!f) {
        throw Error(ErrorKind::usage, "unknown input format '" + *shape.format +
                                          "' in the INSERT; known: " + std::string(text::input_format_names()));
      }
      format = *f;
    }
    const InsertTarget target = insert_target_of(statement.sql);
    text::InputOptions input;
    input.time_zone = conn.server_info().timezone;
    input.skip_unknown_fields = skip_unknown_fields_;
    input.what = "insert into " + target.name();
    QueryOptions query_options;
    query_options.params = params_for(statement.sql, params);
    query_options.stop = std::move(stop);

    const auto start = Clock::now();
    if (shape.format && statement.data && statement.data->starts_with(';') &&
        statement.data->data() == statement.sql.data() + statement.sql.size()) {
      throw InputError{Error(ErrorKind::usage, std::string(k_excessive_semicolon)), 62, true};
    }
    text::MemoryByteSource inline_data(statement.data.value_or(std::string_view()));
    StdinByteSource stdin_data;
    // Data written in the script is used when there is some; otherwise stdin, unless the script
    // itself was read from it. No data at all (blank inline data and no stdin, or an empty stdin)
    // is an error, as clickhouse-client 18.16 says it: code 108, nothing sent.
    const bool has_inline = statement.data && !trim_blank(*statement.data).empty();
    const bool from_stdin = !has_inline && !script_from_stdin;
    if (!has_inline && (!from_stdin || stdin_data.empty())) {
      throw InputError{Error(ErrorKind::usage, "No data to insert"), 108};
    }
    // Expressions in VALUES written in the statement are evaluated on the server first (the data is
    // in memory); in data on stdin, streamed, an expression is an error naming its row.
    if (format == text::InputFormat::values && has_inline) {
      QueryOptions evaluate_options;
      evaluate_options.stop = query_options.stop;
      try {
        input.evaluated = std::make_shared<const std::vector<text::EvaluatedValue>>(
            text::evaluate_values_expressions(conn, *statement.data, evaluate_options));
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::server) throw;
        throw InputError{e, e.server_code()};
      }
    }
    text::TextInsertSource source(format, from_stdin ? static_cast<text::ByteSource&>(stdin_data) : inline_data,
                                  std::move(input));
    try {
      conn.insert(target, source, query_options);
    } catch (const Error& e) {
      if (source.failed_row()) throw InputError{e};
      throw;
    }
    if (time_) print_elapsed(start);
  }

  void print_elapsed(Clock::time_point start) const { std::cerr << seconds_text(start) + '\n'; }

  Outcome run_statement(Connection& conn, std::string_view statement, text::OutputFormat format,
                        const text::FormatOptions& options, const Params& params, bool show_progress,
                        std::stop_token stop) {
    if (auto name = sql::trailing_format(statement)) format = output_format(*name);
    ResultOutput out(sql::into_outfile(statement));
    text::BlockFormatter formatter(format, options);
    ProgressLine progress(show_progress);
    QueryOptions query_options;
    query_options.params = params_for(statement, params);
    query_options.stop = std::move(stop);
    query_options.on_progress = [&](const QueryProgress&, const QueryProgress& total) { progress.update(total); };
    // --external tables go with the first statement that reads (their files are read once).
    if (!std::exchange(external_sent_, true)) {
      for (OpenExternalTable& t : external_)
        query_options.external_tables.push_back({t.name, t.structure, t.source.get()});
    }

    std::string buffer;
    const auto start = Clock::now();
    Result result;
    Outcome outcome;
    try {
      result = conn.select(
          statement,
          [&](const Block& block) {
            outcome.rows += block.rows();
            progress.clear();
            formatter.write_block(buffer, block);
            out.write(buffer);
          },
          query_options);
    } catch (const Error& e) {
      progress.clear();
      // A row of an external table's file that cannot be read: clickhouse-client's 27.
      for (const OpenExternalTable& t : external_) {
        if (t.source->failed_row()) throw InputError{e};
      }
      throw;
    } catch (...) {
      progress.clear();
      throw;
    }
    progress.clear();
    text::ResultSummary summary;
    summary.totals = result.totals ? &*result.totals : nullptr;
    summary.extremes = result.extremes ? &*result.extremes : nullptr;
    if (result.profile && result.profile->applied_limit) summary.rows_before_limit = result.profile->rows_before_limit;
    summary.rows_read = result.progress.read_rows;
    summary.bytes_read = result.progress.read_bytes;
    summary.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    formatter.finish(buffer, result.header, summary);
    out.write(buffer);
    out.finish();
    if (time_) print_elapsed(start);
    outcome.result_columns = result.header.column_count() > 0;
    return outcome;
  }

  // Opens the --external tables (before anything connects): their files (stdin for "-", which
  // then cannot also hold the statements), parsers and structures. Errors as 18.16's client's.
  void open_external_tables(const std::vector<ExternalTableFlags>& tables, bool script_from_stdin) {
    for (const ExternalTableFlags& flags : tables) {
      if (flags.file.empty()) {
        throw ClientException{36, "DB::Exception", "--file field have not been provided for external table"};
      }
      OpenExternalTable& t = external_.emplace_back();
      t.name = flags.name;
      t.structure = external_structure(flags);
      const auto format = text::parse_input_format(flags.format);
      if (!format) throw ClientException{73, "DB::Exception", "Unknown format " + flags.format};
      if (flags.file == "-") {
        if (script_from_stdin) {
          throw Error(ErrorKind::usage, "--external --file - reads the table from stdin: give the statements with -q");
        }
        t.bytes = std::make_unique<StdinByteSource>();
      } else {
        t.file = std::make_unique<std::ifstream>(flags.file, std::ios::binary);
        if (!*t.file) {
          const int err = errno;
          throw ClientException{107, "DB::ErrnoException",
                                "Cannot open file " + flags.file + ", errno: " + std::to_string(err) +
                                    ", strerror: " + std::strerror(err)};
        }
        t.bytes = std::make_unique<text::StreamByteSource>(*t.file);
      }
      text::InputOptions input;
      input.what = "external table " + t.name;
      t.source = std::make_unique<text::TextInsertSource>(*format, *t.bytes, std::move(input));
    }
  }

  std::vector<OpenExternalTable> external_;  // --external tables, open
  bool external_sent_ = false;               // sent with a statement already
  std::string query_;
  CLI::Option* query_option_ = nullptr;  // tells whether -q was given (-q '' is an empty query)
  std::vector<std::string> queries_files_;
  std::string format_ = "TabSeparated";
  CLI::Option* format_option_ = nullptr;  // tells whether --format was given
  std::string history_file_;
  CLI::Option* history_file_option_ = nullptr;
  std::vector<std::string> params_;
  bool time_ = false;
  // input_format_skip_unknown_fields from --setting: JSONEachRow and TSKV keys naming no column are
  // ignored, as clickhouse-client applies it to its own parsing.
  bool skip_unknown_fields_ = false;
  bool multiquery_ = false;
  bool ignore_error_ = false;
  bool multiline_ = false;  // accepted, no effect (see add_to)
  bool progress_ = false;
  bool no_progress_ = false;
  std::string strategy_;
};

}  // namespace

std::unique_ptr<Command> make_query_command() { return std::make_unique<QueryCommand>(); }

}  // namespace chconn::cli
