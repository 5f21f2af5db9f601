// Connector: the one way new connections are made. Strategies receive a Connector instead of
// creating connections themselves, so the same pool runs over real servers (native_connector) in
// production and over MockConnections in tests.
//
// Thread safety: connect() may be called from several threads at once.
#pragma once

#include <memory>
#include <string>

#include "chconn/connection/connection.h"
#include "chconn/core/clock.h"
#include "chconn/core/config.h"

namespace chconn {

class Connector {
 public:
  virtual ~Connector() = default;
  // Opens, handshakes and returns a new usable connection, or throws chconn::Error (network,
  // timeout, server for a refused login, ...). Never takes longer than `deadline`.
  virtual std::unique_ptr<Connection> connect(Deadline deadline) = 0;
  // What this connector connects to, for logs and stats ("db1:9000" or "mock").
  virtual std::string describe() const = 0;
};

// Connects to `host` (one of config.hosts) with NativeConnection: TCP or TLS, handshake, and the
// config's user, database, compression, timeouts and settings. Its connections share one TLS
// context and one Resolver (config.dns_servers; answers cached as chconn/net/resolver.h says).
// Throws Error(config) for a config that cannot work (Config::validate, a dns_servers entry that
// is not an IP address). With TLS verification turned off (config.tls.verify = false), each
// connector logs one warning through config.logger when it is made, naming its hosts: so once per
// strategy made from the config (initialize() gives direct and pooled one connector; failover has
// one per host), not once per connection.
std::shared_ptr<Connector> native_connector(const Config& config, const HostPort& host);

// Connects to the config's hosts in order, returning the first that answers (each within
// config.timeouts.connect, all within the deadline). For one host, the same as native_connector.
std::shared_ptr<Connector> native_connector(const Config& config);

}  // namespace chconn
