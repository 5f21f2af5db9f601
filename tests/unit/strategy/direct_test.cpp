// DirectStrategy: a new connection per lease, closed when the lease ends.
#include "chconn/strategy/direct.h"

#include <gtest/gtest.h>

#include <memory>

#include "chconn/core/error.h"
#include "chconn/strategy/mock.h"
#include "support/expect_error.h"

namespace chconn {
namespace {

using chconn::test::expect_error;

using namespace std::chrono_literals;

class DirectTest : public ::testing::Test {
 protected:
  ManualClock clock;
  std::shared_ptr<MockServer> server = std::make_shared<MockServer>(MockServer::Options{.clock = &clock});
  std::shared_ptr<MockConnector> connector = std::make_shared<MockConnector>(server);
};

TEST_F(DirectTest, NewConnectionPerLeaseClosedOnRelease) {
  DirectStrategy direct(connector, {.clock = &clock});
  EXPECT_EQ(direct.name(), "direct");
  {
    Lease a = direct.acquire();
    Lease b = direct.acquire();
    EXPECT_NE(dynamic_cast<MockConnection&>(*a).id(), dynamic_cast<MockConnection&>(*b).id());
    EXPECT_EQ(server->connections_open(), 2u);
    StrategyStats s = direct.stats();
    EXPECT_EQ(s.in_use, 2u);
    EXPECT_EQ(s.open, 2u);
  }
  EXPECT_EQ(server->connections_open(), 0u);
  const StrategyStats s = direct.stats();
  EXPECT_EQ(s.in_use, 0u);
  EXPECT_EQ(s.created, 2u);
  EXPECT_EQ(s.closed, 2u);
  EXPECT_EQ(s.acquired, 2u);
  EXPECT_EQ(server->ping_count(), 0u) << "no ping unless asked for";
}

TEST_F(DirectTest, PingOnAcquire) {
  DirectStrategy direct(connector, {.name = "checked", .ping_on_acquire = true, .clock = &clock});
  direct.acquire().release();
  EXPECT_EQ(server->ping_count(), 1u);
  server->fail_next_pings(1, Error(ErrorKind::timeout, "ping timed out"));
  expect_error(ErrorKind::timeout, [&] { (void)direct.acquire(); });
  EXPECT_EQ(server->connections_open(), 0u) << "the connection whose ping failed is closed";
  EXPECT_EQ(direct.stats().closed, 2u);
}

TEST_F(DirectTest, ConnectErrorPropagates) {
  DirectStrategy direct(connector, {.clock = &clock});
  server->fail_next_connects(1, Error(ErrorKind::network, "connection refused"));
  const Error e = test::thrown_error([&] { (void)direct.acquire(); });
  EXPECT_EQ(e.message(), "connection refused");
  EXPECT_EQ(direct.stats().connect_failures, 1u);
  EXPECT_EQ(direct.stats().in_use, 0u);
}

TEST_F(DirectTest, ExpiredDeadlineIsPassedToTheConnector) {
  DirectStrategy direct(connector, {.clock = &clock});
  EXPECT_THROW((void)direct.acquire(Deadline::at(clock.now())), Error);
}

TEST_F(DirectTest, LeaseOutlivesTheStrategy) {
  auto direct = std::make_unique<DirectStrategy>(connector, DirectOptions{.clock = &clock});
  Lease lease = direct->acquire();
  direct.reset();
  EXPECT_NO_THROW(lease->execute("SELECT 1"));
  lease.release();
  EXPECT_EQ(server->connections_open(), 0u);
}

TEST_F(DirectTest, NullConnectorIsRejected) { EXPECT_THROW(DirectStrategy(nullptr), Error); }

}  // namespace
}  // namespace chconn
