// The DSN: clickhouse://user:password@host:port,.../database?param=value, read into a Config and
// written back from one (Config::from_dsn, Config::to_dsn), with one table of its parameters.
//
// Secrets: the password is only ever read from the user info, and no error message quotes it.
// Every other fragment that a message quotes comes from the part of the DSN after the user info,
// so the way the user info is delimited (split_user_info) is what keeps a password out of
// messages even when it holds unescaped reserved characters.
#include <algorithm>
#include <array>
#include <charconv>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/core/resilience_options.h"
#include "core/config_detail.h"

namespace chconn {

using namespace config_detail;

namespace {

// --- Failover tuning: a DSN value is set, then checked by the options' own validate(), whose
// message (the rule) follows the key and the value. ---

double parse_double(std::string_view v, std::string_view what) {
  double d = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) bad_value(v, what, "use a number, e.g. 50");
  return d;
}

template <class Options>
void check_tuning(const Options& options, std::string_view v, std::string_view what) {
  try {
    validate(options, std::is_same_v<Options, CircuitBreakerOptions> ? "breaker." : "decay.");
  } catch (const Error& e) {
    bad_value(v, what, e.message());
  }
}

// --- DSN parameters ---

using ApplyParam = void (*)(Config&, std::string_view value, std::string_view what);

struct ParamSpec {
  std::string_view name;
  // Parameters with the same `option` set the same field; giving two of them is a repeat.
  std::string_view option;
  ApplyParam apply;
};

// The order of this table is the order to_dsn() writes parameters in.
constexpr std::array k_params{
    ParamSpec{"secure", "secure",
              [](Config& c, std::string_view v, std::string_view w) { c.secure = parse_bool(v, w); }},
    ParamSpec{"tls_verify", "tls_verify",
              [](Config& c, std::string_view v, std::string_view w) { c.tls.verify = parse_bool(v, w); }},
    ParamSpec{"skip_verify", "tls_verify",
              [](Config& c, std::string_view v, std::string_view w) { c.tls.verify = !parse_bool(v, w); }},
    ParamSpec{"ca_file", "ca_file",
              [](Config& c, std::string_view v, std::string_view w) { c.tls.ca_file = parse_text(v, w); }},
    ParamSpec{"ca_dir", "ca_dir",
              [](Config& c, std::string_view v, std::string_view w) { c.tls.ca_dir = parse_text(v, w); }},
    ParamSpec{"cert_file", "cert_file",
              [](Config& c, std::string_view v, std::string_view w) { c.tls.cert_file = parse_text(v, w); }},
    ParamSpec{"key_file", "key_file",
              [](Config& c, std::string_view v, std::string_view w) { c.tls.key_file = parse_text(v, w); }},
    ParamSpec{"tls_server_name", "tls_server_name",
              [](Config& c, std::string_view v, std::string_view w) {
                if (v.find_first_of(" /@") != std::string_view::npos)
                  bad_value(v, w, "use the DNS name the server's certificate is issued for");
                c.tls.server_name = parse_text(v, w);
              }},
    ParamSpec{"compression", "compression",
              [](Config& c, std::string_view v, std::string_view w) { c.compression = parse_compression(v, w); }},
    ParamSpec{"dns_servers", "dns_servers",
              [](Config& c, std::string_view v, std::string_view w) {
                c.dns_servers = parse_hosts(v, HostSyntax::dsn_value, "invalid " + std::string(w));
              }},
    ParamSpec{
        "connect_timeout", "connect_timeout",
        [](Config& c, std::string_view v, std::string_view w) { c.timeouts.connect = parse_positive_duration(v, w); }},
    ParamSpec{
        "send_timeout", "send_timeout",
        [](Config& c, std::string_view v, std::string_view w) { c.timeouts.send = parse_positive_duration(v, w); }},
    ParamSpec{
        "receive_timeout", "receive_timeout",
        [](Config& c, std::string_view v, std::string_view w) { c.timeouts.receive = parse_positive_duration(v, w); }},
    ParamSpec{
        "query_timeout", "query_timeout",
        [](Config& c, std::string_view v, std::string_view w) { c.timeouts.query = parse_positive_duration(v, w); }},
    ParamSpec{"pool_acquire_timeout", "pool_acquire_timeout",
              [](Config& c, std::string_view v, std::string_view w) {
                c.timeouts.pool_acquire = parse_positive_duration(v, w);
              }},
    ParamSpec{"cancel_drain_timeout", "cancel_drain_timeout",
              [](Config& c, std::string_view v, std::string_view w) {
                c.timeouts.cancel_drain = parse_positive_duration(v, w);
              }},
    ParamSpec{"strategy", "strategy",
              [](Config& c, std::string_view v, std::string_view w) { c.strategy = parse_strategy(v, w); }},
    ParamSpec{"load_balancing", "load_balancing",
              [](Config& c, std::string_view v, std::string_view w) { c.load_balancing = parse_load_balancing(v, w); }},
    ParamSpec{"env", "env",
              [](Config& c, std::string_view v, std::string_view w) { c.environment = parse_environment(v, w); }},
    ParamSpec{"mock_strict", "mock_strict",
              [](Config& c, std::string_view v, std::string_view w) { c.mock_strict = parse_bool(v, w); }},
    ParamSpec{"pool_max", "pool_max",
              [](Config& c, std::string_view v, std::string_view w) { c.pool.max_size = parse_count(v, w, 1); }},
    ParamSpec{"pool_min_idle", "pool_min_idle",
              [](Config& c, std::string_view v, std::string_view w) { c.pool.min_idle = parse_count(v, w, 0); }},
    ParamSpec{
        "pool_idle_timeout", "pool_idle_timeout",
        [](Config& c, std::string_view v, std::string_view w) { c.pool.idle_timeout = parse_positive_duration(v, w); }},
    ParamSpec{
        "pool_max_lifetime", "pool_max_lifetime",
        [](Config& c, std::string_view v, std::string_view w) { c.pool.max_lifetime = parse_positive_duration(v, w); }},
    ParamSpec{"pool_lifetime_jitter", "pool_lifetime_jitter",
              [](Config& c, std::string_view v, std::string_view w) { c.pool.lifetime_jitter = parse_jitter(v, w); }},
    ParamSpec{
        "pool_validate_after", "pool_validate_after",
        [](Config& c, std::string_view v, std::string_view w) { c.pool.validate_after_idle = parse_duration(v, w); }},
    ParamSpec{"pool_leak_threshold", "pool_leak_threshold",
              [](Config& c, std::string_view v, std::string_view w) { c.pool.leak_threshold = parse_duration(v, w); }},
    ParamSpec{"pool_keep_session", "pool_keep_session",
              [](Config& c, std::string_view v, std::string_view w) { c.pool.keep_session_state = parse_bool(v, w); }},
    ParamSpec{"max_ignored_errors", "max_ignored_errors",
              [](Config& c, std::string_view v, std::string_view w) {
                c.failover.max_ignored_errors = parse_whole(v, w, 0, k_max_failover_count);
              }},
    ParamSpec{"error_half_life", "error_half_life",
              [](Config& c, std::string_view v, std::string_view w) {
                c.failover.decay.half_life = parse_positive_duration(v, w);
                check_tuning(c.failover.decay, v, w);
              }},
    ParamSpec{"breaker_min_calls", "breaker_min_calls",
              [](Config& c, std::string_view v, std::string_view w) {
                c.failover.breaker.minimum_calls =
                    static_cast<std::uint32_t>(parse_whole(v, w, 1, k_max_failover_count));
                check_tuning(c.failover.breaker, v, w);
              }},
    ParamSpec{"breaker_failure_rate", "breaker_failure_rate",
              [](Config& c, std::string_view v, std::string_view w) {
                c.failover.breaker.failure_rate_threshold = parse_double(v, w);
                check_tuning(c.failover.breaker, v, w);
              }},
    ParamSpec{"breaker_open", "breaker_open",
              [](Config& c, std::string_view v, std::string_view w) {
                c.failover.breaker.open_duration = parse_positive_duration(v, w);
                check_tuning(c.failover.breaker, v, w);
              }},
    ParamSpec{"breaker_window", "breaker_window",
              [](Config& c, std::string_view v, std::string_view w) {
                c.failover.breaker.window_duration = parse_duration(v, w);
                check_tuning(c.failover.breaker, v, w);
              }},
    ParamSpec{"max_replica_delay", "max_replica_delay",
              [](Config& c, std::string_view v, std::string_view w) {
                const std::chrono::milliseconds d = parse_duration(v, w);
                if (d.count() % 1000 != 0 || d > k_max_replica_delay)
                  bad_value(v, w, "use whole seconds up to a day (system.replicas counts lag in seconds), e.g. 30s");
                c.failover.max_replica_delay = std::chrono::duration_cast<std::chrono::seconds>(d);
              }},
    ParamSpec{"fallback_to_stale_replicas", "fallback_to_stale_replicas",
              [](Config& c, std::string_view v, std::string_view w) {
                c.failover.fallback_to_stale_replicas = parse_bool(v, w);
              }},
    ParamSpec{"rollout_a", "rollout_a",
              [](Config& c, std::string_view v, std::string_view w) { c.rollout.a = parse_rollout_arm(v, w); }},
    ParamSpec{"rollout_b", "rollout_b",
              [](Config& c, std::string_view v, std::string_view w) { c.rollout.b = parse_rollout_arm(v, w); }},
    ParamSpec{"rollout_share", "rollout_share",
              [](Config& c, std::string_view v, std::string_view w) { c.rollout.share = parse_rollout_share(v, w); }},
    ParamSpec{"shadow_primary", "shadow_primary",
              [](Config& c, std::string_view v, std::string_view w) { c.shadow.primary = parse_rollout_arm(v, w); }},
    ParamSpec{"shadow_candidate", "shadow_candidate",
              [](Config& c, std::string_view v, std::string_view w) { c.shadow.candidate = parse_rollout_arm(v, w); }},
    ParamSpec{"shadow_sample", "shadow_sample",
              [](Config& c, std::string_view v, std::string_view w) { c.shadow.sample = parse_rollout_share(v, w); }},
    ParamSpec{"client_name", "client_name",
              [](Config& c, std::string_view v, std::string_view w) { c.client_name = parse_text(v, w); }},
    ParamSpec{"chdb_library", "chdb_library",
              [](Config& c, std::string_view v, std::string_view w) { c.embedded.library = parse_text(v, w); }},
};

const LimitSpec* find_limit(std::string_view name) noexcept {
  const auto it = std::find_if(k_limits.begin(), k_limits.end(), [&](const LimitSpec& l) { return l.name == name; });
  return it == k_limits.end() ? nullptr : &*it;
}

std::string valid_parameter_list() {
  std::string out;
  for (const auto& p : k_params) {
    out += p.name;
    out += ", ";
  }
  for (const auto& l : k_limits) {
    out += l.name;
    out += ", ";
  }
  out += "setting.<name>";
  return out;
}

[[noreturn]] void unknown_parameter(std::string_view key) {
  std::string message =
      "invalid DSN: unknown parameter " + quote(key) + "; valid parameters: " + valid_parameter_list();
  static constexpr std::array<std::string_view, 8> k_url_parts{"user",  "username", "password", "host",
                                                               "hosts", "port",     "database", "db"};
  if (std::find(k_url_parts.begin(), k_url_parts.end(), key) != k_url_parts.end()) {
    message += ". The user, password, hosts, ports and database are parts of the URL: " + std::string(k_dsn_format);
  }
  fail(std::move(message));
}

void parse_query(std::string_view query, Config& c) {
  // Options already given (by ParamSpec::option, or setting.NAME), with the key that gave them.
  std::vector<std::pair<std::string, std::string>> seen;
  const auto mark_seen = [&](std::string option, std::string_view key) {
    const auto earlier = std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == option; });
    if (earlier != seen.end()) {
      if (earlier->second == key) {
        fail("invalid DSN: parameter " + quote(key) + " is given more than once; give it once");
      }
      fail("invalid DSN: parameters " + quote(earlier->second) + " and " + quote(key) +
           " set the same option (tls_verify=false is skip_verify=true); give only one of them");
    }
    seen.emplace_back(std::move(option), std::string(key));
  };

  std::size_t start = 0;
  while (start <= query.size()) {
    const auto amp = query.find('&', start);
    const std::string_view piece = query.substr(start, amp == std::string_view::npos ? query.npos : amp - start);
    start = amp == std::string_view::npos ? query.size() + 1 : amp + 1;
    if (piece.empty()) continue;  // "?a=1&&b=2" or a trailing '&': harmless

    const auto eq = piece.find('=');
    const std::string_view key = piece.substr(0, eq);
    const std::string_view raw_value = eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1);

    if (key.starts_with(k_setting_prefix)) {
      const std::string_view name = key.substr(k_setting_prefix.size());
      if (!is_valid_setting_name(name)) {
        fail("invalid DSN: bad setting name " + quote(name) + " in parameter " + quote(key) +
             "; ClickHouse setting names are letters, digits and '_' (e.g. setting.max_threads=4)");
      }
      if (eq == std::string_view::npos) {
        fail("invalid DSN: parameter " + quote(key) + " has no value; write " + std::string(key) + "=VALUE");
      }
      mark_seen(std::string(key), key);
      c.settings.set(std::string(name), decode_part(raw_value, "the value of DSN parameter " + quote(key)));
      continue;
    }

    const auto spec = std::find_if(k_params.begin(), k_params.end(), [&](const ParamSpec& p) { return p.name == key; });
    const LimitSpec* limit = spec == k_params.end() ? find_limit(key) : nullptr;
    if (spec == k_params.end() && limit == nullptr) unknown_parameter(key);
    if (eq == std::string_view::npos) {
      fail("invalid DSN: parameter " + quote(key) + " has no value; write " + std::string(key) + "=VALUE");
    }
    mark_seen(std::string(limit != nullptr ? limit->name : spec->option), key);
    const std::string what = "DSN parameter " + quote(key);
    const std::string value = decode_part(raw_value, "the value of " + what);
    if (value.empty()) {
      fail("invalid DSN: parameter " + quote(key) + " has an empty value; give a value or leave the parameter out");
    }
    if (limit != nullptr) {
      c.limits.*limit->field = parse_whole(value, what, 1, limit->max);
    } else {
      spec->apply(c, value, what);
    }
  }

  // Checked after all parameters so that their order does not matter.
  if (std::string why = tls_without_secure(c); !why.empty()) fail("invalid DSN: " + why);
  if (c.pool.min_idle > c.pool.max_size) {
    const bool max_given = std::any_of(seen.begin(), seen.end(), [](const auto& s) { return s.first == "pool_max"; });
    fail("invalid DSN: pool_min_idle=" + std::to_string(c.pool.min_idle) +
         " exceeds pool_max=" + std::to_string(c.pool.max_size) + (max_given ? "" : " (the default)") +
         "; lower pool_min_idle or raise pool_max");
  }
}

