// delay-proxy: a TCP proxy on loopback that adds a fixed one-way delay to every chunk it forwards,
// in both directions — added round-trip latency for benchmarks on a kernel without netem.
//
//   delay-proxy --target 127.0.0.1:9000 --delay 500us [--listen 19999] [--lifetime 10m]
//   chconn --port 19999 bench ...      # each round trip now takes about 1 ms longer
//
// Each chunk read from one side (at most 64 KiB) is written to the other side once `delay` has
// passed since it was read; chunks keep their order. The delay is per chunk, not per byte: it is
// not a bandwidth limit. Half-closes are forwarded (EOF → shutdown(SHUT_WR) once the queue is
// empty), a reset or a failed write closes both sides.
//
// Bounds: it listens on 127.0.0.1 only; at most --max-connections client connections at once
// (more are accepted and closed at once); at most 4 MiB queued per direction (the proxy stops
// reading that side until it drains); and it exits after --lifetime (default 1h), or on SIGTERM or
// SIGINT. One thread, ppoll() with nanosecond timeouts.
//
// Output: the listening port on stdout (one line, then flushed: with --listen 0 a free port is
// chosen), and a one-line description on stderr. Exit codes: 0 after SIGTERM/SIGINT or the
// lifetime, 2 for bad arguments, 1 when it cannot listen.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::nanoseconds;

constexpr std::size_t k_chunk = std::size_t{64} * 1024;
constexpr std::size_t k_max_queued = std::size_t{4} * 1024 * 1024;

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr,
               "delay-proxy: %s\nusage: delay-proxy --target HOST:PORT --delay DURATION [--listen PORT] "
               "[--max-connections N] [--lifetime DURATION]\n  DURATION: 500us, 1ms, 2s, 10m, 1h (--delay 0 forwards "
               "at once)\n",
               message.c_str());
  std::exit(2);
}

// "500us", "1.5ms", "2s", "10m", "1h", or a bare number of milliseconds.
std::optional<nanoseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::size_t unit_at = 0;
  while (unit_at < text.size() && (std::isdigit(static_cast<unsigned char>(text[unit_at])) || text[unit_at] == '.')) {
    ++unit_at;
  }
  const std::string number(text.substr(0, unit_at));
  const std::string_view unit = text.substr(unit_at);
  char* end = nullptr;
  const double value = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || value < 0) return std::nullopt;
  double scale = 0;
  if (unit == "us")
    scale = 1e3;
  else if (unit == "ms" || unit.empty())
    scale = 1e6;
  else if (unit == "s")
    scale = 1e9;
  else if (unit == "m")
    scale = 60e9;
  else if (unit == "h")
    scale = 3600e9;
  else
    return std::nullopt;
  const double ns = value * scale;
  if (ns > 24 * 3600e9) return std::nullopt;
  return nanoseconds(static_cast<std::int64_t>(ns));
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

void set_nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

struct Chunk {
  Clock::time_point due;
  std::string data;
  std::size_t sent = 0;
};

// One direction of a connection: bytes read from `from`, queued, written to `to` when due.
struct Pipe {
  int from = -1;
  int to = -1;
  std::deque<Chunk> queue;
  std::size_t queued = 0;
  bool eof = false;   // `from` said EOF
  bool shut = false;  // EOF forwarded: shutdown(to, SHUT_WR) done
  bool want_read() const { return !eof && queued < k_max_queued; }
  bool done() const { return shut; }
};

struct Pair {
  int client = -1;
  int server = -1;
  Pipe up;    // client → server
  Pipe down;  // server → client
  bool failed = false;
};

