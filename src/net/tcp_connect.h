// Internal to the net layer: the two halves of connect_tcp() — resolving a host to endpoints, and
// trying a list of endpoints in turn — exposed separately so that tests can hand connect_endpoints()
// a list that no resolver on the test machine would produce (a refused IPv6 address before a
// listening IPv4 one, an address that never answers before one that does).
//
// Thread safety: both functions may be called from any thread.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chconn/core/clock.h"
#include "chconn/net/resolver.h"
#include "chconn/net/stream.h"
#include "chconn/net/tcp.h"

namespace chconn::net::detail {

// One address to connect to.
struct Endpoint {
  sockaddr_storage address{};
  socklen_t length = 0;
  std::string text;  // numeric "address:port", IPv6 in brackets
};

// The endpoints of an IP literal ("10.0.0.5", "::1", "[::1]", "fe80::1%eth0"), parsed without any
// lookup; nullopt when `host` is not one. Throws Error(network) "resolve <host>: ..." when the
// literal is of the other family than `family` asks for.
std::optional<std::vector<Endpoint>> numeric_endpoints(std::string_view host, std::uint16_t port, AddressFamily family);

// Resolves `host` (a name or an IP literal) with `resolver` (chconn/net/resolver.h): literals
// without a lookup, names from its cache or from the DNS, keeping the resolver's order (RFC 6724)
// and dropping duplicates. Waits at most until `deadline`; `allowed` is the caller's whole budget,
// which a timeout reports. Throws Error:
//   - timeout "resolve <host> timed out after <allowed>: no answer from the DNS server(s) ...";
//   - network "resolve <host>: no such host ..." (cached for negative_ttl) and other failures;
//   - config for a host that cannot be a DNS name.
std::vector<Endpoint> resolve(const Resolver& resolver, std::string_view host, std::uint16_t port, AddressFamily family,
                              Deadline deadline, Clock::duration allowed);

// Connects to the first endpoint that accepts, trying them in order; each attempt gets
// options.connect_timeout or what is left of `deadline`, whichever is less. `label` names the
// target in messages ("localhost:9000"). Throws as connect_tcp() does.
std::unique_ptr<Stream> connect_endpoints(std::string_view label, const std::vector<Endpoint>& endpoints,
                                          const TcpOptions& options, Deadline deadline);

// The same, with the time the caller's whole operation had (measured where it started, before
// resolving), so that timeout messages report the caller's timeout rather than what was left.
std::unique_ptr<Stream> connect_endpoints(std::string_view label, const std::vector<Endpoint>& endpoints,
                                          const TcpOptions& options, Deadline deadline, Clock::duration allowed);

}  // namespace chconn::net::detail
