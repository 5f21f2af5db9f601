// `chconn health`: one health check of every strategy the configuration gives — the
// ConnectionManager's report (breaker state, error count, last error, ping latency per strategy
// and, for several hosts, per host through a FailoverStrategy) — and optionally its metrics in the
// Prometheus text format. Exit code 0 when every strategy answered, 1 otherwise.
//
// Time: the strategies (and a failover's hosts) are checked concurrently, each within the connect
// timeout from when its check starts, and none starts later than one connect timeout into the run
// (ManagerOptions::health_check_timeout; see manager.h). So a silent server costs one timeout in
// all, not one per strategy.
#include <iostream>
#include <memory>

#include "chconn/factory/factory.h"
#include "chconn/manager/manager.h"
#include "chconn/strategy/failover.h"
#include "cli.h"

namespace chconn::cli {
namespace {

class HealthCommand final : public Command {
 public:
  CLI::App* add_to(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "health",
        "check the servers of the configuration (every strategy, and every host when there are several) "
        "and print a health report; exit code 1 if any check failed");
    sub->add_flag("--metrics", metrics_, "also print the metrics in the Prometheus text format");
    return sub;
  }

  int run(const Context& context) override {
    const Config config = context.connection.to_config();
    auto factory = std::make_shared<ConnectionFactory>();
    // Several hosts (or strategy=failover): check each of them through a FailoverStrategy.
    if (config.hosts.size() > 1 || config.strategy == "failover") {
      factory->register_strategy(std::make_shared<FailoverStrategy>(config));
    }
    initialize(*factory, config);

    ManagerOptions options;
    // Each check's own budget and the run's one overall start limit.
    options.health_check_timeout = config.timeouts.connect;
    options.logger = config.logger;
    ConnectionManager manager(factory, options);
    const HealthReport report = manager.run_health_check_once();
    std::cout << unverified_tls_mark(config) << to_string(report);
    if (metrics_) std::cout << '\n' << manager.metrics_text();
    std::cout.flush();
    return report.healthy() ? 0 : 1;
  }

 private:
  bool metrics_ = false;
};

}  // namespace

std::unique_ptr<Command> make_health_command() { return std::make_unique<HealthCommand>(); }

}  // namespace chconn::cli
