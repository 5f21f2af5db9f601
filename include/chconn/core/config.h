// Config: everything needed to reach ClickHouse and to choose how connections are made.
//
// Built from code (designated initialisers), from a DSN URL, or from the environment:
//
//   auto a = chconn::Config{.hosts = {{"db1", 9000}}, .user = "app", .password = secret};
//   auto b = chconn::Config::from_dsn(
//       "clickhouse://app:secret@db1:9000,db2:9000/analytics?compression=lz4&strategy=pooled");
//   auto c = chconn::Config::from_env();   // CLICKHOUSE_DSN, CLICKHOUSE_HOST, CHCONN_ENV, ...
//
// Every timeout has its own field and a finite default. Printing a config (to_string, to_dsn,
// operator<<) never shows the password. Invalid input raises chconn::Error of kind config naming
// what is wrong.
//
// Thread safety: a value type; share it by copying or as const.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/limits.h"
#include "chconn/core/log.h"
#include "chconn/core/resilience_options.h"
#include "chconn/core/settings.h"

namespace chconn {

// One server address. port 0 means the default: 9000, or 9440 when secure.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;

  friend bool operator==(const HostPort&, const HostPort&) = default;
};

// "host:port", with IPv6 literals in brackets ("[::1]:9000"); just "host" when port is 0.
std::string to_string(const HostPort& address);

// Parses one server address typed by hand (the CLI's --host, an entry of CLICKHOUSE_HOST), in the
// forms clickhouse-client takes: "host", "host:port", "[v6]", "[v6]:port", or a bare IPv6 literal
// ("::1", "fe80::1%eth0"), which has no port ("[::1]:9000" gives it one). Spaces around it are
// ignored. A port is 1..65535; the result's port is 0 when none was given. Throws Error(config)
// whose message starts with "invalid <what>" and says what would be valid.
HostPort parse_host_port(std::string_view text, std::string_view what);

// Parses a port number given on its own (--port, CLICKHOUSE_PORT): 1..65535, spaces around it
// ignored. Throws Error(config) naming `what` and quoting the text.
std::uint16_t parse_port(std::string_view text, std::string_view what);

// Applies a port given on its own (from `port_source`, e.g. "--port") to `hosts` (from
// `hosts_source`, e.g. "--host"): a host without a port takes it, and a host with a port of its own
// must have the same one. A disagreement is an Error(config) naming both sources and ports, and
// leaves `hosts` unchanged: a port given twice never silently loses.
void apply_port(std::vector<HostPort>& hosts, std::uint16_t port, std::string_view port_source,
                std::string_view hosts_source);

enum class Compression : std::uint8_t { none, lz4, zstd };
std::string_view to_string(Compression c) noexcept;

// The deployment environment. It picks the default strategy (DESIGN.md, Configuration):
// testing → mock, production → pooled, development → direct.
enum class Environment : std::uint8_t { development, testing, production };
std::string_view to_string(Environment e) noexcept;

// How FailoverStrategy orders hosts that have the same error count and priority (ClickHouse's
// load_balancing setting): random picks at random; in_order takes them as listed;
// first_or_random prefers the first host and picks among the others at random; round_robin
// starts each acquire one host further along the list.
enum class LoadBalancing : std::uint8_t { random, in_order, first_or_random, round_robin };
// "random", "in_order", "first_or_random", "round_robin".
std::string_view to_string(LoadBalancing policy) noexcept;
// Reads a policy name as to_string() writes it (case-insensitive; '-' may replace '_'). Throws
// Error(config) naming `what` and listing the valid names.
LoadBalancing parse_load_balancing(std::string_view text, std::string_view what = "load_balancing");

