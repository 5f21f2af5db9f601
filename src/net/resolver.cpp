// Resolver: IP literals without a lookup, names through c-ares within the caller's deadline, and a
// TTL cache of the answers (see chconn/net/resolver.h).
#include "chconn/net/resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "chconn/core/error.h"
#include "net/socket.h"
#include "net/tcp_connect.h"

namespace chconn::net {

namespace detail {

// One resolved address without its port, as the cache keeps it.
struct Address {
  sockaddr_storage address{};
  socklen_t length = 0;
};

namespace {

// A hostile or misconfigured DNS server can return thousands of records over TCP; connecting tries
// them one after another, so more than this would only spend the deadline.
constexpr std::size_t k_max_addresses = 64;
// RFC 1035: 253 characters of name (254 with the root's trailing dot), 63 per label.
constexpr std::size_t k_max_name = 253;
constexpr std::size_t k_max_label = 63;

int to_af(AddressFamily family) noexcept {
  return family == AddressFamily::ipv4 ? AF_INET : family == AddressFamily::ipv6 ? AF_INET6 : AF_UNSPEC;
}

std::string family_note(AddressFamily family) {
  return family == AddressFamily::any ? std::string() : " (address family " + std::string(to_string(family)) + ")";
}

std::string strip_brackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return std::string(host);
}

void set_port(sockaddr_storage& address, std::uint16_t port) noexcept {
  if (address.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&address)->sin_port = htons(port);
  } else if (address.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&address)->sin6_port = htons(port);
  }
}

// Appends `address` unless it is already there (resolvers repeat addresses across CNAMEs and
// /etc/hosts lines) or the list is full.
void add_unique(std::vector<Address>& out, const sockaddr* address, std::size_t length) {
  if ((address->sa_family != AF_INET && address->sa_family != AF_INET6) || length > sizeof(sockaddr_storage)) return;
  if (out.size() >= k_max_addresses) return;
  Address a;
  std::memcpy(&a.address, address, length);
  a.length = static_cast<socklen_t>(length);
  set_port(a.address, 0);
  const bool seen = std::any_of(out.begin(), out.end(), [&](const Address& other) {
    return other.length == a.length && std::memcmp(&other.address, &a.address, a.length) == 0;
  });
  if (!seen) out.push_back(a);
}

std::vector<Endpoint> to_endpoints(const std::vector<Address>& addresses, std::uint16_t port) {
  std::vector<Endpoint> endpoints;
  endpoints.reserve(addresses.size());
  for (const Address& a : addresses) {
    Endpoint e;
    e.address = a.address;
    e.length = a.length;
    set_port(e.address, port);
    e.text = format_sockaddr(reinterpret_cast<const sockaddr*>(&e.address), e.length);
    endpoints.push_back(std::move(e));
  }
  return endpoints;
}

// The address of an IP literal (IPv6 with or without brackets, with a %zone), or nullopt for
// anything else. getaddrinfo() with AI_NUMERICHOST parses and never consults a resolver or a file.
std::optional<std::vector<Address>> parse_literal(std::string_view host) {
  const std::string name = strip_brackets(host);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  if (::getaddrinfo(name.c_str(), "0", &hints, &list) != 0) return std::nullopt;
  std::vector<Address> out;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) add_unique(out, ai->ai_addr, ai->ai_addrlen);
  ::freeaddrinfo(list);
  if (out.empty()) return std::nullopt;
  return out;
}

