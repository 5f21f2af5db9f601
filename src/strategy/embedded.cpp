#include "chconn/strategy/embedded.h"

#include "chconn/connection/embedded_connection.h"
#include "chconn/strategy/pooled.h"

namespace chconn {

std::shared_ptr<ConnectionStrategy> make_embedded_strategy(const Config& config) {
  PooledOptions options = pooled_options(config);
  options.name = "embedded";
  return std::make_shared<PooledStrategy>(embedded_connector(config), options);
}

}  // namespace chconn