// The user info ends at the last '@' before the query. The query starts at a '?' but a password
// may hold a raw '?', '/' or '#' too; taking the last '@' that comes before the first "key=" of
// the query (a '=' preceded somewhere by '?') keeps such a password inside the user info, so no
// part of it is parsed as a host or a parameter and quoted in an error. '@' inside query values
// stays in the query.
std::size_t split_user_info(std::string_view rest) noexcept {
  const auto question = rest.find('?');
  const auto eq = question == std::string_view::npos ? std::string_view::npos : rest.find('=', question);
  return rest.rfind('@', eq);
}

void parse_user_info(std::string_view info, Config& c) {
  const auto colon = info.find(':');
  const std::string_view raw_user = info.substr(0, colon);
  // The user name is not secret, but it sits next to the password: messages quote neither.
  Decoded user = percent_decode(raw_user);
  if (user.bad_at != std::string_view::npos) {
    fail("invalid DSN: bad percent-escape in the user name; '%' must be followed by two hex digits (write '%' as %25)");
  }
  if (user.text.empty()) {
    fail(
        "invalid DSN: the user name before '@' is empty; write clickhouse://USER:PASSWORD@host, or leave out "
        "'user:password@' to log in as 'default'");
  }
  if (has_control(user.text)) fail("invalid DSN: the user name contains a control character");
  c.user = std::move(user.text);
  if (colon != std::string_view::npos) {
    Decoded password = percent_decode(info.substr(colon + 1));
    if (password.bad_at != std::string_view::npos) {
      fail(
          "invalid DSN: bad percent-escape in the password; '%' must be followed by two hex digits "
          "(write a literal '%' as %25, '@' as %40, ':' as %3A, '/' as %2F, '?' as %3F, '#' as %23)");
    }
    c.password = std::move(password.text);
  }
}

