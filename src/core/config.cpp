// Config: DSN parsing and printing, environment loading, validation.
//
// Secrets: the password is only ever read from the user info of a DSN or from CLICKHOUSE_PASSWORD,
// and no error message quotes either. Every other fragment that a message quotes comes from the
// part of the DSN after the user info, so the way the user info is delimited (split_user_info)
// is what keeps a password out of messages even when it holds unescaped reserved characters.
#include "chconn/core/config.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ostream>
#include <string>
#include <system_error>
#include <utility>

#include "chconn/core/error.h"

namespace chconn {

namespace {

constexpr std::string_view k_dsn_format =
    "clickhouse://[user[:password]@]host[:port][,host[:port]...][/database][?param=value&...]";
// Upper bounds that catch typos (a pool of a million connections, a timeout of centuries) and
// keep every duration far from overflowing a clock's time_point.
constexpr std::uint64_t k_max_pool_size = 100'000;
constexpr std::int64_t k_max_duration_ms = 365LL * 24 * 3600 * 1000;
constexpr std::size_t k_max_strategy_name = 64;
// Failover tuning (Config::failover) is checked by the resilience options' own validate()
// (chconn/core/resilience_options.h). k_max_failover_count only catches typos in DSN counts.
constexpr std::uint64_t k_max_failover_count = 1'000'000;
// Hosts (and DNS servers) a Config may name. Every host costs a strategy state, and every failed
// host a line in the failover error; a DSN of 20,000 hosts took 15.8 GB before it was bounded.
constexpr std::size_t k_max_hosts = 1000;

[[noreturn]] void fail(std::string message) { throw Error(ErrorKind::config, std::move(message)); }

// --- Character classes. Locale-independent on purpose: a DSN must parse the same everywhere. ---

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_hex(char c) noexcept { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_control(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}
bool is_unreserved(char c) noexcept {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
char to_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return to_lower(x) == to_lower(y); });
}
bool has_control(std::string_view s) noexcept { return std::any_of(s.begin(), s.end(), is_control); }
int hex_value(char c) noexcept {
  if (is_digit(c)) return c - '0';
  return to_lower(c) - 'a' + 10;
}

// Untrusted text for a message: quoted, non-printable bytes as \xNN, long text cut short.
std::string quote(std::string_view text) {
  constexpr std::size_t k_max_quoted = 120;
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out = "'";
  for (std::size_t i = 0; i < text.size() && i < k_max_quoted; ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u >= 0x20 && u < 0x7f) {
      out += text[i];
    } else {
      out += "\\x";
      out += k_digits[u >> 4];
      out += k_digits[u & 0xf];
    }
  }
  if (text.size() > k_max_quoted) out += "...";
  out += '\'';
  return out;
}

std::string_view trim(std::string_view s) noexcept {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// --- Percent-encoding ---

// Decodes %XX escapes. Returns the offset of the first bad escape instead when there is one, so
// the caller can phrase the error for its part (and leave a secret out of it).
struct Decoded {
  std::string text;
  std::size_t bad_at = std::string_view::npos;
};
Decoded percent_decode(std::string_view in) {
  Decoded d;
  d.text.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      d.text += in[i];
      continue;
    }
    if (i + 2 >= in.size() || !is_hex(in[i + 1]) || !is_hex(in[i + 2])) {
      d.bad_at = i;
      return d;
    }
    d.text += static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
    i += 2;
  }
  return d;
}

// Decodes a non-secret part, naming it and the bad escape on error.
std::string decode_part(std::string_view in, std::string_view what) {
  Decoded d = percent_decode(in);
  if (d.bad_at != std::string_view::npos) {
    fail("invalid DSN: bad percent-escape " + quote(in.substr(d.bad_at, 3)) + " in " + std::string(what) + " (" +
         quote(in) + "); '%' must be followed by two hex digits (write a literal '%' as %25)");
  }
  return std::move(d.text);
}

