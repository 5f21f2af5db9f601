// observe_lease: the outcome an observer is told, and how the inner lease ends, over a pool of
// MockConnections and a ManualClock.
#include "chconn/strategy/observed.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

#include "chconn/core/error.h"
#include "chconn/strategy/mock.h"
#include "chconn/strategy/pooled.h"
#include "support/mock_support.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;

struct Recorder final : LeaseObserver {
  explicit Recorder(std::optional<LeaseOutcome>& out) : out_(out) {}
  void on_lease_end(const LeaseOutcome& outcome) noexcept override { out_ = outcome; }
  std::optional<LeaseOutcome>& out_;
};

class ObservedTest : public ::testing::Test {
 protected:
  ObservedTest() {
    PooledOptions o;
    o.pool.max_size = 2;
    o.pool.validate_after_idle = 1h;
    o.maintenance_interval = 0s;
    o.clock = &clock;
    pool = std::make_unique<PooledStrategy>(std::make_shared<MockConnector>(server), o);
  }

  Lease observed() { return observe_lease(pool->acquire(), std::make_unique<Recorder>(outcome), clock); }

  ManualClock clock;
  std::shared_ptr<MockServer> server =
      std::make_shared<MockServer>(MockServer::Options{.clock = &clock, .sleep = MockServer::advance_on(clock)});
  std::unique_ptr<PooledStrategy> pool;
  std::optional<LeaseOutcome> outcome;
};

TEST_F(ObservedTest, ACleanLeaseReportsNoErrorAndHowLongItWasHeld) {
  {
    Lease lease = observed();
    lease->execute("SELECT 1");
    clock.advance(3s);
    EXPECT_FALSE(outcome.has_value());  // told only when the lease ends
  }
  ASSERT_TRUE(outcome.has_value());
  EXPECT_FALSE(outcome->broken);
  EXPECT_FALSE(outcome->error.has_value());
  EXPECT_FALSE(outcome->failed());
  EXPECT_EQ(outcome->held, 3s);
  EXPECT_EQ(pool->stats().idle, 1u);  // the inner lease went back to the pool
}

TEST_F(ObservedTest, TheFirstHostFailureIsKeptOverLaterErrors) {
  server->on("SELECT slow", {.error = Error(ErrorKind::timeout, "query timed out")});
  server->on("SELEC", {.error = Error::from_server(server_codes::syntax_error, "DB::Exception", "Syntax error")});
  {
    Lease lease = observed();
    EXPECT_THROW(lease->execute("SELEC"), Error);
    EXPECT_THROW(lease->execute("SELECT slow"), Error);
  }
  ASSERT_TRUE(outcome && outcome->error);
  EXPECT_EQ(outcome->error->kind(), ErrorKind::timeout);
  EXPECT_TRUE(outcome->failed());
  EXPECT_TRUE(outcome->broken);  // a timeout leaves the mock connection unusable
  EXPECT_EQ(pool->stats().open, 0u);
}

TEST_F(ObservedTest, AServerErrorAloneIsNotAFailure) {
  server->on("SELEC", {.error = Error::from_server(server_codes::syntax_error, "DB::Exception", "Syntax error")});
  {
    Lease lease = observed();
    EXPECT_THROW(lease->execute("SELEC"), Error);
  }
  ASSERT_TRUE(outcome && outcome->error);
  EXPECT_EQ(outcome->error->server_code(), server_codes::syntax_error);
  EXPECT_FALSE(outcome->failed());
  EXPECT_EQ(pool->stats().idle, 1u);
}

TEST_F(ObservedTest, MarkedBrokenReachesTheInnerLease) {
  {
    Lease lease = observed();
    lease.mark_broken(Error(ErrorKind::network, "reset"));
  }
  ASSERT_TRUE(outcome.has_value());
  EXPECT_TRUE(outcome->broken);
  EXPECT_TRUE(outcome->peer_failed);
  EXPECT_TRUE(outcome->failed());
  EXPECT_EQ(pool->stats().open, 0u);  // the pool dropped the connection
  EXPECT_EQ(server->connections_open(), 0u);
}

TEST_F(ObservedTest, UnwrapReachesTheConnectionThroughSeveralWrappings) {
  std::optional<LeaseOutcome> outer_outcome;
  Lease lease = observe_lease(observed(), std::make_unique<Recorder>(outer_outcome), clock);
  EXPECT_NE(dynamic_cast<MockConnection*>(&unwrap_connection(lease.connection())), nullptr);
  EXPECT_EQ(dynamic_cast<MockConnection*>(&lease.connection()), nullptr);
  lease.release();
  EXPECT_TRUE(outer_outcome.has_value());
  EXPECT_TRUE(outcome.has_value());
  EXPECT_THROW(observe_lease(Lease{}, nullptr), Error);
}

}  // namespace
}  // namespace chconn
