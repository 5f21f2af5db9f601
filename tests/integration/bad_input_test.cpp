// Bad input that only a real server can give (refused logins), a native client pointed at the
// wrong kind of port, and resource bounds over many connections: descriptors return to where they
// started and memory does not creep. The fake-peer rows are in tests/unit/connection/bad_input_test.cpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "chconn/connection/native_connection.h"
#include "chconn/core/config.h"
#include "chconn/core/error.h"
#include "chconn/strategy/direct.h"
#include "chconn/strategy/pooled.h"
#include "support/connection_helpers.h"
#include "support/expect_error.h"
#include "support/process_probes.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;
using test::k_address_sanitizer;
using test::open_fds;
using test::rss_bytes;

Error connect_fails(const Config& config) {
  try {
    test::connect(config);
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "connected, but the login should have been refused";
  return Error(ErrorKind::usage, "connected");
}

TEST(BadInputServer, WrongPassword) {
  Config config = test::sandbox_config();
  config.user = std::string(test::k_password_user);
  config.password = "wrong-pw-Sentinel";
  const Error e = connect_fails(config);
  EXPECT_EQ(e.kind(), ErrorKind::server) << e.what();
  // 18.16 says 193; servers from 20.x on say 516 (authentication failed) for every refused login.
  EXPECT_TRUE(e.server_code() == server_codes::wrong_password || e.server_code() == server_codes::authentication_failed)
      << e.server_code() << ": " << e.what();
  EXPECT_FALSE(e.retryable()) << "retrying a wrong password cannot help";
  EXPECT_FALSE(classify(e).host_failure) << "a wrong password says nothing about the server's health";
  EXPECT_EQ(std::string(e.what()).find("wrong-pw-Sentinel"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find(std::string(test::k_password_user)), std::string::npos)
      << "the message should name the user: " << e.what();
}

TEST(BadInputServer, UnknownUser) {
  Config config = test::sandbox_config();
  config.user = "no_such_user_q";
  config.password = "x";
  const Error e = connect_fails(config);
  EXPECT_EQ(e.kind(), ErrorKind::server) << e.what();
  EXPECT_TRUE(e.server_code() == server_codes::unknown_user || e.server_code() == server_codes::authentication_failed)
      << e.server_code();
}

TEST(BadInputServer, UnknownDatabase) {
  Config config = test::sandbox_config();
  config.database = "no_such_database_q";
  const Error e = connect_fails(config);
  EXPECT_EQ(e.kind(), ErrorKind::server) << e.what();
  EXPECT_EQ(e.server_code(), server_codes::unknown_database) << e.what();
  EXPECT_NE(std::string(e.what()).find("no_such_database_q"), std::string::npos) << e.what();
  EXPECT_FALSE(e.retryable());
}

// A native client pointed at the HTTP port: ClickHouse's HTTP server waits for the end of a request
// line that the binary Hello never contains, so nothing comes back; the connect deadline ends it
// with a timeout (never a hang).
TEST(BadInputServer, NativeClientOnHttpPort) {
  Config config = test::sandbox_config();
  config.hosts = {{"127.0.0.1", test::sandbox("main").http_port}};
  config.timeouts.connect = 3s;
  const auto start = Steady::now();
  const Error e = connect_fails(config);
  const auto elapsed = Steady::now() - start;
  std::printf("[bad-input] native client on the HTTP port: %s after %lld ms: %s\n",
              std::string(to_string(e.kind())).c_str(),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()), e.what());
  EXPECT_EQ(e.kind(), ErrorKind::timeout) << e.what();
  EXPECT_GE(elapsed, config.timeouts.connect - 5ms);
  EXPECT_LT(elapsed, config.timeouts.connect + 3s);
}

// Refused logins in a loop release everything they took.
TEST(BadInputResources, FailedLoginsReleaseDescriptors) {
  Config config = test::sandbox_config();
  config.user = std::string(test::k_password_user);
  config.password = "wrong";
  for (int i = 0; i < 5; ++i) (void)connect_fails(config);  // warm-up
  const std::size_t fds = open_fds();
  for (int i = 0; i < 200; ++i) {
    const Error e = test::thrown_error([&] { test::connect(config); });
    ASSERT_EQ(e.kind(), ErrorKind::server) << e.what();
  }
  EXPECT_EQ(open_fds(), fds);
}

// 2,000 connections opened and closed: descriptors return to their starting count and RSS does not
// grow by more than a few MiB after warm-up.
TEST(BadInputResources, OpenAndClose2000Connections) {
  const Config config = test::sandbox_config();
  for (int i = 0; i < 50; ++i) test::connect(config)->ping(Deadline::after(5s));  // warm-up
  const std::size_t fds = open_fds();
  const std::size_t rss = rss_bytes();
  const auto start = Steady::now();
  std::size_t peak_fds = fds;
  for (int i = 0; i < 2000; ++i) {
    auto conn = test::connect(config);
    ASSERT_TRUE(conn->usable()) << "connection " << i;
    if (i % 100 == 0) {
      conn->ping(Deadline::after(5s));
      peak_fds = std::max(peak_fds, open_fds());
    }
    conn->close();
  }
  const auto elapsed = Steady::now() - start;
  const std::size_t rss_after = rss_bytes();
  const double growth_mib = (static_cast<double>(rss_after) - static_cast<double>(rss)) / static_cast<double>(1 << 20);
  std::printf("[resources] 2000 connections in %lld ms; fds %zu -> %zu (peak %zu); RSS %.1f MiB -> %.1f MiB (%+.2f)\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()), fds,
              open_fds(), peak_fds, static_cast<double>(rss) / (1 << 20), static_cast<double>(rss_after) / (1 << 20),
              growth_mib);
  EXPECT_EQ(open_fds(), fds);
  EXPECT_LE(peak_fds, fds + 1) << "more than one connection's socket open at a time";
  // AddressSanitizer keeps freed memory in quarantine (256 MiB by default), so RSS only means
  // something without it; there, LeakSanitizer checks at exit that nothing was leaked instead.
  if (!k_address_sanitizer) {
    EXPECT_LT(growth_mib, 4.0);
  }
}

// 10,000 leases through the strategies a service uses: 8,000 from a pool of 4 (every 100th pinged,
// some ended broken so the pool replaces them) and 2,000 from DirectStrategy (a connection each).
// Once the strategies are gone, descriptors are back where they started and RSS has not crept.
TEST(BadInputResources, TenThousandLeasesReleaseEverything) {
  Config config = test::sandbox_config();
  config.pool.max_size = 4;
  {  // warm-up: the allocator's and OpenSSL's first-use caches
    DirectStrategy warm(config);
    for (int i = 0; i < 20; ++i) warm.acquire()->ping(Deadline::after(5s));
  }
  const std::size_t fds = open_fds();
  const std::size_t rss = rss_bytes();
  std::size_t peak_fds = fds;
  {
    auto pooled = std::make_shared<PooledStrategy>(native_connector(config), config);
    for (int i = 0; i < 8000; ++i) {
      Lease lease = pooled->acquire(Deadline::after(10s));
      if (i % 100 == 0) {
        lease->ping(Deadline::after(5s));
        peak_fds = std::max(peak_fds, open_fds());
      }
      if (i % 1000 == 999) lease.mark_broken();
    }
    const StrategyStats s = pooled->stats();
    EXPECT_EQ(s.acquired, 8000u);
    EXPECT_LE(s.created, 9u) << "the pool did not reuse its connections";
    EXPECT_GE(s.closed, 7u) << "leases marked broken were not dropped";
    DirectStrategy direct(config);
    for (int i = 0; i < 2000; ++i) {
      Lease lease = direct.acquire(Deadline::after(10s));
      if (i % 100 == 0) peak_fds = std::max(peak_fds, open_fds());
    }
    EXPECT_EQ(direct.stats().created, 2000u);
    EXPECT_EQ(direct.stats().closed, 2000u);
  }
  const std::size_t rss_after = rss_bytes();
  const double growth_mib = (static_cast<double>(rss_after) - static_cast<double>(rss)) / static_cast<double>(1 << 20);
  std::printf("[resources] 10000 leases; fds %zu -> %zu (peak %zu); RSS %.1f MiB -> %.1f MiB (%+.2f)\n", fds,
              open_fds(), peak_fds, static_cast<double>(rss) / (1 << 20), static_cast<double>(rss_after) / (1 << 20),
              growth_mib);
  EXPECT_EQ(open_fds(), fds);
  EXPECT_LE(peak_fds, fds + 5) << "more sockets open than the pool's 4 and one direct connection";
  if (!k_address_sanitizer) {
    EXPECT_LT(growth_mib, 4.0);
  }
}

}  // namespace
}  // namespace chconn
