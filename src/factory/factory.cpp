#include "chconn/factory/factory.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <utility>

#include "chconn/connection/connector.h"
#include "chconn/core/error.h"
#include "chconn/strategy/direct.h"
#include "chconn/strategy/embedded.h"
#include "chconn/strategy/failover.h"
#include "chconn/strategy/mock.h"
#include "chconn/strategy/pooled.h"
#include "chconn/strategy/rollout.h"
#include "chconn/strategy/shadow.h"

namespace chconn {

void ConnectionFactory::register_strategy(std::shared_ptr<ConnectionStrategy> strategy, bool replace) {
  if (!strategy) throw Error(ErrorKind::usage, "register_strategy: the strategy is null");
  std::string name(strategy->name());
  if (name.empty()) throw Error(ErrorKind::usage, "register_strategy: a strategy needs a non-empty name()");
  std::unique_lock lock(mutex_);
  auto [it, inserted] = strategies_.try_emplace(name, strategy);
  if (inserted) return;
  if (!replace) {
    throw Error(ErrorKind::usage, "a strategy named '" + name +
                                      "' is already registered; pass replace = true to replace it, or give the "
                                      "new one another name");
  }
  // The old strategy is destroyed outside the lock (its destructor may close connections).
  std::swap(it->second, strategy);
  lock.unlock();
}

bool ConnectionFactory::unregister(std::string_view name) {
  std::shared_ptr<ConnectionStrategy> removed;
  std::unique_lock lock(mutex_);
  auto it = strategies_.find(name);
  if (it == strategies_.end()) return false;
  removed = std::move(it->second);
  strategies_.erase(it);
  if (default_ == name) default_.clear();
  lock.unlock();
  return true;
}

std::string ConnectionFactory::names_locked() const {
  if (strategies_.empty()) return "none are registered";
  std::string out = "registered: ";
  bool first = true;
  for (const auto& [name, strategy] : strategies_) {
    if (!first) out += ", ";
    out += name;
    first = false;
  }
  return out;
}

void ConnectionFactory::set_default(std::string_view name) {
  std::unique_lock lock(mutex_);
  if (strategies_.find(name) == strategies_.end()) {
    throw Error(ErrorKind::usage, "cannot make '" + std::string(name) +
                                      "' the default strategy: it is not registered (" + names_locked() + ")");
  }
  default_ = std::string(name);
}

std::string ConnectionFactory::default_name() const {
  std::shared_lock lock(mutex_);
  return default_;
}

std::shared_ptr<ConnectionStrategy> ConnectionFactory::lookup_locked(std::string_view name) const {
  if (name.empty()) {
    if (default_.empty()) {
      throw Error(ErrorKind::usage, "no strategy named and no default strategy set (" + names_locked() +
                                        "); call chconn::initialize(config), set_default(name), or name one");
    }
    name = default_;
  }
  auto it = strategies_.find(name);
  if (it == strategies_.end()) {
    throw Error(ErrorKind::usage, "no strategy named '" + std::string(name) + "' (" + names_locked() + ")");
  }
  return it->second;
}

std::shared_ptr<ConnectionStrategy> ConnectionFactory::get(std::string_view name) const {
  std::shared_lock lock(mutex_);
  return lookup_locked(name);
}

std::shared_ptr<ConnectionStrategy> ConnectionFactory::find(std::string_view name) const {
  std::shared_lock lock(mutex_);
  auto it = strategies_.find(name);
  return it == strategies_.end() ? nullptr : it->second;
}

Lease ConnectionFactory::acquire(std::string_view name, Deadline deadline) {
  std::shared_ptr<ConnectionStrategy> strategy = get(name);
  return strategy->acquire(deadline);
}

std::vector<std::string> ConnectionFactory::names() const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> out;
  out.reserve(strategies_.size());
  for (const auto& [name, strategy] : strategies_) out.push_back(name);
  return out;
}

void ConnectionFactory::set_timeouts(const Timeouts& timeouts) {
  std::unique_lock lock(mutex_);
  timeouts_ = timeouts;
}

Timeouts ConnectionFactory::timeouts() const {
  std::shared_lock lock(mutex_);
  return timeouts_;
}

std::map<std::string, MaintenanceReport, std::less<>> ConnectionFactory::maintain() {
  std::map<std::string, std::shared_ptr<ConnectionStrategy>, std::less<>> copy;
  {
    std::shared_lock lock(mutex_);
    copy = strategies_;
  }
  std::map<std::string, MaintenanceReport, std::less<>> reports;
  for (const auto& [name, strategy] : copy) reports.emplace(name, strategy->maintain());
  return reports;
}

std::string_view default_strategy_for(Environment environment) noexcept {
  switch (environment) {
    case Environment::testing: return "mock";
    case Environment::production: return "pooled";
    case Environment::development: return "direct";
  }
  return "direct";
}

