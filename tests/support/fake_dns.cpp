#include "support/fake_dns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace chconn::test {

namespace {

// DNS message layout (RFC 1035 4.1): a 12-byte header, then the question (name, type, class).
constexpr std::size_t k_header = 12;
constexpr std::uint16_t k_type_a = 1;
constexpr std::uint16_t k_type_aaaa = 28;
constexpr std::uint16_t k_class_in = 1;
constexpr std::uint8_t k_rcode_nxdomain = 3;
constexpr std::uint8_t k_rcode_formerr = 1;
// The largest answer sent over UDP to a client that did not offer more with EDNS (RFC 1035 4.2.1).
constexpr std::size_t k_max_udp = 512;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("fake DNS server: " + what + ": " + std::strerror(errno));
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

void put16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}

void put32(std::string& out, std::uint32_t v) {
  put16(out, static_cast<std::uint16_t>(v >> 16));
  put16(out, static_cast<std::uint16_t>(v & 0xffff));
}

std::uint16_t get16(const unsigned char* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

}  // namespace

FakeDnsServer::FakeDnsServer(FakeDnsOptions options) : options_(std::move(options)), mode_(options_.mode) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  if (::inet_pton(AF_INET, options_.host.c_str(), &a.sin_addr) != 1) {
    errno = EINVAL;
    fail("not an IPv4 address: " + options_.host);
  }
  // UDP, and TCP on the same port for answers too large for a datagram (RFC 7766). With a port
  // picked by the kernel for UDP, its TCP twin may be taken: then both are picked again.
  for (int attempt = 0;; ++attempt) {
    socket_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (socket_ < 0 || listener_ < 0) fail("socket");
    const int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    a.sin_port = htons(options_.port);
    if (::bind(socket_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
      fail("bind UDP " + options_.host + ":" + std::to_string(options_.port));
    }
    socklen_t length = sizeof a;
    if (::getsockname(socket_, reinterpret_cast<sockaddr*>(&a), &length) != 0) fail("getsockname");
    port_ = ntohs(a.sin_port);
    if (::bind(listener_, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0 && ::listen(listener_, 16) == 0) break;
    if (options_.port != 0 || attempt >= 50) fail("listen on TCP " + options_.host + ":" + std::to_string(port_));
    ::close(socket_);
    ::close(listener_);
  }
  if (::pipe2(wake_, O_CLOEXEC) != 0) fail("pipe");
  thread_ = std::thread([this] { run(); });
}

FakeDnsServer::~FakeDnsServer() {
  const char stop = 's';
  [[maybe_unused]] const auto n = ::write(wake_[1], &stop, 1);
  thread_.join();
  ::close(socket_);
  ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

int FakeDnsServer::queries_for(const std::string& name) const {
  const std::lock_guard lock(mutex_);
  const auto it = per_name_.find(lower(name));
  return it == per_name_.end() ? 0 : it->second;
}

void FakeDnsServer::run() {
  std::array<unsigned char, 4096> buffer{};
  struct TcpClient {
    int fd;
    std::string in;  // bytes of a query not yet complete (a 2-byte length, then the message)
  };
  std::vector<TcpClient> clients;
  for (;;) {
    std::vector<pollfd> fds{pollfd{wake_[0], POLLIN, 0}, pollfd{socket_, POLLIN, 0}, pollfd{listener_, POLLIN, 0}};
    for (const TcpClient& c : clients) fds.push_back(pollfd{c.fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents != 0) break;
    if (fds[1].revents & POLLIN) {
      sockaddr_storage from{};
      socklen_t from_length = sizeof from;
      const ssize_t got =
          ::recvfrom(socket_, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_length);
      if (got > 0) {
        std::string reply = reply_to(buffer.data(), static_cast<std::size_t>(got));
        if (reply.size() > k_max_udp) {
          // Too large for UDP: the header and question alone, truncated (TC), so the client asks
          // again over TCP.
          reply = reply_to(buffer.data(), static_cast<std::size_t>(got), true);
        }
        if (!reply.empty()) {
          ::sendto(socket_, reply.data(), reply.size(), 0, reinterpret_cast<const sockaddr*>(&from), from_length);
        }
      }
    }
    if (fds[2].revents & POLLIN) {
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) clients.push_back(TcpClient{fd, {}});
    }
    // fds[3 + i] belongs to clients[i] for the clients polled this round.
    const std::size_t polled = fds.size() - 3;
    for (std::size_t i = polled; i-- > 0;) {
      if (fds[3 + i].revents == 0) continue;
      TcpClient& c = clients[i];
      const ssize_t got = ::recv(c.fd, buffer.data(), buffer.size(), 0);
      bool keep = got > 0;
      if (keep) c.in.append(reinterpret_cast<const char*>(buffer.data()), static_cast<std::size_t>(got));
      while (keep && c.in.size() >= 2) {
        const std::size_t length = (static_cast<unsigned char>(c.in[0]) << 8) | static_cast<unsigned char>(c.in[1]);
        if (c.in.size() < 2 + length) break;
        const std::string reply = reply_to(reinterpret_cast<const unsigned char*>(c.in.data() + 2), length);
        c.in.erase(0, 2 + length);
        if (reply.empty()) continue;  // silent
        std::string framed;
        put16(framed, static_cast<std::uint16_t>(reply.size()));
        framed += reply;
        keep = ::send(c.fd, framed.data(), framed.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(framed.size());
      }
      if (!keep) {
        ::close(c.fd);
        clients.erase(clients.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
  }
  for (const TcpClient& c : clients) ::close(c.fd);
}

// Counts the question (unless `truncated`: the same question again), then builds the answer
// (empty: stay silent).
std::string FakeDnsServer::reply_to(const unsigned char* query, std::size_t length, bool truncated) {
  if (length < k_header) return {};
  // The question's name: labels up to a zero byte (no compression in questions from a resolver).
  std::size_t at = k_header;
  std::string name;
  bool well_formed = false;
  while (at < length) {
    const std::size_t label = query[at];
    if (label == 0) {
      ++at;
      well_formed = at + 4 <= length;
      break;
    }
    if (label > 63 || at + 1 + label > length) break;
    if (!name.empty()) name += '.';
    name.append(reinterpret_cast<const char*>(query + at + 1), label);
    at += 1 + label;
  }
  name = lower(name);
  if (!truncated) {
    ++queries_;
    const std::lock_guard lock(mutex_);
    ++per_name_[name];
  }
  if (mode_.load() == DnsMode::silent) return {};

  std::string out;
  const std::size_t question_end = well_formed ? at + 4 : k_header;
  // Header: the same id; QR=1, the query's opcode and RD, RA=1; then the counts.
  out.append(reinterpret_cast<const char*>(query), 2);
  const std::uint8_t rd = query[2] & 0x01;
  const std::uint8_t opcode = query[2] & 0x78;
  out += static_cast<char>(0x80 | opcode | rd);
  if (!well_formed) {
    out += static_cast<char>(0x80 | k_rcode_formerr);
    put16(out, 0);
    put16(out, 0);
    put16(out, 0);
    put16(out, 0);
    return out;
  }
  const std::uint16_t type = get16(query + at);
  std::vector<const DnsRecord*> matches;
  bool known = false;
  for (const DnsRecord& r : options_.records) {
    if (lower(r.name) != name) continue;
    known = true;
    unsigned char bytes[16];
    const bool v4 = ::inet_pton(AF_INET, r.address.c_str(), bytes) == 1;
    if ((type == k_type_a && v4) || (type == k_type_aaaa && !v4)) matches.push_back(&r);
  }
  if (truncated) {
    out.back() = static_cast<char>(out.back() | 0x02);  // TC
    matches.clear();
  }
  out += static_cast<char>(0x80 | (known ? 0 : k_rcode_nxdomain));
  put16(out, 1);                                           // QDCOUNT
  put16(out, static_cast<std::uint16_t>(matches.size()));  // ANCOUNT
  put16(out, 0);                                           // NSCOUNT
  put16(out, 0);                                           // ARCOUNT (an EDNS OPT of the query is ignored)
  out.append(reinterpret_cast<const char*>(query + k_header), question_end - k_header);
  for (const DnsRecord* r : matches) {
    put16(out, static_cast<std::uint16_t>(0xC000 | k_header));  // the name: a pointer to the question's
    const bool v4 = type == k_type_a;
    put16(out, v4 ? k_type_a : k_type_aaaa);
    put16(out, k_class_in);
    put32(out, r->ttl);
    put16(out, v4 ? 4 : 16);
    unsigned char bytes[16];
    ::inet_pton(v4 ? AF_INET : AF_INET6, r->address.c_str(), bytes);
    out.append(reinterpret_cast<const char*>(bytes), v4 ? 4 : 16);
  }
  return out;
}

}  // namespace chconn::test
