// Shared pieces of the chconn command-line tool: connection flags, argv pre-processing, error
// reporting, and the Command interface every subcommand implements.
//
// Adding a subcommand (bench, health, --strategy...): write a Command in its own .cpp file, declare
// its factory below, and add it to the list in main.cpp. Connection flags are global options, so
// every subcommand gets the same Config from them.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chconn/connection/native_connection.h"
#include "chconn/connection/params.h"
#include "chconn/core/config.h"
#include "chconn/core/error.h"

namespace chconn::cli {

// Flags that say where and how to connect, mirroring clickhouse-client's. Anything not given
// comes from --dsn, or else from the environment (CLICKHOUSE_DSN, CLICKHOUSE_HOST,
// CLICKHOUSE_PASSWORD, ...; see Config::from_env).
struct ConnectionFlags {
  std::string dsn;
  std::string host;                    // host, host:port, [v6], [v6]:port or a bare IPv6 address (parse_host_port)
  CLI::Option* host_option = nullptr;  // set by add_to(); tells whether --host was given
  std::string port;                    // 1..65535; read by parse_port, so "0" is an error and not "the default"
  CLI::Option* port_option = nullptr;  // set by add_to(); tells whether --port was given
  std::string user;
  std::string password;
  CLI::Option* password_option = nullptr;  // set by add_to(); tells whether --password was given
  bool ask_password = false;
  std::string database;
  bool secure = false;
  bool accept_invalid_certificate = false;
  std::string ca_file;
  std::string compression;
  std::vector<std::string> settings;  // NAME=VALUE
  std::string connect_timeout;
  std::string query_timeout;

  void add_to(CLI::App& app);
  // The effective configuration; throws Error(config) naming the bad flag. A port given with
  // --host and with --port must agree, and --port must agree with the ports of the DSN's or the
  // environment's hosts (apply_port). When TLS certificate verification is off it warns on stderr,
  // once however often it is called (each command calls it once; the warning is for the process).
  Config to_config() const;

 private:
  mutable bool warned_unverified_tls_ = false;
};

// The line `chconn config` and `chconn health` add to their output when TLS certificate
// verification is off, so that what they print cannot pass for a verified setup; empty otherwise.
std::string unverified_tls_mark(const Config& config);

// One clickhouse-client --external group: a temporary table sent with the query (its file read
// with the input format; "-" is stdin), named `name`, with the columns of `structure` ("a UInt64,
// b String") or the types of `types` ("UInt64, String", columns _1, _2, ...).
struct ExternalTableFlags {
  std::string file;
  std::string name = "_data";
  std::string format = "TabSeparated";
  std::string structure;
  std::string types;
};

// What every command is handed.
struct Context {
  const ConnectionFlags& connection;
  const Params& params;                                    // --param_NAME=value and --param NAME=value
  const std::vector<ExternalTableFlags>& external_tables;  // --external groups, in order
};

class Command {
 public:
  virtual ~Command() = default;
  // Adds the command's own options: to `app` itself for the default (query) command, or to a new
  // subcommand of it. Returns the subcommand, or null for the default command.
  virtual CLI::App* add_to(CLI::App& app) = 0;
  // Runs the command; returns the process exit code. May throw chconn::Error.
  virtual int run(const Context& context) = 0;
};

std::unique_ptr<Command> make_query_command();
std::unique_ptr<Command> make_config_command();
std::unique_ptr<Command> make_health_command();
std::unique_ptr<Command> make_bench_command();

// ----- argv -----------------------------------------------------------------------------------

// Removes clickhouse-client style `--param_NAME=value` and `--param_NAME value` arguments from
// `args` (which excludes the program name) into `params`. Throws Error(usage) on a parameter
// without a value.
void extract_params(std::vector<std::string>& args, Params& params);

// Removes clickhouse-client's external table groups from `args` into `tables`, as 18.16 splits
// them: `--external` starts a group, which takes the --file, --name, --format, --structure and
// --types that follow it (`--flag value` or `--flag=value`) and ends at any other argument.
void extract_external_tables(std::vector<std::string>& args, std::vector<ExternalTableFlags>& tables);

// Moves clickhouse-client style `--NAME=value` and `--NAME value` arguments for server settings
// (max_threads, ...) from `args` into `settings` as NAME=VALUE, the form of --setting (validated
// there). An argument is a setting when NAME is not an option of `app` or of one of its
// subcommands; a setting the server does not know is the server's error. Throws Error(usage) for
// `--NAME` without a value.
void extract_settings(std::vector<std::string>& args, const CLI::App& app, std::vector<std::string>& settings);

// Overwrites, in the process's own argv, the values of --password and the password inside a
// --dsn, so that `ps` and /proc/PID/cmdline no longer show them once parsing is done.
void scrub_secrets(int argc, char** argv);

// Parses one NAME=VALUE argument of --setting / --param; throws Error(usage) naming `flag`.
std::pair<std::string, std::string> split_assignment(const std::string& text, std::string_view flag);

// Reads a password from the terminal with echo off; throws Error(usage) without a terminal.
std::string read_password_from_terminal(std::string_view prompt);

// ----- errors ---------------------------------------------------------------------------------

// Which exit statuses an error maps to.
enum class ExitStatuses {
  // The query command, a drop-in for clickhouse-client: the statuses clickhouse-client 18.16 exits
  // with, measured on a 18.16.1 server (the table is in docs/guide.md, "Exit statuses"): a server
  // exception's code modulo 256, 210 for network failures (refused, reset, closed), 209 for
  // timeouts, 100 for a reply that breaks the protocol, 394 for a cancel, 1 for bad flags,
  // configuration and other usage errors.
  clickhouse_client,
  // chconn's own subcommands (config, health, bench): 1 for client-side failures, 2 for usage and
  // configuration errors; server exceptions as above.
  chconn,
};

// Prints `error` to stderr and returns the exit status `statuses` give it. Server exceptions are
// printed as clickhouse-client prints them ("Received exception from server (version V):" when
// `server_version` is known, then "Code: 60. DB::Exception: Received from host:port.
// DB::Exception: ..."), and give the server's code modulo 256 (1 when that is 0: 18.16 would exit
// 0, which would pass for success). Other errors: with clickhouse_client statuses as
// clickhouse-client prints its own ("Code: 210. DB::NetException: ...", "Bad arguments: ..." for
// configuration errors), with chconn statuses "chconn: <kind> error: ...".
int report_error(const Error& error, ExitStatuses statuses, const std::string& server_version = {},
                 const std::string& peer = {});

// A server exception's message without the exception's name that 18.16 puts before it
// ("DB::Exception: Unknown function f" -> "Unknown function f").
std::string server_message(const Error& error);

// The status clickhouse-client exits with for the exception `code`: the code modulo 256, or 1 when
// that is 0 (see report_error).
int exit_status_for_code(std::int32_t code);

}  // namespace chconn::cli
