// Config: the environment reader (Config::from_env) and validation (Config::validate). The DSN is
// in dsn.cpp, host lists in hosts.cpp, the value parsers in config_values.cpp.
//
// Secrets: the password is only ever read from CLICKHOUSE_PASSWORD (or a DSN's user info), and
// no error message quotes it.
#include "chconn/core/config.h"

#include <cstdlib>
#include <ostream>
#include <string>
#include <utility>

#include "chconn/core/error.h"
#include "chconn/core/resilience_options.h"
#include "core/config_detail.h"

namespace chconn {

namespace config_detail {

// Why `c` cannot work as it stands because it sets TLS options (named as the DSN names them; the
// CLI's flags mirror them) without secure: a plain connection would ignore them, and the password
// would cross the network in plain text while the user believes it is protected. Empty when there
// is no such problem. One rule for the DSN (parse_query) and validate(), which phrase the prefix.
std::string tls_without_secure(const Config& c) {
  if (c.secure) return {};
  std::vector<std::string_view> set;
  if (!c.tls.verify) set.push_back("tls_verify=false (chconn: --accept-invalid-certificate)");
  if (!c.tls.ca_file.empty()) set.push_back("ca_file (chconn: --ca-file)");
  if (!c.tls.ca_dir.empty()) set.push_back("ca_dir");
  if (!c.tls.cert_file.empty()) set.push_back("cert_file");
  if (!c.tls.key_file.empty()) set.push_back("key_file");
  if (!c.tls.server_name.empty()) set.push_back("tls_server_name");
  if (set.empty()) return {};
  std::string names;
  for (std::size_t i = 0; i < set.size(); ++i) {
    if (i != 0) names += i + 1 == set.size() ? " and " : ", ";
    names += set[i];
  }
  const bool one = set.size() == 1;
  return names + (one ? " is a TLS option" : " are TLS options") +
         ", but secure is not true: a plain connection would ignore " + (one ? "it" : "them") +
         " and the password and data would cross the network in plain text; set secure=true (in a DSN: "
         "secure=true; in the environment: CLICKHOUSE_SECURE=true; chconn: --secure), or remove " +
         (one ? "it" : "them");
}

}  // namespace config_detail

using namespace config_detail;

Config Config::from_env() {
  return from_env([](std::string_view name) -> std::optional<std::string> {
    const std::string key(name);
    if (const char* value = std::getenv(key.c_str())) return std::string(value);
    return std::nullopt;
  });
}

Config Config::from_env(const EnvLookup& getenv) {
  // A variable set to the empty string counts as unset: shells and compose files often define
  // variables empty rather than leaving them out.
  const auto get = [&](std::string_view name) -> std::optional<std::string> {
    if (!getenv) return std::nullopt;
    auto value = getenv(name);
    if (value && value->empty()) return std::nullopt;
    return value;
  };

  Config c;
  if (auto dsn = get("CLICKHOUSE_DSN")) {
    try {
      c = from_dsn(*dsn);
    } catch (const Error& e) {
      throw e.with_context("CLICKHOUSE_DSN");
    }
  }
  const auto hosts = get("CLICKHOUSE_HOST");
  if (hosts) c.hosts = parse_hosts(detail::trim_space(*hosts), HostSyntax::typed, "invalid CLICKHOUSE_HOST");
  if (auto port_text = get("CLICKHOUSE_PORT")) {
    // The hosts' own ports come from CLICKHOUSE_HOST, else from the DSN (the default host has none).
    apply_port(c.hosts, parse_port(*port_text, "CLICKHOUSE_PORT"), "CLICKHOUSE_PORT",
               hosts ? "CLICKHOUSE_HOST" : "CLICKHOUSE_DSN");
  }
  if (auto user = get("CLICKHOUSE_USER")) c.user = parse_text(*user, "CLICKHOUSE_USER");
  if (auto password = get("CLICKHOUSE_PASSWORD")) c.password = std::move(*password);
  if (auto database = get("CLICKHOUSE_DATABASE")) c.database = parse_text(*database, "CLICKHOUSE_DATABASE");
  if (auto secure = get("CLICKHOUSE_SECURE")) c.secure = parse_bool(detail::trim_space(*secure), "CLICKHOUSE_SECURE");
  if (auto compression = get("CLICKHOUSE_COMPRESSION")) {
    c.compression = parse_compression(detail::trim_space(*compression), "CLICKHOUSE_COMPRESSION");
  }
  if (auto env = get("CHCONN_ENV")) c.environment = parse_environment(detail::trim_space(*env), "CHCONN_ENV");
  if (auto strategy = get("CHCONN_STRATEGY"))
    c.strategy = parse_strategy(detail::trim_space(*strategy), "CHCONN_STRATEGY");
  if (auto strict = get("CHCONN_MOCK_STRICT"))
    c.mock_strict = parse_bool(detail::trim_space(*strict), "CHCONN_MOCK_STRICT");
  if (auto policy = get("CHCONN_LOAD_BALANCING"))
    c.load_balancing = parse_load_balancing(detail::trim_space(*policy), "CHCONN_LOAD_BALANCING");
  if (auto pool_max = get("CHCONN_POOL_MAX")) {
    c.pool.max_size = parse_count(detail::trim_space(*pool_max), "CHCONN_POOL_MAX", 1);
    if (c.pool.min_idle > c.pool.max_size) {
      fail("invalid CHCONN_POOL_MAX: " + std::to_string(c.pool.max_size) + " is below pool_min_idle=" +
           std::to_string(c.pool.min_idle) + " from CLICKHOUSE_DSN; raise CHCONN_POOL_MAX or lower pool_min_idle");
    }
  }
  if (auto share = get("CHCONN_ROLLOUT_SHARE")) c.rollout.share = parse_rollout_share(*share, "CHCONN_ROLLOUT_SHARE");
  c.validate();
  return c;
}

void validate(const PoolOptions& pool, std::string_view field_prefix) {
  const auto invalid = [&](const std::string& message) { fail(std::string(field_prefix) + message); };
  const auto positive = [&](std::chrono::milliseconds d, std::string_view name) {
    if (d <= std::chrono::milliseconds::zero()) {
      invalid(std::string(name) + " is " + std::to_string(d.count()) + "ms; it must be greater than zero");
    }
  };
  const auto not_negative = [&](std::chrono::milliseconds d, std::string_view name) {
    if (d < std::chrono::milliseconds::zero()) {
      invalid(std::string(name) + " is " + std::to_string(d.count()) + "ms; it must not be negative");
    }
  };
  positive(pool.idle_timeout, "idle_timeout");
  positive(pool.max_lifetime, "max_lifetime");
  not_negative(pool.validate_after_idle, "validate_after_idle");
  not_negative(pool.leak_threshold, "leak_threshold (0 turns leak detection off)");
  if (pool.max_size < 1) invalid("max_size is 0; it must be at least 1");
  if (pool.min_idle > pool.max_size) {
    invalid("min_idle (" + std::to_string(pool.min_idle) + ") exceeds max_size (" + std::to_string(pool.max_size) +
            "); lower min_idle or raise max_size");
  }
  // Written so that NaN fails too.
  if (!(pool.lifetime_jitter >= 0.0 && pool.lifetime_jitter <= 0.5)) {
    invalid("lifetime_jitter is " + format_double(pool.lifetime_jitter) + "; it must be a fraction from 0 to 0.5");
  }
}

void Config::validate() const {
  const auto invalid = [](std::string message) { fail("invalid config: " + std::move(message)); };
  if (hosts.empty()) invalid("no hosts; give at least one, e.g. hosts = {{\"localhost\", 9000}}");
  if (hosts.size() > k_max_hosts) {
    invalid(std::to_string(hosts.size()) + " hosts; at most " + std::to_string(k_max_hosts) + " are allowed");
  }
  if (dns_servers.size() > k_max_hosts) {
    invalid(std::to_string(dns_servers.size()) + " DNS servers; at most " + std::to_string(k_max_hosts) +
            " are allowed");
  }
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    if (hosts[i].host.empty())
      invalid("hosts[" + std::to_string(i) + "] has an empty host name; give a DNS name or IP address");
    if (has_control(hosts[i].host))
      invalid("hosts[" + std::to_string(i) + "] " + quote(hosts[i].host) + " contains a control character");
  }
  for (std::size_t i = 0; i < dns_servers.size(); ++i) {
    if (dns_servers[i].host.empty() || has_control(dns_servers[i].host))
      invalid("dns_servers[" + std::to_string(i) +
              "] is not an IP address; give DNS servers by address, e.g. 10.0.0.2");
  }
  if (user.empty()) invalid("user is empty; use \"default\" for the server's default user");
  if (has_control(user)) invalid("user " + quote(user) + " contains a control character");
  if (has_control(database)) invalid("database " + quote(database) + " contains a control character");

