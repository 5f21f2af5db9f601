// The TCP stream and connect_tcp() against loopback peers (tests/support/net_loopback.h).
//
// Timing: a test that expects a timeout asserts that the call returned no earlier than its
// deadline and within a generous bound; nothing asserts speed.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "chconn/core/error.h"
#include "chconn/net/tcp.h"
#include "net/socket.h"
#include "net/tcp_connect.h"
#include "support/expect_error.h"
#include "support/net_loopback.h"

namespace chconn::net {
namespace {

using namespace std::chrono_literals;
using test::BlackholePort;
using test::expect_error;
using test::expect_reported;
using test::IpFamily;
using test::LoopbackServer;
using test::LoopbackServerOptions;
using test::RefusedPort;
using test::ServerMode;
using Steady = std::chrono::steady_clock;

// Far above any deadline used here, so a slow (sanitized, loaded) machine never fails a test.
constexpr auto k_generous = 20s;

std::vector<unsigned char> pattern(std::size_t n, unsigned seed = 7) {
  std::vector<unsigned char> out(n);
  std::uint32_t x = seed;
  for (auto& b : out) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<unsigned char>(x >> 24);
  }
  return out;
}

// Reads exactly n bytes (or fails the test at an early end of stream).
std::vector<unsigned char> read_exactly(Stream& s, std::size_t n, Deadline deadline, std::size_t* calls = nullptr) {
  std::vector<unsigned char> out(n);
  std::size_t got = 0;
  while (got < n) {
    const std::size_t r = s.read_some(out.data() + got, n - got, deadline);
    if (calls != nullptr) ++*calls;
    if (r == 0) {
      ADD_FAILURE() << "end of stream after " << got << " of " << n << " bytes";
      out.resize(got);
      return out;
    }
    got += r;
  }
  return out;
}

std::string hostport(const std::string& host, std::uint16_t port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

void require_ipv6() {
  if (!test::loopback_available(IpFamily::v6)) GTEST_SKIP() << "::1 cannot be bound on this machine";
}

TEST(NetTcp, EchoRoundTripOneMebibyteInChunks) {
  LoopbackServer server({.mode = ServerMode::echo});
  auto stream = connect_tcp(server.host(), server.port(), {}, Deadline::after(10s));
  ASSERT_TRUE(stream->is_open());
  EXPECT_FALSE(stream->is_secure());
  EXPECT_EQ(stream->peer(), hostport("127.0.0.1", server.port()));

  const auto data = pattern(1 << 20);
  constexpr std::size_t chunk = 64 * 1024;
  for (std::size_t off = 0; off < data.size(); off += chunk) {
    stream->write_all(data.data() + off, chunk, Deadline::after(10s));
    const auto back = read_exactly(*stream, chunk, Deadline::after(10s));
    ASSERT_TRUE(std::equal(back.begin(), back.end(), data.begin() + static_cast<std::ptrdiff_t>(off)))
        << "at offset " << off;
  }
  stream->close();
  EXPECT_FALSE(stream->is_open());
  EXPECT_EQ(stream->native_handle(), -1);
}

TEST(NetTcp, OneMebibyteEachWayInSingleCalls) {
  constexpr std::size_t size = 1 << 20;
  LoopbackServer server({.mode = ServerMode::reply_after, .bytes = size});
  auto stream = connect_tcp("127.0.0.1", server.port(), {}, Deadline::after(10s));
  const auto data = pattern(size, 11);
  stream->write_all(data.data(), data.size(), Deadline::after(10s));
  std::size_t calls = 0;
  const auto back = read_exactly(*stream, size, Deadline::after(10s), &calls);
  EXPECT_TRUE(back == data);
  // read_some hands over whatever is available, not a byte at a time.
  EXPECT_LT(calls, size / 256) << "read_some was called " << calls << " times";
}

TEST(NetTcp, Ipv6Loopback) {
  require_ipv6();
  LoopbackServer server({.mode = ServerMode::echo, .family = IpFamily::v6});
  for (const std::string host : {"::1", "[::1]"}) {
    auto stream = connect_tcp(host, server.port(), {}, Deadline::after(10s));
    EXPECT_EQ(stream->peer(), "[::1]:" + std::to_string(server.port()));
    const auto data = pattern(100000);
    stream->write_all(data.data(), data.size(), Deadline::after(10s));
    EXPECT_TRUE(read_exactly(*stream, data.size(), Deadline::after(10s)) == data);
  }
}

TEST(NetTcp, SocketOptionsAreApplied) {
  LoopbackServer server;
  auto stream = connect_tcp("127.0.0.1", server.port(), {}, Deadline::after(10s));
  const int fd = stream->native_handle();
  ASSERT_GE(fd, 0);
  int value = 0;
  socklen_t len = sizeof value;
  ASSERT_EQ(::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &len), 0);
  EXPECT_NE(value, 0) << "TCP_NODELAY";
  ASSERT_EQ(::getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &value, &len), 0);
  EXPECT_NE(value, 0) << "SO_KEEPALIVE";
  EXPECT_NE(::fcntl(fd, F_GETFD) & FD_CLOEXEC, 0) << "close-on-exec";
  EXPECT_NE(::fcntl(fd, F_GETFL) & O_NONBLOCK, 0) << "non-blocking";