// Encodes every byte except the unreserved characters and those in `keep`.
std::string percent_encode(std::string_view in, std::string_view keep = {}) {
  static constexpr char k_digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    if (is_unreserved(c) || keep.find(c) != std::string_view::npos) {
      out += c;
    } else {
      const auto u = static_cast<unsigned char>(c);
      out += '%';
      out += k_digits[u >> 4];
      out += k_digits[u & 0xf];
    }
  }
  return out;
}

// --- Value parsers shared by the DSN and the environment. `what` names the source in messages:
// "DSN parameter 'secure'" or "CLICKHOUSE_SECURE". ---

[[noreturn]] void bad_value(std::string_view value, std::string_view what, std::string_view advice) {
  fail("invalid value " + quote(value) + " for " + std::string(what) + "; " + std::string(advice));
}

bool parse_bool(std::string_view v, std::string_view what) {
  if (iequals(v, "true") || v == "1" || iequals(v, "yes")) return true;
  if (iequals(v, "false") || v == "0" || iequals(v, "no")) return false;
  bad_value(v, what, "use true or false (1/0 and yes/no also work)");
}

// A whole decimal number, digits only (no sign, no spaces).
std::optional<std::uint64_t> parse_uint(std::string_view v) noexcept {
  if (v.empty() || v.size() > 18 || !std::all_of(v.begin(), v.end(), is_digit)) return std::nullopt;
  std::uint64_t n = 0;
  for (char c : v) n = n * 10 + static_cast<std::uint64_t>(c - '0');
  return n;
}

std::optional<std::uint16_t> read_port(std::string_view v) noexcept {
  const auto n = parse_uint(v);
  if (!n || *n == 0 || *n > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(*n);
}

std::uint64_t parse_whole(std::string_view v, std::string_view what, std::uint64_t min, std::uint64_t max) {
  const auto n = parse_uint(v);
  if (!n || *n < min || *n > max) {
    bad_value(v, what, "use a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return *n;
}

std::size_t parse_count(std::string_view v, std::string_view what, std::uint64_t min) {
  return static_cast<std::size_t>(parse_whole(v, what, min, k_max_pool_size));
}

Compression parse_compression(std::string_view v, std::string_view what) {
  if (iequals(v, "none")) return Compression::none;
  if (iequals(v, "lz4")) return Compression::lz4;
  if (iequals(v, "zstd")) return Compression::zstd;
  bad_value(v, what, "use none, lz4 or zstd");
}

Environment parse_environment(std::string_view v, std::string_view what) {
  if (iequals(v, "development")) return Environment::development;
  if (iequals(v, "testing")) return Environment::testing;
  if (iequals(v, "production")) return Environment::production;
  bad_value(v, what, "use testing, development or production");
}

bool is_strategy_name(std::string_view v) noexcept {
  return !v.empty() && v.size() <= k_max_strategy_name && std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '-';
  });
}

std::string parse_strategy(std::string_view v, std::string_view what) {
  if (!is_strategy_name(v)) {
    bad_value(v, what,
              "a strategy name is lower-case letters, digits, '_' and '-' (e.g. direct, pooled, failover, mock)");
  }
  return std::string(v);
}

double parse_jitter(std::string_view v, std::string_view what) {
  double d = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || !std::isfinite(d) || d < 0 || d > 0.5) {
    bad_value(v, what, "use a fraction from 0 to 0.5, e.g. 0.1");
  }
  return d;
}

std::chrono::milliseconds parse_positive_duration(std::string_view v, std::string_view what) {
  const auto d = parse_duration(v, what);
  if (d <= std::chrono::milliseconds::zero()) bad_value(v, what, "the duration must be greater than zero, e.g. 10s");
  return d;
}

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

// Text for messages and values that must not carry control characters (names, paths).
std::string parse_text(std::string_view v, std::string_view what) {
  if (has_control(v)) bad_value(v, what, "control characters are not allowed");
  return std::string(v);
}

// --- Hosts ---