// TLS settings. They only apply with Config::secure = true: validate() rejects a config that sets
// any of them (verify = false included) without it, since they would be ignored and the password
// would cross the network in plain text.
struct TlsOptions {
  // Verify the server's certificate chain and host name. Turning this off is an explicit opt-out
  // for tests: connectors made from such a config log a warning once each (see connector.h).
  bool verify = true;
  std::string ca_file;      // PEM bundle of trusted CAs; empty: the system's default store
  std::string ca_dir;       // directory of hashed CA certificates
  std::string cert_file;    // client certificate (optional)
  std::string key_file;     // client private key (optional)
  std::string server_name;  // name to verify and send as SNI; empty: the host being connected to

  friend bool operator==(const TlsOptions&, const TlsOptions&) = default;
};

struct Timeouts {
  std::chrono::milliseconds connect = std::chrono::seconds(10);       // TCP connect + TLS + handshake, per address
  std::chrono::milliseconds send = std::chrono::seconds(300);         // a single blocking write
  std::chrono::milliseconds receive = std::chrono::seconds(300);      // waiting for the next bytes from the server
  std::chrono::milliseconds query = std::chrono::seconds(600);        // a whole query, from send to the last packet
  std::chrono::milliseconds pool_acquire = std::chrono::seconds(10);  // waiting for a pooled connection
  std::chrono::milliseconds cancel_drain = std::chrono::seconds(5);  // after Cancel, reading the rest of a query before
                                                                     // giving the connection up as broken (never past
                                                                     // the caller's deadline)

  friend bool operator==(const Timeouts&, const Timeouts&) = default;
};

struct PoolOptions {
  std::size_t max_size = 10;                                            // connections open at once, leased or idle
  std::size_t min_idle = 0;                                             // idle connections kept warm
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(600);   // close idle connections older than this
  std::chrono::milliseconds max_lifetime = std::chrono::seconds(3600);  // retire connections after this (with jitter)
  double lifetime_jitter = 0.1;                                         // ±fraction applied to max_lifetime
  std::chrono::milliseconds validate_after_idle = std::chrono::seconds(10);  // ping before reuse when idle this long
  std::chrono::milliseconds leak_threshold = std::chrono::seconds(300);  // log a lease held longer than this; 0: off
  // false: a connection whose session was changed (SET, USE, a temporary table, a transaction:
  // Connection::session_changed()) is closed when its lease ends, so no caller inherits another's
  // session. true: it goes back to the pool as it is (for services that want every connection in
  // the same state and set it themselves). To run several statements in one session, hold one lease.
  bool keep_session_state = false;

  friend bool operator==(const PoolOptions&, const PoolOptions&) = default;
};

// The one place PoolOptions' limits are written, used by Config::validate() and PooledStrategy:
// throws Error(config) naming the first option out of its limits, the message starting with
// `field_prefix` (e.g. "invalid config: pool." or "pool 'orders': ").
void validate(const PoolOptions& options, std::string_view field_prefix);

// Per-host tuning of the failover strategy: its hosts' circuit breakers and decaying error counts,
// in the resilience layer's own option types (chconn/core/resilience_options.h), so each option has
// one definition and one set of limits. FailoverOptions (chconn/strategy/failover.h) is a
// FailoverTuning plus the hosts and the rest, and failover_options(config) takes this one as it
// is. Other strategies ignore it. In a DSN (see from_dsn):
//   max_ignored_errors     max_ignored_errors
//   error_half_life        decay.half_life
//   breaker_min_calls      breaker.minimum_calls
//   breaker_failure_rate   breaker.failure_rate_threshold (percent)
//   breaker_open           breaker.open_duration (at most breaker.max_open_duration, 2 min)
//   breaker_window         breaker.window_duration (whole seconds, 1 s .. 1 h)
//   max_replica_delay      max_replica_delay (0 or from 1 s, whole seconds)
//   fallback_to_stale_replicas  fallback_to_stale_replicas
// e.g. clickhouse://db1,db2?strategy=failover&max_ignored_errors=5&breaker_open=30s&breaker_window=2m
// The other breaker and decay options are set in code. validate() checks them all.
struct FailoverTuning {
  // The first errors of a host that do not count when ordering hosts (ClickHouse's
  // distributed_replica_max_ignored_errors). 0: every error counts.
  std::uint64_t max_ignored_errors = 0;
  // Each host's decaying error count (ClickHouse's distributed_replica_error_half_life and _cap).
  ErrorDecayOptions decay{};
  // Each host's breaker; `name` is replaced by the host's address.
  CircuitBreakerOptions breaker{};
  // Replication lag a host may have and still come first (ClickHouse's
  // max_replica_delay_for_distributed_queries). When set, each health check of a host
  // (FailoverStrategy::check_hosts, run by the manager's health thread) also reads its lag, the
  // largest absolute_delay in system.replicas, and acquire() tries hosts lagging more than this
  // only after every host within it. 0: lag is neither read nor used. Whole seconds, at most 1 day.
  std::chrono::seconds max_replica_delay{0};
  // When every host the order would try lags more than max_replica_delay: true (ClickHouse's
  // fallback_to_stale_replicas_for_distributed_queries default) tries them, least lag first; false
  // refuses with Error(network) naming each host's lag.
  bool fallback_to_stale_replicas = true;

