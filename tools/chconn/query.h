// The query command of the CLI (the default action: run statements and print their results; see
// query.cpp for what it does), internal to the CLI, in four files:
//   query.cpp              the command: its flags, the run over a script's statements, the
//                          errors and exit statuses of clickhouse-client
//   query_input.cpp        data from the client: INSERTs with inline or stdin data, --external
//                          tables, --queries-file
//   query_output.cpp       results: one statement's blocks formatted to stdout or INTO OUTFILE, the
//                          progress line, the output settings
//   query_interactive.cpp  the interactive prompt
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/sql.h"
#include "chconn/factory/factory.h"
#include "chconn/format/input.h"
#include "chconn/format/text.h"
#include "cli.h"

namespace chconn::cli::query {

using Clock = std::chrono::steady_clock;
using sql::ScriptStatement;
using sql::split_script;

// An error clickhouse-client 18.16 raises itself, with its code and first line: an unknown format
// (73), a file INTO OUTFILE cannot create (76), no statement at all (62, "Empty query"). Printed
// as "Code: N. NAME: MESSAGE"; the exit status is N modulo 256.
struct ClientException {
  std::int32_t code;
  std::string name;  // "DB::Exception", "DB::ErrnoException"
  std::string message;
};

// Prints `e` as clickhouse-client prints its own errors; returns the exit status.
int report(const ClientException& e);

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
int report_input_error(const InputError& bad);

// What one statement gave, for the interactive prompt's summary line.
struct Outcome {
  std::uint64_t rows = 0;       // result rows received
  bool result_columns = false;  // false for statements without a result (DDL, INSERT): "Ok."
};

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

// Only the parameters a statement's placeholders use, so that one set of --param flags can serve
// a script whose statements use different ones.
Params params_for(std::string_view statement, const Params& all);
// "18.16.1": the server's version as clickhouse-client prints it.
std::string version_of(const ServerInfo& info);
// `s` without ClickHouse's whitespace (space, \t, \n, \r, \f, \v) at either end.
std::string_view trim_blank(std::string_view s);
// "0.005": seconds since `start` with three decimals, as clickhouse-client prints elapsed times.
std::string seconds_text(Clock::time_point start);

// The output format named `name` (any letter case); ClientException 73 for an unknown one
// (query_output.cpp).
text::OutputFormat output_format(const std::string& name);
// A boolean setting (true, false or a number) into `target`, when it is given (query_output.cpp).
void setting_flag(const Settings& settings, std::string_view name, bool& target);
// The settings clickhouse-client 18.16 applies to its own parsing of an INSERT's data.
struct InputSettings {
  // input_format_skip_unknown_fields: JSONEachRow and TSKV keys naming no column are ignored.
  bool skip_unknown_fields = false;
  // date_time_input_format: 'basic' or 'best_effort' DateTime text.
  text::DateTimeInputFormat date_time_input_format = text::DateTimeInputFormat::basic;
};
// The input settings given in `settings` into `input` (query_output.cpp); Error(usage) for a value
// chconn cannot read.
void apply_input_settings(const Settings& settings, InputSettings& input);
// The output_format_* settings given with --setting (or the DSN) into `options` (query_output.cpp).
void apply_output_settings(const Settings& settings, text::FormatOptions& options);
// The assignments of a SET statement (`SET a = 1, b = 'x'`), string values unquoted; empty for any
// other statement (query_output.cpp).
Settings set_assignments(std::string_view statement);
// The whole text of a --queries-file file (query_input.cpp).
std::string read_queries_file(const std::string& file);

class QueryCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override;
  int run(const Context& context) override;

 private:
  int run_queries(const Context& context);
  static void print_ignored(std::string_view message);
  Outcome run_one(Connection& conn, const ScriptStatement& statement, text::OutputFormat format,
                  const text::FormatOptions& options, const Params& params, bool show_progress, bool script_from_stdin,
                  std::stop_token stop);
  // query_interactive.cpp
  int run_interactive(ConnectionFactory& factory, const Settings& settings, text::OutputFormat format,
                      const Params& params, bool show_progress);
  int run_interactive_script(ConnectionFactory& factory, Lease& lease, const std::string& script,
                             text::OutputFormat format, Settings& session, text::FormatOptions& options,
                             const Params& params, bool show_progress);
  // query_input.cpp
  void run_insert(Connection& conn, const ScriptStatement& statement, bool script_from_stdin, const Params& params,
                  std::stop_token stop);
  void open_external_tables(const std::vector<ExternalTableFlags>& tables, bool script_from_stdin);
  // query_output.cpp
  Outcome run_statement(Connection& conn, std::string_view statement, text::OutputFormat format,
                        const text::FormatOptions& options, const Params& params, bool show_progress,
                        std::stop_token stop);
  void print_elapsed(Clock::time_point start) const;
  // After a SET the server accepted: its output_format_* and input settings (InputSettings)
  // assignments apply to chconn's own output and parsing from the next statement on, as
  // clickhouse-client 18.16 applies a SET to its own context. `session` holds the settings given
  // so far (--setting, the DSN, earlier SETs).
  void apply_set(std::string_view statement, Settings& session, text::FormatOptions& options);

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
  // The input settings from --setting and SET, applied to chconn's own parsing as clickhouse-client
  // applies them to its own.
  InputSettings input_settings_;
  bool multiquery_ = false;
  bool ignore_error_ = false;
  bool multiline_ = false;  // accepted, no effect (see add_to)
  bool progress_ = false;
  bool no_progress_ = false;
  std::string strategy_;
};

}  // namespace chconn::cli::query