// An IPv6 literal as it appears inside brackets: hex digits, ':' and '.' (an embedded IPv4), with
// at least one ':', then an optional "%zone" of unreserved characters. Only the characters are
// checked; the resolver judges the rest.
bool is_ipv6_literal(std::string_view text) noexcept {
  const auto zone = text.find('%');
  const std::string_view address = text.substr(0, zone);
  const bool ok_address =
      address.find(':') != std::string_view::npos &&
      std::all_of(address.begin(), address.end(), [](char c) { return is_hex(c) || c == ':' || c == '.'; });
  if (zone == std::string_view::npos) return ok_address;
  const std::string_view name = text.substr(zone + 1);
  return ok_address && !name.empty() && std::all_of(name.begin(), name.end(), is_unreserved);
}

// Where a host list comes from: a DSN's host part (a URL: percent-decoded here, IPv6 only in
// brackets), a DSN parameter's value (URL rules, already decoded), or text typed by hand (an
// environment variable, a command-line flag: taken as is, and a bare IPv6 literal is an address
// without a port, as clickhouse-client reads --host).
enum class HostSyntax : std::uint8_t { dsn, dsn_value, typed };

// Parses one "host", "host:port", "[v6]" or "[v6]:port", or (typed only) a bare IPv6 literal.
// `where` prefixes messages ("invalid DSN", "invalid CLICKHOUSE_HOST").
HostPort parse_host(std::string_view entry, HostSyntax syntax, std::string_view where) {
  const std::string w(where);
  const bool decode = syntax == HostSyntax::dsn;
  const bool url = syntax != HostSyntax::typed;  // IPv6 only in brackets
  const auto decode_host = [&](std::string_view raw) {
    if (!decode) return std::string(raw);
    Decoded d = percent_decode(raw);
    if (d.bad_at != std::string_view::npos) {
      fail(w + ": bad percent-escape " + quote(raw.substr(d.bad_at, 3)) + " in host " + quote(entry) +
           "; '%' must be followed by two hex digits (write a literal '%' as %25)");
    }
    return std::move(d.text);
  };

  HostPort hp;
  std::string_view port_text;
  bool has_port = false;
  if (!entry.empty() && entry.front() == '[') {
    const auto close = entry.find(']');
    if (close == std::string_view::npos) {
      fail(w + ": missing ']' in host " + quote(entry) + "; write IPv6 addresses in brackets, e.g. [::1]:9000");
    }
    hp.host = decode_host(entry.substr(1, close - 1));
    const std::string_view after = entry.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        fail(w + ": unexpected " + quote(after) + " after ']' in host " + quote(entry) +
             "; write IPv6 addresses as [::1] or [::1]:9000");
      }
      has_port = true;
      port_text = after.substr(1);
    }
    if (hp.host.empty()) fail(w + ": empty IPv6 address in host " + quote(entry) + "; e.g. [::1]:9000");
    // A zone is written %25zone in a DSN, so it is checked decoded.
    if (!is_ipv6_literal(hp.host)) {
      fail(w + ": " + quote(hp.host) + " in host " + quote(entry) +
           " is not an IPv6 address; brackets are only for IPv6 literals such as [::1] or " +
           (decode ? "[fe80::1%25eth0]" : "[fe80::1%eth0]"));
    }
  } else {
    const auto colon = entry.find(':');
    if (colon != std::string_view::npos && entry.find(':', colon + 1) != std::string_view::npos) {
      if (url) {
        fail(w + ": host " + quote(entry) +
             " has more than one ':'; write IPv6 addresses in brackets, e.g. [::1]:9000");
      }
      // Typed by hand: the whole text is one IPv6 address and no port, as for clickhouse-client
      // ("::1:9000" is the address ::1:9000; a port needs brackets).
      if (!is_ipv6_literal(entry)) {
        fail(w + ": host " + quote(entry) +
             " is not an IPv6 address (an address with more than one ':'); write a host name, host:port, "
             "an IPv6 address such as ::1, or [::1]:9000 for one with a port");
      }
      hp.host = std::string(entry);
      return hp;
    }
    hp.host = decode_host(entry.substr(0, colon));
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = entry.substr(colon + 1);
    }
    if (hp.host.empty())
      fail(w + ": empty host name in " + quote(entry) + "; write a host name or address before the port");
    const auto bad = std::find_if_not(hp.host.begin(), hp.host.end(), [](char c) {
      return is_alpha(c) || is_digit(c) || c == '.' || c == '-' || c == '_';
    });
    if (bad != hp.host.end()) {
      if (*bad == ':') {
        fail(w + ": host " + quote(hp.host) + " looks like an IPv6 address; write it in brackets, e.g. [::1]:9000");
      }
      fail(w + ": host " + quote(hp.host) + " contains " + quote(std::string_view(&*bad, 1)) +
           "; a host is a DNS name or an IP address (letters, digits, '.', '-', '_')");
    }
  }
  if (has_port) {
    if (port_text.empty()) {
      fail(w + ": missing port after ':' in host " + quote(entry) +
           "; write host:PORT with PORT in 1..65535, or leave out the ':'");
    }
    const auto port = read_port(port_text);
    if (!port) {
      // Only a numeric port is echoed: text after "host:" may be a password whose "@host" part
      // was forgotten (clickhouse://user:secret).
      const bool numeric = std::all_of(port_text.begin(), port_text.end(), [](char c) { return is_digit(c); });
      fail(w + ": port " + (numeric ? quote(port_text) + " " : std::string("text ")) + "of host " + quote(hp.host) +
           " is not valid; use a number from 1 to 65535 (e.g. 9000, or 9440 for TLS)" +
           (numeric ? "" : ", and check that the DSN has its '@host' part after any password"));
    }
    hp.port = *port;
  }
  return hp;
}