  auto plain = connect_tcp("127.0.0.1", server.port(), {.no_delay = false, .keep_alive = false}, Deadline::after(10s));
  ASSERT_EQ(::getsockopt(plain->native_handle(), IPPROTO_TCP, TCP_NODELAY, &value, &len), 0);
  EXPECT_EQ(value, 0);
  ASSERT_EQ(::getsockopt(plain->native_handle(), SOL_SOCKET, SO_KEEPALIVE, &value, &len), 0);
  EXPECT_EQ(value, 0);
}

TEST(NetTcp, RefusedPortIsANetworkErrorAtOnce) {
  RefusedPort refused;
  const auto start = Steady::now();
  expect_error(ErrorKind::network, [&] { connect_tcp("127.0.0.1", refused.port(), {}, Deadline::after(60s)); },
               {"connect to " + hostport("127.0.0.1", refused.port()) + ": connection refused"});
  // Refusal is not waited out: it comes long before the 60 s deadline.
  EXPECT_LT(Steady::now() - start, k_generous);
}

TEST(NetTcp, RefusedIpv6Port) {
  require_ipv6();
  RefusedPort refused(IpFamily::v6);
  expect_error(ErrorKind::network, [&] { connect_tcp("::1", refused.port(), {}, Deadline::after(60s)); },
               {"connect to [::1]:" + std::to_string(refused.port()) + ": connection refused"});
}

TEST(NetTcp, ReadFromSilentServerTimesOutAtTheDeadline) {
  LoopbackServer server({.mode = ServerMode::silent});
  auto stream = connect_tcp("127.0.0.1", server.port(), {}, Deadline::after(10s));
  char buf[1024];
  for (int round = 0; round < 2; ++round) {  // a timed-out read leaves the stream readable
    const auto start = Steady::now();
    const Deadline deadline = Deadline::after(200ms);
    expect_reported(expect_error(ErrorKind::timeout, [&] { stream->read_some(buf, sizeof buf, deadline); },
                                 {"read from " + hostport("127.0.0.1", server.port()), "timed out after"}),
                    200ms);
    const auto took = Steady::now() - start;
    EXPECT_GE(took, 200ms);
    EXPECT_LT(took, 200ms + k_generous);
    EXPECT_TRUE(stream->is_open());
  }
}

TEST(NetTcp, WriteToPeerThatStopsReadingTimesOut) {
  LoopbackServer server({.mode = ServerMode::silent, .receive_buffer_bytes = 64 * 1024});
  auto stream = connect_tcp("127.0.0.1", server.port(), {.send_buffer_bytes = 64 * 1024}, Deadline::after(10s));
  const std::vector<unsigned char> big(64u << 20);  // far more than both buffers hold
  const auto start = Steady::now();
  const std::string message =
      expect_error(ErrorKind::timeout, [&] { stream->write_all(big.data(), big.size(), Deadline::after(300ms)); },
                   {"write to " + hostport("127.0.0.1", server.port()), "timed out after", "after writing"});
  expect_reported(message, 300ms);
  const auto took = Steady::now() - start;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 300ms + k_generous);
}