  const auto positive = [&](std::chrono::milliseconds d, std::string_view name) {
    if (d <= std::chrono::milliseconds::zero()) {
      invalid(std::string(name) + " is " + std::to_string(d.count()) + "ms; it must be greater than zero");
    }
  };
  positive(timeouts.connect, "timeouts.connect");
  positive(timeouts.send, "timeouts.send");
  positive(timeouts.receive, "timeouts.receive");
  positive(timeouts.query, "timeouts.query");
  positive(timeouts.pool_acquire, "timeouts.pool_acquire");
  positive(timeouts.cancel_drain, "timeouts.cancel_drain");
  chconn::validate(pool, "invalid config: pool.");
  if (client_name.empty())
    invalid("client_name is empty; give a name the server shows in system.processes, e.g. \"chconn\"");
  if (has_control(client_name)) invalid("client_name " + quote(client_name) + " contains a control character");
  if (!strategy.empty() && !is_strategy_name(strategy)) {
    invalid("strategy " + quote(strategy) + " is not a strategy name (lower-case letters, digits, '_' and '-')");
  }

  if (failover.max_replica_delay < std::chrono::seconds::zero() || failover.max_replica_delay > k_max_replica_delay) {
    invalid("failover.max_replica_delay is " + std::to_string(failover.max_replica_delay.count()) +
            " s; it must be from 0 (off) to " + std::to_string(k_max_replica_delay.count()) + " s");
  }
  // The two strategies built of two others: a percentage, the arm that must be named, both arms.
  struct TwoArms {
    std::string_view strategy, percent_field;
    double percent;
    std::string_view required_field, required_words, dsn_key;
    const std::string& required;
    std::string_view other_field;
    const std::string& other;
  };
  for (const TwoArms& s :
       {TwoArms{"rollout", "rollout.share", rollout.share, "rollout.b", "name arm B: a strategy (e.g. failover)",
                "rollout_b", rollout.b, "rollout.a", rollout.a},
        TwoArms{"shadow", "shadow.sample", shadow.sample, "shadow.candidate", "name the candidate: a strategy",
                "shadow_candidate", shadow.candidate, "shadow.primary", shadow.primary}}) {
    if (!valid_percent(s.percent)) {
      invalid(std::string(s.percent_field) + " is " + format_double(s.percent) +
              "; give a percent from 0 to 100 (fractions allowed)");
    }
    if (strategy == s.strategy && s.required.empty()) {
      invalid("strategy is " + std::string(s.strategy) + " but " + std::string(s.required_field) + " is empty; " +
              std::string(s.required_words) + " or a DSN of its own (DSN: " + std::string(s.dsn_key) + "=...)");
    }
    try {
      if (!s.other.empty()) parse_rollout_arm(s.other, s.other_field);
      if (!s.required.empty()) parse_rollout_arm(s.required, s.required_field);
    } catch (const Error& e) {
      invalid(e.message().substr(e.message().find(std::string(s.strategy) + ".")));
    }
  }

  // What FailoverStrategy's breakers and error decay would reject, by their own rules.
  try {
    chconn::validate(failover.decay, "failover.decay.");
    chconn::validate(failover.breaker, "failover.breaker.");
  } catch (const Error& e) {
    invalid(e.message());
  }
  for (const auto& l : k_limits) {
    const std::uint64_t value = limits.*l.field;
    if (value < 1 || value > l.max) {
      invalid("limits." + std::string(l.name) + " is " + std::to_string(value) + "; it must be from 1 to " +
              std::to_string(l.max));
    }
  }
  for (const auto& s : settings) {
    if (!is_valid_setting_name(s.name)) {
      invalid("setting name " + quote(s.name) + " is not valid; ClickHouse setting names are letters, digits and '_'");
    }
  }
  if (std::string why = tls_without_secure(*this); !why.empty()) invalid(std::move(why));
}

std::ostream& operator<<(std::ostream& os, const Config& config) { return os << config.to_string(); }

}  // namespace chconn
