// Connector: the one way new connections are made. Strategies receive a Connector instead of
// creating connections themselves, so the same pool runs over real servers (native_connector) in
// production and over MockConnections in tests.
//
// Thread safety: connect() may be called from several threads at once.
#pragma once

#include <memory>
#include <string>
#include <vector>

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
  // For a connector that tries several hosts in turn: one connector per host, in its order, each
  // connecting to that host alone (what a health check uses to check every host on a budget of its
  // own). Empty for a connector of one target, the default.
  virtual std::vector<std::shared_ptr<Connector>> host_connectors() const { return {}; }
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
// config.timeouts.connect, all within the deadline). For one host, the same as native_connector;
// for several, connector_over_hosts over one native connector per host, all sharing one TLS
// context and one Resolver.
std::shared_ptr<Connector> native_connector(const Config& config);

// Tries `hosts` in order within the deadline, returning the first connection made. A failure that
// is not the host's (classify(e).host_failure is false: a refused login, an unknown database)
// will not improve on another host of the same cluster and is thrown at once. When no host gave a
// connection, the error is the last host's (its kind and server code), its message prefixed with
// what each earlier host met and which hosts had no turn before the deadline. host_connectors()
// returns `hosts`. Throws Error(usage) for an empty list or a null entry. `clock` (null:
// steady_clock(), else outliving the connector) is what the deadline is checked against.
std::shared_ptr<Connector> connector_over_hosts(std::vector<std::shared_ptr<Connector>> hosts,
                                                const Clock* clock = nullptr);

}  // namespace chconn
