#include "strategy_choice.h"

#include <memory>

#include "chconn/core/error.h"
#include "chconn/strategy/mock.h"

namespace chconn::cli {

std::string select_strategy(ConnectionFactory& factory, Config& config, std::string_view flag) {
  if (!flag.empty()) {
    if (flag != "direct" && flag != "pooled" && flag != "failover" && flag != "mock" && flag != "embedded" &&
        flag != "rollout" && flag != "shadow") {
      throw Error(ErrorKind::usage,
                  "--strategy: unknown strategy '" + std::string(flag) + "'; known: " + std::string(k_strategy_names));
    }
    config.strategy = std::string(flag);
  }
  // initialize() checks config.strategy against what is registered, so the mock goes in first.
  if (config.strategy == "mock" && config.environment != Environment::testing) {
    factory.register_strategy(std::make_shared<MockStrategy>(), true);
  }
  initialize(factory, config);
  return factory.default_name();
}

}  // namespace chconn::cli