std::vector<HostPort> parse_hosts(std::string_view list, HostSyntax syntax, std::string_view where) {
  if (list.empty()) {
    fail(std::string(where) + ": no host given; write at least one host, e.g. localhost or db1:9000,db2:9000");
  }
  std::vector<HostPort> hosts;
  std::size_t start = 0;
  for (;;) {
    const auto comma = list.find(',', start);
    std::string_view entry = list.substr(start, comma == std::string_view::npos ? list.npos : comma - start);
    // Environment variables are typed by hand ("db1, db2"); a DSN is a URL and has no spaces.
    if (syntax == HostSyntax::typed) entry = trim(entry);
    if (entry.empty()) {
      fail(std::string(where) + ": empty host at position " + std::to_string(hosts.size() + 1) +
           " of the host list; remove the extra ',' or add the missing host");
    }
    hosts.push_back(parse_host(entry, syntax, where));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return hosts;
}

// --- TLS options without TLS ---

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
    ParamSpec{"client_name", "client_name",
              [](Config& c, std::string_view v, std::string_view w) { c.client_name = parse_text(v, w); }},
};

// Decode limits (Config::limits): one row per field of DecodeLimits, used by the DSN parameters
// (named like the fields), to_dsn() and validate(). Each is at least 1 (a zero limit would refuse
// every result); the maxima catch typos and keep sums of limits far from overflowing.
struct LimitSpec {
  std::string_view name;
  std::uint64_t DecodeLimits::*field;
  std::uint64_t max;
};

constexpr std::uint64_t k_tib = std::uint64_t{1} << 40;
constexpr std::uint64_t k_gib = std::uint64_t{1} << 30;

