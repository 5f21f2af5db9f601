// The default action of chconn: run queries (-q, or a script on stdin) and print their results.
//
// Results stream block by block: each block is formatted into one buffer that is written to
// stdout and cleared before the next block arrives, so memory stays bounded by one block (the Null
// format formats nothing). Several statements separated by ';' run one after the other on one
// connection; the first error stops the run, as with clickhouse-client.
//
// That connection is a lease from a ConnectionFactory filled by chconn::initialize(): --strategy
// (or the DSN's strategy=, CHCONN_STRATEGY, CHCONN_ENV) picks direct, pooled, failover or mock; see
// strategy_choice.h.
//
// `INTO OUTFILE 'name'` sends the statement's result to that file instead (made before the
// statement is sent, and never over an existing file), as clickhouse-client does.
//
// SIGINT (Ctrl-C) and SIGTERM while statements run cancel the running statement on the server (it
// is drained within the cancel drain timeout) and exit 130 or 143 with one line on stderr; a second
// signal exits at once (signal_stop.h).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <stop_token>
#include <string>
#include <utility>

#include "chconn/core/sql.h"
#include "chconn/factory/factory.h"
#include "chconn/format/text.h"
#include "cli.h"
#include "signal_stop.h"
#include "strategy_choice.h"

namespace chconn::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Where a statement's result goes: stdout, or the file of its INTO OUTFILE clause, which is made
// here and must not exist (clickhouse-client opens it with O_EXCL too: a result never overwrites a
// file). Made before the statement is sent, so a file that exists stops it with nothing sent.
class ResultOutput {
 public:
  explicit ResultOutput(const std::optional<std::string>& outfile) {
    if (!outfile) return;
    const int fd = ::open(outfile->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
      const int err = errno;
      throw Error(ErrorKind::usage, "cannot create the INTO OUTFILE file '" + *outfile + "': " + std::strerror(err) +
                                        (err == EEXIST ? " (chconn never overwrites a file; remove it first)" : ""));
    }
    file_ = ::fdopen(fd, "w");
    if (file_ == nullptr) {
      ::close(fd);
      throw Error(ErrorKind::usage, "cannot write the INTO OUTFILE file '" + *outfile + "'");
    }
    name_ = "the file '" + *outfile + "'";
  }
  ~ResultOutput() {
    if (file_ != nullptr) std::fclose(file_);
  }
  ResultOutput(const ResultOutput&) = delete;
  ResultOutput& operator=(const ResultOutput&) = delete;

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
    if (shown_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const auto rows = static_cast<double>(total.read_rows);
    const auto bytes = static_cast<double>(total.read_bytes);
    std::string line = "\rProgress: " + human_count(rows, " rows") + ", " + human_bytes(bytes);
    if (seconds > 0) {
      line += " (" + human_count(rows / seconds, " rows/s.") + ", " + human_bytes(bytes / seconds) + "/s.)";
    }
    line += "\033[K";
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    shown_ = true;
  }

  void clear() {
    if (!shown_) return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
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

class QueryCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    app.add_option("-q,--query", query_, "the query or ';'-separated queries to run (default: read them from stdin)");
    app.add_option("-f,--format", format_, "output format: " + std::string(text::output_format_names()))
        ->default_str("TabSeparated");
    app.add_option("--param", params_, "a query parameter NAME=VALUE for {NAME:Type} (also --param_NAME=VALUE)")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_flag("-t,--time", time_, "print each query's elapsed time in seconds to stderr");
    app.add_flag("-n,--multiquery", multiquery_, "accepted for clickhouse-client compatibility; always on");
    app.add_flag("--progress", progress_, "show a progress line on stderr even when it is not a terminal");
    app.add_flag("--no-progress", no_progress_,
                 "never show the progress line (default: shown when stderr is a terminal)");
    app.add_option("--strategy", strategy_,
                   "connection strategy: " + std::string(k_strategy_names) +
                       " (default: the DSN's strategy=, CHCONN_STRATEGY, or by CHCONN_ENV: direct)");
    return nullptr;
  }