TEST(NetTcp, PeerCloseReadsEndOfStreamAndWriteFailsWithoutSigpipe) {
  // The test means something only if SIGPIPE would kill the process.
  struct sigaction current {};
  ASSERT_EQ(::sigaction(SIGPIPE, nullptr, &current), 0);
  ASSERT_EQ(current.sa_handler, SIG_DFL);

  LoopbackServer server({.mode = ServerMode::close_at_once});
  auto stream = connect_tcp("127.0.0.1", server.port(), {}, Deadline::after(10s));
  char buf[16];
  EXPECT_EQ(stream->read_some(buf, sizeof buf, Deadline::after(10s)), 0u);
  EXPECT_EQ(stream->read_some(buf, sizeof buf, Deadline::after(10s)), 0u);  // and stays at the end

  // The first write may still be accepted by the kernel; the peer answers it with a reset, and a
  // later write fails with EPIPE or ECONNRESET — an error, not a signal.
  const std::vector<unsigned char> chunk(4096, 'x');
  expect_error(ErrorKind::network,
               [&] {
                 for (int i = 0; i < 1000; ++i) stream->write_all(chunk.data(), chunk.size(), Deadline::after(10s));
               },
               {"write to " + hostport("127.0.0.1", server.port())});
}

TEST(NetTcp, PeerClosingMidStreamIsANetworkError) {
  LoopbackServer server({.mode = ServerMode::close_after, .bytes = 1000});
  auto stream = connect_tcp("127.0.0.1", server.port(), {}, Deadline::after(10s));
  const auto data = pattern(1 << 20);
  expect_error(ErrorKind::network,
               [&] {
                 for (int i = 0; i < 64; ++i) stream->write_all(data.data(), data.size(), Deadline::after(10s));
               },
               {"write to "});
}

TEST(NetTcp, TriesEveryAddressUntilOneAccepts) {
  require_ipv6();
  LoopbackServer server;
  RefusedPort refused(IpFamily::v6);
  auto endpoints = *detail::numeric_endpoints("::1", refused.port(), AddressFamily::any);
  const auto v4 = *detail::numeric_endpoints("127.0.0.1", server.port(), AddressFamily::any);
  endpoints.insert(endpoints.end(), v4.begin(), v4.end());
  ASSERT_EQ(endpoints.size(), 2u);

  auto stream = detail::connect_endpoints("both.test", endpoints, {}, Deadline::after(10s));
  EXPECT_EQ(stream->peer(), hostport("127.0.0.1", server.port()));
  const char ping[] = "ping";
  stream->write_all(ping, 4, Deadline::after(10s));
  EXPECT_EQ(read_exactly(*stream, 4, Deadline::after(10s)).size(), 4u);
}

TEST(NetTcp, AnAddressThatNeverAnswersGetsOnlyItsShare) {
  BlackholePort blackhole;
  LoopbackServer server;
  auto endpoints = *detail::numeric_endpoints("127.0.0.1", blackhole.port(), AddressFamily::any);
  const auto good = *detail::numeric_endpoints("127.0.0.1", server.port(), AddressFamily::any);
  endpoints.insert(endpoints.end(), good.begin(), good.end());

  const auto start = Steady::now();
  auto stream = detail::connect_endpoints("two.test", endpoints, {.connect_timeout = 200ms}, Deadline::after(60s));
  const auto took = Steady::now() - start;
  EXPECT_EQ(stream->peer(), hostport("127.0.0.1", server.port()));
  EXPECT_GE(took, 200ms);
  EXPECT_LT(took, 200ms + k_generous);
}

TEST(NetTcp, EveryAddressFailingNamesEachOne) {
  require_ipv6();
  RefusedPort v6(IpFamily::v6);
  RefusedPort v4(IpFamily::v4);
  auto endpoints = *detail::numeric_endpoints("::1", v6.port(), AddressFamily::any);
  const auto more = *detail::numeric_endpoints("127.0.0.1", v4.port(), AddressFamily::any);
  endpoints.insert(endpoints.end(), more.begin(), more.end());
  expect_error(ErrorKind::network,
               [&] { detail::connect_endpoints("db.test:9000", endpoints, {}, Deadline::after(10s)); },
               {"connect to db.test:9000 failed on every address (2)",
                "[::1]:" + std::to_string(v6.port()) + ": connection refused",
                hostport("127.0.0.1", v4.port()) + ": connection refused"});
}