namespace {

// The registered names, for messages: "direct, failover, pooled".
std::string known_names(const ConnectionFactory& factory) {
  std::string known;
  for (const auto& n : factory.names()) known += (known.empty() ? "" : ", ") + n;
  return known;
}

// A strategy over a side's own DSN (a rollout arm, a shadow's primary or candidate): direct,
// failover or (by default) pooled over its hosts, or the embedded engine; named "<of>.<arm>"
// ("rollout.b", "shadow.candidate") so that stats and metrics tell the sides apart.
std::shared_ptr<ConnectionStrategy> arm_from_dsn(const std::string& dsn, const std::string& of,
                                                 const std::string& arm) {
  const Config c = Config::from_dsn(dsn);
  const std::string name = of + "." + arm;
  if (c.embedded.enabled || c.strategy == "embedded") return make_embedded_strategy(c);
  if (c.strategy == "direct") {
    DirectOptions o = direct_options(c);
    o.name = name;
    return std::make_shared<DirectStrategy>(native_connector(c), o);
  }
  if (c.strategy == "failover") {
    FailoverOptions o = failover_options(c);
    o.name = name;
    return std::make_shared<FailoverStrategy>(o, pooled_host_maker(c));
  }
  if (!c.strategy.empty() && c.strategy != "pooled") {
    throw Error(ErrorKind::config, of + "_" + arm + " names strategy '" + c.strategy +
                                       "' in its DSN; its DSN may use direct, pooled or failover");
  }
  PooledOptions o = pooled_options(c);
  o.name = name;
  return std::make_shared<PooledStrategy>(native_connector(c), o);
}

std::shared_ptr<ConnectionStrategy> side_strategy(const ConnectionFactory& factory, const std::string& spec,
                                                  const std::string& of, const std::string& arm) {
  if (spec.find("://") != std::string::npos) return arm_from_dsn(spec, of, arm);
  std::shared_ptr<ConnectionStrategy> s = factory.find(spec);
  if (!s) {
    throw Error(ErrorKind::config, of + "_" + arm + " names strategy '" + spec +
                                       "', which is not registered; known: " + known_names(factory));
  }
  return s;
}

}  // namespace

std::optional<double> rollout_share_from_env() {
  const char* value = std::getenv("CHCONN_ROLLOUT_SHARE");  // NOLINT(concurrency-mt-unsafe): read only
  if (value == nullptr || *value == '\0') return std::nullopt;
  return parse_rollout_share(value, "CHCONN_ROLLOUT_SHARE");
}

void initialize(ConnectionFactory& factory, const Config& config) {
  config.validate();
  // One connector for both: it holds the config (and the TLS context, loaded once).
  std::shared_ptr<Connector> connector = native_connector(config);

  factory.register_strategy(std::make_shared<DirectStrategy>(connector, direct_options(config)), true);
  factory.register_strategy(std::make_shared<PooledStrategy>(connector, pooled_options(config)), true);
  // A pool per host, made lazily: nothing connects until the first acquire().
  factory.register_strategy(std::make_shared<FailoverStrategy>(config), true);
  if (config.environment == Environment::testing) {
    factory.register_strategy(
        std::make_shared<MockStrategy>(std::make_shared<MockServer>(MockServer::Options{.strict = config.mock_strict})),
        true);
  }
  // The embedded engine when the config asks for it (an embedded:// DSN, or strategy=embedded):
  // nothing is loaded until its first acquire().
  if (config.embedded.enabled || config.strategy == "embedded") {
    factory.register_strategy(make_embedded_strategy(config), true);
  }
  // The rollout when the config asks for it, over the strategies registered above (or DSNs of
  // its own): after them, so that its arms can name them.
  if (config.strategy == "rollout") {
    factory.register_strategy(
        std::make_shared<RolloutStrategy>(
            side_strategy(factory, config.rollout.a, "rollout", "a"),
            side_strategy(factory, config.rollout.b, "rollout", "b"),
            RolloutOptions{.share = config.rollout.share, .share_source = rollout_share_from_env}),
        true);
  }
  // The shadow likewise, over its two sides.
  if (config.strategy == "shadow") {
    factory.register_strategy(
        std::make_shared<ShadowStrategy>(side_strategy(factory, config.shadow.primary, "shadow", "primary"),
                                         side_strategy(factory, config.shadow.candidate, "shadow", "candidate"),
                                         ShadowOptions{.sample = config.shadow.sample}),
        true);
  }
  factory.set_timeouts(config.timeouts);

  const std::string wanted =
      config.strategy.empty() ? std::string(default_strategy_for(config.environment)) : config.strategy;
  if (!factory.find(wanted)) {
    throw Error(ErrorKind::config, "unknown strategy '" + wanted + "' (config.strategy, DSN strategy= or " +
                                       "CHCONN_STRATEGY); known: " + known_names(factory));
  }
  factory.set_default(wanted);
}

}  // namespace chconn