  friend bool operator==(const FailoverTuning&, const FailoverTuning&) = default;
};

// The embedded engine (the "embedded" strategy, chconn/strategy/embedded.h): ClickHouse run in this
// process by chDB's libchdb.so instead of a server. A DSN `embedded://` (data in memory) or
// `embedded:///some/dir` (data kept under that folder) sets it; hosts, user, password, TLS and
// compression are then not used.
struct EmbeddedOptions {
  bool enabled = false;  // set by an embedded:// DSN; the embedded strategy works without it too
  // The folder the engine keeps its databases in; empty: in memory, gone when the process ends.
  // One engine per process: every embedded connection of a process must name the same folder.
  std::string path;
  // libchdb.so to load; empty: $CHCONN_CHDB_LIBRARY, else the cache chconn_fetch_chdb fills
  // (scripts/lib/common.sh), else "libchdb.so" on the dynamic linker's search path.
  std::string library;

  friend bool operator==(const EmbeddedOptions&, const EmbeddedOptions&) = default;
};

// The "rollout" strategy (chconn/strategy/rollout.h) that initialize() makes when strategy is
// "rollout": share percent of the leases go to arm B, the rest to arm A. Each arm is the name of a
// strategy initialize() registers (direct, pooled, failover, embedded; mock in testing), or a DSN
// of its own (clickhouse://... or embedded://...; percent-encoded inside a DSN) whose strategy=
// picks direct, pooled (its default) or failover over its own hosts. In a DSN: rollout_a,
// rollout_b, rollout_share; in the environment: CHCONN_ROLLOUT_SHARE, which the strategy's
// reload() reads again. e.g.
//   clickhouse://old1,old2?strategy=rollout&rollout_a=failover&rollout_share=0.5
//       &rollout_b=clickhouse%3A%2F%2Fnew1%2Cnew2%3Fstrategy%3Dfailover
struct RolloutConfig {
  std::string a = "pooled";
  std::string b;     // required with strategy=rollout
  double share = 0;  // percent to B, 0..100, fractions allowed

  friend bool operator==(const RolloutConfig&, const RolloutConfig&) = default;
};

// The "shadow" strategy (chconn/strategy/shadow.h) that initialize() makes when strategy is
// "shadow": callers are served by `primary`, and `sample` percent of their read-only statements run
// again on `candidate` in the background and are compared (mismatches are counted in the
// manager's metrics; set a callback through ShadowOptions in code). Each side is named or given as
// a DSN exactly like a rollout arm. In a DSN: shadow_primary, shadow_candidate, shadow_sample. e.g.
//   clickhouse://old1,old2?strategy=shadow&shadow_primary=failover&shadow_sample=5
//       &shadow_candidate=clickhouse%3A%2F%2Fnew1%2Cnew2%3Fstrategy%3Dfailover
struct ShadowConfig {
  std::string primary = "pooled";
  std::string candidate;  // required with strategy=shadow
  double sample = 100;    // percent of read-only statements mirrored, 0..100