// The order of this table is the order to_dsn() writes the limits in, after k_params.
constexpr std::array k_limits{
    LimitSpec{"max_string_bytes", &DecodeLimits::max_string_bytes, k_tib},
    LimitSpec{"max_block_rows", &DecodeLimits::max_block_rows, k_tib},
    LimitSpec{"max_block_columns", &DecodeLimits::max_block_columns, std::uint64_t{1} << 24},
    LimitSpec{"max_array_elements", &DecodeLimits::max_array_elements, k_tib},
    LimitSpec{"max_block_bytes", &DecodeLimits::max_block_bytes, k_tib},
    LimitSpec{"max_type_name_bytes", &DecodeLimits::max_type_name_bytes, k_gib},
    LimitSpec{"max_block_type_name_bytes", &DecodeLimits::max_block_type_name_bytes, k_tib},
    // The type parser and the column code recurse once per level: keep far from the stack's end.
    LimitSpec{"max_type_depth", &DecodeLimits::max_type_depth, 1000},
    // The largest frame the server accepts or sends (1 GiB compressed, and LZ4 counts in int).
    LimitSpec{"max_frame_bytes", &DecodeLimits::max_frame_bytes, k_gib},
    LimitSpec{"max_exception_depth", &DecodeLimits::max_exception_depth, 10'000},
    LimitSpec{"max_exception_message_bytes", &DecodeLimits::max_exception_message_bytes, k_gib},
    LimitSpec{"max_exception_stack_trace_bytes", &DecodeLimits::max_exception_stack_trace_bytes, k_gib},
    LimitSpec{"max_exception_chain_bytes", &DecodeLimits::max_exception_chain_bytes, k_tib},
};

const LimitSpec* find_limit(std::string_view name) noexcept {
  const auto it = std::find_if(k_limits.begin(), k_limits.end(), [&](const LimitSpec& l) { return l.name == name; });
  return it == k_limits.end() ? nullptr : &*it;
}

constexpr std::string_view k_setting_prefix = "setting.";

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

std::string format_double(double d) {
  std::array<char, 64> buf{};
  // Shortest representation that reads back as the same double, so to_dsn round-trips exactly.
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), d);
  if (ec != std::errc()) return std::to_string(d);
  return std::string(buf.data(), end);
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

}  // namespace

// --- Public functions ---

std::string to_string(const HostPort& address) {
  std::string out = address.host.find(':') != std::string::npos ? "[" + address.host + "]" : address.host;
  if (address.port != 0) out += ":" + std::to_string(address.port);
  return out;
}

HostPort parse_host_port(std::string_view text, std::string_view what) {
  return parse_host(trim(text), HostSyntax::typed, "invalid " + std::string(what));
}

std::uint16_t parse_port(std::string_view text, std::string_view what) {
  const auto port = read_port(trim(text));
  if (!port) bad_value(text, what, "use a port number from 1 to 65535 (e.g. 9000, or 9440 for TLS)");
  return *port;
}

void apply_port(std::vector<HostPort>& hosts, std::uint16_t port, std::string_view port_source,
                std::string_view hosts_source) {
  // Every host is checked before any is changed, so an error leaves `hosts` as it was.
  for (const HostPort& hp : hosts) {
    if (hp.port != 0 && hp.port != port) {
      fail("conflicting ports: " + std::string(port_source) + " " + std::to_string(port) + " disagrees with port " +
           std::to_string(hp.port) + " of host " + quote(hp.host) + " in " + std::string(hosts_source) +
           "; give the port one way only, or the same both ways");
    }
  }
  for (HostPort& hp : hosts) hp.port = port;
}

std::string_view to_string(Compression c) noexcept {
  switch (c) {
    case Compression::none: return "none";
    case Compression::lz4: return "lz4";
    case Compression::zstd: return "zstd";
  }
  return "unknown";
}

std::string_view to_string(LoadBalancing policy) noexcept {
  switch (policy) {
    case LoadBalancing::random: return "random";
    case LoadBalancing::in_order: return "in_order";
    case LoadBalancing::first_or_random: return "first_or_random";
    case LoadBalancing::round_robin: return "round_robin";
  }
  return "unknown";
}

LoadBalancing parse_load_balancing(std::string_view text, std::string_view what) {
  std::string name(text);
  for (char& ch : name) {
    if (ch == '-') ch = '_';
  }
  for (const LoadBalancing p :
       {LoadBalancing::random, LoadBalancing::in_order, LoadBalancing::first_or_random, LoadBalancing::round_robin}) {
    if (iequals(name, to_string(p))) return p;
  }
  bad_value(text, what, "use random, in_order, first_or_random or round_robin");
}

std::string_view to_string(Environment e) noexcept {
  switch (e) {
    case Environment::development: return "development";
    case Environment::testing: return "testing";
    case Environment::production: return "production";
  }
  return "unknown";
}