  int run(const Context& context) override {
    // Check everything that needs no server first.
    const auto format = text::parse_output_format(format_);
    if (!format) {
      throw Error(ErrorKind::usage,
                  "unknown format '" + format_ + "'; known: " + std::string(text::output_format_names()));
    }
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

    std::string script = query_;
    if (script.empty()) {
      script.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    }
    const std::vector<std::string_view> statements = sql::split_statements(script);
    if (statements.empty()) return 0;

    // From here on Ctrl-C and SIGTERM cancel the running query on the server (see signal_stop.h);
    // before, while the script is read, they end the process as usual.
    const SignalStop signals;
    Lease lease = factory.acquire(Deadline::never());  // within the strategy's own timeouts
    Connection& conn = *lease;
    const ServerInfo& info = conn.server_info();
    // The text rules of the server's version (18.16's dates, decimals, JSON integers and Pretty
    // alignment differ from current servers'; see text::options_for_server).
    text::FormatOptions options = text::options_for_server(info.version_major, info.version_minor, info.timezone);
    options.pretty_color = ::isatty(STDOUT_FILENO) != 0;
    const bool show_progress = !no_progress_ && (progress_ || ::isatty(STDERR_FILENO) != 0);

    for (std::string_view statement : statements) {
      try {
        run_statement(conn, statement, *format, options, params, show_progress, signals.token());
      } catch (const Error& e) {
        std::fflush(stdout);
        lease.note_error(e);
        if (e.kind() == ErrorKind::cancelled && signals.signal() != 0) {
          std::cerr << "chconn: cancelled by " << signals.signal_name() << ": " << e.message() << '\n';
          return signals.exit_status();
        }
        const bool server = e.kind() == ErrorKind::server;
        return report_error(e, server ? version_of(info) : std::string(), server ? conn.peer() : std::string());
      }
    }
    return 0;
  }

 private:
  void run_statement(Connection& conn, std::string_view statement, text::OutputFormat format,
                     const text::FormatOptions& options, const Params& params, bool show_progress,
                     std::stop_token stop) {
    const sql::InsertShape insert = sql::insert_shape(statement);
    if (insert.is_insert && !insert.from_select) {
      throw Error(ErrorKind::usage,
                  "INSERT with inline data (VALUES or FORMAT) is not supported by chconn yet; use INSERT ... SELECT, "
                  "or the library's Connection::insert()");
    }
    if (auto name = sql::trailing_format(statement)) {
      const auto f = text::parse_output_format(*name);
      if (!f) throw Error(ErrorKind::usage, "unknown format '" + *name + "' in the query's FORMAT clause");
      format = *f;
    }
    ResultOutput out(sql::into_outfile(statement));
    text::BlockFormatter formatter(format, options);
    ProgressLine progress(show_progress);
    QueryOptions query_options;
    query_options.params = params_for(statement, params);
    query_options.stop = std::move(stop);
    query_options.on_progress = [&](const QueryProgress&, const QueryProgress& total) { progress.update(total); };

    std::string buffer;
    const auto start = Clock::now();
    Result result;
    try {
      result = conn.select(
          statement,
          [&](const Block& block) {
            progress.clear();
            formatter.write_block(buffer, block);
            out.write(buffer);
          },
          query_options);
    } catch (...) {
      progress.clear();
      throw;
    }
    progress.clear();
    formatter.finish(buffer, result.header, result.totals ? &*result.totals : nullptr,
                     result.extremes ? &*result.extremes : nullptr);
    out.write(buffer);
    out.finish();
    if (time_) {
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      std::ostringstream s;
      s << std::fixed << std::setprecision(3) << seconds << '\n';
      std::cerr << s.str();
    }
  }

  std::string query_;
  std::string format_ = "TabSeparated";
  std::vector<std::string> params_;
  bool time_ = false;
  bool multiquery_ = false;
  bool progress_ = false;
  bool no_progress_ = false;
  std::string strategy_;
};

}  // namespace

std::unique_ptr<Command> make_query_command() { return std::make_unique<QueryCommand>(); }

}  // namespace chconn::cli