// Checks that `host` can be a DNS name: what c-ares would otherwise send or reject in its own words.
void check_name(std::string_view host) {
  const auto invalid = [&](const std::string& why) {
    // The name is only echoed when it holds nothing but printable ASCII.
    const bool printable = std::all_of(host.begin(), host.end(), [](char c) { return c > ' ' && c < 0x7f; });
    throw Error(ErrorKind::config, "resolve " +
                                       (printable ? "'" + std::string(host) + "'" : std::string("a host name")) +
                                       ": not a valid host name: " + why +
                                       "; a host is a DNS name (letters, digits, '-', '_', dots between labels) or "
                                       "an IP address");
  };
  std::string_view name = host;
  if (name.ends_with('.')) name.remove_suffix(1);  // the root: "db1.example.com."
  if (name.empty()) invalid("it is empty");
  if (name.size() > k_max_name) invalid("longer than " + std::to_string(k_max_name) + " characters");
  std::size_t label = 0;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (c == '.') {
      if (label == 0) invalid("an empty label (two dots in a row, or a leading dot)");
      label = 0;
      continue;
    }
    if (!ok) invalid("it contains a character other than letters, digits, '-', '_' and '.'");
    if (++label > k_max_label) invalid("a label longer than " + std::to_string(k_max_label) + " characters");
  }
}

// --- c-ares ---

void init_library() {
  // Required before any other c-ares call on some platforms (a no-op on Linux); reference-counted by
  // c-ares and never undone, so channels can be made at any time from any thread.
  static std::once_flag once;
  std::call_once(once, [] { ::ares_library_init(ARES_LIB_INIT_ALL); });
}

struct ChannelDeleter {
  void operator()(ares_channeldata* channel) const noexcept { ::ares_destroy(channel); }
};
using Channel = std::unique_ptr<ares_channeldata, ChannelDeleter>;

struct AddrinfoDeleter {
  void operator()(ares_addrinfo* info) const noexcept { ::ares_freeaddrinfo(info); }
};
using AddrinfoPtr = std::unique_ptr<ares_addrinfo, AddrinfoDeleter>;

// Filled in by c-ares's callback; outlives the channel (ares_destroy calls back with
// ARES_EDESTRUCTION for a lookup still running).
struct Lookup {
  bool done = false;
  int status = ARES_SUCCESS;
  AddrinfoPtr result;
};

void on_addrinfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) noexcept {
  auto* lookup = static_cast<Lookup*>(arg);
  lookup->done = true;
  lookup->status = status;
  lookup->result.reset(result);
}

std::string ares_text(int status) {
  std::string text = ::ares_strerror(status);
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] - 'A' + 'a');
  return text;
}

// "127.0.0.1:5353, [fd00::53]:53": the servers a channel asks, for messages.
std::string describe_servers(ares_channeldata* channel) {
  ares_addr_port_node* servers = nullptr;
  if (::ares_get_servers_ports(channel, &servers) != ARES_SUCCESS) return "unknown";
  std::string out;
  for (const ares_addr_port_node* s = servers; s != nullptr; s = s->next) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    const void* address =
        s->family == AF_INET ? static_cast<const void*>(&s->addr.addr4) : static_cast<const void*>(&s->addr.addr6);
    if (::inet_ntop(s->family, address, text.data(), text.size()) == nullptr) continue;
    if (!out.empty()) out += ", ";
    out += format_host_port(text.data(), static_cast<std::uint16_t>(s->udp_port != 0 ? s->udp_port : 53));
  }
  ::ares_free_data(servers);
  return out.empty() ? "none" : out;
}

}  // namespace

// The server list of ResolverOptions, converted once (c-ares takes a linked list).
struct ServerList {
  std::vector<ares_addr_port_node> nodes;
};

}  // namespace detail

struct Resolver::Impl {
  struct Entry {
    Clock::time_point expires;
    std::vector<detail::Address> addresses;  // empty: a negative answer
    std::string failure;                     // for a negative answer: the reason, as first reported
  };

  explicit Impl(ResolverOptions o) : options(std::move(o)), clock(options.clock ? *options.clock : steady_clock()) {}

  ResolverOptions options;
  const Clock& clock;
  detail::ServerList servers;
  mutable std::mutex mutex;
  mutable std::unordered_map<std::string, Entry> cache;  // key: family digit + lower-case name
};

namespace {

std::string cache_key(std::string_view name, AddressFamily family) {
  std::string key;
  key.reserve(name.size() + 1);
  key += static_cast<char>('0' + static_cast<int>(family));
  for (char c : name) key += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return key;
}

}  // namespace

