// Resolver: turns host names into addresses within a deadline, and keeps the answers for a while.
//
// connect_tcp() (chconn/net/tcp.h) resolves through a Resolver: the one in TcpOptions::resolver,
// or one made for that call alone. Share one Resolver between the connections to the same hosts
// (chconn's connectors do: one per strategy) so that its cache saves a lookup per connection.
//
// What it does:
//   - IP literals ("10.0.0.5", "::1", "[::1]", "fe80::1%eth0") are converted without any lookup.
//   - Names go to c-ares, which reads /etc/hosts and /etc/resolv.conf (servers, search domains,
//     ndots, timeout, attempts) as the system's getaddrinfo() does, and whose queries are waited
//     for with poll() only until the caller's deadline: a DNS server that does not answer costs at
//     most the time the caller allowed, never the resolver's own retries (5 s per try by default).
//   - Answers are cached per name and address family for the record's TTL, at most max_ttl;
//     answers from /etc/hosts have no TTL and are read again each time. A name the DNS says does
//     not exist (or has no address of the family asked for) is remembered for negative_ttl. Time
//     comes from the injected Clock. At most max_entries names are kept: when full, expired
//     entries go first, then the one closest to expiring.
//
// Thread safety: a Resolver may be used by any number of threads at once (the cache is guarded by
// a mutex; each lookup runs on its own c-ares channel, so concurrent lookups do not wait for each
// other). Two threads missing the cache for the same name at once both ask the DNS server.
// Lifetime: the Clock in ResolverOptions must outlive the Resolver.
//
// Example:
//   using namespace std::chrono_literals;
//   auto resolver = std::make_shared<const chconn::net::Resolver>();
//   chconn::net::TcpOptions tcp{.connect_timeout = 2s, .resolver = resolver};
//   auto stream = chconn::net::connect_tcp("db1", 9000, tcp, chconn::Deadline::after(5s));
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "chconn/core/clock.h"
#include "chconn/core/config.h"

namespace chconn::net {

namespace detail {
struct ResolverAccess;  // the net layer's way in (src/net/resolver.h)
}  // namespace detail

struct ResolverOptions {
  // DNS servers to ask instead of those of /etc/resolv.conf: IP addresses (IPv6 without brackets
  // or with them), port 0 meaning 53. /etc/hosts is still read first. Empty: the system's servers.
  std::vector<HostPort> servers;
  // The longest an answer is kept, whatever its TTL says. 0: answers are never cached.
  std::chrono::seconds max_ttl = std::chrono::seconds(60);
  // How long "no such host" (and "no address of this family") is remembered. 0: not at all.
  std::chrono::seconds negative_ttl = std::chrono::seconds(5);
  // Names cached at most (each with its addresses, at most 64 of them). At least 1.
  std::size_t max_entries = 1024;
  // Reads the time for the cache; null: steady_clock(). Deadlines always use the real clock.
  const Clock* clock = nullptr;
};

class Resolver {
 public:
  // Throws Error(config) if a server is not an IP address, max_ttl or negative_ttl is negative,
  // or max_entries is 0.
  explicit Resolver(ResolverOptions options = {});
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  const ResolverOptions& options() const noexcept;
  // Names in the cache now, expired ones not yet evicted included.
  std::size_t cached() const;

 private:
  friend struct detail::ResolverAccess;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chconn::net