std::string dsn_duration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string format_host(const HostPort& hp) {
  std::string out;
  if (hp.host.find(':') != std::string::npos) {
    // An IPv6 literal: ':' stays, a zone's '%' is escaped.
    out = "[" + percent_encode(hp.host, ":") + "]";
  } else {
    out = percent_encode(hp.host);
  }
  if (hp.port != 0) out += ":" + std::to_string(hp.port);
  return out;
}

// embedded://[/PATH][?k=v&...], after the "embedded://": the engine's data folder (empty: in
// memory) and the parameters of a clickhouse:// DSN. There is no user info and no host: the engine
// runs in this process.
Config embedded_from_dsn(std::string_view rest) {
  Config c;
  c.embedded.enabled = true;
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) {
    fail("invalid DSN: unexpected '#' in an embedded DSN; DSNs have no fragment, write a literal '#' as %23");
  }
  const auto q = rest.find('?');
  const std::string_view path = rest.substr(0, q);
  if (!path.empty() && path.front() != '/') {
    fail(
        "invalid DSN: an embedded DSN names no host; write embedded:// (data in memory) or embedded:///PATH (data "
        "kept under the absolute folder PATH)");
  }
  c.embedded.path = decode_part(path, "the embedded data path");
  if (has_control(c.embedded.path)) fail("invalid DSN: the embedded data path contains a control character");
  if (q != std::string_view::npos) parse_query(rest.substr(q + 1), c);
  if (c.strategy.empty()) c.strategy = "embedded";
  c.validate();
  return c;
}

}  // namespace