Resolver::Resolver(ResolverOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  const ResolverOptions& o = impl_->options;
  if (o.max_ttl.count() < 0) throw Error(ErrorKind::config, "resolver: max_ttl must not be negative");
  if (o.negative_ttl.count() < 0) throw Error(ErrorKind::config, "resolver: negative_ttl must not be negative");
  if (o.max_entries == 0) throw Error(ErrorKind::config, "resolver: max_entries must be at least 1");
  for (const HostPort& server : o.servers) {
    const std::string address = detail::strip_brackets(server.host);
    ares_addr_port_node node{};
    if (::inet_pton(AF_INET, address.c_str(), &node.addr.addr4) == 1) {
      node.family = AF_INET;
    } else if (::inet_pton(AF_INET6, address.c_str(), &node.addr.addr6) == 1) {
      node.family = AF_INET6;
    } else {
      const bool printable =
          std::all_of(server.host.begin(), server.host.end(), [](char c) { return c > ' ' && c < 0x7f; });
      throw Error(ErrorKind::config, "DNS server " + (printable ? "'" + server.host + "'" : std::string("name")) +
                                         " is not an IP address; give DNS servers by address, e.g. 10.0.0.2, "
                                         "10.0.0.2:5353 or [fd00::53]:53");
    }
    node.udp_port = node.tcp_port = server.port != 0 ? server.port : 53;
    impl_->servers.nodes.push_back(node);
  }
}

Resolver::~Resolver() = default;

const ResolverOptions& Resolver::options() const noexcept { return impl_->options; }

std::size_t Resolver::cached() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->cache.size();
}

namespace detail {

struct ResolverAccess {
  // The cached addresses of `key`, or an Error(network) for a cached negative answer, or nullopt.
  static std::optional<std::vector<Address>> cached(const Resolver& resolver, const std::string& key,
                                                    std::string_view host) {
    Resolver::Impl& impl = *resolver.impl_;
    const std::lock_guard lock(impl.mutex);
    const auto it = impl.cache.find(key);
    if (it == impl.cache.end()) return std::nullopt;
    if (impl.clock.now() >= it->second.expires) {
      impl.cache.erase(it);
      return std::nullopt;
    }
    if (it->second.addresses.empty()) {
      throw Error(ErrorKind::network, "resolve " + std::string(host) + ": " + it->second.failure +
                                          " (remembered for up to " +
                                          std::to_string(impl.options.negative_ttl.count()) + " s)");
    }
    return it->second.addresses;
  }

  static void store(const Resolver& resolver, std::string key, std::vector<Address> addresses, std::string failure,
                    Clock::duration ttl) {
    Resolver::Impl& impl = *resolver.impl_;
    if (ttl <= Clock::duration::zero()) return;
    const std::lock_guard lock(impl.mutex);
    const Clock::time_point now = impl.clock.now();
    if (impl.cache.size() >= impl.options.max_entries && impl.cache.find(key) == impl.cache.end()) {
      std::erase_if(impl.cache, [&](const auto& entry) { return now >= entry.second.expires; });
      if (impl.cache.size() >= impl.options.max_entries) {
        const auto soonest = std::min_element(impl.cache.begin(), impl.cache.end(), [](const auto& a, const auto& b) {
          return a.second.expires < b.second.expires;
        });
        impl.cache.erase(soonest);
      }
    }
    impl.cache.insert_or_assign(std::move(key),
                                Resolver::Impl::Entry{now + ttl, std::move(addresses), std::move(failure)});
  }