  friend bool operator==(const ShadowConfig&, const ShadowConfig&) = default;
};

struct Config {
  std::vector<HostPort> hosts{{"localhost", 0}};
  std::string database;  // empty: the user's default database
  std::string user = "default";
  std::string password;
  bool secure = false;  // TLS; never falls back to plain TCP
  TlsOptions tls;
  // DNS servers to resolve the hosts with instead of those of /etc/resolv.conf: IP addresses,
  // port 0 meaning 53 (/etc/hosts is still read first). Empty: the system's servers. Resolving
  // counts against timeouts.connect (see chconn/net/resolver.h for how long answers are kept).
  std::vector<HostPort> dns_servers;
  Compression compression = Compression::lz4;
  Timeouts timeouts;
  std::string strategy;  // "direct", "pooled", "failover", "mock", "embedded"; empty: chosen by environment
                         // (or "embedded" for an embedded:// DSN)
  EmbeddedOptions embedded;
  LoadBalancing load_balancing = LoadBalancing::random;  // host order of the failover strategy
  Environment environment = Environment::development;
  // The "mock" strategy that initialize() registers in the testing environment answers a query no
  // rule matches with Error(usage) instead of an empty result (MockServer::Options::strict).
  bool mock_strict = false;
  PoolOptions pool;
  FailoverTuning failover;  // per-host breakers and error counts of the failover strategy
  RolloutConfig rollout;    // the rollout strategy's arms and share
  ShadowConfig shadow;      // the shadow strategy's sides and sample
  DecodeLimits limits;      // how much a server may send (chconn/core/limits.h); per connection
  Settings settings;        // sent with every query
  std::string client_name = "chconn";
  std::shared_ptr<const Logger> logger;  // null: silent

  // Parses a DSN: clickhouse://[user[:password]@]host[:port][,host[:port]...][/database][?k=v&...]
  // ("tcp://" is a synonym), or embedded://[/PATH][?k=v&...] for the embedded engine (EmbeddedOptions:
  // its path percent-decoded, strategy "embedded" unless strategy= says otherwise; the parameters
  // below that are not about a server apply, chdb_library=PATH names libchdb.so). Percent-encoding (%XX) is decoded in
  // the user, password, hosts, database and parameter values; '+' is a literal plus. IPv6 literals go in brackets:
  // [::1]:9000. Without a user info the user is "default". Parameters (each at most once):
  //   secure=BOOL  tls_verify=BOOL (or skip_verify=BOOL)  ca_file  ca_dir  cert_file  key_file
  //   tls_server_name  compression=none|lz4|zstd  dns_servers=ADDR[:PORT][,...] ([V6]:PORT)
  //   connect_timeout  send_timeout  receive_timeout
  //   query_timeout  pool_acquire_timeout  cancel_drain_timeout  strategy=NAME
  //   load_balancing=random|in_order|first_or_random|round_robin
  //   env=testing|development|production  mock_strict=BOOL
  //   pool_max=N (1..100000)  pool_min_idle=N (<= pool_max)  pool_idle_timeout  pool_max_lifetime
  //   pool_lifetime_jitter=0..0.5  pool_validate_after (0 allowed)  pool_leak_threshold (0: off)
  //   pool_keep_session=true|false
  //   max_ignored_errors=N (0..1000000)  error_half_life  breaker_min_calls=N (1..1000000)
  //   breaker_failure_rate=X (percent, 0 < X <= 100)  breaker_open (at most 2m)
  //   breaker_window (whole seconds, 1s..1h)   (these six: Config::failover)
  //   max_string_bytes  max_block_rows  max_block_columns  max_array_elements  max_block_bytes
  //   max_type_name_bytes  max_block_type_name_bytes  max_type_depth  max_frame_bytes
  //   max_exception_depth  max_exception_message_bytes  max_exception_stack_trace_bytes
  //   max_exception_chain_bytes   (Config::limits, each a whole number from 1 to a maximum that
  //   catches typos; docs/configuration.md lists them)
  //   rollout_a=NAME|DSN  rollout_b=NAME|DSN  rollout_share=PERCENT (0..100)   (Config::rollout)
  //   shadow_primary=NAME|DSN  shadow_candidate=NAME|DSN  shadow_sample=PERCENT   (Config::shadow)
  //   client_name  setting.NAME=VALUE (a ClickHouse setting sent with every query)
  // BOOL is true/false, 1/0 or yes/no; durations are as parse_duration() reads them and, except
  // pool_validate_after and pool_leak_threshold, greater than zero. Unknown or repeated parameters
  // and bad values are an Error(config) naming them; no message ever contains the password. The TLS
  // parameters (tls_verify=false or skip_verify=true, ca_file, ca_dir, cert_file, key_file,
  // tls_server_name) need secure=true in the same DSN. A bare IPv6 host must be in brackets.
  // A password with raw '/', '?', '#' or '@' is accepted, but should be percent-encoded (one that
  // holds a '?' followed later by '=' must be: it would read as the start of the parameters).
  static Config from_dsn(std::string_view dsn);