Config Config::from_dsn(std::string_view dsn) {
  dsn = detail::trim_space(dsn);
  if (dsn.empty()) fail("invalid DSN: it is empty; expected " + std::string(k_dsn_format));

  const auto sep = dsn.find("://");
  const std::string_view scheme = sep == std::string_view::npos ? std::string_view{} : dsn.substr(0, sep);
  // Quote the scheme only when it looks like one: text before "://" in a malformed DSN may be
  // anything, a password included.
  const bool scheme_syntax = !scheme.empty() && scheme.size() <= 32 && is_alpha(scheme.front()) &&
                             std::all_of(scheme.begin(), scheme.end(), [](char c) {
                               return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
                             });
  if (!scheme_syntax) fail("invalid DSN: it must start with 'clickhouse://'; expected " + std::string(k_dsn_format));
  if (iequals(scheme, "embedded")) return embedded_from_dsn(dsn.substr(sep + 3));
  if (!iequals(scheme, "clickhouse") && !iequals(scheme, "tcp")) {
    fail("invalid DSN: unsupported scheme " + quote(scheme) +
         "; expected 'clickhouse://' (or its synonym 'tcp://'), e.g. " + std::string(k_dsn_format) +
         ", or 'embedded://' for the embedded engine");
  }

  Config c;
  std::string_view rest = dsn.substr(sep + 3);
  if (const auto at = split_user_info(rest); at != std::string_view::npos) {
    parse_user_info(rest.substr(0, at), c);
    rest.remove_prefix(at + 1);
  }

  const auto host_end = rest.find_first_of("/?#");
  c.hosts = parse_hosts(rest.substr(0, host_end), HostSyntax::dsn, "invalid DSN");
  rest = host_end == std::string_view::npos ? std::string_view{} : rest.substr(host_end);

  if (const auto hash = rest.find('#'); hash != std::string_view::npos) {
    fail("invalid DSN: unexpected '#' in " + quote(rest) + "; DSNs have no fragment, write a literal '#' as %23");
  }
  if (!rest.empty() && rest.front() == '/') {
    const auto q = rest.find('?');
    const std::string_view path = rest.substr(1, q == std::string_view::npos ? rest.npos : q - 1);
    if (path.find('/') != std::string_view::npos) {
      fail("invalid DSN: the path " + quote(path) +
           " has more than one segment; it holds only the database name "
           "(write a '/' inside it as %2F)");
    }
    c.database = decode_part(path, "the database name");
    if (has_control(c.database)) {
      fail("invalid DSN: the database name " + quote(c.database) + " contains a control character");
    }
    rest = q == std::string_view::npos ? std::string_view{} : rest.substr(q);
  }
  if (!rest.empty()) parse_query(rest.substr(1), c);  // rest starts with '?' here
  c.validate();  // the checks above should already cover it; this keeps from_dsn's promise if they drift
  return c;
}

