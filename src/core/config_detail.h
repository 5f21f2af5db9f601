// Internal to core's configuration code, not installed: the pieces the DSN reader (dsn.cpp), the
// host parser (hosts.cpp), the value parsers (config_values.cpp) and the environment reader and
// validation (config.cpp) share. Each rule is written once, here or in the one file named.
//
// Secrets: the password is only ever read from the user info of a DSN or from CLICKHOUSE_PASSWORD,
// and no error message quotes either (see split_user_info in dsn.cpp).
//
// Thread safety: pure functions and constant tables.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/config.h"
#include "chconn/core/limits.h"
#include "core/strings.h"

namespace chconn::config_detail {

using detail::hex_value;
using detail::iequals;

inline constexpr std::string_view k_dsn_format =
    "clickhouse://[user[:password]@]host[:port][,host[:port]...][/database][?param=value&...]";
// Upper bounds that catch typos (a pool of a million connections, a timeout of centuries) and
// keep every duration far from overflowing a clock's time_point.
inline constexpr std::uint64_t k_max_pool_size = 100'000;
inline constexpr std::int64_t k_max_duration_ms = 365LL * 24 * 3600 * 1000;
inline constexpr std::size_t k_max_strategy_name = 64;
// Failover tuning (Config::failover) is checked by the resilience options' own validate()
// (chconn/core/resilience_options.h). k_max_failover_count only catches typos in DSN counts.
inline constexpr std::uint64_t k_max_failover_count = 1'000'000;
// The largest FailoverTuning::max_replica_delay (a lag of a day is a broken replica, not a slow one).
inline constexpr std::chrono::seconds k_max_replica_delay = std::chrono::hours(24);
// Hosts (and DNS servers) a Config may name. Every host costs a strategy state, and every failed
// host a line in the failover error; a DSN of 20,000 hosts took 15.8 GB before it was bounded.
inline constexpr std::size_t k_max_hosts = 1000;
inline constexpr std::string_view k_setting_prefix = "setting.";

// Error(config) with `message`.
[[noreturn]] void fail(std::string message);

// --- Character classes. Locale-independent on purpose: a DSN must parse the same everywhere. ---
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_hex(char c) noexcept { return hex_value(c) >= 0; }
constexpr bool is_control(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}
constexpr bool is_unreserved(char c) noexcept {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
bool has_control(std::string_view s) noexcept;

// Untrusted text for a message: quoted, non-printable bytes as \xNN, long text cut short.
std::string quote(std::string_view text);

// --- Percent-encoding (config_values.cpp) ---
// Decodes %XX escapes. Returns the offset of the first bad escape instead when there is one, so
// the caller can phrase the error for its part (and leave a secret out of it).
struct Decoded {
  std::string text;
  std::size_t bad_at = std::string_view::npos;
};
Decoded percent_decode(std::string_view in);
// Decodes a non-secret part, naming it and the bad escape on error.
std::string decode_part(std::string_view in, std::string_view what);
// Encodes every byte except the unreserved characters and those in `keep`.
std::string percent_encode(std::string_view in, std::string_view keep = {});

// --- Value parsers shared by the DSN and the environment (config_values.cpp). `what` names the
// source in messages: "DSN parameter 'secure'" or "CLICKHOUSE_SECURE". ---
[[noreturn]] void bad_value(std::string_view value, std::string_view what, std::string_view advice);
bool parse_bool(std::string_view v, std::string_view what);
// A whole decimal number, digits only (no sign, no spaces).
std::optional<std::uint64_t> parse_uint(std::string_view v) noexcept;
std::optional<std::uint16_t> read_port(std::string_view v) noexcept;
std::uint64_t parse_whole(std::string_view v, std::string_view what, std::uint64_t min, std::uint64_t max);
std::size_t parse_count(std::string_view v, std::string_view what, std::uint64_t min);
Compression parse_compression(std::string_view v, std::string_view what);
Environment parse_environment(std::string_view v, std::string_view what);
bool is_strategy_name(std::string_view v) noexcept;
std::string parse_strategy(std::string_view v, std::string_view what);
double parse_jitter(std::string_view v, std::string_view what);
// A percentage from 0 to 100 (false for NaN): a rollout share, a shadow sample.
bool valid_percent(double percent) noexcept;
// A rollout arm (Config::rollout): a strategy name other than "rollout", or a DSN that from_dsn()
// takes and whose strategy is not "rollout". Errors never quote a DSN value (it may hold a password).
std::string parse_rollout_arm(std::string_view v, std::string_view what);
std::chrono::milliseconds parse_positive_duration(std::string_view v, std::string_view what);
// Text for messages and values that must not carry control characters (names, paths).
std::string parse_text(std::string_view v, std::string_view what);
// The shortest text that reads back as the same double.
std::string format_double(double d);

// --- Hosts (hosts.cpp) ---
// Where a host list comes from: a DSN's host part (a URL: percent-decoded here, IPv6 only in
// brackets), a DSN parameter's value (URL rules, already decoded), or text typed by hand (an
// environment variable, a command-line flag: taken as is, and a bare IPv6 literal is an address
// without a port, as clickhouse-client reads --host).
enum class HostSyntax : std::uint8_t { dsn, dsn_value, typed };
// Parses one "host", "host:port", "[v6]" or "[v6]:port", or (typed only) a bare IPv6 literal.
// `where` prefixes messages ("invalid DSN", "invalid CLICKHOUSE_HOST").
HostPort parse_host(std::string_view entry, HostSyntax syntax, std::string_view where);
std::vector<HostPort> parse_hosts(std::string_view list, HostSyntax syntax, std::string_view where);

// Why `c` cannot work as it stands because it sets TLS options without secure (config.cpp); empty
// when there is no such problem. One rule for the DSN and validate(), which phrase the prefix.
std::string tls_without_secure(const Config& c);

// Decode limits (Config::limits): one row per field of DecodeLimits, used by the DSN parameters
// (named like the fields), to_dsn() and validate(). Each is at least 1 (a zero limit would refuse
// every result); the maxima catch typos and keep sums of limits far from overflowing.
struct LimitSpec {
  std::string_view name;
  std::uint64_t DecodeLimits::*field;
  std::uint64_t max;
};

inline constexpr std::uint64_t k_tib = std::uint64_t{1} << 40;
inline constexpr std::uint64_t k_gib = std::uint64_t{1} << 30;

// The order of this table is the order to_dsn() writes the limits in, after k_params.
inline constexpr std::array k_limits{
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

}  // namespace chconn::config_detail
