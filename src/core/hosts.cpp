// Host lists: "host", "host:port", "[v6]:port" and bare IPv6 literals, from a DSN, a DSN
// parameter or text typed by hand, and the public host functions of chconn/core/config.h.
#include <algorithm>
#include <string>
#include <vector>

#include "chconn/core/error.h"
#include "core/config_detail.h"

namespace chconn {

namespace config_detail {

namespace {

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

}  // namespace

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
    if (syntax == HostSyntax::typed) entry = detail::trim_space(entry);
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

}  // namespace config_detail

using namespace config_detail;

std::string to_string(const HostPort& address) {
  std::string out = address.host.find(':') != std::string::npos ? "[" + address.host + "]" : address.host;
  if (address.port != 0) out += ":" + std::to_string(address.port);
  return out;
}

HostPort parse_host_port(std::string_view text, std::string_view what) {
  return parse_host(detail::trim_space(text), HostSyntax::typed, "invalid " + std::string(what));
}

std::uint16_t parse_port(std::string_view text, std::string_view what) {
  const auto port = read_port(detail::trim_space(text));
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

}  // namespace chconn
