#include "support/connection_helpers.h"

namespace chconn::test {

using namespace std::chrono_literals;

Config sandbox_config(std::string_view name, bool tls) {
  const SandboxServer server = sandbox(name);
  Config config;
  config.hosts = {{"127.0.0.1", tls ? server.tls_port : server.native_port}};
  config.secure = tls;
  if (tls) config.tls.ca_file = server.cert_file;
  config.timeouts.connect = 5s;
  config.timeouts.query = 60s;
  config.timeouts.receive = 30s;
  config.timeouts.send = 30s;
  config.client_name = "chconn-tests";
  return config;
}

std::unique_ptr<NativeConnection> connect(const Config& config) {
  return NativeConnection::connect(config, config.hosts.front(), Deadline::after(config.timeouts.connect));
}

std::unique_ptr<NativeConnection> connect_sandbox(std::string_view name) { return connect(sandbox_config(name)); }

}  // namespace chconn::test
