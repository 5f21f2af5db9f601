// ConnectionFactory: a registry of named strategies and a default, and initialize(factory, config),
// which fills it from the configuration, so which strategy a program uses is chosen at run time
// (by config or environment) rather than by a feature flag and a rebuild. These are the
// ClickHouseConnectionFactory and initialize_factory of the plan chconn was built from (see
// docs/design.md, "Where it comes from").
//
// The factory only chooses; it never makes connections itself and knows nothing of the manager
// or client above it. Strategies are shared: the factory, the application and the manager may all
// hold the same one.
//
// Errors (chconn::Error, never a silent fallback):
//   register_strategy with a taken name (without replace)  usage, naming it
//   set_default / acquire / get of an unknown name         usage, listing the registered names
//   acquire() with no default set                          usage, saying how to set one
//   initialize() with an unknown config.strategy           config, listing the known names
//
// Thread safety: every member may be called from any number of threads at once (a shared mutex;
// acquire() holds it only to look the strategy up, never while connecting). Lifetimes: leases
// outlive nothing here (they hold their strategy's shared state), so strategies may be replaced
// or the factory destroyed while leases are live.
//
// Example:
//   chconn::ConnectionFactory factory;
//   chconn::initialize(factory, config);   // "direct", "pooled", "failover" (+ "mock" in testing)
//   chconn::Lease lease = factory.acquire();          // the default strategy
//   chconn::Lease other = factory.acquire("direct");  // a named one
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/clock.h"
#include "chconn/core/config.h"
#include "chconn/strategy/lease.h"
#include "chconn/strategy/strategy.h"

namespace chconn {

class ConnectionFactory {
 public:
  ConnectionFactory() = default;
  ConnectionFactory(const ConnectionFactory&) = delete;
  ConnectionFactory& operator=(const ConnectionFactory&) = delete;

  // Registers `strategy` (never null) under strategy->name(). A name already taken is an
  // Error(usage) unless `replace` is true.
  void register_strategy(std::shared_ptr<ConnectionStrategy> strategy, bool replace = false);
  // Removes `name` (and unsets the default if it was the default). False if it was not there.
  bool unregister(std::string_view name);

  // Makes `name` the default. Error(usage) listing the registered names if it is unknown.
  void set_default(std::string_view name);
  // The default's name; empty when none is set.
  std::string default_name() const;

  // A lease from strategy `name`, or from the default when `name` is empty. `deadline` is passed
  // to the strategy (which also applies its own finite timeouts).
  Lease acquire(std::string_view name = {}, Deadline deadline = Deadline::never());
  Lease acquire(Deadline deadline) { return acquire({}, deadline); }

  // The strategy `name` (the default when empty). Throws like acquire().
  std::shared_ptr<ConnectionStrategy> get(std::string_view name = {}) const;
  // The strategy `name`, or null.
  std::shared_ptr<ConnectionStrategy> find(std::string_view name) const;
  // Registered names, sorted.
  std::vector<std::string> names() const;

  // Timeouts used by callers that take connections through the factory (chconn::client()):
  // initialize() sets them from the Config. Default: Timeouts{}.
  void set_timeouts(const Timeouts& timeouts);
  Timeouts timeouts() const;

  // Runs maintain() on every registered strategy (outside the factory's lock) and returns their
  // reports by name. For a health thread.
  std::map<std::string, MaintenanceReport, std::less<>> maintain();

 private:
  std::shared_ptr<ConnectionStrategy> lookup_locked(std::string_view name) const;
  std::string names_locked() const;

  mutable std::shared_mutex mutex_;
  std::map<std::string, std::shared_ptr<ConnectionStrategy>, std::less<>> strategies_;
  std::string default_;
  Timeouts timeouts_{};
};

// The strategy initialize() makes the default for an environment: testing → "mock",
// production → "pooled", development → "direct".
std::string_view default_strategy_for(Environment environment) noexcept;

// Registers "direct" (DirectStrategy) and "pooled" (PooledStrategy) over native_connector(config),
// "failover" (FailoverStrategy: a pool per config host, chosen by config.load_balancing), and in the testing
// environment "mock" (an empty MockStrategy for tests to script: reach it with factory.get("mock") and a dynamic_cast,
// or register your own), and "embedded" (chconn/strategy/embedded.h) when config.embedded.enabled (an embedded://
// DSN) or config.strategy is "embedded", replacing earlier ones of those names. Then makes config.strategy the default,
// or when it is empty default_strategy_for(config.environment); an unknown config.strategy is an Error(config) listing
// the registered names. No connection is opened here. Validates the config first.
// With config.strategy "rollout", also "rollout" (RolloutStrategy, chconn/strategy/rollout.h) over
// config.rollout's arms — each a strategy registered above, or a strategy made from the arm's own
// DSN and named "rollout.a" / "rollout.b" — with config.rollout.share and rollout_share_from_env()
// as the source its reload() reads.
void initialize(ConnectionFactory& factory, const Config& config);

// CHCONN_ROLLOUT_SHARE as parse_rollout_share() reads it; nullopt when unset or empty. Error(config)
// for a bad value. The share source initialize() gives the rollout strategy.
std::optional<double> rollout_share_from_env();

}  // namespace chconn
