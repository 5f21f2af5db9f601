// DirectStrategy: a new connection for every lease, closed when the lease ends (the
// DirectConnectionStrategy of the plan chconn was built from; see docs/design.md, "Where it comes
// from"). Simple and stateless; right for scripts, tools and low call rates.
//
// acquire() connects through the Connector (within the deadline and connect_timeout) and, when
// ping_on_acquire is set, checks the server answers before handing the connection out. Any error
// propagates as it was thrown, and a connection whose ping failed is closed first.
//
// Thread safety: every member may be called from any thread.
// Lifetimes: leases may outlive the strategy; the Clock must outlive both.
//
// Example:
//   chconn::DirectStrategy direct(config);          // native connections to config.hosts
//   chconn::Lease lease = direct.acquire();
//   lease->execute("SYSTEM FLUSH LOGS");
//
//   chconn::DirectStrategy checked(connector, {.name = "direct-checked", .ping_on_acquire = true});
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "chconn/connection/connector.h"
#include "chconn/core/clock.h"
#include "chconn/core/config.h"
#include "chconn/strategy/strategy.h"

namespace chconn {

struct DirectOptions {
  std::string name = "direct";
  // Ping each new connection before handing it out.
  bool ping_on_acquire = false;
  // Upper bound on one acquire (connect + optional ping), whatever the caller's deadline.
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
  // null: steady_clock(). Must outlive the strategy and its leases.
  const Clock* clock = nullptr;
};

// The options DirectStrategy(config) uses: connect_timeout bounds connecting to all of
// config.hosts in turn, each host within its own config.timeouts.connect.
DirectOptions direct_options(const Config& config);

class DirectStrategy final : public ConnectionStrategy {
 public:
  // Native connections to the config's hosts (native_connector(config)), with its connect timeout.
  explicit DirectStrategy(const Config& config);
  // Connections from `connector` (never null).
  explicit DirectStrategy(std::shared_ptr<Connector> connector, DirectOptions options = {});
  ~DirectStrategy() override;

  using ConnectionStrategy::acquire;
  Lease acquire(Deadline deadline) override;
  const std::string& name() const noexcept override;
  StrategyStats stats() const override;
  // Over a connector of several hosts (native_connector of a Config with several, or
  // connector_over_hosts): one entry per host, and each host checked on its own through its own
  // connector (see ConnectionStrategy::check_hosts), within the check's timeout and at most
  // connect_timeout. Empty for a connector of one target.
  std::vector<HostStats> host_stats() const override;
  std::vector<HostCheck> check_hosts(const HostCheckOptions& options) override;

  class State;  // shared with the leases; internal

 private:
  std::shared_ptr<State> state_;
};

}  // namespace chconn
