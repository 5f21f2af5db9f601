// The value rules of a Config: the quoting of untrusted text in messages, the percent codec, the
// parsers of booleans, numbers, durations, names and enums shared by the DSN and the environment,
// and the enums' names.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

#include "chconn/core/error.h"
#include "core/config_detail.h"

namespace chconn {

namespace config_detail {

void fail(std::string message) { throw Error(ErrorKind::config, std::move(message)); }

bool has_control(std::string_view s) noexcept { return std::any_of(s.begin(), s.end(), is_control); }

std::string quote(std::string_view text) { return detail::message_excerpt(text, 120); }

// --- Percent-encoding ---

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

std::string decode_part(std::string_view in, std::string_view what) {
  Decoded d = percent_decode(in);
  if (d.bad_at != std::string_view::npos) {
    fail("invalid DSN: bad percent-escape " + quote(in.substr(d.bad_at, 3)) + " in " + std::string(what) + " (" +
         quote(in) + "); '%' must be followed by two hex digits (write a literal '%' as %25)");
  }
  return std::move(d.text);
}

std::string percent_encode(std::string_view in, std::string_view keep) {
  std::string out;
  out.reserve(in.size());
  for (char c : in) {
    if (is_unreserved(c) || keep.find(c) != std::string_view::npos) {
      out += c;
    } else {
      const auto u = static_cast<unsigned char>(c);
      out += '%';
      detail::append_hex_byte(out, u, true);
    }
  }
  return out;
}

// --- Value parsers ---

[[noreturn]] void bad_value(std::string_view value, std::string_view what, std::string_view advice) {
  fail("invalid value " + quote(value) + " for " + std::string(what) + "; " + std::string(advice));
}

bool parse_bool(std::string_view v, std::string_view what) {
  if (iequals(v, "true") || v == "1" || iequals(v, "yes")) return true;
  if (iequals(v, "false") || v == "0" || iequals(v, "no")) return false;
  bad_value(v, what, "use true or false (1/0 and yes/no also work)");
}

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

}  // namespace config_detail

double parse_rollout_share(std::string_view text, std::string_view what) {
  std::string_view v = detail::trim_space(text);
  if (!v.empty() && v.back() == '%') v.remove_suffix(1);
  double d = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || !config_detail::valid_percent(d)) {
    config_detail::bad_value(text, what, "use a percent from 0 to 100, fractions allowed, e.g. 0.5");
  }
  return d;
}

namespace config_detail {

double parse_jitter(std::string_view v, std::string_view what) {
  double d = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size() || !std::isfinite(d) || d < 0 || d > 0.5) {
    bad_value(v, what, "use a fraction from 0 to 0.5, e.g. 0.1");
  }
  return d;
}

bool valid_percent(double percent) noexcept { return percent >= 0.0 && percent <= 100.0; }  // false for NaN

std::string parse_rollout_arm(std::string_view v, std::string_view what) {
  if (v.find("://") == std::string_view::npos) {
    std::string name = parse_strategy(v, what);
    if (name == "rollout") fail("invalid " + std::string(what) + ": an arm of a rollout cannot be a rollout itself");
    return name;
  }
  // A DSN of its own: checked whole. Its errors never quote its password; the value is not quoted
  // here for the same reason.
  Config arm;
  try {
    arm = Config::from_dsn(v);
  } catch (const Error& e) {
    fail("invalid " + std::string(what) + " (a DSN): " + e.message());
  }
  if (arm.strategy == "rollout") {
    fail("invalid " + std::string(what) + ": an arm of a rollout cannot be a rollout itself (strategy=rollout)");
  }
  return std::string(v);
}

std::chrono::milliseconds parse_positive_duration(std::string_view v, std::string_view what) {
  const auto d = parse_duration(v, what);
  if (d <= std::chrono::milliseconds::zero()) bad_value(v, what, "the duration must be greater than zero, e.g. 10s");
  return d;
}

std::string parse_text(std::string_view v, std::string_view what) {
  if (has_control(v)) bad_value(v, what, "control characters are not allowed");
  return std::string(v);
}

std::string format_double(double d) {
  std::array<char, 64> buf{};
  // Shortest representation that reads back as the same double, so to_dsn round-trips exactly.
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), d);
  if (ec != std::errc()) return std::to_string(d);
  return std::string(buf.data(), end);
}

}  // namespace config_detail

using namespace config_detail;

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

}  // namespace chconn