  // Asks c-ares, waiting at most until `deadline`.
  static std::vector<Address> query(const Resolver& resolver, const std::string& key, std::string_view host,
                                    AddressFamily family, Deadline deadline, Clock::duration allowed) {
    const Resolver::Impl& impl = *resolver.impl_;
    const std::string name(host);
    init_library();
    ares_channeldata* raw = nullptr;
    ares_options channel_options{};
    // c-ares reads /etc/resolv.conf (servers, search, ndots, timeout, attempts) and the lookup order
    // of nsswitch.conf here, as getaddrinfo does; /etc/hosts is read by the lookup itself.
    if (const int rc = ::ares_init_options(&raw, &channel_options, 0); rc != ARES_SUCCESS) {
      throw Error(ErrorKind::network, "resolve " + name + ": cannot start the resolver: " + ares_text(rc));
    }
    // `lookup` is declared before `channel`: destroying the channel calls back into it.
    Lookup lookup;
    Channel channel(raw);
    if (!impl.servers.nodes.empty()) {
      std::vector<ares_addr_port_node> nodes = impl.servers.nodes;
      for (std::size_t i = 0; i + 1 < nodes.size(); ++i) nodes[i].next = &nodes[i + 1];
      if (const int rc = ::ares_set_servers_ports(channel.get(), nodes.data()); rc != ARES_SUCCESS) {
        throw Error(ErrorKind::network, "resolve " + name + ": cannot set the DNS servers: " + ares_text(rc));
      }
    }

    ares_addrinfo_hints hints{};
    hints.ai_family = to_af(family);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    ::ares_getaddrinfo(channel.get(), name.c_str(), nullptr, &hints, on_addrinfo, &lookup);

    while (!lookup.done) {
      const Clock::duration left = deadline.remaining();
      if (left <= Clock::duration::zero()) {
        // "timed out: the connect timeout of 1 s expired", or the caller's named deadline.
        const Error timeout = timeout_error("resolve " + name, deadline, allowed);
        throw Error(ErrorKind::timeout,
                    timeout.message() + "; no answer from the DNS server(s) " + describe_servers(channel.get()));
      }
      std::array<ares_socket_t, ARES_GETSOCK_MAXNUM> sockets{};
      const int bits = ::ares_getsock(channel.get(), sockets.data(), static_cast<int>(sockets.size()));
      std::array<pollfd, ARES_GETSOCK_MAXNUM> fds{};
      nfds_t count = 0;
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short events = 0;
        if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
        if (events != 0) fds[count++] = pollfd{sockets[static_cast<std::size_t>(i)], events, 0};
      }
      // Wait for a socket, c-ares's next retry, or the deadline, whichever comes first.
      const auto left_ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
      const long long cap_ms = std::min<long long>(left_ms, 3'600'000);
      timeval max_wait{static_cast<time_t>(cap_ms / 1000), static_cast<suseconds_t>((cap_ms % 1000) * 1000)};
      timeval wait{};
      const timeval* until = ::ares_timeout(channel.get(), &max_wait, &wait);
      const long long wait_ms = static_cast<long long>(until->tv_sec) * 1000 + (until->tv_usec + 999) / 1000;
      const int ready = ::poll(fds.data(), count, static_cast<int>(std::clamp<long long>(wait_ms, 0, INT_MAX)));
      if (ready < 0) {
        const int err = errno;
        if (err == EINTR) continue;
        throw Error(ErrorKind::network, "resolve " + name + ": waiting for the DNS server failed: " + errno_text(err));
      }
      if (ready == 0) {
        ::ares_process_fd(channel.get(), ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // retries and timeouts
        continue;
      }
      for (nfds_t i = 0; i < count && !lookup.done; ++i) {
        const short got = fds[i].revents;
        if (got == 0) continue;
        const bool readable = (got & (POLLIN | POLLERR | POLLHUP)) != 0;
        const bool writable = (got & (POLLOUT | POLLERR | POLLHUP)) != 0;
        ::ares_process_fd(channel.get(), readable ? fds[i].fd : ARES_SOCKET_BAD,
                          writable ? fds[i].fd : ARES_SOCKET_BAD);
      }
    }

    const std::string note = family_note(family);
    switch (lookup.status) {
      case ARES_SUCCESS: break;
      case ARES_ENOTFOUND: {
        // NXDOMAIN, and not in /etc/hosts: a typo or a name not (yet) registered. network, not
        // config: the name may appear (a replica being set up), and failover should move on to
        // another host rather than give up.
        std::string failure = "no such host (the DNS server says the name does not exist)" + note;
        store(resolver, key, {}, failure, impl.options.negative_ttl);
        throw Error(ErrorKind::network, "resolve " + name + ": " + failure);
      }
      case ARES_ENODATA: {
        std::string failure = "the name has no " +
                              std::string(family == AddressFamily::ipv4   ? "IPv4"
                                          : family == AddressFamily::ipv6 ? "IPv6"
                                                                          : "IPv4 or IPv6") +
                              " address" + note;
        store(resolver, key, {}, failure, impl.options.negative_ttl);
        throw Error(ErrorKind::network, "resolve " + name + ": " + failure);
      }
      case ARES_ETIMEOUT:
        // c-ares's own tries (resolv.conf's timeout and attempts) ran out before the deadline.
        throw Error(ErrorKind::timeout, "resolve " + name + " timed out: no answer from the DNS server(s) " +
                                            describe_servers(channel.get()) + " after every try" + note);
      case ARES_EBADNAME: throw Error(ErrorKind::config, "resolve " + name + ": not a valid host name");
      case ARES_ECONNREFUSED:
        // c-ares's word for "every server failed": a refused connection or a malformed answer.
        throw Error(ErrorKind::network, "resolve " + name + ": no usable answer from the DNS server(s) " +
                                            describe_servers(channel.get()) +
                                            " (the query was refused, or the answer was malformed)");
      default: throw Error(ErrorKind::network, "resolve " + name + ": " + ares_text(lookup.status) + note);
    }

    std::vector<Address> addresses;
    int ttl = INT_MAX;
    bool any_ttl = false;
    if (lookup.result) {
      for (const ares_addrinfo_node* node = lookup.result->nodes; node != nullptr; node = node->ai_next) {
        if (node->ai_addr == nullptr) continue;
        add_unique(addresses, node->ai_addr, node->ai_addrlen);
        ttl = std::min(ttl, node->ai_ttl);
        any_ttl = true;
      }
      for (const ares_addrinfo_cname* c = lookup.result->cnames; c != nullptr; c = c->next) ttl = std::min(ttl, c->ttl);
    }
    if (family != AddressFamily::any) {
      std::erase_if(addresses, [&](const Address& a) { return a.address.ss_family != to_af(family); });
    }
    if (addresses.empty()) throw Error(ErrorKind::network, "resolve " + name + ": no IPv4 or IPv6 address" + note);
    // Answers from /etc/hosts carry no TTL (0): they are not cached, so edits apply at once.
    if (any_ttl && ttl > 0) {
      const Clock::duration keep = std::min<Clock::duration>(std::chrono::seconds(ttl), impl.options.max_ttl);
      store(resolver, key, addresses, {}, keep);
    }
    return addresses;
  }
};

std::optional<std::vector<Endpoint>> numeric_endpoints(std::string_view host, std::uint16_t port,
                                                       AddressFamily family) {
  std::optional<std::vector<Address>> literal = parse_literal(host);
  if (!literal) return std::nullopt;
  std::erase_if(*literal,
                [&](const Address& a) { return family != AddressFamily::any && a.address.ss_family != to_af(family); });
  if (literal->empty()) {
    throw Error(ErrorKind::network,
                "resolve " + std::string(host) + ": an IP address of the other family" + family_note(family));
  }
  return to_endpoints(*literal, port);
}

std::vector<Endpoint> resolve(const Resolver& resolver, std::string_view host, std::uint16_t port, AddressFamily family,
                              Deadline deadline, Clock::duration allowed) {
  if (auto literal = numeric_endpoints(host, port, family)) return std::move(*literal);
  check_name(host);
  const std::string key = cache_key(host, family);
  if (auto hit = ResolverAccess::cached(resolver, key, host)) return to_endpoints(*hit, port);
  if (deadline.expired()) throw expired_error("resolve " + std::string(host), deadline);
  return to_endpoints(ResolverAccess::query(resolver, key, host, family, deadline, allowed), port);
}

}  // namespace detail

}  // namespace chconn::net
