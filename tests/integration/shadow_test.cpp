// ShadowStrategy on two real servers: sandbox "main" (UTC) is the primary, sandbox "tokyo"
// (Asia/Tokyo) the candidate — two servers that differ as a cluster on a new version or new
// settings might. The same table on both matches, a table with one row changed on the candidate is
// a checksum mismatch, a table the candidate lacks is a candidate error, and a query whose text
// depends on the server's time zone is caught; columns of nested types (Array, Tuple, Nullable,
// LowCardinality) hash alike on both sides.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "chconn/strategy/direct.h"
#include "chconn/strategy/shadow.h"
#include "support/connection_helpers.h"
#include "support/sandbox.h"

namespace chconn {
namespace {

using namespace std::chrono_literals;

class ShadowOnTwoServers : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"main", "tokyo"}) {
      auto c = test::connect(test::sandbox_config(name));
      c->execute("DROP TABLE IF EXISTS shadow_same");
      c->execute("DROP TABLE IF EXISTS shadow_changed");
      c->execute("DROP TABLE IF EXISTS shadow_missing");
      c->execute("CREATE TABLE shadow_same (x UInt64, s String) ENGINE = Memory");
      c->execute("INSERT INTO shadow_same SELECT number, toString(number) FROM system.numbers LIMIT 1000");
      c->execute("CREATE TABLE shadow_changed (x UInt64, s String) ENGINE = Memory");
      c->execute(std::string("INSERT INTO shadow_changed SELECT number, if(number = 500, '") +
                 (std::string(name) == "main" ? "old" : "new") + "', toString(number)) FROM system.numbers LIMIT 1000");
    }
    test::connect(test::sandbox_config("main"))->execute("CREATE TABLE shadow_missing (x UInt8) ENGINE = Memory");
  }

  void TearDown() override {
    for (const char* name : {"main", "tokyo"}) {
      auto c = test::connect(test::sandbox_config(name));
      for (const char* t : {"shadow_same", "shadow_changed", "shadow_missing"})
        c->execute(std::string("DROP TABLE IF EXISTS ") + t);
    }
  }
};

TEST_F(ShadowOnTwoServers, MatchesEqualDataAndReportsEachDifference) {
  std::mutex mu;
  std::vector<ShadowMismatch> reports;
  ShadowStrategy shadow(std::make_shared<DirectStrategy>(test::sandbox_config("main")),
                        std::make_shared<DirectStrategy>(test::sandbox_config("tokyo")),
                        {.on_mismatch = [&](const ShadowMismatch& m) {
                          std::lock_guard lock(mu);
                          reports.push_back(m);
                        }});
  {
    Lease lease = shadow.acquire(Deadline::after(10s));
    EXPECT_EQ(lease->execute("SELECT x, s FROM shadow_same").row_count(), 1000u);
    EXPECT_EQ(lease
                  ->execute("SELECT [x, 1] AS a, (x, s) AS t, toNullable(x) AS n, toLowCardinality(s) AS l "
                            "FROM shadow_same WHERE x % 3 = 0")
                  .row_count(),
              334u);
    EXPECT_EQ(lease->execute("SELECT x, s FROM shadow_changed").row_count(), 1000u);
    EXPECT_EQ(lease->execute("SELECT count() AS n FROM shadow_missing").row_count(), 1u);
    EXPECT_EQ(lease->execute("SELECT toString(toDateTime(31536000)) AS t").row_count(), 1u);
    lease->execute("INSERT INTO shadow_same SELECT 1000, 'written on the primary only'");
  }
  ASSERT_TRUE(shadow.wait_idle(Deadline::after(60s)));
  const ShadowStats s = *shadow.shadow_stats();
  EXPECT_EQ(s.reads, 5u);
  EXPECT_EQ(s.not_read_only, 1u);
  EXPECT_EQ(s.compared, 5u);
  EXPECT_EQ(s.matched, 2u);
  EXPECT_EQ(s.mismatched, 2u);
  EXPECT_EQ(s.candidate_errors, 1u);
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(reports[0].what, "checksum");
  EXPECT_EQ(reports[0].sql, "SELECT x, s FROM shadow_changed");
  EXPECT_FALSE(reports[0].query_id.empty());
  EXPECT_EQ(reports[1].what, "candidate error");
  EXPECT_NE(reports[1].diff.find("shadow_missing"), std::string::npos) << reports[1].diff;
  EXPECT_EQ(reports[2].what, "checksum");  // 1971-01-01 00:00:00 against 1971-01-01 09:00:00
  EXPECT_EQ(test::connect(test::sandbox_config("tokyo"))
                ->execute("SELECT count() AS n FROM shadow_same")
                .value<std::uint64_t>("n"),
            1000u);
}

}  // namespace
}  // namespace chconn
