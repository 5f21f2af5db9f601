// Plain TCP connections with deadlines: connect_tcp() resolves a host (IPv4 and IPv6), tries every
// address it resolves to in turn, and returns a Stream (chconn/net/stream.h).
//
// Names are resolved by a Resolver (chconn/net/resolver.h) within the same deadline: /etc/hosts
// and /etc/resolv.conf are honoured as by getaddrinfo(), but a DNS server that does not answer
// costs no more than the deadline. IP literals ("127.0.0.1", "::1", "[::1]") are never looked up.
//
// Sockets are non-blocking and close-on-exec, with TCP_NODELAY and SO_KEEPALIVE on by default;
// connect, read and write wait with poll() for at most the time their deadline leaves.
//
// Thread safety: connect_tcp() may be called from any number of threads at once. TcpOptions is a
// value type.
//
// Example:
//   using namespace std::chrono_literals;
//   auto stream = chconn::net::connect_tcp("db1", 9000, {.connect_timeout = 2s},
//                                          chconn::Deadline::after(5s));
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "chconn/core/clock.h"
#include "chconn/net/resolver.h"
#include "chconn/net/stream.h"

namespace chconn::net {

// Which address families connect_tcp() uses from what the host resolves to.
enum class AddressFamily : std::uint8_t { any, ipv4, ipv6 };

std::string_view to_string(AddressFamily family) noexcept;

struct TcpOptions {
  // Time allowed for resolving the host name, and for one address's TCP connect (and, in
  // connect_tls(), the TLS handshake that follows). An address that does not answer within it is
  // given up and the next one is tried.
  // The overall deadline passed to connect_tcp() bounds everything, whatever this says.
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
  AddressFamily family = AddressFamily::any;
  bool no_delay = true;    // TCP_NODELAY: the connection layer sends whole packets itself
  bool keep_alive = true;  // SO_KEEPALIVE, to find dead peers on idle pooled connections
  std::chrono::seconds keep_alive_idle = std::chrono::seconds(60);      // TCP_KEEPIDLE
  std::chrono::seconds keep_alive_interval = std::chrono::seconds(10);  // TCP_KEEPINTVL
  int keep_alive_count = 3;                                             // TCP_KEEPCNT
  int send_buffer_bytes = 0;     // SO_SNDBUF; 0: the system's default (auto-tuned)
  int receive_buffer_bytes = 0;  // SO_RCVBUF; 0: the system's default (auto-tuned)
  // Resolves host names, and caches the answers across the connections that share it. Null: a
  // Resolver with default options made for this one call (nothing is cached between calls).
  std::shared_ptr<const Resolver> resolver;

  friend bool operator==(const TcpOptions&, const TcpOptions&) = default;
};

// Connects to `host`:`port`. `host` is a name, an IPv4 literal, or an IPv6 literal with or without
// brackets. Every address the host resolves to (filtered by options.family) is tried in the
// resolver's order; each attempt gets options.connect_timeout or what is left of `deadline`,
// whichever is less.
//
// The stream's messages name the host as given and the address ("read from db1:9000
// (10.0.0.5:9000): connection reset by peer"); its peer() is the address alone.
//
// Resolving a name (options.resolver, see chconn/net/resolver.h) gets options.connect_timeout or
// what is left of `deadline`, whichever is less; connecting then gets what is left of `deadline`.
//
// Throws chconn::Error:
//   - network: the name does not resolve ("resolve db1: no such host (the DNS server says the
//     name does not exist)"), or every address failed ("connect to db1:9000 (10.0.0.5:9000):
//     connection refused" for a single
//     address; "connect to db1:9000 failed on every address (2): [::1]:9000: connection refused;
//     127.0.0.1:9000 timed out after 10 s" otherwise);
//   - timeout: `deadline` passed (also when it had already passed on entry: then nothing is
//     resolved or connected), while resolving ("resolve db1 timed out after 1000 ms: no answer
//     from the DNS server(s) 10.0.0.2:53") or connecting, or every address timed out. The message
//     gives the limit that applied: the caller's timeout or options.connect_timeout;
//   - config: an empty host, a host that cannot be a DNS name, port 0, or a connect_timeout that is
//     not positive.
std::unique_ptr<Stream> connect_tcp(const std::string& host, std::uint16_t port, const TcpOptions& options,
                                    Deadline deadline);

}  // namespace chconn::net
