// Lease on its own: move semantics, release, and what it tells its owner when it ends.
#include "chconn/strategy/lease.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "chconn/core/error.h"
#include "chconn/strategy/mock.h"
#include "support/expect_error.h"

namespace chconn {
namespace {

using chconn::test::expect_error;

// Records each give_back.
class RecordingOwner final : public LeaseOwner {
 public:
  struct Returned {
    std::uint64_t connection_id;
    void* token;
    LeaseEnd end;
  };
  void give_back(std::unique_ptr<Connection> connection, void* token, LeaseEnd end) noexcept override {
    returned.push_back({dynamic_cast<MockConnection&>(*connection).id(), token, end});
  }
  std::vector<Returned> returned;
};

class LeaseTest : public ::testing::Test {
 protected:
  Lease make(std::uint64_t id, void* token = nullptr) {
    return Lease(owner, std::make_unique<MockConnection>(server, id, "mock:9000"), token);
  }
  std::shared_ptr<MockServer> server = std::make_shared<MockServer>();
  std::shared_ptr<RecordingOwner> owner = std::make_shared<RecordingOwner>();
};

TEST_F(LeaseTest, DestructorGivesTheConnectionBackOnceWithItsToken) {
  int token = 0;
  { Lease l = make(1, &token); }
  ASSERT_EQ(owner->returned.size(), 1u);
  EXPECT_EQ(owner->returned[0].connection_id, 1u);
  EXPECT_EQ(owner->returned[0].token, &token);
  EXPECT_FALSE(owner->returned[0].end.broken);
  EXPECT_FALSE(owner->returned[0].end.peer_failed);
}

TEST_F(LeaseTest, MoveConstructionTransfersOwnership) {
  Lease a = make(1);
  Lease b(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(b);
  EXPECT_TRUE(owner->returned.empty());
  b.release();
  EXPECT_EQ(owner->returned.size(), 1u);
}

TEST_F(LeaseTest, MoveAssignmentEndsTheTargetsLeaseFirst) {
  Lease a = make(1);
  Lease b = make(2);
  b = std::move(a);
  ASSERT_EQ(owner->returned.size(), 1u);
  EXPECT_EQ(owner->returned[0].connection_id, 2u);
  EXPECT_EQ(dynamic_cast<MockConnection&>(*b).id(), 1u);
}

TEST_F(LeaseTest, MoveCarriesTheBrokenMark) {
  Lease a = make(1);
  a.mark_broken();
  Lease b = std::move(a);
  EXPECT_TRUE(b.broken());
  b.release();
  EXPECT_TRUE(owner->returned.at(0).end.broken);
}

TEST_F(LeaseTest, EmptyLeaseThrowsUsageAndReleaseIsIdempotent) {
  Lease l = make(1);
  l.release();
  l.release();
  EXPECT_EQ(owner->returned.size(), 1u);
  EXPECT_FALSE(l);
  expect_error(ErrorKind::usage, [&] { l->execute("SELECT 1"); });
  Lease empty;
  EXPECT_THROW(*empty, Error);
}

TEST_F(LeaseTest, BrokenMarksAndWhatTheyTellTheOwner) {
  {
    Lease l = make(1);
    l.mark_broken();
  }
  {
    Lease l = make(2);
    l.mark_broken(Error(ErrorKind::network, "connection reset by peer"));
  }
  {
    Lease l = make(3);
    l.mark_broken(Error::from_server(62, "DB::Exception", "Syntax error"));
  }
  {
    Lease l = make(4);
    dynamic_cast<MockConnection&>(*l).break_connection();
  }
  {
    Lease l = make(5);
    l.mark_broken(Error(ErrorKind::cancelled, "cancelled by the caller"));
  }
  ASSERT_EQ(owner->returned.size(), 5u);
  EXPECT_TRUE(owner->returned[0].end.broken);
  EXPECT_FALSE(owner->returned[0].end.peer_failed);
  EXPECT_TRUE(owner->returned[1].end.broken);
  EXPECT_TRUE(owner->returned[1].end.peer_failed);
  EXPECT_TRUE(owner->returned[2].end.broken);
  EXPECT_FALSE(owner->returned[2].end.peer_failed) << "a server error says nothing about the peer";
  EXPECT_TRUE(owner->returned[3].end.broken) << "!usable() counts as broken";
  EXPECT_TRUE(owner->returned[3].end.peer_failed);
  EXPECT_TRUE(owner->returned[4].end.broken);
  EXPECT_FALSE(owner->returned[4].end.peer_failed) << "a cancellation says nothing about the peer";
}

TEST_F(LeaseTest, LeaseKeepsItsOwnerAlive) {
  std::weak_ptr<RecordingOwner> weak = owner;
  Lease l = make(1);
  auto* raw = owner.get();
  owner.reset();
  EXPECT_FALSE(weak.expired());
  l.release();
  EXPECT_TRUE(weak.expired());
  (void)raw;
}

}  // namespace
}  // namespace chconn