  // Reads CLICKHOUSE_DSN first (if set), then applies CLICKHOUSE_HOST, CLICKHOUSE_PORT,
  // CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE, CLICKHOUSE_SECURE,
  // CLICKHOUSE_COMPRESSION, CHCONN_ENV, CHCONN_STRATEGY, CHCONN_LOAD_BALANCING, CHCONN_POOL_MAX and
  // CHCONN_ROLLOUT_SHARE over it.
  // CLICKHOUSE_HOST is a comma-separated list of addresses in the forms parse_host_port() takes
  // (host, host:port, [v6], [v6]:port, a bare IPv6 literal). CLICKHOUSE_PORT is the port of the
  // hosts (of CLICKHOUSE_HOST, else of the DSN) that have none of their own, and must equal the
  // port of those that have one (apply_port). A variable set to the empty string counts as unset.
  // Errors name the variable. The result is validate()d.
  static Config from_env();
  // The same, reading variables through `getenv` (for tests and embedding).
  using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
  static Config from_env(const EnvLookup& getenv);

  // Throws Error(config) if the configuration cannot work (no hosts, empty user, zero pool size,
  // non-positive timeouts, failover tuning the breakers or error decay would reject, TLS options
  // without secure = true, ...).
  void validate() const;

  // The port used for `address`: its own, or the default for `secure`.
  std::uint16_t port_of(const HostPort& address) const noexcept {
    return address.port != 0 ? address.port : (secure ? 9440 : 9000);
  }

  // A DSN that from_dsn() turns back into an equal Config (logger aside, and a setting's
  // `important` flag, which a DSN cannot express). Only parameters that differ from the defaults
  // are written, in a fixed order. With redact, the password is replaced by "***"; an empty
  // password is left out entirely.
  std::string to_dsn(bool redact = true) const;
  // The redacted DSN.
  std::string to_string() const { return to_dsn(true); }
};

std::ostream& operator<<(std::ostream& os, const Config& config);

// Parses a rollout share as DSNs, the environment and the CLI give it: a percent from 0 to 100,
// fractions allowed ("0.5"), an optional trailing '%'. Throws Error(config) naming `what`.
double parse_rollout_share(std::string_view text, std::string_view what);

// Parses durations as used in DSNs and the CLI: "250ms", "10s", "5m", "1h", or a bare number of
// seconds ("1.5"); fractions work with every unit ("1.5m"). Zero is accepted (callers that need a
// positive value check); negative values, other units, anything shorter than 1ms but not zero and
// anything longer than 8760h are not. Throws Error(config) naming `what` on bad input.
std::chrono::milliseconds parse_duration(std::string_view text, std::string_view what);

}  // namespace chconn