std::string Config::to_dsn(bool redact) const {
  const Config defaults;
  std::string out = embedded.enabled ? "embedded://" : "clickhouse://";
  if (embedded.enabled) {
    out += percent_encode(embedded.path, "/");
  } else if (user != defaults.user || !password.empty()) {
    out += percent_encode(user);
    if (!password.empty()) out += ":" + (redact ? std::string("***") : percent_encode(password));
    out += '@';
  }
  for (std::size_t i = 0; i < hosts.size() && !embedded.enabled; ++i) {
    if (i != 0) out += ',';
    out += format_host(hosts[i]);
  }
  if (!database.empty() && !embedded.enabled) out += "/" + percent_encode(database);

  std::vector<std::pair<std::string, std::string>> params;
  const auto add = [&](std::string key, std::string value) { params.emplace_back(std::move(key), std::move(value)); };
  const auto add_duration = [&](std::string_view key, std::chrono::milliseconds value, std::chrono::milliseconds def) {
    if (value != def) add(std::string(key), dsn_duration(value));
  };
  // Same order as k_params.
  if (secure != defaults.secure) add("secure", secure ? "true" : "false");
  if (tls.verify != defaults.tls.verify) add("tls_verify", tls.verify ? "true" : "false");
  if (!tls.ca_file.empty()) add("ca_file", tls.ca_file);
  if (!tls.ca_dir.empty()) add("ca_dir", tls.ca_dir);
  if (!tls.cert_file.empty()) add("cert_file", tls.cert_file);
  if (!tls.key_file.empty()) add("key_file", tls.key_file);
  if (!tls.server_name.empty()) add("tls_server_name", tls.server_name);
  if (compression != defaults.compression) add("compression", std::string(chconn::to_string(compression)));
  if (!dns_servers.empty()) {
    std::string list;
    for (const HostPort& server : dns_servers) list += (list.empty() ? "" : ",") + chconn::to_string(server);
    add("dns_servers", std::move(list));
  }
  add_duration("connect_timeout", timeouts.connect, defaults.timeouts.connect);
  add_duration("send_timeout", timeouts.send, defaults.timeouts.send);
  add_duration("receive_timeout", timeouts.receive, defaults.timeouts.receive);
  add_duration("query_timeout", timeouts.query, defaults.timeouts.query);
  add_duration("pool_acquire_timeout", timeouts.pool_acquire, defaults.timeouts.pool_acquire);
  add_duration("cancel_drain_timeout", timeouts.cancel_drain, defaults.timeouts.cancel_drain);
  if (!strategy.empty() && !(embedded.enabled && strategy == "embedded")) add("strategy", strategy);
  if (load_balancing != defaults.load_balancing) add("load_balancing", std::string(chconn::to_string(load_balancing)));
  if (environment != defaults.environment) add("env", std::string(chconn::to_string(environment)));
  if (mock_strict != defaults.mock_strict) add("mock_strict", mock_strict ? "true" : "false");
  if (pool.max_size != defaults.pool.max_size) add("pool_max", std::to_string(pool.max_size));
  if (pool.min_idle != defaults.pool.min_idle) add("pool_min_idle", std::to_string(pool.min_idle));
  add_duration("pool_idle_timeout", pool.idle_timeout, defaults.pool.idle_timeout);
  add_duration("pool_max_lifetime", pool.max_lifetime, defaults.pool.max_lifetime);
  if (pool.lifetime_jitter != defaults.pool.lifetime_jitter)
    add("pool_lifetime_jitter", format_double(pool.lifetime_jitter));
  add_duration("pool_validate_after", pool.validate_after_idle, defaults.pool.validate_after_idle);
  add_duration("pool_leak_threshold", pool.leak_threshold, defaults.pool.leak_threshold);
  if (pool.keep_session_state != defaults.pool.keep_session_state)
    add("pool_keep_session", pool.keep_session_state ? "true" : "false");
  if (failover.max_ignored_errors != defaults.failover.max_ignored_errors)
    add("max_ignored_errors", std::to_string(failover.max_ignored_errors));
  // In milliseconds, the DSN's unit: a finer duration set in code is written rounded down.
  const auto ms = [](Clock::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d); };
  add_duration("error_half_life", ms(failover.decay.half_life), ms(defaults.failover.decay.half_life));
  if (failover.breaker.minimum_calls != defaults.failover.breaker.minimum_calls)
    add("breaker_min_calls", std::to_string(failover.breaker.minimum_calls));
  if (failover.breaker.failure_rate_threshold != defaults.failover.breaker.failure_rate_threshold)
    add("breaker_failure_rate", format_double(failover.breaker.failure_rate_threshold));
  add_duration("breaker_open", ms(failover.breaker.open_duration), ms(defaults.failover.breaker.open_duration));
  add_duration("breaker_window", ms(failover.breaker.window_duration), ms(defaults.failover.breaker.window_duration));
  add_duration("max_replica_delay", ms(failover.max_replica_delay), ms(defaults.failover.max_replica_delay));
  if (failover.fallback_to_stale_replicas != defaults.failover.fallback_to_stale_replicas)
    add("fallback_to_stale_replicas", failover.fallback_to_stale_replicas ? "true" : "false");
  // An arm given as a DSN is written redacted like this one (its own to_dsn).
  // One that does not parse (set in code, never validated) is written as "***": it may hold a password.
  const auto arm = [&](const std::string& value) -> std::string {
    if (!redact || value.find("://") == std::string::npos) return value;
    try {
      return Config::from_dsn(value).to_dsn(true);
    } catch (const Error&) {
      return "***";
    }
  };
  if (rollout.a != defaults.rollout.a) add("rollout_a", arm(rollout.a));
  if (!rollout.b.empty()) add("rollout_b", arm(rollout.b));
  if (rollout.share != defaults.rollout.share) add("rollout_share", format_double(rollout.share));
  if (shadow.primary != defaults.shadow.primary) add("shadow_primary", arm(shadow.primary));
  if (!shadow.candidate.empty()) add("shadow_candidate", arm(shadow.candidate));
  if (shadow.sample != defaults.shadow.sample) add("shadow_sample", format_double(shadow.sample));
  if (client_name != defaults.client_name) add("client_name", client_name);
  if (!embedded.library.empty()) add("chdb_library", embedded.library);
  for (const auto& l : k_limits) {
    if (limits.*l.field != defaults.limits.*l.field) add(std::string(l.name), std::to_string(limits.*l.field));
  }
  for (const auto& s : settings) add(std::string(k_setting_prefix) + s.name, s.value);

  for (std::size_t i = 0; i < params.size(); ++i) {
    out += i == 0 ? '?' : '&';
    // Keys are plain identifiers; '/' and ':' stay readable in paths and need no escape in a query.
    out += percent_encode(params[i].first, ".");
    out += '=';
    out += percent_encode(params[i].second, "/:");
  }
  return out;
}

}  // namespace chconn