std::chrono::milliseconds parse_duration(std::string_view text, std::string_view what) {
  const auto bad = [&](std::string_view why) {
    fail("invalid duration " + quote(text) + " for " + std::string(what) + ": " + std::string(why) +
         "; write e.g. 250ms, 10s, 5m, 1h, or a number of seconds such as 1.5");
  };
  if (text.empty()) bad("it is empty");
  if (text.front() == '-') bad("durations cannot be negative");

  std::size_t i = 0;
  std::uint64_t whole = 0;
  std::size_t whole_digits = 0;
  for (; i < text.size() && is_digit(text[i]); ++i, ++whole_digits) {
    if (whole_digits >= 15) bad("the number is too large");
    whole = whole * 10 + static_cast<std::uint64_t>(text[i] - '0');
  }
  // Up to 9 fractional digits count; further ones are below a nanosecond of an hour's unit.
  std::uint64_t frac = 0;
  std::uint64_t frac_scale = 1;
  std::size_t frac_digits = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    for (; i < text.size() && is_digit(text[i]); ++i, ++frac_digits) {
      if (frac_digits < 9) {
        frac = frac * 10 + static_cast<std::uint64_t>(text[i] - '0');
        frac_scale *= 10;
      }
    }
  }
  if (whole_digits == 0 && frac_digits == 0) bad("it does not start with a number");

  const std::string_view unit = text.substr(i);
  std::uint64_t unit_ms = 0;
  if (unit.empty() || unit == "s") {
    unit_ms = 1000;
  } else if (unit == "ms") {
    unit_ms = 1;
  } else if (unit == "m") {
    unit_ms = 60'000;
  } else if (unit == "h") {
    unit_ms = 3'600'000;
  } else {
    bad("unknown unit " + quote(unit) + " (use ms, s, m or h)");
  }

  const auto max = static_cast<std::uint64_t>(k_max_duration_ms);
  if (whole > max / unit_ms) bad("it is longer than the maximum of 8760h (a year)");
  // frac < 10^9 and unit_ms <= 3.6e6, so the product stays below 2^63.
  const std::uint64_t total = whole * unit_ms + (frac * unit_ms + frac_scale / 2) / frac_scale;
  if (total > max) bad("it is longer than the maximum of 8760h (a year)");
  if (total == 0 && (whole != 0 || frac != 0)) bad("it is shorter than a millisecond, the finest resolution");
  return std::chrono::milliseconds(static_cast<std::int64_t>(total));
}