TEST(NetTcp, LocalhostTriesEveryResolvedAddress) {
  // Listen only on the last address "localhost" resolves to, and refuse on the others at the same
  // port: connecting by name must still succeed. (Where localhost has one address, this checks the
  // single-address path; TriesEveryAddressUntilOneAccepts covers the order on every machine.)
  const auto addresses = detail::resolve(Resolver(), "localhost", 1, AddressFamily::any, Deadline::after(10s), 10s);
  ASSERT_FALSE(addresses.empty());
  const bool last_is_v6 = addresses.back().address.ss_family == AF_INET6;
  LoopbackServer server({.family = last_is_v6 ? IpFamily::v6 : IpFamily::v4});
  std::vector<std::unique_ptr<RefusedPort>> refused;
  for (std::size_t i = 0; i + 1 < addresses.size(); ++i) {
    const bool v6 = addresses[i].address.ss_family == AF_INET6;
    if (v6 != last_is_v6)
      refused.push_back(std::make_unique<RefusedPort>(v6 ? IpFamily::v6 : IpFamily::v4, server.port()));
  }
  RecordProperty("localhost_addresses", static_cast<int>(addresses.size()));
  auto stream = connect_tcp("localhost", server.port(), {}, Deadline::after(10s));
  EXPECT_EQ(stream->peer(), hostport(server.host(), server.port()));
}

TEST(NetTcp, MessagesNameTheHostAndTheAddress) {
  RefusedPort refused;
  expect_error(ErrorKind::network,
               [&] { connect_tcp("localhost", refused.port(), {.family = AddressFamily::ipv4}, Deadline::after(10s)); },
               {"connect to localhost:" + std::to_string(refused.port()) +
                " (127.0.0.1:" + std::to_string(refused.port()) + "): connection refused"});
  LoopbackServer silent({.mode = ServerMode::silent});
  auto stream = connect_tcp("localhost", silent.port(), {.family = AddressFamily::ipv4}, Deadline::after(10s));
  EXPECT_EQ(stream->peer(), hostport("127.0.0.1", silent.port()));  // peer() is the address itself
  char buf[8];
  expect_error(
      ErrorKind::timeout, [&] { stream->read_some(buf, sizeof buf, Deadline::after(50ms)); },
      {"read from localhost:" + std::to_string(silent.port()) + " (127.0.0.1:" + std::to_string(silent.port()) + ")"});
}

TEST(NetTcp, ConnectToAnAddressThatNeverAnswersTimesOut) {
  BlackholePort blackhole;
  const auto start = Steady::now();
  expect_reported(
      expect_error(ErrorKind::timeout, [&] { connect_tcp("127.0.0.1", blackhole.port(), {}, Deadline::after(300ms)); },
                   {"connect to " + hostport("127.0.0.1", blackhole.port()), "timed out after"}),
      300ms);
  const auto took = Steady::now() - start;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 300ms + k_generous);

  // The per-address timeout bounds an attempt even when the overall deadline is far away.
  const auto start2 = Steady::now();
  expect_error(ErrorKind::timeout,
               [&] { connect_tcp("127.0.0.1", blackhole.port(), {.connect_timeout = 200ms}, Deadline::after(60s)); },
               {"timed out after 200 ms"});  // exactly the option
  EXPECT_GE(Steady::now() - start2, 200ms);
  EXPECT_LT(Steady::now() - start2, 200ms + k_generous);
}

TEST(NetTcp, ExpiredDeadlineTimesOutAtOnce) {
  LoopbackServer server({.mode = ServerMode::silent});
  const Deadline past = Deadline::after(0s);
  expect_error(ErrorKind::timeout, [&] { connect_tcp("127.0.0.1", server.port(), {}, past); },
               {"connect to " + hostport("127.0.0.1", server.port()), "deadline had already passed"});

  auto stream = connect_tcp("127.0.0.1", server.port(), {}, Deadline::after(10s));
  char buf[8];
  expect_error(ErrorKind::timeout, [&] { stream->read_some(buf, sizeof buf, past); }, {"read from"});
  expect_error(ErrorKind::timeout, [&] { stream->write_all("x", 1, past); }, {"write to"});
  // A deadline that says what it stands for, or how long it was, is named: not "its deadline".
  const Deadline passed_caller = Deadline::after(50ms, Steady::now() - 1s).named("the caller's deadline");
  expect_error(ErrorKind::timeout, [&] { stream->read_some(buf, sizeof buf, passed_caller); },
               {"read from", "timed out: the caller's deadline of 50 ms expired"});
  expect_error(ErrorKind::timeout, [&] { stream->read_some(buf, sizeof buf, Deadline::after(2s, Steady::now() - 3s)); },
               {"timed out: a deadline of 2 s expired"});
  EXPECT_TRUE(stream->is_open());
}

