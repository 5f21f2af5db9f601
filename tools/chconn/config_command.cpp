// `chconn config`: prints the effective configuration as a DSN, password redacted, and a warning
// line after it when TLS certificate verification is off. It connects to nothing, so it shows what
// the flags, --dsn and the environment add up to.
#include <iostream>

#include "cli.h"

namespace chconn::cli {
namespace {

class ConfigCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    return app.add_subcommand("config", "print the effective configuration (password redacted) and exit");
  }

  int run(const Context& context) override {
    const Config config = context.connection.to_config();
    std::cout << config << '\n' << unverified_tls_mark(config);
    return 0;
  }
};

}  // namespace

std::unique_ptr<Command> make_config_command() { return std::make_unique<ConfigCommand>(); }

}  // namespace chconn::cli
