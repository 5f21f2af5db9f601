// The Resolver and connect_tcp()'s name resolution against a fake DNS server on a loopback UDP port
// (tests/support/fake_dns.h): deadlines, the TTL cache and its negative entries on an injected
// clock, IP literals and /etc/hosts without a query.
//
// Timing: a test that expects a timeout asserts that the call returned no earlier than its limit
// and well before the system resolver's own retries would have ended (5 s per try, 2 tries).
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "chconn/core/clock.h"
#include "chconn/core/error.h"
#include "chconn/net/resolver.h"
#include "chconn/net/tcp.h"
#include "net/tcp_connect.h"
#include "support/expect_error.h"
#include "support/fake_dns.h"
#include "support/net_loopback.h"

namespace chconn::net {
namespace {

using namespace std::chrono_literals;
using test::DnsMode;
using test::expect_error;
using test::expect_reported;
using test::FakeDnsServer;
using test::LoopbackServer;
using Steady = std::chrono::steady_clock;

// The slack allowed past a limit: generous for a loaded machine, and still well under the 5-10 s
// that the system resolver's retries take against a silent server.
constexpr auto k_slack = 3s;

// Names under .test (RFC 2606): never real, so a lookup that leaked to the system's DNS would fail.
const std::string k_name = "db1.chconn.test";

std::shared_ptr<const Resolver> resolver_for(const FakeDnsServer& dns, const Clock* clock = nullptr,
                                             ResolverOptions options = {}) {
  options.servers = {dns.address()};
  options.clock = clock;
  return std::make_shared<const Resolver>(std::move(options));
}

std::vector<std::string> texts(const std::vector<detail::Endpoint>& endpoints) {
  std::vector<std::string> out;
  for (const auto& e : endpoints) out.push_back(e.text);
  return out;
}

std::vector<detail::Endpoint> lookup(const Resolver& resolver, const std::string& host,
                                     AddressFamily family = AddressFamily::any) {
  return detail::resolve(resolver, host, 9000, family, Deadline::after(10s), 10s);
}

TEST(NetResolver, SilentServerTimesOutAtTheConnectTimeout) {
  FakeDnsServer dns({.mode = DnsMode::silent});
  const TcpOptions options{.connect_timeout = 1s, .resolver = resolver_for(dns)};
  const auto start = Steady::now();
  const std::string message =
      expect_error(ErrorKind::timeout, [&] { connect_tcp(k_name, 9000, options, Deadline::after(60s)); },
                   {"resolve " + k_name + " timed out: the connect timeout of 1 s expired",
                    "no answer from the DNS server(s) 127.0.0.1:" + std::to_string(dns.port())});
  const auto took = Steady::now() - start;
  EXPECT_GE(took, 1s) << message;
  EXPECT_LT(took, 1s + k_slack) << message;
  EXPECT_GE(dns.queries_for(k_name), 1);  // it did ask the fake server
}

TEST(NetResolver, SilentServerTimesOutAtTheCallersDeadline) {
  FakeDnsServer dns({.mode = DnsMode::silent});
  const TcpOptions options{.resolver = resolver_for(dns)};  // connect_timeout 10 s
  const auto start = Steady::now();
  expect_reported(expect_error(ErrorKind::timeout, [&] { connect_tcp(k_name, 9000, options, Deadline::after(500ms)); },
                               {"resolve " + k_name + " timed out after "}),
                  500ms);
  const auto took = Steady::now() - start;
  EXPECT_GE(took, 500ms);
  EXPECT_LT(took, 500ms + k_slack);
}

TEST(NetResolver, ConnectsByANameTheServerAnswers) {
  LoopbackServer server;
  FakeDnsServer dns({.records = {{k_name, "127.0.0.1", 300}}});
  auto stream = connect_tcp(k_name, server.port(), {.resolver = resolver_for(dns)}, Deadline::after(10s));
  EXPECT_EQ(stream->peer(), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_GE(dns.queries_for(k_name), 1);
}

TEST(NetResolver, AnswersAreCachedForTheirTtl) {
  ManualClock clock;
  FakeDnsServer dns({.records = {{k_name, "127.0.0.1", 30}, {k_name, "::1", 30}}});
  const auto resolver = resolver_for(dns, &clock);

  const auto first = lookup(*resolver, k_name);
  const int asked = dns.queries_for(k_name);
  ASSERT_GE(asked, 1);
  EXPECT_EQ(first.size(), 2u);

  // Within the TTL: from the cache, on any port, without a question to the server.
  clock.advance(29s);
  const auto again = detail::resolve(*resolver, k_name, 9440, AddressFamily::any, Deadline::after(10s), 10s);
  EXPECT_EQ(dns.queries_for(k_name), asked);
  ASSERT_EQ(again.size(), first.size());
  for (std::size_t i = 0; i < again.size(); ++i) {
    EXPECT_EQ(again[i].address.ss_family, first[i].address.ss_family);
    EXPECT_NE(again[i].text.find(":9440"), std::string::npos) << again[i].text;
  }
  // Names are case-insensitive.
  lookup(*resolver, "DB1.Chconn.TEST");
  EXPECT_EQ(dns.queries_for(k_name), asked);

  // Past the TTL: asked again.
  clock.advance(2s);
  lookup(*resolver, k_name);
  EXPECT_GT(dns.queries_for(k_name), asked);
}

TEST(NetResolver, LongTtlsAreCappedByMaxTtl) {
  ManualClock clock;
  FakeDnsServer dns({.records = {{k_name, "127.0.0.1", 86400}}});
  const auto resolver = resolver_for(dns, &clock, {.max_ttl = 60s});
  lookup(*resolver, k_name);
  const int asked = dns.queries_for(k_name);
  clock.advance(59s);
  lookup(*resolver, k_name);
  EXPECT_EQ(dns.queries_for(k_name), asked);
  clock.advance(2s);
  lookup(*resolver, k_name);
  EXPECT_GT(dns.queries_for(k_name), asked);
}

TEST(NetResolver, AFamilyIsCachedApart) {
  ManualClock clock;
  FakeDnsServer dns({.records = {{k_name, "127.0.0.1", 300}, {k_name, "::1", 300}}});
  const auto resolver = resolver_for(dns, &clock);
  EXPECT_EQ(texts(lookup(*resolver, k_name, AddressFamily::ipv4)), std::vector<std::string>{"127.0.0.1:9000"});
  EXPECT_EQ(texts(lookup(*resolver, k_name, AddressFamily::ipv6)), std::vector<std::string>{"[::1]:9000"});
  EXPECT_EQ(resolver->cached(), 2u);
}

TEST(NetResolver, UnknownNamesAreANetworkErrorRememberedBriefly) {
  ManualClock clock;
  FakeDnsServer dns({.records = {{k_name, "127.0.0.1", 300}}});
  const auto resolver = resolver_for(dns, &clock, {.negative_ttl = 5s});
  const std::string missing = "nowhere.chconn.test";

  expect_error(ErrorKind::network, [&] { lookup(*resolver, missing); },
               {"resolve " + missing + ": no such host (the DNS server says the name does not exist)"});
  const int asked = dns.queries_for(missing);
  ASSERT_GE(asked, 1);

  clock.advance(4s);
  expect_error(ErrorKind::network, [&] { lookup(*resolver, missing); },
               {"resolve " + missing + ": no such host", "remembered for up to 5 s"});
  EXPECT_EQ(dns.queries_for(missing), asked);

  clock.advance(2s);
  expect_error(ErrorKind::network, [&] { lookup(*resolver, missing); }, {"no such host"});
  EXPECT_GT(dns.queries_for(missing), asked);
}

TEST(NetResolver, ANameWithoutAnAddressOfTheFamilyIsRememberedBriefly) {
  ManualClock clock;
  FakeDnsServer dns({.records = {{k_name, "127.0.0.1", 300}}});
  const auto resolver = resolver_for(dns, &clock);
  expect_error(ErrorKind::network, [&] { lookup(*resolver, k_name, AddressFamily::ipv6); },
               {"resolve " + k_name + ": the name has no IPv6 address"});
  const int asked = dns.queries_for(k_name);
  expect_error(ErrorKind::network, [&] { lookup(*resolver, k_name, AddressFamily::ipv6); }, {"no IPv6 address"});
  EXPECT_EQ(dns.queries_for(k_name), asked);
}

TEST(NetResolver, TimeoutsAndFailuresAreNotCached) {
  ManualClock clock;
  FakeDnsServer dns({.mode = DnsMode::silent, .records = {{k_name, "127.0.0.1", 300}}});
  const auto resolver = resolver_for(dns, &clock);
  expect_error(ErrorKind::timeout,
               [&] { detail::resolve(*resolver, k_name, 9000, AddressFamily::any, Deadline::after(200ms), 200ms); },
               {"timed out after 200 ms"});
  EXPECT_EQ(resolver->cached(), 0u);
  dns.set_mode(DnsMode::answer);  // the server is back: the next lookup asks it, and succeeds
  EXPECT_EQ(texts(lookup(*resolver, k_name)), std::vector<std::string>{"127.0.0.1:9000"});
}

TEST(NetResolver, IpLiteralsAreNeverLookedUp) {
  LoopbackServer server;
  FakeDnsServer dns({.mode = DnsMode::silent});
  const auto resolver = resolver_for(dns);
  EXPECT_EQ(texts(lookup(*resolver, "127.0.0.1")), std::vector<std::string>{"127.0.0.1:9000"});
  EXPECT_EQ(texts(lookup(*resolver, "::1")), std::vector<std::string>{"[::1]:9000"});
  EXPECT_EQ(texts(lookup(*resolver, "[::1]")), std::vector<std::string>{"[::1]:9000"});
  EXPECT_EQ(texts(lookup(*resolver, "[::ffff:127.0.0.1]")), std::vector<std::string>{"[::ffff:127.0.0.1]:9000"});
  auto stream = connect_tcp("127.0.0.1", server.port(), {.resolver = resolver}, Deadline::after(10s));
  EXPECT_EQ(stream->peer(), "127.0.0.1:" + std::to_string(server.port()));
  expect_error(ErrorKind::network, [&] { lookup(*resolver, "::1", AddressFamily::ipv4); },
               {"resolve ::1: ", "(address family ipv4)"});
  EXPECT_EQ(dns.queries(), 0);
  EXPECT_EQ(resolver->cached(), 0u);
}

TEST(NetResolver, HostsFileNamesNeedNoDnsServer) {
  // "localhost" is in /etc/hosts (or, failing that, answered by c-ares itself as RFC 6761 asks):
  // a silent DNS server must not delay it.
  FakeDnsServer dns({.mode = DnsMode::silent});
  const auto resolver = resolver_for(dns);
  const auto start = Steady::now();
  const auto endpoints = detail::resolve(*resolver, "localhost", 9000, AddressFamily::ipv4, Deadline::after(5s), 5s);
  EXPECT_LT(Steady::now() - start, 5s);
  ASSERT_FALSE(endpoints.empty());
  EXPECT_EQ(endpoints.front().text, "127.0.0.1:9000");
  EXPECT_EQ(dns.queries(), 0);
}

TEST(NetResolver, TheCacheIsBounded) {
  ManualClock clock;
  FakeDnsServer dns({.records = {{"a.chconn.test", "127.0.0.1", 300},
                                 {"b.chconn.test", "127.0.0.2", 200},
                                 {"c.chconn.test", "127.0.0.3", 300}}});
  const auto resolver = resolver_for(dns, &clock, {.max_entries = 2});
  lookup(*resolver, "a.chconn.test");
  lookup(*resolver, "b.chconn.test");
  EXPECT_EQ(resolver->cached(), 2u);
  lookup(*resolver, "c.chconn.test");  // evicts b, the one closest to expiring
  EXPECT_EQ(resolver->cached(), 2u);
  const int a = dns.queries_for("a.chconn.test");
  const int b = dns.queries_for("b.chconn.test");
  lookup(*resolver, "a.chconn.test");
  EXPECT_EQ(dns.queries_for("a.chconn.test"), a);
  lookup(*resolver, "b.chconn.test");
  EXPECT_GT(dns.queries_for("b.chconn.test"), b);
  EXPECT_EQ(resolver->cached(), 2u);
}

TEST(NetResolver, AnAnswerKeepsAtMost64Addresses) {
  // A hostile or misconfigured server answering with hundreds of records: connecting would try
  // them one after another, so only the first 64 are kept.
  std::vector<test::DnsRecord> records;
  for (int i = 1; i <= 200; ++i)
    records.push_back({k_name, "127.0." + std::to_string(i / 250) + "." + std::to_string(i % 250), 300});
  FakeDnsServer dns({.records = records});
  const auto resolver = resolver_for(dns);
  const auto endpoints = lookup(*resolver, k_name, AddressFamily::ipv4);
  EXPECT_EQ(endpoints.size(), 64u);
}

TEST(NetResolver, ConcurrentLookupsShareTheCache) {
  FakeDnsServer dns({.records = {{k_name, "127.0.0.1", 300}}});
  const auto resolver = resolver_for(dns);
  lookup(*resolver, k_name);
  const int asked = dns.queries_for(k_name);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (lookup(*resolver, k_name).size() == 1) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 800);
  EXPECT_EQ(dns.queries_for(k_name), asked);
}

TEST(NetResolver, BadInputIsAConfigError) {
  expect_error(ErrorKind::config,
               [] {
                 Resolver({.servers = {{"dns.example.com", 53}}});
               },
               {"DNS server 'dns.example.com' is not an IP address"});
  expect_error(ErrorKind::config, [] { Resolver({.max_entries = 0}); }, {"max_entries"});
  FakeDnsServer dns({.mode = DnsMode::silent});
  const auto resolver = resolver_for(dns);
  const std::vector<std::string> bad = {"a..b", ".a", std::string(64, 'x') + ".test", "a b", "a/b", "a\nb"};
  for (const std::string& host : bad) {
    expect_error(ErrorKind::config, [&] { lookup(*resolver, host); }, {"not a valid host name"});
  }
  const std::string hostile = "a\nb";
  EXPECT_EQ(expect_error(ErrorKind::config, [&] { lookup(*resolver, hostile); }, {}).find('\n'), std::string::npos);
  EXPECT_EQ(dns.queries(), 0);
}

TEST(NetResolver, AnExpiredDeadlineAsksNothing) {
  FakeDnsServer dns({.records = {{k_name, "127.0.0.1", 300}}});
  const auto resolver = resolver_for(dns);
  expect_error(ErrorKind::timeout,
               [&] { detail::resolve(*resolver, k_name, 9000, AddressFamily::any, Deadline::after(0s), 0s); },
               {"deadline had already passed"});
  EXPECT_EQ(dns.queries(), 0);
}

}  // namespace
}  // namespace chconn::net