TEST(NetTcp, ResolveFailureIsANetworkError) {
  // No DNS traffic: an IPv6 literal asked for as IPv4 fails inside the resolver.
  expect_error(ErrorKind::network,
               [&] { connect_tcp("::1", 9000, {.family = AddressFamily::ipv4}, Deadline::after(10s)); },
               {"resolve ::1: ", "(address family ipv4)"});
}

TEST(NetTcp, InvalidArgumentsAreConfigErrors) {
  expect_error(ErrorKind::config, [] { connect_tcp("", 9000, {}, Deadline::after(1s)); }, {"host name is empty"});
  expect_error(ErrorKind::config, [] { connect_tcp("127.0.0.1", 0, {}, Deadline::after(1s)); }, {"port 0"});
  expect_error(ErrorKind::config, [] { connect_tcp("127.0.0.1", 9000, {.connect_timeout = 0ms}, Deadline::after(1s)); },
               {"connect_timeout"});
}

TEST(NetTcp, UseAfterCloseIsAUsageError) {
  LoopbackServer server;
  auto stream = connect_tcp("127.0.0.1", server.port(), {}, Deadline::after(10s));
  char buf[8];
  expect_error(ErrorKind::usage, [&] { stream->read_some(buf, 0, Deadline::after(1s)); }, {"empty buffer"});
  stream->close();
  stream->close();  // idempotent
  expect_error(ErrorKind::usage, [&] { stream->read_some(buf, sizeof buf, Deadline::after(1s)); }, {"closed"});
  expect_error(ErrorKind::usage, [&] { stream->write_all("x", 1, Deadline::after(1s)); }, {"closed"});
  EXPECT_EQ(stream->peer(), hostport("127.0.0.1", server.port()));
}

TEST(NetTcp, ErrorsAreClassifiedAsBrokenConnections) {
  RefusedPort refused;
  const Error e = test::thrown_error([&] { connect_tcp("127.0.0.1", refused.port(), {}, Deadline::after(10s)); });
  EXPECT_TRUE(e.retryable());
  EXPECT_TRUE(classify(e).host_failure);
}

TEST(NetTcp, SignalsDuringAWaitDoNotEndItEarly) {
  // A handler installed without SA_RESTART makes poll() fail with EINTR; the read must go on
  // waiting with the time left and end with a timeout, not a network error.
  struct sigaction action {};
  struct sigaction previous {};
  action.sa_handler = [](int) {};
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &previous), 0);

  LoopbackServer server({.mode = ServerMode::silent});
  auto stream = connect_tcp("127.0.0.1", server.port(), {}, Deadline::after(10s));
  std::atomic<bool> done{false};
  std::optional<Error> error;
  Steady::duration took{};
  std::thread reader([&] {
    const auto start = Steady::now();
    char buf[16];
    try {
      stream->read_some(buf, sizeof buf, Deadline::after(500ms));
    } catch (const Error& e) {
      error = e;
    }
    took = Steady::now() - start;
    done.store(true);
  });
  const pthread_t target = reader.native_handle();
  int signals = 0;
  while (!done.load()) {  // pacing only; nothing here is timed
    ::pthread_kill(target, SIGUSR1);
    ++signals;
    std::this_thread::sleep_for(20ms);
  }
  reader.join();
  ::sigaction(SIGUSR1, &previous, nullptr);

  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind(), ErrorKind::timeout) << error->what();
  EXPECT_GE(took, 500ms);
  EXPECT_LT(took, 500ms + k_generous);
  EXPECT_GT(signals, 1);
}

TEST(NetSocketHelpers, Wording) {
  EXPECT_EQ(detail::format_host_port("127.0.0.1", 9000), "127.0.0.1:9000");
  EXPECT_EQ(detail::format_host_port("::1", 9000), "[::1]:9000");
  EXPECT_EQ(detail::format_host_port("[::1]", 9000), "[::1]:9000");
  EXPECT_EQ(detail::format_host_port("db1", 9440), "db1:9440");
  EXPECT_EQ(detail::errno_text(ECONNREFUSED), "connection refused");
  EXPECT_EQ(detail::errno_text(ECONNRESET), "connection reset by peer");
  EXPECT_EQ(detail::errno_text(ENOENT), "no such file or directory");
}

}  // namespace
}  // namespace chconn::net
