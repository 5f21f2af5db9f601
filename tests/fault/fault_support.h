// What the fault tests share: the sandbox commands, the client configuration they run with, and
// the failover and manager options that make a faulty host's breaker decide within a few calls.
#pragma once

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "chconn/core/config.h"
#include "chconn/factory/factory.h"
#include "chconn/manager/manager.h"
#include "chconn/strategy/failover.h"

namespace chconn::test {

// A factory holding `strategy` alone, as its default: what a manager over one strategy is given.
inline std::shared_ptr<ConnectionFactory> factory_of(std::shared_ptr<ConnectionStrategy> strategy) {
  auto factory = std::make_shared<ConnectionFactory>();
  const std::string name = strategy->name();
  factory->register_strategy(std::move(strategy));
  factory->set_default(name);
  return factory;
}

// Runs `scripts/clickhouse-sandbox COMMAND NAME` (pause, resume, kill, restart...); true on success.
inline bool sandbox_cmd(const std::string& command, const std::string& name) {
  const char* source = std::getenv("CHCONN_SOURCE_DIR");
  const std::string script = std::string(source ? source : CHCONN_SOURCE_DIR) + "/scripts/clickhouse-sandbox";
  const std::string line = "'" + script + "' " + command + " " + name + " >/dev/null 2>&1";
  return std::system(line.c_str()) == 0;
}

// Short timeouts, so that a fault costs a call at most a few seconds: connect 500 ms, send and
// receive `io`, query 2 s, pool acquire 2 s, cancel drain `drain`; pools of 4, validated after
// 10 s idle.
inline Config fault_config(std::vector<HostPort> hosts, std::string client_name, std::chrono::milliseconds io,
                           std::chrono::milliseconds drain) {
  using namespace std::chrono_literals;
  Config config;
  config.hosts = std::move(hosts);
  config.client_name = std::move(client_name);
  config.timeouts.connect = 500ms;
  config.timeouts.send = io;
  config.timeouts.receive = io;
  config.timeouts.query = 2s;
  config.timeouts.pool_acquire = 2s;
  config.timeouts.cancel_drain = drain;
  config.pool.max_size = 4;
  config.pool.validate_after_idle = 10s;
  return config;
}

// The config's failover with `policy` and breakers that judge a host on its last 10 calls (from
// the 3rd), open for `open_duration` without growth or jitter, and let 2 probes through; errors
// halve every 5 s, and the first `max_ignored_errors` do not reorder the hosts.
inline FailoverOptions fault_failover_options(const Config& config, LoadBalancing policy,
                                              std::uint64_t max_ignored_errors,
                                              std::chrono::milliseconds open_duration) {
  using namespace std::chrono_literals;
  FailoverOptions o = failover_options(config);
  o.load_balancing = policy;
  o.max_ignored_errors = max_ignored_errors;
  o.decay.half_life = 5s;
  o.breaker.window_type = WindowType::count_based;
  o.breaker.window_size = 10;
  o.breaker.minimum_calls = 3;
  o.breaker.open_duration = open_duration;
  o.breaker.open_duration_multiplier = 1.0;
  o.breaker.open_duration_jitter = 0.0;
  o.breaker.half_open_max_calls = 2;
  return o;
}

// Up to 4 attempts 20..200 ms apart, a retry budget that a fault test (retrying a lot on purpose)
// does not exhaust, and a strategy breaker that stays out of the way of the per-host ones.
inline ManagerOptions fault_manager_options() {
  using namespace std::chrono_literals;
  ManagerOptions m;
  m.retry.max_attempts = 4;
  m.retry.base_delay = 20ms;
  m.retry.max_delay = 200ms;
  m.retry_budget.min_retries_per_second = 50;
  m.breaker.minimum_calls = 1000;
  return m;
}

}  // namespace chconn::test
