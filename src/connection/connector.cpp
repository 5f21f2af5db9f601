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
  // A connector of `host` alone. `tls` (null unless config.secure) and `resolver` are shared
  // with the other hosts' connectors of the same config: certificates are loaded once, and the
  // resolver's cache saves a DNS lookup per connection of a pool.
  NativeConnector(const Config& config, HostPort host, std::shared_ptr<const net::TlsContext> tls,
                  std::shared_ptr<const net::Resolver> resolver)
      : config_(config), host_(std::move(host)), tls_(std::move(tls)), resolver_(std::move(resolver)) {}

  std::unique_ptr<Connection> connect(Deadline deadline) override {
    return NativeConnection::connect(config_, host_, deadline, tls_, resolver_);
  }

  std::string describe() const override { return to_string(HostPort{host_.host, config_.port_of(host_)}); }

 private:
  Config config_;
  HostPort host_;
  std::shared_ptr<const net::TlsContext> tls_;
  std::shared_ptr<const net::Resolver> resolver_;
};

class HostListConnector final : public Connector {
 public:
  HostListConnector(std::vector<std::shared_ptr<Connector>> hosts, const Clock* clock)
      : hosts_(std::move(hosts)), clock_(clock ? clock : &steady_clock()) {
    if (hosts_.empty()) throw Error(ErrorKind::usage, "connector_over_hosts needs at least one host");
    for (const auto& h : hosts_) {
      if (!h) throw Error(ErrorKind::usage, "connector_over_hosts was given a null connector");
    }
  }

  std::unique_ptr<Connection> connect(Deadline deadline) override {
    std::string earlier;  // what the hosts before the last one tried met
    std::unique_ptr<Error> last;
    std::size_t tried = 0;
    for (; tried < hosts_.size(); ++tried) {
      if (deadline.expired(*clock_)) break;
      try {
        return hosts_[tried]->connect(deadline);
      } catch (const Error& e) {
        // A refused login or an unknown database will not improve on another host of the same
        // cluster; connection failures might.
        if (!classify(e).host_failure) throw;
        if (last) earlier += "; " + last->message();
        last = std::make_unique<Error>(e);
      }
    }
    std::string untried;
    for (std::size_t i = tried; i < hosts_.size(); ++i) untried += (untried.empty() ? "" : ",") + hosts_[i]->describe();
    if (!last) {
      throw Error(ErrorKind::timeout,
                  "no connection to " + describe() + " could be attempted: " + deadline.describe() + " had passed");
    }
    if (hosts_.size() == 1) throw *last;
    std::string context =
        "none of the " + std::to_string(hosts_.size()) + " hosts " + describe() + " gave a connection";
    if (!earlier.empty()) context += " (" + earlier.substr(2) + ")";
    if (!untried.empty()) context += "; " + untried + " had no turn before " + deadline.describe() + " passed";
    context += "; the last tried";
    throw last->with_context(context);
  }

  std::string describe() const override {
    std::string out;
    for (const auto& host : hosts_) out += (out.empty() ? "" : ",") + host->describe();
    return out;
  }

  std::vector<std::shared_ptr<Connector>> host_connectors() const override { return hosts_; }

 private:
  std::vector<std::shared_ptr<Connector>> hosts_;
  const Clock* clock_;
};

}  // namespace

namespace {

// The connectors of `hosts` of `config`, sharing one TLS context and one resolver. Said once per
// call (so once per strategy made from the config, and never once per connection, which would
// flood the log of a busy pool): TLS verification being off.
std::vector<std::shared_ptr<Connector>> host_connectors_of(const Config& config, const std::vector<HostPort>& hosts) {
  config.validate();
  if (hosts.empty()) throw Error(ErrorKind::config, "a connector needs at least one host");
  std::shared_ptr<const net::TlsContext> tls;
  if (config.secure) tls = std::make_shared<const net::TlsContext>(config.tls);
  const std::shared_ptr<const net::Resolver> resolver = detail::resolver_for(config);
  std::vector<std::shared_ptr<Connector>> out;
  out.reserve(hosts.size());
  for (const HostPort& host : hosts) out.push_back(std::make_shared<NativeConnector>(config, host, tls, resolver));
  // validate() has refused verify = false without secure.
  if (tls && !config.tls.verify) {
    std::string names;
    for (const auto& c : out) names += (names.empty() ? "" : ",") + c->describe();
    log(config.logger.get(), LogLevel::warning,
        "TLS certificate verification is off (tls_verify=false) for connections to " + names +
            ": the server's identity is not checked, so anyone on the network path can pose as the server and "
            "read the password and the data; use it for tests only");
  }
  return out;
}

}  // namespace

std::shared_ptr<Connector> native_connector(const Config& config, const HostPort& host) {
  return host_connectors_of(config, {host}).front();
}

std::shared_ptr<Connector> native_connector(const Config& config) {
  std::vector<std::shared_ptr<Connector>> hosts = host_connectors_of(config, config.hosts);
  if (hosts.size() == 1) return std::move(hosts.front());
  return connector_over_hosts(std::move(hosts));
}

std::shared_ptr<Connector> connector_over_hosts(std::vector<std::shared_ptr<Connector>> hosts, const Clock* clock) {
  return std::make_shared<HostListConnector>(std::move(hosts), clock);
}

}  // namespace chconn
