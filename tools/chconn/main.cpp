// chconn — command-line client for ClickHouse over the native protocol.
#include <CLI/CLI.hpp>

#include <iostream>

#include "chconn/core/config.h"
#include "chconn/core/error.h"

int main(int argc, char** argv) {
  CLI::App app{"chconn: ClickHouse client over the native protocol"};
  std::string dsn;
  app.add_option("--dsn", dsn, "connection DSN: clickhouse://user:password@host:port/db?...");
  auto* config_cmd = app.add_subcommand("config", "print the effective configuration (password redacted)");
  CLI11_PARSE(app, argc, argv);
  try {
    chconn::Config config = dsn.empty() ? chconn::Config::from_env() : chconn::Config::from_dsn(dsn);
    config.validate();
    if (*config_cmd) std::cout << config << '\n';
    return 0;
  } catch (const chconn::Error& e) {
    std::cerr << e.what() << '\n';
    return 1;
  }
}
