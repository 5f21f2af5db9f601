#include "chconn/connection/connector.h"

#include <memory>
#include <string>
#include <vector>

#include "chconn/connection/native_connection.h"
#include "chconn/core/error.h"
#include "chconn/core/log.h"
#include "chconn/net/resolver.h"
#include "chconn/net/tls.h"
#include "connection/resolver_for.h"

namespace chconn {

namespace {

class NativeConnector final : public Connector {
 public:
  NativeConnector(const Config& config, std::vector<HostPort> hosts) : config_(config), hosts_(std::move(hosts)) {
    config_.validate();
    if (hosts_.empty()) throw Error(ErrorKind::config, "a connector needs at least one host");
    // One TLS context for every connection of this connector: certificates are loaded once.
    if (config_.secure) tls_ = std::make_shared<const net::TlsContext>(config_.tls);
    // One resolver too: its cache saves a DNS lookup per connection of a pool.
    resolver_ = detail::resolver_for(config_);
    // Said here, with the TLS context, so once per connector (once per strategy made from the
    // config) and never once per connection, which would flood the log of a busy pool.
    // validate() has refused verify = false without secure.
    if (tls_ && !config_.tls.verify) {
      log(config_.logger.get(), LogLevel::warning,
          "TLS certificate verification is off (tls_verify=false) for connections to " + describe() +
              ": the server's identity is not checked, so anyone on the network path can pose as the server and "
              "read the password and the data; use it for tests only");
    }
  }

  std::unique_ptr<Connection> connect(Deadline deadline) override {
    std::unique_ptr<Error> last;
    for (const HostPort& host : hosts_) {
      if (deadline.expired()) break;
      try {
        return NativeConnection::connect(config_, host, deadline, tls_, resolver_);
      } catch (const Error& e) {
        // A refused login or an unknown database will not improve on another host of the same
        // cluster; connection failures might.
        if (!classify(e).host_failure) throw;
        last = std::make_unique<Error>(e);
      }
    }
    if (last) throw *last;
    throw Error(ErrorKind::timeout, "no connection to " + describe() + " could be attempted before the deadline");
  }

  std::string describe() const override {
    std::string out;
    for (const HostPort& host : hosts_) {
      if (!out.empty()) out += ",";
      out += to_string(HostPort{host.host, config_.port_of(host)});
    }
    return out;
  }

 private:
  Config config_;
  std::vector<HostPort> hosts_;
  std::shared_ptr<const net::TlsContext> tls_;
  std::shared_ptr<const net::Resolver> resolver_;
};

}  // namespace

std::shared_ptr<Connector> native_connector(const Config& config, const HostPort& host) {
  return std::make_shared<NativeConnector>(config, std::vector<HostPort>{host});
}

std::shared_ptr<Connector> native_connector(const Config& config) {
  return std::make_shared<NativeConnector>(config, config.hosts);
}

}  // namespace chconn