// Reads what `p.from` has; false on a hard error.
bool pump_in(Pipe& p, nanoseconds delay) {
  std::string buf(k_chunk, '\0');
  const ssize_t n = ::read(p.from, buf.data(), buf.size());
  if (n > 0) {
    buf.resize(static_cast<std::size_t>(n));
    p.queued += buf.size();
    p.queue.push_back(Chunk{Clock::now() + delay, std::move(buf), 0});
    return true;
  }
  if (n == 0) {
    p.eof = true;
    return true;
  }
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

// Writes every due chunk it can; false on a hard error.
bool pump_out(Pipe& p, Clock::time_point now) {
  while (!p.queue.empty() && p.queue.front().due <= now) {
    Chunk& c = p.queue.front();
    const ssize_t n = ::send(p.to, c.data.data() + c.sent, c.data.size() - c.sent, MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    c.sent += static_cast<std::size_t>(n);
    if (c.sent < c.data.size()) return true;
    p.queued -= c.data.size();
    p.queue.pop_front();
  }
  if (p.eof && p.queue.empty() && !p.shut) {
    ::shutdown(p.to, SHUT_WR);
    p.shut = true;
  }
  return true;
}

int connect_to(const sockaddr_in& target) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&target), sizeof target) != 0) {
    ::close(fd);
    return -1;
  }
  set_nonblocking(fd);
  set_nodelay(fd);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<nanoseconds> delay;
  std::uint16_t listen_port = 0;
  std::optional<sockaddr_in> target;
  std::size_t max_connections = 256;
  nanoseconds lifetime = std::chrono::hours(1);
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") usage_error("help");
    if (i + 1 >= argc) usage_error(std::string(a) + " needs a value");
    const std::string_view v = argv[++i];
    if (a == "--delay") {
      delay = parse_duration(v);
      if (!delay) usage_error("bad --delay '" + std::string(v) + "'");
    } else if (a == "--listen") {
      const auto p = parse_port(v);
      if (!p) usage_error("bad --listen port '" + std::string(v) + "'");
      listen_port = *p;
    } else if (a == "--target") {
      const std::size_t colon = v.rfind(':');
      const auto p = colon == std::string_view::npos ? std::nullopt : parse_port(v.substr(colon + 1));
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      const std::string host(v.substr(0, colon == std::string_view::npos ? 0 : colon));
      if (!p || *p == 0 || ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
        usage_error("bad --target '" + std::string(v) + "' (want IPV4:PORT, e.g. 127.0.0.1:9000)");
      }
      addr.sin_port = htons(*p);
      target = addr;
    } else if (a == "--max-connections") {
      const auto p = parse_port(v);
      if (!p || *p == 0) usage_error("bad --max-connections '" + std::string(v) + "' (1-65535)");
      max_connections = *p;
    } else if (a == "--lifetime") {
      const auto d = parse_duration(v);
      if (!d || d->count() == 0) usage_error("bad --lifetime '" + std::string(v) + "'");
      lifetime = *d;
    } else {
      usage_error("unknown option '" + std::string(a) + "'");
    }
  }
  if (!target) usage_error("--target is required");
  if (!delay) usage_error("--delay is required");

  ::signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);

  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  local.sin_port = htons(listen_port);
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::listen(listener, 128) != 0) {
    std::fprintf(stderr, "delay-proxy: cannot listen on 127.0.0.1:%u: %s\n", listen_port, std::strerror(errno));
    return 1;
  }
  socklen_t len = sizeof local;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&local), &len);
  set_nonblocking(listener);
  char target_text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &target->sin_addr, target_text, sizeof target_text);
  std::printf("%u\n", ntohs(local.sin_port));
  std::fflush(stdout);
  std::fprintf(stderr, "delay-proxy: 127.0.0.1:%u -> %s:%u, one-way delay %.3f ms per chunk\n", ntohs(local.sin_port),
               target_text, ntohs(target->sin_port), static_cast<double>(delay->count()) / 1e6);

  const auto stop_at = Clock::now() + lifetime;
  std::list<Pair> pairs;
  std::vector<pollfd> fds;
  while (!g_stop) {
    const auto now = Clock::now();
    if (now >= stop_at) break;

    // Build the poll set: the listener, then per pair its two sockets.
    fds.clear();
    fds.push_back({listener, POLLIN, 0});
    nanoseconds wait = std::chrono::milliseconds(100);
    if (stop_at - now < wait) wait = std::chrono::duration_cast<nanoseconds>(stop_at - now);
    for (Pair& pr : pairs) {
      for (Pipe* p : {&pr.up, &pr.down}) {
        if (!p->queue.empty()) {
          const auto until = p->queue.front().due - now;
          if (until < wait) wait = std::max(nanoseconds(0), std::chrono::duration_cast<nanoseconds>(until));
        }
      }
      short client_events = 0, server_events = 0;
      if (pr.up.want_read()) client_events |= POLLIN;
      if (pr.down.want_read()) server_events |= POLLIN;
      if (!pr.up.queue.empty() && pr.up.queue.front().due <= now) server_events |= POLLOUT;
      if (!pr.down.queue.empty() && pr.down.queue.front().due <= now) client_events |= POLLOUT;
      fds.push_back({pr.client, client_events, 0});
      fds.push_back({pr.server, server_events, 0});
    }
    timespec ts{static_cast<time_t>(wait.count() / 1'000'000'000), static_cast<long>(wait.count() % 1'000'000'000)};
    const int ready = ::ppoll(fds.data(), fds.size(), &ts, nullptr);
    if (ready < 0 && errno != EINTR) {
      std::fprintf(stderr, "delay-proxy: poll failed: %s\n", std::strerror(errno));
      break;
    }

    std::size_t i = 1;
    for (Pair& pr : pairs) {
      const short rc = fds[i].revents, rs = fds[i + 1].revents;
      i += 2;
      if ((rc & POLLIN) || ((rc & (POLLHUP | POLLERR)) && pr.up.want_read())) {
        if (!pump_in(pr.up, *delay)) pr.failed = true;
      }
      if ((rs & POLLIN) || ((rs & (POLLHUP | POLLERR)) && pr.down.want_read())) {
        if (!pump_in(pr.down, *delay)) pr.failed = true;
      }
      const auto t = Clock::now();
      if (!pump_out(pr.up, t) || !pump_out(pr.down, t)) pr.failed = true;
      if ((rc & POLLERR) || (rs & POLLERR)) pr.failed = true;
    }
    for (auto it = pairs.begin(); it != pairs.end();) {
      if (it->failed || (it->up.done() && it->down.done())) {
        ::close(it->client);
        ::close(it->server);
        it = pairs.erase(it);
      } else {
        ++it;
      }
    }

    if (fds[0].revents & POLLIN) {
      for (;;) {
        const int c = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) break;
        if (pairs.size() >= max_connections) {
          ::close(c);
          continue;
        }
        const int s = connect_to(*target);
        if (s < 0) {  // the target refuses: so does the proxy
          ::close(c);
          continue;
        }
        set_nonblocking(c);
        set_nodelay(c);
        Pair& pr = pairs.emplace_back();
        pr.client = c;
        pr.server = s;
        pr.up.from = c;
        pr.up.to = s;
        pr.down.from = s;
        pr.down.to = c;
      }
    }
  }
  for (Pair& pr : pairs) {
    ::close(pr.client);
    ::close(pr.server);
  }
  ::close(listener);
  return 0;
}