Config Config::from_dsn(std::string_view dsn) {
  dsn = trim(dsn);
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
  if (!iequals(scheme, "clickhouse") && !iequals(scheme, "tcp")) {
    fail("invalid DSN: unsupported scheme " + quote(scheme) +
         "; expected 'clickhouse://' (or its synonym 'tcp://'), e.g. " + std::string(k_dsn_format));
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
  if (hosts) c.hosts = parse_hosts(trim(*hosts), HostSyntax::typed, "invalid CLICKHOUSE_HOST");
  if (auto port_text = get("CLICKHOUSE_PORT")) {
    // The hosts' own ports come from CLICKHOUSE_HOST, else from the DSN (the default host has none).
    apply_port(c.hosts, parse_port(*port_text, "CLICKHOUSE_PORT"), "CLICKHOUSE_PORT",
               hosts ? "CLICKHOUSE_HOST" : "CLICKHOUSE_DSN");
  }
  if (auto user = get("CLICKHOUSE_USER")) c.user = parse_text(*user, "CLICKHOUSE_USER");
  if (auto password = get("CLICKHOUSE_PASSWORD")) c.password = std::move(*password);
  if (auto database = get("CLICKHOUSE_DATABASE")) c.database = parse_text(*database, "CLICKHOUSE_DATABASE");
  if (auto secure = get("CLICKHOUSE_SECURE")) c.secure = parse_bool(trim(*secure), "CLICKHOUSE_SECURE");
  if (auto compression = get("CLICKHOUSE_COMPRESSION")) {
    c.compression = parse_compression(trim(*compression), "CLICKHOUSE_COMPRESSION");
  }
  if (auto env = get("CHCONN_ENV")) c.environment = parse_environment(trim(*env), "CHCONN_ENV");
  if (auto strategy = get("CHCONN_STRATEGY")) c.strategy = parse_strategy(trim(*strategy), "CHCONN_STRATEGY");
  if (auto strict = get("CHCONN_MOCK_STRICT")) c.mock_strict = parse_bool(trim(*strict), "CHCONN_MOCK_STRICT");
  if (auto policy = get("CHCONN_LOAD_BALANCING"))
    c.load_balancing = parse_load_balancing(trim(*policy), "CHCONN_LOAD_BALANCING");
  if (auto pool_max = get("CHCONN_POOL_MAX")) {
    c.pool.max_size = parse_count(trim(*pool_max), "CHCONN_POOL_MAX", 1);
    if (c.pool.min_idle > c.pool.max_size) {
      fail("invalid CHCONN_POOL_MAX: " + std::to_string(c.pool.max_size) + " is below pool_min_idle=" +
           std::to_string(c.pool.min_idle) + " from CLICKHOUSE_DSN; raise CHCONN_POOL_MAX or lower pool_min_idle");
    }
  }
  c.validate();
  return c;
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
  const auto not_negative = [&](std::chrono::milliseconds d, std::string_view name) {
    if (d < std::chrono::milliseconds::zero()) {
      invalid(std::string(name) + " is " + std::to_string(d.count()) + "ms; it must not be negative");
    }
  };
  positive(timeouts.connect, "timeouts.connect");
  positive(timeouts.send, "timeouts.send");
  positive(timeouts.receive, "timeouts.receive");
  positive(timeouts.query, "timeouts.query");
  positive(timeouts.pool_acquire, "timeouts.pool_acquire");
  positive(timeouts.cancel_drain, "timeouts.cancel_drain");
  positive(pool.idle_timeout, "pool.idle_timeout");
  positive(pool.max_lifetime, "pool.max_lifetime");
  not_negative(pool.validate_after_idle, "pool.validate_after_idle");
  not_negative(pool.leak_threshold, "pool.leak_threshold (0 turns leak detection off)");

  if (pool.max_size < 1) invalid("pool.max_size is 0; it must be at least 1");
  if (pool.min_idle > pool.max_size) {
    invalid("pool.min_idle (" + std::to_string(pool.min_idle) + ") exceeds pool.max_size (" +
            std::to_string(pool.max_size) + "); lower min_idle or raise max_size");
  }
  // Written so that NaN fails too.
  if (!(pool.lifetime_jitter >= 0.0 && pool.lifetime_jitter <= 0.5)) {
    invalid("pool.lifetime_jitter is " + format_double(pool.lifetime_jitter) + "; it must be a fraction from 0 to 0.5");
  }
  if (client_name.empty())
    invalid("client_name is empty; give a name the server shows in system.processes, e.g. \"chconn\"");
  if (has_control(client_name)) invalid("client_name " + quote(client_name) + " contains a control character");
  if (!strategy.empty() && !is_strategy_name(strategy)) {
    invalid("strategy " + quote(strategy) + " is not a strategy name (lower-case letters, digits, '_' and '-')");
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

std::string Config::to_dsn(bool redact) const {
  const Config defaults;
  std::string out = "clickhouse://";
  if (user != defaults.user || !password.empty()) {
    out += percent_encode(user);
    if (!password.empty()) out += ":" + (redact ? std::string("***") : percent_encode(password));
    out += '@';
  }
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    if (i != 0) out += ',';
    out += format_host(hosts[i]);
  }
  if (!database.empty()) out += "/" + percent_encode(database);

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
  if (!strategy.empty()) add("strategy", strategy);
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
  if (client_name != defaults.client_name) add("client_name", client_name);
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

std::ostream& operator<<(std::ostream& os, const Config& config) { return os << config.to_string(); }

}  // namespace chconn
