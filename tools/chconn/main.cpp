// chconn — command-line client for ClickHouse over the native protocol.
//
// Without a subcommand it runs queries, with clickhouse-client's flags:
//   chconn --port 9000 -q "SELECT 1; SELECT 2" --format CSV
//   echo "SELECT version()" | chconn --dsn clickhouse://app@db1:9000/analytics
//   chconn --port 9000            (on a terminal: the interactive prompt; see query.cpp)
// Subcommands: config (print the effective configuration). See cli.h to add more.
//
// Exit statuses: the query command exits as clickhouse-client 18.16 does (0 on success, a server
// exception's code modulo 256, 210 when the server cannot be reached, 1 for bad flags...; see
// ExitStatuses in cli.h and the table in docs/guide.md); the subcommands exit 1 on client-side
// failures and 2 on bad flags, DSNs or formats. 130 / 143 when SIGINT (Ctrl-C) / SIGTERM cancelled
// the running query (it is cancelled on the server too; a second signal exits at once without
// waiting for the server).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <vector>

#include "cli.h"

namespace {

int run(int argc, char** argv) {
  using namespace chconn;
  using namespace chconn::cli;

  CLI::App app{"chconn: ClickHouse client over the native protocol"};
  app.set_help_flag("--help", "print this help and exit");  // -h is --host, as in clickhouse-client
  app.set_version_flag("-V,--version", "chconn version " CHCONN_VERSION ".", "print the version and exit");
  app.fallthrough();  // connection flags may also follow a subcommand's name
  app.footer(
      "Ctrl-C (SIGINT) or SIGTERM while a query runs cancels it on the server and exits 130 / 143 (at the "
      "interactive prompt, Ctrl-C goes back to the prompt); a second one exits at once without waiting for the "
      "server.\nWith a terminal on stdin and no -q or --queries-file, chconn is interactive: statements end at ';' "
      "or \\G, history in ~/.chconn_history, exit or Ctrl-D to leave.");

  ConnectionFlags connection;
  connection.add_to(app);

  // The default command first; subcommands after it. New ones (bench, health) go in this list.
  std::vector<std::unique_ptr<Command>> commands;
  commands.push_back(make_query_command());
  commands.push_back(make_config_command());
  commands.push_back(make_health_command());
  commands.push_back(make_bench_command());
  std::vector<CLI::App*> subcommands;
  subcommands.reserve(commands.size());
  for (auto& c : commands) subcommands.push_back(c->add_to(app));
  app.require_subcommand(0, 1);

  // Work on a copy of argv: --param_NAME and --<setting>=value are not something CLI11 can declare,
  // and the original is scrubbed of secrets once it has been read.
  std::vector<std::string> args(argv + 1, argv + argc);
  // Bad flags: the query command exits 1 after "Bad arguments: ...", as clickhouse-client does;
  // a subcommand keeps its own status, 2. Which one the flags were for is known only once CLI11 has
  // seen a subcommand's name (parsed() on it), or before parsing, from the words themselves.
  const auto names_subcommand = [&] {
    return std::any_of(subcommands.begin(), subcommands.end(), [&](const CLI::App* sub) {
      return sub != nullptr && (sub->parsed() || std::find(args.begin(), args.end(), sub->get_name()) != args.end());
    });
  };
  Params params;
  std::vector<ExternalTableFlags> external_tables;
  try {
    extract_external_tables(args, external_tables);
    extract_params(args, params);
    extract_settings(args, app, connection.settings);
  } catch (const Error& e) {
    return report_error(e, names_subcommand() ? ExitStatuses::chconn : ExitStatuses::clickhouse_client);
  }
  std::vector<const char*> arg_ptrs{argv[0]};
  for (const auto& a : args) arg_ptrs.push_back(a.c_str());
  scrub_secrets(argc, argv);
  try {
    app.parse(static_cast<int>(arg_ptrs.size()), arg_ptrs.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0 || names_subcommand()) {
      const int code = app.exit(e);  // --help, --version, or a subcommand's bad flags
      return code == 0 ? 0 : 2;
    }
    std::cerr << "Bad arguments: " << e.what() << "\nRun with --help for more information.\n";
    return 1;
  }

  Command* chosen = commands.front().get();
  for (std::size_t i = 0; i < commands.size(); ++i) {
    if (subcommands[i] && subcommands[i]->parsed()) chosen = commands[i].get();
  }
  const Context context{connection, params, external_tables};
  try {
    return chosen->run(context);
  } catch (const Error& e) {
    return report_error(e, ExitStatuses::chconn);  // the query command reports its own (ExitStatuses)
  } catch (const std::exception& e) {
    std::cerr << "chconn: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  // What escapes run() (CLI11 setting up, or memory running out before a command runs) is still a
  // message and exit status 1, never std::terminate.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fputs("chconn: ", stderr);
    std::fputs(e.what(), stderr);
    std::fputc('\n', stderr);
  } catch (...) {
    std::fputs("chconn: unknown error\n", stderr);
  }
  return 1;
}
